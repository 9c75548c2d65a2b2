;; Float64 gemm with zero-skipping, f64x2 SIMD: the same per-element expression order as the JS
;; kernel in ../matmul.ts, so both give bit-identical results. No relaxed SIMD (no fused multiply-add).
;;
;; out (m x n, row-major) = X · B, where X(i, p) is the f64 at a + i·ars + p·acs (byte strides, so
;; one routine serves X = A and X = Aᵀ) and B is k rows of n f64 at b. Per row i of X the nonzero
;; coefficients (and the zeros whose row of B is not all finite, since 0 · Inf is NaN) are
;; compressed into idx (byte offsets of rows of B) and coef; then out row i += Σ coef_q · B row,
;; four terms at a time: out += ((s0·b0 + s1·b1) + s2·b2) + s3·b3, then one term at a time, then
;; the bias row if there is one. mask (k bytes), idx (k i32) and coef (k f64) are scratch space the caller reserves.
(module
  (memory (export "memory") 1)

  ;; mask[p] = 1 when row p of B (k rows of n f64 at b) is all finite: no x·0 has an exponent bit
  ;; set (the products are OR-ed: a running sum would wait on each add's latency)
  (func $finiteRows (param $b i32) (param $k i32) (param $n i32) (param $mask i32)
    (local $p i32) (local $row i32) (local $j i32) (local $end2 i32) (local $end i32)
    (local $acc v128) (local $tail i64)
    (local.set $end2 (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3)))
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (local.set $row (local.get $b))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $p) (local.get $k)))
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $tail (i64.const 0))
        (local.set $j (i32.const 0))
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.ge_u (local.get $j) (local.get $end2)))
            (local.set $acc
              (v128.or (local.get $acc)
                (f64x2.mul (v128.load (i32.add (local.get $row) (local.get $j)))
                  (v128.const f64x2 0 0))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $pairs)))
        (if (i32.lt_u (local.get $j) (local.get $end))
          (then
            (local.set $tail
              (i64.reinterpret_f64 (f64.mul (f64.load (i32.add (local.get $row) (local.get $j))) (f64.const 0))))))
        (i32.store8 (i32.add (local.get $mask) (local.get $p))
          (i64.eqz
            (i64.and
              (i64.or (i64.or (i64x2.extract_lane 0 (local.get $acc)) (i64x2.extract_lane 1 (local.get $acc)))
                (local.get $tail))
              (i64.const 0x7ff0000000000000))))
        (local.set $row (i32.add (local.get $row) (local.get $end)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $rows))))

  ;; sums[j] = Σ_p |B[p][j]| over the k rows of n f64 at b, row by row in order (as the JS loop)
  (func (export "absColumnSums") (param $b i32) (param $k i32) (param $n i32) (param $sums i32)
    (local $p i32) (local $j i32) (local $end2 i32) (local $end i32)
    (local.set $end2 (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3)))
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (memory.fill (local.get $sums) (i32.const 0) (local.get $end))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $p) (local.get $k)))
        (local.set $j (i32.const 0))
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.ge_u (local.get $j) (local.get $end2)))
            (v128.store (i32.add (local.get $sums) (local.get $j))
              (f64x2.add (v128.load (i32.add (local.get $sums) (local.get $j)))
                (f64x2.abs (v128.load (i32.add (local.get $b) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $pairs)))
        (if (i32.lt_u (local.get $j) (local.get $end))
          (then
            (f64.store (i32.add (local.get $sums) (local.get $j))
              (f64.add (f64.load (i32.add (local.get $sums) (local.get $j)))
                (f64.abs (f64.load (i32.add (local.get $b) (local.get $j))))))))
        (local.set $b (i32.add (local.get $b) (local.get $end)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $rows))))

;; dst[j] = max(src[j], 0) for the n f64 at src (dst may be src): Math.max's NaN and −0 rules
  (func (export "relu") (param $src i32) (param $n i32) (param $dst i32)
    (local $j i32) (local $end2 i32) (local $end i32)
    (local.set $end2 (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3)))
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $j) (local.get $end2)))
        (v128.store (i32.add (local.get $dst) (local.get $j))
          (f64x2.max (v128.load (i32.add (local.get $src) (local.get $j))) (v128.const f64x2 0 0)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $pairs)))
    (if (i32.lt_u (local.get $j) (local.get $end))
      (then
        (f64.store (i32.add (local.get $dst) (local.get $j))
          (f64.max (f64.load (i32.add (local.get $src) (local.get $j))) (f64.const 0))))))

  ;; d[j] = p[j] + d[j]·s for the n f64 at p and d: an optimiser's update written into its own step
  (func (export "addScaled") (param $p i32) (param $d i32) (param $n i32) (param $s f64)
    (local $j i32) (local $end2 i32) (local $end i32) (local $sv v128)
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $end2 (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3)))
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $j) (local.get $end2)))
        (v128.store (i32.add (local.get $d) (local.get $j))
          (f64x2.add (v128.load (i32.add (local.get $p) (local.get $j)))
            (f64x2.mul (v128.load (i32.add (local.get $d) (local.get $j))) (local.get $sv))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $pairs)))
    (if (i32.lt_u (local.get $j) (local.get $end))
      (then
        (f64.store (i32.add (local.get $d) (local.get $j))
          (f64.add (f64.load (i32.add (local.get $p) (local.get $j)))
            (f64.mul (f64.load (i32.add (local.get $d) (local.get $j))) (local.get $s)))))))

  ;; dst[i] = table[src[i]] for the n bytes at src: bytes (pixels) to f64 through a 256-entry table
  (func (export "lookupBytes") (param $src i32) (param $n i32) (param $table i32) (param $dst i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (local.get $n)))
    (block $done
      (loop $bytes
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (f64.store (local.get $dst)
          (f64.load (i32.add (local.get $table) (i32.shl (i32.load8_u (local.get $src)) (i32.const 3)))))
        (local.set $src (i32.add (local.get $src) (i32.const 1)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
        (br $bytes))))

    ;; dst (cols x rows f64) = the transpose of src (rows x cols f64), both row-major
  (func (export "transpose") (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32)
    (local $r i32) (local $to i32) (local $end i32)
    (block $done
      (loop $byRow
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $to (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 3))))
        (local.set $end (i32.add (local.get $src) (i32.shl (local.get $cols) (i32.const 3))))
        (block $rowDone
          (loop $byCol
            (br_if $rowDone (i32.ge_u (local.get $src) (local.get $end)))
            (f64.store (local.get $to) (f64.load (local.get $src)))
            (local.set $src (i32.add (local.get $src) (i32.const 8)))
            (local.set $to (i32.add (local.get $to) (i32.shl (local.get $rows) (i32.const 3))))
            (br $byCol)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $byRow))))

  (func (export "gemm")
    (param $m i32) (param $k i32) (param $n i32) (param $a i32) (param $ars i32) (param $acs i32)
    (param $b i32) (param $out i32) (param $mask i32) (param $idx i32) (param $coef i32)
    (param $bias i32)
    (local $i i32) (local $p i32) (local $x i32) (local $s f64) (local $count i32)
    (local $o i32) (local $q i32) (local $count4 i32) (local $j i32) (local $limit i32)
    (local $rowBytes i32) (local $end4 i32) (local $end2 i32) (local $bp i32)
    (local $b0 i32) (local $b1 i32) (local $b2 i32) (local $b3 i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $t0 f64) (local $t1 f64) (local $t2 f64) (local $t3 f64)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 3)))
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 3)))
    (local.set $end2 (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3)))
    (call $finiteRows (local.get $b) (local.get $k) (local.get $n) (local.get $mask))
    (local.set $o (local.get $out))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
        ;; zero out row i just before it is summed into, while it is in cache
        (memory.fill (local.get $o) (i32.const 0) (local.get $rowBytes))
        ;; compress row i of X: entry by entry branch-free, as single zeros follow no pattern a predictor learns
        (local.set $count (i32.const 0))
        (local.set $p (i32.const 0))
        (local.set $bp (local.get $b))  ;; the address of row p of B
        (local.set $x (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $ars))))
        ;; a contiguous row (acs = 8) goes eight entries at a time, and eight zeros whose rows of B are
        ;; all finite are passed over in one test: MNIST's zeros come in runs (borders, blank rows)
        (block $gatherDone
          (loop $gather
            (br_if $gatherDone (i32.ge_u (local.get $p) (local.get $k)))
            (local.set $limit (local.get $k))
            (if (i32.and (i32.eq (local.get $acs) (i32.const 8))
                         (i32.le_u (i32.add (local.get $p) (i32.const 8)) (local.get $k)))
              (then
                (if (i32.and
                      (i64.eq (i64.load (i32.add (local.get $mask) (local.get $p))) (i64.const 0x0101010101010101))
                      (i32.eqz (v128.any_true
                        (v128.or
                          (v128.or (f64x2.ne (v128.load (local.get $x)) (v128.const f64x2 0 0))
                                   (f64x2.ne (v128.load offset=16 (local.get $x)) (v128.const f64x2 0 0)))
                          (v128.or (f64x2.ne (v128.load offset=32 (local.get $x)) (v128.const f64x2 0 0))
                                   (f64x2.ne (v128.load offset=48 (local.get $x)) (v128.const f64x2 0 0)))))))
                  (then
                    (local.set $bp (i32.add (local.get $bp) (i32.shl (local.get $rowBytes) (i32.const 3))))
                    (local.set $x (i32.add (local.get $x) (i32.const 64)))
                    (local.set $p (i32.add (local.get $p) (i32.const 8)))
                    (br $gather)))
                (local.set $limit (i32.add (local.get $p) (i32.const 8)))))
            (block $entriesDone
              (loop $entries
                (br_if $entriesDone (i32.ge_u (local.get $p) (local.get $limit)))
                (local.set $s (f64.load (local.get $x)))  ;; written to slot $count, kept if $count advances
                (i32.store (i32.add (local.get $idx) (i32.shl (local.get $count) (i32.const 2))) (local.get $bp))
                (f64.store (i32.add (local.get $coef) (i32.shl (local.get $count) (i32.const 3))) (local.get $s))
                (local.set $count (i32.add (local.get $count)
                  (i32.or (f64.ne (local.get $s) (f64.const 0))
                          (i32.eqz (i32.load8_u (i32.add (local.get $mask) (local.get $p)))))))
                (local.set $bp (i32.add (local.get $bp) (local.get $rowBytes)))
                (local.set $x (i32.add (local.get $x) (local.get $acs)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $entries)))
            (br $gather)))
        ;; four terms at a time
        (local.set $count4 (i32.and (local.get $count) (i32.const -4)))
        (local.set $q (i32.const 0))
        (block $quadsDone
          (loop $quads
            (br_if $quadsDone (i32.ge_u (local.get $q) (local.get $count4)))
            (local.set $t0 (f64.load (i32.add (local.get $coef) (i32.shl (local.get $q) (i32.const 3)))))
            (local.set $t1 (f64.load offset=8 (i32.add (local.get $coef) (i32.shl (local.get $q) (i32.const 3)))))
            (local.set $t2 (f64.load offset=16 (i32.add (local.get $coef) (i32.shl (local.get $q) (i32.const 3)))))
            (local.set $t3 (f64.load offset=24 (i32.add (local.get $coef) (i32.shl (local.get $q) (i32.const 3)))))
            (local.set $s0 (f64x2.splat (local.get $t0)))
            (local.set $s1 (f64x2.splat (local.get $t1)))
            (local.set $s2 (f64x2.splat (local.get $t2)))
            (local.set $s3 (f64x2.splat (local.get $t3)))
            (local.set $b0 (i32.load (i32.add (local.get $idx) (i32.shl (local.get $q) (i32.const 2)))))
            (local.set $b1 (i32.load offset=4 (i32.add (local.get $idx) (i32.shl (local.get $q) (i32.const 2)))))
            (local.set $b2 (i32.load offset=8 (i32.add (local.get $idx) (i32.shl (local.get $q) (i32.const 2)))))
            (local.set $b3 (i32.load offset=12 (i32.add (local.get $idx) (i32.shl (local.get $q) (i32.const 2)))))
            (local.set $j (i32.const 0))
            (block $j4Done
              (loop $j4
                (br_if $j4Done (i32.ge_u (local.get $j) (local.get $end4)))
                (v128.store (i32.add (local.get $o) (local.get $j))
                  (f64x2.add (v128.load (i32.add (local.get $o) (local.get $j)))
                    (f64x2.add
                      (f64x2.add
                        (f64x2.add
                          (f64x2.mul (local.get $s0) (v128.load (i32.add (local.get $b0) (local.get $j))))
                          (f64x2.mul (local.get $s1) (v128.load (i32.add (local.get $b1) (local.get $j)))))
                        (f64x2.mul (local.get $s2) (v128.load (i32.add (local.get $b2) (local.get $j)))))
                      (f64x2.mul (local.get $s3) (v128.load (i32.add (local.get $b3) (local.get $j)))))))
                (v128.store offset=16 (i32.add (local.get $o) (local.get $j))
                  (f64x2.add (v128.load offset=16 (i32.add (local.get $o) (local.get $j)))
                    (f64x2.add
                      (f64x2.add
                        (f64x2.add
                          (f64x2.mul (local.get $s0) (v128.load offset=16 (i32.add (local.get $b0) (local.get $j))))
                          (f64x2.mul (local.get $s1) (v128.load offset=16 (i32.add (local.get $b1) (local.get $j)))))
                        (f64x2.mul (local.get $s2) (v128.load offset=16 (i32.add (local.get $b2) (local.get $j)))))
                      (f64x2.mul (local.get $s3) (v128.load offset=16 (i32.add (local.get $b3) (local.get $j)))))))
                (local.set $j (i32.add (local.get $j) (i32.const 32)))
                (br $j4)))
            (if (i32.lt_u (local.get $j) (local.get $end2))
              (then
                (v128.store (i32.add (local.get $o) (local.get $j))
                  (f64x2.add (v128.load (i32.add (local.get $o) (local.get $j)))
                    (f64x2.add
                      (f64x2.add
                        (f64x2.add
                          (f64x2.mul (local.get $s0) (v128.load (i32.add (local.get $b0) (local.get $j))))
                          (f64x2.mul (local.get $s1) (v128.load (i32.add (local.get $b1) (local.get $j)))))
                        (f64x2.mul (local.get $s2) (v128.load (i32.add (local.get $b2) (local.get $j)))))
                      (f64x2.mul (local.get $s3) (v128.load (i32.add (local.get $b3) (local.get $j)))))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))))
            (if (i32.lt_u (local.get $j) (local.get $rowBytes))
              (then
                (f64.store (i32.add (local.get $o) (local.get $j))
                  (f64.add (f64.load (i32.add (local.get $o) (local.get $j)))
                    (f64.add
                      (f64.add
                        (f64.add
                          (f64.mul (local.get $t0) (f64.load (i32.add (local.get $b0) (local.get $j))))
                          (f64.mul (local.get $t1) (f64.load (i32.add (local.get $b1) (local.get $j)))))
                        (f64.mul (local.get $t2) (f64.load (i32.add (local.get $b2) (local.get $j)))))
                      (f64.mul (local.get $t3) (f64.load (i32.add (local.get $b3) (local.get $j)))))))))
            (local.set $q (i32.add (local.get $q) (i32.const 4)))
            (br $quads)))
        ;; the remaining terms one at a time
        (block $singlesDone
          (loop $singles
            (br_if $singlesDone (i32.ge_u (local.get $q) (local.get $count)))
            (local.set $t0 (f64.load (i32.add (local.get $coef) (i32.shl (local.get $q) (i32.const 3)))))
            (local.set $s0 (f64x2.splat (local.get $t0)))
            (local.set $b0 (i32.load (i32.add (local.get $idx) (i32.shl (local.get $q) (i32.const 2)))))
            (local.set $j (i32.const 0))
            (block $j2Done
              (loop $j2
                (br_if $j2Done (i32.ge_u (local.get $j) (local.get $end2)))
                (v128.store (i32.add (local.get $o) (local.get $j))
                  (f64x2.add (v128.load (i32.add (local.get $o) (local.get $j)))
                    (f64x2.mul (local.get $s0) (v128.load (i32.add (local.get $b0) (local.get $j))))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $j2)))
            (if (i32.lt_u (local.get $j) (local.get $rowBytes))
              (then
                (f64.store (i32.add (local.get $o) (local.get $j))
                  (f64.add (f64.load (i32.add (local.get $o) (local.get $j)))
                    (f64.mul (local.get $t0) (f64.load (i32.add (local.get $b0) (local.get $j))))))))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $singles)))
        ;; then the bias row (n f64 at $bias, none when 0) added to out row i: x·W + b, as in JS
        (if (local.get $bias)
          (then
            (local.set $j (i32.const 0))
            (block $biasDone
              (loop $biasPairs
                (br_if $biasDone (i32.ge_u (local.get $j) (local.get $end2)))
                (v128.store (i32.add (local.get $o) (local.get $j))
                  (f64x2.add (v128.load (i32.add (local.get $o) (local.get $j)))
                    (v128.load (i32.add (local.get $bias) (local.get $j)))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $biasPairs)))
            (if (i32.lt_u (local.get $j) (local.get $rowBytes))
              (then
                (f64.store (i32.add (local.get $o) (local.get $j))
                  (f64.add (f64.load (i32.add (local.get $o) (local.get $j)))
                    (f64.load (i32.add (local.get $bias) (local.get $j)))))))))
        (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))
)
