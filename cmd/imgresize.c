/* imgresize: decode JPEG, PNG and PPM/PGM images, resize them, and write
 * them as a tensor stream of u8 RGB records, one per image.
 * Resizing is cv2.resize's INTER_LINEAR (the tutorial's cv2.resize(img,
 * (300, 300))), or INTER_AREA averaging with -a; large JPEGs are decoded at
 * a reduced size by libjpeg's DCT scaling first unless -F. Images come from
 * the named files in order, or from standard input, where several may be
 * concatenated. A bad image is reported and skipped.
 *
 * Named files are decoded by -t threads at once, each file whole by one
 * thread, and written in the files' order, so the output and the messages
 * are those of one thread; standard input is read by one. A thread hands
 * over each image's record and messages as it finishes them and waits
 * while the previous one is still unwritten, so a file of a million images
 * (or /dev/stdin named as a file) needs memory for two images a thread, not
 * for the file's whole output. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "../lib/image/image.h"
#include "../lib/io/stream.h"

static const char synopsis[] =
	"[-v] [-a] [-F] [--strict] [--max-pixels n] [-t threads] size [file ...]";

/* every option, for --help */
static const char options[] =
	"  -a, --antialias      average where shrinking (INTER_AREA); default bilinear\n"
	"  -F, --full-decode    decode JPEGs at full size, without DCT scaling\n"
	"  --strict             a bad input is fatal\n"
	"  --max-pixels n       refuse larger images, 1..1000000000 (default 100000000)\n"
	"  -t, --threads n      files decoded at once, 1..64 (default: the online\n"
	"                       processors)\n"
	"  -v, --verbose        progress and JPEG warnings on stderr\n"
	"  -h, --help           print this and exit\n"
	"  --version            print the version and exit\n";

/* what to do with every image */
struct settings {
	uint32_t h, w_;         /* fixed output size, or 0 with pct */
	double pct;             /* P% of each image's size */
	uint64_t max_pixels;
	enum img_filter filter;
	int strict, verbose, progress, dct;
};

struct pool;
struct job;

/* one thread's reader and buffers, and where its output goes: stdout and
 * stderr (messages straight out, --strict and fatal errors exit), or
 * memory, one image at a time, handed to the writer (fatal errors stop the
 * file and are kept for the writer) */
struct run {
	const struct settings *set;
	struct img_reader *r;
	struct ts_writer w;
	FILE *msg;              /* stderr, or the image's messages */
	int direct;             /* stdout and stderr */
	struct pool *pool;      /* a worker's */
	struct job *job;        /* the worker's file */
	FILE *rec;              /* the image's record */
	char *data, *msgs;      /* rec's and msg's buffers */
	size_t len, mlen;
	int fatal;              /* memory: a message that ends the run is in msg */
	int progress_shown;
	size_t ninputs, nimages, nskipped;
	unsigned char *in, *out;
	void *scratch;
	size_t incap, outcap, scap;
};

/* say prints "imgresize: message" to the run's messages */
static void say(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(struct run *run, const char *fmt, ...)
{
	va_list ap;

	if (!run->msg)
		return;         /* a worker whose writer has stopped */
	va_start(ap, fmt);
	vmessage(run->msg, NULL, fmt, ap);
	va_end(ap);
}

/* parse_size reads N (N x N), WxH, or P% */
static void
parse_size(struct settings *run, const char *s)
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
	run->nskipped++;
	if (run->set->strict) {
		if (run->direct)
			die("%s: %s", where, what);
		say(run, "%s: %s", where, what);
		run->fatal = 1;
		return;
	}
	say(run, "%s: %s, skipped", where, what);
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
	const struct settings *set = run->set;
	struct ts_header hd;
	uint32_t th = set->h, tw = set->w_, h, w;
	unsigned char *out;
	size_t n;
	enum img_err e;

	if (set->pct > 0) {
		th = (uint32_t)fmax(1, floor(info->height * set->pct / 100 + 0.5));
		tw = (uint32_t)fmax(1, floor(info->width * set->pct / 100 + 0.5));
	}
	if ((uint64_t)th * tw > set->max_pixels || th > IMG_MAX_DIM || tw > IMG_MAX_DIM) {
		snprintf(msg, msglen, "output of %lu x %lu pixels is over the limit of %llu",
		         (unsigned long)tw, (unsigned long)th, (unsigned long long)set->max_pixels);
		e = img_skip_image(run->r);
		return e == IMG_OK ? IMG_ELIMIT : e;
	}
	h = info->height;
	w = info->width;
	if (set->dct && (e = img_set_target(run->r, th, tw, &h, &w)) != IMG_OK)
		return e;
	n = (size_t)h * w * 3;
	run->in = grow(run->in, &run->incap, n);
	if ((e = img_read_pixels(run->r, run->in, n)) != IMG_OK)
		return e;
	if (set->verbose && img_reader_warnings(run->r)) {
		clear_progress(run);
		say(run, "%s: %u decoder warnings (corrupt data decoded past)",
		    name ? name : "<stdin>", img_reader_warnings(run->r));
	}
	out = run->in;
	if (h != th || w != tw) {
		n = img_resize_scratch(th, tw, h, w, 3, set->filter);
		run->scratch = grow(run->scratch, &run->scap, n);
		run->out = grow(run->out, &run->outcap, (size_t)th * tw * 3);
		if ((e = img_resize(run->out, th, tw, run->in, h, w, 3, set->filter, run->scratch,
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
	    ts_writer_finish(&run->w) != TS_OK) {
		if (run->direct)
			die_write(run->w.errnum);
		return IMG_ENOMEM;      /* a memory stream fails only so */
	}
	run->nimages++;
	if (set->progress && run->direct) {
		fprintf(stderr, "\rimgresize: %zu images", run->nimages);
		run->progress_shown = 1;
	}
	return IMG_OK;
}

static void hand_over(struct run *run);

/* input reads every image from fd; name is NULL for standard input */
static void
input(struct run *run, int fd, const char *name)
{
	struct img_info info;
	size_t before = run->ninputs;
	char msg[300];
	enum img_err e;

	img_reader_start(run->r, fd);
	while (!run->fatal && (e = img_read_header(run->r, &info)) != IMG_END) {
		msg[0] = '\0';
		if (e == IMG_OK)
			e = convert(run, &info, name, msg, sizeof msg);
		if (e == IMG_OK) {
			run->ninputs++;
			hand_over(run);
			continue;
		}
		if (e == IMG_ENOMEM) {
			if (run->direct)
				die("%s: out of memory", name ? name : "<stdin>");
			say(run, "%s: out of memory", name);
			run->fatal = 1;
			return;
		}
		if (e == IMG_EIO) {
			/* a broken standard input ends the run; a bad file is one input */
			errno = img_reader_errno(run->r);
			if (!name)
				die("<stdin>: read:");
			snprintf(msg, sizeof msg, "read: %s", strerror(errno));
		}
		run->ninputs++;
		skip(run, name, &info, msg[0] ? msg : img_reader_message(run->r));
		hand_over(run);
		if (e == IMG_EIO)
			break;
	}
	if (name && run->ninputs == before && !run->fatal) {
		memset(&info, 0, sizeof info);
		run->ninputs++;
		skip(run, name, &info, "empty file");
	}
}

/* one named file (or - for standard input): its images, or why not */
static void
do_file(struct run *run, const char *name)
{
	struct img_info none;
	int fd;

	if (strcmp(name, "-") == 0) {
		input(run, 0, NULL);
		return;
	}
	if ((fd = open(name, O_RDONLY)) < 0) {
		memset(&none, 0, sizeof none);
		run->ninputs++;
		skip(run, name, &none, strerror(errno));
		return;
	}
	input(run, fd, name);
	close(fd);
}

static void
run_free(struct run *run)
{
	img_reader_free(run->r);
	free(run->in);
	free(run->out);
	free(run->scratch);
}

/* ---------------------------------------------------------------------- */
/* named files over threads */

struct job {
	const char *name;
	char *data, *msgs;      /* a finished image's record and messages */
	size_t len, mlen;
	int ready;              /* data and msgs wait for the writer */
	size_t ninputs, nimages, nskipped;
	int fatal, done;
};

struct pool {
	const struct settings *set;
	struct job *jobs;
	size_t n, next, written, window;
	int stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static int
open_piece(struct run *run)
{
	run->data = run->msgs = NULL;
	run->len = run->mlen = 0;
	run->rec = open_memstream(&run->data, &run->len);
	run->msg = open_memstream(&run->msgs, &run->mlen);
	if (!run->rec || !run->msg) {
		if (run->rec)
			fclose(run->rec);
		if (run->msg)
			fclose(run->msg);
		free(run->data);
		free(run->msgs);
		run->rec = run->msg = NULL;
		return -1;
	}
	ts_writer_init(&run->w, run->rec);
	return 0;
}

/* close_piece ends the image's memory streams: 0, or -1 when memory ran
 * out (what they hold is then incomplete and freed) */
static int
close_piece(struct run *run)
{
	int bad = !run->rec || ts_writer_finish(&run->w) != TS_OK;

	if (run->rec && fclose(run->rec) != 0)
		bad = 1;
	if (run->msg && fclose(run->msg) != 0)
		bad = 1;
	run->rec = run->msg = NULL;
	if (bad) {
		free(run->data);
		free(run->msgs);
		run->data = run->msgs = NULL;
		run->len = run->mlen = 0;
		return -1;
	}
	return 0;
}

/* hand_over gives the writer what the worker made since the last call (one
 * image's record and messages), after it has written the one before, and
 * starts the next piece. Nothing for standard output itself. */
static void
hand_over(struct run *run)
{
	struct pool *p = run->pool;
	struct job *j = run->job;

	if (!p)
		return;
	if (close_piece(run) != 0) {
		j->fatal = -1;
		run->fatal = 1;
	}
	pthread_mutex_lock(&p->mu);
	while (j->ready && !p->stop)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->stop) {
		/* the writer has stopped: nothing more is written */
		free(run->data);
		free(run->msgs);
		run->fatal = 1;
	} else if (run->len || run->mlen) {
		j->data = run->data;
		j->msgs = run->msgs;
		j->len = run->len;
		j->mlen = run->mlen;
		j->ready = 1;
		pthread_cond_broadcast(&p->cv);
	} else {
		free(run->data);
		free(run->msgs);
	}
	pthread_mutex_unlock(&p->mu);
	if (!run->fatal && open_piece(run) != 0) {
		j->fatal = -1;
		run->fatal = 1;
	}
}

/* convert one file, image by image, for the writer */
static void
run_job(struct run *run, struct job *j)
{
	run->fatal = 0;
	run->ninputs = run->nimages = run->nskipped = 0;
	run->job = j;
	if (open_piece(run) != 0) {
		j->fatal = -1;
		return;
	}
	do_file(run, j->name);
	if (run->rec)
		hand_over(run);
	if (run->rec && close_piece(run) == 0) {
		/* the empty piece hand_over started */
		free(run->data);
		free(run->msgs);
	}
	if (j->fatal != -1)
		j->fatal = run->fatal;
	j->ninputs = run->ninputs;
	j->nimages = run->nimages;
	j->nskipped = run->nskipped;
}

static void *
worker(void *arg)
{
	struct run *run = arg;
	struct pool *p = run->pool;
	struct job *j;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->next < p->n && p->next >= p->written + p->window)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop || p->next >= p->n) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		j = &p->jobs[p->next++];
		pthread_mutex_unlock(&p->mu);
		run_job(run, j);
		pthread_mutex_lock(&p->mu);
		j->done = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
}

/* the files over nt threads, written in order; the totals into *tot */
static void
run_pool(const struct settings *set, char **names, size_t n, int nt, struct run *tot)
{
	struct pool p;
	struct run *runs = ecalloc((size_t)nt, sizeof *runs);
	pthread_t *tid = ecalloc((size_t)nt, sizeof *tid);
	struct img_opt opt = { set->max_pixels };
	size_t k;
	int t, started = 0, fatal = 0, werr = 0;

	memset(&p, 0, sizeof p);
	p.set = set;
	p.jobs = ecalloc(n, sizeof *p.jobs);
	p.n = n;
	p.window = 2 * (size_t)nt;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	for (k = 0; k < n; k++)
		p.jobs[k].name = names[k];
	for (t = 0; t < nt; t++) {
		runs[t].set = set;
		if (!(runs[t].r = img_reader_new(&opt)))
			die("out of memory");
		runs[t].pool = &p;
		if (pthread_create(&tid[t], NULL, worker, &runs[t]) != 0)
			break;
		started++;
	}
	if (!started)
		die("cannot start a thread");
	for (k = 0; k < n && !fatal; k++) {
		struct job *j = &p.jobs[k];
		for (;;) {
			char *data, *msgs;
			size_t len, mlen;

			pthread_mutex_lock(&p.mu);
			while (!j->ready && !j->done)
				pthread_cond_wait(&p.cv, &p.mu);
			if (!j->ready) {
				pthread_mutex_unlock(&p.mu);
				break;
			}
			data = j->data;
			msgs = j->msgs;
			len = j->len;
			mlen = j->mlen;
			j->ready = 0;
			p.stop = werr != 0;
			pthread_cond_broadcast(&p.cv);
			pthread_mutex_unlock(&p.mu);
			if (mlen) {
				clear_progress(tot);
				fwrite(msgs, 1, mlen, stderr);
			}
			if (len && !werr && (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0))
				werr = errno ? errno : EIO;
			free(data);
			free(msgs);
		}
		tot->ninputs += j->ninputs;
		tot->nimages += j->nimages;
		tot->nskipped += j->nskipped;
		if (j->fatal < 0)
			warn("%s: out of memory", j->name);
		fatal = j->fatal != 0 || werr;
		if (set->progress) {
			fprintf(stderr, "\rimgresize: %zu images", tot->nimages);
			tot->progress_shown = 1;
		}
		pthread_mutex_lock(&p.mu);
		p.written++;
		p.stop = fatal;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
	}
	for (t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	for (; k < n; k++) {
		/* after a fatal error: images done ahead of the writer */
		if (p.jobs[k].ready) {
			free(p.jobs[k].data);
			free(p.jobs[k].msgs);
		}
	}
	for (t = 0; t < nt; t++)
		run_free(&runs[t]);
	free(runs);
	free(tid);
	free(p.jobs);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
	/* the threads are joined and their memory freed first, so a run that
	 * ends early (a reader gone, --strict) leaves nothing behind */
	if (werr)
		die_write(werr);
	if (fatal) {
		clear_progress(tot);
		fflush(stdout);
		exit(1);
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
		{ "threads", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct settings set;
	struct run run;
	struct img_opt opt;
	long threads = 0;
	int c, i, stdin_named = 0;

	/* arguments */
	argv0 = "imgresize";
	keep_std_fds();
	/* getopt names argv[0] in its messages */
	argv[0] = (char *)argv0;
	memset(&set, 0, sizeof set);
	memset(&run, 0, sizeof run);
	set.max_pixels = IMG_DEFAULT_MAX_PIXELS;
	set.filter = IMG_LINEAR;
	set.dct = 1;
	while ((c = getopt_long(argc, argv, "haFt:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout, 0, synopsis, options); break;
		case 'V': print_version(); break;
		case 's': set.strict = 1; break;
		case 'm':
			set.max_pixels = (uint64_t)estrtonum(optarg, 1, 1000000000, "--max-pixels",
			                                     synopsis);
			break;
		case 'a': set.filter = IMG_AREA; break;
		case 'F': set.dct = 0; break;
		case 't': threads = (long)estrtonum(optarg, 1, 64, "-t", synopsis); break;
		case 'v': set.verbose = 1; break;
		default: usage(stderr, 2, synopsis, options);
		}
	}
	if (optind >= argc)
		usage_error(synopsis, "missing size");
	parse_size(&set, argv[optind++]);
	if ((uint64_t)set.h * set.w_ > set.max_pixels)
		usage_error(synopsis, "size: %lu x %lu is over --max-pixels %llu",
		            (unsigned long)set.w_, (unsigned long)set.h,
		            (unsigned long long)set.max_pixels);

	/* prepare */
	signal(SIGPIPE, SIG_IGN);
	set.progress = progress_wanted(set.verbose);
	if (!threads && (threads = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		threads = 1;
	threads = threads > 64 ? 64 : threads;
	for (i = optind; i < argc; i++)
		stdin_named |= strcmp(argv[i], "-") == 0;
	if (threads > argc - optind)
		threads = argc - optind;
	run.set = &set;
	run.msg = stderr;
	run.direct = 1;

	/* write data */
	if (threads > 1 && !stdin_named) {
		run_pool(&set, argv + optind, (size_t)(argc - optind), (int)threads, &run);
	} else {
		opt.max_pixels = set.max_pixels;
		if (!(run.r = img_reader_new(&opt)))
			die("out of memory");
		ts_writer_init(&run.w, stdout);
		if (optind == argc)
			input(&run, 0, NULL);
		for (i = optind; i < argc; i++)
			do_file(&run, argv[i]);
		if (ts_writer_finish(&run.w) != TS_OK)
			die_write(run.w.errnum);
		run_free(&run);
	}
	clear_progress(&run);
	if (run.nskipped)
		warn("%zu of %zu inputs skipped", run.nskipped, run.ninputs);
	return fshut(stdout, "<stdout>");
}
