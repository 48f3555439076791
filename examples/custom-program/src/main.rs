//! Registers the `squaring` program beside the built-in ones, proves y = x^(2^n) with the STARK
//! backend, verifies the receipt and prints what it establishes.
//!
//! `cargo run --release -p custom-program -- [N] [X]` (default 100000 squarings of 3).

use std::error::Error;

use custom_program::Squaring;
use l2x_executor::{BackendId, Executor, Registry};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let n = args.next().unwrap_or_else(|| "100000".into());
    let x = args.next().unwrap_or_else(|| "3".into());

    let executor = Executor::builder()
        .registry(Registry::standard().with(Squaring)?)
        .backend(BackendId::Stark)
        .build()?;
    let input = format!("{n} {x}");
    let start = std::time::Instant::now();
    let receipt = executor.prove("squaring", input.as_bytes())?;
    let proved = start.elapsed();
    let claim = executor.verify_program(&receipt, "squaring")?;
    let output = executor.describe(claim)?;
    let security = executor
        .security(&receipt)?
        .ok_or("a stark receipt has a level")?;
    println!("squaring: {x}^(2^{n}) mod p = {}", output.headline);
    println!(
        "proved in {:.2} s ({} steps), receipt {} bytes, verified; {:.1} bits conjectured ({} binds)",
        proved.as_secs_f64(),
        claim.steps,
        receipt.to_bytes().len(),
        security.bits,
        security.binding
    );
    Ok(())
}
