/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wasi.h - WASI preview1 host functions for the built-in engine.
 *
 * A wasi_config is the embedder's WASI configuration (arguments, environment,
 * preopened directories, stdio), deep-copied from wapc_builtin_options; it is
 * immutable and outlives every guest made from it, so hot swap keeps it.  A
 * wasi_ctx is one guest instance's WASI state: its file-descriptor table
 * (stdio, then the preopens, then what the guest opens) and its exit status.
 * The host functions (resolved by name with wasi_import()) take the ctx as
 * their user pointer and reach guest memory through the calling instance.
 *
 * Policies: every guest pointer and length is range-checked before any byte
 * is touched, and a bad one gives EFAULT (no trap, no partial write); paths
 * are confined to the preopens (wasi_path.h); escapes and writes beneath a
 * read-only preopen give EPERM; functions this host does not implement
 * (sockets, proc_raise) give ENOSYS.  proc_exit records the code and traps
 * VM_TRAP_EXIT, which unwinds the guest.
 */
#ifndef WAPC_WASI_WASI_H
#define WAPC_WASI_WASI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm/vm.h"
#include "wapc.h"
#include "wasi/wasi_path.h"

typedef struct wasi_config wasi_config;
typedef struct wasi_ctx wasi_ctx;

/*
 * Copy the WASI fields of `o` (strings, stdio) and open its preopened
 * directories.  WAPC_OK and *out, or WAPC_ERR_IO / WAPC_ERR_MISUSE /
 * WAPC_ERR_NOMEM with a message in `err`.
 */
wapc_status wasi_config_new(const wapc_builtin_options *o, wasi_config **out, char *err, size_t errlen);
void wasi_config_free(wasi_config *c);
/* Tests: force the user-space path walk instead of openat2. */
void wasi_config_set_resolve(wasi_config *c, wasi_resolve_mode how);

/* Fresh per-instance state over `c` (which must outlive it); NULL on out of memory. */
wasi_ctx *wasi_ctx_new(const wasi_config *c, uint64_t host_id);
void wasi_ctx_free(wasi_ctx *x);

/* True when `module` is "wasi_snapshot_preview1" or "wasi_unstable". */
bool wasi_is_module(const char *module, size_t len);

/*
 * The WASI function `name` of `module`: its type (static storage) and
 * implementation (call it with the wasi_ctx as user data).  False when there
 * is no such function.
 */
bool wasi_import(const char *module, size_t module_len, const char *name, size_t name_len, vm_functype *type,
                 vm_host_fn *fn);

/* After a VM_TRAP_EXIT: true, and the code the guest passed to proc_exit. */
bool wasi_exited(const wasi_ctx *x, uint32_t *code);
/* Forget a recorded exit (before running more guest code). */
void wasi_clear_exit(wasi_ctx *x);

#endif
