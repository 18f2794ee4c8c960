/* test_bad.c: every file in tests/bad, fed to the reader of its kind, gives
 * the error it is named for, and nothing else happens (run under ASan and
 * UBSan by make test SAN=1, and replayed by the fuzzers).
 *
 * One file per defect, as libspng's tests/crashers: streams (.ts) through
 * lib/io/stream.c, packs (.pack) through lib/io/pack.c and lib/io/source.c, images
 * (.jpg, .png, .ppm, .txt) through lib/image/decode.c, cfg files (.cfg) through
 * nn_build. Every file must have a row in the table below, so a new file
 * cannot be added without saying what it must give. The files are written by
 * tests/bad/mkbad.pl, tests/bad/mkpacks.pl, tests/data/make_data.py and, for
 * the cfg files, by hand. The ONNX and Keras files (.onnx, .keras, .h5, from
 * tests/bad/mkinterop.py) are daeconvert's importer's, in Python: their rows
 * are the tests of tests/cli/daeconvert.bats, which checks that every one has
 * a test there.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../t.h"
#include "../../lib/image/image.h"
#include "../../lib/io/pack.h"
#include "../../lib/io/source.h"
#include "../../lib/io/stream.h"
#include "../../lib/nn/model.h"
#include "../../lib/nn/nn.h"

#define BAD "tests/bad/"

/* what a file must give: the error code of its kind, and for streams the
 * record it concerns (1-based), for images the input it concerns, for cfg
 * files the line and a piece of the message */
struct want {
	const char *file;
	int err;
	size_t where;
	const char *msg;
};

static const struct want streams[] = {
	{ "bad_magic.ts", TS_EMAGIC, 1, NULL },
	{ "bad_rank.ts", TS_ERANK, 1, NULL },
	{ "bad_type.ts", TS_ETYPE, 1, NULL },
	{ "bad_version.ts", TS_EVERSION, 1, NULL },
	{ "claims_100GB.ts", TS_ELIMIT, 1, NULL },
	{ "garbage_after_record.ts", TS_EMAGIC, 2, NULL },
	{ "huge_dims.ts", TS_ELIMIT, 1, NULL },
	{ "product_overflow.ts", TS_ELIMIT, 1, NULL },
	{ "reserved_not_zero.ts", TS_ERESERVED, 1, NULL },
	{ "short_garbage_after_record.ts", TS_EMAGIC, 2, NULL },
	{ "slash_in_name.ts", TS_ENAME, 1, NULL },
	{ "truncated_header.ts", TS_ETRUNC, 2, NULL },
	{ "truncated_payload.ts", TS_ETRUNC, 2, NULL },
	{ "zero_width.ts", TS_EZERO, 1, NULL },
};

/* for packs, the error of pk_open, or of reading sample where (1-based) */
static const struct want packs[] = {
	{ "pack_bad_crc.pack", PK_ECRC, 2, NULL },
	{ "pack_bad_index_crc.pack", PK_EHEADER, 0, NULL },
	{ "pack_bad_inflate.pack", PK_EZLIB, 2, NULL },
	{ "pack_bad_trailer_crc.pack", PK_EHEADER, 0, NULL },
	{ "pack_bad_version.pack", PK_EVERSION, 0, NULL },
	{ "pack_chunk_beyond_file.pack", PK_EINDEX, 0, NULL },
	{ "claims_3GB_chunk.pack", PK_EINDEX, 0, NULL },
	{ "pack_huge_count.pack", PK_EINDEX, 0, NULL },
	{ "pack_huge_index.pack", PK_EINDEX, 0, NULL },
	{ "pack_slash_in_name.pack", PK_ENAME, 0, NULL },
	{ "pack_truncated.pack", PK_ETRUNC, 0, NULL },
	{ "pack_zero_chunk_samples.pack", PK_EINDEX, 0, NULL },
};

/* for images, the first error and the input it concerns */
static const struct want images[] = {
	{ "bad_crc.png", IMG_ECORRUPT, 1, NULL },
	{ "claims_60000x60000.png", IMG_ELIMIT, 1, NULL },
	{ "huge_dims.jpg", IMG_ELIMIT, 1, NULL },
	{ "huge_dims.png", IMG_ELIMIT, 1, NULL },
	{ "huge_dims.ppm", IMG_ELIMIT, 1, NULL },
	{ "jpeg_no_eoi_then_png.jpg", IMG_ETRUNC, 1, NULL },
	{ "jpeg_scan_ends_early.jpg", IMG_ETRUNC, 1, NULL },
	{ "jpeg_then_garbage.jpg", IMG_EFORMAT, 2, NULL },
	{ "not_an_image.txt", IMG_EFORMAT, 1, NULL },
	{ "png_deflate_past_last_row.png", IMG_EFORMAT, 2, NULL },
	{ "ppm_width_over_32_bits.ppm", IMG_ELIMIT, 1, NULL },
	{ "truncated.jpg", IMG_ETRUNC, 1, NULL },
	{ "truncated_header.jpg", IMG_ETRUNC, 1, NULL },
	{ "truncated.png", IMG_ETRUNC, 1, NULL },
	{ "truncated.ppm", IMG_ETRUNC, 1, NULL },
	{ "zero_width.ppm", IMG_ECORRUPT, 1, NULL },
};

static const struct want models[] = {
	{ "model_activation_size_wraps.bin", 0, 0, "hold over 4096 numbers a pixel" },
};

static const struct want cfgs[] = {
	{ "cfg_activation_size_wraps.cfg", 0, 29, "hold over 4096 numbers a pixel" },
	{ "cfg_activations_over_cap.cfg", 0, 26, "the layers so far hold over 4096 numbers a pixel" },
	{ "cfg_bad_number.cfg", 0, 5, "filters: not an integer: 'eight'" },
	{ "cfg_bad_shape.cfg", 0, 13, "inputs 16x16x3 and 8x8x3 differ" },
	{ "cfg_from_over_int.cfg", 0, 10, "from: '2147483648' is not an earlier layer" },
	{ "cfg_from_over_long.cfg", 0, 10, "from: '99999999999999999999' is not an earlier layer" },
	{ "cfg_from_wraps_to_previous.cfg", 0, 10, "from: '4294967295' is not an earlier layer" },
	{ "cfg_from_wraps_to_self.cfg", 0, 10, "from: '-4294967296' is not an earlier layer" },
	{ "cfg_out_of_range.cfg", 0, 6, "size: must be in 1..15" },
	{ "cfg_unknown_key.cfg", 0, 7, "unknown key 'kernel' in [conv]" },
	{ "cfg_unknown_layer.cfg", 0, 5, "unknown layer kind [convolutional]" },
};

#define N(a) (sizeof (a) / sizeof (a)[0])

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (!fp || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)n + 1)) ||
	    fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		printf("#   %s: cannot read\n", path);
		exit(1);
	}
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void
test_streams_give_their_error_at_their_record(void)
{
	struct ts_reader r;
	struct ts_header h;
	enum ts_err err;
	char path[256];
	void *buf;
	size_t i;
	FILE *fp;

	for (i = 0; i < N(streams); i++) {
		snprintf(path, sizeof path, BAD "%s", streams[i].file);
		CHECK((fp = fopen(path, "rb")) != NULL, "%s: cannot open", path);
		if (!fp)
			continue;
		ts_reader_init(&r, fp, NULL);
		while ((err = ts_read_header(&r, &h)) == TS_OK) {
			/* only records within the default limits get this far */
			buf = malloc(ts_payload_size(&h));
			err = ts_read_payload(&r, buf, ts_payload_size(&h));
			free(buf);
			if (err != TS_OK)
				break;
		}
		CHECK(err == (enum ts_err)streams[i].err, "%s: %s, want %s", streams[i].file,
		      ts_strerror(err), ts_strerror((enum ts_err)streams[i].err));
		CHECK(r.err_record == streams[i].where, "%s: error in record %zu, want %zu",
		      streams[i].file, r.err_record, streams[i].where);
		fclose(fp);
	}
}

static void
test_packs_give_their_error_on_open_or_read(void)
{
	struct pk_reader *p;
	struct src *s;
	struct ts_header h;
	enum pk_err err;
	enum src_err se;
	char path[256];
	void *buf;
	uint64_t k, bad;
	size_t i;

	for (i = 0; i < N(packs); i++) {
		snprintf(path, sizeof path, BAD "%s", packs[i].file);
		bad = 0;
		if ((err = pk_open(&p, path, NULL)) == PK_OK) {
			buf = malloc(pk_sample_size(p));
			for (k = 0; k < pk_count(p); k++)
				if ((err = pk_read(p, k, buf, pk_sample_size(p))) != PK_OK) {
					bad = k + 1;
					break;
				}
			free(buf);
			pk_close(p);
		}
		CHECK(err == (enum pk_err)packs[i].err && bad == packs[i].where,
		      "%s: %s at sample %llu, want %s at %zu", packs[i].file, pk_strerror(err),
		      (unsigned long long)bad, pk_strerror((enum pk_err)packs[i].err),
		      packs[i].where);

		/* and through lib/io/source.c, as the programs read them */
		if (src_open(&s, path, NULL) == SRC_OK) {
			while ((se = src_read_header(s, &h)) == SRC_OK) {
				buf = malloc(ts_payload_size(&h));
				se = src_read_payload(s, buf, ts_payload_size(&h));
				free(buf);
				if (se != SRC_OK)
					break;
			}
			CHECK(se != SRC_END, "%s: read to the end through src", packs[i].file);
		}
		CHECK(src_pack_error(s) == (enum pk_err)packs[i].err, "%s: src says %s",
		      packs[i].file, src_strerror(s));
		src_close(s);
	}
}

static void
test_images_give_their_error_for_their_input(void)
{
	struct img_reader *r;
	struct img_info info;
	enum img_err err;
	char path[256];
	void *px;
	size_t i;
	int fd;

	for (i = 0; i < N(images); i++) {
		snprintf(path, sizeof path, BAD "%s", images[i].file);
		CHECK((fd = open(path, O_RDONLY)) >= 0, "%s: cannot open", path);
		if (fd < 0)
			continue;
		/* a new reader for each file: info.index counts from its start */
		r = img_reader_new(NULL);
		img_reader_start(r, fd);
		while ((err = img_read_header(r, &info)) == IMG_OK) {
			px = malloc((size_t)info.height * info.width * 3);
			err = img_read_pixels(r, px, (size_t)info.height * info.width * 3);
			free(px);
			if (err != IMG_OK)
				break;
		}
		CHECK(err == (enum img_err)images[i].err && info.index == images[i].where,
		      "%s: %s in input %zu, want %s in %zu", images[i].file,
		      err == IMG_END ? "no error" : img_reader_message(r), info.index,
		      img_strerror((enum img_err)images[i].err), images[i].where);
		close(fd);
		img_reader_free(r);
	}
}

static void
test_cfgs_give_their_error_at_their_line(void)
{
	struct nn_error err;
	struct net net;
	char path[256], *text;
	size_t i;

	for (i = 0; i < N(cfgs); i++) {
		snprintf(path, sizeof path, BAD "%s", cfgs[i].file);
		text = slurp(path);
		CHECK(nn_build(&net, text, 16, 16, 1, NN_TRAIN, &err) != 0, "%s: builds", path);
		CHECK(err.line == (int)cfgs[i].where && strstr(err.msg, cfgs[i].msg),
		      "%s: line %d: %s; want line %zu: %s", cfgs[i].file, err.line, err.msg,
		      cfgs[i].where, cfgs[i].msg);
		free(text);
	}
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

/* every file in tests/bad is in a table, so none goes untested */
static void
test_every_bad_file_has_a_row(void)
{
	static const struct { const struct want *t; size_t n; } tables[] = {
		{ streams, N(streams) }, { packs, N(packs) }, { images, N(images) },
		{ cfgs, N(cfgs) }, { models, N(models) },
	};
	struct dirent *e;
	size_t i, j, nfiles = 0;
	int found;
	DIR *d = opendir(BAD);

	CHECK(d != NULL, "cannot open " BAD);
	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || (len > 3 && strcmp(e->d_name + len - 3, ".pl") == 0))
			continue;
		if (ends_with(e->d_name, ".py") || ends_with(e->d_name, ".onnx") ||
		    ends_with(e->d_name, ".keras") || ends_with(e->d_name, ".h5"))
			continue;
		nfiles++;
		found = 0;
		for (i = 0; i < N(tables); i++)
			for (j = 0; j < tables[i].n; j++)
				found |= strcmp(tables[i].t[j].file, e->d_name) == 0;
		CHECK(found, "tests/bad/%s has no row in tests/unit/test_bad.c", e->d_name);
	}
	closedir(d);
	CHECK(nfiles == N(streams) + N(packs) + N(images) + N(cfgs) + N(models),
	      "%zu files in tests/bad, %zu rows", nfiles,
	      N(streams) + N(packs) + N(images) + N(cfgs) + N(models));
}

/* a model whose stored cfg grows the activations until their size would
 * wrap: refused when the network is built, before anything is allocated */
static void
test_models_give_their_error(void)
{
	struct net net;
	struct nn_error err;
	char path[256];
	size_t i;

	for (i = 0; i < N(models); i++) {
		snprintf(path, sizeof path, BAD "%s", models[i].file);
		CHECK(model_load(path, &net, 16, 16, 1, NN_INFER, NULL, NULL, &err) != 0,
		      "%s: loads", path);
		CHECK(strstr(err.msg, models[i].msg) != NULL, "%s: '%s'", path, err.msg);
	}
}

int
main(void)
{
	RUN(test_streams_give_their_error_at_their_record);
	RUN(test_packs_give_their_error_on_open_or_read);
	RUN(test_images_give_their_error_for_their_input);
	RUN(test_cfgs_give_their_error_at_their_line);
	RUN(test_models_give_their_error);
	RUN(test_every_bad_file_has_a_row);
	return t_done();
}
