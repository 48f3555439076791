use super::*;

fn submit(body: &str) -> Result<Submit, RequestError> {
    Submit::from_json(body.as_bytes())
}

fn refused(body: &str) -> RequestError {
    submit(body).expect_err(body)
}

#[test]
fn a_job_and_a_batch_decode() {
    let one =
        submit(r#"{"program": "sha256", "input_hex": "0x6162", "backend": "stark"}"#).unwrap();
    assert_eq!(
        one,
        Submit::One(JobRequest {
            program: "sha256".into(),
            input: b"ab".to_vec(),
            backend: Some("stark".into())
        })
    );
    let batch = submit(r#"{"jobs": [{"program": "fibonacci", "input": "7"}]}"#).unwrap();
    assert_eq!(batch.jobs()[0].input, b"7");
    assert!(matches!(batch, Submit::Batch(_)));
}

#[test]
fn a_key_given_twice_is_refused_at_every_level() {
    for body in [
        r#"{"program": "fibonacci", "input": "7", "program": "sha256"}"#,
        r#"{"jobs": [], "jobs": [{"program": "sha256", "input": "a"}]}"#,
        r#"{"jobs": [{"program": "fibonacci", "program": "sha256", "input": "a"}]}"#,
    ] {
        let error = refused(body);
        assert!(error.message.contains("duplicate field"), "{body}: {error}");
    }
    let error = AggregateRequest::from_json(br#"{"jobs": [1], "jobs": [2]}"#).unwrap_err();
    assert!(error.message.contains("duplicate field"), "{error}");
}

#[test]
fn a_stray_field_beside_a_batch_is_refused() {
    let error = refused(r#"{"jobs": [{"program": "sha256", "input": "a"}], "program": "x"}"#);
    assert_eq!(error.field.as_deref(), Some("program"), "{error}");
    let error = refused(r#"{"program": "x", "jobs": [{"program": "sha256", "input": "a"}]}"#);
    assert_eq!(error.field.as_deref(), Some("program"), "{error}");
    let error = refused(r#"{"program": "x", "input": "1", "colour": 1}"#);
    assert!(error.message.contains("unknown field `colour`"), "{error}");
}

#[test]
fn a_batch_is_bounded_while_it_is_read() {
    let job = r#"{"program": "fibonacci", "input": "1"}"#;
    let at_limit = format!(r#"{{"jobs": [{}]}}"#, vec![job; MAX_BATCH].join(","));
    assert_eq!(submit(&at_limit).unwrap().jobs().len(), MAX_BATCH);
    let over = format!(r#"{{"jobs": [{}]}}"#, vec![job; MAX_BATCH + 1].join(","));
    let error = refused(&over);
    assert!(error.message.contains("more than 10000 jobs"), "{error}");
    assert!(refused(r#"{"jobs": []}"#).message.contains("between 1 and"));
}

#[test]
fn trailing_bytes_and_wrong_shapes_are_refused() {
    for body in [
        "{}",
        "[]",
        "5",
        r#"{"program": "a", "input": "1"} x"#,
        r#"{"jobs": 5}"#,
        "",
    ] {
        refused(body);
    }
    let error = refused(r#"{"jobs": [{"program": 5}]}"#);
    assert_eq!(error.field.as_deref(), Some("jobs[0].program"), "{error}");
    let error = refused(r#"{"jobs": [{"program": "a", "input": "1"}, {"program": "b"}]}"#);
    assert_eq!(error.field.as_deref(), Some("jobs[1].input"), "{error}");
}

#[test]
fn aggregate_ids_are_positive_and_distinct() {
    let ok = AggregateRequest::from_json(br#"{"jobs": [3, 1], "publish": true}"#).unwrap();
    assert_eq!((ok.jobs, ok.publish), (vec![3, 1], true));
    for (body, field) in [
        (r#"{"jobs": [1, -2]}"#, "jobs[1]"),
        (r#"{"jobs": [0]}"#, "jobs[0]"),
        (r#"{"jobs": [4, 5, 4]}"#, "jobs[2]"),
        (r#"{"jobs": []}"#, "jobs"),
    ] {
        let error = AggregateRequest::from_json(body.as_bytes()).unwrap_err();
        assert_eq!(error.field.as_deref(), Some(field), "{body}: {error}");
    }
    let many = format!(
        r#"{{"jobs": [{}]}}"#,
        (1..=MAX_BATCH + 1)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    assert!(AggregateRequest::from_json(many.as_bytes()).is_err());
}

#[test]
fn a_job_id_has_one_spelling() {
    assert_eq!(parse_job_id("1"), Ok(1));
    assert_eq!(parse_job_id("9223372036854775807"), Ok(i64::MAX));
    for raw in [
        "",
        "0",
        "01",
        "+1",
        "-1",
        " 1",
        "1 ",
        "1e3",
        "9223372036854775808",
        "١",
    ] {
        assert!(parse_job_id(raw).is_err(), "{raw:?}");
    }
}

#[test]
fn idempotency_keys_are_nonempty_and_members_have_their_own_namespace() {
    assert!(IdempotencyKey::parse(b"").is_err());
    assert!(IdempotencyKey::parse(&[b'k'; MAX_KEY_BYTES + 1]).is_err());
    assert!(IdempotencyKey::parse(b"caf\xc3\xa9").is_err());
    assert!(IdempotencyKey::parse(b"a\tb").is_err());
    assert!(IdempotencyKey::parse(b" a").is_err());
    let key = IdempotencyKey::parse(b"order 7").unwrap();
    let member = key.member(3);
    assert_ne!(member, "order 7/3");
    assert!(
        IdempotencyKey::parse(member.as_bytes()).is_err(),
        "no header names a member"
    );
    assert_eq!(
        IdempotencyKey::shown(&member),
        "\"order 7\" (batch member 3)"
    );
}

#[test]
fn what_is_encoded_decodes_to_the_same_request() {
    let batch = Submit::Batch(vec![
        JobRequest {
            program: "sha256".into(),
            input: vec![0xff, 0],
            backend: None,
        },
        JobRequest {
            program: "fibonacci".into(),
            input: b"9".to_vec(),
            backend: Some("stark".into()),
        },
    ]);
    assert_eq!(Submit::from_json(&batch.to_json()).unwrap(), batch);
    let aggregate = AggregateRequest {
        jobs: vec![2, 9],
        publish: false,
    };
    assert_eq!(
        AggregateRequest::from_json(&aggregate.to_json()).unwrap(),
        aggregate
    );
}
