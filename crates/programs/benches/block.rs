//! Building and checking a signed block natively, each beside its reference in the same run:
//! the signatures alone, so the ratio is what the block adds to them.
//!
//! - `build`: a block of 1,024 random transfers signed with a wallet of 1,000 accounts
//!   ([`Wallet::random_block`]: drawing, signing, bookkeeping) against signing the same 1,024
//!   messages with the same keys.
//! - `check`: applying that block to its state ([`Block::apply`]: every signature verified,
//!   both leaves updated in the sparse tree per transfer) against verifying its 1,024
//!   signatures alone.
//!
//! Run: `cargo bench -p l2x-programs --bench block`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use l2x_programs::transfers::fixture::{DEFAULT_CHAIN_ID, Wallet};
use l2x_programs::transfers::statement;

const ACCOUNTS: usize = 1000;
const TRANSFERS: usize = 1024;

fn block(c: &mut Criterion) {
    let wallet = Wallet::genesis_with(ACCOUNTS, 1, 8, DEFAULT_CHAIN_ID);
    let block = wallet.random_block(TRANSFERS, 2).unwrap();
    let (_, steps, _) = block.apply().unwrap();
    let statements: Vec<_> = steps.iter().map(|s| statement(s, block.chain_id)).collect();

    let mut group = c.benchmark_group("build");
    group.throughput(Throughput::Elements(TRANSFERS as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("signed_block", |b| {
        b.iter(|| wallet.random_block(black_box(TRANSFERS), 2).unwrap())
    });
    group.bench_function("reference_signatures", |b| {
        b.iter(|| {
            for t in &block.transfers {
                let key = &wallet.accounts[&t.from].key;
                let message = t.message(block.chain_id);
                black_box(key.sign(black_box(t.nonce as u32), &message).unwrap());
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("check");
    group.throughput(Throughput::Elements(TRANSFERS as u64));
    group.sample_size(10);
    group.bench_function("apply_block", |b| {
        b.iter(|| black_box(&block).apply().unwrap())
    });
    group.bench_function("reference_verifications", |b| {
        b.iter(|| {
            for s in &statements {
                l2x_sig::verify(&s.key, s.epoch, &s.message, black_box(&s.signature)).unwrap();
            }
        })
    });
    group.finish();
}

criterion_group!(benches, block);
criterion_main!(benches);
