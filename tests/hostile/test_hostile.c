/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_hostile.c - hostile modules and guests at the engine level (vm.h):
 * every prefix and single-byte mutations of a corpus of modules load or fail
 * cleanly (and those that load run under small limits); sections with huge
 * counts fail fast without large allocations; an endless loop is stopped by
 * fuel, by a deadline, and by an interrupt from another thread, also in a
 * start function and behind host calls; memory, table and recursion bombs
 * end at their caps; after every stop the store runs normal calls again.
 * The corpora are this test's modules (test_dir), the runtime tests' modules
 * (WAPC_HOSTILE_RUNTIME_DIR) and the test guests (WAPC_HOSTILE_GUESTS_DIR).
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exercise.h"
#include "test.h"

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  for (;;) {
    if (!buf) break;
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    uint8_t *nb = realloc(buf, cap * 2);
    if (!nb) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = nb;
    cap *= 2;
  }
  fclose(f);
  *len = n;
  return buf;
}

static vm_module *load(const char *name, const vm_config *cfg, vm_error *err) {
  char path[1024];
  size_t len = 0;
  snprintf(path, sizeof path, "%s/%s.wasm", test_dir, name);
  uint8_t *b = read_file(path, &len);
  if (!b) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(2);
  }
  vm_module *m = vm_module_load(b, len, cfg, err);
  free(b);
  return m;
}

static vm_result host_tick(vm_store *s, vm_instance *caller, void *user, uint64_t *ar) {
  (void)s, (void)caller, (void)ar;
  (*(int *)user)++;
  return VM_OK;
}

/* The bombs module in a store under `cfg`, its import bound to host_tick. */
typedef struct bench {
  vm_module *m;
  vm_store *s;
  vm_instance *inst;
  int ticks;
} bench;

static void bench_open(bench *b, const vm_config *cfg) {
  vm_error err;
  memset(b, 0, sizeof *b);
  b->m = load("bombs", cfg, &err);
  if (!b->m) {
    fprintf(stderr, "bombs: %s\n", err.message);
    exit(2);
  }
  b->s = vm_store_new(cfg);
  vm_functype none = {.nparams = 0, .nresults = 0, .types = NULL};
  vm_extern im = {VM_EXTERN_FUNC, {.func = vm_func_new_host(b->s, &none, host_tick, &b->ticks)}};
  b->inst = vm_instantiate(b->s, b->m, &im, 1, &err);
  if (!b->inst) {
    fprintf(stderr, "bombs: %s\n", err.message);
    exit(2);
  }
}

static void bench_close(bench *b) {
  vm_store_free(b->s);
  vm_module_free(b->m);
}

static vm_result call(bench *b, const char *name, uint64_t *slots) {
  vm_extern e;
  uint64_t none[8] = {0};
  if (!vm_instance_export(b->inst, name, strlen(name), &e)) {
    fprintf(stderr, "no export %s\n", name);
    exit(2);
  }
  return vm_invoke(b->s, e.u.func, slots ? slots : none);
}

static vm_trap last_trap(bench *b) {
  return vm_store_error(b->s)->trap;
}

/* The store still works: count(1000) = 499500. */
static void check_alive(bench *b) {
  uint64_t v[1] = {1000};
  CHECK(call(b, "count", v) == VM_OK);
  CHECK(v[0] == 499500);
}

/* ---- fuel ------------------------------------------------------------------ */

TEST_IMPL(fuel) {
  vm_config cfg;
  bench b;
  vm_config_default(&cfg);
  cfg.fuel = 100000;
  bench_open(&b, &cfg);
  static const char *const loops[] = {"loop", "call_loop", "host_loop"};
  for (size_t i = 0; i < sizeof loops / sizeof *loops; i++) {
    CHECK(call(&b, loops[i], NULL) == VM_ERR_TRAP);
    CHECK(last_trap(&b) == VM_TRAP_FUEL);
    CHECK_STR(vm_store_error(b.s)->message, "fuel exhausted");
    CHECK(vm_store_fuel_remaining(b.s) == 0);
    check_alive(&b); /* every top-level call gets the full budget again */
  }
  CHECK(b.ticks > 0);
  /* Recursion without loops is stopped at function entries. */
  uint64_t v[1] = {40};
  CHECK(call(&b, "fib", v) == VM_ERR_TRAP && last_trap(&b) == VM_TRAP_FUEL);
  /* Fuel use is deterministic, and a finite call within budget succeeds. */
  v[0] = 100;
  CHECK(call(&b, "count", v) == VM_OK && v[0] == 4950);
  uint64_t left = vm_store_fuel_remaining(b.s);
  v[0] = 100;
  CHECK(call(&b, "count", v) == VM_OK && vm_store_fuel_remaining(b.s) == left);
  CHECK(left < cfg.fuel);
  /* Exactly the fuel it needs is enough; one unit less is not. */
  vm_store_set_fuel(b.s, cfg.fuel - left);
  v[0] = 100;
  CHECK(call(&b, "count", v) == VM_OK && vm_store_fuel_remaining(b.s) == 0);
  vm_store_set_fuel(b.s, cfg.fuel - left - 1);
  v[0] = 100;
  CHECK(call(&b, "count", v) == VM_ERR_TRAP && last_trap(&b) == VM_TRAP_FUEL);
  /* 0 = unlimited */
  vm_store_set_fuel(b.s, 0);
  v[0] = 100000;
  CHECK(call(&b, "count", v) == VM_OK);
  CHECK(vm_store_fuel_remaining(b.s) == UINT64_MAX);
  bench_close(&b);
}

/* ---- deadlines ---------------------------------------------------------------- */

TEST_IMPL(deadline) {
  vm_config cfg;
  bench b;
  vm_config_default(&cfg);
  cfg.timeout_ns = 50u * 1000000u;
  bench_open(&b, &cfg);
  static const char *const loops[] = {"loop", "call_loop", "host_loop"};
  for (size_t i = 0; i < sizeof loops / sizeof *loops; i++) {
    uint64_t t0 = vm_monotonic_ns();
    CHECK(call(&b, loops[i], NULL) == VM_ERR_TRAP);
    uint64_t late = vm_monotonic_ns() - t0 - cfg.timeout_ns;
    CHECK(last_trap(&b) == VM_TRAP_DEADLINE);
    CHECK_STR(vm_store_error(b.s)->message, "deadline exceeded");
    /* Timing is not asserted tightly on shared machines; printed for the record. */
    printf("deadline: %s stopped %.3f ms after the deadline\n", loops[i], (double)late / 1e6);
    CHECK(late < 2000u * 1000000u);
    check_alive(&b);
  }
  uint64_t v[1] = {60};
  CHECK(call(&b, "fib", v) == VM_ERR_TRAP && last_trap(&b) == VM_TRAP_DEADLINE);
  bench_close(&b);

  /* A start function that never returns is stopped by the same timeout. */
  vm_error err;
  vm_module *m = load("start_loop", &cfg, &err);
  CHECK(m != NULL);
  vm_store *s = vm_store_new(&cfg);
  CHECK(vm_instantiate(s, m, NULL, 0, &err) == NULL);
  CHECK(err.result == VM_ERR_TRAP && err.trap == VM_TRAP_DEADLINE);
  vm_store_free(s);
  /* ... and by fuel */
  vm_config fcfg;
  vm_config_default(&fcfg);
  fcfg.fuel = 5000;
  s = vm_store_new(&fcfg);
  CHECK(vm_instantiate(s, m, NULL, 0, &err) == NULL);
  CHECK(err.result == VM_ERR_TRAP && err.trap == VM_TRAP_FUEL);
  vm_store_free(s);
  vm_module_free(m);
}

/* ---- interruption ---------------------------------------------------------------- */

typedef struct stopper {
  vm_store *s;
  unsigned delay_ms;
  uint64_t sent_ns;
} stopper;

static void *stopper_main(void *arg) {
  stopper *st = arg;
  struct timespec ts = {0, (long)st->delay_ms * 1000000L};
  nanosleep(&ts, NULL);
  st->sent_ns = vm_monotonic_ns();
  vm_store_interrupt(st->s);
  return NULL;
}

TEST_IMPL(interrupt) {
  bench b;
  bench_open(&b, NULL);
  static const char *const loops[] = {"loop", "call_loop", "host_loop", "fib"};
  for (size_t i = 0; i < sizeof loops / sizeof *loops; i++) {
    stopper st = {b.s, 30, 0};
    pthread_t th;
    uint64_t v[1] = {60};
    CHECK(pthread_create(&th, NULL, stopper_main, &st) == 0);
    CHECK(call(&b, loops[i], v) == VM_ERR_TRAP);
    uint64_t end = vm_monotonic_ns();
    pthread_join(th, NULL);
    CHECK(last_trap(&b) == VM_TRAP_INTERRUPTED);
    CHECK_STR(vm_store_error(b.s)->message, "interrupted");
    printf("interrupt: %s stopped %.3f ms after the request\n", loops[i],
           end > st.sent_ns ? (double)(end - st.sent_ns) / 1e6 : 0.0);
    /* The request was consumed: the next call runs normally. */
    check_alive(&b);
  }
  /* A request made while idle stops the next call; clearing it cancels it. */
  vm_store_interrupt(b.s);
  CHECK(call(&b, "loop", NULL) == VM_ERR_TRAP && last_trap(&b) == VM_TRAP_INTERRUPTED);
  check_alive(&b);
  vm_store_interrupt(b.s);
  vm_store_clear_interrupt(b.s);
  check_alive(&b);
  bench_close(&b);
}

/* ---- resource bombs ------------------------------------------------------------- */

TEST_IMPL(bombs) {
  vm_config cfg;
  bench b;
  vm_error err;
  vm_config_default(&cfg);
  cfg.max_memory_pages = 16;
  cfg.max_table_elems = 5000;
  cfg.max_call_depth = 1000;
  bench_open(&b, &cfg);
  uint64_t v[8] = {0};
  CHECK(call(&b, "mem_bomb", v) == VM_OK && v[0] == 16);
  v[0] = 1;
  CHECK(call(&b, "mem_grow", v) == VM_OK && v[0] == 0xFFFFFFFFu);
  v[0] = 0xFFFFFFFFu;
  CHECK(call(&b, "mem_grow", v) == VM_OK && v[0] == 0xFFFFFFFFu);
  v[0] = 0;
  CHECK(call(&b, "mem_grow", v) == VM_OK && v[0] == 16);
  CHECK(call(&b, "mem_last", v) == VM_OK && v[0] == 0);
  CHECK(call(&b, "table_bomb", v) == VM_OK && v[0] == 4001);
  v[0] = 0xFFFFFFFFu;
  CHECK(call(&b, "table_grow", v) == VM_OK && v[0] == 0xFFFFFFFFu);
  CHECK(call(&b, "recurse", NULL) == VM_ERR_TRAP && last_trap(&b) == VM_TRAP_STACK_EXHAUSTED);
  CHECK_STR(vm_store_error(b.s)->message, "call stack exhausted");
  check_alive(&b);
  memset(v, 0, sizeof v);
  CHECK(call(&b, "recurse_wide", v) == VM_ERR_TRAP && last_trap(&b) == VM_TRAP_STACK_EXHAUSTED);
  check_alive(&b);
  bench_close(&b);

  /* A value stack smaller than the frames need stops recursion the same way. */
  vm_config_default(&cfg);
  cfg.stack_slots = 4096;
  bench_open(&b, &cfg);
  CHECK(call(&b, "recurse_wide", v) == VM_ERR_TRAP && last_trap(&b) == VM_TRAP_STACK_EXHAUSTED);
  check_alive(&b);
  bench_close(&b);

  /* Initial sizes over the caps are refused at load. */
  vm_config_default(&cfg);
  cfg.max_memory_pages = 16;
  CHECK(load("big_memory", &cfg, &err) == NULL);
  CHECK(err.result == VM_ERR_LIMIT);
  CHECK_STR(err.message, "memory of 100 pages exceeds the limit of 16 pages");
  vm_config_default(&cfg);
  cfg.max_table_elems = 1000;
  CHECK(load("big_memory", &cfg, &err) == NULL);
  CHECK(err.result == VM_ERR_LIMIT);
  CHECK_STR(err.message, "table of 5000 elements exceeds the limit of 1000 elements");
  vm_module *m = load("big_memory", NULL, &err);
  CHECK(m != NULL);
  /* A module loaded under generous limits still meets the store's caps. */
  vm_config_default(&cfg);
  cfg.max_memory_pages = 16;
  vm_store *s = vm_store_new(&cfg);
  CHECK(vm_instantiate(s, m, NULL, 0, &err) == NULL && err.result == VM_ERR_LIMIT);
  vm_store_free(s);
  vm_module_free(m);
}

/* Deep recursion on a thread with a small native stack: compiled code recurses on the native stack,
 * so its entry checks a limit below the thread's stack; the interpreter keeps its own frames.  Either
 * way the call traps "call stack exhausted", and the store works afterwards. */
static void *small_stack_run(void *arg) {
  int *failures = arg;
  vm_config cfg;
  bench b;
  vm_config_default(&cfg);
  cfg.max_call_depth = 4000000;
  cfg.stack_slots = 1u << 26;
  bench_open(&b, &cfg);
  uint64_t v[8] = {0};
  if (call(&b, "recurse", NULL) != VM_ERR_TRAP || last_trap(&b) != VM_TRAP_STACK_EXHAUSTED) (*failures)++;
  if (call(&b, "recurse_wide", v) != VM_ERR_TRAP || last_trap(&b) != VM_TRAP_STACK_EXHAUSTED) (*failures)++;
  if (call(&b, "recurse_mutual", NULL) != VM_ERR_TRAP || last_trap(&b) != VM_TRAP_STACK_EXHAUSTED)
    (*failures)++;
  v[0] = 5;
  if (call(&b, "mem_grow", v) != VM_OK) (*failures)++;
  bench_close(&b);
  return NULL;
}

TEST_IMPL(small_native_stack) {
  static const size_t sizes[] = {(size_t)96 << 10, (size_t)256 << 10, (size_t)1 << 20};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    pthread_attr_t a;
    pthread_t t;
    int failures = 0;
    CHECK(pthread_attr_init(&a) == 0);
    CHECK(pthread_attr_setstacksize(&a, sizes[i]) == 0);
    CHECK(pthread_create(&t, &a, small_stack_run, &failures) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    pthread_attr_destroy(&a);
    CHECK(failures == 0);
  }
}

/* ---- huge counts ------------------------------------------------------------------ */

/* A module of the header and one section whose body is `body`. */
static vm_result load_section(uint8_t id, const uint8_t *body, uint8_t n, vm_error *err) {
  uint8_t buf[64] = {0, 'a', 's', 'm', 1, 0, 0, 0, id, n};
  memcpy(buf + 10, body, n);
  vm_module *m = vm_module_load(buf, 10u + n, NULL, err);
  vm_module_free(m);
  return m ? VM_OK : err->result;
}

TEST_IMPL(huge_counts) {
  vm_error err;
  static const uint8_t max_u32[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
  /* type, import, function, table, memory, global, export, element, code, data */
  static const uint8_t ids[] = {1, 2, 3, 4, 5, 6, 7, 9, 10, 11};
  for (size_t i = 0; i < sizeof ids; i++) {
    uint64_t t0 = vm_monotonic_ns();
    CHECK(load_section(ids[i], max_u32, sizeof max_u32, &err) == VM_ERR_MALFORMED);
    CHECK(vm_monotonic_ns() - t0 < 1000000000u);
  }
  /* data count 2^32-1 with no data section: rejected, nothing reserved. */
  CHECK(load_section(12, max_u32, sizeof max_u32, &err) != VM_OK);
  /* One function with 2^32-1 locals of type i32. */
  uint8_t mod[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1,    4,    1,    0x60, 0,    0,   3,
                   2, 1,   0,   10,  9, 1, 7, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F};
  vm_module *m = vm_module_load(mod, sizeof mod, NULL, &err);
  CHECK(m == NULL && err.result != VM_OK);
  printf("huge locals: %s\n", err.message);
  /* Two local groups whose sum overflows 32 bits. */
  uint8_t mod2[] = {0,    'a',  's',  'm',  1,    0,    0,    0,    1,    4,    1,    0x60,
                    0,    0,    3,    2,    1,    0,    10,   16,   1,    14,   2,    0xFF,
                    0xFF, 0xFF, 0xFF, 0x07, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x7E, 0x0B};
  m = vm_module_load(mod2, sizeof mod2, NULL, &err);
  CHECK(m == NULL && err.result != VM_OK);
  printf("overflowing locals: %s\n", err.message);
  /* A body whose only local group declares zero locals, first of its
   * module (the compiler's buffers are still empty): valid, and loads
   * cleanly under UBSan (found by fuzz_run, fuzz/regressions/run-*). */
  uint8_t zero_locals[] = {0,  'a', 's', 'm', 1, 0, 0,    0,   1, 4, 1, 0x60, 0, 0, /* type () -> () */
                           3,  2,   1,   0,                                         /* func 0: type 0 */
                           10, 6,   1,   4,   1, 0, 0x7F, 0x0B};                    /* (local) group of 0 */
  m = vm_module_load(zero_locals, sizeof zero_locals, NULL, &err);
  CHECK(m != NULL);
  vm_module_free(m);
  /* A 20-byte module whose memory claims 65536 pages: loads (memory is
   * reserved lazily, at instantiation, within the caps), never commits. */
  uint8_t mem[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 5, 5, 1, 0, 0x80, 0x80, 0x04};
  m = vm_module_load(mem, sizeof mem, NULL, &err);
  CHECK(m != NULL);
  vm_module_free(m);
}

/* ---- truncation and mutation of a corpus --------------------------------------------- */

static long loads, loaded, runs;

static void try_bytes(const uint8_t *b, size_t n, const vm_config *cfg, int run) {
  vm_error err;
  vm_module *m = vm_module_load(b, n, cfg, &err);
  loads++;
  if (!m) {
    /* A clean failure: a known result and a message. */
    if (!(err.result == VM_ERR_MALFORMED || err.result == VM_ERR_INVALID || err.result == VM_ERR_LIMIT) ||
        err.message[0] == '\0') {
      check_failed++;
      fprintf(stderr, "load failed without a proper error (%d)\n", (int)err.result);
    }
    return;
  }
  loaded++;
  if (run) {
    vmx_run_module(m, cfg, NULL, 0);
    runs++;
  }
  vm_module_free(m);
}

static void mutate_file(const char *path, const vm_config *cfg) {
  size_t n = 0;
  uint8_t *b = read_file(path, &n);
  if (!b) return;
  /* Large modules (the Rust guests) are covered by the fuzzers instead. */
  if (n > 16384) {
    free(b);
    return;
  }
  long before = loads;
  uint8_t *copy = malloc(n ? n : 1);
  if (!copy) exit(2);
  for (size_t len = 0; len < n; len++) {
    memcpy(copy, b, len);
    try_bytes(copy, len, cfg, 0);
  }
  memcpy(copy, b, n);
  for (size_t i = 0; i < n; i++) {
    /* Every value for small modules; for larger ones a low and a high bit
     * flip and the two extremes (most bytes are LEB128 or opcodes). */
    if (n <= 512) {
      for (unsigned v = 0; v < 256; v++) {
        if (v == b[i]) continue;
        copy[i] = (uint8_t)v;
        try_bytes(copy, n, cfg, 1);
      }
    } else {
      const uint8_t vals[] = {(uint8_t)(b[i] ^ 0x01), (uint8_t)(b[i] ^ 0x80), 0x00, 0xFF};
      for (unsigned k = 0; k < sizeof vals; k++) {
        if (vals[k] == b[i]) continue;
        copy[i] = vals[k];
        try_bytes(copy, n, cfg, 1);
      }
    }
    copy[i] = b[i];
  }
  free(copy);
  free(b);
  printf("corpus: %s: %ld modules\n", path, loads - before);
}

static void corpus_dir(const char *dir, const vm_config *cfg, int depth) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char **names = NULL;
  size_t nn = 0;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char **nb = realloc(names, (nn + 1) * sizeof *names);
    if (!nb) break;
    names = nb;
    names[nn] = malloc(strlen(dir) + strlen(e->d_name) + 2);
    if (!names[nn]) break;
    sprintf(names[nn], "%s/%s", dir, e->d_name);
    nn++;
  }
  closedir(d);
  for (size_t i = 0; i < nn; i++) {
    size_t l = strlen(names[i]);
    if (l > 5 && strcmp(names[i] + l - 5, ".wasm") == 0)
      mutate_file(names[i], cfg);
    else if (depth < 2)
      corpus_dir(names[i], cfg, depth + 1);
    free(names[i]);
  }
  free(names);
}

/* Every prefix and single-byte mutation of the modules under dir. */
static void corpus(const char *dir) {
  vm_config cfg;
  vmx_small_config(&cfg);
  cfg.fuel = 20000;
  long before = loads, loaded_before = loaded, runs_before = runs;
  corpus_dir(dir, &cfg, 0);
  printf("corpus %s: %ld modules tried, %ld loaded, %ld run\n", dir, loads - before, loaded - loaded_before,
         runs - runs_before);
  CHECK(loads > before);
}

TEST_IMPL(corpus_hostile) {
  corpus(test_dir);
}

TEST_IMPL(corpus_runtime) {
  corpus(WAPC_HOSTILE_RUNTIME_DIR);
}

TEST_IMPL(corpus_guests) {
  corpus(WAPC_HOSTILE_GUESTS_DIR);
}

TEST_LIST_BEGIN
TEST_ENTRY(fuel)
TEST_ENTRY(deadline)
TEST_ENTRY(interrupt)
TEST_ENTRY(bombs)
TEST_ENTRY(small_native_stack)
TEST_ENTRY(huge_counts)
TEST_ENTRY(corpus_hostile)
TEST_ENTRY(corpus_runtime)
TEST_ENTRY(corpus_guests)
TEST_LIST_END

int main(int argc, char **argv) {
  return test_main(argc, argv, "hostile", test_cases, NULL, NULL);
}
