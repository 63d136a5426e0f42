//! Training data: MNIST (IDX files, gzip or not) and a synthetic generator.
//!
//! All loaders return `f64` features and targets; quantisation to fixed point is
//! done by the caller with the circuit's `FixedPoint` (checked).

use std::io::Read;
use std::path::Path;

use thiserror::Error;

/// Errors while loading data.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DataError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: {reason}")]
    Format { path: String, reason: String },
}

/// A dataset: `n` rows of `features` inputs and `targets` outputs, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub features: usize,
    pub targets: usize,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// Class labels when the targets are one-hot.
    pub labels: Option<Vec<u8>>,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.x.len() / self.features.max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rows `range` as a new dataset.
    pub fn slice(&self, start: usize, end: usize) -> Dataset {
        let end = end.min(self.len());
        let start = start.min(end);
        Dataset {
            features: self.features,
            targets: self.targets,
            x: self.x[start * self.features..end * self.features].to_vec(),
            y: self.y[start * self.targets..end * self.targets].to_vec(),
            labels: self.labels.as_ref().map(|l| l[start..end].to_vec()),
        }
    }
}

fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, DataError> {
    let p = path.display().to_string();
    let raw = std::fs::read(path).map_err(|source| DataError::Io { path: p.clone(), source })?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|source| DataError::Io { path: p, source })?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Read an IDX file: returns `(dims, data)`.
fn read_idx(path: &Path, magic: u32) -> Result<(Vec<usize>, Vec<u8>), DataError> {
    let p = path.display().to_string();
    let bytes = read_maybe_gz(path)?;
    let fmt = |reason: String| DataError::Format { path: p.clone(), reason };
    let m = be_u32(&bytes, 0).ok_or_else(|| fmt("file too short for an IDX header".into()))?;
    if m != magic {
        return Err(fmt(format!("IDX magic {m} where {magic} was expected")));
    }
    let ndims = (magic & 0xff) as usize;
    let mut dims = Vec::with_capacity(ndims);
    for i in 0..ndims {
        dims.push(be_u32(&bytes, 4 + 4 * i).ok_or_else(|| fmt("truncated IDX header".into()))? as usize);
    }
    let total: usize = dims.iter().product();
    let start = 4 + 4 * ndims;
    let data = bytes
        .get(start..start + total)
        .ok_or_else(|| fmt(format!("IDX body has {} bytes, header says {total}", bytes.len().saturating_sub(start))))?;
    Ok((dims, data.to_vec()))
}

/// MNIST from `images` and `labels` IDX files: pixels scaled to `[0, 1]`, targets
/// one-hot over 10 classes.
pub fn load_mnist(images: &Path, labels: &Path) -> Result<Dataset, DataError> {
    let (idims, pix) = read_idx(images, 2051)?;
    let (ldims, lab) = read_idx(labels, 2049)?;
    let n = *idims.first().unwrap_or(&0);
    if ldims.first() != Some(&n) {
        return Err(DataError::Format {
            path: labels.display().to_string(),
            reason: format!("{} labels for {n} images", ldims.first().copied().unwrap_or(0)),
        });
    }
    let features = idims.iter().skip(1).product::<usize>();
    if let Some(bad) = lab.iter().find(|&&l| l > 9) {
        return Err(DataError::Format {
            path: labels.display().to_string(),
            reason: format!("label {bad} out of range 0..=9"),
        });
    }
    let x = pix.iter().map(|&p| p as f64 / 255.0).collect();
    let mut y = vec![0.0; n * 10];
    for (i, &l) in lab.iter().enumerate() {
        y[i * 10 + l as usize] = 1.0;
    }
    Ok(Dataset { features, targets: 10, x, y, labels: Some(lab) })
}

/// MNIST test set from a directory holding `t10k-images-idx3-ubyte[.gz]` and
/// `t10k-labels-idx1-ubyte[.gz]`.
pub fn load_mnist_dir(dir: &Path) -> Result<Dataset, DataError> {
    let pick = |base: &str| {
        let gz = dir.join(format!("{base}.gz"));
        if gz.exists() {
            gz
        } else {
            dir.join(base)
        }
    };
    load_mnist(&pick("t10k-images-idx3-ubyte"), &pick("t10k-labels-idx1-ubyte"))
}

/// Synthetic classification data: `n` points in `features` dimensions from
/// `classes` Gaussian blobs (deterministic in `seed`), one-hot targets.
pub fn synthetic(n: usize, features: usize, classes: usize, seed: u64) -> Dataset {
    use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
    let mut rng = StdRng::seed_from_u64(seed);
    let classes = classes.max(1);
    let centers: Vec<Vec<f64>> =
        (0..classes).map(|_| (0..features).map(|_| rng.gen_range(-1.0..1.0)).collect()).collect();
    let mut x = Vec::with_capacity(n * features);
    let mut y = vec![0.0; n * classes];
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let c = rng.gen_range(0..classes);
        for cv in &centers[c] {
            x.push(cv + rng.gen_range(-0.3..0.3));
        }
        y[i * classes + c] = 1.0;
        labels.push(c as u8);
    }
    Dataset { features, targets: classes, x, y, labels: Some(labels) }
}
