/* SPDX-License-Identifier: Apache-2.0 */
/*
 * diff_driver.c - runs a module the way wabt's `wasm-interp --dummy-import-func
 * --run-all-exports` does, printing in the same format, so tests/diff/diff.sh
 * can compare the two engines: every imported function logs its call and
 * returns zeros; every exported function without parameters is called in
 * export order on one instance, printing "name() => i32:N, ..." or
 * "name() => error: MESSAGE".  A call stopped by the fuel limit prints
 * "name() => error: fuel exhausted" (the script treats it as inconclusive).
 * Usage: diff_driver MODULE.wasm
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/vm.h"

/* The value in `slots` (two for a v128, low half first). */
static void print_value(uint8_t type, const uint64_t *slots) {
  uint64_t v = slots[0];
  switch (type) {
  case VM_V128: /* as wasm-interp prints it */
    printf("v128 i32x4:0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32, (uint32_t)v,
           (uint32_t)(v >> 32), (uint32_t)slots[1], (uint32_t)(slots[1] >> 32));
    break;
  case VM_I32: printf("i32:%" PRIu32, (uint32_t)v); break;
  case VM_I64: printf("i64:%" PRIu64, v); break;
  case VM_F32: {
    uint32_t b = (uint32_t)v;
    float f;
    memcpy(&f, &b, sizeof f);
    printf("f32:%f", (double)f);
    break;
  }
  case VM_F64: {
    double d;
    memcpy(&d, &v, sizeof d);
    printf("f64:%f", d);
    break;
  }
  default: printf("ref:%s", v ? "nonnull" : "null"); break;
  }
}

typedef struct import_info {
  char name[512];
  const vm_functype *type;
} import_info;

static vm_result logger(vm_store *s, vm_instance *caller, void *user, uint64_t *ar) {
  const import_info *im = user;
  (void)s, (void)caller;
  printf("called host %s(", im->name);
  static const uint64_t zero[2] = {0, 0};
  for (uint32_t i = 0, at = 0; i < im->type->nparams; at += vm_type_slots(im->type->types[i]), i++) {
    if (i) printf(", ");
    print_value(im->type->types[i], ar + at);
  }
  printf(") =>");
  for (uint32_t i = 0, at = 0; i < im->type->nresults; i++) {
    uint8_t t = im->type->types[im->type->nparams + i];
    printf(i ? ", " : " ");
    print_value(t, zero);
    for (uint32_t k = 0; k < vm_type_slots(t); k++)
      ar[at++] = 0;
  }
  printf("\n");
  return VM_OK;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: diff_driver MODULE.wasm\n");
    return 64;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 2;
  }
  static uint8_t buf[16 << 20];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  vm_config cfg;
  vm_config_default(&cfg);
  cfg.fuel = 2000000000u; /* a runaway module is inconclusive, not a hang */
  vm_error err;
  vm_module *m = vm_module_load(buf, n, &cfg, &err);
  if (!m) {
    printf("load error: %s\n", err.message);
    return 3;
  }
  vm_store *s = vm_store_new(&cfg);
  uint32_t nimp = vm_module_num_imports(m);
  vm_extern *ex = calloc(nimp ? nimp : 1, sizeof *ex);
  import_info *info = calloc(nimp ? nimp : 1, sizeof *info);
  if (!s || !ex || !info) return 2;
  for (uint32_t i = 0; i < nimp; i++) {
    vm_import_desc d;
    vm_module_import(m, i, &d);
    if (d.kind != VM_EXTERN_FUNC || !d.type.func) {
      printf("load error: unsupported import\n");
      return 3;
    }
    snprintf(info[i].name, sizeof info[i].name, "%.*s.%.*s", (int)d.module_len, d.module, (int)d.name_len,
             d.name);
    info[i].type = d.type.func;
    ex[i].kind = VM_EXTERN_FUNC;
    ex[i].u.func = vm_func_new_host(s, d.type.func, logger, &info[i]);
  }
  vm_instance *inst = vm_instantiate(s, m, ex, nimp, &err);
  if (!inst) {
    printf("instantiate error: %s\n", err.message);
    return 3;
  }
  for (uint32_t i = 0; i < vm_module_num_exports(m); i++) {
    vm_export_desc d;
    vm_extern e;
    vm_module_export(m, i, &d);
    if (d.kind != VM_EXTERN_FUNC || !vm_instance_export(inst, d.name, d.name_len, &e)) continue;
    const vm_functype *t = vm_func_type(e.u.func);
    uint32_t pslots, rslots;
    vm_functype_slots(t, &pslots, &rslots);
    if (t->nparams) continue;
    uint64_t slots[64] = {0};
    if (rslots > 64) continue;
    fflush(stdout);
    vm_result r = vm_invoke(s, e.u.func, slots);
    printf("%.*s() =>", (int)d.name_len, d.name);
    if (r != VM_OK) {
      printf(" error: %s\n", vm_store_error(s)->message);
      continue;
    }
    for (uint32_t k = 0, at = 0; k < t->nresults; at += vm_type_slots(t->types[k]), k++) {
      printf(k ? ", " : " ");
      print_value(t->types[k], slots + at);
    }
    printf("\n");
  }
  vm_store_free(s);
  vm_module_free(m);
  free(ex);
  free(info);
  return 0;
}
