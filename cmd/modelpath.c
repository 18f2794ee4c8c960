/* modelpath.c: model_find, the search behind -w NAME (modelpath.h). */
#define _POSIX_C_SOURCE 200809L
#include "modelpath.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MODELDIR
#define MODELDIR "/usr/local/share/dae/models"
#endif

static char dirs[8192];

static int
is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* append dir (n bytes) to dirs, colon-separated; a folder that would take
 * the list past 8 KB is left out */
static void
add_dir(const char *dir, size_t n)
{
	size_t used = strlen(dirs);

	if (n == 0 || used + n + 2 > sizeof dirs)
		return;
	if (used)
		dirs[used++] = ':';
	memcpy(dirs + used, dir, n);
	dirs[used + n] = '\0';
}

/* the folders in search order, colon-separated, into dirs */
const char *
model_dirs(void)
{
	const char *p = getenv("DAE_MODEL_PATH"), *q;
	char buf[4096];

	dirs[0] = '\0';
	for (; p && *p; p = *q ? q + 1 : q) {
		q = strchr(p, ':');
		if (!q)
			q = p + strlen(p);
		add_dir(p, (size_t)(q - p));
	}
	/* the XDG base directory specification's default, and it says a
	 * relative XDG_DATA_HOME is invalid and to be ignored */
	if ((p = getenv("XDG_DATA_HOME")) && *p == '/' &&
	    snprintf(buf, sizeof buf, "%s/dae/models", p) < (int)sizeof buf)
		add_dir(buf, strlen(buf));
	else if ((p = getenv("HOME")) && *p &&
	         snprintf(buf, sizeof buf, "%s/.local/share/dae/models", p) < (int)sizeof buf)
		add_dir(buf, strlen(buf));
	add_dir(MODELDIR, strlen(MODELDIR));
	/* a build tree: the models folder beside the program, found through
	 * Linux's /proc (elsewhere readlink fails and it is left out) */
	ssize_t k = readlink("/proc/self/exe", buf, sizeof buf - sizeof "models");
	char *slash;
	if (k > 0) {
		buf[k] = '\0';
		if ((slash = strrchr(buf, '/'))) {
			strcpy(slash + 1, "models");
			add_dir(buf, strlen(buf));
		}
	}
	return dirs;
}

int
model_find(const char *name, char **path)
{
	static const char *const ext[] = { "", ".bin" };
	const char *d, *q;
	size_t i, n;
	char *buf;

	*path = NULL;
	if (is_file(name) || strchr(name, '/') || !*name) {
		if (!(*path = strdup(name)))
			return -1;
		return 0;
	}
	model_dirs();
	for (d = dirs; *d; d = *q ? q + 1 : q) {
		q = strchr(d, ':');
		if (!q)
			q = d + strlen(d);
		n = (size_t)(q - d);
		for (i = 0; i < sizeof ext / sizeof ext[0]; i++) {
			size_t len = n + 1 + strlen(name) + strlen(ext[i]) + 1;
			if (!(buf = malloc(len)))
				return -1;
			snprintf(buf, len, "%.*s/%s%s", (int)n, d, name, ext[i]);
			if (is_file(buf)) {
				*path = buf;
				return 0;
			}
			free(buf);
		}
	}
	errno = ENOENT;
	return -1;
}
