//! Proving: a program's witness traces into a batch STARK proof.

use l2x_core::{BackendId, Claim, ProveError, Receipt};
use l2x_programs::air::{AirProgram, Table, Val};
use p3_batch_stark::{ProverData, StarkInstance, prove_batch};
use p3_matrix::Matrix;
use p3_matrix::dense::RowMajorMatrix;

use crate::config::config;

fn failed(reason: impl Into<String>) -> ProveError {
    ProveError::Prover {
        backend: BackendId::Stark,
        reason: reason.into(),
    }
}

/// Executes `program` on `input`, proves the run and returns the receipt.
pub fn prove(program: &dyn AirProgram, input: &[u8]) -> Result<Receipt, ProveError> {
    let witness = program.witness(input)?;
    let tables = program
        .tables(&witness.execution.public_values)
        .map_err(|e| failed(format!("the program's own claim is not provable: {e}")))?;
    let seal = prove_tables(&tables, &witness.traces)?;
    let claim = Claim {
        program: program.id(),
        public_values: witness.execution.public_values,
        steps: witness.execution.steps,
    };
    Ok(Receipt {
        backend: BackendId::Stark,
        claim,
        seal,
    })
}

/// Proves that `traces` satisfy `tables` and returns the encoded proof (a receipt's seal).
///
/// This is the layer below [`prove`], public so that tests can prove deliberately wrong
/// witnesses and check that verification rejects the result.
pub fn prove_tables(
    tables: &[Table],
    traces: &[RowMajorMatrix<Val>],
) -> Result<Vec<u8>, ProveError> {
    if tables.len() != traces.len() {
        return Err(failed(format!(
            "{} tables but {} traces",
            tables.len(),
            traces.len()
        )));
    }
    for (i, (table, trace)) in tables.iter().zip(traces).enumerate() {
        if trace.height() != 1 << table.log_height {
            return Err(failed(format!(
                "trace {i} has {} rows, its table needs 2^{}",
                trace.height(),
                table.log_height
            )));
        }
    }
    let config = config();
    let instances: Vec<StarkInstance<'_, _, _>> = tables
        .iter()
        .zip(traces)
        .map(|(table, trace)| StarkInstance {
            air: &table.air,
            trace,
            public_values: table.public_values.clone(),
        })
        .collect();
    let data =
        ProverData::from_instances(&config, &instances).map_err(|e| failed(format!("{e:?}")))?;
    let proof = prove_batch(&config, &instances, &data).map_err(|e| failed(format!("{e:?}")))?;
    postcard::to_allocvec(&proof).map_err(|e| failed(format!("encoding the proof: {e}")))
}
