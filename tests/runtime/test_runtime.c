/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_runtime.c - tests of the engine's runtime (store.c, memory.c, table.c,
 * instance.c) on real modules: linking and its type checks, the Wasm 2.0
 * instantiation order (element segments, data segments, start) and what a
 * trap part-way leaves behind, segment drops, memory and table growth and
 * their caps, host functions, and host functions that re-enter vm_invoke.
 * Cases (test.h): test_runtime [--dir DIR] [CASE...], DIR holding the .wasm files built from the
 * .wat files here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/exn.h"
#include "vm/runtime.h"
#include "vm/store.h"
#include "test.h"

/* Modules must outlive the stores that instantiate them: all are freed at exit. */
static vm_module *modules[64];
static int nmodules;

static vm_module *load_tier(const char *name, uint8_t tier);
static vm_module *load(const char *name) {
  return load_tier(name, VM_TIER_AUTO);
}
/* The module DIR/name.wasm, its functions run by `tier` (VM_TIER_*). */
static vm_module *load_tier(const char *name, uint8_t tier) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.wasm", test_dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  static uint8_t buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  vm_error err;
  vm_config cfg;
  vm_config_default(&cfg);
  cfg.tier = tier;
  vm_module *m = vm_module_load(buf, n, &cfg, &err);
  if (!m) {
    char msg[512];
    vm_error_format(&err, msg, sizeof msg);
    fprintf(stderr, "%s: %s\n", path, msg);
    exit(2);
  }
  if (nmodules < 64) modules[nmodules++] = m;
  return m;
}

static vm_func *export_func(vm_instance *inst, const char *name) {
  vm_extern e;
  if (!vm_instance_export(inst, name, strlen(name), &e) || e.kind != VM_EXTERN_FUNC) {
    fprintf(stderr, "no exported function %s\n", name);
    exit(2);
  }
  return e.u.func;
}

/* Call an export with up to three i32 arguments; the result (if any) in *out. */
static vm_result call3(vm_store *s, vm_instance *inst, const char *name, uint32_t a, uint32_t b, uint32_t c,
                       uint32_t *out) {
  uint64_t slots[3] = {a, b, c};
  vm_result r = vm_invoke(s, export_func(inst, name), slots);
  if (out) *out = (uint32_t)slots[0];
  return r;
}

static uint32_t call1(vm_store *s, vm_instance *inst, const char *name, uint32_t a) {
  uint32_t out = 0xDEADBEEF;
  vm_result r = call3(s, inst, name, a, 0, 0, &out);
  if (r != VM_OK) fprintf(stderr, "%s(%u): %s\n", name, a, vm_store_error(s)->message);
  return out;
}

static const uint8_t sig_ii_i[] = {VM_I32, VM_I32, VM_I32};
static const uint8_t sig_i_i[] = {VM_I32, VM_I32};

static vm_result host_add(vm_store *s, vm_instance *caller, void *user, uint64_t *ar) {
  ar[0] = (uint32_t)((uint32_t)ar[0] + (uint32_t)ar[1]);
  return VM_OK;
}

/* ---- linking ------------------------------------------------------------------ */

TEST_IMPL(link) {
  vm_module *m = load("link");
  vm_store *s = vm_store_new(NULL);
  vm_functype ii_i = {.nparams = 2, .nresults = 1, .types = sig_ii_i},
              i_i = {.nparams = 1, .nresults = 1, .types = sig_i_i};
  vm_func *add = vm_func_new_host(s, &ii_i, host_add, NULL);
  vm_func *wrong = vm_func_new_host(s, &i_i, host_add, NULL);
  vm_global *base = vm_global_new(s, (vm_globaltype){.type = VM_I32, .mutable_ = false}, 100);
  vm_global *base_mut = vm_global_new(s, (vm_globaltype){.type = VM_I32, .mutable_ = true}, 100);
  vm_global *base_i64 = vm_global_new(s, (vm_globaltype){.type = VM_I64, .mutable_ = false}, 100);
  vm_memory *mem = vm_memory_new(s, (vm_limits){1, 0, false, false});
  vm_memory *mem0 = vm_memory_new(s, (vm_limits){0, 5, true, false});
  vm_table *tab =
      vm_table_new(s, (vm_tabletype){.elemtype = VM_FUNCREF, .limits = {2, 0, false, false}}, NULL);
  vm_table *tab_ext =
      vm_table_new(s, (vm_tabletype){.elemtype = VM_EXTERNREF, .limits = {2, 0, false, false}}, NULL);
  vm_table *tab1 =
      vm_table_new(s, (vm_tabletype){.elemtype = VM_FUNCREF, .limits = {1, 0, false, false}}, NULL);
  CHECK(add && wrong && base && base_mut && base_i64 && mem && mem0 && tab && tab_ext && tab1);
  CHECK(vm_module_num_imports(m) == 4);

  vm_extern im[4] = {{VM_EXTERN_FUNC, {.func = add}},
                     {VM_EXTERN_GLOBAL, {.global = base}},
                     {VM_EXTERN_MEMORY, {.memory = mem}},
                     {VM_EXTERN_TABLE, {.table = tab}}};
  vm_error err;
  CHECK(vm_instantiate(s, m, im, 3, &err) == NULL && err.result == VM_ERR_ARG);

  /* One wrong import at a time: each is "incompatible import type". */
  struct {
    int slot;
    vm_extern ext;
  } bad[] = {
      {0, {VM_EXTERN_FUNC, {.func = wrong}}},        {0, {VM_EXTERN_GLOBAL, {.global = base}}},
      {1, {VM_EXTERN_GLOBAL, {.global = base_mut}}}, {1, {VM_EXTERN_GLOBAL, {.global = base_i64}}},
      {2, {VM_EXTERN_MEMORY, {.memory = mem0}}},     {3, {VM_EXTERN_TABLE, {.table = tab_ext}}},
      {3, {VM_EXTERN_TABLE, {.table = tab1}}},       {3, {VM_EXTERN_MEMORY, {.memory = mem}}},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    vm_extern saved = im[bad[i].slot];
    im[bad[i].slot] = bad[i].ext;
    CHECK(vm_instantiate(s, m, im, 4, &err) == NULL);
    CHECK(err.result == VM_ERR_LINK);
    CHECK_STR(err.message, "incompatible import type");
    CHECK(vm_store_error(s)->result == VM_ERR_LINK);
    im[bad[i].slot] = saved;
  }
  /* A table or memory that grew to the required size now matches (current size counts). */
  CHECK(vm_table_grow(tab1, 1, NULL) == 1);
  CHECK(vm_memory_grow(mem0, 1) == 0);
  im[2].u.memory = mem0;
  im[3].u.table = tab1;

  vm_instance *inst = vm_instantiate(s, m, im, 4, &err);
  CHECK(inst != NULL);
  if (!inst) {
    fprintf(stderr, "instantiate: %s\n", err.message);
    vm_store_free(s);
    return;
  }
  CHECK(vm_instance_module(inst) == m);
  CHECK(vm_instance_memory(inst) == mem0);
  CHECK(memcmp(vm_memory_data(mem0) + 100, "linked", 6) == 0);
  vm_extern e;
  CHECK(vm_instance_export(inst, "copy", 4, &e) && e.kind == VM_EXTERN_GLOBAL &&
        vm_global_get(e.u.global) == 100);
  CHECK(vm_instance_export(inst, "counter", 7, &e) && vm_global_get(e.u.global) == 1);
  CHECK(vm_global_type(e.u.global).mutable_ && vm_global_type(e.u.global).type == VM_I32);
  vm_func *seven = export_func(inst, "seven");
  CHECK(vm_instance_export(inst, "fref", 4, &e) && (vm_func *)(uintptr_t)vm_global_get(e.u.global) == seven);
  CHECK(vm_instance_export(inst, "tab", 3, &e) && e.kind == VM_EXTERN_TABLE && e.u.table == tab1);
  CHECK(tab1->elems[1] == seven && tab1->elems[0] == NULL);
  CHECK(vm_instance_export(inst, "mem", 3, &e) && e.kind == VM_EXTERN_MEMORY && e.u.memory == mem0);
  CHECK(!vm_instance_export(inst, "me", 2, &e) && !vm_instance_export(inst, "memo", 4, &e));
  CHECK(!vm_instance_export(inst, "", 0, &e));

  uint32_t r = 0;
  CHECK(call3(s, inst, "sum", 40, 2, 0, &r) == VM_OK && r == 42);
  CHECK(call1(s, inst, "call_slot", 1) == 7);
  CHECK(call3(s, inst, "call_slot", 0, 0, 0, &r) == VM_ERR_TRAP);
  CHECK_STR(vm_store_error(s)->message, "uninitialized element 0");
  CHECK(call3(s, inst, "call_slot", 2, 0, 0, &r) == VM_ERR_TRAP);
  CHECK_STR(vm_store_error(s)->message, "undefined element 2");
  CHECK(call1(s, inst, "load8", 101) == 'i');
  /* Host and wasm functions are called the same way. */
  uint64_t ar[2] = {5, 6};
  CHECK(vm_invoke(s, add, ar) == VM_OK && ar[0] == 11);
  CHECK(vm_func_type(add)->nparams == 2 && vm_functype_equal(vm_func_type(add), &ii_i));
  CHECK(
      vm_functype_equal(vm_func_type(seven), &(vm_functype){.nparams = 0, .nresults = 1, .types = sig_i_i}));

  /* A second instance of the same module shares the imported objects. */
  vm_global_set(base, 200);
  vm_instance *inst2 = vm_instantiate(s, m, im, 4, &err);
  CHECK(inst2 != NULL && memcmp(vm_memory_data(mem0) + 200, "linked", 6) == 0);
  CHECK(inst2 && tab1->elems[1] == export_func(inst2, "seven") && tab1->elems[1] != seven);
  vm_store_free(s);
}

/* ---- instantiation failures ----------------------------------------------------- */

TEST_IMPL(partial) {
  vm_module *m = load("partial");
  vm_store *s = vm_store_new(NULL);
  vm_table *tab =
      vm_table_new(s, (vm_tabletype){.elemtype = VM_FUNCREF, .limits = {3, 0, false, false}}, NULL);
  vm_memory *mem = vm_memory_new(s, (vm_limits){1, 0, false, false});
  vm_extern im[2] = {{VM_EXTERN_TABLE, {.table = tab}}, {VM_EXTERN_MEMORY, {.memory = mem}}};
  vm_error err;
  CHECK(vm_instantiate(s, m, im, 2, &err) == NULL);
  CHECK(err.result == VM_ERR_TRAP && err.trap == VM_TRAP_TABLE_OOB);
  CHECK_STR(err.message, "out of bounds table access");
  CHECK_STR(vm_store_error(s)->message, "out of bounds table access");
  CHECK(tab->elems[0] != NULL && tab->elems[1] == NULL && tab->elems[2] == NULL);
  CHECK(vm_memory_data(mem)[0] == 0);
  /* The function written by the failed instance stays callable. */
  uint64_t slot = 0;
  CHECK(vm_invoke(s, (vm_func *)tab->elems[0], &slot) == VM_OK);
  vm_store_free(s);

  m = load("start_trap");
  s = vm_store_new(NULL);
  mem = vm_memory_new(s, (vm_limits){1, 0, false, false});
  im[0] = (vm_extern){VM_EXTERN_MEMORY, {.memory = mem}};
  CHECK(vm_instantiate(s, m, im, 1, &err) == NULL);
  CHECK(err.result == VM_ERR_TRAP && err.trap == VM_TRAP_UNREACHABLE);
  CHECK_STR(err.message, "unreachable");
  CHECK(memcmp(vm_memory_data(mem) + 8, "kept", 4) == 0);
  vm_store_free(s);

  m = load("data_oob");
  s = vm_store_new(NULL);
  CHECK(vm_instantiate(s, m, NULL, 0, &err) == NULL);
  CHECK_STR(err.message, "out of bounds memory access");
  vm_store_free(s);

  /* Memory above the configured cap is refused at instantiation. */
  m = load("big");
  vm_config cfg;
  vm_config_default(&cfg);
  cfg.max_memory_pages = 1;
  s = vm_store_new(&cfg);
  CHECK(vm_instantiate(s, m, NULL, 0, &err) == NULL && err.result == VM_ERR_LIMIT);
  cfg.max_memory_pages = 2;
  vm_store_free(s);
  s = vm_store_new(&cfg);
  vm_instance *inst = vm_instantiate(s, m, NULL, 0, &err);
  CHECK(inst && vm_memory_size(vm_instance_memory(inst)) == 2 * VM_PAGE_SIZE);
  CHECK(inst && vm_memory_grow(vm_instance_memory(inst), 1) == UINT32_MAX);
  vm_store_free(s);
}

/* ---- memory ------------------------------------------------------------------------ */

TEST_IMPL(grow) {
  vm_module *m = load("grow");
  vm_store *s = vm_store_new(NULL);
  vm_error err;
  vm_instance *inst = vm_instantiate(s, m, NULL, 0, &err);
  CHECK(inst != NULL);
  if (!inst) return;
  vm_memory *mem = vm_instance_memory(inst);
  uint8_t *base = vm_memory_data(mem);
  CHECK(call1(s, inst, "load", 1) == 'b');
  CHECK(call1(s, inst, "size", 0) == 1);
  CHECK(call3(s, inst, "load", 65536, 0, 0, NULL) == VM_ERR_TRAP);
  CHECK_STR(vm_store_error(s)->message, "out of bounds memory access");
  CHECK(call1(s, inst, "grow", 2) == 1);
  CHECK(vm_memory_data(mem) == base && vm_memory_size(mem) == 3 * VM_PAGE_SIZE);
  CHECK(call1(s, inst, "load", 3 * 65536 - 1) == 0);
  CHECK(call3(s, inst, "store", 3 * 65536 - 1, 77, 0, NULL) == VM_OK && base[3 * 65536 - 1] == 77);
  CHECK(call1(s, inst, "grow", 2) == UINT32_MAX);
  CHECK(call1(s, inst, "grow", 0xFFFFFFFF) == UINT32_MAX);
  CHECK(call1(s, inst, "grow", 1) == 3);
  CHECK(call1(s, inst, "grow", 0) == 4);
  CHECK(call1(s, inst, "grow", 1) == UINT32_MAX);
  CHECK(vm_memory_check(mem, 4 * 65536, 0) && !vm_memory_check(mem, 4 * 65536, 1));
  CHECK(!vm_memory_check(mem, UINT64_MAX, 1) && !vm_memory_check(mem, 1, UINT64_MAX));
  vm_store_free(s);

  /* A memory with max 0 exists, has a base, and cannot grow. */
  s = vm_store_new(NULL);
  vm_memory *z = vm_memory_new(s, (vm_limits){0, 0, true, false});
  CHECK(z && vm_memory_data(z) != NULL && vm_memory_size(z) == 0);
  CHECK(z && vm_memory_grow(z, 0) == 0 && vm_memory_grow(z, 1) == UINT32_MAX);
  vm_memory *full = vm_memory_new(s, (vm_limits){0, 0, false, false});
  /* 65536 pages of address space, or less where the address space is limited. */
  CHECK(full && full->cap_pages > 0 && full->cap_pages <= 65536);
  vm_store_free(s);
}

/* ---- segments and tables -------------------------------------------------------------- */

TEST_IMPL(segments) {
  vm_module *m = load("segments");
  vm_store *s = vm_store_new(NULL);
  vm_error err;
  vm_instance *inst = vm_instantiate(s, m, NULL, 0, &err);
  CHECK(inst != NULL);
  if (!inst) return;
  uint8_t *mem = vm_memory_data(vm_instance_memory(inst));
  CHECK(memcmp(mem + 16, "active", 6) == 0);
  CHECK(call1(s, inst, "call", 0) == 1);
  /* Active segments were dropped by instantiation: only empty inits succeed. */
  CHECK(call3(s, inst, "minit_active", 0, 0, 1, NULL) == VM_ERR_TRAP);
  CHECK_STR(vm_store_error(s)->message, "out of bounds memory access");
  CHECK(call3(s, inst, "minit_active", 0, 0, 0, NULL) == VM_OK);
  CHECK(call3(s, inst, "tinit_active", 0, 0, 1, NULL) == VM_ERR_TRAP);
  CHECK_STR(vm_store_error(s)->message, "out of bounds table access");
  CHECK(call3(s, inst, "tinit_declared", 0, 0, 1, NULL) == VM_ERR_TRAP);
  CHECK(call3(s, inst, "tinit_declared", 4, 0, 0, NULL) == VM_OK);
  CHECK(call3(s, inst, "tinit_declared", 5, 0, 0, NULL) == VM_ERR_TRAP);
  /* Passive data: bounds are checked before any byte is written. */
  CHECK(call3(s, inst, "minit", 100, 1, 6, NULL) == VM_OK && memcmp(mem + 100, "assive", 6) == 0);
  CHECK(call3(s, inst, "minit", 200, 1, 7, NULL) == VM_ERR_TRAP && mem[200] == 0);
  CHECK(call3(s, inst, "minit", 65535, 0, 2, NULL) == VM_ERR_TRAP && mem[65535] == 0);
  CHECK(call3(s, inst, "minit", 65536, 7, 0, NULL) == VM_OK);
  CHECK(call3(s, inst, "minit", 65537, 0, 0, NULL) == VM_ERR_TRAP);
  CHECK(call3(s, inst, "ddrop", 0, 0, 0, NULL) == VM_OK);
  CHECK(call3(s, inst, "minit", 0, 0, 1, NULL) == VM_ERR_TRAP);
  CHECK(call3(s, inst, "minit", 0, 0, 0, NULL) == VM_OK);
  /* Passive elements. */
  CHECK(call3(s, inst, "tinit", 2, 0, 2, NULL) == VM_OK);
  CHECK(call1(s, inst, "call", 2) == 2 && call1(s, inst, "call", 3) == 1);
  CHECK(call3(s, inst, "tinit", 3, 0, 2, NULL) == VM_ERR_TRAP);
  CHECK(call3(s, inst, "tinit", 1, 2, 0, NULL) == VM_OK);
  CHECK(call3(s, inst, "tinit", 1, 3, 0, NULL) == VM_ERR_TRAP);
  CHECK(call3(s, inst, "edrop", 0, 0, 0, NULL) == VM_OK);
  CHECK(call3(s, inst, "tinit", 0, 0, 1, NULL) == VM_ERR_TRAP);
  /* Table growth up to the configured cap. */
  CHECK(call1(s, inst, "grow_table", 6) == 4);
  CHECK(call3(s, inst, "call", 9, 0, 0, NULL) == VM_ERR_TRAP);
  CHECK_STR(vm_store_error(s)->message, "uninitialized element 9");
  vm_store_free(s);

  vm_config cfg;
  vm_config_default(&cfg);
  cfg.max_table_elems = 5;
  s = vm_store_new(&cfg);
  inst = vm_instantiate(s, m, NULL, 0, &err);
  CHECK(inst != NULL);
  if (inst) {
    CHECK(call1(s, inst, "grow_table", 2) == UINT32_MAX);
    CHECK(call1(s, inst, "grow_table", 1) == 4);
    CHECK(call1(s, inst, "grow_table", 1) == UINT32_MAX);
  }
  cfg.max_table_elems = 3;
  vm_store_free(s);
  s = vm_store_new(&cfg);
  CHECK(vm_instantiate(s, m, NULL, 0, &err) == NULL && err.result == VM_ERR_LIMIT);
  vm_store_free(s);
}

/* ---- host functions and re-entrancy ------------------------------------------------------ */

typedef struct reenter_ctx {
  vm_func *f;
  int calls;
  uint32_t fail_at; /* host traps with a message at this n */
  uint32_t boom_at; /* host calls the trapping export at this n */
  uint32_t grow_by; /* host grows memory by this many pages */
  vm_func *boom;
  vm_instance *seen_caller;
} reenter_ctx;

/* h(n) = n > 0 ? f(n-1) + 10 : 0, through a nested vm_invoke; f adds n. */
static vm_result host_h(vm_store *s, vm_instance *caller, void *user, uint64_t *ar) {
  reenter_ctx *c = user;
  uint32_t n = (uint32_t)ar[0];
  c->calls++;
  c->seen_caller = caller;
  if (c->grow_by) {
    vm_memory_grow(vm_instance_memory(caller), c->grow_by);
    ar[0] = 0;
    return VM_OK;
  }
  if (n == c->fail_at) return vm_store_trap_msg(s, "host refused %u", n);
  if (n == c->boom_at) {
    uint64_t slot = 0;
    return vm_invoke(s, c->boom, &slot);
  }
  uint64_t r = 0;
  if (n > 0) {
    uint64_t slot = n - 1;
    vm_result res = vm_invoke(s, c->f, &slot);
    if (res != VM_OK) return res;
    r = (uint32_t)slot + 10;
  }
  ar[0] = r;
  return VM_OK;
}

TEST_IMPL(reenter) {
  vm_module *m = load("reenter");
  vm_store *s = vm_store_new(NULL);
  reenter_ctx ctx = {.fail_at = UINT32_MAX, .boom_at = UINT32_MAX};
  vm_functype i_i = {.nparams = 1, .nresults = 1, .types = sig_i_i};
  vm_func *h = vm_func_new_host(s, &i_i, host_h, &ctx);
  vm_extern im[1] = {{VM_EXTERN_FUNC, {.func = h}}};
  vm_error err;
  vm_instance *inst = vm_instantiate(s, m, im, 1, &err);
  CHECK(inst != NULL);
  if (!inst) return;
  ctx.f = export_func(inst, "f");
  ctx.boom = export_func(inst, "boom");
  /* f(n) = h(n) + n, h(n) = f(n-1) + 10  =>  f(n) = n(n+1)/2 + 10n */
  CHECK(call1(s, inst, "f", 0) == 0);
  CHECK(call1(s, inst, "f", 1) == 11);
  CHECK(call1(s, inst, "f", 100) == 5050 + 1000);
  CHECK(ctx.seen_caller == inst);
  CHECK(s->exec.sp == s->exec.stack && s->exec.depth == 0 && s->exec.host_nesting == 0);
  /* Called directly by the embedder, a host function has no caller. */
  uint64_t slot = 3;
  CHECK(vm_invoke(s, h, &slot) == VM_OK && slot == 23 + 10);
  CHECK(ctx.seen_caller == inst); /* the innermost host call came from f */

  /* A host trap deep in the nesting reaches the outermost caller with its message. */
  ctx.fail_at = 5;
  CHECK(call3(s, inst, "f", 50, 0, 0, NULL) == VM_ERR_TRAP);
  CHECK(vm_store_error(s)->trap == VM_TRAP_HOST);
  CHECK_STR(vm_store_error(s)->message, "host refused 5");
  CHECK(s->exec.sp == s->exec.stack && s->exec.depth == 0 && s->exec.host_nesting == 0);
  ctx.fail_at = UINT32_MAX;
  /* So does a wasm trap in a nested call. */
  ctx.boom_at = 3;
  CHECK(call3(s, inst, "f", 10, 0, 0, NULL) == VM_ERR_TRAP);
  CHECK_STR(vm_store_error(s)->message, "unreachable");
  ctx.boom_at = UINT32_MAX;
  CHECK(call1(s, inst, "f", 2) == 3 + 20);
  CHECK(vm_store_error(s)->result == VM_OK);

  /* Unbounded re-entrancy is a trap, not a native stack overflow. */
  CHECK(call3(s, inst, "f", 1000000, 0, 0, NULL) == VM_ERR_TRAP);
  CHECK_STR(vm_store_error(s)->message, "call stack exhausted");
  CHECK(s->exec.sp == s->exec.stack && s->exec.depth == 0 && s->exec.host_nesting == 0);
  CHECK(call1(s, inst, "f", 10) == 55 + 100);

  /* A host that grows the caller's memory: the guest sees the new size. */
  ctx.grow_by = 2;
  CHECK(call1(s, inst, "size_after_host", 0) == 3);
  ctx.grow_by = 0;
  vm_store_free(s);
}

static vm_result host_fail_silently(vm_store *s, vm_instance *caller, void *user, uint64_t *ar) {
  return VM_ERR_TRAP; /* without recording a message */
}

TEST_IMPL(host_errors) {
  vm_store *s = vm_store_new(NULL);
  vm_functype v = {.nparams = 0, .nresults = 0, .types = NULL};
  vm_func *f = vm_func_new_host(s, &v, host_fail_silently, NULL);
  CHECK(vm_invoke(s, f, NULL) == VM_ERR_TRAP);
  CHECK(vm_store_error(s)->trap == VM_TRAP_HOST);
  CHECK_STR(vm_store_error(s)->message, "host function failed");
  CHECK(vm_invoke(s, NULL, NULL) == VM_ERR_ARG);
  CHECK(vm_store_trap(s, VM_TRAP_DIV_ZERO) == VM_ERR_TRAP);
  CHECK_STR(vm_store_error(s)->message, "integer divide by zero");
  /* The type is copied: the caller's buffer may go away. */
  uint8_t types[3] = {VM_I64, VM_F32, VM_F64};
  vm_functype t = {.nparams = 2, .nresults = 1, .types = types};
  vm_func *g = vm_func_new_host(s, &t, host_fail_silently, NULL);
  types[0] = VM_I32;
  CHECK(g && vm_func_type(g)->types[0] == VM_I64 && vm_func_type(g)->types[2] == VM_F64);
  vm_store_free(s);
}

TEST_IMPL(deep) {
  vm_module *m = load("deep");
  vm_config cfg;
  vm_config_default(&cfg);
  cfg.max_call_depth = 1000;
  vm_store *s = vm_store_new(&cfg);
  vm_error err;
  vm_instance *inst = vm_instantiate(s, m, NULL, 0, &err);
  CHECK(inst != NULL);
  if (!inst) return;
  CHECK(call1(s, inst, "rec", 900) == 900);
  CHECK(call3(s, inst, "rec", 1000, 0, 0, NULL) == VM_ERR_TRAP);
  CHECK_STR(vm_store_error(s)->message, "call stack exhausted");
  CHECK(call1(s, inst, "rec", 10) == 10);
  vm_store_free(s);

  /* A tiny value stack: exhaustion is a trap too. */
  cfg.max_call_depth = 100000;
  cfg.stack_slots = 1000;
  s = vm_store_new(&cfg);
  inst = vm_instantiate(s, m, NULL, 0, &err);
  CHECK(inst != NULL);
  if (inst) {
    CHECK(call3(s, inst, "rec", 100000, 0, 0, NULL) == VM_ERR_TRAP);
    CHECK_STR(vm_store_error(s)->message, "call stack exhausted");
    CHECK(call1(s, inst, "rec", 5) == 5);
  }
  vm_store_free(s);
}

/* ---- exception handling -------------------------------------------------------------------- */

/* exnref.wat: a million exceptions made and dropped while a few are kept in a global, a local, a table
 * and another exception's payload; the kept ones keep their payloads and the store stays small. */
TEST_IMPL(exceptions_exnref) {
  vm_module *m = load("exnref");
  vm_store *s = vm_store_new(NULL);
  vm_error err;
  vm_instance *inst = vm_instantiate(s, m, NULL, 0, &err);
  CHECK(inst != NULL);
  if (!inst) return;
  CHECK_INT(call1(s, inst, "churn", 1000000), 13122);
  CHECK(s->nexns < 5000); /* collected: what survives is what is kept (plus the last slice's garbage) */
  CHECK_INT(call1(s, inst, "global", 0), 12345);
  CHECK_INT(call1(s, inst, "slot", 0), 992000);
  CHECK_INT(call1(s, inst, "slot", 7), 999000);
  CHECK_INT(call1(s, inst, "slot", 8), 984000);
  CHECK_INT(call1(s, inst, "slot", 15), 991000);
  uint32_t out = 0;
  CHECK(call3(s, inst, "nested", 42, 100000, 0, &out) == VM_OK && out == 47);
  CHECK(call3(s, inst, "null", 0, 0, 0, NULL) == VM_ERR_TRAP);
  CHECK_STR(vm_store_error(s)->message, "null exception reference");
  CHECK_INT(call1(s, inst, "is-null", 0), 1);
  CHECK_INT(call1(s, inst, "is-null", 1), 0);
  vm_store_free(s);
}

typedef struct throw_ctx {
  vm_func *thrower;
  int calls;
} throw_ctx;

/* host.reenter(v): throw(v) in a nested activation, its error passed on. */
static vm_result host_reenter(vm_store *s, vm_instance *caller, void *user, uint64_t *ar) {
  throw_ctx *c = user;
  c->calls++;
  uint64_t slot = ar[0];
  vm_result r = vm_invoke(s, c->thrower, &slot);
  ar[0] = slot;
  return r;
}

static vm_instance *throw_instance(vm_store *s, vm_module *m, throw_ctx *ctx, vm_tag *tag) {
  vm_functype i_i = {.nparams = 1, .nresults = 1, .types = sig_i_i};
  vm_func *h = vm_func_new_host(s, &i_i, host_reenter, ctx);
  vm_extern im[2] = {{VM_EXTERN_FUNC, {.func = h}}, {VM_EXTERN_TAG, {.tag = tag}}};
  vm_error err;
  vm_instance *inst = vm_instantiate(s, m, im, 2, &err);
  if (inst) ctx->thrower = export_func(inst, "throw");
  return inst;
}

/* throw.wat: handlers above compiled frames, host functions and other instances. */
TEST_IMPL(exceptions_unwind) {
  vm_module *m = load("throw");
  vm_store *s = vm_store_new(NULL);
  vm_functype i = {.nparams = 1, .nresults = 0, .types = sig_i_i};
  vm_tag *tag = vm_tag_new(s, &i);
  CHECK(tag != NULL && vm_tag_type(tag)->nparams == 1);
  vm_functype bad = {.nparams = 1, .nresults = 1, .types = sig_i_i};
  CHECK(vm_tag_new(s, &bad) == NULL); /* a tag has no results */
  throw_ctx ctx = {0};
  vm_instance *inst = throw_instance(s, m, &ctx, tag);
  CHECK(inst != NULL);
  if (!inst) return;
  uint32_t out = 0;
  CHECK(call3(s, inst, "catch-deep", 0, 41, 0, &out) == VM_OK && out == 42);
  CHECK(call3(s, inst, "catch-deep", 5000, 9, 0, &out) == VM_OK && out == 10);
  CHECK(s->exec.depth == 0 && s->exec.exn == NULL && vm_store_error(s)->result == VM_OK);
  CHECK(call3(s, inst, "catch-deep", 3, -1, 0, &out) == VM_OK && out == (uint32_t)(-1 + 1000 + 3));
  CHECK(call3(s, inst, "catch-host", 5, 0, 0, &out) == VM_OK && out == 7 && ctx.calls == 1);
  CHECK(s->exec.sp == s->exec.stack && s->exec.host_nesting == 0);
  CHECK_INT(call1(s, inst, "catch-other", 1), 200); /* catch_all, not the other tag */
  CHECK_INT(call1(s, inst, "catch-imported", 4), 7);
  CHECK_INT(call1(s, inst, "legacy", 3), 10);
  /* Uncaught: a trap of its own kind; the store goes on. */
  CHECK(call3(s, inst, "uncaught", 1, 0, 0, NULL) == VM_ERR_TRAP);
  CHECK(vm_store_error(s)->trap == VM_TRAP_EXCEPTION);
  CHECK_STR(vm_store_error(s)->message, "uncaught exception");
  CHECK(s->exec.depth == 0);
  CHECK_INT(call1(s, inst, "uncaught", -5), (uint32_t)(-1 + 1000));
  /* Traps, fuel and interrupts are not exceptions. */
  CHECK(call3(s, inst, "trap-in-try", 0, 0, 0, NULL) == VM_ERR_TRAP);
  CHECK_STR(vm_store_error(s)->message, "unreachable");
  vm_store_set_fuel(s, 100000);
  CHECK(call3(s, inst, "spin-in-try", 0, 0, 0, NULL) == VM_ERR_TRAP);
  CHECK(vm_store_error(s)->trap == VM_TRAP_FUEL);
  vm_store_set_fuel(s, 0);

  /* Another instance sharing the host's tag catches the first one's exceptions of it; its own $e is
   * another tag. */
  throw_ctx ctx2 = {0};
  vm_instance *inst2 = throw_instance(s, m, &ctx2, tag);
  CHECK(inst2 != NULL);
  if (inst2) {
    ctx2.thrower = export_func(inst, "throw"); /* the first instance's $e */
    CHECK(call3(s, inst2, "catch-host", 5, 0, 0, NULL) == VM_ERR_TRAP);
    CHECK(vm_store_error(s)->trap == VM_TRAP_EXCEPTION);
    ctx2.thrower = export_func(inst, "throw-imported");
    vm_result r = call3(s, inst2, "catch-host", 5, 0, 0, NULL);
    CHECK(r == VM_ERR_TRAP && vm_store_error(s)->trap == VM_TRAP_EXCEPTION); /* $e, not the host's */
  }
  /* An import of a tag of another type does not link. */
  vm_functype none = {.nparams = 0, .nresults = 0, .types = NULL};
  throw_ctx ctx3 = {0};
  CHECK(throw_instance(s, m, &ctx3, vm_tag_new(s, &none)) == NULL);
  CHECK_STR(vm_store_error(s)->message, "incompatible import type");
  vm_store_free(s);
}

/* ---- typed function references ------------------------------------------------------------- */

/*
 * Function types that differ only in the types their references name (Debian's and npm's wabt cannot
 * write this text; the bytes are assembled by hand):
 * (module
 *   (type $i2i (func (param i32) (result i32)))
 *   (type $a (func (param (ref $i2i)) (result i32)))
 *   (type $b (func (param (ref null $i2i)) (result i32)))   ;; the same bytes once lowered: funcref
 *   (type $v (func (result i32)))
 *   (type $a2 (func (param (ref $i2i)) (result i32)))       ;; equivalent to $a
 *   (table 1 funcref)
 *   (func $inc (type $i2i) (i32.add (local.get 0) (i32.const 1)))
 *   (func $apply (type $a) (call_ref $i2i (i32.const 20) (local.get 0)))
 *   (func (export "ia") (type $v) (call_indirect (type $a) (ref.func $inc) (i32.const 0)))
 *   (func (export "ib") (type $v) (call_indirect (type $b) (ref.func $inc) (i32.const 0)))
 *   (func (export "ia2") (type $v) (call_indirect (type $a2) (ref.func $inc) (i32.const 0)))
 *   (elem (i32.const 0) func $apply)
 *   (elem declare func $inc))
 */
static const uint8_t typed_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x1c, 0x05, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60,
    0x01, 0x64, 0x00, 0x01, 0x7f, 0x60, 0x01, 0x63, 0x00, 0x01, 0x7f, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x01,
    0x64, 0x00, 0x01, 0x7f, 0x03, 0x06, 0x05, 0x00, 0x01, 0x03, 0x03, 0x03, 0x04, 0x04, 0x01, 0x70, 0x00,
    0x01, 0x07, 0x11, 0x03, 0x02, 0x69, 0x61, 0x00, 0x02, 0x02, 0x69, 0x62, 0x00, 0x03, 0x03, 0x69, 0x61,
    0x32, 0x00, 0x04, 0x09, 0x0b, 0x02, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x01, 0x03, 0x00, 0x01, 0x00, 0x0a,
    0x30, 0x05, 0x07, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x0b, 0x08, 0x00, 0x41, 0x14, 0x20, 0x00, 0x14,
    0x00, 0x0b, 0x09, 0x00, 0xd2, 0x00, 0x41, 0x00, 0x11, 0x01, 0x00, 0x0b, 0x09, 0x00, 0xd2, 0x00, 0x41,
    0x00, 0x11, 0x02, 0x00, 0x0b, 0x09, 0x00, 0xd2, 0x00, 0x41, 0x00, 0x11, 0x04, 0x00, 0x0b};

TEST_IMPL(typed_references) {
  vm_error err;
  vm_module *m = vm_module_load(typed_wasm, sizeof typed_wasm, NULL, &err);
  vm_module *m2 = vm_module_load(typed_wasm, sizeof typed_wasm, NULL, &err);
  CHECK(m != NULL && m2 != NULL);
  if (!m || !m2) return;
  if (nmodules < 62) modules[nmodules++] = m, modules[nmodules++] = m2;
  vm_store *s = vm_store_new(NULL);
  vm_instance *inst = vm_instantiate(s, m, NULL, 0, &err);
  CHECK(inst != NULL);
  if (inst) {
    CHECK_INT(call1(s, inst, "ia", 0), 21);
    CHECK_INT(call1(s, inst, "ia2", 0), 21); /* an equivalent type */
    CHECK(call3(s, inst, "ib", 0, 0, 0, NULL) == VM_ERR_TRAP);
    CHECK_STR(vm_store_error(s)->message, "indirect call type mismatch");
  }
  /* The same types in two modules are the same; $a and $b are not, in one module or across two. */
  CHECK(vm_functype_equal(&m->types[1], &m2->types[1]));
  CHECK(vm_functype_equal(&m->types[1], &m2->types[4]));
  CHECK(!vm_functype_equal(&m->types[1], &m2->types[2]));
  CHECK(!vm_functype_equal(&m->types[1], &m->types[2]));
  /* An embedder's (ref null func) is funcref; it names no module type. */
  static const uint8_t fr_i[] = {VM_FUNCREF, VM_I32};
  vm_functype host = {.nparams = 1, .nresults = 1, .types = fr_i};
  CHECK(!vm_functype_equal(&host, &m->types[1]) && !vm_functype_equal(&host, &m->types[2]));
  vm_store_free(s);
}

/* ---- guardrails ---------------------------------------------------------------------------- */

/* bulk.wat: fills and copies of 64 KiB charge 1,024 fuel units each, on every tier the same. */
TEST_IMPL(bulk_fuel) {
  vm_module *m = load("bulk");
  vm_store *s = vm_store_new(NULL);
  vm_error err;
  vm_instance *inst = vm_instantiate(s, m, NULL, 0, &err);
  CHECK(inst != NULL);
  if (!inst) return;
  const char *spin[2] = {"fills", "copies"};
  for (int i = 0; i < 2; i++) {
    call3(s, inst, "reset", 0, 0, 0, NULL);
    vm_store_set_fuel(s, 100000);
    CHECK(call3(s, inst, spin[i], 0, 0, 0, NULL) == VM_ERR_TRAP);
    CHECK(vm_store_error(s)->trap == VM_TRAP_FUEL);
    vm_store_set_fuel(s, 0);
    uint32_t n = call1(s, inst, "count", 0);
    CHECK(n >= 90 && n <= 100); /* 100,000 / 1,024 (and a few units per iteration) */
  }
  vm_store_free(s);
}

/* ---- the compiler tier's register-keeping paths ------------------------------------------------ */

/* regs.wat on both tiers: every result and every trap the same, and the gather's words right. */
TEST_IMPL(jit_registers) {
  vm_module *mi = load_tier("regs", VM_TIER_INTERP), *mc = load_tier("regs", VM_TIER_COMPILER);
  vm_store *si = vm_store_new(NULL), *sc = vm_store_new(NULL);
  vm_error err;
  vm_instance *ii = vm_instantiate(si, mi, NULL, 0, &err), *ic = vm_instantiate(sc, mc, NULL, 0, &err);
  CHECK_OR_RETURN(ii && ic);
  /* first (the calls below write memory): gather(0), of the words 0x01234567, 0x89abcdef, 0xfedcba98,
   * 0x76543210 */
  uint64_t a[2] = {0, 0};
  CHECK_INT(vm_invoke(si, export_func(ii, "gather"), a), VM_OK);
  a[0] = 0;
  CHECK_INT(vm_invoke(sc, export_func(ic, "gather"), a), VM_OK);
  uint32_t w0 = 0x01234567u, w1 = 0x89abcdefu, w2 = 0xfedcba98u, w3 = 0x76543210u;
#define ROTL(x, n) ((uint32_t)((x) << (n) | (x) >> (32 - (n))))
  CHECK_INT((uint32_t)a[0], w0 ^ ROTL(w1, 7) ^ ROTL(w2, 13) ^ ROTL(w3, 21));
#undef ROTL
  /* the last byte of memory, and one past it (on both: the memories stay the same) */
  for (int t = 0; t < 2; t++) {
    vm_store *st = t ? si : sc;
    vm_instance *in = t ? ii : ic;
    a[0] = 65535;
    CHECK_INT(vm_invoke(st, export_func(in, "edge"), a), VM_OK);
    CHECK_INT((uint32_t)a[0], 0x5a + 0x5a);
    a[0] = 65536;
    CHECK_INT(vm_invoke(st, export_func(in, "edge"), a), VM_ERR_TRAP);
    CHECK_INT(vm_store_error(st)->trap, VM_TRAP_MEMORY_OOB);
  }
  static const char *const fns[] = {"gather", "park_across", "park_branch", "dropped",
                                    "rax",    "rax_store",   "edge",        "extends"};
  static const uint32_t args[] = {0,     1,     2,    3,     4,          5,          7,          16,
                                  255,   256,   1000, 65532, 65533,      65534,      65535,      65536,
                                  65537, 99999, 0x80, 0xff,  0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff};
  const size_t nargs = sizeof args / sizeof args[0];
  int compared = 0;
  for (size_t f = 0; f < sizeof fns / sizeof fns[0]; f++)
    for (size_t i = 0; i < nargs; i++)
      for (size_t j = 0; j < 4; j++) {
        uint64_t ai[2] = {args[i], args[(i * 7 + j * 5) % nargs]}, ac[2] = {ai[0], ai[1]};
        vm_result ri = vm_invoke(si, export_func(ii, fns[f]), ai);
        vm_result rc = vm_invoke(sc, export_func(ic, fns[f]), ac);
        CHECK_INT(rc, ri);
        if (ri == VM_OK && rc == VM_OK) {
          bool wide = strcmp(fns[f], "park_across") == 0 || strcmp(fns[f], "extends") == 0;
          if ((wide ? ac[0] : (uint32_t)ac[0]) != (wide ? ai[0] : (uint32_t)ai[0])) {
            fprintf(stderr, "%s(%u, %u): compiler %llx, interpreter %llx\n", fns[f], args[i],
                    args[(i * 7 + j * 5) % nargs], (unsigned long long)ac[0], (unsigned long long)ai[0]);
            CHECK(false);
          }
        } else if (ri == VM_ERR_TRAP && rc == VM_ERR_TRAP) {
          CHECK_INT(vm_store_error(sc)->trap, vm_store_error(si)->trap);
        }
        compared++;
      }
  CHECK(compared == 8 * 24 * 4);
  vm_store_free(si);
  vm_store_free(sc);
}

static void teardown(void) {
  for (int i = 0; i < nmodules; i++)
    vm_module_free(modules[i]);
}

TEST_LIST_BEGIN
TEST_ENTRY(link)
TEST_ENTRY(partial)
TEST_ENTRY(grow)
TEST_ENTRY(segments)
TEST_ENTRY(reenter)
TEST_ENTRY(host_errors)
TEST_ENTRY(deep)
TEST_ENTRY(exceptions_exnref)
TEST_ENTRY(exceptions_unwind)
TEST_ENTRY(typed_references)
TEST_ENTRY(bulk_fuel)
TEST_ENTRY(jit_registers)
TEST_LIST_END

int main(int argc, char **argv) {
  return test_main(argc, argv, "runtime", test_cases, NULL, teardown);
}
