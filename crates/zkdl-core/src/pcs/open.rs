//! Hyrax openings and their verification: the inner-product folding argument
//! ([`HyraxOpening`]), the verifier's final equation as an [`MsmCheck`] (batched across
//! openings), and the commitments an opening may be about ([`CommitmentRef`]).

use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{Field, One, UniformRand, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::rand::{CryptoRng, RngCore};
use rayon::prelude::*;

use super::{checked_rows, split_vars, HyraxCommitment, HyraxGenerators};
use crate::error::PcsError;
use crate::field::Fr;
use crate::mle::{eq_table, inner_product};
use crate::msm::MsmBackend;
use crate::transcript::{labels, Transcript};
use crate::{G1Affine, G1Projective};

/// An opening: `k` inner-product folding rounds (`l`, `r`), then the folded vector of
/// `2^(col_vars - k)` entries in the clear (`tail`). Without blinding the prover folds
/// nothing while the row vector has at most `2^OPENING_TAIL_VARS` entries: sending it
/// costs `32 * 2^col_vars` bytes and saves the rounds' generator folding (one scalar
/// multiplication per pair), the prover's largest opening cost. With blinding it folds to
/// one entry (the clear vector would not hide the rows).
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct HyraxOpening {
    pub l: Vec<G1Affine>,
    pub r: Vec<G1Affine>,
    /// The folded row combination.
    pub tail: Vec<Fr>,
    /// The folded blinding factor.
    pub blind: Fr,
}

/// Largest row vector an unblinded opening sends in the clear (log2 of its length).
pub const OPENING_TAIL_VARS: usize = 12;

/// The folded tail's variables of an opening: the row vector in the clear up to
/// [`OPENING_TAIL_VARS`] unblinded, folded to one entry blinded (see [`HyraxOpening`]).
pub(super) fn tail_vars(col_vars: usize, blinded: bool) -> usize {
    if blinded {
        0
    } else {
        col_vars.min(OPENING_TAIL_VARS)
    }
}

/// The commitment an opening is about: one commitment, or a linear combination of
/// commitments of one shape (opened without computing the combination: the verifier
/// folds the coefficients into its final multi-scalar multiplication).
#[derive(Debug, Clone, Copy)]
pub enum CommitmentRef<'a> {
    Single(&'a HyraxCommitment),
    Combination(&'a [(&'a HyraxCommitment, Fr)]),
}

/// A multi-scalar-multiplication equation `sum_i scalars[i] * bases[i] == 0`: what a
/// Hyrax opening reduces to. Several of them are checked at once by a random linear
/// combination ([`MsmCheck::check_all`]).
#[derive(Debug, Clone, Default)]
pub struct MsmCheck {
    pub bases: Vec<G1Affine>,
    pub scalars: Vec<Fr>,
}

impl MsmCheck {
    /// Check `sum_k weights[k] * checks[k] == 0` with one MSM (the weights must be
    /// drawn after every check's inputs are fixed).
    pub fn check_all(msm: &dyn MsmBackend, checks: &[MsmCheck], weights: &[Fr]) -> Result<(), PcsError> {
        if checks.len() != weights.len() {
            return Err(PcsError::CombineMismatch { commitments: checks.len(), coefficients: weights.len() });
        }
        // Equal bases (the column generators every opening uses, a commitment opened in
        // two groups) are merged and the identity (zero rows of dummy steps) dropped:
        // `s P + t P = (s + t) P`, so the sum is the same with fewer points.
        let total: usize = checks.iter().map(|c| c.bases.len()).sum();
        let mut slot: std::collections::HashMap<G1Affine, usize> = std::collections::HashMap::with_capacity(total);
        let mut bases = Vec::with_capacity(total);
        let mut scalars: Vec<Fr> = Vec::with_capacity(total);
        for (c, w) in checks.iter().zip(weights) {
            for (b, s) in c.bases.iter().zip(&c.scalars) {
                if b.is_zero() {
                    continue;
                }
                let k = *slot.entry(*b).or_insert_with(|| {
                    bases.push(*b);
                    scalars.push(Fr::zero());
                    bases.len() - 1
                });
                if let Some(acc) = scalars.get_mut(k) {
                    *acc += *s * w;
                }
            }
        }
        let sum = msm.msm_fr(&bases, &scalars).map_err(|_| PcsError::OpeningRejected)?;
        if sum.is_zero() {
            Ok(())
        } else {
            Err(PcsError::OpeningRejected)
        }
    }
}

fn absorb_statement(
    transcript: &mut Transcript,
    (num_vars, col_vars): (usize, usize),
    comm: CommitmentRef<'_>,
    point: &[Fr],
    value: &Fr,
) {
    transcript.append_u64(labels::HYRAX_OPEN_BEGIN, num_vars as u64);
    transcript.append_u64(labels::HYRAX_NUM_VARS, col_vars as u64);
    match comm {
        CommitmentRef::Single(c) => transcript.append_points(labels::HYRAX_COMMITMENT_ROW, &c.rows),
        CommitmentRef::Combination(parts) => {
            transcript.append_u64(labels::HYRAX_COMMITMENT_ROW, parts.len() as u64);
            for (c, coeff) in parts {
                transcript.append_points(labels::HYRAX_COMMITMENT_ROW, &c.rows);
                transcript.append_scalar(labels::HYRAX_COMMITMENT_ROW, coeff);
            }
        }
    }
    transcript.append_scalars(labels::HYRAX_POINT, point);
    transcript.append_scalar(labels::HYRAX_VALUE, value);
}

/// Open the committed `table` (as field elements, `2^num_vars` of them) at `point`.
/// Returns the value `f(point)` and the opening argument. `blinds` must be the ones
/// used to commit; `rng` blinds the folding rounds when `blinds` is given.
#[allow(clippy::too_many_arguments)]
pub fn open<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    num_vars: usize,
    table: &[Fr],
    blinds: Option<&[Fr]>,
    comm: &HyraxCommitment,
    point: &[Fr],
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<(Fr, HyraxOpening), PcsError> {
    open_split(
        gens,
        num_vars,
        split_vars(num_vars).1,
        table,
        blinds,
        CommitmentRef::Single(comm),
        point,
        transcript,
        rng,
    )
}

/// [`open`] for a table committed with [`commit_split`](super::commit_split).
#[allow(clippy::too_many_arguments)]
pub fn open_split<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    num_vars: usize,
    col_vars: usize,
    table: &[Fr],
    blinds: Option<&[Fr]>,
    comm: CommitmentRef<'_>,
    point: &[Fr],
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<(Fr, HyraxOpening), PcsError> {
    let tail_vars = tail_vars(col_vars, blinds.is_some());
    open_split_folded(gens, num_vars, col_vars, table, blinds, comm, point, transcript, rng, tail_vars)
}

/// [`open_split`] folding down to a tail of `2^tail_vars` entries (any
/// `tail_vars <= col_vars` verifies; for tests of the folding).
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn open_split_folded<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    num_vars: usize,
    col_vars: usize,
    table: &[Fr],
    blinds: Option<&[Fr]>,
    comm: CommitmentRef<'_>,
    point: &[Fr],
    transcript: &mut Transcript,
    rng: &mut R,
    tail_vars: usize,
) -> Result<(Fr, HyraxOpening), PcsError> {
    let row_vars = checked_rows(num_vars, col_vars)?;
    if point.len() != num_vars {
        return Err(PcsError::PointLength { expected: num_vars, got: point.len() });
    }
    if table.len() != 1usize << num_vars {
        return Err(PcsError::WrongTableLength { expected: 1usize << num_vars, got: table.len() });
    }
    let rows = 1usize << row_vars;
    let m = 1usize << col_vars;
    if let Some(b) = blinds {
        if b.len() != rows {
            return Err(PcsError::WrongBlindCount { expected: rows, got: b.len() });
        }
    }
    let lvec = eq_table(point.get(col_vars..).unwrap_or(&[]));
    // v = L^T M
    let v: Vec<Fr> = (0..m).into_par_iter().map(|j| (0..rows).map(|i| lvec[i] * table[i * m + j]).sum()).collect();
    let blind = blinds.map(|b| inner_product(&lvec, b));
    fold_row_combination(gens, num_vars, col_vars, v, blind, comm, point, transcript, rng, tail_vars)
}

/// [`open_split`] given the row combination `v = sum_i eq(r_row, i) M_i` of the
/// committed table (`2^col_vars` entries; the caller computes it, e.g. from integer
/// tables with `mle::combine_rows_i64`) and, for a blinded commitment, the same
/// combination of the row blinds.
#[allow(clippy::too_many_arguments)]
pub fn open_row_combination<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    num_vars: usize,
    col_vars: usize,
    v: Vec<Fr>,
    blind: Option<Fr>,
    comm: CommitmentRef<'_>,
    point: &[Fr],
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<(Fr, HyraxOpening), PcsError> {
    let tail_vars = tail_vars(col_vars, blind.is_some());
    fold_row_combination(gens, num_vars, col_vars, v, blind, comm, point, transcript, rng, tail_vars)
}

/// The opening from the row combination, folding down to `2^tail_vars` entries.
#[allow(clippy::too_many_arguments)]
fn fold_row_combination<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    num_vars: usize,
    col_vars: usize,
    mut v: Vec<Fr>,
    blind: Option<Fr>,
    comm: CommitmentRef<'_>,
    point: &[Fr],
    transcript: &mut Transcript,
    rng: &mut R,
    tail_vars: usize,
) -> Result<(Fr, HyraxOpening), PcsError> {
    checked_rows(num_vars, col_vars)?;
    if point.len() != num_vars {
        return Err(PcsError::PointLength { expected: num_vars, got: point.len() });
    }
    if v.len() != 1usize << col_vars {
        return Err(PcsError::WrongTableLength { expected: 1usize << col_vars, got: v.len() });
    }
    let blinds = blind.is_some();
    let mut blind = blind.unwrap_or_else(Fr::zero);
    let g = gens.cols(col_vars)?;
    let bvec = eq_table(point.get(..col_vars).unwrap_or(&[]));
    let value = inner_product(&v, &bvec);

    absorb_statement(transcript, (num_vars, col_vars), comm, point, &value);
    let w = transcript.challenge_scalar(labels::HYRAX_IPA_U);
    let q = (gens.u * w).into_affine();

    let mut b = bvec;
    let tail_len = 1usize << tail_vars.min(col_vars);
    let mut gcur: Vec<G1Affine> = if v.len() > tail_len { g.to_vec() } else { Vec::new() };
    let mut ls = Vec::with_capacity(col_vars);
    let mut rs = Vec::with_capacity(col_vars);
    let msm = gens.backend();
    while v.len() > tail_len {
        let h = v.len() / 2;
        let (v_lo, v_hi) = v.split_at(h);
        let (b_lo, b_hi) = b.split_at(h);
        let (g_lo, g_hi) = gcur.split_at(h);
        let (lam_l, lam_r) = if blinds { (Fr::rand(rng), Fr::rand(rng)) } else { (Fr::zero(), Fr::zero()) };
        // L = <v_lo, G_hi> + <v_lo, b_hi> Q + lam_l H ; R = <v_hi, G_lo> + <v_hi, b_lo> Q + lam_r H
        let l = msm.msm_fr(g_hi, v_lo)? + q * inner_product(v_lo, b_hi) + gens.h * lam_l;
        let r = msm.msm_fr(g_lo, v_hi)? + q * inner_product(v_hi, b_lo) + gens.h * lam_r;
        let lr = G1Projective::normalize_batch(&[l, r]);
        let (la, ra) = match lr.as_slice() {
            [a, b] => (*a, *b),
            _ => return Err(PcsError::OpeningRejected),
        };
        transcript.append_point(labels::HYRAX_IPA_L, &la);
        transcript.append_point(labels::HYRAX_IPA_R, &ra);
        let x = transcript.challenge_scalar(labels::HYRAX_IPA_CHALLENGE);
        let xinv = x.inverse().ok_or(PcsError::ZeroChallenge)?;
        // v' = v_lo + x v_hi ; b' = b_lo + x^-1 b_hi ; G' = G_lo + x^-1 G_hi
        let nv: Vec<Fr> = v_lo.par_iter().zip(v_hi).map(|(a, c)| *a + x * c).collect();
        let nb: Vec<Fr> = b_lo.par_iter().zip(b_hi).map(|(a, c)| *a + xinv * c).collect();
        let ng: Vec<G1Projective> = g_lo.par_iter().zip(g_hi).map(|(a, c)| *c * xinv + a).collect();
        blind += xinv * lam_l + x * lam_r;
        v = nv;
        b = nb;
        gcur = G1Projective::normalize_batch(&ng);
        ls.push(la);
        rs.push(ra);
    }
    absorb_tail(transcript, &v, &blind);
    Ok((value, HyraxOpening { l: ls, r: rs, tail: v, blind }))
}

/// The opening's last messages go into the transcript too, so that challenges drawn
/// later (the weights of [`MsmCheck::check_all`]) depend on them.
fn absorb_tail(transcript: &mut Transcript, tail: &[Fr], blind: &Fr) {
    transcript.append_scalars(labels::HYRAX_TAIL, tail);
    transcript.append_scalar(labels::HYRAX_TAIL, blind);
}

/// Verify that the table committed in `comm` (with `num_vars` variables) evaluates
/// to `value` at `point`.
pub fn verify(
    gens: &HyraxGenerators,
    num_vars: usize,
    comm: &HyraxCommitment,
    point: &[Fr],
    value: Fr,
    proof: &HyraxOpening,
    transcript: &mut Transcript,
) -> Result<(), PcsError> {
    verify_split(gens, num_vars, split_vars(num_vars).1, comm, point, value, proof, transcript)
}

/// [`verify_split`]'s checks, except the final MSM equation, which is returned.
#[allow(clippy::too_many_arguments)]
pub fn verify_terms(
    gens: &HyraxGenerators,
    num_vars: usize,
    col_vars: usize,
    comm: CommitmentRef<'_>,
    point: &[Fr],
    value: Fr,
    proof: &HyraxOpening,
    transcript: &mut Transcript,
) -> Result<MsmCheck, PcsError> {
    let row_vars = checked_rows(num_vars, col_vars)?;
    if point.len() != num_vars {
        return Err(PcsError::PointLength { expected: num_vars, got: point.len() });
    }
    let rows = 1usize << row_vars;
    let parts: Vec<(&HyraxCommitment, Fr)> = match comm {
        CommitmentRef::Single(c) => vec![(c, Fr::one())],
        CommitmentRef::Combination(p) => p.to_vec(),
    };
    for (c, _) in &parts {
        if c.rows.len() != rows {
            return Err(PcsError::WrongRowCount { expected: rows, got: c.rows.len() });
        }
    }
    // k folding rounds leave 2^(col_vars - k) entries: rounds and tail must agree.
    let rounds = proof.l.len();
    let tail_ok = col_vars.checked_sub(rounds).is_some_and(|tv| proof.tail.len() == 1usize << tv);
    if proof.r.len() != rounds || !tail_ok {
        return Err(PcsError::WrongRoundCount { expected: col_vars, got: rounds.min(proof.r.len()) });
    }
    let g = gens.cols(col_vars)?;
    let (r_col, r_row) = point.split_at(col_vars);
    let lvec = eq_table(r_row);
    let bvec = eq_table(r_col);

    absorb_statement(transcript, (num_vars, col_vars), comm, point, &value);
    let w = transcript.challenge_scalar(labels::HYRAX_IPA_U);

    let mut xs = Vec::with_capacity(col_vars);
    for (l, r) in proof.l.iter().zip(&proof.r) {
        transcript.append_point(labels::HYRAX_IPA_L, l);
        transcript.append_point(labels::HYRAX_IPA_R, r);
        let x = transcript.challenge_scalar(labels::HYRAX_IPA_CHALLENGE);
        let xinv = x.inverse().ok_or(PcsError::ZeroChallenge)?;
        xs.push((x, xinv));
    }
    absorb_tail(transcript, &proof.tail, &proof.blind);
    // Column i folds into tail entry i mod 2^tail_vars with the weight
    // s_(i >> tail_vars) = prod_j (x_j^-1)^{bit j of i >> tail_vars}, round 0 the most
    // significant bit.
    let mut s = vec![Fr::one()];
    for (_, xinv) in &xs {
        let mut next = Vec::with_capacity(2 * s.len());
        for e in &s {
            next.push(*e);
            next.push(*e * xinv);
        }
        s = next;
    }
    let m = proof.tail.len();
    // b folded like the generators: b'_t = sum_h s_h b_(h m + t)
    let mut b_fold = vec![Fr::zero(); m];
    for (bh, sh) in bvec.chunks(m).zip(&s) {
        for (acc, bi) in b_fold.iter_mut().zip(bh) {
            *acc += *sh * bi;
        }
    }
    let tail_b = inner_product(&proof.tail, &b_fold);
    // Check: sum_i L_i C_i + value*Q + sum_j (x_j^-1 L_j + x_j R_j)
    //        - sum_i tail_(i mod m) s_(i / m) G_i - <tail, b'> Q - blind*H == 0   with Q = w U
    let cap = parts.len() * rows + 2 * col_vars + 2 + g.len();
    let mut check = MsmCheck { bases: Vec::with_capacity(cap), scalars: Vec::with_capacity(cap) };
    for (c, coeff) in &parts {
        check.bases.extend_from_slice(&c.rows);
        check.scalars.extend(lvec.iter().map(|l| *l * coeff));
    }
    for ((l, r), (x, xinv)) in proof.l.iter().zip(&proof.r).zip(&xs) {
        check.bases.push(*l);
        check.scalars.push(*xinv);
        check.bases.push(*r);
        check.scalars.push(*x);
    }
    check.bases.push(gens.u);
    check.scalars.push(w * (value - tail_b));
    check.bases.push(gens.h);
    check.scalars.push(-proof.blind);
    check.bases.extend_from_slice(g);
    for sh in &s {
        check.scalars.extend(proof.tail.iter().map(|t| -(*t * sh)));
    }
    Ok(check)
}

/// [`verify`] for a table committed with [`commit_split`](super::commit_split).
#[allow(clippy::too_many_arguments)]
pub fn verify_split(
    gens: &HyraxGenerators,
    num_vars: usize,
    col_vars: usize,
    comm: &HyraxCommitment,
    point: &[Fr],
    value: Fr,
    proof: &HyraxOpening,
    transcript: &mut Transcript,
) -> Result<(), PcsError> {
    let check = verify_terms(gens, num_vars, col_vars, CommitmentRef::Single(comm), point, value, proof, transcript)?;
    MsmCheck::check_all(gens.backend(), &[check], &[Fr::one()])
}

/// Evaluate a committed table directly (prover-side helper): `f(point)`.
pub fn evaluate_table(table: &[Fr], point: &[Fr]) -> Fr {
    inner_product(table, &eq_table(point))
}
