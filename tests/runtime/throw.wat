;; SPDX-License-Identifier: Apache-2.0
;; Exceptions across frames, tiers, host functions and instances.  $mid uses no exception handling, so
;; the compiler tier runs it: exceptions thrown below it cross its frame to the handlers above.  The
;; host function "reenter" calls back into the instance (vm_invoke) and returns the error of that call:
;; an exception thrown there reaches the handlers of the outer activation.
(module
  (import "host" "reenter" (func $reenter (param i32) (result i32)))
  (import "host" "tag" (tag $imported (param i32)))
  (tag $e (export "e") (param i32))
  (tag $other (param i32))

  (func $throw (export "throw") (param $v i32) (result i32)
    (if (i32.ge_s (local.get $v) (i32.const 0)) (then (throw $e (local.get $v))))
    (i32.const -1))
  (func $mid (param $v i32) (result i32)
    (i32.add (call $throw (local.get $v)) (i32.const 1000)))
  (func $deep (param $n i32) (param $v i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (call $mid (local.get $v)))
      (else (i32.add (call $deep (i32.sub (local.get $n) (i32.const 1)) (local.get $v)) (i32.const 1)))))

  ;; catch $e n frames below, through compiled frames: v + 1
  (func (export "catch-deep") (param $n i32) (param $v i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h) (call $deep (local.get $n) (local.get $v)))
      (return))
    (i32.add (i32.const 1)))

  ;; through the host: "reenter" calls "throw" in a nested activation
  (func (export "catch-host") (param $v i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h) (call $reenter (local.get $v)))
      (return))
    (i32.add (i32.const 2)))

  ;; a handler for another tag with the same type does not catch; catch_all does
  (func (export "catch-other") (param $v i32) (result i32)
    (block $all
      (block $h (result i32)
        (try_table (result i32) (catch $other $h) (catch_all $all) (call $throw (local.get $v)))
        (return))
      (return (i32.const 100)))
    (i32.const 200))

  ;; an exception of the imported tag (the host's, shared with another instance)
  (func (export "throw-imported") (param $v i32) (throw $imported (local.get $v)))
  (func (export "catch-imported") (param $v i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $imported $h) (throw $imported (local.get $v)))
      (unreachable))
    (i32.add (i32.const 3)))

  ;; traps are not exceptions: catch_all does not catch them
  (func (export "trap-in-try") (result i32)
    (block $all
      (try_table (catch_all $all) (unreachable)))
    (i32.const 1))
  ;; a long loop in a try: fuel and interrupts stop it, never caught
  (func (export "spin-in-try") (result i32)
    (block $all
      (try_table (catch_all $all) (loop $l (br $l))))
    (i32.const 1))

  ;; the legacy instructions on the same runtime: rethrow from a catch arm, caught further out
  (func (export "legacy") (param $v i32) (result i32)
    (try (result i32)
      (do
        (try (result i32)
          (do (call $mid (local.get $v)))
          (catch $e (drop) (rethrow 0))))
      (catch $e (i32.const 7) (i32.add))))

  ;; uncaught: leaves the call like a trap
  (func (export "uncaught") (param $v i32) (result i32) (call $mid (local.get $v)))
)
