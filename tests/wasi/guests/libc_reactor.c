/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libc_reactor: a waPC guest built with wasi-libc as a WASI reactor
 * (crt1-reactor.o: `_initialize` runs the constructors).  It logs with
 * printf/fprintf in wapc_init and during calls.  Operations: "echo" answers
 * the payload and logs "libc: echo <payload>" on stdout; "write" writes the
 * payload to /data/out.txt (a preopen) and answers "written"; "read" answers
 * the content of /data/in.txt.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

static int errno_value(void) {
  return errno;
}

#define WAPC_IMPORT(name) __attribute__((import_module("wapc"), import_name(#name)))
WAPC_IMPORT(__guest_request) void guest_request(uint8_t *op, uint8_t *payload);
WAPC_IMPORT(__guest_response) void guest_response(const void *p, size_t len);
WAPC_IMPORT(__guest_error) void guest_error(const void *p, size_t len);

static int calls;

__attribute__((constructor)) static void ctor(void) {
  calls = 100; /* proves _initialize ran the constructors */
}

__attribute__((export_name("wapc_init"))) void wapc_init(void) {
  printf("libc: wapc_init calls=%d\n", calls);
  fflush(stdout);
  fprintf(stderr, "libc: to stderr\n");
}

static int fail(const char *msg) {
  guest_error(msg, strlen(msg));
  return 0;
}

__attribute__((export_name("__guest_call"))) int guest_call(size_t op_len, size_t msg_len) {
  char *op = malloc(op_len + 1), *payload = malloc(msg_len + 1);
  if (!op || !payload) return fail("out of memory");
  guest_request((uint8_t *)op, (uint8_t *)payload);
  op[op_len] = 0;
  payload[msg_len] = 0;
  calls++;
  int ok = 0;
  if (!strcmp(op, "echo")) {
    printf("libc: echo %s\n", payload);
    fflush(stdout);
    guest_response(payload, msg_len);
    ok = 1;
  } else if (!strcmp(op, "write")) {
    FILE *f = fopen("/data/out.txt", "w");
    if (!f) {
      ok = fail(strerror(errno_value()));
    } else {
      fwrite(payload, 1, msg_len, f);
      fclose(f);
      guest_response("written", 7);
      ok = 1;
    }
  } else if (!strcmp(op, "read")) {
    FILE *f = fopen("/data/in.txt", "r");
    char buf[256];
    if (!f) {
      ok = fail(strerror(errno_value()));
    } else {
      size_t n = fread(buf, 1, sizeof buf, f);
      fclose(f);
      guest_response(buf, n);
      ok = 1;
    }
  } else {
    ok = fail("unknown operation");
  }
  free(op);
  free(payload);
  return ok;
}
