/* SPDX-License-Identifier: Apache-2.0 */
/* c_echo: echo, reverse, an empty response and a failure, registered from wapc_init. */
#include "guest.h"

static int echo(const uint8_t *p, size_t n) {
  guest_respond(p, n);
  return 1;
}

static int reverse(const uint8_t *p, size_t n) {
  uint8_t *out = guest_alloc(n);
  for (size_t i = 0; i < n; i++)
    out[i] = p[n - 1 - i];
  guest_respond(out, n);
  return 1;
}

static int empty(const uint8_t *p, size_t n) {
  guest_respond(p, 0);
  return 1;
}

static int fail(const uint8_t *p, size_t n) {
  return guest_fail("failed on purpose");
}

void guest_init(void) {
  guest_register("echo", echo);
  guest_register("reverse", reverse);
  guest_register("empty", empty);
  guest_register("fail", fail);
}
