;; SPDX-License-Identifier: Apache-2.0
;; exceptions: a waPC guest that uses exception handling (Wasm 3.0: try_table, throw, throw_ref).
;;   digits: walks the payload recursively, one frame per byte; a byte that is not a digit throws
;;           $bad (its value) from the bottom of the recursion; __guest_call catches it and answers with
;;           that byte, else "ok".
;;   escape: the same walk with no handler: the exception leaves __guest_call (a trap for the host).
;;   again:  catches the exception with catch_ref, then throws it again (throw_ref): it escapes too.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  (tag $bad (param i32))
  (data (i32.const 16) "ok")

  ;; walk(i, n): bytes i..n-1 of the payload at 1024, checked from the last frame back
  (func $walk (param $i i32) (param $n i32)
    (local $b i32)
    (if (i32.lt_u (local.get $i) (local.get $n))
      (then
        (call $walk (i32.add (local.get $i) (i32.const 1)) (local.get $n))
        (local.set $b (i32.load8_u offset=1024 (local.get $i)))
        (if (i32.gt_u (i32.sub (local.get $b) (i32.const 48)) (i32.const 9))
          (then (throw $bad (local.get $b)))))))

  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $exn exnref) (local $b i32)
    (if (i32.gt_u (local.get $msg_len) (i32.const 60000)) (then unreachable))
    (call $guest_request (i32.const 512) (i32.const 1024))
    ;; the operation's first byte: d(igits), e(scape), a(gain)
    (block $caught (result i32)
      (block $caught_ref (result i32 exnref)
        (if (i32.eq (i32.load8_u (i32.const 512)) (i32.const 101)) ;; 'e'
          (then (call $walk (i32.const 0) (local.get $msg_len))))
        (try_table (catch $bad $caught) (catch_ref $bad $caught_ref)
          ;; catch comes first: catch_ref is reached only by an exception $bad does not match (none)
          (call $walk (i32.const 0) (local.get $msg_len)))
        (call $guest_response (i32.const 16) (i32.const 2))
        (return (i32.const 1)))
      (local.set $exn)
      (drop)
      (throw_ref (local.get $exn)))
    ;; the offending byte, caught
    (local.set $b)
    (i32.store8 (i32.const 0) (local.get $b))
    (if (i32.eq (i32.load8_u (i32.const 512)) (i32.const 97)) ;; 'a': throw it again
      (then
        (block $h (result exnref)
          (try_table (catch_all_ref $h) (call $walk (i32.const 0) (local.get $msg_len)))
          (unreachable))
        (throw_ref)))
    (call $guest_response (i32.const 0) (i32.const 1))
    (i32.const 1)))
