/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_preinit.c - pre-initialised instances (wapc_builtin_options.pre_init):
 * hosts started from a module's image answer exactly as hosts that ran the
 * initialisation themselves (memory grown and written, globals of every
 * type, a funcref global, a grown table, dropped data and element
 * segments), their writes stay their own (copy-on-write), a reset after a
 * trap starts from the image, caps below the image's size are refused, the
 * image is taken once when many threads race for it, a hot swap takes a new
 * one, and real guests of the SDKs give the same answers both ways.  Also
 * run under ThreadSanitizer (scripts/test.sh).
 *
 * Guests (the directory given with --dir): wat/pre_init.wasm; the SDK guests
 * c/echo.wasm, c/libc.wasm, as/echo.wasm, rust/rust_echo_string.wasm,
 * wasi/libc_reactor.wasm and wasi/tinygo_like.wasm where they were built.
 */
#include "wapc.h"

#include "guest_files.h"
#include "test.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bytes pre_init_wasm;

static wapc_builtin_options opts(uint32_t pre_init) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.pre_init = pre_init;
  return o;
}

static wapc_host *new_host(wapc_module *m, uint32_t pre_init) {
  wapc_builtin_options o = opts(pre_init);
  wapc_host *h = NULL;
  char msg[256];
  if (wapc_host_new_builtin_module(&o, m, NULL, NULL, &h, msg, sizeof msg) != WAPC_OK) {
    fprintf(stderr, "new host: %s\n", msg);
    return NULL;
  }
  return h;
}

/* The answer to `op` into `out` (at most 64 bytes); its length, or -1 when the call failed. */
static long call(wapc_host *h, const char *op, uint8_t *out) {
  const uint8_t *r;
  size_t rl;
  if (wapc_host_call(h, op, strlen(op), U8("x"), 1, &r, &rl) != WAPC_OK || rl > 64) return -1;
  memcpy(out, r, rl);
  return (long)rl;
}

static bool debug_says(wapc_host *h, const char *what) {
  return strstr(wapc_host_debug(h), what) != NULL;
}

/* The record of "state" as the initialisation leaves it. */
static void check_record(const uint8_t *s) {
  int32_t i32;
  memcpy(&i32, s, 4);
  CHECK_INT(i32, 4); /* memory.size */
  memcpy(&i32, s + 4, 4);
  CHECK_INT(i32, 5); /* table.size */
  memcpy(&i32, s + 8, 4);
  CHECK_INT(i32, -5);
  int64_t i64;
  memcpy(&i64, s + 12, 8);
  CHECK(i64 == 0x1122334455667788);
  float f32;
  memcpy(&f32, s + 20, 4);
  CHECK(f32 == -0.5f);
  double f64;
  memcpy(&f64, s + 24, 8);
  CHECK(f64 == 1e300);
  memcpy(&i32, s + 32, 4);
  CHECK_INT(i32, 7);
  memcpy(&i32, s + 36, 4);
  CHECK_INT(i32, 11);
  memcpy(&i32, s + 40, 4);
  CHECK_INT(i32, 13);
  CHECK(memcmp(s + 44, "Sw\0\0", 4) == 0);
  CHECK(memcmp(s + 48, "passive ", 8) == 0);
  CHECK(memcmp(s + 56, "acti", 4) == 0);
  /* page 3, byte 200000 - 196608 = 3392 onwards: i * 7 mod 256 */
  for (int k = 0; k < 4; k++)
    CHECK_INT(s[60 + k], (uint8_t)((3392 + k) * 7));
}

/* A fresh host, the host that takes the image and a host from the image answer the same. */
TEST_IMPL(same_state) {
  wapc_module *m = compile_guest(NULL, pre_init_wasm);
  uint8_t fresh[64], taker[64], from[64];
  wapc_host *a = new_host(m, 0), *b = new_host(m, 1), *c = new_host(m, 1);
  CHECK_OR_RETURN(a && b && c);
  CHECK(debug_says(a, "pre-init: off"));
  CHECK(debug_says(b, "pre-init: initialised, then took the image of 262144 bytes of memory"));
  CHECK(debug_says(c, "pre-init: started from the image of 262144 bytes of memory"));
  CHECK(debug_says(c, "copy-on-write"));
  CHECK_INT(call(a, "state", fresh), 64);
  CHECK_INT(call(b, "state", taker), 64);
  CHECK_INT(call(c, "state", from), 64);
  check_record(fresh);
  CHECK(memcmp(fresh, taker, 64) == 0);
  CHECK(memcmp(fresh, from, 64) == 0);
  /* A host made without the option still initialises itself. */
  wapc_host *d = new_host(m, 0);
  CHECK_OR_RETURN(d != NULL);
  CHECK(debug_says(d, "pre-init: off"));
  wapc_host_free(a);
  wapc_host_free(b);
  wapc_host_free(c);
  wapc_host_free(d);
  wapc_module_free(m);
}

static int32_t bump(wapc_host *h, int32_t *global) {
  uint8_t r[64];
  *global = -1;
  if (call(h, "bump", r) != 8) return -1;
  int32_t mem;
  memcpy(&mem, r, 4);
  memcpy(global, r + 4, 4);
  return mem;
}

/* Hosts from one image write their own copies; later hosts still start from the image. */
TEST_IMPL(isolation) {
  wapc_module *m = compile_guest(NULL, pre_init_wasm);
  wapc_host *taker = new_host(m, 1);
  wapc_host *hosts[4];
  for (int i = 0; i < 4; i++)
    hosts[i] = new_host(m, 1);
  CHECK_OR_RETURN(taker && hosts[0] && hosts[1] && hosts[2] && hosts[3]);
  int32_t g;
  for (int round = 1; round <= 3; round++)
    for (int i = 0; i < 4; i++) {
      CHECK_INT(bump(hosts[i], &g), round);
      CHECK_INT(g, round);
    }
  CHECK_INT(bump(taker, &g), 1);
  wapc_host *late = new_host(m, 1);
  CHECK_OR_RETURN(late != NULL);
  CHECK_INT(bump(late, &g), 1);
  CHECK_INT(g, 1);
  for (int i = 0; i < 4; i++)
    wapc_host_free(hosts[i]);
  wapc_host_free(taker);
  wapc_host_free(late);
  wapc_module_free(m);
}

/* Dropped segments stay dropped: the same traps and messages as on a fresh host. */
TEST_IMPL(dropped_segments) {
  wapc_module *m = compile_guest(NULL, pre_init_wasm);
  wapc_host *fresh = new_host(m, 0), *taker = new_host(m, 1), *from = new_host(m, 1);
  CHECK_OR_RETURN(fresh && taker && from);
  const char *ops[] = {"dropped", "elem"};
  for (int i = 0; i < 2; i++) {
    uint8_t r[64];
    CHECK_INT(call(fresh, ops[i], r), -1);
    CHECK_INT(call(from, ops[i], r), -1);
    CHECK_STR(wapc_host_last_error(from), wapc_host_last_error(fresh));
    CHECK(strstr(wapc_host_last_error(from), "out of bounds") != NULL);
  }
  wapc_host_free(fresh);
  wapc_host_free(taker);
  wapc_host_free(from);
  wapc_module_free(m);
}

/* A reset after a trap starts from the image (also on the host that took it). */
TEST_IMPL(reset_after_trap) {
  wapc_module *m = compile_guest(NULL, pre_init_wasm);
  wapc_host *taker = new_host(m, 1), *from = new_host(m, 1);
  CHECK_OR_RETURN(taker && from);
  wapc_host *hs[2] = {taker, from};
  for (int i = 0; i < 2; i++) {
    int32_t g;
    uint8_t r[64];
    CHECK_INT(bump(hs[i], &g), 1);
    CHECK_INT(bump(hs[i], &g), 2);
    CHECK_STATUS(wapc_host_call(hs[i], "trap", 4, U8(""), 0, NULL, NULL), WAPC_ERR_TRAP, hs[i]);
    CHECK_INT(bump(hs[i], &g), 1);
    CHECK_INT(g, 1);
    CHECK(debug_says(hs[i], "pre-init: started from the image"));
    CHECK_INT(call(hs[i], "state", r), 64);
    check_record(r);
  }
  wapc_host_free(taker);
  wapc_host_free(from);
  wapc_module_free(m);
}

/* A host whose memory cap is below the image's memory cannot start from it. */
TEST_IMPL(limits) {
  wapc_module *m = compile_guest(NULL, pre_init_wasm);
  wapc_host *taker = new_host(m, 1);
  CHECK_OR_RETURN(taker != NULL);
  wapc_builtin_options o = opts(1);
  o.max_memory_pages = 3;
  wapc_host *h = NULL;
  char msg[256] = "";
  CHECK(wapc_host_new_builtin_module(&o, m, NULL, NULL, &h, msg, sizeof msg) == WAPC_ERR_LIMIT);
  CHECK(h == NULL);
  CHECK_STR(msg, "limit exceeded: pre-initialised memory of 4 pages exceeds the limit of 3 pages");
  o.max_memory_pages = 4;
  CHECK(wapc_host_new_builtin_module(&o, m, NULL, NULL, &h, msg, sizeof msg) == WAPC_OK);
  uint8_t r[64];
  CHECK_INT(call(h, "state", r), 64);
  check_record(r);
  wapc_host_free(h);
  wapc_host_free(taker);
  wapc_module_free(m);
}

/* Hot swap to a module takes that module's own image. */
TEST_IMPL(hot_swap) {
  wapc_builtin_options o = opts(1);
  wapc_host *h = NULL;
  CHECK_OR_RETURN(wapc_host_new_builtin(&o, NULL, NULL, &h, NULL, 0) == WAPC_OK);
  CHECK_OR_RETURN(wapc_host_load(h, pre_init_wasm.data, pre_init_wasm.len) == WAPC_OK);
  int32_t g;
  CHECK_INT(bump(h, &g), 1);
  CHECK(debug_says(h, "took the image"));
  CHECK(wapc_host_replace_module(h, pre_init_wasm.data, pre_init_wasm.len) == WAPC_OK);
  CHECK(debug_says(h, "took the image"));
  CHECK_INT(bump(h, &g), 1);
  CHECK_STATUS(wapc_host_call(h, "trap", 4, U8(""), 0, NULL, NULL), WAPC_ERR_TRAP, h);
  CHECK_INT(bump(h, &g), 1);
  CHECK(debug_says(h, "started from the image"));
  wapc_host_free(h);
}

typedef struct racer {
  wapc_module *m;
  uint8_t state[64];
  long len;
  int32_t bumped;
} racer;

static void *race(void *arg) {
  racer *r = arg;
  r->len = -1;
  for (int i = 0; i < 5; i++) {
    wapc_host *h = new_host(r->m, 1);
    if (!h) return NULL;
    int32_t g;
    r->bumped = bump(h, &g);
    r->len = call(h, "state", r->state);
    wapc_host_free(h);
  }
  return NULL;
}

/* Threads that all make hosts from a module with no image yet: one takes it, every answer is the same. */
TEST_IMPL(threads) {
  enum { T = 6 };
  wapc_module *m = compile_guest(NULL, pre_init_wasm);
  racer rs[T];
  pthread_t th[T];
  memset(rs, 0, sizeof rs);
  for (int i = 0; i < T; i++) {
    rs[i].m = m;
    CHECK_OR_RETURN(pthread_create(&th[i], NULL, race, &rs[i]) == 0);
  }
  for (int i = 0; i < T; i++)
    pthread_join(th[i], NULL);
  for (int i = 0; i < T; i++) {
    CHECK_INT(rs[i].len, 64);
    CHECK_INT(rs[i].bumped, 1);
    check_record(rs[i].state);
  }
  wapc_host *h = new_host(m, 1);
  CHECK_OR_RETURN(h != NULL);
  CHECK(debug_says(h, "started from the image"));
  wapc_host_free(h);
  wapc_module_free(m);
}

/* Real guests of the SDKs: the same answers from a host of their image as from a fresh one. */
TEST_IMPL(real_guests) {
  static const struct {
    const char *file, *op, *payload;
  } cases[] = {
      {"c/echo.wasm", "reverse", "hello"},
      {"c/libc.wasm", "words", "one two three two"},
      {"as/echo.wasm", "upper", "hello, w\xc3\xb6rld"},
      {"rust/rust_echo_string.wasm", "echo", "\x81\xa3msg\xabhello world"}, /* {"msg": "hello world"} */
      {"wasi/libc_reactor.wasm", "echo", "abc"},
      {"wasi/tinygo_like.wasm", "hello", ""}, /* "not registered" unless _start's state is there */
  };
  int ran = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bytes b = load_guest(cases[i].file, false);
    if (!b.data) continue;
    wapc_module *m = compile_guest(NULL, b);
    free(b.data);
    wapc_host *fresh = new_host(m, 0), *taker = new_host(m, 1), *from = new_host(m, 1);
    CHECK_OR_RETURN(fresh && taker && from);
    CHECK(debug_says(from, "started from the image"));
    wapc_host *hs[3] = {fresh, taker, from};
    wapc_status st[3];
    const uint8_t *resp[3];
    size_t len[3];
    size_t pl = strlen(cases[i].payload);
    for (int k = 0; k < 3; k++) {
      /* Twice: the second call runs on whatever state the first left. */
      for (int rep = 0; rep < 2; rep++) {
        const uint8_t *r = NULL;
        st[k] =
            wapc_host_call(hs[k], cases[i].op, strlen(cases[i].op), U8(cases[i].payload), pl, &r, &len[k]);
        resp[k] = st[k] == WAPC_OK ? r : U8(wapc_host_last_error(hs[k]));
        if (st[k] != WAPC_OK) len[k] = wapc_host_last_error_len(hs[k]);
      }
    }
    for (int k = 1; k < 3; k++) {
      CHECK_INT(st[k], st[0]);
      CHECK(len[k] == len[0] && memcmp(resp[k], resp[0], len[0]) == 0);
    }
    CHECK_INT(st[0], WAPC_OK);
    ran++;
    for (int k = 0; k < 3; k++)
      wapc_host_free(hs[k]);
    wapc_module_free(m);
  }
  CHECK(ran >= 2);
}

static void setup(void) {
  pre_init_wasm = load_file("wat/pre_init.wasm");
}

static void teardown(void) {
  free(pre_init_wasm.data);
}

TEST_LIST_BEGIN
TEST_ENTRY(same_state)
TEST_ENTRY(isolation)
TEST_ENTRY(dropped_segments)
TEST_ENTRY(reset_after_trap)
TEST_ENTRY(limits)
TEST_ENTRY(hot_swap)
TEST_ENTRY(threads)
TEST_ENTRY(real_guests)
TEST_LIST_END

int main(int argc, char **argv) {
  return test_main(argc, argv, "api.preinit", test_cases, setup, teardown);
}
