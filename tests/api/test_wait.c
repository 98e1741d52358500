/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_wait.c - no call outlives its deadline: waits inside host functions
 * (a WASI poll_oneoff sleep, relative and absolute; a blocking fd_read on a
 * pipe; a slow host callback; a slow log hook; a sleeping wapc_init) end at
 * the call's or the initialisation's deadline with WAPC_ERR_DEADLINE, and an
 * interrupt from another thread wakes them with WAPC_ERR_INTERRUPTED; the
 * host serves the next call.  Stops are timed: each must come within
 * SLACK_MS of its deadline or interrupt (generous, the machines are shared;
 * the measured delays are printed).
 *
 * Cases (test.h): test_api_wait [--dir <build>/guests] [CASE...]   (uses wat/wait.wasm, wat/init_wait.wasm)
 */
#include "test.h"
#include "guest_files.h"
#include "wapc.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define SLACK_MS 1500.0

static bytes wait_wasm, init_wait_wasm;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static wapc_host *new_wait_host(const wapc_builtin_options *o, wapc_host_callback cb, void *user) {
  wapc_host *h = NULL;
  wapc_status st = wapc_host_new_builtin(o, cb, user, &h, NULL, 0);
  CHECK_STATUS(st, WAPC_OK, h);
  if (!h) exit(2);
  CHECK_STATUS(wapc_host_load(h, wait_wasm.data, wait_wasm.len), WAPC_OK, h);
  return h;
}

/* Call `op` with the u32 N as payload. */
static wapc_status call_n(wapc_host *h, const char *op, uint32_t n, const uint8_t **r, size_t *rl) {
  uint8_t p[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
  return wapc_host_call(h, op, strlen(op), p, 4, r, rl);
}

/* A stop `took` ms after the start, `at` ms being when it was due. */
static void check_prompt(const char *what, double took, double at) {
  printf("  %s: stopped %.1f ms after %.0f ms\n", what, took - at, at);
  CHECK(took >= at - 1.0);
  CHECK(took <= at + SLACK_MS);
}

static void check_serves(wapc_host *h) {
  const uint8_t *r;
  size_t rl;
  CHECK_STATUS(wapc_host_call(h, "e", 1, U8("still here"), 10, &r, &rl), WAPC_OK, h);
  CHECK_BYTES(r, rl, "still here");
}

/* ---- interrupts from another thread ---------------------------------------------------------- */

typedef struct interrupter {
  wapc_host *host;
  long after_ms;
  pthread_t thread;
} interrupter;

static void *interrupt_later(void *arg) {
  interrupter *in = arg;
  sleep_ms(in->after_ms);
  wapc_host_interrupt(in->host);
  return NULL;
}

static void interrupt_in(interrupter *in, wapc_host *h, long ms) {
  in->host = h;
  in->after_ms = ms;
  if (pthread_create(&in->thread, NULL, interrupt_later, in) != 0) exit(2);
}

/* ---- poll_oneoff ------------------------------------------------------------------------------- */

TEST_IMPL(sleep) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.timeout_ms = 100;
  wapc_host *h = new_wait_host(&o, NULL, NULL);
  const uint8_t *r;
  size_t rl;
  /* A short sleep finishes: the wait is a real sleep of at least its time. */
  double t0 = now_ms();
  CHECK_STATUS(call_n(h, "s", 20, &r, &rl), WAPC_OK, h);
  CHECK_BYTES(r, rl, "slept");
  CHECK(now_ms() - t0 >= 20.0);
  /* A 10 s sleep (relative, then absolute) ends at the 100 ms deadline. */
  const char *ops[] = {"s", "a"};
  for (int i = 0; i < 2; i++) {
    t0 = now_ms();
    CHECK_STATUS(call_n(h, ops[i], 10000, &r, &rl), WAPC_ERR_DEADLINE, h);
    check_prompt(i ? "absolute sleep past the call deadline" : "sleep past the call deadline", now_ms() - t0,
                 100);
    CHECK_MSG(h, "deadline exceeded");
    CHECK(r == NULL && rl == 0);
    check_serves(h);
  }
  wapc_host_free(h);
}

TEST_IMPL(sleep_interrupt) {
  wapc_host *h = new_wait_host(NULL, NULL, NULL);
  const uint8_t *r;
  size_t rl;
  for (int round = 0; round < 3; round++) {
    interrupter in;
    double t0 = now_ms();
    interrupt_in(&in, h, 100);
    CHECK_STATUS(call_n(h, "s", 10000, &r, &rl), WAPC_ERR_INTERRUPTED, h);
    check_prompt("sleep interrupted", now_ms() - t0, 100);
    CHECK_MSG(h, "interrupted");
    pthread_join(in.thread, NULL);
    check_serves(h);
  }
  /* The wake-up left nothing behind: a later sleep sleeps its whole time. */
  double t0 = now_ms();
  CHECK_STATUS(call_n(h, "s", 50, &r, &rl), WAPC_OK, h);
  CHECK(now_ms() - t0 >= 50.0);
  /* A request made between calls stops the next sleep at once. */
  CHECK_STATUS(wapc_host_interrupt(h), WAPC_OK, h);
  t0 = now_ms();
  CHECK_STATUS(call_n(h, "s", 10000, &r, &rl), WAPC_ERR_INTERRUPTED, h);
  check_prompt("sleep after a pending interrupt", now_ms() - t0, 0);
  check_serves(h);
  wapc_host_free(h);
}

/* ---- a blocking read ----------------------------------------------------------------------------- */

TEST_IMPL(read) {
  int fds[2];
  if (pipe(fds) != 0) exit(2);
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.timeout_ms = 100;
  o.wasi_stdin.mode = WAPC_STDIO_FD;
  o.wasi_stdin.fd = fds[0];
  wapc_host *h = new_wait_host(&o, NULL, NULL);
  const uint8_t *r;
  size_t rl;
  /* Nothing is ever written: the read would wait forever. */
  double t0 = now_ms();
  CHECK_STATUS(wapc_host_call(h, "r", 1, NULL, 0, &r, &rl), WAPC_ERR_DEADLINE, h);
  check_prompt("read of an empty pipe past the call deadline", now_ms() - t0, 100);
  CHECK_MSG(h, "deadline exceeded");
  /* Data that is there is read. */
  CHECK(write(fds[1], "hi", 2) == 2);
  CHECK_STATUS(wapc_host_call(h, "r", 1, NULL, 0, &r, &rl), WAPC_OK, h);
  CHECK_BYTES(r, rl, "hi");
  wapc_host_free(h);

  /* No deadline: an interrupt wakes the reader. */
  o.timeout_ms = 0;
  h = new_wait_host(&o, NULL, NULL);
  interrupter in;
  t0 = now_ms();
  interrupt_in(&in, h, 100);
  CHECK_STATUS(wapc_host_call(h, "r", 1, NULL, 0, &r, &rl), WAPC_ERR_INTERRUPTED, h);
  check_prompt("read of an empty pipe interrupted", now_ms() - t0, 100);
  pthread_join(in.thread, NULL);
  /* The writer goes away: end of file, an empty answer. */
  close(fds[1]);
  CHECK_STATUS(wapc_host_call(h, "r", 1, NULL, 0, &r, &rl), WAPC_OK, h);
  CHECK(rl == 0);
  wapc_host_free(h);
  close(fds[0]);
}

/* ---- slow host code: the guest does not go on past the deadline ---------------------------------- */

static int slow_calls;

static void slow_callback(void *user, uint64_t id, wapc_str binding, wapc_str ns, wapc_str op,
                          const uint8_t *payload, size_t len, wapc_result *result) {
  (void)user, (void)id, (void)binding, (void)ns, (void)op, (void)payload, (void)len;
  slow_calls++;
  sleep_ms(300);
  wapc_result_set_bytes(result, "late", 4);
}

static int slow_logs;

static void slow_log(void *user, uint64_t id, const char *msg, size_t len) {
  (void)user, (void)id, (void)msg, (void)len;
  slow_logs++;
  sleep_ms(300);
}

TEST_IMPL(slow_host_code) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.timeout_ms = 100;
  wapc_host *h = new_wait_host(&o, slow_callback, NULL);
  const uint8_t *r;
  size_t rl;
  /* The callback runs to its end (it is the application's code), then the call stops. */
  double t0 = now_ms();
  CHECK_STATUS(wapc_host_call(h, "h", 1, U8("x"), 1, &r, &rl), WAPC_ERR_DEADLINE, h);
  CHECK(slow_calls == 1);
  check_prompt("guest after a slow host callback", now_ms() - t0, 300);
  CHECK_MSG(h, "deadline exceeded");
  check_serves(h);
  CHECK_STATUS(wapc_host_set_log_hook(h, slow_log, NULL), WAPC_OK, h);
  t0 = now_ms();
  CHECK_STATUS(wapc_host_call(h, "l", 1, NULL, 0, &r, &rl), WAPC_ERR_DEADLINE, h);
  CHECK(slow_logs == 1);
  check_prompt("guest after a slow log hook", now_ms() - t0, 300);
  check_serves(h);
  wapc_host_free(h);
}

/* ---- initialisation ------------------------------------------------------------------------------ */

TEST_IMPL(init) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.init_timeout_ms = 100;
  wapc_host *h = NULL;
  CHECK_STATUS(wapc_host_new_builtin(&o, NULL, NULL, &h, NULL, 0), WAPC_OK, h);
  double t0 = now_ms();
  CHECK_STATUS(wapc_host_load(h, init_wait_wasm.data, init_wait_wasm.len), WAPC_ERR_DEADLINE, h);
  check_prompt("wapc_init sleeping past the init deadline", now_ms() - t0, 100);
  CHECK_MSG(h, "wapc_init failed: deadline exceeded");
  /* A hot swap to it fails the same way and the old guest keeps serving. */
  CHECK_STATUS(wapc_host_load(h, wait_wasm.data, wait_wasm.len), WAPC_OK, h);
  t0 = now_ms();
  CHECK_STATUS(wapc_host_replace_module(h, init_wait_wasm.data, init_wait_wasm.len), WAPC_ERR_DEADLINE, h);
  check_prompt("hot swap to a sleeping wapc_init", now_ms() - t0, 100);
  check_serves(h);
  wapc_host_free(h);

  /* No init deadline: an interrupt from another thread stops the load. */
  CHECK_STATUS(wapc_host_new_builtin(NULL, NULL, NULL, &h, NULL, 0), WAPC_OK, h);
  interrupter in;
  t0 = now_ms();
  interrupt_in(&in, h, 100);
  CHECK_STATUS(wapc_host_load(h, init_wait_wasm.data, init_wait_wasm.len), WAPC_ERR_INTERRUPTED, h);
  check_prompt("load interrupted in wapc_init", now_ms() - t0, 100);
  CHECK_MSG(h, "wapc_init failed: interrupted");
  pthread_join(in.thread, NULL);
  wapc_host_free(h);

  /* A host from a compiled module is initialised under the same deadline. */
  wapc_module *m = NULL;
  char msg[256];
  CHECK(wapc_module_compile(NULL, init_wait_wasm.data, init_wait_wasm.len, &m, msg, sizeof msg) == WAPC_OK);
  t0 = now_ms();
  h = NULL;
  CHECK(wapc_host_new_builtin_module(&o, m, NULL, NULL, &h, msg, sizeof msg) == WAPC_ERR_DEADLINE);
  check_prompt("host from a compiled module, sleeping wapc_init", now_ms() - t0, 100);
  CHECK(h == NULL);
  CHECK(strcmp(msg, "wapc_init failed: deadline exceeded") == 0);
  wapc_module_free(m);
}

static void setup(void) {
  wait_wasm = load_file("wat/wait.wasm");
  init_wait_wasm = load_file("wat/init_wait.wasm");
}

static void teardown(void) {
  free(wait_wasm.data);
  free(init_wait_wasm.data);
}

TEST_LIST_BEGIN
TEST_ENTRY(sleep)
TEST_ENTRY(sleep_interrupt)
TEST_ENTRY(read)
TEST_ENTRY(slow_host_code)
TEST_ENTRY(init)
TEST_LIST_END

int main(int argc, char **argv) {
  return test_main(argc, argv, "api.wait", test_cases, setup, teardown);
}
