//! The state hashed once per block: forged witnesses of the records' memory argument, the
//! account table and the node table. Each is a whole witness an attacker could build (every
//! row signed by its sender's true key, every bus balanced but where the forgery cannot
//! balance it), rejected.
//!
//! Mutation-checked (each change to the AIR makes its forgery verify, the rest of the suite
//! still passing): deleting the range lookups of the gaps `now − time − 1` in the transfer
//! table (a record read before it was written), `transition.assert_zero(nxt(FIRST))` (a block
//! replayed over its own pre-state: each record before the block read twice), the node table's sibling equality (a sibling changed in
//! the new tree), the node table's bit checks of `BIT1` and `BIT0` (a leaf named at another
//! position), the account table's bit checks of the index (an index aliased modulo p), the
//! node table's `ACTIVE` factor in a child's count (a padding row consuming a phantom's leaf).
//! The families that are lookups (an account's last record, its leaf in the tree) are live: deleting
//! one makes every honest proof fail.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod signed;

use std::collections::BTreeMap;

use l2x_air::Val;
use l2x_programs::poseidon2::Digest;
use l2x_programs::transfers::columns::{self, accounts, nodes};
use l2x_programs::transfers::state::Tree;
use l2x_programs::transfers::trace::tree::{self, Node, Record};
use l2x_programs::transfers::trace::{self, Outcome, Row, Traces};
use l2x_programs::transfers::{Block, Claim};
use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};
use p3_koala_bear::default_koalabear_poseidon2_16;
use p3_matrix::dense::RowMajorMatrix;

/// A block of transfers (sender, receiver, amount; accounts by position in a wallet of `n`),
/// each signed at its sender's nonce in turn.
fn block(n: usize, seed: u64, transfers: &[(usize, usize, u64)]) -> Block {
    let mut wallet = signed::wallet(n, seed);
    let i: Vec<u32> = wallet.accounts.keys().copied().collect();
    let accounts = wallet.state();
    let mut list = vec![];
    for &(from, to, amount) in transfers {
        let (from, to) = (i[from], i[to]);
        list.push(wallet.sign(from, to, amount).unwrap());
        let sender = wallet.accounts.get_mut(&from).unwrap();
        sender.balance -= amount;
        sender.nonce += 1;
        wallet.accounts.get_mut(&to).unwrap().balance += amount;
    }
    Block {
        chain_id: wallet.chain_id,
        accounts,
        transfers: list,
    }
}

fn rows(block: &Block) -> Vec<Row> {
    block.apply().unwrap().1.iter().map(Row::new).collect()
}

/// A cell of `matrix`.
fn cell(matrix: &mut RowMajorMatrix<Val>, row: usize, column: usize) -> &mut Val {
    let width = matrix.width;
    &mut matrix.values[row * width + column]
}

/// The account table's row of `index` (its bits read back).
fn account_row(t: &Traces, index: u32) -> usize {
    let width = accounts::WIDTH;
    (0..t.accounts.values.len() / width)
        .find(|&r| {
            let bits = &t.accounts.values[r * width + accounts::INDEX..][..32];
            let read = (0..32).fold(0u32, |acc, j| acc | (bits[j].as_canonical_u32() << j));
            t.accounts.values[r * width + accounts::ACTIVE] == Val::ONE && read == index
        })
        .unwrap()
}

#[test]
fn honest_state_witnesses_are_accepted() {
    // Repeated senders and receivers, a transfer to oneself; then an empty block (the root
    // alone, from its untouched children).
    let b = block(3, 91, &[(0, 1, 5), (1, 1, 2), (0, 2, 7), (2, 0, 1)]);
    let (claim, traces) = signed::witness(&b, &rows(&b));
    let (old_root, _, after) = b.apply().unwrap();
    assert_eq!((claim.old_root, claim.new_root), (old_root, after.root()));
    assert_eq!(traces.outcome.old_root, old_root);
    assert!(signed::accepted(&claim, traces));
    let empty = block(3, 92, &[]);
    let (claim, traces) = signed::witness(&empty, &[]);
    assert_eq!((claim.accounts, claim.nodes), (0, 1));
    assert!(signed::accepted(&claim, traces));
}

#[test]
fn a_record_is_read_after_it_was_written() {
    // a → b at nonce n, then a → c at n + 1, their rows swapped: a → c comes first and reads
    // the record of a that a → b — now second — writes at time 3; a → b reads a's record
    // before the block. Every record is written once and read once (a cycle in time), and the
    // commitment is of the swapped order, which no valid block makes (the nonces go n + 1, n).
    // Only the gap's range check rejects it: the first row's read is from the future.
    let b = block(3, 93, &[(0, 1, 5), (0, 2, 7)]);
    let i: Vec<u32> = b.accounts.iter().map(|(i, _)| *i).collect();
    let (mut claim, mut t) = signed::witness(&b, &rows(&b));
    let width = columns::WIDTH;
    let (first, second) = t.transfers.values.split_at_mut(width);
    first.swap_with_slice(&mut second[..width]);
    t.compressions.swap(0, 2);
    t.compressions.swap(1, 3);
    use columns::{COUNT, FIRST, RECEIVER_TIME, SENDER_TIME};
    for (row, count, first, sender, receiver) in [(0, 1, 1, 3, 0), (1, 2, 0, 0, 0)] {
        *cell(&mut t.transfers, row, COUNT) = Val::from_u32(count);
        *cell(&mut t.transfers, row, FIRST) = Val::from_u32(first);
        *cell(&mut t.transfers, row, SENDER_TIME) = Val::from_u32(sender);
        *cell(&mut t.transfers, row, RECEIVER_TIME) = Val::from_u32(receiver);
    }
    // The last records: a's by the first row (time 1), c's by its receipt (2), b's by the
    // second row's receipt (4).
    for (index, time) in [(i[0], 1), (i[2], 2), (i[1], 4)] {
        let row = account_row(&t, index);
        *cell(&mut t.accounts, row, accounts::TIME) = Val::from_u32(time);
    }
    signed::recommit(&mut t, &mut claim, 0, [Val::ZERO; 8]);
    assert!(!signed::accepted(&claim, t));
}

/// `matrix`'s first `active` rows, then the same rows edited by `edit` (row, values), in a
/// matrix `height` rows high; rows past the copies are `padding`.
fn doubled(
    matrix: &RowMajorMatrix<Val>,
    active: usize,
    height: usize,
    padding: &[Val],
    edit: impl Fn(&mut [Val]),
) -> RowMajorMatrix<Val> {
    let width = matrix.width;
    let rows = &matrix.values[..active * width];
    let mut copy = rows.to_vec();
    copy.chunks_exact_mut(width).for_each(edit);
    let mut values = [rows, &copy].concat();
    while values.len() < height * width {
        values.extend_from_slice(padding);
    }
    RowMajorMatrix::new(values, width)
}

#[test]
fn a_block_is_not_replayed_over_its_own_pre_state() {
    // A block's rows twice, the copy over a copy of the account and node tables: the copy's
    // transfers read the records before the block again (a spends its balance twice), its
    // times follow the first copy's, and the two trees have the same two roots. Each copy's
    // records balance. The claim — the block's transfers twice from the same old root — is
    // natively refused (the nonces repeat). Only FIRST, 1 on the first row alone (the root is
    // consumed once), rejects it.
    let b = block(3, 94, &[(0, 1, 5), (1, 2, 3)]);
    let rows = rows(&b);
    let (honest, t) = signed::witness(&b, &rows);
    let n = rows.len();
    let shift = 2 * n as u32;
    let mut claim = honest;
    (claim.count, claim.accounts, claim.nodes) =
        (2 * n as u32, 2 * honest.accounts, 2 * honest.nodes);
    let heights = signed::heights(&claim);
    let later = |row: &mut [Val], columns: &[usize]| {
        for &c in columns {
            if row[c] != Val::ZERO {
                row[c] += Val::from_u32(shift);
            }
        }
    };
    let transfer_padding = t.transfers.values[n * columns::WIDTH..][..columns::WIDTH].to_vec();
    let mut transfers = doubled(&t.transfers, n, heights[0], &transfer_padding, |row| {
        row[columns::COUNT] += Val::from_usize(n);
        row[columns::FIRST] = Val::ZERO;
        later(row, &[columns::SENDER_TIME, columns::RECEIVER_TIME]);
    });
    *cell(&mut transfers, n, columns::FIRST) = Val::ONE;
    for row in 2 * n..heights[0] {
        *cell(&mut transfers, row, columns::COUNT) = Val::from_usize(2 * n);
    }
    let (a, m) = (honest.accounts as usize, honest.nodes as usize);
    let zeros = |width| vec![Val::ZERO; width];
    let state_compressions = t.compressions[2 * n..].to_vec();
    let mut compressions = [&t.compressions[..2 * n], &t.compressions[..2 * n]].concat();
    compressions.extend(&state_compressions);
    compressions.extend(&state_compressions);
    let mut traces = Traces {
        transfers,
        accounts: doubled(&t.accounts, a, heights[1], &zeros(accounts::WIDTH), |row| {
            later(row, &[accounts::TIME])
        }),
        nodes: doubled(&t.nodes, m, heights[2], &zeros(nodes::WIDTH), |_| {}),
        compressions,
        outcome: t.outcome,
    };
    signed::recommit(&mut traces, &mut claim, 0, [Val::ZERO; 8]);
    assert!(!signed::accepted(&claim, traces));
}

/// The traces' account and node tables rebuilt from `records` (index, before, last) with
/// `sibling`'s untouched children, and `edit` applied to the node rows; the claim follows (new
/// root, shape). The commitment's compressions are kept.
fn rebuild(
    t: &mut Traces,
    claim: &mut Claim,
    records: &[(u32, Record, Record)],
    leaves_of: impl FnOnce(BTreeMap<u32, (Digest, Digest)>) -> BTreeMap<u32, (Digest, Digest)>,
    sibling: impl Fn(usize, u32) -> (Digest, Digest) + Sync,
    edit: impl FnOnce(&mut Vec<Node>),
) {
    let perm = default_koalabear_poseidon2_16();
    let mut compressions = t.compressions[..2 * claim.count as usize].to_vec();
    let (accounts, leaves) = tree::account_table(&perm, records, 4, &mut compressions);
    let (mut rows, roots) = tree::nodes_of(&perm, leaves_of(leaves), sibling, &mut compressions);
    edit(&mut rows);
    (claim.old_root, claim.new_root) = roots;
    (claim.accounts, claim.nodes) = (records.len() as u32, rows.len() as u32);
    let heights = signed::heights(claim);
    assert_eq!(accounts.values.len() / accounts::WIDTH, heights[1]);
    t.accounts = accounts;
    t.nodes = tree::node_table(&rows, heights[2]);
    t.compressions = compressions;
    t.outcome = Outcome {
        old_root: roots.0,
        new_root: roots.1,
        accounts: claim.accounts,
        nodes: claim.nodes,
        ..t.outcome
    };
}

/// The pre-state's node at (level, index), the same in both trees.
fn unchanged(pre: &Tree) -> impl Fn(usize, u32) -> (Digest, Digest) + Sync + '_ {
    |level, index| {
        let node = pre.node(level, index);
        (node, node)
    }
}

/// The honest records of a block's rows (index, before, last).
fn records(b: &Block, rows: &[Row]) -> Vec<(u32, Record, Record)> {
    let pre = Tree::new(b.accounts.iter().copied());
    let mut memory = tree::Memory::new(&pre);
    for (c, r) in rows.iter().enumerate() {
        let now = 2 * (c as u32 + 1);
        let ([sr, rr], [sw, rw]) = (r.reads(), r.writes());
        memory.access(r.from, sr, sw, now - 1);
        memory.access(r.to, rr, rw, now);
    }
    memory.records()
}

#[test]
fn the_rebuilt_honest_tables_are_accepted() {
    // The harness of the forgeries below, with nothing forged.
    let b = block(4, 95, &[(0, 1, 5)]);
    let rows = rows(&b);
    let pre = Tree::new(b.accounts.iter().copied());
    let (mut claim, mut t) = signed::witness(&b, &rows);
    rebuild(
        &mut t,
        &mut claim,
        &records(&b, &rows),
        |l| l,
        unchanged(&pre),
        |_| {},
    );
    assert_eq!(claim.old_root, pre.root());
    assert!(signed::accepted(&claim, t));
}

#[test]
fn an_account_outside_the_block_keeps_its_record() {
    // d, which no transfer touches, gets an account row whose last record holds 1,000 more:
    // the new tree credits it. No transfer wrote that record, so its lookup is unmatched (and
    // d's record before the block is never read).
    let b = block(4, 96, &[(0, 1, 5), (1, 2, 3)]);
    let rows = rows(&b);
    let pre = Tree::new(b.accounts.iter().copied());
    let (mut claim, mut t) = signed::witness(&b, &rows);
    let d = b.accounts[3];
    assert!(rows.iter().all(|r| r.from != d.0 && r.to != d.0));
    let with_d = |after: &l2x_programs::transfers::Account| {
        let mut records = records(&b, &rows);
        records.push((d.0, Record::of(&d.1), Record::of(after)));
        records.sort_by_key(|r| r.0);
        records
    };
    // d's row holding its record unchanged (its own record before the block, read back at
    // time 0) is harmless, and accepted.
    let (mut kept, mut same) = (claim, signed::witness(&b, &rows).1);
    rebuild(
        &mut same,
        &mut kept,
        &with_d(&d.1),
        |l| l,
        unchanged(&pre),
        |_| {},
    );
    assert!(signed::accepted(&kept, same));
    let mut after = d.1;
    after.balance += 1000;
    rebuild(
        &mut t,
        &mut claim,
        &with_d(&after),
        |l| l,
        unchanged(&pre),
        |_| {},
    );
    assert_eq!(claim.old_root, pre.root());
    assert!(!signed::accepted(&claim, t));
}

#[test]
fn an_accounts_last_record_is_its_new_leaf() {
    // a pays twice; its account row ends at the record of its first payment: the second
    // payment's record is never read back into the tree (a keeps the second amount).
    let b = block(3, 97, &[(0, 1, 5), (0, 2, 7)]);
    let rows = rows(&b);
    let pre = Tree::new(b.accounts.iter().copied());
    let (mut claim, mut t) = signed::witness(&b, &rows);
    let mut records = records(&b, &rows);
    let a = records.iter().position(|r| r.0 == rows[0].from).unwrap();
    let first_write = Record {
        time: 1,
        ..rows[0].writes()[0]
    };
    records[a].2 = first_write;
    rebuild(&mut t, &mut claim, &records, |l| l, unchanged(&pre), |_| {});
    assert!(!signed::accepted(&claim, t));
}

#[test]
fn a_touched_account_is_a_leaf_of_the_old_tree() {
    // A phantom copy of a at an index m where the state has no account: a transfer from m,
    // signed with a's key, spends a copy of a's balance. m's account row supplies its record,
    // but its leaf is left out of the trees: the old root is the true one, and a keeps its
    // balance — money from nothing. m's leaf is supplied to no node.
    let b = block(3, 98, &[(0, 1, 5)]);
    let mut rows = rows(&b);
    let pre = Tree::new(b.accounts.iter().copied());
    let m = (0..).find(|m| pre.account(*m).is_none()).unwrap();
    rows[0].from = m;
    let (mut claim, mut t) = signed::witness(&b, &rows);
    let records = records(&b, &rows);
    // With m's leaf in the trees, the witness proves the block from a state that holds m:
    // accepted, for another old root.
    let (mut other, mut kept) = (claim, signed::witness(&b, &rows).1);
    rebuild(
        &mut kept,
        &mut other,
        &records,
        |l| l,
        unchanged(&pre),
        |_| {},
    );
    assert_ne!(other.old_root, pre.root());
    assert!(signed::accepted(&other, kept));
    rebuild(
        &mut t,
        &mut claim,
        &records,
        |mut leaves| {
            leaves.remove(&m);
            leaves
        },
        unchanged(&pre),
        |_| {},
    );
    assert_eq!(claim.old_root, pre.root());
    assert!(!signed::accepted(&claim, t));
}

#[test]
fn a_sibling_is_the_same_in_both_trees() {
    // d, untouched, holds 1,000 more in the new tree: the node rows give d's subtree (a
    // sibling) one value in the old tree and another in the new.
    let b = block(4, 99, &[(0, 1, 5)]);
    let rows = rows(&b);
    let pre = Tree::new(b.accounts.iter().copied());
    let (mut claim, mut t) = signed::witness(&b, &rows);
    let d = b.accounts[3];
    let mut richer = pre.clone();
    richer.set(
        d.0,
        l2x_programs::transfers::Account {
            balance: d.1.balance + 1000,
            ..d.1
        },
    );
    let records = records(&b, &rows);
    let sibling = |level: usize, index: u32| (pre.node(level, index), richer.node(level, index));
    rebuild(&mut t, &mut claim, &records, |l| l, sibling, |_| {});
    assert_eq!(claim.old_root, pre.root());
    assert!(!signed::accepted(&claim, t));
}

/// A transfer to index a, where the state has no account, landed on the account Q at
/// q = a ± p (the same field element as a): a's account row holds Q's record and Q's leaf
/// stands in the trees at q. The old root is the true one; the block (to a) is natively
/// refused. Returns the claim, the traces, q and a.
fn aliased(seed: u64) -> (Claim, Traces, u32, u32) {
    let b = block(3, seed, &[(0, 1, 5)]);
    let mut rows = rows(&b);
    let pre = Tree::new(b.accounts.iter().copied());
    let p = u64::from(Val::ORDER_U32);
    let q = rows[0].to;
    let a = if u64::from(q) + p < 1 << 32 {
        q + p as u32
    } else {
        q - p as u32
    };
    assert!(pre.account(a).is_none());
    rows[0].to = a;
    let (mut claim, mut t) = signed::witness(&b, &rows);
    let records = records(&b, &rows);
    rebuild(
        &mut t,
        &mut claim,
        &records,
        |mut leaves| {
            let pair = leaves.remove(&a).unwrap();
            leaves.insert(q, pair);
            leaves
        },
        unchanged(&pre),
        |_| {},
    );
    assert_eq!(claim.old_root, pre.root());
    (claim, t, q, a)
}

#[test]
fn a_leaf_is_named_at_its_own_position() {
    // The aliased witness, the level-1 node above q naming its child (0, a >> 2, a & 3) with
    // bits that are not bits.
    let (claim, mut t, q, a) = aliased(100);
    let row = t
        .nodes
        .values
        .chunks_exact(nodes::WIDTH)
        .position(|r| r[nodes::LEVEL] == Val::ONE && r[nodes::HIGH] == Val::from_u32(q >> 3))
        .unwrap();
    let level1 = q >> 1;
    let high = Val::from_u32(level1 >> 2);
    let own = Val::from_u32(level1 & 3);
    let bit1 = Val::from_u32(a >> 2) - high.double();
    *cell(&mut t.nodes, row, nodes::BIT1) = bit1;
    *cell(&mut t.nodes, row, nodes::BIT0) = own - bit1.double();
    assert_ne!(bit1 * (bit1 - Val::ONE), Val::ZERO, "not a bit");
    assert!(!signed::accepted(&claim, t));
}

#[test]
fn an_index_is_its_bits() {
    // The aliased witness, a's account row holding bits that read a as two 16-bit halves (the
    // records' name, the transfer's) and q as (q >> 2, q & 3) (the leaf's name): q's bits, then
    // bit 2 and bit 16 moved.
    let (claim, mut t, q, a) = aliased(101);
    let row = account_row(&t, a);
    for j in 0..32 {
        *cell(&mut t.accounts, row, accounts::INDEX + j) = Val::from_u32((q >> j) & 1);
    }
    let half = |x: u32, k: u32| Val::from_u32((x >> (16 * k)) & 0xffff);
    let (lo, hi) = (half(a, 0) - half(q, 0), half(a, 1) - half(q, 1));
    *cell(&mut t.accounts, row, accounts::INDEX + 2) += lo * Val::from_u32(4).inverse();
    *cell(&mut t.accounts, row, accounts::INDEX + 16) += hi;
    assert!(!signed::accepted(&claim, t));
}

#[test]
fn a_padding_node_row_consumes_nothing() {
    // The phantom copy m of `a_touched_account_is_a_leaf_of_the_old_tree`, its leaf left out
    // of the trees, and a padding row of the node table (ACTIVE 0) naming m's leaf as its
    // touched child (a second transfer lengthens the table past a power of two). Were a child
    // counted by its touched flag alone, that row would consume m's leaf and every bus would
    // balance; counted touched · ACTIVE, it consumes nothing.
    let b = block(3, 98, &[(0, 1, 5), (1, 2, 3)]);
    let mut rows = rows(&b);
    let pre = Tree::new(b.accounts.iter().copied());
    let m = (0..).find(|m| pre.account(*m).is_none()).unwrap();
    rows[0].from = m;
    let (mut claim, mut t) = signed::witness(&b, &rows);
    let records = records(&b, &rows);
    let mut leaf = None;
    rebuild(
        &mut t,
        &mut claim,
        &records,
        |mut leaves| {
            leaf = leaves.remove(&m);
            leaves
        },
        unchanged(&pre),
        |_| {},
    );
    let (zero, leaf) = (([Val::ZERO; 8], [Val::ZERO; 8]), leaf.unwrap());
    let padding = claim.nodes as usize;
    assert!(
        padding < t.nodes.values.len() / nodes::WIDTH,
        "a padding row"
    );
    let right = m & 1 == 1;
    let swallow = Node {
        level: 1,
        position: m >> 1,
        touched: (!right, right),
        left: if right { zero } else { leaf },
        right: if right { leaf } else { zero },
        node: zero,
    };
    swallow.put(&mut t.nodes.values[padding * nodes::WIDTH..][..nodes::WIDTH]);
    *cell(&mut t.nodes, padding, nodes::ACTIVE) = Val::ZERO;
    assert!(!signed::accepted(&claim, t));
}

// ---- A row counted −1 (the audit's attack, rebuilt for the records) ----

/// Sets a row's seven numbers and the carries they imply (the nonce's carries only for a row
/// counted +1; a row counted −1 decrements it, with no borrow in these numbers).
fn numbers(r: &mut Row, values: [u64; 7], counted: i64) {
    for (n, x) in values.into_iter().enumerate() {
        r.set_number(n, x);
    }
    r.carries[0] = trace::carries(values[2], values[0], 0);
    r.carries[1] = trace::carries(values[3], values[0], 0);
    r.carries[2] = match counted {
        1 => trace::carries(values[5], 0, 1),
        _ => [Val::ZERO; 3],
    };
}

#[test]
fn a_row_counted_minus_one_cannot_move_a_victims_nonce() {
    // The published block is one transfer H, W pays V, W at nonce k. Two more rows, between
    // which the block's count, commitment and signatures stay H's:
    // - P (counted 1, count 2) and N (counted −1, count 1) name the same transfer, W pays V 1
    //   at nonce k + 2, with the same commitment blocks (made up, from and back to H's
    //   commitment): their compressions and their signature lookups cancel, so no signature of
    //   W's is needed;
    // - N's writes are consumed (counted −1): at count 1 they are H's two records; its reads
    //   are supplied, and P reads them. P writes W at nonce k + 3 with H's balance, and V as
    //   H left it.
    // Every record balances; the claim is H's old root, commitment and count, with a new root
    // in which W's nonce went up by 3 without W's signature. Only ACTIVE being a bit rejects
    // it. (Mutation-checked: with ACTIVE's `Bit::new` replaced by an unchecked bit, this
    // witness verifies.)
    let b = block(3, 102, &[(0, 1, 5)]);
    let (_, steps, honest_after) = b.apply().unwrap();
    let h = Row::new(&steps[0]);
    let (w, v) = (h.from, h.to);
    let k = h.number(5);
    let (w_after, v_after) = (steps[0].sender.1, steps[0].receiver.1);
    let mut p = h.clone();
    let (paid, got) = (w_after.balance + 1, v_after.balance - 1);
    numbers(&mut p, [1, paid, paid - 1, got, got + 1, k + 2, k + 3], 1);
    let mut n = p.clone();
    numbers(&mut n, [1, paid, paid - 1, got, got + 1, k + 2, k + 1], -1);
    let rows = vec![h.clone(), p, n];
    let (mut claim, mut t) = signed::witness(&b, &rows);
    let commitment = t.outcome.commitment;
    let honest_commitment: Digest = signed::get(&t.transfers, 0, columns::COMMIT_OUT);
    use columns::*;
    for (row, active, count) in [(1, Val::ONE, 2), (2, -Val::ONE, 1)] {
        *cell(&mut t.transfers, row, ACTIVE) = active;
        *cell(&mut t.transfers, row, COUNT) = Val::from_u32(count);
        *cell(&mut t.transfers, row, SENDER_TIME) = Val::ZERO;
        *cell(&mut t.transfers, row, RECEIVER_TIME) = Val::ZERO;
        signed::put(&mut t.transfers, row, COMMIT_IN, &honest_commitment);
        signed::put(&mut t.transfers, row, COMMIT_MID, &[Val::from_u32(11); 8]);
        signed::put(&mut t.transfers, row, COMMIT_SECOND, &honest_commitment);
        signed::put(&mut t.transfers, row, COMMIT_OUT, &honest_commitment);
    }
    for row in 3..t.transfers.values.len() / WIDTH {
        *cell(&mut t.transfers, row, COUNT) = Val::ONE;
        signed::put(&mut t.transfers, row, COMMIT_IN, &honest_commitment);
        signed::put(&mut t.transfers, row, COMMIT_SECOND, &honest_commitment);
        signed::put(&mut t.transfers, row, COMMIT_OUT, &honest_commitment);
    }
    assert_ne!(commitment, honest_commitment);
    claim.count = 1;
    claim.commitment = honest_commitment;
    // The account table: W ends at nonce k + 3 (P's write, time 3), V as H left it (P's, 4).
    let field = |x: u64| l2x_programs::transfers::state::limbs(x).map(Val::from_u16);
    let records: Vec<(u32, Record, Record)> = [(w, 3), (v, 4)]
        .into_iter()
        .map(|(index, time)| {
            let before = Record::of(&b.accounts.iter().find(|a| a.0 == index).unwrap().1);
            let mut last = if index == w {
                Record::of(&w_after)
            } else {
                Record::of(&v_after)
            };
            if index == w {
                last.nonce = field(k + 3);
            }
            (index, before, Record { time, ..last })
        })
        .collect();
    let mut sorted = records;
    sorted.sort_by_key(|r| r.0);
    let pre = Tree::new(b.accounts.iter().copied());
    rebuild(&mut t, &mut claim, &sorted, |l| l, unchanged(&pre), |_| {});
    assert_eq!(claim.old_root, pre.root());
    assert_ne!(claim.new_root, honest_after.root(), "the claim is false");
    assert_eq!(
        claim.commitment,
        l2x_programs::transfers::state::commitment(&b.transfers)
    );
    // The attacker holds the published block's signature, W's of H, and no other; the
    // compression table provides H's commitment blocks (P's and N's cancel) and the state's.
    let signed = [l2x_programs::transfers::statement(&steps[0], b.chain_id)];
    assert!(!signed::accepted_signed(&claim, t, &signed));
}
