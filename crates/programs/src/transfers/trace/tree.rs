//! Witness generation for the state's tables: the records the transfer rows read and write
//! ([`Memory`]), the account table (each touched account's first and last record and its two
//! leaves) and the node table (each touched node once, its untouched children taken from the
//! pre-state tree).

use l2x_air::Val;
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::Poseidon2KoalaBear;
use p3_matrix::dense::RowMajorMatrix;
use p3_maybe_rayon::prelude::*;
use std::collections::BTreeMap;

use super::{Heights, put};
use crate::poseidon2::{Digest, compress};
use crate::transfers::columns::{LIMBS, accounts, nodes};
use crate::transfers::state::{Account, DEPTH, Tree, limbs};

/// An account's record on the record bus: its balance and nonce limbs, its key, and when it
/// was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// The balance's 16-bit limbs.
    pub balance: [Val; LIMBS],
    /// The nonce's limbs.
    pub nonce: [Val; LIMBS],
    /// The public key.
    pub key: Digest,
    /// When it was written: 0 for the pre-state, `2c − 1` or `2c` by the c-th transfer.
    pub time: u32,
}

impl Record {
    /// A record of these values at time 0.
    pub fn new(balance: [Val; LIMBS], nonce: [Val; LIMBS], key: Digest) -> Self {
        Self {
            balance,
            nonce,
            key,
            time: 0,
        }
    }

    /// An account's record at time 0.
    pub fn of(account: &Account) -> Self {
        let field = |x: u64| limbs(x).map(Val::from_u16);
        Self::new(field(account.balance), field(account.nonce), account.key)
    }

    /// The left half of the leaf's compression: balance limbs ‖ nonce limbs.
    pub fn values(&self) -> Digest {
        std::array::from_fn(|j| {
            if j < LIMBS {
                self.balance[j]
            } else {
                self.nonce[j - LIMBS]
            }
        })
    }
}

/// The records of a block's accounts as its transfers access them.
#[derive(Debug)]
pub struct Memory<'a> {
    pre: &'a Tree,
    /// Each touched account's record before the block.
    first: BTreeMap<u32, Record>,
    /// Each touched account's last record written.
    last: BTreeMap<u32, Record>,
}

impl<'a> Memory<'a> {
    /// No access yet, over the pre-state `pre`.
    pub fn new(pre: &'a Tree) -> Self {
        Self {
            pre,
            first: BTreeMap::new(),
            last: BTreeMap::new(),
        }
    }

    /// Each touched account's index, record before the block and last record, by index.
    pub fn records(&self) -> Vec<(u32, Record, Record)> {
        self.first
            .iter()
            .map(|(&index, &first)| (index, first, self.last[&index]))
            .collect()
    }

    /// An access to the account at `index` that reads `read` and writes `write` at `now`;
    /// returns when the record it reads was written (the account's last write, or 0). The
    /// first access takes the pre-state's account as the record before the block (or `read`
    /// if there is none: a forged witness's).
    pub fn access(&mut self, index: u32, read: Record, write: Record, now: u32) -> u32 {
        let first = match self.pre.account(index) {
            Some(account) => Record::of(account),
            None => read,
        };
        self.first.entry(index).or_insert(first);
        let last = self.last.entry(index).or_insert(first);
        let time = last.time;
        *last = Record { time: now, ..write };
        time
    }
}

/// The account and node tables of a block's memory.
pub struct State {
    /// The account table.
    pub accounts: RowMajorMatrix<Val>,
    /// The node table.
    pub nodes: RowMajorMatrix<Val>,
    /// The old and the new root.
    pub roots: (Digest, Digest),
    /// The active rows of the account and node tables.
    pub counts: (u32, u32),
}

/// The account and node tables at least `heights` high (each grown to the next power of two
/// its rows need), the compressions they look up appended to `compressions`: the memory's
/// records, the pre-state's nodes as the untouched siblings.
pub fn generate(
    perm: &Poseidon2KoalaBear<16>,
    pre: &Tree,
    memory: &Memory<'_>,
    heights: Heights,
    compressions: &mut Vec<(Digest, Digest)>,
) -> State {
    let records = memory.records();
    let (accounts, leaves) = account_table(perm, &records, heights.accounts, compressions);
    let sibling = |level: usize, index: u32| {
        let node = pre.node(level, index);
        (node, node)
    };
    let (rows, roots) = nodes_of(perm, leaves, sibling, compressions);
    State {
        counts: (records.len() as u32, rows.len() as u32),
        accounts,
        nodes: node_table(&rows, heights.nodes),
        roots,
    }
}

/// The rows a table of `rows` rows takes: the next power of two, at least `min`.
fn height(rows: usize, min: usize) -> usize {
    rows.next_power_of_two().max(min)
}

/// The account table of `records` (index, record before the block, last record), at least
/// `min_rows` high, and each account's leaves before and after; its compressions appended to
/// `compressions`.
pub fn account_table(
    perm: &Poseidon2KoalaBear<16>,
    records: &[(u32, Record, Record)],
    min_rows: usize,
    compressions: &mut Vec<(Digest, Digest)>,
) -> (RowMajorMatrix<Val>, BTreeMap<u32, (Digest, Digest)>) {
    let mut leaves = BTreeMap::new();
    let mut table = vec![Val::ZERO; height(records.len(), min_rows) * accounts::WIDTH];
    for (&(index, first, last), out) in records.iter().zip(table.chunks_exact_mut(accounts::WIDTH))
    {
        use accounts::*;
        let leaf = compress(perm, &first.values(), &first.key);
        let leaf_new = compress(perm, &last.values(), &last.key);
        compressions.push((first.values(), first.key));
        compressions.push((last.values(), last.key));
        leaves.insert(index, (leaf, leaf_new));
        out[ACTIVE] = Val::ONE;
        for j in 0..32 {
            out[INDEX + j] = Val::from_u32((index >> j) & 1);
        }
        for (at, values) in [
            (BALANCE, &first.balance),
            (NONCE, &first.nonce),
            (BALANCE_NEW, &last.balance),
            (NONCE_NEW, &last.nonce),
        ] {
            put(out, at, values);
        }
        put(out, KEY, &first.key);
        put(out, KEY_NEW, &last.key);
        out[TIME] = Val::from_u32(last.time);
        put(out, LEAF, &leaf);
        put(out, LEAF_NEW, &leaf_new);
    }
    (RowMajorMatrix::new(table, accounts::WIDTH), leaves)
}

/// The node table of `rows`, at least `min_rows` high.
pub fn node_table(rows: &[Node], min_rows: usize) -> RowMajorMatrix<Val> {
    let mut table = vec![Val::ZERO; height(rows.len(), min_rows) * nodes::WIDTH];
    for (row, out) in rows.iter().zip(table.chunks_exact_mut(nodes::WIDTH)) {
        row.put(out);
    }
    RowMajorMatrix::new(table, nodes::WIDTH)
}

/// A row of the node table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    /// Its level, 1 to 32.
    pub level: u32,
    /// Its position within the level.
    pub position: u32,
    /// Whether the left and the right child are touched.
    pub touched: (bool, bool),
    /// The left child in the old and the new tree.
    pub left: (Digest, Digest),
    /// The right child in both trees.
    pub right: (Digest, Digest),
    /// The node in both trees.
    pub node: (Digest, Digest),
}

impl Node {
    /// Writes the row.
    pub fn put(&self, out: &mut [Val]) {
        use nodes::*;
        out[ACTIVE] = Val::ONE;
        out[LEVEL] = Val::from_u32(self.level);
        out[HIGH] = Val::from_u32(self.position >> 2);
        out[BIT1] = Val::from_u32((self.position >> 1) & 1);
        out[BIT0] = Val::from_u32(self.position & 1);
        out[TOUCHED_LEFT] = Val::from_bool(self.touched.0);
        out[TOUCHED_RIGHT] = Val::from_bool(self.touched.1);
        for (at, d) in [
            (LEFT, self.left.0),
            (LEFT_NEW, self.left.1),
            (RIGHT, self.right.0),
            (RIGHT_NEW, self.right.1),
            (NODE, self.node.0),
            (NODE_NEW, self.node.1),
        ] {
            put(out, at, &d);
        }
    }
}

/// The nodes on the paths of `leaves` (index → old and new leaf), level by level from the
/// bottom, each hashed once in both trees, an untouched child at (level, index) being
/// `sibling`'s (old and new: the pre-state's node twice for an honest witness); and the old
/// and new root. Without leaves, the root alone, from its two untouched children.
pub fn nodes_of(
    perm: &Poseidon2KoalaBear<16>,
    leaves: BTreeMap<u32, (Digest, Digest)>,
    sibling: impl Fn(usize, u32) -> (Digest, Digest) + Sync,
    compressions: &mut Vec<(Digest, Digest)>,
) -> (Vec<Node>, (Digest, Digest)) {
    let mut rows = Vec::new();
    let mut below = leaves;
    for level in 0..DEPTH {
        let mut parents: Vec<u32> = below.keys().map(|&i| i >> 1).collect();
        parents.dedup();
        if level == DEPTH - 1 && parents.is_empty() {
            parents.push(0);
        }
        // A level's nodes are independent: hashed on all cores, kept in order.
        let level_rows: Vec<Node> = parents
            .par_iter()
            .map(|&p| {
                let child = |i: u32| match below.get(&i) {
                    Some(&pair) => (true, pair),
                    None => (false, sibling(level, i)),
                };
                let ((touched_left, left), (touched_right, right)) =
                    (child(2 * p), child(2 * p + 1));
                Node {
                    level: level as u32 + 1,
                    position: p,
                    touched: (touched_left, touched_right),
                    left,
                    right,
                    node: (
                        compress(perm, &left.0, &right.0),
                        compress(perm, &left.1, &right.1),
                    ),
                }
            })
            .collect();
        let mut above = BTreeMap::new();
        for row in level_rows {
            compressions.push((row.left.0, row.right.0));
            compressions.push((row.left.1, row.right.1));
            above.insert(row.position, row.node);
            rows.push(row);
        }
        below = above;
    }
    (rows, below[&0])
}
