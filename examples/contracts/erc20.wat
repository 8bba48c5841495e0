;; erc20.wat: a standard ERC-20 token as a SuperVM contract.
;;
;; Answers the ERC-20 ABI, so wallets, explorers and any ERC-20 library can use it:
;;   name() symbol() decimals() totalSupply() balanceOf(address) allowance(address,address)
;;   transfer(address,uint256) approve(address,uint256) transferFrom(address,address,uint256)
;; and logs Transfer(address indexed, address indexed, uint256) and
;; Approval(address indexed, address indexed, uint256). Failures revert with OpenZeppelin's
;; Error(string) messages.
;;
;; `deploy` mints the whole supply, 1,000,000 SVX with 18 decimals, to the deployer.
;;
;; Storage follows Solidity's layout for `mapping(address => uint256) balances` (slot 0),
;; `mapping(address => mapping(address => uint256)) allowances` (slot 1) and
;; `uint256 totalSupply` (slot 2), so eth_getStorageAt reads it like a Solidity token.
;; Host API: docs/contracts.md.
(module
  (import "supervm_v1" "calldata_size" (func $calldata_size (result i32)))
  (import "supervm_v1" "calldata_copy" (func $calldata_copy (param i32 i32 i32)))
  (import "supervm_v1" "storage_read" (func $storage_read (param i32 i32)))
  (import "supervm_v1" "storage_write" (func $storage_write (param i32 i32)))
  (import "supervm_v1" "caller" (func $caller (param i32)))
  (import "supervm_v1" "keccak256" (func $keccak256 (param i32 i32 i32)))
  (import "supervm_v1" "log" (func $log (param i32 i32 i32 i32)))
  (import "supervm_v1" "return" (func $return (param i32 i32)))
  (import "supervm_v1" "revert" (func $revert (param i32 i32)))

  ;; Memory map:
  ;;   0..100      calldata: selector, then up to three 32-byte arguments at 4, 36 and 68
  ;;   128..160    the caller as a 32-byte word
  ;;   160..192    a zero word (the zero address)
  ;;   256..320    input of a mapping-slot hash: key word, slot word
  ;;   320..352    the storage key being read or written
  ;;   352..384    a balance
  ;;   384..416    an allowance
  ;;   416..448    a word to return
  ;;   448..544    log topics
  ;;   1024..      constants: revert data, ABI-encoded name and symbol, the supply, event hashes
  (memory (export "memory") 1)
  (data (i32.const 1024) "\08\c3\79\a0\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\20\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\26\45\52\43\32\30\3a\20\74\72\61\6e\73\66\65\72\20\61\6d\6f\75\6e\74\20\65\78\63\65\65\64\73\20\62\61\6c\61\6e\63\65\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00")
  (data (i32.const 1280) "\08\c3\79\a0\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\20\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\1d\45\52\43\32\30\3a\20\69\6e\73\75\66\66\69\63\69\65\6e\74\20\61\6c\6c\6f\77\61\6e\63\65\00\00\00")
  (data (i32.const 1408) "\08\c3\79\a0\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\20\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\23\45\52\43\32\30\3a\20\74\72\61\6e\73\66\65\72\20\74\6f\20\74\68\65\20\7a\65\72\6f\20\61\64\64\72\65\73\73\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00")
  (data (i32.const 1664) "\08\c3\79\a0\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\20\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\22\45\52\43\32\30\3a\20\61\70\70\72\6f\76\65\20\74\6f\20\74\68\65\20\7a\65\72\6f\20\61\64\64\72\65\73\73\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00")
  (data (i32.const 1920) "\08\c3\79\a0\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\20\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\2d\45\52\43\32\30\3a\20\75\6e\6b\6e\6f\77\6e\20\66\75\6e\63\74\69\6f\6e\20\6f\72\20\6d\61\6c\66\6f\72\6d\65\64\20\63\61\6c\6c\64\61\74\61\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00")
  (data (i32.const 2176) "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\20\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\15\53\75\70\65\72\56\4d\20\45\78\61\6d\70\6c\65\20\54\6f\6b\65\6e\00\00\00\00\00\00\00\00\00\00\00")
  (data (i32.const 2304) "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\20\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\03\53\56\58\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00")
  (data (i32.const 2432) "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\d3\c2\1b\ce\cc\ed\a1\00\00\00")
  (data (i32.const 2464) "\dd\f2\52\ad\1b\e2\c8\9b\69\c2\b0\68\fc\37\8d\aa\95\2b\a7\f1\63\c4\a1\16\28\f5\5a\4d\f5\23\b3\ef")
  (data (i32.const 2496) "\8c\5b\e1\e5\eb\ec\7d\5b\d1\4f\71\42\7d\1e\84\f3\dd\03\14\c0\f7\b2\29\1e\5b\20\0a\c8\c7\c3\b9\25")

  (func $copy32 (param $dst i32) (param $src i32)
    (memory.copy (local.get $dst) (local.get $src) (i32.const 32)))

  ;; Clears the 12 bytes above an address argument, as Solidity's decoder would require.
  (func $clean_address (param $p i32)
    (memory.fill (local.get $p) (i32.const 0) (i32.const 12)))

  (func $is_zero (param $p i32) (result i32)
    (i32.and
      (i32.and (i64.eqz (i64.load (local.get $p)))
               (i64.eqz (i64.load offset=8 (local.get $p))))
      (i32.and (i64.eqz (i64.load offset=16 (local.get $p)))
               (i64.eqz (i64.load offset=24 (local.get $p))))))

  (func $is_max (param $p i32) (result i32)
    (i32.and
      (i32.and (i64.eq (i64.load (local.get $p)) (i64.const -1))
               (i64.eq (i64.load offset=8 (local.get $p)) (i64.const -1)))
      (i32.and (i64.eq (i64.load offset=16 (local.get $p)) (i64.const -1))
               (i64.eq (i64.load offset=24 (local.get $p)) (i64.const -1)))))

  ;; Storage key of balances[owner]: keccak256(owner . 0) into 320.
  (func $balance_key (param $owner i32)
    (call $copy32 (i32.const 256) (local.get $owner))
    (memory.fill (i32.const 288) (i32.const 0) (i32.const 32))
    (call $keccak256 (i32.const 256) (i32.const 64) (i32.const 320)))

  ;; Storage key of allowances[owner][spender]: keccak256(spender . keccak256(owner . 1)).
  (func $allowance_key (param $owner i32) (param $spender i32)
    (call $copy32 (i32.const 256) (local.get $owner))
    (memory.fill (i32.const 288) (i32.const 0) (i32.const 32))
    (i32.store8 (i32.const 319) (i32.const 1))
    (call $keccak256 (i32.const 256) (i32.const 64) (i32.const 288))
    (call $copy32 (i32.const 256) (local.get $spender))
    (call $keccak256 (i32.const 256) (i32.const 64) (i32.const 320)))

  ;; Storage key of totalSupply: slot 2.
  (func $supply_key
    (memory.fill (i32.const 320) (i32.const 0) (i32.const 32))
    (i32.store8 (i32.const 351) (i32.const 2)))

  ;; a := a + b on 256-bit big-endian words (balances never overflow: they sum to the supply).
  (func $add (param $a i32) (param $b i32)
    (local $i i32) (local $sum i32)
    (local.set $i (i32.const 31))
    (loop $bytes
      (local.set $sum
        (i32.add (i32.add (i32.load8_u (i32.add (local.get $a) (local.get $i)))
                          (i32.load8_u (i32.add (local.get $b) (local.get $i))))
                 (i32.shr_u (local.get $sum) (i32.const 8))))
      (i32.store8 (i32.add (local.get $a) (local.get $i)) (local.get $sum))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $bytes (i32.ge_s (local.get $i) (i32.const 0)))))

  ;; a := a - b on 256-bit big-endian words; callers check b <= a first.
  (func $sub (param $a i32) (param $b i32)
    (local $i i32) (local $diff i32) (local $borrow i32)
    (local.set $i (i32.const 31))
    (loop $bytes
      (local.set $diff
        (i32.sub (i32.sub (i32.load8_u (i32.add (local.get $a) (local.get $i)))
                          (i32.load8_u (i32.add (local.get $b) (local.get $i))))
                 (local.get $borrow)))
      (local.set $borrow (i32.lt_s (local.get $diff) (i32.const 0)))
      (i32.store8 (i32.add (local.get $a) (local.get $i)) (local.get $diff))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $bytes (i32.ge_s (local.get $i) (i32.const 0)))))

  ;; Whether a < b as unsigned 256-bit big-endian words.
  (func $lt (param $a i32) (param $b i32) (result i32)
    (local $i i32) (local $x i32) (local $y i32)
    (loop $bytes
      (local.set $x (i32.load8_u (i32.add (local.get $a) (local.get $i))))
      (local.set $y (i32.load8_u (i32.add (local.get $b) (local.get $i))))
      (if (i32.ne (local.get $x) (local.get $y))
        (then (return (i32.lt_u (local.get $x) (local.get $y)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $bytes (i32.lt_u (local.get $i) (i32.const 32))))
    (i32.const 0))

  ;; Logs an event with signature hash `topic`, two indexed words and one data word.
  (func $emit (param $topic i32) (param $a i32) (param $b i32) (param $data i32)
    (call $copy32 (i32.const 448) (local.get $topic))
    (call $copy32 (i32.const 480) (local.get $a))
    (call $copy32 (i32.const 512) (local.get $b))
    (call $log (i32.const 448) (i32.const 3) (local.get $data) (i32.const 32)))

  ;; Moves `amount` from `from` to `to` and logs Transfer.
  (func $move (param $from i32) (param $to i32) (param $amount i32)
    (if (call $is_zero (local.get $to))
      (then (call $revert (i32.const 1408) (i32.const 132))))
    (call $balance_key (local.get $from))
    (call $storage_read (i32.const 320) (i32.const 352))
    (if (call $lt (i32.const 352) (local.get $amount))
      (then (call $revert (i32.const 1024) (i32.const 132))))
    (call $sub (i32.const 352) (local.get $amount))
    (call $storage_write (i32.const 320) (i32.const 352))
    (call $balance_key (local.get $to))
    (call $storage_read (i32.const 320) (i32.const 352))
    (call $add (i32.const 352) (local.get $amount))
    (call $storage_write (i32.const 320) (i32.const 352))
    (call $emit (i32.const 2464) (local.get $from) (local.get $to) (local.get $amount)))

  ;; Reverts unless the calldata holds at least `size` bytes.
  (func $need (param $size i32)
    (if (i32.lt_u (call $calldata_size) (local.get $size))
      (then (call $revert (i32.const 1920) (i32.const 132)))))

  (func $return_word (param $p i32)
    (call $return (local.get $p) (i32.const 32)))

  (func $return_true
    (memory.fill (i32.const 416) (i32.const 0) (i32.const 32))
    (i32.store8 (i32.const 447) (i32.const 1))
    (call $return_word (i32.const 416)))

  (func (export "deploy")
    (call $caller (i32.const 140))
    (call $balance_key (i32.const 128))
    (call $storage_write (i32.const 320) (i32.const 2432))
    (call $supply_key)
    (call $storage_write (i32.const 320) (i32.const 2432))
    (call $emit (i32.const 2464) (i32.const 160) (i32.const 128) (i32.const 2432)))

  (func (export "call")
    (local $selector i32)
    (call $need (i32.const 4))
    (call $calldata_copy (i32.const 0) (i32.const 0) (i32.const 100))
    (call $caller (i32.const 140))
    (local.set $selector
      (i32.or
        (i32.or (i32.shl (i32.load8_u (i32.const 0)) (i32.const 24))
                (i32.shl (i32.load8_u (i32.const 1)) (i32.const 16)))
        (i32.or (i32.shl (i32.load8_u (i32.const 2)) (i32.const 8))
                (i32.load8_u (i32.const 3)))))
    ;; name()
    (if (i32.eq (local.get $selector) (i32.const 0x06fdde03))
      (then (call $return (i32.const 2176) (i32.const 96))))
    ;; symbol()
    (if (i32.eq (local.get $selector) (i32.const 0x95d89b41))
      (then (call $return (i32.const 2304) (i32.const 96))))
    ;; decimals()
    (if (i32.eq (local.get $selector) (i32.const 0x313ce567))
      (then
        (memory.fill (i32.const 416) (i32.const 0) (i32.const 32))
        (i32.store8 (i32.const 447) (i32.const 18))
        (call $return_word (i32.const 416))))
    ;; totalSupply()
    (if (i32.eq (local.get $selector) (i32.const 0x18160ddd))
      (then
        (call $supply_key)
        (call $storage_read (i32.const 320) (i32.const 352))
        (call $return_word (i32.const 352))))
    ;; balanceOf(address owner)
    (if (i32.eq (local.get $selector) (i32.const 0x70a08231))
      (then
        (call $need (i32.const 36))
        (call $clean_address (i32.const 4))
        (call $balance_key (i32.const 4))
        (call $storage_read (i32.const 320) (i32.const 352))
        (call $return_word (i32.const 352))))
    ;; transfer(address to, uint256 amount)
    (if (i32.eq (local.get $selector) (i32.const 0xa9059cbb))
      (then
        (call $need (i32.const 68))
        (call $clean_address (i32.const 4))
        (call $move (i32.const 128) (i32.const 4) (i32.const 36))
        (call $return_true)))
    ;; approve(address spender, uint256 amount)
    (if (i32.eq (local.get $selector) (i32.const 0x095ea7b3))
      (then
        (call $need (i32.const 68))
        (call $clean_address (i32.const 4))
        (if (call $is_zero (i32.const 4))
          (then (call $revert (i32.const 1664) (i32.const 132))))
        (call $allowance_key (i32.const 128) (i32.const 4))
        (call $storage_write (i32.const 320) (i32.const 36))
        (call $emit (i32.const 2496) (i32.const 128) (i32.const 4) (i32.const 36))
        (call $return_true)))
    ;; allowance(address owner, address spender)
    (if (i32.eq (local.get $selector) (i32.const 0xdd62ed3e))
      (then
        (call $need (i32.const 68))
        (call $clean_address (i32.const 4))
        (call $clean_address (i32.const 36))
        (call $allowance_key (i32.const 4) (i32.const 36))
        (call $storage_read (i32.const 320) (i32.const 384))
        (call $return_word (i32.const 384))))
    ;; transferFrom(address from, address to, uint256 amount)
    (if (i32.eq (local.get $selector) (i32.const 0x23b872dd))
      (then
        (call $need (i32.const 100))
        (call $clean_address (i32.const 4))
        (call $clean_address (i32.const 36))
        (call $allowance_key (i32.const 4) (i32.const 128))
        (call $storage_read (i32.const 320) (i32.const 384))
        (if (call $lt (i32.const 384) (i32.const 68))
          (then (call $revert (i32.const 1280) (i32.const 100))))
        (if (i32.eqz (call $is_max (i32.const 384)))
          (then
            (call $sub (i32.const 384) (i32.const 68))
            (call $storage_write (i32.const 320) (i32.const 384))))
        (call $move (i32.const 4) (i32.const 36) (i32.const 68))
        (call $return_true)))
    (call $revert (i32.const 1920) (i32.const 132)))
)
