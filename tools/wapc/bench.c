/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench.c - `wapc bench [OPTIONS] MODULE OPERATION [PAYLOAD] --calls N`: loads
 * MODULE on one host, makes warm-up calls, then N measured calls of
 * OPERATION, each timed with CLOCK_MONOTONIC, and prints the median and mean
 * nanoseconds per call (last line `ns/call median=M mean=A`).  The cost of
 * reading the clock, measured first, is subtracted from every sample.  Host
 * calls are answered in process (--host-echo) or fail, so no subprocess ever
 * runs inside the timed loop.  `--threads T` makes the calls through a
 * wapc_pool from T threads (N in all) and adds `throughput: X calls/s`;
 * `--new-host` times making and freeing a host from the compiled module
 * instead of calls.  Public API only.
 */
#include "bench.h"
#include "file.h"
#include "options.h"

#include "wapc.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { B_EXIT_GUEST = 1, B_EXIT_TRAP = 2, B_EXIT_LIMIT = 3, B_EXIT_MODULE = 4, B_EXIT_USAGE = 64 };

static const char usage_bench[] =
    "Usage: wapc bench [OPTIONS] MODULE OPERATION [PAYLOAD] --calls N\n"
    "\n"
    "Load the waPC guest MODULE on one host, make warm-up calls, then N calls of\n"
    "OPERATION with PAYLOAD (the argument's bytes; empty without it), each timed\n"
    "in process, and print the median and mean time per call.  The last line is\n"
    "exactly `ns/call median=M mean=A` (integer nanoseconds).\n"
    "\n"
    "Options:\n"
    "  --calls N     measured calls (default 10000, at most 10000000)\n"
    "  --warmup N    warm-up calls before measuring (default N/10, at least 10,\n"
    "                at most 100000)\n"
    "  --size N      use a payload of N bytes (a repeating pattern) instead of PAYLOAD\n"
    "  --host-echo   answer every host call with its own payload (default: host\n"
    "                calls fail with \"no host callback is configured\")\n"
    "  --threads T   make the calls through a pool of T hosts from T threads (N\n"
    "                calls in all) and print `throughput: X calls/s`\n"
    "  --tier NAME   how guest code runs: auto (default), interpreter, compiler\n"
    "  --wasm VERSION  3.0 (default) or 2.0: which WebAssembly to accept\n"
    "  --new-host    time making (and freeing) a host from the compiled module\n"
    "                instead of calls; OPERATION is still called once to check it\n"
    "  --pre-init    hosts start from a pre-initialised image of the module (made\n"
    "                by the first host's initialisation)\n"
    "  --time-guest  also measure the time in the guest and in host callbacks (two\n"
    "                clock reads per call, included in the times) and print it\n"
    "  -h, --help    print this help\n"
    "\n"
    "Every call must succeed: a failed call stops the run with the exit status of\n"
    "`wapc call` (1 guest error, 2 trap, 3 limit, 4 module, 64 bad usage).\n";

static int usage_error(const char *what, const char *arg) {
  return cli_usage_error("bench", what, arg);
}

static void echo_host(void *user, uint64_t host_id, wapc_str binding, wapc_str ns, wapc_str operation,
                      const uint8_t *payload, size_t payload_len, wapc_result *result) {
  wapc_result_set_bytes(result, payload, payload_len);
}

static int exit_for(wapc_status st) {
  switch (st) {
  case WAPC_ERR_GUEST:
  case WAPC_ERR_HOST_CALLBACK: return B_EXIT_GUEST;
  case WAPC_ERR_TRAP:
  case WAPC_ERR_INTERRUPTED: return B_EXIT_TRAP;
  case WAPC_ERR_DEADLINE:
  case WAPC_ERR_LIMIT: return B_EXIT_LIMIT;
  default: return B_EXIT_MODULE;
  }
}

static inline uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* The cost of one back-to-back pair of clock reads: the median of many. */
static uint64_t clock_overhead(void) {
  enum { K = 1001 };
  static uint64_t v[K];
  for (int i = 0; i < K; i++) {
    uint64_t t0 = mono_ns();
    v[i] = mono_ns() - t0;
  }
  qsort(v, K, sizeof v[0], cmp_u64);
  return v[K / 2];
}

/* What a timed run needs; each mode fills samples[0, calls). */
typedef struct bench_run {
  const wapc_builtin_options *options; /* of every host */
  wapc_host *host;
  wapc_module *module;
  wapc_host_callback callback;
  const char *op;
  size_t op_len;
  const uint8_t *payload;
  size_t payload_len;
  uint64_t *samples;
  uint64_t calls;
  uint64_t overhead; /* clock read cost, subtracted from every sample */
  bool time_guest;
  wapc_pool_stats pool; /* after time_pool_calls */
} bench_run;

static uint64_t sample(const bench_run *r, uint64_t t0) {
  uint64_t t = mono_ns() - t0;
  return t > r->overhead ? t - r->overhead : 0;
}

/* N calls on one host. */
static wapc_status time_calls(bench_run *r, char *msg, size_t msglen) {
  for (uint64_t i = 0; i < r->calls; i++) {
    uint64_t t0 = mono_ns();
    wapc_status st = wapc_host_call(r->host, r->op, r->op_len, r->payload, r->payload_len, NULL, NULL);
    r->samples[i] = sample(r, t0);
    if (st != WAPC_OK) {
      snprintf(msg, msglen, "%s", wapc_host_last_error(r->host));
      return st;
    }
  }
  return WAPC_OK;
}

/* N hosts made from the compiled module (initialised) and freed. */
static wapc_status time_new_hosts(bench_run *r, char *msg, size_t msglen) {
  for (uint64_t i = 0; i < r->calls; i++) {
    wapc_host *h;
    uint64_t t0 = mono_ns();
    wapc_status st = wapc_host_new_builtin_module(r->options, r->module, r->callback, NULL, &h, msg, msglen);
    wapc_host_free(h);
    r->samples[i] = sample(r, t0);
    if (st != WAPC_OK) return st;
  }
  return WAPC_OK;
}

typedef struct pool_worker {
  bench_run *run;
  wapc_pool *pool;
  uint64_t from, to; /* its share of the samples */
  wapc_status st;
  char msg[256];
  pthread_t thread;
} pool_worker;

static void *pool_worker_main(void *arg) {
  pool_worker *w = arg;
  const bench_run *r = w->run;
  for (uint64_t i = w->from; i < w->to && w->st == WAPC_OK; i++) {
    uint64_t t0 = mono_ns();
    w->st = wapc_pool_call(w->pool, NULL, r->op, r->op_len, r->payload, r->payload_len, NULL, w->msg,
                           sizeof w->msg);
    r->samples[i] = sample(r, t0);
  }
  return NULL;
}

/* N calls in all through a pool of `threads` hosts, from `threads` threads. */
static wapc_status time_pool_calls(bench_run *r, unsigned threads, char *msg, size_t msglen) {
  wapc_pool_options po;
  wapc_pool_options_init(&po);
  po.min_hosts = po.max_hosts = threads;
  po.wait_ms = 60000;
  po.time_guest = r->time_guest;
  wapc_pool *pool = NULL;
  wapc_status st = wapc_pool_new(&po, r->options, r->module, r->callback, NULL, &pool, msg, msglen);
  if (st != WAPC_OK) return st;
  pool_worker *w = calloc(threads, sizeof *w);
  if (!w) {
    wapc_pool_free(pool);
    snprintf(msg, msglen, "out of memory");
    return WAPC_ERR_NOMEM;
  }
  unsigned started = 0;
  for (unsigned t = 0; t < threads; t++) {
    w[t].run = r;
    w[t].pool = pool;
    w[t].from = r->calls * t / threads;
    w[t].to = r->calls * (t + 1) / threads;
    w[t].st = WAPC_OK;
    if (pthread_create(&w[t].thread, NULL, pool_worker_main, &w[t]) != 0) break;
    started++;
  }
  for (unsigned t = 0; t < started; t++)
    pthread_join(w[t].thread, NULL);
  st = started == threads ? WAPC_OK : WAPC_ERR_NOMEM;
  if (st != WAPC_OK) snprintf(msg, msglen, "cannot start %u threads", threads);
  for (unsigned t = 0; t < started && st == WAPC_OK; t++) {
    if (w[t].st != WAPC_OK) {
      st = w[t].st;
      snprintf(msg, msglen, "%s", w[t].msg);
    }
  }
  wapc_pool_stats_get(pool, &r->pool);
  free(w);
  wapc_pool_free(pool);
  return st;
}

static void print_host_stats(const char *who, const wapc_host_stats *s) {
  printf("%s: %llu calls, %llu guest errors, %llu traps, %llu deadlines, %llu host calls (%llu failed)\n",
         who, (unsigned long long)s->calls, (unsigned long long)s->guest_errors, (unsigned long long)s->traps,
         (unsigned long long)s->deadlines, (unsigned long long)s->host_calls,
         (unsigned long long)s->host_call_failures);
}

/* The time in the guest (and in host callbacks) of `calls` timed calls that took `wall` ns of threads' time.
 */
static void print_guest_time(const wapc_host_stats *s, uint64_t calls, uint64_t wall) {
  if (!calls) calls = 1;
  printf("time in guest: %.0f ns/call (%.1f%% of the run), in host callbacks: %.0f ns/call\n",
         (double)s->guest_ns / (double)calls, wall ? 100.0 * (double)s->guest_ns / (double)wall : 0.0,
         (double)s->host_call_ns / (double)calls);
}

int wapc_bench_main(int argc, char **argv) {
  const char *pos[3] = {NULL, NULL, NULL};
  int npos = 0;
  uint64_t calls = 10000, warmup = 0, size = 0;
  bool have_warmup = false, have_size = false, host_echo = false, only_pos = false, new_host = false,
       time_guest = false;
  unsigned threads = 0;
  wapc_builtin_options options;
  wapc_builtin_options_init(&options);
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    cli_parsed p;
    int r = only_pos ? 0 : cli_option_next(CLI_BENCH, "bench", argc, argv, &i, &p);
    if (r < 0) return B_EXIT_USAGE;
    if (r > 0) {
      switch (p.opt->id) {
      case OPT_HELP: fputs(usage_bench, stdout); return 0;
      case OPT_CALLS: calls = p.number; break;
      case OPT_WARMUP:
        warmup = p.number;
        have_warmup = true;
        break;
      case OPT_SIZE:
        size = p.number;
        have_size = true;
        break;
      case OPT_THREADS: threads = (unsigned)p.number; break;
      case OPT_NEW_HOST: new_host = true; break;
      case OPT_TIER: options.tier = (uint32_t)p.number; break;
      case OPT_WASM: options.wasm = (uint32_t)p.number; break;
      case OPT_PRE_INIT: options.pre_init = 1; break;
      case OPT_TIME_GUEST: time_guest = true; break;
      default: host_echo = true; break;
      }
      continue;
    }
    if (!only_pos && strcmp(a, "--") == 0) {
      only_pos = true;
    } else if (!only_pos && a[0] == '-' && a[1] != 0) {
      return usage_error("unknown option", a);
    } else {
      if (npos == 3) return usage_error("too many arguments", a);
      pos[npos++] = a;
    }
  }
  if (npos < 2) return usage_error(npos ? "missing OPERATION" : "missing MODULE", NULL);
  if (npos == 3 && have_size) return usage_error("give PAYLOAD or --size, not both", NULL);
  if (!have_warmup) {
    warmup = calls / 10;
    if (warmup < 10) warmup = 10;
    if (warmup > 100000) warmup = 100000;
  }

  size_t payload_len = 0;
  uint8_t *owned = NULL;
  const uint8_t *payload = (const uint8_t *)"";
  if (have_size) {
    owned = malloc(size ? (size_t)size : 1);
    if (!owned) {
      fprintf(stderr, "wapc: out of memory\n");
      return B_EXIT_LIMIT;
    }
    for (size_t i = 0; i < (size_t)size; i++)
      owned[i] = (uint8_t)('a' + i % 26);
    payload = owned;
    payload_len = (size_t)size;
  } else if (npos == 3) {
    payload = (const uint8_t *)pos[2];
    payload_len = strlen(pos[2]);
  }

  int rc = 0;
  uint64_t *samples = NULL;
  wapc_host *host = NULL;
  wapc_module *module = NULL;
  char msg[512] = "";
  size_t mod_len = 0;
  uint8_t *mod = cli_read_file(pos[0], &mod_len);
  if (!mod) {
    fprintf(stderr, "wapc: %s: cannot read module: %s\n", pos[0], strerror(errno));
    rc = B_EXIT_MODULE;
    goto done;
  }
  wapc_host_callback cb = host_echo ? echo_host : NULL;
  wapc_status st = wapc_module_compile(&options, mod, mod_len, &module, msg, sizeof msg);
  free(mod);
  if (st == WAPC_OK) st = wapc_host_new_builtin_module(&options, module, cb, NULL, &host, msg, sizeof msg);
  if (st != WAPC_OK) {
    fprintf(stderr, "wapc: %s: %s\n", pos[0], msg);
    rc = st == WAPC_ERR_NOMEM || st == WAPC_ERR_LIMIT ? B_EXIT_LIMIT : B_EXIT_MODULE;
    goto done;
  }
  samples = malloc((size_t)calls * sizeof *samples);
  if (!samples) {
    fprintf(stderr, "wapc: out of memory for %llu samples\n", (unsigned long long)calls);
    rc = B_EXIT_LIMIT;
    goto done;
  }

  bench_run run = {.options = &options,
                   .host = host,
                   .module = module,
                   .callback = cb,
                   .op = pos[1],
                   .op_len = strlen(pos[1]),
                   .payload = payload,
                   .payload_len = payload_len,
                   .samples = samples,
                   .calls = calls,
                   .time_guest = time_guest};
  size_t resp_len = 0;
  for (uint64_t i = 0; i < warmup + 1; i++) {
    st = wapc_host_call(host, run.op, run.op_len, payload, payload_len, NULL, &resp_len);
    if (st != WAPC_OK) {
      fprintf(stderr, "wapc: %s: %s\n", pos[0], wapc_host_last_error(host));
      rc = exit_for(st);
      goto done;
    }
  }
  run.overhead = clock_overhead();
  wapc_host_stats before;
  wapc_host_stats_get(host, &before);
  if (time_guest) wapc_host_set_timing(host, 1);
  uint64_t total0 = mono_ns();
  if (new_host)
    st = time_new_hosts(&run, msg, sizeof msg);
  else if (threads)
    st = time_pool_calls(&run, threads, msg, sizeof msg);
  else
    st = time_calls(&run, msg, sizeof msg);
  uint64_t total = mono_ns() - total0;
  if (st != WAPC_OK) {
    fprintf(stderr, "wapc: %s: %s\n", pos[0], msg);
    rc = exit_for(st);
    goto done;
  }
  double sum = 0;
  for (uint64_t i = 0; i < calls; i++)
    sum += (double)samples[i];
  qsort(samples, (size_t)calls, sizeof samples[0], cmp_u64);
  size_t n = (size_t)calls;
  double med = n % 2 ? (double)samples[n / 2] : ((double)samples[n / 2 - 1] + (double)samples[n / 2]) / 2;
  printf("module %s, operation %s, payload %zu bytes, response %zu bytes\n", pos[0], run.op, payload_len,
         resp_len);
  printf("%llu warm-up calls, %llu measured %s in %.3f ms (clock read cost %llu ns, subtracted)\n",
         (unsigned long long)warmup, (unsigned long long)calls,
         new_host  ? "new hosts"
         : threads ? "pool calls"
                   : "calls",
         (double)total / 1e6, (unsigned long long)run.overhead);
  printf("min=%llu p90=%llu p99=%llu max=%llu ns\n", (unsigned long long)samples[0],
         (unsigned long long)samples[n * 9 / 10], (unsigned long long)samples[n * 99 / 100],
         (unsigned long long)samples[n - 1]);
  wapc_host_stats hs;
  if (!threads && !new_host && wapc_host_stats_get(host, &hs) == WAPC_OK) {
    print_host_stats("host", &hs);
    if (time_guest) print_guest_time(&hs, hs.calls - before.calls, total);
  }
  if (threads) {
    print_host_stats("pool hosts", &run.pool.host_totals);
    if (time_guest) print_guest_time(&run.pool.host_totals, run.pool.host_totals.calls, total * threads);
    printf("threads %u, pool of %u hosts: %llu waits for a host, %.3f ms waited in all\n", threads, threads,
           (unsigned long long)run.pool.waits, (double)run.pool.wait_ns / 1e6);
    printf("throughput: %.0f calls/s\n", (double)calls * 1e9 / (double)total);
  }
  printf("ns/call median=%.0f mean=%.0f\n", med, sum / (double)n);

done:
  free(samples);
  free(owned);
  wapc_host_free(host);
  wapc_module_free(module);
  return rc;
}
