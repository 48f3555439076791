//! Proves Fibonacci on the STARK backend through `l2x-executor`, as a dependant crate does, and
//! prints how long it took (the README's library section, runnable).
//!
//! ```sh
//! cargo run --release -- 262143
//! ```

use std::time::Instant;

use l2x_executor::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n = std::env::args().nth(1).unwrap_or_else(|| "1000".to_owned());
    if let Some(warning) = l2x_executor::cpu::vector_warning() {
        eprintln!("warning: {warning}");
    }
    let executor = Executor::builder().backend(BackendId::Stark).build()?;
    let start = Instant::now();
    let receipt = executor.prove(fibonacci::NAME, n.as_bytes())?;
    let prove = start.elapsed();
    executor.verify_program(&receipt, fibonacci::NAME)?;
    let output: fibonacci::Output = receipt.public_values()?;
    let level = executor.security(&receipt)?.map_or(0.0, |s| s.bits);
    println!(
        "fibonacci({}) = {}: proven in {:.2} s, {} bytes, {level:.1}-bit conjectured security",
        output.n,
        output.value,
        prove.as_secs_f64(),
        receipt.seal.len()
    );
    Ok(())
}
