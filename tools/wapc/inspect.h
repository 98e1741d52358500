/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inspect.h - the `wapc inspect` subcommand: what a module imports and
 * exports, its memory, custom sections and the waPC functions it uses.
 */
#ifndef WAPC_TOOLS_INSPECT_H
#define WAPC_TOOLS_INSPECT_H

/* Run `wapc inspect` with the arguments after the word "inspect"; returns the exit status (0, 4 for a
 * module that does not load, 64 usage). */
int wapc_inspect_main(int argc, char **argv);

extern const char wapc_inspect_usage[];

#endif
