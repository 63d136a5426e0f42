//! The `prove`, `verify` and `inspect` subcommands (README, issue "command line").

use std::path::{Path, PathBuf};
use std::time::Instant;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkdl_circuit::dataset::{self, schedule_row, DatasetCommitment};
use zkdl_circuit::file::{FileError, ProofFile, FORMAT_VERSION};
use zkdl_circuit::CircuitSpec;
use zkdl_prover::data;
use zkdl_prover::prove::{prove_training_with, ProveOptions};
use zkdl_prover::train::{self, Batch};
use zkdl_verifier::chain::step_range;

/// The built-in default circuit (`circuits/tiny.toml`).
pub const TINY_TOML: &str = include_str!("../circuits/tiny.toml");

pub use crate::error::CliError;

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
    /// One batch per step: step `t` takes training rows `(t b + i) mod n`
    /// (`zkdl_circuit::dataset::schedule_row`).
    pub batches: Vec<Batch>,
    /// Every training row, encoded: features (`n x d_0`) and targets (`n x d_L`).
    pub features: Vec<i64>,
    pub targets: Vec<i64>,
    /// The held-out rows (normalised, f64) for accuracy or RMSE.
    pub test: data::Dataset,
    /// Training rows available.
    pub train_rows: usize,
}

/// Load `--data` (`synthetic`, `mnist:DIR`, `uci:DIR`, `csv:FILE` with `target`),
/// check it against the circuit, split it (MNIST: first 8,000 rows to train, the rest
/// to test; otherwise the last fifth is the test split), normalise it as the circuit
/// says, and encode every training row in fixed point: every data error is reported
/// here, before any proving. The batches are those of steps `first_step..` of the run
/// (a resumed run continues where its checkpoint stopped). Synthetic data has
/// [`SYNTHETIC_TRAIN_ROWS`] training rows whatever the number of steps, so that one
/// dataset commitment (`zkdl commit-data`) serves every chunk of a run.
pub fn load_data(
    spec: &CircuitSpec,
    data_spec: &str,
    target: Option<&str>,
    seed: u64,
    first_step: usize,
) -> Result<RunData, CliError> {
    let bad = |reason: String| CliError::Data { spec: data_spec.to_string(), reason };
    let (b, steps) = (spec.train.batch, spec.train.steps);
    let (din, dout) = (spec.model.input_dim, spec.dims().last().copied().unwrap_or(0));
    let de = |e: data::DataError| bad(e.to_string());
    let end_step = first_step.checked_add(steps).ok_or_else(|| bad(format!("step {first_step} is out of range")))?;
    let (mut set, mnist) = match data_spec.split_once(':') {
        None if data_spec == "synthetic" => {
            // the last fifth is the test split
            let rows = SYNTHETIC_TRAIN_ROWS.max(b);
            (data::synthetic(rows + rows / 4, din, dout, seed), false)
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
    let batches = (first_step..end_step)
        .map(|t| {
            let rows: Vec<usize> = (0..b).map(|i| schedule_row(t as u64, i, b, train_rows as u64) as usize).collect();
            let pick = |v: &[i64], w: usize| rows.iter().flat_map(|&r| v[r * w..(r + 1) * w].iter().copied()).collect();
            Batch { x: pick(&x_all, din), y: pick(&y_all, dout) }
        })
        .collect();
    Ok(RunData { batches, features: x_all, targets: y_all, test: set.slice(train_rows, n), train_rows })
}

/// Training rows of `--data synthetic` (at least one batch).
pub const SYNTHETIC_TRAIN_ROWS: usize = 4096;

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
    let run = load_data(&spec, o.data, o.target, o.seed, 0)?;
    let fp = spec.fixed_point().map_err(|e| CliError::Circuit { path: spec.name.clone(), reason: e.to_string() })?;
    let mut w = train::init_weights(&spec, o.seed)?;
    let t0 = Instant::now();
    for (t, b) in run.batches.iter().enumerate() {
        let out = train::predict(&spec, &w, &b.x, spec.train.batch)?;
        let (o, y): (Vec<f64>, Vec<f64>) = out.iter().zip(&b.y).map(|(o, y)| (fp.decode(*o), fp.decode(*y))).unzip();
        let loss = batch_loss(spec.train.loss, &o, &y, spec.train.batch);
        train::train_step(&spec, &mut w, b, t, false)?;
        println!("step {t}: loss {loss:.5}");
    }
    let secs = t0.elapsed().as_secs_f64();
    println!("{} steps of {} in {secs:.3} s; {}", spec.train.steps, spec.name, evaluate(&spec, &w, &run.test)?);
    Ok(())
}

/// The loss of a batch's outputs `o` against targets `y` (`rows` rows), per row: half the
/// squared error, or the cross-entropy of the softmax over the first `classes` outputs.
fn batch_loss(loss: zkdl_circuit::Loss, o: &[f64], y: &[f64], rows: usize) -> f64 {
    let total: f64 = match loss {
        zkdl_circuit::Loss::Mse => o.iter().zip(y).map(|(o, y)| (o - y).powi(2)).sum::<f64>() / 2.0,
        zkdl_circuit::Loss::SoftmaxCrossEntropy { classes } => {
            let cols = o.len() / rows.max(1);
            let k = classes.min(cols);
            o.chunks(cols.max(1))
                .zip(y.chunks(cols.max(1)))
                .map(|(o, y)| {
                    let c = o[..k].iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let lse = c + o[..k].iter().map(|v| (v - c).exp()).sum::<f64>().ln();
                    o[..k].iter().zip(&y[..k]).map(|(o, y)| y * (lse - o)).sum::<f64>()
                })
                .sum()
        }
    };
    total / rows.max(1) as f64
}

/// Where `zkdl prove` writes, and the checkpoint it resumes from.
#[derive(Debug, Clone, Copy)]
pub struct ProveFiles<'a> {
    pub out: &'a Path,
    /// The trained weights as float32 safetensors.
    pub weights_out: Option<&'a Path>,
    /// The checkpoint for the next chunk ([`crate::checkpoint`]).
    pub checkpoint_out: Option<&'a Path>,
    /// Resume the run from this checkpoint: its weights, the steps after its, `W(0)`'s
    /// commitment from its statement.
    pub resume: Option<&'a Path>,
    /// The committed dataset (`zkdl commit-data`) the batches are rows of: checked
    /// before proving, named in the statement.
    pub dataset: Option<&'a Path>,
    /// Check every relation on the integer witness before committing
    /// (`zkdl_circuit::witness`): a broken one is named (relation, tensor, step, entry).
    pub check_witness: bool,
}

/// A dataset file and its digest.
pub fn read_dataset(path: &Path) -> Result<(DatasetCommitment, [u8; 32]), CliError> {
    let bad = |reason: String| CliError::Dataset { path: path.to_path_buf(), reason };
    let bytes = std::fs::read(path).map_err(|source| CliError::Io { path: path.to_path_buf(), source })?;
    let d = DatasetCommitment::from_bytes(&bytes).map_err(|e| bad(e.to_string()))?;
    let digest = d.digest().map_err(|e| bad(e.to_string()))?;
    Ok((d, digest))
}

/// `zkdl commit-data`: commit to every training row of the data (encoded as the
/// circuit encodes them, after the split and normalisation) and write the public
/// dataset file. The commitments carry no blinding: nothing is secret in it.
pub fn commit_data(o: &RunOptions<'_>, out: &Path) -> Result<(), CliError> {
    let spec = spec_for(o)?;
    let run = load_data(&spec, o.data, o.target, o.seed, 0)?;
    let t0 = Instant::now();
    let d = zkdl_prover::dataset::commit_dataset(&spec, &run.features, &run.targets, run.train_rows)?;
    let bad = |e: dataset::DatasetError| CliError::Dataset { path: out.to_path_buf(), reason: e.to_string() };
    let bytes = d.to_bytes().map_err(bad)?;
    let digest = d.digest().map_err(bad)?;
    std::fs::write(out, &bytes).map_err(|source| CliError::Io { path: out.to_path_buf(), source })?;
    println!(
        "dataset of {} training rows committed to {} ({} bytes, digest {}) in {:.2} s",
        run.train_rows,
        out.display(),
        bytes.len(),
        dataset::hex(&digest),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `zkdl prove`: train, prove, write the proof file (and the trained weights, the
/// checkpoint); with `resume`, the next chunk of a run proven in chunks.
pub fn prove(o: &RunOptions<'_>, files: &ProveFiles<'_>) -> Result<(), CliError> {
    let spec = spec_for(o)?;
    let previous = files.resume.map(|p| crate::checkpoint::read(&spec, p)).transpose()?;
    let first_step = previous.as_ref().map_or(0, |c| c.steps_done);
    let run = load_data(&spec, o.data, o.target, o.seed, first_step)?;
    let end_step = first_step.saturating_add(spec.train.steps); // load_data refuses an overflow
    let w0 = match &previous {
        Some(c) => c.weights.clone(),
        None => train::init_weights(&spec, o.seed)?,
    };
    let dataset = match files.dataset {
        Some(path) => {
            let (d, digest) = read_dataset(path)?;
            let bad = |reason: String| CliError::Dataset { path: path.to_path_buf(), reason };
            if d.rows != run.train_rows as u64 {
                return Err(bad(format!("{} samples, but --data has {} training rows", d.rows, run.train_rows)));
            }
            zkdl_prover::dataset::check_batches(&spec, &run.batches, first_step as u64, &d).map_err(|e| match e {
                zkdl_prover::ProveError::Dataset(e) => bad(format!("--data is not this dataset: {e}")),
                e => CliError::Prove(e),
            })?;
            Some(digest)
        }
        None => None,
    };
    if let Some(c) = &previous {
        if c.statement.dataset != dataset {
            let reason = match &c.statement.dataset {
                Some(d) => format!("the run's earlier chunks name dataset {}: pass it with --dataset", dataset::hex(d)),
                None => "the run's earlier chunks name no dataset: prove this one without --dataset".to_string(),
            };
            return Err(CliError::Checkpoint { path: files.resume.unwrap_or(Path::new("")).to_path_buf(), reason });
        }
    }
    eprintln!("zkdl: proving steps {}..{} of {} ({} parameters)", first_step, end_step, spec.name, spec.num_params());
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let show = |phase: &'static str| bar.set_message(format!("proving: {phase}"));
    let mut phases = zkdl_prover::Phases::with_callback(&show);
    let t0 = Instant::now();
    let mut rng = StdRng::seed_from_u64(o.seed ^ first_step as u64);
    let previous = previous.as_ref().map(|c| &c.statement);
    let options = ProveOptions { previous, dataset, check_witness: files.check_witness, ..ProveOptions::default() };
    let (statement, proof, w_final) = prove_training_with(&spec, &w0, &run.batches, options, &mut rng, &mut phases)?;
    let prove_s = t0.elapsed().as_secs_f64();
    bar.finish_and_clear();
    for (name, s) in &phases.times {
        tracing::info!(phase = name, seconds = s, "prover phase");
    }
    if let Some(path) = files.weights_out {
        write_safetensors(&spec, &w_final, path)?;
    }
    if let Some(path) = files.checkpoint_out {
        let ck = crate::checkpoint::Checkpoint { steps_done: end_step, statement: statement.clone(), weights: w_final };
        crate::checkpoint::write(&spec, &ck, path)?;
    }
    let out = files.out;
    let file = ProofFile { spec, statement, proof };
    let bytes = file.to_bytes().map_err(|source| CliError::File { path: out.to_path_buf(), source })?;
    std::fs::write(out, &bytes).map_err(|source| CliError::Io { path: out.to_path_buf(), source })?;
    if files.check_witness {
        println!("witness checked: every relation holds on the integers");
    }
    println!("proof written to {} ({} bytes) in {prove_s:.2} s", out.display(), bytes.len());
    Ok(())
}

/// Trained weights as safetensors: `layers.{l}.weight` (`d_out x d_in`, PyTorch's
/// `nn.Linear` layout), `layers.{l}.bias` and PReLU's `layers.{l}.slope`, float32.
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
        if let Some(a) = &lw.slope {
            tensors.push((
                format!("layers.{l}.slope"),
                vec![lw.d_out],
                f32s(a.iter().map(|&v| fp.decode(v)).collect()),
            ));
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

/// `zkdl verify`: `Ok(true)` accepted, `Ok(false)` rejected (reason printed). Several
/// files are a training run proven in chunks, in order: each is verified, and each
/// must be the chunk of steps that follows the one before and start from the weights
/// it ends with. The first must be a first chunk (its `W(0)` range-checked), unless
/// `trust_initial`: the caller vouches for the first proof's `W(0)`.
/// With `expected`, the proofs must be about that circuit file's circuit (a verifier
/// that accepts whatever circuit a file names learns little).
///
/// With `dataset`, every proof must name that dataset and its batches must be the
/// dataset's rows at the schedule's positions for its steps: with the chain's
/// consecutive step ranges, no batch is repeated, skipped or foreign.
pub fn verify(
    paths: &[PathBuf],
    expected: Option<&Path>,
    trust_initial: bool,
    dataset: Option<&Path>,
    json: bool,
) -> Result<bool, CliError> {
    // The reported time covers parsing the files (every point is read and checked).
    let t0 = Instant::now();
    let files = paths.iter().map(|p| read_proof(p)).collect::<Result<Vec<_>, _>>()?;
    let dataset = dataset.map(read_dataset).transpose()?;
    let Some(first) = files.first() else {
        return Err(CliError::Data { spec: "verify".into(), reason: "no proof file given".into() });
    };
    if let Some(c) = expected {
        let want = load_circuit(Some(c))?.digest();
        if let Some((_, p)) = files.iter().zip(paths).find(|(f, _)| f.spec.digest() != want) {
            return Err(CliError::File { path: p.clone(), source: FileError::OtherCircuit });
        }
    }
    let chunks: Vec<zkdl_verifier::chain::Chunk<'_>> = files
        .iter()
        .map(|f| zkdl_verifier::chain::Chunk { spec: &f.spec, statement: &f.statement, proof: &f.proof })
        .collect();
    let opts = zkdl_verifier::ChainOptions { trust_initial, dataset: dataset.as_ref().map(|(d, h)| (d, *h)) };
    let path = |index: usize| paths.get(index.wrapping_sub(1)).map_or_else(String::new, |p| p.display().to_string());
    let res: Result<(), String> = zkdl_verifier::verify_chain(&chunks, &opts).map(|_| ()).map_err(|e| {
        use zkdl_verifier::ChainError as C;
        let at = |index: usize, msg: String| match files.len() {
            1 => msg,
            _ => format!("{}: {msg}", path(index)),
        };
        match e {
            C::MissingPredecessor { .. } => format!("{}: {e} (or --trust-initial)", path(1)),
            C::Proof { index, source } => at(index, source.to_string()),
            C::Batches { index, source } => at(index, format!("dataset: {source}")),
            e => e.to_string(),
        }
    });
    let secs = t0.elapsed().as_secs_f64();
    let steps: usize = files.iter().map(|f| f.spec.train.steps).sum();
    let (run_first, _) = step_range(&first.statement);
    let run_end = files.last().map_or(run_first, |f| step_range(&f.statement).1);
    if json {
        let v = serde_json::json!({
            "accepted": res.is_ok(),
            "reason": res.as_ref().err(),
            "circuit": first.spec.name,
            "proofs": files.len(),
            "steps": steps,
            "step_range": [run_first, run_end],
            "initial_weights_checked": first.statement.initial_checked,
            "dataset": first.statement.dataset.as_ref().map(dataset::hex),
            "dataset_checked": dataset.is_some(),
            "verify_s": secs,
        });
        println!("{v}");
    } else {
        let what = match files.len() {
            1 => format!("{steps} steps of {} (steps {run_first}..{run_end})", first.spec.name),
            n => format!("a chain of {n} proofs, {steps} steps of {} (steps {run_first}..{run_end})", first.spec.name),
        };
        let what = match first.statement.initial_checked {
            true => what,
            false => format!("{what}, W(0) trusted (--trust-initial)"),
        };
        let what = match (&first.statement.dataset, &dataset) {
            (Some(d), Some(_)) => format!("{what}, batches are rows of dataset {}", short_hex(d)),
            (Some(d), None) => format!("{what}, batches of dataset {} not checked (no --dataset)", short_hex(d)),
            (None, _) => what,
        };
        match &res {
            Ok(()) => println!("accepted: {what} ({secs:.3} s)"),
            Err(e) => println!("rejected: {e} ({secs:.3} s)"),
        }
    }
    Ok(res.is_ok())
}

/// The first 16 hex digits of a digest.
fn short_hex(d: &[u8; 32]) -> String {
    dataset::hex(d).chars().take(16).collect()
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
            "step_range": [f.statement.step_offset, step_range(&f.statement).1],
            "initial_weights_checked": f.statement.initial_checked,
            "dataset": f.statement.dataset.as_ref().map(dataset::hex),
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
        let (a, b) = step_range(&f.statement);
        match f.statement.initial_checked {
            true => println!("steps {a}..{b} of the run; W(0) and b(0) range-checked in this proof"),
            false => println!("steps {a}..{b} of the run; W(0) and b(0) carried from the proof of steps ..{a}"),
        }
        match &f.statement.dataset {
            Some(d) => println!("batches: rows of dataset {} at the schedule's positions", dataset::hex(d)),
            None => println!("batches: not bound to a dataset"),
        }
        println!(
            "proof {} bytes: commitments {}, sumchecks {}, values {}, openings {}",
            sz.total, sz.commitments, sz.sumchecks, sz.values, sz.openings
        );
    }
    Ok(())
}
