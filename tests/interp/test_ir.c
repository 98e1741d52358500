/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ir.c - runs hand-assembled internal code (ir.h) through
 * vm_interp_run() with hand-built runtime objects: calls and recursion,
 * loops, memory access and bounds, traps, call_indirect checks, host calls
 * and re-entrancy, depth and stack limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/runtime.h"
#include "test.h"

/* ---- a tiny assembler ---------------------------------------------------- */

typedef struct asm_buf {
  vm_word w[256];
  uint32_t n;
} asm_buf;

static uint32_t emit(asm_buf *a, int nw, const vm_word *ws) {
  uint32_t at = a->n;
  for (int i = 0; i < nw; i++)
    a->w[a->n++] = ws[i];
  return at;
}
#define E(a, ...)                                                                                            \
  emit((a), (int)(sizeof((vm_word[]){__VA_ARGS__}) / sizeof(vm_word)), (vm_word[]){__VA_ARGS__})

/* ---- fixture: one store, one instance ------------------------------------ */

static const uint8_t T_I32_I32[] = {VM_I32, VM_I32};
static const uint8_t T_I32I32_I32[] = {VM_I32, VM_I32, VM_I32};
static const uint8_t T_I64_I64[] = {VM_I64, VM_I64};

enum { TY_I32_I32, TY_I32I32_I32, TY_NONE, TY_I64_I64, NTYPES };

typedef struct fixture {
  vm_store *store;
  vm_module module;
  vm_functype types[NTYPES];
  vm_instance inst;
  vm_func funcs[8];
  vm_func *funcptrs[8];
  vm_code codes[8];
  asm_buf bufs[8];
  vm_memory *mem;
  vm_table *table;
  vm_table *tables[1];
  vm_global *globals[1];
  uint8_t dropped[4];
} fixture;

/* A real store, memory (1 page, max 4), table (4 funcrefs, max 8) and global;
 * a hand-built instance and module around them. */
static fixture *fixture_new(uint32_t stack_slots, uint32_t max_depth) {
  fixture *x = calloc(1, sizeof *x);
  vm_config cfg;
  vm_config_default(&cfg);
  cfg.stack_slots = stack_slots;
  cfg.max_call_depth = max_depth;
  x->store = vm_store_new(&cfg);
  x->types[TY_I32_I32] = (vm_functype){.nparams = 1, .nresults = 1, .types = T_I32_I32};
  x->types[TY_I32I32_I32] = (vm_functype){.nparams = 2, .nresults = 1, .types = T_I32I32_I32};
  x->types[TY_NONE] = (vm_functype){.nparams = 0, .nresults = 0, .types = NULL};
  x->types[TY_I64_I64] = (vm_functype){.nparams = 1, .nresults = 1, .types = T_I64_I64};
  x->module.types = x->types;
  x->module.ntypes = NTYPES;
  x->inst.module = &x->module;
  x->inst.store = x->store;
  x->inst.funcs = x->funcptrs;
  x->mem = vm_memory_new(x->store, (vm_limits){1, 4, true, false});
  x->inst.memory = x->mem;
  x->table =
      vm_table_new(x->store, (vm_tabletype){.elemtype = VM_FUNCREF, .limits = {4, 8, true, false}}, NULL);
  x->tables[0] = x->table;
  x->inst.tables = x->tables;
  x->globals[0] = vm_global_new(x->store, (vm_globaltype){.type = VM_I32, .mutable_ = true}, 0);
  x->inst.globals = x->globals;
  x->inst.data_dropped = x->dropped;
  x->inst.elem_dropped = x->dropped + 2;
  for (int i = 0; i < 8; i++)
    x->funcptrs[i] = &x->funcs[i];
  if (!x->store || !x->mem || !x->table || !x->globals[0]) {
    fprintf(stderr, "fixture: out of memory\n");
    exit(2);
  }
  return x;
}

static void fixture_free(fixture *x) {
  vm_store_free(x->store);
  free(x);
}

/* Define wasm function `i` from the assembled buffer. */
static void defn(fixture *x, int i, int type, uint32_t nlocals, uint32_t nslots) {
  vm_code *c = &x->codes[i];
  c->code = x->bufs[i].w;
  c->ncode = x->bufs[i].n;
  c->nparams = x->types[type].nparams;
  c->nresults = x->types[type].nresults;
  c->nlocals = nlocals;
  c->nslots = nslots;
  vm_ir_thread(c->code, c->ncode);
  x->funcs[i].type = &x->types[type];
  x->funcs[i].inst = &x->inst;
  x->funcs[i].code = c;
}

static void defhost(fixture *x, int i, int type, vm_host_fn fn, void *user) {
  x->funcs[i].host_type = x->types[type];
  x->funcs[i].type = &x->funcs[i].host_type;
  x->funcs[i].host = fn;
  x->funcs[i].host_data = user;
  x->funcs[i].code = NULL;
  x->funcs[i].inst = NULL;
}

/* Run function i with up to 2 arguments; returns the result code. */
static vm_result run(fixture *x, int i, uint64_t a0, uint64_t a1, uint64_t *r) {
  uint64_t *fp = x->store->exec.sp;
  vm_result res;
  fp[0] = a0;
  fp[1] = a1;
  res = vm_interp_run(x->store, &x->funcs[i], fp);
  if (r) *r = fp[0];
  return res;
}

#define OP(name) VM_OP_##name

/* ---- tests ------------------------------------------------------------------- */

/* fib(n) = n < 2 ? n : fib(n-1) + fib(n-2), recursive. */
static void asm_fib(asm_buf *a, vm_word self) {
  E(a, OP(CONST32), 1, 2);
  E(a, OP(I32_LT_U), 1, 0, 1);
  E(a, OP(BR_UNLESS), 1, 11);
  E(a, OP(RETURN));
  E(a, OP(CONST32), 1, 1); /* 11 */
  E(a, OP(I32_SUB), 2, 0, 1);
  E(a, OP(CALL), self, 2);
  E(a, OP(CONST32), 3, 2);
  E(a, OP(I32_SUB), 3, 0, 3);
  E(a, OP(CALL), self, 3);
  E(a, OP(I32_ADD), 0, 2, 3);
  E(a, OP(RETURN));
}

TEST_IMPL(fib) {
  fixture *x = fixture_new(1 << 16, 1000);
  uint64_t r = 0;
  asm_fib(&x->bufs[0], 0);
  defn(x, 0, TY_I32_I32, 1, 4);
  CHECK(run(x, 0, 20, 0, &r) == VM_OK);
  CHECK((uint32_t)r == 6765);
  CHECK(x->store->exec.depth == 0);
  CHECK(x->store->exec.sp == x->store->exec.stack);
  fixture_free(x);
}

/* sum(n): i64 acc += n while --n != 0; exercises a back-edge and zeroed locals. */
TEST_IMPL(loop) {
  fixture *x = fixture_new(1 << 10, 10);
  asm_buf *a = &x->bufs[0];
  uint64_t r = 0;
  E(a, OP(I32_EQZ), 2, 0);
  E(a, OP(BR_IF), 2, 23);
  E(a, OP(I64_EXTEND_I32_U), 2, 0); /* 6 */
  E(a, OP(I64_ADD), 1, 1, 2);
  E(a, OP(CONST32), 2, 1);
  E(a, OP(I32_SUB), 0, 0, 2);
  E(a, OP(BR_IF), 0, 6);
  E(a, OP(MOV), 0, 1); /* 23 */
  E(a, OP(RETURN));
  defn(x, 0, TY_I32_I32, 2, 3);
  x->store->exec.stack[1] = 12345; /* garbage in the local: must be zeroed */
  CHECK(run(x, 0, 100000, 0, &r) == VM_OK);
  CHECK(r == 5000050000ull);
  CHECK(run(x, 0, 0, 0, &r) == VM_OK);
  CHECK(r == 0);
  fixture_free(x);
}

/* br_table: f(i) = [10, 20, 30][min(i, 2)] */
TEST_IMPL(br_table) {
  fixture *x = fixture_new(1 << 10, 10);
  asm_buf *a = &x->bufs[0];
  uint64_t r = 0;
  E(a, OP(BR_TABLE), 0, 2, 6, 10, 14); /* 0..5 */
  E(a, OP(CONST32), 0, 10);            /* 6 */
  E(a, OP(RETURN));
  E(a, OP(CONST32), 0, 20); /* 10 */
  E(a, OP(RETURN));
  E(a, OP(CONST32), 0, 30); /* 14 */
  E(a, OP(RETURN));
  defn(x, 0, TY_I32_I32, 1, 1);
  CHECK(run(x, 0, 0, 0, &r) == VM_OK && r == 10);
  CHECK(run(x, 0, 1, 0, &r) == VM_OK && r == 20);
  CHECK(run(x, 0, 2, 0, &r) == VM_OK && r == 30);
  CHECK(run(x, 0, 0xFFFFFFFFu, 0, &r) == VM_OK && r == 30);
  fixture_free(x);
}

/* store(addr, v) then load back with several widths; out of bounds traps. */
TEST_IMPL(memory) {
  fixture *x = fixture_new(1 << 10, 10);
  asm_buf *a = &x->bufs[0];
  uint64_t r = 0;
  /* f(addr, v): store32 [addr+1] = v; return load8_s [addr+1] + load16_u [addr+3] */
  E(a, OP(I32_STORE), 0, 1, 1);
  E(a, OP(I32_LOAD8_S), 2, 0, 1);
  E(a, OP(I32_LOAD16_U), 3, 0, 3);
  E(a, OP(I32_ADD), 0, 2, 3);
  E(a, OP(RETURN));
  defn(x, 0, TY_I32I32_I32, 2, 4);
  CHECK(run(x, 0, 100, 0xABCD12F0u, &r) == VM_OK);
  CHECK((uint32_t)r == (uint32_t)(-16 + 0xABCD));
  CHECK(memcmp(x->mem->data + 101, "\xF0\x12\xCD\xAB", 4) == 0);
  /* last valid address for a 4-byte store: 65532 - 1 (offset 1) */
  CHECK(run(x, 0, 65531, 7, &r) == VM_OK);
  CHECK(run(x, 0, 65532, 7, &r) == VM_ERR_TRAP);
  CHECK(strcmp(x->store->error.message, "out of bounds memory access") == 0);
  CHECK(x->store->exec.depth == 0);
  /* address + offset must not wrap */
  CHECK(run(x, 0, 0xFFFFFFFFu, 7, &r) == VM_ERR_TRAP);
  fixture_free(x);
}

/* memory.grow / size / fill / copy */
TEST_IMPL(memory_ops) {
  fixture *x = fixture_new(1 << 10, 10);
  asm_buf *a = &x->bufs[0];
  uint64_t r = 0;
  /* f(delta): old = grow(delta); store64 at (size*64K - 8) = -1; return old */
  E(a, OP(MEMORY_GROW), 1, 0);
  E(a, OP(MEMORY_SIZE), 2);
  E(a, OP(CONST32), 3, 16);
  E(a, OP(I32_SHL), 2, 2, 3);
  E(a, OP(CONST64), 3, 0xFFFFFFFFu, 0xFFFFFFFFu);
  E(a, OP(I64_STORE), 2, 3, 0xFFFFFFF8u); /* ea = size + 2^32 - 8: out of range */
  E(a, OP(MOV), 0, 1);
  E(a, OP(RETURN));
  defn(x, 0, TY_I32_I32, 1, 4);
  CHECK(run(x, 0, 1, 0, &r) == VM_ERR_TRAP); /* offset makes it OOB even after grow */
  CHECK(x->mem->pages == 2);

  asm_buf *b = &x->bufs[1];
  /* g(delta): old = grow(delta); addr = size*64K - 8; store64 [addr] = -1; return old */
  E(b, OP(MEMORY_GROW), 1, 0);
  E(b, OP(MEMORY_SIZE), 2);
  E(b, OP(CONST32), 3, 16);
  E(b, OP(I32_SHL), 2, 2, 3);
  E(b, OP(CONST32), 3, 8);
  E(b, OP(I32_SUB), 2, 2, 3);
  E(b, OP(CONST64), 3, 0xFFFFFFFFu, 0xFFFFFFFFu);
  E(b, OP(I64_STORE), 2, 3, 0);
  E(b, OP(MOV), 0, 1);
  E(b, OP(RETURN));
  defn(x, 1, TY_I32_I32, 1, 4);
  CHECK(run(x, 1, 1, 0, &r) == VM_OK && r == 2);
  CHECK(x->mem->pages == 3 && x->mem->data[3 * VM_PAGE_SIZE - 1] == 0xFF);
  CHECK(run(x, 1, 5, 0, &r) == VM_OK && (uint32_t)r == 0xFFFFFFFFu);

  asm_buf *c = &x->bufs[2];
  /* h(d, n): fill [d, d+n) with 0x5A; copy [d, d+n) -> [d+1, ...); */
  E(c, OP(CONST32), 2, 0x15A);
  E(c, OP(MEMORY_FILL), 0, 2, 1);
  E(c, OP(CONST32), 2, 1);
  E(c, OP(I32_ADD), 2, 0, 2);
  E(c, OP(MEMORY_COPY), 2, 0, 1);
  E(c, OP(CONST32), 0, 1);
  E(c, OP(RETURN));
  defn(x, 2, TY_I32I32_I32, 2, 3);
  CHECK(run(x, 2, 10, 3, &r) == VM_OK);
  CHECK(memcmp(x->mem->data + 9, "\0\x5A\x5A\x5A\x5A\0", 6) == 0);
  /* n = 0 at the exact end is fine, one past it traps; a trap writes nothing */
  CHECK(run(x, 2, 3 * VM_PAGE_SIZE - 1, 0, &r) == VM_OK);
  CHECK(run(x, 2, 3 * VM_PAGE_SIZE, 0, &r) == VM_ERR_TRAP);
  CHECK(run(x, 2, 3 * VM_PAGE_SIZE - 2, 3, &r) == VM_ERR_TRAP);
  CHECK(x->mem->data[3 * VM_PAGE_SIZE - 2] == 0xFF);
  fixture_free(x);
}

TEST_IMPL(traps) {
  fixture *x = fixture_new(1 << 12, 100);
  uint64_t r = 0;
  asm_buf *a = &x->bufs[0];
  E(a, OP(I32_DIV_S), 0, 0, 1);
  E(a, OP(RETURN));
  defn(x, 0, TY_I32I32_I32, 2, 2);
  CHECK(run(x, 0, (uint32_t)-7, 2, &r) == VM_OK && (uint32_t)r == (uint32_t)-3);
  CHECK(run(x, 0, 7, 0, &r) == VM_ERR_TRAP);
  CHECK(strcmp(x->store->error.message, "integer divide by zero") == 0);
  CHECK(run(x, 0, 0x80000000u, 0xFFFFFFFFu, &r) == VM_ERR_TRAP);
  CHECK(strcmp(x->store->error.message, "integer overflow") == 0);

  asm_buf *b = &x->bufs[1];
  E(b, OP(UNREACHABLE));
  defn(x, 1, TY_NONE, 0, 0);
  CHECK(run(x, 1, 0, 0, &r) == VM_ERR_TRAP);
  CHECK(strcmp(x->store->error.message, "unreachable") == 0);

  /* infinite recursion: depth limit (100 frames) */
  asm_buf *c = &x->bufs[2];
  E(c, OP(CALL), 2, 1);
  E(c, OP(RETURN));
  defn(x, 2, TY_I32_I32, 1, 2);
  CHECK(run(x, 2, 0, 0, &r) == VM_ERR_TRAP);
  CHECK(strcmp(x->store->error.message, "call stack exhausted") == 0);
  CHECK(x->store->exec.depth == 0);

  /* big frames: the value stack (4096 slots) runs out first */
  x->codes[2].nslots = 1000;
  CHECK(run(x, 2, 0, 0, &r) == VM_ERR_TRAP);
  CHECK(strcmp(x->store->error.message, "call stack exhausted") == 0);

  /* trap in a callee unwinds; the next call works */
  asm_buf *d = &x->bufs[3];
  E(d, OP(CALL), 0, 0);
  E(d, OP(RETURN));
  defn(x, 3, TY_I32I32_I32, 2, 2);
  CHECK(run(x, 3, 1, 0, &r) == VM_ERR_TRAP && x->store->exec.depth == 0);
  CHECK(run(x, 3, 9, 3, &r) == VM_OK && r == 3);
  fixture_free(x);
}

/* call_indirect through table 0: f(i, v) = table[i](v) with type i32->i32 */
static vm_result host_double(vm_store *s, vm_instance *caller, void *user, uint64_t *ar) {
  (void)s, (void)caller, (void)user;
  ar[0] = (uint32_t)ar[0] * 2;
  return VM_OK;
}

TEST_IMPL(call_indirect) {
  fixture *x = fixture_new(1 << 12, 100);
  uint64_t r = 0;
  asm_buf *a = &x->bufs[0];
  E(a, OP(MOV), 2, 1);
  E(a, OP(CALL_INDIRECT), TY_I32_I32, 0, 2, 0);
  E(a, OP(MOV), 0, 2);
  E(a, OP(RETURN));
  defn(x, 0, TY_I32I32_I32, 2, 3);
  asm_fib(&x->bufs[1], 1);
  defn(x, 1, TY_I32_I32, 1, 4);
  E(&x->bufs[2], OP(RETURN));
  defn(x, 2, TY_I32I32_I32, 2, 2);
  defhost(x, 3, TY_I32_I32, host_double, NULL);
  x->table->elems[0] = &x->funcs[1];
  x->table->elems[1] = &x->funcs[2];
  x->table->elems[2] = &x->funcs[3];
  x->table->elems[3] = NULL;
  CHECK(run(x, 0, 0, 10, &r) == VM_OK && r == 55);
  CHECK(run(x, 0, 2, 21, &r) == VM_OK && r == 42);
  CHECK(run(x, 0, 1, 0, &r) == VM_ERR_TRAP);
  CHECK(strcmp(x->store->error.message, "indirect call type mismatch") == 0);
  CHECK(run(x, 0, 3, 0, &r) == VM_ERR_TRAP);
  CHECK(strcmp(x->store->error.message, "uninitialized element 3") == 0);
  CHECK(run(x, 0, 4, 0, &r) == VM_ERR_TRAP);
  CHECK(strcmp(x->store->error.message, "undefined element 4") == 0);
  /* an equal type at another index matches structurally */
  x->types[TY_I64_I64] = x->types[TY_I32_I32];
  x->bufs[0].w[4] = TY_I64_I64;
  CHECK(run(x, 0, 0, 10, &r) == VM_OK && r == 55);
  fixture_free(x);
}

/* Host calls: a failing host keeps its message; a host re-entering the
 * interpreter runs above the live frames. */
static fixture *g_fx;

static vm_result host_fail(vm_store *s, vm_instance *caller, void *user, uint64_t *ar) {
  (void)caller, (void)user, (void)ar;
  return vm_store_trap_msg(s, "host says no");
}

static vm_result host_reenter(vm_store *s, vm_instance *caller, void *user, uint64_t *ar) {
  vm_func *fib = user;
  uint64_t *fp = s->exec.sp;
  vm_result r;
  (void)caller;
  if (fp < ar + 1) return vm_store_trap_msg(s, "sp below args");
  fp[0] = ar[0];
  r = vm_interp_run(s, fib, fp);
  if (r != VM_OK) return r;
  ar[0] = fp[0] + 1000;
  return VM_OK;
}

/* Re-enters a trapping function, checks the nested run unwound exactly to
 * where it started, and carries on. */
static vm_result host_swallow_trap(vm_store *s, vm_instance *caller, void *user, uint64_t *ar) {
  uint32_t depth = s->exec.depth;
  uint64_t *fp = s->exec.sp;
  (void)caller;
  if (vm_interp_run(s, user, fp) != VM_ERR_TRAP) return vm_store_trap_msg(s, "expected a trap");
  if (s->exec.depth != depth) return vm_store_trap_msg(s, "depth not restored");
  ar[0] = 7;
  return VM_OK;
}

TEST_IMPL(host) {
  fixture *x = fixture_new(1 << 12, 100);
  uint64_t r = 0;
  g_fx = x;
  asm_fib(&x->bufs[1], 1);
  defn(x, 1, TY_I32_I32, 1, 4);
  defhost(x, 2, TY_I32_I32, host_reenter, &x->funcs[1]);
  defhost(x, 3, TY_I32_I32, host_fail, NULL);
  /* f(n) = host_reenter(n) + n, with a live value in slot 1 across the call */
  asm_buf *a = &x->bufs[0];
  E(a, OP(MOV), 1, 0);
  E(a, OP(MOV), 2, 0);
  E(a, OP(CALL), 2, 2);
  E(a, OP(I32_ADD), 0, 1, 2);
  E(a, OP(RETURN));
  defn(x, 0, TY_I32_I32, 1, 3);
  CHECK(run(x, 0, 10, 0, &r) == VM_OK && r == 55 + 1000 + 10);
  CHECK(x->store->exec.depth == 0 && x->store->exec.sp == x->store->exec.stack);
  x->bufs[0].w[7] = 3;
  CHECK(run(x, 0, 10, 0, &r) == VM_ERR_TRAP);
  CHECK(strcmp(x->store->error.message, "host says no") == 0);
  CHECK(x->store->exec.depth == 0 && x->store->exec.sp == x->store->exec.stack);

  E(&x->bufs[5], OP(UNREACHABLE));
  defn(x, 5, TY_NONE, 0, 0);
  defhost(x, 4, TY_I32_I32, host_swallow_trap, &x->funcs[5]);
  x->bufs[0].w[7] = 4;
  CHECK(run(x, 0, 10, 0, &r) == VM_OK && r == 17);
  CHECK(x->store->exec.depth == 0 && x->store->exec.sp == x->store->exec.stack);
  /* the same under one more wasm frame */
  E(&x->bufs[6], OP(CALL), 0, 0);
  E(&x->bufs[6], OP(RETURN));
  defn(x, 6, TY_I32_I32, 1, 3);
  CHECK(run(x, 6, 5, 0, &r) == VM_OK && r == 12);
  CHECK(x->store->exec.depth == 0);
  fixture_free(x);
}

/* globals, select, tables, refs */
TEST_IMPL(misc) {
  fixture *x = fixture_new(1 << 10, 10);
  uint64_t r = 0;
  asm_buf *a = &x->bufs[0];
  /* f(a, b): g += a; return select(a, b, a < b) ... */
  E(a, OP(GLOBAL_GET), 2, 0);
  E(a, OP(I32_ADD), 2, 2, 0);
  E(a, OP(GLOBAL_SET), 2, 0);
  E(a, OP(I32_LT_S), 2, 0, 1);
  E(a, OP(SELECT), 0, 0, 1, 2);
  E(a, OP(RETURN));
  defn(x, 0, TY_I32I32_I32, 2, 3);
  CHECK(run(x, 0, (uint32_t)-5, 3, &r) == VM_OK && (uint32_t)r == (uint32_t)-5);
  CHECK(run(x, 0, 7, 3, &r) == VM_OK && r == 3);
  CHECK((uint32_t)x->globals[0]->value == 2);

  /* table ops: g(i) = table.set(i, ref.func 0); table.get(i) == ref.func 0; plus size and grow */
  asm_buf *b = &x->bufs[1];
  E(b, OP(REF_FUNC), 1, 0);
  E(b, OP(TABLE_SET), 0, 1, 0);
  E(b, OP(TABLE_GET), 2, 0, 0);
  E(b, OP(REF_IS_NULL), 2, 2);
  E(b, OP(TABLE_SIZE), 3, 0);
  E(b, OP(I32_ADD), 0, 2, 3);
  E(b, OP(RETURN));
  defn(x, 1, TY_I32_I32, 1, 4);
  CHECK(run(x, 1, 3, 0, &r) == VM_OK && r == 4 && x->table->elems[3] == &x->funcs[0]);
  CHECK(run(x, 1, 4, 0, &r) == VM_ERR_TRAP);
  CHECK(strcmp(x->store->error.message, "out of bounds table access") == 0);

  asm_buf *c = &x->bufs[2];
  /* h(n) = table.grow(null, n); table.fill(0, ref.func 1, size) ; copy 0..2 -> 1 */
  E(c, OP(REF_NULL), 1);
  E(c, OP(TABLE_GROW), 0, 1, 0, 0);
  E(c, OP(CONST32), 1, 0);
  E(c, OP(REF_FUNC), 2, 1);
  E(c, OP(TABLE_SIZE), 3, 0);
  E(c, OP(TABLE_FILL), 1, 2, 3, 0);
  E(c, OP(RETURN));
  defn(x, 2, TY_I32_I32, 1, 4);
  CHECK(run(x, 2, 2, 0, &r) == VM_OK && r == 4 && x->table->size == 6 && x->table->elems[5] == &x->funcs[1]);
  CHECK(run(x, 2, 3, 0, &r) == VM_OK && (uint32_t)r == 0xFFFFFFFFu);
  fixture_free(x);
}

TEST_LIST_BEGIN
TEST_ENTRY(fib)
TEST_ENTRY(loop)
TEST_ENTRY(br_table)
TEST_ENTRY(memory)
TEST_ENTRY(memory_ops)
TEST_ENTRY(traps)
TEST_ENTRY(call_indirect)
TEST_ENTRY(host)
TEST_ENTRY(misc)
TEST_LIST_END

int main(int argc, char **argv) {
  return test_main(argc, argv, "interp.ir", test_cases, NULL, NULL);
}
