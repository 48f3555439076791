//! `Receipt::from_bytes` never panics, and whatever it accepts re-encodes to the same bytes.
#![no_main]

use l2x_core::Receipt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(receipt) = Receipt::from_bytes(data) {
        assert_eq!(
            receipt.to_bytes(),
            data,
            "an accepted receipt re-encodes to its bytes"
        );
    }
});
