;; SPDX-License-Identifier: Apache-2.0
;; exceptions_legacy: exceptions.wat's operations with the legacy instructions (try, catch, catch_all,
;; rethrow, delegate), which LLVM emits for C++ by default.
;;   digits: a byte that is not a digit throws $bad from the bottom of a recursion; the handler in
;;           __guest_call answers with that byte, else "ok".
;;   escape: the same walk with no handler: the exception leaves __guest_call (a trap for the host).
;;   again:  catch_all, then rethrow: it escapes too.
;;   skip:   the walk runs in a try that delegates to the function's caller, inside a try whose catch
;;           is skipped: it escapes too.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  (tag $bad (param i32))
  (data (i32.const 16) "ok")

  (func $walk (param $i i32) (param $n i32)
    (local $b i32)
    (if (i32.lt_u (local.get $i) (local.get $n))
      (then
        (call $walk (i32.add (local.get $i) (i32.const 1)) (local.get $n))
        (local.set $b (i32.load8_u offset=1024 (local.get $i)))
        (if (i32.gt_u (i32.sub (local.get $b) (i32.const 48)) (i32.const 9))
          (then (throw $bad (local.get $b)))))))

  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $op i32)
    (if (i32.gt_u (local.get $msg_len) (i32.const 60000)) (then unreachable))
    (call $guest_request (i32.const 512) (i32.const 1024))
    (local.set $op (i32.load8_u (i32.const 512)))
    (if (i32.eq (local.get $op) (i32.const 101)) ;; 'e'
      (then (call $walk (i32.const 0) (local.get $msg_len))))
    (if (i32.eq (local.get $op) (i32.const 97)) ;; 'a'
      (then
        (try
          (do (call $walk (i32.const 0) (local.get $msg_len)))
          (catch_all (rethrow 0)))))
    (if (i32.eq (local.get $op) (i32.const 115)) ;; 's'
      (then
        (try
          (do
            (try
              (do (call $walk (i32.const 0) (local.get $msg_len)))
              (delegate 1)))
          (catch $bad (drop)))))
    (try (result i32)
      (do
        (call $walk (i32.const 0) (local.get $msg_len))
        (call $guest_response (i32.const 16) (i32.const 2))
        (i32.const 1))
      (catch $bad
        (local.set $op)
        (i32.store8 (i32.const 0) (local.get $op))
        (call $guest_response (i32.const 0) (i32.const 1))
        (i32.const 1)))))
