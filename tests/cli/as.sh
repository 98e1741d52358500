#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The AssemblyScript guests (official @wapc/as-guest SDK) through the CLI: handlers registered in
# wapc_init, in the start section and in an exported _start; host calls; throw/abort paths (a trap
# after the SDK set its error); and a module that still imports env.abort.
. "$(dirname "$0")/lib.sh" "$@"

A=$GUESTS/as

expect "echo (wapc_init registration)" 0 "hello" "" -- call "$A/echo.wasm" echo hello
expect "echo, empty payload" 0 "" "" -- call "$A/echo.wasm" echo ""
IN=$(pattern 2000000 p2m)
expect "echo 2 MB binary" 0 "@$IN" "" -- call "$A/echo.wasm" echo
IN=/dev/null
expect "upper" 0 "HELLO, WöRLD" "" -- call "$A/echo.wasm" upper "hello, wörld"
expect "console log" 0 "logged" "[host 1] from AssemblyScript ✓" -- call "$A/echo.wasm" log "from AssemblyScript ✓"
expect "error result" 1 "" "wapc: $A/echo.wasm: failed: xyz" -- call "$A/echo.wasm" fail xyz
expect "unknown operation" 1 "" "wapc: $A/echo.wasm: "'Could not find function "nope"' -- call "$A/echo.wasm" nope x

expect "registered in the start section" 0 "Hello, World!" "" -- call "$A/toplevel.wasm" hello World
expect "registered from an exported _start, which ran once" 0 "1" "" -- call "$A/start_export.wasm" count x

ENV_CMD='printf "%s/%s/%s/%s:" "$WAPC_BINDING" "$WAPC_NAMESPACE" "$WAPC_OPERATION" "$WAPC_HOST_ID"; cat'
expect "host call" 0 "bd/ns/op/1:body" "" -- call --host "$ENV_CMD" "$A/hostcall.wasm" call "bd|ns|op|body"
expect "host call, host error" 1 "" "wapc: $A/hostcall.wasm: Host error: refused" -- \
  call --host 'echo refused >&2; exit 1' "$A/hostcall.wasm" call "b|n|o|x"
expect "host call, UTF-8 host error (byte length)" 1 "" "wapc: $A/hostcall.wasm: Host error: ñö ✓" -- \
  call --host 'echo "ñö ✓" >&2; exit 1' "$A/hostcall.wasm" call "b|n|o|x"
expect "host call, no --host" 1 "" "wapc: $A/hostcall.wasm: Host error: no host callback is configured" -- \
  call "$A/hostcall.wasm" call "b|n|o|x"
expect "host call, bad payload" 1 "" "wapc: $A/hostcall.wasm: want binding|namespace|operation|body" -- \
  call "$A/hostcall.wasm" call "x"

# abort() sets the guest error, then the compiled code traps: the trap wins (WAPC.md)
expect "throw" 2 "" "wapc: $A/abort.wasm: trap: unreachable" -- call "$A/abort.wasm" throw boom
expect "array index out of range" 2 "" "wapc: $A/abort.wasm: trap: unreachable" -- call "$A/abort.wasm" index x
expect "failed assertion" 2 "" "wapc: $A/abort.wasm: trap: unreachable" -- call "$A/abort.wasm" assert x
expect "healthy operation of the same module" 0 "fine" "" -- call "$A/abort.wasm" ok x

expect "module importing env.abort" 4 "" '~unknown import "env"."abort"' -- call "$A/env_abort.wasm" echo x

finish
