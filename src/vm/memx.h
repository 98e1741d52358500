/* SPDX-License-Identifier: Apache-2.0 */
/*
 * memx.h - memory instructions on any memory (Wasm 3.0 multi-memory and memory64): the MEMX_* internal
 * ops (ir.def), which the compiler emits for a memory other than memory 0 or a 64-bit (i64-addressed)
 * one.  Memory 0 with 32-bit addresses keeps its own ops, fast paths in both tiers; these run through
 * one C function for both tiers, as the SIMD ones do through simd.c.
 */
#ifndef WAPC_VM_MEMX_H
#define WAPC_VM_MEMX_H

#include <stdint.h>

struct vm_instance;

/* Run one MEMX_* instruction (ip: its words, fp: the frame); returns a vm_trap (0: none). */
uint32_t vm_memx_exec(uint32_t op, const uint32_t *ip, uint64_t *fp, struct vm_instance *inst);

#endif
