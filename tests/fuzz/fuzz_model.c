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
 * read from the file (NaN, infinities, denormals) go through every layer.
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
#include "fuzz.h"


/* tests/data/tiny.cfg without its comments */
static const char tiny_cfg[] =
	"[net]\nchannels = 3\n"
	"[conv]\nfilters = 8\nsize = 3\npad = same\nactivation = relu\n"
	"[maxpool]\nsize = 2\npad = same\n"
	"[batchnorm]\n"
	"[conv]\nfilters = 8\nsize = 3\npad = same\nactivation = relu\n"
	"[upsample]\nsize = 2\n"
	"[conv]\nfilters = 3\nsize = 3\npad = same\nactivation = sigmoid\n";

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
	REQUIRE(nn_build(&tiny, tiny_cfg, 16, 16, 1, NN_TRAIN, &err) == 0);
	atexit(cleanup);
	return 0;
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
