/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.c - the store: the owner of every runtime object (a list of
 * allocations freed with the store), the execution state every call runs on
 * (one value stack of cfg.stack_slots slots and one frame stack of
 * cfg.max_call_depth frames, shared by nested calls), the store's last error,
 * host functions, globals, and the two ways into code: vm_invoke() from the
 * embedder and vm_call_host() from the interpreter.  Memories live in
 * memory.c, tables in table.c, instances in instance.c.  It also owns pools
 * (vm_pool): idle stack mappings and memory reservations that freed stores
 * hand on to new ones, because on the machines this runs on an mmap, an
 * munmap or a first touch of a page costs microseconds each, more than
 * everything else an instantiation does.
 */
#include "util/clock.h"
#include "util/mem.h"
#include "vm/exn.h"
#include "vm/store.h"
#if WAPC_JIT
#include "jit/jit.h"
#endif

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct vm_store_obj {
  vm_store_obj *next;
  vm_store_release_fn release;
};

/* The payload follows the header, aligned for any object. */
#define OBJ_HEADER ((sizeof(vm_store_obj) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1))

/* A minimal stack and frame stack keep a zeroed config usable. */
#define MIN_STACK_SLOTS 64u
#define MIN_CALL_DEPTH 1u

void *vm_store_alloc(vm_store *s, size_t size, vm_store_release_fn release) {
  if (size > SIZE_MAX - OBJ_HEADER) return NULL;
  vm_store_obj *o = mem_calloc(1, OBJ_HEADER + size);
  if (!o) return NULL;
  o->release = release;
  o->next = s->objects;
  s->objects = o;
  return (char *)o + OBJ_HEADER;
}

/* ---- pools ------------------------------------------------------------------ */

typedef struct pool_entry {
  void *base;
  size_t bytes; /* the mapping's size: entries are reused only at exactly this size */
  size_t rw;    /* memories: bytes mapped read-write */
  size_t dirty; /* memories: the first `dirty` bytes may hold the last user's data */
} pool_entry;

typedef struct pool_list {
  pool_entry e[VM_POOL_SLOTS];
  uint32_t n;
} pool_list;

struct vm_pool {
  pthread_mutex_t lock;
  pool_list stacks;
  pool_list memories;
};

vm_pool *vm_pool_new(void) {
  vm_pool *p = mem_calloc(1, sizeof *p);
  if (!p) return NULL;
  if (pthread_mutex_init(&p->lock, NULL) != 0) {
    mem_free(p);
    return NULL;
  }
  return p;
}

void vm_pool_free(vm_pool *p) {
  if (!p) return;
  for (uint32_t i = 0; i < p->stacks.n; i++)
    mem_unmap(p->stacks.e[i].base, p->stacks.e[i].bytes);
  for (uint32_t i = 0; i < p->memories.n; i++)
    mem_unmap(p->memories.e[i].base, p->memories.e[i].bytes);
  pthread_mutex_destroy(&p->lock);
  mem_free(p);
}

static bool pool_take(vm_pool *p, pool_list *l, size_t bytes, pool_entry *out) {
  bool found = false;
  pthread_mutex_lock(&p->lock);
  for (uint32_t i = 0; i < l->n; i++) {
    if (l->e[i].bytes != bytes) continue;
    *out = l->e[i];
    l->e[i] = l->e[--l->n];
    found = true;
    break;
  }
  pthread_mutex_unlock(&p->lock);
  return found;
}

static bool pool_put(vm_pool *p, pool_list *l, const pool_entry *e) {
  bool kept = false;
  pthread_mutex_lock(&p->lock);
  if (l->n < VM_POOL_SLOTS) {
    l->e[l->n++] = *e;
    kept = true;
  }
  pthread_mutex_unlock(&p->lock);
  return kept;
}

bool vm_pool_take_memory(vm_pool *p, size_t reserved, void **base, size_t *rw) {
  pool_entry e;
  if (!p || !pool_take(p, &p->memories, reserved, &e)) return false;
  /* Cleared here, not when given back: a pool freed with its entries never
   * pays for it, and clearing pages the last user never touched would fault
   * them in just to unmap them. */
  if (e.dirty) memset(e.base, 0, e.dirty);
  *base = e.base;
  *rw = e.rw;
  return true;
}

bool vm_pool_put_memory(vm_pool *p, void *base, size_t reserved, size_t rw, size_t dirty) {
  pool_entry e = {base, reserved, rw, dirty};
  return p && pool_put(p, &p->memories, &e);
}

/* ---- stores ------------------------------------------------------------------ */

/* Size of the mapping that holds the value stack, then the frame stack; 0 if
 * it does not fit in size_t. */
static size_t exec_bytes(const vm_config *cfg, size_t *stack_bytes) {
  uint64_t stack = (uint64_t)cfg->stack_slots * sizeof(uint64_t);
  uint64_t total = stack + (uint64_t)cfg->max_call_depth * sizeof(vm_frame);
  if (total > SIZE_MAX) return 0;
  if (stack_bytes) *stack_bytes = (size_t)stack;
  return (size_t)total;
}

vm_store *vm_store_new(const vm_config *cfg) {
  return vm_store_new_pooled(cfg, NULL);
}

vm_store *vm_store_new_pooled(const vm_config *cfg, vm_pool *pool) {
  vm_store *s = mem_calloc_line(sizeof *s); /* the execution state, written on every call */
  if (!s) return NULL;
  if (cfg)
    s->cfg = *cfg;
  else
    vm_config_default(&s->cfg);
  if (s->cfg.stack_slots < MIN_STACK_SLOTS) s->cfg.stack_slots = MIN_STACK_SLOTS;
  if (s->cfg.max_call_depth < MIN_CALL_DEPTH) s->cfg.max_call_depth = MIN_CALL_DEPTH;
  /* One mapping for both stacks: fresh pages are zero and cost nothing until
   * touched, and never go through malloc (whose heap would memset them). */
  size_t stack_bytes = 0;
  size_t bytes = exec_bytes(&s->cfg, &stack_bytes);
  /* A pooled mapping is not cleared: validated code writes every slot and
   * frame before reading it (locals are zeroed at function entry), so what a
   * previous instance left there is never visible. */
  pool_entry e;
  void *p = MAP_FAILED;
  s->pool = pool;
  if (bytes && pool && pool_take(pool, &pool->stacks, bytes, &e))
    p = e.base;
  else if (bytes)
    p = mem_map(bytes, PROT_READ | PROT_WRITE);
  if (p == MAP_FAILED) {
    mem_free(s);
    return NULL;
  }
  s->exec.stack = p;
  s->exec.frames = (void *)((char *)p + stack_bytes);
  s->exec.stack_end = s->exec.stack + s->cfg.stack_slots;
  s->exec.sp = s->exec.stack;
  s->exec.max_depth = s->cfg.max_call_depth;
  vm_interrupt_init(&s->guard.own);
  s->guard.request = &s->guard.own;
  s->exn_collect_at = VM_EXN_COLLECT_MIN;
  vm_error_clear(&s->error);
  return s;
}

void vm_store_free(vm_store *s) {
  if (!s) return;
  /* Instances first: they only refer to the objects, never the reverse. */
  for (vm_instance *i = s->instances, *next; i; i = next) {
    next = i->next;
    vm_instance_release(i);
  }
  for (vm_store_obj *o = s->objects, *next; o; o = next) {
    next = o->next;
    if (o->release) o->release((char *)o + OBJ_HEADER);
    mem_free(o);
  }
  vm_exn_free_all(s);
  pool_entry e = {s->exec.stack, exec_bytes(&s->cfg, NULL), 0, 0};
  if (!s->pool || !pool_put(s->pool, &s->pool->stacks, &e)) mem_unmap(e.base, e.bytes);
  vm_interrupt_destroy(&s->guard.own);
  mem_free(s);
}

/* ---- host functions and globals ------------------------------------------ */

vm_func *vm_func_new_host(vm_store *s, const vm_functype *type, vm_host_fn fn, void *user) {
  if (!s || !type || !fn) return NULL;
  size_t ntypes = (size_t)type->nparams + type->nresults;
  if (ntypes && !type->types) return NULL;
  if (ntypes > SIZE_MAX - sizeof(vm_func)) return NULL;
  vm_func *f = vm_store_alloc(s, sizeof(vm_func) + ntypes, NULL);
  if (!f) return NULL;
  /* The type bytes live right after the function, in the same allocation. */
  uint8_t *types = (uint8_t *)(f + 1);
  if (ntypes) memcpy(types, type->types, ntypes);
  f->host_type.nparams = type->nparams;
  f->host_type.nresults = type->nresults;
  f->host_type.types = types;
  f->type = &f->host_type;
  f->host = fn;
  f->host_data = user;
  return f;
}

const vm_functype *vm_func_type(const vm_func *f) {
  return f->code ? f->type : &f->host_type;
}

vm_global *vm_global_new(vm_store *s, vm_globaltype type, uint64_t value) {
  if (!s) return NULL;
  vm_global *g = vm_store_alloc(s, sizeof *g, NULL);
  if (!g) return NULL;
  g->type = type;
  g->value = value;
  return g;
}

uint64_t vm_global_get(const vm_global *g) {
  return g->value;
}
uint64_t vm_global_get_hi(const vm_global *g) {
  return g->hi;
}

void vm_global_set(vm_global *g, uint64_t value) {
  g->value = value;
}
vm_globaltype vm_global_type(const vm_global *g) {
  return g->type;
}

/* ---- errors and traps ------------------------------------------------------ */

vm_result vm_store_trap(vm_store *s, vm_trap trap) {
  return vm_error_trap(&s->error, trap);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 0)))
#endif
static vm_result
trap_v(vm_store *s, vm_trap trap, const char *fmt, va_list ap) {
  vm_error *e = &s->error;
  e->result = VM_ERR_TRAP;
  e->trap = trap;
  e->section = -1;
  e->offset = -1;
  int n = vsnprintf(e->message, sizeof e->message, fmt, ap);
  if (n < 0) e->message[0] = '\0';
  return VM_ERR_TRAP;
}

vm_result vm_store_trap_msg(vm_store *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vm_result r = trap_v(s, VM_TRAP_HOST, fmt, ap);
  va_end(ap);
  return r;
}

vm_result vm_store_trap_as(vm_store *s, vm_trap trap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vm_result r = trap_v(s, trap, fmt, ap);
  va_end(ap);
  return r;
}

const vm_error *vm_store_error(const vm_store *s) {
  return &s->error;
}

/* ---- guardrails ------------------------------------------------------------- */

/* Largest slice of fuel handed to the interpreter between two polls: about
 * 15,000 instructions, tens of microseconds, so an interrupt or a deadline is
 * seen promptly while the clock is read rarely. */
#define GUARD_SLICE ((uint64_t)1 << 16)

uint64_t vm_monotonic_ns(void) {
  return clock_mono_ns();
}

void vm_guard_arm(vm_store *s) {
  vm_guard *g = &s->guard;
  uint64_t slice = GUARD_SLICE;
  g->fuel_on = s->cfg.fuel != 0;
  g->fuel = s->cfg.fuel;
  if (g->fuel_on) {
    if (g->fuel < slice) slice = g->fuel;
    g->fuel -= slice;
  }
  g->tick = (int64_t)slice;
  g->deadline_ns = 0;
  if (s->cfg.timeout_ns) {
    uint64_t now = vm_monotonic_ns();
    g->deadline_ns = s->cfg.timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + s->cfg.timeout_ns;
  }
}

/* The guardrails now: an interrupt pending, or the call's deadline passed.  Run after every host function
 * returns into guest code (vm_call_host), in every wait, and at the interruption points. */
static inline vm_trap guard_check(vm_store *s) {
  vm_guard *g = &s->guard;
  if (atomic_load_explicit(&g->request->raised, memory_order_relaxed)) return VM_TRAP_INTERRUPTED;
  if (g->deadline_ns && vm_monotonic_ns() >= g->deadline_ns) return VM_TRAP_DEADLINE;
  return VM_TRAP_NONE;
}

vm_trap vm_guard_poll(vm_store *s) {
  vm_guard *g = &s->guard;
  /* What the interpreter overshot since the last slice ran out. */
  uint64_t debt = g->tick < 0 ? (uint64_t)0 - (uint64_t)g->tick : 0;
  uint64_t slice = GUARD_SLICE;
  /* Each stop leaves tick at 0 so the next point polls and stops again:
   * a host function that swallows a nested stop cannot resume the guest. */
  g->tick = 0;
  vm_trap stop = guard_check(s);
  if (stop != VM_TRAP_NONE) return stop;
  if (g->fuel_on) {
    if (g->fuel < debt) {
      g->fuel = 0;
      return VM_TRAP_FUEL;
    }
    g->fuel -= debt;
    if (g->fuel < slice) slice = g->fuel;
    g->fuel -= slice;
  }
  g->tick = (int64_t)slice;
  return VM_TRAP_NONE;
}

void vm_store_set_fuel(vm_store *s, uint64_t fuel) {
  if (s) s->cfg.fuel = fuel;
}

void vm_store_set_timeout(vm_store *s, uint64_t timeout_ns) {
  if (s) s->cfg.timeout_ns = timeout_ns;
}

uint64_t vm_store_fuel_remaining(const vm_store *s) {
  if (!s || !s->guard.fuel_on) return UINT64_MAX;
  return s->guard.fuel + (s->guard.tick > 0 ? (uint64_t)s->guard.tick : 0);
}

void vm_interrupt_init(vm_interrupt *i) {
  atomic_init(&i->raised, 0u);
  atomic_init(&i->wake_fd, -1);
}

void vm_interrupt_destroy(vm_interrupt *i) {
  int fd = atomic_exchange(&i->wake_fd, -1);
  if (fd >= 0) close(fd);
}

void vm_interrupt_raise(vm_interrupt *i) {
  /* Sequentially consistent with the waiter's publication of the fd (see
   * wake_fd_of): either it sees `raised` before it sleeps, or this sees its
   * fd and wakes it. */
  atomic_store(&i->raised, 1u);
  int fd = atomic_load(&i->wake_fd);
  if (fd >= 0) {
    uint64_t one = 1;
    /* Nonblocking: a counter that is already non-zero wakes the waiter anyway. */
    ssize_t n = write(fd, &one, sizeof one);
    (void)n;
  }
}

void vm_interrupt_clear(vm_interrupt *i) {
  atomic_store_explicit(&i->raised, 0u, memory_order_relaxed);
}

void vm_store_interrupt(vm_store *s) {
  if (s) vm_interrupt_raise(s->guard.request);
}

void vm_store_clear_interrupt(vm_store *s) {
  if (s) vm_interrupt_clear(s->guard.request);
}

void vm_store_share_interrupt(vm_store *s, vm_interrupt *i) {
  if (s) s->guard.request = i ? i : &s->guard.own;
}

/* The request's eventfd, made on first use; -1 when none can be made (the
 * wait then polls the request every WAIT_SLICE_NS instead). */
static int wake_fd_of(vm_interrupt *i) {
  int fd = atomic_load(&i->wake_fd);
  if (fd >= 0) return fd;
  fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return -1;
  int none = -1;
  if (!atomic_compare_exchange_strong(&i->wake_fd, &none, fd)) {
    close(fd);
    fd = none;
  }
  return fd;
}

/* Without an eventfd, a waiter looks at the interrupt request this often. */
#define WAIT_SLICE_NS 10000000u

static void drain(int fd) {
  uint64_t count;
  ssize_t n = read(fd, &count, sizeof count);
  (void)n;
}

vm_trap vm_store_wait(vm_store *s, struct pollfd *fds, size_t nfds, uint64_t until_ns, int *ready) {
  vm_guard *g = &s->guard;
  int wake = wake_fd_of(g->request);
  nfds_t n = (nfds_t)nfds;
  if (wake >= 0) {
    fds[n].fd = wake;
    fds[n].events = POLLIN;
    fds[n].revents = 0;
  }
  for (;;) {
    /* After the fd is published: a raise from now on writes it. */
    vm_trap stop = guard_check(s);
    if (stop != VM_TRAP_NONE) return stop;
    uint64_t now = vm_monotonic_ns();
    uint64_t end = until_ns;
    if (g->deadline_ns && g->deadline_ns < end) end = g->deadline_ns;
    uint64_t rel = end > now ? end - now : 0;
    if (wake < 0 && rel > WAIT_SLICE_NS) rel = WAIT_SLICE_NS;
    struct timespec ts = {(time_t)(rel / 1000000000u), (long)(rel % 1000000000u)};
    int r = ppoll(fds, wake >= 0 ? n + 1 : n, end == UINT64_MAX && wake >= 0 ? NULL : &ts, NULL);
    if (r < 0) {
      if (errno == EINTR) continue;
      *ready = -1;
      return VM_TRAP_NONE;
    }
    if (wake >= 0 && fds[n].revents) {
      /* A request (or a stale count from one already consumed): look again. */
      drain(wake);
      fds[n].revents = 0;
      r--;
    }
    if (r > 0) {
      *ready = r;
      return VM_TRAP_NONE;
    }
    if (until_ns != UINT64_MAX && vm_monotonic_ns() >= until_ns) {
      *ready = 0;
      return VM_TRAP_NONE;
    }
  }
}

/* A top-level call: neither inside the interpreter nor inside a host call. */
static bool top_level(const vm_exec *ex) {
  return ex->depth == 0 && ex->host_nesting == 0;
}

/* A top-level call stopped by an interrupt consumed the request. */
static void guard_finish(vm_store *s, vm_result r) {
  if (r == VM_ERR_TRAP && s->error.trap == VM_TRAP_INTERRUPTED) vm_store_clear_interrupt(s);
}

/* ---- calls ----------------------------------------------------------------- */

/* vm_error_clear, inlined: it runs on every call. */
static inline void error_reset(vm_error *e) {
  e->result = VM_OK;
  e->trap = VM_TRAP_NONE;
  e->section = -1;
  e->offset = -1;
  e->message[0] = '\0';
}

static uint32_t max_u32(uint32_t a, uint32_t b) {
  return a > b ? a : b;
}

/* memmove of `n` slots; the usual one or two go through registers instead of a call. */
static inline void copy_slots(uint64_t *dst, const uint64_t *src, uint32_t n) {
  if (n == 1) {
    dst[0] = src[0];
  } else if (n == 2) {
    uint64_t a = src[0], b = src[1];
    dst[0] = a;
    dst[1] = b;
  } else if (n) {
    memmove(dst, src, (size_t)n * sizeof *dst);
  }
}

static bool in_stack(const vm_exec *ex, const uint64_t *p) {
  uintptr_t a = (uintptr_t)p;
  return a >= (uintptr_t)ex->stack && a < (uintptr_t)ex->stack_end;
}

vm_result vm_call_host(vm_store *s, vm_func *f, vm_instance *caller, uint64_t *args_results) {
  vm_exec *ex = &s->exec;
  const vm_functype *t = &f->host_type;
  if (ex->host_nesting >= VM_MAX_HOST_NESTING) return vm_error_trap(&s->error, VM_TRAP_STACK_EXHAUSTED);
  uint64_t *saved_sp = ex->sp;
  /* A nested vm_invoke must start above the argument/result slots when they
   * sit on the value stack; slots above them are dead for the caller. */
  if (in_stack(ex, args_results)) {
    size_t room = (size_t)(ex->stack_end - args_results);
    uint32_t np, nr;
    vm_functype_slots(t, &np, &nr);
    size_t k = max_u32(np, nr);
    uint64_t *top = args_results + (k < room ? k : room);
    if ((uintptr_t)top > (uintptr_t)ex->sp) ex->sp = top;
  }
  /* The failure path below reads only these (a trap sets the rest). */
  s->error.result = VM_OK;
  s->error.trap = VM_TRAP_NONE;
  s->error.message[0] = '\0';
  /* A host function called directly by the embedder may re-enter wasm. */
  bool outer = top_level(ex);
  if (outer) vm_guard_arm(s);
  ex->host_nesting++;
  vm_result r = f->host(s, caller, f->host_data, args_results);
  ex->host_nesting--;
  ex->sp = saved_sp;
  if (r == VM_OK && !outer) {
    /* Back into guest code: a stop that came while the host function ran
     * (a slow callback, a wait) takes effect before the guest goes on. */
    vm_trap stop = guard_check(s);
    if (stop == VM_TRAP_NONE) return VM_OK;
    s->guard.tick = 0;
    return vm_error_trap(&s->error, stop);
  }
  if (r == VM_OK) return VM_OK;
  /* Whatever went wrong, the caller sees a trap with a message. */
  if (s->error.result == VM_OK) return vm_store_trap_msg(s, "host function failed");
  s->error.result = VM_ERR_TRAP;
  if (s->error.trap == VM_TRAP_NONE) s->error.trap = VM_TRAP_HOST;
  if (outer) guard_finish(s, VM_ERR_TRAP);
  return VM_ERR_TRAP;
}

vm_result vm_call_function(vm_store *s, vm_func *f, vm_instance *caller, uint64_t *fp, uint64_t *frame_end) {
  if (!f->code) {
    vm_exec *ex = &s->exec;
    uint64_t *sp = ex->sp;
    ex->sp = frame_end;
    vm_result r = vm_call_host(s, f, caller, fp);
    ex->sp = sp;
    return r;
  }
#if WAPC_JIT
  if (f->code->native) return vm_jit_run(s, f, fp);
#endif
  return vm_interp_run(s, f, fp);
}

vm_result vm_invoke(vm_store *s, vm_func *f, uint64_t *args_results) {
  if (!s) return VM_ERR_ARG;
  error_reset(&s->error);
  s->exec.exn = NULL;
  if (!f) return vm_error_set(&s->error, VM_ERR_ARG, -1, -1, "no function to call");
  const vm_functype *t = vm_func_type(f);
  if ((t->nparams || t->nresults) && !args_results)
    return vm_error_set(&s->error, VM_ERR_ARG, -1, -1, "no argument/result buffer");
  if (!f->code) return vm_call_host(s, f, NULL, args_results);

  vm_exec *ex = &s->exec;
  const vm_code *c = f->code;
  uint64_t *fp = ex->sp;
  size_t need = max_u32(c->nslots, max_u32(c->nparams, c->nresults));
  if (!in_stack(ex, fp) || (size_t)(ex->stack_end - fp) < need)
    return vm_error_trap(&s->error, VM_TRAP_STACK_EXHAUSTED);
  copy_slots(fp, args_results, c->nparams);
  bool outer = top_level(ex);
  if (outer) vm_guard_arm(s);
  vm_result r = vm_call_function(s, f, NULL, fp, fp + need);
  if (outer) guard_finish(s, r);
  ex->sp = fp;
  if (r == VM_OK) copy_slots(args_results, fp, c->nresults);
  return r;
}
