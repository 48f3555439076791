//! KZG through l2x-da: known answers, agreement with direct c-kzg calls, and tampering.
#![allow(clippy::unwrap_used)]

use c_kzg::{Bytes32, Bytes48};
use l2x_da::{
    BYTES_PER_BLOB, Blob, BlobCommitment, Commitment, DaError, Kzg, Proof, encode, versioned_hash,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// A blob of random canonical field elements (top byte below the modulus's 0x73).
fn random_blob(rng: &mut StdRng) -> Blob {
    let mut bytes = vec![0u8; BYTES_PER_BLOB];
    rng.fill(&mut bytes[..]);
    for element in bytes.chunks_mut(32) {
        element[0] &= 0x3f;
    }
    Blob::from_bytes(&bytes).unwrap()
}

fn blob_with(bytes: &[u8]) -> Blob {
    Blob::from_bytes(bytes).unwrap()
}

#[test]
fn the_zero_blob_commits_to_the_point_at_infinity() {
    let kzg = Kzg::mainnet();
    let zero = blob_with(&vec![0u8; BYTES_PER_BLOB]);
    let mut infinity = [0u8; 48];
    infinity[0] = 0xc0;
    assert_eq!(kzg.commit(&zero, 0).unwrap(), Commitment(infinity));
    let versioned = versioned_hash(&Commitment(infinity));
    assert_eq!(versioned[0], 0x01);
}

#[test]
fn our_api_equals_direct_c_kzg_calls() {
    let kzg = Kzg::mainnet();
    let direct = c_kzg::ethereum_kzg_settings(0);
    let mut rng = StdRng::seed_from_u64(4844);
    for _ in 0..2 {
        let blob = random_blob(&mut rng);
        let ours = kzg.commit_and_prove(&blob, 0).unwrap();
        let c = direct.blob_to_kzg_commitment(&blob).unwrap();
        let p = direct.compute_blob_kzg_proof(&blob, &c.to_bytes()).unwrap();
        assert_eq!(ours.commitment.0, c.to_bytes().into_inner());
        assert_eq!(ours.proof.0, p.to_bytes().into_inner());
        kzg.verify_blob(&blob, &ours.commitment, &ours.proof, 0)
            .unwrap();
        let mut z = [0u8; 32];
        z[31] = 5;
        let (proof, y) = kzg.point_proof(&blob, z, 0).unwrap();
        let (dp, dy) = direct.compute_kzg_proof(&blob, &Bytes32::new(z)).unwrap();
        assert_eq!(
            (proof.0, &y[..]),
            (dp.to_bytes().into_inner(), dy.as_slice())
        );
        kzg.verify_point(&ours.commitment, z, y, &proof).unwrap();
    }
}

#[test]
fn tampering_with_a_blob_commitment_or_proof_is_rejected() {
    let kzg = Kzg::mainnet();
    let blob = encode(b"a batch of l2 transactions").remove(0);
    let entry = kzg.commit_and_prove(&blob, 0).unwrap();
    let mut bytes = blob.to_vec();
    bytes[32 * 3 + 9] ^= 1;
    assert!(
        kzg.verify_blob(&blob_with(&bytes), &entry.commitment, &entry.proof, 0)
            .is_err()
    );
    for i in [0, 1, 20, 47] {
        let mut c = entry.commitment;
        c.0[i] ^= 1;
        assert!(
            kzg.verify_blob(&blob, &c, &entry.proof, 0).is_err(),
            "commitment byte {i}"
        );
        let mut p = entry.proof;
        p.0[i] ^= 1;
        assert!(
            kzg.verify_blob(&blob, &entry.commitment, &p, 0).is_err(),
            "proof byte {i}"
        );
    }
    let mut z = [0u8; 32];
    z[31] = 9;
    let (proof, mut y) = kzg.point_proof(&blob, z, 0).unwrap();
    y[31] ^= 1;
    assert_eq!(
        kzg.verify_point(&entry.commitment, z, y, &proof),
        Err(DaError::Rejected { index: 0 })
    );
}

#[test]
fn a_batch_with_one_bad_entry_fails_and_names_it() {
    let kzg = Kzg::mainnet();
    let mut rng = StdRng::seed_from_u64(7594);
    let blobs: Vec<Blob> = (0..4).map(|_| random_blob(&mut rng)).collect();
    let mut entries: Vec<BlobCommitment> = blobs
        .iter()
        .enumerate()
        .map(|(i, b)| kzg.commit_and_prove(b, i).unwrap())
        .collect();
    kzg.verify_blob_batch(&blobs, &entries, 0).unwrap();
    entries.swap(1, 2);
    let err = kzg.verify_blob_batch(&blobs, &entries, 10).unwrap_err();
    assert_eq!(err, DaError::Rejected { index: 11 });
    assert!(matches!(
        kzg.verify_blob_batch(&blobs[..3], &entries, 0),
        Err(DaError::Count { .. })
    ));
}

#[test]
fn a_non_canonical_blob_is_named_before_c_kzg_sees_it() {
    let kzg = Kzg::mainnet();
    let mut bytes = vec![0u8; BYTES_PER_BLOB];
    bytes[32 * 2] = 0xff;
    let err = kzg.commit(&blob_with(&bytes), 5).unwrap_err();
    assert_eq!(
        err,
        DaError::NonCanonical {
            blob: 5,
            element: 2
        }
    );
}

#[test]
fn cells_verify_in_a_batch_and_a_tampered_cell_is_named() {
    let kzg = Kzg::mainnet_for_cells();
    let blob = encode(&vec![7u8; 50_000]).remove(0);
    let commitment = kzg.commit(&blob, 0).unwrap();
    let ext = kzg.cells(&blob, 0).unwrap();
    let direct = c_kzg::ethereum_kzg_settings(8)
        .compute_cells_and_kzg_proofs(&blob)
        .unwrap();
    assert_eq!(ext.cells[5], direct.0[5]);
    assert_eq!(ext.proofs[5].0, direct.1[5].to_bytes().into_inner());
    let columns: Vec<u64> = (0..16).map(|i| i * 8).collect();
    let mut cells: Vec<_> = columns.iter().map(|&c| ext.cells[c as usize]).collect();
    let proofs: Vec<Proof> = columns.iter().map(|&c| ext.proofs[c as usize]).collect();
    let commitments = vec![commitment; columns.len()];
    kzg.verify_cells(&commitments, &columns, &cells, &proofs)
        .unwrap();
    let mut bytes = cells[3].to_bytes();
    bytes[100] ^= 1;
    cells[3] = c_kzg::Cell::from_bytes(&bytes).unwrap();
    assert_eq!(
        kzg.verify_cells(&commitments, &columns, &cells, &proofs),
        Err(DaError::Rejected { index: 3 })
    );
    let mut wrong_proof = proofs.clone();
    wrong_proof[1].0[10] ^= 1;
    cells[3] = ext.cells[24];
    assert!(
        kzg.verify_cells(&commitments, &columns, &cells, &wrong_proof)
            .is_err()
    );
    let _ = Bytes48::new(commitment.0);
}
