//! The aggregated relation system (FAC4DNN-style): a set of committed tensors and
//! the relations among them, proven all at once by one batched sumcheck per relation
//! KIND and one batched claim reduction that ends in one Hyrax opening per table
//! shape. Prover (`zkdl_prover::relations`) and verifier (`zkdl_verifier::relations`)
//! run the same phases in the same transcript order; this module holds what both
//! need: the description ([`RelationSet`]), its validation and transcript absorption,
//! the points at which claims arise, and the proof type ([`RelationProof`]).
//!
//! Tensors are tables of `2^vars` small integers. A tensor may be a STACK of
//! `2^tau` instances (training steps): the stack index is the LAST `tau` variables,
//! so one relation over stacks proves it for every instance (Schwartz-Zippel over the
//! stacked multilinear extension).
//!
//! Phases, in transcript order (after every tensor commitment is absorbed):
//! 1. range booleanity: per range relation `rho_i`; one batched degree-3 sumcheck of
//!    `eq(rho_i, y) B_i(y) (B_i(y) - 1)`; post: `B_i(r1_i)`;
//! 2. range recomposition: per relation `r2_i`; pre: `v_i(r2_i)`; one batched degree-2
//!    sumcheck of `w_k(j) B_i(r2_i, j)` over the plane index; post: `B_i(r2_i, r3_i)`;
//! 3. rescaled matmuls: per relation `r_m` over the (stacked) product; pre:
//!    `Cq(r_m)`, `R(r_m)` (and the bias); one batched degree-3 sumcheck of
//!    `eq(r_t, t) X~(t, r_i, j) Y~(t, j, r_k)` over `(j, t)`; post: `X`, `Y` values;
//! 4. masks: per relation `r'_m`; pre: `Out(r'_m)`; one batched degree-3 sumcheck of
//!    `eq(r', x) s(x) Cq(x)`; post: `s(r4)` (a plane of a bit-plane table), `Cq(r4)`;
//! 5. linear relations: per relation a point; pre: every term's value; the weighted
//!    sum must vanish;
//! 6. zero padding: per relation `rho`; one batched degree-3 sumcheck of
//!    `eq(rho, x) P(x) T(x)` (claim 0); post: `T(r)`;
//! 7. claim reduction: every evaluation claim above (tensor, point, value) with a
//!    random weight `alpha`; one batched degree-2 sumcheck of
//!    `T_m(x) sum_k alpha_k eq(p_k, x)` per claimed tensor; post: `T_m(rho_m)`; then
//!    per table shape `(vars, col_vars)` one Hyrax opening of a random combination.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use zkdl_core::field::{fr_from_i64, Fr};
use zkdl_core::pcs::{HyraxCommitment, HyraxOpening};
use zkdl_core::sumcheck::SumcheckProof;
use zkdl_core::transcript::{labels, Transcript};

use crate::gadgets::{index_bits, plane_vars, MatmulForm, MatmulShape, RescaleSpec, MAX_RANGE_BITS};

/// Largest number of variables of one tensor.
pub const MAX_TENSOR_VARS: usize = 40;

/// A committed tensor: `2^vars` entries, committed with `2^col_vars` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TensorDecl {
    pub vars: usize,
    pub col_vars: usize,
}

/// `0 <= value[x] + offset < 2^bits` for every entry, with the bit planes in the
/// tensor `planes` (`vars(value) + plane_vars(bits)` variables, plane index last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeRel {
    pub value: usize,
    pub planes: usize,
    pub bits: u32,
    pub offset: i64,
}

/// `mult * (X ⊛ Y + 2^shift b) + 2^(shift-1) = 2^shift Cq + R` for every one of the
/// `2^tau` stacked instances (ranges of `Cq`, `R` are separate [`RangeRel`]s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatmulRel {
    pub shape: MatmulShape,
    pub tau: usize,
    pub rescale: RescaleSpec,
    pub x: usize,
    pub y: usize,
    pub cq: usize,
    pub rem: usize,
    /// A bias (`2^lk` entries per instance, `NN` form only).
    pub bias: Option<usize>,
}

/// `Out = s ⊙ Cq` with `s` plane `plane` of the bit-plane tensor `planes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaskRel {
    pub cq: usize,
    pub out: usize,
    pub planes: usize,
    pub plane: u32,
}

/// `sum_k coeff_k T_k = 0` over tensors of one number of variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinearRel {
    pub terms: Vec<(usize, i64)>,
}

/// The tensor (a stack of row-major `2^row_vars x 2^col_vars` matrices) is zero
/// outside the top-left `rows x cols` block of every instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaddingRel {
    pub tensor: usize,
    pub rows: usize,
    pub cols: usize,
    pub row_vars: usize,
    pub col_vars: usize,
}

/// Tensors and relations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelationSet {
    pub tensors: Vec<TensorDecl>,
    pub ranges: Vec<RangeRel>,
    pub matmuls: Vec<MatmulRel>,
    pub masks: Vec<MaskRel>,
    pub linears: Vec<LinearRel>,
    pub paddings: Vec<PaddingRel>,
}

impl RelationSet {
    /// Declare a tensor; returns its index.
    pub fn tensor(&mut self, vars: usize, col_vars: usize) -> usize {
        self.tensors.push(TensorDecl { vars, col_vars });
        self.tensors.len() - 1
    }

    /// Number of variables of tensor `i`.
    pub fn vars(&self, i: usize) -> Result<usize, &'static str> {
        self.tensors.get(i).map(|t| t.vars).ok_or("tensor index out of range")
    }

    /// Check that every relation refers to tensors of matching sizes.
    pub fn validate(&self) -> Result<(), &'static str> {
        for t in &self.tensors {
            if t.vars > MAX_TENSOR_VARS || t.col_vars > t.vars {
                return Err("tensor size");
            }
        }
        for r in &self.ranges {
            if r.bits == 0 || r.bits > MAX_RANGE_BITS {
                return Err("range bit width out of 1..=62");
            }
            if self.vars(r.planes)? != self.vars(r.value)? + plane_vars(r.bits) {
                return Err("range planes size");
            }
        }
        for m in &self.matmuls {
            let s = m.shape;
            let RescaleSpec { mult, shift, total_bits } = m.rescale;
            if mult == 0 || shift == 0 || shift > MAX_RANGE_BITS || total_bits == 0 || total_bits > MAX_RANGE_BITS {
                return Err("rescaling parameters");
            }
            if s.li + s.lj + s.lk + m.tau > 3 * MAX_TENSOR_VARS {
                return Err("matmul dimensions");
            }
            if self.vars(m.x)? != s.x_vars() + m.tau || self.vars(m.y)? != s.y_vars() + m.tau {
                return Err("matmul operand size");
            }
            let c = s.c_vars() + m.tau;
            if self.vars(m.cq)? != c || self.vars(m.rem)? != c {
                return Err("matmul output size");
            }
            if let Some(b) = m.bias {
                if s.form != MatmulForm::NN || self.vars(b)? != s.lk + m.tau {
                    return Err("matmul bias");
                }
            }
        }
        for m in &self.masks {
            let n = self.vars(m.cq)?;
            if self.vars(m.out)? != n {
                return Err("mask output size");
            }
            let pv = self.vars(m.planes)?.checked_sub(n).ok_or("mask planes size")?;
            if pv > 8 || (m.plane as usize) >= (1usize << pv) {
                return Err("mask plane index");
            }
        }
        for l in &self.linears {
            let Some(first) = l.terms.first() else {
                return Err("empty linear relation");
            };
            let n = self.vars(first.0)?;
            for (t, _) in &l.terms {
                if self.vars(*t)? != n {
                    return Err("linear relation over tensors of different sizes");
                }
            }
        }
        for p in &self.paddings {
            if self.vars(p.tensor)? < p.row_vars + p.col_vars {
                return Err("padding shape");
            }
        }
        Ok(())
    }

    /// Absorb the description (sizes, parameters, relation wiring).
    pub fn absorb(&self, t: &mut Transcript) {
        let l = labels::RELATIONS_DESCRIPTION;
        t.append_u64(l, self.tensors.len() as u64);
        for d in &self.tensors {
            t.append_u64(l, ((d.vars as u64) << 8) | d.col_vars as u64);
        }
        t.append_u64(l, self.ranges.len() as u64);
        for r in &self.ranges {
            for v in [r.value as u64, r.planes as u64, r.bits as u64, r.offset as u64] {
                t.append_u64(l, v);
            }
        }
        t.append_u64(l, self.matmuls.len() as u64);
        for m in &self.matmuls {
            let form = match m.shape.form {
                MatmulForm::NN => 0,
                MatmulForm::NT => 1,
                MatmulForm::TN => 2,
            };
            let s = m.shape;
            let r = m.rescale;
            let bias = m.bias.map_or(u64::MAX, |b| b as u64);
            for v in [form, s.li as u64, s.lj as u64, s.lk as u64, m.tau as u64, r.mult, r.shift as u64] {
                t.append_u64(l, v);
            }
            for v in [r.total_bits as u64, m.x as u64, m.y as u64, m.cq as u64, m.rem as u64, bias] {
                t.append_u64(l, v);
            }
        }
        t.append_u64(l, self.masks.len() as u64);
        for m in &self.masks {
            for v in [m.cq as u64, m.out as u64, m.planes as u64, m.plane as u64] {
                t.append_u64(l, v);
            }
        }
        t.append_u64(l, self.linears.len() as u64);
        for r in &self.linears {
            t.append_u64(l, r.terms.len() as u64);
            for (i, c) in &r.terms {
                t.append_u64(l, *i as u64);
                t.append_u64(l, *c as u64);
            }
        }
        t.append_u64(l, self.paddings.len() as u64);
        for p in &self.paddings {
            for v in [p.tensor, p.rows, p.cols, p.row_vars, p.col_vars] {
                t.append_u64(l, v as u64);
            }
        }
    }
}

/// Absorb the description and every tensor commitment (in tensor order).
pub fn absorb_relations(t: &mut Transcript, set: &RelationSet, comms: &[&HyraxCommitment]) {
    set.absorb(t);
    for c in comms {
        t.append_points(labels::RELATIONS_COMMITMENT, &c.rows);
    }
}

/// Points of a stacked matmul: `r = (r_k, r_i, r_t)` over the product, the sumcheck
/// point `rho = (rho_j, rho_t)`.
impl MatmulRel {
    /// `(r_k, r_i, r_t)`; `None` if `r` has the wrong length.
    pub fn split_r<'a>(&self, r: &'a [Fr]) -> Option<(&'a [Fr], &'a [Fr], &'a [Fr])> {
        let s = self.shape;
        if r.len() != s.c_vars() + self.tau {
            return None;
        }
        let (rk, rest) = r.split_at(s.lk);
        let (ri, rt) = rest.split_at(s.li);
        Some((rk, ri, rt))
    }

    /// The points of the claims on `X`, `Y` (and the bias point) after the sumcheck.
    pub fn operand_points(&self, r: &[Fr], rho: &[Fr]) -> Option<(Vec<Fr>, Vec<Fr>)> {
        let (rk, ri, _) = self.split_r(r)?;
        if rho.len() != self.shape.lj + self.tau {
            return None;
        }
        let (rj, rt) = rho.split_at(self.shape.lj);
        let mut xp = self.shape.x_point(ri, rj);
        xp.extend_from_slice(rt);
        let mut yp = self.shape.y_point(rj, rk);
        yp.extend_from_slice(rt);
        Some((xp, yp))
    }

    /// The bias point `(r_k, r_t)`.
    pub fn bias_point(&self, r: &[Fr]) -> Option<Vec<Fr>> {
        let (rk, _, rt) = self.split_r(r)?;
        Some(rk.iter().chain(rt).copied().collect())
    }

    /// `C~(r)` from the claimed `Cq(r)`, `R(r)` and bias value.
    pub fn product_claim(&self, cq: Fr, rem: Fr, bias: Option<Fr>) -> Option<Fr> {
        let RescaleSpec { mult, shift, .. } = self.rescale;
        let p = zkdl_core::field::fr_pow2(shift);
        let inv = zkdl_core::field::fr_inverse(Fr::from(mult))?;
        let half = zkdl_core::field::fr_pow2(shift.checked_sub(1)?);
        Some((p * cq + rem - half) * inv - bias.map_or(Fr::from(0u64), |b| p * b))
    }
}

impl MaskRel {
    /// The point of the sign claim on the planes tensor.
    pub fn sign_point(&self, r4: &[Fr], plane_vars: usize) -> Vec<Fr> {
        r4.iter().copied().chain(index_bits(self.plane as usize, plane_vars)).collect()
    }
}

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

/// The recomposition weights `2^j` for `j < k`, 0 up to `2^plane_vars(k)`.
pub fn weights_table(k: u32) -> Vec<Fr> {
    let mut pow = Fr::from(1u64);
    (0..1usize << plane_vars(k))
        .map(|j| {
            if j < k as usize {
                let out = pow;
                pow += pow;
                out
            } else {
                Fr::from(0u64)
            }
        })
        .collect()
}

impl RangeRel {
    pub fn offset_fr(&self) -> Fr {
        fr_from_i64(self.offset)
    }
}

/// One phase of the proof: values sent before the batched sumcheck, the sumcheck
/// (no rounds when the phase has no relation), values sent after it.
#[derive(Debug, Clone, Default, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct PhaseProof {
    pub pre: Vec<Fr>,
    pub sumcheck: SumcheckProof,
    pub post: Vec<Fr>,
}

/// The claim reduction: the batched sumcheck, the claimed tensors' values at its
/// point, and one opening per table shape.
#[derive(Debug, Clone, Default, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct OpeningProof {
    pub reduction: PhaseProof,
    pub openings: Vec<HyraxOpening>,
}

/// The proof of a [`RelationSet`].
#[derive(Debug, Clone, Default, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct RelationProof {
    pub booleanity: PhaseProof,
    pub recomposition: PhaseProof,
    pub matmul: PhaseProof,
    pub mask: PhaseProof,
    pub linear: Vec<Fr>,
    pub padding: PhaseProof,
    pub openings: OpeningProof,
}

/// Tensors that carry claims, grouped: returns, for every tensor index with at least
/// one claim (ascending), the indices of its claims.
pub fn claims_by_tensor(claim_tensors: &[usize], num_tensors: usize) -> Vec<(usize, Vec<usize>)> {
    let mut by: Vec<Vec<usize>> = vec![Vec::new(); num_tensors];
    for (k, &t) in claim_tensors.iter().enumerate() {
        if let Some(v) = by.get_mut(t) {
            v.push(k);
        }
    }
    by.into_iter().enumerate().filter(|(_, v)| !v.is_empty()).collect()
}

/// Opening groups of the claimed tensors: tensors of equal `(vars, col_vars)`,
/// ordered by that key; each entry lists positions into `claimed` (the output of
/// [`claims_by_tensor`]).
pub fn opening_groups(set: &RelationSet, claimed: &[(usize, Vec<usize>)]) -> Vec<(TensorDecl, Vec<usize>)> {
    let mut keys: Vec<(usize, usize)> = Vec::new();
    for (t, _) in claimed {
        if let Some(d) = set.tensors.get(*t) {
            keys.push((d.vars, d.col_vars));
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .map(|(vars, col_vars)| {
            let members = claimed
                .iter()
                .enumerate()
                .filter(|(_, (t, _))| set.tensors.get(*t).is_some_and(|d| d.vars == vars && d.col_vars == col_vars))
                .map(|(pos, _)| pos)
                .collect();
            (TensorDecl { vars, col_vars }, members)
        })
        .collect()
}
