// SPDX-License-Identifier: Apache-2.0
// as_hostcall: "call" takes "binding|namespace|operation|body", calls the host
// through the SDK's hostCall and answers with the host response; a host error
// comes back as the guest error "Host error: <message>".
import { register, handleCall, handleAbort, hostCall, Result } from "@wapc/as-guest";

function call(payload: ArrayBuffer): Result<ArrayBuffer> {
  const text = String.UTF8.decode(payload);
  const parts = text.split("|", 4);
  if (parts.length < 4) {
    return Result.error<ArrayBuffer>(new Error("want binding|namespace|operation|body"));
  }
  const result = hostCall(parts[0], parts[1], parts[2], String.UTF8.encode(parts[3]));
  if (!result.isOk) {
    return Result.error<ArrayBuffer>(new Error("Host error: " + result.error()!.message));
  }
  return Result.ok(result.get());
}

export function wapc_init(): void {
  register("call", call);
}

export function __guest_call(operation_size: usize, payload_size: usize): bool {
  return handleCall(operation_size, payload_size);
}

function abort(message: string | null, fileName: string | null, lineNumber: u32, columnNumber: u32): void {
  handleAbort(message, fileName, lineNumber, columnNumber);
}
