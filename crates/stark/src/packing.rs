//! How densely each table's LogUp fractions are packed into its auxiliary columns.
//!
//! Plonky3 folds fractions on one bus into one auxiliary column while the column's constraint
//! stays within the table's *free* degree budget: the degree that needs no more quotient chunks
//! than the table's own constraints. A table whose constraints are of degree 2 thus gets one
//! column per lookup (a pair of fractions is a degree-3 constraint). Each auxiliary column is
//! four field elements opened by every FRI query, and a quotient chunk is four too, so for a
//! table with many lookups on one bus (the transfer table's 31 range checks) one more chunk buys
//! a dozen fewer columns: a smaller proof for a little more quotient work on that table only.
//!
//! [`lookup_budgets`] makes that choice per table, the same for the prover and the verifier
//! (it depends on the AIR and the configuration alone): raise the budget to degree 3 when that
//! saves more columns than the extra quotient chunks cost, else leave Plonky3's budget.

use l2x_air::config::Challenge;
use l2x_air::{ProgramAir, Val};
use p3_lookup::{LogUpGadget, Lookups};

/// The raised fraction-pin degree: two degree-1 fractions a column.
const RAISED: usize = 3;
/// The free degree of a table whose constraints are of degree 2 or less.
const FREE: usize = 2;

/// The lookup-budget floor of each table: [`RAISED`] where it pays, 0 (Plonky3's free budget)
/// elsewhere. `zk` is 1 in the hiding configuration, which keeps Plonky3's budgets: its
/// quotient is counted one degree higher, so a raised budget would need more chunks than its
/// blowup of 4 allows.
pub(crate) fn lookup_budgets(airs: &[ProgramAir], zk: usize) -> Vec<usize> {
    airs.iter()
        .map(|air| if zk == 0 { lookup_budget(air) } else { 0 })
        .collect()
}

/// [`RAISED`] if packing `air`'s lookups at degree 3 saves more than one column (the quotient
/// chunk it adds), else 0.
fn lookup_budget(air: &ProgramAir) -> usize {
    let gadget = LogUpGadget::new();
    let unpacked = Lookups::<Val>::from_air::<Challenge, _>(air);
    let columns = |budget| unpacked.clone().pack_same_bus(&gadget, budget).len();
    let saved = columns(FREE).saturating_sub(columns(RAISED));
    if saved > 1 { RAISED } else { 0 }
}
