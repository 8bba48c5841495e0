//! The oracle contract's Solidity interface: the node answers it, the feeder calls it.

use alloy_sol_types::sol;

sol! {
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
}
