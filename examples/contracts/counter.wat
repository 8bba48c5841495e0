;; counter.wat: a SuperVM contract keeping one number.
;;
;; ABI (Solidity-compatible, so any Ethereum client can call it):
;;   get() -> uint256              the current count
;;   increment() -> uint256        adds one, logs Incremented(address indexed by, uint256 count)
;;   decrement() -> uint256        subtracts one; reverts with Error("counter: cannot go below zero")
;;
;; Storage: slot 0 holds the count as a 256-bit big-endian word (it never exceeds 64 bits).
;; Host API: docs/contracts.md.
(module
  (import "supervm_v1" "calldata_size" (func $calldata_size (result i32)))
  (import "supervm_v1" "calldata_copy" (func $calldata_copy (param i32 i32 i32)))
  (import "supervm_v1" "storage_read" (func $storage_read (param i32 i32)))
  (import "supervm_v1" "storage_write" (func $storage_write (param i32 i32)))
  (import "supervm_v1" "caller" (func $caller (param i32)))
  (import "supervm_v1" "log" (func $log (param i32 i32 i32 i32)))
  (import "supervm_v1" "return" (func $return (param i32 i32)))
  (import "supervm_v1" "revert" (func $revert (param i32 i32)))

  ;; Memory map:
  ;;   0..32     the storage key of the count (slot 0: all zero)
  ;;   32..64    the count as read from or written to storage
  ;;   64..68    the function selector of the calldata
  ;;   96..160   topics of Incremented: its signature hash, then the caller as a word
  ;;   256..356  revert data: Error("counter: cannot go below zero")
  ;;   384..484  revert data: Error("counter: unknown function")
  (memory (export "memory") 1)
  (data (i32.const 96) "\38\ac\78\9e\d4\45\72\70\17\65\27\7c\4d\09\70\f2\db\1c\1a\57\1e\d3\9e\84\35\80\95\ae\4e\aa\54\20")
  (data (i32.const 256) "\08\c3\79\a0\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\20\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\1d\63\6f\75\6e\74\65\72\3a\20\63\61\6e\6e\6f\74\20\67\6f\20\62\65\6c\6f\77\20\7a\65\72\6f\00\00\00")
  (data (i32.const 384) "\08\c3\79\a0\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\20\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\19\63\6f\75\6e\74\65\72\3a\20\75\6e\6b\6e\6f\77\6e\20\66\75\6e\63\74\69\6f\6e\00\00\00\00\00\00\00")

  ;; The count, from the last 8 bytes of the big-endian word in storage slot 0.
  (func $load (result i64)
    (local $i i32) (local $v i64)
    (call $storage_read (i32.const 0) (i32.const 32))
    (local.set $i (i32.const 56))
    (loop $bytes
      (local.set $v (i64.or (i64.shl (local.get $v) (i64.const 8))
                            (i64.load8_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $bytes (i32.lt_u (local.get $i) (i32.const 64))))
    (local.get $v))

  ;; Writes `v` to storage slot 0 as a big-endian word.
  (func $store (param $v i64)
    (local $i i32)
    (memory.fill (i32.const 32) (i32.const 0) (i32.const 24))
    (local.set $i (i32.const 63))
    (loop $bytes
      (i64.store8 (local.get $i) (local.get $v))
      (local.set $v (i64.shr_u (local.get $v) (i64.const 8)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $bytes (i32.ge_u (local.get $i) (i32.const 56))))
    (call $storage_write (i32.const 0) (i32.const 32)))

  ;; The first four calldata bytes as a big-endian number (0 when there are fewer).
  (func $selector (result i32)
    (if (i32.lt_u (call $calldata_size) (i32.const 4))
      (then (return (i32.const 0))))
    (call $calldata_copy (i32.const 64) (i32.const 0) (i32.const 4))
    (i32.or
      (i32.or (i32.shl (i32.load8_u (i32.const 64)) (i32.const 24))
              (i32.shl (i32.load8_u (i32.const 65)) (i32.const 16)))
      (i32.or (i32.shl (i32.load8_u (i32.const 66)) (i32.const 8))
              (i32.load8_u (i32.const 67)))))

  (func (export "call")
    (local $selector i32) (local $count i64)
    (local.set $selector (call $selector))
    (local.set $count (call $load))
    ;; get()
    (if (i32.eq (local.get $selector) (i32.const 0x6d4ce63c))
      (then (call $return (i32.const 32) (i32.const 32))))
    ;; increment()
    (if (i32.eq (local.get $selector) (i32.const 0xd09de08a))
      (then
        (call $store (i64.add (local.get $count) (i64.const 1)))
        (memory.fill (i32.const 128) (i32.const 0) (i32.const 12))
        (call $caller (i32.const 140))
        (call $log (i32.const 96) (i32.const 2) (i32.const 32) (i32.const 32))
        (call $return (i32.const 32) (i32.const 32))))
    ;; decrement()
    (if (i32.eq (local.get $selector) (i32.const 0x2baeceb7))
      (then
        (if (i64.eqz (local.get $count))
          (then (call $revert (i32.const 256) (i32.const 100))))
        (call $store (i64.sub (local.get $count) (i64.const 1)))
        (call $return (i32.const 32) (i32.const 32))))
    (call $revert (i32.const 384) (i32.const 100)))
)
