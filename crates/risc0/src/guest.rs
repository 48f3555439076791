//! A guest program: its ELF, the program binary the prover takes, its image ID, and its run on
//! RISC Zero's executor.

use std::fmt;
use std::sync::Arc;

use l2x_core::{ClaimError, Execution, InputError, Program, ProgramId, PublicField, PublicOutput};
use risc0_binfmt::ProgramBinary;
use risc0_zkvm::{Digest, ExecutorEnv, ExecutorImpl, ExitCode, SegmentInfo, Session};

/// log2 of the largest segment: a run longer than 2^20 cycles is split into segments of at most
/// this many, each proven on its own. RISC Zero's default; the prover's peak memory grows with
/// it.
pub const SEGMENT_PO2: u32 = 20;

/// The most cycles a run may take (2^28, 256 full segments: hours of proving on 2 cores). A
/// guest that runs longer is stopped by the executor and refused, so a looping guest costs
/// bounded time.
pub const MAX_CYCLES: u64 = 1 << 28;

/// The largest ELF accepted, in bytes: a guest's code and data fit the zkVM's memory, and a
/// hostile file is refused before it is parsed.
pub const MAX_ELF_BYTES: usize = 64 << 20;

/// A RISC Zero guest: the ELF, the program binary built from it and its image ID.
#[derive(Clone)]
pub struct Guest {
    id: ProgramId,
    summary: &'static str,
    binary: Arc<[u8]>,
    image_id: Digest,
    /// A user's guest is its own program; a shipped guest is the zkVM build of a native program
    /// of the same id.
    standalone: bool,
}

/// Why an ELF is not a guest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuestError {
    /// The file is larger than [`MAX_ELF_BYTES`].
    #[error("the guest ELF is {len} bytes, above the limit of {MAX_ELF_BYTES}")]
    TooLarge {
        /// The file's length.
        len: usize,
    },
    /// RISC Zero cannot load the file as a guest.
    #[error("not a RISC Zero guest ELF: {0}")]
    Invalid(String),
    /// A shipped guest's ELF does not have the image ID pinned for it.
    #[error("the guest of '{program}' has image ID {found}, not the pinned {pinned}")]
    NotPinned {
        /// The program the guest proves.
        program: ProgramId,
        /// The image ID of the ELF.
        found: String,
        /// The image ID pinned in the code.
        pinned: String,
    },
}

impl fmt::Debug for Guest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guest")
            .field("id", &self.id)
            .field("image_id", &self.image_id_hex())
            .field("binary_bytes", &self.binary.len())
            .finish()
    }
}

impl Guest {
    /// A user's guest from its ELF. Its program id is `guest-` and the first 24 hex digits of
    /// its image ID, so receipts name the exact binary (verification checks the full image ID).
    pub fn from_elf(elf: &[u8]) -> Result<Self, GuestError> {
        let (binary, image_id) = link(elf)?;
        let hex = hex_of(&image_id);
        let id = ProgramId::parse(&format!("guest-{}", &hex[..24]))
            .map_err(|e| GuestError::Invalid(e.to_string()))?;
        Ok(Self {
            id,
            summary: "a RISC Zero guest given as an ELF, named by its image ID",
            binary: binary.into(),
            image_id,
            standalone: true,
        })
    }

    /// A guest that proves the program `id`, with the image ID it must have. Used for the
    /// guests that ship with the backend; fails if the ELF does not have that image ID.
    pub(crate) fn pinned(
        id: ProgramId,
        summary: &'static str,
        elf: &[u8],
        image_id_hex: &str,
    ) -> Result<Self, GuestError> {
        let (binary, image_id) = link(elf)?;
        if hex_of(&image_id) != image_id_hex {
            return Err(GuestError::NotPinned {
                program: id,
                found: hex_of(&image_id),
                pinned: image_id_hex.to_owned(),
            });
        }
        Ok(Self {
            id,
            summary,
            binary: binary.into(),
            image_id,
            standalone: false,
        })
    }

    /// The program id receipts of this guest carry.
    pub fn id(&self) -> &ProgramId {
        &self.id
    }

    /// The image ID: the digest of the guest's initial memory, which a receipt is checked
    /// against.
    pub fn image_id(&self) -> Digest {
        self.image_id
    }

    /// The image ID in hex, as RISC Zero's tools print it.
    pub fn image_id_hex(&self) -> String {
        hex_of(&self.image_id)
    }

    /// Whether the guest is its own program (a user's, from [`Guest::from_elf`]), rather than
    /// the zkVM build of a program that also runs natively (the shipped guests).
    pub fn is_standalone(&self) -> bool {
        self.standalone
    }

    /// The program binary (the ELF linked with the v1compat kernel) that the prover runs.
    pub fn binary(&self) -> &[u8] {
        &self.binary
    }

    /// Runs the guest on RISC Zero's executor (no proof): the journal, the exit and the cycles
    /// of each segment. Stopped after [`MAX_CYCLES`].
    pub fn run(&self, input: &[u8]) -> Result<Run, InputError> {
        let env = env(input).map_err(|reason| self.refused(reason))?;
        // `execute` unwraps the loading of the binary, which `link` checked.
        let session = risc0_zkvm::local_executor()
            .execute(env, &self.binary)
            .map_err(|e| self.refused(format!("the guest failed: {e:#}")))?;
        self.halted(session.exit_code)?;
        Ok(Run {
            journal: session.journal.bytes,
            segments: session.segments,
        })
    }

    /// The guest's session on `input`, ready to prove (segments kept in memory); refused as
    /// [`Guest::run`] refuses.
    pub(crate) fn session(&self, input: &[u8]) -> Result<Session, InputError> {
        let env = env(input).map_err(|reason| self.refused(reason))?;
        let session = ExecutorImpl::from_elf(env, &self.binary)
            .and_then(|mut executor| executor.run())
            .map_err(|e| self.refused(format!("the guest failed: {e:#}")))?;
        self.halted(session.exit_code)?;
        Ok(session)
    }

    /// Only a run that halted with exit code 0 has a journal worth proving.
    fn halted(&self, exit: ExitCode) -> Result<(), InputError> {
        match exit {
            ExitCode::Halted(0) => Ok(()),
            other => Err(self.refused(format!("the guest exited with {other:?}, not 0"))),
        }
    }

    fn refused(&self, reason: String) -> InputError {
        InputError::Malformed {
            program: self.id.clone(),
            reason,
        }
    }
}

/// A run on RISC Zero's executor: the journal and each segment's size.
#[derive(Debug, Clone)]
pub struct Run {
    /// The bytes the guest committed.
    pub journal: Vec<u8>,
    /// log2 of each segment's rows, and the user cycles in it.
    pub segments: Vec<SegmentInfo>,
}

impl Run {
    /// The user cycles of the run (without paging and padding).
    pub fn cycles(&self) -> u64 {
        self.segments.iter().map(|s| u64::from(s.cycles)).sum()
    }

    /// log2 of the largest segment's rows: the prover's memory follows it.
    pub fn largest_po2(&self) -> u32 {
        self.segments.iter().map(|s| s.po2).max().unwrap_or(0)
    }
}

/// The executor environment of one run: `input` on the guest's stdin, the cycle and segment
/// limits.
fn env(input: &[u8]) -> Result<ExecutorEnv<'_>, String> {
    ExecutorEnv::builder()
        .write_slice(input)
        .session_limit(Some(MAX_CYCLES))
        .segment_limit_po2(SEGMENT_PO2)
        .build()
        .map_err(|e| format!("cannot set up the zkVM: {e:#}"))
}

/// Links a user ELF with the v1compat kernel and computes the image ID of the result.
fn link(elf: &[u8]) -> Result<(Vec<u8>, Digest), GuestError> {
    if elf.len() > MAX_ELF_BYTES {
        return Err(GuestError::TooLarge { len: elf.len() });
    }
    if !elf.starts_with(b"\x7fELF") {
        return Err(GuestError::Invalid(
            "the file does not start with the ELF magic".into(),
        ));
    }
    let binary = ProgramBinary::new(elf, risc0_zkos_v1compat::V1COMPAT_ELF).encode();
    let image_id =
        risc0_zkvm::compute_image_id(&binary).map_err(|e| GuestError::Invalid(format!("{e:#}")))?;
    Ok((binary, image_id))
}

fn hex_of(digest: &Digest) -> String {
    digest
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A user's guest as a program: its public values are its journal, its steps its user cycles.
/// Its native execution is a run on RISC Zero's executor.
impl Program for Guest {
    fn id(&self) -> ProgramId {
        self.id.clone()
    }

    fn summary(&self) -> &'static str {
        self.summary
    }

    fn input_doc(&self) -> &'static str {
        "the bytes the guest reads from stdin, as given"
    }

    fn public_values_doc(&self) -> &'static str {
        "the guest's journal: the bytes it commits"
    }

    /// A guest's cycle count is known only by running it: this runs it on the executor
    /// (milliseconds for a run whose proof takes seconds).
    fn estimate_steps(&self, input: &[u8]) -> Result<u64, InputError> {
        Ok(self.run(input)?.cycles())
    }

    fn execute(&self, input: &[u8]) -> Result<Execution, InputError> {
        let run = self.run(input)?;
        Ok(Execution {
            steps: run.cycles(),
            public_values: run.journal,
        })
    }

    /// Not defined: a guest's user cycles do not follow from its journal. Only the `risc0`
    /// backend proves guests, and it does not ask.
    fn steps_for(&self, _: &[u8]) -> Result<u64, ClaimError> {
        Err(ClaimError {
            program: self.id.clone(),
            reason: "a guest's step count (its user cycles) does not follow from its journal; \
                     only the risc0 backend proves guests"
                .into(),
        })
    }

    fn describe(&self, public_values: &[u8]) -> Result<PublicOutput, ClaimError> {
        let hex: String = public_values.iter().map(|b| format!("{b:02x}")).collect();
        Ok(PublicOutput {
            headline: format!("journal of {} bytes", public_values.len()),
            fields: vec![
                PublicField {
                    name: "image_id",
                    value: self.image_id_hex(),
                },
                PublicField {
                    name: "journal",
                    value: hex,
                },
            ],
        })
    }
}
