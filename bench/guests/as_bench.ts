// SPDX-License-Identifier: Apache-2.0
// as_bench: the AssemblyScript guest of the call benchmarks (@wapc/as-guest).
// "echo" answers the payload; "ping" makes one host call ("bench", "bench",
// "ping") with the payload and answers the host's response.
import { register, handleCall, handleAbort, hostCall, Result } from "@wapc/as-guest";

function echo(payload: ArrayBuffer): Result<ArrayBuffer> {
  return Result.ok(payload);
}

function ping(payload: ArrayBuffer): Result<ArrayBuffer> {
  const result = hostCall("bench", "bench", "ping", payload);
  if (!result.isOk) {
    return Result.error<ArrayBuffer>(new Error("Host error: " + result.error()!.message));
  }
  return Result.ok(result.get());
}

export function wapc_init(): void {
  register("echo", echo);
  register("ping", ping);
}

export function __guest_call(operation_size: usize, payload_size: usize): bool {
  return handleCall(operation_size, payload_size);
}

function abort(message: string | null, fileName: string | null, lineNumber: u32, columnNumber: u32): void {
  handleAbort(message, fileName, lineNumber, columnNumber);
}
