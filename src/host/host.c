/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host.c - the waPC host: host ids, the per-call protocol state (request,
 * guest response/error, host response/error), the host callback and log
 * hook, the __guest_call return rules and their messages, hot swap
 * sequencing, and the accessors of wapc_engine.h that providers use to
 * implement the nine "wapc" imports.  It knows nothing of WebAssembly: the
 * engine is behind the provider interface.
 *
 * The buffers are per host and reused across calls, so a call allocates only
 * when a response or message is larger than any before it.
 */
#include "wapc_engine.h"
#include "util/clock.h"
#include "util/mem.h"
#include "util/lit.h"
#include "util/report.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A growable byte buffer, always NUL-terminated when data != NULL. */
typedef struct hbuf {
  uint8_t *data;
  size_t len;
  size_t cap;
} hbuf;

struct wapc_result {
  wapc_host *host;
  bool active; /* only while the callback runs */
  bool failed;
  bool nomem; /* the last answer could not be stored: the host call fails with WAPC_ERR_NOMEM */
};

struct wapc_engine_host {
  wapc_host *host;
};

struct wapc_host {
  wapc_engine_host engine; /* what providers get */
  uint64_t id;
  wapc_engine_provider prov;
  bool loaded;
  bool busy;         /* inside the provider: re-entry is refused */
  bool free_pending; /* wapc_host_free from inside a callback */

  wapc_host_callback callback;
  void *callback_user;
  void *call_context; /* the running call's context (wapc_host_call_with_context), for wapc_result_context */
  wapc_host_stats stats;
  bool timing; /* wapc_host_set_timing: measure guest_ns and host_call_ns */
  wapc_log_hook log;
  void *log_user;

  /* The current request, borrowed from the caller of wapc_host_call. */
  const uint8_t *op;
  size_t op_len;
  const uint8_t *payload;
  size_t payload_len;

  hbuf guest_response;
  bool has_guest_response;
  hbuf guest_error;
  bool has_guest_error;
  hbuf host_response; /* len 0 = none */
  hbuf host_error;
  hbuf strings; /* binding, namespace, operation of a host call, NUL-separated */
  hbuf message; /* last error */
  /* The last error when `message` could not grow (out of memory): cut to fit, never lost. */
  char spare[128];
  bool in_spare;
  hbuf debug;
  wapc_result result;
};

static const uint8_t empty_bytes[1] = {0};
static atomic_uint_fast64_t next_host_id = 1;

/* ---- buffers ---------------------------------------------------------------- */

static bool hbuf_reserve(hbuf *b, size_t len) {
  if (len == SIZE_MAX) return false;
  if (len + 1 <= b->cap && b->data) return true;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < len + 1)
    cap = cap > SIZE_MAX / 2 ? len + 1 : cap * 2;
  /* Whole cache lines: the host writes its buffers on every call, and a block of another thread's
   * sharing a line with them would make two threads serving two hosts slow each other down. */
  uint8_t *p = cap < SIZE_MAX - 64 ? mem_calloc_line(cap) : NULL;
  if (!p) return false;
  if (b->data && b->len) memcpy(p, b->data, b->len + 1);
  mem_free(b->data);
  b->data = p;
  b->cap = cap;
  return true;
}

static bool hbuf_set(hbuf *b, const void *src, size_t len) {
  if (!hbuf_reserve(b, len)) return false;
  if (len) memcpy(b->data, src, len);
  b->data[len] = 0;
  b->len = len;
  return true;
}

static void hbuf_free(hbuf *b) {
  mem_free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

static const uint8_t *hbuf_bytes(const hbuf *b) {
  return b->data ? b->data : empty_bytes;
}

/* ---- messages ------------------------------------------------------------------ */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 0)))
#endif
static void
set_message_v(wapc_host *h, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  h->in_spare = false;
  if (n < 0 || !hbuf_reserve(&h->message, (size_t)n)) {
    h->message.len = 0;
    if (h->message.data) h->message.data[0] = 0;
    vsnprintf(h->spare, sizeof h->spare, fmt, ap);
    h->in_spare = true;
    return;
  }
  vsnprintf((char *)h->message.data, (size_t)n + 1, fmt, ap);
  h->message.len = (size_t)n;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static wapc_status
fail(wapc_host *h, wapc_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  set_message_v(h, fmt, ap);
  va_end(ap);
  return st;
}

static void clear_message(wapc_host *h) {
  h->in_spare = false;
  h->message.len = 0;
  if (h->message.data) h->message.data[0] = 0;
}

/* A provider failed without saying why: fall back to the status's description. */
static void ensure_message(wapc_host *h, wapc_status st) {
  if (h->message.len == 0 && !h->in_spare) fail(h, st, "%s", wapc_status_str(st));
}

/* ---- hosts ------------------------------------------------------------------------ */

static bool provider_ok(const wapc_engine_provider *p) {
  return (p->abi_version == 1 || p->abi_version == WAPC_ENGINE_ABI_VERSION) && p->init && p->call &&
         p->replace && p->destroy;
}

wapc_status wapc_host_new(const wapc_engine_provider *provider, wapc_host_callback callback, void *user,
                          wapc_host **out, char *message, size_t message_len) {
  if (message && message_len) message[0] = 0;
  if (out) *out = NULL;
  if (!provider) return report_msg(message, message_len, WAPC_ERR_MISUSE, "provider is NULL");
  /* Ownership moves on every path: a provider we cannot use is destroyed here. */
  if (!out || !provider_ok(provider)) {
    if (provider->destroy) provider->destroy(provider->self);
    if (!out) return report_msg(message, message_len, WAPC_ERR_MISUSE, "out is NULL");
    return report_msg(message, message_len, WAPC_ERR_MISUSE,
                      "unusable engine provider (ABI version %u, or an entry missing)",
                      provider->abi_version);
  }
  wapc_host *h = mem_calloc_line(sizeof *h); /* written on every call: no line shared with another host */
  if (!h) {
    provider->destroy(provider->self);
    return report_msg(message, message_len, WAPC_ERR_NOMEM, "out of memory");
  }
  h->engine.host = h;
  /* A version-1 provider struct ends before `interrupt`: copy only what it has. */
  memcpy(&h->prov, provider,
         provider->abi_version == 1 ? offsetof(wapc_engine_provider, interrupt) : sizeof h->prov);
  if (!h->prov.name) h->prov.name = "";
  h->id = atomic_fetch_add(&next_host_id, 1);
  h->callback = callback;
  h->callback_user = user;
  h->op = h->payload = empty_bytes;
  h->result.host = h;
  *out = h;
  return WAPC_OK;
}

wapc_status wapc_host_set_log_hook(wapc_host *h, wapc_log_hook hook, void *user) {
  if (!h) return WAPC_ERR_MISUSE;
  h->log = hook;
  h->log_user = hook ? user : NULL;
  return WAPC_OK;
}

static void host_destroy(wapc_host *h) {
  h->prov.destroy(h->prov.self);
  hbuf_free(&h->guest_response);
  hbuf_free(&h->guest_error);
  hbuf_free(&h->host_response);
  hbuf_free(&h->host_error);
  hbuf_free(&h->strings);
  hbuf_free(&h->message);
  hbuf_free(&h->debug);
  mem_free(h);
}

void wapc_host_free(wapc_host *h) {
  if (!h) return;
  if (h->busy) {
    h->free_pending = true;
    return;
  }
  host_destroy(h);
}

wapc_status wapc_host_interrupt(wapc_host *h) {
  /* Only fields fixed at creation are read here: another thread may be inside a call. */
  if (!h) return WAPC_ERR_MISUSE;
  if (!h->prov.interrupt) return WAPC_ERR_PROVIDER;
  h->prov.interrupt(h->prov.self);
  return WAPC_OK;
}

/* Leave the provider; true when the host was freed meanwhile (from its callback). */
static bool leave(wapc_host *h) {
  h->busy = false;
  h->op = h->payload = empty_bytes;
  h->op_len = h->payload_len = 0;
  if (h->free_pending) {
    host_destroy(h);
    return true;
  }
  return false;
}

static void reset_call_state(wapc_host *h) {
  h->has_guest_response = false;
  h->has_guest_error = false;
  h->guest_response.len = 0;
  h->guest_error.len = 0;
  h->host_response.len = 0;
  h->host_error.len = 0;
}

static wapc_status load_or_replace(wapc_host *h, const uint8_t *module, size_t len, bool replace_only) {
  if (!h) return WAPC_ERR_MISUSE;
  if (h->busy) return fail(h, WAPC_ERR_BUSY, "the host is busy (called from its own callback)");
  clear_message(h);
  if (!module && len) return fail(h, WAPC_ERR_MISUSE, "module is NULL");
  if (!module) module = empty_bytes;
  if (replace_only && !h->loaded) return fail(h, WAPC_ERR_MISUSE, "no module is loaded to replace");
  reset_call_state(h);
  h->busy = true;
  wapc_status st;
  if (h->loaded)
    st = h->prov.replace(h->prov.self, module, len);
  else
    st = h->prov.init(h->prov.self, &h->engine, module, len);
  if (leave(h)) return st;
  if (st == WAPC_OK) {
    h->loaded = true;
    clear_message(h);
  } else {
    ensure_message(h, st);
  }
  reset_call_state(h);
  return st;
}

wapc_status wapc_host_load(wapc_host *h, const uint8_t *module, size_t len) {
  return load_or_replace(h, module, len, false);
}

wapc_status wapc_host_replace_module(wapc_host *h, const uint8_t *module, size_t len) {
  return load_or_replace(h, module, len, true);
}

/* Turn the message into "trap: <text>" (the provider gives the bare spec wording). */
static void prefix_trap(wapc_host *h) {
  static const char prefix[] = "trap: ";
  size_t plen = sizeof prefix - 1;
  size_t mlen = h->message.len;
  if (h->in_spare) {
    if (strncmp(h->spare, prefix, plen) != 0) {
      char text[sizeof h->spare];
      memcpy(text, h->spare, sizeof text);
      fail(h, WAPC_ERR_TRAP, "%s%s", prefix, text);
    }
    return;
  }
  if (mlen == 0) {
    fail(h, WAPC_ERR_TRAP, "trap");
    return;
  }
  if (mlen >= plen && memcmp(h->message.data, prefix, plen) == 0) return;
  if (!hbuf_reserve(&h->message, mlen + plen)) {
    char text[sizeof h->spare];
    snprintf(text, sizeof text, "%s", (const char *)h->message.data);
    fail(h, WAPC_ERR_TRAP, "%s%s", prefix, text);
    return;
  }
  memmove(h->message.data + plen, h->message.data, mlen + 1);
  memcpy(h->message.data, prefix, plen);
  h->message.len = mlen + plen;
}

wapc_status wapc_host_set_timing(wapc_host *h, int enabled) {
  if (!h) return WAPC_ERR_MISUSE;
  h->timing = enabled != 0;
  return WAPC_OK;
}

static void count_outcome(wapc_host_stats *s, wapc_status st) {
  switch (st) {
  case WAPC_OK: break;
  case WAPC_ERR_GUEST: s->guest_errors++; break;
  case WAPC_ERR_TRAP: s->traps++; break;
  case WAPC_ERR_DEADLINE: s->deadlines++; break;
  case WAPC_ERR_INTERRUPTED: s->interrupts++; break;
  case WAPC_ERR_LIMIT: s->limits++; break;
  default: s->other_failures++; break;
  }
}

wapc_status wapc_host_stats_get(const wapc_host *h, wapc_host_stats *out) {
  if (!h || !out) return WAPC_ERR_MISUSE;
  *out = h->stats;
  return WAPC_OK;
}

void *wapc_result_context(const wapc_result *r) {
  return r && r->active ? r->host->call_context : NULL;
}

/* What a call that left the provider with `st` (and the guest's return value) answers. */
static inline wapc_status finish_call(wapc_host *h, wapc_status st, int32_t ret, const uint8_t **response,
                                      size_t *response_len) {
  if (st != WAPC_OK) {
    if (st == WAPC_ERR_TRAP)
      prefix_trap(h);
    else
      ensure_message(h, st);
    return st;
  }
  if (ret == 0) {
    /* wapc-rs: a failure carries the guest error, else a fixed text. */
    if (h->has_guest_error) {
      if (!hbuf_set(&h->message, hbuf_bytes(&h->guest_error), h->guest_error.len))
        return fail(h, WAPC_ERR_NOMEM, "out of memory");
      return WAPC_ERR_GUEST;
    }
    return fail(h, WAPC_ERR_GUEST, "No error message set for call failure");
  }
  if (h->has_guest_response) {
    clear_message(h);
    if (response) *response = hbuf_bytes(&h->guest_response);
    if (response_len) *response_len = h->guest_response.len;
    return WAPC_OK;
  }
  if (h->has_guest_error) {
    if (!hbuf_set(&h->message, hbuf_bytes(&h->guest_error), h->guest_error.len))
      return fail(h, WAPC_ERR_NOMEM, "out of memory");
    return WAPC_ERR_GUEST;
  }
  return fail(h, WAPC_ERR_GUEST, "No error message OR response set for call success");
}

static inline wapc_status call_impl(wapc_host *h, void *context, const char *op, size_t op_len,
                                    const uint8_t *payload, size_t len, const uint8_t **response,
                                    size_t *response_len) {
  if (response) *response = NULL;
  if (response_len) *response_len = 0;
  if (!h) return WAPC_ERR_MISUSE;
  if (h->busy) return fail(h, WAPC_ERR_BUSY, "the host is busy (called from its own callback)");
  if ((!op && op_len) || (!payload && len)) return fail(h, WAPC_ERR_MISUSE, "NULL operation or payload");
  if (op_len > UINT32_MAX || len > UINT32_MAX)
    return fail(h, WAPC_ERR_MISUSE, "operation or payload longer than 4 GiB");
  if (!h->loaded) return fail(h, WAPC_ERR_MISUSE, "no module is loaded");

  clear_message(h);
  reset_call_state(h);
  h->op = op_len ? (const uint8_t *)op : empty_bytes;
  h->op_len = op_len;
  h->payload = len ? payload : empty_bytes;
  h->payload_len = len;
  h->busy = true;
  h->call_context = context;
  int32_t ret = 0;
  uint64_t t0 = 0, in_host = h->stats.host_call_ns;
  if (h->timing) t0 = clock_mono_ns();
  wapc_status st = h->prov.call(h->prov.self, (uint32_t)op_len, (uint32_t)len, &ret);
  if (h->timing) {
    /* The call's time less what its host calls spent in the callback. */
    uint64_t spent = clock_mono_ns() - t0, host = h->stats.host_call_ns - in_host;
    h->stats.guest_ns += spent > host ? spent - host : 0;
  }
  h->call_context = NULL;
  h->stats.calls++;
  if (leave(h)) return st == WAPC_OK ? WAPC_ERR_MISUSE : st;
  st = finish_call(h, st, ret, response, response_len);
  count_outcome(&h->stats, st);
  return st;
}

wapc_status wapc_host_call(wapc_host *h, const char *op, size_t op_len, const uint8_t *payload, size_t len,
                           const uint8_t **response, size_t *response_len) {
  return call_impl(h, NULL, op, op_len, payload, len, response, response_len);
}

wapc_status wapc_host_call_with_context(wapc_host *h, void *context, const char *op, size_t op_len,
                                        const uint8_t *payload, size_t len, const uint8_t **response,
                                        size_t *response_len) {
  return call_impl(h, context, op, op_len, payload, len, response, response_len);
}

const char *wapc_host_last_error(const wapc_host *h) {
  if (!h) return "invalid host";
  if (h->in_spare) return h->spare;
  return h->message.data ? (const char *)h->message.data : "";
}

size_t wapc_host_last_error_len(const wapc_host *h) {
  if (!h) return strlen("invalid host");
  if (h->in_spare) return strlen(h->spare);
  return h->message.len;
}

uint64_t wapc_host_id(const wapc_host *h) {
  return h ? h->id : 0;
}

const char *wapc_host_engine_name(const wapc_host *h) {
  return h ? h->prov.name : "";
}

const char *wapc_host_debug(wapc_host *h) {
  if (!h) return "WapcHost { invalid }";
  char module[512];
  if (!h->loaded)
    snprintf(module, sizeof module, "none");
  else if (h->prov.describe)
    h->prov.describe(h->prov.self, module, sizeof module);
  else
    snprintf(module, sizeof module, "loaded");
  int n = snprintf(NULL, 0, "WapcHost { id: %" PRIu64 ", engine: \"%s\", module: { %s } }", h->id,
                   h->prov.name, module);
  if (n < 0 || !hbuf_reserve(&h->debug, (size_t)n)) return "WapcHost { out of memory }";
  snprintf((char *)h->debug.data, (size_t)n + 1,
           "WapcHost { id: %" PRIu64 ", engine: \"%s\", module: { %s } }", h->id, h->prov.name, module);
  h->debug.len = (size_t)n;
  return (const char *)h->debug.data;
}

/* ---- host callback results ---------------------------------------------------------- */

wapc_status wapc_result_set_bytes(wapc_result *r, const void *bytes, size_t len) {
  if (!r || !r->active || (!bytes && len)) return WAPC_ERR_MISUSE;
  wapc_host *h = r->host;
  h->host_error.len = 0;
  if (!hbuf_set(&h->host_response, bytes, len)) {
    h->host_response.len = 0;
    r->nomem = true;
    return WAPC_ERR_NOMEM;
  }
  r->failed = false;
  r->nomem = false;
  return WAPC_OK;
}

wapc_status wapc_result_set_error_bytes(wapc_result *r, const void *message, size_t len) {
  if (!r || !r->active || (!message && len)) return WAPC_ERR_MISUSE;
  wapc_host *h = r->host;
  h->host_response.len = 0;
  r->failed = true;
  if (!hbuf_set(&h->host_error, message, len)) {
    h->host_error.len = 0;
    r->nomem = true;
    return WAPC_ERR_NOMEM;
  }
  r->nomem = false;
  return WAPC_OK;
}

wapc_status wapc_result_set_error(wapc_result *r, const char *message) {
  if (!message) return WAPC_ERR_MISUSE;
  return wapc_result_set_error_bytes(r, message, strlen(message));
}

/* ---- provider accessors ------------------------------------------------------------- */

uint64_t wapc_engine_host_id(const wapc_engine_host *e) {
  return e ? e->host->id : 0;
}

void wapc_engine_request(const wapc_engine_host *e, const uint8_t **op, size_t *op_len,
                         const uint8_t **payload, size_t *payload_len) {
  const wapc_host *h = e ? e->host : NULL;
  if (op) *op = h ? h->op : empty_bytes;
  if (op_len) *op_len = h ? h->op_len : 0;
  if (payload) *payload = h ? h->payload : empty_bytes;
  if (payload_len) *payload_len = h ? h->payload_len : 0;
}

wapc_status wapc_engine_set_guest_response(wapc_engine_host *e, const uint8_t *bytes, size_t len) {
  if (!e || (!bytes && len)) return WAPC_ERR_MISUSE;
  wapc_host *h = e->host;
  if (!hbuf_set(&h->guest_response, bytes, len)) return WAPC_ERR_NOMEM;
  h->has_guest_response = true;
  return WAPC_OK;
}

wapc_status wapc_engine_set_guest_error(wapc_engine_host *e, const uint8_t *bytes, size_t len) {
  if (!e || (!bytes && len)) return WAPC_ERR_MISUSE;
  wapc_host *h = e->host;
  if (!hbuf_set(&h->guest_error, bytes, len)) return WAPC_ERR_NOMEM;
  h->has_guest_error = true;
  return WAPC_OK;
}

static void put_str(uint8_t *dst, size_t *at, const uint8_t *src, size_t len, wapc_str *out) {
  if (len) memcpy(dst + *at, src, len);
  dst[*at + len] = 0;
  out->data = (const char *)dst + *at;
  out->len = len;
  *at += len + 1;
}

wapc_status wapc_engine_host_call(wapc_engine_host *e, const uint8_t *binding, size_t binding_len,
                                  const uint8_t *ns, size_t ns_len, const uint8_t *op, size_t op_len,
                                  const uint8_t *payload, size_t payload_len) {
  if (!e || (!binding && binding_len) || (!ns && ns_len) || (!op && op_len) || (!payload && payload_len))
    return WAPC_ERR_MISUSE;
  wapc_host *h = e->host;
  h->host_response.len = 0;
  h->host_error.len = 0;
  if (!h->callback) {
    hbuf_set(&h->host_error, LIT("no host callback is configured"));
    return WAPC_ERR_HOST_CALLBACK;
  }
  if (binding_len > SIZE_MAX / 4 || ns_len > SIZE_MAX / 4 || op_len > SIZE_MAX / 4 ||
      !hbuf_reserve(&h->strings, binding_len + ns_len + op_len + 3))
    return WAPC_ERR_NOMEM;
  wapc_str bd, nsp, opn;
  size_t at = 0;
  put_str(h->strings.data, &at, binding, binding_len, &bd);
  put_str(h->strings.data, &at, ns, ns_len, &nsp);
  put_str(h->strings.data, &at, op, op_len, &opn);

  h->result.active = true;
  h->result.failed = false;
  h->result.nomem = false;
  uint64_t t0 = h->timing ? clock_mono_ns() : 0;
  h->callback(h->callback_user, h->id, bd, nsp, opn, payload_len ? payload : empty_bytes, payload_len,
              &h->result);
  if (h->timing) h->stats.host_call_ns += clock_mono_ns() - t0;
  h->result.active = false;
  h->stats.host_calls++;
  if (h->result.nomem || h->result.failed) h->stats.host_call_failures++;
  if (h->result.nomem) return WAPC_ERR_NOMEM;
  return h->result.failed ? WAPC_ERR_HOST_CALLBACK : WAPC_OK;
}

void wapc_engine_host_response(const wapc_engine_host *e, const uint8_t **bytes, size_t *len) {
  if (bytes) *bytes = e ? hbuf_bytes(&e->host->host_response) : empty_bytes;
  if (len) *len = e ? e->host->host_response.len : 0;
}

void wapc_engine_host_error(const wapc_engine_host *e, const uint8_t **bytes, size_t *len) {
  if (bytes) *bytes = e ? hbuf_bytes(&e->host->host_error) : empty_bytes;
  if (len) *len = e ? e->host->host_error.len : 0;
}

static void default_log(uint64_t id, const char *message, size_t len) {
  flockfile(stderr);
  fprintf(stderr, "[host %" PRIu64 "] ", id);
  fwrite(message, 1, len, stderr);
  fputc('\n', stderr);
  funlockfile(stderr);
}

void wapc_engine_console_log(wapc_engine_host *e, const uint8_t *message, size_t len) {
  if (!e || (!message && len)) return;
  wapc_host *h = e->host;
  const char *m = len ? (const char *)message : "";
  if (h->log)
    h->log(h->log_user, h->id, m, len);
  else
    default_log(h->id, m, len);
}

wapc_status wapc_engine_set_message(wapc_engine_host *e, wapc_status status, const char *fmt, ...) {
  if (!e || !fmt) return status;
  va_list ap;
  va_start(ap, fmt);
  set_message_v(e->host, fmt, ap);
  va_end(ap);
  return status;
}
