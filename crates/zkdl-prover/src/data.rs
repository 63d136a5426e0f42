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

    /// `steps` batches of `batch` consecutive rows, encoded in `fp`, cycling through the
    /// whole batches the dataset holds (batch `t` starts at row `(t mod (n / batch)) batch`).
    pub fn batches(
        &self,
        fp: &zkdl_core::field::FixedPoint,
        batch: usize,
        steps: usize,
    ) -> Result<Vec<crate::train::Batch>, zkdl_core::FixedPointError> {
        let whole = (self.len() / batch.max(1)).max(1);
        (0..steps)
            .map(|t| {
                let from = (t % whole) * batch;
                let s = self.slice(from, from + batch);
                Ok(crate::train::Batch { x: fp.encode_slice(&s.x)?, y: fp.encode_slice(&s.y)? })
            })
            .collect()
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

fn parse_number(s: &str, path: &str, row: usize, col: usize) -> Result<f64, DataError> {
    let v: f64 = s.trim().parse().map_err(|_| DataError::Format {
        path: path.to_string(),
        reason: format!("row {row}, column {col}: {s:?} is not a number"),
    })?;
    if !v.is_finite() {
        return Err(DataError::Format {
            path: path.to_string(),
            reason: format!("row {row}, column {col}: {s} is not finite"),
        });
    }
    Ok(v)
}

fn read_text(path: &Path) -> Result<String, DataError> {
    std::fs::read_to_string(path).map_err(|source| DataError::Io { path: path.display().to_string(), source })
}

fn read_indices(path: &Path) -> Result<Vec<usize>, DataError> {
    let p = path.display().to_string();
    read_text(path)?
        .split_whitespace()
        .map(|s| {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.fract() == 0.0 && *v >= 0.0)
                .map(|v| v as usize)
                .ok_or_else(|| DataError::Format { path: p.clone(), reason: format!("{s:?} is not a column index") })
        })
        .collect()
}

/// A UCI regression set in the layout of `../shared/data/uci/<name>`: `data.txt`
/// (whitespace-separated numbers, one row per sample), `index_features.txt` and
/// `index_target.txt` (0-based column indices). One real-valued target.
pub fn load_uci_dir(dir: &Path) -> Result<Dataset, DataError> {
    let data_path = dir.join("data.txt");
    let p = data_path.display().to_string();
    let feats = read_indices(&dir.join("index_features.txt"))?;
    let target = read_indices(&dir.join("index_target.txt"))?;
    let [target] = target.as_slice() else {
        return Err(DataError::Format {
            path: dir.join("index_target.txt").display().to_string(),
            reason: format!("{} target columns, expected one", target.len()),
        });
    };
    let text = read_text(&data_path)?;
    let (mut x, mut y) = (Vec::new(), Vec::new());
    let mut width = None;
    for (r, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let row: Vec<f64> = line
            .split_whitespace()
            .enumerate()
            .map(|(c, s)| parse_number(s, &p, r + 1, c))
            .collect::<Result<_, _>>()?;
        if *width.get_or_insert(row.len()) != row.len() {
            return Err(DataError::Format {
                path: p.clone(),
                reason: format!("row {} has {} columns, the first row {}", r + 1, row.len(), width.unwrap_or(0)),
            });
        }
        for &c in feats.iter().chain(std::iter::once(target)) {
            if c >= row.len() {
                return Err(DataError::Format { path: p.clone(), reason: format!("column index {c} out of range") });
            }
        }
        x.extend(feats.iter().map(|&c| row[c]));
        y.push(row[*target]);
    }
    if y.is_empty() {
        return Err(DataError::Format { path: p, reason: "no rows".into() });
    }
    Ok(Dataset { features: feats.len(), targets: 1, x, y, labels: None })
}

/// A CSV file with a header row; `target` names the target column, every other
/// column is a feature. All values must be finite numbers.
pub fn load_csv(path: &Path, target: &str) -> Result<Dataset, DataError> {
    let p = path.display().to_string();
    let fmt = |reason: String| DataError::Format { path: p.clone(), reason };
    let text = read_text(path)?;
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or_else(|| fmt("empty file".into()))?;
    let names: Vec<&str> = header.split(',').map(|s| s.trim().trim_matches('"')).collect();
    let t = names
        .iter()
        .position(|n| *n == target)
        .ok_or_else(|| fmt(format!("no column named {target:?} (columns: {})", names.join(", "))))?;
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for (r, line) in lines {
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() != names.len() {
            return Err(fmt(format!("line {} has {} fields, the header {}", r + 1, cells.len(), names.len())));
        }
        for (c, s) in cells.iter().enumerate() {
            let v = parse_number(s, &p, r + 1, c)?;
            if c == t {
                y.push(v);
            } else {
                x.push(v);
            }
        }
    }
    if y.is_empty() {
        return Err(fmt("no data rows".into()));
    }
    Ok(Dataset { features: names.len() - 1, targets: 1, x, y, labels: None })
}

impl Dataset {
    /// Standardise every feature (and real-valued targets: those without class
    /// labels) to mean 0 and standard deviation 1, with statistics from the first
    /// `train_rows` rows. Constant columns are centred only.
    pub fn standardize(&mut self, train_rows: usize) {
        fn cols(v: &mut [f64], width: usize, rows: usize) {
            if width == 0 || rows == 0 {
                return;
            }
            for c in 0..width {
                let col = || v.iter().skip(c).step_by(width).take(rows);
                let mean = col().sum::<f64>() / rows as f64;
                let var = col().map(|x| (x - mean) * (x - mean)).sum::<f64>() / rows as f64;
                let sd = if var > 0.0 { var.sqrt() } else { 1.0 };
                for x in v.iter_mut().skip(c).step_by(width) {
                    *x = (*x - mean) / sd;
                }
            }
        }
        let rows = train_rows.min(self.len());
        cols(&mut self.x, self.features, rows);
        if self.labels.is_none() {
            cols(&mut self.y, self.targets, rows);
        }
    }
}
