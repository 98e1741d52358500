#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The WAT guests through the CLI: every __guest_call return rule, traps, out-of-range pointers and
# lengths passed to each import, partial imports, the initialisation order, console logging, and the
# modules that must be rejected at link or initialisation time.
. "$(dirname "$0")/lib.sh" "$@"

W=$GUESTS/wat
E=$W/errors.wasm
OOB="trap: out of bounds memory access"

# ---- __guest_call return rules (WAPC.md) ---------------------------------------------------------------
expect "return 0, no error set" 1 "" "wapc: $E: No error message set for call failure" -- call "$E" fail_silent x
expect "return 0 with an error" 1 "" "wapc: $E: custom failure" -- call "$E" fail_msg x
expect "return 1, nothing set" 1 "" "wapc: $E: No error message OR response set for call success" -- call "$E" ok_noresp x
expect "return 1 with only an error" 1 "" "wapc: $E: error only" -- call "$E" ok_erronly x
expect "return 1 with an empty response" 0 "" "" -- call "$E" ok_empty x
expect "response and error, return 1: the response" 0 "response wins" "" -- call "$E" resp_err x
expect "response set, return 0: failure" 1 "" "wapc: $E: No error message set for call failure" -- call "$E" fail_resp x
expect "unknown operation" 1 "" "wapc: $E: unknown operation" -- call "$E" no_such_op x
expect "log, then fail" 1 "" "[host 1] about to fail
wapc: $E: custom failure" -- call "$E" log_then_fail x
IN=$(pattern 30000 p30k)
expect "request over the guest's own limit" 1 "" "wapc: $E: request too large" -- call "$E" fail_msg
IN=/dev/null

# ---- traps: exit 2 with the spec's words -----------------------------------------------------------------
expect "unreachable" 2 "" "wapc: $E: trap: unreachable" -- call "$E" trap x
expect "a trap replaces the error set before it" 2 "" "wapc: $E: trap: unreachable" -- call "$E" err_trap x
expect "integer divide by zero" 2 "" "wapc: $E: trap: integer divide by zero" -- call "$E" div0 x
expect "unbounded recursion" 2 "" "wapc: $E: trap: call stack exhausted" -- call "$E" recurse x

# ---- exception handling: caught inside the guest, or escaping __guest_call as a trap -----------------------
for X in "$W/exceptions_legacy.wasm" "$W/exceptions.wasm"; do
  if [ ! -f "$X" ]; then
    echo "note: $X not built (npm wabt missing): skipped"
    continue
  fi
  expect "exceptions: no throw" 0 "ok" "" -- call "$X" digits 0123456789
  expect "exceptions: thrown 4 frames down, caught" 0 "x" "" -- call "$X" digits 12x4
  expect "exceptions: uncaught" 2 "" "wapc: $X: trap: uncaught exception" -- call "$X" escape 12x4
  expect "exceptions: caught, thrown again" 2 "" "wapc: $X: trap: uncaught exception" -- call "$X" again 1x
done
expect "exceptions: delegated past a handler" 2 "" "wapc: $W/exceptions_legacy.wasm: trap: uncaught exception" \
  -- call "$W/exceptions_legacy.wasm" skip x1

# ---- every pointer/length from the guest is checked ----------------------------------------------------
expect "__guest_request: payload past the end" 2 "" "wapc: $E: $OOB" -- call "$E" oob_req_payload xyz
expect "__guest_request: operation past the end" 2 "" "wapc: $E: $OOB" -- call "$E" oob_req_op xyz
expect "__guest_response past the end" 2 "" "wapc: $E: $OOB" -- call "$E" oob_response x
expect "__guest_error past the end" 2 "" "wapc: $E: $OOB" -- call "$E" oob_error x
expect "__console_log past the end" 2 "" "wapc: $E: $OOB" -- call "$E" oob_log x
expect "__guest_response: ptr+len wraps in 32 bits" 2 "" "wapc: $E: $OOB" -- call "$E" oob_wrap x
expect "__guest_response: pointer near 4 GiB" 2 "" "wapc: $E: $OOB" -- call "$E" oob_big_ptr x
expect "__host_call: binding past the end" 2 "" "wapc: $E: $OOB" -- call --host cat "$E" oob_hc_binding x
expect "__host_call: namespace past the end" 2 "" "wapc: $E: $OOB" -- call --host cat "$E" oob_hc_ns x
expect "__host_call: operation past the end" 2 "" "wapc: $E: $OOB" -- call --host cat "$E" oob_hc_op x
expect "__host_call: payload past the end" 2 "" "wapc: $E: $OOB" -- call --host cat "$E" oob_hc_payload x
expect "__host_call: binding past the end, no --host" 2 "" "wapc: $E: $OOB" -- call "$E" oob_hc_binding x
expect "__host_response past the end" 2 "" "wapc: $E: $OOB" -- call --host 'printf hello' "$E" oob_host_resp x
expect "__host_error past the end" 2 "" "wapc: $E: $OOB" -- call "$E" oob_host_err x
expect "__host_error past the end, --host failing" 2 "" "wapc: $E: $OOB" -- call --host 'echo no >&2; exit 1' "$E" oob_host_err x
expect "zero bytes at the very end are in range" 0 "" "" -- call "$E" empty_at_end x
expect "zero bytes one past the end are not" 2 "" "wapc: $E: $OOB" -- call "$E" oob_empty_past_end x

# ---- imports: any subset ---------------------------------------------------------------------------------
expect "3 of the 9 imports" 0 "3:payload" "" -- call "$W/three_imports.wasm" op payload
expect "3 of the 9 imports, error path" 1 "" "wapc: $W/three_imports.wasm: empty payload" -- call "$W/three_imports.wasm" op ""
expect "no imports, even length: success without response" 1 "" \
  "wapc: $W/no_imports.wasm: No error message OR response set for call success" -- call "$W/no_imports.wasm" op ab
expect "no imports, odd length: failure without message" 1 "" \
  "wapc: $W/no_imports.wasm: No error message set for call failure" -- call "$W/no_imports.wasm" op a

# ---- console log on stderr, prefixed with the host id ------------------------------------------------
expect "console log lines" 0 "logged" "[host 1] first line
[host 1] 
[host 1] second line" -- call "$W/console.wasm" log "first line"
expect "console log, UTF-8" 0 "logged" "[host 1] grüße ✓
[host 1] 
[host 1] second line" -- call "$W/console.wasm" log "grüße ✓"

# ---- initialisation ----------------------------------------------------------------------------------------
expect "start section, _start, _initialize, wapc_init: each once, in order" 0 "Ssiw" "" -- \
  call "$W/init_order.wasm" op x
expect "a start section that calls an import" 0 "started!" "[host 1] start ran" -- \
  call "$W/start_section.wasm" op x
expect "wapc_init traps: init failure" 4 "" "wapc: $W/init_trap.wasm: wapc_init failed: trap: unreachable" -- call "$W/init_trap.wasm" op x
expect "start section traps: init failure" 4 "" "~integer divide by zero" -- call "$W/start_trap.wasm" op x

# ---- rejected before initialisation -----------------------------------------------------------------
expect "no __guest_call export (wapc_init must not run)" 4 "" "~__guest_call" -- call "$W/no_guest_call.wasm" op x
expect "no memory export (wapc_init must not run)" 4 "" "~memory" -- call "$W/no_memory.wasm" op x
expect "unknown wapc import" 4 "" "wapc: $W/unknown_import.wasm: "'unknown import "wapc"."__nope"' -- call "$W/unknown_import.wasm" op x
expect "env import" 4 "" "wapc: $W/env_import.wasm: "'unknown import "env"."abort"' -- call "$W/env_import.wasm" op x
expect "import with the wrong type: both types in the message" 4 "" \
  "wapc: $W/bad_import_type.wasm: "'incompatible import type for "wapc"."__guest_response": expected func (i32, i32) -> (), got func (i32) -> i32' -- call "$W/bad_import_type.wasm" op x
expect "module fails validation" 4 "" "~type mismatch" -- call "$W/invalid.wasm" op x

# ---- memory growth -----------------------------------------------------------------------------------------
IN=$(pattern 3000000 p3m)
expect "grow inside the call, answer from the new region" 0 "@$IN" "" -- call "$W/grow.wasm" op
IN=/dev/null

# ---- wasmCloud 0.x actors import the waPC functions from "wasmbus" -----------------------------------------
expect "wasmbus imports: a call" 0 "hello World" "" -- call "$W/wasmbus.wasm" greet World
expect "wasmbus imports: a host call" 0 "host:<abc>" "" -- call --host 'printf "<%s>" "$(cat)"' "$W/wasmbus.wasm" call abc

# ---- pre-initialised instances ------------------------------------------------------------------------------
expect "call --pre-init: the one host runs the initialisation" 0 "Ssiw" "" -- \
  call --pre-init "$W/init_order.wasm" op x
expect "call --pre-init: a failing initialisation fails the same" 4 "" \
  "wapc: $W/init_trap.wasm: wapc_init failed: trap: unreachable" -- call --pre-init "$W/init_trap.wasm" op x

# ---- bench (the figures vary: only the lines' presence is checked) ------------------------------------------
expect "bench: calls" 0 "~ns/call median=" "" -- bench "$W/echo.wasm" e 0123456789abcdef --calls 200
expect "bench --time-guest" 0 "~time in guest: " "" -- bench --time-guest "$W/echo.wasm" e x --calls 200
expect "bench --threads: throughput" 0 "~throughput: " "" -- bench --threads 2 "$W/echo.wasm" e x --calls 400
expect "bench --threads --time-guest: the pool's hosts" 0 "~pool hosts: 400 calls, 0 guest errors" "" -- \
  bench --threads 2 --time-guest "$W/echo.wasm" e x --calls 400
expect "bench --new-host" 0 "~measured new hosts" "" -- bench --new-host "$W/init_order.wasm" op x --calls 20
expect "bench --new-host --pre-init" 0 "~measured new hosts" "" -- \
  bench --new-host --pre-init "$W/init_order.wasm" op x --calls 20
expect "bench: a failing call stops the run" 2 "" "wapc: $W/guard.wasm: trap: unreachable" -- \
  bench "$W/guard.wasm" u x --calls 20

finish
