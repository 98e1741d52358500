/* SPDX-License-Identifier: Apache-2.0 */
/*
 * c_libc: a guest linked against Debian's wasi-libc (malloc, qsort, memcpy, strlen) that needs no WASI
 * import: it declares only the "wapc" functions it uses. "sort" answers the payload bytes sorted,
 * "words" the payload's words (split on spaces) joined by newlines in sorted order.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WAPC_IMPORT(name) __attribute__((import_module("wapc"), import_name(#name)))
WAPC_IMPORT(__guest_request) void guest_request(uint8_t *op, uint8_t *payload);
WAPC_IMPORT(__guest_response) void guest_response(const void *p, size_t len);
WAPC_IMPORT(__guest_error) void guest_error(const void *p, size_t len);

static int cmp_byte(const void *a, const void *b) {
  return *(const unsigned char *)a - *(const unsigned char *)b;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void words(char *s, size_t n) {
  size_t cap = n / 2 + 1, count = 0;
  char **list = malloc(cap * sizeof *list);
  char *out = malloc(n + 1);
  if (!list || !out) __builtin_trap();
  for (size_t i = 0; i < n; i++) {
    if (s[i] == ' ') {
      s[i] = 0;
    } else if (i == 0 || s[i - 1] == 0) {
      list[count++] = s + i;
    }
  }
  qsort(list, count, sizeof *list, cmp_str);
  size_t len = 0;
  for (size_t i = 0; i < count; i++) {
    size_t w = strlen(list[i]);
    if (i) out[len++] = '\n';
    memcpy(out + len, list[i], w);
    len += w;
  }
  guest_response(out, len);
  free(out);
  free(list);
}

__attribute__((export_name("__guest_call"))) int guest_call(size_t op_len, size_t msg_len) {
  uint8_t *op = malloc(op_len + 1);
  char *payload = malloc(msg_len + 1);
  int ok = 1;
  if (!op || !payload) __builtin_trap();
  guest_request(op, (uint8_t *)payload);
  op[op_len] = 0;
  payload[msg_len] = 0;
  if (strcmp((char *)op, "sort") == 0) {
    qsort(payload, msg_len, 1, cmp_byte);
    guest_response(payload, msg_len);
  } else if (strcmp((char *)op, "words") == 0) {
    words(payload, msg_len);
  } else {
    static const char msg[] = "unknown operation";
    guest_error(msg, sizeof msg - 1);
    ok = 0;
  }
  free(payload);
  free(op);
  return ok;
}
