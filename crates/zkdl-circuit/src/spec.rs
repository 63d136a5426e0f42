//! The circuit specification and its digest.
//!
//! Semantics of one training step (DESIGN §3), for layers `l = 1..L` with weights
//! `W_l` (`d_{l-1} x d_l`) and optional bias `b_l`, all integers at scale `2^f`:
//!
//! 1. `Z_l = A_{l-1} W_l + 2^f b_l`                      (scale `2^2f`)
//! 2. `Z_l + 2^(f-1) = 2^f Z'_l + R_l`, `0 <= R_l < 2^f`, `Z'_l` a `Q`-bit value
//! 3. hidden layers: `A_l = s_l ⊙ Z'_l` with `s_l = [Z'_l >= 0]`; the last layer's
//!    output is `Z'_L`
//! 4. `G_L = Z'_L - Y` (the gradient of `1/2 sum ||out - y||^2`, summed over the batch)
//! 5. `GA_{l-1} = G_l W_l^T` rescaled like (2) into `GA'_{l-1}` (for `l >= 2`)
//! 6. `G_{l-1} = s_{l-1} ⊙ GA'_{l-1}`
//! 7. `GW_l = A_{l-1}^T G_l` (scale `2^2f`), `Gb_l = sum over the batch of G_l` (scale `2^f`)
//! 8. SGD with `eta = m 2^-e`: `m GW_l + 2^(f+e-1) = 2^(f+e) ΔW_l + RW_l`,
//!    `0 <= RW_l < 2^(f+e)`, `W_l <- W_l - ΔW_l`; bias: `m Gb_l + 2^(e-1) = 2^e Δb_l + Rb_l`.

use sha2::{Digest, Sha256};
use thiserror::Error;
use zkdl_core::field::FixedPoint;

/// Errors in a circuit specification.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SpecError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> SpecError {
    SpecError::Invalid { field, reason: reason.into() }
}

/// Activation after a dense layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// zkReLU.
    Relu,
    /// LeakyReLU (slope 0.01 below zero), from the sign bits and products.
    LeakyRelu,
    /// Elliott's `x / (1 + |x|)`, from the sign bits, a division and products.
    Elliott,
    /// PReLU: `x` from zero up, `alpha_j x` below, with a learned slope `alpha` per unit
    /// (initially 1/4), a parameter of the statement like the biases.
    Prelu,
    /// ABReLU: `max(x - mean of the row, 0)`, the row's mean proven forward and backward
    /// (power-of-two width).
    AbRelu,
    /// No activation (the last layer's; a hidden layer may have it too).
    Identity,
    /// A smooth activation through a function table (`activation::smooth`).
    Smooth(crate::activation::smooth::SmoothKind),
}

impl Activation {
    fn code(self) -> u8 {
        match self {
            Activation::Relu => 1,
            Activation::LeakyRelu => 2,
            Activation::Elliott => 3,
            Activation::Prelu => 4,
            Activation::AbRelu => 5,
            Activation::Identity => 0,
            Activation::Smooth(k) => 16 + k as u8,
        }
    }

    /// The name in circuit files.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::LeakyRelu => "leaky_relu",
            Activation::Elliott => "elliott",
            Activation::Prelu => "prelu",
            Activation::AbRelu => "abrelu",
            Activation::Identity => "identity",
            Activation::Smooth(k) => k.function().name(),
        }
    }

    /// The activation named `name` in circuit files.
    pub fn from_name(name: &str) -> Option<Activation> {
        match name {
            "relu" => Some(Activation::Relu),
            "leaky_relu" => Some(Activation::LeakyRelu),
            "elliott" => Some(Activation::Elliott),
            "prelu" => Some(Activation::Prelu),
            "abrelu" => Some(Activation::AbRelu),
            "identity" => Some(Activation::Identity),
            _ => crate::activation::smooth::SmoothKind::ALL
                .iter()
                .find(|k| k.function().name() == name)
                .map(|&k| Activation::Smooth(k)),
        }
    }
}

/// One dense layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LayerSpec {
    pub width: usize,
    pub activation: Activation,
    pub bias: bool,
}

/// The network: input width and dense layers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelSpec {
    pub input_dim: usize,
    pub layers: Vec<LayerSpec>,
}

/// Fixed point: `f` fractional bits in `Q`-bit signed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FixedSpec {
    pub frac_bits: u32,
    pub total_bits: u32,
}

/// Loss function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Loss {
    /// `1/2 sum ||out - y||^2` over the batch (targets one-hot or real).
    Mse,
    /// Softmax cross-entropy over the first `classes` outputs (the last layer's width;
    /// one-hot targets), summed over the batch: the gradient `softmax(out) - y`
    /// (`crate::loss`).
    SoftmaxCrossEntropy { classes: usize },
}

impl Loss {
    /// The name in circuit files.
    pub fn name(self) -> &'static str {
        match self {
            Loss::Mse => "mse",
            Loss::SoftmaxCrossEntropy { .. } => "softmax_cross_entropy",
        }
    }
}

/// How input data is prepared before it is encoded in fixed point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Normalize {
    /// Values as loaded (MNIST pixels are already scaled to `[0, 1]`).
    #[default]
    None,
    /// Every feature (and real-valued targets) to mean 0, standard deviation 1, with
    /// statistics of the training rows.
    Standardize,
}

/// Training parameters: learning rate `m 2^-e`, batch size, number of steps, loss,
/// and the data normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TrainSpec {
    pub lr_mantissa: u64,
    pub lr_shift: u32,
    pub batch: usize,
    pub steps: usize,
    pub loss: Loss,
    pub normalize: Normalize,
    /// Signed bit width of every weight and bias update (`ΔW`, `Δb` at scale `2^f`), at
    /// most `fixed.total_bits`. The proof range-checks each update to this width, so
    /// 16 bits (updates below 0.5 at `f = 16`) commit one digit instead of two;
    /// training refuses, with a clear error, an update that does not fit. With
    /// `exact_update`, only bias updates (weight updates are exact, not range-checked).
    pub update_bits: u32,
    /// Exact SGD: weights carry `2f + e` fractional bits (`f = fixed.frac_bits`,
    /// `e = lr_shift`), so `ΔW = m A^T G` (scale `2^(2f)` times `m 2^-e`) is applied
    /// without rounding and the proof needs no range check at weight size. Forward and
    /// backward products rescale by `2^(2f+e)` instead of `2^f`; biases stay at `2^f`.
    pub exact_update: bool,
    /// Signed bit width of the initial weights at scale `2^f` (`fixed.frac_bits`): a
    /// first proof range-checks `W(0) = 2^(fw - f) w` with `-2^(init_bits-1) <= w <
    /// 2^(init_bits-1)` (`fw` the weights' fractional bits), one lookup per weight.
    pub init_bits: u32,
    /// Signed bit width of every input feature at scale `2^f` (at most
    /// `fixed.total_bits`, its default); the proof range-checks every `X_t` to it and
    /// every target `Y_t` to `fixed.total_bits`.
    pub data_bits: u32,
}

/// Largest [`TrainSpec::init_bits`]: one 16-bit lookup per weight.
pub const MAX_INIT_BITS: u32 = 16;

/// Everything a proof is about, except the data and weights themselves.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CircuitSpec {
    pub name: String,
    pub model: ModelSpec,
    pub fixed: FixedSpec,
    pub train: TrainSpec,
}

/// Largest supported dimension (tensors are padded to powers of two).
pub const MAX_DIM: usize = 1 << 16;
/// Largest supported number of layers.
pub const MAX_LAYERS: usize = 64;
/// Largest supported number of steps in one proof.
pub const MAX_STEPS: usize = 1 << 16;
/// Largest signed width of a weight with [`TrainSpec::exact_update`] (an `i64`, and a
/// forward rescale within the proof's range relations).
pub const MAX_WEIGHT_BITS: u32 = 62;

impl CircuitSpec {
    /// Checks every constraint the prover and verifier rely on.
    pub fn validate(&self) -> Result<(), SpecError> {
        let m = &self.model;
        if m.input_dim == 0 || m.input_dim > MAX_DIM {
            return Err(invalid("model.input_dim", format!("must be in 1..={MAX_DIM}, got {}", m.input_dim)));
        }
        if m.layers.is_empty() || m.layers.len() > MAX_LAYERS {
            return Err(invalid("model.layers", format!("need 1..={MAX_LAYERS} layers, got {}", m.layers.len())));
        }
        for (i, l) in m.layers.iter().enumerate() {
            if l.width == 0 || l.width > MAX_DIM {
                return Err(invalid(
                    "model.layers.width",
                    format!("layer {i}: must be in 1..={MAX_DIM}, got {}", l.width),
                ));
            }
            let last = i + 1 == m.layers.len();
            if last && l.activation != Activation::Identity {
                return Err(invalid("model.layers.activation", "the last layer must have no activation (identity)"));
            }
            // products held in 64 bits: the slope's gradient (two Q-bit values), Elliott's
            // 2^f z, ABReLU's row sums; a table's span below Q
            let (f, q) = (self.fixed.frac_bits, self.fixed.total_bits);
            let log_width = l.width.next_power_of_two().trailing_zeros();
            let wide = match l.activation {
                Activation::Prelu => (q > 32).then_some("fixed.total_bits <= 32"),
                Activation::Elliott => (f + q > 60).then_some("fixed.frac_bits + fixed.total_bits <= 60"),
                Activation::AbRelu => (q + log_width > 62).then_some("fixed.total_bits + log2(width) <= 62"),
                Activation::Smooth(k) => (q <= f + k.function().range_log2() + 1)
                    .then_some("fixed.total_bits above the table's span (frac_bits + its range + 1)"),
                _ => None,
            };
            if let Some(need) = wide {
                let name = l.activation.name();
                return Err(invalid("model.layers.activation", format!("layer {i}: {name} needs {need}")));
            }
            // a table activation's value at zero is not zero: no padded entries
            let unpadded = l.width.is_power_of_two() && self.train.batch.is_power_of_two();
            if l.activation == Activation::AbRelu && !l.width.is_power_of_two() {
                return Err(invalid(
                    "model.layers.activation",
                    format!("layer {i}: ABReLU needs a power-of-two width (its row mean is a shift)"),
                ));
            }
            if matches!(l.activation, Activation::Smooth(_)) && !unpadded {
                return Err(invalid(
                    "model.layers.activation",
                    format!("layer {i}: a table activation needs a power-of-two width and batch size"),
                ));
            }
        }
        let f = &self.fixed;
        FixedPoint::new(f.frac_bits, f.total_bits).map_err(|e| invalid("fixed", e.to_string()))?;
        if f.frac_bits == 0 || f.frac_bits > 40 {
            return Err(invalid("fixed.frac_bits", format!("must be in 1..=40, got {}", f.frac_bits)));
        }
        if f.total_bits > 48 {
            return Err(invalid(
                "fixed.total_bits",
                format!("at most 48 (products must fit the field with headroom), got {}", f.total_bits),
            ));
        }
        let t = &self.train;
        if t.lr_mantissa == 0 || t.lr_mantissa >= 1 << 16 {
            return Err(invalid("train.lr_mantissa", format!("must be in 1..65536, got {}", t.lr_mantissa)));
        }
        if t.lr_shift == 0 || t.lr_shift > 32 {
            return Err(invalid("train.lr_shift", format!("must be in 1..=32, got {}", t.lr_shift)));
        }
        if t.update_bits < 2 || t.update_bits > f.total_bits {
            return Err(invalid(
                "train.update_bits",
                format!("must be in 2..={} (fixed.total_bits), got {}", f.total_bits, t.update_bits),
            ));
        }
        if t.init_bits < 2 || t.init_bits > MAX_INIT_BITS {
            return Err(invalid("train.init_bits", format!("must be in 2..={MAX_INIT_BITS}, got {}", t.init_bits)));
        }
        if t.data_bits < 2 || t.data_bits > f.total_bits {
            return Err(invalid(
                "train.data_bits",
                format!("must be in 2..={} (fixed.total_bits), got {}", f.total_bits, t.data_bits),
            ));
        }
        if t.exact_update {
            let qw = self.weight_point()?.total_bits();
            if qw > MAX_WEIGHT_BITS {
                return Err(invalid(
                    "train.exact_update",
                    format!("weights of total_bits + frac_bits + lr_shift = {qw} bits; at most {MAX_WEIGHT_BITS}"),
                ));
            }
        }
        if t.batch == 0 || t.batch > MAX_DIM {
            return Err(invalid("train.batch", format!("must be in 1..={MAX_DIM}, got {}", t.batch)));
        }
        if let Loss::SoftmaxCrossEntropy { classes } = t.loss {
            let width = m.layers.last().map_or(0, |l| l.width);
            if classes < 2 || classes != width {
                return Err(invalid(
                    "train.loss",
                    format!("softmax cross-entropy over {classes} classes: all {width} outputs, at least 2"),
                ));
            }
            // 2^(2f) in 64 bits; the exponential's table spans f + 5 bits below Q
            let (f, q) = (self.fixed.frac_bits, self.fixed.total_bits);
            if f > 30 || q < f + 6 {
                return Err(invalid(
                    "train.loss",
                    "softmax cross-entropy needs frac_bits <= 30, total_bits >= frac_bits + 6",
                ));
            }
            // every row of a padded batch, and every padded step of a proof, would add a
            // softmax to the gradient
            if !t.batch.is_power_of_two() || !t.steps.is_power_of_two() {
                return Err(invalid(
                    "train.loss",
                    "softmax cross-entropy needs a power-of-two batch size and number of steps",
                ));
            }
        }
        if t.steps == 0 || t.steps > MAX_STEPS {
            return Err(invalid("train.steps", format!("must be in 1..={MAX_STEPS}, got {}", t.steps)));
        }
        if self.name.len() > 256 {
            return Err(invalid("name", "at most 256 bytes"));
        }
        Ok(())
    }

    /// The fixed-point type of this circuit (data, activations, gradients, biases).
    pub fn fixed_point(&self) -> Result<FixedPoint, SpecError> {
        FixedPoint::new(self.fixed.frac_bits, self.fixed.total_bits).map_err(|e| invalid("fixed", e.to_string()))
    }

    /// Fractional bits of the weights: `f`, or `2f + e` with [`TrainSpec::exact_update`].
    pub fn weight_frac_bits(&self) -> u32 {
        match self.train.exact_update {
            true => self.fixed.frac_bits.saturating_mul(2).saturating_add(self.train.lr_shift),
            false => self.fixed.frac_bits,
        }
    }

    /// The fixed-point type of the weights: [`CircuitSpec::weight_frac_bits`]
    /// fractional bits and the activations' integer bits.
    pub fn weight_point(&self) -> Result<FixedPoint, SpecError> {
        let fw = self.weight_frac_bits();
        let qw = self.fixed.total_bits.saturating_add(fw.saturating_sub(self.fixed.frac_bits));
        FixedPoint::new(fw, qw).map_err(|e| invalid("fixed", e.to_string()))
    }

    /// Layer dimensions `d_0 = input_dim, d_1, ..., d_L`.
    pub fn dims(&self) -> Vec<usize> {
        std::iter::once(self.model.input_dim).chain(self.model.layers.iter().map(|l| l.width)).collect()
    }

    /// Number of weights (and biases).
    pub fn num_params(&self) -> usize {
        let d = self.dims();
        self.model.layers.iter().enumerate().map(|(i, l)| d[i] * d[i + 1] + if l.bias { d[i + 1] } else { 0 }).sum()
    }

    /// A stable SHA-256 digest of a canonical encoding of everything in the spec
    /// (the name included), versioned.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"zkdl/circuit/v2");
        let mut put = |x: u64| h.update(x.to_le_bytes());
        put(self.name.len() as u64);
        put(self.model.input_dim as u64);
        put(self.model.layers.len() as u64);
        for l in &self.model.layers {
            put(l.width as u64);
            put(l.activation.code() as u64);
            put(l.bias as u64);
        }
        put(self.fixed.frac_bits as u64);
        put(self.fixed.total_bits as u64);
        put(self.train.lr_mantissa);
        put(self.train.lr_shift as u64);
        put(self.train.batch as u64);
        put(self.train.steps as u64);
        match self.train.loss {
            Loss::Mse => put(1),
            Loss::SoftmaxCrossEntropy { classes } => {
                put(2);
                put(classes as u64);
            }
        }
        put(match self.train.normalize {
            Normalize::None => 0,
            Normalize::Standardize => 1,
        });
        put(self.train.update_bits as u64);
        put(self.train.exact_update as u64);
        put(self.train.init_bits as u64);
        put(self.train.data_bits as u64);
        h.update(self.name.as_bytes());
        h.finalize().into()
    }

    /// A small spec for tests and the quick-start: `input -> hidden... -> out`.
    pub fn mlp(
        name: &str,
        input_dim: usize,
        hidden: &[usize],
        out: usize,
        bias: bool,
        batch: usize,
        steps: usize,
    ) -> Self {
        let mut layers: Vec<LayerSpec> =
            hidden.iter().map(|&w| LayerSpec { width: w, activation: Activation::Relu, bias }).collect();
        layers.push(LayerSpec { width: out, activation: Activation::Identity, bias });
        CircuitSpec {
            name: name.to_string(),
            model: ModelSpec { input_dim, layers },
            fixed: FixedSpec { frac_bits: 16, total_bits: 32 },
            train: TrainSpec {
                lr_mantissa: 1,
                lr_shift: 8,
                batch,
                steps,
                loss: Loss::Mse,
                normalize: Normalize::None,
                update_bits: 16,
                exact_update: false,
                init_bits: 16,
                data_bits: 32,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_and_digest() {
        let s = CircuitSpec::mlp("t", 8, &[4], 2, true, 4, 2);
        s.validate().unwrap();
        assert_eq!(s.dims(), vec![8, 4, 2]);
        assert_eq!(s.num_params(), 8 * 4 + 4 + 4 * 2 + 2);
        let d = s.digest();
        assert_eq!(d, s.clone().digest());
        let mut s2 = s.clone();
        s2.train.steps = 3;
        assert_ne!(s2.digest(), d);
        let mut s3 = s.clone();
        s3.model.layers[0].bias = false;
        assert_ne!(s3.digest(), d);
        let mut bad = s.clone();
        bad.model.layers[1].activation = Activation::Relu;
        assert!(bad.validate().is_err());
        let mut bad = s.clone();
        bad.train.batch = 0;
        assert!(bad.validate().is_err());
        let mut s4 = s.clone();
        s4.train.update_bits = 20;
        assert_ne!(s4.digest(), d);
        let mut bad = s.clone();
        bad.train.update_bits = 33;
        assert!(bad.validate().is_err());
        let mut ex = s.clone();
        ex.train.exact_update = true;
        ex.validate().unwrap();
        assert_ne!(ex.digest(), d);
        assert_eq!((ex.weight_frac_bits(), s.weight_frac_bits()), (2 * 16 + 8, 16));
        assert_eq!(ex.weight_point().unwrap().total_bits(), 32 + 16 + 8);
        let mut bad = ex.clone();
        bad.train.lr_shift = 15;
        assert!(bad.validate().is_err());
        let mut bad = s;
        bad.fixed.total_bits = 64;
        assert!(bad.validate().is_err());
    }
}
