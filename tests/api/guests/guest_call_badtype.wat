;; __guest_call with the wrong type: a link error naming both types.
(module
  (memory (export "memory") 1)
  (func (export "__guest_call") (param i32) (result i32) (i32.const 1)))
