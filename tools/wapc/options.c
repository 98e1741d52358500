/* SPDX-License-Identifier: Apache-2.0 */
/*
 * options.c - the option table of the `wapc` commands and its parser
 * (options.h).
 */
#include "options.h"

#include <stdio.h>
#include <string.h>

#include "wapc.h"

#define GUARD (CLI_CALL | CLI_RUN)
#define WASI (CLI_CALL | CLI_RUN)

/* 0 would mean "default" in wapc_builtin_options: every guardrail value is at least 1. */
static const cli_option options[] = {
    {"--help", "-h", OPT_HELP, CLI_CALL | CLI_RUN | CLI_BENCH | CLI_INSPECT, CLI_NO_VALUE, 0, 0},
    {"--host", NULL, OPT_HOST, CLI_CALL, CLI_STRING, 0, 0},
    {"--dir", NULL, OPT_DIR, WASI, CLI_STRING, 0, 0},
    {"--dir-ro", NULL, OPT_DIR_RO, WASI, CLI_STRING, 0, 0},
    {"--env", NULL, OPT_ENV, WASI, CLI_STRING, 0, 0},
    {"--arg", NULL, OPT_ARG, CLI_CALL, CLI_STRING, 0, 0},
    {"--timeout", NULL, OPT_TIMEOUT, GUARD, CLI_NUMBER, 1, UINT32_MAX},
    {"--init-timeout", NULL, OPT_INIT_TIMEOUT, GUARD, CLI_NUMBER, 1, UINT32_MAX},
    {"--fuel", NULL, OPT_FUEL, GUARD, CLI_NUMBER, 1, UINT64_MAX},
    {"--max-memory-pages", NULL, OPT_MAX_MEMORY_PAGES, GUARD, CLI_NUMBER, 1, 65536},
    {"--max-stack", NULL, OPT_MAX_STACK, GUARD, CLI_NUMBER, 1, UINT32_MAX},
    {"--calls", NULL, OPT_CALLS, CLI_BENCH, CLI_NUMBER, 1, 10000000},
    {"--warmup", NULL, OPT_WARMUP, CLI_BENCH, CLI_NUMBER, 0, 10000000},
    {"--size", NULL, OPT_SIZE, CLI_BENCH, CLI_NUMBER, 0, 1u << 30},
    {"--host-echo", NULL, OPT_HOST_ECHO, CLI_BENCH, CLI_NO_VALUE, 0, 0},
    {"--threads", NULL, OPT_THREADS, CLI_BENCH, CLI_NUMBER, 1, 256},
    {"--new-host", NULL, OPT_NEW_HOST, CLI_BENCH, CLI_NO_VALUE, 0, 0},
    {"--time-guest", NULL, OPT_TIME_GUEST, CLI_BENCH, CLI_NO_VALUE, 0, 0},
    {"--pre-init", NULL, OPT_PRE_INIT, CLI_CALL | CLI_BENCH, CLI_NO_VALUE, 0, 0},
    {"--tier", NULL, OPT_TIER, CLI_CALL | CLI_RUN | CLI_BENCH | CLI_INSPECT, CLI_TIER, 0, 0},
    {"--wasm", NULL, OPT_WASM, CLI_CALL | CLI_RUN | CLI_BENCH | CLI_INSPECT, CLI_WASM, 0, 0},
};

/* The --tier value NAME as a wapc_tier: 0 auto, 1 interpreter, 2 compiler; -1 for anything else. */
static int cli_parse_tier(const char *name) {
  static const char *const names[] = {"auto", "interpreter", "compiler"};
  for (int i = 0; i < 3; i++)
    if (strcmp(name, names[i]) == 0) return i;
  return -1;
}

int cli_usage_error(const char *name, const char *what, const char *arg) {
  fprintf(stderr, "wapc: %s%s%s%s (see 'wapc %s --help')\n", what, arg ? " '" : "", arg ? arg : "",
          arg ? "'" : "", name);
  return 64;
}

bool cli_parse_number(const char *s, uint64_t min, uint64_t max, uint64_t *out) {
  if (!s[0]) return false;
  uint64_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return false;
    unsigned d = (unsigned)(*p - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (v < min || v > max) return false;
  *out = v;
  return true;
}

int cli_option_next(unsigned command, const char *name, int argc, char **argv, int *i, cli_parsed *out) {
  const char *a = argv[*i];
  if (a[0] != '-' || a[1] == 0 || strcmp(a, "--") == 0) return 0;
  for (size_t k = 0; k < sizeof options / sizeof options[0]; k++) {
    const cli_option *o = &options[k];
    if (!(o->commands & command)) continue;
    size_t l = strlen(o->name);
    const char *val = NULL;
    if (strncmp(a, o->name, l) == 0 && (a[l] == 0 || (a[l] == '=' && o->value != CLI_NO_VALUE)))
      val = a[l] == '=' ? a + l + 1 : NULL;
    else if (!o->alias || strcmp(a, o->alias) != 0)
      continue;
    out->opt = o;
    out->text = NULL;
    out->number = 0;
    if (o->value == CLI_NO_VALUE) return 1;
    if (!val) {
      if (*i + 1 >= argc) {
        cli_usage_error(name, "missing value after option", a);
        return -1;
      }
      val = argv[++*i];
    }
    out->text = val;
    if (o->value == CLI_NUMBER && !cli_parse_number(val, o->min, o->max, &out->number)) {
      cli_usage_error(name, "bad number", val);
      return -1;
    }
    if (o->value == CLI_WASM) {
      if (strcmp(val, "2.0") != 0 && strcmp(val, "3.0") != 0) {
        cli_usage_error(name, "bad WebAssembly version (2.0 or 3.0)", val);
        return -1;
      }
      out->number = strcmp(val, "2.0") == 0 ? WAPC_WASM_2 : WAPC_WASM_DEFAULT;
    }
    if (o->value == CLI_TIER) {
      int t = cli_parse_tier(val);
      if (t < 0) {
        cli_usage_error(name, "bad tier (auto, interpreter or compiler)", val);
        return -1;
      }
      out->number = (uint64_t)t;
    }
    return 1;
  }
  return 0;
}
