/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wasi_imports.h - hand-declared WASI preview1 imports and waPC imports for
 * the libc-free test guests that mimic what TinyGo and Rust guests import.
 * WASI_MODULE picks the import module name ("wasi_snapshot_preview1", or
 * "wasi_unstable" for old TinyGo builds).
 */
#ifndef WASI_IMPORTS_H
#define WASI_IMPORTS_H

#include <stddef.h>
#include <stdint.h>

#ifndef WASI_MODULE
#define WASI_MODULE "wasi_snapshot_preview1"
#endif
#define WASI(name) __attribute__((import_module(WASI_MODULE), import_name(#name)))
#define WAPC(name) __attribute__((import_module("wapc"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

typedef struct ciovec {
  const void *buf;
  size_t len;
} ciovec;

WASI(fd_write) int wasi_fd_write(int fd, const ciovec *iovs, size_t n, size_t *written);
WASI(args_sizes_get) int wasi_args_sizes_get(size_t *argc, size_t *size);
WASI(args_get) int wasi_args_get(char **argv, char *buf);
WASI(clock_time_get) int wasi_clock_time_get(uint32_t id, uint64_t precision, uint64_t *time);
WASI(random_get) int wasi_random_get(void *buf, size_t len);
WASI(environ_sizes_get) int wasi_environ_sizes_get(size_t *count, size_t *size);
WASI(environ_get) int wasi_environ_get(char **env, char *buf);
WASI(poll_oneoff) int wasi_poll_oneoff(const void *in, void *out, size_t n, size_t *nevents);
WASI(proc_exit) _Noreturn void wasi_proc_exit(uint32_t code);

WAPC(__guest_request) void guest_request(uint8_t *op, uint8_t *payload);
WAPC(__guest_response) void guest_response(const void *p, size_t len);
WAPC(__guest_error) void guest_error(const void *p, size_t len);

static inline size_t slen(const char *s) {
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

static inline void say(int fd, const char *s) {
  ciovec v = {s, slen(s)};
  size_t w;
  wasi_fd_write(fd, &v, 1, &w);
}

static inline int mem_eq(const void *a, const void *b, size_t n) {
  const uint8_t *x = a, *y = b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i]) return 0;
  return 1;
}

/* Decimal of n into buf (at least 11 bytes); returns buf. */
static inline char *utoa(uint32_t n, char *buf) {
  char t[11];
  int k = 0;
  do {
    t[k++] = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  for (int i = 0; i < k; i++)
    buf[i] = t[k - 1 - i];
  buf[k] = 0;
  return buf;
}

#endif
