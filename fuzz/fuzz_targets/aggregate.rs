//! The aggregate decoder (the in-place view, and the owning decoder on top of it) never panics,
//! agrees with itself, and whatever it accepts re-encodes to the same bytes.
#![no_main]

use l2x_executor::{Aggregate, AggregateView};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(view) = AggregateView::parse(data) else {
        assert!(
            Aggregate::from_bytes(data).is_err(),
            "the view refuses what the decoder refuses"
        );
        return;
    };
    let _ = view.root_matches();
    if let Ok(aggregate) = Aggregate::from_bytes(data) {
        assert_eq!(aggregate.receipts.len(), view.len());
        assert_eq!(
            aggregate.to_bytes(),
            data,
            "an accepted aggregate re-encodes to its bytes"
        );
    }
});
