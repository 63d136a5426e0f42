//! Task structure and nonlinearity shape the learned representation (after Alleman et
//! al. 2024, "Task structure and nonlinearity jointly determine learned representational
//! geometry"), reproduced under proof.
//!
//!     cargo run --release --example representation_geometry [-- STEPS SHRINK LR_SHIFT SEEDS]
//!
//! (defaults 256 3 5 3).
//!
//! A task family with a parameter, the input/target alignment: latent factors `z1`, `z2`
//! (standard normal) are embedded in 16 input dimensions with standard deviations 2 and
//! 0.5 (a random rotation, plus noise of 0.05); the binary target (one-hot over two
//! classes) is the sign of `cos(theta) z1 + sin(theta) z2`. At `theta = 0` the target
//! follows the inputs' dominant direction (aligned); at `theta = 90` degrees it follows a
//! direction of small input variance (misaligned). For each activation (tanh, ReLU) and
//! each `theta`, a 16-32-2 network (biases, MSE) is trained from small initial weights
//! (the default initialisation divided by `2^SHRINK`) for STEPS SGD steps of batch 16 at
//! learning rate `2^-LR_SHIFT` in fixed point, the whole run proven in one aggregated
//! proof and verified, for SEEDS draws of the task and the weights. Then, on
//! 64 held-out points, the hidden layer's representation `H` (from the proven final
//! weights) is compared with the inputs and with the targets: the Pearson correlation of
//! its pairwise-distance matrix with the inputs' (`r(H, X)`) and with the targets'
//! (`r(H, Y)`). The paper's finding is that tanh networks learn target-aligned geometry
//! and ReLU networks keep more of the inputs' structure: `r(H, Y) - r(H, X)` larger for
//! tanh, most visibly when the target is misaligned with the inputs.

use std::time::Instant;

use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkdl::circuit::activation::smooth::SmoothKind;
use zkdl::circuit::{Activation, CircuitSpec};
use zkdl::prover::prove::prove_training;
use zkdl::prover::train::{self, Batch, Weights};

const D: usize = 16;
const HIDDEN: usize = 32;
const BATCH: usize = 16;
const EVAL: usize = 64;

/// A standard normal sample (Box-Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u: f64 = rng.gen_range(1e-12..1.0);
    let v: f64 = rng.gen_range(0.0..1.0);
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// A random orthonormal pair of directions in `D` dimensions (Gram-Schmidt).
fn directions(rng: &mut StdRng) -> [Vec<f64>; 2] {
    let mut a: Vec<f64> = (0..D).map(|_| normal(rng)).collect();
    let n = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    a.iter_mut().for_each(|x| *x /= n);
    let mut b: Vec<f64> = (0..D).map(|_| normal(rng)).collect();
    let dot: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
    b.iter_mut().zip(&a).for_each(|(y, x)| *y -= dot * x);
    let n = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    b.iter_mut().for_each(|x| *x /= n);
    [a, b]
}

/// `n` samples of the task at angle `theta`: inputs (`n x D`) and one-hot targets (`n x 2`).
fn task(n: usize, theta: f64, dirs: &[Vec<f64>; 2], rng: &mut StdRng) -> (Vec<f64>, Vec<f64>) {
    let (mut x, mut y) = (Vec::with_capacity(n * D), Vec::with_capacity(n * 2));
    for _ in 0..n {
        let (z1, z2) = (normal(rng), normal(rng));
        for (a, b) in dirs[0].iter().zip(&dirs[1]) {
            x.push(2.0 * z1 * a + 0.5 * z2 * b + 0.05 * normal(rng));
        }
        let positive = theta.cos() * z1 + theta.sin() * z2 >= 0.0;
        y.extend(if positive { [1.0, 0.0] } else { [0.0, 1.0] });
    }
    (x, y)
}

/// Pairwise Euclidean distances of the rows of `m` (`cols` wide), upper triangle.
fn distances(m: &[f64], cols: usize) -> Vec<f64> {
    let rows: Vec<&[f64]> = m.chunks(cols).collect();
    let mut d = Vec::new();
    for i in 0..rows.len() {
        for j in i + 1..rows.len() {
            d.push(rows[i].iter().zip(rows[j]).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt());
        }
    }
    d
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma) * (x - ma)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb) * (y - mb)).sum();
    cov / (va * vb).sqrt()
}

/// The hidden layer's output on `x` (`rows x D`) from the proven weights, in `f64`.
fn hidden(spec: &CircuitSpec, w: &Weights, x: &[f64]) -> Result<Vec<f64>, zkdl::circuit::SpecError> {
    let (fpw, fp) = (spec.weight_point()?, spec.fixed_point()?);
    let act = spec.model.layers[0].activation;
    let l = &w.layers[0];
    let mut h = Vec::with_capacity(x.len() / D * HIDDEN);
    for row in x.chunks(D) {
        for j in 0..HIDDEN {
            let mut z: f64 = (0..D).map(|k| row[k] * fpw.decode(l.w[k * HIDDEN + j])).sum();
            if let Some(b) = &l.b {
                z += fp.decode(b[j]);
            }
            h.push(act.forward_f64(z));
        }
    }
    Ok(h)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arg = |i: usize, default: u32| std::env::args().nth(i).and_then(|s| s.parse().ok()).unwrap_or(default);
    let (steps, shrink, lr_shift, seeds) = (arg(1, 256) as usize, arg(2, 3), arg(3, 5), arg(4, 3) as u64);
    println!("| seed | activation | theta | train acc | r(H, X) | r(H, Y) | r(H, Y) - r(H, X) | prove s | verified |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let acts = [Activation::Smooth(SmoothKind::Tanh), Activation::Relu];
    let thetas = [0u32, 45, 90];
    let mut gaps: Vec<(Activation, u32, f64)> = Vec::new();
    for seed in 0..seeds {
        for theta_deg in thetas {
            let theta = (theta_deg as f64).to_radians();
            let mut rng = StdRng::seed_from_u64(7 + seed);
            let dirs = directions(&mut rng);
            let (xt, yt) = task(steps * BATCH, theta, &dirs, &mut rng);
            let (xe, ye) = task(EVAL, theta, &dirs, &mut rng);
            for act in acts {
                let mut spec = CircuitSpec::mlp("geometry", D, &[HIDDEN], 2, true, BATCH, steps);
                spec.model.layers[0].activation = act;
                spec.train.lr_shift = lr_shift;
                spec.validate()?;
                let fp = spec.fixed_point()?;
                let batches: Vec<Batch> = (0..steps)
                    .map(|t| {
                        let (a, b) = (t * BATCH, (t + 1) * BATCH);
                        Ok(Batch { x: fp.encode_slice(&xt[a * D..b * D])?, y: fp.encode_slice(&yt[a * 2..b * 2])? })
                    })
                    .collect::<Result<_, zkdl::core::FixedPointError>>()?;
                // small initial weights (2^-shrink of the default): the rich regime, where the
                // hidden layer learns features instead of keeping its random projection
                let mut w0 = train::init_weights(&spec, 11 + seed)?;
                for l in &mut w0.layers {
                    l.w.iter_mut().for_each(|v| *v >>= shrink);
                }
                let t0 = Instant::now();
                let (statement, proof, wt) = prove_training(&spec, &w0, &batches, &mut StdRng::seed_from_u64(1))?;
                let prove_s = t0.elapsed().as_secs_f64();
                zkdl::verifier::verify(&spec, &statement, &proof)?;
                // training accuracy of the proven weights
                let xq = fp.encode_slice(&xt)?;
                let out = train::predict(&spec, &wt, &xq, steps * BATCH)?;
                let (pred, labels) = (train::argmax_rows(&out, 2), train::argmax_rows(&yt, 2));
                let acc = pred.iter().zip(&labels).filter(|(p, l)| p == l).count() as f64 / labels.len() as f64;
                let dh = distances(&hidden(&spec, &wt, &xe)?, HIDDEN);
                let (rx, ry) = (pearson(&dh, &distances(&xe, D)), pearson(&dh, &distances(&ye, 2)));
                gaps.push((act, theta_deg, ry - rx));
                let name = act.name();
                println!(
                    "| {seed} | {name} | {theta_deg} | {:.1}% | {rx:.3} | {ry:.3} | {:+.3} | {prove_s:.2} | yes |",
                    acc * 100.0,
                    ry - rx
                );
            }
        }
    }
    println!("\nmean of r(H, Y) - r(H, X) over {seeds} seeds (larger: geometry closer to the targets')");
    for theta in thetas {
        let mean = |a: Activation| {
            let v: Vec<f64> = gaps.iter().filter(|g| g.0 == a && g.1 == theta).map(|g| g.2).collect();
            v.iter().sum::<f64>() / v.len().max(1) as f64
        };
        let (t, r) = (mean(acts[0]), mean(acts[1]));
        let verdict = if t > r { "tanh more target-aligned than ReLU" } else { "ReLU at least as target-aligned" };
        println!("theta {theta:>2}: tanh {t:+.3}, relu {r:+.3}: {verdict}");
    }
    Ok(())
}
