//! Verifier of the range gadget (`zkdl_circuit::gadgets`).

use zkdl_circuit::gadgets::{plane_vars, RangeProof, MAX_RANGE_BITS};
use zkdl_core::field::Fr;
use zkdl_core::mle::eq_eval;
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators};
use zkdl_core::sumcheck;
use zkdl_core::transcript::{labels, Transcript};

use crate::VerifyError;

/// `w~(r) = sum_{j < k} 2^j eq(r, j)`: the MLE of the recomposition weights.
pub fn weights_mle(k: u32, r: &[Fr]) -> Fr {
    let mut acc = Fr::from(0u64);
    let mut pow = Fr::from(1u64);
    for e in zkdl_core::mle::eq_table(r).iter().take(k as usize) {
        acc += pow * e;
        pow += pow;
    }
    acc
}

/// Verify that every entry of the table committed in `v` (`n` variables) satisfies
/// `0 <= v[x] + offset < 2^k`. The transcript must already hold `v`.
pub fn verify_range(
    gens: &HyraxGenerators,
    transcript: &mut Transcript,
    n: usize,
    k: u32,
    offset: Fr,
    v: &HyraxCommitment,
    proof: &RangeProof,
) -> Result<(), VerifyError> {
    if k == 0 || k > MAX_RANGE_BITS {
        return Err(VerifyError::Params("range bit width out of 1..=62"));
    }
    let pv = plane_vars(k);
    let nb = n + pv;
    transcript.append_u64(labels::RANGE_BEGIN, ((n as u64) << 8) | k as u64);
    transcript.append_scalar(labels::RANGE_OFFSET, &offset);
    transcript.append_points(labels::RANGE_BITS_COMMITMENT, &proof.bits.rows);
    // Booleanity.
    let rho = transcript.challenge_scalars(labels::RANGE_RHO, nb);
    let (r1, value) = sumcheck::verify(Fr::from(0u64), nb, 3, &proof.booleanity, transcript)
        .map_err(|source| VerifyError::Sumcheck { what: "range booleanity", source })?;
    let eq = eq_eval(&rho, &r1).ok_or(VerifyError::Params("point length"))?;
    if value != eq * proof.b_r1 * (proof.b_r1 - Fr::from(1u64)) {
        return Err(VerifyError::FinalClaim { what: "range booleanity" });
    }
    transcript.append_scalar(labels::RANGE_CLAIM, &proof.b_r1);
    pcs::verify(gens, nb, &proof.bits, &r1, proof.b_r1, &proof.open_b_r1, transcript)
        .map_err(|source| VerifyError::Opening { what: "range bits at r1", source })?;
    // Recomposition.
    let r2 = transcript.challenge_scalars(labels::RANGE_R2, n);
    transcript.append_scalar(labels::RANGE_CLAIM, &proof.v_r2);
    pcs::verify(gens, n, v, &r2, proof.v_r2, &proof.open_v_r2, transcript)
        .map_err(|source| VerifyError::Opening { what: "range value at r2", source })?;
    let (r3, value) = sumcheck::verify(proof.v_r2 + offset, pv, 2, &proof.recomposition, transcript)
        .map_err(|source| VerifyError::Sumcheck { what: "range recomposition", source })?;
    if value != weights_mle(k, &r3) * proof.b_r23 {
        return Err(VerifyError::FinalClaim { what: "range recomposition" });
    }
    transcript.append_scalar(labels::RANGE_CLAIM, &proof.b_r23);
    let p23: Vec<Fr> = r2.iter().chain(&r3).copied().collect();
    pcs::verify(gens, nb, &proof.bits, &p23, proof.b_r23, &proof.open_b_r23, transcript)
        .map_err(|source| VerifyError::Opening { what: "range bits at (r2, r3)", source })?;
    Ok(())
}
