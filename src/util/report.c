/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report.c - messages into the caller's buffer (report.h).
 */
#include "util/report.h"

#include <stdarg.h>
#include <stdio.h>

wapc_status report_msg(char *message, size_t message_len, wapc_status st, const char *fmt, ...) {
  if (!message || !message_len) return st;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, message_len, fmt, ap);
  va_end(ap);
  return st;
}

size_t report_buffer(char *message, size_t message_len) {
  if (!message) return 0;
  if (message_len) message[0] = 0;
  return message_len;
}
