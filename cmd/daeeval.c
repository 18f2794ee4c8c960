/* daeeval: PSNR and SSIM of a test stream against a reference stream, the
 * way denoising papers report them (the protocol is in lib/image/metrics.h).
 * Records are paired by position, never by name; nothing is rounded or
 * clipped, so f32 outputs are scored as they are. Memory is one pair of
 * records and the SSIM rows, whatever the length of the streams. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "../lib/image/metrics.h"
#include "../lib/io/stream.h"

static const char synopsis[] = "[-v] [-c] [-q] reference test";

/* every option, for --help */
static const char options[] =
	"  -c, --csv            CSV instead of aligned text\n"
	"  -q, --quiet          only the mean line\n"
	"  -v, --verbose        progress on stderr even when it is not a terminal\n"
	"  -h, --help           print this and exit\n"
	"  --version            print the version and exit\n";

struct input {
	const char *name;       /* for messages: the path, or <stdin> */
	FILE *fp;
	struct ts_reader r;
	struct ts_header h;
	float *x;
	size_t cap;
};

static void
open_input(struct input *in, const char *path)
{
	memset(in, 0, sizeof *in);
	if (strcmp(path, "-") == 0) {
		in->name = "<stdin>";
		in->fp = stdin;
	} else {
		in->name = path;
		if (!(in->fp = fopen(path, "rb")))
			die("%s:", path);
	}
	ts_reader_init(&in->r, in->fp, NULL);
}

/* reads the next header; returns 0 at a clean end */
static int
next_header(struct input *in)
{
	enum ts_err err = ts_read_header(&in->r, &in->h);

	if (err == TS_END)
		return 0;
	if (err != TS_OK)
		die_read(in->name, &in->r, err);
	if (in->h.rank != 3)
		die("%s: record %zu (byte %llu): not an H x W x C image (rank %u)", in->name,
		    in->r.nrecords, (unsigned long long)in->r.record_offset, in->h.rank);
	return 1;
}

/* "inf", "nan" or fixed point with prec decimals, whatever the libc says */
static const char *
fmt_num(char *buf, size_t n, double v, int prec)
{
	if (isnan(v))
		snprintf(buf, n, "nan");
	else if (isinf(v))
		snprintf(buf, n, "%sinf", v < 0 ? "-" : "");
	else
		snprintf(buf, n, "%.*f", prec, v);
	return buf;
}

/* a name as one CSV field: quoted when it holds a comma, quote or newline */
static void
put_csv_name(const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

/* a name in the aligned table: control characters would break the columns */
static void
put_text_name(const char *s)
{
	if (!*s)
		s = "-";
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/* flushed per line: rows appear as images are scored, and a closed pipe or
 * a full disk is noticed at once */
static void
flush_line(void)
{
	if (fflush(stdout) == EOF)
		die_write(errno);
}

static void
put_header(int csv)
{
	if (csv)
		printf("index,name,psnr_db,ssim\n");
	else
		printf("%-6s %9s %9s  %s\n", "index", "PSNR_dB", "SSIM", "name");
	flush_line();
}

static void
put_line(int csv, const char *index, const char *name, double psnr, double ssim)
{
	char p[32], s[32];

	fmt_num(p, sizeof p, psnr, 4);
	fmt_num(s, sizeof s, ssim, 6);
	if (csv) {
		printf("%s,", index);
		put_csv_name(name);
		printf(",%s,%s\n", p, s);
	} else {
		printf("%-6s %9s %9s  ", index, p, s);
		put_text_name(name);
		putchar('\n');
	}
	flush_line();
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "csv", no_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct input ref, test;
	double *work = NULL, psnr, ssim, sum_psnr = 0, sum_ssim = 0;
	size_t workcap = 0, nwork, n = 0, h, w, c;
	const char *name;
	char index[32];
	int ch, csv = 0, quiet = 0, verbose = 0, progress, more_ref, more_test;

	/* arguments */
	argv0 = "daeeval";
	keep_std_fds();
	/* getopt names argv[0] in its messages */
	argv[0] = (char *)argv0;
	while ((ch = getopt_long(argc, argv, "hcqv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': usage(stdout, 0, synopsis, options); break;
		case 'V': print_version(); break;
		case 'c': csv = 1; break;
		case 'q': quiet = 1; break;
		case 'v': verbose = 1; break;
		default: usage(stderr, 2, synopsis, options);
		}
	}
	if (argc - optind < 2)
		usage_error(synopsis, "missing operand");
	if (argc - optind > 2)
		usage_error(synopsis, "unexpected operand '%s'", argv[optind + 2]);
	if (strcmp(argv[optind], "-") == 0 && strcmp(argv[optind + 1], "-") == 0)
		usage_error(synopsis, "only one of reference and test can be '-'");

	/* prepare */
	signal(SIGPIPE, SIG_IGN);
	open_input(&ref, argv[optind]);
	open_input(&test, argv[optind + 1]);
	/* when the table goes to the terminal, its rows are the progress */
	progress = verbose || (isatty(2) && (quiet || !isatty(1)));

	/* write data */
	for (;;) {
		more_ref = next_header(&ref);
		more_test = next_header(&test);
		if (!more_ref && !more_test)
			break;
		if (!more_ref || !more_test)
			die("record %zu: %s has only %zu records, %s has more", n + 1,
			    more_ref ? test.name : ref.name, n, more_ref ? ref.name : test.name);
		name = ref.h.namelen ? ref.h.name : test.h.name;
		if (memcmp(ref.h.dims, test.h.dims, sizeof ref.h.dims) != 0)
			die("record %zu%s%s%s: dims differ: %" PRIu32 "x%" PRIu32 "x%" PRIu32
			    " in %s, %" PRIu32 "x%" PRIu32 "x%" PRIu32 " in %s",
			    n + 1, *name ? " (" : "", name, *name ? ")" : "",
			    ref.h.dims[0], ref.h.dims[1], ref.h.dims[2], ref.name,
			    test.h.dims[0], test.h.dims[1], test.h.dims[2], test.name);
		h = ref.h.dims[0];
		w = ref.h.dims[1];
		c = ref.h.dims[2];
		read_payload_f32(&ref.r, &ref.h, &ref.x, &ref.cap, ref.name);
		read_payload_f32(&test.r, &test.h, &test.x, &test.cap, test.name);
		if (!(nwork = qm_ssim_work_size(h, w)))
			die("record %zu: %zu x %zu is too large for SSIM", n + 1, h, w);
		if (nwork > workcap) {
			work = ereallocarray(work, nwork, sizeof *work);
			workcap = nwork;
		}
		psnr = qm_psnr(ref.x, test.x, h * w * c);
		ssim = qm_ssim(ref.x, test.x, h, w, c, work);
		sum_psnr += psnr;
		sum_ssim += ssim;
		n++;
		if (!quiet) {
			/* the header waits for the first row, so that a run that
			 * fails on record 1 prints nothing on stdout */
			if (n == 1)
				put_header(csv);
			snprintf(index, sizeof index, "%zu", n);
			put_line(csv, index, name, psnr, ssim);
		}
		if (progress)
			fprintf(stderr, "\rdaeeval: %zu records", n);
	}
	if (progress && n)
		fputc('\n', stderr);
	if (n == 0)
		die("%s and %s hold no records", ref.name, test.name);
	snprintf(index, sizeof index, "%zu images", n);
	/* the mean of per-image PSNRs, as papers average them, not the PSNR of
	 * the mean MSE */
	put_line(csv, "mean", csv ? "" : index, sum_psnr / (double)n, sum_ssim / (double)n);

	/* clean up */
	free(ref.x);
	free(test.x);
	free(work);
	if (ref.fp != stdin)
		fclose(ref.fp);
	if (test.fp != stdin)
		fclose(test.fp);
	return fshut(stdout, "<stdout>");
}
