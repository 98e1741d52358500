/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench.h - the `wapc bench` subcommand: N in-process calls of one operation
 * on one host after a warm-up, timed per call (see bench.c).
 */
#ifndef WAPC_TOOL_BENCH_H
#define WAPC_TOOL_BENCH_H

/*
 * Run `wapc bench` with the arguments that follow the word "bench"
 * (main passes argc - 2, argv + 2).  Returns the process exit status: 0, or
 * the codes of `wapc call` (1 guest error, 2 trap, 3 limit, 4 module, 64 usage).
 */
int wapc_bench_main(int argc, char **argv);

#endif
