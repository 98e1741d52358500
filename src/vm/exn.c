/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exn.c - exception handling at run time (exn.h): tags made by the embedder,
 * exceptions (made by throw, owned by the store, collected when nothing
 * refers to them) and the handler lookup the interpreter does while an
 * exception unwinds.
 */
#include "vm/exn.h"

#include <string.h>

#include "util/mem.h"
#include "vm/store.h"

/* ---- tags -------------------------------------------------------------------- */

vm_tag *vm_tag_new(vm_store *s, const vm_functype *type) {
  if (!s || !type || type->nresults != 0 || (type->nparams && !type->types)) return NULL;
  vm_tag *t = vm_store_alloc(s, sizeof(vm_tag) + type->nparams, NULL);
  if (!t) return NULL;
  uint8_t *types = (uint8_t *)(t + 1);
  if (type->nparams) memcpy(types, type->types, type->nparams);
  t->own_type.nparams = type->nparams;
  t->own_type.types = types;
  t->type = &t->own_type;
  uint32_t results;
  vm_functype_slots(t->type, &t->nslots, &results);
  return t;
}

const vm_functype *vm_tag_type(const vm_tag *t) {
  return t->type;
}

/* ---- handler lookup -------------------------------------------------------------- */

uint32_t vm_eh_find(const vm_code *code, uint32_t site, const vm_exn *exn, const vm_instance *inst) {
  const vm_eh *eh = code->eh;
  if (!eh || eh->nregions == 0 || site <= eh->regions[0].start) return VM_EH_NONE;
  /* The last region that starts before the site. */
  uint32_t lo = 0, hi = eh->nregions;
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (eh->regions[mid].start < site)
      lo = mid;
    else
      hi = mid;
  }
  uint32_t ntags = inst->module->ntags;
  /* Parents come before their children (the compiler adds a handler when its try opens), so the walk
   * ends; the bound keeps a malformed table from looping. */
  uint32_t h = eh->regions[lo].handler;
  for (uint32_t steps = 0; h < eh->nhandlers && steps <= eh->nhandlers; steps++) {
    const vm_eh_handler *hd = &eh->handlers[h];
    for (uint32_t k = hd->first, n = 0; k < eh->ncatches && n <= eh->ncatches; k = eh->catches[k].next, n++) {
      const vm_eh_catch *c = &eh->catches[k];
      if (c->tag == VM_EH_NONE || (c->tag < ntags && inst->tags[c->tag] == exn->tag)) return c->pad;
    }
    h = hd->parent;
  }
  return VM_EH_NONE;
}

/* ---- exceptions and their collection ------------------------------------------------ */

/* The set of live exceptions, by address (open addressing), for the conservative scan. */
typedef struct exn_set {
  vm_exn **slot;
  size_t mask;
  vm_exn **work; /* marked, payload not yet scanned */
  size_t nwork;
} exn_set;

static size_t hash_ptr(uintptr_t p, size_t mask) {
  return (size_t)((p >> 4) * UINT64_C(0x9E3779B97F4A7C15) >> 17) & mask;
}

static void mark(exn_set *set, uint64_t v) {
  if (v == 0 || (v & 7) != 0) return;
  for (size_t i = hash_ptr((uintptr_t)v, set->mask);; i = (i + 1) & set->mask) {
    vm_exn *e = set->slot[i];
    if (!e) return;
    if ((uint64_t)(uintptr_t)e == v) {
      if (!e->marked) {
        e->marked = true;
        set->work[set->nwork++] = e;
      }
      return;
    }
  }
}

static void mark_range(exn_set *set, const uint64_t *from, const uint64_t *to) {
  for (const uint64_t *p = from; p < to; p++)
    mark(set, *p);
}

/* Mark what the roots reach; sweep the rest.  False when the working memory could not be had (nothing is
 * freed then). */
static bool collect(vm_store *s, const uint64_t *stack_top) {
  size_t cap = 16;
  while (cap < (size_t)s->nexns * 2)
    cap *= 2;
  exn_set set = {mem_calloc(cap, sizeof(vm_exn *)), cap - 1,
                 mem_calloc(s->nexns ? s->nexns : 1, sizeof(vm_exn *)), 0};
  if (!set.slot || !set.work) {
    mem_free(set.slot);
    mem_free(set.work);
    return false;
  }
  for (vm_exn *e = s->exns; e; e = e->next) {
    e->marked = false;
    size_t i = hash_ptr((uintptr_t)e, set.mask);
    while (set.slot[i])
      i = (i + 1) & set.mask;
    set.slot[i] = e;
  }
  /* Roots: the live value stack, the exception in flight, exnref globals and tables. */
  const uint64_t *base = s->exec.stack;
  if (stack_top && stack_top > base && stack_top <= s->exec.stack_end) mark_range(&set, base, stack_top);
  mark(&set, (uint64_t)(uintptr_t)s->exec.exn);
  for (vm_instance *inst = s->instances; inst; inst = inst->next) {
    const vm_module *m = inst->module;
    for (uint32_t i = 0; i < m->nglobals; i++)
      if (inst->globals[i] && inst->globals[i]->type.type == VM_EXNREF) mark(&set, inst->globals[i]->value);
    for (uint32_t i = 0; i < m->ntables; i++) {
      const vm_table *t = inst->tables[i];
      if (t && t->type.elemtype == VM_EXNREF)
        for (uint32_t k = 0; k < t->size; k++)
          mark(&set, (uint64_t)(uintptr_t)t->elems[k]);
    }
  }
  /* What marked exceptions carry (exnref payloads). */
  while (set.nwork) {
    vm_exn *e = set.work[--set.nwork];
    mark_range(&set, e->slots, e->slots + e->nslots);
  }
  vm_exn **link = &s->exns;
  uint32_t live = 0;
  while (*link) {
    vm_exn *e = *link;
    if (e->marked) {
      e->marked = false;
      live++;
      link = &e->next;
    } else {
      *link = e->next;
      mem_free(e);
    }
  }
  s->nexns = live;
  mem_free(set.slot);
  mem_free(set.work);
  return true;
}

static void raise(vm_store *s, vm_exn *e) {
  s->exec.exn = e;
  vm_error_trap(&s->error, VM_TRAP_EXCEPTION);
}

bool vm_exn_throw(vm_store *s, const vm_tag *tag, const uint64_t *values, const uint64_t *stack_top) {
  if (s->nexns >= s->exn_collect_at || s->nexns >= VM_MAX_LIVE_EXNS) {
    collect(s, stack_top);
    uint64_t next = (uint64_t)s->nexns * 2;
    s->exn_collect_at = next < VM_EXN_COLLECT_MIN ? VM_EXN_COLLECT_MIN
                        : next > UINT32_MAX       ? UINT32_MAX
                                                  : (uint32_t)next;
    if (s->nexns >= VM_MAX_LIVE_EXNS) {
      vm_store_trap_as(s, VM_TRAP_LIMIT, "too many live exceptions (at most %u)", VM_MAX_LIVE_EXNS);
      return false;
    }
  }
  vm_exn *e = mem_malloc(sizeof *e + (size_t)tag->nslots * sizeof(uint64_t));
  if (!e) {
    vm_store_trap(s, VM_TRAP_NOMEM);
    return false;
  }
  e->tag = tag;
  e->nslots = tag->nslots;
  e->marked = false;
  if (tag->nslots) memcpy(e->slots, values, (size_t)tag->nslots * sizeof(uint64_t));
  e->next = s->exns;
  s->exns = e;
  s->nexns++;
  raise(s, e);
  return true;
}

void vm_exn_rethrow(vm_store *s, vm_exn *exn) {
  raise(s, exn);
}

void vm_exn_caught(vm_store *s) {
  s->exec.exn = NULL;
  vm_error_clear(&s->error);
}

void vm_exn_free_all(vm_store *s) {
  for (vm_exn *e = s->exns, *next; e; e = next) {
    next = e->next;
    mem_free(e);
  }
  s->exns = NULL;
  s->nexns = 0;
  s->exec.exn = NULL;
}
