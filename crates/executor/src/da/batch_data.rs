//! The layout of published batch data: each job's receipt with what its program publishes
//! beside it, and the check of that data against the receipt's public values.

use crate::{Executor, JobError};

/// Opens batch data: "l2xd" and the format version (u32 LE).
pub const BATCH_DATA_MAGIC: [u8; 4] = *b"l2xd";

/// The batch-data layout this build writes and reads. Version 1 (receipts only, no header) was
/// replaced when jobs began publishing their programs' data beside their receipts.
pub const BATCH_DATA_VERSION: u32 = 2;

/// One job's share of published batch data: its receipt, and the data its program publishes
/// beside it ([`Program::published_data`](l2x_core::Program::published_data); empty for most
/// programs, a rollup block's transfers for `transfers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEntry {
    /// The job's receipt.
    pub receipt: l2x_core::Receipt,
    /// What the job's program publishes, checked against the receipt's public values by
    /// [`Executor::check_published`].
    pub data: Vec<u8>,
}

/// Published data that does not match a receipt it travels with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("batch entry {index} ({program}): {reason}")]
pub struct PublishedMismatch {
    /// The entry's position in the batch.
    pub index: usize,
    /// Its receipt's program.
    pub program: String,
    /// What is wrong.
    pub reason: String,
}

/// The bytes a batch publishes: [`BATCH_DATA_MAGIC`], [`BATCH_DATA_VERSION`], then for each job
/// in batch order its receipt envelope and its program's published data, each prefixed by its
/// length (u32 LE). Anyone holding the blobs can recover every receipt, check it, and check the
/// data beside it against the receipt's public values.
pub fn batch_data(entries: &[BatchEntry]) -> Vec<u8> {
    let mut out = BATCH_DATA_MAGIC.to_vec();
    out.extend_from_slice(&BATCH_DATA_VERSION.to_le_bytes());
    for entry in entries {
        for part in [&entry.receipt.to_bytes()[..], &entry.data] {
            out.extend_from_slice(&(part.len() as u32).to_le_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

/// The entries in bytes made by [`batch_data`], or where they stop making sense.
pub fn batch_from_data(bytes: &[u8]) -> Result<Vec<BatchEntry>, String> {
    let Some((head, mut rest)) = bytes.split_first_chunk::<8>() else {
        return Err(format!("{} bytes, too short for a header", bytes.len()));
    };
    if head[..4] != BATCH_DATA_MAGIC {
        return Err("no batch-data header (\"l2xd\")".into());
    }
    let version = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    if version != BATCH_DATA_VERSION {
        return Err(format!(
            "batch-data version {version}, this build reads version {BATCH_DATA_VERSION}"
        ));
    }
    let total = bytes.len();
    let mut entries = vec![];
    while !rest.is_empty() {
        let at = total - rest.len();
        let (receipt, after) = length_prefixed(rest, total)?;
        let receipt = l2x_core::Receipt::from_bytes(receipt)
            .map_err(|e| format!("receipt at byte {at}: {e}"))?;
        let (data, after) = length_prefixed(after, total)?;
        entries.push(BatchEntry {
            receipt,
            data: data.to_vec(),
        });
        rest = after;
    }
    Ok(entries)
}

/// Splits a u32-LE-length-prefixed part off `bytes` (the tail of `total` bytes, for messages).
fn length_prefixed(bytes: &[u8], total: usize) -> Result<(&[u8], &[u8]), String> {
    let at = total - bytes.len();
    let Some((len, rest)) = bytes.split_first_chunk::<4>() else {
        return Err(format!("truncated length at byte {at}"));
    };
    let len = u32::from_le_bytes(*len) as usize;
    if rest.len() < len {
        return Err(format!(
            "the part at byte {at} claims {len} bytes, {} remain",
            rest.len()
        ));
    }
    Ok(rest.split_at(len))
}

impl Executor {
    /// The batch entry of a proven job: its receipt and what its program publishes for `input`.
    pub fn batch_entry(
        &self,
        receipt: l2x_core::Receipt,
        input: &[u8],
    ) -> Result<BatchEntry, JobError> {
        let program = self.program(receipt.claim.program.as_str())?;
        let data = program.published_data(input)?;
        Ok(BatchEntry { receipt, data })
    }

    /// Checks each entry's published data against its receipt's public values, by its program
    /// in this executor's registry. The receipts themselves are not verified here: verify them
    /// (or the aggregate holding them) first.
    pub fn check_published(&self, entries: &[BatchEntry]) -> Result<(), PublishedMismatch> {
        for (index, entry) in entries.iter().enumerate() {
            let claim = &entry.receipt.claim;
            let mismatch = |reason: String| PublishedMismatch {
                index,
                program: claim.program.to_string(),
                reason,
            };
            let program = self
                .program(claim.program.as_str())
                .map_err(|e| mismatch(e.to_string()))?;
            program
                .check_published(&claim.public_values, &entry.data)
                .map_err(|e| mismatch(e.reason))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use l2x_programs::transfers::fixture::Wallet;

    use super::*;

    /// A dev executor with a receipt of a 3-transfer block and one of fibonacci, each with what
    /// its program publishes.
    fn entries() -> (Executor, Vec<BatchEntry>) {
        let executor = Executor::builder()
            .allow_dev_receipts(true)
            .build()
            .expect("executor");
        let block = Wallet::genesis(5, 1)
            .random_block(3, 2)
            .expect("a block")
            .to_bytes();
        let entries = [("transfers", block), ("fibonacci", b"10".to_vec())]
            .into_iter()
            .map(|(program, input)| {
                let receipt = executor.prove(program, &input).expect("proves");
                executor.batch_entry(receipt, &input).expect("entry")
            })
            .collect();
        (executor, entries)
    }

    fn refusal(executor: &Executor, entries: &[BatchEntry]) -> String {
        executor
            .check_published(entries)
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn a_block_publishes_its_transfers_and_they_check_against_its_receipt() {
        let (executor, entries) = entries();
        assert_eq!(entries[0].data.len(), 3 * 24);
        assert!(entries[1].data.is_empty(), "fibonacci publishes nothing");
        let bytes = batch_data(&entries);
        assert_eq!(batch_from_data(&bytes), Ok(entries.clone()));
        assert_eq!(executor.check_published(&entries), Ok(()));
    }

    #[test]
    fn altered_missing_or_extra_published_data_is_refused_naming_the_entry() {
        let (executor, entries) = entries();
        let mut altered = entries.clone();
        altered[0].data[20] ^= 1; // the first transfer's nonce
        let why = refusal(&executor, &altered);
        assert!(
            why.starts_with("batch entry 0 (transfers): the published transfers hash to"),
            "{why}"
        );
        let mut short = entries.clone();
        short[0].data.truncate(48);
        let why = refusal(&executor, &short);
        assert!(
            why.contains("2 transfers published, the proof commits to 3"),
            "{why}"
        );
        let mut ragged = entries.clone();
        ragged[0].data.push(0);
        let why = refusal(&executor, &ragged);
        assert!(
            why.contains("is not a list of transfers (24 bytes each"),
            "{why}"
        );
        let mut extra = entries;
        extra[1].data = vec![1];
        let why = refusal(&executor, &extra);
        assert!(
            why.starts_with("batch entry 1 (fibonacci): publishes no data"),
            "{why}"
        );
    }

    #[test]
    fn batch_data_that_is_not_whole_is_refused_saying_where() {
        let (_, entries) = entries();
        let bytes = batch_data(&entries);
        assert_eq!(batch_from_data(&bytes[..8]), Ok(vec![]), "a header alone");
        let errors = [
            (bytes[..3].to_vec(), "too short for a header"),
            ([b"l2xe", &bytes[4..]].concat(), "no batch-data header"),
            (
                [&bytes[..4], &1u32.to_le_bytes()[..], &bytes[8..]].concat(),
                "batch-data version 1",
            ),
            (bytes[..10].to_vec(), "truncated length at byte 8"),
            (bytes[..22].to_vec(), "the part at byte 8 claims"),
            (
                bytes[..bytes.len() - 1].to_vec(),
                "truncated length at byte",
            ),
        ];
        for (bad, expected) in errors {
            let why = batch_from_data(&bad).expect_err("refused");
            assert!(why.contains(expected), "{why} (expected: {expected})");
        }
    }
}
