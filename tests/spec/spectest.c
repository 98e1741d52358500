/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spectest.c - the "spectest" host module of the spec test suite.  Its
 * functions print nothing: the scripts only check that they can be imported
 * and called.  Everything is created in the script's store, so its state
 * (table, memory) carries over between the modules of one script.
 */
#include "spectest.h"

#include <string.h>

static const char *const export_names[SPEC_SPECTEST_NEXPORTS] = {
    "print",         "print_i32",     "print_i64",  "print_f32",  "print_f64",
    "print_i32_f32", "print_f64_f64", "global_i32", "global_i64", "global_f32",
    "global_f64",    "table",         "memory",     "table64", /* Wasm 3.0: i64 10 20 funcref */
};

/* Parameter lists of the seven print functions (none has results). */
static const uint8_t t_i32[] = {VM_I32};
static const uint8_t t_i64[] = {VM_I64};
static const uint8_t t_f32[] = {VM_F32};
static const uint8_t t_f64[] = {VM_F64};
static const uint8_t t_i32_f32[] = {VM_I32, VM_F32};
static const uint8_t t_f64_f64[] = {VM_F64, VM_F64};

static vm_result print_fn(vm_store *s, vm_instance *caller, void *user, uint64_t *args_results) {
  (void)s;
  (void)caller;
  (void)user;
  (void)args_results;
  return VM_OK;
}

bool spec_spectest_init(spec_spectest *t, vm_store *s) {
  static const vm_functype types[7] = {
      {.nparams = 0, .nresults = 0, .types = NULL},      {.nparams = 1, .nresults = 0, .types = t_i32},
      {.nparams = 1, .nresults = 0, .types = t_i64},     {.nparams = 1, .nresults = 0, .types = t_f32},
      {.nparams = 1, .nresults = 0, .types = t_f64},     {.nparams = 2, .nresults = 0, .types = t_i32_f32},
      {.nparams = 2, .nresults = 0, .types = t_f64_f64},
  };
  memset(t, 0, sizeof *t);
  for (int i = 0; i < 7; i++) {
    t->exports[i].kind = VM_EXTERN_FUNC;
    t->exports[i].u.func = vm_func_new_host(s, &types[i], print_fn, NULL);
    if (!t->exports[i].u.func) return false;
  }

  /* 666.6 as f32 and f64 bit patterns, taken from the C literals. */
  float f32 = 666.6f;
  double f64 = 666.6;
  uint32_t f32_bits;
  uint64_t f64_bits;
  memcpy(&f32_bits, &f32, sizeof f32_bits);
  memcpy(&f64_bits, &f64, sizeof f64_bits);
  const vm_globaltype gtypes[4] = {{.type = VM_I32}, {.type = VM_I64}, {.type = VM_F32}, {.type = VM_F64}};
  const uint64_t gvalues[4] = {666, 666, f32_bits, f64_bits};
  for (int i = 0; i < 4; i++) {
    t->exports[7 + i].kind = VM_EXTERN_GLOBAL;
    t->exports[7 + i].u.global = vm_global_new(s, gtypes[i], gvalues[i]);
    if (!t->exports[7 + i].u.global) return false;
  }

  vm_tabletype tt = {.elemtype = VM_FUNCREF, .limits = {10, 20, true, false}};
  t->exports[11].kind = VM_EXTERN_TABLE;
  t->exports[11].u.table = vm_table_new(s, tt, NULL);
  if (!t->exports[11].u.table) return false;

  vm_limits ml = {1, 2, true, false};
  t->exports[12].kind = VM_EXTERN_MEMORY;
  t->exports[12].u.memory = vm_memory_new(s, ml);
  if (!t->exports[12].u.memory) return false;

  vm_tabletype tt64 = {.elemtype = VM_FUNCREF, .limits = {10, 20, true, true}};
  t->exports[13].kind = VM_EXTERN_TABLE;
  t->exports[13].u.table = vm_table_new(s, tt64, NULL);
  return t->exports[13].u.table != NULL;
}

bool spec_spectest_export(const spec_spectest *t, const char *name, size_t len, vm_extern *out) {
  for (int i = 0; i < SPEC_SPECTEST_NEXPORTS; i++) {
    if (strlen(export_names[i]) == len && memcmp(export_names[i], name, len) == 0) {
      *out = t->exports[i];
      return true;
    }
  }
  return false;
}
