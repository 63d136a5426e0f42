//! Circuit files (`circuits/*.toml`): the user-editable form of a [`CircuitSpec`].
//!
//! ```toml
//! name = "tiny"
//! [model]
//! input = 16
//! layers = [
//!   { width = 16, activation = "relu", bias = false },
//!   { width = 4, activation = "identity", bias = false },
//! ]
//! [fixed]
//! frac_bits = 16
//! total_bits = 32
//! [train]
//! lr_mantissa = 1
//! lr_shift = 8
//! batch = 8
//! steps = 2
//! loss = "mse"          # or "softmax_cross_entropy" (over the last layer's outputs)
//! normalize = "none"   # or "standardize"
//! update_bits = 16      # signed width of weight/bias updates (biases only with
//!                       # exact_update); default fixed.total_bits
//! exact_update = false  # true: weights keep 2 frac_bits + lr_shift fractional bits,
//!                       # updates are applied without rounding (default false)
//! init_bits = 16        # signed width of the initial weights at scale 2^frac_bits,
//!                       # range-checked by a first proof (default 16, at most 16)
//! data_bits = 32        # signed width of the input features, range-checked in
//!                       # every step (default fixed.total_bits)
//! ```
//!
//! Unknown keys and wrong types are errors naming the key (with line and column); the
//! parsed spec is then validated ([`CircuitSpec::validate`]).

use serde::{Deserialize, Serialize};

use crate::spec::{Activation, CircuitSpec, FixedSpec, LayerSpec, Loss, ModelSpec, Normalize, SpecError, TrainSpec};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: String,
    model: Model,
    #[serde(default)]
    fixed: Option<Fixed>,
    train: Train,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Model {
    input: usize,
    layers: Vec<Layer>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Layer {
    width: usize,
    activation: String,
    #[serde(default)]
    bias: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixed {
    frac_bits: u32,
    total_bits: u32,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Train {
    lr_mantissa: u64,
    lr_shift: u32,
    batch: usize,
    steps: usize,
    #[serde(default = "mse")]
    loss: LossName,
    #[serde(default)]
    normalize: NormalizeName,
    /// Default: `fixed.total_bits`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    update_bits: Option<u32>,
    /// Default: false.
    #[serde(default)]
    exact_update: bool,
    /// Default: 16.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    init_bits: Option<u32>,
    /// Default: `fixed.total_bits`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data_bits: Option<u32>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum NormalizeName {
    #[default]
    None,
    Standardize,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum LossName {
    Mse,
    SoftmaxCrossEntropy,
}

fn mse() -> LossName {
    LossName::Mse
}

/// The names of the table activations, for messages.
fn smooth_names() -> String {
    let names: Vec<&str> = crate::activation::smooth::SmoothKind::ALL.iter().map(|k| k.function().name()).collect();
    names.join(", ")
}

impl CircuitSpec {
    /// Parse and validate a circuit file's text.
    pub fn from_toml_str(text: &str) -> Result<CircuitSpec, SpecError> {
        let f: File = toml::from_str(text)
            .map_err(|e| SpecError::Invalid { field: "toml", reason: e.to_string().trim().replace('\n', " ") })?;
        let fixed = f.fixed.unwrap_or(Fixed { frac_bits: 16, total_bits: 32 });
        let spec = CircuitSpec {
            name: f.name,
            model: ModelSpec {
                input_dim: f.model.input,
                layers: f
                    .model
                    .layers
                    .iter()
                    .map(|l| {
                        let activation = Activation::from_name(&l.activation).ok_or_else(|| SpecError::Invalid {
                            field: "model.layers.activation",
                            reason: format!(
                                "unknown activation {:?} (relu, leaky_relu, prelu, abrelu, elliott, identity, {})",
                                l.activation,
                                smooth_names()
                            ),
                        })?;
                        Ok(LayerSpec { width: l.width, activation, bias: l.bias })
                    })
                    .collect::<Result<_, SpecError>>()?,
            },
            fixed: FixedSpec { frac_bits: fixed.frac_bits, total_bits: fixed.total_bits },
            train: TrainSpec {
                lr_mantissa: f.train.lr_mantissa,
                lr_shift: f.train.lr_shift,
                batch: f.train.batch,
                steps: f.train.steps,
                loss: match f.train.loss {
                    LossName::Mse => Loss::Mse,
                    // over every output of the last layer
                    LossName::SoftmaxCrossEntropy => {
                        Loss::SoftmaxCrossEntropy { classes: f.model.layers.last().map_or(0, |l| l.width) }
                    }
                },
                update_bits: f.train.update_bits.unwrap_or(fixed.total_bits),
                exact_update: f.train.exact_update,
                init_bits: f.train.init_bits.unwrap_or(16),
                data_bits: f.train.data_bits.unwrap_or(fixed.total_bits),
                normalize: match f.train.normalize {
                    NormalizeName::None => Normalize::None,
                    NormalizeName::Standardize => Normalize::Standardize,
                },
            },
        };
        spec.validate()?;
        Ok(spec)
    }

    /// The circuit as circuit-file text (parses back to an equal spec).
    pub fn to_toml_string(&self) -> String {
        let f = File {
            name: self.name.clone(),
            model: Model {
                input: self.model.input_dim,
                layers: self
                    .model
                    .layers
                    .iter()
                    .map(|l| Layer { width: l.width, activation: l.activation.name().to_string(), bias: l.bias })
                    .collect(),
            },
            fixed: Some(Fixed { frac_bits: self.fixed.frac_bits, total_bits: self.fixed.total_bits }),
            train: Train {
                lr_mantissa: self.train.lr_mantissa,
                lr_shift: self.train.lr_shift,
                batch: self.train.batch,
                steps: self.train.steps,
                loss: match self.train.loss {
                    Loss::Mse => LossName::Mse,
                    Loss::SoftmaxCrossEntropy { .. } => LossName::SoftmaxCrossEntropy,
                },
                normalize: match self.train.normalize {
                    Normalize::None => NormalizeName::None,
                    Normalize::Standardize => NormalizeName::Standardize,
                },
                update_bits: Some(self.train.update_bits),
                exact_update: self.train.exact_update,
                init_bits: Some(self.train.init_bits),
                data_bits: Some(self.train.data_bits),
            },
        };
        toml::to_string(&f).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let spec = CircuitSpec::mlp("t", 16, &[16, 8], 4, true, 8, 3);
        let text = spec.to_toml_string();
        assert_eq!(CircuitSpec::from_toml_str(&text).unwrap(), spec);
        let err = |t: &str| CircuitSpec::from_toml_str(t).unwrap_err().to_string();
        assert!(err(&text.replace("lr_shift", "lr_shfit")).contains("lr_shfit"), "unknown key");
        assert!(err(&text.replace("batch = 8", "batch = \"eight\"")).contains("batch"), "wrong type");
        assert!(err(&text.replace("batch = 8", "batch = 0")).contains("batch"), "impossible shape");
        assert!(err("").contains("missing field"));
        assert!(err(&text.replace("update_bits = 16", "update_bits = 40")).contains("update_bits"));
        let no_bits = text.replace("update_bits = 16\n", "");
        assert_eq!(CircuitSpec::from_toml_str(&no_bits).unwrap().train.update_bits, 32, "default: total_bits");
        let exact = CircuitSpec::from_toml_str(&text.replace("exact_update = false", "exact_update = true")).unwrap();
        assert!(exact.train.exact_update && !spec.train.exact_update);
        assert_eq!(CircuitSpec::from_toml_str(&exact.to_toml_string()).unwrap(), exact);
        assert!(!CircuitSpec::from_toml_str(&text.replace("exact_update = false\n", "")).unwrap().train.exact_update);
        let defaults = text.replace("init_bits = 16\n", "").replace("data_bits = 32\n", "");
        let d = CircuitSpec::from_toml_str(&defaults).unwrap();
        assert_eq!((d.train.init_bits, d.train.data_bits), (16, 32), "defaults: 16 and total_bits");
        assert!(err(&text.replace("init_bits = 16", "init_bits = 17")).contains("init_bits"));
        assert!(err(&text.replace("data_bits = 32", "data_bits = 33")).contains("data_bits"));
    }
}
