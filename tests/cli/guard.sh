#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# guard.sh: the guardrail options of `wapc call` and `wapc run` (issue 5). A stopped call exits 3 with
# the reason as one line on stderr; a call within the limits answers as usual.
# Usage: guard.sh WAPC GUESTS EXAMPLES
. "$(dirname "$0")/lib.sh"
G=$GUESTS/wat

expect "timeout stops an infinite loop" 3 "" "wapc: $G/guard.wasm: deadline exceeded" -- call --timeout 50 "$G/guard.wasm" l
expect "timeout=MS form" 3 "" "wapc: $G/guard.wasm: deadline exceeded" -- call --timeout=50 "$G/guard.wasm" l
expect "fuel stops an infinite loop" 3 "" "wapc: $G/guard.wasm: fuel exhausted" -- call --fuel 100000 "$G/guard.wasm" l
expect "fuel enough for a short call" 0 "hi" "" -- call --fuel 100000 --timeout 10000 "$G/guard.wasm" e hi
expect "init timeout stops wapc_init" 3 "" "wapc: $G/init_loop.wasm: wapc_init failed: deadline exceeded" -- \
  call --init-timeout 50 "$G/init_loop.wasm" x
expect "memory cap refuses a large initial memory" 3 "" \
  "wapc: $G/big_memory.wasm: limit exceeded: memory of 100 pages exceeds the limit of 50 pages" -- \
  call --max-memory-pages 50 "$G/big_memory.wasm" x hi
expect "memory cap above the initial memory" 0 "hi" "" -- call --max-memory-pages 100 "$G/big_memory.wasm" x hi
expect "memory.grow returns -1 at the cap" 0 "@$(bytes pages8 '\010\000\000\000')" "" -- \
  call --max-memory-pages 8 "$G/guard.wasm" g
expect "max-stack stops a recursion bomb" 2 "" "wapc: $G/guard.wasm: trap: call stack exhausted" -- \
  call --max-stack 100 "$G/guard.wasm" r
expect "bad number" 64 "" "wapc: bad number 'x' (see 'wapc call --help')" -- call --timeout x "$G/guard.wasm" l
expect "zero is refused" 64 "" "wapc: bad number '0' (see 'wapc call --help')" -- call --fuel 0 "$G/guard.wasm" l
expect "too many pages" 64 "" "wapc: bad number '65537' (see 'wapc call --help')" -- \
  call --max-memory-pages 65537 "$G/guard.wasm" l
expect "missing value" 64 "" "wapc: missing value after option '--timeout' (see 'wapc call --help')" -- \
  call "$G/guard.wasm" l --timeout
expect "help lists the options" 0 "~--max-memory-pages N" "" -- call --help

# wapc run: a WASI command whose _start never returns.
expect "run: timeout" 3 "" "wapc: $G/spin_command.wasm: deadline exceeded" -- run --timeout 50 "$G/spin_command.wasm"
expect "run: fuel" 3 "" "wapc: $G/spin_command.wasm: fuel exhausted" -- run --fuel 100000 "$G/spin_command.wasm"
expect "run: bad number" 64 "" "wapc: bad number '-1' (see 'wapc run --help')" -- run --fuel -1 "$G/guard.wasm"
expect "run: memory cap at load" 3 "" "~exceeds the limit of 50 pages" -- \
  run --max-memory-pages 50 "$G/big_memory.wasm"
expect "run: help lists the options" 0 "~--init-timeout MS" "" -- run --help

# Waits inside host functions end at the deadline too: a guest sleeping in poll_oneoff ("zzzz": for weeks).
start=$(date +%s%N)
expect "timeout stops a WASI sleep" 3 "" "wapc: $G/wait.wasm: deadline exceeded" -- \
  call --timeout 200 "$G/wait.wasm" s zzzz
took=$((($(date +%s%N) - start) / 1000000))
if [ "$took" -gt 2200 ]; then
  FAIL=$((FAIL + 1))
  echo "FAIL: the sleep stopped $took ms after the call started (deadline 200 ms)"
fi
IN=$(bytes ms100 '\144\000\000\000')
expect "a sleep within the timeout" 0 "slept" "" -- call --timeout 5000 "$G/wait.wasm" s
IN=/dev/null
# Logging never changes the result: a 1 MiB + 62 byte log line (wapc-rs's wasm-basic ping) is cut to the cap.
IN=$(alphabet 1048638)
expect "an over-long log line is truncated, the call succeeds" 0 "ok" \
  "~ [log line truncated: 1048638 bytes, limit 1048576]" -- call "$GUESTS/c/hostcall.wasm" log
IN=/dev/null
expect "init timeout stops a sleeping wapc_init" 3 "" \
  "wapc: $G/init_wait.wasm: wapc_init failed: deadline exceeded" -- call --init-timeout 100 "$G/init_wait.wasm" x
finish
