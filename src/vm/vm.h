/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm.h - the built-in WebAssembly engine, as the rest of libwapc sees it.
 *
 * Pipeline: bytes -> vm_module_load() (decode, validate, compile; the result is
 * immutable and may be shared by threads) -> vm_instantiate() into a vm_store
 * (the owner of every runtime object: functions, memories, tables, globals,
 * instances; they all live until the store is freed) -> vm_invoke().
 *
 * A store and everything in it is used by one thread at a time.  Host functions
 * may call vm_invoke() on the same store again (re-entrancy): the nested call
 * runs on the same value stack above the caller's frames.
 *
 * Values cross this API as 64-bit slots (uint64_t): i32 in the low 32 bits,
 * f32 as its bit pattern in the low 32 bits, i64 as is, f64 as its bit pattern,
 * references as pointers (funcref: a vm_func *, externref: an opaque non-NULL
 * pointer-sized cookie; NULL is the null reference).  An exnref is an
 * exception the store owns and collects when no wasm value refers to it any
 * more: one handed to the embedder (a result, a global read) may be looked at
 * but not kept past the next call into the store.
 */
#ifndef WAPC_VM_VM_H
#define WAPC_VM_VM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Value types, encoded as in the binary format. */
enum {
  VM_I32 = 0x7F,
  VM_I64 = 0x7E,
  VM_F32 = 0x7D,
  VM_F64 = 0x7C,
  VM_V128 = 0x7B,
  VM_FUNCREF = 0x70,
  VM_EXTERNREF = 0x6F,
  VM_EXNREF = 0x69, /* exception handling (Wasm 3.0): a caught exception, or null */
};

/* The 64-bit frame slots a value of type t takes: two for a v128, one for anything else. */
static inline uint32_t vm_type_slots(uint8_t t) {
  return t == VM_V128 ? 2u : 1u;
}

/* The slots of a signature's parameters and of its results (see vm_type_slots). */
struct vm_functype;
void vm_functype_slots(const struct vm_functype *t, uint32_t *params, uint32_t *results);

/* External kinds, encoded as in the binary format (tags: exception handling, Wasm 3.0). */
enum {
  VM_EXTERN_FUNC = 0,
  VM_EXTERN_TABLE = 1,
  VM_EXTERN_MEMORY = 2,
  VM_EXTERN_GLOBAL = 3,
  VM_EXTERN_TAG = 4
};

/* Outcome of an engine operation. */
typedef enum {
  VM_OK = 0,
  VM_ERR_MALFORMED, /* binary decoding failed ("assert_malformed") */
  VM_ERR_INVALID,   /* validation failed ("assert_invalid") */
  VM_ERR_LINK,      /* imports do not match ("assert_unlinkable") */
  VM_ERR_TRAP,      /* a trap, at instantiation or during a call */
  VM_ERR_NOMEM,     /* the host could not allocate */
  VM_ERR_LIMIT,     /* a configured limit refused the module or the call */
  VM_ERR_ARG,       /* misuse of this API (wrong argument count, ...) */
} vm_result;

/* Trap kinds; vm_trap_message() gives the spec's wording. */
typedef enum {
  VM_TRAP_NONE = 0,
  VM_TRAP_UNREACHABLE,           /* "unreachable" */
  VM_TRAP_MEMORY_OOB,            /* "out of bounds memory access" */
  VM_TRAP_TABLE_OOB,             /* "out of bounds table access" */
  VM_TRAP_UNDEFINED_ELEMENT,     /* "undefined element" (call_indirect index >= table size) */
  VM_TRAP_UNINITIALIZED_ELEMENT, /* "uninitialized element" (call_indirect on null) */
  VM_TRAP_INDIRECT_MISMATCH,     /* "indirect call type mismatch" */
  VM_TRAP_DIV_ZERO,              /* "integer divide by zero" */
  VM_TRAP_INT_OVERFLOW,          /* "integer overflow" */
  VM_TRAP_INVALID_CONVERSION,    /* "invalid conversion to integer" */
  VM_TRAP_STACK_EXHAUSTED,       /* "call stack exhausted" */
  VM_TRAP_NULL_REFERENCE,        /* "null reference" (ref.as_non_null of null) */
  VM_TRAP_HOST,                  /* a host function failed; the message is its own */
  VM_TRAP_INTERRUPTED,           /* "interrupted" (an interrupt request) */
  VM_TRAP_DEADLINE,              /* "deadline exceeded" (the call's timeout) */
  VM_TRAP_FUEL,                  /* "fuel exhausted" (the fuel budget) */
  VM_TRAP_EXIT,  /* "exit": WASI proc_exit unwinds the guest; the code is in the WASI context */
  VM_TRAP_LIMIT, /* a host function refused a request over a size cap; the message is its own */
  VM_TRAP_NOMEM, /* "out of memory": a host function could not allocate */
  /* "uncaught exception": a wasm exception (throw, throw_ref, rethrow) no handler caught; it ends the
   * call like a trap (the host's C stack is never unwound).  While it travels through frames of other
   * tiers and host functions, the store holds the exception and code of an outer activation may catch
   * it (exec.h). */
  VM_TRAP_EXCEPTION,
  VM_TRAP_NULL_EXNREF,  /* "null exception reference" (throw_ref of null) */
  VM_TRAP_NULL_FUNCREF, /* "null function reference" (call_ref of null) */
} vm_trap;

const char *vm_trap_message(vm_trap trap);

/*
 * An error from loading, linking, instantiating or running.  `message` holds
 * the spec's wording exactly ("unexpected end", "type mismatch", "unknown
 * import", "integer divide by zero", ...) so spec tests can compare it;
 * `section` and `offset` locate load errors (-1 when not known).
 */
typedef struct vm_error {
  vm_result result;
  vm_trap trap;      /* for VM_ERR_TRAP */
  int section;       /* section id of a load error, -1 if none */
  int64_t offset;    /* byte offset in the module of a load error, -1 if none */
  char message[256]; /* spec wording, or the host's message for VM_TRAP_HOST */
} vm_error;

/* Reset `e` to "no error". */
void vm_error_clear(vm_error *e);
/* Set an error; `fmt` is printf-style; returns `result` for convenient `return vm_error_set(...)`. */
vm_result vm_error_set(vm_error *e, vm_result result, int section, int64_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
/* Set a trap error with the spec's wording for `trap`. */
vm_result vm_error_trap(vm_error *e, vm_trap trap);
/* Human-readable one-line form: "malformed module: unexpected end (code section, offset 0x1f)". */
void vm_error_format(const vm_error *e, char *buf, size_t len);

/* Limits and switches for loading and running. vm_config_default() gives safe defaults. */
typedef struct vm_config {
  uint32_t max_call_depth;   /* frames; deeper recursion traps "call stack exhausted" (default 10000) */
  uint32_t stack_slots;      /* value-stack size in 64-bit slots (default 1M = 8 MiB) */
  uint32_t max_memory_pages; /* cap on any linear memory, in 64 KiB pages (default 65536) */
  uint32_t max_table_elems;  /* cap on any table (default 10,000,000) */
  uint32_t max_functions;    /* cap on functions per module (default 1,000,000) */
  uint32_t max_locals;       /* cap on locals per function (default 50,000) */
  /* Guardrails for each top-level call (vm_invoke from the embedder, or the
   * start function run by vm_instantiate); calls nested through host
   * functions share the budget of the call they are part of. */
  uint64_t fuel;       /* budget in fuel units (see vm_store_set_fuel); 0 = unlimited (default) */
  uint64_t timeout_ns; /* wall-clock limit, monotonic clock; 0 = none (default) */
  /* How functions run: VM_TIER_AUTO (default: the compiler tier where it is
   * built in, x86-64 Linux, else the interpreter), VM_TIER_INTERP, or
   * VM_TIER_COMPILER (the compiler for every function it supports, the
   * interpreter for the rest: the same as AUTO today). */
  uint8_t tier;
  /* The proposals beyond Wasm 2.0 the decoder and validator accept (VM_FEATURE_*; default all the
   * engine has).  VM_FEATURES_WASM2 gives exactly Wasm 2.0 (its spec suite's expectations). */
  uint32_t features;
} vm_config;

enum {
  VM_FEATURE_TAIL_CALL = 1u << 0,      /* return_call, return_call_indirect */
  VM_FEATURE_EXTENDED_CONST = 1u << 1, /* i32/i64 add, sub, mul in constant expressions */
  /* Wasm 3.0's validation rules that are not a proposal of their own: a constant expression may read
   * any earlier immutable global (2.0: imported ones only); 3.0's messages ("immutable global"). */
  VM_FEATURE_WASM3_RULES = 1u << 2,
  VM_FEATURE_RELAXED_SIMD = 1u << 3, /* the 20 relaxed SIMD instructions (simdops.def: our choices) */
  VM_FEATURE_MULTI_MEMORY = 1u << 4, /* several memories; memory indices in memargs and memory.* */
  VM_FEATURE_MEMORY64 = 1u << 5,     /* i64-addressed memories; 3.0's limits and memarg encodings */
  /* Exception handling: tags, exnref, throw, throw_ref, try_table, and the legacy try / catch /
   * catch_all / rethrow / delegate of the 3.0 appendix (what LLVM emits for C++ by default). */
  VM_FEATURE_EXCEPTIONS = 1u << 6,
  /* Typed function references: (ref $t), (ref null $t), non-null references, call_ref,
   * return_call_ref, ref.as_non_null, br_on_null, br_on_non_null, table initialisers. */
  VM_FEATURE_FUNCTION_REFERENCES = 1u << 7,
  VM_FEATURES_WASM2 = 0,
  VM_FEATURES_ALL = VM_FEATURE_TAIL_CALL | VM_FEATURE_EXTENDED_CONST | VM_FEATURE_WASM3_RULES |
                    VM_FEATURE_RELAXED_SIMD | VM_FEATURE_MULTI_MEMORY | VM_FEATURE_MEMORY64 |
                    VM_FEATURE_EXCEPTIONS | VM_FEATURE_FUNCTION_REFERENCES,
};

/* Does `cfg` accept the instructions of proposal `feat` (a VM_FEAT_* of opcodes.h)? */
bool vm_feature_on(const vm_config *cfg, unsigned feat);

enum { VM_TIER_AUTO = 0, VM_TIER_INTERP = 1, VM_TIER_COMPILER = 2 };

void vm_config_default(vm_config *cfg);

/* Function signature. `types` holds nparams parameter types, then nresults result types.  A module's
 * types also have `vts` (types.h: the same types with their reference details, Wasm 3.0's typed
 * references) and say which module and index they are; an embedder's leave these zero. */
typedef struct vm_functype {
  uint32_t nparams;
  uint32_t nresults;
  const uint8_t *types;
  const uint32_t *vts;
  const struct vm_module *module;
  uint32_t index;
  bool typed; /* some type in vts says more than its byte */
} vm_functype;

bool vm_functype_equal(const vm_functype *a, const vm_functype *b);

/* Memories per module (multi-memory): each reserves address space for its maximum. */
#define VM_MAX_MEMORIES 100u

typedef struct vm_limits {
  uint64_t min; /* pages or elements; above 2^32 only for a 64-bit memory (memory64, Wasm 3.0) */
  uint64_t max;
  bool has_max;
  bool is64; /* a memory addressed by i64 (memory64) */
} vm_limits;

typedef struct vm_tabletype {
  uint8_t elemtype; /* VM_FUNCREF, VM_EXTERNREF or VM_EXNREF */
  vm_limits limits;
  uint32_t vt; /* types.h: the element type in full (0: elemtype's); a type index is its module's */
} vm_tabletype;

typedef struct vm_globaltype {
  uint8_t type;
  bool mutable_;
  uint32_t vt; /* types.h: the type in full (0: type's); a type index is its module's */
} vm_globaltype;

typedef struct vm_module vm_module;     /* see module.h */
typedef struct vm_store vm_store;       /* see runtime.h */
typedef struct vm_instance vm_instance; /* see runtime.h */
typedef struct vm_func vm_func;         /* see runtime.h */
typedef struct vm_memory vm_memory;     /* see runtime.h */
typedef struct vm_table vm_table;       /* see runtime.h */
typedef struct vm_global vm_global;     /* see runtime.h */
typedef struct vm_tag vm_tag;           /* see runtime.h */

/* ---- modules ---------------------------------------------------------- */

/*
 * Decode, validate and compile a binary module.  `bytes` is borrowed for the
 * duration of the call (the module keeps its own copy of what it needs).  On
 * failure returns NULL and fills `err` (VM_ERR_MALFORMED / VM_ERR_INVALID /
 * VM_ERR_LIMIT / VM_ERR_NOMEM).  `cfg` may be NULL for defaults.
 */
vm_module *vm_module_load(const uint8_t *bytes, size_t len, const vm_config *cfg, vm_error *err);
void vm_module_free(vm_module *m);

/* Imports and exports of a module, for the embedder to resolve and look up. */
typedef struct vm_import_desc {
  const char *module; /* not NUL-terminated; use the lengths */
  uint32_t module_len;
  const char *name;
  uint32_t name_len;
  uint8_t kind; /* VM_EXTERN_* */
  union {
    const vm_functype *func; /* also a tag's type (VM_EXTERN_TAG: its parameters, no results) */
    vm_tabletype table;
    vm_limits memory;
    vm_globaltype global;
  } type;
} vm_import_desc;

uint32_t vm_module_num_imports(const vm_module *m);
void vm_module_import(const vm_module *m, uint32_t i, vm_import_desc *out);

typedef struct vm_export_desc {
  const char *name; /* not NUL-terminated */
  uint32_t name_len;
  uint8_t kind;
  uint32_t index; /* in the module's index space of that kind */
  union {         /* the exported item's type, as for imports */
    const vm_functype *func;
    vm_tabletype table;
    vm_limits memory;
    vm_globaltype global;
  } type;
} vm_export_desc;

uint32_t vm_module_num_exports(const vm_module *m);
void vm_module_export(const vm_module *m, uint32_t i, vm_export_desc *out);

/* The type of function `funcidx` in the module's function index space
 * (imports first), or NULL when out of range.  Points into the module. */
const vm_functype *vm_module_func_type(const vm_module *m, uint32_t funcidx);

/* Size facts for debug descriptions and benchmarks. */
typedef struct vm_module_info {
  uint32_t num_types, num_funcs, num_imported_funcs, num_tables, num_memories, num_globals;
  uint32_t num_exports, num_elems, num_datas;
  size_t code_bytes;         /* size of the code section bodies in the binary */
  size_t compiled_bytes;     /* size of the compiled internal code */
  uint32_t native_funcs;     /* functions compiled to machine code (the compiler tier) */
  size_t native_bytes;       /* their machine code */
  const char *native_status; /* "" or why there is no machine code (a static string) */
} vm_module_info;
void vm_module_get_info(const vm_module *m, vm_module_info *out);

/* A custom section: its name (UTF-8, not NUL-terminated) and contents, pointing into the module's copy
 * of the binary (valid as long as the module). */
typedef struct vm_custom_section {
  const char *name;
  size_t name_len;
  const uint8_t *data;
  size_t len;
} vm_custom_section;
/* The index-th custom section, in binary order; false past the last. */
bool vm_module_custom_section(const vm_module *m, uint32_t index, vm_custom_section *out);

/* ---- stores and runtime objects --------------------------------------- */

/* A new, empty store. `cfg` is copied; NULL gives defaults. NULL on out of memory. */
vm_store *vm_store_new(const vm_config *cfg);
/* Free the store and every object in it. NULL is a no-op. */
void vm_store_free(vm_store *s);

/* An external value: what an import is bound to, or what an export is. */
typedef struct vm_extern {
  uint8_t kind; /* VM_EXTERN_* */
  union {
    vm_func *func;
    vm_table *table;
    vm_memory *memory;
    vm_global *global;
    vm_tag *tag;
  } u;
} vm_extern;

/*
 * A host function.  `args_results` holds the arguments on entry (one 64-bit
 * slot each, two for a v128: low half first) and receives the results the
 * same way (it has room for the larger of the two, in slots).  `caller` is the instance whose code made the
 * call (NULL when invoked directly by the embedder).  Return VM_OK, or a trap set with vm_store_trap() /
 * vm_store_trap_msg().
 */
typedef vm_result (*vm_host_fn)(vm_store *s, vm_instance *caller, void *user, uint64_t *args_results);

/* Create a host function of type `type` (copied).  Owned by the store. */
vm_func *vm_func_new_host(vm_store *s, const vm_functype *type, vm_host_fn fn, void *user);
const vm_functype *vm_func_type(const vm_func *f);

/* Create standalone objects (for the spectest module and embedders). Owned by the store. */
vm_memory *vm_memory_new(vm_store *s, vm_limits limits);
vm_table *vm_table_new(vm_store *s, vm_tabletype type, void *init);
vm_global *vm_global_new(vm_store *s, vm_globaltype type, uint64_t value);
/* An exception tag whose exceptions carry values of `type`'s parameters (it must have no results; NULL
 * then, or on out of memory).  Each call makes a distinct tag: a handler catches the exceptions of the
 * tag it names, by identity. */
vm_tag *vm_tag_new(vm_store *s, const vm_functype *type);
const vm_functype *vm_tag_type(const vm_tag *t);

/* Linear memory access for host functions.  The base never moves while the
 * memory lives (memory is reserved up front and grows in place), but the size
 * grows: re-read vm_memory_size() after anything that may run guest code. */
uint8_t *vm_memory_data(vm_memory *m);
uint64_t vm_memory_size(const vm_memory *m); /* in bytes */
/* True when [ptr, ptr+len) lies inside the memory (64-bit arithmetic, no overflow). */
bool vm_memory_check(const vm_memory *m, uint64_t ptr, uint64_t len);

uint64_t vm_global_get(const vm_global *g);
/* A v128 global's high half (vm_global_get gives its low half). */
uint64_t vm_global_get_hi(const vm_global *g);
void vm_global_set(vm_global *g, uint64_t value);
vm_globaltype vm_global_type(const vm_global *g);

/* Record a trap from a host function; returns VM_ERR_TRAP. */
vm_result vm_store_trap(vm_store *s, vm_trap trap);
vm_result vm_store_trap_msg(vm_store *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* A trap of kind `trap` with its own message. */
vm_result vm_store_trap_as(vm_store *s, vm_trap trap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/*
 * Guardrails.  Code is stopped only at its interruption points, function
 * entries, loop back-edges and bulk memory/table operations, so every stop is a clean trap ("fuel
 * exhausted", "deadline exceeded", "interrupted") that unwinds the call; the
 * store stays usable.  Between two points runs straight-line code of bounded
 * length, so a stop takes effect promptly (tens of microseconds at most).
 *
 * Fuel: one unit per function entry, per loop iteration one unit plus
 * the size of the loop body in internal code words (about 3-4 per wasm
 * instruction), and one unit per 64 bytes or elements a bulk memory or
 * table operation (fill, copy, init) processes, so fuel tracks work done
 * (and those operations are interruption points too).  vm_store_set_fuel /
 * vm_store_set_timeout change the limits for the next top-level calls (they
 * write the store's config); the thread that uses the store calls them.
 */
void vm_store_set_fuel(vm_store *s, uint64_t fuel);
void vm_store_set_timeout(vm_store *s, uint64_t timeout_ns);
/* Fuel left in the current or last top-level call; UINT64_MAX when unlimited. */
uint64_t vm_store_fuel_remaining(const vm_store *s);
/*
 * An interrupt request: a flag any thread may raise, plus a way to wake a
 * host function that waits on behalf of guest code (vm_store_wait).  The
 * wake-up is an eventfd made by the first wait, so a request that only ever
 * meets running code costs one atomic store.  vm_interrupt_raise is
 * lock-free and async-signal-safe (an atomic store and at most one write);
 * vm_interrupt_destroy must not run concurrently with it.
 */
typedef struct vm_interrupt {
  atomic_uint raised;
  atomic_int wake_fd; /* eventfd (nonblocking), or -1 before the first wait */
} vm_interrupt;

void vm_interrupt_init(vm_interrupt *i);
void vm_interrupt_destroy(vm_interrupt *i);
void vm_interrupt_raise(vm_interrupt *i);
void vm_interrupt_clear(vm_interrupt *i);

/*
 * Ask the call in flight on `s` to stop with the trap "interrupted".  Any
 * thread may call this at any time (vm_interrupt_raise).  The request stays
 * pending until a top-level call ends with that trap, or
 * vm_store_clear_interrupt() is called: a request made while no call runs
 * stops the next call at its first interruption point.
 */
void vm_store_interrupt(vm_store *s);
void vm_store_clear_interrupt(vm_store *s);
/*
 * Make `s` use `i` (NULL: its own) as its interrupt request: the engine
 * polls it, waits wake on it, and vm_store_interrupt /
 * vm_store_clear_interrupt write it.  One request shared by several stores
 * lets an embedder that replaces stores (hot swap, reset) interrupt
 * whichever runs without knowing which, and without a lock.  The caller
 * keeps `i` alive as long as the store; the thread that uses the store calls
 * this, between calls.
 */
void vm_store_share_interrupt(vm_store *s, vm_interrupt *i);

/*
 * Wait on behalf of a host function called by code running in `s`, until
 * the time `until_ns` (vm_monotonic_ns; UINT64_MAX: no time limit; 0 or a
 * past time: just look) or until one of `fds[0..nfds)` is ready, whichever
 * comes first.  The guardrails bound every wait: the running call's deadline
 * ends it with VM_TRAP_DEADLINE, an interrupt wakes it at once with
 * VM_TRAP_INTERRUPTED (the caller returns that trap to the guest).  `fds`
 * must have room for nfds + 1 entries (the last is the wake-up's).
 * Otherwise returns VM_TRAP_NONE and *ready: the number of ready fds (0: the
 * time came), or -1 with errno set when ppoll failed.
 */
struct pollfd;
vm_trap vm_store_wait(vm_store *s, struct pollfd *fds, size_t nfds, uint64_t until_ns, int *ready);

/* CLOCK_MONOTONIC in nanoseconds, the clock of timeouts. */
uint64_t vm_monotonic_ns(void);

/*
 * A pool of what freed stores leave behind, for new stores to reuse: the
 * mapping of the value and frame stacks, and linear-memory reservations of at
 * most VM_POOL_MEMORY_MAX committed bytes (zeroed before reuse).  With
 * it, instantiating a module again maps and unmaps nothing and, once the
 * pooled pages are warm, takes no page fault.  A store made with a pool (vm_store_new_pooled) returns its
 * resources to it when freed; the pool keeps at most VM_POOL_SLOTS idle
 * stacks and as many memories, and unmaps the rest.  Any thread may use a
 * pool (a mutex, taken only when a store or memory is created or freed).
 * It must outlive every store made with it.  Limits are unchanged: a reused
 * memory has the size, cap and bounds checks of a new one.
 */
typedef struct vm_pool vm_pool;
#define VM_POOL_SLOTS 8u
#define VM_POOL_MEMORY_MAX ((uint64_t)1 << 20)
vm_pool *vm_pool_new(void);    /* NULL on out of memory */
void vm_pool_free(vm_pool *p); /* NULL is a no-op */
/* vm_store_new() that takes from and gives back to `pool` (NULL: none). */
vm_store *vm_store_new_pooled(const vm_config *cfg, vm_pool *pool);

/* The error of the last failed vm_invoke / vm_instantiate on this store. */
const vm_error *vm_store_error(const vm_store *s);

/* ---- instances ---------------------------------------------------------- */

/*
 * Instantiate `m` in `s`.  `imports` gives one external per module import, in
 * import order (resolved by the embedder; see vm_module_import()).  Their types
 * are checked here ("incompatible import type").  Runs active element and data
 * segments, then the start function.  On failure returns NULL and fills `err`
 * (VM_ERR_LINK, VM_ERR_TRAP, VM_ERR_LIMIT, VM_ERR_NOMEM); objects that were
 * already modified (shared tables/memories) stay modified, as the spec says.
 * The module must outlive the store.
 */
vm_instance *vm_instantiate(vm_store *s, const vm_module *m, const vm_extern *imports, uint32_t nimports,
                            vm_error *err);

/*
 * Pre-initialised images (image.c): the state of an instance after its
 * initialisation, from which later instances of the same module start.
 * vm_image_capture records `inst`'s memory (in a sealed memory file mapped
 * copy-on-write by each new instance, or a heap copy where the system has
 * none), globals, tables and dropped segments; NULL and `err` when the
 * instance cannot be captured (it imports a table, memory or global, or
 * holds an external reference) or on out of memory.  An image is immutable:
 * any thread may instantiate from it; free it after every instance made
 * from it is gone (their memories map its file, which the kernel keeps).
 * vm_instantiate_image is vm_instantiate, but the state comes from `img` (of
 * the same module): no segment and no start function runs.  The image's
 * memory or tables larger than the store's caps fail with VM_ERR_LIMIT.
 */
typedef struct vm_image vm_image;
typedef struct vm_image_info {
  uint64_t memory_bytes; /* the memory's size */
  uint64_t stored_bytes; /* of it, the bytes stored (chunks that are not all zero) */
  bool copy_on_write;    /* mapped by each instance (else copied) */
} vm_image_info;
vm_image *vm_image_capture(vm_instance *inst, vm_error *err);
void vm_image_free(vm_image *img); /* NULL is a no-op */
void vm_image_get_info(const vm_image *img, vm_image_info *out);
vm_instance *vm_instantiate_image(vm_store *s, const vm_module *m, const vm_extern *imports,
                                  uint32_t nimports, const vm_image *img, vm_error *err);

/* Look up an export by name.  Returns false when there is none. */
bool vm_instance_export(vm_instance *inst, const char *name, size_t name_len, vm_extern *out);
/* The instance's memory 0, or NULL. */
vm_memory *vm_instance_memory(vm_instance *inst);
/* The host address of [ptr, ptr+len) in the instance's memory 0, or NULL when
 * it has none or the range is not inside it (vm_memory_check's arithmetic).
 * One call for the hot path of host functions; valid until the guest runs. */
uint8_t *vm_instance_memory_range(vm_instance *inst, uint64_t ptr, uint64_t len);
const vm_module *vm_instance_module(const vm_instance *inst);

/*
 * Call `f`.  `args_results` holds the arguments on entry and receives the
 * results, one 64-bit slot each (two for a v128, low half first); it must
 * have room for the larger of the two (vm_functype_slots).
 * Returns VM_OK, or VM_ERR_TRAP with the details in vm_store_error(s).
 */
vm_result vm_invoke(vm_store *s, vm_func *f, uint64_t *args_results);

#endif
