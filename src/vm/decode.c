/* SPDX-License-Identifier: Apache-2.0 */
/*
 * decode.c - the binary decoder and module-level validator.  It owns the
 * reading of every section of a WebAssembly 2.0 binary (no SIMD) into a
 * vm_module and every check outside function bodies: section order and sizes,
 * UTF-8 names, limits, index bounds, constant expressions, segments, exports,
 * the start function, and the function/code and data-count consistency.
 * Function bodies are only located here (m->codes[i].body_*); compile.c reads
 * and validates them.
 *
 * Errors follow the reference interpreter: a module is decoded completely
 * before it is validated, so a malformed module reports the malformation even
 * when an earlier part is also invalid.  Validation problems found while
 * decoding are therefore deferred, ranked in the order the reference
 * validator checks things (imports, function types, globals, tables,
 * memories, elems, datas, start, exports, memory count), and reported only
 * when decoding succeeded.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "vm/module.h"
#include "vm/opcodes.h"
#include "vm/reader.h"
#include "vm/types.h"

/* Section ids. */
enum {
  SEC_CUSTOM = 0,
  SEC_TYPE = 1,
  SEC_IMPORT = 2,
  SEC_FUNCTION = 3,
  SEC_TABLE = 4,
  SEC_MEMORY = 5,
  SEC_GLOBAL = 6,
  SEC_EXPORT = 7,
  SEC_START = 8,
  SEC_ELEM = 9,
  SEC_CODE = 10,
  SEC_DATA = 11,
  SEC_DATA_COUNT = 12,
  SEC_TAG = 13, /* exception handling (Wasm 3.0) */
};

/* Position of each section id in the required order (the tag section sits between memory and global,
 * data count between elem and code). */
static const uint8_t section_order[14] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6};

/* Ranks of deferred validation errors: the reference validator's order. */
enum {
  RANK_TYPE,
  RANK_IMPORT,
  RANK_FUNC,
  RANK_GLOBAL,
  RANK_TABLE,
  RANK_MEMORY,
  RANK_TAG,
  RANK_ELEM,
  RANK_DATA,
  RANK_START,
  RANK_EXPORT,
  RANK_MEMCOUNT,
  RANK_NONE
};

#define MAX_PAGES 65536u

typedef struct decoder {
  vm_module *m;
  int section;  /* id of the section being decoded, -1 outside */
  bool oom;     /* an allocation failed */
  bool fatal;   /* a validation error that stops decoding (already in inv) */
  int inv_rank; /* rank of the deferred validation error, RANK_NONE if none */
  vm_error inv; /* the deferred validation error */
  bool funcs_ready, tables_ready, mems_ready, tags_ready, globals_ready;
  uint32_t nfunc_decls; /* entries of the function section */
  uint32_t ncodes;      /* entries of the code section */
  uint32_t nbodies;     /* of them, read so far */
  uint32_t defining;    /* in the global section: the index of the global being defined */
  bool in_globals;
  const uint8_t *sec_end; /* the declared end of the section being decoded */
} decoder;

/* Record a validation error unless one of an earlier (or the same) rank is
 * already recorded. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void
invalid(decoder *d, int rank, int64_t offset, const char *fmt, ...) {
  if (rank >= d->inv_rank) return;
  d->inv_rank = rank;
  va_list ap;
  va_start(ap, fmt);
  char msg[sizeof d->inv.message];
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  vm_error_set(&d->inv, VM_ERR_INVALID, d->section, offset, "%s", msg);
}

static int64_t off(const vm_reader *r, const uint8_t *p) {
  return (int64_t)(p - r->base);
}

/* calloc that refuses zero-size surprises and records failure. */
static void *alloc_array(decoder *d, size_t n, size_t size) {
  void *p = mem_calloc(n ? n : 1, size);
  if (!p) d->oom = true;
  return p;
}

/* ---- types ------------------------------------------------------------ */

/* A value type (a reference type with `ref_only`) into *vt, and its byte into *byte when not NULL; a
 * type index beyond the types (so far, in the type section: `ntypes`) is invalid at `rank`. */
static bool read_vt(decoder *d, vm_reader *r, bool ref_only, uint32_t ntypes, int rank, vm_vt *vt,
                    uint8_t *byte) {
  const uint8_t *at = r->pos;
  if (!vm_read_vt(d->m, r, ref_only, vt)) return false;
  if (!vm_vt_index_ok(*vt, ntypes)) {
    invalid(d, rank, off(r, at), "unknown type %u", vm_vt_index(*vt));
    *vt = vm_vt_ref(true, VM_VT_ABS | VM_HT_FUNC); /* harmless: the module is rejected */
  }
  if (byte) *byte = vm_vt_lower(*vt);
  return true;
}

/* Limits: Wasm 2.0 reads a 0/1 flag and u32 sizes; 3.0 a flags byte (bit 0 a maximum follows, bit 2 a
 * 64-bit index type: memory64 / table64) and u64 sizes, which validation then bounds. */
static bool read_limits(decoder *d, vm_reader *r, vm_limits *l) {
  memset(l, 0, sizeof *l);
  if (!(d->m->cfg.features & VM_FEATURE_MEMORY64)) {
    uint64_t flag;
    uint32_t v;
    if (!vm_read_uleb(r, 1, &flag)) return false;
    if (!vm_read_u32(r, &v)) return false;
    l->min = v;
    l->has_max = flag == 1;
    if (l->has_max) {
      if (!vm_read_u32(r, &v)) return false;
      l->max = v;
    }
    return true;
  }
  const uint8_t *at = r->pos;
  uint8_t flag;
  if (!vm_read_u8(r, &flag)) return false;
  if (flag & ~5u) return vm_reader_fail(r, at, "malformed limits flags");
  l->has_max = (flag & 1) != 0;
  l->is64 = (flag & 4) != 0;
  if (!vm_read_uleb(r, 64, &l->min)) return false;
  if (l->has_max && !vm_read_uleb(r, 64, &l->max)) return false;
  return true;
}

static bool read_globaltype(decoder *d, vm_reader *r, int rank, vm_globaltype *g) {
  if (!read_vt(d, r, false, d->m->ntypes, rank, &g->vt, &g->type)) return false;
  const uint8_t *at = r->pos;
  uint8_t mut;
  if (!vm_read_u8(r, &mut)) return false;
  if (mut > 1) return vm_reader_fail(r, at, "malformed mutability");
  g->mutable_ = mut == 1;
  return true;
}

static void check_table_limits(decoder *d, int rank, int64_t at, const vm_limits *l) {
  if (!l->is64 && (l->min > UINT32_MAX || (l->has_max && l->max > UINT32_MAX)))
    invalid(d, rank, at, "table size must be at most 2^32-1");
  else if (l->has_max && l->min > l->max)
    invalid(d, rank, at, "size minimum must not be greater than maximum");
}

static void check_memory_limits(decoder *d, int rank, int64_t at, const vm_limits *l) {
  uint64_t most = l->is64 ? (uint64_t)1 << 48 : MAX_PAGES;
  if (l->min > most || (l->has_max && l->max > most))
    invalid(d, rank, at, "%s",
            l->is64 ? "memory size must be at most 2^48 pages"
                    : "memory size must be at most 65536 pages (4GiB)");
  else if (l->has_max && l->min > l->max)
    invalid(d, rank, at, "size minimum must not be greater than maximum");
}

/* ---- index spaces ----------------------------------------------------- */

/* Allocate an index space (imports first, then `ndefined` own entries) once
 * the sections that contribute to it are behind us. */
static bool ready_funcs(decoder *d, uint32_t ndefined) {
  vm_module *m = d->m;
  if (d->funcs_ready) return true;
  uint64_t total = (uint64_t)m->nimported_funcs + ndefined;
  if (total > UINT32_MAX) total = UINT32_MAX; /* cannot happen: both bounded by the input size */
  m->func_types = alloc_array(d, (size_t)total, sizeof *m->func_types);
  m->func_declared = alloc_array(d, (size_t)total, 1);
  if (!m->func_types || !m->func_declared) return false;
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == VM_EXTERN_FUNC) m->func_types[k++] = m->imports[i].type.func_type;
  m->nfuncs = (uint32_t)total;
  d->funcs_ready = true;
  return true;
}

static bool ready_tables(decoder *d, uint32_t ndefined) {
  vm_module *m = d->m;
  if (d->tables_ready) return true;
  uint64_t total = (uint64_t)m->nimported_tables + ndefined;
  m->tables = alloc_array(d, (size_t)total, sizeof *m->tables);
  if (!m->tables) return false;
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == VM_EXTERN_TABLE) m->tables[k++] = m->imports[i].type.table;
  m->ntables = (uint32_t)total;
  d->tables_ready = true;
  return true;
}

static bool ready_mems(decoder *d, uint32_t ndefined) {
  vm_module *m = d->m;
  if (d->mems_ready) return true;
  uint64_t total = (uint64_t)m->nimported_memories + ndefined;
  m->memories = alloc_array(d, (size_t)total, sizeof *m->memories);
  if (!m->memories) return false;
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == VM_EXTERN_MEMORY) m->memories[k++] = m->imports[i].type.memory;
  m->nmemories = (uint32_t)total;
  d->mems_ready = true;
  return true;
}

static bool ready_tags(decoder *d, uint32_t ndefined) {
  vm_module *m = d->m;
  if (d->tags_ready) return true;
  uint64_t total = (uint64_t)m->nimported_tags + ndefined;
  m->tag_types = alloc_array(d, (size_t)total, sizeof *m->tag_types);
  if (!m->tag_types) return false;
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == VM_EXTERN_TAG) m->tag_types[k++] = m->imports[i].type.func_type;
  m->ntags = (uint32_t)total;
  d->tags_ready = true;
  return true;
}

static bool ready_globals(decoder *d, uint32_t ndefined) {
  vm_module *m = d->m;
  if (d->globals_ready) return true;
  uint64_t total = (uint64_t)m->nimported_globals + ndefined;
  m->global_types = alloc_array(d, (size_t)total, sizeof *m->global_types);
  m->globals = alloc_array(d, ndefined, sizeof *m->globals);
  if (!m->global_types || !m->globals) return false;
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == VM_EXTERN_GLOBAL) m->global_types[k++] = m->imports[i].type.global;
  m->nglobals = (uint32_t)total;
  d->globals_ready = true;
  return true;
}

/* Make every index space that precedes section position `order` available
 * (absent sections contribute nothing). */
static bool ready_before(decoder *d, int order) {
  if (order > 3 && !ready_funcs(d, 0)) return false;
  if (order > 4 && !ready_tables(d, 0)) return false;
  if (order > 5 && !ready_mems(d, 0)) return false;
  if (order > 6 && !ready_tags(d, 0)) return false;
  if (order > 7 && !ready_globals(d, 0)) return false;
  return true;
}

/* ---- constant expressions --------------------------------------------- */

/* Opcodes opcodes.def does not define. */
static bool illegal_opcode(uint8_t op) {
  return vm_wasm_imm[op] == VM_IMM_ILLEGAL;
}

/* Skip the immediates of a non-constant instruction; false when its shape is
 * too involved to skip here (blocks, tables, prefixed ops). */
static bool skip_immediates(vm_reader *r, uint8_t op, bool *unknown_shape) {
  uint32_t x;
  *unknown_shape = false;
  switch (vm_wasm_imm[op]) {
  case VM_IMM_NONE:
    /* else and end have their own meaning in a constant expression */
    if (op == VM_WASM_ELSE || op == VM_WASM_END) break;
    return true;
  case VM_IMM_LABEL:
  case VM_IMM_FUNC:
  case VM_IMM_TYPE:
  case VM_IMM_LOCAL:
  case VM_IMM_GLOBAL:
  case VM_IMM_TABLE: return vm_read_u32(r, &x);
  case VM_IMM_CALL_INDIRECT:
  case VM_IMM_MEMARG: return vm_read_u32(r, &x) && vm_read_u32(r, &x);
  case VM_IMM_MEM: {
    const uint8_t *at = r->pos;
    uint8_t z;
    if (!vm_read_u8(r, &z)) return false;
    if (z != 0) return vm_reader_fail(r, at, "zero byte expected");
    return true;
  }
  default: break;
  }
  *unknown_shape = true;
  return true;
}

/*
 * Decode a constant expression up to its `end` into `e` and check it against
 * `expect`.  Validation problems are reported with invalid(d, rank, ...),
 * the reference's order kept: constness (and global.get's target) before
 * typing.  Returns false on malformed input (error in `r`) or on a fatal
 * validation error (d->fatal).
 */
/* Append an item to the module's constant-expression items. */
static bool push_const_op(decoder *d, const vm_const_expr *it) {
  vm_module *m = d->m;
  if (m->nconst_ops == m->const_ops_cap) {
    uint32_t cap = m->const_ops_cap ? m->const_ops_cap * 2 : 16;
    vm_const_expr *p = cap > m->const_ops_cap ? mem_realloc(m->const_ops, (size_t)cap * sizeof *p) : NULL;
    if (!p) {
      d->oom = true;
      return false;
    }
    m->const_ops = p;
    m->const_ops_cap = cap;
  }
  m->const_ops[m->nconst_ops++] = *it;
  return true;
}

/* The extended-constant operator of opcode `op` (Wasm 3.0), or 0. */
static vm_const_kind const_operator(uint8_t op) {
  switch (op) {
  case VM_WASM_I32_ADD: return VM_CONST_I32_ADD;
  case VM_WASM_I32_SUB: return VM_CONST_I32_SUB;
  case VM_WASM_I32_MUL: return VM_CONST_I32_MUL;
  case VM_WASM_I64_ADD: return VM_CONST_I64_ADD;
  case VM_WASM_I64_SUB: return VM_CONST_I64_SUB;
  case VM_WASM_I64_MUL: return VM_CONST_I64_MUL;
  default: return 0;
  }
}

/* Type the items m->const_ops[first..] as a stack machine: true when they leave one value of `expect`;
 * *depth is the deepest the stack gets. */
static bool type_const_ops(const vm_module *m, uint32_t first, vm_vt expect, uint32_t *depth) {
  vm_vt ts[VM_CONST_MAX_DEPTH + 1];
  uint32_t sp = 0;
  *depth = 0;
  for (uint32_t i = first; i < m->nconst_ops; i++) {
    const vm_const_expr *it = &m->const_ops[i];
    if (it->kind >= VM_CONST_I32_ADD && it->kind <= VM_CONST_I64_MUL) {
      uint8_t t = it->kind <= VM_CONST_I32_MUL ? VM_I32 : VM_I64;
      if (sp < 2 || ts[sp - 1] != t || ts[sp - 2] != t) return false;
      sp--;
    } else {
      if (sp > VM_CONST_MAX_DEPTH) return false; /* (reported as too deep by the caller) */
      ts[sp++] = it->vt ? it->vt : vm_vt_of_byte(it->type);
      if (sp > *depth) *depth = sp;
    }
  }
  return sp == 1 && vm_vt_sub(m, ts[0], expect);
}

/* The type of global x: of the index space once the global section is reached, of the imports before. */
static const vm_globaltype *global_type_at(const decoder *d, uint32_t x) {
  const vm_module *m = d->m;
  if (d->globals_ready) return x < m->nglobals ? &m->global_types[x] : NULL;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == VM_EXTERN_GLOBAL && x-- == 0) return &m->imports[i].type.global;
  return NULL;
}

static bool read_const(decoder *d, vm_reader *r, vm_const_expr *e, vm_vt expect, int rank) {
  vm_module *m = d->m;
  char const_err[96] = "", type_err[96] = "";
  int64_t const_at = -1, type_at = -1;
  const uint8_t *start = r->pos;
  uint32_t n = 0, first = m->nconst_ops;
  bool extended = (m->cfg.features & VM_FEATURE_EXTENDED_CONST) != 0;
  memset(e, 0, sizeof *e);
  for (;;) {
    const uint8_t *at = r->pos;
    uint8_t op;
    if (!vm_read_u8(r, &op)) return false;
    if (op == VM_WASM_END) break;
    vm_const_expr cur;
    memset(&cur, 0, sizeof cur);
    switch (op) {
    case VM_WASM_I32_ADD:
    case VM_WASM_I32_SUB:
    case VM_WASM_I32_MUL:
    case VM_WASM_I64_ADD:
    case VM_WASM_I64_SUB:
    case VM_WASM_I64_MUL:
      if (extended) {
        cur.kind = const_operator(op);
        break;
      }
      if (!const_err[0]) {
        snprintf(const_err, sizeof const_err, "constant expression required");
        const_at = off(r, at);
      }
      break;
    case VM_WASM_I32_CONST: {
      int32_t v;
      if (!vm_read_s32(r, &v)) return false;
      cur.kind = VM_CONST_I32;
      cur.type = VM_I32;
      cur.value = (uint32_t)v;
      break;
    }
    case VM_WASM_I64_CONST: {
      int64_t v;
      if (!vm_read_s64(r, &v)) return false;
      cur.kind = VM_CONST_I64;
      cur.type = VM_I64;
      cur.value = (uint64_t)v;
      break;
    }
    case VM_WASM_F32_CONST: {
      uint32_t bits;
      if (!vm_read_f32(r, &bits)) return false;
      cur.kind = VM_CONST_F32;
      cur.type = VM_F32;
      cur.value = bits;
      break;
    }
    case VM_WASM_F64_CONST:
      if (!vm_read_f64(r, &cur.value)) return false;
      cur.kind = VM_CONST_F64;
      cur.type = VM_F64;
      break;
    case VM_WASM_REF_NULL: {
      uint32_t heap;
      if (!vm_read_heap(m, r, &heap)) return false;
      cur.vt = vm_vt_ref(true, heap);
      if (!vm_vt_index_ok(cur.vt, m->ntypes) && !type_err[0]) {
        snprintf(type_err, sizeof type_err, "unknown type %u", vm_vt_index(cur.vt));
        type_at = off(r, at);
      }
      cur.type = vm_vt_lower(cur.vt);
      cur.kind = VM_CONST_REF_NULL;
      break;
    }
    case VM_WASM_PREFIX_FD: {
      /* v128.const is constant; any other SIMD instruction is not, and its
       * immediates cannot be skipped here (as for the other prefixed ones). */
      uint32_t sub;
      if (!vm_read_u32(r, &sub)) return false;
      if (sub == VM_WASM_V128_CONST) {
        uint8_t b[16];
        for (int i = 0; i < 16; i++)
          if (!vm_read_u8(r, &b[i])) return false;
        memcpy(&cur.value, b, 8);
        memcpy(&cur.hi, b + 8, 8);
        cur.kind = VM_CONST_V128;
        cur.type = VM_V128;
        break;
      }
      if (sub >= VM_WASM_NFD || vm_wasm_imm[VM_WASM_INDEX(0xFD, sub)] == VM_IMM_ILLEGAL)
        return vm_reader_fail(r, at, "illegal opcode");
      if (!const_err[0]) {
        snprintf(const_err, sizeof const_err, "constant expression required");
        const_at = off(r, at);
      }
      invalid(d, rank, const_at, "%s", const_err);
      d->fatal = true;
      return false;
    }
    case VM_WASM_REF_FUNC:
      if (!vm_read_u32(r, &cur.index)) return false;
      cur.kind = VM_CONST_REF_FUNC;
      cur.type = VM_FUNCREF;
      if (cur.index >= m->nfuncs) {
        if (!type_err[0]) {
          snprintf(type_err, sizeof type_err, "unknown function %u", cur.index);
          type_at = off(r, at);
        }
      } else {
        m->func_declared[cur.index] = 1;
        /* (ref $t), the function's own type, where typed references exist; funcref in Wasm 2.0 */
        if (m->cfg.features & VM_FEATURE_FUNCTION_REFERENCES)
          cur.vt = vm_vt_ref(false, m->func_types[cur.index]);
      }
      break;
    case VM_WASM_GLOBAL_GET:
      if (!vm_read_u32(r, &cur.index)) return false;
      cur.kind = VM_CONST_GLOBAL_GET;
      /* Constant expressions see only imported globals (Wasm 2.0); in 3.0 every global defined before
       * (in a global's initialiser: before it). */
      /* (a table's initialiser, before the global section: the imported ones) */
      const vm_globaltype *gt = global_type_at(d, cur.index);
      if (cur.index >= (!(m->cfg.features & VM_FEATURE_WASM3_RULES) ? m->nimported_globals
                        : d->in_globals                             ? d->defining
                        : d->globals_ready                          ? m->nglobals
                                                                    : m->nimported_globals) ||
          !gt) {
        if (!const_err[0]) {
          snprintf(const_err, sizeof const_err, "unknown global %u", cur.index);
          const_at = off(r, at);
        }
      } else if (gt->mutable_) {
        if (!const_err[0]) {
          snprintf(const_err, sizeof const_err, "constant expression required");
          const_at = off(r, at);
        }
      } else {
        cur.type = gt->type;
        cur.vt = vm_global_vt(gt);
      }
      break;
    default: {
      if (op == VM_WASM_ELSE) return vm_reader_fail(r, at, "END opcode expected");
      if (illegal_opcode(op)) return vm_reader_fail(r, at, "illegal opcode");
      bool unknown_shape;
      if (!skip_immediates(r, op, &unknown_shape)) return false;
      if (!const_err[0]) {
        snprintf(const_err, sizeof const_err, "constant expression required");
        const_at = off(r, at);
      }
      if (unknown_shape) {
        /* Cannot find the expression's end without a full instruction
         * decoder; stop here with the validation error. */
        invalid(d, rank, const_at, "%s", const_err);
        d->fatal = true;
        return false;
      }
      break;
    }
    }
    if (n++ == 0) *e = cur;
    if (!push_const_op(d, &cur)) return false;
  }
  uint32_t depth = 0;
  bool typed = !const_err[0] && !type_err[0] && type_const_ops(m, first, expect, &depth);
  if (const_err[0]) {
    invalid(d, rank, const_at, "%s", const_err);
  } else if (type_err[0]) {
    invalid(d, rank, type_at, "%s", type_err);
  } else if (depth > VM_CONST_MAX_DEPTH) {
    invalid(d, rank, off(r, start), "constant expression too deep (over %d values)", VM_CONST_MAX_DEPTH);
  } else if (!typed) {
    invalid(d, rank, off(r, start), "type mismatch");
  }
  if (n == 1 || !typed) {
    m->nconst_ops = first; /* one instruction: kept in *e */
  } else {
    e->kind = VM_CONST_PROGRAM;
    e->type = vm_vt_lower(expect);
    e->vt = expect;
    e->index = first;
    e->value = n;
  }
  return true;
}

/* ---- sections --------------------------------------------------------- */

static bool sec_type(decoder *d, vm_reader *r) {
  vm_module *m = d->m;
  uint32_t n;
  if (!vm_read_len(r, &n)) return false;
  m->types = alloc_array(d, n, sizeof *m->types);
  /* Every value type takes at least a byte of the section: its size bounds
   * the total. */
  m->type_storage = alloc_array(d, vm_reader_left(r), 1);
  m->type_vts = alloc_array(d, vm_reader_left(r), sizeof *m->type_vts);
  if (!m->types || !m->type_storage || !m->type_vts) return false;
  if (n >= VM_VT_INDEX_MASK) return vm_reader_fail(r, r->pos, "too many types");
  m->ntypes = n;
  size_t used = 0;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *at = r->pos;
    int64_t form;
    if (!vm_read_sleb(r, 7, &form)) return false;
    if (form != -0x20) {
      /* sub, sub final, rec, struct, array: Wasm 3.0's GC types */
      bool gc = form == -0x30 || form == -0x31 || form == -0x32 || form == -0x21 || form == -0x22;
      if (gc && (m->cfg.features & VM_FEATURE_WASM3_RULES))
        return vm_reader_fail(r, at, "unsupported: GC types (struct, array, rec, sub: Wasm 3.0)");
      return vm_reader_fail(r, at, "malformed function type");
    }
    vm_functype *ft = &m->types[i];
    ft->types = m->type_storage + used;
    ft->vts = m->type_vts + used;
    ft->module = m;
    ft->index = i;
    uint32_t np, nr;
    /* A type refers to earlier types and to itself (its own recursion group). */
    if (!vm_read_len(r, &np)) return false;
    for (uint32_t k = 0; k < np; k++, used++)
      if (!read_vt(d, r, false, i + 1, RANK_TYPE, &m->type_vts[used], &m->type_storage[used])) return false;
    if (!vm_read_len(r, &nr)) return false;
    for (uint32_t k = 0; k < nr; k++, used++)
      if (!read_vt(d, r, false, i + 1, RANK_TYPE, &m->type_vts[used], &m->type_storage[used])) return false;
    ft->nparams = np;
    ft->nresults = nr;
    for (uint32_t k = 0; k < np + nr; k++)
      if (vm_vt_typed(ft->vts[k])) ft->typed = true;
  }
  if (!vm_types_canon(m)) {
    d->oom = true;
    return false;
  }
  return true;
}

/* A tag's type: the attribute 0 (an exception), then a function type index with no results. */
static bool read_tagtype(decoder *d, vm_reader *r, int rank, uint32_t *type) {
  vm_module *m = d->m;
  const uint8_t *at = r->pos;
  uint8_t attr;
  if (!vm_read_u8(r, &attr)) return false;
  if (attr != 0) return vm_reader_fail(r, at, "malformed tag attribute");
  at = r->pos;
  if (!vm_read_u32(r, type)) return false;
  if (*type >= m->ntypes) {
    invalid(d, rank, off(r, at), "unknown type %u", *type);
    *type = 0;
  } else if (m->types[*type].nresults != 0) {
    invalid(d, rank, off(r, at), "non-empty tag result type");
  }
  return true;
}

static bool sec_import(decoder *d, vm_reader *r) {
  vm_module *m = d->m;
  uint32_t n;
  if (!vm_read_len(r, &n)) return false;
  m->imports = alloc_array(d, n, sizeof *m->imports);
  if (!m->imports) return false;
  for (uint32_t i = 0; i < n; i++) {
    vm_import *im = &m->imports[i];
    const uint8_t *p;
    if (!vm_read_name(r, &p, &im->module_len)) return false;
    im->module = (char *)m->bytes + (p - r->base);
    if (!vm_read_name(r, &p, &im->name_len)) return false;
    im->name = (char *)m->bytes + (p - r->base);
    const uint8_t *at = r->pos;
    if (!vm_read_u8(r, &im->kind)) return false;
    m->nimports = i + 1; /* entries so far are complete enough to release */
    const uint8_t *tat = r->pos;
    switch (im->kind) {
    case VM_EXTERN_FUNC:
      if (!vm_read_u32(r, &im->type.func_type)) return false;
      if (im->type.func_type >= m->ntypes)
        invalid(d, RANK_IMPORT, off(r, tat), "unknown type %u", im->type.func_type);
      m->nimported_funcs++;
      break;
    case VM_EXTERN_TABLE:
      if (!read_vt(d, r, true, m->ntypes, RANK_IMPORT, &im->type.table.vt, &im->type.table.elemtype) ||
          !read_limits(d, r, &im->type.table.limits))
        return false;
      check_table_limits(d, RANK_IMPORT, off(r, tat), &im->type.table.limits);
      m->nimported_tables++;
      break;
    case VM_EXTERN_MEMORY:
      if (!read_limits(d, r, &im->type.memory)) return false;
      check_memory_limits(d, RANK_IMPORT, off(r, tat), &im->type.memory);
      m->nimported_memories++;
      break;
    case VM_EXTERN_GLOBAL:
      if (!read_globaltype(d, r, RANK_IMPORT, &im->type.global)) return false;
      m->nimported_globals++;
      break;
    case VM_EXTERN_TAG:
      if (!(m->cfg.features & VM_FEATURE_EXCEPTIONS)) return vm_reader_fail(r, at, "malformed import kind");
      if (!read_tagtype(d, r, RANK_IMPORT, &im->type.func_type)) return false;
      m->nimported_tags++;
      break;
    default: return vm_reader_fail(r, at, "malformed import kind");
    }
  }
  return true;
}

static bool sec_function(decoder *d, vm_reader *r) {
  vm_module *m = d->m;
  uint32_t n;
  if (!vm_read_len(r, &n)) return false;
  if (!ready_funcs(d, n)) return false;
  d->nfunc_decls = n;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *at = r->pos;
    uint32_t t;
    if (!vm_read_u32(r, &t)) return false;
    if (t >= m->ntypes) {
      invalid(d, RANK_FUNC, off(r, at), "unknown type %u", t);
      t = 0; /* keep the entry harmless; the module is rejected anyway */
    }
    m->func_types[m->nimported_funcs + i] = t;
  }
  return true;
}

static bool sec_table(decoder *d, vm_reader *r) {
  vm_module *m = d->m;
  uint32_t n;
  if (!vm_read_len(r, &n)) return false;
  if (!ready_tables(d, n)) return false;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t k = m->nimported_tables + i;
    /* 3.0 (typed references): 0x40 0x00, the table type, then an initialiser for every element */
    bool has_init = false;
    if (r->pos < r->end && *r->pos == 0x40 && (m->cfg.features & VM_FEATURE_FUNCTION_REFERENCES)) {
      const uint8_t *zat = ++r->pos;
      uint8_t z;
      if (!vm_read_u8(r, &z)) return false;
      if (z != 0) return vm_reader_fail(r, zat, "malformed table");
      has_init = true;
    }
    const uint8_t *at = r->pos;
    vm_tabletype *t = &m->tables[k];
    if (!read_vt(d, r, true, m->ntypes, RANK_TABLE, &t->vt, &t->elemtype) || !read_limits(d, r, &t->limits))
      return false;
    check_table_limits(d, RANK_TABLE, off(r, at), &t->limits);
    if (has_init) {
      if (!m->table_inits && !(m->table_inits = alloc_array(d, m->ntables, sizeof *m->table_inits)))
        return false;
      if (!read_const(d, r, &m->table_inits[k], t->vt, RANK_TABLE)) return false;
    } else if (!(t->vt & VM_VT_NULL)) {
      invalid(d, RANK_TABLE, off(r, at), "type mismatch"); /* no default value for its elements */
    }
  }
  return true;
}

static bool sec_memory(decoder *d, vm_reader *r) {
  vm_module *m = d->m;
  uint32_t n;
  if (!vm_read_len(r, &n)) return false;
  if (!ready_mems(d, n)) return false;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *at = r->pos;
    vm_limits *l = &m->memories[m->nimported_memories + i];
    if (!read_limits(d, r, l)) return false;
    check_memory_limits(d, RANK_MEMORY, off(r, at), l);
  }
  return true;
}

static bool sec_tag(decoder *d, vm_reader *r) {
  vm_module *m = d->m;
  uint32_t n;
  if (!vm_read_len(r, &n)) return false;
  if (!ready_tags(d, n)) return false;
  for (uint32_t i = 0; i < n; i++)
    if (!read_tagtype(d, r, RANK_TAG, &m->tag_types[m->nimported_tags + i])) return false;
  return true;
}

static bool sec_global(decoder *d, vm_reader *r) {
  vm_module *m = d->m;
  uint32_t n;
  if (!vm_read_len(r, &n)) return false;
  if (!ready_globals(d, n)) return false;
  for (uint32_t i = 0; i < n; i++) {
    vm_global_def *g = &m->globals[i];
    if (!read_globaltype(d, r, RANK_GLOBAL, &g->type)) return false;
    m->global_types[m->nimported_globals + i] = g->type;
    d->in_globals = true;
    d->defining = m->nimported_globals + i;
    bool ok;
    if (m->cfg.features & VM_FEATURE_WASM3_RULES) {
      /* 3.0's reference reads an initialiser within its section: one without its end runs into the
       * section's end, not into the next section */
      vm_reader in = *r;
      in.end = in.limit = d->sec_end > r->pos ? d->sec_end : r->pos;
      ok = read_const(d, &in, &g->init, g->type.vt, RANK_GLOBAL);
      r->pos = in.pos;
      if (!ok && in.error) vm_reader_fail(r, in.error_at, in.error);
    } else {
      ok = read_const(d, r, &g->init, g->type.vt, RANK_GLOBAL);
    }
    d->in_globals = false;
    if (!ok) return false;
  }
  return true;
}

static bool sec_export(decoder *d, vm_reader *r) {
  vm_module *m = d->m;
  uint32_t n;
  if (!vm_read_len(r, &n)) return false;
  m->exports = alloc_array(d, n, sizeof *m->exports);
  if (!m->exports) return false;
  for (uint32_t i = 0; i < n; i++) {
    vm_export *ex = &m->exports[i];
    const uint8_t *p;
    if (!vm_read_name(r, &p, &ex->name_len)) return false;
    ex->name = (char *)m->bytes + (p - r->base);
    const uint8_t *at = r->pos;
    if (!vm_read_u8(r, &ex->kind)) return false;
    if (ex->kind > VM_EXTERN_TAG || (ex->kind == VM_EXTERN_TAG && !(m->cfg.features & VM_FEATURE_EXCEPTIONS)))
      return vm_reader_fail(r, at, "malformed export kind");
    const uint8_t *iat = r->pos;
    if (!vm_read_u32(r, &ex->index)) return false;
    m->nexports = i + 1;
    switch (ex->kind) {
    case VM_EXTERN_FUNC:
      if (ex->index >= m->nfuncs)
        invalid(d, RANK_EXPORT, off(r, iat), "unknown function %u", ex->index);
      else
        m->func_declared[ex->index] = 1;
      break;
    case VM_EXTERN_TABLE:
      if (ex->index >= m->ntables) invalid(d, RANK_EXPORT, off(r, iat), "unknown table %u", ex->index);
      break;
    case VM_EXTERN_MEMORY:
      if (ex->index >= m->nmemories) invalid(d, RANK_EXPORT, off(r, iat), "unknown memory %u", ex->index);
      break;
    case VM_EXTERN_TAG:
      if (ex->index >= m->ntags) invalid(d, RANK_EXPORT, off(r, iat), "unknown tag %u", ex->index);
      break;
    default:
      if (ex->index >= m->nglobals) invalid(d, RANK_EXPORT, off(r, iat), "unknown global %u", ex->index);
      break;
    }
  }
  return true;
}

static bool sec_start(decoder *d, vm_reader *r) {
  vm_module *m = d->m;
  const uint8_t *at = r->pos;
  if (!vm_read_u32(r, &m->start)) return false;
  m->has_start = true;
  if (m->start >= m->nfuncs) {
    invalid(d, RANK_START, off(r, at), "unknown function %u", m->start);
  } else {
    uint32_t t = m->func_types[m->start];
    if (t >= m->ntypes || m->types[t].nparams != 0 || m->types[t].nresults != 0)
      invalid(d, RANK_START, off(r, at), "start function");
  }
  return true;
}

static bool sec_elem(decoder *d, vm_reader *r) {
  vm_module *m = d->m;
  uint32_t n;
  if (!vm_read_len(r, &n)) return false;
  m->elems = alloc_array(d, n, sizeof *m->elems);
  if (!m->elems) return false;
  for (uint32_t i = 0; i < n; i++) {
    vm_elem *e = &m->elems[i];
    m->nelems = i + 1;
    const uint8_t *at = r->pos;
    uint32_t flags;
    if (!vm_read_u32(r, &flags)) return false;
    if (flags > 7) return vm_reader_fail(r, at, "malformed elements segment kind");
    /* bit 0: passive/declarative (else active); bit 1: explicit table index
     * (active) or declarative (otherwise); bit 2: expressions, not indices. */
    bool active = !(flags & 1);
    bool exprs = (flags & 4) != 0;
    e->mode = active ? VM_SEG_ACTIVE : (flags & 2) ? VM_SEG_DECLARATIVE : VM_SEG_PASSIVE;
    e->type = VM_FUNCREF;
    /* function indices: (ref func) where typed references exist (never null), funcref in 2.0; expressions
     * without a type: funcref */
    e->vt = (m->cfg.features & VM_FEATURE_FUNCTION_REFERENCES) && !exprs
                ? vm_vt_ref(false, VM_VT_ABS | VM_HT_FUNC)
                : VM_VT_FUNCREF;
    e->table = 0;
    const uint8_t *table_at = r->pos;
    if (active && (flags & 2) && !vm_read_u32(r, &e->table)) return false;
    vm_const_expr offset_expr;
    memset(&offset_expr, 0, sizeof offset_expr);
    int saved_rank = d->inv_rank;
    vm_error saved_inv = d->inv;
    bool offset_invalid = false;
    vm_error offset_err;
    if (active) {
      /* The reference checks the items before the offset: hold the offset's
       * problem back until the items are done. */
      d->inv_rank = RANK_NONE;
      uint8_t index_type = e->table < m->ntables && m->tables[e->table].limits.is64 ? VM_I64 : VM_I32;
      bool ok = read_const(d, r, &offset_expr, index_type, RANK_ELEM);
      offset_invalid = d->inv_rank != RANK_NONE;
      offset_err = d->inv;
      d->inv_rank = saved_rank;
      d->inv = saved_inv;
      if (!ok) {
        if (d->fatal) invalid(d, RANK_ELEM, offset_err.offset, "%s", offset_err.message);
        return false;
      }
      e->offset = offset_expr;
    }
    if (flags & 3) { /* an element kind or reference type follows */
      const uint8_t *kat = r->pos;
      if (exprs) {
        if (!read_vt(d, r, true, m->ntypes, RANK_ELEM, &e->vt, &e->type)) return false;
      } else {
        uint8_t kind;
        if (!vm_read_u8(r, &kind)) return false;
        if (kind != 0) return vm_reader_fail(r, kat, "malformed element kind");
      }
    }
    uint32_t count;
    if (!vm_read_len(r, &count)) return false;
    e->items = alloc_array(d, count, sizeof *e->items);
    if (!e->items) return false;
    e->count = count;
    for (uint32_t k = 0; k < count; k++) {
      vm_const_expr *it = &e->items[k];
      if (exprs) {
        if (!read_const(d, r, it, e->vt, RANK_ELEM)) return false;
      } else {
        const uint8_t *fat = r->pos;
        if (!vm_read_u32(r, &it->index)) return false;
        it->kind = VM_CONST_REF_FUNC;
        it->type = VM_FUNCREF;
        if (it->index >= m->nfuncs)
          invalid(d, RANK_ELEM, off(r, fat), "unknown function %u", it->index);
        else
          m->func_declared[it->index] = 1;
        it->vt = e->vt;
      }
    }
    if (active) {
      if (e->table >= m->ntables)
        invalid(d, RANK_ELEM, off(r, table_at), "unknown table %u", e->table);
      else if (!vm_vt_sub(m, e->vt, m->tables[e->table].vt))
        invalid(d, RANK_ELEM, off(r, table_at), "type mismatch");
      if (offset_invalid) invalid(d, RANK_ELEM, offset_err.offset, "%s", offset_err.message);
    }
  }
  return true;
}

static bool sec_data_count(decoder *d, vm_reader *r) {
  if (!vm_read_u32(r, &d->m->data_count)) return false;
  d->m->has_data_count = true;
  return true;
}

static bool sec_code(decoder *d, vm_reader *r) {
  vm_module *m = d->m;
  uint32_t n;
  if (!vm_read_len(r, &n)) return false;
  /* At least one entry per declared function, so that releasing the module
   * may walk nfuncs - nimported_funcs entries whatever the counts say. */
  m->codes = alloc_array(d, n > d->nfunc_decls ? n : d->nfunc_decls, sizeof *m->codes);
  if (!m->codes) return false;
  d->ncodes = n;
  for (uint32_t i = 0; i < n; i++) {
    vm_reader body;
    if (!vm_read_sized(r, &body)) return false;
    m->codes[i].body_offset = (uint32_t)(body.pos - r->base);
    m->codes[i].body_len = (uint32_t)(body.end - body.pos);
    m->code_bytes += m->codes[i].body_len;
    r->pos = body.end;
    d->nbodies = i + 1;
  }
  return true;
}

static bool sec_data(decoder *d, vm_reader *r) {
  vm_module *m = d->m;
  uint32_t n;
  if (!vm_read_len(r, &n)) return false;
  m->datas = alloc_array(d, n, sizeof *m->datas);
  if (!m->datas) return false;
  for (uint32_t i = 0; i < n; i++) {
    vm_data *seg = &m->datas[i];
    m->ndatas = i + 1;
    const uint8_t *at = r->pos;
    uint32_t flags;
    if (!vm_read_u32(r, &flags)) return false;
    if (flags > 2) return vm_reader_fail(r, at, "malformed data segment kind");
    seg->mode = flags == 1 ? VM_SEG_PASSIVE : VM_SEG_ACTIVE;
    seg->memory = 0;
    const uint8_t *mat = r->pos;
    if (flags == 2 && !vm_read_u32(r, &seg->memory)) return false;
    if (seg->mode == VM_SEG_ACTIVE) {
      uint8_t index_type = seg->memory < m->nmemories && m->memories[seg->memory].is64 ? VM_I64 : VM_I32;
      /* the memory before the offset's type, as the reference checks them */
      if (seg->memory >= m->nmemories) invalid(d, RANK_DATA, off(r, mat), "unknown memory %u", seg->memory);
      if (!read_const(d, r, &seg->offset, index_type, RANK_DATA)) return false;
    }
    const uint8_t *p;
    if (!vm_read_bytevec(r, &p, &seg->len)) return false;
    seg->bytes = m->bytes + (p - r->base);
  }
  return true;
}

/* A custom section: a UTF-8 name, then anything.  The reference reads the
 * name without regard to the section's size and then fails to skip a
 * negative remainder, so a name that overruns the section is an unexpected
 * end, not a size mismatch. */
static bool sec_custom(decoder *d, vm_reader *r) {
  (void)d;
  vm_reader c = *r;
  c.limit = c.end;
  const uint8_t *at = c.pos;
  uint32_t len;
  if (!vm_read_u32(&c, &len)) {
    r->error = c.error;
    r->error_at = c.error_at;
    return false;
  }
  if ((uint64_t)len > (uint64_t)(r->limit - c.pos)) return vm_reader_fail(r, at, VM_MSG_LENGTH_OOB);
  if ((uint64_t)len > (uint64_t)(c.end - c.pos)) return vm_reader_fail(r, c.end, VM_MSG_UNEXPECTED_END);
  if (!vm_utf8_valid(c.pos, len)) return vm_reader_fail(r, at, VM_MSG_UTF8);
  r->pos = r->end;
  return true;
}

/* ---- exports: name uniqueness ----------------------------------------- */

static int cmp_export_names(const void *a, const void *b) {
  const vm_export *x = *(const vm_export *const *)a, *y = *(const vm_export *const *)b;
  size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
  int c = memcmp(x->name, y->name, n);
  if (c) return c;
  return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

static bool check_export_names(decoder *d) {
  vm_module *m = d->m;
  if (m->nexports < 2) return true;
  const vm_export **v = alloc_array(d, m->nexports, sizeof *v);
  if (!v) return false;
  for (uint32_t i = 0; i < m->nexports; i++)
    v[i] = &m->exports[i];
  qsort(v, m->nexports, sizeof *v, cmp_export_names);
  for (uint32_t i = 1; i < m->nexports; i++)
    if (cmp_export_names(&v[i - 1], &v[i]) == 0) {
      invalid(d, RANK_EXPORT, -1, "duplicate export name");
      break;
    }
  mem_free(v);
  return true;
}

/* ---- the module ------------------------------------------------------- */

typedef bool (*section_fn)(decoder *d, vm_reader *r);

static const section_fn section_fns[14] = {
    sec_custom, sec_type,  sec_import, sec_function, sec_table, sec_memory,     sec_global,
    sec_export, sec_start, sec_elem,   sec_code,     sec_data,  sec_data_count, sec_tag,
};

static vm_result failure_error(decoder *d, const vm_reader *r, vm_error *err);

/* A malformed or invalid module whose function bodies were read: the reference decodes each body as it
 * reads the code section, so a malformed body is what it reports. */
static vm_result bodies_first(decoder *d, vm_error *err) {
  if ((err->result == VM_ERR_MALFORMED || err->result == VM_ERR_INVALID) && d->nbodies) {
    vm_error body;
    vm_error_clear(&body);
    if (vm_scan_bodies(d->m, d->nbodies, &body) == VM_ERR_MALFORMED) *err = body;
  }
  return err->result;
}

/* Turn a failed step into the error to return. */
static vm_result failure(decoder *d, const vm_reader *r, vm_error *err) {
  if (d->oom) return vm_error_set(err, VM_ERR_NOMEM, d->section, -1, "out of memory");
  failure_error(d, r, err);
  return bodies_first(d, err);
}

static vm_result failure_error(decoder *d, const vm_reader *r, vm_error *err) {
  if (r->error)
    return vm_error_set(err, VM_ERR_MALFORMED, d->section, vm_reader_error_offset(r), "%s", r->error);
  if (d->inv_rank != RANK_NONE) {
    *err = d->inv;
    return err->result;
  }
  return vm_error_set(err, VM_ERR_MALFORMED, d->section, -1, "malformed module");
}

vm_result vm_decode(vm_module *m, vm_error *err) {
  vm_error scratch;
  if (!err) err = &scratch;
  vm_error_clear(err);
  decoder d;
  memset(&d, 0, sizeof d);
  d.m = m;
  d.section = -1;
  d.inv_rank = RANK_NONE;
  vm_error_clear(&d.inv);

  const uint8_t *base = m->bytes;
  size_t len = m->len;
  if (len < 4) return vm_error_set(err, VM_ERR_MALFORMED, -1, (int64_t)len, "unexpected end");
  if (memcmp(base, "\0asm", 4) != 0)
    return vm_error_set(err, VM_ERR_MALFORMED, -1, 0, "magic header not detected");
  if (len < 8) return vm_error_set(err, VM_ERR_MALFORMED, -1, (int64_t)len, "unexpected end");
  if (memcmp(base + 4, "\1\0\0\0", 4) != 0)
    return vm_error_set(err, VM_ERR_MALFORMED, -1, 4, "unknown binary version");

  vm_reader r;
  vm_reader_init(&r, base, len);
  r.pos += 8;
  int last = 0;
  while (!vm_reader_eof(&r)) {
    const uint8_t *at = r.pos;
    uint8_t id = *r.pos;
    if (id > SEC_TAG || (id == SEC_TAG && !(m->cfg.features & VM_FEATURE_EXCEPTIONS))) {
      vm_reader_fail(&r, at, "malformed section id");
      return failure(&d, &r, err);
    }
    if (id != SEC_CUSTOM) {
      int order = section_order[id];
      if (order <= last) {
        vm_reader_fail(&r, at, "unexpected content after last section");
        return failure(&d, &r, err);
      }
      last = order;
      if (!ready_before(&d, order)) return failure(&d, &r, err);
    }
    d.section = id;
    r.pos++;
    vm_reader sec;
    if (!vm_read_sized(&r, &sec)) return failure(&d, &r, err);
    /* Like the reference, read a section's contents without stopping at its
     * declared end, then require that they ended exactly there: the spec
     * tests' messages for wrong sizes and counts depend on it. */
    const uint8_t *sec_start = sec.pos, *sec_end = sec.end;
    d.sec_end = sec_end;
    if (id != SEC_CUSTOM) sec.end = sec.limit;
    if (!section_fns[id](&d, &sec)) return failure(&d, &sec, err);
    if (sec.pos != sec_end) {
      vm_reader_fail(&sec, sec_start, VM_MSG_SIZE_MISMATCH);
      return failure(&d, &sec, err);
    }
    r.pos = sec_end;
  }
  d.section = -1;
  if (!ready_before(&d, 99)) return failure(&d, &r, err);
  if (d.nfunc_decls != d.ncodes) {
    vm_error_set(err, VM_ERR_MALFORMED, -1, (int64_t)len,
                 "function and code section have inconsistent lengths");
    return bodies_first(&d, err);
  }
  if (m->has_data_count && m->data_count != m->ndatas) {
    vm_error_set(err, VM_ERR_MALFORMED, -1, (int64_t)len,
                 "data count and data section have inconsistent lengths");
    return bodies_first(&d, err);
  }

  /* "data count section required" (memory.init / data.drop without a data
   * count section) is checked by compile.c, which sees the bodies. */
  if (!check_export_names(&d)) return failure(&d, &r, err);
  if (m->nmemories > 1 && !(m->cfg.features & VM_FEATURE_MULTI_MEMORY))
    invalid(&d, RANK_MEMCOUNT, -1, "multiple memories");
  if (d.inv_rank != RANK_NONE) {
    *err = d.inv;
    return bodies_first(&d, err);
  }
  return VM_OK;
}
