# SPDX-License-Identifier: Apache-2.0
# lib.sh: the assertion helpers of the CLI contract tests, sourced by every tests/cli/*.sh script as
#   . "$(dirname "$0")/lib.sh" WAPC GUESTS EXAMPLES
# with the wapc binary, the built test guests (build/guests) and the examples/ folder. Each check runs
# the CLI once and compares the exit code, the stdout bytes and the stderr bytes exactly. The script ends
# with `finish`, which prints "N passed, N failed" and fails when anything did.
# WAPC_RUNNER, when set, prefixes every CLI run (e.g. "valgrind -q --error-exitcode=99").
# shellcheck shell=bash

set -u
WAPC=$1
GUESTS=$2
EXAMPLES=$3
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/wapc-cli.XXXXXX")
trap 'rm -rf "$TMPD"' EXIT
PASS=0
FAIL=0
# Standard input of the next checks; a test sets IN=<file> and resets it to /dev/null.
IN=/dev/null

# Prints a byte file for a failure report: short ones as od -c, long ones by size and checksum.
show() {
  local size
  size=$(wc -c <"$1")
  if [ "$size" -le 256 ]; then
    od -An -c "$1" | sed 's/^/      /'
  else
    echo "      ($size bytes, cksum $(cksum <"$1" | cut -d' ' -f1))"
  fi
}

# expect NAME CODE STDOUT STDERR -- ARGS...
#   Runs `wapc ARGS...` with stdin from $IN and checks the exit code and both outputs.
#   STDOUT: the exact expected bytes as literal text; @FILE for a file's bytes; ~TEXT for "the output
#           contains the line-free string TEXT" (help and version texts, whose wording is not pinned).
#   STDERR: the exact expected text (its lines without the last newline; "" for nothing at all); or
#           ~TEXT for "exactly one line, containing TEXT" (messages whose detail comes from the engine
#           or the CLI's wording and is not part of the contract).
expect() {
  local name=$1 code=$2 want_out=$3 want_err=$4
  shift 4
  [ "$1" = "--" ] && shift
  # shellcheck disable=SC2086 # WAPC_RUNNER is a command line on purpose
  ${WAPC_RUNNER:-} "$WAPC" "$@" <"$IN" >"$TMPD/out" 2>"$TMPD/err"
  local rc=$?
  local ok=1 out_ok=1 err_ok=1
  case $want_out in
    @*) cp "${want_out:1}" "$TMPD/want_out" ;;
    \~*) printf '(contains) %s' "${want_out:1}" >"$TMPD/want_out" ;;
    *) printf '%s' "$want_out" >"$TMPD/want_out" ;;
  esac
  if [ "${want_out:0:1}" = "~" ]; then
    grep -qF -- "${want_out:1}" "$TMPD/out" || out_ok=0
  else
    cmp -s "$TMPD/out" "$TMPD/want_out" || out_ok=0
  fi
  if [ "${want_err:0:1}" = "~" ]; then
    printf '(one line containing) %s\n' "${want_err:1}" >"$TMPD/want_err"
    [ "$(wc -l <"$TMPD/err")" = 1 ] && grep -qF -- "${want_err:1}" "$TMPD/err" || err_ok=0
  else
    if [ -n "$want_err" ]; then
      printf '%s\n' "$want_err" >"$TMPD/want_err"
    else
      : >"$TMPD/want_err"
    fi
    cmp -s "$TMPD/err" "$TMPD/want_err" || err_ok=0
  fi
  [ "$rc" = "$code" ] && [ $out_ok = 1 ] && [ $err_ok = 1 ] || ok=0
  if [ $ok = 1 ]; then
    PASS=$((PASS + 1))
    return 0
  fi
  FAIL=$((FAIL + 1))
  echo "FAIL: $name"
  echo "  command: wapc $*  (stdin: $IN)"
  echo "  exit:    want $code, got $rc"
  if [ $out_ok = 0 ]; then
    echo "  stdout:  want"
    show "$TMPD/want_out"
    echo "           got"
    show "$TMPD/out"
  fi
  if [ $err_ok = 0 ]; then
    echo "  stderr:  want"
    sed 's/^/      |/' "$TMPD/want_err" | head -20
    echo "           got"
    sed 's/^/      |/' "$TMPD/err" | head -20
  fi
  return 1
}

# bytes FILE FORMAT [ARGS...]: writes printf FORMAT output to $TMPD/FILE and prints its path.
bytes() {
  local f=$TMPD/$1
  shift
  # shellcheck disable=SC2059 # the format is the point
  printf "$@" >"$f"
  echo "$f"
}

# alphabet N: the first N bytes of "abcdefghijklmnopqrstuvwxyz" repeated, into $TMPD/alpha.N.
alphabet() {
  local f=$TMPD/alpha.$1
  yes abcdefghijklmnopqrstuvwxyz | tr -d '\n' | head -c "$1" >"$f"
  echo "$f"
}

# pattern N NAME: N bytes cycling through the values 0..250 (NULs included; the odd period 251 does not
# line up with pages or buffer sizes, so a shifted or truncated copy cannot match) into $TMPD/NAME.
pattern() {
  local f=$TMPD/$2 i
  if [ ! -f "$TMPD/.p251" ]; then
    for ((i = 0; i < 251; i++)); do
      # shellcheck disable=SC2059
      printf "\\$(printf %03o "$i")"
    done >"$TMPD/.p251"
  fi
  cp "$TMPD/.p251" "$f.tmp"
  while [ "$(wc -c <"$f.tmp")" -lt "$1" ]; do
    cat "$f.tmp" "$f.tmp" >"$f.tmp2"
    mv "$f.tmp2" "$f.tmp"
  done
  head -c "$1" "$f.tmp" >"$f"
  rm -f "$f.tmp"
  echo "$f"
}

finish() {
  echo "$PASS passed, $FAIL failed"
  [ "$FAIL" = 0 ]
}
