//! Activations: what a layer applies to its rescaled pre-activation `Z'`, as the
//! trainer computes it (fixed point, and an `f64` twin) and as the proof's layout
//! proves it. One module per activation; [`Activation::function`] picks it.
//!
//! Adding an activation: a variant of [`Activation`] (its digest code and TOML name in
//! `spec.rs` and `toml_spec.rs`), a module here implementing [`ActivationFn`], and its
//! line in [`Activation::function`]. The trainer (`zkdl_prover::train`) and the layout
//! (`proof::training_layout`) call only the trait.

pub mod abrelu;
pub mod elliott;
mod identity;
pub mod leaky_relu;
pub mod prelu;
mod relu;
pub mod smooth;

pub use abrelu::AbRelu;
pub use elliott::Elliott;
pub use identity::Identity;
pub use leaky_relu::{LeakyRelu, LEAKY_SLOPE};
pub use prelu::Prelu;
pub use relu::Relu;

use zkdl_core::field::FixedPoint;

use crate::proof::{Builder, LayoutError};
use crate::spec::Activation;

/// The tensors of one layer's activation in the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivationTensors {
    /// The layer.
    pub layer: usize,
    /// `Z'`, the rescaled pre-activation (a stack over the steps).
    pub pre: usize,
    /// The sign bits `[Z' >= 0]` of `Z'`'s range, when [`ActivationFn::needs_sign`].
    pub sign: Option<usize>,
    /// The layer's output `A`.
    pub out: usize,
    /// The factor of the backward product: `f'(Z')` as a table activation looks it up,
    /// or LeakyReLU's `1 - s`.
    pub derivative: Option<usize>,
}

/// An activation, applied entrywise.
pub trait ActivationFn: Send + Sync {
    /// The output at the pre-activation `z` (fixed point, both at scale `2^f`).
    fn forward(&self, z: i64) -> i64;
    /// The gradient at the pre-activation from `g`, the gradient at the output (fixed
    /// point, scale `2^f`), at the pre-activation `z`.
    fn backward(&self, z: i64, g: i64) -> i64;
    /// [`Self::forward`] in `f64` (the reference model).
    fn forward_f64(&self, z: f64) -> f64;
    /// [`Self::backward`] in `f64`.
    fn backward_f64(&self, z: f64, g: f64) -> f64;
    /// The outputs of one row of pre-activations (the layer's width): [`Self::forward`]
    /// entry by entry, or a row statistic's activation (ABReLU).
    fn forward_row(&self, z: &[i64]) -> Vec<i64> {
        z.iter().map(|&v| self.forward(v)).collect()
    }
    /// The gradients at one row of pre-activations `z` from those at the outputs `g`.
    fn backward_row(&self, z: &[i64], g: &[i64]) -> Vec<i64> {
        z.iter().zip(g).map(|(&z, &g)| self.backward(z, g)).collect()
    }
    /// [`Self::forward`] with the layer's learned slope `alpha` (scale `2^f`; PReLU);
    /// activations without one ignore it.
    fn forward_with_slope(&self, z: i64, _alpha: i64) -> i64 {
        self.forward(z)
    }
    /// [`Self::backward`] with the layer's learned slope `alpha`.
    fn backward_with_slope(&self, z: i64, g: i64, _alpha: i64) -> i64 {
        self.backward(z, g)
    }
    /// Whether the layout proves it with the sign bits of `Z'`'s range (zkReLU).
    fn needs_sign(&self) -> bool;
    /// Whether it declares `Z'`'s range itself (instead of the forward matmul).
    fn ranges_pre(&self) -> bool {
        false
    }
    /// Declares the layer's output and the relations that tie it to `Z'`
    /// (`sign`: the sign tensor of `Z'`, when [`Self::needs_sign`]).
    fn layout_forward(
        &self,
        b: &mut Builder,
        layer: usize,
        pre: usize,
        sign: Option<usize>,
    ) -> Result<ActivationTensors, LayoutError>;
    /// The relations of the backward pass: `grad_pre` (the gradient at `Z'`) from
    /// `grad_out` (the rescaled gradient at the output).
    fn layout_backward(
        &self,
        b: &mut Builder,
        forward: &ActivationTensors,
        grad_out: usize,
        grad_pre: usize,
    ) -> Result<(), LayoutError>;
}

impl Activation {
    /// The activation's implementation at the fixed point `fp` (a table activation's
    /// table is built once per process).
    pub fn function(self, fp: FixedPoint) -> Result<std::sync::Arc<dyn ActivationFn>, crate::table::TableError> {
        Ok(match self {
            Activation::Relu => std::sync::Arc::new(Relu),
            Activation::LeakyRelu => std::sync::Arc::new(LeakyRelu::new(fp)),
            Activation::Elliott => std::sync::Arc::new(Elliott::new(fp)),
            Activation::Prelu => std::sync::Arc::new(Prelu::new(fp)),
            Activation::AbRelu => std::sync::Arc::new(AbRelu::new(fp)),
            Activation::Identity => std::sync::Arc::new(Identity),
            Activation::Smooth(k) => k.activation(fp)?,
        })
    }

    /// The `f64` reference output at `z` (no table).
    pub fn forward_f64(self, z: f64) -> f64 {
        match self {
            Activation::Relu => Relu.forward_f64(z),
            Activation::LeakyRelu => leaky_relu::slope_f64(z) * z,
            Activation::Elliott => z / (1.0 + z.abs()),
            Activation::Prelu => z.max(0.0) + prelu::INITIAL_SLOPE * z.min(0.0),
            Activation::AbRelu => z.max(0.0),
            Activation::Identity => z,
            Activation::Smooth(k) => k.function().f(z),
        }
    }

    /// The `f64` reference outputs of one row of pre-activations (ABReLU subtracts the
    /// row's mean first).
    pub fn forward_row_f64(self, z: &[f64]) -> Vec<f64> {
        match self {
            Activation::AbRelu => {
                let beta = z.iter().sum::<f64>() / z.len().max(1) as f64;
                z.iter().map(|&v| (v - beta).max(0.0)).collect()
            }
            _ => z.iter().map(|&v| self.forward_f64(v)).collect(),
        }
    }

    /// The `f64` reference gradients at one row of pre-activations from those at the
    /// outputs.
    pub fn backward_row_f64(self, z: &[f64], g: &[f64]) -> Vec<f64> {
        match self {
            Activation::AbRelu => {
                let n = z.len().max(1) as f64;
                let beta = z.iter().sum::<f64>() / n;
                let m: Vec<f64> = z.iter().zip(g).map(|(&v, &g)| if v - beta > 0.0 { g } else { 0.0 }).collect();
                let gamma = m.iter().sum::<f64>() / n;
                m.iter().map(|&v| v - gamma).collect()
            }
            _ => z.iter().zip(g).map(|(&z, &g)| self.backward_f64(z, g)).collect(),
        }
    }

    /// The `f64` reference gradient at `z` from `g` at the output.
    pub fn backward_f64(self, z: f64, g: f64) -> f64 {
        match self {
            Activation::Relu => Relu.backward_f64(z, g),
            Activation::LeakyRelu => leaky_relu::slope_f64(z) * g,
            Activation::Elliott => elliott::derivative_f64(z) * g,
            Activation::Prelu => {
                if z >= 0.0 {
                    g
                } else {
                    prelu::INITIAL_SLOPE * g
                }
            }
            Activation::AbRelu => Relu.backward_f64(z, g),
            Activation::Identity => g,
            Activation::Smooth(k) => g * k.function().df(z),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// The arithmetic activations agree with their `f64` references over the whole
    /// `Q`-bit range within their documented bounds: LeakyReLU `2^(-f-1) + |0.01 - a
    /// 2^-f| |x|` (value) and `|0.01 - a 2^-f|` (derivative), Elliott `2^-f` and `3 2^-f`.
    #[test]
    fn arithmetic_activations_agree_with_the_reference() {
        let fp = FixedPoint::new(16, 32).unwrap();
        let ulp = 1.0 / fp.scale();
        let leaky = LeakyRelu::new(fp);
        let slope_err = (LEAKY_SLOPE - leaky.a as f64 * ulp).abs();
        let mut z: Vec<i64> = (-70_000..70_000).step_by(7).collect();
        let mut v = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            v ^= v << 13;
            v ^= v >> 7;
            v ^= v << 17;
            z.push((v % (1 << 32)) as i64 - (1 << 31));
        }
        z.extend([-(1i64 << 31), (1 << 31) - 1, 0, -1, 1]);
        // (activation, bounds on the value's and the derivative's error at x)
        type Bounds<'a> = &'a dyn Fn(f64) -> (f64, f64);
        let cases: [(&dyn ActivationFn, Bounds<'_>); 2] = [
            (&leaky, &|x: f64| (ulp / 2.0 + slope_err * x.abs(), slope_err + ulp / 2.0)),
            (&Elliott::new(fp), &|_| (ulp, 3.0 * ulp)),
        ];
        for (act, bound) in cases {
            for &z in &z {
                let x = fp.decode(z);
                let (bv, bd) = bound(x);
                let got = fp.decode(act.forward(z));
                assert!((got - act.forward_f64(x)).abs() <= bv, "forward at {x}: {got}");
                let d = fp.decode(act.backward(z, 1 << 16));
                assert!((d - act.backward_f64(x, 1.0)).abs() <= bd, "derivative at {x}: {d}");
            }
        }
    }
}
