//! Intrinsic gas: what a transaction costs before it executes anything.

use alloy_eips::eip2930::AccessList;

/// Base cost of every transaction.
pub const TX_BASE_GAS: u64 = 21_000;
/// Extra cost of a contract-creation transaction.
pub const TX_CREATE_GAS: u64 = 32_000;
/// Per zero byte of calldata (EIP-2028).
pub const TX_DATA_ZERO_GAS: u64 = 4;
/// Per non-zero byte of calldata (EIP-2028).
pub const TX_DATA_NON_ZERO_GAS: u64 = 16;
/// Per address in an access list (EIP-2930).
pub const ACCESS_LIST_ADDRESS_GAS: u64 = 2_400;
/// Per storage key in an access list (EIP-2930).
pub const ACCESS_LIST_STORAGE_KEY_GAS: u64 = 1_900;
/// Per 32-byte word of init code (EIP-3860).
pub const INIT_CODE_WORD_GAS: u64 = 2;

/// Intrinsic gas of a transaction: 21000, plus 32000 and the init-code word cost for a
/// creation, plus calldata per EIP-2028, plus the access list per EIP-2930.
pub fn intrinsic_gas(input: &[u8], is_create: bool, access_list: Option<&AccessList>) -> u64 {
    let zeros = input.iter().filter(|byte| **byte == 0).count() as u64;
    let non_zeros = input.len() as u64 - zeros;
    let mut gas = TX_BASE_GAS
        .saturating_add(zeros.saturating_mul(TX_DATA_ZERO_GAS))
        .saturating_add(non_zeros.saturating_mul(TX_DATA_NON_ZERO_GAS));
    if is_create {
        let words = (input.len() as u64).div_ceil(32);
        gas = gas
            .saturating_add(TX_CREATE_GAS)
            .saturating_add(words.saturating_mul(INIT_CODE_WORD_GAS));
    }
    if let Some(list) = access_list {
        for item in list.iter() {
            gas = gas.saturating_add(ACCESS_LIST_ADDRESS_GAS).saturating_add(
                (item.storage_keys.len() as u64).saturating_mul(ACCESS_LIST_STORAGE_KEY_GAS),
            );
        }
    }
    gas
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_eips::eip2930::AccessListItem;
    use alloy_primitives::{Address, B256};

    #[test]
    fn counts_calldata_and_access_lists() {
        assert_eq!(intrinsic_gas(&[], false, None), 21_000);
        assert_eq!(
            intrinsic_gas(&[0, 1, 0, 2], false, None),
            21_000 + 2 * 4 + 2 * 16
        );
        let list = AccessList(vec![AccessListItem {
            address: Address::ZERO,
            storage_keys: vec![B256::ZERO, B256::ZERO],
        }]);
        assert_eq!(
            intrinsic_gas(&[], false, Some(&list)),
            21_000 + 2_400 + 2 * 1_900
        );
        assert_eq!(
            intrinsic_gas(&[1; 33], true, None),
            21_000 + 33 * 16 + 32_000 + 2 * 2
        );
    }
}
