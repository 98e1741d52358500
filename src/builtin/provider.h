/* SPDX-License-Identifier: Apache-2.0 */
/*
 * provider.h - the built-in engine provider's state (provider.c): one host's
 * guest (module reference, store, instance, WASI context), its options and
 * guardrail configuration, and the interrupt request every store it creates
 * polls.  The imports (imports.c) take it as their user data.
 */
#ifndef WAPC_BUILTIN_PROVIDER_H
#define WAPC_BUILTIN_PROVIDER_H

#include <stdbool.h>
#include <stdint.h>

#include "builtin/module.h"
#include "vm/vm.h"
#include "wapc_engine.h"
#include "wasi/wasi.h"

/* One loaded guest: the module must outlive its store. */
typedef struct guest {
  wapc_module *mod; /* a reference (the module must outlive the store) */
  vm_store *store;
  vm_instance *inst;
  vm_func *guest_call;
  wasi_ctx *wasi;  /* this instance's WASI state */
  bool from_image; /* started from the module's pre-initialised image */
} guest;

typedef struct builtin {
  wapc_builtin_options opts;
  vm_config cfg;
  wapc_engine_host *host;
  guest cur;
  bool poisoned; /* the last call trapped: re-instantiate before the next */
  wasi_config *wasi;
  bool command;  /* wapc_wasi_run: no host, WASI imports only, no waPC exports */
  char msg[512]; /* messages when there is no host (wapc_wasi_run) */
  uint64_t init_timeout_ns;
  wapc_module *preload;   /* wapc_host_new_builtin_module: the module the first init instantiates */
  uint64_t log_truncated; /* __console_log lines cut to max_log_line (debug line) */

  /* Interruption: set by any thread, polled by every store of this provider
   * and the imports, cleared at the end of each run. */
  vm_interrupt interrupt;
} builtin;

#endif
