/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codemem.c - the emitter's byte buffer and executable mappings (codemem.h).
 */
#include "jit/codemem.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/mem.h"

void jit_buf_free(jit_buf *b) {
  mem_free(b->p);
  memset(b, 0, sizeof *b);
}

bool jit_buf_reserve(jit_buf *b, size_t n) {
  if (b->failed) return false;
  if (b->cap - b->len >= n) return true;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap - b->len < n) {
    if (cap > ((size_t)1 << 40)) {
      b->failed = true;
      return false;
    }
    cap *= 2;
  }
  uint8_t *p = mem_realloc(b->p, cap);
  if (!p) {
    b->failed = true;
    return false;
  }
  b->p = p;
  b->cap = cap;
  return true;
}

void *jit_exec_map(const uint8_t *code, size_t len, size_t *mapped) {
  long page = sysconf(_SC_PAGESIZE);
  size_t ps = page > 0 ? (size_t)page : 4096;
  size_t size = (len + ps - 1) / ps * ps;
  if (!size) return NULL;
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  memcpy(p, code, len);
  /* Written; now executable and no longer writable. */
  if (mprotect(p, size, PROT_READ | PROT_EXEC) != 0) {
    munmap(p, size);
    return NULL;
  }
  *mapped = size;
  return p;
}

void jit_exec_unmap(void *p, size_t mapped) {
  if (p) munmap(p, mapped);
}
