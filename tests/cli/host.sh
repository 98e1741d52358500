#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CLI contract, --host CMD: the command's stdout as the host response, its stderr (less the trailing
# newline) as the host error, the WAPC_* variables, binary and large payloads both ways, the host
# clearing the previous response/error, and the message without --host.
. "$(dirname "$0")/lib.sh" "$@"

HC=$GUESTS/wat/hostcall.wasm
ENV_CMD='printf "%s|%s|%s|%s:" "$WAPC_BINDING" "$WAPC_NAMESPACE" "$WAPC_OPERATION" "$WAPC_HOST_ID"; cat'

expect "no --host" 1 "" "wapc: $HC: Host error: no host callback is configured" -- call "$HC" call abc
expect "--host cat" 0 "abc" "" -- call --host cat "$HC" call abc
expect "--host=cat" 0 "abc" "" -- call --host=cat "$HC" call abc
expect "environment of the host command" 0 "test-binding|test-ns|call|1:payload" "" -- \
  call --host "$ENV_CMD" "$HC" call payload
expect "empty payload to the host, empty response" 0 "" "" -- call --host cat "$HC" call ""
expect "host response ignores the payload" 0 "fixed" "" -- call --host 'printf fixed' "$HC" call abc
expect "host command's stderr on success passes through" 0 "ok" "diagnostic" -- \
  call --host 'echo diagnostic >&2; printf ok' "$HC" call abc

# ---- host errors -----------------------------------------------------------------------------------------
expect "host command fails with a message" 1 "" "wapc: $HC: Host error: it broke" -- \
  call --host 'echo "it broke" >&2; exit 3' "$HC" call abc
expect "host error without a trailing newline" 1 "" "wapc: $HC: Host error: no newline" -- \
  call --host 'printf "no newline" >&2; exit 1' "$HC" call abc
expect "only one trailing newline is removed" 1 "" "wapc: $HC: Host error: x " -- \
  call --host 'printf "x\n\n" >&2; exit 1' "$HC" call abc
expect "multi-line host error stays one line" 1 "" "wapc: $HC: Host error: line one line two" -- \
  call --host 'printf "line one\nline two\n" >&2; exit 1' "$HC" call abc
expect "host error length counts bytes, not characters" 1 "" "wapc: $HC: Host error: ünïcödé € ✓" -- \
  call --host 'echo "ünïcödé € ✓" >&2; exit 1' "$HC" call abc
expect "host command fails silently" 1 "" "~Host error: " -- call --host 'exit 5' "$HC" call abc
expect "host stdout is dropped on failure" 1 "" "wapc: $HC: Host error: bad" -- \
  call --host 'printf out; echo bad >&2; exit 1' "$HC" call abc
expect "host command not found" 1 "" "~Host error: " -- call --host 'exec /nonexistent/cmd' "$HC" call abc

# ---- each host call starts clean: lengths after a failing call that follows a successful one -------------
LENS_CMD='x=$(cat); if [ "$x" = ok ]; then printf resp; else printf err >&2; exit 1; fi'
expect "second call fails: response cleared" 0 "@$(bytes lens_fail '\000\000\000\000\003\000\000\000')" "" -- \
  call --host "$LENS_CMD" "$HC" lens bad
expect "second call succeeds: error cleared" 0 "@$(bytes lens_ok '\004\000\000\000\000\000\000\000')" "" -- \
  call --host "$LENS_CMD" "$HC" lens ok

# ---- binary and large payloads through the host --------------------------------------------------------
IN=$(bytes nul.bin '\000\001\002\000\377\376\n\000')
expect "binary payload through the host" 0 "@$IN" "" -- call --host cat "$HC" call
IN=$(pattern 3000000 p3m)
expect "3 MB through the host and back" 0 "@$IN" "" -- call --host cat "$HC" call
IN=/dev/null
big=$(pattern 4000000 p4m)
expect "4 MB host response to a small payload" 0 "@$big" "" -- call --host "cat '$big'" "$HC" call x
expect "host answers before reading its stdin" 0 "early" "" -- \
  call --host 'printf early' "$HC" call "$(head -c 100000 "$(alphabet 100000)")"

finish
