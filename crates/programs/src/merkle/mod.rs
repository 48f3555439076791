//! `merkle`: membership of a leaf under a root in a binary Poseidon2 Merkle tree.
//!
//! **Tree.** Nodes are eight KoalaBear elements; a parent is the [`poseidon2`](crate::poseidon2)
//! compression of its children, Poseidon2(left ‖ right)[0..8] (Plonky3's
//! `TruncatedPermutation`, as its own Merkle trees compress). The leaf is a node given as is
//! (hash your data to a node first, e.g. with the `poseidon2` program). Bit i of the index says
//! whether the level-i node is a right child (1) or a left child (0).
//!
//! **Input.** Bytes: the depth d (one byte, 1 to [`MAX_DEPTH`]), the index (u32 little-endian,
//! below 2^d), the leaf (eight u32 little-endian field elements), then the d siblings from the
//! leaf's level up (eight elements each).
//!
//! **Public values.** 72 bytes: the root, the leaf (eight u32 LE elements each), the index and
//! the depth (u32 LE each).
//!
//! **Steps.** d, one compression per level.
//!
//! **STARK.** Two tables: the path ([`air`], 32 rows, one per level) and the Poseidon2
//! compressions it looks up on a LogUp bus ([`crate::poseidon2::bus`]). The path reads the index
//! bit by bit into two 16-bit halves (so it never wraps around the field) and pins the leaf, the
//! root, the depth and the index to the public inputs.

pub mod air;
pub mod columns;

use l2x_air::{AirProgram, ProgramAir, Table, Val, Witness, log_height_for};
use l2x_core::{ClaimError, Execution, InputError, Program, ProgramId, PublicField, PublicOutput};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::default_koalabear_poseidon2_16;
use p3_matrix::dense::RowMajorMatrix;

pub use air::MerklePathAir;
use columns::*;

use crate::poseidon2::bus::{self, Poseidon2BusAir};
use crate::poseidon2::columns::DIGEST;
use crate::poseidon2::{Digest, compress, digest_from_bytes, digest_hex, digest_to_bytes};

/// The program's name.
pub const NAME: &str = "merkle";
/// The program's id.
pub const ID: ProgramId = ProgramId::from_static(NAME);
/// The deepest tree.
pub const MAX_DEPTH: usize = 32;
/// Length of the public values in bytes.
pub const PUBLIC_VALUES_LEN: usize = 2 * 4 * DIGEST + 8;
/// log2 of the fewest rows of the compression table.
const MIN_LOG_BUS_ROWS: usize = 4;

/// The Merkle membership program. See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct Merkle;

/// A membership proof's data: the path from the leaf to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    /// The leaf.
    pub leaf: Digest,
    /// Its index (below 2^depth).
    pub index: u32,
    /// The siblings from the leaf's level up; the depth is their number.
    pub siblings: Vec<Digest>,
}

fn malformed(reason: impl Into<String>) -> InputError {
    InputError::Malformed {
        program: ID,
        reason: reason.into(),
    }
}

impl Path {
    /// The path's depth.
    pub fn depth(&self) -> usize {
        self.siblings.len()
    }

    /// Reads a path from the program's input bytes.
    pub fn parse(input: &[u8]) -> Result<Self, InputError> {
        let Some((&depth, rest)) = input.split_first() else {
            return Err(malformed(
                "the input is empty; expected the depth byte first",
            ));
        };
        let depth = usize::from(depth);
        if depth == 0 || depth > MAX_DEPTH {
            return Err(malformed(format!(
                "the depth is {depth}, expected 1 to {MAX_DEPTH}"
            )));
        }
        let expected = 1 + 4 + 4 * DIGEST * (depth + 1);
        if input.len() != expected {
            return Err(malformed(format!(
                "{} bytes, a path of depth {depth} takes {expected}",
                input.len()
            )));
        }
        let index = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        if depth < 32 && index >> depth != 0 {
            return Err(malformed(format!("index {index} is not below 2^{depth}")));
        }
        let mut digests = rest[4..].chunks_exact(4 * DIGEST).map(digest_from_bytes);
        let leaf = digests
            .next()
            .flatten()
            .ok_or_else(|| malformed("the leaf has an element not below the field's modulus"))?;
        let siblings: Option<Vec<Digest>> = digests.collect();
        let siblings = siblings
            .ok_or_else(|| malformed("a sibling has an element not below the field's modulus"))?;
        Ok(Self {
            leaf,
            index,
            siblings,
        })
    }

    /// The program's input bytes for this path.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = vec![self.depth() as u8];
        bytes.extend(self.index.to_le_bytes());
        bytes.extend(digest_to_bytes(&self.leaf));
        for sibling in &self.siblings {
            bytes.extend(digest_to_bytes(sibling));
        }
        bytes
    }

    /// The compressions from the leaf up, (left, right) at each level, and the root.
    pub fn compressions(&self) -> (Vec<(Digest, Digest)>, Digest) {
        let perm = default_koalabear_poseidon2_16();
        let mut node = self.leaf;
        let mut pairs = Vec::with_capacity(self.depth());
        for (level, sibling) in self.siblings.iter().enumerate() {
            let pair = if (self.index >> level) & 1 == 1 {
                (*sibling, node)
            } else {
                (node, *sibling)
            };
            node = compress(&perm, &pair.0, &pair.1);
            pairs.push(pair);
        }
        (pairs, node)
    }
}

/// The public values of a claim: root, leaf, index, depth.
pub fn public_values(root: &Digest, leaf: &Digest, index: u32, depth: u32) -> Vec<u8> {
    digest_to_bytes(root)
        .chain(digest_to_bytes(leaf))
        .chain(index.to_le_bytes())
        .chain(depth.to_le_bytes())
        .collect()
}

/// A claim's public values: (root, leaf, index, depth), refusing any other layout.
pub fn decode_public_values(bytes: &[u8]) -> Result<(Digest, Digest, u32, u32), ClaimError> {
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
    let not_field = || invalid("an element is not below the field's modulus".into());
    let root = digest_from_bytes(&bytes[..4 * DIGEST]).ok_or_else(not_field)?;
    let leaf = digest_from_bytes(&bytes[4 * DIGEST..8 * DIGEST]).ok_or_else(not_field)?;
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let (index, depth) = (word(8 * DIGEST), word(8 * DIGEST + 4));
    if depth == 0 || depth as usize > MAX_DEPTH {
        return Err(invalid(format!("depth {depth}, expected 1 to {MAX_DEPTH}")));
    }
    if depth < 32 && index >> depth != 0 {
        return Err(invalid(format!("index {index} is not below 2^{depth}")));
    }
    Ok((root, leaf, index, depth))
}

impl Program for Merkle {
    fn id(&self) -> ProgramId {
        ID
    }

    fn summary(&self) -> &'static str {
        "membership of a leaf under a root in a binary Poseidon2 Merkle tree of depth <= 32"
    }

    fn input_doc(&self) -> &'static str {
        "depth (1 byte) || index (u32 LE) || leaf || siblings, leaf side first (8 u32 LE elements each)"
    }

    fn public_values_doc(&self) -> &'static str {
        "root || leaf (8 u32 LE elements each) || index (u32 LE) || depth (u32 LE)"
    }

    fn estimate_steps(&self, input: &[u8]) -> Result<u64, InputError> {
        Ok(Path::parse(input)?.depth() as u64)
    }

    fn execute(&self, input: &[u8]) -> Result<Execution, InputError> {
        let path = Path::parse(input)?;
        let (_, root) = path.compressions();
        Ok(Execution {
            public_values: public_values(&root, &path.leaf, path.index, path.depth() as u32),
            steps: path.depth() as u64,
        })
    }

    fn steps_for(&self, public_values: &[u8]) -> Result<u64, ClaimError> {
        Ok(decode_public_values(public_values)?.3.into())
    }

    fn describe(&self, public_values: &[u8]) -> Result<PublicOutput, ClaimError> {
        let (root, leaf, index, depth) = decode_public_values(public_values)?;
        let field = |name, value: String| PublicField { name, value };
        Ok(PublicOutput {
            headline: digest_hex(&root),
            fields: vec![
                field("root", digest_hex(&root)),
                field("leaf", digest_hex(&leaf)),
                field("index", index.to_string()),
                field("depth", depth.to_string()),
            ],
        })
    }
}

/// The path table's public inputs for a claim.
pub fn table_public_values(root: &Digest, leaf: &Digest, index: u32, depth: u32) -> Vec<Val> {
    root.iter()
        .chain(leaf)
        .copied()
        .chain([
            Val::from_u32(index & 0xffff),
            Val::from_u32(index >> 16),
            Val::from_u32(depth),
            Val::from_bool(depth > 16),
        ])
        .collect()
}

/// log2 of the compression table's height for a path of `depth`.
fn bus_log_height(depth: u32, min_log_rows: usize) -> usize {
    log_height_for(depth.into(), min_log_rows.max(MIN_LOG_BUS_ROWS))
}

impl AirProgram for Merkle {
    fn tables(&self, public_values: &[u8], min_log_rows: usize) -> Result<Vec<Table>, ClaimError> {
        let (root, leaf, index, depth) = decode_public_values(public_values)?;
        Ok(vec![
            Table {
                air: ProgramAir::new(MerklePathAir),
                log_height: air::LOG_HEIGHT.max(min_log_rows),
                public_values: table_public_values(&root, &leaf, index, depth),
            },
            Table {
                air: ProgramAir::new(Poseidon2BusAir::new()),
                log_height: bus_log_height(depth, min_log_rows),
                public_values: vec![],
            },
        ])
    }

    fn placeholder_public_values(&self, input: &[u8]) -> Result<Vec<u8>, InputError> {
        let path = Path::parse(input)?;
        let zero = [Val::ZERO; DIGEST];
        Ok(public_values(
            &zero,
            &path.leaf,
            path.index,
            path.depth() as u32,
        ))
    }

    fn stark_extremes(&self) -> [Vec<u8>; 2] {
        let zero = [Val::ZERO; DIGEST];
        [
            public_values(&zero, &zero, 0, 1),
            public_values(&zero, &zero, 0, MAX_DEPTH as u32),
        ]
    }

    fn witness(&self, input: &[u8], min_log_rows: usize) -> Result<Witness, InputError> {
        let path = Path::parse(input)?;
        let (pairs, root) = path.compressions();
        let depth = path.depth() as u32;
        let path_rows = 1 << air::LOG_HEIGHT.max(min_log_rows);
        let bus_rows = 1 << bus_log_height(depth, min_log_rows);
        Ok(Witness {
            execution: Execution {
                public_values: public_values(&root, &path.leaf, path.index, depth),
                steps: depth.into(),
            },
            traces: vec![
                path_trace(&path, &pairs, path_rows),
                bus::generate(&pairs, bus_rows),
            ],
        })
    }
}

/// The path table for `path`, whose compressions are `pairs`, over `rows` rows.
pub fn path_trace(path: &Path, pairs: &[(Digest, Digest)], rows: usize) -> RowMajorMatrix<Val> {
    let perm = default_koalabear_poseidon2_16();
    let depth = path.depth();
    let mut values = vec![Val::ZERO; rows * WIDTH];
    let (mut node, mut high, mut weight) = (path.leaf, Val::ZERO, Val::ONE);
    let (mut acc_lo, mut acc_hi) = (Val::ZERO, Val::ZERO);
    for (level, row) in values.chunks_exact_mut(WIDTH).enumerate() {
        let active = level < depth;
        let bit = Val::from_bool(active && (path.index >> level) & 1 == 1);
        if level > 0 {
            let switch = depth > 16 && level == 16;
            weight = if switch { Val::ONE } else { weight.double() };
            high += Val::from_bool(switch);
        }
        let weighted = bit * weight;
        if high == Val::ZERO {
            acc_lo += weighted;
        } else {
            acc_hi += weighted;
        }
        if active {
            let sibling = path.siblings[level];
            let (left, right) = pairs[level];
            row[NODE..NODE + DIGEST].copy_from_slice(&node);
            row[SIBLING..SIBLING + DIGEST].copy_from_slice(&sibling);
            row[LEFT..LEFT + DIGEST].copy_from_slice(&left);
            row[RIGHT..RIGHT + DIGEST].copy_from_slice(&right);
            node = compress(&perm, &left, &right);
            row[PARENT..PARENT + DIGEST].copy_from_slice(&node);
        }
        row[BIT] = bit;
        row[LEVEL] = Val::from_usize(level);
        row[IS_LAST] = Val::from_bool(level + 1 == depth);
        row[SEEN] = Val::from_bool(level + 1 >= depth);
        row[HIGH] = high;
        row[WEIGHT] = weight;
        row[WEIGHTED_BIT] = weighted;
        row[ACC_LO] = acc_lo;
        row[ACC_HI] = acc_hi;
    }
    RowMajorMatrix::new(values, WIDTH)
}
