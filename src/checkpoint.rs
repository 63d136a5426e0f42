//! Training checkpoints: a training run proven in chunks (`zkdl prove --checkpoint-out`,
//! then `zkdl prove --resume`). A checkpoint holds what the next chunk's proof needs and
//! the proof file does not: the EXACT fixed-point weights after the chunk's last step
//! (with exact SGD they carry `2f + e` fractional bits, which `--weights-out`'s float32
//! loses), the statement of the proof that produced them (its `W(T)`, `b(T)` commitments
//! become the next statement's `W(0)`, `b(0)`, not committed again), and the number of
//! steps proven so far (the next chunk's batches follow on).
//!
//! Format: safetensors. Metadata `format` = `zkdl-checkpoint`, `version` = `4`,
//! `circuit_digest` (hex), `steps_done` (decimal); tensors `layers.{l}.weight` (int64,
//! `d_in x d_out`, the fixed-point integers at the circuit's weight scale),
//! `layers.{l}.bias` (int64, `d_out`, at the activation scale), `layers.{l}.slope` (PReLU's
//! learned slopes, int64, `d_out`, at the activation scale) and `statement` (uint8, the
//! statement as in the proof file). Reading checks every field against the circuit;
//! the prover then refuses weights the statement does not commit to
//! (`prove_training_with` with `ProveOptions::after`, before proving).

use std::collections::HashMap;
use std::path::Path;

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Validate};
use safetensors::tensor::{SafeTensors, TensorView};
use safetensors::Dtype;
use zkdl_circuit::proof::Statement;
use zkdl_circuit::CircuitSpec;
use zkdl_core::pcs::WIRE;
use zkdl_prover::train::{LayerWeights, Weights};

use crate::error::CliError;

const FORMAT: &str = "zkdl-checkpoint";
const VERSION: &str = "4";

/// A checkpoint of a training run proven in chunks (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Steps proven so far, this checkpoint's chunk included.
    pub steps_done: usize,
    /// The statement of the proof whose final weights these are.
    pub statement: Statement,
    pub weights: Weights,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn i64_bytes(v: &[i64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Write `ck` (of the circuit `spec`) to `path`.
pub fn write(spec: &CircuitSpec, ck: &Checkpoint, path: &Path) -> Result<(), CliError> {
    let bad = |reason: String| CliError::Checkpoint { path: path.to_path_buf(), reason };
    let mut statement = Vec::new();
    ck.statement.serialize_with_mode(&mut statement, WIRE).map_err(|e| bad(e.to_string()))?;
    let mut tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    for (l, lw) in ck.weights.layers.iter().enumerate() {
        tensors.push((format!("layers.{l}.weight"), Dtype::I64, vec![lw.d_in, lw.d_out], i64_bytes(&lw.w)));
        if let Some(b) = &lw.b {
            tensors.push((format!("layers.{l}.bias"), Dtype::I64, vec![lw.d_out], i64_bytes(b)));
        }
        if let Some(a) = &lw.slope {
            tensors.push((format!("layers.{l}.slope"), Dtype::I64, vec![lw.d_out], i64_bytes(a)));
        }
    }
    tensors.push(("statement".to_string(), Dtype::U8, vec![statement.len()], statement));
    let views = tensors
        .iter()
        .map(|(name, dtype, shape, bytes)| {
            TensorView::new(*dtype, shape.clone(), bytes).map(|v| (name.clone(), v)).map_err(|e| bad(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let meta: HashMap<String, String> = [
        ("format", FORMAT.to_string()),
        ("version", VERSION.to_string()),
        ("circuit_digest", hex(&spec.digest())),
        ("steps_done", ck.steps_done.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let bytes = safetensors::tensor::serialize(views, &Some(meta)).map_err(|e| bad(e.to_string()))?;
    std::fs::write(path, bytes).map_err(|source| CliError::Io { path: path.to_path_buf(), source })
}

/// Read the checkpoint at `path` and check it against the circuit `spec`: its format,
/// its circuit digest, every tensor's type and shape, the weights' range, the statement.
pub fn read(spec: &CircuitSpec, path: &Path) -> Result<Checkpoint, CliError> {
    let bad = |reason: String| CliError::Checkpoint { path: path.to_path_buf(), reason };
    let bytes = std::fs::read(path).map_err(|source| CliError::Io { path: path.to_path_buf(), source })?;
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| bad(format!("not a checkpoint: {e}")))?;
    let meta = header.metadata().clone().unwrap_or_default();
    let field = |k: &str| meta.get(k).cloned().ok_or_else(|| bad(format!("no `{k}` in the metadata")));
    if field("format")? != FORMAT || field("version")? != VERSION {
        return Err(bad(format!("not a {FORMAT} version {VERSION}")));
    }
    if field("circuit_digest")? != hex(&spec.digest()) {
        return Err(bad("a checkpoint of another circuit (circuit digests differ)".to_string()));
    }
    let steps_done: usize = field("steps_done")?.parse().map_err(|_| bad("steps_done is not a number".to_string()))?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
    let tensor = |name: &str, dtype: Dtype, shape: &[usize]| -> Result<Vec<u8>, CliError> {
        let t = st.tensor(name).map_err(|_| bad(format!("no tensor `{name}`")))?;
        if t.dtype() != dtype || t.shape() != shape {
            return Err(bad(format!("`{name}` is {:?} {:?}, expected {dtype:?} {shape:?}", t.dtype(), t.shape())));
        }
        Ok(t.data().to_vec())
    };
    let circuit = |e: zkdl_circuit::SpecError| bad(e.to_string());
    let (fp, fpw) = (spec.fixed_point().map_err(circuit)?, spec.weight_point().map_err(circuit)?);
    let ints = |name: &str, shape: &[usize], point: &zkdl_core::field::FixedPoint| -> Result<Vec<i64>, CliError> {
        let raw = tensor(name, Dtype::I64, shape)?;
        let v: Vec<i64> = raw.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect();
        for &x in &v {
            point.check_range(x as i128).map_err(|e| bad(format!("`{name}`: {e}")))?;
        }
        Ok(v)
    };
    let dims = spec.dims();
    let mut layers = Vec::with_capacity(spec.model.layers.len());
    for (l, (layer, pair)) in spec.model.layers.iter().zip(dims.windows(2)).enumerate() {
        let (d_in, d_out) = match pair {
            [a, b] => (*a, *b),
            _ => return Err(bad("circuit dimensions".to_string())),
        };
        let w = ints(&format!("layers.{l}.weight"), &[d_in, d_out], &fpw)?;
        let b = if layer.bias { Some(ints(&format!("layers.{l}.bias"), &[d_out], &fp)?) } else { None };
        let prelu = layer.activation == zkdl_circuit::Activation::Prelu;
        let slope = if prelu { Some(ints(&format!("layers.{l}.slope"), &[d_out], &fp)?) } else { None };
        layers.push(LayerWeights { d_in, d_out, w, b, slope });
    }
    let raw = st.tensor("statement").map_err(|_| bad("no tensor `statement`".to_string()))?;
    if raw.dtype() != Dtype::U8 {
        return Err(bad("`statement` is not uint8".to_string()));
    }
    let mut rest = raw.data();
    let statement =
        Statement::deserialize_with_mode(&mut rest, WIRE, Validate::Yes).map_err(|e| bad(format!("statement: {e}")))?;
    if !rest.is_empty() || statement.digest != spec.digest() {
        return Err(bad("the statement is not one of this circuit".to_string()));
    }
    Ok(Checkpoint { steps_done, statement, weights: Weights { layers } })
}
