/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wasi.c - WASI preview1 (and the older "wasi_unstable" ABI) over the
 * engine's host-function interface: the configuration, the per-instance
 * file-descriptor table, and every preview1 function (see wasi.h for the
 * policies).  The unstable ABI differs in three places, handled by variants:
 * fd_seek's whence encoding, the filestat layout (nlink is u32), and the
 * clock subscription of poll_oneoff (an extra identifier field).
 */
#include "util/mem.h"
#include "wasi/wasi.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* ---- WASI constants ------------------------------------------------------------------- */

#define WASI_ERRNO_LIST(X)                                                                                   \
  X(E2BIG, 1)                                                                                                \
  X(EACCES, 2)                                                                                               \
  X(EADDRINUSE, 3)                                                                                           \
  X(EADDRNOTAVAIL, 4)                                                                                        \
  X(EAFNOSUPPORT, 5)                                                                                         \
  X(EAGAIN, 6)                                                                                               \
  X(EALREADY, 7)                                                                                             \
  X(EBADF, 8)                                                                                                \
  X(EBADMSG, 9)                                                                                              \
  X(EBUSY, 10)                                                                                               \
  X(ECANCELED, 11)                                                                                           \
  X(ECHILD, 12)                                                                                              \
  X(ECONNABORTED, 13)                                                                                        \
  X(ECONNREFUSED, 14)                                                                                        \
  X(ECONNRESET, 15)                                                                                          \
  X(EDEADLK, 16)                                                                                             \
  X(EDESTADDRREQ, 17)                                                                                        \
  X(EDOM, 18)                                                                                                \
  X(EDQUOT, 19)                                                                                              \
  X(EEXIST, 20)                                                                                              \
  X(EFAULT, 21)                                                                                              \
  X(EFBIG, 22)                                                                                               \
  X(EHOSTUNREACH, 23)                                                                                        \
  X(EIDRM, 24)                                                                                               \
  X(EILSEQ, 25)                                                                                              \
  X(EINPROGRESS, 26)                                                                                         \
  X(EINTR, 27)                                                                                               \
  X(EINVAL, 28)                                                                                              \
  X(EIO, 29)                                                                                                 \
  X(EISCONN, 30)                                                                                             \
  X(EISDIR, 31)                                                                                              \
  X(ELOOP, 32)                                                                                               \
  X(EMFILE, 33)                                                                                              \
  X(EMLINK, 34)                                                                                              \
  X(EMSGSIZE, 35)                                                                                            \
  X(EMULTIHOP, 36)                                                                                           \
  X(ENAMETOOLONG, 37)                                                                                        \
  X(ENETDOWN, 38)                                                                                            \
  X(ENETRESET, 39)                                                                                           \
  X(ENETUNREACH, 40)                                                                                         \
  X(ENFILE, 41)                                                                                              \
  X(ENOBUFS, 42)                                                                                             \
  X(ENODEV, 43)                                                                                              \
  X(ENOENT, 44)                                                                                              \
  X(ENOEXEC, 45)                                                                                             \
  X(ENOLCK, 46)                                                                                              \
  X(ENOLINK, 47)                                                                                             \
  X(ENOMEM, 48)                                                                                              \
  X(ENOMSG, 49)                                                                                              \
  X(ENOPROTOOPT, 50)                                                                                         \
  X(ENOSPC, 51)                                                                                              \
  X(ENOSYS, 52)                                                                                              \
  X(ENOTCONN, 53)                                                                                            \
  X(ENOTDIR, 54)                                                                                             \
  X(ENOTEMPTY, 55)                                                                                           \
  X(ENOTRECOVERABLE, 56)                                                                                     \
  X(ENOTSOCK, 57)                                                                                            \
  X(ENOTSUP, 58)                                                                                             \
  X(ENOTTY, 59)                                                                                              \
  X(ENXIO, 60)                                                                                               \
  X(EOVERFLOW, 61)                                                                                           \
  X(EOWNERDEAD, 62)                                                                                          \
  X(EPERM, 63)                                                                                               \
  X(EPIPE, 64)                                                                                               \
  X(EPROTO, 65)                                                                                              \
  X(EPROTONOSUPPORT, 66)                                                                                     \
  X(EPROTOTYPE, 67)                                                                                          \
  X(ERANGE, 68)                                                                                              \
  X(EROFS, 69)                                                                                               \
  X(ESPIPE, 70)                                                                                              \
  X(ESRCH, 71)                                                                                               \
  X(ESTALE, 72)                                                                                              \
  X(ETIMEDOUT, 73)                                                                                           \
  X(ETXTBSY, 74)

enum {
  W_SUCCESS = 0,
#define WASI_ERRNO_ENUM_(name, value) W_##name = value,
  WASI_ERRNO_LIST(WASI_ERRNO_ENUM_)
#undef WASI_ERRNO_ENUM_
      W_ENOTCAPABLE = 76,
  /* Not a WASI errno: the library could not allocate; RET turns it into the trap VM_TRAP_NOMEM, so the
   * call fails with WAPC_ERR_NOMEM instead of handing the guest an error it would misread as its own. */
  W_HOSTNOMEM = 0x10000,
};

enum {
  FT_UNKNOWN = 0,
  FT_BLOCK = 1,
  FT_CHAR = 2,
  FT_DIR = 3,
  FT_REG = 4,
  FT_SOCK_DGRAM = 5,
  FT_SOCK_STREAM = 6,
  FT_SYMLINK = 7,
};

#define R_FD_DATASYNC (1ull << 0)
#define R_FD_READ (1ull << 1)
#define R_FD_SEEK (1ull << 2)
#define R_FD_TELL (1ull << 5)
#define R_FD_WRITE (1ull << 6)
#define R_FD_ALLOCATE (1ull << 8)
#define R_FD_READDIR (1ull << 14)
#define R_FD_FILESTAT_SET_SIZE (1ull << 22)
#define R_ALL ((1ull << 30) - 1)

enum { FDF_APPEND = 1, FDF_DSYNC = 2, FDF_NONBLOCK = 4, FDF_RSYNC = 8, FDF_SYNC = 16 };
enum { OF_CREAT = 1, OF_DIRECTORY = 2, OF_EXCL = 4, OF_TRUNC = 8 };
enum { FST_ATIM = 1, FST_ATIM_NOW = 2, FST_MTIM = 4, FST_MTIM_NOW = 8 };
enum { LOOKUP_SYMLINK_FOLLOW = 1 };

/* Host errno -> WASI errno.  EXDEV from the path resolver means an escape: EPERM, as wasmtime. */
static uint32_t werr(int e) {
  if (e < 0) e = -e;
  switch (e) {
  case 0: return W_SUCCESS;
  case EXDEV: return W_EPERM;
#if defined(EOPNOTSUPP) && EOPNOTSUPP != ENOTSUP
  case EOPNOTSUPP: return W_ENOTSUP;
#endif
#if defined(EWOULDBLOCK) && EWOULDBLOCK != EAGAIN
  case EWOULDBLOCK: return W_EAGAIN;
#endif
#define WASI_ERRNO_CASE_(name, value)                                                                        \
  case name: return W_##name;
    WASI_ERRNO_LIST(WASI_ERRNO_CASE_)
#undef WASI_ERRNO_CASE_
  default: return W_EIO;
  }
}

/* A result of wasi_path_*: -errno; out of memory is the library's (W_HOSTNOMEM). */
static uint32_t path_err(int neg) {
  return neg == -ENOMEM ? (uint32_t)W_HOSTNOMEM : werr(neg);
}

/* ---- configuration ---------------------------------------------------------------------- */

typedef struct preopen {
  int fd;      /* O_RDONLY|O_DIRECTORY on the host directory */
  char *guest; /* the guest's name for it */
  bool read_only;
} preopen;

struct wasi_config {
  char *args; /* NUL-terminated strings, back to back */
  size_t nargs, args_size;
  char *env;
  size_t nenv, env_size;
  preopen *dirs;
  size_t ndirs;
  wapc_stdio stdio[3];
  wasi_resolve_mode resolve;
};

/* Pack `n` strings into one buffer of NUL-terminated strings: WAPC_OK, WAPC_ERR_MISUSE (a NULL string,
 * more than 4 GiB) or WAPC_ERR_NOMEM. */
static wapc_status pack_strings(const char *const *list, size_t n, char **out, size_t *size) {
  size_t total = 0;
  *out = NULL;
  *size = 0;
  for (size_t i = 0; i < n; i++) {
    if (!list[i]) return WAPC_ERR_MISUSE;
    size_t l = strlen(list[i]) + 1;
    if (l > UINT32_MAX - total) return WAPC_ERR_MISUSE; /* the guest sees sizes as u32 */
    total += l;
  }
  char *buf = mem_malloc(total ? total : 1);
  if (!buf) return WAPC_ERR_NOMEM;
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(list[i]) + 1;
    memcpy(buf + at, list[i], l);
    at += l;
  }
  *out = buf;
  *size = total;
  return WAPC_OK;
}

/* The configuration could not be copied: out of memory. */
static wapc_status config_nomem(wasi_config *c, char *err, size_t errlen) {
  snprintf(err, errlen, "out of memory");
  wasi_config_free(c);
  return WAPC_ERR_NOMEM;
}

void wasi_config_free(wasi_config *c) {
  if (!c) return;
  for (size_t i = 0; i < c->ndirs; i++) {
    if (c->dirs[i].fd >= 0) close(c->dirs[i].fd);
    mem_free(c->dirs[i].guest);
  }
  mem_free(c->dirs);
  mem_free(c->args);
  mem_free(c->env);
  mem_free(c);
}

wapc_status wasi_config_new(const wapc_builtin_options *o, wasi_config **out, char *err, size_t errlen) {
  *out = NULL;
  if (errlen) err[0] = 0;
  wasi_config *c = mem_calloc(1, sizeof *c);
  if (!c) return config_nomem(NULL, err, errlen);
  if ((o->wasi_nargs && !o->wasi_args) || (o->wasi_nenv && !o->wasi_env) ||
      (o->wasi_ndirs && !o->wasi_dirs) || o->wasi_nargs > UINT32_MAX / 8 || o->wasi_nenv > UINT32_MAX / 8 ||
      o->wasi_ndirs > 1024) {
    snprintf(err, errlen, "bad WASI arguments, environment or directory list");
    wasi_config_free(c);
    return WAPC_ERR_MISUSE;
  }
  wapc_status st = pack_strings(o->wasi_args, o->wasi_nargs, &c->args, &c->args_size);
  if (st == WAPC_OK) st = pack_strings(o->wasi_env, o->wasi_nenv, &c->env, &c->env_size);
  if (st == WAPC_ERR_NOMEM) return config_nomem(c, err, errlen);
  if (st != WAPC_OK) {
    snprintf(err, errlen, "bad WASI arguments or environment (a NULL string, or over 4 GiB)");
    wasi_config_free(c);
    return st;
  }
  c->nargs = o->wasi_nargs;
  c->nenv = o->wasi_nenv;
  const wapc_stdio *io[3] = {&o->wasi_stdin, &o->wasi_stdout, &o->wasi_stderr};
  for (int i = 0; i < 3; i++) {
    c->stdio[i] = *io[i];
    if (c->stdio[i].mode == WAPC_STDIO_DEFAULT)
      c->stdio[i].mode = i == 0 ? WAPC_STDIO_DISCARD : WAPC_STDIO_INHERIT;
    bool bad = c->stdio[i].mode > WAPC_STDIO_CALLBACK ||
               (c->stdio[i].mode == WAPC_STDIO_FD && c->stdio[i].fd < 0) ||
               (c->stdio[i].mode == WAPC_STDIO_CALLBACK && (i == 0 ? !c->stdio[i].read : !c->stdio[i].write));
    if (bad) {
      snprintf(err, errlen, "bad WASI %s configuration", i == 0 ? "stdin" : i == 1 ? "stdout" : "stderr");
      wasi_config_free(c);
      return WAPC_ERR_MISUSE;
    }
  }
  if (o->wasi_ndirs) {
    c->dirs = mem_calloc(o->wasi_ndirs, sizeof *c->dirs);
    if (!c->dirs) return config_nomem(c, err, errlen);
  }
  for (size_t i = 0; i < o->wasi_ndirs; i++) {
    const wapc_wasi_dir *d = &o->wasi_dirs[i];
    c->dirs[i].fd = -1;
    c->ndirs = i + 1;
    if (!d->host_path) {
      snprintf(err, errlen, "WASI directory %zu has no host path", i);
      wasi_config_free(c);
      return WAPC_ERR_MISUSE;
    }
    const char *guest = d->guest_path ? d->guest_path : d->host_path;
    c->dirs[i].guest = mem_strdup(guest);
    c->dirs[i].read_only = d->read_only != 0;
    if (!c->dirs[i].guest) return config_nomem(c, err, errlen);
    c->dirs[i].fd = open(d->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (c->dirs[i].fd < 0) {
      snprintf(err, errlen, "cannot open directory '%s': %s", d->host_path, strerror(errno));
      wasi_config_free(c);
      return WAPC_ERR_IO;
    }
  }
  *out = c;
  return WAPC_OK;
}

void wasi_config_set_resolve(wasi_config *c, wasi_resolve_mode how) {
  if (c) c->resolve = how;
}

/* ---- per-instance state: the fd table ---------------------------------------------------- */

#define MAX_FDS 4096u

typedef struct wfd {
  bool used;
  int host;   /* host fd, or -1 (stdio discard/callback) */
  bool owned; /* close host on fd_close */
  uint8_t filetype;
  uint16_t flags; /* fdflags for stdio without a host fd */
  uint64_t rights, inheriting;
  bool read_only;     /* beneath a read-only preopen */
  int stdio;          /* 0, 1, 2 for stdio entries, -1 otherwise */
  const preopen *pre; /* preopened directory, or NULL */
  DIR *dir;           /* fd_readdir stream, lazily opened */
  uint64_t dir_pos;   /* cookie of the next entry dir would return */
} wfd;

struct wasi_ctx {
  const wasi_config *cfg;
  uint64_t host_id;
  wfd *fds;
  uint32_t nfds; /* allocated entries */
  bool exited;
  uint32_t exit_code;
};

static void fd_release(wfd *f) {
  if (f->dir) closedir(f->dir);
  if (f->owned && f->host >= 0) close(f->host);
  memset(f, 0, sizeof *f);
  f->host = -1;
  f->stdio = -1;
}

void wasi_ctx_free(wasi_ctx *x) {
  if (!x) return;
  for (uint32_t i = 0; i < x->nfds; i++)
    if (x->fds[i].used) fd_release(&x->fds[i]);
  mem_free(x->fds);
  mem_free(x);
}

/* A free slot (the lowest, as POSIX), growing the table; -1 when full, -2 out of memory. */
static int fd_alloc(wasi_ctx *x) {
  for (uint32_t i = 0; i < x->nfds; i++)
    if (!x->fds[i].used) return (int)i;
  if (x->nfds >= MAX_FDS) return -1;
  uint32_t n = x->nfds ? x->nfds * 2 : 16;
  if (n > MAX_FDS) n = MAX_FDS;
  wfd *p = mem_realloc(x->fds, n * sizeof *p);
  if (!p) return -2;
  for (uint32_t i = x->nfds; i < n; i++) {
    memset(&p[i], 0, sizeof p[i]);
    p[i].host = -1;
    p[i].stdio = -1;
  }
  int slot = (int)x->nfds;
  x->fds = p;
  x->nfds = n;
  return slot;
}

static uint8_t filetype_of(mode_t m) {
  if (S_ISREG(m)) return FT_REG;
  if (S_ISDIR(m)) return FT_DIR;
  if (S_ISCHR(m)) return FT_CHAR;
  if (S_ISBLK(m)) return FT_BLOCK;
  if (S_ISLNK(m)) return FT_SYMLINK;
  if (S_ISSOCK(m)) return FT_SOCK_STREAM;
  return FT_UNKNOWN;
}

static uint8_t host_filetype(int fd) {
  struct stat st;
  return MEM_IO(fstat(fd, &st)) == 0 ? filetype_of(st.st_mode) : FT_UNKNOWN;
}

wasi_ctx *wasi_ctx_new(const wasi_config *c, uint64_t host_id) {
  wasi_ctx *x = mem_calloc(1, sizeof *x);
  if (!x) return NULL;
  x->cfg = c;
  x->host_id = host_id;
  for (int i = 0; i < 3; i++) {
    int slot = fd_alloc(x);
    if (slot != i) goto fail;
    wfd *f = &x->fds[i];
    f->used = true;
    f->stdio = i;
    f->rights = R_ALL & ~(R_FD_SEEK | R_FD_TELL);
    switch (c->stdio[i].mode) {
    case WAPC_STDIO_INHERIT: f->host = i; break;
    case WAPC_STDIO_FD: f->host = c->stdio[i].fd; break;
    default: f->host = -1; break;
    }
    f->filetype = f->host >= 0 ? host_filetype(f->host) : FT_CHAR;
    if (f->filetype == FT_REG) f->rights = R_ALL;
  }
  for (size_t i = 0; i < c->ndirs; i++) {
    int slot = fd_alloc(x);
    if (slot < 0) goto fail;
    wfd *f = &x->fds[slot];
    f->host = fcntl(c->dirs[i].fd, F_DUPFD_CLOEXEC, 3);
    if (f->host < 0) goto fail;
    f->used = true;
    f->owned = true;
    f->filetype = FT_DIR;
    f->rights = f->inheriting = R_ALL;
    f->read_only = c->dirs[i].read_only;
    f->pre = &c->dirs[i];
  }
  return x;
fail:
  wasi_ctx_free(x);
  return NULL;
}

bool wasi_exited(const wasi_ctx *x, uint32_t *code) {
  if (!x || !x->exited) return false;
  if (code) *code = x->exit_code;
  return true;
}

void wasi_clear_exit(wasi_ctx *x) {
  if (x) x->exited = false;
}

/* ---- guest memory --------------------------------------------------------------------------- */

typedef struct gmem {
  uint8_t *base;
  uint64_t size;
} gmem;

static bool mem_of(vm_instance *caller, gmem *m) {
  vm_memory *vm = caller ? vm_instance_memory(caller) : NULL;
  if (!vm) {
    m->base = NULL;
    m->size = 0;
    return false;
  }
  m->base = vm_memory_data(vm);
  m->size = vm_memory_size(vm);
  return true;
}

static bool ok_range(const gmem *m, uint64_t ptr, uint64_t len) {
  return m->base && ptr <= m->size && len <= m->size - ptr;
}

static void st8(uint8_t *p, uint8_t v) {
  p[0] = v;
}
static void st16(uint8_t *p, uint16_t v) {
  for (int i = 0; i < 2; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static void st32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static void st64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static uint16_t ld16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t ld32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t ld64(const uint8_t *p) {
  return (uint64_t)ld32(p) | (uint64_t)ld32(p + 4) << 32;
}

#define A32(i) ((uint32_t)args[i])
#define A64(i) (args[i])
#define RET(e)                                                                                               \
  do {                                                                                                       \
    uint32_t ret_ = (uint32_t)(e);                                                                           \
    if (ret_ == W_HOSTNOMEM) return vm_store_trap(s, VM_TRAP_NOMEM);                                         \
    args[0] = ret_;                                                                                          \
    return VM_OK;                                                                                            \
  } while (0)
#define HOSTFN(name) static vm_result name(vm_store *s, vm_instance *caller, void *user, uint64_t *args)
/* Common prologue: the context and guest memory. */
#define PROLOGUE                                                                                             \
  wasi_ctx *x = user;                                                                                        \
  gmem m;                                                                                                    \
  mem_of(caller, &m);                                                                                        \
  (void)x;                                                                                                   \
  (void)s

static wfd *get_fd(wasi_ctx *x, uint32_t fd) {
  if (fd >= x->nfds || !x->fds[fd].used) return NULL;
  return &x->fds[fd];
}

/* ---- args, environ --------------------------------------------------------------------------- */

static uint32_t strings_get(const gmem *m, const char *buf, size_t n, size_t size, uint32_t list,
                            uint32_t out) {
  if (!ok_range(m, list, (uint64_t)n * 4) || !ok_range(m, out, size)) return W_EFAULT;
  if (size) memcpy(m->base + out, buf, size);
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    st32(m->base + list + 4 * i, (uint32_t)(out + at));
    at += strlen(buf + at) + 1;
  }
  return W_SUCCESS;
}

static uint32_t sizes_get(const gmem *m, size_t n, size_t size, uint32_t pn, uint32_t psize) {
  if (!ok_range(m, pn, 4) || !ok_range(m, psize, 4)) return W_EFAULT;
  st32(m->base + pn, (uint32_t)n);
  st32(m->base + psize, (uint32_t)size);
  return W_SUCCESS;
}

HOSTFN(args_get) {
  PROLOGUE;
  RET(strings_get(&m, x->cfg->args, x->cfg->nargs, x->cfg->args_size, A32(0), A32(1)));
}
HOSTFN(args_sizes_get) {
  PROLOGUE;
  RET(sizes_get(&m, x->cfg->nargs, x->cfg->args_size, A32(0), A32(1)));
}
HOSTFN(environ_get) {
  PROLOGUE;
  RET(strings_get(&m, x->cfg->env, x->cfg->nenv, x->cfg->env_size, A32(0), A32(1)));
}
HOSTFN(environ_sizes_get) {
  PROLOGUE;
  RET(sizes_get(&m, x->cfg->nenv, x->cfg->env_size, A32(0), A32(1)));
}

/* ---- clocks, random, process -------------------------------------------------------------------- */

static bool host_clock(uint32_t id, clockid_t *out) {
  switch (id) {
  case 0: *out = CLOCK_REALTIME; return true;
  case 1: *out = CLOCK_MONOTONIC; return true;
  case 2: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
  case 3: *out = CLOCK_THREAD_CPUTIME_ID; return true;
  default: return false;
  }
}

static uint64_t ts_ns(const struct timespec *t) {
  return (uint64_t)t->tv_sec * 1000000000ull + (uint64_t)t->tv_nsec;
}

static uint64_t now_ns(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return ts_ns(&t);
}

HOSTFN(clock_res_get) {
  PROLOGUE;
  clockid_t c;
  if (!host_clock(A32(0), &c)) RET(W_EINVAL);
  if (!ok_range(&m, A32(1), 8)) RET(W_EFAULT);
  struct timespec t;
  if (clock_getres(c, &t) != 0) RET(werr(errno));
  st64(m.base + A32(1), ts_ns(&t));
  RET(W_SUCCESS);
}

HOSTFN(clock_time_get) {
  PROLOGUE;
  clockid_t c;
  if (!host_clock(A32(0), &c)) RET(W_EINVAL);
  if (!ok_range(&m, A32(2), 8)) RET(W_EFAULT);
  struct timespec t;
  if (clock_gettime(c, &t) != 0) RET(werr(errno));
  st64(m.base + A32(2), ts_ns(&t));
  RET(W_SUCCESS);
}

HOSTFN(random_get) {
  PROLOGUE;
  uint32_t p = A32(0), n = A32(1);
  if (!ok_range(&m, p, n)) RET(W_EFAULT);
  uint32_t done = 0;
  while (done < n) {
    ssize_t r = getrandom(m.base + p + done, n - done, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      RET(werr(errno));
    }
    done += (uint32_t)r;
  }
  RET(W_SUCCESS);
}

HOSTFN(proc_exit) {
  wasi_ctx *x = user;
  (void)caller;
  x->exited = true;
  x->exit_code = A32(0);
  return vm_store_trap(s, VM_TRAP_EXIT);
}

HOSTFN(sched_yield_) {
  (void)s;
  (void)caller;
  (void)user;
  sched_yield();
  RET(W_SUCCESS);
}

HOSTFN(nosys) {
  (void)s;
  (void)caller;
  (void)user;
  RET(W_ENOSYS);
}

/* ---- fd I/O ---------------------------------------------------------------------------------------- */

/* The iovec array [iovs, iovs + 8n) and every buffer in it must lie in memory. */
static bool check_iovs(const gmem *m, uint32_t iovs, uint32_t n) {
  if (!ok_range(m, iovs, (uint64_t)n * 8)) return false;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *e = m->base + iovs + 8 * i;
    if (!ok_range(m, ld32(e), ld32(e + 4))) return false;
  }
  return true;
}

enum { IO_READ, IO_WRITE, IO_PREAD, IO_PWRITE };

/* readv/writev/preadv/pwritev over guest iovecs, in batches, at most `max` bytes; stops at a short
 * transfer. */
static uint32_t host_io(int fd, int op, const gmem *m, uint32_t iovs, uint32_t n, uint64_t off, uint64_t max,
                        uint64_t *done) {
  enum { BATCH = 64 };
  struct iovec v[BATCH];
  *done = 0;
  uint32_t i = 0;
  while (i < n && *done < max) {
    uint32_t k = 0;
    size_t want = 0;
    uint64_t room = max - *done;
    for (; k < BATCH && i + k < n && want < room; k++) {
      const uint8_t *e = m->base + iovs + 8 * (i + k);
      v[k].iov_base = m->base + ld32(e);
      v[k].iov_len = ld32(e + 4);
      if (v[k].iov_len > room - want) v[k].iov_len = (size_t)(room - want);
      want += v[k].iov_len;
    }
    ssize_t r;
    do {
      switch (op) {
      case IO_READ: r = MEM_IO(readv(fd, v, (int)k)); break;
      case IO_WRITE: r = MEM_IO(writev(fd, v, (int)k)); break;
      case IO_PREAD: r = MEM_IO(preadv(fd, v, (int)k, (off_t)(off + *done))); break;
      default: r = MEM_IO(pwritev(fd, v, (int)k, (off_t)(off + *done))); break;
      }
    } while (r < 0 && errno == EINTR);
    if (r < 0) return *done ? W_SUCCESS : werr(errno);
    *done += (uint64_t)r;
    if ((size_t)r < want) break;
    i += k;
  }
  return W_SUCCESS;
}

/* Reads and writes of stdio entries that have no host fd (discard, callback). */
static uint32_t stdio_io(wasi_ctx *x, wfd *f, bool write, const gmem *m, uint32_t iovs, uint32_t n,
                         uint64_t *done) {
  const wapc_stdio *io = &x->cfg->stdio[f->stdio];
  *done = 0;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *e = m->base + iovs + 8 * i;
    uint8_t *p = m->base + ld32(e);
    uint32_t len = ld32(e + 4);
    if (write) {
      if (f->stdio == 0) return W_EBADF;
      if (io->mode == WAPC_STDIO_CALLBACK && len) io->write(io->user, x->host_id, f->stdio, p, len);
      *done += len;
    } else {
      if (f->stdio != 0) return W_EBADF;
      if (io->mode != WAPC_STDIO_CALLBACK || len == 0) continue;
      long r = io->read(io->user, x->host_id, p, len);
      if (r < 0) return *done ? W_SUCCESS : W_EIO;
      if ((unsigned long)r > len) r = (long)len;
      *done += (uint64_t)r;
      if ((uint32_t)r < len) break;
    }
  }
  return W_SUCCESS;
}

static uint16_t host_fdflags(const wfd *f);

/*
 * Before a read or write on a pipe, terminal or socket, which may wait for a
 * long time: wait for it to be ready in vm_store_wait, so that the call's
 * deadline and an interrupt end the wait (*stop).  A descriptor the guest made
 * nonblocking only looks (EAGAIN when not ready).  Regular files, block
 * devices and directories never wait.
 */
static uint32_t wait_ready(vm_store *s, const wfd *f, bool write, vm_trap *stop) {
  if (f->filetype == FT_REG || f->filetype == FT_BLOCK || f->filetype == FT_DIR) return W_SUCCESS;
  uint16_t flags = f->stdio >= 0 ? f->flags : host_fdflags(f);
  bool nonblock = (flags & FDF_NONBLOCK) != 0;
  struct pollfd p[2];
  memset(p, 0, sizeof p);
  p[0].fd = f->host;
  p[0].events = write ? POLLOUT : POLLIN;
  int r = 0;
  *stop = vm_store_wait(s, p, 1, nonblock ? 0 : UINT64_MAX, &r);
  if (*stop != VM_TRAP_NONE) return W_SUCCESS;
  if (r < 0) return werr(errno);
  return r == 0 ? W_EAGAIN : W_SUCCESS;
}

static uint32_t do_rw(vm_store *s, wasi_ctx *x, const gmem *m, uint32_t fd, uint32_t iovs, uint32_t n, int op,
                      uint64_t off, uint32_t out, vm_trap *stop) {
  wfd *f = get_fd(x, fd);
  if (!f) return W_EBADF;
  if (!check_iovs(m, iovs, n) || !ok_range(m, out, 4)) return W_EFAULT;
  bool write = op == IO_WRITE || op == IO_PWRITE;
  if (f->filetype == FT_DIR) return W_EISDIR;
  if (write && f->read_only) return W_EPERM;
  uint64_t done = 0;
  uint32_t e;
  if (f->host < 0) {
    if (op == IO_PREAD || op == IO_PWRITE) return W_ESPIPE;
    e = stdio_io(x, f, write, m, iovs, n, &done);
  } else if (op == IO_READ || op == IO_WRITE) {
    e = wait_ready(s, f, write, stop);
    if (*stop != VM_TRAP_NONE || e != W_SUCCESS) return e;
    /* A pipe that polls writable has room for PIPE_BUF bytes: more could block. */
    bool stream = f->filetype != FT_REG && f->filetype != FT_BLOCK;
    e = host_io(f->host, op, m, iovs, n, off, write && stream ? PIPE_BUF : UINT64_MAX, &done);
  } else {
    e = host_io(f->host, op, m, iovs, n, off, UINT64_MAX, &done);
  }
  if (e == W_SUCCESS) st32(m->base + out, (uint32_t)done);
  return e;
}

/* fd_read and friends: a WASI errno, or the trap that stopped a wait. */
#define RET_RW(call)                                                                                         \
  do {                                                                                                       \
    vm_trap stop_ = VM_TRAP_NONE;                                                                            \
    uint32_t e_ = (call);                                                                                    \
    if (stop_ != VM_TRAP_NONE) return vm_store_trap(s, stop_);                                               \
    RET(e_);                                                                                                 \
  } while (0)

HOSTFN(fd_read) {
  PROLOGUE;
  RET_RW(do_rw(s, x, &m, A32(0), A32(1), A32(2), IO_READ, 0, A32(3), &stop_));
}
HOSTFN(fd_write) {
  PROLOGUE;
  RET_RW(do_rw(s, x, &m, A32(0), A32(1), A32(2), IO_WRITE, 0, A32(3), &stop_));
}
HOSTFN(fd_pread) {
  PROLOGUE;
  if (A64(3) > INT64_MAX) RET(W_EINVAL);
  RET_RW(do_rw(s, x, &m, A32(0), A32(1), A32(2), IO_PREAD, A64(3), A32(4), &stop_));
}
HOSTFN(fd_pwrite) {
  PROLOGUE;
  if (A64(3) > INT64_MAX) RET(W_EINVAL);
  RET_RW(do_rw(s, x, &m, A32(0), A32(1), A32(2), IO_PWRITE, A64(3), A32(4), &stop_));
}

static uint32_t do_seek(wasi_ctx *x, const gmem *m, uint32_t fd, int64_t off, int whence, uint32_t out) {
  wfd *f = get_fd(x, fd);
  if (!f) return W_EBADF;
  if (!ok_range(m, out, 8)) return W_EFAULT;
  if (f->host < 0 || f->stdio >= 0) return W_ESPIPE;
  if (f->filetype == FT_DIR) return W_EBADF;
  off_t r = MEM_IO(lseek(f->host, (off_t)off, whence));
  if (r < 0) return werr(errno);
  st64(m->base + out, (uint64_t)r);
  return W_SUCCESS;
}

HOSTFN(fd_seek) {
  PROLOGUE;
  static const int wh[3] = {SEEK_SET, SEEK_CUR, SEEK_END};
  if (A32(2) > 2) RET(W_EINVAL);
  RET(do_seek(x, &m, A32(0), (int64_t)A64(1), wh[A32(2)], A32(3)));
}
HOSTFN(fd_seek_unstable) {
  PROLOGUE;
  static const int wh[3] = {SEEK_CUR, SEEK_END, SEEK_SET};
  if (A32(2) > 2) RET(W_EINVAL);
  RET(do_seek(x, &m, A32(0), (int64_t)A64(1), wh[A32(2)], A32(3)));
}
HOSTFN(fd_tell) {
  PROLOGUE;
  RET(do_seek(x, &m, A32(0), 0, SEEK_CUR, A32(1)));
}

HOSTFN(fd_close) {
  PROLOGUE;
  wfd *f = get_fd(x, A32(0));
  if (!f) RET(W_EBADF);
  fd_release(f);
  RET(W_SUCCESS);
}

HOSTFN(fd_renumber) {
  PROLOGUE;
  wfd *from = get_fd(x, A32(0)), *to = get_fd(x, A32(1));
  if (!from || !to) RET(W_EBADF);
  if (from == to) RET(W_SUCCESS);
  fd_release(to);
  *to = *from;
  memset(from, 0, sizeof *from);
  from->host = -1;
  from->stdio = -1;
  RET(W_SUCCESS);
}

static uint16_t host_fdflags(const wfd *f) {
  if (f->host < 0) return f->flags;
  int fl = fcntl(f->host, F_GETFL);
  if (fl < 0) return 0;
  uint16_t r = 0;
  if (fl & O_APPEND) r |= FDF_APPEND;
  if (fl & O_NONBLOCK) r |= FDF_NONBLOCK;
#if defined(O_DSYNC) && defined(O_SYNC) && O_DSYNC != O_SYNC
  if ((fl & O_SYNC) == O_SYNC)
    r |= FDF_SYNC;
  else if (fl & O_DSYNC)
    r |= FDF_DSYNC;
#endif
  return r;
}

HOSTFN(fd_fdstat_get) {
  PROLOGUE;
  wfd *f = get_fd(x, A32(0));
  if (!f) RET(W_EBADF);
  uint32_t p = A32(1);
  if (!ok_range(&m, p, 24)) RET(W_EFAULT);
  uint8_t *o = m.base + p;
  memset(o, 0, 24);
  st8(o, f->filetype);
  st16(o + 2, host_fdflags(f));
  st64(o + 8, f->rights);
  st64(o + 16, f->inheriting);
  RET(W_SUCCESS);
}

HOSTFN(fd_fdstat_set_flags) {
  PROLOGUE;
  wfd *f = get_fd(x, A32(0));
  if (!f) RET(W_EBADF);
  uint32_t want = A32(1);
  if (want & ~(uint32_t)(FDF_APPEND | FDF_DSYNC | FDF_NONBLOCK | FDF_RSYNC | FDF_SYNC)) RET(W_EINVAL);
  /* Never change the flags of the process's own stdio (shared with the embedder). */
  if (f->stdio >= 0 || f->host < 0) {
    f->flags = (uint16_t)want;
    RET(W_SUCCESS);
  }
  if (want & (FDF_DSYNC | FDF_RSYNC | FDF_SYNC)) RET(W_ENOTSUP);
  int fl = fcntl(f->host, F_GETFL);
  if (fl < 0) RET(werr(errno));
  fl &= ~(O_APPEND | O_NONBLOCK);
  if (want & FDF_APPEND) fl |= O_APPEND;
  if (want & FDF_NONBLOCK) fl |= O_NONBLOCK;
  if (fcntl(f->host, F_SETFL, fl) != 0) RET(werr(errno));
  RET(W_SUCCESS);
}

HOSTFN(fd_fdstat_set_rights) {
  PROLOGUE;
  wfd *f = get_fd(x, A32(0));
  if (!f) RET(W_EBADF);
  /* Rights may only shrink. */
  if ((A64(1) & ~f->rights) || (A64(2) & ~f->inheriting)) RET(W_ENOTCAPABLE);
  f->rights = A64(1);
  f->inheriting = A64(2);
  RET(W_SUCCESS);
}

/* filestat in the preview1 layout (64 bytes) or the unstable one (56 bytes). */
static void put_filestat(uint8_t *o, const struct stat *st, bool unstable) {
  memset(o, 0, unstable ? 56 : 64);
  st64(o, (uint64_t)st->st_dev);
  st64(o + 8, (uint64_t)st->st_ino);
  st8(o + 16, filetype_of(st->st_mode));
  int t = unstable ? 24 : 32;
  if (unstable)
    st32(o + 20, (uint32_t)st->st_nlink);
  else
    st64(o + 24, (uint64_t)st->st_nlink);
  st64(o + t, (uint64_t)st->st_size);
  st64(o + t + 8, ts_ns(&st->st_atim));
  st64(o + t + 16, ts_ns(&st->st_mtim));
  st64(o + t + 24, ts_ns(&st->st_ctim));
}

static uint32_t do_fd_filestat(wasi_ctx *x, const gmem *m, uint32_t fd, uint32_t out, bool unstable) {
  wfd *f = get_fd(x, fd);
  if (!f) return W_EBADF;
  if (!ok_range(m, out, unstable ? 56 : 64)) return W_EFAULT;
  struct stat st;
  memset(&st, 0, sizeof st);
  if (f->host >= 0) {
    if (MEM_IO(fstat(f->host, &st)) != 0) return werr(errno);
  } else {
    st.st_mode = S_IFCHR;
  }
  put_filestat(m->base + out, &st, unstable);
  return W_SUCCESS;
}

HOSTFN(fd_filestat_get) {
  PROLOGUE;
  RET(do_fd_filestat(x, &m, A32(0), A32(1), false));
}
HOSTFN(fd_filestat_get_unstable) {
  PROLOGUE;
  RET(do_fd_filestat(x, &m, A32(0), A32(1), true));
}

/* An fd that may be changed: a host file, not beneath a read-only preopen. */
static uint32_t writable_fd(wasi_ctx *x, uint32_t fd, wfd **out) {
  wfd *f = get_fd(x, fd);
  if (!f) return W_EBADF;
  if (f->host < 0) return W_EINVAL;
  if (f->read_only) return W_EPERM;
  *out = f;
  return W_SUCCESS;
}

HOSTFN(fd_filestat_set_size) {
  PROLOGUE;
  wfd *f;
  uint32_t e = writable_fd(x, A32(0), &f);
  if (e) RET(e);
  if (A64(1) > INT64_MAX) RET(W_EINVAL);
  if (MEM_IO(ftruncate(f->host, (off_t)A64(1))) != 0) RET(werr(errno));
  RET(W_SUCCESS);
}

/* WASI timestamps and fstflags to utimensat's pair. */
static bool make_times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec t[2]) {
  if ((fst & FST_ATIM && fst & FST_ATIM_NOW) || (fst & FST_MTIM && fst & FST_MTIM_NOW) || fst > 15)
    return false;
  uint64_t v[2] = {atim, mtim};
  uint32_t set[2] = {FST_ATIM, FST_MTIM}, now[2] = {FST_ATIM_NOW, FST_MTIM_NOW};
  for (int i = 0; i < 2; i++) {
    if (fst & set[i]) {
      t[i].tv_sec = (time_t)(v[i] / 1000000000ull);
      t[i].tv_nsec = (long)(v[i] % 1000000000ull);
    } else {
      t[i].tv_sec = 0;
      t[i].tv_nsec = (fst & now[i]) ? UTIME_NOW : UTIME_OMIT;
    }
  }
  return true;
}

HOSTFN(fd_filestat_set_times) {
  PROLOGUE;
  wfd *f;
  uint32_t e = writable_fd(x, A32(0), &f);
  if (e) RET(e);
  struct timespec t[2];
  if (!make_times(A64(1), A64(2), A32(3), t)) RET(W_EINVAL);
  if (MEM_IO(futimens(f->host, t)) != 0) RET(werr(errno));
  RET(W_SUCCESS);
}

HOSTFN(fd_allocate) {
  PROLOGUE;
  wfd *f;
  uint32_t e = writable_fd(x, A32(0), &f);
  if (e) RET(e);
  if (A64(1) > INT64_MAX || A64(2) > INT64_MAX) RET(W_EINVAL);
  int r = mem_io_fault() ? EIO : posix_fallocate(f->host, (off_t)A64(1), (off_t)A64(2));
  RET(werr(r));
}

HOSTFN(fd_advise) {
  PROLOGUE;
  wfd *f = get_fd(x, A32(0));
  if (!f) RET(W_EBADF);
  static const int adv[6] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                             POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE};
  if (A32(3) > 5) RET(W_EINVAL);
  if (f->host < 0 || f->filetype != FT_REG) RET(W_SUCCESS);
  posix_fadvise(f->host, (off_t)A64(1), (off_t)A64(2), adv[A32(3)]);
  RET(W_SUCCESS);
}

static uint32_t do_sync(wasi_ctx *x, uint32_t fd, bool data) {
  wfd *f = get_fd(x, fd);
  if (!f) return W_EBADF;
  if (f->host < 0) return W_SUCCESS;
  if ((data ? MEM_IO(fdatasync(f->host)) : MEM_IO(fsync(f->host))) != 0 && errno != EINVAL)
    return werr(errno);
  return W_SUCCESS;
}
HOSTFN(fd_sync) {
  PROLOGUE;
  RET(do_sync(x, A32(0), false));
}
HOSTFN(fd_datasync) {
  PROLOGUE;
  RET(do_sync(x, A32(0), true));
}

HOSTFN(fd_prestat_get) {
  PROLOGUE;
  wfd *f = get_fd(x, A32(0));
  if (!f || !f->pre) RET(W_EBADF);
  if (!ok_range(&m, A32(1), 8)) RET(W_EFAULT);
  uint8_t *o = m.base + A32(1);
  memset(o, 0, 8);
  st32(o + 4, (uint32_t)strlen(f->pre->guest));
  RET(W_SUCCESS);
}

HOSTFN(fd_prestat_dir_name) {
  PROLOGUE;
  wfd *f = get_fd(x, A32(0));
  if (!f || !f->pre) RET(W_EBADF);
  size_t len = strlen(f->pre->guest);
  if (A32(2) < len) RET(W_ENAMETOOLONG);
  if (!ok_range(&m, A32(1), len)) RET(W_EFAULT);
  memcpy(m.base + A32(1), f->pre->guest, len);
  RET(W_SUCCESS);
}

static uint8_t dtype_filetype(unsigned char t) {
  switch (t) {
  case DT_REG: return FT_REG;
  case DT_DIR: return FT_DIR;
  case DT_CHR: return FT_CHAR;
  case DT_BLK: return FT_BLOCK;
  case DT_LNK: return FT_SYMLINK;
  case DT_SOCK: return FT_SOCK_STREAM;
  default: return FT_UNKNOWN;
  }
}

/*
 * Cookies are entry indexes: entry i has d_next = i + 1.  The stream stays
 * open between calls, so reading on from the last cookie is linear; another
 * cookie rewinds and skips.
 */
HOSTFN(fd_readdir) {
  PROLOGUE;
  wfd *f = get_fd(x, A32(0));
  uint32_t buf = A32(1), len = A32(2), out = A32(4);
  uint64_t cookie = A64(3);
  if (!f) RET(W_EBADF);
  if (f->filetype != FT_DIR || f->host < 0) RET(W_ENOTDIR);
  if (!ok_range(&m, buf, len) || !ok_range(&m, out, 4)) RET(W_EFAULT);
  if (!f->dir) {
    int d = MEM_IO(openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (d < 0) RET(werr(errno));
    f->dir = mem_io_fault() ? (errno = EIO, NULL) : fdopendir(d);
    if (!f->dir) {
      int e = errno;
      close(d);
      RET(werr(e));
    }
    f->dir_pos = 0;
  }
  if (cookie != f->dir_pos) {
    rewinddir(f->dir);
    f->dir_pos = 0;
    while (f->dir_pos < cookie) {
      errno = 0;
      if (!readdir(f->dir)) break;
      f->dir_pos++;
    }
    if (f->dir_pos < cookie) { /* past the end */
      st32(m.base + out, 0);
      RET(W_SUCCESS);
    }
  }
  uint32_t used = 0;
  while (used < len) {
    long loc = telldir(f->dir);
    errno = 0;
    struct dirent *d = readdir(f->dir);
    if (!d) {
      if (errno) RET(werr(errno));
      break;
    }
    uint8_t hdr[24];
    size_t nlen = strlen(d->d_name);
    uint8_t ft = dtype_filetype(d->d_type);
    if (d->d_type == DT_UNKNOWN) {
      struct stat st;
      if (MEM_IO(fstatat(f->host, d->d_name, &st, AT_SYMLINK_NOFOLLOW)) == 0) ft = filetype_of(st.st_mode);
    }
    memset(hdr, 0, sizeof hdr);
    st64(hdr, f->dir_pos + 1);
    st64(hdr + 8, (uint64_t)d->d_ino);
    st32(hdr + 16, (uint32_t)nlen);
    st8(hdr + 20, ft);
    uint32_t room = len - used;
    uint32_t n = room < 24 ? room : 24;
    memcpy(m.base + buf + used, hdr, n);
    used += n;
    room = len - used;
    uint32_t k = nlen < room ? (uint32_t)nlen : room;
    memcpy(m.base + buf + used, d->d_name, k);
    used += k;
    if (n < 24 || k < nlen) {
      /* Truncated: the guest asks again from this entry's cookie with a bigger buffer. */
      seekdir(f->dir, loc);
      break;
    }
    f->dir_pos++;
  }
  st32(m.base + out, used);
  RET(W_SUCCESS);
}

/* ---- paths ------------------------------------------------------------------------------------------ */

/* A directory fd and a NUL-terminated copy of a guest path (ptr, len). */
static uint32_t get_path(wasi_ctx *x, const gmem *m, uint32_t fd, uint32_t ptr, uint32_t len, wfd **dir,
                         char **path) {
  *path = NULL;
  wfd *f = get_fd(x, fd);
  if (!f) return W_EBADF;
  if (f->filetype != FT_DIR || f->host < 0) return W_ENOTDIR;
  if (!ok_range(m, ptr, len)) return W_EFAULT;
  if (len > WASI_PATH_MAX) return W_ENAMETOOLONG;
  if (memchr(m->base + ptr, 0, len)) return W_EILSEQ;
  char *p = mem_malloc((size_t)len + 1);
  if (!p) return W_HOSTNOMEM;
  memcpy(p, m->base + ptr, len);
  p[len] = 0;
  *dir = f;
  *path = p;
  return W_SUCCESS;
}

HOSTFN(path_open) {
  PROLOGUE;
  uint32_t dirflags = A32(1), oflags = A32(4), fdflags = A32(7), out = A32(8);
  uint64_t rights = A64(5), inheriting = A64(6);
  wfd *d;
  char *path;
  uint32_t e = get_path(x, &m, A32(0), A32(2), A32(3), &d, &path);
  if (e) RET(e);
  if (!ok_range(&m, out, 4)) {
    mem_free(path);
    RET(W_EFAULT);
  }
  bool rd = rights & (R_FD_READ | R_FD_READDIR);
  bool wr = rights & (R_FD_WRITE | R_FD_DATASYNC | R_FD_ALLOCATE | R_FD_FILESTAT_SET_SIZE);
  int flags = wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (oflags & OF_CREAT) flags |= O_CREAT;
  if (oflags & OF_DIRECTORY) flags |= O_DIRECTORY;
  if (oflags & OF_EXCL) flags |= O_EXCL;
  if (oflags & OF_TRUNC) flags |= O_TRUNC;
  if (fdflags & FDF_APPEND) flags |= O_APPEND;
  if (fdflags & FDF_NONBLOCK) flags |= O_NONBLOCK;
  if (fdflags & FDF_DSYNC) flags |= O_DSYNC;
  if (fdflags & FDF_SYNC) flags |= O_SYNC;
  if (fdflags & FDF_RSYNC) flags |= O_RSYNC;
  if (d->read_only && (wr || (oflags & (OF_CREAT | OF_TRUNC)) || (fdflags & FDF_APPEND))) {
    mem_free(path);
    RET(W_EPERM);
  }
  int dhost = d->host; /* fd_alloc may move the table under d */
  bool dro = d->read_only;
  int slot = fd_alloc(x);
  if (slot < 0) {
    mem_free(path);
    RET(slot == -2 ? (uint32_t)W_HOSTNOMEM : W_EMFILE);
  }
  int h = wasi_path_open(dhost, path, flags, 0666, dirflags & LOOKUP_SYMLINK_FOLLOW, x->cfg->resolve);
  mem_free(path);
  if (h < 0) RET(path_err(h));
  wfd *f = &x->fds[slot];
  f->used = true;
  f->host = h;
  f->owned = true;
  f->filetype = host_filetype(h);
  f->rights = rights & R_ALL;
  f->inheriting = inheriting & R_ALL;
  f->read_only = dro;
  f->stdio = -1;
  st32(m.base + out, (uint32_t)slot);
  RET(W_SUCCESS);
}

/* stat of a path, following the last link or not; both beneath the directory. */
static uint32_t do_path_filestat(wasi_ctx *x, const gmem *m, const uint64_t *args, bool unstable) {
  uint32_t out = A32(4);
  wfd *d;
  char *path;
  uint32_t e = get_path(x, m, A32(0), A32(2), A32(3), &d, &path);
  if (e) return e;
  if (!ok_range(m, out, unstable ? 56 : 64)) {
    mem_free(path);
    return W_EFAULT;
  }
  int h = wasi_path_open(d->host, path, O_PATH, 0, A32(1) & LOOKUP_SYMLINK_FOLLOW, x->cfg->resolve);
  mem_free(path);
  if (h < 0) return path_err(h);
  struct stat st;
  int r = MEM_IO(fstat(h, &st));
  e = r == 0 ? W_SUCCESS : werr(errno);
  close(h);
  if (e == W_SUCCESS) put_filestat(m->base + out, &st, unstable);
  return e;
}

HOSTFN(path_filestat_get) {
  PROLOGUE;
  RET(do_path_filestat(x, &m, args, false));
}
HOSTFN(path_filestat_get_unstable) {
  PROLOGUE;
  RET(do_path_filestat(x, &m, args, true));
}

/* A guest path split into an opened parent directory and the last name (see wasi_path_parent). */
typedef struct split {
  char *path;
  int parent;
  const char *name;
  bool slash;
  bool read_only;
} split;

static void split_free(split *sp) {
  if (sp->parent >= 0) close(sp->parent);
  mem_free(sp->path);
  sp->path = NULL;
  sp->parent = -1;
}

/* dot_errno: what "." or ".." as the last name gives (they cannot be created or removed). */
static uint32_t get_split(wasi_ctx *x, const gmem *m, uint32_t fd, uint32_t ptr, uint32_t len, split *sp,
                          uint32_t dot_errno) {
  sp->path = NULL;
  sp->parent = -1;
  wfd *d;
  uint32_t e = get_path(x, m, fd, ptr, len, &d, &sp->path);
  if (e) return e;
  sp->read_only = d->read_only;
  int r = wasi_path_parent(d->host, sp->path, &sp->parent, &sp->name, &sp->slash, x->cfg->resolve);
  if (r < 0) {
    split_free(sp);
    return r == -EINVAL ? dot_errno : path_err(r);
  }
  return W_SUCCESS;
}

HOSTFN(path_create_directory) {
  PROLOGUE;
  split sp;
  uint32_t e = get_split(x, &m, A32(0), A32(1), A32(2), &sp, W_EEXIST);
  if (e) RET(e);
  e = sp.read_only ? W_EPERM : MEM_IO(mkdirat(sp.parent, sp.name, 0777)) == 0 ? W_SUCCESS : werr(errno);
  split_free(&sp);
  RET(e);
}

HOSTFN(path_remove_directory) {
  PROLOGUE;
  split sp;
  uint32_t e = get_split(x, &m, A32(0), A32(1), A32(2), &sp, W_EINVAL);
  if (e) RET(e);
  e = sp.read_only                                              ? W_EPERM
      : MEM_IO(unlinkat(sp.parent, sp.name, AT_REMOVEDIR)) == 0 ? W_SUCCESS
                                                                : werr(errno);
  split_free(&sp);
  RET(e);
}

HOSTFN(path_unlink_file) {
  PROLOGUE;
  split sp;
  uint32_t e = get_split(x, &m, A32(0), A32(1), A32(2), &sp, W_EISDIR);
  if (e) RET(e);
  if (sp.read_only) {
    e = W_EPERM;
  } else if (sp.slash) {
    struct stat st;
    e = MEM_IO(fstatat(sp.parent, sp.name, &st, AT_SYMLINK_NOFOLLOW)) != 0 ? werr(errno)
        : S_ISDIR(st.st_mode)                                              ? W_EISDIR
                                                                           : W_ENOTDIR;
  } else {
    e = MEM_IO(unlinkat(sp.parent, sp.name, 0)) == 0 ? W_SUCCESS : werr(errno);
  }
  split_free(&sp);
  RET(e);
}

HOSTFN(path_rename) {
  PROLOGUE;
  split a, b;
  uint32_t e = get_split(x, &m, A32(0), A32(1), A32(2), &a, W_EBUSY);
  if (e) RET(e);
  e = get_split(x, &m, A32(3), A32(4), A32(5), &b, W_EBUSY);
  if (e) {
    split_free(&a);
    RET(e);
  }
  if (a.read_only || b.read_only)
    e = W_EPERM;
  else
    e = MEM_IO(renameat(a.parent, a.name, b.parent, b.name)) == 0 ? W_SUCCESS : werr(errno);
  split_free(&a);
  split_free(&b);
  RET(e);
}

HOSTFN(path_link) {
  PROLOGUE;
  /* The source is never followed: a link to a symlink, as linkat(2) without AT_SYMLINK_FOLLOW,
     so a symlink pointing out of the sandbox cannot be turned into a hard link to its target. */
  split a, b;
  uint32_t e = get_split(x, &m, A32(0), A32(2), A32(3), &a, W_EPERM);
  if (e) RET(e);
  e = get_split(x, &m, A32(4), A32(5), A32(6), &b, W_EEXIST);
  if (e) {
    split_free(&a);
    RET(e);
  }
  if (b.read_only)
    e = W_EPERM;
  else
    e = MEM_IO(linkat(a.parent, a.name, b.parent, b.name, 0)) == 0 ? W_SUCCESS : werr(errno);
  split_free(&a);
  split_free(&b);
  RET(e);
}

HOSTFN(path_symlink) {
  PROLOGUE;
  uint32_t tp = A32(0), tl = A32(1);
  if (!ok_range(&m, tp, tl)) RET(W_EFAULT);
  if (tl > WASI_PATH_MAX) RET(W_ENAMETOOLONG);
  if (tl == 0) RET(W_ENOENT);
  if (memchr(m.base + tp, 0, tl)) RET(W_EILSEQ);
  /* An absolute target could only ever point out of the sandbox. */
  if (m.base[tp] == '/') RET(W_EPERM);
  char *target = mem_malloc((size_t)tl + 1);
  if (!target) RET(W_HOSTNOMEM);
  memcpy(target, m.base + tp, tl);
  target[tl] = 0;
  split sp;
  uint32_t e = get_split(x, &m, A32(2), A32(3), A32(4), &sp, W_EEXIST);
  if (e == W_SUCCESS) {
    e = sp.read_only ? W_EPERM : MEM_IO(symlinkat(target, sp.parent, sp.name)) == 0 ? W_SUCCESS : werr(errno);
    split_free(&sp);
  }
  mem_free(target);
  RET(e);
}

HOSTFN(path_readlink) {
  PROLOGUE;
  uint32_t buf = A32(3), len = A32(4), out = A32(5);
  if (!ok_range(&m, buf, len) || !ok_range(&m, out, 4)) RET(W_EFAULT);
  split sp;
  uint32_t e = get_split(x, &m, A32(0), A32(1), A32(2), &sp, W_EINVAL);
  if (e) RET(e);
  char tmp[WASI_PATH_MAX + 1];
  ssize_t n = MEM_IO(readlinkat(sp.parent, sp.name, tmp, sizeof tmp));
  e = n < 0 ? werr(errno) : W_SUCCESS;
  split_free(&sp);
  if (e) RET(e);
  uint32_t k = (uint64_t)n < len ? (uint32_t)n : len;
  memcpy(m.base + buf, tmp, k);
  st32(m.base + out, k);
  RET(W_SUCCESS);
}

HOSTFN(path_filestat_set_times) {
  PROLOGUE;
  struct timespec t[2];
  if (!make_times(A64(4), A64(5), A32(6), t)) RET(W_EINVAL);
  if (A32(1) & LOOKUP_SYMLINK_FOLLOW) {
    wfd *d;
    char *path;
    uint32_t e = get_path(x, &m, A32(0), A32(2), A32(3), &d, &path);
    if (e) RET(e);
    if (d->read_only) {
      mem_free(path);
      RET(W_EPERM);
    }
    int h = wasi_path_open(d->host, path, O_PATH, 0, true, x->cfg->resolve);
    mem_free(path);
    if (h < 0) RET(path_err(h));
    /* utimensat(fd, NULL, ...) acts on the fd itself (Linux), which O_PATH allows. */
    long r = MEM_IO(syscall(SYS_utimensat, h, NULL, t, 0));
    e = r == 0 ? W_SUCCESS : werr(errno);
    close(h);
    RET(e);
  }
  split sp;
  uint32_t e = get_split(x, &m, A32(0), A32(2), A32(3), &sp, W_EINVAL);
  if (e) RET(e);
  e = sp.read_only                                                         ? W_EPERM
      : MEM_IO(utimensat(sp.parent, sp.name, t, AT_SYMLINK_NOFOLLOW)) == 0 ? W_SUCCESS
                                                                           : werr(errno);
  split_free(&sp);
  RET(e);
}

/* ---- poll_oneoff ----------------------------------------------------------------------------------------
 */

typedef struct sub {
  uint64_t userdata;
  uint8_t type;   /* 0 clock, 1 fd_read, 2 fd_write */
  uint16_t error; /* immediate result (bad fd, bad clock) */
  bool ready;
  uint64_t deadline; /* clock: CLOCK_MONOTONIC ns */
  int pfd;           /* index into the pollfd array, or -1 */
  uint64_t nbytes;
  uint16_t rwflags;
} sub;

/* Returns a WASI errno, or sets *stop to the guardrail (deadline, interrupt) that ended the wait. */
static uint32_t do_poll(vm_store *s, wasi_ctx *x, const gmem *m, uint32_t in, uint32_t outp, uint32_t n,
                        uint32_t neventsp, bool unstable, vm_trap *stop) {
  uint32_t size = unstable ? 56 : 48;
  if (n == 0) return W_EINVAL;
  if (!ok_range(m, in, (uint64_t)n * size) || !ok_range(m, outp, (uint64_t)n * 32) ||
      !ok_range(m, neventsp, 4))
    return W_EFAULT;
  sub *subs = mem_calloc(n, sizeof *subs);
  /* One more for the wake-up of vm_store_wait. */
  struct pollfd *pfds = mem_calloc((size_t)n + 1, sizeof *pfds);
  if (!subs || !pfds) {
    mem_free(subs);
    mem_free(pfds);
    return W_HOSTNOMEM;
  }
  uint64_t now = now_ns(CLOCK_MONOTONIC);
  uint64_t earliest = UINT64_MAX;
  bool any_ready = false;
  nfds_t npfd = 0;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *p = m->base + in + (uint64_t)i * size;
    sub *sb = &subs[i];
    sb->userdata = ld64(p);
    sb->type = p[8];
    sb->pfd = -1;
    if (sb->type == 0) {
      const uint8_t *c = p + (unstable ? 24 : 16);
      uint32_t id = ld32(c);
      uint64_t timeout = ld64(c + 8);
      uint16_t flags = ld16(c + 24);
      clockid_t cid;
      if (!host_clock(id, &cid)) {
        sb->error = W_EINVAL;
        sb->ready = true;
      } else {
        uint64_t rel = timeout;
        if (flags & 1) { /* absolute time on that clock */
          uint64_t cnow = now_ns(cid);
          rel = timeout > cnow ? timeout - cnow : 0;
        }
        sb->deadline = rel > UINT64_MAX - now ? UINT64_MAX : now + rel;
        if (rel == 0) sb->ready = true;
        if (sb->deadline < earliest) earliest = sb->deadline;
      }
    } else if (sb->type == 1 || sb->type == 2) {
      wfd *f = get_fd(x, ld32(p + 16));
      if (!f) {
        sb->error = W_EBADF;
        sb->ready = true;
      } else if (f->host < 0 || f->filetype == FT_REG) {
        /* Stdio without a host fd and regular files are always ready. */
        sb->ready = true;
        if (f->host < 0 && sb->type == 1 && x->cfg->stdio[0].mode != WAPC_STDIO_CALLBACK) sb->rwflags = 1;
      } else {
        sb->pfd = (int)npfd;
        pfds[npfd].fd = f->host;
        pfds[npfd].events = sb->type == 1 ? POLLIN : POLLOUT;
        npfd++;
      }
    } else {
      sb->error = W_EINVAL;
      sb->ready = true;
    }
    if (sb->ready) any_ready = true;
  }
  /* Wait: not at all if something is ready, else until the earliest clock or an fd event; the
   * call's deadline and an interrupt end the wait (and the guest's call). */
  int r = 0;
  *stop = vm_store_wait(s, pfds, npfd, any_ready ? 0 : earliest, &r);
  if (*stop != VM_TRAP_NONE || r < 0) {
    uint32_t e = r < 0 ? werr(errno) : W_SUCCESS;
    mem_free(subs);
    mem_free(pfds);
    return e;
  }
  uint64_t t = now_ns(CLOCK_MONOTONIC);
  uint32_t nev = 0;
  for (uint32_t i = 0; i < n; i++) {
    sub *sb = &subs[i];
    if (!sb->ready && sb->type == 0 && sb->deadline <= t) sb->ready = true;
    if (!sb->ready && sb->pfd >= 0 && pfds[sb->pfd].revents) {
      short re = pfds[sb->pfd].revents;
      sb->ready = true;
      if (re & POLLNVAL) sb->error = W_EBADF;
      if (re & POLLHUP) sb->rwflags |= 1;
      if (sb->type == 1) {
        int avail = 0;
        if (ioctl(pfds[sb->pfd].fd, FIONREAD, &avail) == 0 && avail > 0) sb->nbytes = (uint64_t)avail;
      }
    }
    if (!sb->ready) continue;
    uint8_t *o = m->base + outp + (uint64_t)nev * 32;
    memset(o, 0, 32);
    st64(o, sb->userdata);
    st16(o + 8, sb->error);
    st8(o + 10, sb->type);
    if (sb->type != 0) {
      st64(o + 16, sb->nbytes);
      st16(o + 24, sb->rwflags);
    }
    nev++;
  }
  st32(m->base + neventsp, nev);
  mem_free(subs);
  mem_free(pfds);
  return W_SUCCESS;
}

HOSTFN(poll_oneoff) {
  PROLOGUE;
  vm_trap stop = VM_TRAP_NONE;
  uint32_t e = do_poll(s, x, &m, A32(0), A32(1), A32(2), A32(3), false, &stop);
  if (stop != VM_TRAP_NONE) return vm_store_trap(s, stop);
  RET(e);
}
HOSTFN(poll_oneoff_unstable) {
  PROLOGUE;
  vm_trap stop = VM_TRAP_NONE;
  uint32_t e = do_poll(s, x, &m, A32(0), A32(1), A32(2), A32(3), true, &stop);
  if (stop != VM_TRAP_NONE) return vm_store_trap(s, stop);
  RET(e);
}

/* ---- the function table
 * ------------------------------------------------------------------------------------ */

/*
 * Signatures as strings of value-type bytes: the parameters, then the i32
 * errno result (every function but proc_exit has one).  No type byte is 0,
 * so strlen() gives the count.
 */
#define I32 "\x7f"
#define I64 "\x7e"

typedef struct wasi_fn {
  const char *name;
  const char *types;
  bool result;
  vm_host_fn fn;
  vm_host_fn unstable; /* wasi_unstable variant, or NULL for the same */
} wasi_fn;

static const wasi_fn wasi_fns[] = {
    {"args_get", I32 I32 I32, true, args_get, NULL},
    {"args_sizes_get", I32 I32 I32, true, args_sizes_get, NULL},
    {"environ_get", I32 I32 I32, true, environ_get, NULL},
    {"environ_sizes_get", I32 I32 I32, true, environ_sizes_get, NULL},
    {"clock_res_get", I32 I32 I32, true, clock_res_get, NULL},
    {"clock_time_get", I32 I64 I32 I32, true, clock_time_get, NULL},
    {"fd_advise", I32 I64 I64 I32 I32, true, fd_advise, NULL},
    {"fd_allocate", I32 I64 I64 I32, true, fd_allocate, NULL},
    {"fd_close", I32 I32, true, fd_close, NULL},
    {"fd_datasync", I32 I32, true, fd_datasync, NULL},
    {"fd_fdstat_get", I32 I32 I32, true, fd_fdstat_get, NULL},
    {"fd_fdstat_set_flags", I32 I32 I32, true, fd_fdstat_set_flags, NULL},
    {"fd_fdstat_set_rights", I32 I64 I64 I32, true, fd_fdstat_set_rights, NULL},
    {"fd_filestat_get", I32 I32 I32, true, fd_filestat_get, fd_filestat_get_unstable},
    {"fd_filestat_set_size", I32 I64 I32, true, fd_filestat_set_size, NULL},
    {"fd_filestat_set_times", I32 I64 I64 I32 I32, true, fd_filestat_set_times, NULL},
    {"fd_pread", I32 I32 I32 I64 I32 I32, true, fd_pread, NULL},
    {"fd_prestat_get", I32 I32 I32, true, fd_prestat_get, NULL},
    {"fd_prestat_dir_name", I32 I32 I32 I32, true, fd_prestat_dir_name, NULL},
    {"fd_pwrite", I32 I32 I32 I64 I32 I32, true, fd_pwrite, NULL},
    {"fd_read", I32 I32 I32 I32 I32, true, fd_read, NULL},
    {"fd_readdir", I32 I32 I32 I64 I32 I32, true, fd_readdir, NULL},
    {"fd_renumber", I32 I32 I32, true, fd_renumber, NULL},
    {"fd_seek", I32 I64 I32 I32 I32, true, fd_seek, fd_seek_unstable},
    {"fd_sync", I32 I32, true, fd_sync, NULL},
    {"fd_tell", I32 I32 I32, true, fd_tell, NULL},
    {"fd_write", I32 I32 I32 I32 I32, true, fd_write, NULL},
    {"path_create_directory", I32 I32 I32 I32, true, path_create_directory, NULL},
    {"path_filestat_get", I32 I32 I32 I32 I32 I32, true, path_filestat_get, path_filestat_get_unstable},
    {"path_filestat_set_times", I32 I32 I32 I32 I64 I64 I32 I32, true, path_filestat_set_times, NULL},
    {"path_link", I32 I32 I32 I32 I32 I32 I32 I32, true, path_link, NULL},
    {"path_open", I32 I32 I32 I32 I32 I64 I64 I32 I32 I32, true, path_open, NULL},
    {"path_readlink", I32 I32 I32 I32 I32 I32 I32, true, path_readlink, NULL},
    {"path_remove_directory", I32 I32 I32 I32, true, path_remove_directory, NULL},
    {"path_rename", I32 I32 I32 I32 I32 I32 I32, true, path_rename, NULL},
    {"path_symlink", I32 I32 I32 I32 I32 I32, true, path_symlink, NULL},
    {"path_unlink_file", I32 I32 I32 I32, true, path_unlink_file, NULL},
    {"poll_oneoff", I32 I32 I32 I32 I32, true, poll_oneoff, poll_oneoff_unstable},
    {"proc_exit", I32, false, proc_exit, NULL},
    {"proc_raise", I32 I32, true, nosys, NULL},
    {"sched_yield", I32, true, sched_yield_, NULL},
    {"random_get", I32 I32 I32, true, random_get, NULL},
    {"sock_accept", I32 I32 I32 I32, true, nosys, NULL},
    {"sock_recv", I32 I32 I32 I32 I32 I32 I32, true, nosys, NULL},
    {"sock_send", I32 I32 I32 I32 I32 I32, true, nosys, NULL},
    {"sock_shutdown", I32 I32 I32, true, nosys, NULL},
};
#define NUM_WASI_FNS (sizeof wasi_fns / sizeof wasi_fns[0])

static bool name_eq(const char *s, size_t len, const char *lit) {
  return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

bool wasi_is_module(const char *module, size_t len) {
  return name_eq(module, len, "wasi_snapshot_preview1") || name_eq(module, len, "wasi_unstable");
}

bool wasi_import(const char *module, size_t module_len, const char *name, size_t name_len, vm_functype *type,
                 vm_host_fn *fn) {
  if (!wasi_is_module(module, module_len)) return false;
  bool unstable = name_eq(module, module_len, "wasi_unstable");
  for (size_t i = 0; i < NUM_WASI_FNS; i++) {
    const wasi_fn *w = &wasi_fns[i];
    if (!name_eq(name, name_len, w->name)) continue;
    uint32_t n = (uint32_t)strlen(w->types);
    type->nresults = w->result ? 1 : 0;
    type->nparams = n - type->nresults;
    type->types = (const uint8_t *)w->types;
    *fn = unstable && w->unstable ? w->unstable : w->fn;
    return true;
  }
  return false;
}
