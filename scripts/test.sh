#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test.sh: the whole test suite, from a fresh Debian 12 machine or a developer's checkout.
#   1. installs what the tests need (apt packages only when missing; the npm packages of the
#      AssemblyScript guests only when package-lock.json changed since the last install);
#   2. builds with gcc and -Werror, runs ctest (with the examples, the docs checks and, only here, the
#      install tests: label install), then the tests again with the interpreter tier (WAPC_TIER);
#   3. builds with clang, AddressSanitizer and UndefinedBehaviorSanitizer, runs ctest again;
#   4. builds the libFuzzer targets (clang, -DWAPC_FUZZ=ON) and runs each for a short smoke
#      (ctest -L fuzz; WAPC_FUZZ_SMOKE_SECONDS per target, default 20) plus the saved regressions;
#   5. builds with clang and ThreadSanitizer and runs the threaded tests (api.guard, api.module, api.wait,
#      api.pool, hostile and the soak test for 10 s).
# Non-interactive and idempotent; every stage always runs, and it exits non-zero if any failed.
# Build directories: build-test-gcc, build-test-asan, build-test-fuzz and build-test-tsan
# (WAPC_TEST_JOBS sets ctest's parallelism).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

say() { printf '\n==> %s\n' "$*"; }

# ---- 1. dependencies -----------------------------------------------------------------------------------
packages=(cmake ninja-build gcc clang lld clang-19 lld-19 wabt binaryen libcjson-dev libcmocka-dev wasi-libc valgrind
  doxygen scdoc pkg-config man-db)
# Node.js: Debian's packages unless a node and npm are already on the PATH (e.g. a newer install).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

as_dir=tests/guests/as
stamp=$as_dir/node_modules/.installed-lock.json
if ! cmp -s "$as_dir/package-lock.json" "$stamp"; then
  say "npm ci in $as_dir"
  npm ci --prefix "$as_dir" --no-audit --no-fund
  cp "$as_dir/package-lock.json" "$stamp"
fi

jobs=${WAPC_TEST_JOBS:-$(nproc)}
failed=()

# build_and_test NAME BUILD_DIR CTEST_ARGS CMAKE_ARGS...: configure, build, ctest (with the
# whitespace-separated CTEST_ARGS, e.g. a label or name filter); a failure is recorded and the
# other stages still run, so one run reports everything.
build_and_test() {
  local name=$1 dir=$2 filter=$3
  shift 3
  say "$name: configure and build ($dir)"
  if ! cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWAPC_REQUIRE_GUESTS=ON "$@" ||
    ! cmake --build "$dir"; then
    failed+=("$name build")
    return
  fi
  say "$name: ctest"
  # shellcheck disable=SC2086
  (cd "$dir" && ctest --output-on-failure -j "$jobs" $filter) || failed+=("$name tests")
}

# ---- 2. gcc, warnings as errors ------------------------------------------------------------------------
build_and_test gcc build-test-gcc "" -DCMAKE_C_COMPILER=gcc -DWAPC_WERROR=ON
# The same tests with the interpreter for every function (the first pass ran the default tier, the
# compiler where it is built in): every guest, API, CLI and WASI test runs on both tiers.
say "gcc: ctest again with WAPC_TIER=interpreter"
(cd build-test-gcc && WAPC_TIER=interpreter ctest --output-on-failure -j "$jobs" \
  -LE "valgrind|soak|install|docs|diff|examples") || failed+=("gcc interpreter-tier tests")

# ---- 3. clang with ASan + UBSan ------------------------------------------------------------------------
build_and_test clang+sanitizers build-test-asan "" -DCMAKE_C_COMPILER=clang -DWAPC_WERROR=ON -DWAPC_SANITIZE=ON

# ---- 4. libFuzzer smoke ---------------------------------------------------------------------------------
# Each target runs for WAPC_FUZZ_SMOKE_SECONDS on a copy of its seed corpus; the long run is in fuzz/README.md.
build_and_test fuzz-smoke build-test-fuzz "-L fuzz" -DCMAKE_C_COMPILER=clang -DWAPC_FUZZ=ON \
  -DWAPC_FUZZ_SMOKE_SECONDS="${WAPC_FUZZ_SMOKE_SECONDS:-20}"

# ---- 5. ThreadSanitizer, threaded tests only -------------------------------------------------------------
tsan=-fsanitize=thread
build_and_test tsan build-test-tsan "-R ^(api\.guard\..+|api\.module\..+|api\.wait\..+|api\.pool\..+|api\.preinit\..+|hostile\.(fuel|deadline|interrupt|bombs|small_native_stack|huge_counts)|soak)$" -DCMAKE_C_COMPILER=clang \
  -DWAPC_SOAK_SECONDS=10 -DCMAKE_C_FLAGS="$tsan" -DCMAKE_EXE_LINKER_FLAGS="$tsan" \
  -DCMAKE_SHARED_LINKER_FLAGS="$tsan"

if ((${#failed[@]})); then
  say "FAILED: ${failed[*]}"
  exit 1
fi
say "all tests passed (gcc -Werror, clang with ASan+UBSan, fuzz smoke, threaded tests under TSan)"
