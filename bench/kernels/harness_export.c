/* SPDX-License-Identifier: Apache-2.0 */
/*
 * harness_export.c - the plain-export build of a kernel: no libc, no imports,
 * exports run(n) -> checksum and default_n(), so any embedder (the suite's
 * in-process runner uses the engine directly) can run it without WASI.
 * memcpy/memset are here because the compiler may emit calls to them.
 */
#include "kernel.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

void *memcpy(void *dst, const void *src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  while (n--)
    *d++ = *s++;
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  uint8_t *d = dst;
  while (n--)
    *d++ = (uint8_t)c;
  return dst;
}

__attribute__((export_name("run"))) uint32_t run(uint32_t n);
__attribute__((export_name("default_n"))) uint32_t default_n(void);

uint32_t run(uint32_t n) {
  return bench_kernel(n);
}
uint32_t default_n(void) {
  return bench_default_n();
}
