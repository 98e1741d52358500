/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compile.c - validation and compilation of function bodies.  One pass over
 * each body decodes every instruction, validates it with the spec's algorithm
 * (a stack of operand types, with "unknown" below a polymorphic point, and a
 * stack of control frames) and emits the register-style internal code of ir.h.
 * It owns the translation rules: operand-stack height -> frame slot, label
 * values moved into place before branches, forward targets patched when a
 * block ends, no code for instructions that can never run, and the small
 * optimisations (local reads folded into operands, results written straight
 * into locals, compares fused into branches).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "vm/exn.h"
#include "vm/module.h"
#include "vm/opcodes.h"
#include "vm/reader.h"
#include "vm/types.h"

/* Caps that keep pathological bodies from allocating without bound. */
#define MAX_CODE_WORDS (1u << 26)  /* 256 MiB of code for one function */
#define CODE_WORDS_PER_BYTE 64     /* ... and at most this many words per body byte (typical: 1-3) */
#define MAX_FRAME_SLOTS (1u << 24) /* locals + operand stack of one frame */

enum { T_UNKNOWN = 0 }; /* operand type below a polymorphic point */

/* Exception handling adds try_table, and the legacy try in its try body and in its catch arms. */
enum { CTL_FUNC, CTL_BLOCK, CTL_LOOP, CTL_IF, CTL_ELSE, CTL_TRY_TABLE, CTL_TRY, CTL_CATCH, CTL_CATCH_ALL };

/* Legacy catch arms keep the caught exception (for rethrow) in slots above the operand stack: while
 * compiling, slot EXN_SLOT_MARK + k names the k-th (one per nesting depth of legacy trys); finish()
 * gives them their place. */
#define EXN_SLOT_MARK (1u << 30)

/* One control frame.  `dead` means no code is emitted in the current region
 * (it is unreachable at run time); `unreachable` is the spec's flag. */
typedef struct ctl {
  uint8_t kind;
  bool unreachable;
  bool dead;
  bool live_entry; /* code was live where the block began (the else arm of an if) */
  uint32_t nparams, nresults;
  const vm_vt *params, *results;
  uint32_t height;     /* operand-stack height below the block's values */
  uint32_t start;      /* loop: target of branches */
  uint32_t patch;      /* chain of target words to patch with the end address; 0 ends it */
  uint32_t else_patch; /* if: the BR_UNLESS target word; 0 if none */
  uint32_t stub_gen;   /* br_table stub sharing: which br_table made stub_pc */
  uint32_t stub_pc;
  /* Exception handling (exn.h): the handler in effect for code directly in this block (VM_EH_NONE:
   * none in this function); a legacy try's own handler (its clauses) and its caught-exception slot. */
  uint32_t handler;
  uint32_t try_handler;
  uint32_t exn_slot;
  uint32_t set_mark; /* typed references: the length of cx.set_log when the block began */
} ctl;

typedef struct cx {
  vm_module *m;
  vm_error *err;
  jmp_buf fail;
  vm_reader r;             /* over the body */
  const uint8_t *ipos;     /* start of the current instruction */
  const uint8_t *instrs;   /* first instruction (after the locals) */
  const uint8_t *body_end; /* vm_scan_bodies: where the body ends (its reader reads on to the module's end) */
  bool scanning;           /* decode-only rescan after a validation error */
  uint8_t *scan_bits;
  vm_vt *st; /* operand types */
  uint32_t h, st_cap;
  /* Where entry k starts, in slots above the stack's base: sp[k]; sp[h] is the
   * first free slot.  A value takes one slot, a v128 two (vm_type_slots). */
  uint32_t *sp, sp_cap, max_sp;
  /* Where each operand-stack entry's value lives: its own slot, or (a
   * "virtual" entry left by local.get) the local's slot.  Only the top
   * VWIN entries may be virtual, so the scans below stay short. */
  uint32_t *vs, vs_cap;
  /* The last instruction that writes a result to word 1 (a candidate for
   * retargeting by local.set): it spans [last_pc, last_end); `fence` is the
   * latest address a label was bound at (no peephole across a label). */
  uint32_t last_pc, last_end, fence;
  /* The result-writing instruction just before the last one, when the two
   * are adjacent: [prev_pc, prev_end = last_pc). */
  uint32_t prev_pc, prev_end;
  /* The last MOV emitted, [mov_pc, mov_end): a following MOV joins it (MOV2). */
  uint32_t mov_pc, mov_end;
  ctl *ctls;
  uint32_t nctl, ctl_cap;
  vm_word *code;
  uint32_t pc, code_cap, code_max;
  vm_vt *ltypes;        /* by local index */
  uint32_t *lslot;      /* by local index: its first slot */
  uint32_t ltypes_cap;  /* of ltypes and lslot */
  uint32_t nlocal_vars; /* locals (parameters included) */
  uint32_t nlocals;     /* the slots they take: the frame's first nlocals slots */
  const vm_functype *ft;
  uint32_t gen;
  /* Constant slots nlocals .. nlocals+nconsts-1: the body's first distinct
   * constant values.  While compiling, the operand stack starts at
   * nlocals + VM_MAX_CONST_SLOTS; finish() moves it down to nlocals + nconsts. */
  uint64_t consts[VM_MAX_CONST_SLOTS];
  uint32_t nconsts;
  uint8_t const_hash[256]; /* open addressing: index + 1 into consts, 0 = free */
  uint32_t nconsts32;      /* finish(): how many come first as 32-bit values */
  /* Exception handling: the handler table being built (exn.h), the legacy trys open and the most
   * open at once (their caught-exception slots), and whether the interpreter must run the function. */
  vm_eh_region *regions;
  uint32_t nregions, regions_cap;
  vm_eh_handler *handlers;
  uint32_t nhandlers, handlers_cap;
  vm_eh_catch *catches;
  uint32_t ncatches, catches_cap;
  uint32_t try_depth, nexn_slots;
  bool interp_only;
  /* Typed references: storage for the single result types of blocks that name a reference type other
   * than funcref/externref/exnref (chunks that never move); the non-null locals set since each open
   * block began (undone at its end: the initialisation rule) and whether each is set now. */
  struct vt_chunk *one_vts;
  uint32_t *set_log, nset_log, set_log_cap;
  uint8_t *local_set;
} cx;

#define VT_CHUNK 256
typedef struct vt_chunk {
  struct vt_chunk *next;
  uint32_t n;
  vm_vt v[VT_CHUNK];
} vt_chunk;

static void scan_body(struct cx *c);

/* ---- errors -------------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static _Noreturn void
fail(cx *c, vm_result r, const uint8_t *at, const char *fmt, ...) {
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (r == VM_ERR_INVALID && !c->scanning && c->instrs) {
    /* The spec decodes a whole body before validating it: a malformed
     * encoding later in the body wins over this validation error. */
    c->scanning = true;
    scan_body(c);
  }
  vm_error_set(c->err, r, 10, at ? (int64_t)(at - c->m->bytes) : -1, "%s", msg);
  longjmp(c->fail, 1);
}

#define INVALID(c, ...) fail((c), VM_ERR_INVALID, (c)->ipos, __VA_ARGS__)
#define MALFORMED(c, at, ...) fail((c), VM_ERR_MALFORMED, (at), __VA_ARGS__)

static _Noreturn void type_mismatch(cx *c) {
  INVALID(c, "type mismatch");
}

/* ---- reading (reader.h, failures leave through fail()) --------------------- */

static _Noreturn void read_failed(cx *c) {
  MALFORMED(c, c->r.error_at, "%s", c->r.error);
}

static uint8_t rd_u8(cx *c) {
  uint8_t b;
  if (!vm_read_u8(&c->r, &b)) read_failed(c);
  return b;
}

static uint32_t rd_u32(cx *c) {
  uint32_t x;
  if (!vm_read_u32(&c->r, &x)) read_failed(c);
  return x;
}

/* A vector length: bounded by the bytes left, so loops over it stay short. */
static uint32_t rd_len(cx *c) {
  uint32_t x;
  if (!vm_read_len(&c->r, &x)) read_failed(c);
  return x;
}

static int64_t rd_sleb(cx *c, unsigned bits) {
  int64_t x;
  if (!vm_read_sleb(&c->r, bits, &x)) read_failed(c);
  return x;
}

static void rd_zero(cx *c) {
  if (rd_u8(c) != 0) MALFORMED(c, c->r.pos - 1, "zero byte expected");
}

/* Wasm 3.0 encodings of memory instructions (multi-memory, memory64): memory indices instead of zero
 * bytes, memargs with a memory index flag and a u64 offset. */
static bool mem3(const cx *c) {
  return (c->m->cfg.features & (VM_FEATURE_MULTI_MEMORY | VM_FEATURE_MEMORY64)) != 0;
}
/* A memory index immediate (2.0: a zero byte). */
static uint32_t rd_memidx(cx *c) {
  if (!mem3(c)) {
    rd_zero(c);
    return 0;
  }
  return rd_u32(c);
}
static uint64_t rd_u64(cx *c) {
  uint64_t x;
  if (!vm_read_uleb(&c->r, 64, &x)) read_failed(c);
  return x;
}
/* A memarg's encoding, read (scan_body) or decoded (the compiler). */
typedef struct memarg {
  uint32_t flags; /* alignment exponent, and 64 when a memory index follows (3.0) */
  uint32_t mem;
  uint64_t offset;
} memarg;
static memarg rd_memarg_raw(cx *c) {
  memarg a = {0, 0, 0};
  if (!mem3(c)) {
    a.flags = rd_u32(c);
    a.offset = rd_u32(c);
    return a;
  }
  a.flags = rd_u32(c);
  if (a.flags >= 128) MALFORMED(c, c->ipos, "malformed memop flags");
  if (a.flags & 64) a.mem = rd_u32(c);
  a.offset = rd_u64(c);
  return a;
}

static bool funcrefs_on(const cx *c) {
  return (c->m->cfg.features & VM_FEATURE_FUNCTION_REFERENCES) != 0;
}

/* The slots a value of type t takes (vm_type_slots, for a vm_vt). */
static uint32_t vt_slots(vm_vt t) {
  return t == VM_V128 ? 2u : 1u;
}

static void check_index(cx *c, vm_vt t, const uint8_t *at) {
  if (!vm_vt_index_ok(t, c->m->ntypes)) fail(c, VM_ERR_INVALID, at, "unknown type %u", vm_vt_index(t));
}

/* The heap type of ref.null (types.h). */
static uint32_t rd_heaptype(cx *c) {
  const uint8_t *at = c->r.pos;
  uint32_t heap;
  if (!vm_read_heap(c->m, &c->r, &heap)) read_failed(c);
  check_index(c, vm_vt_ref(true, heap), at);
  return heap;
}

static vm_vt rd_valtype(cx *c) {
  const uint8_t *at = c->r.pos;
  vm_vt t;
  if (!vm_read_vt(c->m, &c->r, false, &t)) read_failed(c);
  check_index(c, t, at);
  return t;
}

/* Single value types, for block types that name one (stable storage); other reference types get
 * theirs in cx.one_vts. */
static const vm_vt one_type[] = {VM_I32,  VM_I64,        VM_F32,          VM_F64,
                                 VM_V128, VM_VT_FUNCREF, VM_VT_EXTERNREF, VM_VT_EXNREF};

static const vm_vt *single(cx *c, vm_vt t) {
  for (unsigned i = 0; i < sizeof one_type / sizeof one_type[0]; i++)
    if (one_type[i] == t) return &one_type[i];
  if (!c->one_vts || c->one_vts->n == VT_CHUNK) {
    vt_chunk *k = mem_malloc(sizeof *k);
    if (!k) fail(c, VM_ERR_NOMEM, c->ipos, "out of memory");
    k->next = c->one_vts;
    k->n = 0;
    c->one_vts = k;
  }
  c->one_vts->v[c->one_vts->n] = t;
  return &c->one_vts->v[c->one_vts->n++];
}

/* ---- growable buffers ---------------------------------------------------- */

static void *grow(cx *c, void *p, uint32_t *cap, uint64_t need, size_t elem, uint32_t max, const char *what) {
  if (need > max) fail(c, VM_ERR_LIMIT, c->ipos, "%s", what);
  uint64_t n = *cap ? *cap : 16;
  while (n < need)
    n *= 2;
  if (n > max) n = max;
  void *q = mem_realloc(p, (size_t)n * elem);
  if (!q) fail(c, VM_ERR_NOMEM, c->ipos, "out of memory");
  *cap = (uint32_t)n;
  return q;
}

static void reserve(cx *c, uint32_t n) {
  if (c->code_cap - c->pc < n)
    c->code = grow(c, c->code, &c->code_cap, (uint64_t)c->pc + n, sizeof(vm_word), c->code_max,
                   "function too large");
}

static void put(cx *c, vm_word w) {
  c->code[c->pc++] = w;
}

static void emit_words(cx *c, const vm_word *w, uint32_t n) {
  reserve(c, n);
  memcpy(c->code + c->pc, w, n * sizeof *w);
  c->pc += n;
}

#define EMIT(c, ...)                                                                                         \
  emit_words((c), (const vm_word[]){__VA_ARGS__},                                                            \
             (uint32_t)(sizeof((vm_word[]){__VA_ARGS__}) / sizeof(vm_word)))

/* ---- operand and control stacks ------------------------------------------ */

static ctl *top(cx *c) {
  return &c->ctls[c->nctl - 1];
}
static bool live(cx *c) {
  return !top(c)->dead;
}
static uint32_t slot(cx *c, uint32_t h) {
  return c->nlocals + VM_MAX_CONST_SLOTS + c->sp[h];
}

/* The slots of entry k's value (1, or 2 for a v128). */
static uint32_t width(cx *c, uint32_t k) {
  return vt_slots(c->st[k]);
}

/* The slots `n` values of types `ts` take. */
static uint32_t slots_of(uint32_t n, const vm_vt *ts) {
  uint32_t w = 0;
  for (uint32_t i = 0; i < n; i++)
    w += vt_slots(ts[i]);
  return w;
}

#define VWIN 16u

/* fp[d] = fp[s]; up to four MOVs in a row (no label between) become one
 * MOV2/MOV3/MOV4. */
static void emit_mov(cx *c, uint32_t d, uint32_t s) {
  if (c->mov_end == c->pc && c->mov_end > c->mov_pc && c->mov_pc >= c->fence) {
    vm_word *w = &c->code[c->mov_pc];
    vm_word next = *w == VM_OP_MOV    ? VM_OP_MOV2
                   : *w == VM_OP_MOV2 ? VM_OP_MOV3
                   : *w == VM_OP_MOV3 ? VM_OP_MOV4
                                      : 0;
    if (next) {
      reserve(c, 2);
      c->code[c->mov_pc] = next;
      put(c, d);
      put(c, s);
      c->mov_end = c->pc;
      return;
    }
  }
  uint32_t at = c->pc;
  EMIT(c, VM_OP_MOV, d, s);
  c->mov_pc = at;
  c->mov_end = c->pc;
}

/* Copy a virtual entry's value into its own slot. */
static void materialise(cx *c, uint32_t k) {
  uint32_t own = slot(c, k);
  if (c->vs[k] == own) return;
  if (!top(c)->dead)
    for (uint32_t i = 0; i < width(c, k); i++)
      emit_mov(c, own + i, c->vs[k] + i);
  c->vs[k] = own;
}

/* Materialise the top n entries (all that can be virtual when n >= VWIN). */
static void materialise_top(cx *c, uint32_t n) {
  uint32_t lo = n < c->h ? c->h - n : 0;
  if (c->h > VWIN && lo < c->h - VWIN) lo = c->h - VWIN;
  for (uint32_t k = lo; k < c->h; k++)
    materialise(c, k);
}

/* Before local x is written: entries still reading x get their own copy. */
static void materialise_local(cx *c, uint32_t x) {
  uint32_t lo = c->h > VWIN ? c->h - VWIN : 0;
  for (uint32_t k = lo; k < c->h; k++)
    if (c->vs[k] == x) materialise(c, k);
}

static bool refers_to(cx *c, uint32_t x) {
  uint32_t lo = c->h > VWIN ? c->h - VWIN : 0;
  for (uint32_t k = lo; k < c->h; k++)
    if (c->vs[k] == x) return true;
  return false;
}

/* The slot holding entry k, which was just popped (dead code: any slot). */
static uint32_t src_of(cx *c, uint32_t k) {
  return k < c->vs_cap ? c->vs[k] : slot(c, k);
}

static void push(cx *c, vm_vt t) {
  if (c->h == c->st_cap)
    c->st = grow(c, c->st, &c->st_cap, (uint64_t)c->h + 1, sizeof *c->st, MAX_FRAME_SLOTS,
                 "function frame too large");
  if (c->h >= c->vs_cap)
    c->vs = grow(c, c->vs, &c->vs_cap, (uint64_t)c->h + 1, sizeof(uint32_t), MAX_FRAME_SLOTS,
                 "function frame too large");
  if (c->h + 1 >= c->sp_cap)
    c->sp = grow(c, c->sp, &c->sp_cap, (uint64_t)c->h + 2, sizeof(uint32_t), MAX_FRAME_SLOTS + 1,
                 "function frame too large");
  /* Keep virtual entries within the top VWIN. */
  if (c->h >= VWIN) materialise(c, c->h - VWIN);
  c->vs[c->h] = slot(c, c->h);
  c->sp[c->h + 1] = c->sp[c->h] + vt_slots(t);
  c->st[c->h++] = t;
  if (vm_vt_is_ref(t) && vm_vt_lower(t) == VM_EXNREF)
    c->interp_only = true; /* exn.h: exnref values stay where the collector looks */
  if (c->sp[c->h] > c->max_sp) {
    c->max_sp = c->sp[c->h];
    if ((uint64_t)c->nlocals + VM_MAX_CONST_SLOTS + c->max_sp > MAX_FRAME_SLOTS)
      fail(c, VM_ERR_LIMIT, c->ipos, "function frame too large");
  }
}

static vm_vt pop_any(cx *c) {
  ctl *f = top(c);
  if (c->h == f->height) {
    if (f->unreachable) return T_UNKNOWN;
    type_mismatch(c);
  }
  return c->st[--c->h];
}

/* t matches want: the same, unknown, or a subtype (typed references). */
static inline bool matches(cx *c, vm_vt t, vm_vt want) {
  return t == want || t == T_UNKNOWN || want == T_UNKNOWN || vm_vt_sub(c->m, t, want);
}

static vm_vt pop(cx *c, vm_vt want) {
  vm_vt t = pop_any(c);
  if (!matches(c, t, want)) type_mismatch(c);
  return t;
}

/* The reference interpreter's name of a value type. */
static void valtype_name(vm_vt t, char *buf, size_t len) {
  static const char *const heap[] = {
      [VM_HT_FUNC] = "func",     [VM_HT_EXTERN] = "extern",     [VM_HT_EXN] = "exn",
      [VM_HT_NOFUNC] = "nofunc", [VM_HT_NOEXTERN] = "noextern", [VM_HT_NOEXN] = "noexn"};
  if (!vm_vt_is_ref(t)) {
    snprintf(buf, len, "%s",
             t == VM_I32    ? "i32"
             : t == VM_I64  ? "i64"
             : t == VM_F32  ? "f32"
             : t == VM_F64  ? "f64"
             : t == VM_V128 ? "v128"
                            : "_");
  } else if (t == VM_VT_FUNCREF || t == VM_VT_EXTERNREF || t == VM_VT_EXNREF) {
    snprintf(buf, len, "%sref", heap[t & 0xFF]);
  } else if (vm_vt_concrete(t)) {
    snprintf(buf, len, "(ref %s%u)", (t & VM_VT_NULL) ? "null " : "", vm_vt_index(t));
  } else {
    const char *h = (t & 0xFF) < sizeof heap / sizeof heap[0] && heap[t & 0xFF] ? heap[t & 0xFF] : "_";
    snprintf(buf, len, "(ref %s%s)", (t & VM_VT_NULL) ? "null " : "", h);
  }
}

/* "[i32 f64]": up to the first types of ts that fit in buf. */
static void types_str(char *buf, size_t len, uint32_t n, const vm_vt *ts) {
  size_t at = 0;
  buf[at++] = '[';
  for (uint32_t i = 0; i < n && at + 32 < len; i++) {
    char name[40];
    valtype_name(ts[i], name, sizeof name);
    at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? " " : "", name);
  }
  snprintf(buf + at, len - at, "]");
}

/* The reference validator's wording: what `who` ("instruction", "block") requires and what the
 * current block's part of the stack holds. */
static _Noreturn void stack_mismatch(cx *c, const char *who, uint32_t n, const vm_vt *ts) {
  char want[120], have[120];
  ctl *f = top(c);
  types_str(want, sizeof want, n, ts);
  types_str(have, sizeof have, c->h - f->height, c->st ? c->st + f->height : NULL); /* none pushed yet */
  INVALID(c, "type mismatch: %s requires %s but stack has %s", who, want, have);
}

static void pop_types(cx *c, uint32_t n, const vm_vt *ts) {
  ctl *f = top(c);
  for (uint32_t k = 0; k < n; k++) { /* checked first, for the message */
    if (c->h - f->height <= k) {
      if (f->unreachable) break;
      stack_mismatch(c, "instruction", n, ts);
    }
    if (!matches(c, c->st[c->h - 1 - k], ts[n - 1 - k])) stack_mismatch(c, "instruction", n, ts);
  }
  uint32_t avail = c->h - f->height; /* below a polymorphic point: what is there */
  c->h -= n < avail ? n : avail;
}

/* The end of a block's code: exactly its results are left. */
static void end_types(cx *c, uint32_t n, const vm_vt *ts) {
  pop_types(c, n, ts);
  if (c->h != top(c)->height) {
    c->h += n; /* the message shows the whole stack */
    stack_mismatch(c, "block", n, ts);
  }
}

static void push_types(cx *c, uint32_t n, const vm_vt *ts) {
  for (uint32_t i = 0; i < n; i++)
    push(c, ts[i]);
}

/* Check that the top of the stack matches `ts` without popping (br_table). */
static void peek_types(cx *c, uint32_t n, const vm_vt *ts) {
  ctl *f = top(c);
  for (uint32_t k = 0; k < n; k++) {
    if (c->h - f->height <= k) {
      if (f->unreachable) return;
      type_mismatch(c);
    }
    if (!matches(c, c->st[c->h - 1 - k], ts[n - 1 - k])) type_mismatch(c);
  }
}

static bool is_num(vm_vt t) {
  return t == T_UNKNOWN || t == VM_I32 || t == VM_I64 || t == VM_F32 || t == VM_F64;
}
static bool is_ref(vm_vt t) {
  return t == T_UNKNOWN || vm_vt_is_ref(t);
}

static ctl *push_ctl(cx *c, uint8_t kind, uint32_t np, const vm_vt *pt, uint32_t nr, const vm_vt *rt) {
  if (c->nctl == c->ctl_cap)
    c->ctls = grow(c, c->ctls, &c->ctl_cap, (uint64_t)c->nctl + 1, sizeof(ctl), UINT32_MAX / sizeof(ctl),
                   "function too large");
  bool dead = c->nctl ? top(c)->dead : false;
  uint32_t handler = c->nctl ? top(c)->handler : VM_EH_NONE;
  ctl *f = &c->ctls[c->nctl++];
  memset(f, 0, sizeof *f);
  f->handler = handler;
  f->try_handler = VM_EH_NONE;
  f->set_mark = c->nset_log;
  f->kind = kind;
  f->dead = dead;
  f->live_entry = !dead;
  f->nparams = np;
  f->params = pt;
  f->nresults = nr;
  f->results = rt;
  f->height = c->h;
  f->start = c->pc;
  c->fence = c->pc;
  push_types(c, np, pt);
  return f;
}

/* Non-null locals: local x is set from here on (to the end of the current block). */
static void local_now_set(cx *c, uint32_t x) {
  if (!c->local_set || c->local_set[x]) return;
  if (c->nset_log == c->set_log_cap)
    c->set_log = grow(c, c->set_log, &c->set_log_cap, (uint64_t)c->nset_log + 1, sizeof *c->set_log,
                      MAX_FRAME_SLOTS, "too many locals");
  c->set_log[c->nset_log++] = x;
  c->local_set[x] = 1;
}

/* The locals set since block f began are unset again (its end, or its next arm). */
static void unset_locals(cx *c, const ctl *f) {
  while (c->nset_log > f->set_mark)
    c->local_set[c->set_log[--c->nset_log]] = 0;
}

static void set_unreachable(cx *c) {
  ctl *f = top(c);
  c->h = f->height;
  f->unreachable = true;
  f->dead = true;
}

/* The values a branch to `f` carries. */
static uint32_t label_n(const ctl *f) {
  return f->kind == CTL_LOOP ? f->nparams : f->nresults;
}
static const vm_vt *label_t(const ctl *f) {
  return f->kind == CTL_LOOP ? f->params : f->results;
}
/* ... and the slots they take. */
static uint32_t label_slots(const ctl *f) {
  return slots_of(label_n(f), label_t(f));
}

static ctl *label(cx *c, uint32_t l) {
  if (l >= c->nctl) INVALID(c, "unknown label");
  return &c->ctls[c->nctl - 1 - l];
}

/* ---- code for branches --------------------------------------------------- */

/* MOVs in ascending order: a label's slots are never above the values' slots. */
static void emit_moves(cx *c, uint32_t dst, uint32_t src, uint32_t n) {
  if (dst == src) return;
  for (uint32_t i = 0; i < n; i++)
    emit_mov(c, dst + i, src + i);
}

static bool can_retarget(cx *c, uint32_t d);
static bool is_temp(cx *c, uint32_t x);

/* Return results taking n slots from slot src.  A single one-slot result
 * just computed is computed straight into slot 0 instead of moved there. */
static void emit_return(cx *c, uint32_t src, uint32_t n) {
  if (n == 1 && src != 0 && can_retarget(c, src) && is_temp(c, src))
    c->code[c->last_pc + 1] = 0;
  else
    emit_moves(c, 0, src, n);
  EMIT(c, VM_OP_RETURN);
}

/* A target word for a branch to `f` (reserved by the caller). */
static void put_target(cx *c, ctl *f) {
  if (f->kind == CTL_LOOP) {
    put(c, f->start);
  } else {
    put(c, f->patch);
    f->patch = c->pc - 1;
  }
}

/* True when a branch to `f` with values from slot `src` is a bare jump. */
static bool direct(cx *c, const ctl *f, uint32_t src) {
  return f->kind != CTL_FUNC && (label_n(f) == 0 || slot(c, f->height) == src);
}

/* Unconditional branch to `f`, its values starting at slot `src`. */
static void emit_branch(cx *c, ctl *f, uint32_t src) {
  uint32_t n = label_slots(f);
  if (f->kind == CTL_FUNC) {
    emit_return(c, src, n);
    return;
  }
  emit_moves(c, slot(c, f->height), src, n);
  reserve(c, 2);
  put(c, VM_OP_BR);
  put_target(c, f);
}

static void patch_chain(cx *c, uint32_t p, uint32_t target) {
  while (p) {
    uint32_t next = c->code[p];
    c->code[p] = target;
    p = next;
  }
}

/* ---- block types, locals, memory arguments ------------------------------- */

typedef struct blocktype {
  uint32_t np, nr;
  const vm_vt *pt, *rt;
} blocktype;

static blocktype rd_blocktype(cx *c) {
  blocktype bt = {0, 0, NULL, NULL};
  uint8_t b = 0;
  if (!vm_peek_u8(&c->r, &b)) rd_u8(c); /* reports the end */
  if (b == 0x40) {
    c->r.pos++;
  } else if ((b & 0xC0) == 0x40) { /* a value type: one byte, or 0x63/0x64 and a heap type */
    bt.nr = 1;
    bt.rt = single(c, rd_valtype(c));
  } else {
    int64_t x = rd_sleb(c, 33);
    if (x < 0 || x >= (int64_t)c->m->ntypes) INVALID(c, "unknown type %lld", (long long)x);
    const vm_functype *ft = &c->m->types[x];
    bt.np = ft->nparams;
    bt.pt = ft->vts;
    bt.nr = ft->nresults;
    bt.rt = ft->vts + ft->nparams;
  }
  return bt;
}

/* The index type of table `t` (i64 for a table64 one). */
static uint8_t table_index_type(const cx *c, uint32_t t) {
  return t < c->m->ntables && c->m->tables[t].limits.is64 ? VM_I64 : VM_I32;
}
static bool mem_is64(const cx *c, uint32_t mem) {
  return mem < c->m->nmemories && c->m->memories[mem].is64;
}
/* The index type of memory `mem` (i64 for a memory64 one). */
static uint8_t mem_index_type(const cx *c, uint32_t mem) {
  return mem_is64(c, mem) ? VM_I64 : VM_I32;
}
static void need_memory_at(cx *c, uint32_t mem) {
  if (mem >= c->m->nmemories) INVALID(c, "unknown memory %u", mem);
}
static void need_memory(cx *c) {
  if (c->m->nmemories == 0) INVALID(c, "unknown memory 0");
}

static void need_table(cx *c, uint32_t x) {
  if (x >= c->m->ntables) INVALID(c, "unknown table %u", x);
}

static void need_elem(cx *c, uint32_t x) {
  if (x >= c->m->nelems) INVALID(c, "unknown elem segment %u", x);
}

/* Without a data count section, an index that names no segment at all is
 * reported as unknown (what the spec tests expect of text modules, whose
 * binary form has no data count), one that does as malformed. */
static void need_data_count(cx *c, uint32_t x) {
  if (!c->m->has_data_count && x < c->m->ndatas) MALFORMED(c, c->ipos, "data count section required");
}

static void need_data(cx *c, uint32_t x) {
  need_data_count(c, x);
  if (x >= (c->m->has_data_count ? c->m->data_count : c->m->ndatas)) INVALID(c, "unknown data segment %u", x);
}

static void rd_locals(cx *c) {
  const vm_functype *ft = c->ft;
  const uint8_t *start = c->r.pos;
  uint32_t ngroups = rd_len(c);
  uint64_t total = 0;
  for (uint32_t i = 0; i < ngroups; i++) {
    total += rd_u32(c);
    rd_valtype(c);
  }
  if (total >= (uint64_t)1 << 32) MALFORMED(c, start, "too many locals");
  total += ft->nparams;
  if (total > c->m->cfg.max_locals || total > MAX_FRAME_SLOTS)
    fail(c, VM_ERR_LIMIT, start, "too many locals");
  c->nlocal_vars = (uint32_t)total;
  if (total > c->ltypes_cap || !c->ltypes || !c->lslot) {
    uint32_t cap = c->ltypes_cap;
    c->ltypes =
        grow(c, c->ltypes, &cap, total ? total : 1, sizeof *c->ltypes, MAX_FRAME_SLOTS, "too many locals");
    cap = c->ltypes_cap;
    c->lslot =
        grow(c, c->lslot, &cap, total ? total : 1, sizeof(uint32_t), MAX_FRAME_SLOTS, "too many locals");
    c->ltypes_cap = cap;
  }
  for (uint32_t i = 0; i < ft->nparams; i++)
    c->ltypes[i] = vm_ft_vt(ft, i);
  /* Second pass over the (already checked) groups to fill in the types. */
  const uint8_t *end = c->r.pos;
  c->r.pos = start;
  rd_len(c);
  uint32_t n = ft->nparams;
  bool nonnull = false;
  for (uint32_t i = 0; i < ngroups; i++) {
    uint32_t k = rd_u32(c);
    vm_vt t = rd_valtype(c);
    for (uint32_t j = 0; j < k; j++)
      c->ltypes[n + j] = t;
    n += k;
    if (vm_vt_is_ref(t) && !(t & VM_VT_NULL)) nonnull = true;
  }
  c->r.pos = end;
  /* Non-null locals start unset (the parameters are set): local.get of one is valid only where a
   * local.set or local.tee of it dominates (the initialisation rule). */
  if (nonnull) {
    c->local_set = mem_calloc(c->nlocal_vars, 1);
    if (!c->local_set) fail(c, VM_ERR_NOMEM, start, "out of memory");
    for (uint32_t x = 0; x < c->nlocal_vars; x++)
      c->local_set[x] = x < ft->nparams || !vm_vt_is_ref(c->ltypes[x]) || (c->ltypes[x] & VM_VT_NULL);
  }
  /* Each local's first slot: a v128 takes two. */
  uint64_t at = 0;
  for (uint32_t x = 0; x < c->nlocal_vars; x++) {
    c->lslot[x] = (uint32_t)at;
    at += vt_slots(c->ltypes[x]);
  }
  if (at > MAX_FRAME_SLOTS) fail(c, VM_ERR_LIMIT, start, "too many locals");
  c->nlocals = (uint32_t)at;
}

/* ---- the simple operators (numops.def) ----------------------------------- */

/* Record that the instruction emitted at `at` writes its result to word 1. */
static void set_last(cx *c, uint32_t at) {
  if (c->last_end == at && c->last_end > c->last_pc) {
    c->prev_pc = c->last_pc;
    c->prev_end = at;
  } else {
    c->prev_end = 0;
  }
  c->last_pc = at;
  c->last_end = c->pc;
}

/* Take the last instruction out of the code (it is being fused into the
 * next one); the one before it, if adjacent, becomes the last. */
static void drop_last(cx *c) {
  c->pc = c->last_pc;
  if (c->prev_end && c->prev_end == c->last_pc) {
    c->last_pc = c->prev_pc;
    c->last_end = c->prev_end;
  } else {
    c->last_end = 0;
  }
  c->prev_end = 0;
}

/* True when slot x is an operand-stack temporary (read once, by its consumer). */
static bool is_temp(cx *c, uint32_t x) {
  return x >= slot(c, 0);
}

/* True when the last instruction's result (in slot d) may be written
 * elsewhere instead: nothing was emitted since, and no label lies between. */
/* The last instruction, when it ends the code and no label lies after its
 * start (the only one a peephole may rewrite or fuse); NULL otherwise. */
static const vm_word *last_instr(cx *c) {
  bool ok = c->last_end == c->pc && c->last_end > c->last_pc && c->last_pc >= c->fence;
  return ok ? c->code + c->last_pc : NULL;
}

static bool can_retarget(cx *c, uint32_t d) {
  const vm_word *w = last_instr(c);
  return w && w[1] == d;
}

enum {
#define VM_IROP(name, fmt) IROP_INDEX_##name,
#include "vm/ir.def"
#undef VM_IROP
  FIRST_NUMOP
};

typedef struct numop_info {
  uint8_t fmt, in1, in2, out, size;
} numop_info;

static const numop_info numops[] = {
#define VM_NUMOP(name, fmt, in1, in2, out, size) {fmt, in1, in2, out, size},
#include "vm/numops.def"
#undef VM_NUMOP
};

/* The IR op of each simple operator by its VM_WASM_INDEX, 0 for the other
 * instructions (0 is UNREACHABLE, never a simple operator). */
static const uint16_t wasm_numops[sizeof vm_wasm_imm] = {
#define VM_WASM_SPECIAL(name, prefix, code)
#define VM_WASM_SIMD(name, prefix, code)
#define VM_WASM_NUMOP(name, prefix, code) [VM_WASM_INDEX(prefix, code)] = VM_OP_##name,
#define VM_WASM(name, prefix, code, imm, feature, kind) VM_WASM_##kind(name, prefix, code)
#include "vm/opcodes.def"
#undef VM_WASM
#undef VM_WASM_NUMOP
#undef VM_WASM_SPECIAL
#undef VM_WASM_SIMD
};
_Static_assert(VM_OP_UNREACHABLE == 0 && FIRST_NUMOP > 0, "0 is no simple operator");

/* opcodes.def and numops.def agree: every NUMOP row is a simple operator whose
 * immediates are a memarg exactly when it accesses memory, and every simple
 * operator has one NUMOP row (WASM_NUMOP_NAME is undeclared otherwise). */
enum {
#define VM_NUMOP(name, fmt, in1, in2, out, size) NUMOP_SIZE_##name = (size),
#include "vm/numops.def"
#undef VM_NUMOP
};
enum {
#define VM_WASM_SPECIAL(name, prefix, code)
#define VM_WASM_SIMD(name, prefix, code)
#define VM_WASM_NUMOP(name, prefix, code) WASM_NUMOP_##name,
#define VM_WASM(name, prefix, code, imm, feature, kind) VM_WASM_##kind(name, prefix, code)
#include "vm/opcodes.def"
#undef VM_WASM
#undef VM_WASM_NUMOP
#undef VM_WASM_SPECIAL
#undef VM_WASM_SIMD
  WASM_NUMOP_COUNT
};
#define VM_WASM_SPECIAL(name, imm)
#define VM_WASM_SIMD(name, imm)
#define VM_WASM_NUMOP(name, imm)                                                                             \
  _Static_assert((int)VM_OP_##name >= (int)FIRST_NUMOP &&                                                    \
                     (VM_IMM_##imm == VM_IMM_MEMARG) == (NUMOP_SIZE_##name != 0),                            \
                 "opcodes.def: " #name " is no simple operator of that shape");
#define VM_WASM(name, prefix, code, imm, feature, kind) VM_WASM_##kind(name, imm)
#include "vm/opcodes.def"
#undef VM_WASM
#undef VM_WASM_NUMOP
#undef VM_WASM_SPECIAL
#undef VM_WASM_SIMD
#define VM_NUMOP(name, fmt, in1, in2, out, size)                                                             \
  _Static_assert(WASM_NUMOP_##name >= 0, "numops.def: " #name " has no NUMOP row in opcodes.def");
#include "vm/numops.def"
#undef VM_NUMOP
_Static_assert(WASM_NUMOP_COUNT == sizeof numops / sizeof numops[0], "one NUMOP row per simple operator");

/* The VM_WASM_INDEX of sub-opcode `sub` under the 0xFC prefix; one past the
 * table when there is no such sub-opcode. */
static uint32_t fc_index(uint32_t sub) {
  return sub < VM_WASM_NFC ? VM_WASM_INDEX(0xFC, sub) : (uint32_t)sizeof vm_wasm_imm;
}

/* The IR op of the simple operator at VM_WASM_INDEX `index`, or -1. */
static int numop_of(uint32_t index) {
  return index < sizeof vm_wasm_imm && wasm_numops[index] ? wasm_numops[index] : -1;
}

/* The fused-address forms of ir.def follow numops.def's loads and stores in
 * the same order; the fused add-and-branch ops follow the branches. */
_Static_assert(VM_OP_I64_STORE32 - VM_OP_I32_LOAD == VM_OP_I64_STORE32_X - VM_OP_I32_LOAD_X,
               "loads and stores and their fused forms must line up");
_Static_assert(VM_OP_I64_STORE32 - VM_OP_I32_LOAD == VM_OP_I64_STORE32_XS - VM_OP_I32_LOAD_XS,
               "loads and stores and their fused forms must line up");
_Static_assert(VM_OP_LD8U_BR_UNLESS == VM_OP_LD8U_BR_IF + 1 && VM_OP_LD32_BR_UNLESS == VM_OP_LD32_BR_IF + 1,
               "a load-and-branch pair is IF then UNLESS");
_Static_assert(VM_OP_ADD_BR_UNLESS == VM_OP_ADD_BR_IF + 1 && VM_OP_ADD_BR_I32_EQ == VM_OP_ADD_BR_IF + 2 &&
                   VM_OP_SUB_BR_UNLESS == VM_OP_SUB_BR_IF + 1 && VM_OP_SUB_BR_I32_EQ == VM_OP_SUB_BR_IF + 2 &&
                   VM_OP_BR_I32_GE_U - VM_OP_BR_I32_EQ == VM_OP_SUB_BR_I32_GE_U - VM_OP_SUB_BR_I32_EQ,
               "branches and their fused forms must line up");
_Static_assert(VM_OP_BR_I32_GE_U - VM_OP_BR_I32_EQ == VM_OP_ADD_BR_I32_GE_U - VM_OP_ADD_BR_I32_EQ,
               "branches and their fused forms must line up");

_Static_assert(VM_OP_F_SUB_ADD - VM_OP_F_ADD_ADD == VM_I32_FUSE_N && VM_OP_F_ADD_XOR - VM_OP_F_ADD_ADD == 5 &&
                   VM_OP_F_ROTR_ROTR - VM_OP_F_ADD_ADD == VM_I32_FUSE_N * VM_I32_FUSE_N - 1,
               "fused pairs are laid out row by row");
_Static_assert(VM_OP_FD_SUB_ADD - VM_OP_FD_ADD_ADD == VM_F64_FUSE_N &&
                   VM_OP_FD_DIV_DIV - VM_OP_FD_ADD_ADD == VM_F64_FUSE_N * VM_F64_FUSE_N - 1,
               "fused pairs are laid out row by row");

/* The position of an i32 operator in a row of ir.h's fused pairs, or -1. */
static int fuse_index(uint32_t op) {
  switch (op) {
  case VM_OP_I32_ADD: return 0;
  case VM_OP_I32_SUB: return 1;
  case VM_OP_I32_MUL: return 2;
  case VM_OP_I32_AND: return 3;
  case VM_OP_I32_OR: return 4;
  case VM_OP_I32_XOR: return 5;
  case VM_OP_I32_SHL: return 6;
  case VM_OP_I32_SHR_S: return 7;
  case VM_OP_I32_SHR_U: return 8;
  case VM_OP_I32_ROTL: return 9;
  case VM_OP_I32_ROTR: return 10;
  default: return -1;
  }
}

/* The position of an f64 operator in a row of ir.h's fused f64 pairs, or -1. */
static int fuse_index_f64(uint32_t op) {
  switch (op) {
  case VM_OP_F64_ADD: return 0;
  case VM_OP_F64_SUB: return 1;
  case VM_OP_F64_MUL: return 2;
  case VM_OP_F64_DIV: return 3;
  default: return -1;
  }
}

/* Emit `op` (d = a op b) with an operand that a load just before put into a
 * temporary: i32.add of an I32_LOAD/_X (ILD/ILX_ADD), f64 arithmetic of an
 * F64_LOAD/_X (FLD/FLX_*, FLDR/FLXR_* with the loaded value on the left);
 * false if not. */
static bool emit_with_load(cx *c, int op, uint32_t d, uint32_t a, uint32_t b) {
  const vm_word *w = last_instr(c);
  if (!w) return false;
  bool x = w[0] == VM_OP_I32_LOAD_X || w[0] == VM_OP_F64_LOAD_X;
  uint32_t t = w[1], fop;
  if (!is_temp(c, t) || (t == a) == (t == b)) return false;
  if (op == VM_OP_I32_ADD) {
    if (w[0] != VM_OP_I32_LOAD && w[0] != VM_OP_I32_LOAD_X) return false;
    fop = x ? VM_OP_ILX_ADD : VM_OP_ILD_ADD;
  } else {
    static const uint32_t fld[] = {VM_OP_FLD_ADD, VM_OP_FLD_SUB, VM_OP_FLD_MUL, VM_OP_FLD_DIV};
    static const uint32_t flx[] = {VM_OP_FLX_ADD, VM_OP_FLX_SUB, VM_OP_FLX_MUL, VM_OP_FLX_DIV};
    int j = fuse_index_f64((uint32_t)op);
    if (j < 0 || (w[0] != VM_OP_F64_LOAD && w[0] != VM_OP_F64_LOAD_X)) return false;
    fop = x ? flx[j] : fld[j];
    /* ADD and MUL commute; SUB and DIV have forms with the loaded value on the left */
    if (t == a && j == 1) fop = x ? VM_OP_FLXR_SUB : VM_OP_FLDR_SUB;
    if (t == a && j == 3) fop = x ? VM_OP_FLXR_DIV : VM_OP_FLDR_DIV;
  }
  uint32_t other = t == a ? b : a, p = w[2], q = w[3], r = x ? w[4] : 0;
  drop_last(c);
  uint32_t at = c->pc;
  if (x)
    EMIT(c, fop, d, other, p, q, r);
  else
    EMIT(c, fop, d, other, p, q);
  set_last(c, at);
  return true;
}

/* Emit the operator `op` (d = a op b) fused with the operator just emitted
 * when that one computed a or b into a temporary; false if not. */
static bool emit_fused(cx *c, int op, uint32_t d, uint32_t a, uint32_t b) {
  bool f64 = false;
  int j = fuse_index((uint32_t)op);
  if (j < 0) {
    j = fuse_index_f64((uint32_t)op);
    f64 = true;
  }
  const vm_word *w = last_instr(c);
  if (j < 0 || !w) return false;
  int i = f64 ? fuse_index_f64(w[0]) : fuse_index(w[0]);
  uint32_t t = w[1];
  if (i < 0 || !is_temp(c, t) || (t == a) == (t == b)) return false;
  /* i32: ADD MUL AND OR XOR commute; f64: ADD MUL */
  bool commutative = f64 ? (j == 0 || j == 2) : (j <= 5 && j != 1);
  if (t == b && !commutative) return false;
  uint32_t other = t == a ? b : a, x = w[2], y = w[3];
  drop_last(c);
  uint32_t at = c->pc;
  uint32_t fop = f64 ? (uint32_t)(VM_OP_FD_ADD_ADD + i * VM_F64_FUSE_N + j)
                     : (uint32_t)(VM_OP_F_ADD_ADD + i * VM_I32_FUSE_N + j);
  EMIT(c, fop, d, x, y, other);
  set_last(c, at);
  return true;
}

/* A load (result d) or store (value v) of simple op `op` whose address the
 * last instruction computed: i32.add(x, y) becomes the *_X form, and with a
 * shifted index (an i32.shl just before the add, or the fused F_SHL_ADD) the
 * *_XS form.  The caller has checked that the last instruction wrote the
 * address temporary. */
static bool emit_fused_access(cx *c, int op, uint32_t d, uint32_t v, uint32_t offset) {
  const vm_word *w = last_instr(c);
  uint32_t base, idx, k = 0;
  bool shifted = false;
  if (!w) return false;
  if (w[0] == VM_OP_F_SHL_ADD) { /* (idx << k) + base */
    idx = w[2], k = w[3], base = w[4];
    shifted = true;
    drop_last(c);
  } else if (w[0] == VM_OP_I32_ADD) {
    base = w[2], idx = w[3];
    drop_last(c);
    const vm_word *s = last_instr(c);
    if (s && s[0] == VM_OP_I32_SHL && is_temp(c, s[1]) && (s[1] == base) != (s[1] == idx)) {
      if (s[1] == base) base = idx;
      idx = s[2], k = s[3];
      shifted = true;
      drop_last(c);
    }
  } else {
    return false;
  }
  bool load = numops[op - FIRST_NUMOP].fmt == FMT_LOAD;
  uint32_t rel = (uint32_t)(op - VM_OP_I32_LOAD), at = c->pc;
  if (shifted && load)
    EMIT(c, VM_OP_I32_LOAD_XS + rel, d, base, idx, k, offset);
  else if (shifted)
    EMIT(c, VM_OP_I32_LOAD_XS + rel, base, idx, k, v, offset);
  else if (load)
    EMIT(c, VM_OP_I32_LOAD_X + rel, d, base, idx, offset);
  else
    EMIT(c, VM_OP_I32_LOAD_X + rel, base, idx, v, offset);
  if (load)
    set_last(c, at);
  else
    c->last_end = 0;
  return true;
}

/* A memarg whose alignment may be at most `bytes`, checked: its memory exists, and a 32-bit memory's
 * offset is below 2^32. */
static memarg rd_memarg(cx *c, uint32_t bytes) {
  memarg a = rd_memarg_raw(c);
  uint32_t align = a.flags & (mem3(c) ? 63u : UINT32_MAX);
  if (mem3(c))
    need_memory_at(c, a.mem);
  else
    need_memory(c);
  if (align >= 32 || (1u << align) > bytes) INVALID(c, "alignment must not be larger than natural");
  if (!mem_is64(c, a.mem) && a.offset > UINT32_MAX) INVALID(c, "offset out of range");
  return a;
}
/* Does an access through this memarg need the MEMX ops (a memory other than 0, or a 64-bit one)? */
static bool memx(const cx *c, memarg a) {
  return a.mem != 0 || mem_is64(c, a.mem);
}

static uint32_t operands(cx *c, uint32_t n, const uint8_t *ts, uint8_t out, uint32_t *src);

/* A scalar load or store (wasm opcode `code`) through MEMX_LOAD / MEMX_STORE. */
static void memx_access(cx *c, const numop_info *ni, uint8_t code, memarg a) {
  uint8_t it = mem_index_type(c, a.mem);
  uint32_t s[2];
  uint32_t lo = (uint32_t)a.offset, hi = (uint32_t)(a.offset >> 32);
  if (ni->fmt == FMT_STORE) {
    operands(c, 2, (const uint8_t[]){it, ni->in2}, 0, s);
    if (live(c)) EMIT(c, VM_OP_MEMX_STORE, s[0], s[1], a.mem, code, lo, hi);
    return;
  }
  uint32_t d = operands(c, 1, &it, ni->out, s);
  if (!live(c)) return;
  uint32_t at = c->pc;
  EMIT(c, VM_OP_MEMX_LOAD, d, s[0], a.mem, code, lo, hi);
  set_last(c, at);
}

static void simple_op(cx *c, int op, uint8_t code) {
  const numop_info *ni = &numops[op - FIRST_NUMOP];
  uint32_t offset = 0;
  if (ni->size) {
    memarg a = rd_memarg(c, ni->size);
    if (memx(c, a)) {
      memx_access(c, ni, code, a);
      return;
    }
    offset = (uint32_t)a.offset;
  }
  uint32_t a, b = 0, d;
  if (ni->in2) {
    pop(c, ni->in2);
    pop(c, ni->in1);
    a = src_of(c, c->h);
    b = src_of(c, c->h + 1);
  } else {
    pop(c, ni->in1);
    a = src_of(c, c->h);
  }
  d = slot(c, c->h);
  if (ni->out) push(c, ni->out);
  if (!live(c)) return;
  uint32_t at = c->pc;
  /* An address just computed into its own temporary: the access computes it. */
  if ((ni->fmt == FMT_LOAD || ni->fmt == FMT_STORE) && a == d && can_retarget(c, a) &&
      emit_fused_access(c, op, d, b, offset))
    return;
  if (ni->fmt == FMT_DSS && (emit_fused(c, op, d, a, b) || emit_with_load(c, op, d, a, b))) return;
  const vm_word *w = last_instr(c);
  if (op == VM_OP_I32_ADD && w && w[0] == VM_OP_I32_ADD) {
    /* Two i32.adds in a row (address and counter updates): one ADD2, this
     * one's result in word 1 like any last instruction. */
    uint32_t d1 = w[1], a1 = w[2], b1 = w[3];
    drop_last(c);
    at = c->pc;
    EMIT(c, VM_OP_ADD2, d, a, b, d1, a1, b1);
    set_last(c, at);
    return;
  }
  switch (ni->fmt) {
  case FMT_DS: EMIT(c, (vm_word)op, d, a); break;
  case FMT_DSS: EMIT(c, (vm_word)op, d, a, b); break;
  case FMT_LOAD: EMIT(c, (vm_word)op, d, a, offset); break;
  default: EMIT(c, (vm_word)op, a, b, offset); return; /* FMT_STORE: no result */
  }
  set_last(c, at);
}

/* ---- conditions of branches ---------------------------------------------- */

/* A branch condition: `op` jumps when it holds (BR_IF on slot a, BR_UNLESS
 * on slot a, or a fused BR_I32_* comparison of slots a and b). */
typedef struct cond {
  uint32_t op, a, b;
} cond;

/* The condition of a branch on the i32 just popped (its value in slot s).
 * When an i32.eqz or i32 comparison computed it just before, the compare
 * is taken back out of the code and fused into the branch.  Call it before
 * anything else is emitted. */
static cond take_cond(cx *c, uint32_t s) {
  cond r = {VM_OP_BR_IF, s, 0};
  if (!live(c) || s != slot(c, c->h) || !can_retarget(c, s)) return r;
  const vm_word *w = c->code + c->last_pc;
  switch (w[0]) {
  case VM_OP_I32_EQZ:
    r.op = VM_OP_BR_UNLESS;
    r.a = w[2];
    break;
  case VM_OP_I32_EQ: r.op = VM_OP_BR_I32_EQ; break;
  case VM_OP_I32_NE: r.op = VM_OP_BR_I32_NE; break;
  case VM_OP_I32_LT_S: r.op = VM_OP_BR_I32_LT_S; break;
  case VM_OP_I32_LT_U: r.op = VM_OP_BR_I32_LT_U; break;
  case VM_OP_I32_GT_S: r.op = VM_OP_BR_I32_GT_S; break;
  case VM_OP_I32_GT_U: r.op = VM_OP_BR_I32_GT_U; break;
  case VM_OP_I32_LE_S: r.op = VM_OP_BR_I32_LE_S; break;
  case VM_OP_I32_LE_U: r.op = VM_OP_BR_I32_LE_U; break;
  case VM_OP_I32_GE_S: r.op = VM_OP_BR_I32_GE_S; break;
  case VM_OP_I32_GE_U: r.op = VM_OP_BR_I32_GE_U; break;
  default: return r;
  }
  if (r.op != VM_OP_BR_UNLESS) {
    r.a = w[2];
    r.b = w[3];
  }
  drop_last(c);
  return r;
}

static uint32_t negate_cond(uint32_t op) {
  switch (op) {
  case VM_OP_BR_IF: return VM_OP_BR_UNLESS;
  case VM_OP_BR_UNLESS: return VM_OP_BR_IF;
  case VM_OP_BR_I32_EQ: return VM_OP_BR_I32_NE;
  case VM_OP_BR_I32_NE: return VM_OP_BR_I32_EQ;
  case VM_OP_BR_I32_LT_S: return VM_OP_BR_I32_GE_S;
  case VM_OP_BR_I32_GE_S: return VM_OP_BR_I32_LT_S;
  case VM_OP_BR_I32_LT_U: return VM_OP_BR_I32_GE_U;
  case VM_OP_BR_I32_GE_U: return VM_OP_BR_I32_LT_U;
  case VM_OP_BR_I32_GT_S: return VM_OP_BR_I32_LE_S;
  case VM_OP_BR_I32_LE_S: return VM_OP_BR_I32_GT_S;
  case VM_OP_BR_I32_GT_U: return VM_OP_BR_I32_LE_U;
  default: return VM_OP_BR_I32_GT_U; /* BR_I32_LE_U */
  }
}

/* Emit a conditional branch (negated if `neg`) with target word `t`;
 * returns the index of the target word. */
static uint32_t emit_cond(cx *c, cond k, bool neg, uint32_t t) {
  uint32_t op = neg ? negate_cond(k.op) : k.op;
  if (can_retarget(c, k.a) &&
      (c->code[c->last_pc] == VM_OP_I32_ADD || c->code[c->last_pc] == VM_OP_I32_SUB)) {
    /* The condition tests an i32.add/sub just computed (a loop counter): one op. */
    bool sub = c->code[c->last_pc] == VM_OP_I32_SUB;
    uint32_t x = c->code[c->last_pc + 2], y = c->code[c->last_pc + 3];
    uint32_t base = sub ? VM_OP_SUB_BR_IF : VM_OP_ADD_BR_IF; /* then _UNLESS, then _I32_EQ .. */
    drop_last(c);
    if (op == VM_OP_BR_IF || op == VM_OP_BR_UNLESS)
      EMIT(c, base + (op == VM_OP_BR_UNLESS), k.a, x, y, t);
    else
      EMIT(c, base + 2 + (op - VM_OP_BR_I32_EQ), k.a, x, y, k.b, t);
    c->last_end = 0;
    return c->pc - 1;
  }
  if ((op == VM_OP_BR_IF || op == VM_OP_BR_UNLESS) && can_retarget(c, k.a) &&
      (c->code[c->last_pc] == VM_OP_I32_LOAD8_U || c->code[c->last_pc] == VM_OP_I32_LOAD)) {
    /* The condition is a value just loaded (a string's byte, a pointer). */
    uint32_t lop = c->code[c->last_pc] == VM_OP_I32_LOAD ? VM_OP_LD32_BR_IF : VM_OP_LD8U_BR_IF;
    uint32_t a = c->code[c->last_pc + 2], off = c->code[c->last_pc + 3];
    drop_last(c);
    EMIT(c, lop + (op == VM_OP_BR_UNLESS), k.a, a, off, t);
    c->last_end = 0;
    return c->pc - 1;
  }
  if (op == VM_OP_BR_IF || op == VM_OP_BR_UNLESS)
    EMIT(c, op, k.a, t);
  else
    EMIT(c, op, k.a, k.b, t);
  return c->pc - 1;
}

/* ---- instructions -------------------------------------------------------- */

static void set_region(cx *c, uint32_t handler);

static void op_end(cx *c) {
  ctl *f = top(c);
  materialise_top(c, VWIN);
  end_types(c, f->nresults, f->results);
  if (f->kind == CTL_IF) {
    /* No else arm: the empty arm must turn the params into the results. */
    f->unreachable = false;
    push_types(c, f->nparams, f->params);
    end_types(c, f->nresults, f->results);
  }
  if (f->kind == CTL_FUNC) {
    if (!f->dead) {
      emit_return(c, slot(c, 0), slots_of(f->nresults, f->results));
    }
    c->nctl--;
    if (c->r.pos != c->r.end) MALFORMED(c, c->r.pos, "section size mismatch");
    return;
  }
  bool reach = !f->dead || f->patch != 0 || (f->kind == CTL_IF && f->live_entry);
  patch_chain(c, f->patch, c->pc);
  if (f->kind == CTL_IF && f->else_patch) c->code[f->else_patch] = c->pc;
  c->fence = c->pc;
  uint32_t nr = f->nresults;
  const vm_vt *rt = f->results;
  if (f->kind == CTL_TRY || f->kind == CTL_CATCH || f->kind == CTL_CATCH_ALL) c->try_depth--;
  if (c->local_set) unset_locals(c, f);
  c->nctl--;
  if (c->nhandlers) set_region(c, top(c)->handler);
  push_types(c, nr, rt);
  top(c)->dead = !reach;
}

/* The end of an arm of f (an if's then, a try body, a catch arm): its results checked, and a jump
 * to f's end when it falls through. */
static void end_arm(cx *c, ctl *f) {
  materialise_top(c, VWIN);
  end_types(c, f->nresults, f->results);
  if (!f->dead) {
    reserve(c, 2);
    put(c, VM_OP_BR);
    put_target(c, f);
  }
}

/* The start of f's next arm: reachable when f's start was, with the locals it set unset again. */
static void start_arm(cx *c, ctl *f) {
  c->fence = c->pc;
  f->unreachable = false;
  f->dead = !f->live_entry;
  if (c->local_set) unset_locals(c, f);
}

static void op_else(cx *c) {
  ctl *f = top(c);
  if (f->kind != CTL_IF) MALFORMED(c, c->ipos, "END opcode expected");
  end_arm(c, f);
  if (f->else_patch) c->code[f->else_patch] = c->pc;
  f->else_patch = 0;
  f->kind = CTL_ELSE;
  start_arm(c, f);
  push_types(c, f->nparams, f->params);
}

static void op_br_if(cx *c) {
  ctl *t = label(c, rd_u32(c));
  pop(c, VM_I32);
  cond k = take_cond(c, src_of(c, c->h));
  uint32_t n = label_n(t);
  const vm_vt *ts = label_t(t);
  materialise_top(c, n);
  pop_types(c, n, ts);
  uint32_t src = slot(c, c->h);
  if (live(c)) {
    if (direct(c, t, src)) {
      uint32_t tw = emit_cond(c, k, false, 0);
      /* put_target, on the word already emitted */
      if (t->kind == CTL_LOOP) {
        c->code[tw] = t->start;
      } else {
        c->code[tw] = t->patch;
        t->patch = tw;
      }
    } else {
      uint32_t skip = emit_cond(c, k, true, 0);
      emit_branch(c, t, src);
      c->code[skip] = c->pc;
    }
  }
  push_types(c, n, ts);
}

/* br_on_null l: branch with l's values if the reference on top is null, else go on with it (now known
 * non-null).  br_on_non_null l: branch with the values and the reference if it is not null, else drop
 * it and go on. */
static void op_br_on_null(cx *c, bool on_non_null) {
  ctl *t = label(c, rd_u32(c));
  uint32_t n = label_n(t);
  const vm_vt *ts = label_t(t);
  materialise_top(c, n + 1);
  vm_vt rt = pop_any(c);
  if (!is_ref(rt)) type_mismatch(c);
  uint32_t r = src_of(c, c->h);
  vm_vt nonnull = rt == T_UNKNOWN ? vm_vt_ref(false, VM_VT_ABS | VM_HT_BOT) : rt & ~VM_VT_NULL;
  uint32_t nv = n; /* the values below the reference that the branch carries */
  if (on_non_null) {
    if (n == 0 || !matches(c, nonnull, ts[n - 1])) type_mismatch(c);
    nv = n - 1;
  }
  pop_types(c, nv, ts);
  uint32_t src = slot(c, c->h);
  if (live(c)) {
    vm_op jump = on_non_null ? VM_OP_BR_ON_NON_NULL : VM_OP_BR_ON_NULL;
    vm_op skip = on_non_null ? VM_OP_BR_ON_NULL : VM_OP_BR_ON_NON_NULL;
    if (direct(c, t, src)) {
      reserve(c, 3);
      put(c, jump);
      put(c, r);
      put_target(c, t);
    } else {
      EMIT(c, skip, r, 0);
      uint32_t tw = c->pc - 1;
      emit_branch(c, t, src);
      c->code[tw] = c->pc;
      c->fence = c->pc;
    }
  }
  push_types(c, nv, ts);
  if (!on_non_null) {
    push(c, nonnull);
    if (live(c)) c->vs[c->h - 1] = r; /* where it is */
  }
}

static void op_br_table(cx *c) {
  uint32_t n = rd_len(c);
  const uint8_t *labels = c->r.pos;
  for (uint32_t i = 0; i < n; i++)
    label(c, rd_u32(c));
  ctl *d = label(c, rd_u32(c));
  const uint8_t *after = c->r.pos;
  pop(c, VM_I32);
  uint32_t idx = src_of(c, c->h);
  uint32_t arity = label_n(d);
  materialise_top(c, arity);
  bool lv = live(c);
  uint32_t tab = 0;
  if (lv) {
    reserve(c, n + 4);
    put(c, VM_OP_BR_TABLE);
    put(c, idx);
    put(c, n);
    tab = c->pc;
    c->pc += n + 1;
    c->gen++;
  }
  c->r.pos = labels;
  for (uint32_t i = 0; i <= n; i++) {
    ctl *t = i < n ? label(c, rd_u32(c)) : d;
    if (label_n(t) != arity) type_mismatch(c);
    peek_types(c, arity, label_t(t));
    if (!lv) continue;
    uint32_t src = slot(c, c->h - arity);
    if (direct(c, t, src)) {
      if (t->kind == CTL_LOOP) {
        c->code[tab + i] = t->start;
      } else {
        c->code[tab + i] = t->patch;
        t->patch = tab + i;
      }
    } else {
      if (t->stub_gen != c->gen || c->gen == 0) {
        t->stub_gen = c->gen;
        t->stub_pc = c->pc;
        emit_branch(c, t, src);
      }
      c->code[tab + i] = t->stub_pc;
    }
  }
  c->r.pos = after;
  pop_types(c, arity, label_t(d));
  set_unreachable(c);
}

/* A call: `head` then the arguments' base slot, and for an indirect call (`callee`: the type of the
 * operand on top, a table index or a function reference) its slot. */
static void op_call(cx *c, const vm_functype *ft, const vm_word *head, uint32_t nhead, vm_vt callee) {
  bool indirect = callee != 0;
  uint32_t s = 0;
  if (indirect) {
    pop(c, callee);
    s = src_of(c, c->h);
  }
  materialise_top(c, ft->nparams);
  pop_types(c, ft->nparams, ft->vts);
  uint32_t base = slot(c, c->h);
  if (live(c)) {
    reserve(c, nhead + 2);
    for (uint32_t i = 0; i < nhead; i++)
      put(c, head[i]);
    put(c, base);
    if (indirect) put(c, s);
  }
  push_types(c, ft->nresults, ft->vts + ft->nparams);
}

/* A tail call's callee must return what this function returns (or subtypes of it). */
static void tail_results(cx *c, const vm_functype *ft) {
  const vm_functype *me = c->ft;
  if (ft->nresults != me->nresults) type_mismatch(c);
  for (uint32_t i = 0; i < ft->nresults; i++)
    if (!matches(c, ft->vts[ft->nparams + i], me->vts[me->nparams + i])) type_mismatch(c);
}

/* ---- exception handling ------------------------------------------------ */

static uint32_t need_tag(cx *c, uint32_t x) {
  if (x >= c->m->ntags) INVALID(c, "unknown tag %u", x);
  return x;
}
static const vm_functype *tag_type(cx *c, uint32_t x) {
  return &c->m->types[c->m->tag_types[x]];
}

/* From the next instruction on, `handler` is in effect (exn.h's regions). */
static void set_region(cx *c, uint32_t handler) {
  if (c->nregions && c->regions[c->nregions - 1].start == c->pc) c->nregions--; /* an empty region */
  uint32_t now = c->nregions ? c->regions[c->nregions - 1].handler : VM_EH_NONE;
  if (now == handler) return;
  if (c->nregions == c->regions_cap)
    c->regions = grow(c, c->regions, &c->regions_cap, (uint64_t)c->nregions + 1, sizeof *c->regions,
                      UINT32_MAX / sizeof *c->regions, "function too large");
  c->regions[c->nregions++] = (vm_eh_region){c->pc, handler};
}

/* A new handler (no clauses yet) whose parent is `parent`. */
static uint32_t add_handler(cx *c, uint32_t parent) {
  if (c->nhandlers == c->handlers_cap)
    c->handlers = grow(c, c->handlers, &c->handlers_cap, (uint64_t)c->nhandlers + 1, sizeof *c->handlers,
                       UINT32_MAX / sizeof *c->handlers, "function too large");
  c->handlers[c->nhandlers] = (vm_eh_handler){parent, VM_EH_NONE};
  return c->nhandlers++;
}

/* Handler h's next clause: a tag (VM_EH_NONE: all) and its landing pad. */
static void add_catch(cx *c, uint32_t h, uint32_t tag, uint32_t pad) {
  if (c->ncatches == c->catches_cap)
    c->catches = grow(c, c->catches, &c->catches_cap, (uint64_t)c->ncatches + 1, sizeof *c->catches,
                      UINT32_MAX / sizeof *c->catches, "function too large");
  uint32_t k = c->ncatches++;
  c->catches[k] = (vm_eh_catch){tag, pad, VM_EH_NONE};
  uint32_t *link = &c->handlers[h].first;
  while (*link != VM_EH_NONE)
    link = &c->catches[*link].next;
  *link = k;
}

/* The slots of the payload of exceptions of tag x. */
static uint32_t tag_slots(cx *c, uint32_t x) {
  const vm_functype *t = tag_type(c, x);
  return slots_of(t->nparams, t->vts);
}

/* try_table bt (catch clauses) ... end: the clauses' landing pads come first (jumped over), each
 * taking the exception's values into its label's slots and branching there. */
static void op_try_table(cx *c) {
  blocktype bt = rd_blocktype(c);
  uint32_t n = rd_len(c);
  const uint8_t *clauses = c->r.pos;
  for (uint32_t i = 0; i < n; i++) { /* validate, in the context outside the try_table */
    const uint8_t *at = c->r.pos;
    uint8_t kind = rd_u8(c);
    if (kind > 3) MALFORMED(c, at, "malformed catch clause");
    uint32_t np = 0;
    const vm_vt *pt = NULL;
    if (kind < 2) {
      const vm_functype *tt = tag_type(c, need_tag(c, rd_u32(c)));
      np = tt->nparams;
      pt = tt->vts;
    }
    ctl *t = label(c, rd_u32(c));
    bool ref = kind & 1;
    const vm_vt *lt = label_t(t);
    if (label_n(t) != np + ref) type_mismatch(c);
    for (uint32_t k = 0; k < np; k++)
      if (!matches(c, pt[k], lt[k])) type_mismatch(c);
    /* the exception itself: (ref exn), never null */
    if (ref && !matches(c, vm_vt_ref(false, VM_VT_ABS | VM_HT_EXN), lt[np])) type_mismatch(c);
  }
  const uint8_t *after = c->r.pos;
  materialise_top(c, VWIN);
  pop_types(c, bt.np, bt.pt);
  uint32_t h = VM_EH_NONE;
  if (live(c)) {
    h = add_handler(c, top(c)->handler);
    reserve(c, 2);
    put(c, VM_OP_BR);
    uint32_t skip = c->pc;
    put(c, 0);
    c->r.pos = clauses;
    for (uint32_t i = 0; i < n; i++) {
      uint8_t kind = rd_u8(c);
      uint32_t x = kind < 2 ? rd_u32(c) : VM_EH_NONE;
      ctl *t = label(c, rd_u32(c));
      uint32_t pad = c->pc, np = kind < 2 ? tag_slots(c, x) : 0;
      uint32_t dst = t->kind == CTL_FUNC ? 0 : slot(c, t->height);
      if (kind & 1)
        EMIT(c, VM_OP_CATCH_REF, dst, np, dst + np);
      else
        EMIT(c, VM_OP_CATCH, dst, np);
      if (t->kind == CTL_FUNC) {
        EMIT(c, VM_OP_RETURN);
      } else {
        reserve(c, 2);
        put(c, VM_OP_BR);
        put_target(c, t);
      }
      add_catch(c, h, x, pad);
    }
    c->r.pos = after;
    c->code[skip] = c->pc;
  }
  ctl *f = push_ctl(c, CTL_TRY_TABLE, bt.np, bt.pt, bt.nr, bt.rt);
  if (h != VM_EH_NONE) {
    f->handler = h;
    set_region(c, h);
  }
  c->interp_only = true;
}

/* Legacy try bt ... (catch x ... | catch_all ...)* end, or ... delegate l. */
static void op_try(cx *c) {
  blocktype bt = rd_blocktype(c);
  materialise_top(c, VWIN);
  pop_types(c, bt.np, bt.pt);
  uint32_t parent = top(c)->handler;
  ctl *f = push_ctl(c, CTL_TRY, bt.np, bt.pt, bt.nr, bt.rt);
  f->exn_slot = c->try_depth++;
  if (c->try_depth > c->nexn_slots) c->nexn_slots = c->try_depth;
  if (!f->dead) {
    f->try_handler = f->handler = add_handler(c, parent);
    set_region(c, f->handler);
  }
  c->interp_only = true;
}

/* Legacy catch x / catch_all: the try body (or the previous arm) ends; a landing pad takes the
 * exception's values and keeps the exception for rethrow. */
static void op_catch(cx *c, bool all) {
  ctl *f = top(c);
  if (f->kind != CTL_TRY && f->kind != CTL_CATCH) MALFORMED(c, c->ipos, "END opcode expected");
  uint32_t x = all ? VM_EH_NONE : need_tag(c, rd_u32(c));
  end_arm(c, f);
  /* The arms are outside the try body: the handler of the enclosing block is in effect there. */
  f->handler = c->ctls[c->nctl - 2].handler;
  f->kind = all ? CTL_CATCH_ALL : CTL_CATCH;
  start_arm(c, f);
  set_region(c, f->handler);
  const vm_functype *tt = all ? NULL : tag_type(c, x);
  if (!f->dead && f->try_handler != VM_EH_NONE) {
    uint32_t pad = c->pc;
    EMIT(c, VM_OP_CATCH_REF, slot(c, f->height), all ? 0 : tag_slots(c, x), EXN_SLOT_MARK + f->exn_slot);
    add_catch(c, f->try_handler, x, pad);
  }
  if (tt) push_types(c, tt->nparams, tt->vts);
}

/* Legacy rethrow l: l names a catch arm, whose exception is thrown again. */
static void op_rethrow(cx *c) {
  ctl *t = label(c, rd_u32(c));
  if (t->kind != CTL_CATCH && t->kind != CTL_CATCH_ALL) INVALID(c, "invalid rethrow label");
  if (live(c)) EMIT(c, VM_OP_THROW_REF, EXN_SLOT_MARK + t->exn_slot);
  set_unreachable(c);
}

static void op_end(cx *c);

/* Legacy delegate l: ends a try (without catch arms) whose exceptions go to the handler in effect in
 * block l (counted from outside the try), or to the caller. */
static void op_delegate(cx *c) {
  ctl *f = top(c);
  if (f->kind != CTL_TRY) MALFORMED(c, c->ipos, "END opcode expected");
  uint32_t l = rd_u32(c);
  if (l >= c->nctl - 1) INVALID(c, "unknown label");
  ctl *t = label(c, l + 1);
  if (f->try_handler != VM_EH_NONE) c->handlers[f->try_handler].parent = t->handler;
  op_end(c);
}

/* ---- SIMD (0xFD prefix) ------------------------------------------------- */

/* The operand and result types of each SIMD instruction, from simdops.def. */
enum {
  SIMD_NONE, /* no such instruction */
  SIMD_LOAD,
  SIMD_STORE,
  SIMD_LOAD_LANE,
  SIMD_STORE_LANE,
  SIMD_CONST,
  SIMD_SHUFFLE,
  SIMD_SPLAT_I32,
  SIMD_SPLAT_I64,
  SIMD_SPLAT_F32,
  SIMD_SPLAT_F64,
  SIMD_EXTRACT_I32,
  SIMD_EXTRACT_I64,
  SIMD_EXTRACT_F32,
  SIMD_EXTRACT_F64,
  SIMD_REPLACE_I32,
  SIMD_REPLACE_I64,
  SIMD_REPLACE_F32,
  SIMD_REPLACE_F64,
  SIMD_UN,
  SIMD_BIN,
  SIMD_TER,
  SIMD_TEST,
  SIMD_SHIFT,
};

typedef struct simd_info {
  uint8_t shape, arg; /* arg: bytes accessed (memory) or lane count (lanes) */
} simd_info;

static const simd_info simd_infos[VM_WASM_NFD] = {
#define VM_SIMDOP(name, code, imm, shape, arg) [code] = {SIMD_##shape, arg},
#include "vm/simdops.def"
#undef VM_SIMDOP
};
_Static_assert(VM_WASM_I8X16_SWIZZLE == 0x0E && VM_WASM_I32X4_TRUNC_SAT_F32X4_S == 0xF8 &&
                   VM_WASM_V128_BITSELECT == 0x52 && VM_WASM_F32X4_MIN == 0xE8 &&
                   VM_WASM_I16X8_Q15MULR_SAT_S == 0x82 && VM_WASM_I32X4_TRUNC_SAT_F64X2_U_ZERO == 0xFD,
               "simdops.def's relaxed rows name these codes");

/* The scalar type of a SPLAT/EXTRACT/REPLACE shape. */
static uint8_t lane_scalar(uint8_t shape) {
  static const uint8_t t[4] = {VM_I32, VM_I64, VM_F32, VM_F64};
  if (shape >= SIMD_REPLACE_I32) return t[shape - SIMD_REPLACE_I32];
  if (shape >= SIMD_EXTRACT_I32) return t[shape - SIMD_EXTRACT_I32];
  return t[shape - SIMD_SPLAT_I32];
}

static uint32_t rd_lane(cx *c, uint32_t lanes) {
  uint8_t lane = rd_u8(c);
  if (lane >= lanes) INVALID(c, "invalid lane index");
  return lane;
}

/* Pop operands of types ts[0..n) (ts[n-1] on top) into src[0..n) (the slots holding them) and push a
 * result of type `out` (0: none); returns the result's slot. */
static uint32_t operands(cx *c, uint32_t n, const uint8_t *ts, uint8_t out, uint32_t *src) {
  vm_vt vts[4] = {0, 0, 0, 0};
  for (uint32_t i = 0; i < n && i < 4; i++) /* numbers and v128: their bytes */
    vts[i] = ts[i];
  pop_types(c, n < 4 ? n : 4, vts);
  for (uint32_t i = 0; i < n; i++)
    src[i] = src_of(c, c->h + i);
  uint32_t d = slot(c, c->h);
  if (out) push(c, out);
  return d;
}

static const uint8_t T_V[] = {VM_V128}, T_VV[] = {VM_V128, VM_V128}, T_VVV[] = {VM_V128, VM_V128, VM_V128},
                     T_A[] = {VM_I32}, T_AV[] = {VM_I32, VM_V128}, T_VI[] = {VM_V128, VM_I32};

static void op_simd(cx *c) {
  uint32_t code = rd_u32(c);
  const simd_info *si = code < VM_WASM_NFD ? &simd_infos[code] : NULL;
  if (!si || si->shape == SIMD_NONE ||
      (vm_feat_optional(vm_wasm_feature[VM_WASM_INDEX(0xFD, code)]) &&
       !vm_feature_on(&c->m->cfg, vm_wasm_feature[VM_WASM_INDEX(0xFD, code)])))
    MALFORMED(c, c->ipos, "illegal opcode fd %02x", code);
  /* a relaxed instruction that gives a 2.0 one's result is compiled as that one (simdops.def) */
  if (code >= 0x100 && (si->shape == SIMD_UN || si->shape == SIMD_BIN || si->shape == SIMD_TER) && si->arg)
    code = si->arg;
  uint32_t s[3], d, offset = 0, lane = 0, w[4] = {0, 0, 0, 0};
  uint32_t at = c->pc;
  uint8_t shape = si->shape, scalar = 0;
  if (shape >= SIMD_SPLAT_I32 && shape <= SIMD_REPLACE_F64) scalar = lane_scalar(shape);
  /* immediates */
  memarg ma = {0, 0, 0};
  if (shape == SIMD_LOAD || shape == SIMD_STORE || shape == SIMD_LOAD_LANE || shape == SIMD_STORE_LANE) {
    ma = rd_memarg(c, si->arg);
    offset = (uint32_t)ma.offset;
  }
  if (shape == SIMD_LOAD_LANE || shape == SIMD_STORE_LANE) lane = rd_lane(c, 16 / si->arg);
  if ((shape == SIMD_LOAD || shape == SIMD_STORE || shape == SIMD_LOAD_LANE || shape == SIMD_STORE_LANE) &&
      memx(c, ma)) {
    /* another memory, or a 64-bit one: MEMX_V128_LOAD / MEMX_V128_STORE */
    uint8_t ts[2] = {mem_index_type(c, ma.mem), VM_V128};
    uint32_t lo = (uint32_t)ma.offset, hi = (uint32_t)(ma.offset >> 32);
    if (shape == SIMD_STORE || shape == SIMD_STORE_LANE) {
      operands(c, 2, ts, 0, s);
      if (live(c)) EMIT(c, VM_OP_MEMX_V128_STORE, s[0], s[1], ma.mem, code, lane, lo, hi);
      return;
    }
    d = operands(c, shape == SIMD_LOAD ? 1 : 2, ts, VM_V128, s);
    if (live(c))
      EMIT(c, VM_OP_MEMX_V128_LOAD, d, s[0], shape == SIMD_LOAD ? s[0] : s[1], ma.mem, code, lane, lo, hi);
    if (live(c)) set_last(c, at);
    return;
  }
  if (shape >= SIMD_EXTRACT_I32 && shape <= SIMD_REPLACE_F64) lane = rd_lane(c, si->arg);
  if (shape == SIMD_CONST)
    for (int i = 0; i < 16; i++)
      w[i / 4] |= (uint32_t)rd_u8(c) << (8 * (i % 4));
  if (shape == SIMD_SHUFFLE)
    for (int i = 0; i < 16; i++)
      w[i / 4] |= rd_lane(c, 32) << (8 * (i % 4));
  /* operands, result, code */
  switch (shape) {
  case SIMD_LOAD:
    d = operands(c, 1, T_A, VM_V128, s);
    if (live(c)) EMIT(c, VM_OP_V128_LOAD, d, s[0], offset, code);
    break;
  case SIMD_STORE:
    operands(c, 2, T_AV, 0, s);
    if (live(c)) EMIT(c, VM_OP_V128_STORE, s[0], s[1], offset);
    return;
  case SIMD_STORE_LANE:
    operands(c, 2, T_AV, 0, s);
    if (live(c)) EMIT(c, VM_OP_V128_STORE_LANE, s[0], s[1], offset, code, lane);
    return;
  case SIMD_LOAD_LANE:
    d = operands(c, 2, T_AV, VM_V128, s);
    if (live(c)) EMIT(c, VM_OP_V128_LOAD_LANE, d, s[0], s[1], offset, code, lane);
    break;
  case SIMD_CONST:
    d = operands(c, 0, NULL, VM_V128, s);
    if (live(c)) EMIT(c, VM_OP_V128_CONST, d, w[0], w[1], w[2], w[3]);
    break;
  case SIMD_SHUFFLE:
    d = operands(c, 2, T_VV, VM_V128, s);
    if (live(c)) EMIT(c, VM_OP_V128_SHUFFLE, d, s[0], s[1], w[0], w[1], w[2], w[3]);
    break;
  case SIMD_SPLAT_I32:
  case SIMD_SPLAT_I64:
  case SIMD_SPLAT_F32:
  case SIMD_SPLAT_F64:
    d = operands(c, 1, &scalar, VM_V128, s);
    if (live(c)) EMIT(c, VM_OP_V128_SPLAT, d, s[0], code);
    break;
  case SIMD_EXTRACT_I32:
  case SIMD_EXTRACT_I64:
  case SIMD_EXTRACT_F32:
  case SIMD_EXTRACT_F64:
    d = operands(c, 1, T_V, scalar, s);
    if (live(c)) EMIT(c, VM_OP_V128_EXTRACT, d, s[0], code, lane);
    break;
  case SIMD_REPLACE_I32:
  case SIMD_REPLACE_I64:
  case SIMD_REPLACE_F32:
  case SIMD_REPLACE_F64:
    d = operands(c, 2, (const uint8_t[]){VM_V128, scalar}, VM_V128, s);
    if (live(c)) EMIT(c, VM_OP_V128_REPLACE, d, s[0], s[1], code, lane);
    break;
  case SIMD_UN:
    d = operands(c, 1, T_V, VM_V128, s);
    if (live(c)) EMIT(c, VM_OP_V128_UN, d, s[0], code);
    break;
  case SIMD_TEST:
    d = operands(c, 1, T_V, VM_I32, s);
    if (live(c)) EMIT(c, VM_OP_V128_TEST, d, s[0], code);
    break;
  case SIMD_BIN:
    d = operands(c, 2, T_VV, VM_V128, s);
    if (live(c)) EMIT(c, VM_OP_V128_BIN, d, s[0], s[1], code);
    break;
  case SIMD_SHIFT:
    d = operands(c, 2, T_VI, VM_V128, s);
    if (live(c)) EMIT(c, VM_OP_V128_SHIFT, d, s[0], s[1], code);
    break;
  default: /* SIMD_TER: v128.bitselect (and the relaxed laneselects), or a relaxed one of simd.c */
    d = operands(c, 3, T_VVV, VM_V128, s);
    if (live(c)) {
      if (code == VM_WASM_V128_BITSELECT)
        EMIT(c, VM_OP_V128_BITSELECT, d, s[0], s[1], s[2]);
      else
        EMIT(c, VM_OP_V128_TER, d, s[0], s[1], s[2], code);
    }
    break;
  }
  if (live(c)) set_last(c, at);
}

/* The 0xFC-prefixed instructions. */
static void op_prefixed(cx *c) {
  vm_module *m = c->m;
  uint32_t sub = rd_u32(c);
  int irop = numop_of(fc_index(sub));
  if (irop >= 0) {
    simple_op(c, irop, 0);
    return;
  }
  materialise_top(c, 3);
  uint32_t x, y, h;
  switch (sub) {
  case VM_WASM_MEMORY_INIT:
    x = rd_u32(c);
    y = rd_memidx(c);
    if (mem3(c))
      need_memory_at(c, y);
    else
      need_memory(c);
    need_data(c, x);
    pop(c, VM_I32);
    pop(c, VM_I32);
    pop(c, mem_index_type(c, y));
    h = slot(c, c->h);
    if (live(c)) {
      if (y || mem_is64(c, y))
        EMIT(c, VM_OP_MEMX_INIT, x, h, h + 1, h + 2, y);
      else
        EMIT(c, VM_OP_MEMORY_INIT, x, h, h + 1, h + 2);
    }
    break;
  case VM_WASM_DATA_DROP:
    x = rd_u32(c);
    need_data(c, x);
    if (live(c)) EMIT(c, VM_OP_DATA_DROP, x);
    break;
  case VM_WASM_MEMORY_COPY: /* memory.copy dst src */
  case VM_WASM_MEMORY_FILL: {
    x = rd_memidx(c);
    y = sub == VM_WASM_MEMORY_COPY ? rd_memidx(c) : x;
    if (mem3(c)) {
      need_memory_at(c, x);
      need_memory_at(c, y);
    } else {
      need_memory(c);
    }
    uint8_t tx = mem_index_type(c, x), ty = mem_index_type(c, y);
    if (sub == VM_WASM_MEMORY_COPY) {
      pop(c, tx == VM_I64 && ty == VM_I64 ? VM_I64 : VM_I32); /* n */
      pop(c, ty);
      pop(c, tx);
    } else {
      pop(c, tx);
      pop(c, VM_I32);
      pop(c, tx);
    }
    h = slot(c, c->h);
    if (!live(c)) break;
    if (x || y || tx == VM_I64 || ty == VM_I64) {
      if (sub == VM_WASM_MEMORY_COPY)
        EMIT(c, VM_OP_MEMX_COPY, h, h + 1, h + 2, x, y);
      else
        EMIT(c, VM_OP_MEMX_FILL, h, h + 1, h + 2, x);
    } else {
      EMIT(c, sub == VM_WASM_MEMORY_COPY ? VM_OP_MEMORY_COPY : VM_OP_MEMORY_FILL, h, h + 1, h + 2);
    }
    break;
  }
  case VM_WASM_TABLE_INIT: /* table.init elem table */
    y = rd_u32(c);
    x = rd_u32(c);
    need_table(c, x);
    need_elem(c, y);
    if (!vm_vt_sub(m, m->elems[y].vt, vm_table_vt(&m->tables[x]))) type_mismatch(c);
    pop(c, VM_I32);
    pop(c, VM_I32);
    pop(c, table_index_type(c, x));
    h = slot(c, c->h);
    if (live(c)) EMIT(c, VM_OP_TABLE_INIT, h, h + 1, h + 2, x, y);
    break;
  case VM_WASM_ELEM_DROP:
    x = rd_u32(c);
    need_elem(c, x);
    if (live(c)) EMIT(c, VM_OP_ELEM_DROP, x);
    break;
  case VM_WASM_TABLE_COPY: /* table.copy dst src */
    x = rd_u32(c);
    y = rd_u32(c);
    need_table(c, x);
    need_table(c, y);
    if (!vm_vt_sub(m, vm_table_vt(&m->tables[y]), vm_table_vt(&m->tables[x]))) type_mismatch(c);
    /* n: an i64 only when both are 64-bit */
    pop(c, table_index_type(c, x) == VM_I64 && table_index_type(c, y) == VM_I64 ? VM_I64 : VM_I32);
    pop(c, table_index_type(c, y));
    pop(c, table_index_type(c, x));
    h = slot(c, c->h);
    if (live(c)) EMIT(c, VM_OP_TABLE_COPY, h, h + 1, h + 2, x, y);
    break;
  case VM_WASM_TABLE_GROW:
    x = rd_u32(c);
    need_table(c, x);
    pop(c, table_index_type(c, x));
    pop(c, vm_table_vt(&m->tables[x]));
    h = slot(c, c->h);
    push(c, table_index_type(c, x));
    if (live(c)) EMIT(c, VM_OP_TABLE_GROW, h, h, h + 1, x);
    break;
  case VM_WASM_TABLE_SIZE:
    x = rd_u32(c);
    need_table(c, x);
    h = slot(c, c->h);
    push(c, table_index_type(c, x));
    if (live(c)) EMIT(c, VM_OP_TABLE_SIZE, h, x);
    break;
  case VM_WASM_TABLE_FILL:
    x = rd_u32(c);
    need_table(c, x);
    pop(c, table_index_type(c, x));
    pop(c, vm_table_vt(&m->tables[x]));
    pop(c, table_index_type(c, x));
    h = slot(c, c->h);
    if (live(c)) EMIT(c, VM_OP_TABLE_FILL, h, h + 1, h + 2, x);
    break;
  default: MALFORMED(c, c->ipos, "illegal opcode fc %02x", sub);
  }
}

/* ---- constants ------------------------------------------------------------ */

_Static_assert(VM_MAX_CONST_SLOTS < 128, "the constant hash must stay at most half full");

/* The constant slot of value v, given one if there is room; nconsts if none. */
static uint32_t find_const(cx *c, uint64_t v) {
  uint32_t i = (uint32_t)((v * 0x9E3779B97F4A7C15u) >> 56);
  for (;; i = (i + 1) & 255) {
    uint32_t k = c->const_hash[i];
    if (k == 0) break;
    if (c->consts[k - 1] == v) return k - 1;
  }
  if (c->nconsts == VM_MAX_CONST_SLOTS) return VM_MAX_CONST_SLOTS;
  c->consts[c->nconsts] = v;
  c->const_hash[i] = (uint8_t)(c->nconsts + 1);
  return c->nconsts++;
}

/* Push a constant: a virtual entry naming its constant slot (no code), or,
 * for a value beyond the function's constant slots, a CONST instruction. */
static void push_const(cx *c, uint8_t t, uint64_t v) {
  uint32_t h = slot(c, c->h);
  push(c, t);
  if (!live(c)) return;
  uint32_t k = find_const(c, v);
  if (k < VM_MAX_CONST_SLOTS) {
    c->vs[c->h - 1] = c->nlocals + k;
    return;
  }
  uint32_t at = c->pc;
  if (t == VM_I32 || t == VM_F32)
    EMIT(c, VM_OP_CONST32, h, (uint32_t)v);
  else
    EMIT(c, VM_OP_CONST64, h, (uint32_t)v, (uint32_t)(v >> 32));
  set_last(c, at);
}

/* ---- decode-only rescan -------------------------------------------------- */

/* A body ran out before its final END.  The reference decoder reads on into
 * the following bytes: an END there ends the body too late ("section size
 * mismatch"), anything else is not the END it expects; at the end of the
 * module it is an unexpected end. */
static _Noreturn void missing_end(cx *c) {
  if (c->r.end < c->r.limit) {
    if (*c->r.end == VM_WASM_END) MALFORMED(c, c->r.end, "section size mismatch");
    MALFORMED(c, c->r.end, "END opcode expected");
  }
  MALFORMED(c, c->r.end, "unexpected end of section or function");
}

/* Read past a block type (0x40, a value type or a type index). */
static void skip_blocktype(cx *c) {
  uint8_t b = 0;
  if (!vm_peek_u8(&c->r, &b)) rd_u8(c);
  if (b == 0x40)
    c->r.pos++;
  else if ((b & 0xC0) == 0x40)
    rd_valtype(c);
  else
    rd_sleb(c, 33);
}

/* Decode the instructions of the body again without validating them, so
 * that a malformed encoding anywhere in it is reported (through fail()). */
static void scan_body(cx *c) {
  c->r.pos = c->instrs;
  c->r.error = NULL;
  uint64_t depth = 1;
  /* A bit per open block: is it an `if` still without its else.  Blocks
   * take at least two bytes, so a bit per body byte suffices. */
  size_t nbits = (size_t)(c->r.end - c->r.pos) + 1;
  uint8_t *isif = c->scan_bits = mem_calloc(nbits / 8 + 1, 1);
  if (!isif) return;
  while (depth) {
    c->ipos = c->r.pos;
    if (c->r.pos >= c->r.end) missing_end(c);
    uint8_t op = *c->r.pos++;
    uint32_t n, index = op;
    if (op == VM_WASM_PREFIX_FC) {
      n = rd_u32(c);
      index = fc_index(n);
      if (index >= sizeof vm_wasm_imm || vm_wasm_imm[index] == VM_IMM_ILLEGAL)
        MALFORMED(c, c->ipos, "illegal opcode fc %02x", n);
    } else if (op == VM_WASM_PREFIX_FD) {
      n = rd_u32(c);
      index = n < VM_WASM_NFD ? VM_WASM_INDEX(0xFD, n) : (uint32_t)sizeof vm_wasm_imm;
      if (index >= sizeof vm_wasm_imm || vm_wasm_imm[index] == VM_IMM_ILLEGAL)
        MALFORMED(c, c->ipos, "illegal opcode fd %02x", n);
    }
    if (vm_wasm_imm[index] != VM_IMM_ILLEGAL && vm_feat_optional(vm_wasm_feature[index]) &&
        !vm_feature_on(&c->m->cfg, vm_wasm_feature[index]))
      MALFORMED(c, c->ipos, "illegal opcode %02x", op); /* a proposal this configuration leaves out */
    if (index < 256 && vm_wasm_imm[index] == VM_IMM_ILLEGAL &&
        (c->m->cfg.features & VM_FEATURE_WASM3_RULES) && vm_unsupported_op(op))
      MALFORMED(c, c->ipos, "%s", vm_unsupported_op(op));
    switch ((vm_imm)vm_wasm_imm[index]) {
    case VM_IMM_ILLEGAL: MALFORMED(c, c->ipos, "illegal opcode %02x", op);
    case VM_IMM_PREFIX: break; /* read above */
    case VM_IMM_NONE:
      if (index == VM_WASM_ELSE) {
        if (!(depth - 1 < nbits && (isif[(depth - 1) / 8] >> ((depth - 1) % 8) & 1)))
          MALFORMED(c, c->ipos, "END opcode expected");
        isif[(depth - 1) / 8] &= (uint8_t) ~(1u << ((depth - 1) % 8));
      } else if (index == VM_WASM_END) {
        depth--;
      }
      break;
    case VM_IMM_BLOCK: {
      skip_blocktype(c);
      if (depth < nbits) {
        if (index == VM_WASM_IF)
          isif[depth / 8] |= (uint8_t)(1u << (depth % 8));
        else
          isif[depth / 8] &= (uint8_t) ~(1u << (depth % 8));
      }
      depth++;
      break;
    }
    case VM_IMM_LABEL:
      rd_u32(c);
      if (index == VM_WASM_DELEGATE) depth--; /* it ends its try */
      break;
    case VM_IMM_FUNC:
    case VM_IMM_TYPE:
    case VM_IMM_LOCAL:
    case VM_IMM_GLOBAL:
    case VM_IMM_TABLE:
    case VM_IMM_ELEM: rd_u32(c); break;
    case VM_IMM_MEMARG: (void)rd_memarg_raw(c); break;
    case VM_IMM_CALL_INDIRECT:
    case VM_IMM_ELEM_TABLE:
    case VM_IMM_TABLE_TABLE:
      rd_u32(c);
      rd_u32(c);
      break;
    case VM_IMM_BR_TABLE:
      n = rd_len(c);
      for (uint32_t i = 0; i <= n; i++)
        rd_u32(c);
      break;
    case VM_IMM_SELECT_T:
      n = rd_len(c);
      for (uint32_t i = 0; i < n; i++)
        rd_valtype(c);
      break;
    case VM_IMM_MEM: rd_memidx(c); break;
    case VM_IMM_MEM_MEM:
      rd_memidx(c);
      rd_memidx(c);
      break;
    case VM_IMM_DATA: need_data_count(c, rd_u32(c)); break;
    case VM_IMM_DATA_MEM:
      need_data_count(c, rd_u32(c));
      rd_memidx(c);
      break;
    case VM_IMM_I32: rd_sleb(c, 32); break;
    case VM_IMM_I64: rd_sleb(c, 64); break;
    case VM_IMM_F32:
    case VM_IMM_F64: {
      uint32_t v32 = 0;
      uint64_t v64 = 0;
      if (!(index == VM_WASM_F32_CONST ? vm_read_f32(&c->r, &v32) : vm_read_f64(&c->r, &v64))) read_failed(c);
      break;
    }
    case VM_IMM_REFTYPE: rd_heaptype(c); break;
    case VM_IMM_TAG: rd_u32(c); break;
    case VM_IMM_TRY_TABLE: {
      skip_blocktype(c);
      n = rd_len(c);
      for (uint32_t i = 0; i < n; i++) {
        const uint8_t *at = c->r.pos;
        uint8_t kind = rd_u8(c);
        if (kind > 3) MALFORMED(c, at, "malformed catch clause");
        if (kind < 2) rd_u32(c);
        rd_u32(c);
      }
      if (depth < nbits) isif[depth / 8] &= (uint8_t) ~(1u << (depth % 8));
      depth++;
      break;
    }
    case VM_IMM_V128:
    case VM_IMM_SHUFFLE:
      for (int i = 0; i < 16; i++)
        rd_u8(c);
      break;
    case VM_IMM_LANE: rd_u8(c); break;
    case VM_IMM_MEMARG_LANE:
      (void)rd_memarg_raw(c);
      rd_u8(c);
      break;
    }
  }
  if (c->r.pos != (c->body_end ? c->body_end : c->r.end)) MALFORMED(c, c->r.pos, "section size mismatch");
}

static void compile_body(cx *c) {
  vm_module *m = c->m;
  push_ctl(c, CTL_FUNC, 0, NULL, c->ft->nresults, c->ft->vts + c->ft->nparams);
  while (c->nctl) {
    c->ipos = c->r.pos;
    if (c->r.pos >= c->r.end) missing_end(c);
    uint8_t op = *c->r.pos++;
    uint32_t x, h;
    vm_vt t, t2;
    if (vm_feat_optional(vm_wasm_feature[op]) && !vm_feature_on(&m->cfg, vm_wasm_feature[op])) /* left out */
      MALFORMED(c, c->ipos, "illegal opcode %02x", op);
    switch (op) {
    case VM_WASM_UNREACHABLE:
      if (live(c)) EMIT(c, VM_OP_UNREACHABLE);
      set_unreachable(c);
      break;
    case VM_WASM_NOP: break;
    case VM_WASM_BLOCK:
    case VM_WASM_LOOP:
    case VM_WASM_IF: {
      blocktype bt = rd_blocktype(c);
      cond k = {0, 0, 0};
      if (op == VM_WASM_IF) {
        pop(c, VM_I32);
        k = take_cond(c, src_of(c, c->h));
      }
      /* Blocks start with every value in its own slot: the virtual state
       * then never differs between the paths that meet at a label. */
      materialise_top(c, VWIN);
      pop_types(c, bt.np, bt.pt);
      ctl *f = push_ctl(c,
                        op == VM_WASM_BLOCK  ? CTL_BLOCK
                        : op == VM_WASM_LOOP ? CTL_LOOP
                                             : CTL_IF,
                        bt.np, bt.pt, bt.nr, bt.rt);
      if (op == VM_WASM_IF && !f->dead) f->else_patch = emit_cond(c, k, true, 0);
      break;
    }
    case VM_WASM_ELSE: op_else(c); break;
    case VM_WASM_END: op_end(c); break;
    case VM_WASM_TRY_TABLE: op_try_table(c); break;
    case VM_WASM_TRY: op_try(c); break;
    case VM_WASM_CATCH: op_catch(c, false); break;
    case VM_WASM_CATCH_ALL: op_catch(c, true); break;
    case VM_WASM_RETHROW: op_rethrow(c); break;
    case VM_WASM_DELEGATE: op_delegate(c); break;
    case VM_WASM_THROW: {
      x = need_tag(c, rd_u32(c));
      const vm_functype *tt = tag_type(c, x);
      materialise_top(c, tt->nparams);
      pop_types(c, tt->nparams, tt->vts);
      if (live(c)) EMIT(c, VM_OP_THROW, x, slot(c, c->h));
      set_unreachable(c);
      c->interp_only = true;
      break;
    }
    case VM_WASM_THROW_REF:
      pop(c, VM_VT_EXNREF);
      if (live(c)) EMIT(c, VM_OP_THROW_REF, src_of(c, c->h));
      set_unreachable(c);
      c->interp_only = true;
      break;
    case VM_WASM_BR: {
      ctl *f = label(c, rd_u32(c));
      materialise_top(c, label_n(f));
      pop_types(c, label_n(f), label_t(f));
      if (live(c)) emit_branch(c, f, slot(c, c->h));
      set_unreachable(c);
      break;
    }
    case VM_WASM_BR_IF: op_br_if(c); break;
    case VM_WASM_BR_TABLE: op_br_table(c); break;
    case VM_WASM_RETURN:
      materialise_top(c, c->ft->nresults);
      pop_types(c, c->ft->nresults, c->ft->vts + c->ft->nparams);
      if (live(c)) {
        emit_return(c, slot(c, c->h), slots_of(c->ft->nresults, c->ft->vts + c->ft->nparams));
      }
      set_unreachable(c);
      break;
    case VM_WASM_CALL:
      x = rd_u32(c);
      if (x >= m->nfuncs) INVALID(c, "unknown function %u", x);
      op_call(c, &m->types[m->func_types[x]], (const vm_word[]){VM_OP_CALL, x}, 2, 0);
      break;
    case VM_WASM_CALL_INDIRECT: /* call_indirect type table */
    case VM_WASM_RETURN_CALL_INDIRECT: {
      x = rd_u32(c);
      uint32_t tbl = rd_u32(c);
      need_table(c, tbl);
      if (x >= m->ntypes) INVALID(c, "unknown type %u", x);
      if (!vm_vt_sub(m, vm_table_vt(&m->tables[tbl]), VM_VT_FUNCREF)) type_mismatch(c);
      if (op == VM_WASM_CALL_INDIRECT) {
        op_call(c, &m->types[x], (const vm_word[]){VM_OP_CALL_INDIRECT, x, tbl}, 3, table_index_type(c, tbl));
      } else {
        tail_results(c, &m->types[x]);
        op_call(c, &m->types[x], (const vm_word[]){VM_OP_RETURN_CALL_INDIRECT, x, tbl}, 3,
                table_index_type(c, tbl));
        set_unreachable(c);
      }
      break;
    }
    case VM_WASM_RETURN_CALL:
      x = rd_u32(c);
      if (x >= m->nfuncs) INVALID(c, "unknown function %u", x);
      tail_results(c, &m->types[m->func_types[x]]);
      op_call(c, &m->types[m->func_types[x]], (const vm_word[]){VM_OP_RETURN_CALL, x}, 2, 0);
      set_unreachable(c);
      break;
    case VM_WASM_CALL_REF: /* call_ref $t: a (ref null $t) on top */
    case VM_WASM_RETURN_CALL_REF:
      x = rd_u32(c);
      if (x >= m->ntypes) INVALID(c, "unknown type %u", x);
      if (op == VM_WASM_RETURN_CALL_REF) {
        if (!(m->cfg.features & VM_FEATURE_TAIL_CALL)) MALFORMED(c, c->ipos, "illegal opcode %02x", op);
        tail_results(c, &m->types[x]);
      }
      op_call(c, &m->types[x],
              (const vm_word[]){op == VM_WASM_CALL_REF ? VM_OP_CALL_REF : VM_OP_RETURN_CALL_REF, x}, 2,
              vm_vt_ref(true, x));
      if (op == VM_WASM_RETURN_CALL_REF) set_unreachable(c);
      break;
    case VM_WASM_REF_AS_NON_NULL:
      materialise_top(c, 1);
      t = pop_any(c);
      if (!is_ref(t)) type_mismatch(c);
      h = slot(c, c->h);
      push(c, t == T_UNKNOWN ? vm_vt_ref(false, VM_VT_ABS | VM_HT_BOT) : t & ~VM_VT_NULL);
      if (live(c)) EMIT(c, VM_OP_REF_AS_NON_NULL, h, h);
      break;
    case VM_WASM_BR_ON_NULL:
    case VM_WASM_BR_ON_NON_NULL: op_br_on_null(c, op == VM_WASM_BR_ON_NON_NULL); break;
    case VM_WASM_DROP: pop_any(c); break;
    case VM_WASM_SELECT:
    case VM_WASM_SELECT_T:
      if (op == VM_WASM_SELECT_T) {
        x = rd_len(c);
        t = 0;
        for (uint32_t i = 0; i < x; i++)
          t = rd_valtype(c);
        if (x != 1) INVALID(c, "invalid result arity");
        pop(c, VM_I32);
        pop(c, t);
        pop(c, t);
      } else {
        pop(c, VM_I32);
        t = pop_any(c);
        t2 = pop_any(c);
        if ((!is_num(t) && t != VM_V128) || (!is_num(t2) && t2 != VM_V128)) type_mismatch(c);
        if (t != t2 && t != T_UNKNOWN && t2 != T_UNKNOWN) type_mismatch(c);
        if (t == T_UNKNOWN) t = t2;
      }
      h = slot(c, c->h);
      {
        uint32_t a = src_of(c, c->h), b = src_of(c, c->h + 1), s = src_of(c, c->h + 2);
        push(c, t);
        if (live(c)) {
          uint32_t at = c->pc;
          EMIT(c, t == VM_V128 ? VM_OP_V128_SELECT : VM_OP_SELECT, h, a, b, s);
          set_last(c, at);
        }
      }
      break;
    case VM_WASM_LOCAL_GET:
    case VM_WASM_LOCAL_SET:
    case VM_WASM_LOCAL_TEE:
      x = rd_u32(c);
      if (x >= c->nlocal_vars) INVALID(c, "unknown local %u", x);
      t = c->ltypes[x];
      if (c->local_set) { /* non-null locals: the initialisation rule */
        if (op != VM_WASM_LOCAL_GET)
          local_now_set(c, x);
        else if (!c->local_set[x])
          INVALID(c, "uninitialized local");
      }
      x = c->lslot[x]; /* from here on, the local's (first) slot */
      if (op == VM_WASM_LOCAL_GET) {
        /* No code: the entry reads the local's slot until it must move. */
        push(c, t);
        if (live(c)) c->vs[c->h - 1] = x;
      } else {
        pop(c, t);
        h = slot(c, c->h);
        uint32_t v = src_of(c, c->h);
        if (!live(c)) {
          if (op == VM_WASM_LOCAL_TEE) push(c, t);
          break;
        }
        if (v == h && can_retarget(c, h) && !refers_to(c, x)) {
          /* The value was just computed: compute it into the local. */
          c->code[c->last_pc + 1] = x;
          v = x;
        } else {
          materialise_local(c, x);
          if (v != x)
            for (uint32_t i = 0; i < vt_slots(t); i++)
              emit_mov(c, x + i, v + i);
        }
        if (op == VM_WASM_LOCAL_TEE) {
          push(c, t);
          c->vs[c->h - 1] = v;
        }
      }
      break;
    case VM_WASM_GLOBAL_GET:
      x = rd_u32(c);
      if (x >= m->nglobals) INVALID(c, "unknown global %u", x);
      h = slot(c, c->h);
      push(c, vm_global_vt(&m->global_types[x]));
      if (live(c)) {
        uint32_t at = c->pc;
        EMIT(c, m->global_types[x].type == VM_V128 ? VM_OP_V128_GLOBAL_GET : VM_OP_GLOBAL_GET, h, x);
        set_last(c, at);
      }
      break;
    case VM_WASM_GLOBAL_SET:
      x = rd_u32(c);
      if (x >= m->nglobals) INVALID(c, "unknown global %u", x);
      if (!m->global_types[x].mutable_)
        INVALID(c, "%s",
                m->cfg.features & VM_FEATURE_WASM3_RULES ? "immutable global" : "global is immutable");
      pop(c, vm_global_vt(&m->global_types[x]));
      if (live(c))
        EMIT(c, m->global_types[x].type == VM_V128 ? VM_OP_V128_GLOBAL_SET : VM_OP_GLOBAL_SET,
             src_of(c, c->h), x);
      break;
    case VM_WASM_TABLE_GET:
      materialise_top(c, 1);
      x = rd_u32(c);
      need_table(c, x);
      pop(c, table_index_type(c, x));
      h = slot(c, c->h);
      push(c, vm_table_vt(&m->tables[x]));
      if (live(c)) EMIT(c, VM_OP_TABLE_GET, h, h, x);
      break;
    case VM_WASM_TABLE_SET:
      materialise_top(c, 2);
      x = rd_u32(c);
      need_table(c, x);
      pop(c, vm_table_vt(&m->tables[x]));
      pop(c, table_index_type(c, x));
      h = slot(c, c->h);
      if (live(c)) EMIT(c, VM_OP_TABLE_SET, h, h + 1, x);
      break;
    case VM_WASM_MEMORY_SIZE:
      x = rd_memidx(c);
      if (mem3(c))
        need_memory_at(c, x);
      else
        need_memory(c);
      h = slot(c, c->h);
      push(c, mem_index_type(c, x));
      if (live(c)) {
        if (x || mem_is64(c, x))
          EMIT(c, VM_OP_MEMX_SIZE, h, x);
        else
          EMIT(c, VM_OP_MEMORY_SIZE, h);
      }
      break;
    case VM_WASM_MEMORY_GROW:
      materialise_top(c, 1);
      x = rd_memidx(c);
      if (mem3(c))
        need_memory_at(c, x);
      else
        need_memory(c);
      pop(c, mem_index_type(c, x));
      h = slot(c, c->h);
      push(c, mem_index_type(c, x));
      if (live(c)) {
        if (x || mem_is64(c, x))
          EMIT(c, VM_OP_MEMX_GROW, h, h, x);
        else
          EMIT(c, VM_OP_MEMORY_GROW, h, h);
      }
      break;
    case VM_WASM_I32_CONST: push_const(c, VM_I32, (uint32_t)rd_sleb(c, 32)); break;
    case VM_WASM_I64_CONST: push_const(c, VM_I64, (uint64_t)rd_sleb(c, 64)); break;
    case VM_WASM_F32_CONST:
    case VM_WASM_F64_CONST: {
      uint64_t v = 0;
      uint32_t v32 = 0;
      if (!(op == VM_WASM_F32_CONST ? vm_read_f32(&c->r, &v32) : vm_read_f64(&c->r, &v))) read_failed(c);
      if (op == VM_WASM_F32_CONST) v = v32;
      push_const(c, op == VM_WASM_F32_CONST ? VM_F32 : VM_F64, v);
      break;
    }
    case VM_WASM_REF_NULL: /* ref.null t */
      t = vm_vt_ref(true, rd_heaptype(c));
      h = slot(c, c->h);
      push(c, t);
      if (live(c)) EMIT(c, VM_OP_REF_NULL, h);
      break;
    case VM_WASM_REF_IS_NULL:
      materialise_top(c, 1);
      if (!is_ref(pop_any(c))) type_mismatch(c);
      h = slot(c, c->h);
      push(c, VM_I32);
      if (live(c)) EMIT(c, VM_OP_REF_IS_NULL, h, h);
      break;
    case VM_WASM_REF_FUNC:
      x = rd_u32(c);
      if (x >= m->nfuncs) INVALID(c, "unknown function %u", x);
      if (!m->func_declared || !m->func_declared[x]) INVALID(c, "undeclared function reference");
      h = slot(c, c->h);
      /* its own type, never null, where typed references exist; funcref in Wasm 2.0 */
      push(c, funcrefs_on(c) ? vm_vt_ref(false, m->func_types[x]) : VM_VT_FUNCREF);
      if (live(c)) EMIT(c, VM_OP_REF_FUNC, h, x);
      break;
    case VM_WASM_PREFIX_FC: op_prefixed(c); break;
    case VM_WASM_PREFIX_FD: op_simd(c); break;
    default: {
      int irop = numop_of(op);
      if (irop < 0) {
        const char *u = (m->cfg.features & VM_FEATURE_WASM3_RULES) ? vm_unsupported_op(op) : NULL;
        if (u) MALFORMED(c, c->ipos, "%s", u);
        MALFORMED(c, c->ipos, "illegal opcode %02x", op);
      }
      simple_op(c, irop, op);
      break;
    }
    }
  }
}

/* The final pass over the code: the operand stack moves down next to the
 * constants actually used (slots are frame indices: locals, then
 * constants, then the stack, which compile_body placed VM_MAX_CONST_SLOTS
 * above the locals).  Opcode words stay plain vm_op numbers until every
 * tier has read them (module.c). */
static void finish(cx *c) {
  uint32_t stack = c->nlocals + VM_MAX_CONST_SLOTS, shift = VM_MAX_CONST_SLOTS - c->nconsts;
  uint32_t exn_base = c->nlocals + c->nconsts + c->max_sp;
  /* Constants that fit in 32 bits come first (stored in 4 bytes each). */
  uint8_t perm[VM_MAX_CONST_SLOTS];
  uint64_t sorted[VM_MAX_CONST_SLOTS];
  uint32_t n32 = 0, n = 0;
  for (uint32_t k = 0; k < c->nconsts; k++)
    if (c->consts[k] >> 32 == 0) n32++;
  for (uint32_t k = 0, i32 = 0, i64 = n32; k < c->nconsts; k++) {
    perm[k] = (uint8_t)(c->consts[k] >> 32 == 0 ? i32++ : i64++);
    sorted[perm[k]] = c->consts[k];
  }
  if (c->nconsts) memcpy(c->consts, sorted, c->nconsts * sizeof sorted[0]);
  c->nconsts32 = n32;
  const vm_op_info *info = vm_op_infos();
  for (uint32_t pc = 0; pc < c->pc; pc += n) {
    vm_word *w = c->code + pc;
    vm_op op = (vm_op)w[0];
    const vm_op_info *in = &info[op];
    n = in->words ? in->words : 4 + w[2];
    /* Sources name constants (slots nlocals .. stack-1) or stack slots;
     * destinations below the stack are locals or, for results, slots
     * 0 .. nresults-1 of the frame, which stay as they are.  The caught-exception slots of legacy
     * catch arms go above the operand stack. */
    if (c->nexn_slots && (op == VM_OP_CATCH_REF || op == VM_OP_THROW_REF)) /* the only ops that name them */
      for (uint32_t i = 1; i < n; i++)
        if (w[i] >= EXN_SLOT_MARK)
          w[i] = exn_base + (w[i] - EXN_SLOT_MARK) + shift; /* (shifted back below) */
    for (uint32_t i = 1, m = in->dmask; m; i++, m >>= 1)
      if ((m & 1) && w[i] >= stack) w[i] -= shift;
    for (uint32_t i = 1, m = in->smask; m; i++, m >>= 1) {
      if (!(m & 1)) continue;
      if (w[i] >= stack)
        w[i] -= shift;
      else if (w[i] >= c->nlocals)
        w[i] = c->nlocals + perm[w[i] - c->nlocals];
    }
  }
}

/* Runs the compiler on one body; setjmp lives here, with all state in *c.
 * The working buffers (ltypes, st, vs, ctls) stay with *c for the next body. */
/* What one body's compilation allocated beyond the code (exception tables, typed-reference state). */
static void free_eh(cx *c) {
  mem_free(c->regions);
  mem_free(c->handlers);
  mem_free(c->catches);
  c->regions = NULL;
  c->handlers = NULL;
  c->catches = NULL;
  while (c->one_vts) {
    vt_chunk *k = c->one_vts;
    c->one_vts = k->next;
    mem_free(k);
  }
  mem_free(c->set_log);
  mem_free(c->local_set);
  c->set_log = NULL;
  c->local_set = NULL;
}

/* The function's handler table, in one allocation (exn.h); none when it has no handler. */
static void build_eh(cx *c, vm_code *code) {
  if (!c->nhandlers) return;
  size_t rb = (size_t)c->nregions * sizeof(vm_eh_region), hb = (size_t)c->nhandlers * sizeof(vm_eh_handler);
  size_t cb = (size_t)c->ncatches * sizeof(vm_eh_catch);
  vm_eh *eh = mem_malloc(sizeof *eh + rb + hb + cb);
  if (!eh) fail(c, VM_ERR_NOMEM, NULL, "out of memory");
  uint8_t *p = (uint8_t *)(eh + 1);
  eh->nregions = c->nregions;
  eh->nhandlers = c->nhandlers;
  eh->ncatches = c->ncatches;
  if (rb) memcpy(p, c->regions, rb);
  eh->regions = (const vm_eh_region *)(void *)p;
  if (hb) memcpy(p + rb, c->handlers, hb);
  eh->handlers = (const vm_eh_handler *)(void *)(p + rb);
  if (cb) memcpy(p + rb + hb, c->catches, cb);
  eh->catches = (const vm_eh_catch *)(void *)(p + rb + hb);
  code->eh = eh;
}

static vm_result run(cx *c, vm_code *code) {
  if (setjmp(c->fail)) {
    mem_free(c->code);
    c->code = NULL;
    mem_free(c->scan_bits);
    c->scan_bits = NULL;
    free_eh(c);
    return c->err->result;
  }
  rd_locals(c);
  for (uint32_t x = 0; x < c->nlocal_vars; x++)
    if (c->ltypes[x] == VM_EXNREF) c->interp_only = true;
  if (!c->sp)
    c->sp = grow(c, c->sp, &c->sp_cap, 1, sizeof(uint32_t), MAX_FRAME_SLOTS + 1, "function too large");
  c->sp[0] = 0;
  c->instrs = c->r.pos;
  /* About three words per body byte is typical: one allocation for most bodies. */
  uint64_t len = (uint64_t)(c->r.end - c->r.pos);
  c->code_max = len * CODE_WORDS_PER_BYTE + 4096 < MAX_CODE_WORDS
                    ? (uint32_t)(len * CODE_WORDS_PER_BYTE + 4096)
                    : MAX_CODE_WORDS;
  uint64_t guess = len * 3 + 16;
  reserve(c, guess < c->code_max / 4 ? (uint32_t)guess : c->code_max / 4);
  compile_body(c);
  if ((uint64_t)c->nlocals + c->nconsts + c->max_sp + c->nexn_slots > MAX_FRAME_SLOTS)
    fail(c, VM_ERR_LIMIT, NULL, "function frame too large");
  finish(c);
  build_eh(c, code);
  free_eh(c);
  uint32_t const_base = c->nlocals;
  /* One allocation: the code words, the 32-bit constants, then (aligned)
   * the 64-bit ones. */
  uint32_t n64 = c->nconsts - c->nconsts32;
  size_t words = (size_t)c->pc + c->nconsts32;
  size_t head = n64 ? (words * sizeof(vm_word) + 7) & ~(size_t)7 : words * sizeof(vm_word);
  size_t bytes = head + (size_t)n64 * sizeof(uint64_t);
  vm_word *w = mem_realloc(c->code, bytes ? bytes : 1);
  if (!w) fail(c, VM_ERR_NOMEM, NULL, "out of memory");
  c->code = w;
  for (uint32_t k = 0; k < c->nconsts32; k++)
    w[c->pc + k] = (vm_word)c->consts[k];
  uint64_t *c64 = (uint64_t *)(void *)((uint8_t *)w + head);
  if (n64) memcpy(c64, c->consts + c->nconsts32, (size_t)n64 * sizeof(uint64_t));
  code->code = w;
  code->ncode = c->pc;
  code->nparams = slots_of(c->ft->nparams, c->ft->vts);
  code->nresults = slots_of(c->ft->nresults, c->ft->vts + c->ft->nparams);
  code->nlocals = c->nlocals;
  code->const_base = const_base;
  code->nconsts = c->nconsts;
  code->nconsts32 = c->nconsts32;
  code->consts32 = w + c->pc;
  code->consts64 = c64;
  code->nslots = c->nlocals + c->nconsts + c->max_sp + c->nexn_slots;
  code->interp_only = c->interp_only;
  c->m->compiled_bytes += bytes;
  c->code = NULL;
  return VM_OK;
}

/* Decode bodies [first, first + n) without validating them, reading past each one's declared end as the
 * reference decoder does (the check that it ended there comes last). */
static vm_result scan_bodies(cx *c, vm_module *m, uint32_t first, uint32_t n, vm_error *err) {
  for (uint32_t i = first; i < first + n; i++) {
    memset(c, 0, sizeof *c);
    c->m = m;
    c->err = err;
    c->scanning = true;
    const vm_code *code = &m->codes[i];
    vm_reader_init_region(&c->r, m->bytes, m->len, code->body_offset, (uint32_t)(m->len - code->body_offset));
    c->body_end = m->bytes + code->body_offset + code->body_len;
    c->ipos = c->r.pos;
    if (setjmp(c->fail)) {
      mem_free(c->scan_bits);
      mem_free(c->ltypes);
      mem_free(c->lslot);
      mem_free(c->local_set);
      return err->result;
    }
    uint32_t ngroups = rd_len(c);
    for (uint32_t k = 0; k < ngroups; k++) {
      rd_u32(c);
      vm_vt t;
      if (!vm_read_vt(m, &c->r, false, &t)) read_failed(c);
    }
    c->instrs = c->r.pos;
    scan_body(c);
    mem_free(c->scan_bits);
  }
  return VM_OK;
}

vm_result vm_scan_bodies(vm_module *m, uint32_t n, vm_error *err) {
  cx *c = mem_calloc(1, sizeof *c);
  if (!c) return VM_OK; /* nothing better to say */
  vm_result r = scan_bodies(c, m, 0, n, err);
  mem_free(c);
  return r;
}

vm_result vm_compile_functions(vm_module *m, vm_error *err) {
  vm_error scratch;
  if (!err) err = &scratch;
  cx *c = mem_calloc(1, sizeof *c);
  if (!c) return vm_error_set(err, VM_ERR_NOMEM, 10, -1, "out of memory");
  vm_result r = VM_OK;
  uint32_t ndefined = m->nfuncs - m->nimported_funcs;
  for (uint32_t i = 0; i < ndefined && r == VM_OK; i++) {
    /* A fresh state for each body, keeping the working buffers. */
    cx keep = *c;
    memset(c, 0, sizeof *c);
    c->ltypes = keep.ltypes;
    c->lslot = keep.lslot;
    c->ltypes_cap = keep.ltypes_cap;
    c->sp = keep.sp;
    c->sp_cap = keep.sp_cap;
    c->st = keep.st;
    c->st_cap = keep.st_cap;
    c->vs = keep.vs;
    c->vs_cap = keep.vs_cap;
    c->ctls = keep.ctls;
    c->ctl_cap = keep.ctl_cap;
    c->m = m;
    c->err = err;
    c->ft = &m->types[m->func_types[m->nimported_funcs + i]];
    vm_code *code = &m->codes[i];
    vm_reader_init_region(&c->r, m->bytes, m->len, code->body_offset, code->body_len);
    c->ipos = c->r.pos;
    r = run(c, code);
    if (r == VM_ERR_INVALID && i + 1 < ndefined) {
      /* The reference decodes every body before validating any: a malformed later body wins. */
      vm_error later;
      vm_error_clear(&later);
      cx *sc = mem_calloc(1, sizeof *sc);
      if (sc && scan_bodies(sc, m, i + 1, ndefined - i - 1, &later) == VM_ERR_MALFORMED) {
        *err = later;
        r = VM_ERR_MALFORMED;
      }
      mem_free(sc);
    }
  }
  mem_free(c->ltypes);
  mem_free(c->lslot);
  mem_free(c->sp);
  mem_free(c->st);
  mem_free(c->ctls);
  mem_free(c->vs);
  mem_free(c);
  return r;
}
