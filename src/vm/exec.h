/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec.h - how code runs: the execution state of a store and the protocol
 * every tier that executes wasm functions follows (the interpreter in
 * interp.c, the compiler tier in src/jit/).
 *
 * Frames.  A wasm function's frame is a window of 64-bit slots on the store's
 * value stack, laid out as ir.h says (parameters, locals, constants, operand
 * stack).  The caller puts the arguments in the callee's slots 0..nparams-1
 * and finds the results in slots 0..nresults-1 when it returns.  Every tier
 * uses these frames, so the tiers mix per function: a call from one tier to a
 * function run by another passes nothing but the frame pointer.
 *
 * Entry.  Whoever enters a function (any tier):
 *   - checks the call depth (exec.depth against exec.max_depth) and that the
 *     frame's nslots fit below exec.stack_end, else traps
 *     VM_TRAP_STACK_EXHAUSTED ("call stack exhausted");
 *   - zeroes the declared locals and copies the constants into their slots;
 *   - charges one fuel unit (an interruption point, below).
 * A tier keeps exec.depth counting the wasm frames it has open, so the limit
 * holds across tiers; it never recurses on the native stack without a bound.
 *
 * Interruption points: function entry, every backward branch, and the bulk
 * memory and table operations.  Each charges guard.tick (one unit per entry,
 * 1 + the distance in code words per back edge, one unit per 64 bytes or
 * elements of a bulk operation's count after it succeeded: vm_bulk_count;
 * the same in every tier, so fuel runs out at the same place);
 * when tick goes below zero the tier writes it back and calls vm_guard_poll,
 * which checks the interrupt, the deadline and the fuel.  A tier may keep
 * tick in a register but writes it back to guard.tick before anything that
 * may run other code (a host call, a call into another tier, an exit).
 *
 * Exits.  A tier returns VM_OK with the results in the frame, or VM_ERR_TRAP
 * with the reason in store->error (set by vm_error_trap, or already set when
 * a host function or a nested call failed); either way exec.depth is back to
 * what it was on entry.  Memory 0's base never moves; its size changes with
 * memory.grow, so a tier re-reads it after a grow and after any call that may
 * run other code.
 *
 * Calls.  A call to a function the current tier does not run itself goes
 * through vm_call_function (store.c), the one place that knows every kind of
 * function: host functions (vm_call_host), compiled ones and interpreted ones.
 */
#ifndef WAPC_VM_EXEC_H
#define WAPC_VM_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/ir.h"
#include "vm/vm.h"

struct vm_code;

/* A bulk memory or table operation's count n, in operand word vm_bulk_count(op) (0: not one), costs
 * (u32)n >> VM_BULK_FUEL_SHIFT fuel units once it succeeded, so a body of many large fills polls. */
#define VM_BULK_FUEL_SHIFT 6
static inline unsigned vm_bulk_count(vm_op op) {
  switch (op) {
  case VM_OP_MEMORY_INIT:
  case VM_OP_MEMX_INIT: return 4;
  case VM_OP_MEMORY_FILL:
  case VM_OP_MEMORY_COPY:
  case VM_OP_TABLE_FILL:
  case VM_OP_TABLE_COPY:
  case VM_OP_TABLE_INIT:
  case VM_OP_MEMX_FILL:
  case VM_OP_MEMX_COPY: return 3;
  default: return 0;
  }
}

/* One activation record of the interpreter's frame stack. */
typedef struct vm_frame {
  const vm_word *ret_ip;      /* where the caller resumes (NULL: return to the host) */
  uint64_t *fp;               /* caller's frame base */
  const struct vm_code *code; /* caller's code */
  vm_instance *inst;          /* caller's instance */
} vm_frame;

/* Execution state: the value stack and the frame stack.  One per store. */
typedef struct vm_exec {
  uint64_t *stack; /* value stack: stack_slots slots */
  uint64_t *stack_end;
  uint64_t *sp;     /* first free slot: nested invocations start here */
  vm_frame *frames; /* max_call_depth frames (the interpreter's; other tiers only count) */
  uint32_t depth;   /* wasm frames open, in every tier */
  uint32_t max_depth;
  uint32_t host_nesting; /* host calls in progress (re-entrancy bound, store.h) */
  /* The compiler tier's state (src/jit/): the native stack pointer its
   * trap exit unwinds to, and the lowest native stack address its code may
   * use before it traps "call stack exhausted". */
  void *native_exit;
  uintptr_t native_limit;
  /* The exception in flight (exn.h): set by a throw with the error VM_TRAP_EXCEPTION, cleared when a
   * handler catches it.  A call that fails with it passes it on like a trap; an interpreter activation
   * whose call failed so looks for a handler before unwinding further. */
  struct vm_exn *exn;
} vm_exec;

/*
 * Guardrail state (vm.h), polled at the interruption points.  `tick` counts
 * fuel units down to the next poll.  A poll (tick < 0) checks the interrupt
 * flag and the deadline and moves the next slice of fuel from `fuel` to
 * `tick`.
 */
typedef struct vm_guard {
  int64_t tick;  /* units left before the next poll */
  uint64_t fuel; /* fuel not yet handed to `tick` (when fuel_on) */
  bool fuel_on;
  uint64_t deadline_ns;  /* vm_monotonic_ns() value; 0 = none */
  vm_interrupt own;      /* the store's own request (vm_store_interrupt), from any thread */
  vm_interrupt *request; /* the request polled: &own, or the embedder's (vm_store_share_interrupt) */
} vm_guard;

/* store.c: the slow path of an interruption point, with s->guard.tick
 * written back: VM_TRAP_NONE and a new slice in s->guard.tick, or the trap
 * that stops the call. */
vm_trap vm_guard_poll(vm_store *s);

/*
 * store.c: call function `f` with its frame at `fp` (arguments in
 * fp[0..nparams), results there on return), from wasm code of `caller` (NULL
 * from the embedder).  `frame_end` is the end of the caller's frame: a host
 * function that re-enters wasm starts above it.  The one dispatch on the
 * kind of function: host, compiled (vm_code.native), interpreted.  The
 * caller has written guard.tick back and reads it again after.
 */
vm_result vm_call_function(vm_store *s, vm_func *f, vm_instance *caller, uint64_t *fp, uint64_t *frame_end);

/* module.c: a call_indirect trap naming the element, as the reference
 * interpreter does ("uninitialized element 2"; the spec's wording stays a
 * prefix): the same message from every tier. */
vm_result vm_error_trap_element(vm_error *e, vm_trap trap, uint64_t idx);

/* Call a host function (sets up s->exec.sp for re-entrancy). */
vm_result vm_call_host(vm_store *s, vm_func *f, vm_instance *caller, uint64_t *args_results);

/*
 * interp.c: run wasm function `f` (f->code != NULL) in the interpreter with
 * its frame starting at `fp`, which must lie inside the store's value stack.
 */
vm_result vm_interp_run(vm_store *s, vm_func *f, uint64_t *fp);

#endif
