//! Development accounts derived from a BIP-39 mnemonic, as anvil and hardhat do.

use alloy_primitives::Address;
use alloy_signer_local::{coins_bip39::English, MnemonicBuilder, PrivateKeySigner};

/// A development account: its address and its (public!) key.
#[derive(Clone, Debug)]
pub struct DevAccount {
    /// The account's address.
    pub address: Address,
    /// Its signer, used for `eth_sendTransaction`.
    pub signer: PrivateKeySigner,
}

/// Derives `count` accounts along m/44'/60'/0'/0/i.
pub fn derive_dev_accounts(mnemonic: &str, count: u32) -> Result<Vec<DevAccount>, String> {
    (0..count)
        .map(|index| {
            let signer = MnemonicBuilder::<English>::default()
                .phrase(mnemonic)
                .index(index)
                .and_then(|builder| builder.build())
                .map_err(|err| {
                    format!("cannot derive dev account {index} from the mnemonic: {err}")
                })?;
            Ok(DevAccount {
                address: signer.address(),
                signer,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEV_MNEMONIC;

    #[test]
    fn matches_anvil_accounts() {
        let accounts = derive_dev_accounts(DEV_MNEMONIC, 2).unwrap();
        assert_eq!(
            accounts[0].address,
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
                .parse::<Address>()
                .unwrap()
        );
        assert_eq!(
            accounts[1].address,
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
                .parse::<Address>()
                .unwrap()
        );
        assert!(derive_dev_accounts("not a mnemonic", 1).is_err());
    }
}
