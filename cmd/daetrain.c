/* daetrain: train a denoiser from clean images, and noisy ones or the noise
 * to draw. The loop, checkpoints and early stopping are lib/nn/train.c; this
 * file reads the options and the data, reports, and writes the files. Under
 * mpirun (make MPI=1, dist.c) every process runs this same main on its
 * share of each batch; rank 0 alone reports and writes. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dist.h"
#include "util.h"
#include "../lib/io/afile.h"
#include "../lib/io/source.h"
#include "../lib/io/stream.h"
#include "../lib/kernel/tensor.h"
#include "../lib/nn/model.h"
#include "../lib/nn/train.h"

static const char synopsis[] =
	"[-qv] -c cfg -o model [-e epochs] [-b batch] [-l rate] [--lr-min rate] [-m mean] [-s std] "
	"[--sigma lo:hi] [--fixed-noise] [--patch n] [--repeat k] [--augment] [--augment-color] "
	"[--val-split f] [--val clean[,noisy]] [--patience n] [--monitor loss|val_loss] "
	"[--seed n] [--log file] [--checkpoint file] [--resume] [--init model] [--dry-run] [-t threads] "
	"clean [noisy]";

/* every option, for --help */
static const char options[] =
	"  -c cfg               the network description (required)\n"
	"  -o model             where to write the trained model (required)\n"
	"  -e epochs            most epochs to run (default 50)\n"
	"  -b batch             batch size, of each process under mpirun (default 32)\n"
	"  -l rate              Adam's learning rate (default 0.001)\n"
	"  --lr-min rate        cosine decay from -l to this over the planned epochs\n"
	"  -m mean, -s std      Gaussian noise drawn afresh each epoch (0..255 scale)\n"
	"  --sigma lo:hi        blind: each sample's std drawn uniformly in lo..hi\n"
	"  --fixed-noise        draw the noise once, the same every epoch\n"
	"  --patch n            train on random n x n crops\n"
	"  --repeat k           samples drawn from each image per epoch (default 1)\n"
	"  --augment            random flips and rotations\n"
	"  --augment-color      random channel order and saturation\n"
	"  --val-split f        hold out the last fraction f for validation\n"
	"  --val clean[,noisy]  validate on these streams\n"
	"  --patience n         early stopping patience in epochs, 0 off (default 3)\n"
	"  --monitor loss|val_loss  what early stopping watches (default loss)\n"
	"  --seed n             seed for every random choice (default 1)\n"
	"  --log file           CSV of the epochs, rewritten after each\n"
	"  --checkpoint file    checkpoint path (default model.ckpt)\n"
	"  --resume             continue from the checkpoint\n"
	"  --init model         start from this model's weights\n"
	"  --dry-run            check the cfg, options and data against each other,\n"
	"                       then exit without training or writing\n"
	"  -t, --threads n      threads in each process (default: the online\n"
	"                       processors, shared among the processes on a machine)\n"
	"  -q, --quiet          no epoch lines\n"
	"  -v, --verbose        the setup, and progress within each epoch\n"
	"  -h, --help           print this and exit\n"
	"  --version            print the version and exit\n";

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* nearest_sizes names, for a message, the sizes next to the network's
 * input size that it keeps: the largest at most and the smallest at least,
 * along each axis */
static const char *
nearest_sizes(struct net *net)
{
	static char msg[128];
	size_t h = net->in.h, w = net->in.w, H, W, lh = 0, lw = 0, t, a, b;

	if (nn_fit_size(net, h, w, &H, &W) != 0)
		return "";
	for (t = h; t > 0 && !lh; t--)
		if (nn_fit_size(net, t, W, &a, &b) == 0 && a == t)
			lh = t;
	for (t = w; t > 0 && !lw; t--)
		if (nn_fit_size(net, H, t, &a, &b) == 0 && b == t)
			lw = t;
	if (lh && lw)
		snprintf(msg, sizeof msg, "; the nearest sizes it keeps are %zux%zu and %zux%zu",
		         lh, lw, H, W);
	else
		snprintf(msg, sizeof msg, "; the nearest size it keeps is %zux%zu", H, W);
	return msg;
}

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, k;

	if (!fp)
		die("%s:", path);
	for (;;) {
		buf = ereallocarray(buf, n + 65536 + 1, 1);
		k = fread(buf + n, 1, 65536, fp);
		n += k;
		if (k < 65536)
			break;
		if (n > (1 << 20))
			die("%s: larger than 1 MiB, not a cfg", path);
	}
	if (ferror(fp))
		die("%s: read:", path);
	fclose(fp);
	buf[n] = '\0';
	return buf;
}

/* a dataset from a file: a pack is read sample by sample as training goes
 * (it may be larger than memory); a stream is read whole into memory, since
 * shuffling needs every image at hand, and its images may differ in height
 * and width (training on patches). The source stays open for a pack.
 * Each of nprocs processes reads the whole set. */
static struct src *
load_set(struct dataset *ds, const char *path, int nprocs)
{
	struct src *s;
	struct ts_header h, first = { 0 };
	enum src_err e;
	unsigned char *data = NULL;
	size_t n = 0, cap = 0, used = 0, room = 0, sz, *dims = NULL;
	int mixed = 0;

	if (strcmp(path, "-") == 0 && nprocs > 1)
		die("-: standard input reaches one process only; give the sets as files");
	if (src_open(&s, path, NULL) != SRC_OK)
		die_src(s);
	if (src_kind(s) == SRC_PACK) {
		if (ds_pack(ds, src_pack(s)) != 0)
			die("%s: not a pack of images", path);
		return s;
	}
	while ((e = src_read_header(s, &h)) == SRC_OK) {
		/* the buffers are freed before each die() so leak checkers stay quiet */
		if (h.rank != 3 || (n > 0 && (h.dims[2] != first.dims[2] || h.dtype != first.dtype))) {
			free(data);
			free(dims);
			if (h.rank != 3)
				die("%s: %s: not an image (rank %u)", path, src_where(s), h.rank);
			die("%s: record %zu: %u channels %s, record 1 was %u channels %s", path, n + 1,
			    h.dims[2], ts_dtype_name(h.dtype), first.dims[2], ts_dtype_name(first.dtype));
		}
		if (n == 0)
			first = h;
		mixed |= h.dims[0] != first.dims[0] || h.dims[1] != first.dims[1];
		sz = ts_payload_size(&h);
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			dims = ereallocarray(dims, cap, 2 * sizeof *dims);
		}
		if (used + sz > room) {
			room = 2 * (used + sz);
			data = ereallocarray(data, room, 1);
		}
		dims[2 * n] = h.dims[0];
		dims[2 * n + 1] = h.dims[1];
		if ((e = src_read_payload(s, data + used, sz)) != SRC_OK)
			break;
		used += sz;
		n++;
	}
	if (e != SRC_END) {
		free(data);
		free(dims);
		die_src(s);
	}
	if (n == 0)
		die("%s: no images", path);
	src_close(s);
	if (mixed) {
		ds_memory_mixed(ds, n, first.dims[2], first.dtype == TS_U8, data, dims);
	} else {
		free(dims);
		ds_memory(ds, n, first.dims[0], first.dims[1], first.dims[2], first.dtype == TS_U8,
		          data);
	}
	if (!ds->impl)
		die("out of memory");
	return NULL;
}

static void
write_log(const char *path, const struct trainer *tr)
{
	struct afile af;
	size_t i;
	int rc;

	if ((rc = afile_open(&af, path)) != 0)
		die("%s: %s", path, afile_strerror(rc));
	fprintf(af.fp, "epoch,loss,val_loss,val_psnr,seconds,images_per_s\n");
	for (i = 0; i < tr->epoch; i++) {
		const struct tr_epoch *e = &tr->hist[i];
		fprintf(af.fp, "%zu,%.6g,%.6g,%.4f,%.1f,%.2f\n", i + 1, e->loss, e->val_loss,
		        e->val_psnr, e->seconds,
		        (double)(tr->ntrain * tr->o.repeat) / (e->seconds > 0 ? e->seconds : 1));
	}
	if ((rc = afile_commit(&af, 0)) != 0)
		die("%s: %s", path, afile_strerror(rc));
}

struct prog {
	int on;
	size_t epoch, epochs;
};

static void
progress(void *arg, size_t done, size_t total, double loss)
{
	struct prog *p = arg;

	if (p->on)
		fprintf(stderr, "\rdaetrain: epoch %zu/%zu: %zu/%zu images, loss %.5f ", p->epoch,
		        p->epochs, done, total, loss);
}

static void
save_checkpoint(const struct trainer *tr, const char *path)
{
	int errnum;

	if (tr_save(tr, path, &errnum) != 0)
		die("%s: %s", path, afile_strerror(errnum));
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "sigma", required_argument, NULL, 'G' },
		{ "lr-min", required_argument, NULL, 'D' },
		{ "fixed-noise", no_argument, NULL, 'F' },
		{ "patch", required_argument, NULL, 'P' },
		{ "repeat", required_argument, NULL, 'R' },
		{ "augment", no_argument, NULL, 'A' },
		{ "augment-color", no_argument, NULL, 'K' },
		{ "val-split", required_argument, NULL, 'S' },
		{ "val", required_argument, NULL, 'X' },
		{ "patience", required_argument, NULL, 'p' },
		{ "monitor", required_argument, NULL, 'M' },
		{ "seed", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'L' },
		{ "checkpoint", required_argument, NULL, 'C' },
		{ "resume", no_argument, NULL, 'U' },
		{ "init", required_argument, NULL, 'I' },
		{ "dry-run", no_argument, NULL, 'N' },
		{ "threads", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct tr_opt o = {
		.batch = 32, .epochs = 50, .patience = 3, .repeat = 1,
		.adam = { 1e-3f, 0.9f, 0.999f, 1e-7f }, .seed = 1,
	};
	const char *cfgpath = NULL, *out = NULL, *logpath = NULL, *ckpt = NULL, *init = NULL;
	const char *outs[3];
	char *valarg = NULL, *cfg, *p;
	struct dataset clean, noisy, vclean, vnoisy;
	struct src *srcs[4] = { NULL, NULL, NULL, NULL };
	int have_noisy = 0, have_val = 0, have_vnoisy = 0, noise_given = 0, resume = 0;
	int verbose = 0, quiet = 0, dry_run = 0, c, errnum;
	long threads = 0;
	struct net net;
	struct nn_error err;
	struct trainer tr;
	struct rng rng;
	struct prog pg;
	enum tr_status st;
	struct sigaction sa;
	struct dist dist;
	int lead;

	/* arguments */
	argv0 = "daetrain";
	keep_std_fds();
	/* getopt names argv[0] in its messages */
	argv[0] = (char *)argv0;
	while ((c = getopt_long(argc, argv, "hqvc:o:e:b:l:m:s:t:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout, 0, synopsis, options); break;
		case 'V': print_version(); break;
		case 'c': cfgpath = optarg; break;
		case 'o': out = optarg; break;
		case 'e': o.epochs = (size_t)estrtonum(optarg, 1, 100000, "-e", synopsis); break;
		case 'b': o.batch = (size_t)estrtonum(optarg, 1, 4096, "-b", synopsis); break;
		case 'l': o.adam.lr = (float)estrtod(optarg, 1e-9, 10, "-l", synopsis); break;
		case 'D': o.lr_min = (float)estrtod(optarg, 1e-12, 10, "--lr-min", synopsis); break;
		case 'm':
			o.noise.mean = (float)estrtod(optarg, -1000, 1000, "-m", synopsis);
			noise_given = 1;
			break;
		case 's':
			o.noise.std = (float)estrtod(optarg, 0, 1000, "-s", synopsis);
			noise_given = 1;
			break;
		case 'G':
			if (!(p = strchr(optarg, ':')))
				usage_error(synopsis, "--sigma: expected lo:hi, not '%s'", optarg);
			*p = '\0';
			o.sigma_min = (float)estrtod(optarg, 0, 1000, "--sigma", synopsis);
			o.sigma_max = (float)estrtod(p + 1, 0, 1000, "--sigma", synopsis);
			if (o.sigma_max <= o.sigma_min)
				usage_error(synopsis, "--sigma: hi must be above lo");
			noise_given = 1;
			break;
		case 'F': o.fixed_noise = 1; break;
		case 'P': o.patch = (size_t)estrtonum(optarg, 4, 4096, "--patch", synopsis); break;
		case 'R': o.repeat = (size_t)estrtonum(optarg, 1, 10000, "--repeat", synopsis); break;
		case 'A': o.augment = 1; break;
		case 'K': o.augment_color = 1; break;
		case 'S': o.val_split = estrtod(optarg, 0, 0.99, "--val-split", synopsis); break;
		case 'X': valarg = optarg; break;
		case 'p': o.patience = (size_t)estrtonum(optarg, 0, 100000, "--patience", synopsis); break;
		case 'M':
			if (strcmp(optarg, "loss") != 0 && strcmp(optarg, "val_loss") != 0)
				usage_error(synopsis, "--monitor: expected loss or val_loss, not '%s'", optarg);
			o.monitor_val = strcmp(optarg, "val_loss") == 0;
			break;
		case 'r':
			o.seed = (uint64_t)estrtonum(optarg, 0, 0x7fffffffffffffffLL, "--seed", synopsis);
			break;
		case 'L': logpath = optarg; break;
		case 'C': ckpt = optarg; break;
		case 'U': resume = 1; break;
		case 'I': init = optarg; break;
		case 'N': dry_run = 1; break;
		case 't': threads = (long)estrtonum(optarg, 1, 256, "-t", synopsis); break;
		case 'v': verbose = 1; break;
		case 'q': quiet = 1; break;
		default: usage(stderr, 2, synopsis, options);
		}
	}
	if (!cfgpath)
		usage_error(synopsis, "-c: a network cfg is required");
	if (!out)
		usage_error(synopsis, "-o: an output model path is required");
	if (argc - optind < 1 || argc - optind > 2)
		usage_error(synopsis, "expected a clean set and optionally a noisy set");
	if (argc - optind == 2 && noise_given)
		usage_error(synopsis, "a noisy set and -m/-s/--sigma exclude each other");
	if (argc - optind == 1 && !noise_given)
		usage_error(synopsis, "give a noisy set, or the noise to draw with -m/-s/--sigma");
	if (o.lr_min >= o.adam.lr)
		usage_error(synopsis, "--lr-min: must be below the rate (-l)");
	if (o.monitor_val && !valarg && o.val_split == 0)
		usage_error(synopsis, "--monitor val_loss needs --val or --val-split");

	/* prepare */
	dist_init(&dist);
	lead = dist.rank == 0;
	if (!ckpt) {
		static char buf[4096];
		snprintf(buf, sizeof buf, "%s.ckpt", out);
		ckpt = buf;
	}
	/* before an hour of training: what would be replaced by a regular file
	 * (a FIFO, a device, a directory) is refused, as packtensor does */
	outs[0] = out;
	outs[1] = ckpt;
	outs[2] = logpath;
	for (c = 0; lead && c < 3; c++)
		if (outs[c] && (errnum = afile_check(outs[c])) != 0)
			die("%s: %s", outs[c], afile_strerror(errnum));
	if (dist.size > 1)
		o.dist = &dist.td;
	/* by default the processes on a machine share its processors */
	if (!threads && (threads = sysconf(_SC_NPROCESSORS_ONLN) / dist.local) < 1)
		threads = 1;
	signal(SIGPIPE, SIG_IGN);
	/* the engine splits work over its own threads; BLAS runs inside
	 * each of them single-threaded */
	t_set_blas_threads(1);
	cfg = slurp(cfgpath);
	srcs[0] = load_set(&clean, argv[optind], dist.size);
	if (argc - optind == 2) {
		srcs[1] = load_set(&noisy, argv[optind + 1], dist.size);
		have_noisy = 1;
	}
	if (valarg) {
		char *comma = strchr(valarg, ',');
		if (comma)
			*comma = '\0';
		srcs[2] = load_set(&vclean, valarg, dist.size);
		have_val = 1;
		if (comma) {
			srcs[3] = load_set(&vnoisy, comma + 1, dist.size);
			have_vnoisy = 1;
		} else if (have_noisy) {
			die("--val: with a noisy training set, give the validation noisy set too");
		}
	}
	if (nn_build(&net, cfg, o.patch ? o.patch : clean.h, o.patch ? o.patch : clean.w,
	             o.batch, NN_TRAIN, &err) != 0)
		die("%s:%d: %s", cfgpath, err.line, err.msg);
	if (nn_set_threads(&net, (int)threads, &err) != 0)
		die("%s", err.msg);
	if (net.out.h != net.in.h || net.out.w != net.in.w || net.out.c != net.in.c)
		die("%s: the network maps %zux%zux%zu to %zux%zux%zu; a denoiser keeps the shape%s",
		    cfgpath, net.in.h, net.in.w, net.in.c, net.out.h, net.out.w, net.out.c,
		    net.out.c == net.in.c ? nearest_sizes(&net) : "");
	rng_seed(&rng, o.seed);
	nn_init(&net, &rng);
	/* a warm start: another run's weights (and BatchNorm statistics), a
	 * fresh optimizer, schedule and data order; --resume then replaces
	 * them with the checkpoint's, so the same command continues the run */
	if (init && model_load_into(init, &net, NULL, NULL, &err) != 0)
		die("--init: %s", err.msg);
	if (tr_init(&tr, &net, &o, &clean, have_noisy ? &noisy : NULL, have_val ? &vclean : NULL,
	            have_vnoisy ? &vnoisy : NULL, &err) != 0)
		die("%s", err.msg);
	if (resume && tr_restore(&tr, ckpt, &err) != 0)
		die("--resume: %s", err.msg);
	/* everything is checked; exit, not return, as die does, so what main
	 * holds is still reachable for the leak checkers */
	if (dry_run)
		exit(fshut(stdout, "<stdout>"));
	if (verbose && lead)
		fprintf(stderr,
		        "daetrain: %zu training and %zu validation images, %zux%zu samples, "
		        "%zu parameters, %.0f MB of activations, %ld threads, %d process%s, "
		        "BLAS core %s\n",
		        tr.ntrain, tr.nval, tr.h, tr.w, net.nparams + net.nstate,
		        (double)(net.nacts + net.nws) * 4 / 1e6, threads, dist.size,
		        dist.size > 1 ? "es" : "", t_blas_corename());
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a hangup too ends the run with a checkpoint, never in the middle of
	 * writing one (which left its temporary file) */
	sigaction(SIGHUP, &sa, NULL);
	/* Open MPI's mpirun forwards SIGUSR1 to every rank, while on SIGINT
	 * and SIGTERM it kills them after a second */
	sigaction(SIGUSR1, &sa, NULL);

	/* train */
	pg.on = lead && progress_wanted(verbose) && !quiet;
	pg.epochs = o.epochs;
	do {
		pg.epoch = tr.epoch + 1;
		st = tr_epoch(&tr, &stop, progress, &pg, &err);
		if (pg.on)
			fputc('\r', stderr);
		if (st == TR_ERROR)
			die("%s", err.msg);
		if (st == TR_STOPPED) {
			if (lead)
				save_checkpoint(&tr, ckpt);
			dist_finish(&dist);
			/* the others leave with 0: mpirun aborts the job at the
			 * first non-zero exit, which could cut rank 0 short */
			if (!lead)
				exit(0);
			die("interrupted in epoch %zu; checkpoint %s; continue with --resume",
			    tr.epoch + 1, ckpt);
		}
		if (st == TR_DONE && tr.pos == 0 && pg.epoch > tr.epoch)
			break;  /* resumed a run that had already finished */
		if (!lead)
			continue;
		save_checkpoint(&tr, ckpt);
		if (logpath)
			write_log(logpath, &tr);
		if (!quiet) {
			const struct tr_epoch *e = &tr.hist[tr.epoch - 1];
			double ips = (double)(tr.ntrain * tr.o.repeat) / e->seconds;
			fprintf(stderr, "daetrain: epoch %zu/%zu: loss %.6f", tr.epoch, o.epochs, e->loss);
			if (tr.nval)
				fprintf(stderr, ", val_loss %.6f, val_psnr %.2f dB", e->val_loss,
				        e->val_psnr);
			fprintf(stderr, ", %.1f img/s, %.0f s, eta %.0f min%s\n", ips, e->seconds,
			        (double)(o.epochs - tr.epoch) * e->seconds / 60,
			        st == TR_DONE && tr.epoch < o.epochs ? " (early stop)" : "");
		}
	} while (st == TR_EPOCH);

	/* clean up */
	if (lead && model_save(out, &net, NULL, 0, &errnum) != 0)
		die("%s: %s", out, afile_strerror(errnum));
	tr_free(&tr);
	nn_free(&net);
	clean.release(&clean);
	if (have_noisy)
		noisy.release(&noisy);
	if (have_val)
		vclean.release(&vclean);
	if (have_vnoisy)
		vnoisy.release(&vnoisy);
	for (c = 0; c < 4; c++)
		src_close(srcs[c]);
	free(cfg);
	dist_finish(&dist);
	return fshut(stdout, "<stdout>");
}
