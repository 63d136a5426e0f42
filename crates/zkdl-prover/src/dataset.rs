//! Committing a dataset (`zkdl commit-data`) and checking a run's batches against one
//! before proving (see `zkdl_circuit::dataset`).

use rayon::prelude::*;
use zkdl_circuit::assemble::training_generators;
use zkdl_circuit::dataset::{self, DatasetCommitment};
use zkdl_circuit::proof::{commit_samples, proof_dims};
use zkdl_circuit::CircuitSpec;
use zkdl_core::pcs::HyraxGenerators;

use crate::prove::pad_batch;
use crate::relations::ProveError;
use crate::train::Batch;

/// Samples committed per MSM call (bounds the memory of the padded table).
const CHUNK_ROWS: usize = 1 << 12;

/// Commits to `rows` samples: `features` (`rows x d_0`, row-major, encoded as the
/// circuit encodes them) and `targets` (`rows x d_L`), each sample padded with zeros
/// to the circuit's padded widths.
pub fn commit_dataset(
    spec: &CircuitSpec,
    features: &[i64],
    targets: &[i64],
    rows: usize,
) -> Result<DatasetCommitment, ProveError> {
    let pd = proof_dims(spec)?;
    let (din, dout) = (pd.dims.first().copied().unwrap_or(0), pd.dims.last().copied().unwrap_or(0));
    let (fv, tv) = (pd.log_dims.first().copied().unwrap_or(0), pd.log_dims.last().copied().unwrap_or(0));
    if rows == 0 || features.len() != rows * din || targets.len() != rows * dout {
        return Err(ProveError::Params("a dataset needs at least one sample, and d_0 features and d_L targets each"));
    }
    let gens = training_generators(spec)?;
    let commit = |data: &[i64], width: usize, vars: usize| -> Result<Vec<zkdl_core::G1Affine>, ProveError> {
        let mut out = Vec::with_capacity(rows * dataset::rows_per_sample(vars as u32));
        for chunk in data.chunks(CHUNK_ROWS * width) {
            let n = chunk.len() / width.max(1);
            out.extend(commit_padded_samples(&gens, chunk, n, width, vars)?);
        }
        Ok(out)
    };
    Ok(DatasetCommitment {
        rows: rows as u64,
        feature_vars: fv as u32,
        target_vars: tv as u32,
        features: commit(features, din, fv)?,
        targets: commit(targets, dout, tv)?,
    })
}

/// The Hyrax rows of `n` samples of `width` entries, each padded to `2^vars`.
fn commit_padded_samples(
    gens: &HyraxGenerators,
    data: &[i64],
    n: usize,
    width: usize,
    vars: usize,
) -> Result<Vec<zkdl_core::G1Affine>, ProveError> {
    let sample = 1usize << vars;
    let n_pad = n.next_power_of_two();
    let mut table = vec![0i64; n_pad * sample];
    table.par_chunks_mut(sample).zip(data.par_chunks(width.max(1))).for_each(|(t, d)| t[..d.len()].copy_from_slice(d));
    let total = vars + n_pad.trailing_zeros() as usize;
    let c = commit_samples(gens, total, vars, &table)?;
    let keep = n * dataset::rows_per_sample(vars as u32);
    Ok(c.rows.into_iter().take(keep).collect())
}

/// Checks, before proving, that the batches of steps `first_step..` are the dataset's
/// rows at the schedule's positions (each batch committed as the proof will commit it).
pub fn check_batches(
    spec: &CircuitSpec,
    batches: &[Batch],
    first_step: u64,
    dataset: &DatasetCommitment,
) -> Result<(), ProveError> {
    let pd = proof_dims(spec)?;
    let gens = training_generators(spec)?;
    let (fv, tv) = (pd.log_dims.first().copied().unwrap_or(0), pd.log_dims.last().copied().unwrap_or(0));
    let data = batches
        .par_iter()
        .map(|b| {
            let p = pad_batch(b, &pd);
            Ok((commit_samples(&gens, pd.lb + fv, fv, &p.x)?, commit_samples(&gens, pd.lb + tv, tv, &p.y)?))
        })
        .collect::<Result<Vec<_>, ProveError>>()?;
    Ok(dataset::check_batch_rows(spec, first_step, &data, dataset)?)
}
