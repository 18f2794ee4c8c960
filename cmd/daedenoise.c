/* daedenoise: denoise photos, files or folders of them, keeping their names
 * and formats. The front door for photos to what imgresize | daeinfer |
 * unpack do as a stream, built on the public library (lib/api/dae.h).
 * Not a stream filter: it reads and writes files. Every output is checked
 * before any work, written atomically, and a failed input makes exit 1. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modelpath.h"
#include "util.h"
#include "../lib/api/dae.h"
#include "../lib/image/image.h"
#include "../lib/image/jpegq.h"
#include "../lib/image/meta.h"
#include "../lib/io/afile.h"

static const char synopsis[] =
	"[-fv] [-q quality] [-t threads] [--tile n] [-w model] [--sigma s | --strength f] "
	"[-o out] file|dir ...";

static const char options[] =
	"  -o, --output out     the output file for one input, or a folder (made if\n"
	"                       missing) for several; default: beside each input as\n"
	"                       NAME.denoised.EXT\n"
	"  -w, --weights model  a model file or name (default " MODEL_DEFAULT ")\n"
	"  --strength f         0..1, blend with the input: 1 (default) is fully denoised\n"
	"  --sigma s            the noise level (std, 0..255), for a model that takes\n"
	"                       one; default: estimated from each photo\n"
	"  -q, --quality q      JPEG quality 1..100 (default: the input's, estimated)\n"
	"  -f, --force          replace existing outputs\n"
	"  -t, --threads n      threads (default: the online processors)\n"
	"  --tile n             largest tile side in pixels (default 1024)\n"
	"  -v, --verbose        progress on stderr even when it is not a terminal\n"
	"  -h, --help           print this and exit\n"
	"  --version            print the version and exit\n";

/* how much of each input is searched for EXIF, XMP and an ICC profile */
#define HEAD ((size_t)4 << 20)

struct job {
	char *in, *out;
};

static char *
xstrdup(const char *s)
{
	char *p = emalloc(strlen(s) + 1);

	return strcpy(p, s);
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* an image by its extension, as a folder is listed */
static int
image_name(const char *name)
{
	static const char *const ext[] = { ".jpg", ".jpeg", ".png", ".ppm", ".pgm" };
	const char *dot = strrchr(name, '.');
	size_t i;

	if (name[0] == '.' || !dot)
		return 0;
	for (i = 0; i < sizeof ext / sizeof ext[0]; i++)
		if (strcasecmp(dot, ext[i]) == 0)
			return 1;
	return 0;
}

static char *
join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	char *p = emalloc(n + strlen(name) + 2);

	sprintf(p, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
	return p;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* add the inputs of one operand: the file, or the images of the folder,
 * in name order */
static void
add_inputs(const char *arg, struct job **jobs, size_t *n, size_t *cap)
{
	char **names = NULL;
	size_t k = 0, kcap = 0, i;
	struct dirent *e;
	DIR *d;

	if (!is_dir(arg)) {
		if (*n == *cap)
			*jobs = ereallocarray(*jobs, *cap = *cap ? 2 * *cap : 16, sizeof **jobs);
		(*jobs)[(*n)++].in = xstrdup(arg);
		return;
	}
	if (!(d = opendir(arg)))
		die("%s:", arg);
	while ((errno = 0, e = readdir(d))) {
		if (!image_name(e->d_name))
			continue;
		if (k == kcap)
			names = ereallocarray(names, kcap = kcap ? 2 * kcap : 16, sizeof *names);
		names[k++] = join(arg, e->d_name);
	}
	if (errno)
		die("%s:", arg);
	closedir(d);
	qsort(names, k, sizeof *names, by_name);
	for (i = 0; i < k; i++) {
		if (*n == *cap)
			*jobs = ereallocarray(*jobs, *cap = *cap ? 2 * *cap : 16, sizeof **jobs);
		(*jobs)[(*n)++].in = names[i];
	}
	free(names);
	if (k == 0)
		warn("%s: no JPEG, PNG, PPM or PGM files", arg);
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* NAME.EXT -> NAME.denoised.EXT beside the input */
static char *
beside(const char *in)
{
	const char *dot = strrchr(base_name(in), '.');
	size_t n = dot ? (size_t)(dot - in) : strlen(in);
	char *p = emalloc(strlen(in) + sizeof ".denoised");

	sprintf(p, "%.*s.denoised%s", (int)n, in, dot ? dot : "");
	return p;
}

/* refuse, before any work, an output that cannot be written or would be
 * written twice */
static void
check_outputs(struct job *jobs, size_t n, int force)
{
	size_t i, j;
	struct stat st;

	for (i = 0; i < n; i++) {
		char *dir = xstrdup(jobs[i].out), *s = strrchr(dir, '/');
		if (s)
			s[s == dir] = '\0';
		else
			strcpy(dir, ".");
		if (access(dir, W_OK | X_OK) != 0)
			die("%s: cannot write in this folder:", dir);
		free(dir);
		if (afile_check(jobs[i].out) == AFILE_ENOTREG)
			die("%s: not a regular file", jobs[i].out);
		if (!force && lstat(jobs[i].out, &st) == 0)
			die("%s: file exists (-f replaces it)", jobs[i].out);
		for (j = 0; j < i; j++)
			if (strcmp(jobs[i].out, jobs[j].out) == 0)
				die("%s and %s would both be written to %s", jobs[j].in, jobs[i].in,
				    jobs[i].out);
	}
}

struct shown {
	size_t done, n;
	const char *name;
	int on;
};

static int
show(void *arg, size_t done, size_t total)
{
	struct shown *s = arg;

	if (s->on)
		fprintf(stderr, "\rdaedenoise: %zu of %zu images, %s %3zu%%", s->done, s->n, s->name,
		        done * 100 / total);
	return 0;
}

/* The pixels of one photo as the model sees them, RGB of 8 bits or float
 * on 0..1 (16 bits in), and what passes it by: the alpha, whose samples
 * are copied untouched, and the channels and depth to write. */
struct pixels {
	unsigned char *px;      /* as decoded: ich samples of depth bits */
	unsigned char *alpha;   /* the alpha samples, or NULL */
	float *f;               /* RGB on 0..1 for 16 bits, or NULL */
	size_t n;               /* pixels */
	unsigned ich, och, depth;
};

/* split takes the decoded samples apart: RGB for the model (packed in px
 * for 8 bits, in f for 16), alpha aside; 0, or -1 out of memory */
static int
split(struct pixels *p)
{
	size_t i, bytes = p->depth / 8;
	unsigned c;
	uint16_t v;

	if (p->ich == 4) {
		if (!(p->alpha = malloc(p->n * bytes)))
			return -1;
		for (i = 0; i < p->n; i++)
			memcpy(p->alpha + i * bytes, p->px + (4 * i + 3) * bytes, bytes);
	}
	if (p->depth == 8) {
		/* forward: pixel i moves from 4i to 3i */
		if (p->ich == 4)
			for (i = 0; i < p->n; i++)
				memmove(p->px + 3 * i, p->px + 4 * i, 3);
		return 0;
	}
	if (!(p->f = malloc(p->n * 3 * sizeof *p->f)))
		return -1;
	for (i = 0; i < p->n; i++)
		for (c = 0; c < 3; c++) {
			memcpy(&v, p->px + 2 * (i * p->ich + c), 2);
			p->f[3 * i + c] = v * (1.0f / 65535);
		}
	return 0;
}

/* merge puts the model's RGB and the alpha back into px as och samples: a
 * gray output takes the mean of R, G and B, which the model sees equal and
 * may tint a little apart */
static void
merge(struct pixels *p)
{
	size_t i, k, bytes = p->depth / 8, gray = p->och <= 2;
	unsigned c, v[3];
	uint16_t s;
	float f;

	/* 8 bits in place: forward when pixels shrink, backward when they
	 * grow to RGBA, so each is read before it is written over */
	for (k = 0; k < p->n; k++) {
		i = p->och == 4 && p->depth == 8 ? p->n - 1 - k : k;
		for (c = 0; c < 3; c++) {
			if (p->depth == 8) {
				v[c] = p->px[3 * i + c];
			} else {
				f = p->f[3 * i + c] * 65535 + 0.5f;
				v[c] = f <= 0 ? 0 : f >= 65535 ? 65535 : (unsigned)f;
			}
		}
		if (gray)
			v[0] = (v[0] + v[1] + v[2] + 1) / 3;
		for (c = 0; c < (gray ? 1u : 3u); c++) {
			if (p->depth == 8) {
				p->px[i * p->och + c] = (unsigned char)v[c];
			} else {
				s = (uint16_t)v[c];
				memcpy(p->px + 2 * (i * p->och + c), &s, 2);
			}
		}
		if (p->alpha)
			memcpy(p->px + (i * p->och + p->och - 1) * bytes, p->alpha + i * bytes, bytes);
	}
}

/* denoise one file; 0, or -1 after saying why */
static int
one(const struct job *j, dae_model *m, struct img_reader *r, const struct dae_options *o,
    int quality, int force)
{
	struct img_info info;
	struct dae_image img = { NULL, DAE_U8, 0, 0, 0 };
	struct img_meta meta = { NULL, 0, 0, 1 };
	struct pixels p = { NULL, NULL, NULL, 0, 0, 0, 0 };
	struct afile af;
	enum img_err ie;
	enum img_format fmt;
	unsigned char *head = NULL;
	char err[256], *enc = NULL;
	size_t enclen = 0;
	ssize_t got = 0;
	FILE *mem;
	int fd, e, rc = -1;

	if ((fd = open(j->in, O_RDONLY)) < 0) {
		warn("%s:", j->in);
		return -1;
	}
	img_reader_start(r, fd);
	if ((ie = img_read_header(r, &info)) != IMG_OK) {
		warn("%s: %s", j->in, ie == IMG_END ? "empty file" : img_reader_message(r));
		goto out;
	}
	/* the input's JPEG quality, from its quantization tables, and its
	 * EXIF, XMP and ICC profile, from its first bytes */
	if ((head = malloc(HEAD)) && (got = pread(fd, head, HEAD, 0)) < 0)
		got = 0;
	if (!head || meta_read(&meta, info.format, head, (size_t)got) != 0) {
		warn("%s: out of memory", j->in);
		goto out;
	}
	if (info.format == IMG_JPEG && quality == 0)
		quality = jpeg_quality(head, (size_t)got);
	if (quality == 0)
		quality = 90;
	if (info.orientation != 1 && meta.exif && meta.orientation != 1)
		warn("%s: EXIF orientation %u applied to the pixels, but the tag could not be "
		     "reset: copied as it is", j->in, info.orientation);
	/* gray in, gray out; alpha passed by; 16 bits through the model in
	 * float */
	p.n = (size_t)info.width * info.height;
	p.depth = info.depth == 16 && info.format != IMG_JPEG ? 16 : 8;
	p.ich = info.alpha ? 4 : 3;
	p.och = (info.channels == 1 ? 1 : 3) + (info.alpha ? 1 : 0);
	if (!(p.px = malloc(p.n * p.ich * (p.depth / 8)))) {
		warn("%s: out of memory", j->in);
		goto out;
	}
	if ((ie = img_read_samples(r, p.px, p.n * p.ich * (p.depth / 8), p.ich, p.depth)) !=
	    IMG_OK) {
		warn("%s: %s", j->in, img_reader_message(r));
		goto out;
	}
	if (split(&p) != 0) {
		warn("%s: out of memory", j->in);
		goto out;
	}
	img.width = info.width;
	img.height = info.height;
	img.data = p.f ? (void *)p.f : p.px;
	img.format = p.f ? DAE_F32 : DAE_U8;
	if (dae_denoise(m, &img, &img, o, err, sizeof err) != DAE_OK) {
		warn("%s: %s", j->in, err);
		goto out;
	}
	merge(&p);
	fmt = info.format == IMG_PGM ? IMG_PPM : info.format;
	/* encoded in memory first, so the metadata can go in after its header */
	if (!(mem = open_memstream(&enc, &enclen))) {
		warn("%s: out of memory", j->in);
		goto out;
	}
	ie = img_write_samples(mem, fmt, p.px, info.height, info.width, p.och, p.depth, quality);
	if (fclose(mem) != 0 && ie == IMG_OK)
		ie = IMG_ENOMEM;
	if (ie != IMG_OK) {
		warn("%s: %s", j->out, img_strerror(ie));
		goto out;
	}
	tmp_hold();
	if ((e = afile_open(&af, j->out)) != 0) {
		tmp_release();
		errno = e;
		warn("%s: %s", j->out, afile_strerror(e));
		goto out;
	}
	tmp_register(af.tmp);
	tmp_release();
	if (meta_splice(af.fp, fmt, (unsigned char *)enc, enclen, &meta) != 0) {
		e = errno;
		afile_abort(&af);
		tmp_clear();
		warn("%s: %s", j->out, strerror(e));
		goto out;
	}
	e = afile_commit(&af, force ? 0 : AFILE_NOREPLACE);
	tmp_clear();
	if (e != 0) {
		warn("%s: %s", j->out, e == EEXIST ? "file exists" : afile_strerror(e));
		goto out;
	}
	rc = 0;
out:
	meta_free(&meta);
	free(enc);
	free(head);
	free(p.px);
	free(p.alpha);
	free(p.f);
	close(fd);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "force", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quality", required_argument, NULL, 'q' },
		{ "threads", required_argument, NULL, 't' },
		{ "tile", required_argument, NULL, 'T' },
		{ "weights", required_argument, NULL, 'w' },
		{ "output", required_argument, NULL, 'o' },
		{ "strength", required_argument, NULL, 'S' },
		{ "sigma", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *model = MODEL_DEFAULT, *out = NULL;
	struct job *jobs = NULL;
	struct dae_options o;
	struct img_reader *r;
	struct shown sh = { 0, 0, NULL, 0 };
	dae_model *m;
	char *path, err[256];
	size_t n = 0, cap = 0, i, failed = 0;
	long threads = sysconf(_SC_NPROCESSORS_ONLN);
	int c, force = 0, verbose = 0, quality = 0, strength = 0;
	float sigma = -1;       /* -1: the model's way (estimated, or blind) */

	/* arguments */
	argv0 = "daedenoise";
	argv[0] = (char *)argv0;
	dae_options_init(&o);
	while ((c = getopt_long(argc, argv, "hfvq:t:w:o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout, 0, synopsis, options); break;
		case 'V': print_version(); break;
		case 'f': force = 1; break;
		case 'v': verbose = 1; break;
		case 'q': quality = (int)estrtonum(optarg, 1, 100, "-q", synopsis); break;
		case 't': threads = (long)estrtonum(optarg, 1, 256, "-t", synopsis); break;
		case 'T': o.tile = (size_t)estrtonum(optarg, 16, 16384, "--tile", synopsis); break;
		case 'w': model = optarg; break;
		case 'o': out = optarg; break;
		case 'S': o.strength = (float)estrtod(optarg, 0, 1, "--strength", synopsis);
			strength = 1;
			break;
		case 's': sigma = (float)estrtod(optarg, 0, 255, "--sigma", synopsis); break;
		default: usage(stderr, 2, synopsis, options);
		}
	}
	if (optind == argc)
		usage_error(synopsis, "no file or folder to denoise");
	if (sigma >= 0 && strength)
		usage_error(synopsis, "--sigma and --strength: one or the other");
	o.threads = threads < 1 ? 1 : threads > 256 ? 256 : (int)threads;

	/* prepare: every input and output known and checked before any work */
	for (i = (size_t)optind; i < (size_t)argc; i++)
		add_inputs(argv[i], &jobs, &n, &cap);
	if (n == 0)
		die("no images to denoise");
	if (out && (n > 1 || is_dir(argv[optind]) || is_dir(out) ||
	            out[strlen(out) - 1] == '/')) {
		if (mkdir(out, 0777) != 0 && errno != EEXIST)
			die("%s:", out);
		if (!is_dir(out))
			die("%s: not a folder, and %zu images to write", out, n);
	}
	for (i = 0; i < n; i++)
		jobs[i].out = !out ? beside(jobs[i].in)
		              : is_dir(out) ? join(out, base_name(jobs[i].in)) : xstrdup(out);
	check_outputs(jobs, n, force);
	if (model_find(model, &path) != 0) {
		if (errno == ENOENT)
			die("%s: no such model file, nor a model of that name in %s", model,
			    model_dirs());
		die("%s:", model);
	}
	if (dae_model_load(&m, path, err, sizeof err) != DAE_OK)
		die("%s", err);
	if (dae_model_set_sigma(m, sigma) != DAE_OK)
		die("%s: this model takes no noise level (it is blind); use --strength", path);
	if (!(r = img_reader_new(NULL)))
		die("out of memory");
	install_signal_cleanup();
	sh.n = n;
	sh.on = progress_wanted(verbose);
	o.progress = show;
	o.user = &sh;

	/* denoise */
	for (i = 0; i < n; i++) {
		sh.done = i;
		sh.name = base_name(jobs[i].in);
		show(&sh, 0, 1);
		if (one(&jobs[i], m, r, &o, quality, force) != 0)
			failed++;
	}
	if (sh.on)
		fprintf(stderr, "\rdaedenoise: %zu of %zu images written%20s\n", n - failed, n, "");
	if (failed)
		warn("%zu of %zu images failed", failed, n);

	/* clean up */
	for (i = 0; i < n; i++) {
		free(jobs[i].in);
		free(jobs[i].out);
	}
	free(jobs);
	free(path);
	img_reader_free(r);
	dae_model_free(m);
	return failed ? 1 : fshut(stdout, "<stdout>");
}
