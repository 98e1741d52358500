/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guest: the waPC protocol side of the C test guests (see guest.h): imports, __guest_call dispatch,
 * wapc_init, the call-scoped bump allocator and the host-call wrapper.
 */
#include "guest.h"

#define WAPC_IMPORT(name) __attribute__((import_module("wapc"), import_name(#name)))

WAPC_IMPORT(__guest_request) void guest_request_(uint8_t *op, uint8_t *payload);
WAPC_IMPORT(__guest_response) void guest_response_(const void *p, size_t len);
WAPC_IMPORT(__guest_error) void guest_error_(const void *p, size_t len);
WAPC_IMPORT(__host_call)
int host_call_(const void *bd, size_t bd_len, const void *ns, size_t ns_len, const void *op, size_t op_len,
               const void *p, size_t len);
WAPC_IMPORT(__host_response_len) size_t host_response_len_(void);
WAPC_IMPORT(__host_response) void host_response_(uint8_t *p);
WAPC_IMPORT(__host_error_len) size_t host_error_len_(void);
WAPC_IMPORT(__host_error) void host_error_(uint8_t *p);
WAPC_IMPORT(__console_log) void console_log_(const void *p, size_t len);

#define MAX_HANDLERS 32

static struct {
  const char *op;
  size_t op_len;
  guest_handler fn;
} handlers[MAX_HANDLERS];
static size_t handler_count;

extern unsigned char __heap_base;
static uintptr_t heap_top;

void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--)
    *d++ = *s++;
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d < s) return memcpy(dst, src, n);
  while (n--)
    d[n] = s[n];
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  while (n--)
    *d++ = (unsigned char)c;
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i]) return x[i] - y[i];
  return 0;
}

size_t guest_strlen(const char *s) {
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

void *guest_alloc(size_t n) {
  if (heap_top == 0) heap_top = (uintptr_t)&__heap_base;
  uintptr_t p = (heap_top + 15) & ~(uintptr_t)15;
  if (n > UINTPTR_MAX - p) __builtin_trap();
  uintptr_t end = p + n;
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    size_t pages = (end - have + 65535) / 65536;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) __builtin_trap();
  }
  heap_top = end;
  return (void *)p;
}

void guest_register(const char *op, guest_handler fn) {
  if (handler_count == MAX_HANDLERS) __builtin_trap();
  handlers[handler_count].op = op;
  handlers[handler_count].op_len = guest_strlen(op);
  handlers[handler_count].fn = fn;
  handler_count++;
}

void guest_respond(const void *data, size_t len) {
  guest_response_(data, len);
}

int guest_fail_bytes(const void *msg, size_t len) {
  guest_error_(msg, len);
  return 0;
}

int guest_fail(const char *msg) {
  return guest_fail_bytes(msg, guest_strlen(msg));
}

void guest_log(const char *msg) {
  console_log_(msg, guest_strlen(msg));
}

int guest_host_call(const char *binding, const char *ns, const char *op, const void *payload, size_t len,
                    const uint8_t **out, size_t *out_len) {
  int ok =
      host_call_(binding, guest_strlen(binding), ns, guest_strlen(ns), op, guest_strlen(op), payload, len);
  size_t n = ok ? host_response_len_() : host_error_len_();
  uint8_t *buf = guest_alloc(n);
  if (ok)
    host_response_(buf);
  else
    host_error_(buf);
  *out = buf;
  *out_len = n;
  return ok != 0;
}

int guest_parse_u64(const uint8_t *p, size_t len, uint64_t *out) {
  uint64_t v = 0;
  if (len == 0) return 0;
  for (size_t i = 0; i < len; i++) {
    if (p[i] < '0' || p[i] > '9') return 0;
    uint64_t d = (uint64_t)(p[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return 0;
    v = v * 10 + d;
  }
  *out = v;
  return 1;
}

size_t guest_format_u64(uint64_t v, char *buf) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++)
    buf[i] = tmp[n - 1 - i];
  return n;
}

__attribute__((export_name("wapc_init"))) void wapc_init(void) {
  heap_top = (uintptr_t)&__heap_base;
  guest_init();
}

__attribute__((export_name("__guest_call"))) int guest_call(size_t op_len, size_t msg_len) {
  /* every call starts with an empty heap: nothing outlives a call */
  heap_top = (uintptr_t)&__heap_base;
  uint8_t *op = guest_alloc(op_len);
  uint8_t *payload = guest_alloc(msg_len);
  guest_request_(op, payload);
  for (size_t i = 0; i < handler_count; i++)
    if (handlers[i].op_len == op_len && memcmp(handlers[i].op, op, op_len) == 0)
      return handlers[i].fn(payload, msg_len);
  static const char prefix[] = "No handler registered for function \"";
  uint8_t *msg = guest_alloc(sizeof prefix + op_len);
  memcpy(msg, prefix, sizeof prefix - 1);
  memcpy(msg + sizeof prefix - 1, op, op_len);
  msg[sizeof prefix - 1 + op_len] = '"';
  return guest_fail_bytes(msg, sizeof prefix + op_len);
}
