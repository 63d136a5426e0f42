//! `zkdl bench`: in one process and on the same data, a plain f32 training step of the
//! same network (ndarray over `matrixmultiply`'s threaded SGEMM), the plain fixed-point
//! step, proving (per phase), verifying, proof size and peak memory.

use std::time::Instant;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use ndarray::{Array2, Axis};
use zkdl_circuit::file::{FileError, ProofFile};
use zkdl_circuit::CircuitSpec;
use zkdl_prover::prove::{prove_training_with, ProveOptions};
use zkdl_prover::train::{self, Batch, Weights};
use zkdl_verifier::training::verify_with;

use crate::cli::{load_data, CliError, RunOptions};

/// The measurements of one `zkdl bench` run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchReport {
    pub circuit: String,
    pub params: usize,
    pub batch: usize,
    pub steps: usize,
    pub threads: usize,
    pub plain_f32_step_s: f64,
    pub plain_fixed_step_s: f64,
    /// The median of `prove_runs` proofs (all steps).
    pub prove_s: f64,
    pub prove_s_per_step: f64,
    /// How many times the training was proven (`--prove-runs`); every run's time.
    pub prove_runs: usize,
    pub prove_s_runs: Vec<f64>,
    /// Seconds per prover phase (all steps together), in order, of the median run.
    pub prove_phases: Vec<PhaseTime>,
    /// Verification from the bytes of the proof file (parsing included), deriving the
    /// generators, and with derived generators (median).
    pub verify_s: f64,
    pub verify_warm_s: f64,
    /// Of `verify_s`: parsing the proof file (every point read and checked on the curve).
    pub parse_s: f64,
    /// The proof (without statement and circuit) on the wire.
    pub proof_bytes: usize,
    /// The whole proof file: header, circuit, statement, proof.
    pub file_bytes: usize,
    /// `prove_s_per_step / plain_f32_step_s`.
    pub overhead: f64,
    /// Peak resident memory of the process (bytes), where the OS reports it (with
    /// `--continued`, over both proofs).
    pub peak_memory_bytes: Option<u64>,
    /// With `--continued`: per step, the proof of a second chunk of training that takes
    /// `W(0)` from the first proof's statement (not committed again), verified; and its
    /// ratio to the f32 step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prove_s_per_step_continued: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overhead_continued: Option<f64>,
    /// With `--continued`: the second chunk's seconds per phase.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prove_phases_continued: Vec<PhaseTime>,
}

/// Time spent in one prover phase.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PhaseTime {
    pub phase: String,
    pub seconds: f64,
}

/// The same network in f32: weights `d_in x d_out`, biases, SGD with the circuit's
/// learning rate and loss (the f32 baseline of the benchmark).
struct F32Model {
    w: Vec<Array2<f32>>,
    b: Vec<Option<Array2<f32>>>,
    lr: f32,
    /// Softmax cross-entropy over this many classes (`None`: MSE).
    softmax: Option<usize>,
}

impl F32Model {
    fn new(spec: &CircuitSpec, w: &Weights) -> Result<Self, CliError> {
        let circuit = |e: zkdl_circuit::SpecError| CliError::Circuit { path: spec.name.clone(), reason: e.to_string() };
        let (fp, fpw) = (spec.fixed_point().map_err(circuit)?, spec.weight_point().map_err(circuit)?);
        let mut ws = Vec::new();
        let mut bs = Vec::new();
        for lw in &w.layers {
            let v: Vec<f32> = lw.w.iter().map(|&x| fpw.decode(x) as f32).collect();
            ws.push(Array2::from_shape_vec((lw.d_in, lw.d_out), v).map_err(shape_err)?);
            bs.push(match &lw.b {
                Some(b) => {
                    let v: Vec<f32> = b.iter().map(|&x| fp.decode(x) as f32).collect();
                    Some(Array2::from_shape_vec((1, lw.d_out), v).map_err(shape_err)?)
                }
                None => None,
            });
        }
        let lr = spec.train.lr_mantissa as f32 / (1u64 << spec.train.lr_shift) as f32;
        let softmax = match spec.train.loss {
            zkdl_circuit::Loss::Mse => None,
            zkdl_circuit::Loss::SoftmaxCrossEntropy { classes } => Some(classes),
        };
        Ok(F32Model { w: ws, b: bs, lr, softmax })
    }

    /// One SGD step on `x` (`B x d_0`), `y` (`B x d_L`).
    fn step(&mut self, x: &Array2<f32>, y: &Array2<f32>) {
        let nl = self.w.len();
        let mut acts = vec![x.clone()];
        for l in 0..nl {
            let mut z = acts[l].dot(&self.w[l]);
            if let Some(b) = &self.b[l] {
                z += b;
            }
            if l + 1 < nl {
                z.mapv_inplace(|v| v.max(0.0));
            }
            acts.push(z);
        }
        let mut g = match self.softmax {
            None => &acts[nl] - y,
            Some(classes) => {
                let mut p = acts[nl].clone();
                for mut row in p.rows_mut() {
                    let k = classes.min(row.len());
                    let c = row.iter().take(k).copied().fold(f32::NEG_INFINITY, f32::max);
                    let mut sum = 0.0;
                    for (j, v) in row.iter_mut().enumerate() {
                        *v = if j < k { (*v - c).exp() } else { 0.0 };
                        sum += *v;
                    }
                    row.mapv_inplace(|v| v / sum);
                }
                p - y
            }
        };
        for l in (0..nl).rev() {
            let gw = acts[l].t().dot(&g);
            let gb = g.sum_axis(Axis(0)).insert_axis(Axis(0));
            let next = if l > 0 {
                let mut ga = g.dot(&self.w[l].t());
                ndarray::Zip::from(&mut ga).and(&acts[l]).for_each(|a, &s| {
                    if s <= 0.0 {
                        *a = 0.0;
                    }
                });
                Some(ga)
            } else {
                None
            };
            self.w[l].scaled_add(-self.lr, &gw);
            if let Some(b) = &mut self.b[l] {
                b.scaled_add(-self.lr, &gb);
            }
            if let Some(n) = next {
                g = n;
            }
        }
    }
}

fn shape_err(e: ndarray::ShapeError) -> CliError {
    CliError::Data { spec: "f32 baseline".into(), reason: e.to_string() }
}

/// Median seconds of `f` over repetitions (at least 3, up to about `budget_s`).
fn median_time(budget_s: f64, mut f: impl FnMut() -> Result<(), CliError>) -> Result<f64, CliError> {
    let mut times = Vec::new();
    let t_all = Instant::now();
    while times.len() < 3 || (t_all.elapsed().as_secs_f64() < budget_s && times.len() < 200) {
        let t0 = Instant::now();
        f()?;
        times.push(t0.elapsed().as_secs_f64());
    }
    times.sort_by(|a, b| a.total_cmp(b));
    Ok(times[times.len() / 2])
}

/// Peak resident set size (`VmHWM` of `/proc/self/status`).
pub fn peak_memory_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn f32_batch(spec: &CircuitSpec, b: &Batch) -> Result<(Array2<f32>, Array2<f32>), CliError> {
    let fp = spec.fixed_point().map_err(|e| CliError::Circuit { path: spec.name.clone(), reason: e.to_string() })?;
    let dims = spec.dims();
    let (din, dout) = (dims[0], dims[dims.len() - 1]);
    let dec = |v: &[i64]| v.iter().map(|&x| fp.decode(x) as f32).collect::<Vec<f32>>();
    Ok((
        Array2::from_shape_vec((spec.train.batch, din), dec(&b.x)).map_err(shape_err)?,
        Array2::from_shape_vec((spec.train.batch, dout), dec(&b.y)).map_err(shape_err)?,
    ))
}

/// Run the benchmark, proving `prove_runs` times (at least once) and reporting the
/// median run (machines shared with others drift by tens of percent).
pub fn run(o: &RunOptions<'_>, prove_runs: usize, continued: bool) -> Result<BenchReport, CliError> {
    let mut spec = crate::cli::load_circuit(o.circuit)?;
    if let Some(s) = o.steps {
        spec.train.steps = s;
        spec.validate().map_err(|e| CliError::Circuit { path: "--steps".into(), reason: e.to_string() })?;
    }
    let run = load_data(&spec, o.data, o.target, o.seed, 0)?;
    let w0 = train::init_weights(&spec, o.seed)?;
    let first = run.batches.first().ok_or(CliError::Data { spec: o.data.into(), reason: "no batches".into() })?;

    // Plain f32 and fixed-point steps, on the first batch, from W(0).
    let (xf, yf) = f32_batch(&spec, first)?;
    let f32_model = F32Model::new(&spec, &w0)?;
    let plain_f32_step_s = median_time(1.0, || {
        let mut m = F32Model { w: f32_model.w.clone(), b: f32_model.b.clone(), ..f32_model };
        m.step(&xf, &yf);
        Ok(())
    })?;
    let plain_fixed_step_s = median_time(1.0, || {
        let mut w = w0.clone();
        train::train_step(&spec, &mut w, first, 0, false)?;
        Ok(())
    })?;

    // Prove, with phase times; the median of `prove_runs` runs.
    let mut runs = Vec::with_capacity(prove_runs.max(1));
    for _ in 0..prove_runs.max(1) {
        let mut phases = zkdl_prover::Phases::default();
        let t0 = Instant::now();
        let rng = &mut StdRng::seed_from_u64(o.seed);
        let (statement, proof, w_final) =
            prove_training_with(&spec, &w0, &run.batches, ProveOptions::default(), rng, &mut phases)?;
        runs.push((t0.elapsed().as_secs_f64(), phases.times, statement, proof, w_final));
    }
    let prove_s_runs: Vec<f64> = runs.iter().map(|r| r.0).collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mid = runs.len() / 2;
    let (prove_s, phase_times, statement, proof, w_final) = runs.swap_remove(mid);
    let first_statement = continued.then(|| statement.clone());

    // Verify from the bytes a proof file holds (parsing and checking every point, then
    // the proof): cold (deriving the generators) and warm.
    let verr = |e: zkdl_verifier::VerifyError| CliError::Data { spec: "verification".into(), reason: e.to_string() };
    let ferr = |e: FileError| CliError::Data { spec: "proof file".into(), reason: e.to_string() };
    let proof_bytes = proof.sizes().total;
    let bytes = ProofFile { spec: spec.clone(), statement, proof }.to_bytes().map_err(ferr)?;
    let t0 = Instant::now();
    let f = ProofFile::from_bytes(&bytes).map_err(ferr)?;
    let parse_s = t0.elapsed().as_secs_f64();
    zkdl_verifier::verify(&f.spec, &f.statement, &f.proof).map_err(verr)?;
    let verify_s = t0.elapsed().as_secs_f64();
    let gens = zkdl_circuit::assemble::training_generators(&spec).map_err(|e| verr(e.into()))?;
    let verify_warm_s = median_time(0.5, || {
        let f = ProofFile::from_bytes(&bytes).map_err(ferr)?;
        verify_with(&gens, &f.spec, &f.statement, &f.proof).map_err(verr)
    })?;

    let steps = spec.train.steps;
    // The next chunk of the same run (on the same batches), W(0) from the first statement.
    let mut phases_continued = zkdl_prover::Phases::default();
    let prove_s_per_step_continued = match first_statement {
        Some(prev) => {
            let t0 = Instant::now();
            let rng = &mut StdRng::seed_from_u64(o.seed);
            let next = ProveOptions::after(&prev);
            let (st, pf, _) = prove_training_with(&spec, &w_final, &run.batches, next, rng, &mut phases_continued)?;
            let s = t0.elapsed().as_secs_f64();
            verify_with(&gens, &spec, &st, &pf).map_err(verr)?;
            Some(s / steps as f64)
        }
        None => None,
    };
    let phase_list = |times: &[(&str, f64)]| -> Vec<PhaseTime> {
        times.iter().map(|(n, s)| PhaseTime { phase: n.to_string(), seconds: *s }).collect()
    };
    let prove_s_per_step = prove_s / steps as f64;
    Ok(BenchReport {
        circuit: spec.name.clone(),
        params: spec.num_params(),
        batch: spec.train.batch,
        steps,
        threads: rayon::current_num_threads(),
        plain_f32_step_s,
        plain_fixed_step_s,
        prove_s,
        prove_s_per_step,
        prove_runs: prove_s_runs.len(),
        prove_s_runs,
        prove_phases: phase_list(&phase_times),
        prove_phases_continued: phase_list(&phases_continued.times),
        verify_s,
        verify_warm_s,
        parse_s,
        proof_bytes,
        file_bytes: bytes.len(),
        overhead: prove_s_per_step / plain_f32_step_s,
        peak_memory_bytes: peak_memory_bytes(),
        overhead_continued: prove_s_per_step_continued.map(|s| s / plain_f32_step_s),
        prove_s_per_step_continued,
    })
}

/// Print `r` as a table.
pub fn print_table(r: &BenchReport) {
    println!(
        "zkdl bench: {} ({} parameters), batch {}, {} steps, {} threads",
        r.circuit, r.params, r.batch, r.steps, r.threads
    );
    let row = |k: &str, v: String| println!("  {k:<28} {v}");
    row("plain f32 step", format!("{:.6} s", r.plain_f32_step_s));
    row("plain fixed-point step", format!("{:.6} s", r.plain_fixed_step_s));
    if r.prove_runs > 1 {
        let all: Vec<String> = r.prove_s_runs.iter().map(|t| format!("{t:.3}")).collect();
        row("prove runs", format!("{} ({} s); the median below", r.prove_runs, all.join(", ")));
    }
    row("prove (all steps)", format!("{:.3} s", r.prove_s));
    for p in &r.prove_phases {
        // with --continued, the second chunk's time of the phase beside
        let cont = r.prove_phases_continued.iter().find(|c| c.phase == p.phase);
        let cont = cont.map(|c| format!("; continued {:.3} s", c.seconds)).unwrap_or_default();
        row(
            &format!("  {}", p.phase),
            format!("{:.3} s ({:.0}%){cont}", p.seconds, 100.0 * p.seconds / r.prove_s.max(1e-12)),
        );
    }
    row("prove per step", format!("{:.3} s", r.prove_s_per_step));
    row("overhead vs f32 step", format!("{:.0}x", r.overhead));
    if let (Some(s), Some(x)) = (r.prove_s_per_step_continued, r.overhead_continued) {
        row("prove per step, continued", format!("{s:.3} s ({x:.0}x; W(0) from the previous proof)"));
    }
    row("verify (with generators)", format!("{:.4} s (parsing the file {:.4} s)", r.verify_s, r.parse_s));
    row("verify (warm)", format!("{:.4} s", r.verify_warm_s));
    row("proof", format!("{} bytes (file {} bytes)", r.proof_bytes, r.file_bytes));
    if let Some(m) = r.peak_memory_bytes {
        row("peak memory", format!("{:.1} MiB", m as f64 / (1u64 << 20) as f64));
    }
}

/// `zkdl bench` entry point.
pub fn bench_cmd(o: &RunOptions<'_>, prove_runs: usize, continued: bool, json: bool) -> Result<(), CliError> {
    let r = run(o, prove_runs, continued)?;
    if json {
        println!("{}", serde_json::to_string(&r).unwrap_or_default());
    } else {
        print_table(&r);
    }
    Ok(())
}
