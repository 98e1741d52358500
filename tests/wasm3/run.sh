#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/wasm3/run.sh WAPC SPEC_RUNNER GUEST_DIR NATIVE_TAIL NATIVE_EXTCONST
# Real guests of the Wasm 3.0 features Debian's clang-19 emits:
# - tail.wasm (-mtail-call, a WASI command): prints what its native build prints, on the default tier
#   and in the interpreter, and really has return_call / return_call_indirect instructions;
# - extconst.wasm (-mextended-const, a position-independent executable): its globals really have
#   extended constant initialisers; it needs the import env.__memory_base (the dynamic-linking ABI, which
#   `wapc` does not provide), so it runs through the spec runner: a script that registers a module
#   exporting __memory_base, instantiates the guest's bytes, applies its data relocations and checks that
#   run() returns what the native build prints, on both tiers.
set -u
wapc=$1 runner=$2 dir=$3 native_tail=$4 native_ext=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 pass=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }

"$native_tail" >"$tmp/want" || ko "native tail exited $?"
for tier in auto interpreter; do
  if WAPC_TIER=$tier "$wapc" run "$dir/tail.wasm" >"$tmp/got" 2>&1 && cmp -s "$tmp/want" "$tmp/got"; then
    ok
  else
    ko "tail.wasm ($tier) differs from native:"
    diff "$tmp/want" "$tmp/got" | head
  fi
done
# --wasm 2.0 accepts exactly WebAssembly 2.0: the tail calls are refused
if "$wapc" run --wasm 2.0 "$dir/tail.wasm" >"$tmp/got" 2>&1; then
  ko "tail.wasm ran with --wasm 2.0"
elif grep -q "illegal opcode 12" "$tmp/got"; then
  ok
else
  ko "tail.wasm with --wasm 2.0: $(cat "$tmp/got")"
fi
n=$(wasm-objdump -d "$dir/tail.wasm" | grep -cE ' return_call(_indirect)? ')
if [ "$n" -ge 3 ]; then ok; else ko "tail.wasm has only $n return_call instructions"; fi

want=$("$native_ext") || ko "native extconst exited $?"
if wasm2wat --enable-all "$dir/extconst.wasm" | tr -d '\n' | grep -qE '\(global \(;[0-9]+;\) i32 \(global\.get 0 *i32\.const [0-9]+ *i32\.add\)'; then
  ok
else
  ko "extconst.wasm has no extended constant initialiser"
fi
hex=$(od -An -tx1 -v "$dir/extconst.wasm" | tr -d ' \n' | sed 's/../\\&/g')
cat >"$tmp/extconst.wast" <<WAST
(module \$env (global (export "__memory_base") i32 (i32.const 4096)) (memory 1))
(register "env" \$env)
(module binary "$hex")
(invoke "__wasm_apply_data_relocs")
(assert_return (invoke "run") (i32.const $want))
WAST
for tier in auto interpreter; do
  if WAPC_TIER=$tier "$runner" --wast2json-arg --enable-all --work "$tmp/spec-$tier" "$tmp/extconst.wast" >"$tmp/out" 2>&1; then
    ok
  else
    ko "extconst.wasm ($tier):"
    cat "$tmp/out"
  fi
done

echo "wasm3 programs: $pass passed, $fail failed"
[ "$fail" = 0 ]
