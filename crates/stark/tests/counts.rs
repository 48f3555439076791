//! Every lookup count of every table of every registered program is bounded by a constraint on
//! its own columns (`l2x_air::forge`): each count forged to the unit of the wrong sign and to
//! ±(bound + 1) on the first, second, middle and last rows is rejected. A program added to the standard registry
//! without a sample input here fails `every_registered_program_is_forged`, so a new table cannot
//! skip the check.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use l2x_air::forge::{self, count_sites};
use l2x_air::{AirProgram, Val};
use l2x_programs::Registry;
use l2x_programs::merkle::Path;
use l2x_programs::signatures::{self, Statement};
use l2x_programs::transfers::fixture::Wallet;
use l2x_sig::{ActiveRange, SecretKey, Seed, message_of_u16};
use p3_field::PrimeCharacteristicRing;

/// A small honest input per program.
fn sample(program: &str) -> Vec<u8> {
    match program {
        "fibonacci" => b"90".to_vec(),
        "sha256" => b"abc".to_vec(),
        "poseidon2" => vec![7; 100],
        "merkle" => Path {
            leaf: [Val::ONE; 8],
            index: 5,
            siblings: (0..6u32).map(|l| [Val::from_u32(l + 2); 8]).collect(),
        }
        .to_bytes(),
        "transfers" => Wallet::genesis(5, 3).random_block(3, 4).unwrap().to_bytes(),
        "signatures" => {
            let key =
                SecretKey::generate(&Seed::from_bytes([4; 32]), ActiveRange::new(0, 2).unwrap());
            let statements: Vec<Statement> = (0..2)
                .map(|epoch| {
                    let message = message_of_u16([epoch as u16, 9]);
                    Statement {
                        key: key.public_key(),
                        epoch,
                        message,
                        signature: key.sign(epoch, &message).unwrap(),
                    }
                })
                .collect();
            signatures::input_bytes(&statements)
        }
        other => panic!(
            "register a sample input for program '{other}' in {}",
            file!()
        ),
    }
}

/// Forges every count of `program`'s tables; returns the count sites found per table.
fn forge_all(program: &dyn AirProgram, input: &[u8]) -> Vec<usize> {
    let witness = program.witness(input, 0).unwrap();
    let tables = program.tables(&witness.execution.public_values, 0).unwrap();
    assert_eq!(tables.len(), witness.traces.len());
    tables
        .iter()
        .zip(&witness.traces)
        .map(|(table, trace)| match forge::forge_counts(table, trace) {
            Ok(report) => {
                assert!(report.forged >= 3 * report.sites, "{report:?}");
                report.sites
            }
            Err(e) => panic!("{}: {e}", program.id()),
        })
        .collect()
}

#[test]
fn every_registered_program_is_forged() {
    let registry = Registry::standard();
    let mut found = Vec::new();
    for program in registry.air_programs() {
        let id = program.id().to_string();
        found.push((id.clone(), forge_all(&*program, &sample(&id))));
    }
    // The tables with variable counts are the ones expected (a table whose counts silently
    // disappeared from the symbolic view would make the check vacuous).
    let sites = |name: &str| found.iter().find(|(id, _)| id == name).unwrap().1.clone();
    assert_eq!(sites("fibonacci"), vec![0, 0], "constant counts only");
    assert_eq!(sites("sha256"), vec![0], "no lookups");
    assert_eq!(
        sites("poseidon2"),
        vec![1, 0, 0],
        "the output row's padding lookup"
    );
    assert_eq!(sites("merkle"), vec![1, 0], "the path's compression lookup");
    assert_eq!(
        sites("transfers"),
        vec![10 + 31, 5, 5, 2 + 1 + 1, 2 * 7 + 1 + 2, 1, 0, 0],
        "the transfer row's root, four records, transfer or rotation signature, three commitment \
         blocks and 31 range checks; an account's two records, two leaves and its node; a node's two compressions, \
         two children and itself; then the signature verification's tables; the range table \
         provides"
    );
    assert_eq!(
        sites("signatures"),
        vec![2 + 1 + 1, 2 * 7 + 1 + 2, 1, 4, 0],
        "a verification: two compressions, the leaf, a path; a sponge call: two chains of 7 \
         steps, its compression, the state it consumes and the one it supplies; a level: 1; a \
         statement: 4"
    );
}

#[test]
fn the_forgery_finds_an_unbounded_count() {
    // The check itself can fail: a table whose count column is not constrained (as the
    // transfer table's ACTIVE was) is reported, naming the count.
    let table = l2x_air::Table {
        air: l2x_air::ProgramAir::new(unbounded::Unbounded),
        log_height: 3,
        public_values: vec![],
    };
    let trace = p3_matrix::dense::RowMajorMatrix::new(vec![Val::ONE; 16], 2);
    assert_eq!(count_sites(&table).len(), 1);
    let err = forge::forge_counts(&table, &trace).unwrap_err();
    assert!(err.contains("passes every constraint"), "{err}");
}

mod unbounded {
    //! The one place outside `l2x_air::count` that builds a raw `p3_lookup` count: the shape of
    //! the bug, which the helpers refuse to express (the source scan allows this file alone).
    use l2x_air::Val;
    use p3_air::{Air, BaseAir, WindowAccess};
    use p3_lookup::{Count, InteractionBuilder, LookupBus};

    /// A table that counts a lookup by a column it never constrains.
    #[derive(Debug)]
    pub struct Unbounded;

    impl BaseAir<Val> for Unbounded {
        fn width(&self) -> usize {
            2
        }
    }

    impl<AB: InteractionBuilder<F = Val>> Air<AB> for Unbounded {
        fn eval(&self, builder: &mut AB) {
            let main = builder.main();
            let local = main.current_slice();
            // A bit check on column 1 guards another column than the count's.
            builder.assert_bool(local[1]);
            let count = Count::bounded(local[0].into(), 1);
            LookupBus::new("t").lookup_key(builder, [local[1]], count);
        }
    }
}
