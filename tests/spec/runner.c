/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runner.c - the spec test driver.  For each .wast file (given directly or
 * found in a directory) it converts the file with wast2json into the work
 * directory and runs the script (script.c).  Each file runs in a forked child
 * with an alarm, so a crash or a runaway in the engine is reported against
 * its file (and fails the run) without stopping the other files; counts and
 * failure lines live in memory shared with the parent so they survive a
 * crash.  Output: one line per file, its first failures, and a closing
 * "N passed, N failed, N skipped" line; the exit status is 0 only when
 * nothing failed.
 *
 * A suite already converted (the Wasm 3.0 one: ../shared/wasm-testsuite-3.0)
 * runs with --converted DIR (X.wast's script is DIR/X/X.json); with --index
 * FILE (its index.tsv: file, command counts, features) and --features LIST,
 * a file needing a feature not in LIST is skipped as a whole and counted, and
 * the totals are also given per set of features.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "script.h"
#include "vm/vm.h"

extern char **environ;

#define DEFAULT_TIMEOUT 60
#define MAX_JOBS 64
#define SHOWN_FAILURES 5
#define LOG_CAP_BRIEF ((size_t)16 << 10)
#define LOG_CAP_VERBOSE ((size_t)16 << 20)

typedef struct options {
  bool verbose;
  bool fork;
  int jobs;
  unsigned timeout;
  const char *wast2json;
  const char *work;
  const char *converted;     /* pre-converted scripts: DIR/X/X.json, or NULL */
  const char *features;      /* the features the engine has, comma-separated (with an index) */
  const char *wast2json_arg; /* one more argument for wast2json (--enable-tail-call), or NULL */
  const char *exclude[8];    /* file names left out (--exclude: known differences, said in the output) */
  int nexclude;
} options;

/* One row of a converted suite's index.tsv. */
typedef struct index_row {
  char *file;     /* e.g. "legacy/throw.wast" */
  char *features; /* e.g. "exceptions,legacy-exceptions", "" for none */
  uint32_t commands;
} index_row;

typedef struct job {
  char *path; /* the .wast file */
  char *base; /* its name without directory and ".wast" */
  spec_report *rep;
  size_t rep_size;
  pid_t pid;
  int status;
  bool started, done;
  const index_row *row; /* its index row, or NULL */
  char *missing;        /* the first feature it needs that the engine lacks, or NULL */
} job;

#define MAX_FEATURE_SETS 64
typedef struct totals {
  uint64_t passed, failed, skipped, skipped_text;
  uint64_t skipped_files, skipped_commands; /* files needing a missing feature */
  /* per distinct set of features (index rows): passed, failed, skipped */
  const char *set[MAX_FEATURE_SETS];
  uint64_t set_counts[MAX_FEATURE_SETS][3];
  size_t nsets;
} totals;

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: spec_runner [-v] [-j N] [--timeout SEC] [--no-fork] [--wast2json PATH] [--work DIR]\n"
      "                   [--wasm2] [--wast2json-arg ARG] [--converted DIR [--index FILE --features LIST]]\n"
      "                   [--exclude NAME]...\n"
      "                   FILE.wast|DIR...\n"
      "Converts each .wast with wast2json into DIR (default ./spec) and runs its commands;\n"
      "with --converted, runs DIR/X/X.json instead (a suite converted already), skipping the\n"
      "files that the index says need a feature not in LIST (comma-separated).  --wasm2: the\n"
      "engine accepts exactly WebAssembly 2.0 (for the 2.0 suite).\n");
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

static char *join(const char *a, const char *b, const char *c) {
  size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s%s%s", a, b, c);
  return p;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* mkdir -p */
static bool make_dirs(const char *path) {
  char *p = dup_str(path);
  if (!p) return false;
  for (char *s = p + 1;; s++) {
    if (*s == '/' || *s == '\0') {
      char save = *s;
      *s = '\0';
      if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        free(p);
        return false;
      }
      *s = save;
      if (save == '\0') break;
    }
  }
  free(p);
  return true;
}

/* ---- file list ------------------------------------------------------------ */

typedef struct file_list {
  char **items;
  size_t n, cap;
} file_list;

static bool list_add(file_list *l, char *s) {
  if (!s) return false;
  if (l->n == l->cap) {
    size_t ncap = l->cap ? l->cap * 2 : 64;
    char **p = realloc(l->items, ncap * sizeof *p);
    if (!p) {
      free(s);
      return false;
    }
    l->items = p;
    l->cap = ncap;
  }
  l->items[l->n++] = s;
  return true;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add `arg`: a .wast file, or every .wast file in a directory (sorted). */
static bool collect(file_list *l, const char *arg) {
  struct stat st;
  if (stat(arg, &st) != 0) {
    fprintf(stderr, "spec_runner: %s: %s\n", arg, strerror(errno));
    return false;
  }
  if (!S_ISDIR(st.st_mode)) return list_add(l, dup_str(arg));
  DIR *d = opendir(arg);
  if (!d) {
    fprintf(stderr, "spec_runner: %s: %s\n", arg, strerror(errno));
    return false;
  }
  size_t first = l->n;
  struct dirent *e;
  bool ok = true;
  while (ok && (e = readdir(d)) != NULL)
    if (ends_with(e->d_name, ".wast")) ok = list_add(l, join(arg, "/", e->d_name));
  closedir(d);
  qsort(l->items + first, l->n - first, sizeof *l->items, cmp_str);
  if (ok && l->n == first) fprintf(stderr, "spec_runner: no .wast files in %s\n", arg);
  return ok && l->n > first;
}

/* ---- conversion ----------------------------------------------------------- */

/* Run wast2json on the file; true when it exits 0 and prints nothing. */
static bool convert(const job *j, const options *opt, char **json_out) {
  bool ok = false;
  char *dir = join(opt->work, "/", j->base);
  char *json = dir ? join(dir, "/", j->base) : NULL;
  char *json_path = json ? join(json, ".json", "") : NULL;
  char *err_path = dir ? join(dir, "/wast2json.log", "") : NULL;
  posix_spawn_file_actions_t fa;
  bool fa_ok = false;
  pid_t pid;
  int status = 0;
  if (!json_path || !err_path) {
    spec_report_log(j->rep, "  out of memory");
    goto out;
  }
  if (!make_dirs(dir)) {
    spec_report_log(j->rep, "  cannot create %s: %s", dir, strerror(errno));
    goto out;
  }
  if (posix_spawn_file_actions_init(&fa) != 0) goto out;
  fa_ok = true;
  char *argv[] = {(char *)opt->wast2json, j->path, (char *)"-o", json_path, (char *)opt->wast2json_arg, NULL};
  if (posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644) != 0 ||
      posix_spawn_file_actions_adddup2(&fa, 2, 1) != 0)
    goto out;
  int rc = posix_spawnp(&pid, opt->wast2json, &fa, NULL, argv, environ);
  if (rc != 0) {
    spec_report_log(j->rep, "  cannot run %s: %s", opt->wast2json, strerror(rc));
    goto out;
  }
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) goto out;
  struct stat st;
  bool quiet = stat(err_path, &st) == 0 && st.st_size == 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !quiet) {
    spec_report_log(j->rep, "  %s failed (status 0x%x); see %s", opt->wast2json, (unsigned)status, err_path);
    goto out;
  }
  ok = true;
  *json_out = json_path;
  json_path = NULL;
out:
  if (fa_ok) posix_spawn_file_actions_destroy(&fa);
  free(dir);
  free(json);
  free(json_path);
  free(err_path);
  return ok;
}

static void run_file(job *j, const options *opt) {
  char *json = NULL;
  if (opt->converted) {
    char *dir = join(opt->converted, "/", j->base);
    json = dir ? join(dir, "/", j->base) : NULL;
    char *path = json ? join(json, ".json", "") : NULL;
    free(dir);
    free(json);
    if (!path) {
      j->rep->failed++;
      return;
    }
    spec_run_script(path, j->rep);
    free(path);
    return;
  }
  if (!convert(j, opt, &json)) {
    j->rep->failed++;
    return;
  }
  spec_run_script(json, j->rep);
  free(json);
}

/* ---- reports -------------------------------------------------------------- */

static spec_report *report_new(const options *opt, size_t *size) {
  size_t cap = opt->verbose ? LOG_CAP_VERBOSE : LOG_CAP_BRIEF;
  *size = sizeof(spec_report) + cap;
  spec_report *rep;
  if (opt->fork) {
    /* Shared with the child, so its counts and log survive its crash. */
    void *p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return NULL;
    rep = p;
  } else {
    rep = calloc(1, *size);
    if (!rep) return NULL;
  }
  memset(rep, 0, sizeof *rep);
  rep->log = (char *)(rep + 1);
  rep->log_cap = cap;
  rep->log[0] = '\0';
  rep->max_logged = opt->verbose ? 0 : SHOWN_FAILURES;
  return rep;
}

static void report_free(job *j, const options *opt) {
  if (!j->rep) return;
  if (opt->fork)
    munmap(j->rep, j->rep_size);
  else
    free(j->rep);
  j->rep = NULL;
}

static void print_job(const job *j, totals *t) {
  const spec_report *rep = j->rep;
  if (j->missing) {
    const char *name = strrchr(j->path, '/');
    printf("%s: skipped: %s%s (%" PRIu32 " commands)\n", name ? name + 1 : j->path,
           j->missing[0] == '(' ? "" : "needs ", j->missing, j->row->commands);
    t->skipped_files++;
    t->skipped_commands += j->row->commands;
    return;
  }
  uint32_t failed = rep->failed;
  char extra[160] = "";
  if (WIFSIGNALED(j->status)) {
    int sig = WTERMSIG(j->status);
    if (sig == SIGALRM)
      snprintf(extra, sizeof extra, "  TIMEOUT: the file did not finish in time (at line %" PRIu32 ")",
               rep->line);
    else
      snprintf(extra, sizeof extra, "  CRASH: signal %d (%s) at line %" PRIu32, sig, strsignal(sig),
               rep->line);
    failed++;
  } else if (WIFEXITED(j->status) && WEXITSTATUS(j->status) != 0) {
    snprintf(extra, sizeof extra, "  child exited with status %d (sanitizer report on stderr?)",
             WEXITSTATUS(j->status));
    failed++;
  }
  const char *name = strrchr(j->path, '/');
  name = name ? name + 1 : j->path;
  printf("%s: %" PRIu32 " passed, %" PRIu32 " failed, %" PRIu32 " skipped\n", name, rep->passed, failed,
         rep->skipped);
  if (rep->log_len) fputs(rep->log, stdout);
  if (rep->dropped) printf("  ... %" PRIu32 " more failure lines (run with -v for all)\n", rep->dropped);
  if (extra[0]) printf("%s\n", extra);
  t->passed += rep->passed;
  t->failed += failed;
  t->skipped += rep->skipped;
  t->skipped_text += rep->skipped_text;
  if (j->row) {
    const char *set = j->row->features[0] ? j->row->features : "(none)";
    size_t k = 0;
    while (k < t->nsets && strcmp(t->set[k], set) != 0)
      k++;
    if (k == t->nsets && k < MAX_FEATURE_SETS) t->set[t->nsets++] = set;
    if (k < t->nsets) {
      t->set_counts[k][0] += rep->passed;
      t->set_counts[k][1] += failed;
      t->set_counts[k][2] += rep->skipped;
    }
  }
}

/* ---- the index of a converted suite ---------------------------------------- */

/* Read index.tsv: a header line, then "file<TAB>commands<TAB>...<TAB>features" per line. */
static index_row *read_index(const char *path, size_t *n) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "spec_runner: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  index_row *rows = NULL;
  size_t cap = 0;
  char line[4096];
  bool header = true, ok = true;
  *n = 0;
  while (ok && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (header || !line[0]) {
      header = false;
      continue;
    }
    char *tab = strchr(line, '\t'), *last = strrchr(line, '\t');
    if (!tab) continue;
    *tab = '\0';
    if (*n == cap) {
      cap = cap ? cap * 2 : 128;
      index_row *p = realloc(rows, cap * sizeof *p);
      if (!p) {
        ok = false;
        break;
      }
      rows = p;
    }
    index_row *r = &rows[(*n)++];
    r->file = dup_str(line);
    r->features = dup_str(last > tab ? last + 1 : "");
    r->commands = (uint32_t)strtoul(tab + 1, NULL, 10);
    ok = r->file && r->features;
  }
  fclose(f);
  if (!ok) {
    fprintf(stderr, "spec_runner: out of memory reading %s\n", path);
    for (size_t i = 0; i < *n; i++)
      free(rows[i].file), free(rows[i].features);
    free(rows);
    return NULL;
  }
  return rows;
}

/* The row whose file is the longest suffix of `path` (at a '/'), or NULL. */
static const index_row *find_row(const index_row *rows, size_t n, const char *path) {
  const index_row *best = NULL;
  size_t lp = strlen(path), best_len = 0;
  for (size_t i = 0; i < n; i++) {
    size_t lf = strlen(rows[i].file);
    if (lf > lp || lf <= best_len || strcmp(path + lp - lf, rows[i].file) != 0) continue;
    if (lf < lp && path[lp - lf - 1] != '/') continue;
    best = &rows[i];
    best_len = lf;
  }
  return best;
}

/* The first feature of the comma-separated `needs` missing from `have`, as a new string, or NULL. */
static char *missing_feature(const char *needs, const char *have) {
  const char *p = needs;
  while (*p) {
    size_t len = strcspn(p, ",");
    bool found = false;
    for (const char *h = have; *h && !found;) {
      size_t hl = strcspn(h, ",");
      found = hl == len && strncmp(h, p, len) == 0;
      h += hl + (h[hl] == ',');
    }
    if (!found && len) {
      char *m = malloc(len + 1);
      if (m) memcpy(m, p, len), m[len] = '\0';
      return m ? m : dup_str("?");
    }
    p += len + (p[len] == ',');
  }
  return NULL;
}

/* ---- scheduling ----------------------------------------------------------- */

static void start_job(job *j, const options *opt) {
  j->started = true;
  if (j->missing) {
    j->done = true;
    return;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGALRM, SIG_DFL);
    alarm(opt->timeout);
    run_file(j, opt);
    exit(0); /* exit(), not _exit(): LeakSanitizer checks the child here */
  }
  if (pid < 0) {
    spec_report_log(j->rep, "  fork failed: %s", strerror(errno));
    j->rep->failed++;
    j->done = true;
    return;
  }
  j->pid = pid;
}

static void run_all(job *jobs, size_t n, const options *opt, totals *t) {
  size_t next_start = 0, next_print = 0, running = 0;
  while (next_print < n) {
    while (opt->fork && running < (size_t)opt->jobs && next_start < n) {
      start_job(&jobs[next_start], opt);
      if (!jobs[next_start].done) running++;
      next_start++;
    }
    if (!opt->fork && next_start < n) {
      job *j = &jobs[next_start++];
      j->started = true;
      if (!j->missing) run_file(j, opt);
      j->done = true;
    }
    if (running > 0 && !jobs[next_print].done) {
      int status;
      pid_t pid = waitpid(-1, &status, 0);
      if (pid < 0) {
        if (errno == EINTR) continue;
        perror("spec_runner: waitpid");
        exit(2);
      }
      for (size_t i = 0; i < next_start; i++) {
        if (jobs[i].pid == pid && !jobs[i].done) {
          jobs[i].status = status;
          jobs[i].done = true;
          running--;
          break;
        }
      }
    }
    while (next_print < n && jobs[next_print].done) {
      print_job(&jobs[next_print], t);
      report_free(&jobs[next_print], opt);
      next_print++;
    }
    fflush(stdout);
  }
}

/* ---- main ----------------------------------------------------------------- */

static bool parse_uint(const char *s, unsigned max, unsigned *out) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || !*s || *end || v == 0 || v > max) return false;
  *out = (unsigned)v;
  return true;
}

int main(int argc, char **argv) {
  options opt;
  memset(&opt, 0, sizeof opt);
  opt.fork = true;
  opt.jobs = 1;
  opt.timeout = DEFAULT_TIMEOUT;
  opt.wast2json = "wast2json";
  opt.work = "spec";
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  opt.jobs = ncpu < 1 ? 1 : ncpu > 16 ? 16 : (int)ncpu;
  file_list files = {NULL, 0, 0};
  int rc = 2;
  job *jobs = NULL;
  const char *index_path = NULL;
  index_row *rows = NULL;
  size_t nrows = 0;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    unsigned v;
    if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
      opt.verbose = true;
    } else if (strcmp(a, "--no-fork") == 0) {
      opt.fork = false;
    } else if (strcmp(a, "-j") == 0 && i + 1 < argc && parse_uint(argv[i + 1], MAX_JOBS, &v)) {
      opt.jobs = (int)v;
      i++;
    } else if (strcmp(a, "--timeout") == 0 && i + 1 < argc && parse_uint(argv[i + 1], 86400, &v)) {
      opt.timeout = v;
      i++;
    } else if (strcmp(a, "--wast2json") == 0 && i + 1 < argc) {
      opt.wast2json = argv[++i];
    } else if (strcmp(a, "--work") == 0 && i + 1 < argc) {
      opt.work = argv[++i];
    } else if (strcmp(a, "--exclude") == 0 && i + 1 < argc && opt.nexclude < 8) {
      opt.exclude[opt.nexclude++] = argv[++i];
    } else if (strcmp(a, "--wasm2") == 0) {
      spec_set_features(VM_FEATURES_WASM2);
    } else if (strcmp(a, "--wast2json-arg") == 0 && i + 1 < argc) {
      opt.wast2json_arg = argv[++i];
    } else if (strcmp(a, "--converted") == 0 && i + 1 < argc) {
      opt.converted = argv[++i];
    } else if (strcmp(a, "--index") == 0 && i + 1 < argc) {
      index_path = argv[++i];
    } else if (strcmp(a, "--features") == 0 && i + 1 < argc) {
      opt.features = argv[++i];
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (a[0] == '-') {
      usage(stderr);
      return 2;
    } else if (!collect(&files, a)) {
      goto out;
    }
  }
  if (files.n == 0) {
    usage(stderr);
    goto out;
  }
  if (index_path && !(rows = read_index(index_path, &nrows))) goto out;
  if (!make_dirs(opt.work)) {
    fprintf(stderr, "spec_runner: cannot create %s: %s\n", opt.work, strerror(errno));
    goto out;
  }

  jobs = calloc(files.n, sizeof *jobs);
  if (!jobs) goto out;
  for (size_t i = 0; i < files.n; i++) {
    job *j = &jobs[i];
    j->path = files.items[i];
    const char *name = strrchr(j->path, '/');
    name = name ? name + 1 : j->path;
    j->base = dup_str(name);
    j->rep = report_new(&opt, &j->rep_size);
    if (!j->base || !j->rep) {
      fprintf(stderr, "spec_runner: out of memory\n");
      goto out;
    }
    if (ends_with(j->base, ".wast")) j->base[strlen(j->base) - 5] = '\0';
    j->row = rows ? find_row(rows, nrows, j->path) : NULL;
    if (j->row && opt.features) j->missing = missing_feature(j->row->features, opt.features);
    for (int k = 0; k < opt.nexclude && !j->missing; k++)
      if (strcmp(j->base, opt.exclude[k]) == 0 && j->row) j->missing = dup_str("(excluded: --exclude)");
  }

  totals t;
  memset(&t, 0, sizeof t);
  run_all(jobs, files.n, &opt, &t);
  if (t.skipped_text)
    printf("skipped: %" PRIu64
           " text-format assert_malformed modules (the engine reads only the binary format)\n",
           t.skipped_text);
  if (t.nsets) {
    printf("per set of features (passed / failed / skipped):\n");
    for (size_t k = 0; k < t.nsets; k++)
      printf("  %-40s %8" PRIu64 " %8" PRIu64 " %8" PRIu64 "\n", t.set[k], t.set_counts[k][0],
             t.set_counts[k][1], t.set_counts[k][2]);
  }
  if (t.skipped_files)
    printf("skipped: %" PRIu64 " files needing features the engine lacks (%" PRIu64 " commands)\n",
           t.skipped_files, t.skipped_commands);
  printf("%" PRIu64 " passed, %" PRIu64 " failed, %" PRIu64 " skipped\n", t.passed, t.failed, t.skipped);
  rc = t.failed == 0 ? 0 : 1;

out:
  if (jobs) {
    for (size_t i = 0; i < files.n; i++) {
      free(jobs[i].base);
      free(jobs[i].missing);
      report_free(&jobs[i], &opt);
    }
  }
  free(jobs);
  for (size_t i = 0; i < files.n; i++)
    free(files.items[i]);
  free(files.items);
  for (size_t i = 0; i < nrows; i++)
    free(rows[i].file), free(rows[i].features);
  free(rows);
  return rc;
}
