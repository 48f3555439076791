//! Evaluating an AIR on some of a table's columns: how a table reuses an existing AIR (such as
//! `p3-poseidon2-air`'s) and adds columns of its own beside it (multiplicities, flags).

use std::ops::Range;

use p3_air::{AirBuilder, WindowAccess};

/// The rows of a window restricted to a range of columns.
#[derive(Clone)]
pub struct ColumnWindow<W> {
    inner: W,
    columns: Range<usize>,
}

impl<T, W: WindowAccess<T>> WindowAccess<T> for ColumnWindow<W> {
    fn current_slice(&self) -> &[T] {
        &self.inner.current_slice()[self.columns.clone()]
    }

    fn next_slice(&self) -> &[T] {
        &self.inner.next_slice()[self.columns.clone()]
    }
}

/// A builder that shows an AIR only `columns` of the main trace, and passes everything else
/// (constraints, row selectors, public values) through to the builder beneath.
///
/// ```ignore
/// // A table: the Poseidon2 AIR on its first columns, a multiplicity column after them.
/// self.poseidon2.eval(&mut SubBuilder::new(builder, 0..POSEIDON2_WIDTH));
/// ```
pub struct SubBuilder<'a, AB> {
    inner: &'a mut AB,
    columns: Range<usize>,
}

impl<'a, AB: AirBuilder> SubBuilder<'a, AB> {
    /// A builder over `columns` of `inner`'s main trace.
    pub fn new(inner: &'a mut AB, columns: Range<usize>) -> Self {
        Self { inner, columns }
    }
}

impl<AB: AirBuilder> AirBuilder for SubBuilder<'_, AB> {
    type F = AB::F;
    type Expr = AB::Expr;
    type Var = AB::Var;
    type PreprocessedWindow = AB::PreprocessedWindow;
    type MainWindow = ColumnWindow<AB::MainWindow>;
    type PublicVar = AB::PublicVar;
    type PeriodicVar = AB::PeriodicVar;

    fn main(&self) -> Self::MainWindow {
        ColumnWindow {
            inner: self.inner.main(),
            columns: self.columns.clone(),
        }
    }

    fn preprocessed(&self) -> &Self::PreprocessedWindow {
        self.inner.preprocessed()
    }

    fn is_first_row(&self) -> Self::Expr {
        self.inner.is_first_row()
    }

    fn is_last_row(&self) -> Self::Expr {
        self.inner.is_last_row()
    }

    fn is_transition(&self) -> Self::Expr {
        self.inner.is_transition()
    }

    fn assert_zero<I: Into<Self::Expr>>(&mut self, x: I) {
        self.inner.assert_zero(x);
    }

    fn public_values(&self) -> &[Self::PublicVar] {
        self.inner.public_values()
    }

    fn periodic_values(&self) -> &[Self::PeriodicVar] {
        self.inner.periodic_values()
    }
}
