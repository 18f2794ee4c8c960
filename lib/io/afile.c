/* afile.c: temp file + rename, so a killed run leaves the old file or the new
 * one, never a torn one. */
#include "afile.h"

#include <errno.h>
#include <fcntl.h>
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

int
afile_open(struct afile *af, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	size_t n = strlen(path);
	int fd, err;

	memset(af, 0, sizeof *af);
	af->path = malloc(n + 1);
	af->tmp = malloc(n + 16);
	if (!af->path || !af->tmp) {
		release(af);
		return ENOMEM;
	}
	memcpy(af->path, path, n + 1);
	memcpy(af->tmp, path, dirlen);
	strcpy(af->tmp + dirlen, ".");
	strcat(af->tmp, path + dirlen);
	strcat(af->tmp, ".XXXXXX");
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
