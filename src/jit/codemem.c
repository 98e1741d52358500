/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codemem.c - the emitter's byte buffer and executable mappings (codemem.h).
 */
#include "jit/codemem.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/mem.h"

static size_t page_size(void) {
  long page = sysconf(_SC_PAGESIZE);
  return page > 0 ? (size_t)page : 4096;
}

void jit_buf_free(jit_buf *b) {
  if (b->mapped)
    mem_unmap(b->p, b->cap);
  else
    mem_free(b->p);
  memset(b, 0, sizeof *b);
}

bool jit_buf_map(jit_buf *b, size_t reserve) {
  size_t ps = page_size();
  reserve = (reserve + ps - 1) / ps * ps;
  void *p = reserve ? mem_map(reserve, PROT_READ | PROT_WRITE) : MAP_FAILED;
  if (p == MAP_FAILED) return false;
  jit_buf_free(b);
  b->p = p;
  b->cap = reserve;
  b->mapped = true;
  return true;
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
  uint8_t *p;
  if (b->mapped) {
    /* outgrew its reservation (rare): a bigger one */
    p = mem_map(cap, PROT_READ | PROT_WRITE);
    if (p == MAP_FAILED) p = NULL;
    if (p) {
      memcpy(p, b->p, b->len);
      mem_unmap(b->p, b->cap);
    }
  } else {
    p = mem_realloc(b->p, cap);
  }
  if (!p) {
    b->failed = true;
    return false;
  }
  b->p = p;
  b->cap = cap;
  return true;
}

void *jit_exec_seal(jit_buf *b, size_t *mapped) {
  size_t ps = page_size();
  size_t used = (b->len + ps - 1) / ps * ps;
  void *p = NULL;
  if (b->mapped && !b->failed && used && used <= b->cap &&
      (used == b->cap || mem_protect(b->p + used, b->cap - used, PROT_NONE) == 0) &&
      mem_protect(b->p, used, PROT_READ | PROT_EXEC) == 0) {
    p = b->p;
    *mapped = b->cap;
    memset(b, 0, sizeof *b);
    return p;
  }
  jit_buf_free(b);
  return NULL;
}

void *jit_exec_map(const uint8_t *code, size_t len, size_t *mapped) {
  size_t ps = page_size();
  size_t size = (len + ps - 1) / ps * ps;
  if (!size) return NULL;
  void *p = mem_map(size, PROT_READ | PROT_WRITE);
  if (p == MAP_FAILED) return NULL;
  memcpy(p, code, len);
  /* Written; now executable and no longer writable (a refusal here is what SELinux's
   * deny_execmem or PaX looks like; the allocation-failure tests make it happen). */
  if (mem_protect(p, size, PROT_READ | PROT_EXEC) != 0) {
    mem_unmap(p, size);
    return NULL;
  }
  *mapped = size;
  return p;
}

void jit_exec_unmap(void *p, size_t mapped) {
  if (p) mem_unmap(p, mapped);
}
