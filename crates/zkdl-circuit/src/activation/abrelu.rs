//! ABReLU (average-biased ReLU): `max(x_j - beta, 0)` with `beta` the mean of the row's
//! `n` pre-activations, not elementwise: the row statistics are proven forward and
//! backward. The layer's width `n = 2^k` is a power of two (no padded units), so the
//! mean is a shift. Per row, at scale `2^f`, with `1` the public all-ones vector of the
//! width:
//!
//! - forward: `S = Z' 1` (an exact product), `beta = round(S / 2^k)` (`S + 2^(k-1) =
//!   2^k beta + r`, `r` of `k` bits, `beta` of `Q`), `Y = Z' - beta 1^T` (the broadcast an
//!   exact product, `Y` of `Q` bits with its sign bits `s`), `A = s ⊙ Y`;
//! - backward: `dA_j / dZ'_i = s_j (delta_ij - 1/n)`, so `M = s ⊙ GA'`, `gamma =
//!   round(M 1 / 2^k)` (the same rounding) and `G = M - gamma 1^T`.

use super::{ActivationFn, ActivationTensors, Relu};
use crate::gadgets::{MatmulForm, MatmulShape, RescaleSpec};
use crate::proof::{Builder, LayoutError, TensorKind};
use crate::relations::{Derivation, LinearRel, MaskRel};
use zkdl_core::field::{rescale_round, FixedPoint};

/// ABReLU at a fixed point.
#[derive(Debug, Clone, Copy)]
pub struct AbRelu {
    /// `Q`.
    pub total_bits: u32,
}

impl AbRelu {
    /// At `fp`.
    pub fn new(fp: FixedPoint) -> Self {
        AbRelu { total_bits: fp.total_bits() }
    }

    /// `round(sum / n)` for `n` a power of two.
    fn mean(row: &[i64]) -> i64 {
        let k = row.len().max(1).trailing_zeros();
        rescale_round(row.iter().map(|&v| v as i128).sum(), k).0 as i64
    }

    /// `beta = round(v 1 / 2^k)` per row, broadcast: declares the row sums, the mean and
    /// its remainder, the broadcast; returns the broadcast tensor.
    fn row_mean(&self, b: &mut Builder, v: usize, layer: usize) -> Result<usize, LayoutError> {
        let q = self.total_bits;
        let (lb, k) = b.shape(layer)?;
        let kind = TensorKind::ClassOnes { classes: 1usize << k };
        let ones = match b.find(kind) {
            Some(t) => t,
            None => b.stacked(kind, k),
        };
        let exact = RescaleSpec { mult: 1, shift: 0, total_bits: q };
        let cols_vars = k as u32;
        let sum = b.stacked(TensorKind::Derived(Derivation::RowSum { x: v, cols_vars }), lb);
        let row_sum = MatmulShape { form: MatmulForm::NN, li: lb, lj: k, lk: 0 };
        b.matmul(row_sum, exact, v, ones, sum, None, None, false, false)?;
        let mean = b.stacked(TensorKind::Derived(Derivation::Shifted { x: sum, shift: cols_vars }), lb);
        // S - 2^k beta = r - 2^(k-1) with r in [0, 2^k): beta = round(S / 2^k)
        let rem = b.like(TensorKind::Derived(Derivation::Affine { x: sum, a: 1, y: mean, b: -(1i64 << k) }), mean)?;
        b.set.linears.push(LinearRel { terms: vec![(sum, 1), (mean, -(1i64 << k)), (rem, -1)], constant: 0 });
        let half = if k == 0 { 0 } else { 1i64 << (k - 1) };
        b.range_committed(rem, cols_vars.max(1), half)?;
        b.range_committed(mean, q, 1i64 << (q - 1))?;
        let rows = b.stacked(TensorKind::Derived(Derivation::Broadcast { x: mean, cols_vars }), lb + k);
        let broadcast = MatmulShape { form: MatmulForm::NN, li: lb, lj: 0, lk: k };
        b.matmul(broadcast, exact, mean, ones, rows, None, None, false, false)?;
        Ok(rows)
    }
}

impl ActivationFn for AbRelu {
    /// Entry by entry (no row): ReLU's; the trainer calls [`Self::forward_row`].
    fn forward(&self, z: i64) -> i64 {
        Relu.forward(z)
    }

    fn backward(&self, z: i64, g: i64) -> i64 {
        Relu.backward(z, g)
    }

    fn forward_row(&self, z: &[i64]) -> Vec<i64> {
        let beta = Self::mean(z);
        z.iter().map(|&v| (v - beta).max(0)).collect()
    }

    fn backward_row(&self, z: &[i64], g: &[i64]) -> Vec<i64> {
        let beta = Self::mean(z);
        let m: Vec<i64> = z.iter().zip(g).map(|(&v, &g)| if v - beta >= 0 { g } else { 0 }).collect();
        let gamma = Self::mean(&m);
        m.iter().map(|&v| v - gamma).collect()
    }

    fn forward_f64(&self, z: f64) -> f64 {
        Relu.forward_f64(z)
    }

    fn backward_f64(&self, z: f64, g: f64) -> f64 {
        Relu.backward_f64(z, g)
    }

    fn needs_sign(&self) -> bool {
        false
    }

    fn layout_forward(
        &self,
        b: &mut Builder,
        layer: usize,
        pre: usize,
        _sign: Option<usize>,
    ) -> Result<ActivationTensors, LayoutError> {
        let q = self.total_bits;
        let rows = self.row_mean(b, pre, layer)?;
        // Y = Z' - beta 1^T, with its sign bits
        let y = b.like(TensorKind::Derived(Derivation::Affine { x: pre, a: 1, y: rows, b: -1 }), pre)?;
        b.set.linears.push(LinearRel { terms: vec![(y, 1), (pre, -1), (rows, 1)], constant: 0 });
        let sign = b.range(y, q, 1i64 << (q - 1), true)?.ok_or(LayoutError::Unsupported("ABReLU's sign bits"))?;
        let out = b.like(TensorKind::Act(layer), pre)?;
        b.set.masks.push(MaskRel { cq: y, out, planes: sign, plane: 0, rescale: None });
        Ok(ActivationTensors { layer, pre, sign: Some(sign), out, derivative: None })
    }

    fn layout_backward(
        &self,
        b: &mut Builder,
        forward: &ActivationTensors,
        grad_out: usize,
        grad_pre: usize,
    ) -> Result<(), LayoutError> {
        let sign = forward.sign.ok_or(LayoutError::Unsupported("ABReLU without its forward sign bits"))?;
        let m = b.product(grad_out, sign, grad_out, None)?;
        let rows = self.row_mean(b, m, forward.layer)?;
        b.set.linears.push(LinearRel { terms: vec![(grad_pre, 1), (m, -1), (rows, 1)], constant: 0 });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::spec::Activation;

    /// Rows across the `Q`-bit range (half the range, so that `Z' - beta` stays within
    /// it): the fixed-point outputs and gradients are within `2^-f` of the `f64` ones
    /// (the mean's rounding) where the `f64` sign agrees, and the row's mean is exact
    /// within half a unit.
    #[test]
    fn rows_agree_with_the_reference() {
        let fp = FixedPoint::new(16, 32).unwrap();
        let act = AbRelu::new(fp);
        let mut v = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |range: u64| {
            v ^= v << 13;
            v ^= v >> 7;
            v ^= v << 17;
            (v % (2 * range)) as i64 - range as i64
        };
        for width in [1usize, 2, 8, 64] {
            for scale in [1u64 << 10, 1 << 20, 1 << 30] {
                let z: Vec<i64> = (0..width).map(|_| next(scale)).collect();
                let g: Vec<i64> = (0..width).map(|_| next(1 << 18)).collect();
                let (zf, gf): (Vec<f64>, Vec<f64>) =
                    (z.iter().map(|&x| fp.decode(x)).collect(), g.iter().map(|&x| fp.decode(x)).collect());
                let (a, af) = (act.forward_row(&z), Activation::AbRelu.forward_row_f64(&zf));
                let (d, df) = (act.backward_row(&z, &g), Activation::AbRelu.backward_row_f64(&zf, &gf));
                let beta = zf.iter().sum::<f64>() / width as f64;
                for j in 0..width {
                    // the sign may differ within the mean's rounding of zero
                    if (zf[j] - beta).abs() <= 1.0 / fp.scale() {
                        continue;
                    }
                    assert!((fp.decode(a[j]) - af[j]).abs() <= 1.0 / fp.scale(), "forward");
                    assert!((fp.decode(d[j]) - df[j]).abs() <= 1.0 / fp.scale(), "backward {} {}", d[j], df[j]);
                }
            }
        }
    }
}
