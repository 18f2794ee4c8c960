/* cfg.h: the INI-like network description, parsed into sections. See cfg(5).
 *
 * ABOUT
 *   A cfg is a "[net]" section and then one section per layer, each a list
 *   of "key = value" lines; '#' starts a comment. This module only splits
 *   the text and remembers line numbers; the layer kinds give keys meaning
 *   (lib/nn/nn*.c), and every key must be read by someone or it is an error.
 *
 * USAGE
 *   cfg_parse(&c, text, &err)        split text into sections
 *   cfg_get(sec, key)                the value of key or NULL; marks it used
 *   cfg_int(sec, key, def, min, max, &v, &err)    bounded integer
 *   cfg_float(sec, key, def, min, max, &v, &err)  bounded finite number
 *   cfg_parse_int(text, min, max, &v)  the number parser behind cfg_int, for
 *                                    numbers in other values ('from'): 0,
 *                                    CFG_ENOTNUM or CFG_ERANGE (checked in
 *                                    long, before any narrowing); *v is set
 *                                    only on success
 *   cfg_parse_num(text, min, max, &v)  the same for cfg_float (double)
 *   cfg_unused(sec, &err)            error for the first key nobody read
 *   cfg_free(&c)
 *
 * ERRORS
 *   Functions that can fail return 0 or -1 and fill a struct nn_error with
 *   the line and a message; nothing is printed.
 *
 * MEMORY
 *   cfg_parse copies the text once; sections and keys point into the copy.
 *   cfg_free releases it; it accepts a zeroed struct.
 *
 * LIMITS
 *   At most CFG_MAX_SECTIONS sections and CFG_MAX_KEYS keys per section;
 *   lines up to 1024 bytes.
 */
#ifndef CFG_H
#define CFG_H

#include <stddef.h>

#define CFG_MAX_SECTIONS 256
#define CFG_MAX_KEYS 16

struct nn_error {
	int line;               /* 1-based cfg line, 0 if none */
	char msg[240];
};

struct cfg_kv {
	const char *key, *val;
	int line, used;
};

struct cfg_section {
	const char *kind;       /* the name in brackets */
	int line;
	struct cfg_kv kv[CFG_MAX_KEYS];
	int nkv;
};

struct cfg {
	char *text;
	struct cfg_section *sec;
	int nsec;
};

enum { CFG_ENOTNUM = -1, CFG_ERANGE = -2 };

int cfg_parse(struct cfg *c, const char *text, struct nn_error *err);
int cfg_parse_int(const char *text, long min, long max, long *v);
int cfg_parse_num(const char *text, double min, double max, double *v);
const char *cfg_get(struct cfg_section *s, const char *key);
int cfg_int(struct cfg_section *s, const char *key, long def, long min, long max, long *v,
            struct nn_error *err);
int cfg_float(struct cfg_section *s, const char *key, double def, double min, double max,
              double *v, struct nn_error *err);
int cfg_unused(const struct cfg_section *s, struct nn_error *err);
void cfg_free(struct cfg *c);
/* nn_errorf fills err (line, printf-style message) and returns -1 */
int nn_errorf(struct nn_error *err, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
