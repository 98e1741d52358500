/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wasi_path.c - resolving guest paths beneath a directory fd: openat2 with
 * RESOLVE_BENEATH where the kernel has it, a careful component walk where it
 * does not (see wasi_path.h).
 */
#include "util/mem.h"
#include "wasi/wasi_path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__linux__) && defined(SYS_openat2)
#include <linux/openat2.h>
#define HAVE_OPENAT2 1
#else
#define HAVE_OPENAT2 0
#endif

/* Symbolic links expanded in one resolution, as Linux's MAXSYMLINKS. */
#define MAX_LINKS 40

/* ---- the walk ----------------------------------------------------------------- */

typedef struct walk_state {
  int cur;        /* directory reached so far */
  bool owned;     /* cur is ours to close */
  uint32_t depth; /* directories below the start: ".." at 0 is an escape */
  char *rest;     /* what is left to resolve */
  size_t cap;
} walk_state;

static void set_cur(walk_state *w, int fd) {
  if (w->owned) close(w->cur);
  w->cur = fd;
  w->owned = true;
}

/* Replace the component just read by the link's target: rest = target + after (after is empty or
   starts with the separator, so a trailing slash stays a trailing slash). */
static int splice_link(walk_state *w, const char *name, const char *after, uint32_t *links) {
  if (++*links > MAX_LINKS) return -ELOOP;
  char target[WASI_PATH_MAX + 1];
  ssize_t n = MEM_IO(readlinkat(w->cur, name, target, WASI_PATH_MAX));
  if (n < 0) return -errno;
  if (n == 0) return -ENOENT;
  if (n >= WASI_PATH_MAX) return -ENAMETOOLONG;
  target[n] = 0;
  if (target[0] == '/') return -EXDEV; /* an absolute target leaves the sandbox */
  size_t alen = strlen(after);
  size_t need = (size_t)n + alen + 1;
  if (need > 4 * WASI_PATH_MAX) return -ENAMETOOLONG;
  char *fresh = mem_malloc(need);
  if (!fresh) return -ENOMEM;
  memcpy(fresh, target, (size_t)n);
  memcpy(fresh + n, after, alen + 1);
  mem_free(w->rest);
  w->rest = fresh;
  w->cap = need;
  return 0;
}

static bool is_symlink_at(int dirfd, const char *name) {
  struct stat st;
  return MEM_IO(fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) == 0 && S_ISLNK(st.st_mode);
}

static int walk_open(int dirfd, const char *path, int flags, mode_t mode, bool follow) {
  walk_state w = {dirfd, false, 0, NULL, 0};
  w.rest = mem_strdup(path);
  if (!w.rest) return -ENOMEM;
  uint32_t links = 0;
  int result = -ENOENT;
  char comp[WASI_PATH_MAX + 1];
  size_t pos = 0;
  for (;;) {
    const char *r = w.rest;
    while (r[pos] == '/')
      pos++;
    if (r[pos] == 0) {
      /* Ran out after a separator or a "."/".." : the path names the directory reached. */
      int fd = MEM_IO(openat(w.cur, ".", flags | O_CLOEXEC | O_DIRECTORY, mode));
      result = fd < 0 ? -errno : fd;
      break;
    }
    size_t end = pos;
    while (r[end] && r[end] != '/')
      end++;
    size_t clen = end - pos;
    if (clen > 255) {
      result = -ENAMETOOLONG;
      break;
    }
    memcpy(comp, r + pos, clen);
    comp[clen] = 0;
    size_t after = end;
    while (r[after] == '/')
      after++;
    bool last = r[after] == 0;
    bool trailing = last && end != after;
    if (strcmp(comp, ".") == 0) {
      pos = end;
      continue;
    }
    if (strcmp(comp, "..") == 0) {
      if (w.depth == 0) {
        result = -EXDEV;
        break;
      }
      int fd = MEM_IO(openat(w.cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (fd < 0) {
        result = -errno;
        break;
      }
      set_cur(&w, fd);
      w.depth--;
      pos = end;
      continue;
    }
    if (!last) {
      int fd = MEM_IO(openat(w.cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (fd < 0) {
        int e = errno;
        if ((e == ENOTDIR || e == ELOOP) && is_symlink_at(w.cur, comp)) {
          int rc = splice_link(&w, comp, r + end, &links);
          if (rc < 0) {
            result = rc;
            break;
          }
          pos = 0;
          continue;
        }
        result = -e;
        break;
      }
      set_cur(&w, fd);
      w.depth++;
      pos = end;
      continue;
    }
    int fflags = flags | O_NOFOLLOW | O_CLOEXEC | (trailing ? O_DIRECTORY : 0);
    int fd = MEM_IO(openat(w.cur, comp, fflags, mode));
    if (fd < 0) {
      int e = errno;
      if (follow && (e == ELOOP || e == ENOTDIR) && is_symlink_at(w.cur, comp)) {
        int rc = splice_link(&w, comp, r + end, &links);
        if (rc < 0) {
          result = rc;
          break;
        }
        pos = 0;
        continue;
      }
      result = -e;
      break;
    }
    if (follow && (flags & O_PATH)) {
      /* O_PATH|O_NOFOLLOW opened the link itself: follow it by hand. */
      struct stat st;
      if (MEM_IO(fstat(fd, &st)) == 0 && S_ISLNK(st.st_mode)) {
        close(fd);
        int rc = splice_link(&w, comp, r + end, &links);
        if (rc < 0) {
          result = rc;
          break;
        }
        pos = 0;
        continue;
      }
    }
    result = fd;
    break;
  }
  if (w.owned) close(w.cur);
  mem_free(w.rest);
  return result;
}

/* ---- openat2 -------------------------------------------------------------------- */

#if HAVE_OPENAT2
static int kernel_open(int dirfd, const char *path, int flags, mode_t mode, bool follow) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
  how.mode = (flags & O_CREAT) ? (uint64_t)mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0; attempt < 8; attempt++) {
    long fd = MEM_IO(syscall(SYS_openat2, dirfd, path, &how, sizeof how));
    if (fd >= 0) return (int)fd;
    /* EAGAIN: a concurrent rename raced the lookup; the kernel asks us to retry. */
    if (errno != EAGAIN && errno != EINTR) return -errno;
  }
  return -EAGAIN;
}
#endif

int wasi_path_open(int dirfd, const char *path, int flags, mode_t mode, bool follow, wasi_resolve_mode how) {
  if (!path[0]) return -ENOENT;
  if (path[0] == '/') return -EXDEV;
  if (strlen(path) > WASI_PATH_MAX) return -ENAMETOOLONG;
#if HAVE_OPENAT2
  if (how == WASI_RESOLVE_AUTO) {
    int fd = kernel_open(dirfd, path, flags, mode, follow);
    if (fd != -ENOSYS) return fd;
  }
#endif
  return walk_open(dirfd, path, flags, mode, follow);
}

int wasi_path_parent(int dirfd, char *path, int *parent, const char **name, bool *trailing_slash,
                     wasi_resolve_mode how) {
  *parent = -1;
  *name = NULL;
  *trailing_slash = false;
  size_t len = strlen(path);
  if (len == 0) return -ENOENT;
  if (path[0] == '/') return -EXDEV;
  if (len > WASI_PATH_MAX) return -ENAMETOOLONG;
  while (len > 1 && path[len - 1] == '/') {
    path[--len] = 0;
    *trailing_slash = true;
  }
  char *slash = strrchr(path, '/');
  const char *dir = ".";
  const char *last = path;
  if (slash) {
    *slash = 0;
    dir = path;
    last = slash + 1;
  }
  if (strcmp(last, ".") == 0 || strcmp(last, "..") == 0) return -EINVAL;
  if (strlen(last) > 255) return -ENAMETOOLONG;
  int fd = wasi_path_open(dirfd, dir, O_PATH | O_DIRECTORY, 0, true, how);
  if (fd < 0) return fd;
  *parent = fd;
  *name = last;
  return 0;
}
