/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tinygo_like: a waPC guest with the imports of a TinyGo `-target wasi` guest
 * (fd_write, args_sizes_get, args_get, clock_time_get; with -DOLD_TINYGO only
 * wasi_unstable.fd_write), whose `_start` runs the handler registrations, logs
 * through fd_write and ends with proc_exit(START_EXIT) (default 0; the old
 * variant just returns).
 * Operations: "hello" answers "hello from tinygo-like" (+ " argc=N" when args
 * are imported), "time" checks clock_time_get, "exit" calls proc_exit(3).
 * Every call logs "tinygo: call <op>" on stderr.
 */
#include "wasi_imports.h"

#ifndef START_EXIT
#define START_EXIT 0
#endif

static int registered;
static uint8_t op_buf[256], payload_buf[4096];
static char out[256];

EXPORT(_start) void start(void) {
  say(1, "tinygo: _start\n");
  registered = 1;
#ifndef OLD_TINYGO
  wasi_proc_exit(START_EXIT);
#endif
}

static size_t append(size_t at, const char *s) {
  while (*s && at < sizeof out - 1)
    out[at++] = *s++;
  out[at] = 0;
  return at;
}

EXPORT(__guest_call) int guest_call(size_t op_len, size_t msg_len) {
  if (op_len >= sizeof op_buf || msg_len > sizeof payload_buf) return 0;
  guest_request(op_buf, payload_buf);
  op_buf[op_len] = 0;
  say(2, "tinygo: call ");
  say(2, (const char *)op_buf);
  say(2, "\n");
  if (!registered) {
    guest_error("not registered", 14);
    return 0;
  }
  if (op_len == 5 && mem_eq(op_buf, "hello", 5)) {
    size_t at = append(0, "hello from tinygo-like");
#ifndef OLD_TINYGO
    size_t argc = 0, size = 0;
    char num[12];
    if (wasi_args_sizes_get(&argc, &size) != 0) return 0;
    char *argv[16];
    char buf[512];
    if (argc <= 16 && size <= sizeof buf && wasi_args_get(argv, buf) != 0) return 0;
    at = append(at, " argc=");
    at = append(at, utoa((uint32_t)argc, num));
    if (argc > 0 && argc <= 16 && size <= sizeof buf) {
      at = append(at, " argv0=");
      at = append(at, argv[0]);
    }
#endif
    guest_response(out, at);
    return 1;
  }
#ifndef OLD_TINYGO
  if (op_len == 4 && mem_eq(op_buf, "time", 4)) {
    uint64_t t = 0;
    if (wasi_clock_time_get(0, 1, &t) != 0 || t < 1600000000ull * 1000000000ull) return 0;
    guest_response("ok", 2);
    return 1;
  }
#endif
#ifndef OLD_TINYGO
  if (op_len == 4 && mem_eq(op_buf, "exit", 4)) wasi_proc_exit(3);
#endif
  guest_error("unknown operation", 17);
  return 0;
}
