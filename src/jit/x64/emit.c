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
 * rax, rcx, rdx, rsi, rdi, r8-r11 and xmm0-xmm1 are scratch within one
 * internal instruction; nothing lives in them across instructions.
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
#include <stddef.h>
#include <string.h>

#include "jit/helpers.h"
#include "jit/target.h"

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
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

static void opcode(jit_buf *b, uint32_t opc, int len) {
  for (int i = len - 1; i >= 0; i--)
    jit_u8(b, (uint8_t)(opc >> (8 * i)));
}

static void modrm_mem(jit_buf *b, int reg, mem_t m) {
  int base = m.base & 7, mod;
  if (m.disp == 0 && base != 5)
    mod = 0;
  else if (m.disp >= -128 && m.disp <= 127)
    mod = 1;
  else
    mod = 2;
  if (m.index >= 0 || base == 4) {
    jit_u8(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | 4));
    int idx = m.index >= 0 ? (m.index & 7) : 4;
    jit_u8(b, (uint8_t)(m.scale << 6 | idx << 3 | base));
  } else {
    jit_u8(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | base));
  }
  if (mod == 1)
    jit_u8(b, (uint8_t)m.disp);
  else if (mod == 2)
    jit_u32(b, (uint32_t)m.disp);
}

/* [prefix] [REX] opcode modrm(reg, m) */
static void op_m(jit_buf *b, int pfx, int w, uint32_t opc, int len, int reg, mem_t m) {
  if (pfx) jit_u8(b, (uint8_t)pfx);
  int rex = 0x40 | (w ? 8 : 0) | ((reg >> 3) & 1) << 2 | (m.index >= 0 ? ((m.index >> 3) & 1) << 1 : 0) |
            ((m.base >> 3) & 1);
  if (rex != 0x40) jit_u8(b, (uint8_t)rex);
  opcode(b, opc, len);
  modrm_mem(b, reg, m);
}

/* [prefix] [REX] opcode modrm(reg, rm register) */
static void op_r(jit_buf *b, int pfx, int w, uint32_t opc, int len, int reg, int rm) {
  if (pfx) jit_u8(b, (uint8_t)pfx);
  int rex = 0x40 | (w ? 8 : 0) | ((reg >> 3) & 1) << 2 | ((rm >> 3) & 1);
  if (rex != 0x40) jit_u8(b, (uint8_t)rex);
  opcode(b, opc, len);
  jit_u8(b, (uint8_t)(0xC0 | (reg & 7) << 3 | (rm & 7)));
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

  /* the poll of a spent interruption point (called: rsp is 8 off alignment here) */
  st->poll = (uint32_t)b->len;
  alu_ri(b, 1, ALU_SUB, RSP, 8);
  mov_mr(b, 1, M(ST, OFF_TICK), TICK);
  mov_rr(b, 1, RDI, ST);
  call_abs(b, (jit_fn)(void (*)(void))vm_guard_poll);
  mov_rm(b, 1, TICK, M(ST, OFF_TICK));
  alu_ri(b, 1, ALU_ADD, RSP, 8);
  op_r(b, 0, 0, 0x85, 1, RAX, RAX);
  jit_target_patch(b, jcc32(b, CC_NE), st->trap_exit);
  jit_u8(b, 0xC3);

  for (uint32_t t = 0; t < VM_TRAP_LIMIT; t++) {
    st->trap[t] = (uint32_t)b->len;
    mov_ri(b, RAX, t);
    jit_target_patch(b, jmp32(b), st->trap_exit);
  }
}

/* ---- helpers for the translation ------------------------------------------ */

static void trap_if(jit_func *fn, int cc, vm_trap t) {
  jit_target_patch(fn->b, jcc32(fn->b, cc), fn->stubs->trap[t]);
}
static void trap_exit_if(jit_func *fn, int cc) {
  jit_target_patch(fn->b, jcc32(fn->b, cc), fn->stubs->trap_exit);
}
static void reload_mem(jit_func *fn) {
  if (!fn->m->nmemories) return;
  mov_rm(fn->b, 1, RAX, M(INST, OFF_I_MEMORY));
  mov_rm(fn->b, 1, MS, M(RAX, OFF_M_SIZE));
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

/* 32- or 64-bit integer binary operators on rax (the left operand) and slot `src`. */
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
static void bin_acc(jit_buf *b, int w, bin_kind k, uint32_t src) {
  static const int alu[] = {
      [BIN_ADD] = ALU_ADD, [BIN_SUB] = ALU_SUB, [BIN_AND] = ALU_AND, [BIN_OR] = ALU_OR, [BIN_XOR] = ALU_XOR};
  static const int sh[] = {[BIN_SHL] = SH_SHL,
                           [BIN_SHR_S] = SH_SAR,
                           [BIN_SHR_U] = SH_SHR,
                           [BIN_ROTL] = SH_ROL,
                           [BIN_ROTR] = SH_ROR};
  switch (k) {
  case BIN_ADD:
  case BIN_SUB:
  case BIN_AND:
  case BIN_OR:
  case BIN_XOR: alu_rm(b, w, alu[k], RAX, SLOT(src)); break;
  case BIN_MUL: op_m(b, 0, w, 0x0FAF, 2, RAX, SLOT(src)); break;
  default:
    mov_rm(b, 0, RCX, SLOT(src));
    op_r(b, 0, w, 0xD3, 1, sh[k], RAX);
    break;
  }
}

static void cmp_set(jit_buf *b, int w, int cc, uint32_t d, uint32_t x, uint32_t y) {
  mov_rm(b, w, RAX, SLOT(x));
  alu_rm(b, w, ALU_CMP, RAX, SLOT(y));
  setcc(b, cc, RAX);
  movzx_r8(b, RAX, RAX);
  mov_mr(b, 1, SLOT(d), RAX);
}

/* Division and remainder with the spec's traps. */
static void divrem(jit_func *fn, int w, bool sign, bool rem, uint32_t d, uint32_t x, uint32_t y) {
  jit_buf *b = fn->b;
  mov_rm(b, w, RCX, SLOT(y));
  op_r(b, 0, w, 0x85, 1, RCX, RCX);
  trap_if(fn, CC_E, VM_TRAP_DIV_ZERO);
  mov_rm(b, w, RAX, SLOT(x));
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
      if (w)
        mov_ri(b, RDX, 0x8000000000000000u);
      else
        mov_ri(b, RDX, 0x80000000u);
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
  if (rem)
    mov_mr(b, 1, SLOT(d), RDX);
  else
    mov_mr(b, 1, SLOT(d), RAX);
  /* A 32-bit remainder/quotient is already zero-extended (32-bit operations clear the upper half). */
}

/* Effective address into rax and bounds check of n bytes; returns the operand [r12 + rax + disp].
 * kind 0: (u32)a + off; 1: (u32)(a + b) + off; 2: (u32)(a + (b << k)) + off. */
static mem_t ea(jit_func *fn, int kind, uint32_t a, uint32_t bb, uint32_t k, uint32_t off, int n) {
  jit_buf *b = fn->b;
  if (kind == 2) {
    mov_rm(b, 0, RCX, SLOT(k));
    mov_rm(b, 0, RDX, SLOT(bb));
    op_r(b, 0, 0, 0xD3, 1, SH_SHL, RDX);
    mov_rm(b, 0, RAX, SLOT(a));
    alu_rr(b, 0, ALU_ADD, RAX, RDX);
  } else {
    mov_rm(b, 0, RAX, SLOT(a));
    if (kind == 1) alu_rm(b, 0, ALU_ADD, RAX, SLOT(bb));
  }
  int32_t disp = 0;
  if (off <= 0x7FFFFFF0u) {
    disp = (int32_t)off;
  } else {
    mov_ri(b, RCX, off);
    alu_rr(b, 1, ALU_ADD, RAX, RCX);
  }
  lea(b, RCX, M(RAX, disp + n));
  alu_rr(b, 1, ALU_CMP, RCX, MS);
  trap_if(fn, CC_A, VM_TRAP_MEMORY_OOB);
  return MX(MB, RAX, 0, disp);
}

/* Loads and stores: size, and how (the load's opcode and width). */
typedef struct access {
  uint8_t bytes;
  bool store;
  uint8_t w;    /* REX.W for the load's opcode */
  uint32_t opc; /* load: opcode into eax/rax */
  uint8_t oplen;
} access;

static bool access_of(vm_op op, access *a) {
  switch (op) {
#define LD(o, n, W, OPC, LEN)                                                                                \
  case VM_OP_##o:                                                                                            \
  case VM_OP_##o##_X:                                                                                        \
  case VM_OP_##o##_XS:                                                                                       \
    *a = (access){n, false, W, OPC, LEN};                                                                    \
    return true;
#define STR(o, n)                                                                                            \
  case VM_OP_##o:                                                                                            \
  case VM_OP_##o##_X:                                                                                        \
  case VM_OP_##o##_XS: *a = (access){n, true, 0, 0, 0}; return true;
    LD(I32_LOAD, 4, 0, 0x8B, 1)
    LD(F32_LOAD, 4, 0, 0x8B, 1)
    LD(I64_LOAD, 8, 1, 0x8B, 1)
    LD(F64_LOAD, 8, 1, 0x8B, 1)
    LD(I32_LOAD8_S, 1, 0, 0x0FBE, 2)
    LD(I32_LOAD8_U, 1, 0, 0x0FB6, 2)
    LD(I32_LOAD16_S, 2, 0, 0x0FBF, 2)
    LD(I32_LOAD16_U, 2, 0, 0x0FB7, 2)
    LD(I64_LOAD8_S, 1, 1, 0x0FBE, 2)
    LD(I64_LOAD8_U, 1, 0, 0x0FB6, 2)
    LD(I64_LOAD16_S, 2, 1, 0x0FBF, 2)
    LD(I64_LOAD16_U, 2, 0, 0x0FB7, 2)
    LD(I64_LOAD32_S, 4, 1, 0x63, 1)
    LD(I64_LOAD32_U, 4, 0, 0x8B, 1)
    STR(I32_STORE, 4)
    STR(F32_STORE, 4)
    STR(I64_STORE, 8)
    STR(F64_STORE, 8)
    STR(I32_STORE8, 1)
    STR(I32_STORE16, 2)
    STR(I64_STORE8, 1)
    STR(I64_STORE16, 2)
    STR(I64_STORE32, 4)
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

static void fstore(jit_buf *b, bool dbl, uint32_t d) {
  if (dbl) {
    sse_m(b, 0xF2, 0, 0x11, XMM0, SLOT(d));
  } else {
    op_r(b, 0x66, 0, 0x0F7E, 2, XMM0, RAX); /* movd eax, xmm0 */
    mov_mr(b, 1, SLOT(d), RAX);
  }
}
static void fload(jit_buf *b, bool dbl, int x, mem_t m) {
  sse_m(b, dbl ? 0xF2 : 0xF3, 0, 0x10, x, m);
}
static void fbin(jit_buf *b, bool dbl, uint8_t opc, int x, mem_t m) {
  sse_m(b, dbl ? 0xF2 : 0xF3, 0, opc, x, m);
}

/* Float comparisons: d = a CMP b (false on NaN except NE). */
typedef enum { FC_EQ, FC_NE, FC_LT, FC_GT, FC_LE, FC_GE } fcmp_kind;
static void fcmp(jit_buf *b, bool dbl, fcmp_kind k, uint32_t d, uint32_t x, uint32_t y) {
  bool swap = k == FC_LT || k == FC_LE;
  fload(b, dbl, XMM0, SLOT(swap ? y : x));
  op_m(b, dbl ? 0x66 : 0, 0, 0x0F2E, 2, XMM0, SLOT(swap ? x : y)); /* ucomisd / ucomiss */
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
  mov_mr(b, 1, SLOT(d), RAX);
}

/* A call of a numeric helper (helpers.h). */
static void numeric_helper(jit_func *fn, jit_helper h, vm_format f, const vm_word *w) {
  jit_buf *b = fn->b;
  mov_rm(b, 1, RDI, SLOT(w[2]));
  if (f == FMT_DSS) mov_rm(b, 1, RSI, SLOT(w[3]));
  if (h.kind == JIT_HELPER_TRAP) {
    lea(b, RDX, SLOT(w[1]));
    call_abs(b, h.fn);
    op_r(b, 0, 0, 0x85, 1, RAX, RAX);
    trap_exit_if(fn, CC_NE);
  } else {
    call_abs(b, h.fn);
    mov_mr(b, 1, SLOT(w[1]), RAX);
  }
}

/* ---- the translation ---------------------------------------------------- */

void jit_target_prologue(jit_func *fn) {
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
  for (uint32_t k = 0; k < c->nconsts; k++) {
    uint64_t v = k < c->nconsts32 ? c->consts32[k] : c->consts64[k - c->nconsts32];
    mov_mi64(b, SLOT(c->const_base + k), v);
  }
  /* the entry's interruption point */
  op_r(b, 0, 1, 0xFF, 1, 1, TICK); /* dec r15 */
  jit_u8(b, 0x79);                 /* jns +5 */
  jit_u8(b, 5);
  jit_target_patch(b, call32(b), fn->stubs->poll);
}

bool jit_target_supports(vm_op op) {
  (void)op;
  return op < VM_OP_COUNT;
}

#define S(k) SLOT(w[k])

bool jit_target_op(jit_func *fn, uint32_t pc) {
  jit_buf *b = fn->b;
  const vm_code *c = fn->code;
  const vm_word *w = c->code + pc;
  vm_op op = (vm_op)w[0];
  access acc;

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
    if (acc.store) {
      mov_rm(b, 1, RDX, SLOT(v));
      store_value(b, acc.bytes, m, RDX);
    } else {
      op_m(b, 0, acc.w, acc.opc, acc.oplen, RAX, m);
      mov_mr(b, 1, S(1), RAX);
    }
    return true;
  }

  jit_helper h = jit_numeric_helper(op);
  if (h.fn) {
    numeric_helper(fn, h, vm_op_format(op), w);
    return true;
  }

  switch (op) {
  /* ---- control ------------------------------------------------------------ */
  case VM_OP_UNREACHABLE: jit_target_patch(b, jmp32(b), fn->stubs->trap[VM_TRAP_UNREACHABLE]); return true;
  case VM_OP_BR: branch(fn, -1, w[1], pc); return true;
  case VM_OP_BR_IF:
  case VM_OP_BR_UNLESS:
    alu_mi(b, 0, ALU_CMP, S(1), 0);
    branch(fn, op == VM_OP_BR_IF ? CC_NE : CC_E, w[2], pc);
    return true;
#define BRCMP(name, cc)                                                                                      \
  case VM_OP_BR_I32_##name:                                                                                  \
    mov_rm(b, 0, RAX, S(1));                                                                                 \
    alu_rm(b, 0, ALU_CMP, RAX, S(2));                                                                        \
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
    mov_rm(b, 0, RAX, S(1));
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
  case VM_OP_RETURN:
    op_m(b, 0, 0, 0xFF, 1, 1, M(ST, OFF_DEPTH)); /* dec dword [depth] */
    alu_ri(b, 1, ALU_ADD, RSP, 8);
    jit_u8(b, 0xC3);
    return true;
  case VM_OP_CALL: {
    uint32_t f = w[1], base = w[2];
    const vm_module *m = fn->m;
    if (f >= m->nimported_funcs && fn->native[f - m->nimported_funcs]) {
      if (base) alu_ri(b, 1, ALU_ADD, FP, (int32_t)(base * 8));
      jit_fixes_add(fn->calls, call32(b), f - m->nimported_funcs);
      if (base) alu_ri(b, 1, ALU_SUB, FP, (int32_t)(base * 8));
      return true;
    }
    mov_mr(b, 1, M(ST, OFF_TICK), TICK);
    mov_rr(b, 1, RDI, ST);
    mov_rr(b, 1, RSI, INST);
    mov_ri(b, RDX, f);
    lea(b, RCX, SLOT(base));
    lea(b, R8, SLOT(c->nslots));
    call_abs(b, (jit_fn)jit_call);
    mov_rm(b, 1, TICK, M(ST, OFF_TICK));
    op_r(b, 0, 0, 0x85, 1, RAX, RAX);
    trap_exit_if(fn, CC_NE);
    reload_mem(fn);
    return true;
  }
  case VM_OP_CALL_INDIRECT:
    mov_mr(b, 1, M(ST, OFF_TICK), TICK);
    mov_rr(b, 1, RDI, ST);
    mov_rr(b, 1, RSI, INST);
    mov_ri(b, RDX, (uint64_t)w[2] << 32 | w[1]);
    mov_rm(b, 0, RCX, S(4));
    lea(b, R8, SLOT(w[3]));
    lea(b, R9, SLOT(c->nslots));
    call_abs(b, (jit_fn)jit_call_indirect);
    mov_rm(b, 1, TICK, M(ST, OFF_TICK));
    op_r(b, 0, 0, 0x85, 1, RAX, RAX);
    trap_exit_if(fn, CC_NE);
    reload_mem(fn);
    return true;

  /* ---- data movement ---------------------------------------------------- */
  case VM_OP_MOV:
  case VM_OP_MOV2:
  case VM_OP_MOV3:
  case VM_OP_MOV4: {
    uint32_t n = op == VM_OP_MOV ? 1 : op == VM_OP_MOV2 ? 2 : op == VM_OP_MOV3 ? 3 : 4;
    for (uint32_t i = 0; i < n; i++) {
      mov_rm(b, 1, RAX, S(2 + 2 * i));
      mov_mr(b, 1, S(1 + 2 * i), RAX);
    }
    return true;
  }
  case VM_OP_ADD2:
    mov_rm(b, 0, RAX, S(5));
    alu_rm(b, 0, ALU_ADD, RAX, S(6));
    mov_mr(b, 1, S(4), RAX);
    mov_rm(b, 0, RAX, S(2));
    alu_rm(b, 0, ALU_ADD, RAX, S(3));
    mov_mr(b, 1, S(1), RAX);
    return true;
  case VM_OP_CONST32: mov_mi64(b, S(1), w[2]); return true;
  case VM_OP_CONST64: mov_mi64(b, S(1), (uint64_t)w[2] | (uint64_t)w[3] << 32); return true;
  case VM_OP_SELECT:
    mov_rm(b, 1, RAX, S(2));
    alu_mi(b, 0, ALU_CMP, S(4), 0);
    op_m(b, 0, 1, 0x0F44, 2, RAX, S(3)); /* cmove rax, b */
    mov_mr(b, 1, S(1), RAX);
    return true;
  case VM_OP_GLOBAL_GET:
    mov_rm(b, 1, RAX, M(INST, OFF_I_GLOBALS));
    mov_rm(b, 1, RAX, M(RAX, (int32_t)(w[2] * 8)));
    mov_rm(b, 1, RAX, M(RAX, OFF_G_VALUE));
    mov_mr(b, 1, S(1), RAX);
    return w[2] < (1u << 27);
  case VM_OP_GLOBAL_SET:
    mov_rm(b, 1, RAX, M(INST, OFF_I_GLOBALS));
    mov_rm(b, 1, RAX, M(RAX, (int32_t)(w[2] * 8)));
    mov_rm(b, 1, RCX, S(1));
    mov_mr(b, 1, M(RAX, OFF_G_VALUE), RCX);
    return w[2] < (1u << 27);

  /* ---- references ------------------------------------------------------ */
  case VM_OP_REF_NULL: mov_mi64(b, S(1), 0); return true;
  case VM_OP_REF_IS_NULL:
    alu_rr(b, 0, ALU_XOR, RAX, RAX);
    alu_mi(b, 1, ALU_CMP, S(2), 0);
    setcc(b, CC_E, RAX);
    mov_mr(b, 1, S(1), RAX);
    return true;
  case VM_OP_REF_FUNC:
    mov_rm(b, 1, RAX, M(INST, OFF_I_FUNCS));
    mov_rm(b, 1, RAX, M(RAX, (int32_t)(w[2] * 8)));
    mov_mr(b, 1, S(1), RAX);
    return w[2] < (1u << 27);

  /* ---- memory and tables ------------------------------------------------ */
  case VM_OP_MEMORY_SIZE:
    mov_rm(b, 1, RAX, M(INST, OFF_I_MEMORY));
    mov_rm(b, 0, RAX, M(RAX, OFF_M_PAGES));
    mov_mr(b, 1, S(1), RAX);
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
  case VM_OP_ELEM_DROP:
    mov_rr(b, 1, RDI, INST);
    mov_rr(b, 1, RSI, FP);
    mov_ri(b, RDX, (uint64_t)(uintptr_t)w);
    mov_ri(b, RCX, (uint64_t)op);
    call_abs(b, (jit_fn)jit_op);
    op_r(b, 0, 0, 0x85, 1, RAX, RAX);
    trap_exit_if(fn, CC_NE);
    if (op == VM_OP_MEMORY_GROW) reload_mem(fn);
    return true;

  /* ---- comparisons ------------------------------------------------------ */
  case VM_OP_I32_EQZ:
  case VM_OP_I64_EQZ:
    alu_rr(b, 0, ALU_XOR, RAX, RAX);
    alu_mi(b, op == VM_OP_I64_EQZ, ALU_CMP, S(2), 0);
    setcc(b, CC_E, RAX);
    mov_mr(b, 1, S(1), RAX);
    return true;
#define ICMP(W, name, cc)                                                                                    \
  case VM_OP_##name: cmp_set(b, W, cc, w[1], w[2], w[3]); return true;
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
  case VM_OP_##name: fcmp(b, D, k, w[1], w[2], w[3]); return true;
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
    mov_ri(b, RCX, 0xFFFFFFFFu);
    op_m(b, 0, 0, 0x0FBD, 2, RAX, S(2)); /* bsr eax, a */
    op_r(b, 0, 0, 0x0F44, 2, RAX, RCX);  /* cmovz eax, ecx */
    op_r(b, 0, 0, 0xF7, 1, 3, RAX);      /* neg eax */
    alu_ri(b, 0, ALU_ADD, RAX, 31);
    mov_mr(b, 1, S(1), RAX);
    return true;
  case VM_OP_I32_CTZ:
    mov_ri(b, RCX, 32);
    op_m(b, 0, 0, 0x0FBC, 2, RAX, S(2)); /* bsf eax, a */
    op_r(b, 0, 0, 0x0F44, 2, RAX, RCX);  /* cmovz eax, ecx */
    mov_mr(b, 1, S(1), RAX);
    return true;
#define IBIN(W, name, k)                                                                                     \
  case VM_OP_##name:                                                                                         \
    mov_rm(b, W, RAX, S(2));                                                                                 \
    bin_acc(b, W, k, w[3]);                                                                                  \
    mov_mr(b, 1, S(1), RAX);                                                                                 \
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
    mov_rm(b, 0, RAX, S(2));                                                                                 \
    bin_acc(b, 0, BIN_##A, w[3]);                                                                            \
    bin_acc(b, 0, BIN_##B, w[4]);                                                                            \
    mov_mr(b, 1, S(1), RAX);                                                                                 \
    return true;
    VM_I32_FUSED(FUSED)
#undef FUSED

  /* ---- float arithmetic ---------------------------------------------------- */
  case VM_OP_F32_ABS:
    mov_rm(b, 0, RAX, S(2));
    alu_ri(b, 0, ALU_AND, RAX, 0x7FFFFFFF);
    mov_mr(b, 1, S(1), RAX);
    return true;
  case VM_OP_F32_NEG:
    mov_rm(b, 0, RAX, S(2));
    alu_ri(b, 0, ALU_XOR, RAX, INT32_MIN);
    mov_mr(b, 1, S(1), RAX);
    return true;
  case VM_OP_F64_ABS:
  case VM_OP_F64_NEG:
    mov_rm(b, 1, RAX, S(2));
    op_r(b, 0, 1, 0x0FBA, 2, op == VM_OP_F64_ABS ? 6 : 7, RAX); /* btr / btc rax, 63 */
    jit_u8(b, 63);
    mov_mr(b, 1, S(1), RAX);
    return true;
#define FARITH(D, name, opc)                                                                                 \
  case VM_OP_##name:                                                                                         \
    fload(b, D, XMM0, S(2));                                                                                 \
    fbin(b, D, opc, XMM0, S(3));                                                                             \
    fstore(b, D, w[1]);                                                                                      \
    return true;
    FARITH(false, F32_ADD, 0x58)
    FARITH(false, F32_SUB, 0x5C)
    FARITH(false, F32_MUL, 0x59)
    FARITH(false, F32_DIV, 0x5E)
    FARITH(true, F64_ADD, 0x58)
    FARITH(true, F64_SUB, 0x5C)
    FARITH(true, F64_MUL, 0x59)
    FARITH(true, F64_DIV, 0x5E)
#undef FARITH
  case VM_OP_F32_SQRT:
  case VM_OP_F64_SQRT: {
    bool d = op == VM_OP_F64_SQRT;
    fbin(b, d, 0x51, XMM0, S(2)); /* sqrtsd / sqrtss xmm0, a */
    fstore(b, d, w[1]);
    return true;
  }
#define FDUSED(A, B)                                                                                         \
  case VM_OP_FD_##A##_##B:                                                                                   \
    fload(b, true, XMM0, S(2));                                                                              \
    fbin(b, true, FOP_##A, XMM0, S(3));                                                                      \
    fbin(b, true, FOP_##B, XMM0, S(4));                                                                      \
    fstore(b, true, w[1]);                                                                                   \
    return true;
    VM_F64_FUSED(FDUSED)
#undef FDUSED
#define FLD(name, opc, LEFT, KIND)                                                                           \
  case VM_OP_##name: {                                                                                       \
    mem_t m_ = KIND == 0 ? ea(fn, 0, w[3], 0, 0, w[4], 8) : ea(fn, 1, w[3], w[4], 0, w[5], 8);               \
    if (LEFT) {                                                                                              \
      fload(b, true, XMM0, m_);                                                                              \
      fbin(b, true, opc, XMM0, S(2));                                                                        \
    } else {                                                                                                 \
      fload(b, true, XMM0, S(2));                                                                            \
      fbin(b, true, opc, XMM0, m_);                                                                          \
    }                                                                                                        \
    fstore(b, true, w[1]);                                                                                   \
    return true;                                                                                             \
  }
    FLD(FLD_ADD, 0x58, 0, 0)
    FLD(FLD_SUB, 0x5C, 0, 0)
    FLD(FLD_MUL, 0x59, 0, 0)
    FLD(FLD_DIV, 0x5E, 0, 0)
    FLD(FLDR_SUB, 0x5C, 1, 0)
    FLD(FLDR_DIV, 0x5E, 1, 0)
    FLD(FLX_ADD, 0x58, 0, 1)
    FLD(FLX_SUB, 0x5C, 0, 1)
    FLD(FLX_MUL, 0x59, 0, 1)
    FLD(FLX_DIV, 0x5E, 0, 1)
    FLD(FLXR_SUB, 0x5C, 1, 1)
    FLD(FLXR_DIV, 0x5E, 1, 1)
#undef FLD
  case VM_OP_ILD_ADD:
  case VM_OP_ILX_ADD: {
    mem_t m = op == VM_OP_ILD_ADD ? ea(fn, 0, w[3], 0, 0, w[4], 4) : ea(fn, 1, w[3], w[4], 0, w[5], 4);
    mov_rm(b, 0, RCX, S(2));
    alu_rm(b, 0, ALU_ADD, RCX, m);
    mov_mr(b, 1, S(1), RCX);
    return true;
  }

  /* ---- conversions ------------------------------------------------------ */
  case VM_OP_I32_WRAP_I64:
  case VM_OP_I64_EXTEND_I32_U:
  case VM_OP_I32_REINTERPRET_F32:
  case VM_OP_F32_REINTERPRET_I32:
    mov_rm(b, 0, RAX, S(2));
    mov_mr(b, 1, S(1), RAX);
    return true;
  case VM_OP_I64_REINTERPRET_F64:
  case VM_OP_F64_REINTERPRET_I64:
    mov_rm(b, 1, RAX, S(2));
    mov_mr(b, 1, S(1), RAX);
    return true;
  case VM_OP_I64_EXTEND_I32_S:
  case VM_OP_I64_EXTEND32_S:
    op_m(b, 0, 1, 0x63, 1, RAX, S(2));
    mov_mr(b, 1, S(1), RAX);
    return true;
  case VM_OP_I32_EXTEND8_S:
    op_m(b, 0, 0, 0x0FBE, 2, RAX, S(2));
    mov_mr(b, 1, S(1), RAX);
    return true;
  case VM_OP_I32_EXTEND16_S:
    op_m(b, 0, 0, 0x0FBF, 2, RAX, S(2));
    mov_mr(b, 1, S(1), RAX);
    return true;
  case VM_OP_I64_EXTEND8_S:
    op_m(b, 0, 1, 0x0FBE, 2, RAX, S(2));
    mov_mr(b, 1, S(1), RAX);
    return true;
  case VM_OP_I64_EXTEND16_S:
    op_m(b, 0, 1, 0x0FBF, 2, RAX, S(2));
    mov_mr(b, 1, S(1), RAX);
    return true;
  case VM_OP_F64_CONVERT_I32_S:
  case VM_OP_F64_CONVERT_I64_S:
  case VM_OP_F32_CONVERT_I32_S:
  case VM_OP_F32_CONVERT_I64_S: {
    bool d = op == VM_OP_F64_CONVERT_I32_S || op == VM_OP_F64_CONVERT_I64_S;
    bool w64 = op == VM_OP_F64_CONVERT_I64_S || op == VM_OP_F32_CONVERT_I64_S;
    sse_r(b, 0, 0, 0x57, XMM0, XMM0); /* xorps: no false dependency */
    sse_m(b, d ? 0xF2 : 0xF3, w64, 0x2A, XMM0, S(2));
    fstore(b, d, w[1]);
    return true;
  }
  case VM_OP_F64_CONVERT_I32_U:
  case VM_OP_F32_CONVERT_I32_U: {
    bool d = op == VM_OP_F64_CONVERT_I32_U;
    mov_rm(b, 0, RAX, S(2)); /* zero-extended: exact as a signed 64-bit integer */
    sse_r(b, 0, 0, 0x57, XMM0, XMM0);
    sse_r(b, d ? 0xF2 : 0xF3, 1, 0x2A, XMM0, RAX);
    fstore(b, d, w[1]);
    return true;
  }
  case VM_OP_F64_PROMOTE_F32:
    sse_m(b, 0xF3, 0, 0x5A, XMM0, S(2));
    fstore(b, true, w[1]);
    return true;
  case VM_OP_F32_DEMOTE_F64:
    sse_m(b, 0xF2, 0, 0x5A, XMM0, S(2));
    fstore(b, false, w[1]);
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
    mov_mr(b, 1, S(1), RAX);
    op_r(b, 0, 0, 0x85, 1, RAX, RAX);
    branch(fn, op == VM_OP_LD8U_BR_IF || op == VM_OP_LD32_BR_IF ? CC_NE : CC_E, w[4], pc);
    return true;
  }
  case VM_OP_ADD_BR_IF:
  case VM_OP_ADD_BR_UNLESS:
  case VM_OP_SUB_BR_IF:
  case VM_OP_SUB_BR_UNLESS: {
    bool add = op == VM_OP_ADD_BR_IF || op == VM_OP_ADD_BR_UNLESS;
    mov_rm(b, 0, RAX, S(2));
    alu_rm(b, 0, add ? ALU_ADD : ALU_SUB, RAX, S(3));
    mov_mr(b, 1, S(1), RAX);
    op_r(b, 0, 0, 0x85, 1, RAX, RAX);
    branch(fn, op == VM_OP_ADD_BR_IF || op == VM_OP_SUB_BR_IF ? CC_NE : CC_E, w[4], pc);
    return true;
  }
#define ARITH_BRCMP(AOP, name, cc)                                                                           \
  case VM_OP_##AOP##_BR_I32_##name:                                                                          \
    mov_rm(b, 0, RAX, S(2));                                                                                 \
    alu_rm(b, 0, ALU_##AOP, RAX, S(3));                                                                      \
    mov_mr(b, 1, S(1), RAX);                                                                                 \
    alu_rm(b, 0, ALU_CMP, RAX, S(4));                                                                        \
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
