use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The name of a program, such as `fibonacci` or `sha256`.
///
/// Ids are short, lowercase ASCII (`[a-z][a-z0-9_-]{0,31}`) so that they are safe to print, to
/// use in file names and to compare byte for byte. Built-in programs use static ids (no
/// allocation); ids decoded from a receipt are validated before they exist.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProgramId(Cow<'static, str>);

/// Why a string is not a valid [`ProgramId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid program id {shown:?}: {reason}")]
pub struct InvalidProgramId {
    shown: String,
    reason: &'static str,
}

impl ProgramId {
    /// The longest id accepted, in bytes.
    pub const MAX_LEN: usize = 32;

    /// An id from a string literal; panics at compile time (in const context) or at startup if
    /// the literal is not a valid id, which is a bug in the program that declares it.
    pub const fn from_static(id: &'static str) -> Self {
        if validate(id).is_err() {
            panic!("invalid static program id");
        }
        Self(Cow::Borrowed(id))
    }

    /// Validates and wraps an id that came from outside (a file, a command line).
    pub fn parse(id: &str) -> Result<Self, InvalidProgramId> {
        match validate(id) {
            Ok(()) => Ok(Self(Cow::Owned(id.to_owned()))),
            Err(reason) => Err(InvalidProgramId {
                shown: id.chars().take(40).collect(),
                reason,
            }),
        }
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const fn validate(id: &str) -> Result<(), &'static str> {
    let bytes = id.as_bytes();
    if bytes.is_empty() {
        return Err("it is empty");
    }
    if bytes.len() > ProgramId::MAX_LEN {
        return Err("it is longer than 32 bytes");
    }
    if !bytes[0].is_ascii_lowercase() {
        return Err("it must start with a lowercase letter");
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') {
            return Err("only a-z, 0-9, '_' and '-' are allowed");
        }
        i += 1;
    }
    Ok(())
}

impl fmt::Display for ProgramId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for ProgramId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProgramId({:?})", &*self.0)
    }
}

impl Serialize for ProgramId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ProgramId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <Cow<'de, str>>::deserialize(deserializer)?;
        ProgramId::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names() {
        for id in ["fibonacci", "sha256", "l2-state_transition", "a"] {
            assert_eq!(ProgramId::parse(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn rejects_bad_names_with_a_reason() {
        for (id, reason) in [
            ("", "empty"),
            ("Fib", "lowercase letter"),
            ("9lives", "lowercase letter"),
            ("fib onacci", "only a-z"),
            ("fïb", "only a-z"),
            ("a234567890123456789012345678901234", "longer"),
        ] {
            let err = ProgramId::parse(id).unwrap_err().to_string();
            assert!(err.contains(reason), "{id:?}: {err}");
        }
    }

    #[test]
    fn static_ids_equal_parsed_ids() {
        assert_eq!(
            ProgramId::from_static("sha256"),
            ProgramId::parse("sha256").unwrap()
        );
    }
}
