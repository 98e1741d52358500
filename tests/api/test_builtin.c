/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_builtin.c - the public API on the built-in engine with real guests
 * (tests/api/guests, WAT built by wat2wasm): echo, every import, the
 * __guest_call return rules, traps, empty and multi-MiB payloads, host
 * callback success and failure, two hosts sharing one callback, the init
 * order, link and load errors, hot swap, and out-of-range pointers and
 * lengths passed to every import.
 *
 * Cases (test.h): test_api_builtin [--dir <directory with the built guests>] [CASE...]
 */
#include "wapc_engine.h"
#include "test.h"
#include "guest_files.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- callback and log hook ---------------------------------------------------------- */

typedef struct record {
  int calls;
  uint64_t ids[4];
  char binding[16], ns[16], op[16];
  int fail;
  int logs;
  char log[64];
} record;

static void callback(void *user, uint64_t id, wapc_str binding, wapc_str ns, wapc_str operation,
                     const uint8_t *payload, size_t len, wapc_result *result) {
  record *r = user;
  if (r->calls < 4) r->ids[r->calls] = id;
  r->calls++;
  snprintf(r->binding, sizeof r->binding, "%s", binding.data);
  snprintf(r->ns, sizeof r->ns, "%s", ns.data);
  snprintf(r->op, sizeof r->op, "%s", operation.data);
  if (r->fail) {
    wapc_result_set_error(result, "denied by host");
    return;
  }
  /* "<binding>/<ns>/<op>:" + payload */
  char buf[128];
  int n = snprintf(buf, sizeof buf, "%s/%s/%s:", binding.data, ns.data, operation.data);
  size_t copy = len < sizeof buf - (size_t)n ? len : sizeof buf - (size_t)n;
  memcpy(buf + n, payload, copy);
  wapc_result_set_bytes(result, buf, (size_t)n + copy);
}

static void log_hook(void *user, uint64_t id, const char *msg, size_t len) {
  record *r = user;
  r->logs++;
  snprintf(r->log, sizeof r->log, "%.*s", (int)len, msg);
}

static wapc_host *new_host(const wapc_builtin_options *opts, record *r) {
  wapc_host *h = NULL;
  CHECK_STATUS(wapc_host_new_builtin(opts, r ? callback : NULL, r, &h, NULL, 0), WAPC_OK, h);
  if (r) wapc_host_set_log_hook(h, log_hook, r);
  return h;
}

static wapc_host *host_with(const char *guest, record *r) {
  wapc_host *h = new_host(NULL, r);
  bytes m = load_file(guest);
  CHECK_STATUS(wapc_host_load(h, m.data, m.len), WAPC_OK, h);
  free(m.data);
  return h;
}

/* Call and compare the response. */
static void expect_ok(wapc_host *h, const char *op, const void *payload, size_t len, const char *want) {
  const uint8_t *resp;
  size_t rlen;
  CHECK_STATUS(wapc_host_call(h, op, strlen(op), payload, len, &resp, &rlen), WAPC_OK, h);
  CHECK_BYTES(resp, rlen, want);
}

static void expect_fail(wapc_host *h, const char *op, const char *payload, wapc_status st, const char *msg) {
  const uint8_t *resp = U8("x");
  size_t rlen = 1;
  CHECK_STATUS(wapc_host_call(h, op, strlen(op), U8(payload), strlen(payload), &resp, &rlen), st, h);
  CHECK(resp == NULL && rlen == 0);
  CHECK_MSG(h, msg);
}

/* ---- tests ------------------------------------------------------------------------------ */

TEST_IMPL(echo) {
  wapc_host *h = host_with("all.wasm", NULL);
  expect_ok(h, "echo", "hello", 5, "hello");
  expect_ok(h, "echo", NULL, 0, "");
  expect_ok(h, "z", "ignored", 7, "");
  expect_fail(h, "", "", WAPC_ERR_GUEST, ""); /* empty op: the guest fails with the (empty) op name */
  const uint8_t *resp;
  size_t len;
  CHECK_STATUS(wapc_host_call(h, "echo", 4, U8("a\0b\xff"), 4, &resp, &len), WAPC_OK, h);
  CHECK(len == 4 && !memcmp(resp, "a\0b\xff", 4));

  /* Multi-MiB payloads, echoed and taken again into freshly grown memory. */
  size_t big = 5u << 20;
  uint8_t *p = malloc(big);
  for (size_t i = 0; i < big; i++)
    p[i] = (uint8_t)(i * 131 + 7);
  CHECK_STATUS(wapc_host_call(h, "echo", 4, p, big, &resp, &len), WAPC_OK, h);
  CHECK(len == big && !memcmp(resp, p, big));
  CHECK_STATUS(wapc_host_call(h, "grow", 4, p, big, &resp, &len), WAPC_OK, h);
  CHECK(len == big && !memcmp(resp, p, big));
  free(p);
  CHECK(strstr(wapc_host_debug(h), "engine: \"builtin\"") != NULL);
  CHECK(strstr(wapc_host_debug(h), "imported funcs: 9") != NULL);
  CHECK(!strcmp(wapc_host_engine_name(h), "builtin"));
  wapc_host_free(h);
}

TEST_IMPL(return_rules) {
  wapc_host *h = host_with("all.wasm", NULL);
  expect_fail(h, "fail", "guest says no", WAPC_ERR_GUEST, "guest says no");
  expect_fail(h, "n", "", WAPC_ERR_GUEST, "No error message set for call failure");
  expect_fail(h, "r", "", WAPC_ERR_GUEST, "No error message OR response set for call success");
  expect_fail(h, "o", "error only", WAPC_ERR_GUEST, "error only");
  expect_fail(h, "u", "set before the trap", WAPC_ERR_TRAP, "trap: unreachable");
  expect_fail(h, "d", "", WAPC_ERR_TRAP, "trap: integer divide by zero");
  expect_fail(h, "what", "", WAPC_ERR_GUEST, "what");
  /* After failures, a success is clean. */
  expect_ok(h, "e", "again", 5, "again");
  CHECK_MSG(h, "");
  wapc_host_free(h);
}

TEST_IMPL(host_calls) {
  record r = {0};
  wapc_host *h = host_with("all.wasm", &r);
  expect_ok(h, "h", "payload", 7, "bd/ns/op:payload");
  CHECK(r.calls == 1 && r.ids[0] == wapc_host_id(h));
  expect_ok(h, "h", "", 0, "bd/ns/op:");
  r.fail = 1;
  expect_fail(h, "h", "x", WAPC_ERR_GUEST, "Host error: denied by host");
  r.fail = 0;
  expect_ok(h, "l", "a log line", 10, "");
  CHECK(r.logs == 1 && !strcmp(r.log, "a log line"));
  wapc_host_free(h);

  h = host_with("all.wasm", NULL);
  expect_fail(h, "h", "x", WAPC_ERR_GUEST, "Host error: no host callback is configured");
  wapc_host_free(h);

  /* Two hosts, one callback: the id tells them apart. */
  record shared = {0};
  wapc_host *a = host_with("all.wasm", &shared);
  wapc_host *b = host_with("all.wasm", &shared);
  CHECK(wapc_host_id(a) != wapc_host_id(b) && wapc_host_id(a) && wapc_host_id(b));
  expect_ok(a, "h", "1", 1, "bd/ns/op:1");
  expect_ok(b, "h", "2", 1, "bd/ns/op:2");
  expect_ok(a, "h", "3", 1, "bd/ns/op:3");
  CHECK(shared.calls == 3);
  CHECK(shared.ids[0] == wapc_host_id(a) && shared.ids[1] == wapc_host_id(b) &&
        shared.ids[2] == wapc_host_id(a));
  wapc_host_free(a);
  wapc_host_free(b);
}

TEST_IMPL(out_of_bounds) {
  static const char *ops[] = {"A", "B", "C", "D", "E", "F", "G", "K", "L", "H", "I", "J"};
  record r = {0};
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.reset_after_trap = 0; /* keep the instance, to see that nothing was written */
  wapc_host *h = new_host(&o, &r);
  bytes m = load_file("all.wasm");
  CHECK_STATUS(wapc_host_load(h, m.data, m.len), WAPC_OK, h);
  free(m.data);
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    r.fail = !strcmp(ops[i], "I");
    int before = check_failed;
    expect_fail(h, ops[i], "XXXXXXXX", WAPC_ERR_TRAP, "trap: out of bounds memory access");
    if (check_failed != before) fprintf(stderr, "  (operation %s)\n", ops[i]);
  }
  r.fail = 0;
  /* __guest_request checks both ranges before writing either: nothing at 4096. */
  const uint8_t *resp;
  size_t len;
  CHECK_STATUS(wapc_host_call(h, "P", 1, NULL, 0, &resp, &len), WAPC_OK, h);
  CHECK(len == 8 && !memcmp(resp, "\0\0\0\0\0\0\0\0", 8));
  /* The instance still works after all those traps. */
  expect_ok(h, "e", "alive", 5, "alive");
  wapc_host_free(h);
}

TEST_IMPL(reset_after_trap) {
  wapc_host *h = host_with("all.wasm", NULL);
  expect_ok(h, "c", NULL, 0, "\x01");
  expect_ok(h, "c", NULL, 0, "\x02");
  expect_fail(h, "u", "", WAPC_ERR_TRAP, "trap: unreachable");
  expect_ok(h, "c", NULL, 0, "\x01"); /* a fresh instance */
  wapc_host_free(h);

  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.reset_after_trap = 0;
  h = new_host(&o, NULL);
  bytes m = load_file("all.wasm");
  CHECK_STATUS(wapc_host_load(h, m.data, m.len), WAPC_OK, h);
  free(m.data);
  expect_ok(h, "c", NULL, 0, "\x01");
  expect_fail(h, "u", "", WAPC_ERR_TRAP, "trap: unreachable");
  expect_ok(h, "c", NULL, 0, "\x02"); /* the same instance */
  wapc_host_free(h);
}

TEST_IMPL(init) {
  record r = {0};
  wapc_host *h = host_with("init.wasm", &r);
  expect_ok(h, "x", NULL, 0, "1234");
  CHECK(r.logs == 1 && !strcmp(r.log, "start"));
  CHECK(r.calls == 1 && !strcmp(r.binding, "init") && !strcmp(r.ns, "init") && !strcmp(r.op, "init"));
  wapc_host_free(h);
}

typedef struct bad_case {
  const char *file;
  wapc_status status;
  const char *message;
} bad_case;

TEST_IMPL(load_errors) {
  static const bad_case cases[] = {
      {"no_guest_call.wasm", WAPC_ERR_LINK, "module does not export function \"__guest_call\""},
      {"no_memory.wasm", WAPC_ERR_LINK, "module does not export memory \"memory\""},
      {"guest_call_badtype.wasm", WAPC_ERR_LINK,
       "export \"__guest_call\" has type (i32) -> i32, expected (i32, i32) -> i32"},
      {"unknown_import.wasm", WAPC_ERR_LINK, "unknown import \"env\".\"abort\""},
      {"unknown_wapc_import.wasm", WAPC_ERR_LINK, "unknown import \"wapc\".\"__guest_reply\""},
      {"import_badtype.wasm", WAPC_ERR_LINK,
       "incompatible import type for \"wapc\".\"__host_response_len\": expected func () -> i32, got func "
       "(i32) -> i64"},
      {"import_badkind.wasm", WAPC_ERR_LINK,
       "incompatible import type for \"wapc\".\"__console_log\": expected func (i32, i32) -> (), got global"},
      {"init_trap.wasm", WAPC_ERR_INIT, "wapc_init failed: trap: unreachable"},
      {"start_trap.wasm", WAPC_ERR_INIT, "instantiation failed: trap: integer divide by zero"},
      {"init_badtype.wasm", WAPC_ERR_INIT, "export \"wapc_init\" has type (i32) -> (), expected () -> ()"},
      {"invalid_type.wasm", WAPC_ERR_INVALID, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    record r = {0};
    wapc_host *h = new_host(NULL, &r);
    bytes m = load_file(cases[i].file);
    CHECK_STATUS(wapc_host_load(h, m.data, m.len), cases[i].status, h);
    if (cases[i].message) CHECK_MSG(h, cases[i].message);
    CHECK(r.logs == 0); /* link errors come before any init code */
    free(m.data);
    CHECK_STATUS(wapc_host_call(h, "e", 1, NULL, 0, NULL, NULL), WAPC_ERR_MISUSE, h);
    wapc_host_free(h);
  }

  wapc_host *h = new_host(NULL, NULL);
  CHECK_STATUS(wapc_host_load(h, U8("\0asm\x02\0\0\0"), 8), WAPC_ERR_MALFORMED, h);
  CHECK_STATUS(wapc_host_load(h, NULL, 0), WAPC_ERR_MALFORMED, h);
  /* Every truncation of a real guest fails cleanly (a cut at a section boundary is a valid module). */
  bytes m = load_file("all.wasm");
  int bad = 0;
  for (size_t n = 0; n < m.len; n++) {
    wapc_status st = wapc_host_load(h, m.data, n);
    if (st != WAPC_ERR_MALFORMED && st != WAPC_ERR_LINK && st != WAPC_OK) {
      bad++;
      fprintf(stderr, "prefix %zu: %s: %s\n", n, wapc_status_name(st), wapc_host_last_error(h));
    }
  }
  CHECK(bad == 0);
  CHECK_STATUS(wapc_host_load(h, m.data, m.len), WAPC_OK, h);
  free(m.data);
  wapc_host_free(h);
}

TEST_IMPL(hot_swap) {
  record r = {0};
  wapc_host *h = host_with("all.wasm", &r);
  uint64_t id = wapc_host_id(h);
  expect_ok(h, "v", NULL, 0, "v1");
  expect_ok(h, "c", NULL, 0, "\x01");
  static const char *bad[] = {"unknown_import.wasm", "init_trap.wasm", "no_memory.wasm", "invalid_type.wasm"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    bytes m = load_file(bad[i]);
    CHECK(wapc_host_replace_module(h, m.data, m.len) != WAPC_OK);
    free(m.data);
    expect_ok(h, "v", NULL, 0, "v1");
  }
  CHECK(wapc_host_replace_module(h, U8("junk"), 4) == WAPC_ERR_MALFORMED);
  expect_ok(h, "c", NULL, 0, "\x02"); /* the old instance, state intact */

  bytes m = load_file("v2.wasm");
  CHECK_STATUS(wapc_host_replace_module(h, m.data, m.len), WAPC_OK, h);
  free(m.data);
  expect_ok(h, "v", NULL, 0, "v2");
  expect_ok(h, "echo", "swapped", 7, "swapped");
  CHECK(wapc_host_id(h) == id);
  CHECK(strstr(wapc_host_debug(h), "imported funcs: 2") != NULL);

  /* And back: a fresh instance of the first module. */
  m = load_file("all.wasm");
  for (int i = 0; i < 50; i++)
    CHECK_STATUS(wapc_host_replace_module(h, m.data, m.len), WAPC_OK, h);
  free(m.data);
  expect_ok(h, "c", NULL, 0, "\x01");
  expect_ok(h, "h", "q", 1, "bd/ns/op:q");
  wapc_host_free(h);
}

TEST_IMPL(options) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  CHECK(o.struct_size == sizeof o && o.max_memory_pages == 16384 && o.reset_after_trap == 1);
  o.max_memory_pages = 4;
  wapc_host *h = new_host(&o, NULL);
  bytes m = load_file("all.wasm");
  CHECK_STATUS(wapc_host_load(h, m.data, m.len), WAPC_OK, h);
  free(m.data);
  uint8_t *p = calloc(1, 1u << 20);
  /* The guest cannot grow past the cap: its $ensure traps. */
  CHECK_STATUS(wapc_host_call(h, "e", 1, p, 1u << 20, NULL, NULL), WAPC_ERR_TRAP, h);
  CHECK_STATUS(wapc_host_call(h, "e", 1, p, 100, NULL, NULL), WAPC_OK, h);
  free(p);
  wapc_host_free(h);

  wapc_engine_provider prov;
  CHECK(wapc_builtin_provider(NULL, NULL, NULL, 0) == WAPC_ERR_MISUSE);
  o.struct_size = 0;
  CHECK(wapc_builtin_provider(&o, &prov, NULL, 0) == WAPC_ERR_MISUSE);
  /* An older, shorter options struct: the missing fields keep their defaults. */
  wapc_builtin_options_init(&o);
  o.struct_size = offsetof(wapc_builtin_options, max_call_depth);
  o.max_memory_pages = 8;
  CHECK(wapc_builtin_provider(&o, &prov, NULL, 0) == WAPC_OK);
  prov.destroy(prov.self);
}

/* One rule for errors: a constructor that fails says why in the caller's buffer. */
TEST_IMPL(constructor_messages) {
  char msg[256] = "stale";
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  wapc_wasi_dir dir = {"/nonexistent-wapc-dir", "/data", 0};
  o.wasi_dirs = &dir;
  o.wasi_ndirs = 1;
  wapc_host *h = (wapc_host *)&o;
  CHECK(wapc_host_new_builtin(&o, NULL, NULL, &h, msg, sizeof msg) == WAPC_ERR_IO && h == NULL);
  CHECK(strcmp(msg, "cannot open directory '/nonexistent-wapc-dir': No such file or directory") == 0);
  wapc_engine_provider prov;
  CHECK(wapc_builtin_provider(&o, &prov, msg, sizeof msg) == WAPC_ERR_IO);
  CHECK(strncmp(msg, "cannot open directory", 21) == 0);
  CHECK(wapc_builtin_provider(NULL, NULL, msg, sizeof msg) == WAPC_ERR_MISUSE);
  CHECK(strcmp(msg, "out is NULL") == 0);
  /* No buffer (NULL with any length): the status alone. */
  CHECK(wapc_host_new_builtin(&o, NULL, NULL, &h, NULL, 100) == WAPC_ERR_IO && h == NULL);
  CHECK(wapc_module_compile(NULL, NULL, 5, NULL, NULL, 100) == WAPC_ERR_MISUSE);
  /* Cut to fit, NUL-terminated. */
  char small[8];
  CHECK(wapc_host_new_builtin(&o, NULL, NULL, &h, small, sizeof small) == WAPC_ERR_IO);
  CHECK(strcmp(small, "cannot ") == 0);
  /* A provider this library cannot use. */
  CHECK(wapc_builtin_provider(NULL, &prov, msg, sizeof msg) == WAPC_OK && msg[0] == 0);
  prov.abi_version = 99;
  CHECK(wapc_host_new(&prov, NULL, NULL, &h, msg, sizeof msg) == WAPC_ERR_MISUSE && h == NULL);
  CHECK(strcmp(msg, "unusable engine provider (ABI version 99, or an entry missing)") == 0);
  CHECK(wapc_host_new(NULL, NULL, NULL, &h, msg, sizeof msg) == WAPC_ERR_MISUSE);
  CHECK(strcmp(msg, "provider is NULL") == 0);
  /* Success clears the buffer. */
  CHECK(wapc_host_new_builtin(NULL, NULL, NULL, &h, msg, sizeof msg) == WAPC_OK && msg[0] == 0);
  wapc_host_free(h);
}

TEST_LIST_BEGIN
TEST_ENTRY(echo)
TEST_ENTRY(return_rules)
TEST_ENTRY(host_calls)
TEST_ENTRY(out_of_bounds)
TEST_ENTRY(reset_after_trap)
TEST_ENTRY(init)
TEST_ENTRY(load_errors)
TEST_ENTRY(hot_swap)
TEST_ENTRY(options)
TEST_ENTRY(constructor_messages)
TEST_LIST_END

int main(int argc, char **argv) {
  return test_main(argc, argv, "api.builtin", test_cases, NULL, NULL);
}
