//! The wire format of l2-executor's prover service: what a client sends, decoded strictly.
//!
//! The service (`l2x-service`) answers with the errors decoded here, a client builds its
//! requests with the encoders here, and a fuzzer feeds both arbitrary bytes. Strict means:
//! - **one meaning per body**: a key given twice is refused (a JSON parser that keeps the last
//!   one would let `{"program": "fibonacci", "program": "sha256"}` pass as a `sha256` job), and so
//!   is a field the request does not have (a stray `program` beside `jobs`);
//! - **bounded**: a batch is decoded one job at a time and refused past [`MAX_BATCH`], so a body
//!   costs memory in proportion to its size, never to what it claims;
//! - **one spelling per id**: a job id is canonical decimal (`+1`, `01` and `-1` are refused);
//! - **keys in their own namespace**: an idempotency key is visible ASCII, 1 to
//!   [`MAX_KEY_BYTES`] bytes; the members of a batch get keys no single job's key can name.
//!
//! Every refusal is a [`RequestError`]: the field it concerns (`jobs[3].input_hex`) and a message
//! that starts with it.

mod request;

pub use request::{AggregateRequest, JobRequest, Submit};

/// A job's id, unique in its store (always positive).
pub type JobId = i64;

/// The most jobs one submit carries, and the most ids one aggregate names.
pub const MAX_BATCH: usize = 10_000;

/// The longest idempotency key, in bytes.
pub const MAX_KEY_BYTES: usize = 255;

/// What separates a batch's key from a member's index in the key stored for that member: a
/// control character, which an HTTP header (so a single job's key) cannot carry.
const MEMBER_SEPARATOR: char = '\u{1f}';

/// A request refused before anything is done: the field it concerns, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RequestError {
    /// The field, as a path into the body (`jobs[3].input_hex`) or a header's name; `None` when
    /// the body as a whole is at fault (not JSON, say).
    pub field: Option<String>,
    /// Why, starting with the field when there is one.
    pub message: String,
}

impl RequestError {
    /// An error about `field`; the message is prefixed with it.
    pub fn field(field: impl Into<String>, why: impl std::fmt::Display) -> Self {
        let field = field.into();
        Self {
            message: format!("{field}: {why}"),
            field: Some(field),
        }
    }

    /// An error about the body as a whole.
    pub fn body(why: impl std::fmt::Display) -> Self {
        Self {
            field: None,
            message: why.to_string(),
        }
    }
}

/// A job id as a URL spells it: canonical decimal, positive, within `i64`.
pub fn parse_job_id(raw: &str) -> Result<JobId, RequestError> {
    let canonical =
        !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) && !raw.starts_with('0');
    canonical
        .then(|| raw.parse::<JobId>().ok())
        .flatten()
        .ok_or_else(|| RequestError::field("id", format!("{raw:?} is not a job id")))
}

/// A client's idempotency key (the `Idempotency-Key` header): a submit that repeats it returns
/// the first submit's jobs instead of making new ones.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The header's name.
    pub const HEADER: &'static str = "Idempotency-Key";

    /// A key from the header's bytes: 1 to [`MAX_KEY_BYTES`] bytes of visible ASCII or spaces,
    /// not starting or ending with a space. An empty key is refused: it would be one key shared
    /// by every client that sends the header empty.
    pub fn parse(raw: &[u8]) -> Result<Self, RequestError> {
        let refuse = |why: &str| Err(RequestError::field(Self::HEADER, why));
        if raw.is_empty() {
            return refuse("empty (leave the header out for a submit without one)");
        }
        if raw.len() > MAX_KEY_BYTES {
            return refuse(&format!("longer than {MAX_KEY_BYTES} bytes"));
        }
        if !raw.iter().all(|b| (0x20..0x7f).contains(b)) {
            return refuse("not visible ASCII");
        }
        if raw.first() == Some(&b' ') || raw.last() == Some(&b' ') {
            return refuse("starts or ends with a space");
        }
        Ok(Self(String::from_utf8_lossy(raw).into_owned()))
    }

    /// The key as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key stored for the `index`-th job of a batch submitted under this key. It holds a
    /// control character, so no single job's key equals it (a batch's member `KEY/3` and a job
    /// submitted alone under `KEY/3` are different jobs).
    pub fn member(&self, index: usize) -> String {
        format!("{}{MEMBER_SEPARATOR}{index}", self.0)
    }

    /// A stored key as a client knows it: the batch key and the member's index for a batch
    /// member, the key alone for a single job.
    pub fn shown(stored: &str) -> String {
        match stored.split_once(MEMBER_SEPARATOR) {
            Some((key, index)) => format!("{key:?} (batch member {index})"),
            None => format!("{stored:?}"),
        }
    }
}

#[cfg(test)]
mod tests;
