/* model.h: model and checkpoint files. See model(5).
 *
 * ABOUT
 *   A model file holds a magic, a version, the cfg text the network was
 *   built from, named tensors (every parameter and BatchNorm statistic, in
 *   arena order, plus optional extras such as a trainer's Adam moments) and
 *   a CRC-32 (zlib's) over all of it, so daeinfer -w model.bin needs nothing
 *   else and a flipped byte is caught before any number is used.
 *
 * USAGE
 *   model_save(path, &net, extras, nextras, &errnum)
 *        write atomically (temp file, fsync, rename); 0 or -1 with errnum
 *   model_load(path, &net, h, w, n, mode, &extras, &nextras, &err)
 *        read, check the CRC, build the network from the stored cfg for an
 *        h x w input and batch n, and fill every parameter; 0 or -1
 *   model_load_mem(buf, len, name, &net, h, w, n, mode, &err)
 *        the same from len bytes at buf (no extras); messages call it name
 *   model_load_into(path, &net, &extras, &nextras, &err)
 *        fill an already built network (resume, fine-tune); the stored cfg
 *        must describe the same tensors
 *   model_free_extras(extras, nextras)
 *   model_extra_get(extras, nextras, name, is_u8, rank, dims, &data, path, &err)
 *        the extra called name: 1 with data when its type and shape are the
 *        ones given, 0 when there is none, -1 (err says both) otherwise.
 *        Parameters get the same check against the network on load.
 *
 * ERRORS
 *   Load errors come back in a struct nn_error, naming the problem:
 *   "not a model file", "corrupt (CRC mismatch)", "truncated", "tensor
 *   'L3.weight' is f32 3x3x16x64, the network wants f32 3x3x32x64", and cfg errors
 *   with their line. Nothing is printed.
 *
 * MEMORY
 *   Load reads the whole file into one buffer (models are small) and frees
 *   it before returning; extras are copied into a heap array the caller
 *   frees with model_free_extras.
 *
 * LIMITS
 *   Files up to 1 GiB, cfg text up to 1 MiB, 4096 tensors, names of 63 bytes.
 */
#ifndef MODEL_H
#define MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "nn.h"

#define MODEL_MAGIC "DAEMODEL"
#define MODEL_VERSION 1

/* a tensor that is not a network parameter: u8 bytes or f32 values */
struct model_extra {
	char name[64];
	int is_u8;
	unsigned rank;
	uint32_t dims[4];
	size_t n;               /* elements */
	void *data;
};

int model_save(const char *path, const struct net *net, const struct model_extra *extras,
               int nextras, int *errnum);
int model_load(const char *path, struct net *net, size_t h, size_t w, size_t n,
               enum nn_mode mode, struct model_extra **extras, int *nextras,
               struct nn_error *err);
int model_load_mem(const void *buf, size_t len, const char *name, struct net *net, size_t h,
                   size_t w, size_t n, enum nn_mode mode, struct nn_error *err);
int model_load_into(const char *path, struct net *net, struct model_extra **extras,
                    int *nextras, struct nn_error *err);
void model_free_extras(struct model_extra *extras, int nextras);
int model_extra_get(const struct model_extra *extras, int nextras, const char *name, int is_u8,
                    unsigned rank, const uint32_t *dims, const void **data, const char *path,
                    struct nn_error *err);

#endif
