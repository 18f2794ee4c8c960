/* cfg.c: split a cfg(5) text into sections of key = value lines.
 * Darknet's idea of a network as sections, without its atoi and its
 * warn-and-carry-on: a malformed line or number is an error with its line. */
#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
nn_errorf(struct nn_error *err, int line, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
valid_word(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

static int
split(struct cfg *c, struct nn_error *err)
{
	char *p, *line, *next, *eq, *hash;
	struct cfg_section *s = NULL;
	int lineno = 0, i;

	for (p = c->text; p && *p; p = next) {
		lineno++;
		line = p;
		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		if (strlen(line) > 1024)
			return nn_errorf(err, lineno, "line longer than 1024 bytes");
		if ((hash = strchr(line, '#')))
			*hash = '\0';
		line = trim(line);
		if (!*line)
			continue;
		if (*line == '[') {
			char *end = strchr(line, ']');
			if (!end || end[1] != '\0')
				return nn_errorf(err, lineno, "malformed section header");
			*end = '\0';
			line = trim(line + 1);
			if (!valid_word(line))
				return nn_errorf(err, lineno, "malformed section name");
			if (c->nsec == CFG_MAX_SECTIONS)
				return nn_errorf(err, lineno, "more than %d sections", CFG_MAX_SECTIONS);
			s = &c->sec[c->nsec++];
			s->kind = line;
			s->line = lineno;
			continue;
		}
		if (!(eq = strchr(line, '=')))
			return nn_errorf(err, lineno, "expected 'key = value' or '[section]'");
		if (!s)
			return nn_errorf(err, lineno, "key before the first section");
		*eq = '\0';
		if (!valid_word(trim(line)))
			return nn_errorf(err, lineno, "malformed key");
		if (!*trim(eq + 1))
			return nn_errorf(err, lineno, "empty value for '%s'", trim(line));
		for (i = 0; i < s->nkv; i++)
			if (strcmp(s->kv[i].key, trim(line)) == 0)
				return nn_errorf(err, lineno, "duplicate key '%s'", trim(line));
		if (s->nkv == CFG_MAX_KEYS)
			return nn_errorf(err, lineno, "more than %d keys in a section", CFG_MAX_KEYS);
		s->kv[s->nkv].key = trim(line);
		s->kv[s->nkv].val = trim(eq + 1);
		s->kv[s->nkv].line = lineno;
		s->nkv++;
	}
	return 0;
}

int
cfg_parse(struct cfg *c, const char *text, struct nn_error *err)
{
	memset(c, 0, sizeof *c);
	if (!(c->text = strdup(text)) ||
	    !(c->sec = calloc(CFG_MAX_SECTIONS, sizeof *c->sec))) {
		cfg_free(c);
		return nn_errorf(err, 0, "out of memory");
	}
	if (split(c, err) != 0) {
		cfg_free(c);
		return -1;
	}
	return 0;
}

static struct cfg_kv *
find(struct cfg_section *s, const char *key)
{
	int i;

	for (i = 0; i < s->nkv; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			return &s->kv[i];
	return NULL;
}

const char *
cfg_get(struct cfg_section *s, const char *key)
{
	struct cfg_kv *kv = find(s, key);

	if (!kv)
		return NULL;
	kv->used = 1;
	return kv->val;
}

/* The one place a cfg number is read: the whole text must be the number,
 * and it is checked against ERANGE and the bounds in the width strtol or
 * strtod gave it, before any caller narrows it. */
int
cfg_parse_int(const char *text, long min, long max, long *v)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(text, &end, 10);
	if (end == text || *end != '\0')
		return CFG_ENOTNUM;
	if (errno == ERANGE || x < min || x > max)
		return CFG_ERANGE;
	*v = x;
	return 0;
}

int
cfg_parse_num(const char *text, double min, double max, double *v)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(text, &end);
	if (end == text || *end != '\0' || !isfinite(x))
		return CFG_ENOTNUM;
	/* ERANGE here is also underflow: 1e-400 is not 0 */
	if (errno == ERANGE || !(x >= min && x <= max))
		return CFG_ERANGE;
	*v = x;
	return 0;
}

int
cfg_int(struct cfg_section *s, const char *key, long def, long min, long max, long *v,
        struct nn_error *err)
{
	struct cfg_kv *kv = find(s, key);
	int rc;

	*v = def;
	if (!kv)
		return 0;
	kv->used = 1;
	if ((rc = cfg_parse_int(kv->val, min, max, v)) == CFG_ENOTNUM)
		return nn_errorf(err, kv->line, "%s: not an integer: '%s'", key, kv->val);
	if (rc != 0)
		return nn_errorf(err, kv->line, "%s: must be in %ld..%ld", key, min, max);
	return 0;
}

int
cfg_float(struct cfg_section *s, const char *key, double def, double min, double max,
          double *v, struct nn_error *err)
{
	struct cfg_kv *kv = find(s, key);
	int rc;

	*v = def;
	if (!kv)
		return 0;
	kv->used = 1;
	if ((rc = cfg_parse_num(kv->val, min, max, v)) == CFG_ENOTNUM)
		return nn_errorf(err, kv->line, "%s: not a number: '%s'", key, kv->val);
	if (rc != 0)
		return nn_errorf(err, kv->line, "%s: must be in %g..%g", key, min, max);
	return 0;
}

int
cfg_unused(const struct cfg_section *s, struct nn_error *err)
{
	int i;

	for (i = 0; i < s->nkv; i++)
		if (!s->kv[i].used)
			return nn_errorf(err, s->kv[i].line, "unknown key '%s' in [%s]",
			                 s->kv[i].key, s->kind);
	return 0;
}

void
cfg_free(struct cfg *c)
{
	free(c->text);
	free(c->sec);
	memset(c, 0, sizeof *c);
}
