//! Dense multilinear extensions.
//!
//! **Variable order** (used by every crate of zkdl): a table of `2^n` evaluations
//! `f[i]` defines `f(x_0, ..., x_{n-1})` with `x_j = bit j of i`. Bit 0 (the least
//! significant bit) is the FIRST variable. Binding ([`DenseMle::bind_in_place`])
//! always fixes the first free variable, so a sumcheck that binds round by round
//! produces its challenges in the same order as the point coordinates.
//!
//! The extension is `f(r) = sum_x f[x] * prod_j (r_j x_j + (1 - r_j)(1 - x_j))`.

use ark_ff::{One, Zero};
use rayon::prelude::*;

use crate::error::MleError;
use crate::field::Fr;

/// Above this size, table operations run in parallel.
const PAR_THRESHOLD: usize = 1 << 12;
/// The largest number of variables accepted (tables are dense in memory).
pub const MAX_VARS: usize = 40;

/// A multilinear polynomial given by its `2^num_vars` evaluations on the hypercube.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenseMle {
    num_vars: usize,
    evals: Vec<Fr>,
}

impl DenseMle {
    /// From a table whose length is a power of two.
    pub fn new(evals: Vec<Fr>) -> Result<Self, MleError> {
        let len = evals.len();
        if !len.is_power_of_two() {
            return Err(MleError::NotPowerOfTwo { len });
        }
        Ok(Self { num_vars: len.trailing_zeros() as usize, evals })
    }

    /// From any number of values, padded with zeros to `2^num_vars`.
    pub fn from_padded(mut values: Vec<Fr>, num_vars: usize) -> Result<Self, MleError> {
        if num_vars > MAX_VARS {
            return Err(MleError::TooManyVars { num_vars });
        }
        let size = 1usize << num_vars;
        if values.len() > size {
            return Err(MleError::TooManyValues { len: values.len(), num_vars });
        }
        values.resize(size, Fr::zero());
        Ok(Self { num_vars, evals: values })
    }

    /// The constant polynomial (zero variables).
    pub fn constant(c: Fr) -> Self {
        Self { num_vars: 0, evals: vec![c] }
    }

    pub fn num_vars(&self) -> usize {
        self.num_vars
    }

    pub fn evals(&self) -> &[Fr] {
        &self.evals
    }

    pub fn into_evals(self) -> Vec<Fr> {
        self.evals
    }

    pub fn len(&self) -> usize {
        self.evals.len()
    }

    pub fn is_empty(&self) -> bool {
        self.evals.is_empty()
    }

    /// Fix the first free variable to `r`: `f'[i] = f[2i] + r (f[2i+1] - f[2i])`.
    /// A zero-variable MLE is left unchanged.
    pub fn bind_in_place(&mut self, r: Fr) {
        if self.num_vars == 0 {
            return;
        }
        fold_pairs(&mut self.evals, |a, b| a + r * (b - a));
        self.num_vars -= 1;
    }

    /// Evaluate at `point` (`point[j]` is the value of variable `x_j`).
    pub fn evaluate(&self, point: &[Fr]) -> Result<Fr, MleError> {
        if point.len() != self.num_vars {
            return Err(MleError::PointLength { expected: self.num_vars, got: point.len() });
        }
        Ok(evaluate_slice(&self.evals, point))
    }
}

/// Entries folded per block of [`fold_pairs`].
const FOLD_BLOCK: usize = 1 << 12;

/// `v[i] = f(v[2i], v[2i+1])` for every pair, in place (`v` shrinks to half its length;
/// an odd last entry is dropped). Long tables fold in parallel blocks, each into its own
/// first half, and the blocks are then moved down: no allocation, so no fresh pages to
/// fault in (a new half-size table costs more than the multiplications of the fold);
/// the unused capacity is released every other fold.
pub fn fold_pairs(v: &mut Vec<Fr>, f: impl Fn(Fr, Fr) -> Fr + Sync) {
    let half = v.len() / 2;
    let fold_block = |blk: &mut [Fr]| {
        for i in 0..blk.len() / 2 {
            blk[i] = f(blk[2 * i], blk[2 * i + 1]);
        }
    };
    if half >= PAR_THRESHOLD {
        v[..2 * half].par_chunks_mut(2 * FOLD_BLOCK).for_each(fold_block);
        // block b's results sit at [2 b K, 2 b K + len_b); moving them down in order
        // never overwrites a block not yet moved
        for b in 1..half.div_ceil(FOLD_BLOCK) {
            let len = FOLD_BLOCK.min(half - b * FOLD_BLOCK);
            v.copy_within(2 * b * FOLD_BLOCK..2 * b * FOLD_BLOCK + len, b * FOLD_BLOCK);
        }
    } else {
        fold_block(&mut v[..2 * half]);
    }
    v.truncate(half);
    // give the memory back as the table shrinks (a sumcheck instance keeps its tables
    // through all its rounds)
    if v.capacity() >= 4 * half {
        v.shrink_to_fit();
    }
}

/// Evaluate the MLE of `evals` (length `2^point.len()`) at `point` by folding the
/// first variable repeatedly. Callers check the lengths.
fn evaluate_slice(evals: &[Fr], point: &[Fr]) -> Fr {
    let Some((&r, rest)) = point.split_first() else {
        return evals.first().copied().unwrap_or_else(Fr::zero);
    };
    let folded: Vec<Fr> = if evals.len() / 2 >= PAR_THRESHOLD {
        evals.par_chunks_exact(2).map(|p| p[0] + r * (p[1] - p[0])).collect()
    } else {
        evals.chunks_exact(2).map(|p| p[0] + r * (p[1] - p[0])).collect()
    };
    evaluate_slice(&folded, rest)
}

/// The table `eq(point, x)` for all `x` in `{0,1}^n` (`n = point.len()`), in the
/// variable order of this module: entry `x` is `prod_j (r_j x_j + (1-r_j)(1-x_j))`.
pub fn eq_table(point: &[Fr]) -> Vec<Fr> {
    eq_table_scaled(point, Fr::one())
}

/// `scale * eq(point, x)` for all `x`.
pub fn eq_table_scaled(point: &[Fr], scale: Fr) -> Vec<Fr> {
    let n = point.len();
    let mut table = vec![Fr::zero(); 1usize << n];
    table[0] = scale;
    for (j, &r) in point.iter().enumerate() {
        let size = 1usize << j;
        let (lo, hi) = table.split_at_mut(size);
        let hi = &mut hi[..size];
        if size >= PAR_THRESHOLD {
            lo.par_iter_mut().zip(hi.par_iter_mut()).for_each(|(l, h)| {
                *h = *l * r;
                *l -= *h;
            });
        } else {
            for (l, h) in lo.iter_mut().zip(hi.iter_mut()) {
                *h = *l * r;
                *l -= *h;
            }
        }
    }
    table
}

/// `eq(a, b) = prod_j (a_j b_j + (1 - a_j)(1 - b_j))`; `None` when lengths differ.
pub fn eq_eval(a: &[Fr], b: &[Fr]) -> Option<Fr> {
    if a.len() != b.len() {
        return None;
    }
    Some(a.iter().zip(b).map(|(&x, &y)| x * y + (Fr::one() - x) * (Fr::one() - y)).product())
}

/// Inner product of two equal-length slices (parallel for large inputs).
pub fn inner_product(a: &[Fr], b: &[Fr]) -> Fr {
    if a.len() >= PAR_THRESHOLD {
        a.par_iter().zip(b.par_iter()).map(|(x, y)| *x * y).sum()
    } else {
        a.iter().zip(b).map(|(x, y)| *x * y).sum()
    }
}

/// Low variables of a [`SplitEq`]: its low table (`2^12` entries, 128 KiB) stays in
/// cache while every block of a table is summed against it.
const SPLIT_LOW_VARS: usize = 12;

/// `eq(point, .)` as the product of two small tables, over the low variables and over
/// the high ones: a table of small integers is evaluated at `point` by summing each
/// block of `2^low` consecutive entries against the low table (a
/// [`crate::field::LazySum`], one reduction per block), then the block sums against the
/// high table. No full-size eq table is built or read.
#[derive(Debug, Clone)]
pub struct SplitEq {
    low: Vec<Fr>,
    high: Vec<Fr>,
}

impl SplitEq {
    pub fn new(point: &[Fr]) -> Self {
        let k = point.len().min(SPLIT_LOW_VARS);
        let (lo, hi) = point.split_at(k);
        SplitEq { low: eq_table(lo), high: eq_table(hi) }
    }

    /// The number of variables of the point.
    pub fn num_vars(&self) -> usize {
        (self.low.len() * self.high.len()).trailing_zeros() as usize
    }

    /// `sum_x eq(point, x) table[x]` for a table of `2^num_vars` small signed integers
    /// (missing entries count as zero, extra ones are ignored).
    pub fn eval_i64(&self, table: &[i64]) -> Fr {
        let b = self.low.len();
        let block = |(blk, h): (&[i64], &Fr)| lazy_dot(&self.low, blk).finish() * h;
        if table.len() >= PAR_THRESHOLD {
            table.par_chunks(b).zip(self.high.par_iter()).map(block).sum()
        } else {
            table.chunks(b).zip(&self.high).map(block).sum()
        }
    }
}

/// `sum_i w[i] x[i]` for small signed integers `x` (the shorter length), unreduced.
fn lazy_dot(w: &[Fr], x: &[i64]) -> crate::field::LazySum {
    let mut acc = crate::field::LazySum::default();
    for (v, w) in x.iter().zip(w) {
        acc.add(w, *v);
    }
    acc
}

/// The rows of a table of small signed integers (`2^col_vars` entries each, row `r`
/// at `r 2^col_vars`) combined by field weights: `out[c] = sum_r weights[r] table[r
/// 2^col_vars + c]` (rows past either length count as zero). One [`crate::field::LazySum`] per
/// column and block of rows, the blocks summed in parallel: four 64-bit
/// multiplications per entry, one reduction per column. A Hyrax row combination, or
/// the MLE with its row variables fixed (`weights = eq(r_row, .)`).
pub fn combine_rows_i64(table: &[i64], col_vars: usize, weights: &[Fr]) -> Vec<Fr> {
    use crate::field::LazySum;
    let cols = 1usize << col_vars;
    let rows = (table.len() / cols).min(weights.len());
    let (table, weights) = (&table[..rows * cols], &weights[..rows]);
    // about 2^16 entries per work item
    let block = ((1usize << 16) / cols).max(1);
    let add_rows = |mut acc: Vec<LazySum>, (blk, ws): (&[i64], &[Fr])| {
        for (row, w) in blk.chunks(cols).zip(ws) {
            for (a, x) in acc.iter_mut().zip(row) {
                a.add(w, *x);
            }
        }
        acc
    };
    let empty = || vec![LazySum::default(); cols];
    let acc = if rows * cols >= PAR_THRESHOLD && rows > block {
        table.par_chunks(block * cols).zip(weights.par_chunks(block)).fold(empty, add_rows).reduce(empty, |mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| x.merge(y));
            a
        })
    } else {
        add_rows(empty(), (table, weights))
    };
    acc.iter().map(LazySum::finish).collect()
}

/// Each row of a table of small signed integers (`2^col_vars` entries) against field
/// weights: `out[r] = sum_c weights[c] table[r 2^col_vars + c]`, one reduction per row
/// (the MLE with its column variables fixed, `weights = eq(r_col, .)`).
pub fn combine_cols_i64(table: &[i64], col_vars: usize, weights: &[Fr]) -> Vec<Fr> {
    let row = |r: &[i64]| lazy_dot(weights, r).finish();
    if table.len() >= PAR_THRESHOLD {
        table.par_chunks(1usize << col_vars).map(row).collect()
    } else {
        table.chunks(1usize << col_vars).map(row).collect()
    }
}

/// The MLE of a table of small signed integers at `point` ([`SplitEq::eval_i64`]).
pub fn evaluate_i64(table: &[i64], point: &[Fr]) -> Fr {
    SplitEq::new(point).eval_i64(table)
}

/// `sum_i a[i] w[i]` for small signed integers `a` (a committed quantized table
/// evaluated against an eq table): [`crate::field::LazySum`], one reduction per chunk.
pub fn inner_product_i64(a: &[i64], w: &[Fr]) -> Fr {
    let chunk = |(a, w): (&[i64], &[Fr])| {
        let mut acc = crate::field::LazySum::default();
        for (x, y) in a.iter().zip(w) {
            acc.add(y, *x);
        }
        acc
    };
    let n = a.len().min(w.len());
    let (a, w) = (&a[..n], &w[..n]);
    let acc = if n >= PAR_THRESHOLD {
        a.par_chunks(1 << 12).zip(w.par_chunks(1 << 12)).map(chunk).reduce(
            crate::field::LazySum::default,
            |mut x, y| {
                x.merge(&y);
                x
            },
        )
    } else {
        chunk((a, w))
    };
    acc.finish()
}

/// `sum_k coeffs[k] tables[k][x]` at one `x` (a table shorter than `x` adds nothing):
/// one [`crate::field::LazySum`].
pub fn combine_i64_at(tables: &[&[i64]], coeffs: &[Fr], x: usize) -> Fr {
    let mut acc = crate::field::LazySum::default();
    for (t, c) in tables.iter().zip(coeffs) {
        if let Some(v) = t.get(x) {
            acc.add(c, *v);
        }
    }
    acc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The split eq table evaluates integer tables like the full eq table: sizes below,
    /// at and above the low block, serial and parallel, short tables padded with zeros.
    #[test]
    fn split_eq_evaluates_like_the_eq_table() {
        use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
        use ark_std::UniformRand;
        let mut rng = StdRng::seed_from_u64(9);
        for n in [0usize, 1, 5, SPLIT_LOW_VARS, SPLIT_LOW_VARS + 3] {
            let point: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let table: Vec<i64> = (0..1usize << n).map(|_| rng.gen_range(-(1i64 << 40)..1i64 << 40)).collect();
            let split = SplitEq::new(&point);
            assert_eq!(split.num_vars(), n);
            assert_eq!(split.eval_i64(&table), inner_product_i64(&table, &eq_table(&point)), "n {n}");
            assert_eq!(evaluate_i64(&table, &point), split.eval_i64(&table));
            let short = &table[..table.len() / 2];
            let padded: Vec<i64> =
                short.iter().copied().chain(std::iter::repeat_n(0, table.len() - short.len())).collect();
            assert_eq!(split.eval_i64(short), split.eval_i64(&padded), "n {n}, short");
        }
    }

    /// Row and column combinations of an integer table against the field table, serial
    /// and parallel, one row and one column, entries at the i64 extremes; fixing the
    /// rows then the columns evaluates the MLE.
    #[test]
    fn row_and_column_combinations_match_the_field_table() {
        use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
        use ark_std::UniformRand;
        let mut rng = StdRng::seed_from_u64(10);
        for (n, c) in [(0usize, 0usize), (3, 0), (3, 3), (5, 2), (12, 4), (17, 12), (17, 3)] {
            let mut table: Vec<i64> = (0..1usize << n).map(|_| rng.gen_range(-(1i64 << 62)..1i64 << 62)).collect();
            table[0] = i64::MIN;
            if table.len() > 1 {
                table[1] = i64::MAX;
            }
            let point: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let (r_col, r_row) = point.split_at(c);
            let (lo, hi) = (eq_table(r_col), eq_table(r_row));
            let f: Vec<Fr> = table.iter().map(|&v| crate::field::fr_from_i64(v)).collect();
            let rows = combine_rows_i64(&table, c, &hi);
            let want: Vec<Fr> =
                (0..1usize << c).map(|j| (0..hi.len()).map(|i| hi[i] * f[(i << c) + j]).sum()).collect();
            assert_eq!(rows, want, "rows, n {n} c {c}");
            let cols = combine_cols_i64(&table, c, &lo);
            let want: Vec<Fr> = f.chunks(1 << c).map(|r| inner_product(r, &lo)).collect();
            assert_eq!(cols, want, "columns, n {n} c {c}");
            let value = inner_product(&f, &eq_table(&point));
            assert_eq!(inner_product(&rows, &lo), value);
            assert_eq!(inner_product(&cols, &hi), value);
        }
    }

    /// In-place folding equals the pairwise map, serial and in parallel blocks (the
    /// last block short), odd lengths drop the last entry.
    #[test]
    fn fold_pairs_matches_the_pairwise_map() {
        let r = Fr::from(7u64);
        for len in [0usize, 1, 2, 7, 64, 2 * PAR_THRESHOLD, 6 * FOLD_BLOCK + 10, 6 * FOLD_BLOCK + 11] {
            let v: Vec<Fr> = (0..len as u64).map(|i| Fr::from(i * i + 3)).collect();
            let want: Vec<Fr> = v.chunks_exact(2).map(|p| p[0] + r * (p[1] - p[0])).collect();
            let mut got = v.clone();
            fold_pairs(&mut got, |a, b| a + r * (b - a));
            assert_eq!(got, want, "length {len}");
        }
    }
    use ark_std::UniformRand;
    use proptest::prelude::*;

    /// The integer paths agree with the field ones (signed values, extremes, lengths
    /// below and above the parallel threshold).
    #[test]
    fn integer_inner_products_and_combinations_match_field_ones() {
        use crate::field::fr_from_i64;
        use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
        let mut rng = StdRng::seed_from_u64(9);
        for n in [0usize, 1, 5, PAR_THRESHOLD + 3] {
            let tabs: Vec<Vec<i64>> = (0..3)
                .map(|k| {
                    (0..n)
                        .map(|i| match (k, i % 7) {
                            (0, 0) => i64::MIN,
                            (1, 0) => i64::MAX,
                            _ => rng.gen_range(-70_000..70_000),
                        })
                        .collect()
                })
                .collect();
            let w: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let coeffs: Vec<Fr> = (0..3).map(|_| Fr::rand(&mut rng)).collect();
            let fr = |t: &[i64]| t.iter().map(|&x| fr_from_i64(x)).collect::<Vec<Fr>>();
            for t in &tabs {
                assert_eq!(inner_product_i64(t, &w), inner_product(&fr(t), &w), "n {n}");
            }
            let refs: Vec<&[i64]> = tabs.iter().map(|t| t.as_slice()).collect();
            let want: Vec<Fr> = (0..n).map(|i| (0..3).map(|k| coeffs[k] * fr_from_i64(tabs[k][i])).sum()).collect();
            let got: Vec<Fr> = (0..n).map(|i| combine_i64_at(&refs, &coeffs, i)).collect();
            assert_eq!(got, want, "n {n}");
        }
    }

    fn naive(evals: &[Fr], r: &[Fr]) -> Fr {
        let mut acc = Fr::zero();
        for (x, &f) in evals.iter().enumerate() {
            let mut w = Fr::one();
            for (j, &rj) in r.iter().enumerate() {
                let xj = (x >> j) & 1 == 1;
                w *= if xj { rj } else { Fr::one() - rj };
            }
            acc += f * w;
        }
        acc
    }

    fn rand_vec(seed: u64, n: usize) -> Vec<Fr> {
        use ark_std::rand::{rngs::StdRng, SeedableRng};
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n).map(|_| Fr::rand(&mut rng)).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn evaluate_matches_naive(n in 0usize..9, seed in any::<u64>()) {
            let evals = rand_vec(seed, 1 << n);
            let r = rand_vec(seed ^ 0xabcdef, n);
            let mle = DenseMle::new(evals.clone()).unwrap();
            prop_assert_eq!(mle.evaluate(&r).unwrap(), naive(&evals, &r));
            // eq table dot product is the same thing
            prop_assert_eq!(inner_product(&evals, &eq_table(&r)), naive(&evals, &r));
        }

        #[test]
        fn binding_matches_evaluation(n in 1usize..9, seed in any::<u64>()) {
            let evals = rand_vec(seed, 1 << n);
            let r = rand_vec(seed.wrapping_add(7), n);
            let mut mle = DenseMle::new(evals.clone()).unwrap();
            for (j, &rj) in r.iter().enumerate() {
                mle.bind_in_place(rj);
                prop_assert_eq!(mle.num_vars(), n - j - 1);
                prop_assert_eq!(mle.evaluate(&r[j + 1..]).unwrap(), naive(&evals, &r));
            }
        }

        #[test]
        fn eq_table_matches_eq_eval(n in 0usize..8, seed in any::<u64>()) {
            let r = rand_vec(seed, n);
            let t = eq_table(&r);
            for (x, tx) in t.iter().enumerate() {
                let bits: Vec<Fr> = (0..n).map(|j| Fr::from(((x >> j) & 1) as u64)).collect();
                prop_assert_eq!(*tx, eq_eval(&r, &bits).unwrap());
            }
        }
    }

    #[test]
    fn large_tables_parallel_paths() {
        let n = 14;
        let evals = rand_vec(1, 1 << n);
        let r = rand_vec(2, n);
        let mle = DenseMle::new(evals.clone()).unwrap();
        assert_eq!(mle.evaluate(&r).unwrap(), inner_product(&evals, &eq_table(&r)));
    }

    #[test]
    fn errors() {
        assert_eq!(DenseMle::new(vec![Fr::zero(); 3]), Err(MleError::NotPowerOfTwo { len: 3 }));
        let m = DenseMle::from_padded(vec![Fr::one(); 3], 2).unwrap();
        assert_eq!(m.len(), 4);
        assert!(m.evaluate(&[Fr::one()]).is_err());
        assert!(DenseMle::from_padded(vec![Fr::one(); 5], 2).is_err());
        assert_eq!(eq_eval(&[Fr::one()], &[]), None);
    }
}
