/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * wapc.h - libwapc, a waPC host runtime: the public API.
 *
 * A host (wapc_host) runs one waPC guest module on an engine provider (the
 * built-in WebAssembly engine, or any engine plugged in through
 * wapc_engine.h) and answers the guest's host calls through an optional host
 * callback.  It is the C counterpart of wapc-rs `WapcHost`: create, id, call,
 * replace_module (hot swap), a debug description, free.
 *
 * Conventions:
 * - Errors, one rule: every function that can fail returns a wapc_status, and
 *   every failure also has a message saying what happened, in one of two
 *   places.  A function that acts on a host leaves it in the host
 *   (wapc_host_last_error, until the host's next operation).  A function
 *   that has no host to hold it, a constructor (wapc_host_new,
 *   wapc_host_new_builtin, wapc_builtin_provider, wapc_module_compile,
 *   wapc_host_new_builtin_module, wapc_wasi_run), writes it to the caller's
 *   buffer `message` of `message_len` bytes, NUL-terminated and cut to fit
 *   ("" on success; the buffer may be NULL when the caller does not want
 *   it).  The few functions whose only failure is WAPC_ERR_MISUSE (a NULL or
 *   inactive handle: wapc_host_set_log_hook, wapc_host_interrupt,
 *   wapc_result_set_*) return the status alone, and say so.  NULL or
 *   nonsense arguments give WAPC_ERR_MISUSE, never a crash.
 * - Input bytes are borrowed for the duration of the call and never written;
 *   the library copies what it keeps.  Destructors accept NULL.
 * - Ownership and lifetime of every returned pointer is stated next to the
 *   function.
 *
 * Threading: a host is used by one thread at a time (calls on different hosts
 * may run in parallel on different threads); the exception is
 * wapc_host_interrupt(), which any thread may call at any time.  Host ids come from a
 * process-wide atomic counter; there is no other global mutable state.  The
 * host callback and the log hook run on the thread that called
 * wapc_host_call / wapc_host_load / wapc_host_replace_module; from inside
 * them, calling back into the same host is refused with WAPC_ERR_BUSY.
 */
#ifndef WAPC_H
#define WAPC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define WAPC_API __attribute__((visibility("default")))
#else
#define WAPC_API
#endif

#define WAPC_VERSION_MAJOR 0        /**< the API's major version (semantic versioning) */
#define WAPC_VERSION_MINOR 1        /**< minor version: additions, compatible in the API */
#define WAPC_VERSION_PATCH 0        /**< patch version: fixes only */
#define WAPC_VERSION_STRING "0.1.0" /**< the three as a string; wapc_version() is the library's own */

/** The library's version, e.g. "0.1.0" (static storage). */
WAPC_API const char *wapc_version(void);

/**
 * Status codes: X(name, value, description).  One list makes the enum,
 * wapc_status_str() and wapc_status_name().  Values are stable.
 */
#define WAPC_STATUS_LIST(X)                                                                                  \
  X(OK, 0, "success")                                                                                        \
  X(ERR_GUEST, 1, "guest error")                        /* the guest reported a failure */                   \
  X(ERR_TRAP, 2, "trap")                                /* the guest trapped during the call */              \
  X(ERR_MALFORMED, 3, "malformed module")               /* the binary could not be decoded */                \
  X(ERR_INVALID, 4, "invalid module")                   /* the module failed validation */                   \
  X(ERR_LINK, 5, "link error")                          /* unknown import, wrong type, no export */          \
  X(ERR_INIT, 6, "initialisation failed")               /* start, _start, _initialize, wapc_init */          \
  X(ERR_HOST_CALLBACK, 7, "host callback failed")       /* a host call was answered with a failure */        \
  X(ERR_MISUSE, 8, "bad argument or misuse of the API") /* NULL, out-of-range, wrong order */                \
  X(ERR_NOMEM, 9, "out of memory")                                                                           \
  X(ERR_DEADLINE, 10, "deadline exceeded")       /* the call or initialisation timeout ran out */            \
  X(ERR_INTERRUPTED, 11, "interrupted")          /* stopped by wapc_host_interrupt() */                      \
  X(ERR_LIMIT, 12, "resource limit exceeded")    /* fuel, memory, size and module limits */                  \
  X(ERR_BUSY, 13, "host is busy")                /* re-entered from its callback; pool empty */              \
  X(ERR_PROVIDER, 14, "engine provider failure") /* a provider broke its contract */                         \
  X(ERR_IO, 15, "I/O error")

/** A status code: WAPC_OK, or WAPC_ERR_<name> for each row of WAPC_STATUS_LIST. */
typedef enum wapc_status {
#define WAPC_STATUS_ENUM_(name, value, desc) WAPC_##name = value,
  WAPC_STATUS_LIST(WAPC_STATUS_ENUM_)
#undef WAPC_STATUS_ENUM_
} wapc_status;

/** A short description of `status` ("guest error"); static storage, never NULL. */
WAPC_API const char *wapc_status_str(wapc_status status);
/** The enumerator's name ("WAPC_ERR_GUEST"); static storage, never NULL. */
WAPC_API const char *wapc_status_name(wapc_status status);

/** A host: one guest module on one engine provider, with its host callback (opaque). */
typedef struct wapc_host wapc_host;
/** An engine provider: see wapc_engine.h. */
typedef struct wapc_engine_provider wapc_engine_provider;

/** A length-delimited string that is also NUL-terminated at data[len]. */
typedef struct wapc_str {
  const char *data; /**< the bytes, followed by a NUL */
  size_t len;       /**< the length in bytes, without the NUL */
} wapc_str;

/* ---- host callback ------------------------------------------------------ */

/**
 * The result of one host call, handed to the host callback.  The callback
 * answers with exactly one of wapc_result_set_bytes() (success) or
 * wapc_result_set_error() (failure); if it calls several, the last one wins;
 * if it calls none, the host call succeeds with an empty response.  The
 * handle is valid only while the callback runs.
 */
typedef struct wapc_result wapc_result;

/** Success with a response: `len` bytes are copied (payload may be NULL when len is 0). */
WAPC_API wapc_status wapc_result_set_bytes(wapc_result *result, const void *bytes, size_t len);
/** Failure with a message; the NUL-terminated `message` is copied. */
WAPC_API wapc_status wapc_result_set_error(wapc_result *result, const char *message);
/** The context given to the wapc_host_call_with_context (or wapc_pool_call) that made this host
 * call; NULL for a plain wapc_host_call, or outside the callback. */
WAPC_API void *wapc_result_context(const wapc_result *result);
/** Failure with a message of `len` bytes (copied; need not be NUL-terminated). */
WAPC_API wapc_status wapc_result_set_error_bytes(wapc_result *result, const void *message, size_t len);

/**
 * Host callback (wapc-rs: Fn(id, binding, namespace, operation, payload)).
 * `host_id` is the calling host's id, so one callback can serve many hosts.
 * The strings and the payload are borrowed for the duration of the callback
 * (the payload may point into guest memory: do not keep it).  Runs on the
 * thread that made the call into the host.
 */
typedef void (*wapc_host_callback)(void *user, uint64_t host_id, wapc_str binding, wapc_str ns,
                                   wapc_str operation, const uint8_t *payload, size_t payload_len,
                                   wapc_result *result);

/**
 * Log hook for the guest's __console_log.  `message` is borrowed, `len` bytes,
 * not NUL-terminated.  The default hook writes "[host <id>] <message>\n" to
 * stderr.
 */
typedef void (*wapc_log_hook)(void *user, uint64_t host_id, const char *message, size_t len);

/* ---- hosts ---------------------------------------------------------------- */

/**
 * Create a host on `provider` with an optional host callback (NULL: every
 * host call fails with "no host callback is configured") and its user-data
 * pointer.  The host takes ownership of the provider ALWAYS, also when this
 * fails (the provider's destroy is called then): the struct is copied, the
 * caller's copy is dead after this call.  No module is loaded yet: set hooks,
 * then wapc_host_load().  On success *out is the new host; on failure *out
 * is NULL and `message` (see Conventions; may be NULL) says why:
 * WAPC_ERR_MISUSE (NULL `provider` or `out`, a provider of an ABI version
 * this library does not know or without a required entry), WAPC_ERR_NOMEM.
 * The host gets the next id (process-wide, from 1).
 */
WAPC_API wapc_status wapc_host_new(const wapc_engine_provider *provider, wapc_host_callback callback,
                                   void *user, wapc_host **out, char *message, size_t message_len);

/** Replace the log hook (NULL restores the default). */
WAPC_API wapc_status wapc_host_set_log_hook(wapc_host *host, wapc_log_hook hook, void *user);

/**
 * Load the guest module: decode, validate, link the "wapc" imports, then
 * initialise in this order: start section, `_start`, `_initialize`,
 * `wapc_init` (each if present).  `module` is borrowed.  Errors:
 * WAPC_ERR_MALFORMED, WAPC_ERR_INVALID, WAPC_ERR_LINK (unknown import, wrong
 * import type, no `__guest_call` or `memory` export), WAPC_ERR_INIT,
 * WAPC_ERR_LIMIT, WAPC_ERR_NOMEM.  On a host that already has a module, this
 * is wapc_host_replace_module().
 */
WAPC_API wapc_status wapc_host_load(wapc_host *host, const uint8_t *module, size_t len);

/**
 * Hot swap: the new module is loaded, linked and initialised completely, and
 * only then replaces the old one, which is freed.  On any failure the old
 * module keeps serving, unchanged.  Invalidates the last response.
 */
WAPC_API wapc_status wapc_host_replace_module(wapc_host *host, const uint8_t *module, size_t len);

/**
 * Call operation `op` (`op_len` bytes of UTF-8; may be NULL when 0) with
 * `payload` (`len` bytes; may be NULL when 0).  Both are borrowed for the
 * call only.  On WAPC_OK, *response / *response_len are the guest's response:
 * the bytes are OWNED BY THE HOST and stay valid until the next call,
 * load, replace or free on this host (an empty response is valid: len 0, the
 * pointer is non-NULL).  On failure *response is NULL, *response_len 0 and
 * wapc_host_last_error() holds the message: the guest's error text verbatim
 * (WAPC_ERR_GUEST), "trap: <spec wording>" (WAPC_ERR_TRAP), ...
 * `response` and `response_len` may be NULL when the caller does not need them.
 */
WAPC_API wapc_status wapc_host_call(wapc_host *host, const char *op, size_t op_len, const uint8_t *payload,
                                    size_t len, const uint8_t **response, size_t *response_len);

/**
 * wapc_host_call with a per-call context: the host callback of every host
 * call this call makes gets `context` from wapc_result_context(), so an
 * application can reach the request it serves without a map from host id to
 * request.  The pointer is only passed along, never dereferenced.
 */
WAPC_API wapc_status wapc_host_call_with_context(wapc_host *host, void *context, const char *op,
                                                 size_t op_len, const uint8_t *payload, size_t len,
                                                 const uint8_t **response, size_t *response_len);

/**
 * The message of the last failed operation on `host` ("" after a success).
 * Owned by the host, NUL-terminated, valid until the next operation on it.
 * A guest's error text may contain NUL bytes: wapc_host_last_error_len()
 * gives its full length.  For a NULL host: a static "invalid host".
 * @{
 */
WAPC_API const char *wapc_host_last_error(const wapc_host *host);
WAPC_API size_t wapc_host_last_error_len(const wapc_host *host);
/** @} */

/** What a host has done since it was created (wapc_host_stats_get). */
typedef struct wapc_host_stats {
  uint64_t calls;              /**< calls that reached the engine (wapc_host_call and _with_context) */
  uint64_t guest_errors;       /**< of them, WAPC_ERR_GUEST */
  uint64_t traps;              /**< WAPC_ERR_TRAP */
  uint64_t deadlines;          /**< WAPC_ERR_DEADLINE */
  uint64_t interrupts;         /**< WAPC_ERR_INTERRUPTED */
  uint64_t limits;             /**< WAPC_ERR_LIMIT (fuel, size caps) */
  uint64_t other_failures;     /**< any other failed call (WAPC_ERR_NOMEM, ...) */
  uint64_t host_calls;         /**< __host_call made by the guest */
  uint64_t host_call_failures; /**< of them, answered with a failure */
  uint64_t guest_ns;           /**< time in the guest: the calls' wall-clock time less the time spent
                                    in the host callback, ns (only while timing is on:
                                    wapc_host_set_timing) */
  uint64_t host_call_ns;       /**< time spent in the host callback answering host calls, ns (only
                                    while timing is on) */
} wapc_host_stats;

/**
 * Fill `*stats` with the host's counters.  Counting costs no clock read;
 * the two times are measured only while timing is on.  Call it from the
 * thread that uses the host (as any host function but wapc_host_interrupt).
 * WAPC_ERR_MISUSE for NULL.
 */
WAPC_API wapc_status wapc_host_stats_get(const wapc_host *host, wapc_host_stats *stats);

/**
 * Measure the time in the guest and in the host callback (guest_ns and
 * host_call_ns of wapc_host_stats) from now on (`enabled` non-zero), or stop
 * (0, the default).  Timing reads the monotonic clock twice per call and
 * twice per host call (about 20 ns each on x86-64 Linux: as much as a whole
 * echo call), so it is off unless asked for.  Same thread rules as
 * wapc_host_stats_get.  WAPC_ERR_MISUSE for NULL.
 */
WAPC_API wapc_status wapc_host_set_timing(wapc_host *host, int enabled);

/** The host's id (unique in the process, from 1); 0 for NULL. */
WAPC_API uint64_t wapc_host_id(const wapc_host *host);

/** The engine provider's name ("builtin"); owned by the provider; "" for NULL. */
WAPC_API const char *wapc_host_engine_name(const wapc_host *host);

/**
 * A one-line debug description: id, engine name and the module's facts.
 * Owned by the host, valid until the next operation on it; never NULL.
 */
WAPC_API const char *wapc_host_debug(wapc_host *host);

/**
 * Stop the guest code this host is running, from ANY thread (the one thing
 * besides wapc_host_id that may be called on a host while another thread uses
 * it).  What a caller may rely on:
 * - The call in flight (or the initialisation run by wapc_host_load /
 *   wapc_host_replace_module, or the re-initialisation after a trap) stops
 *   at its next interruption point (a function entry, a loop back-edge or
 *   a bulk memory operation: within microseconds of guest code) and returns WAPC_ERR_INTERRUPTED with
 *   the message "interrupted"; a load or hot swap stopped this way fails and
 *   the old module keeps serving.  A wait inside the library on the
 *   guest's behalf (a WASI poll_oneoff sleep, a read of a pipe or terminal)
 *   is woken at once.  A host callback, log hook or WASI stdio callback that
 *   is running is not stopped (it is the application's code): the guest
 *   stops as soon as the hook returns into it.
 * - A request made while the host runs no guest code stays pending and stops
 *   the next guest code it runs; it is consumed by the first run it stops
 *   (several requests before that count as one), so a request is never lost
 *   by a race with the start of a call.
 * - After an interrupted call the next call runs on a fresh instance (see
 *   reset_after_trap).
 * The host must stay alive until this returns (do not race it with
 * wapc_host_free).  Lock-free: on the built-in engine one atomic store, and
 * one write(2) to an eventfd when the guest has waited before.  Returns
 * WAPC_OK; WAPC_ERR_MISUSE for NULL; WAPC_ERR_PROVIDER when the engine
 * provider cannot interrupt (its `interrupt` entry is NULL).  It never
 * touches wapc_host_last_error.
 */
WAPC_API wapc_status wapc_host_interrupt(wapc_host *host);

/**
 * Free the host, its module and its provider.  NULL is a no-op.  Calling it
 * from the host's own callback defers the free until the running call
 * returns into the library.
 */
WAPC_API void wapc_host_free(wapc_host *host);

/* ---- the built-in engine ---------------------------------------------------- */

/* ---- WASI preview1 configuration (the counterpart of wapc-rs WasiParams) ---------- */

/** Where a guest's stdin, stdout or stderr goes. */
typedef enum wapc_stdio_mode {
  WAPC_STDIO_DEFAULT = 0, /**< stdout/stderr: INHERIT; stdin: DISCARD */
  WAPC_STDIO_INHERIT = 1, /**< the process's own fd 0, 1 or 2 */
  WAPC_STDIO_DISCARD = 2, /**< output is dropped (counted as written); input is empty (EOF) */
  WAPC_STDIO_FD = 3,      /**< the caller's file descriptor `fd` (borrowed: never closed by the library) */
  WAPC_STDIO_CALLBACK = 4 /**< output: `write` is called; input: `read` is called */
} wapc_stdio_mode;

/**
 * Output callback: `len` bytes the guest wrote to `fd` (1 or 2), borrowed for
 * the call.  `host_id` is the host's id (0 under wapc_wasi_run).  Runs on the
 * thread that runs the guest.
 */
typedef void (*wapc_stdio_write_fn)(void *user, uint64_t host_id, int fd, const uint8_t *bytes, size_t len);
/** Input callback: fill up to `len` bytes of `buf`; return the count, 0 at end of input, -1 on error. */
typedef long (*wapc_stdio_read_fn)(void *user, uint64_t host_id, uint8_t *buf, size_t len);

/** One of the guest's standard streams: where it goes (`mode`) and what that needs. */
typedef struct wapc_stdio {
  uint32_t mode;             /**< a wapc_stdio_mode */
  int fd;                    /**< WAPC_STDIO_FD */
  wapc_stdio_write_fn write; /**< WAPC_STDIO_CALLBACK on stdout/stderr */
  wapc_stdio_read_fn read;   /**< WAPC_STDIO_CALLBACK on stdin */
  void *user;                /**< passed to the callbacks */
} wapc_stdio;

/** A preopened directory: the guest sees host directory `host_path` as `guest_path`. */
typedef struct wapc_wasi_dir {
  const char *host_path;  /**< opened when the provider is created */
  const char *guest_path; /**< NULL: the same as host_path */
  uint32_t read_only;     /**< 1: every change (create, write, rename, remove, ...) fails with EPERM */
} wapc_wasi_dir;

/**
 * Options of the built-in engine (zero in a limit means its default).  Always start from
 * wapc_builtin_options_init(), which sets `struct_size` and safe defaults;
 * the struct grows at its end in later versions (WASI, limits) and the
 * library reads only the first `struct_size` bytes.
 */
typedef struct wapc_builtin_options {
  size_t struct_size;        /**< sizeof(wapc_builtin_options) of the caller's header */
  uint32_t max_memory_pages; /**< cap on linear memory, 64 KiB pages (default 16384 = 1 GiB): memory.grow
                                past it returns -1; a module whose initial memory exceeds it is
                                refused at load with WAPC_ERR_LIMIT */
  uint32_t max_call_depth;   /**< wasm frames; deeper recursion traps "call stack exhausted"
                                (default 10000) */
  uint32_t stack_slots;      /**< value stack, 8-byte slots (default 1M = 8 MiB) */
  uint32_t max_table_elems;  /**< cap on any table (default 10,000,000) */
  uint32_t max_functions;    /**< cap on functions per module (default 1,000,000) */
  uint32_t reset_after_trap; /**< 1: after a trap, a deadline, an interruption or an exceeded limit
                                during a call, the next call runs on a fresh instance of the module
                                (initialised again), because the stop may have left the guest's own
                                state corrupt; 0: keep the stopped instance (default 1) */

  /**
   * WASI preview1, linked under "wasi_snapshot_preview1" and "wasi_unstable".
   * Everything is copied by wapc_builtin_provider() (the directories are
   * opened there: a missing one fails it with WAPC_ERR_IO).  Default: no
   * arguments, no environment, no directories, stdout/stderr inherited,
   * empty stdin.  The guest reaches only the preopened directories: `..`,
   * absolute paths and symbolic links cannot lead out of them (such attempts
   * fail with EPERM, as in wasmtime).  A guest pointer or length out of range
   * gives EFAULT, never a host crash.  Hot swap keeps this configuration;
   * each new instance gets fresh file descriptors (stdio + the preopens).
   */
  const char *const *wasi_args;   /**< argv as the guest sees it (nothing is added) */
  size_t wasi_nargs;              /**< the number of wasi_args */
  const char *const *wasi_env;    /**< "KEY=VALUE" strings */
  size_t wasi_nenv;               /**< the number of wasi_env */
  const wapc_wasi_dir *wasi_dirs; /**< the preopened directories, fd 3 onwards in this order */
  size_t wasi_ndirs;              /**< the number of wasi_dirs */
  wapc_stdio wasi_stdin;          /**< the guest's stdin (default: empty) */
  wapc_stdio wasi_stdout;         /**< the guest's stdout (default: inherited) */
  wapc_stdio wasi_stderr;         /**< the guest's stderr (default: inherited) */

  /**
   * Guardrails.  A stopped guest fails the call (or the load) with its own
   * status and message: WAPC_ERR_DEADLINE "deadline exceeded",
   * WAPC_ERR_INTERRUPTED "interrupted", WAPC_ERR_LIMIT "fuel exhausted" or
   * "<what> of N bytes exceeds the limit of M bytes"; the next call then runs
   * on a fresh instance (reset_after_trap).  Deadlines and fuel are off by
   * default: a right value depends on the application (set them for
   * untrusted code).  The size caps are on by default; 0 means the default.
   *
   * What a deadline bounds: guest code, and every wait inside the library on
   * the guest's behalf: a WASI poll_oneoff (sleeps, clock and fd
   * subscriptions) and a read or write of a pipe, terminal or socket end at
   * the deadline (within about a millisecond), and after every host function
   * (the waPC imports, WASI, the host callback, the log hook) the deadline
   * and a pending interrupt are checked before the guest goes on.  What it
   * cannot bound: the application's own code while it runs, that is the host
   * callback, the log hook and WASI stdio callbacks (a callback that blocks
   * for a minute delays the stop by a minute; give such code its own
   * timeout), and a read or write of a regular file.
   */
  uint32_t timeout_ms;      /**< wall-clock limit of each wapc_host_call, ms; 0 = none (default) */
  uint32_t init_timeout_ms; /**< wall-clock limit of the whole initialisation (start section,
                               _start, _initialize, wapc_init) of a load, hot swap or reset, ms;
                               0 = none (default) */
  uint64_t fuel;            /**< instruction budget of each call and of each init step (about one unit
                               per wasm instruction executed in loops); 0 = unlimited (default) */
  uint32_t max_payload;     /**< caller's operation name and payload, bytes: larger gives
                               WAPC_ERR_LIMIT before the guest runs (default 64 MiB) */
  uint32_t max_response;    /**< guest response or guest error, bytes (default 64 MiB) */
  uint32_t max_host_call;   /**< payload, and binding/namespace/operation, of one __host_call, bytes
                               (default 64 MiB) */
  uint32_t max_log_line;    /**< one __console_log line, bytes (default 1 MiB).  Logging never fails
                               a call: a longer line reaches the log hook cut to this size, ending
                               in " [log line truncated: N bytes, limit M]", and is counted in
                               wapc_host_debug ("log lines truncated: K") */

  /**
   * How guest code runs (a wapc_tier): WAPC_TIER_AUTO (default) compiles
   * every function it can to machine code where the library has its
   * compiler (x86-64 Linux) and interprets the rest; WAPC_TIER_INTERPRETER
   * interprets everything; WAPC_TIER_COMPILER is AUTO stated explicitly.
   * Both tiers give the same results, traps and messages.  Where the system
   * refuses executable memory, or the library was built without its
   * compiler (cmake -DWAPC_JIT=OFF), the interpreter runs everything; the
   * debug description says which ("compiled functions: N of M").  With
   * AUTO, the environment variable WAPC_TIER=interpreter selects the
   * interpreter (for tests and comparisons).
   */
  uint32_t tier;

  /**
   * 1: pre-initialised instances.  The first host made from a compiled
   * module (wapc_host_new_builtin_module; or, for wapc_host_new_builtin,
   * from the bytes it loads) runs the initialisation (start section,
   * `_start`, `_initialize`, `wapc_init`) as usual, then the module keeps an
   * image of the instance's linear memory, globals and tables; every later
   * host made with this option from the same compiled module, and every
   * reset after a trap, starts from that image instead of running the
   * initialisation again: one copy-on-write mapping of the memory (a memory
   * file, so a host touches only the pages it writes), in microseconds
   * whatever the initialisation costs.  The guest cannot tell the
   * difference, provided its initialisation gives the same state every time:
   * it must not depend on the time, on random numbers, on host calls
   * (__host_call) or on WASI state (arguments, environment, files it opens:
   * a later host has its own fresh WASI state, without those files), and
   * what it printed or logged is printed once, by the first host.  Hosts
   * with different options may share the image: a host whose memory or
   * table caps are below the image's size fails to start (WAPC_ERR_LIMIT).
   * wapc_host_debug says whether a host started from an image ("pre-init:").
   * 0: every host runs the whole initialisation (default).
   */
  uint32_t pre_init;

  /**
   * Which WebAssembly the engine accepts (a wapc_wasm): WAPC_WASM_DEFAULT
   * (0) accepts WebAssembly 2.0 and the 3.0 proposals it implements (tail
   * calls, extended constant expressions, multi-memory, memory64, relaxed
   * SIMD, exception handling: an exception no handler of the guest catches
   * ends the call with WAPC_ERR_TRAP, "trap: uncaught exception"; typed
   * function references);
   * WAPC_WASM_2 accepts exactly WebAssembly 2.0: a module that uses
   * anything of 3.0 is refused as a 2.0 engine refuses it (to keep guests
   * portable to 2.0 hosts).  Modules using 3.0's garbage collection are
   * refused either way (WAPC_ERR_MODULE, "unsupported: ...").
   */
  uint32_t wasm;
} wapc_builtin_options;

/** Values of wapc_builtin_options.wasm. */
typedef enum wapc_wasm {
  WAPC_WASM_DEFAULT = 0, /**< 2.0 and the 3.0 proposals the engine implements */
  WAPC_WASM_2 = 2        /**< exactly WebAssembly 2.0 */
} wapc_wasm;

/** Values of wapc_builtin_options.tier. */
typedef enum wapc_tier {
  WAPC_TIER_AUTO = 0,        /**< the compiler where built in, else the interpreter */
  WAPC_TIER_INTERPRETER = 1, /**< the interpreter for every function */
  WAPC_TIER_COMPILER = 2     /**< machine code for every function the compiler supports */
} wapc_tier;

/** Set `options` to the defaults: struct_size, every limit's default, no WASI grant, no guardrail. */
WAPC_API void wapc_builtin_options_init(wapc_builtin_options *options);

/**
 * Fill `*out` with a new built-in engine provider (`options` may be NULL for
 * the defaults; it is copied).  Pass it to wapc_host_new(), which takes it
 * over; to drop it unused, call out->destroy(out->self).  Failures, with
 * `message` (see Conventions; may be NULL): WAPC_ERR_MISUSE (`out` NULL, bad
 * options), WAPC_ERR_IO (a WASI directory cannot be opened: the message names
 * it and the reason), WAPC_ERR_NOMEM.
 */
WAPC_API wapc_status wapc_builtin_provider(const wapc_builtin_options *options, wapc_engine_provider *out,
                                           char *message, size_t message_len);

/**
 * Run a WASI command module (its `_start` export) on the built-in engine
 * with the WASI configuration of `options` (NULL: defaults).  The module may
 * import only WASI functions.  WAPC_OK: the guest finished; *exit_code is its
 * proc_exit code (0 when `_start` returned).  Failures: WAPC_ERR_MALFORMED /
 * INVALID / LINK (unknown import, no `_start`) / TRAP / IO / LIMIT / NOMEM,
 * with a NUL-terminated message in `message` (truncated to `message_len`
 * bytes; may be NULL).  `module` is borrowed.
 */
WAPC_API wapc_status wapc_wasi_run(const wapc_builtin_options *options, const uint8_t *module, size_t len,
                                   int *exit_code, char *message, size_t message_len);

/**
 * Convenience: wapc_host_new() on a new built-in provider
 * (wapc_builtin_provider()); the failures and `message` of either.
 */
WAPC_API wapc_status wapc_host_new_builtin(const wapc_builtin_options *options, wapc_host_callback callback,
                                           void *user, wapc_host **out, char *message, size_t message_len);

/* ---- compiled modules: compile once, create many hosts -------------------------------- */

/**
 * A waPC guest module compiled by the built-in engine: decoded, validated,
 * compiled to internal code, its `__guest_call` and `memory` exports checked
 * and its imports resolved, so that creating a host from it only
 * instantiates and initialises (microseconds, not a compile).
 *
 * Ownership: reference counted.  wapc_module_compile() returns one reference
 * to the caller, which wapc_module_free() drops; every host created from the
 * module holds its own reference until the host frees or hot-swaps its guest.
 * So the caller may free the module at any time, before or after the hosts
 * made from it: the compiled code lives until the last of them lets go.
 *
 * Memory: a module also keeps what up to 8 freed hosts' instances leave
 * behind (their value-stack mappings, and their linear memories when those
 * stayed within 1 MiB) for the next hosts to reuse, which is what
 * makes creating a host cheap; it is released with the module.  A reused
 * memory starts zeroed at the module's initial size, with the same limits.
 *
 * Threading: immutable once compiled.  Any number of threads may create
 * hosts from one module at the same time, and use those hosts in parallel
 * (each host still by one thread at a time); wapc_module_free may run on any
 * thread, concurrently with host creation on others, as long as the thread
 * that frees a reference does not use it afterwards.
 */
typedef struct wapc_module wapc_module;

/**
 * Compile `bytes` (`len` bytes, borrowed for the call) once.  Of `options`
 * (NULL: defaults) only the module limits apply here (max_functions,
 * max_memory_pages and max_table_elems against the declared minimums); the
 * rest (WASI, guardrails, size caps) belongs to each host.  On success *out
 * is a new module (one reference; free it with wapc_module_free); on failure
 * *out is NULL and `message` (NUL-terminated, truncated to `message_len`
 * bytes; may be NULL) says why: WAPC_ERR_MALFORMED, WAPC_ERR_INVALID,
 * WAPC_ERR_LINK (unknown import, wrong import type, no `__guest_call` or
 * `memory` export), WAPC_ERR_LIMIT, WAPC_ERR_NOMEM, WAPC_ERR_MISUSE (`out`
 * NULL, `bytes` NULL with a length, bad options).  No guest code runs.
 */
WAPC_API wapc_status wapc_module_compile(const wapc_builtin_options *options, const uint8_t *bytes,
                                         size_t len, wapc_module **out, char *message, size_t message_len);

/** Drop the caller's reference (see wapc_module above).  NULL is a no-op. */
WAPC_API void wapc_module_free(wapc_module *module);

/** The number of custom sections of `module` (0 for NULL).  Any thread. */
WAPC_API size_t wapc_module_custom_section_count(const wapc_module *module);

/**
 * The `index`-th custom section of `module`, in the binary's order (policy
 * metadata such as Kubewarden's "io.kubewarden.metadata", wasmCloud's "jwt",
 * or "name" and "producers"): its name (`name_len` bytes of UTF-8, not
 * NUL-terminated) and contents.  Both point into the module and stay valid
 * as long as the caller's reference.  WAPC_OK, or WAPC_ERR_MISUSE for a NULL
 * argument or an index past the last.  Any thread.
 */
WAPC_API wapc_status wapc_module_custom_section(const wapc_module *module, size_t index, const char **name,
                                                size_t *name_len, const uint8_t **data, size_t *len);

/**
 * Decode, validate and compile `bytes` like wapc_module_compile() but check
 * no export and link no import, for a module that is only looked at (`wapc
 * inspect`): its imports, exports, custom sections and facts.  No host can be
 * made from it (wapc_host_new_builtin_module gives WAPC_ERR_MISUSE).  Free it
 * with wapc_module_free().
 */
WAPC_API wapc_status wapc_module_inspect(const wapc_builtin_options *options, const uint8_t *bytes,
                                         size_t len, wapc_module **out, char *message, size_t message_len);

/** Kinds of a module's imports and exports. */
typedef enum wapc_extern_kind {
  WAPC_EXTERN_FUNCTION = 0,
  WAPC_EXTERN_TABLE = 1,
  WAPC_EXTERN_MEMORY = 2,
  WAPC_EXTERN_GLOBAL = 3
} wapc_extern_kind;

/** One import or export of a compiled module.  The strings point into the module (valid as long as the
 * caller's reference) and are not NUL-terminated, except `signature`. */
typedef struct wapc_module_item {
  const char *module;  /**< imports: the module imported from ("wapc", "wasi_snapshot_preview1", ...);
                            exports: "" */
  size_t module_len;   /**< the length of `module` in bytes */
  const char *name;    /**< the import's or export's name */
  size_t name_len;     /**< the length of `name` in bytes */
  uint32_t kind;       /**< a wapc_extern_kind */
  uint32_t params;     /**< functions: the number of parameters */
  uint32_t results;    /**< functions: the number of results */
  uint64_t min;        /**< memories (64 KiB pages) and tables (elements): the minimum */
  uint64_t max;        /**< the same: the maximum, when has_max */
  uint32_t has_max;    /**< 1 when `max` is declared */
  uint32_t mutable_;   /**< globals: 1 when mutable */
  char signature[128]; /**< functions "(i32, i32) -> (i32)", tables their element type, globals
                            "[mut ]i32"; "" for memories; NUL-terminated, cut to fit */
} wapc_module_item;

/** The number of imports of `module` (0 for NULL).  Any thread. */
WAPC_API size_t wapc_module_import_count(const wapc_module *module);
/** The number of exports of `module` (0 for NULL).  Any thread. */
WAPC_API size_t wapc_module_export_count(const wapc_module *module);
/** The `index`-th import in the binary's order into `*out`: WAPC_OK, or WAPC_ERR_MISUSE for a NULL
 * argument or an index past the last.  Any thread. */
WAPC_API wapc_status wapc_module_import(const wapc_module *module, size_t index, wapc_module_item *out);
/** The `index`-th export, as wapc_module_import() (`module` is "").  Any thread. */
WAPC_API wapc_status wapc_module_export(const wapc_module *module, size_t index, wapc_module_item *out);

/** Facts about a compiled module. */
typedef struct wapc_module_info {
  uint32_t functions;              /**< in the function index space, imports included */
  uint32_t imported_functions;     /**< of which imported */
  uint32_t compiled_functions;     /**< defined functions with machine code (the compiler tier) */
  size_t code_bytes;               /**< the code section's function bodies */
  size_t machine_code_bytes;       /**< their machine code */
  const char *machine_code_status; /**< "" or why there is none (static string) */
} wapc_module_info;
/** Fill `*out` (zeroes for NULL `module`).  Any thread. */
WAPC_API void wapc_module_info_get(const wapc_module *module, wapc_module_info *out);

/**
 * A new host on the built-in engine (`options` as for wapc_host_new_builtin,
 * NULL: defaults) whose guest is a fresh instance of the compiled `module`,
 * already loaded: linked and initialised (start section, `_start`,
 * `_initialize`, `wapc_init`, under init_timeout_ms) before this returns, as
 * wapc_host_load() would.  The host takes its own reference to `module`.
 * Its log hook is the default one during this initialisation (set another
 * with wapc_host_set_log_hook afterwards).  Everything else is an ordinary
 * host: calls, wapc_host_interrupt, reset after a trap (a new instance of the
 * same compiled module, no compile), and hot swap with
 * wapc_host_replace_module (which takes bytes: the swapped-in module is
 * compiled for this host alone).  On success *out is the host; on failure
 * *out is NULL, nothing is leaked, and `message` (as for wapc_module_compile)
 * says why: WAPC_ERR_INIT, WAPC_ERR_DEADLINE, WAPC_ERR_INTERRUPTED,
 * WAPC_ERR_LIMIT, WAPC_ERR_IO (WASI directories), WAPC_ERR_NOMEM,
 * WAPC_ERR_MISUSE (`module` or `out` NULL, bad options).
 */
WAPC_API wapc_status wapc_host_new_builtin_module(const wapc_builtin_options *options, wapc_module *module,
                                                  wapc_host_callback callback, void *user, wapc_host **out,
                                                  char *message, size_t message_len);

/* ---- pools: many threads calling one guest --------------------------------------------------- */

/**
 * A pool of hosts made from one compiled module with one configuration, for
 * applications that call a guest from many threads.  Guest code is not
 * reentrant (its allocator and globals belong to one call at a time), so a
 * host serves one call at a time; the pool hands each caller a free host,
 * making one when all are busy and fewer than max_hosts exist, waiting up to
 * a timeout otherwise.  Hosts are ordinary built-in hosts (reset_after_trap is
 * always on: a host that trapped, hit a deadline or was interrupted starts its
 * next call on a fresh instance), and the host callback receives the id of
 * the host that called.
 *
 * Threading: every pool function may be called from any thread at any time,
 * except wapc_pool_free: calls already inside the pool when it starts are
 * waited for (or fail, if they are waiting for a host), but none may start
 * once it has been called, and it must not be called from the pool's own
 * host callback.  A host from wapc_pool_acquire belongs to the acquiring
 * thread until wapc_pool_release.
 */
typedef struct wapc_pool wapc_pool;

/** Sizing of a pool; start from wapc_pool_options_init() (zero fields keep their defaults). */
typedef struct wapc_pool_options {
  size_t struct_size;  /**< set by wapc_pool_options_init */
  uint32_t min_hosts;  /**< made with the pool and never freed for idleness (default 0) */
  uint32_t max_hosts;  /**< hosts at most, busy or idle (default 8) */
  uint32_t idle_ms;    /**< a host above min_hosts unused this long is freed (default 30000) */
  uint32_t wait_ms;    /**< how long wapc_pool_call waits for a free host when max_hosts are busy
                            (default 10000) */
  uint32_t time_guest; /**< 1: timing on for every host (wapc_host_set_timing), so host_totals in
                            wapc_pool_stats has the time in the guest; 0: off (default) */
} wapc_pool_options;

/** Set `options` to the defaults. */
WAPC_API void wapc_pool_options_init(wapc_pool_options *options);

/** Bytes owned by the caller (a pool call's response): free them with wapc_bytes_free(). */
typedef struct wapc_bytes {
  uint8_t *data; /**< NULL when len is 0 */
  size_t len;    /**< the number of bytes */
} wapc_bytes;

/** Free the bytes and zero the struct; NULL or an empty struct is a no-op. */
WAPC_API void wapc_bytes_free(wapc_bytes *bytes);

/**
 * A new pool of hosts of the compiled `module` (the pool takes its own
 * reference), configured by `host_options` (as for
 * wapc_host_new_builtin_module; NULL: defaults; copied, WASI strings
 * included) and `pool_options` (NULL: defaults), with an optional host
 * callback and its user pointer.  min_hosts hosts are made now.  On failure
 * *out is NULL and `message` says why (see Conventions): WAPC_ERR_MISUSE
 * (NULL `module` or `out`, max_hosts < min_hosts), or a host's failure
 * (WAPC_ERR_INIT, WAPC_ERR_IO, WAPC_ERR_NOMEM, ...).
 */
WAPC_API wapc_status wapc_pool_new(const wapc_pool_options *pool_options,
                                   const wapc_builtin_options *host_options, wapc_module *module,
                                   wapc_host_callback callback, void *user, wapc_pool **out, char *message,
                                   size_t message_len);

/**
 * Call `op` with `payload` on a free host of the pool (waiting up to wait_ms
 * for one; `context` reaches the host callback as for
 * wapc_host_call_with_context) and copy the response into `*response`, which the caller then
 * owns (free it with wapc_bytes_free; may be NULL to drop the response).  On
 * failure *response is empty and `message` says why: the statuses of
 * wapc_host_call (the guest's error text, cut to fit, for WAPC_ERR_GUEST),
 * WAPC_ERR_BUSY ("no free host within N ms"), WAPC_ERR_MISUSE (the pool is
 * being freed), WAPC_ERR_NOMEM.  Any thread.
 */
WAPC_API wapc_status wapc_pool_call(wapc_pool *pool, void *context, const char *op, size_t op_len,
                                    const uint8_t *payload, size_t len, wapc_bytes *response, char *message,
                                    size_t message_len);

/**
 * Take a free host for several calls (waiting up to `wait_ms` ms; 0: do not
 * wait).  The host is the caller's until wapc_pool_release(); use it as any
 * host (not wapc_host_free, not wapc_host_replace_module).  Failures as for
 * wapc_pool_call.  Any thread.
 */
WAPC_API wapc_status wapc_pool_acquire(wapc_pool *pool, uint32_t wait_ms, wapc_host **host, char *message,
                                       size_t message_len);

/** Give back a host from wapc_pool_acquire (NULL: nothing).  Any thread. */
WAPC_API void wapc_pool_release(wapc_pool *pool, wapc_host *host);

/**
 * Completion of an asynchronous call (wapc_pool_submit), run on one of the
 * pool's threads: the status, and on WAPC_OK the response, otherwise the
 * message (the guest's error text for WAPC_ERR_GUEST).  `response` and
 * `message` are borrowed for the callback only.  It must not call
 * wapc_pool_free on its own pool.
 */
typedef void (*wapc_pool_done)(void *user, wapc_status status, const uint8_t *response, size_t response_len,
                               const char *message);

/**
 * The asynchronous form of wapc_pool_call, for event-loop programs: queue
 * the call and return at once (`op` and `payload` are copied); one of the
 * pool's threads (started by the first submit, one per host up to 64) makes
 * it and calls `done(user, ...)` exactly once.  WAPC_OK when queued;
 * WAPC_ERR_BUSY when 65,536 calls are already waiting; WAPC_ERR_MISUSE for
 * NULL `pool` or `done`, or a pool being freed; WAPC_ERR_NOMEM.  Calls still
 * queued when wapc_pool_free runs complete with WAPC_ERR_MISUSE ("the pool is
 * shutting down") on the freeing thread.  Any thread.
 */
WAPC_API wapc_status wapc_pool_submit(wapc_pool *pool, void *context, const char *op, size_t op_len,
                                      const uint8_t *payload, size_t len, wapc_pool_done done, void *user);

/**
 * Interrupt every call in flight on the pool's hosts (wapc_host_interrupt on
 * each busy host; a host whose call ended meanwhile is replaced by a fresh one
 * when it is given back, so the request never reaches a later caller).  Any
 * thread.  WAPC_OK, or WAPC_ERR_MISUSE for NULL.
 */
WAPC_API wapc_status wapc_pool_interrupt(wapc_pool *pool);

/** Counters of a pool, read together (wapc_pool_stats_get). */
typedef struct wapc_pool_stats {
  uint32_t hosts;              /**< hosts now, busy or idle */
  uint32_t busy;               /**< hosts now acquired or in a call */
  uint64_t calls;              /**< wapc_pool_call calls made */
  uint64_t acquisitions;       /**< hosts handed out (calls and wapc_pool_acquire) */
  uint64_t waits;              /**< acquisitions that had to wait for a host */
  uint64_t timeouts;           /**< acquisitions that gave up (WAPC_ERR_BUSY) */
  uint64_t hosts_created;      /**< hosts made since the pool was created */
  uint64_t hosts_freed;        /**< hosts freed (idle, interrupted) */
  uint64_t wait_ns;            /**< total time callers waited for a host */
  wapc_host_stats host_totals; /**< the counters of every host the pool has had (freed ones included),
                                    summed as each host is given back (wapc_pool_call before it
                                    returns, wapc_pool_release, an asynchronous call after its
                                    completion returns): calls, guest errors, traps, deadlines, host
                                    calls, time in the guest (with time_guest) */
} wapc_pool_stats;

/** Fill `*stats` (a consistent snapshot).  Any thread.  WAPC_ERR_MISUSE for NULL. */
WAPC_API wapc_status wapc_pool_stats_get(wapc_pool *pool, wapc_pool_stats *stats);

/**
 * Shut the pool down: queued asynchronous calls complete as cancelled
 * (WAPC_ERR_MISUSE), callers waiting for a host fail with WAPC_ERR_MISUSE,
 * the calls in flight and the acquired hosts are waited for (interrupt them
 * first with wapc_pool_interrupt to hurry them), then every host and the
 * pool's module reference are freed.  NULL is a no-op.
 */
WAPC_API void wapc_pool_free(wapc_pool *pool);

#ifdef __cplusplus
}
#endif

#endif
