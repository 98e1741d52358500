/* SPDX-License-Identifier: Apache-2.0 */
/*
 * provider.c - the built-in engine provider: runs waPC guests on libwapc's own
 * WebAssembly engine through src/vm/vm.h only.  It owns the store each host's
 * guest lives in, instantiates compiled modules (module.c) and links their
 * imports (the nine "wapc" ones of imports.c, any subset, and WASI), runs the
 * initialisation sequence, does hot swap by building the new module's store
 * completely before dropping the old one, and holds the public constructors
 * of the built-in engine (wapc_builtin_provider, wapc_host_new_builtin,
 * wapc_module_compile, wapc_host_new_builtin_module, wapc_wasi_run).
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
 * (vm_store_wait) and whenever a host function returns into the guest
 * (__guest_request included), so a waPC call is stopped even when it is too
 * short to reach an interruption point.  The end of a run consumes the request, however
 * the run ends.  A size cap refused by an import and an allocation failure are
 * traps of their own kinds (VM_TRAP_LIMIT, VM_TRAP_NOMEM), mapped to a status
 * in one place (stop_status).
 */
#include "builtin/provider.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin/imports.h"
#include "builtin/messages.h"
#include "util/lit.h"
#include "util/mem.h"
#include "util/report.h"

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

/* ---- instances: linking, initialising ------------------------------------------------ */

static const uint8_t empty_module[1] = {0};

static void guest_free(guest *g) {
  vm_store_free(g->store); /* before the module: the module must outlive its store */
  wasi_ctx_free(g->wasi);
  builtin_module_release(g->mod);
  memset(g, 0, sizeof *g);
}

/* Imports of most guests fit here; more take one allocation. */
#define LOCAL_EXTERNS 32

/* Bind g->mod's imports to host functions in g->store: one per "wapc" name
 * (its user data is the provider), one per WASI import (user data g->wasi). */
static wapc_status link_imports(builtin *b, guest *g, vm_extern *ext) {
  const wapc_module *m = g->mod;
  vm_func *made[BUILTIN_NUM_IMPORTS] = {0};
  for (uint32_t i = 0; i < m->nimports; i++) {
    const link_entry *l = &m->links[i];
    vm_func *f;
    if (l->wapc == BUILTIN_NUM_IMPORTS) {
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
    return fail(b, WAPC_ERR_INIT, "export \"%s\" is a %s, expected a function", name,
                builtin_kind_name(x.kind));
  const vm_functype *t = vm_func_type(x.u.func);
  if (t->nparams != 0 || t->nresults != 0) {
    char got[256];
    builtin_format_functype(t, got, sizeof got);
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

/* The module's pre-initialised image for this host, or NULL (pre_init off, none yet, refused). */
static const vm_image *usable_image(const builtin *b, const wapc_module *m) {
  if (!b->opts.pre_init || m->command) return NULL;
  if (atomic_load_explicit(&((wapc_module *)m)->image_state, memory_order_acquire) != IMAGE_READY)
    return NULL;
  return m->image;
}

/* After g's initialisation succeeded: make it the module's image unless
 * another host has (or is) taking one. */
static void take_image(guest *g) {
  wapc_module *m = g->mod;
  int none = IMAGE_NONE;
  if (!atomic_compare_exchange_strong_explicit(&m->image_state, &none, IMAGE_TAKING, memory_order_acq_rel,
                                               memory_order_acquire))
    return;
  vm_error err;
  m->image = vm_image_capture(g->inst, &err);
  if (!m->image) {
    snprintf(m->image_note, sizeof m->image_note, "%s", error_text(&err));
    /* Out of memory may pass: a later host tries again. */
    atomic_store_explicit(&m->image_state, err.result == VM_ERR_NOMEM ? IMAGE_NONE : IMAGE_REFUSED,
                          memory_order_release);
    return;
  }
  atomic_store_explicit(&m->image_state, IMAGE_READY, memory_order_release);
}

/* Instantiate g->mod in a new store and initialise it (or start it from the
 * module's pre-initialised image); on failure g->store is freed. */
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
    const vm_image *img = usable_image(b, g->mod);
    g->from_image = img != NULL;
    g->inst = img ? vm_instantiate_image(g->store, g->mod->vm, ext, n, img, &err)
                  : vm_instantiate(g->store, g->mod->vm, ext, n, &err);
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
    if (vm_instance_export(g->inst, LIT("__guest_call"), &x) && x.kind == VM_EXTERN_FUNC)
      g->guest_call = x.u.func;
    else
      st = fail(b, WAPC_ERR_PROVIDER, "instance lost its \"__guest_call\" export");
  }
  if (!g->mod->command && !g->from_image) {
    if (st == WAPC_OK) st = run_init_export(b, g, "_start", deadline);
    if (st == WAPC_OK) st = run_init_export(b, g, "_initialize", deadline);
    if (st == WAPC_OK) st = run_init_export(b, g, "wapc_init", deadline);
    if (st == WAPC_OK && b->opts.pre_init) take_image(g);
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
  g->mod = builtin_module_retain(m);
  wapc_status st = instantiate(b, g);
  if (st != WAPC_OK) guest_free(g);
  return st;
}

/* Load, link and initialise a whole new guest into *g from bytes (all or nothing). */
static wapc_status load_guest(builtin *b, const uint8_t *bytes, size_t len, guest *g) {
  memset(g, 0, sizeof *g);
  char msg[512];
  wapc_module *m;
  wapc_status st = builtin_module_compile(&b->cfg, b->command ? MODULE_COMMAND : MODULE_WAPC, bytes, len, &m,
                                          msg, sizeof msg);
  if (st != WAPC_OK) return fail(b, st, "%s", msg);
  st = guest_from_module(b, m, g);
  builtin_module_release(m); /* g holds its own reference */
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
    builtin_module_release(b->preload);
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
  builtin_module_release(b->preload);
  wasi_config_free(b->wasi);
  vm_interrupt_destroy(&b->interrupt);
  mem_free(b);
}

static void builtin_destroy(void *self) {
  if (self) builtin_free(self);
}

/* The debug line's "pre-init:" part. */
static const char *pre_init_text(const builtin *b, char *buf, size_t len) {
  const wapc_module *m = b->cur.mod;
  if (!b->opts.pre_init || m->command) return "off";
  switch (atomic_load_explicit(&((wapc_module *)m)->image_state, memory_order_acquire)) {
  case IMAGE_READY: {
    vm_image_info ii;
    vm_image_get_info(m->image, &ii);
    snprintf(buf, len, "%s image of %" PRIu64 " bytes of memory (%" PRIu64 " stored, %s)",
             b->cur.from_image ? "started from the" : "initialised, then took the", ii.memory_bytes,
             ii.stored_bytes, ii.copy_on_write ? "copy-on-write" : "copied");
    return buf;
  }
  case IMAGE_REFUSED: snprintf(buf, len, "refused (%s)", m->image_note); return buf;
  default: return "initialised (no image yet)";
  }
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
  char pre[sizeof(((vm_error *)0)->message) + 128];
  snprintf(
      buf, len,
      "types: %" PRIu32 ", funcs: %" PRIu32 ", imported funcs: %" PRIu32 ", tables: %" PRIu32
      ", memories: %" PRIu32 ", globals: %" PRIu32 ", exports: %" PRIu32 ", code bytes: %zu, compiled bytes: "
      "%zu, compiled functions: %" PRIu32 " of %" PRIu32
      " (%s%s%zu bytes of machine code), memory bytes: %" PRIu64 ", log lines truncated: %" PRIu64
      ", pre-init: %s",
      in.num_types, in.num_funcs, in.num_imported_funcs, in.num_tables, in.num_memories, in.num_globals,
      in.num_exports, in.code_bytes, in.compiled_bytes, in.native_funcs, in.num_funcs - in.num_imported_funcs,
      in.native_status, in.native_status[0] ? "; " : "", in.native_bytes, m ? vm_memory_size(m) : (uint64_t)0,
      b->log_truncated, pre_init_text(b, pre, sizeof pre));
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
    return report_msg(msg, msglen, WAPC_ERR_MISUSE, "bad options (struct_size)");
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
  if (opts->tier > WAPC_TIER_COMPILER) return report_msg(msg, msglen, WAPC_ERR_MISUSE, "bad options (tier)");
  if (opts->wasm != WAPC_WASM_DEFAULT && opts->wasm != WAPC_WASM_2)
    return report_msg(msg, msglen, WAPC_ERR_MISUSE, "bad options (wasm)");
  cfg->features = opts->wasm == WAPC_WASM_2 ? VM_FEATURES_WASM2 : VM_FEATURES_ALL;
  cfg->tier = opts->tier == WAPC_TIER_INTERPRETER ? VM_TIER_INTERP
              : opts->tier == WAPC_TIER_COMPILER  ? VM_TIER_COMPILER
                                                  : VM_TIER_AUTO;
  return WAPC_OK;
}

/* A provider state from `options` (NULL: defaults); the WASI configuration is copied and opened. */
static wapc_status builtin_new(const wapc_builtin_options *options, builtin **out, char *msg, size_t msglen) {
  *out = NULL;
  builtin *b = mem_calloc_line(sizeof *b); /* written on every call (the interrupt flag) */
  if (!b) return report_msg(msg, msglen, WAPC_ERR_NOMEM, "out of memory");
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
  message_len = report_buffer(message, message_len);
  if (!out) return report_msg(message, message_len, WAPC_ERR_MISUSE, "out is NULL");
  memset(out, 0, sizeof *out);
  builtin *b;
  wapc_status st = builtin_new(options, &b, message, message_len);
  if (st != WAPC_OK) return st;
  provider_of(b, out);
  return WAPC_OK;
}

wapc_status wapc_wasi_run(const wapc_builtin_options *options, const uint8_t *module, size_t len,
                          int *exit_code, char *message, size_t message_len) {
  message_len = report_buffer(message, message_len);
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
    if (!vm_instance_export(g.inst, LIT("_start"), &x) || x.kind != VM_EXTERN_FUNC ||
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
  message_len = report_buffer(message, message_len);
  if (out) *out = NULL;
  if (!out) return report_msg(message, message_len, WAPC_ERR_MISUSE, "out is NULL");
  wapc_engine_provider p;
  wapc_status st = wapc_builtin_provider(options, &p, message, message_len);
  if (st != WAPC_OK) return st;
  return wapc_host_new(&p, callback, user, out, message, message_len);
}

/* ---- the compiled-module API ------------------------------------------------------------ */

/* wapc_module_compile and wapc_module_inspect: the same but for what is checked and linked. */
static wapc_status module_compile(const wapc_builtin_options *options, module_kind kind, const uint8_t *bytes,
                                  size_t len, wapc_module **out, char *message, size_t message_len) {
  message_len = report_buffer(message, message_len);
  if (out) *out = NULL;
  if (!out) return report_msg(message, message_len, WAPC_ERR_MISUSE, "out is NULL");
  if (!bytes && len) return report_msg(message, message_len, WAPC_ERR_MISUSE, "module is NULL");
  wapc_builtin_options opts;
  vm_config cfg;
  wapc_status st = options_resolve(options, &opts, &cfg, message, message_len);
  if (st != WAPC_OK) return st;
  return builtin_module_compile(&cfg, kind, bytes ? bytes : empty_module, len, out, message, message_len);
}

wapc_status wapc_module_compile(const wapc_builtin_options *options, const uint8_t *bytes, size_t len,
                                wapc_module **out, char *message, size_t message_len) {
  return module_compile(options, MODULE_WAPC, bytes, len, out, message, message_len);
}

wapc_status wapc_module_inspect(const wapc_builtin_options *options, const uint8_t *bytes, size_t len,
                                wapc_module **out, char *message, size_t message_len) {
  return module_compile(options, MODULE_INSPECT, bytes, len, out, message, message_len);
}

void wapc_module_free(wapc_module *module) {
  builtin_module_release(module);
}

wapc_status wapc_host_new_builtin_module(const wapc_builtin_options *options, wapc_module *module,
                                         wapc_host_callback callback, void *user, wapc_host **out,
                                         char *message, size_t message_len) {
  message_len = report_buffer(message, message_len);
  if (out) *out = NULL;
  if (!out || !module)
    return report_msg(message, message_len, WAPC_ERR_MISUSE, "%s is NULL", out ? "module" : "out");
  if (module->inspect)
    return report_msg(message, message_len, WAPC_ERR_MISUSE, "module compiled for inspection only");
  builtin *b;
  wapc_status st = builtin_new(options, &b, message, message_len);
  if (st != WAPC_OK) return st;
  b->preload = builtin_module_retain(module);
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
