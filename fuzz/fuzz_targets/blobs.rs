//! A blob file: splitting into blobs and decoding the data never panic, and data that decodes
//! encodes back to exactly the same blobs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(blobs) = l2x_da::blobs_from_bytes(data) else {
        return;
    };
    assert_eq!(l2x_da::blobs_to_bytes(&blobs), data);
    if let Ok(decoded) = l2x_da::decode(&blobs) {
        let again = l2x_da::blobs_to_bytes(&l2x_da::encode(&decoded));
        assert_eq!(
            again, data,
            "decodable blobs are the one encoding of their data"
        );
    }
});
