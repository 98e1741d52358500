#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# check_man.sh WAPC WAPC_1_SCD WAPC_1: wapc(1) documents every command of `wapc --help`, every option of
# each command's help and every exit status of `wapc call --help`; the built page renders without warnings.
set -u
wapc=$1 scd=$2 page=$3
fail=0
commands=$("$wapc" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 && $1 != "Commands:" {print $1}')
[ -n "$commands" ] || { echo "no commands in 'wapc --help'"; exit 1; }
for c in $commands; do
  grep -qF "*$c*" "$scd" || { echo "wapc(1) does not document the command '$c'"; fail=1; }
  [ "$c" = help ] && continue
  for o in $("$wapc" help "$c" | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
    grep -qF -- "*$o*" "$scd" || { echo "wapc(1) does not document '$o' of 'wapc $c'"; fail=1; }
  done
done
for code in $("$wapc" help call | sed -n '/^Exit status:/,$p' | awk '$1 ~ /^[0-9]+$/ {print $1}'); do
  grep -qE "^\|  $code\$" "$scd" || { echo "wapc(1) does not document exit status $code"; fail=1; }
done
if command -v man >/dev/null 2>&1; then
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  [ -z "$warnings" ] || { echo "man -l $page: $warnings"; fail=1; }
fi
[ $fail = 0 ] && echo "wapc(1) documents every command, option and exit status"
exit $fail
