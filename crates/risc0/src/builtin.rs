//! The guests that ship with the backend: `fibonacci` and `sha256`, built from `guests/` by
//! `scripts/build-guests.sh` and embedded here with their image IDs pinned. CI rebuilds them and
//! fails if a rebuild does not reproduce these ELFs byte for byte.

use std::sync::LazyLock;

use l2x_core::ProgramId;

use crate::guest::Guest;

/// The Fibonacci guest (`guests/fibonacci`): the semantics of `l2x_programs::fibonacci`.
pub const FIBONACCI_ELF: &[u8] = include_bytes!("../../../guests/elf/fibonacci.elf");

/// The pinned image ID of [`FIBONACCI_ELF`].
pub const FIBONACCI_IMAGE_ID: &str =
    "69aab01cd684223903c3c89490261a0678fd71af4ab2951568237299ce6c638a";

/// The SHA-256 guest (`guests/sha256`): the semantics of `l2x_programs::sha256`, with the
/// zkVM's SHA-256 accelerator.
pub const SHA256_ELF: &[u8] = include_bytes!("../../../guests/elf/sha256.elf");

/// The pinned image ID of [`SHA256_ELF`].
pub const SHA256_IMAGE_ID: &str =
    "67c410e7578189eea37aef0ff93b3b04506bd1a40438b2468e9cfa8f0e13f8b4";

/// The Fibonacci guest, linked and checked against its pinned image ID once per process.
pub static FIBONACCI: LazyLock<Guest> = LazyLock::new(|| {
    pinned(
        "fibonacci",
        "F(n) mod 2^64, as a Rust guest",
        FIBONACCI_ELF,
        FIBONACCI_IMAGE_ID,
    )
});

/// The SHA-256 guest, linked and checked against its pinned image ID once per process.
pub static SHA256: LazyLock<Guest> = LazyLock::new(|| {
    pinned(
        "sha256",
        "SHA-256 of a message, as a Rust guest",
        SHA256_ELF,
        SHA256_IMAGE_ID,
    )
});

/// The shipped guest that proves program `id`, if there is one.
pub fn for_program(id: &str) -> Option<&'static Guest> {
    match id {
        "fibonacci" => Some(&FIBONACCI),
        "sha256" => Some(&SHA256),
        _ => None,
    }
}

/// Panics if an embedded ELF does not have its pinned image ID: the binary was built from
/// other sources than the ones pinned, a bug that CI's rebuild check catches first.
fn pinned(id: &'static str, summary: &'static str, elf: &[u8], image_id: &str) -> Guest {
    Guest::pinned(ProgramId::from_static(id), summary, elf, image_id)
        .unwrap_or_else(|e| panic!("embedded guest: {e}"))
}
