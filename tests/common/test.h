/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test.h - the one header of the C tests: counting CHECK macros and a registry of cases.
 *
 * A test program defines its cases with TEST_IMPL(name), lists them once between TEST_LIST_BEGIN and
 * TEST_LIST_END with TEST_ENTRY(name), and calls test_main() from main().  A failed CHECK is printed
 * with file and line and counted; the case goes on (later checks still run).  The program takes
 *
 *   --list        print the case names, one a line, and exit
 *   --dir DIR     the directory of its input files (test_dir; default: WAPC_TEST_DIR when defined)
 *   CASE...       run only these cases (default: all, in list order)
 *
 * and prints "SUITE.CASE: N passed, M failed" after each case and "SUITE: N passed, M failed" at the
 * end; it exits 1 when a check failed and 2 on a usage error.  CMake registers each case as its own
 * ctest test, named SUITE.CASE (wapc_add_test_cases in tests/CMakeLists.txt reads the TEST_ENTRY lines).
 */
#ifndef WAPC_TESTS_COMMON_TEST_H
#define WAPC_TESTS_COMMON_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Integer equality, printing both values on failure. */
#define CHECK_INT(got, want)                                                                                 \
  do {                                                                                                       \
    long long g_ = (long long)(got), w_ = (long long)(want);                                                 \
    if (g_ == w_) {                                                                                          \
      check_passed++;                                                                                        \
    } else {                                                                                                 \
      check_failed++;                                                                                        \
      fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__, #got, g_, w_);               \
    }                                                                                                        \
  } while (0)

/* For a condition the rest of the case depends on (a pointer it uses): a CHECK that ends the case
 * when it fails.  The condition is evaluated once (it may be a call). */
#define CHECK_OR_RETURN(cond)                                                                                \
  do {                                                                                                       \
    if (cond) {                                                                                              \
      check_passed++;                                                                                        \
    } else {                                                                                                 \
      check_failed++;                                                                                        \
      fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);                               \
      return;                                                                                                \
    }                                                                                                        \
  } while (0)

/* A failure with a printf-style explanation, ending the case. */
#define FAIL_AND_RETURN(...)                                                                                 \
  do {                                                                                                       \
    check_failed++;                                                                                          \
    fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                                          \
    fprintf(stderr, __VA_ARGS__);                                                                            \
    fputc('\n', stderr);                                                                                     \
    return;                                                                                                  \
  } while (0)

/* NUL-terminated string equality. */
#define CHECK_STR(got, want)                                                                                 \
  do {                                                                                                       \
    const char *g_ = (got), *w_ = (want);                                                                    \
    if (strcmp(g_, w_) == 0) {                                                                               \
      check_passed++;                                                                                        \
    } else {                                                                                                 \
      check_failed++;                                                                                        \
      fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #got, g_, w_);           \
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

/* For tests of the public API (wapc.h included first): status equality, printing both names and the
 * host's message on failure, and the host's message compared byte for byte. */
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

#define CHECK_MSG(host, want) CHECK_BYTES(wapc_host_last_error(host), wapc_host_last_error_len(host), want)

/* ---- the registry ------------------------------------------------------------------------------------ */

typedef struct test_case {
  const char *name;
  void (*run)(void);
} test_case;

/* A case's function, and its declaration when the list comes before the definitions. */
#define TEST_IMPL(name)                                                                                      \
  static void test_##name(void);                                                                             \
  static void test_##name(void)
#define TEST_DECLARE(name) static void test_##name(void);

/* clang-format off */
#define TEST_LIST_BEGIN static const test_case test_cases[] = {
#define TEST_ENTRY(name) {#name, test_##name},
#define TEST_LIST_END {NULL, NULL}};
/* clang-format on */

/* The directory given with --dir (or WAPC_TEST_DIR); NULL when neither. */
static const char *test_dir;

static const test_case *test_find(const test_case *cases, const char *name) {
  for (const test_case *c = cases; c->name; c++)
    if (strcmp(c->name, name) == 0) return c;
  return NULL;
}

/* Whether the command line names this case (option values are not case names). */
static bool test_named(int argc, char **argv, const char *name) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--dir") == 0)
      i++;
    else if (strcmp(argv[i], name) == 0)
      return true;
  }
  return false;
}

/* Parses the command line (see above), runs setup, the chosen cases and teardown (either may be NULL)
 * and returns main's exit status. */
static int test_main(int argc, char **argv, const char *suite, const test_case *cases, void (*setup)(void),
                     void (*teardown)(void)) {
#ifdef WAPC_TEST_DIR
  test_dir = WAPC_TEST_DIR;
#endif
  bool all = true;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--list") == 0) {
      for (const test_case *c = cases; c->name; c++)
        printf("%s\n", c->name);
      return 0;
    } else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
      test_dir = argv[++i];
    } else if (argv[i][0] == '-') {
      fprintf(stderr, "usage: %s [--list] [--dir DIR] [CASE...]\n", argv[0]);
      return 2;
    } else if (!test_find(cases, argv[i])) {
      fprintf(stderr, "%s: no case named %s (--list lists them)\n", suite, argv[i]);
      return 2;
    } else {
      all = false;
    }
  }
  if (setup) setup();
  for (const test_case *c = cases; c->name; c++) {
    if (!all && !test_named(argc, argv, c->name)) continue;
    int passed = check_passed, failed = check_failed;
    c->run();
    printf("%s.%s: %d passed, %d failed\n", suite, c->name, check_passed - passed, check_failed - failed);
    fflush(stdout);
  }
  if (teardown) teardown();
  printf("%s: %d passed, %d failed\n", suite, check_passed, check_failed);
  return check_failed ? 1 : 0;
}

#endif
