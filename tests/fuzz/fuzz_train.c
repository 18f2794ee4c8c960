/* fuzz_train.c: libFuzzer target for a cfg as daetrain uses it: the input
 * is cfg text, built with nn_build for training (lib/io/cfg.c, lib/nn/nn.c
 * and every layer kind), and a network that builds and is small takes one
 * step on a tiny input: forward in training mode, MSE against a target,
 * backward, Adam, then a forward in inference mode. A layer that reads its
 * own output, an index or size that wraps, a shape the kernels do not
 * expect, shows here as an ASan or UBSan report (issue 17's 'from' values
 * that wrapped when narrowed to int did).
 *
 * The input size (4..15 x 4..15, batch 1 or 2) is drawn from the text's
 * hash, so one cfg meets odd and even sizes across runs of the corpus.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/nn/nn.h"
#include "fuzz.h"

static uint32_t
hash(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static void
step(struct net *net, size_t n)
{
	size_t i, nin = n * net->in.h * net->in.w * net->in.c;
	size_t nout = n * net->out.h * net->out.w * net->out.c;
	struct adam_hp hp = { 1e-3f, 0.9f, 0.999f, 1e-7f };
	struct rng r;
	float *x = nn_input(net), *t;
	double loss;

	rng_seed(&r, 1);
	nn_init(net, &r);
	for (i = 0; i < nin; i++)
		x[i] = (float)(i % 7) / 7;
	REQUIRE((t = malloc((nout ? nout : 1) * sizeof *t)));
	for (i = 0; i < nout; i++)
		t[i] = 0.5f;
	nn_zero_grad(net);
	nn_forward(net, n, 1);
	loss = nn_mse(net, t, n);
	(void)loss;
	nn_backward(net, n);
	nn_adam(net, &hp);
	nn_forward(net, n, 0);
	free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nn_error err;
	struct net net;
	uint32_t h = hash(data, size);
	size_t ih = 4 + h % 12, iw = 4 + (h >> 8) % 12, n = 1 + (h >> 16) % 2;
	char *text;

	REQUIRE((text = malloc(size + 1)));
	memcpy(text, data, size);
	text[size] = '\0';
	if (nn_build(&net, text, ih, iw, n, NN_TRAIN, &err) == 0) {
		/* keep each run to milliseconds: a few hundred thousand weights */
		if (net.nparams <= 200000 && net.nacts <= 2000000)
			step(&net, n);
		nn_free(&net);
	} else {
		REQUIRE(err.msg[0] != '\0');
	}
	free(text);
	return 0;
}
