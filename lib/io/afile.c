/* afile.c: temp file + rename, so a killed run leaves the old file or the new
 * one, never a torn one. */
#include "afile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
release(struct afile *af)
{
	free(af->path);
	free(af->tmp);
	af->path = af->tmp = NULL;
	af->fp = NULL;
}

#ifndef NAME_MAX
#define NAME_MAX 255
#endif

size_t
afile_name_max(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	long n;

	if (!slash) {
		n = pathconf(".", _PC_NAME_MAX);
	} else if (!(dir = malloc((size_t)(slash - path) + 2))) {
		n = -1;
	} else {
		memcpy(dir, path, (size_t)(slash - path) + 1);
		dir[slash - path + 1] = '\0';
		n = pathconf(dir, _PC_NAME_MAX);
		free(dir);
	}
	return n >= 16 && n <= 4096 ? (size_t)n : NAME_MAX;
}

int
afile_check(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return AFILE_ENOTREG;
	return 0;
}

const char *
afile_strerror(int err)
{
	return err == AFILE_ENOTREG ? "not a regular file" : strerror(err);
}

int
afile_open(struct afile *af, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	size_t n = strlen(path), base;
	int fd, err;

	memset(af, 0, sizeof *af);
	if ((err = afile_check(path)) != 0)
		return err;
	af->path = malloc(n + 1);
	af->tmp = malloc(n + 16);
	if (!af->path || !af->tmp) {
		release(af);
		return ENOMEM;
	}
	memcpy(af->path, path, n + 1);
	memcpy(af->tmp, path, dirlen);
	/* "." + base + ".XXXXXX" must itself be a legal name: a base of 248
	 * bytes and more (unpack's record names reach 255) is cut, at a UTF-8
	 * character boundary */
	base = n - dirlen;
	if (base > afile_name_max(path) - 8) {
		base = afile_name_max(path) - 8;
		while (base > 0 && ((unsigned char)path[dirlen + base] & 0xc0) == 0x80)
			base--;
	}
	af->tmp[dirlen] = '.';
	memcpy(af->tmp + dirlen + 1, path + dirlen, base);
	strcpy(af->tmp + dirlen + 1 + base, ".XXXXXX");
	if ((fd = mkstemp(af->tmp)) < 0) {
		err = errno;
		release(af);
		return err;
	}
	if (!(af->fp = fdopen(fd, "wb"))) {
		err = errno;
		close(fd);
		unlink(af->tmp);
		release(af);
		return err;
	}
	return 0;
}

int
afile_commit(struct afile *af, int flags)
{
	mode_t mask;
	int err = 0;

	if (!af->fp)
		return EINVAL;
	/* mkstemp makes the file 0600; give it the mode a plain fopen would */
	mask = umask(0);
	umask(mask);
	if (fflush(af->fp) == EOF || ferror(af->fp))
		err = errno ? errno : EIO;
	if (!err && fchmod(fileno(af->fp), 0666 & ~mask) != 0)
		err = errno;
	if (!err && (flags & AFILE_SYNC) && fsync(fileno(af->fp)) != 0 && errno != EINVAL)
		err = errno;
	if (fclose(af->fp) == EOF && !err)
		err = errno;
	af->fp = NULL;
	if (!err) {
		if (flags & AFILE_NOREPLACE) {
			/* link fails with EEXIST rather than replacing */
			if (link(af->tmp, af->path) != 0)
				err = errno;
			unlink(af->tmp);
		} else if (rename(af->tmp, af->path) != 0) {
			err = errno;
		}
	}
	if (err)
		unlink(af->tmp);
	release(af);
	return err;
}

void
afile_abort(struct afile *af)
{
	if (af->fp) {
		fclose(af->fp);
		unlink(af->tmp);
	}
	release(af);
}
