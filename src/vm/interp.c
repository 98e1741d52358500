/* SPDX-License-Identifier: Apache-2.0 */
/*
 * interp.c - the interpreter: runs the compiled internal code of ir.h.  It
 * owns the dispatch loop (computed goto under GCC/Clang, a switch elsewhere,
 * both from one source through the vmdispatch/vmcase/vmbreak macros), the
 * explicit frame stack (no C recursion per wasm call), calls to wasm, host and
 * indirect functions, bounds-checked memory and table access, and the single
 * exit path of traps.  The exact numeric semantics live in numeric.h; the
 * heavier runtime operations (grow, segment init, host calls) in instance.c.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vm/numeric.h"
#include "vm/runtime.h"
#include "vm/memx.h"
#include "vm/exn.h"
#include "vm/simd.h"

#if defined(__GNUC__) && !defined(VM_NO_COMPUTED_GOTO)
#define VM_COMPUTED_GOTO 1
#else
#define VM_COMPUTED_GOTO 0
#endif

#if defined(__GNUC__)
#define VM_LIKELY(x) __builtin_expect(!!(x), 1)
#define VM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define VM_LIKELY(x) (x)
#define VM_UNLIKELY(x) (x)
#endif

/*
 * Dispatch.  With labels-as-values every handler ends in its own indirect
 * jump (better branch prediction than one shared switch jump); the switch
 * fallback compiles the same handlers as cases of a loop.
 */
#if defined(VM_PROFILE)
/* Profiling build (-DVM_PROFILE, cmake -DWAPC_PROFILE=ON): counts every
 * executed op and every pair of consecutive ops, printed at exit, to pick
 * superinstructions.  Not thread-safe; never in a release build. */
#include <stdlib.h>
static uint64_t prof_ops[VM_OP_COUNT], prof_pairs[VM_OP_COUNT][VM_OP_COUNT];
static unsigned prof_prev;
typedef struct prof_row {
  uint64_t n;
  unsigned a, b;
} prof_row;
static int prof_cmp(const void *x, const void *y) {
  const prof_row *p = x, *q = y;
  return p->n < q->n ? 1 : p->n > q->n ? -1 : 0;
}
static void prof_dump(void) {
  static prof_row rows[VM_OP_COUNT * VM_OP_COUNT];
  size_t n = 0;
  uint64_t total = 0;
  for (unsigned a = 0; a < VM_OP_COUNT; a++) {
    total += prof_ops[a];
    if (prof_ops[a]) rows[n++] = (prof_row){prof_ops[a], a, 0};
  }
  qsort(rows, n, sizeof rows[0], prof_cmp);
  fprintf(stderr, "== ops executed: %" PRIu64 "\n", total);
  for (size_t i = 0; i < n && i < 40; i++)
    fprintf(stderr, "%12" PRIu64 " %5.1f%%  %s\n", rows[i].n, 100.0 * (double)rows[i].n / (double)total,
            vm_op_name((vm_op)rows[i].a));
  n = 0;
  for (unsigned a = 0; a < VM_OP_COUNT; a++)
    for (unsigned b = 0; b < VM_OP_COUNT; b++)
      if (prof_pairs[a][b]) rows[n++] = (prof_row){prof_pairs[a][b], a, b};
  qsort(rows, n, sizeof rows[0], prof_cmp);
  fprintf(stderr, "== pairs\n");
  for (size_t i = 0; i < n && i < 40; i++)
    fprintf(stderr, "%12" PRIu64 " %5.1f%%  %s -> %s\n", rows[i].n, 100.0 * (double)rows[i].n / (double)total,
            vm_op_name((vm_op)rows[i].a), vm_op_name((vm_op)rows[i].b));
}
static void prof_hit(unsigned op) {
  static int registered;
  if (!registered) {
    registered = 1;
    atexit(prof_dump);
  }
  prof_ops[op]++;
  prof_pairs[prof_prev][op]++;
  prof_prev = op;
}
#define PROF_HIT(op) prof_hit(op)
#else
#define PROF_HIT(op) ((void)0)
#endif

/*
 * Direct threading: with computed goto (and not profiling), vm_ir_thread()
 * rewrites each opcode word of compiled code into its handler's offset from
 * the first handler, so a dispatch is one add and one indirect jump, with no
 * table lookup.
 */
#if VM_COMPUTED_GOTO && !defined(VM_PROFILE)
#define VM_THREADED 1
#else
#define VM_THREADED 0
#endif

#if VM_THREADED
#define vmdispatch(o) goto *(const void *)(hbase + (int32_t)(o));
#define vmcase(name) L_##name:
#define vmbreak goto *(const void *)(hbase + (int32_t)*ip)
#elif VM_COMPUTED_GOTO
#define vmdispatch(o)                                                                                        \
  PROF_HIT(o);                                                                                               \
  goto *vm_labels[o];
#define vmcase(name) L_##name:
#define vmbreak                                                                                              \
  do {                                                                                                       \
    PROF_HIT(*ip);                                                                                           \
    goto *vm_labels[*ip];                                                                                    \
  } while (0)
#else
#define vmdispatch(o) switch (o)
#define vmcase(name) case VM_OP_##name:
#define vmbreak continue
#endif

/*
 * Interruption points: function entry and loop back-edges (a branch to a
 * lower or equal address), the only places where unbounded execution can
 * loop.  Each charges `tick` (a register copy of s->guard.tick): one unit per
 * entry, one plus the body's length in words per back-edge, so fuel follows
 * the work done.  The hot path is one subtract and one sign test; when the
 * slice is spent, `guard` polls the interrupt flag, the deadline and the
 * fuel (store.c) and either continues at ip or traps.
 */
#define VM_ENTRY_POINT()                                                                                     \
  do {                                                                                                       \
    if (VM_UNLIKELY(--tick < 0)) goto guard;                                                                 \
  } while (0)
#define VM_BACKEDGE_POINT(from, to)                                                                          \
  do {                                                                                                       \
    tick -= (from) - (to) + 1;                                                                               \
    ip = (to);                                                                                               \
    if (VM_UNLIKELY(tick < 0)) goto guard;                                                                   \
  } while (0)

/* Operand access: operand word k of the current instruction names a slot. */
#define R32(k) ((uint32_t)fp[ip[k]])
#define R64(k) (fp[ip[k]])
#define RF32(k) vm_f32_from_bits(R32(k))
#define RF64(k) vm_f64_from_bits(R64(k))
#define W32(k, v) (fp[ip[k]] = (uint64_t)(uint32_t)(v))
#define W64(k, v) (fp[ip[k]] = (uint64_t)(v))
#define WF32(k, v) W32(k, vm_f32_bits(v))
#define WF64(k, v) W64(k, vm_f64_bits(v))

/* Memory 0 of the current instance into locals.  The base never moves, but
 * the size changes with memory.grow, so this runs after every grow and host
 * call, and when a call or return changes the instance (a grow by a callee of
 * the same instance has already reloaded these registers). */
#define RELOAD_MEM()                                                                                         \
  do {                                                                                                       \
    vm_memory *m_ = inst->memory;                                                                            \
    mb = m_ ? m_->data : NULL;                                                                               \
    ms = m_ ? m_->size : 0;                                                                                  \
  } while (0)

#define TRAP(t)                                                                                              \
  do {                                                                                                       \
    trap = (t);                                                                                              \
    goto trap_exit;                                                                                          \
  } while (0)

#define JUMP(target)                                                                                         \
  do {                                                                                                       \
    const vm_word *t_ = cb + (target);                                                                       \
    if (t_ <= ip)                                                                                            \
      VM_BACKEDGE_POINT(ip, t_);                                                                             \
    else                                                                                                     \
      ip = t_;                                                                                               \
  } while (0)

/* After a bulk operation whose count is operand word k (exec.h: vm_bulk_count): charge it, move past
 * the instruction, and poll when the slice is spent. */
#define BULK_CHARGE(k, words)                                                                                \
  do {                                                                                                       \
    tick -= (int64_t)(R32(k) >> VM_BULK_FUEL_SHIFT);                                                         \
    ip += (words);                                                                                           \
    if (VM_UNLIKELY(tick < 0)) goto guard;                                                                   \
  } while (0)

/* A call to a function this loop does not run itself: a host function, or
 * one the compiler tier runs (exec.h: vm_call_function).  Nested invocations
 * from the host run above this frame.  An exception it lets out unwinds from
 * here (ip is past the call: the site of exn.h). */
#define CALL_OTHER(fn, args)                                                                                 \
  do {                                                                                                       \
    vm_result r_;                                                                                            \
    s->exec.depth = (uint32_t)(top - s->exec.frames);                                                        \
    s->guard.tick = tick;                                                                                    \
    r_ = vm_call_function(s, (fn), inst, (args), fp + code->nslots);                                         \
    tick = s->guard.tick;                                                                                    \
    if (VM_UNLIKELY(r_ != VM_OK)) {                                                                          \
      if (vm_exn_pending(s, r_)) goto unwind; /* a handler here or further out may catch it */               \
      res = r_;                                                                                              \
      TRAP(VM_TRAP_HOST);                                                                                    \
    }                                                                                                        \
    RELOAD_MEM();                                                                                            \
  } while (0)

/* Whether the loop leaves a call to vm_call_function: host functions, and
 * compiled ones when the compiler tier is built in. */
#if WAPC_JIT
#define RUNS_ELSEWHERE(f) ((f)->code == NULL || (f)->code->native != NULL)
#else
#define RUNS_ELSEWHERE(f) ((f)->code == NULL)
#endif

/* Handler shapes.  FN is an expression macro or inline function. */
#define OP_DS(name, W, R, FN)                                                                                \
  vmcase(name) {                                                                                             \
    W(1, FN(R(2)));                                                                                          \
    ip += VM_OP_WORDS_##name;                                                                                \
    vmbreak;                                                                                                 \
  }
#define OP_DSS(name, W, R, FN)                                                                               \
  vmcase(name) {                                                                                             \
    W(1, FN(R(2), R(3)));                                                                                    \
    ip += VM_OP_WORDS_##name;                                                                                \
    vmbreak;                                                                                                 \
  }
/* Fused compare-and-branch: [op, a, b, target]. */
#define OP_BRCMP(name, CMP)                                                                                  \
  vmcase(name) {                                                                                             \
    if (CMP(R32(1), R32(2)))                                                                                 \
      JUMP(ip[3]);                                                                                           \
    else                                                                                                     \
      ip += VM_OP_WORDS_##name;                                                                              \
    vmbreak;                                                                                                 \
  }
/* Trapping division and float->int truncation: FN returns a vm_trap. */
#define OP_DSS_TRAP(name, T, W, R, FN)                                                                       \
  vmcase(name) {                                                                                             \
    T r_ = 0;                                                                                                \
    vm_trap t_ = FN(R(2), R(3), &r_);                                                                        \
    if (VM_UNLIKELY(t_ != VM_TRAP_NONE)) TRAP(t_);                                                           \
    W(1, r_);                                                                                                \
    ip += VM_OP_WORDS_##name;                                                                                \
    vmbreak;                                                                                                 \
  }
#define OP_DS_TRAP(name, T, W, R, FN)                                                                        \
  vmcase(name) {                                                                                             \
    T r_ = 0;                                                                                                \
    vm_trap t_ = FN(R(2), &r_);                                                                              \
    if (VM_UNLIKELY(t_ != VM_TRAP_NONE)) TRAP(t_);                                                           \
    W(1, r_);                                                                                                \
    ip += VM_OP_WORDS_##name;                                                                                \
    vmbreak;                                                                                                 \
  }
/* Effective addresses from operand words: fp[a] + offset, (u32)(fp[a] +
 * fp[b]) + offset, (u32)(fp[a] + (fp[b] << k)) + offset; all below 2^33, so
 * `ea + N <= ms` in 64-bit arithmetic cannot overflow. */
#define EA(a, o) ((uint64_t)(uint32_t)fp[ip[a]] + ip[o])
#define EA_X(a, b, o) ((uint64_t)(uint32_t)(fp[ip[a]] + fp[ip[b]]) + ip[o])
#define EA_XS(a, b, k, o)                                                                                    \
  ((uint64_t)(uint32_t)((uint32_t)fp[ip[a]] + ((uint32_t)fp[ip[b]] << (fp[ip[k]] & 31))) + ip[o])

/* A load of N bytes at address EAE into slot word 1 (W, FN: how), and a
 * store of the value in slot word VAL. */
#define OP_LOAD_AT(name, N, W, FN, EAE)                                                                      \
  vmcase(name) {                                                                                             \
    uint64_t ea_ = EAE;                                                                                      \
    if (VM_UNLIKELY(ea_ + (N) > ms)) goto oob;                                                               \
    W(1, FN(mb + ea_));                                                                                      \
    ip += VM_OP_WORDS_##name;                                                                                \
    vmbreak;                                                                                                 \
  }
#define OP_STORE_AT(name, N, FN, EAE, VAL)                                                                   \
  vmcase(name) {                                                                                             \
    uint64_t ea_ = EAE;                                                                                      \
    if (VM_UNLIKELY(ea_ + (N) > ms)) goto oob;                                                               \
    FN(mb + ea_, fp[ip[VAL]]);                                                                               \
    ip += VM_OP_WORDS_##name;                                                                                \
    vmbreak;                                                                                                 \
  }
/* [op, d, addr, offset] and [op, addr, value, offset] */
#define OP_LOAD(name, N, W, FN) OP_LOAD_AT(name, N, W, FN, EA(2, 3))
#define OP_STORE(name, N, FN) OP_STORE_AT(name, N, FN, EA(1, 3), 2)
/* [op, d, a, b, offset] and [op, a, b, value, offset]: address (u32)(fp[a] + fp[b]) */
#define OP_LOADX(name, N, W, FN) OP_LOAD_AT(name, N, W, FN, EA_X(2, 3, 4))
#define OP_STOREX(name, N, FN) OP_STORE_AT(name, N, FN, EA_X(1, 2, 4), 3)
/* [op, d, a, b, k, offset] and [op, a, b, k, value, offset]: address (u32)(fp[a] + (fp[b] << k)) */
#define OP_LOADXS(name, N, W, FN) OP_LOAD_AT(name, N, W, FN, EA_XS(2, 3, 4, 5))
#define OP_STOREXS(name, N, FN) OP_STORE_AT(name, N, FN, EA_XS(1, 2, 3, 5), 4)
/* [op, d, a, offset, t]: a load of N bytes into fp[d], then jump if it is
 * (NOT: is not) zero. */
#define OP_LOAD_BRIF(name, N, FN, NOT)                                                                       \
  vmcase(name) {                                                                                             \
    uint64_t ea_ = EA(2, 3);                                                                                 \
    if (VM_UNLIKELY(ea_ + (N) > ms)) goto oob;                                                               \
    uint32_t v_ = FN(mb + ea_);                                                                              \
    W32(1, v_);                                                                                              \
    if (NOT v_)                                                                                              \
      JUMP(ip[4]);                                                                                           \
    else                                                                                                     \
      ip += VM_OP_WORDS_##name;                                                                              \
    vmbreak;                                                                                                 \
  }
/* [op, d, a, b, t]: fp[d] = a AOP b, then jump if it is (NOT: is not) zero. */
#define OP_ARITH_BRIF(name, AOP, NOT)                                                                        \
  vmcase(name) {                                                                                             \
    uint32_t r_ = AOP(R32(2), R32(3));                                                                       \
    W32(1, r_);                                                                                              \
    if (NOT r_)                                                                                              \
      JUMP(ip[4]);                                                                                           \
    else                                                                                                     \
      ip += VM_OP_WORDS_##name;                                                                              \
    vmbreak;                                                                                                 \
  }
/* [op, d, a, b, c, t]: fp[d] = a AOP b, then jump if fp[d] CMP fp[c] (c read
 * after the write, as the separate compare would). */
#define OP_ARITH_BRCMP(name, AOP, CMP)                                                                       \
  vmcase(name) {                                                                                             \
    uint32_t r_ = AOP(R32(2), R32(3));                                                                       \
    W32(1, r_);                                                                                              \
    if (CMP(r_, R32(4)))                                                                                     \
      JUMP(ip[5]);                                                                                           \
    else                                                                                                     \
      ip += VM_OP_WORDS_##name;                                                                              \
    vmbreak;                                                                                                 \
  }

/* An operator with a value loaded at EAE: fp[d] = c OPB loaded (LEFT: loaded
 * OPB c), T the operand type.  FLD_ and ILD_ADD: [op, d, c, a, offset];
 * FLX_ and ILX_ADD: [op, d, c, a, b, offset]. */
#define OP_WITH_LOAD(name, T, LD, RD, WR, OPB, LEFT, EAE)                                                    \
  vmcase(name) {                                                                                             \
    uint64_t ea_ = EAE;                                                                                      \
    if (VM_UNLIKELY(ea_ + sizeof(T) > ms)) goto oob;                                                         \
    T m_ = LD(mb + ea_), c_ = RD(2);                                                                         \
    WR(1, LEFT ? OPB(m_, c_) : OPB(c_, m_));                                                                 \
    ip += VM_OP_WORDS_##name;                                                                                \
    vmbreak;                                                                                                 \
  }
#define LDF64(p) vm_f64_from_bits(vm_load64(p))
#define OP_FLD(name, OPB, LEFT) OP_WITH_LOAD(name, double, LDF64, RF64, WF64, OPB, LEFT, EA(3, 4))
#define OP_FLX(name, OPB, LEFT) OP_WITH_LOAD(name, double, LDF64, RF64, WF64, OPB, LEFT, EA_X(3, 4, 5))

/* The i32 operators of fused pairs (ir.h VM_I32_FUSED), on uint32_t. */
#define FUSE_ADD(a, b) ((a) + (b))
#define FUSE_SUB(a, b) ((a) - (b))
#define FUSE_MUL(a, b) ((a) * (b))
#define FUSE_AND(a, b) ((a) & (b))
#define FUSE_OR(a, b) ((a) | (b))
#define FUSE_XOR(a, b) ((a) ^ (b))
#define FUSE_SHL(a, b) vm_shl32((a), (b))
#define FUSE_SHR_S(a, b) vm_shrs32((a), (b))
#define FUSE_SHR_U(a, b) vm_shru32((a), (b))
#define FUSE_ROTL(a, b) vm_rotl32((a), (b))
#define FUSE_ROTR(a, b) vm_rotr32((a), (b))
#define FUSE_DIV(a, b) ((a) / (b))

/* Expression helpers for the handler shapes. */
#define ID(a) (a)
#define ADD(a, b) ((a) + (b))
#define SUB(a, b) ((a) - (b))
#define MUL(a, b) ((a) * (b))
#define DIV(a, b) ((a) / (b))
#define AND(a, b) ((a) & (b))
#define OR(a, b) ((a) | (b))
#define XOR(a, b) ((a) ^ (b))
#define EQZ(a) ((a) == 0)
#define EQ(a, b) ((a) == (b))
#define NE(a, b) ((a) != (b))
#define LT(a, b) ((a) < (b))
#define GT(a, b) ((a) > (b))
#define LE(a, b) ((a) <= (b))
#define GE(a, b) ((a) >= (b))
#define LTS32(a, b) (vm_s32(a) < vm_s32(b))
#define GTS32(a, b) (vm_s32(a) > vm_s32(b))
#define LES32(a, b) (vm_s32(a) <= vm_s32(b))
#define GES32(a, b) (vm_s32(a) >= vm_s32(b))
#define LTS64(a, b) (vm_s64(a) < vm_s64(b))
#define GTS64(a, b) (vm_s64(a) > vm_s64(b))
#define LES64(a, b) (vm_s64(a) <= vm_s64(b))
#define GES64(a, b) (vm_s64(a) >= vm_s64(b))
#define TO_F32(a) ((float)(a))
#define TO_F64(a) ((double)(a))

#define LD8S32(p) vm_ext8_32(*(p))
#define LD8U(p) (*(p))
#define LD16S32(p) vm_ext16_32(vm_load16(p))
#define LD8S64(p) vm_ext8_64(*(p))
#define LD16S64(p) vm_ext16_64(vm_load16(p))
#define LD32S64(p) vm_ext32_64(vm_load32(p))
#define ST8(p, v) (*(p) = (uint8_t)(v))
#define ST16(p, v) vm_store16((p), (uint16_t)(v))
#define ST32(p, v) vm_store32((p), (uint32_t)(v))
#define ST64(p, v) vm_store64((p), (v))

/* A function's constants into their frame slots, on entry (restrict: the
 * copy vectorises). */
static inline void enter_consts(uint64_t *restrict dst, const vm_code *cc) {
  const uint32_t *restrict c32 = cc->consts32;
  const uint64_t *restrict c64 = cc->consts64;
  uint32_t n32 = cc->nconsts32, n64 = cc->nconsts - n32;
  for (uint32_t i = 0; i < n32; i++)
    dst[i] = c32[i];
  for (uint32_t i = 0; i < n64; i++)
    dst[n32 + i] = c64[i];
}

/* Labels as values and `goto *` are GNU extensions, used on purpose here. */
#if VM_COMPUTED_GOTO
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wgnu-label-as-value"
#endif
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#endif

/* The interpreter; called with `handlers` set, it only reports its table of
 * handler offsets (direct threading) and returns. */
static vm_result interp(vm_store *store, vm_func *f, uint64_t *fp, const int32_t **handlers) {
#if VM_THREADED
  static const int32_t vm_offsets[VM_OP_COUNT] = {
#define VM_IROP(name, fmt) (int32_t)((const char *)&&L_##name - (const char *)&&L_UNREACHABLE),
#include "vm/ir.def"
#undef VM_IROP
#define VM_NUMOP(name, fmt, in1, in2, out, size)                                                             \
  (int32_t)((const char *)&&L_##name - (const char *)&&L_UNREACHABLE),
#include "vm/numops.def"
#undef VM_NUMOP
#define VM_FUSED_OFF(A, B) (int32_t)((const char *)&&L_F_##A##_##B - (const char *)&&L_UNREACHABLE),
      VM_I32_FUSED(VM_FUSED_OFF)
#undef VM_FUSED_OFF
#define VM_FUSED_OFF(A, B) (int32_t)((const char *)&&L_FD_##A##_##B - (const char *)&&L_UNREACHABLE),
          VM_F64_FUSED(VM_FUSED_OFF)
#undef VM_FUSED_OFF
  };
  const char *const hbase = (const char *)&&L_UNREACHABLE;
  if (handlers) {
    *handlers = vm_offsets;
    return VM_OK;
  }
#elif VM_COMPUTED_GOTO
  static const void *const vm_labels[VM_OP_COUNT] = {
#define VM_IROP(name, fmt) &&L_##name,
#include "vm/ir.def"
#undef VM_IROP
#define VM_NUMOP(name, fmt, in1, in2, out, size) &&L_##name,
#include "vm/numops.def"
#undef VM_NUMOP
#define VM_FUSED_LABEL(A, B) &&L_F_##A##_##B,
      VM_I32_FUSED(VM_FUSED_LABEL)
#undef VM_FUSED_LABEL
#define VM_FUSED_LABEL(A, B) &&L_FD_##A##_##B,
          VM_F64_FUSED(VM_FUSED_LABEL)
#undef VM_FUSED_LABEL
  };
  if (handlers) {
    *handlers = NULL;
    return VM_OK;
  }
#else
  if (handlers) {
    *handlers = NULL;
    return VM_OK;
  }
#endif
  /* Register pressure decides this loop's speed: the hot locals (ip, fp,
   * cb, mb, ms, the label table) must stay in registers.  State used only by
   * calls and traps is kept out of them: `s` and `code` are volatile so the
   * compiler keeps them in memory, and the entry depth is not kept at all
   * (the entry frame is the one whose ret_ip is NULL). */
  vm_store *volatile s = store;
  uint64_t *const volatile stack_end = store->exec.stack_end;
  const vm_frame *const volatile frames_end = store->exec.frames + store->exec.max_depth;
  vm_frame *top = store->exec.frames + store->exec.depth; /* next free frame */
  const vm_code *volatile code = f->code;
  const vm_code *const entry_code = f->code;
  vm_instance *inst = f->inst;
  const vm_word *cb = NULL; /* code base: branch targets are relative to it */
  const vm_word *ip = NULL;
  uint8_t *mb = NULL; /* memory 0 base and size in bytes */
  uint64_t ms = 0;
  vm_func *callee = NULL; /* set before `goto do_call` */
  uint64_t *nfp = NULL;
  vm_trap trap = VM_TRAP_NONE;
  vm_result res = VM_ERR_TRAP;
  int64_t tick = store->guard.tick; /* fuel units to the next poll */

  if (VM_UNLIKELY(top >= frames_end || fp < store->exec.stack || fp > stack_end ||
                  (size_t)(stack_end - fp) < entry_code->nslots))
    return vm_error_trap(&store->error, VM_TRAP_STACK_EXHAUSTED);
  /* The entry frame: returning through it leaves the interpreter. */
  top->ret_ip = NULL;
  top->fp = fp;
  top->code = NULL;
  top->inst = NULL;
  top++;
  for (uint32_t i = entry_code->nparams; i < entry_code->nlocals; i++)
    fp[i] = 0;
  enter_consts(fp + entry_code->const_base, entry_code);
  cb = ip = entry_code->code;
  RELOAD_MEM();
  VM_ENTRY_POINT();

  for (;;) {
    /* Dispatch of the instruction at ip; `guard` below continues here. */
    vmdispatch(*ip) {
      /* ---- control ---------------------------------------------------- */
      vmcase(UNREACHABLE) {
        TRAP(VM_TRAP_UNREACHABLE);
      }
      vmcase(BR) {
        JUMP(ip[1]);
        vmbreak;
      }
      vmcase(BR_IF) {
        if (R32(1))
          JUMP(ip[2]);
        else
          ip += VM_OP_WORDS_BR_IF;
        vmbreak;
      }
      vmcase(BR_UNLESS) {
        if (!R32(1))
          JUMP(ip[2]);
        else
          ip += VM_OP_WORDS_BR_UNLESS;
        vmbreak;
      }
      OP_BRCMP(BR_I32_EQ, EQ)
      OP_BRCMP(BR_I32_NE, NE)
      OP_BRCMP(BR_I32_LT_S, LTS32)
      OP_BRCMP(BR_I32_LT_U, LT)
      OP_BRCMP(BR_I32_GT_S, GTS32)
      OP_BRCMP(BR_I32_GT_U, GT)
      OP_BRCMP(BR_I32_LE_S, LES32)
      OP_BRCMP(BR_I32_LE_U, LE)
      OP_BRCMP(BR_I32_GE_S, GES32)
      OP_BRCMP(BR_I32_GE_U, GE)
      vmcase(BR_TABLE) {
        uint32_t i = R32(1), n = ip[2];
        if (i > n) i = n;
        JUMP(ip[3 + i]);
        vmbreak;
      }
      vmcase(RETURN) {
      do_return:;
        const vm_frame *fr = --top;
        if (VM_UNLIKELY(fr->ret_ip == NULL)) goto done;
        ip = fr->ret_ip;
        fp = fr->fp;
        code = fr->code;
        cb = code->code;
        /* mb/ms are current for the instance they belong to (every grow
         * and host call reloads them): only a change of instance reloads. */
        if (VM_UNLIKELY(fr->inst != inst)) {
          inst = fr->inst;
          RELOAD_MEM();
        }
        vmbreak;
      }
      vmcase(CALL) {
        callee = inst->funcs[ip[1]];
        nfp = fp + ip[2];
        ip += VM_OP_WORDS_CALL;
        if (VM_UNLIKELY(RUNS_ELSEWHERE(callee))) {
          CALL_OTHER(callee, nfp);
          vmbreak;
        }
        goto do_call;
      }
      vmcase(RETURN_CALL) {
        callee = inst->funcs[ip[1]];
        nfp = fp + ip[2];
        goto do_tail_call;
      }
      vmcase(RETURN_CALL_INDIRECT) {
        vm_trap ct_ = VM_TRAP_NONE;
        callee = vm_table_callee(s, inst->tables[ip[2]], &inst->module->types[ip[1]], fp[ip[4]], &ct_);
        if (VM_UNLIKELY(callee == NULL)) TRAP(ct_);
        nfp = fp + ip[3];
        goto do_tail_call;
      }
      vmcase(CALL_REF) {
        callee = (vm_func *)(uintptr_t)fp[ip[3]];
        if (VM_UNLIKELY(callee == NULL)) TRAP(VM_TRAP_NULL_FUNCREF);
        nfp = fp + ip[2];
        ip += VM_OP_WORDS_CALL_REF;
        if (RUNS_ELSEWHERE(callee)) {
          CALL_OTHER(callee, nfp);
          vmbreak;
        }
        goto do_call;
      }
      vmcase(RETURN_CALL_REF) {
        callee = (vm_func *)(uintptr_t)fp[ip[3]];
        if (VM_UNLIKELY(callee == NULL)) TRAP(VM_TRAP_NULL_FUNCREF);
        nfp = fp + ip[2];
        goto do_tail_call;
      }
      vmcase(BR_ON_NULL) {
        if (fp[ip[1]] == 0)
          JUMP(ip[2]);
        else
          ip += VM_OP_WORDS_BR_ON_NULL;
        vmbreak;
      }
      vmcase(BR_ON_NON_NULL) {
        if (fp[ip[1]] != 0)
          JUMP(ip[2]);
        else
          ip += VM_OP_WORDS_BR_ON_NON_NULL;
        vmbreak;
      }
      vmcase(REF_AS_NON_NULL) {
        if (VM_UNLIKELY(fp[ip[2]] == 0)) TRAP(VM_TRAP_NULL_REFERENCE);
        fp[ip[1]] = fp[ip[2]];
        ip += VM_OP_WORDS_REF_AS_NON_NULL;
        vmbreak;
      }
      vmcase(CALL_INDIRECT) {
        vm_trap ct_ = VM_TRAP_NONE;
        callee = vm_table_callee(s, inst->tables[ip[2]], &inst->module->types[ip[1]], fp[ip[4]], &ct_);
        if (VM_UNLIKELY(callee == NULL)) TRAP(ct_);
        nfp = fp + ip[3];
        ip += VM_OP_WORDS_CALL_INDIRECT;
        if (RUNS_ELSEWHERE(callee)) {
          CALL_OTHER(callee, nfp);
          vmbreak;
        }
        goto do_call;
      }
      /* ---- exception handling (exn.h) ---------------------------------------- */
      vmcase(THROW) {
        const vm_tag *tag_ = inst->tags[ip[1]];
        ip += VM_OP_WORDS_THROW; /* the site: past the instruction */
        s->guard.tick = tick;
        if (VM_UNLIKELY(!vm_exn_throw(s, tag_, fp + ip[-1], fp + code->nslots))) {
          res = VM_ERR_TRAP;
          TRAP(VM_TRAP_HOST); /* the trap is recorded */
        }
        goto unwind;
      }
      vmcase(THROW_REF) {
        vm_exn *e_ = (vm_exn *)(uintptr_t)fp[ip[1]];
        if (VM_UNLIKELY(e_ == NULL)) TRAP(VM_TRAP_NULL_EXNREF);
        ip += VM_OP_WORDS_THROW_REF;
        vm_exn_rethrow(s, e_);
        goto unwind;
      }
      vmcase(CATCH) {
        const vm_exn *e_ = s->exec.exn;
        memcpy(fp + ip[1], e_->slots, (size_t)ip[2] * sizeof *fp);
        vm_exn_caught(s);
        ip += VM_OP_WORDS_CATCH;
        vmbreak;
      }
      vmcase(CATCH_REF) {
        vm_exn *e_ = s->exec.exn;
        memcpy(fp + ip[1], e_->slots, (size_t)ip[2] * sizeof *fp);
        fp[ip[3]] = (uint64_t)(uintptr_t)e_;
        vm_exn_caught(s);
        ip += VM_OP_WORDS_CATCH_REF;
        vmbreak;
      }

    /* A tail call of `callee`, its arguments at `nfp`: a function this loop runs takes over this
     * frame (its arguments moved down to slot 0, no frame pushed: constant stack space); another one
     * (a host function, machine code) is called, then this function returns what it returned. */
    do_tail_call : {
      if (VM_UNLIKELY(RUNS_ELSEWHERE(callee))) {
        uint32_t nres = code->nresults;
        ip = cb; /* this frame is done: an exception from the callee is not caught here (site 0) */
        CALL_OTHER(callee, nfp);
        memmove(fp, nfp, (size_t)nres * sizeof *fp);
        goto do_return;
      }
      if (VM_UNLIKELY((size_t)(stack_end - fp) < callee->code->nslots)) TRAP(VM_TRAP_STACK_EXHAUSTED);
      memmove(fp, nfp, (size_t)callee->code->nparams * sizeof *fp);
      nfp = fp; /* no frame pushed: the callee's frame is this one */
      goto do_enter;
    }
    /* Enter wasm function `callee` with its frame at `nfp`; ip is already
     * the caller's resume address.  Reached only by goto. */
    do_call : {
      const vm_code *cc = callee->code;
      if (VM_UNLIKELY(top >= frames_end || (size_t)(stack_end - nfp) < cc->nslots))
        TRAP(VM_TRAP_STACK_EXHAUSTED);
      top->ret_ip = ip;
      top->fp = fp;
      top->code = code;
      top->inst = inst;
      top++;
    }
    do_enter : {
      const vm_code *cc = callee->code;
      fp = nfp;
      code = cc;
      for (uint32_t i = cc->nparams; i < cc->nlocals; i++)
        fp[i] = 0;
      enter_consts(fp + cc->const_base, cc);
      cb = ip = cc->code;
      if (VM_UNLIKELY(callee->inst != inst)) {
        inst = callee->inst;
        RELOAD_MEM();
      }
      VM_ENTRY_POINT();
      vmbreak;
    }

      /* ---- data movement ---------------------------------------------- */
      vmcase(MOV2) {
        fp[ip[1]] = fp[ip[2]];
        fp[ip[3]] = fp[ip[4]];
        ip += VM_OP_WORDS_MOV2;
        vmbreak;
      }
      vmcase(ADD2) {
        W32(4, R32(5) + R32(6));
        W32(1, R32(2) + R32(3));
        ip += VM_OP_WORDS_ADD2;
        vmbreak;
      }
      vmcase(MOV3) {
        fp[ip[1]] = fp[ip[2]];
        fp[ip[3]] = fp[ip[4]];
        fp[ip[5]] = fp[ip[6]];
        ip += VM_OP_WORDS_MOV3;
        vmbreak;
      }
      vmcase(MOV4) {
        fp[ip[1]] = fp[ip[2]];
        fp[ip[3]] = fp[ip[4]];
        fp[ip[5]] = fp[ip[6]];
        fp[ip[7]] = fp[ip[8]];
        ip += VM_OP_WORDS_MOV4;
        vmbreak;
      }
      vmcase(MOV) {
        fp[ip[1]] = fp[ip[2]];
        ip += VM_OP_WORDS_MOV;
        vmbreak;
      }
      vmcase(CONST32) {
        fp[ip[1]] = ip[2];
        ip += VM_OP_WORDS_CONST32;
        vmbreak;
      }
      vmcase(CONST64) {
        fp[ip[1]] = (uint64_t)ip[2] | (uint64_t)ip[3] << 32;
        ip += VM_OP_WORDS_CONST64;
        vmbreak;
      }
      vmcase(SELECT) {
        fp[ip[1]] = R32(4) ? fp[ip[2]] : fp[ip[3]];
        ip += VM_OP_WORDS_SELECT;
        vmbreak;
      }
      vmcase(GLOBAL_GET) {
        fp[ip[1]] = inst->globals[ip[2]]->value;
        ip += VM_OP_WORDS_GLOBAL_GET;
        vmbreak;
      }
      vmcase(GLOBAL_SET) {
        inst->globals[ip[2]]->value = fp[ip[1]];
        ip += VM_OP_WORDS_GLOBAL_SET;
        vmbreak;
      }

      /* ---- v128: simd.c runs every instruction (as for the compiled code) ---- */
#define SIMD_CASE(name)                                                                                      \
  vmcase(name) {                                                                                             \
    vm_trap t_ = vm_simd_exec(VM_OP_##name, ip, fp, inst);                                                   \
    if (VM_UNLIKELY(t_ != VM_TRAP_NONE)) TRAP(t_);                                                           \
    ip += VM_OP_WORDS_##name;                                                                                \
    vmbreak;                                                                                                 \
  }
      SIMD_CASE(V128_CONST)
      SIMD_CASE(V128_UN)
      SIMD_CASE(V128_BIN)
      SIMD_CASE(V128_BITSELECT)
      SIMD_CASE(V128_TER)
      SIMD_CASE(V128_TEST)
      SIMD_CASE(V128_SHIFT)
      SIMD_CASE(V128_SPLAT)
      SIMD_CASE(V128_EXTRACT)
      SIMD_CASE(V128_REPLACE)
      SIMD_CASE(V128_SHUFFLE)
      SIMD_CASE(V128_LOAD)
      SIMD_CASE(V128_STORE)
      SIMD_CASE(V128_LOAD_LANE)
      SIMD_CASE(V128_STORE_LANE)
      SIMD_CASE(V128_SELECT)
      SIMD_CASE(V128_GLOBAL_GET)
      SIMD_CASE(V128_GLOBAL_SET)
#undef SIMD_CASE

      /* ---- references -------------------------------------------------- */
      vmcase(REF_NULL) {
        fp[ip[1]] = 0;
        ip += VM_OP_WORDS_REF_NULL;
        vmbreak;
      }
      vmcase(REF_IS_NULL) {
        W32(1, fp[ip[2]] == 0);
        ip += VM_OP_WORDS_REF_IS_NULL;
        vmbreak;
      }
      vmcase(REF_FUNC) {
        fp[ip[1]] = (uint64_t)(uintptr_t)inst->funcs[ip[2]];
        ip += VM_OP_WORDS_REF_FUNC;
        vmbreak;
      }

      /* ---- memory 0 ----------------------------------------------------- */
      vmcase(MEMORY_SIZE) {
        W32(1, inst->memory->pages);
        ip += VM_OP_WORDS_MEMORY_SIZE;
        vmbreak;
      }
      vmcase(MEMORY_GROW) {
        W32(1, vm_memory_grow(inst->memory, R32(2)));
        RELOAD_MEM();
        ip += VM_OP_WORDS_MEMORY_GROW;
        vmbreak;
      }
      vmcase(MEMORY_FILL) {
        vm_trap t_ = vm_memory_fill_op(inst->memory, R32(1), R32(2), R32(3));
        if (VM_UNLIKELY(t_ != VM_TRAP_NONE)) TRAP(t_);
        BULK_CHARGE(3, VM_OP_WORDS_MEMORY_FILL);
        vmbreak;
      }
      vmcase(MEMORY_COPY) {
        vm_trap t_ = vm_memory_copy_op(inst->memory, R32(1), R32(2), R32(3));
        if (VM_UNLIKELY(t_ != VM_TRAP_NONE)) TRAP(t_);
        BULK_CHARGE(3, VM_OP_WORDS_MEMORY_COPY);
        vmbreak;
      }
      vmcase(MEMORY_INIT) {
        vm_trap t_ = vm_memory_init_op(inst, ip[1], R32(2), R32(3), R32(4));
        if (VM_UNLIKELY(t_ != VM_TRAP_NONE)) TRAP(t_);
        BULK_CHARGE(4, VM_OP_WORDS_MEMORY_INIT);
        vmbreak;
      }
      vmcase(DATA_DROP) {
        inst->data_dropped[ip[1]] = 1;
        ip += VM_OP_WORDS_DATA_DROP;
        vmbreak;
      }

      /* ---- any memory (multi-memory, memory64: memx.c) -------------------- */
#define MEMX_CASE(name)                                                                                      \
  vmcase(name) {                                                                                             \
    vm_trap t_ = (vm_trap)vm_memx_exec(VM_OP_##name, ip, fp, inst);                                          \
    if (VM_UNLIKELY(t_ != VM_TRAP_NONE)) TRAP(t_);                                                           \
    ip += VM_OP_WORDS_##name;                                                                                \
    vmbreak;                                                                                                 \
  }
#define MEMX_BULK_CASE(name, k)                                                                              \
  vmcase(name) {                                                                                             \
    vm_trap t_ = (vm_trap)vm_memx_exec(VM_OP_##name, ip, fp, inst);                                          \
    if (VM_UNLIKELY(t_ != VM_TRAP_NONE)) TRAP(t_);                                                           \
    BULK_CHARGE(k, VM_OP_WORDS_##name);                                                                      \
    vmbreak;                                                                                                 \
  }
      MEMX_CASE(MEMX_LOAD)
      MEMX_CASE(MEMX_STORE)
      MEMX_CASE(MEMX_SIZE)
      MEMX_BULK_CASE(MEMX_FILL, 3)
      MEMX_BULK_CASE(MEMX_COPY, 3)
      MEMX_BULK_CASE(MEMX_INIT, 4)
      MEMX_CASE(MEMX_V128_LOAD)
      MEMX_CASE(MEMX_V128_STORE)
#undef MEMX_CASE
#undef MEMX_BULK_CASE
      vmcase(MEMX_GROW) {
        vm_memx_exec(VM_OP_MEMX_GROW, ip, fp, inst);
        RELOAD_MEM(); /* memory 0's size, when it grew */
        ip += VM_OP_WORDS_MEMX_GROW;
        vmbreak;
      }

      /* ---- tables -------------------------------------------------------- */
      vmcase(TABLE_GET) {
        const vm_table *t = inst->tables[ip[3]];
        uint64_t i = vm_table_index(t, fp[ip[2]]);
        if (VM_UNLIKELY(i >= t->size)) TRAP(VM_TRAP_TABLE_OOB);
        fp[ip[1]] = (uint64_t)(uintptr_t)t->elems[i];
        ip += VM_OP_WORDS_TABLE_GET;
        vmbreak;
      }
      vmcase(TABLE_SET) {
        vm_table *t = inst->tables[ip[3]];
        uint64_t i = vm_table_index(t, fp[ip[1]]);
        if (VM_UNLIKELY(i >= t->size)) TRAP(VM_TRAP_TABLE_OOB);
        t->elems[i] = (void *)(uintptr_t)fp[ip[2]];
        ip += VM_OP_WORDS_TABLE_SET;
        vmbreak;
      }
      vmcase(TABLE_SIZE) {
        W32(1, inst->tables[ip[2]]->size);
        ip += VM_OP_WORDS_TABLE_SIZE;
        vmbreak;
      }
      vmcase(TABLE_GROW) {
        vm_table *t = inst->tables[ip[4]];
        W64(1, vm_table_grow(t, fp[ip[3]], (void *)(uintptr_t)fp[ip[2]]));
        ip += VM_OP_WORDS_TABLE_GROW;
        vmbreak;
      }
      vmcase(TABLE_FILL) {
        vm_trap t_ =
            vm_table_fill_op(inst->tables[ip[4]], fp[ip[1]], (void *)(uintptr_t)fp[ip[2]], fp[ip[3]]);
        if (VM_UNLIKELY(t_ != VM_TRAP_NONE)) TRAP(t_);
        BULK_CHARGE(3, VM_OP_WORDS_TABLE_FILL);
        vmbreak;
      }
      vmcase(TABLE_COPY) {
        vm_trap t_ =
            vm_table_copy_op(inst->tables[ip[4]], inst->tables[ip[5]], fp[ip[1]], fp[ip[2]], fp[ip[3]]);
        if (VM_UNLIKELY(t_ != VM_TRAP_NONE)) TRAP(t_);
        BULK_CHARGE(3, VM_OP_WORDS_TABLE_COPY);
        vmbreak;
      }
      vmcase(TABLE_INIT) {
        vm_trap t_ = vm_table_init_op(inst, ip[4], ip[5], fp[ip[1]], R32(2), R32(3));
        if (VM_UNLIKELY(t_ != VM_TRAP_NONE)) TRAP(t_);
        BULK_CHARGE(3, VM_OP_WORDS_TABLE_INIT);
        vmbreak;
      }
      vmcase(ELEM_DROP) {
        inst->elem_dropped[ip[1]] = 1;
        ip += VM_OP_WORDS_ELEM_DROP;
        vmbreak;
      }

      /* ---- comparisons -------------------------------------------------- */
      OP_DS(I32_EQZ, W32, R32, EQZ)
      OP_DSS(I32_EQ, W32, R32, EQ)
      OP_DSS(I32_NE, W32, R32, NE)
      OP_DSS(I32_LT_S, W32, R32, LTS32)
      OP_DSS(I32_LT_U, W32, R32, LT)
      OP_DSS(I32_GT_S, W32, R32, GTS32)
      OP_DSS(I32_GT_U, W32, R32, GT)
      OP_DSS(I32_LE_S, W32, R32, LES32)
      OP_DSS(I32_LE_U, W32, R32, LE)
      OP_DSS(I32_GE_S, W32, R32, GES32)
      OP_DSS(I32_GE_U, W32, R32, GE)
      OP_DS(I64_EQZ, W32, R64, EQZ)
      OP_DSS(I64_EQ, W32, R64, EQ)
      OP_DSS(I64_NE, W32, R64, NE)
      OP_DSS(I64_LT_S, W32, R64, LTS64)
      OP_DSS(I64_LT_U, W32, R64, LT)
      OP_DSS(I64_GT_S, W32, R64, GTS64)
      OP_DSS(I64_GT_U, W32, R64, GT)
      OP_DSS(I64_LE_S, W32, R64, LES64)
      OP_DSS(I64_LE_U, W32, R64, LE)
      OP_DSS(I64_GE_S, W32, R64, GES64)
      OP_DSS(I64_GE_U, W32, R64, GE)
      OP_DSS(F32_EQ, W32, RF32, EQ)
      OP_DSS(F32_NE, W32, RF32, NE)
      OP_DSS(F32_LT, W32, RF32, LT)
      OP_DSS(F32_GT, W32, RF32, GT)
      OP_DSS(F32_LE, W32, RF32, LE)
      OP_DSS(F32_GE, W32, RF32, GE)
      OP_DSS(F64_EQ, W32, RF64, EQ)
      OP_DSS(F64_NE, W32, RF64, NE)
      OP_DSS(F64_LT, W32, RF64, LT)
      OP_DSS(F64_GT, W32, RF64, GT)
      OP_DSS(F64_LE, W32, RF64, LE)
      OP_DSS(F64_GE, W32, RF64, GE)

      /* ---- i32 arithmetic ------------------------------------------------ */
      OP_DS(I32_CLZ, W32, R32, vm_clz32)
      OP_DS(I32_CTZ, W32, R32, vm_ctz32)
      OP_DS(I32_POPCNT, W32, R32, vm_popcnt32)
      OP_DSS(I32_ADD, W32, R32, ADD)
      OP_DSS(I32_SUB, W32, R32, SUB)
      OP_DSS(I32_MUL, W32, R32, MUL)
      OP_DSS_TRAP(I32_DIV_S, uint32_t, W32, R32, vm_div_s32)
      OP_DSS_TRAP(I32_DIV_U, uint32_t, W32, R32, vm_div_u32)
      OP_DSS_TRAP(I32_REM_S, uint32_t, W32, R32, vm_rem_s32)
      OP_DSS_TRAP(I32_REM_U, uint32_t, W32, R32, vm_rem_u32)
      OP_DSS(I32_AND, W32, R32, AND)
      OP_DSS(I32_OR, W32, R32, OR)
      OP_DSS(I32_XOR, W32, R32, XOR)
      OP_DSS(I32_SHL, W32, R32, vm_shl32)
      OP_DSS(I32_SHR_S, W32, R32, vm_shrs32)
      OP_DSS(I32_SHR_U, W32, R32, vm_shru32)
      OP_DSS(I32_ROTL, W32, R32, vm_rotl32)
      OP_DSS(I32_ROTR, W32, R32, vm_rotr32)
#define VM_FUSED_CASE(A, B)                                                                                  \
  vmcase(F_##A##_##B) {                                                                                      \
    uint32_t t_ = FUSE_##A(R32(2), R32(3));                                                                  \
    W32(1, FUSE_##B(t_, R32(4)));                                                                            \
    ip += VM_OP_WORDS_F_##A##_##B;                                                                           \
    vmbreak;                                                                                                 \
  }
      VM_I32_FUSED(VM_FUSED_CASE)
#undef VM_FUSED_CASE

      /* ---- i64 arithmetic ------------------------------------------------ */
      OP_DS(I64_CLZ, W64, R64, vm_clz64)
      OP_DS(I64_CTZ, W64, R64, vm_ctz64)
      OP_DS(I64_POPCNT, W64, R64, vm_popcnt64)
      OP_DSS(I64_ADD, W64, R64, ADD)
      OP_DSS(I64_SUB, W64, R64, SUB)
      OP_DSS(I64_MUL, W64, R64, MUL)
      OP_DSS_TRAP(I64_DIV_S, uint64_t, W64, R64, vm_div_s64)
      OP_DSS_TRAP(I64_DIV_U, uint64_t, W64, R64, vm_div_u64)
      OP_DSS_TRAP(I64_REM_S, uint64_t, W64, R64, vm_rem_s64)
      OP_DSS_TRAP(I64_REM_U, uint64_t, W64, R64, vm_rem_u64)
      OP_DSS(I64_AND, W64, R64, AND)
      OP_DSS(I64_OR, W64, R64, OR)
      OP_DSS(I64_XOR, W64, R64, XOR)
      OP_DSS(I64_SHL, W64, R64, vm_shl64)
      OP_DSS(I64_SHR_S, W64, R64, vm_shrs64)
      OP_DSS(I64_SHR_U, W64, R64, vm_shru64)
      OP_DSS(I64_ROTL, W64, R64, vm_rotl64)
      OP_DSS(I64_ROTR, W64, R64, vm_rotr64)

      /* ---- f32 arithmetic ------------------------------------------------ */
      OP_DS(F32_ABS, W32, R32, vm_f32_abs)
      OP_DS(F32_NEG, W32, R32, vm_f32_neg)
      OP_DS(F32_CEIL, WF32, RF32, vm_f32_ceil)
      OP_DS(F32_FLOOR, WF32, RF32, vm_f32_floor)
      OP_DS(F32_TRUNC, WF32, RF32, vm_f32_trunc)
      OP_DS(F32_NEAREST, WF32, RF32, vm_f32_nearest)
      OP_DS(F32_SQRT, WF32, RF32, vm_f32_sqrt)
      OP_DSS(F32_ADD, WF32, RF32, ADD)
      OP_DSS(F32_SUB, WF32, RF32, SUB)
      OP_DSS(F32_MUL, WF32, RF32, MUL)
      OP_DSS(F32_DIV, WF32, RF32, DIV)
      OP_DSS(F32_MIN, WF32, RF32, vm_f32_min)
      OP_DSS(F32_MAX, WF32, RF32, vm_f32_max)
      OP_DSS(F32_COPYSIGN, W32, R32, vm_f32_copysign)

      /* ---- f64 arithmetic ------------------------------------------------ */
      OP_DS(F64_ABS, W64, R64, vm_f64_abs)
      OP_DS(F64_NEG, W64, R64, vm_f64_neg)
      OP_DS(F64_CEIL, WF64, RF64, vm_f64_ceil)
      OP_DS(F64_FLOOR, WF64, RF64, vm_f64_floor)
      OP_DS(F64_TRUNC, WF64, RF64, vm_f64_trunc)
      OP_DS(F64_NEAREST, WF64, RF64, vm_f64_nearest)
      OP_DS(F64_SQRT, WF64, RF64, vm_f64_sqrt)
      OP_DSS(F64_ADD, WF64, RF64, ADD)
      OP_DSS(F64_SUB, WF64, RF64, SUB)
      OP_DSS(F64_MUL, WF64, RF64, MUL)
      OP_DSS(F64_DIV, WF64, RF64, DIV)
#define VM_FUSED_CASE(A, B)                                                                                  \
  vmcase(FD_##A##_##B) {                                                                                     \
    double t_ = FUSE_##A(RF64(2), RF64(3));                                                                  \
    WF64(1, FUSE_##B(t_, RF64(4)));                                                                          \
    ip += VM_OP_WORDS_FD_##A##_##B;                                                                          \
    vmbreak;                                                                                                 \
  }
      VM_F64_FUSED(VM_FUSED_CASE)
#undef VM_FUSED_CASE
      OP_FLD(FLD_ADD, FUSE_ADD, 0)
      OP_FLD(FLD_SUB, FUSE_SUB, 0)
      OP_FLD(FLD_MUL, FUSE_MUL, 0)
      OP_FLD(FLD_DIV, FUSE_DIV, 0)
      OP_FLD(FLDR_SUB, FUSE_SUB, 1)
      OP_FLD(FLDR_DIV, FUSE_DIV, 1)
      OP_FLX(FLX_ADD, FUSE_ADD, 0)
      OP_FLX(FLX_SUB, FUSE_SUB, 0)
      OP_FLX(FLX_MUL, FUSE_MUL, 0)
      OP_FLX(FLX_DIV, FUSE_DIV, 0)
      OP_FLX(FLXR_SUB, FUSE_SUB, 1)
      OP_FLX(FLXR_DIV, FUSE_DIV, 1)
      OP_WITH_LOAD(ILD_ADD, uint32_t, vm_load32, R32, W32, FUSE_ADD, 0, EA(3, 4))
      OP_WITH_LOAD(ILX_ADD, uint32_t, vm_load32, R32, W32, FUSE_ADD, 0, EA_X(3, 4, 5))
      OP_DSS(F64_MIN, WF64, RF64, vm_f64_min)
      OP_DSS(F64_MAX, WF64, RF64, vm_f64_max)
      OP_DSS(F64_COPYSIGN, W64, R64, vm_f64_copysign)

      /* ---- conversions ---------------------------------------------------- */
      OP_DS(I32_WRAP_I64, W32, R64, ID)
      OP_DS_TRAP(I32_TRUNC_F32_S, uint32_t, W32, RF32, vm_trunc_f32_s32)
      OP_DS_TRAP(I32_TRUNC_F32_U, uint32_t, W32, RF32, vm_trunc_f32_u32)
      OP_DS_TRAP(I32_TRUNC_F64_S, uint32_t, W32, RF64, vm_trunc_f64_s32)
      OP_DS_TRAP(I32_TRUNC_F64_U, uint32_t, W32, RF64, vm_trunc_f64_u32)
      OP_DS(I64_EXTEND_I32_S, W64, R64, vm_ext32_64)
      OP_DS(I64_EXTEND_I32_U, W64, R32, ID)
      OP_DS_TRAP(I64_TRUNC_F32_S, uint64_t, W64, RF32, vm_trunc_f32_s64)
      OP_DS_TRAP(I64_TRUNC_F32_U, uint64_t, W64, RF32, vm_trunc_f32_u64)
      OP_DS_TRAP(I64_TRUNC_F64_S, uint64_t, W64, RF64, vm_trunc_f64_s64)
      OP_DS_TRAP(I64_TRUNC_F64_U, uint64_t, W64, RF64, vm_trunc_f64_u64)
      OP_DS(F32_CONVERT_I32_S, WF32, R32, vm_f32_convert_s32)
      OP_DS(F32_CONVERT_I32_U, WF32, R32, vm_f32_convert_u32)
      OP_DS(F32_CONVERT_I64_S, WF32, R64, vm_f32_convert_s64)
      OP_DS(F32_CONVERT_I64_U, WF32, R64, vm_f32_convert_u64)
      OP_DS(F32_DEMOTE_F64, WF32, RF64, TO_F32)
      OP_DS(F64_CONVERT_I32_S, WF64, R32, vm_f64_convert_s32)
      OP_DS(F64_CONVERT_I32_U, WF64, R32, vm_f64_convert_u32)
      OP_DS(F64_CONVERT_I64_S, WF64, R64, vm_f64_convert_s64)
      OP_DS(F64_CONVERT_I64_U, WF64, R64, vm_f64_convert_u64)
      OP_DS(F64_PROMOTE_F32, WF64, RF32, TO_F64)
      OP_DS(I32_REINTERPRET_F32, W32, R32, ID)
      OP_DS(I64_REINTERPRET_F64, W64, R64, ID)
      OP_DS(F32_REINTERPRET_I32, W32, R32, ID)
      OP_DS(F64_REINTERPRET_I64, W64, R64, ID)
      OP_DS(I32_EXTEND8_S, W32, R32, vm_ext8_32)
      OP_DS(I32_EXTEND16_S, W32, R32, vm_ext16_32)
      OP_DS(I64_EXTEND8_S, W64, R64, vm_ext8_64)
      OP_DS(I64_EXTEND16_S, W64, R64, vm_ext16_64)
      OP_DS(I64_EXTEND32_S, W64, R64, vm_ext32_64)
      OP_DS(I32_TRUNC_SAT_F32_S, W32, RF32, vm_trunc_sat_f32_s32)
      OP_DS(I32_TRUNC_SAT_F32_U, W32, RF32, vm_trunc_sat_f32_u32)
      OP_DS(I32_TRUNC_SAT_F64_S, W32, RF64, vm_trunc_sat_f64_s32)
      OP_DS(I32_TRUNC_SAT_F64_U, W32, RF64, vm_trunc_sat_f64_u32)
      OP_DS(I64_TRUNC_SAT_F32_S, W64, RF32, vm_trunc_sat_f32_s64)
      OP_DS(I64_TRUNC_SAT_F32_U, W64, RF32, vm_trunc_sat_f32_u64)
      OP_DS(I64_TRUNC_SAT_F64_S, W64, RF64, vm_trunc_sat_f64_s64)
      OP_DS(I64_TRUNC_SAT_F64_U, W64, RF64, vm_trunc_sat_f64_u64)

      /* ---- loads and stores ------------------------------------------------ */
      OP_LOAD(I32_LOAD, 4, W32, vm_load32)
      OP_LOAD(I64_LOAD, 8, W64, vm_load64)
      OP_LOAD(F32_LOAD, 4, W32, vm_load32)
      OP_LOAD(F64_LOAD, 8, W64, vm_load64)
      OP_LOAD(I32_LOAD8_S, 1, W32, LD8S32)
      OP_LOAD(I32_LOAD8_U, 1, W32, LD8U)
      OP_LOAD(I32_LOAD16_S, 2, W32, LD16S32)
      OP_LOAD(I32_LOAD16_U, 2, W32, vm_load16)
      OP_LOAD(I64_LOAD8_S, 1, W64, LD8S64)
      OP_LOAD(I64_LOAD8_U, 1, W64, LD8U)
      OP_LOAD(I64_LOAD16_S, 2, W64, LD16S64)
      OP_LOAD(I64_LOAD16_U, 2, W64, vm_load16)
      OP_LOAD(I64_LOAD32_S, 4, W64, LD32S64)
      OP_LOAD(I64_LOAD32_U, 4, W64, vm_load32)
      OP_STORE(I32_STORE, 4, ST32)
      OP_STORE(I64_STORE, 8, ST64)
      OP_STORE(F32_STORE, 4, ST32)
      OP_STORE(F64_STORE, 8, ST64)
      OP_STORE(I32_STORE8, 1, ST8)
      OP_STORE(I32_STORE16, 2, ST16)
      OP_STORE(I64_STORE8, 1, ST8)
      OP_STORE(I64_STORE16, 2, ST16)
      OP_STORE(I64_STORE32, 4, ST32)
      OP_LOADX(I32_LOAD_X, 4, W32, vm_load32)
      OP_LOADX(I64_LOAD_X, 8, W64, vm_load64)
      OP_LOADX(F32_LOAD_X, 4, W32, vm_load32)
      OP_LOADX(F64_LOAD_X, 8, W64, vm_load64)
      OP_LOADX(I32_LOAD8_S_X, 1, W32, LD8S32)
      OP_LOADX(I32_LOAD8_U_X, 1, W32, LD8U)
      OP_LOADX(I32_LOAD16_S_X, 2, W32, LD16S32)
      OP_LOADX(I32_LOAD16_U_X, 2, W32, vm_load16)
      OP_LOADX(I64_LOAD8_S_X, 1, W64, LD8S64)
      OP_LOADX(I64_LOAD8_U_X, 1, W64, LD8U)
      OP_LOADX(I64_LOAD16_S_X, 2, W64, LD16S64)
      OP_LOADX(I64_LOAD16_U_X, 2, W64, vm_load16)
      OP_LOADX(I64_LOAD32_S_X, 4, W64, LD32S64)
      OP_LOADX(I64_LOAD32_U_X, 4, W64, vm_load32)
      OP_STOREX(I32_STORE_X, 4, ST32)
      OP_STOREX(I64_STORE_X, 8, ST64)
      OP_STOREX(F32_STORE_X, 4, ST32)
      OP_STOREX(F64_STORE_X, 8, ST64)
      OP_STOREX(I32_STORE8_X, 1, ST8)
      OP_STOREX(I32_STORE16_X, 2, ST16)
      OP_STOREX(I64_STORE8_X, 1, ST8)
      OP_STOREX(I64_STORE16_X, 2, ST16)
      OP_STOREX(I64_STORE32_X, 4, ST32)
      OP_LOADXS(I32_LOAD_XS, 4, W32, vm_load32)
      OP_LOADXS(I64_LOAD_XS, 8, W64, vm_load64)
      OP_LOADXS(F32_LOAD_XS, 4, W32, vm_load32)
      OP_LOADXS(F64_LOAD_XS, 8, W64, vm_load64)
      OP_LOADXS(I32_LOAD8_S_XS, 1, W32, LD8S32)
      OP_LOADXS(I32_LOAD8_U_XS, 1, W32, LD8U)
      OP_LOADXS(I32_LOAD16_S_XS, 2, W32, LD16S32)
      OP_LOADXS(I32_LOAD16_U_XS, 2, W32, vm_load16)
      OP_LOADXS(I64_LOAD8_S_XS, 1, W64, LD8S64)
      OP_LOADXS(I64_LOAD8_U_XS, 1, W64, LD8U)
      OP_LOADXS(I64_LOAD16_S_XS, 2, W64, LD16S64)
      OP_LOADXS(I64_LOAD16_U_XS, 2, W64, vm_load16)
      OP_LOADXS(I64_LOAD32_S_XS, 4, W64, LD32S64)
      OP_LOADXS(I64_LOAD32_U_XS, 4, W64, vm_load32)
      OP_STOREXS(I32_STORE_XS, 4, ST32)
      OP_STOREXS(I64_STORE_XS, 8, ST64)
      OP_STOREXS(F32_STORE_XS, 4, ST32)
      OP_STOREXS(F64_STORE_XS, 8, ST64)
      OP_STOREXS(I32_STORE8_XS, 1, ST8)
      OP_STOREXS(I32_STORE16_XS, 2, ST16)
      OP_STOREXS(I64_STORE8_XS, 1, ST8)
      OP_STOREXS(I64_STORE16_XS, 2, ST16)
      OP_STOREXS(I64_STORE32_XS, 4, ST32)
      OP_LOAD_BRIF(LD8U_BR_IF, 1, LD8U, )
      OP_LOAD_BRIF(LD8U_BR_UNLESS, 1, LD8U, !)
      OP_LOAD_BRIF(LD32_BR_IF, 4, vm_load32, )
      OP_LOAD_BRIF(LD32_BR_UNLESS, 4, vm_load32, !)
      OP_ARITH_BRIF(ADD_BR_IF, ADD, )
      OP_ARITH_BRIF(ADD_BR_UNLESS, ADD, !)
      OP_ARITH_BRCMP(ADD_BR_I32_EQ, ADD, EQ)
      OP_ARITH_BRCMP(ADD_BR_I32_NE, ADD, NE)
      OP_ARITH_BRCMP(ADD_BR_I32_LT_S, ADD, LTS32)
      OP_ARITH_BRCMP(ADD_BR_I32_LT_U, ADD, LT)
      OP_ARITH_BRCMP(ADD_BR_I32_GT_S, ADD, GTS32)
      OP_ARITH_BRCMP(ADD_BR_I32_GT_U, ADD, GT)
      OP_ARITH_BRCMP(ADD_BR_I32_LE_S, ADD, LES32)
      OP_ARITH_BRCMP(ADD_BR_I32_LE_U, ADD, LE)
      OP_ARITH_BRCMP(ADD_BR_I32_GE_S, ADD, GES32)
      OP_ARITH_BRCMP(ADD_BR_I32_GE_U, ADD, GE)
      OP_ARITH_BRIF(SUB_BR_IF, SUB, )
      OP_ARITH_BRIF(SUB_BR_UNLESS, SUB, !)
      OP_ARITH_BRCMP(SUB_BR_I32_EQ, SUB, EQ)
      OP_ARITH_BRCMP(SUB_BR_I32_NE, SUB, NE)
      OP_ARITH_BRCMP(SUB_BR_I32_LT_S, SUB, LTS32)
      OP_ARITH_BRCMP(SUB_BR_I32_LT_U, SUB, LT)
      OP_ARITH_BRCMP(SUB_BR_I32_GT_S, SUB, GTS32)
      OP_ARITH_BRCMP(SUB_BR_I32_GT_U, SUB, GT)
      OP_ARITH_BRCMP(SUB_BR_I32_LE_S, SUB, LES32)
      OP_ARITH_BRCMP(SUB_BR_I32_LE_U, SUB, LE)
      OP_ARITH_BRCMP(SUB_BR_I32_GE_S, SUB, GES32)
      OP_ARITH_BRCMP(SUB_BR_I32_GE_U, SUB, GE)

#if !VM_COMPUTED_GOTO
    default:
      /* Not emitted by the compiler; fail safely rather than run garbage. */
      TRAP(VM_TRAP_UNREACHABLE);
#endif
    }
    /* Reached only by goto from an interruption point whose slice is spent:
     * ip is already where execution goes on. */
  guard:
    s->guard.tick = tick;
    trap = vm_guard_poll(s);
    tick = s->guard.tick;
    if (VM_UNLIKELY(trap != VM_TRAP_NONE)) goto trap_exit;
    continue;
    /* Reached only by goto with an exception in flight (s->exec.exn) raised by the instruction that
     * ends at ip: the innermost handler that catches it runs (its landing pad), in this frame or in a
     * caller's; with none in this activation it ends like a trap and its caller looks on. */
  unwind:
    for (;;) {
      uint32_t pad = code->eh ? vm_eh_find(code, (uint32_t)(ip - cb), s->exec.exn, inst) : VM_EH_NONE;
      if (pad != VM_EH_NONE) {
        ip = cb + pad;
        break;
      }
      const vm_frame *fr = --top;
      if (fr->ret_ip == NULL) {
        s->guard.tick = tick;
        s->exec.depth = (uint32_t)(top - s->exec.frames);
        return VM_ERR_TRAP; /* the error and the exception are recorded */
      }
      ip = fr->ret_ip;
      fp = fr->fp;
      code = fr->code;
      cb = code->code;
      if (fr->inst != inst) {
        inst = fr->inst;
        RELOAD_MEM();
      }
    }
  }

done:
  s->guard.tick = tick;
  s->exec.depth = (uint32_t)(top - s->exec.frames);
  return VM_OK;

oob:
  trap = VM_TRAP_MEMORY_OOB;
trap_exit:
  s->guard.tick = tick;
  /* VM_TRAP_HOST: the error is already recorded (a failed host call keeps
   * its own message). */
  if (trap != VM_TRAP_HOST) res = vm_error_trap(&s->error, trap);
  /* Unwind through our entry frame: the innermost one returning to the host. */
  while ((--top)->ret_ip != NULL)
    continue;
  s->exec.depth = (uint32_t)(top - s->exec.frames);
  return res;
}

vm_result vm_interp_run(vm_store *store, vm_func *f, uint64_t *fp) {
  return interp(store, f, fp, NULL);
}

const int32_t *vm_ir_handlers(void) {
  const int32_t *h = NULL;
  interp(NULL, NULL, NULL, &h);
  return h;
}

void vm_ir_thread(vm_word *code, uint32_t ncode) {
  const int32_t *h = vm_ir_handlers();
  if (!h) return;
  uint32_t pc = 0;
  while (pc < ncode) {
    uint32_t n = vm_instr_words(code + pc);
    code[pc] = (vm_word)h[code[pc]];
    pc += n;
  }
}

vm_op vm_ir_op(vm_word w) {
  const int32_t *h = vm_ir_handlers();
  if (!h) return w < VM_OP_COUNT ? (vm_op)w : VM_OP_COUNT;
  for (unsigned op = 0; op < VM_OP_COUNT; op++)
    if ((vm_word)h[op] == w) return (vm_op)op;
  return VM_OP_COUNT;
}

#if VM_COMPUTED_GOTO
#pragma GCC diagnostic pop
#if defined(__clang__)
#pragma clang diagnostic pop
#endif
#endif
