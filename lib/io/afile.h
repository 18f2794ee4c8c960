/* afile.h: files that appear whole or not at all.
 *
 * ABOUT
 *   Outputs that must never be seen half-written (models, checkpoints, packs,
 *   unpacked images) are written to a temporary name in the same directory
 *   and renamed into place only after a checked flush, fsync and close.
 *
 * USAGE
 *   afile_check(path)            0 when path is absent or a regular file;
 *                                AFILE_ENOTREG when it is a FIFO, a device,
 *                                a directory, ...: rename would replace it
 *                                (as root even /dev/null), so nothing that
 *                                is not a regular file is replaced
 *   afile_open(&af, path)        afile_check, then create "dir/.base.XXXXXX"
 *                                (base cut to fit NAME_MAX); write to af.fp
 *   afile_commit(&af, flags)     flush, close, rename to path. Flags:
 *                                AFILE_NOREPLACE: an existing path is EEXIST
 *                                AFILE_SYNC: fsync first, so the file also
 *                                survives a power cut (models, checkpoints)
 *   afile_abort(&af)             close and remove the temporary file
 *   af.tmp                       the temporary name (for signal cleanup)
 *   afile_name_max(path)         the longest name in path's directory
 *                                (pathconf _PC_NAME_MAX, else NAME_MAX)
 *   afile_strerror(err)          err in words: strerror, or "not a regular
 *                                file"
 *
 * ERRORS
 *   afile_open and afile_commit return 0, an errno value or AFILE_ENOTREG;
 *   after a failed commit the temporary file is removed and path is
 *   untouched.
 *
 * MEMORY
 *   The struct holds two heap strings, freed by commit or abort; abort on a
 *   zeroed or already finished struct is a no-op.
 */
#ifndef AFILE_H
#define AFILE_H

#include <stddef.h>
#include <stdio.h>

struct afile {
	FILE *fp;
	char *path;
	char *tmp;
};

/* not an errno value: those are positive */
#define AFILE_ENOTREG (-1)

int afile_check(const char *path);
size_t afile_name_max(const char *path);
int afile_open(struct afile *af, const char *path);
const char *afile_strerror(int err);
enum { AFILE_NOREPLACE = 1, AFILE_SYNC = 2 };

int afile_commit(struct afile *af, int flags);
void afile_abort(struct afile *af);

#endif
