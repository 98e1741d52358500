;; A loop of a billion tail calls runs in constant stack space (the call-depth limit is 10,000 frames).
;; Run on the default tier only (about a second compiled; the interpreter takes ~7 s and runs the
;; 10^7-deep ones of ../extra/tail_call.wast).
(module
  (func $spin (export "spin") (param $n i32) (param $acc i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call $spin (i32.sub (local.get $n) (i32.const 1)) (i32.add (local.get $acc) (local.get $n)))))))
(assert_return (invoke "spin" (i32.const 1000000000) (i32.const 0)) (i32.const -243309312))
