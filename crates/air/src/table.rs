//! An object-safe table: any crate's AIR, behind one type the prover and verifier can batch.
//!
//! `p3-batch-stark` proves all tables of a proof as one AIR *type*, evaluated by six concrete
//! builders (the symbolic one that reads the constraints' shape, the prover's and verifier's
//! constraint folders of each configuration, and the row-by-row checker of debug builds). [`TableAir`] has one method per builder and a
//! blanket implementation for every AIR written generically (`impl<AB: InteractionBuilder>
//! Air<AB>`), so a program outside this workspace never implements it by hand; [`ProgramAir`]
//! wraps any of them in an `Arc<dyn TableAir>` and is that one type.

use std::borrow::Cow;
use std::fmt::Debug;
use std::sync::Arc;

use p3_air::{Air, BaseAir, BoundaryPublic, DebugConstraintBuilder};
use p3_batch_stark::folder::{
    ProverConstraintFolderWithLookups, VerifierConstraintFolderWithLookups,
};
use p3_lookup::InteractionSymbolicBuilder;
use p3_matrix::dense::RowMajorMatrix;

use crate::config::{Challenge, Config, Val, ZkConfig};

/// The builder that evaluates a table symbolically (constraint count and degree, lookups).
pub type SymbolicBuilder = InteractionSymbolicBuilder<Val, Challenge>;
/// The prover's constraint folder in the plain configuration.
pub type ProverFolder<'a> = ProverConstraintFolderWithLookups<'a, Config>;
/// The prover's constraint folder in the hiding configuration.
pub type ProverFolderZk<'a> = ProverConstraintFolderWithLookups<'a, ZkConfig>;
/// The verifier's constraint folder in the plain configuration.
pub type VerifierFolder<'a> = VerifierConstraintFolderWithLookups<'a, Config>;
/// The verifier's constraint folder in the hiding configuration.
pub type VerifierFolderZk<'a> = VerifierConstraintFolderWithLookups<'a, ZkConfig>;
/// The row-by-row checker `p3-batch-stark`'s prover runs first when it is compiled with debug
/// assertions (as fuzzing builds are).
pub type DebugBuilder<'a> = DebugConstraintBuilder<'a, Val, Challenge>;

/// A table's constraints, evaluable by every builder the STARK backend uses.
///
/// Implemented for every `A: BaseAir<Val> + Air<AB>` for those builders, which an AIR written
/// as `impl<AB: InteractionBuilder<F = Val>> Air<AB> for MyAir` is. `Debug` names the table in
/// messages and keys per-shape caches, so it must tell two different tables apart.
pub trait TableAir: BaseAir<Val> + Debug + Send + Sync + 'static {
    /// Evaluates the constraints symbolically.
    fn eval_symbolic(&self, builder: &mut SymbolicBuilder);
    /// Evaluates the constraints on the prover's side, plain configuration.
    fn eval_prover(&self, builder: &mut ProverFolder<'_>);
    /// Evaluates the constraints on the prover's side, hiding configuration.
    fn eval_prover_zk(&self, builder: &mut ProverFolderZk<'_>);
    /// Evaluates the constraints on the verifier's side, plain configuration.
    fn eval_verifier(&self, builder: &mut VerifierFolder<'_>);
    /// Evaluates the constraints on the verifier's side, hiding configuration.
    fn eval_verifier_zk(&self, builder: &mut VerifierFolderZk<'_>);
    /// Checks the constraints row by row (debug-assertion builds of the prover).
    fn eval_debug(&self, builder: &mut DebugBuilder<'_>);
}

impl<A> TableAir for A
where
    A: BaseAir<Val> + Debug + Send + Sync + 'static,
    A: Air<SymbolicBuilder>,
    A: for<'a> Air<ProverFolder<'a>> + for<'a> Air<ProverFolderZk<'a>>,
    A: for<'a> Air<VerifierFolder<'a>> + for<'a> Air<VerifierFolderZk<'a>>,
    A: for<'a> Air<DebugBuilder<'a>>,
{
    fn eval_symbolic(&self, builder: &mut SymbolicBuilder) {
        self.eval(builder);
    }
    fn eval_prover(&self, builder: &mut ProverFolder<'_>) {
        self.eval(builder);
    }
    fn eval_prover_zk(&self, builder: &mut ProverFolderZk<'_>) {
        self.eval(builder);
    }
    fn eval_verifier(&self, builder: &mut VerifierFolder<'_>) {
        self.eval(builder);
    }
    fn eval_verifier_zk(&self, builder: &mut VerifierFolderZk<'_>) {
        self.eval(builder);
    }
    fn eval_debug(&self, builder: &mut DebugBuilder<'_>) {
        self.eval(builder);
    }
}

/// Any table, as the one AIR type a batch proof needs. Cloning shares the table.
#[derive(Clone)]
pub struct ProgramAir(Arc<dyn TableAir>);

impl ProgramAir {
    /// Wraps a table.
    pub fn new(air: impl TableAir) -> Self {
        Self(Arc::new(air))
    }

    /// The wrapped table.
    pub fn inner(&self) -> &dyn TableAir {
        &*self.0
    }

    /// The interactions (LogUp lookups and table entries on a bus, and lookups within the
    /// table) the table declares per row, each of which becomes auxiliary columns in the proof.
    pub fn lookups_per_row(&self) -> usize {
        let layout = p3_air::symbolic::AirLayout::from_air::<Val>(self);
        let symbolic = SymbolicBuilder::from_air(self, layout);
        symbolic.global_interactions().len() + symbolic.local_interactions().len()
    }
}

impl Debug for ProgramAir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl BaseAir<Val> for ProgramAir {
    fn width(&self) -> usize {
        self.0.width()
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        self.0.preprocessed_trace()
    }
    fn preprocessed_width(&self) -> usize {
        self.0.preprocessed_width()
    }
    fn num_periodic_columns(&self) -> usize {
        self.0.num_periodic_columns()
    }
    fn periodic_columns(&self) -> Cow<'_, [Vec<Val>]> {
        self.0.periodic_columns()
    }
    fn periodic_values(&self, row_index: usize) -> Vec<Val> {
        self.0.periodic_values(row_index)
    }
    fn periodic_columns_matrix(&self) -> Option<RowMajorMatrix<Val>> {
        self.0.periodic_columns_matrix()
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        self.0.main_next_row_columns()
    }
    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        self.0.preprocessed_next_row_columns()
    }
    fn num_constraints(&self) -> Option<usize> {
        self.0.num_constraints()
    }
    fn max_constraint_degree(&self) -> Option<usize> {
        self.0.max_constraint_degree()
    }
    fn num_public_values(&self) -> usize {
        self.0.num_public_values()
    }
    fn public_boundary_io(&self) -> &[BoundaryPublic] {
        self.0.public_boundary_io()
    }
    fn assumes_boolean_trace(&self) -> bool {
        self.0.assumes_boolean_trace()
    }
}

impl Air<SymbolicBuilder> for ProgramAir {
    fn eval(&self, builder: &mut SymbolicBuilder) {
        self.0.eval_symbolic(builder);
    }
}

impl<'a> Air<ProverFolder<'a>> for ProgramAir {
    fn eval(&self, builder: &mut ProverFolder<'a>) {
        self.0.eval_prover(builder);
    }
}

impl<'a> Air<ProverFolderZk<'a>> for ProgramAir {
    fn eval(&self, builder: &mut ProverFolderZk<'a>) {
        self.0.eval_prover_zk(builder);
    }
}

impl<'a> Air<VerifierFolder<'a>> for ProgramAir {
    fn eval(&self, builder: &mut VerifierFolder<'a>) {
        self.0.eval_verifier(builder);
    }
}

impl<'a> Air<VerifierFolderZk<'a>> for ProgramAir {
    fn eval(&self, builder: &mut VerifierFolderZk<'a>) {
        self.0.eval_verifier_zk(builder);
    }
}

impl<'a> Air<DebugBuilder<'a>> for ProgramAir {
    fn eval(&self, builder: &mut DebugBuilder<'a>) {
        self.0.eval_debug(builder);
    }
}
