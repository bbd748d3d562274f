/* A minimal TAP producer for the C99 tests: one "ok N - name" line per test function, with
 * the failed checks as diagnostics. meson runs these with protocol: 'tap'. */
#ifndef AGM_TESTS_TAP_H
#define AGM_TESTS_TAP_H

typedef void (*tap_fn)(void);

/* Run one named test function. */
void tap_run(const char *name, tap_fn fn);
/* Record a check in the current test; returns `ok`. */
int tap_check(int ok, const char *expr, const char *file, int line);
/* Print the plan; the process exit status (0 when every test passed). */
int tap_finish(void);

#define CHECK(cond) tap_check((cond) ? 1 : 0, #cond, __FILE__, __LINE__)
#define RUN(fn) tap_run(#fn, fn)

#endif
