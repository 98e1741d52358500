/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hello.c - the smallest complete libwapc host: load a waPC guest, call one
 * operation, print the response.
 *
 *   hello [MODULE [OPERATION [PAYLOAD]]]   (default: hello.wasm hello World)
 *
 * With the bundled guest (examples/hello/hello.wasm) it prints "Hello, World!".
 * Build: cc hello.c $(pkg-config --cflags --libs wapc), or link wapc::wapc in CMake.
 */
#include <wapc.h>

#include "../common/read_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "hello.wasm";
  const char *op = argc > 2 ? argv[2] : "hello";
  const char *payload = argc > 3 ? argv[3] : "World";

  size_t len;
  unsigned char *module = read_file(path, &len);
  if (!module) {
    perror(path);
    return 1;
  }

  /* A host on the built-in engine: default options, no host callback. */
  wapc_host *host = NULL;
  wapc_status st = wapc_host_new_builtin(NULL, NULL, NULL, &host, NULL, 0);
  if (st == WAPC_OK) st = wapc_host_load(host, module, len);
  free(module); /* the library keeps its own copy of what it needs */
  if (st != WAPC_OK) {
    fprintf(stderr, "%s: %s: %s\n", path, wapc_status_name(st), host ? wapc_host_last_error(host) : "");
    wapc_host_free(host);
    return 1;
  }

  const uint8_t *response;
  size_t response_len;
  st = wapc_host_call(host, op, strlen(op), (const uint8_t *)payload, strlen(payload), &response,
                      &response_len);
  if (st != WAPC_OK) {
    /* WAPC_ERR_GUEST: the guest's own error text; WAPC_ERR_TRAP: "trap: ..." */
    fprintf(stderr, "%s: %s\n", wapc_status_name(st), wapc_host_last_error(host));
    wapc_host_free(host);
    return 1;
  }
  /* The response belongs to the host until its next call: print it before that. */
  printf("%.*s\n", (int)response_len, (const char *)response);
  wapc_host_free(host);
  return 0;
}
