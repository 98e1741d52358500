/* SPDX-License-Identifier: Apache-2.0 */
/*
 * file.h - reading a whole file (a module) into memory, for the `wapc` commands.
 */
#ifndef WAPC_TOOLS_FILE_H
#define WAPC_TOOLS_FILE_H

#include <stddef.h>
#include <stdint.h>

/* The contents of `path` (malloc'd, free() it) and *len, or NULL with errno set. */
uint8_t *cli_read_file(const char *path, size_t *len);

#endif
