//! The system contracts as the outside sees them: their fixed addresses and their Solidity
//! interfaces.
//!
//! Everything that calls or answers a system contract imports them from here — the vm that
//! implements them, the rpc layer that lists them, the oracle feeder that reports prices, the
//! tests — so an address or a signature cannot drift between a caller and the contract. The
//! interfaces are alloy `sol!` types: calldata decoding, return encoding and event topics come
//! from the same definitions wallets use. How each contract behaves is the vm's business
//! (`supervm_vm::system`); this module only names them.

use alloy_primitives::{address, Address};
use alloy_sol_types::sol;

/// The token registry: which tokens exist and may pay for gas.
pub const TOKEN_REGISTRY: Address = address!("0x000000000000000000000000000000000000fee0");
/// Per-account fee-token preference.
pub const FEE_PREFERENCE: Address = address!("0x000000000000000000000000000000000000fee1");
/// Exchange rates of fee tokens: the oracle reporters report to.
pub const ORACLE: Address = address!("0x000000000000000000000000000000000000fee2");

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
        event TokenRegistered(address indexed token, string symbol, uint8 decimals);
        event TokenEnabled(address indexed token, bool enabled);

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

    /// Price feeds of fee tokens. Rates are token base units per wei as fractions.
    interface IOracle {
        event Reported(address indexed token, address indexed reporter, uint256 numerator, uint256 denominator);

        /// Reporters only: the reporter's current price of `token`.
        function report(address token, uint256 numerator, uint256 denominator) external;
        /// Governance: whitelist a reporter for `token`.
        function addReporter(address token, address reporter) external;
        /// Governance: remove a reporter of `token` (its report is discarded).
        function removeReporter(address token, address reporter) external;
        /// Governance: default aggregation parameters of every feed.
        function setParams(uint256 minReports, uint256 maxAgeSeconds, uint256 maxChangeBps) external;
        /// Governance: parameters of one token's feed (all zero = use the defaults again).
        function setFeedParams(address token, uint256 minReports, uint256 maxAgeSeconds, uint256 maxChangeBps) external;

        /// The accepted rate.
        function rateOf(address token) external view returns (uint256 numerator, uint256 denominator);
        /// Number of reports not older than `maxAgeSeconds` at the last update.
        function reportCount(address token) external view returns (uint256);
        /// Timestamp of the block that last changed the accepted rate or status.
        function lastUpdate(address token) external view returns (uint256);
        /// Whitelisted reporters of `token`.
        function reporters(address token) external view returns (address[]);
        /// Default aggregation parameters.
        function params() external view returns (uint256 minReports, uint256 maxAgeSeconds, uint256 maxChangeBps);
        /// The parameters in force for one token's feed.
        function feedParams(address token) external view returns (uint256 minReports, uint256 maxAgeSeconds, uint256 maxChangeBps);
    }

    /// Solidity's revert reason, the data every system contract reverts with.
    error Error(string message);
}
