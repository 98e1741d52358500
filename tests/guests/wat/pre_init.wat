;; SPDX-License-Identifier: Apache-2.0
;; pre_init: an initialisation that leaves state in every place a
;; pre-initialised image must capture, so a host started from the image can be
;; compared with one that ran the initialisation itself:
;; - the start section and wapc_init each append a letter to a log (S, w);
;; - memory grows from 1 to 4 pages and wapc_init fills page 3 with a pattern;
;; - a passive data segment is copied in (memory.init) and then dropped;
;; - the table grows from 2 to 5 and gets $seven, $eleven from a passive
;;   element segment (then dropped), and a funcref global gets $thirteen;
;; - mutable globals of every numeric type get new values.
;; Operations:
;;   "state"   answers a 64-byte record of all that (the same on every host);
;;   "bump"    adds 1 to a counter in memory and in a global and answers both
;;             (so a host's writes are its own: a new host starts at 1 again);
;;   "dropped" memory.init from the dropped segment: traps (out of bounds);
;;   "elem"    table.init from the dropped element segment: traps;
;;   "trap"    unreachable.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1 100)
  (table $t 2 100 funcref)
  (global $n (mut i32) (i32.const 0))
  (global $g32 (mut i32) (i32.const 1))
  (global $g64 (mut i64) (i64.const 2))
  (global $gf32 (mut f32) (f32.const 3))
  (global $gf64 (mut f64) (f64.const 4))
  (global $fref (mut funcref) (ref.null func))
  (global $counter (mut i32) (i32.const 0))
  (data (i32.const 16) "active")
  (data $passive "passive segment")
  (elem $fns func $seven $eleven)
  (elem declare func $thirteen)
  (type $r (func (result i32)))
  (func $seven (result i32) (i32.const 7))
  (func $eleven (result i32) (i32.const 11))
  (func $thirteen (result i32) (i32.const 13))
  (func $append (param $c i32)
    (i32.store8 (i32.add (i32.const 256) (global.get $n)) (local.get $c))
    (global.set $n (i32.add (global.get $n) (i32.const 1))))
  (func $start_section
    (call $append (i32.const 0x53))
    (global.set $g32 (i32.const -5)))
  (start $start_section)
  (func (export "wapc_init")
    (local $i i32)
    (call $append (i32.const 0x77))
    (drop (memory.grow (i32.const 3)))
    ;; page 3: byte i = i * 7 (mod 256)
    (local.set $i (i32.const 0))
    (block $done
      (loop $fill
        (br_if $done (i32.ge_u (local.get $i) (i32.const 65536)))
        (i32.store8 (i32.add (i32.const 196608) (local.get $i)) (i32.mul (local.get $i) (i32.const 7)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    (memory.init $passive (i32.const 64) (i32.const 0) (i32.const 15))
    (data.drop $passive)
    (drop (table.grow $t (ref.null func) (i32.const 3)))
    (table.init $t $fns (i32.const 3) (i32.const 0) (i32.const 2))
    (elem.drop $fns)
    (global.set $fref (ref.func $thirteen))
    (global.set $g64 (i64.const 0x1122334455667788))
    (global.set $gf32 (f32.const -0.5))
    (global.set $gf64 (f64.const 1e300)))
  ;; The op name's first byte picks the operation.
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $op i32)
    (call $guest_request (i32.const 1024) (i32.const 2048))
    (local.set $op (i32.load8_u (i32.const 1024)))
    (if (i32.eq (local.get $op) (i32.const 0x62)) ;; "bump"
      (then
        (i32.store (i32.const 128) (i32.add (i32.load (i32.const 128)) (i32.const 1)))
        (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
        (i32.store (i32.const 4096) (i32.load (i32.const 128)))
        (i32.store (i32.const 4100) (global.get $counter))
        (call $guest_response (i32.const 4096) (i32.const 8))
        (return (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 0x64)) ;; "dropped"
      (then (memory.init $passive (i32.const 0) (i32.const 0) (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 0x65)) ;; "elem"
      (then (table.init $t $fns (i32.const 0) (i32.const 0) (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 0x74)) ;; "trap"
      (then unreachable))
    ;; "state": the record at 4096
    (i32.store (i32.const 4096) (memory.size))
    (i32.store (i32.const 4100) (table.size $t))
    (i32.store (i32.const 4104) (global.get $g32))
    (i64.store (i32.const 4108) (global.get $g64))
    (f32.store (i32.const 4116) (global.get $gf32))
    (f64.store (i32.const 4120) (global.get $gf64))
    (i32.store (i32.const 4128) (call_indirect $t (type $r) (i32.const 3)))
    (i32.store (i32.const 4132) (call_indirect $t (type $r) (i32.const 4)))
    (table.set $t (i32.const 0) (global.get $fref))
    (i32.store (i32.const 4136) (call_indirect $t (type $r) (i32.const 0)))
    (table.set $t (i32.const 0) (ref.null func))
    (i32.store (i32.const 4140) (i32.load (i32.const 256))) ;; the log: "Sw"
    (i64.store (i32.const 4144) (i64.load (i32.const 64))) ;; "passive "
    (i32.store (i32.const 4152) (i32.load (i32.const 16))) ;; "acti"
    (i32.store (i32.const 4156) (i32.load (i32.const 200000))) ;; page 3 pattern
    (call $guest_response (i32.const 4096) (i32.const 64))
    (i32.const 1)))
