/* SPDX-License-Identifier: Apache-2.0 */
/*
 * script.h - runs one converted spec script (the JSON and .wasm files that
 * wast2json writes for a .wast file) against the engine, through vm.h only.
 * It owns one vm_store per script, the spectest module in it, the module
 * names and registrations of the script, and the checks of every command.
 * Results go to a spec_report, which the driver may place in memory shared
 * with a forked child so that counts survive a crash of the engine.
 */
#ifndef WAPC_TESTS_SPEC_SCRIPT_H
#define WAPC_TESTS_SPEC_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Counters and failure log of one script. */
typedef struct spec_report {
  uint32_t passed;
  uint32_t failed;
  uint32_t skipped;
  uint32_t skipped_text; /* skips that are text-format assert_malformed modules */
  uint32_t line;         /* .wast line of the command being run (for crash reports) */
  uint32_t logged;       /* failure lines stored in `log` */
  uint32_t dropped;      /* failure lines not stored (over the limit or out of room) */
  uint32_t max_logged;   /* how many failure lines to store; 0 = unlimited */
  size_t log_len;
  size_t log_cap;
  char *log; /* log_cap bytes, NUL-terminated */
} spec_report;

/* Append a line to the report's log (truncating politely when full). */
void spec_report_log(spec_report *rep, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/*
 * Run every command of the JSON script at `json_path`; the .wasm files it
 * names are looked up in the same directory.  Returns false when the script
 * itself could not be read or parsed (recorded as one failure).
 */
bool spec_run_script(const char *json_path, spec_report *rep);

/* The proposals the engine accepts while running scripts (vm_config.features; default all it has):
 * VM_FEATURES_WASM2 for the Wasm 2.0 suite, whose expectations predate 3.0. */
void spec_set_features(uint32_t features);

#endif
