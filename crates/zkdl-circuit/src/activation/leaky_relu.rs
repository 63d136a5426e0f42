//! LeakyReLU, `x` for `x >= 0` and `0.01 x` below, proven with the sign bits of `Z'` and
//! products, no table. In fixed point the slope is `a / 2^f` with `a = round(0.01 2^f)`:
//!
//! - forward: `A = s ⊙ Z' + round(a (1 - s) ⊙ Z' / 2^f)`;
//! - backward: `G = s ⊙ GA' + round(a (1 - s) ⊙ GA' / 2^f)`;
//!
//! each as the mask `P = s ⊙ V` (zkReLU's), the rounded product
//! `a (1 - s) ⊙ V + 2^(f-1) = 2^f N + R` (`1 - s` a virtual tensor of the FORWARD sign
//! bits, `R` of `f` bits, `N` of `Q` bits) and `P + N` (the output a virtual tensor
//! forward, a linear relation backward). Error against `f64`: `2^(-f-1)` from the
//! rounding plus `|0.01 - a 2^-f| |x|` below zero.

use super::{ActivationFn, ActivationTensors};
use crate::gadgets::RescaleSpec;
use crate::proof::{Builder, LayoutError};
use crate::relations::LinearRel;
use zkdl_core::field::{rescale_round, FixedPoint};

/// The slope below zero.
pub const LEAKY_SLOPE: f64 = 0.01;

/// LeakyReLU at a fixed point.
#[derive(Debug, Clone, Copy)]
pub struct LeakyRelu {
    /// `a`: the slope is `a / 2^f`.
    pub a: u64,
    /// `f`.
    pub frac_bits: u32,
    /// `Q`.
    pub total_bits: u32,
}

impl LeakyRelu {
    /// At `fp`.
    pub fn new(fp: FixedPoint) -> Self {
        let a = (LEAKY_SLOPE * fp.scale()).round().max(1.0) as u64;
        LeakyRelu { a, frac_bits: fp.frac_bits(), total_bits: fp.total_bits() }
    }

    fn scaled(&self, v: i64) -> i64 {
        rescale_round(v as i128 * self.a as i128, self.frac_bits).0 as i64
    }

    /// `P = s ⊙ v`, `N = round(a (1 - s) ⊙ v / 2^f)` with their relations; returns
    /// `(P, N)`.
    fn split(&self, b: &mut Builder, v: usize, sign: usize, negative: usize) -> Result<(usize, usize), LayoutError> {
        let (f, q) = (self.frac_bits, self.total_bits);
        let pos = b.product(v, sign, v, None)?;
        let neg = b.product(v, negative, v, Some(RescaleSpec { mult: self.a, shift: f, total_bits: q }))?;
        b.range_committed(neg, q, 1i64 << (q - 1))?;
        Ok((pos, neg))
    }
}

/// The `f64` derivative at `z`: 1 from zero up, [`LEAKY_SLOPE`] below.
pub fn slope_f64(z: f64) -> f64 {
    if z >= 0.0 {
        1.0
    } else {
        LEAKY_SLOPE
    }
}

impl ActivationFn for LeakyRelu {
    fn forward(&self, z: i64) -> i64 {
        if z >= 0 {
            z
        } else {
            self.scaled(z)
        }
    }

    fn backward(&self, z: i64, g: i64) -> i64 {
        if z >= 0 {
            g
        } else {
            self.scaled(g)
        }
    }

    fn forward_f64(&self, z: f64) -> f64 {
        slope_f64(z) * z
    }

    fn backward_f64(&self, z: f64, g: f64) -> f64 {
        slope_f64(z) * g
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
        let sign = sign.ok_or(LayoutError::Unsupported("LeakyReLU without the sign tensor of Z'"))?;
        let negative = b.virtual_tensor(sign, vec![(sign, -1)], 1)?;
        let (pos, neg) = self.split(b, pre, sign, negative)?;
        let out = b.virtual_tensor(pre, vec![(pos, 1), (neg, 1)], 0)?;
        // the backward pass reads the forward `1 - s` as its `derivative`
        Ok(ActivationTensors { layer, pre, sign: Some(sign), out, derivative: Some(negative) })
    }

    fn layout_backward(
        &self,
        b: &mut Builder,
        forward: &ActivationTensors,
        grad_out: usize,
        grad_pre: usize,
    ) -> Result<(), LayoutError> {
        let missing = LayoutError::Unsupported("LeakyReLU without the forward sign tensors");
        let (sign, negative) = (forward.sign.ok_or(missing)?, forward.derivative.ok_or(missing)?);
        let (pos, neg) = self.split(b, grad_out, sign, negative)?;
        b.set.linears.push(LinearRel { terms: vec![(grad_pre, 1), (pos, -1), (neg, -1)], constant: 0 });
        Ok(())
    }
}
