/* daeinfer: denoise every image of a tensor stream with a trained model.
 * The model file carries its own cfg, so -w model.bin is all it needs. Any
 * image size: padding, cropping and tiling are lib/nn/denoise.c's job. A
 * model that takes the noise level ([noisemap]) gets --sigma, or each
 * image's own estimate (noise_estimate). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modelpath.h"
#include "util.h"
#include "../lib/image/noise.h"
#include "../lib/io/source.h"
#include "../lib/io/stream.h"
#include "../lib/kernel/tensor.h"
#include "../lib/nn/denoise.h"
#include "../lib/nn/model.h"

static const char synopsis[] =
	"[-v] [-x] [-b batch] [-t threads] [--tile n] [--float] [--strict] [--max-pixels n] "
	"[--sigma s] [-w model] [file]";

/* denoise the nb images of one size in x, whose headers are hs, and write
 * them; raw is room for one u8 image. Returns 0, the new batch count. */
static size_t
flush(struct denoiser *dn, const struct ts_header *hs, size_t nb, float *x, float *y,
      unsigned char *raw, int to_float, int x8, struct ts_writer *w, size_t *written,
      struct src *in)
{
	struct ts_header h;
	struct nn_error err;
	size_t n = ts_nelem(&hs[0]), i, k;
	int rc = x8        ? dn_image_x8(dn, y, x, hs[0].dims[0], hs[0].dims[1], &err)
	         : nb == 1 ? dn_image(dn, y, x, hs[0].dims[0], hs[0].dims[1], &err)
	                   : dn_batch(dn, y, x, nb, hs[0].dims[0], hs[0].dims[1], &err);

	if (rc != 0)
		die("%s: record %llu: %s", src_name(in), (unsigned long long)src_nrecords(in),
		    err.msg);
	for (k = 0; k < nb; k++) {
		float *yk = y + k * n;
		h = hs[k];
		for (i = 0; i < n; i++)
			yk[i] *= 255;
		h.dtype = to_float ? TS_F32 : TS_U8;
		if (!to_float)
			noise_to_u8(raw, yk, n);
		if (ts_write_header(w, &h) != TS_OK ||
		    ts_write_payload(w, to_float ? (void *)yk : raw, ts_payload_size(&h)) != TS_OK ||
		    ts_writer_finish(w) != TS_OK)
			die_write(w->errnum);
		(*written)++;
	}
	return 0;
}

static const char options[] =
	"  -w, --weights model  a model file, or a model's name (default " MODEL_DEFAULT ")\n"
	"                       looked up in DAE_MODEL_PATH, ~/.local/share/dae/models\n"
	"                       and the install folder\n"
	"  -x, --ensemble       average the 8 flips and rotations (8 times the work)\n"
	"  --sigma s            the noise level (std, 0..255) for a model that takes\n"
	"                       one; default: estimated from each image\n"
	"  -b, --batch n        images of one size denoised in one pass (default 1)\n"
	"  -t, --threads n      threads (default: the online processors)\n"
	"  --tile n             largest window side in pixels (default 1024)\n"
	"  --float              write f32 on the 0..255 scale instead of u8\n"
	"  --strict             a record that is not a suitable image is an error\n"
	"  --max-pixels n       skip larger images (default 100000000)\n"
	"  -v, --verbose        report the model and progress on stderr\n"
	"  -h, --help           print this and exit\n"
	"  --version            print the version and exit\n";

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "float", no_argument, NULL, 'f' },
		{ "strict", no_argument, NULL, 'S' },
		{ "tile", required_argument, NULL, 'T' },
		{ "max-pixels", required_argument, NULL, 'M' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "threads", required_argument, NULL, 't' },
		{ "weights", required_argument, NULL, 'w' },
		{ "batch", required_argument, NULL, 'b' },
		{ "ensemble", no_argument, NULL, 'x' },
		{ "sigma", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *model = MODEL_DEFAULT;
	char *path;
	struct net net;
	struct denoiser dn;
	struct nn_error err;
	struct src *in;
	struct ts_writer w;
	struct ts_header h, *hs;
	struct ts_limits lim = { TS_DEFAULT_MAX_DIM, TS_DEFAULT_MAX_BYTES };
	enum src_err e;
	unsigned char *raw = NULL;
	float *x = NULL, *y = NULL;
	size_t cap = 0, rawcap = 0, n, i, skipped = 0, written = 0, tile = 1024, batch = 1, nb = 0;
	long long max_pixels = 100000000;
	long threads = sysconf(_SC_NPROCESSORS_ONLN);
	int c, to_float = 0, strict = 0, verbose = 0, x8 = 0;
	double sigma = -1;      /* -1: estimate each image's */

	/* arguments */
	argv0 = "daeinfer";
	keep_std_fds();
	/* getopt names argv[0] in its messages */
	argv[0] = (char *)argv0;
	while ((c = getopt_long(argc, argv, "hvxb:t:w:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout, 0, synopsis, options); break;
		case 'V': print_version(); break;
		case 'f': to_float = 1; break;
		case 'S': strict = 1; break;
		case 'T': tile = (size_t)estrtonum(optarg, 16, 16384, "--tile", synopsis); break;
		case 'M':
			max_pixels = estrtonum(optarg, 1, 1LL << 40, "--max-pixels", synopsis);
			break;
		case 'v': verbose = 1; break;
		case 't': threads = (long)estrtonum(optarg, 1, 256, "-t", synopsis); break;
		case 'w': model = optarg; break;
		case 'b': batch = (size_t)estrtonum(optarg, 1, 256, "-b", synopsis); break;
		case 'x': x8 = 1; break;
		case 's': sigma = estrtod(optarg, 0, 255, "--sigma", synopsis); break;
		default: usage(stderr, 2, synopsis, options);
		}
	}
	if (argc - optind > 1)
		usage_error(synopsis, "unexpected operand '%s'", argv[optind + 1]);
	if (threads < 1)
		threads = 1;
	/* the ensemble turns each image on its own */
	if (x8)
		batch = 1;

	/* prepare */
	signal(SIGPIPE, SIG_IGN);
	/* the engine splits work over its own threads; BLAS runs inside
	 * each of them single-threaded */
	t_set_blas_threads(1);
	if (model_find(model, &path) != 0) {
		if (errno == ENOENT)
			die("%s: no such model file, nor a model of that name in %s", model,
			    model_dirs());
		die("%s:", model);
	}
	if (model_load(path, &net, 64, 64, 1, NN_INFER, NULL, NULL, &err) != 0)
		die("%s", err.msg);
	if (nn_set_threads(&net, (int)threads, &err) != 0)
		die("%s", err.msg);
	if (sigma >= 0 && !nn_noise(&net))
		die("%s: this model takes no noise level (it is blind): drop --sigma", path);
	dn_open(&dn, &net, tile);
	if (verbose)
		fprintf(stderr, "daeinfer: %s: %zu parameters, %d threads, BLAS core %s\n", path,
		        net.nparams + net.nstate, (int)threads, t_blas_corename());
	hs = ecalloc(batch, sizeof *hs);
	if (src_open(&in, optind < argc ? argv[optind] : "-", &lim) != SRC_OK)
		die_src(in);
	ts_writer_init(&w, stdout);

	/* denoise: records of one size gather into a batch of up to -b, which
	 * is denoised in one pass when it is full, when a record of another size
	 * comes, or at the end */
	while ((e = src_read_header(in, &h)) == SRC_OK) {
		const char *why = NULL;
		if (h.rank != 3 || h.dims[2] != net.in.c)
			why = "not an image with the model's channels";
		else if ((long long)h.dims[0] * h.dims[1] > max_pixels)
			why = "more pixels than --max-pixels";
		if (why) {
			if (strict)
				die("%s: record %llu (%s): %u-dimensional %s tensor: %s", src_name(in),
				    (unsigned long long)src_nrecords(in), h.namelen ? h.name : "unnamed",
				    h.rank, ts_dtype_name(h.dtype), why);
			warn("%s: record %llu (%s): %s, skipped", src_name(in),
			     (unsigned long long)src_nrecords(in), h.namelen ? h.name : "unnamed", why);
			skipped++;
			if ((e = src_skip_payload(in)) != SRC_OK)
				break;
			continue;
		}
		if (nb > 0 && (memcmp(hs[0].dims, h.dims, sizeof h.dims) != 0 || nb == batch))
			nb = flush(&dn, hs, nb, x, y, raw, to_float, x8, &w, &written, in);
		n = ts_nelem(&h);
		if (ts_payload_size(&h) > rawcap) {
			rawcap = ts_payload_size(&h);
			raw = ereallocarray(raw, rawcap, 1);
		}
		if (n > cap) {
			cap = n;
			x = ereallocarray(x, cap, batch * sizeof *x);
			y = ereallocarray(y, cap, batch * sizeof *y);
		}
		if ((e = src_read_payload(in, raw, ts_payload_size(&h))) != SRC_OK) {
			/* a pack sample that fails its checksum spoils only itself */
			if (e != SRC_EBAD || strict)
				break;
			warn("%s: %s: %s, skipped", src_name(in), src_where(in), src_strerror(in));
			skipped++;
			continue;
		}
		for (i = 0; i < n; i++)
			x[nb * n + i] = (h.dtype == TS_U8 ? raw[i] : ((float *)(void *)raw)[i]) *
			                (1.0f / 255);
		if (nn_noise(&net)) {
			double s = sigma >= 0 ? sigma
			                      : noise_estimate(x + nb * n, h.dims[0], h.dims[1],
			                                       h.dims[2]) * 255;
			/* too small to estimate: as if clean; NaN or past 255
			 * from a hostile f32 record: within the option's range */
			s = s >= 0 ? (s <= 255 ? s : 255) : 0;
			nn_noise(&net)[nb] = (float)(s / 255);
			if (verbose)
				fprintf(stderr, "\rdaeinfer: record %llu: noise level %.2f%s\n",
				        (unsigned long long)src_nrecords(in), s,
				        sigma >= 0 ? "" : " (estimated)");
		}
		hs[nb++] = h;
		if (!dn_fits(&dn, h.dims[0], h.dims[1]) || batch == 1)
			nb = flush(&dn, hs, nb, x, y, raw, to_float, x8, &w, &written, in);
		if (progress_wanted(verbose))
			fprintf(stderr, "\rdaeinfer: %zu images", written);
	}
	if (nb > 0 && e == SRC_END)
		flush(&dn, hs, nb, x, y, raw, to_float, x8, &w, &written, in);
	if (progress_wanted(verbose) && written)
		fputc('\n', stderr);
	if (e != SRC_END)
		die_src(in);
	if (skipped)
		warn("%zu of %llu records skipped", skipped, (unsigned long long)src_nrecords(in));

	/* clean up */
	src_close(in);
	dn_close(&dn);
	nn_free(&net);
	free(path);
	free(hs);
	free(raw);
	free(x);
	free(y);
	return fshut(stdout, "<stdout>");
}
