#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CLI contract, the basics: help and version, usage errors (exit 64), the payload from the argument and
# from standard input (binary, empty, multi-MiB), the bundled example, and modules that cannot be
# loaded (exit 4). Needs only examples/ and the WAT guests.
. "$(dirname "$0")/lib.sh" "$@"

HELLO=$EXAMPLES/hello/hello.wasm
ECHO=$GUESTS/wat/echo.wasm
GROW=$GUESTS/wat/grow.wasm

# ---- help and version ---------------------------------------------------------------------------------
expect "wapc --help" 0 "~Usage: wapc" "" -- --help
expect "wapc -h" 0 "~Usage: wapc" "" -- -h
expect "wapc call --help" 0 "~Usage: wapc call [OPTIONS] MODULE OPERATION [PAYLOAD]" "" -- call --help
expect "wapc call -h" 0 "~--host CMD" "" -- call -h
expect "wapc --version" 0 "~wapc 0." "" -- --version
expect "wapc help" 0 "~Usage: wapc <COMMAND>" "" -- help
expect "wapc help call" 0 "~Usage: wapc call [OPTIONS] MODULE OPERATION [PAYLOAD]" "" -- help call
expect "wapc help run" 0 "~Usage: wapc run [OPTIONS] MODULE [ARGS...]" "" -- help run
expect "wapc help bench" 0 "~Usage: wapc bench" "" -- help bench
expect "wapc help help" 0 "~Usage: wapc <COMMAND>" "" -- help help
expect "wapc help bogus" 64 "" "wapc: unknown command 'bogus' (see 'wapc --help')" -- help bogus
expect "wapc help call extra" 64 "" "wapc: unexpected argument 'extra' (see 'wapc --help')" -- help call extra
"$WAPC" help call >"$TMPD/help1"
"$WAPC" call --help >"$TMPD/help2"
if cmp -s "$TMPD/help1" "$TMPD/help2"; then PASS=$((PASS + 1)); else
  FAIL=$((FAIL + 1))
  echo "FAIL: 'wapc help call' and 'wapc call --help' differ"
fi
if "$WAPC" --version | grep -qE '^wapc [0-9]+\.[0-9]+\.[0-9]+$'; then PASS=$((PASS + 1)); else
  FAIL=$((FAIL + 1))
  echo "FAIL: --version prints 'wapc X.Y.Z'"
fi

# ---- usage errors: exit 64, one line -------------------------------------------------------------------
expect "unknown command" 64 "" "~unknown command 'bogus'" -- bogus
expect "call without arguments" 64 "" "~missing MODULE or OPERATION" -- call
expect "call without operation" 64 "" "~missing MODULE or OPERATION" -- call "$HELLO"
expect "unknown option" 64 "" "~unknown option '--bogus'" -- call --bogus "$HELLO" hello
expect "too many arguments" 64 "" "~unexpected argument 'extra'" -- call "$HELLO" hello World extra
expect "--host without a command" 64 "" "~--host" -- call "$HELLO" hello World --host
# No arguments at all: the usage goes to stderr, nothing to stdout.
"$WAPC" >"$TMPD/o" 2>"$TMPD/e"
rc=$?
if [ $rc = 64 ] && [ ! -s "$TMPD/o" ] && grep -q Usage "$TMPD/e"; then PASS=$((PASS + 1)); else
  FAIL=$((FAIL + 1))
  echo "FAIL: wapc without arguments: want exit 64 and the usage on stderr, got exit $rc"
fi

# ---- the bundled example (the README's first command) --------------------------------------------------
expect "example hello" 0 "Hello, World!" "" -- call "$HELLO" hello World
expect "example hello, empty payload" 0 "Hello, !" "" -- call "$HELLO" hello ""
expect "example hello, UTF-8 payload" 0 "Hello, wörld ✓!" "" -- call "$HELLO" hello "wörld ✓"
expect "example unknown operation" 1 "" "wapc: $HELLO: unknown operation, try hello" -- call "$HELLO" hi World
expect "example payload after --" 0 "Hello, --host!" "" -- call "$HELLO" hello -- --host
expect "example payload -x after --" 0 "Hello, -x!" "" -- call "$HELLO" hello -- -x
IN=$(bytes hello_in 'from stdin')
expect "example payload from stdin" 0 "Hello, from stdin!" "" -- call "$HELLO" hello
expect "argument wins over stdin" 0 "Hello, arg!" "" -- call "$HELLO" hello arg
IN=/dev/null

if cmp -s "$HELLO" "$GUESTS/examples/hello.wasm"; then PASS=$((PASS + 1)); else
  FAIL=$((FAIL + 1))
  echo "FAIL: examples/hello/hello.wasm is not what hello.wat builds to (rebuild: wat2wasm hello.wat -o hello.wasm)"
fi

# ---- standard input or output failing: exit 74, never 1 (reserved for guest errors) -------------------
# check_io NAME WANT_ERR -- SHELL_COMMAND: runs the command, wants exit 74 and exactly WANT_ERR on stderr.
check_io() {
  local name=$1 want=$2
  shift 3
  bash -c "$*" 2>"$TMPD/io.err"
  local rc=$?
  if [ $rc = 74 ] && [ "$(cat "$TMPD/io.err")" = "$want" ]; then PASS=$((PASS + 1)); else
    FAIL=$((FAIL + 1))
    echo "FAIL: $name: want exit 74 and '$want', got exit $rc and '$(cat "$TMPD/io.err")'"
  fi
}
if [ -w /dev/full ]; then
  check_io "response to a full disk" "wapc: cannot write the response: No space left on device" -- \
    "'$WAPC' call '$HELLO' hello World >/dev/full"
fi
# A reader that is gone before the 200 KB response is written (more than a pipe holds): EPIPE, since
# SIGPIPE is ignored, and exit 74, not a death by signal.
check_io "response to a closed pipe" "wapc: cannot write the response: Broken pipe" -- \
  "head -c 200000 /dev/zero | '$WAPC' call '$HELLO' hello | true; exit \${PIPESTATUS[1]}"
check_io "standard input that cannot be read" "wapc: cannot read standard input: Is a directory" -- \
  "'$WAPC' call '$HELLO' hello <'$TMPD'"

# ---- error lines: "wapc: " and the module's file name ---------------------------------------------------
expect "error line of a guest error" 1 "" "wapc: $HELLO: unknown operation, try hello" -- call "$HELLO" hi World
expect "error line of a missing module" 4 "" \
  "wapc: $TMPD/nope.wasm: cannot read module: No such file or directory" -- call "$TMPD/nope.wasm" hello World
m=$(bytes notwasm2.wasm 'this is not wasm')
expect "error line of a malformed module" 4 "" "~wapc: $m: " -- call "$m" hello World

# ---- payload bytes: exactly what was given, both ways --------------------------------------------------
expect "echo argument" 0 "some payload" "" -- call "$ECHO" echo "some payload"
expect "echo empty argument" 0 "" "" -- call "$ECHO" echo ""
expect "echo empty stdin" 0 "" "" -- call "$ECHO" echo
bin=$(bytes nul.bin 'a\000b\000\000c\377\n\r\000')
IN=$bin
expect "echo binary stdin with NULs" 0 "@$bin" "" -- call "$ECHO" echo
IN=$(pattern 100000 p100k)
expect "echo 100 KB pattern from stdin" 0 "@$IN" "" -- call "$ECHO" echo
IN=$(pattern 65536 p64k)
expect "echo exactly one page" 0 "@$IN" "" -- call "$ECHO" echo
IN=$(pattern 5000000 p5m)
expect "echo 5 MB from stdin" 0 "@$IN" "" -- call "$ECHO" echo
expect "grow: answer from the pages grown in the call, 5 MB" 0 "@$IN" "" -- call "$GROW" op
IN=$(pattern 20000000 p20m)
expect "echo 20 MB from stdin" 0 "@$IN" "" -- call "$ECHO" echo
IN=/dev/null
expect "grow: empty payload" 0 "" "" -- call "$GROW" op ""
expect "grow: argument payload" 0 "grown" "" -- call "$GROW" op "grown"
long=$(head -c 100000 "$(alphabet 100000)")
expect "echo 100 KB argument" 0 "$long" "" -- call "$ECHO" echo "$long"
expect "operation name with spaces and UTF-8" 0 "x" "" -- call "$ECHO" "op ✓ with spaces" x

# ---- modules that cannot be used: exit 4, one line ---------------------------------------------------
expect "missing module file" 4 "" "~$TMPD/nope.wasm" -- call "$TMPD/nope.wasm" hello World
expect "module is a directory" 4 "" "~" -- call "$TMPD" hello World
m=$(bytes notwasm.wasm 'this is not wasm')
expect "not a wasm binary" 4 "" "~" -- call "$m" hello World
m=$(bytes empty.wasm '')
expect "empty module file" 4 "" "~" -- call "$m" hello World
m=$(bytes version2.wasm '\000asm\002\000\000\000')
expect "unsupported binary version" 4 "" "~" -- call "$m" hello World
m=$(bytes header_only.wasm '\000asm\001\000\000\000')
expect "header only: no exports" 4 "" "~" -- call "$m" hello World
head -c 100 "$HELLO" >"$TMPD/truncated.wasm"
expect "truncated module" 4 "" "~" -- call "$TMPD/truncated.wasm" hello World
# Every prefix of the example: rejected with one line (exit 4), or, when it happens to end at a section
# boundary, a valid smaller module that runs; never a crash, a hang or a silent failure.
size=$(wc -c <"$HELLO")
bad=0
for ((n = 0; n < size; n++)); do
  head -c "$n" "$HELLO" >"$TMPD/prefix.wasm"
  "$WAPC" call "$TMPD/prefix.wasm" hello World >/dev/null 2>"$TMPD/prefix.err"
  rc=$?
  case $rc in
    0) [ -s "$TMPD/prefix.err" ] && rc=bad ;;
    1 | 2 | 4) [ "$(wc -l <"$TMPD/prefix.err")" = 1 ] || rc=bad ;;
    *) rc=bad ;;
  esac
  if [ "$rc" = bad ]; then
    bad=$((bad + 1))
    [ $bad -le 3 ] && echo "FAIL: prefix of $n bytes of hello.wasm: stderr: $(tr -d '\0' <"$TMPD/prefix.err" | head -c 300)"
  fi
done
if [ $bad = 0 ]; then PASS=$((PASS + 1)); else FAIL=$((FAIL + 1)); fi

# ---- inspect -------------------------------------------------------------------------------------------
printf '%s\n' "module: $HELLO (367 bytes)" \
  "functions: 5 (3 imported); code: 172 bytes; machine code: none (interpreter selected)" \
  "imports: 3" \
  "  wapc.__guest_request func (i32, i32) -> ()" \
  "  wapc.__guest_response func (i32, i32) -> ()" \
  "  wapc.__guest_error func (i32, i32) -> ()" \
  "exports: 2" \
  "  memory memory 1.. pages" \
  "  __guest_call func (i32, i32) -> (i32)" \
  "custom sections: 0" \
  "waPC: exports __guest_call; imports __guest_request, __guest_response, __guest_error" >"$TMPD/inspect_want"
expect "inspect hello" 0 "@$TMPD/inspect_want" "" -- inspect --tier interpreter "$HELLO"
expect "inspect: machine code" 0 "~machine code:" "" -- inspect "$HELLO"
expect "wapc help inspect" 0 "~Usage: wapc inspect [OPTIONS] MODULE" "" -- help inspect
expect "inspect without module" 64 "" "~missing MODULE" -- inspect
expect "inspect missing file" 4 "" "~cannot read module" -- inspect "$TMPD/nonexistent.wasm"
printf 'not wasm' >"$TMPD/garbage.wasm"
expect "inspect garbage" 4 "" "~magic header" -- inspect "$TMPD/garbage.wasm"
expect "inspect bad tier" 64 "" "~bad tier" -- inspect --tier fast "$HELLO"

finish
