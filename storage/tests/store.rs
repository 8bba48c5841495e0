//! Store behaviour through its public API: genesis, block commit, history, reopen.

use alloy_primitives::{address, Address, B256, U256};
use supervm_primitives::{Account, ChainSpec, SealedBlock, StateChanges};
use supervm_storage::{StorageError, Store};

fn sepolia() -> ChainSpec {
    ChainSpec::from_json(include_str!(
        "../../primitives/tests/fixtures/sepolia-genesis.json"
    ))
    .unwrap()
}

#[test]
fn genesis_state_root_computed_from_tables_matches_sepolia() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let genesis = store
        .init_genesis(&sepolia(), &sepolia().genesis_state())
        .unwrap();
    assert_eq!(
        genesis.header.state_root,
        "0x5eb6e371a698b8d68f665192350ffcecbbbf322916f4b51bd79bb6887da3f494"
            .parse::<B256>()
            .unwrap()
    );
    let reader = store.reader().unwrap();
    let account = reader
        .account(&address!("0x799D329e5f583419167cD722962485926E338F4a"), 0)
        .unwrap()
        .unwrap();
    assert_eq!(account.balance, U256::from(10u64).pow(U256::from(18)));
}

#[test]
fn blocks_history_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let who = Address::repeat_byte(7);
    let spec = ChainSpec::dev(31337, [who]);
    let genesis_hash;
    {
        let store = Store::open(&path).unwrap();
        let genesis = store.init_genesis(&spec, &spec.genesis_state()).unwrap();
        genesis_hash = genesis.hash;
        let mut writer = store.begin_block().unwrap();
        let mut changes = StateChanges::default();
        changes
            .accounts
            .insert(who, Some(Account::with_balance(U256::from(5))));
        changes
            .storage
            .entry(who)
            .or_default()
            .insert(B256::with_last_byte(1), U256::from(9));
        writer.apply_state(1, &changes).unwrap();
        let mut header = genesis.header.clone();
        header.number = 1;
        header.parent_hash = genesis.hash;
        header.state_root = writer.state_root().unwrap();
        writer
            .insert_block(&SealedBlock::new(header, vec![]), &[])
            .unwrap();
        writer.commit().unwrap();
        // A writer dropped without commit leaves nothing behind.
        let mut aborted = store.begin_block().unwrap();
        let mut changes = StateChanges::default();
        changes.accounts.insert(who, None);
        aborted.apply_state(2, &changes).unwrap();
        drop(aborted);
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store
            .init_genesis(&spec, &spec.genesis_state())
            .unwrap()
            .hash,
        genesis_hash
    );
    let reader = store.reader().unwrap();
    assert_eq!(reader.head_number(), 1);
    assert_eq!(
        reader.account(&who, 1).unwrap().unwrap().balance,
        U256::from(5)
    );
    assert_eq!(
        reader.account(&who, 0).unwrap().unwrap().balance,
        spec.genesis.alloc[&who].balance
    );
    assert_eq!(
        reader.storage(&who, &B256::with_last_byte(1), 1).unwrap(),
        U256::from(9)
    );
    assert_eq!(
        reader.storage(&who, &B256::with_last_byte(1), 0).unwrap(),
        U256::ZERO
    );
    let other = ChainSpec::dev(1, [who]);
    assert!(matches!(
        store.init_genesis(&other, &other.genesis_state()),
        Err(StorageError::ChainIdMismatch { .. })
    ));
}
