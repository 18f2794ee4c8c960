/* daemontage: lay tensor streams side by side into one u8 RGB image, record i of
 * each input as row i and the inputs as columns, like the tutorial's figure
 * of clean | noisy | denoised. Labels above the columns are drawn with a
 * built-in 5x7 bitmap font, so a figure needs no font or image library.
 * Not an image editor: no scaling, no captions per cell, one output record.
 *
 * Column widths are known only once every row is in, but rows are read one
 * at a time: when a row widens a column, the rows already placed are moved
 * right within the canvas, in place (see relayout), so memory is the montage
 * itself plus one input image. */
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "../lib/io/stream.h"

#define DEFAULT_ROWS 8
#define MAX_ROWS 10000
#define MAX_GAP 1000
#define FONT_W 5
#define FONT_H 7
#define FONT_SCALE 2
#define ADVANCE ((FONT_W + 1) * FONT_SCALE)     /* one blank column between glyphs */
#define LABEL_PAD 4                             /* pixels between labels and row 1 */

static const char synopsis[] = "[-n rows] [-l label,...] [-g gap] [-b background] input ...";

/* every option, for --help */
static const char options[] =
	"  -n rows              at most this many rows, 1..10000 (default 8)\n"
	"  -l label,...         column labels, in order (default none)\n"
	"  -g gap               pixels between and around cells, 0..1000 (default 4)\n"
	"  -b background        gray 0..255 or r,g,b (default 255, white)\n"
	"  -h, --help           print this and exit\n"
	"  --version            print the version and exit\n";

/* ASCII 32..126, 5 x 7, '#' set; drawn for this program, public domain */
static const char font[95][FONT_W * FONT_H + 1] = {
	/* ' ' */ "....." "....." "....." "....." "....." "....." ".....",
	/* '!' */ "..#.." "..#.." "..#.." "..#.." "..#.." "....." "..#..",
	/* '"' */ ".#.#." ".#.#." ".#.#." "....." "....." "....." ".....",
	/* '#' */ ".#.#." ".#.#." "#####" ".#.#." "#####" ".#.#." ".#.#.",
	/* '$' */ "..#.." ".####" "#.#.." ".###." "..#.#" "####." "..#..",
	/* '%' */ "##..." "##..#" "...#." "..#.." ".#..." "#..##" "...##",
	/* '&' */ ".##.." "#..#." "#.#.." ".#..." "#.#.#" "#..#." ".##.#",
	/* ''' */ "..#.." "..#.." ".#..." "....." "....." "....." ".....",
	/* '(' */ "...#." "..#.." ".#..." ".#..." ".#..." "..#.." "...#.",
	/* ')' */ ".#..." "..#.." "...#." "...#." "...#." "..#.." ".#...",
	/* '*' */ "....." "..#.." "#.#.#" ".###." "#.#.#" "..#.." ".....",
	/* '+' */ "....." "..#.." "..#.." "#####" "..#.." "..#.." ".....",
	/* ',' */ "....." "....." "....." "....." ".##.." "..#.." ".#...",
	/* '-' */ "....." "....." "....." "#####" "....." "....." ".....",
	/* '.' */ "....." "....." "....." "....." "....." ".##.." ".##..",
	/* '/' */ "....." "....#" "...#." "..#.." ".#..." "#...." ".....",
	/* '0' */ ".###." "#...#" "#..##" "#.#.#" "##..#" "#...#" ".###.",
	/* '1' */ "..#.." ".##.." "..#.." "..#.." "..#.." "..#.." ".###.",
	/* '2' */ ".###." "#...#" "....#" "...#." "..#.." ".#..." "#####",
	/* '3' */ "#####" "...#." "..#.." "...#." "....#" "#...#" ".###.",
	/* '4' */ "...#." "..##." ".#.#." "#..#." "#####" "...#." "...#.",
	/* '5' */ "#####" "#...." "####." "....#" "....#" "#...#" ".###.",
	/* '6' */ "..##." ".#..." "#...." "####." "#...#" "#...#" ".###.",
	/* '7' */ "#####" "....#" "...#." "..#.." ".#..." ".#..." ".#...",
	/* '8' */ ".###." "#...#" "#...#" ".###." "#...#" "#...#" ".###.",
	/* '9' */ ".###." "#...#" "#...#" ".####" "....#" "...#." ".##..",
	/* ':' */ "....." ".##.." ".##.." "....." ".##.." ".##.." ".....",
	/* ';' */ "....." ".##.." ".##.." "....." ".##.." "..#.." ".#...",
	/* '<' */ "...#." "..#.." ".#..." "#...." ".#..." "..#.." "...#.",
	/* '=' */ "....." "....." "#####" "....." "#####" "....." ".....",
	/* '>' */ ".#..." "..#.." "...#." "....#" "...#." "..#.." ".#...",
	/* '?' */ ".###." "#...#" "....#" "...#." "..#.." "....." "..#..",
	/* '@' */ ".###." "#...#" "....#" ".##.#" "#.#.#" "#.#.#" ".###.",
	/* 'A' */ ".###." "#...#" "#...#" "#####" "#...#" "#...#" "#...#",
	/* 'B' */ "####." "#...#" "#...#" "####." "#...#" "#...#" "####.",
	/* 'C' */ ".###." "#...#" "#...." "#...." "#...." "#...#" ".###.",
	/* 'D' */ "###.." "#..#." "#...#" "#...#" "#...#" "#..#." "###..",
	/* 'E' */ "#####" "#...." "#...." "####." "#...." "#...." "#####",
	/* 'F' */ "#####" "#...." "#...." "####." "#...." "#...." "#....",
	/* 'G' */ ".###." "#...#" "#...." "#.###" "#...#" "#...#" ".####",
	/* 'H' */ "#...#" "#...#" "#...#" "#####" "#...#" "#...#" "#...#",
	/* 'I' */ ".###." "..#.." "..#.." "..#.." "..#.." "..#.." ".###.",
	/* 'J' */ "..###" "...#." "...#." "...#." "...#." "#..#." ".##..",
	/* 'K' */ "#...#" "#..#." "#.#.." "##..." "#.#.." "#..#." "#...#",
	/* 'L' */ "#...." "#...." "#...." "#...." "#...." "#...." "#####",
	/* 'M' */ "#...#" "##.##" "#.#.#" "#.#.#" "#...#" "#...#" "#...#",
	/* 'N' */ "#...#" "#...#" "##..#" "#.#.#" "#..##" "#...#" "#...#",
	/* 'O' */ ".###." "#...#" "#...#" "#...#" "#...#" "#...#" ".###.",
	/* 'P' */ "####." "#...#" "#...#" "####." "#...." "#...." "#....",
	/* 'Q' */ ".###." "#...#" "#...#" "#...#" "#.#.#" "#..#." ".##.#",
	/* 'R' */ "####." "#...#" "#...#" "####." "#.#.." "#..#." "#...#",
	/* 'S' */ ".####" "#...." "#...." ".###." "....#" "....#" "####.",
	/* 'T' */ "#####" "..#.." "..#.." "..#.." "..#.." "..#.." "..#..",
	/* 'U' */ "#...#" "#...#" "#...#" "#...#" "#...#" "#...#" ".###.",
	/* 'V' */ "#...#" "#...#" "#...#" "#...#" "#...#" ".#.#." "..#..",
	/* 'W' */ "#...#" "#...#" "#...#" "#.#.#" "#.#.#" "#.#.#" ".#.#.",
	/* 'X' */ "#...#" "#...#" ".#.#." "..#.." ".#.#." "#...#" "#...#",
	/* 'Y' */ "#...#" "#...#" ".#.#." "..#.." "..#.." "..#.." "..#..",
	/* 'Z' */ "#####" "....#" "...#." "..#.." ".#..." "#...." "#####",
	/* '[' */ ".###." ".#..." ".#..." ".#..." ".#..." ".#..." ".###.",
	/* '\' */ "....." "#...." ".#..." "..#.." "...#." "....#" ".....",
	/* ']' */ ".###." "...#." "...#." "...#." "...#." "...#." ".###.",
	/* '^' */ "..#.." ".#.#." "#...#" "....." "....." "....." ".....",
	/* '_' */ "....." "....." "....." "....." "....." "....." "#####",
	/* '`' */ ".#..." "..#.." "...#." "....." "....." "....." ".....",
	/* 'a' */ "....." "....." ".###." "....#" ".####" "#...#" ".####",
	/* 'b' */ "#...." "#...." "#.##." "##..#" "#...#" "#...#" "####.",
	/* 'c' */ "....." "....." ".###." "#...." "#...." "#...#" ".###.",
	/* 'd' */ "....#" "....#" ".##.#" "#..##" "#...#" "#...#" ".####",
	/* 'e' */ "....." "....." ".###." "#...#" "#####" "#...." ".###.",
	/* 'f' */ "..##." ".#..#" ".#..." "###.." ".#..." ".#..." ".#...",
	/* 'g' */ "....." ".####" "#...#" "#...#" ".####" "....#" ".###.",
	/* 'h' */ "#...." "#...." "#.##." "##..#" "#...#" "#...#" "#...#",
	/* 'i' */ "..#.." "....." ".##.." "..#.." "..#.." "..#.." ".###.",
	/* 'j' */ "...#." "....." "..##." "...#." "...#." "#..#." ".##..",
	/* 'k' */ "#...." "#...." "#..#." "#.#.." "##..." "#.#.." "#..#.",
	/* 'l' */ ".##.." "..#.." "..#.." "..#.." "..#.." "..#.." ".###.",
	/* 'm' */ "....." "....." "##.#." "#.#.#" "#.#.#" "#...#" "#...#",
	/* 'n' */ "....." "....." "#.##." "##..#" "#...#" "#...#" "#...#",
	/* 'o' */ "....." "....." ".###." "#...#" "#...#" "#...#" ".###.",
	/* 'p' */ "....." "....." "####." "#...#" "####." "#...." "#....",
	/* 'q' */ "....." "....." ".##.#" "#..##" ".####" "....#" "....#",
	/* 'r' */ "....." "....." "#.##." "##..#" "#...." "#...." "#....",
	/* 's' */ "....." "....." ".###." "#...." ".###." "....#" "####.",
	/* 't' */ ".#..." ".#..." "###.." ".#..." ".#..." ".#..#" "..##.",
	/* 'u' */ "....." "....." "#...#" "#...#" "#...#" "#..##" ".##.#",
	/* 'v' */ "....." "....." "#...#" "#...#" "#...#" ".#.#." "..#..",
	/* 'w' */ "....." "....." "#...#" "#...#" "#.#.#" "#.#.#" ".#.#.",
	/* 'x' */ "....." "....." "#...#" ".#.#." "..#.." ".#.#." "#...#",
	/* 'y' */ "....." "....." "#...#" "#...#" ".####" "....#" ".###.",
	/* 'z' */ "....." "....." "#####" "...#." "..#.." ".#..." "#####",
	/* '{' */ "...#." "..#.." "..#.." ".#..." "..#.." "..#.." "...#.",
	/* '|' */ "..#.." "..#.." "..#.." "..#.." "..#.." "..#.." "..#..",
	/* '}' */ ".#..." "..#.." "..#.." "...#." "..#.." "..#.." ".#...",
	/* '~' */ "....." "....." ".#..." "#.#.#" "...#." "....." ".....",
};

struct input {
	const char *name;       /* for messages: the path, or <stdin> */
	FILE *fp;
	struct ts_reader r;
	struct ts_header h;
};

/* The canvas is height x width x 3. Column j starts at colx[j] and is colw[j]
 * wide; row r starts at rowy[r] and is rowh[r] high; an image is centred in
 * its cell; gap pixels surround every cell, and the labels sit in a band
 * above row 1. ih, iw (nrows x ncols) hold the size of each placed image;
 * the first lines lines of the canvas are painted. */
struct montage {
	size_t ncols, nrows, gap, top, lines;
	size_t *colw, *colx, *oldw, *oldx;
	size_t *rowh, *rowy, *ih, *iw;
	size_t width, height;
	unsigned char *px;
	unsigned char bg[3];
};

static size_t
label_width(const char *s)
{
	size_t n = strlen(s);

	return n ? n * ADVANCE - FONT_SCALE : 0;
}

/* -b: a grey level, or R,G,B, each 0..255 */
static void
parse_background(unsigned char *bg, char *s)
{
	char *part[4], *p = s;
	size_t n = 0, i;

	while (n < 4) {
		part[n++] = p;
		if (!(p = strchr(p, ',')))
			break;
		*p++ = '\0';
	}
	if (n != 1 && n != 3)
		usage_error(synopsis, "-b: want a grey level or R,G,B");
	for (i = 0; i < 3; i++)
		bg[i] = (unsigned char)estrtonum(part[n == 1 ? 0 : i], 0, 255, "-b", synopsis);
}

/* Recomputes the positions from the sizes; dies when the montage would not
 * fit a tensor(5) record. Sums are 64-bit so that they cannot wrap first. */
static void
layout(struct montage *m)
{
	uint64_t x = m->gap, y = m->top;
	size_t i;

	for (i = 0; i < m->ncols; i++) {
		m->colx[i] = (size_t)x;
		x += m->colw[i] + m->gap;
		if (x > TS_DEFAULT_MAX_DIM)
			break;
	}
	for (i = 0; i < m->nrows && y <= TS_DEFAULT_MAX_DIM; i++) {
		m->rowy[i] = (size_t)y;
		y += m->rowh[i] + m->gap;
	}
	if (x > TS_DEFAULT_MAX_DIM || y > TS_DEFAULT_MAX_DIM || x * y * 3 > TS_DEFAULT_MAX_BYTES)
		die("row %zu: the montage would be over %u pixels wide or high or %llu bytes",
		    m->nrows, (unsigned)TS_DEFAULT_MAX_DIM, (unsigned long long)TS_DEFAULT_MAX_BYTES);
	m->width = (size_t)x;
	m->height = (size_t)y;
}

static void
fill_bg(const struct montage *m, unsigned char *p, size_t npixels)
{
	size_t i;

	for (i = 0; i < npixels; i++, p += 3)
		memcpy(p, m->bg, 3);
}

/* the canvas line on which line y of image (r, j) falls, if it has one */
static int
covers(const struct montage *m, size_t r, size_t j, size_t y)
{
	size_t h = m->ih[r * m->ncols + j];
	size_t y0 = m->rowy[r] + (m->rowh[r] - h) / 2;

	return y >= y0 && y < y0 + h;
}

/* Moves the first height lines of the canvas from the old column layout
 * (oldx, oldw, width oldwidth) to the current one, in place, and fills
 * around the images with the background. Columns only widen, so every pixel
 * moves to an offset at least as large as its old one; working from the last
 * line up and from the right, no pixel is overwritten before it has moved. */
static void
relayout(struct montage *m, size_t nrows, size_t height, size_t oldwidth)
{
	unsigned char *dst;
	const unsigned char *src;
	size_t y = height, r = nrows, j, w, nx, ox, end;

	while (y-- > 0) {
		dst = m->px + y * m->width * 3;
		src = m->px + y * oldwidth * 3;
		while (r > 0 && y < m->rowy[r - 1])
			r--;
		end = m->width;
		for (j = m->ncols; r > 0 && j-- > 0;) {
			if (!covers(m, r - 1, j, y))
				continue;
			w = m->iw[(r - 1) * m->ncols + j];
			nx = m->colx[j] + (m->colw[j] - w) / 2;
			ox = m->oldx[j] + (m->oldw[j] - w) / 2;
			memmove(dst + nx * 3, src + ox * 3, w * 3);
			fill_bg(m, dst + (nx + w) * 3, end - nx - w);
			end = nx;
		}
		fill_bg(m, dst, end);
	}
}

/* Makes room for a row of images of the sizes in in[].h: widens columns and
 * moves what is placed, grows the canvas, paints the new band. */
static void
add_row(struct montage *m, const struct input *in)
{
	size_t r = m->nrows, j, h, w, oldwidth = m->width;
	int widened = 0;

	memcpy(m->oldw, m->colw, m->ncols * sizeof *m->colw);
	memcpy(m->oldx, m->colx, m->ncols * sizeof *m->colx);
	m->rowh = ereallocarray(m->rowh, r + 1, sizeof *m->rowh);
	m->rowy = ereallocarray(m->rowy, r + 1, sizeof *m->rowy);
	m->ih = ereallocarray(m->ih, (r + 1) * m->ncols, sizeof *m->ih);
	m->iw = ereallocarray(m->iw, (r + 1) * m->ncols, sizeof *m->iw);
	m->rowh[r] = 0;
	for (j = 0; j < m->ncols; j++) {
		h = in[j].h.dims[0];
		w = in[j].h.dims[1];
		m->ih[r * m->ncols + j] = h;
		m->iw[r * m->ncols + j] = w;
		if (h > m->rowh[r])
			m->rowh[r] = h;
		if (w > m->colw[j]) {
			m->colw[j] = w;
			widened = 1;
		}
	}
	m->nrows = r + 1;
	layout(m);
	m->px = ereallocarray(m->px, m->width * m->height, 3);
	if (widened)
		relayout(m, r, m->lines, oldwidth);
	fill_bg(m, m->px + m->lines * m->width * 3, (m->height - m->lines) * m->width);
	m->lines = m->height;
}

/* rounded half up and clipped, as addnoise does; NaN is 0 */
static unsigned char
to_u8(float v)
{
	float t = v + 0.5f;

	return !(t > 0) ? 0 : t >= 255 ? 255 : (unsigned char)t;
}

/* x (h,w,c), c 1 or 3: image (r, j), centred in its cell */
static void
blit(struct montage *m, size_t r, size_t j, const float *x, size_t h, size_t w, size_t c)
{
	size_t y0 = m->rowy[r] + (m->rowh[r] - h) / 2;
	size_t x0 = m->colx[j] + (m->colw[j] - w) / 2;
	size_t y, i, k;
	unsigned char *d;
	const float *s;

	for (y = 0; y < h; y++) {
		d = m->px + ((y0 + y) * m->width + x0) * 3;
		s = x + y * w * c;
		for (i = 0; i < w; i++, d += 3, s += c)
			for (k = 0; k < 3; k++)
				d[k] = to_u8(s[c == 1 ? 0 : k]);
	}
}

/* label j centred above column j, dark on a light background and light on
 * a dark one */
static void
draw_label(struct montage *m, size_t j, const char *s)
{
	unsigned lum = (299u * m->bg[0] + 587u * m->bg[1] + 114u * m->bg[2]) / 1000;
	unsigned char fg = lum >= 128 ? 0 : 255;
	size_t x0 = m->colx[j] + (m->colw[j] - label_width(s)) / 2, y0 = m->gap;
	size_t gx, gy, sy;
	const char *g;
	unsigned char *p;

	for (; *s; s++, x0 += ADVANCE) {
		g = font[*s >= 32 && *s <= 126 ? *s - 32 : '?' - 32];
		for (gy = 0; gy < FONT_H; gy++)
			for (gx = 0; gx < FONT_W; gx++) {
				if (g[gy * FONT_W + gx] != '#')
					continue;
				for (sy = 0; sy < FONT_SCALE; sy++) {
					p = m->px + ((y0 + gy * FONT_SCALE + sy) * m->width +
					             x0 + gx * FONT_SCALE) * 3;
					memset(p, fg, 3 * FONT_SCALE);
				}
			}
	}
}

/* -l: splits s at its commas, in place; a label cannot hold a comma */
static size_t
split_labels(char ***label, char *s, size_t ncols)
{
	size_t n = 0;

	*label = ecalloc(ncols, sizeof **label);
	for (; s; n++) {
		if (n == ncols)
			usage_error(synopsis, "-l: more labels than inputs (%zu)", ncols);
		(*label)[n] = s;
		if ((s = strchr(s, ',')))
			*s++ = '\0';
		if (label_width((*label)[n]) > TS_DEFAULT_MAX_DIM)
			usage_error(synopsis, "-l: label %zu is too long", n + 1);
	}
	return n;
}

/* Reads the header of row r + 1 (1-based) from every input; returns 0 when
 * all inputs have ended together. An input that ends before the others, or
 * a record that is not a 1- or 3-channel image, is fatal. */
static int
read_row_headers(struct input *in, size_t ncols, size_t r)
{
	size_t j, nend = 0;
	enum ts_err err;

	for (j = 0; j < ncols; j++) {
		err = ts_read_header(&in[j].r, &in[j].h);
		if (err == TS_END) {
			nend++;
			continue;
		}
		if (err != TS_OK)
			die_read(in[j].name, &in[j].r, err);
		if (in[j].h.rank != 3 || (in[j].h.dims[2] != 1 && in[j].h.dims[2] != 3))
			die("%s: record %zu (byte %llu): not an H x W x 1 or H x W x 3 image",
			    in[j].name, in[j].r.nrecords, (unsigned long long)in[j].r.record_offset);
	}
	if (nend == ncols)
		return 0;
	if (nend) {
		for (j = 0; in[j].r.nrecords > r; j++)
			;
		die("row %zu: %s has only %zu records, the other inputs have more", r + 1,
		    in[j].name, r);
	}
	return 1;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct montage m;
	struct input *in;
	struct ts_writer wr;
	struct ts_header out;
	char **label = NULL, *labelarg = NULL;
	float *x = NULL;
	size_t cap = 0, maxrows = DEFAULT_ROWS, nlabels = 0, j, stdin_uses = 0;
	int c;

	/* arguments */
	argv0 = "daemontage";
	keep_std_fds();
	/* getopt names argv[0] in its messages */
	argv[0] = (char *)argv0;
	memset(&m, 0, sizeof m);
	m.gap = 4;
	memset(m.bg, 255, 3);
	while ((c = getopt_long(argc, argv, "hn:l:g:b:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout, 0, synopsis, options); break;
		case 'V': print_version(); break;
		case 'n': maxrows = (size_t)estrtonum(optarg, 1, MAX_ROWS, "-n", synopsis); break;
		case 'l': labelarg = optarg; break;
		case 'g': m.gap = (size_t)estrtonum(optarg, 0, MAX_GAP, "-g", synopsis); break;
		case 'b': parse_background(m.bg, optarg); break;
		default: usage(stderr, 2, synopsis, options);
		}
	}
	if (optind == argc)
		usage_error(synopsis, "missing operand");
	m.ncols = (size_t)(argc - optind);
	if (labelarg)
		nlabels = split_labels(&label, labelarg, m.ncols);
	for (j = 0; j < m.ncols; j++)
		stdin_uses += strcmp(argv[optind + j], "-") == 0;
	if (stdin_uses > 1)
		usage_error(synopsis, "only one input can be '-'");

	/* prepare */
	signal(SIGPIPE, SIG_IGN);
	in = ecalloc(m.ncols, sizeof *in);
	for (j = 0; j < m.ncols; j++) {
		in[j].name = argv[optind + j];
		in[j].fp = stdin;
		if (strcmp(in[j].name, "-") == 0)
			in[j].name = "<stdin>";
		else if (!(in[j].fp = fopen(in[j].name, "rb")))
			die("%s:", in[j].name);
		ts_reader_init(&in[j].r, in[j].fp, NULL);
	}
	m.colw = ecalloc(m.ncols, sizeof *m.colw);
	m.colx = ecalloc(m.ncols, sizeof *m.colx);
	m.oldw = ecalloc(m.ncols, sizeof *m.oldw);
	m.oldx = ecalloc(m.ncols, sizeof *m.oldx);
	/* a column is at least as wide as its label */
	for (j = 0; j < nlabels; j++)
		m.colw[j] = label_width(label[j]);
	m.top = m.gap + (label ? FONT_H * FONT_SCALE + LABEL_PAD : 0);
	layout(&m);

	/* read the rows */
	while (m.nrows < maxrows) {
		if (!read_row_headers(in, m.ncols, m.nrows))
			break;
		add_row(&m, in);
		for (j = 0; j < m.ncols; j++) {
			read_payload_f32(&in[j].r, &in[j].h, &x, &cap, in[j].name);
			blit(&m, m.nrows - 1, j, x, in[j].h.dims[0], in[j].h.dims[1],
			     in[j].h.dims[2]);
		}
	}
	if (m.nrows == 0)
		die("the inputs hold no records");
	for (j = 0; j < nlabels; j++)
		draw_label(&m, j, label[j]);

	/* write data */
	if (ts_image_header(&out, (uint32_t)m.height, (uint32_t)m.width, 3, TS_U8, "montage") != TS_OK)
		die("the montage is too large: %zu x %zu", m.height, m.width);
	ts_writer_init(&wr, stdout);
	if (ts_write_header(&wr, &out) != TS_OK ||
	    ts_write_payload(&wr, m.px, ts_payload_size(&out)) != TS_OK ||
	    ts_writer_finish(&wr) != TS_OK)
		die_write(wr.errnum);

	/* clean up */
	for (j = 0; j < m.ncols; j++)
		if (in[j].fp != stdin)
			fclose(in[j].fp);
	free(in);
	free(label);
	free(x);
	free(m.colw);
	free(m.colx);
	free(m.oldw);
	free(m.oldx);
	free(m.rowh);
	free(m.rowy);
	free(m.ih);
	free(m.iw);
	free(m.px);
	return fshut(stdout, "<stdout>");
}
