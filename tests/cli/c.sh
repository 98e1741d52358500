#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The C guests (tests/guests/c, clang --target=wasm32 without libc) through the CLI: echo, reverse,
# host-call forwarding, fib, SHA-256 against sha256sum, MiB allocations and payloads.
. "$(dirname "$0")/lib.sh" "$@"

C=$GUESTS/c

expect "echo" 0 "hello" "" -- call "$C/echo.wasm" echo hello
expect "reverse" 0 "olleh" "" -- call "$C/echo.wasm" reverse hello
expect "empty response" 0 "" "" -- call "$C/echo.wasm" empty x
expect "handler failure" 1 "" "wapc: $C/echo.wasm: failed on purpose" -- call "$C/echo.wasm" fail x
expect "no handler" 1 "" "wapc: $C/echo.wasm: "'No handler registered for function "nope"' -- call "$C/echo.wasm" nope x
IN=$(pattern 2000000 p2m)
expect "echo 2 MB binary" 0 "@$IN" "" -- call "$C/echo.wasm" echo
IN=$(bytes rev_in 'a\000b\001c')
expect "reverse binary with NULs" 0 "@$(bytes rev_out 'c\001b\000a')" "" -- call "$C/echo.wasm" reverse
IN=/dev/null

# ---- compute ----------------------------------------------------------------------------------------------
expect "fib 0" 0 "0" "" -- call "$C/compute.wasm" fib 0
expect "fib 1" 0 "1" "" -- call "$C/compute.wasm" fib 1
expect "fib 10" 0 "55" "" -- call "$C/compute.wasm" fib 10
expect "fib 25" 0 "75025" "" -- call "$C/compute.wasm" fib 25
expect "fib 30" 0 "832040" "" -- call "$C/compute.wasm" fib 30
expect "fib rejects a bad n" 1 "" "wapc: $C/compute.wasm: fib wants a decimal n <= 35" -- call "$C/compute.wasm" fib x
expect "sum" 0 "294" "" -- call "$C/compute.wasm" sum abc
for n in 0 1 55 56 63 64 65 119 120 1000; do
  f=$(head -c "$n" "$(pattern 1000 p1k)" >"$TMPD/sha_in" && echo "$TMPD/sha_in")
  IN=$f
  expect "sha256 of $n bytes" 0 "$(sha256sum <"$f" | cut -d' ' -f1)" "" -- call "$C/compute.wasm" sha256
done
IN=$(pattern 3000000 p3m)
expect "sha256 of 3 MB" 0 "$(sha256sum <"$IN" | cut -d' ' -f1)" "" -- call "$C/compute.wasm" sha256
IN=/dev/null
expect "sha256 of nothing" 0 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" "" -- \
  call "$C/compute.wasm" sha256 ""
for n in 0 1 65536 1048576 16777216; do
  expect "alloc $n bytes" 0 "@$(alphabet $n)" "" -- call "$C/compute.wasm" alloc "$n"
done
expect "alloc over the guest's limit" 1 "" "wapc: $C/compute.wasm: alloc wants a decimal n <= 67108864" -- \
  call "$C/compute.wasm" alloc 67108865

# ---- host calls -------------------------------------------------------------------------------------------
ENV_CMD='printf "%s/%s/%s/%s:" "$WAPC_BINDING" "$WAPC_NAMESPACE" "$WAPC_OPERATION" "$WAPC_HOST_ID"; cat'
expect "forward" 0 "bd/ns/op/1:body" "" -- call --host "$ENV_CMD" "$C/hostcall.wasm" forward "bd|ns|op|body"
expect "forward, empty fields" 0 "///1:" "" -- call --host "$ENV_CMD" "$C/hostcall.wasm" forward "|||"
expect "forward, body with separators" 0 "b/n/o/1:x|y|z" "" -- \
  call --host "$ENV_CMD" "$C/hostcall.wasm" forward "b|n|o|x|y|z"
expect "forward, host error" 1 "" "wapc: $C/hostcall.wasm: Host error: denied" -- \
  call --host 'echo denied >&2; exit 1' "$C/hostcall.wasm" forward "b|n|o|x"
expect "forward, no --host" 1 "" "wapc: $C/hostcall.wasm: Host error: no host callback is configured" -- \
  call "$C/hostcall.wasm" forward "b|n|o|x"
expect "log" 0 "ok" "[host 1] a log line" -- call "$C/hostcall.wasm" log "a log line"

# ---- wasi-libc guest (no WASI imports) -----------------------------------------------------------------
if [ -f "$C/libc.wasm" ]; then
  expect "libc sort" 0 "ehllo" "" -- call "$C/libc.wasm" sort hello
  expect "libc words" 0 "alpha
mid
zeta" "" -- call "$C/libc.wasm" words "zeta alpha  mid"
  expect "libc unknown" 1 "" "wapc: $C/libc.wasm: unknown operation" -- call "$C/libc.wasm" nope x
  # three periods of the 0..250 pattern sort to every value three times in a row
  IN=$(pattern 753 p753)
  for ((i = 0; i < 251; i++)); do
    o=$(printf %03o "$i")
    # shellcheck disable=SC2059
    printf "\\$o\\$o\\$o"
  done >"$TMPD/sorted"
  expect "libc sort, binary" 0 "@$TMPD/sorted" "" -- call "$C/libc.wasm" sort
  IN=/dev/null
else
  echo "note: c/libc.wasm was not built (no wasi-libc); its checks are skipped"
fi

finish
