/* SPDX-License-Identifier: Apache-2.0 */
/*
 * read_file.h - the examples' one helper: a whole file into memory (a guest
 * module, or a file to hot-swap in).  The library borrows the bytes for the
 * call that takes them, so the caller frees them afterwards.
 */
#ifndef WAPC_EXAMPLES_READ_FILE_H
#define WAPC_EXAMPLES_READ_FILE_H

#include <stdio.h>
#include <stdlib.h>

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

#endif
