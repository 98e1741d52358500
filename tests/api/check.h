/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check.h - the API tests' small assertion kit: CHECK* macros that count and
 * report failures with file and line, and a summary line at the end.
 */
#ifndef WAPC_TESTS_API_CHECK_H
#define WAPC_TESTS_API_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                                          \
  do {                                                                                                       \
    if (cond) {                                                                                              \
      check_passed++;                                                                                        \
    } else {                                                                                                 \
      check_failed++;                                                                                        \
      fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);                               \
    }                                                                                                        \
  } while (0)

/* Status equality, printing both names and the host's message on failure. */
#define CHECK_STATUS(got, want, host)                                                                        \
  do {                                                                                                       \
    wapc_status g_ = (got), w_ = (want);                                                                     \
    if (g_ == w_) {                                                                                          \
      check_passed++;                                                                                        \
    } else {                                                                                                 \
      check_failed++;                                                                                        \
      fprintf(stderr, "%s:%d: %s is %s, expected %s (message: %s)\n", __FILE__, __LINE__, #got,              \
              wapc_status_name(g_), wapc_status_name(w_), wapc_host_last_error(host));                       \
    }                                                                                                        \
  } while (0)

/* Byte-exact comparison of (ptr, len) with a string literal or NUL-terminated string. */
#define CHECK_BYTES(ptr, len, want)                                                                          \
  do {                                                                                                       \
    const char *w_ = (want);                                                                                 \
    size_t wl_ = strlen(w_), gl_ = (len);                                                                    \
    const void *gp_ = (ptr);                                                                                 \
    if (gl_ == wl_ && (wl_ == 0 || (gp_ && memcmp(gp_, w_, wl_) == 0))) {                                    \
      check_passed++;                                                                                        \
    } else {                                                                                                 \
      check_failed++;                                                                                        \
      fprintf(stderr, "%s:%d: %s is \"%.*s\" (%zu bytes), expected \"%s\"\n", __FILE__, __LINE__, #ptr,      \
              (int)(gl_ > 200 ? 200 : gl_), gp_ ? (const char *)gp_ : "", gl_, w_);                          \
    }                                                                                                        \
  } while (0)

#define CHECK_MSG(host, want) CHECK_BYTES(wapc_host_last_error(host), wapc_host_last_error_len(host), want)

static int check_summary(const char *name) {
  printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
  return check_failed ? 1 : 0;
}

#endif
