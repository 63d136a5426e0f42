//! Elliott's activation `x / (1 + |x|)`, proven with the sign bits of `Z'`, an
//! elementwise division with its remainder and products, no table (its distance from
//! the asymptotes, `1 / (1 + |x|)`, is too slow to saturate a table). At scale `2^f`
//! (`z = Z'`, `s = [z >= 0]`, `2s - 1` the sign):
//!
//! - forward: `|z| = (2s - 1) ⊙ z`, `d = 2^f + |z|` and `y = floor(2^f z / d)`, proven as
//!   `d ⊙ y = W`, `W - 2^f z + r = 0`, `0 <= r` and `d - r - 1 >= 0` (ranges of `Q` bits),
//!   `y` of `f + 2` bits: the integer division, with no wrap around `p`;
//! - backward: `f'(x) = 1 / (1 + |x|)^2 = (1 - |y|)^2`, so `t = 2^f - (2s - 1) ⊙ y`,
//!   `D = round(t ⊙ t / 2^f)` and `G = round(GA' ⊙ D / 2^f)` (rounded products with
//!   their remainders of `f` bits).
//!
//! Error against `f64`: `2^-f` for `y` (the floor), about `3 2^-f` for `f'`.

use super::{ActivationFn, ActivationTensors};
use crate::gadgets::RescaleSpec;
use crate::proof::{Builder, LayoutError, TensorKind};
use crate::relations::{Derivation, LinearRel};
use zkdl_core::field::{rescale_round, FixedPoint};

/// Elliott's activation at a fixed point.
#[derive(Debug, Clone, Copy)]
pub struct Elliott {
    /// `f`.
    pub frac_bits: u32,
    /// `Q`.
    pub total_bits: u32,
}

impl Elliott {
    /// At `fp`.
    pub fn new(fp: FixedPoint) -> Self {
        Elliott { frac_bits: fp.frac_bits(), total_bits: fp.total_bits() }
    }

    /// `D(z)`, the derivative at scale `2^f` from the output.
    fn derivative(&self, z: i64) -> i64 {
        let t = (1i64 << self.frac_bits) - self.forward(z).abs();
        rescale_round(t as i128 * t as i128, self.frac_bits).0 as i64
    }
}

/// `f'(x)` of `x / (1 + |x|)`.
pub fn derivative_f64(z: f64) -> f64 {
    1.0 / ((1.0 + z.abs()) * (1.0 + z.abs()))
}

impl ActivationFn for Elliott {
    fn forward(&self, z: i64) -> i64 {
        let d = (1i128 << self.frac_bits) + (z as i128).abs();
        ((z as i128) << self.frac_bits).div_euclid(d) as i64
    }

    fn backward(&self, z: i64, g: i64) -> i64 {
        rescale_round(g as i128 * self.derivative(z) as i128, self.frac_bits).0 as i64
    }

    fn forward_f64(&self, z: f64) -> f64 {
        z / (1.0 + z.abs())
    }

    fn backward_f64(&self, z: f64, g: f64) -> f64 {
        g * derivative_f64(z)
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
        let (f, q) = (self.frac_bits, self.total_bits);
        let sign = sign.ok_or(LayoutError::Unsupported("Elliott without the sign tensor of Z'"))?;
        let signed = b.virtual_tensor(sign, vec![(sign, 2)], -1)?;
        let abs = b.product(pre, signed, pre, None)?;
        let d = b.virtual_tensor(pre, vec![(abs, 1)], 1i64 << f)?;
        let y = b.like(TensorKind::Act(layer), pre)?;
        let w = b.product(y, d, pre, None)?;
        // r = 2^f z - d y with 0 <= r <= d - 1: y = floor(2^f z / d)
        let r = b.like(TensorKind::Derived(Derivation::Affine { x: pre, a: 1i64 << f, y: w, b: -1 }), pre)?;
        b.set.linears.push(LinearRel { terms: vec![(w, 1), (pre, -(1i64 << f)), (r, 1)], constant: 0 });
        b.range_committed(r, q, 0)?;
        let slack = b.virtual_tensor(pre, vec![(abs, 1), (r, -1)], (1i64 << f) - 1)?;
        b.range_committed(slack, q, 0)?;
        b.range(y, f + 2, 1i64 << (f + 1), false)?;
        Ok(ActivationTensors { layer, pre, sign: Some(sign), out: y, derivative: Some(signed) })
    }

    fn layout_backward(
        &self,
        b: &mut Builder,
        forward: &ActivationTensors,
        grad_out: usize,
        grad_pre: usize,
    ) -> Result<(), LayoutError> {
        let (f, q) = (self.frac_bits, self.total_bits);
        let signed = forward.derivative.ok_or(LayoutError::Unsupported("Elliott without its forward sign"))?;
        let y = forward.out;
        // t = 2^f - |y|, D = round(t t / 2^f), G = round(GA' D / 2^f)
        let abs_y = b.product(y, signed, y, None)?;
        let t = b.virtual_tensor(y, vec![(abs_y, -1)], 1i64 << f)?;
        let spec = RescaleSpec { mult: 1, shift: f, total_bits: q };
        let d = b.product(t, t, y, Some(spec))?;
        b.range_committed(d, f + 2, 0)?;
        b.rounded_product(grad_out, d, grad_pre, spec)?;
        b.range(grad_pre, q, 1i64 << (q - 1), false)?;
        Ok(())
    }
}
