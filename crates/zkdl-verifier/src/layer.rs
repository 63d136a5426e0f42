//! Verifier of one dense ReLU layer's forward pass (`zkdl_circuit::gadgets::ReluLayerProof`).

use zkdl_circuit::gadgets::{
    absorb_relu_layer, index_bits, matrix_point, plane_vars, LayerShape, ReluLayerCommitments, ReluLayerProof,
};
use zkdl_circuit::FixedSpec;
use zkdl_core::field::{fr_pow2 as pow2, Fr};
use zkdl_core::mle::eq_eval;
use zkdl_core::pcs::{self, HyraxGenerators};
use zkdl_core::sumcheck;
use zkdl_core::transcript::{labels, Transcript};

use crate::range::verify_range;
use crate::VerifyError;

#[allow(clippy::too_many_arguments)]
fn open(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    what: &'static str,
    n: usize,
    comm: &zkdl_core::pcs::HyraxCommitment,
    point: &[Fr],
    value: Fr,
    proof: &zkdl_core::pcs::HyraxOpening,
) -> Result<(), VerifyError> {
    t.append_scalar(labels::LAYER_CLAIM, &value);
    pcs::verify(gens, n, comm, point, value, proof, t).map_err(|source| VerifyError::Opening { what, source })
}

/// Verify `A_out = relu(rescale(A_in W))` for the committed tensors in `c`.
pub fn verify_relu_layer(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    shape: LayerShape,
    fixed: FixedSpec,
    c: &ReluLayerCommitments,
    p: &ReluLayerProof,
) -> Result<(), VerifyError> {
    let (f, q) = (fixed.frac_bits, fixed.total_bits);
    if f == 0 || q <= f || q > 48 {
        return Err(VerifyError::Params("fixed-point parameters"));
    }
    let LayerShape { lb, ld, lk } = shape;
    if lb > 20 || ld > 20 || lk > 20 {
        return Err(VerifyError::Params("layer dimensions too large"));
    }
    let n_out = lb + lk;
    absorb_relu_layer(t, shape, f, q, c);
    verify_range(gens, t, n_out, f, Fr::from(0u64), &c.rem, &p.r_range)?;
    verify_range(gens, t, n_out, q, pow2(q - 1), &c.zq, &p.zq_range)?;
    // Rescale: Z(r) = 2^f Z'(r) + R(r) - 2^(f-1).
    let r = t.challenge_scalars(labels::LAYER_R, n_out);
    open(gens, t, "Z' at r", n_out, &c.zq, &r, p.zq_r, &p.open_zq_r)?;
    open(gens, t, "R at r", n_out, &c.rem, &r, p.rem_r, &p.open_rem_r)?;
    let z_claim = pow2(f) * p.zq_r + p.rem_r - pow2(f - 1);
    // Matmul: Z(r_col, r_row) = sum_j A_in(r_row, j) W(j, r_col).
    let (rj, value) = sumcheck::verify(z_claim, ld, 2, &p.matmul, t)
        .map_err(|source| VerifyError::Sumcheck { what: "matmul", source })?;
    if value != p.a_in_val * p.w_val {
        return Err(VerifyError::FinalClaim { what: "matmul" });
    }
    let (r_col, r_row) = r.split_at(lk.min(r.len()));
    open(gens, t, "A_in", lb + ld, &c.a_in, &matrix_point(&rj, r_row), p.a_in_val, &p.open_a_in)?;
    open(gens, t, "W", ld + lk, &c.w, &matrix_point(r_col, &rj), p.w_val, &p.open_w)?;
    // ReLU: A_out(r') = sum_x eq(r', x) s(x) Z'(x).
    let rr = t.challenge_scalars(labels::LAYER_R_RELU, n_out);
    open(gens, t, "A_out", n_out, &c.a_out, &rr, p.a_out_val, &p.open_a_out)?;
    let (r4, value) = sumcheck::verify(p.a_out_val, n_out, 3, &p.relu, t)
        .map_err(|source| VerifyError::Sumcheck { what: "relu", source })?;
    let eq = eq_eval(&rr, &r4).ok_or(VerifyError::Params("point length"))?;
    if value != eq * p.sign_val * p.zq_r4 {
        return Err(VerifyError::FinalClaim { what: "relu" });
    }
    let pv = plane_vars(q);
    let sign_point: Vec<Fr> = r4.iter().copied().chain(index_bits((q - 1) as usize, pv)).collect();
    open(gens, t, "sign bits", n_out + pv, &p.zq_range.bits, &sign_point, p.sign_val, &p.open_sign)?;
    open(gens, t, "Z' at r4", n_out, &c.zq, &r4, p.zq_r4, &p.open_zq_r4)?;
    Ok(())
}
