//! Prover of one dense ReLU layer's forward pass (`zkdl_circuit::gadgets::ReluLayerProof`).

use ark_ff::One;
use ark_std::rand::{CryptoRng, RngCore};
use zkdl_circuit::gadgets::{
    absorb_relu_layer, index_bits, matrix_point, plane_vars, LayerShape, ReluLayerCommitments, ReluLayerProof,
};
use zkdl_circuit::FixedSpec;
use zkdl_core::field::{fr_from_i64, Fr};
use zkdl_core::mle::{eq_table, DenseMle};
use zkdl_core::msm::CpuMsm;
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators, HyraxOpening, Table};
use zkdl_core::sumcheck::{self, ProductSum};
use zkdl_core::transcript::{labels, Transcript};

use crate::range::{bit_planes, prove_range_with_planes, ProveError};

/// The committed tensors of one layer (all row-major, scale `2^f`): `a_in`
/// (`B x d_in`), `w` (`d_in x d_out`), `zq`, `rem`, `a_out` (`B x d_out`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReluLayerWitness {
    pub a_in: Vec<i64>,
    pub w: Vec<i64>,
    pub zq: Vec<i64>,
    pub rem: Vec<i64>,
    pub a_out: Vec<i64>,
}

/// Commit to every tensor of the witness.
pub fn commit_relu_layer(
    gens: &HyraxGenerators,
    shape: LayerShape,
    wit: &ReluLayerWitness,
) -> Result<ReluLayerCommitments, ProveError> {
    let LayerShape { lb, ld, lk } = shape;
    let c = |n: usize, v: &[i64]| pcs::commit(gens, n, Table::Small(v), None, &CpuMsm);
    Ok(ReluLayerCommitments {
        a_in: c(lb + ld, &wit.a_in)?,
        w: c(ld + lk, &wit.w)?,
        zq: c(lb + lk, &wit.zq)?,
        rem: c(lb + lk, &wit.rem)?,
        a_out: c(lb + lk, &wit.a_out)?,
    })
}

fn frs(v: &[i64]) -> Vec<Fr> {
    v.iter().map(|&x| fr_from_i64(x)).collect()
}

/// Evaluate, absorb and open `table` at `point`.
#[allow(clippy::too_many_arguments)]
fn open<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    n: usize,
    table: &[Fr],
    comm: &HyraxCommitment,
    point: &[Fr],
    rng: &mut R,
) -> Result<(Fr, HyraxOpening), ProveError> {
    let value = pcs::evaluate_table(table, point);
    t.append_scalar(labels::LAYER_CLAIM, &value);
    let (_, proof) = pcs::open(gens, n, table, None, comm, point, t, rng)?;
    Ok((value, proof))
}

/// Bit planes of `values + offset` over `k` bits; values outside the range are
/// truncated to their low `k` bits (only a cheating prover has such values).
fn planes_or_truncated(values: &[i64], k: u32, offset: i64) -> Vec<i64> {
    bit_planes(values, k, offset).unwrap_or_else(|_| {
        let len = values.len();
        let mut out = vec![0i64; len << plane_vars(k)];
        for (x, &v) in values.iter().enumerate() {
            let u = v as i128 + offset as i128;
            for j in 0..k as usize {
                out[j * len + x] = ((u >> j) & 1) as i64;
            }
        }
        out
    })
}

/// Prove the layer. The honest prover checks its witness first and refuses an
/// inconsistent one; [`prove_relu_layer_unchecked`] skips that (for tests).
pub fn prove_relu_layer<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    shape: LayerShape,
    fixed: FixedSpec,
    wit: &ReluLayerWitness,
    comms: &ReluLayerCommitments,
    rng: &mut R,
) -> Result<ReluLayerProof, ProveError> {
    bit_planes(&wit.rem, fixed.frac_bits, 0)?;
    bit_planes(&wit.zq, fixed.total_bits, 1i64 << (fixed.total_bits - 1))?;
    prove_relu_layer_unchecked(gens, t, shape, fixed, wit, comms, rng)
}

/// The layer prover without witness checks: a cheating prover's entry point in tests.
#[doc(hidden)]
pub fn prove_relu_layer_unchecked<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    shape: LayerShape,
    fixed: FixedSpec,
    wit: &ReluLayerWitness,
    comms: &ReluLayerCommitments,
    rng: &mut R,
) -> Result<ReluLayerProof, ProveError> {
    let (f, q) = (fixed.frac_bits, fixed.total_bits);
    let LayerShape { lb, ld, lk } = shape;
    let n_out = lb + lk;
    let (b, d, k) = (1usize << lb, 1usize << ld, 1usize << lk);
    if wit.a_in.len() != b * d
        || wit.w.len() != d * k
        || wit.zq.len() != b * k
        || wit.rem.len() != b * k
        || wit.a_out.len() != b * k
    {
        return Err(ProveError::Params("witness shapes do not match the layer shape"));
    }
    absorb_relu_layer(t, shape, f, q, comms);
    let rem_planes = planes_or_truncated(&wit.rem, f, 0);
    let r_range = prove_range_with_planes(gens, t, n_out, f, 0, &wit.rem, &comms.rem, &rem_planes, rng)?;
    let offset = 1i64 << (q - 1);
    let zq_planes = planes_or_truncated(&wit.zq, q, offset);
    let zq_range = prove_range_with_planes(gens, t, n_out, q, offset, &wit.zq, &comms.zq, &zq_planes, rng)?;

    let (a_in, w, zq, rem, a_out) = (frs(&wit.a_in), frs(&wit.w), frs(&wit.zq), frs(&wit.rem), frs(&wit.a_out));
    // Rescale claims at r.
    let r = t.challenge_scalars(labels::LAYER_R, n_out);
    let (zq_r, open_zq_r) = open(gens, t, n_out, &zq, &comms.zq, &r, rng)?;
    let (rem_r, open_rem_r) = open(gens, t, n_out, &rem, &comms.rem, &r, rng)?;
    let z_claim = zkdl_core::field::fr_pow2(f) * zq_r + rem_r - zkdl_core::field::fr_pow2(f - 1);
    // Matmul sumcheck over j.
    let (r_col, r_row) = r.split_at(lk);
    let e_row = eq_table(r_row);
    let e_col = eq_table(r_col);
    let fa: Vec<Fr> = (0..d).map(|j| (0..b).map(|i| e_row[i] * a_in[i * d + j]).sum()).collect();
    let fw: Vec<Fr> = (0..d).map(|j| (0..k).map(|c| e_col[c] * w[j * k + c]).sum()).collect();
    let mle = |v: Vec<Fr>| DenseMle::new(v).map_err(|_| ProveError::Params("table size"));
    let mut mm = ProductSum::new(vec![mle(fa)?, mle(fw)?], vec![(Fr::one(), vec![0, 1])])?;
    let (matmul, rj) = sumcheck::prove(&mut mm, z_claim, t)?;
    let (a_in_val, open_a_in) = open(gens, t, lb + ld, &a_in, &comms.a_in, &matrix_point(&rj, r_row), rng)?;
    let (w_val, open_w) = open(gens, t, ld + lk, &w, &comms.w, &matrix_point(r_col, &rj), rng)?;
    // ReLU sumcheck.
    let rr = t.challenge_scalars(labels::LAYER_R_RELU, n_out);
    let (a_out_val, open_a_out) = open(gens, t, n_out, &a_out, &comms.a_out, &rr, rng)?;
    let len = b * k;
    let sign: Vec<Fr> = zq_planes[(q as usize - 1) * len..q as usize * len].iter().map(|&s| fr_from_i64(s)).collect();
    let mut relu = ProductSum::new(vec![mle(sign)?, mle(zq.clone())?], vec![(Fr::one(), vec![0, 1])])?.with_eq(&rr)?;
    let (relu_proof, r4) = sumcheck::prove(&mut relu, a_out_val, t)?;
    let pv = plane_vars(q);
    let all_planes = frs(&zq_planes);
    let sign_point: Vec<Fr> = r4.iter().copied().chain(index_bits((q - 1) as usize, pv)).collect();
    let (sign_val, open_sign) = open(gens, t, n_out + pv, &all_planes, &zq_range.bits, &sign_point, rng)?;
    let (zq_r4, open_zq_r4) = open(gens, t, n_out, &zq, &comms.zq, &r4, rng)?;
    Ok(ReluLayerProof {
        r_range,
        zq_range,
        zq_r,
        open_zq_r,
        rem_r,
        open_rem_r,
        matmul,
        a_in_val,
        open_a_in,
        w_val,
        open_w,
        a_out_val,
        open_a_out,
        relu: relu_proof,
        sign_val,
        open_sign,
        zq_r4,
        open_zq_r4,
    })
}
