//! Building and signing transactions: EIP-1559 and legacy transfers, and CIP-64 (type 0x7b)
//! transactions encoded by hand from Celo's specification.

use super::{
    keccak256, AccessList, Address, Bytes, Encodable2718, PrivateKeySigner, SignableTransaction,
    Signature, Signed, SignerSync, TxEip1559, TxEnvelope, TxKind, TxLegacy, B256, CHAIN_ID, U256,
};

/// The type byte of CIP-64 transactions.
pub const CIP64_TYPE: u8 = 0x7b;

/// A fresh random account.
pub fn random_signer() -> PrivateKeySigner {
    PrivateKeySigner::random()
}

/// Signs a transaction with `signer` (no chain id is added: what `tx` says is signed).
pub fn sign<T>(signer: &PrivateKeySigner, tx: T) -> TxEnvelope
where
    T: SignableTransaction<Signature>,
    TxEnvelope: From<Signed<T>>,
{
    let signature = signer.sign_hash_sync(&tx.signature_hash()).expect("sign");
    TxEnvelope::from(tx.into_signed(signature))
}

/// The EIP-2718 encoding of a signed transaction, as `eth_sendRawTransaction` takes it.
pub fn raw(tx: &TxEnvelope) -> Bytes {
    tx.encoded_2718().into()
}

/// `tx` signed by `signer`, EIP-2718 encoded.
pub fn signed_raw(signer: &PrivateKeySigner, tx: TxEip1559) -> Bytes {
    raw(&sign(signer, tx))
}

/// An EIP-1559 transfer.
pub fn eip1559(nonce: u64, to: Address, value: U256, max_fee: u128, tip: u128) -> TxEip1559 {
    TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(to),
        value,
        access_list: AccessList::default(),
        input: Bytes::new(),
    }
}

/// An EIP-1559 call of `to` with `input`.
pub fn eip1559_call(
    nonce: u64,
    to: Address,
    input: Bytes,
    gas_limit: u64,
    max_fee: u128,
    tip: u128,
) -> TxEip1559 {
    TxEip1559 {
        gas_limit,
        input,
        ..eip1559(nonce, to, U256::ZERO, max_fee, tip)
    }
}

/// A legacy EIP-155 transfer.
pub fn legacy(nonce: u64, to: Address, value: U256, gas_price: u128) -> TxLegacy {
    TxLegacy {
        chain_id: Some(CHAIN_ID),
        nonce,
        gas_price,
        gas_limit: 21_000,
        to: TxKind::Call(to),
        value,
        input: Bytes::new(),
    }
}

/// A CIP-64 (type 0x7b) transaction:
/// `0x7b || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gas, to, value, data,
/// accessList, feeCurrency, yParity, r, s])`, signing hash `keccak256(0x7b || rlp(fields))`.
#[derive(Clone, Debug)]
pub struct Cip64Tx {
    pub chain_id: u64,
    pub nonce: u64,
    pub max_priority_fee_per_gas: u128,
    pub max_fee_per_gas: u128,
    pub gas_limit: u64,
    pub to: Address,
    pub value: U256,
    pub input: Bytes,
    pub access_list: AccessList,
    /// `None` encodes as the empty string.
    pub fee_currency: Option<Address>,
}

impl Cip64Tx {
    /// A 21,000-gas transfer of nothing to `to` paying in `token`, fee fields in its units.
    pub fn transfer(nonce: u64, to: Address, token: Address, max_fee: u128, tip: u128) -> Self {
        Self {
            chain_id: CHAIN_ID,
            nonce,
            max_priority_fee_per_gas: tip,
            max_fee_per_gas: max_fee,
            gas_limit: 21_000,
            to,
            value: U256::ZERO,
            input: Bytes::new(),
            access_list: AccessList::default(),
            fee_currency: Some(token),
        }
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        use alloy::rlp::Encodable;
        self.chain_id.encode(out);
        self.nonce.encode(out);
        self.max_priority_fee_per_gas.encode(out);
        self.max_fee_per_gas.encode(out);
        self.gas_limit.encode(out);
        self.to.encode(out);
        self.value.encode(out);
        self.input.encode(out);
        self.access_list.encode(out);
        match &self.fee_currency {
            Some(token) => token.encode(out),
            None => out.push(alloy::rlp::EMPTY_STRING_CODE),
        }
    }

    fn typed_list(payload: Vec<u8>) -> Vec<u8> {
        let mut out = vec![CIP64_TYPE];
        alloy::rlp::Header {
            list: true,
            payload_length: payload.len(),
        }
        .encode(&mut out);
        out.extend_from_slice(&payload);
        out
    }

    /// keccak256(0x7b || rlp(fields without the signature)).
    fn signing_hash(&self) -> B256 {
        let mut payload = Vec::new();
        self.encode_fields(&mut payload);
        keccak256(Self::typed_list(payload))
    }

    /// The signed network encoding and its hash.
    pub fn sign(&self, signer: &PrivateKeySigner) -> (Bytes, B256) {
        use alloy::rlp::Encodable;
        let signature = signer.sign_hash_sync(&self.signing_hash()).expect("sign");
        let mut payload = Vec::new();
        self.encode_fields(&mut payload);
        (signature.v() as u8).encode(&mut payload);
        signature.r().encode(&mut payload);
        signature.s().encode(&mut payload);
        let raw = Self::typed_list(payload);
        let hash = keccak256(&raw);
        (raw.into(), hash)
    }

    /// The signed network encoding alone.
    pub fn signed_raw(&self, signer: &PrivateKeySigner) -> Bytes {
        self.sign(signer).0
    }
}
