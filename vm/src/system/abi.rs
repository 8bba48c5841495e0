//! The Solidity interfaces of the system contracts, as alloy `sol!` types: calldata decoding,
//! return encoding and event topics come from the same definitions wallets use.

use alloy_sol_types::sol;

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

    /// Solidity's revert reason.
    error Error(string message);
}
