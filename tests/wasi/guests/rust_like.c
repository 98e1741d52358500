/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rust_like: a waPC guest with the imports of a Rust wasm32-wasip1 guest
 * (fd_write, random_get, environ_get, environ_sizes_get, proc_exit,
 * poll_oneoff).  wapc_init logs "rust: init" on stdout.  Operations: "env"
 * answers the environment joined by ','; "random" fills 64 bytes and answers
 * "ok" when they are not all equal; "sleep" waits the payload's milliseconds
 * with a relative clock subscription and answers "slept N" (N = events);
 * "sleep_abs" the same with an absolute monotonic deadline; "exit" calls
 * proc_exit(9); "badptr" passes out-of-range pointers and answers the errnos.
 */
#include "wasi_imports.h"

static uint8_t op_buf[256], payload_buf[4096];

/* There is no libc: the compiler may still turn loops into memset calls. */
void *memset(void *d, int c, size_t n);
void *memset(void *d, int c, size_t n) {
  volatile uint8_t *p = d;
  while (n--)
    *p++ = (uint8_t)c;
  return d;
}
static char out[1024];

EXPORT(wapc_init) void wapc_init(void) {
  say(1, "rust: init\n");
}

static uint32_t parse_u32(const uint8_t *p, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++)
    v = v * 10 + (uint32_t)(p[i] - '0');
  return v;
}

/* One clock subscription (48 bytes) and room for two events. */
static uint8_t sub[48 * 2] __attribute__((aligned(8)));
static uint8_t evs[32 * 2] __attribute__((aligned(8)));

static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static int do_sleep(uint32_t ms, int absolute) {
  for (size_t i = 0; i < sizeof sub; i++)
    sub[i] = 0;
  put64(sub, 0x1234); /* userdata */
  sub[8] = 0;         /* clock */
  sub[16] = 1;        /* monotonic */
  uint64_t t = (uint64_t)ms * 1000000ull;
  if (absolute) {
    uint64_t now;
    if (wasi_clock_time_get(1, 1, &now) != 0) return -1;
    t += now;
    sub[40] = 1; /* abstime */
  }
  put64(sub + 24, t);
  size_t n = 0;
  if (wasi_poll_oneoff(sub, evs, 1, &n) != 0) return -1;
  if (n == 1 && evs[0] == 0x34 && evs[1] == 0x12 && evs[8] == 0 && evs[10] == 0) return 1;
  return -2;
}

EXPORT(__guest_call) int guest_call(size_t op_len, size_t msg_len) {
  if (op_len >= sizeof op_buf || msg_len > sizeof payload_buf) return 0;
  guest_request(op_buf, payload_buf);
  if (op_len == 3 && mem_eq(op_buf, "env", 3)) {
    size_t count, size;
    static char *env[64];
    static char buf[2048];
    if (wasi_environ_sizes_get(&count, &size) != 0 || count > 64 || size > sizeof buf) return 0;
    if (wasi_environ_get(env, buf) != 0) return 0;
    size_t at = 0;
    for (size_t i = 0; i < count; i++) {
      if (i) out[at++] = ',';
      for (const char *s = env[i]; *s && at < sizeof out; s++)
        out[at++] = *s;
    }
    guest_response(out, at);
    return 1;
  }
  if (op_len == 6 && mem_eq(op_buf, "random", 6)) {
    static uint8_t r[64];
    if (wasi_random_get(r, sizeof r) != 0) return 0;
    int same = 1;
    for (int i = 1; i < 64; i++)
      if (r[i] != r[0]) same = 0;
    if (same) return 0;
    guest_response("ok", 2);
    return 1;
  }
  if ((op_len == 5 && mem_eq(op_buf, "sleep", 5)) || (op_len == 9 && mem_eq(op_buf, "sleep_abs", 9))) {
    int r = do_sleep(parse_u32(payload_buf, msg_len), op_len == 9);
    if (r < 0) {
      guest_error("poll_oneoff failed", 18);
      return 0;
    }
    guest_response("slept 1", 7);
    return 1;
  }
  if (op_len == 4 && mem_eq(op_buf, "exit", 4)) {
    say(2, "rust: exiting\n");
    wasi_proc_exit(9);
  }
  if (op_len == 6 && mem_eq(op_buf, "badptr", 6)) {
    char num[12];
    size_t at = 0;
    int e1 = wasi_random_get((void *)0xFFFFFFF0u, 64); /* runs past the end */
    ciovec v = {(const void *)0xFFFFFF00u, 4096};
    size_t w;
    int e2 = wasi_fd_write(1, &v, 1, &w);                       /* buffer out of range */
    int e3 = wasi_environ_sizes_get((size_t *)0xFFFFFFFEu, &w); /* result pointer out of range */
    int e4 = wasi_poll_oneoff(sub, (void *)0xFFFFFFF0u, 1, &w);
    int e[4] = {e1, e2, e3, e4};
    for (int i = 0; i < 4; i++) {
      if (i) out[at++] = ' ';
      for (const char *s = utoa((uint32_t)e[i], num); *s; s++)
        out[at++] = *s;
    }
    guest_response(out, at);
    return 1;
  }
  guest_error("unknown operation", 17);
  return 0;
}
