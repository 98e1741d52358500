/* SPDX-License-Identifier: Apache-2.0 */
/*
 * table.c - tables (declared in vm.h and runtime.h): an element array of
 * references (vm_func * for funcref, an opaque cookie for externref, NULL
 * for null) that grows by realloc up to min(declared max, cfg.max_table_elems)
 * entries.  The array is freed with the store.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "vm/store.h"

/* Whether an array of n pointers is addressable (always, on 64-bit hosts). */
static bool fits_size(uint32_t n) {
#if SIZE_MAX / 8 < UINT32_MAX
  return n <= SIZE_MAX / sizeof(void *);
#else
  (void)n;
  return true;
#endif
}

static void table_release(void *obj) {
  vm_table *t = obj;
  mem_free(t->elems);
}

vm_table *vm_table_new(vm_store *s, vm_tabletype type, void *init) {
  if (!s) return NULL;
  if (type.elemtype != VM_FUNCREF && type.elemtype != VM_EXTERNREF && type.elemtype != VM_EXNREF) {
    vm_error_set(&s->error, VM_ERR_ARG, -1, -1, "malformed reference type");
    return NULL;
  }
  if (type.limits.has_max && type.limits.max < type.limits.min) {
    vm_error_set(&s->error, VM_ERR_ARG, -1, -1, "size minimum must not be greater than maximum");
    return NULL;
  }
  uint32_t cap = type.limits.has_max && type.limits.max < UINT32_MAX ? (uint32_t)type.limits.max : UINT32_MAX;
  if (s->cfg.max_table_elems < cap) cap = s->cfg.max_table_elems;
  if (type.limits.min > cap) {
    vm_error_set(&s->error, VM_ERR_LIMIT, -1, -1,
                 "table of %" PRIu64 " elements exceeds the limit of %u elements", type.limits.min, cap);
    return NULL;
  }
  if (!fits_size(type.limits.min)) {
    vm_error_set(&s->error, VM_ERR_NOMEM, -1, -1, "out of memory");
    return NULL;
  }
  vm_table *t = vm_store_alloc(s, sizeof *t, table_release);
  if (!t) {
    vm_error_set(&s->error, VM_ERR_NOMEM, -1, -1, "out of memory");
    return NULL;
  }
  t->type = type;
  t->cap = cap;
  if (type.limits.min) {
    t->elems = mem_calloc(type.limits.min, sizeof(void *));
    if (!t->elems) {
      vm_error_set(&s->error, VM_ERR_NOMEM, -1, -1, "out of memory");
      return NULL;
    }
    if (init)
      for (uint32_t i = 0; i < type.limits.min; i++)
        t->elems[i] = init;
  }
  t->alloc = t->size = type.limits.min;
  return t;
}

uint64_t vm_table_grow(vm_table *t, uint64_t raw, void *init) {
  uint64_t fail = t->type.limits.is64 ? UINT64_MAX : UINT32_MAX;
  uint64_t delta = vm_table_index(t, raw);
  uint32_t old = t->size;
  if (delta > t->cap - old) return fail;
  uint32_t size = old + (uint32_t)delta;
  if (size > t->alloc) {
    /* Geometric growth keeps repeated table.grow by 1 linear overall. */
    uint32_t alloc = t->alloc > t->cap / 2 ? t->cap : t->alloc * 2;
    if (alloc < size) alloc = size;
    if (alloc < 8 && t->cap >= 8) alloc = 8;
    if (!fits_size(alloc)) return fail;
    void **elems = mem_realloc(t->elems, (size_t)alloc * sizeof(void *));
    if (!elems) return fail;
    t->elems = elems;
    t->alloc = alloc;
  }
  for (uint32_t i = old; i < size; i++)
    t->elems[i] = init;
  t->size = size;
  t->type.limits.min = size;
  return old;
}

vm_trap vm_table_fill_op(vm_table *t, uint64_t raw_i, void *v, uint64_t raw_n) {
  uint64_t i = vm_table_index(t, raw_i), n = vm_table_index(t, raw_n);
  if (i > t->size || n > t->size - i) return VM_TRAP_TABLE_OOB;
  for (uint64_t k = 0; k < n; k++)
    t->elems[i + k] = v;
  return VM_TRAP_NONE;
}

/* n is an i64 only when both tables are 64-bit. */
vm_trap vm_table_copy_op(vm_table *td, const vm_table *ts, uint64_t raw_d, uint64_t raw_s, uint64_t raw_n) {
  uint64_t d = vm_table_index(td, raw_d), s = vm_table_index(ts, raw_s);
  uint64_t n = td->type.limits.is64 && ts->type.limits.is64 ? raw_n : (uint32_t)raw_n;
  if (d > td->size || n > td->size - d || s > ts->size || n > ts->size - s) return VM_TRAP_TABLE_OOB;
  if (n) memmove(td->elems + d, ts->elems + s, (size_t)n * sizeof(void *));
  return VM_TRAP_NONE;
}

vm_func *vm_table_callee_slow(vm_store *s, const vm_table *t, const vm_functype *want, uint64_t raw,
                              vm_trap *trap) {
  uint64_t i = vm_table_index(t, raw);
  if (i >= t->size) {
    vm_error_trap_element(&s->error, VM_TRAP_UNDEFINED_ELEMENT, i);
    *trap = VM_TRAP_HOST;
    return NULL;
  }
  vm_func *callee = (vm_func *)t->elems[i];
  if (!callee) {
    vm_error_trap_element(&s->error, VM_TRAP_UNINITIALIZED_ELEMENT, i);
    *trap = VM_TRAP_HOST;
    return NULL;
  }
  const vm_functype *have = callee->code ? callee->type : &callee->host_type;
  if (have != want && !vm_functype_equal(have, want)) {
    *trap = VM_TRAP_INDIRECT_MISMATCH;
    return NULL;
  }
  return callee;
}
