/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mem.c - the fault-injecting allocator of test builds (mem.h).  A normal
 * build uses mem.h's inline libc calls and
 * compiles nothing here.
 */
#include "util/mem.h"

#ifdef WAPC_FAULT_INJECTION

#include <errno.h>
#include <stdatomic.h>

/* One injector: allocations, or file system calls. */
typedef struct fault {
  atomic_uint_least64_t seen;   /* calls since the last arm */
  atomic_uint_least64_t failed; /* calls failed since the last arm */
  atomic_uint_least64_t at;     /* the call number to fail; 0 = off */
  atomic_bool persistent;       /* also every call after `at` */
} fault;

static fault alloc_fault, io_fault;
static atomic_int_least64_t live;

static void arm(fault *f, uint64_t n, bool persistent) {
  atomic_store(&f->at, 0);
  atomic_store(&f->seen, 0);
  atomic_store(&f->failed, 0);
  atomic_store(&f->persistent, persistent);
  atomic_store(&f->at, n);
}

/* Count one call; true when it must fail. */
static bool hit(fault *f) {
  uint64_t at = atomic_load(&f->at);
  uint64_t k = atomic_fetch_add(&f->seen, 1) + 1;
  if (!at || k < at || (k > at && !atomic_load(&f->persistent))) return false;
  atomic_fetch_add(&f->failed, 1);
  return true;
}

void mem_fault_arm(uint64_t n, bool persistent) {
  arm(&alloc_fault, n, persistent);
}

void mem_io_fault_arm(uint64_t n, bool persistent) {
  arm(&io_fault, n, persistent);
}

uint64_t mem_fault_seen(void) {
  return atomic_load(&alloc_fault.seen);
}

uint64_t mem_fault_failed(void) {
  return atomic_load(&alloc_fault.failed);
}

uint64_t mem_io_fault_seen(void) {
  return atomic_load(&io_fault.seen);
}

uint64_t mem_io_fault_failed(void) {
  return atomic_load(&io_fault.failed);
}

int64_t mem_fault_live(void) {
  return atomic_load(&live);
}

static void *counted(void *p) {
  if (p) atomic_fetch_add(&live, 1);
  return p;
}

void *mem_malloc(size_t size) {
  return hit(&alloc_fault) ? NULL : counted(malloc(size));
}

void *mem_calloc(size_t n, size_t size) {
  return hit(&alloc_fault) ? NULL : counted(calloc(n, size));
}

void *mem_calloc_line(size_t size) {
  if (hit(&alloc_fault)) return NULL;
  size_t n = (size + 63) & ~(size_t)63;
  void *p = aligned_alloc(64, n ? n : 64);
  if (p) memset(p, 0, n ? n : 64);
  return counted(p);
}

void *mem_realloc(void *p, size_t size) {
  if (hit(&alloc_fault)) return NULL;
  void *q = realloc(p, size);
  return p ? q : counted(q);
}

void mem_free(void *p) {
  if (p) atomic_fetch_sub(&live, 1);
  free(p);
}

char *mem_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = mem_malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

void *mem_map(size_t len, int prot) {
  if (hit(&alloc_fault)) {
    errno = ENOMEM;
    return MAP_FAILED;
  }
  void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p != MAP_FAILED) atomic_fetch_add(&live, 1);
  return p;
}

void mem_unmap(void *addr, size_t len) {
  atomic_fetch_sub(&live, 1);
  munmap(addr, len);
}

int mem_protect(void *addr, size_t len, int prot) {
  if (hit(&alloc_fault)) {
    errno = ENOMEM;
    return -1;
  }
  return mprotect(addr, len, prot);
}

int mem_memfd(const char *name) {
  if (hit(&alloc_fault)) {
    errno = ENOMEM;
    return -1;
  }
  int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd >= 0) atomic_fetch_add(&live, 1);
  return fd;
}

void mem_memfd_close(int fd) {
  atomic_fetch_sub(&live, 1);
  close(fd);
}

int mem_map_over(void *addr, size_t len, int fd) {
  if (hit(&alloc_fault)) {
    errno = ENOMEM;
    return -1;
  }
  void *p = mmap(addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
  return p == MAP_FAILED ? -1 : 0;
}

bool mem_io_fault(void) {
  return hit(&io_fault);
}

#else

/* ISO C wants at least one declaration in a translation unit. */
typedef int mem_no_fault_injection;

#endif
