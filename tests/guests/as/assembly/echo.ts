// SPDX-License-Identifier: Apache-2.0
// as_echo: handlers registered from the exported wapc_init, with the official
// @wapc/as-guest SDK. "echo" answers the payload, "upper" the payload in ASCII
// upper case, "log" logs the payload and answers "logged", "fail" returns an
// error result.
import { register, handleCall, handleAbort, consoleLog, Result } from "@wapc/as-guest";

function echo(payload: ArrayBuffer): Result<ArrayBuffer> {
  return Result.ok(payload);
}

function upper(payload: ArrayBuffer): Result<ArrayBuffer> {
  const out = new Uint8Array(payload.byteLength);
  const src = Uint8Array.wrap(payload);
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    out[i] = c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
  }
  return Result.ok(out.buffer);
}

function log(payload: ArrayBuffer): Result<ArrayBuffer> {
  consoleLog(String.UTF8.decode(payload));
  return Result.ok(String.UTF8.encode("logged"));
}

function fail(payload: ArrayBuffer): Result<ArrayBuffer> {
  return Result.error<ArrayBuffer>(new Error("failed: " + String.UTF8.decode(payload)));
}

export function wapc_init(): void {
  register("echo", echo);
  register("upper", upper);
  register("log", log);
  register("fail", fail);
}

export function __guest_call(operation_size: usize, payload_size: usize): bool {
  return handleCall(operation_size, payload_size);
}

function abort(message: string | null, fileName: string | null, lineNumber: u32, columnNumber: u32): void {
  handleAbort(message, fileName, lineNumber, columnNumber);
}
