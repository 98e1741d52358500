/*
 * builtin.c - the built-in engine provider: runs waPC guests on libwapc's own
 * WebAssembly engine through src/vm/vm.h only.  It owns the compiled module
 * and the store the guest lives in, links the nine "wapc" imports (any
 * subset, resolved by name and checked by type), runs the initialisation
 * sequence, implements the imports with bounds-checked copies between guest
 * memory and the host's state (wapc_engine.h), and does hot swap by building
 * the new module's store completely before dropping the old one.
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
 * thread, so the store that runs guest code is published under a mutex
 * (`running`) and a request made while nothing runs is kept (`pending`) for
 * the next run.  The engine sees a request at its interruption points; the
 * imports check it too (on entry to __guest_request, after the host callback
 * and the log hook), so a waPC call is stopped even when it is too short to
 * reach one.  The end of a run consumes the request, however the run ends.  Size caps are checked in the
 * imports before anything is copied, so an over-size request never reaches an allocator.
 */
#include "wapc_engine.h"
#include "vm/vm.h"
#include "wasi/wasi.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One loaded guest: the module must outlive its store. */
typedef struct guest {
  vm_module *module;
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
  bool limit_hit; /* an import trapped on a size cap: the failure is WAPC_ERR_LIMIT */

  /* Interruption, shared with other threads: both fields are written under `lock`. */
  pthread_mutex_t lock;
  vm_store *running;   /* the store running guest code now, or NULL */
  atomic_bool pending; /* a request not yet consumed by the end of a run; the imports read it */
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

static vm_memory *memory_of(vm_instance *caller) {
  return caller ? vm_instance_memory(caller) : NULL;
}

/* Guest pointers and lengths are u32; vm_memory_check does the 64-bit range math. */
static bool in_range(vm_memory *m, uint64_t ptr, uint64_t len) {
  return m && vm_memory_check(m, ptr, len);
}

#define ARG(i) ((uint32_t)args[i])

static vm_result oom(vm_store *s) {
  return vm_store_trap_msg(s, "out of memory");
}

/* A size cap refused a guest request: a trap that the call reports as WAPC_ERR_LIMIT. */
static vm_result too_large(builtin *b, vm_store *s, const char *what, uint64_t len, uint32_t limit) {
  b->limit_hit = true;
  return vm_store_trap_msg(s, "%s of %" PRIu64 " bytes exceeds the limit of %" PRIu32 " bytes", what, len,
                           limit);
}

/* A request from wapc_host_interrupt, seen by an import: stop the guest here. */
static bool interrupt_pending(builtin *b) {
  return atomic_load_explicit(&b->pending, memory_order_relaxed);
}

static vm_result imp_guest_request(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  if (interrupt_pending(b)) return vm_store_trap(s, VM_TRAP_INTERRUPTED);
  vm_memory *m = memory_of(caller);
  const uint8_t *op, *payload;
  size_t op_len, payload_len;
  wapc_engine_request(b->host, &op, &op_len, &payload, &payload_len);
  /* Check both ranges before writing anything: no partial writes. */
  if (!in_range(m, ARG(1), payload_len) || !in_range(m, ARG(0), op_len))
    return vm_store_trap(s, VM_TRAP_MEMORY_OOB);
  uint8_t *base = vm_memory_data(m);
  if (payload_len) memcpy(base + ARG(1), payload, payload_len);
  if (op_len) memcpy(base + ARG(0), op, op_len);
  return VM_OK;
}

static vm_result imp_guest_response(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  vm_memory *m = memory_of(caller);
  if (!in_range(m, ARG(0), ARG(1))) return vm_store_trap(s, VM_TRAP_MEMORY_OOB);
  if (ARG(1) > b->opts.max_response) return too_large(b, s, "guest response", ARG(1), b->opts.max_response);
  if (wapc_engine_set_guest_response(b->host, vm_memory_data(m) + ARG(0), ARG(1)) != WAPC_OK) return oom(s);
  return VM_OK;
}

static vm_result imp_guest_error(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  vm_memory *m = memory_of(caller);
  if (!in_range(m, ARG(0), ARG(1))) return vm_store_trap(s, VM_TRAP_MEMORY_OOB);
  if (ARG(1) > b->opts.max_response) return too_large(b, s, "guest error", ARG(1), b->opts.max_response);
  if (wapc_engine_set_guest_error(b->host, vm_memory_data(m) + ARG(0), ARG(1)) != WAPC_OK) return oom(s);
  return VM_OK;
}

static vm_result imp_host_call(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  vm_memory *m = memory_of(caller);
  if (!in_range(m, ARG(0), ARG(1)) || !in_range(m, ARG(2), ARG(3)) || !in_range(m, ARG(4), ARG(5)) ||
      !in_range(m, ARG(6), ARG(7)))
    return vm_store_trap(s, VM_TRAP_MEMORY_OOB);
  uint32_t cap = b->opts.max_host_call;
  if (ARG(7) > cap) return too_large(b, s, "host call payload", ARG(7), cap);
  /* The three names are copied by the host: they share the cap. */
  uint64_t names = (uint64_t)ARG(1) + ARG(3) + ARG(5);
  if (names > cap) return too_large(b, s, "host call binding, namespace and operation", names, cap);
  const uint8_t *base = vm_memory_data(m);
  wapc_status st = wapc_engine_host_call(b->host, base + ARG(0), ARG(1), base + ARG(2), ARG(3), base + ARG(4),
                                         ARG(5), base + ARG(6), ARG(7));
  if (interrupt_pending(b)) return vm_store_trap(s, VM_TRAP_INTERRUPTED);
  args[0] = st == WAPC_OK ? 1 : 0;
  return VM_OK;
}

static uint64_t clamp_len(size_t len) {
  return len > UINT32_MAX ? UINT32_MAX : (uint64_t)len;
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
  vm_memory *m = memory_of(caller);
  const uint8_t *bytes;
  size_t len;
  wapc_engine_host_response(b->host, &bytes, &len);
  if (!in_range(m, ARG(0), len)) return vm_store_trap(s, VM_TRAP_MEMORY_OOB);
  if (len) memcpy(vm_memory_data(m) + ARG(0), bytes, len);
  return VM_OK;
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
  vm_memory *m = memory_of(caller);
  const uint8_t *bytes;
  size_t len;
  wapc_engine_host_error(b->host, &bytes, &len);
  if (!in_range(m, ARG(0), len)) return vm_store_trap(s, VM_TRAP_MEMORY_OOB);
  if (len) memcpy(vm_memory_data(m) + ARG(0), bytes, len);
  return VM_OK;
}

static vm_result imp_console_log(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  vm_memory *m = memory_of(caller);
  if (!in_range(m, ARG(0), ARG(1))) return vm_store_trap(s, VM_TRAP_MEMORY_OOB);
  if (ARG(1) > b->opts.max_log_line) return too_large(b, s, "log line", ARG(1), b->opts.max_log_line);
  wapc_engine_console_log(b->host, vm_memory_data(m) + ARG(0), ARG(1));
  if (interrupt_pending(b)) return vm_store_trap(s, VM_TRAP_INTERRUPTED);
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

/* The status of a guardrail stop, or WAPC_OK for any other error. */
static wapc_status guard_status(const vm_error *e) {
  if (e->result != VM_ERR_TRAP) return WAPC_OK;
  switch (e->trap) {
  case VM_TRAP_DEADLINE: return WAPC_ERR_DEADLINE;
  case VM_TRAP_INTERRUPTED: return WAPC_ERR_INTERRUPTED;
  case VM_TRAP_FUEL: return WAPC_ERR_LIMIT;
  default: return WAPC_OK;
  }
}

static const char *error_text(const vm_error *e) {
  return e->message[0] ? e->message : vm_trap_message(e->trap);
}

/* ---- interruption ------------------------------------------------------------------ */

/*
 * Publish the store about to run guest code, where a pending request applies
 * at once; NULL: the run ended, which consumes the request (stopped or not).
 */
static void set_running(builtin *b, vm_store *s) {
  pthread_mutex_lock(&b->lock);
  if (s) {
    if (atomic_load(&b->pending)) vm_store_interrupt(s);
  } else {
    atomic_store(&b->pending, false);
    if (b->running) vm_store_clear_interrupt(b->running);
  }
  b->running = s;
  pthread_mutex_unlock(&b->lock);
}

static void builtin_interrupt(void *self) {
  builtin *b = self;
  pthread_mutex_lock(&b->lock);
  atomic_store(&b->pending, true);
  if (b->running) vm_store_interrupt(b->running);
  pthread_mutex_unlock(&b->lock);
}

/* Engine failures as waPC statuses, with the engine's message. */
static wapc_status from_vm_error(builtin *b, const vm_error *e, const char *context) {
  char text[320];
  wapc_status gst = guard_status(e);
  if (gst != WAPC_OK) {
    if (b->limit_hit) gst = WAPC_ERR_LIMIT;
    return fail(b, gst, "%s failed: %s", context, error_text(e));
  }
  if (e->result == VM_ERR_TRAP && b->limit_hit)
    return fail(b, WAPC_ERR_LIMIT, "%s failed: %s", context, error_text(e));
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

/* ---- loading, linking, initialising ---------------------------------------------- */

static void guest_free(guest *g) {
  vm_store_free(g->store); /* before the module: the module must outlive its store */
  wasi_ctx_free(g->wasi);
  vm_module_free(g->module);
  memset(g, 0, sizeof *g);
}

static bool name_is(const char *s, size_t len, const char *lit) {
  return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/* The link error for an import whose type does not match what the host provides. */
static wapc_status type_mismatch(builtin *b, const vm_import_desc *d, const vm_functype *want) {
  char want_s[160], got_s[256];
  format_functype(want, want_s, sizeof want_s);
  if (d->kind == VM_EXTERN_FUNC)
    format_functype(d->type.func, got_s, sizeof got_s);
  else
    snprintf(got_s, sizeof got_s, "%s", kind_name(d->kind));
  return fail(b, WAPC_ERR_LINK, "incompatible import type for \"%.*s\".\"%.*s\": expected func %s, got %s%s",
              (int)d->module_len, d->module, (int)d->name_len, d->name, want_s,
              d->kind == VM_EXTERN_FUNC ? "func " : "", got_s);
}

/*
 * Resolve every import of g->module to a "wapc" host function (created once
 * per name) or a WASI function of g->wasi; a command (wapc_wasi_run) gets
 * WASI only.
 */
static wapc_status link_imports(builtin *b, guest *g, vm_extern **out) {
  uint32_t n = vm_module_num_imports(g->module);
  *out = NULL;
  vm_extern *ext = calloc(n ? n : 1, sizeof *ext);
  if (!ext) return fail(b, WAPC_ERR_NOMEM, "out of memory");
  vm_func *made[NUM_WAPC_IMPORTS] = {0};
  for (uint32_t i = 0; i < n; i++) {
    vm_import_desc d;
    vm_module_import(g->module, i, &d);
    vm_functype wt;
    vm_host_fn wfn;
    if (wasi_import(d.module, d.module_len, d.name, d.name_len, &wt, &wfn)) {
      if (d.kind != VM_EXTERN_FUNC || !vm_functype_equal(d.type.func, &wt)) {
        free(ext);
        return type_mismatch(b, &d, &wt);
      }
      vm_func *f = vm_func_new_host(g->store, &wt, wfn, g->wasi);
      if (!f) {
        free(ext);
        return fail(b, WAPC_ERR_NOMEM, "out of memory");
      }
      ext[i].kind = VM_EXTERN_FUNC;
      ext[i].u.func = f;
      continue;
    }
    size_t k = NUM_WAPC_IMPORTS;
    if (!b->command && name_is(d.module, d.module_len, "wapc"))
      for (k = 0; k < NUM_WAPC_IMPORTS; k++)
        if (name_is(d.name, d.name_len, wapc_imports[k].name)) break;
    if (k == NUM_WAPC_IMPORTS) {
      free(ext);
      return fail(b, WAPC_ERR_LINK, "unknown import \"%.*s\".\"%.*s\"", (int)d.module_len, d.module,
                  (int)d.name_len, d.name);
    }
    vm_functype want = import_type(&wapc_imports[k]);
    if (d.kind != VM_EXTERN_FUNC || !vm_functype_equal(d.type.func, &want)) {
      free(ext);
      return type_mismatch(b, &d, &want);
    }
    if (!made[k]) {
      made[k] = vm_func_new_host(g->store, &want, wapc_imports[k].fn, b);
      if (!made[k]) {
        free(ext);
        return fail(b, WAPC_ERR_NOMEM, "out of memory");
      }
    }
    ext[i].kind = VM_EXTERN_FUNC;
    ext[i].u.func = made[k];
  }
  *out = ext;
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
static wapc_status check_guest_call(builtin *b, const vm_module *m) {
  uint32_t index;
  if (!find_export(m, "__guest_call", VM_EXTERN_FUNC, &index))
    return fail(b, WAPC_ERR_LINK, "module does not export function \"__guest_call\"");
  const vm_functype *t = vm_module_func_type(m, index);
  if (!t || !vm_functype_equal(t, &guest_call_type)) {
    char got[256] = "?";
    if (t) format_functype(t, got, sizeof got);
    return fail(b, WAPC_ERR_LINK, "export \"__guest_call\" has type %s, expected (i32, i32) -> i32", got);
  }
  return WAPC_OK;
}

/*
 * Give the next init step what is left of the initialisation deadline
 * (`deadline` 0: none); false when nothing is left.
 */
static bool init_budget(builtin *b, guest *g, uint64_t deadline) {
  if (!deadline) {
    vm_store_set_timeout(g->store, 0);
    return true;
  }
  uint64_t now = vm_monotonic_ns();
  if (now >= deadline) return false;
  vm_store_set_timeout(g->store, deadline - now);
  (void)b;
  return true;
}

/* Run an optional init export: it must be a () -> () function. */
static wapc_status run_init_export(builtin *b, guest *g, const char *name, uint64_t deadline) {
  vm_extern x;
  if (!vm_instance_export(g->inst, name, strlen(name), &x)) return WAPC_OK;
  if (!init_budget(b, g, deadline)) return fail(b, WAPC_ERR_DEADLINE, "%s failed: deadline exceeded", name);
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
  b->limit_hit = false;
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

/* Instantiate g->module in a new store and initialise it; on failure g->store is freed. */
static wapc_status instantiate(builtin *b, guest *g) {
  uint64_t deadline = 0;
  if (b->init_timeout_ns) {
    uint64_t now = vm_monotonic_ns();
    deadline = b->init_timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + b->init_timeout_ns;
  }
  g->store = vm_store_new(&b->cfg);
  g->wasi = wasi_ctx_new(b->wasi, b->host ? wapc_engine_host_id(b->host) : 0);
  if (!g->store || !g->wasi) {
    vm_store_free(g->store);
    wasi_ctx_free(g->wasi);
    g->store = NULL;
    g->wasi = NULL;
    return fail(b, WAPC_ERR_NOMEM, "out of memory");
  }
  set_running(b, g->store);
  vm_extern *ext = NULL;
  wapc_status st = link_imports(b, g, &ext);
  if (st == WAPC_OK) {
    vm_error err;
    vm_error_clear(&err);
    init_budget(b, g, deadline); /* just computed: cannot have run out */
    b->limit_hit = false;
    g->inst = vm_instantiate(g->store, g->module, ext, vm_module_num_imports(g->module), &err);
    uint32_t code;
    if (!g->inst && err.result == VM_ERR_TRAP && err.trap == VM_TRAP_EXIT && wasi_exited(g->wasi, &code))
      st = fail(b, WAPC_ERR_INIT, "start function exited with code %" PRIu32, code);
    else if (!g->inst)
      st = from_vm_error(b, &err, "instantiation");
  }
  free(ext);
  if (st == WAPC_OK && !b->command) {
    /* The module-level check (check_guest_call) ran before instantiation. */
    vm_extern x;
    if (vm_instance_export(g->inst, "__guest_call", 12, &x) && x.kind == VM_EXTERN_FUNC)
      g->guest_call = x.u.func;
    else
      st = fail(b, WAPC_ERR_PROVIDER, "instance lost its \"__guest_call\" export");
  }
  if (!b->command) {
    if (st == WAPC_OK) st = run_init_export(b, g, "_start", deadline);
    if (st == WAPC_OK) st = run_init_export(b, g, "_initialize", deadline);
    if (st == WAPC_OK) st = run_init_export(b, g, "wapc_init", deadline);
  }
  set_running(b, NULL);
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

/* Load, link and initialise a whole new guest into *g (all or nothing). */
static wapc_status load_guest(builtin *b, const uint8_t *bytes, size_t len, guest *g) {
  memset(g, 0, sizeof *g);
  vm_error err;
  vm_error_clear(&err);
  g->module = vm_module_load(bytes, len, &b->cfg, &err);
  if (!g->module) return from_vm_error(b, &err, "load");
  /* The required exports are checked before anything runs (the start section included). */
  wapc_status st = WAPC_OK;
  if (b->command) {
    if (!module_exports(g->module, "_start", VM_EXTERN_FUNC))
      st = fail(b, WAPC_ERR_LINK, "module does not export function \"_start\"");
  } else {
    st = check_guest_call(b, g->module);
    if (st == WAPC_OK && !module_exports(g->module, "memory", VM_EXTERN_MEMORY))
      st = fail(b, WAPC_ERR_LINK, "module does not export memory \"memory\"");
  }
  if (st == WAPC_OK) st = instantiate(b, g);
  if (st != WAPC_OK) guest_free(g);
  return st;
}

/* ---- provider functions ------------------------------------------------------------- */

static wapc_status builtin_init(void *self, wapc_engine_host *host, const uint8_t *module, size_t len) {
  builtin *b = self;
  b->host = host;
  guest g;
  wapc_status st = load_guest(b, module, len, &g);
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
  b->limit_hit = false;
  set_running(b, b->cur.store);
  vm_result r = vm_invoke(b->cur.store, b->cur.guest_call, ar);
  set_running(b, NULL);
  if (r == VM_OK) {
    *guest_ret = (int32_t)(uint32_t)ar[0];
    return WAPC_OK;
  }
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
    wapc_status gst = guard_status(e);
    if (gst != WAPC_OK) return fail(b, gst, "%s", text);
    return fail(b, b->limit_hit ? WAPC_ERR_LIMIT : WAPC_ERR_TRAP, "%s", text);
  }
  if (r == VM_ERR_NOMEM) return fail(b, WAPC_ERR_NOMEM, "%s", text);
  if (r == VM_ERR_LIMIT) return fail(b, WAPC_ERR_LIMIT, "%s", text);
  return fail(b, WAPC_ERR_PROVIDER, "%s", text);
}

static void builtin_destroy(void *self) {
  builtin *b = self;
  if (!b) return;
  guest_free(&b->cur);
  wasi_config_free(b->wasi);
  pthread_mutex_destroy(&b->lock);
  free(b);
}

static void builtin_describe(void *self, char *buf, size_t len) {
  builtin *b = self;
  if (!b->cur.module) {
    snprintf(buf, len, "none");
    return;
  }
  vm_module_info in;
  vm_module_get_info(b->cur.module, &in);
  vm_memory *m = b->cur.inst ? vm_instance_memory(b->cur.inst) : NULL;
  snprintf(buf, len,
           "types: %" PRIu32 ", funcs: %" PRIu32 ", imported funcs: %" PRIu32 ", tables: %" PRIu32
           ", memories: %" PRIu32 ", globals: %" PRIu32 ", exports: %" PRIu32
           ", code bytes: %zu, compiled bytes: "
           "%zu, memory bytes: %" PRIu64,
           in.num_types, in.num_funcs, in.num_imported_funcs, in.num_tables, in.num_memories, in.num_globals,
           in.num_exports, in.code_bytes, in.compiled_bytes, m ? vm_memory_size(m) : (uint64_t)0);
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

/* A provider state from `options` (NULL: defaults); the WASI configuration is copied and opened. */
static wapc_status builtin_new(const wapc_builtin_options *options, builtin **out, char *msg, size_t msglen) {
  *out = NULL;
  if (options && (options->struct_size < offsetof(wapc_builtin_options, max_memory_pages) ||
                  options->struct_size > (size_t)1 << 20)) {
    snprintf(msg, msglen, "bad options (struct_size)");
    return WAPC_ERR_MISUSE;
  }
  builtin *b = calloc(1, sizeof *b);
  if (!b) return WAPC_ERR_NOMEM;
  if (pthread_mutex_init(&b->lock, NULL) != 0) {
    free(b);
    return WAPC_ERR_NOMEM;
  }
  wapc_builtin_options_init(&b->opts);
  if (options) {
    /* Read only the fields the caller's version of the struct has; the rest keep their defaults. */
    size_t n = options->struct_size < sizeof b->opts ? options->struct_size : sizeof b->opts;
    memcpy(&b->opts, options, n);
    b->opts.struct_size = sizeof b->opts;
  }
  wapc_status st = wasi_config_new(&b->opts, &b->wasi, msg, msglen);
  if (st != WAPC_OK) {
    pthread_mutex_destroy(&b->lock);
    free(b);
    return st;
  }
  /* Borrowed pointers: everything they pointed to is copied into b->wasi. */
  b->opts.wasi_args = b->opts.wasi_env = NULL;
  b->opts.wasi_dirs = NULL;
  wapc_builtin_options def;
  wapc_builtin_options_init(&def);
  vm_config_default(&b->cfg);
  /* Zero means "default"; the engine's own caps bound the rest. */
  b->cfg.max_memory_pages = b->opts.max_memory_pages ? b->opts.max_memory_pages : def.max_memory_pages;
  if (b->cfg.max_memory_pages > 65536) b->cfg.max_memory_pages = 65536;
  b->cfg.max_call_depth = b->opts.max_call_depth ? b->opts.max_call_depth : def.max_call_depth;
  b->cfg.stack_slots = b->opts.stack_slots ? b->opts.stack_slots : def.stack_slots;
  b->cfg.max_table_elems = b->opts.max_table_elems ? b->opts.max_table_elems : def.max_table_elems;
  b->cfg.max_functions = b->opts.max_functions ? b->opts.max_functions : def.max_functions;
  if (!b->opts.max_payload) b->opts.max_payload = def.max_payload;
  if (!b->opts.max_response) b->opts.max_response = def.max_response;
  if (!b->opts.max_host_call) b->opts.max_host_call = def.max_host_call;
  if (!b->opts.max_log_line) b->opts.max_log_line = def.max_log_line;
  b->cfg.timeout_ns = (uint64_t)b->opts.timeout_ms * 1000000u;
  b->init_timeout_ns = (uint64_t)b->opts.init_timeout_ms * 1000000u;
  b->cfg.fuel = b->opts.fuel;
  *out = b;
  return WAPC_OK;
}

wapc_status wapc_builtin_provider(const wapc_builtin_options *options, wapc_engine_provider *out) {
  if (!out) return WAPC_ERR_MISUSE;
  memset(out, 0, sizeof *out);
  builtin *b;
  char msg[256];
  wapc_status st = builtin_new(options, &b, msg, sizeof msg);
  if (st != WAPC_OK) return st;

  out->abi_version = WAPC_ENGINE_ABI_VERSION;
  out->name = "builtin";
  out->self = b;
  out->init = builtin_init;
  out->call = builtin_call;
  out->replace = builtin_replace;
  out->destroy = builtin_destroy;
  out->describe = builtin_describe;
  out->interrupt = builtin_interrupt;
  return WAPC_OK;
}

wapc_status wapc_wasi_run(const wapc_builtin_options *options, const uint8_t *module, size_t len,
                          int *exit_code, char *message, size_t message_len) {
  char scratch[1];
  if (!message || message_len == 0) {
    message = scratch;
    message_len = sizeof scratch;
  }
  message[0] = 0;
  if (exit_code) *exit_code = 0;
  if (!module && len) {
    snprintf(message, message_len, "module is NULL");
    return WAPC_ERR_MISUSE;
  }
  static const uint8_t empty[1] = {0};
  builtin *b;
  wapc_status st = builtin_new(options, &b, message, message_len);
  if (st != WAPC_OK) return st;
  b->command = true;
  guest g;
  st = load_guest(b, module ? module : empty, len, &g);
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
        } else if (guard_status(e) != WAPC_OK) {
          st = fail(b, guard_status(e), "%s", error_text(e));
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
  wasi_config_free(b->wasi);
  pthread_mutex_destroy(&b->lock);
  free(b);
  return st;
}

wapc_status wapc_host_new_builtin(const wapc_builtin_options *options, wapc_host_callback callback,
                                  void *user, wapc_host **out) {
  if (out) *out = NULL;
  if (!out) return WAPC_ERR_MISUSE;
  wapc_engine_provider p;
  wapc_status st = wapc_builtin_provider(options, &p);
  if (st != WAPC_OK) return st;
  return wapc_host_new(&p, callback, user, out);
}
