//! Does this binary use the CPU's vector units?
//!
//! Plonky3 picks its packed field arithmetic (AVX2, AVX-512 on x86-64) when the crate is
//! *compiled*, from the target features the compiler may use, not at run time. A dependant
//! built with plain `cargo build --release` targets baseline x86-64 and proves about five
//! times slower than one built with `-C target-cpu=native`. Nothing fails; it is only slow. So
//! the executor compares what it was compiled for with what the CPU offers and says so once.

use std::sync::Once;

/// A vector extension that the CPU running this binary has but the binary was compiled
/// without, so Plonky3's packed arithmetic for it is not in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingFeature {
    /// The target feature's name, as in `-C target-feature=+NAME`.
    pub name: &'static str,
}

/// The vector features this CPU has that the binary does not use, widest last (empty on other
/// architectures and when the build already uses them all).
pub fn missing_vector_features() -> Vec<MissingFeature> {
    let mut missing = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if !cfg!(target_feature = "avx2") && std::arch::is_x86_feature_detected!("avx2") {
            missing.push(MissingFeature { name: "avx2" });
        }
        if !cfg!(target_feature = "avx512f") && std::arch::is_x86_feature_detected!("avx512f") {
            missing.push(MissingFeature { name: "avx512f" });
        }
    }
    missing
}

/// The warning to show when [`missing_vector_features`] is not empty, with the fix.
pub fn vector_warning() -> Option<String> {
    let missing = missing_vector_features();
    if missing.is_empty() {
        return None;
    }
    let names: Vec<&str> = missing.iter().map(|f| f.name).collect();
    Some(format!(
        "this binary was compiled without the CPU's vector features ({}): proving runs several \
         times slower; build with RUSTFLAGS=\"-C target-cpu=native\" or the .cargo/config.toml \
         shown in the README (set L2X_NO_CPU_WARNING=1 to silence this)",
        names.join(", ")
    ))
}

/// Logs [`vector_warning`] once per process (at `warn`, through `tracing`), unless
/// `L2X_NO_CPU_WARNING` is set.
pub(crate) fn warn_once() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("L2X_NO_CPU_WARNING").is_some() {
            return;
        }
        if let Some(warning) = vector_warning() {
            tracing::warn!("{warning}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feature_is_missing_only_if_the_cpu_has_it_and_the_build_lacks_it() {
        for feature in missing_vector_features() {
            #[cfg(target_arch = "x86_64")]
            {
                let (compiled, detected) = match feature.name {
                    "avx2" => (
                        cfg!(target_feature = "avx2"),
                        std::arch::is_x86_feature_detected!("avx2"),
                    ),
                    "avx512f" => (
                        cfg!(target_feature = "avx512f"),
                        std::arch::is_x86_feature_detected!("avx512f"),
                    ),
                    other => panic!("unexpected feature {other}"),
                };
                assert!(detected && !compiled, "{feature:?}");
            }
        }
        assert_eq!(
            vector_warning().is_some(),
            !missing_vector_features().is_empty()
        );
    }
}
