/* unpack: write each record of a tensor stream on standard input as an
 * image file (PNG, JPEG or PPM/PGM) in a directory.
 * Files are named after the records (dog.7.jpg -> dog.7.png), appear whole
 * or not at all (temporary name, then rename) and never replace an existing
 * file unless --force. Reads streams only; pack files are packtensor's. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "../lib/image/image.h"
#include "../lib/image/noise.h"
#include "../lib/io/afile.h"
#include "../lib/io/stream.h"

static const char synopsis[] =
	"[-v] [-f png|jpg|ppm] [-q quality] [--force] [--strict] dir";

/* every option, for --help */
static const char options[] =
	"  -f format            png, jpg (or jpeg) or ppm (default png)\n"
	"  -q quality           JPEG quality, 1..100 (default 95)\n"
	"  --force              replace existing regular files\n"
	"  --strict             a skipped record is fatal\n"
	"  -v, --verbose        progress on stderr even when it is not a terminal\n"
	"  -h, --help           print this and exit\n"
	"  --version            print the version and exit\n";

/* The names written in this run, so a repeated record name gets a suffix
 * rather than replacing the file written a moment ago. Open addressing;
 * memory grows with the number of records, a few dozen bytes each. */
struct names {
	char **slot;
	size_t cap, n;
};

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static char **
names_find(struct names *t, const char *s)
{
	size_t i = (size_t)hash(s) & (t->cap - 1);

	while (t->slot[i] && strcmp(t->slot[i], s) != 0)
		i = (i + 1) & (t->cap - 1);
	return &t->slot[i];
}

/* names_add adds s; returns 0 if it was there already */
static int
names_add(struct names *t, const char *s)
{
	char **p, **old;
	size_t i, oldcap;

	if (2 * (t->n + 1) > t->cap) {
		old = t->slot;
		oldcap = t->cap;
		t->cap = t->cap ? 2 * t->cap : 64;
		t->slot = ecalloc(t->cap, sizeof *t->slot);
		for (i = 0; i < oldcap; i++)
			if (old[i])
				*names_find(t, old[i]) = old[i];
		free(old);
	}
	if (*(p = names_find(t, s)))
		return 0;
	*p = emalloc(strlen(s) + 1);
	strcpy(*p, s);
	t->n++;
	return 1;
}

static void
names_free(struct names *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(t->slot[i]);
	free(t->slot);
}

/* mkdirs makes dir and its parents, as mkdir -p */
static void
mkdirs(const char *dir)
{
	char *p = emalloc(strlen(dir) + 1), *s;
	struct stat st;

	strcpy(p, dir);
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (s[-1] != '/') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST)
				die("%s: mkdir:", p);
			*s = c;
		}
		if (*s == '\0')
			break;
	}
	if (stat(p, &st) != 0)
		die("%s:", p);
	if (!S_ISDIR(st.st_mode))
		die("%s: not a directory", p);
	free(p);
}

/* file_name: the record's name with its extension replaced by ext, or a
 * 6-digit record number for an unnamed record; then "-2", "-3", ... before
 * the extension if this run has used the name already. A name longer than
 * max bytes (a record's name may have 255) is cut, at a UTF-8 character
 * boundary, to fit with its suffix and extension; *cut says so. */
static char *
file_name(struct names *used, const struct ts_header *h, size_t recno, const char *ext,
          size_t max, int *cut)
{
	char base[TS_NAME_MAX + 32], suffix[32], *dot, *name;
	size_t n, k, room;

	if (h->namelen == 0)
		snprintf(base, sizeof base, "%06zu", recno);
	else
		snprintf(base, sizeof base, "%s", h->name);
	/* a leading dot is a hidden file's, not an extension */
	if ((dot = strrchr(base, '.')) && dot != base)
		*dot = '\0';
	n = strlen(base) + strlen(ext) + 32;
	name = emalloc(n);
	*cut = 0;
	for (k = 1;; k++) {
		snprintf(suffix, sizeof suffix, k == 1 ? "" : "-%zu", k);
		room = max - strlen(suffix) - 1 - strlen(ext);
		if (strlen(base) > room) {
			while (room > 0 && ((unsigned char)base[room] & 0xc0) == 0x80)
				room--;
			base[room] = '\0';
			*cut = 1;
		}
		snprintf(name, n, "%s%s.%s", base, suffix, ext);
		if (names_add(used, name))
			return name;
	}
}

/* end_progress ends a progress line before a message */
static void
end_progress(int *shown)
{
	if (*shown)
		fputc('\n', stderr);
	*shown = 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "force", no_argument, NULL, 'F' },
		{ "strict", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct names used = { 0 };
	struct ts_reader r;
	struct ts_header h;
	struct afile af;
	struct stat st;
	enum img_format fmt = IMG_PNG;
	enum ts_err err;
	enum img_err ie;
	unsigned char *buf = NULL, *px = NULL;
	size_t cap = 0, pxcap = 0, nwritten = 0, nskipped = 0, n;
	const char *dir, *why;
	char *name, *path;
	size_t name_max;
	int c, quality = 95, force = 0, strict = 0, verbose = 0, progress, shown = 0, e, cut;

	/* arguments */
	argv0 = "unpack";
	keep_std_fds();
	/* getopt names argv[0] in its messages */
	argv[0] = (char *)argv0;
	while ((c = getopt_long(argc, argv, "hf:q:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout, 0, synopsis, options); break;
		case 'V': print_version(); break;
		case 'f':
			if ((fmt = img_format_parse(optarg)) == IMG_UNKNOWN)
				usage_error(synopsis, "-f: not png, jpg or ppm: '%s'", optarg);
			break;
		case 'q': quality = (int)estrtonum(optarg, 1, 100, "-q", synopsis); break;
		case 'F': force = 1; break;
		case 's': strict = 1; break;
		case 'v': verbose = 1; break;
		default: usage(stderr, 2, synopsis, options);
		}
	}
	if (optind == argc)
		usage_error(synopsis, "missing directory");
	if (argc - optind > 1)
		usage_error(synopsis, "unexpected operand '%s'", argv[optind + 1]);
	dir = argv[optind];
	if (dir[0] == '\0')
		usage_error(synopsis, "empty directory name");

	/* prepare */
	signal(SIGPIPE, SIG_IGN);
	install_signal_cleanup();
	mkdirs(dir);
	path = emalloc(strlen(dir) + 3);
	sprintf(path, "%s/x", dir);
	/* room for the temporary name's ".X" + ".XXXXXX" too is afile's worry */
	name_max = afile_name_max(path);
	free(path);
	progress = progress_wanted(verbose);
	ts_reader_init(&r, stdin, NULL);

	/* write data */
	while ((err = ts_read_header(&r, &h)) == TS_OK) {
		why = NULL;
		if (h.rank != 3 || (h.dims[2] != 1 && h.dims[2] != 3))
			why = "not an image (rank 3, 1 or 3 channels)";
		else if (h.dims[0] > IMG_MAX_DIM || h.dims[1] > IMG_MAX_DIM)
			why = "image too large";
		if (why) {
			end_progress(&shown);
			if (strict)
				die("<stdin>: record %zu (byte %llu): %s", r.nrecords,
				    (unsigned long long)r.record_offset, why);
			warn("<stdin>: record %zu (byte %llu): %s, skipped", r.nrecords,
			     (unsigned long long)r.record_offset, why);
			nskipped++;
			if ((err = ts_skip_payload(&r)) != TS_OK)
				break;
			continue;
		}
		if ((n = ts_payload_size(&h)) > cap) {
			buf = ereallocarray(buf, n, 1);
			cap = n;
		}
		if ((err = ts_read_payload(&r, buf, n)) != TS_OK)
			break;
		n = ts_nelem(&h);
		if (h.dtype == TS_F32) {
			if (n > pxcap) {
				px = ereallocarray(px, n, 1);
				pxcap = n;
			}
			noise_to_u8(px, (const float *)(void *)buf, n);
		}
		name = file_name(&used, &h, r.nrecords, img_format_ext(fmt, h.dims[2]), name_max,
		                 &cut);
		path = emalloc(strlen(dir) + strlen(name) + 2);
		sprintf(path, "%s/%s", dir, name);
		if (cut) {
			end_progress(&shown);
			warn("<stdin>: record %zu (byte %llu): name and extension over %zu bytes, written as %s",
			     r.nrecords, (unsigned long long)r.record_offset, name_max, name);
		}
		if (!force && lstat(path, &st) == 0) {
			end_progress(&shown);
			if (strict)
				die("%s: file exists", path);
			warn("%s: file exists, skipped", path);
			nskipped++;
			free(name);
			free(path);
			continue;
		}
		tmp_hold();
		if ((e = afile_open(&af, path)) == AFILE_ENOTREG) {
			/* --force replaces files, not FIFOs or devices */
			tmp_release();
			end_progress(&shown);
			if (strict)
				die("%s: not a regular file", path);
			warn("%s: not a regular file, skipped", path);
			nskipped++;
			free(name);
			free(path);
			continue;
		}
		if (e != 0) {
			errno = e;
			die("%s: create:", path);
		}
		tmp_register(af.tmp);
		tmp_release();
		ie = img_write(af.fp, fmt, h.dtype == TS_F32 ? px : buf, h.dims[0], h.dims[1],
		               h.dims[2], quality);
		if (ie != IMG_OK) {
			e = errno;
			afile_abort(&af);
			tmp_clear();
			errno = e;
			if (ie == IMG_EIO)
				die("%s: write:", path);
			die("%s: %s", path, img_strerror(ie));
		}
		e = afile_commit(&af, force ? 0 : AFILE_NOREPLACE);
		tmp_clear();
		if (e == EEXIST && !force) {
			if (strict)
				die("%s: file exists", path);
			warn("%s: file exists, skipped", path);
			nskipped++;
		} else if (e != 0) {
			errno = e;
			die("%s: write:", path);
		} else {
			nwritten++;
		}
		free(name);
		free(path);
		if (progress) {
			fprintf(stderr, "\runpack: %zu files", nwritten);
			shown = 1;
		}
	}
	end_progress(&shown);
	if (err != TS_END)
		die_read("<stdin>", &r, err);
	if (nskipped)
		warn("%zu of %zu records skipped", nskipped, r.nrecords);

	/* clean up */
	names_free(&used);
	free(buf);
	free(px);
	return fshut(stdout, "<stdout>");
}
