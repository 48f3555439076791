//! The conjectured security level is computed per proof and never falls below the floor.

use l2x_air::AirProgram;
use l2x_programs::fibonacci::Fibonacci;
use l2x_programs::sha256::Sha256;
use l2x_stark::security::{MIN_BITS, ProofSecurity, TARGET_BITS};
use l2x_stark::{Mode, claim_security};

const PROGRAMS: [&dyn AirProgram; 2] = [&Fibonacci, &Sha256];
const MODES: [Mode; 2] = [Mode::Plain, Mode::Hiding];

fn extremes(mode: Mode, program: &dyn AirProgram) -> [ProofSecurity; 2] {
    program
        .stark_extremes()
        .map(|pv| claim_security(mode, program, &pv).expect("the extremes are provable claims"))
}

#[test]
fn smallest_and_largest_instances_of_every_program_and_backend_reach_the_floor() {
    for mode in MODES {
        for program in PROGRAMS {
            for (end, s) in ["smallest", "largest"].iter().zip(extremes(mode, program)) {
                assert!(
                    s.bits >= MIN_BITS,
                    "{mode:?} {} {end}: {:.1} bits ({} binds)",
                    program.id(),
                    s.bits,
                    s.binding
                );
                let min = s.terms.iter().map(|t| t.bits).fold(f64::INFINITY, f64::min);
                assert_eq!(s.bits, min, "the level is the smallest term");
                assert!(s.terms.iter().any(|t| t.label == s.binding));
            }
        }
    }
}

#[test]
fn taller_instances_are_charged_more() {
    // Without grinding the commit-phase, DEEP and LogUp terms fall by a bit per doubling of the
    // trace: the estimator sees the shape. With it, the largest instance grinds more.
    for mode in MODES {
        let [small, large] = extremes(mode, &Fibonacci);
        assert!(large.max_log_height > small.max_log_height);
        assert!(
            large.grinding.commit > small.grinding.commit
                || large.grinding.lookup > small.grinding.lookup,
            "{mode:?}: {:?} vs {:?}",
            small.grinding,
            large.grinding
        );
    }
}

#[test]
fn grinding_lifts_grindable_terms_to_the_target() {
    for mode in MODES {
        for program in PROGRAMS {
            for s in extremes(mode, program) {
                for label in ["ldt-commit-phase", "logup-fingerprint", "deep-ali"] {
                    if let Some(t) = s.terms.iter().find(|t| t.label == label) {
                        assert!(
                            t.bits >= TARGET_BITS - 1e-9,
                            "{mode:?} {}: {label} at {:.2}",
                            program.id(),
                            t.bits
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn lookups_are_charged_only_where_there_are_lookups() {
    let [fib, _] = extremes(Mode::Plain, &Fibonacci);
    let [sha, _] = extremes(Mode::Plain, &Sha256);
    assert!(fib.terms.iter().any(|t| t.label == "logup-fingerprint"));
    assert!(!sha.terms.iter().any(|t| t.label == "logup-fingerprint"));
    assert_eq!(sha.grinding.lookup, 0);
}
