/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exn.h - exception handling (Wasm 3.0) at run time (exn.c): tags, exception
 * objects and their collection, and the handler tables the compiler builds
 * per function and the interpreter searches when an exception unwinds.
 *
 * An exception (vm_exn) is made by `throw` and owned by the store.  exnref
 * values point at it, and wasm code may keep them anywhere a value goes
 * (locals, operand slots, globals, tables, other exceptions' payloads), so
 * the store collects the exceptions no value refers to any more: a
 * mark-and-sweep run when a throw finds the live count at its threshold.
 * The roots are the value stack up to the thrower's frame (every slot read
 * conservatively: a slot whose bits equal an exception's address keeps it),
 * the exnref globals and tables of the store's instances, and the exception
 * in flight.  Functions that hold exnref values run in the interpreter
 * (vm_code.interp_only), whose values all live in the value stack.
 *
 * Handler tables.  The compiler divides a function's code into regions, each
 * with the innermost handler whose try body covers it (or none); a handler
 * lists its catch clauses (a tag or "all", and the code offset of the landing
 * pad) and its parent: the handler searched next (for `delegate`, the one
 * its label names).  An exception raised by the instruction at [a, b) is
 * looked up at a "site" s with a < s <= b (the return address of a call).
 */
#ifndef WAPC_VM_EXN_H
#define WAPC_VM_EXN_H

#include "vm/runtime.h"

#define VM_EH_NONE UINT32_MAX

/* Live exceptions a store may hold after a collection; a throw beyond traps (VM_TRAP_LIMIT). */
#define VM_MAX_LIVE_EXNS (1u << 20)
/* The first collection runs when this many exceptions are live (then at twice what survived). */
#define VM_EXN_COLLECT_MIN 256u

typedef struct vm_eh_region {
  uint32_t start;   /* code offset where the region begins (it ends where the next begins) */
  uint32_t handler; /* index in handlers, or VM_EH_NONE */
} vm_eh_region;

typedef struct vm_eh_handler {
  uint32_t parent; /* the handler searched when no clause here matches, or VM_EH_NONE */
  uint32_t first;  /* its first clause in catches, or VM_EH_NONE */
} vm_eh_handler;

typedef struct vm_eh_catch {
  uint32_t tag;  /* tag index in the instance, VM_EH_NONE for catch_all */
  uint32_t pad;  /* code offset of the landing pad */
  uint32_t next; /* the handler's next clause, or VM_EH_NONE */
} vm_eh_catch;

/* A function's handler table (one allocation, the arrays after the struct). */
typedef struct vm_eh {
  uint32_t nregions, nhandlers, ncatches;
  const vm_eh_region *regions; /* by start, ascending */
  const vm_eh_handler *handlers;
  const vm_eh_catch *catches;
} vm_eh;

typedef struct vm_exn {
  struct vm_exn *next; /* the store's list */
  const vm_tag *tag;
  uint32_t nslots;
  bool marked;
  uint64_t slots[]; /* the tag's parameters, in frame slots */
} vm_exn;

/* The landing pad in `code` for `exn` raised at `site` in an activation of `inst`, or VM_EH_NONE. */
uint32_t vm_eh_find(const vm_code *code, uint32_t site, const vm_exn *exn, const vm_instance *inst);

/*
 * A new exception of `tag` with payload values[0 .. tag->nslots), made the
 * one in flight (s->exec.exn) with the error VM_TRAP_EXCEPTION recorded.
 * `stack_top` bounds the live part of the value stack (the thrower's frame
 * end), for a collection.  Returns false with a trap recorded (VM_TRAP_LIMIT
 * or VM_TRAP_NOMEM) when it cannot be made.
 */
bool vm_exn_throw(vm_store *s, const vm_tag *tag, const uint64_t *values, const uint64_t *stack_top);
/* Raise `exn` again (throw_ref, rethrow): in flight, VM_TRAP_EXCEPTION recorded. */
void vm_exn_rethrow(vm_store *s, vm_exn *exn);
/* Whether a failed call `r` is an exception in flight (another activation may catch it). */
static inline bool vm_exn_pending(const vm_store *s, vm_result r) {
  return r == VM_ERR_TRAP && s->error.trap == VM_TRAP_EXCEPTION && s->exec.exn != NULL;
}
/* The in-flight exception is caught: no longer in flight, no error. */
void vm_exn_caught(vm_store *s);
/* Free every exception of the store (vm_store_free). */
void vm_exn_free_all(vm_store *s);

#endif
