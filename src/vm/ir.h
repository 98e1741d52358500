/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ir.h - the internal code the compiler emits and the interpreter runs.
 *
 * Each function compiles, at load, to an array of 32-bit words.  An
 * instruction is its opcode word (vm_op) followed by its operands; the operand
 * layout of each op is its FORMAT (below).  The interpreter never sees LEB128,
 * never searches for block ends, and keeps no operand stack of its own:
 *
 * Frames ("register style").  A call's frame is a window of 64-bit slots on
 * the store's value stack:
 *     slot 0 .. nparams-1           parameters
 *     slot nparams .. nlocals-1     declared locals (zeroed on entry)
 *     slot nlocals + k              constant k of the function (vm_code.consts)
 *     slot nlocals + nconsts + h    the wasm operand stack entry at height h
 * The compiler knows the operand-stack height statically, so every operand
 * is a fixed slot index.  A source operand may name a local's slot directly
 * (local.get emits no code) or a constant slot (a constant emits no code:
 * the function's distinct constants, up to VM_MAX_CONST_SLOTS, are copied
 * into their slots on entry), a result may go straight into a local (a
 * following local.set), and an i32 comparison feeding br_if/if becomes a
 * fused BR_I32_* branch.
 * An i32/f32 lives in the low 32 bits of its slot (the upper half is
 * unspecified when read, written as zero); i64/f64 use all 64 bits; a
 * reference is a pointer (0 = null).
 *
 * Calls.  The caller's arguments sit in its slots base..base+nparams-1 (its
 * operand-stack top); the callee's frame starts exactly there (no copying),
 * and the callee leaves its results in its slots 0..nresults-1, which become
 * the caller's slots base..base+nresults-1.  The callee needs nslots slots
 * from its base; the interpreter checks that against the stack end.
 *
 * Branches.  A label's values live at fixed slots (label base height +
 * i).  The compiler emits MOVs for the carried values before a jump when
 * they are not already in place (ascending order is always safe: the
 * destination is never above the source), and RETURN expects the results in
 * slots 0..nresults-1.  Falling off the end of a function is a RETURN.
 * Branch targets are absolute word indices into the function's code array.
 *
 * Opcode words.  The compiler emits vm_op values; its last pass rewrites each
 * into what the interpreter dispatches on (vm_ir_thread/vm_ir_handlers: the
 * handler's offset under direct threading), so compiled code is read back
 * with vm_ir_op() (the disassembler does).
 */
#ifndef WAPC_VM_IR_H
#define WAPC_VM_IR_H

#include <stdint.h>
#include <stdio.h>

typedef uint32_t vm_word;

/* Constants per function that get a slot; later ones are CONST32/CONST64
 * instructions (this bounds the copy on entry). */
#define VM_MAX_CONST_SLOTS 64u

/*
 * Operand layouts, one X(NAME, OPERANDS) each: OPERANDS has a letter per word
 * after the opcode (d = destination slot, s = source slot, i = an immediate
 * or index word, t = branch target, f = function index, o = memory offset),
 * so a format's size is 1 + strlen(OPERANDS) words; FMT_BRTABLE alone is
 * variable (3 + n + 1 words, vm_instr_words).  The comments name the slots
 * as the ops use them (a/b/c are source slots).
 */
#define VM_FORMATS(X)                                                                                        \
  X(FMT_NONE, "")             /* [op] */                                                                     \
  X(FMT_T, "t")               /* [op, t] */                                                                  \
  X(FMT_ST, "st")             /* [op, s, t] */                                                               \
  X(FMT_BRTABLE, "")          /* [op, s, n, t0 .. t(n-1), tdefault] */                                       \
  X(FMT_CALL, "fs")           /* [op, funcidx, base] */                                                      \
  X(FMT_CALLI, "iiss")        /* [op, typeidx, tableidx, base, s] */                                         \
  X(FMT_D, "d")               /* [op, d] */                                                                  \
  X(FMT_S, "s")               /* [op, s] */                                                                  \
  X(FMT_IS, "is")             /* [op, i, s] */                                                               \
  X(FMT_ISS, "iss")           /* [op, i, s, s] */                                                            \
  X(FMT_DID, "did")           /* [op, d, i, d] */                                                            \
  X(FMT_DS, "ds")             /* [op, d, s] */                                                               \
  X(FMT_DSS, "dss")           /* [op, d, a, b] */                                                            \
  X(FMT_DSSS, "dsss")         /* [op, d, a, b, c] */                                                         \
  X(FMT_DI, "di")             /* [op, d, i] */                                                               \
  X(FMT_DII, "dii")           /* [op, d, i, i] */                                                            \
  X(FMT_SI, "si")             /* [op, s, i] */                                                               \
  X(FMT_I, "i")               /* [op, i] */                                                                  \
  X(FMT_SSS, "sss")           /* [op, s, s, s] */                                                            \
  X(FMT_ISSS, "isss")         /* [op, i, s, s, s] */                                                         \
  X(FMT_DSI, "dsi")           /* [op, d, s, i] */                                                            \
  X(FMT_SSI, "ssi")           /* [op, s, s, i] */                                                            \
  X(FMT_DSSI, "dssi")         /* [op, d, s, s, i] */                                                         \
  X(FMT_SSSI, "sssi")         /* [op, s, s, s, i] */                                                         \
  X(FMT_SSSII, "sssii")       /* [op, s, s, s, i, i] */                                                      \
  X(FMT_LOAD, "dso")          /* [op, d, addr, offset]   ea = (u64)(u32)fp[addr] + offset */                 \
  X(FMT_STORE, "sso")         /* [op, addr, value, offset] */                                                \
  X(FMT_SST, "sst")           /* [op, a, b, t]   fused compare-and-branch */                                 \
  X(FMT_LOADX, "dsso")        /* [op, d, a, b, offset]   ea = (u64)(u32)(fp[a] + fp[b]) + offset */          \
  X(FMT_STOREX, "ssso")       /* [op, a, b, value, offset] */                                                \
  X(FMT_DSDS, "dsds")         /* [op, d1, s1, d2, s2] */                                                     \
  X(FMT_DSDSDS, "dsdsds")     /* [op, d1, s1, d2, s2, d3, s3] */                                             \
  X(FMT_DSDSDSDS, "dsdsdsds") /* [op, d1, s1, .. d4, s4] */                                                  \
  X(FMT_LOADXS, "dssso")      /* [op, d, a, b, k, offset]   as FMT_LOADX with fp[b] << (fp[k] & 31) */       \
  X(FMT_STOREXS, "sssso")     /* [op, a, b, k, value, offset] */                                             \
  X(FMT_DSST, "dsst")         /* [op, d, a, b, t]      fp[d] = fp[a] + fp[b], then branch on fp[d] */        \
  X(FMT_DSSST, "dssst")   /* [op, d, a, b, c, t]   fp[d] = fp[a] + fp[b], then branch on fp[d] CMP fp[c] */  \
  X(FMT_DSOT, "dsot")     /* [op, d, a, offset, t] a load into fp[d], then a branch on it */                 \
  X(FMT_DSSDSS, "dssdss") /* [op, d, a, b, d', a', b'] */                                                    \
  X(FMT_DIIII, "diiii")   /* [op, d, i, i, i, i] */                                                          \
  X(FMT_DSII, "dsii")     /* [op, d, s, i, i] */                                                             \
  X(FMT_DSSII, "dssii")   /* [op, d, s, s, i, i] */                                                          \
  X(FMT_DSSIIII, "dssiiii")  /* [op, d, s, s, i, i, i, i] */                                                 \
  X(FMT_DSOI, "dsoi")        /* [op, d, addr, offset, i] */                                                  \
  X(FMT_DSSOII, "dssoii")    /* [op, d, addr, s, offset, i, i] */                                            \
  X(FMT_SSOII, "ssoii")      /* [op, addr, s, offset, i, i] */                                               \
  X(FMT_DSSSI, "dsssi")      /* [op, d, a, b, c, i] */                                                       \
  X(FMT_ISSSI, "isssi")      /* [op, i, s, s, s, i] */                                                       \
  X(FMT_MXLOAD, "dsiiii")    /* [op, d, addr, mem, code, off_lo, off_hi] */                                  \
  X(FMT_MXSTORE, "ssiiii")   /* [op, addr, value, mem, code, off_lo, off_hi] */                              \
  X(FMT_MXVLOAD, "dssiiiii") /* [op, d, addr, vec, mem, code, lane, off_lo, off_hi] */                       \
  X(FMT_MXVSTORE, "ssiiiii") /* [op, addr, vec, mem, code, lane, off_lo, off_hi] */

typedef enum {
#define VM_FORMAT_ENUM(name, operands) name,
  VM_FORMATS(VM_FORMAT_ENUM)
#undef VM_FORMAT_ENUM
} vm_format;

/* The words of each fixed-size format, opcode included: FMT_DS_WORDS is 3. */
enum {
#define VM_FORMAT_WORDS(name, operands) name##_WORDS = sizeof(operands),
  VM_FORMATS(VM_FORMAT_WORDS)
#undef VM_FORMAT_WORDS
};

/*
 * Fused pairs of i32 operators: F_A_B is [op, d, a, b, c] with
 *     t = fp[a] A fp[b];  fp[d] = t B fp[c]
 * (the temporary t never reaches a slot).  The compiler fuses an operator
 * with the one that computed its left operand (or either operand when B is
 * commutative) just before it.  VM_I32_FUSED(X) lists every pair as X(A, B),
 * row by row in the order of VM_I32_FUSE_ROW.
 */
#define VM_I32_FUSE_ROW(X, A)                                                                                \
  X(A, ADD)                                                                                                  \
  X(A, SUB) X(A, MUL) X(A, AND) X(A, OR) X(A, XOR) X(A, SHL) X(A, SHR_S) X(A, SHR_U) X(A, ROTL) X(A, ROTR)
#define VM_I32_FUSED(X)                                                                                      \
  VM_I32_FUSE_ROW(X, ADD)                                                                                    \
  VM_I32_FUSE_ROW(X, SUB)                                                                                    \
  VM_I32_FUSE_ROW(X, MUL)                                                                                    \
  VM_I32_FUSE_ROW(X, AND)                                                                                    \
  VM_I32_FUSE_ROW(X, OR)                                                                                     \
  VM_I32_FUSE_ROW(X, XOR)                                                                                    \
  VM_I32_FUSE_ROW(X, SHL)                                                                                    \
  VM_I32_FUSE_ROW(X, SHR_S) VM_I32_FUSE_ROW(X, SHR_U) VM_I32_FUSE_ROW(X, ROTL) VM_I32_FUSE_ROW(X, ROTR)
#define VM_I32_FUSE_N 11 /* operators per row */
/* The same for f64 arithmetic: FD_A_B, t and the result are doubles. */
#define VM_F64_FUSE_ROW(X, A) X(A, ADD) X(A, SUB) X(A, MUL) X(A, DIV)
#define VM_F64_FUSED(X)                                                                                      \
  VM_F64_FUSE_ROW(X, ADD) VM_F64_FUSE_ROW(X, SUB) VM_F64_FUSE_ROW(X, MUL) VM_F64_FUSE_ROW(X, DIV)
#define VM_F64_FUSE_N 4

typedef enum {
#define VM_IROP(name, fmt) VM_OP_##name,
#include "vm/ir.def"
#undef VM_IROP
#define VM_NUMOP(name, fmt, in1, in2, out, size) VM_OP_##name,
#include "vm/numops.def"
#undef VM_NUMOP
#define VM_FUSED_ENUM(A, B) VM_OP_F_##A##_##B,
  VM_I32_FUSED(VM_FUSED_ENUM)
#undef VM_FUSED_ENUM
#define VM_FUSED_ENUM(A, B) VM_OP_FD_##A##_##B,
      VM_F64_FUSED(VM_FUSED_ENUM)
#undef VM_FUSED_ENUM
          VM_OP_COUNT
} vm_op;

/* The v128 ops (simd.c runs them) are one run in ir.def, V128_CONST .. V128_GLOBAL_SET. */
static inline int vm_op_is_v128(vm_op op) {
  return op >= VM_OP_V128_CONST && op <= VM_OP_V128_GLOBAL_SET;
}
/* The memory instructions on any memory (memx.c). */
static inline int vm_op_is_memx(vm_op op) {
  return op >= VM_OP_MEMX_LOAD && op <= VM_OP_MEMX_V128_STORE;
}

/* The format of the fused pairs F_A_B and FD_A_B. */
#define VM_FUSED_FORMAT FMT_DSSS
#define VM_FORMAT_WORDS_OF(f) VM_FORMAT_WORDS_OF_(f)
#define VM_FORMAT_WORDS_OF_(f) f##_WORDS

/* VM_OP_WORDS_NAME: the words of VM_OP_NAME, its format's size (what the
 * interpreter's handlers advance by; not meaningful for FMT_BRTABLE). */
enum {
#define VM_IROP(name, fmt) VM_OP_WORDS_##name = fmt##_WORDS,
#include "vm/ir.def"
#undef VM_IROP
#define VM_NUMOP(name, fmt, in1, in2, out, size) VM_OP_WORDS_##name = fmt##_WORDS,
#include "vm/numops.def"
#undef VM_NUMOP
#define VM_FUSED_WORDS(A, B) VM_OP_WORDS_F_##A##_##B = VM_FORMAT_WORDS_OF(VM_FUSED_FORMAT),
  VM_I32_FUSED(VM_FUSED_WORDS)
#undef VM_FUSED_WORDS
#define VM_FUSED_WORDS(A, B) VM_OP_WORDS_FD_##A##_##B = VM_FORMAT_WORDS_OF(VM_FUSED_FORMAT),
      VM_F64_FUSED(VM_FUSED_WORDS)
#undef VM_FUSED_WORDS
};

/* Names and formats, for the disassembler and tests. */
const char *vm_op_name(vm_op op);
vm_format vm_op_format(vm_op op);
/* Operand letters of a format, one per word after the opcode: d destination
 * slot, s source slot, t target, f function, o offset, other letters
 * immediates ("" for FMT_BRTABLE, whose first operand is a source slot). */
const char *vm_format_operands(vm_format f);
/* Per-op facts for passes over compiled code: words (0 for FMT_BRTABLE:
 * 4 + its n), and bit i set in dmask/smask/tmask when operand word 1 + i is
 * a destination slot/source slot/branch target (FMT_BRTABLE: smask 1, its
 * index). */
typedef struct vm_op_info {
  uint8_t words;
  uint8_t dmask, smask;
  uint8_t tmask; /* branch targets (FMT_BRTABLE: 0, its targets are the words after n) */
} vm_op_info;
const vm_op_info *vm_op_infos(void); /* VM_OP_COUNT entries, built once */

/* Number of words of the instruction at `code` (including the opcode), in
 * code not yet threaded (opcode words are vm_op values). */
uint32_t vm_instr_words(const vm_word *code);

/* interp.c: prepare compiled code for running (direct threading: each opcode
 * word becomes the interpreter's handler for it; a no-op without computed
 * goto).  Every function's code goes through this once, at the end of
 * compilation; code is then immutable.  vm_ir_op() maps a prepared opcode word
 * back to its op (VM_OP_COUNT if none), for the disassembler. */
void vm_ir_thread(vm_word *code, uint32_t ncode);
vm_op vm_ir_op(vm_word w);
/* The word each op becomes (indexed by vm_op), or NULL when ops stay as they are. */
const int32_t *vm_ir_handlers(void);

/* ir.c: print a function's compiled code, one instruction a line (debugging, tests). */
struct vm_code;
void vm_disasm(const struct vm_code *c, FILE *out);

#endif
