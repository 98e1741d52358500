/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - the `wapc` command-line tool, built on the public API only.
 *
 *   wapc call [OPTIONS] MODULE OPERATION [PAYLOAD]
 *   wapc run [OPTIONS] MODULE [ARGS...]
 *
 * A stable contract for scripts: the response bytes exactly on stdout (exit
 * 0), or one line on stderr with exit 1 (guest error), 2 (trap), 3
 * (deadline/limit), 4 (module cannot be read, is malformed/invalid, fails to
 * link or initialise), 64 (bad usage), 74 (standard input or output failed,
 * e.g. a full disk or a closed pipe).  Every error line starts with "wapc: ",
 * then the module's file name and ": " when it concerns the module (the rest
 * is the library's message, a guest's error text verbatim).  `--host CMD` answers the guest's host
 * calls by running `sh -c CMD` per call (payload on stdin, response on
 * stdout, failure message on stderr).  `--dir`, `--dir-ro`, `--env`, `--arg`
 * configure WASI; the guest's WASI stdout goes to our stderr so that stdout
 * carries only the response.
 *
 * `wapc run` runs a WASI command's `_start` with stdio inherited and exits
 * with the guest's exit code; 125 when the module cannot be run at all, 134
 * when it traps (as an abort would), 3 when a guardrail stops it, 64 for bad
 * usage.  Both commands take the guardrail options (--timeout,
 * --init-timeout, --fuel, --max-memory-pages, --max-stack).  `wapc help
 * [COMMAND]` prints the help of the tool or of COMMAND.
 */
#include "bench.h"
#include "inspect.h"
#include "options.h"
#include "wapc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
  EXIT_GUEST = 1,
  EXIT_TRAP = 2,
  EXIT_LIMIT = 3,
  EXIT_MODULE = 4,
  EXIT_USAGE = 64,
  EXIT_IO = 74, /* sysexits.h EX_IOERR, next to EX_USAGE */
  EXIT_RUN_ERROR = 125,
  EXIT_RUN_TRAP = 134,
};

static const char usage_main[] = "Usage: wapc <COMMAND> [OPTIONS]\n"
                                 "\n"
                                 "Commands:\n"
                                 "  call     call an operation of a waPC guest module\n"
                                 "  run      run a WASI command module\n"
                                 "  bench    time in-process calls of an operation\n"
                                 "  inspect  print a module's imports, exports and sections\n"
                                 "  help     print this help, or the help of a command\n"
                                 "\n"
                                 "Options:\n"
                                 "  -h, --help     print this help\n"
                                 "  -V, --version  print the version\n"
                                 "\n"
                                 "Run 'wapc help COMMAND' (or 'wapc COMMAND --help') for the details of a\n"
                                 "command, 'man wapc' for the manual.\n";

static const char usage_call[] =
    "Usage: wapc call [OPTIONS] MODULE OPERATION [PAYLOAD]\n"
    "\n"
    "Load the waPC guest MODULE (a .wasm file), call OPERATION with PAYLOAD (the\n"
    "argument's bytes; without it, standard input is read to EOF) and write the\n"
    "response bytes, exactly, to standard output.  Use -- before a payload that\n"
    "starts with '-'.\n"
    "\n"
    "Options:\n"
    "  --host CMD   serve the guest's host calls: for each call, run `sh -c CMD`\n"
    "               with WAPC_BINDING, WAPC_NAMESPACE, WAPC_OPERATION and\n"
    "               WAPC_HOST_ID in its environment and the payload on stdin.\n"
    "               Exit 0: its stdout is the response; otherwise the call fails\n"
    "               with its stderr (less the trailing newline) as the message.\n"
    "               Without --host, host calls fail with \"no host callback is\n"
    "               configured\".\n"
    "  --dir HOST[:GUEST]     give the guest the directory HOST, named GUEST\n"
    "                         (default: HOST) through WASI\n"
    "  --dir-ro HOST[:GUEST]  the same, read-only\n"
    "  --env KEY=VALUE        a WASI environment variable (KEY alone: the\n"
    "                         value of KEY in our environment)\n"
    "  --arg ARG              append ARG to the guest's WASI arguments\n"
    "  --timeout MS           stop the call after MS milliseconds (exit 3)\n"
    "  --init-timeout MS      stop the module's initialisation after MS milliseconds\n"
    "  --fuel N               stop the call after about N wasm instructions (exit 3)\n"
    "  --max-memory-pages N   cap linear memory at N 64 KiB pages: memory.grow past it\n"
    "                         returns -1; a larger initial memory is refused (exit 3)\n"
    "  --max-stack N          cap the guest's call depth at N frames (deeper: trap)\n"
    "  --tier NAME            how guest code runs: auto (default: machine code where\n"
    "                         the library has its compiler), interpreter, compiler\n"
    "  --wasm VERSION         accept 3.0 (default: 2.0 and the 3.0 proposals the\n"
    "                         engine has) or exactly 2.0\n"
    "  --pre-init             start from a pre-initialised image of the module (the\n"
    "                         initialisation runs once, then is mapped; see wapc(1))\n"
    "  -h, --help   print this help\n"
    "\n"
    "The guest's __console_log lines and its WASI stdout and stderr go to\n"
    "standard error; its WASI stdin is empty.\n"
    "\n"
    "Exit status:\n"
    "  0   success\n"
    "  1   guest error (including a failed host call that the guest reports)\n"
    "  2   trap\n"
    "  3   stopped: deadline exceeded, fuel exhausted or another limit exceeded\n"
    "  4   module unreadable, malformed, invalid, unlinkable, or its initialisation failed\n"
    "  64  bad usage\n"
    "  74  standard input could not be read or the response could not be written\n"
    "\n"
    "Error lines start with \"wapc: \" and, when they concern the module, its file\n"
    "name and \": \"; a guest's error text follows verbatim.\n";

static const char usage_run[] =
    "Usage: wapc run [OPTIONS] MODULE [ARGS...]\n"
    "\n"
    "Run the WASI command MODULE (a .wasm file exporting _start) with MODULE\n"
    "and ARGS as its arguments and standard input, output and error inherited.\n"
    "Options end at MODULE (or --).\n"
    "\n"
    "Options:\n"
    "  --dir HOST[:GUEST]     give the guest the directory HOST, named GUEST\n"
    "                         (default: HOST)\n"
    "  --dir-ro HOST[:GUEST]  the same, read-only\n"
    "  --env KEY=VALUE        an environment variable (KEY alone: the value of\n"
    "                         KEY in our environment)\n"
    "  --timeout MS           stop _start after MS milliseconds (exit 3)\n"
    "  --init-timeout MS      stop the module's initialisation after MS milliseconds\n"
    "  --fuel N               stop _start after about N wasm instructions (exit 3)\n"
    "  --max-memory-pages N   cap linear memory at N 64 KiB pages: memory.grow past it\n"
    "                         returns -1; a larger initial memory is refused (exit 3)\n"
    "  --max-stack N          cap the guest's call depth at N frames (deeper: trap)\n"
    "  --tier NAME            how guest code runs: auto (default: machine code where\n"
    "                         the library has its compiler), interpreter, compiler\n"
    "  --wasm VERSION         accept 3.0 (default: 2.0 and the 3.0 proposals the\n"
    "                         engine has) or exactly 2.0\n"
    "  -h, --help             print this help\n"
    "\n"
    "Exit status: the guest's exit code (0 when _start returns), except:\n"
    "  3    a deadline, the fuel or another limit stopped it\n"
    "  64   bad usage\n"
    "  125  the module cannot be read, loaded, linked or initialised, or it is\n"
    "       not a WASI command (no _start export)\n"
    "  134  it trapped (as a process that aborts)\n"
    "A guest may itself exit with one of these codes: the error line on\n"
    "standard error (\"wapc: MODULE: ...\") tells them apart.\n";

/* ---- byte buffers and I/O ------------------------------------------------------ */

typedef struct buf {
  uint8_t *data;
  size_t len, cap;
} buf;

static bool buf_append(buf *b, const void *src, size_t n) {
  if (n > SIZE_MAX - b->len - 1) return false;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) {
      if (cap > SIZE_MAX / 2) {
        cap = b->len + n + 1;
        break;
      }
      cap *= 2;
    }
    uint8_t *p = realloc(b->data, cap);
    if (!p) return false;
    b->data = p;
    b->cap = cap;
  }
  if (n) memcpy(b->data + b->len, src, n);
  b->len += n;
  b->data[b->len] = 0;
  return true;
}

/* Read fd to EOF; false with errno on failure. */
static bool read_all(int fd, buf *b) {
  uint8_t chunk[65536];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (!buf_append(b, chunk, (size_t)n)) {
      errno = ENOMEM;
      return false;
    }
  }
}

static bool write_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= (size_t)w;
  }
  return true;
}

/*
 * One line on stderr: "wapc: FILE: " then the message as is (a guest's text
 * verbatim), made single-line.
 */
static void print_error(const char *file, const char *msg, size_t len) {
  fprintf(stderr, "wapc: %s: ", file);
  for (size_t i = 0; i < len; i++) {
    char c = msg[i];
    fputc(c == '\n' || c == '\r' ? ' ' : c, stderr);
  }
  fputc('\n', stderr);
}

/* ---- --host CMD -------------------------------------------------------------- */

typedef struct host_cmd {
  const char *cmd;
  buf out, err;
} host_cmd;

/*
 * Run `sh -c CMD` with the call in its environment and the payload on its
 * stdin; stdin, stdout and stderr are served together with poll() so a
 * command that answers before reading everything cannot deadlock us.
 */
static void host_callback(void *user, uint64_t host_id, wapc_str binding, wapc_str ns, wapc_str operation,
                          const uint8_t *payload, size_t payload_len, wapc_result *result) {
  host_cmd *hc = user;
  hc->out.len = 0;
  hc->err.len = 0;
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  if (pipe(in) != 0 || pipe(out) != 0 || pipe(err) != 0) {
    wapc_result_set_error(result, "cannot create pipes for the host command");
    goto close_all;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    wapc_result_set_error(result, "cannot start the host command");
    goto close_all;
  }
  if (pid == 0) {
    char id[32];
    snprintf(id, sizeof id, "%" PRIu64, host_id);
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
    close(err[0]);
    close(err[1]);
    signal(SIGPIPE, SIG_DFL);
    if (setenv("WAPC_BINDING", binding.data, 1) != 0 || setenv("WAPC_NAMESPACE", ns.data, 1) != 0 ||
        setenv("WAPC_OPERATION", operation.data, 1) != 0 || setenv("WAPC_HOST_ID", id, 1) != 0)
      _exit(127);
    execl("/bin/sh", "sh", "-c", hc->cmd, (char *)NULL);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  in[0] = out[1] = err[1] = -1;

  size_t sent = 0;
  if (payload_len == 0) {
    close(in[1]);
    in[1] = -1;
  }
  bool ok = true;
  while (out[0] >= 0 || err[0] >= 0 || in[1] >= 0) {
    struct pollfd p[3];
    int n = 0, ii = -1, io = -1, ie = -1;
    if (in[1] >= 0) {
      p[n] = (struct pollfd){in[1], POLLOUT, 0};
      ii = n++;
    }
    if (out[0] >= 0) {
      p[n] = (struct pollfd){out[0], POLLIN, 0};
      io = n++;
    }
    if (err[0] >= 0) {
      p[n] = (struct pollfd){err[0], POLLIN, 0};
      ie = n++;
    }
    if (poll(p, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      ok = false;
      break;
    }
    if (ii >= 0 && p[ii].revents) {
      size_t chunk = payload_len - sent < 65536 ? payload_len - sent : 65536;
      ssize_t w = (p[ii].revents & POLLOUT) ? write(in[1], payload + sent, chunk) : -1;
      if (w > 0) sent += (size_t)w;
      if (w < 0 && errno == EINTR) continue;
      /* The command may stop reading early: that is its business, not an error. */
      if (w <= 0 || sent == payload_len) {
        close(in[1]);
        in[1] = -1;
      }
    }
    int rfds[2] = {io, ie};
    int *fds[2] = {&out[0], &err[0]};
    buf *bufs[2] = {&hc->out, &hc->err};
    for (int k = 0; k < 2; k++) {
      if (rfds[k] < 0 || !p[rfds[k]].revents) continue;
      uint8_t chunk[65536];
      ssize_t r = read(*fds[k], chunk, sizeof chunk);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        close(*fds[k]);
        *fds[k] = -1;
      } else if (!buf_append(bufs[k], chunk, (size_t)r)) {
        ok = false;
      }
    }
    if (!ok) break;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      ok = false;
      break;
    }
  }
  if (!ok) {
    wapc_result_set_error(result, "the host command failed (out of memory or I/O error)");
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    /* On success its stderr is diagnostics: pass it through. */
    if (hc->err.len) write_all(2, hc->err.data, hc->err.len);
    wapc_result_set_bytes(result, hc->out.data, hc->out.len);
  } else {
    size_t len = hc->err.len;
    if (len && hc->err.data[len - 1] == '\n') len--;
    if (len) {
      wapc_result_set_error_bytes(result, hc->err.data, len);
    } else {
      char msg[96];
      if (WIFSIGNALED(status))
        snprintf(msg, sizeof msg, "the host command was killed by signal %d", WTERMSIG(status));
      else
        snprintf(msg, sizeof msg, "the host command exited with status %d", WEXITSTATUS(status));
      wapc_result_set_error(result, msg);
    }
  }
close_all:
  for (int i = 0; i < 2; i++) {
    if (in[i] >= 0) close(in[i]);
    if (out[i] >= 0) close(out[i]);
    if (err[i] >= 0) close(err[i]);
  }
}

/* ---- wapc call ------------------------------------------------------------------- */

static int exit_code(wapc_status st) {
  switch (st) {
  case WAPC_OK: return 0;
  case WAPC_ERR_TRAP: return EXIT_TRAP;
  case WAPC_ERR_DEADLINE:
  case WAPC_ERR_INTERRUPTED:
  case WAPC_ERR_LIMIT:
  case WAPC_ERR_NOMEM: return EXIT_LIMIT;
  case WAPC_ERR_MALFORMED:
  case WAPC_ERR_INVALID:
  case WAPC_ERR_LINK:
  case WAPC_ERR_INIT:
  case WAPC_ERR_IO: return EXIT_MODULE;
  default: return EXIT_GUEST;
  }
}

/* ---- WASI options ------------------------------------------------------------------ */

typedef struct wasi_opts {
  const char **args;
  size_t nargs;
  const char **env;
  size_t nenv;
  wapc_wasi_dir *dirs;
  size_t ndirs;
  char **owned; /* strings we allocated */
  size_t nowned;
} wasi_opts;

static bool wasi_opts_init(wasi_opts *w, int argc) {
  memset(w, 0, sizeof *w);
  size_t n = (size_t)argc + 2;
  w->args = calloc(n, sizeof *w->args);
  w->env = calloc(n, sizeof *w->env);
  w->dirs = calloc(n, sizeof *w->dirs);
  w->owned = calloc(2 * n, sizeof *w->owned);
  return w->args && w->env && w->dirs && w->owned;
}

static void wasi_opts_free(wasi_opts *w) {
  for (size_t i = 0; i < w->nowned; i++)
    free(w->owned[i]);
  free(w->owned);
  free(w->args);
  free(w->env);
  free(w->dirs);
}

static char *keep(wasi_opts *w, char *s) {
  if (s) w->owned[w->nowned++] = s;
  return s;
}

/* A WASI option's value into `w`: 1, or -1 after printing an error. */
static int wasi_opt(wasi_opts *w, const cli_parsed *p, const char *cmd) {
  const char *val = p->text;
  cli_opt_id which = p->opt->id;
  if (which == OPT_DIR || which == OPT_DIR_RO) {
    const char *colon = strchr(val, ':');
    char *host = keep(w, colon ? strndup(val, (size_t)(colon - val)) : strdup(val));
    if (!host) {
      fprintf(stderr, "wapc: out of memory\n");
      return -1;
    }
    if (!host[0] || (colon && !colon[1])) {
      cli_usage_error(cmd, "bad directory mapping", val);
      return -1;
    }
    int fd = open(host, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      fprintf(stderr, "wapc: cannot open directory '%s': %s\n", host, strerror(errno));
      return -1;
    }
    close(fd);
    wapc_wasi_dir *d = &w->dirs[w->ndirs++];
    d->host_path = host;
    d->guest_path = colon ? colon + 1 : host;
    d->read_only = which == OPT_DIR_RO;
  } else if (which == OPT_ENV) {
    if (!val[0] || val[0] == '=') {
      cli_usage_error(cmd, "bad environment variable", val);
      return -1;
    }
    if (strchr(val, '=')) {
      w->env[w->nenv++] = val;
    } else {
      /* KEY alone: pass our own value, or nothing when we have none. */
      const char *v = getenv(val);
      if (v) {
        size_t n = strlen(val) + strlen(v) + 2;
        char *kv = keep(w, malloc(n));
        if (!kv) {
          fprintf(stderr, "wapc: out of memory\n");
          return -1;
        }
        snprintf(kv, n, "%s=%s", val, v);
        w->env[w->nenv++] = kv;
      }
    }
  } else {
    w->args[w->nargs++] = val;
  }
  return 1;
}

/* ---- guardrail options ---------------------------------------------------------------- */

/* A guardrail option's value (in range: options.c) into `o`. */
static void guard_opt(wapc_builtin_options *o, const cli_parsed *p) {
  switch (p->opt->id) {
  case OPT_TIMEOUT: o->timeout_ms = (uint32_t)p->number; break;
  case OPT_INIT_TIMEOUT: o->init_timeout_ms = (uint32_t)p->number; break;
  case OPT_FUEL: o->fuel = p->number; break;
  case OPT_MAX_MEMORY_PAGES: o->max_memory_pages = (uint32_t)p->number; break;
  case OPT_MAX_STACK: o->max_call_depth = (uint32_t)p->number; break;
  default: break;
  }
}

/* What an option of `call` or `run` sets: 1, or -1 after printing an error. */
static int apply_option(const cli_parsed *p, wapc_builtin_options *o, wasi_opts *w, const char **host_command,
                        const char *cmd) {
  switch (p->opt->id) {
  case OPT_HOST: *host_command = p->text; return 1;
  case OPT_DIR:
  case OPT_DIR_RO:
  case OPT_ENV:
  case OPT_ARG: return wasi_opt(w, p, cmd);
  case OPT_TIER: o->tier = (uint32_t)p->number; return 1;
  case OPT_WASM: o->wasm = (uint32_t)p->number; return 1;
  case OPT_PRE_INIT: o->pre_init = 1; return 1;
  default: guard_opt(o, p); return 1;
  }
}

static void wasi_opts_apply(const wasi_opts *w, wapc_builtin_options *o) {
  o->wasi_args = w->args;
  o->wasi_nargs = w->nargs;
  o->wasi_env = w->env;
  o->wasi_nenv = w->nenv;
  o->wasi_dirs = w->dirs;
  o->wasi_ndirs = w->ndirs;
}

static int cmd_call_with(int argc, char **argv, wasi_opts *wo);

static int cmd_call(int argc, char **argv) {
  wasi_opts wo;
  if (!wasi_opts_init(&wo, argc)) {
    wasi_opts_free(&wo);
    fprintf(stderr, "wapc: out of memory\n");
    return EXIT_LIMIT;
  }
  int rc = cmd_call_with(argc, argv, &wo);
  wasi_opts_free(&wo);
  return rc;
}

static int cmd_call_with(int argc, char **argv, wasi_opts *wo) {
  const char *host_cmd_str = NULL;
  const char *pos[3];
  int npos = 0;
  bool only_pos = false;
  wapc_builtin_options opts;
  wapc_builtin_options_init(&opts);
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    cli_parsed p;
    int r = only_pos ? 0 : cli_option_next(CLI_CALL, "call", argc, argv, &i, &p);
    if (r < 0) return EXIT_USAGE;
    if (r > 0 && p.opt->id == OPT_HELP) {
      fputs(usage_call, stdout);
      return 0;
    }
    if (r > 0) {
      if (apply_option(&p, &opts, wo, &host_cmd_str, "call") < 0) return EXIT_USAGE;
      continue;
    }
    if (!only_pos && strcmp(a, "--") == 0) {
      only_pos = true;
    } else if (!only_pos && a[0] == '-' && a[1] != 0) {
      return cli_usage_error("call", "unknown option", a);
    } else {
      if (npos == 3) return cli_usage_error("call", "unexpected argument", a);
      pos[npos++] = a;
    }
  }
  if (npos < 2) return cli_usage_error("call", "missing MODULE or OPERATION", NULL);

  buf module = {0};
  FILE *f = fopen(pos[0], "rb");
  if (!f || !read_all(fileno(f), &module)) {
    fprintf(stderr, "wapc: %s: cannot read module: %s\n", pos[0], strerror(errno));
    if (f) fclose(f);
    free(module.data);
    return EXIT_MODULE;
  }
  fclose(f);

  buf input = {0};
  const uint8_t *payload;
  size_t payload_len;
  if (npos == 3) {
    payload = (const uint8_t *)pos[2];
    payload_len = strlen(pos[2]);
  } else {
    if (!read_all(0, &input)) {
      fprintf(stderr, "wapc: cannot read standard input: %s\n", strerror(errno));
      free(module.data);
      free(input.data);
      return EXIT_IO;
    }
    payload = input.data;
    payload_len = input.len;
  }

  host_cmd hc = {host_cmd_str, {0}, {0}};
  wapc_host *host = NULL;
  int rc = 0;
  wasi_opts_apply(wo, &opts);
  /* The guest's stdout must not mix with the response bytes. */
  opts.wasi_stdout.mode = WAPC_STDIO_FD;
  opts.wasi_stdout.fd = 2;
  char msg[512];
  wapc_status st =
      wapc_host_new_builtin(&opts, host_cmd_str ? host_callback : NULL, &hc, &host, msg, sizeof msg);
  if (st != WAPC_OK) {
    fprintf(stderr, "wapc: cannot create a host: %s\n", msg);
    rc = exit_code(st);
    goto done;
  }
  st = wapc_host_load(host, module.data, module.len);
  free(module.data);
  module.data = NULL;
  if (st == WAPC_OK) {
    const uint8_t *resp;
    size_t resp_len;
    st = wapc_host_call(host, pos[1], strlen(pos[1]), payload, payload_len, &resp, &resp_len);
    if (st == WAPC_OK && !write_all(1, resp, resp_len)) {
      fprintf(stderr, "wapc: cannot write the response: %s\n", strerror(errno));
      rc = EXIT_IO;
      goto done;
    }
  }
  if (st != WAPC_OK) {
    print_error(pos[0], wapc_host_last_error(host), wapc_host_last_error_len(host));
    rc = exit_code(st);
  }
done:
  wapc_host_free(host);
  free(module.data);
  free(input.data);
  free(hc.out.data);
  free(hc.err.data);
  return rc;
}

/* ---- wapc run ---------------------------------------------------------------------- */

static int cmd_run(int argc, char **argv) {
  wasi_opts wo;
  if (!wasi_opts_init(&wo, argc)) {
    wasi_opts_free(&wo);
    fprintf(stderr, "wapc: out of memory\n");
    return EXIT_RUN_ERROR;
  }
  int rc = 0;
  int i = 0;
  wapc_builtin_options opts;
  wapc_builtin_options_init(&opts);
  for (; i < argc; i++) {
    const char *a = argv[i];
    cli_parsed p;
    const char *no_host = NULL;
    int r = cli_option_next(CLI_RUN, "run", argc, argv, &i, &p);
    if (r > 0 && p.opt->id == OPT_HELP) {
      fputs(usage_run, stdout);
      goto done;
    }
    if (r > 0) r = apply_option(&p, &opts, &wo, &no_host, "run");
    if (r < 0) {
      rc = EXIT_USAGE;
      goto done;
    }
    if (r > 0) continue;
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (a[0] == '-' && a[1] != 0) {
      rc = cli_usage_error("run", "unknown option", a);
      goto done;
    }
    break;
  }
  if (i >= argc) {
    rc = cli_usage_error("run", "missing MODULE", NULL);
    goto done;
  }
  /* argv for the guest: MODULE as given, then its arguments. */
  for (int k = i; k < argc; k++)
    wo.args[wo.nargs++] = argv[k];

  buf module = {0};
  FILE *f = fopen(argv[i], "rb");
  if (!f || !read_all(fileno(f), &module)) {
    fprintf(stderr, "wapc: %s: cannot read module: %s\n", argv[i], strerror(errno));
    if (f) fclose(f);
    free(module.data);
    rc = EXIT_RUN_ERROR;
    goto done;
  }
  fclose(f);
  wasi_opts_apply(&wo, &opts);
  opts.wasi_stdin.mode = WAPC_STDIO_INHERIT;
  opts.wasi_stdout.mode = WAPC_STDIO_INHERIT;
  opts.wasi_stderr.mode = WAPC_STDIO_INHERIT;
  char msg[512];
  int code = 0;
  wapc_status st = wapc_wasi_run(&opts, module.data, module.len, &code, msg, sizeof msg);
  free(module.data);
  if (st == WAPC_OK) {
    rc = code;
  } else {
    print_error(argv[i], msg, strlen(msg));
    if (st == WAPC_ERR_TRAP)
      rc = EXIT_RUN_TRAP;
    else if (st == WAPC_ERR_DEADLINE || st == WAPC_ERR_INTERRUPTED || st == WAPC_ERR_LIMIT)
      rc = EXIT_LIMIT;
    else
      rc = EXIT_RUN_ERROR;
  }
done:
  wasi_opts_free(&wo);
  fflush(stdout);
  return rc;
}

int main(int argc, char **argv) {
  /* A host command or a reader that goes away must give EPIPE, not kill us. */
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    fputs(usage_main, stderr);
    return EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "help") == 0 && argc > 2) {
    const char *topic = argv[2];
    if (argc > 3) {
      fprintf(stderr, "wapc: unexpected argument '%s' (see 'wapc --help')\n", argv[3]);
      return EXIT_USAGE;
    }
    if (strcmp(topic, "call") == 0) return fputs(usage_call, stdout) < 0 ? EXIT_IO : 0;
    if (strcmp(topic, "run") == 0) return fputs(usage_run, stdout) < 0 ? EXIT_IO : 0;
    if (strcmp(topic, "inspect") == 0) return fputs(wapc_inspect_usage, stdout) < 0 ? EXIT_IO : 0;
    if (strcmp(topic, "bench") == 0) {
      static char help_opt[] = "--help";
      char *help_argv[] = {help_opt, NULL};
      return wapc_bench_main(1, help_argv);
    }
    if (strcmp(topic, "help") != 0) {
      fprintf(stderr, "wapc: unknown command '%s' (see 'wapc --help')\n", topic);
      return EXIT_USAGE;
    }
  }
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage_main, stdout);
    return 0;
  }
  if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
    printf("wapc %s\n", wapc_version());
    return 0;
  }
  if (strcmp(cmd, "call") == 0) return cmd_call(argc - 2, argv + 2);
  if (strcmp(cmd, "run") == 0) return cmd_run(argc - 2, argv + 2);
  if (strcmp(cmd, "bench") == 0) return wapc_bench_main(argc - 2, argv + 2);
  if (strcmp(cmd, "inspect") == 0) return wapc_inspect_main(argc - 2, argv + 2);
  fprintf(stderr, "wapc: unknown command '%s' (see 'wapc --help')\n", cmd);
  return EXIT_USAGE;
}
