/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codemem.h - where machine code is written and where it runs.
 *
 * A jit_buf is an ordinary growable byte buffer the emitter writes into; a
 * failed allocation is remembered (`failed`) and later writes are dropped,
 * so the emitter checks once at the end.  jit_exec_map copies finished code
 * into a fresh mapping and makes it read+execute: the pages are never
 * writable and executable at once, and a system that refuses executable
 * memory (SELinux deny_execmem, PaX) gets NULL, never a crash.
 */
#ifndef WAPC_JIT_CODEMEM_H
#define WAPC_JIT_CODEMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct jit_buf {
  uint8_t *p;
  size_t len, cap;
  bool failed;
  bool mapped; /* p is an anonymous mapping of cap bytes (jit_buf_map), else a heap block */
} jit_buf;

void jit_buf_free(jit_buf *b);
/* Back an empty buffer with a mapping reserving `reserve` bytes (pages cost nothing until written),
 * so code is written where it will run: jit_exec_seal then needs no copy.  False: keep the heap. */
bool jit_buf_map(jit_buf *b, size_t reserve);
/* Make a mapped buffer's code read+execute where it is (the unused rest inaccessible) and take the
 * mapping over: its base, with *mapped its size for jit_exec_unmap; NULL when the system refuses
 * (the buffer is released either way). */
void *jit_exec_seal(jit_buf *b, size_t *mapped);
/* Room for n more bytes; false (and b->failed) when out of memory. */
bool jit_buf_reserve(jit_buf *b, size_t n);

static inline void jit_u8(jit_buf *b, uint8_t v) {
  if (b->len < b->cap || jit_buf_reserve(b, 1)) b->p[b->len++] = v;
}
static inline void jit_u32(jit_buf *b, uint32_t v) {
  if (b->cap - b->len >= 4 || jit_buf_reserve(b, 4)) {
    for (int i = 0; i < 4; i++)
      b->p[b->len++] = (uint8_t)(v >> (8 * i));
  }
}
static inline void jit_u64(jit_buf *b, uint64_t v) {
  jit_u32(b, (uint32_t)v);
  jit_u32(b, (uint32_t)(v >> 32));
}
/* Room for n more bytes, checked once, for the unchecked jit_put8/jit_put32 that follow. */
static inline bool jit_room(jit_buf *b, size_t n) {
  return b->cap - b->len >= n || jit_buf_reserve(b, n);
}
static inline void jit_put8(jit_buf *b, uint8_t v) {
  b->p[b->len++] = v;
}
static inline void jit_put32(jit_buf *b, uint32_t v) {
  uint8_t *p = b->p + b->len;
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
  b->len += 4;
}
/* Overwrite 4 bytes at `at` (a fixup). */
static inline void jit_patch32(jit_buf *b, size_t at, uint32_t v) {
  if (b->failed || at + 4 > b->len) return;
  for (int i = 0; i < 4; i++)
    b->p[at + i] = (uint8_t)(v >> (8 * i));
}

/* A read+execute copy of `len` bytes (NULL when the system refuses or
 * memory runs out); *mapped receives the mapping's size for jit_exec_unmap. */
void *jit_exec_map(const uint8_t *code, size_t len, size_t *mapped);
void jit_exec_unmap(void *p, size_t mapped);

#endif
