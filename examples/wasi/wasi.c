/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wasi.c - a guest that uses WASI files, confined to one preopened directory.
 *
 *   wasi READFILE_WASM DIRECTORY   (examples/wasi/readfile.wasm, any writable directory)
 *
 * The host gives the guest DIRECTORY as "/data" (WASI fd 3), lets it write
 * out.txt there, reads it back through the guest, and shows that a path
 * leading out of the directory is refused (WASI errno 63, EPERM: the guest
 * never reaches the file).
 */
#include <wapc.h>

#include "../common/read_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void call(wapc_host *host, const char *op, const char *payload) {
  const uint8_t *resp;
  size_t resp_len;
  wapc_status st =
      wapc_host_call(host, op, strlen(op), (const uint8_t *)payload, strlen(payload), &resp, &resp_len);
  if (st == WAPC_OK)
    printf("%s %s: %.*s\n", op, payload, (int)resp_len, (const char *)resp);
  else
    printf("%s %s: %s: %s\n", op, payload, wapc_status_name(st), wapc_host_last_error(host));
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: wasi READFILE_WASM DIRECTORY\n");
    return 2;
  }
  size_t len;
  unsigned char *module = read_file(argv[1], &len);
  if (!module) {
    perror(argv[1]);
    return 1;
  }

  /* Everything in the options is copied when the host is created: these may be locals. */
  wapc_builtin_options opts;
  wapc_builtin_options_init(&opts);
  wapc_wasi_dir dir = {.host_path = argv[2], .guest_path = "/data", .read_only = 0};
  opts.wasi_dirs = &dir;
  opts.wasi_ndirs = 1;
  const char *env[] = {"GREETING=hello"};
  opts.wasi_env = env;
  opts.wasi_nenv = 1;

  wapc_host *host = NULL;
  wapc_status st = wapc_host_new_builtin(&opts, NULL, NULL, &host, NULL, 0);
  if (st == WAPC_OK) st = wapc_host_load(host, module, len);
  free(module);
  if (st != WAPC_OK) {
    /* WAPC_ERR_IO: the directory could not be opened */
    fprintf(stderr, "%s: %s\n", wapc_status_name(st), host ? wapc_host_last_error(host) : "");
    wapc_host_free(host);
    return 1;
  }
  call(host, "write", "written by the guest");
  call(host, "read", "out.txt");
  call(host, "read", "../../etc/passwd");
  wapc_host_free(host);

  /* The file is really in DIRECTORY on the host. */
  char path[4096];
  snprintf(path, sizeof path, "%s/out.txt", argv[2]);
  unsigned char *written = read_file(path, &len);
  if (!written) {
    perror(path);
    return 1;
  }
  printf("on the host, DIRECTORY/out.txt: %.*s\n", (int)len, (const char *)written);
  free(written);
  return 0;
}
