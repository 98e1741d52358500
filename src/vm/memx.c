/* SPDX-License-Identifier: Apache-2.0 */
/*
 * memx.c - the MEMX_* internal ops (memx.h): loads, stores, size, grow, fill, copy, init and the v128
 * memory instructions on any memory of the instance, 32- or 64-bit addressed.  Every access is checked
 * in 64-bit arithmetic that cannot overflow: an address of a 32-bit memory is its low 32 bits, and the
 * offset (up to 2^64 - 1 for a 64-bit memory) is added with an overflow check.
 */
#include "vm/memx.h"

#include <string.h>

#include "vm/ir.h"
#include "vm/opcodes.h"
#include "vm/runtime.h"
#include "vm/simd.h"

/* Where an access of n bytes at index `addr` + `off` lands in `mem`, or NULL when out of bounds. */
static uint8_t *at(const vm_memory *mem, uint64_t addr, uint64_t off, uint64_t n) {
  uint64_t ea = mem->limits.is64 ? addr : (uint32_t)addr;
  if (off > UINT64_MAX - ea) return NULL;
  ea += off;
  if (ea > mem->size || n > mem->size - ea) return NULL;
  return mem->data + ea;
}

/* The byte count of a range of a memory: an i64 for a 64-bit memory, else the low 32 bits. */
static uint64_t index_of(const vm_memory *mem, uint64_t v) {
  return mem->limits.is64 ? v : (uint32_t)v;
}

static uint64_t offset_of(const uint32_t *ip, int k) {
  return (uint64_t)ip[k] | (uint64_t)ip[k + 1] << 32;
}

static uint64_t load(uint32_t code, const uint8_t *p) {
  uint8_t b1;
  uint16_t b2;
  uint32_t b4;
  uint64_t b8;
  switch (code) {
  case VM_WASM_I32_LOAD:
  case VM_WASM_F32_LOAD: memcpy(&b4, p, 4); return b4;
  case VM_WASM_I64_LOAD:
  case VM_WASM_F64_LOAD: memcpy(&b8, p, 8); return b8;
  case VM_WASM_I32_LOAD8_S: memcpy(&b1, p, 1); return (uint32_t)(int32_t)(int8_t)b1;
  case VM_WASM_I32_LOAD8_U:
  case VM_WASM_I64_LOAD8_U: memcpy(&b1, p, 1); return b1;
  case VM_WASM_I32_LOAD16_S: memcpy(&b2, p, 2); return (uint32_t)(int32_t)(int16_t)b2;
  case VM_WASM_I32_LOAD16_U:
  case VM_WASM_I64_LOAD16_U: memcpy(&b2, p, 2); return b2;
  case VM_WASM_I64_LOAD8_S: memcpy(&b1, p, 1); return (uint64_t)(int64_t)(int8_t)b1;
  case VM_WASM_I64_LOAD16_S: memcpy(&b2, p, 2); return (uint64_t)(int64_t)(int16_t)b2;
  case VM_WASM_I64_LOAD32_S: memcpy(&b4, p, 4); return (uint64_t)(int64_t)(int32_t)b4;
  case VM_WASM_I64_LOAD32_U: memcpy(&b4, p, 4); return b4;
  default: return 0;
  }
}

static uint32_t access_bytes(uint32_t code) {
  switch (code) {
  case VM_WASM_I64_LOAD:
  case VM_WASM_F64_LOAD:
  case VM_WASM_I64_STORE:
  case VM_WASM_F64_STORE: return 8;
  case VM_WASM_I32_LOAD:
  case VM_WASM_F32_LOAD:
  case VM_WASM_I64_LOAD32_S:
  case VM_WASM_I64_LOAD32_U:
  case VM_WASM_I32_STORE:
  case VM_WASM_F32_STORE:
  case VM_WASM_I64_STORE32: return 4;
  case VM_WASM_I32_LOAD16_S:
  case VM_WASM_I32_LOAD16_U:
  case VM_WASM_I64_LOAD16_S:
  case VM_WASM_I64_LOAD16_U:
  case VM_WASM_I32_STORE16:
  case VM_WASM_I64_STORE16: return 2;
  default: return 1;
  }
}

static bool is_lane_code(uint32_t code) {
  return code >= VM_WASM_V128_LOAD8_LANE && code <= VM_WASM_V128_STORE64_LANE;
}

uint32_t vm_memx_exec(uint32_t op, const uint32_t *ip, uint64_t *fp, struct vm_instance *inst) {
  switch ((vm_op)op) {
  case VM_OP_MEMX_LOAD: { /* [op, d, addr, mem, code, off_lo, off_hi] */
    uint8_t *p = at(inst->memories[ip[3]], fp[ip[2]], offset_of(ip, 5), access_bytes(ip[4]));
    if (!p) return VM_TRAP_MEMORY_OOB;
    fp[ip[1]] = load(ip[4], p);
    return VM_TRAP_NONE;
  }
  case VM_OP_MEMX_STORE: { /* [op, addr, value, mem, code, off_lo, off_hi] */
    uint32_t n = access_bytes(ip[4]);
    uint8_t *p = at(inst->memories[ip[3]], fp[ip[1]], offset_of(ip, 5), n);
    if (!p) return VM_TRAP_MEMORY_OOB;
    memcpy(p, fp + ip[2], n); /* the slot's low n bytes (the engine assumes a little-endian host) */
    return VM_TRAP_NONE;
  }
  case VM_OP_MEMX_SIZE: fp[ip[1]] = inst->memories[ip[2]]->pages; return VM_TRAP_NONE;
  case VM_OP_MEMX_GROW: { /* [op, d, delta, mem]: old pages, or -1 of the index type */
    vm_memory *mem = inst->memories[ip[3]];
    uint64_t delta = index_of(mem, fp[ip[2]]);
    uint32_t r = delta > UINT32_MAX ? UINT32_MAX : vm_memory_grow(mem, (uint32_t)delta);
    fp[ip[1]] = r == UINT32_MAX && mem->limits.is64 ? UINT64_MAX : r;
    return VM_TRAP_NONE;
  }
  case VM_OP_MEMX_FILL: { /* [op, dst, val, n, mem] */
    vm_memory *mem = inst->memories[ip[4]];
    uint64_t n = index_of(mem, fp[ip[3]]);
    uint8_t *p = at(mem, fp[ip[1]], 0, n);
    if (!p) return VM_TRAP_MEMORY_OOB;
    if (n) memset(p, (int)(uint8_t)fp[ip[2]], (size_t)n);
    return VM_TRAP_NONE;
  }
  case VM_OP_MEMX_COPY: { /* [op, dst, src, n, dmem, smem]: n is an i64 only when both are 64-bit */
    vm_memory *dm = inst->memories[ip[4]], *sm = inst->memories[ip[5]];
    uint64_t n = dm->limits.is64 && sm->limits.is64 ? fp[ip[3]] : (uint32_t)fp[ip[3]];
    uint8_t *d = at(dm, fp[ip[1]], 0, n), *s = at(sm, fp[ip[2]], 0, n);
    if (!d || !s) return VM_TRAP_MEMORY_OOB;
    if (n) memmove(d, s, (size_t)n);
    return VM_TRAP_NONE;
  }
  case VM_OP_MEMX_INIT: { /* [op, seg, dst, src, n, mem] */
    const vm_memory *mem = inst->memories[ip[5]];
    return vm_memory_init_at(inst, ip[5], ip[1], index_of(mem, fp[ip[2]]), (uint32_t)fp[ip[3]],
                             (uint32_t)fp[ip[4]]);
  }
  case VM_OP_MEMX_V128_LOAD: { /* [op, d, addr, vec, mem, code, lane, off_lo, off_hi] */
    uint32_t code = ip[5];
    uint32_t n = is_lane_code(code) ? vm_simd_lane_bytes(code) : vm_simd_load_bytes(code);
    uint8_t *p = at(inst->memories[ip[4]], fp[ip[2]], offset_of(ip, 7), n);
    if (!p) return VM_TRAP_MEMORY_OOB;
    vm_v128 v;
    if (is_lane_code(code)) {
      v = vm_v128_get(fp + ip[3]);
      memcpy(v.u8 + ip[6] * n, p, n);
    } else {
      v = vm_simd_load(code, p);
    }
    vm_v128_put(fp + ip[1], &v);
    return VM_TRAP_NONE;
  }
  case VM_OP_MEMX_V128_STORE: { /* [op, addr, vec, mem, code, lane, off_lo, off_hi] */
    uint32_t code = ip[4];
    uint32_t n = is_lane_code(code) ? vm_simd_lane_bytes(code) : 16;
    uint8_t *p = at(inst->memories[ip[3]], fp[ip[1]], offset_of(ip, 6), n);
    if (!p) return VM_TRAP_MEMORY_OOB;
    vm_v128 v = vm_v128_get(fp + ip[2]);
    memcpy(p, v.u8 + (is_lane_code(code) ? ip[5] * n : 0), n);
    return VM_TRAP_NONE;
  }
  default: return VM_TRAP_UNREACHABLE;
  }
}
