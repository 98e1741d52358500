/* SPDX-License-Identifier: Apache-2.0 */
/*
 * soak.c - the soak test.  For a set time, T worker threads each keep their own hosts, made from
 * compiled modules shared by all threads (and some with wapc_host_new_builtin + wapc_host_load, some from a
 * module compiled for them and freed at once), and run random scenarios on them:
 *   - calls with random payloads (0 B to 1 MiB, random bytes including NUL) whose answers the test computes
 *     itself: echo, reverse, FNV-1a, the instance's call count;
 *   - host calls through the host callback (which checks what the guest forwards) answered with bytes or
 *     with an error, guest errors, traps (unreachable, out of bounds) each followed by a call that must
 *     succeed on the reset instance;
 *   - deadlines (a guest loop on a host with timeout_ms), interrupts sent from other threads (an
 *     interrupter thread and the other workers) to endless loops and to short calls racing them;
 *   - hot swaps between two module versions (the guest reports its version after), failed hot swaps (the
 *     old module keeps serving), hosts created and freed continually, shared modules recompiled and the
 *     old ones freed while their hosts still run;
 *   - a guest sleeping in WASI poll_oneoff, stopped by a deadline and by an interrupt (--no-sleep: not).
 * Every response and every error message is checked exactly.  The main thread pauses the workers at
 * intervals, with all their hosts freed, and samples RSS (/proc/self/statm) at those quiescent points:
 * after the warm-up (the first 20% of the run) it must stay flat (see rss_verdict).  The run ends with
 * per-scenario totals and "soak: N passed, N failed"; the exit status is non-zero on any failure.
 *
 * Usage: wapc_soak [--seconds N] [--threads T] [--seed S] [--sleep | --no-sleep] [--slack-ms MS]
 *                  [--rss-tolerance-mib M] [--rss-check | --no-rss-check] [--guests DIR]
 */
#include "wapc.h"

#include <errno.h>
#include <malloc.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef SOAK_GUEST_DIR
#define SOAK_GUEST_DIR "."
#endif

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SOAK_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define SOAK_SANITIZED 1
#endif
#endif
#ifndef SOAK_SANITIZED
#define SOAK_SANITIZED 0
#endif

#define MAX_PAYLOAD (1u << 20)     /* the largest random payload */
#define HOSTS_PER_WORKER 3         /* ordinary hosts each worker keeps */
#define SLEEP_MS 3000u             /* how long the sleep guest is asked to sleep */
#define INTERRUPT_SAFETY_MS 60000u /* timeout of the interrupt hosts: an interrupt that never comes fails */
#define MAX_FAIL_REPORTS 40

/* ---- configuration and shared state ------------------------------------------------------------------ */

static struct {
  double seconds;
  int threads;
  uint64_t seed;
  bool sleep;
  long slack_ms;
  double rss_tolerance_mib;
  bool rss_check;
  const char *guests;
} cfg = {15, 4, 0, true, 1000, 8, !SOAK_SANITIZED, SOAK_GUEST_DIR};

typedef struct bytes {
  uint8_t *data;
  size_t len;
} bytes;

enum { MOD_V1, MOD_V2, MOD_SLEEP, MOD_N };
static const char *const mod_files[MOD_N] = {"soak_v1.wasm", "soak_v2.wasm", "soak_sleep.wasm"};
static bytes wasm[MOD_N];
/* The shared compiled modules; read (to create a host) under the read lock, replaced under the write lock. */
static wapc_module *shared_mod[MOD_N];
static pthread_rwlock_t shared_lock = PTHREAD_RWLOCK_INITIALIZER;

/* A module with no exports: a hot swap to it fails to link and must leave the old module serving. */
static const uint8_t empty_module[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};

static atomic_long checks_passed, checks_failed, fail_reports;
static atomic_int stop_flag, pause_flag, interrupter_stop; /* the interrupter outlives the workers */
static pthread_barrier_t pause_barrier;

/* One per worker: the host it currently lets other threads interrupt (NULL: none). */
typedef struct slot {
  pthread_mutex_t mu;
  wapc_host *target;
} slot;
static slot *slots;
static atomic_long interrupts_sent;

/* ---- scenarios ---------------------------------------------------------------------------------------- */

#define SCENARIOS(X)                                                                                         \
  X(ECHO, "echo", 140)                                                                                       \
  X(REVERSE, "reverse", 120)                                                                                 \
  X(FNV, "fnv", 120)                                                                                         \
  X(COUNT, "count", 60)                                                                                      \
  X(HOST_OK, "host call ok", 100)                                                                            \
  X(HOST_FAIL, "host call error", 50)                                                                        \
  X(GUEST_ERROR, "guest error", 50)                                                                          \
  X(TRAP, "trap unreachable", 30)                                                                            \
  X(OOB, "trap out of bounds", 30)                                                                           \
  X(SWAP, "hot swap", 30)                                                                                    \
  X(BAD_SWAP, "failed hot swap", 10)                                                                         \
  X(NEW_HOST, "new host", 40)                                                                                \
  X(PRIVATE_MODULE, "private module", 6)                                                                     \
  X(RECOMPILE, "recompile shared", 2)                                                                        \
  X(DEADLINE, "deadline", 1)                                                                                 \
  X(INTERRUPT_LOOP, "interrupt loop", 20)                                                                    \
  X(INTERRUPT_SPIN, "interrupt race", 20)                                                                    \
  X(POKE, "interrupt others", 20)                                                                            \
  X(SLEEP_DEADLINE, "sleep deadline", 3)                                                                     \
  X(SLEEP_INTERRUPT, "sleep interrupt", 3)

enum {
#define SC_ENUM_(id, name, weight) SC_##id,
  SCENARIOS(SC_ENUM_)
#undef SC_ENUM_
      SC_N
};
static const char *const sc_name[SC_N] = {
#define SC_NAME_(id, name, weight) name,
    SCENARIOS(SC_NAME_)
#undef SC_NAME_
};
static const unsigned sc_weight[SC_N] = {
#define SC_WEIGHT_(id, name, weight) weight,
    SCENARIOS(SC_WEIGHT_)
#undef SC_WEIGHT_
};

/* ---- workers and their hosts -------------------------------------------------------------------------- */

struct worker;

typedef struct soak_host {
  wapc_host *h;
  struct worker *w;
  uint64_t id;
  int version;    /* 1 or 2 (soak guest), 0 (sleep guest) */
  uint32_t calls; /* __guest_call runs the current instance has seen */
  /* what the host callback expects (set before each host call) */
  const char *expect_op;
  const uint8_t *expect;
  size_t expect_len;
  int cb_calls;
  char cb_problem[160];
} soak_host;

typedef struct worker {
  int index;
  pthread_t thread;
  uint64_t rng;
  soak_host hosts[HOSTS_PER_WORKER];
  soak_host dl, intr; /* the deadline host (per scenario) and the interrupt host (kept) */
  uint8_t *payload, *expect, *cbbuf;
  long runs[SC_N], fails[SC_N];
  long calls, hosts_created, modules_compiled, swaps, interrupted, deadlines;
  long sleep_deadline_max_ms, sleep_interrupt_max_ms;
} worker;

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static uint64_t rnd(worker *w) {
  return splitmix(&w->rng);
}
static uint32_t rnd_below(worker *w, uint32_t n) {
  return n ? (uint32_t)(rnd(w) % n) : 0;
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_us(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* ---- failure reports ---------------------------------------------------------------------------------- */

/* `n` bytes of `p` as printable text (at most 80 shown), into `out`. */
static const char *printable(const void *p, size_t n, char *out, size_t cap) {
  const uint8_t *b = p;
  size_t o = 0;
  for (size_t i = 0; i < n && i < 80 && o + 5 < cap; i++)
    o += (size_t)snprintf(out + o, cap - o, b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\' ? "%c" : "\\x%02x",
                          b[i]);
  if (n > 80 && o + 4 < cap) o += (size_t)snprintf(out + o, cap - o, "...");
  out[o < cap ? o : cap - 1] = 0;
  return out;
}

static void pass(void) {
  atomic_fetch_add(&checks_passed, 1);
}

__attribute__((format(printf, 4, 5))) static void fail(worker *w, int sc, const soak_host *sh,
                                                       const char *fmt, ...) {
  atomic_fetch_add(&checks_failed, 1);
  w->fails[sc]++;
  if (atomic_fetch_add(&fail_reports, 1) >= MAX_FAIL_REPORTS) return;
  char text[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  fprintf(stderr, "FAIL [seed %" PRIu64 " thread %d scenario \"%s\" host %" PRIu64 " v%d]: %s\n", cfg.seed,
          w->index, sc_name[sc], sh ? sh->id : 0, sh ? sh->version : 0, text);
}

/* The host's status and message, for a failure report. */
static const char *describe(const soak_host *sh, wapc_status st, char *out, size_t cap) {
  char msg[400];
  snprintf(out, cap, "%s \"%s\"", wapc_status_name(st),
           printable(wapc_host_last_error(sh->h), wapc_host_last_error_len(sh->h), msg, sizeof msg));
  return out;
}

static const uint8_t sentinel[1];

/* A call on sh with a fresh response sentinel; counts the call. */
static wapc_status call(worker *w, soak_host *sh, const char *op, const uint8_t *p, size_t n,
                        const uint8_t **r, size_t *rl) {
  *r = sentinel;
  *rl = 12345;
  w->calls++;
  return wapc_host_call(sh->h, op, strlen(op), n || rnd_below(w, 2) ? p : NULL, n, r, rl);
}

/* WAPC_OK with exactly want[0, wl), an empty last error and, when that is known, the instance's count. */
static bool expect_ok(worker *w, int sc, soak_host *sh, const char *op, wapc_status st, const uint8_t *r,
                      size_t rl, const void *want, size_t wl) {
  char d[600];
  if (st != WAPC_OK) {
    fail(w, sc, sh, "%s: %s, expected WAPC_OK", op, describe(sh, st, d, sizeof d));
    return false;
  }
  if (!r || r == sentinel || rl != wl || (wl && memcmp(r, want, wl) != 0)) {
    size_t at = 0;
    while (r && r != sentinel && at < rl && at < wl && r[at] == ((const uint8_t *)want)[at])
      at++;
    fail(w, sc, sh, "%s: response of %zu bytes%s, expected %zu bytes (first difference at %zu)", op, rl,
         !r              ? " (NULL)"
         : r == sentinel ? " (not set)"
                         : "",
         wl, at);
    return false;
  }
  if (wapc_host_last_error_len(sh->h) != 0 || wapc_host_last_error(sh->h)[0] != 0) {
    fail(w, sc, sh, "%s: success but the last error is %s", op, describe(sh, st, d, sizeof d));
    return false;
  }
  pass();
  return true;
}

/* Failure `want` with exactly the message msg[0, ml), a NULL response and length 0. */
static bool expect_fail(worker *w, int sc, soak_host *sh, const char *op, wapc_status st, const uint8_t *r,
                        size_t rl, wapc_status want, const void *msg, size_t ml) {
  char d[600], m[400];
  const char *e = wapc_host_last_error(sh->h);
  size_t el = wapc_host_last_error_len(sh->h);
  if (st != want || el != ml || memcmp(e, msg, ml) != 0 || e[el] != 0) {
    fail(w, sc, sh, "%s: %s, expected %s \"%s\"", op, describe(sh, st, d, sizeof d), wapc_status_name(want),
         printable(msg, ml, m, sizeof m));
    return false;
  }
  if (r != NULL || rl != 0) {
    fail(w, sc, sh, "%s: failed with response %p, length %zu (expected NULL, 0)", op, (const void *)r, rl);
    return false;
  }
  pass();
  return true;
}

static bool expect_fail_str(worker *w, int sc, soak_host *sh, const char *op, wapc_status st,
                            const uint8_t *r, size_t rl, wapc_status want, const char *msg) {
  return expect_fail(w, sc, sh, op, st, r, rl, want, msg, strlen(msg));
}

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* "count": the instance has seen sh->calls calls before this one. */
static bool check_count(worker *w, int sc, soak_host *sh) {
  const uint8_t *r;
  size_t rl;
  uint8_t want[4];
  put_u32(want, sh->calls + 1);
  wapc_status st = call(w, sh, "count", NULL, 0, &r, &rl);
  if (st == WAPC_OK && rl == 4 && memcmp(r, want, 4) != 0) {
    /* report the count, then go on from it (a wrong count would make every later one fail too) */
    uint32_t got = (uint32_t)r[0] | (uint32_t)r[1] << 8 | (uint32_t)r[2] << 16 | (uint32_t)r[3] << 24;
    fail(w, sc, sh, "count is %" PRIu32 ", expected %" PRIu32, got, sh->calls + 1);
    sh->calls = got;
    return false;
  }
  bool ok = expect_ok(w, sc, sh, "count", st, r, rl, want, 4);
  sh->calls = ok ? sh->calls + 1 : 0;
  return ok;
}

static bool check_version(worker *w, int sc, soak_host *sh) {
  const uint8_t *r;
  size_t rl;
  char want[8];
  snprintf(want, sizeof want, "soak-v%d", sh->version);
  wapc_status st = call(w, sh, "version", NULL, 0, &r, &rl);
  sh->calls++;
  return expect_ok(w, sc, sh, "version", st, r, rl, want, 7);
}

/* ---- the host callback -------------------------------------------------------------------------------- */

static bool str_is(wapc_str s, const char *want) {
  return s.data && s.len == strlen(want) && memcmp(s.data, want, s.len) == 0 && s.data[s.len] == 0;
}

/* What "host_ok" answers: the payload with each byte mixed with the host id, then the id (u64 LE). */
static size_t transform(const uint8_t *p, size_t n, uint64_t id, uint8_t *out) {
  for (size_t i = 0; i < n; i++)
    out[i] = (uint8_t)(p[i] ^ (uint8_t)(id * 131u + i * 7u));
  for (int i = 0; i < 8; i++)
    out[n + (size_t)i] = (uint8_t)(id >> (8 * i));
  return n + 8;
}

/* What "host_fail" answers: "denied:" and the payload's first (at most 100) bytes. */
static size_t denial(const uint8_t *p, size_t n, uint8_t *out) {
  size_t k = n < 100 ? n : 100;
  memcpy(out, "denied:", 7);
  if (k) memcpy(out + 7, p, k);
  return 7 + k;
}

static void host_cb(void *user, uint64_t host_id, wapc_str binding, wapc_str ns, wapc_str op,
                    const uint8_t *payload, size_t len, wapc_result *result) {
  soak_host *sh = user;
  worker *w = sh->w;
  sh->cb_calls++;
  if (host_id != sh->id)
    snprintf(sh->cb_problem, sizeof sh->cb_problem, "callback got host id %" PRIu64, host_id);
  else if (!str_is(binding, "soak") || !str_is(ns, "soak-ns"))
    snprintf(sh->cb_problem, sizeof sh->cb_problem, "callback got binding/namespace \"%.*s\"/\"%.*s\"",
             (int)binding.len, binding.data, (int)ns.len, ns.data);
  else if (!sh->expect_op || !str_is(op, sh->expect_op))
    snprintf(sh->cb_problem, sizeof sh->cb_problem, "callback got operation \"%.*s\"", (int)op.len, op.data);
  else if (len != sh->expect_len || (len && (!payload || memcmp(payload, sh->expect, len) != 0)))
    snprintf(sh->cb_problem, sizeof sh->cb_problem,
             "callback got a %zu-byte payload, expected these %zu bytes", len, sh->expect_len);
  if (str_is(op, "host_ok")) {
    size_t n = transform(payload, len, host_id, w->cbbuf);
    wapc_result_set_bytes(result, w->cbbuf, n);
  } else {
    size_t n = denial(payload, len, w->cbbuf);
    wapc_result_set_error_bytes(result, w->cbbuf, n);
  }
}

/* ---- creating and freeing hosts ----------------------------------------------------------------------- */

static void drop_host(soak_host *sh) {
  wapc_host_free(sh->h);
  sh->h = NULL;
  sh->id = 0;
}

/* A new host in sh on module `mod`: usually from the shared compiled module, sometimes (when `load_ok`)
 * with wapc_host_new_builtin + wapc_host_load of the bytes.  False (reported) when that fails. */
static bool make_host(worker *w, int sc, soak_host *sh, int mod, const wapc_builtin_options *o,
                      bool load_ok) {
  drop_host(sh);
  sh->w = w;
  sh->version = mod == MOD_V1 ? 1 : mod == MOD_V2 ? 2 : 0;
  sh->calls = 0;
  sh->expect_op = NULL;
  char msg[300] = "";
  wapc_status st;
  const char *how;
  if (load_ok && rnd_below(w, 4) == 0) {
    how = "new_builtin + load";
    st = wapc_host_new_builtin(o, host_cb, sh, &sh->h, msg, sizeof msg);
    if (st == WAPC_OK) {
      st = wapc_host_load(sh->h, wasm[mod].data, wasm[mod].len);
      if (st != WAPC_OK) {
        snprintf(msg, sizeof msg, "%s", wapc_host_last_error(sh->h));
        drop_host(sh);
      }
    }
  } else {
    how = "new_builtin_module";
    pthread_rwlock_rdlock(&shared_lock);
    st = wapc_host_new_builtin_module(o, shared_mod[mod], host_cb, sh, &sh->h, msg, sizeof msg);
    pthread_rwlock_unlock(&shared_lock);
  }
  if (st != WAPC_OK || !sh->h) {
    fail(w, sc, NULL, "%s of %s: %s \"%s\"", how, mod_files[mod], wapc_status_name(st), msg);
    sh->h = NULL;
    return false;
  }
  pass();
  sh->id = wapc_host_id(sh->h);
  w->hosts_created++;
  return true;
}

/* One of the worker's ordinary hosts, created when its place is empty; NULL when that fails. */
static soak_host *some_host(worker *w, int sc) {
  soak_host *sh = &w->hosts[rnd_below(w, HOSTS_PER_WORKER)];
  if (!sh->h && !make_host(w, sc, sh, rnd_below(w, 2) ? MOD_V1 : MOD_V2, NULL, true)) return NULL;
  return sh;
}

static void publish(worker *w, wapc_host *h) {
  pthread_mutex_lock(&slots[w->index].mu);
  slots[w->index].target = h;
  pthread_mutex_unlock(&slots[w->index].mu);
}

/* Interrupt the host that slot i publishes, if any (with probability 1/`one_in`). */
static void interrupt_slot(int i, uint64_t r, uint32_t one_in, worker *w) {
  pthread_mutex_lock(&slots[i].mu);
  if (slots[i].target && r % one_in == 0) {
    wapc_status st = wapc_host_interrupt(slots[i].target);
    atomic_fetch_add(&interrupts_sent, 1);
    if (w) {
      if (st == WAPC_OK)
        pass();
      else
        fail(w, SC_POKE, NULL, "wapc_host_interrupt: %s", wapc_status_name(st));
    } else if (st != WAPC_OK) {
      atomic_fetch_add(&checks_failed, 1);
      fprintf(stderr, "FAIL [seed %" PRIu64 " interrupter]: wapc_host_interrupt: %s\n", cfg.seed,
              wapc_status_name(st));
    }
  }
  pthread_mutex_unlock(&slots[i].mu);
}

/* After a host stops being published, at most one request can still be pending: the next call may be
 * interrupted by it, the one after must run.  Then the count must be right. */
static void drain(worker *w, int sc, soak_host *sh) {
  const uint8_t *r;
  size_t rl;
  uint8_t want[4];
  put_u32(want, sh->calls + 1);
  wapc_status st = call(w, sh, "count", NULL, 0, &r, &rl);
  if (st == WAPC_ERR_INTERRUPTED) {
    if (expect_fail_str(w, sc, sh, "count (stale interrupt)", st, r, rl, WAPC_ERR_INTERRUPTED, "interrupted"))
      w->interrupted++;
    sh->calls = 0;
    check_count(w, sc, sh);
    return;
  }
  sh->calls = expect_ok(w, sc, sh, "count", st, r, rl, want, 4) ? sh->calls + 1 : 0;
}

/* ---- random payloads ---------------------------------------------------------------------------------- */

/* Fill w->payload with n random bytes (n from `min` up to 64 B, 4 KiB, 64 KiB or 1 MiB); returns n. */
static size_t make_payload(worker *w, size_t min) {
  uint32_t r = rnd_below(w, 100);
  size_t max = r < 40 ? 64 : r < 75 ? 4096 : r < 95 ? 65536 : MAX_PAYLOAD;
  size_t n = min + rnd_below(w, (uint32_t)(max - min + 1));
  uint8_t *p = w->payload;
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rnd(w);
    size_t k = n - i < 8 ? n - i : 8;
    memcpy(p + i, &v, k);
  }
  if (n && rnd_below(w, 4) == 0) { /* a run of NULs somewhere */
    size_t at = rnd_below(w, (uint32_t)n), k = 1 + rnd_below(w, 64);
    memset(p + at, 0, k < n - at ? k : n - at);
  }
  return n;
}

static uint32_t fnv(const uint8_t *p, size_t n, int version) {
  uint32_t h = 2166136261u + (uint32_t)version;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 16777619u;
  return h;
}

/* ---- the scenarios ------------------------------------------------------------------------------------ */

/* A random payload through operation `kind` (SC_ECHO, SC_REVERSE or SC_FNV); failures count for `sc`. */
static void sc_data(worker *w, int sc, soak_host *sh, int kind) {
  const uint8_t *r;
  size_t rl, n = make_payload(w, 0), wl = n;
  const char *op = kind == SC_ECHO ? "echo" : kind == SC_REVERSE ? "reverse" : "fnv";
  const uint8_t *want = w->payload;
  if (kind == SC_REVERSE) {
    for (size_t i = 0; i < n; i++)
      w->expect[i] = w->payload[n - 1 - i];
    want = w->expect;
  } else if (kind == SC_FNV) {
    put_u32(w->expect, fnv(w->payload, n, sh->version));
    want = w->expect;
    wl = 4;
  }
  wapc_status st = call(w, sh, op, w->payload, n, &r, &rl);
  sh->calls = expect_ok(w, sc, sh, op, st, r, rl, want, wl) ? sh->calls + 1 : 0;
  if (rnd_below(w, 8) == 0) check_count(w, sc, sh);
}

static void sc_host_call(worker *w, int sc, soak_host *sh) {
  const uint8_t *r;
  size_t rl, n = make_payload(w, 0);
  bool ok = sc == SC_HOST_OK;
  const char *op = ok ? "host_ok" : "host_fail";
  sh->expect_op = op;
  sh->expect = w->payload;
  sh->expect_len = n;
  sh->cb_calls = 0;
  sh->cb_problem[0] = 0;
  wapc_status st = call(w, sh, op, w->payload, n, &r, &rl);
  bool good;
  if (ok) {
    size_t wl = transform(w->payload, n, sh->id, w->expect);
    good = expect_ok(w, sc, sh, op, st, r, rl, w->expect, wl);
  } else {
    memcpy(w->expect, "Host error: ", 12);
    size_t wl = 12 + denial(w->payload, n, w->expect + 12);
    good = expect_fail(w, sc, sh, op, st, r, rl, WAPC_ERR_GUEST, w->expect, wl);
  }
  sh->calls = good ? sh->calls + 1 : 0;
  if (sh->cb_calls != 1 || sh->cb_problem[0])
    fail(w, sc, sh, "%s: %d callback runs; %s", op, sh->cb_calls, sh->cb_problem[0] ? sh->cb_problem : "");
  else
    pass();
  sh->expect_op = NULL;
}

static void sc_guest_error(worker *w, int sc, soak_host *sh) {
  const uint8_t *r;
  size_t rl, n = make_payload(w, 1);
  wapc_status st = call(w, sh, "guest_error", w->payload, n, &r, &rl);
  sh->calls =
      expect_fail(w, sc, sh, "guest_error", st, r, rl, WAPC_ERR_GUEST, w->payload, n) ? sh->calls + 1 : 0;
}

/* A trap, then the next call runs on a fresh instance: its count starts again. */
static void sc_trap(worker *w, int sc, soak_host *sh) {
  const uint8_t *r;
  size_t rl, n = make_payload(w, 0);
  bool u = sc == SC_TRAP;
  const char *op = u ? "trap" : "oob";
  wapc_status st = call(w, sh, op, w->payload, n, &r, &rl);
  expect_fail_str(w, sc, sh, op, st, r, rl, WAPC_ERR_TRAP,
                  u ? "trap: unreachable" : "trap: out of bounds memory access");
  sh->calls = 0;
  check_count(w, sc, sh);
  if (rnd_below(w, 2)) sc_data(w, sc, sh, SC_ECHO + (int)rnd_below(w, 3));
}

static void sc_swap(worker *w, int sc, soak_host *sh) {
  if (sc == SC_BAD_SWAP) {
    wapc_status st = wapc_host_replace_module(sh->h, empty_module, sizeof empty_module);
    expect_fail_str(w, sc, sh, "replace_module(empty module)", st, NULL, 0, WAPC_ERR_LINK,
                    "module does not export function \"__guest_call\"");
    check_version(w, sc, sh); /* the old module, the same instance: its count goes on */
    check_count(w, sc, sh);
    return;
  }
  int to = sh->version == 1 ? 2 : 1;
  wapc_status st = wapc_host_replace_module(sh->h, wasm[to == 1 ? MOD_V1 : MOD_V2].data,
                                            wasm[to == 1 ? MOD_V1 : MOD_V2].len);
  if (st != WAPC_OK) {
    char d[600];
    fail(w, sc, sh, "replace_module(v%d): %s", to, describe(sh, st, d, sizeof d));
    return;
  }
  pass();
  w->swaps++;
  sh->version = to;
  sh->calls = 0;
  check_version(w, sc, sh);
  check_count(w, sc, sh);
  if (rnd_below(w, 2)) sc_data(w, sc, sh, SC_FNV);
}

/* A module compiled for this worker alone and freed at once; its hosts go on using it. */
static void sc_private_module(worker *w, int sc) {
  int mod = rnd_below(w, 2) ? MOD_V1 : MOD_V2;
  char msg[300] = "";
  wapc_module *m = NULL;
  wapc_status st = wapc_module_compile(NULL, wasm[mod].data, wasm[mod].len, &m, msg, sizeof msg);
  if (st != WAPC_OK || !m) {
    fail(w, sc, NULL, "wapc_module_compile(%s): %s \"%s\"", mod_files[mod], wapc_status_name(st), msg);
    return;
  }
  w->modules_compiled++;
  soak_host *a = &w->hosts[rnd_below(w, HOSTS_PER_WORKER)], b = {0};
  soak_host *both[2] = {a, &b};
  for (int i = 0; i < 2; i++) {
    soak_host *sh = both[i];
    drop_host(sh);
    sh->w = w;
    sh->version = mod == MOD_V1 ? 1 : 2;
    sh->calls = 0;
    st = wapc_host_new_builtin_module(NULL, m, host_cb, sh, &sh->h, msg, sizeof msg);
    if (st != WAPC_OK || !sh->h) {
      fail(w, sc, NULL, "new_builtin_module(private %s): %s \"%s\"", mod_files[mod], wapc_status_name(st),
           msg);
      sh->h = NULL;
    } else {
      pass();
      sh->id = wapc_host_id(sh->h);
      w->hosts_created++;
    }
  }
  wapc_module_free(m);
  for (int i = 0; i < 2; i++)
    if (both[i]->h) {
      sc_data(w, sc, both[i], SC_REVERSE);
      check_count(w, sc, both[i]);
    }
  drop_host(&b);
}

/* Replace the shared module `mod` by a fresh compile and free the old one (which its hosts may still
 * use); NULL on success, else the message (static storage). */
static const char *recompile_shared(int mod) {
  static _Thread_local char msg[300];
  wapc_module *m = NULL;
  wapc_status st = wapc_module_compile(NULL, wasm[mod].data, wasm[mod].len, &m, msg, sizeof msg);
  if (st != WAPC_OK || !m) return msg;
  pthread_rwlock_wrlock(&shared_lock);
  wapc_module *old = shared_mod[mod];
  shared_mod[mod] = m;
  pthread_rwlock_unlock(&shared_lock);
  wapc_module_free(old);
  return NULL;
}

static void sc_recompile(worker *w, int sc) {
  int mod = (int)rnd_below(w, MOD_N);
  const char *e = recompile_shared(mod);
  if (e) {
    fail(w, sc, NULL, "wapc_module_compile(%s): \"%s\"", mod_files[mod], e);
    return;
  }
  pass();
  w->modules_compiled++;
}

static wapc_builtin_options timeout_options(uint32_t ms) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.timeout_ms = ms;
  return o;
}

/* A guest loop on a host with a deadline: WAPC_ERR_DEADLINE within the slack, then a working call. */
static void sc_deadline(worker *w, int sc) {
  uint32_t t = 100 + rnd_below(w, 151); /* long enough for the calls that must finish on a busy machine */
  wapc_builtin_options o = timeout_options(t);
  soak_host *sh = &w->dl;
  if (!make_host(w, sc, sh, rnd_below(w, 2) ? MOD_V1 : MOD_V2, &o, true)) return;
  const uint8_t *r;
  size_t rl;
  if (rnd_below(w, 2)) check_count(w, sc, sh);
  long t0 = now_ms();
  wapc_status st = call(w, sh, "loop", NULL, 0, &r, &rl);
  long took = now_ms() - t0;
  if (expect_fail_str(w, sc, sh, "loop", st, r, rl, WAPC_ERR_DEADLINE, "deadline exceeded")) w->deadlines++;
  if (took > (long)t + cfg.slack_ms)
    fail(w, sc, sh, "loop with timeout_ms %" PRIu32 " returned after %ld ms", t, took);
  else
    pass();
  sh->calls = 0;
  check_count(w, sc, sh);
  drop_host(sh);
}

/* The worker's interrupt host (a safety timeout turns a lost interrupt into a failure, not a hang). */
static soak_host *interrupt_host(worker *w, int sc) {
  if (!w->intr.h || rnd_below(w, 8) == 0) {
    wapc_builtin_options o = timeout_options(INTERRUPT_SAFETY_MS);
    if (!make_host(w, sc, &w->intr, rnd_below(w, 2) ? MOD_V1 : MOD_V2, &o, true)) return NULL;
  }
  return &w->intr;
}

/* An endless loop that only an interrupt from another thread can stop. */
static void sc_interrupt_loop(worker *w, int sc) {
  soak_host *sh = interrupt_host(w, sc);
  if (!sh) return;
  const uint8_t *r;
  size_t rl;
  publish(w, sh->h);
  long t0 = now_ms();
  wapc_status st = call(w, sh, "loop", NULL, 0, &r, &rl);
  long took = now_ms() - t0;
  publish(w, NULL);
  if (expect_fail_str(w, sc, sh, "loop", st, r, rl, WAPC_ERR_INTERRUPTED, "interrupted"))
    w->interrupted++;
  else
    fail(w, sc, sh, "(the loop ran for %ld ms on a host with timeout_ms %u)", took, INTERRUPT_SAFETY_MS);
  sh->calls = 0;
  drain(w, sc, sh);
}

/* Short calls while other threads send interrupts: each one either finishes or is interrupted. */
static void sc_interrupt_spin(worker *w, int sc) {
  soak_host *sh = interrupt_host(w, sc);
  if (!sh) return;
  publish(w, sh->h);
  for (int k = 1 + (int)rnd_below(w, 6); k > 0; k--) {
    const uint8_t *r;
    size_t rl;
    uint8_t n[4];
    put_u32(n, rnd_below(w, 400000));
    wapc_status st = call(w, sh, "spin", n, 4, &r, &rl);
    if (st == WAPC_ERR_INTERRUPTED) {
      if (expect_fail_str(w, sc, sh, "spin", st, r, rl, WAPC_ERR_INTERRUPTED, "interrupted"))
        w->interrupted++;
      sh->calls = 0;
    } else {
      sh->calls = expect_ok(w, sc, sh, "spin", st, r, rl, "spun", 4) ? sh->calls + 1 : 0;
    }
  }
  publish(w, NULL);
  drain(w, sc, sh);
}

static void sc_poke(worker *w) {
  if (cfg.threads < 2) return;
  int other = (int)rnd_below(w, (uint32_t)cfg.threads - 1);
  if (other >= w->index) other++;
  interrupt_slot(other, rnd(w), 1, w);
}

/* The sleep guest: a WASI sleep of SLEEP_MS stopped by a deadline (DEADLINE) or an interrupt. */
static void sc_sleep(worker *w, int sc) {
  bool by_deadline = sc == SC_SLEEP_DEADLINE;
  uint32_t t = 100 + rnd_below(w, 151);
  wapc_builtin_options o = timeout_options(by_deadline ? t : INTERRUPT_SAFETY_MS);
  soak_host *sh = &w->dl;
  if (!make_host(w, sc, sh, MOD_SLEEP, &o, true)) return;
  const uint8_t *r;
  size_t rl;
  uint8_t ms[4];
  put_u32(ms, SLEEP_MS);
  if (!by_deadline) publish(w, sh->h);
  long t0 = now_ms();
  wapc_status st = call(w, sh, "pause", ms, 4, &r, &rl);
  long took = now_ms() - t0;
  if (!by_deadline) publish(w, NULL);
  long *max = by_deadline ? &w->sleep_deadline_max_ms : &w->sleep_interrupt_max_ms;
  if (took > *max) *max = took;
  if (by_deadline) {
    if (expect_fail_str(w, sc, sh, "pause", st, r, rl, WAPC_ERR_DEADLINE, "deadline exceeded"))
      w->deadlines++;
  } else if (expect_fail_str(w, sc, sh, "pause", st, r, rl, WAPC_ERR_INTERRUPTED, "interrupted")) {
    w->interrupted++;
  }
  long bound = (by_deadline ? (long)t : 0) + cfg.slack_ms;
  if (took > bound)
    fail(w, sc, sh, "a %u ms WASI sleep %s returned after %ld ms (bound %ld ms)", SLEEP_MS,
         by_deadline ? "with a deadline" : "interrupted", took, bound);
  else
    pass();
  sh->calls = 0;
  if (by_deadline)
    check_count(w, sc, sh);
  else
    drain(w, sc, sh);
  drop_host(sh);
}

static void free_hosts(worker *w) {
  for (int i = 0; i < HOSTS_PER_WORKER; i++)
    drop_host(&w->hosts[i]);
  drop_host(&w->dl);
  drop_host(&w->intr);
}

static int pick_scenario(worker *w) {
  unsigned total = 0;
  for (int i = 0; i < SC_N; i++)
    if (cfg.sleep || (i != SC_SLEEP_DEADLINE && i != SC_SLEEP_INTERRUPT)) total += sc_weight[i];
  unsigned r = rnd_below(w, total);
  for (int i = 0; i < SC_N; i++) {
    if (!cfg.sleep && (i == SC_SLEEP_DEADLINE || i == SC_SLEEP_INTERRUPT)) continue;
    if (r < sc_weight[i]) return i;
    r -= sc_weight[i];
  }
  return SC_ECHO;
}

static void *worker_main(void *arg) {
  worker *w = arg;
  while (!atomic_load(&stop_flag)) {
    if (atomic_load(&pause_flag)) { /* quiescent point for an RSS sample: nothing of ours alive */
      free_hosts(w);
      pthread_barrier_wait(&pause_barrier);
      pthread_barrier_wait(&pause_barrier);
      continue;
    }
    int sc = pick_scenario(w);
    w->runs[sc]++;
    soak_host *sh = NULL;
    switch (sc) {
    case SC_ECHO:
    case SC_REVERSE:
    case SC_FNV:
    case SC_COUNT:
    case SC_HOST_OK:
    case SC_HOST_FAIL:
    case SC_GUEST_ERROR:
    case SC_TRAP:
    case SC_OOB:
    case SC_SWAP:
    case SC_BAD_SWAP:
      if (!(sh = some_host(w, sc))) continue;
      break;
    default: break;
    }
    switch (sc) {
    case SC_ECHO:
    case SC_REVERSE:
    case SC_FNV: sc_data(w, sc, sh, sc); break;
    case SC_COUNT: check_count(w, sc, sh); break;
    case SC_HOST_OK:
    case SC_HOST_FAIL: sc_host_call(w, sc, sh); break;
    case SC_GUEST_ERROR: sc_guest_error(w, sc, sh); break;
    case SC_TRAP:
    case SC_OOB: sc_trap(w, sc, sh); break;
    case SC_SWAP:
    case SC_BAD_SWAP: sc_swap(w, sc, sh); break;
    case SC_NEW_HOST: {
      soak_host *n = &w->hosts[rnd_below(w, HOSTS_PER_WORKER)];
      if (make_host(w, sc, n, rnd_below(w, 2) ? MOD_V1 : MOD_V2, NULL, true)) sc_data(w, sc, n, SC_ECHO);
      break;
    }
    case SC_PRIVATE_MODULE: sc_private_module(w, sc); break;
    case SC_RECOMPILE: sc_recompile(w, sc); break;
    case SC_DEADLINE: sc_deadline(w, sc); break;
    case SC_INTERRUPT_LOOP: sc_interrupt_loop(w, sc); break;
    case SC_INTERRUPT_SPIN: sc_interrupt_spin(w, sc); break;
    case SC_POKE: sc_poke(w); break;
    case SC_SLEEP_DEADLINE:
    case SC_SLEEP_INTERRUPT: sc_sleep(w, sc); break;
    default: break;
    }
  }
  free_hosts(w);
  return NULL;
}

/* Interrupts whatever the workers publish, every 0.2 to 2 ms, each time with probability 1/3. */
static void *interrupter_main(void *arg) {
  uint64_t s = *(const uint64_t *)arg;
  while (!atomic_load(&interrupter_stop)) {
    sleep_us(200 + (long)(splitmix(&s) % 1800));
    for (int i = 0; i < cfg.threads; i++)
      interrupt_slot(i, splitmix(&s), 3, NULL);
  }
  return NULL;
}

/* ---- RSS ---------------------------------------------------------------------------------------------- */

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return -1;
  long size = 0, resident = -1;
  if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
  fclose(f);
  return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

typedef struct sample {
  double t;
  long kib;
} sample;

/*
 * Flat means: the largest quiescent sample of the last 20% of the run exceeds the largest of the 20%
 * that follow the warm-up (20% to 40% of the run) by at most max(tolerance, 5%).  Windows of maxima, not
 * single samples, so that one sample taken while the allocator happened to hold a little more does not
 * decide; a leak grows through the whole run and shows.  Returns true when flat.
 */
static bool rss_verdict(const sample *s, int n, double total, long *base, long *end) {
  *base = *end = -1;
  for (int i = 0; i < n; i++) {
    if (s[i].t >= 0.2 * total && s[i].t <= 0.4 * total && s[i].kib > *base) *base = s[i].kib;
    if (s[i].t >= 0.8 * total && s[i].kib > *end) *end = s[i].kib;
  }
  if (*base < 0 || *end < 0) return true; /* too short to judge: reported as such by the caller */
  double tol = cfg.rss_tolerance_mib * 1024;
  if (tol < 0.05 * (double)*base) tol = 0.05 * (double)*base;
  return (double)(*end - *base) <= tol;
}

/* ---- main --------------------------------------------------------------------------------------------- */

static void usage(FILE *f) {
  fprintf(f,
          "usage: wapc_soak [--seconds N] [--threads T] [--seed S] [--sleep | --no-sleep] [--slack-ms MS]\n"
          "                 [--rss-tolerance-mib M] [--rss-check | --no-rss-check] [--guests DIR]\n");
}

static bool load_file(const char *dir, const char *name, bytes *out) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "wapc_soak: cannot open %s\n", path);
    return false;
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  out->data = malloc(n > 0 ? (size_t)n : 1);
  out->len = out->data ? fread(out->data, 1, (size_t)(n > 0 ? n : 0), f) : 0;
  fclose(f);
  return out->data && out->len == (size_t)n;
}

static bool parse_args(int argc, char **argv) {
  cfg.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    char *end = NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      exit(0);
    } else if (!strcmp(a, "--sleep")) {
      cfg.sleep = true;
    } else if (!strcmp(a, "--no-sleep")) {
      cfg.sleep = false;
    } else if (!strcmp(a, "--rss-check")) {
      cfg.rss_check = true;
    } else if (!strcmp(a, "--no-rss-check")) {
      cfg.rss_check = false;
    } else if (!v) {
      return false;
    } else if (!strcmp(a, "--guests")) {
      cfg.guests = v;
      i++;
    } else {
      errno = 0;
      if (!strcmp(a, "--seconds"))
        cfg.seconds = strtod(v, &end);
      else if (!strcmp(a, "--threads"))
        cfg.threads = (int)strtol(v, &end, 10);
      else if (!strcmp(a, "--seed"))
        cfg.seed = strtoull(v, &end, 0);
      else if (!strcmp(a, "--slack-ms"))
        cfg.slack_ms = strtol(v, &end, 10);
      else if (!strcmp(a, "--rss-tolerance-mib"))
        cfg.rss_tolerance_mib = strtod(v, &end);
      else
        return false;
      if (errno || !end || *end || end == v) return false;
      i++;
    }
  }
  return cfg.seconds > 0 && cfg.threads >= 1 && cfg.threads <= 256 && cfg.slack_ms >= 0 &&
         cfg.rss_tolerance_mib >= 0;
}

int main(int argc, char **argv) {
  if (!parse_args(argc, argv)) {
    usage(stderr);
    return 64;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = 0; i < MOD_N; i++)
    if (!load_file(cfg.guests, mod_files[i], &wasm[i])) return 2;
  for (int i = 0; i < MOD_N; i++) {
    char msg[300] = "";
    if (wapc_module_compile(NULL, wasm[i].data, wasm[i].len, &shared_mod[i], msg, sizeof msg) != WAPC_OK) {
      fprintf(stderr, "wapc_soak: cannot compile %s: %s\n", mod_files[i], msg);
      return 2;
    }
  }
  printf("wapc_soak: libwapc %s, %g s, %d threads, seed %" PRIu64
         ", WASI sleep %s, slack %ld ms, RSS check %s\n",
         wapc_version(), cfg.seconds, cfg.threads, cfg.seed, cfg.sleep ? "on" : "off", cfg.slack_ms,
         cfg.rss_check ? "on" : "off");

  worker *workers = calloc((size_t)cfg.threads, sizeof *workers);
  slots = calloc((size_t)cfg.threads, sizeof *slots);
  if (!workers || !slots) return 2;
  pthread_barrier_init(&pause_barrier, NULL, (unsigned)cfg.threads + 1);
  for (int i = 0; i < cfg.threads; i++) {
    pthread_mutex_init(&slots[i].mu, NULL);
    worker *w = &workers[i];
    w->index = i;
    w->rng = cfg.seed + 0x1000u * (uint64_t)(i + 1);
    w->payload = malloc(MAX_PAYLOAD + 64);
    w->expect = malloc(MAX_PAYLOAD + 256);
    w->cbbuf = malloc(MAX_PAYLOAD + 256);
    if (!w->payload || !w->expect || !w->cbbuf) return 2;
    /* touched now, so that their pages count from the first sample on */
    memset(w->payload, 0, MAX_PAYLOAD + 64);
    memset(w->expect, 0, MAX_PAYLOAD + 256);
    memset(w->cbbuf, 0, MAX_PAYLOAD + 256);
  }
  uint64_t interrupter_seed = cfg.seed ^ 0xabcdefull;
  pthread_t interrupter;
  pthread_create(&interrupter, NULL, interrupter_main, &interrupter_seed);
  for (int i = 0; i < cfg.threads; i++)
    pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);

  /* Sample RSS at quiescent points: about 150 per run, 0.25 s to 15 s apart. */
  double interval = cfg.seconds / 150;
  interval = interval < 0.25 ? 0.25 : interval > 15 ? 15 : interval;
  int cap = (int)(cfg.seconds / interval) + 8, n = 0;
  sample *samples = calloc((size_t)cap, sizeof *samples);
  long start = now_ms(), last_progress = start, live_max = 0;
  for (;;) {
    double t = (double)(now_ms() - start) / 1000;
    double next = (n + 1) * interval;
    if (next > cfg.seconds) break;
    if (next > t) sleep_us((long)((next - t) * 1e6));
    long live = rss_kib();
    if (live > live_max) live_max = live;
    atomic_store(&pause_flag, 1);
    pthread_barrier_wait(&pause_barrier);
    /* No host is alive: fresh shared modules release the pools of the old ones (pooled memories and
     * stacks come and go with the workload, up to megabytes), so what remains is what must stay flat. */
    for (int i = 0; i < MOD_N; i++)
      if (recompile_shared(i)) {
        fprintf(stderr, "FAIL [seed %" PRIu64 " main]: cannot recompile %s\n", cfg.seed, mod_files[i]);
        atomic_fetch_add(&checks_failed, 1);
      }
#ifdef __GLIBC__
    malloc_trim(0); /* what the allocator keeps but nobody uses would hide a leak or fake one */
#endif
    long kib = rss_kib();
    atomic_store(&pause_flag, 0);
    pthread_barrier_wait(&pause_barrier);
    if (samples && n < cap) samples[n++] = (sample){(double)(now_ms() - start) / 1000, kib};
    if (now_ms() - last_progress >= 60000) {
      last_progress = now_ms();
      long calls = 0;
      for (int i = 0; i < cfg.threads; i++)
        calls += workers[i].calls;
      printf("[%6.0f s] %ld calls, RSS %ld KiB (quiescent), %ld KiB (live), %ld passed, %ld failed\n",
             (double)(last_progress - start) / 1000, calls, kib, live, atomic_load(&checks_passed),
             atomic_load(&checks_failed));
    }
  }
  double total = (double)(now_ms() - start) / 1000;
  atomic_store(&stop_flag, 1);
  for (int i = 0; i < cfg.threads; i++)
    pthread_join(workers[i].thread, NULL);
  atomic_store(&interrupter_stop, 1);
  pthread_join(interrupter, NULL);

  /* totals */
  long runs[SC_N] = {0}, fails[SC_N] = {0}, calls = 0, created = 0, compiled = 0, swaps = 0, interrupted = 0,
       deadlines = 0, sleep_dl_max = 0, sleep_int_max = 0;
  for (int i = 0; i < cfg.threads; i++) {
    worker *w = &workers[i];
    for (int s = 0; s < SC_N; s++)
      runs[s] += w->runs[s], fails[s] += w->fails[s];
    calls += w->calls;
    created += w->hosts_created;
    compiled += w->modules_compiled;
    swaps += w->swaps;
    interrupted += w->interrupted;
    deadlines += w->deadlines;
    if (w->sleep_deadline_max_ms > sleep_dl_max) sleep_dl_max = w->sleep_deadline_max_ms;
    if (w->sleep_interrupt_max_ms > sleep_int_max) sleep_int_max = w->sleep_interrupt_max_ms;
  }
  printf("\n%-20s %10s %8s\n", "scenario", "runs", "failed");
  for (int s = 0; s < SC_N; s++)
    printf("%-20s %10ld %8ld\n", sc_name[s], runs[s], fails[s]);
  printf("\n%.1f s: %ld calls (%.0f/s), %ld hosts created, %ld modules compiled, %ld hot swaps, "
         "%ld interrupts sent, %ld calls interrupted, %ld deadlines\n",
         total, calls, (double)calls / total, created, compiled, swaps, atomic_load(&interrupts_sent),
         interrupted, deadlines);
  if (cfg.sleep)
    printf("WASI sleep of %u ms: slowest stop by deadline %ld ms, by interrupt %ld ms\n", SLEEP_MS,
           sleep_dl_max, sleep_int_max);

  printf("\nRSS at quiescent points (KiB; t in s), peak live sample %ld KiB:\n", live_max);
  for (int i = 0; i < n; i++)
    printf("%7.1f:%-7ld%s", samples[i].t, samples[i].kib, i % 8 == 7 || i == n - 1 ? "\n" : " ");
  long base, end;
  bool flat = rss_verdict(samples, n, total, &base, &end);
  if (base < 0 || end < 0) {
    printf("RSS: too few samples to judge\n");
  } else {
    printf(
        "RSS: max %ld KiB after warm-up (20-40%% of the run), max %ld KiB at the end (last 20%%): %+ld KiB "
        "(tolerance max(%.1f MiB, 5%%))%s\n",
        base, end, end - base, cfg.rss_tolerance_mib,
        cfg.rss_check ? (flat ? ": flat" : ": GROWING")
                      : ": not checked (sanitizer build or --no-rss-check)");
    if (cfg.rss_check) {
      if (flat)
        atomic_fetch_add(&checks_passed, 1);
      else
        atomic_fetch_add(&checks_failed, 1);
    }
  }

  for (int i = 0; i < MOD_N; i++) {
    wapc_module_free(shared_mod[i]);
    free(wasm[i].data);
  }
  for (int i = 0; i < cfg.threads; i++) {
    free(workers[i].payload);
    free(workers[i].expect);
    free(workers[i].cbbuf);
    pthread_mutex_destroy(&slots[i].mu);
  }
  free(workers);
  free(slots);
  free(samples);
  pthread_barrier_destroy(&pause_barrier);
  long passed = atomic_load(&checks_passed), failed = atomic_load(&checks_failed);
  printf("soak: %ld passed, %ld failed\n", passed, failed);
  return failed ? 1 : 0;
}
