/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_alloc.c - no allocation failure is fatal.  Linked with a build of the
 * library in which every allocation goes through util/mem.h's counting hook
 * (WAPC_FAULT_INJECTION), it runs each scenario once for every N = 1, 2, ...
 * with the Nth allocation failing, until a run completes without reaching N
 * (then every allocation of the scenario has failed once); then again with
 * the Nth and every later allocation failing.  For every run it checks:
 * - every public call answers WAPC_OK (its result exact) or WAPC_ERR_NOMEM
 *   with a message, and nothing else (a trap scenario's trap excepted, and
 *   a guest that traps because memory.grow answered -1);
 * - afterwards, with allocations working again, the host or module is still
 *   usable (a failed hot swap leaves the old guest serving, a failed call
 *   leaves a host that answers the next one) or was cleanly not created;
 * - nothing leaks: the blocks and mappings the library holds and the open
 *   file descriptors are the same before and after (and LeakSanitizer checks
 *   at exit in the sanitizer build).
 * Scenarios: compile, host from a compiled module, new host + load + calls
 * with large payloads and host calls, hot swap, reset after a trap, WASI
 * file work in a preopened directory, and four threads making hosts and calls
 * from one compiled module.
 *
 * Each scenario is a case (test.h; --dir <build>/guests), run with allocations
 * failing (one-shot, then persistent); the WASI ones also with file system
 * calls failing.
 */
#include "guest_files.h"
#include "test.h"
#include "util/mem.h"
#include "wapc.h"

#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bytes echo_wasm, guard_wasm, hostcall_wasm, reactor_wasm, libc_wasm, fs_wasm, pre_init_wasm;
static bool persistent; /* the current pass fails every allocation (or call) from the Nth on */
static bool io_pass;    /* the current pass fails file system calls, not allocations */
static char data_dir[256];

/* ---- outcome checks ------------------------------------------------------------------------------- */

/* WAPC_OK, or WAPC_ERR_NOMEM with a message; returns st == WAPC_OK. */
static bool ok_or_nomem(wapc_status st, const char *message, const char *what) {
  if (st == WAPC_OK) return true;
  if (st == WAPC_ERR_NOMEM && message && message[0]) {
    check_passed++;
    return false;
  }
  check_failed++;
  fprintf(stderr, "%s: %s (%s) under allocation failure, expected WAPC_OK or WAPC_ERR_NOMEM\n", what,
          wapc_status_name(st), message ? message : "");
  return false;
}

static bool host_ok(wapc_status st, wapc_host *h, const char *what) {
  return ok_or_nomem(st, h ? wapc_host_last_error(h) : "out of memory", what);
}

static bool call_ok(wapc_host *h, const char *op, const uint8_t *payload, size_t len, const uint8_t *want,
                    size_t want_len) {
  const uint8_t *r = NULL;
  size_t rl = 0;
  wapc_status st = wapc_host_call(h, op, strlen(op), payload, len, &r, &rl);
  /* memory.grow answers -1 when the host cannot commit memory, as the spec allows, and the echo and
   * host-call guests then trap on purpose: a guest's own choice, reported as a trap. */
  if (st == WAPC_ERR_TRAP && strcmp(wapc_host_last_error(h), "trap: unreachable") == 0) {
    check_passed++;
    return false;
  }
  if (!host_ok(st, h, op)) return false;
  CHECK(rl == want_len && (want_len == 0 || memcmp(r, want, want_len) == 0));
  return true;
}

static int open_fds(void) {
  int n = 0;
  DIR *d = opendir("/proc/self/fd");
  if (!d) return -1;
  while (readdir(d))
    n++;
  closedir(d);
  return n;
}

/* ---- the driver ------------------------------------------------------------------------------------ */

typedef void (*scenario_fn)(uint64_t n);

/* Arm the hook for this run (scenarios call it after their unarmed set-up). */
static void arm(uint64_t n) {
  if (io_pass)
    mem_io_fault_arm(n, persistent);
  else
    mem_fault_arm(n, persistent);
}

/* Disarm; true when the run failed an allocation or a file system call. */
static bool disarm(void) {
  bool hit = mem_fault_failed() != 0 || mem_io_fault_failed() != 0;
  mem_fault_arm(0, false);
  mem_io_fault_arm(0, false);
  return hit;
}

static bool run_hit; /* set by the scenario through disarm() */

static void run_scenario(const char *name, scenario_fn fn) {
  uint64_t runs = 0, failures = 0;
  for (uint64_t n = 1; n < 100000; n++) {
    int64_t live = mem_fault_live();
    int fds = open_fds();
    run_hit = false;
    fn(n);
    runs++;
    if (mem_fault_live() != live) {
      check_failed++;
      fprintf(stderr, "%s (n=%llu%s): %lld blocks or mappings leaked\n", name, (unsigned long long)n,
              persistent ? ", persistent" : "", (long long)(mem_fault_live() - live));
    }
    if (open_fds() != fds) {
      check_failed++;
      fprintf(stderr, "%s (n=%llu): %d file descriptors leaked\n", name, (unsigned long long)n,
              open_fds() - fds);
    }
    if (!run_hit) break;
    failures++;
  }
  printf("  %-28s %-10s %5llu runs, %5llu with a failed %s\n", name, persistent ? "persistent" : "one-shot",
         (unsigned long long)runs, (unsigned long long)failures, io_pass ? "file system call" : "allocation");
  CHECK(failures > 0);
}

/* ---- scenarios ------------------------------------------------------------------------------------ */

static void compile_scenario(uint64_t n) {
  const bytes *mods[] = {&guard_wasm, &libc_wasm};
  arm(n);
  for (int i = 0; i < 2; i++) {
    wapc_module *m = NULL;
    char msg[256] = "";
    wapc_status st = wapc_module_compile(NULL, mods[i]->data, mods[i]->len, &m, msg, sizeof msg);
    if (ok_or_nomem(st, msg, "wapc_module_compile"))
      wapc_module_free(m);
    else
      CHECK(m == NULL);
  }
  run_hit = disarm();
}

static void module_host_scenario(uint64_t n) {
  wapc_module *m = NULL;
  char msg[256] = "";
  if (wapc_module_compile(NULL, echo_wasm.data, echo_wasm.len, &m, msg, sizeof msg) != WAPC_OK) exit(2);
  wapc_host *hs[3] = {NULL, NULL, NULL};
  arm(n);
  for (int i = 0; i < 3; i++) {
    wapc_status st = wapc_host_new_builtin_module(NULL, m, NULL, NULL, &hs[i], msg, sizeof msg);
    if (!ok_or_nomem(st, msg, "wapc_host_new_builtin_module")) CHECK(hs[i] == NULL);
    if (hs[i]) call_ok(hs[i], "e", U8("hi"), 2, U8("hi"), 2);
  }
  /* The module may go before its hosts. */
  wapc_module_free(m);
  run_hit = disarm();
  for (int i = 0; i < 3; i++) {
    if (hs[i]) CHECK(call_ok(hs[i], "e", U8("again"), 5, U8("again"), 5));
    wapc_host_free(hs[i]);
  }
}

static void big_callback(void *user, uint64_t id, wapc_str binding, wapc_str ns, wapc_str op,
                         const uint8_t *payload, size_t len, wapc_result *result) {
  (void)user, (void)id, (void)binding, (void)ns, (void)op;
  /* The answer is the payload twice over: the library copies it. */
  uint8_t *twice = malloc(len * 2 + 1);
  if (!twice) exit(2);
  memcpy(twice, payload, len);
  memcpy(twice + len, payload, len);
  wapc_result_set_bytes(result, twice, len * 2);
  free(twice);
}

static uint8_t *big_payload(size_t len) {
  uint8_t *p = malloc(len);
  if (!p) exit(2);
  for (size_t i = 0; i < len; i++)
    p[i] = (uint8_t)(i % 251);
  return p;
}

static void load_and_call_scenario(uint64_t n) {
  size_t big = 1u << 20;
  uint8_t *p = big_payload(big);
  uint8_t *twice = malloc(2 * 70000);
  if (!twice) exit(2);
  memcpy(twice, p, 70000);
  memcpy(twice + 70000, p, 70000);
  wapc_host *h = NULL, *hc = NULL;
  arm(n);
  bool ok = host_ok(wapc_host_new_builtin(NULL, NULL, NULL, &h, NULL, 0), h, "wapc_host_new_builtin");
  if (ok) ok = host_ok(wapc_host_load(h, echo_wasm.data, echo_wasm.len), h, "wapc_host_load");
  if (ok) call_ok(h, "echo", p, big, p, big);
  if (ok) call_ok(h, "echo", p, 100, p, 100);
  bool okc =
      host_ok(wapc_host_new_builtin(NULL, big_callback, NULL, &hc, NULL, 0), hc, "wapc_host_new_builtin");
  if (okc) okc = host_ok(wapc_host_load(hc, hostcall_wasm.data, hostcall_wasm.len), hc, "wapc_host_load");
  if (okc) call_ok(hc, "call", p, 70000, twice, 2 * 70000);
  run_hit = disarm();
  if (ok) CHECK(call_ok(h, "echo", p, big, p, big));
  if (okc) CHECK(call_ok(hc, "call", p, 70000, twice, 2 * 70000));
  wapc_host_free(h);
  wapc_host_free(hc);
  free(p);
  free(twice);
}

static void hot_swap_scenario(uint64_t n) {
  wapc_host *h = NULL;
  if (wapc_host_new_builtin(NULL, NULL, NULL, &h, NULL, 0) != WAPC_OK) exit(2);
  if (wapc_host_load(h, guard_wasm.data, guard_wasm.len) != WAPC_OK) exit(2);
  arm(n);
  /* guard.wasm answers "e" with the payload; echo.wasm too, and "c" with the payload where guard.wasm
   * answers its call count: that tells which one serves. */
  bool swapped =
      host_ok(wapc_host_replace_module(h, echo_wasm.data, echo_wasm.len), h, "wapc_host_replace_module");
  call_ok(h, "e", U8("x"), 1, U8("x"), 1);
  run_hit = disarm();
  const uint8_t *r;
  size_t rl;
  CHECK(wapc_host_call(h, "c", 1, U8("abcd"), 4, &r, &rl) == WAPC_OK);
  if (swapped)
    CHECK(rl == 4 && memcmp(r, "abcd", 4) == 0);
  else
    CHECK(rl == 4 && memcmp(r, "abcd", 4) != 0); /* a call count: the old guest serves */
  wapc_host_free(h);
}

static void reset_scenario(uint64_t n) {
  wapc_host *h = NULL;
  if (wapc_host_new_builtin(NULL, NULL, NULL, &h, NULL, 0) != WAPC_OK) exit(2);
  if (wapc_host_load(h, guard_wasm.data, guard_wasm.len) != WAPC_OK) exit(2);
  arm(n);
  wapc_status st = wapc_host_call(h, "u", 1, NULL, 0, NULL, NULL);
  CHECK(st == WAPC_ERR_TRAP || st == WAPC_ERR_NOMEM);
  /* The next call first re-instantiates the guest. */
  call_ok(h, "e", U8("after"), 5, U8("after"), 5);
  run_hit = disarm();
  CHECK(call_ok(h, "e", U8("later"), 5, U8("later"), 5));
  wapc_host_free(h);
}

static void wasi_scenario(uint64_t n) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  wapc_wasi_dir dir = {data_dir, "/data", 0};
  o.wasi_dirs = &dir;
  o.wasi_ndirs = 1;
  o.wasi_stdout.mode = WAPC_STDIO_DISCARD;
  o.wasi_stderr.mode = WAPC_STDIO_DISCARD;
  wapc_host *h = NULL;
  arm(n);
  bool ok = host_ok(wapc_host_new_builtin(&o, NULL, NULL, &h, NULL, 0), h, "wapc_host_new_builtin (WASI)");
  if (ok) ok = host_ok(wapc_host_load(h, reactor_wasm.data, reactor_wasm.len), h, "wapc_host_load (WASI)");
  if (ok) call_ok(h, "write", U8("file body"), 9, U8("written"), 7);
  if (ok) call_ok(h, "read", NULL, 0, U8("input file"), 10);
  run_hit = disarm();
  if (ok) {
    CHECK(call_ok(h, "write", U8("file body"), 9, U8("written"), 7));
    CHECK(call_ok(h, "read", NULL, 0, U8("input file"), 10));
  }
  wapc_host_free(h);
}

/* ---- failing file system calls ------------------------------------------------------------------ */

/* The waPC guest's file work: each call answers, or fails with the guest's own error (it saw the
 * errno; this guest does not check fread/fwrite, so an answer may be short), and the next call (the
 * file system working again) answers exactly. */
static void wasi_io_scenario(uint64_t n) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  wapc_wasi_dir dir = {data_dir, "/data", 0};
  o.wasi_dirs = &dir;
  o.wasi_ndirs = 1;
  o.wasi_stdout.mode = WAPC_STDIO_DISCARD;
  o.wasi_stderr.mode = WAPC_STDIO_DISCARD;
  wapc_host *h = NULL;
  if (wapc_host_new_builtin(&o, NULL, NULL, &h, NULL, 0) != WAPC_OK) exit(2);
  if (wapc_host_load(h, reactor_wasm.data, reactor_wasm.len) != WAPC_OK) exit(2);
  arm(n);
  const char *ops[] = {"write", "read"};
  const char *want[] = {"written", "input file"};
  for (int i = 0; i < 2; i++) {
    const uint8_t *r;
    size_t rl;
    wapc_status st = wapc_host_call(h, ops[i], strlen(ops[i]), U8("file body"), i ? 0 : 9, &r, &rl);
    if (st == WAPC_OK)
      CHECK(rl <= strlen(want[i]) && memcmp(r, want[i], rl) == 0);
    else
      CHECK(st == WAPC_ERR_GUEST && wapc_host_last_error_len(h) > 0);
  }
  run_hit = disarm();
  CHECK(call_ok(h, "write", U8("file body"), 9, U8("written"), 7));
  CHECK(call_ok(h, "read", NULL, 0, U8("input file"), 10));
  wapc_host_free(h);
}

/* tests/wasi/guests/fs.c, a WASI command that works through the file system API and tries to escape
 * its preopens, under failing calls: it may report failed checks (its exit code) or abort (a trap), but
 * nothing outside the preopens is ever read or written. */
static char fs_root[256];

static void fs_path(char *buf, size_t len, const char *rel) {
  snprintf(buf, len, "%s/%s", fs_root, rel);
}

static void fs_write(const char *rel, const char *text) {
  char p[512];
  fs_path(p, sizeof p, rel);
  FILE *f = fopen(p, "w");
  if (!f) exit(2);
  fputs(text, f);
  fclose(f);
}

static void fs_layout(void) {
  /* On tmpfs when there is one: a thousand layouts on a disk take minutes. */
  const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                     : getenv("TMPDIR")            ? getenv("TMPDIR")
                                                   : "/tmp";
  snprintf(fs_root, sizeof fs_root, "%s/wapc-alloc-fs.XXXXXX", base);
  if (!mkdtemp(fs_root)) exit(2);
  const char *dirs[] = {"sandbox", "sandbox/subdir", "ro", "outside"};
  char p[512], q[512];
  for (int i = 0; i < 4; i++) {
    fs_path(p, sizeof p, dirs[i]);
    if (mkdir(p, 0755) != 0) exit(2);
  }
  fs_write("sandbox/data.txt", "hello");
  fs_write("ro/ro.txt", "read only");
  fs_write("outside/secret.txt", "TOPSECRET");
  fs_path(p, sizeof p, "sandbox/link_in");
  CHECK(symlink("data.txt", p) == 0);
  fs_path(p, sizeof p, "sandbox/link_out");
  CHECK(symlink("../outside/secret.txt", p) == 0);
  fs_path(p, sizeof p, "sandbox/link_abs");
  fs_path(q, sizeof q, "outside/secret.txt");
  CHECK(symlink(q, p) == 0);
  fs_path(p, sizeof p, "sandbox/link_dir_out");
  CHECK(symlink("..", p) == 0);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void fs_remove(void) {
  if (nftw(fs_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
    fprintf(stderr, "warning: could not remove %s\n", fs_root);
}

typedef struct captured {
  char text[16384];
  size_t len;
} captured;

static void capture(void *user, uint64_t id, int fd, const uint8_t *data, size_t len) {
  (void)id, (void)fd;
  captured *c = user;
  size_t room = sizeof c->text - 1 - c->len;
  if (len > room) len = room;
  memcpy(c->text + c->len, data, len);
  c->len += len;
  c->text[c->len] = 0;
}

static void read_first_line(const char *rel, char *buf, size_t len) {
  char p[512];
  fs_path(p, sizeof p, rel);
  buf[0] = 0;
  FILE *f = fopen(p, "r");
  if (!f) return;
  if (!fgets(buf, (int)len, f)) buf[0] = 0;
  fclose(f);
}

static void fs_scenario(uint64_t n) {
  fs_layout();
  char sandbox[512], ro[512];
  fs_path(sandbox, sizeof sandbox, "sandbox");
  fs_path(ro, sizeof ro, "ro");
  wapc_wasi_dir dirs[2] = {{sandbox, "/sandbox", 0}, {ro, "/ro", 1}};
  static captured out;
  out.len = 0;
  out.text[0] = 0;
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.wasi_dirs = dirs;
  o.wasi_ndirs = 2;
  const char *args[] = {"fs"};
  o.wasi_args = args;
  o.wasi_nargs = 1;
  o.wasi_stdout.mode = o.wasi_stderr.mode = WAPC_STDIO_CALLBACK;
  o.wasi_stdout.write = o.wasi_stderr.write = capture;
  o.wasi_stdout.user = o.wasi_stderr.user = &out;
  int code = -1;
  char msg[256] = "";
  arm(n);
  wapc_status st = wapc_wasi_run(&o, fs_wasm.data, fs_wasm.len, &code, msg, sizeof msg);
  run_hit = disarm();
  /* Finished (maybe with failed checks), or aborted by the guest; never anything else. */
  CHECK(st == WAPC_OK || (st == WAPC_ERR_TRAP && strstr(msg, "unreachable")));
  if (st != WAPC_OK && !(st == WAPC_ERR_TRAP && strstr(msg, "unreachable")))
    fprintf(stderr, "fs (n=%llu): %s %s\n", (unsigned long long)n, wapc_status_name(st), msg);
  if (!run_hit) CHECK(st == WAPC_OK && code == 0);
  CHECK(strstr(out.text, "TOPSECRET") == NULL);
  char text[32];
  read_first_line("outside/secret.txt", text, sizeof text);
  CHECK(strcmp(text, "TOPSECRET") == 0);
  read_first_line("ro/ro.txt", text, sizeof text);
  CHECK(strcmp(text, "read only") == 0);
  fs_remove();
}

/* ---- threads ------------------------------------------------------------------------------------- */

/* A worker counts its own bad outcomes (test.h's counters belong to the main thread). */
typedef struct worker {
  wapc_module *module;
  pthread_t thread;
  int bad;
} worker;

static void *worker_main(void *arg) {
  worker *w = arg;
  for (int i = 0; i < 3; i++) {
    wapc_host *h = NULL;
    char msg[256] = "";
    wapc_status st = wapc_host_new_builtin_module(NULL, w->module, NULL, NULL, &h, msg, sizeof msg);
    if (st != WAPC_OK) {
      if (st != WAPC_ERR_NOMEM || h != NULL || !msg[0]) w->bad++;
      continue;
    }
    for (int k = 0; k < 5; k++) {
      const uint8_t *r;
      size_t rl;
      st = wapc_host_call(h, "e", 1, U8("thread"), 6, &r, &rl);
      if (st == WAPC_OK ? rl != 6 || memcmp(r, "thread", 6) != 0 : st != WAPC_ERR_NOMEM) w->bad++;
    }
    wapc_host_free(h);
  }
  return NULL;
}

static void threads_scenario(uint64_t n) {
  wapc_module *m = NULL;
  char msg[256];
  if (wapc_module_compile(NULL, echo_wasm.data, echo_wasm.len, &m, msg, sizeof msg) != WAPC_OK) exit(2);
  worker w[4];
  arm(n);
  for (int i = 0; i < 4; i++) {
    w[i].module = m;
    w[i].bad = 0;
    if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0) exit(2);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(w[i].thread, NULL);
    CHECK(w[i].bad == 0);
  }
  run_hit = disarm();
  wapc_module_free(m);
}

static void make_data_dir(void) {
  snprintf(data_dir, sizeof data_dir, "%s/wapc-alloc.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(data_dir)) exit(2);
  char path[512];
  snprintf(path, sizeof path, "%s/in.txt", data_dir);
  FILE *f = fopen(path, "w");
  if (!f) exit(2);
  fputs("input file", f);
  fclose(f);
}

static void remove_data_dir(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/in.txt", data_dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/out.txt", data_dir);
  unlink(path);
  rmdir(data_dir);
}

/* Both passes of a scenario: the Nth allocation (or file system call) failing once, then from then on. */
static void run_passes(const char *name, scenario_fn fn, bool io) {
  io_pass = io;
  for (int pass = 0; pass < 2; pass++) {
    persistent = pass == 1;
    run_scenario(name, fn);
  }
}

/* Pre-initialised hosts: the image taken (or not) under failures, hosts from it, a reset from it; the
 * memory file or its mapping refused falls back to copying, and every answer stays the same. */
static uint8_t pre_init_state[64];
static bool init_out_of_bounds(wapc_status st, const char *msg) {
  if (st != WAPC_ERR_INIT || !strstr(msg, "trap: out of bounds")) return false;
  check_passed++;
  return true;
}

static bool saw_cow, saw_copied;
static void pre_init_scenario(uint64_t n) {
  wapc_module *m = NULL;
  char msg[256] = "";
  if (wapc_module_compile(NULL, pre_init_wasm.data, pre_init_wasm.len, &m, msg, sizeof msg) != WAPC_OK)
    exit(2);
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.pre_init = 1;
  wapc_host *hs[3] = {NULL, NULL, NULL};
  arm(n);
  for (int i = 0; i < 3; i++) {
    wapc_status st = wapc_host_new_builtin_module(&o, m, NULL, NULL, &hs[i], msg, sizeof msg);
    /* wapc_init's memory.grow and table.grow answer -1 when they cannot allocate; what follows traps. */
    if (init_out_of_bounds(st, msg)) continue;
    if (!ok_or_nomem(st, msg, "wapc_host_new_builtin_module (pre-init)")) continue;
    const char *d = wapc_host_debug(hs[i]);
    if (strstr(d, "started from the image") && strstr(d, "copy-on-write")) saw_cow = true;
    if (strstr(d, "started from the image") && strstr(d, "copied)")) saw_copied = true;
    if (!call_ok(hs[i], "state", U8(""), 0, pre_init_state, 64)) continue;
    CHECK(wapc_host_call(hs[i], "trap", 4, U8(""), 0, NULL, NULL) == WAPC_ERR_TRAP);
    /* The reset may fail: out of memory, or (without an image) the initialisation as above. */
    if (!init_out_of_bounds(wapc_host_call(hs[i], "state", 5, U8(""), 0, NULL, NULL),
                            wapc_host_last_error(hs[i])))
      call_ok(hs[i], "state", U8(""), 0, pre_init_state, 64);
  }
  run_hit = disarm();
  for (int i = 0; i < 3; i++)
    wapc_host_free(hs[i]);
  wapc_module_free(m);
}

TEST_IMPL(pre_init) {
  /* The answer of a host that initialised itself, without failures. */
  wapc_module *m = NULL;
  wapc_host *h = NULL;
  const uint8_t *r = NULL;
  size_t rl = 0;
  CHECK_OR_RETURN(wapc_module_compile(NULL, pre_init_wasm.data, pre_init_wasm.len, &m, NULL, 0) == WAPC_OK);
  CHECK_OR_RETURN(wapc_host_new_builtin_module(NULL, m, NULL, NULL, &h, NULL, 0) == WAPC_OK);
  CHECK_OR_RETURN(wapc_host_call(h, "state", 5, U8(""), 0, &r, &rl) == WAPC_OK && rl == 64);
  memcpy(pre_init_state, r, 64);
  wapc_host_free(h);
  wapc_module_free(m);
  run_passes("pre-initialised hosts", pre_init_scenario, false);
  CHECK(saw_cow);
  CHECK(saw_copied);
}

/* A module whose machine code cannot be mapped executable runs in the interpreter and says so. */
static bool saw_refused, saw_compiled;
static void jit_scenario(uint64_t n) {
  wapc_module *m = NULL;
  char msg[256] = "";
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.tier = WAPC_TIER_COMPILER; /* whatever WAPC_TIER says */
  arm(n);
  wapc_status st = wapc_module_compile(&o, echo_wasm.data, echo_wasm.len, &m, msg, sizeof msg);
  run_hit = disarm();
  if (!ok_or_nomem(st, msg, "wapc_module_compile")) return;
  wapc_host *h = NULL;
  if (wapc_host_new_builtin_module(NULL, m, NULL, NULL, &h, msg, sizeof msg) == WAPC_OK) {
    CHECK(call_ok(h, "e", U8("hi"), 2, U8("hi"), 2));
    const char *d = wapc_host_debug(h);
    if (strstr(d, "executable memory refused")) saw_refused = true;
    if (!strstr(d, "compiled functions: 0 of")) saw_compiled = true;
    wapc_host_free(h);
  }
  wapc_module_free(m);
}

TEST_IMPL(jit_refused) {
#if WAPC_JIT
  run_passes("machine code refused", jit_scenario, false);
  CHECK(saw_refused);
  CHECK(saw_compiled);
#endif
}

TEST_IMPL(compile) {
  run_passes("compile", compile_scenario, false);
}

TEST_IMPL(module_host) {
  run_passes("host from compiled module", module_host_scenario, false);
}

TEST_IMPL(load_and_call) {
  run_passes("load, calls, host calls", load_and_call_scenario, false);
}

TEST_IMPL(hot_swap) {
  run_passes("hot swap", hot_swap_scenario, false);
}

TEST_IMPL(reset) {
  run_passes("reset after trap", reset_scenario, false);
}

TEST_IMPL(wasi) {
  run_passes("WASI file work", wasi_scenario, false);
}

TEST_IMPL(threads) {
  run_passes("threads on one module", threads_scenario, false);
}

TEST_IMPL(wasi_io) {
  run_passes("WASI file work", wasi_io_scenario, true);
}

TEST_IMPL(fs_io) {
  run_passes("WASI fs command", fs_scenario, true);
}

static void setup(void) {
  echo_wasm = load_file("wat/echo.wasm");
  guard_wasm = load_file("wat/guard.wasm");
  hostcall_wasm = load_file("wat/hostcall.wasm");
  reactor_wasm = load_file("wasi/libc_reactor.wasm");
  libc_wasm = load_file("c/libc.wasm");
  fs_wasm = load_file("wasi/fs.wasm");
  pre_init_wasm = load_file("wat/pre_init.wasm");
  make_data_dir();
}

static void teardown(void) {
  remove_data_dir();
  free(echo_wasm.data);
  free(guard_wasm.data);
  free(hostcall_wasm.data);
  free(reactor_wasm.data);
  free(libc_wasm.data);
  free(fs_wasm.data);
  free(pre_init_wasm.data);
}

TEST_LIST_BEGIN
TEST_ENTRY(compile)
TEST_ENTRY(jit_refused)
TEST_ENTRY(pre_init)
TEST_ENTRY(module_host)
TEST_ENTRY(load_and_call)
TEST_ENTRY(hot_swap)
TEST_ENTRY(reset)
TEST_ENTRY(wasi)
TEST_ENTRY(threads)
TEST_ENTRY(wasi_io)
TEST_ENTRY(fs_io)
TEST_LIST_END

int main(int argc, char **argv) {
  return test_main(argc, argv, "alloc", test_cases, setup, teardown);
}
