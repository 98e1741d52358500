/* SPDX-License-Identifier: Apache-2.0 */
/* hash.h - the FNV-1a hash the SIMD test programs print their results by (native and wasm builds). */
#ifndef SIMD_PROGRAMS_HASH_H
#define SIMD_PROGRAMS_HASH_H

#include <stddef.h>
#include <stdint.h>

static uint32_t hash(const void *p, size_t n) {
  const uint8_t *b = p;
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * 16777619u;
  return h;
}

#endif
