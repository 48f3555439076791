//! The audit's attack on `transfers`, rebuilt as a witness: a row counted −1 between an honest
//! transfer and a phantom one cancels lookups of both, so that a false block claim would
//! verify. It must be rejected, and only the transfer table's `ACTIVE` being a bit rejects it.
//! (Mutation-checked: with `ACTIVE`'s `Bit::new` replaced by an unchecked bit, this witness
//! proves and verifies, and the test fails.)
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod cancel;
mod signed;

use cancel::{AMOUNT, PAID, PAID_NEW, made_up, numbers};
use l2x_air::{AirProgram, Val};
use l2x_programs::Transfers;
use l2x_programs::poseidon2::Digest;
use l2x_programs::transfers::columns::{self, update};
use l2x_programs::transfers::fixture::Wallet;
use l2x_programs::transfers::state::{self, Account, Tree, limbs};
use l2x_programs::transfers::trace::{self, Row};
use l2x_programs::transfers::{self, Block, Claim};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::default_koalabear_poseidon2_16;

/// The forged proof's claim, the true new root of the block it claims, and whether the
/// witness verified.
struct Outcome {
    claim: Claim,
    honest_new_root: Digest,
    accepted: bool,
}

/// The nonce attack. The published block is one transfer, V pays W 5. Three rows prove it:
/// - H, the honest transfer (counted 1), except that W's receipt is a leaf update the update
///   table never proves, from a made-up leaf L to the leaf W′ (W's balance + 5, nonce + 2);
/// - N, counted −1, a self-transfer of W that W never signed: its lookups cancel H's receiver
///   leaves and update, and the phantom's — its signature lookup among them, so no signature of
///   W's is needed;
/// - P, the phantom (counted 1): the same self-transfer, whose receiver update, W's true leaf
///   to W′, is the only other update the update table proves. N and P have the same transfer
///   and commitment blocks, so the commitment is the block's.
///
/// The claim is the block's old root, commitment and count, with a new root in which W's nonce
/// went up by 2 without W's signature: a claim the block does not make.
fn nonce_forgery() -> Outcome {
    let perm = default_koalabear_poseidon2_16();
    let mut wallet = Wallet::genesis(4, 71);
    let i: Vec<u32> = wallet.accounts.keys().copied().collect();
    let (v, w) = (i[0], i[1]);
    wallet.accounts.get_mut(&w).unwrap().nonce = 5;
    let (a, a2) = (5, 1);
    let transfer = wallet.sign(v, w, a).unwrap();
    let block = Block {
        chain_id: wallet.chain_id,
        accounts: wallet.state(),
        transfers: vec![transfer],
    };
    let (old_root, steps, honest_tree) = block.apply().unwrap();
    let pre = Tree::new(block.accounts.iter().copied());
    let victim = *pre.account(w).unwrap();
    let (bw, nw, key) = (victim.balance, victim.nonce, victim.key);

    // The trees: after V pays (W never receives), then with W's leaf replaced by W′.
    let mut h = Row::new(&steps[0]);
    let mut paid = pre.clone();
    paid.set_leaf(v, h.new_leaves().0);
    let forged_leaf = Account {
        balance: bw + a,
        nonce: nw + 2,
        key,
    }
    .leaf(&perm);
    let mut forged = paid.clone();
    forged.set_leaf(w, forged_leaf);
    let (ha, new_root) = (paid.root(), forged.root());

    // The rows' numbers (amount, paid, paid after, got, got after, nonce, nonce after).
    let hv = [h.number(AMOUNT), h.number(PAID), h.number(PAID_NEW)];
    numbers(
        &mut h,
        [hv[0], hv[1], hv[2], bw + 2 * a2, bw + 2 * a2 + a, 0, 1],
        1,
    );
    (h.receiver_nonce, h.receiver_key) = (limbs(nw + 1).map(Val::from_u16), key);
    let mut n = h.clone();
    (n.from, n.to, n.sender_key) = (w, w, key);
    let n_values = [
        a2,
        bw + 2 * a2,
        bw + a2,
        bw + a + a2,
        bw + a + 2 * a2,
        nw + 1,
        nw,
    ];
    numbers(&mut n, n_values, -1);
    let mut p = n.clone();
    numbers(
        &mut p,
        [a2, bw + a + a2, bw + a, bw, bw + a2, nw + 1, nw + 2],
        1,
    );
    p.receiver_nonce = limbs(nw).map(Val::from_u16);

    let probe = Claim {
        old_root,
        new_root: old_root,
        commitment: old_root,
        count: 1,
        chain_id: block.chain_id,
    };
    let tables = Transfers.tables(&probe.to_bytes(), 0).unwrap();
    let transfer_rows = 1 << tables[0].log_height;
    let mut traces = trace::generate(&[h, n, p.clone()], old_root, transfer_rows, 6 * 32);
    // The block's commitment: the honest row's, as the trace made it.
    let commitment: Digest =
        std::array::from_fn(|j| traces.transfers.values[columns::COMMIT_OUT + j]);
    let cells = &mut traces.transfers.values;
    let mut set = |row: usize, column: usize, d: Digest| {
        cells[row * columns::WIDTH + column..][..8].copy_from_slice(&d)
    };
    use columns::{
        ACTIVE, COMMIT_IN, COMMIT_MID, COMMIT_OUT, COUNT, RECEIVER_LEAF, RECEIVER_LEAF_NEW,
        ROOT_IN, ROOT_MID, ROOT_OUT, SENDER_LEAF, SENDER_LEAF_NEW,
    };
    let (l, m) = (made_up(7), made_up(9));
    // H: W's receipt goes from L to W′ and leaves the root as it was.
    set(0, RECEIVER_LEAF, l);
    set(0, RECEIVER_LEAF_NEW, forged_leaf);
    set(0, ROOT_OUT, ha);
    // N and P alike: W's new leaves are W′, the roots start at Ha, the commitment blocks are
    // the same pair (so they cancel).
    for row in [1, 2] {
        for (column, d) in [
            (SENDER_LEAF_NEW, forged_leaf),
            (RECEIVER_LEAF_NEW, forged_leaf),
            (ROOT_IN, ha),
            (ROOT_MID, ha),
            (COMMIT_IN, commitment),
            (COMMIT_MID, made_up(11)),
            (COMMIT_OUT, commitment),
        ] {
            set(row, column, d);
        }
    }
    // N: W's leaves L → W′ (cancelling H's receipt) and M → W′ (cancelling P's payment). P: W
    // pays from M (cancelled) and receives from W's true leaf to W′ (proven). Then padding.
    for (row, column, d) in [
        (1, SENDER_LEAF, l),
        (1, RECEIVER_LEAF, m),
        (1, ROOT_OUT, ha),
        (2, SENDER_LEAF, m),
        (2, ROOT_OUT, new_root),
        (3, ROOT_IN, new_root),
        (3, ROOT_OUT, new_root),
        (3, COMMIT_IN, commitment),
        (3, COMMIT_OUT, commitment),
    ] {
        set(row, column, d);
    }
    let cell = |row: usize, column: usize| row * columns::WIDTH + column;
    traces.transfers.values[cell(1, ACTIVE)] = -Val::ONE;
    for (row, count) in [(0, 1), (1, 0), (2, 1), (3, 1)] {
        traces.transfers.values[cell(row, COUNT)] = Val::from_u32(count);
    }

    // The update table proves two updates: V pays (H's sender group) and W's true leaf
    // becomes W′ under the tree V's payment left.
    let mut q = p.clone();
    q.from = w;
    numbers(&mut q, [0, bw, bw + a, 0, 0, nw, nw + 2], 1);
    q.sender_siblings = paid.siblings(w);
    let both = trace::generate(&[Row::new(&steps[0]), q], old_root, 4, 4 * 32);
    let group = 32 * update::WIDTH;
    let values = &both.updates.values;
    let updates = [&values[..group], &values[2 * group..3 * group]].concat();

    let claim = Claim {
        old_root,
        new_root,
        commitment,
        count: 1,
        chain_id: block.chain_id,
    };
    assert_eq!(claim.commitment, state::commitment(&block.transfers));
    // The attacker holds the published block's signature, V's, and no other.
    let signed = [transfers::statement(&steps[0], block.chain_id)];
    let accepted = cancel::accepted(&claim, traces.transfers, updates, &signed);
    Outcome {
        claim,
        honest_new_root: honest_tree.root(),
        accepted,
    }
}

#[test]
fn a_row_counted_minus_one_cannot_move_a_victims_nonce() {
    let forgery = nonce_forgery();
    assert_ne!(
        forgery.claim.new_root, forgery.honest_new_root,
        "the claim is false"
    );
    assert!(!forgery.accepted);
}
