;; SPDX-License-Identifier: Apache-2.0
;; Hostile guest behaviour for test_hostile.c: endless loops (plain, through
;; calls, through a host import), unbounded recursion, and growth bombs.
(module
  (import "env" "tick" (func $tick))
  (memory 1)
  (table $t 1 funcref)
  (func (export "loop") (loop $l (br $l)))
  (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "call_loop") (local i32)
    (loop $l (local.set 0 (call $leaf (local.get 0))) (br $l)))
  (func (export "host_loop") (loop $l (call $tick) (br $l)))
  ;; fib without loops: exponential time, depth only n (only entries stop it)
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  ;; sum 0..n-1 in a loop
  (func (export "count") (param i32) (result i32) (local i32 i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get 1) (local.get 0)))
        (local.set 2 (i32.add (local.get 2) (local.get 1)))
        (local.set 1 (i32.add (local.get 1) (i32.const 1)))
        (br $l)))
    (local.get 2))
  (func $rec (export "recurse") (call $rec))
  ;; mutual recursion: two neighbouring functions (WAPC_TIER=mixed compiles one of them, so every
  ;; call crosses between the tiers)
  (func $ping (export "recurse_mutual") (call $pong))
  (func $pong (call $ping))
  (func $rec_wide (export "recurse_wide") (param i64 i64 i64 i64 i64 i64 i64 i64)
    (call $rec_wide (local.get 0) (local.get 1) (local.get 2) (local.get 3)
                    (local.get 4) (local.get 5) (local.get 6) (local.get 7)))
  ;; grow by 1 page until memory.grow fails; returns the final page count
  (func (export "mem_bomb") (result i32)
    (block $done
      (loop $l
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $l)))
    (memory.size))
  ;; one huge grow request
  (func (export "mem_grow") (param i32) (result i32) (memory.grow (local.get 0)))
  ;; touch the last byte of memory
  (func (export "mem_last") (result i32)
    (i32.load8_u (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 1))))
  (func (export "table_bomb") (result i32)
    (block $done
      (loop $l
        (br_if $done (i32.eq (table.grow $t (ref.null func) (i32.const 1000)) (i32.const -1)))
        (br $l)))
    (table.size $t))
  (func (export "table_grow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0))))
