/* SPDX-License-Identifier: Apache-2.0 */
/*
 * module.c - the module object and the engine's small shared services.  It
 * owns a loaded module's lifetime (vm_module_load copies the bytes, decodes
 * them with decode.c and compiles every body with compile.c; release frees
 * everything the module owns), the accessors the embedder uses for imports,
 * exports and size facts, the default configuration, function-type equality,
 * and the vm_error helpers with the spec's wording for each trap.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "vm/module.h"
#include "vm/types.h"
#include "vm/opcodes.h"
#include "vm/reader.h"
#include "vm/exec.h"
#if WAPC_JIT
#include "jit/jit.h"
#endif

/* ---- configuration and types ----------------------------------------- */

void vm_config_default(vm_config *cfg) {
  if (!cfg) return;
  cfg->max_call_depth = 10000;
  cfg->stack_slots = 1u << 20;
  cfg->max_memory_pages = 65536;
  cfg->max_table_elems = 10000000;
  cfg->max_functions = 1000000;
  cfg->max_locals = 50000;
  cfg->fuel = 0;
  cfg->timeout_ns = 0;
  cfg->tier = VM_TIER_AUTO;
  cfg->features = VM_FEATURES_ALL;
}

bool vm_feature_on(const vm_config *cfg, unsigned feat) {
  switch (feat) {
  case VM_FEAT_TAIL_CALL: return (cfg->features & VM_FEATURE_TAIL_CALL) != 0;
  case VM_FEAT_RELAXED_SIMD: return (cfg->features & VM_FEATURE_RELAXED_SIMD) != 0;
  case VM_FEAT_EXCEPTIONS: return (cfg->features & VM_FEATURE_EXCEPTIONS) != 0;
  case VM_FEAT_FUNCREFS: return (cfg->features & VM_FEATURE_FUNCTION_REFERENCES) != 0;
  default: return true; /* Wasm 2.0 */
  }
}

void vm_functype_slots(const vm_functype *t, uint32_t *params, uint32_t *results) {
  uint32_t p = 0, r = 0;
  for (uint32_t i = 0; i < t->nparams; i++)
    p += vm_type_slots(t->types[i]);
  for (uint32_t i = 0; i < t->nresults; i++)
    r += vm_type_slots(t->types[t->nparams + i]);
  *params = p;
  *results = r;
}

bool vm_functype_equal(const vm_functype *a, const vm_functype *b) {
  if (a == b) return true;
  if (!a || !b) return false;
  if (a->nparams != b->nparams || a->nresults != b->nresults) return false;
  size_t n = (size_t)a->nparams + a->nresults;
  if (a->typed || b->typed) {
    /* typed references: the types they name must be the same too (types.c) */
    if (a->module && b->module) return vm_type_equiv(a->module, a->index, b->module, b->index);
    for (size_t k = 0; k < n; k++) { /* an embedder's type names no module type */
      vm_vt x = vm_ft_vt(a, (uint32_t)k), y = vm_ft_vt(b, (uint32_t)k);
      if (x != y || vm_vt_concrete(x)) return false;
    }
    return true;
  }
  return n == 0 || memcmp(a->types, b->types, n) == 0;
}

/* ---- errors ----------------------------------------------------------- */

void vm_error_clear(vm_error *e) {
  if (!e) return;
  e->result = VM_OK;
  e->trap = VM_TRAP_NONE;
  e->section = -1;
  e->offset = -1;
  e->message[0] = '\0';
}

vm_result vm_error_set(vm_error *e, vm_result result, int section, int64_t offset, const char *fmt, ...) {
  if (!e) return result;
  e->result = result;
  e->trap = VM_TRAP_NONE;
  e->section = section;
  e->offset = offset;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
  return result;
}

const char *vm_trap_message(vm_trap trap) {
  switch (trap) {
  case VM_TRAP_NONE: return "no trap";
  case VM_TRAP_UNREACHABLE: return "unreachable";
  case VM_TRAP_MEMORY_OOB: return "out of bounds memory access";
  case VM_TRAP_TABLE_OOB: return "out of bounds table access";
  case VM_TRAP_UNDEFINED_ELEMENT: return "undefined element";
  case VM_TRAP_UNINITIALIZED_ELEMENT: return "uninitialized element";
  case VM_TRAP_INDIRECT_MISMATCH: return "indirect call type mismatch";
  case VM_TRAP_DIV_ZERO: return "integer divide by zero";
  case VM_TRAP_INT_OVERFLOW: return "integer overflow";
  case VM_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
  case VM_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
  case VM_TRAP_NULL_REFERENCE: return "null reference";
  case VM_TRAP_HOST: return "host function failed";
  case VM_TRAP_INTERRUPTED: return "interrupted";
  case VM_TRAP_DEADLINE: return "deadline exceeded";
  case VM_TRAP_FUEL: return "fuel exhausted";
  case VM_TRAP_EXIT: return "exit";
  case VM_TRAP_LIMIT: return "limit exceeded";
  case VM_TRAP_NOMEM: return "out of memory";
  case VM_TRAP_EXCEPTION: return "uncaught exception";
  case VM_TRAP_NULL_EXNREF: return "null exception reference";
  case VM_TRAP_NULL_FUNCREF: return "null function reference";
  }
  return "unknown trap";
}

vm_result vm_error_trap(vm_error *e, vm_trap trap) {
  if (!e) return VM_ERR_TRAP;
  vm_error_set(e, VM_ERR_TRAP, -1, -1, "%s", vm_trap_message(trap));
  e->trap = trap;
  return VM_ERR_TRAP;
}

vm_result vm_error_trap_element(vm_error *e, vm_trap trap, uint64_t idx) {
  vm_result r = vm_error_trap(e, trap);
  size_t n = strlen(e->message);
  if (n < sizeof e->message) snprintf(e->message + n, sizeof e->message - n, " %" PRIu64, idx);
  return r;
}

static const char *result_name(vm_result r) {
  switch (r) {
  case VM_OK: return "ok";
  case VM_ERR_MALFORMED: return "malformed module";
  case VM_ERR_INVALID: return "invalid module";
  case VM_ERR_LINK: return "link error";
  case VM_ERR_TRAP: return "trap";
  case VM_ERR_NOMEM: return "out of memory";
  case VM_ERR_LIMIT: return "limit exceeded";
  case VM_ERR_ARG: return "invalid argument";
  }
  return "error";
}

static const char *section_name(int id) {
  static const char *const names[] = {"custom", "type",   "import",    "function", "table",
                                      "memory", "global", "export",    "start",    "element",
                                      "code",   "data",   "data count"};
  return id >= 0 && id < (int)(sizeof names / sizeof names[0]) ? names[id] : NULL;
}

void vm_error_format(const vm_error *e, char *buf, size_t len) {
  if (!buf || len == 0) return;
  if (!e) {
    snprintf(buf, len, "no error");
    return;
  }
  const char *sec = section_name(e->section);
  if (sec && e->offset >= 0)
    snprintf(buf, len, "%s: %s (%s section, offset 0x%" PRIx64 ")", result_name(e->result), e->message, sec,
             (uint64_t)e->offset);
  else if (sec)
    snprintf(buf, len, "%s: %s (%s section)", result_name(e->result), e->message, sec);
  else if (e->offset >= 0)
    snprintf(buf, len, "%s: %s (offset 0x%" PRIx64 ")", result_name(e->result), e->message,
             (uint64_t)e->offset);
  else
    snprintf(buf, len, "%s: %s", result_name(e->result), e->message);
}

/* ---- the module ------------------------------------------------------- */

void vm_module_release(vm_module *m) {
  if (!m) return;
#if WAPC_JIT
  vm_jit_release(m);
#endif
  /* Each body's code and constants are one allocation (compile.c). */
  if (m->codes) {
    uint32_t ndefined = m->nfuncs >= m->nimported_funcs ? m->nfuncs - m->nimported_funcs : 0;
    for (uint32_t i = 0; i < ndefined; i++) {
      mem_free(m->codes[i].code);
      mem_free(m->codes[i].eh);
    }
  }
  if (m->elems)
    for (uint32_t i = 0; i < m->nelems; i++)
      mem_free(m->elems[i].items);
  mem_free(m->codes);
  mem_free(m->elems);
  mem_free(m->datas);
  mem_free(m->types);
  mem_free(m->type_storage);
  mem_free(m->type_vts);
  mem_free(m->type_canon);
  mem_free(m->table_inits);
  mem_free(m->imports);
  mem_free(m->func_types);
  mem_free(m->func_declared);
  mem_free(m->tables);
  mem_free(m->memories);
  mem_free(m->global_types);
  mem_free(m->globals);
  mem_free(m->tag_types);
  mem_free(m->const_ops);
  mem_free(m->exports);
  mem_free(m->bytes);
  vm_config cfg = m->cfg;
  memset(m, 0, sizeof *m);
  m->cfg = cfg;
}

void vm_module_free(vm_module *m) {
  if (!m) return;
  vm_module_release(m);
  mem_free(m);
}

vm_module *vm_module_load(const uint8_t *bytes, size_t len, const vm_config *cfg, vm_error *err) {
  vm_error scratch;
  if (!err) err = &scratch;
  vm_error_clear(err);
  if (!bytes && len) {
    vm_error_set(err, VM_ERR_ARG, -1, -1, "no module bytes");
    return NULL;
  }
  /* Offsets into the binary are 32-bit in the module structures. */
  if (len > UINT32_MAX) {
    vm_error_set(err, VM_ERR_LIMIT, -1, -1, "module too large");
    return NULL;
  }
  vm_module *m = mem_calloc(1, sizeof *m);
  if (!m) {
    vm_error_set(err, VM_ERR_NOMEM, -1, -1, "out of memory");
    return NULL;
  }
  if (cfg)
    m->cfg = *cfg;
  else
    vm_config_default(&m->cfg);
  m->bytes = mem_malloc(len ? len : 1);
  if (!m->bytes) {
    vm_error_set(err, VM_ERR_NOMEM, -1, -1, "out of memory");
    goto fail;
  }
  if (len) memcpy(m->bytes, bytes, len);
  m->len = len;

  if (vm_decode(m, err) != VM_OK) goto fail;
  /* Each memory reserves address space for its maximum (multi-memory): a few, not thousands. */
  if (m->nmemories > VM_MAX_MEMORIES) {
    vm_error_set(err, VM_ERR_LIMIT, -1, -1, "too many memories: %" PRIu32 " (limit %u)", m->nmemories,
                 VM_MAX_MEMORIES);
    goto fail;
  }
  if (m->nfuncs > m->cfg.max_functions) {
    vm_error_set(err, VM_ERR_LIMIT, -1, -1, "too many functions: %" PRIu32 " (limit %" PRIu32 ")", m->nfuncs,
                 m->cfg.max_functions);
    goto fail;
  }
  /* A memory or table that could never be created under this config is
   * refused now, before any instance is attempted. */
  for (uint32_t i = m->nimported_memories; i < m->nmemories; i++)
    if (m->memories[i].min > m->cfg.max_memory_pages) {
      vm_error_set(err, VM_ERR_LIMIT, -1, -1,
                   "memory of %" PRIu64 " pages exceeds the limit of %" PRIu32 " pages", m->memories[i].min,
                   m->cfg.max_memory_pages);
      goto fail;
    }
  for (uint32_t i = m->nimported_tables; i < m->ntables; i++)
    if (m->tables[i].limits.min > m->cfg.max_table_elems) {
      vm_error_set(err, VM_ERR_LIMIT, -1, -1,
                   "table of %" PRIu64 " elements exceeds the limit of %" PRIu32 " elements",
                   m->tables[i].limits.min, m->cfg.max_table_elems);
      goto fail;
    }
  if (vm_compile_functions(m, err) != VM_OK) goto fail;
    /* Every tier reads the compiled code while its opcode words are plain
     * vm_op numbers: first the compiler tier (it never fails a load: a
     * function it does not compile runs in the interpreter), then the
     * interpreter's own rewriting. */
#if WAPC_JIT
  vm_jit_compile_module(m);
#endif
  for (uint32_t i = 0; i < m->nfuncs - m->nimported_funcs; i++)
    vm_ir_thread(m->codes[i].code, m->codes[i].ncode);
  return m;

fail:
  vm_module_free(m);
  return NULL;
}

/* ---- accessors -------------------------------------------------------- */

uint32_t vm_module_num_imports(const vm_module *m) {
  return m ? m->nimports : 0;
}

void vm_module_import(const vm_module *m, uint32_t i, vm_import_desc *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (!m || i >= m->nimports) return;
  const vm_import *im = &m->imports[i];
  out->module = im->module;
  out->module_len = im->module_len;
  out->name = im->name;
  out->name_len = im->name_len;
  out->kind = im->kind;
  switch (im->kind) {
  case VM_EXTERN_FUNC:
  case VM_EXTERN_TAG:
    out->type.func = im->type.func_type < m->ntypes ? &m->types[im->type.func_type] : NULL;
    break;
  case VM_EXTERN_TABLE: out->type.table = im->type.table; break;
  case VM_EXTERN_MEMORY: out->type.memory = im->type.memory; break;
  default: out->type.global = im->type.global; break;
  }
}

uint32_t vm_module_num_exports(const vm_module *m) {
  return m ? m->nexports : 0;
}

void vm_module_export(const vm_module *m, uint32_t i, vm_export_desc *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (!m || i >= m->nexports) return;
  const vm_export *ex = &m->exports[i];
  out->name = ex->name;
  out->name_len = ex->name_len;
  out->kind = ex->kind;
  out->index = ex->index;
  switch (ex->kind) {
  case VM_EXTERN_FUNC: out->type.func = vm_module_func_type(m, ex->index); break;
  case VM_EXTERN_TABLE:
    if (ex->index < m->ntables) out->type.table = m->tables[ex->index];
    break;
  case VM_EXTERN_MEMORY:
    if (ex->index < m->nmemories) out->type.memory = m->memories[ex->index];
    break;
  case VM_EXTERN_TAG:
    if (ex->index < m->ntags && m->tag_types[ex->index] < m->ntypes)
      out->type.func = &m->types[m->tag_types[ex->index]];
    break;
  default:
    if (ex->index < m->nglobals) out->type.global = m->global_types[ex->index];
    break;
  }
}

const vm_functype *vm_module_func_type(const vm_module *m, uint32_t funcidx) {
  if (!m || funcidx >= m->nfuncs) return NULL;
  return &m->types[m->func_types[funcidx]];
}

bool vm_module_custom_section(const vm_module *m, uint32_t index, vm_custom_section *out) {
  if (!m || !out) return false;
  /* The module was decoded from these bytes: every section header and name is well formed. */
  vm_reader r;
  vm_reader_init(&r, m->bytes, m->len);
  r.pos += 8; /* magic and version */
  uint32_t seen = 0;
  while (!vm_reader_eof(&r)) {
    uint8_t id;
    uint32_t size;
    if (!vm_read_u8(&r, &id) || !vm_read_u32(&r, &size) || size > vm_reader_left(&r)) return false;
    const uint8_t *body = r.pos;
    r.pos += size;
    if (id != 0 || seen++ != index) continue;
    vm_reader c;
    vm_reader_init(&c, body, size);
    uint32_t name_len;
    if (!vm_read_u32(&c, &name_len) || name_len > vm_reader_left(&c)) return false;
    out->name = (const char *)c.pos;
    out->name_len = name_len;
    out->data = c.pos + name_len;
    out->len = (size_t)(body + size - out->data);
    return true;
  }
  return false;
}

void vm_module_get_info(const vm_module *m, vm_module_info *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (!m) return;
  out->num_types = m->ntypes;
  out->num_funcs = m->nfuncs;
  out->num_imported_funcs = m->nimported_funcs;
  out->num_tables = m->ntables;
  out->num_memories = m->nmemories;
  out->num_globals = m->nglobals;
  out->num_exports = m->nexports;
  out->num_elems = m->nelems;
  out->num_datas = m->ndatas;
  out->code_bytes = m->code_bytes;
  out->compiled_bytes = m->compiled_bytes;
  out->native_status = "compiler not built in";
#if WAPC_JIT
  vm_jit_info ji;
  vm_jit_module_info(m, &ji);
  out->native_funcs = ji.compiled;
  out->native_bytes = ji.code_bytes;
  out->native_status = ji.status;
#endif
}
