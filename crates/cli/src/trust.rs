//! Whether a command accepts dev receipts, and how it shows a proof's security level.

use l2x_executor::ExecutorBuilder;
use l2x_stark::security::ProofSecurity;
use serde_json::{Value, json};

/// The flags of the commands that verify receipts.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct DevArgs {
    /// Accept dev receipts (`trace`), which anyone can forge and which prove nothing. Without
    /// this flag they are refused (exit 1), unless the environment sets L2X_DEV_MODE=1.
    #[arg(long, conflicts_with = "require_proof")]
    allow_dev: bool,

    /// Refuse dev receipts even when L2X_DEV_MODE=1 is set.
    #[arg(long)]
    require_proof: bool,
}

impl DevArgs {
    /// The builder with the dev-receipt policy these flags ask for.
    pub fn apply(self, builder: ExecutorBuilder) -> ExecutorBuilder {
        if self.allow_dev {
            builder.allow_dev_receipts(true)
        } else if self.require_proof {
            builder.allow_dev_receipts(false)
        } else {
            builder
        }
    }
}

/// `security_bits`, `security_binding` and `security_estimator` for `--json` (nulls for a dev
/// receipt).
pub fn security_json(security: Option<&ProofSecurity>) -> [(&'static str, Value); 3] {
    match security {
        Some(s) => [
            ("security_bits", json!(s.display_bits())),
            ("security_binding", json!(s.binding)),
            ("security_estimator", json!(l2x_stark::security::ESTIMATOR)),
        ],
        None => [
            ("security_bits", Value::Null),
            ("security_binding", Value::Null),
            ("security_estimator", Value::Null),
        ],
    }
}

/// "112.1-bit conjectured security, ldt-commit-phase binds" for people.
pub fn security_text(s: &ProofSecurity) -> String {
    format!(
        "{:.1}-bit conjectured security, {} binds",
        s.display_bits(),
        s.binding
    )
}

/// What a `risc0` receipt's security rests on. l2x's estimator models its own STARKs, not RISC
/// Zero's circuits, so no figure is computed per proof: this is RISC Zero's stated target for
/// the parameters of risc0-zkp 3.0.5 (50 FRI queries at rate 1/4), quoted, not measured.
pub const RISC0_SECURITY: &str =
    "not computed by l2x: RISC Zero states a 97-bit conjectured target for its parameters";

/// The verdict `l2x verify` prints for a valid `risc0` receipt.
pub const RISC0_VERDICT: &str = "valid RISC Zero composite receipt (checked against the guest's \
                                 image ID; its step count, the user cycles, is not proven)";
