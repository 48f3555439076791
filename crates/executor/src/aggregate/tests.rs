//! Aggregates: every tree size, what the root commits to, the file format, tampering, linked blob data.

use super::*;
use crate::Executor;

fn dev() -> Executor {
    crate::dev_executor()
}

fn receipts(n: usize) -> Vec<Receipt> {
    let executor = dev();
    (0..n)
        .map(|i| {
            executor
                .prove("fibonacci", i.to_string().as_bytes())
                .unwrap()
        })
        .collect()
}

#[test]
fn every_inclusion_proof_verifies_for_every_tree_size() {
    for n in 1..=11 {
        let aggregate = Aggregate::new(receipts(n)).unwrap();
        aggregate.check_root().unwrap();
        for (i, receipt) in aggregate.receipts.iter().enumerate() {
            let proof = aggregate.inclusion_proof(i).unwrap();
            assert_eq!(
                proof.verify(receipt, &aggregate.root),
                Ok(()),
                "n = {n}, i = {i}"
            );
            let other = &aggregate.receipts[(i + 1) % n];
            if n > 1 {
                assert!(
                    proof.verify(other, &aggregate.root).is_err(),
                    "n = {n}, i = {i}"
                );
            }
        }
    }
}

#[test]
fn the_root_commits_to_order_content_and_count() {
    let r = receipts(4);
    let root = Aggregate::new(r.clone()).unwrap().root;
    let mut swapped = r.clone();
    swapped.swap(0, 1);
    assert_ne!(Aggregate::new(swapped).unwrap().root, root);
    assert_ne!(Aggregate::new(r[..3].to_vec()).unwrap().root, root);
    let mut longer = r.clone();
    longer.push(r[3].clone());
    assert_ne!(Aggregate::new(longer).unwrap().root, root);
    assert_eq!(Aggregate::new(vec![]), Err(AggregateError::Empty));
}

#[test]
fn the_streaming_root_is_the_level_by_level_root() {
    for n in 1..=70u8 {
        let leaves: Vec<Hash> = (0..n).map(|i| [i; 32]).collect();
        assert_eq!(
            streaming_root(leaves.iter().copied(), u64::from(n)),
            Some(root_of(&leaves).unwrap()),
            "n = {n}"
        );
    }
    assert_eq!(streaming_root(std::iter::empty(), 0), None);
    assert_eq!(streaming_root([[0; 32]].into_iter(), 2), None);
}

#[test]
fn a_huge_count_of_empty_entries_fails_without_allocating_for_it() {
    // The reported attack: 256 MiB of one-byte empty entries cost 6.5 GB to reject. The
    // framing pass allocates nothing and every entry must look like a receipt, so the first
    // empty entry is reported before any other is touched.
    let n = 1 << 20;
    let mut bytes = AGGREGATE_MAGIC.to_vec();
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&[0; 32]);
    bytes.extend_from_slice(&postcard::to_allocvec(&(n as u64)).unwrap());
    bytes.resize(bytes.len() + n, 0);
    let err = AggregateView::parse(&bytes).unwrap_err();
    assert!(
        matches!(err, AggregateDecodeError::Receipt { index: 0, .. }),
        "{err:?}"
    );
    assert!(matches!(
        Aggregate::from_bytes(&bytes),
        Err(AggregateDecodeError::Receipt { index: 0, .. })
    ));
    // A count the file cannot hold is refused up front.
    let mut lying = bytes[..38].to_vec();
    lying.extend_from_slice(&postcard::to_allocvec(&u64::MAX).unwrap());
    assert!(AggregateView::parse(&lying).is_err());
}

#[test]
fn the_view_checks_the_root_as_the_aggregate_does() {
    let aggregate = Aggregate::with_data(receipts(5), hashes(2)).unwrap();
    let bytes = aggregate.to_bytes();
    assert!(AggregateView::parse(&bytes).unwrap().root_matches());
    let plain = Aggregate::new(receipts(3)).unwrap().to_bytes();
    assert!(AggregateView::parse(&plain).unwrap().root_matches());
    let mut tampered = bytes.clone();
    tampered[6] ^= 1;
    assert!(!AggregateView::parse(&tampered).unwrap().root_matches());
}

#[test]
fn a_node_cannot_pass_as_a_leaf() {
    let r = receipts(2);
    let aggregate = Aggregate::new(r.clone()).unwrap();
    let top = node(&leaf(&r[0]), &leaf(&r[1]));
    // A one-leaf tree whose leaf hash equals the two-leaf tree's top node would need
    // SHA-256(0x00 ‖ x) = SHA-256(0x01 ‖ …); the root also binds the count.
    assert_ne!(seal_root(1, &top), aggregate.root);
    assert_ne!(root_of(&[top]).unwrap(), aggregate.root);
}

#[test]
fn odd_levels_carry_the_last_node_up() {
    let r = receipts(3);
    let (a, b, c) = (leaf(&r[0]), leaf(&r[1]), leaf(&r[2]));
    let expected = seal_root(3, &node(&node(&a, &b), &c));
    assert_eq!(Aggregate::new(r).unwrap().root, expected);
}

#[test]
fn proofs_with_wrong_paths_are_rejected() {
    let aggregate = Aggregate::new(receipts(5)).unwrap();
    let mut proof = aggregate.inclusion_proof(2).unwrap();
    proof.siblings.pop();
    assert!(matches!(
        proof.verify(&aggregate.receipts[2], &aggregate.root),
        Err(AggregateError::WrongPathLength { .. })
    ));
    let mut proof = aggregate.inclusion_proof(4).unwrap();
    proof.index = 5;
    assert!(
        proof
            .verify(&aggregate.receipts[4], &aggregate.root)
            .is_err()
    );
    let mut proof = aggregate.inclusion_proof(1).unwrap();
    proof.siblings[0][0] ^= 1;
    assert_eq!(
        proof.verify(&aggregate.receipts[1], &aggregate.root),
        Err(AggregateError::RootMismatch)
    );
}

#[test]
fn encoding_round_trips_and_every_flipped_byte_is_caught() {
    let aggregate = Aggregate::new(receipts(3)).unwrap();
    let bytes = aggregate.to_bytes();
    assert_eq!(Aggregate::from_bytes(&bytes).unwrap(), aggregate);
    let executor = dev();
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        let caught = match Aggregate::from_bytes(&b) {
            Err(_) => true,
            Ok(a) => executor.verify_aggregate(&a).is_err(),
        };
        assert!(caught, "flip at byte {i} went unnoticed");
    }
    for len in 0..bytes.len() {
        assert!(
            Aggregate::from_bytes(&bytes[..len]).is_err(),
            "truncated to {len}"
        );
    }
}

#[test]
fn stark_aggregates_reject_tampered_reordered_and_rerooted_receipts() {
    let executor = Executor::builder()
        .backend(l2x_core::BackendId::Stark)
        .build()
        .unwrap();
    let receipts: Vec<Receipt> = ["", "abc", "hello"]
        .iter()
        .map(|m| executor.prove("sha256", m.as_bytes()).unwrap())
        .collect();
    let aggregate = executor.aggregate(receipts.clone()).unwrap();
    assert_eq!(executor.verify_aggregate(&aggregate), Ok(()));

    let mut reordered = aggregate.clone();
    reordered.receipts.swap(0, 2);
    assert!(executor.verify_aggregate(&reordered).is_err());
    let mut rerooted = aggregate.clone();
    rerooted.root[7] ^= 0x40;
    assert!(executor.verify_aggregate(&rerooted).is_err());

    for (index, receipt) in receipts.iter().enumerate() {
        let seal_len = receipt.seal.len();
        for at in [0, seal_len / 3, seal_len / 2, seal_len - 1] {
            let mut edited = aggregate.clone();
            edited.receipts[index].seal[at] ^= 0x01;
            assert!(edited.check_root().is_err(), "receipt {index}, byte {at}");
            let rebuilt = Aggregate::new(edited.receipts).unwrap();
            assert!(
                matches!(
                    executor.verify_aggregate(&rebuilt),
                    Err(crate::AggregateFailure::Receipt { index: i, .. }) if i == index
                ),
                "receipt {index}, byte {at}"
            );
        }
        let proof = aggregate.inclusion_proof(index).unwrap();
        for (other, leaf) in aggregate.receipts.iter().enumerate() {
            assert_eq!(
                proof.verify(leaf, &aggregate.root).is_ok(),
                other == index,
                "proof {index} against leaf {other}"
            );
        }
    }
}

fn hashes(n: u8) -> Vec<Hash> {
    (0..n).map(|i| [i.wrapping_mul(37) ^ 0x01; 32]).collect()
}

#[test]
fn linked_data_changes_the_root_and_every_blob_proves_its_place() {
    let plain = Aggregate::new(receipts(3)).unwrap();
    for n in 1..=5u8 {
        let linked = Aggregate::with_data(receipts(3), hashes(n)).unwrap();
        assert_ne!(linked.root, plain.root);
        linked.check_root().unwrap();
        assert_eq!(linked.receipts_root().unwrap(), plain.root);
        for (i, vh) in linked.data.iter().enumerate() {
            let proof = linked.blob_inclusion_proof(i).unwrap();
            assert_eq!(proof.verify(vh, &linked.root), Ok(()), "n = {n}, i = {i}");
            let mut other = *vh;
            other[9] ^= 1;
            assert!(proof.verify(&other, &linked.root).is_err());
            assert!(proof.verify(vh, &plain.root).is_err());
        }
        let receipt_proof = linked.inclusion_proof(1).unwrap();
        assert_eq!(
            receipt_proof.verify(&linked.receipts[1], &linked.root),
            Ok(())
        );
        assert!(
            receipt_proof
                .verify(&linked.receipts[1], &plain.root)
                .is_err()
        );
    }
    assert!(plain.blob_inclusion_proof(0).is_err());
}

#[test]
fn tampered_linked_data_fails_the_root() {
    let mut linked = Aggregate::with_data(receipts(2), hashes(3)).unwrap();
    linked.data[2][31] ^= 1;
    assert_eq!(linked.check_root(), Err(AggregateError::RootMismatch));
    let mut dropped = Aggregate::with_data(receipts(2), hashes(3)).unwrap();
    dropped.data.pop();
    assert_eq!(dropped.check_root(), Err(AggregateError::RootMismatch));
    let mut emptied = Aggregate::with_data(receipts(2), hashes(1)).unwrap();
    emptied.data.clear();
    assert_eq!(emptied.check_root(), Err(AggregateError::RootMismatch));
}

#[test]
fn linked_aggregates_are_version_2_and_plain_ones_stay_version_1() {
    let plain = Aggregate::new(receipts(2)).unwrap();
    assert_eq!(plain.to_bytes()[4..6], 1u16.to_le_bytes());
    assert_eq!(Aggregate::from_bytes(&plain.to_bytes()).unwrap(), plain);
    let linked = Aggregate::with_data(receipts(2), hashes(2)).unwrap();
    let bytes = linked.to_bytes();
    assert_eq!(bytes[4..6], 2u16.to_le_bytes());
    assert_eq!(Aggregate::from_bytes(&bytes).unwrap(), linked);
    let mut truncated = bytes.clone();
    truncated.truncate(bytes.len() - 1);
    assert!(Aggregate::from_bytes(&truncated).is_err());
}
