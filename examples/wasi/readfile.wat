;; SPDX-License-Identifier: Apache-2.0
;; readfile: an example waPC guest that uses WASI. Operation "read" answers the contents of the file
;; named by the payload, a path relative to the first preopened directory (WASI fd 3); "write" creates
;; (or truncates) the file "out.txt" there and writes the payload into it, answering "ok". A WASI error
;; fails the call with "errno N". Rebuild readfile.wasm with: wat2wasm readfile.wat -o readfile.wasm
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (memory (export "memory") 2)
  ;; 0: iovec (ptr, len); 8: result count / fd; 16: "read"; 24: "write"; 32: "out.txt"; 48: "ok";
  ;; 64: "errno " + digits; 1024: operation; 2048: payload (at most 4 KiB); 8192: file contents (64 KiB)
  (data (i32.const 16) "read")
  (data (i32.const 24) "write")
  (data (i32.const 32) "out.txt")
  (data (i32.const 48) "ok")
  (data (i32.const 64) "errno ")

  ;; fail the call with "errno N" (N < 100)
  (func $fail (param $errno i32) (result i32)
    (i32.store8 (i32.const 70) (i32.add (i32.const 48) (i32.div_u (local.get $errno) (i32.const 10))))
    (i32.store8 (i32.const 71) (i32.add (i32.const 48) (i32.rem_u (local.get $errno) (i32.const 10))))
    (call $guest_error (i32.const 64) (i32.const 8))
    (i32.const 0))

  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $err i32) (local $fd i32) (local $total i32)
    (if (i32.or (i32.gt_u (local.get $op_len) (i32.const 1024)) (i32.gt_u (local.get $msg_len) (i32.const 4096)))
      (then (return (call $fail (i32.const 22)))))
    (call $guest_request (i32.const 1024) (i32.const 2048))
    (if (i32.and (i32.eq (local.get $op_len) (i32.const 4)) (i32.eq (i32.load (i32.const 1024)) (i32.load (i32.const 16))))
      (then
        ;; path_open(fd 3, follow symlinks, payload, no oflags, rights fd_read, no inheriting, no fdflags)
        (local.set $err (call $path_open (i32.const 3) (i32.const 1) (i32.const 2048) (local.get $msg_len)
                                         (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 8)))
        (if (local.get $err) (then (return (call $fail (local.get $err)))))
        (local.set $fd (i32.load (i32.const 8)))
        (block $eof
          (loop $more
            (i32.store (i32.const 0) (i32.add (i32.const 8192) (local.get $total)))
            (i32.store (i32.const 4) (i32.sub (i32.const 65536) (local.get $total)))
            (br_if $eof (i32.eqz (i32.load (i32.const 4))))
            (local.set $err (call $fd_read (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
            (if (local.get $err)
              (then (drop (call $fd_close (local.get $fd))) (return (call $fail (local.get $err)))))
            (br_if $eof (i32.eqz (i32.load (i32.const 8))))
            (local.set $total (i32.add (local.get $total) (i32.load (i32.const 8))))
            (br $more)))
        (drop (call $fd_close (local.get $fd)))
        (call $guest_response (i32.const 8192) (local.get $total))
        (return (i32.const 1))))
    (if (i32.and (i32.eq (local.get $op_len) (i32.const 5))
                 (i32.and (i32.eq (i32.load (i32.const 1024)) (i32.load (i32.const 24)))
                          (i32.eq (i32.load8_u (i32.const 1028)) (i32.load8_u (i32.const 28)))))
      (then
        ;; path_open(fd 3, "out.txt", O_CREAT|O_TRUNC (1|8), rights fd_write (64))
        (local.set $err (call $path_open (i32.const 3) (i32.const 0) (i32.const 32) (i32.const 7)
                                         (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 8)))
        (if (local.get $err) (then (return (call $fail (local.get $err)))))
        (local.set $fd (i32.load (i32.const 8)))
        (block $done
          (loop $more
            (br_if $done (i32.ge_u (local.get $total) (local.get $msg_len)))
            (i32.store (i32.const 0) (i32.add (i32.const 2048) (local.get $total)))
            (i32.store (i32.const 4) (i32.sub (local.get $msg_len) (local.get $total)))
            (local.set $err (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
            (if (local.get $err)
              (then (drop (call $fd_close (local.get $fd))) (return (call $fail (local.get $err)))))
            (local.set $total (i32.add (local.get $total) (i32.load (i32.const 8))))
            (br $more)))
        (drop (call $fd_close (local.get $fd)))
        (call $guest_response (i32.const 48) (i32.const 2))
        (return (i32.const 1))))
    (call $fail (i32.const 52))))
