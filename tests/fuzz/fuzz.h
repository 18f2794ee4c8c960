/* fuzz.h: what the libFuzzer targets share: REQUIRE (abort with the
 * condition, so the fuzzer records a crash), and one scratch file for the
 * readers that take a path or a file descriptor.
 *
 *   fuzz_file_open("fuzz_pack")   create the scratch file (call once, from
 *                                 LLVMFuzzerInitialize); removed at exit
 *   fuzz_file_put(data, size)     make it hold exactly these bytes, offset 0
 *   fuzz_path, fuzz_fd            its name and descriptor
 *   fuzz_tiny_cfg()               tests/data/tiny.cfg without its comments,
 *                                 the network the model and checkpoint
 *                                 targets load into
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define REQUIRE(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

static char fuzz_path[64];
static int fuzz_fd = -1;

static inline void
fuzz_file_remove(void)
{
	unlink(fuzz_path);
}

/* on tmpfs where there is one: truncating and rewriting a file on a disk
 * file system can wait for the disk, hundreds of times slower */
static inline void
fuzz_file_open(const char *name)
{
	snprintf(fuzz_path, sizeof fuzz_path, "%s/%s.XXXXXX",
	         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", name);
	fuzz_fd = mkstemp(fuzz_path);
	REQUIRE(fuzz_fd >= 0);
	atexit(fuzz_file_remove);
}

static inline void
fuzz_file_put(const uint8_t *data, size_t size)
{
	size_t off = 0;
	ssize_t k;

	REQUIRE(ftruncate(fuzz_fd, 0) == 0);
	while (off < size) {
		k = pwrite(fuzz_fd, data + off, size - off, (off_t)off);
		REQUIRE(k > 0);
		off += (size_t)k;
	}
	REQUIRE(lseek(fuzz_fd, 0, SEEK_SET) == 0);
}

static inline const char *
fuzz_tiny_cfg(void)
{
	return "[net]\nchannels = 3\n"
	       "[conv]\nfilters = 8\nsize = 3\npad = same\nactivation = relu\n"
	       "[maxpool]\nsize = 2\npad = same\n"
	       "[batchnorm]\n"
	       "[conv]\nfilters = 8\nsize = 3\npad = same\nactivation = relu\n"
	       "[upsample]\nsize = 2\n"
	       "[conv]\nfilters = 3\nsize = 3\npad = same\nactivation = sigmoid\n";
}

#endif
