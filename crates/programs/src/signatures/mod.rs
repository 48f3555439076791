//! `signatures`: a batch of hash-based signatures ([`l2x_sig`], generalized XMSS over our
//! Poseidon2), each verified in the proof — what a rollup's block proof or a signature
//! aggregator needs.
//!
//! **Input.** u32 LE n (at most [`MAX_SIGNATURES`]), then n statements: the public key
//! (32 bytes), the epoch (u32 LE), the message (12 elements, u32 LE each) and the signature
//! (1,164 bytes). Every signature must verify natively before anything is proven: an input with
//! one that does not is refused, naming it.
//!
//! **Public values.** 36 bytes: the commitment to the statements (eight u32 LE elements) and n
//! (u32 LE). The commitment chains, from eight zeros, three compressions per statement over the
//! blocks `key (8)`, `epoch ‖ message[0..7]`, `message[7..12] ‖ 0³` ([`commitment`]); a verifier
//! recomputes it from the statements it cares about. The signatures stay private.
//!
//! **Steps.** n.
//!
//! **STARK.** Five tables: the verification table ([`air`], one row per signature), the chain
//! table ([`chain`], one row per call of the leaf sponge, 21 a signature: two chains walked,
//! their steps looked up on the Poseidon2 bus, their ends absorbed, the sponge handed on to the
//! next call and the last state to the verification row), the path table ([`path`], 32 rows a
//! signature, one compression a level, its root provided to the verification row), the
//! statement table ([`statement`], which looks each statement up on the verification table's
//! bus and chains the commitment) and the compression table ([`crate::poseidon2::bus`], 166
//! compressions per signature).

pub mod air;
pub mod chain;
pub mod columns;
pub mod fixture;
pub mod path;
pub mod statement;
pub mod trace;

use l2x_air::{AirProgram, ProgramAir, Table, Val, Witness, log_height_for};
use l2x_core::{ClaimError, Execution, InputError, Program, ProgramId, PublicField, PublicOutput};
use l2x_sig::params::{
    LEAF_CALLS, MESSAGE_LEN, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, VERIFY_COMPRESSIONS,
};

use columns::PATH_ROWS;
use l2x_sig::{Message, PublicKey, Signature};
use p3_field::{PrimeCharacteristicRing, PrimeField32};

pub use air::VerifyAir;
pub use chain::ChainAir;
pub use path::PathAir;
pub use statement::StatementAir;

use crate::poseidon2::bus::{self, Poseidon2BusAir};
use crate::poseidon2::{Digest, digest_from_bytes, digest_hex, digest_to_bytes};

/// The program's name.
pub const NAME: &str = "signatures";
/// The program's id.
pub const ID: ProgramId = ProgramId::from_static(NAME);
/// The most signatures one input holds.
pub const MAX_SIGNATURES: usize = 2048;
/// Bytes of one statement in the input.
pub const STATEMENT_BYTES: usize = PUBLIC_KEY_BYTES + 4 + 4 * MESSAGE_LEN + SIGNATURE_BYTES;
/// Length of the public values in bytes.
pub const PUBLIC_VALUES_LEN: usize = 4 * 8 + 4;
/// Compressions per signature: the verification's and the commitment's three.
pub const COMPRESSIONS_PER_SIGNATURE: usize = VERIFY_COMPRESSIONS + 3;
/// log2 of the fewest rows of the verification and statement tables.
const MIN_LOG_ROWS: usize = 2;
/// log2 of the fewest rows of the compression table.
const MIN_LOG_BUS_ROWS: usize = 4;

/// The signature batch program. See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct Signatures;

/// A signed statement: the key, the epoch, the message and the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The signer's public key.
    pub key: PublicKey,
    /// The epoch (one-time key) signed at.
    pub epoch: u32,
    /// The message.
    pub message: Message,
    /// The signature.
    pub signature: Signature,
}

impl Statement {
    /// The statement's input bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.key.to_bytes().to_vec();
        bytes.extend(self.epoch.to_le_bytes());
        bytes.extend(
            self.message
                .iter()
                .flat_map(|v| v.as_canonical_u32().to_le_bytes()),
        );
        bytes.extend(self.signature.to_bytes());
        bytes
    }

    fn parse(bytes: &[u8]) -> Result<Self, String> {
        let (key, rest) = bytes.split_at(PUBLIC_KEY_BYTES);
        let (epoch, rest) = rest.split_at(4);
        let (message, signature) = rest.split_at(4 * MESSAGE_LEN);
        let mut elements = [Val::ZERO; MESSAGE_LEN];
        for (e, w) in elements.iter_mut().zip(message.chunks_exact(4)) {
            let w = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            if w >= Val::ORDER_U32 {
                return Err("a message element is not below the field's modulus".into());
            }
            *e = Val::from_u32(w);
        }
        let message = elements;
        Ok(Self {
            key: PublicKey::from_bytes(key).map_err(|e| e.to_string())?,
            epoch: u32::from_le_bytes([epoch[0], epoch[1], epoch[2], epoch[3]]),
            message,
            signature: Signature::from_bytes(signature).map_err(|e| e.to_string())?,
        })
    }
}

/// The input bytes of `statements`.
pub fn input_bytes(statements: &[Statement]) -> Vec<u8> {
    let mut bytes = (statements.len() as u32).to_le_bytes().to_vec();
    for s in statements {
        bytes.extend(s.to_bytes());
    }
    bytes
}

/// A claim of `signatures`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    /// The commitment to the statements.
    pub commitment: Digest,
    /// The number of signatures.
    pub count: u32,
}

impl Claim {
    /// The public values: commitment ‖ count.
    pub fn to_bytes(&self) -> Vec<u8> {
        digest_to_bytes(&self.commitment)
            .chain(self.count.to_le_bytes())
            .collect()
    }

    /// Reads public values, refusing any other layout.
    pub fn parse(bytes: &[u8]) -> Result<Self, ClaimError> {
        let invalid = |reason: String| ClaimError {
            program: ID,
            reason,
        };
        if bytes.len() != PUBLIC_VALUES_LEN {
            return Err(invalid(format!(
                "{} bytes, expected {PUBLIC_VALUES_LEN}",
                bytes.len()
            )));
        }
        let commitment = digest_from_bytes(&bytes[..32])
            .ok_or_else(|| invalid("an element is not below the field's modulus".into()))?;
        let count = u32::from_le_bytes([bytes[32], bytes[33], bytes[34], bytes[35]]);
        if count as usize > MAX_SIGNATURES {
            return Err(invalid(format!(
                "{count} signatures, at most {MAX_SIGNATURES}"
            )));
        }
        Ok(Self { commitment, count })
    }
}

/// The commitment to `statements` (see the [module docs](self)).
pub fn commitment(statements: &[Statement]) -> Digest {
    trace::commitment(statements)
}

fn malformed(reason: String) -> InputError {
    InputError::Malformed {
        program: ID,
        reason,
    }
}

/// Reads the statements, refusing a malformed input or a signature that does not verify.
pub fn parse(input: &[u8]) -> Result<Vec<Statement>, InputError> {
    let count = count_of(input)?;
    let statements = input[4..]
        .chunks_exact(STATEMENT_BYTES)
        .enumerate()
        .map(|(n, bytes)| {
            Statement::parse(bytes).map_err(|e| malformed(format!("statement {n}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    debug_assert_eq!(statements.len(), count);
    for (n, s) in statements.iter().enumerate() {
        l2x_sig::verify(&s.key, s.epoch, &s.message, &s.signature)
            .map_err(|e| malformed(format!("statement {n}: the signature does not verify: {e}")))?;
    }
    Ok(statements)
}

/// The number of statements the input's header announces, checked against its length.
fn count_of(input: &[u8]) -> Result<usize, InputError> {
    let Some(header) = input.get(..4) else {
        return Err(malformed(format!(
            "{} bytes; the input starts with the number of signatures (u32 LE)",
            input.len()
        )));
    };
    let count = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    if count > MAX_SIGNATURES {
        return Err(InputError::TooLarge {
            program: ID,
            what: "signatures",
            value: count as u64,
            limit: MAX_SIGNATURES as u64,
        });
    }
    let expected = 4 + count * STATEMENT_BYTES;
    if input.len() != expected {
        return Err(malformed(format!(
            "{} bytes; {count} statements take {expected}",
            input.len()
        )));
    }
    Ok(count)
}

/// The log2 heights of the verification, chain and path tables for `count` signatures (what
/// [`trace::verification`] fills), at least `min_log_rows` each.
pub fn verification_log_heights(count: u32, min_log_rows: usize) -> [usize; 3] {
    let rows = log_height_for(u64::from(count), min_log_rows.max(MIN_LOG_ROWS));
    let chains = log_height_for(
        (LEAF_CALLS * count as usize) as u64,
        min_log_rows.max(MIN_LOG_BUS_ROWS),
    );
    let paths = log_height_for(
        (PATH_ROWS * count.max(1) as usize) as u64,
        min_log_rows.max(PATH_ROWS.trailing_zeros() as usize),
    );
    [rows, chains, paths]
}

/// The verification, chain and path tables (their AIRs at `log_heights`): the tables any
/// program that looks statements up on [`air::VERIFIED_BUS`] proves beside its own.
pub fn verification_tables(log_heights: [usize; 3]) -> [Table; 3] {
    let table = |air, log_height| Table {
        air,
        log_height,
        public_values: vec![],
    };
    [
        table(ProgramAir::new(VerifyAir), log_heights[0]),
        table(ProgramAir::new(ChainAir), log_heights[1]),
        table(ProgramAir::new(PathAir), log_heights[2]),
    ]
}

/// The tables' log2 heights for `count` signatures: verification, chains, paths, statements,
/// compressions.
fn log_heights(count: u32, min_log_rows: usize) -> [usize; 5] {
    let [rows, chains, paths] = verification_log_heights(count, min_log_rows);
    let compressions = log_height_for(
        COMPRESSIONS_PER_SIGNATURE as u64 * u64::from(count),
        min_log_rows.max(MIN_LOG_BUS_ROWS),
    );
    [rows, chains, paths, rows, compressions]
}

impl Program for Signatures {
    fn id(&self) -> ProgramId {
        ID
    }

    fn summary(&self) -> &'static str {
        "a batch of hash-based (XMSS over Poseidon2) signatures, each verified in the proof"
    }

    fn input_doc(&self) -> &'static str {
        "u32 LE n || n statements: public key (32 bytes) || epoch (u32 LE) || message (12 u32 LE elements) || signature (1,164 bytes)"
    }

    fn public_values_doc(&self) -> &'static str {
        "commitment to the statements (8 u32 LE elements) || signature count (u32 LE)"
    }

    fn estimate_steps(&self, input: &[u8]) -> Result<u64, InputError> {
        Ok(count_of(input)? as u64)
    }

    fn execute(&self, input: &[u8]) -> Result<Execution, InputError> {
        let statements = parse(input)?;
        let claim = Claim {
            commitment: commitment(&statements),
            count: statements.len() as u32,
        };
        Ok(Execution {
            public_values: claim.to_bytes(),
            steps: claim.count.into(),
        })
    }

    fn steps_for(&self, public_values: &[u8]) -> Result<u64, ClaimError> {
        Ok(Claim::parse(public_values)?.count.into())
    }

    fn describe(&self, public_values: &[u8]) -> Result<PublicOutput, ClaimError> {
        let claim = Claim::parse(public_values)?;
        let field = |name, value: String| PublicField { name, value };
        Ok(PublicOutput {
            headline: digest_hex(&claim.commitment),
            fields: vec![
                field("commitment", digest_hex(&claim.commitment)),
                field("signatures", claim.count.to_string()),
            ],
        })
    }
}

impl AirProgram for Signatures {
    fn tables(&self, public_values: &[u8], min_log_rows: usize) -> Result<Vec<Table>, ClaimError> {
        let claim = Claim::parse(public_values)?;
        let [verify, chains, paths, statements, compressions] =
            log_heights(claim.count, min_log_rows);
        let mut public: Vec<Val> = claim.commitment.to_vec();
        public.push(Val::from_u32(claim.count));
        let mut tables: Vec<Table> = verification_tables([verify, chains, paths]).into();
        tables.extend([
            Table {
                air: ProgramAir::new(StatementAir),
                log_height: statements,
                public_values: public,
            },
            Table {
                air: ProgramAir::new(Poseidon2BusAir::new()),
                log_height: compressions,
                public_values: vec![],
            },
        ]);
        Ok(tables)
    }

    fn placeholder_public_values(&self, input: &[u8]) -> Result<Vec<u8>, InputError> {
        Ok(Claim {
            commitment: [Val::ZERO; 8],
            count: count_of(input)? as u32,
        }
        .to_bytes())
    }

    fn stark_extremes(&self) -> [Vec<u8>; 2] {
        let claim = |count| {
            Claim {
                commitment: [Val::ZERO; 8],
                count,
            }
            .to_bytes()
        };
        [claim(0), claim(MAX_SIGNATURES as u32)]
    }

    fn witness(&self, input: &[u8], min_log_rows: usize) -> Result<Witness, InputError> {
        let statements = parse(input)?;
        let count = statements.len() as u32;
        let [verify, chains, paths, rows, compressions] = log_heights(count, min_log_rows);
        let traces = trace::generate(
            &statements,
            [1 << verify, 1 << chains, 1 << paths, 1 << rows],
        );
        let claim = Claim {
            commitment: traces.commitment,
            count,
        };
        Ok(Witness {
            execution: Execution {
                public_values: claim.to_bytes(),
                steps: count.into(),
            },
            traces: vec![
                traces.verify,
                traces.chains,
                traces.paths,
                traces.statements,
                bus::generate(&traces.compressions, 1 << compressions),
            ],
        })
    }
}
