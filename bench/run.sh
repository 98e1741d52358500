#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/run.sh - build and run libwapc's benchmark suite.
#
#   bench/run.sh [--quick] [SUITE OPTIONS]
#
# Builds the library (Release) and the wapc CLI into $BENCH_BUILD (default:
# <repo>/build-bench), the eight compute kernels three ways (native gcc -O2,
# wasm32-wasi command, plain-export wasm with no imports), the C and
# AssemblyScript call-benchmark guests and a ~3 MB generated module for the
# load benchmark, then runs bench_suite, which prints the tables and writes
# $BENCH_BUILD/bench/results.json.  --quick: one run per kernel at a third of
# the size (a smoke run, ratios are noisier).  Other options go to bench_suite
# (--runs N, --scale F, --only compute|calls|load|guard|serve, --json FILE).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD:-$root/build-bench}
out=$build/bench
src=$root/bench
CC_NATIVE=${CC_NATIVE:-gcc}
CLANG=${CLANG:-clang}
CLANG_SIMD=${CLANG_SIMD:-clang-19} # -msimd128 builds of the kernels (skipped without it)
SYSROOT=${WASI_SYSROOT:-/usr}

say() { printf '%s\n' "$*" >&2; }
# stale OUT DEP...: true when OUT is missing or older than any DEP
stale() {
  o=$1; shift
  [ -e "$o" ] || return 0
  for d in "$@"; do [ "$d" -nt "$o" ] && return 0; done
  return 1
}

extra=""
if [ "${1:-}" = "--quick" ]; then
  shift
  extra="--runs 1 --scale 0.33"
fi

say "== building libwapc (Release) in $build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWAPC_BUILD_TESTS=OFF >/dev/null
ninja -C "$build" wapc wapc_internal_static >/dev/null

mkdir -p "$out/kernels/native" "$out/kernels/wasi" "$out/kernels/export" "$out/kernels/simd" "$out/guests"

say "== building bench_suite"
warn="-Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition \
-Wpointer-arith -Wcast-align -Wwrite-strings -Wformat=2 -Wundef -Wvla -Wno-unused-parameter"
if stale "$out/bench_suite" "$src/src/suite.c" "$build/libwapc_internal_static.a"; then
  # shellcheck disable=SC2086
  $CC_NATIVE -std=c11 -O2 -D_GNU_SOURCE $warn -I"$root/include" -I"$root/src" "$src/src/suite.c" \
    "$build/libwapc_internal_static.a" -lm -lpthread -o "$out/bench_suite"
fi

say "== building kernels (gcc -O2 native, clang -O2 wasm32-wasi and plain exports)"
crt1=$SYSROOT/lib/wasm32-wasi/crt1-command.o
[ -e "$crt1" ] || crt1=$SYSROOT/lib/wasm32-wasi/crt1.o
for k in fib sieve matmul sha256 crc32 qsort nbody bytevm lists; do
  ks=$src/kernels/$k.c
  deps="$ks $src/kernels/kernel.h"
  # shellcheck disable=SC2086
  if stale "$out/kernels/native/$k" $deps "$src/kernels/harness_main.c"; then
    $CC_NATIVE -O2 -I"$src/kernels" "$src/kernels/harness_main.c" "$ks" -lm -o "$out/kernels/native/$k"
  fi
  # shellcheck disable=SC2086
  if stale "$out/kernels/wasi/$k.wasm" $deps "$src/kernels/harness_main.c"; then
    # -nostdlib -lc + crt1: Debian ships no wasm32 compiler-rt, and these kernels need none of it
    $CLANG --target=wasm32-wasi --sysroot="$SYSROOT" -O2 -nostdlib -I"$src/kernels" "$crt1" \
      "$src/kernels/harness_main.c" "$ks" -lc -o "$out/kernels/wasi/$k.wasm"
  fi
  # shellcheck disable=SC2086
  if command -v "$CLANG_SIMD" >/dev/null 2>&1 && stale "$out/kernels/simd/$k.wasm" $deps "$src/kernels/harness_main.c"; then
    $CLANG_SIMD --target=wasm32-wasi --sysroot="$SYSROOT" -O2 -msimd128 -nostdlib -I"$src/kernels" "$crt1" \
      "$src/kernels/harness_main.c" "$ks" -lc -o "$out/kernels/simd/$k.wasm"
    wasm-objdump -d "$out/kernels/simd/$k.wasm" | grep -cE ' (v128|i8x16|i16x8|i32x4|i64x2|f32x4|f64x2)\.' \
      >"$out/kernels/simd/$k.ops" || true
  fi
  # the same compiler without -msimd128: what the -msimd128 build is compared with (the only difference)
  # shellcheck disable=SC2086
  if command -v "$CLANG_SIMD" >/dev/null 2>&1 && stale "$out/kernels/simd/$k.scalar.wasm" $deps "$src/kernels/harness_main.c"; then
    $CLANG_SIMD --target=wasm32-wasi --sysroot="$SYSROOT" -O2 -nostdlib -I"$src/kernels" "$crt1" \
      "$src/kernels/harness_main.c" "$ks" -lc -o "$out/kernels/simd/$k.scalar.wasm"
  fi
  # shellcheck disable=SC2086
  if stale "$out/kernels/export/$k.wasm" $deps "$src/kernels/harness_export.c"; then
    $CLANG --target=wasm32 -O2 -nostdlib -ffreestanding -Wl,--no-entry -I"$src/kernels" \
      "$src/kernels/harness_export.c" "$ks" -o "$out/kernels/export/$k.wasm"
  fi
done

say "== building call-benchmark guests"
g=$root/tests/guests/c
if stale "$out/guests/c_bench.wasm" "$src/guests/c_bench.c" "$g/guest.c" "$g/guest.h"; then
  $CLANG --target=wasm32 -O2 -nostdlib -ffreestanding -fno-builtin -Wno-unused-parameter -Wl,--no-entry \
    -I"$g" "$g/guest.c" "$src/guests/c_bench.c" -o "$out/guests/c_bench.wasm"
fi
# shaped like a TinyGo program: a WASI command whose _start builds its data (pre-initialisation benchmark)
if stale "$out/guests/heavy_init.wasm" "$src/guests/heavy_init.c"; then
  $CLANG --target=wasm32-wasi --sysroot="$SYSROOT" -O2 -nostdlib "$crt1" "$src/guests/heavy_init.c" -lc \
    -o "$out/guests/heavy_init.wasm"
fi
as=$root/tests/guests/as
if [ -e "$as/node_modules/assemblyscript/bin/asc.js" ] && [ -e "$as/node_modules/@wapc/as-guest" ]; then
  if stale "$out/guests/as_bench.wasm" "$src/guests/as_bench.ts"; then
    # asc resolves @wapc/as-guest from its working directory; --use takes a path relative to it
    (cd "$as" && node node_modules/assemblyscript/bin/asc.js ../../../bench/guests/as_bench.ts \
      -o "$out/guests/as_bench.wasm" -O --use abort=../../../bench/guests/as_bench/abort)
  fi
else
  say "   AssemblyScript guest NOT built: run 'npm ci --prefix tests/guests/as' first"
fi

if [ ! -e "$out/big.wasm" ] || stale "$out/big.wasm" "$src/src/gen_big.c"; then
  say "== generating the load-benchmark module (6000 functions; clang takes ~40 s, once)"
  $CC_NATIVE -O2 -o "$out/gen_big" "$src/src/gen_big.c"
  "$out/gen_big" 6000 >"$out/big.c"
  $CLANG --target=wasm32 -O1 -nostdlib -ffreestanding -Wl,--no-entry -w "$out/big.c" -o "$out/big.wasm"
fi

say "== running"
# shellcheck disable=SC2086
exec "$out/bench_suite" --dir "$out" --wapc "$build/tools/wapc/wapc" $extra "$@"
