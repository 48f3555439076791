//! Serde for [`Receipt`]: always through the versioned envelope, so a receipt embedded in a
//! user's JSON, CBOR or postcard message is checked exactly as a receipt file is.
//!
//! Binary formats carry the envelope as a byte string; human-readable formats (JSON, TOML) as a
//! lowercase hex string. Deserializing runs [`Receipt::from_bytes`]: a receipt that does not
//! decode is a serde error naming why.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::claim::Receipt;

impl Serialize for Receipt {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let bytes = self.to_bytes();
        if serializer.is_human_readable() {
            serializer.serialize_str(&hex::encode(bytes))
        } else {
            serializer.serialize_bytes(&bytes)
        }
    }
}

impl<'de> Deserialize<'de> for Receipt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_str(EnvelopeVisitor)
        } else {
            deserializer.deserialize_bytes(EnvelopeVisitor)
        }
    }
}

/// Accepts the envelope as bytes or as hex, whichever the format offers.
struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Receipt;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an l2x receipt envelope (bytes, or lowercase hex)")
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Receipt, E> {
        Receipt::from_bytes(bytes).map_err(E::custom)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Receipt, E> {
        let bytes = hex::decode(text).map_err(|e| E::custom(format!("receipt hex: {e}")))?;
        self.visit_bytes(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use crate::{BackendId, Claim, ProgramId, Receipt};

    fn receipt() -> Receipt {
        Receipt {
            backend: BackendId::Stark,
            claim: Claim {
                program: ProgramId::from_static("fibonacci"),
                public_values: vec![1, 2, 3],
                steps: 7,
            },
            seal: vec![9; 40],
        }
    }

    #[test]
    fn json_round_trip_is_the_hex_envelope() {
        let receipt = receipt();
        let text = serde_json::to_string(&receipt).expect("serializes");
        assert_eq!(text, format!("\"{}\"", hex::encode(receipt.to_bytes())));
        let back: Receipt = serde_json::from_str(&text).expect("deserializes");
        assert_eq!(back, receipt);
    }

    #[test]
    fn binary_round_trip_is_the_envelope() {
        let receipt = receipt();
        let bytes = postcard::to_allocvec(&receipt).expect("serializes");
        let back: Receipt = postcard::from_bytes(&bytes).expect("deserializes");
        assert_eq!(back, receipt);
    }

    #[test]
    fn a_flipped_byte_is_a_serde_error_naming_the_envelope() {
        let mut bytes = receipt().to_bytes();
        bytes[0] ^= 1;
        let text = format!("\"{}\"", hex::encode(bytes));
        let error = serde_json::from_str::<Receipt>(&text).expect_err("bad magic");
        assert!(error.to_string().contains("not an l2x receipt"), "{error}");
        let error = serde_json::from_str::<Receipt>("\"zz\"").expect_err("not hex");
        assert!(error.to_string().contains("receipt hex"), "{error}");
    }
}
