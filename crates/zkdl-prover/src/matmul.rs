//! Prover of the rescaled matmul gadget (`zkdl_circuit::gadgets::RescaledMatmulProof`).

use ark_ff::One;
use ark_std::rand::{CryptoRng, RngCore};
use zkdl_circuit::gadgets::{
    absorb_rescaled_matmul, index_bits, plane_vars, MaskKind, MaskProof, MatmulShape, RescaleSpec,
    RescaledMatmulCommitments, RescaledMatmulProof,
};
use zkdl_core::field::{fr_inverse, fr_pow2, fr_vec_from_i64 as frs, Fr};
use zkdl_core::mle::{eq_table, DenseMle};
use zkdl_core::msm::CpuMsm;
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators, HyraxOpening, Table};
use zkdl_core::sumcheck::{self, ProductSum};
use zkdl_core::transcript::{labels, Transcript};

use crate::range::{bit_planes, prove_range_with_planes, truncated_planes, ProveError};

/// The committed tensors (row-major, as `i64`): operands `x`, `y`, the rescaled
/// product `cq`, remainders `rem`, and the masked output `out` (with a mask).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RescaledMatmulWitness {
    pub x: Vec<i64>,
    pub y: Vec<i64>,
    pub cq: Vec<i64>,
    pub rem: Vec<i64>,
    pub out: Option<Vec<i64>>,
    /// Bias vector (`NN` form only).
    pub bias: Option<Vec<i64>>,
}

/// External sign planes for [`MaskKind::External`]: the committed stacked planes
/// table (as produced by [`bit_planes`]) and its commitment.
pub struct ExternalPlanes<'a> {
    pub planes: &'a [i64],
    pub commitment: &'a HyraxCommitment,
}

/// Commit to every tensor of the witness.
pub fn commit_rescaled_matmul(
    gens: &HyraxGenerators,
    shape: MatmulShape,
    wit: &RescaledMatmulWitness,
) -> Result<RescaledMatmulCommitments, ProveError> {
    let c = |n: usize, v: &[i64]| pcs::commit(gens, n, Table::Small(v), None, &CpuMsm);
    Ok(RescaledMatmulCommitments {
        x: c(shape.x_vars(), &wit.x)?,
        y: c(shape.y_vars(), &wit.y)?,
        cq: c(shape.c_vars(), &wit.cq)?,
        rem: c(shape.c_vars(), &wit.rem)?,
        out: wit.out.as_ref().map(|o| c(shape.c_vars(), o)).transpose()?,
        bias: wit.bias.as_ref().map(|b| c(shape.lk, b)).transpose()?,
    })
}

/// Evaluate, absorb and open `table` at `point`.
fn open<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    table: &[Fr],
    comm: &HyraxCommitment,
    point: &[Fr],
    rng: &mut R,
) -> Result<(Fr, HyraxOpening), ProveError> {
    let value = pcs::evaluate_table(table, point);
    t.append_scalar(labels::LAYER_CLAIM, &value);
    let (_, proof) = pcs::open(gens, point.len(), table, None, comm, point, t, rng)?;
    Ok((value, proof))
}

/// Prove the gadget; the honest prover refuses a witness whose remainders or
/// rescaled values are out of range. Returns the proof and the stacked bit planes of
/// `cq` (the sign source of a later [`MaskKind::External`] use).
#[allow(clippy::too_many_arguments)]
pub fn prove_rescaled_matmul<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    shape: MatmulShape,
    rescale: RescaleSpec,
    mask: MaskKind,
    wit: &RescaledMatmulWitness,
    comms: &RescaledMatmulCommitments,
    external: Option<&ExternalPlanes<'_>>,
    rng: &mut R,
) -> Result<(RescaledMatmulProof, Vec<i64>), ProveError> {
    bit_planes(&wit.rem, rescale.shift, 0)?;
    bit_planes(&wit.cq, rescale.total_bits, 1i64 << (rescale.total_bits - 1))?;
    prove_rescaled_matmul_unchecked(gens, t, shape, rescale, mask, wit, comms, external, rng)
}

/// The prover without witness checks: a cheating prover's entry point in tests.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn prove_rescaled_matmul_unchecked<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    shape: MatmulShape,
    rescale: RescaleSpec,
    mask: MaskKind,
    wit: &RescaledMatmulWitness,
    comms: &RescaledMatmulCommitments,
    external: Option<&ExternalPlanes<'_>>,
    rng: &mut R,
) -> Result<(RescaledMatmulProof, Vec<i64>), ProveError> {
    let RescaleSpec { mult, shift, total_bits: q } = rescale;
    let n = shape.c_vars();
    let (ni, nj, nk) = (1usize << shape.li, 1usize << shape.lj, 1usize << shape.lk);
    let len = ni * nk;
    if wit.x.len() != ni * nj || wit.y.len() != nj * nk || wit.cq.len() != len || wit.rem.len() != len {
        return Err(ProveError::Params("witness shapes do not match the matmul shape"));
    }
    absorb_rescaled_matmul(t, shape, rescale, mask, comms, external.map(|e| e.commitment));
    let rem_planes = truncated_planes(&wit.rem, shift, 0);
    let rem_range = prove_range_with_planes(gens, t, n, shift, 0, &wit.rem, &comms.rem, &rem_planes, rng)?;
    let offset = 1i64 << (q - 1);
    let cq_planes = truncated_planes(&wit.cq, q, offset);
    let cq_range = prove_range_with_planes(gens, t, n, q, offset, &wit.cq, &comms.cq, &cq_planes, rng)?;

    let (x, y, cq, rem) = (frs(&wit.x), frs(&wit.y), frs(&wit.cq), frs(&wit.rem));
    let r = t.challenge_scalars(labels::LAYER_R, n);
    let (cq_r, open_cq_r) = open(gens, t, &cq, &comms.cq, &r, rng)?;
    let (rem_r, open_rem_r) = open(gens, t, &rem, &comms.rem, &r, rng)?;
    let mult_inv = fr_inverse(Fr::from(mult)).ok_or(ProveError::Params("mult must be non-zero"))?;
    let mut c_claim = (fr_pow2(shift) * cq_r + rem_r - fr_pow2(shift - 1)) * mult_inv;
    let (r_k, r_i) = r.split_at(shape.lk);
    let bias = match (wit.bias.as_ref(), comms.bias.as_ref()) {
        (None, None) => None,
        (Some(b), Some(bc)) => {
            let (bv, bo) = open(gens, t, &frs(b), bc, r_k, rng)?;
            c_claim -= fr_pow2(shift) * bv;
            Some((bv, bo))
        }
        _ => return Err(ProveError::Params("bias witness and commitment must come together")),
    };
    let e_i = eq_table(r_i);
    let e_k = eq_table(r_k);
    let fx: Vec<Fr> = (0..nj).map(|j| (0..ni).map(|i| e_i[i] * x[shape.x_index(i, j)]).sum()).collect();
    let fy: Vec<Fr> = (0..nj).map(|j| (0..nk).map(|k| e_k[k] * y[shape.y_index(j, k)]).sum()).collect();
    let mle = |v: Vec<Fr>| DenseMle::new(v).map_err(|_| ProveError::Params("table size"));
    let mut mm = ProductSum::new(vec![mle(fx)?, mle(fy)?], vec![(Fr::one(), vec![0, 1])])?;
    let (matmul, rj) = sumcheck::prove(&mut mm, c_claim, t)?;
    let (x_val, open_x) = open(gens, t, &x, &comms.x, &shape.x_point(r_i, &rj), rng)?;
    let (y_val, open_y) = open(gens, t, &y, &comms.y, &shape.y_point(&rj, r_k), rng)?;

    let ext = external.map(|e| (e.planes, e.commitment));
    let mask_proof = match mask {
        MaskKind::None => None,
        MaskKind::OwnSign => {
            let own = (cq_planes.as_slice(), &cq_range.bits);
            Some(prove_mask(gens, t, n, &cq, wit, comms, own, q - 1, plane_vars(q), rng)?)
        }
        MaskKind::External { plane, plane_vars } => {
            let e = ext.ok_or(ProveError::Params("external planes missing"))?;
            Some(prove_mask(gens, t, n, &cq, wit, comms, e, plane, plane_vars, rng)?)
        }
    };
    let proof = RescaledMatmulProof {
        rem_range,
        cq_range,
        cq_r,
        open_cq_r,
        rem_r,
        open_rem_r,
        matmul,
        x_val,
        open_x,
        y_val,
        open_y,
        mask: mask_proof,
        bias,
    };
    Ok((proof, cq_planes))
}

/// The mask part: `Out(r') = sum_x eq(r', x) s(x) Cq(x)` with `s` = `plane` of `planes`.
#[allow(clippy::too_many_arguments)]
fn prove_mask<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    n: usize,
    cq: &[Fr],
    wit: &RescaledMatmulWitness,
    comms: &RescaledMatmulCommitments,
    (planes, planes_comm): (&[i64], &HyraxCommitment),
    plane: u32,
    pv: usize,
    rng: &mut R,
) -> Result<MaskProof, ProveError> {
    let len = 1usize << n;
    let (Some(out_w), Some(out_c)) = (wit.out.as_ref(), comms.out.as_ref()) else {
        return Err(ProveError::Params("a mask needs an output"));
    };
    if planes.len() != len << pv || out_w.len() != len || (plane as usize) >= (1 << pv) {
        return Err(ProveError::Params("planes or output do not match the shape"));
    }
    let out = frs(out_w);
    let rr = t.challenge_scalars(labels::LAYER_R_RELU, n);
    let (out_val, open_out) = open(gens, t, &out, out_c, &rr, rng)?;
    let p0 = plane as usize * len;
    let sign = frs(&planes[p0..p0 + len]);
    let mle = |v: Vec<Fr>| DenseMle::new(v).map_err(|_| ProveError::Params("table size"));
    let mut had = ProductSum::new(vec![mle(sign)?, mle(cq.to_vec())?], vec![(Fr::one(), vec![0, 1])])?.with_eq(&rr)?;
    let (hadamard, r4) = sumcheck::prove(&mut had, out_val, t)?;
    let sign_point: Vec<Fr> = r4.iter().copied().chain(index_bits(plane as usize, pv)).collect();
    let (sign_val, open_sign) = open(gens, t, &frs(planes), planes_comm, &sign_point, rng)?;
    let (cq_r4, open_cq_r4) = open(gens, t, cq, &comms.cq, &r4, rng)?;
    Ok(MaskProof { out_val, open_out, hadamard, sign_val, open_sign, cq_r4, open_cq_r4 })
}
