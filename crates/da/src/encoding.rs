//! Bytes into blobs and back.
//!
//! Layout: a stream of `length (u64, little-endian) ‖ data ‖ zero padding` is cut into 31-byte
//! chunks; each chunk becomes one field element `0x00 ‖ chunk` (32 bytes, big-endian). The zero
//! top byte keeps every element below 2^248, far under the BLS12-381 scalar modulus, so every
//! element is canonical whatever the data. A blob holds 4096 elements, so 126,976 stream bytes;
//! the stream is padded with zeros to whole blobs, and empty data still takes one blob (for its
//! length). Decoding refuses anything this encoder would not produce (a non-zero top byte, a
//! length beyond the blobs, non-zero padding), so every batch has exactly one encoding.

use c_kzg::{BYTES_PER_BLOB, BYTES_PER_FIELD_ELEMENT, Blob, FIELD_ELEMENTS_PER_BLOB};

use crate::DaError;

/// Payload bytes per field element.
pub const BYTES_PER_CHUNK: usize = BYTES_PER_FIELD_ELEMENT - 1;

/// Payload bytes per blob (the length header included).
pub const BLOB_CAPACITY: usize = FIELD_ELEMENTS_PER_BLOB * BYTES_PER_CHUNK;

/// Bytes of the length header at the start of the stream.
const HEADER: usize = 8;

/// The most blobs one blob file holds (8 MiB): every l2x command reads and writes blob files up
/// to this size and refuses larger ones, so whatever one command writes the others read.
pub const MAX_BLOBS_PER_FILE: usize = 64;

/// The most data bytes that fit in [`MAX_BLOBS_PER_FILE`] blobs.
pub const MAX_DATA_BYTES: usize = MAX_BLOBS_PER_FILE * BLOB_CAPACITY - HEADER;

/// The BLS12-381 scalar field modulus, big-endian: a field element must be below it.
pub const MODULUS: [u8; 32] = [
    0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8, 0x05,
    0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
];

/// Blobs needed for `len` bytes of data.
pub fn blobs_needed(len: usize) -> usize {
    (HEADER + len).div_ceil(BLOB_CAPACITY)
}

/// Encodes `data` into as many blobs as it needs (at least one).
pub fn encode(data: &[u8]) -> Vec<Blob> {
    let mut stream = Vec::with_capacity(blobs_needed(data.len()) * BLOB_CAPACITY);
    stream.extend_from_slice(&(data.len() as u64).to_le_bytes());
    stream.extend_from_slice(data);
    stream.resize(blobs_needed(data.len()) * BLOB_CAPACITY, 0);
    stream
        .chunks(BLOB_CAPACITY)
        .map(|payload| {
            let mut bytes = vec![0u8; BYTES_PER_BLOB];
            for (element, chunk) in bytes
                .chunks_mut(BYTES_PER_FIELD_ELEMENT)
                .zip(payload.chunks(BYTES_PER_CHUNK))
            {
                element[1..].copy_from_slice(chunk);
            }
            Blob::from_bytes(&bytes).expect("a blob-sized buffer")
        })
        .collect()
}

/// Decodes blobs made by [`encode`].
pub fn decode(blobs: &[Blob]) -> Result<Vec<u8>, DaError> {
    if blobs.is_empty() {
        return Err(DaError::NoBlobs);
    }
    let mut stream = Vec::with_capacity(blobs.len() * BLOB_CAPACITY);
    for (index, blob) in blobs.iter().enumerate() {
        for (element, bytes) in blob.chunks(BYTES_PER_FIELD_ELEMENT).enumerate() {
            if bytes[0] != 0 {
                return Err(DaError::NotOurEncoding {
                    blob: index,
                    reason: format!("field element {element} has a non-zero top byte"),
                });
            }
            stream.extend_from_slice(&bytes[1..]);
        }
    }
    let mut header = [0u8; HEADER];
    header.copy_from_slice(&stream[..HEADER]);
    let len = u64::from_le_bytes(header);
    let fits = (stream.len() - HEADER) as u64;
    if len > fits || blobs_needed(len as usize) != blobs.len() {
        return Err(DaError::NotOurEncoding {
            blob: 0,
            reason: format!(
                "the header says {len} bytes, but {} blobs are given",
                blobs.len()
            ),
        });
    }
    let end = HEADER + len as usize;
    if let Some(offset) = stream[end..].iter().position(|&b| b != 0) {
        return Err(DaError::NotOurEncoding {
            blob: (end + offset) / BLOB_CAPACITY,
            reason: "non-zero bytes after the data".into(),
        });
    }
    stream.truncate(end);
    stream.drain(..HEADER);
    Ok(stream)
}

/// Checks that every field element of `blob` is canonical (below the modulus), naming the first
/// that is not: c-kzg would refuse it without saying where.
pub fn check_canonical(blob: &Blob, index: usize) -> Result<(), DaError> {
    match blob
        .chunks(BYTES_PER_FIELD_ELEMENT)
        .position(|e| e >= &MODULUS[..])
    {
        None => Ok(()),
        Some(element) => Err(DaError::NonCanonical {
            blob: index,
            element,
        }),
    }
}

/// The blob file form of blobs: their bytes, one after another.
pub fn blobs_to_bytes(blobs: &[Blob]) -> Vec<u8> {
    blobs
        .iter()
        .flat_map(|b| b.as_slice().iter().copied())
        .collect()
}

/// Splits raw bytes into blobs of exactly 131,072 bytes each.
pub fn blobs_from_bytes(bytes: &[u8]) -> Result<Vec<Blob>, DaError> {
    if bytes.is_empty() || !bytes.len().is_multiple_of(BYTES_PER_BLOB) {
        return Err(DaError::BlobSize { len: bytes.len() });
    }
    bytes
        .chunks(BYTES_PER_BLOB)
        .map(|b| Blob::from_bytes(b).map_err(|_| DaError::BlobSize { len: bytes.len() }))
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn round_trip(len: usize) {
        let data: Vec<u8> = (0..len).map(|i| (i * 131 + 7) as u8).collect();
        let blobs = encode(&data);
        assert_eq!(blobs.len(), blobs_needed(len).max(1));
        for (i, blob) in blobs.iter().enumerate() {
            check_canonical(blob, i).unwrap();
        }
        assert_eq!(decode(&blobs).unwrap(), data, "length {len}");
    }

    #[test]
    fn round_trips_at_the_edges() {
        let first = BLOB_CAPACITY - HEADER;
        for len in [
            0,
            1,
            30,
            31,
            32,
            first - 1,
            first,
            first + 1,
            first + BLOB_CAPACITY,
            first + BLOB_CAPACITY + 1,
        ] {
            round_trip(len);
        }
        assert_eq!(encode(&[]).len(), 1);
        assert_eq!(encode(&vec![1; first]).len(), 1);
        assert_eq!(encode(&vec![1; first + 1]).len(), 2);
    }

    #[test]
    fn decoding_refuses_what_encoding_never_makes() {
        let blobs = encode(b"hello");
        let mut bytes = blobs[0].to_vec();
        bytes[32 * 5] = 1;
        assert!(matches!(
            decode(&[Blob::from_bytes(&bytes).unwrap()]),
            Err(DaError::NotOurEncoding { .. })
        ));
        let mut bytes = blobs[0].to_vec();
        bytes[32 * 100 + 7] = 9;
        assert!(matches!(
            decode(&[Blob::from_bytes(&bytes).unwrap()]),
            Err(DaError::NotOurEncoding { .. })
        ));
        let mut bytes = blobs[0].to_vec();
        bytes[8] = 0xff; // the length header's top byte: far beyond one blob
        assert!(matches!(
            decode(&[Blob::from_bytes(&bytes).unwrap()]),
            Err(DaError::NotOurEncoding { .. })
        ));
        assert!(matches!(decode(&[]), Err(DaError::NoBlobs)));
    }

    #[test]
    fn canonical_check_names_the_element() {
        let mut bytes = vec![0u8; BYTES_PER_BLOB];
        bytes[32 * 7..32 * 8].copy_from_slice(&MODULUS);
        let blob = Blob::from_bytes(&bytes).unwrap();
        assert!(matches!(
            check_canonical(&blob, 3),
            Err(DaError::NonCanonical {
                blob: 3,
                element: 7
            })
        ));
        let mut below = MODULUS;
        below[31] = 0;
        bytes[32 * 7..32 * 8].copy_from_slice(&below);
        check_canonical(&Blob::from_bytes(&bytes).unwrap(), 0).unwrap();
    }

    #[test]
    fn blob_files_must_be_whole_blobs() {
        assert!(matches!(
            blobs_from_bytes(&[]),
            Err(DaError::BlobSize { len: 0 })
        ));
        assert!(matches!(
            blobs_from_bytes(&vec![0; BYTES_PER_BLOB + 1]),
            Err(DaError::BlobSize { .. })
        ));
        assert_eq!(
            blobs_from_bytes(&vec![0; 2 * BYTES_PER_BLOB])
                .unwrap()
                .len(),
            2
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_data_round_trips_through_canonical_blobs(data in proptest::collection::vec(any::<u8>(), 0..300_000)) {
            let blobs = encode(&data);
            for (i, blob) in blobs.iter().enumerate() {
                prop_assert!(check_canonical(blob, i).is_ok());
            }
            prop_assert_eq!(decode(&blobs).unwrap(), data);
        }
    }
}
