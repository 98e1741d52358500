#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# diff.sh DRIVER WORKDIR [COUNT] [FIRST_SEED] - differential testing against wabt.
# For each seed: deterministic random bytes -> binaryen `wasm-opt -ttf` (a valid
# random module; with SIMD for odd seeds, with the Wasm 3.0 tail calls and extended constants for seeds
# 2 mod 4, exception handling for seeds 0 mod 4) -> run on our engine (DRIVER, tests/diff/diff_driver.c) and on
# `wasm-interp --dummy-import-func --run-all-exports`; results, host-call logs
# and traps must agree (NaN payloads excepted; see compare.py).  Our engine runs
# twice, compiler tier and interpreter (WAPC_TIER=interpreter): those two
# outputs must be identical.  A failing
# module is kept in WORKDIR/fail-SEED.wasm.  Ends with "N passed, N failed".
set -u
driver=$1
work=$2
count=${3:-50}
seed=${4:-1}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
pass=0 fail=0 skip=0
end=$((seed + count))
while [ "$seed" -lt "$end" ]; do
  # 4 KiB of input bytes from a fixed generator: the same seed gives the same module.
  python3 -c "import random,sys; r=random.Random($seed); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(4096)))" > "$work/in.bin"
  # Every other seed makes a module with SIMD (v128) code in it.
  simd=--disable-simd
  [ $((seed % 2)) -eq 1 ] && simd=--enable-simd
  # Every fourth seed enables the Wasm 3.0 features both binaryen and wabt have (tail calls, extended
  # constants); relaxed SIMD is left out (wabt's choices are not ours).
  w3=
  [ $((seed % 4)) -eq 2 ] && w3="--enable-tail-call --enable-extended-const"
  # ... and the others exception handling (binaryen 108 declares tags but emits no try or throw: the
  # instructions themselves are covered by the spec suite, the runtime tests and the fuzzer).
  eh= eh_wabt=
  [ $((seed % 4)) -eq 0 ] && eh=--enable-exception-handling eh_wabt=--enable-exceptions
  # shellcheck disable=SC2086
  if ! wasm-opt -ttf "$work/in.bin" -o "$work/m.wasm" $simd $w3 $eh --disable-threads 2>/dev/null; then
    skip=$((skip + 1)); seed=$((seed + 1)); continue
  fi
  # shellcheck disable=SC2086
  timeout 20 wasm-interp --dummy-import-func --run-all-exports $w3 $eh_wabt "$work/m.wasm" > "$work/wabt.txt" 2>&1
  wrc=$?
  timeout 60 "$driver" "$work/m.wasm" > "$work/ours.txt" 2>&1
  orc=$?
  # both tiers must agree exactly: results, traps, host-call logs, even where fuel runs out
  WAPC_TIER=interpreter timeout 60 "$driver" "$work/m.wasm" > "$work/interp.txt" 2>&1
  irc=$?
  if [ $irc -ne $orc ] || ! cmp -s "$work/ours.txt" "$work/interp.txt"; then
    echo "seed $seed: the compiler and the interpreter differ (exit $orc / $irc):"
    diff "$work/ours.txt" "$work/interp.txt" | head -5
    cp "$work/m.wasm" "$work/fail-$seed.wasm"; fail=$((fail + 1))
  elif [ $wrc -eq 124 ] || [ $wrc -ge 128 ]; then
    skip=$((skip + 1)) # wabt itself timed out or crashed: nothing to compare
  elif [ $orc -ne 0 ]; then
    echo "seed $seed: our driver failed (exit $orc):"; head -5 "$work/ours.txt"
    cp "$work/m.wasm" "$work/fail-$seed.wasm"; fail=$((fail + 1))
  else
    python3 "$here/compare.py" "$work/ours.txt" "$work/wabt.txt" > "$work/cmp.txt"
    case $? in
      0) pass=$((pass + 1)) ;;
      2) skip=$((skip + 1)) ;;
      *) echo "seed $seed: results differ"; cat "$work/cmp.txt"
         cp "$work/m.wasm" "$work/fail-$seed.wasm"; fail=$((fail + 1)) ;;
    esac
  fi
  seed=$((seed + 1))
done
echo "$skip skipped (inconclusive)"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
