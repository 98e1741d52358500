/* SPDX-License-Identifier: Apache-2.0 */
/*
 * options.h - the options of the `wapc` commands, declared once: a table of
 * every option (its name, the commands that take it, whether it takes a value
 * and, for numbers, their range) and one parser that `call`, `run` and
 * `bench` share, with one number parser and one wording for usage errors.
 * What an option sets is each command's `switch` on its id.
 */
#ifndef WAPC_TOOLS_OPTIONS_H
#define WAPC_TOOLS_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

/* The commands, as a bit set: which commands take an option. */
enum { CLI_CALL = 1u, CLI_RUN = 2u, CLI_BENCH = 4u, CLI_INSPECT = 8u };

typedef enum cli_opt_id {
  OPT_HELP,
  OPT_HOST,   /* call: sh -c CMD answers host calls */
  OPT_DIR,    /* WASI: a preopened directory HOST[:GUEST] */
  OPT_DIR_RO, /* the same, read-only */
  OPT_ENV,    /* WASI: KEY=VALUE, or KEY for our own value */
  OPT_ARG,    /* call: one more WASI argument */
  OPT_TIMEOUT,
  OPT_INIT_TIMEOUT,
  OPT_FUEL,
  OPT_MAX_MEMORY_PAGES,
  OPT_MAX_STACK,
  OPT_CALLS, /* bench */
  OPT_WARMUP,
  OPT_SIZE,
  OPT_HOST_ECHO,
  OPT_THREADS,    /* bench: calls through a pool from N threads */
  OPT_NEW_HOST,   /* bench: time new hosts instead of calls */
  OPT_TIME_GUEST, /* bench: measure the time in the guest (wapc_host_set_timing) */
  OPT_PRE_INIT,   /* call, bench: start hosts from a pre-initialised image (wapc_builtin_options.pre_init) */
  OPT_TIER,       /* auto, interpreter or compiler (wapc_builtin_options.tier) */
  OPT_WASM,       /* 2.0 or 3.0 (wapc_builtin_options.wasm) */
} cli_opt_id;

/* CLI_TIER: auto, interpreter or compiler, as a wapc_tier in `number`. */
/* CLI_WASM: 2.0 or 3.0, as a wapc_wasm in `number`. */
typedef enum cli_value { CLI_NO_VALUE, CLI_STRING, CLI_NUMBER, CLI_TIER, CLI_WASM } cli_value;

typedef struct cli_option {
  const char *name;  /* "--timeout" (also accepted as "--timeout=VALUE") */
  const char *alias; /* another spelling ("-h"), or NULL */
  cli_opt_id id;
  unsigned commands; /* CLI_* bits */
  cli_value value;
  uint64_t min, max; /* CLI_NUMBER: the accepted range */
} cli_option;

/* One parsed option: which, and its value (string as given; number when CLI_NUMBER or CLI_TIER). */
typedef struct cli_parsed {
  const cli_option *opt;
  const char *text;
  uint64_t number;
} cli_parsed;

/*
 * argv[*i] as an option of `command` (a CLI_* bit; `name` is the command's
 * name for messages): 1 when it is one (*out filled, *i advanced past a
 * separate value), 0 when it is not an option ("--", a positional argument,
 * or nothing this table knows: the caller decides), -1 after printing a
 * usage error ("wapc: bad number 'x' (see 'wapc call --help')").  An option
 * of another command counts as unknown.
 */
int cli_option_next(unsigned command, const char *name, int argc, char **argv, int *i, cli_parsed *out);

/* A decimal number in [min, max]; false for anything else (signs, spaces, overflow). */
bool cli_parse_number(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Print "wapc: WHAT 'ARG' (see 'wapc NAME --help')" (ARG may be NULL); returns 64. */
int cli_usage_error(const char *name, const char *what, const char *arg);

#endif
