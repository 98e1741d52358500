/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_module.c - compiled modules in the public API (issue 6): many hosts
 * from one wapc_module, hosts on two threads sharing one module, the module
 * freed before and after its hosts, a fresh (zeroed, initial-size) memory for
 * every host although stores reuse pooled stacks and memories, compile and
 * creation errors (malformed, invalid, link, init, NULL arguments), hot swap
 * of such a host, and its timeout, fuel and interrupt behaviour.
 *
 * Cases (test.h): test_api_module [--dir <build>/guests] [CASE...]   (uses wat/guard.wasm, wat/echo.wasm,
 *        wat/invalid.wasm, wat/unknown_import.wasm, wat/bad_import_type.wasm,
 *        wat/no_memory.wasm, wat/no_guest_call.wasm, wat/init_trap.wasm,
 *        wat/init_loop.wasm)
 */
#include "wapc.h"
#include "test.h"
#include "guest_files.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bytes guard_wasm, echo_wasm;

/* Compile a guest file; exits when that fails. */
static wapc_module *compile(const wapc_builtin_options *o, bytes b) {
  wapc_module *m = compile_guest(o, b);
  CHECK(m != NULL);
  return m;
}

static wapc_host *new_host(const wapc_builtin_options *o, wapc_module *m, wapc_host_callback cb, void *user) {
  char msg[256];
  wapc_host *h = NULL;
  wapc_status st = wapc_host_new_builtin_module(o, m, cb, user, &h, msg, sizeof msg);
  if (st != WAPC_OK || !h) {
    fprintf(stderr, "new host: %s: %s\n", wapc_status_name(st), msg);
    exit(2);
  }
  return h;
}

static wapc_status call_str(wapc_host *h, const char *op, const char *payload, const uint8_t **r,
                            size_t *rl) {
  return wapc_host_call(h, op, strlen(op), U8(payload), strlen(payload), r, rl);
}

static wapc_status call_n(wapc_host *h, const char *op, uint32_t n, const uint8_t **r, size_t *rl) {
  uint8_t p[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
  return wapc_host_call(h, op, strlen(op), p, 4, r, rl);
}

/* guard.wat "c": the number of calls this instance has seen; UINT32_MAX on failure. */
static uint32_t calls_seen(wapc_host *h) {
  const uint8_t *r;
  size_t rl;
  if (wapc_host_call(h, "c", 1, NULL, 0, &r, &rl) != WAPC_OK || rl != 4) return UINT32_MAX;
  return (uint32_t)r[0] | (uint32_t)r[1] << 8 | (uint32_t)r[2] << 16 | (uint32_t)r[3] << 24;
}

static bool echoes(wapc_host *h, const char *text) {
  const uint8_t *r;
  size_t rl;
  return call_str(h, "e", text, &r, &rl) == WAPC_OK && rl == strlen(text) && memcmp(r, text, rl) == 0;
}

/* ---- errors ------------------------------------------------------------------------------ */

/* Compile `name` and expect `want` with a message starting with `prefix`. */
static void expect_compile_error(const char *name, wapc_status want, const char *prefix) {
  bytes b = load_file(name);
  char msg[256] = "unchanged";
  wapc_module *m = (wapc_module *)&m; /* must be overwritten with NULL */
  wapc_status st = wapc_module_compile(NULL, b.data, b.len, &m, msg, sizeof msg);
  if (st != want) fprintf(stderr, "%s: %s (%s)\n", name, wapc_status_name(st), msg);
  CHECK(st == want);
  CHECK(m == NULL);
  if (strncmp(msg, prefix, strlen(prefix)) != 0) fprintf(stderr, "%s: message \"%s\"\n", name, msg);
  CHECK(strncmp(msg, prefix, strlen(prefix)) == 0);
  free(b.data);
}

TEST_IMPL(errors) {
  char msg[256];
  wapc_module *m = NULL;
  /* NULL arguments */
  CHECK(wapc_module_compile(NULL, guard_wasm.data, guard_wasm.len, NULL, msg, sizeof msg) == WAPC_ERR_MISUSE);
  CHECK(wapc_module_compile(NULL, NULL, 10, &m, msg, sizeof msg) == WAPC_ERR_MISUSE);
  CHECK(m == NULL);
  CHECK(wapc_module_compile(NULL, NULL, 10, &m, NULL, 0) == WAPC_ERR_MISUSE);
  wapc_builtin_options bad;
  wapc_builtin_options_init(&bad);
  bad.struct_size = 3;
  CHECK(wapc_module_compile(&bad, guard_wasm.data, guard_wasm.len, &m, msg, sizeof msg) == WAPC_ERR_MISUSE);
  CHECK(m == NULL);
  wapc_module_free(NULL);

  /* malformed: not a module at all, and an empty one */
  CHECK(wapc_module_compile(NULL, U8("not wasm"), 8, &m, msg, sizeof msg) == WAPC_ERR_MALFORMED);
  CHECK(m == NULL);
  CHECK(wapc_module_compile(NULL, NULL, 0, &m, msg, sizeof msg) == WAPC_ERR_MALFORMED);
  /* a truncated guard module */
  CHECK(wapc_module_compile(NULL, guard_wasm.data, guard_wasm.len / 2, &m, msg, sizeof msg) ==
        WAPC_ERR_MALFORMED);
  CHECK(m == NULL);

  expect_compile_error("wat/invalid.wasm", WAPC_ERR_INVALID, "invalid module");
  expect_compile_error("wat/unknown_import.wasm", WAPC_ERR_LINK, "unknown import \"wapc\".\"__nope\"");
  expect_compile_error("wat/bad_import_type.wasm", WAPC_ERR_LINK,
                       "incompatible import type for \"wapc\".\"__guest_response\"");
  expect_compile_error("wat/no_memory.wasm", WAPC_ERR_LINK, "module does not export memory \"memory\"");
  expect_compile_error("wat/no_guest_call.wasm", WAPC_ERR_LINK,
                       "module does not export function \"__guest_call\"");

  /* host creation: NULL module or out */
  wapc_host *h = (wapc_host *)&h;
  CHECK(wapc_host_new_builtin_module(NULL, NULL, NULL, NULL, &h, msg, sizeof msg) == WAPC_ERR_MISUSE);
  CHECK(h == NULL);
  m = compile(NULL, guard_wasm);
  CHECK(wapc_host_new_builtin_module(NULL, m, NULL, NULL, NULL, msg, sizeof msg) == WAPC_ERR_MISUSE);
  CHECK(wapc_host_new_builtin_module(&bad, m, NULL, NULL, &h, msg, sizeof msg) == WAPC_ERR_MISUSE);
  CHECK(h == NULL);
  /* the module is still usable after those failures */
  h = new_host(NULL, m, NULL, NULL);
  CHECK(echoes(h, "ok"));
  wapc_host_free(h);
  wapc_module_free(m);

  /* initialisation failures: a trap in wapc_init, an endless wapc_init under init_timeout_ms */
  bytes b = load_file("wat/init_trap.wasm");
  m = compile(NULL, b);
  h = (wapc_host *)&h;
  msg[0] = 0;
  CHECK(wapc_host_new_builtin_module(NULL, m, NULL, NULL, &h, msg, sizeof msg) == WAPC_ERR_INIT);
  CHECK(h == NULL);
  CHECK(strstr(msg, "unreachable") != NULL);
  /* and again: a failed creation leaves the module intact */
  CHECK(wapc_host_new_builtin_module(NULL, m, NULL, NULL, &h, NULL, 0) == WAPC_ERR_INIT);
  wapc_module_free(m);
  free(b.data);

  b = load_file("wat/init_loop.wasm");
  m = compile(NULL, b);
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.init_timeout_ms = 30;
  CHECK(wapc_host_new_builtin_module(&o, m, NULL, NULL, &h, msg, sizeof msg) == WAPC_ERR_DEADLINE);
  CHECK(h == NULL);
  CHECK(strstr(msg, "deadline exceeded") != NULL);
  o.init_timeout_ms = 0;
  o.fuel = 100000;
  CHECK(wapc_host_new_builtin_module(&o, m, NULL, NULL, &h, msg, sizeof msg) == WAPC_ERR_LIMIT);
  CHECK(strstr(msg, "fuel exhausted") != NULL);
  wapc_module_free(m);
  free(b.data);
}

/* ---- many hosts, ownership ------------------------------------------------------------------ */

enum { MANY = 64 };

static void many_hosts(bool free_module_first) {
  wapc_module *m = compile(NULL, guard_wasm);
  wapc_host *hosts[MANY];
  for (int i = 0; i < MANY; i++)
    hosts[i] = new_host(NULL, m, NULL, NULL);
  if (free_module_first) wapc_module_free(m);
  /* Each host has its own instance: its own call counter, its own id. */
  for (int i = 0; i < MANY; i++)
    for (int k = 0; k <= i % 3; k++)
      CHECK(calls_seen(hosts[i]) == (uint32_t)k + 1);
  for (int i = 1; i < MANY; i++)
    CHECK(wapc_host_id(hosts[i]) > wapc_host_id(hosts[i - 1]));
  CHECK(strstr(wapc_host_debug(hosts[0]), "engine: \"builtin\"") != NULL);
  for (int i = 0; i < MANY; i++) {
    char text[32];
    snprintf(text, sizeof text, "host %d", i);
    CHECK(echoes(hosts[i], text));
  }
  /* Free half, make new ones while the others live (when the module is still ours). */
  for (int i = 0; i < MANY; i += 2)
    wapc_host_free(hosts[i]);
  if (!free_module_first) {
    for (int i = 0; i < MANY; i += 2) {
      hosts[i] = new_host(NULL, m, NULL, NULL);
      CHECK(calls_seen(hosts[i]) == 1);
    }
  } else {
    for (int i = 0; i < MANY; i += 2)
      hosts[i] = NULL;
  }
  for (int i = 0; i < MANY; i++)
    wapc_host_free(hosts[i]);
  if (!free_module_first) wapc_module_free(m);
}

/* Memory handed on by a freed host's instance comes back zeroed and at its initial size. */
/* wapc_builtin_options.wasm: WebAssembly 3.0's proposals by default, exactly 2.0 on request. */
TEST_IMPL(wasm_versions) {
  /* (func return_call 0): a 3.0 tail call */
  static const uint8_t tail[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01,
                                 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
                                 0x0a, 0x06, 0x01, 0x04, 0x00, 0x12, 0x00, 0x0b};
  char msg[256];
  wapc_module *m = NULL;
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  CHECK(o.wasm == WAPC_WASM_DEFAULT);
  CHECK(wapc_module_inspect(&o, tail, sizeof tail, &m, msg, sizeof msg) == WAPC_OK);
  wapc_module_free(m);
  m = NULL;
  o.wasm = WAPC_WASM_2;
  CHECK(wapc_module_inspect(&o, tail, sizeof tail, &m, msg, sizeof msg) == WAPC_ERR_MALFORMED);
  CHECK(m == NULL && strstr(msg, "illegal opcode 12") != NULL);
  o.wasm = 3; /* not a wapc_wasm */
  CHECK(wapc_module_inspect(&o, tail, sizeof tail, &m, msg, sizeof msg) == WAPC_ERR_MISUSE);
  CHECK(strstr(msg, "bad options (wasm)") != NULL);
}

TEST_IMPL(many_hosts) {
  many_hosts(false);
}

TEST_IMPL(many_hosts_module_freed_first) {
  many_hosts(true);
}

TEST_IMPL(fresh_memory) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.max_memory_pages = 4;
  wapc_module *m = compile(&o, guard_wasm);
  const uint8_t *r;
  size_t rl;
  for (int round = 0; round < 3; round++) {
    wapc_host *h = new_host(&o, m, NULL, NULL);
    /* "e" leaves the payload at 0x1000; "R" answers memory from 0, its own 4-byte payload at 0x1000. */
    CHECK(call_n(h, "R", 0x1010, &r, &rl) == WAPC_OK);
    CHECK(rl == 0x1010);
    if (rl == 0x1010) {
      bool zero = true;
      for (size_t i = 0x1004; i < 0x1010; i++)
        zero = zero && r[i] == 0;
      CHECK(zero);
      CHECK(memcmp(r + 0x40, "request too large", 17) == 0); /* data segments are there */
    }
    CHECK(echoes(h, "SECRETSECRETSECRET"));
    CHECK(call_n(h, "R", 0x1010, &r, &rl) == WAPC_OK);
    CHECK(rl == 0x1010 && memcmp(r + 0x1004, "ETSECRETSECR", 12) == 0);
    /* The whole initial memory (2 pages) is readable, one byte more is not... */
    CHECK(call_n(h, "R", 2 * 65536, &r, &rl) == WAPC_OK);
    CHECK(call_n(h, "R", 2 * 65536 + 1, &r, &rl) == WAPC_ERR_TRAP);
    CHECK(call_n(h, "R", 2 * 65536 + 1, &r, &rl) == WAPC_ERR_TRAP);
    CHECK_MSG(h, "trap: out of bounds memory access");
    /* ...until the guest grows it to the cap: that memory goes back to the pool too. */
    CHECK(call_n(h, "g", 0, &r, &rl) == WAPC_OK);
    CHECK(rl == 4 && r[0] == 4);
    CHECK(call_n(h, "R", 4 * 65536, &r, &rl) == WAPC_OK);
    wapc_host_free(h);
  }
  wapc_module_free(m);
}

/* ---- threads ---------------------------------------------------------------------------------- */

typedef struct thread_arg {
  wapc_module *m;
  int id;
  int failures;
} thread_arg;

static void *thread_main(void *p) {
  thread_arg *a = p;
  wapc_host *keep[8] = {0};
  for (int i = 0; i < 100; i++) {
    char msg[256];
    wapc_host *h = NULL;
    if (wapc_host_new_builtin_module(NULL, a->m, NULL, NULL, &h, msg, sizeof msg) != WAPC_OK) {
      a->failures++;
      continue;
    }
    char text[64];
    snprintf(text, sizeof text, "thread %d call %d", a->id, i);
    if (!echoes(h, text) || calls_seen(h) != 2) a->failures++;
    /* keep some alive for a while, so live and freed instances mix */
    wapc_host *old = keep[i % 8];
    keep[i % 8] = h;
    if (old && calls_seen(old) == UINT32_MAX) a->failures++;
    wapc_host_free(old);
  }
  for (int i = 0; i < 8; i++)
    wapc_host_free(keep[i]);
  return NULL;
}

static void *free_module_thread(void *m) {
  wapc_module_free(m);
  return NULL;
}

TEST_IMPL(threads) {
  wapc_module *m = compile(NULL, guard_wasm);
  thread_arg args[2] = {{m, 0, 0}, {m, 1, 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    CHECK(pthread_create(&t[i], NULL, thread_main, &args[i]) == 0);
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  CHECK(args[0].failures == 0);
  CHECK(args[1].failures == 0);
  wapc_module_free(m);

  /* The last reference may go on a thread that did not compile: free on another thread while hosts run. */
  m = compile(NULL, guard_wasm);
  wapc_host *h = new_host(NULL, m, NULL, NULL);
  pthread_t f;
  CHECK(pthread_create(&f, NULL, free_module_thread, m) == 0);
  for (int i = 0; i < 100; i++)
    CHECK(echoes(h, "while the module is freed"));
  pthread_join(f, NULL);
  CHECK(echoes(h, "after"));
  wapc_host_free(h);
}

/* ---- hot swap ------------------------------------------------------------------------------- */

TEST_IMPL(hot_swap) {
  wapc_module *m = compile(NULL, guard_wasm);
  wapc_host *h = new_host(NULL, m, NULL, NULL);
  wapc_host *other = new_host(NULL, m, NULL, NULL);
  wapc_module_free(m); /* the hosts hold the module now */
  CHECK(calls_seen(h) == 1);
  /* a failing swap keeps the compiled module's instance serving, state included */
  CHECK_STATUS(wapc_host_replace_module(h, U8("junk"), 4), WAPC_ERR_MALFORMED, h);
  CHECK(calls_seen(h) == 2);
  /* a good swap: echo.wasm answers every operation with the payload */
  CHECK_STATUS(wapc_host_replace_module(h, echo_wasm.data, echo_wasm.len), WAPC_OK, h);
  const uint8_t *r;
  size_t rl;
  CHECK_STATUS(call_str(h, "anything", "swapped", &r, &rl), WAPC_OK, h);
  CHECK_BYTES(r, rl, "swapped");
  /* the other host of the same module is unaffected */
  CHECK(calls_seen(other) == 1);
  /* and back to the guard module, from bytes */
  CHECK_STATUS(wapc_host_replace_module(h, guard_wasm.data, guard_wasm.len), WAPC_OK, h);
  CHECK(calls_seen(h) == 1);
  wapc_host_free(h);
  CHECK(calls_seen(other) == 2);
  wapc_host_free(other);
}

/* ---- guardrails -------------------------------------------------------------------------------- */

typedef struct interrupter {
  wapc_host *h;
  long after_ms;
} interrupter;

static void *interrupt_later(void *p) {
  interrupter *it = p;
  sleep_ms(it->after_ms);
  wapc_host_interrupt(it->h);
  return NULL;
}

static atomic_int callback_calls;
static uint64_t callback_id;

static void count_callback(void *user, uint64_t host_id, wapc_str binding, wapc_str ns, wapc_str operation,
                           const uint8_t *payload, size_t payload_len, wapc_result *result) {
  (void)user, (void)binding, (void)ns, (void)operation, (void)payload, (void)payload_len;
  atomic_fetch_add(&callback_calls, 1);
  callback_id = host_id;
  wapc_result_set_bytes(result, "ok", 2);
}

/* Append a custom section (id 0, size, name, contents) to `b`; sizes stay below 128 (one-byte LEB128). */
static void add_custom(uint8_t *b, size_t *len, const char *name, const char *data) {
  size_t nl = strlen(name), dl = strlen(data);
  b[(*len)++] = 0;
  b[(*len)++] = (uint8_t)(1 + nl + dl);
  b[(*len)++] = (uint8_t)nl;
  memcpy(b + *len, name, nl);
  *len += nl;
  memcpy(b + *len, data, dl);
  *len += dl;
}

TEST_IMPL(custom_sections) {
  wapc_module *m = NULL;
  CHECK_OR_RETURN(wapc_module_compile(NULL, echo_wasm.data, echo_wasm.len, &m, NULL, 0) == WAPC_OK);
  CHECK_INT(wapc_module_custom_section_count(m), 0);
  wapc_module_free(m);
  /* echo.wasm with two custom sections after its last section (also valid there). */
  uint8_t *b = malloc(echo_wasm.len + 256);
  CHECK_OR_RETURN(b != NULL);
  memcpy(b, echo_wasm.data, echo_wasm.len);
  size_t len = echo_wasm.len;
  add_custom(b, &len, "io.kubewarden.metadata", "{\"rules\":[]}");
  add_custom(b, &len, "jwt", "");
  CHECK_OR_RETURN(wapc_module_compile(NULL, b, len, &m, NULL, 0) == WAPC_OK);
  free(b); /* the module keeps its own copy */
  CHECK_INT(wapc_module_custom_section_count(m), 2);
  const char *name;
  size_t name_len, data_len;
  const uint8_t *data;
  CHECK(wapc_module_custom_section(m, 0, &name, &name_len, &data, &data_len) == WAPC_OK);
  CHECK_BYTES(name, name_len, "io.kubewarden.metadata");
  CHECK_BYTES(data, data_len, "{\"rules\":[]}");
  CHECK(wapc_module_custom_section(m, 1, &name, &name_len, &data, &data_len) == WAPC_OK);
  CHECK_BYTES(name, name_len, "jwt");
  CHECK(data_len == 0);
  CHECK(wapc_module_custom_section(m, 2, &name, &name_len, &data, &data_len) == WAPC_ERR_MISUSE);
  CHECK(wapc_module_custom_section(NULL, 0, &name, &name_len, &data, &data_len) == WAPC_ERR_MISUSE);
  CHECK(wapc_module_custom_section(m, 0, NULL, &name_len, &data, &data_len) == WAPC_ERR_MISUSE);
  CHECK_INT(wapc_module_custom_section_count(NULL), 0);
  /* The module still makes hosts. */
  wapc_host *h = NULL;
  CHECK(wapc_host_new_builtin_module(NULL, m, NULL, NULL, &h, NULL, 0) == WAPC_OK);
  const uint8_t *r;
  size_t rl;
  CHECK_STATUS(wapc_host_call(h, "e", 1, (const uint8_t *)"ok", 2, &r, &rl), WAPC_OK, h);
  CHECK_BYTES(r, rl, "ok");
  wapc_host_free(h);
  wapc_module_free(m);
}

/* Imports, exports and facts of a compiled module; a module compiled for inspection only. */
TEST_IMPL(introspection) {
  wapc_module *m = NULL;
  CHECK_OR_RETURN(wapc_module_compile(NULL, echo_wasm.data, echo_wasm.len, &m, NULL, 0) == WAPC_OK);
  size_t ni = wapc_module_import_count(m), ne = wapc_module_export_count(m);
  CHECK(ni >= 2);
  CHECK(ne >= 2);
  bool saw_request = false, saw_call = false, saw_memory = false;
  for (size_t i = 0; i < ni; i++) {
    wapc_module_item it;
    CHECK_OR_RETURN(wapc_module_import(m, i, &it) == WAPC_OK);
    CHECK_BYTES(it.module, it.module_len, "wapc");
    if (it.name_len == 15 && memcmp(it.name, "__guest_request", 15) == 0) {
      saw_request = true;
      CHECK(it.kind == WAPC_EXTERN_FUNCTION && it.params == 2 && it.results == 0);
      CHECK_STR(it.signature, "(i32, i32) -> ()");
    }
  }
  for (size_t i = 0; i < ne; i++) {
    wapc_module_item it;
    CHECK_OR_RETURN(wapc_module_export(m, i, &it) == WAPC_OK);
    CHECK(it.module_len == 0);
    if (it.name_len == 12 && memcmp(it.name, "__guest_call", 12) == 0) {
      saw_call = true;
      CHECK_STR(it.signature, "(i32, i32) -> (i32)");
    }
    if (it.kind == WAPC_EXTERN_MEMORY) saw_memory = it.min >= 1;
  }
  CHECK(saw_request && saw_call && saw_memory);
  wapc_module_item it;
  CHECK(wapc_module_import(m, ni, &it) == WAPC_ERR_MISUSE);
  CHECK(wapc_module_export(NULL, 0, &it) == WAPC_ERR_MISUSE);
  CHECK(wapc_module_export(m, 0, NULL) == WAPC_ERR_MISUSE);
  CHECK_INT(wapc_module_import_count(NULL), 0);
  wapc_module_info info;
  wapc_module_info_get(m, &info);
  CHECK(info.functions > info.imported_functions && info.code_bytes > 0);
  CHECK(info.compiled_functions == 0 || info.machine_code_bytes > 0);
  wapc_module_free(m);

  /* For inspection only: no export needed, no import resolved, no host. */
  static const uint8_t odd[] = {0,
                                'a',
                                's',
                                'm',
                                1,
                                0,
                                0,
                                0,
                                /* type () -> () */ 1,
                                4,
                                1,
                                0x60,
                                0,
                                0,
                                /* import "env" "f" func 0 */ 2,
                                9,
                                1,
                                3,
                                'e',
                                'n',
                                'v',
                                1,
                                'f',
                                0,
                                0};
  CHECK(wapc_module_compile(NULL, odd, sizeof odd, &m, NULL, 0) != WAPC_OK);
  char msg[128];
  CHECK_OR_RETURN(wapc_module_inspect(NULL, odd, sizeof odd, &m, msg, sizeof msg) == WAPC_OK);
  CHECK_INT(wapc_module_import_count(m), 1);
  CHECK(wapc_module_import(m, 0, &it) == WAPC_OK);
  CHECK_BYTES(it.module, it.module_len, "env");
  CHECK_STR(it.signature, "() -> ()");
  wapc_host *h = NULL;
  CHECK(wapc_host_new_builtin_module(NULL, m, NULL, NULL, &h, msg, sizeof msg) == WAPC_ERR_MISUSE);
  CHECK_STR(msg, "module compiled for inspection only");
  CHECK(h == NULL);
  wapc_module_free(m);
}

TEST_IMPL(guardrails) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.timeout_ms = 50;
  wapc_module *m = compile(&o, guard_wasm);

  /* deadline, then a fresh instance of the same compiled module */
  wapc_host *h = new_host(&o, m, count_callback, NULL);
  CHECK(calls_seen(h) == 1);
  CHECK(calls_seen(h) == 2);
  CHECK_STATUS(call_str(h, "l", "", NULL, NULL), WAPC_ERR_DEADLINE, h);
  CHECK_MSG(h, "deadline exceeded");
  CHECK(calls_seen(h) == 1);
  /* host calls reach the callback with this host's id */
  CHECK_STATUS(call_n(h, "H", 3, NULL, NULL), WAPC_OK, h);
  CHECK(atomic_load(&callback_calls) == 1 && callback_id == wapc_host_id(h));
  wapc_host_free(h);

  /* interrupt from another thread, no deadline */
  wapc_host *a = new_host(NULL, m, NULL, NULL);
  wapc_host *b = new_host(NULL, m, NULL, NULL);
  interrupter it = {a, 20};
  pthread_t t;
  CHECK(pthread_create(&t, NULL, interrupt_later, &it) == 0);
  CHECK_STATUS(call_str(a, "l", "", NULL, NULL), WAPC_ERR_INTERRUPTED, a);
  pthread_join(t, NULL);
  CHECK_MSG(a, "interrupted");
  CHECK(calls_seen(a) == 1); /* fresh instance */
  /* the request was for `a` only: `b`, same module, is not stopped */
  CHECK(calls_seen(b) == 1);
  /* a request made while nothing runs stops the next call, once */
  CHECK(wapc_host_interrupt(b) == WAPC_OK);
  CHECK_STATUS(call_str(b, "e", "x", NULL, NULL), WAPC_ERR_INTERRUPTED, b);
  CHECK(echoes(b, "after the interrupt"));
  wapc_host_free(a);
  wapc_host_free(b);

  /* fuel */
  wapc_builtin_options_init(&o);
  o.fuel = 1000000;
  h = new_host(&o, m, NULL, NULL);
  CHECK_STATUS(call_str(h, "l", "", NULL, NULL), WAPC_ERR_LIMIT, h);
  CHECK_MSG(h, "fuel exhausted");
  CHECK(echoes(h, "refuelled"));
  wapc_host_free(h);
  wapc_module_free(m);
}

static void setup(void) {
  guard_wasm = load_file("wat/guard.wasm");
  echo_wasm = load_file("wat/echo.wasm");
}

static void teardown(void) {
  free(guard_wasm.data);
  free(echo_wasm.data);
}

TEST_LIST_BEGIN
TEST_ENTRY(errors)
TEST_ENTRY(wasm_versions)
TEST_ENTRY(many_hosts)
TEST_ENTRY(many_hosts_module_freed_first)
TEST_ENTRY(fresh_memory)
TEST_ENTRY(threads)
TEST_ENTRY(hot_swap)
TEST_ENTRY(guardrails)
TEST_ENTRY(custom_sections)
TEST_ENTRY(introspection)
TEST_LIST_END

int main(int argc, char **argv) {
  return test_main(argc, argv, "api.module", test_cases, setup, teardown);
}
