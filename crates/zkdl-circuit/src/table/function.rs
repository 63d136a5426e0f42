//! Explicit tables of several columns, such as a function's `(x, f(x), f'(x))` over a
//! grid of inputs.

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use zkdl_core::field::{fr_from_i64, Fr};

use super::TableError;
use super::{kind, Table, MAX_TABLE_VARS};

/// A table given by its columns, each of `2^vars` entries. Its descriptor carries a
/// SHA-256 digest of every entry, so the transcript binds the whole table.
#[derive(Debug, Clone)]
pub struct Function {
    name: String,
    vars: u32,
    columns: Vec<Vec<i64>>,
    /// `Some(x0)`: column 0 is `x0 + row` (its MLE has a closed form).
    first_input: Option<i64>,
    rows: HashMap<Vec<i64>, usize>,
    digest: [u64; 4],
}

impl Function {
    /// The table of `columns` (at least one, each of `2^vars` entries, `vars` at most
    /// [`MAX_TABLE_VARS`]). A tuple that occurs in several rows is looked up in the
    /// first.
    pub fn new(name: &str, vars: u32, columns: Vec<Vec<i64>>) -> Result<Self, TableError> {
        Self::build(name, vars, columns, None)
    }

    /// The table of the inputs `x = x0, x0 + 1, .., x0 + 2^vars - 1` (column 0) and
    /// `f(x)` (the further columns; `f` gives the same number of values for every
    /// input).
    pub fn from_inputs(name: &str, vars: u32, x0: i64, f: impl Fn(i64) -> Vec<i64>) -> Result<Self, TableError> {
        if vars > MAX_TABLE_VARS {
            return Err(TableError::TooLarge { vars });
        }
        let n = 1i64 << vars;
        let last = x0.checked_add(n - 1).ok_or(TableError::Overflow)?;
        let mut columns = vec![(x0..=last).collect::<Vec<i64>>()];
        for x in x0..=last {
            let fx = f(x);
            if columns.len() == 1 {
                columns.extend(fx.iter().map(|_| Vec::with_capacity(n as usize)));
            }
            if fx.len() + 1 != columns.len() {
                return Err(TableError::Varying { input: x });
            }
            for (col, v) in columns.iter_mut().skip(1).zip(fx) {
                col.push(v);
            }
        }
        Self::build(name, vars, columns, Some(x0))
    }

    fn build(name: &str, vars: u32, columns: Vec<Vec<i64>>, first_input: Option<i64>) -> Result<Self, TableError> {
        if vars > MAX_TABLE_VARS {
            return Err(TableError::TooLarge { vars });
        }
        let n = 1usize << vars;
        if columns.is_empty() || columns.iter().any(|c| c.len() != n) {
            return Err(TableError::Columns { rows: n });
        }
        let mut rows = HashMap::with_capacity(n);
        let mut hash = Sha256::new();
        hash.update(b"zkdl/table/function");
        hash.update((columns.len() as u64).to_le_bytes());
        for row in (0..n).rev() {
            let tuple: Vec<i64> = columns.iter().map(|c| c[row]).collect();
            rows.insert(tuple, row);
        }
        for c in &columns {
            for v in c {
                hash.update(v.to_le_bytes());
            }
        }
        let d = hash.finalize();
        let mut digest = [0u64; 4];
        for (w, chunk) in digest.iter_mut().zip(d.chunks(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *w = u64::from_le_bytes(b);
        }
        Ok(Function { name: name.to_string(), vars, columns, first_input, rows, digest })
    }
}

impl Table for Function {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn vars(&self) -> u32 {
        self.vars
    }

    fn columns(&self) -> usize {
        self.columns.len()
    }

    fn entry(&self, column: usize, row: usize) -> Option<i64> {
        self.columns.get(column)?.get(row).copied()
    }

    fn row_of(&self, tuple: &[i64]) -> Option<usize> {
        self.rows.get(tuple).copied()
    }

    fn row_of_first(&self, value: i64) -> Option<usize> {
        match self.first_input {
            Some(x0) => usize::try_from(value.checked_sub(x0)?).ok().filter(|&r| r < 1usize << self.vars),
            None => self.columns.first()?.iter().position(|&v| v == value),
        }
    }

    fn descriptor(&self) -> Vec<u64> {
        let mut d = vec![kind::FUNCTION, self.vars as u64, self.columns.len() as u64];
        d.extend(self.digest);
        d
    }

    fn column_mle(&self, column: usize, r: &[Fr]) -> Option<Fr> {
        if r.len() != self.vars as usize || column >= self.columns.len() {
            return None;
        }
        match (column, self.first_input) {
            (0, Some(x0)) => Some(fr_from_i64(x0) + super::range::identity_mle(r)),
            _ => super::eq_sum(&zkdl_core::mle::eq_table(r), |i| self.columns.get(column)?.get(i).copied()),
        }
    }

    fn column_mles(&self, r: &[Fr]) -> Option<Vec<Fr>> {
        if r.len() != self.vars as usize {
            return None;
        }
        // one eq table for every column summed over the rows
        let eq = zkdl_core::mle::eq_table(r);
        let mut out = Vec::with_capacity(self.columns.len());
        for (c, col) in self.columns.iter().enumerate() {
            out.push(match (c, self.first_input) {
                (0, Some(x0)) => fr_from_i64(x0) + super::range::identity_mle(r),
                _ => super::eq_sum(&eq, |i| col.get(i).copied())?,
            });
        }
        Some(out)
    }
}
