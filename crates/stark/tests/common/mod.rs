//! Helpers shared by the STARK integration tests.

use l2x_core::{Backend, BackendId, Receipt};
use l2x_programs::Registry;
use l2x_stark::{StarkBackend, StarkZkBackend};

/// Verifies a receipt with the STARK backend it names (plain unless it says `stark-zk`).
pub fn verify(receipt: &Receipt) -> Result<(), String> {
    let program = Registry::standard()
        .get(receipt.claim.program.as_str())
        .map_err(|e| e.to_string())?;
    let backend: Box<dyn Backend> = match receipt.backend {
        BackendId::StarkZk => Box::new(StarkZkBackend::default()),
        _ => Box::new(StarkBackend::default()),
    };
    backend
        .verify(&*program, receipt)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Flips one bit in every byte of the envelope and claim, and in `seal_samples` positions
/// spread over the seal (and its last byte), and asserts that each altered receipt is rejected.
/// A panic anywhere fails the test.
pub fn assert_tampering_rejected(receipt: &Receipt, seal_samples: usize) {
    let bytes = receipt.to_bytes();
    let verify_bytes = |b: &[u8]| {
        Receipt::from_bytes(b)
            .map_err(|e| e.to_string())
            .and_then(|r| verify(&r))
    };
    assert_eq!(verify_bytes(&bytes), Ok(()));
    let seal_start = bytes.len() - receipt.seal.len();
    let step = (receipt.seal.len() / seal_samples).max(1);
    let mut positions: Vec<usize> = (0..seal_start).collect();
    positions.extend((0..seal_samples).map(|k| seal_start + k * step + (k * 7919) % step));
    positions.push(bytes.len() - 1);
    for &i in &positions {
        let mut tampered = bytes.clone();
        tampered[i] ^= 1 << (i % 8);
        assert!(
            verify_bytes(&tampered).is_err(),
            "flipping byte {i} of {} verified",
            bytes.len()
        );
    }
}
