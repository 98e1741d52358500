// SPDX-License-Identifier: Apache-2.0
// as_toplevel: handlers registered by top-level code, which AssemblyScript
// compiles into the module's start section, so they exist before any export
// runs. "hello" answers "Hello, <payload>!".
import { register, handleCall, handleAbort, Result } from "@wapc/as-guest";

register("hello", function (payload: ArrayBuffer): Result<ArrayBuffer> {
  return Result.ok(String.UTF8.encode("Hello, " + String.UTF8.decode(payload) + "!"));
});

export function __guest_call(operation_size: usize, payload_size: usize): bool {
  return handleCall(operation_size, payload_size);
}

function abort(message: string | null, fileName: string | null, lineNumber: u32, columnNumber: u32): void {
  handleAbort(message, fileName, lineNumber, columnNumber);
}
