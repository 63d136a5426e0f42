//! What several test files share.

#![allow(clippy::unwrap_used, dead_code)]

use zkdl_circuit::CircuitSpec;
use zkdl_prover::data;
use zkdl_prover::train::Batch;

/// `steps` batches of `spec`'s batch size of synthetic data (generated with `seed`),
/// encoded in `spec`'s fixed point.
pub fn synthetic_batches(spec: &CircuitSpec, steps: usize, seed: u64) -> Vec<Batch> {
    let fp = spec.fixed_point().unwrap();
    let (b, din, dout) = (spec.train.batch, spec.model.input_dim, *spec.dims().last().unwrap());
    let d = data::synthetic(b * steps, din, dout, seed);
    (0..steps)
        .map(|t| {
            let s = d.slice(b * t, b * (t + 1));
            Batch { x: fp.encode_slice(&s.x).unwrap(), y: fp.encode_slice(&s.y).unwrap() }
        })
        .collect()
}
