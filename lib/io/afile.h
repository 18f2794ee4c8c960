/* afile.h: files that appear whole or not at all.
 *
 * ABOUT
 *   Outputs that must never be seen half-written (models, checkpoints, packs,
 *   unpacked images) are written to a temporary name in the same directory
 *   and renamed into place only after a checked flush, fsync and close.
 *
 * USAGE
 *   afile_open(&af, path)        create "dir/.base.XXXXXX"; write to af.fp
 *   afile_commit(&af, flags)     flush, close, rename to path. Flags:
 *                                AFILE_NOREPLACE: an existing path is EEXIST
 *                                AFILE_SYNC: fsync first, so the file also
 *                                survives a power cut (models, checkpoints)
 *   afile_abort(&af)             close and remove the temporary file
 *   af.tmp                       the temporary name (for signal cleanup)
 *
 * ERRORS
 *   afile_open and afile_commit return 0 or an errno value; after a failed
 *   commit the temporary file is removed and path is untouched.
 *
 * MEMORY
 *   The struct holds two heap strings, freed by commit or abort; abort on a
 *   zeroed or already finished struct is a no-op.
 */
#ifndef AFILE_H
#define AFILE_H

#include <stdio.h>

struct afile {
	FILE *fp;
	char *path;
	char *tmp;
};

int afile_open(struct afile *af, const char *path);
enum { AFILE_NOREPLACE = 1, AFILE_SYNC = 2 };

int afile_commit(struct afile *af, int flags);
void afile_abort(struct afile *af);

#endif
