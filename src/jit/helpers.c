/* SPDX-License-Identifier: Apache-2.0 */
/*
 * helpers.c - the runtime side of compiled code (helpers.h).  The semantics
 * are the interpreter's, from the same functions (numeric.h, instance.c).
 */
#include "jit/helpers.h"

#include "vm/memx.h"
#include "vm/simd.h"

#include "vm/numeric.h"

uint32_t jit_call(vm_store *s, vm_instance *inst, uint32_t func, uint64_t *fp, uint64_t *frame_end) {
  return vm_call_function(s, inst->funcs[func], inst, fp, frame_end) == VM_OK ? VM_TRAP_NONE : VM_TRAP_HOST;
}

uint32_t jit_call_indirect(vm_store *s, vm_instance *inst, uint64_t table_type, uint64_t elem, uint64_t *fp,
                           uint64_t *frame_end) {
  vm_trap trap = VM_TRAP_NONE;
  vm_func *callee = vm_table_callee(s, inst->tables[table_type >> 32],
                                    &inst->module->types[(uint32_t)table_type], elem, &trap);
  if (!callee) return trap;
  return vm_call_function(s, callee, inst, fp, frame_end) == VM_OK ? VM_TRAP_NONE : VM_TRAP_HOST;
}

#define R32(k) ((uint32_t)fp[ip[k]])

uint32_t jit_op(vm_instance *inst, uint64_t *fp, const vm_word *ip, uint32_t op) {
  vm_memory *mem = inst->memory;
  switch ((vm_op)op) {
  case VM_OP_MEMORY_GROW: fp[ip[1]] = vm_memory_grow(mem, R32(2)); return VM_TRAP_NONE;
  case VM_OP_MEMORY_FILL: return vm_memory_fill_op(mem, R32(1), R32(2), R32(3));
  case VM_OP_MEMORY_COPY: return vm_memory_copy_op(mem, R32(1), R32(2), R32(3));
  case VM_OP_MEMORY_INIT: return vm_memory_init_op(inst, ip[1], R32(2), R32(3), R32(4));
  case VM_OP_DATA_DROP: inst->data_dropped[ip[1]] = 1; return VM_TRAP_NONE;
  case VM_OP_TABLE_GET: {
    const vm_table *t = inst->tables[ip[3]];
    uint64_t i = vm_table_index(t, fp[ip[2]]);
    if (i >= t->size) return VM_TRAP_TABLE_OOB;
    fp[ip[1]] = (uint64_t)(uintptr_t)t->elems[i];
    return VM_TRAP_NONE;
  }
  case VM_OP_TABLE_SET: {
    vm_table *t = inst->tables[ip[3]];
    uint64_t i = vm_table_index(t, fp[ip[1]]);
    if (i >= t->size) return VM_TRAP_TABLE_OOB;
    t->elems[i] = (void *)(uintptr_t)fp[ip[2]];
    return VM_TRAP_NONE;
  }
  case VM_OP_TABLE_SIZE: fp[ip[1]] = inst->tables[ip[2]]->size; return VM_TRAP_NONE;
  case VM_OP_TABLE_GROW:
    fp[ip[1]] = vm_table_grow(inst->tables[ip[4]], fp[ip[3]], (void *)(uintptr_t)fp[ip[2]]);
    return VM_TRAP_NONE;
  case VM_OP_TABLE_FILL:
    return vm_table_fill_op(inst->tables[ip[4]], fp[ip[1]], (void *)(uintptr_t)fp[ip[2]], fp[ip[3]]);
  case VM_OP_TABLE_COPY:
    return vm_table_copy_op(inst->tables[ip[4]], inst->tables[ip[5]], fp[ip[1]], fp[ip[2]], fp[ip[3]]);
  case VM_OP_TABLE_INIT: return vm_table_init_op(inst, ip[4], ip[5], fp[ip[1]], R32(2), R32(3));
  case VM_OP_ELEM_DROP: inst->elem_dropped[ip[1]] = 1; return VM_TRAP_NONE;
  default:
    if (vm_op_is_v128(op)) return vm_simd_exec(op, ip, fp, inst);
    if (vm_op_is_memx(op)) return vm_memx_exec(op, ip, fp, inst);
    return VM_TRAP_UNREACHABLE;
  }
}

/* Numeric helpers: one C function per operator, on slot values. */
#define IN32(a) ((uint32_t)(a))
#define IN64(a) (a)
#define INF32(a) vm_f32_from_bits((uint32_t)(a))
#define INF64(a) vm_f64_from_bits(a)
#define OUT32(v) ((uint64_t)(uint32_t)(v))
#define OUT64(v) ((uint64_t)(v))
#define OUTF32(v) ((uint64_t)vm_f32_bits(v))
#define OUTF64(v) ((uint64_t)vm_f64_bits(v))

#define H_DS(name, OUT, IN, FN)                                                                              \
  static uint64_t h_##name(uint64_t a, uint64_t b) {                                                         \
    (void)b;                                                                                                 \
    return OUT(FN(IN(a)));                                                                                   \
  }
#define H_DSS(name, OUT, IN, FN)                                                                             \
  static uint64_t h_##name(uint64_t a, uint64_t b) {                                                         \
    return OUT(FN(IN(a), IN(b)));                                                                            \
  }
#define H_DS_TRAP(name, T, IN, FN)                                                                           \
  static uint32_t h_##name(uint64_t a, uint64_t b, uint64_t *out) {                                          \
    (void)b;                                                                                                 \
    T r = 0;                                                                                                 \
    vm_trap t = FN(IN(a), &r);                                                                               \
    if (t == VM_TRAP_NONE) *out = (uint64_t)r;                                                               \
    return t;                                                                                                \
  }

#define PURE_HELPERS(X)                                                                                      \
  X(I32_POPCNT, H_DS, OUT32, IN32, vm_popcnt32)                                                              \
  X(I64_POPCNT, H_DS, OUT64, IN64, vm_popcnt64)                                                              \
  X(I64_CLZ, H_DS, OUT64, IN64, vm_clz64)                                                                    \
  X(I64_CTZ, H_DS, OUT64, IN64, vm_ctz64)                                                                    \
  X(F32_CEIL, H_DS, OUTF32, INF32, vm_f32_ceil)                                                              \
  X(F32_FLOOR, H_DS, OUTF32, INF32, vm_f32_floor)                                                            \
  X(F32_TRUNC, H_DS, OUTF32, INF32, vm_f32_trunc)                                                            \
  X(F32_NEAREST, H_DS, OUTF32, INF32, vm_f32_nearest)                                                        \
  X(F32_MIN, H_DSS, OUTF32, INF32, vm_f32_min)                                                               \
  X(F32_MAX, H_DSS, OUTF32, INF32, vm_f32_max)                                                               \
  X(F32_COPYSIGN, H_DSS, OUT32, IN32, vm_f32_copysign)                                                       \
  X(F64_CEIL, H_DS, OUTF64, INF64, vm_f64_ceil)                                                              \
  X(F64_FLOOR, H_DS, OUTF64, INF64, vm_f64_floor)                                                            \
  X(F64_TRUNC, H_DS, OUTF64, INF64, vm_f64_trunc)                                                            \
  X(F64_NEAREST, H_DS, OUTF64, INF64, vm_f64_nearest)                                                        \
  X(F64_MIN, H_DSS, OUTF64, INF64, vm_f64_min)                                                               \
  X(F64_MAX, H_DSS, OUTF64, INF64, vm_f64_max)                                                               \
  X(F64_COPYSIGN, H_DSS, OUT64, IN64, vm_f64_copysign)                                                       \
  X(F32_CONVERT_I64_U, H_DS, OUTF32, IN64, vm_f32_convert_u64)                                               \
  X(F64_CONVERT_I64_U, H_DS, OUTF64, IN64, vm_f64_convert_u64)                                               \
  X(I32_TRUNC_SAT_F32_S, H_DS, OUT32, INF32, vm_trunc_sat_f32_s32)                                           \
  X(I32_TRUNC_SAT_F32_U, H_DS, OUT32, INF32, vm_trunc_sat_f32_u32)                                           \
  X(I32_TRUNC_SAT_F64_S, H_DS, OUT32, INF64, vm_trunc_sat_f64_s32)                                           \
  X(I32_TRUNC_SAT_F64_U, H_DS, OUT32, INF64, vm_trunc_sat_f64_u32)                                           \
  X(I64_TRUNC_SAT_F32_S, H_DS, OUT64, INF32, vm_trunc_sat_f32_s64)                                           \
  X(I64_TRUNC_SAT_F32_U, H_DS, OUT64, INF32, vm_trunc_sat_f32_u64)                                           \
  X(I64_TRUNC_SAT_F64_S, H_DS, OUT64, INF64, vm_trunc_sat_f64_s64)                                           \
  X(I64_TRUNC_SAT_F64_U, H_DS, OUT64, INF64, vm_trunc_sat_f64_u64)
#define TRAP_HELPERS(X)                                                                                      \
  X(I32_TRUNC_F32_S, uint32_t, INF32, vm_trunc_f32_s32)                                                      \
  X(I32_TRUNC_F32_U, uint32_t, INF32, vm_trunc_f32_u32)                                                      \
  X(I32_TRUNC_F64_S, uint32_t, INF64, vm_trunc_f64_s32)                                                      \
  X(I32_TRUNC_F64_U, uint32_t, INF64, vm_trunc_f64_u32)                                                      \
  X(I64_TRUNC_F32_S, uint64_t, INF32, vm_trunc_f32_s64)                                                      \
  X(I64_TRUNC_F32_U, uint64_t, INF32, vm_trunc_f32_u64)                                                      \
  X(I64_TRUNC_F64_S, uint64_t, INF64, vm_trunc_f64_s64)                                                      \
  X(I64_TRUNC_F64_U, uint64_t, INF64, vm_trunc_f64_u64)

#define DEFINE_PURE(name, SHAPE, OUT, IN, FN) SHAPE(name, OUT, IN, FN)
PURE_HELPERS(DEFINE_PURE)
#define DEFINE_TRAP(name, T, IN, FN) H_DS_TRAP(name, T, IN, FN)
TRAP_HELPERS(DEFINE_TRAP)

jit_helper jit_numeric_helper(vm_op op) {
  switch (op) {
#define CASE_PURE(name, SHAPE, OUT, IN, FN)                                                                  \
  case VM_OP_##name: return (jit_helper){(jit_fn)h_##name, JIT_HELPER_PURE};
    PURE_HELPERS(CASE_PURE)
#define CASE_TRAP(name, T, IN, FN)                                                                           \
  case VM_OP_##name: return (jit_helper){(jit_fn)h_##name, JIT_HELPER_TRAP};
    TRAP_HELPERS(CASE_TRAP)
  default: return (jit_helper){NULL, JIT_HELPER_PURE};
  }
}
