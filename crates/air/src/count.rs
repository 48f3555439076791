//! Lookup counts that are bounded by construction: the only way our tables put a message on a
//! LogUp bus.
//!
//! A LogUp argument sums `count / (α − message)` over every row of every table. `p3-lookup`
//! takes a *query-side* count with a declared per-row bound ([`p3_lookup::Count::bounded`]) and
//! trusts that the AIR constrains it: nothing checks the committed values. A count that the AIR
//! leaves free is a hole — a row counted −1 cancels another row's lookup of a message that no
//! table provides, and a row counted 2 or p − 1 wraps the sums. (An audit forged block proofs
//! that way: `ACTIVE` of the transfer table was a count but never a bit.)
//!
//! So a query count here is a [`Multiplicity`], and a `Multiplicity` can only be made by
//! - [`Multiplicity::constant`]: a fixed integer, its own bound;
//! - [`Bit::new`], which asserts `b · (b − 1) = 0` on the expression it is given, then
//!   [`Bit::count`]: bound 1;
//! - [`Multiplicity::sum_of_bits`]: a sum of [`Bit`]s, bound their number;
//! - [`Bit::supplied`]: a bit counted the other way (−1 or 0, bound 1), for a row that puts a
//!   message on a bus which every consumer counts too — a memory argument's write, or a tree
//!   node consumed exactly once — where a free provided multiplicity would let one entry be
//!   consumed twice.
//!
//! [`lookup`], [`lookup_local`] and [`provide`] are the only calls in this workspace that reach
//! `p3-lookup`'s buses (a test greps the sources for any other). A *provided* multiplicity (the
//! table side of a bus, [`provide`]) stays free: it only ever says how often a row's entry, which
//! the providing table constrains, is consumed, and the query counts' bounds keep the sums from
//! wrapping. Each table's soundness note says why its provided entries are constrained.

use p3_air::AirBuilder;
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder, LookupBus};

/// An expression the AIR has constrained to be 0 or 1 (or that is a product of such).
#[derive(Clone, Debug)]
pub struct Bit<E>(E);

impl<E: Clone> Bit<E> {
    /// Asserts `flag · (flag − 1) = 0` on every row and returns the flag as a bit.
    pub fn new<AB>(builder: &mut AB, flag: impl Into<E>) -> Self
    where
        AB: AirBuilder<Expr = E>,
    {
        let flag = flag.into();
        builder.assert_bool(flag.clone());
        Bit(flag)
    }

    /// The bit as an expression.
    pub fn expr(&self) -> E {
        self.0.clone()
    }

    /// The bit as a lookup count: 0 or 1, bound 1.
    pub fn count(&self) -> Multiplicity<E> {
        Multiplicity(Count::bounded(self.0.clone(), 1))
    }
}

impl<E: PrimeCharacteristicRing> Bit<E> {
    /// The product of two bits, itself a bit: no constraint needed.
    pub fn and(&self, other: &Bit<E>) -> Bit<E> {
        Bit(self.0.clone() * other.0.clone())
    }

    /// Splits this bit in two bits that sum to it: `part`, asserted a bit and 0 wherever this
    /// bit is 0 (`part · (1 − self) = 0`), and the rest, `self − part`, a bit by those two
    /// constraints. A row of one table that is one of two kinds (a transfer or a key rotation)
    /// counts each kind's lookups by its own part.
    pub fn split<AB>(&self, builder: &mut AB, part: impl Into<E>) -> (Bit<E>, Bit<E>)
    where
        AB: AirBuilder<Expr = E>,
    {
        let part = Bit::new(builder, part);
        builder.assert_zero(part.0.clone() * (E::ONE - self.0.clone()));
        let rest = Bit(self.0.clone() - part.0.clone());
        (part, rest)
    }

    /// The bit as a count of the opposite sign (0 or −1, bound 1): the row *supplies* its
    /// message once, and the bus balances only if some row consumes it once ([`Bit::count`]).
    /// Unlike [`provide`], the supplied multiplicity is bounded, so an entry cannot be
    /// consumed twice: what a memory argument's writes and a tree's nodes need.
    pub fn supplied(&self) -> Multiplicity<E> {
        Multiplicity(-Count::bounded(self.0.clone(), 1))
    }
}

/// A query-side lookup count whose per-row bound the AIR enforces. See the [module docs](self).
#[derive(Clone, Debug)]
pub struct Multiplicity<E>(Count<E>);

impl<E: PrimeCharacteristicRing> Multiplicity<E> {
    /// A constant count (sent `n` times; negative: received): its own bound, `|n|`.
    pub fn constant(n: i32) -> Self {
        Self(Count::from(n))
    }

    /// The sum of `bits`: at most their number on any row.
    pub fn sum_of_bits(bits: &[Bit<E>]) -> Self {
        let sum = bits.iter().map(|b| b.0.clone()).sum();
        let bound = u32::try_from(bits.len()).unwrap_or(u32::MAX);
        Self(Count::bounded(sum, bound))
    }

    /// The per-row bound.
    pub fn bound(&self) -> u32 {
        self.0.weight()
    }
}

/// Looks `message` up on `bus`, `count` times on this row.
pub fn lookup<AB, E>(
    builder: &mut AB,
    bus: &LookupBus<'_>,
    message: impl IntoIterator<Item = E>,
    count: Multiplicity<AB::Expr>,
) where
    AB: InteractionBuilder,
    E: Into<AB::Expr>,
{
    bus.lookup_key(builder, message, count.0);
}

/// Provides `entry` on `bus` with multiplicity `times`: how often other rows consume it. Free by
/// design: the providing table must constrain the entry itself (see the [module docs](self)).
pub fn provide<AB, E>(
    builder: &mut AB,
    bus: &LookupBus<'_>,
    entry: impl IntoIterator<Item = E>,
    times: impl Into<AB::Expr>,
) where
    AB: InteractionBuilder,
    E: Into<AB::Expr>,
{
    bus.table_entry(builder, entry, times);
}

/// A lookup within one table: the multiset of messages sent (positive counts) equals the one
/// received (negative counts), over all rows.
pub fn lookup_local<AB>(
    builder: &mut AB,
    messages: impl IntoIterator<Item = (Vec<AB::Expr>, Multiplicity<AB::Expr>)>,
) where
    AB: InteractionBuilder,
{
    builder.push_local_interaction(messages.into_iter().map(|(m, c)| (m, c.0)));
}
