//! Gas metering of system-contract calls. The schedule follows Ethereum's costs for the same
//! work (cold storage reads, SSTORE, logs), so a native token transfer costs what a Solidity
//! ERC-20 transfer costs. Documented in `docs/fee-tokens.md`.

/// Costs of the operations a system contract performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Reading a storage slot (EIP-2929 cold SLOAD).
    pub sload: u64,
    /// Writing a non-zero value into a zero slot.
    pub sstore_set: u64,
    /// Any other storage write.
    pub sstore_reset: u64,
    /// Base cost of a log.
    pub log: u64,
    /// Per topic of a log.
    pub log_topic: u64,
    /// Per byte of log data.
    pub log_data_byte: u64,
}

/// The schedule in force.
pub const SCHEDULE: Schedule = Schedule {
    sload: 2_100,
    sstore_set: 20_000,
    sstore_reset: 2_900,
    log: 375,
    log_topic: 375,
    log_data_byte: 8,
};

/// The call ran out of gas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfGas;

/// Gas available to and used by a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GasMeter {
    limit: u64,
    used: u64,
}

impl GasMeter {
    /// A meter with `limit` gas.
    pub fn new(limit: u64) -> Self {
        Self { limit, used: 0 }
    }

    /// Gas used so far.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Charges `cost`, failing (and using everything) when it exceeds what is left.
    pub fn charge(&mut self, cost: u64) -> Result<(), OutOfGas> {
        match self.used.checked_add(cost) {
            Some(total) if total <= self.limit => {
                self.used = total;
                Ok(())
            }
            _ => {
                self.used = self.limit;
                Err(OutOfGas)
            }
        }
    }
}
