//! The Solidity side of the tests: the interfaces of the system contracts (ERC-20 tokens, the
//! token registry, the fee preference, the oracle) and of the example contracts, as alloy
//! `sol!` types, written here from their Solidity signatures; plus Solidity's storage layout
//! of the token balances.

use alloy_sol_types::{sol, SolError};
pub use alloy_sol_types::{SolCall, SolEvent, SolValue};

use super::{keccak256, Address, Bytes, B256, U256};

sol! {
    /// The ERC-20 standard, answered natively by every registered token.
    interface IERC20 {
        event Transfer(address indexed from, address indexed to, uint256 value);
        event Approval(address indexed owner, address indexed spender, uint256 value);

        function name() external view returns (string);
        function symbol() external view returns (string);
        function decimals() external view returns (uint8);
        function totalSupply() external view returns (uint256);
        function balanceOf(address owner) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
        function approve(address spender, uint256 value) external returns (bool);
        function transferFrom(address from, address to, uint256 value) external returns (bool);
    }

    /// The token registry: which tokens exist and may pay for gas.
    interface ITokenRegistry {
        function governance() external view returns (address);
        function tokens() external view returns (address[]);
        function isRegistered(address token) external view returns (bool);
        function isEnabled(address token) external view returns (bool);
        function registerToken(address token, string name, string symbol, uint8 decimals, address holder, uint256 supply) external;
        function setEnabled(address token, bool enabled) external;
    }

    /// Each account's preferred fee token.
    interface IFeePreference {
        event FeeTokenSet(address indexed account, address indexed token);

        function setFeeToken(address token) external;
        function feeTokenOf(address account) external view returns (address);
    }

    /// Price feeds of fee tokens, as token base units per wei.
    interface IOracle {
        event Reported(address indexed token, address indexed reporter, uint256 numerator, uint256 denominator);

        function report(address token, uint256 numerator, uint256 denominator) external;
        function addReporter(address token, address reporter) external;
        function removeReporter(address token, address reporter) external;
        function setParams(uint256 minReports, uint256 maxAgeSeconds, uint256 maxChangeBps) external;
        function setFeedParams(address token, uint256 minReports, uint256 maxAgeSeconds, uint256 maxChangeBps) external;
        function rateOf(address token) external view returns (uint256 numerator, uint256 denominator);
        function reporters(address token) external view returns (address[]);
        function params() external view returns (uint256 minReports, uint256 maxAgeSeconds, uint256 maxChangeBps);
        function feedParams(address token) external view returns (uint256 minReports, uint256 maxAgeSeconds, uint256 maxChangeBps);
    }

    /// examples/contracts/counter.wat.
    interface ICounter {
        event Incremented(address indexed by, uint256 count);

        function get() external view returns (uint256);
        function increment() external returns (uint256);
        function decrement() external returns (uint256);
    }

    /// Solidity's revert reason.
    error Error(string message);
}

/// The calldata of `call`.
pub fn calldata(call: impl SolCall) -> Bytes {
    call.abi_encode().into()
}

/// Solidity's `Error(string)` revert data for `reason`.
pub fn error_string_data(reason: &str) -> Bytes {
    Error {
        message: reason.into(),
    }
    .abi_encode()
    .into()
}

/// The reason of `Error(string)` revert data, if it is that.
pub fn revert_reason(data: &[u8]) -> Option<String> {
    Error::abi_decode(data).ok().map(|error| error.message)
}

/// The data of a log holding one `uint256`.
pub fn uint_data(value: U256) -> Bytes {
    value.abi_encode().into()
}

/// Solidity's slot of `balances[owner]` with the mapping at slot 0.
pub fn balance_slot(owner: Address) -> B256 {
    keccak256((owner, U256::ZERO).abi_encode())
}

/// Solidity's slot of `allowances[owner][spender]` with the mapping at slot 1.
pub fn allowance_slot(owner: Address, spender: Address) -> B256 {
    let inner = keccak256((owner, U256::from(1u8)).abi_encode());
    keccak256((spender, inner).abi_encode())
}

/// Slot of `totalSupply`.
pub fn total_supply_slot() -> B256 {
    B256::from(U256::from(2u8))
}
