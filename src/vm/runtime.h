/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runtime.h - runtime objects: the store and what it owns (instance.c), and
 * the execution state the interpreter runs on (interp.c).
 */
#ifndef WAPC_VM_RUNTIME_H
#define WAPC_VM_RUNTIME_H

#include <stdatomic.h>

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
};

struct vm_table {
  vm_tabletype type; /* limits.min is updated as the table grows */
  uint32_t size;
  uint32_t cap;   /* effective growth cap */
  void **elems;   /* size entries: vm_func * (funcref) or externref cookies; NULL = null */
  uint32_t alloc; /* allocated entries */
};

struct vm_global {
  vm_globaltype type;
  uint64_t value;
};

struct vm_instance {
  const vm_module *module;
  vm_store *store;
  vm_func **funcs;       /* module->nfuncs: imports, then own functions */
  vm_table **tables;     /* module->ntables */
  vm_memory *memory;     /* memory 0, or NULL */
  vm_global **globals;   /* module->nglobals */
  uint8_t *elem_dropped; /* module->nelems flags */
  uint8_t *data_dropped; /* module->ndatas flags */
  vm_func *own_funcs;    /* storage for the module's own functions */
  vm_instance *next;     /* store's list */
};

/* One activation record of the interpreter's frame stack. */
typedef struct vm_frame {
  const vm_word *ret_ip; /* where the caller resumes (NULL: return to the host) */
  uint64_t *fp;          /* caller's frame base */
  const vm_code *code;   /* caller's code */
  vm_instance *inst;     /* caller's instance */
} vm_frame;

/* Execution state: the value stack and the frame stack.  One per store. */
typedef struct vm_exec {
  uint64_t *stack; /* value stack: stack_slots slots */
  uint64_t *stack_end;
  uint64_t *sp;     /* first free slot: nested invocations start here */
  vm_frame *frames; /* max_call_depth frames */
  uint32_t depth;   /* frames in use */
  uint32_t max_depth;
  uint32_t host_nesting; /* host calls in progress (re-entrancy bound, store.h) */
} vm_exec;

/*
 * Guardrail state (vm.h), polled by the interpreter.  `tick` counts fuel units
 * down to the next poll; the interpreter keeps it in a register and writes it
 * back before anything that may run other code (host calls, exits).  A poll
 * (tick < 0) checks the interrupt flag and the deadline and moves the next
 * slice of fuel from `fuel` to `tick`.
 */
typedef struct vm_guard {
  int64_t tick;  /* units left before the next poll */
  uint64_t fuel; /* fuel not yet handed to `tick` (when fuel_on) */
  bool fuel_on;
  uint64_t deadline_ns;  /* vm_monotonic_ns() value; 0 = none */
  vm_interrupt own;      /* the store's own request (vm_store_interrupt), from any thread */
  vm_interrupt *request; /* the request polled: &own, or the embedder's (vm_store_share_interrupt) */
} vm_guard;

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
};

/*
 * interp.c: run wasm function `f` (f->code != NULL) with its frame starting
 * at `fp` (arguments already in fp[0..nparams)); on return the results are
 * in fp[0..nresults).  `fp` must lie inside the store's value stack.
 * Returns VM_OK or VM_ERR_TRAP (details in s->error); on a trap the frame
 * stack is unwound to where it was on entry.
 */
vm_result vm_interp_run(vm_store *s, vm_func *f, uint64_t *fp);

/* store.c: reset the guardrails from s->cfg for a new top-level call. */
void vm_guard_arm(vm_store *s);
/* store.c: the slow path of an interruption point, with s->guard.tick
 * written back: VM_TRAP_NONE and a new slice in s->guard.tick, or the trap
 * that stops the call. */
vm_trap vm_guard_poll(vm_store *s);

/* instance.c helpers the interpreter uses for the heavier operations. */
/* memory.grow: returns old page count, or -1 (as uint32_t 0xFFFFFFFF). */
uint32_t vm_memory_grow(vm_memory *m, uint32_t delta);
/* table.grow: returns old size, or 0xFFFFFFFF. */
uint32_t vm_table_grow(vm_table *t, uint32_t delta, void *init);
/* table.init / memory.init with the spec's bounds rules (used by instantiation
 * for active segments and by the interpreter).  Return VM_TRAP_NONE or the trap. */
vm_trap vm_table_init_op(vm_instance *inst, uint32_t table, uint32_t seg, uint32_t d, uint32_t s, uint32_t n);
vm_trap vm_memory_init_op(vm_instance *inst, uint32_t seg, uint32_t d, uint32_t s, uint32_t n);
/* Value of a constant expression in an instance (ref.func -> the vm_func pointer). */
uint64_t vm_const_eval(vm_instance *inst, const vm_const_expr *e);
/* Call a host function (sets up s->exec.sp for re-entrancy). */
vm_result vm_call_host(vm_store *s, vm_func *f, vm_instance *caller, uint64_t *args_results);

#endif
