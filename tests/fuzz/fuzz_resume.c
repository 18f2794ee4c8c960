/* fuzz_resume.c: libFuzzer target for daetrain --resume: tr_restore
 * (lib/nn/train.c) over model_load_into (lib/nn/model.c) on a mutated
 * checkpoint, then one epoch from the restored state.
 *
 * The trainer is the one tests/fuzz/mkcorpus makes checkpoints for: the
 * network of tests/data/tiny.cfg, four 8 x 8 u8 images, batch 4, seed 1,
 * Gaussian noise of std 25. An input is read two ways:
 *   - one that starts with "DAEMODEL" is a checkpoint file, tried as it is
 *     and with its CRC made right, as byte-level mutation leaves it;
 *   - any other is a list of edits, 4 bytes each, to a good checkpoint
 *     made at start: change a tensor's type (its payload resized to match,
 *     as a crafted file would be), a dimension or the rank, drop, repeat
 *     or rename a tensor, set a word of train.meta, overwrite a byte. The
 *     file is then written out whole and sealed with its CRC, so every
 *     edit reaches the checks behind the checksum. Type confusion (issue
 *     17: a u8 train.adam_m copied as floats) is one edit away.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../lib/nn/train.h"
#include "fuzz.h"

#define MAXT 64

struct tensor {
	char name[80];
	size_t namelen;
	unsigned type, rank;
	uint32_t dims[4];
	unsigned char *data;
	size_t len;
};

static struct net net;
static struct tr_opt opt;
static unsigned char *base;     /* the good checkpoint */
static size_t baselen;

static void
make_trainer(struct trainer *tr, struct dataset *ds)
{
	unsigned char *px = malloc(4 * 8 * 8 * 3);
	struct nn_error err;
	size_t i;

	REQUIRE(px);
	for (i = 0; i < 4 * 8 * 8 * 3; i++)
		px[i] = (unsigned char)(i % 192 % 251);
	ds_memory(ds, 4, 8, 8, 3, 1, px);
	REQUIRE(ds->impl);
	REQUIRE(tr_init(tr, &net, &opt, ds, NULL, NULL, NULL, &err) == 0);
}

static void
cleanup(void)
{
	nn_free(&net);
	free(base);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct nn_error err;
	struct trainer tr;
	struct dataset ds;
	struct rng r;
	FILE *fp;
	long n;
	int errnum;

	(void)argc;
	(void)argv;
	fuzz_file_open("fuzz_resume");
	REQUIRE(nn_build(&net, fuzz_tiny_cfg(), 8, 8, 4, NN_TRAIN, &err) == 0);
	rng_seed(&r, 1);
	nn_init(&net, &r);
	opt.batch = 4;
	opt.epochs = 3;
	opt.patience = 3;
	opt.repeat = 1;
	opt.seed = 1;
	opt.adam.lr = 1e-3f;
	opt.adam.beta1 = 0.9f;
	opt.adam.beta2 = 0.999f;
	opt.adam.eps = 1e-7f;
	opt.noise.std = 25;
	make_trainer(&tr, &ds);
	REQUIRE(tr_epoch(&tr, NULL, NULL, NULL, &err) != TR_ERROR);
	REQUIRE(tr_save(&tr, fuzz_path, &errnum) == 0);
	/* tr_save renamed a new file over the scratch file: use that one */
	close(fuzz_fd);
	REQUIRE((fuzz_fd = open(fuzz_path, O_RDWR)) >= 0);
	tr_free(&tr);
	ds.release(&ds);
	REQUIRE((fp = fopen(fuzz_path, "rb")));
	REQUIRE(fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) > 0 && fseek(fp, 0, SEEK_SET) == 0);
	baselen = (size_t)n;
	REQUIRE((base = malloc(baselen)) && fread(base, 1, baselen, fp) == baselen);
	fclose(fp);
	atexit(cleanup);
	return 0;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

static size_t
elems(const struct tensor *t)
{
	size_t n = 1;
	unsigned i;

	/* payloads stay small: a dimension claimed past that is a file whose
	 * payload is cut short, which is the loader's to notice */
	for (i = 0; i < t->rank; i++)
		n = n * (t->dims[i] < 4096 ? t->dims[i] : 4096) % ((size_t)1 << 16);
	return n;
}

/* the payload made the length the header says, zero-filled */
static void
fit(struct tensor *t)
{
	size_t want = elems(t) * (t->type == 1 ? 1 : 4);

	REQUIRE((t->data = realloc(t->data, want ? want : 1)));
	if (want > t->len)
		memset(t->data + t->len, 0, want - t->len);
	t->len = want;
}

/* parse the good checkpoint: its cfg part is kept as bytes */
static size_t
parse(struct tensor *t, size_t *count, size_t *head)
{
	size_t off, i, len, k;

	*head = 16 + get32(base + 12);
	off = *head;
	*count = get32(base + off);
	off += 4;
	REQUIRE(*count <= MAXT);
	for (i = 0; i < *count; i++) {
		memset(&t[i], 0, sizeof t[i]);
		len = (size_t)base[off] | (size_t)base[off + 1] << 8;
		memcpy(t[i].name, base + off + 2, len);
		t[i].namelen = len;
		off += 2 + len;
		t[i].rank = base[off];
		t[i].type = base[off + 1];
		off += 2;
		for (k = 0; k < t[i].rank; k++, off += 4)
			t[i].dims[k] = get32(base + off);
		t[i].len = elems(&t[i]) * (t[i].type == 1 ? 1 : 4);
		REQUIRE((t[i].data = malloc(t[i].len)));
		memcpy(t[i].data, base + off, t[i].len);
		off += t[i].len;
	}
	return off;
}

static void
edit(struct tensor *t, size_t *count, const uint8_t *e)
{
	static const uint32_t big[] = { 0, 1, 2, 3, 4, 7, 8, 255, 256, 1043, 65536, 0x7fffffff,
	                                0x80000000u, 0xfffffffeu, 0xffffffffu };
	static const uint64_t words[] = { 0, 1, 2, 3, 4, 5, 100, (uint64_t)1 << 31,
	                                  (uint64_t)1 << 32, (uint64_t)1 << 63, UINT64_MAX };
	struct tensor *x;
	unsigned k;

	if (*count == 0)
		return;
	x = &t[e[1] % *count];
	switch (e[0] % 8) {
	case 0:                         /* the other element type */
		x->type = x->type == 1 ? 2 : 1;
		fit(x);
		break;
	case 1:                         /* one dimension */
		if (x->rank) {
			x->dims[e[2] % x->rank] = big[e[3] % (sizeof big / sizeof big[0])];
			fit(x);
		}
		break;
	case 2:                         /* another rank, the elements kept */
		x->rank = 1 + e[2] % 4;
		x->dims[0] = (uint32_t)elems(x);
		for (k = 1; k < 4; k++)
			x->dims[k] = 1;
		break;
	case 3:                         /* drop */
		free(x->data);
		*x = t[--*count];
		break;
	case 4:                         /* repeat */
		if (*count < MAXT) {
			t[*count] = *x;
			REQUIRE((t[*count].data = malloc(x->len ? x->len : 1)));
			memcpy(t[*count].data, x->data, x->len);
			++*count;
		}
		break;
	case 5:                         /* another tensor's name, or a byte of it changed */
		if (e[2] & 1) {
			memcpy(x->name, t[e[3] % *count].name, sizeof x->name);
			x->namelen = t[e[3] % *count].namelen;
		} else if (x->namelen) {
			x->name[e[2] % x->namelen] = (char)e[3];
		}
		break;
	case 6:                         /* a word of train.meta */
		if (x->type == 1 && x->len >= 128) {
			uint64_t v = words[e[3] % (sizeof words / sizeof words[0])];
			for (k = 0; k < 8; k++)
				x->data[8 * (e[2] % 16) + k] = (unsigned char)(v >> (8 * k));
		}
		break;
	default:                        /* a byte of the payload */
		if (x->len)
			x->data[((size_t)e[2] << 8 | e[3]) % x->len] ^= (unsigned char)(e[1] | 1);
		break;
	}
}

/* write the edited checkpoint to the scratch file, sealed */
static void
write_edited(const uint8_t *data, size_t size)
{
	struct tensor t[MAXT];
	size_t count, head, i, n, off;
	unsigned char *out;
	uLong crc;
	unsigned k;

	parse(t, &count, &head);
	for (i = 0; i + 4 <= size && i < 64; i += 4)
		edit(t, &count, data + i);
	n = head + 4 + 4;
	for (i = 0; i < count; i++)
		n += 4 + t[i].namelen + 4 * t[i].rank + t[i].len;
	REQUIRE((out = malloc(n)));
	memcpy(out, base, head);
	put32(out + head, (uint32_t)count);
	off = head + 4;
	for (i = 0; i < count; i++) {
		out[off] = t[i].namelen & 0xff;
		out[off + 1] = (unsigned char)(t[i].namelen >> 8);
		memcpy(out + off + 2, t[i].name, t[i].namelen);
		off += 2 + t[i].namelen;
		out[off] = (unsigned char)t[i].rank;
		out[off + 1] = (unsigned char)t[i].type;
		off += 2;
		for (k = 0; k < t[i].rank; k++, off += 4)
			put32(out + off, t[i].dims[k]);
		memcpy(out + off, t[i].data, t[i].len);
		off += t[i].len;
		free(t[i].data);
	}
	crc = crc32(crc32(0, NULL, 0), out, (uInt)off);
	put32(out + off, (uint32_t)crc);
	fuzz_file_put(out, off + 4);
	free(out);
}

static void
resume(void)
{
	struct nn_error err;
	struct trainer tr;
	struct dataset ds;

	make_trainer(&tr, &ds);
	if (tr_restore(&tr, fuzz_path, &err) != 0 ||
	    tr_epoch(&tr, NULL, NULL, NULL, &err) == TR_ERROR)
		REQUIRE(err.msg[0] != '\0');
	tr_free(&tr);
	ds.release(&ds);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *copy;
	uLong crc;

	if (size >= 8 && memcmp(data, "DAEMODEL", 8) == 0) {
		fuzz_file_put(data, size);
		resume();
		if (size >= 16) {
			REQUIRE((copy = malloc(size)));
			memcpy(copy, data, size);
			crc = crc32(0, copy, (uInt)(size - 4));
			put32(copy + size - 4, (uint32_t)crc);
			fuzz_file_put(copy, size);
			free(copy);
			resume();
		}
		return 0;
	}
	write_edited(data, size);
	resume();
	return 0;
}
