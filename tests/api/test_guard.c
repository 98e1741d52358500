/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_guard.c - the guardrails of the public API (issue 5) on the built-in
 * engine: an infinite loop stopped by the call timeout, by fuel and by
 * wapc_host_interrupt() from another thread (and from the host callback,
 * and before the call starts), the initialisation timeout, the memory,
 * table and recursion bombs, the payload / response / host-call / log-line
 * caps, recovery on a fresh instance after every kind of stop (and the old
 * behaviour with reset_after_trap = 0), replace_module from a host callback
 * (busy), 1,000 traps in a row on an AssemblyScript guest, and WAPC_ERR_MISUSE
 * from every public function given NULL or nonsense.
 *
 * Cases (test.h): test_api_guard [--dir <build>/guests] [CASE...]   (uses wat/guard.wasm, wat/init_loop.wasm,
 *        wat/big_memory.wasm, wat/echo.wasm and, when built, as/abort.wasm)
 */
#include "wapc_engine.h"
#include "test.h"
#include "guest_files.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bytes guard_wasm, init_loop_wasm, big_memory_wasm, echo_wasm;

static wapc_host *new_guard_host(const wapc_builtin_options *o, wapc_host_callback cb, void *user) {
  wapc_host *h = NULL;
  wapc_status st = wapc_host_new_builtin(o, cb, user, &h, NULL, 0);
  CHECK_STATUS(st, WAPC_OK, h);
  if (!h) exit(2);
  CHECK_STATUS(wapc_host_load(h, guard_wasm.data, guard_wasm.len), WAPC_OK, h);
  return h;
}

static wapc_status call_str(wapc_host *h, const char *op, const char *payload, const uint8_t **r,
                            size_t *rl) {
  return wapc_host_call(h, op, strlen(op), U8(payload), strlen(payload), r, rl);
}

/* Call `op` with the u32 N as payload. */
static wapc_status call_n(wapc_host *h, const char *op, uint32_t n) {
  uint8_t p[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
  return wapc_host_call(h, op, strlen(op), p, 4, NULL, NULL);
}

/* Call an operation that answers a u32; UINT32_MAX on failure. */
static uint32_t call_u32(wapc_host *h, const char *op) {
  const uint8_t *r;
  size_t rl;
  wapc_status st = wapc_host_call(h, op, strlen(op), NULL, 0, &r, &rl);
  CHECK_STATUS(st, WAPC_OK, h);
  if (st != WAPC_OK || rl != 4) return UINT32_MAX;
  return (uint32_t)r[0] | (uint32_t)r[1] << 8 | (uint32_t)r[2] << 16 | (uint32_t)r[3] << 24;
}

/* A normal call answers: the host recovered. */
static void check_echo(wapc_host *h) {
  const uint8_t *r;
  size_t rl;
  CHECK_STATUS(call_str(h, "e", "still here", &r, &rl), WAPC_OK, h);
  CHECK_BYTES(r, rl, "still here");
}

/* ---- deadlines and fuel ----------------------------------------------------------------- */

TEST_IMPL(timeout) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.timeout_ms = 50;
  wapc_host *h = new_guard_host(&o, NULL, NULL);
  CHECK(call_u32(h, "c") == 1);
  CHECK(call_u32(h, "c") == 2);
  CHECK_STATUS(call_str(h, "l", "", NULL, NULL), WAPC_ERR_DEADLINE, h);
  CHECK_MSG(h, "deadline exceeded");
  /* A fresh instance: the call counter starts again. */
  CHECK(call_u32(h, "c") == 1);
  check_echo(h);
  /* And again: the host does not wear out. */
  for (int i = 0; i < 3; i++)
    CHECK_STATUS(call_str(h, "l", "", NULL, NULL), WAPC_ERR_DEADLINE, h);
  check_echo(h);
  wapc_host_free(h);
}

TEST_IMPL(fuel) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.fuel = 1000000;
  wapc_host *h = new_guard_host(&o, NULL, NULL);
  CHECK_STATUS(call_str(h, "l", "", NULL, NULL), WAPC_ERR_LIMIT, h);
  CHECK_MSG(h, "fuel exhausted");
  /* A bounded loop within the budget runs; the budget is per call. */
  for (int i = 0; i < 3; i++)
    CHECK_STATUS(call_n(h, "s", 10000), WAPC_OK, h);
  CHECK_STATUS(call_n(h, "s", 100000000), WAPC_ERR_LIMIT, h);
  CHECK_MSG(h, "fuel exhausted");
  check_echo(h);
  wapc_host_free(h);
}

TEST_IMPL(init_timeout) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.init_timeout_ms = 50;
  wapc_host *h = NULL;
  CHECK_STATUS(wapc_host_new_builtin(&o, NULL, NULL, &h, NULL, 0), WAPC_OK, h);
  CHECK_STATUS(wapc_host_load(h, init_loop_wasm.data, init_loop_wasm.len), WAPC_ERR_DEADLINE, h);
  CHECK_MSG(h, "wapc_init failed: deadline exceeded");
  /* The host stays usable: load a good module, then a hot swap that hangs keeps it. */
  CHECK_STATUS(wapc_host_load(h, guard_wasm.data, guard_wasm.len), WAPC_OK, h);
  CHECK_STATUS(wapc_host_replace_module(h, init_loop_wasm.data, init_loop_wasm.len), WAPC_ERR_DEADLINE, h);
  check_echo(h);
  wapc_host_free(h);

  /* The call timeout does not apply to the initialisation, nor the init timeout to calls. */
  wapc_builtin_options_init(&o);
  o.timeout_ms = 30;
  o.init_timeout_ms = 60000;
  h = new_guard_host(&o, NULL, NULL);
  CHECK_STATUS(call_str(h, "l", "", NULL, NULL), WAPC_ERR_DEADLINE, h);
  wapc_host_free(h);
}

/* ---- interruption ---------------------------------------------------------------------- */

typedef struct call_job {
  wapc_host *host;
  const char *op;
  wapc_status st;
  char msg[64];
} call_job;

static void *call_thread(void *arg) {
  call_job *j = arg;
  j->st = call_str(j->host, j->op, "", NULL, NULL);
  snprintf(j->msg, sizeof j->msg, "%s", wapc_host_last_error(j->host));
  return NULL;
}

typedef struct load_job {
  wapc_host *host;
  wapc_status st;
  char msg[64];
} load_job;

static void *load_thread(void *arg) {
  load_job *j = arg;
  j->st = wapc_host_load(j->host, init_loop_wasm.data, init_loop_wasm.len);
  snprintf(j->msg, sizeof j->msg, "%s", wapc_host_last_error(j->host));
  return NULL;
}

static void interrupt_from_callback(void *user, uint64_t id, wapc_str binding, wapc_str ns, wapc_str op,
                                    const uint8_t *payload, size_t len, wapc_result *result) {
  (void)id, (void)binding, (void)ns, (void)op, (void)payload, (void)len;
  wapc_host **h = user;
  CHECK(wapc_host_interrupt(*h) == WAPC_OK);
  wapc_result_set_bytes(result, "x", 1);
}

TEST_IMPL(interrupt) {
  wapc_host *h = new_guard_host(NULL, NULL, NULL);
  /* From another thread, while the call runs (or, if the thread is slow to start, just before). */
  for (int i = 0; i < 10; i++) {
    call_job j = {h, "l", WAPC_OK, ""};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, call_thread, &j) == 0);
    sleep_ms(i == 0 ? 50 : 2 * i);
    CHECK(wapc_host_interrupt(h) == WAPC_OK);
    pthread_join(t, NULL);
    CHECK_STATUS(j.st, WAPC_ERR_INTERRUPTED, h);
    CHECK_BYTES(j.msg, strlen(j.msg), "interrupted");
    CHECK(call_u32(h, "c") == 1); /* fresh instance */
  }
  check_echo(h);

  /* A request made while nothing runs stops the next call only. */
  CHECK(wapc_host_interrupt(h) == WAPC_OK);
  CHECK(wapc_host_interrupt(h) == WAPC_OK); /* two requests count as one */
  CHECK_STATUS(call_str(h, "e", "x", NULL, NULL), WAPC_ERR_INTERRUPTED, h);
  CHECK_MSG(h, "interrupted");
  check_echo(h);
  check_echo(h);

  /* A pending request stops a hot swap's initialisation; the old module keeps serving. */
  CHECK(wapc_host_interrupt(h) == WAPC_OK);
  CHECK_STATUS(wapc_host_replace_module(h, init_loop_wasm.data, init_loop_wasm.len), WAPC_ERR_INTERRUPTED, h);
  CHECK_MSG(h, "wapc_init failed: interrupted");
  check_echo(h);
  wapc_host_free(h);

  /* From the host callback: the guest stops when the callback returns into it. */
  wapc_host *hc = NULL;
  hc = new_guard_host(NULL, interrupt_from_callback, &hc);
  CHECK_STATUS(call_n(hc, "H", 3), WAPC_ERR_INTERRUPTED, hc);
  check_echo(hc);
  wapc_host_free(hc);

  /* A hanging initialisation, from another thread. */
  load_job lj = {NULL, WAPC_OK, ""};
  CHECK_STATUS(wapc_host_new_builtin(NULL, NULL, NULL, &lj.host, NULL, 0), WAPC_OK, lj.host);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, load_thread, &lj) == 0);
  sleep_ms(30);
  CHECK(wapc_host_interrupt(lj.host) == WAPC_OK);
  pthread_join(t, NULL);
  CHECK_STATUS(lj.st, WAPC_ERR_INTERRUPTED, lj.host);
  CHECK_BYTES(lj.msg, strlen(lj.msg), "wapc_init failed: interrupted");
  wapc_host_free(lj.host);
}

/* ---- memory, table and recursion bombs ------------------------------------------------------ */

TEST_IMPL(bombs) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.max_memory_pages = 40;
  o.max_table_elems = 5000;
  o.max_call_depth = 500;
  wapc_host *h = new_guard_host(&o, NULL, NULL);
  /* memory.grow returns -1 at the cap: the guest sees it and answers the size it reached. */
  CHECK(call_u32(h, "g") == 40);
  CHECK(call_u32(h, "g") == 40);
  /* table.grow by 1000 from 1: 4001 fits in 5000, 5001 does not. */
  CHECK(call_u32(h, "t") == 4001);
  CHECK_STATUS(call_str(h, "r", "", NULL, NULL), WAPC_ERR_TRAP, h);
  CHECK_MSG(h, "trap: call stack exhausted");
  check_echo(h);
  wapc_host_free(h);

  /* A module whose initial memory exceeds the cap is refused at load. */
  wapc_builtin_options_init(&o);
  o.max_memory_pages = 50;
  CHECK_STATUS(wapc_host_new_builtin(&o, NULL, NULL, &h, NULL, 0), WAPC_OK, h);
  CHECK_STATUS(wapc_host_load(h, big_memory_wasm.data, big_memory_wasm.len), WAPC_ERR_LIMIT, h);
  CHECK(strstr(wapc_host_last_error(h), "memory of 100 pages exceeds the limit of 50 pages") != NULL);
  wapc_host_free(h);

  /* The default caps stop the bombs too (memory: 1 GiB takes a while; table and stack are quick). */
  h = new_guard_host(NULL, NULL, NULL);
  CHECK(call_u32(h, "t") == 9999001); /* 10,000,001 would pass the 10,000,000 cap */
  CHECK_STATUS(call_str(h, "r", "", NULL, NULL), WAPC_ERR_TRAP, h);
  CHECK_MSG(h, "trap: call stack exhausted");
  wapc_host_free(h);
}

/* ---- size caps -------------------------------------------------------------------------------- */

typedef struct counts {
  int calls, logs;
  size_t last_log_len, last_payload_len;
  char last_log[128]; /* the last line's first bytes, NUL-terminated */
} counts;

static void count_callback(void *user, uint64_t id, wapc_str binding, wapc_str ns, wapc_str op,
                           const uint8_t *payload, size_t len, wapc_result *result) {
  (void)id, (void)binding, (void)ns, (void)op, (void)payload;
  counts *c = user;
  c->calls++;
  c->last_payload_len = len;
  wapc_result_set_bytes(result, "ok", 2);
}

static void count_log(void *user, uint64_t id, const char *msg, size_t len) {
  (void)id;
  counts *c = user;
  c->logs++;
  c->last_log_len = len;
  size_t keep = len < sizeof c->last_log - 1 ? len : sizeof c->last_log - 1;
  memcpy(c->last_log, msg, keep);
  c->last_log[keep] = 0;
}

TEST_IMPL(sizes) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.max_payload = 16;
  o.max_response = 100;
  o.max_host_call = 10;
  o.max_log_line = 12;
  counts c = {0, 0, 0, 0, {0}};
  wapc_host *h = new_guard_host(&o, count_callback, &c);
  CHECK_STATUS(wapc_host_set_log_hook(h, count_log, &c), WAPC_OK, h);
  const uint8_t *r;
  size_t rl;
  CHECK_STATUS(call_str(h, "e", "0123456789abcdef", &r, &rl), WAPC_OK, h);
  CHECK_BYTES(r, rl, "0123456789abcdef");
  CHECK_STATUS(call_str(h, "e", "0123456789abcdefg", &r, &rl), WAPC_ERR_LIMIT, h);
  CHECK_MSG(h, "payload of 17 bytes exceeds the limit of 16 bytes");
  CHECK(r == NULL && rl == 0);
  CHECK_STATUS(call_str(h, "eeeeeeeeeeeeeeeee", "", NULL, NULL), WAPC_ERR_LIMIT, h);
  CHECK_MSG(h, "operation of 17 bytes exceeds the limit of 16 bytes");

  CHECK_STATUS(call_n(h, "R", 100), WAPC_OK, h);
  CHECK_STATUS(call_n(h, "R", 101), WAPC_ERR_LIMIT, h);
  CHECK_MSG(h, "guest response of 101 bytes exceeds the limit of 100 bytes");
  /* An absurd length past the end of memory is still out of bounds, not an allocation. */
  CHECK_STATUS(call_n(h, "R", 0xfffffff0u), WAPC_ERR_TRAP, h);
  CHECK_MSG(h, "trap: out of bounds memory access");
  CHECK_STATUS(call_n(h, "E", 100), WAPC_ERR_GUEST, h);
  CHECK(wapc_host_last_error_len(h) == 100);
  CHECK_STATUS(call_n(h, "E", 101), WAPC_ERR_LIMIT, h);
  CHECK_MSG(h, "guest error of 101 bytes exceeds the limit of 100 bytes");

  CHECK_STATUS(call_n(h, "L", 12), WAPC_OK, h);
  CHECK(c.logs == 1 && c.last_log_len == 12);
  /* Logging never changes the result: a line over the cap is cut, marked and counted. */
  CHECK_STATUS(call_n(h, "L", 13), WAPC_OK, h);
  CHECK(c.logs == 2);
  CHECK_BYTES(c.last_log, strlen(c.last_log), " [log line truncated: 13 bytes, limit 12]");
  CHECK(strstr(wapc_host_debug(h), "log lines truncated: 1") != NULL);

  /* binding, namespace and operation are "done" (12 bytes together): over the 10-byte cap. */
  CHECK_STATUS(call_n(h, "H", 3), WAPC_ERR_LIMIT, h);
  CHECK_MSG(h, "host call binding, namespace and operation of 12 bytes exceeds the limit of 10 bytes");
  CHECK(c.calls == 0);
  check_echo(h);
  wapc_host_free(h);

  wapc_builtin_options_init(&o);
  o.max_host_call = 20;
  h = new_guard_host(&o, count_callback, &c);
  CHECK_STATUS(call_n(h, "H", 20), WAPC_OK, h);
  CHECK(c.calls == 1 && c.last_payload_len == 20);
  CHECK_STATUS(call_n(h, "H", 21), WAPC_ERR_LIMIT, h);
  CHECK_MSG(h, "host call payload of 21 bytes exceeds the limit of 20 bytes");
  CHECK(c.calls == 1);
  wapc_host_free(h);

  /* A 100,000-byte line with a 64-byte cap: 19 bytes of it, then the marker, 64 in all. */
  wapc_builtin_options_init(&o);
  o.max_log_line = 64;
  h = new_guard_host(&o, count_callback, &c);
  CHECK_STATUS(wapc_host_set_log_hook(h, count_log, &c), WAPC_OK, h);
  c.logs = 0;
  CHECK_STATUS(call_n(h, "L", 100000), WAPC_OK, h);
  CHECK(c.logs == 1 && c.last_log_len == 64);
  CHECK_BYTES(c.last_log + 19, strlen(c.last_log + 19), " [log line truncated: 100000 bytes, limit 64]");
  CHECK_STATUS(call_n(h, "L", 100000), WAPC_OK, h);
  CHECK(strstr(wapc_host_debug(h), "log lines truncated: 2") != NULL);
  check_echo(h);
  wapc_host_free(h);
}

/* ---- recovery ------------------------------------------------------------------------------------ */

TEST_IMPL(keep_instance) {
  /* reset_after_trap = 0: the stopped instance keeps serving, its state included. */
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.reset_after_trap = 0;
  o.timeout_ms = 30;
  wapc_host *h = new_guard_host(&o, NULL, NULL);
  CHECK(call_u32(h, "c") == 1);
  CHECK_STATUS(call_str(h, "l", "", NULL, NULL), WAPC_ERR_DEADLINE, h);
  CHECK_STATUS(call_str(h, "u", "", NULL, NULL), WAPC_ERR_TRAP, h);
  CHECK_MSG(h, "trap: unreachable");
  CHECK(wapc_host_interrupt(h) == WAPC_OK);
  CHECK_STATUS(call_str(h, "e", "", NULL, NULL), WAPC_ERR_INTERRUPTED, h);
  CHECK(call_u32(h, "c") == 5);
  wapc_host_free(h);

  /* The default: each stop gives a fresh instance. */
  wapc_builtin_options_init(&o);
  o.timeout_ms = 30;
  h = new_guard_host(&o, NULL, NULL);
  CHECK(call_u32(h, "c") == 1);
  CHECK(call_u32(h, "c") == 2);
  CHECK_STATUS(call_str(h, "u", "", NULL, NULL), WAPC_ERR_TRAP, h);
  CHECK(call_u32(h, "c") == 1);
  CHECK(call_u32(h, "c") == 2);
  wapc_host_free(h);
}

TEST_IMPL(as_traps) {
  bytes as = load_guest("as/abort.wasm", false);
  if (!as.data) {
    printf("test_api_guard: as/abort.wasm not built: skipping the AssemblyScript trap test\n");
    return;
  }
  for (int reset = 1; reset >= 0; reset--) {
    wapc_builtin_options o;
    wapc_builtin_options_init(&o);
    o.reset_after_trap = (uint32_t)reset;
    wapc_host *h = NULL;
    CHECK_STATUS(wapc_host_new_builtin(&o, NULL, NULL, &h, NULL, 0), WAPC_OK, h);
    CHECK_STATUS(wapc_host_load(h, as.data, as.len), WAPC_OK, h);
    int traps = 0;
    for (int i = 0; i < 1000; i++)
      if (call_str(h, "throw", "x", NULL, NULL) == WAPC_ERR_TRAP) traps++;
    CHECK(traps == 1000);
    const uint8_t *r;
    size_t rl;
    wapc_status st = call_str(h, "ok", "", &r, &rl);
    if (reset) {
      CHECK_STATUS(st, WAPC_OK, h);
      CHECK_BYTES(r, rl, "fine");
    } else {
      /* The SDK leaks its shadow stack on every trap: the kept instance is dead by now. */
      CHECK(st != WAPC_OK);
    }
    wapc_host_free(h);
  }
  free(as.data);
}

/* ---- busy ------------------------------------------------------------------------------------------ */

typedef struct busy_ctx {
  wapc_host *host;
  wapc_status replace, load, call;
} busy_ctx;

static void busy_callback(void *user, uint64_t id, wapc_str binding, wapc_str ns, wapc_str op,
                          const uint8_t *payload, size_t len, wapc_result *result) {
  (void)id, (void)binding, (void)ns, (void)op, (void)payload, (void)len;
  busy_ctx *b = user;
  b->replace = wapc_host_replace_module(b->host, echo_wasm.data, echo_wasm.len);
  b->load = wapc_host_load(b->host, echo_wasm.data, echo_wasm.len);
  b->call = wapc_host_call(b->host, "e", 1, NULL, 0, NULL, NULL);
  wapc_result_set_bytes(result, "x", 1);
}

TEST_IMPL(busy) {
  busy_ctx b = {NULL, WAPC_OK, WAPC_OK, WAPC_OK};
  b.host = new_guard_host(NULL, busy_callback, &b);
  CHECK_STATUS(call_n(b.host, "H", 3), WAPC_OK, b.host);
  CHECK_STATUS(b.replace, WAPC_ERR_BUSY, b.host);
  CHECK_STATUS(b.load, WAPC_ERR_BUSY, b.host);
  CHECK_STATUS(b.call, WAPC_ERR_BUSY, b.host);
  /* Still the guard module, intact. */
  CHECK(call_u32(b.host, "c") == 2);
  check_echo(b.host);
  wapc_host_free(b.host);
}

/* ---- misuse ---------------------------------------------------------------------------------------- */

TEST_IMPL(stats) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.timeout_ms = 50;
  counts c = {0, 0, 0, 0, {0}};
  wapc_host *h = new_guard_host(&o, count_callback, &c);
  wapc_host_stats s;
  CHECK(wapc_host_stats_get(h, &s) == WAPC_OK && s.calls == 0);
  CHECK_STATUS(call_str(h, "e", "ok", NULL, NULL), WAPC_OK, h);
  CHECK_STATUS(call_n(h, "E", 3), WAPC_ERR_GUEST, h);
  CHECK_STATUS(call_str(h, "u", "", NULL, NULL), WAPC_ERR_TRAP, h);
  CHECK_STATUS(call_str(h, "l", "", NULL, NULL), WAPC_ERR_DEADLINE, h);
  CHECK_STATUS(call_n(h, "H", 4), WAPC_OK, h);
  CHECK_STATUS(call_n(h, "R", 0x7fffffff), WAPC_ERR_TRAP, h);
  CHECK(wapc_host_stats_get(h, &s) == WAPC_OK);
  CHECK_INT(s.calls, 6);
  CHECK_INT(s.guest_errors, 1);
  CHECK_INT(s.traps, 2);
  CHECK_INT(s.deadlines, 1);
  CHECK_INT(s.interrupts, 0);
  CHECK_INT(s.host_calls, 1);
  CHECK_INT(s.host_call_failures, 0);
  /* A refused call (busy, misuse) never reaches the engine and is not counted. */
  CHECK(wapc_host_call(h, NULL, 3, NULL, 0, NULL, NULL) == WAPC_ERR_MISUSE);
  CHECK(wapc_host_stats_get(h, &s) == WAPC_OK && s.calls == 6);
  CHECK(wapc_host_stats_get(NULL, &s) == WAPC_ERR_MISUSE);
  CHECK(wapc_host_stats_get(h, NULL) == WAPC_ERR_MISUSE);
  wapc_host_free(h);
}

TEST_IMPL(misuse) {
  CHECK(strcmp(wapc_status_str((wapc_status)999), "unknown status") == 0);
  CHECK(strcmp(wapc_status_name((wapc_status)-1), "WAPC_UNKNOWN") == 0);
  CHECK(strcmp(wapc_status_str(WAPC_ERR_DEADLINE), "deadline exceeded") == 0);
  CHECK(strcmp(wapc_status_str(WAPC_ERR_INTERRUPTED), "interrupted") == 0);
  CHECK(wapc_version() != NULL);

  CHECK(wapc_result_set_bytes(NULL, "x", 1) == WAPC_ERR_MISUSE);
  CHECK(wapc_result_set_error(NULL, "x") == WAPC_ERR_MISUSE);
  CHECK(wapc_result_set_error_bytes(NULL, "x", 1) == WAPC_ERR_MISUSE);

  wapc_host *h = (wapc_host *)(uintptr_t)1;
  CHECK(wapc_host_new(NULL, NULL, NULL, &h, NULL, 0) == WAPC_ERR_MISUSE);
  CHECK(h == NULL);
  wapc_engine_provider p;
  CHECK(wapc_builtin_provider(NULL, &p, NULL, 0) == WAPC_OK);
  CHECK(wapc_host_new(&p, NULL, NULL, NULL, NULL, 0) == WAPC_ERR_MISUSE); /* p is destroyed */
  CHECK(wapc_builtin_provider(NULL, &p, NULL, 0) == WAPC_OK);
  p.abi_version = 99;
  CHECK(wapc_host_new(&p, NULL, NULL, &h, NULL, 0) == WAPC_ERR_MISUSE);
  CHECK(wapc_builtin_provider(NULL, NULL, NULL, 0) == WAPC_ERR_MISUSE);
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.struct_size = 3;
  CHECK(wapc_builtin_provider(&o, &p, NULL, 0) == WAPC_ERR_MISUSE);
  CHECK(wapc_host_new_builtin(&o, NULL, NULL, &h, NULL, 0) == WAPC_ERR_MISUSE);
  CHECK(wapc_host_new_builtin(NULL, NULL, NULL, NULL, NULL, 0) == WAPC_ERR_MISUSE);
  wapc_builtin_options_init(NULL);
  char msg[64];
  int code = 7;
  CHECK(wapc_wasi_run(NULL, NULL, 5, &code, msg, sizeof msg) == WAPC_ERR_MISUSE);
  CHECK(wapc_wasi_run(&o, echo_wasm.data, echo_wasm.len, NULL, NULL, 0) == WAPC_ERR_MISUSE);

  CHECK(wapc_host_set_log_hook(NULL, NULL, NULL) == WAPC_ERR_MISUSE);
  CHECK(wapc_host_load(NULL, echo_wasm.data, echo_wasm.len) == WAPC_ERR_MISUSE);
  CHECK(wapc_host_replace_module(NULL, echo_wasm.data, echo_wasm.len) == WAPC_ERR_MISUSE);
  const uint8_t *r = U8("x");
  size_t rl = 5;
  CHECK(wapc_host_call(NULL, "e", 1, NULL, 0, &r, &rl) == WAPC_ERR_MISUSE);
  CHECK(r == NULL && rl == 0);
  CHECK(wapc_host_interrupt(NULL) == WAPC_ERR_MISUSE);
  CHECK(strcmp(wapc_host_last_error(NULL), "invalid host") == 0);
  CHECK(wapc_host_last_error_len(NULL) == strlen("invalid host"));
  CHECK(wapc_host_id(NULL) == 0);
  CHECK(strcmp(wapc_host_engine_name(NULL), "") == 0);
  CHECK(wapc_host_debug(NULL) != NULL);
  wapc_host_free(NULL);

  /* Nonsense on a real host. */
  CHECK_STATUS(wapc_host_new_builtin(NULL, NULL, NULL, &h, NULL, 0), WAPC_OK, h);
  CHECK_STATUS(wapc_host_call(h, "e", 1, NULL, 0, NULL, NULL), WAPC_ERR_MISUSE, h); /* nothing loaded */
  CHECK_STATUS(wapc_host_replace_module(h, echo_wasm.data, echo_wasm.len), WAPC_ERR_MISUSE, h);
  CHECK_STATUS(wapc_host_load(h, NULL, 10), WAPC_ERR_MISUSE, h);
  CHECK_STATUS(wapc_host_load(h, guard_wasm.data, guard_wasm.len), WAPC_OK, h);
  CHECK_STATUS(wapc_host_call(h, NULL, 3, NULL, 0, NULL, NULL), WAPC_ERR_MISUSE, h);
  CHECK_STATUS(wapc_host_call(h, "e", 1, NULL, 3, NULL, NULL), WAPC_ERR_MISUSE, h);
  CHECK_STATUS(wapc_host_call(h, "e", (size_t)UINT32_MAX + 1, U8("e"), 0, NULL, NULL), WAPC_ERR_MISUSE, h);
  CHECK_STATUS(wapc_host_replace_module(h, NULL, 10), WAPC_ERR_MISUSE, h);
  check_echo(h);
  wapc_host_free(h);

  /* The engine accessors given NULL. */
  const uint8_t *op, *pl;
  size_t ol = 9, pll = 9;
  wapc_engine_request(NULL, &op, &ol, &pl, &pll);
  CHECK(ol == 0 && pll == 0 && op && pl);
  CHECK(wapc_engine_host_id(NULL) == 0);
  CHECK(wapc_engine_set_guest_response(NULL, U8("x"), 1) == WAPC_ERR_MISUSE);
  CHECK(wapc_engine_set_guest_error(NULL, U8("x"), 1) == WAPC_ERR_MISUSE);
  CHECK(wapc_engine_host_call(NULL, NULL, 0, NULL, 0, NULL, 0, NULL, 0) == WAPC_ERR_MISUSE);
  wapc_engine_host_response(NULL, &op, &ol);
  CHECK(ol == 0);
  wapc_engine_host_error(NULL, &op, &ol);
  CHECK(ol == 0);
  wapc_engine_console_log(NULL, U8("x"), 1);
  CHECK(wapc_engine_set_message(NULL, WAPC_ERR_TRAP, "x") == WAPC_ERR_TRAP);

  /* A provider of ABI version 1 (no interrupt entry) still works, but cannot be interrupted. */
  CHECK(wapc_builtin_provider(NULL, &p, NULL, 0) == WAPC_OK);
  p.abi_version = 1;
  CHECK_STATUS(wapc_host_new(&p, NULL, NULL, &h, NULL, 0), WAPC_OK, h);
  CHECK_STATUS(wapc_host_load(h, guard_wasm.data, guard_wasm.len), WAPC_OK, h);
  CHECK(wapc_host_interrupt(h) == WAPC_ERR_PROVIDER);
  check_echo(h);
  wapc_host_free(h);
}

static void setup(void) {
  guard_wasm = load_file("wat/guard.wasm");
  init_loop_wasm = load_file("wat/init_loop.wasm");
  big_memory_wasm = load_file("wat/big_memory.wasm");
  echo_wasm = load_file("wat/echo.wasm");
}

static void teardown(void) {
  free(guard_wasm.data);
  free(init_loop_wasm.data);
  free(big_memory_wasm.data);
  free(echo_wasm.data);
}

TEST_LIST_BEGIN
TEST_ENTRY(timeout)
TEST_ENTRY(fuel)
TEST_ENTRY(init_timeout)
TEST_ENTRY(interrupt)
TEST_ENTRY(bombs)
TEST_ENTRY(sizes)
TEST_ENTRY(keep_instance)
TEST_ENTRY(as_traps)
TEST_ENTRY(busy)
TEST_ENTRY(stats)
TEST_ENTRY(misuse)
TEST_LIST_END

int main(int argc, char **argv) {
  return test_main(argc, argv, "api.guard", test_cases, setup, teardown);
}
