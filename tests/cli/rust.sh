#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The two Rust wapc-guest builds shipped by the npm package @wapc/host (test/fixtures): "echo" takes a
# MessagePack map {msg: string} and answers the string MessagePack-encoded; "callback" takes
# {namespace, binding, operation, msg}, makes that host call with msg MessagePack-encoded as payload and
# answers the host response. Both log "WASM: WAPC init" from wapc_init and more lines per call.
. "$(dirname "$0")/lib.sh" "$@"

R=$GUESTS/rust

# fixmap(1) {"msg": "hello world"}
IN=$(bytes echo_in '\201\243msg\253hello world')
expect "echo" 0 "@$(bytes echo_out '\253hello world')" "[host 1] WASM: WAPC init
[host 1] WASM: Got string hello world" -- call "$R/rust_echo_string.wasm" echo
expect "no handler" 1 "" "[host 1] WASM: WAPC init
wapc: $R/rust_echo_string.wasm: "'No handler registered for function "nope"' -- call "$R/rust_echo_string.wasm" nope
IN=$(bytes not_msgpack 'xx')
expect "payload that is not MessagePack" 1 "" "[host 1] WASM: WAPC init
wapc: $R/rust_echo_string.wasm: Guest call failed: Failed to de-serialize: invalid type: integer \`120\`, expected struct EchoArgs" -- \
  call "$R/rust_echo_string.wasm" echo

# fixmap(4) namespace, binding, operation, msg
IN=$(bytes cb_in '\204\251namespace\253myNamespace\247binding\251myBinding\251operation\253myOperation\243msg\263this is the payload')
HOST='[ "$WAPC_BINDING/$WAPC_NAMESPACE/$WAPC_OPERATION" = myBinding/myNamespace/myOperation ] || exit 9
cat >"$TMPD_HOST/host_in"; printf "\245HELLO"'
export TMPD_HOST=$TMPD
expect "callback" 0 "@$(bytes cb_out '\245HELLO')" "[host 1] WASM: WAPC init
[host 1] WASM: received (myBinding,myNamespace,myOperation,this is the payload)
[host 1] WASM: Got result from host call [165, 72, 69, 76, 76, 79]" -- call --host "$HOST" "$R/rust_host_call.wasm" callback
if cmp -s "$TMPD/host_in" "$(bytes cb_host_in '\263this is the payload')"; then PASS=$((PASS + 1)); else
  FAIL=$((FAIL + 1))
  echo "FAIL: callback: the host command did not get the MessagePack string as its stdin"
fi
expect "callback, host error" 1 "" "[host 1] WASM: WAPC init
[host 1] WASM: received (myBinding,myNamespace,myOperation,this is the payload)
wapc: $R/rust_host_call.wasm: Guest call failed: Host error: nope" -- call --host 'echo nope >&2; exit 1' "$R/rust_host_call.wasm" callback
expect "callback, no --host" 1 "" "[host 1] WASM: WAPC init
[host 1] WASM: received (myBinding,myNamespace,myOperation,this is the payload)
wapc: $R/rust_host_call.wasm: Guest call failed: Host error: no host callback is configured" -- call "$R/rust_host_call.wasm" callback
IN=/dev/null

finish
