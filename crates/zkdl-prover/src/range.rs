//! Prover of the range gadget (`zkdl_circuit::gadgets`): bit decomposition of a
//! committed vector, booleanity and recomposition by sumcheck, Hyrax openings.

use ark_ff::{One, Zero};
use ark_std::rand::{CryptoRng, RngCore};
use thiserror::Error;
use zkdl_circuit::gadgets::{plane_vars, RangeProof, MAX_RANGE_BITS};
use zkdl_core::field::{fr_from_i64, fr_vec_from_i64, Fr};
use zkdl_core::mle::{eq_table, DenseMle};
use zkdl_core::msm::CpuMsm;
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators, Table};
use zkdl_core::sumcheck::{self, ProductSum};
use zkdl_core::transcript::{labels, Transcript};

/// Errors of the prover.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProveError {
    #[error("value {value} at index {index} plus offset is outside [0, 2^{bits})")]
    OutOfRange { index: usize, value: i64, bits: u32 },
    #[error("bad parameters: {0}")]
    Params(&'static str),
    #[error("commitment: {0}")]
    Pcs(#[from] zkdl_core::PcsError),
    #[error("sumcheck: {0}")]
    Sumcheck(#[from] zkdl_core::SumcheckError),
}

/// Bit planes of `values[x] + offset`, stacked: entry `j * 2^n + x` is bit `j`,
/// for `2^plane_vars(k)` planes (planes `>= k` zero). Refuses values out of range.
pub fn bit_planes(values: &[i64], k: u32, offset: i64) -> Result<Vec<i64>, ProveError> {
    if k == 0 || k > MAX_RANGE_BITS {
        return Err(ProveError::Params("range bit width out of 1..=62"));
    }
    for (x, &v) in values.iter().enumerate() {
        let u = v as i128 + offset as i128;
        if u < 0 || u >= 1i128 << k {
            return Err(ProveError::OutOfRange { index: x, value: v, bits: k });
        }
    }
    Ok(truncated_planes(values, k, offset))
}

/// The low `k` bits of `values[x] + offset` as stacked planes, without a range check
/// (for an honest witness the same as [`bit_planes`]; cheating-prover tests use it).
#[doc(hidden)]
pub fn truncated_planes(values: &[i64], k: u32, offset: i64) -> Vec<i64> {
    let len = values.len();
    let k = k.min(MAX_RANGE_BITS);
    let mut out = vec![0i64; len << plane_vars(k)];
    for (x, &v) in values.iter().enumerate() {
        let u = v as i128 + offset as i128;
        for j in 0..k as usize {
            out[j * len + x] = ((u >> j) & 1) as i64;
        }
    }
    out
}

/// Prove `0 <= values[x] + offset < 2^k` for the table committed in `v_comm`
/// (`values.len() == 2^n`). The transcript must already hold `v_comm`.
#[allow(clippy::too_many_arguments)]
pub fn prove_range<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    transcript: &mut Transcript,
    n: usize,
    k: u32,
    offset: i64,
    values: &[i64],
    v_comm: &HyraxCommitment,
    rng: &mut R,
) -> Result<RangeProof, ProveError> {
    let planes = bit_planes(values, k, offset)?;
    prove_range_with_planes(gens, transcript, n, k, offset, values, v_comm, &planes, rng)
}

/// The range prover on given plane values (normally [`bit_planes`]). Exposed so that
/// tests can play a cheating prover with planes that are not a valid decomposition.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn prove_range_with_planes<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    transcript: &mut Transcript,
    n: usize,
    k: u32,
    offset: i64,
    values: &[i64],
    v_comm: &HyraxCommitment,
    planes: &[i64],
    rng: &mut R,
) -> Result<RangeProof, ProveError> {
    let len = 1usize << n;
    let pv = plane_vars(k);
    let nb = n + pv;
    if values.len() != len || planes.len() != len << pv {
        return Err(ProveError::Params("table lengths do not match n and k"));
    }
    let bits = if planes.iter().all(|&b| b == 0 || b == 1) {
        let bb: Vec<bool> = planes.iter().map(|&b| b == 1).collect();
        pcs::commit(gens, nb, Table::Bits(&bb), None, &CpuMsm)?
    } else {
        pcs::commit(gens, nb, Table::Small(planes), None, &CpuMsm)?
    };
    let offset_fr = fr_from_i64(offset);
    transcript.append_u64(labels::RANGE_BEGIN, ((n as u64) << 8) | k as u64);
    transcript.append_scalar(labels::RANGE_OFFSET, &offset_fr);
    transcript.append_points(labels::RANGE_BITS_COMMITMENT, &bits.rows);
    let bf = fr_vec_from_i64(planes);
    let vf = fr_vec_from_i64(values);

    // Booleanity: sum eq(rho, y) (B(y)^2 - B(y)) = 0.
    let rho = transcript.challenge_scalars(labels::RANGE_RHO, nb);
    let bmle = DenseMle::new(bf.clone()).map_err(|_| ProveError::Params("bit table"))?;
    let mut inst = ProductSum::new(vec![bmle], vec![(Fr::one(), vec![0, 0]), (-Fr::one(), vec![0])])?.with_eq(&rho)?;
    let claim = inst.sum();
    let (booleanity, r1) = sumcheck::prove(&mut inst, claim, transcript)?;
    let b_r1 = inst.final_evals().first().copied().unwrap_or_else(Fr::zero);
    transcript.append_scalar(labels::RANGE_CLAIM, &b_r1);
    let (_, open_b_r1) = pcs::open(gens, nb, &bf, None, &bits, &r1, transcript, rng)?;

    // Recomposition at r2: v(r2) + offset = sum_j w(j) B(r2, j).
    let r2 = transcript.challenge_scalars(labels::RANGE_R2, n);
    let v_r2 = pcs::evaluate_table(&vf, &r2);
    transcript.append_scalar(labels::RANGE_CLAIM, &v_r2);
    let (_, open_v_r2) = pcs::open(gens, n, &vf, None, v_comm, &r2, transcript, rng)?;
    let e2 = eq_table(&r2);
    let f: Vec<Fr> =
        (0..1usize << pv).map(|j| bf[j * len..(j + 1) * len].iter().zip(&e2).map(|(b, e)| *b * e).sum()).collect();
    let mut pow = Fr::one();
    let w: Vec<Fr> = (0..1usize << pv)
        .map(|j| {
            if j < k as usize {
                let out = pow;
                pow += pow;
                out
            } else {
                Fr::zero()
            }
        })
        .collect();
    let wm = DenseMle::new(w).map_err(|_| ProveError::Params("weights"))?;
    let fm = DenseMle::new(f).map_err(|_| ProveError::Params("planes at r2"))?;
    let mut rec = ProductSum::new(vec![wm, fm], vec![(Fr::one(), vec![0, 1])])?;
    let claim = rec.sum();
    let (recomposition, r3) = sumcheck::prove(&mut rec, claim, transcript)?;
    let b_r23 = rec.final_evals().get(1).copied().unwrap_or_else(Fr::zero);
    transcript.append_scalar(labels::RANGE_CLAIM, &b_r23);
    let p23: Vec<Fr> = r2.iter().chain(&r3).copied().collect();
    let (_, open_b_r23) = pcs::open(gens, nb, &bf, None, &bits, &p23, transcript, rng)?;
    Ok(RangeProof { bits, booleanity, b_r1, open_b_r1, v_r2, open_v_r2, recomposition, b_r23, open_b_r23 })
}
