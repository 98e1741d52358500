/* SPDX-License-Identifier: Apache-2.0 */
/*
 * c_bench: the C guest of the call benchmarks, built with tests/guests/c/guest.c
 * (no libc).  "echo" answers the payload; "ping" makes one host call
 * ("bench", "bench", "ping") with the payload and answers the host's response.
 */
#include "guest.h"

static int echo(const uint8_t *p, size_t n) {
  guest_respond(p, n);
  return 1;
}

static int ping(const uint8_t *p, size_t n) {
  const uint8_t *out;
  size_t out_len;
  if (!guest_host_call("bench", "bench", "ping", p, n, &out, &out_len)) return guest_fail_bytes(out, out_len);
  guest_respond(out, out_len);
  return 1;
}

void guest_init(void) {
  guest_register("echo", echo);
  guest_register("ping", ping);
}
