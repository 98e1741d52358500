/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_wasi.c - WASI preview1 through the public API (wapc_wasi_run and waPC
 * hosts on the built-in engine) and the path resolver directly (openat2 and
 * the fallback walk), on the guests built into guests/wasi (test_dir).
 */
#include "wapc_engine.h"
#include "wasi/wasi_path.h"
#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------------- */

typedef struct capture {
  char out[65536], err[65536];
  size_t out_len, err_len;
  const char *input;
  size_t input_at;
} capture;

static void cap_write(void *user, uint64_t host_id, int fd, const uint8_t *bytes, size_t len) {
  capture *c = user;
  char *dst = fd == 1 ? c->out : c->err;
  size_t *n = fd == 1 ? &c->out_len : &c->err_len;
  if (*n + len >= sizeof c->out) len = sizeof c->out - 1 - *n;
  memcpy(dst + *n, bytes, len);
  *n += len;
  dst[*n] = 0;
}

static long cap_read(void *user, uint64_t host_id, uint8_t *buf, size_t len) {
  capture *c = user;
  size_t left = c->input ? strlen(c->input) - c->input_at : 0;
  size_t n = left < len ? left : len;
  if (n) memcpy(buf, c->input + c->input_at, n);
  c->input_at += n;
  return (long)n;
}

static void capture_into(wapc_builtin_options *o, capture *c) {
  memset(c, 0, sizeof *c);
  o->wasi_stdout = (wapc_stdio){WAPC_STDIO_CALLBACK, -1, cap_write, NULL, c};
  o->wasi_stderr = (wapc_stdio){WAPC_STDIO_CALLBACK, -1, cap_write, NULL, c};
  o->wasi_stdin = (wapc_stdio){WAPC_STDIO_CALLBACK, -1, NULL, cap_read, c};
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
  if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
    free(p);
    p = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return p;
}

static uint8_t *guest(const char *name, size_t *len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.wasm", test_dir, name);
  uint8_t *p = read_file(path, len);
  if (!p) {
    printf("cannot read %s\n", path);
    exit(1);
  }
  return p;
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    exit(1);
  }
  fputs(text, f);
  fclose(f);
}

static char *file_text(const char *path) {
  size_t n;
  uint8_t *p = read_file(path, &n);
  if (!p) return NULL;
  char *s = realloc(p, n + 1);
  if (!s) {
    free(p);
    return NULL;
  }
  s[n] = 0;
  return s;
}

/* Names in a directory, sorted, joined by ','. */
static void listing(const char *dir, char *out, size_t cap) {
  char names[64][256];
  int n = 0;
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d)) && n < 64)
    if (e->d_name[0] != '.') snprintf(names[n++], 256, "%s", e->d_name);
  if (d) closedir(d);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (strcmp(names[i], names[j]) > 0) {
        char t[256];
        memcpy(t, names[i], 256);
        memcpy(names[i], names[j], 256);
        memcpy(names[j], t, 256);
      }
  out[0] = 0;
  for (int i = 0; i < n; i++) {
    strncat(out, names[i], cap - strlen(out) - 1);
    if (i + 1 < n) strncat(out, ",", cap - strlen(out) - 1);
  }
}

static char root[1024];
static char path_buf[8][2048];

static const char *P(int slot, const char *rel) {
  snprintf(path_buf[slot], sizeof path_buf[slot], "%s/%s", root, rel);
  return path_buf[slot];
}

/* The layout fs.c expects, under a fresh temporary root. */
static void make_layout(void) {
  snprintf(root, sizeof root, "%s/wapc-wasi-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(root)) {
    perror("mkdtemp");
    exit(1);
  }
  mkdir(P(0, "sandbox"), 0755);
  mkdir(P(0, "sandbox/subdir"), 0755);
  mkdir(P(0, "ro"), 0755);
  mkdir(P(0, "outside"), 0755);
  write_text(P(0, "sandbox/data.txt"), "hello");
  write_text(P(0, "ro/ro.txt"), "read only");
  write_text(P(0, "outside/secret.txt"), "TOPSECRET");
  symlink("data.txt", P(0, "sandbox/link_in"));
  symlink("../outside/secret.txt", P(0, "sandbox/link_out"));
  symlink(P(1, "outside/secret.txt"), P(0, "sandbox/link_abs"));
  symlink("..", P(0, "sandbox/link_dir_out"));
}

static void remove_tree(const char *dir) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) printf("warning: could not remove %s\n", dir);
}

/* ---- wapc_wasi_run: WASI commands ------------------------------------------------------- */

static int run(const char *name, const char *const *args, size_t nargs, const char *const *env, size_t nenv,
               const wapc_wasi_dir *dirs, size_t ndirs, capture *c, wapc_status *st, char *msg,
               size_t msglen) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  capture_into(&o, c);
  o.wasi_args = args;
  o.wasi_nargs = nargs;
  o.wasi_env = env;
  o.wasi_nenv = nenv;
  o.wasi_dirs = dirs;
  o.wasi_ndirs = ndirs;
  size_t len;
  uint8_t *m = guest(name, &len);
  int code = -1;
  *st = wapc_wasi_run(&o, m, len, &code, msg, msglen);
  free(m);
  return code;
}

TEST_IMPL(fs) {
  make_layout();
  char before[1024], after[1024];
  listing(P(0, "outside"), before, sizeof before);
  struct stat st_before, st_after;
  stat(P(0, "outside/secret.txt"), &st_before);
  wapc_wasi_dir dirs[2] = {{P(2, "sandbox"), "/sandbox", 0}, {P(3, "ro"), "/ro", 1}};
  const char *args[] = {"fs"};
  capture *c = malloc(sizeof *c);
  wapc_status st;
  char msg[256];
  int code = run("fs", args, 1, NULL, 0, dirs, 2, c, &st, msg, sizeof msg);
  CHECK(st == WAPC_OK);
  CHECK(code == 0);
  if (code != 0 || st != WAPC_OK) printf("%s%s\n", c->out, msg);
  CHECK(strstr(c->out, "fs: ") && strstr(c->out, " passed, 0 failed"));
  /* Nothing outside the preopens was read or written. */
  CHECK(!strstr(c->out, "TOPSECRET") && !strstr(c->err, "TOPSECRET"));
  listing(P(0, "outside"), after, sizeof after);
  CHECK(strcmp(before, after) == 0 && strcmp(after, "secret.txt") == 0);
  char *secret = file_text(P(0, "outside/secret.txt"));
  CHECK(secret && strcmp(secret, "TOPSECRET") == 0);
  free(secret);
  stat(P(0, "outside/secret.txt"), &st_after);
  CHECK(st_before.st_mtim.tv_sec == st_after.st_mtim.tv_sec &&
        st_before.st_mtim.tv_nsec == st_after.st_mtim.tv_nsec);
  CHECK(st_before.st_ino == st_after.st_ino && st_after.st_nlink == 1);
  /* The read-only preopen is unchanged too. */
  listing(P(0, "ro"), after, sizeof after);
  CHECK(strcmp(after, "ro.txt") == 0);
  char *ro = file_text(P(0, "ro/ro.txt"));
  CHECK(ro && strcmp(ro, "read only") == 0);
  free(ro);
  /* And what the guest did inside the sandbox is there. */
  char *rel = file_text(P(0, "sandbox/subdir/rel.txt"));
  CHECK(rel && strcmp(rel, "rel") == 0);
  free(rel);
  free(c);
  remove_tree(root);
}

/* The resolver itself, in both modes: escapes are -EXDEV, inside paths open. */
TEST_IMPL(resolver) {
  make_layout();
  int dir = open(P(0, "sandbox"), O_RDONLY | O_DIRECTORY);
  CHECK(dir >= 0);
  for (int mode = 0; mode < 2; mode++) {
    wasi_resolve_mode how = mode ? WASI_RESOLVE_WALK : WASI_RESOLVE_AUTO;
    static const char *const escapes[] = {"..",
                                          "../outside/secret.txt",
                                          "subdir/../../outside/secret.txt",
                                          "link_out",
                                          "link_abs",
                                          "link_dir_out/outside/secret.txt",
                                          "link_dir_out",
                                          "/etc/passwd",
                                          "subdir/../link_dir_out/sandbox/data.txt"};
    for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
      int fd = wasi_path_open(dir, escapes[i], O_RDONLY, 0, true, how);
      if (fd != -EXDEV) printf("  mode %d: %s -> %d\n", mode, escapes[i], fd);
      CHECK(fd == -EXDEV);
      if (fd >= 0) close(fd);
    }
    static const char *const inside[] = {
        "data.txt", "./data.txt", "subdir/../data.txt", "link_in", "subdir/./../link_in", "subdir/", "."};
    for (size_t i = 0; i < sizeof inside / sizeof inside[0]; i++) {
      int fd = wasi_path_open(dir, inside[i], O_RDONLY, 0, true, how);
      if (fd < 0) printf("  mode %d: %s -> %d\n", mode, inside[i], fd);
      CHECK(fd >= 0);
      if (fd >= 0) close(fd);
    }
    int fd = wasi_path_open(dir, "link_in", O_RDONLY, 0, false, how);
    CHECK(fd == -ELOOP);
    fd = wasi_path_open(dir, "link_out", O_PATH, 0, false, how); /* the link itself is inside */
    CHECK(fd >= 0);
    if (fd >= 0) close(fd);
    fd = wasi_path_open(dir, "../outside/new.txt", O_WRONLY | O_CREAT, 0644, true, how);
    CHECK(fd == -EXDEV);
    fd = wasi_path_open(dir, "link_out", O_WRONLY | O_CREAT | O_TRUNC, 0644, true, how);
    CHECK(fd == -EXDEV);
    fd = wasi_path_open(dir, "missing/x", O_RDONLY, 0, true, how);
    CHECK(fd == -ENOENT);
    fd = wasi_path_open(dir, "data.txt/x", O_RDONLY, 0, true, how);
    CHECK(fd == -ENOTDIR);
    char p1[64] = "subdir/new/", p2[64] = "..", p3[64] = "../outside/x";
    int parent;
    const char *name;
    bool slash;
    CHECK(wasi_path_parent(dir, p1, &parent, &name, &slash, how) == 0 && strcmp(name, "new") == 0 && slash);
    if (parent >= 0) close(parent);
    CHECK(wasi_path_parent(dir, p2, &parent, &name, &slash, how) == -EINVAL);
    CHECK(wasi_path_parent(dir, p3, &parent, &name, &slash, how) == -EXDEV);
  }
  char text[64];
  listing(P(0, "outside"), text, sizeof text);
  CHECK(strcmp(text, "secret.txt") == 0);
  close(dir);
  remove_tree(root);
}

TEST_IMPL(basics) {
  capture *c = malloc(sizeof *c);
  wapc_status st;
  char msg[256];
  const char *args[] = {"basics", "args", "two words", ""};
  int code = run("basics", args, 4, NULL, 0, NULL, 0, c, &st, msg, sizeof msg);
  CHECK(st == WAPC_OK && code == 0);
  CHECK(strcmp(c->out, "argc=4\nbasics\nargs\ntwo words\n\n") == 0);

  const char *env[] = {"A=1", "EMPTY=", "X=y=z"};
  const char *eargs[] = {"basics", "env"};
  code = run("basics", eargs, 2, env, 3, NULL, 0, c, &st, msg, sizeof msg);
  CHECK(st == WAPC_OK && code == 0 && strcmp(c->out, "A=1\nEMPTY=\nX=y=z\n") == 0);
  code = run("basics", eargs, 2, NULL, 0, NULL, 0, c, &st, msg, sizeof msg); /* default: no environment */
  CHECK(st == WAPC_OK && code == 0 && strcmp(c->out, "") == 0);

  static const char *const simple[][2] = {
      {"clock", "clock ok\n"}, {"random", "random ok\n"}, {"fdstat", "fdstat ok\n"}};
  for (size_t i = 0; i < 3; i++) {
    const char *a[] = {"basics", simple[i][0]};
    code = run("basics", a, 2, NULL, 0, NULL, 0, c, &st, msg, sizeof msg);
    CHECK(st == WAPC_OK && code == 0 && strcmp(c->out, simple[i][1]) == 0);
  }
  const char *sargs[] = {"basics", "sleep", "150"};
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  code = run("basics", sargs, 3, NULL, 0, NULL, 0, c, &st, msg, sizeof msg);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  CHECK(st == WAPC_OK && code == 0 && strcmp(c->out, "slept ok\n") == 0);
  CHECK(ms >= 150);

  const char *xargs[] = {"basics", "exit", "7"};
  code = run("basics", xargs, 3, NULL, 0, NULL, 0, c, &st, msg, sizeof msg);
  CHECK(st == WAPC_OK && code == 7 && strcmp(c->out, "exiting\n") == 0);
  const char *x0[] = {"basics", "exit", "0"};
  code = run("basics", x0, 3, NULL, 0, NULL, 0, c, &st, msg, sizeof msg);
  CHECK(st == WAPC_OK && code == 0);

  const char *io[] = {"basics", "stdio"};
  code = run("basics", io, 2, NULL, 0, NULL, 0, c, &st, msg, sizeof msg);
  CHECK(st == WAPC_OK && code == 0 && strcmp(c->out, "to stdout\n") == 0 &&
        strcmp(c->err, "to stderr\n") == 0);

  /* stdin from a callback */
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  capture_into(&o, c);
  c->input = "line one\nline two\n";
  const char *cat[] = {"basics", "cat"};
  o.wasi_args = cat;
  o.wasi_nargs = 2;
  size_t len;
  uint8_t *m = guest("basics", &len);
  code = -1;
  st = wapc_wasi_run(&o, m, len, &code, msg, sizeof msg);
  CHECK(st == WAPC_OK && code == 0 && strcmp(c->out, "line one\nline two\n") == 0);
  /* Default stdin is empty; stdout to a caller's fd. */
  wapc_builtin_options_init(&o);
  FILE *tmp = tmpfile();
  o.wasi_stdout.mode = WAPC_STDIO_FD;
  o.wasi_stdout.fd = fileno(tmp);
  o.wasi_args = cat;
  o.wasi_nargs = 2;
  st = wapc_wasi_run(&o, m, len, &code, msg, sizeof msg);
  CHECK(st == WAPC_OK && code == 0 && ftell(tmp) == 0);
  const char *io2[] = {"basics", "stdio"};
  o.wasi_args = io2;
  o.wasi_stderr.mode = WAPC_STDIO_DISCARD;
  st = wapc_wasi_run(&o, m, len, &code, msg, sizeof msg);
  fflush(tmp);
  CHECK(st == WAPC_OK && code == 0 && lseek(fileno(tmp), 0, SEEK_END) == 10);
  fclose(tmp);
  free(m);

  /* Not a WASI command, a waPC guest: no _start. */
  m = guest("rust_like", &len);
  st = wapc_wasi_run(NULL, m, len, &code, msg, sizeof msg);
  CHECK(st == WAPC_ERR_LINK && strstr(msg, "_start"));
  free(m);
  /* A missing preopen directory. */
  wapc_wasi_dir bad = {"/nonexistent/wapc-wasi-test", "/x", 0};
  wapc_builtin_options_init(&o);
  o.wasi_dirs = &bad;
  o.wasi_ndirs = 1;
  m = guest("basics", &len);
  st = wapc_wasi_run(&o, m, len, &code, msg, sizeof msg);
  CHECK(st == WAPC_ERR_IO && strstr(msg, "/nonexistent/wapc-wasi-test"));
  wapc_engine_provider p;
  CHECK(wapc_builtin_provider(&o, &p, NULL, 0) == WAPC_ERR_IO);
  free(m);
  free(c);
}

/* ---- waPC guests using WASI --------------------------------------------------------------- */

static wapc_host *new_host(const char *name, capture *c, const char *const *args, size_t nargs,
                           const char *const *env, size_t nenv, wapc_status *st) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  capture_into(&o, c);
  o.wasi_args = args;
  o.wasi_nargs = nargs;
  o.wasi_env = env;
  o.wasi_nenv = nenv;
  wapc_host *h = NULL;
  *st = wapc_host_new_builtin(&o, NULL, NULL, &h, NULL, 0);
  if (*st != WAPC_OK) return NULL;
  size_t len;
  uint8_t *m = guest(name, &len);
  *st = wapc_host_load(h, m, len);
  free(m);
  return h;
}

static bool call_is(wapc_host *h, const char *op, const char *payload, const char *want) {
  const uint8_t *r;
  size_t n;
  wapc_status st = wapc_host_call(h, op, strlen(op), (const uint8_t *)payload, strlen(payload), &r, &n);
  if (st != WAPC_OK) {
    printf("  call %s: %s: %s\n", op, wapc_status_name(st), wapc_host_last_error(h));
    return false;
  }
  if (n != strlen(want) || memcmp(r, want, n) != 0) {
    printf("  call %s: got '%.*s', want '%s'\n", op, (int)n, (const char *)r, want);
    return false;
  }
  return true;
}

TEST_IMPL(tinygo) {
  capture *c = malloc(sizeof *c);
  wapc_status st;
  const char *args[] = {"guest", "-v"};
  wapc_host *h = new_host("tinygo_like", c, args, 2, NULL, 0, &st);
  CHECK(st == WAPC_OK); /* proc_exit(0) in _start is a success */
  CHECK(strcmp(c->out, "tinygo: _start\n") == 0);
  CHECK(call_is(h, "hello", "", "hello from tinygo-like argc=2 argv0=guest"));
  CHECK(call_is(h, "time", "", "ok"));
  CHECK(strcmp(c->err, "tinygo: call hello\ntinygo: call time\n") == 0);
  /* proc_exit during a call: a trap carrying the code; the next call runs on a fresh instance. */
  wapc_status cs = wapc_host_call(h, "exit", 4, NULL, 0, NULL, NULL);
  CHECK(cs == WAPC_ERR_TRAP && strcmp(wapc_host_last_error(h), "trap: exited with code 3") == 0);
  c->out_len = c->err_len = 0;
  c->out[0] = c->err[0] = 0;
  CHECK(call_is(h, "hello", "", "hello from tinygo-like argc=2 argv0=guest"));
  CHECK(strcmp(c->out, "tinygo: _start\n") == 0); /* the fresh instance ran _start */

  /* Hot swap keeps the WASI configuration (args, stdio). */
  size_t len;
  uint8_t *m = guest("tinygo_old", &len);
  c->out_len = c->err_len = 0;
  CHECK(wapc_host_replace_module(h, m, len) == WAPC_OK);
  free(m);
  CHECK(call_is(h, "hello", "", "hello from tinygo-like"));
  m = guest("tinygo_like", &len);
  CHECK(wapc_host_replace_module(h, m, len) == WAPC_OK);
  free(m);
  CHECK(call_is(h, "hello", "", "hello from tinygo-like argc=2 argv0=guest"));
  /* A failed swap (exit 2 in _start) keeps the old guest serving. */
  m = guest("tinygo_exit2", &len);
  CHECK(wapc_host_replace_module(h, m, len) == WAPC_ERR_INIT);
  CHECK(strcmp(wapc_host_last_error(h), "_start failed: exited with code 2") == 0);
  free(m);
  CHECK(call_is(h, "hello", "", "hello from tinygo-like argc=2 argv0=guest"));
  wapc_host_free(h);

  /* Old TinyGo: only wasi_unstable.fd_write. */
  h = new_host("tinygo_old", c, NULL, 0, NULL, 0, &st);
  CHECK(st == WAPC_OK && strcmp(c->out, "tinygo: _start\n") == 0);
  CHECK(call_is(h, "hello", "", "hello from tinygo-like"));
  CHECK(strcmp(c->err, "tinygo: call hello\n") == 0);
  wapc_host_free(h);

  /* Non-zero exit in _start: init failure carrying the code. */
  h = new_host("tinygo_exit2", c, NULL, 0, NULL, 0, &st);
  CHECK(st == WAPC_ERR_INIT && strcmp(wapc_host_last_error(h), "_start failed: exited with code 2") == 0);
  wapc_host_free(h);
  free(c);
}

TEST_IMPL(rust) {
  capture *c = malloc(sizeof *c);
  wapc_status st;
  const char *env[] = {"RUST_LOG=info", "HOME=/nowhere"};
  wapc_host *h = new_host("rust_like", c, NULL, 0, env, 2, &st);
  CHECK(st == WAPC_OK && strcmp(c->out, "rust: init\n") == 0);
  CHECK(call_is(h, "env", "", "RUST_LOG=info,HOME=/nowhere"));
  CHECK(call_is(h, "random", "", "ok"));
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK(call_is(h, "sleep", "200", "slept 1"));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  CHECK(ms >= 200);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK(call_is(h, "sleep_abs", "120", "slept 1"));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  CHECK(ms >= 110);
  /* Out-of-range guest pointers: EFAULT (21) from every function, no trap, no crash. */
  CHECK(call_is(h, "badptr", "", "21 21 21 21"));
  wapc_status cs = wapc_host_call(h, "exit", 4, NULL, 0, NULL, NULL);
  CHECK(cs == WAPC_ERR_TRAP && strcmp(wapc_host_last_error(h), "trap: exited with code 9") == 0);
  CHECK(call_is(h, "env", "", "RUST_LOG=info,HOME=/nowhere"));
  wapc_host_free(h);
  free(c);
}

TEST_IMPL(libc_reactor) {
  make_layout();
  capture *c = malloc(sizeof *c);
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  capture_into(&o, c);
  wapc_wasi_dir d = {P(2, "sandbox"), "/data", 0};
  o.wasi_dirs = &d;
  o.wasi_ndirs = 1;
  write_text(P(0, "sandbox/in.txt"), "from the host");
  wapc_host *h = NULL;
  CHECK(wapc_host_new_builtin(&o, NULL, NULL, &h, NULL, 0) == WAPC_OK);
  size_t len;
  uint8_t *m = guest("libc_reactor", &len);
  CHECK(wapc_host_load(h, m, len) == WAPC_OK);
  CHECK(strcmp(c->out, "libc: wapc_init calls=100\n") == 0);
  CHECK(strcmp(c->err, "libc: to stderr\n") == 0);
  CHECK(call_is(h, "echo", "payload", "payload"));
  CHECK(strcmp(c->out, "libc: wapc_init calls=100\nlibc: echo payload\n") == 0);
  CHECK(call_is(h, "read", "", "from the host"));
  CHECK(call_is(h, "write", "guest wrote this", "written"));
  char *t = file_text(P(0, "sandbox/out.txt"));
  CHECK(t && strcmp(t, "guest wrote this") == 0);
  free(t);
  /* Hot swap: same module again, the preopen is still there. */
  CHECK(wapc_host_replace_module(h, m, len) == WAPC_OK);
  CHECK(call_is(h, "read", "", "from the host"));
  wapc_host_free(h);

  /* The same guest with the directory read-only. */
  d.read_only = 1;
  CHECK(wapc_host_new_builtin(&o, NULL, NULL, &h, NULL, 0) == WAPC_OK);
  CHECK(wapc_host_load(h, m, len) == WAPC_OK);
  CHECK(call_is(h, "read", "", "from the host"));
  wapc_status cs = wapc_host_call(h, "write", 5, (const uint8_t *)"x", 1, NULL, NULL);
  CHECK(cs == WAPC_ERR_GUEST && strcmp(wapc_host_last_error(h), "Operation not permitted") == 0);
  wapc_host_free(h);
  free(m);
  free(c);
  remove_tree(root);
}

TEST_LIST_BEGIN
TEST_ENTRY(resolver)
TEST_ENTRY(fs)
TEST_ENTRY(basics)
TEST_ENTRY(tinygo)
TEST_ENTRY(rust)
TEST_ENTRY(libc_reactor)
TEST_LIST_END

int main(int argc, char **argv) {
  return test_main(argc, argv, "wasi", test_cases, NULL, NULL);
}
