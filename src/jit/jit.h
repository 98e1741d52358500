/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jit.h - the compiler tier: wasm functions as machine code.
 *
 * After a module's functions are validated and compiled to internal code
 * (ir.h), vm_jit_compile_module translates each function's internal code, in
 * one pass, into machine code for the host (x86-64 today; the target is
 * src/jit/<arch>/).  A function it cannot translate keeps running in the
 * interpreter; the tiers mix per function through the protocol of exec.h
 * (same frames, same traps, same interruption points and fuel).
 *
 * The machine code of a module is one mapping, written while writable and
 * then made read+execute (never both at once), owned by the module and
 * shared by every instance and thread using it.  Where the system refuses
 * executable memory the module runs in the interpreter.
 */
#ifndef WAPC_JIT_JIT_H
#define WAPC_JIT_JIT_H

#include "vm/runtime.h"

/* Compile the module's functions (those it can) to machine code, setting
 * codes[i].native; nothing changes when the tier is off for this module
 * (cfg.tier), unsupported here, or refused executable memory.  Never fails
 * the load. */
void vm_jit_compile_module(vm_module *m);

/* Free the module's machine code (safe when there is none). */
void vm_jit_release(vm_module *m);

/* Run compiled function `f` (f->code->native != NULL) with its frame at
 * `fp`: the exec.h protocol. */
vm_result vm_jit_run(vm_store *s, vm_func *f, uint64_t *fp);

/* Facts for debug lines and tests. */
typedef struct vm_jit_info {
  uint32_t compiled;  /* functions with machine code */
  uint32_t fallbacks; /* functions left to the interpreter */
  size_t code_bytes;  /* machine code, bytes */
  const char *status; /* why nothing was compiled ("" when something was) */
} vm_jit_info;
void vm_jit_module_info(const vm_module *m, vm_jit_info *out);

#endif
