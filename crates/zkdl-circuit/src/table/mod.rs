//! Lookup tables: what a LogUp lookup ([`crate::relations::LookupRel`]) looks its
//! tuples up in.
//!
//! A [`Table`] has `2^vars` rows of one or more integer columns: the range table
//! `[0, 2^w)` ([`Range`], one column) and function tables such as `(x, f(x), f'(x))`
//! ([`Function`]). A lookup of a tuple of tensors `(T_0, .., T_{k-1})` into a table of
//! `k` columns combines both sides with a transcript challenge `beta`: the leaf of
//! entry `x` is `alpha - sum_c beta^c T_c(x)` and the table's leaf of row `i` is
//! `alpha - sum_c beta^c t_c(i)`, so one fraction sum proves that every tuple is a row
//! (see [`crate::protocol::lookup`]). The verifier evaluates each column's multilinear
//! extension at the tree's leaf point itself ([`Table::column_mle`]): in closed form for
//! the range table, in `O(2^vars)` field operations for an explicit table.
//!
//! A new table is one type implementing [`Table`]; [`TableRef`] is how a relation set
//! holds it (shared, compared and absorbed by its [`Table::descriptor`]).

mod function;
pub(crate) mod range;

pub use function::Function;
pub use range::Range;

use std::sync::Arc;

use ark_ff::AdditiveGroup;
use zkdl_core::field::{fr_from_i64, Fr};

/// Largest table: `2^16` rows.
pub const MAX_TABLE_VARS: u32 = 16;

/// Why a table cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    #[error("a table of 2^{vars} rows: at most 2^16")]
    TooLarge { vars: u32 },
    #[error("a table needs at least one column, each of {rows} entries")]
    Columns { rows: usize },
    #[error("a table's inputs overflow 64 bits")]
    Overflow,
    #[error("the table's function gives another number of values at input {input}")]
    Varying { input: i64 },
}

/// The first word of a [`Table::descriptor`]: the kind of table.
pub mod kind {
    /// [`super::Range`]: `[RANGE, width]`.
    pub const RANGE: u64 = 1;
    /// [`super::Function`]: `[FUNCTION, vars, columns, digest (4 words)]`.
    pub const FUNCTION: u64 = 2;
}

/// A lookup table: `2^vars` rows of [`Table::columns`] integer columns.
pub trait Table: std::fmt::Debug + Send + Sync {
    /// A short name for messages ("the 16-bit range table", "gelu").
    fn name(&self) -> String;
    /// The table has `2^vars` rows (at most [`MAX_TABLE_VARS`]).
    fn vars(&self) -> u32;
    /// The number of columns (at least one).
    fn columns(&self) -> usize;
    /// Column `column` of row `row` (`None` outside the table).
    fn entry(&self, column: usize, row: usize) -> Option<i64>;
    /// The row that holds `tuple` (one value per column), if any: how the prover counts
    /// multiplicities and the witness checker finds a tuple outside the table.
    fn row_of(&self, tuple: &[i64]) -> Option<usize>;
    /// The first row whose column 0 holds `value` (how the prover reads a function's
    /// value at an input). The default scans the column.
    fn row_of_first(&self, value: i64) -> Option<usize> {
        (0..1usize << self.vars().min(MAX_TABLE_VARS)).find(|&row| self.entry(0, row) == Some(value))
    }
    /// Words that determine every entry of the table, first a [`kind`]: absorbed
    /// into the transcript with the relation set, and what two tables are compared by.
    fn descriptor(&self) -> Vec<u64>;
    /// The multilinear extension of column `column` at `r` (`r.len() == vars`, variable
    /// `j` the row index's bit `j`). The default sums the column against `eq(r, .)`.
    fn column_mle(&self, column: usize, r: &[Fr]) -> Option<Fr> {
        if r.len() != self.vars() as usize || column >= self.columns() {
            return None;
        }
        eq_sum(&zkdl_core::mle::eq_table(r), |i| self.entry(column, i))
    }

    /// Every column's multilinear extension at `r` ([`Self::column_mle`] each; an explicit
    /// table overrides it to build `eq(r, .)` once for all its columns).
    fn column_mles(&self, r: &[Fr]) -> Option<Vec<Fr>> {
        (0..self.columns()).map(|c| self.column_mle(c, r)).collect()
    }
}

/// `sum_i eq[i] v(i)`: a column's multilinear extension from the eq table of the point
/// (`None` where `v` has no entry).
pub(crate) fn eq_sum(eq: &[Fr], v: impl Fn(usize) -> Option<i64>) -> Option<Fr> {
    let mut acc = Fr::ZERO;
    for (i, e) in eq.iter().enumerate() {
        acc += *e * fr_from_i64(v(i)?);
    }
    Some(acc)
}

/// A shared [`Table`], compared by its descriptor (computed once).
#[derive(Clone)]
pub struct TableRef {
    table: Arc<dyn Table>,
    descriptor: Arc<[u64]>,
}

impl TableRef {
    /// Wrap `table`.
    pub fn new(table: impl Table + 'static) -> Self {
        let descriptor = table.descriptor().into();
        TableRef { table: Arc::new(table), descriptor }
    }

    /// The range table `[0, 2^width)`.
    pub fn range(width: u32) -> Self {
        Self::new(Range::new(width))
    }

    /// The table's descriptor ([`Table::descriptor`]).
    pub fn descriptor(&self) -> &[u64] {
        &self.descriptor
    }

    /// `Some(width)` for the range table `[0, 2^width)`.
    pub fn range_width(&self) -> Option<u32> {
        match *self.descriptor {
            [kind::RANGE, w] => u32::try_from(w).ok(),
            _ => None,
        }
    }

    /// The combined table leaf value `sum_c beta^c t_c~(r)` at the leaf point `r`.
    pub fn combined_mle(&self, beta: Fr, r: &[Fr]) -> Option<Fr> {
        let mles = self.column_mles(r)?;
        Some(mles.iter().rev().fold(Fr::ZERO, |acc, m| acc * beta + m))
    }

    /// The combined value `sum_c beta^c t_c(row)` of one row.
    pub fn combined_row(&self, beta: Fr, row: usize) -> Option<Fr> {
        let mut acc = Fr::ZERO;
        for c in (0..self.columns()).rev() {
            acc = acc * beta + fr_from_i64(self.entry(c, row)?);
        }
        Some(acc)
    }
}

impl std::ops::Deref for TableRef {
    type Target = dyn Table;
    fn deref(&self) -> &Self::Target {
        &*self.table
    }
}

impl std::fmt::Debug for TableRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableRef").field("name", &self.table.name()).field("descriptor", &self.descriptor).finish()
    }
}

impl PartialEq for TableRef {
    fn eq(&self, other: &Self) -> bool {
        self.descriptor == other.descriptor
    }
}

impl Eq for TableRef {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ark_ff::Field;

    /// Arbitrary field elements (no randomness needed: the identities are exact).
    fn point(n: u32, seed: u64) -> Vec<Fr> {
        (0..n as u64).map(|i| Fr::from(seed * 1_000_003 + 7919 * i + 13).inverse().unwrap_or(Fr::ONE)).collect()
    }

    /// The closed-form MLE of the range table is the default sum over its rows, and a
    /// function table's columns are their rows' MLEs.
    #[test]
    fn column_mles_match_the_rows() {
        #[derive(Debug)]
        struct Plain(Range);
        impl Table for Plain {
            fn name(&self) -> String {
                self.0.name()
            }
            fn vars(&self) -> u32 {
                self.0.vars()
            }
            fn columns(&self) -> usize {
                1
            }
            fn entry(&self, c: usize, row: usize) -> Option<i64> {
                self.0.entry(c, row)
            }
            fn row_of(&self, t: &[i64]) -> Option<usize> {
                self.0.row_of(t)
            }
            fn descriptor(&self) -> Vec<u64> {
                vec![0]
            }
        }
        for w in [1u32, 4, 9] {
            let r = point(w, w as u64);
            let range = Range::new(w);
            assert_eq!(range.column_mle(0, &r), Plain(Range::new(w)).column_mle(0, &r));
            assert_eq!(range.column_mle(1, &r), None);
            assert_eq!(range.column_mle(0, &r[1..]), None);
        }
        let f = Function::from_inputs("square", 3, -4, |x| vec![x * x]).unwrap();
        let r = point(3, 99);
        let eq = zkdl_core::mle::eq_table(&r);
        let want: Fr = (0..8).map(|i| eq[i] * fr_from_i64((i as i64 - 4) * (i as i64 - 4))).sum();
        assert_eq!(f.column_mle(1, &r), Some(want));
        let x: Fr = (0..8).map(|i| eq[i] * fr_from_i64(i as i64 - 4)).sum();
        assert_eq!(f.column_mle(0, &r), Some(x));
        let beta = point(1, 5)[0];
        assert_eq!(TableRef::new(f).combined_mle(beta, &r), Some(x + beta * want));
    }

    #[test]
    fn tables_compare_by_descriptor() {
        assert_eq!(TableRef::range(8), TableRef::range(8));
        assert_ne!(TableRef::range(8), TableRef::range(9));
        assert_eq!(TableRef::range(8).range_width(), Some(8));
        let sq = |x: i64| vec![x * x];
        let a = TableRef::new(Function::from_inputs("square", 3, -4, sq).unwrap());
        let b = TableRef::new(Function::from_inputs("square", 3, -4, sq).unwrap());
        let c = TableRef::new(Function::from_inputs("square", 3, -3, sq).unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.range_width(), None);
    }
}
