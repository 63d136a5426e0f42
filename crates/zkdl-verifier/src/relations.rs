//! Verifier of the aggregated relation system (`zkdl_circuit::relations`): every
//! phase's batched sumcheck, then the claim reduction and one Hyrax opening per table
//! shape.

use zkdl_circuit::gadgets::plane_vars;
use zkdl_circuit::relations::{
    absorb_relations, claims_by_tensor, opening_groups, weights_mle, PhaseProof, RelationProof, RelationSet,
};
use zkdl_core::field::Fr;
use zkdl_core::mle::eq_eval;
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators};
use zkdl_core::sumcheck::{self, BatchedClaim};
use zkdl_core::transcript::{labels, Transcript};

use crate::VerifyError;

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
    what: &'static str,
    claims: &[(Fr, usize)],
    degree: usize,
    p: &PhaseProof,
    (n_pre, n_post): (usize, usize),
) -> Result<Option<BatchedClaim>, VerifyError> {
    if p.pre.len() != n_pre || p.post.len() != n_post {
        return Err(VerifyError::Shape(what));
    }
    if claims.is_empty() {
        return if p.sumcheck.rounds.is_empty() { Ok(None) } else { Err(VerifyError::Shape(what)) };
    }
    let bc = sumcheck::verify_batched(claims, degree, &p.sumcheck, t)
        .map_err(|source| VerifyError::Sumcheck { what, source })?;
    t.append_scalars(labels::RELATIONS_POST, &p.post);
    Ok(Some(bc))
}

fn point_of(bc: &BatchedClaim, i: usize) -> Result<Vec<Fr>, VerifyError> {
    bc.instance_point(i).map(|p| p.to_vec()).ok_or(VerifyError::Params("sumcheck point"))
}

fn finish(bc: Option<BatchedClaim>, evals: &[Fr], what: &'static str) -> Result<(), VerifyError> {
    match bc {
        Some(bc) => bc.check(evals).map_err(|_| VerifyError::FinalClaim { what }),
        None => Ok(()),
    }
}

fn get<T: Copy>(v: &[T], i: usize, what: &'static str) -> Result<T, VerifyError> {
    v.get(i).copied().ok_or(VerifyError::Shape(what))
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
    for (c, d) in comms.iter().zip(&set.tensors) {
        if c.rows.len() != 1usize << (d.vars - d.col_vars) {
            return Err(VerifyError::Shape("rows of a tensor commitment"));
        }
    }
    absorb_relations(t, set, comms);
    let mut claims: Vec<Claim> = Vec::new();
    let vars = |i: usize| set.vars(i).map_err(VerifyError::Params);

    // 1. Range booleanity.
    let mut rhos = Vec::with_capacity(set.ranges.len());
    let mut sc = Vec::with_capacity(set.ranges.len());
    for r in &set.ranges {
        let nb = vars(r.planes)?;
        rhos.push(t.challenge_scalars(labels::RELATIONS_POINT, nb));
        sc.push((Fr::from(0u64), nb));
    }
    let what = "range booleanity";
    let bc = run_phase(t, what, &sc, 3, &p.booleanity, (0, set.ranges.len()))?;
    if let Some(bc) = bc.as_ref() {
        let mut evals = Vec::with_capacity(sc.len());
        for (i, (r, rho)) in set.ranges.iter().zip(&rhos).enumerate() {
            let pt = point_of(bc, i)?;
            let b = get(&p.booleanity.post, i, what)?;
            evals.push(eq(rho, &pt)? * b * (b - Fr::from(1u64)));
            claims.push(Claim { tensor: r.planes, point: pt, value: b });
        }
        finish(Some(bc.clone()), &evals, what)?;
    }

    // 2. Range recomposition.
    let what = "range recomposition";
    let mut r2s = Vec::with_capacity(set.ranges.len());
    for r in &set.ranges {
        r2s.push(t.challenge_scalars(labels::RELATIONS_POINT, vars(r.value)?));
    }
    if p.recomposition.pre.len() != set.ranges.len() {
        return Err(VerifyError::Shape(what));
    }
    t.append_scalars(labels::RELATIONS_PRE, &p.recomposition.pre);
    let mut sc = Vec::with_capacity(set.ranges.len());
    for (i, (r, r2)) in set.ranges.iter().zip(&r2s).enumerate() {
        let v = get(&p.recomposition.pre, i, what)?;
        claims.push(Claim { tensor: r.value, point: r2.clone(), value: v });
        sc.push((v + r.offset_fr(), plane_vars(r.bits)));
    }
    let bc = run_phase(t, what, &sc, 2, &p.recomposition, (set.ranges.len(), set.ranges.len()))?;
    if let Some(bc) = bc {
        let mut evals = Vec::with_capacity(sc.len());
        for (i, (r, r2)) in set.ranges.iter().zip(&r2s).enumerate() {
            let pt = point_of(&bc, i)?;
            let b = get(&p.recomposition.post, i, what)?;
            evals.push(weights_mle(r.bits, &pt) * b);
            claims.push(Claim { tensor: r.planes, point: r2.iter().chain(&pt).copied().collect(), value: b });
        }
        finish(Some(bc), &evals, what)?;
    }

    // 3. Rescaled matmuls.
    let what = "matmul";
    let mut rs = Vec::with_capacity(set.matmuls.len());
    for m in &set.matmuls {
        rs.push(t.challenge_scalars(labels::RELATIONS_POINT, m.shape.c_vars() + m.tau));
    }
    let n_pre: usize = set.matmuls.iter().map(|m| 2 + m.bias.is_some() as usize).sum();
    if p.matmul.pre.len() != n_pre {
        return Err(VerifyError::Shape(what));
    }
    t.append_scalars(labels::RELATIONS_PRE, &p.matmul.pre);
    let mut pre = p.matmul.pre.iter().copied();
    let mut sc = Vec::with_capacity(set.matmuls.len());
    for (m, r) in set.matmuls.iter().zip(&rs) {
        let (cq, rem) = (pre.next().ok_or(VerifyError::Shape(what))?, pre.next().ok_or(VerifyError::Shape(what))?);
        claims.push(Claim { tensor: m.cq, point: r.clone(), value: cq });
        claims.push(Claim { tensor: m.rem, point: r.clone(), value: rem });
        let bias = match m.bias {
            Some(b) => {
                let v = pre.next().ok_or(VerifyError::Shape(what))?;
                let bp = m.bias_point(r).ok_or(VerifyError::Params("matmul point"))?;
                claims.push(Claim { tensor: b, point: bp, value: v });
                Some(v)
            }
            None => None,
        };
        let c = m.product_claim(cq, rem, bias).ok_or(VerifyError::Params("rescaling parameters"))?;
        sc.push((c, m.shape.lj + m.tau));
    }
    let bc = run_phase(t, what, &sc, 3, &p.matmul, (n_pre, 2 * set.matmuls.len()))?;
    if let Some(bc) = bc {
        let mut evals = Vec::with_capacity(sc.len());
        for (i, (m, r)) in set.matmuls.iter().zip(&rs).enumerate() {
            let rho = point_of(&bc, i)?;
            let (xv, yv) = (get(&p.matmul.post, 2 * i, what)?, get(&p.matmul.post, 2 * i + 1, what)?);
            let (_, _, rt) = m.split_r(r).ok_or(VerifyError::Params("matmul point"))?;
            let rho_t = rho.get(m.shape.lj..).ok_or(VerifyError::Params("matmul point"))?;
            evals.push(eq(rt, rho_t)? * xv * yv);
            let (xp, yp) = m.operand_points(r, &rho).ok_or(VerifyError::Params("matmul point"))?;
            claims.push(Claim { tensor: m.x, point: xp, value: xv });
            claims.push(Claim { tensor: m.y, point: yp, value: yv });
        }
        finish(Some(bc), &evals, what)?;
    }

    // 4. Masks.
    let what = "mask";
    let mut rrs = Vec::with_capacity(set.masks.len());
    for m in &set.masks {
        rrs.push(t.challenge_scalars(labels::RELATIONS_POINT, vars(m.cq)?));
    }
    if p.mask.pre.len() != set.masks.len() {
        return Err(VerifyError::Shape(what));
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
    let what = "linear relation";
    let n_terms: usize = set.linears.iter().map(|l| l.terms.len()).sum();
    if p.linear.len() != n_terms {
        return Err(VerifyError::Shape(what));
    }
    let mut points = Vec::with_capacity(set.linears.len());
    for l in &set.linears {
        let first = l.terms.first().ok_or(VerifyError::Params(what))?;
        points.push(t.challenge_scalars(labels::RELATIONS_POINT, vars(first.0)?));
    }
    t.append_scalars(labels::RELATIONS_PRE, &p.linear);
    let mut vals = p.linear.iter().copied();
    for (l, r) in set.linears.iter().zip(&points) {
        let mut sum = Fr::from(0u64);
        for (tensor, coeff) in &l.terms {
            let v = vals.next().ok_or(VerifyError::Shape(what))?;
            sum += zkdl_core::field::fr_from_i64(*coeff) * v;
            claims.push(Claim { tensor: *tensor, point: r.clone(), value: v });
        }
        if sum != Fr::from(0u64) {
            return Err(VerifyError::FinalClaim { what });
        }
    }

    // 6. Zero padding.
    let what = "zero padding";
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

    // 7. Claim reduction and openings.
    verify_claims(gens, t, set, comms, &claims, p)
}

fn verify_claims(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    set: &RelationSet,
    comms: &[&HyraxCommitment],
    claims: &[Claim],
    p: &RelationProof,
) -> Result<(), VerifyError> {
    let what = "claim reduction";
    let tensors: Vec<usize> = claims.iter().map(|c| c.tensor).collect();
    let claimed = claims_by_tensor(&tensors, set.tensors.len());
    t.append_u64(labels::RELATIONS_ALPHA, claims.len() as u64);
    let alpha = t.challenge_scalars(labels::RELATIONS_ALPHA, claims.len());
    let mut sc = Vec::with_capacity(claimed.len());
    for (tensor, ks) in &claimed {
        let mut sum = Fr::from(0u64);
        for &k in ks {
            sum += get(&alpha, k, what)? * claims.get(k).ok_or(VerifyError::Shape(what))?.value;
        }
        sc.push((sum, set.vars(*tensor).map_err(VerifyError::Params)?));
    }
    let red = &p.openings.reduction;
    let bc = run_phase(t, what, &sc, 2, red, (0, claimed.len()))?;
    let Some(bc) = bc else {
        return if p.openings.openings.is_empty() { Ok(()) } else { Err(VerifyError::Shape(what)) };
    };
    let mut evals = Vec::with_capacity(claimed.len());
    let mut points = Vec::with_capacity(claimed.len());
    for (i, (_, ks)) in claimed.iter().enumerate() {
        let rho = point_of(&bc, i)?;
        let mut e = Fr::from(0u64);
        for &k in ks {
            let c = claims.get(k).ok_or(VerifyError::Shape(what))?;
            e += get(&alpha, k, what)? * eq(&c.point, &rho)?;
        }
        evals.push(e * get(&red.post, i, what)?);
        points.push(rho);
    }
    finish(Some(bc), &evals, what)?;
    let groups = opening_groups(set, &claimed);
    if groups.len() != p.openings.openings.len() {
        return Err(VerifyError::Shape("number of openings"));
    }
    let mut checks = Vec::with_capacity(groups.len());
    for ((decl, members), opening) in groups.iter().zip(&p.openings.openings) {
        let beta = if members.len() == 1 {
            vec![Fr::from(1u64)]
        } else {
            t.challenge_scalars(labels::RELATIONS_BETA, members.len())
        };
        let mut parts = Vec::with_capacity(members.len());
        let mut value = Fr::from(0u64);
        for (&pos, b) in members.iter().zip(&beta) {
            let (tensor, _) = claimed.get(pos).ok_or(VerifyError::Shape(what))?;
            parts.push((*comms.get(*tensor).ok_or(VerifyError::Shape(what))?, *b));
            value += *b * get(&red.post, pos, what)?;
        }
        let first = members.first().ok_or(VerifyError::Shape(what))?;
        let point = points.get(*first).ok_or(VerifyError::Shape(what))?;
        let comm = pcs::CommitmentRef::Combination(&parts);
        let check = pcs::verify_terms(gens, decl.vars, decl.col_vars, comm, point, value, opening, t)
            .map_err(|source| VerifyError::Opening { what: "combined opening", source })?;
        checks.push(check);
    }
    // All openings' final equations at once, weighted by challenges drawn after them.
    let gamma = t.challenge_scalars(labels::RELATIONS_BETA, checks.len());
    pcs::MsmCheck::check_all(&checks, &gamma)
        .map_err(|source| VerifyError::Opening { what: "combined opening", source })
}
