//! Verifier of the aggregated relation system (`zkdl_circuit::relations`): every
//! phase's batched sumcheck, then the claim reduction and one Hyrax opening per table
//! shape.

use ark_ff::Field;
use zkdl_circuit::relations::{
    absorb_relations, claims_by_tensor, opening_groups, OpeningProof, PhaseProof, ReductionLayout, RelationProof,
    RelationSet,
};
use zkdl_core::field::Fr;
use zkdl_core::mle::eq_eval;
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators};
use zkdl_core::sumcheck::{self, BatchedClaim};
use zkdl_core::transcript::{labels, Transcript};

use crate::{Phase, VerifyError, FINAL};

/// An evaluation claim `T_tensor(point) = value`.
struct Claim {
    tensor: usize,
    point: Vec<Fr>,
    value: Fr,
}

fn eq(a: &[Fr], b: &[Fr]) -> Result<Fr, VerifyError> {
    eq_eval(a, b).ok_or(VerifyError::Params("point length"))
}

/// Checks the phase's value counts and runs its batched sumcheck (`None` when the
/// phase has no relation, which then must carry nothing).
fn run_phase(
    t: &mut Transcript,
    what: Phase,
    claims: &[(Fr, usize)],
    degree: usize,
    p: &PhaseProof,
    (n_pre, n_post): (usize, usize),
) -> Result<Option<BatchedClaim>, VerifyError> {
    if p.pre.len() != n_pre || p.post.len() != n_post {
        return Err(VerifyError::Shape(what.name()));
    }
    if claims.is_empty() {
        return if p.sumcheck.rounds.is_empty() { Ok(None) } else { Err(VerifyError::Shape(what.name())) };
    }
    let bc = sumcheck::verify_batched(claims, degree, &p.sumcheck, t)
        .map_err(|source| VerifyError::Sumcheck { phase: what, source })?;
    t.append_scalars(labels::RELATIONS_POST, &p.post);
    Ok(Some(bc))
}

/// One batched sumcheck over the matmuls `which` of `set` at the points `rs` (phase 3):
/// checks it, records the claims it leaves; returns each relation's `Y` claim point.
fn verify_matmuls(
    t: &mut Transcript,
    set: &RelationSet,
    p: &PhaseProof,
    claims: &mut Vec<Claim>,
    which: &[usize],
    rs: Vec<Vec<Fr>>,
    what: Phase,
) -> Result<Vec<Vec<Fr>>, VerifyError> {
    let mut rels = Vec::with_capacity(which.len());
    for &i in which {
        rels.push(set.matmuls.get(i).ok_or(VerifyError::Params("matmul"))?);
    }
    if rs.len() != rels.len() {
        return Err(VerifyError::Params("matmul points"));
    }
    let n_pre: usize = rels.iter().map(|m| 1 + m.rem.is_some() as usize + m.bias.is_some() as usize).sum();
    if p.pre.len() != n_pre {
        return Err(VerifyError::Shape(what.name()));
    }
    t.append_scalars(labels::RELATIONS_PRE, &p.pre);
    let mut pre = p.pre.iter().copied();
    let mut sc = Vec::with_capacity(rels.len());
    for (m, r) in rels.iter().zip(&rs) {
        let cq = pre.next().ok_or(VerifyError::Shape(what.name()))?;
        claims.push(Claim { tensor: m.cq, point: r.clone(), value: cq });
        let rem = match m.rem {
            Some(rt) => {
                let v = pre.next().ok_or(VerifyError::Shape(what.name()))?;
                claims.push(Claim { tensor: rt, point: r.clone(), value: v });
                Some(v)
            }
            None => None,
        };
        let bias = match m.bias {
            Some(b) => {
                let v = pre.next().ok_or(VerifyError::Shape(what.name()))?;
                let bp = m.bias_point(r).ok_or(VerifyError::Params("matmul point"))?;
                claims.push(Claim { tensor: b, point: bp, value: v });
                Some(v)
            }
            None => None,
        };
        let c = m.product_claim(cq, rem, bias).ok_or(VerifyError::Params("rescaling parameters"))?;
        sc.push((c, m.shape.lj + m.tau));
    }
    let bc = run_phase(t, what, &sc, 3, p, (n_pre, 2 * rels.len()))?;
    let mut y_points = Vec::with_capacity(rels.len());
    if let Some(bc) = bc {
        let mut evals = Vec::with_capacity(sc.len());
        for (i, (m, r)) in rels.iter().zip(&rs).enumerate() {
            let rho = point_of(&bc, i)?;
            let (xv, yv) = (get(&p.post, 2 * i, what)?, get(&p.post, 2 * i + 1, what)?);
            let (_, _, rt) = m.split_r(r).ok_or(VerifyError::Params("matmul point"))?;
            let rho_t = rho.get(m.shape.lj..).ok_or(VerifyError::Params("matmul point"))?;
            evals.push(eq(rt, rho_t)? * xv * yv);
            let (xp, yp) = m.operand_points(r, &rho).ok_or(VerifyError::Params("matmul point"))?;
            claims.push(Claim { tensor: m.x, point: xp, value: xv });
            claims.push(Claim { tensor: m.y, point: yp.clone(), value: yv });
            y_points.push(yp);
        }
        finish(Some(bc), &evals, what)?;
    }
    Ok(y_points)
}

fn point_of(bc: &BatchedClaim, i: usize) -> Result<Vec<Fr>, VerifyError> {
    bc.instance_point(i).map(|p| p.to_vec()).ok_or(VerifyError::Params("sumcheck point"))
}

fn finish(bc: Option<BatchedClaim>, evals: &[Fr], what: Phase) -> Result<(), VerifyError> {
    match bc {
        Some(bc) => bc.check(evals).map_err(|_| VerifyError::FinalClaim { phase: what, check: FINAL }),
        None => Ok(()),
    }
}

fn get<T: Copy>(v: &[T], i: usize, what: Phase) -> Result<T, VerifyError> {
    v.get(i).copied().ok_or(VerifyError::Shape(what.name()))
}

/// Verify every relation of `set` over the committed tensors `comms` (one per
/// declared tensor, in order). The transcript must already hold whatever the
/// relations' meaning depends on (the statement); this absorbs `set` and `comms`.
pub fn verify_relations(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    set: &RelationSet,
    comms: &[&HyraxCommitment],
    p: &RelationProof,
) -> Result<(), VerifyError> {
    set.validate().map_err(VerifyError::Params)?;
    if comms.len() != set.tensors.len() {
        return Err(VerifyError::Shape("number of tensor commitments"));
    }
    for (i, (c, d)) in comms.iter().zip(&set.tensors).enumerate() {
        if !set.is_virtual(i) && c.rows.len() != 1usize << (d.vars - d.col_vars) {
            return Err(VerifyError::Shape("rows of a tensor commitment"));
        }
    }
    absorb_relations(t, set, comms);
    let mut claims: Vec<Claim> = Vec::new();
    let vars = |i: usize| set.vars(i).map_err(VerifyError::Params);

    // 1. Booleanity.
    let mut rhos = Vec::with_capacity(set.bools.len());
    let mut sc = Vec::with_capacity(set.bools.len());
    for b in &set.bools {
        let n = vars(b.tensor)?;
        rhos.push(t.challenge_scalars(labels::RELATIONS_POINT, n));
        sc.push((Fr::from(0u64), n));
    }
    let what = Phase::Booleanity;
    let bc = run_phase(t, what, &sc, 3, &p.booleanity, (0, set.bools.len()))?;
    if let Some(bc) = bc {
        let mut evals = Vec::with_capacity(sc.len());
        for (i, (b, rho)) in set.bools.iter().zip(&rhos).enumerate() {
            let pt = point_of(&bc, i)?;
            let v = get(&p.booleanity.post, i, what)?;
            evals.push(eq(rho, &pt)? * v * (v - Fr::from(1u64)));
            claims.push(Claim { tensor: b.tensor, point: pt, value: v });
        }
        finish(Some(bc), &evals, what)?;
    }

    // 2. LogUp lookups.
    verify_logup(t, set, &p.logup, &mut claims)?;

    // 3. Rescaled matmuls: those with a drawn point, then those at another's Y point.
    let (first, second) = set.matmul_rounds();
    let mut rs = Vec::with_capacity(first.len());
    for &i in &first {
        let m = set.matmuls.get(i).ok_or(VerifyError::Params("matmul"))?;
        rs.push(t.challenge_scalars(labels::RELATIONS_POINT, m.shape.c_vars() + m.tau));
    }
    let y_points = verify_matmuls(t, set, &p.matmul, &mut claims, &first, rs, Phase::Matmul)?;
    let mut rs = Vec::with_capacity(second.len());
    for &(_, src) in &second {
        rs.push(src.and_then(|k| y_points.get(k).cloned()).ok_or(VerifyError::Params("matmul point source"))?);
    }
    let second: Vec<usize> = second.iter().map(|s| s.0).collect();
    verify_matmuls(t, set, &p.matmul_at, &mut claims, &second, rs, Phase::MatmulAt)?;

    // 4. Masks.
    let what = Phase::Mask;
    let mut rrs = Vec::with_capacity(set.masks.len());
    for m in &set.masks {
        rrs.push(t.challenge_scalars(labels::RELATIONS_POINT, vars(m.cq)?));
    }
    if p.mask.pre.len() != set.masks.len() {
        return Err(VerifyError::Shape(what.name()));
    }
    t.append_scalars(labels::RELATIONS_PRE, &p.mask.pre);
    let mut sc = Vec::with_capacity(set.masks.len());
    for (i, (m, rr)) in set.masks.iter().zip(&rrs).enumerate() {
        let out = get(&p.mask.pre, i, what)?;
        claims.push(Claim { tensor: m.out, point: rr.clone(), value: out });
        sc.push((out, rr.len()));
    }
    let bc = run_phase(t, what, &sc, 3, &p.mask, (set.masks.len(), 2 * set.masks.len()))?;
    if let Some(bc) = bc {
        let mut evals = Vec::with_capacity(sc.len());
        for (i, (m, rr)) in set.masks.iter().zip(&rrs).enumerate() {
            let r4 = point_of(&bc, i)?;
            let (s, c) = (get(&p.mask.post, 2 * i, what)?, get(&p.mask.post, 2 * i + 1, what)?);
            evals.push(eq(rr, &r4)? * s * c);
            let pv = vars(m.planes)? - r4.len();
            claims.push(Claim { tensor: m.planes, point: m.sign_point(&r4, pv), value: s });
            claims.push(Claim { tensor: m.cq, point: r4, value: c });
        }
        finish(Some(bc), &evals, what)?;
    }

    // 5. Linear relations.
    let what = Phase::Linear;
    let n_terms: usize = set.linears.iter().map(|l| l.terms.len()).sum();
    if p.linear.len() != n_terms {
        return Err(VerifyError::Shape(what.name()));
    }
    let mut points = Vec::with_capacity(set.linears.len());
    for l in &set.linears {
        let first = l.terms.first().ok_or(VerifyError::Params(what.name()))?;
        points.push(t.challenge_scalars(labels::RELATIONS_POINT, vars(first.0)?));
    }
    t.append_scalars(labels::RELATIONS_PRE, &p.linear);
    let mut vals = p.linear.iter().copied();
    for (l, r) in set.linears.iter().zip(&points) {
        let mut sum = zkdl_core::field::fr_from_i64(l.constant);
        for (tensor, coeff) in &l.terms {
            let v = vals.next().ok_or(VerifyError::Shape(what.name()))?;
            sum += zkdl_core::field::fr_from_i64(*coeff) * v;
            claims.push(Claim { tensor: *tensor, point: r.clone(), value: v });
        }
        if sum != Fr::from(0u64) {
            return Err(VerifyError::FinalClaim { phase: what, check: FINAL });
        }
    }

    // 5b. Linear relations on the commitments: sum_k c_k Com(T_k) + constant Com(1)
    // must be the commitment of zero, row by row (binding of Pedersen commitments).
    let what = Phase::LinearOnCommitments;
    for h in &set.homomorphic {
        let (terms, constant) = set.expand_virtual(&h.terms, h.constant).map_err(VerifyError::Params)?;
        let col_vars = terms
            .first()
            .and_then(|&(tensor, _)| set.tensors.get(tensor))
            .map(|d| d.col_vars)
            .ok_or(VerifyError::Params(what.name()))?;
        let mut refs = Vec::with_capacity(terms.len());
        for &(tensor, c) in &terms {
            refs.push((*comms.get(tensor).ok_or(VerifyError::Shape(what.name()))?, c));
        }
        let sum = pcs::commit_affine_combination(gens, col_vars, &refs, constant)
            .map_err(|source| VerifyError::Opening { what: what.name(), source })?;
        if !sum.is_zero() {
            return Err(VerifyError::FinalClaim { phase: what, check: FINAL });
        }
    }

    // 6a. Zero padding on commitments: the rows of padding only are the identity.
    let what = Phase::PaddingOnCommitments;
    for z in &set.zero_rows {
        let d = set.tensors.get(z.tensor).ok_or(VerifyError::Shape(what.name()))?;
        let rows = z.zero_rows(d.vars, d.col_vars).ok_or(VerifyError::Params(what.name()))?;
        let c = comms.get(z.tensor).ok_or(VerifyError::Shape(what.name()))?;
        for r in rows {
            if !c.row_is_zero(r).ok_or(VerifyError::Shape(what.name()))? {
                return Err(VerifyError::FinalClaim { phase: what, check: FINAL });
            }
        }
    }

    // 6. Zero padding.
    let what = Phase::Padding;
    let mut rhos = Vec::with_capacity(set.paddings.len());
    let mut sc = Vec::with_capacity(set.paddings.len());
    for pr in &set.paddings {
        let n = vars(pr.tensor)?;
        rhos.push(t.challenge_scalars(labels::RELATIONS_POINT, n));
        sc.push((Fr::from(0u64), n));
    }
    let bc = run_phase(t, what, &sc, 3, &p.padding, (0, set.paddings.len()))?;
    if let Some(bc) = bc {
        let mut evals = Vec::with_capacity(sc.len());
        for (i, (pr, rho)) in set.paddings.iter().zip(&rhos).enumerate() {
            let r = point_of(&bc, i)?;
            let v = get(&p.padding.post, i, what)?;
            let local = r.get(..pr.row_vars + pr.col_vars).ok_or(VerifyError::Params("padding point"))?;
            let ind = zkdl_circuit::gadgets::padding_indicator_eval(pr.rows, pr.cols, pr.row_vars, pr.col_vars, local)
                .ok_or(VerifyError::Params("padding point"))?;
            evals.push(eq(rho, &r)? * ind * v);
            claims.push(Claim { tensor: pr.tensor, point: r, value: v });
        }
        finish(Some(bc), &evals, what)?;
    }

    // 6b. Claims on virtual tensors become claims on their terms.
    let claims = expand_virtual_claims(t, set, claims, &p.virtuals)?;

    // 7. Claim reduction and openings.
    verify_claims(gens, t, set, comms, &claims, &p.openings)
}

/// One fraction-sum tree of the LogUp argument: a lookup tensor or a table.
#[derive(Clone, Copy)]
enum Leaf {
    Lookup { tensor: usize, offset: i64 },
    Table { multiplicities: usize },
}

/// The trees (lookups, then tables) with their depths and widths.
fn logup_trees(set: &RelationSet) -> Result<Vec<(Leaf, usize, u32)>, VerifyError> {
    let mut trees = Vec::with_capacity(set.lookups.len() + set.tables.len());
    for l in &set.lookups {
        let leaf = Leaf::Lookup { tensor: l.tensor, offset: l.offset };
        trees.push((leaf, set.vars(l.tensor).map_err(VerifyError::Params)?, l.width));
    }
    for tb in &set.tables {
        trees.push((Leaf::Table { multiplicities: tb.multiplicities }, tb.width as usize, tb.width));
    }
    Ok(trees)
}

/// `t~(r) = sum_i 2^i r_i`: the MLE of the table `[0, 2^n)`.
pub fn identity_mle(r: &[Fr]) -> Fr {
    let mut acc = Fr::from(0u64);
    let mut pow = Fr::from(1u64);
    for x in r {
        acc += pow * x;
        pow += pow;
    }
    acc
}

fn verify_logup(
    t: &mut Transcript,
    set: &RelationSet,
    p: &zkdl_circuit::relations::LogupProof,
    claims: &mut Vec<Claim>,
) -> Result<(), VerifyError> {
    let what = Phase::Lookup;
    let trees = logup_trees(set)?;
    if trees.is_empty() {
        return if p.roots.is_empty() && p.layer1.is_empty() && p.rounds.is_empty() {
            Ok(())
        } else {
            Err(VerifyError::Shape(what.name()))
        };
    }
    let alpha = t.challenge_scalar(labels::LOOKUP_ALPHA);
    if p.roots.len() != 2 * trees.len() {
        return Err(VerifyError::Shape(what.name()));
    }
    t.append_scalars(labels::RELATIONS_PRE, &p.roots);
    // Per table width: the lookups' fractions sum to the table's.
    let zero = Fr::from(0u64);
    for (i, (leaf, _, width)) in trees.iter().enumerate() {
        let Leaf::Table { .. } = leaf else { continue };
        let (mut num, mut den) = (zero, Fr::from(1u64));
        for (j, (l, _, w)) in trees.iter().enumerate() {
            if matches!(l, Leaf::Lookup { .. }) && w == width {
                let (pj, qj) = (get(&p.roots, 2 * j, what)?, get(&p.roots, 2 * j + 1, what)?);
                num = num * qj + pj * den;
                den *= qj;
            }
        }
        let (pt, qt) = (get(&p.roots, 2 * i, what)?, get(&p.roots, 2 * i + 1, what)?);
        if den == zero || qt == zero || num * qt != pt * den {
            return Err(VerifyError::FinalClaim { phase: what, check: "the multiset of a table" });
        }
    }
    // Current claims (p, q) of every tree, at the shared point r.
    let mut cur: Vec<(Fr, Fr)> = (0..trees.len())
        .map(|i| Ok((get(&p.roots, 2 * i, what)?, get(&p.roots, 2 * i + 1, what)?)))
        .collect::<Result<_, VerifyError>>()?;
    let mut r: Vec<Fr> = Vec::new();
    let max_depth = trees.iter().map(|x| x.1).max().unwrap_or(0);
    let deep1 = trees.iter().filter(|x| x.1 >= 1).count();
    if p.layer1.len() != 4 * deep1 || p.rounds.len() != max_depth.saturating_sub(1) {
        return Err(VerifyError::Shape(what.name()));
    }
    let leaf_claim = |i: usize, r: &[Fr], (pv, qv): (Fr, Fr), claims: &mut Vec<Claim>| -> Result<(), VerifyError> {
        match trees.get(i).map(|x| x.0) {
            Some(Leaf::Lookup { tensor, offset }) => {
                if pv != Fr::from(1u64) {
                    return Err(VerifyError::FinalClaim { phase: what, check: "the numerators" });
                }
                // the leaf is alpha - (value + offset)
                let value = alpha - zkdl_core::field::fr_from_i64(offset) - qv;
                claims.push(Claim { tensor, point: r.to_vec(), value });
            }
            Some(Leaf::Table { multiplicities }) => {
                if qv != alpha - identity_mle(r) {
                    return Err(VerifyError::FinalClaim { phase: what, check: "the table" });
                }
                claims.push(Claim { tensor: multiplicities, point: r.to_vec(), value: pv });
            }
            None => return Err(VerifyError::Shape(what.name())),
        }
        Ok(())
    };
    for (i, tr) in trees.iter().enumerate() {
        if tr.1 == 0 {
            let c = *cur.get(i).ok_or(VerifyError::Shape(what.name()))?;
            leaf_claim(i, &[], c, claims)?;
        }
    }
    if max_depth == 0 {
        return Ok(());
    }
    // Layer 1.
    t.append_scalars(labels::RELATIONS_POST, &p.layer1);
    let mut vals = p.layer1.chunks_exact(4);
    let mut layer1 = Vec::with_capacity(deep1);
    for (i, tr) in trees.iter().enumerate() {
        if tr.1 == 0 {
            continue;
        }
        let (p0, q0) = *cur.get(i).ok_or(VerifyError::Shape(what.name()))?;
        let v = vals.next().ok_or(VerifyError::Shape(what.name()))?;
        let (pl, ph, ql, qh) = (get(v, 0, what)?, get(v, 1, what)?, get(v, 2, what)?, get(v, 3, what)?);
        if p0 != pl * qh + ph * ql || q0 != ql * qh {
            return Err(VerifyError::FinalClaim { phase: what, check: "layer 1" });
        }
        layer1.push((i, pl, ph, ql, qh));
    }
    let tau = t.challenge_scalar(labels::RELATIONS_POINT);
    r.push(tau);
    for (i, pl, ph, ql, qh) in layer1 {
        let c = (pl + tau * (ph - pl), ql + tau * (qh - ql));
        if let Some(slot) = cur.get_mut(i) {
            *slot = c;
        }
        if trees.get(i).map(|x| x.1) == Some(1) {
            leaf_claim(i, &r, c, claims)?;
        }
    }
    // Layers 2..: one batched sumcheck per depth over the trees that go deeper.
    for (k, round) in (1..max_depth).zip(&p.rounds) {
        let active: Vec<usize> = (0..trees.len()).filter(|&i| trees.get(i).is_some_and(|x| x.1 > k)).collect();
        let lambda = t.challenge_scalar(labels::LOOKUP_LAMBDA);
        let mu = lambda.inverse().ok_or(VerifyError::Params("lookup batching challenge is zero"))?;
        // A lookup tree's leaf layer has unit numerators: the proof carries only its
        // (q_lo, q_hi); every other tree sends (p_lo, p_hi, q_lo, q_hi). Its instance is
        // eq (q_lo + mu)(q_hi + mu) = eq (q_lo + q_hi + lambda q_lo q_hi + mu) mu, with
        // mu = 1 / lambda, of sum (p + lambda q + mu) mu (the eq weights sum to 1).
        let unit = |i: usize| trees.get(i).is_some_and(|x| matches!(x.0, Leaf::Lookup { .. }) && x.1 == k + 1);
        let mut sc = Vec::with_capacity(active.len());
        for &i in &active {
            let (pv, qv) = *cur.get(i).ok_or(VerifyError::Shape(what.name()))?;
            sc.push((if unit(i) { (pv + lambda * qv + mu) * mu } else { pv + lambda * qv }, k));
        }
        let n_post: usize = active.iter().map(|&i| if unit(i) { 2 } else { 4 }).sum();
        let bc = run_phase(t, what, &sc, 3, round, (0, n_post))?.ok_or(VerifyError::Shape(what.name()))?;
        let rho = point_of(&bc, 0)?;
        let e = eq(&r, &rho)?;
        let mut evals = Vec::with_capacity(active.len());
        let mut next = Vec::with_capacity(active.len());
        let mut off = 0usize;
        for &i in &active {
            let base = off;
            let g = |o: usize| get(&round.post, base + o, what);
            let (pl, ph, ql, qh, eval) = if unit(i) {
                off += 2;
                let (ql, qh) = (g(0)?, g(1)?);
                (Fr::from(1u64), Fr::from(1u64), ql, qh, e * (ql + mu) * (qh + mu))
            } else {
                off += 4;
                let (pl, ph, ql, qh) = (g(0)?, g(1)?, g(2)?, g(3)?);
                (pl, ph, ql, qh, e * (pl * qh + ph * ql + lambda * ql * qh))
            };
            evals.push(eval);
            next.push((i, pl, ph, ql, qh));
        }
        finish(Some(bc), &evals, what)?;
        let tau = t.challenge_scalar(labels::RELATIONS_POINT);
        r = rho;
        r.push(tau);
        for (i, pl, ph, ql, qh) in next {
            let c = (pl + tau * (ph - pl), ql + tau * (qh - ql));
            if let Some(slot) = cur.get_mut(i) {
                *slot = c;
            }
            if trees.get(i).map(|x| x.1) == Some(k + 1) {
                leaf_claim(i, &r, c, claims)?;
            }
        }
    }
    Ok(())
}

fn expand_virtual_claims(
    t: &mut Transcript,
    set: &RelationSet,
    claims: Vec<Claim>,
    values: &[Fr],
) -> Result<Vec<Claim>, VerifyError> {
    let what = Phase::VirtualTensor;
    let needed: usize =
        claims.iter().filter_map(|c| set.virtuals.iter().find(|v| v.tensor == c.tensor)).map(|v| v.terms.len()).sum();
    if values.len() != needed {
        return Err(VerifyError::Shape(what.name()));
    }
    t.append_scalars(labels::RELATIONS_PRE, values);
    let mut vals = values.iter().copied();
    let mut out = Vec::with_capacity(claims.len() + needed);
    for c in claims {
        let Some(v) = set.virtuals.iter().find(|v| v.tensor == c.tensor) else {
            out.push(c);
            continue;
        };
        let mut sum = zkdl_core::field::fr_from_i64(v.constant);
        for (tensor, coeff) in &v.terms {
            let x = vals.next().ok_or(VerifyError::Shape(what.name()))?;
            sum += zkdl_core::field::fr_from_i64(*coeff) * x;
            out.push(Claim { tensor: *tensor, point: c.point.clone(), value: x });
        }
        if sum != c.value {
            return Err(VerifyError::FinalClaim { phase: what, check: FINAL });
        }
    }
    Ok(out)
}

/// Phase 8 alone (the claim reduction and openings) for the claims `(tensor, point,
/// value)` on the committed tensors of `set`: for tests of the reduction with chosen,
/// possibly false, claims.
#[doc(hidden)]
pub fn verify_claim_reduction(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    set: &RelationSet,
    comms: &[&HyraxCommitment],
    claims: &[(usize, Vec<Fr>, Fr)],
    p: &OpeningProof,
) -> Result<(), VerifyError> {
    let claims: Vec<Claim> = claims
        .iter()
        .map(|(tensor, point, value)| Claim { tensor: *tensor, point: point.clone(), value: *value })
        .collect();
    verify_claims(gens, t, set, comms, &claims, p)
}

fn verify_claims(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    set: &RelationSet,
    comms: &[&HyraxCommitment],
    claims: &[Claim],
    p: &OpeningProof,
) -> Result<(), VerifyError> {
    let what = Phase::ClaimReduction;
    let tensors: Vec<usize> = claims.iter().map(|c| c.tensor).collect();
    let claimed = claims_by_tensor(&tensors, set.tensors.len());
    t.append_u64(labels::REDUCTION_COLUMNS, claims.len() as u64);
    let alpha = t.challenge_scalars(labels::REDUCTION_COLUMNS, claims.len());
    let (red, rows) = (&p.columns, &p.rows);
    if claims.is_empty() {
        run_phase(t, what, &[], 2, red, (0, 0))?;
        run_phase(t, what, &[], 2, rows, (0, 0))?;
        return if p.openings.is_empty() { Ok(()) } else { Err(VerifyError::Shape(what.name())) };
    }
    let at: Vec<(usize, &[Fr])> = claims.iter().map(|c| (c.tensor, c.point.as_slice())).collect();
    let layout = ReductionLayout::new(set, &at).map_err(VerifyError::Params)?;
    let split = |a: usize| layout.point(a, &at).ok_or(VerifyError::Shape(what.name()));
    // Column stage: one instance per (column split, point).
    let mut sc = Vec::with_capacity(layout.columns.len());
    for inst in &layout.columns {
        let mut sum = Fr::from(0u64);
        for &k in &inst.claims {
            sum += get(&alpha, k, what)? * claims.get(k).ok_or(VerifyError::Shape(what.name()))?.value;
        }
        sc.push((sum, inst.col_vars));
    }
    let bc = run_phase(t, what, &sc, 2, red, (0, layout.posts.len()))?.ok_or(VerifyError::Shape(what.name()))?;
    let mut evals = Vec::with_capacity(layout.columns.len());
    for (a, inst) in layout.columns.iter().enumerate() {
        let mut combined = Fr::from(0u64);
        for (&k, &j) in inst.claims.iter().zip(&inst.claim_posts) {
            combined += get(&alpha, k, what)? * get(&red.post, j, what)?;
        }
        evals.push(eq(split(a)?.0, &point_of(&bc, a)?)? * combined);
    }
    bc.check(&evals).map_err(|_| VerifyError::FinalClaim { phase: what, check: FINAL })?;
    let rho = bc.point;
    // Row stage: the values are claims on T(rho_c, .), one instance per row point.
    t.append_u64(labels::REDUCTION_ROWS, layout.posts.len() as u64);
    let alpha2 = t.challenge_scalars(labels::REDUCTION_ROWS, layout.posts.len());
    let mut sc = Vec::with_capacity(layout.rows.len());
    for inst in &layout.rows {
        let mut sum = Fr::from(0u64);
        for &j in &inst.posts {
            sum += get(&alpha2, j, what)? * get(&red.post, j, what)?;
        }
        sc.push((sum, inst.row_vars));
    }
    let bc = run_phase(t, what, &sc, 2, rows, (0, claimed.len()))?.ok_or(VerifyError::Shape(what.name()))?;
    // rows.post[i]: claimed tensor i at its final point.
    let mut post_of = vec![None; set.tensors.len()];
    for (i, (tensor, _)) in claimed.iter().enumerate() {
        if let Some(slot) = post_of.get_mut(*tensor) {
            *slot = Some(get(&rows.post, i, what)?);
        }
    }
    let mut evals = Vec::with_capacity(layout.rows.len());
    for (b, inst) in layout.rows.iter().enumerate() {
        let mut combined = Fr::from(0u64);
        for &j in &inst.posts {
            let &(_, tensor) = layout.posts.get(j).ok_or(VerifyError::Shape(what.name()))?;
            let v = post_of.get(tensor).copied().flatten().ok_or(VerifyError::Shape(what.name()))?;
            combined += get(&alpha2, j, what)? * v;
        }
        let hi = layout.row_instance_point(b, &at).ok_or(VerifyError::Shape(what.name()))?;
        evals.push(eq(hi, &point_of(&bc, b)?)? * combined);
    }
    bc.check(&evals).map_err(|_| VerifyError::FinalClaim { phase: what, check: FINAL })?;
    let sigma = bc.point;
    let groups = opening_groups(set, &claimed);
    if groups.len() != p.openings.len() {
        return Err(VerifyError::Shape("number of openings"));
    }
    let mut checks = Vec::with_capacity(groups.len());
    for ((decl, members), opening) in groups.iter().zip(&p.openings) {
        let beta = if members.len() == 1 {
            vec![Fr::from(1u64)]
        } else {
            t.challenge_scalars(labels::RELATIONS_BETA, members.len())
        };
        let mut parts = Vec::with_capacity(members.len());
        let mut value = Fr::from(0u64);
        for (&pos, b) in members.iter().zip(&beta) {
            let (tensor, _) = claimed.get(pos).ok_or(VerifyError::Shape(what.name()))?;
            parts.push((*comms.get(*tensor).ok_or(VerifyError::Shape(what.name()))?, *b));
            value += *b * get(&rows.post, pos, what)?;
        }
        let point = ReductionLayout::end_point(&rho, &sigma, *decl).ok_or(VerifyError::Shape(what.name()))?;
        let comm = pcs::CommitmentRef::Combination(&parts);
        let check = pcs::verify_terms(gens, decl.vars, decl.col_vars, comm, &point, value, opening, t)
            .map_err(|source| VerifyError::Opening { what: "combined opening", source })?;
        checks.push(check);
    }
    // All openings' final equations at once, weighted by challenges drawn after them.
    let gamma = t.challenge_scalars(labels::RELATIONS_BETA, checks.len());
    pcs::MsmCheck::check_all(&checks, &gamma)
        .map_err(|source| VerifyError::Opening { what: "combined opening", source })
}
