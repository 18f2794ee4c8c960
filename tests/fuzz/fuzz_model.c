/* fuzz_model.c: libFuzzer target for the model file reader (lib/nn/model.c)
 * and the cfg parser behind it (lib/io/cfg.c, nn_build in lib/nn/nn.c).
 *
 * Every input is tried three ways:
 *   - as a model file, with model_load, as daeinfer -w does (the network is
 *     built from the cfg stored in the file, for a 16 x 16 input);
 *   - as a checkpoint for the network of tests/data/tiny.cfg, with
 *     model_load_into and extras, as daetrain --resume does;
 *   - as cfg text, with nn_build at 16 x 16, batch 1, as daetrain -c does.
 * A network that builds and is small is run forward once, so that weights
 * read from the file (NaN, infinities, denormals) go through every layer,
 * and every model that loads is exported as ONNX (lib/nn/onnx.c, daeconvert's
 * exporter), whose protobuf must then parse: every length within its
 * message, the graph holding a node for each layer at least.
 * The file is written to a temporary file first: model_load takes a path.
 * Mutations rarely keep the CRC right, so the model readers also get the
 * input with its last 4 bytes made the CRC of the rest, which lets mutated
 * fields reach the checks behind the checksum.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../../lib/nn/model.h"
#include "../../lib/nn/onnx.h"
#include "fuzz.h"

static struct net tiny;

static void
cleanup(void)
{
	nn_free(&tiny);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct nn_error err;

	(void)argc;
	(void)argv;
	fuzz_file_open("fuzz_model");
	REQUIRE(nn_build(&tiny, fuzz_tiny_cfg(), 16, 16, 1, NN_TRAIN, &err) == 0);
	atexit(cleanup);
	return 0;
}

/* walk one protobuf message: every field's key and length must fit in it;
 * counts the fields numbered field, and returns the last one's bytes */
static size_t
pb_walk(const uint8_t *p, size_t n, unsigned field, const uint8_t **sub, size_t *subn)
{
	size_t off = 0, count = 0;

	while (off < n) {
		uint64_t key = 0, v = 0;
		int shift = 0;
		do {
			REQUIRE(off < n && shift < 64);
			key |= (uint64_t)(p[off] & 0x7f) << shift;
			shift += 7;
		} while (p[off++] & 0x80);
		switch (key & 7) {
		case 0:
			do {
				REQUIRE(off < n);
			} while (p[off++] & 0x80);
			break;
		case 2:
			shift = 0;
			do {
				REQUIRE(off < n && shift < 64);
				v |= (uint64_t)(p[off] & 0x7f) << shift;
				shift += 7;
			} while (p[off++] & 0x80);
			REQUIRE(v <= n - off);
			if ((key >> 3) == field) {
				*sub = p + off;
				*subn = (size_t)v;
				count++;
			}
			off += (size_t)v;
			break;
		case 5:
			REQUIRE(n - off >= 4);
			off += 4;
			break;
		default:
			REQUIRE(!"unexpected wire type");
		}
	}
	return count;
}

/* the exporter on a network that loaded: ModelProto.graph (7), then
 * GraphProto.node (1), one node or two (conv + activation) a layer */
static void
export(const struct net *net)
{
	struct nn_error err;
	unsigned char *buf;
	const uint8_t *graph, *node;
	size_t n, gn, nn;

	REQUIRE(onnx_export(net, &buf, &n, &err) == 0);
	REQUIRE(pb_walk(buf, n, 7, &graph, &gn) == 1);
	REQUIRE(pb_walk(graph, gn, 1, &node, &nn) >= (size_t)(net->nl - 1));
	free(buf);
}

/* one forward pass on a mid-grey input, for networks that are cheap to run */
static void
run(struct net *net)
{
	size_t i, n = net->in.h * net->in.w * net->in.c;
	float *x;

	if (net->nparams > 100000 || net->nacts > 4000000)
		return;
	x = nn_input(net);
	for (i = 0; i < n; i++)
		x[i] = 0.5f;
	nn_forward(net, 1, 0);
}

static void
read_model(const uint8_t *data, size_t size)
{
	struct model_extra *extras;
	struct nn_error err;
	struct net net;
	int nextras;

	fuzz_file_put(data, size);
	if (model_load(fuzz_path, &net, 16, 16, 1, NN_INFER, NULL, NULL, &err) == 0) {
		export(&net);
		run(&net);
		nn_free(&net);
	} else {
		REQUIRE(err.msg[0] != '\0');
	}
	if (model_load_into(fuzz_path, &tiny, &extras, &nextras, &err) == 0)
		model_free_extras(extras, nextras);
	else
		REQUIRE(err.msg[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nn_error err;
	struct net net;
	unsigned char *copy;
	char *text;
	uLong crc;

	read_model(data, size);
	if (size >= 16) {
		REQUIRE((copy = malloc(size)));
		memcpy(copy, data, size);
		crc = crc32(0, copy, (uInt)(size - 4));
		copy[size - 4] = crc & 0xff;
		copy[size - 3] = (crc >> 8) & 0xff;
		copy[size - 2] = (crc >> 16) & 0xff;
		copy[size - 1] = (crc >> 24) & 0xff;
		read_model(copy, size);
		free(copy);
	}

	REQUIRE((text = malloc(size + 1)));
	memcpy(text, data, size);
	text[size] = '\0';
	if (nn_build(&net, text, 16, 16, 1, NN_INFER, &err) == 0) {
		run(&net);
		nn_free(&net);
	} else {
		REQUIRE(err.msg[0] != '\0');
	}
	free(text);
	return 0;
}
