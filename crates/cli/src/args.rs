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
    }
}

/// The worker threads an executor starts by default: one per core of this machine.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

#[cfg(test)]
mod tests {
    use super::*;

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
