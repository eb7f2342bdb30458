/* check.h — the core tests' assertion: a failed CHECK prints where and why, counts, and
 * the test goes on, so one run reports every failure. main() returns failures != 0. */
#ifndef CNN_TEST_CHECK_H
#define CNN_TEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                        \
  do {                                                          \
    if (!(cond)) {                                              \
      failures++;                                               \
      printf ("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);   \
      printf (__VA_ARGS__);                                     \
      printf ("\n");                                            \
    }                                                           \
  } while (0)

#endif /* CNN_TEST_CHECK_H */
