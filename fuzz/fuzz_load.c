/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_load.c - libFuzzer target: decode, validate and compile any bytes.
 * Every input must load or fail with a proper error; nothing may crash,
 * leak or allocate without bound.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "vm/vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  vm_error err;
  vm_module *m = vm_module_load(data, size, NULL, &err);
  if (!m) {
    if (err.result == VM_OK || err.message[0] == '\0') abort(); /* a failure must say why */
    return 0;
  }
  vm_module_info info;
  vm_module_get_info(m, &info);
  vm_module_free(m);
  return 0;
}
