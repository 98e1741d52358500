/* SPDX-License-Identifier: Apache-2.0 */
/*
 * module.c - compiled guest modules (module.h): decode, validate and compile
 * once, check the exports a waPC guest (or a WASI command) needs, resolve
 * and type-check its imports once for all its instances; reference counted.
 */
#include "builtin/module.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "builtin/imports.h"
#include "builtin/messages.h"
#include "util/mem.h"
#include "util/report.h"
#include "wasi/wasi.h"

wapc_module *builtin_module_retain(wapc_module *m) {
  atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
  return m;
}

void builtin_module_release(wapc_module *m) {
  if (!m || atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1) return;
  vm_image_free(m->image);
  vm_module_free(m->vm);
  vm_pool_free(m->pool); /* after every store: each store holds a module reference */
  mem_free(m->links);
  mem_free(m);
}

static bool name_is(const char *s, size_t len, const char *lit) {
  return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/* The link error for an import whose type does not match what the host provides. */
static wapc_status type_mismatch(char *msg, size_t msglen, const vm_import_desc *d, const vm_functype *want) {
  char want_s[160], got_s[256];
  builtin_format_functype(want, want_s, sizeof want_s);
  if (d->kind == VM_EXTERN_FUNC)
    builtin_format_functype(d->type.func, got_s, sizeof got_s);
  else
    snprintf(got_s, sizeof got_s, "%s", builtin_kind_name(d->kind));
  return report_msg(msg, msglen, WAPC_ERR_LINK,
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
  if (!m->links) return report_msg(msg, msglen, WAPC_ERR_NOMEM, "out of memory");
  m->nimports = n;
  for (uint32_t i = 0; i < n; i++) {
    vm_import_desc d;
    vm_module_import(m->vm, i, &d);
    link_entry *l = &m->links[i];
    if (wasi_import(d.module, d.module_len, d.name, d.name_len, &l->type, &l->fn)) {
      if (d.kind != VM_EXTERN_FUNC || !vm_functype_equal(d.type.func, &l->type))
        return type_mismatch(msg, msglen, &d, &l->type);
      l->wapc = BUILTIN_NUM_IMPORTS;
      continue;
    }
    unsigned k = BUILTIN_NUM_IMPORTS;
    /* wasmCloud 0.x actors import the same functions from "wasmbus". */
    if (!m->command &&
        (name_is(d.module, d.module_len, "wapc") || name_is(d.module, d.module_len, "wasmbus")))
      k = builtin_wapc_import(d.name, d.name_len, &l->type, &l->fn);
    if (k == BUILTIN_NUM_IMPORTS)
      return report_msg(msg, msglen, WAPC_ERR_LINK, "unknown import \"%.*s\".\"%.*s\"", (int)d.module_len,
                        d.module, (int)d.name_len, d.name);
    if (d.kind != VM_EXTERN_FUNC || !vm_functype_equal(d.type.func, &l->type))
      return type_mismatch(msg, msglen, &d, &l->type);
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
static const vm_functype guest_call_type = {.nparams = 2, .nresults = 1, .types = guest_call_types};

/* `__guest_call` must exist with type (i32, i32) -> i32: checked on the module, before anything runs. */
static wapc_status check_guest_call(const vm_module *m, char *msg, size_t msglen) {
  uint32_t index;
  if (!find_export(m, "__guest_call", VM_EXTERN_FUNC, &index))
    return report_msg(msg, msglen, WAPC_ERR_LINK, "module does not export function \"__guest_call\"");
  const vm_functype *t = vm_module_func_type(m, index);
  if (!t || !vm_functype_equal(t, &guest_call_type)) {
    char got[256] = "?";
    if (t) builtin_format_functype(t, got, sizeof got);
    return report_msg(msg, msglen, WAPC_ERR_LINK,
                      "export \"__guest_call\" has type %s, expected (i32, i32) -> i32", got);
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
  return report_msg(msg, msglen, st, "%s", text);
}

/*
 * Decode, validate and compile `bytes`, check the exports a waPC guest (or a
 * WASI command) needs, and resolve its imports: everything about a module
 * that does not depend on an instance.
 */
wapc_status builtin_module_compile(const vm_config *cfg, module_kind kind, const uint8_t *bytes, size_t len,
                                   wapc_module **out, char *msg, size_t msglen) {
  *out = NULL;
  wapc_module *m = mem_calloc(1, sizeof *m);
  if (!m) return report_msg(msg, msglen, WAPC_ERR_NOMEM, "out of memory");
  atomic_init(&m->refs, 1);
  atomic_init(&m->image_state, IMAGE_NONE);
  bool command = kind == MODULE_COMMAND;
  m->command = command;
  m->inspect = kind == MODULE_INSPECT;
  vm_error err;
  vm_error_clear(&err);
  m->vm = vm_module_load(bytes, len, cfg, &err);
  m->pool = vm_pool_new();
  wapc_status st = WAPC_OK;
  if (!m->pool) {
    st = report_msg(msg, msglen, WAPC_ERR_NOMEM, "out of memory");
  } else if (!m->vm) {
    st = load_error(&err, msg, msglen);
  } else if (m->inspect) {
    /* nothing to check: the module only answers questions */
  } else if (command) {
    if (!module_exports(m->vm, "_start", VM_EXTERN_FUNC))
      st = report_msg(msg, msglen, WAPC_ERR_LINK, "module does not export function \"_start\"");
  } else {
    /* The required exports are checked before anything runs (the start section included). */
    st = check_guest_call(m->vm, msg, msglen);
    if (st == WAPC_OK && !module_exports(m->vm, "memory", VM_EXTERN_MEMORY))
      st = report_msg(msg, msglen, WAPC_ERR_LINK, "module does not export memory \"memory\"");
  }
  if (st == WAPC_OK && !m->inspect) st = resolve_imports(m, msg, msglen);
  if (st != WAPC_OK) {
    builtin_module_release(m);
    return st;
  }
  *out = m;
  return WAPC_OK;
}

size_t wapc_module_custom_section_count(const wapc_module *m) {
  size_t n = 0;
  vm_custom_section c;
  while (m && n < UINT32_MAX && vm_module_custom_section(m->vm, (uint32_t)n, &c))
    n++;
  return n;
}

wapc_status wapc_module_custom_section(const wapc_module *m, size_t index, const char **name,
                                       size_t *name_len, const uint8_t **data, size_t *len) {
  vm_custom_section c;
  if (!m || !name || !name_len || !data || !len || index >= UINT32_MAX ||
      !vm_module_custom_section(m->vm, (uint32_t)index, &c))
    return WAPC_ERR_MISUSE;
  *name = c.name;
  *name_len = c.name_len;
  *data = c.data;
  *len = c.len;
  return WAPC_OK;
}

/* ---- introspection -------------------------------------------------------------------- */

static void signature(const vm_functype *t, char *buf, size_t len) {
  size_t n = 0;
  buf[0] = '\0';
  for (uint32_t part = 0; part < 2 && t; part++) {
    uint32_t from = part ? t->nparams : 0, to = part ? t->nparams + t->nresults : t->nparams;
    n += (size_t)snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, "%s(", part ? " -> " : "");
    for (uint32_t i = from; i < to; i++) {
      const char *name = builtin_valtype_name(t->types[i]);
      n += (size_t)snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, "%s%s", i > from ? ", " : "",
                            name);
    }
    n += (size_t)snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, ")");
  }
}

/* *out from an import's or export's kind and type (only the member of that kind is read). */
static void item_of(const char *module, uint32_t module_len, const char *name, uint32_t name_len,
                    uint8_t kind, const vm_functype *const *func, const vm_tabletype *tablep,
                    const vm_limits *memoryp, const vm_globaltype *globalp, wapc_module_item *out) {
  memset(out, 0, sizeof *out);
  out->module = module;
  out->module_len = module_len;
  out->name = name;
  out->name_len = name_len;
  out->kind = kind == VM_EXTERN_FUNC     ? WAPC_EXTERN_FUNCTION
              : kind == VM_EXTERN_TABLE  ? WAPC_EXTERN_TABLE
              : kind == VM_EXTERN_MEMORY ? WAPC_EXTERN_MEMORY
                                         : WAPC_EXTERN_GLOBAL;
  switch (kind) {
  case VM_EXTERN_FUNC:
    if (*func) {
      out->params = (*func)->nparams;
      out->results = (*func)->nresults;
    }
    signature(*func, out->signature, sizeof out->signature);
    break;
  case VM_EXTERN_TABLE: {
    vm_tabletype table = *tablep;
    out->min = table.limits.min;
    out->max = table.limits.max;
    out->has_max = table.limits.has_max;
    snprintf(out->signature, sizeof out->signature, "%s", builtin_valtype_name(table.elemtype));
    break;
  }
  case VM_EXTERN_MEMORY:
    out->min = memoryp->min;
    out->max = memoryp->max;
    out->has_max = memoryp->has_max;
    break;
  default: {
    vm_globaltype global = *globalp;
    out->mutable_ = global.mutable_;
    snprintf(out->signature, sizeof out->signature, "%s%s", global.mutable_ ? "mut " : "",
             builtin_valtype_name(global.type));
    break;
  }
  }
}

size_t wapc_module_import_count(const wapc_module *m) {
  return m ? vm_module_num_imports(m->vm) : 0;
}

wapc_status wapc_module_import(const wapc_module *m, size_t index, wapc_module_item *out) {
  if (!m || !out || index >= vm_module_num_imports(m->vm)) return WAPC_ERR_MISUSE;
  vm_import_desc d;
  vm_module_import(m->vm, (uint32_t)index, &d);
  item_of(d.module, d.module_len, d.name, d.name_len, d.kind, &d.type.func, &d.type.table, &d.type.memory,
          &d.type.global, out);
  return WAPC_OK;
}

size_t wapc_module_export_count(const wapc_module *m) {
  return m ? vm_module_num_exports(m->vm) : 0;
}

wapc_status wapc_module_export(const wapc_module *m, size_t index, wapc_module_item *out) {
  if (!m || !out || index >= vm_module_num_exports(m->vm)) return WAPC_ERR_MISUSE;
  vm_export_desc d;
  vm_module_export(m->vm, (uint32_t)index, &d);
  item_of("", 0, d.name, d.name_len, d.kind, &d.type.func, &d.type.table, &d.type.memory, &d.type.global,
          out);
  return WAPC_OK;
}

void wapc_module_info_get(const wapc_module *m, wapc_module_info *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (!m) return;
  vm_module_info in;
  vm_module_get_info(m->vm, &in);
  out->functions = in.num_funcs;
  out->imported_functions = in.num_imported_funcs;
  out->compiled_functions = in.native_funcs;
  out->code_bytes = in.code_bytes;
  out->machine_code_bytes = in.native_bytes;
  out->machine_code_status = in.native_status;
}
