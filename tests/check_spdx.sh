#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# check_spdx.sh SOURCE_DIR: every source file of the project (C, headers, X-macro tables, WAT, shell,
# Python, AssemblyScript, CMake and their templates) names its license with an SPDX line among its first three lines.
# Prints the files that do not and "N files checked, N without an SPDX line"; fails when any lacks one.
set -u
cd "$1" || exit 2
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  list() { git ls-files; }
else
  list() { find . -type f -not -path './build*' -not -path '*/node_modules/*' -not -path './.git/*' | sed 's|^\./||'; }
fi
checked=0
missing=0
while IFS= read -r f; do
  case $f in
    *node_modules*) continue ;;
    *.c | *.h | *.def | *.ts | *.wat | *.sh | *.py | *.cmake | *.in | CMakeLists.txt | */CMakeLists.txt | .ci/run) ;;
    *) continue ;;
  esac
  checked=$((checked + 1))
  if ! head -3 "$f" | grep -q 'SPDX-License-Identifier: Apache-2.0'; then
    echo "no SPDX line: $f"
    missing=$((missing + 1))
  fi
done < <(list)
echo "$checked files checked, $missing without an SPDX line"
[ "$checked" -gt 0 ] && [ "$missing" = 0 ]
