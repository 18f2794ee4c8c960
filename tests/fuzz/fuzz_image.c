/* fuzz_image.c: libFuzzer target for the image reader (lib/image/decode.c): the
 * split of concatenated JPEG, PNG and PPM/PGM input and the decoders'
 * wrapper (our source manager, error recovery, EXIF orientation, resync).
 *
 * The input goes to a temporary file, read through its descriptor as
 * imgresize reads one. max_pixels is 2^20 (3 MiB decoded), so the harness
 * never allocates much for an image the reader accepted; a header claiming
 * more must be refused before anything is allocated. Each image is decoded
 * whole, decoded with a reduced target (JPEG DCT scaling), or skipped,
 * picked by its number, and decoded pixels are resized as imgresize does.
 * Reader errors must be confined to the image (the loop goes on) unless
 * they are the sticky IMG_EIO or IMG_ENOMEM, and the loop must end.
 * libjpeg and libpng themselves are not instrumented: this is about our code.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/image/image.h"
#include "fuzz.h"

#define MAX_PIXELS (1u << 20)


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_file_open("fuzz_image");
	return 0;
}

/* resize to a small size with both filters, as imgresize would */
static void
resize(const unsigned char *px, uint32_t h, uint32_t w)
{
	unsigned char out[7 * 5 * 3];
	enum img_filter f;

	for (f = IMG_LINEAR; f <= IMG_AREA; f++)
		REQUIRE(img_resize(out, 7, 5, px, h, w, 3, f, NULL, 0) == IMG_OK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct img_opt opt = { MAX_PIXELS };
	struct img_reader *r = img_reader_new(&opt);
	struct img_info info;
	unsigned char *px;
	uint32_t h, w;
	size_t n, ninputs = 0;
	enum img_err e;

	REQUIRE(r);
	fuzz_file_put(data, size);
	img_reader_start(r, fuzz_fd);
	while ((e = img_read_header(r, &info)) != IMG_END) {
		/* every input is at least one byte, so the loop ends */
		REQUIRE(++ninputs <= size);
		if (e == IMG_EIO || e == IMG_ENOMEM)
			break;
		if (e != IMG_OK) {
			REQUIRE(img_reader_message(r)[0] != '\0');
			continue;
		}
		REQUIRE(info.height >= 1 && info.width >= 1);
		REQUIRE((uint64_t)info.height * info.width <= MAX_PIXELS);
		switch (info.index % 3) {
		case 0:
			REQUIRE(img_skip_image(r) == IMG_OK);
			continue;
		case 1:
			h = info.height;
			w = info.width;
			break;
		default:
			REQUIRE(img_set_target(r, (info.height + 3) / 4, (info.width + 3) / 4, &h,
			                       &w) == IMG_OK);
			REQUIRE(h >= 1 && w >= 1 && h <= info.height && w <= info.width);
			break;
		}
		n = (size_t)h * w * 3;
		REQUIRE((px = malloc(n)));
		e = img_read_pixels(r, px, n);
		if (e == IMG_OK)
			resize(px, h, w);
		free(px);
		if (e == IMG_EIO || e == IMG_ENOMEM)
			break;
	}
	img_reader_free(r);
	return 0;
}
