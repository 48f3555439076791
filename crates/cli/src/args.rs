//! Argument parsers shared by several subcommands, so that every `--backend` lists the same
//! values and every `--threads` shows the same real default.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use l2x_core::BackendId;

/// `--backend`: the three backends by name, each with a one-line description in `--help`.
pub fn backend() -> impl TypedValueParser<Value = BackendId> {
    PossibleValuesParser::new(
        BackendId::ALL
            .iter()
            .map(|&b| PossibleValue::new(b.name()).help(describe(b))),
    )
    .try_map(|name| name.parse::<BackendId>())
}

/// What a backend gives, in a few words for help texts.
pub fn describe(backend: BackendId) -> &'static str {
    match backend {
        BackendId::Trace => "dev mode: fast native run, binds the claim, proves nothing",
        BackendId::Stark => "Plonky3 STARK: a real proof, not zero-knowledge",
        BackendId::StarkZk => "Plonky3 STARK with a hiding PCS: zero-knowledge, slower",
        BackendId::Risc0 => {
            "RISC Zero 3.0 zkVM: Rust guests, composite receipts (the risc0 feature)"
        }
    }
}

/// The worker threads an executor starts by default: one per core of this machine.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Parses a size: bytes, or a number with a K, M or G suffix (powers of 1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, 'K' | 'k')) => (&t[..i], 10),
        Some((i, 'M' | 'm')) => (&t[..i], 20),
        Some((i, 'G' | 'g')) => (&t[..i], 30),
        _ => (t, 0),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("invalid size '{text}': give bytes or a number with K, M or G"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("4096"), Ok(4096));
        for bad in ["", "0", "M", "1.5G", "-1", "99999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_backend_parses_by_its_name() {
        let command = clap::Command::new("t");
        for &b in BackendId::ALL {
            let parsed = backend()
                .parse_ref(&command, None, std::ffi::OsStr::new(b.name()))
                .expect("a listed name parses");
            assert_eq!(parsed, b);
        }
        assert!(
            backend()
                .parse_ref(&command, None, std::ffi::OsStr::new("plonk"))
                .is_err()
        );
    }
}
