/* util.h: the programs' error vocabulary, after suckless farbfeld's util.c.
 *
 * Linked into programs only; lib/ never exits or prints. argv0 is set by each
 * main to its fixed name so messages read "addnoise: ...".
 *
 *   die(fmt, ...)      print "argv0: message" on stderr and exit 1; a format
 *                      ending in ':' appends strerror(errno)
 *   warn(fmt, ...)     the same without exiting. Control characters in
 *                      a message (from a record's or a tensor's name) are
 *                      written as \xHH, so a message is one plain line
 *   vmessage(fp, tail, fmt, ap)    "argv0: message[ tail]" on fp, escaped
 *   keep_std_fds()     call first in main: a closed descriptor 0, 1 or 2
 *                      is opened on /dev/null the wrong way round, so that
 *                      reading "-" or writing stdout fails with EBADF
 *                      instead of a file opened later taking its number
 *   usage(fp, status, synopsis, options)   the usage line (and for --help,
 *                      status 0, the options), then exit
 *   estrtonum(s, min, max, what)   bounded integer or usage error (exit 2)
 *   estrtod(s, min, max, what)     bounded finite double or usage error
 *   emalloc, ecalloc, ereallocarray  allocation or die
 *   fshut(fp, name)    flush and close (stdout: flush and check); returns
 *                      the exit status to return from main
 *   quiet_sigpipe()    make EPIPE on stdout a quiet exit 0 (see fshut)
 *   tmp_register(path) / tmp_clear()   a temp file that SIGINT/SIGTERM unlink
 */
#ifndef UTIL_H
#define UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

extern const char *argv0;

void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vmessage(FILE *fp, const char *tail, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
void keep_std_fds(void);
/* usage prints "usage: argv0 synopsis" on fp and, for --help (status 0),
 * the options in full, then exits with status; a --help that could not be
 * written (a full disk) exits 1 */
void usage(FILE *fp, int status, const char *synopsis, const char *options)
	__attribute__((noreturn));
/* usage_error prints "argv0: message" and the usage line, then exits 2 */
void usage_error(const char *synopsis, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

long long estrtonum(const char *s, long long min, long long max, const char *what,
                    const char *synopsis);
double estrtod(const char *s, double min, double max, const char *what,
               const char *synopsis);

void *emalloc(size_t n);
void *ecalloc(size_t n, size_t size);
void *ereallocarray(void *p, size_t n, size_t size);

int fshut(FILE *fp, const char *name);
/* die_write reports a failed write to stdout: EPIPE is a quiet exit 0 (the
 * reader went away, as with "| head"), anything else is an error. */
void die_write(int errnum) __attribute__((noreturn));

struct ts_reader;
/* die_read reports a failed tensor stream read: "src: record N (byte B): what" */
void die_read(const char *src, const struct ts_reader *r, int err) __attribute__((noreturn));

/* A temp file that a SIGINT/SIGTERM handler unlinks before the program
 * dies; install_signal_cleanup() installs that handler. One at a time. */
void tmp_register(const char *path);
void tmp_clear(void);
/* tmp_hold() blocks those signals until tmp_release(), so a temp file can be
 * created and registered with no moment in which a signal would leave it */
void tmp_hold(void);
void tmp_release(void);
void install_signal_cleanup(void);

/* print_version prints "argv0 VERSION" on stdout and exits 0 */
void print_version(void) __attribute__((noreturn));

/* progress is on when stderr is a terminal or -v was given */
int progress_wanted(int verbose);

/* read_payload_f32 reads the payload of the record whose header h was just
 * read from r into *buf as float on the 0..255 scale (u8 widened, f32 as
 * is), growing *buf to h's element count; *cap counts floats. A read error
 * dies naming src, the record and its byte offset. */
struct ts_header;
void read_payload_f32(struct ts_reader *r, const struct ts_header *h, float **buf,
                      size_t *cap, const char *src);
struct src;
/* die_src reports a failed src_* call (lib/io/source.h): "name: where: what", or
 * "name: what" when no record is concerned; s may be NULL (out of memory) */
void die_src(struct src *s) __attribute__((noreturn));

#endif
