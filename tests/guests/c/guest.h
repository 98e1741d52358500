/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guest: a minimal waPC guest library for C, compiled with clang --target=wasm32 and no libc. It owns
 * the "wapc" import declarations, the exported __guest_call and wapc_init, handler registration by
 * operation name, a per-call bump allocator over the linear memory past __heap_base, and a host-call
 * wrapper. A guest program defines guest_init() and registers its handlers there; it answers with
 * guest_respond() and returns 1, or fails with guest_fail() (which returns 0).
 */
#ifndef GUEST_H
#define GUEST_H

#include <stddef.h>
#include <stdint.h>

/* A handler gets the request payload (valid for the call) and returns non-zero on success. */
typedef int (*guest_handler)(const uint8_t *payload, size_t len);

/* Defined by each guest program; runs from the exported wapc_init. */
void guest_init(void);

void guest_register(const char *op, guest_handler fn);

/* Memory that lives until the current call returns; traps when memory cannot grow. */
void *guest_alloc(size_t n);

void guest_respond(const void *data, size_t len);
int guest_fail(const char *msg);
int guest_fail_bytes(const void *msg, size_t len);
void guest_log(const char *msg);

/* Calls the host. On success returns 1 and points *out at the response; on failure returns 0 and
 * points *out at the host error. Either buffer is call-scoped (guest_alloc). */
int guest_host_call(const char *binding, const char *ns, const char *op, const void *payload, size_t len,
                    const uint8_t **out, size_t *out_len);

size_t guest_strlen(const char *s);
/* Parses a decimal number; returns 0 when the bytes are not one (or it overflows 64 bits). */
int guest_parse_u64(const uint8_t *p, size_t len, uint64_t *out);
/* Writes v in decimal to buf (at least 20 bytes); returns the length. */
size_t guest_format_u64(uint64_t v, char *buf);

/* The compiler may emit calls to these for struct copies and loops. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
