/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pool.c - pools of hosts made from one compiled module (wapc.h states the
 * contract).  Built on the public host API, plus the module's reference count
 * (builtin/module.h).  One mutex guards the pool's lists; hosts are made and
 * freed outside it (a host's initialisation runs guest code), with a slot
 * reserved first so that max_hosts always holds.  Idle hosts form a stack
 * (the most recently used first, whose pages are warm); idleness is trimmed
 * whenever a host comes back, so no background thread is needed.  A host
 * that was interrupted while acquired may carry the request into its next
 * call (wapc_host_interrupt's contract), so it is freed when it comes back
 * rather than handed to another caller.
 */
#include "wapc.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "builtin/module.h"
#include "util/mem.h"

/* One host of the pool. */
typedef struct slot {
  wapc_host *host;
  uint64_t idle_since_ns; /* when it was last given back */
  bool busy;
  bool interrupted; /* interrupted while busy: freed when given back */
} slot;

struct wapc_pool {
  pthread_mutex_t lock;
  pthread_cond_t released; /* a host came back, or the pool is closing */
  pthread_cond_t drained;  /* busy reached 0 while closing */
  wapc_pool_options opts;
  wapc_builtin_options hopts; /* WASI strings point into `strings` */
  void *strings;              /* one block: the copied WASI arrays and strings */
  wapc_module *module;        /* the pool's reference */
  wapc_host_callback callback;
  void *user;
  slot *slots; /* max_hosts entries; [0, nslots) are in use */
  uint32_t nslots;
  uint32_t reserved; /* slots being filled (a host is being made outside the lock) */
  uint32_t busy;
  uint32_t waiting; /* callers inside pthread_cond_timedwait */
  bool closing;
  wapc_pool_stats stats;
};

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static wapc_status
report(char *message, size_t message_len, wapc_status st, const char *fmt, ...) {
  if (!message || !message_len) return st;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, message_len, fmt, ap);
  va_end(ap);
  return st;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

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
  return wapc_host_new_builtin_module(&p->hopts, p->module, p->callback, p->user, out, message, message_len);
}

/* Put a new host in a free slot (the caller reserved it); under the lock. */
static slot *add_slot(wapc_pool *p, wapc_host *h, bool busy) {
  slot *s = &p->slots[p->nslots++];
  memset(s, 0, sizeof *s);
  s->host = h;
  s->busy = busy;
  s->idle_since_ns = now_ns();
  p->reserved--;
  p->stats.hosts_created++;
  return s;
}

/* Remove slot i (its host is the caller's to free); under the lock. */
static wapc_host *remove_slot(wapc_pool *p, uint32_t i) {
  wapc_host *h = p->slots[i].host;
  p->slots[i] = p->slots[--p->nslots];
  p->stats.hosts_freed++;
  return h;
}

static slot *find_slot(wapc_pool *p, const wapc_host *h) {
  for (uint32_t i = 0; i < p->nslots; i++)
    if (p->slots[i].host == h) return &p->slots[i];
  return NULL;
}

/* The most recently given back idle host, marked busy; NULL if none.  Under the lock. */
static wapc_host *take_idle(wapc_pool *p) {
  slot *best = NULL;
  for (uint32_t i = 0; i < p->nslots; i++) {
    slot *s = &p->slots[i];
    if (!s->busy && (!best || s->idle_since_ns > best->idle_since_ns)) best = s;
  }
  if (!best) return NULL;
  best->busy = true;
  return best->host;
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

wapc_status wapc_pool_acquire(wapc_pool *p, uint32_t wait_ms, wapc_host **out, char *message,
                              size_t message_len) {
  if (message && message_len) message[0] = 0;
  if (out) *out = NULL;
  if (!p || !out) return report(message, message_len, WAPC_ERR_MISUSE, "%s is NULL", p ? "host" : "pool");
  struct timespec until;
  bool waited = false;
  uint64_t wait_start = 0;
  pthread_mutex_lock(&p->lock);
  for (;;) {
    if (p->closing) {
      pthread_mutex_unlock(&p->lock);
      return report(message, message_len, WAPC_ERR_MISUSE, "the pool is shutting down");
    }
    wapc_host *h = take_idle(p);
    if (h) {
      p->busy++;
      p->stats.acquisitions++;
      if (waited) p->stats.wait_ns += now_ns() - wait_start;
      pthread_mutex_unlock(&p->lock);
      *out = h;
      return WAPC_OK;
    }
    if (p->nslots + p->reserved < p->opts.max_hosts) {
      /* Make a host outside the lock: its initialisation runs guest code. */
      p->reserved++;
      p->busy++;
      pthread_mutex_unlock(&p->lock);
      wapc_status st = make_host(p, &h, message, message_len);
      pthread_mutex_lock(&p->lock);
      if (st != WAPC_OK) {
        p->reserved--;
        p->busy--;
        if (p->closing && p->busy == 0) pthread_cond_broadcast(&p->drained);
        pthread_cond_signal(&p->released); /* the slot is free again */
        pthread_mutex_unlock(&p->lock);
        return st;
      }
      add_slot(p, h, true);
      p->stats.acquisitions++;
      if (waited) p->stats.wait_ns += now_ns() - wait_start;
      pthread_mutex_unlock(&p->lock);
      *out = h;
      return WAPC_OK;
    }
    if (!waited) {
      waited = true;
      wait_start = now_ns();
      p->stats.waits++;
      abs_deadline(&until, wait_ms);
    }
    int rc = ETIMEDOUT;
    if (wait_ms) {
      p->waiting++;
      rc = pthread_cond_timedwait(&p->released, &p->lock, &until);
      p->waiting--;
      if (p->closing && p->waiting == 0) pthread_cond_broadcast(&p->drained);
    }
    if (rc == ETIMEDOUT) {
      p->stats.timeouts++;
      p->stats.wait_ns += now_ns() - wait_start;
      pthread_mutex_unlock(&p->lock);
      return report(message, message_len, WAPC_ERR_BUSY, "no free host within %u ms (all %u busy)", wait_ms,
                    p->opts.max_hosts);
    }
  }
}

void wapc_pool_release(wapc_pool *p, wapc_host *h) {
  if (!p || !h) return;
  wapc_host *drop[2] = {NULL, NULL};
  size_t ndrop = 0;
  pthread_mutex_lock(&p->lock);
  slot *s = find_slot(p, h);
  if (!s || !s->busy) {
    /* Not ours, or not acquired: a caller's mistake, ignored rather than corrupting the lists. */
    pthread_mutex_unlock(&p->lock);
    return;
  }
  s->busy = false;
  p->busy--;
  uint64_t now = now_ns();
  s->idle_since_ns = now;
  if (s->interrupted) {
    drop[ndrop++] = remove_slot(p, (uint32_t)(s - p->slots));
  } else if (p->opts.idle_ms && p->nslots > p->opts.min_hosts) {
    /* Trim one host idle for longer than idle_ms (each release trims at most one, so the pool shrinks
     * gradually and a release stays cheap). */
    uint64_t limit = (uint64_t)p->opts.idle_ms * 1000000u;
    for (uint32_t i = 0; i < p->nslots; i++) {
      slot *t = &p->slots[i];
      if (!t->busy && now - t->idle_since_ns > limit) {
        drop[ndrop++] = remove_slot(p, i);
        break;
      }
    }
  }
  if (p->closing && p->busy == 0) pthread_cond_broadcast(&p->drained);
  pthread_cond_signal(&p->released);
  pthread_mutex_unlock(&p->lock);
  for (size_t i = 0; i < ndrop; i++)
    wapc_host_free(drop[i]);
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
      st = report(message, message_len, WAPC_ERR_NOMEM, "out of memory");
    }
  } else if (st != WAPC_OK && message && message_len) {
    size_t n = wapc_host_last_error_len(h);
    if (n >= message_len) n = message_len - 1;
    memcpy(message, wapc_host_last_error(h), n);
    message[n] = 0;
  }
  pthread_mutex_lock(&p->lock);
  p->stats.calls++;
  pthread_mutex_unlock(&p->lock);
  wapc_pool_release(p, h);
  return st;
}

wapc_status wapc_pool_interrupt(wapc_pool *p) {
  if (!p) return WAPC_ERR_MISUSE;
  pthread_mutex_lock(&p->lock);
  for (uint32_t i = 0; i < p->nslots; i++) {
    slot *s = &p->slots[i];
    if (!s->busy) continue;
    /* The host stays alive: it cannot be freed while busy, and freeing takes this lock. */
    wapc_host_interrupt(s->host);
    s->interrupted = true;
  }
  pthread_mutex_unlock(&p->lock);
  return WAPC_OK;
}

wapc_status wapc_pool_stats_get(wapc_pool *p, wapc_pool_stats *out) {
  if (!p || !out) return WAPC_ERR_MISUSE;
  pthread_mutex_lock(&p->lock);
  *out = p->stats;
  out->hosts = p->nslots;
  out->busy = p->busy;
  pthread_mutex_unlock(&p->lock);
  return WAPC_OK;
}

/* ---- lifetime ----------------------------------------------------------------------------------------- */

static void pool_destroy(wapc_pool *p) {
  for (uint32_t i = 0; i < p->nslots; i++)
    wapc_host_free(p->slots[i].host);
  builtin_module_release(p->module);
  pthread_cond_destroy(&p->released);
  pthread_cond_destroy(&p->drained);
  pthread_mutex_destroy(&p->lock);
  mem_free(p->slots);
  mem_free(p->strings);
  mem_free(p);
}

wapc_status wapc_pool_new(const wapc_pool_options *pool_options, const wapc_builtin_options *host_options,
                          wapc_module *module, wapc_host_callback callback, void *user, wapc_pool **out,
                          char *message, size_t message_len) {
  if (message && message_len) message[0] = 0;
  if (out) *out = NULL;
  if (!out || !module)
    return report(message, message_len, WAPC_ERR_MISUSE, "%s is NULL", out ? "module" : "out");
  wapc_pool_options o;
  wapc_pool_options_init(&o);
  if (pool_options) {
    size_t n = pool_options->struct_size < sizeof o ? pool_options->struct_size : sizeof o;
    if (n < offsetof(wapc_pool_options, min_hosts))
      return report(message, message_len, WAPC_ERR_MISUSE, "pool options without struct_size");
    wapc_pool_options given = o;
    memcpy(&given, pool_options, n);
    if (given.max_hosts) o.max_hosts = given.max_hosts;
    if (given.idle_ms) o.idle_ms = given.idle_ms;
    if (given.wait_ms) o.wait_ms = given.wait_ms;
    o.min_hosts = given.min_hosts;
  }
  if (o.min_hosts > o.max_hosts || o.max_hosts > 65536)
    return report(message, message_len, WAPC_ERR_MISUSE,
                  "min_hosts %u, max_hosts %u: need min <= max <= 65536", o.min_hosts, o.max_hosts);
  wapc_pool *p = mem_calloc(1, sizeof *p);
  if (!p) return report(message, message_len, WAPC_ERR_NOMEM, "out of memory");
  p->opts = o;
  p->callback = callback;
  p->user = user;
  wapc_status st = copy_host_options(p, host_options);
  if (st != WAPC_OK) {
    mem_free(p->strings);
    mem_free(p);
    return report(message, message_len, st, st == WAPC_ERR_NOMEM ? "out of memory" : "bad host options");
  }
  p->hopts.reset_after_trap = 1;
  p->slots = mem_calloc(o.max_hosts, sizeof *p->slots);
  pthread_condattr_t ca;
  bool cond_ok = pthread_condattr_init(&ca) == 0;
  if (cond_ok) pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  if (!p->slots || !cond_ok || pthread_mutex_init(&p->lock, NULL) != 0) {
    if (cond_ok) pthread_condattr_destroy(&ca);
    mem_free(p->slots);
    mem_free(p->strings);
    mem_free(p);
    return report(message, message_len, WAPC_ERR_NOMEM, "out of memory");
  }
  if (pthread_cond_init(&p->released, &ca) != 0 || pthread_cond_init(&p->drained, &ca) != 0) {
    pthread_condattr_destroy(&ca);
    pthread_mutex_destroy(&p->lock);
    mem_free(p->slots);
    mem_free(p->strings);
    mem_free(p);
    return report(message, message_len, WAPC_ERR_NOMEM, "out of memory");
  }
  pthread_condattr_destroy(&ca);
  p->module = builtin_module_retain(module);
  for (uint32_t i = 0; i < o.min_hosts; i++) {
    wapc_host *h;
    st = make_host(p, &h, message, message_len);
    if (st != WAPC_OK) {
      pool_destroy(p);
      return st;
    }
    p->reserved++;
    add_slot(p, h, false);
  }
  *out = p;
  return WAPC_OK;
}

void wapc_pool_free(wapc_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->lock);
  p->closing = true;
  pthread_cond_broadcast(&p->released);
  while (p->busy > 0 || p->waiting > 0)
    pthread_cond_wait(&p->drained, &p->lock);
  pthread_mutex_unlock(&p->lock);
  pool_destroy(p);
}
