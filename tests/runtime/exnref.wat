;; SPDX-License-Identifier: Apache-2.0
;; Exception references: made by catch_ref, kept in locals, globals, tables and other exceptions'
;; payloads, thrown again by throw_ref.  "churn" makes a million exceptions, keeping a few: the store
;; collects the rest while the kept ones stay intact (their payloads are read back after).
(module
  (tag $e (param i32))
  (tag $wrap (param i32 exnref))
  (global $g (mut exnref) (ref.null exn))
  (table $t 16 exnref)

  ;; An exception of $e carrying v, caught: its reference.
  (func $make (param $v i32) (result exnref)
    (local $x exnref)
    (block $h (result i32 exnref)
      (try_table (catch_ref $e $h) (throw $e (local.get $v)))
      (unreachable))
    (local.set $x)
    (drop)
    (local.get $x))

  ;; The payload of an exception of $e, by throwing it again and catching it.
  (func $value (param $x exnref) (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (throw_ref (local.get $x)))
      (unreachable)))

  (func (export "churn") (param $n i32) (result i32)
    (local $i i32) (local $keep exnref)
    (global.set $g (call $make (i32.const 12345)))
    (local.set $keep (call $make (i32.const 777)))
    (loop $l
      (drop (call $make (local.get $i)))
      (if (i32.eqz (i32.rem_u (local.get $i) (i32.const 1000)))
        (then (table.set $t (i32.rem_u (i32.div_u (local.get $i) (i32.const 1000)) (i32.const 16))
                             (call $make (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i32.add (call $value (global.get $g)) (call $value (local.get $keep))))

  (func (export "slot") (param i32) (result i32)
    (call $value (table.get $t (local.get 0))))

  (func (export "global") (result i32)
    (call $value (global.get $g)))

  ;; An exception carrying another one: $wrap(k, $e(v)); unwrapped after many collections.
  (func (export "nested") (param $v i32) (param $n i32) (result i32)
    (local $w exnref) (local $i i32)
    ;; keep only the outer exception: the inner one is reachable through its payload alone
    (block $h (result i32 exnref exnref)
      (try_table (catch_ref $wrap $h) (throw $wrap (i32.const 5) (call $make (local.get $v))))
      (unreachable))
    (local.set $w)
    (drop)
    (drop)
    (loop $l
      (drop (call $make (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (block $h2 (result i32 exnref)
      (try_table (catch $wrap $h2) (throw_ref (local.get $w)))
      (unreachable))
    (call $value)
    (i32.add))

  (func (export "null") (throw_ref (ref.null exn)))
  (func (export "is-null") (param i32) (result i32)
    (ref.is_null (if (result exnref) (local.get 0) (then (call $make (i32.const 1))) (else (ref.null exn)))))
)
