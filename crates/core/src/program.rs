use crate::claim::PublicOutput;
use crate::id::ProgramId;

/// A deterministic computation that a backend can execute and prove.
///
/// The input is raw bytes (each program documents how it reads them); the result is a short
/// byte string of public values, whose layout each program documents too. Programs are
/// stateless and shared between threads, so the trait is object-safe and `Send + Sync`.
pub trait Program: Send + Sync {
    /// The program's stable name, used in receipts and on the command line.
    fn id(&self) -> ProgramId;

    /// One line saying what the program computes.
    fn summary(&self) -> &'static str;

    /// How the input bytes are read, for help texts.
    fn input_doc(&self) -> &'static str;

    /// The layout of the public values, for help texts.
    fn public_values_doc(&self) -> &'static str;

    /// The number of steps `execute` would report for `input`, computed without running it, so
    /// that schedulers can plan before work starts.
    fn estimate_steps(&self, input: &[u8]) -> Result<u64, InputError>;

    /// Runs the program natively.
    fn execute(&self, input: &[u8]) -> Result<Execution, InputError>;

    /// The step count a correct execution with these public values has. Verifiers compare it
    /// with the step count a receipt claims, so a claim cannot lie about its own size.
    fn steps_for(&self, public_values: &[u8]) -> Result<u64, ClaimError>;

    /// Decodes public values for people: a headline value and named fields.
    fn describe(&self, public_values: &[u8]) -> Result<PublicOutput, ClaimError>;

    /// The data a job on `input` publishes beside its receipt, for anyone to check against the
    /// receipt's public values with [`Program::check_published`]: a rollup block's transfers,
    /// whose commitment the block's proof exposes. Most programs publish nothing (the default).
    fn published_data(&self, input: &[u8]) -> Result<Vec<u8>, InputError> {
        let _ = input;
        Ok(vec![])
    }

    /// Checks published data against the public values of a (verified) receipt: `Ok` only if
    /// `data` is what an execution with these public values publishes. The default accepts only
    /// no data, as its [`Program::published_data`] publishes none.
    fn check_published(&self, public_values: &[u8], data: &[u8]) -> Result<(), ClaimError> {
        let _ = public_values;
        if data.is_empty() {
            Ok(())
        } else {
            Err(ClaimError {
                program: self.id(),
                reason: format!("publishes no data, {} bytes found", data.len()),
            })
        }
    }
}

/// The result of running a program natively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    /// The public values, laid out as the program documents.
    pub public_values: Vec<u8>,
    /// Execution steps: the rows of the program's trace before padding.
    pub steps: u64,
}

/// An input that a program cannot accept. The message names the program and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The input does not have the form the program reads.
    #[error("invalid input for {program}: {reason}")]
    Malformed {
        /// The program that rejected the input.
        program: ProgramId,
        /// What is wrong, in words.
        reason: String,
    },
    /// The input is well formed but above the program's size limit.
    #[error("input for {program} is too large: {what} is {value}, the limit is {limit}")]
    TooLarge {
        /// The program that rejected the input.
        program: ProgramId,
        /// The quantity that is too large, such as "n" or "the message length in bytes".
        what: &'static str,
        /// The value given.
        value: u64,
        /// The largest value accepted.
        limit: u64,
    },
}

/// Public values that cannot belong to any execution of the program.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("public values are not valid for {program}: {reason}")]
pub struct ClaimError {
    /// The program whose layout was expected.
    pub program: ProgramId,
    /// What is wrong, in words.
    pub reason: String,
}

/// A program id that no registered program has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown program '{name}' (known programs: {known})")]
pub struct UnknownProgram {
    /// The name asked for, shortened if long.
    pub name: String,
    /// The known ids, comma-separated.
    pub known: String,
}
