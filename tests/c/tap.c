#include "tap.h"

#include <stdio.h>

static int tests_run, tests_failed, current_failures;

void tap_run(const char *name, tap_fn fn) {
  current_failures = 0;
  fn();
  ++tests_run;
  if (current_failures) ++tests_failed;
  printf("%s %d - %s\n", current_failures ? "not ok" : "ok", tests_run, name);
  fflush(stdout);
}

int tap_check(int ok, const char *expr, const char *file, int line) {
  if (!ok) {
    ++current_failures;
    printf("# %s:%d: check failed: %s\n", file, line, expr);
  }
  return ok;
}

int tap_finish(void) {
  printf("1..%d\n", tests_run);
  return tests_failed ? 1 : 0;
}
