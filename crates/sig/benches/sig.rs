//! Native key generation, signing and verification, each beside its reference in the same run:
//! the same number of bare compressions, so the ratio is the scheme's own overhead.
//!
//! - `keygen`: one one-time key (16 generated in a one-thread pool, throughput per key) against
//!   [`KEYGEN_COMPRESSIONS_PER_EPOCH`] compressions.
//! - `sign`: a signature (the ρ search dominates: about 830 attempts of two compressions).
//! - `verify`: a verification against [`VERIFY_COMPRESSIONS`] compressions.
//!
//! Run: `cargo bench -p l2x-sig --bench sig`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use l2x_sig::hash::compress;
use l2x_sig::params::{KEYGEN_COMPRESSIONS_PER_EPOCH, VERIFY_COMPRESSIONS};
use l2x_sig::{ActiveRange, F, SecretKey, Seed, message_of_u16, verify};
use p3_field::PrimeCharacteristicRing;

const KEYS: u32 = 16;

/// `n` chained compressions: the reference each group is measured against.
fn compressions(n: usize) -> [F; 8] {
    let mut state = [F::ONE; 16];
    for _ in 0..n {
        let out = compress(&state);
        state[..8].copy_from_slice(&out);
    }
    std::array::from_fn(|k| state[k])
}

fn keygen(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut group = c.benchmark_group("keygen");
    group.throughput(Throughput::Elements(u64::from(KEYS)));
    group.sample_size(10);
    let range = ActiveRange::new(0, KEYS).unwrap();
    group.bench_function("one_time_keys", |b| {
        b.iter(|| {
            pool.install(|| SecretKey::generate(black_box(&Seed::from_bytes([1; 32])), range))
        })
    });
    group.bench_function("reference_compressions", |b| {
        b.iter(|| compressions(black_box(KEYS as usize * KEYGEN_COMPRESSIONS_PER_EPOCH)))
    });
    group.finish();
}

fn sign_and_verify(c: &mut Criterion) {
    let key = SecretKey::generate(&Seed::from_bytes([2; 32]), ActiveRange::new(0, 64).unwrap());
    let pk = key.public_key();
    let message = message_of_u16([1, 2, 3, 4]);
    let mut group = c.benchmark_group("sign");
    group.throughput(Throughput::Elements(1));
    let mut epoch = 0;
    group.bench_function("signature", |b| {
        b.iter(|| {
            epoch = (epoch + 1) % 64;
            key.sign(black_box(epoch), &message).unwrap()
        })
    });
    group.finish();

    let signatures: Vec<_> = (0..64).map(|e| key.sign(e, &message).unwrap()).collect();
    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(1));
    let mut epoch = 0;
    group.bench_function("signature", |b| {
        b.iter(|| {
            epoch = (epoch + 1) % 64;
            verify(&pk, epoch, &message, black_box(&signatures[epoch as usize])).unwrap()
        })
    });
    group.bench_function("reference_compressions", |b| {
        b.iter(|| compressions(black_box(VERIFY_COMPRESSIONS)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = keygen, sign_and_verify
}
criterion_main!(benches);
