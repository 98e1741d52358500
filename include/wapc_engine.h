/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * wapc_engine.h - the engine-provider interface of libwapc.
 *
 * A provider runs guest code for one host.  The host owns the waPC protocol
 * (per-call state, the host callback, the error rules); the provider owns the
 * engine: it loads, links and initialises modules, calls `__guest_call`, and
 * implements the nine "wapc" imports with the state accessors below
 * (wapc_engine_*), which it may call only while the host is inside one of the
 * provider's functions (init, call, replace) on the same thread.
 *
 * The provider checks every guest pointer/length against guest memory before
 * touching it (trap "out of bounds memory access" otherwise) and passes
 * pointers into guest memory to the accessors, which copy what they keep.
 */
#ifndef WAPC_ENGINE_H
#define WAPC_ENGINE_H

#include "wapc.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The host as a provider sees it (opaque). */
typedef struct wapc_engine_host wapc_engine_host;

/** 2 added `interrupt`; providers of version 1 (without it) are still accepted. */
#define WAPC_ENGINE_ABI_VERSION 2

/**
 * Errors: every function returns WAPC_OK or a status with the message set
 * through wapc_engine_set_message() (otherwise the host uses the status's
 * description).
 */
struct wapc_engine_provider {
  uint32_t abi_version; /**< WAPC_ENGINE_ABI_VERSION */
  const char *name;     /**< engine name, static or owned by self, e.g. "builtin" */
  void *self;           /**< the provider's state, passed to every function */

  /**
   * Load, link and initialise the first module (`module` borrowed).  Keep
   * `host` for the accessors; it stays valid until destroy.  Init order:
   * start section, `_start`, `_initialize`, `wapc_init`.
   */
  wapc_status (*init)(void *self, wapc_engine_host *host, const uint8_t *module, size_t len);

  /**
   * Call `__guest_call(op_len, msg_len)`; the request is already stored in
   * the host (wapc_engine_request).  WAPC_OK: *guest_ret is the guest's
   * return value.  A trap: WAPC_ERR_TRAP with the trap's text (spec wording,
   * e.g. "unreachable") as the message.  WAPC_ERR_DEADLINE /
   * WAPC_ERR_INTERRUPTED / WAPC_ERR_LIMIT for the guardrails.
   */
  wapc_status (*call)(void *self, uint32_t op_len, uint32_t msg_len, int32_t *guest_ret);

  /** Hot swap: init the new module completely, then replace; on failure keep the old one. */
  wapc_status (*replace)(void *self, const uint8_t *module, size_t len);

  /** Free everything (NULL-safe on self is not required: called once). */
  void (*destroy)(void *self);

  /**
   * Optional (may be NULL): write a short description of the loaded module
   * ("funcs: 12, memory pages: 2, ...") into buf like snprintf.
   */
  void (*describe)(void *self, char *buf, size_t len);

  /**
   * Optional (may be NULL; ABI version 2): wapc_host_interrupt().  Called
   * from ANY thread, concurrently with init / call / replace on another; it
   * must not call the accessors below.  Stop the guest code running now (the
   * running function returns WAPC_ERR_INTERRUPTED), or, when none runs, the
   * next guest code run; see wapc_host_interrupt() for the contract.
   */
  void (*interrupt)(void *self);
};

/** The host's id. */
WAPC_API uint64_t wapc_engine_host_id(const wapc_engine_host *host);

/**
 * The current request (for __guest_request): the operation and the payload,
 * borrowed from the caller of wapc_host_call until the call returns.  Outside
 * a call both are empty (non-NULL pointers, length 0).
 */
WAPC_API void wapc_engine_request(const wapc_engine_host *host, const uint8_t **op, size_t *op_len,
                                  const uint8_t **payload, size_t *payload_len);

/** __guest_response / __guest_error: copy `len` bytes as the guest's response / error. @{ */
WAPC_API wapc_status wapc_engine_set_guest_response(wapc_engine_host *host, const uint8_t *bytes, size_t len);
WAPC_API wapc_status wapc_engine_set_guest_error(wapc_engine_host *host, const uint8_t *bytes, size_t len);
/** @} */

/**
 * __host_call: clears the previous host response and error, then calls the
 * host callback.  Returns WAPC_OK (the host response is set: return 1 to the
 * guest), WAPC_ERR_HOST_CALLBACK (the host error is set: return 0) or
 * WAPC_ERR_NOMEM (the library could not store the names or the callback's
 * answer: stop the call with WAPC_ERR_NOMEM).  The
 * arguments are borrowed for the call (they may point into guest memory; the
 * guest cannot run while the callback does).
 */
WAPC_API wapc_status wapc_engine_host_call(wapc_engine_host *host, const uint8_t *binding, size_t binding_len,
                                           const uint8_t *ns, size_t ns_len, const uint8_t *op, size_t op_len,
                                           const uint8_t *payload, size_t payload_len);

/** __host_response_len / __host_response, __host_error_len / __host_error: the
 * bytes are owned by the host and valid until the next host call or request. @{ */
WAPC_API void wapc_engine_host_response(const wapc_engine_host *host, const uint8_t **bytes, size_t *len);
WAPC_API void wapc_engine_host_error(const wapc_engine_host *host, const uint8_t **bytes, size_t *len);
/** @} */

/** __console_log: hand a line to the host's log hook. */
WAPC_API void wapc_engine_console_log(wapc_engine_host *host, const uint8_t *message, size_t len);

/** Set the host's message for a failure the provider is about to return; returns `status`. */
WAPC_API wapc_status wapc_engine_set_message(wapc_engine_host *host, wapc_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef __cplusplus
}
#endif

#endif
