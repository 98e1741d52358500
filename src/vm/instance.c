/* SPDX-License-Identifier: Apache-2.0 */
/*
 * instance.c - instantiation (declared in vm.h and runtime.h): checking the
 * embedder's imports against the module, building an instance's function,
 * table, memory and global index spaces, running the active element and data
 * segments and the start function in the spec's order, export lookup, and the
 * segment operations (table.init / memory.init) and constant expressions the
 * interpreter shares.  An instance is on its store's list from the moment it
 * is allocated, so a failed instantiation leaves nothing unowned.
 */
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "vm/store.h"
#include "vm/types.h"

/* calloc that never returns NULL for a zero count, so NULL means failure. */
static void *alloc_array(size_t n, size_t size) {
  return mem_calloc(n ? n : 1, size);
}

void vm_instance_release(vm_instance *inst) {
  mem_free(inst->funcs);
  mem_free(inst->tables);
  mem_free(inst->memories);
  mem_free(inst->globals);
  mem_free(inst->tags);
  mem_free(inst->elem_dropped);
  mem_free(inst->data_dropped);
  mem_free(inst->own_funcs);
  mem_free(inst);
}

/* ---- constant expressions and segments ------------------------------------ */

uint64_t vm_const_eval(vm_instance *inst, const vm_const_expr *e) {
  const vm_module *m = inst->module;
  switch (e->kind) {
  case VM_CONST_I32:
  case VM_CONST_F32: return (uint32_t)e->value;
  case VM_CONST_I64:
  case VM_CONST_F64:
  case VM_CONST_V128: return e->value;
  case VM_CONST_GLOBAL_GET:
    /* Validation allows only globals defined before this point; the checks
     * keep a partly built instance safe anyway. */
    if (e->index < m->nglobals && inst->globals[e->index]) return inst->globals[e->index]->value;
    return 0;
  case VM_CONST_REF_FUNC:
    if (e->index < m->nfuncs) return (uint64_t)(uintptr_t)inst->funcs[e->index];
    return 0;
  case VM_CONST_REF_NULL: return 0;
  case VM_CONST_PROGRAM: {
    /* Validated: operands are there, of the right types, at most VM_CONST_MAX_DEPTH deep. */
    uint64_t st[VM_CONST_MAX_DEPTH];
    uint32_t sp = 0;
    for (uint32_t i = 0; i < (uint32_t)e->value; i++) {
      const vm_const_expr *it = &m->const_ops[e->index + i];
      uint64_t a = sp >= 2 ? st[sp - 2] : 0, b = sp >= 1 ? st[sp - 1] : 0, r;
      switch (it->kind) {
      case VM_CONST_I32_ADD: r = (uint32_t)(a + b); break;
      case VM_CONST_I32_SUB: r = (uint32_t)(a - b); break;
      case VM_CONST_I32_MUL: r = (uint32_t)((uint32_t)a * (uint32_t)b); break;
      case VM_CONST_I64_ADD: r = a + b; break;
      case VM_CONST_I64_SUB: r = a - b; break;
      case VM_CONST_I64_MUL: r = a * b; break;
      default:
        if (sp < VM_CONST_MAX_DEPTH) st[sp++] = vm_const_eval(inst, it);
        continue;
      }
      if (sp >= 2) st[--sp - 1] = r;
    }
    return sp ? st[sp - 1] : 0;
  }
  default: return 0;
  }
  return 0;
}

vm_trap vm_table_init_op(vm_instance *inst, uint32_t table, uint32_t seg, uint64_t raw_d, uint32_t s,
                         uint32_t n) {
  const vm_module *m = inst->module;
  if (table >= m->ntables || seg >= m->nelems || !inst->tables[table]) return VM_TRAP_TABLE_OOB;
  vm_table *t = inst->tables[table];
  uint64_t d = vm_table_index(t, raw_d);
  const vm_elem *e = &m->elems[seg];
  uint64_t len = inst->elem_dropped[seg] ? 0 : e->count;
  if ((uint64_t)s + n > len || d > t->size || n > t->size - d) return VM_TRAP_TABLE_OOB;
  for (uint32_t k = 0; k < n; k++)
    t->elems[d + k] = (void *)(uintptr_t)vm_const_eval(inst, &e->items[s + k]);
  return VM_TRAP_NONE;
}

vm_trap vm_memory_init_op(vm_instance *inst, uint32_t seg, uint32_t d, uint32_t s, uint32_t n) {
  return vm_memory_init_at(inst, 0, seg, d, s, n);
}

vm_trap vm_memory_init_at(vm_instance *inst, uint32_t memidx, uint32_t seg, uint64_t d, uint32_t s,
                          uint32_t n) {
  const vm_module *m = inst->module;
  vm_memory *mem = memidx < m->nmemories ? inst->memories[memidx] : NULL;
  if (seg >= m->ndatas || !mem) return VM_TRAP_MEMORY_OOB;
  const vm_data *data = &m->datas[seg];
  uint64_t len = inst->data_dropped[seg] ? 0 : data->len;
  if ((uint64_t)s + n > len || d > mem->size || n > mem->size - d) return VM_TRAP_MEMORY_OOB;
  if (n) memcpy(mem->data + d, data->bytes + s, n);
  return VM_TRAP_NONE;
}

/* ---- linking ---------------------------------------------------------------- */

/* Limits subtyping: the provided object (its current size, its declared max)
 * must fit inside what the import asks for. */
static bool limits_match(uint64_t have_min, bool have_has_max, uint64_t have_max, const vm_limits *want) {
  if (have_min < want->min) return false;
  if (!want->has_max) return true;
  return have_has_max && have_max <= want->max;
}

static bool import_matches(const vm_module *m, const vm_import *im, const vm_extern *ex) {
  if (ex->kind != im->kind) return false;
  switch (im->kind) {
  case VM_EXTERN_FUNC:
    return im->type.func_type < m->ntypes &&
           vm_functype_equal(vm_func_type(ex->u.func), &m->types[im->type.func_type]);
  case VM_EXTERN_TABLE: {
    const vm_table *t = ex->u.table;
    vm_vt have = vm_table_vt(&t->type), want = vm_table_vt(&im->type.table);
    return vm_vt_sub_across(t->tmod, have, m, want) && vm_vt_sub_across(m, want, t->tmod, have) &&
           t->type.limits.is64 == im->type.table.limits.is64 &&
           limits_match(t->size, t->type.limits.has_max, t->type.limits.max, &im->type.table.limits);
  }
  case VM_EXTERN_MEMORY: {
    const vm_memory *mem = ex->u.memory;
    return mem->limits.is64 == im->type.memory.is64 &&
           limits_match(mem->pages, mem->limits.has_max, mem->limits.max, &im->type.memory);
  }
  case VM_EXTERN_GLOBAL: {
    /* an immutable global may be of a subtype; a mutable one of the same type */
    const vm_global *g = ex->u.global;
    vm_vt have = vm_global_vt(&g->type), want = vm_global_vt(&im->type.global);
    if (g->type.mutable_ != im->type.global.mutable_ || !vm_vt_sub_across(g->tmod, have, m, want))
      return false;
    return !g->type.mutable_ || vm_vt_sub_across(m, want, g->tmod, have);
  }
  case VM_EXTERN_TAG:
    return im->type.func_type < m->ntypes &&
           vm_functype_equal(ex->u.tag->type, &m->types[im->type.func_type]);
  }
  return false;
}

static vm_result check_imports(const vm_module *m, const vm_extern *imports, uint32_t n, vm_error *err) {
  if (n != m->nimports || (n && !imports))
    return vm_error_set(err, VM_ERR_ARG, -1, -1, "wrong number of imports: the module has %u, %u given",
                        m->nimports, n);
  for (uint32_t i = 0; i < n; i++) {
    if (!imports[i].u.func) return vm_error_set(err, VM_ERR_ARG, -1, -1, "import %u is NULL", i);
    if (!import_matches(m, &m->imports[i], &imports[i]))
      return vm_error_set(err, VM_ERR_LINK, -1, -1, "incompatible import type");
  }
  return VM_OK;
}

/* ---- instantiation ---------------------------------------------------------- */

/* Allocate the instance and its index-space arrays, already owned by `s`. */
static vm_instance *instance_alloc(vm_store *s, const vm_module *m) {
  vm_instance *inst = mem_calloc(1, sizeof *inst);
  if (!inst) return NULL;
  inst->module = m;
  inst->store = s;
  inst->next = s->instances;
  s->instances = inst;
  inst->funcs = alloc_array(m->nfuncs, sizeof *inst->funcs);
  inst->tables = alloc_array(m->ntables, sizeof *inst->tables);
  inst->memories = alloc_array(m->nmemories, sizeof *inst->memories);
  inst->globals = alloc_array(m->nglobals, sizeof *inst->globals);
  inst->tags = alloc_array(m->ntags, sizeof *inst->tags);
  inst->elem_dropped = alloc_array(m->nelems, 1);
  inst->data_dropped = alloc_array(m->ndatas, 1);
  inst->own_funcs = alloc_array(m->nfuncs - m->nimported_funcs, sizeof *inst->own_funcs);
  if (!inst->funcs || !inst->tables || !inst->memories || !inst->globals || !inst->tags ||
      !inst->elem_dropped || !inst->data_dropped || !inst->own_funcs)
    return NULL;
  return inst;
}

/* Fill the index spaces: imports first, then the module's own objects (with
 * an image, globals are left for vm_image_apply). */
static vm_result instance_build(vm_store *s, vm_instance *inst, const vm_extern *imports, const vm_image *img,
                                vm_error *err) {
  const vm_module *m = inst->module;
  uint32_t nf = 0, nt = 0, nm = 0, ng = 0, ntag = 0;
  for (uint32_t i = 0; i < m->nimports; i++) {
    const vm_extern *ex = &imports[i];
    switch (ex->kind) {
    case VM_EXTERN_FUNC:
      if (nf < m->nfuncs) inst->funcs[nf++] = ex->u.func;
      break;
    case VM_EXTERN_TABLE:
      if (nt < m->ntables) inst->tables[nt++] = ex->u.table;
      break;
    case VM_EXTERN_MEMORY:
      if (nm < m->nmemories) inst->memories[nm++] = ex->u.memory;
      break;
    case VM_EXTERN_GLOBAL:
      if (ng < m->nglobals) inst->globals[ng++] = ex->u.global;
      break;
    case VM_EXTERN_TAG:
      if (ntag < m->ntags) inst->tags[ntag++] = ex->u.tag;
      break;
    }
  }
  if (nf != m->nimported_funcs || nt != m->nimported_tables || nm != m->nimported_memories ||
      ng != m->nimported_globals || ntag != m->nimported_tags)
    return vm_error_set(err, VM_ERR_ARG, -1, -1, "inconsistent module imports");

  for (uint32_t i = nf; i < m->nfuncs; i++) {
    vm_func *f = &inst->own_funcs[i - nf];
    if (m->func_types[i] >= m->ntypes) return vm_error_set(err, VM_ERR_ARG, -1, -1, "inconsistent module");
    f->type = &m->types[m->func_types[i]];
    f->inst = inst;
    f->code = &m->codes[i - nf];
    inst->funcs[i] = f;
  }
  for (uint32_t i = nt; i < m->ntables; i++) {
    /* the elements' initial value (3.0: an initialiser expression; it sees imported globals) */
    void *init = m->table_inits && m->table_inits[i].type && !img
                     ? (void *)(uintptr_t)vm_const_eval(inst, &m->table_inits[i])
                     : NULL;
    inst->tables[i] = vm_table_new(s, m->tables[i], init);
    if (!inst->tables[i]) goto store_error;
    inst->tables[i]->tmod = m;
  }
  for (uint32_t i = nm; i < m->nmemories; i++) {
    inst->memories[i] = vm_memory_new(s, m->memories[i]);
    if (!inst->memories[i]) goto store_error;
  }
  inst->memory = m->nmemories ? inst->memories[0] : NULL;
  if (m->ntags > ntag) {
    /* The module's own tags: new identities, one block. */
    vm_tag *ts = vm_store_alloc(s, (size_t)(m->ntags - ntag) * sizeof *ts, NULL);
    if (!ts) return vm_error_set(err, VM_ERR_NOMEM, -1, -1, "out of memory");
    for (uint32_t i = ntag; i < m->ntags; i++) {
      if (m->tag_types[i] >= m->ntypes) return vm_error_set(err, VM_ERR_ARG, -1, -1, "inconsistent module");
      vm_tag *t = &ts[i - ntag];
      t->type = &m->types[m->tag_types[i]];
      uint32_t results;
      vm_functype_slots(t->type, &t->nslots, &results);
      inst->tags[i] = t;
    }
  }
  if (m->nglobals > ng) {
    /* One block for all defined globals; initialisers see earlier globals. */
    vm_global *gs = vm_store_alloc(s, (size_t)(m->nglobals - ng) * sizeof *gs, NULL);
    if (!gs) return vm_error_set(err, VM_ERR_NOMEM, -1, -1, "out of memory");
    for (uint32_t i = ng; i < m->nglobals; i++) {
      vm_global *g = &gs[i - ng];
      g->type = m->globals[i - ng].type;
      g->tmod = m;
      const vm_const_expr *e = &m->globals[i - ng].init;
      g->value = img ? 0 : vm_const_eval(inst, e);
      /* A v128's high half: from v128.const, or from the imported global it reads. */
      if (!img && e->kind == VM_CONST_V128) g->hi = e->hi;
      if (!img && e->kind == VM_CONST_GLOBAL_GET && e->index < m->nglobals && inst->globals[e->index])
        g->hi = inst->globals[e->index]->hi;
      inst->globals[i] = g;
    }
  }
  return VM_OK;

store_error:
  *err = s->error;
  return err->result;
}

/* Active element and data segments, then the start function (Wasm 2.0 order).
 * A trap stops here; writes made before it stay. */
static vm_result instance_init(vm_store *s, vm_instance *inst, vm_error *err) {
  const vm_module *m = inst->module;
  for (uint32_t i = 0; i < m->nelems; i++) {
    const vm_elem *e = &m->elems[i];
    if (e->mode == VM_SEG_ACTIVE) {
      uint64_t d = vm_const_eval(inst, &e->offset);
      vm_trap t = vm_table_init_op(inst, e->table, i, d, 0, e->count);
      if (t != VM_TRAP_NONE) return vm_error_trap(err, t);
    }
    if (e->mode != VM_SEG_PASSIVE) inst->elem_dropped[i] = 1;
  }
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const vm_data *dseg = &m->datas[i];
    if (dseg->mode != VM_SEG_ACTIVE) continue;
    uint64_t d = vm_const_eval(inst, &dseg->offset);
    if (dseg->memory < m->nmemories && !m->memories[dseg->memory].is64) d = (uint32_t)d;
    vm_trap t = vm_memory_init_at(inst, dseg->memory, i, d, 0, dseg->len);
    if (t != VM_TRAP_NONE) return vm_error_trap(err, t);
    inst->data_dropped[i] = 1;
  }
  if (m->has_start) {
    if (m->start >= m->nfuncs) return vm_error_set(err, VM_ERR_ARG, -1, -1, "inconsistent module");
    vm_func *f = inst->funcs[m->start];
    uint64_t slots[1] = {0};
    vm_result r;
    if (f->code) {
      r = vm_invoke(s, f, slots);
    } else {
      /* An imported start function gets the new instance as its caller. */
      vm_error_clear(&s->error);
      r = vm_call_host(s, f, inst, slots);
    }
    if (r != VM_OK) {
      *err = s->error;
      return r;
    }
  }
  return VM_OK;
}

/* vm_instantiate, or with `img` vm_instantiate_image. */
static vm_instance *instantiate(vm_store *s, const vm_module *m, const vm_extern *imports, uint32_t nimports,
                                const vm_image *img, vm_error *err) {
  vm_error local;
  if (!err) err = &local;
  vm_error_clear(err);
  if (!s || !m) {
    vm_error_set(err, VM_ERR_ARG, -1, -1, "no store or module");
    return NULL;
  }
  vm_instance *inst = NULL;
  if (check_imports(m, imports, nimports, err) != VM_OK) goto fail;
  inst = instance_alloc(s, m);
  if (!inst) {
    vm_error_set(err, VM_ERR_NOMEM, -1, -1, "out of memory");
    goto fail;
  }
  if (instance_build(s, inst, imports, img, err) != VM_OK) goto fail;
  if ((img ? vm_image_apply(img, inst, err) : instance_init(s, inst, err)) != VM_OK) goto fail;
  return inst;

fail:
  s->error = *err;
  return NULL;
}

vm_instance *vm_instantiate(vm_store *s, const vm_module *m, const vm_extern *imports, uint32_t nimports,
                            vm_error *err) {
  return instantiate(s, m, imports, nimports, NULL, err);
}

vm_instance *vm_instantiate_image(vm_store *s, const vm_module *m, const vm_extern *imports,
                                  uint32_t nimports, const vm_image *img, vm_error *err) {
  if (!img) {
    vm_error local;
    if (!err) err = &local;
    vm_error_set(err, VM_ERR_ARG, -1, -1, "no image");
    if (s) s->error = *err;
    return NULL;
  }
  return instantiate(s, m, imports, nimports, img, err);
}

/* ---- exports ------------------------------------------------------------------ */

bool vm_instance_export(vm_instance *inst, const char *name, size_t name_len, vm_extern *out) {
  const vm_module *m = inst->module;
  if (name_len && !name) return false;
  for (uint32_t i = 0; i < m->nexports; i++) {
    const vm_export *e = &m->exports[i];
    if (e->name_len != name_len || (name_len && memcmp(e->name, name, name_len) != 0)) continue;
    out->kind = e->kind;
    switch (e->kind) {
    case VM_EXTERN_FUNC:
      if (e->index >= m->nfuncs) return false;
      out->u.func = inst->funcs[e->index];
      return true;
    case VM_EXTERN_TABLE:
      if (e->index >= m->ntables) return false;
      out->u.table = inst->tables[e->index];
      return true;
    case VM_EXTERN_MEMORY:
      if (e->index >= m->nmemories) return false;
      out->u.memory = inst->memories[e->index];
      return true;
    case VM_EXTERN_GLOBAL:
      if (e->index >= m->nglobals) return false;
      out->u.global = inst->globals[e->index];
      return true;
    case VM_EXTERN_TAG:
      if (e->index >= m->ntags) return false;
      out->u.tag = inst->tags[e->index];
      return true;
    }
    return false;
  }
  return false;
}

vm_memory *vm_instance_memory(vm_instance *inst) {
  return inst->memory;
}

uint8_t *vm_instance_memory_range(vm_instance *inst, uint64_t ptr, uint64_t len) {
  const vm_memory *m = inst->memory;
  if (!m || ptr > m->size || len > m->size - ptr) return NULL;
  return m->data + ptr;
}

const vm_module *vm_instance_module(const vm_instance *inst) {
  return inst->module;
}
