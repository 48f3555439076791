//! The count forgery: for any program's tables and an honest witness, every query-side lookup
//! count is set, on chosen rows, to the unit of the wrong sign (−1 for a lookup, +1 for a
//! supplied entry: `l2x_air::count::Bit::supplied`), to its bound + 1 and to −(bound + 1) in
//! its own sign (p − 2 is −2), and some constraint that reads *only that count's columns* must
//! then fail on that row.
//!
//! Why that is the right check: a LogUp argument only balances; a count the AIR does not bound
//! lets rows of opposite sign cancel each other's lookups, whatever the other columns say (an
//! audit forged `transfers` blocks so). A constraint that reads nothing but the count's own
//! columns cannot be satisfied by anything an attacker does to the rest of the row or to the
//! other tables, so its failure rules the forged value out for every witness, not only for this
//! one; and a witness that fails only because the bus no longer balances would prove nothing,
//! since an attacker balances it. The tables' own forged-witness tests then show whole attacks
//! rejected end to end.
//!
//! Counts are found by evaluating the table symbolically (every interaction with a non-zero
//! declared bound that reads a main column), so a table registered in a program gets the check
//! without naming its columns. Provided-side multiplicities (bound 0) are free by design, and
//! constant counts are their own bound: neither is forged.

use std::collections::{BTreeSet, HashSet};

use p3_air::symbolic::{AirLayout, BaseEntry, BaseLeaf, SymbolicExpr, SymbolicExpression};
use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;

use crate::table::SymbolicBuilder;
use crate::{Table, Val};

/// A query-side lookup count that reads main columns.
#[derive(Debug, Clone)]
pub struct CountSite {
    /// The bus (or `"local"` for a lookup within the table).
    pub bus: String,
    /// The declared per-row bound on the count's magnitude.
    pub bound: u32,
    /// The main columns (current row) the count reads.
    pub columns: Vec<usize>,
    count: SymbolicExpression<Val>,
}

/// What the forgery tried on one table.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Query counts found that read columns.
    pub sites: usize,
    /// Forged (site, column, value, row) cases, each rejected by a count-local constraint.
    pub forged: usize,
}

/// The query counts of `table` that read main columns.
pub fn count_sites(table: &Table) -> Vec<CountSite> {
    let builder = symbolic(table);
    let global = builder
        .global_interactions()
        .iter()
        .map(|i| (i.bus_name.clone(), i.count.clone(), i.count_weight));
    let local = builder.local_interactions().iter().flat_map(|i| {
        i.tuples.iter().map(|(_, c)| {
            let (count, bound) = c.clone().into_parts();
            ("local".to_string(), count, bound)
        })
    });
    global
        .chain(local)
        .filter(|(_, _, bound)| *bound > 0)
        .filter_map(|(bus, count, bound)| {
            let columns: Vec<usize> = main_columns(&count).into_iter().collect();
            (!columns.is_empty()).then_some(CountSite {
                bus,
                bound,
                columns,
                count,
            })
        })
        .collect()
}

fn symbolic(table: &Table) -> SymbolicBuilder {
    let layout = AirLayout::from_air::<Val>(&table.air);
    SymbolicBuilder::from_air(&table.air, layout)
}

/// Forges every count of `table` on rows 0, 1, the middle and the last of its honest `trace`,
/// and checks that a constraint reading only the count's columns rejects each forgery. An
/// error names the first forgery no such constraint rejects, or an honest row that already
/// fails one.
pub fn forge_counts(table: &Table, trace: &RowMajorMatrix<Val>) -> Result<Report, String> {
    let name = format!("{:?}", table.air);
    let builder = symbolic(table);
    let constraints = builder.base_constraints();
    let sites = count_sites(table);
    let width = trace.width;
    let height = trace.values.len() / width;
    let mut rows: Vec<usize> = vec![0, 1.min(height - 1), height / 2, height - 1];
    rows.dedup();
    let mut report = Report {
        sites: sites.len(),
        forged: 0,
    };
    for site in &sites {
        let own: BTreeSet<usize> = site.columns.iter().copied().collect();
        let guards: Vec<&SymbolicExpression<Val>> =
            constraints.iter().filter(|c| reads_only(c, &own)).collect();
        let sign = sign_of(&site.count, width);
        for &row in &rows {
            let honest = Row::new(trace, row, &table.public_values);
            if let Some(g) = guards.iter().find(|g| honest.eval(g) != Val::ZERO) {
                return Err(format!(
                    "{name}: the honest row {row} fails the count constraint {g:?}"
                ));
            }
            for &column in &site.columns {
                for target in forged_values(site.bound, sign) {
                    let mut row_values = honest.local.clone();
                    if !set_count(&site.count, &mut row_values, column, target) {
                        continue; // the count does not depend on this column linearly
                    }
                    let forged = Row {
                        local: row_values,
                        ..honest.clone()
                    };
                    if guards.iter().all(|g| forged.eval(g) == Val::ZERO) {
                        return Err(format!(
                            "{name}: a count on bus {:?} (bound {}) set to {target} through \
                             column {column} on row {row} passes every constraint on its own \
                             columns {:?}",
                            site.bus, site.bound, site.columns
                        ));
                    }
                    report.forged += 1;
                }
            }
        }
    }
    Ok(report)
}

/// What `table`'s rows put on the bus named `bus`, as the AIR reads them: for every row and
/// every interaction on that bus, the message and the count, where the count is not zero.
/// A forged witness's other tables (the compression table, say) can then be built as an
/// attacker would build them: from exactly what the forged rows look up.
pub fn bus_messages(table: &Table, trace: &RowMajorMatrix<Val>, bus: &str) -> Vec<(Vec<Val>, Val)> {
    let builder = symbolic(table);
    let interactions: Vec<_> = builder
        .global_interactions()
        .iter()
        .filter(|i| i.bus_name == bus)
        .collect();
    let height = trace.values.len() / trace.width;
    let mut messages = Vec::new();
    for row in 0..height {
        let at = Row::new(trace, row, &table.public_values);
        for interaction in &interactions {
            let count = at.eval(&interaction.count);
            if count != Val::ZERO {
                let message = interaction.fields.iter().map(|f| at.eval(f)).collect();
                messages.push((message, count));
            }
        }
    }
    messages
}

/// The sign a count takes when its flags are set: +1 for a lookup (`b`, `b · c`, a sum of
/// bits), −1 for a supplied entry (`−b`) — the count's value with every column 1, read as a
/// small signed integer.
fn sign_of(count: &SymbolicExpression<Val>, width: usize) -> Val {
    let value = eval_local(count, &vec![Val::ONE; width]);
    if value.as_canonical_u32() > Val::ORDER_U32 / 2 {
        Val::NEG_ONE
    } else {
        Val::ONE
    }
}

/// In the count's own sign s: −s (the wrong sign: −1 for a lookup is p − 1), s · (bound + 1)
/// and −s · (bound + 1).
fn forged_values(bound: u32, sign: Val) -> [Val; 3] {
    let over = Val::from_u32(bound + 1);
    [-sign, sign * over, -sign * over]
}

/// Sets `column` so that `count` evaluates to `target` on `row` (the count linear in it), or
/// returns false.
fn set_count(count: &SymbolicExpression<Val>, row: &mut [Val], column: usize, target: Val) -> bool {
    let at = |row: &[Val]| eval_local(count, row);
    let base = at(row);
    let original = row[column];
    row[column] = original + Val::ONE;
    let slope = at(row) - base;
    row[column] = original + Val::TWO;
    let curved = at(row) - base != slope.double();
    if slope == Val::ZERO || curved {
        row[column] = original;
        return false;
    }
    row[column] = original + (target - base) * slope.inverse();
    at(row) == target
}

fn eval_local(expr: &SymbolicExpression<Val>, local: &[Val]) -> Val {
    Row {
        local: local.to_vec(),
        next: vec![],
        public: vec![],
        first: false,
        last: false,
    }
    .eval(expr)
}

/// The main columns of the current row that `expr` reads.
fn main_columns(expr: &SymbolicExpression<Val>) -> BTreeSet<usize> {
    let mut columns = BTreeSet::new();
    visit(expr, &mut |leaf| {
        if let BaseLeaf::Variable(v) = leaf
            && let BaseEntry::Main { .. } = v.entry
        {
            columns.insert(v.index);
        }
    });
    columns
}

/// Whether `expr` reads only current-row main columns among `columns` (and constants or
/// selectors), and reads at least one.
fn reads_only(expr: &SymbolicExpression<Val>, columns: &BTreeSet<usize>) -> bool {
    let (mut inside, mut outside) = (false, false);
    visit(expr, &mut |leaf| {
        if let BaseLeaf::Variable(v) = leaf {
            match v.entry {
                BaseEntry::Main { offset: 0 } if columns.contains(&v.index) => inside = true,
                _ => outside = true,
            }
        }
    });
    inside && !outside
}

/// Calls `f` on every leaf of `expr`, each shared sub-expression once (the Poseidon2 AIR's
/// expressions share their round states: walked as trees they are exponentially large).
fn visit(expr: &SymbolicExpression<Val>, f: &mut impl FnMut(&BaseLeaf<Val>)) {
    let mut seen = HashSet::new();
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        if !seen.insert(std::ptr::from_ref(e)) {
            continue;
        }
        match e {
            SymbolicExpr::Leaf(leaf) => f(leaf),
            SymbolicExpr::Add { x, y, .. }
            | SymbolicExpr::Sub { x, y, .. }
            | SymbolicExpr::Mul { x, y, .. } => {
                stack.push(x);
                stack.push(y);
            }
            SymbolicExpr::Neg { x, .. } => stack.push(x),
        }
    }
}

/// One row of a trace, with what a constraint may read beside it.
#[derive(Clone)]
struct Row {
    local: Vec<Val>,
    next: Vec<Val>,
    public: Vec<Val>,
    first: bool,
    last: bool,
}

impl Row {
    fn new(trace: &RowMajorMatrix<Val>, row: usize, public: &[Val]) -> Self {
        let width = trace.width;
        let height = trace.values.len() / width;
        let at = |r: usize| trace.values[r * width..(r + 1) * width].to_vec();
        Self {
            local: at(row),
            next: at((row + 1) % height),
            public: public.to_vec(),
            first: row == 0,
            last: row + 1 == height,
        }
    }

    fn eval(&self, expr: &SymbolicExpression<Val>) -> Val {
        match expr {
            SymbolicExpr::Leaf(leaf) => match leaf {
                BaseLeaf::Constant(c) => *c,
                BaseLeaf::IsFirstRow => Val::from_bool(self.first),
                BaseLeaf::IsLastRow => Val::from_bool(self.last),
                BaseLeaf::IsTransition => Val::from_bool(!self.last),
                BaseLeaf::Variable(v) => match v.entry {
                    BaseEntry::Main { offset: 0 } => self.local[v.index],
                    BaseEntry::Main { .. } => self.next.get(v.index).copied().unwrap_or_default(),
                    BaseEntry::Public => self.public.get(v.index).copied().unwrap_or_default(),
                    // No table of ours has preprocessed or periodic columns.
                    BaseEntry::Preprocessed { .. } | BaseEntry::Periodic => Val::ZERO,
                },
            },
            SymbolicExpr::Add { x, y, .. } => self.eval(x) + self.eval(y),
            SymbolicExpr::Sub { x, y, .. } => self.eval(x) - self.eval(y),
            SymbolicExpr::Mul { x, y, .. } => self.eval(x) * self.eval(y),
            SymbolicExpr::Neg { x, .. } => -self.eval(x),
        }
    }
}
