//! The `prove`, `verify` and `inspect` subcommands (README, issue "command line").

use std::path::{Path, PathBuf};
use std::time::Instant;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkdl_circuit::file::{FileError, ProofFile, FORMAT_VERSION};
use zkdl_circuit::CircuitSpec;
use zkdl_prover::data;
use zkdl_prover::prove::prove_training;
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

/// The batches of a run: `synthetic` or `mnist:DIR`, encoded in the circuit's fixed point.
pub fn load_batches(spec: &CircuitSpec, data_spec: &str, seed: u64) -> Result<Vec<Batch>, CliError> {
    let bad = |reason: String| CliError::Data { spec: data_spec.to_string(), reason };
    let (b, steps) = (spec.train.batch, spec.train.steps);
    let (din, dout) = (spec.model.input_dim, spec.dims().last().copied().unwrap_or(0));
    let set = if data_spec == "synthetic" {
        data::synthetic(b * steps, din, dout, seed)
    } else if let Some(dir) = data_spec.strip_prefix("mnist:") {
        let set = data::load_mnist_dir(Path::new(dir)).map_err(|e| bad(e.to_string()))?;
        if din != 784 || dout != 10 {
            return Err(bad(format!("MNIST has 784 inputs and 10 classes, the circuit {din} and {dout}")));
        }
        set
    } else {
        return Err(bad("unknown data source (use synthetic or mnist:DIR)".to_string()));
    };
    if set.len() < b * steps {
        return Err(bad(format!("{} examples, {steps} steps of batch {b} need {}", set.len(), b * steps)));
    }
    let fp = spec.fixed_point().map_err(|e| bad(e.to_string()))?;
    (0..steps)
        .map(|t| {
            let s = set.slice(t * b, (t + 1) * b);
            let enc = |v: &[f64]| fp.encode_slice(v).map_err(|e| bad(format!("step {t}: {e}")));
            Ok(Batch { x: enc(&s.x)?, y: enc(&s.y)? })
        })
        .collect()
}

/// `zkdl prove`: train, prove, write the proof file.
pub fn prove(
    circuit: Option<&Path>,
    data_spec: &str,
    steps: Option<usize>,
    seed: u64,
    out: &Path,
) -> Result<(), CliError> {
    let mut spec = load_circuit(circuit)?;
    if let Some(s) = steps {
        spec.train.steps = s;
        spec.validate().map_err(|e| CliError::Circuit { path: "--steps".into(), reason: e.to_string() })?;
    }
    let batches = load_batches(&spec, data_spec, seed)?;
    let w0 = train::init_weights(&spec, seed)?;
    eprintln!("zkdl: proving {} steps of {} ({} parameters)", spec.train.steps, spec.name, spec.num_params());
    let t0 = Instant::now();
    let (statement, proof, _) = prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(seed))?;
    let prove_s = t0.elapsed().as_secs_f64();
    let file = ProofFile { spec, statement, proof };
    let bytes = file.to_bytes().map_err(|source| CliError::File { path: out.to_path_buf(), source })?;
    std::fs::write(out, &bytes).map_err(|source| CliError::Io { path: out.to_path_buf(), source })?;
    println!("proof written to {} ({} bytes) in {prove_s:.2} s", out.display(), bytes.len());
    Ok(())
}

/// Read and parse a proof file.
pub fn read_proof(path: &Path) -> Result<ProofFile, CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::Io { path: path.to_path_buf(), source })?;
    ProofFile::from_bytes(&bytes).map_err(|source| CliError::File { path: path.to_path_buf(), source })
}

/// `zkdl verify`: `Ok(true)` accepted, `Ok(false)` rejected (reason printed).
pub fn verify(path: &Path, json: bool) -> Result<bool, CliError> {
    let f = read_proof(path)?;
    let t0 = Instant::now();
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
