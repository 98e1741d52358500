#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""compare.py OURS WABT - compare diff_driver output with wasm-interp's.

Exit 0: agree, 1: disagree (differences printed), 2: inconclusive (our fuel
ran out, or wabt failed in a way we cannot compare).  Traps compare by kind,
not wording; NaNs compare equal whatever their sign and payload."""
import re
import sys

TRAP_KINDS = [
    ("unreachable", "unreachable"),
    ("out of bounds memory", "memory"),
    ("out of bounds table", "table"),
    ("undefined element", "table"),
    ("undefined table index", "table"),  # wabt's wording for call_indirect past the table's end
    ("uninitialized element", "uninit"),
    ("indirect call", "signature"),
    ("signature mismatch", "signature"),
    ("integer divide by zero", "div0"),
    ("integer overflow", "overflow"),
    ("invalid conversion", "conversion"),
    ("call stack exhausted", "stack"),
]


def norm_line(line):
    line = line.rstrip("\n")
    m = re.match(r"^(.*\(\)) => error: (.*)$", line)
    if m:
        msg = m.group(2)
        for key, kind in TRAP_KINDS:
            if key in msg:
                return m.group(1) + " => trap:" + kind
        return m.group(1) + " => trap:?" + msg
    line = re.sub(r"(f32|f64):-?nan", r"\1:nan", line)
    return re.sub(r"v128 i32x4:((?:0x[0-9a-f]{8} ?){4})", norm_v128, line)


def is_nan32(w):
    return (w & 0x7F800000) == 0x7F800000 and (w & 0x007FFFFF) != 0


def norm_v128(m):
    """A v128 whose lanes may be float NaNs: any NaN-looking 32-bit lane, and any
    NaN-looking 64-bit half, becomes "nan" (whatever the lane type, on both sides)."""
    w = [int(x, 16) for x in m.group(1).split()]
    out = ["0x%08x" % x for x in w]
    for k in (0, 2):
        hi, lo = w[k + 1], w[k]
        if (hi & 0x7FF00000) == 0x7FF00000 and ((hi & 0x000FFFFF) or lo):
            out[k] = out[k + 1] = "nan"
    for i in range(4):
        if is_nan32(w[i]):
            out[i] = "nan"
    return "v128 i32x4:" + " ".join(out)


def main():
    ours = open(sys.argv[1]).read().splitlines()
    wabt = open(sys.argv[2]).read().splitlines()
    if any("fuel exhausted" in l for l in ours):
        # Compare only up to the call that ran out of fuel.
        cut = next(i for i, l in enumerate(ours) if "fuel exhausted" in l)
        ours = ours[:cut]
        wabt = wabt[:cut]
        status = 2
    else:
        status = 0
    a = [norm_line(l) for l in ours]
    b = [norm_line(l) for l in wabt]
    if a != b:
        for i in range(max(len(a), len(b))):
            x = a[i] if i < len(a) else "<none>"
            y = b[i] if i < len(b) else "<none>"
            if x != y:
                print("line %d:\n  ours: %s\n  wabt: %s" % (i + 1, x, y))
                break
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
