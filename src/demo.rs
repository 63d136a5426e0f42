//! `zkdl demo`: commit to two synthetic quantized matrices and their product, prove
//! the product relation `Z = A W` with the sumcheck engine and Hyrax openings, and
//! verify the proof. It exercises every primitive of zkdl-core end to end and is the
//! shape of the matmul relation that the training proof builds on.

use std::time::Instant;

use ark_ff::One;
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkdl_core::field::fr_from_i64;
use zkdl_core::mle::{eq_table, DenseMle};
use zkdl_core::msm::CpuMsm;
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators, HyraxOpening, Table};
use zkdl_core::sumcheck::{self, ProductSum, SumcheckProof};
use zkdl_core::transcript::{labels, Transcript};
use zkdl_core::Fr;

/// Errors of the demo (any failure of proving or verifying).
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("dimensions must be powers of two between 1 and 2^12, got {0}")]
    BadDim(usize),
    #[error("commitment error: {0}")]
    Pcs(#[from] zkdl_core::PcsError),
    #[error("sumcheck error: {0}")]
    Sumcheck(#[from] zkdl_core::SumcheckError),
    #[error("proof rejected: {0}")]
    Rejected(&'static str),
}

/// The proof that `Z = A W` for committed `A`, `W`, `Z`.
pub struct MatmulProof {
    pub z_open: HyraxOpening,
    pub z_value: Fr,
    pub sumcheck: SumcheckProof,
    pub a_value: Fr,
    pub w_value: Fr,
    pub a_open: HyraxOpening,
    pub w_open: HyraxOpening,
}

pub struct Statement {
    pub b: usize,
    pub d: usize,
    pub k: usize,
    pub a: HyraxCommitment,
    pub w: HyraxCommitment,
    pub z: HyraxCommitment,
}

fn log2(x: usize) -> usize {
    x.trailing_zeros() as usize
}

/// Row-major `rows x cols` matrix as an MLE: the column bits are the first variables,
/// so `M~(row_point, col_point)` is evaluated at `col_point ++ row_point`.
fn point(col: &[Fr], row: &[Fr]) -> Vec<Fr> {
    col.iter().chain(row).copied().collect()
}

fn absorb_statement(t: &mut Transcript, s: &Statement) {
    t.append_u64(labels::DEMO_DIMS, s.b as u64);
    t.append_u64(labels::DEMO_DIMS, s.d as u64);
    t.append_u64(labels::DEMO_DIMS, s.k as u64);
    t.append_points(labels::DEMO_COMMIT_A, &s.a.rows);
    t.append_points(labels::DEMO_COMMIT_W, &s.w.rows);
    t.append_points(labels::DEMO_COMMIT_Z, &s.z.rows);
}

pub fn run(b: usize, d: usize, k: usize, seed: u64) -> Result<(), DemoError> {
    for x in [b, d, k] {
        if !x.is_power_of_two() || x > 1 << 12 {
            return Err(DemoError::BadDim(x));
        }
    }
    let (lb, ld, lk) = (log2(b), log2(d), log2(k));
    let mut rng = StdRng::seed_from_u64(seed);
    // Quantized values (scale 2^8): activations and weights in [-2, 2).
    let a: Vec<i64> = (0..b * d).map(|_| rng.gen_range(-512..512)).collect();
    let w: Vec<i64> = (0..d * k).map(|_| rng.gen_range(-512..512)).collect();
    let mut z = vec![0i64; b * k];
    for i in 0..b {
        for j in 0..d {
            let aij = a[i * d + j];
            for c in 0..k {
                z[i * k + c] += aij * w[j * k + c];
            }
        }
    }
    let max_vars = (lb + ld).max(ld + lk).max(lb + lk);
    let t0 = Instant::now();
    let gens = HyraxGenerators::new(b"zkdl/demo", max_vars)?;
    let setup_s = t0.elapsed().as_secs_f64();

    // ---- prover
    let t0 = Instant::now();
    let msm = CpuMsm;
    let stmt = Statement {
        b,
        d,
        k,
        a: pcs::commit(&gens, lb + ld, Table::Small(&a), None, &msm)?,
        w: pcs::commit(&gens, ld + lk, Table::Small(&w), None, &msm)?,
        z: pcs::commit(&gens, lb + lk, Table::Small(&z), None, &msm)?,
    };
    let af: Vec<Fr> = a.iter().map(|&x| fr_from_i64(x)).collect();
    let wf: Vec<Fr> = w.iter().map(|&x| fr_from_i64(x)).collect();
    let zf: Vec<Fr> = z.iter().map(|&x| fr_from_i64(x)).collect();
    let mut tp = Transcript::new(labels::DEMO_DOMAIN);
    absorb_statement(&mut tp, &stmt);
    let r_b = tp.challenge_scalars(labels::DEMO_R_B, lb);
    let r_k = tp.challenge_scalars(labels::DEMO_R_K, lk);
    let (z_value, z_open) = pcs::open(&gens, lb + lk, &zf, None, &stmt.z, &point(&r_k, &r_b), &mut tp, &mut rng)?;
    // f_A(j) = A~(r_b, j) = sum_i eq(r_b, i) A[i, j];  f_W(j) = W~(j, r_k) = sum_c eq(r_k, c) W[j, c]
    let eb = eq_table(&r_b);
    let ek = eq_table(&r_k);
    let fa: Vec<Fr> = (0..d).map(|j| (0..b).map(|i| eb[i] * af[i * d + j]).sum()).collect();
    let fw: Vec<Fr> = (0..d).map(|j| (0..k).map(|c| ek[c] * wf[j * k + c]).sum()).collect();
    let mut inst = ProductSum::new(
        vec![
            DenseMle::new(fa).map_err(|_| DemoError::BadDim(d))?,
            DenseMle::new(fw).map_err(|_| DemoError::BadDim(d))?,
        ],
        vec![(Fr::one(), vec![0, 1])],
    )?;
    let (sc, r_j) = sumcheck::prove(&mut inst, z_value, &mut tp)?;
    let fin = inst.final_evals();
    let (a_value, w_value) = (fin[0], fin[1]);
    tp.append_scalar(labels::DEMO_A_VALUE, &a_value);
    tp.append_scalar(labels::DEMO_W_VALUE, &w_value);
    let (_, a_open) = pcs::open(&gens, lb + ld, &af, None, &stmt.a, &point(&r_j, &r_b), &mut tp, &mut rng)?;
    let (_, w_open) = pcs::open(&gens, ld + lk, &wf, None, &stmt.w, &point(&r_k, &r_j), &mut tp, &mut rng)?;
    let proof = MatmulProof { z_open, z_value, sumcheck: sc, a_value, w_value, a_open, w_open };
    let prove_s = t0.elapsed().as_secs_f64();

    // ---- verifier
    let t0 = Instant::now();
    verify(&gens, &stmt, &proof)?;
    let verify_s = t0.elapsed().as_secs_f64();

    // ---- a cheating prover: Z with one entry off by one must be rejected
    let mut z_bad = z.clone();
    z_bad[0] += 1;
    let bad_stmt = Statement { z: pcs::commit(&gens, lb + lk, Table::Small(&z_bad), None, &msm)?, ..stmt };
    let rejected = verify(&gens, &bad_stmt, &proof).is_err();

    println!("demo: Z = A W with A {b}x{d}, W {d}x{k} (committed, Hyrax over BLS12-381)");
    println!("  generators: {setup_s:.3} s   prove: {prove_s:.3} s   verify: {verify_s:.3} s");
    println!("  honest proof: accepted");
    println!("  proof against a Z with one entry changed: {}", if rejected { "rejected" } else { "ACCEPTED (bug)" });
    if !rejected {
        return Err(DemoError::Rejected("a wrong product was accepted"));
    }
    Ok(())
}

pub fn verify(gens: &HyraxGenerators, s: &Statement, p: &MatmulProof) -> Result<(), DemoError> {
    let (lb, ld, lk) = (log2(s.b), log2(s.d), log2(s.k));
    let mut tv = Transcript::new(labels::DEMO_DOMAIN);
    absorb_statement(&mut tv, s);
    let r_b = tv.challenge_scalars(labels::DEMO_R_B, lb);
    let r_k = tv.challenge_scalars(labels::DEMO_R_K, lk);
    pcs::verify(gens, lb + lk, &s.z, &point(&r_k, &r_b), p.z_value, &p.z_open, &mut tv)?;
    let (r_j, value) = sumcheck::verify(p.z_value, ld, 2, &p.sumcheck, &mut tv)?;
    if value != p.a_value * p.w_value {
        return Err(DemoError::Rejected("sumcheck final claim"));
    }
    tv.append_scalar(labels::DEMO_A_VALUE, &p.a_value);
    tv.append_scalar(labels::DEMO_W_VALUE, &p.w_value);
    pcs::verify(gens, lb + ld, &s.a, &point(&r_j, &r_b), p.a_value, &p.a_open, &mut tv)?;
    pcs::verify(gens, ld + lk, &s.w, &point(&r_k, &r_j), p.w_value, &p.w_open, &mut tv)?;
    Ok(())
}
