#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cli.sh WAPC GUESTS_WASI: the CLI's WASI flags (--dir, --dir-ro, --env, --arg on `wapc call`) and
# `wapc run` (exit codes, arguments, stdio inheritance), with tests/cli/lib.sh's exact-output checks.
# shellcheck shell=bash
W=$2
. "$(dirname "$0")/../cli/lib.sh" "$1" "$W" ""

# ---- wapc run -------------------------------------------------------------------------------------------
expect "run args" 0 $'argc=4\n'"$W/basics.wasm"$'\nargs\na b\n-x\n' "" -- run "$W/basics.wasm" args "a b" -x
expect "run env" 0 $'K=V\nE=\n' "" -- run --env K=V --env=E= "$W/basics.wasm" env
HOME_VALUE=$HOME
expect "run env from our environment" 0 "HOME=$HOME_VALUE"$'\n' "" -- run --env HOME "$W/basics.wasm" env
expect "run exit code" 7 $'exiting\n' "" -- run "$W/basics.wasm" exit 7
expect "run exit 0" 0 $'exiting\n' "" -- run "$W/basics.wasm" exit 0
expect "run exit 255" 255 $'exiting\n' "" -- run "$W/basics.wasm" exit 255
expect "run usage exit" 2 $'usage: basics args|env|clock|random|sleep MS|exit N|cat|stdio|fdstat\n' "" -- \
  run "$W/basics.wasm"
expect "run stdio inherited" 0 $'to stdout\n' "to stderr" -- run "$W/basics.wasm" stdio
IN=$(bytes stdin.txt 'some input\nmore\n')
expect "run stdin inherited" 0 $'some input\nmore\n' "" -- run "$W/basics.wasm" cat
IN=/dev/null
expect "run sleep" 0 $'slept ok\n' "" -- run "$W/basics.wasm" sleep 100
expect "run missing module" 125 "" "~cannot read module" -- run "$TMPD/nope.wasm"
# 125: the module cannot be run at all (README: "wapc run" exit status), here a reactor without _start.
expect "run not a command" 125 "" "wapc: $W/rust_like.wasm: "'module does not export function "_start"' -- \
  run "$W/rust_like.wasm"
expect "run no module" 64 "" "~missing MODULE" -- run
expect "run unknown option" 64 "" "~unknown option" -- run --bogus "$W/basics.wasm"
expect "run --arg is for call" 64 "" "~unknown option" -- run --arg x "$W/basics.wasm"
expect "run missing dir" 64 "" "~cannot open directory" -- run --dir "$TMPD/none" "$W/basics.wasm" args
expect "run help" 0 "~wapc run" "" -- run --help

# The fs program with its layout: all checks pass and nothing outside changes.
L=$TMPD/layout
mkdir -p "$L/sandbox/subdir" "$L/ro" "$L/outside"
printf hello >"$L/sandbox/data.txt"
printf 'read only' >"$L/ro/ro.txt"
printf TOPSECRET >"$L/outside/secret.txt"
ln -s data.txt "$L/sandbox/link_in"
ln -s ../outside/secret.txt "$L/sandbox/link_out"
ln -s "$L/outside/secret.txt" "$L/sandbox/link_abs"
ln -s .. "$L/sandbox/link_dir_out"
expect "run fs" 0 "~ passed, 0 failed" "" -- run --dir "$L/sandbox:/sandbox" --dir-ro "$L/ro:/ro" "$W/fs.wasm"
if [ "$(ls "$L/outside")" = secret.txt ] && [ "$(cat "$L/outside/secret.txt")" = TOPSECRET ] &&
  [ "$(ls "$L/ro")" = ro.txt ]; then
  PASS=$((PASS + 1))
else
  FAIL=$((FAIL + 1))
  echo "FAIL: files outside the sandbox or in the read-only directory changed"
fi
# The same guest without the read-only directory fails its checks: the exit code is the failure count.
rm -rf "$L/sandbox"/{many,new.txt,movable.txt} "$L/sandbox/subdir/rel.txt"
"$WAPC" run --dir "$L/sandbox:/sandbox" "$W/fs.wasm" >/dev/null 2>&1
rc=$?
if [ "$rc" -gt 0 ] && [ "$rc" -lt 64 ]; then PASS=$((PASS + 1)); else
  FAIL=$((FAIL + 1))
  echo "FAIL: fs without /ro exited $rc"
fi

# ---- wapc call with WASI ------------------------------------------------------------------------------------
expect "call --arg" 0 "hello from tinygo-like argc=2 argv0=first" $'tinygo: _start\ntinygo: call hello' -- \
  call --arg first --arg second "$W/tinygo_like.wasm" hello x
expect "call old tinygo" 0 "hello from tinygo-like" $'tinygo: _start\ntinygo: call hello' -- \
  call "$W/tinygo_old.wasm" hello x
expect "call _start exit 2" 4 "" $'tinygo: _start\n'"wapc: $W/tinygo_exit2.wasm: _start failed: exited with code 2" -- \
  call "$W/tinygo_exit2.wasm" hello x
expect "call exit in a call" 2 "" $'tinygo: _start\ntinygo: call exit\n'"wapc: $W/tinygo_like.wasm: trap: exited with code 3" -- \
  call "$W/tinygo_like.wasm" exit x
expect "call --env" 0 "A=1,B=x y" "rust: init" -- call --env A=1 --env "B=x y" "$W/rust_like.wasm" env ""
expect "call no env" 0 "" "rust: init" -- call "$W/rust_like.wasm" env ""
expect "call sleep" 0 "slept 1" "rust: init" -- call "$W/rust_like.wasm" sleep 100
expect "call badptr" 0 "21 21 21 21" "rust: init" -- call "$W/rust_like.wasm" badptr ""
D=$TMPD/data
mkdir -p "$D"
printf 'host file' >"$D/in.txt"
expect "call --dir read" 0 "host file" $'libc: wapc_init calls=100\nlibc: to stderr' -- \
  call --dir "$D:/data" "$W/libc_reactor.wasm" read ""
expect "call --dir write" 0 "written" $'libc: wapc_init calls=100\nlibc: to stderr' -- \
  call --dir "$D:/data" "$W/libc_reactor.wasm" write "new content"
if [ "$(cat "$D/out.txt")" = "new content" ]; then PASS=$((PASS + 1)); else
  FAIL=$((FAIL + 1))
  echo "FAIL: --dir write did not reach the host file"
fi
expect "call --dir-ro write" 1 "" $'libc: wapc_init calls=100\nlibc: to stderr\n'"wapc: $W/libc_reactor.wasm: Operation not permitted" -- \
  call --dir-ro "$D:/data" "$W/libc_reactor.wasm" write "x"
expect "call guest stdout goes to stderr" 0 "hi" $'libc: wapc_init calls=100\nlibc: to stderr\nlibc: echo hi' -- \
  call "$W/libc_reactor.wasm" echo hi
expect "call bad --env" 64 "" "~bad environment variable" -- call --env =x "$W/rust_like.wasm" env ""
expect "call missing --dir value" 64 "" "~missing value" -- call "$W/rust_like.wasm" env "" --dir
finish
