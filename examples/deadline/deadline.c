/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deadline.c - stopping a runaway guest: a per-call deadline, an instruction
 * budget (fuel), and wapc_host_interrupt() from another thread.
 *
 *   deadline SPIN_WASM   (examples/deadline/spin.wasm)
 *
 * The spin guest loops forever on operation "spin" and answers "pong" to
 * anything else.  After each stop the host serves the next call on a fresh
 * instance of the guest (reset_after_trap, the default).
 */
#include <wapc.h>

#include "../common/read_file.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void call(wapc_host *host, const char *op) {
  const uint8_t *resp;
  size_t resp_len;
  double t0 = now_ms();
  wapc_status st = wapc_host_call(host, op, strlen(op), NULL, 0, &resp, &resp_len);
  double ms = now_ms() - t0;
  if (st == WAPC_OK)
    printf("%s: %.*s\n", op, (int)resp_len, (const char *)resp);
  else
    printf("%s: %s (%s) after %s\n", op, wapc_status_name(st), wapc_host_last_error(host),
           ms < 2000 ? "less than 2 s" : "too long");
}

/* Another thread stops the call in flight: the only host function that may be called concurrently. */
static void *interrupter(void *arg) {
  struct timespec delay = {0, 100 * 1000 * 1000};
  nanosleep(&delay, NULL);
  wapc_host_interrupt(arg);
  return NULL;
}

static wapc_host *new_host(const wapc_builtin_options *opts, const unsigned char *module, size_t len) {
  wapc_host *host = NULL;
  wapc_status st = wapc_host_new_builtin(opts, NULL, NULL, &host, NULL, 0);
  if (st == WAPC_OK) st = wapc_host_load(host, module, len);
  if (st != WAPC_OK) {
    fprintf(stderr, "%s\n", host ? wapc_host_last_error(host) : wapc_status_str(st));
    wapc_host_free(host);
    return NULL;
  }
  return host;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: deadline SPIN_WASM\n");
    return 2;
  }
  size_t len;
  unsigned char *module = read_file(argv[1], &len);
  if (!module) {
    perror(argv[1]);
    return 1;
  }
  wapc_builtin_options opts;
  wapc_builtin_options_init(&opts);

  /* 1. A deadline on every call. */
  opts.timeout_ms = 100;
  wapc_host *host = new_host(&opts, module, len);
  if (!host) goto fail;
  call(host, "spin");
  call(host, "ping"); /* the host still serves */
  wapc_host_free(host);

  /* 2. Fuel: about one unit per instruction executed in loops. */
  opts.timeout_ms = 0;
  opts.fuel = 1000000;
  host = new_host(&opts, module, len);
  if (!host) goto fail;
  call(host, "spin");
  wapc_host_free(host);

  /* 3. No limit at all, stopped from another thread. */
  opts.fuel = 0;
  host = new_host(&opts, module, len);
  if (!host) goto fail;
  pthread_t t;
  if (pthread_create(&t, NULL, interrupter, host) != 0) {
    wapc_host_free(host);
    goto fail;
  }
  call(host, "spin");
  pthread_join(t, NULL); /* the host must outlive wapc_host_interrupt */
  call(host, "ping");
  wapc_host_free(host);
  free(module);
  return 0;
fail:
  free(module);
  return 1;
}
