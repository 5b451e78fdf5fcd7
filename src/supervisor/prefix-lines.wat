;; The prefixing loop of berth's output path (src/supervisor/prefix-kernel.ts holds its bytes;
;; test/supervisor/prefix-kernel.test.ts compiles this file and checks they are the same).
;;
;; prefix(src, len, dst, pfx, plen, start) copies the len bytes at src to dst with the plen bytes
;; at pfx before each line: before the first byte when start is 1, and after every newline but
;; one that ends the input. It returns the number of bytes written.
;;
;; It moves 16 bytes at a time: each step loads 16 bytes, stores them where the output stands and
;; looks for a newline among them. With none, both sides move 16 on; with one, both move past the
;; first newline only and the prefix is stored behind it, so the next step starts after that
;; newline. Bytes stored past a line's end are overwritten by what follows, so the caller leaves
;; 16 bytes of room after src+len and pfx+plen (read) and after the result (written).
(module
  (memory (export "memory") 1)
  (func (export "prefix")
    (param $src i32) (param $len i32) (param $dst i32) (param $pfx i32) (param $plen i32) (param $start i32)
    (result i32)
    (local $p i32) (local $end i32) (local $out i32) (local $v v128) (local $m i32) (local $q i32)
    (local.set $end (i32.add (local.get $src) (local.get $len)))
    (local.set $p (local.get $src))
    (local.set $out (local.get $dst))
    (if (i32.eqz (local.get $len)) (then (return (i32.const 0))))
    (if (local.get $start) (then
      (local.set $q (i32.const 0))
      (loop $copy
        (v128.store (i32.add (local.get $out) (local.get $q)) (v128.load (i32.add (local.get $pfx) (local.get $q))))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br_if $copy (i32.lt_u (local.get $q) (local.get $plen))))
      (local.set $out (i32.add (local.get $out) (local.get $plen)))))
    (block $done
      (loop $next
        (local.set $v (v128.load (local.get $p)))
        (v128.store (local.get $out) (local.get $v))
        (local.set $m (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 10)))))
        ;; No newline among the 16: move on, or stop at the end (an unterminated last line).
        (if (i32.eqz (local.get $m)) (then
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $out (i32.add (local.get $out) (i32.const 16)))
          (br_if $next (i32.lt_u (local.get $p) (local.get $end)))
          (local.set $out (i32.sub (local.get $out) (i32.sub (local.get $p) (local.get $end))))
          (br $done)))
        ;; Past the first newline; a newline found beyond the end is not the input's.
        (local.set $q (i32.add (i32.ctz (local.get $m)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (local.get $q)))
        (local.set $out (i32.add (local.get $out) (local.get $q)))
        (if (i32.gt_u (local.get $p) (local.get $end)) (then
          (local.set $out (i32.sub (local.get $out) (i32.sub (local.get $p) (local.get $end))))
          (br $done)))
        (br_if $done (i32.eq (local.get $p) (local.get $end)))
        ;; The prefix of the next line.
        (local.set $q (i32.const 0))
        (loop $copy
          (v128.store (i32.add (local.get $out) (local.get $q)) (v128.load (i32.add (local.get $pfx) (local.get $q))))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (br_if $copy (i32.lt_u (local.get $q) (local.get $plen))))
        (local.set $out (i32.add (local.get $out) (local.get $plen)))
        (br $next)))
    (i32.sub (local.get $out) (local.get $dst))))
