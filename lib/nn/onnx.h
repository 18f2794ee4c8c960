/* onnx.h: export a network as an ONNX model. See daeconvert(1).
 *
 * ABOUT
 *   Writes a built network (its layers and current weights) as an ONNX
 *   ModelProto, opset 13, that ONNX Runtime and OpenVINO run unchanged:
 *   input "x" and output "y", float32 NCHW on the 0..1 scale, with the
 *   batch, height and width left symbolic, so any size the network takes
 *   runs. Each layer kind becomes the ONNX operators with the same
 *   arithmetic (conv: Conv with explicit TF-rule pads, then Relu or
 *   Sigmoid; maxpool: MaxPool, 'same' as auto_pad SAME_UPPER; upsample:
 *   Resize nearest, asymmetric, floor; batchnorm: BatchNormalization with
 *   the moving statistics; add: Add or Sum; concat: Concat on channels;
 *   space_to_depth and depth_to_space: the ONNX operators, DCR order).
 *   Initializers keep the model's tensor names ("L0.weight"); kernels are
 *   turned from (KH, KW, Cin, Cout) to ONNX's (Cout, Cin, KH, KW).
 *   The protobuf writer is the few wire types ONNX needs; there is no reader.
 *
 * USAGE
 *   onnx_export(&net, &buf, &n, &err)   the model's bytes in a heap buffer
 *
 * ERRORS
 *   0, or -1 with err filled: out of memory, or a layer kind without an
 *   ONNX form (none today; a new kind must add one). Nothing is printed.
 *
 * MEMORY
 *   *buf is malloc'd; the caller frees it. Peak use is about twice the
 *   parameters' size.
 *
 * LIMITS
 *   Models up to 1 GiB (the model(5) limit), far under protobuf's 2 GiB.
 */
#ifndef ONNX_H
#define ONNX_H

#include <stddef.h>

#include "nn.h"

#define ONNX_OPSET 13
#define ONNX_IR_VERSION 7

int onnx_export(const struct net *net, unsigned char **buf, size_t *n, struct nn_error *err);

#endif
