/* SPDX-License-Identifier: Apache-2.0 */
/*
 * opcodes.h - what opcodes.def generates for the decoder and the compiler:
 * the opcode constants (VM_WASM_I32_ADD is 0x6A, VM_WASM_MEMORY_INIT is 8
 * under the 0xFC prefix), the immediate shapes and the per-opcode shape
 * table, indexed by VM_WASM_INDEX.
 */
#ifndef WAPC_VM_OPCODES_H
#define WAPC_VM_OPCODES_H

#include <stdint.h>

/* The immediates an instruction takes, in encoding order. */
typedef enum {
  VM_IMM_ILLEGAL,       /* no such instruction */
  VM_IMM_NONE,          /* none */
  VM_IMM_PREFIX,        /* a prefix byte: a u32 sub-opcode follows */
  VM_IMM_BLOCK,         /* blocktype: 0x40, a value type or an s33 type index */
  VM_IMM_LABEL,         /* u32 label depth */
  VM_IMM_BR_TABLE,      /* vec(u32 label), u32 default label */
  VM_IMM_FUNC,          /* u32 function index */
  VM_IMM_CALL_INDIRECT, /* u32 type index, u32 table index */
  VM_IMM_SELECT_T,      /* vec(value type) */
  VM_IMM_LOCAL,         /* u32 local index */
  VM_IMM_GLOBAL,        /* u32 global index */
  VM_IMM_TABLE,         /* u32 table index */
  VM_IMM_MEMARG,        /* u32 alignment, u32 offset */
  VM_IMM_MEM,           /* memory index: a zero byte */
  VM_IMM_I32,           /* s32 */
  VM_IMM_I64,           /* s64 */
  VM_IMM_F32,           /* 4 bytes */
  VM_IMM_F64,           /* 8 bytes */
  VM_IMM_REFTYPE,       /* a reference type byte */
  VM_IMM_DATA_MEM,      /* u32 data segment, zero byte */
  VM_IMM_DATA,          /* u32 data segment */
  VM_IMM_MEM_MEM,       /* two zero bytes */
  VM_IMM_ELEM_TABLE,    /* u32 element segment, u32 table index */
  VM_IMM_ELEM,          /* u32 element segment */
  VM_IMM_TABLE_TABLE,   /* u32 destination table, u32 source table */
  VM_IMM_V128,          /* 16 bytes: a v128 constant */
  VM_IMM_SHUFFLE,       /* 16 bytes: lane indices, each below 32 */
  VM_IMM_LANE,          /* a byte: lane index */
  VM_IMM_MEMARG_LANE,   /* u32 alignment, u32 offset, a byte: lane index */
  VM_IMM_TAG,           /* u32 tag index */
  VM_IMM_TYPE,          /* u32 type index */
  VM_IMM_TRY_TABLE,     /* blocktype, vec(catch clause: a kind byte 0-3, a tag index for 0 and 1, a label) */
} vm_imm;

/* The proposals beyond the MVP that the engine implements (Wasm 2.0, and the 3.0 ones it has). */
typedef enum {
  VM_FEAT_MVP,
  VM_FEAT_SIGN_EXT,     /* sign-extension operators */
  VM_FEAT_SAT_TRUNC,    /* non-trapping float-to-int conversions */
  VM_FEAT_BULK,         /* bulk memory operations */
  VM_FEAT_REF,          /* reference types */
  VM_FEAT_SIMD,         /* fixed-width SIMD (v128) */
  VM_FEAT_TAIL_CALL,    /* tail calls (Wasm 3.0) */
  VM_FEAT_RELAXED_SIMD, /* relaxed SIMD (Wasm 3.0) */
  VM_FEAT_EXCEPTIONS,   /* exception handling (Wasm 3.0), and its legacy instructions */
  VM_FEAT_FUNCREFS,     /* typed function references (Wasm 3.0) */
} vm_feature;

/* Is an instruction of proposal `feat` one a configuration may leave out (Wasm 3.0's: vm_feature_on)?
 * Only those are looked up, so the compiler's loop stays one table read for the rest. */
static inline int vm_feat_optional(uint8_t feat) {
  return feat >= VM_FEAT_TAIL_CALL;
}

/* The opcode of each instruction: VM_WASM_NAME is its byte, or its sub-opcode
 * after the prefix. */
enum {
#define VM_WASM(name, prefix, code, imm, feature, kind) VM_WASM_##name = (code),
#include "vm/opcodes.def"
#undef VM_WASM
};

/* One index space for every opcode: a byte; 256 + the sub-opcode of a
 * 0xFC-prefixed instruction (fewer than VM_WASM_NFC of them); 256 +
 * VM_WASM_NFC + the sub-opcode of a 0xFD-prefixed (SIMD) one. */
#define VM_WASM_NFC 32u
#define VM_WASM_NFD 0x114u /* through the relaxed SIMD ones */
#define VM_WASM_INDEX(prefix, code)                                                                          \
  ((prefix) == 0xFD ? 256u + VM_WASM_NFC + (uint32_t)(code)                                                  \
   : (prefix) != 0  ? 256u + (uint32_t)(code)                                                                \
                    : (uint32_t)(code))

/* The immediate shape of each index (VM_IMM_ILLEGAL where no instruction is). */
static const uint8_t vm_wasm_imm[] = {
#define VM_WASM(name, prefix, code, imm, feature, kind) [VM_WASM_INDEX(prefix, code)] = VM_IMM_##imm,
#include "vm/opcodes.def"
#undef VM_WASM
};

_Static_assert(sizeof vm_wasm_imm == 256u + VM_WASM_NFC + VM_WASM_NFD,
               "0xFC sub-opcodes fit below VM_WASM_NFC");

/* Wasm 3.0 value-type and heap-type bytes of the proposals this engine does not have (typed function
 * references, GC, exception references): a clear "unsupported" message, or NULL. */
static inline const char *vm_unsupported_type(uint8_t b) {
  switch (b) {
  case 0x63:
  case 0x64: return "unsupported: typed function references (ref, ref null: Wasm 3.0, not enabled)";
  case 0x69: return "unsupported: exception references (exnref: Wasm 3.0 exception handling, not enabled)";
  case 0x74: return "unsupported: typed exception references (nullexnref: Wasm 3.0)";
  case 0x6A:
  case 0x6B:
  case 0x6C:
  case 0x6D:
  case 0x6E:
  case 0x71:
  case 0x72:
  case 0x73: return "unsupported: GC reference types (Wasm 3.0)";
  default: return NULL;
  }
}

/* Wasm 3.0 instructions of those proposals (one-byte opcodes, and the GC prefix 0xFB): the message. */
static inline const char *vm_unsupported_op(uint8_t op) {
  switch (op) {
  case 0xD3:
  case 0xFB: return "unsupported: GC instructions (Wasm 3.0)";
  default: return NULL;
  }
}

/* The proposal of each index (VM_FEAT_*). */
static const uint8_t vm_wasm_feature[] = {
#define VM_WASM(name, prefix, code, imm, feature, kind) [VM_WASM_INDEX(prefix, code)] = VM_FEAT_##feature,
#include "vm/opcodes.def"
#undef VM_WASM
};

#endif
