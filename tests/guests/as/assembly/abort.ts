// SPDX-License-Identifier: Apache-2.0
// as_abort: failures that AssemblyScript turns into abort(): "throw" throws an
// Error, "index" reads past the end of an array, "assert" fails an assertion.
// The SDK's handleAbort sets the guest error, then the compiled code hits
// unreachable, so the host sees a trap. "ok" answers "fine" (the instance
// used by a later call must still work).
import { register, handleCall, handleAbort, Result } from "@wapc/as-guest";

function doThrow(payload: ArrayBuffer): Result<ArrayBuffer> {
  throw new Error("thrown: " + String.UTF8.decode(payload));
}

function doIndex(payload: ArrayBuffer): Result<ArrayBuffer> {
  const a = new Array<i32>(2);
  const i = payload.byteLength + 10;
  return Result.ok(String.UTF8.encode(a[i].toString()));
}

function doAssert(payload: ArrayBuffer): Result<ArrayBuffer> {
  assert(payload.byteLength == 1234567, "payload is not 1234567 bytes");
  return Result.ok(payload);
}

function ok(payload: ArrayBuffer): Result<ArrayBuffer> {
  return Result.ok(String.UTF8.encode("fine"));
}

export function wapc_init(): void {
  register("throw", doThrow);
  register("index", doIndex);
  register("assert", doAssert);
  register("ok", ok);
}

export function __guest_call(operation_size: usize, payload_size: usize): bool {
  return handleCall(operation_size, payload_size);
}

function abort(message: string | null, fileName: string | null, lineNumber: u32, columnNumber: u32): void {
  handleAbort(message, fileName, lineNumber, columnNumber);
}
