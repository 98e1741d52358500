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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read a whole file into a malloc'd buffer; NULL on failure. */
static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  unsigned char *data = NULL;
  size_t cap = 0;
  *len = 0;
  for (;;) {
    if (*len == cap) {
      unsigned char *p = realloc(data, cap = cap ? cap * 2 : 65536);
      if (!p) break;
      data = p;
    }
    size_t n = fread(data + *len, 1, cap - *len, f);
    *len += n;
    if (n == 0) {
      if (ferror(f)) break;
      fclose(f);
      return data;
    }
  }
  free(data);
  fclose(f);
  return NULL;
}

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
