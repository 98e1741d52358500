/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spectest.h - the "spectest" host module that the spec scripts import from:
 * the print functions, four immutable globals of value 666 / 666.6, a funcref
 * table (10..20) and a memory (1..2 pages), all created in one store.
 */
#ifndef WAPC_TESTS_SPEC_SPECTEST_H
#define WAPC_TESTS_SPEC_SPECTEST_H

#include <stdbool.h>
#include <stddef.h>

#include "vm/vm.h"

#define SPEC_SPECTEST_NEXPORTS 14

typedef struct spec_spectest {
  vm_extern exports[SPEC_SPECTEST_NEXPORTS];
} spec_spectest;

/* Create the spectest objects in `s`.  False on out of memory. */
bool spec_spectest_init(spec_spectest *t, vm_store *s);

/* Find the export `name` (`len` bytes, not NUL-terminated). */
bool spec_spectest_export(const spec_spectest *t, const char *name, size_t len, vm_extern *out);

#endif
