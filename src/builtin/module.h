/* SPDX-License-Identifier: Apache-2.0 */
/*
 * module.h - a compiled guest module, the public wapc_module: the engine's
 * module, its imports resolved by name and checked by type once (each bound
 * to a "wapc" import or a WASI function), and the vm_pool of stacks and
 * memories its instances reuse.  Immutable once built, shared by every host
 * made from it, freed with its last reference (wapc.h states the contract).
 */
#ifndef WAPC_BUILTIN_MODULE_H
#define WAPC_BUILTIN_MODULE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm/vm.h"
#include "wapc.h"

/* How one import is bound, resolved once when the module is compiled. */
typedef struct link_entry {
  vm_functype type; /* static storage (imports.c / WASI) */
  vm_host_fn fn;
  uint8_t wapc; /* the "wapc" import (imports.h), or BUILTIN_NUM_IMPORTS for a WASI function */
} link_entry;

/* A compiled guest module (public as wapc_module): immutable once built, shared by
 * the hosts instantiated from it, freed with its last reference. */
struct wapc_module {
  atomic_size_t refs;
  vm_module *vm;
  bool command; /* compiled for wapc_wasi_run: WASI imports only */
  bool inspect; /* compiled for wapc_module_inspect: nothing checked or linked, no hosts */
  uint32_t nimports;
  link_entry *links; /* nimports entries */
  vm_pool *pool;     /* stacks and memories its freed instances leave to the next ones */

  /* The pre-initialised image (provider.c), taken once by the first host made
   * with the pre_init option whose initialisation succeeds: image_state goes
   * from IMAGE_NONE to IMAGE_TAKING (one host wins), then to IMAGE_READY
   * (`image` set before, published by the state's release store) or
   * IMAGE_REFUSED (`image_note` says why).  Freed with the module. */
  atomic_int image_state;
  vm_image *image;
  char image_note[sizeof(((vm_error *)0)->message)];
};

enum { IMAGE_NONE, IMAGE_TAKING, IMAGE_READY, IMAGE_REFUSED };

/* One more reference; returns m. */
wapc_module *builtin_module_retain(wapc_module *m);
/* Drop a reference (NULL: nothing); the last one frees the module, after every store made from it. */
void builtin_module_release(wapc_module *m);
/* What a module is compiled for. */
typedef enum { MODULE_WAPC, MODULE_COMMAND, MODULE_INSPECT } module_kind;
/*
 * Decode, validate and compile `bytes` with the limits of `cfg`, check the
 * exports (MODULE_COMMAND: a WASI command's `_start`; MODULE_WAPC:
 * `__guest_call` of type (i32, i32) -> i32 and memory "memory") and resolve
 * the imports (MODULE_COMMAND: WASI only); MODULE_INSPECT checks and links
 * nothing.  *out: one reference; on failure NULL and the status, with a
 * message in msg.
 */
wapc_status builtin_module_compile(const vm_config *cfg, module_kind kind, const uint8_t *bytes, size_t len,
                                   wapc_module **out, char *msg, size_t msglen);

#endif
