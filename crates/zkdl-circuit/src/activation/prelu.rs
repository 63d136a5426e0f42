//! PReLU with a learned slope per unit (`alpha_j`, scale `2^f`, initially 1/4): `x` from
//! zero up, `alpha_j x` below. The slopes are a parameter of the statement like the
//! biases (`alpha^(0)`, `alpha^(T)`, chained over the steps); the layout broadcasts the
//! slopes before each step over the batch rows (`SlopeRows = 1 alpha^T`, an exact
//! product with the public ones vector). With `s = [Z' >= 0]` (zkReLU's sign bits):
//!
//! - forward: `P = s ⊙ Z'`, `Neg = Z' - P`, `N = round(SlopeRows ⊙ Neg / 2^f)`,
//!   `A = P + N`;
//! - backward: the same on `GA'` with the forward `s`: `G = s ⊙ GA' +
//!   round(SlopeRows ⊙ (GA' - s ⊙ GA') / 2^f)`;
//! - the slopes' gradient `T = Neg ⊙ GA'` (exact, scale `2^(2f)`) and update
//!   `m 1^T T + 2^(f+e-1) = 2^(f+e) Δalpha + R` (the bias update's product with the
//!   ones vector, at the weight update's rounding and `train.update_bits`), then
//!   `alpha_after = alpha_before - Δalpha`.

use super::{ActivationFn, ActivationTensors};
use crate::gadgets::{MatmulForm, MatmulShape, RescaleSpec};
use crate::proof::{Builder, LayoutError, TensorKind};
use crate::relations::{Derivation, LinearRel};
use zkdl_core::field::{rescale_round, FixedPoint};

/// The initial slope.
pub const INITIAL_SLOPE: f64 = 0.25;

/// PReLU at a fixed point (the slopes are the layer's parameter, not the activation's).
#[derive(Debug, Clone, Copy)]
pub struct Prelu {
    /// `f`.
    pub frac_bits: u32,
    /// `Q`.
    pub total_bits: u32,
}

impl Prelu {
    /// At `fp`.
    pub fn new(fp: FixedPoint) -> Self {
        Prelu { frac_bits: fp.frac_bits(), total_bits: fp.total_bits() }
    }

    /// The output at `z` with slope `alpha` (both at scale `2^f`).
    pub fn forward_with(&self, z: i64, alpha: i64) -> i64 {
        if z >= 0 {
            z
        } else {
            rescale_round(alpha as i128 * z as i128, self.frac_bits).0 as i64
        }
    }

    /// The gradient at the pre-activation `z` from `g` at the output, with slope `alpha`.
    pub fn backward_with(&self, z: i64, g: i64, alpha: i64) -> i64 {
        if z >= 0 {
            g
        } else {
            rescale_round(alpha as i128 * g as i128, self.frac_bits).0 as i64
        }
    }

    /// `P = s ⊙ v`, `Neg = v - P`, `N = round(rows ⊙ Neg / 2^f)`; returns `(P, Neg, N)`.
    fn split(&self, b: &mut Builder, v: usize, sign: usize, rows: usize) -> Result<[usize; 3], LayoutError> {
        let (f, q) = (self.frac_bits, self.total_bits);
        let pos = b.product(v, sign, v, None)?;
        let neg = b.like(TensorKind::Derived(Derivation::Affine { x: v, a: 1, y: pos, b: -1 }), v)?;
        b.set.linears.push(LinearRel { terms: vec![(neg, 1), (v, -1), (pos, 1)], constant: 0 });
        let n = b.product(neg, rows, v, Some(RescaleSpec { mult: 1, shift: f, total_bits: q }))?;
        b.range_committed(n, q, 1i64 << (q - 1))?;
        Ok([pos, neg, n])
    }
}

impl ActivationFn for Prelu {
    /// With the initial slope (the trainer calls [`Prelu::forward_with`] with the layer's).
    fn forward(&self, z: i64) -> i64 {
        self.forward_with(z, (INITIAL_SLOPE * (1u64 << self.frac_bits) as f64) as i64)
    }

    fn backward(&self, z: i64, g: i64) -> i64 {
        self.backward_with(z, g, (INITIAL_SLOPE * (1u64 << self.frac_bits) as f64) as i64)
    }

    fn forward_with_slope(&self, z: i64, alpha: i64) -> i64 {
        self.forward_with(z, alpha)
    }

    fn backward_with_slope(&self, z: i64, g: i64, alpha: i64) -> i64 {
        self.backward_with(z, g, alpha)
    }

    fn forward_f64(&self, z: f64) -> f64 {
        if z >= 0.0 {
            z
        } else {
            INITIAL_SLOPE * z
        }
    }

    fn backward_f64(&self, z: f64, g: f64) -> f64 {
        if z >= 0.0 {
            g
        } else {
            INITIAL_SLOPE * g
        }
    }

    fn needs_sign(&self) -> bool {
        true
    }

    fn layout_forward(
        &self,
        b: &mut Builder,
        layer: usize,
        pre: usize,
        sign: Option<usize>,
    ) -> Result<ActivationTensors, LayoutError> {
        let sign = sign.ok_or(LayoutError::Unsupported("PReLU without the sign tensor of Z'"))?;
        let rows = b.find(TensorKind::SlopeRows(layer)).ok_or(LayoutError::Unsupported("PReLU's slope rows"))?;
        let [pos, neg, n] = self.split(b, pre, sign, rows)?;
        let out = b.virtual_tensor(pre, vec![(pos, 1), (n, 1)], 0)?;
        // the backward pass reads the forward negative part as its `derivative`
        Ok(ActivationTensors { layer, pre, sign: Some(sign), out, derivative: Some(neg) })
    }

    fn layout_backward(
        &self,
        b: &mut Builder,
        forward: &ActivationTensors,
        grad_out: usize,
        grad_pre: usize,
    ) -> Result<(), LayoutError> {
        let missing = LayoutError::Unsupported("PReLU without its forward tensors");
        let (sign, neg) = (forward.sign.ok_or(missing)?, forward.derivative.ok_or(missing)?);
        let layer = forward.layer;
        let rows = b.find(TensorKind::SlopeRows(layer)).ok_or(missing)?;
        let [pos, _, n] = self.split(b, grad_out, sign, rows)?;
        b.set.linears.push(LinearRel { terms: vec![(grad_pre, 1), (pos, -1), (n, -1)], constant: 0 });
        // the slopes' gradient T = Neg ⊙ GA' and the update from 1^T T
        let t = b.product(neg, grad_out, neg, None)?;
        let ones = b.ones.ok_or(missing)?;
        let (vars, tau) = (b.set.vars(neg)?, b.set.vars(ones)?);
        let (lb, dout) = (tau - b.tau(), vars - tau);
        let ds = b.stacked(TensorKind::Ds(layer), dout);
        let dsr = b.stacked(TensorKind::DsRem(layer), dout);
        let shape = MatmulShape { form: MatmulForm::TN, li: 0, lj: lb, lk: dout };
        b.matmul(shape, b.param_update, ones, t, ds, Some(dsr), None, false, true)?;
        Ok(())
    }
}
