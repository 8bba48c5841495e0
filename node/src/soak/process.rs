//! The node under soak: a `supervm dev` child process on a temporary data directory, so that
//! its resident memory and descriptors are its own and not the load generator's.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use super::SoakError;

/// How long the child may take to print its addresses.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `supervm dev` process.
pub(super) struct NodeProcess {
    child: Child,
    /// Its JSON-RPC (HTTP and WebSocket) address.
    pub rpc: SocketAddr,
    /// Its gRPC address.
    pub grpc: SocketAddr,
    /// Deleted when the soak ends.
    _data_dir: tempfile::TempDir,
}

/// What the kernel says the process holds.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Resources {
    /// Resident memory, KiB.
    pub rss_kib: u64,
    /// Its anonymous part (heap and stacks; the rest maps files such as the executable), KiB.
    pub anon_kib: u64,
    /// Open file descriptors (sockets included).
    pub fds: u64,
    /// Threads.
    pub threads: u64,
}

impl NodeProcess {
    /// Starts `binary dev` mining a block every second, with `accounts` development
    /// accounts, a `cache_mib` page cache, every server on a free port, and its log in the
    /// data directory.
    pub fn spawn(binary: &Path, accounts: usize, cache_mib: u32) -> Result<Self, SoakError> {
        let data_dir = tempfile::Builder::new()
            .prefix("supervm-soak-")
            .tempdir()
            .map_err(|err| SoakError::Node(format!("cannot create a data directory: {err}")))?;
        let log = std::fs::File::create(data_dir.path().join("node.log"))
            .map_err(|err| SoakError::Node(format!("cannot create the node log: {err}")))?;
        let mut child = Command::new(binary)
            .args([
                "dev",
                "--port",
                "0",
                "--grpc-port",
                "0",
                "--metrics-port",
                "0",
            ])
            .args(["--block-time", "1", "--accounts", &accounts.to_string()])
            .args(["--cache-mib", &cache_mib.to_string()])
            .arg("--data-dir")
            .arg(data_dir.path().join("db"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .map_err(|err| SoakError::Node(format!("cannot start {}: {err}", binary.display())))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| SoakError::Node("no standard output from the node".into()))?;
        let (addresses, received) = mpsc::channel();
        // Drains the child's output for its whole life so it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut grpc = None;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.trim().strip_prefix("gRPC:") {
                    grpc = addr.split_whitespace().next().map(str::to_owned);
                }
                if let Some(rpc) = line.trim().strip_prefix("RPC listening on http://") {
                    let _ = addresses.send((rpc.trim().to_owned(), grpc.take()));
                }
            }
        });
        let (rpc, grpc) = match received.recv_timeout(STARTUP_TIMEOUT) {
            Ok(found) => found,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let log =
                    std::fs::read_to_string(data_dir.path().join("node.log")).unwrap_or_default();
                return Err(SoakError::Node(format!(
                    "the node did not print its addresses within {STARTUP_TIMEOUT:?}; its log:\n{log}"
                )));
            }
        };
        let parse = |what: &str, addr: Option<String>| {
            addr.as_deref()
                .and_then(|a| a.parse::<SocketAddr>().ok())
                .ok_or_else(|| {
                    SoakError::Node(format!("the node printed no usable {what} address"))
                })
        };
        Ok(Self {
            rpc: parse("JSON-RPC", Some(rpc))?,
            grpc: parse("gRPC", grpc)?,
            child,
            _data_dir: data_dir,
        })
    }

    /// Reads the process's memory, descriptors and threads from `/proc`; an error if the
    /// process has exited.
    pub fn resources(&mut self) -> Result<Resources, SoakError> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Err(SoakError::Node(format!(
                "the node exited during the soak: {status}"
            )));
        }
        let proc_dir = Path::new("/proc").join(self.child.id().to_string());
        let unreadable = |err: std::io::Error| {
            SoakError::Node(format!("cannot read {}: {err}", proc_dir.display()))
        };
        let status = std::fs::read_to_string(proc_dir.join("status")).map_err(unreadable)?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|value| value.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let fds = std::fs::read_dir(proc_dir.join("fd"))
            .map_err(unreadable)?
            .count() as u64;
        Ok(Resources {
            rss_kib: field("VmRSS:"),
            anon_kib: field("RssAnon:"),
            fds,
            threads: field("Threads:"),
        })
    }

    /// Stops the node (SIGKILL: the soak's chain is thrown away) and reaps it.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
