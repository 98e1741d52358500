/* SPDX-License-Identifier: Apache-2.0 */
/*
 * threads.c - many threads serving calls from one compiled module.
 *
 *   threads HELLO_WASM [THREADS [CALLS]]   (examples/hello/hello.wasm; default 8 threads, 1000 calls each)
 *
 * The module is compiled once; each thread makes its own host from it (an
 * instantiation, no compile) and uses it alone: a host is used by one thread
 * at a time, a compiled module by any number at once.
 */
#include <wapc.h>

#include "../common/read_file.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct worker {
  pthread_t thread;
  wapc_module *module; /* shared, read-only */
  int index;
  long calls, ok;
  char error[256];
} worker;

static void *serve(void *arg) {
  worker *w = arg;
  wapc_host *host = NULL;
  wapc_status st =
      wapc_host_new_builtin_module(NULL, w->module, NULL, NULL, &host, w->error, sizeof w->error);
  if (st != WAPC_OK) return NULL;
  char name[32], want[48];
  for (long i = 0; i < w->calls; i++) {
    int n = snprintf(name, sizeof name, "thread %d call %ld", w->index, i);
    int wn = snprintf(want, sizeof want, "Hello, %s!", name);
    const uint8_t *resp;
    size_t resp_len;
    st = wapc_host_call(host, "hello", 5, (const uint8_t *)name, (size_t)n, &resp, &resp_len);
    if (st != WAPC_OK) {
      snprintf(w->error, sizeof w->error, "%s", wapc_host_last_error(host));
      break;
    }
    if (resp_len == (size_t)wn && memcmp(resp, want, resp_len) == 0) w->ok++;
  }
  wapc_host_free(host);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: threads HELLO_WASM [THREADS [CALLS]]\n");
    return 2;
  }
  int nthreads = argc > 2 ? atoi(argv[2]) : 8;
  long calls = argc > 3 ? atol(argv[3]) : 1000;
  if (nthreads < 1 || nthreads > 256 || calls < 0) {
    fprintf(stderr, "threads: 1 to 256 threads, a count of calls\n");
    return 2;
  }
  size_t len;
  unsigned char *bytes = read_file(argv[1], &len);
  if (!bytes) {
    perror(argv[1]);
    return 1;
  }
  char msg[256];
  wapc_module *module = NULL;
  wapc_status st = wapc_module_compile(NULL, bytes, len, &module, msg, sizeof msg);
  free(bytes);
  if (st != WAPC_OK) {
    fprintf(stderr, "%s: %s\n", argv[1], msg);
    return 1;
  }

  worker *workers = calloc((size_t)nthreads, sizeof *workers);
  if (!workers) {
    wapc_module_free(module);
    return 1;
  }
  /* The module must stay referenced until every thread has made its host from it. */
  int started = 0;
  for (int i = 0; i < nthreads; i++) {
    workers[i] = (worker){.module = module, .index = i, .calls = calls};
    if (pthread_create(&workers[i].thread, NULL, serve, &workers[i]) != 0) break;
    started++;
  }
  long ok = 0;
  int rc = started == nthreads ? 0 : 1;
  for (int i = 0; i < started; i++) {
    pthread_join(workers[i].thread, NULL);
    ok += workers[i].ok;
    if (workers[i].error[0]) {
      fprintf(stderr, "thread %d: %s\n", i, workers[i].error);
      rc = 1;
    }
  }
  /* Each host took its own reference and has freed it; this drops the last one. */
  wapc_module_free(module);
  printf("%d threads, %ld calls, %ld right answers\n", nthreads, (long)nthreads * calls, ok);
  free(workers);
  return rc == 0 && ok == (long)nthreads * calls ? 0 : 1;
}
