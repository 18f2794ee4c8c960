/* util.c: die, warn, bounded number parsing, checked allocation and close.
 * After suckless farbfeld's util.c; differs in that usage errors exit 2. */
#define _POSIX_C_SOURCE 200809L
#include "util.h"
#include "../lib/io/source.h"
#include "../lib/io/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef VERSION
#define VERSION "0"
#endif

const char *argv0 = "dae";

/* put_printable writes s with each control character as \xHH: names come
 * from files (record names, tensor names, a cfg's text), and an escape
 * sequence or a newline in one must not reach the terminal or make a
 * second line of a one-line message */
static void
put_printable(FILE *fp, const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fprintf(fp, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, fp);
}

void
vmessage(FILE *fp, const char *tail, const char *fmt, va_list ap)
{
	char buf[1024], *p = buf, *line = NULL;
	size_t len = 0;
	FILE *ms;
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	if (n >= (int)sizeof buf && (p = malloc((size_t)n + 1)))
		vsnprintf(p, (size_t)n + 1, fmt, aq);
	else
		p = buf;        /* fits, or out of memory: the message cut short */
	va_end(aq);
	/* the line goes out in one write: stderr is unbuffered, and under
	 * mpirun two processes' messages must not interleave mid-line */
	if (!(ms = open_memstream(&line, &len)))
		ms = fp;        /* out of memory: piece by piece */
	fprintf(ms, "%s: ", argv0);
	put_printable(ms, n < 0 ? fmt : p);
	if (tail) {
		fputc(' ', ms);
		put_printable(ms, tail);
	}
	fputc('\n', ms);
	if (ms != fp && fclose(ms) == 0) {
		fwrite(line, 1, len, fp);
		free(line);
	}
	if (p != buf)
		free(p);
}

static void
vwarn(const char *fmt, va_list ap)
{
	size_t n = strlen(fmt);
	int errnum = errno;

	vmessage(stderr, n > 0 && fmt[n - 1] == ':' ? strerror(errnum) : NULL, fmt, ap);
}

void
warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(1);
}

void
usage(FILE *fp, int status, const char *synopsis, const char *options)
{
	fprintf(fp, "usage: %s %s\n", argv0, synopsis);
	if (status == 0)
		fputs(options, fp);
	exit(status ? status : fshut(fp, "<stdout>"));
}

void
usage_error(const char *synopsis, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "usage: %s %s\n", argv0, synopsis);
	exit(2);
}

long long
estrtonum(const char *s, long long min, long long max, const char *what,
          const char *synopsis)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0')
		usage_error(synopsis, "%s: not an integer: '%s'", what, s);
	if (errno == ERANGE || v < min || v > max)
		usage_error(synopsis, "%s: must be in %lld..%lld: '%s'", what, min, max, s);
	return v;
}

double
estrtod(const char *s, double min, double max, const char *what, const char *synopsis)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(v))
		usage_error(synopsis, "%s: not a number: '%s'", what, s);
	if (v < min || v > max)
		usage_error(synopsis, "%s: must be in %g..%g: '%s'", what, min, max, s);
	return v;
}

void *
emalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("malloc %zu bytes:", n);
	return p;
}

void *
ecalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("calloc %zu x %zu bytes:", n, size);
	return p;
}

void *
ereallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size) {
		errno = ENOMEM;
		die("realloc %zu x %zu bytes:", n, size);
	}
	p = realloc(p, n * size > 0 ? n * size : 1);
	if (!p)
		die("realloc %zu x %zu bytes:", n, size);
	return p;
}

void
die_write(int errnum)
{
	if (errnum == EPIPE)
		exit(0);
	errno = errnum;
	die("<stdout>: write:");
}

void
die_read(const char *src, const struct ts_reader *r, int err)
{
	if (err == TS_EIO) {
		errno = r->errnum;
		die("%s: record %zu (byte %llu): read:", src, r->err_record,
		    (unsigned long long)r->record_offset);
	}
	die("%s: record %zu (byte %llu): %s", src, r->err_record,
	    (unsigned long long)r->record_offset, ts_strerror((enum ts_err)err));
}

int
fshut(FILE *fp, const char *name)
{
	int ret = 0;

	if (fflush(fp) == EOF) {
		if (errno == EPIPE && fp == stdout)
			return 0;
		warn("%s: flush:", name);
		ret = 1;
	}
	if (ferror(fp) && !ret) {
		warn("%s: write error", name);
		ret = 1;
	}
	if (fp != stdout && fp != stderr && fclose(fp) == EOF && !ret) {
		warn("%s: close:", name);
		ret = 1;
	}
	return ret;
}

/* The path is copied into a static buffer so the handler touches no heap. */
static char tmp_path[PATH_MAX];
static volatile sig_atomic_t tmp_set;

void
tmp_register(const char *path)
{
	tmp_set = 0;
	if (strlen(path) < sizeof tmp_path) {
		memcpy(tmp_path, path, strlen(path) + 1);
		tmp_set = 1;
	}
}

void
tmp_clear(void)
{
	tmp_set = 0;
}

/* the signals whose handler removes the temp file */
static void
cleanup_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

void
tmp_hold(void)
{
	sigset_t set;

	cleanup_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

void
tmp_release(void)
{
	sigset_t set;

	cleanup_signals(&set);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void
on_fatal_signal(int sig)
{
	if (tmp_set)
		unlink(tmp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

void
install_signal_cleanup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

void
keep_std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY) != fd)
			_exit(1);       /* nowhere to say it */
}

void
print_version(void)
{
	printf("%s %s\n", argv0, VERSION);
	exit(fshut(stdout, "<stdout>"));
}

int
progress_wanted(int verbose)
{
	return verbose || isatty(2);
}

void
read_payload_f32(struct ts_reader *r, const struct ts_header *h, float **buf, size_t *cap,
                 const char *src)
{
	size_t n = ts_nelem(h), i;
	const unsigned char *p;
	enum ts_err err;

	if (n > *cap) {
		*buf = ereallocarray(*buf, n, sizeof **buf);
		*cap = n;
	}
	if ((err = ts_read_payload(r, *buf, ts_payload_size(h))) != TS_OK)
		die_read(src, r, err);
	if (h->dtype != TS_U8)
		return;
	/* widen in place from the end: float i covers bytes 4i..4i+3, never
	 * one of the bytes 0..i-1 still to be read */
	p = (const unsigned char *)*buf;
	for (i = n; i-- > 0;)
		(*buf)[i] = p[i];
}

void
die_src(struct src *s)
{
	const char *where;

	if (!s)
		die("%s", src_strerror(NULL));
	where = src_where(s);
	if (*where)
		die("%s: %s: %s", src_name(s), where, src_strerror(s));
	die("%s: %s", src_name(s), src_strerror(s));
}
