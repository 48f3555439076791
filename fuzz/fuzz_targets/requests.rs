//! The service's request decoders never panic, and what they accept encodes back to a body that
//! decodes to the same request: submits (one job or a batch), aggregates, job ids and
//! idempotency keys.
#![no_main]

use l2x_api::{AggregateRequest, IdempotencyKey, Submit, parse_job_id};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(submit) = Submit::from_json(data) {
        let again = Submit::from_json(&submit.to_json()).expect("an encoded submit decodes");
        assert_eq!(again, submit);
    }
    if let Ok(request) = AggregateRequest::from_json(data) {
        let again =
            AggregateRequest::from_json(&request.to_json()).expect("an encoded aggregate decodes");
        assert_eq!(again, request);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(id) = parse_job_id(text) {
            assert_eq!(id.to_string(), text, "one spelling per id");
        }
    }
    if let Ok(key) = IdempotencyKey::parse(data) {
        assert_eq!(key.as_str().as_bytes(), data);
        assert!(IdempotencyKey::parse(key.member(0).as_bytes()).is_err());
    }
});
