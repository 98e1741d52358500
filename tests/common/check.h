/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check.h - the counting CHECK/CHECK_STR of the engine-level tests (runtime,
 * hostile): a failure is printed with file and line and counted; the test
 * prints "`passed` passed, `failed` failed" and fails when `failed` > 0.
 */
#ifndef WAPC_TESTS_COMMON_CHECK_H
#define WAPC_TESTS_COMMON_CHECK_H

#include <stdio.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond)                                                                                          \
  do {                                                                                                       \
    if (cond) {                                                                                              \
      passed++;                                                                                              \
    } else {                                                                                                 \
      failed++;                                                                                              \
      fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);                               \
    }                                                                                                        \
  } while (0)

#define CHECK_STR(got, want)                                                                                 \
  do {                                                                                                       \
    const char *g_ = (got), *w_ = (want);                                                                    \
    if (strcmp(g_, w_) == 0) {                                                                               \
      passed++;                                                                                              \
    } else {                                                                                                 \
      failed++;                                                                                              \
      fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #got, g_, w_);           \
    }                                                                                                        \
  } while (0)

#endif
