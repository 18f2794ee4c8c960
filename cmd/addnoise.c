/* addnoise: add synthetic noise to every record of a tensor stream.
 * Gaussian by default (the tutorial's -m 10 -s 50), rounded and clipped to
 * u8, unlike the tutorial's uint8 wrap-around: u8 records go through the
 * exact table of noise_apply_u8, others are drawn in float; --float keeps
 * the noisy values unclipped in f32, the benchmark protocol. */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "../lib/image/noise.h"
#include "../lib/io/stream.h"
#include "../lib/kernel/tensor.h"

static const char synopsis[] =
	"[-v] [-m mean] [-s std] [-P peak] [-S amount] [--seed n] [--float] [-t threads]";

/* every option, for --help */
static const char options[] =
	"  -m mean              Gaussian noise mean, -1000..1000 (default 0)\n"
	"  -s std               Gaussian standard deviation, 0..1000 (default 25, or 0\n"
	"                       with -P or -S and no -s)\n"
	"  -P peak              Poisson noise of peak photons at 255 (default off)\n"
	"  -S amount            salt and pepper on this fraction, 0..1 (default off)\n"
	"  --seed n             seed, 0..2^63-1 (default 1)\n"
	"  -f, --float          write f32, unrounded and unclipped\n"
	"  -t, --threads n      threads, 1..16 (default: the online processors)\n"
	"  -v, --verbose        progress on stderr even when it is not a terminal\n"
	"  -h, --help           print this and exit\n"
	"  --version            print the version and exit\n";

/* a u8 record split in nparts over threads */
struct parts {
	const struct noise_table *table;
	uint64_t key;
	const unsigned char *in;
	unsigned char *out;
	size_t n, nparts;
};

static void
part_run(void *arg, size_t i, int thread)
{
	const struct parts *p = arg;

	(void)thread;
	noise_apply_u8_range(p->table, p->key, p->in, p->out, p->n / p->nparts * i,
	                     i == p->nparts - 1 ? p->n : p->n / p->nparts * (i + 1), 1);
}

/* the table path over threads; element i's noise depends on (key, i)
 * alone, so the bytes are the same for any split. A share under 64 KiB is
 * not worth a thread. */
static void
apply_threaded(const struct noise_table *table, uint64_t key, const unsigned char *in,
               unsigned char *out, size_t n, long threads)
{
	struct parts p = { table, key, in, out, n, (size_t)threads };

	if (p.nparts > n / (64 << 10))
		p.nparts = n / (64 << 10);
	if (p.nparts <= 1) {
		noise_apply_u8(table, key, in, out, n);
		return;
	}
	t_parallel_for((int)p.nparts, p.nparts, part_run, &p);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "seed", required_argument, NULL, 'r' },
		{ "float", no_argument, NULL, 'f' },
		{ "threads", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct noise_opt opt = { 0, 25, 0, 0 };
	struct ts_reader r;
	struct ts_writer w;
	struct ts_header h;
	enum ts_err err;
	unsigned char *in = NULL, *out = NULL;
	float *x = NULL;
	size_t cap = 0, n, nbytes;
	unsigned long long seed = 1;
	uint64_t key;
	struct noise_table table;
	int c, to_float = 0, verbose = 0, std_given = 0, table_ok;
	long threads = 0;

	/* arguments */
	argv0 = "addnoise";
	keep_std_fds();
	/* getopt names argv[0] in its messages */
	argv[0] = (char *)argv0;
	while ((c = getopt_long(argc, argv, "hm:s:P:S:ft:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout, 0, synopsis, options); break;
		case 'V': print_version(); break;
		case 'm': opt.mean = (float)estrtod(optarg, -1000, 1000, "-m", synopsis); break;
		case 's':
			opt.std = (float)estrtod(optarg, 0, 1000, "-s", synopsis);
			std_given = 1;
			break;
		case 'P': opt.poisson_peak = (float)estrtod(optarg, 1e-3, 1e6, "-P", synopsis); break;
		case 'S': opt.salt_pepper = (float)estrtod(optarg, 0, 1, "-S", synopsis); break;
		case 'r':
			seed = (unsigned long long)estrtonum(optarg, 0, 0x7fffffffffffffffLL,
			                                     "--seed", synopsis);
			break;
		case 'f': to_float = 1; break;
		case 't': threads = (long)estrtonum(optarg, 1, 16, "-t", synopsis); break;
		case 'v': verbose = 1; break;
		default: usage(stderr, 2, synopsis, options);
		}
	}
	if (optind != argc)
		usage_error(synopsis, "unexpected operand '%s'", argv[optind]);
	/* the Gaussian default of std 25 applies only when no other kind was asked for */
	if (!std_given && (opt.poisson_peak > 0 || opt.salt_pepper > 0))
		opt.std = 0;

	/* prepare */
	table_ok = noise_table_init(&table, &opt) == 0;
	if (!threads && (threads = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		threads = 1;
	threads = threads > 16 ? 16 : threads;
	signal(SIGPIPE, SIG_IGN);
	ts_reader_init(&r, stdin, NULL);
	ts_writer_init(&w, stdout);

	/* write data */
	while ((err = ts_read_header(&r, &h)) == TS_OK) {
		n = ts_nelem(&h);
		nbytes = ts_payload_size(&h);
		if (n > cap) {
			x = ereallocarray(x, n, sizeof *x);
			in = ereallocarray(in, n, sizeof(float));
			out = ereallocarray(out, n, sizeof(float));
			cap = n;
		}
		if ((err = ts_read_payload(&r, in, nbytes)) != TS_OK)
			break;
		key = noise_key(seed, h.name, h.namelen, h.dims, h.rank, in, nbytes);
		if (h.dtype == TS_U8 && !to_float && table_ok) {
			/* u8 to u8 with Gaussian noise: the exact table, no floats */
			apply_threaded(&table, key, in, out, n, threads);
		} else {
			size_t i;
			if (h.dtype == TS_U8)
				for (i = 0; i < n; i++)
					x[i] = in[i];
			else
				memcpy(x, in, nbytes);
			noise_apply(&opt, key, x, n);
			if (to_float)
				memcpy(out, x, n * sizeof(float));
			else
				noise_to_u8(out, x, n);
		}
		h.dtype = to_float ? TS_F32 : TS_U8;
		if (ts_write_header(&w, &h) != TS_OK ||
		    ts_write_payload(&w, out, ts_payload_size(&h)) != TS_OK ||
		    ts_writer_finish(&w) != TS_OK)
			die_write(w.errnum);
		if (progress_wanted(verbose))
			fprintf(stderr, "\raddnoise: %zu records", r.nrecords);
	}
	if (progress_wanted(verbose) && r.nrecords)
		fputc('\n', stderr);
	if (err != TS_END)
		die_read("<stdin>", &r, err);

	/* clean up */
	free(x);
	free(in);
	free(out);
	if (ts_writer_finish(&w) != TS_OK)
		die_write(w.errnum);
	return fshut(stdout, "<stdout>");
}
