//! Proving: a program's witness traces into a batch STARK proof.

use l2x_air::{AirProgram, Table, Val};
use l2x_core::{Claim, ProgramId, ProveError, Receipt};
use p3_matrix::Matrix;
use p3_matrix::dense::RowMajorMatrix;

use crate::Mode;
use crate::config::{config, config_zk};
use crate::security::{Grinding, MIN_BITS};
use crate::system::ProofSystem;

fn failed(mode: Mode, reason: impl Into<String>) -> ProveError {
    ProveError::Prover {
        backend: mode.backend_id(),
        reason: reason.into(),
    }
}

/// Executes `program` on `input`, proves the run (plain configuration) and returns the receipt.
pub fn prove(program: &dyn AirProgram, input: &[u8]) -> Result<Receipt, ProveError> {
    prove_in(Mode::Plain, program, input)
}

/// [`prove`] in either configuration.
pub fn prove_in(mode: Mode, program: &dyn AirProgram, input: &[u8]) -> Result<Receipt, ProveError> {
    let _span = tracing::info_span!("prove", program = %program.id(), backend = %mode.backend_id())
        .entered();
    let witness =
        tracing::info_span!("witness").in_scope(|| program.witness(input, mode.min_log_rows()))?;
    let tables = program
        .tables(&witness.execution.public_values, mode.min_log_rows())
        .map_err(|e| {
            failed(
                mode,
                format!("the program's own claim is not provable: {e}"),
            )
        })?;
    let id = program.id();
    let seal = prove_tables_in(mode, &id, &tables, &witness.traces)?;
    let claim = Claim {
        program: id,
        public_values: witness.execution.public_values,
        steps: witness.execution.steps,
    };
    Ok(Receipt {
        backend: mode.backend_id(),
        claim,
        seal,
    })
}

/// Proves that `traces` satisfy `tables` of `program` (plain configuration) and returns the
/// encoded proof (a receipt's seal).
///
/// This is the layer below [`prove`], public so that tests can prove deliberately wrong
/// witnesses and check that verification rejects the result.
pub fn prove_tables(
    program: &ProgramId,
    tables: &[Table],
    traces: &[RowMajorMatrix<Val>],
) -> Result<Vec<u8>, ProveError> {
    prove_tables_in(Mode::Plain, program, tables, traces)
}

/// [`prove_tables`] in either configuration.
pub fn prove_tables_in(
    mode: Mode,
    program: &ProgramId,
    tables: &[Table],
    traces: &[RowMajorMatrix<Val>],
) -> Result<Vec<u8>, ProveError> {
    if tables.len() != traces.len() {
        return Err(failed(
            mode,
            format!("{} tables but {} traces", tables.len(), traces.len()),
        ));
    }
    for (i, (table, trace)) in tables.iter().zip(traces).enumerate() {
        if trace.height() != 1 << table.log_height {
            let (rows, log) = (trace.height(), table.log_height);
            return Err(failed(
                mode,
                format!("trace {i} has {rows} rows, its table needs 2^{log}"),
            ));
        }
    }
    let security = mode.security(tables).map_err(|e| failed(mode, e))?;
    if security.bits < MIN_BITS {
        return Err(failed(
            mode,
            format!(
                "this proof would have {:.1} bits of conjectured security ({} binds), below the \
                 {MIN_BITS}-bit floor",
                security.bits, security.binding
            ),
        ));
    }
    prove_tables_with(mode, program, tables, traces, security.grinding)
}

/// Proves with the given `grinding` instead of the one the tables' shape calls for: a proof
/// the verifier accepts only if `grinding` is exactly [`Grinding::for_shape`]'s. Public for
/// measuring what grinding costs (`cargo bench -p l2x-stark --bench grinding`).
pub fn prove_tables_with(
    mode: Mode,
    program: &ProgramId,
    tables: &[Table],
    traces: &[RowMajorMatrix<Val>],
    grinding: Grinding,
) -> Result<Vec<u8>, ProveError> {
    let statement = mode
        .statement(program, tables)
        .map_err(|e| failed(mode, e))?;
    let proof = match mode {
        Mode::Plain => config(grinding, &statement).prove(tables, traces),
        Mode::Hiding => config_zk(grinding, &statement).prove(tables, traces),
    };
    let proof = proof.map_err(|reason| failed(mode, reason))?;
    Ok([statement.as_slice(), &proof].concat())
}
