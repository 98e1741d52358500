/* SPDX-License-Identifier: Apache-2.0 */
/*
 * basics: a WASI command built with wasi-libc.  argv[1] picks what to do; the
 * test driver (test_wasi.c) and cli.sh check the exact output and exit code.
 *   args                 print argc and each argument on its own line
 *   env                  print each environment entry on its own line
 *   clock                check realtime, monotonic and the clock resolutions; print "clock ok"
 *   random               two 32-byte getentropy() draws, non-zero and different; print "random ok"
 *   sleep MS             sleep MS milliseconds (poll_oneoff), check the monotonic clock moved that much
 *   exit N               exit(N)
 *   cat                  copy stdin to stdout
 *   stdio                "to stdout\n" on stdout, "to stderr\n" on stderr
 *   fdstat               fstat() stdin/stdout/stderr must work
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int fail(const char *what) {
  printf("FAIL %s (errno %d)\n", what, errno);
  return 1;
}

int main(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : "";
  if (!strcmp(cmd, "args")) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
      printf("%s\n", argv[i]);
    return 0;
  }
  if (!strcmp(cmd, "env")) {
    for (char **e = environ; *e; e++)
      printf("%s\n", *e);
    return 0;
  }
  if (!strcmp(cmd, "clock")) {
    struct timespec t, r;
    if (clock_gettime(CLOCK_REALTIME, &t) != 0) return fail("realtime");
    if (t.tv_sec < 1600000000) return fail("realtime is before 2020");
    long long a = mono_ns(), b = mono_ns();
    if (b < a) return fail("monotonic went back");
    if (clock_getres(CLOCK_MONOTONIC, &r) != 0 || (r.tv_sec == 0 && r.tv_nsec == 0)) return fail("res");
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) != 0) return fail("cputime");
    if (time(NULL) < 1600000000) return fail("time()");
    printf("clock ok\n");
    return 0;
  }
  if (!strcmp(cmd, "random")) {
    unsigned char x[32], y[32], zero[32] = {0};
    if (getentropy(x, sizeof x) != 0 || getentropy(y, sizeof y) != 0) return fail("getentropy");
    if (!memcmp(x, zero, 32) || !memcmp(x, y, 32)) return fail("random bytes");
    printf("random ok\n");
    return 0;
  }
  if (!strcmp(cmd, "sleep") && argc > 2) {
    long ms = atol(argv[2]);
    long long a = mono_ns();
    struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
    if (nanosleep(&d, NULL) != 0) return fail("nanosleep");
    long long took = (mono_ns() - a) / 1000000;
    if (took < ms) {
      printf("FAIL slept %lld ms of %ld\n", took, ms);
      return 1;
    }
    printf("slept ok\n");
    return 0;
  }
  if (!strcmp(cmd, "exit") && argc > 2) {
    printf("exiting\n");
    fflush(stdout);
    exit(atoi(argv[2]));
  }
  if (!strcmp(cmd, "cat")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
      fwrite(buf, 1, n, stdout);
    return ferror(stdin) ? 1 : 0;
  }
  if (!strcmp(cmd, "stdio")) {
    fputs("to stdout\n", stdout);
    fflush(stdout);
    fputs("to stderr\n", stderr);
    return 0;
  }
  if (!strcmp(cmd, "fdstat")) {
    struct stat st;
    for (int fd = 0; fd < 3; fd++)
      if (fstat(fd, &st) != 0) return fail("fstat");
    printf("fdstat ok\n");
    return 0;
  }
  printf("usage: basics args|env|clock|random|sleep MS|exit N|cat|stdio|fdstat\n");
  return 2;
}
