/* modelpath.h: find a model by name, for the programs that take -w.
 *
 *   model_find(name, &path)   0 and a malloc'd path, or -1 with errno
 *                             ENOENT (found nowhere) or ENOMEM
 *   model_dirs()              the folders searched, as one line for a
 *                             message: "dir1:dir2:..."
 *
 * A name that names an existing file, or holds a '/', is a path and is taken
 * as it is. Any other name is looked for, as NAME and as NAME.bin, in each
 * folder of DAE_MODEL_PATH (colon-separated), then the user's data folder
 * ($XDG_DATA_HOME/dae/models, or ~/.local/share/dae/models), then the
 * install folder MODELDIR ($(PREFIX)/share/dae/models, compiled in), then
 * the folder models beside the program (so a build tree finds its own).
 * Linked into programs only: lib/ never reads the environment.
 */
#ifndef MODELPATH_H
#define MODELPATH_H

/* the model -w takes when it is not given: the recommended colour model */
#define MODEL_DEFAULT "denoise-color"

int model_find(const char *name, char **path);
const char *model_dirs(void);

#endif
