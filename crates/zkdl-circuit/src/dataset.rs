//! A committed dataset (`*.zkdc`): one commitment to every training sample, made once,
//! that the statements of a training run name by digest ([`Statement::dataset`]).
//!
//! Each sample's features (padded with zeros to `2^feature_vars`) and targets (padded
//! to `2^target_vars`) are committed as Hyrax rows of the training generators with
//! the data's column split ([`data_col_vars`]): one row per sample, or several for
//! samples wider than `2^12`. A step's batch commitment in a statement is those rows,
//! sample after sample, so a batch made of dataset rows has a commitment that IS the
//! dataset's rows at its positions: the verifier compares points and never opens the
//! dataset. Step `t` of a run takes rows `(t b + i) mod n`, `i < b` ([`schedule_row`]):
//! consecutive slices, wrapping around at the end of each epoch.
//!
//! The commitments carry no blinding, so the file holds nothing secret; what only the
//! prover may know (blindings, once commitments hide) belongs in a separate file.
//!
//! Layout: magic `ZKDLDAT\0` (8 bytes), format version (u32 LE), then the
//! [`DatasetCommitment`] (arkworks serialization, uncompressed points,
//! `zkdl_core::pcs::WIRE`). Nothing may follow. The digest is SHA-256 over the whole
//! file.

use ark_ec::AffineRepr;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Validate};
use sha2::{Digest, Sha256};
use thiserror::Error;
use zkdl_core::pcs::{HyraxCommitment, WIRE};
use zkdl_core::G1Affine;

use crate::proof::{data_col_vars, proof_dims, Statement};
use crate::spec::CircuitSpec;

/// The first bytes of every dataset file.
pub const MAGIC: &[u8; 8] = b"ZKDLDAT\0";
/// The dataset format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Most samples a dataset holds.
pub const MAX_ROWS: u64 = 1 << 32;
/// Widest sample (log2 of the padded features or targets).
pub const MAX_SAMPLE_VARS: u32 = 24;

/// The commitment to a dataset: per sample, the Hyrax rows of its features and of its
/// targets.
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct DatasetCommitment {
    /// Number of samples `n`.
    pub rows: u64,
    /// Base-2 logarithms of the padded feature and target widths.
    pub feature_vars: u32,
    pub target_vars: u32,
    /// `n * rows_per_sample(feature_vars)` points, sample after sample.
    pub features: Vec<G1Affine>,
    /// `n * rows_per_sample(target_vars)` points.
    pub targets: Vec<G1Affine>,
}

/// Hyrax rows of one sample of `2^vars` entries.
pub fn rows_per_sample(vars: u32) -> usize {
    let v = vars as usize;
    1usize << v.saturating_sub(data_col_vars(v))
}

/// The dataset row that step `step` of a run takes as sample `i` of its batch of
/// `batch`, from a dataset of `rows` samples: `(step * batch + i) mod rows`.
pub fn schedule_row(step: u64, i: usize, batch: usize, rows: u64) -> u64 {
    if rows == 0 {
        return 0;
    }
    let at = (step as u128) * (batch as u128) + i as u128;
    (at % rows as u128) as u64
}

/// Why a dataset file was refused or a statement's batches are not the dataset's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DatasetError {
    #[error("not a zkdl dataset file (bad magic bytes)")]
    NotADataset,
    #[error("dataset file format version {found}, this zkdl reads version {expected}")]
    Version { found: u32, expected: u32 },
    #[error("malformed dataset file: {0}")]
    Malformed(String),
    #[error("the proof names no dataset")]
    NotNamed,
    #[error("the proof names dataset {named}, not this one ({this})")]
    OtherDataset { named: String, this: String },
    #[error(
        "the dataset's samples have 2^{feature_vars} features and 2^{target_vars} targets (padded), the circuit's 2^{want_features} and 2^{want_targets}"
    )]
    Shape { feature_vars: u32, target_vars: u32, want_features: u32, want_targets: u32 },
    #[error("the circuit's proofs are refused: {0}")]
    Circuit(#[from] crate::proof::LayoutError),
    #[error("step {step}: the {what} commitment has {found} rows, a batch of this circuit {expected}")]
    BatchShape { step: u64, what: &'static str, found: usize, expected: usize },
    #[error("step {step}: the {what} of sample {sample} of the batch are row {found} of the dataset, but the schedule puts row {expected} there")]
    Position { step: u64, what: &'static str, sample: usize, expected: u64, found: u64 },
    #[error("step {step}: the {what} of sample {sample} of the batch are not a row of the dataset (the schedule puts row {expected} there)")]
    Foreign { step: u64, what: &'static str, sample: usize, expected: u64 },
    #[error("step {step}: the {what} of padding sample {sample} of the batch are not zero")]
    Padding { step: u64, what: &'static str, sample: usize },
}

/// The digest as lowercase hex.
pub fn hex(d: &[u8; 32]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

impl DatasetCommitment {
    /// Serialize to the file's bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, DatasetError> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        self.serialize_with_mode(&mut out, WIRE).map_err(|e| DatasetError::Malformed(e.to_string()))?;
        Ok(out)
    }

    /// Parse a dataset file: magic, version, the counts consistent (points are not
    /// validated, see below).
    pub fn from_bytes(bytes: &[u8]) -> Result<DatasetCommitment, DatasetError> {
        let (magic, rest) = bytes.split_at_checked(8).ok_or(DatasetError::NotADataset)?;
        if magic != MAGIC {
            return Err(DatasetError::NotADataset);
        }
        let (version, mut rest) = rest.split_at_checked(4).ok_or(DatasetError::Malformed("truncated".into()))?;
        let mut v = [0u8; 4];
        v.copy_from_slice(version);
        let found = u32::from_le_bytes(v);
        if found != FORMAT_VERSION {
            return Err(DatasetError::Version { found, expected: FORMAT_VERSION });
        }
        // The points are only compared with a statement's (validated) points, never
        // computed with: an invalid one just matches nothing, so they are not checked
        // for the curve and subgroup (which costs more than the proof's verification).
        let d = DatasetCommitment::deserialize_with_mode(&mut rest, WIRE, Validate::No)
            .map_err(|e| DatasetError::Malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(DatasetError::Malformed(format!("{} trailing bytes", rest.len())));
        }
        d.check_counts()?;
        Ok(d)
    }

    fn check_counts(&self) -> Result<(), DatasetError> {
        let bad = |m: String| Err(DatasetError::Malformed(m));
        if self.rows == 0 || self.rows > MAX_ROWS {
            return bad(format!("{} samples (1 to 2^32)", self.rows));
        }
        if self.feature_vars > MAX_SAMPLE_VARS || self.target_vars > MAX_SAMPLE_VARS {
            return bad("samples wider than 2^24".into());
        }
        let want = |vars: u32| (self.rows as u128) * rows_per_sample(vars) as u128;
        if self.features.len() as u128 != want(self.feature_vars)
            || self.targets.len() as u128 != want(self.target_vars)
        {
            return bad("the number of points does not match the number of samples".into());
        }
        Ok(())
    }

    /// SHA-256 of the file's bytes.
    pub fn digest(&self) -> Result<[u8; 32], DatasetError> {
        Ok(Sha256::digest(self.to_bytes()?).into())
    }

    /// The rows of sample `row`'s features (`features`) or targets.
    fn sample(&self, row: u64, features: bool) -> Option<&[G1Affine]> {
        let (points, vars) = match features {
            true => (&self.features, self.feature_vars),
            false => (&self.targets, self.target_vars),
        };
        let k = rows_per_sample(vars);
        let start = usize::try_from(row).ok()?.checked_mul(k)?;
        points.get(start..start.checked_add(k)?)
    }

    /// The first sample whose rows are `rows` (for error messages).
    fn find(&self, rows: &[G1Affine], features: bool) -> Option<u64> {
        (0..self.rows).find(|&r| self.sample(r, features) == Some(rows))
    }
}

/// Checks that `statement` names `dataset` (whose digest is `digest`) and that each of
/// its batches is the dataset's rows at the schedule's positions for its steps
/// (`statement.step_offset..`), padding samples zero.
pub fn check_batches(
    spec: &CircuitSpec,
    statement: &Statement,
    dataset: &DatasetCommitment,
    digest: &[u8; 32],
) -> Result<(), DatasetError> {
    match &statement.dataset {
        None => return Err(DatasetError::NotNamed),
        Some(named) if named != digest => {
            return Err(DatasetError::OtherDataset { named: hex(named), this: hex(digest) });
        }
        Some(_) => {}
    }
    check_batch_rows(spec, statement.step_offset, &statement.data, dataset)
}

/// The batches of steps `step_offset..` (their features' and targets' commitments,
/// as in [`Statement::data`]) are the dataset's rows at the schedule's positions,
/// padding samples zero.
pub fn check_batch_rows(
    spec: &CircuitSpec,
    step_offset: u64,
    data: &[(HyraxCommitment, HyraxCommitment)],
    dataset: &DatasetCommitment,
) -> Result<(), DatasetError> {
    let pd = proof_dims(spec).map_err(DatasetError::Circuit)?;
    let fv = pd.log_dims.first().copied().unwrap_or(0) as u32;
    let tv = pd.log_dims.last().copied().unwrap_or(0) as u32;
    if (dataset.feature_vars, dataset.target_vars) != (fv, tv) {
        return Err(DatasetError::Shape {
            feature_vars: dataset.feature_vars,
            target_vars: dataset.target_vars,
            want_features: fv,
            want_targets: tv,
        });
    }
    let padded_batch = 1usize << pd.lb;
    for (k, (x, y)) in data.iter().enumerate() {
        let step = step_offset.saturating_add(k as u64);
        for (c, features, what) in [(x, true, "features"), (y, false, "targets")] {
            let per = rows_per_sample(if features { fv } else { tv });
            let expected = padded_batch * per;
            if c.rows.len() != expected {
                return Err(DatasetError::BatchShape { step, what, found: c.rows.len(), expected });
            }
            for (sample, got) in c.rows.chunks(per).enumerate() {
                if sample >= pd.batch {
                    if got.iter().any(|p| !p.is_zero()) {
                        return Err(DatasetError::Padding { step, what, sample });
                    }
                    continue;
                }
                let row = schedule_row(step, sample, pd.batch, dataset.rows);
                if dataset.sample(row, features) != Some(got) {
                    return Err(match dataset.find(got, features) {
                        Some(found) => DatasetError::Position { step, what, sample, expected: row, found },
                        None => DatasetError::Foreign { step, what, sample, expected: row },
                    });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_wraps_per_epoch() {
        assert_eq!(schedule_row(0, 3, 4, 10), 3);
        assert_eq!(schedule_row(2, 1, 4, 10), 9);
        assert_eq!(schedule_row(2, 2, 4, 10), 0);
        assert_eq!(schedule_row(u64::MAX, 7, 64, 8000), ((u64::MAX as u128 * 64 + 7) % 8000) as u64);
        assert_eq!(schedule_row(5, 0, 4, 0), 0);
    }

    #[test]
    fn malformed_files_are_refused() {
        let g = G1Affine::default();
        let d =
            DatasetCommitment { rows: 2, feature_vars: 3, target_vars: 1, features: vec![g; 2], targets: vec![g; 2] };
        let bytes = d.to_bytes().unwrap();
        assert_eq!(DatasetCommitment::from_bytes(&bytes).unwrap(), d);
        for cut in 0..bytes.len() {
            assert!(DatasetCommitment::from_bytes(&bytes[..cut]).is_err(), "truncated at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(DatasetCommitment::from_bytes(&longer), Err(DatasetError::Malformed(_))));
        let mut v = bytes.clone();
        v[8] = 9;
        assert!(matches!(DatasetCommitment::from_bytes(&v), Err(DatasetError::Version { found: 9, .. })));
        let short = DatasetCommitment { features: vec![g; 1], ..d.clone() };
        let e = DatasetCommitment::from_bytes(&short.to_bytes().unwrap());
        assert!(matches!(e, Err(DatasetError::Malformed(m)) if m.contains("number of points")));
        assert_eq!(DatasetCommitment::from_bytes(b"ZKDLPRF\0xxxx"), Err(DatasetError::NotADataset));
    }
}
