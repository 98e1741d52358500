/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exercise.h - run any module that loads: instantiate it in a fresh store
 * under the given limits, with every import bound to a stub of its type
 * (functions return zeros, memories/tables/globals/tags are created from the
 * declared types), and call every exported function with the given argument
 * bits.  Shared by tests/hostile and the fuzz targets (header-only, static).
 * Nothing here may crash or hang whatever the module does; traps are
 * expected and ignored.
 */
#ifndef WAPC_TESTS_EXERCISE_H
#define WAPC_TESTS_EXERCISE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm/vm.h"

static vm_result vmx_stub(vm_store *s, vm_instance *caller, void *user, uint64_t *ar) {
  const vm_functype *t = user;
  (void)s;
  (void)caller;
  uint32_t np, nr;
  vm_functype_slots(t, &np, &nr);
  for (uint32_t i = 0; i < nr; i++)
    ar[i] = 0;
  return VM_OK;
}

/* Bind the imports of `m` to stubs in `s`; false if one cannot be made. */
static int vmx_bind(vm_store *s, const vm_module *m, vm_extern *ex, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    vm_import_desc d;
    vm_module_import(m, i, &d);
    ex[i].kind = d.kind;
    switch (d.kind) {
    case VM_EXTERN_FUNC:
      if (!d.type.func) return 0;
      ex[i].u.func = vm_func_new_host(s, d.type.func, vmx_stub, (void *)d.type.func);
      if (!ex[i].u.func) return 0;
      break;
    case VM_EXTERN_TABLE:
      if (!(ex[i].u.table = vm_table_new(s, d.type.table, NULL))) return 0;
      break;
    case VM_EXTERN_MEMORY:
      if (!(ex[i].u.memory = vm_memory_new(s, d.type.memory))) return 0;
      break;
    case VM_EXTERN_GLOBAL:
      if (!(ex[i].u.global = vm_global_new(s, d.type.global, 0))) return 0;
      break;
    case VM_EXTERN_TAG:
      if (!d.type.func || !(ex[i].u.tag = vm_tag_new(s, d.type.func))) return 0;
      break;
    default: return 0;
    }
  }
  return 1;
}

/* Instantiate and call every exported function; `args` gives argument bits
 * (cycled; NULL: zeros).  Returns the number of calls that returned VM_OK. */
static uint64_t vmx_mix(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * 1099511628211u;
  return h;
}

/* A reference type: its values are addresses (different in every run; only null is safe to make up). */
static inline int vmx_is_ref(uint8_t ty) {
  return ty == VM_FUNCREF || ty == VM_EXTERNREF || ty == VM_EXNREF;
}

/* Runs every exported function; with `trace`, folds into *trace what an
 * observer sees: each call's outcome, results and message, then the
 * exported globals and memory 0 (two runs of one module on different tiers
 * must give the same trace). */
static int vmx_run_module_traced(const vm_module *m, const vm_config *cfg, const uint64_t *args, size_t nargs,
                                 uint64_t *trace) {
  int ok = 0;
  vm_store *s = vm_store_new(cfg);
  if (!s) return 0;
  uint32_t nimp = vm_module_num_imports(m);
  vm_extern *ex = calloc(nimp ? nimp : 1, sizeof *ex);
  vm_error err;
  vm_instance *inst = NULL;
  if (ex && vmx_bind(s, m, ex, nimp)) inst = vm_instantiate(s, m, ex, nimp, &err);
  free(ex);
  if (inst) {
    uint32_t nexp = vm_module_num_exports(m);
    for (uint32_t i = 0; i < nexp; i++) {
      vm_export_desc d;
      vm_extern e;
      vm_module_export(m, i, &d);
      if (d.kind != VM_EXTERN_FUNC || !vm_instance_export(inst, d.name, d.name_len, &e)) continue;
      const vm_functype *t = vm_func_type(e.u.func);
      uint32_t pslots, rslots;
      vm_functype_slots(t, &pslots, &rslots); /* a v128 takes two slots */
      uint32_t k = pslots > rslots ? pslots : rslots;
      uint64_t *slots = calloc(k ? k : 1, sizeof *slots);
      if (!slots) break;
      for (uint32_t j = 0, at = 0; j < t->nparams; j++) {
        uint64_t v = args && nargs ? args[(i + j) % nargs] : 0;
        uint8_t ty = t->types[j];
        if (ty == VM_I32 || ty == VM_F32) v &= 0xFFFFFFFFu;
        if (vmx_is_ref(ty)) v = 0; /* only null is safe to forge */
        slots[at++] = v;
        if (ty == VM_V128) slots[at++] = ~v;
      }
      vm_result r = vm_invoke(s, e.u.func, slots);
      if (r == VM_OK) ok++;
      if (trace) {
        *trace = vmx_mix(*trace, &r, sizeof r);
        for (uint32_t j = 0, at = 0; r == VM_OK && j < t->nresults; j++) {
          uint8_t ty = t->types[t->nparams + j];
          /* a reference is an address, different in every run: only null or not is compared */
          uint64_t v = vmx_is_ref(ty) ? slots[at] != 0 : slots[at];
          *trace = vmx_mix(*trace, &v, sizeof v);
          if (ty == VM_V128) *trace = vmx_mix(*trace, &slots[at + 1], sizeof slots[at + 1]);
          at += vm_type_slots(ty);
        }
        if (r != VM_OK)
          *trace = vmx_mix(*trace, vm_store_error(s)->message, strlen(vm_store_error(s)->message));
      }
      free(slots);
    }
    if (trace) {
      for (uint32_t i = 0; i < nexp; i++) {
        vm_export_desc d;
        vm_extern e;
        vm_module_export(m, i, &d);
        if (d.kind != VM_EXTERN_GLOBAL || !vm_instance_export(inst, d.name, d.name_len, &e)) continue;
        uint64_t v = vm_global_get(e.u.global), hi = vm_global_get_hi(e.u.global);
        uint8_t gt = vm_global_type(e.u.global).type;
        if (vmx_is_ref(gt)) v = v != 0;
        *trace = vmx_mix(*trace, &v, sizeof v);
        *trace = vmx_mix(*trace, &hi, sizeof hi);
      }
      vm_memory *mem = vm_instance_memory(inst);
      if (mem) *trace = vmx_mix(*trace, vm_memory_data(mem), (size_t)vm_memory_size(mem));
    }
  }
  vm_store_free(s);
  return ok;
}

static inline int vmx_run_module(const vm_module *m, const vm_config *cfg, const uint64_t *args,
                                 size_t nargs) {
  return vmx_run_module_traced(m, cfg, args, nargs, NULL);
}

/* Small limits for running untrusted modules in tests and fuzzers. */
static void vmx_small_config(vm_config *cfg) {
  vm_config_default(cfg);
  cfg->max_memory_pages = 64; /* 4 MiB */
  cfg->max_table_elems = 10000;
  cfg->max_call_depth = 500;
  cfg->stack_slots = 1u << 16;
  cfg->fuel = 200000;
}

#endif
