//! The `prove`, `verify` and `inspect` subcommands (README, issue "command line").

use std::path::{Path, PathBuf};
use std::time::Instant;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkdl_circuit::file::{FileError, ProofFile, FORMAT_VERSION};
use zkdl_circuit::CircuitSpec;
use zkdl_prover::data;
use zkdl_prover::prove::prove_training_with;
use zkdl_prover::train::{self, Batch};

/// The built-in default circuit (`circuits/tiny.toml`).
pub const TINY_TOML: &str = include_str!("../circuits/tiny.toml");

/// Errors of the CLI: each prints as one line and exits with status 2.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {reason}")]
    Circuit { path: String, reason: String },
    #[error("--data {spec}: {reason}")]
    Data { spec: String, reason: String },
    #[error("{path}: {source}")]
    File { path: PathBuf, source: FileError },
    #[error("training: {0}")]
    Train(#[from] zkdl_prover::train::TrainError),
    #[error("proving: {0}")]
    Prove(#[from] zkdl_prover::ProveError),
}

/// Load a circuit file (or the built-in tiny circuit when `path` is `None`).
pub fn load_circuit(path: Option<&Path>) -> Result<CircuitSpec, CliError> {
    let (name, text) = match path {
        Some(p) => {
            let t = std::fs::read_to_string(p).map_err(|source| CliError::Io { path: p.to_path_buf(), source })?;
            (p.display().to_string(), t)
        }
        None => ("circuits/tiny.toml (built in)".to_string(), TINY_TOML.to_string()),
    };
    CircuitSpec::from_toml_str(&text).map_err(|e| CliError::Circuit { path: name, reason: e.to_string() })
}

/// The data of a run, split, normalised and encoded; see [`load_data`].
pub struct RunData {
    /// One batch per step (rows of the training split, taken in order, wrapping).
    pub batches: Vec<Batch>,
    /// The held-out rows (normalised, f64) for accuracy or RMSE.
    pub test: data::Dataset,
    /// Training rows available.
    pub train_rows: usize,
}

/// Load `--data` (`synthetic`, `mnist:DIR`, `uci:DIR`, `csv:FILE` with `target`),
/// check it against the circuit, split it (MNIST: first 8,000 rows to train, the rest
/// to test; otherwise the last fifth is the test split), normalise it as the circuit
/// says, and encode every training row in fixed point: every data error is reported
/// here, before any proving.
pub fn load_data(spec: &CircuitSpec, data_spec: &str, target: Option<&str>, seed: u64) -> Result<RunData, CliError> {
    let bad = |reason: String| CliError::Data { spec: data_spec.to_string(), reason };
    let (b, steps) = (spec.train.batch, spec.train.steps);
    let (din, dout) = (spec.model.input_dim, spec.dims().last().copied().unwrap_or(0));
    let de = |e: data::DataError| bad(e.to_string());
    let (mut set, mnist) = match data_spec.split_once(':') {
        None if data_spec == "synthetic" => {
            (data::synthetic(b * steps + (b * steps).div_ceil(4), din, dout, seed), false)
        }
        Some(("mnist", dir)) => (data::load_mnist_dir(Path::new(dir)).map_err(de)?, true),
        Some(("uci", dir)) => (data::load_uci_dir(Path::new(dir)).map_err(de)?, false),
        Some(("csv", file)) => {
            let t = target.ok_or_else(|| bad("csv data needs --target COLUMN".to_string()))?;
            (data::load_csv(Path::new(file), t).map_err(de)?, false)
        }
        _ => return Err(bad("unknown data source (use synthetic, mnist:DIR, uci:DIR or csv:FILE)".to_string())),
    };
    if set.features != din || set.targets != dout {
        return Err(bad(format!(
            "the data has {} features and {} targets, the circuit {din} inputs and {dout} outputs",
            set.features, set.targets
        )));
    }
    let n = set.len();
    let train_rows = if mnist && n > 8000 { 8000 } else { n - n / 5 };
    if train_rows < b {
        return Err(bad(format!("{train_rows} training rows, fewer than one batch of {b}")));
    }
    if spec.train.normalize == zkdl_circuit::Normalize::Standardize {
        set.standardize(train_rows);
    }
    let fp = spec.fixed_point().map_err(|e| bad(e.to_string()))?;
    let train = set.slice(0, train_rows);
    let enc = |v: &[f64], what: &str| {
        fp.encode_slice(v).map_err(|e| {
            bad(format!(
                "{what}: {e} (the circuit's fixed point holds |x| < 2^{})",
                spec.fixed.total_bits - spec.fixed.frac_bits - 1
            ))
        })
    };
    let (x_all, y_all) = (enc(&train.x, "features")?, enc(&train.y, "targets")?);
    let batches = (0..steps)
        .map(|t| {
            let rows: Vec<usize> = (0..b).map(|i| (t * b + i) % train_rows).collect();
            let pick = |v: &[i64], w: usize| rows.iter().flat_map(|&r| v[r * w..(r + 1) * w].iter().copied()).collect();
            Batch { x: pick(&x_all, din), y: pick(&y_all, dout) }
        })
        .collect();
    Ok(RunData { batches, test: set.slice(train_rows, n), train_rows })
}

/// Options shared by `train` and `prove`.
pub struct RunOptions<'a> {
    pub circuit: Option<&'a Path>,
    pub data: &'a str,
    pub target: Option<&'a str>,
    pub steps: Option<usize>,
    pub seed: u64,
}

fn spec_for(o: &RunOptions<'_>) -> Result<CircuitSpec, CliError> {
    let mut spec = load_circuit(o.circuit)?;
    if let Some(s) = o.steps {
        spec.train.steps = s;
        spec.validate().map_err(|e| CliError::Circuit { path: "--steps".into(), reason: e.to_string() })?;
    }
    Ok(spec)
}

/// Test accuracy (with class labels) or RMSE of `w` on `test`.
fn evaluate(spec: &CircuitSpec, w: &train::Weights, test: &data::Dataset) -> Result<String, CliError> {
    if test.is_empty() {
        return Ok("no test rows".to_string());
    }
    let fp = spec.fixed_point().map_err(|e| CliError::Circuit { path: spec.name.clone(), reason: e.to_string() })?;
    let x =
        fp.encode_slice(&test.x).map_err(|e| CliError::Data { spec: "test split".into(), reason: e.to_string() })?;
    let out = train::predict(spec, w, &x, test.len())?;
    let out: Vec<f64> = out.iter().map(|&v| fp.decode(v)).collect();
    Ok(match &test.labels {
        Some(labels) => {
            let pred = train::argmax_rows(&out, test.targets);
            let ok = pred.iter().zip(labels).filter(|(p, l)| **p == **l as usize).count();
            format!("test accuracy {:.2}% ({ok}/{})", 100.0 * ok as f64 / test.len() as f64, test.len())
        }
        None => {
            let se: f64 = out.iter().zip(&test.y).map(|(o, y)| (o - y) * (o - y)).sum();
            let units = match spec.train.normalize {
                zkdl_circuit::Normalize::None => "",
                zkdl_circuit::Normalize::Standardize => " (standardised units)",
            };
            format!("test RMSE {:.4}{units} over {} rows", (se / test.y.len() as f64).sqrt(), test.len())
        }
    })
}

/// `zkdl train`: plain fixed-point training, loss per step, test metric at the end.
pub fn train_cmd(o: &RunOptions<'_>) -> Result<(), CliError> {
    let spec = spec_for(o)?;
    let run = load_data(&spec, o.data, o.target, o.seed)?;
    let fp = spec.fixed_point().map_err(|e| CliError::Circuit { path: spec.name.clone(), reason: e.to_string() })?;
    let mut w = train::init_weights(&spec, o.seed)?;
    let t0 = Instant::now();
    for (t, b) in run.batches.iter().enumerate() {
        let out = train::predict(&spec, &w, &b.x, spec.train.batch)?;
        let loss: f64 = out.iter().zip(&b.y).map(|(o, y)| (fp.decode(*o) - fp.decode(*y)).powi(2)).sum::<f64>()
            / (2.0 * spec.train.batch as f64);
        train::train_step(&spec, &mut w, b, t, false)?;
        println!("step {t}: loss {loss:.5}");
    }
    let secs = t0.elapsed().as_secs_f64();
    println!("{} steps of {} in {secs:.3} s; {}", spec.train.steps, spec.name, evaluate(&spec, &w, &run.test)?);
    Ok(())
}

/// `zkdl prove`: train, prove, write the proof file (and the trained weights).
pub fn prove(o: &RunOptions<'_>, out: &Path, weights_out: Option<&Path>) -> Result<(), CliError> {
    let spec = spec_for(o)?;
    let run = load_data(&spec, o.data, o.target, o.seed)?;
    let w0 = train::init_weights(&spec, o.seed)?;
    eprintln!("zkdl: proving {} steps of {} ({} parameters)", spec.train.steps, spec.name, spec.num_params());
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let show = |phase: &'static str| bar.set_message(format!("proving: {phase}"));
    let mut phases = zkdl_prover::Phases::with_callback(&show);
    let t0 = Instant::now();
    let (statement, proof, w_final) =
        prove_training_with(&spec, &w0, &run.batches, &mut StdRng::seed_from_u64(o.seed), &mut phases)?;
    let prove_s = t0.elapsed().as_secs_f64();
    bar.finish_and_clear();
    for (name, s) in &phases.times {
        tracing::info!(phase = name, seconds = s, "prover phase");
    }
    if let Some(path) = weights_out {
        write_safetensors(&spec, &w_final, path)?;
    }
    let file = ProofFile { spec, statement, proof };
    let bytes = file.to_bytes().map_err(|source| CliError::File { path: out.to_path_buf(), source })?;
    std::fs::write(out, &bytes).map_err(|source| CliError::Io { path: out.to_path_buf(), source })?;
    println!("proof written to {} ({} bytes) in {prove_s:.2} s", out.display(), bytes.len());
    Ok(())
}

/// Trained weights as safetensors: `layers.{l}.weight` (`d_out x d_in`, PyTorch's
/// `nn.Linear` layout) and `layers.{l}.bias`, float32.
pub fn write_safetensors(spec: &CircuitSpec, w: &train::Weights, path: &Path) -> Result<(), CliError> {
    let circuit = |e: zkdl_circuit::SpecError| CliError::Circuit { path: spec.name.clone(), reason: e.to_string() };
    let (fp, fpw) = (spec.fixed_point().map_err(circuit)?, spec.weight_point().map_err(circuit)?);
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    let f32s = |v: Vec<f64>| v.into_iter().flat_map(|x| (x as f32).to_le_bytes()).collect::<Vec<u8>>();
    for (l, lw) in w.layers.iter().enumerate() {
        // transpose d_in x d_out (ours) to d_out x d_in (PyTorch)
        let mut t = Vec::with_capacity(lw.w.len());
        for o in 0..lw.d_out {
            for i in 0..lw.d_in {
                t.push(fpw.decode(lw.w[i * lw.d_out + o]));
            }
        }
        tensors.push((format!("layers.{l}.weight"), vec![lw.d_out, lw.d_in], f32s(t)));
        if let Some(b) = &lw.b {
            tensors.push((format!("layers.{l}.bias"), vec![lw.d_out], f32s(b.iter().map(|&v| fp.decode(v)).collect())));
        }
    }
    let io = |reason: String| CliError::Io { path: path.to_path_buf(), source: std::io::Error::other(reason) };
    let views = tensors
        .iter()
        .map(|(name, shape, bytes)| {
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
                .map(|v| (name.clone(), v))
                .map_err(|e| io(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let bytes = safetensors::tensor::serialize(views, &None).map_err(|e| io(e.to_string()))?;
    std::fs::write(path, bytes).map_err(|source| CliError::Io { path: path.to_path_buf(), source })
}

/// Read and parse a proof file.
pub fn read_proof(path: &Path) -> Result<ProofFile, CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::Io { path: path.to_path_buf(), source })?;
    ProofFile::from_bytes(&bytes).map_err(|source| CliError::File { path: path.to_path_buf(), source })
}

/// `zkdl verify`: `Ok(true)` accepted, `Ok(false)` rejected (reason printed).
/// With `expected`, the proof must be about that circuit file's circuit (a verifier
/// that accepts whatever circuit a file names learns little).
pub fn verify(path: &Path, expected: Option<&Path>, json: bool) -> Result<bool, CliError> {
    // The reported time covers parsing the file (every point is read and checked).
    let t0 = Instant::now();
    let f = read_proof(path)?;
    if let Some(c) = expected {
        let want = load_circuit(Some(c))?;
        if want.digest() != f.spec.digest() {
            return Err(CliError::File { path: path.to_path_buf(), source: FileError::OtherCircuit });
        }
    }
    let res = zkdl_verifier::verify(&f.spec, &f.statement, &f.proof);
    let secs = t0.elapsed().as_secs_f64();
    if json {
        let v = serde_json::json!({
            "accepted": res.is_ok(),
            "reason": res.as_ref().err().map(|e| e.to_string()),
            "circuit": f.spec.name,
            "steps": f.spec.train.steps,
            "verify_s": secs,
        });
        println!("{v}");
    } else {
        match &res {
            Ok(()) => println!("accepted: {} steps of {} ({secs:.3} s)", f.spec.train.steps, f.spec.name),
            Err(e) => println!("rejected: {e} ({secs:.3} s)"),
        }
    }
    Ok(res.is_ok())
}

/// `zkdl inspect`: what a proof file holds.
pub fn inspect(path: &Path, json: bool) -> Result<(), CliError> {
    let f = read_proof(path)?;
    let sz = f.proof.sizes();
    let digest: String = f.spec.digest().iter().map(|b| format!("{b:02x}")).collect();
    let dims = f.spec.dims();
    if json {
        let v = serde_json::json!({
            "format_version": FORMAT_VERSION,
            "circuit": f.spec.name,
            "digest": digest,
            "dims": dims,
            "parameters": f.spec.num_params(),
            "batch": f.spec.train.batch,
            "steps": f.spec.train.steps,
            "sizes": {
                "commitments": sz.commitments,
                "sumchecks": sz.sumchecks,
                "values": sz.values,
                "openings": sz.openings,
                "total": sz.total,
            },
        });
        println!("{v}");
    } else {
        println!("zkdl proof, format version {FORMAT_VERSION}");
        println!("circuit {} {:?}, batch {}, {} steps", f.spec.name, dims, f.spec.train.batch, f.spec.train.steps);
        println!("digest {digest}");
        println!(
            "proof {} bytes: commitments {}, sumchecks {}, values {}, openings {}",
            sz.total, sz.commitments, sz.sumchecks, sz.values, sz.openings
        );
    }
    Ok(())
}
