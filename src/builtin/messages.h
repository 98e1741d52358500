/* SPDX-License-Identifier: Apache-2.0 */
/*
 * messages.h - text for the built-in provider's errors: wasm types and extern
 * kinds as the messages name them.
 */
#ifndef WAPC_BUILTIN_MESSAGES_H
#define WAPC_BUILTIN_MESSAGES_H

#include <stddef.h>

#include "vm/vm.h"
#include "wapc.h"

/* "(i32, i32) -> i32" into buf. */
void builtin_format_functype(const vm_functype *t, char *buf, size_t len);
/* "i32", "v128", "funcref", ...: a value type's name ("?" for none). */
const char *builtin_valtype_name(uint8_t t);
/* "func", "table", "memory", "global" (static storage). */
const char *builtin_kind_name(uint8_t kind);

#endif
