//! [`LazyMle`]: an MLE given by a function of the hypercube index (optionally an affine
//! combination of small-integer tables), and the integer first round of a
//! [`ProductSum`] over such MLEs.

use ark_ff::{One, Zero};
use rayon::prelude::*;

use super::{par_chunks, ProductSum};
use crate::error::SumcheckError;
use crate::field::Fr;

/// An MLE over `num_vars` variables given by its entry at each hypercube index.
#[derive(Clone)]
pub struct LazyMle<'a> {
    pub(super) num_vars: usize,
    pub(super) at: std::sync::Arc<dyn Fn(usize) -> Fr + Send + Sync + 'a>,
    /// Set when the entries are an affine combination of integer tables: the first
    /// round may then sum integer monomials and the first bind reads the integers
    /// (see [`ProductSum`]).
    pub(super) form: Option<IntForm<'a>>,
}

/// The entries `a + sum_k c_k v_k[x]` of tables `v_k` of small signed integers.
#[derive(Clone)]
pub(super) struct IntForm<'a> {
    a: Fr,
    pub(super) terms: std::sync::Arc<[(Fr, &'a [i64])]>,
    /// `|v_k[x]| < 2^bits`, found by one pass over the tables when first asked for
    /// (only the integer first round asks).
    bits: std::sync::OnceLock<u32>,
}

/// `(a, b, v, bits)`: the entries `a + b v[x]`, `|v[x]| < 2^bits`.
type Affine<'a> = (Fr, Fr, &'a [i64], u32);

impl<'a> IntForm<'a> {
    /// The single-table form `(a, b, v, bits)`, if it is one.
    fn affine(&self) -> Option<Affine<'a>> {
        match *self.terms {
            [(b, v)] => Some((self.a, b, v, self.bits())),
            _ => None,
        }
    }

    /// The bit width bounding every table entry's magnitude.
    fn bits(&self) -> u32 {
        *self.bits.get_or_init(|| {
            let max = |t: &[i64]| t.par_iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
            64 - self.terms.iter().map(|(_, t)| max(t)).max().unwrap_or(0).leading_zeros()
        })
    }

    /// Entry `i` of the table bound at `r` in its first variable:
    /// `a + sum_k ((1 - r) c_k) v_k[2i] + (r c_k) v_k[2i+1]`, given the scaled
    /// coefficients `lo_hi[k] = ((1 - r) c_k, r c_k)`: one reduction per entry.
    pub(super) fn bound_at(&self, lo_hi: &[(Fr, Fr)], i: usize) -> Fr {
        let mut acc = crate::field::LazySum::default();
        for ((_, v), (lo, hi)) in self.terms.iter().zip(lo_hi) {
            if let (Some(&x0), Some(&x1)) = (v.get(2 * i), v.get(2 * i + 1)) {
                acc.add(lo, x0);
                acc.add(hi, x1);
            }
        }
        self.a + acc.finish()
    }
}

/// The first round's accumulators over the pairs: the linear and the quadratic integer
/// monomials (see [`ProductSum::integer_first_round`]).
type FirstRoundSums = ([crate::field::LazySum; 4], [crate::field::LazySum; 3]);

impl<'a> LazyMle<'a> {
    /// The MLE whose entry at `x` (for `x < 2^num_vars`) is `at(x)`.
    pub fn new(num_vars: usize, at: impl Fn(usize) -> Fr + Send + Sync + 'a) -> Self {
        LazyMle { num_vars, at: std::sync::Arc::new(at), form: None }
    }

    /// A table of small signed integers.
    pub fn from_i64(table: &'a [i64]) -> Result<Self, SumcheckError> {
        Self::affine_i64(Fr::zero(), Fr::one(), table)
    }

    /// The entries `a + b v[x]` of a table `v` of small signed integers.
    pub fn affine_i64(a: Fr, b: Fr, table: &'a [i64]) -> Result<Self, SumcheckError> {
        use crate::field::fr_from_i64;
        if !table.len().is_power_of_two() {
            return Err(SumcheckError::BadInstance("table length is not a power of two"));
        }
        let num_vars = table.len().trailing_zeros() as usize;
        let mut m = match (a.is_zero(), b.is_one(), b == -Fr::one()) {
            (true, true, _) => Self::new(num_vars, move |x| fr_from_i64(table[x])),
            (_, _, true) => Self::new(num_vars, move |x| a - fr_from_i64(table[x])),
            _ => Self::new(num_vars, move |x| a + b * fr_from_i64(table[x])),
        };
        m.form = Some(IntForm { a, terms: std::sync::Arc::from([(b, table)]), bits: Default::default() });
        Ok(m)
    }

    /// The entries `a + sum_k coeffs[k] tables[k][x]` of tables of small signed integers
    /// (at least one, all of one power-of-two length).
    pub fn affine_combination_i64(a: Fr, tables: &[&'a [i64]], coeffs: &[Fr]) -> Result<Self, SumcheckError> {
        let len = tables.first().map_or(0, |t| t.len());
        if !len.is_power_of_two() || tables.iter().any(|t| t.len() != len) || coeffs.len() != tables.len() {
            return Err(SumcheckError::BadInstance("combined tables of different or non-power-of-two lengths"));
        }
        let terms: std::sync::Arc<[(Fr, &'a [i64])]> = coeffs.iter().copied().zip(tables.iter().copied()).collect();
        let (ts, cs) = (tables.to_vec(), coeffs.to_vec());
        let mut m = Self::new(len.trailing_zeros() as usize, move |x| a + crate::mle::combine_i64_at(&ts, &cs, x));
        m.form = Some(IntForm { a, terms, bits: Default::default() });
        Ok(m)
    }

    pub fn num_vars(&self) -> usize {
        self.num_vars
    }
}

impl std::fmt::Debug for LazyMle<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LazyMle({} vars)", self.num_vars)
    }
}

/// [`par_chunks`] of the integer first round's accumulators.
fn par_sum(n: usize, work: impl Fn(std::ops::Range<usize>) -> FirstRoundSums + Sync) -> FirstRoundSums {
    let merge = |mut a: FirstRoundSums, b: FirstRoundSums| {
        a.0.iter_mut().zip(&b.0).for_each(|(x, y)| x.merge(y));
        a.1.iter_mut().zip(&b.1).for_each(|(x, y)| x.merge(y));
        a
    };
    par_chunks(n, Default::default, work, merge)
}

impl ProductSum<'_> {
    /// [`Self::sums_at`] by integer arithmetic, in the first round of a single product of
    /// one or two affine integer MLEs (`a_k + b_k v_k`): with `x_t = x_0 + t (x_1 - x_0)`
    /// per pair, `sum_i w_i prod_k (a_k + b_k x_t)` expands into inner products of the
    /// weights with integer monomials of the pairs (one [`LazySum`] term each, no field
    /// multiplication per pair). `w` is the first round's eq table `eq(r_>0, .)`, whose
    /// entries sum to one. `None` where it does not apply.
    pub(super) fn integer_first_round(&self, pts: &[u64], w: &[Fr]) -> Option<Vec<Fr>> {
        use crate::field::LazySum;
        if self.cur_vars != self.num_vars || self.num_vars == 0 || self.terms.len() != 1 {
            return None;
        }
        let term = self.terms.first()?;
        let half = (1usize << self.cur_vars) / 2;
        if w.len() != half {
            return None;
        }
        let forms: Option<Vec<&IntForm<'_>>> =
            term.factors.iter().map(|&k| self.lazy.get(k)?.as_ref()?.form.as_ref()).collect();
        let forms = forms?;
        if forms.iter().any(|f| f.terms.iter().any(|(_, v)| v.len() != 2 * half)) {
            return None;
        }
        if let [f] = forms.as_slice() {
            return Self::linear_first_round(f, term.coeff, pts, w);
        }
        let factors: Option<Vec<Affine<'_>>> = forms.iter().map(|f| f.affine()).collect();
        let factors = factors?;
        // per factor sum w x_0 and sum w x_1, and for two factors sum w x_0 y_0,
        // sum w (x_0 dy + y_0 dx), sum w dx dy; the weights (an eq table) sum to one
        let (lin, quad): FirstRoundSums = match factors.as_slice() {
            [(_, _, x, bx), (_, _, y, by)] if *bx < 30 && *by < 30 => {
                let work = |r: std::ops::Range<usize>| -> FirstRoundSums {
                    let (mut l, mut q) = ([LazySum::default(); 4], [LazySum::default(); 3]);
                    for i in r {
                        let wi = &w[i];
                        let (x0, x1, y0, y1) = (x[2 * i], x[2 * i + 1], y[2 * i], y[2 * i + 1]);
                        let (dx, dy) = (x1 - x0, y1 - y0);
                        l[0].add(wi, x0);
                        l[1].add(wi, x1);
                        l[2].add(wi, y0);
                        l[3].add(wi, y1);
                        q[0].add(wi, x0 * y0);
                        q[1].add(wi, x0 * dy + y0 * dx);
                        q[2].add(wi, dx * dy);
                    }
                    (l, q)
                };
                par_sum(half, work)
            }
            _ => return None,
        };
        let [x0, x1, y0, y1] = lin.map(|l| l.finish());
        let [q0, q1, q2] = quad.map(|q| q.finish());
        let out = pts
            .iter()
            .map(|&t| {
                let tf = Fr::from(t);
                let xt = x0 + tf * (x1 - x0);
                let v = match factors.as_slice() {
                    [(a1, b1, ..), (a2, b2, ..)] => {
                        let yt = y0 + tf * (y1 - y0);
                        let xyt = q0 + tf * (q1 + tf * q2);
                        *a1 * *a2 + *a1 * *b2 * yt + *a2 * *b1 * xt + *b1 * *b2 * xyt
                    }
                    _ => Fr::zero(),
                };
                term.coeff * v
            })
            .collect();
        Some(out)
    }

    /// [`Self::integer_first_round`] for a single factor `a + sum_k c_k v_k`: per table
    /// `sum_i w_i v_k[2i]` and `sum_i w_i v_k[2i+1]` (the odd entries only where a point
    /// other than 0 is asked for), each a [`LazySum`] (integer multiples of the weights),
    /// combined once: `g(t) = coeff (a + sum_k c_k (s_k0 + t (s_k1 - s_k0)))`.
    fn linear_first_round(f: &IntForm<'_>, coeff: Fr, pts: &[u64], w: &[Fr]) -> Option<Vec<Fr>> {
        use crate::field::LazySum;
        if f.bits() >= 62 {
            return None;
        }
        let nt = f.terms.len();
        let odd = pts.iter().any(|&t| t != 0);
        let half = w.len();
        let work = |r: std::ops::Range<usize>| -> Vec<[LazySum; 2]> {
            let mut acc = vec![[LazySum::default(); 2]; nt];
            for ((_, v), a) in f.terms.iter().zip(acc.iter_mut()) {
                // (lengths checked by the caller: `v` has `2 w.len()` entries)
                let v = v.get(2 * r.start..2 * r.end).unwrap_or(&[]);
                let w = w.get(r.clone()).unwrap_or(&[]);
                for (pair, wi) in v.chunks_exact(2).zip(w) {
                    a[0].add(wi, pair[0]);
                    if odd {
                        a[1].add(wi, pair[1]);
                    }
                }
            }
            acc
        };
        let merge = |mut a: Vec<[LazySum; 2]>, b: Vec<[LazySum; 2]>| {
            a.iter_mut().zip(&b).for_each(|(x, y)| {
                x[0].merge(&y[0]);
                x[1].merge(&y[1]);
            });
            a
        };
        let sums = par_chunks(half, || vec![[LazySum::default(); 2]; nt], work, merge);
        if sums.len() != nt {
            return None;
        }
        let (mut x0, mut x1) = (Fr::zero(), Fr::zero());
        for ((c, _), s) in f.terms.iter().zip(&sums) {
            x0 += *c * s[0].finish();
            x1 += *c * s[1].finish();
        }
        // the weights sum to one: the constant contributes `a`
        Some(pts.iter().map(|&t| coeff * (f.a + x0 + Fr::from(t) * (x1 - x0))).collect())
    }
}
