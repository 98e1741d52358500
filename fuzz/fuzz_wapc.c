/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_wapc.c - libFuzzer target: waPC calls with fuzzed operations and
 * payloads against the test guests, through the public API only.
 * Input: [guest index][op length][op bytes][reply mode][payload...].  The
 * host callback answers host calls with bytes of the input or a failure.
 * The guests are the .wasm files in the directory named by the environment
 * variable WAPC_FUZZ_GUESTS (default: the build's guests, set at compile time).
 * Every guest runs under a per-call deadline, a fuel budget and a memory cap,
 * so a guest that legitimately runs long (a Rust guest allocating ~800 MB for
 * a msgpack length it was told, fib, alloc loops) ends as a clean
 * WAPC_ERR_DEADLINE / WAPC_ERR_LIMIT / trap long before libFuzzer's timeout.
 */
#define _POSIX_C_SOURCE 200809L /* scandir */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wapc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef WAPC_FUZZ_GUEST_DIR
#define WAPC_FUZZ_GUEST_DIR "guests"
#endif

#define MAX_GUESTS 64

static wapc_host *hosts[MAX_GUESTS];
static int nhosts = -1;

static void quiet_log(void *user, uint64_t id, const char *msg, size_t len) {
  (void)user, (void)id, (void)msg, (void)len;
}

static uint8_t reply_mode;
static const uint8_t *reply;
static size_t reply_len;

static void callback(void *user, uint64_t id, wapc_str binding, wapc_str ns, wapc_str op,
                     const uint8_t *payload, size_t len, wapc_result *result) {
  (void)user, (void)id, (void)binding, (void)ns, (void)op;
  switch (reply_mode % 4) {
  case 0: wapc_result_set_bytes(result, payload, len); break; /* echo */
  case 1: wapc_result_set_bytes(result, reply, reply_len); break;
  case 2: wapc_result_set_error_bytes(result, reply, reply_len); break;
  default: break; /* no answer: empty success */
  }
}

/* Limits of every guest: far below libFuzzer's -timeout and -rss_limit_mb. */
#define CALL_TIMEOUT_MS 200
#define INIT_TIMEOUT_MS 1000
#define CALL_FUEL 20000000u
#define MAX_PAGES 1024 /* 64 MiB of linear memory */

/* Loads every .wasm under dir (one level of guests/<kind>/ subdirectories),
 * in name order, so a saved input's guest index picks the same guest on
 * every machine. */
static void add_dir(const char *dir) {
  struct dirent **list = NULL;
  int n = scandir(dir, &list, NULL, alphasort);
  if (n < 0) return;
  for (int i = 0; i < n; i++) {
    const char *name = list[i]->d_name;
    char path[4096];
    size_t l = strlen(name);
    if (name[0] == '.' || nhosts >= MAX_GUESTS) continue;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (l < 5 || strcmp(name + l - 5, ".wasm") != 0) {
      if (strchr(name, '.') == NULL) add_dir(path); /* guests/<kind>/ */
      continue;
    }
    FILE *f = fopen(path, "rb");
    if (!f) continue;
    static uint8_t buf[4 << 20];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    wapc_builtin_options o;
    wapc_builtin_options_init(&o);
    o.timeout_ms = CALL_TIMEOUT_MS;
    o.init_timeout_ms = INIT_TIMEOUT_MS;
    o.fuel = CALL_FUEL;
    o.max_memory_pages = MAX_PAGES;
    wapc_host *h = NULL;
    if (wapc_host_new_builtin(&o, callback, NULL, &h, NULL, 0) != WAPC_OK) continue;
    wapc_host_set_log_hook(h, quiet_log, NULL);
    if (wapc_host_load(h, buf, len) != WAPC_OK) {
      wapc_host_free(h);
      continue;
    }
    hosts[nhosts++] = h;
  }
  for (int i = 0; i < n; i++)
    free(list[i]);
  free(list);
}

static void init(void) {
  const char *dir = getenv("WAPC_FUZZ_GUESTS");
  nhosts = 0;
  add_dir(dir ? dir : WAPC_FUZZ_GUEST_DIR);
  if (nhosts == 0) {
    fprintf(stderr, "fuzz_wapc: no loadable guests in %s\n", dir ? dir : WAPC_FUZZ_GUEST_DIR);
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (nhosts < 0) init();
  if (size < 3) return 0;
  wapc_host *h = hosts[data[0] % nhosts];
  size_t op_len = data[1];
  if (op_len > size - 2) op_len = size - 2;
  const char *op = (const char *)data + 2;
  size_t rest = size - 2 - op_len;
  const uint8_t *p = data + 2 + op_len;
  reply_mode = rest ? p[0] : 0;
  if (rest) p++, rest--;
  reply = p;
  reply_len = rest / 2;
  const uint8_t *resp = NULL;
  size_t resp_len = 0;
  wapc_status st = wapc_host_call(h, op, op_len, p, rest, &resp, &resp_len);
  if (st == WAPC_OK && resp_len && !resp) abort();
  if (st != WAPC_OK && wapc_host_last_error(h) == NULL) abort();
  return 0;
}
