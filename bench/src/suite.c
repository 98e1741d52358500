/* SPDX-License-Identifier: Apache-2.0 */
/*
 * suite.c - the benchmark suite: compute kernels against native
 * gcc -O2, waPC call overhead through the public API, and load / instantiate
 * / memory figures through the engine API (src/vm/vm.h).  It prints tables
 * with the targets (bench/README.md) next to each figure and writes the same numbers as
 * JSON.  bench/run.sh builds everything it needs and runs it; timing is CPU
 * time (children's rusage for native processes, CLOCK_PROCESS_CPUTIME_ID or
 * CLOCK_THREAD_CPUTIME_ID in process), the median of several runs.
 */
#include "vm/vm.h"
#include "wapc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* wapc_wasi_run may not exist yet in the library this is linked with: a weak
 * reference is NULL then, and the in-process WASI column is skipped. */
#pragma weak wapc_wasi_run

/* ---- options and small helpers --------------------------------------------- */

static struct {
  const char *dir;  /* the bench build directory (kernels/, guests/, big.wasm) */
  const char *wapc; /* the wapc CLI, for `wapc run` */
  const char *json; /* output file */
  int runs;         /* compute runs per kernel and path (median) */
  double scale;     /* kernel size factor */
  bool all_paths;   /* run every engine path `runs` times, not only the primary one */
  bool compute, calls, load, guard, serve;
} opt = {NULL, NULL, NULL, 3, 1.0, false, true, true, true, true, true};

static double now_ns(clockid_t clk) {
  struct timespec ts;
  clock_gettime(clk, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  if (n <= 0) return NAN;
  qsort(v, (size_t)n, sizeof v[0], cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *data = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 1 << 16;
      uint8_t *p = realloc(data, cap);
      if (!p) {
        free(data);
        fclose(f);
        return NULL;
      }
      data = p;
    }
    size_t got = fread(data + n, 1, cap - n, f);
    if (got == 0) break;
    n += got;
  }
  fclose(f);
  *len = n;
  return data;
}

/* BUILD_DIR/<a><b><c> in one of four rotating static buffers. */
static char *path_of(const char *a, const char *b, const char *c) {
  static char buf[4][4096];
  static int next;
  char *p = buf[next++ % 4];
  snprintf(p, sizeof buf[0], "%s/%s%s%s", opt.dir, a, b, c);
  return p;
}

/* Resident set size in bytes (from /proc/self/statm). */
static double rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long size = 0, res = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &size, &res) != 2) res = 0;
    fclose(f);
  }
  return (double)res * (double)sysconf(_SC_PAGESIZE);
}

/* ---- results: every figure goes to the table and to the JSON file ------------- */

typedef struct metric {
  const char *section, *name, *unit;
  double value;
  const char *op; /* "<=", ">=" or NULL (no target) */
  double target;
  char note[256];
} metric;

static metric metrics[96];
static int nmetrics;

static metric *add_metric(const char *section, const char *name, double value, const char *unit,
                          const char *op, double target) {
  if (nmetrics == (int)(sizeof metrics / sizeof metrics[0])) return &metrics[nmetrics - 1];
  metric *m = &metrics[nmetrics++];
  m->section = section, m->name = name, m->value = value, m->unit = unit, m->op = op, m->target = target;
  m->note[0] = 0;
  return m;
}

static const char *met_str(const metric *m) {
  if (!m->op) return "";
  if (isnan(m->value)) return "n/a";
  bool ok = strcmp(m->op, "<=") == 0 ? m->value <= m->target : m->value >= m->target;
  return ok ? "met" : "NOT MET";
}

/* ---- compute ----------------------------------------------------------------- */

static const char *const kernel_names[] = {"fib",   "sieve", "matmul", "sha256", "crc32",
                                           "qsort", "nbody", "bytevm", "lists"};
#define NKERNELS (int)(sizeof kernel_names / sizeof kernel_names[0])

typedef struct kernel_result {
  const char *name;
  uint32_t n;
  double native_s, export_s, wasi_s, run_s; /* medians, CPU seconds; NAN = not run */
  uint32_t native_sum, export_sum, wasi_sum, run_sum;
  bool export_ok, wasi_ok, run_ok; /* checksum equal to native */
  double ratio;                    /* primary engine path / native */
  /* `wapc run --tier interpreter`, in the same run: the other tier side by side */
  double interp_s, interp_ratio;
  uint32_t interp_sum;
  bool interp_ok;
  /* `wapc run` of the -msimd128 build (kernels/simd/K.wasm, clang-19), how many SIMD instructions it has,
   * and of the same compiler's build without -msimd128 (kernels/simd/K.scalar.wasm), its reference */
  double simd_s, scalar19_s;
  double simd_ratio; /* the median of the runs' -msimd128 / scalar ratios (each run times both, one after the
                        other) */
  uint32_t simd_sum, simd_ops, scalar19_sum;
  bool simd_ok, scalar19_ok;
} kernel_result;

static kernel_result kernels[NKERNELS];
static const char *primary_path = "export";

/* Run argv, capture stdout (up to `cap` bytes), return its CPU time (user + sys) in seconds, or -1. */
static double run_process(char *const argv[], char *out, size_t cap) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(fds[1]);
  size_t n = 0;
  for (;;) {
    ssize_t got = read(fds[0], out + n, cap - 1 - n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    n += (size_t)got;
    if (n == cap - 1) break;
  }
  out[n] = 0;
  close(fds[0]);
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) != pid) return -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec / 1e6;
}

static bool parse_checksum(const char *text, uint32_t *sum) {
  const char *p = strstr(text, "checksum ");
  if (!p) return false;
  *sum = (uint32_t)strtoul(p + 9, NULL, 10);
  return true;
}

/* One in-process run of the plain-export build: load + instantiate + run(n), CPU seconds; -1 on failure. */
static double run_export(const uint8_t *wasm, size_t len, uint32_t n, uint32_t *sum) {
  double t0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
  vm_error err;
  vm_module *m = vm_module_load(wasm, len, NULL, &err);
  if (!m) {
    fprintf(stderr, "  load failed: %s\n", err.message);
    return -1;
  }
  vm_store *s = vm_store_new(NULL);
  vm_instance *inst = s ? vm_instantiate(s, m, NULL, 0, &err) : NULL;
  vm_extern ex;
  double t = -1;
  if (inst && vm_instance_export(inst, "run", 3, &ex) && ex.kind == VM_EXTERN_FUNC) {
    uint64_t slot = n;
    if (vm_invoke(s, ex.u.func, &slot) == VM_OK) {
      *sum = (uint32_t)slot;
      t = (now_ns(CLOCK_PROCESS_CPUTIME_ID) - t0) / 1e9;
    } else {
      fprintf(stderr, "  run trapped: %s\n", vm_store_error(s)->message);
    }
  } else {
    fprintf(stderr, "  instantiate failed: %s\n", inst ? "no run export" : err.message);
  }
  vm_store_free(s);
  vm_module_free(m);
  return t;
}

typedef struct capture {
  char text[256];
  size_t len;
} capture;

static void capture_write(void *user, uint64_t host_id, int fd, const uint8_t *bytes, size_t len) {
  capture *c = user;
  if (fd != 1) return;
  size_t room = sizeof c->text - 1 - c->len;
  if (len > room) len = room;
  memcpy(c->text + c->len, bytes, len);
  c->len += len;
  c->text[c->len] = 0;
}

/* One in-process run of the WASI command build through wapc_wasi_run; -1 when unavailable or failed. */
static double run_wasi(const uint8_t *wasm, size_t len, uint32_t n, uint32_t *sum) {
  if (!wapc_wasi_run) return -1;
  char narg[16];
  snprintf(narg, sizeof narg, "%u", n);
  const char *args[] = {"kernel", narg};
  capture cap = {{0}, 0};
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.wasi_args = args;
  o.wasi_nargs = 2;
  o.wasi_stdout.mode = WAPC_STDIO_CALLBACK;
  o.wasi_stdout.write = capture_write;
  o.wasi_stdout.user = &cap;
  int code = -1;
  char msg[256];
  double t0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
  wapc_status st = wapc_wasi_run(&o, wasm, len, &code, msg, sizeof msg);
  double t = (now_ns(CLOCK_PROCESS_CPUTIME_ID) - t0) / 1e9;
  if (st != WAPC_OK || code != 0 || !parse_checksum(cap.text, sum)) return -1;
  return t;
}

/* Does this wapc CLI have `wapc run`?  (It is being added in parallel with this suite.) */
static bool have_wapc_run(void) {
  if (!opt.wapc || access(opt.wapc, X_OK) != 0) return false;
  char out[4096];
  char run[] = "run", help[] = "--help";
  char *argv[] = {(char *)opt.wapc, run, help, NULL};
  return run_process(argv, out, sizeof out) >= 0 && strstr(out, "run") != NULL;
}

static void bench_compute(void) {
  bool use_run = have_wapc_run();
  bool use_wasi = wapc_wasi_run != NULL;
  primary_path = use_run ? "wapc run" : use_wasi ? "wapc_wasi_run" : "export";
  printf("== compute: %d kernels, median of %d runs, CPU time; engine ratio via %s ==\n", NKERNELS, opt.runs,
         primary_path);
  fflush(stdout);
  for (int k = 0; k < NKERNELS; k++) {
    kernel_result *r = &kernels[k];
    memset(r, 0, sizeof *r);
    r->name = kernel_names[k];
    r->native_s = r->export_s = r->wasi_s = r->run_s = r->ratio = r->interp_s = r->interp_ratio = NAN;
    r->simd_s = r->scalar19_s = NAN;
    bool have_simd = access(path_of("kernels/simd/", r->name, ".wasm"), R_OK) == 0 &&
                     access(path_of("kernels/simd/", r->name, ".scalar.wasm"), R_OK) == 0;
    if (have_simd) {
      /* run.sh counted the build's SIMD instructions (wasm-objdump) */
      size_t olen;
      char *ops = (char *)read_file(path_of("kernels/simd/", r->name, ".ops"), &olen);
      r->simd_ops = ops ? (uint32_t)strtoul(ops, NULL, 10) : 0;
      free(ops);
    }
    double ts[16], t19[16], tq[16];
    int nsimd = 0, n19 = 0, nq = 0;
    bool simd_bad = false, scalar19_bad = false;
    size_t elen = 0, wlen = 0;
    uint8_t *ewasm = read_file(path_of("kernels/export/", r->name, ".wasm"), &elen);
    uint8_t *wwasm = read_file(path_of("kernels/wasi/", r->name, ".wasm"), &wlen);
    if (!ewasm) {
      fprintf(stderr, "  %s: cannot read the export build\n", r->name);
      free(wwasm);
      continue;
    }
    /* the kernel's own default size, scaled (fib grows by phi per step, the others linearly) */
    uint32_t def = 0;
    {
      vm_error err;
      vm_module *m = vm_module_load(ewasm, elen, NULL, &err);
      vm_store *s = m ? vm_store_new(NULL) : NULL;
      vm_instance *inst = s ? vm_instantiate(s, m, NULL, 0, &err) : NULL;
      vm_extern ex;
      uint64_t slot = 0;
      if (inst && vm_instance_export(inst, "default_n", 9, &ex) && vm_invoke(s, ex.u.func, &slot) == VM_OK)
        def = (uint32_t)slot;
      vm_store_free(s);
      vm_module_free(m);
    }
    if (strcmp(r->name, "fib") == 0)
      r->n = (uint32_t)((double)def + floor(log(opt.scale) / log(1.618) + 0.5));
    else
      r->n = (uint32_t)fmax(1, floor((double)def * opt.scale + 0.5));
    char narg[16];
    snprintf(narg, sizeof narg, "%u", r->n);
    double tn[16], te[16], tw[16], tr[16], ti[16];
    int nn = 0, ne = 0, nw = 0, nr = 0, ni = 0;
    bool export_bad = false, wasi_bad = false, run_bad = false, interp_bad = false;
    for (int i = 0; i < opt.runs && i < 16; i++) {
      char out[256];
      char *nargv[] = {path_of("kernels/native/", r->name, ""), narg, NULL};
      double t = run_process(nargv, out, sizeof out);
      if (t >= 0 && parse_checksum(out, &r->native_sum)) tn[nn++] = t;
      /* the primary path runs `runs` times; the others once (checksum and a reference time) */
      bool more = i == 0 || opt.all_paths;
      uint32_t sum = 0;
      if (more || (!use_run && !use_wasi)) {
        t = run_export(ewasm, elen, r->n, &sum);
        if (t >= 0) {
          te[ne++] = t;
          r->export_sum = sum;
        } else {
          export_bad = true;
        }
      }
      if (wwasm && use_wasi && (more || !use_run)) {
        t = run_wasi(wwasm, wlen, r->n, &sum);
        if (t >= 0) {
          tw[nw++] = t;
          r->wasi_sum = sum;
        } else {
          wasi_bad = true;
        }
      }
      if (wwasm && use_run) {
        char run[] = "run";
        char *rargv[] = {(char *)opt.wapc, run, path_of("kernels/wasi/", r->name, ".wasm"), narg, NULL};
        t = run_process(rargv, out, sizeof out);
        if (t >= 0 && parse_checksum(out, &sum)) {
          tr[nr++] = t;
          r->run_sum = sum;
        } else {
          run_bad = true;
        }
        char tier[] = "--tier", interp[] = "interpreter";
        char *iargv[] = {
            (char *)opt.wapc, run, tier, interp, path_of("kernels/wasi/", r->name, ".wasm"), narg, NULL};
        t = run_process(iargv, out, sizeof out);
        if (t >= 0 && parse_checksum(out, &sum)) {
          ti[ni++] = t;
          r->interp_sum = sum;
        } else {
          interp_bad = true;
        }
        if (have_simd) { /* both builds, one after the other, in turn first */
          /* and in the run's code placement: the same for both, 16 bytes further each run (a few per
           * cent either way on the same code, more than the difference sought) */
          char pad[16];
          snprintf(pad, sizeof pad, "%d", (i % 4) * 16);
          setenv("WAPC_JIT_PAD", pad, 1);
          double pair[2] = {-1, -1};
          for (int o = 0; o < 2; o++) {
            int simd = (o == 0) == (i % 2 == 0); /* 1: the -msimd128 build */
            char *sargv[] = {(char *)opt.wapc, run,
                             path_of("kernels/simd/", r->name, simd ? ".wasm" : ".scalar.wasm"), narg, NULL};
            t = run_process(sargv, out, sizeof out);
            bool good = t >= 0 && parse_checksum(out, &sum);
            if (simd && good && nsimd < 16) {
              ts[nsimd++] = pair[1] = t;
              r->simd_sum = sum;
            } else if (!simd && good && n19 < 16) {
              t19[n19++] = pair[0] = t;
              r->scalar19_sum = sum;
            } else {
              *(simd ? &simd_bad : &scalar19_bad) = true;
            }
          }
          unsetenv("WAPC_JIT_PAD");
          if (pair[0] > 0 && pair[1] >= 0) tq[nq++] = pair[1] / pair[0];
        }
      }
    }
    r->native_s = median(tn, nn);
    r->export_s = median(te, ne);
    r->wasi_s = median(tw, nw);
    r->run_s = median(tr, nr);
    r->export_ok = nn && ne && !export_bad && r->export_sum == r->native_sum;
    r->wasi_ok = nn && nw && !wasi_bad && r->wasi_sum == r->native_sum;
    r->run_ok = nn && nr && !run_bad && r->run_sum == r->native_sum;
    r->interp_s = median(ti, ni);
    r->interp_ok = nn && ni && !interp_bad && r->interp_sum == r->native_sum;
    r->interp_ratio = r->interp_ok ? r->interp_s / r->native_s : NAN;
    r->simd_s = median(ts, nsimd);
    r->simd_ok = nn && nsimd && !simd_bad && r->simd_sum == r->native_sum;
    r->scalar19_s = median(t19, n19);
    r->simd_ratio = median(tq, nq);
    r->scalar19_ok = nn && n19 && !scalar19_bad && r->scalar19_sum == r->native_sum;
    double eng = use_run ? r->run_s : use_wasi ? r->wasi_s : r->export_s;
    bool ok = use_run ? r->run_ok : use_wasi ? r->wasi_ok : r->export_ok;
    r->ratio = ok ? eng / r->native_s : NAN;
    printf("  %-7s n=%-8u native %7.3f s  engine %8.3f s  ratio %6.2fx  interpreter %6.2fx  %s\n", r->name,
           r->n, r->native_s, eng, r->ratio, r->interp_ratio,
           ok && (r->interp_ok || !use_run) ? "checksum ok" : "CHECKSUM MISMATCH OR FAILURE");
    fflush(stdout);
    free(ewasm);
    free(wwasm);
  }
  double logsum = 0, worst = 0, ilogsum = 0, iworst = 0;
  int counted = 0, icounted = 0;
  for (int k = 0; k < NKERNELS; k++) {
    if (!isnan(kernels[k].interp_ratio)) {
      ilogsum += log(kernels[k].interp_ratio);
      icounted++;
      if (kernels[k].interp_ratio > iworst) iworst = kernels[k].interp_ratio;
    }
    if (isnan(kernels[k].ratio)) continue;
    logsum += log(kernels[k].ratio);
    counted++;
    if (kernels[k].ratio > worst) worst = kernels[k].ratio;
  }
  double geo = counted == NKERNELS ? exp(logsum / counted) : NAN;
  metric *m =
      add_metric("compute", "geomean slowdown vs gcc -O2 (default tier: compiler)", geo, "x", "<=", 2);
  snprintf(m->note, sizeof m->note, "%d/%d kernels ok; WAMR Fast JIT 2.1x, V8 2.8x", counted, NKERNELS);
  m = add_metric("compute", "worst kernel slowdown (compiler)", counted == NKERNELS ? worst : NAN, "x",
                 "<=", 4.5);
  m = add_metric("compute", "geomean slowdown vs gcc -O2 (interpreter)",
                 icounted == NKERNELS ? exp(ilogsum / icounted) : NAN, "x", "<=", 8);
  snprintf(m->note, sizeof m->note, "%d/%d kernels ok; wasm3 11.9x, WAMR fast 13.1x", icounted, NKERNELS);
  m = add_metric("compute", "worst kernel slowdown (interpreter)", icounted == NKERNELS ? iworst : NAN, "x",
                 "<=", 20);
  /* -msimd128 builds: the kernels clang vectorised (20 or more SIMD instructions) must not be slower.  The
   * kernels it did not vectorise (the harness's few SIMD instructions aside, both builds are the same
   * code) show what this run can resolve: "not slower" is no worse than the worst of those. */
  double sworst = 0, cworst = 0;
  int sn = 0, cn = 0;
  char which[64] = "";
  for (int k = 0; k < NKERNELS; k++) {
    const kernel_result *r = &kernels[k];
    if (!r->simd_ok || !r->scalar19_ok || isnan(r->simd_ratio)) continue;
    double q = r->simd_ratio;
    if (r->simd_ops < 20) {
      cn++;
      cworst = fmax(cworst, q);
      continue;
    }
    sn++;
    if (q > sworst) {
      sworst = q;
      snprintf(which, sizeof which, "%s", r->name);
    }
  }
  m = add_metric("compute",
                 "-msimd128 build / the same clang's scalar build, worst vectorised kernel (compiler)",
                 sn ? sworst : NAN, "x", "<=", fmax(1.0, cworst));
  snprintf(m->note, sizeof m->note,
           "%d kernels with >= 20 SIMD instructions; worst: %s; target 1x, or the run's noise: the worst of "
           "the %d not vectorised, %.3fx",
           sn, which, cn, cworst);
}

/* ---- calls --------------------------------------------------------------------- */

/* Host callback: answers every host call with its own payload. */
static void echo_callback(void *user, uint64_t host_id, wapc_str binding, wapc_str ns, wapc_str operation,
                          const uint8_t *payload, size_t payload_len, wapc_result *result) {
  wapc_result_set_bytes(result, payload, payload_len);
}

/*
 * Per-call time of `op` with `len` bytes: a warm-up, then `rounds` rounds of
 * `per_round` calls, each round timed with the thread's CPU clock; the median
 * round gives ns per call.  NAN on failure or a wrong response.
 */
static double time_calls(wapc_host *h, const char *op, const uint8_t *payload, size_t len, size_t expect_len,
                         int per_round, int rounds) {
  const uint8_t *resp;
  size_t rlen;
  for (int i = 0; i < per_round / 4 + 10; i++) {
    if (wapc_host_call(h, op, strlen(op), payload, len, &resp, &rlen) != WAPC_OK) {
      fprintf(stderr, "  %s failed: %s\n", op, wapc_host_last_error(h));
      return NAN;
    }
    if (rlen != expect_len) {
      fprintf(stderr, "  %s: %zu response bytes, want %zu\n", op, rlen, expect_len);
      return NAN;
    }
  }
  double v[64];
  if (rounds > 64) rounds = 64;
  for (int r = 0; r < rounds; r++) {
    double t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < per_round; i++)
      if (wapc_host_call(h, op, strlen(op), payload, len, &resp, &rlen) != WAPC_OK) return NAN;
    v[r] = (now_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / per_round;
  }
  return median(v, rounds);
}

static wapc_host *open_guest(const char *path) {
  size_t len;
  uint8_t *wasm = read_file(path, &len);
  if (!wasm) {
    fprintf(stderr, "  cannot read %s\n", path);
    return NULL;
  }
  wapc_host *h = NULL;
  if (wapc_host_new_builtin(NULL, echo_callback, NULL, &h, NULL, 0) != WAPC_OK ||
      wapc_host_load(h, wasm, len) != WAPC_OK) {
    fprintf(stderr, "  cannot load %s: %s\n", path, h ? wapc_host_last_error(h) : "no host");
    wapc_host_free(h);
    h = NULL;
  }
  free(wasm);
  return h;
}

static void *(*volatile memcpy_fn)(void *, const void *, size_t) = memcpy;

static void bench_calls(void) {
  printf("== calls: in process through the public API, median of rounds, thread CPU time ==\n");
  fflush(stdout);
  static uint8_t big[65536];
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = (uint8_t)(i * 7);
  const uint8_t *small = big;
  /* the guests' ping answers the host's response to a 16-byte host call */
  static const struct {
    const char *kind, *file;
  } guests[] = {{"C", "guests/c_bench.wasm"}, {"AS", "guests/as_bench.wasm"}};
  double echo16[2] = {NAN, NAN};
  for (int g = 0; g < 2; g++) {
    wapc_host *h = open_guest(path_of(guests[g].file, "", ""));
    double e16 = NAN, e64 = NAN, hc = NAN;
    if (h) {
      e16 = time_calls(h, "echo", small, 16, 16, 20000, 15);
      e64 = time_calls(h, "echo", big, sizeof big, sizeof big, 2000, 15);
      hc = time_calls(h, "ping", small, 16, 16, 20000, 15);
      wapc_host_free(h);
    }
    echo16[g] = e16;
    bool c = g == 0;
    add_metric("calls", c ? "C guest: echo 16 B" : "AS guest: echo 16 B", e16 / 1e3, "us", c ? "<=" : NULL,
               0.2);
    add_metric("calls", c ? "C guest: echo 64 KiB" : "AS guest: echo 64 KiB", e64 / 1e3, "us", NULL, 0);
    add_metric("calls", c ? "C guest: call with one host call" : "AS guest: call with one host call",
               hc / 1e3, "us", c ? "<=" : NULL, 0.4);
    if (c) {
      /* the floor for echo 64 KiB: two 64 KiB memcpy (payload in, response out) */
      static uint8_t a[65536], b[65536];
      double v[15];
      for (int r = 0; r < 15; r++) {
        double t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        for (int i = 0; i < 2000; i++) {
          memcpy_fn(a, big, sizeof a);
          memcpy_fn(b, a, sizeof b);
        }
        v[r] = (now_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / 2000;
      }
      double mc = median(v, 15);
      add_metric("calls", "two 64 KiB memcpy", mc / 1e3, "us", NULL, 0);
      metric *m = add_metric("calls", "C guest: echo 64 KiB / two memcpy", e64 / mc, "x", "<=", 1.5);
      snprintf(m->note, sizeof m->note, "echo 64 KiB %.2f us, 2 x memcpy %.2f us", e64 / 1e3, mc / 1e3);
    }
  }
  (void)echo16;
}

/* ---- load, instantiate, memory ------------------------------------------------ */

static vm_result trap_host(vm_store *s, vm_instance *caller, void *user, uint64_t *args_results) {
  return vm_store_trap_msg(s, "not available in the benchmark");
}

/* Imports for an instantiation benchmark: one trapping host function per function import. */
static vm_extern *dummy_imports(vm_store *s, const vm_module *m, uint32_t *n) {
  *n = vm_module_num_imports(m);
  vm_extern *ex = calloc(*n ? *n : 1, sizeof *ex);
  for (uint32_t i = 0; ex && i < *n; i++) {
    vm_import_desc d;
    vm_module_import(m, i, &d);
    if (d.kind != VM_EXTERN_FUNC) {
      free(ex);
      return NULL;
    }
    ex[i].kind = VM_EXTERN_FUNC;
    ex[i].u.func = vm_func_new_host(s, d.type.func, trap_host, NULL);
  }
  return ex;
}

static void bench_load(void) {
  printf("== load and start ==\n");
  fflush(stdout);
  size_t len = 0;
  uint8_t *wasm = read_file(path_of("big.wasm", "", ""), &len);
  if (wasm) {
    double v[16], vi[16];
    int n = 0, ni = 0;
    vm_module_info info = {0};
    vm_config interp;
    vm_config_default(&interp);
    interp.tier = VM_TIER_INTERP;
    for (int i = 0; i < 7; i++) {
      vm_error err;
      double t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
      vm_module *m = vm_module_load(wasm, len, &interp, &err);
      if (m) vi[ni++] = now_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
      vm_module_free(m);
      t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
      m = vm_module_load(wasm, len, NULL, &err);
      double t = now_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
      if (!m) {
        fprintf(stderr, "  big.wasm: %s\n", err.message);
        break;
      }
      vm_module_get_info(m, &info);
      vm_module_free(m);
      v[n++] = t;
    }
    double t = median(v, n);
    metric *m = add_metric("load", "validate + compile to machine code throughput",
                           (double)len / (t / 1e9) / 1e6, "MB/s", ">=", 60);
    snprintf(m->note, sizeof m->note, "big.wasm %.2f MB, %u functions (%u with machine code), %.1f ms",
             (double)len / 1e6, info.num_funcs, info.native_funcs, t / 1e6);
    double ti = median(vi, ni);
    m = add_metric("load", "validate + compile for the interpreter throughput",
                   (double)len / (ti / 1e9) / 1e6, "MB/s", ">=", 100);
    snprintf(m->note, sizeof m->note, "big.wasm, --tier interpreter, %.1f ms", ti / 1e6);
    m = add_metric("load", "machine code / wasm code size",
                   (double)info.native_bytes / (double)info.code_bytes, "x", "<=", 6);
    snprintf(m->note, sizeof m->note, "%zu bytes of machine code for %zu code bytes (big.wasm)",
             info.native_bytes, info.code_bytes);
    m = add_metric("load", "compiled code / wasm code size",
                   (double)info.compiled_bytes / (double)info.code_bytes, "x", "<=", 3);
    snprintf(m->note, sizeof m->note, "%zu compiled bytes for %zu code bytes (big.wasm)", info.compiled_bytes,
             info.code_bytes);
    free(wasm);
  } else {
    add_metric("load", "validate + compile to machine code throughput", NAN, "MB/s", ">=", 60);
  }

  /* a new host from an already compiled module, through the public API: wapc_module_compile once,
   * then wapc_host_new_builtin_module (instantiate, link, run wapc_init: ready for its first call)
   * + wapc_host_free, in a loop */
  const char *guest = path_of("guests/c_bench.wasm", "", "");
  wasm = read_file(guest, &len);
  if (!wasm) return;
  {
    char msg[256];
    wapc_module *cm = NULL;
    if (wapc_module_compile(NULL, wasm, len, &cm, msg, sizeof msg) != WAPC_OK) {
      fprintf(stderr, "  wapc_module_compile: %s\n", msg);
      add_metric("load", "new host from a compiled module (public API)", NAN, "us", "<=", 20);
    } else {
      double v[15];
      bool ok = true;
      for (int r = 0; r < 15; r++) {
        double t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        for (int i = 0; i < 200; i++) {
          wapc_host *h = NULL;
          if (wapc_host_new_builtin_module(NULL, cm, echo_callback, NULL, &h, msg, sizeof msg) != WAPC_OK)
            ok = false;
          wapc_host_free(h);
        }
        v[r] = (now_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / 200;
      }
      if (!ok) fprintf(stderr, "  wapc_host_new_builtin_module failed: %s\n", msg);
      metric *m = add_metric("load", "new host from a compiled module (public API)",
                             ok ? median(v, 15) / 1e3 : NAN, "us", "<=", 20);
      snprintf(m->note, sizeof m->note,
               "C guest: wapc_host_new_builtin_module (instantiate, link, wapc_init) + wapc_host_free");

      /* memory per live host made from one compiled module, after one call each */
      enum { HM = 100 };
      static wapc_host *mhosts[HM];
      double rss0 = rss_bytes();
      for (int i = 0; i < HM; i++) {
        mhosts[i] = NULL;
        if (wapc_host_new_builtin_module(NULL, cm, echo_callback, NULL, &mhosts[i], NULL, 0) == WAPC_OK)
          wapc_host_call(mhosts[i], "echo", 4, wasm, 16, NULL, NULL);
      }
      double per = (rss_bytes() - rss0) / HM;
      for (int i = 0; i < HM; i++)
        wapc_host_free(mhosts[i]);
      m = add_metric("load", "memory per host from a compiled module (RSS, after one call)", per / 1024,
                     "KiB", NULL, 0);
      snprintf(m->note, sizeof m->note, "C guest, %d hosts sharing one wapc_module", HM);
      wapc_module_free(cm);
    }
  }

  /* the same through vm.h, as a secondary figure: vm_store_new + vm_instantiate (imports bound to
   * stub host functions, no wapc_init) + vm_store_free, with and without a vm_pool */
  vm_error err;
  vm_module *mod = vm_module_load(wasm, len, NULL, &err);
  if (mod) {
    vm_module_info info;
    vm_module_get_info(mod, &info);
    metric *m = add_metric("load", "C guest: compiled / wasm code size",
                           (double)info.compiled_bytes / (double)info.code_bytes, "x", "<=", 3);
    snprintf(m->note, sizeof m->note, "%zu / %zu bytes", info.compiled_bytes, info.code_bytes);
    vm_pool *pool = vm_pool_new();
    for (int pooled = 1; pooled >= 0; pooled--) {
      double v[15];
      for (int r = 0; r < 15; r++) {
        double t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        for (int i = 0; i < 200; i++) {
          vm_store *s = vm_store_new_pooled(NULL, pooled ? pool : NULL);
          uint32_t n;
          vm_extern *ex = dummy_imports(s, mod, &n);
          vm_instance *inst = ex ? vm_instantiate(s, mod, ex, n, &err) : NULL;
          if (!inst) fprintf(stderr, "  instantiate failed\n");
          free(ex);
          vm_store_free(s);
        }
        v[r] = (now_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / 200;
      }
      m = add_metric("load", pooled ? "vm.h: new instance, pooled" : "vm.h: new instance, no pool",
                     median(v, 15) / 1e3, "us", NULL, 0);
      snprintf(m->note, sizeof m->note, "vm_store_new%s + vm_instantiate + vm_store_free (no wapc_init)",
               pooled ? "_pooled" : "");
    }
    vm_pool_free(pool);

    /* memory per instance: RSS growth over 200 live instances */
    enum { K = 200 };
    static vm_store *stores[K];
    double rss0 = rss_bytes();
    for (int i = 0; i < K; i++) {
      stores[i] = vm_store_new(NULL);
      uint32_t n;
      vm_extern *ex = dummy_imports(stores[i], mod, &n);
      if (ex) vm_instantiate(stores[i], mod, ex, n, &err);
      free(ex);
    }
    double per = (rss_bytes() - rss0) / K;
    for (int i = 0; i < K; i++)
      vm_store_free(stores[i]);
    m = add_metric("load", "memory per instance (RSS, instantiated)", per / 1024, "KiB", NULL, 0);
    snprintf(m->note, sizeof m->note, "C guest, %d instances, no call made", K);
    vm_module_free(mod);
  }

  /* the whole public-API cycle: host + load (decode, validate, compile, link, init) + free */
  double v[9];
  for (int r = 0; r < 9; r++) {
    double t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < 50; i++) {
      wapc_host *h = NULL;
      if (wapc_host_new_builtin(NULL, NULL, NULL, &h, NULL, 0) == WAPC_OK) wapc_host_load(h, wasm, len);
      wapc_host_free(h);
    }
    v[r] = (now_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / 50;
  }
  metric *m =
      add_metric("load", "new host + load from bytes (public API)", median(v, 9) / 1e3, "us", NULL, 0);
  snprintf(m->note, sizeof m->note, "C guest, %zu bytes: includes decode+validate+compile", len);

  /* memory per loaded host after one call, public API */
  enum { H = 100 };
  static wapc_host *hosts[H];
  double rss0 = rss_bytes();
  for (int i = 0; i < H; i++) {
    hosts[i] = NULL;
    if (wapc_host_new_builtin(NULL, echo_callback, NULL, &hosts[i], NULL, 0) != WAPC_OK) continue;
    if (wapc_host_load(hosts[i], wasm, len) == WAPC_OK)
      wapc_host_call(hosts[i], "echo", 4, wasm, 16, NULL, NULL);
  }
  double per = (rss_bytes() - rss0) / H;
  for (int i = 0; i < H; i++)
    wapc_host_free(hosts[i]);
  m = add_metric("load", "memory per host (RSS, after one call)", per / 1024, "KiB", NULL, 0);
  snprintf(m->note, sizeof m->note, "C guest, %d hosts loaded from bytes: each has its own compiled copy", H);
  free(wasm);
}

/* ---- guardrail promptness ------------------------------------------------------------ */

/* (module (memory (export "memory") 1)
 *   (func (export "__guest_call") (param i32 i32) (result i32) (loop $l (br $l)) (i32.const 1)))
 * a waPC guest whose every call spins forever: only a deadline or an interrupt ends it. */
static const uint8_t loop_guest[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
    0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x19, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f,
    0x72, 0x79, 0x02, 0x00, 0x0c, 0x5f, 0x5f, 0x67, 0x75, 0x65, 0x73, 0x74, 0x5f, 0x63, 0x61, 0x6c, 0x6c,
    0x00, 0x00, 0x0a, 0x0b, 0x01, 0x09, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x41, 0x01, 0x0b};

enum { GUARD_CALLS = 50, GUARD_TIMEOUT_MS = 20, GUARD_INTERRUPT_AFTER_MS = 10 };
#define GUARD_TARGET_MS 10.0

/* Wall clock: promptness is latency seen by the caller, not CPU time. */
static double wall_ms(void) {
  return now_ns(CLOCK_MONOTONIC) / 1e6;
}

typedef struct {
  wapc_host *host;
  double sent_ms; /* when wapc_host_interrupt was called */
} interrupter;

static void *interrupt_later(void *arg) {
  interrupter *it = arg;
  struct timespec ts = {0, GUARD_INTERRUPT_AFTER_MS * 1000000L};
  nanosleep(&ts, NULL);
  it->sent_ms = wall_ms();
  wapc_host_interrupt(it->host);
  return NULL;
}

static wapc_host *guard_host(uint32_t timeout_ms) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.timeout_ms = timeout_ms;
  wapc_host *h = NULL;
  if (wapc_host_new_builtin(&o, NULL, NULL, &h, NULL, 0) != WAPC_OK) return NULL;
  if (wapc_host_load(h, loop_guest, sizeof loop_guest) != WAPC_OK) {
    wapc_host_free(h);
    return NULL;
  }
  return h;
}

static void guard_metrics(const char *mean_name, const char *max_name, const double *late, int n, int bad,
                          const char *note) {
  double sum = 0, worst = NAN;
  for (int i = 0; i < n; i++) {
    sum += late[i];
    if (i == 0 || late[i] > worst) worst = late[i];
  }
  metric *m = add_metric("guard", mean_name, n ? sum / n : NAN, "ms", "<=", GUARD_TARGET_MS);
  snprintf(m->note, sizeof m->note, "%s; %d calls%s", note, n, bad ? ", SOME WITH THE WRONG STATUS" : "");
  m = add_metric("guard", max_name, n ? worst : NAN, "ms", "<=", GUARD_TARGET_MS);
  snprintf(m->note, sizeof m->note, "%s; %d calls%s", note, n, bad ? ", SOME WITH THE WRONG STATUS" : "");
}

/* How long after its deadline, or after wapc_host_interrupt from another
 * thread, a call spinning in a guest loop returns to its caller (the
 * target: within 10 ms).  Each stopped call makes the next one start on a fresh
 * instance; that reset happens before the next call's clock starts. */
static void bench_guard(void) {
  printf("\n== guard: promptness of deadlines and interrupts (%d calls each)\n", GUARD_CALLS);
  static double late[GUARD_CALLS];
  int n = 0, bad = 0;
  wapc_host *h = guard_host(GUARD_TIMEOUT_MS);
  for (int i = 0; h && i < GUARD_CALLS; i++) {
    double t0 = wall_ms();
    wapc_status st = wapc_host_call(h, "loop", 4, NULL, 0, NULL, NULL);
    double t1 = wall_ms();
    if (st != WAPC_ERR_DEADLINE) bad++;
    late[n++] = t1 - t0 - GUARD_TIMEOUT_MS;
  }
  if (!h) fprintf(stderr, "  guard: loading the loop guest failed\n");
  wapc_host_free(h);
  guard_metrics("deadline -> return, mean", "deadline -> return, max", late, n, bad,
                "timeout_ms=20, infinite loop; wall time past the deadline");

  n = bad = 0;
  h = guard_host(0);
  for (int i = 0; h && i < GUARD_CALLS; i++) {
    interrupter it = {h, 0};
    pthread_t t;
    if (pthread_create(&t, NULL, interrupt_later, &it) != 0) break;
    wapc_status st = wapc_host_call(h, "loop", 4, NULL, 0, NULL, NULL);
    double t1 = wall_ms();
    pthread_join(t, NULL);
    if (st != WAPC_ERR_INTERRUPTED) bad++;
    late[n++] = t1 - it.sent_ms;
  }
  wapc_host_free(h);
  guard_metrics("interrupt -> return, mean", "interrupt -> return, max", late, n, bad,
                "wapc_host_interrupt from another thread 10 ms into the call");
}

/* ---- output ---------------------------------------------------------------------- */

/* ---- serving: pre-initialised hosts, pools ---------------------------------------- */

static wapc_module *compile_guest(const char *file, bool quiet) {
  size_t len;
  uint8_t *wasm = read_file(path_of(file, "", ""), &len);
  if (!wasm) {
    if (!quiet) fprintf(stderr, "  cannot read %s\n", file);
    return NULL;
  }
  wapc_module *m = NULL;
  char msg[256];
  if (wapc_module_compile(NULL, wasm, len, &m, msg, sizeof msg) != WAPC_OK)
    fprintf(stderr, "  %s: %s\n", file, msg);
  free(wasm);
  return m;
}

static wapc_host *host_of(wapc_module *m, bool pre_init) {
  wapc_builtin_options o;
  wapc_builtin_options_init(&o);
  o.pre_init = pre_init;
  wapc_host *h = NULL;
  char msg[256];
  if (wapc_host_new_builtin_module(&o, m, NULL, NULL, &h, msg, sizeof msg) != WAPC_OK) {
    fprintf(stderr, "  new host: %s\n", msg);
    return NULL;
  }
  return h;
}

/* Median over `rounds` rounds of the CPU time per host of making `per` hosts (and, when `op`, making
 * one call on each) and freeing them; NAN on failure. */
static double time_new_hosts(wapc_module *m, bool pre_init, const char *op, int per, int rounds) {
  double v[32];
  if (rounds > 32) rounds = 32;
  for (int r = 0; r < rounds; r++) {
    double t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < per; i++) {
      wapc_host *h = host_of(m, pre_init);
      if (!h) return NAN;
      if (op && wapc_host_call(h, op, strlen(op), (const uint8_t *)"12345", 5, NULL, NULL) != WAPC_OK) {
        fprintf(stderr, "  %s: %s\n", op, wapc_host_last_error(h));
        wapc_host_free(h);
        return NAN;
      }
      wapc_host_free(h);
    }
    v[r] = (now_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / per;
  }
  return median(v, rounds);
}

/* CPU time per pair of calls on `h`: "trap" then "get" (the reset runs at the start of "get") when
 * `trap`, else "get" twice; NAN on an unexpected answer. */
static double time_reset_pairs(wapc_host *h, bool trap, int per, int rounds) {
  double v[32];
  if (rounds > 32) rounds = 32;
  for (int r = 0; r < rounds; r++) {
    double t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < per; i++) {
      wapc_status a =
          wapc_host_call(h, trap ? "trap" : "get", trap ? 4 : 3, (const uint8_t *)"7", 1, NULL, NULL);
      wapc_status b = wapc_host_call(h, "get", 3, (const uint8_t *)"7", 1, NULL, NULL);
      if (a != (trap ? WAPC_ERR_TRAP : WAPC_OK) || b != WAPC_OK) {
        fprintf(stderr, "  reset: %s\n", wapc_host_last_error(h));
        return NAN;
      }
    }
    v[r] = (now_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / per;
  }
  return median(v, rounds);
}

static void bench_pre_init(void) {
  wapc_module *m = compile_guest("guests/heavy_init.wasm", false);
  if (!m) {
    add_metric("serve", "heavy-init guest: new host from its pre-initialised image", NAN, "us", "<=", 50);
    return;
  }
  /* The first host with the option runs the initialisation and leaves the image. */
  wapc_host *taker = host_of(m, true);
  wapc_host_free(taker);
  double init = time_new_hosts(m, false, NULL, 3, 5);
  double pre = time_new_hosts(m, true, NULL, 200, 15);
  double pre_call = time_new_hosts(m, true, "get", 200, 15);
  metric *x = add_metric("serve", "heavy-init guest: new host, running its initialisation", init / 1e3, "us",
                         NULL, 0);
  snprintf(x->note, sizeof x->note, "WASI command, _start builds ~6 MB (4 MiB table, 60,000 map entries)");
  x = add_metric("serve", "heavy-init guest: new host from its pre-initialised image", pre / 1e3, "us",
                 "<=", 50);
  snprintf(x->note, sizeof x->note, "wapc_host_new_builtin_module + wapc_host_free, pre_init = 1");
  x = add_metric("serve", "heavy-init guest: initialisation / pre-initialised new host", init / pre, "x",
                 ">=", 20);
  x = add_metric("serve", "heavy-init guest: pre-initialised new host + first call", pre_call / 1e3, "us",
                 NULL, 0);
  snprintf(x->note, sizeof x->note, "the call's page faults (copy-on-write) included");

  wapc_host *h = host_of(m, true);
  if (h) {
    double normal = time_reset_pairs(h, false, 200, 15), trapped = time_reset_pairs(h, true, 200, 15);
    x = add_metric("serve", "heavy-init guest: reset after a trap, from the image", (trapped - normal) / 1e3,
                   "us", "<=", 50);
    snprintf(x->note, sizeof x->note, "(trap + call) - (call + call): %.2f - %.2f us", trapped / 1e3,
             normal / 1e3);
    wapc_host_free(h);
  }
  h = host_of(m, false);
  if (h) {
    double normal = time_reset_pairs(h, false, 3, 5), trapped = time_reset_pairs(h, true, 3, 5);
    add_metric("serve", "heavy-init guest: reset after a trap, initialising again", (trapped - normal) / 1e3,
               "us", NULL, 0);
    wapc_host_free(h);
  }
  wapc_module_free(m);
}

typedef struct caller {
  wapc_pool *pool;
  uint64_t calls;
  bool failed;
  pthread_t thread;
} caller;

static void *caller_main(void *arg) {
  caller *c = arg;
  for (uint64_t i = 0; i < c->calls && !c->failed; i++) {
    wapc_bytes resp = {NULL, 0};
    if (wapc_pool_call(c->pool, NULL, "echo", 4, (const uint8_t *)"0123456789abcdef", 16, &resp, NULL, 0) !=
            WAPC_OK ||
        resp.len != 16)
      c->failed = true;
    wapc_bytes_free(&resp);
  }
  return NULL;
}

/* Echo 16 B calls through one pool of `hosts` hosts from `callers` threads: calls per second (wall
 * clock, median of `rounds`), and the mean wait for a host per call (ns). */
static double pool_throughput(wapc_module *m, unsigned hosts, unsigned callers, uint64_t total, int rounds,
                              double *wait_per_call) {
  wapc_pool_options po;
  wapc_pool_options_init(&po);
  po.min_hosts = po.max_hosts = hosts;
  po.wait_ms = 60000;
  wapc_pool *pool = NULL;
  char msg[256];
  if (wapc_pool_new(&po, NULL, m, NULL, NULL, &pool, msg, sizeof msg) != WAPC_OK) {
    fprintf(stderr, "  wapc_pool_new: %s\n", msg);
    return NAN;
  }
  double v[16];
  if (rounds > 16) rounds = 16;
  caller cs[16];
  bool ok = callers <= 16;
  wapc_pool_stats s0, s1;
  wapc_pool_stats_get(pool, &s0);
  for (int r = 0; r < rounds && ok; r++) {
    double t0 = now_ns(CLOCK_MONOTONIC);
    for (unsigned t = 0; t < callers; t++) {
      cs[t] = (caller){pool, total / callers, false, 0};
      if (pthread_create(&cs[t].thread, NULL, caller_main, &cs[t]) != 0) exit(2);
    }
    for (unsigned t = 0; t < callers; t++) {
      pthread_join(cs[t].thread, NULL);
      ok = ok && !cs[t].failed;
    }
    v[r] = (double)(total / callers * callers) * 1e9 / (now_ns(CLOCK_MONOTONIC) - t0);
  }
  wapc_pool_stats_get(pool, &s1);
  *wait_per_call =
      (double)(s1.wait_ns - s0.wait_ns) / (double)(s1.calls - s0.calls ? s1.calls - s0.calls : 1);
  wapc_pool_free(pool);
  return ok ? median(v, rounds) : NAN;
}

static void bench_pool(void) {
  wapc_module *m = compile_guest("guests/c_bench.wasm", false);
  if (!m) return;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned hosts = ncpu > 0 && ncpu < 16 ? (unsigned)ncpu : 2;
  static const unsigned callers[] = {1, 2, 4, 8};
  double tput[4];
  for (int i = 0; i < 4; i++) {
    double wait;
    tput[i] = pool_throughput(m, hosts, callers[i], 400000, 5, &wait);
    static char names[4][96]; /* metrics keep the pointer */
    snprintf(names[i], sizeof names[i], "pool of %u hosts, echo 16 B, %u caller%s: throughput", hosts,
             callers[i], callers[i] > 1 ? "s" : "");
    metric *x = add_metric("serve", names[i], tput[i], "calls/s", NULL, 0);
    snprintf(x->note, sizeof x->note, "wapc_pool_call; mean wait for a host %.3f us per call", wait / 1e3);
  }
  metric *x = add_metric("serve", "pool throughput, 2 callers / 1 caller", tput[1] / tput[0], "x", ">=", 1.8);
  snprintf(x->note, sizeof x->note, "%ld CPUs", ncpu);
  wapc_module_free(m);
}

static void bench_serve(void) {
  printf("== serving: pre-initialised hosts, a pool called from threads ==\n");
  fflush(stdout);
  bench_pre_init();
  bench_pool();
}

static void print_tables(void) {
  if (opt.compute) {
    printf("\nCompute kernels (CPU time in s; native and %s: median of %d runs%s; ratio = %s / native "
           "gcc -O2; target <= 4.5x each with the compiler)\n",
           primary_path, opt.runs, opt.all_paths ? ", every path too" : ", other paths: 1 run", primary_path);
    printf("| kernel | n | native s | export s | wasi in-proc s | wapc run s | ratio | <= 4.5x | interpreter "
           "s | "
           "interpreter ratio | checksum |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int k = 0; k < NKERNELS; k++) {
      const kernel_result *r = &kernels[k];
      if (!r->name) continue;
      bool ok = strcmp(primary_path, "wapc run") == 0 ? r->run_ok
                : strcmp(primary_path, "export") == 0 ? r->export_ok
                                                      : r->wasi_ok;
      printf("| %s | %u | %.3f | %.3f | %.3f | %.3f | %.2fx | %s | %.3f | %.2fx | %s |\n", r->name, r->n,
             r->native_s, r->export_s, r->wasi_s, r->run_s, r->ratio,
             isnan(r->ratio)   ? "n/a"
             : r->ratio <= 4.5 ? "met"
                               : "NOT MET",
             r->interp_s, r->interp_ratio, ok ? "equal" : "DIFFERENT");
    }
  }
  if (opt.compute) {
    printf("\n-msimd128 builds (`wapc run`, default tier): clang-19 with and without -msimd128 (medians; the "
           "ratio "
           "is the median of each run's, both timed one after the other), and the clang build of the table "
           "above\n");
    printf(
        "| kernel | SIMD instructions | clang-19 s | clang-19 -msimd128 s | -msimd128 / clang-19 | clang s | "
        "checksum |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (int k = 0; k < NKERNELS; k++) {
      const kernel_result *r = &kernels[k];
      if (!r->name || isnan(r->simd_s)) continue;
      printf("| %s | %u | %.3f | %.3f | %.3fx | %.3f | %s |\n", r->name, r->simd_ops, r->scalar19_s,
             r->simd_s, r->simd_ratio, r->run_s, r->simd_ok && r->scalar19_ok ? "equal" : "DIFFERENT");
    }
  }
  printf("\n| section | figure | value | target | status | note |\n|---|---|---|---|---|---|\n");
  for (int i = 0; i < nmetrics; i++) {
    const metric *m = &metrics[i];
    char target[32] = "";
    if (m->op) snprintf(target, sizeof target, "%s %g %s", m->op, m->target, m->unit);
    printf("| %s | %s | %.3f %s | %s | %s | %s |\n", m->section, m->name, m->value, m->unit, target,
           met_str(m), m->note);
  }
  int unmet = 0, na = 0;
  for (int i = 0; i < nmetrics; i++) {
    const char *s = met_str(&metrics[i]);
    unmet += strcmp(s, "NOT MET") == 0;
    na += strcmp(s, "n/a") == 0;
  }
  printf("\ntargets: %d not met, %d not measured\n", unmet, na);
}

static void json_num(FILE *f, double v) {
  if (isnan(v) || isinf(v))
    fprintf(f, "null");
  else
    fprintf(f, "%.6g", v);
}

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      fprintf(f, "\\%c", *s);
    else if ((unsigned char)*s < 0x20)
      fprintf(f, "\\u%04x", *s);
    else
      fputc(*s, f);
  }
  fputc('"', f);
}

/* The CPU's model name, for the record (empty when unknown). */
static void cpu_model(char *out, size_t len) {
  out[0] = 0;
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    char *colon = strchr(line, ':');
    if (strncmp(line, "model name", 10) == 0 && colon) {
      snprintf(out, len, "%s", colon + 2);
      out[strcspn(out, "\n")] = 0;
      break;
    }
  }
  fclose(f);
}

static void write_json(void) {
  FILE *f = fopen(opt.json, "w");
  if (!f) {
    fprintf(stderr, "cannot write %s: %s\n", opt.json, strerror(errno));
    return;
  }
  fprintf(f, "{\n  \"library\": \"libwapc %s\",\n  \"runs\": %d,\n  \"scale\": ", wapc_version(), opt.runs);
  json_num(f, opt.scale);
  char cpu[256];
  cpu_model(cpu, sizeof cpu);
  fprintf(f, ",\n  \"cpu\": ");
  json_str(f, cpu);
  fprintf(f, ",\n  \"cpus\": %ld,\n  \"time\": %lld", sysconf(_SC_NPROCESSORS_ONLN), (long long)time(NULL));
  fprintf(f, ",\n  \"engine_path\": ");
  json_str(f, primary_path);
  fprintf(f, ",\n  \"kernels\": [");
  bool first = true;
  for (int k = 0; k < NKERNELS && opt.compute; k++) {
    const kernel_result *r = &kernels[k];
    if (!r->name) continue;
    fprintf(f, "%s\n    {\"name\": \"%s\", \"n\": %u, \"native_s\": ", first ? "" : ",", r->name, r->n);
    json_num(f, r->native_s);
    fprintf(f, ", \"export_s\": ");
    json_num(f, r->export_s);
    fprintf(f, ", \"wasi_inprocess_s\": ");
    json_num(f, r->wasi_s);
    fprintf(f, ", \"wapc_run_s\": ");
    json_num(f, r->run_s);
    fprintf(f, ", \"ratio\": ");
    json_num(f, r->ratio);
    fprintf(f, ", \"interpreter_s\": ");
    json_num(f, r->interp_s);
    fprintf(f, ", \"interpreter_ratio\": ");
    json_num(f, r->interp_ratio);
    fprintf(f, ", \"simd_s\": ");
    json_num(f, r->simd_s);
    fprintf(f, ", \"simd_scalar_s\": ");
    json_num(f, r->scalar19_s);
    fprintf(f, ", \"native_checksum\": %u, \"export_ok\": %s, \"wasi_ok\": %s, \"run_ok\": %s}",
            r->native_sum, r->export_ok ? "true" : "false", r->wasi_ok ? "true" : "false",
            r->run_ok ? "true" : "false");
    first = false;
  }
  fprintf(f, "\n  ],\n  \"metrics\": [");
  for (int i = 0; i < nmetrics; i++) {
    const metric *m = &metrics[i];
    fprintf(f, "%s\n    {\"section\": ", i ? "," : "");
    json_str(f, m->section);
    fprintf(f, ", \"name\": ");
    json_str(f, m->name);
    fprintf(f, ", \"value\": ");
    json_num(f, m->value);
    fprintf(f, ", \"unit\": ");
    json_str(f, m->unit);
    if (m->op) {
      fprintf(f, ", \"target\": {\"op\": \"%s\", \"value\": ", m->op);
      json_num(f, m->target);
      fprintf(f, "}, \"status\": ");
      json_str(f, met_str(m));
    }
    fprintf(f, ", \"note\": ");
    json_str(f, m->note);
    fputc('}', f);
  }
  fprintf(f, "\n  ]\n}\n");
  fclose(f);
  printf("results written to %s\n", opt.json);
}

static void usage(FILE *f) {
  fprintf(f, "Usage: bench_suite --dir BUILD_DIR [--wapc PATH] [--json FILE] [--runs N] [--scale F]\n"
             "                   [--all-paths] [--only compute|calls|load|guard|serve]\n"
             "Normally run through bench/run.sh, which builds BUILD_DIR's contents first.\n");
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (v && strcmp(a, "--dir") == 0) {
      opt.dir = v, i++;
    } else if (v && strcmp(a, "--wapc") == 0) {
      opt.wapc = v, i++;
    } else if (v && strcmp(a, "--json") == 0) {
      opt.json = v, i++;
    } else if (v && strcmp(a, "--runs") == 0) {
      opt.runs = atoi(v), i++;
    } else if (v && strcmp(a, "--scale") == 0) {
      opt.scale = atof(v), i++;
    } else if (strcmp(a, "--all-paths") == 0) {
      opt.all_paths = true;
    } else if (v && strcmp(a, "--only") == 0) {
      opt.compute = strcmp(v, "compute") == 0;
      opt.calls = strcmp(v, "calls") == 0;
      opt.load = strcmp(v, "load") == 0;
      opt.guard = strcmp(v, "guard") == 0;
      opt.serve = strcmp(v, "serve") == 0;
      i++;
    } else {
      usage(stderr);
      return 64;
    }
  }
  if (!opt.dir || opt.runs < 1 || opt.runs > 16 || !(opt.scale > 0)) {
    usage(stderr);
    return 64;
  }
  static char json_default[1100];
  if (!opt.json) {
    snprintf(json_default, sizeof json_default, "%s/results.json", opt.dir);
    opt.json = json_default;
  }
  if (opt.compute) bench_compute();
  if (opt.calls) bench_calls();
  if (opt.load) bench_load();
  if (opt.guard) bench_guard();
  if (opt.serve) bench_serve();
  print_tables();
  write_json();
  return 0;
}
