#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/simd/run.sh WAPC GUEST_DIR NATIVE_AUTOVEC NATIVE_INTRINSICS
# Each SIMD program prints the same lines natively, as scalar wasm and as SIMD wasm (on the default tier
# and on the interpreter), and its SIMD build really uses SIMD instructions; the SIMD waPC guest answers
# through `wapc call`.
set -u
wapc=$1 dir=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 pass=0
check() { # NAME: compare $tmp/want and $tmp/got
  if cmp -s "$tmp/want" "$tmp/got"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: $1"
    diff "$tmp/want" "$tmp/got" | head -20
  fi
}

for native in "$@"; do
  name=$(basename "$native")
  name=${name#simd_native_}
  "$native" >"$tmp/want" || { echo "FAIL: native $name exited $?"; fail=$((fail + 1)); continue; }
  "$wapc" run "$dir/$name.wasm" >"$tmp/got" 2>&1
  check "$name: SIMD wasm (default tier) vs native"
  WAPC_TIER=interpreter "$wapc" run "$dir/$name.wasm" >"$tmp/got" 2>&1
  check "$name: SIMD wasm (interpreter) vs native"
  "$wapc" run "$dir/${name}_scalar.wasm" >"$tmp/got" 2>&1
  check "$name: scalar wasm vs native"
  n=$(wasm-objdump -d "$dir/$name.wasm" | grep -cE ' (v128|i8x16|i16x8|i32x4|i64x2|f32x4|f64x2)\.')
  if [ "$n" -ge 20 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name.wasm has only $n SIMD instructions"; fi
done

g=$dir/simd_guest.wasm
text='The quick brown fox jumps over the lazy dog; 0123456789 <SIMD> and more text past sixteen bytes.'
printf '%s' "$text" | tr 'a-z' 'A-Z' >"$tmp/want"
"$wapc" call "$g" upper "$text" >"$tmp/got" 2>&1
check "simd_guest upper"
printf '%s' "$text" | od -An -tx1 -v | tr -d ' \n' >"$tmp/want"
"$wapc" call "$g" hex "$text" >"$tmp/got" 2>&1
check "simd_guest hex"
printf '%s' "$(printf '%s' "$text" | od -An -tu1 -v | tr -s ' \n' '\n' | awk '{s += $1} END {print s}')" >"$tmp/want"
"$wapc" call "$g" sum "$text" >"$tmp/got" 2>&1
check "simd_guest sum"
WAPC_TIER=interpreter "$wapc" call "$g" sum "$text" >"$tmp/got" 2>&1
check "simd_guest sum (interpreter)"

echo "simd programs: $pass passed, $fail failed"
[ "$fail" = 0 ]
