#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run.sh MODE: one install test (tests/install/CMakeLists.txt passes the environment below).
#   setup        cmake --install the build into $WORK/prefix, then a copy of it at $WORK/moved (relocation)
#   tree         the installed files are all there, and the installed wapc runs
#   symbols      only wapc_* symbols are global in libwapc.a and libwapc.so (nm)
#   find_shared  a CMake project: find_package(wapc), wapc::wapc; the program runs the example guest
#   find_static  the same with wapc::wapc_static, from the moved copy of the prefix
#   pc_shared    cc $(pkg-config --cflags --libs wapc)
#   pc_static    cc -static $(pkg-config --static --cflags --libs wapc), from the moved copy
#   subdirectory a parent project with add_subdirectory(libwapc): no tests or tools, nothing in its cache
#   fetchcontent the same through FetchContent from the local tree
#   deb          cpack -G DEB, then dpkg-deb -c: each package holds what it should
# Environment: BUILD (the build tree), SRC (the source tree), WORK (a scratch folder for these tests),
# CC, CMAKE, CPACK, GENERATOR.
set -euo pipefail
mode=$1
prefix=$WORK/prefix
moved=$WORK/moved
hello=$SRC/examples/hello/hello.wasm
want="Hello, World!"
mkdir -p "$WORK"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# check_hello PROGRAM: it runs the example guest and prints the greeting.
check_hello() {
  local out
  out=$("$@" "$hello" hello World) || fail "$* exited with $?"
  [ "$out" = "$want" ] || fail "$*: printed '$out', want '$want'"
  echo "$1: $out"
}

# libdir PREFIX: where the libraries went (lib, or lib/<multiarch> for /usr).
libdir() { dirname "$(find "$1" -name libwapc.a | head -1)"; }

# configure_build SOURCE BINARY ARGS...: configure and build a small project, quietly unless it fails.
configure_build() {
  local src=$1 bin=$2
  shift 2
  rm -rf "$bin"
  "$CMAKE" -S "$src" -B "$bin" -G "$GENERATOR" -DCMAKE_C_COMPILER="$CC" "$@" >"$bin.log" 2>&1 &&
    "$CMAKE" --build "$bin" >>"$bin.log" 2>&1 || {
    cat "$bin.log"
    fail "configuring or building $src"
  }
}

case $mode in
setup)
  rm -rf "$prefix" "$moved"
  "$CMAKE" --install "$BUILD" --prefix "$prefix" >"$WORK/install.log" || {
    cat "$WORK/install.log"
    fail "cmake --install"
  }
  cp -a "$prefix" "$moved"
  echo "installed into $prefix ($(find "$prefix" -type f | wc -l) files)"
  ;;
tree)
  lib=$(libdir "$prefix")
  for f in include/wapc.h include/wapc_engine.h bin/wapc share/doc/libwapc/LICENSE share/doc/libwapc/README.md \
    share/doc/libwapc/CHANGELOG.md share/doc/libwapc/examples/hello/hello.c share/man/man1/wapc.1 \
    share/man/man3/libwapc.3; do
    [ -f "$prefix/$f" ] || fail "$f is not installed"
  done
  for f in libwapc.a libwapc.so pkgconfig/wapc.pc cmake/wapc/wapcConfig.cmake cmake/wapc/wapcConfigVersion.cmake \
    cmake/wapc/wapcTargets.cmake; do
    [ -e "$lib/$f" ] || fail "$lib/$f is not installed"
  done
  soname=$(objdump -p "$lib/libwapc.so" | awk '$1 == "SONAME" {print $2}')
  [ -f "$lib/$soname" ] || fail "no $soname (the SONAME) in $lib"
  [ -L "$lib/libwapc.so" ] || fail "libwapc.so is not the development symlink"
  out=$("$prefix/bin/wapc" call "$hello" hello World) || fail "the installed wapc failed"
  [ "$out" = "$want" ] || fail "the installed wapc printed '$out'"
  if grep -rq "$BUILD\|$SRC" "$lib/cmake/wapc" "$lib/pkgconfig"; then
    fail "the CMake or pkg-config files name the build tree"
  fi
  echo "installed: headers, $soname, libwapc.a, wapc, wapc.pc, the CMake package, man pages, docs"
  ;;
symbols)
  bad=0
  for lib in "$BUILD/libwapc.a" "$BUILD/libwapc.so"; do
    if [ "${lib##*.}" = a ]; then syms=$(nm -g --defined-only "$lib" | awk 'NF == 3 {print $3}'); else
      syms=$(nm -D --defined-only "$lib" | awk 'NF == 3 {print $3}')
    fi
    n=$(printf '%s\n' "$syms" | grep -c '^wapc_' || true)
    others=$(printf '%s\n' "$syms" | grep -v '^wapc_' | grep -v '^$' || true)
    if [ -n "$others" ]; then
      echo "$lib defines global symbols outside wapc_*:"
      printf '%s\n' "$others" | head -20
      bad=1
    fi
    [ "$n" -gt 20 ] || { echo "$lib: only $n wapc_* symbols"; bad=1; }
    echo "$lib: $n global symbols, all wapc_*"
  done
  [ $bad = 0 ] || fail "symbols"
  cmp -s <(nm -g --defined-only "$BUILD/libwapc.a" | awk 'NF == 3 {print $3}' | sort) \
    <(nm -D --defined-only "$BUILD/libwapc.so" | awk 'NF == 3 {print $3}' | sort) ||
    fail "libwapc.a and libwapc.so export different symbols"
  ;;
find_shared | find_static)
  static=OFF
  root=$prefix
  if [ "$mode" = find_static ]; then
    static=ON
    root=$moved
  fi
  bin=$WORK/$mode
  configure_build "$SRC/tests/install/consumer" "$bin" -DCMAKE_PREFIX_PATH="$root" -DCONSUMER_STATIC=$static \
    -DEXAMPLES_DIR="$SRC/examples"
  grep -q "wapc_DIR:PATH=$root/" "$bin/CMakeCache.txt" || fail "find_package did not use $root"
  check_hello "$bin/hello"
  needed=$(objdump -p "$bin/hello" | awk '$1 == "NEEDED" {print $2}')
  if [ $static = ON ]; then
    if echo "$needed" | grep -q libwapc; then fail "the static consumer needs a libwapc.so"; fi
  else
    echo "$needed" | grep -q '^libwapc\.so\.' || fail "the shared consumer does not use libwapc.so"
  fi
  ;;
pc_shared | pc_static)
  root=$prefix
  [ "$mode" = pc_static ] && root=$moved
  lib=$(libdir "$root")
  export PKG_CONFIG_PATH=$lib/pkgconfig
  [ "$(pkg-config --modversion wapc)" = "$(sed -n 's/^#define WAPC_VERSION_STRING "\(.*\)".*/\1/p' "$SRC/include/wapc.h")" ] ||
    fail "pkg-config --modversion wapc: $(pkg-config --modversion wapc)"
  out=$WORK/$mode
  if [ "$mode" = pc_shared ]; then
    # shellcheck disable=SC2046
    "$CC" -o "$out" "$SRC/examples/hello/hello.c" $(pkg-config --cflags --libs wapc) || fail "cc with pkg-config"
    LD_LIBRARY_PATH=$lib check_hello "$out"
  else
    pkg-config --static --libs wapc | grep -q -- '-pthread' || fail "no -pthread in pkg-config --static --libs"
    # shellcheck disable=SC2046
    "$CC" -static -o "$out" "$SRC/examples/hello/hello.c" $(pkg-config --static --cflags --libs wapc) ||
      fail "cc -static with pkg-config --static"
    if objdump -p "$out" | grep -q NEEDED; then fail "the -static program has dynamic dependencies"; fi
    check_hello "$out"
  fi
  ;;
subdirectory | fetchcontent)
  bin=$WORK/$mode
  configure_build "$SRC/tests/install/parent" "$bin" -DWAPC_SOURCE="$SRC" -DWAPC_VIA="$mode"
  grep -q '^CMAKE_BUILD_TYPE:STRING=$' "$bin/CMakeCache.txt" || fail "the sub-project set the parent's CMAKE_BUILD_TYPE"
  grep -q '^WAPC_BUILD_TESTS:BOOL=OFF' "$bin/CMakeCache.txt" || fail "tests are on in a sub-project"
  check_hello "$bin/hello_static"
  check_hello "$bin/hello_shared"
  ;;
deb)
  out=$WORK/deb
  rm -rf "$out"
  mkdir -p "$out"
  (cd "$BUILD" && "$CPACK" -G DEB -B "$out") >"$out.log" 2>&1 || {
    cat "$out.log"
    fail "cpack -G DEB"
  }
  contents() { dpkg-deb -c "$(ls "$out"/"$1"_*.deb)" | awk '{print $6}' | sed 's|^\./|/|'; }
  has() {
    contents "$1" | grep -qE "$2" || {
      contents "$1"
      fail "$1 has no $2"
    }
  }
  lacks() {
    if contents "$1" | grep -qE "$2"; then fail "$1 has $2"; fi
  }
  ls "$out"/*.deb
  rt=$(basename "$(ls "$out"/libwapc[0-9]*_*.deb)" | cut -d_ -f1)
  has "$rt" '^/usr/lib/.*libwapc\.so\.[0-9]+$'
  has "$rt" '^/usr/lib/.*libwapc\.so\.[0-9]+\.[0-9]+\.[0-9]+$'
  has "$rt" "^/usr/share/doc/$rt/LICENSE$"
  lacks "$rt" 'include/|libwapc\.a|/bin/'
  has libwapc-dev '^/usr/include/wapc\.h$'
  has libwapc-dev '^/usr/include/wapc_engine\.h$'
  has libwapc-dev '^/usr/lib/.*libwapc\.a$'
  has libwapc-dev '^/usr/lib/.*libwapc\.so$'
  has libwapc-dev '^/usr/lib/.*pkgconfig/wapc\.pc$'
  has libwapc-dev '^/usr/lib/.*cmake/wapc/wapcConfig\.cmake$'
  has libwapc-dev '^/usr/lib/.*cmake/wapc/wapcTargets\.cmake$'
  has libwapc-dev '^/usr/share/man/man3/libwapc\.3'
  has libwapc-dev '^/usr/share/doc/libwapc/LICENSE$'
  has libwapc-dev '^/usr/share/doc/libwapc/examples/hello/hello\.c$'
  lacks libwapc-dev 'libwapc\.so\.[0-9]'
  has wapc '^/usr/bin/wapc$'
  has wapc '^/usr/share/man/man1/wapc\.1'
  dpkg-deb -f "$(ls "$out"/libwapc-dev_*.deb)" Depends | grep -q "$rt" || fail "libwapc-dev does not depend on $rt"
  echo "packages: $rt, libwapc-dev, wapc"
  ;;
*) fail "unknown mode $mode" ;;
esac
