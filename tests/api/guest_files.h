/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guest_files.h - reading the API tests' guest modules: whole files from the
 * test's directory (test_dir of test.h).  A test that cannot read a required
 * guest stops with exit status 2, as does one that cannot compile a guest it needs (compile_guest).
 */
#ifndef WAPC_TESTS_API_GUEST_FILES_H
#define WAPC_TESTS_API_GUEST_FILES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "test.h"
#include "wapc.h"

#define U8(s) ((const uint8_t *)(s))

typedef struct bytes {
  uint8_t *data;
  size_t len;
} bytes;

/* The file's bytes; data is NULL when it does not exist and !required. */
static inline bytes load_guest(const char *name, bool required) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", test_dir, name);
  bytes b = {NULL, 0};
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (!required) return b;
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  b.data = malloc(n > 0 ? (size_t)n : 1);
  b.len = fread(b.data, 1, (size_t)n, f);
  fclose(f);
  return b;
}

static inline bytes load_file(const char *name) {
  return load_guest(name, true);
}

/* A guest compiled with `options` (NULL: defaults); the test stops with exit status 2 when it fails. */
static inline wapc_module *compile_guest(const wapc_builtin_options *options, bytes b) {
  wapc_module *m = NULL;
  char msg[256];
  if (wapc_module_compile(options, b.data, b.len, &m, msg, sizeof msg) != WAPC_OK) {
    fprintf(stderr, "compile: %s\n", msg);
    exit(2);
  }
  return m;
}

static inline void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

#endif
