/* SPDX-License-Identifier: Apache-2.0 */
/*
 * memory.c - linear memories (declared in vm.h and runtime.h).  A memory
 * reserves address space for its whole growth cap up front (mmap PROT_NONE,
 * up to 4 GiB), makes the committed part read-write, and grows in place with
 * mprotect, so the base never moves and growth never copies.  The cap is
 * min(declared max or 65536 pages, cfg.max_memory_pages); a memory whose
 * initial size is above it is refused.  The reservation is returned when the
 * store is freed: to the store's pool (store.c) when it has one and the
 * memory committed at most VM_POOL_MEMORY_MAX bytes (the pool zeroes it
 * before the next instance gets it), otherwise to the system.  A memory
 * started from a pre-initialised image (image.c) maps the image's file
 * copy-on-write over its first bytes; when it is released, its read-write part
 * is replaced by fresh zero pages in one mmap, so it goes back to the pool
 * whatever its size, with nothing for the pool to clear.
 */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/mem.h"
#include "vm/store.h"

#define MAX_PAGES 65536u /* 4 GiB: the most a 32-bit memory can address */

/* Fresh zero pages, read-write, over [data, data+len). */
static bool zero_pages(uint8_t *data, size_t len) {
  return mmap(data, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
              0) != MAP_FAILED;
}

static void memory_release(void *obj) {
  vm_memory *m = obj;
  if (!m->data) return;
  if (m->image_len) {
    if (m->pool && zero_pages(m->data, m->rw) && vm_pool_put_memory(m->pool, m->data, m->reserved, m->rw, 0))
      return;
    mem_unmap(m->data, m->reserved);
    return;
  }
  /* Only [0, size) was ever accessible; the rest of the read-write part is still zero. */
  if (m->pool && m->rw <= VM_POOL_MEMORY_MAX &&
      vm_pool_put_memory(m->pool, m->data, m->reserved, m->rw, (size_t)m->size))
    return;
  mem_unmap(m->data, m->reserved);
}

static size_t os_page_size(void) {
  long p = sysconf(_SC_PAGESIZE);
  return p > 0 ? (size_t)p : 4096u;
}

/* Reserve `want` bytes, or as much as the system allows down to `need`
 * (an address-space limit should cost growth headroom, not the memory). */
static void *reserve(size_t want, size_t need, size_t *got) {
  for (;;) {
    void *p = mem_map(want, PROT_NONE);
    if (p != MAP_FAILED) {
      *got = want;
      return p;
    }
    if (want <= need) return NULL;
    want = (want / 2) & ~(size_t)(VM_PAGE_SIZE - 1);
    if (want < need) want = need;
  }
}

vm_memory *vm_memory_new(vm_store *s, vm_limits limits) {
  if (!s) return NULL;
  if (limits.has_max && limits.max < limits.min) {
    vm_error_set(&s->error, VM_ERR_ARG, -1, -1, "size minimum must not be greater than maximum");
    return NULL;
  }
  uint32_t cap = limits.has_max && limits.max < MAX_PAGES ? (uint32_t)limits.max : MAX_PAGES;
  if (s->cfg.max_memory_pages < cap) cap = s->cfg.max_memory_pages;
  if (limits.min > cap) {
    vm_error_set(&s->error, VM_ERR_LIMIT, -1, -1, "memory of %" PRIu64 " pages exceeds the limit of %u pages",
                 limits.min, cap);
    return NULL;
  }
  /* On a 32-bit host the reservation cannot cover 4 GiB. */
  uint64_t cap_bytes = (uint64_t)cap * VM_PAGE_SIZE;
  uint64_t min_bytes = (uint64_t)limits.min * VM_PAGE_SIZE;
  if (min_bytes > SIZE_MAX / 2) {
    vm_error_set(&s->error, VM_ERR_NOMEM, -1, -1, "out of memory");
    return NULL;
  }
  if (cap_bytes > SIZE_MAX / 2) cap_bytes = (SIZE_MAX / 2) & ~(uint64_t)(VM_PAGE_SIZE - 1);
  /* A 0-page memory still gets a real (inaccessible) base. */
  size_t need = min_bytes ? (size_t)min_bytes : os_page_size();
  size_t want = cap_bytes > need ? (size_t)cap_bytes : need;

  vm_memory *m = vm_store_alloc(s, sizeof *m, memory_release);
  if (!m) {
    vm_error_set(&s->error, VM_ERR_NOMEM, -1, -1, "out of memory");
    return NULL;
  }
  size_t got = 0, rw = 0;
  void *base = NULL;
  if (vm_pool_take_memory(s->pool, want, &base, &rw))
    got = want;
  else
    base = reserve(want, need, &got);
  if (!base) {
    vm_error_set(&s->error, VM_ERR_NOMEM, -1, -1, "cannot reserve memory");
    return NULL;
  }
  m->data = base;
  m->reserved = got;
  m->rw = rw;
  m->pool = s->pool;
  m->limits = limits;
  m->cap_pages = got / VM_PAGE_SIZE < cap ? (uint32_t)(got / VM_PAGE_SIZE) : cap;
  if (min_bytes > rw) {
    if (mem_protect((uint8_t *)base + rw, (size_t)min_bytes - rw, PROT_READ | PROT_WRITE) != 0) {
      vm_error_set(&s->error, VM_ERR_NOMEM, -1, -1, "cannot commit memory");
      return NULL; /* the reservation is released with the store */
    }
    m->rw = (size_t)min_bytes;
  }
  m->pages = (uint32_t)limits.min; /* <= cap */
  m->size = min_bytes;
  return m;
}

uint32_t vm_memory_grow(vm_memory *m, uint32_t delta) {
  uint32_t old = m->pages;
  if (delta == 0) return old;
  if (delta > m->cap_pages - old) return UINT32_MAX;
  size_t end = (size_t)m->size + (size_t)delta * VM_PAGE_SIZE;
  /* A reused reservation may already be read-write (and zero) that far. */
  if (end > m->rw) {
    if (mem_protect(m->data + m->rw, end - m->rw, PROT_READ | PROT_WRITE) != 0) return UINT32_MAX;
    m->rw = end;
  }
  m->pages = old + delta;
  m->size = (uint64_t)m->pages * VM_PAGE_SIZE;
  return old;
}

int vm_memory_map_image(vm_memory *m, int fd, size_t len) {
  if (len > m->rw) return -1;
  /* From here on the release remaps (or unmaps) the range, never pools it as it is. */
  m->image_len = len;
  if (mem_map_over(m->data, len, fd) == 0) return 1;
  /* A failed MAP_FIXED may already have removed the old pages. */
  return zero_pages(m->data, len) ? 0 : -1;
}

uint8_t *vm_memory_data(vm_memory *m) {
  return m->data;
}

uint64_t vm_memory_size(const vm_memory *m) {
  return m->size;
}

bool vm_memory_check(const vm_memory *m, uint64_t ptr, uint64_t len) {
  return ptr <= m->size && len <= m->size - ptr;
}

vm_trap vm_memory_fill_op(vm_memory *m, uint32_t d, uint32_t val, uint32_t n) {
  if ((uint64_t)d + n > m->size) return VM_TRAP_MEMORY_OOB;
  if (n) memset(m->data + d, (int)(val & 0xFF), n);
  return VM_TRAP_NONE;
}

vm_trap vm_memory_copy_op(vm_memory *m, uint32_t d, uint32_t s, uint32_t n) {
  if ((uint64_t)d + n > m->size || (uint64_t)s + n > m->size) return VM_TRAP_MEMORY_OOB;
  if (n) memmove(m->data + d, m->data + s, n);
  return VM_TRAP_NONE;
}
