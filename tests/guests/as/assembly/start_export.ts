// SPDX-License-Identifier: Apache-2.0
// as_start_export: built with --exportStart _start, so the top-level code is
// not a start section but the exported _start that the host calls during
// initialisation. "count" answers how many times the top level ran ("1").
import { register, handleCall, handleAbort, Result } from "@wapc/as-guest";

let runs = 0;
runs++;

register("count", function (payload: ArrayBuffer): Result<ArrayBuffer> {
  return Result.ok(String.UTF8.encode(runs.toString()));
});

export function __guest_call(operation_size: usize, payload_size: usize): bool {
  return handleCall(operation_size, payload_size);
}

function abort(message: string | null, fileName: string | null, lineNumber: u32, columnNumber: u32): void {
  handleAbort(message, fileName, lineNumber, columnNumber);
}
