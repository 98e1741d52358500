/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pool.c - pools of hosts made from one compiled module (wapc.h states the
 * contract).  Built on the public host API, plus the module's reference count
 * (builtin/module.h).
 *
 * A call's way through the pool must not serialise the callers, or two
 * threads would call slower than one: a free host is taken without a lock,
 * by moving its slot from IDLE to BUSY with one compare-and-swap, starting at
 * the slot this thread used last (so each thread tends to keep its own warm
 * host and threads do not collide); giving it back is one atomic store.  The
 * mutex is taken only to make a host (into an EMPTY slot, reserved as
 * CREATING; the host's initialisation runs outside the lock), to wait for
 * one, to free one, and to interrupt: a slot's host pointer changes only
 * under the mutex, which is what lets wapc_pool_interrupt call
 * wapc_host_interrupt on a busy host without it being freed meanwhile.  A
 * host that was interrupted may carry the request into its next call
 * (wapc_host_interrupt's contract), so it is freed instead of being handed
 * out again.  Idle hosts above min_hosts are trimmed on release, at most one
 * check per quarter of idle_ms, so no background thread exists.
 */
#include "wapc.h"

#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "builtin/module.h"
#include "util/clock.h"
#include "util/mem.h"
#include "util/report.h"

enum { SLOT_EMPTY, SLOT_CREATING, SLOT_IDLE, SLOT_BUSY };

/* wapc_host_stats is all uint64_t counters: summed word by word. */
#define HOST_STATS_WORDS (sizeof(wapc_host_stats) / sizeof(uint64_t))
_Static_assert(sizeof(wapc_host_stats) % sizeof(uint64_t) == 0,
               "wapc_host_stats holds uint64_t counters only");

/* One host place, on its own cache line: callers on different cores touch different slots. */
typedef struct slot {
  alignas(64) atomic_int state;
  atomic_bool interrupted;        /* interrupted while busy: freed, never handed out again */
  _Atomic uint64_t idle_since_ns; /* when it was last given back */
  wapc_host *_Atomic host;        /* changes only under the mutex; read anywhere */
  /* Counted here, not in the pool: a line every caller writes would serialise them. */
  atomic_uint_least64_t calls, acquisitions;
  /* The counters of every host this slot has held, summed: written only by the thread that has the
   * slot BUSY (when it gives it back), read by wapc_pool_stats_get. */
  atomic_uint_least64_t totals[HOST_STATS_WORDS];
  uint64_t seen[HOST_STATS_WORDS]; /* the current host's counters when last summed (the owner's) */
} slot;

/* Counters as atomics: the fast path takes no lock. */
typedef struct counters {
  atomic_uint_least64_t waits, timeouts, created, freed, wait_ns;
} counters;

struct wapc_pool {
  pthread_mutex_t lock;
  pthread_cond_t released; /* a host came back, a slot became EMPTY, or the pool is closing */
  pthread_cond_t drained;  /* while closing: the last busy slot or waiter left */
  wapc_pool_options opts;
  wapc_builtin_options hopts; /* WASI strings point into `strings` */
  void *strings;              /* one block: the copied WASI arrays and strings */
  wapc_module *module;        /* the pool's reference */
  wapc_host_callback callback;
  void *user;
  slot *slots;         /* max_hosts of them, each in a state of its own */
  uint32_t nslots;     /* max_hosts */
  atomic_uint waiting; /* callers waiting for a host (under the mutex) */
  atomic_bool closing;
  _Atomic uint64_t next_trim_ns; /* no idle check before this */
  counters n;

  /* Asynchronous calls (wapc_pool_submit): a queue and the threads that serve it, started by the first
   * submit.  A lock of their own: submitting never waits for the slots' mutex. */
  pthread_mutex_t qlock;
  pthread_cond_t qcond; /* a job was queued, or the queue is closing */
  struct job *head, *tail;
  uint32_t queued;
  pthread_t *workers;
  uint32_t nworkers;
  bool qclosing;
};

/* A queued call: its op and payload copied (the submitter's buffers may be gone when it runs). */
typedef struct job {
  struct job *next;
  void *context;
  wapc_pool_done done;
  void *user;
  size_t op_len, len;
  uint8_t bytes[]; /* op, then payload */
} job;

/* Jobs queued at most: beyond, submit answers WAPC_ERR_BUSY instead of growing without bound. */
#define MAX_QUEUED 65536u

/* The slot this thread took last: where its next search starts. */
static _Thread_local uint32_t home_slot;

void wapc_pool_options_init(wapc_pool_options *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->struct_size = sizeof *o;
  o->min_hosts = 0;
  o->max_hosts = 8;
  o->idle_ms = 30000;
  o->wait_ms = 10000;
}

void wapc_bytes_free(wapc_bytes *b) {
  if (!b) return;
  mem_free(b->data);
  b->data = NULL;
  b->len = 0;
}

/* ---- copying the host options ---------------------------------------------------------------- */

static size_t str_size(const char *s) {
  return s ? strlen(s) + 1 : 0;
}

/* Copy a string into the block at *at (NULL stays NULL). */
static const char *put_str(char *block, size_t *at, const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  memcpy(block + *at, s, n);
  const char *r = block + *at;
  *at += n;
  return r;
}

/* hopts = *o with every WASI array and string copied into one block (the pool makes hosts later, when
 * the caller's strings may be gone). */
static wapc_status copy_host_options(wapc_pool *p, const wapc_builtin_options *o) {
  wapc_builtin_options_init(&p->hopts);
  if (o) {
    size_t n = o->struct_size < sizeof p->hopts ? o->struct_size : sizeof p->hopts;
    if (n < offsetof(wapc_builtin_options, max_memory_pages)) return WAPC_ERR_MISUSE;
    memcpy(&p->hopts, o, n);
    p->hopts.struct_size = sizeof p->hopts;
  }
  wapc_builtin_options *h = &p->hopts;
  if ((h->wasi_nargs && !h->wasi_args) || (h->wasi_nenv && !h->wasi_env) ||
      (h->wasi_ndirs && !h->wasi_dirs) || h->wasi_nargs > 1u << 20 || h->wasi_nenv > 1u << 20 ||
      h->wasi_ndirs > 1024)
    return WAPC_ERR_MISUSE;
  size_t total = (h->wasi_nargs + h->wasi_nenv) * sizeof(char *) + h->wasi_ndirs * sizeof(wapc_wasi_dir);
  for (size_t i = 0; i < h->wasi_nargs; i++)
    total += str_size(h->wasi_args[i]);
  for (size_t i = 0; i < h->wasi_nenv; i++)
    total += str_size(h->wasi_env[i]);
  for (size_t i = 0; i < h->wasi_ndirs; i++)
    total += str_size(h->wasi_dirs[i].host_path) + str_size(h->wasi_dirs[i].guest_path);
  if (total == 0) return WAPC_OK;
  /* Pointer arrays first (aligned), the strings after them. */
  char *block = mem_malloc(total);
  if (!block) return WAPC_ERR_NOMEM;
  p->strings = block;
  const char **args = (const char **)(void *)block;
  const char **env = args + h->wasi_nargs;
  wapc_wasi_dir *dirs = (wapc_wasi_dir *)(void *)(env + h->wasi_nenv);
  size_t at = (h->wasi_nargs + h->wasi_nenv) * sizeof(char *) + h->wasi_ndirs * sizeof(wapc_wasi_dir);
  for (size_t i = 0; i < h->wasi_nargs; i++)
    args[i] = put_str(block, &at, h->wasi_args[i]);
  for (size_t i = 0; i < h->wasi_nenv; i++)
    env[i] = put_str(block, &at, h->wasi_env[i]);
  for (size_t i = 0; i < h->wasi_ndirs; i++) {
    dirs[i] = h->wasi_dirs[i];
    dirs[i].host_path = put_str(block, &at, h->wasi_dirs[i].host_path);
    dirs[i].guest_path = put_str(block, &at, h->wasi_dirs[i].guest_path);
  }
  h->wasi_args = h->wasi_nargs ? args : NULL;
  h->wasi_env = h->wasi_nenv ? env : NULL;
  h->wasi_dirs = h->wasi_ndirs ? dirs : NULL;
  return WAPC_OK;
}

/* ---- hosts ----------------------------------------------------------------------------------------- */

static wapc_status make_host(wapc_pool *p, wapc_host **out, char *message, size_t message_len) {
  wapc_status st =
      wapc_host_new_builtin_module(&p->hopts, p->module, p->callback, p->user, out, message, message_len);
  if (st == WAPC_OK && p->opts.time_guest) wapc_host_set_timing(*out, 1);
  return st;
}

/* Add what slot s's host has done since the last sum to the slot's totals (by the thread that has s BUSY). */
static void sum_host_stats(slot *s) {
  wapc_host_stats hs;
  uint64_t now[HOST_STATS_WORDS];
  if (wapc_host_stats_get(atomic_load(&s->host), &hs) != WAPC_OK) return;
  memcpy(now, &hs, sizeof now);
  for (size_t k = 0; k < HOST_STATS_WORDS; k++) {
    uint64_t t = atomic_load_explicit(&s->totals[k], memory_order_relaxed);
    atomic_store_explicit(&s->totals[k], t + (now[k] - s->seen[k]), memory_order_relaxed);
    s->seen[k] = now[k];
  }
}

static uint32_t count_state(wapc_pool *p, int state) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < p->nslots; i++)
    if (atomic_load(&p->slots[i].state) == state) n++;
  return n;
}

static uint32_t count_hosts(wapc_pool *p) {
  return p->nslots - count_state(p, SLOT_EMPTY) - count_state(p, SLOT_CREATING);
}

/* An idle host, taken without the lock (IDLE -> BUSY); -1 when none. */
static int take_idle(wapc_pool *p) {
  uint32_t start = home_slot < p->nslots ? home_slot : 0;
  for (uint32_t k = 0; k < p->nslots; k++) {
    uint32_t i = (start + k) % p->nslots;
    int idle = SLOT_IDLE;
    if (atomic_load_explicit(&p->slots[i].state, memory_order_relaxed) == SLOT_IDLE &&
        atomic_compare_exchange_strong(&p->slots[i].state, &idle, SLOT_BUSY)) {
      home_slot = i;
      return (int)i;
    }
  }
  return -1;
}

/* An EMPTY slot reserved as CREATING (under the lock); -1 when none. */
static int reserve_empty(wapc_pool *p) {
  for (uint32_t i = 0; i < p->nslots; i++) {
    int empty = SLOT_EMPTY;
    if (atomic_compare_exchange_strong(&p->slots[i].state, &empty, SLOT_CREATING)) {
      atomic_store(&p->slots[i].interrupted, false);
      return (int)i;
    }
  }
  return -1;
}

/* Take slot i's host out and make the slot EMPTY (under the lock); the host is the caller's to free. */
static wapc_host *empty_slot(wapc_pool *p, uint32_t i) {
  wapc_host *h = atomic_load(&p->slots[i].host);
  atomic_store(&p->slots[i].host, NULL);
  atomic_store(&p->slots[i].interrupted, false);
  atomic_store(&p->slots[i].state, SLOT_EMPTY);
  atomic_fetch_add(&p->n.freed, 1);
  pthread_cond_signal(&p->released);
  return h;
}

/* Wake what waits on the mutex: a caller waiting for a host, or wapc_pool_free. */
static void wake(wapc_pool *p) {
  if (!atomic_load(&p->waiting) && !atomic_load(&p->closing)) return;
  pthread_mutex_lock(&p->lock);
  pthread_cond_signal(&p->released);
  if (atomic_load(&p->closing)) pthread_cond_broadcast(&p->drained);
  pthread_mutex_unlock(&p->lock);
}

static void abs_deadline(struct timespec *ts, uint32_t ms) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += (time_t)(ms / 1000);
  ts->tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}

/*
 * Slot i was just taken (BUSY).  A host that an interrupt may have reached
 * after its call ended is replaced first: its request must not stop this
 * caller's call.  WAPC_OK with the host in *out.
 */
static wapc_status fill_slot(wapc_pool *p, uint32_t i, wapc_host **out, char *message, size_t message_len);

static wapc_status hand_out(wapc_pool *p, uint32_t i, wapc_host **out, char *message, size_t message_len) {
  if (atomic_load(&p->slots[i].interrupted)) {
    pthread_mutex_lock(&p->lock);
    wapc_host *old = atomic_load(&p->slots[i].host);
    atomic_store(&p->slots[i].host, NULL);
    atomic_store(&p->slots[i].interrupted, false);
    atomic_store(&p->slots[i].state, SLOT_CREATING);
    atomic_fetch_add(&p->n.freed, 1);
    pthread_mutex_unlock(&p->lock);
    wapc_host_free(old);
    return fill_slot(p, i, out, message, message_len);
  }
  atomic_fetch_add_explicit(&p->slots[i].acquisitions, 1, memory_order_relaxed);
  *out = atomic_load(&p->slots[i].host);
  return WAPC_OK;
}

/* Make a host in reserved slot i (CREATING), outside the lock: its initialisation runs guest code. */
static wapc_status fill_slot(wapc_pool *p, uint32_t i, wapc_host **out, char *message, size_t message_len) {
  wapc_host *h;
  wapc_status st = make_host(p, &h, message, message_len);
  pthread_mutex_lock(&p->lock);
  if (st != WAPC_OK) {
    atomic_store(&p->slots[i].state, SLOT_EMPTY);
    pthread_cond_signal(&p->released);
    if (atomic_load(&p->closing)) pthread_cond_broadcast(&p->drained);
    pthread_mutex_unlock(&p->lock);
    return st;
  }
  atomic_store(&p->slots[i].host, h);
  memset(p->slots[i].seen, 0, sizeof p->slots[i].seen); /* a new host counts from zero */
  /* An interrupt that came while the host was being made is for the call about to run on it. */
  if (atomic_load(&p->slots[i].interrupted)) wapc_host_interrupt(h);
  atomic_store(&p->slots[i].state, SLOT_BUSY);
  atomic_fetch_add(&p->n.created, 1);
  atomic_fetch_add_explicit(&p->slots[i].acquisitions, 1, memory_order_relaxed);
  pthread_mutex_unlock(&p->lock);
  home_slot = i;
  *out = h;
  return WAPC_OK;
}

wapc_status wapc_pool_acquire(wapc_pool *p, uint32_t wait_ms, wapc_host **out, char *message,
                              size_t message_len) {
  if (message && message_len) message[0] = 0;
  if (out) *out = NULL;
  if (!p || !out) return report_msg(message, message_len, WAPC_ERR_MISUSE, "%s is NULL", p ? "host" : "pool");
  if (atomic_load(&p->closing))
    return report_msg(message, message_len, WAPC_ERR_MISUSE, "the pool is shutting down");
  int i = take_idle(p);
  if (i >= 0) return hand_out(p, (uint32_t)i, out, message, message_len);

  struct timespec until;
  bool waited = false;
  uint64_t wait_start = 0;
  pthread_mutex_lock(&p->lock);
  for (;;) {
    if (atomic_load(&p->closing)) {
      pthread_mutex_unlock(&p->lock);
      return report_msg(message, message_len, WAPC_ERR_MISUSE, "the pool is shutting down");
    }
    /* Counted as waiting before looking: a release after the look sees the count and signals under
     * the lock, which this caller holds until it waits, so no wake-up is lost. */
    atomic_fetch_add(&p->waiting, 1);
    i = take_idle(p);
    if (i >= 0) {
      atomic_fetch_sub(&p->waiting, 1);
      pthread_mutex_unlock(&p->lock);
      if (waited) atomic_fetch_add(&p->n.wait_ns, clock_mono_ns() - wait_start);
      return hand_out(p, (uint32_t)i, out, message, message_len);
    }
    i = reserve_empty(p);
    if (i >= 0) {
      atomic_fetch_sub(&p->waiting, 1);
      pthread_mutex_unlock(&p->lock);
      if (waited) atomic_fetch_add(&p->n.wait_ns, clock_mono_ns() - wait_start);
      return fill_slot(p, (uint32_t)i, out, message, message_len);
    }
    if (!waited) {
      waited = true;
      wait_start = clock_mono_ns();
      atomic_fetch_add(&p->n.waits, 1);
      abs_deadline(&until, wait_ms);
    }
    int rc = wait_ms ? pthread_cond_timedwait(&p->released, &p->lock, &until) : ETIMEDOUT;
    atomic_fetch_sub(&p->waiting, 1);
    if (atomic_load(&p->closing)) pthread_cond_broadcast(&p->drained);
    if (rc == ETIMEDOUT) {
      atomic_fetch_add(&p->n.timeouts, 1);
      atomic_fetch_add(&p->n.wait_ns, clock_mono_ns() - wait_start);
      pthread_mutex_unlock(&p->lock);
      return report_msg(message, message_len, WAPC_ERR_BUSY, "no free host within %u ms (all %u busy)",
                        wait_ms, p->opts.max_hosts);
    }
  }
}

/* The busy slot holding `h`, or NULL.  The search starts at the slot this thread took last, which is
 * nearly always the one: other threads' slots, which they write on every call, are not touched. */
static slot *busy_slot_of(wapc_pool *p, const wapc_host *h) {
  uint32_t start = home_slot < p->nslots ? home_slot : 0;
  for (uint32_t k = 0; k < p->nslots; k++) {
    slot *s = &p->slots[(start + k) % p->nslots];
    if (atomic_load(&s->host) == h && atomic_load(&s->state) == SLOT_BUSY) return s;
  }
  return NULL;
}

/* Free the hosts idle for longer than idle_ms, down to min_hosts (at most one check per idle_ms / 4). */
static void trim_idle(wapc_pool *p, uint64_t now) {
  uint64_t limit = (uint64_t)p->opts.idle_ms * 1000000u;
  uint64_t next = atomic_load(&p->next_trim_ns);
  if (now < next || !atomic_compare_exchange_strong(&p->next_trim_ns, &next, now + limit / 4)) return;
  for (;;) {
    wapc_host *drop = NULL;
    pthread_mutex_lock(&p->lock);
    if (count_hosts(p) > p->opts.min_hosts) {
      for (uint32_t i = 0; i < p->nslots && !drop; i++) {
        slot *s = &p->slots[i];
        int idle = SLOT_IDLE;
        uint64_t since = atomic_load(&s->idle_since_ns);
        /* `since` may be after `now` (given back by another thread meanwhile): not idle long. */
        if (atomic_load(&s->state) == SLOT_IDLE && since < now && now - since > limit &&
            atomic_compare_exchange_strong(&s->state, &idle, SLOT_BUSY))
          drop = empty_slot(p, i);
      }
    }
    pthread_mutex_unlock(&p->lock);
    if (!drop) return;
    wapc_host_free(drop);
  }
}

/* Give back busy slot s (its host found once by the caller). */
static void give_back(wapc_pool *p, slot *s) {
  uint64_t now = clock_mono_ns();
  sum_host_stats(s);
  if (atomic_load(&s->interrupted)) {
    pthread_mutex_lock(&p->lock);
    wapc_host *drop = empty_slot(p, (uint32_t)(s - p->slots));
    if (atomic_load(&p->closing)) pthread_cond_broadcast(&p->drained);
    pthread_mutex_unlock(&p->lock);
    wapc_host_free(drop);
    return;
  }
  atomic_store(&s->idle_since_ns, now);
  atomic_store(&s->state, SLOT_IDLE);
  wake(p);
  if (p->opts.idle_ms) trim_idle(p, now);
}

void wapc_pool_release(wapc_pool *p, wapc_host *h) {
  if (!p || !h) return;
  slot *s = busy_slot_of(p, h);
  /* Not ours, or not acquired: a caller's mistake, ignored rather than corrupting the slots. */
  if (s) give_back(p, s);
}

/* A call made on a pool host: counted in its slot, and the host given back. */
static void call_done(wapc_pool *p, wapc_host *h) {
  slot *s = busy_slot_of(p, h);
  if (!s) return;
  atomic_fetch_add_explicit(&s->calls, 1, memory_order_relaxed);
  give_back(p, s);
}

wapc_status wapc_pool_call(wapc_pool *p, void *context, const char *op, size_t op_len, const uint8_t *payload,
                           size_t len, wapc_bytes *response, char *message, size_t message_len) {
  if (response) {
    response->data = NULL;
    response->len = 0;
  }
  wapc_host *h;
  wapc_status st = wapc_pool_acquire(p, p ? p->opts.wait_ms : 0, &h, message, message_len);
  if (st != WAPC_OK) return st;
  const uint8_t *r;
  size_t rl;
  st = wapc_host_call_with_context(h, context, op, op_len, payload, len, &r, &rl);
  if (st == WAPC_OK && response && rl) {
    response->data = mem_malloc(rl);
    if (response->data) {
      memcpy(response->data, r, rl);
      response->len = rl;
    } else {
      st = report_msg(message, message_len, WAPC_ERR_NOMEM, "out of memory");
    }
  } else if (st != WAPC_OK && message && message_len) {
    size_t n = wapc_host_last_error_len(h);
    if (n >= message_len) n = message_len - 1;
    memcpy(message, wapc_host_last_error(h), n);
    message[n] = 0;
  }
  call_done(p, h);
  return st;
}

wapc_status wapc_pool_interrupt(wapc_pool *p) {
  if (!p) return WAPC_ERR_MISUSE;
  /* Under the lock no host can be freed (a slot's host changes only under it). */
  pthread_mutex_lock(&p->lock);
  for (uint32_t i = 0; i < p->nslots; i++) {
    slot *s = &p->slots[i];
    int state = atomic_load(&s->state);
    if (state == SLOT_CREATING) {
      /* Its host is being made for a caller: interrupted as soon as it exists (fill_slot). */
      atomic_store(&s->interrupted, true);
      continue;
    }
    wapc_host *h = atomic_load(&s->host);
    if (state != SLOT_BUSY || !h) continue;
    atomic_store(&s->interrupted, true);
    wapc_host_interrupt(h);
  }
  pthread_mutex_unlock(&p->lock);
  return WAPC_OK;
}

wapc_status wapc_pool_stats_get(wapc_pool *p, wapc_pool_stats *out) {
  if (!p || !out) return WAPC_ERR_MISUSE;
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&p->lock);
  out->hosts = count_hosts(p);
  out->busy = count_state(p, SLOT_BUSY) + count_state(p, SLOT_CREATING);
  uint64_t totals[HOST_STATS_WORDS] = {0};
  for (uint32_t i = 0; i < p->nslots; i++) {
    out->calls += atomic_load(&p->slots[i].calls);
    out->acquisitions += atomic_load(&p->slots[i].acquisitions);
    for (size_t k = 0; k < HOST_STATS_WORDS; k++)
      totals[k] += atomic_load_explicit(&p->slots[i].totals[k], memory_order_relaxed);
  }
  memcpy(&out->host_totals, totals, sizeof totals);
  out->waits = atomic_load(&p->n.waits);
  out->timeouts = atomic_load(&p->n.timeouts);
  out->hosts_created = atomic_load(&p->n.created);
  out->hosts_freed = atomic_load(&p->n.freed);
  out->wait_ns = atomic_load(&p->n.wait_ns);
  pthread_mutex_unlock(&p->lock);
  return WAPC_OK;
}

/* ---- asynchronous calls ------------------------------------------------------------------------------- */

/* Run one job on a host of the pool and complete it (the response is borrowed from the host until the
 * completion returns, then the host goes back). */
static void run_job(wapc_pool *p, job *j) {
  char message[512];
  wapc_host *h;
  wapc_status st = wapc_pool_acquire(p, p->opts.wait_ms, &h, message, sizeof message);
  if (st != WAPC_OK) {
    j->done(j->user, st, NULL, 0, message);
    return;
  }
  const uint8_t *r = NULL;
  size_t rl = 0;
  st = wapc_host_call_with_context(h, j->context, (const char *)j->bytes, j->op_len, j->bytes + j->op_len,
                                   j->len, &r, &rl);
  j->done(j->user, st, st == WAPC_OK ? r : NULL, st == WAPC_OK ? rl : 0,
          st == WAPC_OK ? "" : wapc_host_last_error(h));
  call_done(p, h);
}

static void *worker_main(void *arg) {
  wapc_pool *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->qlock);
    while (!p->head && !p->qclosing)
      pthread_cond_wait(&p->qcond, &p->qlock);
    if (p->qclosing) {
      pthread_mutex_unlock(&p->qlock);
      return NULL;
    }
    job *j = p->head;
    p->head = j->next;
    if (!p->head) p->tail = NULL;
    p->queued--;
    pthread_mutex_unlock(&p->qlock);
    run_job(p, j);
    mem_free(j);
  }
}

/* Start the workers (under qlock): one per host the pool may have, at most 64.  False when none could
 * be started. */
static bool start_workers(wapc_pool *p) {
  uint32_t n = p->opts.max_hosts < 64 ? p->opts.max_hosts : 64;
  p->workers = mem_calloc(n, sizeof *p->workers);
  if (!p->workers) return false;
  while (p->nworkers < n && pthread_create(&p->workers[p->nworkers], NULL, worker_main, p) == 0)
    p->nworkers++;
  return p->nworkers > 0;
}

wapc_status wapc_pool_submit(wapc_pool *p, void *context, const char *op, size_t op_len,
                             const uint8_t *payload, size_t len, wapc_pool_done done, void *user) {
  if (!p || !done || (!op && op_len) || (!payload && len) || op_len > SIZE_MAX / 2 || len > SIZE_MAX / 2 ||
      op_len + len > SIZE_MAX - sizeof(job))
    return WAPC_ERR_MISUSE;
  job *j = mem_malloc(sizeof *j + op_len + len);
  if (!j) return WAPC_ERR_NOMEM;
  j->next = NULL;
  j->context = context;
  j->done = done;
  j->user = user;
  j->op_len = op_len;
  j->len = len;
  if (op_len) memcpy(j->bytes, op, op_len);
  if (len) memcpy(j->bytes + op_len, payload, len);
  wapc_status st = WAPC_OK;
  pthread_mutex_lock(&p->qlock);
  if (p->qclosing || atomic_load(&p->closing))
    st = WAPC_ERR_MISUSE;
  else if (p->queued >= MAX_QUEUED)
    st = WAPC_ERR_BUSY;
  else if (!p->workers && !start_workers(p))
    st = WAPC_ERR_NOMEM;
  if (st == WAPC_OK) {
    if (p->tail)
      p->tail->next = j;
    else
      p->head = j;
    p->tail = j;
    p->queued++;
    pthread_cond_signal(&p->qcond);
  }
  pthread_mutex_unlock(&p->qlock);
  if (st != WAPC_OK) mem_free(j);
  return st;
}

/* Stop the workers after their jobs in hand; the jobs still queued complete as cancelled, here. */
static void stop_workers(wapc_pool *p) {
  pthread_mutex_lock(&p->qlock);
  p->qclosing = true;
  pthread_cond_broadcast(&p->qcond);
  job *rest = p->head;
  p->head = p->tail = NULL;
  p->queued = 0;
  pthread_mutex_unlock(&p->qlock);
  for (uint32_t i = 0; i < p->nworkers; i++)
    pthread_join(p->workers[i], NULL);
  while (rest) {
    job *next = rest->next;
    rest->done(rest->user, WAPC_ERR_MISUSE, NULL, 0, "the pool is shutting down");
    mem_free(rest);
    rest = next;
  }
}

/* ---- lifetime ----------------------------------------------------------------------------------------- */

static void pool_destroy(wapc_pool *p) {
  for (uint32_t i = 0; i < p->nslots; i++)
    wapc_host_free(atomic_load(&p->slots[i].host));
  builtin_module_release(p->module);
  pthread_cond_destroy(&p->released);
  pthread_cond_destroy(&p->drained);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->qcond);
  pthread_mutex_destroy(&p->qlock);
  mem_free(p->workers);
  free(p->slots); /* aligned_alloc'd */
  mem_free(p->strings);
  mem_free(p);
}

wapc_status wapc_pool_new(const wapc_pool_options *pool_options, const wapc_builtin_options *host_options,
                          wapc_module *module, wapc_host_callback callback, void *user, wapc_pool **out,
                          char *message, size_t message_len) {
  if (message && message_len) message[0] = 0;
  if (out) *out = NULL;
  if (!out || !module)
    return report_msg(message, message_len, WAPC_ERR_MISUSE, "%s is NULL", out ? "module" : "out");
  wapc_pool_options o;
  wapc_pool_options_init(&o);
  if (pool_options) {
    size_t n = pool_options->struct_size < sizeof o ? pool_options->struct_size : sizeof o;
    if (n < offsetof(wapc_pool_options, min_hosts))
      return report_msg(message, message_len, WAPC_ERR_MISUSE, "pool options without struct_size");
    wapc_pool_options given = o;
    memcpy(&given, pool_options, n);
    if (given.max_hosts) o.max_hosts = given.max_hosts;
    if (given.idle_ms) o.idle_ms = given.idle_ms;
    if (given.wait_ms) o.wait_ms = given.wait_ms;
    o.min_hosts = given.min_hosts;
    o.time_guest = given.time_guest;
  }
  if (o.min_hosts > o.max_hosts || o.max_hosts > 65536)
    return report_msg(message, message_len, WAPC_ERR_MISUSE,
                      "min_hosts %u, max_hosts %u: need min <= max <= 65536", o.min_hosts, o.max_hosts);
  wapc_pool *p = mem_calloc(1, sizeof *p);
  if (!p) return report_msg(message, message_len, WAPC_ERR_NOMEM, "out of memory");
  p->opts = o;
  p->callback = callback;
  p->user = user;
  wapc_status st = copy_host_options(p, host_options);
  if (st != WAPC_OK) {
    mem_free(p->strings);
    mem_free(p);
    return report_msg(message, message_len, st, st == WAPC_ERR_NOMEM ? "out of memory" : "bad host options");
  }
  p->hopts.reset_after_trap = 1;
  p->nslots = o.max_hosts;
  /* Cache-line aligned slots: mem_calloc gives no such alignment, and the fault hook is for the engine's
   * allocations, so this one block comes from aligned_alloc. */
  p->slots = aligned_alloc(alignof(slot), (size_t)o.max_hosts * sizeof(slot));
  if (p->slots) {
    memset(p->slots, 0, (size_t)o.max_hosts * sizeof(slot));
    for (uint32_t i = 0; i < o.max_hosts; i++) {
      atomic_init(&p->slots[i].state, SLOT_EMPTY);
      atomic_init(&p->slots[i].interrupted, false);
      atomic_init(&p->slots[i].idle_since_ns, 0);
      atomic_init(&p->slots[i].host, NULL);
      atomic_init(&p->slots[i].calls, 0);
      atomic_init(&p->slots[i].acquisitions, 0);
    }
  }
  /* With default attributes these cannot fail on Linux, nor hold resources if one did. */
  pthread_condattr_t ca;
  bool sync_ok = pthread_condattr_init(&ca) == 0;
  if (sync_ok) {
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    sync_ok = pthread_mutex_init(&p->lock, NULL) == 0 && pthread_cond_init(&p->released, &ca) == 0 &&
              pthread_cond_init(&p->drained, &ca) == 0 && pthread_mutex_init(&p->qlock, NULL) == 0 &&
              pthread_cond_init(&p->qcond, NULL) == 0;
    pthread_condattr_destroy(&ca);
  }
  if (!p->slots || !sync_ok) {
    free(p->slots);
    mem_free(p->strings);
    mem_free(p);
    return report_msg(message, message_len, WAPC_ERR_NOMEM, "out of memory");
  }
  atomic_init(&p->waiting, 0u);
  atomic_init(&p->closing, false);
  atomic_init(&p->next_trim_ns, 0);
  p->module = builtin_module_retain(module);
  for (uint32_t i = 0; i < o.min_hosts; i++) {
    wapc_host *h;
    st = make_host(p, &h, message, message_len);
    if (st != WAPC_OK) {
      pool_destroy(p);
      return st;
    }
    atomic_store(&p->slots[i].host, h);
    atomic_store(&p->slots[i].idle_since_ns, clock_mono_ns());
    atomic_store(&p->slots[i].state, SLOT_IDLE);
    atomic_fetch_add(&p->n.created, 1);
  }
  *out = p;
  return WAPC_OK;
}

void wapc_pool_free(wapc_pool *p) {
  if (!p) return;
  stop_workers(p);
  pthread_mutex_lock(&p->lock);
  atomic_store(&p->closing, true);
  pthread_cond_broadcast(&p->released);
  while (count_state(p, SLOT_BUSY) + count_state(p, SLOT_CREATING) > 0 || atomic_load(&p->waiting) > 0)
    pthread_cond_wait(&p->drained, &p->lock);
  pthread_mutex_unlock(&p->lock);
  pool_destroy(p);
}
