//! What most users need, in one import: `use l2x_executor::prelude::*;`.
//!
//! ```
//! use l2x_executor::prelude::*;
//!
//! let executor = Executor::builder().allow_dev_receipts(true).build()?;
//! let receipt = executor.prove("fibonacci", b"10")?;
//! executor.verify_program(&receipt, fibonacci::NAME)?;
//! let output: fibonacci::Output = receipt.public_values()?;
//! assert_eq!((output.n, output.value), (10, 55));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use crate::{
    Aggregate, BackendId, BatchReport, Claim, Executor, ExecutorBuilder, Job, JobError, Policy,
    PublicValues, Receipt, VerifyError, fibonacci, sha256,
};
