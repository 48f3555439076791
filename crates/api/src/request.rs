//! The request bodies: a submit (one job or a batch) and an aggregate.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{JobId, MAX_BATCH, RequestError};

/// One job as a client asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRequest {
    /// The program's id in the service's registry.
    pub program: String,
    /// The program's input (sent as `input`, text, or `input_hex`).
    pub input: Vec<u8>,
    /// The backend that proves it; the service's default when `None`.
    pub backend: Option<String>,
}

impl JobRequest {
    /// The job as JSON: the input as `input` when it is UTF-8 text, else as `input_hex`.
    pub fn to_value(&self) -> Value {
        let mut job = json!({ "program": self.program });
        match std::str::from_utf8(&self.input) {
            Ok(text) => job["input"] = json!(text),
            Err(_) => job["input_hex"] = json!(hex::encode(&self.input)),
        }
        if let Some(backend) = &self.backend {
            job["backend"] = json!(backend);
        }
        job
    }
}

/// `POST /v1/jobs`: one job (`{"program", "input" | "input_hex", "backend"?}`) or a batch
/// (`{"jobs": [job, ...]}`, 1 to [`MAX_BATCH`] jobs, and no other field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submit {
    /// One job.
    One(JobRequest),
    /// A batch, answered with one id per job in order.
    Batch(Vec<JobRequest>),
}

impl Submit {
    /// Decodes a submit body; see the crate's documentation for what is refused.
    pub fn from_json(body: &[u8]) -> Result<Self, RequestError> {
        let raw: RawSubmit = decode(body)?;
        match raw.jobs {
            Some(jobs) => {
                if let Some(stray) = raw.one.given() {
                    return Err(RequestError::field(
                        stray,
                        "a batch ({\"jobs\": [...]}) has no other top-level fields",
                    ));
                }
                if jobs.is_empty() {
                    return Err(RequestError::field(
                        "jobs",
                        format!("between 1 and {MAX_BATCH} jobs per submit, 0 given"),
                    ));
                }
                let jobs = jobs
                    .into_iter()
                    .enumerate()
                    .map(|(i, job)| job.resolve(&format!("jobs[{i}].")))
                    .collect::<Result<_, _>>()?;
                Ok(Self::Batch(jobs))
            }
            None => Ok(Self::One(raw.one.resolve("")?)),
        }
    }

    /// The body that decodes to this submit.
    pub fn to_json(&self) -> Vec<u8> {
        let value = match self {
            Self::One(job) => job.to_value(),
            Self::Batch(jobs) => {
                json!({ "jobs": jobs.iter().map(JobRequest::to_value).collect::<Vec<_>>() })
            }
        };
        value.to_string().into_bytes()
    }

    /// The jobs, in order.
    pub fn jobs(&self) -> &[JobRequest] {
        match self {
            Self::One(job) => std::slice::from_ref(job),
            Self::Batch(jobs) => jobs,
        }
    }

    /// The jobs, in order, by value.
    pub fn into_jobs(self) -> Vec<JobRequest> {
        match self {
            Self::One(job) => vec![job],
            Self::Batch(jobs) => jobs,
        }
    }
}

/// `POST /v1/aggregates`: 1 to [`MAX_BATCH`] distinct job ids, and whether to publish the
/// receipts as blobs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AggregateRequest {
    /// The jobs whose receipts go under one root, in order.
    #[serde(deserialize_with = "job_ids")]
    pub jobs: Vec<JobId>,
    /// Also encode the receipts as EIP-4844 blobs, commit to them, and link their versioned
    /// hashes into the aggregate.
    #[serde(default)]
    pub publish: bool,
}

impl AggregateRequest {
    /// Decodes an aggregate body: ids positive, none named twice, 1 to [`MAX_BATCH`] of them.
    pub fn from_json(body: &[u8]) -> Result<Self, RequestError> {
        let request: Self = decode(body)?;
        if request.jobs.is_empty() {
            return Err(RequestError::field(
                "jobs",
                format!("between 1 and {MAX_BATCH} job ids, 0 given"),
            ));
        }
        let mut first = HashMap::with_capacity(request.jobs.len());
        for (i, id) in request.jobs.iter().enumerate() {
            if let Some(j) = first.insert(*id, i) {
                return Err(RequestError::field(
                    format!("jobs[{i}]"),
                    format!("job {id} is named twice (first as jobs[{j}])"),
                ));
            }
        }
        Ok(request)
    }

    /// The body that decodes to this request.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// Decodes a body, the error naming the field where decoding stopped.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, RequestError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            RequestError::body(format!("invalid request: {}", e.inner()))
        } else {
            RequestError::field(path, format!("invalid request: {}", e.inner()))
        }
    })?;
    de.end()
        .map_err(|e| RequestError::body(format!("invalid request: {e}")))?;
    Ok(value)
}

/// A job's fields as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    program: Option<String>,
    input: Option<String>,
    input_hex: Option<String>,
    backend: Option<String>,
}

impl RawJob {
    /// The first field given, if any (a batch has none of them at its top level).
    fn given(&self) -> Option<&'static str> {
        [
            ("program", self.program.is_some()),
            ("input", self.input.is_some()),
            ("input_hex", self.input_hex.is_some()),
            ("backend", self.backend.is_some()),
        ]
        .into_iter()
        .find_map(|(name, given)| given.then_some(name))
    }

    /// The job, its input decoded; `prefix` starts the fields of errors (`jobs[3].`).
    fn resolve(self, prefix: &str) -> Result<JobRequest, RequestError> {
        let program = self.program.ok_or_else(|| {
            RequestError::field(
                format!("{prefix}program"),
                "invalid request: missing field `program`",
            )
        })?;
        let input = match (self.input, self.input_hex) {
            (Some(text), None) => text.into_bytes(),
            (None, Some(hex)) => {
                let digits = hex.strip_prefix("0x").unwrap_or(&hex);
                hex::decode(digits).map_err(|e| {
                    RequestError::field(format!("{prefix}input_hex"), format!("invalid hex: {e}"))
                })?
            }
            _ => {
                return Err(RequestError::field(
                    format!("{prefix}input"),
                    "give exactly one of input and input_hex",
                ));
            }
        };
        Ok(JobRequest {
            program,
            input,
            backend: self.backend,
        })
    }
}

/// A submit's top level: a batch's `jobs`, or one job's fields (both, to refuse the mix).
#[derive(Debug)]
struct RawSubmit {
    jobs: Option<Vec<RawJob>>,
    one: RawJob,
}

/// The top-level keys of a submit.
#[derive(Debug, Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum SubmitKey {
    Jobs,
    Program,
    Input,
    InputHex,
    Backend,
}

impl<'de> Deserialize<'de> for RawSubmit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SubmitVisitor)
    }
}

struct SubmitVisitor;

/// Sets a field once; a second value for it is an error, not a silent replacement.
fn once<'de, T, A: MapAccess<'de>>(
    slot: &mut Option<T>,
    value: T,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(value);
    Ok(())
}

impl<'de> Visitor<'de> for SubmitVisitor {
    type Value = RawSubmit;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a job object or {\"jobs\": [...]}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawSubmit, A::Error> {
        let (mut jobs, mut one) = (None, RawJob::default());
        while let Some(key) = map.next_key::<SubmitKey>()? {
            match key {
                SubmitKey::Jobs => once::<_, A>(&mut jobs, map.next_value::<Jobs>()?.0, "jobs")?,
                SubmitKey::Program => once::<_, A>(&mut one.program, map.next_value()?, "program")?,
                SubmitKey::Input => once::<_, A>(&mut one.input, map.next_value()?, "input")?,
                SubmitKey::InputHex => {
                    once::<_, A>(&mut one.input_hex, map.next_value()?, "input_hex")?;
                }
                SubmitKey::Backend => once::<_, A>(&mut one.backend, map.next_value()?, "backend")?,
            }
        }
        Ok(RawSubmit { jobs, one })
    }
}

/// A batch's jobs, decoded one at a time and refused past [`MAX_BATCH`].
struct Jobs(Vec<RawJob>);

impl<'de> Deserialize<'de> for Jobs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        bounded_seq(deserializer, "jobs").map(Jobs)
    }
}

/// A sequence of at most [`MAX_BATCH`] elements, decoded one at a time (so a body that claims
/// more costs no more memory than the bound).
fn bounded_seq<'de, D, T>(deserializer: D, what: &'static str) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Bounded<T>(&'static str, std::marker::PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for Bounded<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a list of at most {MAX_BATCH} {}", self.0)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
            while let Some(element) = seq.next_element()? {
                if out.len() == MAX_BATCH {
                    return Err(de::Error::custom(format!(
                        "more than {MAX_BATCH} {} in one request",
                        self.0
                    )));
                }
                out.push(element);
            }
            Ok(out)
        }
    }

    deserializer.deserialize_seq(Bounded(what, std::marker::PhantomData))
}

/// A positive job id.
struct PositiveId(JobId);

impl<'de> Deserialize<'de> for PositiveId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = JobId::deserialize(deserializer)?;
        if id <= 0 {
            return Err(de::Error::custom(format!("{id} is not a job id")));
        }
        Ok(Self(id))
    }
}

fn job_ids<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<JobId>, D::Error> {
    let ids: Vec<PositiveId> = bounded_seq(deserializer, "job ids")?;
    Ok(ids.into_iter().map(|id| id.0).collect())
}
