//! The aggregate file, read in place.
//!
//! ```text
//! "L2XA" ‖ version (u16 LE) ‖ root (32 bytes) ‖ count (varint) ‖ count × (length (varint) ‖
//! receipt envelope) [‖ version 2: blobs (varint) ‖ blobs × versioned hash (32 bytes)]
//! ```
//!
//! [`AggregateView`] checks the header and the framing in one pass that allocates nothing, and
//! keeps only the slice of the entries: a file costs its own size and nothing per entry until
//! a receipt is taken out (one at a time, by [`AggregateView::receipts`]). A count is never
//! trusted for an allocation, and each entry must at least look like a receipt (long enough,
//! starting with `L2XR`), so a file of millions of empty entries fails at the first one.

use l2x_core::Receipt;

use super::{Aggregate, Hash};

/// The first four bytes of an encoded aggregate.
pub const AGGREGATE_MAGIC: [u8; 4] = *b"L2XA";
/// The newest aggregate file format this build writes and reads: 2 adds linked data. An
/// aggregate without linked data is still written as version 1, which every build reads.
pub const AGGREGATE_VERSION: u16 = 2;

/// Why bytes are not an aggregate this build can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateDecodeError {
    /// Not an aggregate file.
    #[error("not an l2x aggregate (it does not start with \"L2XA\")")]
    BadMagic,
    /// Written by a newer l2x, or a version that never existed.
    #[error(
        "aggregate format version {0} is not supported (this build reads 1 to {AGGREGATE_VERSION})"
    )]
    Version(u16),
    /// The body does not decode.
    #[error("aggregate body is malformed or truncated: {0}")]
    Body(String),
    /// One of the receipts does not decode.
    #[error("receipt {index} in the aggregate is unreadable: {error}")]
    Receipt {
        /// Its position.
        index: usize,
        /// Why.
        error: l2x_core::DecodeError,
    },
}

/// An encoded aggregate, framed but not decoded: the root, the linked data, and each receipt's
/// bytes in place.
#[derive(Debug, Clone)]
pub struct AggregateView<'a> {
    /// The root the file states (not checked here).
    pub root: Hash,
    /// The framed entries (length-prefixed receipts), checked by `parse`.
    entries: &'a [u8],
    count: usize,
    /// Versioned hashes of the linked blobs (empty in version 1).
    pub data: Vec<Hash>,
}

fn body(reason: impl Into<String>) -> AggregateDecodeError {
    AggregateDecodeError::Body(reason.into())
}

/// Splits `n` bytes off the front, naming `what` if they are not there.
fn take<'a>(bytes: &mut &'a [u8], n: usize, what: &str) -> Result<&'a [u8], AggregateDecodeError> {
    if bytes.len() < n {
        return Err(body(format!(
            "{what} needs {n} bytes, {} are left",
            bytes.len()
        )));
    }
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    Ok(head)
}

/// A canonical varint (the shortest encoding), as postcard writes lengths.
fn take_len(bytes: &mut &[u8], what: &str) -> Result<usize, AggregateDecodeError> {
    let (value, rest) =
        postcard::take_from_bytes::<u64>(bytes).map_err(|e| body(format!("{what}: {e}")))?;
    let used = bytes.len() - rest.len();
    let mut canonical = [0u8; 10];
    let shortest = postcard::to_slice(&value, &mut canonical).map_or(0, |s| s.len());
    if used != shortest {
        return Err(body(format!("{what} is not canonically encoded")));
    }
    *bytes = rest;
    usize::try_from(value).map_err(|_| body(format!("{what} {value} is too large")))
}

/// The shortest receipt envelope: a 7-byte header, a one-character program id and three
/// one-byte fields (public values, steps, seal).
const MIN_RECEIPT_LEN: usize = 7 + 2 + 3;

/// One length-prefixed entry.
fn take_entry<'a>(bytes: &mut &'a [u8], index: usize) -> Result<&'a [u8], AggregateDecodeError> {
    let what = || format!("receipt {index}");
    let len = take_len(bytes, &what())?;
    take(bytes, len, &what())
}

fn take_hash(bytes: &mut &[u8], what: &str) -> Result<Hash, AggregateDecodeError> {
    let mut hash = [0u8; 32];
    hash.copy_from_slice(take(bytes, 32, what)?);
    Ok(hash)
}

impl<'a> AggregateView<'a> {
    /// Frames an encoded aggregate; each receipt's bytes stay in `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, AggregateDecodeError> {
        let mut rest = bytes;
        let magic = take(&mut rest, 4, "the magic").map_err(|_| AggregateDecodeError::BadMagic)?;
        if magic != AGGREGATE_MAGIC {
            return Err(AggregateDecodeError::BadMagic);
        }
        let version = take(&mut rest, 2, "the version")?;
        let version = u16::from_le_bytes([version[0], version[1]]);
        if !(1..=AGGREGATE_VERSION).contains(&version) {
            return Err(AggregateDecodeError::Version(version));
        }
        let root = take_hash(&mut rest, "the root")?;
        let count = take_len(&mut rest, "the receipt count")?;
        // Each entry takes at least its one-byte length: a count beyond the bytes left is a lie,
        // and the vector never grows past what the file holds.
        if count > rest.len() {
            return Err(body(format!(
                "{count} receipts claimed, but only {} bytes follow",
                rest.len()
            )));
        }
        let entries = rest;
        for index in 0..count {
            let entry = take_entry(&mut rest, index)?;
            if entry.len() < MIN_RECEIPT_LEN || entry[..4] != l2x_core::MAGIC {
                return Err(AggregateDecodeError::Receipt {
                    index,
                    error: Receipt::from_bytes(entry)
                        .err()
                        .unwrap_or(l2x_core::DecodeError::TooShort { len: entry.len() }),
                });
            }
        }
        let entries = &entries[..entries.len() - rest.len()];
        let data = if version == 2 {
            let blobs = take_len(&mut rest, "the blob count")?;
            if blobs == 0 {
                return Err(body(
                    "version 2 without linked data (it would be version 1)",
                ));
            }
            if blobs > rest.len() / 32 {
                return Err(body(format!(
                    "{blobs} versioned hashes claimed, too few bytes"
                )));
            }
            (0..blobs)
                .map(|i| take_hash(&mut rest, &format!("versioned hash {i}")))
                .collect::<Result<_, _>>()?
        } else {
            vec![]
        };
        if !rest.is_empty() {
            return Err(body(format!("{} bytes after the body", rest.len())));
        }
        Ok(Self {
            root,
            entries,
            count,
            data,
        })
    }

    /// Receipts in the aggregate.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether it has no receipts (never true of a valid aggregate).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Each receipt's encoded bytes, in leaf order.
    pub fn encoded_receipts(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut rest = self.entries;
        // `parse` checked the framing, so every entry is there.
        (0..self.count).map_while(move |index| take_entry(&mut rest, index).ok())
    }

    /// The receipts, decoded one at a time.
    pub fn receipts(&self) -> impl Iterator<Item = Result<Receipt, AggregateDecodeError>> + 'a {
        self.encoded_receipts().enumerate().map(|(index, bytes)| {
            Receipt::from_bytes(bytes)
                .map_err(|error| AggregateDecodeError::Receipt { index, error })
        })
    }

    /// The root over `leaves` (one per receipt, in order) linked with this file's data: what
    /// the stated [`root`](Self::root) must equal.
    pub fn root_over(&self, leaves: impl Iterator<Item = Hash>) -> Option<Hash> {
        let receipts_root = super::streaming_root(leaves, self.count as u64)?;
        Some(super::link(receipts_root, super::data_root_of(&self.data)))
    }

    /// Whether the stated root is the root over these receipts' bytes and the linked data
    /// (hashing in one pass, memory independent of the count).
    pub fn root_matches(&self) -> bool {
        let leaves = self.encoded_receipts().map(super::leaf_of_bytes);
        self.root_over(leaves) == Some(self.root)
    }
}

impl Aggregate {
    /// Encodes the aggregate in the format above (version 1 without linked data, 2 with).
    pub fn to_bytes(&self) -> Vec<u8> {
        let encoded: Vec<Vec<u8>> = self.receipts.iter().map(Receipt::to_bytes).collect();
        let version: u16 = if self.data.is_empty() { 1 } else { 2 };
        let mut out = AGGREGATE_MAGIC.to_vec();
        out.extend_from_slice(&version.to_le_bytes());
        let written = if version == 1 {
            postcard::to_extend(&(&self.root, &encoded), out)
        } else {
            postcard::to_extend(&(&self.root, &encoded, &self.data), out)
        };
        match written {
            Ok(out) => out,
            Err(e) => unreachable!("postcard cannot fail on byte vectors: {e}"),
        }
    }

    /// Decodes an aggregate; the root is not checked here (see [`Aggregate::check_root`]).
    /// To check a file without holding every receipt, use [`AggregateView`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AggregateDecodeError> {
        let view = AggregateView::parse(bytes)?;
        Ok(Self {
            root: view.root,
            receipts: view.receipts().collect::<Result<_, _>>()?,
            data: view.data,
        })
    }
}
