/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hotswap.c - replace a host's guest while the host keeps its id, its
 * callback and its options; a module that fails to load leaves the old one
 * serving.
 *
 *   hotswap V1_WASM V2_WASM   (examples/hello/hello.wasm, examples/hotswap/hello_v2.wasm)
 */
#include <wapc.h>

#include "../common/read_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void say_hello(wapc_host *host) {
  const uint8_t *resp;
  size_t resp_len;
  wapc_status st = wapc_host_call(host, "hello", 5, (const uint8_t *)"World", 5, &resp, &resp_len);
  if (st == WAPC_OK)
    printf("host %llu: %.*s\n", (unsigned long long)wapc_host_id(host), (int)resp_len, (const char *)resp);
  else
    printf("host %llu: %s\n", (unsigned long long)wapc_host_id(host), wapc_host_last_error(host));
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: hotswap V1_WASM V2_WASM\n");
    return 2;
  }
  size_t v1_len, v2_len;
  unsigned char *v1 = read_file(argv[1], &v1_len);
  unsigned char *v2 = read_file(argv[2], &v2_len);
  if (!v1 || !v2) {
    perror(!v1 ? argv[1] : argv[2]);
    free(v1);
    free(v2);
    return 1;
  }
  int rc = 1;
  wapc_host *host = NULL;
  wapc_status st = wapc_host_new_builtin(NULL, NULL, NULL, &host, NULL, 0);
  if (st == WAPC_OK) st = wapc_host_load(host, v1, v1_len);
  if (st != WAPC_OK) goto fail;
  say_hello(host);

  /* Hot swap: v2 is loaded and initialised completely before it replaces v1. */
  st = wapc_host_replace_module(host, v2, v2_len);
  if (st != WAPC_OK) goto fail;
  say_hello(host);

  /* A broken module is refused and the running one keeps serving, unchanged. */
  static const uint8_t broken[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0xff};
  st = wapc_host_replace_module(host, broken, sizeof broken);
  printf("replace with a broken module: %s (%s)\n", wapc_status_name(st), wapc_host_last_error(host));
  say_hello(host);
  rc = 0;
  goto done;
fail:
  fprintf(stderr, "%s\n", host ? wapc_host_last_error(host) : wapc_status_str(st));
done:
  wapc_host_free(host);
  free(v1);
  free(v2);
  return rc;
}
