//! The pool journal: every admitted transaction is appended to a file, as the bytes its client
//! sent, so it survives a restart, as geth's `transactions.rlp`. Each record is a 4-byte
//! big-endian length followed by the EIP-2718 encoding. On a new head the pool compacts the
//! journal to what it still holds once most records are dead (mined, dropped or replaced):
//! temp file + rename, so a crash leaves the old or the new journal whole, and the rewrite
//! costs amortised O(1) per admitted transaction instead of the whole pool every block.

use std::{
    fs::{self, File, OpenOptions},
    io::{self, BufWriter, Read, Write},
    path::{Path, PathBuf},
};

use parking_lot::Mutex;

/// Records beyond twice the live ones before a compaction is worth its rewrite.
const COMPACT_SLACK: usize = 64;

/// The journal file.
pub struct Journal {
    path: PathBuf,
    state: Mutex<Written>,
}

/// What the file holds since it was last opened or rewritten.
#[derive(Default)]
struct Written {
    writer: Option<BufWriter<File>>,
    /// Records in the file, live or dead.
    records: usize,
}

impl Journal {
    /// A journal at `path` (created on first write).
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            state: Mutex::new(Written::default()),
        }
    }

    /// Reads every complete record; a torn last record (crash mid-write) is ignored.
    pub fn load(&self) -> io::Result<Vec<Vec<u8>>> {
        let mut bytes = Vec::new();
        match File::open(&self.path) {
            Ok(mut file) => file.read_to_end(&mut bytes)?,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(err),
        };
        let mut records = Vec::new();
        let mut rest = bytes.as_slice();
        while let Some((header, body)) = rest.split_first_chunk::<4>() {
            let len = u32::from_be_bytes(*header) as usize;
            if body.len() < len {
                break;
            }
            let (record, next) = body.split_at(len);
            records.push(record.to_vec());
            rest = next;
        }
        self.state.lock().records = records.len();
        Ok(records)
    }

    /// Appends one transaction and flushes it to the operating system.
    pub fn append(&self, encoded: &[u8]) -> io::Result<()> {
        let mut state = self.state.lock();
        let Written { writer, records } = &mut *state;
        if writer.is_none() {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            *writer = Some(BufWriter::new(file));
        }
        let Some(out) = writer.as_mut() else {
            return Ok(());
        };
        write_record(out, encoded)?;
        out.flush()?;
        *records += 1;
        Ok(())
    }

    /// Rewrites the journal with `live()` when it holds more than twice `live_count` records
    /// (plus some slack), so dead records never dominate the file. `live` is taken while the
    /// journal is locked: a transaction appended before it is in the snapshot or written again
    /// after it, never lost. Returns whether it rewrote.
    pub fn compact<T: AsRef<[u8]>>(
        &self,
        live_count: usize,
        live: impl FnOnce() -> Vec<T>,
    ) -> io::Result<bool> {
        let mut state = self.state.lock();
        if state.records <= live_count.saturating_mul(2) + COMPACT_SLACK {
            return Ok(false);
        }
        let transactions = live();
        let temp = self.path.with_extension("tmp");
        {
            let mut out = BufWriter::new(File::create(&temp)?);
            for tx in &transactions {
                write_record(&mut out, tx.as_ref())?;
            }
            out.flush()?;
            out.get_ref().sync_all()?;
        }
        fs::rename(&temp, &self.path)?;
        *state = Written {
            writer: None,
            records: transactions.len(),
        };
        Ok(true)
    }
}

fn write_record(out: &mut impl Write, encoded: &[u8]) -> io::Result<()> {
    let len = u32::try_from(encoded.len())
        .map_err(|_| io::Error::other("transaction too large for the journal"))?;
    out.write_all(&len.to_be_bytes())?;
    out.write_all(encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_ignores_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::new(&dir.path().join("transactions.rlp"));
        assert!(journal.load().unwrap().is_empty());
        journal.append(b"first").unwrap();
        journal.append(b"second").unwrap();
        assert_eq!(
            journal.load().unwrap(),
            vec![b"first".to_vec(), b"second".to_vec()]
        );
        assert!(!journal.compact(0, Vec::<Vec<u8>>::new).unwrap());
        for _ in 0..=COMPACT_SLACK {
            journal.append(b"dead").unwrap();
        }
        assert!(journal.compact(1, || vec![b"kept".to_vec()]).unwrap());
        journal.append(b"after").unwrap();
        assert_eq!(
            journal.load().unwrap(),
            vec![b"kept".to_vec(), b"after".to_vec()]
        );
        let mut file = OpenOptions::new()
            .append(true)
            .open(dir.path().join("transactions.rlp"))
            .unwrap();
        file.write_all(&[0, 0, 0, 9, 1, 2]).unwrap();
        assert_eq!(journal.load().unwrap().len(), 2);
    }
}
