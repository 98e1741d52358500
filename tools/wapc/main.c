/*
 * main.c - the `wapc` command-line tool, built on the public API only.
 *
 *   wapc call [OPTIONS] MODULE OPERATION [PAYLOAD]
 *
 * A stable contract for scripts: the response bytes exactly on stdout (exit
 * 0), or one line on stderr with exit 1 (guest error), 2 (trap), 3
 * (deadline/limit), 4 (module cannot be read, is malformed/invalid, fails to
 * link or initialise), 64 (bad usage).  `--host CMD` answers the guest's host
 * calls by running `sh -c CMD` per call (payload on stdin, response on
 * stdout, failure message on stderr).
 */
#include "wapc.h"

#include <errno.h>
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
};

static const char usage_main[] = "Usage: wapc <COMMAND> [OPTIONS]\n"
                                 "\n"
                                 "Commands:\n"
                                 "  call     call an operation of a waPC guest module\n"
                                 "\n"
                                 "Options:\n"
                                 "  -h, --help     print this help\n"
                                 "  -V, --version  print the version\n"
                                 "\n"
                                 "Run 'wapc call --help' for the details of a command.\n";

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
    "  -h, --help   print this help\n"
    "\n"
    "The guest's __console_log lines go to standard error.\n"
    "\n"
    "Exit status:\n"
    "  0   success\n"
    "  1   guest error (including a failed host call that the guest reports)\n"
    "  2   trap\n"
    "  3   deadline or resource limit exceeded\n"
    "  4   module unreadable, malformed, invalid, unlinkable, or its initialisation failed\n"
    "  64  bad usage\n";

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

/* One line on stderr: the message as is (a guest's text verbatim), made single-line. */
static void print_error(const char *msg, size_t len) {
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

static int usage_error(const char *what, const char *arg) {
  fprintf(stderr, "wapc: %s%s%s%s (see 'wapc call --help')\n", what, arg ? " '" : "", arg ? arg : "",
          arg ? "'" : "");
  return EXIT_USAGE;
}

static int cmd_call(int argc, char **argv) {
  const char *host_cmd_str = NULL;
  const char *pos[3];
  int npos = 0;
  bool only_pos = false;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!only_pos && strcmp(a, "--") == 0) {
      only_pos = true;
    } else if (!only_pos && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
      fputs(usage_call, stdout);
      return 0;
    } else if (!only_pos && strcmp(a, "--host") == 0) {
      if (i + 1 >= argc) return usage_error("missing command after option", a);
      host_cmd_str = argv[++i];
    } else if (!only_pos && strncmp(a, "--host=", 7) == 0) {
      host_cmd_str = a + 7;
    } else if (!only_pos && a[0] == '-' && a[1] != 0) {
      return usage_error("unknown option", a);
    } else {
      if (npos == 3) return usage_error("unexpected argument", a);
      pos[npos++] = a;
    }
  }
  if (npos < 2) return usage_error("missing MODULE or OPERATION", NULL);

  buf module = {0};
  FILE *f = fopen(pos[0], "rb");
  if (!f || !read_all(fileno(f), &module)) {
    fprintf(stderr, "wapc: cannot read module '%s': %s\n", pos[0], strerror(errno));
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
      return EXIT_USAGE;
    }
    payload = input.data;
    payload_len = input.len;
  }

  host_cmd hc = {host_cmd_str, {0}, {0}};
  wapc_host *host = NULL;
  int rc = 0;
  wapc_status st = wapc_host_new_builtin(NULL, host_cmd_str ? host_callback : NULL, &hc, &host);
  if (st != WAPC_OK) {
    fprintf(stderr, "wapc: cannot create a host: %s\n", wapc_status_str(st));
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
      rc = EXIT_GUEST;
      goto done;
    }
  }
  if (st != WAPC_OK) {
    print_error(wapc_host_last_error(host), wapc_host_last_error_len(host));
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

int main(int argc, char **argv) {
  /* A host command or a reader that goes away must give EPIPE, not kill us. */
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    fputs(usage_main, stderr);
    return EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage_main, stdout);
    return 0;
  }
  if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
    printf("wapc %s\n", wapc_version());
    return 0;
  }
  if (strcmp(cmd, "call") == 0) return cmd_call(argc - 2, argv + 2);
  fprintf(stderr, "wapc: unknown command '%s' (see 'wapc --help')\n", cmd);
  return EXIT_USAGE;
}
