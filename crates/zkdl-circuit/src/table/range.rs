//! The range table `[0, 2^width)`: one column, row `i` holds `i`.

use ark_ff::{AdditiveGroup, Field};
use zkdl_core::field::Fr;

use super::{kind, Table, MAX_TABLE_VARS};

/// The range table `[0, 2^width)` (`1 <= width <=` [`MAX_TABLE_VARS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    width: u32,
}

impl Range {
    /// The table `[0, 2^width)`.
    pub fn new(width: u32) -> Self {
        Range { width }
    }
}

/// `t~(r) = sum_i 2^i r_i`: the multilinear extension of the table `[0, 2^n)`.
pub fn identity_mle(r: &[Fr]) -> Fr {
    let mut acc = Fr::ZERO;
    let mut pow = Fr::ONE;
    for x in r {
        acc += pow * x;
        pow += pow;
    }
    acc
}

impl Table for Range {
    fn name(&self) -> String {
        format!("the {}-bit range table", self.width)
    }

    fn vars(&self) -> u32 {
        self.width
    }

    fn columns(&self) -> usize {
        1
    }

    fn entry(&self, column: usize, row: usize) -> Option<i64> {
        (column == 0 && self.width <= MAX_TABLE_VARS && row < (1usize << self.width)).then_some(row as i64)
    }

    fn row_of(&self, tuple: &[i64]) -> Option<usize> {
        let [v] = *tuple else { return None };
        usize::try_from(v).ok().filter(|&u| self.width <= MAX_TABLE_VARS && u < (1usize << self.width))
    }

    fn row_of_first(&self, value: i64) -> Option<usize> {
        self.row_of(&[value])
    }

    fn descriptor(&self) -> Vec<u64> {
        vec![kind::RANGE, self.width as u64]
    }

    fn column_mle(&self, column: usize, r: &[Fr]) -> Option<Fr> {
        (column == 0 && r.len() == self.width as usize).then(|| identity_mle(r))
    }
}
