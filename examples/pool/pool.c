/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pool.c - serving one guest from many threads: a wapc_pool of hosts made
 * from one compiled module, pre-initialised instances, a per-call context
 * that reaches the host callback, asynchronous calls, and the pool's
 * counters.
 *
 *   pool ROUTER_WASM [THREADS [CALLS]]   (examples/callback/router.wasm; default 8 threads, 500 calls each)
 *
 * The guest forwards each call "NAMESPACE:OPERATION" to the host.  Each
 * request is a struct of the application's; its address goes with the call
 * as the context, so the host callback finds the request it serves without
 * any map from host id to request.
 */
#include <wapc.h>

#include "../common/read_file.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One request of the application: what the host callback needs to answer it. */
typedef struct request {
  int thread, number;
} request;

/* The host callback: "app:whoami" answers "thread T request N" from the call's context. */
static void on_host_call(void *user, uint64_t host_id, wapc_str binding, wapc_str ns, wapc_str operation,
                         const uint8_t *payload, size_t len, wapc_result *result) {
  (void)user, (void)host_id, (void)binding, (void)payload, (void)len;
  const request *req = wapc_result_context(result);
  if (!req || ns.len != 3 || memcmp(ns.data, "app", 3) != 0 || operation.len != 6 ||
      memcmp(operation.data, "whoami", 6) != 0) {
    wapc_result_set_error(result, "no such host operation");
    return;
  }
  char text[64];
  int n = snprintf(text, sizeof text, "thread %d request %d", req->thread, req->number);
  wapc_result_set_bytes(result, text, (size_t)n);
}

typedef struct worker {
  pthread_t thread;
  wapc_pool *pool;
  int index, calls, ok;
} worker;

static void *serve(void *arg) {
  worker *w = arg;
  for (int i = 0; i < w->calls; i++) {
    request req = {w->index, i};
    char want[64], message[256];
    snprintf(want, sizeof want, "thread %d request %d", w->index, i);
    wapc_bytes resp;
    /* Any thread may call: the pool hands out a free host, waiting when all are busy. */
    if (wapc_pool_call(w->pool, &req, "app:whoami", 10, NULL, 0, &resp, message, sizeof message) != WAPC_OK) {
      fprintf(stderr, "thread %d: %s\n", w->index, message);
      continue;
    }
    if (resp.len == strlen(want) && memcmp(resp.data, want, resp.len) == 0) w->ok++;
    wapc_bytes_free(&resp); /* the response is the caller's */
  }
  return NULL;
}

/* Asynchronous calls: the completion runs on a pool thread. */
typedef struct pending {
  pthread_mutex_t lock;
  pthread_cond_t done;
  int left;
  char answers[3][64];
} pending;

typedef struct job {
  pending *p;
  int slot;
  request req;
} job;

static void on_done(void *user, wapc_status status, const uint8_t *response, size_t len,
                    const char *message) {
  job *j = user;
  pthread_mutex_lock(&j->p->lock);
  if (status == WAPC_OK)
    snprintf(j->p->answers[j->slot], sizeof j->p->answers[j->slot], "%.*s", (int)len, (const char *)response);
  else
    snprintf(j->p->answers[j->slot], sizeof j->p->answers[j->slot], "%s: %s", wapc_status_name(status),
             message);
  if (--j->p->left == 0) pthread_cond_signal(&j->p->done);
  pthread_mutex_unlock(&j->p->lock);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s ROUTER_WASM [THREADS [CALLS]]\n", argv[0]);
    return 64;
  }
  int nthreads = argc > 2 ? atoi(argv[2]) : 8, calls = argc > 3 ? atoi(argv[3]) : 500;
  if (nthreads < 1 || nthreads > 256 || calls < 1) {
    fprintf(stderr, "bad THREADS or CALLS\n");
    return 64;
  }
  size_t len;
  uint8_t *wasm = read_file(argv[1], &len);
  if (!wasm) return 1;

  char message[256];
  wapc_module *module = NULL;
  wapc_status st = wapc_module_compile(NULL, wasm, len, &module, message, sizeof message);
  free(wasm);
  if (st != WAPC_OK) {
    fprintf(stderr, "compile: %s\n", message);
    return 1;
  }

  /* Hosts start from an image of the first one's initialised state (the guest's initialisation does
   * not depend on time, randomness, host calls or WASI state, so this is safe). */
  wapc_builtin_options host_options;
  wapc_builtin_options_init(&host_options);
  host_options.pre_init = 1;
  wapc_pool_options pool_options;
  wapc_pool_options_init(&pool_options);
  pool_options.min_hosts = 1;
  pool_options.max_hosts = 4;   /* more threads than hosts: callers wait for a free one */
  pool_options.wait_ms = 10000; /* ... at most 10 s */
  pool_options.time_guest = 1;  /* measure the time in the guest */
  wapc_pool *pool = NULL;
  st =
      wapc_pool_new(&pool_options, &host_options, module, on_host_call, NULL, &pool, message, sizeof message);
  wapc_module_free(module); /* the pool keeps its own reference */
  if (st != WAPC_OK) {
    fprintf(stderr, "pool: %s\n", message);
    return 1;
  }

  worker *ws = calloc((size_t)nthreads, sizeof *ws);
  if (!ws) return 1;
  int started = 0;
  for (int i = 0; i < nthreads; i++) {
    ws[i] = (worker){.pool = pool, .index = i, .calls = calls};
    if (pthread_create(&ws[i].thread, NULL, serve, &ws[i]) != 0) break;
    started++;
  }
  long ok = 0;
  for (int i = 0; i < started; i++) {
    pthread_join(ws[i].thread, NULL);
    ok += ws[i].ok;
  }
  free(ws);
  printf("%d threads x %d calls through a pool of at most %u hosts: %ld answered correctly\n", started, calls,
         pool_options.max_hosts, ok);

  /* The counters of the pool's hosts, summed as each host is given back (a wapc_pool_call gives its
   * host back before it returns). */
  wapc_pool_stats s;
  wapc_pool_stats_get(pool, &s);
  printf("pool: %llu calls, %llu guest errors, %llu traps, %llu host calls; time in guest measured: %s\n",
         (unsigned long long)s.host_totals.calls, (unsigned long long)s.host_totals.guest_errors,
         (unsigned long long)s.host_totals.traps, (unsigned long long)s.host_totals.host_calls,
         s.host_totals.guest_ns > 0 ? "yes" : "no");

  /* The same through wapc_pool_submit, for an event loop that must not block. */
  pending p = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 3, {"", "", ""}};
  job jobs[3] = {{&p, 0, {100, 1}}, {&p, 1, {100, 2}}, {&p, 2, {100, 3}}};
  const char *ops[3] = {"app:whoami", "app:whoami", "app:nope"};
  for (int i = 0; i < 3; i++)
    if (wapc_pool_submit(pool, &jobs[i].req, ops[i], strlen(ops[i]), NULL, 0, on_done, &jobs[i]) != WAPC_OK)
      on_done(&jobs[i], WAPC_ERR_BUSY, NULL, 0, "not queued");
  pthread_mutex_lock(&p.lock);
  while (p.left)
    pthread_cond_wait(&p.done, &p.lock);
  pthread_mutex_unlock(&p.lock);
  for (int i = 0; i < 3; i++)
    printf("submitted %s -> %s\n", ops[i], p.answers[i]);

  wapc_pool_free(pool);
  return ok == (long)started * calls ? 0 : 1;
}
