;; forwarder.wat: a SuperVM contract that calls another account on its caller's behalf, to
;; show nested calls: any contract, a plain account, or a system contract such as a
;; registered token (the forwarder is then the token's caller, spending its own balance).
;;
;; Calldata: [gas limit: 8 bytes, big-endian][target address: 20 bytes][input for the target]
;; The gas limit is capped at 63/64 of the gas left (pass 0xffffffffffffffff for "all").
;; Returns the target's return data, or reverts with its revert data.
;; Host API: docs/contracts.md.
(module
  (import "supervm_v1" "calldata_size" (func $calldata_size (result i32)))
  (import "supervm_v1" "calldata_copy" (func $calldata_copy (param i32 i32 i32)))
  (import "supervm_v1" "call_contract" (func $call (param i32 i32 i32 i32 i64) (result i32)))
  (import "supervm_v1" "return_data_size" (func $return_data_size (result i32)))
  (import "supervm_v1" "return_data_copy" (func $return_data_copy (param i32 i32 i32)))
  (import "supervm_v1" "return" (func $return (param i32 i32)))
  (import "supervm_v1" "revert" (func $revert (param i32 i32)))

  ;; Memory map:
  ;;   0..32       the value sent along: always zero
  ;;   1024..      the calldata: gas limit at 1024, target at 1032, input from 1052
  ;;   65536..     the target's return data (the second page)
  (memory (export "memory") 2)

  ;; The big-endian u64 at `p`.
  (func $u64 (param $p i32) (result i64)
    (local $i i32) (local $v i64)
    (loop $bytes
      (local.set $v (i64.or (i64.shl (local.get $v) (i64.const 8))
                            (i64.load8_u (i32.add (local.get $p) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $bytes (i32.lt_u (local.get $i) (i32.const 8))))
    (local.get $v))

  (func (export "call")
    (local $size i32) (local $failed i32)
    (local.set $size (call $calldata_size))
    (if (i32.lt_u (local.get $size) (i32.const 28))
      (then (call $revert (i32.const 0) (i32.const 0))))
    (call $calldata_copy (i32.const 1024) (i32.const 0) (local.get $size))
    (local.set $failed
      (call $call (i32.const 1032) (i32.const 0) (i32.const 1052)
                  (i32.sub (local.get $size) (i32.const 28))
                  (call $u64 (i32.const 1024))))
    (call $return_data_copy (i32.const 65536) (i32.const 0) (call $return_data_size))
    (if (local.get $failed)
      (then (call $revert (i32.const 65536) (call $return_data_size))))
    (call $return (i32.const 65536) (call $return_data_size)))
)
