/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.h - ownership inside a vm_store (store.c).  Every runtime object a
 * store creates (host functions, memories, tables, globals) is one allocation
 * registered here, with an optional release hook for what it holds beyond the
 * allocation itself (a memory's reservation, a table's element array); the
 * store frees them all, newest first, when it is freed.  Instances are kept on
 * their own list (runtime.h) and released by instance.c.  The public side of
 * the store (vm_store_new, vm_invoke, traps, ...) is declared in vm.h and
 * runtime.h.
 */
#ifndef WAPC_VM_STORE_H
#define WAPC_VM_STORE_H

#include <stddef.h>

#include "vm/runtime.h"

/* Deepest nesting of host function calls that re-enter vm_invoke().  Each
 * level costs native stack (interpreter + host frames), so it is bounded far
 * below max_call_depth; deeper nesting traps "call stack exhausted". */
#define VM_MAX_HOST_NESTING 256u

/* Called once when the store frees the object; `obj` is the pointer returned
 * by vm_store_alloc(). */
typedef void (*vm_store_release_fn)(void *obj);

/* A zeroed object of `size` bytes owned by `s` (freed with the store).  NULL
 * on out of memory. */
void *vm_store_alloc(vm_store *s, size_t size, vm_store_release_fn release);

/* store.c, for memory.c: take an idle memory reservation of exactly
 * `reserved` bytes, zero-filled, its first *rw bytes read-write (false: none
 * idle); give one back whose first `dirty` bytes the pool must clear before
 * reuse (false: the pool is full, unmap it yourself). */
bool vm_pool_take_memory(vm_pool *p, size_t reserved, void **base, size_t *rw);
bool vm_pool_put_memory(vm_pool *p, void *base, size_t reserved, size_t rw, size_t dirty);

/* instance.c: free what an instance owns (not the objects it shares). */
void vm_instance_release(vm_instance *inst);

#endif
