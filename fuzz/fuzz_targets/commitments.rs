//! The commitments file parser never panics, and what it accepts writes back to a canonical form
//! that parses to the same content and writes back to the same bytes.
#![no_main]

use l2x_da::CommitmentsFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = CommitmentsFile::from_json(data) {
        let canonical = file.to_json();
        let again =
            CommitmentsFile::from_json(canonical.as_bytes()).expect("canonical form parses");
        assert_eq!(again, file);
        assert_eq!(again.to_json(), canonical);
    }
});
