/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x64/emit.c - the x86-64 target of the compiler tier (target.h), System V
 * ABI, Linux.
 *
 * Registers.  Compiled code keeps its state in callee-saved registers, so C
 * helpers preserve it for free:
 *     rbx  frame pointer: slot k is [rbx + 8k] (exec.h frames)
 *     rbp  the instance
 *     r12  memory 0's base       r13  memory 0's size in bytes
 *     r14  the store             r15  guard.tick (fuel units to the next poll)
 * rcx, rdx and xmm0-xmm1 are scratch within one internal instruction; rax
 * too, but for a value it hands to the next instruction.  rsi, rdi, r8, r9,
 * r11 and xmm2-xmm14 cache locals and hold parked operand-stack values, r10
 * and xmm15 forwarded ones (see "register cache" below).
 *
 * Functions.  A compiled function is entered with rbx at its frame and the
 * other registers as above; it returns with them unchanged (r13 and r15
 * current).  Its own frame on the native stack is 8 bytes of alignment: the
 * operands live in the frame slots.  A direct call to another compiled
 * function of the module moves rbx to the callee's frame, calls, and moves
 * it back; anything else goes through a C helper (helpers.h).
 *
 * Traps.  The entry trampoline records its stack pointer in
 * exec.native_exit; a trap loads the reason into eax, puts rsp back there
 * and leaves through the trampoline, which restores the C caller's
 * registers.  Bounds checks compare and branch to a trap stub: no signal
 * handler is involved.
 */
#include <cpuid.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "jit/helpers.h"
#include "jit/target.h"
#include "vm/opcodes.h"
#include "vm/simd.h"

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
/* The parking bookkeeping stays out of line: inlined, it makes GCC give up inlining the encoders into the
 * hot paths (iput), which costs the compiler more than the call. */
#define OUT_OF_LINE __attribute__((noinline))
enum { XMM0, XMM1 };
#define FP RBX
#define INST RBP
#define MB R12
#define MS R13
#define ST R14
#define TICK R15

/* Condition codes. */
enum {
  CC_O,
  CC_NO,
  CC_B,
  CC_AE,
  CC_E,
  CC_NE,
  CC_BE,
  CC_A,
  CC_S,
  CC_NS,
  CC_P,
  CC_NP,
  CC_L,
  CC_GE,
  CC_LE,
  CC_G
};
/* Group-1 ALU operations (the /digit of 81/83, and opcode = 8 * op + 3 for r, r/m). */
enum { ALU_ADD = 0, ALU_OR = 1, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7 };
/* Group-2 shifts (the /digit of D3). */
enum { SH_ROL = 0, SH_ROR = 1, SH_SHL = 4, SH_SHR = 5, SH_SAR = 7 };

#define OFF_TICK ((int32_t)offsetof(vm_store, guard.tick))
#define OFF_EXIT ((int32_t)offsetof(vm_store, exec.native_exit))
#define OFF_LIMIT ((int32_t)offsetof(vm_store, exec.native_limit))
#define OFF_DEPTH ((int32_t)offsetof(vm_store, exec.depth))
#define OFF_MAXDEPTH ((int32_t)offsetof(vm_store, exec.max_depth))
#define OFF_STACK_END ((int32_t)offsetof(vm_store, exec.stack_end))
#define OFF_I_MEMORY ((int32_t)offsetof(vm_instance, memory))
#define OFF_I_FUNCS ((int32_t)offsetof(vm_instance, funcs))
#define OFF_I_GLOBALS ((int32_t)offsetof(vm_instance, globals))
#define OFF_M_DATA ((int32_t)offsetof(vm_memory, data))
#define OFF_M_SIZE ((int32_t)offsetof(vm_memory, size))
#define OFF_M_PAGES ((int32_t)offsetof(vm_memory, pages))
#define OFF_G_VALUE ((int32_t)offsetof(vm_global, value))
#define OFF_I_TABLES ((int32_t)offsetof(vm_instance, tables))
#define OFF_T_SIZE ((int32_t)offsetof(vm_table, size))
#define OFF_T_ELEMS ((int32_t)offsetof(vm_table, elems))
#define OFF_F_TYPE ((int32_t)offsetof(vm_func, type))
#define OFF_F_INST ((int32_t)offsetof(vm_func, inst))
#define OFF_F_CODE ((int32_t)offsetof(vm_func, code))
#define OFF_C_NATIVE ((int32_t)offsetof(vm_code, native))

/* ---- encoding ---------------------------------------------------------- */

typedef struct mem_t {
  int base, index, scale; /* index -1: none; scale: log2 */
  int32_t disp;
} mem_t;

static mem_t M(int base, int32_t disp) {
  return (mem_t){base, -1, 0, disp};
}
static mem_t MX(int base, int index, int scale, int32_t disp) {
  return (mem_t){base, index, scale, disp};
}
static mem_t SLOT(uint32_t s) {
  return M(FP, (int32_t)(s * 8u));
}

/* The encoders below check for room once (the longest x86-64 instruction is 15 bytes) and then
 * write through a local cursor (a byte store through the buffer's pointer would make the compiler
 * reload the buffer's fields after every byte). */
static uint8_t *put_opcode(uint8_t *p, uint32_t opc, int len) {
  if (len == 3) *p++ = (uint8_t)(opc >> 16);
  if (len >= 2) *p++ = (uint8_t)(opc >> 8);
  *p++ = (uint8_t)opc;
  return p;
}

static uint8_t *put_modrm_mem(uint8_t *p, int reg, mem_t m) {
  int base = m.base & 7, mod;
  if (m.disp == 0 && base != 5)
    mod = 0;
  else if (m.disp >= -128 && m.disp <= 127)
    mod = 1;
  else
    mod = 2;
  if (m.index >= 0 || base == 4) {
    *p++ = (uint8_t)(mod << 6 | (reg & 7) << 3 | 4);
    int idx = m.index >= 0 ? (m.index & 7) : 4;
    *p++ = (uint8_t)(m.scale << 6 | idx << 3 | base);
  } else {
    *p++ = (uint8_t)(mod << 6 | (reg & 7) << 3 | base);
  }
  if (mod == 1) {
    *p++ = (uint8_t)m.disp;
  } else if (mod == 2) {
    uint32_t d = (uint32_t)m.disp;
    p[0] = (uint8_t)d;
    p[1] = (uint8_t)(d >> 8);
    p[2] = (uint8_t)(d >> 16);
    p[3] = (uint8_t)(d >> 24);
    p += 4;
  }
  return p;
}

/* [prefix] [REX] opcode modrm(reg, m) (opcodes of 1 or 2 bytes) */
static inline void op_m(jit_buf *b, int pfx, int w, uint32_t opc, int len, int reg, mem_t m) {
  if (!jit_room(b, 16)) return;
  uint8_t *p = b->p + b->len, *p0 = p;
  if (pfx) *p++ = (uint8_t)pfx;
  int rex = 0x40 | (w ? 8 : 0) | ((reg >> 3) & 1) << 2 | (m.index >= 0 ? ((m.index >> 3) & 1) << 1 : 0) |
            ((m.base >> 3) & 1);
  if (rex != 0x40) *p++ = (uint8_t)rex;
  p = put_opcode(p, opc, len);
  p = put_modrm_mem(p, reg, m);
  b->len += (size_t)(p - p0);
}

/* [prefix] [REX] opcode modrm(reg, rm register) */
static inline __attribute__((always_inline)) void op_r(jit_buf *b, int pfx, int w, uint32_t opc, int len,
                                                       int reg, int rm) {
  if (!jit_room(b, 16)) return;
  uint8_t *p = b->p + b->len, *p0 = p;
  if (pfx) *p++ = (uint8_t)pfx;
  int rex = 0x40 | (w ? 8 : 0) | ((reg >> 3) & 1) << 2 | ((rm >> 3) & 1);
  if (rex != 0x40) *p++ = (uint8_t)rex;
  p = put_opcode(p, opc, len);
  *p++ = (uint8_t)(0xC0 | (reg & 7) << 3 | (rm & 7));
  b->len += (size_t)(p - p0);
}

static void mov_rm(jit_buf *b, int w, int r, mem_t m) {
  op_m(b, 0, w, 0x8B, 1, r, m);
}
static void mov_mr(jit_buf *b, int w, mem_t m, int r) {
  op_m(b, 0, w, 0x89, 1, r, m);
}
static void mov_rr(jit_buf *b, int w, int dst, int src) {
  op_r(b, 0, w, 0x89, 1, src, dst);
}
/* r = v, zero-extended from 32 bits when it fits */
static void mov_ri(jit_buf *b, int r, uint64_t v) {
  if (v <= 0xFFFFFFFFu) {
    if (r >= 8) jit_u8(b, 0x41);
    jit_u8(b, (uint8_t)(0xB8 + (r & 7)));
    jit_u32(b, (uint32_t)v);
  } else {
    jit_u8(b, (uint8_t)(0x48 | ((r >> 3) & 1)));
    jit_u8(b, (uint8_t)(0xB8 + (r & 7)));
    jit_u64(b, v);
  }
}
static bool fits_i32(int64_t v) {
  return v >= INT32_MIN && v <= INT32_MAX;
}
/* qword [m] = v */
static void mov_mi64(jit_buf *b, mem_t m, uint64_t v) {
  if (fits_i32((int64_t)v)) {
    op_m(b, 0, 1, 0xC7, 1, 0, m);
    jit_u32(b, (uint32_t)v);
  } else {
    mov_ri(b, RAX, v);
    mov_mr(b, 1, m, RAX);
  }
}
static void alu_rm(jit_buf *b, int w, int alu, int r, mem_t m) {
  op_m(b, 0, w, (uint32_t)(alu * 8 + 3), 1, r, m);
}
static void alu_rr(jit_buf *b, int w, int alu, int dst, int src) {
  op_r(b, 0, w, (uint32_t)(alu * 8 + 1), 1, src, dst);
}
static void alu_ri(jit_buf *b, int w, int alu, int r, int32_t imm) {
  if (imm >= -128 && imm <= 127) {
    op_r(b, 0, w, 0x83, 1, alu, r);
    jit_u8(b, (uint8_t)imm);
  } else {
    op_r(b, 0, w, 0x81, 1, alu, r);
    jit_u32(b, (uint32_t)imm);
  }
}
static void alu_mi(jit_buf *b, int w, int alu, mem_t m, int32_t imm) {
  if (imm >= -128 && imm <= 127) {
    op_m(b, 0, w, 0x83, 1, alu, m);
    jit_u8(b, (uint8_t)imm);
  } else {
    op_m(b, 0, w, 0x81, 1, alu, m);
    jit_u32(b, (uint32_t)imm);
  }
}
static void lea(jit_buf *b, int r, mem_t m) {
  op_m(b, 0, 1, 0x8D, 1, r, m);
}
static void setcc(jit_buf *b, int cc, int r8) {
  op_r(b, 0, 0, 0x0F90u + (uint32_t)cc, 2, 0, r8);
}
static void movzx_r8(jit_buf *b, int dst, int src8) {
  op_r(b, 0, 0, 0x0FB6, 2, dst, src8);
}
static void call_reg(jit_buf *b, int r) {
  op_r(b, 0, 0, 0xFF, 1, 2, r);
}
/* A call of C function `f`. */
static void call_abs(jit_buf *b, jit_fn f) {
  mov_ri(b, RAX, (uint64_t)(uintptr_t)f);
  call_reg(b, RAX);
}
/* jcc/jmp/call with a rel32 field; returns the field's offset. */
static uint32_t jcc32(jit_buf *b, int cc) {
  jit_u8(b, 0x0F);
  jit_u8(b, (uint8_t)(0x80 + cc));
  uint32_t at = (uint32_t)b->len;
  jit_u32(b, 0);
  return at;
}
static uint32_t jmp32(jit_buf *b) {
  jit_u8(b, 0xE9);
  uint32_t at = (uint32_t)b->len;
  jit_u32(b, 0);
  return at;
}
static uint32_t call32(jit_buf *b) {
  jit_u8(b, 0xE8);
  uint32_t at = (uint32_t)b->len;
  jit_u32(b, 0);
  return at;
}

void jit_target_patch(jit_buf *b, uint32_t at, uint32_t to) {
  jit_patch32(b, at, to - (at + 4));
}
static void patch_here(jit_buf *b, uint32_t at) {
  jit_target_patch(b, at, (uint32_t)b->len);
}

/* SSE: [pfx] [REX] 0F op modrm, xmm register `x` with memory or register operand. */
static void sse_m(jit_buf *b, int pfx, int w, uint8_t op, int x, mem_t m) {
  op_m(b, pfx, w, 0x0F00u | op, 2, x, m);
}
static void sse_r(jit_buf *b, int pfx, int w, uint8_t op, int x, int rm) {
  op_r(b, pfx, w, 0x0F00u | op, 2, x, rm);
}

/* ---- module stubs ------------------------------------------------------ */

void jit_target_stubs(jit_buf *b, jit_stubs *st) {
  /* uint32_t entry(vm_store *s [rdi], vm_instance *inst [rsi], uint64_t *fp [rdx], const void *fn [rcx]) */
  st->entry = (uint32_t)b->len;
  static const int saved[] = {RBX, RBP, R12, R13, R14, R15};
  for (int i = 0; i < 6; i++) {
    if (saved[i] >= 8) jit_u8(b, 0x41);
    jit_u8(b, (uint8_t)(0x50 + (saved[i] & 7)));
  }
  op_m(b, 0, 0, 0xFF, 1, 6, M(RDI, OFF_EXIT)); /* push [s->exec.native_exit]: nested entries */
  mov_rr(b, 1, ST, RDI);
  mov_rr(b, 1, INST, RSI);
  mov_rr(b, 1, FP, RDX);
  mov_mr(b, 1, M(ST, OFF_EXIT), RSP);
  mov_rm(b, 1, TICK, M(ST, OFF_TICK));
  /* memory 0, or none */
  alu_rr(b, 0, ALU_XOR, MB, MB);
  alu_rr(b, 0, ALU_XOR, MS, MS);
  mov_rm(b, 1, RAX, M(INST, OFF_I_MEMORY));
  op_r(b, 0, 1, 0x85, 1, RAX, RAX); /* test rax, rax */
  uint32_t nomem = jcc32(b, CC_E);
  mov_rm(b, 1, MB, M(RAX, OFF_M_DATA));
  mov_rm(b, 1, MS, M(RAX, OFF_M_SIZE));
  patch_here(b, nomem);
  call_reg(b, RCX);
  alu_rr(b, 0, ALU_XOR, RAX, RAX);
  uint32_t exit = (uint32_t)b->len;
  mov_mr(b, 1, M(ST, OFF_TICK), TICK);
  op_m(b, 0, 0, 0x8F, 1, 0, M(ST, OFF_EXIT)); /* pop [s->exec.native_exit] */
  for (int i = 5; i >= 0; i--) {
    if (saved[i] >= 8) jit_u8(b, 0x41);
    jit_u8(b, (uint8_t)(0x58 + (saved[i] & 7)));
  }
  jit_u8(b, 0xC3);

  /* trap exit: eax holds the trap */
  st->trap_exit = (uint32_t)b->len;
  mov_rm(b, 1, RSP, M(ST, OFF_EXIT));
  jit_target_patch(b, jmp32(b), exit);

  /* the poll of a spent interruption point (called: rsp is 8 off alignment here); it keeps the
   * caller-saved registers compiled code caches values in */
  st->poll = (uint32_t)b->len;
  static const int kept[] = {RSI, RDI, R8, R9, R10, R11};
  for (int i = 0; i < 6; i++) {
    if (kept[i] >= 8) jit_u8(b, 0x41);
    jit_u8(b, (uint8_t)(0x50 + (kept[i] & 7)));
  }
  alu_ri(b, 1, ALU_SUB, RSP, 16 * 14 + 8); /* xmm2..xmm15 whole (v128 locals live there too), alignment */
  for (int x = 2; x < 16; x++)
    sse_m(b, 0xF3, 0, 0x7F, x, M(RSP, 16 * (x - 2))); /* movdqu */
  mov_mr(b, 1, M(ST, OFF_TICK), TICK);
  mov_rr(b, 1, RDI, ST);
  call_abs(b, (jit_fn)(void (*)(void))vm_guard_poll);
  mov_rm(b, 1, TICK, M(ST, OFF_TICK));
  for (int x = 2; x < 16; x++)
    sse_m(b, 0xF3, 0, 0x6F, x, M(RSP, 16 * (x - 2)));
  alu_ri(b, 1, ALU_ADD, RSP, 16 * 14 + 8);
  for (int i = 5; i >= 0; i--) {
    if (kept[i] >= 8) jit_u8(b, 0x41);
    jit_u8(b, (uint8_t)(0x58 + (kept[i] & 7)));
  }
  op_r(b, 0, 0, 0x85, 1, RAX, RAX);
  jit_target_patch(b, jcc32(b, CC_NE), st->trap_exit);
  jit_u8(b, 0xC3);

  for (uint32_t t = 0; t < VM_TRAP_LIMIT; t++) {
    st->trap[t] = (uint32_t)b->len;
    mov_ri(b, RAX, t);
    jit_target_patch(b, jmp32(b), st->trap_exit);
  }
}

/* ---- the register cache ---------------------------------------------------------------------- */

/*
 * The hottest locals of a function live in registers as well as in their
 * slots: integers in rsi, rdi, r8, r9, r11, floats in xmm2-xmm14.  Every
 * write goes to both ("write-through"), so memory is always current: reads
 * that prefer memory (moves, helpers, callees) need no synchronisation, and
 * a branch target needs none either.  These registers are caller-saved, so
 * after any call they are loaded again from the slots.  Besides, the result
 * of the last instruction written to an operand-stack slot is kept in r10
 * or xmm15 ("forwarded") until a label or a call, so the next instruction
 * reads it without waiting for the store.
 */
#define NGPR_CACHE 5
#define NXMM_CACHE 13
static const int gpr_cache[NGPR_CACHE] = {RSI, RDI, R8, R9, R11};
#define FWD_GPR R10
#define FWD_XMM 15
#define XMM_TAG 16 /* where[] values: GPR number, or XMM_TAG + xmm number */
#define NONE UINT32_MAX
#define NPARK 4
#define PARK_WINDOW 12 /* instructions gpark_choose looks ahead */

typedef struct x64_state {
  int8_t *where;    /* per local slot: -1, or its register */
  int8_t *where128; /* per local slot: -1, or the xmm register holding the v128 local starting there */
  uint32_t ncached;
  uint32_t cached[NGPR_CACHE + NXMM_CACHE];
  uint32_t fwd; /* the forwarded slot, NONE */
  /* A v128 just written to slots fwd128, fwd128 + 1 is in xmm15 too (then no scalar is forwarded
   * there); only the next instruction may read it from there (avail128), and only when no branch
   * arrives at it. */
  uint32_t fwd128, avail128;
  uint32_t put128; /* the cached v128 local this instruction wrote through its register, NONE */
  /* A v128 operand-stack value left in xmm15 only, its store skipped: the next instruction, a v128 one,
   * is its one reader (v128_put); stored after all if that instruction is not expanded inline. */
  uint32_t dirty128;
  /* v128 operand-stack values "parked" in the xmm registers no local uses (park_first.., npark of them)
   * instead of their slots, until their one reader, while every instruction in between is one that
   * reads v128 slots through v128_reg and leaves those registers alone (park_safe); stored (park_flush)
   * before any other instruction and before a label. */
  uint32_t park_slot[NPARK]; /* NONE: free */
  bool park_dying[NPARK];    /* read by this instruction: free after it */
  int park_first, npark;
  bool park_next;  /* the next instruction may find a parked value */
  bool cur_safe;   /* this instruction is park_safe */
  bool have_parks; /* a value may be parked or a register lent (else the bookkeeping is skipped) */
  bool cached128;  /* some v128 local lives in a register (else v128_refresh has nothing to do) */
  int32_t *depth;  /* loop depth per instruction */
  bool in_loop; /* this instruction is in a loop: integers may be parked (elsewhere it is not worth the time
                 * the look-ahead takes) */
  /* Integer operand-stack values parked the same way in the cache's general registers: one no local has,
   * or one "borrowed" from a cached local that the instructions in between do not name (the register is
   * loaded from the local's slot again before an instruction names it, before a label and before any
   * instruction that is not park_safe). */
  uint32_t glocal[NGPR_CACHE]; /* the local of gpr_cache[i], NONE */
  uint32_t gslot[NGPR_CACHE];  /* the value parked there, NONE */
  bool gborrowed[NGPR_CACHE];  /* not holding its local (its slot is, as always) */
  bool gdying[NGPR_CACHE];
  bool next_v128; /* the next instruction is a v128 one that reads its v128 operands from registers */
  bool next_ibin; /* the next instruction is an integer ALU op IBIN expands (it reads r10 when forwarded) */
  bool
      put_last; /* this instruction's one result is put last, from rax (a lane extract, an IBIN op, a load) */
  /* An integer operand-stack value put last in rax whose one reader is the next instruction, which takes
   * it from rax first thing (takes_rax): not stored at all.  rax_next is set by the producer, rax_in is
   * what this instruction finds (and must consume: ea, IBIN). */
  uint32_t rax_next, rax_in;
  uint32_t next_pc;                       /* the next instruction when no branch arrives at it, else NONE */
  bool fwd_xmm;                           /* in xmm15 (else r10) */
  uint8_t need_const[VM_MAX_CONST_SLOTS]; /* constants read from their slots (the rest are immediates) */
  uint32_t next_src[8]; /* the source slots of the next instruction (forwarding is for them only) */
  uint32_t nnext;
  const vm_op_info *info;
} x64_state;

/* The evidence an operand gives of its slot's class: 'i' integer, 'f' float, 0 none. */
static const uint8_t numop_types[VM_OP_COUNT][3] = {
#define VM_NUMOP(name, fmt, in1, in2, out, size) [VM_OP_##name] = {in1, in2, out},
#include "vm/numops.def"
#undef VM_NUMOP
};
static char type_class(uint8_t t) {
  return t == VM_I32 || t == VM_I64 ? 'i' : t == VM_F32 || t == VM_F64 ? 'f' : 0;
}
/* Is operand word i (from 1) of a v128 instruction a v128 (else a scalar or an immediate)? */
static bool v128_operand(vm_op op, uint32_t i) {
  switch (op) {
  case VM_OP_V128_CONST:
  case VM_OP_V128_LOAD:
  case VM_OP_V128_GLOBAL_GET:
  case VM_OP_V128_GLOBAL_SET: return i == 1;
  case VM_OP_V128_UN:
  case VM_OP_V128_SHIFT:
  case VM_OP_V128_REPLACE:
  case VM_OP_V128_SHUFFLE: return i <= 2 || (op == VM_OP_V128_SHUFFLE && i == 3);
  case VM_OP_V128_BIN: return i <= 3;
  case VM_OP_V128_BITSELECT:
  case VM_OP_V128_TER: return i <= 4;
  case VM_OP_V128_SELECT: return i <= 3;
  case VM_OP_V128_TEST:
  case VM_OP_V128_EXTRACT:
  case VM_OP_V128_STORE: return i == 2;
  case VM_OP_V128_LOAD_LANE: return i == 1 || i == 3;
  case VM_OP_V128_STORE_LANE: return i == 2;
  default: return false;
  }
}
static char operand_class(vm_op op, vm_format f, uint32_t i /* operand word, from 1 */) {
  if (vm_op_is_v128(op)) return v128_operand(op, i) ? 'v' : 0;
  const uint8_t *t = numop_types[op];
  if (t[0] || t[2]) {
    switch (f) {
    case FMT_DS:
    case FMT_DSS: return type_class(i == 1 ? t[2] : i == 2 ? t[0] : t[1]);
    case FMT_LOAD: return type_class(i == 1 ? t[2] : t[0]);
    case FMT_STORE: return type_class(i == 1 ? t[0] : t[1]);
    default: return 0;
    }
  }
  if (op >= VM_OP_F_ADD_ADD && op < VM_OP_FD_ADD_ADD) return 'i';
  if (op >= VM_OP_FD_ADD_ADD && op < VM_OP_COUNT) return 'f';
  switch (op) {
  case VM_OP_BR_IF:
  case VM_OP_BR_UNLESS:
  case VM_OP_BR_TABLE:
  case VM_OP_ADD2:
  case VM_OP_ILD_ADD:
  case VM_OP_ILX_ADD: return 'i';
  case VM_OP_SELECT:
  case VM_OP_CALL_INDIRECT: return i == 4 ? 'i' : 0;
  case VM_OP_FLD_ADD:
  case VM_OP_FLD_SUB:
  case VM_OP_FLD_MUL:
  case VM_OP_FLD_DIV:
  case VM_OP_FLDR_SUB:
  case VM_OP_FLDR_DIV:
  case VM_OP_FLX_ADD:
  case VM_OP_FLX_SUB:
  case VM_OP_FLX_MUL:
  case VM_OP_FLX_DIV:
  case VM_OP_FLXR_SUB:
  case VM_OP_FLXR_DIV: return i <= 2 ? 'f' : 'i';
  default: break;
  }
  if ((op >= VM_OP_BR_I32_EQ && op <= VM_OP_BR_I32_GE_U) ||
      (op >= VM_OP_ADD_BR_IF && op <= VM_OP_SUB_BR_I32_GE_U))
    return 'i';
  if (f == FMT_LOADX || f == FMT_LOADXS) return i == 1 ? 0 : 'i';
  if (f == FMT_STOREX) return i <= 2 ? 'i' : 0;
  if (f == FMT_STOREXS) return i <= 3 ? 'i' : 0;
  return 0;
}

/* What the translation asks of each op, worked out once (the switches are long). */
enum {
  T_IBIN = 1,     /* is_ibin */
  T_COMMUTES = 2, /* an IBIN op whose operands may be swapped */
  T_PUT_LAST =
      4,       /* its one integer result is put last, from rax: an IBIN op, a lane extract, an integer load */
  T_SAFE = 8,  /* park_safe_op */
  T_LOAD = 16, /* a load or store of the plain address form (ea kind 0): FMT_LOAD */
  T_STORE = 32 /* FMT_STORE */
};
static uint8_t op_traits[VM_OP_COUNT];
static pthread_once_t op_traits_once = PTHREAD_ONCE_INIT;
static void init_op_traits(void);

bool jit_target_begin(jit_func *fn) {
  pthread_once(&op_traits_once, init_op_traits);
  const vm_code *c = fn->code;
  x64_state *st = calloc(1, sizeof *st);
  uint32_t n = c->nlocals;
  int8_t *where = malloc(n ? n : 1), *where128 = malloc(n ? n : 1);
  uint32_t *score = calloc(n ? n : 1, sizeof *score);
  uint8_t *cls = calloc(n ? n : 1, 1); /* 'i', 'f', 'x' (both: never cached), 0 */
  int32_t *depth = calloc((size_t)c->ncode + 1, sizeof *depth);
  uint32_t *cand = malloc((n ? n : 1) * sizeof *cand);
  bool ok = st && where && where128 && score && cls && depth && cand;
  if (ok) {
    memset(where, -1, n ? n : 1);
    memset(where128, -1, n ? n : 1);
    const vm_op_info *info = vm_op_infos();
    /* loop depth per instruction, from the back edges */
    bool loops = false;
    for (uint32_t pc = 0; pc < c->ncode;) {
      const vm_word *w = c->code + pc;
      const vm_op_info *in = &info[w[0]];
      if (!in->words) {
        pc += 4 + w[2];
        continue;
      }
      for (uint32_t i = 1, m = in->tmask; m; i++, m >>= 1)
        if ((m & 1) && w[i] <= pc) {
          depth[w[i]]++;
          depth[pc + in->words]--; /* (deltas at instruction starts only: the sum below visits those) */
          loops = true;
        }
      pc += in->words;
    }
    for (uint32_t pc = 0, sum = 0; loops && pc < c->ncode;) {
      sum += (uint32_t)depth[pc];
      depth[pc] = (int32_t)sum;
      pc += info[c->code[pc]].words ? info[c->code[pc]].words : 4 + c->code[pc + 2];
    }
    /* uses of each local, weighted by loop depth, and their classes */
    for (uint32_t pc = 0; pc < c->ncode;) {
      const vm_word *w = c->code + pc;
      vm_op op = (vm_op)w[0];
      const vm_op_info *in = &info[op];
      uint32_t weight = 1u << (depth[pc] < 4 ? 3 * depth[pc] : 12);
      vm_format f = vm_op_format(op);
      for (uint32_t i = 1, m = in->dmask | in->smask; m; i++, m >>= 1) {
        if (!(m & 1) || w[i] >= n) continue;
        uint32_t sl = w[i];
        char k = operand_class(op, f, i);
        if (k && cls[sl] != k) cls[sl] = cls[sl] ? 'x' : (uint8_t)k;
        score[sl] += weight;
      }
      pc += in->words ? in->words : 4 + w[2];
    }
    /* the best candidates of each class (a local used fewer than 8 weighted times is not worth
     * reloading after every call) */
    uint32_t ngpr = 0, nxmm = 0, ncand = 0;
    for (uint32_t sl = 0; sl < n; sl++)
      if (score[sl] > 8 && (cls[sl] == 'i' || cls[sl] == 'f' || (cls[sl] == 'v' && sl + 1 < n)))
        cand[ncand++] = sl;
    for (uint32_t r = 0; r < NGPR_CACHE + NXMM_CACHE; r++) {
      uint32_t best = NONE, best_score = 8;
      for (uint32_t ci = 0; ci < ncand; ci++) {
        uint32_t sl = cand[ci];
        if (score[sl] <= best_score || where[sl] >= 0) continue;
        if ((cls[sl] == 'i' && ngpr < NGPR_CACHE) || (cls[sl] != 'i' && nxmm < NXMM_CACHE)) {
          best = sl;
          best_score = score[sl];
        }
      }
      if (best == NONE) break;
      if (cls[best] == 'v')
        where128[best] = (int8_t)(2 + nxmm++), st->cached128 = true;
      else
        where[best] = (int8_t)(cls[best] == 'i' ? gpr_cache[ngpr++] : XMM_TAG + 2 + (int)nxmm++);
      st->cached[st->ncached++] = best;
      score[best] = 0;
    }
    st->where = where;
    st->where128 = where128;
    st->fwd = NONE;
    st->fwd128 = st->avail128 = st->dirty128 = NONE;
    for (int i = 0; i < NGPR_CACHE; i++) {
      st->glocal[i] = st->gslot[i] = NONE;
      st->gborrowed[i] = st->gdying[i] = false;
    }
    for (uint32_t sl = 0; sl < n; sl++)
      for (int i = 0; i < NGPR_CACHE; i++)
        if (where[sl] == gpr_cache[i]) st->glocal[i] = sl;
    st->park_first = 2 + (int)nxmm;
    st->npark = 15 - st->park_first < NPARK ? 15 - st->park_first : NPARK;
    for (int i = 0; i < NPARK; i++)
      st->park_slot[i] = NONE;
    st->rax_next = st->rax_in = st->next_pc = NONE;
    st->info = info;
  }
  free(score);
  free(cand);
  free(cls);
  if (ok)
    st->depth = depth; /* (kept: integers are parked in loops only) */
  else
    free(depth);
  if (!ok) {
    free(where);
    free(where128);
    free(st);
    return false;
  }
  fn->state = st;
  return true;
}

void jit_target_end(jit_func *fn) {
  x64_state *st = fn->state;
  if (st) free(st->where), free(st->where128), free(st->depth);
  free(st);
  fn->state = NULL;
}

static int where_of(jit_func *fn, uint32_t s) {
  const x64_state *st = fn->state;
  return s < fn->code->nlocals ? st->where[s] : -1;
}
/* The GPR holding slot s, or -1. */
static int gpr_of(jit_func *fn, uint32_t s) {
  const x64_state *st = fn->state;
  int r = where_of(fn, s);
  if (r >= 0 && r < XMM_TAG) return r;
  if (st->have_parks && s >= fn->code->nlocals)
    for (int i = 0; i < NGPR_CACHE; i++)
      if (st->gslot[i] == s) return gpr_cache[i];
  if (st->fwd == s && !st->fwd_xmm) return FWD_GPR;
  return -1;
}
/* The XMM register holding slot s, or -1. */
static int xmm_of(jit_func *fn, uint32_t s) {
  const x64_state *st = fn->state;
  int r = where_of(fn, s);
  if (r >= XMM_TAG) return r - XMM_TAG;
  if (st->fwd == s && st->fwd_xmm) return FWD_XMM;
  return -1;
}
/* Slot s's value when it is one of the function's constants. */
static bool const_of(jit_func *fn, uint32_t s, uint64_t *v) {
  const vm_code *c = fn->code;
  if (s < c->const_base || s - c->const_base >= c->nconsts) return false;
  uint32_t k = s - c->const_base;
  *v = k < c->nconsts32 ? c->consts32[k] : c->consts64[k - c->nconsts32];
  return true;
}
/* The constant as an immediate of a w-bit operation, when it can be one. */
static bool imm_of(jit_func *fn, int w, uint32_t s, int32_t *imm) {
  uint64_t v;
  if (!const_of(fn, s, &v)) return false;
  if (w && !fits_i32((int64_t)v)) return false;
  *imm = (int32_t)(uint32_t)v;
  return true;
}

/* Slot s as a memory operand that is read: a constant read this way is copied into its slot on
 * entry (the others are only ever immediates). */
static mem_t RSLOT(jit_func *fn, uint32_t s) {
  const vm_code *c = fn->code;
  if (s >= c->const_base && s - c->const_base < c->nconsts)
    ((x64_state *)fn->state)->need_const[s - c->const_base] = 1;
  return SLOT(s);
}

/* Every cached local back into its register (after a call: they are caller-saved). */
static void reload_cache(jit_func *fn) {
  x64_state *st = fn->state;
  for (uint32_t i = 0; i < st->ncached; i++) {
    uint32_t s = st->cached[i];
    int r = st->where[s];
    if (st->where128[s] >= 0)
      sse_m(fn->b, 0xF3, 0, 0x6F, st->where128[s], SLOT(s)); /* movdqu */
    else if (r >= XMM_TAG)
      sse_m(fn->b, 0xF2, 0, 0x10, r - XMM_TAG, SLOT(s));
    else
      mov_rm(fn->b, 1, r, SLOT(s));
  }
  st->fwd = NONE;
}

/* r = slot s as an integer (w: 64 bits; else zero-extended 32). */
static void iload(jit_func *fn, int w, int r, uint32_t s) {
  int c = gpr_of(fn, s);
  uint64_t v;
  if (c >= 0) {
    if (c != r || !w) mov_rr(fn->b, w, r, c);
  } else if (const_of(fn, s, &v)) {
    mov_ri(fn->b, r, w ? v : (uint32_t)v);
  } else {
    mov_rm(fn->b, w, r, SLOT(s));
  }
}
/* r = r ALU slot s */
static void ialu(jit_func *fn, int w, int alu, int r, uint32_t s) {
  int c = gpr_of(fn, s);
  int32_t imm;
  if (c >= 0)
    alu_rr(fn->b, w, alu, r, c);
  else if (imm_of(fn, w, s, &imm))
    alu_ri(fn->b, w, alu, r, imm);
  else
    alu_rm(fn->b, w, alu, r, RSLOT(fn, s));
}
/* r = r * slot s */
static void imul(jit_func *fn, int w, int r, uint32_t s) {
  int c = gpr_of(fn, s);
  int32_t imm;
  if (c >= 0) {
    op_r(fn->b, 0, w, 0x0FAF, 2, r, c);
  } else if (imm_of(fn, w, s, &imm)) {
    op_r(fn->b, 0, w, 0x69, 1, r, r);
    jit_u32(fn->b, (uint32_t)imm);
  } else {
    op_m(fn->b, 0, w, 0x0FAF, 2, r, RSLOT(fn, s));
  }
}
/* flags from slot s compared with zero */
static void itest(jit_func *fn, int w, uint32_t s) {
  int c = gpr_of(fn, s);
  if (c >= 0)
    op_r(fn->b, 0, w, 0x85, 1, c, c);
  else
    alu_mi(fn->b, w, ALU_CMP, RSLOT(fn, s), 0);
}
static bool next_reads(const x64_state *st, uint32_t s) {
  for (uint32_t i = 0; i < st->nnext; i++)
    if (st->next_src[i] == s) return true;
  return false;
}

/* slot d = r (r holds a zero-extended 32-bit or a 64-bit value); r is not changed.  An operand-stack
 * value whose one reader is the next instruction, an integer ALU op reading it from r10, is not stored
 * when this instruction puts it last (put_last)
 * (operand-stack values are read once). */
static bool takes_rax(const vm_word *w, uint32_t s);
static bool park_safe(vm_op op);

/* How the instruction at w (info in) uses the parked value in slot p (wide: a v128, slots p and p + 1):
 * 1 reads it (it dies with the instruction), 2 writes over it first (it was dead already: operand-stack
 * values are read once), 0 neither. */
static int park_use(const vm_op_info *in, const vm_word *w, uint32_t p, bool wide) {
  for (uint32_t k = 1, m = in->smask; m; k++, m >>= 1)
    if ((m & 1) && w[k] == p) return 1;
  for (uint32_t k = 1, m = in->dmask; m; k++, m >>= 1)
    if ((m & 1) && (w[k] == p || w[k] + 1 == p || (wide && w[k] == p + 1))) return 2;
  return 0;
}

/* gpr_cache[k] back to its local: its parked value (if any) into its slot, the local loaded again. */
static OUT_OF_LINE void gpark_restore(jit_func *fn, int k) {
  x64_state *st = fn->state;
  if (!st->gborrowed[k]) return;
  if (st->gslot[k] != NONE) mov_mr(fn->b, 1, SLOT(st->gslot[k]), gpr_cache[k]);
  if (st->glocal[k] != NONE) mov_rm(fn->b, 1, gpr_cache[k], SLOT(st->glocal[k]));
  st->gslot[k] = NONE;
  st->gborrowed[k] = st->gdying[k] = false;
}
static void gpark_flush(jit_func *fn) {
  const x64_state *st = fn->state;
  for (int k = 0; st->have_parks && k < NGPR_CACHE; k++)
    gpark_restore(fn, k);
}
/* A general register to park slot d's integer in, or -1.  Only when an instruction reads d before parked
 * values are stored again (in the window from the next instruction on, up to a label or one that is not
 * park_safe, PARK_WINDOW at most): a register already lent, one no local has, or one whose local the window
 * does not name (lent longer than the value needs it: the next value may take it). */
static OUT_OF_LINE int gpark_choose(jit_func *fn, uint32_t d) {
  const x64_state *st = fn->state;
  const vm_code *c = fn->code;
  unsigned named = 0; /* bit k: glocal[k] named in the window */
  bool found = false;
  int pick = -1;
  uint32_t pc = st->next_pc;
  for (int n = 0; n < PARK_WINDOW && pc != NONE && pc < c->ncode && (n == 0 || !fn->is_label[pc]); n++) {
    const vm_word *w = c->code + pc;
    const vm_op_info *in = &st->info[w[0]];
    if (!in->words || !park_safe((vm_op)w[0])) break;
    if (!found) {
      int use = park_use(in, w, d, false);
      if (use == 2) return -1; /* written first: never read */
      found = use == 1;
      if (found) { /* a register already lent or one no local has: the rest of the window is not needed */
        for (int k = 0; k < NGPR_CACHE && pick < 0; k++)
          if (st->gborrowed[k] && (st->gslot[k] == NONE || st->gdying[k])) pick = k;
        for (int k = 0; k < NGPR_CACHE && pick < 0; k++)
          if (!st->gborrowed[k] && st->glocal[k] == NONE) pick = k;
        if (pick >= 0) return pick;
      }
    }
    for (uint32_t i = 1, m = in->smask | in->dmask; m; i++, m >>= 1)
      for (int k = 0; (m & 1) && w[i] < c->nlocals && k < NGPR_CACHE; k++)
        if (w[i] == st->glocal[k]) named |= 1u << k;
    pc += in->words;
  }
  if (!found) return -1;
  for (int k = 0; k < NGPR_CACHE; k++)
    if (!st->gborrowed[k] && !(named >> k & 1)) return k;
  return -1;
}

static void iput(jit_func *fn, uint32_t d, int r) {
  x64_state *st = fn->state;
  int c = where_of(fn, d);
  if (c < 0 && r == RAX && st->put_last && st->next_pc != NONE &&
      d >= fn->code->const_base + fn->code->nconsts && takes_rax(fn->code->code + st->next_pc, d)) {
    st->rax_next = d;
    if (st->fwd == d) st->fwd = NONE;
    return;
  }
  if (c < 0 && st->in_loop && st->cur_safe && st->park_next &&
      d >= fn->code->const_base + fn->code->nconsts) {
    int k = gpark_choose(fn, d);
    if (k >= 0) {
      int g = gpr_cache[k];
      for (int i = 0; i < NGPR_CACHE; i++)
        if (st->gslot[i] == d) st->gslot[i] = NONE;
      if (g != r) mov_rr(fn->b, 1, g, r);
      st->gslot[k] = d;
      st->gborrowed[k] = true;
      st->gdying[k] = false;
      st->have_parks = true;
      if (st->fwd == d) st->fwd = NONE;
      return;
    }
  }
  if (!(c < 0 && st->put_last && st->next_ibin && d >= fn->code->const_base + fn->code->nconsts &&
        next_reads(st, d)))
    mov_mr(fn->b, 1, SLOT(d), r);
  if (c >= XMM_TAG) {
    sse_m(fn->b, 0xF2, 0, 0x10, c - XMM_TAG, SLOT(d));
  } else if (c >= 0) {
    if (c != r) mov_rr(fn->b, 1, c, r);
  } else {
    if (!next_reads(st, d)) {
      if (st->fwd == d) st->fwd = NONE;
      return;
    }
    if (r != FWD_GPR) mov_rr(fn->b, 1, FWD_GPR, r);
    st->fwd = d;
    st->fwd_xmm = false;
    return;
  }
  if (st->fwd == d) st->fwd = NONE;
}
/* x = slot s as a float */
static void fload(jit_func *fn, bool dbl, int x, uint32_t s) {
  int c = xmm_of(fn, s);
  if (c >= 0) {
    if (c != x) sse_r(fn->b, 0, 0, 0x28, x, c); /* movaps */
  } else {
    sse_m(fn->b, dbl ? 0xF2 : 0xF3, 0, 0x10, x, RSLOT(fn, s));
  }
}
/* x = x OP slot s (SSE arithmetic opcode) */
static void fop(jit_func *fn, bool dbl, uint8_t opc, int x, uint32_t s) {
  int c = xmm_of(fn, s);
  if (c >= 0)
    sse_r(fn->b, dbl ? 0xF2 : 0xF3, 0, opc, x, c);
  else
    sse_m(fn->b, dbl ? 0xF2 : 0xF3, 0, opc, x, RSLOT(fn, s));
}
/* ucomisd / ucomiss x, slot s */
static void fcmp_slot(jit_func *fn, bool dbl, int x, uint32_t s) {
  int c = xmm_of(fn, s);
  if (c >= 0)
    op_r(fn->b, dbl ? 0x66 : 0, 0, 0x0F2E, 2, x, c);
  else
    op_m(fn->b, dbl ? 0x66 : 0, 0, 0x0F2E, 2, x, RSLOT(fn, s));
}
/* slot d = x (f32: the slot's upper half zero); uses rax for f32 */
static void fput(jit_func *fn, bool dbl, uint32_t d, int x) {
  x64_state *st = fn->state;
  if (dbl) {
    sse_m(fn->b, 0xF2, 0, 0x11, x, SLOT(d));
  } else {
    op_r(fn->b, 0x66, 0, 0x0F7E, 2, x, RAX); /* movd eax, x */
    mov_mr(fn->b, 1, SLOT(d), RAX);
  }
  int c = where_of(fn, d);
  if (c >= XMM_TAG) {
    if (c - XMM_TAG != x) sse_r(fn->b, 0, 0, 0x28, c - XMM_TAG, x);
  } else if (c >= 0) {
    mov_rm(fn->b, 1, c, SLOT(d));
  } else {
    if (!next_reads(st, d)) {
      if (st->fwd == d) st->fwd = NONE;
      return;
    }
    if (x != FWD_XMM) sse_r(fn->b, 0, 0, 0x28, FWD_XMM, x);
    st->fwd = d;
    st->fwd_xmm = true;
    return;
  }
  if (st->fwd == d) st->fwd = NONE;
}
/* slot d = slot s, whole 64 bits, whatever the class (through memory for floats: a register's bits
 * above an f32 are not the slot's) */
static void move_slot(jit_func *fn, uint32_t d, uint32_t s) {
  uint64_t v;
  if (gpr_of(fn, s) >= 0)
    iload(fn, 1, RAX, s);
  else if (const_of(fn, s, &v))
    mov_ri(fn->b, RAX, v);
  else
    mov_rm(fn->b, 1, RAX, SLOT(s));
  iput(fn, d, RAX);
}

/* ---- helpers for the translation ------------------------------------------ */

static void trap_if(jit_func *fn, int cc, vm_trap t) {
  jit_target_patch(fn->b, jcc32(fn->b, cc), fn->stubs->trap[t]);
}
static void trap_exit_if(jit_func *fn, int cc) {
  jit_target_patch(fn->b, jcc32(fn->b, cc), fn->stubs->trap_exit);
}
/* After anything that may have run other code: memory 0's size, and the cache. */
static void after_call(jit_func *fn, bool mem) {
  if (mem && fn->m->nmemories) {
    mov_rm(fn->b, 1, RAX, M(INST, OFF_I_MEMORY));
    mov_rm(fn->b, 1, MS, M(RAX, OFF_M_SIZE));
  }
  reload_cache(fn);
}
static void label(jit_func *fn, uint32_t at, uint32_t pc) {
  jit_fixes_add(fn->labels, at, pc);
}
/* Charge a back edge of `cost` units and go to `target` (polling when the slice is spent). */
static void backedge(jit_func *fn, uint32_t target, uint32_t cost) {
  jit_buf *b = fn->b;
  if (cost > INT32_MAX) cost = INT32_MAX;
  alu_ri(b, 1, ALU_SUB, TICK, (int32_t)cost);
  label(fn, jcc32(b, CC_NS), target);
  jit_target_patch(b, call32(b), fn->stubs->poll);
  label(fn, jmp32(b), target);
}
/* Jump to internal instruction `target` from the one at `from` when `cc` holds (cc < 0: always). */
static void branch(jit_func *fn, int cc, uint32_t target, uint32_t from) {
  jit_buf *b = fn->b;
  if (target > from) {
    label(fn, cc < 0 ? jmp32(b) : jcc32(b, cc), target);
    return;
  }
  uint32_t skip = 0;
  if (cc >= 0) skip = jcc32(b, cc ^ 1);
  backedge(fn, target, from - target + 1);
  if (cc >= 0) patch_here(b, skip);
}

/* Integer binary operators: rax = rax OP slot src. */
typedef enum {
  BIN_ADD,
  BIN_SUB,
  BIN_MUL,
  BIN_AND,
  BIN_OR,
  BIN_XOR,
  BIN_SHL,
  BIN_SHR_S,
  BIN_SHR_U,
  BIN_ROTL,
  BIN_ROTR
} bin_kind;
static void bin_acc(jit_func *fn, int w, bin_kind k, uint32_t src) {
  static const int alu[] = {
      [BIN_ADD] = ALU_ADD, [BIN_SUB] = ALU_SUB, [BIN_AND] = ALU_AND, [BIN_OR] = ALU_OR, [BIN_XOR] = ALU_XOR};
  static const int sh[] = {[BIN_SHL] = SH_SHL,
                           [BIN_SHR_S] = SH_SAR,
                           [BIN_SHR_U] = SH_SHR,
                           [BIN_ROTL] = SH_ROL,
                           [BIN_ROTR] = SH_ROR};
  int32_t imm;
  switch (k) {
  case BIN_ADD:
  case BIN_SUB:
  case BIN_AND:
  case BIN_OR:
  case BIN_XOR: ialu(fn, w, alu[k], RAX, src); break;
  case BIN_MUL: imul(fn, w, RAX, src); break;
  default:
    if (imm_of(fn, 0, src, &imm)) {
      op_r(fn->b, 0, w, 0xC1, 1, sh[k], RAX);
      jit_u8(fn->b, (uint8_t)(imm & (w ? 63 : 31)));
    } else {
      iload(fn, 0, RCX, src);
      op_r(fn->b, 0, w, 0xD3, 1, sh[k], RAX);
    }
    break;
  }
}

static void cmp_set(jit_func *fn, int w, int cc, uint32_t d, uint32_t x, uint32_t y) {
  iload(fn, w, RAX, x);
  ialu(fn, w, ALU_CMP, RAX, y);
  setcc(fn->b, cc, RAX);
  movzx_r8(fn->b, RAX, RAX);
  iput(fn, d, RAX);
}

/* Division and remainder with the spec's traps. */
static void divrem(jit_func *fn, int w, bool sign, bool rem, uint32_t d, uint32_t x, uint32_t y) {
  jit_buf *b = fn->b;
  iload(fn, w, RCX, y);
  op_r(b, 0, w, 0x85, 1, RCX, RCX);
  trap_if(fn, CC_E, VM_TRAP_DIV_ZERO);
  iload(fn, w, RAX, x);
  uint32_t done = 0;
  bool has_done = false;
  if (sign) {
    alu_ri(b, w, ALU_CMP, RCX, -1);
    uint32_t normal = jcc32(b, CC_NE);
    if (rem) {
      alu_rr(b, 0, ALU_XOR, RDX, RDX); /* x % -1 = 0 (x86 would fault on INT_MIN) */
      done = jmp32(b);
      has_done = true;
    } else {
      mov_ri(b, RDX, w ? 0x8000000000000000u : 0x80000000u);
      alu_rr(b, w, ALU_CMP, RAX, RDX);
      trap_if(fn, CC_E, VM_TRAP_INT_OVERFLOW);
    }
    patch_here(b, normal);
    if (w) jit_u8(b, 0x48);
    jit_u8(b, 0x99);                /* cdq / cqo */
    op_r(b, 0, w, 0xF7, 1, 7, RCX); /* idiv */
  } else {
    alu_rr(b, 0, ALU_XOR, RDX, RDX);
    op_r(b, 0, w, 0xF7, 1, 6, RCX); /* div */
  }
  if (has_done) patch_here(b, done);
  iput(fn, d, rem ? RDX : RAX);
}

/* Effective address into rax and bounds check of n bytes; returns the operand [r12 + rax + disp].
 * kind 0: (u32)a + off; 1: (u32)(a + b) + off; 2: (u32)(a + (b << k)) + off. */
static mem_t ea(jit_func *fn, int kind, uint32_t a, uint32_t bb, uint32_t k, uint32_t off, int n) {
  jit_buf *b = fn->b;
  x64_state *st = fn->state;
  int x = RAX; /* the index */
  if (kind == 2) {
    iload(fn, 0, RCX, k);
    iload(fn, 0, RDX, bb);
    op_r(b, 0, 0, 0xD3, 1, SH_SHL, RDX);
    iload(fn, 0, RAX, a);
    alu_rr(b, 0, ALU_ADD, RAX, RDX);
  } else if (a == st->rax_in) {
    st->rax_in = NONE; /* already there */
  } else {
    /* an operand-stack address a register holds (parked or forwarded: put there zero-extended by iput)
     * serves as the index itself (not a local's register: a slot an embedder or host function wrote may
     * hold bits above an i32) */
    int g = kind == 0 && a >= fn->code->nlocals && off <= 0x7FFFFFF0u ? gpr_of(fn, a) : -1;
    if (g >= 0)
      x = g;
    else
      iload(fn, 0, RAX, a);
  }
  if (kind == 1) ialu(fn, 0, ALU_ADD, RAX, bb);
  int32_t disp = 0;
  if (off <= 0x7FFFFFF0u) {
    disp = (int32_t)off;
  } else {
    mov_ri(b, RCX, off);
    alu_rr(b, 1, ALU_ADD, RAX, RCX);
  }
  if (disp == 0 && n == 1) { /* in bounds when x < size */
    alu_rr(b, 1, ALU_CMP, x, MS);
    trap_if(fn, CC_AE, VM_TRAP_MEMORY_OOB);
  } else {
    lea(b, RCX, M(x, disp + n));
    alu_rr(b, 1, ALU_CMP, RCX, MS);
    trap_if(fn, CC_A, VM_TRAP_MEMORY_OOB);
  }
  return MX(MB, x, 0, disp);
}

/* Loads and stores: size, and how (the load's opcode and width; floats through SSE). */
typedef struct access {
  uint8_t bytes;
  bool store;
  uint8_t w;    /* REX.W for the load's opcode */
  uint32_t opc; /* load: opcode into eax/rax */
  uint8_t oplen;
  bool flt; /* F32/F64: loaded into and stored from xmm0 */
} access;

static bool access_of(vm_op op, access *a) {
  switch (op) {
#define LD(o, n, W, OPC, LEN, F)                                                                             \
  case VM_OP_##o:                                                                                            \
  case VM_OP_##o##_X:                                                                                        \
  case VM_OP_##o##_XS:                                                                                       \
    *a = (access){n, false, W, OPC, LEN, F};                                                                 \
    return true;
#define STR(o, n, F)                                                                                         \
  case VM_OP_##o:                                                                                            \
  case VM_OP_##o##_X:                                                                                        \
  case VM_OP_##o##_XS: *a = (access){n, true, 0, 0, 0, F}; return true;
    LD(I32_LOAD, 4, 0, 0x8B, 1, false)
    LD(F32_LOAD, 4, 0, 0x8B, 1, true)
    LD(I64_LOAD, 8, 1, 0x8B, 1, false)
    LD(F64_LOAD, 8, 1, 0x8B, 1, true)
    LD(I32_LOAD8_S, 1, 0, 0x0FBE, 2, false)
    LD(I32_LOAD8_U, 1, 0, 0x0FB6, 2, false)
    LD(I32_LOAD16_S, 2, 0, 0x0FBF, 2, false)
    LD(I32_LOAD16_U, 2, 0, 0x0FB7, 2, false)
    LD(I64_LOAD8_S, 1, 1, 0x0FBE, 2, false)
    LD(I64_LOAD8_U, 1, 0, 0x0FB6, 2, false)
    LD(I64_LOAD16_S, 2, 1, 0x0FBF, 2, false)
    LD(I64_LOAD16_U, 2, 0, 0x0FB7, 2, false)
    LD(I64_LOAD32_S, 4, 1, 0x63, 1, false)
    LD(I64_LOAD32_U, 4, 0, 0x8B, 1, false)
    STR(I32_STORE, 4, false)
    STR(F32_STORE, 4, true)
    STR(I64_STORE, 8, false)
    STR(F64_STORE, 8, true)
    STR(I32_STORE8, 1, false)
    STR(I32_STORE16, 2, false)
    STR(I64_STORE8, 1, false)
    STR(I64_STORE16, 2, false)
    STR(I64_STORE32, 4, false)
#undef LD
#undef STR
  default: return false;
  }
}

static void store_value(jit_buf *b, int bytes, mem_t m, int r) {
  switch (bytes) {
  case 1: op_m(b, 0, 0, 0x88, 1, r, m); break;
  case 2: op_m(b, 0x66, 0, 0x89, 1, r, m); break;
  case 4: op_m(b, 0, 0, 0x89, 1, r, m); break;
  default: op_m(b, 0, 1, 0x89, 1, r, m); break;
  }
}

/* SSE arithmetic opcodes (with F2: f64, F3: f32), by operator name. */
enum { FOP_ADD = 0x58, FOP_MUL = 0x59, FOP_SUB = 0x5C, FOP_DIV = 0x5E };

/* Float comparisons: d = a CMP b (false on NaN except NE). */
typedef enum { FC_EQ, FC_NE, FC_LT, FC_GT, FC_LE, FC_GE } fcmp_kind;
static void fcmp(jit_func *fn, bool dbl, fcmp_kind k, uint32_t d, uint32_t x, uint32_t y) {
  jit_buf *b = fn->b;
  bool swap = k == FC_LT || k == FC_LE;
  fload(fn, dbl, XMM0, swap ? y : x);
  fcmp_slot(fn, dbl, XMM0, swap ? x : y);
  switch (k) {
  case FC_EQ:
    setcc(b, CC_E, RAX);
    setcc(b, CC_NP, RCX);
    op_r(b, 0, 0, 0x20, 1, RCX, RAX); /* and al, cl */
    break;
  case FC_NE:
    setcc(b, CC_NE, RAX);
    setcc(b, CC_P, RCX);
    op_r(b, 0, 0, 0x08, 1, RCX, RAX); /* or al, cl */
    break;
  case FC_LT:
  case FC_GT: setcc(b, CC_A, RAX); break;
  default: setcc(b, CC_AE, RAX); break;
  }
  movzx_r8(b, RAX, RAX);
  iput(fn, d, RAX);
}

/* A call of a numeric helper (helpers.h). */
static void numeric_helper(jit_func *fn, jit_helper h, vm_format f, const vm_word *w) {
  jit_buf *b = fn->b;
  mov_rm(b, 1, RDI, RSLOT(fn, w[2]));
  if (f == FMT_DSS) mov_rm(b, 1, RSI, RSLOT(fn, w[3]));
  if (h.kind == JIT_HELPER_TRAP) {
    lea(b, RDX, SLOT(w[1]));
    call_abs(b, h.fn);
    op_r(b, 0, 0, 0x85, 1, RAX, RAX);
    trap_exit_if(fn, CC_NE);
    after_call(fn, false);
  } else {
    call_abs(b, h.fn);
    after_call(fn, false);
    iput(fn, w[1], RAX);
  }
}

/* ---- the translation ---------------------------------------------------- */

void jit_target_prologue(jit_func *fn, uint32_t body) {
  jit_buf *b = fn->b;
  const vm_code *c = fn->code;
  alu_ri(b, 1, ALU_SUB, RSP, 8); /* align the stack for calls */
  /* native stack, call depth, value stack (exec.h entry) */
  alu_rm(b, 1, ALU_CMP, RSP, M(ST, OFF_LIMIT));
  trap_if(fn, CC_B, VM_TRAP_STACK_EXHAUSTED);
  mov_rm(b, 0, RAX, M(ST, OFF_DEPTH));
  alu_rm(b, 0, ALU_CMP, RAX, M(ST, OFF_MAXDEPTH));
  trap_if(fn, CC_AE, VM_TRAP_STACK_EXHAUSTED);
  alu_ri(b, 0, ALU_ADD, RAX, 1);
  mov_mr(b, 0, M(ST, OFF_DEPTH), RAX);
  lea(b, RAX, SLOT(c->nslots));
  alu_rm(b, 1, ALU_CMP, RAX, M(ST, OFF_STACK_END));
  trap_if(fn, CC_A, VM_TRAP_STACK_EXHAUSTED);
  /* locals zeroed, constants into their slots */
  uint32_t nz = c->nlocals - c->nparams;
  if (nz > 8) {
    lea(b, RDI, SLOT(c->nparams));
    mov_ri(b, RCX, nz);
    alu_rr(b, 0, ALU_XOR, RAX, RAX);
    jit_u8(b, 0xF3);
    jit_u8(b, 0x48);
    jit_u8(b, 0xAB); /* rep stosq */
  } else if (nz) {
    alu_rr(b, 0, ALU_XOR, RAX, RAX);
    for (uint32_t i = c->nparams; i < c->nlocals; i++)
      mov_mr(b, 1, SLOT(i), RAX);
  }
  const x64_state *st = fn->state;
  for (uint32_t k = 0; k < c->nconsts && k < VM_MAX_CONST_SLOTS; k++) {
    if (!st->need_const[k]) continue;
    uint64_t v = k < c->nconsts32 ? c->consts32[k] : c->consts64[k - c->nconsts32];
    mov_mi64(b, SLOT(c->const_base + k), v);
  }
  reload_cache(fn);
  /* the entry's interruption point, then the body */
  op_r(b, 0, 1, 0xFF, 1, 1, TICK); /* dec r15 */
  jit_u8(b, 0x79);                 /* jns +5 */
  jit_u8(b, 5);
  jit_target_patch(b, call32(b), fn->stubs->poll);
  jit_target_patch(b, jmp32(b), body);
}

/* The direct or helper call of CALL [op, f, base]. */
static void call_op(jit_func *fn, uint32_t f, uint32_t base) {
  jit_buf *b = fn->b;
  const vm_module *m = fn->m;
  if (f >= m->nimported_funcs && fn->native[f - m->nimported_funcs]) {
    if (base) alu_ri(b, 1, ALU_ADD, FP, (int32_t)(base * 8));
    jit_fixes_add(fn->calls, call32(b), f - m->nimported_funcs);
    if (base) alu_ri(b, 1, ALU_SUB, FP, (int32_t)(base * 8));
    after_call(fn, false); /* the callee keeps r13 current */
    return;
  }
  mov_mr(b, 1, M(ST, OFF_TICK), TICK);
  mov_rr(b, 1, RDI, ST);
  mov_rr(b, 1, RSI, INST);
  mov_ri(b, RDX, f);
  lea(b, RCX, SLOT(base));
  lea(b, R8, SLOT(fn->code->nslots));
  call_abs(b, (jit_fn)jit_call);
  mov_rm(b, 1, TICK, M(ST, OFF_TICK));
  op_r(b, 0, 0, 0x85, 1, RAX, RAX);
  trap_exit_if(fn, CC_NE);
  after_call(fn, true);
}

#define S(k) RSLOT(fn, w[k]) /* operand word k, read from memory */

/* The instruction run by the C helper jit_op (memory and table instructions, the v128 ones not expanded
 * inline): it reads its operands from the frame and writes its results there. */
static bool call_jit_op(jit_func *fn, vm_op op, const vm_word *w) {
  jit_buf *b = fn->b;
  for (uint32_t i = 1, m = vm_op_infos()[op].smask; m; i++, m >>= 1)
    if (m & 1) (void)RSLOT(fn, w[i]);
  mov_rr(b, 1, RDI, INST);
  mov_rr(b, 1, RSI, FP);
  mov_ri(b, RDX, (uint64_t)(uintptr_t)w);
  mov_ri(b, RCX, (uint64_t)op);
  call_abs(b, (jit_fn)jit_op);
  op_r(b, 0, 0, 0x85, 1, RAX, RAX);
  trap_exit_if(fn, CC_NE);
  after_call(fn, op == VM_OP_MEMORY_GROW || op == VM_OP_MEMX_GROW);
  unsigned k = vm_bulk_count(op);
  if (k) { /* the interruption point of a bulk operation (exec.h): (u32)n >> shift units */
    iload(fn, 0, RAX, w[k]);
    op_r(b, 0, 0, 0xC1, 1, 5, RAX); /* shr eax, VM_BULK_FUEL_SHIFT */
    jit_u8(b, VM_BULK_FUEL_SHIFT);
    alu_rr(b, 1, ALU_SUB, TICK, RAX);
    jit_u8(b, 0x79); /* jns +5 */
    jit_u8(b, 5);
    jit_target_patch(b, call32(b), fn->stubs->poll);
  }
  return true;
}

/* ---- v128 inline -------------------------------------------------------------------------------
 * A v128 lives in two frame slots; the common instructions are a few SSE2 instructions on xmm0/xmm1
 * (each giving exactly the wasm result: integer lanes, bitwise ops, float arithmetic, conversions
 * that round as C does), loading the operands from the frame and storing the result back.  Anything
 * else goes to simd.c through jit_op (the helper case in jit_target_op). */

enum { P66 = 0x66 };

static void movdqu_load(jit_buf *b, int x, mem_t m) {
  sse_m(b, 0xF3, 0, 0x6F, x, m);
}
static void movdqu_store(jit_buf *b, mem_t m, int x) {
  sse_m(b, 0xF3, 0, 0x7F, x, m);
}
/* xmm op: 66 0F op /r with a register operand */
static void sse66(jit_buf *b, uint8_t op, int x, int rm) {
  sse_r(b, P66, 0, op, x, rm);
}

/* Slots d and d + 1 were written in memory: the registers caching them follow, nothing stays forwarded. */
static void v128_wrote(jit_func *fn, uint32_t d) {
  x64_state *st = fn->state;
  for (uint32_t s = d; s < d + 2; s++) {
    int c = where_of(fn, s);
    if (c >= XMM_TAG)
      sse_m(fn->b, 0xF2, 0, 0x10, c - XMM_TAG, SLOT(s));
    else if (c >= 0)
      mov_rm(fn->b, 1, c, SLOT(s));
    if (st->fwd == s) st->fwd = NONE;
  }
}

/* The integer ALU ops IBIN expands: operands through iload/ialu, the one result through iput, last. */
static bool is_ibin(vm_op op) {
  switch (op) {
#define IBIN_OPS(T)                                                                                          \
  case VM_OP_##T##_ADD:                                                                                      \
  case VM_OP_##T##_SUB:                                                                                      \
  case VM_OP_##T##_MUL:                                                                                      \
  case VM_OP_##T##_AND:                                                                                      \
  case VM_OP_##T##_OR:                                                                                       \
  case VM_OP_##T##_XOR:                                                                                      \
  case VM_OP_##T##_SHL:                                                                                      \
  case VM_OP_##T##_SHR_S:                                                                                    \
  case VM_OP_##T##_SHR_U:                                                                                    \
  case VM_OP_##T##_ROTL:                                                                                     \
  case VM_OP_##T##_ROTR:
    IBIN_OPS(I32)
    IBIN_OPS(I64)
#undef IBIN_OPS
    return true;
  default: return false;
  }
}

/* The register of the parked v128 in slots s, s + 1, or -1. */
static int park_of(const x64_state *st, uint32_t s) {
  for (int i = 0; i < st->npark; i++)
    if (st->park_slot[i] == s) return st->park_first + i;
  return -1;
}
/* Every parked value into its slots. */
static OUT_OF_LINE void park_flush(jit_func *fn) {
  x64_state *st = fn->state;
  for (int i = 0; i < st->npark; i++) {
    if (st->park_slot[i] != NONE) movdqu_store(fn->b, SLOT(st->park_slot[i]), st->park_first + i);
    st->park_slot[i] = NONE;
    st->park_dying[i] = false;
  }
}
/* May parked values wait across an instruction of this op (see x64_state), worked out once (op_traits)? */
static bool park_safe_op(vm_op op) {
  access a;
  if (jit_numeric_helper(op).fn) return false;
  if (is_ibin(op) || access_of(op, &a) || (op >= VM_OP_F_ADD_ADD && op < VM_OP_FD_ADD_ADD)) return true;
  switch (op) {
  case VM_OP_I32_EQ:
  case VM_OP_I32_NE:
  case VM_OP_I32_LT_S:
  case VM_OP_I32_LT_U:
  case VM_OP_I32_GT_S:
  case VM_OP_I32_GT_U:
  case VM_OP_I32_LE_S:
  case VM_OP_I32_LE_U:
  case VM_OP_I32_GE_S:
  case VM_OP_I32_GE_U:
  case VM_OP_I64_EQ:
  case VM_OP_I64_NE:
  case VM_OP_I64_LT_S:
  case VM_OP_I64_LT_U:
  case VM_OP_I64_GT_S:
  case VM_OP_I64_GT_U:
  case VM_OP_I64_LE_S:
  case VM_OP_I64_LE_U:
  case VM_OP_I64_GE_S:
  case VM_OP_I64_GE_U:
  case VM_OP_ILD_ADD:
  case VM_OP_ILX_ADD: return true; /* (integer registers only: iload, ialu, ea, iput) */
  default:
    return WAPC_SIMD_SSE && vm_op_is_v128(op) && op != VM_OP_V128_TEST; /* (the others decline: park_flush) */
  }
}
static void init_op_traits(void) {
  for (int op = 0; op < VM_OP_COUNT; op++) {
    access a;
    bool acc = access_of((vm_op)op, &a);
    vm_format f = vm_op_format((vm_op)op);
    uint8_t t = 0;
    if (is_ibin((vm_op)op)) t |= T_IBIN | T_PUT_LAST;
    switch (op) {
    case VM_OP_I32_ADD:
    case VM_OP_I32_MUL:
    case VM_OP_I32_AND:
    case VM_OP_I32_OR:
    case VM_OP_I32_XOR:
    case VM_OP_I64_ADD:
    case VM_OP_I64_MUL:
    case VM_OP_I64_AND:
    case VM_OP_I64_OR:
    case VM_OP_I64_XOR: t |= T_COMMUTES; break;
    default: break;
    }
    if (op == VM_OP_V128_EXTRACT || (acc && !a.store && !a.flt)) t |= T_PUT_LAST;
    if (park_safe_op((vm_op)op)) t |= T_SAFE;
    if (acc && f == FMT_LOAD) t |= T_LOAD;
    if (acc && f == FMT_STORE) t |= T_STORE;
    op_traits[op] = t;
  }
}
/* May values stay parked across an instruction of this op (park_safe_op)? */
static inline bool park_safe(vm_op op) {
  return op_traits[op] & T_SAFE;
}

/* The register caching the v128 local in slots s, s + 1, or -1. */
static int v128_cached(jit_func *fn, uint32_t s) {
  const x64_state *st = fn->state;
  return s < fn->code->nlocals ? st->where128[s] : -1;
}
/* The register holding the v128 in slots s, s + 1 (its local's, or xmm15 when the previous
 * instruction left it there), or -1. */
static int v128_reg(jit_func *fn, uint32_t s) {
  const x64_state *st = fn->state;
  int r = v128_cached(fn, s);
  if (r < 0) r = park_of(st, s);
  return r >= 0 ? r : st->avail128 == s ? FWD_XMM : -1;
}
/* xmm x = the v128 in slots s, s + 1 */
static void v128_get(jit_func *fn, int x, uint32_t s) {
  int r = v128_reg(fn, s);
  if (r >= 0) {
    if (r != x) sse_r(fn->b, P66, 0, 0x6F, x, r); /* movdqa x, r */
  } else {
    movdqu_load(fn->b, x, RSLOT(fn, s));
  }
}
/* The register to compute a result in from the v128 in slots s, s + 1: xmm15 itself when the previous
 * instruction left s there (its other operands are read before it changes), else xmm0 loaded with it. */
static int v128_work(jit_func *fn, uint32_t s) {
  const x64_state *st = fn->state;
  if (st->avail128 == s && v128_cached(fn, s) < 0) return FWD_XMM;
  int p = park_of(st, s); /* (read once: its register is this instruction's to change) */
  if (p >= 0) return p;
  v128_get(fn, XMM0, s);
  return XMM0;
}
/* A register holding the v128 in slots s, s + 1 to read as an operand: its own, or `tmp` loaded. */
static int v128_src(jit_func *fn, uint32_t s, int tmp) {
  int r = v128_reg(fn, s);
  if (r >= 0) return r;
  movdqu_load(fn->b, tmp, RSLOT(fn, s));
  return tmp;
}

/* Where an instruction without v128 operands builds its v128 result for slots d, d + 1: the register of
 * the local, or else xmm15 (where v128_put leaves it anyway). */
static int v128_out(jit_func *fn, uint32_t d) {
  int r = v128_cached(fn, d);
  return r >= 0 ? r : FWD_XMM;
}

/* slots d, d + 1 = xmm x, and its local's register, or else xmm15 for the next instruction */
static void v128_put(jit_func *fn, uint32_t d, int x) {
  x64_state *st = fn->state;
  int r = v128_cached(fn, d);
  /* An operand-stack value is read once: when the next instruction is that read and takes it from
   * xmm15, nothing else ever reads the slots, and their store can wait (dirty128) or go. */
  bool skip = false;
  if (r < 0 && st->next_v128 && d >= fn->code->const_base + fn->code->nconsts)
    for (uint32_t i = 0; i < st->nnext; i++)
      if (st->next_src[i] == d) skip = true;
  if (!skip && r < 0 && st->park_next && d >= fn->code->const_base + fn->code->nconsts) {
    /* park it: in x when x is a parking register, else a free one (or one this instruction read) */
    int k = x >= st->park_first && x < st->park_first + st->npark ? x - st->park_first : -1;
    for (int i = 0; k < 0 && i < st->npark; i++)
      if (st->park_slot[i] == NONE || st->park_dying[i]) k = i;
    if (k >= 0) {
      for (int i = 0; i < st->npark; i++)
        if (st->park_slot[i] == d) st->park_slot[i] = NONE;
      if (st->park_first + k != x) sse_r(fn->b, P66, 0, 0x6F, st->park_first + k, x);
      st->park_slot[k] = d;
      st->park_dying[k] = false;
      st->have_parks = true;
      for (uint32_t sl = d; sl < d + 2; sl++)
        if (st->fwd == sl) st->fwd = NONE;
      return;
    }
  }
  if (skip)
    st->dirty128 = d;
  else
    movdqu_store(fn->b, SLOT(d), x);
  if (r >= 0) {
    if (r != x) sse_r(fn->b, P66, 0, 0x6F, r, x);
    st->put128 = d;
    return;
  }
  v128_wrote(fn, d);
  if (st->fwd != NONE && st->fwd_xmm) st->fwd = NONE;       /* xmm15 is about to change */
  if (x != FWD_XMM) sse_r(fn->b, P66, 0, 0x6F, FWD_XMM, x); /* movdqa xmm15, x */
  st->fwd128 = d;
}
/* After an instruction: a cached v128 local it wrote other than through v128_put (a slot move, a
 * helper) is loaded into its register again. */
static void v128_refresh(jit_func *fn, const vm_word *w) {
  x64_state *st = fn->state;
  uint32_t done = NONE;
  for (uint32_t i = 1, m = st->info[w[0]].dmask; m; i++, m >>= 1) {
    if (!(m & 1) || w[i] >= fn->code->nlocals) continue;
    uint32_t lo = st->where128[w[i]] >= 0 ? w[i] : w[i] && st->where128[w[i] - 1] >= 0 ? w[i] - 1 : NONE;
    if (lo == NONE || lo == st->put128 || lo == done) continue;
    movdqu_load(fn->b, st->where128[lo], SLOT(lo));
    done = lo;
  }
}

/* Does this CPU have SSE4.1 (pinsrb/d/q)?  Asked once; the SSE2 sequences are the fallback
 * (WAPC_JIT_SSE2=1 in the environment selects them anyway, so that tests cover them). */
static bool have_sse41(void) {
  static atomic_int known; /* 0 unknown, 1 no, 2 yes */
  int k = atomic_load_explicit(&known, memory_order_relaxed);
  if (!k) {
    unsigned a = 0, bx = 0, c = 0, d = 0;
    const char *force = getenv("WAPC_JIT_SSE2");
    k = !(force && force[0] == '1') && __get_cpuid(1, &a, &bx, &c, &d) && (c & bit_SSE4_1) ? 2 : 1;
    atomic_store_explicit(&known, k, memory_order_relaxed);
  }
  return k == 2;
}

/* Put the low `bytes` bytes of rcx into lane `lane` of xmm x (not xmm1; SSE4.1 pinsrb/d/q when the CPU
 * has it; else SSE2: through 16-bit pinsrw, a byte merged into its word, 64-bit lanes through xmm1), so
 * the vector never goes through memory in pieces. */
static void insert_lane(jit_buf *b, int x, int bytes, uint32_t lane) {
  if (bytes != 2 && have_sse41()) {
    op_r(b, P66, bytes == 8, bytes == 1 ? 0x0F3A20 : 0x0F3A22, 3, x, RCX); /* pinsrb/d/q x, ecx/rcx, lane */
    jit_u8(b, (uint8_t)lane);
    return;
  }
  switch (bytes) {
  case 1:
    sse66(b, 0xC5, RAX, x); /* pextrw eax, x, lane / 2 */
    jit_u8(b, (uint8_t)(lane / 2));
    op_r(b, 0, 0, 0x0FB6, 2, RCX, RCX); /* movzx ecx, cl */
    if (lane & 1) {
      alu_ri(b, 0, ALU_AND, RAX, 0x00FF);
      op_r(b, 0, 0, 0xC1, 1, 4, RCX); /* shl ecx, 8 */
      jit_u8(b, 8);
    } else {
      alu_ri(b, 0, ALU_AND, RAX, 0xFF00);
    }
    alu_rr(b, 0, ALU_OR, RAX, RCX);
    sse66(b, 0xC4, x, RAX); /* pinsrw x, eax, lane / 2 */
    jit_u8(b, (uint8_t)(lane / 2));
    break;
  case 2:
    sse66(b, 0xC4, x, RCX);
    jit_u8(b, (uint8_t)lane);
    break;
  case 4:
    sse66(b, 0xC4, x, RCX);
    jit_u8(b, (uint8_t)(2 * lane));
    op_r(b, 0, 0, 0xC1, 1, 5, RCX); /* shr ecx, 16 */
    jit_u8(b, 16);
    sse66(b, 0xC4, x, RCX);
    jit_u8(b, (uint8_t)(2 * lane + 1));
    break;
  default:
    op_r(b, P66, 1, 0x0F6E, 2, XMM1, RCX); /* movq xmm1, rcx */
    if (lane == 0)
      sse_r(b, 0xF2, 0, 0x10, x, XMM1); /* movsd x, xmm1: the low half */
    else
      sse66(b, 0x6C, x, XMM1); /* punpcklqdq: the high half */
    break;
  }
}

/* EXTRACT [op, d, a, code, lane] of the v128 in register x: SSE4.1 pextrb/d/q where the CPU has them,
 * else SSE2 pextrw, or a pshufd of the lane to the bottom then movd/movq. */
static void extract_lane(jit_func *fn, const vm_word *w, int x) {
  jit_buf *b = fn->b;
  uint32_t code = w[3], lane = w[4];
  bool sse41 = have_sse41();
  switch (code) {
  case VM_WASM_I8X16_EXTRACT_LANE_S:
  case VM_WASM_I8X16_EXTRACT_LANE_U:
    if (sse41) {
      op_r(b, P66, 0, 0x0F3A14, 3, x, RAX); /* pextrb eax, x, lane */
      jit_u8(b, (uint8_t)lane);
    } else {
      op_r(b, P66, 0, 0x0FC5, 2, RAX, x); /* pextrw eax, x, lane / 2 */
      jit_u8(b, (uint8_t)(lane / 2));
      if (lane & 1) {
        op_r(b, 0, 0, 0xC1, 1, 5, RAX); /* shr eax, 8 */
        jit_u8(b, 8);
      }
    }
    op_r(b, 0, 0, code == VM_WASM_I8X16_EXTRACT_LANE_S ? 0x0FBE : 0x0FB6, 2, RAX, RAX); /* movsx/movzx al */
    break;
  case VM_WASM_I16X8_EXTRACT_LANE_S:
  case VM_WASM_I16X8_EXTRACT_LANE_U:
    op_r(b, P66, 0, 0x0FC5, 2, RAX, x);
    jit_u8(b, (uint8_t)lane);
    if (code == VM_WASM_I16X8_EXTRACT_LANE_S) op_r(b, 0, 0, 0x0FBF, 2, RAX, RAX); /* movsx eax, ax */
    break;
  case VM_WASM_I32X4_EXTRACT_LANE:
  case VM_WASM_I64X2_EXTRACT_LANE: {
    bool q = code == VM_WASM_I64X2_EXTRACT_LANE;
    if (lane == 0) {
      op_r(b, P66, q, 0x0F7E, 2, x, RAX); /* movd eax / movq rax, x */
    } else if (sse41) {
      op_r(b, P66, q, 0x0F3A16, 3, x, RAX); /* pextrd eax / pextrq rax, x, lane */
      jit_u8(b, (uint8_t)lane);
    } else {
      sse66(b, 0x70, XMM0, x); /* pshufd xmm0, x: the lane at the bottom */
      jit_u8(b, (uint8_t)(q ? 0xEE : lane));
      op_r(b, P66, q, 0x0F7E, 2, XMM0, RAX);
    }
    break;
  }
  default: { /* a float lane to the bottom of xmm0 (the bits above it are no slot's) */
    bool dbl = code == VM_WASM_F64X2_EXTRACT_LANE;
    sse66(b, 0x70, XMM0, x);
    jit_u8(b, (uint8_t)(dbl ? (lane ? 0xEE : 0x44) : lane));
    fput(fn, dbl, w[1], XMM0);
    return;
  }
  }
  iput(fn, w[1], RAX);
}

/* The SSE2 instruction (66 0F op; 0F op when `ps`) computing a v128 binary op exactly, or 0. */
static uint8_t v128_bin_sse(uint32_t code, bool *ps, bool *swap) {
  *ps = false;
  *swap = false;
  switch (code) {
  case VM_WASM_I8X16_ADD: return 0xFC;
  case VM_WASM_I16X8_ADD: return 0xFD;
  case VM_WASM_I32X4_ADD: return 0xFE;
  case VM_WASM_I64X2_ADD: return 0xD4;
  case VM_WASM_I8X16_SUB: return 0xF8;
  case VM_WASM_I16X8_SUB: return 0xF9;
  case VM_WASM_I32X4_SUB: return 0xFA;
  case VM_WASM_I64X2_SUB: return 0xFB;
  case VM_WASM_I16X8_MUL: return 0xD5;
  case VM_WASM_I8X16_ADD_SAT_S: return 0xEC;
  case VM_WASM_I8X16_ADD_SAT_U: return 0xDC;
  case VM_WASM_I16X8_ADD_SAT_S: return 0xED;
  case VM_WASM_I16X8_ADD_SAT_U: return 0xDD;
  case VM_WASM_I8X16_SUB_SAT_S: return 0xE8;
  case VM_WASM_I8X16_SUB_SAT_U: return 0xD8;
  case VM_WASM_I16X8_SUB_SAT_S: return 0xE9;
  case VM_WASM_I16X8_SUB_SAT_U: return 0xD9;
  case VM_WASM_I8X16_MIN_U: return 0xDA;
  case VM_WASM_I8X16_MAX_U: return 0xDE;
  case VM_WASM_I16X8_MIN_S: return 0xEA;
  case VM_WASM_I16X8_MAX_S: return 0xEE;
  case VM_WASM_I8X16_AVGR_U: return 0xE0;
  case VM_WASM_I16X8_AVGR_U: return 0xE3;
  case VM_WASM_V128_AND: return 0xDB;
  case VM_WASM_V128_OR: return 0xEB;
  case VM_WASM_V128_XOR: return 0xEF;
  case VM_WASM_V128_ANDNOT: *swap = true; return 0xDF; /* pandn: ~b & a */
  case VM_WASM_I8X16_NARROW_I16X8_S: return 0x63;      /* packsswb */
  case VM_WASM_I8X16_NARROW_I16X8_U: return 0x67;      /* packuswb (signed in, unsigned saturation) */
  case VM_WASM_I16X8_NARROW_I32X4_S: return 0x6B;      /* packssdw */
  case VM_WASM_I32X4_DOT_I16X8_S: return 0xF5;         /* pmaddwd (the one overflow wraps, as in wasm) */
  case VM_WASM_I8X16_EQ: return 0x74;
  case VM_WASM_I16X8_EQ: return 0x75;
  case VM_WASM_I32X4_EQ: return 0x76;
  case VM_WASM_I8X16_GT_S: return 0x64;
  case VM_WASM_I16X8_GT_S: return 0x65;
  case VM_WASM_I32X4_GT_S: return 0x66;
  case VM_WASM_I8X16_LT_S: *swap = true; return 0x64;
  case VM_WASM_I16X8_LT_S: *swap = true; return 0x65;
  case VM_WASM_I32X4_LT_S: *swap = true; return 0x66;
  case VM_WASM_F32X4_ADD: *ps = true; return 0x58;
  case VM_WASM_F32X4_SUB: *ps = true; return 0x5C;
  case VM_WASM_F32X4_MUL: *ps = true; return 0x59;
  case VM_WASM_F32X4_DIV: *ps = true; return 0x5E;
  case VM_WASM_F64X2_ADD: return 0x58;
  case VM_WASM_F64X2_SUB: return 0x5C;
  case VM_WASM_F64X2_MUL: return 0x59;
  case VM_WASM_F64X2_DIV: return 0x5E;
  default: return 0;
  }
}

/* The SSE4.1 instruction (66 0F 38 op) computing a v128 binary op exactly, or 0. */
static uint8_t v128_bin_sse41(uint32_t code) {
  switch (code) {
  case VM_WASM_I32X4_MUL: return 0x40;            /* pmulld */
  case VM_WASM_I16X8_NARROW_I32X4_U: return 0x2B; /* packusdw */
  case VM_WASM_I8X16_MIN_S: return 0x38;          /* pminsb */
  case VM_WASM_I8X16_MAX_S: return 0x3C;          /* pmaxsb */
  case VM_WASM_I16X8_MIN_U: return 0x3A;          /* pminuw */
  case VM_WASM_I16X8_MAX_U: return 0x3E;          /* pmaxuw */
  case VM_WASM_I32X4_MIN_S: return 0x39;          /* pminsd */
  case VM_WASM_I32X4_MAX_S: return 0x3D;          /* pmaxsd */
  case VM_WASM_I32X4_MIN_U: return 0x3B;          /* pminud */
  case VM_WASM_I32X4_MAX_U: return 0x3F;          /* pmaxud */
  case VM_WASM_I64X2_EQ: return 0x29;             /* pcmpeqq */
  default: return 0;
  }
}

/* Float comparisons: cmpps/cmppd predicate (0 eq, 1 lt, 2 le, 4 neq: true when unordered), or -1. */
static int v128_fcmp(uint32_t code, bool *dbl, bool *swap) {
  *dbl = code >= VM_WASM_F64X2_EQ && code <= VM_WASM_F64X2_GE;
  uint32_t k = code - (*dbl ? VM_WASM_F64X2_EQ : VM_WASM_F32X4_EQ);
  if (!*dbl && (code < VM_WASM_F32X4_EQ || code > VM_WASM_F32X4_GE)) return -1;
  static const int pred[6] = {0, 4, 1, 1, 2, 2}; /* eq ne lt gt le ge */
  *swap = k == 3 || k == 5;                      /* gt, ge: lt, le with the operands swapped */
  return pred[k];
}

/* The v128 loads expanded inline (the extending ones go to simd.c). */
static bool v128_load_inline(uint32_t code) {
  return code == VM_WASM_V128_LOAD || code == VM_WASM_V128_LOAD64_ZERO || code == VM_WASM_V128_LOAD32_ZERO ||
         code == VM_WASM_V128_LOAD32_SPLAT || code == VM_WASM_V128_LOAD64_SPLAT ||
         code == VM_WASM_V128_LOAD8_SPLAT || code == VM_WASM_V128_LOAD16_SPLAT;
}

static bool v128_inline(jit_func *fn, vm_op op, const vm_word *w) {
  jit_buf *b = fn->b;
  switch (op) {
  case VM_OP_V128_CONST: { /* built in a register and stored whole: a later 16-byte load reads one store */
    int x = v128_out(fn, w[1]);
    if (!(w[2] | w[3] | w[4] | w[5])) {
      sse66(b, 0xEF, x, x); /* pxor */
    } else if (w[2] == w[3] && w[3] == w[4] && w[4] == w[5]) {
      mov_ri(b, RAX, w[2]);
      sse66(b, 0x6E, x, RAX); /* movd x, eax */
      sse66(b, 0x70, x, x);   /* pshufd x, x, 0 */
      jit_u8(b, 0);
    } else {
      mov_ri(b, RAX, (uint64_t)w[2] | (uint64_t)w[3] << 32);
      op_r(b, P66, 1, 0x0F6E, 2, x, RAX); /* movq x, rax */
      if (w[2] != w[4] || w[3] != w[5]) {
        mov_ri(b, RAX, (uint64_t)w[4] | (uint64_t)w[5] << 32);
        op_r(b, P66, 1, 0x0F6E, 2, XMM1, RAX);
        sse66(b, 0x6C, x, XMM1); /* punpcklqdq */
      } else {
        sse66(b, 0x6C, x, x);
      }
    }
    v128_put(fn, w[1], x);
    return true;
  }
  case VM_OP_V128_SELECT: {
    iload(fn, 0, RAX, w[4]);
    op_r(b, 0, 0, 0x85, 1, RAX, RAX);
    uint32_t other = jcc32(b, CC_E);
    v128_get(fn, XMM0, w[2]);
    uint32_t done = jmp32(b);
    patch_here(b, other);
    v128_get(fn, XMM0, w[3]);
    patch_here(b, done);
    v128_put(fn, w[1], XMM0);
    return true;
  }
  case VM_OP_V128_BITSELECT: /* (a & c) | (b & ~c) = b ^ ((a ^ b) & c) */
    v128_get(fn, XMM0, w[2]);
    v128_get(fn, XMM1, w[3]);
    sse66(b, 0xEF, XMM0, XMM1);
    v128_get(fn, XMM1, w[4]);
    sse66(b, 0xDB, XMM0, XMM1);
    v128_get(fn, XMM1, w[3]);
    sse66(b, 0xEF, XMM0, XMM1);
    v128_put(fn, w[1], XMM0);
    return true;
  case VM_OP_V128_LOAD: {
    uint32_t code = w[4];
    if (!v128_load_inline(code)) return false;
    mem_t m = ea(fn, 0, w[2], 0, 0, w[3], (int)vm_simd_load_bytes(code));
    int x = v128_out(fn, w[1]);
    if (code == VM_WASM_V128_LOAD8_SPLAT || code == VM_WASM_V128_LOAD16_SPLAT) {
      bool b8 = code == VM_WASM_V128_LOAD8_SPLAT;
      op_m(b, 0, 0, b8 ? 0x0FB6 : 0x0FB7, 2, RCX, m);
      op_r(b, 0, 0, 0x69, 1, RCX, RCX); /* imul ecx, ecx, 0x01010101 / 0x00010001 */
      jit_u32(b, b8 ? 0x01010101u : 0x00010001u);
      sse66(b, 0x6E, x, RCX);
      sse66(b, 0x70, x, x);
      jit_u8(b, 0);
    } else if (code == VM_WASM_V128_LOAD) {
      movdqu_load(b, x, m);
    } else if (code == VM_WASM_V128_LOAD64_ZERO || code == VM_WASM_V128_LOAD64_SPLAT) {
      sse_m(b, 0xF3, 0, 0x7E, x, m);                               /* movq: the upper half zero */
      if (code == VM_WASM_V128_LOAD64_SPLAT) sse66(b, 0x6C, x, x); /* punpcklqdq */
    } else {
      sse_m(b, P66, 0, 0x6E, x, m); /* movd: the rest zero */
      if (code == VM_WASM_V128_LOAD32_SPLAT) {
        sse66(b, 0x70, x, x); /* pshufd x, x, 0 */
        jit_u8(b, 0);
      }
    }
    v128_put(fn, w[1], x);
    return true;
  }
  case VM_OP_V128_STORE: {
    mem_t m = ea(fn, 0, w[1], 0, 0, w[3], 16);
    movdqu_store(b, m, v128_src(fn, w[2], XMM0));
    return true;
  }
  case VM_OP_V128_SPLAT: {
    int x = v128_out(fn, w[1]);
    switch (w[3]) {
    case VM_WASM_I8X16_SPLAT:
    case VM_WASM_I16X8_SPLAT: /* the low byte or half in every one of eax's, as i32x4 */
      iload(fn, 0, RAX, w[2]);
      op_r(b, 0, 0, w[3] == VM_WASM_I8X16_SPLAT ? 0x0FB6 : 0x0FB7, 2, RAX, RAX); /* movzx eax, al / ax */
      op_r(b, 0, 0, 0x69, 1, RAX, RAX); /* imul eax, eax, 0x01010101 / 0x00010001 */
      jit_u32(b, w[3] == VM_WASM_I8X16_SPLAT ? 0x01010101u : 0x00010001u);
      /* fall through */
    case VM_WASM_I32X4_SPLAT:
      if (w[3] == VM_WASM_I32X4_SPLAT) iload(fn, 0, RAX, w[2]);
      sse66(b, 0x6E, x, RAX); /* movd x, eax */
      sse66(b, 0x70, x, x);
      jit_u8(b, 0);
      break;
    case VM_WASM_I64X2_SPLAT:
      iload(fn, 1, RAX, w[2]);
      op_r(b, P66, 1, 0x0F6E, 2, x, RAX); /* movq x, rax */
      sse66(b, 0x6C, x, x);
      break;
    case VM_WASM_F32X4_SPLAT: /* the float straight from its register when it has one */
      fload(fn, false, x, w[2]);
      sse_r(b, 0, 0, 0xC6, x, x); /* shufps x, x, 0 */
      jit_u8(b, 0);
      break;
    case VM_WASM_F64X2_SPLAT:
      fload(fn, true, x, w[2]);
      sse66(b, 0x14, x, x); /* unpcklpd */
      break;
    default: return false;
    }
    v128_put(fn, w[1], x);
    return true;
  }
  case VM_OP_V128_EXTRACT: {
    uint32_t code = w[3], lane = w[4];
    if (v128_reg(fn, w[2]) >= 0) {
      extract_lane(fn, w, v128_reg(fn, w[2]));
      return true;
    }
    mem_t m = RSLOT(fn, w[2]);
    switch (code) {
    case VM_WASM_I8X16_EXTRACT_LANE_S: m.disp += (int32_t)lane, op_m(b, 0, 0, 0x0FBE, 2, RAX, m); break;
    case VM_WASM_I8X16_EXTRACT_LANE_U: m.disp += (int32_t)lane, op_m(b, 0, 0, 0x0FB6, 2, RAX, m); break;
    case VM_WASM_I16X8_EXTRACT_LANE_S: m.disp += (int32_t)lane * 2, op_m(b, 0, 0, 0x0FBF, 2, RAX, m); break;
    case VM_WASM_I16X8_EXTRACT_LANE_U: m.disp += (int32_t)lane * 2, op_m(b, 0, 0, 0x0FB7, 2, RAX, m); break;
    case VM_WASM_I32X4_EXTRACT_LANE: m.disp += (int32_t)lane * 4, mov_rm(b, 0, RAX, m); break;
    case VM_WASM_I64X2_EXTRACT_LANE: m.disp += (int32_t)lane * 8, mov_rm(b, 1, RAX, m); break;
    default: { /* a float lane goes to a float register (and on to a float instruction) */
      bool dbl = code == VM_WASM_F64X2_EXTRACT_LANE;
      m.disp += (int32_t)lane * (dbl ? 8 : 4);
      sse_m(b, dbl ? 0xF2 : 0xF3, 0, 0x10, XMM0, m); /* movsd / movss */
      fput(fn, dbl, w[1], XMM0);
      return true;
    }
    }
    iput(fn, w[1], RAX);
    return true;
  }
  case VM_OP_V128_REPLACE: {
    uint32_t code = w[4];
    int bytes = code == VM_WASM_I8X16_REPLACE_LANE                                         ? 1
                : code == VM_WASM_I16X8_REPLACE_LANE                                       ? 2
                : code == VM_WASM_I32X4_REPLACE_LANE || code == VM_WASM_F32X4_REPLACE_LANE ? 4
                                                                                           : 8;
    iload(fn, bytes == 8, RCX, w[3]);
    int x = v128_work(fn, w[2]);
    insert_lane(b, x, bytes, w[5]);
    v128_put(fn, w[1], x);
    return true;
  }
  case VM_OP_V128_LOAD_LANE: {
    int bytes = (int)vm_simd_lane_bytes(w[5]);
    mem_t m = ea(fn, 0, w[2], 0, 0, w[4], bytes);
    int x;
    if (have_sse41() || bytes == 2) { /* pinsrb/w/d/q x, [m], lane */
      x = v128_work(fn, w[3]);
      if (bytes == 2)
        op_m(b, P66, 0, 0x0FC4, 2, x, m);
      else
        op_m(b, P66, bytes == 8, bytes == 1 ? 0x0F3A20 : 0x0F3A22, 3, x, m);
      jit_u8(b, (uint8_t)w[6]);
    } else {
      if (bytes == 1)
        op_m(b, 0, 0, 0x0FB6, 2, RCX, m);
      else
        mov_rm(b, bytes == 8, RCX, m);
      x = v128_work(fn, w[3]);
      insert_lane(b, x, bytes, w[6]);
    }
    v128_put(fn, w[1], x);
    return true;
  }
  case VM_OP_V128_TEST:
    if (w[3] != VM_WASM_V128_ANY_TRUE) return false;
    mov_rm(b, 1, RAX, RSLOT(fn, w[2]));
    op_m(b, 0, 1, 0x0B, 1, RAX, SLOT(w[2] + 1)); /* or rax, [hi] */
    setcc(b, CC_NE, RAX);
    movzx_r8(b, RAX, RAX);
    iput(fn, w[1], RAX);
    return true;
  case VM_OP_V128_UN: {
    int x;
    switch (w[3]) {
    case VM_WASM_V128_NOT:
      x = v128_work(fn, w[2]);
      sse66(b, 0x76, XMM1, XMM1); /* pcmpeqd: all ones */
      sse66(b, 0xEF, x, XMM1);
      break;
    case VM_WASM_F32X4_CONVERT_I32X4_S:
      x = v128_work(fn, w[2]);
      sse_r(b, 0, 0, 0x5B, x, x); /* cvtdq2ps */
      break;
    case VM_WASM_F64X2_CONVERT_LOW_I32X4_S:
      x = v128_work(fn, w[2]);
      sse_r(b, 0xF3, 0, 0xE6, x, x); /* cvtdq2pd */
      break;
    case VM_WASM_F64X2_PROMOTE_LOW_F32X4:
      x = v128_work(fn, w[2]);
      sse_r(b, 0, 0, 0x5A, x, x); /* cvtps2pd */
      break;
    case VM_WASM_I16X8_EXTEND_LOW_I8X16_S:
    case VM_WASM_I32X4_EXTEND_LOW_I16X8_S:
    case VM_WASM_I64X2_EXTEND_LOW_I32X4_S:
      if (!have_sse41()) return false;
      /* fall through */
    case VM_WASM_I16X8_EXTEND_LOW_I8X16_U:
    case VM_WASM_I32X4_EXTEND_LOW_I16X8_U:
    case VM_WASM_I64X2_EXTEND_LOW_I32X4_U:
      if (have_sse41()) { /* pmovsx/pmovzx bw, wd, dq */
        uint32_t code = w[3];
        uint32_t opc = code == VM_WASM_I16X8_EXTEND_LOW_I8X16_S   ? 0x0F3820
                       : code == VM_WASM_I32X4_EXTEND_LOW_I16X8_S ? 0x0F3823
                       : code == VM_WASM_I64X2_EXTEND_LOW_I32X4_S ? 0x0F3825
                       : code == VM_WASM_I16X8_EXTEND_LOW_I8X16_U ? 0x0F3830
                       : code == VM_WASM_I32X4_EXTEND_LOW_I16X8_U ? 0x0F3833
                                                                  : 0x0F3835;
        x = v128_work(fn, w[2]);
        op_r(b, P66, 0, opc, 3, x, x);
        break;
      }
      /* fall through */
    case VM_WASM_I16X8_EXTEND_HIGH_I8X16_U:
    case VM_WASM_I32X4_EXTEND_HIGH_I16X8_U:
    case VM_WASM_I64X2_EXTEND_HIGH_I32X4_U: {
      static const uint8_t lo[3] = {0x60, 0x61, 0x62}, hi[3] = {0x68, 0x69, 0x6A}; /* punpckl/h bw wd dq */
      uint32_t code = w[3];
      int k = code <= VM_WASM_I16X8_EXTEND_HIGH_I8X16_U   ? 0
              : code <= VM_WASM_I32X4_EXTEND_HIGH_I16X8_U ? 1
                                                          : 2;
      bool high = code == VM_WASM_I16X8_EXTEND_HIGH_I8X16_U || code == VM_WASM_I32X4_EXTEND_HIGH_I16X8_U ||
                  code == VM_WASM_I64X2_EXTEND_HIGH_I32X4_U;
      x = v128_work(fn, w[2]);
      sse66(b, 0xEF, XMM1, XMM1); /* zero */
      sse66(b, high ? hi[k] : lo[k], x, XMM1);
      break;
    }
    case VM_WASM_F32X4_ABS:
    case VM_WASM_F32X4_NEG:
    case VM_WASM_F64X2_ABS:
    case VM_WASM_F64X2_NEG: {
      uint32_t code = w[3];
      bool dbl = code == VM_WASM_F64X2_ABS || code == VM_WASM_F64X2_NEG;
      bool neg = code == VM_WASM_F32X4_NEG || code == VM_WASM_F64X2_NEG;
      x = v128_work(fn, w[2]);
      sse66(b, 0x76, XMM1, XMM1);                     /* all ones; then the sign mask or its complement */
      sse66(b, dbl ? 0x73 : 0x72, neg ? 6 : 2, XMM1); /* psllq/pslld (/6) or psrlq/psrld (/2) by imm */
      jit_u8(b, (uint8_t)(neg ? (dbl ? 63 : 31) : 1));
      sse66(b, neg ? 0xEF : 0xDB, x, XMM1);
      break;
    }
    default: return false;
    }
    v128_put(fn, w[1], x);
    return true;
  }
  case VM_OP_V128_SHIFT: {
    /* psll/psrl/psra by xmm count: the count masked to the lane width first */
    uint32_t code = w[4];
    uint8_t opc;
    int mask;
    switch (code) {
    case VM_WASM_I16X8_SHL: opc = 0xF1, mask = 15; break;
    case VM_WASM_I16X8_SHR_U: opc = 0xD1, mask = 15; break;
    case VM_WASM_I16X8_SHR_S: opc = 0xE1, mask = 15; break;
    case VM_WASM_I32X4_SHL: opc = 0xF2, mask = 31; break;
    case VM_WASM_I32X4_SHR_U: opc = 0xD2, mask = 31; break;
    case VM_WASM_I32X4_SHR_S: opc = 0xE2, mask = 31; break;
    case VM_WASM_I64X2_SHL: opc = 0xF3, mask = 63; break;
    case VM_WASM_I64X2_SHR_U: opc = 0xD3, mask = 63; break;
    default: return false;
    }
    int32_t imm;
    if (imm_of(fn, 0, w[3], &imm)) { /* a constant count: the immediate form (66 0F 71/72/73 /6 /2 /4 ib) */
      int x = v128_work(fn, w[2]);
      int ext = (opc & 0xF0) == 0xF0 ? 6 : (opc & 0xF0) == 0xD0 ? 2 : 4;
      sse66(b, (uint8_t)(0x70 + (opc & 0x0F)), ext, x);
      jit_u8(b, (uint8_t)(imm & mask));
      v128_put(fn, w[1], x);
      return true;
    }
    iload(fn, 0, RAX, w[3]);
    alu_ri(b, 0, ALU_AND, RAX, mask);
    sse66(b, 0x6E, XMM1, RAX);
    int x = v128_work(fn, w[2]);
    sse66(b, opc, x, XMM1);
    v128_put(fn, w[1], x);
    return true;
  }
  case VM_OP_V128_BIN: {
    uint32_t code = w[4];
    bool ps, swap;
    uint8_t opc = v128_bin_sse(code, &ps, &swap);
    bool dbl;
    int pred = opc ? -1 : v128_fcmp(code, &dbl, &swap);
    bool ne = code == VM_WASM_I8X16_NE || code == VM_WASM_I16X8_NE || code == VM_WASM_I32X4_NE;
    if (ne) opc = code == VM_WASM_I8X16_NE ? 0x74 : code == VM_WASM_I16X8_NE ? 0x75 : 0x76;
    if (!opc && pred < 0) {
      uint8_t opc41 = have_sse41() ? v128_bin_sse41(code) : 0;
      if (!opc41) return false;
      int y = v128_src(fn, w[3], XMM1);
      int x = v128_work(fn, w[2]);
      op_r(b, P66, 0, 0x0F3800u | opc41, 3, x, y);
      v128_put(fn, w[1], x);
      return true;
    }
    /* An integer operation that commutes exactly (not the float ones: the NaN an x86 instruction
     * passes on is its first operand's) takes a forwarded second operand as its first one. */
    const x64_state *xs = fn->state;
    bool commutes = !ps && opc && code != VM_WASM_F64X2_ADD && code != VM_WASM_F64X2_MUL &&
                    (opc == 0xFC || opc == 0xFD || opc == 0xFE || opc == 0xD4 || opc == 0xD5 || opc == 0xEC ||
                     opc == 0xDC || opc == 0xED || opc == 0xDD || opc == 0xDA || opc == 0xDE || opc == 0xEA ||
                     opc == 0xEE || opc == 0xE0 || opc == 0xE3 || opc == 0xDB || opc == 0xEB || opc == 0xEF ||
                     opc == 0x74 || opc == 0x75 || opc == 0x76);
    if (commutes && !swap && xs->avail128 == w[3] && v128_cached(fn, w[3]) < 0 && w[3] != w[2] &&
        park_of(xs, w[2]) < 0) /* (a parked first operand is computed in place) */
      swap = true;
    int y = v128_src(fn, swap ? w[2] : w[3], XMM1);
    int x = v128_work(fn, swap ? w[3] : w[2]);
    if (opc) {
      sse_r(b, ps ? 0 : P66, 0, opc, x, y);
    } else {
      sse_r(b, dbl ? P66 : 0, 0, 0xC2, x, y); /* cmpps / cmppd */
      jit_u8(b, (uint8_t)pred);
    }
    if (ne) {
      sse66(b, 0x76, XMM1, XMM1);
      sse66(b, 0xEF, x, XMM1);
    }
    v128_put(fn, w[1], x);
    return true;
  }
  default: return false;
  }
}

/* Slots 0.. = slots `from`.. (n of them; from > 0: a forward copy is exact). */
static void move_down(jit_func *fn, uint32_t from, uint32_t n) {
  for (uint32_t i = 0; i < n && from; i++) {
    mov_rm(fn->b, 1, RCX, SLOT(from + i));
    mov_mr(fn->b, 1, SLOT(i), RCX);
  }
}
/* Leave this function as RETURN does. */
static void ret(jit_func *fn) {
  jit_buf *b = fn->b;
  op_m(b, 0, 0, 0xFF, 1, 1, M(ST, OFF_DEPTH)); /* dec dword [depth] */
  alu_ri(b, 1, ALU_ADD, RSP, 8);
  jit_u8(b, 0xC3);
}
/* Before a tail call's jump to a function's entry: this frame is given up as RETURN does (the
 * callee's prologue counts it again and checks the stacks for its own frame). */
static void tail_jump(jit_func *fn) {
  op_m(fn->b, 0, 0, 0xFF, 1, 1, M(ST, OFF_DEPTH)); /* dec dword [depth] */
  alu_ri(fn->b, 1, ALU_ADD, RSP, 8);
}
/* CALL_INDIRECT / RETURN_CALL_INDIRECT [op, type, table, base, idx].  Fast path, inline: an element in
 * range, not null, of exactly this type (the same type entry of this module), a function of this instance
 * with machine code: a direct call, or for a tail call a jump to it once the arguments are moved down.
 * Anything else (and every trap) takes the helper, which checks as the interpreter does; a tail call
 * through it returns what it returned. */
static void call_indirect_op(jit_func *fn, const vm_word *w, bool tail) {
  jit_buf *b = fn->b;
  const vm_code *c = fn->code;
  const vm_functype *want = &fn->m->types[w[1]];
  uint32_t slow[6];
  int ns = 0;
  bool is64 = fn->m->tables[w[2]].limits.is64; /* table64: the index is all 64 bits of its slot */
  mov_rm(b, is64, RCX, S(4));
  mov_rm(b, 1, RAX, M(INST, OFF_I_TABLES));
  mov_rm(b, 1, RAX, M(RAX, (int32_t)(w[2] * 8)));
  if (is64) {
    mov_rm(b, 0, RDX, M(RAX, OFF_T_SIZE)); /* the u32 size, zero-extended, against the 64-bit index */
    alu_rr(b, 1, ALU_CMP, RCX, RDX);
  } else {
    alu_rm(b, 0, ALU_CMP, RCX, M(RAX, OFF_T_SIZE));
  }
  slow[ns++] = jcc32(b, CC_AE);
  mov_rm(b, 1, RAX, M(RAX, OFF_T_ELEMS));
  mov_rm(b, 1, RDX, MX(RAX, RCX, 3, 0));
  op_r(b, 0, 1, 0x85, 1, RDX, RDX);
  slow[ns++] = jcc32(b, CC_E);
  mov_ri(b, RAX, (uint64_t)(uintptr_t)want);
  alu_rm(b, 1, ALU_CMP, RAX, M(RDX, OFF_F_TYPE));
  slow[ns++] = jcc32(b, CC_NE);
  alu_rm(b, 1, ALU_CMP, INST, M(RDX, OFF_F_INST));
  slow[ns++] = jcc32(b, CC_NE);
  mov_rm(b, 1, RAX, M(RDX, OFF_F_CODE));
  op_r(b, 0, 1, 0x85, 1, RAX, RAX);
  slow[ns++] = jcc32(b, CC_E);
  mov_rm(b, 1, RAX, M(RAX, OFF_C_NATIVE));
  op_r(b, 0, 1, 0x85, 1, RAX, RAX);
  slow[ns++] = jcc32(b, CC_E);
  uint32_t done = 0;
  if (tail) {
    uint32_t np, nr;
    vm_functype_slots(want, &np, &nr);
    move_down(fn, w[3], np);
    tail_jump(fn);
    op_r(b, 0, 0, 0xFF, 1, 4, RAX); /* jmp rax */
  } else {
    if (w[3]) alu_ri(b, 1, ALU_ADD, FP, (int32_t)(w[3] * 8));
    call_reg(b, RAX);
    if (w[3]) alu_ri(b, 1, ALU_SUB, FP, (int32_t)(w[3] * 8));
    done = jmp32(b);
  }
  for (int k = 0; k < ns; k++)
    patch_here(b, slow[k]);
  mov_mr(b, 1, M(ST, OFF_TICK), TICK);
  mov_rm(b, 1, RCX, S(4)); /* the whole slot: the helper takes what the table's index type says */
  mov_rr(b, 1, RDI, ST);
  mov_rr(b, 1, RSI, INST);
  mov_ri(b, RDX, (uint64_t)w[2] << 32 | w[1]);
  lea(b, R8, SLOT(w[3]));
  lea(b, R9, SLOT(c->nslots));
  call_abs(b, (jit_fn)jit_call_indirect);
  mov_rm(b, 1, TICK, M(ST, OFF_TICK));
  op_r(b, 0, 0, 0x85, 1, RAX, RAX);
  trap_exit_if(fn, CC_NE);
  if (tail) {
    after_call(fn, true);
    move_down(fn, w[3], c->nresults);
    ret(fn);
    return;
  }
  patch_here(b, done);
  after_call(fn, true);
}

/* RETURN_CALL [op, f, base]: to a function with machine code in this module, a jump to its entry with the
 * arguments moved down to slot 0 (constant stack space); to any other, a call, then a return of its
 * results. */
static void tail_call_op(jit_func *fn, uint32_t f, uint32_t base) {
  const vm_module *m = fn->m;
  if (f >= m->nimported_funcs && fn->native[f - m->nimported_funcs]) {
    uint32_t np, nr;
    vm_functype_slots(&m->types[m->func_types[f]], &np, &nr);
    move_down(fn, base, np);
    tail_jump(fn);
    jit_fixes_add(fn->calls, jmp32(fn->b), f - m->nimported_funcs);
    return;
  }
  call_op(fn, f, base);
  move_down(fn, base, fn->code->nresults);
  ret(fn);
}

/* Does the instruction at w take operand-stack slot s from rax, first thing (an IBIN op's first operand,
 * or its second when the op commutes; the address of a load or store ea computes from one slot)? */
static bool takes_rax(const vm_word *w, uint32_t s) {
  vm_op op = (vm_op)w[0];
  uint8_t t = op_traits[op];
  if (t & T_IBIN) return w[2] == s ? w[3] != s : (t & T_COMMUTES) && w[3] == s;
  if (t & T_LOAD) return w[2] == s;
  if (t & T_STORE) return w[1] == s && w[2] != s;
  if (!WAPC_SIMD_SSE) return false;
  switch (op) {
  case VM_OP_V128_LOAD: return w[2] == s && v128_load_inline(w[4]);
  case VM_OP_V128_LOAD_LANE: return w[2] == s && w[3] != s;
  case VM_OP_V128_STORE: return w[1] == s && w[2] != s;
  default: return false;
  }
}

static bool target_op(jit_func *fn, uint32_t pc) {
  jit_buf *b = fn->b;
  const vm_code *c = fn->code;
  const vm_word *w = c->code + pc;
  vm_op op = (vm_op)w[0];
  x64_state *st = fn->state;
  access acc;

  /* an integer the previous instruction left in rax for this one (never where a branch arrives) */
  st->rax_in = st->rax_next;
  st->rax_next = NONE;
  if (st->rax_in != NONE && !takes_rax(w, st->rax_in)) { /* (cannot happen: takes_rax decided it) */
    mov_mr(b, 1, SLOT(st->rax_in), RAX);
    st->rax_in = NONE;
  }
  /* a branch may arrive here: nothing forwarded */
  if (fn->is_label[pc]) st->fwd = NONE;
  /* a v128 left in xmm15 by the previous instruction is for this one only */
  st->avail128 = fn->is_label[pc] ? NONE : st->fwd128;
  st->fwd128 = NONE;
  /* what the next instruction reads, unless a branch may arrive there */
  {
    const vm_op_info *info = st->info;
    uint32_t next = pc + (info[op].words ? info[op].words : 4 + w[2]);
    st->nnext = 0;
    st->next_v128 = st->next_ibin = st->park_next = false;
    st->put_last = op_traits[op] & T_PUT_LAST;
    st->next_pc = NONE;
    if (next < c->ncode && !fn->is_label[next]) {
      st->next_pc = next;
      const vm_word *nw = c->code + next;
      for (uint32_t i = 1, m = info[nw[0]].smask; m && st->nnext < 8; i++, m >>= 1)
        if (m & 1) st->next_src[st->nnext++] = nw[i];
      /* (V128_TEST reads its operand from memory) */
      st->next_v128 = WAPC_SIMD_SSE && vm_op_is_v128((vm_op)nw[0]) && nw[0] != VM_OP_V128_TEST;
      st->next_ibin = op_traits[nw[0]] & T_IBIN; /* (IBIN: iload and ialu, which read r10 when forwarded) */
      st->park_next = park_safe((vm_op)nw[0]);
    }
  }
  /* a v128 the previous instruction left in xmm15 without storing it: stored now unless this
   * instruction reads it from there */
  uint32_t pend = st->dirty128;
  st->dirty128 = NONE;
  if (pend != NONE && (!WAPC_SIMD_SSE || !vm_op_is_v128(op) || op == VM_OP_V128_TEST)) {
    movdqu_store(b, SLOT(pend), FWD_XMM);
    pend = NONE;
  }
  /* parked values: stored unless this instruction may keep them; the ones it reads die with it, the ones
   * its results overwrite are dead already */
  st->cur_safe = park_safe(op);
  st->in_loop = st->depth[pc] > 0;
  for (int i = 0; st->have_parks && i < st->npark; i++) {
    if (st->park_slot[i] == NONE) continue;
    if (!st->cur_safe) {
      park_flush(fn);
      break;
    }
    int use = park_use(&st->info[op], w, st->park_slot[i], true);
    if (use == 1) st->park_dying[i] = true;
    if (use == 2) st->park_slot[i] = NONE;
  }
  for (int i = 0; st->have_parks && i < NGPR_CACHE; i++) {
    if (!st->gborrowed[i]) continue;
    if (!st->cur_safe) {
      gpark_flush(fn);
      break;
    }
    const vm_op_info *in = &st->info[op];
    bool names = false;
    for (uint32_t k = 1, m = in->smask | in->dmask; m; k++, m >>= 1)
      if ((m & 1) && w[k] == st->glocal[i]) names = true;
    if (names) {
      gpark_restore(fn, i);
      continue;
    }
    if (st->gslot[i] == NONE) continue;
    int use = park_use(in, w, st->gslot[i], false);
    if (use == 1) st->gdying[i] = true;
    if (use == 2) st->gslot[i] = NONE;
  }

  /* loads and stores, all address forms */
  if (access_of(op, &acc)) {
    vm_format f = vm_op_format(op);
    mem_t m;
    uint32_t v = 0;
    switch (f) {
    case FMT_LOAD: m = ea(fn, 0, w[2], 0, 0, w[3], acc.bytes); break;
    case FMT_STORE: m = ea(fn, 0, w[1], 0, 0, w[3], acc.bytes), v = w[2]; break;
    case FMT_LOADX: m = ea(fn, 1, w[2], w[3], 0, w[4], acc.bytes); break;
    case FMT_STOREX: m = ea(fn, 1, w[1], w[2], 0, w[4], acc.bytes), v = w[3]; break;
    case FMT_LOADXS: m = ea(fn, 2, w[2], w[3], w[4], w[5], acc.bytes); break;
    case FMT_STOREXS: m = ea(fn, 2, w[1], w[2], w[3], w[5], acc.bytes), v = w[4]; break;
    default: return false;
    }
    bool dbl = acc.bytes == 8;
    if (acc.store) {
      int x = acc.flt ? xmm_of(fn, v) : -1;
      if (x >= 0) {
        sse_m(b, dbl ? 0xF2 : 0xF3, 0, 0x11, x, m); /* movsd / movss [m], x */
      } else {
        iload(fn, dbl, RDX, v);
        store_value(b, acc.bytes, m, RDX);
      }
    } else if (acc.flt) {
      sse_m(b, dbl ? 0xF2 : 0xF3, 0, 0x10, XMM0, m);
      fput(fn, dbl, w[1], XMM0);
    } else {
      op_m(b, 0, acc.w, acc.opc, acc.oplen, RAX, m);
      iput(fn, w[1], RAX);
    }
    return true;
  }

  jit_helper h = jit_numeric_helper(op);
  if (h.fn) {
    numeric_helper(fn, h, vm_op_format(op), w);
    return true;
  }
  /* cmake -DWAPC_SIMD_SSE=OFF: every v128 instruction through simd.c (the portable form) */
  if (WAPC_SIMD_SSE && v128_inline(fn, op, w)) return true; /* (it emits nothing when it declines) */
  if (pend != NONE) movdqu_store(b, SLOT(pend), FWD_XMM);   /* simd.c reads the frame */
  if (vm_op_is_v128(op)) {                                  /* a value is two slots; simd.c runs it */
    park_flush(fn);
    gpark_flush(fn);
    return call_jit_op(fn, op, w);
  }
  if (vm_op_is_memx(op)) return call_jit_op(fn, op, w); /* any memory: memx.c runs it */

  switch (op) {
  /* ---- control ------------------------------------------------------------ */
  case VM_OP_UNREACHABLE: jit_target_patch(b, jmp32(b), fn->stubs->trap[VM_TRAP_UNREACHABLE]); return true;
  case VM_OP_BR: branch(fn, -1, w[1], pc); return true;
  case VM_OP_BR_IF:
  case VM_OP_BR_UNLESS:
    itest(fn, 0, w[1]);
    branch(fn, op == VM_OP_BR_IF ? CC_NE : CC_E, w[2], pc);
    return true;
#define BRCMP(name, cc)                                                                                      \
  case VM_OP_BR_I32_##name:                                                                                  \
    iload(fn, 0, RAX, w[1]);                                                                                 \
    ialu(fn, 0, ALU_CMP, RAX, w[2]);                                                                         \
    branch(fn, cc, w[3], pc);                                                                                \
    return true;
    BRCMP(EQ, CC_E)
    BRCMP(NE, CC_NE)
    BRCMP(LT_S, CC_L)
    BRCMP(LT_U, CC_B)
    BRCMP(GT_S, CC_G)
    BRCMP(GT_U, CC_A)
    BRCMP(LE_S, CC_LE)
    BRCMP(LE_U, CC_BE)
    BRCMP(GE_S, CC_GE)
    BRCMP(GE_U, CC_AE)
#undef BRCMP
  case VM_OP_BR_TABLE: {
    uint32_t n = w[2];
    iload(fn, 0, RAX, w[1]);
    mov_ri(b, RCX, n);
    alu_rr(b, 0, ALU_CMP, RAX, RCX);
    op_r(b, 0, 0, 0x0F47, 2, RAX, RCX); /* cmova eax, ecx */
    /* lea rcx, [rip + table] */
    jit_u8(b, 0x48);
    jit_u8(b, 0x8D);
    jit_u8(b, 0x0D);
    uint32_t tref = (uint32_t)b->len;
    jit_u32(b, 0);
    op_m(b, 0, 1, 0x63, 1, RDX, MX(RCX, RAX, 2, 0)); /* movsxd rdx, [rcx + rax*4] */
    lea(b, RAX, MX(RCX, RAX, 2, 4));                 /* the entry's end */
    alu_rr(b, 1, ALU_ADD, RAX, RDX);
    op_r(b, 0, 0, 0xFF, 1, 4, RAX); /* jmp rax */
    /* the table: rel32 entries (target - entry end), then a stub per back edge */
    patch_here(b, tref);
    uint32_t table = (uint32_t)b->len;
    for (uint32_t i = 0; i <= n; i++)
      jit_u32(b, 0);
    for (uint32_t i = 0; i <= n; i++) {
      uint32_t t = w[3 + i];
      if (t > pc) {
        label(fn, table + 4 * i, t);
      } else {
        jit_target_patch(b, table + 4 * i, (uint32_t)b->len);
        backedge(fn, t, pc - t + 1);
      }
    }
    return true;
  }
  case VM_OP_RETURN: ret(fn); return true;
  case VM_OP_CALL: call_op(fn, w[1], w[2]); return true;
  case VM_OP_CALL_INDIRECT: call_indirect_op(fn, w, false); return true;
  case VM_OP_RETURN_CALL_INDIRECT: call_indirect_op(fn, w, true); return true;
  case VM_OP_RETURN_CALL: tail_call_op(fn, w[1], w[2]); return true;

  /* ---- data movement ---------------------------------------------------- */
  case VM_OP_MOV:
  case VM_OP_MOV2:
  case VM_OP_MOV3:
  case VM_OP_MOV4: {
    uint32_t n = op == VM_OP_MOV ? 1 : op == VM_OP_MOV2 ? 2 : op == VM_OP_MOV3 ? 3 : 4;
    for (uint32_t i = 0; i < n; i++)
      move_slot(fn, w[1 + 2 * i], w[2 + 2 * i]);
    return true;
  }
  case VM_OP_ADD2:
    iload(fn, 0, RAX, w[5]);
    ialu(fn, 0, ALU_ADD, RAX, w[6]);
    iput(fn, w[4], RAX);
    iload(fn, 0, RAX, w[2]);
    ialu(fn, 0, ALU_ADD, RAX, w[3]);
    iput(fn, w[1], RAX);
    return true;
  case VM_OP_CONST32:
  case VM_OP_CONST64:
    mov_ri(b, RAX, op == VM_OP_CONST32 ? w[2] : (uint64_t)w[2] | (uint64_t)w[3] << 32);
    iput(fn, w[1], RAX);
    return true;
  case VM_OP_SELECT:
    mov_rm(b, 1, RAX, S(2));
    mov_rm(b, 1, RCX, S(3));
    itest(fn, 0, w[4]);
    op_r(b, 0, 1, 0x0F44, 2, RAX, RCX); /* cmove rax, rcx */
    iput(fn, w[1], RAX);
    return true;
  case VM_OP_GLOBAL_GET:
    mov_rm(b, 1, RAX, M(INST, OFF_I_GLOBALS));
    mov_rm(b, 1, RAX, M(RAX, (int32_t)(w[2] * 8)));
    mov_rm(b, 1, RAX, M(RAX, OFF_G_VALUE));
    iput(fn, w[1], RAX);
    return w[2] < (1u << 27);
  case VM_OP_GLOBAL_SET:
    mov_rm(b, 1, RAX, M(INST, OFF_I_GLOBALS));
    mov_rm(b, 1, RAX, M(RAX, (int32_t)(w[2] * 8)));
    mov_rm(b, 1, RCX, S(1));
    mov_mr(b, 1, M(RAX, OFF_G_VALUE), RCX);
    return w[2] < (1u << 27);

  /* ---- references ------------------------------------------------------ */
  case VM_OP_REF_NULL:
    alu_rr(b, 0, ALU_XOR, RAX, RAX);
    iput(fn, w[1], RAX);
    return true;
  case VM_OP_REF_IS_NULL:
    alu_rr(b, 0, ALU_XOR, RAX, RAX);
    alu_mi(b, 1, ALU_CMP, S(2), 0);
    setcc(b, CC_E, RAX);
    iput(fn, w[1], RAX);
    return true;
  case VM_OP_REF_FUNC:
    mov_rm(b, 1, RAX, M(INST, OFF_I_FUNCS));
    mov_rm(b, 1, RAX, M(RAX, (int32_t)(w[2] * 8)));
    iput(fn, w[1], RAX);
    return w[2] < (1u << 27);

  /* ---- memory and tables ------------------------------------------------ */
  case VM_OP_MEMORY_SIZE:
    mov_rm(b, 1, RAX, M(INST, OFF_I_MEMORY));
    mov_rm(b, 0, RAX, M(RAX, OFF_M_PAGES));
    iput(fn, w[1], RAX);
    return true;
  case VM_OP_MEMORY_GROW:
  case VM_OP_MEMORY_FILL:
  case VM_OP_MEMORY_COPY:
  case VM_OP_MEMORY_INIT:
  case VM_OP_DATA_DROP:
  case VM_OP_TABLE_GET:
  case VM_OP_TABLE_SET:
  case VM_OP_TABLE_SIZE:
  case VM_OP_TABLE_GROW:
  case VM_OP_TABLE_FILL:
  case VM_OP_TABLE_COPY:
  case VM_OP_TABLE_INIT:
  case VM_OP_ELEM_DROP: return call_jit_op(fn, op, w);

  /* ---- comparisons ------------------------------------------------------ */
  case VM_OP_I32_EQZ:
  case VM_OP_I64_EQZ:
    alu_rr(b, 0, ALU_XOR, RAX, RAX);
    itest(fn, op == VM_OP_I64_EQZ, w[2]);
    setcc(b, CC_E, RAX);
    iput(fn, w[1], RAX);
    return true;
#define ICMP(W, name, cc)                                                                                    \
  case VM_OP_##name: cmp_set(fn, W, cc, w[1], w[2], w[3]); return true;
    ICMP(0, I32_EQ, CC_E)
    ICMP(0, I32_NE, CC_NE)
    ICMP(0, I32_LT_S, CC_L)
    ICMP(0, I32_LT_U, CC_B)
    ICMP(0, I32_GT_S, CC_G)
    ICMP(0, I32_GT_U, CC_A)
    ICMP(0, I32_LE_S, CC_LE)
    ICMP(0, I32_LE_U, CC_BE)
    ICMP(0, I32_GE_S, CC_GE)
    ICMP(0, I32_GE_U, CC_AE)
    ICMP(1, I64_EQ, CC_E)
    ICMP(1, I64_NE, CC_NE)
    ICMP(1, I64_LT_S, CC_L)
    ICMP(1, I64_LT_U, CC_B)
    ICMP(1, I64_GT_S, CC_G)
    ICMP(1, I64_GT_U, CC_A)
    ICMP(1, I64_LE_S, CC_LE)
    ICMP(1, I64_LE_U, CC_BE)
    ICMP(1, I64_GE_S, CC_GE)
    ICMP(1, I64_GE_U, CC_AE)
#undef ICMP
#define FCMP(D, name, k)                                                                                     \
  case VM_OP_##name: fcmp(fn, D, k, w[1], w[2], w[3]); return true;
    FCMP(false, F32_EQ, FC_EQ)
    FCMP(false, F32_NE, FC_NE)
    FCMP(false, F32_LT, FC_LT)
    FCMP(false, F32_GT, FC_GT)
    FCMP(false, F32_LE, FC_LE)
    FCMP(false, F32_GE, FC_GE)
    FCMP(true, F64_EQ, FC_EQ)
    FCMP(true, F64_NE, FC_NE)
    FCMP(true, F64_LT, FC_LT)
    FCMP(true, F64_GT, FC_GT)
    FCMP(true, F64_LE, FC_LE)
    FCMP(true, F64_GE, FC_GE)
#undef FCMP

  /* ---- integer arithmetic ---------------------------------------------- */
  case VM_OP_I32_CLZ:
    iload(fn, 0, RDX, w[2]);
    mov_ri(b, RCX, 0xFFFFFFFFu);
    op_r(b, 0, 0, 0x0FBD, 2, RAX, RDX); /* bsr eax, edx */
    op_r(b, 0, 0, 0x0F44, 2, RAX, RCX); /* cmovz eax, ecx */
    op_r(b, 0, 0, 0xF7, 1, 3, RAX);     /* neg eax */
    alu_ri(b, 0, ALU_ADD, RAX, 31);
    iput(fn, w[1], RAX);
    return true;
  case VM_OP_I32_CTZ:
    iload(fn, 0, RDX, w[2]);
    mov_ri(b, RCX, 32);
    op_r(b, 0, 0, 0x0FBC, 2, RAX, RDX); /* bsf eax, edx */
    op_r(b, 0, 0, 0x0F44, 2, RAX, RCX); /* cmovz eax, ecx */
    iput(fn, w[1], RAX);
    return true;
#define IBIN(W, name, k)                                                                                     \
  case VM_OP_##name:                                                                                         \
    if (st->rax_in == w[2] || st->rax_in == w[3]) { /* (the second only when the op commutes) */             \
      bin_acc(fn, W, k, st->rax_in == w[2] ? w[3] : w[2]);                                                   \
      st->rax_in = NONE;                                                                                     \
    } else {                                                                                                 \
      iload(fn, W, RAX, w[2]);                                                                               \
      bin_acc(fn, W, k, w[3]);                                                                               \
    }                                                                                                        \
    iput(fn, w[1], RAX);                                                                                     \
    return true;
    IBIN(0, I32_ADD, BIN_ADD)
    IBIN(0, I32_SUB, BIN_SUB)
    IBIN(0, I32_MUL, BIN_MUL)
    IBIN(0, I32_AND, BIN_AND)
    IBIN(0, I32_OR, BIN_OR)
    IBIN(0, I32_XOR, BIN_XOR)
    IBIN(0, I32_SHL, BIN_SHL)
    IBIN(0, I32_SHR_S, BIN_SHR_S)
    IBIN(0, I32_SHR_U, BIN_SHR_U)
    IBIN(0, I32_ROTL, BIN_ROTL)
    IBIN(0, I32_ROTR, BIN_ROTR)
    IBIN(1, I64_ADD, BIN_ADD)
    IBIN(1, I64_SUB, BIN_SUB)
    IBIN(1, I64_MUL, BIN_MUL)
    IBIN(1, I64_AND, BIN_AND)
    IBIN(1, I64_OR, BIN_OR)
    IBIN(1, I64_XOR, BIN_XOR)
    IBIN(1, I64_SHL, BIN_SHL)
    IBIN(1, I64_SHR_S, BIN_SHR_S)
    IBIN(1, I64_SHR_U, BIN_SHR_U)
    IBIN(1, I64_ROTL, BIN_ROTL)
    IBIN(1, I64_ROTR, BIN_ROTR)
#undef IBIN
  case VM_OP_I32_DIV_S: divrem(fn, 0, true, false, w[1], w[2], w[3]); return true;
  case VM_OP_I32_DIV_U: divrem(fn, 0, false, false, w[1], w[2], w[3]); return true;
  case VM_OP_I32_REM_S: divrem(fn, 0, true, true, w[1], w[2], w[3]); return true;
  case VM_OP_I32_REM_U: divrem(fn, 0, false, true, w[1], w[2], w[3]); return true;
  case VM_OP_I64_DIV_S: divrem(fn, 1, true, false, w[1], w[2], w[3]); return true;
  case VM_OP_I64_DIV_U: divrem(fn, 1, false, false, w[1], w[2], w[3]); return true;
  case VM_OP_I64_REM_S: divrem(fn, 1, true, true, w[1], w[2], w[3]); return true;
  case VM_OP_I64_REM_U: divrem(fn, 1, false, true, w[1], w[2], w[3]); return true;
#define FUSED(A, B)                                                                                          \
  case VM_OP_F_##A##_##B:                                                                                    \
    iload(fn, 0, RAX, w[2]);                                                                                 \
    bin_acc(fn, 0, BIN_##A, w[3]);                                                                           \
    bin_acc(fn, 0, BIN_##B, w[4]);                                                                           \
    iput(fn, w[1], RAX);                                                                                     \
    return true;
    VM_I32_FUSED(FUSED)
#undef FUSED

  /* ---- float arithmetic ---------------------------------------------------- */
  case VM_OP_F32_ABS:
  case VM_OP_F32_NEG:
    mov_rm(b, 0, RAX, S(2));
    if (op == VM_OP_F32_ABS)
      alu_ri(b, 0, ALU_AND, RAX, 0x7FFFFFFF);
    else
      alu_ri(b, 0, ALU_XOR, RAX, INT32_MIN);
    iput(fn, w[1], RAX);
    return true;
  case VM_OP_F64_ABS:
  case VM_OP_F64_NEG:
    mov_rm(b, 1, RAX, S(2));
    op_r(b, 0, 1, 0x0FBA, 2, op == VM_OP_F64_ABS ? 6 : 7, RAX); /* btr / btc rax, 63 */
    jit_u8(b, 63);
    iput(fn, w[1], RAX);
    return true;
#define FARITH(D, name, opc)                                                                                 \
  case VM_OP_##name:                                                                                         \
    fload(fn, D, XMM0, w[2]);                                                                                \
    fop(fn, D, opc, XMM0, w[3]);                                                                             \
    fput(fn, D, w[1], XMM0);                                                                                 \
    return true;
    FARITH(false, F32_ADD, FOP_ADD)
    FARITH(false, F32_SUB, FOP_SUB)
    FARITH(false, F32_MUL, FOP_MUL)
    FARITH(false, F32_DIV, FOP_DIV)
    FARITH(true, F64_ADD, FOP_ADD)
    FARITH(true, F64_SUB, FOP_SUB)
    FARITH(true, F64_MUL, FOP_MUL)
    FARITH(true, F64_DIV, FOP_DIV)
#undef FARITH
  case VM_OP_F32_SQRT:
  case VM_OP_F64_SQRT: {
    bool d = op == VM_OP_F64_SQRT;
    sse_r(b, 0, 0, 0x57, XMM0, XMM0); /* xorps: no false dependency */
    fop(fn, d, 0x51, XMM0, w[2]);     /* sqrtsd / sqrtss xmm0, a */
    fput(fn, d, w[1], XMM0);
    return true;
  }
#define FDUSED(A, B)                                                                                         \
  case VM_OP_FD_##A##_##B:                                                                                   \
    fload(fn, true, XMM0, w[2]);                                                                             \
    fop(fn, true, FOP_##A, XMM0, w[3]);                                                                      \
    fop(fn, true, FOP_##B, XMM0, w[4]);                                                                      \
    fput(fn, true, w[1], XMM0);                                                                              \
    return true;
    VM_F64_FUSED(FDUSED)
#undef FDUSED
#define FLD(name, opc, LEFT, KIND)                                                                           \
  case VM_OP_##name: {                                                                                       \
    mem_t m_ = KIND == 0 ? ea(fn, 0, w[3], 0, 0, w[4], 8) : ea(fn, 1, w[3], w[4], 0, w[5], 8);               \
    if (LEFT) {                                                                                              \
      sse_m(b, 0xF2, 0, 0x10, XMM0, m_);                                                                     \
      fop(fn, true, opc, XMM0, w[2]);                                                                        \
    } else {                                                                                                 \
      fload(fn, true, XMM0, w[2]);                                                                           \
      sse_m(b, 0xF2, 0, opc, XMM0, m_);                                                                      \
    }                                                                                                        \
    fput(fn, true, w[1], XMM0);                                                                              \
    return true;                                                                                             \
  }
    FLD(FLD_ADD, FOP_ADD, 0, 0)
    FLD(FLD_SUB, FOP_SUB, 0, 0)
    FLD(FLD_MUL, FOP_MUL, 0, 0)
    FLD(FLD_DIV, FOP_DIV, 0, 0)
    FLD(FLDR_SUB, FOP_SUB, 1, 0)
    FLD(FLDR_DIV, FOP_DIV, 1, 0)
    FLD(FLX_ADD, FOP_ADD, 0, 1)
    FLD(FLX_SUB, FOP_SUB, 0, 1)
    FLD(FLX_MUL, FOP_MUL, 0, 1)
    FLD(FLX_DIV, FOP_DIV, 0, 1)
    FLD(FLXR_SUB, FOP_SUB, 1, 1)
    FLD(FLXR_DIV, FOP_DIV, 1, 1)
#undef FLD
  case VM_OP_ILD_ADD:
  case VM_OP_ILX_ADD: {
    mem_t m = op == VM_OP_ILD_ADD ? ea(fn, 0, w[3], 0, 0, w[4], 4) : ea(fn, 1, w[3], w[4], 0, w[5], 4);
    op_m(b, 0, 0, 0x8B, 1, RDX, m); /* mov edx, [m] */
    iload(fn, 0, RAX, w[2]);
    alu_rr(b, 0, ALU_ADD, RAX, RDX);
    iput(fn, w[1], RAX);
    return true;
  }

  /* ---- conversions ------------------------------------------------------ */
  case VM_OP_I32_WRAP_I64:
  case VM_OP_I64_EXTEND_I32_U:
  case VM_OP_I32_REINTERPRET_F32:
  case VM_OP_F32_REINTERPRET_I32:
    if (op == VM_OP_I32_REINTERPRET_F32)
      mov_rm(b, 0, RAX, S(2));
    else
      iload(fn, 0, RAX, w[2]);
    iput(fn, w[1], RAX);
    return true;
  case VM_OP_I64_REINTERPRET_F64:
  case VM_OP_F64_REINTERPRET_I64:
    if (op == VM_OP_I64_REINTERPRET_F64)
      mov_rm(b, 1, RAX, S(2));
    else
      iload(fn, 1, RAX, w[2]);
    iput(fn, w[1], RAX);
    return true;
  case VM_OP_I64_EXTEND_I32_S:
  case VM_OP_I64_EXTEND32_S:
    iload(fn, 0, RAX, w[2]);
    op_r(b, 0, 1, 0x63, 1, RAX, RAX); /* movsxd rax, eax */
    iput(fn, w[1], RAX);
    return true;
  case VM_OP_I32_EXTEND8_S:
  case VM_OP_I32_EXTEND16_S:
  case VM_OP_I64_EXTEND8_S:
  case VM_OP_I64_EXTEND16_S: {
    bool w64 = op == VM_OP_I64_EXTEND8_S || op == VM_OP_I64_EXTEND16_S;
    bool byte = op == VM_OP_I32_EXTEND8_S || op == VM_OP_I64_EXTEND8_S;
    iload(fn, 0, RAX, w[2]);
    op_r(b, 0, w64, byte ? 0x0FBE : 0x0FBF, 2, RAX, RAX); /* movsx eax/rax, al/ax */
    iput(fn, w[1], RAX);
    return true;
  }
  case VM_OP_F64_CONVERT_I32_S:
  case VM_OP_F64_CONVERT_I64_S:
  case VM_OP_F32_CONVERT_I32_S:
  case VM_OP_F32_CONVERT_I64_S:
  case VM_OP_F64_CONVERT_I32_U:
  case VM_OP_F32_CONVERT_I32_U: {
    bool d = op == VM_OP_F64_CONVERT_I32_S || op == VM_OP_F64_CONVERT_I64_S || op == VM_OP_F64_CONVERT_I32_U;
    bool w64 = op == VM_OP_F64_CONVERT_I64_S || op == VM_OP_F32_CONVERT_I64_S;
    bool u32 = op == VM_OP_F64_CONVERT_I32_U || op == VM_OP_F32_CONVERT_I32_U;
    iload(fn, w64, RAX, w[2]);
    if (!w64 && !u32) op_r(b, 0, 1, 0x63, 1, RAX, RAX); /* sign-extend: convert as 64-bit */
    sse_r(b, 0, 0, 0x57, XMM0, XMM0);                   /* xorps: no false dependency */
    sse_r(b, d ? 0xF2 : 0xF3, 1, 0x2A, XMM0, RAX);      /* cvtsi2sd/ss xmm0, rax */
    fput(fn, d, w[1], XMM0);
    return true;
  }
  case VM_OP_F64_PROMOTE_F32:
    sse_r(b, 0, 0, 0x57, XMM0, XMM0);
    sse_m(b, 0xF3, 0, 0x5A, XMM0, S(2));
    fput(fn, true, w[1], XMM0);
    return true;
  case VM_OP_F32_DEMOTE_F64:
    sse_r(b, 0, 0, 0x57, XMM0, XMM0);
    sse_m(b, 0xF2, 0, 0x5A, XMM0, S(2));
    fput(fn, false, w[1], XMM0);
    return true;

  /* ---- fused branches ------------------------------------------------------ */
  case VM_OP_LD8U_BR_IF:
  case VM_OP_LD8U_BR_UNLESS:
  case VM_OP_LD32_BR_IF:
  case VM_OP_LD32_BR_UNLESS: {
    bool byte = op == VM_OP_LD8U_BR_IF || op == VM_OP_LD8U_BR_UNLESS;
    mem_t m = ea(fn, 0, w[2], 0, 0, w[3], byte ? 1 : 4);
    if (byte)
      op_m(b, 0, 0, 0x0FB6, 2, RAX, m);
    else
      mov_rm(b, 0, RAX, m);
    iput(fn, w[1], RAX);
    op_r(b, 0, 0, 0x85, 1, RAX, RAX);
    branch(fn, op == VM_OP_LD8U_BR_IF || op == VM_OP_LD32_BR_IF ? CC_NE : CC_E, w[4], pc);
    return true;
  }
  case VM_OP_ADD_BR_IF:
  case VM_OP_ADD_BR_UNLESS:
  case VM_OP_SUB_BR_IF:
  case VM_OP_SUB_BR_UNLESS: {
    bool add = op == VM_OP_ADD_BR_IF || op == VM_OP_ADD_BR_UNLESS;
    iload(fn, 0, RAX, w[2]);
    ialu(fn, 0, add ? ALU_ADD : ALU_SUB, RAX, w[3]);
    iput(fn, w[1], RAX);
    op_r(b, 0, 0, 0x85, 1, RAX, RAX);
    branch(fn, op == VM_OP_ADD_BR_IF || op == VM_OP_SUB_BR_IF ? CC_NE : CC_E, w[4], pc);
    return true;
  }
#define ARITH_BRCMP(AOP, name, cc)                                                                           \
  case VM_OP_##AOP##_BR_I32_##name:                                                                          \
    iload(fn, 0, RAX, w[2]);                                                                                 \
    ialu(fn, 0, ALU_##AOP, RAX, w[3]);                                                                       \
    iput(fn, w[1], RAX);                                                                                     \
    ialu(fn, 0, ALU_CMP, RAX, w[4]);                                                                         \
    branch(fn, cc, w[5], pc);                                                                                \
    return true;
#define ARITH_BRCMPS(AOP)                                                                                    \
  ARITH_BRCMP(AOP, EQ, CC_E)                                                                                 \
  ARITH_BRCMP(AOP, NE, CC_NE)                                                                                \
  ARITH_BRCMP(AOP, LT_S, CC_L)                                                                               \
  ARITH_BRCMP(AOP, LT_U, CC_B)                                                                               \
  ARITH_BRCMP(AOP, GT_S, CC_G)                                                                               \
  ARITH_BRCMP(AOP, GT_U, CC_A)                                                                               \
  ARITH_BRCMP(AOP, LE_S, CC_LE)                                                                              \
  ARITH_BRCMP(AOP, LE_U, CC_BE)                                                                              \
  ARITH_BRCMP(AOP, GE_S, CC_GE)                                                                              \
  ARITH_BRCMP(AOP, GE_U, CC_AE)
    ARITH_BRCMPS(ADD)
    ARITH_BRCMPS(SUB)
#undef ARITH_BRCMP
#undef ARITH_BRCMPS
  default: return false;
  }
}

bool jit_target_op(jit_func *fn, uint32_t pc) {
  x64_state *st = fn->state;
  st->put128 = NONE;
  if (!target_op(fn, pc)) return false;
  if (st->rax_in != NONE)
    return false; /* (a value left in rax was not taken: never; the function is declined) */
  /* Only v128 instructions, moves and helpers write a v128 local's slots, and none of them branches:
   * after the instruction is where every path through it goes on. */
  if (st->cached128) v128_refresh(fn, fn->code->code + pc);
  /* what this instruction read is gone; before a label, every parked value into its slots */
  if (!st->have_parks) return true;
  bool any = false;
  for (int i = 0; i < st->npark; i++) {
    if (st->park_dying[i]) st->park_slot[i] = NONE, st->park_dying[i] = false;
    any |= st->park_slot[i] != NONE;
  }
  for (int i = 0; i < NGPR_CACHE; i++) {
    if (st->gdying[i]) st->gslot[i] = NONE, st->gdying[i] = false;
    any |= st->gborrowed[i];
  }
  st->have_parks = any;
  if (st->next_pc == NONE) { /* (the end, or a label, comes next) */
    park_flush(fn);
    gpark_flush(fn);
    st->have_parks = false;
  }
  return true;
}
