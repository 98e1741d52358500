/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtin.c - the built-in engine provider: runs waPC guests on libwapc's own
 * WebAssembly engine through src/vm/vm.h only.  It owns compiled modules
 * (wapc_module: the engine's module, its imports resolved by name and checked
 * by type once, and a vm_pool of stacks and memories its instances reuse;
 * shared by every host made from it, reference counted) and the store each
 * host's guest lives in; it links the nine "wapc" imports (any subset), runs
 * the initialisation sequence, implements the imports with bounds-checked
 * copies between guest memory and the host's state (wapc_engine.h), and does
 * hot swap by building the new module's store completely before dropping the
 * old one.
 *
 * WASI preview1 imports ("wasi_snapshot_preview1", "wasi_unstable") are
 * linked next to the "wapc" ones from src/wasi: the configuration is made
 * once per provider and kept across hot swaps; every instance gets its own
 * WASI context (fd table).  proc_exit unwinds with VM_TRAP_EXIT: in `_start`
 * code 0 is a success and any other code an init failure; during a call it
 * is a trap.  wapc_wasi_run() runs a WASI command (no waPC exports needed) on
 * the same machinery with no host.
 *
 * After a trap the guest's own state (its shadow stack, allocator) may be
 * corrupt, so the next call first re-instantiates the module from the
 * compiled code (reset_after_trap); a deadline, an interruption or an
 * exceeded limit counts as a trap.
 *
 * Guardrails: the call timeout and fuel are the store's vm_config; the
 * initialisation runs under its own deadline.  wapc_host_interrupt comes from
 * any thread, while hot swap and reset replace the store on the calling
 * thread, so the request is one vm_interrupt of the provider (`interrupt`)
 * that every store it creates polls in place of its own
 * (vm_store_share_interrupt): the interrupting thread never touches a store,
 * needs no lock, and a request made while nothing runs stays set for the next
 * run.  The engine sees a request at its interruption points, in every wait
 * (vm_store_wait) and whenever a host function returns into the guest;
 * __guest_request checks it on entry, so a waPC call is stopped even when it
 * is too short to reach one.  The end of a run consumes the request, however
 * the run ends.  Size caps are checked in the imports before anything is
 * copied, so an over-size request never reaches an allocator; such a refusal
 * and an allocation failure are traps of their own kinds (VM_TRAP_LIMIT,
 * VM_TRAP_NOMEM), mapped to a status in one place (stop_status).
 */
#include "wapc_engine.h"
#include "util/mem.h"
#include "vm/vm.h"
#include "wasi/wasi.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One loaded guest: the module must outlive its store. */
typedef struct guest {
  wapc_module *mod; /* a reference (the module must outlive the store) */
  vm_store *store;
  vm_instance *inst;
  vm_func *guest_call;
  wasi_ctx *wasi; /* this instance's WASI state */
} guest;

typedef struct builtin {
  wapc_builtin_options opts;
  vm_config cfg;
  wapc_engine_host *host;
  guest cur;
  bool poisoned; /* the last call trapped: re-instantiate before the next */
  wasi_config *wasi;
  bool command;  /* wapc_wasi_run: no host, WASI imports only, no waPC exports */
  char msg[512]; /* messages when there is no host (wapc_wasi_run) */
  uint64_t init_timeout_ns;
  wapc_module *preload;   /* wapc_host_new_builtin_module: the module the first init instantiates */
  uint64_t log_truncated; /* __console_log lines cut to max_log_line (debug line) */

  /* Interruption: set by any thread, polled by every store of this provider
   * and the imports, cleared at the end of each run. */
  vm_interrupt interrupt;
} builtin;

/* Set the failure message (on the host, or in b->msg without one); returns `st`. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static wapc_status
fail(builtin *b, wapc_status st, const char *fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (b->host)
    wapc_engine_set_message(b->host, st, "%s", text);
  else
    snprintf(b->msg, sizeof b->msg, "%s", text);
  return st;
}

/* ---- the nine imports --------------------------------------------------------- */

/* The guest's bytes [ptr, ptr+len) (ptr and len are u32, the range math is
 * 64-bit), or NULL when they are not all inside its memory. */
static uint8_t *guest_bytes(vm_instance *caller, uint32_t ptr, uint64_t len) {
  return caller ? vm_instance_memory_range(caller, ptr, len) : NULL;
}

#define ARG(i) ((uint32_t)args[i])

static vm_result oom(vm_store *s) {
  return vm_store_trap(s, VM_TRAP_NOMEM);
}

static vm_result oob(vm_store *s) {
  return vm_store_trap(s, VM_TRAP_MEMORY_OOB);
}

/* A size cap refused a guest request: a trap that the call reports as WAPC_ERR_LIMIT. */
static vm_result too_large(vm_store *s, const char *what, uint64_t len, uint32_t limit) {
  return vm_store_trap_as(s, VM_TRAP_LIMIT, "%s of %" PRIu64 " bytes exceeds the limit of %" PRIu32 " bytes",
                          what, len, limit);
}

/* A request from wapc_host_interrupt, seen by an import: stop the guest here. */
static bool interrupt_pending(builtin *b) {
  return vm_interrupt_raised(&b->interrupt);
}

static vm_result imp_guest_request(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  if (interrupt_pending(b)) return vm_store_trap(s, VM_TRAP_INTERRUPTED);
  const uint8_t *op, *payload;
  size_t op_len, payload_len;
  wapc_engine_request(b->host, &op, &op_len, &payload, &payload_len);
  /* Check both ranges before writing anything: no partial writes. */
  uint8_t *payload_at = guest_bytes(caller, ARG(1), payload_len);
  uint8_t *op_at = guest_bytes(caller, ARG(0), op_len);
  if (!payload_at || !op_at) return oob(s);
  /* The payload's one copy in. */
  if (payload_len) memcpy(payload_at, payload, payload_len);
  if (op_len) memcpy(op_at, op, op_len);
  return VM_OK;
}

static vm_result imp_guest_response(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  const uint8_t *p = guest_bytes(caller, ARG(0), ARG(1));
  if (!p) return oob(s);
  if (ARG(1) > b->opts.max_response) return too_large(s, "guest response", ARG(1), b->opts.max_response);
  /* The response's one copy out (the host keeps it until the next call). */
  if (wapc_engine_set_guest_response(b->host, p, ARG(1)) != WAPC_OK) return oom(s);
  return VM_OK;
}

static vm_result imp_guest_error(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  const uint8_t *p = guest_bytes(caller, ARG(0), ARG(1));
  if (!p) return oob(s);
  if (ARG(1) > b->opts.max_response) return too_large(s, "guest error", ARG(1), b->opts.max_response);
  if (wapc_engine_set_guest_error(b->host, p, ARG(1)) != WAPC_OK) return oom(s);
  return VM_OK;
}

static vm_result imp_host_call(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  const uint8_t *bd = guest_bytes(caller, ARG(0), ARG(1));
  const uint8_t *ns = guest_bytes(caller, ARG(2), ARG(3));
  const uint8_t *op = guest_bytes(caller, ARG(4), ARG(5));
  const uint8_t *payload = guest_bytes(caller, ARG(6), ARG(7));
  if (!bd || !ns || !op || !payload) return oob(s);
  uint32_t cap = b->opts.max_host_call;
  if (ARG(7) > cap) return too_large(s, "host call payload", ARG(7), cap);
  /* The three names are copied by the host: they share the cap. */
  uint64_t names = (uint64_t)ARG(1) + ARG(3) + ARG(5);
  if (names > cap) return too_large(s, "host call binding, namespace and operation", names, cap);
  /* The payload goes to the callback straight from guest memory (the guest cannot run meanwhile). */
  /* A stop that comes while the callback runs takes effect when it returns (vm_call_host). */
  wapc_status st = wapc_engine_host_call(b->host, bd, ARG(1), ns, ARG(3), op, ARG(5), payload, ARG(7));
  if (st == WAPC_ERR_NOMEM) return oom(s);
  args[0] = st == WAPC_OK ? 1 : 0;
  return VM_OK;
}

static uint64_t clamp_len(size_t len) {
  return len > UINT32_MAX ? UINT32_MAX : (uint64_t)len;
}

/* len bytes into guest memory at `at`, all or nothing (out of bounds traps). */
static vm_result copy_to_guest(vm_store *s, vm_instance *caller, uint32_t at, const uint8_t *bytes,
                               size_t len) {
  uint8_t *to = guest_bytes(caller, at, len);
  if (!to) return oob(s);
  if (len) memcpy(to, bytes, len);
  return VM_OK;
}

static vm_result imp_host_response_len(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  size_t len;
  wapc_engine_host_response(b->host, NULL, &len);
  args[0] = clamp_len(len);
  return VM_OK;
}

static vm_result imp_host_response(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  const uint8_t *bytes;
  size_t len;
  wapc_engine_host_response(b->host, &bytes, &len);
  return copy_to_guest(s, caller, ARG(0), bytes, len);
}

static vm_result imp_host_error_len(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  size_t len;
  wapc_engine_host_error(b->host, NULL, &len);
  args[0] = clamp_len(len);
  return VM_OK;
}

static vm_result imp_host_error(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  const uint8_t *bytes;
  size_t len;
  wapc_engine_host_error(b->host, &bytes, &len);
  return copy_to_guest(s, caller, ARG(0), bytes, len);
}

/* A line over max_log_line: its first bytes and a marker, within the cap. */
static void log_truncated(builtin *b, const uint8_t *p, uint32_t len) {
  char mark[96];
  int n = snprintf(mark, sizeof mark, " [log line truncated: %" PRIu32 " bytes, limit %" PRIu32 "]", len,
                   b->opts.max_log_line);
  size_t mlen = n > 0 ? (size_t)n : 0;
  size_t keep = b->opts.max_log_line > mlen ? b->opts.max_log_line - mlen : 0;
  b->log_truncated++;
  uint8_t *line = mem_malloc(keep + mlen);
  if (!line) {
    /* No room for the marker: the kept bytes alone, still counted. */
    wapc_engine_console_log(b->host, p, keep);
    return;
  }
  memcpy(line, p, keep);
  memcpy(line + keep, mark, mlen);
  wapc_engine_console_log(b->host, line, keep + mlen);
  mem_free(line);
}

/* Logging never changes the guest's result: a line over the cap is cut, marked and counted. */
static vm_result imp_console_log(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  const uint8_t *p = guest_bytes(caller, ARG(0), ARG(1));
  if (!p) return oob(s);
  if (ARG(1) > b->opts.max_log_line)
    log_truncated(b, p, ARG(1));
  else
    wapc_engine_console_log(b->host, p, ARG(1));
  return VM_OK;
}

#undef ARG

/* Signatures as parameter and result counts: every wapc type is i32. */
static const uint8_t i32s[9] = {VM_I32, VM_I32, VM_I32, VM_I32, VM_I32, VM_I32, VM_I32, VM_I32, VM_I32};

typedef struct wapc_import {
  const char *name;
  uint32_t nparams, nresults;
  vm_host_fn fn;
} wapc_import;

static const wapc_import wapc_imports[] = {
    {"__guest_request", 2, 0, imp_guest_request},
    {"__guest_response", 2, 0, imp_guest_response},
    {"__guest_error", 2, 0, imp_guest_error},
    {"__host_call", 8, 1, imp_host_call},
    {"__host_response_len", 0, 1, imp_host_response_len},
    {"__host_response", 1, 0, imp_host_response},
    {"__host_error_len", 0, 1, imp_host_error_len},
    {"__host_error", 1, 0, imp_host_error},
    {"__console_log", 2, 0, imp_console_log},
};
#define NUM_WAPC_IMPORTS (sizeof wapc_imports / sizeof wapc_imports[0])

static vm_functype import_type(const wapc_import *imp) {
  vm_functype t = {imp->nparams, imp->nresults, i32s};
  return t;
}

/* ---- messages -------------------------------------------------------------------- */

static const char *valtype_name(uint8_t t) {
  switch (t) {
  case VM_I32: return "i32";
  case VM_I64: return "i64";
  case VM_F32: return "f32";
  case VM_F64: return "f64";
  case VM_V128: return "v128";
  case VM_FUNCREF: return "funcref";
  case VM_EXTERNREF: return "externref";
  default: return "?";
  }
}

/* "(i32, i32) -> i32" into buf. */
static void format_functype(const vm_functype *t, char *buf, size_t len) {
  size_t at = 0;
  if (len == 0) return;
  buf[0] = 0;
#define PUT(...)                                                                                             \
  do {                                                                                                       \
    if (at < len) {                                                                                          \
      int n_ = snprintf(buf + at, len - at, __VA_ARGS__);                                                    \
      if (n_ > 0) at += (size_t)n_;                                                                          \
    }                                                                                                        \
  } while (0)
  PUT("(");
  for (uint32_t i = 0; i < t->nparams; i++)
    PUT("%s%s", i ? ", " : "", valtype_name(t->types[i]));
  PUT(") -> ");
  if (t->nresults == 1) {
    PUT("%s", valtype_name(t->types[t->nparams]));
  } else {
    PUT("(");
    for (uint32_t i = 0; i < t->nresults; i++)
      PUT("%s%s", i ? ", " : "", valtype_name(t->types[t->nparams + i]));
    PUT(")");
  }
#undef PUT
}

static const char *kind_name(uint8_t kind) {
  switch (kind) {
  case VM_EXTERN_FUNC: return "func";
  case VM_EXTERN_TABLE: return "table";
  case VM_EXTERN_MEMORY: return "memory";
  case VM_EXTERN_GLOBAL: return "global";
  default: return "unknown";
  }
}

/* The one mapping from an engine stop that is not the guest's fault (a
 * guardrail, a size cap, an allocation failure) to its waPC status; WAPC_OK
 * for anything else (a trap of the guest's own, a load error). */
static wapc_status stop_status(const vm_error *e) {
  if (e->result != VM_ERR_TRAP) return WAPC_OK;
  switch (e->trap) {
  case VM_TRAP_DEADLINE: return WAPC_ERR_DEADLINE;
  case VM_TRAP_INTERRUPTED: return WAPC_ERR_INTERRUPTED;
  case VM_TRAP_FUEL:
  case VM_TRAP_LIMIT: return WAPC_ERR_LIMIT;
  case VM_TRAP_NOMEM: return WAPC_ERR_NOMEM;
  default: return WAPC_OK;
  }
}

static const char *error_text(const vm_error *e) {
  return e->message[0] ? e->message : vm_trap_message(e->trap);
}

/* ---- interruption ------------------------------------------------------------------ */

/* The end of a run (a call, or an initialisation sequence) consumes the
 * request, whether it stopped the run or came too late to. */
static void run_ended(builtin *b) {
  vm_interrupt_clear(&b->interrupt);
}

static void builtin_interrupt(void *self) {
  builtin *b = self;
  vm_interrupt_raise(&b->interrupt);
}

/* Engine failures as waPC statuses, with the engine's message. */
static wapc_status from_vm_error(builtin *b, const vm_error *e, const char *context) {
  char text[320];
  wapc_status gst = stop_status(e);
  if (gst != WAPC_OK) return fail(b, gst, "%s failed: %s", context, error_text(e));
  vm_error_format(e, text, sizeof text);
  switch (e->result) {
  case VM_ERR_MALFORMED: return fail(b, WAPC_ERR_MALFORMED, "%s", text);
  case VM_ERR_INVALID: return fail(b, WAPC_ERR_INVALID, "%s", text);
  case VM_ERR_LINK: return fail(b, WAPC_ERR_LINK, "%s", text);
  case VM_ERR_NOMEM: return fail(b, WAPC_ERR_NOMEM, "%s", text);
  case VM_ERR_LIMIT: return fail(b, WAPC_ERR_LIMIT, "%s", text);
  case VM_ERR_TRAP:
    return fail(b, WAPC_ERR_INIT, "%s failed: trap: %s", context,
                e->message[0] ? e->message : vm_trap_message(e->trap));
  default: return fail(b, WAPC_ERR_PROVIDER, "%s", text);
  }
}

/* ---- compiled modules --------------------------------------------------------------- */

static const uint8_t empty_module[1] = {0};

/* How one import is bound, resolved once when the module is compiled. */
typedef struct link_entry {
  vm_functype type; /* static storage (wapc_imports / WASI) */
  vm_host_fn fn;
  uint8_t wapc; /* index in wapc_imports; NUM_WAPC_IMPORTS for a WASI function */
} link_entry;

/* A compiled guest module (public as wapc_module): immutable once built, shared by
 * the hosts instantiated from it, freed with its last reference. */
struct wapc_module {
  atomic_size_t refs;
  vm_module *vm;
  bool command; /* compiled for wapc_wasi_run: WASI imports only */
  uint32_t nimports;
  link_entry *links; /* nimports entries */
  vm_pool *pool;     /* stacks and memories its freed instances leave to the next ones */
};

static wapc_module *module_retain(wapc_module *m) {
  atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
  return m;
}

static void module_release(wapc_module *m) {
  if (!m || atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1) return;
  vm_module_free(m->vm);
  vm_pool_free(m->pool); /* after every store: each store holds a module reference */
  mem_free(m->links);
  mem_free(m);
}

/* Format a message into `buf` (`len` > 0); returns `st`. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static wapc_status
msgf(char *buf, size_t len, wapc_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, len, fmt, ap);
  va_end(ap);
  return st;
}

/* A constructor's message buffer (wapc.h, Conventions): cleared; its usable length (0 without one, so
 * that every later write is an snprintf into at most 0 bytes). */
static size_t caller_message(char *message, size_t message_len) {
  if (!message) return 0;
  if (message_len) message[0] = 0;
  return message_len;
}

static bool name_is(const char *s, size_t len, const char *lit) {
  return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/* The link error for an import whose type does not match what the host provides. */
static wapc_status type_mismatch(char *msg, size_t msglen, const vm_import_desc *d, const vm_functype *want) {
  char want_s[160], got_s[256];
  format_functype(want, want_s, sizeof want_s);
  if (d->kind == VM_EXTERN_FUNC)
    format_functype(d->type.func, got_s, sizeof got_s);
  else
    snprintf(got_s, sizeof got_s, "%s", kind_name(d->kind));
  return msgf(msg, msglen, WAPC_ERR_LINK,
              "incompatible import type for \"%.*s\".\"%.*s\": expected func %s, got %s%s",
              (int)d->module_len, d->module, (int)d->name_len, d->name, want_s,
              d->kind == VM_EXTERN_FUNC ? "func " : "", got_s);
}

/*
 * Resolve every import of m->vm to a "wapc" host function or a WASI function
 * (a command gets WASI only), checking names and types once for all the
 * instances to come.
 */
static wapc_status resolve_imports(wapc_module *m, char *msg, size_t msglen) {
  uint32_t n = vm_module_num_imports(m->vm);
  m->links = mem_calloc(n ? n : 1, sizeof *m->links);
  if (!m->links) return msgf(msg, msglen, WAPC_ERR_NOMEM, "out of memory");
  m->nimports = n;
  for (uint32_t i = 0; i < n; i++) {
    vm_import_desc d;
    vm_module_import(m->vm, i, &d);
    link_entry *l = &m->links[i];
    if (wasi_import(d.module, d.module_len, d.name, d.name_len, &l->type, &l->fn)) {
      if (d.kind != VM_EXTERN_FUNC || !vm_functype_equal(d.type.func, &l->type))
        return type_mismatch(msg, msglen, &d, &l->type);
      l->wapc = NUM_WAPC_IMPORTS;
      continue;
    }
    size_t k = NUM_WAPC_IMPORTS;
    if (!m->command && name_is(d.module, d.module_len, "wapc"))
      for (k = 0; k < NUM_WAPC_IMPORTS; k++)
        if (name_is(d.name, d.name_len, wapc_imports[k].name)) break;
    if (k == NUM_WAPC_IMPORTS)
      return msgf(msg, msglen, WAPC_ERR_LINK, "unknown import \"%.*s\".\"%.*s\"", (int)d.module_len, d.module,
                  (int)d.name_len, d.name);
    l->type = import_type(&wapc_imports[k]);
    if (d.kind != VM_EXTERN_FUNC || !vm_functype_equal(d.type.func, &l->type))
      return type_mismatch(msg, msglen, &d, &l->type);
    l->fn = wapc_imports[k].fn;
    l->wapc = (uint8_t)k;
  }
  return WAPC_OK;
}

/* Find an export of `kind` by name; its index in *index when found. */
static bool find_export(const vm_module *m, const char *name, uint8_t kind, uint32_t *index) {
  uint32_t n = vm_module_num_exports(m);
  for (uint32_t i = 0; i < n; i++) {
    vm_export_desc d;
    vm_module_export(m, i, &d);
    if (d.kind == kind && name_is(d.name, d.name_len, name)) {
      if (index) *index = d.index;
      return true;
    }
  }
  return false;
}

static bool module_exports(const vm_module *m, const char *name, uint8_t kind) {
  return find_export(m, name, kind, NULL);
}

static const uint8_t guest_call_types[3] = {VM_I32, VM_I32, VM_I32};
static const vm_functype guest_call_type = {2, 1, guest_call_types};

/* `__guest_call` must exist with type (i32, i32) -> i32: checked on the module, before anything runs. */
static wapc_status check_guest_call(const vm_module *m, char *msg, size_t msglen) {
  uint32_t index;
  if (!find_export(m, "__guest_call", VM_EXTERN_FUNC, &index))
    return msgf(msg, msglen, WAPC_ERR_LINK, "module does not export function \"__guest_call\"");
  const vm_functype *t = vm_module_func_type(m, index);
  if (!t || !vm_functype_equal(t, &guest_call_type)) {
    char got[256] = "?";
    if (t) format_functype(t, got, sizeof got);
    return msgf(msg, msglen, WAPC_ERR_LINK, "export \"__guest_call\" has type %s, expected (i32, i32) -> i32",
                got);
  }
  return WAPC_OK;
}

/* A load error of the engine as a waPC status, with the engine's message. */
static wapc_status load_error(const vm_error *e, char *msg, size_t msglen) {
  char text[320];
  vm_error_format(e, text, sizeof text);
  wapc_status st;
  switch (e->result) {
  case VM_ERR_MALFORMED: st = WAPC_ERR_MALFORMED; break;
  case VM_ERR_INVALID: st = WAPC_ERR_INVALID; break;
  case VM_ERR_LINK: st = WAPC_ERR_LINK; break;
  case VM_ERR_NOMEM: st = WAPC_ERR_NOMEM; break;
  case VM_ERR_LIMIT: st = WAPC_ERR_LIMIT; break;
  default: st = WAPC_ERR_PROVIDER; break;
  }
  return msgf(msg, msglen, st, "%s", text);
}

/*
 * Decode, validate and compile `bytes`, check the exports a waPC guest (or a
 * WASI command) needs, and resolve its imports: everything about a module
 * that does not depend on an instance.
 */
static wapc_status module_compile(const vm_config *cfg, bool command, const uint8_t *bytes, size_t len,
                                  wapc_module **out, char *msg, size_t msglen) {
  *out = NULL;
  wapc_module *m = mem_calloc(1, sizeof *m);
  if (!m) return msgf(msg, msglen, WAPC_ERR_NOMEM, "out of memory");
  atomic_init(&m->refs, 1);
  m->command = command;
  vm_error err;
  vm_error_clear(&err);
  m->vm = vm_module_load(bytes, len, cfg, &err);
  m->pool = vm_pool_new();
  wapc_status st = WAPC_OK;
  if (!m->pool) {
    st = msgf(msg, msglen, WAPC_ERR_NOMEM, "out of memory");
  } else if (!m->vm) {
    st = load_error(&err, msg, msglen);
  } else if (command) {
    if (!module_exports(m->vm, "_start", VM_EXTERN_FUNC))
      st = msgf(msg, msglen, WAPC_ERR_LINK, "module does not export function \"_start\"");
  } else {
    /* The required exports are checked before anything runs (the start section included). */
    st = check_guest_call(m->vm, msg, msglen);
    if (st == WAPC_OK && !module_exports(m->vm, "memory", VM_EXTERN_MEMORY))
      st = msgf(msg, msglen, WAPC_ERR_LINK, "module does not export memory \"memory\"");
  }
  if (st == WAPC_OK) st = resolve_imports(m, msg, msglen);
  if (st != WAPC_OK) {
    module_release(m);
    return st;
  }
  *out = m;
  return WAPC_OK;
}

/* ---- instances: linking, initialising ------------------------------------------------ */

static void guest_free(guest *g) {
  vm_store_free(g->store); /* before the module: the module must outlive its store */
  wasi_ctx_free(g->wasi);
  module_release(g->mod);
  memset(g, 0, sizeof *g);
}

/* Imports of most guests fit here; more take one allocation. */
#define LOCAL_EXTERNS 32

/* Bind g->mod's imports to host functions in g->store: one per "wapc" name
 * (its user data is the provider), one per WASI import (user data g->wasi). */
static wapc_status link_imports(builtin *b, guest *g, vm_extern *ext) {
  const wapc_module *m = g->mod;
  vm_func *made[NUM_WAPC_IMPORTS] = {0};
  for (uint32_t i = 0; i < m->nimports; i++) {
    const link_entry *l = &m->links[i];
    vm_func *f;
    if (l->wapc == NUM_WAPC_IMPORTS) {
      f = vm_func_new_host(g->store, &l->type, l->fn, g->wasi);
    } else {
      if (!made[l->wapc]) made[l->wapc] = vm_func_new_host(g->store, &l->type, l->fn, b);
      f = made[l->wapc];
    }
    if (!f) return fail(b, WAPC_ERR_NOMEM, "out of memory");
    ext[i].kind = VM_EXTERN_FUNC;
    ext[i].u.func = f;
  }
  return WAPC_OK;
}

/*
 * Give the next init step what is left of the initialisation deadline
 * (`deadline` 0: none); false when nothing is left.
 */
static bool init_budget(guest *g, uint64_t deadline) {
  if (!deadline) {
    vm_store_set_timeout(g->store, 0);
    return true;
  }
  uint64_t now = vm_monotonic_ns();
  if (now >= deadline) return false;
  vm_store_set_timeout(g->store, deadline - now);
  return true;
}

/* Run an optional init export: it must be a () -> () function. */
static wapc_status run_init_export(builtin *b, guest *g, const char *name, uint64_t deadline) {
  vm_extern x;
  if (!vm_instance_export(g->inst, name, strlen(name), &x)) return WAPC_OK;
  if (!init_budget(g, deadline)) return fail(b, WAPC_ERR_DEADLINE, "%s failed: deadline exceeded", name);
  if (x.kind != VM_EXTERN_FUNC)
    return fail(b, WAPC_ERR_INIT, "export \"%s\" is a %s, expected a function", name, kind_name(x.kind));
  const vm_functype *t = vm_func_type(x.u.func);
  if (t->nparams != 0 || t->nresults != 0) {
    char got[256];
    format_functype(t, got, sizeof got);
    return fail(b, WAPC_ERR_INIT, "export \"%s\" has type %s, expected () -> ()", name, got);
  }
  uint64_t slot[1] = {0};
  wasi_clear_exit(g->wasi);
  if (vm_invoke(g->store, x.u.func, slot) != VM_OK) {
    const vm_error *e = vm_store_error(g->store);
    uint32_t code;
    if (e->result == VM_ERR_TRAP && e->trap == VM_TRAP_EXIT && wasi_exited(g->wasi, &code)) {
      wasi_clear_exit(g->wasi);
      /* A WASI command's main returning 0 (TinyGo, Rust) is how _start ends: success. */
      if (code == 0 && strcmp(name, "_start") == 0) return WAPC_OK;
      return fail(b, WAPC_ERR_INIT, "%s failed: exited with code %" PRIu32, name, code);
    }
    return from_vm_error(b, e, name);
  }
  return WAPC_OK;
}

/* Instantiate g->mod in a new store and initialise it; on failure g->store is freed. */
static wapc_status instantiate(builtin *b, guest *g) {
  uint64_t deadline = 0;
  if (b->init_timeout_ns) {
    uint64_t now = vm_monotonic_ns();
    deadline = b->init_timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + b->init_timeout_ns;
  }
  g->store = vm_store_new_pooled(&b->cfg, g->mod->pool);
  g->wasi = wasi_ctx_new(b->wasi, b->host ? wapc_engine_host_id(b->host) : 0);
  if (!g->store || !g->wasi) {
    vm_store_free(g->store);
    wasi_ctx_free(g->wasi);
    g->store = NULL;
    g->wasi = NULL;
    return fail(b, WAPC_ERR_NOMEM, "out of memory");
  }
  /* A request pending from before this run stops it at its first poll. */
  vm_store_share_interrupt(g->store, &b->interrupt);
  vm_extern local[LOCAL_EXTERNS];
  uint32_t n = g->mod->nimports;
  vm_extern *ext = n <= LOCAL_EXTERNS ? local : mem_calloc(n, sizeof *ext);
  wapc_status st = ext ? link_imports(b, g, ext) : fail(b, WAPC_ERR_NOMEM, "out of memory");
  if (st == WAPC_OK) {
    vm_error err;
    vm_error_clear(&err);
    init_budget(g, deadline); /* just computed: cannot have run out */
    g->inst = vm_instantiate(g->store, g->mod->vm, ext, n, &err);
    uint32_t code;
    if (!g->inst && err.result == VM_ERR_TRAP && err.trap == VM_TRAP_EXIT && wasi_exited(g->wasi, &code))
      st = fail(b, WAPC_ERR_INIT, "start function exited with code %" PRIu32, code);
    else if (!g->inst)
      st = from_vm_error(b, &err, "instantiation");
  }
  if (ext != local) mem_free(ext);
  if (st == WAPC_OK && !g->mod->command) {
    /* The module-level check (check_guest_call) ran at compile time. */
    vm_extern x;
    if (vm_instance_export(g->inst, "__guest_call", 12, &x) && x.kind == VM_EXTERN_FUNC)
      g->guest_call = x.u.func;
    else
      st = fail(b, WAPC_ERR_PROVIDER, "instance lost its \"__guest_call\" export");
  }
  if (!g->mod->command) {
    if (st == WAPC_OK) st = run_init_export(b, g, "_start", deadline);
    if (st == WAPC_OK) st = run_init_export(b, g, "_initialize", deadline);
    if (st == WAPC_OK) st = run_init_export(b, g, "wapc_init", deadline);
  }
  run_ended(b);
  /* Calls run under the call timeout. */
  if (g->store) vm_store_set_timeout(g->store, b->cfg.timeout_ns);
  if (st != WAPC_OK) {
    vm_store_free(g->store);
    wasi_ctx_free(g->wasi);
    g->wasi = NULL;
    g->store = NULL;
    g->inst = NULL;
    g->guest_call = NULL;
  }
  return st;
}

/* A whole new guest in *g from compiled module `m` (a new reference; all or nothing). */
static wapc_status guest_from_module(builtin *b, wapc_module *m, guest *g) {
  memset(g, 0, sizeof *g);
  g->mod = module_retain(m);
  wapc_status st = instantiate(b, g);
  if (st != WAPC_OK) guest_free(g);
  return st;
}

/* Load, link and initialise a whole new guest into *g from bytes (all or nothing). */
static wapc_status load_guest(builtin *b, const uint8_t *bytes, size_t len, guest *g) {
  memset(g, 0, sizeof *g);
  char msg[512];
  wapc_module *m;
  wapc_status st = module_compile(&b->cfg, b->command, bytes, len, &m, msg, sizeof msg);
  if (st != WAPC_OK) return fail(b, st, "%s", msg);
  st = guest_from_module(b, m, g);
  module_release(m); /* g holds its own reference */
  return st;
}

/* ---- provider functions ------------------------------------------------------------- */

static wapc_status builtin_init(void *self, wapc_engine_host *host, const uint8_t *module, size_t len) {
  builtin *b = self;
  b->host = host;
  guest g;
  wapc_status st;
  if (b->preload) {
    /* wapc_host_new_builtin_module: the first module is already compiled. */
    st = guest_from_module(b, b->preload, &g);
    module_release(b->preload);
    b->preload = NULL;
  } else {
    st = load_guest(b, module, len, &g);
  }
  if (st == WAPC_OK) {
    guest_free(&b->cur);
    b->cur = g;
    b->poisoned = false;
  }
  return st;
}

static wapc_status builtin_replace(void *self, const uint8_t *module, size_t len) {
  builtin *b = self;
  guest g;
  wapc_status st = load_guest(b, module, len, &g);
  if (st != WAPC_OK) return st; /* the old guest keeps serving */
  guest_free(&b->cur);
  b->cur = g;
  b->poisoned = false;
  return WAPC_OK;
}

/* Fresh instance of the current module after a trap. */
static wapc_status reset_instance(builtin *b) {
  guest g = b->cur;
  g.store = NULL;
  g.inst = NULL;
  g.guest_call = NULL;
  g.wasi = NULL;
  wapc_status st = instantiate(b, &g);
  if (st != WAPC_OK) return st;
  vm_store_free(b->cur.store);
  wasi_ctx_free(b->cur.wasi);
  b->cur = g;
  b->poisoned = false;
  return WAPC_OK;
}

/* The failure of a call that did not return normally. */
static wapc_status call_failed(builtin *b, vm_result r) {
  const vm_error *e = vm_store_error(b->cur.store);
  const char *text = error_text(e);
  /* Whatever stopped the call may have left the guest's state half-updated. */
  if (b->opts.reset_after_trap) b->poisoned = true;
  if (r == VM_ERR_TRAP) {
    uint32_t code;
    if (e->trap == VM_TRAP_EXIT && wasi_exited(b->cur.wasi, &code)) {
      /* proc_exit in the middle of a call: the guest is gone; the next call gets a fresh instance. */
      wasi_clear_exit(b->cur.wasi);
      b->poisoned = true;
      return fail(b, WAPC_ERR_TRAP, "exited with code %" PRIu32, code);
    }
    wapc_status gst = stop_status(e);
    return fail(b, gst != WAPC_OK ? gst : WAPC_ERR_TRAP, "%s", text);
  }
  if (r == VM_ERR_NOMEM) return fail(b, WAPC_ERR_NOMEM, "%s", text);
  if (r == VM_ERR_LIMIT) return fail(b, WAPC_ERR_LIMIT, "%s", text);
  return fail(b, WAPC_ERR_PROVIDER, "%s", text);
}

static wapc_status builtin_call(void *self, uint32_t op_len, uint32_t msg_len, int32_t *guest_ret) {
  builtin *b = self;
  if (!b->cur.guest_call) return fail(b, WAPC_ERR_MISUSE, "no module is loaded");
  if (msg_len > b->opts.max_payload)
    return fail(b, WAPC_ERR_LIMIT, "payload of %" PRIu32 " bytes exceeds the limit of %" PRIu32 " bytes",
                msg_len, b->opts.max_payload);
  if (op_len > b->opts.max_payload)
    return fail(b, WAPC_ERR_LIMIT, "operation of %" PRIu32 " bytes exceeds the limit of %" PRIu32 " bytes",
                op_len, b->opts.max_payload);
  if (b->poisoned) {
    wapc_status st = reset_instance(b);
    if (st != WAPC_OK) return st;
  }
  uint64_t ar[2] = {op_len, msg_len};
  wasi_clear_exit(b->cur.wasi);
  /* No publication step: the store polls the provider's flag (see the header). */
  vm_result r = vm_invoke(b->cur.store, b->cur.guest_call, ar);
  run_ended(b);
  if (r != VM_OK) return call_failed(b, r);
  *guest_ret = (int32_t)(uint32_t)ar[0];
  return WAPC_OK;
}

static void builtin_free(builtin *b) {
  guest_free(&b->cur);
  module_release(b->preload);
  wasi_config_free(b->wasi);
  vm_interrupt_destroy(&b->interrupt);
  mem_free(b);
}

static void builtin_destroy(void *self) {
  if (self) builtin_free(self);
}

static void builtin_describe(void *self, char *buf, size_t len) {
  builtin *b = self;
  if (!b->cur.mod) {
    snprintf(buf, len, "none");
    return;
  }
  vm_module_info in;
  vm_module_get_info(b->cur.mod->vm, &in);
  vm_memory *m = b->cur.inst ? vm_instance_memory(b->cur.inst) : NULL;
  snprintf(buf, len,
           "types: %" PRIu32 ", funcs: %" PRIu32 ", imported funcs: %" PRIu32 ", tables: %" PRIu32
           ", memories: %" PRIu32 ", globals: %" PRIu32 ", exports: %" PRIu32
           ", code bytes: %zu, compiled bytes: "
           "%zu, memory bytes: %" PRIu64 ", log lines truncated: %" PRIu64,
           in.num_types, in.num_funcs, in.num_imported_funcs, in.num_tables, in.num_memories, in.num_globals,
           in.num_exports, in.code_bytes, in.compiled_bytes, m ? vm_memory_size(m) : (uint64_t)0,
           b->log_truncated);
}

/* ---- public constructors ---------------------------------------------------------------- */

void wapc_builtin_options_init(wapc_builtin_options *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->struct_size = sizeof *o;
  o->max_memory_pages = 16384;
  o->max_call_depth = 10000;
  o->stack_slots = 1u << 20;
  o->max_table_elems = 10000000;
  o->max_functions = 1000000;
  o->reset_after_trap = 1;
  o->max_payload = 64u << 20;
  o->max_response = 64u << 20;
  o->max_host_call = 64u << 20;
  o->max_log_line = 1u << 20;
}

/*
 * The effective options (`options` NULL: defaults; zero limits: their
 * defaults) and the engine configuration they make.  The WASI pointers in
 * *opts still point to the caller's data.
 */
static wapc_status options_resolve(const wapc_builtin_options *options, wapc_builtin_options *opts,
                                   vm_config *cfg, char *msg, size_t msglen) {
  if (options && (options->struct_size < offsetof(wapc_builtin_options, max_memory_pages) ||
                  options->struct_size > (size_t)1 << 20))
    return msgf(msg, msglen, WAPC_ERR_MISUSE, "bad options (struct_size)");
  wapc_builtin_options_init(opts);
  if (options) {
    /* Read only the fields the caller's version of the struct has; the rest keep their defaults. */
    size_t n = options->struct_size < sizeof *opts ? options->struct_size : sizeof *opts;
    memcpy(opts, options, n);
    opts->struct_size = sizeof *opts;
  }
  wapc_builtin_options def;
  wapc_builtin_options_init(&def);
  vm_config_default(cfg);
  /* Zero means "default"; the engine's own caps bound the rest. */
  cfg->max_memory_pages = opts->max_memory_pages ? opts->max_memory_pages : def.max_memory_pages;
  if (cfg->max_memory_pages > 65536) cfg->max_memory_pages = 65536;
  cfg->max_call_depth = opts->max_call_depth ? opts->max_call_depth : def.max_call_depth;
  cfg->stack_slots = opts->stack_slots ? opts->stack_slots : def.stack_slots;
  cfg->max_table_elems = opts->max_table_elems ? opts->max_table_elems : def.max_table_elems;
  cfg->max_functions = opts->max_functions ? opts->max_functions : def.max_functions;
  if (!opts->max_payload) opts->max_payload = def.max_payload;
  if (!opts->max_response) opts->max_response = def.max_response;
  if (!opts->max_host_call) opts->max_host_call = def.max_host_call;
  if (!opts->max_log_line) opts->max_log_line = def.max_log_line;
  cfg->timeout_ns = (uint64_t)opts->timeout_ms * 1000000u;
  cfg->fuel = opts->fuel;
  return WAPC_OK;
}

/* A provider state from `options` (NULL: defaults); the WASI configuration is copied and opened. */
static wapc_status builtin_new(const wapc_builtin_options *options, builtin **out, char *msg, size_t msglen) {
  *out = NULL;
  builtin *b = mem_calloc(1, sizeof *b);
  if (!b) return msgf(msg, msglen, WAPC_ERR_NOMEM, "out of memory");
  vm_interrupt_init(&b->interrupt);
  wapc_status st = options_resolve(options, &b->opts, &b->cfg, msg, msglen);
  if (st == WAPC_OK) st = wasi_config_new(&b->opts, &b->wasi, msg, msglen);
  if (st != WAPC_OK) {
    mem_free(b);
    return st;
  }
  /* Borrowed pointers: everything they pointed to is copied into b->wasi. */
  b->opts.wasi_args = b->opts.wasi_env = NULL;
  b->opts.wasi_dirs = NULL;
  b->init_timeout_ns = (uint64_t)b->opts.init_timeout_ms * 1000000u;
  *out = b;
  return WAPC_OK;
}

static void provider_of(builtin *b, wapc_engine_provider *out) {
  memset(out, 0, sizeof *out);
  out->abi_version = WAPC_ENGINE_ABI_VERSION;
  out->name = "builtin";
  out->self = b;
  out->init = builtin_init;
  out->call = builtin_call;
  out->replace = builtin_replace;
  out->destroy = builtin_destroy;
  out->describe = builtin_describe;
  out->interrupt = builtin_interrupt;
}

wapc_status wapc_builtin_provider(const wapc_builtin_options *options, wapc_engine_provider *out,
                                  char *message, size_t message_len) {
  message_len = caller_message(message, message_len);
  if (!out) return msgf(message, message_len, WAPC_ERR_MISUSE, "out is NULL");
  memset(out, 0, sizeof *out);
  builtin *b;
  wapc_status st = builtin_new(options, &b, message, message_len);
  if (st != WAPC_OK) return st;
  provider_of(b, out);
  return WAPC_OK;
}

wapc_status wapc_wasi_run(const wapc_builtin_options *options, const uint8_t *module, size_t len,
                          int *exit_code, char *message, size_t message_len) {
  message_len = caller_message(message, message_len);
  if (exit_code) *exit_code = 0;
  if (!module && len) {
    snprintf(message, message_len, "module is NULL");
    return WAPC_ERR_MISUSE;
  }
  builtin *b;
  wapc_status st = builtin_new(options, &b, message, message_len);
  if (st != WAPC_OK) return st;
  b->command = true;
  guest g;
  st = load_guest(b, module ? module : empty_module, len, &g);
  if (st == WAPC_OK) {
    vm_extern x;
    if (!vm_instance_export(g.inst, "_start", 6, &x) || x.kind != VM_EXTERN_FUNC ||
        vm_func_type(x.u.func)->nparams != 0 || vm_func_type(x.u.func)->nresults != 0) {
      st = fail(b, WAPC_ERR_LINK, "export \"_start\" is not a () -> () function");
    } else {
      uint64_t slot[1] = {0};
      if (vm_invoke(g.store, x.u.func, slot) != VM_OK) {
        const vm_error *e = vm_store_error(g.store);
        uint32_t code;
        if (e->result == VM_ERR_TRAP && e->trap == VM_TRAP_EXIT && wasi_exited(g.wasi, &code)) {
          if (exit_code) *exit_code = (int)code;
        } else if (stop_status(e) != WAPC_OK) {
          st = fail(b, stop_status(e), "%s", error_text(e));
        } else if (e->result == VM_ERR_TRAP) {
          st = fail(b, WAPC_ERR_TRAP, "trap: %s", error_text(e));
        } else {
          st = from_vm_error(b, e, "_start");
        }
      }
    }
    guest_free(&g);
  }
  if (st != WAPC_OK) snprintf(message, message_len, "%s", b->msg);
  builtin_free(b);
  return st;
}

wapc_status wapc_host_new_builtin(const wapc_builtin_options *options, wapc_host_callback callback,
                                  void *user, wapc_host **out, char *message, size_t message_len) {
  message_len = caller_message(message, message_len);
  if (out) *out = NULL;
  if (!out) return msgf(message, message_len, WAPC_ERR_MISUSE, "out is NULL");
  wapc_engine_provider p;
  wapc_status st = wapc_builtin_provider(options, &p, message, message_len);
  if (st != WAPC_OK) return st;
  return wapc_host_new(&p, callback, user, out, message, message_len);
}

/* ---- the compiled-module API ------------------------------------------------------------ */

wapc_status wapc_module_compile(const wapc_builtin_options *options, const uint8_t *bytes, size_t len,
                                wapc_module **out, char *message, size_t message_len) {
  message_len = caller_message(message, message_len);
  if (out) *out = NULL;
  if (!out) return msgf(message, message_len, WAPC_ERR_MISUSE, "out is NULL");
  if (!bytes && len) return msgf(message, message_len, WAPC_ERR_MISUSE, "module is NULL");
  wapc_builtin_options opts;
  vm_config cfg;
  wapc_status st = options_resolve(options, &opts, &cfg, message, message_len);
  if (st != WAPC_OK) return st;
  return module_compile(&cfg, false, bytes ? bytes : empty_module, len, out, message, message_len);
}

void wapc_module_free(wapc_module *module) {
  module_release(module);
}

wapc_status wapc_host_new_builtin_module(const wapc_builtin_options *options, wapc_module *module,
                                         wapc_host_callback callback, void *user, wapc_host **out,
                                         char *message, size_t message_len) {
  message_len = caller_message(message, message_len);
  if (out) *out = NULL;
  if (!out || !module)
    return msgf(message, message_len, WAPC_ERR_MISUSE, "%s is NULL", out ? "module" : "out");
  builtin *b;
  wapc_status st = builtin_new(options, &b, message, message_len);
  if (st != WAPC_OK) return st;
  b->preload = module_retain(module);
  wapc_engine_provider p;
  provider_of(b, &p);
  wapc_host *h;
  st = wapc_host_new(&p, callback, user, &h, message, message_len); /* on failure it destroyed the provider */
  if (st != WAPC_OK) return st;
  /* The host's load runs builtin_init, which instantiates b->preload. */
  st = wapc_host_load(h, NULL, 0);
  if (st != WAPC_OK) {
    snprintf(message, message_len, "%s", wapc_host_last_error(h));
    wapc_host_free(h);
    return st;
  }
  *out = h;
  return WAPC_OK;
}
