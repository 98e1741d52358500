#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make_corpus.sh BUILD_DIR OUT_DIR [SPEC_DIR...] - seed corpora for the fuzz targets:
#   OUT_DIR/modules: every .wasm the build made (test guests, runtime and hostile
#                    modules) and the binary modules of the spec suites (wast2json;
#                    the core and the SIMD ones; a SPEC_DIR holding X/X.N.wasm, the
#                    converted Wasm 3.0 suite's json/, is copied as it is)
#   OUT_DIR/wapc:    waPC call inputs (guest index, operation, reply mode, payload)
set -eu
build=$1
out=$2
shift 2
mkdir -p "$out/modules" "$out/wapc"
find "$build/guests" "$build/tests/runtime/wasm" "$build/tests/hostile/wasm" -name '*.wasm' \
  -size -2000k 2>/dev/null | while read -r f; do
  cp "$f" "$out/modules/$(echo "$f" | sed 's|/|_|g')"
done
for spec in "$@"; do
  [ -d "$spec" ] || continue
  if ls "$spec"/*/*.wasm >/dev/null 2>&1; then # converted already (every 3.0 feature, GC too)
    for f in "$spec"/*/*.wasm; do
      cp "$f" "$out/modules/spec3_$(basename "$f")"
    done
    continue
  fi
  command -v wast2json >/dev/null 2>&1 || continue
  tmp=$(mktemp -d)
  for w in "$spec"/*.wast; do
    n=$(basename "$w" .wast)
    wast2json "$w" -o "$tmp/$n.json" >/dev/null 2>&1 || true
  done
  for f in "$tmp"/*.wasm; do
    [ -f "$f" ] && cp "$f" "$out/modules/spec_$(basename "$spec")_$(basename "$f")"
  done
  rm -rf "$tmp"
done
# waPC inputs: [guest index][op length][op][reply mode][payload]
i=0
for g in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23; do
  for op in echo hello ping fail error trap abort log hostcall panic callback grow; do
    for mode in 0 1 2; do
      {
        printf "$(printf '\\%03o\\%03o' "$g" "${#op}")"
        printf '%s' "$op"
        printf "$(printf '\\%03o' "$mode")"
        printf 'payload %s' "$i"
      } > "$out/wapc/seed_$i"
      i=$((i + 1))
    done
  done
done
# saved findings (fuzz/regressions/wapc-*) stay in the seed corpus
for f in "$(dirname "$0")"/regressions/wapc-*; do
  [ -f "$f" ] && cp "$f" "$out/wapc/regression_$(basename "$f")"
done
echo "corpus: $(ls "$out/modules" | wc -l) modules, $(ls "$out/wapc" | wc -l) waPC inputs in $out"
