/* t.h: the unit-test harness. Header-only; one test program per module.
 *
 *   CHECK(cond, fmt, ...)   report file:line and the message when cond is
 *                           false, count the failure, go on
 *   CHECK_CLOSE(a, b, tol)  |a - b| <= tol * max(1, |b|)
 *   RUN(fn)                 run a test function, print a TAP line for it
 *   t_check_tensor(name, got, want, n, tol)
 *                           compare arrays: relative tolerance tol with an
 *                           absolute floor of tol; prints the max difference
 *                           and the first bad index, as llm.c's check_tensor
 *   t_check_scaled(name, got, want, n, tol, floor)
 *                           compare arrays against tol times the largest
 *                           |want| (at least floor; 1 if both are 0): for
 *                           outputs whose small entries are mostly rounding
 *   t_read_text(path)       a small text file (a cfg) in a static buffer,
 *                           or NULL
 *   return t_done();        from main: prints the plan, exits non-zero on
 *                           any failure
 *
 * Output is TAP ("ok 3 - test_name"), which the test runner counts together
 * with bats' output into one "N passed, N failed" line.
 */
#ifndef T_H
#define T_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int t_failures;    /* CHECK failures in the running test */
static int t_ntests, t_nfailed;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		t_failures++; \
		printf("#   %s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
		printf(__VA_ARGS__); \
		printf("\n"); \
	} \
} while (0)

#define CHECK_CLOSE(a, b, tol) do { \
	double t_a_ = (a), t_b_ = (b); \
	CHECK(fabs(t_a_ - t_b_) <= (tol) * fmax(1.0, fabs(t_b_)), \
	      "%s = %.9g, %s = %.9g, tol %g", #a, t_a_, #b, t_b_, (double)(tol)); \
} while (0)

#define RUN(fn) do { \
	t_failures = 0; \
	fn(); \
	t_ntests++; \
	if (t_failures) \
		t_nfailed++; \
	printf("%s %d - %s\n", t_failures ? "not ok" : "ok", t_ntests, #fn); \
	fflush(stdout); \
} while (0)

/* returns 1 when all n values agree within tol relative (floor tol absolute) */
static inline int
t_check_tensor(const char *name, const float *got, const float *want, size_t n, double tol)
{
	double maxdiff = 0, d;
	size_t i, bad = (size_t)-1, nbad = 0;

	for (i = 0; i < n; i++) {
		d = fabs((double)got[i] - want[i]);
		if (!(d <= tol * fmax(1.0, fabs(want[i])))) {
			if (bad == (size_t)-1)
				bad = i;
			nbad++;
		}
		if (d > maxdiff || d != d)
			maxdiff = d;
	}
	if (nbad) {
		t_failures++;
		printf("#   %s: %zu of %zu differ, max diff %.3g, first at [%zu]: got %.9g want %.9g\n",
		       name, nbad, n, maxdiff, bad, got[bad], want[bad]);
		return 0;
	}
	printf("#   %s: %zu values, max diff %.3g (tol %g)\n", name, n, maxdiff, tol);
	return 1;
}

/* returns 1 when every |got - want| <= tol * max(max |want|, floor) */
static inline int
t_check_scaled(const char *name, const float *got, const float *want, size_t n, double tol,
               double floor)
{
	double scale = 0, worst = 0, d;
	size_t i, at = 0;

	for (i = 0; i < n; i++)
		scale = fmax(scale, fabs(want[i]));
	scale = fmax(scale, floor);
	scale = scale > 0 ? scale : 1;
	for (i = 0; i < n; i++) {
		d = fabs((double)got[i] - want[i]);
		if (d > worst || d != d) {
			worst = d;
			at = i;
		}
	}
	if (!(worst <= tol * scale)) {
		t_failures++;
		printf("#   %s: max diff %.3g (%.3g of scale %.3g) at [%zu]: got %.9g want %.9g, tol %g\n",
		       name, worst, worst / scale, scale, at, got[at], want[at], tol);
		return 0;
	}
	printf("#   %s: %zu values, max diff %.3g relative to scale %.3g (tol %g)\n", name, n,
	       worst / scale, scale, tol);
	return 1;
}

static inline char *
t_read_text(const char *path)
{
	static char buf[1 << 16];
	FILE *fp = fopen(path, "rb");
	size_t n;

	if (!fp)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return buf;
}

static inline int
t_done(void)
{
	printf("1..%d\n", t_ntests);
	return t_nfailed ? 1 : 0;
}

#endif
