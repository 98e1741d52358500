/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_provider.c - proves the engine-provider interface is real: a
 * test-only provider whose "guest" is C code, driving the host layer only
 * through wapc_engine.h (request, guest response/error, host calls, host
 * response/error, console log, messages), and tests of the host layer's
 * protocol rules, ownership and misuse handling on top of it.
 *
 * A fake module is text: "FAKE <version>" loads; "FAKE-link" fails to link;
 * "FAKE-init" makes a host call during init and fails if it fails; anything
 * else is malformed.
 */
#include "wapc_engine.h"
#include "test.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct fake {
  wapc_engine_host *host;
  char version[16];
  int *destroyed; /* set when destroyed */
} fake;

static bool starts(const uint8_t *p, size_t len, const char *lit) {
  size_t n = strlen(lit);
  return len >= n && memcmp(p, lit, n) == 0;
}

static wapc_status fake_load(fake *f, const uint8_t *m, size_t len) {
  if (starts(m, len, "FAKE-link"))
    return wapc_engine_set_message(f->host, WAPC_ERR_LINK, "unknown import \"env\".\"abort\"");
  if (starts(m, len, "FAKE-init")) {
    wapc_status st = wapc_engine_host_call(f->host, (const uint8_t *)"init", 4, (const uint8_t *)"", 0,
                                           (const uint8_t *)"", 0, NULL, 0);
    if (st != WAPC_OK) return wapc_engine_set_message(f->host, WAPC_ERR_INIT, "wapc_init failed");
    wapc_engine_console_log(f->host, (const uint8_t *)"init ok", 7);
    snprintf(f->version, sizeof f->version, "init");
    return WAPC_OK;
  }
  if (!starts(m, len, "FAKE ") || len - 5 >= sizeof f->version)
    return wapc_engine_set_message(f->host, WAPC_ERR_MALFORMED, "magic header not detected");
  memcpy(f->version, m + 5, len - 5);
  f->version[len - 5] = 0;
  return WAPC_OK;
}

static wapc_status fake_init(void *self, wapc_engine_host *host, const uint8_t *module, size_t len) {
  fake *f = self;
  f->host = host;
  return fake_load(f, module, len);
}

static wapc_status fake_replace(void *self, const uint8_t *module, size_t len) {
  fake *f = self;
  fake next = *f;
  wapc_status st = fake_load(&next, module, len);
  if (st == WAPC_OK) *f = next;
  return st;
}

#define U8(s) ((const uint8_t *)(s))

/* The fake guest's __guest_call: every import through the accessors. */
static wapc_status fake_call(void *self, uint32_t op_len, uint32_t msg_len, int32_t *ret) {
  fake *f = self;
  const uint8_t *op, *msg;
  size_t ol, ml;
  wapc_engine_request(f->host, &op, &ol, &msg, &ml);
  if (ol != op_len || ml != msg_len)
    return wapc_engine_set_message(f->host, WAPC_ERR_PROVIDER, "length mismatch");
  char name[32] = {0};
  memcpy(name, op, ol < sizeof name - 1 ? ol : sizeof name - 1);
  *ret = 1;
  if (!strcmp(name, "echo")) {
    wapc_engine_set_guest_response(f->host, msg, ml);
  } else if (!strcmp(name, "version")) {
    wapc_engine_set_guest_response(f->host, U8(f->version), strlen(f->version));
  } else if (!strcmp(name, "host")) {
    if (wapc_engine_host_call(f->host, U8("bd"), 2, U8("ns"), 2, U8("op"), 2, msg, ml) == WAPC_OK) {
      const uint8_t *r;
      size_t rl;
      wapc_engine_host_response(f->host, &r, &rl);
      wapc_engine_set_guest_response(f->host, r, rl);
    } else {
      const uint8_t *e;
      size_t el;
      wapc_engine_host_error(f->host, &e, &el);
      char buf[256];
      int n = snprintf(buf, sizeof buf, "Host error: %.*s", (int)el, (const char *)e);
      wapc_engine_set_guest_error(f->host, U8(buf), (size_t)n);
      *ret = 0;
    }
  } else if (!strcmp(name, "fail")) {
    wapc_engine_set_guest_error(f->host, msg, ml);
    *ret = 0;
  } else if (!strcmp(name, "fail_silent")) {
    *ret = 0;
  } else if (!strcmp(name, "no_response")) {
  } else if (!strcmp(name, "error_only")) {
    wapc_engine_set_guest_error(f->host, msg, ml);
  } else if (!strcmp(name, "trap")) {
    wapc_engine_set_guest_error(f->host, U8("replaced by the trap"), 20);
    return wapc_engine_set_message(f->host, WAPC_ERR_TRAP, "unreachable");
  } else if (!strcmp(name, "silent_failure")) {
    return WAPC_ERR_LIMIT; /* no message: the host falls back to the status text */
  } else if (!strcmp(name, "log")) {
    wapc_engine_console_log(f->host, msg, ml);
    wapc_engine_set_guest_response(f->host, U8(""), 0);
  } else {
    wapc_engine_set_guest_error(f->host, U8("unknown operation"), 17);
    *ret = 0;
  }
  return WAPC_OK;
}

static void fake_destroy(void *self) {
  fake *f = self;
  if (f->destroyed) (*f->destroyed)++;
  free(f);
}

static void fake_describe(void *self, char *buf, size_t len) {
  fake *f = self;
  snprintf(buf, len, "version: %s", f->version);
}

static wapc_engine_provider fake_provider(int *destroyed) {
  fake *f = calloc(1, sizeof *f);
  f->destroyed = destroyed;
  wapc_engine_provider p = {.abi_version = WAPC_ENGINE_ABI_VERSION,
                            .name = "fake",
                            .self = f,
                            .init = fake_init,
                            .call = fake_call,
                            .replace = fake_replace,
                            .destroy = fake_destroy,
                            .describe = fake_describe};
  return p;
}

/* ---- callback and log hook used by the tests ----------------------------------------- */

typedef struct record {
  int calls;
  uint64_t last_id;
  char binding[16], ns[16], op[16];
  int terminated;     /* the strings were NUL-terminated at len */
  wapc_host *reenter; /* if set: try to call/replace/free this host from the callback */
  wapc_status reenter_status;
  int free_self;
  int fail;
  int logs;
  char log[64];
} record;

static void callback(void *user, uint64_t id, wapc_str binding, wapc_str ns, wapc_str operation,
                     const uint8_t *payload, size_t len, wapc_result *result) {
  record *r = user;
  r->calls++;
  r->last_id = id;
  snprintf(r->binding, sizeof r->binding, "%s", binding.data);
  snprintf(r->ns, sizeof r->ns, "%s", ns.data);
  snprintf(r->op, sizeof r->op, "%s", operation.data);
  r->terminated =
      binding.data[binding.len] == 0 && ns.data[ns.len] == 0 && operation.data[operation.len] == 0;
  if (r->reenter) {
    r->reenter_status = wapc_host_call(r->reenter, "echo", 4, U8("x"), 1, NULL, NULL);
    if (r->free_self) wapc_host_free(r->reenter);
  }
  if (r->fail) {
    wapc_result_set_bytes(result, U8("ignored"), 7);
    wapc_result_set_error(result, "denied");
    return;
  }
  /* Answer "<id>:" + payload reversed, to show the payload arrived. */
  char buf[64];
  int n = snprintf(buf, sizeof buf, "%llu:", (unsigned long long)id);
  for (size_t i = 0; i < len && n < (int)sizeof buf; i++)
    buf[n++] = (char)payload[len - 1 - i];
  wapc_result_set_bytes(result, buf, (size_t)n);
}

static void log_hook(void *user, uint64_t id, const char *msg, size_t len) {
  record *r = user;
  r->logs++;
  snprintf(r->log, sizeof r->log, "%llu:%.*s", (unsigned long long)id, (int)len, msg);
}

static wapc_host *new_host(record *r, const char *module, int *destroyed) {
  wapc_engine_provider p = fake_provider(destroyed);
  wapc_host *h = NULL;
  CHECK_STATUS(wapc_host_new(&p, r ? callback : NULL, r, &h, NULL, 0), WAPC_OK, h);
  if (r) wapc_host_set_log_hook(h, log_hook, r);
  CHECK_STATUS(wapc_host_load(h, U8(module), strlen(module)), WAPC_OK, h);
  return h;
}

/* ---- tests ---------------------------------------------------------------------------- */

TEST_IMPL(status_strings) {
  CHECK(!strcmp(wapc_status_str(WAPC_OK), "success"));
  CHECK(!strcmp(wapc_status_name(WAPC_ERR_TRAP), "WAPC_ERR_TRAP"));
  CHECK(!strcmp(wapc_status_str(WAPC_ERR_MISUSE), "bad argument or misuse of the API"));
  CHECK(!strcmp(wapc_status_str((wapc_status)999), "unknown status"));
  CHECK(!strcmp(wapc_version(), WAPC_VERSION_STRING));
}

TEST_IMPL(echo_and_rules) {
  record r = {0};
  wapc_host *h = new_host(&r, "FAKE v1", NULL);
  const uint8_t *resp;
  size_t len;
  CHECK_STATUS(wapc_host_call(h, "echo", 4, U8("hello"), 5, &resp, &len), WAPC_OK, h);
  CHECK_BYTES(resp, len, "hello");
  CHECK_MSG(h, "");
  CHECK_STATUS(wapc_host_call(h, "echo", 4, NULL, 0, &resp, &len), WAPC_OK, h);
  CHECK(resp != NULL && len == 0);

  CHECK_STATUS(wapc_host_call(h, "fail", 4, U8("bad input"), 9, &resp, &len), WAPC_ERR_GUEST, h);
  CHECK(resp == NULL && len == 0);
  CHECK_MSG(h, "bad input");
  CHECK_STATUS(wapc_host_call(h, "fail_silent", 11, NULL, 0, &resp, &len), WAPC_ERR_GUEST, h);
  CHECK_MSG(h, "No error message set for call failure");
  CHECK_STATUS(wapc_host_call(h, "no_response", 11, NULL, 0, &resp, &len), WAPC_ERR_GUEST, h);
  CHECK_MSG(h, "No error message OR response set for call success");
  CHECK_STATUS(wapc_host_call(h, "error_only", 10, U8("only"), 4, &resp, &len), WAPC_ERR_GUEST, h);
  CHECK_MSG(h, "only");
  CHECK_STATUS(wapc_host_call(h, "trap", 4, NULL, 0, &resp, &len), WAPC_ERR_TRAP, h);
  CHECK_MSG(h, "trap: unreachable");
  CHECK_STATUS(wapc_host_call(h, "silent_failure", 14, NULL, 0, &resp, &len), WAPC_ERR_LIMIT, h);
  CHECK_MSG(h, "resource limit exceeded");
  /* State does not leak from one call to the next. */
  CHECK_STATUS(wapc_host_call(h, "no_response", 11, NULL, 0, &resp, &len), WAPC_ERR_GUEST, h);
  CHECK_MSG(h, "No error message OR response set for call success");
  /* A guest error with a NUL byte keeps its full length. */
  CHECK_STATUS(wapc_host_call(h, "fail", 4, U8("a\0b"), 3, &resp, &len), WAPC_ERR_GUEST, h);
  CHECK(wapc_host_last_error_len(h) == 3 && !memcmp(wapc_host_last_error(h), "a\0b", 3));
  wapc_host_free(h);
}

TEST_IMPL(host_calls) {
  record r = {0};
  wapc_host *h = new_host(&r, "FAKE v1", NULL);
  const uint8_t *resp;
  size_t len;
  char want[32];
  snprintf(want, sizeof want, "%llu:cba", (unsigned long long)wapc_host_id(h));
  CHECK_STATUS(wapc_host_call(h, "host", 4, U8("abc"), 3, &resp, &len), WAPC_OK, h);
  CHECK_BYTES(resp, len, want);
  CHECK(r.calls == 1 && r.last_id == wapc_host_id(h));
  CHECK(!strcmp(r.binding, "bd") && !strcmp(r.ns, "ns") && !strcmp(r.op, "op") && r.terminated);

  r.fail = 1;
  CHECK_STATUS(wapc_host_call(h, "host", 4, U8("abc"), 3, &resp, &len), WAPC_ERR_GUEST, h);
  CHECK_MSG(h, "Host error: denied");
  r.fail = 0;

  /* Re-entering the host from its callback is refused, and the outer call still works. */
  r.reenter = h;
  CHECK_STATUS(wapc_host_call(h, "host", 4, U8("abc"), 3, &resp, &len), WAPC_OK, h);
  CHECK(r.reenter_status == WAPC_ERR_BUSY);
  CHECK_BYTES(resp, len, want);
  r.reenter = NULL;

  /* Log hook. */
  CHECK_STATUS(wapc_host_call(h, "log", 3, U8("hi there"), 8, &resp, &len), WAPC_OK, h);
  snprintf(want, sizeof want, "%llu:hi there", (unsigned long long)wapc_host_id(h));
  CHECK(r.logs == 1 && !strcmp(r.log, want));
  wapc_host_free(h);

  /* No callback configured. */
  h = new_host(NULL, "FAKE v1", NULL);
  CHECK_STATUS(wapc_host_call(h, "host", 4, U8("abc"), 3, &resp, &len), WAPC_ERR_GUEST, h);
  CHECK_MSG(h, "Host error: no host callback is configured");
  wapc_host_free(h);
}

TEST_IMPL(free_from_callback) {
  record r = {0};
  int destroyed = 0;
  wapc_host *h = new_host(&r, "FAKE v1", &destroyed);
  r.reenter = h;
  r.free_self = 1;
  const uint8_t *resp = U8("x");
  size_t len = 1;
  wapc_status st = wapc_host_call(h, "host", 4, U8("abc"), 3, &resp, &len);
  CHECK(st != WAPC_OK && resp == NULL && len == 0);
  CHECK(destroyed == 1);
}

TEST_IMPL(ids) {
  record r = {0};
  wapc_host *a = new_host(&r, "FAKE v1", NULL);
  wapc_host *b = new_host(&r, "FAKE v1", NULL);
  CHECK(wapc_host_id(a) >= 1 && wapc_host_id(b) > wapc_host_id(a));
  CHECK_STATUS(wapc_host_call(b, "host", 4, NULL, 0, NULL, NULL), WAPC_OK, b);
  CHECK(r.last_id == wapc_host_id(b));
  CHECK_STATUS(wapc_host_call(a, "host", 4, NULL, 0, NULL, NULL), WAPC_OK, a);
  CHECK(r.last_id == wapc_host_id(a));
  CHECK(!strcmp(wapc_host_engine_name(a), "fake"));
  char want[96];
  snprintf(want, sizeof want, "WapcHost { id: %llu, engine: \"fake\", module: { version: v1 } }",
           (unsigned long long)wapc_host_id(a));
  CHECK(!strcmp(wapc_host_debug(a), want));
  wapc_host_free(a);
  wapc_host_free(b);
}

TEST_IMPL(load_and_replace) {
  record r = {0};
  int destroyed = 0;
  wapc_engine_provider p = fake_provider(&destroyed);
  wapc_host *h = NULL;
  CHECK_STATUS(wapc_host_new(&p, callback, &r, &h, NULL, 0), WAPC_OK, h);
  wapc_host_set_log_hook(h, log_hook, &r);
  CHECK(strstr(wapc_host_debug(h), "module: { none }") != NULL);
  CHECK_STATUS(wapc_host_call(h, "echo", 4, NULL, 0, NULL, NULL), WAPC_ERR_MISUSE, h);
  CHECK_MSG(h, "no module is loaded");
  CHECK_STATUS(wapc_host_replace_module(h, U8("FAKE v9"), 7), WAPC_ERR_MISUSE, h);
  CHECK_STATUS(wapc_host_load(h, U8("junk"), 4), WAPC_ERR_MALFORMED, h);
  CHECK_MSG(h, "magic header not detected");
  CHECK_STATUS(wapc_host_load(h, U8("FAKE-link"), 9), WAPC_ERR_LINK, h);
  CHECK_MSG(h, "unknown import \"env\".\"abort\"");
  r.fail = 1;
  CHECK_STATUS(wapc_host_load(h, U8("FAKE-init"), 9), WAPC_ERR_INIT, h);
  r.fail = 0;
  CHECK_STATUS(wapc_host_load(h, U8("FAKE-init"), 9), WAPC_OK, h);
  CHECK_MSG(h, "");
  CHECK(r.logs == 1 && !strcmp(r.binding, "init"));

  const uint8_t *resp;
  size_t len;
  CHECK_STATUS(wapc_host_call(h, "version", 7, NULL, 0, &resp, &len), WAPC_OK, h);
  CHECK_BYTES(resp, len, "init");
  CHECK_STATUS(wapc_host_replace_module(h, U8("FAKE v2"), 7), WAPC_OK, h);
  CHECK_STATUS(wapc_host_call(h, "version", 7, NULL, 0, &resp, &len), WAPC_OK, h);
  CHECK_BYTES(resp, len, "v2");
  /* A failed swap keeps the old module serving. */
  CHECK_STATUS(wapc_host_replace_module(h, U8("FAKE-link"), 9), WAPC_ERR_LINK, h);
  CHECK_STATUS(wapc_host_call(h, "version", 7, NULL, 0, &resp, &len), WAPC_OK, h);
  CHECK_BYTES(resp, len, "v2");
  CHECK_STATUS(wapc_host_load(h, U8("FAKE v3"), 7), WAPC_OK, h); /* load on a loaded host swaps */
  CHECK_STATUS(wapc_host_call(h, "version", 7, NULL, 0, &resp, &len), WAPC_OK, h);
  CHECK_BYTES(resp, len, "v3");
  wapc_host_free(h);
  CHECK(destroyed == 1);
}

TEST_IMPL(misuse) {
  int destroyed = 0;
  wapc_host *h = (wapc_host *)1;
  CHECK(wapc_host_new(NULL, NULL, NULL, &h, NULL, 0) == WAPC_ERR_MISUSE && h == NULL);
  /* Ownership moves even when creation fails. */
  wapc_engine_provider p = fake_provider(&destroyed);
  CHECK(wapc_host_new(&p, NULL, NULL, NULL, NULL, 0) == WAPC_ERR_MISUSE);
  CHECK(destroyed == 1);
  p = fake_provider(&destroyed);
  p.abi_version = 99;
  CHECK(wapc_host_new(&p, NULL, NULL, &h, NULL, 0) == WAPC_ERR_MISUSE && h == NULL);
  CHECK(destroyed == 2);

  CHECK(wapc_host_call(NULL, "echo", 4, NULL, 0, NULL, NULL) == WAPC_ERR_MISUSE);
  CHECK(wapc_host_load(NULL, U8("x"), 1) == WAPC_ERR_MISUSE);
  CHECK(wapc_host_replace_module(NULL, U8("x"), 1) == WAPC_ERR_MISUSE);
  CHECK(wapc_host_set_log_hook(NULL, NULL, NULL) == WAPC_ERR_MISUSE);
  CHECK(wapc_host_id(NULL) == 0);
  CHECK(!strcmp(wapc_host_last_error(NULL), "invalid host"));
  CHECK(!strcmp(wapc_host_engine_name(NULL), ""));
  CHECK(wapc_host_debug(NULL) != NULL);
  CHECK(wapc_result_set_bytes(NULL, "x", 1) == WAPC_ERR_MISUSE);
  CHECK(wapc_result_set_error(NULL, "x") == WAPC_ERR_MISUSE);
  wapc_host_free(NULL);

  h = new_host(NULL, "FAKE v1", NULL);
  CHECK_STATUS(wapc_host_call(h, NULL, 3, NULL, 0, NULL, NULL), WAPC_ERR_MISUSE, h);
  CHECK_STATUS(wapc_host_call(h, "echo", 4, NULL, 3, NULL, NULL), WAPC_ERR_MISUSE, h);
  CHECK_STATUS(wapc_host_load(h, NULL, 3), WAPC_ERR_MISUSE, h);
  /* Responses are optional out-parameters. */
  CHECK_STATUS(wapc_host_call(h, "echo", 4, U8("a"), 1, NULL, NULL), WAPC_OK, h);
  wapc_host_free(h);
}

TEST_LIST_BEGIN
TEST_ENTRY(status_strings)
TEST_ENTRY(echo_and_rules)
TEST_ENTRY(host_calls)
TEST_ENTRY(free_from_callback)
TEST_ENTRY(ids)
TEST_ENTRY(load_and_replace)
TEST_ENTRY(misuse)
TEST_LIST_END

int main(int argc, char **argv) {
  return test_main(argc, argv, "api.provider", test_cases, NULL, NULL);
}
