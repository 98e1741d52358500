// SPDX-License-Identifier: Apache-2.0
// as_env_abort: like as_echo but built WITHOUT --use abort=..., so the module
// imports env.abort, which a waPC host does not provide: linking must fail
// with an "unknown import" error.
import { register, handleCall, Result } from "@wapc/as-guest";

register("echo", function (payload: ArrayBuffer): Result<ArrayBuffer> {
  return Result.ok(payload);
});

export function __guest_call(operation_size: usize, payload_size: usize): bool {
  return handleCall(operation_size, payload_size);
}
