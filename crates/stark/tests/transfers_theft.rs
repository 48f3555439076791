//! The audit's second attack on `transfers`, rebuilt as a witness: theft and minting without
//! the victim's key. A row counted −1 cancels the one false compression an update group needs
//! to climb from a made-up leaf at the victim's index, so that a false block claim would
//! verify. It must be rejected, and only the transfer table's `ACTIVE` being a bit rejects it.
//! (Mutation-checked: with `Bit::new`'s `assert_bool` deleted, this witness proves and
//! verifies, and the test fails.)
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod cancel;

use std::collections::BTreeMap;

use cancel::{AMOUNT, GOT, NONCE, NONCE_NEW, PAID, PAID_NEW, made_up, numbers};
use l2x_air::{AirProgram, Val};
use l2x_programs::Transfers;
use l2x_programs::poseidon2::Digest;
use l2x_programs::transfers::columns::{self, update};
use l2x_programs::transfers::fixture::{Holding, Wallet};
use l2x_programs::transfers::state::{self, Account, DEPTH, Transfer, Tree, limbs, owner_hash};
use l2x_programs::transfers::trace::{self, Row};
use l2x_programs::transfers::{Block, Claim};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::default_koalabear_poseidon2_16;

/// The attacker's account.
const ATTACKER: u32 = 10;
/// The victim's: an even index whose neighbour is empty.
const VICTIM: u32 = 1000;
/// What the attacker pays the victim in the published block.
const PAYMENT: u64 = 7;
/// The balance of the made-up leaf the forged update climbs from.
const MINTED: u64 = 1 << 62;

/// The forged proof's claim, the state it leaves, and whether the witness verified.
struct Outcome {
    claim: Claim,
    honest_new_root: Digest,
    /// The victim's account in the claimed new state.
    victim_after: Account,
    /// The claimed new state.
    forged: Tree,
    /// V's leaf before the block: public, and a key of V's account in the claimed state.
    public_leaf: Digest,
    accepted: bool,
}

/// The victim V sits at an even index with an empty neighbour, so the tree node above its leaf
/// L_V is O = H(L_V ‖ 0): the owner hash of the "key" L_V, which anyone reads off the state.
/// The published block is one transfer, the attacker A pays V. Three rows prove it:
/// - T, A's payment (counted 1): A's side honest; V's receipt is a leaf update the update table
///   never proves, from a made-up leaf L to Ω = leaf(2^62 + 7, nonce 2, owner O);
/// - N, counted −1, a self-transfer of V whose key is the made-up leaf R = leaf(2^62, nonce 0,
///   owner O): its owner lookup (R ‖ 0 → O) cancels the one false compression below, and its
///   other lookups cancel T's receipt and the phantom's;
/// - P, the phantom (counted 1): the same self-transfer with the key L_V (a true owner hash of
///   O), whose receipt, R → Ω at V's index, is the only other update the update table proves —
///   with the false compression R ‖ 0 → O at level 0, where the tree has L_V.
///
/// The claim is the block's old root, commitment and count, with a new root in which V holds
/// 2^62 + 7 under the owner hash O, spendable with the public key L_V.
fn theft_forgery() -> Outcome {
    let perm = default_koalabear_poseidon2_16();
    let holding = |balance, nonce, key| Holding {
        balance,
        nonce,
        key,
    };
    let wallet = Wallet {
        accounts: BTreeMap::from([
            (ATTACKER, holding(500, 0, made_up(5))),
            (VICTIM, holding(1000, 3, made_up(6))),
        ]),
    };
    let transfer = Transfer {
        from: ATTACKER,
        to: VICTIM,
        amount: PAYMENT,
        nonce: 0,
        key: made_up(5),
    };
    let block = Block {
        accounts: wallet.state(),
        transfers: vec![transfer],
    };
    let (old_root, steps, honest_tree) = block.apply().unwrap();
    let pre = Tree::new(block.accounts.iter().copied());
    let l_v = pre.account(VICTIM).unwrap().leaf(&perm);
    assert_eq!(
        pre.siblings(VICTIM)[0],
        [Val::ZERO; 8],
        "V's neighbour is empty"
    );
    let o = owner_hash(&perm, &l_v);

    // The numbers: N and P move `a` at nonce `n`; T's receipt starts from `g_t`.
    let (a, n) = (1, 1);
    let g_p = MINTED;
    let g_t = g_p + 2 * a;
    let g_n = g_t + PAYMENT - a;
    let (b_n, b_p) = (g_t, g_n);
    let account = |balance, nonce| Account {
        balance,
        nonce,
        owner: o,
    };
    let r = account(g_p, n - 1).leaf(&perm);
    let victim_after = account(b_p - a, n + 1);
    let omega = victim_after.leaf(&perm);

    // The trees: after A pays (V never receives), then with V's leaf replaced by Ω.
    let mut t = Row::new(&steps[0]);
    let mut paid = pre.clone();
    paid.set(ATTACKER, steps[0].sender.1);
    let mut forged = paid.clone();
    forged.set(VICTIM, victim_after);
    let (rm, new_root) = (paid.root(), forged.root());

    // The rows' numbers (amount, paid, paid after, got, got after, nonce, nonce after).
    let tv = [AMOUNT, PAID, PAID_NEW, NONCE, NONCE_NEW].map(|i| t.number(i));
    numbers(
        &mut t,
        [tv[0], tv[1], tv[2], g_t, g_t + PAYMENT, tv[3], tv[4]],
        1,
    );
    (t.receiver_nonce, t.receiver_owner) = (limbs(n).map(Val::from_u16), o);
    let mut minus = t.clone();
    (minus.from, minus.to, minus.key, minus.sender_owner) = (VICTIM, VICTIM, r, o);
    numbers(&mut minus, [a, b_n, b_n - a, g_n, g_n + a, n, n - 1], -1);
    let mut p = minus.clone();
    p.key = l_v;
    numbers(&mut p, [a, b_p, b_p - a, g_p, g_p + a, n, n + 1], 1);
    p.receiver_nonce = limbs(n - 1).map(Val::from_u16);

    let probe = Claim {
        old_root,
        new_root: old_root,
        commitment: old_root,
        count: 1,
    };
    let tables = Transfers.tables(&probe.to_bytes(), 0).unwrap();
    let transfer_rows = 1 << tables[0].log_height;
    let mut traces = trace::generate(&[t, minus, p.clone()], old_root, transfer_rows, 6 * DEPTH);
    // The block's commitment: T's, as the trace made it; T's sender update ends at Rm.
    let cell = |row: usize, column: usize| row * columns::WIDTH + column;
    let digest_at =
        |values: &[Val], at: usize| -> Digest { std::array::from_fn(|j| values[at + j]) };
    let commitment = digest_at(&traces.transfers.values, cell(0, columns::COMMIT_OUT));
    assert_eq!(
        digest_at(&traces.transfers.values, cell(0, columns::ROOT_MID)),
        rm
    );
    use columns::{
        ACTIVE, COMMIT_IN, COMMIT_MID, COMMIT_OUT, COUNT, RECEIVER_LEAF, RECEIVER_LEAF_NEW,
        ROOT_IN, ROOT_MID, ROOT_OUT, SENDER_LEAF, SENDER_LEAF_NEW,
    };
    let cells = &mut traces.transfers.values;
    let mut set =
        |row: usize, column: usize, d: Digest| cells[cell(row, column)..][..8].copy_from_slice(&d);
    let (l, m) = (made_up(7), made_up(9));
    // T: V's receipt goes from L to Ω and leaves the root at Rm.
    set(0, RECEIVER_LEAF, l);
    set(0, RECEIVER_LEAF_NEW, omega);
    set(0, ROOT_OUT, rm);
    // N and P alike: the roots start at Rm, the commitment blocks are the same pair (so they
    // cancel).
    for row in [1, 2] {
        for (column, d) in [
            (ROOT_IN, rm),
            (ROOT_MID, rm),
            (COMMIT_IN, commitment),
            (COMMIT_MID, made_up(11)),
            (COMMIT_OUT, commitment),
        ] {
            set(row, column, d);
        }
    }
    // N: V's leaves L → Ω (cancelling T's receipt) and M → Ω (cancelling P's payment). P: V
    // pays from M (cancelled) and receives from R to Ω (proven). Then padding.
    for (row, column, d) in [
        (1, SENDER_LEAF, l),
        (1, SENDER_LEAF_NEW, omega),
        (1, RECEIVER_LEAF, m),
        (1, RECEIVER_LEAF_NEW, omega),
        (1, ROOT_OUT, rm),
        (2, SENDER_LEAF, m),
        (2, SENDER_LEAF_NEW, omega),
        (2, RECEIVER_LEAF, r),
        (2, RECEIVER_LEAF_NEW, omega),
        (2, ROOT_OUT, new_root),
    ] {
        set(row, column, d);
    }
    for row in 3..transfer_rows {
        for (column, d) in [
            (ROOT_IN, new_root),
            (ROOT_OUT, new_root),
            (COMMIT_IN, commitment),
            (COMMIT_OUT, commitment),
        ] {
            set(row, column, d);
        }
    }
    traces.transfers.values[cell(1, ACTIVE)] = -Val::ONE;
    for row in 0..transfer_rows {
        traces.transfers.values[cell(row, COUNT)] = Val::from_bool(row != 1);
    }

    // The update table proves two updates: A pays (T's sender group), and V's leaf R → Ω
    // under Rm, a group whose old path is the tree's from level 1 up.
    let group = DEPTH * update::WIDTH;
    let updates = [
        &traces.updates.values[..group],
        &forged_group(&p, &paid, l_v, &pre, new_root)[..],
    ]
    .concat();

    let claim = Claim {
        old_root,
        new_root,
        commitment,
        count: 1,
    };
    assert_eq!(claim.commitment, state::commitment(&block.transfers));
    let accepted = cancel::accepted(&claim, traces.transfers, updates);
    Outcome {
        claim,
        honest_new_root: honest_tree.root(),
        victim_after,
        forged,
        public_leaf: l_v,
        accepted,
    }
}

/// The update group of V's leaf R → Ω under `paid`'s siblings, with the old path taken from
/// the true leaf L_V's from level 0's parent up: every compression true but R ‖ 0 → O.
fn forged_group(p: &Row, paid: &Tree, l_v: Digest, pre: &Tree, new_root: Digest) -> Vec<Val> {
    let victim = *pre.account(VICTIM).unwrap();
    // q: V's true leaf L_V → anything; r: R → Ω (P's receipt, as a sender update).
    let mut q = p.clone();
    q.from = VICTIM;
    q.sender_owner = victim.owner;
    numbers(
        &mut q,
        [
            0,
            victim.balance,
            victim.balance,
            0,
            0,
            victim.nonce,
            victim.nonce + 1,
        ],
        1,
    );
    let mut r = p.clone();
    r.from = VICTIM;
    let (made_up_balance, after) = (p.number(GOT), p.number(PAID_NEW));
    let (nonce, nonce_after) = (p.number(NONCE) - 1, p.number(NONCE_NEW));
    numbers(
        &mut r,
        [0, made_up_balance, after, 0, 0, nonce, nonce_after],
        1,
    );
    q.sender_siblings = paid.siblings(VICTIM);
    r.sender_siblings = paid.siblings(VICTIM);
    let traces = trace::generate(&[q, r], paid.root(), 4, 4 * DEPTH);
    let rows = |g: usize| {
        let group = DEPTH * update::WIDTH;
        traces.updates.values[g * group..(g + 1) * group].to_vec()
    };
    let (honest, mut forged) = (rows(0), rows(2));
    use update::{LEAF, LEFT, NODE, PARENT, PARENT_NEW, RIGHT, WIDTH};
    assert_eq!(honest[LEAF..LEAF + 8], l_v);
    for level in 0..DEPTH {
        let columns: &[usize] = if level == 0 {
            &[PARENT]
        } else {
            &[NODE, LEFT, RIGHT, PARENT]
        };
        for &c in columns {
            let at = level * WIDTH + c;
            forged[at..at + 8].copy_from_slice(&honest[at..at + 8]);
        }
    }
    let last = (DEPTH - 1) * WIDTH;
    assert_eq!(forged[last + PARENT..][..8], paid.root());
    assert_eq!(forged[last + PARENT_NEW..][..8], new_root);
    forged
}

#[test]
fn a_row_counted_minus_one_cannot_mint_into_a_victims_account() {
    let forgery = theft_forgery();
    assert_ne!(
        forgery.claim.new_root, forgery.honest_new_root,
        "the claim is false"
    );
    // What the false state would give anyone: the public leaf L_V is a key of V's account,
    // which holds 2^62 + 7, and a following block spending 2^61 of it is valid.
    assert_eq!(forgery.victim_after.balance, MINTED + PAYMENT);
    let next = Block {
        accounts: forgery.forged.accounts().map(|(i, a)| (i, *a)).collect(),
        transfers: vec![Transfer {
            from: VICTIM,
            to: ATTACKER,
            amount: 1 << 61,
            nonce: forgery.victim_after.nonce,
            key: forgery.public_leaf,
        }],
    };
    assert!(next.apply().is_ok());
    assert!(!forgery.accepted, "the forged block proof verified");
}
