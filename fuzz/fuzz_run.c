/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_run.c - libFuzzer target: load any bytes as a module and, when they
 * load, instantiate them with stub imports under small limits and fuel, and
 * call every exported function (argument bits from a hash of the input).
 * Guest behaviour of any kind must end in a result or a clean trap.  Each
 * module runs on both tiers (interpreter, compiler) and everything observed
 * must be the same: results, traps and messages, globals and memory.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../tests/hostile/exercise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  vm_config cfg;
  vmx_small_config(&cfg);
  cfg.tier = VM_TIER_INTERP;
  vm_module *m = vm_module_load(data, size, &cfg, NULL);
  if (!m) return 0;
  /* Interesting argument values: 0, -1, small, large, and input-derived. */
  uint64_t h = vmx_mix(1469598103934665603u, data, size);
  uint64_t args[6] = {0, UINT64_MAX, 1, 0x80000000u, h, h >> 17};
  uint64_t interp = 0, compiled = 0;
  vmx_run_module_traced(m, &cfg, args, 6, &interp);
  vm_module_free(m);
  cfg.tier = VM_TIER_COMPILER;
  m = vm_module_load(data, size, &cfg, NULL);
  if (!m) {
    fprintf(stderr, "fuzz_run: the module loads for one tier only\n");
    abort();
  }
  vmx_run_module_traced(m, &cfg, args, 6, &compiled);
  vm_module_free(m);
  if (interp != compiled) {
    fprintf(stderr, "fuzz_run: the interpreter and the compiler tier disagree\n");
    abort();
  }
  return 0;
}
