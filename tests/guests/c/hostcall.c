/* SPDX-License-Identifier: Apache-2.0 */
/*
 * c_hostcall: forwards to the host. "forward" takes "binding|namespace|operation|body" and calls the
 * host with those; it answers with the host response, or fails with "Host error: <message>" as the
 * SDKs do. "log" writes the payload to the console and answers "ok".
 */
#include "guest.h"

/* Splits off the next '|'-terminated field as a NUL-terminated call-scoped string. */
static const char *field(const uint8_t **p, const uint8_t *end) {
  const uint8_t *start = *p;
  while (*p < end && **p != '|')
    (*p)++;
  size_t n = (size_t)(*p - start);
  char *s = guest_alloc(n + 1);
  memcpy(s, start, n);
  s[n] = 0;
  if (*p < end) (*p)++;
  return s;
}

static int forward(const uint8_t *p, size_t n) {
  const uint8_t *cur = p, *end = p + n;
  const char *binding = field(&cur, end);
  const char *ns = field(&cur, end);
  const char *op = field(&cur, end);
  const uint8_t *out;
  size_t out_len;
  if (guest_host_call(binding, ns, op, cur, (size_t)(end - cur), &out, &out_len)) {
    guest_respond(out, out_len);
    return 1;
  }
  static const char prefix[] = "Host error: ";
  uint8_t *msg = guest_alloc(sizeof prefix - 1 + out_len);
  memcpy(msg, prefix, sizeof prefix - 1);
  memcpy(msg + sizeof prefix - 1, out, out_len);
  return guest_fail_bytes(msg, sizeof prefix - 1 + out_len);
}

static int log_payload(const uint8_t *p, size_t n) {
  char *s = guest_alloc(n + 1);
  memcpy(s, p, n);
  s[n] = 0;
  guest_log(s);
  guest_respond("ok", 2);
  return 1;
}

void guest_init(void) {
  guest_register("forward", forward);
  guest_register("log", log_payload);
}
