/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imports.h - the nine host functions a waPC guest imports from module
 * "wapc" (any subset): __guest_request, __guest_response, __guest_error,
 * __host_call, __host_response_len, __host_response, __host_error_len,
 * __host_error, __console_log.  Their user data is the provider state
 * (provider.h).
 */
#ifndef WAPC_BUILTIN_IMPORTS_H
#define WAPC_BUILTIN_IMPORTS_H

#include <stddef.h>

#include "vm/vm.h"

#define BUILTIN_NUM_IMPORTS 9u

/*
 * The "wapc" import `name` (`len` bytes): its index (0 .. BUILTIN_NUM_IMPORTS-1),
 * type (static storage) and implementation; BUILTIN_NUM_IMPORTS when there is
 * no such import.
 */
unsigned builtin_wapc_import(const char *name, size_t len, vm_functype *type, vm_host_fn *fn);

#endif
