/* SPDX-License-Identifier: Apache-2.0 */
/*
 * file.c - reading a whole module file (file.h).
 */
#include "file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

uint8_t *cli_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *data = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      if (cap > SIZE_MAX / 2) break;
      cap = cap ? cap * 2 : 65536;
      uint8_t *p = realloc(data, cap);
      if (!p) {
        free(data);
        fclose(f);
        errno = ENOMEM;
        return NULL;
      }
      data = p;
    }
    size_t got = fread(data + n, 1, cap - n, f);
    if (got == 0) break;
    n += got;
  }
  bool bad = ferror(f);
  fclose(f);
  if (bad) {
    free(data);
    errno = EIO;
    return NULL;
  }
  *len = n;
  return data;
}
