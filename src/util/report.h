/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report.h - the constructors' half of wapc.h's one rule for errors: a
 * failure's message written into the caller's buffer (`message` of
 * `message_len` bytes, NUL-terminated and cut to fit; no buffer when NULL or
 * 0).  Functions on a host report through the host instead (host.c).
 */
#ifndef WAPC_UTIL_REPORT_H
#define WAPC_UTIL_REPORT_H

#include <stddef.h>

#include "wapc.h"

/* Format the message into the caller's buffer (nothing without one); returns `st`. */
wapc_status report_msg(char *message, size_t message_len, wapc_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Clear the caller's buffer on entry; its usable length (0 without one, so that every later write is an
 * snprintf into at most 0 bytes). */
size_t report_buffer(char *message, size_t message_len);

#endif
