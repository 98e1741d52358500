/* SPDX-License-Identifier: Apache-2.0 */
/*
 * messages.c - the built-in provider's message helpers (messages.h).
 */
#include "builtin/messages.h"

#include <stdio.h>

const char *builtin_valtype_name(uint8_t t) {
  switch (t) {
  case VM_I32: return "i32";
  case VM_I64: return "i64";
  case VM_F32: return "f32";
  case VM_F64: return "f64";
  case VM_V128: return "v128";
  case VM_FUNCREF: return "funcref";
  case VM_EXTERNREF: return "externref";
  default: return "?";
  }
}

/* "(i32, i32) -> i32" into buf. */
void builtin_format_functype(const vm_functype *t, char *buf, size_t len) {
  size_t at = 0;
  if (len == 0) return;
  buf[0] = 0;
#define PUT(...)                                                                                             \
  do {                                                                                                       \
    if (at < len) {                                                                                          \
      int n_ = snprintf(buf + at, len - at, __VA_ARGS__);                                                    \
      if (n_ > 0) at += (size_t)n_;                                                                          \
    }                                                                                                        \
  } while (0)
  PUT("(");
  for (uint32_t i = 0; i < t->nparams; i++)
    PUT("%s%s", i ? ", " : "", builtin_valtype_name(t->types[i]));
  PUT(") -> ");
  if (t->nresults == 1) {
    PUT("%s", builtin_valtype_name(t->types[t->nparams]));
  } else {
    PUT("(");
    for (uint32_t i = 0; i < t->nresults; i++)
      PUT("%s%s", i ? ", " : "", builtin_valtype_name(t->types[t->nparams + i]));
    PUT(")");
  }
#undef PUT
}

const char *builtin_kind_name(uint8_t kind) {
  switch (kind) {
  case VM_EXTERN_FUNC: return "func";
  case VM_EXTERN_TABLE: return "table";
  case VM_EXTERN_MEMORY: return "memory";
  case VM_EXTERN_GLOBAL: return "global";
  default: return "unknown";
  }
}
