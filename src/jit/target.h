/* SPDX-License-Identifier: Apache-2.0 */
/*
 * target.h - what the compiler tier's front end (jit.c) asks of a target
 * (x64/emit.c today), and the bookkeeping they share.
 *
 * The front end walks a module: it emits the target's module stubs (the
 * entry trampoline, the trap exit, the interruption-point poll, one stub per
 * trap), then each function the target accepts, recording where every
 * internal instruction starts so that branches (label fixups) and direct
 * calls (call fixups) are patched once the layout is known.  The target
 * turns one internal instruction at a time into machine code.
 */
#ifndef WAPC_JIT_TARGET_H
#define WAPC_JIT_TARGET_H

#include "jit/codemem.h"
#include "vm/runtime.h"

/* The module's shared code, as offsets in its buffer. */
typedef struct jit_stubs {
  uint32_t entry;               /* int entry(vm_store *, vm_instance *, uint64_t *fp, const void *fn) */
  uint32_t trap_exit;           /* jump here with the trap (vm_trap) in the return register */
  uint32_t poll;                /* called at a spent interruption point */
  uint32_t trap[VM_TRAP_LIMIT]; /* jump here to trap with a fixed reason */
} jit_stubs;

typedef struct jit_fix {
  uint32_t at;     /* offset of a rel32 field in the buffer */
  uint32_t target; /* an internal instruction index (labels) or a defined function (calls) */
} jit_fix;

typedef struct jit_fixes {
  jit_fix *v;
  uint32_t n, cap;
  bool failed;
} jit_fixes;
void jit_fixes_add(jit_fixes *f, uint32_t at, uint32_t target);

/* One function being translated. */
typedef struct jit_func {
  jit_buf *b;
  const vm_module *m;
  const vm_code *code;
  uint32_t defined;      /* index among the module's defined functions */
  const uint8_t *native; /* per defined function: 1 if it gets machine code (direct calls) */
  const jit_stubs *stubs;
  jit_fixes *labels;       /* branches to internal instructions of this function */
  jit_fixes *calls;        /* direct calls to defined functions */
  const uint8_t *is_label; /* per code word: 1 where a branch may arrive (a target) */
  void *state;             /* the target's own state for this function (jit_target_begin/end) */
} jit_func;

/* Target interface. */
/* Emit the module stubs at the start of the buffer. */
void jit_target_stubs(jit_buf *b, jit_stubs *st);
/* Before and after one function (fn->state): the target's per-function analysis (false: out of
 * memory) and its release. */
bool jit_target_begin(jit_func *fn);
void jit_target_end(jit_func *fn);
/* The function's entry sequence (exec.h), emitted after its body (so that it knows which constants
 * the body reads from their slots), ending with a jump to the body at offset `body`. */
void jit_target_prologue(jit_func *fn, uint32_t body);
/* The internal instruction at code index `pc`; false: not translated (the function is interpreted, and
 * the module's code laid out again without it). */
bool jit_target_op(jit_func *fn, uint32_t pc);
/* Patch a rel32 field at `at` to reach `to` (buffer offsets). */
void jit_target_patch(jit_buf *b, uint32_t at, uint32_t to);
/* Bytes of machine code past which a function is not compiled (one function's size budget). */
#define JIT_MAX_FUNCTION_BYTES ((size_t)64 << 20)

#endif
