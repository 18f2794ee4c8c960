/* packtensor: pack a tensor stream into a pack(5) file, list the records of
 * a stream or a pack, or write a pack back out as a stream. The format is in
 * lib/io/pack.c; this file is options, wiring and messages. Not a converter:
 * records go in and come out byte for byte, whatever their values. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"
#include "../lib/io/afile.h"
#include "../lib/io/pack.h"
#include "../lib/io/source.h"
#include "../lib/io/stream.h"

static const char synopsis[] =
	"[-v] [-c samples] [-l level] [-n first:count] -o output [file]\n"
	"       packtensor [-v] -t [-n first:count] [file]\n"
	"       packtensor [-v] -x [-n first:count] [file]";

/* every option, for --help */
static const char options[] =
	"  -o output            write the input to this pack file\n"
	"  -c samples           samples per chunk, 1..4294967295 (default 1)\n"
	"  -l level             zlib level, 0..9 (default 3)\n"
	"  -t, --list           list the records\n"
	"  -x, --cat            write the records as a tensor stream\n"
	"  -n first:count       only count records from number first on (from 1)\n"
	"  -v, --verbose        progress on stderr, and with -o a summary\n"
	"  -h, --help           print this and exit\n"
	"  --version            print the version and exit\n";

enum mode { PACK, LIST, CAT };

/* records first .. first + count - 1, 1-based; count 0 is "to the end" */
struct slice {
	uint64_t first, count;
};

static struct slice
parse_slice(const char *s)
{
	struct slice sl = { 1, 0 };
	const char *colon = strchr(s, ':');
	char first[32];
	size_t n;

	if (!colon || (n = (size_t)(colon - s)) == 0 || n >= sizeof first)
		usage_error(synopsis, "-n: not first:count: '%s'", s);
	memcpy(first, s, n);
	first[n] = '\0';
	sl.first = (uint64_t)estrtonum(first, 1, 0x7fffffffffffffffLL, "-n first", synopsis);
	if (colon[1] != '\0')
		sl.count = (uint64_t)estrtonum(colon + 1, 1, 0x7fffffffffffffffLL, "-n count",
		                               synopsis);
	return sl;
}

/* 0: record i (1-based) is before the slice, 1: in it, 2: past it */
static int
in_slice(const struct slice *sl, uint64_t i)
{
	if (i < sl->first)
		return 0;
	if (sl->count && i - sl->first >= sl->count)
		return 2;
	return 1;
}

static void
format_shape(char *buf, size_t len, const struct ts_header *h)
{
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < h->rank && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%lu", i ? "x" : "",
		                        (unsigned long)h->dims[i]);
}

/* read the next record of the slice into *buf (grown as needed): 1 for a
 * record, 0 at the end, -1 on an error that src_strerror(s) describes */
static int
next_record(struct src *s, const struct slice *sl, struct ts_header *h, unsigned char **buf,
            size_t *cap)
{
	enum src_err err;
	size_t n;
	int where;

	while ((err = src_read_header(s, h)) == SRC_OK) {
		where = in_slice(sl, src_nrecords(s));
		if (where == 2)
			return 0;
		if (where == 0) {
			if (src_skip_payload(s) != SRC_OK)
				return -1;
			continue;
		}
		n = ts_payload_size(h);
		if (n > *cap) {
			*buf = ereallocarray(*buf, n, 1);
			*cap = n;
		}
		return src_read_payload(s, *buf, n) == SRC_OK ? 1 : -1;
	}
	return err == SRC_END ? 0 : -1;
}

/* remove the half-written pack and its temp name, keeping errno for die */
static void
discard(struct afile *af, struct pk_writer *w)
{
	int e = errno;

	pk_writer_free(w);
	afile_abort(af);
	tmp_clear();
	errno = e;
}

static void
pack(struct src *s, const struct slice *sl, const char *out, const struct pk_wopt *opt,
     int verbose)
{
	struct ts_header h, first = { 0 };
	struct pk_writer *w;
	struct pk_stat st;
	struct afile af;
	unsigned char *buf = NULL;
	size_t cap = 0;
	char a[64], b[64];
	uint64_t nrec = 0;
	enum pk_err err;
	int e, more;

	/* rename would replace a device or fifo (as root, even /dev/null) */
	if ((e = afile_check(out)) != 0)
		die("%s: %s", out, afile_strerror(e));
	install_signal_cleanup();
	tmp_hold();
	if ((e = afile_open(&af, out)) != 0)
		die("%s: %s", out, afile_strerror(e));
	tmp_register(af.tmp);
	tmp_release();
	if ((err = pk_writer_open(&w, af.fp, opt)) != PK_OK) {
		discard(&af, NULL);
		if (err == PK_EIO)
			die("%s: write:", out);
		die("%s: %s", out, pk_strerror(err));
	}
	while ((more = next_record(s, sl, &h, &buf, &cap)) > 0) {
		if (nrec == 0)
			first = h;
		if ((err = pk_write(w, &h, buf)) != PK_OK) {
			discard(&af, w);
			if (err == PK_EIO)
				die("%s: write:", out);
			if (err == PK_ESHAPE) {
				format_shape(a, sizeof a, &h);
				format_shape(b, sizeof b, &first);
				die("%s: %s: shape %s %s differs from the first record's %s %s",
				    src_name(s), src_where(s), a, ts_dtype_name(h.dtype), b,
				    ts_dtype_name(first.dtype));
			}
			die("%s: %s: %s", src_name(s), src_where(s), pk_strerror(err));
		}
		nrec++;
		if (progress_wanted(verbose))
			fprintf(stderr, "\rpacktensor: %llu records", (unsigned long long)nrec);
	}
	if (progress_wanted(verbose) && nrec)
		fputc('\n', stderr);
	if (more < 0) {
		discard(&af, w);
		die_src(s);
	}
	if ((err = pk_writer_finish(w)) != PK_OK) {
		discard(&af, w);
		if (err == PK_EIO)
			die("%s: write:", out);
		if (err == PK_EEMPTY)
			die("%s: no records", src_name(s));
		die("%s: %s", out, pk_strerror(err));
	}
	pk_writer_stat(w, &st);
	pk_writer_free(w);
	if ((e = afile_commit(&af, 0)) != 0) {
		tmp_clear();
		errno = e;
		die("%s:", out);
	}
	tmp_clear();
	free(buf);
	if (verbose) {
		format_shape(a, sizeof a, &st.shape);
		fprintf(stderr, "packtensor: %s: %llu samples %s %s, %llu chunks, "
		        "%llu bytes in %llu (%.2f:1)\n", out, (unsigned long long)st.count, a,
		        ts_dtype_name(st.shape.dtype), (unsigned long long)st.nchunks,
		        (unsigned long long)st.raw_bytes, (unsigned long long)st.file_bytes,
		        st.file_bytes ? (double)st.raw_bytes / (double)st.file_bytes : 0.0);
	}
}

static void
list(struct src *s, const struct slice *sl)
{
	struct ts_header h;
	struct pk_stat st;
	unsigned char *buf = NULL;
	size_t cap = 0, n, i;
	double v, lo, hi, sum, tlo = 0, thi = 0, tsum = 0;
	uint64_t nrec = 0, tbytes = 0, tn = 0;
	int type = 0, more;
	char dims[64];

	while ((more = next_record(s, sl, &h, &buf, &cap)) > 0) {
		n = ts_nelem(&h);
		lo = hi = h.dtype == TS_U8 ? buf[0] : ((float *)(void *)buf)[0];
		sum = 0;
		for (i = 0; i < n; i++) {
			v = h.dtype == TS_U8 ? buf[i] : ((float *)(void *)buf)[i];
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
			sum += v;
		}
		format_shape(dims, sizeof dims, &h);
		if (printf("%llu\t%s\t%s\t%s\t%g\t%g\t%.3f\n", (unsigned long long)src_nrecords(s),
		           h.name, dims, ts_dtype_name(h.dtype), lo, hi, sum / (double)n) < 0)
			die_write(errno);
		if (nrec == 0 || lo < tlo)
			tlo = lo;
		if (nrec == 0 || hi > thi)
			thi = hi;
		type = nrec == 0 || type == (int)h.dtype ? (int)h.dtype : -1;
		tsum += sum;
		tn += n;
		tbytes += ts_payload_size(&h);
		nrec++;
	}
	if (more < 0)
		die_src(s);
	if (nrec == 0)
		printf("total\t0 records\t0 bytes\t-\t-\t-\t-\n");
	else
		printf("total\t%llu records\t%llu bytes\t%s\t%g\t%g\t%.3f\n",
		       (unsigned long long)nrec, (unsigned long long)tbytes,
		       type > 0 ? ts_dtype_name((enum ts_dtype)type) : "mixed", tlo, thi,
		       tsum / (double)tn);
	if (src_pack(s)) {
		pk_stat(src_pack(s), &st);
		printf("pack\t%lu per chunk\t%llu chunks\t%s\t%llu bytes in %llu\t%.2f:1\n",
		       (unsigned long)st.chunk_samples, (unsigned long long)st.nchunks,
		       st.filter == PK_FILTER_GRADIENT ? "gradient filter" : "no filter",
		       (unsigned long long)st.raw_bytes, (unsigned long long)st.file_bytes,
		       (double)st.raw_bytes / (double)st.file_bytes);
	}
	free(buf);
}

static void
cat(struct src *s, const struct slice *sl, int verbose)
{
	struct ts_writer w;
	struct ts_header h;
	unsigned char *buf = NULL;
	size_t cap = 0;
	int more;

	ts_writer_init(&w, stdout);
	while ((more = next_record(s, sl, &h, &buf, &cap)) > 0) {
		if (ts_write_header(&w, &h) != TS_OK ||
		    ts_write_payload(&w, buf, ts_payload_size(&h)) != TS_OK ||
		    ts_writer_finish(&w) != TS_OK)
			die_write(w.errnum);
		if (progress_wanted(verbose))
			fprintf(stderr, "\rpacktensor: %llu records",
			        (unsigned long long)src_nrecords(s));
	}
	if (progress_wanted(verbose) && w.nrecords)
		fputc('\n', stderr);
	if (more < 0)
		die_src(s);
	free(buf);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "list", no_argument, NULL, 't' },
		{ "cat", no_argument, NULL, 'x' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct pk_wopt opt = { 1, PK_DEFAULT_LEVEL, PK_FILTER_AUTO };
	struct slice sl = { 1, 0 };
	enum mode mode = PACK;
	const char *out = NULL, *in = "-";
	struct src *s;
	int c, verbose = 0, packopt = 0;

	/* arguments */
	argv0 = "packtensor";
	keep_std_fds();
	/* getopt names argv[0] in its messages */
	argv[0] = (char *)argv0;
	while ((c = getopt_long(argc, argv, "hvc:l:n:o:tx", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout, 0, synopsis, options); break;
		case 'V': print_version(); break;
		case 'v': verbose = 1; break;
		case 'c':
			opt.chunk_samples = (uint32_t)estrtonum(optarg, 1, UINT32_MAX, "-c", synopsis);
			packopt = 'c';
			break;
		case 'l':
			opt.level = (int)estrtonum(optarg, 0, 9, "-l", synopsis);
			packopt = 'l';
			break;
		case 'n': sl = parse_slice(optarg); break;
		case 'o': out = optarg; break;
		case 't':
		case 'x':
			if (mode != PACK && mode != (c == 't' ? LIST : CAT))
				usage_error(synopsis, "-t and -x exclude each other");
			mode = c == 't' ? LIST : CAT;
			break;
		default: usage(stderr, 2, synopsis, options);
		}
	}
	if (argc - optind > 1)
		usage_error(synopsis, "unexpected operand '%s'", argv[optind + 1]);
	if (optind < argc)
		in = argv[optind];
	if (mode == PACK && !out)
		usage_error(synopsis, "-o: a pack file is required (or -t, -x)");
	if (mode != PACK && out)
		usage_error(synopsis, "-o: not with %s", mode == LIST ? "-t" : "-x");
	if (mode != PACK && packopt)
		usage_error(synopsis, "-%c: only when packing (-o)", packopt);

	/* prepare */
	signal(SIGPIPE, SIG_IGN);
	if (src_open(&s, in, NULL) != SRC_OK)
		die_src(s);

	/* write data */
	switch (mode) {
	case PACK: pack(s, &sl, out, &opt, verbose); break;
	case LIST: list(s, &sl); break;
	case CAT: cat(s, &sl, verbose); break;
	}

	/* clean up */
	src_close(s);
	return fshut(stdout, "<stdout>");
}
