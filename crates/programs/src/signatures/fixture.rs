//! Batches of valid statements for tests and benchmarks: a few keys made from a seed, each
//! signing its epochs in turn.

use l2x_sig::{ActiveRange, SecretKey, Seed, message_of_u16};

use super::Statement;

/// `count` statements by `keys` keys (made from `seed`), each key signing epochs 0, 1, … in
/// turn, message n being `[n mod 2^16, n / 2^16, seed]`. Generating a key costs its epochs
/// (about 360 compressions each); signing, about 1,700 compressions a statement.
pub fn batch(count: usize, keys: usize, seed: u8) -> Vec<Statement> {
    let keys = keys.max(1);
    let epochs = count.div_ceil(keys).max(1) as u32;
    let range = ActiveRange::new(0, epochs).unwrap_or_else(|e| panic!("{e}"));
    let secrets: Vec<SecretKey> = (0..keys)
        .map(|k| {
            let mut bytes = [seed; 32];
            bytes[..8].copy_from_slice(&(k as u64).to_le_bytes());
            SecretKey::generate(&Seed::from_bytes(bytes), range)
        })
        .collect();
    (0..count)
        .map(|n| {
            let key = &secrets[n % keys];
            let epoch = (n / keys) as u32;
            let message = message_of_u16([n as u16, (n >> 16) as u16, u16::from(seed)]);
            Statement {
                key: key.public_key(),
                epoch,
                message,
                signature: key.sign(epoch, &message).unwrap_or_else(|e| panic!("{e}")),
            }
        })
        .collect()
}
