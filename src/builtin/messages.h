/* SPDX-License-Identifier: Apache-2.0 */
/*
 * messages.h - text for the built-in provider's errors: formatting into a
 * caller's buffer (the constructors' half of wapc.h's one rule for errors),
 * and wasm types and extern kinds as the messages name them.
 */
#ifndef WAPC_BUILTIN_MESSAGES_H
#define WAPC_BUILTIN_MESSAGES_H

#include <stddef.h>

#include "vm/vm.h"
#include "wapc.h"

/* Format a message into `buf` of `len` bytes (0: nothing is written); returns `st`. */
wapc_status builtin_msgf(char *buf, size_t len, wapc_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* A constructor's message buffer: cleared; its usable length (0 without one, so that every later write
 * is an snprintf into at most 0 bytes). */
size_t builtin_caller_message(char *message, size_t message_len);
/* "(i32, i32) -> i32" into buf. */
void builtin_format_functype(const vm_functype *t, char *buf, size_t len);
/* "func", "table", "memory", "global" (static storage). */
const char *builtin_kind_name(uint8_t kind);

#endif
