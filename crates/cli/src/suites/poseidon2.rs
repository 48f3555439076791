//! Poseidon2 permutations proven per second: the `poseidon2` program (its table is Plonky3's
//! `p3-poseidon2-air` four times a row, chained, proven through the executor) against Plonky3's
//! AIR alone on random inputs, proven by `p3-uni-stark` with our configuration (the reference),
//! timed in alternation.

use std::hint::black_box;

use anyhow::Result;
use l2x_core::BackendId;
use l2x_executor::Policy;
use l2x_lab::{Case, Spec};
use l2x_programs::poseidon2::{BLOCK_BYTES, permutation_air};
use l2x_stark::config::config;
use l2x_stark::security::Grinding;

use super::programs::message;
use super::{Work, executor, fail, keep, paired};

/// Ours against the reference at each size (permutations per proof).
pub fn poseidon2(quick: bool) -> Result<Vec<Case<'static>>> {
    let sizes: &[usize] = if quick {
        &[1 << 10]
    } else {
        &[1 << 12, 1 << 14, 1 << 16]
    };
    let mut cases = vec![];
    for &permutations in sizes {
        let count = permutations as u64;
        let reference = Spec::new(
            "poseidon2",
            "p3-uni-stark",
            Some(count),
            format!(
                "{permutations} permutations: p3-poseidon2-air alone by p3-uni-stark (reference)"
            ),
        )
        .throughput("permutations", permutations as f64);
        let spec = Spec::new(
            "poseidon2",
            "prove",
            Some(count),
            format!("{permutations} permutations: the poseidon2 program, STARK"),
        )
        .throughput("permutations", permutations as f64)
        .against(reference.id.clone());
        cases.extend(against_plonky3(reference, spec, permutations, move || {
            let ex = executor(BackendId::Stark, Policy::Sequential).map_err(fail)?;
            let input = message(permutations * BLOCK_BYTES - 1);
            let ours: Work = Box::new(move || keep(ex.prove("poseidon2", black_box(&input))));
            Ok(ours)
        }));
    }
    Ok(cases)
}

/// `spec` (built by `ours`, untimed) timed in alternation against its `reference`: Plonky3's
/// Poseidon2 AIR alone on `permutations` random inputs, proven by `p3-uni-stark` with our
/// configuration.
pub(super) fn against_plonky3(
    reference: Spec,
    spec: Spec,
    permutations: usize,
    ours: impl FnOnce() -> Result<Work, String> + 'static,
) -> [Case<'static>; 2] {
    paired(reference, spec, 1, move || {
        let air = permutation_air();
        let config = config(Grinding::default(), &[0; 32]);
        let direct: Work = Box::new(move || {
            let trace = air.generate_random_trace_rows(permutations, 0);
            keep(p3_uni_stark::prove(&config, &air, trace, &[]));
        });
        Ok((direct, ours()?))
    })
}
