/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mem.h - every allocation the library makes goes through here: heap blocks
 * (mem_malloc, mem_calloc, mem_realloc, mem_strdup, mem_free), anonymous
 * mappings (mem_map, mem_protect, mem_unmap) and the memory files of
 * pre-initialised images (mem_memfd, mem_memfd_close, mem_map_over).  In a normal build
 * these are the libc calls, inlined.  A build with WAPC_FAULT_INJECTION
 * defined (the allocation-failure tests link one: tests/alloc) counts them
 * in one process-wide counter and can make the Nth fail, as SQLite's and
 * Lua's test builds do, so that every error path is proven to report
 * WAPC_ERR_NOMEM; it also counts the blocks and mappings alive
 * (mem_fault_live), so that a test proves nothing leaks without a leak
 * checker.  The same build can fail the Nth file system call of the WASI
 * layer (mem_io_fault) with EIO.
 */
#ifndef WAPC_UTIL_MEM_H
#define WAPC_UTIL_MEM_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifdef WAPC_FAULT_INJECTION

void *mem_malloc(size_t size);
void *mem_calloc(size_t n, size_t size);
/* A zeroed block of whole cache lines (64-byte aligned, size rounded up), freed with mem_free: for the
 * objects one thread writes on every call, which must share no line with another thread's. */
void *mem_calloc_line(size_t size);
void *mem_realloc(void *p, size_t size);
char *mem_strdup(const char *s);
/* An anonymous private mapping (MAP_NORESERVE), or MAP_FAILED. */
void *mem_map(size_t len, int prot);
/* mprotect that may be made to fail (it commits memory). */
int mem_protect(void *addr, size_t len, int prot);
void mem_free(void *p);
void mem_unmap(void *addr, size_t len);
/* An anonymous memory file (memfd_create, close-on-exec, sealable), or -1 (errno set). */
int mem_memfd(const char *name);
void mem_memfd_close(int fd);
/* Map the first `len` bytes of file `fd` read-write, private (copy-on-write),
 * over [addr, addr+len) of an existing mapping; 0, or -1 (errno set). */
int mem_map_over(void *addr, size_t len, int fd);
/* True when the WASI layer's next file system call must fail (with EIO). */
bool mem_io_fault(void);

/*
 * Test control (process-wide, thread-safe).  mem_fault_arm(n, persistent):
 * count allocations from now on and make the nth fail (1 = the next one) and,
 * when `persistent`, every one after it; n = 0 disarms.  mem_io_fault_arm does
 * the same for file system calls.  The counters say how many allocations
 * (or calls) were seen and how many were failed since the last arm.
 */
void mem_fault_arm(uint64_t n, bool persistent);
void mem_io_fault_arm(uint64_t n, bool persistent);
uint64_t mem_fault_seen(void);
uint64_t mem_fault_failed(void);
uint64_t mem_io_fault_seen(void);
uint64_t mem_io_fault_failed(void);
/* Heap blocks and mappings allocated through here and not yet released. */
int64_t mem_fault_live(void);

#else

static inline void *mem_malloc(size_t size) {
  return malloc(size);
}
static inline void *mem_calloc(size_t n, size_t size) {
  return calloc(n, size);
}
static inline void *mem_calloc_line(size_t size) {
  size_t n = (size + 63) & ~(size_t)63;
  void *p = aligned_alloc(64, n ? n : 64);
  if (p) memset(p, 0, n ? n : 64);
  return p;
}
static inline void *mem_realloc(void *p, size_t size) {
  return realloc(p, size);
}
static inline char *mem_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}
static inline void *mem_map(size_t len, int prot) {
  return mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
}
static inline int mem_protect(void *addr, size_t len, int prot) {
  return mprotect(addr, len, prot);
}
static inline int mem_memfd(const char *name) {
  return memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
}
static inline void mem_memfd_close(int fd) {
  close(fd);
}
static inline int mem_map_over(void *addr, size_t len, int fd) {
  void *p = mmap(addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
  return p == MAP_FAILED ? -1 : 0;
}
static inline bool mem_io_fault(void) {
  return false;
}
static inline void mem_free(void *p) {
  free(p);
}
static inline void mem_unmap(void *addr, size_t len) {
  munmap(addr, len);
}

#endif

/* A file system call of the WASI layer (returning -1 and errno on failure), which a fault-injection
 * build may fail with EIO instead of making it. */
#define MEM_IO(call) (mem_io_fault() ? (errno = EIO, -1) : (call))

#endif
