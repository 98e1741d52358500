/* SPDX-License-Identifier: Apache-2.0 */
/*
 * helpers.h - the C functions compiled code calls (helpers.c): calls that
 * leave the compiled code, the heavier memory and table instructions, and
 * the numeric operators a target does not expand inline.  All follow the
 * platform's C calling convention; a nonzero vm_trap return value means the
 * call traps (VM_TRAP_HOST: with its message already in the store's error).
 * The machine code writes guard.tick back before calling any that may run
 * other code (jit_call, jit_call_indirect) and reads it again after.
 */
#ifndef WAPC_JIT_HELPERS_H
#define WAPC_JIT_HELPERS_H

#include "vm/runtime.h"

/* call f (instance function index) with its frame at fp; frame_end: end of the caller's frame */
uint32_t jit_call(vm_store *s, vm_instance *inst, uint32_t func, uint64_t *fp, uint64_t *frame_end);
/* call_indirect: type and table packed as (uint64_t)table << 32 | type; elem: the element index */
uint32_t jit_call_indirect(vm_store *s, vm_instance *inst, uint64_t table_type, uint64_t elem, uint64_t *fp,
                           uint64_t *frame_end);
/* Internal op `op` whose operand words are ip[1..] (ir.def), run against frame `fp`: the memory and
 * table instructions other than loads and stores, and the v128 ones (vm_simd_exec) (ip[0] is not read:
 * it is rewritten for the interpreter after compilation). */
uint32_t jit_op(vm_instance *inst, uint64_t *fp, const vm_word *ip, uint32_t op);

/* A numeric operator as a C function of the slot values. */
typedef enum {
  JIT_HELPER_PURE, /* uint64_t fn(uint64_t a, uint64_t b): the result */
  JIT_HELPER_TRAP  /* uint32_t fn(uint64_t a, uint64_t b, uint64_t *result): a vm_trap */
} jit_helper_kind;
typedef void (*jit_fn)(void); /* any helper, called with its own signature */
typedef struct jit_helper {
  jit_fn fn; /* NULL: no helper for this op */
  jit_helper_kind kind;
} jit_helper;
jit_helper jit_numeric_helper(vm_op op);

#endif
