/* SPDX-License-Identifier: Apache-2.0 */
/*
 * types.c - value types with their reference details (types.h): reading
 * them, lowering them to slot bytes, subtyping, and the equivalence of
 * function types.  Without GC every defined type is a function type in a
 * recursion group of its own, so a type refers to earlier types or to
 * itself; two types are equivalent when they have the same shape, their
 * references to earlier types name equivalent types, and their references to
 * themselves are at the same places.
 */
#include "vm/types.h"

#include <string.h>

#include "util/mem.h"
#include "vm/module.h"
#include "vm/opcodes.h"

vm_vt vm_vt_of_byte(uint8_t b) {
  switch (b) {
  case VM_FUNCREF: return VM_VT_FUNCREF;
  case VM_EXTERNREF: return VM_VT_EXTERNREF;
  case VM_EXNREF: return VM_VT_EXNREF;
  default: return b;
  }
}

uint8_t vm_vt_lower(vm_vt t) {
  if (!vm_vt_is_ref(t)) return (uint8_t)t;
  if (vm_vt_concrete(t)) return VM_FUNCREF;
  switch (t & 0xFF) {
  case VM_HT_EXTERN:
  case VM_HT_NOEXTERN: return VM_EXTERNREF;
  case VM_HT_EXN:
  case VM_HT_NOEXN: return VM_EXNREF;
  default: return VM_FUNCREF;
  }
}

/* ---- reading ------------------------------------------------------------------ */

static bool funcrefs_on(const vm_module *m) {
  return (m->cfg.features & VM_FEATURE_FUNCTION_REFERENCES) != 0;
}

bool vm_read_heap(const vm_module *m, vm_reader *r, uint32_t *heap) {
  const uint8_t *at = r->pos;
  int64_t v;
  if (!vm_read_sleb(r, 33, &v)) return false;
  if (v >= 0) {
    if (!funcrefs_on(m)) return vm_reader_fail(r, at, "malformed reference type");
    /* checked against the types by the caller (vm_vt_index_ok): an unknown one is invalid */
    *heap = v > VM_VT_INDEX_MASK ? VM_VT_INDEX_MASK : (uint32_t)v;
    return true;
  }
  uint8_t b = (uint8_t)(v & 0x7F);
  if (v < -0x40) return vm_reader_fail(r, at, "malformed reference type");
  switch (b) {
  case VM_HT_FUNC:
  case VM_HT_EXTERN: *heap = VM_VT_ABS | b; return true;
  case VM_HT_EXN:
    if (!(m->cfg.features & VM_FEATURE_EXCEPTIONS)) break;
    *heap = VM_VT_ABS | b;
    return true;
  case VM_HT_NOFUNC:
  case VM_HT_NOEXTERN:
  case VM_HT_NOEXN:
    if (!funcrefs_on(m) || (b == VM_HT_NOEXN && !(m->cfg.features & VM_FEATURE_EXCEPTIONS))) break;
    *heap = VM_VT_ABS | b;
    return true;
  default: break;
  }
  const char *u = (m->cfg.features & VM_FEATURE_WASM3_RULES) ? vm_unsupported_type(b) : NULL;
  return vm_reader_fail(r, at, u ? u : "malformed reference type");
}

bool vm_read_vt(const vm_module *m, vm_reader *r, bool ref_only, vm_vt *out) {
  const uint8_t *at = r->pos;
  uint8_t b;
  if (!vm_peek_u8(r, &b)) return vm_read_u8(r, &b); /* reports the end */
  if ((b == 0x63 || b == 0x64) && funcrefs_on(m)) {
    r->pos++;
    uint32_t heap;
    if (!vm_read_heap(m, r, &heap)) return false;
    *out = vm_vt_ref(b == 0x63, heap);
    return true;
  }
  int64_t v;
  if (!vm_read_sleb(r, 7, &v)) return false;
  b = (uint8_t)(v & 0x7f);
  switch (b) {
  case VM_I32:
  case VM_I64:
  case VM_F32:
  case VM_F64:
  case VM_V128:
    if (ref_only) break;
    *out = b;
    return true;
  case VM_FUNCREF:
  case VM_EXTERNREF: *out = vm_vt_of_byte(b); return true;
  case VM_EXNREF:
    if (!(m->cfg.features & VM_FEATURE_EXCEPTIONS)) break;
    *out = VM_VT_EXNREF;
    return true;
  default: break;
  }
  const char *u = (m->cfg.features & VM_FEATURE_WASM3_RULES) ? vm_unsupported_type(b) : NULL;
  return vm_reader_fail(r, at, u ? u : ref_only ? "malformed reference type" : "malformed value type");
}

/* ---- equivalence ------------------------------------------------------------------ */

/* Pairs already compared (i of ma, j of mb) and the answers, so a comparison visits each pair once. */
typedef struct equiv_memo {
  uint64_t *keys; /* (i + 1) << 32 | j, 0 = free */
  uint8_t *vals;
  size_t cap, n;
} equiv_memo;

static int memo_get(const equiv_memo *mm, uint64_t key) {
  if (!mm->cap) return -1;
  for (size_t i = (size_t)(key * 0x9E3779B97F4A7C15u >> 20) & (mm->cap - 1);; i = (i + 1) & (mm->cap - 1)) {
    if (mm->keys[i] == 0) return -1;
    if (mm->keys[i] == key) return mm->vals[i];
  }
}

static void memo_put(equiv_memo *mm, uint64_t key, bool v) {
  if (mm->n * 2 >= mm->cap) {
    size_t cap = mm->cap ? mm->cap * 2 : 64;
    uint64_t *keys = mem_calloc(cap, sizeof *keys);
    uint8_t *vals = mem_calloc(cap, 1);
    if (!keys || !vals) { /* no memo from here on: slower, still right */
      mem_free(keys);
      mem_free(vals);
      return;
    }
    for (size_t i = 0; i < mm->cap; i++) {
      if (!mm->keys[i]) continue;
      size_t k = (size_t)(mm->keys[i] * 0x9E3779B97F4A7C15u >> 20) & (cap - 1);
      while (keys[k])
        k = (k + 1) & (cap - 1);
      keys[k] = mm->keys[i];
      vals[k] = mm->vals[i];
    }
    mem_free(mm->keys);
    mem_free(mm->vals);
    mm->keys = keys;
    mm->vals = vals;
    mm->cap = cap;
  }
  size_t k = (size_t)(key * 0x9E3779B97F4A7C15u >> 20) & (mm->cap - 1);
  while (mm->keys[k])
    k = (k + 1) & (mm->cap - 1);
  mm->keys[k] = key;
  mm->vals[k] = v;
  mm->n++;
}

static bool equiv(const vm_module *ma, uint32_t i, const vm_module *mb, uint32_t j, equiv_memo *mm) {
  if (ma == mb && ma->type_canon) return ma->type_canon[i] == ma->type_canon[j];
  const vm_functype *a = &ma->types[i], *b = &mb->types[j];
  if (a->nparams != b->nparams || a->nresults != b->nresults) return false;
  uint64_t key = ((uint64_t)i + 1) << 32 | j;
  int known = memo_get(mm, key);
  if (known >= 0) return known;
  bool eq = true;
  for (uint32_t k = 0; eq && k < a->nparams + a->nresults; k++) {
    vm_vt x = vm_ft_vt(a, k), y = vm_ft_vt(b, k);
    if (!vm_vt_concrete(x) || !vm_vt_concrete(y)) {
      eq = x == y;
      continue;
    }
    if ((x & VM_VT_NULL) != (y & VM_VT_NULL)) {
      eq = false;
      continue;
    }
    uint32_t xi = vm_vt_index(x), yi = vm_vt_index(y);
    bool xs = xi == i, ys = yi == j; /* a reference to the type itself */
    if (xs || ys)
      eq = xs && ys;
    else
      eq = xi < i && yi < j && equiv(ma, xi, mb, yi, mm); /* earlier types: the recursion ends */
  }
  memo_put(mm, key, eq);
  return eq;
}

bool vm_type_equiv(const vm_module *ma, uint32_t i, const vm_module *mb, uint32_t j) {
  if (!ma || !mb || i >= ma->ntypes || j >= mb->ntypes) return false;
  if (ma == mb && i == j) return true;
  equiv_memo mm = {NULL, NULL, 0, 0};
  bool eq = equiv(ma, i, mb, j, &mm);
  mem_free(mm.keys);
  mem_free(mm.vals);
  return eq;
}

bool vm_types_canon(vm_module *m) {
  if (!m->ntypes) return true;
  uint32_t *canon = mem_calloc(m->ntypes, sizeof *canon);
  if (!canon) return false;
  /* Types with the same counts and bytes are candidates; equal bytes and no concrete reference is
   * equivalence at once.  A few hundred types at most in real modules: compare with the earlier ones
   * that share a hash of the lowered shape. */
  for (uint32_t i = 0; i < m->ntypes; i++) {
    canon[i] = i;
    const vm_functype *a = &m->types[i];
    for (uint32_t j = 0; j < i; j++) {
      if (canon[j] != j) continue;
      const vm_functype *b = &m->types[j];
      if (a->nparams != b->nparams || a->nresults != b->nresults) continue;
      size_t n = (size_t)a->nparams + a->nresults;
      if (n && memcmp(a->types, b->types, n) != 0) continue;
      bool eq = true;
      for (uint32_t k = 0; eq && k < n; k++) {
        vm_vt x = vm_ft_vt(a, k), y = vm_ft_vt(b, k);
        if (!vm_vt_concrete(x) || !vm_vt_concrete(y)) {
          eq = x == y;
        } else if ((x & VM_VT_NULL) != (y & VM_VT_NULL)) {
          eq = false;
        } else {
          uint32_t xi = vm_vt_index(x), yi = vm_vt_index(y);
          bool xs = xi == i, ys = yi == j;
          eq = (xs || ys) ? xs && ys : xi < i && yi < j && canon[xi] == canon[yi];
        }
      }
      if (eq) {
        canon[i] = j;
        break;
      }
    }
  }
  m->type_canon = canon;
  return true;
}

/* ---- subtyping ------------------------------------------------------------------------ */

static bool heap_sub(const vm_module *ma, uint32_t a, const vm_module *mb, uint32_t b) {
  bool aabs = (a & VM_VT_ABS) != 0, babs = (b & VM_VT_ABS) != 0;
  if (aabs && (a & 0xFF) == VM_HT_BOT) return true;
  if (babs) {
    uint8_t bc = (uint8_t)b;
    if (aabs && a == b) return true;
    switch (bc) {
    case VM_HT_FUNC: return !aabs || (uint8_t)a == VM_HT_NOFUNC;
    case VM_HT_EXTERN: return aabs && (uint8_t)a == VM_HT_NOEXTERN;
    case VM_HT_EXN: return aabs && (uint8_t)a == VM_HT_NOEXN;
    default: return false;
    }
  }
  if (aabs) return (uint8_t)a == VM_HT_NOFUNC;
  if (ma == mb && a == b) return true;
  return vm_type_equiv(ma, a, mb, b);
}

bool vm_vt_sub_across(const vm_module *ma, vm_vt a, const vm_module *mb, vm_vt b) {
  if (a == b && (ma == mb || !vm_vt_concrete(a))) return true;
  if (!vm_vt_is_ref(a) || !vm_vt_is_ref(b)) return false;
  if ((a & VM_VT_NULL) && !(b & VM_VT_NULL)) return false;
  if (vm_vt_concrete(a) && !ma) return false;
  if (vm_vt_concrete(b) && !mb) return false;
  return heap_sub(ma, vm_vt_heap(a), mb, vm_vt_heap(b));
}

bool vm_vt_sub(const vm_module *m, vm_vt a, vm_vt b) {
  return a == b || vm_vt_sub_across(m, a, m, b);
}
