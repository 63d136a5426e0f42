//! Verifier of the rescaled matmul gadget (`zkdl_circuit::gadgets::RescaledMatmulProof`):
//! the forward pass (`NN`, zkReLU mask), the backward pass (`NT`, the forward sign
//! bits as an external mask) and the weight-gradient update (`TN`, no mask) of a
//! dense layer.

use zkdl_circuit::gadgets::{
    absorb_rescaled_matmul, index_bits, plane_vars, MaskKind, MatmulShape, RescaleSpec, RescaledMatmulCommitments,
    RescaledMatmulProof, MAX_RANGE_BITS,
};
use zkdl_core::field::{fr_pow2, Fr};
use zkdl_core::mle::eq_eval;
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators, HyraxOpening};
use zkdl_core::sumcheck;
use zkdl_core::transcript::{labels, Transcript};

use crate::range::verify_range;
use crate::VerifyError;

/// Absorb a claimed value, then verify its opening.
#[allow(clippy::too_many_arguments)]
pub(crate) fn open(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    what: &'static str,
    n: usize,
    comm: &HyraxCommitment,
    point: &[Fr],
    value: Fr,
    proof: &HyraxOpening,
) -> Result<(), VerifyError> {
    t.append_scalar(labels::LAYER_CLAIM, &value);
    pcs::verify(gens, n, comm, point, value, proof, t).map_err(|source| VerifyError::Opening { what, source })
}

/// Largest log-dimension accepted.
const MAX_LOG_DIM: usize = 24;

/// Verify `Out = s ⊙ rescale(X ⊛ Y)` (or `Cq = rescale(X ⊛ Y)` without a mask) for the
/// commitments in `c`. `external_planes` is the planes' commitment for
/// [`MaskKind::External`] (the transcript must already hold it).
#[allow(clippy::too_many_arguments)]
pub fn verify_rescaled_matmul(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    shape: MatmulShape,
    rescale: RescaleSpec,
    mask: MaskKind,
    c: &RescaledMatmulCommitments,
    external_planes: Option<&HyraxCommitment>,
    p: &RescaledMatmulProof,
) -> Result<(), VerifyError> {
    let RescaleSpec { mult, shift, total_bits: q } = rescale;
    if shift == 0 || shift > MAX_RANGE_BITS || q == 0 || q > MAX_RANGE_BITS || mult == 0 {
        return Err(VerifyError::Params("rescaling parameters"));
    }
    if shape.li > MAX_LOG_DIM || shape.lj > MAX_LOG_DIM || shape.lk > MAX_LOG_DIM {
        return Err(VerifyError::Params("dimensions too large"));
    }
    let n = shape.c_vars();
    absorb_rescaled_matmul(t, shape, rescale, mask, c, external_planes);
    verify_range(gens, t, n, shift, Fr::from(0u64), &c.rem, &p.rem_range)?;
    verify_range(gens, t, n, q, fr_pow2(q - 1), &c.cq, &p.cq_range)?;
    // Rescale: C(r) = (2^shift Cq(r) + R(r) - 2^(shift-1)) / mult.
    let r = t.challenge_scalars(labels::LAYER_R, n);
    open(gens, t, "Cq at r", n, &c.cq, &r, p.cq_r, &p.open_cq_r)?;
    open(gens, t, "R at r", n, &c.rem, &r, p.rem_r, &p.open_rem_r)?;
    let mult_inv = zkdl_core::field::fr_inverse(Fr::from(mult)).ok_or(VerifyError::Params("mult"))?;
    let mut c_claim = (fr_pow2(shift) * p.cq_r + p.rem_r - fr_pow2(shift - 1)) * mult_inv;
    let (r_k, r_i) = r.split_at(shape.lk.min(r.len()));
    match (c.bias.as_ref(), p.bias.as_ref()) {
        (None, None) => {}
        (Some(bc), Some((bv, bo))) => {
            if shape.form != zkdl_circuit::gadgets::MatmulForm::NN {
                return Err(VerifyError::Params("bias only with the NN form"));
            }
            open(gens, t, "bias", shape.lk, bc, r_k, *bv, bo)?;
            c_claim -= fr_pow2(shift) * bv;
        }
        _ => return Err(VerifyError::Params("bias opening missing or unexpected")),
    }
    // Matmul over j.
    let (rj, value) = sumcheck::verify(c_claim, shape.lj, 2, &p.matmul, t)
        .map_err(|source| VerifyError::Sumcheck { what: "matmul", source })?;
    if value != p.x_val * p.y_val {
        return Err(VerifyError::FinalClaim { what: "matmul" });
    }
    open(gens, t, "X", shape.x_vars(), &c.x, &shape.x_point(r_i, &rj), p.x_val, &p.open_x)?;
    open(gens, t, "Y", shape.y_vars(), &c.y, &shape.y_point(&rj, r_k), p.y_val, &p.open_y)?;
    // Mask.
    let (planes, plane, pv) = match mask {
        MaskKind::None => {
            return if p.mask.is_none() && c.out.is_none() {
                Ok(())
            } else {
                Err(VerifyError::Params("a mask proof or output where none is expected"))
            };
        }
        MaskKind::OwnSign => (&p.cq_range.bits, q - 1, plane_vars(q)),
        MaskKind::External { plane, plane_vars } => {
            (external_planes.ok_or(VerifyError::Params("external planes missing"))?, plane, plane_vars)
        }
    };
    if (plane as usize) >= (1usize << pv.min(MAX_LOG_DIM)) {
        return Err(VerifyError::Params("plane index out of range"));
    }
    let (Some(m), Some(out)) = (p.mask.as_ref(), c.out.as_ref()) else {
        return Err(VerifyError::Params("mask proof or output commitment missing"));
    };
    let rr = t.challenge_scalars(labels::LAYER_R_RELU, n);
    open(gens, t, "Out", n, out, &rr, m.out_val, &m.open_out)?;
    let (r4, value) = sumcheck::verify(m.out_val, n, 3, &m.hadamard, t)
        .map_err(|source| VerifyError::Sumcheck { what: "mask", source })?;
    let eq = eq_eval(&rr, &r4).ok_or(VerifyError::Params("point length"))?;
    if value != eq * m.sign_val * m.cq_r4 {
        return Err(VerifyError::FinalClaim { what: "mask" });
    }
    let sign_point: Vec<Fr> = r4.iter().copied().chain(index_bits(plane as usize, pv)).collect();
    open(gens, t, "sign bits", n + pv, planes, &sign_point, m.sign_val, &m.open_sign)?;
    open(gens, t, "Cq at r4", n, &c.cq, &r4, m.cq_r4, &m.open_cq_r4)?;
    Ok(())
}
