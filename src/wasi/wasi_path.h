/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wasi_path.h - confinement of guest paths to a preopened directory.
 *
 * Every WASI path function resolves its path here, relative to a directory
 * file descriptor, so that no `..`, absolute path or symbolic link can lead
 * outside it.  On Linux >= 5.6 the kernel does it: openat2() with
 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS.  Where openat2 is missing (ENOSYS)
 * a component walk does the same in user space: one component at a time with
 * O_NOFOLLOW, symbolic links expanded by hand (relative targets only, at most
 * 40), `..` refused at the starting directory.  The walk is open to a race
 * with another process that moves a directory out from under it while it
 * walks; openat2 is not.
 *
 * Errors are negative POSIX errno values; an escape attempt is -EXDEV (the
 * caller reports it to the guest as WASI EPERM, as wasmtime does).
 */
#ifndef WAPC_WASI_PATH_H
#define WAPC_WASI_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* How to resolve: the kernel (openat2, falling back to the walk on ENOSYS), or the walk only (tests). */
typedef enum { WASI_RESOLVE_AUTO = 0, WASI_RESOLVE_WALK = 1 } wasi_resolve_mode;

/* Longest guest path accepted (bytes), like Linux's PATH_MAX. */
#define WASI_PATH_MAX 4096

/*
 * Open `path` (NUL-terminated, relative) beneath `dirfd` with open(2) `flags`
 * and `mode`.  `follow` says whether a symbolic link in the LAST component is
 * followed (links in earlier components always are, beneath dirfd).  Returns
 * the new fd (O_CLOEXEC) or a negative errno.
 */
int wasi_path_open(int dirfd, const char *path, int flags, mode_t mode, bool follow, wasi_resolve_mode how);

/*
 * Split `path` for the functions that act on a name in a directory (mkdir,
 * unlink, rename, symlink, readlink, link, stat without following): opens the
 * directory part beneath `dirfd` (O_PATH) into *parent and points *name at
 * the last component inside `path` (which is modified: trailing slashes are
 * cut, the separator becomes NUL).  *trailing_slash tells whether the path
 * ended in '/'.  When the last component is "." or "..", returns -EINVAL
 * with nothing open: such names cannot be created or removed.
 */
int wasi_path_parent(int dirfd, char *path, int *parent, const char **name, bool *trailing_slash,
                     wasi_resolve_mode how);

#endif
