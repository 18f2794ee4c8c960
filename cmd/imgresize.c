/* imgresize: decode JPEG, PNG and PPM/PGM images, resize them, and write
 * them as a tensor stream of u8 RGB records, one per image.
 * Resizing is cv2.resize's INTER_LINEAR (the tutorial's cv2.resize(img,
 * (300, 300))), or INTER_AREA averaging with -a; large JPEGs are decoded at
 * a reduced size by libjpeg's DCT scaling first unless -F. Images come from
 * the named files in order, or from standard input, where several may be
 * concatenated. A bad image is reported and skipped. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "../lib/image.h"
#include "../lib/stream.h"

static const char synopsis[] =
	"[-v] [-a] [-F] [--strict] [--max-pixels n] size [file ...]";

/* what to do with every image, and the buffers reused across images */
struct run {
	struct img_reader *r;
	struct ts_writer w;
	uint32_t h, w_;         /* fixed output size, or 0 with pct */
	double pct;             /* P% of each image's size */
	uint64_t max_pixels;
	enum img_filter filter;
	int strict, verbose, progress, dct, progress_shown;
	size_t ninputs, nimages, nskipped;
	unsigned char *in, *out;
	void *scratch;
	size_t incap, outcap, scap;
};

static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: %s %s\n", argv0, synopsis);
	/* a failed --help on stdout (a full disk) is an error too */
	exit(status ? status : fshut(fp, "<stdout>"));
}

/* parse_size reads N (N x N), WxH, or P% */
static void
parse_size(struct run *run, const char *s)
{
	const char *x = strchr(s, 'x');
	size_t n = strlen(s);
	char buf[32];

	if (n > 0 && s[n - 1] == '%') {
		if (n >= sizeof buf)
			usage_error(synopsis, "size: not a size: '%s'", s);
		memcpy(buf, s, n - 1);
		buf[n - 1] = '\0';
		run->pct = estrtod(buf, 0.001, 1000, "size", synopsis);
		return;
	}
	if (x) {
		if ((size_t)(x - s) >= sizeof buf)
			usage_error(synopsis, "size: not a size: '%s'", s);
		memcpy(buf, s, (size_t)(x - s));
		buf[x - s] = '\0';
		run->w_ = (uint32_t)estrtonum(buf, 1, IMG_MAX_DIM, "size: width", synopsis);
		run->h = (uint32_t)estrtonum(x + 1, 1, IMG_MAX_DIM, "size: height", synopsis);
	} else {
		run->h = run->w_ = (uint32_t)estrtonum(s, 1, IMG_MAX_DIM, "size", synopsis);
	}
}

static void
clear_progress(struct run *run)
{
	if (run->progress_shown) {
		fputc('\n', stderr);
		run->progress_shown = 0;
	}
}

/* skip reports a bad input by file name, or by position on standard input,
 * and goes on; with --strict it is the end */
static void
skip(struct run *run, const char *name, const struct img_info *info, const char *what)
{
	char where[300];

	clear_progress(run);
	if (!name)
		snprintf(where, sizeof where, "input %zu (byte %llu)", info->index,
		         (unsigned long long)info->offset);
	else if (info->offset)
		snprintf(where, sizeof where, "%s (byte %llu)", name,
		         (unsigned long long)info->offset);
	else
		snprintf(where, sizeof where, "%s", name);
	if (run->strict)
		die("%s: %s", where, what);
	warn("%s: %s, skipped", where, what);
	run->nskipped++;
}

static void *
grow(void *p, size_t *cap, size_t n)
{
	if (n <= *cap)
		return p;
	*cap = n;
	return ereallocarray(p, n, 1);
}

/* one image: decode (reduced if that still covers the target), resize,
 * write. Returns an image error for skip(), having said nothing. */
static enum img_err
convert(struct run *run, const struct img_info *info, const char *name, char *msg,
        size_t msglen)
{
	struct ts_header hd;
	uint32_t th = run->h, tw = run->w_, h, w;
	unsigned char *out;
	size_t n;
	enum img_err e;

	if (run->pct > 0) {
		th = (uint32_t)fmax(1, floor(info->height * run->pct / 100 + 0.5));
		tw = (uint32_t)fmax(1, floor(info->width * run->pct / 100 + 0.5));
	}
	if ((uint64_t)th * tw > run->max_pixels || th > IMG_MAX_DIM || tw > IMG_MAX_DIM) {
		snprintf(msg, msglen, "output of %lu x %lu pixels is over the limit of %llu",
		         (unsigned long)tw, (unsigned long)th, (unsigned long long)run->max_pixels);
		e = img_skip_image(run->r);
		return e == IMG_OK ? IMG_ELIMIT : e;
	}
	h = info->height;
	w = info->width;
	if (run->dct && (e = img_set_target(run->r, th, tw, &h, &w)) != IMG_OK)
		return e;
	n = (size_t)h * w * 3;
	run->in = grow(run->in, &run->incap, n);
	if ((e = img_read_pixels(run->r, run->in, n)) != IMG_OK)
		return e;
	if (run->verbose && img_reader_warnings(run->r)) {
		clear_progress(run);
		warn("%s: %u decoder warnings (corrupt data decoded past)",
		     name ? name : "<stdin>", img_reader_warnings(run->r));
	}
	out = run->in;
	if (h != th || w != tw) {
		n = img_resize_scratch(th, tw, h, w, 3, run->filter);
		run->scratch = grow(run->scratch, &run->scap, n);
		run->out = grow(run->out, &run->outcap, (size_t)th * tw * 3);
		if ((e = img_resize(run->out, th, tw, run->in, h, w, 3, run->filter, run->scratch,
		                    run->scap)) != IMG_OK)
			return e;
		out = run->out;
	}
	if (ts_image_header(&hd, th, tw, 3, TS_U8, NULL) != TS_OK) {
		snprintf(msg, msglen, "output of %lu x %lu pixels does not fit a record",
		         (unsigned long)tw, (unsigned long)th);
		return IMG_ELIMIT;
	}
	if (name)
		ts_set_name(&hd, name);
	if (ts_write_header(&run->w, &hd) != TS_OK ||
	    ts_write_payload(&run->w, out, ts_payload_size(&hd)) != TS_OK ||
	    ts_writer_finish(&run->w) != TS_OK)
		die_write(run->w.errnum);
	run->nimages++;
	if (run->progress) {
		fprintf(stderr, "\rimgresize: %zu images", run->nimages);
		run->progress_shown = 1;
	}
	return IMG_OK;
}

/* input reads every image from fd; name is NULL for standard input */
static void
input(struct run *run, int fd, const char *name)
{
	struct img_info info;
	size_t before = run->ninputs;
	char msg[300];
	enum img_err e;

	img_reader_start(run->r, fd);
	while ((e = img_read_header(run->r, &info)) != IMG_END) {
		msg[0] = '\0';
		if (e == IMG_OK)
			e = convert(run, &info, name, msg, sizeof msg);
		if (e == IMG_OK) {
			run->ninputs++;
			continue;
		}
		if (e == IMG_ENOMEM)
			die("%s: out of memory", name ? name : "<stdin>");
		if (e == IMG_EIO) {
			/* a broken standard input ends the run; a bad file is one input */
			errno = img_reader_errno(run->r);
			if (!name)
				die("<stdin>: read:");
			snprintf(msg, sizeof msg, "read: %s", strerror(errno));
		}
		run->ninputs++;
		skip(run, name, &info, msg[0] ? msg : img_reader_message(run->r));
		if (e == IMG_EIO)
			break;
	}
	if (name && run->ninputs == before) {
		memset(&info, 0, sizeof info);
		run->ninputs++;
		skip(run, name, &info, "empty file");
	}
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "strict", no_argument, NULL, 's' },
		{ "max-pixels", required_argument, NULL, 'm' },
		{ "antialias", no_argument, NULL, 'a' },
		{ "full-decode", no_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct run run;
	struct img_opt opt;
	struct img_info none;
	int c, i, fd;

	/* arguments */
	argv0 = "imgresize";
	/* getopt names argv[0] in its messages */
	argv[0] = (char *)argv0;
	memset(&run, 0, sizeof run);
	run.max_pixels = IMG_DEFAULT_MAX_PIXELS;
	run.filter = IMG_LINEAR;
	run.dct = 1;
	while ((c = getopt_long(argc, argv, "haFv", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout, 0); break;
		case 'V': print_version(); break;
		case 's': run.strict = 1; break;
		case 'm':
			run.max_pixels = (uint64_t)estrtonum(optarg, 1, 1000000000, "--max-pixels",
			                                     synopsis);
			break;
		case 'a': run.filter = IMG_AREA; break;
		case 'F': run.dct = 0; break;
		case 'v': run.verbose = 1; break;
		default: usage(stderr, 2);
		}
	}
	if (optind >= argc)
		usage_error(synopsis, "missing size");
	parse_size(&run, argv[optind++]);
	if ((uint64_t)run.h * run.w_ > run.max_pixels)
		usage_error(synopsis, "size: %lu x %lu is over --max-pixels %llu",
		            (unsigned long)run.w_, (unsigned long)run.h,
		            (unsigned long long)run.max_pixels);

	/* prepare */
	signal(SIGPIPE, SIG_IGN);
	opt.max_pixels = run.max_pixels;
	if (!(run.r = img_reader_new(&opt)))
		die("out of memory");
	run.progress = progress_wanted(run.verbose);
	ts_writer_init(&run.w, stdout);

	/* write data */
	if (optind == argc)
		input(&run, 0, NULL);
	for (i = optind; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			input(&run, 0, NULL);
			continue;
		}
		if ((fd = open(argv[i], O_RDONLY)) < 0) {
			memset(&none, 0, sizeof none);
			run.ninputs++;
			skip(&run, argv[i], &none, strerror(errno));
			continue;
		}
		input(&run, fd, argv[i]);
		close(fd);
	}
	clear_progress(&run);
	if (run.nskipped)
		warn("%zu of %zu inputs skipped", run.nskipped, run.ninputs);

	/* clean up */
	img_reader_free(run.r);
	free(run.in);
	free(run.out);
	free(run.scratch);
	if (ts_writer_finish(&run.w) != TS_OK)
		die_write(run.w.errnum);
	return fshut(stdout, "<stdout>");
}
