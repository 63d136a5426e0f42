//! Softmax cross-entropy: the loss gradient `softmax(Z') - Y` in fixed point, as the
//! trainer computes it ([`SoftmaxCe::gradient`]) and as the layout proves it
//! (`SoftmaxCe::layout`, inside the crate).
//!
//! Per row `i` of a batch (`K = 2^dl` padded outputs, the first `C` of them classes;
//! `u` the public class indicator, 1 on the classes and 0 on the padding), at scale
//! `2^f`:
//!
//! 1. the shift `c_i = max_{j < C} Z'_ij`, broadcast `M = c u^T` (zero on the padding),
//!    and `D = M - Z' >= 0` (a range check); a one-hot selector `S` (boolean, `S u = 1`:
//!    exactly one class per row) with `S ⊙ D = 0`: so `c_i` IS the row maximum, not a
//!    value the prover picks;
//! 2. `E = exp(-D)` through the function table of `e^-x` (the table activations' grid
//!    and saturation gadget, `activation::smooth`): `E` in `[0, 2^f]`;
//! 3. the row sums `s = E u` over the classes only;
//! 4. the reciprocal `v_i = floor(2^(2f) / s_i)` with its remainder:
//!    `s ⊙ v = 2^(2f) - r`, `0 <= r`, `s - r - 1 >= 0`, `0 <= v < 2^(f+1)` (all
//!    range checks, so the integer division holds without wrapping the field);
//! 5. `P = round(E ⊙ (v u^T) / 2^f)` (a rounded elementwise product with its
//!    remainder): the probabilities, zero on the padding;
//! 6. the gradient `G = P - Y`.
//!
//! Error against the exact softmax: `E` is within `2^(s-1-f) + 2^(-f-1)` of `e^-D` (the
//! table's bound), the reciprocal and the product round by one unit each.

use std::sync::Arc;

use zkdl_core::field::{rescale_round, FixedPoint};

use crate::activation::smooth::{functions::ExpNeg, Grid};
use crate::gadgets::{MatmulForm, MatmulShape, RescaleSpec};
use crate::proof::{Builder, LayoutError, TensorKind};
use crate::relations::{BoolRel, LinearRel, MaskRel};
use crate::table::{TableError, TableRef};

/// The tensors of softmax cross-entropy a training proof commits (per step; see the
/// module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LossPart {
    /// `c`, the row maxima.
    Max,
    /// `M = c u^T`.
    MaxBroadcast,
    /// `D = M - Z'`.
    Shift,
    /// The one-hot selector of each row's maximum.
    Select,
    /// `s = E u`, the row sums.
    Sum,
    /// `v = floor(2^(2f) / s)`.
    Reciprocal,
    /// `r = 2^(2f) - s v`.
    ReciprocalRem,
    /// `v u^T`.
    ReciprocalBroadcast,
    /// `P`, the probabilities.
    Prob,
}

/// What [`SoftmaxCe::gradient`] computes for one batch (row-major, `B` rows of `K`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SoftmaxTrace {
    pub max: Vec<i64>,
    pub max_broadcast: Vec<i64>,
    pub shift: Vec<i64>,
    pub select: Vec<i64>,
    pub exp: Vec<i64>,
    pub sum: Vec<i64>,
    pub reciprocal: Vec<i64>,
    pub reciprocal_rem: Vec<i64>,
    pub reciprocal_broadcast: Vec<i64>,
    pub prob: Vec<i64>,
    /// `P - Y`.
    pub grad: Vec<i64>,
}

impl SoftmaxTrace {
    /// The table of `part`.
    pub fn part(&self, part: LossPart) -> &[i64] {
        match part {
            LossPart::Max => &self.max,
            LossPart::MaxBroadcast => &self.max_broadcast,
            LossPart::Shift => &self.shift,
            LossPart::Select => &self.select,
            LossPart::Sum => &self.sum,
            LossPart::Reciprocal => &self.reciprocal,
            LossPart::ReciprocalRem => &self.reciprocal_rem,
            LossPart::ReciprocalBroadcast => &self.reciprocal_broadcast,
            LossPart::Prob => &self.prob,
        }
    }
}

/// Why a softmax gradient could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LossError {
    #[error("softmax over {classes} classes of rows of {cols}: {what}")]
    Shape { classes: usize, cols: usize, what: &'static str },
    #[error("the exponential's table: {0}")]
    Table(#[from] TableError),
    #[error("an output {shift} below its row's maximum: the proof bounds the shifts by 2^{bits}")]
    Shift { shift: i64, bits: u32 },
}

/// Softmax cross-entropy at a fixed point: the table of `e^-x` on its grid.
#[derive(Debug)]
pub struct SoftmaxCe {
    fp: FixedPoint,
    grid: Grid,
    table: TableRef,
}

impl SoftmaxCe {
    /// The loss at `fp`, its table built once per process.
    pub fn at(fp: FixedPoint) -> Result<Arc<SoftmaxCe>, TableError> {
        type Cache = std::sync::Mutex<std::collections::BTreeMap<(u32, u32), Arc<SoftmaxCe>>>;
        static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
        let key = (fp.frac_bits(), fp.total_bits());
        let cache = CACHE.get_or_init(Default::default);
        if let Some(a) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(a);
        }
        let grid = Grid::new(&ExpNeg, fp);
        let a = Arc::new(SoftmaxCe { fp, grid, table: TableRef::new(grid.table(&ExpNeg)?) });
        if let Ok(mut c) = cache.lock() {
            c.insert(key, a.clone());
        }
        Ok(a)
    }

    /// The grid of the exponential's table.
    pub fn grid(&self) -> Grid {
        self.grid
    }

    /// `e^-d` at scale `2^f` from the table (`d >= 0`).
    pub fn exp(&self, d: i64) -> i64 {
        self.grid.forward(&*self.table, (0, 0), d).unwrap_or(0)
    }

    /// The gradient of the loss at the outputs `z` (`rows x cols`, row-major, the
    /// first `classes` columns real) for targets `y`, with every intermediate the
    /// proof commits. The row maximum is the first largest class.
    pub fn gradient(&self, z: &[i64], y: &[i64], cols: usize, classes: usize) -> Result<SoftmaxTrace, LossError> {
        let shape = |what| LossError::Shape { classes, cols, what };
        if classes == 0 || classes > cols || !z.len().is_multiple_of(cols) || y.len() != z.len() {
            return Err(shape("the outputs and targets do not match"));
        }
        let f = self.fp.frac_bits();
        let one2 = 1i64.checked_shl(2 * f).ok_or(shape("2^(2f) leaves 64 bits"))?;
        let mut t = SoftmaxTrace::default();
        for (row, yrow) in z.chunks(cols).zip(y.chunks(cols)) {
            let real = row.get(..classes).ok_or(shape("a row"))?;
            let (arg, &c) = real
                .iter()
                .enumerate()
                .fold(None, |best: Option<(usize, &i64)>, (j, v)| match best {
                    Some((_, b)) if b >= v => best,
                    _ => Some((j, v)),
                })
                .ok_or(shape("no class"))?;
            let mut s = 0i64;
            let mut exps = Vec::with_capacity(cols);
            for (j, &v) in row.iter().enumerate() {
                let real = j < classes;
                let m = if real { c } else { 0 };
                let d = m - v;
                let bits = self.fp.total_bits() - 1;
                if d >= 1i64 << bits {
                    return Err(LossError::Shift { shift: d, bits });
                }
                let e = self.exp(d);
                t.max_broadcast.push(m);
                t.shift.push(d);
                t.select.push(i64::from(j == arg));
                t.exp.push(e);
                exps.push(e);
                if real {
                    s += e;
                }
            }
            if s <= 0 {
                return Err(shape("a row's exponentials sum to zero"));
            }
            let (v, r) = (one2 / s, one2 % s);
            t.max.push(c);
            t.sum.push(s);
            t.reciprocal.push(v);
            t.reciprocal_rem.push(r);
            for (j, (&e, &yv)) in exps.iter().zip(yrow).enumerate() {
                let vb = if j < classes { v } else { 0 };
                let p = rescale_round(e as i128 * vb as i128, f).0 as i64;
                t.reciprocal_broadcast.push(vb);
                t.prob.push(p);
                t.grad.push(p - yv);
            }
        }
        Ok(t)
    }

    /// The `f64` reference gradient `softmax(z) - y` of one row (`z`, `y`: its classes).
    pub fn gradient_f64(z: &[f64], y: &[f64]) -> Vec<f64> {
        let c = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = z.iter().map(|v| (v - c).exp()).collect();
        let s: f64 = e.iter().sum();
        e.iter().zip(y).map(|(e, y)| e / s - y).collect()
    }

    /// Declares the loss's tensors and relations: the gradient `grad` (`G_L`) from the
    /// last layer's output `zq` and the targets `y` (`2^(lb + dl)` entries per step, the
    /// first `classes` of each row real); `ones` is the public all-ones batch vector.
    pub(crate) fn layout(
        &self,
        b: &mut Builder,
        [zq, y, grad, ones]: [usize; 4],
        lb: usize,
        dl: usize,
        classes: usize,
    ) -> Result<(), LayoutError> {
        let (f, q) = (self.fp.frac_bits(), self.fp.total_bits());
        let u = b.stacked(TensorKind::ClassOnes { classes }, dl);
        let part =
            |b: &mut Builder, p: LossPart, wide: bool| b.stacked(TensorKind::Loss(p), lb + if wide { dl } else { 0 });
        let exact = RescaleSpec { mult: 1, shift: 0, total_bits: q };
        // a row vector against u: broadcast (u^T) or a row sum (u)
        let broadcast = MatmulShape { form: MatmulForm::NN, li: lb, lj: 0, lk: dl };
        let row_sum = MatmulShape { form: MatmulForm::NN, li: lb, lj: dl, lk: 0 };
        // 1. the shift and its maximum
        let c = part(b, LossPart::Max, false);
        let m = part(b, LossPart::MaxBroadcast, true);
        b.matmul(broadcast, exact, c, u, m, None, None, false, false)?;
        let d = part(b, LossPart::Shift, true);
        b.set.linears.push(LinearRel { terms: vec![(d, 1), (m, -1), (zq, 1)], constant: 0 });
        let sel = part(b, LossPart::Select, true);
        b.set.bools.push(BoolRel { tensor: sel });
        b.matmul(row_sum, exact, sel, u, ones, None, None, false, false)?;
        // 2. the exponential (D's signed range and its cell), and D >= 0
        let g = self.grid;
        let st = b.set.smooth(d, q, g.s, self.table.clone(), (0, 0), true)?;
        b.derived(&st.derived)?;
        b.range_committed(d, q - 1, 0)?;
        let zero = b.virtual_tensor(d, Vec::new(), 0)?;
        b.set.masks.push(MaskRel { cq: d, out: zero, planes: sel, plane: 0, rescale: None });
        let e = st.out;
        // 3. the row sums over the classes
        let s = part(b, LossPart::Sum, false);
        b.matmul(row_sum, exact, e, u, s, None, None, false, false)?;
        // 4. the reciprocal: s v = 2^(2f) - r, 0 <= r <= s - 1, 0 <= v < 2^(f+1)
        let v = part(b, LossPart::Reciprocal, false);
        b.range(v, f + 1, 0, false)?;
        let r = part(b, LossPart::ReciprocalRem, false);
        let sum_bits = f + dl as u32 + 1;
        b.range_committed(r, sum_bits, 0)?;
        let slack = b.virtual_tensor(s, vec![(s, 1), (r, -1)], -1)?;
        b.range_committed(slack, sum_bits, 0)?;
        let target = b.virtual_tensor(r, vec![(r, -1)], 1i64 << (2 * f))?;
        b.set.masks.push(MaskRel { cq: v, out: target, planes: s, plane: 0, rescale: None });
        // 5. the probabilities: E (v u^T) + 2^(f-1) = 2^f P + R
        let vb = part(b, LossPart::ReciprocalBroadcast, true);
        b.matmul(broadcast, exact, v, u, vb, None, None, false, false)?;
        let p = part(b, LossPart::Prob, true);
        b.rounded_product(e, vb, p, RescaleSpec { mult: 1, shift: f, total_bits: q })?;
        b.range(p, q, 1i64 << (q - 1), false)?;
        // 6. G = P - Y
        b.set.linears.push(LinearRel { terms: vec![(grad, 1), (p, -1), (y, 1)], constant: 0 });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// The fixed-point gradient is within a few table errors of `softmax(z) - y`, is
    /// zero on the padding, and every intermediate satisfies its relation.
    #[test]
    fn gradient_matches_the_reference() {
        let fp = FixedPoint::new(16, 32).unwrap();
        let ce = SoftmaxCe::at(fp).unwrap();
        let (cols, classes) = (16, 10);
        let mut v = 0x2545_F491_4F6C_DD1Du64;
        let mut z = Vec::new();
        let mut y = Vec::new();
        for i in 0..64 {
            for j in 0..cols {
                v ^= v << 13;
                v ^= v >> 7;
                v ^= v << 17;
                let scale = [1i64 << 14, 1 << 17, 1 << 20][i % 3];
                z.push(if j < classes { (v % (2 * scale as u64)) as i64 - scale } else { 0 });
                y.push(if j == i % classes { 1 << 16 } else { 0 });
            }
        }
        let t = ce.gradient(&z, &y, cols, classes).unwrap();
        let mut worst = 0.0f64;
        for (i, (zr, yr)) in z.chunks(cols).zip(y.chunks(cols)).enumerate() {
            let zf: Vec<f64> = zr[..classes].iter().map(|&x| fp.decode(x)).collect();
            let yf: Vec<f64> = yr[..classes].iter().map(|&x| fp.decode(x)).collect();
            let want = SoftmaxCe::gradient_f64(&zf, &yf);
            for (j, want) in want.iter().copied().chain(std::iter::repeat(0.0)).take(cols).enumerate() {
                let k = i * cols + j;
                let got = fp.decode(t.grad[k]);
                if j >= classes {
                    assert_eq!((t.prob[k], t.grad[k]), (0, 0), "padding");
                    continue;
                }
                worst = worst.max((got - want).abs());
                assert_eq!(t.shift[k], t.max[i] - z[k]);
                assert!(t.shift[k] >= 0);
            }
            assert_eq!(t.select[i * cols..(i + 1) * cols].iter().sum::<i64>(), 1);
            assert_eq!(t.sum[i] * t.reciprocal[i] + t.reciprocal_rem[i], 1 << 32);
            assert!(t.reciprocal_rem[i] < t.sum[i] && t.reciprocal[i] < 1 << 17);
        }
        // E within 2^-12 of e^-D, each P within about that of the exact probability
        assert!(worst < 2e-3, "worst {worst}");
        assert!(worst > 0.0);
    }
}
