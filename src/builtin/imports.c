/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imports.c - the nine "wapc" imports of the built-in provider (imports.h),
 * implemented with bounds-checked copies between guest memory and the
 * host's per-call state (wapc_engine.h).  Every guest pointer and length is
 * checked in 64-bit math before a byte is touched (out of range: the trap
 * "out of bounds memory access", no partial write); size caps are checked
 * before anything is copied, so an over-size request is a VM_TRAP_LIMIT trap
 * and never reaches an allocator; an allocation failure is a VM_TRAP_NOMEM
 * trap.  A stop (deadline, interrupt) is seen when an import returns into
 * the guest (vm_call_host), __guest_request included, so even the shortest
 * call is stopped.
 */
#include "builtin/imports.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "builtin/provider.h"
#include "util/mem.h"

/* The guest's bytes [ptr, ptr+len) (ptr and len are u32, the range math is
 * 64-bit), or NULL when they are not all inside its memory. */
static uint8_t *guest_bytes(vm_instance *caller, uint32_t ptr, uint64_t len) {
  return caller ? vm_instance_memory_range(caller, ptr, len) : NULL;
}

#define ARG(i) ((uint32_t)args[i])

static vm_result oom(vm_store *s) {
  return vm_store_trap(s, VM_TRAP_NOMEM);
}

static vm_result oob(vm_store *s) {
  return vm_store_trap(s, VM_TRAP_MEMORY_OOB);
}

/* A size cap refused a guest request: a trap that the call reports as WAPC_ERR_LIMIT. */
static vm_result too_large(vm_store *s, const char *what, uint64_t len, uint32_t limit) {
  return vm_store_trap_as(s, VM_TRAP_LIMIT, "%s of %" PRIu64 " bytes exceeds the limit of %" PRIu32 " bytes",
                          what, len, limit);
}

static vm_result imp_guest_request(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  const uint8_t *op, *payload;
  size_t op_len, payload_len;
  wapc_engine_request(b->host, &op, &op_len, &payload, &payload_len);
  /* Check both ranges before writing anything: no partial writes. */
  uint8_t *payload_at = guest_bytes(caller, ARG(1), payload_len);
  uint8_t *op_at = guest_bytes(caller, ARG(0), op_len);
  if (!payload_at || !op_at) return oob(s);
  /* The payload's one copy in. */
  if (payload_len) memcpy(payload_at, payload, payload_len);
  if (op_len) memcpy(op_at, op, op_len);
  return VM_OK;
}

/* __guest_response / __guest_error: the bytes' one copy out (the host keeps them until the next call). */
static inline vm_result guest_answer(vm_store *s, vm_instance *caller, builtin *b, uint64_t *args,
                                     const char *what,
                                     wapc_status (*set)(wapc_engine_host *, const uint8_t *, size_t)) {
  const uint8_t *p = guest_bytes(caller, ARG(0), ARG(1));
  if (!p) return oob(s);
  if (ARG(1) > b->opts.max_response) return too_large(s, what, ARG(1), b->opts.max_response);
  if (set(b->host, p, ARG(1)) != WAPC_OK) return oom(s);
  return VM_OK;
}

static vm_result imp_guest_response(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  return guest_answer(s, caller, user, args, "guest response", wapc_engine_set_guest_response);
}

static vm_result imp_guest_error(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  return guest_answer(s, caller, user, args, "guest error", wapc_engine_set_guest_error);
}

static vm_result imp_host_call(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  const uint8_t *bd = guest_bytes(caller, ARG(0), ARG(1));
  const uint8_t *ns = guest_bytes(caller, ARG(2), ARG(3));
  const uint8_t *op = guest_bytes(caller, ARG(4), ARG(5));
  const uint8_t *payload = guest_bytes(caller, ARG(6), ARG(7));
  if (!bd || !ns || !op || !payload) return oob(s);
  uint32_t cap = b->opts.max_host_call;
  if (ARG(7) > cap) return too_large(s, "host call payload", ARG(7), cap);
  /* The three names are copied by the host: they share the cap. */
  uint64_t names = (uint64_t)ARG(1) + ARG(3) + ARG(5);
  if (names > cap) return too_large(s, "host call binding, namespace and operation", names, cap);
  /* The payload goes to the callback straight from guest memory (the guest cannot run meanwhile). */
  /* A stop that comes while the callback runs takes effect when it returns (vm_call_host). */
  wapc_status st = wapc_engine_host_call(b->host, bd, ARG(1), ns, ARG(3), op, ARG(5), payload, ARG(7));
  if (st == WAPC_ERR_NOMEM) return oom(s);
  args[0] = st == WAPC_OK ? 1 : 0;
  return VM_OK;
}

static uint64_t clamp_len(size_t len) {
  return len > UINT32_MAX ? UINT32_MAX : (uint64_t)len;
}

/* len bytes into guest memory at `at`, all or nothing (out of bounds traps). */
static vm_result copy_to_guest(vm_store *s, vm_instance *caller, uint32_t at, const uint8_t *bytes,
                               size_t len) {
  uint8_t *to = guest_bytes(caller, at, len);
  if (!to) return oob(s);
  if (len) memcpy(to, bytes, len);
  return VM_OK;
}

static vm_result imp_host_response_len(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  size_t len;
  wapc_engine_host_response(b->host, NULL, &len);
  args[0] = clamp_len(len);
  return VM_OK;
}

static vm_result imp_host_response(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  const uint8_t *bytes;
  size_t len;
  wapc_engine_host_response(b->host, &bytes, &len);
  return copy_to_guest(s, caller, ARG(0), bytes, len);
}

static vm_result imp_host_error_len(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  size_t len;
  wapc_engine_host_error(b->host, NULL, &len);
  args[0] = clamp_len(len);
  return VM_OK;
}

static vm_result imp_host_error(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  const uint8_t *bytes;
  size_t len;
  wapc_engine_host_error(b->host, &bytes, &len);
  return copy_to_guest(s, caller, ARG(0), bytes, len);
}

/* A line over max_log_line: its first bytes and a marker, within the cap. */
static void log_truncated(builtin *b, const uint8_t *p, uint32_t len) {
  char mark[96];
  int n = snprintf(mark, sizeof mark, " [log line truncated: %" PRIu32 " bytes, limit %" PRIu32 "]", len,
                   b->opts.max_log_line);
  size_t mlen = n > 0 ? (size_t)n : 0;
  size_t keep = b->opts.max_log_line > mlen ? b->opts.max_log_line - mlen : 0;
  b->log_truncated++;
  uint8_t *line = mem_malloc(keep + mlen);
  if (!line) {
    /* No room for the marker: the kept bytes alone, still counted. */
    wapc_engine_console_log(b->host, p, keep);
    return;
  }
  memcpy(line, p, keep);
  memcpy(line + keep, mark, mlen);
  wapc_engine_console_log(b->host, line, keep + mlen);
  mem_free(line);
}

/* Logging never changes the guest's result: a line over the cap is cut, marked and counted. */
static vm_result imp_console_log(vm_store *s, vm_instance *caller, void *user, uint64_t *args) {
  builtin *b = user;
  const uint8_t *p = guest_bytes(caller, ARG(0), ARG(1));
  if (!p) return oob(s);
  if (ARG(1) > b->opts.max_log_line)
    log_truncated(b, p, ARG(1));
  else
    wapc_engine_console_log(b->host, p, ARG(1));
  return VM_OK;
}

#undef ARG

/* Signatures as parameter and result counts: every wapc type is i32. */
static const uint8_t i32s[9] = {VM_I32, VM_I32, VM_I32, VM_I32, VM_I32, VM_I32, VM_I32, VM_I32, VM_I32};

typedef struct wapc_import {
  const char *name;
  uint32_t nparams, nresults;
  vm_host_fn fn;
} wapc_import;

static const wapc_import wapc_imports[] = {
    {"__guest_request", 2, 0, imp_guest_request},
    {"__guest_response", 2, 0, imp_guest_response},
    {"__guest_error", 2, 0, imp_guest_error},
    {"__host_call", 8, 1, imp_host_call},
    {"__host_response_len", 0, 1, imp_host_response_len},
    {"__host_response", 1, 0, imp_host_response},
    {"__host_error_len", 0, 1, imp_host_error_len},
    {"__host_error", 1, 0, imp_host_error},
    {"__console_log", 2, 0, imp_console_log},
};
_Static_assert(sizeof wapc_imports / sizeof wapc_imports[0] == BUILTIN_NUM_IMPORTS, "one entry per import");

unsigned builtin_wapc_import(const char *name, size_t len, vm_functype *type, vm_host_fn *fn) {
  for (unsigned k = 0; k < BUILTIN_NUM_IMPORTS; k++) {
    const wapc_import *imp = &wapc_imports[k];
    if (strlen(imp->name) != len || memcmp(imp->name, name, len) != 0) continue;
    type->nparams = imp->nparams;
    type->nresults = imp->nresults;
    type->types = i32s;
    *fn = imp->fn;
    return k;
  }
  return BUILTIN_NUM_IMPORTS;
}
