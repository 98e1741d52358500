/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pool.c - wapc_pool: calls from many threads with every response
 * checked, waiting for a host and giving up, acquire/release, reset after a
 * trap, pool-wide interrupt, idle hosts trimmed down to min_hosts, the host id
 * the callback sees, WASI options copied at creation, shutdown with callers
 * inside, misuse.  Also run under ThreadSanitizer (scripts/test.sh).
 *
 * Guests (the directory given with --dir): wat/echo.wasm, wat/guard.wasm,
 * wat/hostcall.wasm, wasi/libc_reactor.wasm.
 */
#include "wapc.h"

#include "guest_files.h"
#include "test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static wapc_module *echo_module, *guard_module, *hostcall_module;

static wapc_module *compile(const char *name) {
  bytes b = load_file(name);
  wapc_module *m = compile_guest(NULL, b);
  free(b.data);
  return m;
}

static wapc_pool *new_pool(wapc_module *m, uint32_t min, uint32_t max, uint32_t wait_ms, uint32_t idle_ms,
                           wapc_host_callback cb, void *user) {
  wapc_pool_options po;
  wapc_pool_options_init(&po);
  po.min_hosts = min;
  po.max_hosts = max;
  po.wait_ms = wait_ms;
  po.idle_ms = idle_ms;
  wapc_pool *p = NULL;
  char msg[256];
  if (wapc_pool_new(&po, NULL, m, cb, user, &p, msg, sizeof msg) != WAPC_OK) {
    fprintf(stderr, "wapc_pool_new: %s\n", msg);
    exit(2);
  }
  return p;
}

static wapc_pool_stats stats_of(wapc_pool *p) {
  wapc_pool_stats s;
  memset(&s, 0, sizeof s);
  CHECK(wapc_pool_stats_get(p, &s) == WAPC_OK);
  return s;
}

/* A call whose response must be `want`. */
static bool call_is(wapc_pool *p, const char *op, const char *payload, const char *want) {
  wapc_bytes r;
  char msg[256];
  wapc_status st =
      wapc_pool_call(p, NULL, op, strlen(op), (const uint8_t *)payload, strlen(payload), &r, msg, sizeof msg);
  bool ok = st == WAPC_OK && r.len == strlen(want) && memcmp(r.data, want, r.len) == 0;
  if (!ok) fprintf(stderr, "call %s: %s %s\n", op, wapc_status_name(st), msg);
  wapc_bytes_free(&r);
  return ok;
}

TEST_IMPL(basic) {
  wapc_pool *p = new_pool(echo_module, 2, 4, 1000, 30000, NULL, NULL);
  wapc_pool_stats s = stats_of(p);
  CHECK_INT(s.hosts, 2);
  CHECK_INT(s.busy, 0);
  CHECK(call_is(p, "echo", "hello pool", "hello pool"));
  /* An empty response is empty bytes. */
  wapc_bytes r = {(uint8_t *)1, 7};
  CHECK(wapc_pool_call(p, NULL, "echo", 4, NULL, 0, &r, NULL, 0) == WAPC_OK && r.data == NULL && r.len == 0);
  /* The response may be dropped. */
  CHECK(wapc_pool_call(p, NULL, "echo", 4, (const uint8_t *)"x", 1, NULL, NULL, 0) == WAPC_OK);
  s = stats_of(p);
  CHECK_INT(s.calls, 3);
  CHECK_INT(s.hosts, 2);
  CHECK_INT(s.hosts_created, 2);
  CHECK_INT(s.waits, 0);
  wapc_pool_free(p);
}

/* ---- many threads ------------------------------------------------------------------------------------ */

typedef struct caller {
  wapc_pool *pool;
  unsigned seed;
  int calls, bad;
  pthread_t thread;
} caller;

static void *call_many(void *arg) {
  caller *c = arg;
  uint8_t payload[4096];
  for (int i = 0; i < c->calls; i++) {
    size_t len = (size_t)(rand_r(&c->seed) % sizeof payload);
    for (size_t k = 0; k < len; k++)
      payload[k] = (uint8_t)rand_r(&c->seed);
    wapc_bytes r;
    wapc_status st = wapc_pool_call(c->pool, NULL, "e", 1, payload, len, &r, NULL, 0);
    if (st != WAPC_OK || r.len != len || (len && memcmp(r.data, payload, len) != 0)) c->bad++;
    wapc_bytes_free(&r);
  }
  return NULL;
}

TEST_IMPL(many_threads) {
  enum { THREADS = 8, CALLS = 300 };
  wapc_pool *p = new_pool(echo_module, 0, 3, 10000, 30000, NULL, NULL);
  caller c[THREADS];
  for (int i = 0; i < THREADS; i++) {
    c[i] = (caller){p, (unsigned)i * 7919u + 1u, CALLS, 0, 0};
    if (pthread_create(&c[i].thread, NULL, call_many, &c[i]) != 0) exit(2);
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_join(c[i].thread, NULL);
    CHECK_INT(c[i].bad, 0);
  }
  wapc_pool_stats s = stats_of(p);
  CHECK_INT(s.calls, THREADS * CALLS);
  CHECK_INT(s.acquisitions, THREADS * CALLS);
  CHECK_INT(s.busy, 0);
  CHECK(s.hosts >= 1 && s.hosts <= 3);
  CHECK(s.hosts_created <= 3);
  CHECK_INT(s.timeouts, 0);
  printf("  %d calls from %d threads on at most 3 hosts: %llu waits, %.3f ms waited in all\n",
         THREADS * CALLS, THREADS, (unsigned long long)s.waits, (double)s.wait_ns / 1e6);
  wapc_pool_free(p);
}

/* ---- waiting, acquire/release ------------------------------------------------------------------------ */

TEST_IMPL(wait_and_timeout) {
  wapc_pool *p = new_pool(echo_module, 0, 1, 50, 30000, NULL, NULL);
  wapc_host *h = NULL;
  CHECK(wapc_pool_acquire(p, 0, &h, NULL, 0) == WAPC_OK && h != NULL);
  char msg[256];
  wapc_bytes r;
  CHECK(wapc_pool_call(p, NULL, "e", 1, (const uint8_t *)"x", 1, &r, msg, sizeof msg) == WAPC_ERR_BUSY);
  CHECK_STR(msg, "no free host within 50 ms (all 1 busy)");
  wapc_host *h2 = NULL;
  CHECK(wapc_pool_acquire(p, 0, &h2, msg, sizeof msg) == WAPC_ERR_BUSY && h2 == NULL);
  wapc_pool_stats s = stats_of(p);
  CHECK_INT(s.timeouts, 2);
  CHECK_INT(s.busy, 1);
  wapc_pool_release(p, h);
  CHECK(call_is(p, "e", "free again", "free again"));
  /* The same host came back: no second one was made. */
  CHECK_INT(stats_of(p).hosts_created, 1);
  /* Releasing what is not acquired (twice, NULL, or another pool's) changes nothing. */
  wapc_pool_release(p, h);
  wapc_pool_release(p, NULL);
  CHECK_INT(stats_of(p).busy, 0);
  wapc_pool_free(p);
}

TEST_IMPL(acquire_release) {
  wapc_pool *p = new_pool(guard_module, 0, 2, 1000, 30000, NULL, NULL);
  wapc_host *h = NULL;
  CHECK_OR_RETURN(wapc_pool_acquire(p, 100, &h, NULL, 0) == WAPC_OK);
  /* Several calls on one instance: guard.wasm's "c" counts the calls it has seen. */
  const uint8_t *r;
  size_t rl;
  for (uint32_t want = 1; want <= 3; want++) {
    CHECK_STATUS(wapc_host_call(h, "c", 1, NULL, 0, &r, &rl), WAPC_OK, h);
    CHECK(rl == 4 && r[0] == want);
  }
  wapc_pool_release(p, h);
  /* The next caller gets the warm host back. */
  wapc_host *again = NULL;
  CHECK(wapc_pool_acquire(p, 100, &again, NULL, 0) == WAPC_OK && again == h);
  wapc_pool_release(p, again);
  wapc_pool_free(p);
}

TEST_IMPL(trap_then_reset) {
  wapc_pool *p = new_pool(guard_module, 0, 1, 1000, 30000, NULL, NULL);
  char msg[256];
  /* A guest error comes back as the message, verbatim (cut to fit). */
  uint8_t n[4] = {5, 0, 0, 0};
  CHECK(wapc_pool_call(p, NULL, "E", 1, n, 4, NULL, msg, sizeof msg) == WAPC_ERR_GUEST && strlen(msg) <= 5);
  CHECK(wapc_pool_call(p, NULL, "c", 1, NULL, 0, NULL, NULL, 0) == WAPC_OK);
  CHECK(wapc_pool_call(p, NULL, "u", 1, NULL, 0, NULL, msg, sizeof msg) == WAPC_ERR_TRAP);
  CHECK_STR(msg, "trap: unreachable");
  /* The trapped host starts its next call on a fresh instance: the call count is 1 again. */
  wapc_bytes r;
  CHECK(wapc_pool_call(p, NULL, "c", 1, NULL, 0, &r, NULL, 0) == WAPC_OK && r.len == 4 && r.data[0] == 1);
  wapc_bytes_free(&r);
  wapc_pool_free(p);
}

/* ---- interrupt and shutdown ------------------------------------------------------------------------- */

typedef struct looper {
  wapc_pool *pool;
  wapc_status st;
  char msg[128];
  pthread_t thread;
} looper;

static void *loop_call(void *arg) {
  looper *l = arg;
  l->st = wapc_pool_call(l->pool, NULL, "l", 1, NULL, 0, NULL, l->msg, sizeof l->msg);
  return NULL;
}

static void *echo_call(void *arg) {
  looper *l = arg;
  l->st = wapc_pool_call(l->pool, NULL, "e", 1, (const uint8_t *)"x", 1, NULL, l->msg, sizeof l->msg);
  return NULL;
}

/* Poll the pool's counters (without counting checks, so every run counts the same). */
static wapc_pool_stats peek(wapc_pool *p) {
  wapc_pool_stats s;
  memset(&s, 0, sizeof s);
  wapc_pool_stats_get(p, &s);
  return s;
}

static void wait_until_busy(wapc_pool *p, uint32_t busy) {
  for (int i = 0; i < 5000 && peek(p).busy < busy; i++)
    sleep_ms(1);
}

TEST_IMPL(interrupt) {
  wapc_pool *p = new_pool(guard_module, 0, 2, 1000, 30000, NULL, NULL);
  looper a = {p, WAPC_OK, "", 0}, b = {p, WAPC_OK, "", 0};
  if (pthread_create(&a.thread, NULL, loop_call, &a) != 0 ||
      pthread_create(&b.thread, NULL, loop_call, &b) != 0)
    exit(2);
  wait_until_busy(p, 2);
  CHECK(wapc_pool_interrupt(p) == WAPC_OK);
  pthread_join(a.thread, NULL);
  pthread_join(b.thread, NULL);
  CHECK(a.st == WAPC_ERR_INTERRUPTED && b.st == WAPC_ERR_INTERRUPTED);
  CHECK_STR(a.msg, "interrupted");
  /* The interrupted hosts were replaced, so no stale request reaches the next caller. */
  wapc_pool_stats s = stats_of(p);
  CHECK_INT(s.hosts_freed, 2);
  CHECK_INT(s.hosts, 0);
  CHECK(call_is(p, "e", "after", "after"));
  CHECK(wapc_pool_interrupt(NULL) == WAPC_ERR_MISUSE);
  wapc_pool_free(p);
}

TEST_IMPL(shutdown) {
  wapc_pool *p = new_pool(guard_module, 0, 1, 10000, 30000, NULL, NULL);
  looper a = {p, WAPC_OK, "", 0}, b = {p, WAPC_OK, "", 0};
  if (pthread_create(&a.thread, NULL, loop_call, &a) != 0) exit(2);
  wait_until_busy(p, 1);
  /* b waits for the one host. */
  if (pthread_create(&b.thread, NULL, echo_call, &b) != 0) exit(2);
  for (int i = 0; i < 5000 && peek(p).waits < 1; i++)
    sleep_ms(1);
  CHECK(wapc_pool_interrupt(p) == WAPC_OK);
  wapc_pool_free(p); /* waits for a's call, and for b, whichever way b ends */
  pthread_join(a.thread, NULL);
  pthread_join(b.thread, NULL);
  CHECK(a.st == WAPC_ERR_INTERRUPTED);
  CHECK(b.st == WAPC_OK || (b.st == WAPC_ERR_MISUSE && strcmp(b.msg, "the pool is shutting down") == 0));
}

/* ---- sizing ------------------------------------------------------------------------------------------- */

TEST_IMPL(idle_trim) {
  wapc_pool *p = new_pool(echo_module, 1, 4, 1000, 1, NULL, NULL);
  wapc_host *h[4];
  for (int i = 0; i < 4; i++)
    CHECK(wapc_pool_acquire(p, 0, &h[i], NULL, 0) == WAPC_OK);
  CHECK_INT(stats_of(p).hosts, 4);
  for (int i = 0; i < 4; i++)
    wapc_pool_release(p, h[i]);
  sleep_ms(20);
  /* A release frees the hosts idle for longer than idle_ms, never below min_hosts. */
  for (int i = 0; i < 6; i++)
    CHECK(call_is(p, "e", "trim", "trim"));
  wapc_pool_stats s = stats_of(p);
  CHECK_INT(s.hosts, 1);
  CHECK_INT(s.hosts_freed, 3);
  wapc_pool_free(p);
}

/* ---- the host callback, WASI options ------------------------------------------------------------------ */

static _Atomic uint64_t seen_id;
static void *_Atomic seen_context;

static void record_id(void *user, uint64_t id, wapc_str binding, wapc_str ns, wapc_str op,
                      const uint8_t *payload, size_t len, wapc_result *result) {
  (void)user, (void)binding, (void)ns, (void)op;
  atomic_store(&seen_id, id);
  atomic_store(&seen_context, wapc_result_context(result));
  wapc_result_set_bytes(result, payload, len);
}

TEST_IMPL(callback_host_id) {
  wapc_pool *p = new_pool(hostcall_module, 0, 2, 1000, 30000, record_id, NULL);
  wapc_host *h = NULL;
  CHECK_OR_RETURN(wapc_pool_acquire(p, 100, &h, NULL, 0) == WAPC_OK);
  const uint8_t *r;
  size_t rl;
  CHECK_STATUS(wapc_host_call(h, "call", 4, (const uint8_t *)"ping", 4, &r, &rl), WAPC_OK, h);
  CHECK_BYTES(r, rl, "ping");
  CHECK(atomic_load(&seen_id) == wapc_host_id(h));
  CHECK(atomic_load(&seen_context) == NULL);
  /* A per-call context reaches the callback. */
  int request = 0;
  CHECK_STATUS(wapc_host_call_with_context(h, &request, "call", 4, (const uint8_t *)"ctx", 3, &r, &rl),
               WAPC_OK, h);
  CHECK(atomic_load(&seen_context) == &request);
  wapc_pool_release(p, h);
  CHECK(call_is(p, "call", "pong", "pong"));
  int other = 0;
  CHECK(wapc_pool_call(p, &other, "call", 4, (const uint8_t *)"x", 1, NULL, NULL, 0) == WAPC_OK);
  CHECK(atomic_load(&seen_context) == &other);
  wapc_pool_free(p);
}

/* A callback that takes 2 ms, answering with the payload. */
static void slow_echo(void *user, uint64_t id, wapc_str binding, wapc_str ns, wapc_str op,
                      const uint8_t *payload, size_t len, wapc_result *result) {
  (void)user, (void)id, (void)binding, (void)ns, (void)op;
  sleep_ms(2);
  wapc_result_set_bytes(result, payload, len);
}

/* Per-host counters with timing, and the pool's sums of them (freed hosts included). */
TEST_IMPL(metrics) {
  /* One host: timing off counts no time; on, the callback's 2 ms are host-call time, not guest time. */
  wapc_host *h = NULL;
  CHECK_OR_RETURN(wapc_host_new_builtin_module(NULL, hostcall_module, slow_echo, NULL, &h, NULL, 0) ==
                  WAPC_OK);
  wapc_host_stats hs;
  CHECK_STATUS(wapc_host_call(h, "call", 4, (const uint8_t *)"a", 1, NULL, NULL), WAPC_OK, h);
  CHECK(wapc_host_stats_get(h, &hs) == WAPC_OK);
  CHECK(hs.guest_ns == 0 && hs.host_call_ns == 0 && hs.host_calls == 1);
  CHECK(wapc_host_set_timing(h, 1) == WAPC_OK);
  CHECK_STATUS(wapc_host_call(h, "call", 4, (const uint8_t *)"a", 1, NULL, NULL), WAPC_OK, h);
  CHECK(wapc_host_stats_get(h, &hs) == WAPC_OK);
  CHECK(hs.host_call_ns >= 2000000);
  CHECK(hs.guest_ns > 0 && hs.guest_ns < 2000000);
  CHECK(wapc_host_set_timing(h, 0) == WAPC_OK);
  uint64_t before = hs.guest_ns;
  CHECK_STATUS(wapc_host_call(h, "call", 4, (const uint8_t *)"a", 1, NULL, NULL), WAPC_OK, h);
  CHECK(wapc_host_stats_get(h, &hs) == WAPC_OK);
  CHECK(hs.guest_ns == before && hs.calls == 3 && hs.host_calls == 3);
  CHECK(wapc_host_set_timing(NULL, 1) == WAPC_ERR_MISUSE);
  wapc_host_free(h);

  /* A pool with time_guest: calls, errors, traps and time summed over its hosts, freed ones included. */
  wapc_pool_options po;
  wapc_pool_options_init(&po);
  po.max_hosts = 2;
  po.time_guest = 1;
  wapc_pool *p = NULL;
  CHECK_OR_RETURN(wapc_pool_new(&po, NULL, guard_module, NULL, NULL, &p, NULL, 0) == WAPC_OK);
  uint8_t n[4] = {5, 0, 0, 0};
  for (int i = 0; i < 3; i++)
    CHECK(wapc_pool_call(p, NULL, "c", 1, NULL, 0, NULL, NULL, 0) == WAPC_OK);
  CHECK(wapc_pool_call(p, NULL, "E", 1, n, 4, NULL, NULL, 0) == WAPC_ERR_GUEST);
  CHECK(wapc_pool_call(p, NULL, "u", 1, NULL, 0, NULL, NULL, 0) == WAPC_ERR_TRAP);
  /* An acquired host's own calls count too, once it is given back. */
  CHECK_OR_RETURN(wapc_pool_acquire(p, 100, &h, NULL, 0) == WAPC_OK);
  CHECK(wapc_host_call(h, "u", 1, NULL, 0, NULL, NULL) == WAPC_ERR_TRAP);
  wapc_pool_release(p, h);
  wapc_pool_stats s = stats_of(p);
  CHECK_INT(s.host_totals.calls, 6);
  CHECK_INT(s.host_totals.guest_errors, 1);
  CHECK_INT(s.host_totals.traps, 2);
  CHECK(s.host_totals.guest_ns > 0);
  CHECK_INT(s.calls, 5);
  wapc_pool_free(p);

  /* Without time_guest: counted, not timed; a host freed while the pool lives (interrupted) still counts. */
  wapc_pool_options_init(&po);
  po.max_hosts = 1;
  CHECK_OR_RETURN(wapc_pool_new(&po, NULL, guard_module, NULL, NULL, &p, NULL, 0) == WAPC_OK);
  CHECK(wapc_pool_call(p, NULL, "c", 1, NULL, 0, NULL, NULL, 0) == WAPC_OK);
  CHECK_OR_RETURN(wapc_pool_acquire(p, 100, &h, NULL, 0) == WAPC_OK);
  CHECK(wapc_host_call(h, "c", 1, NULL, 0, NULL, NULL) == WAPC_OK);
  CHECK(wapc_pool_interrupt(p) == WAPC_OK);
  wapc_pool_release(p, h); /* interrupted while acquired: freed */
  CHECK(wapc_pool_call(p, NULL, "c", 1, NULL, 0, NULL, NULL, 0) == WAPC_OK);
  s = stats_of(p);
  CHECK_INT(s.host_totals.calls, 3);
  CHECK(s.host_totals.guest_ns == 0);
  CHECK_INT(s.hosts_freed, 1);
  wapc_pool_free(p);
}

TEST_IMPL(wasi_options_copied) {
  char dir[256];
  snprintf(dir, sizeof dir, "%s/wapc-pool.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  CHECK_OR_RETURN(mkdtemp(dir) != NULL);
  char path[300];
  snprintf(path, sizeof path, "%s/in.txt", dir);
  FILE *f = fopen(path, "w");
  CHECK_OR_RETURN(f != NULL);
  fputs("from the pool", f);
  fclose(f);
  bytes b = load_file("wasi/libc_reactor.wasm");
  wapc_module *m = NULL;
  CHECK_OR_RETURN(wapc_module_compile(NULL, b.data, b.len, &m, NULL, 0) == WAPC_OK);
  free(b.data);
  /* The strings live on this stack frame and are overwritten after wapc_pool_new: the pool copied them. */
  char host_path[300], guest_path[16];
  snprintf(host_path, sizeof host_path, "%s", dir);
  snprintf(guest_path, sizeof guest_path, "/data");
  wapc_wasi_dir d = {host_path, guest_path, 0};
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.wasi_dirs = &d;
  o.wasi_ndirs = 1;
  o.wasi_stdout.mode = WAPC_STDIO_DISCARD;
  o.wasi_stderr.mode = WAPC_STDIO_DISCARD;
  wapc_pool *p = NULL;
  char msg[256];
  CHECK(wapc_pool_new(NULL, &o, m, NULL, NULL, &p, msg, sizeof msg) == WAPC_OK);
  wapc_module_free(m); /* the pool holds its own reference */
  memset(host_path, 'x', sizeof host_path - 1);
  memset(guest_path, 'y', sizeof guest_path - 1);
  if (p) {
    CHECK(call_is(p, "read", "", "from the pool"));
    wapc_pool_free(p);
  }
  unlink(path);
  rmdir(dir);
}

/* ---- asynchronous calls ------------------------------------------------------------------------------ */

typedef struct completions {
  atomic_int done, ok, bad, cancelled, interrupted;
} completions;

static void count_done(void *user, wapc_status st, const uint8_t *response, size_t len, const char *message) {
  completions *c = user;
  if (st == WAPC_OK && len == 8 && memcmp(response, "async-ok", 8) == 0)
    atomic_fetch_add(&c->ok, 1);
  else if (st == WAPC_ERR_MISUSE && strcmp(message, "the pool is shutting down") == 0)
    atomic_fetch_add(&c->cancelled, 1);
  else if (st == WAPC_ERR_INTERRUPTED && strcmp(message, "interrupted") == 0)
    atomic_fetch_add(&c->interrupted, 1);
  else
    atomic_fetch_add(&c->bad, 1);
  atomic_fetch_add(&c->done, 1);
}

TEST_IMPL(submit) {
  enum { N = 2000 };
  wapc_pool *p = new_pool(echo_module, 0, 3, 10000, 30000, NULL, NULL);
  static completions c;
  memset(&c, 0, sizeof c);
  int queued = 0;
  for (int i = 0; i < N; i++) {
    /* The payload buffer is reused at once: the pool copied it. */
    char payload[16];
    snprintf(payload, sizeof payload, "async-ok");
    if (wapc_pool_submit(p, NULL, "e", 1, (const uint8_t *)payload, 8, count_done, &c) == WAPC_OK) queued++;
    memset(payload, 'x', sizeof payload);
  }
  CHECK_INT(queued, N);
  for (int i = 0; i < 10000 && atomic_load(&c.done) < N; i++)
    sleep_ms(1);
  CHECK_INT(atomic_load(&c.ok), N);
  CHECK_INT(atomic_load(&c.bad), 0);
  CHECK_INT(peek(p).calls, N);
  CHECK(wapc_pool_submit(p, NULL, "e", 1, NULL, 0, NULL, NULL) == WAPC_ERR_MISUSE);
  CHECK(wapc_pool_submit(NULL, NULL, "e", 1, NULL, 0, count_done, &c) == WAPC_ERR_MISUSE);
  wapc_pool_free(p);
}

TEST_IMPL(submit_shutdown) {
  /* One host: the first call loops until interrupted, nine quick ones wait in the queue. */
  wapc_pool *p = new_pool(guard_module, 0, 1, 10000, 30000, NULL, NULL);
  static completions c;
  memset(&c, 0, sizeof c);
  CHECK(wapc_pool_submit(p, NULL, "l", 1, NULL, 0, count_done, &c) == WAPC_OK);
  for (int i = 0; i < 9; i++)
    CHECK(wapc_pool_submit(p, NULL, "e", 1, (const uint8_t *)"async-ok", 8, count_done, &c) == WAPC_OK);
  wait_until_busy(p, 1);
  CHECK(wapc_pool_interrupt(p) == WAPC_OK);
  wapc_pool_free(p);
  /* Every call completed exactly once: the loop interrupted, each quick one run or cancelled. */
  CHECK_INT(atomic_load(&c.done), 10);
  CHECK_INT(atomic_load(&c.bad), 0);
  CHECK_INT(atomic_load(&c.interrupted), 1);
  CHECK_INT(atomic_load(&c.ok) + atomic_load(&c.cancelled), 9);
}

TEST_IMPL(misuse) {
  wapc_pool *p = (wapc_pool *)&p;
  char msg[256];
  CHECK(wapc_pool_new(NULL, NULL, NULL, NULL, NULL, &p, msg, sizeof msg) == WAPC_ERR_MISUSE && p == NULL);
  CHECK_STR(msg, "module is NULL");
  wapc_pool_options po;
  wapc_pool_options_init(&po);
  po.min_hosts = 5;
  po.max_hosts = 2;
  CHECK(wapc_pool_new(&po, NULL, echo_module, NULL, NULL, &p, msg, sizeof msg) == WAPC_ERR_MISUSE);
  CHECK_STR(msg, "min_hosts 5, max_hosts 2: need min <= max <= 65536");
  CHECK(wapc_pool_call(NULL, NULL, "e", 1, NULL, 0, NULL, msg, sizeof msg) == WAPC_ERR_MISUSE);
  wapc_host *h;
  CHECK(wapc_pool_acquire(NULL, 0, &h, NULL, 0) == WAPC_ERR_MISUSE);
  wapc_pool_stats s;
  CHECK(wapc_pool_stats_get(NULL, &s) == WAPC_ERR_MISUSE);
  wapc_pool_free(NULL);
  wapc_bytes_free(NULL);
}

static void setup(void) {
  echo_module = compile("wat/echo.wasm");
  guard_module = compile("wat/guard.wasm");
  hostcall_module = compile("wat/hostcall.wasm");
}

static void teardown(void) {
  wapc_module_free(echo_module);
  wapc_module_free(guard_module);
  wapc_module_free(hostcall_module);
}

TEST_LIST_BEGIN
TEST_ENTRY(basic)
TEST_ENTRY(many_threads)
TEST_ENTRY(wait_and_timeout)
TEST_ENTRY(acquire_release)
TEST_ENTRY(trap_then_reset)
TEST_ENTRY(interrupt)
TEST_ENTRY(shutdown)
TEST_ENTRY(idle_trim)
TEST_ENTRY(callback_host_id)
TEST_ENTRY(metrics)
TEST_ENTRY(wasi_options_copied)
TEST_ENTRY(submit)
TEST_ENTRY(submit_shutdown)
TEST_ENTRY(misuse)
TEST_LIST_END

int main(int argc, char **argv) {
  return test_main(argc, argv, "api.pool", test_cases, setup, teardown);
}
