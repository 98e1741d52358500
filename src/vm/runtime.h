/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runtime.h - runtime objects: the store and what it owns (instance.c).  The
 * execution state and the protocol every tier follows are in exec.h.
 */
#ifndef WAPC_VM_RUNTIME_H
#define WAPC_VM_RUNTIME_H

#include <stdatomic.h>

#include "vm/exec.h"
#include "vm/module.h"

#define VM_PAGE_SIZE 65536u

struct vm_func {
  const vm_functype *type; /* for wasm functions: points into the module */
  vm_instance *inst;       /* owning instance (wasm functions), NULL for host functions */
  const vm_code *code;     /* wasm functions: compiled code; NULL for host functions */
  vm_host_fn host;         /* host functions */
  void *host_data;
  vm_functype host_type; /* host functions: owned copy of the type */
};

struct vm_memory {
  uint8_t *data; /* base of the reservation; never moves */
  uint64_t size; /* current size in bytes (pages * 64 KiB) */
  uint32_t pages;
  vm_limits limits;   /* declared limits (max = the type's, has_max as declared) */
  uint32_t cap_pages; /* effective growth cap: min(type max, config cap) */
  size_t reserved;    /* bytes of address space reserved */
  size_t rw;          /* bytes mapped read-write from data (>= size; more when reused from a pool) */
  vm_pool *pool;      /* the store's pool, which takes the reservation back; NULL: none */
  size_t image_len;   /* bytes from data mapped copy-on-write from a pre-initialised image (image.c) */
};

struct vm_table {
  vm_tabletype type;     /* limits.min is updated as the table grows */
  const vm_module *tmod; /* the module whose type indices type.vt uses (typed references), or NULL */
  uint32_t size;
  uint32_t cap;   /* effective growth cap */
  void **elems;   /* size entries: vm_func * (funcref) or externref cookies; NULL = null */
  uint32_t alloc; /* allocated entries */
};

struct vm_global {
  vm_globaltype type;
  const vm_module *tmod; /* the module whose type indices type.vt uses (typed references), or NULL */
  uint64_t value;
  uint64_t hi; /* a v128's high half (value is its low half); 0 otherwise */
};

/* An exception tag (exception handling): identity is the object. */
struct vm_tag {
  const vm_functype *type; /* its parameters: the payload of its exceptions */
  uint32_t nslots;         /* the slots they take */
  vm_functype own_type;    /* vm_tag_new: the copy `type` points at */
};

struct vm_instance {
  const vm_module *module;
  vm_store *store;
  vm_func **funcs;       /* module->nfuncs: imports, then own functions */
  vm_table **tables;     /* module->ntables */
  vm_memory *memory;     /* memory 0, or NULL (the fast paths' memory) */
  vm_memory **memories;  /* module->nmemories: imports, then own memories (multi-memory) */
  vm_global **globals;   /* module->nglobals */
  vm_tag **tags;         /* module->ntags: imports, then own tags */
  uint8_t *elem_dropped; /* module->nelems flags */
  uint8_t *data_dropped; /* module->ndatas flags */
  vm_func *own_funcs;    /* storage for the module's own functions */
  vm_instance *next;     /* store's list */
};

/* Every allocation a store owns, freed with it. */
typedef struct vm_store_obj vm_store_obj;

struct vm_store {
  vm_config cfg;
  vm_exec exec;
  vm_error error;        /* last failure */
  vm_store_obj *objects; /* host funcs, memories, tables, globals */
  vm_instance *instances;
  vm_guard guard;
  vm_pool *pool; /* where the stacks and memories come from and go back to; NULL: none */
  /* Exceptions (exn.h): every one not yet collected, how many, and the count that triggers the next
   * collection. */
  struct vm_exn *exns;
  uint32_t nexns, exn_collect_at;
};

/* store.c: reset the guardrails from s->cfg for a new top-level call. */
void vm_guard_arm(vm_store *s);

/* instance.c helpers the interpreter uses for the heavier operations. */
/* memory.grow: returns old page count, or -1 (as uint32_t 0xFFFFFFFF). */
uint32_t vm_memory_grow(vm_memory *m, uint32_t delta);
/* image.c: make the first `len` bytes of m (read-write already) a private
 * copy-on-write mapping of file `fd`: 1 done; 0 refused by the system, the
 * range is zero pages again (copy the image instead); -1 refused and the
 * range could not be restored (fail the instantiation). */
int vm_memory_map_image(vm_memory *m, int fd, size_t len);
/* table.grow: returns old size, or 0xFFFFFFFF. */
/* An index operand of table t as its slot holds it: an i64 for a 64-bit table (table64), else the low
 * 32 bits. */
static inline uint64_t vm_table_index(const vm_table *t, uint64_t v) {
  return t->type.limits.is64 ? v : (uint32_t)v;
}
/* table.grow by the operand `delta`: the old size, or -1 of the table's index type. */
uint64_t vm_table_grow(vm_table *t, uint64_t delta, void *init);
/* memory.fill / memory.copy and table.fill / table.copy with the spec's bounds rules, for every
 * tier: VM_TRAP_NONE, or the out-of-bounds trap (nothing written then). */
vm_trap vm_memory_fill_op(vm_memory *m, uint32_t d, uint32_t val, uint32_t n);
vm_trap vm_memory_copy_op(vm_memory *m, uint32_t d, uint32_t s, uint32_t n);
vm_trap vm_table_fill_op(vm_table *t, uint64_t i, void *v, uint64_t n); /* operands as in their slots */
vm_trap vm_table_copy_op(vm_table *td, const vm_table *ts, uint64_t d, uint64_t s, uint64_t n);
/* table.init / memory.init with the spec's bounds rules (used by instantiation
 * for active segments and by the interpreter).  Return VM_TRAP_NONE or the trap. */
vm_trap vm_table_init_op(vm_instance *inst, uint32_t table, uint32_t seg, uint64_t d, uint32_t s, uint32_t n);
/* call_indirect's callee: element `raw` (the operand's slot) of t, of type `want`; NULL with *trap set
 * (and the store's error for the element traps).  The common case (in range, not null, the same type
 * entry) inline, on the interpreter's call path; the rest, and every trap, in table.c. */
struct vm_func *vm_table_callee_slow(vm_store *s, const vm_table *t, const vm_functype *want, uint64_t raw,
                                     vm_trap *trap);
static inline struct vm_func *vm_table_callee(vm_store *s, const vm_table *t, const vm_functype *want,
                                              uint64_t raw, vm_trap *trap) {
  uint64_t i = vm_table_index(t, raw);
  if (i < t->size) {
    struct vm_func *f = (struct vm_func *)t->elems[i];
    if (f && f->code && f->type == want) return f;
  }
  return vm_table_callee_slow(s, t, want, raw, trap);
}
vm_trap vm_memory_init_op(vm_instance *inst, uint32_t seg, uint32_t d, uint32_t s, uint32_t n);
/* memory.init into memory `memidx` (multi-memory; d is 64-bit for a memory64 memory). */
vm_trap vm_memory_init_at(vm_instance *inst, uint32_t memidx, uint32_t seg, uint64_t d, uint32_t s,
                          uint32_t n);
/* image.c, for vm_instantiate_image: give a just-built instance of the
 * image's module the image's memory, globals, tables and dropped segments. */
vm_result vm_image_apply(const vm_image *img, vm_instance *inst, vm_error *err);
/* Value of a constant expression in an instance (ref.func -> the vm_func pointer). */
uint64_t vm_const_eval(vm_instance *inst, const vm_const_expr *e);

#endif
