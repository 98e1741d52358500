/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jit.c - the compiler tier's front end (jit.h): which functions get machine
 * code, the layout of a module's code (stubs, then functions), branch and
 * call fixups, the executable mapping, entering compiled code from C, and
 * the tooling (debug facts, perf map, WAPC_JIT_DUMP).  Everything that depends on
 * the instruction set is behind target.h.
 */
#include "jit/jit.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jit/target.h"
#include "util/mem.h"

typedef uint32_t (*jit_entry_fn)(vm_store *s, vm_instance *inst, uint64_t *fp, const void *fn);

struct vm_jit_code {
  uint8_t *mem; /* the read+execute mapping, NULL when nothing was compiled */
  size_t mapped, size;
  jit_entry_fn entry;
  uint32_t ndefined;
  uint32_t *offsets; /* per defined function: its code's offset in mem, UINT32_MAX when interpreted */
  uint32_t *entries; /* per defined function: its entry's offset (after its body) */
  uint32_t compiled, fallbacks;
  const char *status;
};

void jit_fixes_add(jit_fixes *f, uint32_t at, uint32_t target) {
  if (f->failed) return;
  if (f->n == f->cap) {
    uint32_t cap = f->cap ? f->cap * 2 : 64;
    jit_fix *v = mem_realloc(f->v, (size_t)cap * sizeof *v);
    if (!v) {
      f->failed = true;
      return;
    }
    f->v = v;
    f->cap = cap;
  }
  f->v[f->n++] = (jit_fix){at, target};
}

/* Whether `c` may be compiled at all (slot displacements stay far below 2^31); an instruction the
 * target does not translate is found while compiling (the function is then left to the interpreter).
 * Functions that use exception handling or hold exnref values are the interpreter's (vm_code). */
static bool compilable(const vm_code *c) {
  return c->nslots < (1u << 26) && !c->interp_only; /* exception handling: the interpreter's */
}

/* Marks every branch target of `c` in is_label (c->ncode entries, zeroed). */
static void find_labels(const vm_code *c, uint8_t *is_label) {
  const vm_op_info *info = vm_op_infos();
  for (uint32_t pc = 0; pc < c->ncode;) {
    vm_op op = (vm_op)c->code[pc];
    const vm_word *w = c->code + pc;
    if (!info[op].words) {
      for (uint32_t i = 0; i <= w[2]; i++)
        if (w[3 + i] < c->ncode) is_label[w[3 + i]] = 1;
      pc += 4 + w[2];
      continue;
    }
    for (uint32_t i = 1, m = info[op].tmask; m; i++, m >>= 1)
      if ((m & 1) && w[i] < c->ncode) is_label[w[i]] = 1;
    pc += info[op].words;
  }
}

/* One function into b: its body, then its entry (at *entry); false when the target gives up or
 * memory runs out. */
static bool compile_function(jit_func *fn, uint32_t *pc_off, uint8_t *is_label, uint32_t *entry) {
  const vm_code *c = fn->code;
  const vm_op_info *info = vm_op_infos();
  fn->labels->n = 0;
  size_t start = fn->b->len;
  memset(is_label, 0, c->ncode ? c->ncode : 1);
  find_labels(c, is_label);
  fn->is_label = is_label;
  if (!jit_target_begin(fn)) {
    fn->b->failed = true;
    return false;
  }
  bool ok = true;
  for (uint32_t pc = 0; pc < c->ncode && ok;) {
    pc_off[pc] = (uint32_t)fn->b->len;
    ok = jit_target_op(fn, pc) && !fn->b->failed && fn->b->len - start <= JIT_MAX_FUNCTION_BYTES;
    vm_op op = (vm_op)c->code[pc];
    pc += info[op].words ? info[op].words : 4 + c->code[pc + 2];
  }
  *entry = (uint32_t)fn->b->len;
  if (ok) jit_target_prologue(fn, (uint32_t)start);
  jit_target_end(fn);
  if (!ok || fn->labels->failed) return false;
  for (uint32_t i = 0; i < fn->labels->n; i++) {
    const jit_fix *f = &fn->labels->v[i];
    jit_target_patch(fn->b, f->at, pc_off[f->target]);
  }
  return !fn->b->failed;
}

/* The end of function i's code (body and entry): the next compiled function's start. */
static uint32_t code_end(const struct vm_jit_code *j, uint32_t i) {
  for (uint32_t k = i + 1; k < j->ndefined; k++)
    if (j->offsets[k] != UINT32_MAX) return j->offsets[k];
  return (uint32_t)j->size;
}

/* Development: WAPC_JIT_DUMP=DIR writes each compiled function's machine code to DIR/fN.bin (N its
 * index in the module), for `objdump -D -b binary -mi386:x86-64 DIR/fN.bin`. */
static void dump_dir(const vm_module *m, const struct vm_jit_code *j) {
  const char *dir = getenv("WAPC_JIT_DUMP");
  if (!dir || !*dir) return;
  for (uint32_t i = 0; i < j->ndefined; i++) {
    if (j->offsets[i] == UINT32_MAX) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/f%" PRIu32 ".bin", dir, m->nimported_funcs + i);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(j->mem + j->offsets[i], 1, code_end(j, i) - j->offsets[i], f);
    fclose(f);
  }
}

/* Development: WAPC_JIT_PAD=N (up to 4096) puts N bytes between the stubs and the first function, moving
 * all of the module's code: how much a timing owes to where code happens to lie (bench/ averages its
 * -msimd128 comparison over a few placements). */
static uint32_t pad_bytes(void) {
  const char *pad = getenv("WAPC_JIT_PAD");
  long n = pad ? strtol(pad, NULL, 10) : 0;
  return n > 0 && n <= 4096 ? (uint32_t)n : 0;
}

static void perf_map(const vm_module *m, const struct vm_jit_code *j) {
  const char *on = getenv("WAPC_PERF_MAP");
  if (!on || !*on || strcmp(on, "0") == 0) return;
  char path[64];
  snprintf(path, sizeof path, "/tmp/perf-%ld.map", (long)getpid());
  FILE *f = fopen(path, "a");
  if (!f) return;
  for (uint32_t i = 0; i < j->ndefined; i++) {
    if (j->offsets[i] == UINT32_MAX) continue;
    uint32_t end = code_end(j, i);
    fprintf(f, "%" PRIxPTR " %" PRIx32 " wasm[%p]::f%" PRIu32 "\n", (uintptr_t)(j->mem + j->offsets[i]),
            end - j->offsets[i], (const void *)m, m->nimported_funcs + i);
  }
  fclose(f);
}

void vm_jit_compile_module(vm_module *m) {
  struct vm_jit_code *j = mem_calloc(1, sizeof *j);
  if (!j) return;
  m->jit = j;
  uint32_t ndef = m->nfuncs - m->nimported_funcs;
  j->ndefined = ndef;
  /* WAPC_TIER=interpreter in the environment overrides "auto" (tests run every guest on both tiers);
   * WAPC_TIER=mixed compiles every other function (tests of calls between the tiers). */
  const char *env = getenv("WAPC_TIER");
  if (m->cfg.tier == VM_TIER_INTERP ||
      (m->cfg.tier == VM_TIER_AUTO && env && strcmp(env, "interpreter") == 0)) {
    j->status = "interpreter selected";
    j->fallbacks = ndef;
    return;
  }
  j->offsets = mem_malloc((size_t)(ndef ? ndef : 1) * sizeof *j->offsets);
  j->entries = mem_malloc((size_t)(ndef ? ndef : 1) * sizeof *j->entries);
  uint8_t *native = mem_calloc(ndef ? ndef : 1, 1);
  uint32_t max_code = 0;
  for (uint32_t i = 0; i < ndef; i++)
    if (m->codes[i].ncode > max_code) max_code = m->codes[i].ncode;
  uint32_t *pc_off = mem_malloc(((size_t)max_code + 1) * sizeof *pc_off);
  uint8_t *is_label = mem_malloc((size_t)max_code + 1);
  jit_buf b = {0};
  /* Code is written where it will run: a reservation of 16 bytes per internal code word (about
   * 2.5 times what it takes) whose untouched pages cost nothing. */
  uint64_t words = 0;
  for (uint32_t i = 0; i < ndef; i++)
    words += m->codes[i].ncode;
  if (words * 16 + ((uint64_t)1 << 20) < ((uint64_t)1 << 40))
    jit_buf_map(&b, (size_t)(words * 16 + (1u << 20)));
  jit_fixes labels = {0}, calls = {0};
  jit_stubs stubs;
  bool ok = j->offsets && j->entries && native && pc_off && is_label;
  if (ok) {
    /* WAPC_TIER=mixed (tests): every other function stays interpreted, so calls cross the tiers
     * both ways everywhere. */
    bool mixed = m->cfg.tier == VM_TIER_AUTO && env && strcmp(env, "mixed") == 0;
    for (uint32_t i = 0; i < ndef; i++)
      native[i] = compilable(&m->codes[i]) && (!mixed || i % 2 == 1);
    /* A function the target turns down after all is left to the interpreter, and the module's
     * code is laid out again (earlier functions may call it directly). */
    for (;;) {
      b.len = 0;
      labels.n = calls.n = 0;
      jit_target_stubs(&b, &stubs);
      for (uint32_t k = pad_bytes(); k > 0; k--) /* (int3) */
        jit_u8(&b, 0xCC);
      jit_func fn = {.b = &b, .m = m, .native = native, .stubs = &stubs, .labels = &labels, .calls = &calls};
      uint32_t refused = UINT32_MAX;
      for (uint32_t i = 0; i < ndef && ok; i++) {
        j->offsets[i] = UINT32_MAX;
        if (!native[i]) continue;
        fn.code = &m->codes[i];
        fn.defined = i;
        j->offsets[i] = (uint32_t)b.len;
        if (!compile_function(&fn, pc_off, is_label, &j->entries[i])) {
          if (b.failed || labels.failed) {
            ok = false;
          } else {
            refused = i;
          }
          break;
        }
        ok = b.len < UINT32_MAX / 2;
      }
      if (!ok || refused == UINT32_MAX) break;
      native[refused] = 0;
    }
    ok = ok && !calls.failed && !b.failed;
  }
  if (ok) {
    for (uint32_t i = 0; i < calls.n; i++)
      jit_target_patch(&b, calls.v[i].at, j->entries[calls.v[i].target]);
    size_t len = b.len;
    j->mem = b.mapped ? jit_exec_seal(&b, &j->mapped) : jit_exec_map(b.p, b.len, &j->mapped);
    if (j->mem) {
      j->size = len;
      j->entry = (jit_entry_fn)(uintptr_t)(j->mem + stubs.entry);
      for (uint32_t i = 0; i < ndef; i++) {
        if (j->offsets[i] == UINT32_MAX) {
          j->fallbacks++;
          continue;
        }
        m->codes[i].native = j->mem + j->entries[i];
        j->compiled++;
      }
      j->status = "";
      perf_map(m, j);
      dump_dir(m, j);
    } else {
      j->status = "executable memory refused";
    }
  } else {
    j->status = "out of memory";
  }
  if (!j->mem) {
    j->fallbacks = ndef;
    for (uint32_t i = 0; i < ndef && j->offsets; i++)
      j->offsets[i] = UINT32_MAX;
  }
  jit_buf_free(&b);
  mem_free(labels.v);
  mem_free(calls.v);
  mem_free(pc_off);
  mem_free(is_label);
  mem_free(native);
}

void vm_jit_release(vm_module *m) {
  struct vm_jit_code *j = m->jit;
  if (!j) return;
  jit_exec_unmap(j->mem, j->mapped);
  mem_free(j->offsets);
  mem_free(j->entries);
  mem_free(j);
  m->jit = NULL;
}

/* The lowest native stack address compiled code of this thread may reach:
 * the thread's stack minus a reserve for the C code it calls (host
 * functions, the interpreter), found once per thread. */
static _Thread_local uintptr_t thread_limit;

static uintptr_t native_limit(void) {
  if (thread_limit) return thread_limit;
  pthread_attr_t a;
  void *addr = NULL;
  size_t size = 0;
  uintptr_t here = (uintptr_t)&a;
  if (pthread_getattr_np(pthread_self(), &a) == 0) {
    if (pthread_attr_getstack(&a, &addr, &size) != 0) addr = NULL;
    pthread_attr_destroy(&a);
  }
  if (addr && here > (uintptr_t)addr && here - (uintptr_t)addr <= size) {
    size_t reserve = size / 4;
    if (reserve < ((size_t)64 << 10)) reserve = (size_t)64 << 10;
    if (reserve > ((size_t)1 << 20)) reserve = (size_t)1 << 20;
    thread_limit = (uintptr_t)addr + reserve;
  } else {
    /* Unknown bounds: allow 256 KiB below this point. */
    thread_limit = here > ((uintptr_t)256 << 10) ? here - ((uintptr_t)256 << 10) : 1;
  }
  return thread_limit;
}

vm_result vm_jit_run(vm_store *s, vm_func *f, uint64_t *fp) {
  vm_exec *ex = &s->exec;
  const struct vm_jit_code *j = f->inst->module->jit;
  uint32_t depth = ex->depth;
  if (!ex->native_exit) ex->native_limit = native_limit();
  uint32_t t = j->entry(s, f->inst, fp, f->code->native);
  ex->depth = depth;
  if (t == VM_TRAP_NONE) return VM_OK;
  if (t == VM_TRAP_HOST) return VM_ERR_TRAP;
  return vm_error_trap(&s->error, (vm_trap)t);
}

void vm_jit_module_info(const vm_module *m, vm_jit_info *out) {
  memset(out, 0, sizeof *out);
  const struct vm_jit_code *j = m ? m->jit : NULL;
  if (!j) {
    out->status = "not compiled";
    return;
  }
  out->compiled = j->compiled;
  out->fallbacks = j->fallbacks;
  out->code_bytes = j->size;
  out->status = j->status;
}
