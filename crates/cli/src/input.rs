//! The `<INPUT>` arguments shared by `run` and `prove`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::files;

/// A program's input: exactly one of text, hex or a file.
#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = false)]
pub struct InputArgs {
    /// Input as text (Fibonacci: decimal n; byte programs: UTF-8 text).
    #[arg(long, value_name = "VALUE", allow_hyphen_values = true)]
    input: Option<String>,

    /// Input bytes as hex (an optional 0x prefix is allowed).
    #[arg(long, value_name = "HEX", allow_hyphen_values = true)]
    input_hex: Option<String>,

    /// Input bytes read from a file.
    #[arg(long, value_name = "PATH")]
    input_file: Option<PathBuf>,
}

impl InputArgs {
    /// The file this input reads, if any: what no output may replace.
    pub fn paths(&self) -> Vec<&Path> {
        self.input_file.iter().map(PathBuf::as_path).collect()
    }

    /// The input bytes the program receives.
    pub fn bytes(&self) -> Result<Vec<u8>> {
        if let Some(text) = &self.input {
            return Ok(text.clone().into_bytes());
        }
        if let Some(hex) = &self.input_hex {
            return decode_hex(hex);
        }
        match &self.input_file {
            Some(path) => files::read_limited(path, files::MAX_INPUT_FILE, "input file"),
            None => Ok(Vec::new()),
        }
    }
}

/// Decodes hex, with or without a `0x` prefix, naming the problem on failure.
pub fn decode_hex(text: &str) -> Result<Vec<u8>> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    let shown: String = text.chars().take(40).collect();
    if let Some((at, bad)) = digits.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
        bail!("invalid hex input {shown:?}: {bad:?} at byte {at} is not a hex digit");
    }
    if digits.len() % 2 == 1 {
        bail!(
            "invalid hex input {shown:?}: an odd number of digits ({})",
            digits.len()
        );
    }
    hex::decode(digits).with_context(|| format!("invalid hex input {shown:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_with_and_without_prefix() {
        assert_eq!(decode_hex("0x6162").unwrap(), b"ab");
        assert_eq!(decode_hex("6162").unwrap(), b"ab");
        assert_eq!(decode_hex("").unwrap(), b"");
        for bad in ["6", "zz", "0x6g", "é1"] {
            let err = format!("{:#}", decode_hex(bad).unwrap_err());
            assert!(err.contains("invalid hex"), "{err}");
            assert!(!err.contains('Ã'), "mojibake: {err}");
        }
    }
}
