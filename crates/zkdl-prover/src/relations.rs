//! Prover of the aggregated relation system (`zkdl_circuit::relations`): the same
//! phases as `zkdl_verifier::relations`, in the same transcript order.

use ark_ff::{Field, One, Zero};
use ark_std::rand::{CryptoRng, RngCore};
use rayon::prelude::*;
use thiserror::Error;
use zkdl_circuit::gadgets::padding_indicator;
use zkdl_circuit::relations::{
    absorb_relations, claims_by_point, claims_by_tensor, opening_groups, OpeningProof, RelationProof, RelationSet,
};
use zkdl_core::field::{fr_from_i64, Fr, LazySum};
use zkdl_core::mle::{combine_i64, eq_table, inner_product_i64, DenseMle};
use zkdl_core::msm::CpuMsm;
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators, Table};
use zkdl_core::sumcheck::{self, ProductSum, SumcheckInstance};
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

/// Commit to a tensor of `set` (its declared split); 0/1 tables take the bit path.
pub fn commit_tensor(
    gens: &HyraxGenerators,
    set: &RelationSet,
    i: usize,
    table: &[i64],
) -> Result<HyraxCommitment, ProveError> {
    let d = set.tensors.get(i).ok_or(ProveError::Params("tensor index"))?;
    if table.par_iter().all(|&b| b == 0 || b == 1) {
        let bits: Vec<bool> = table.par_iter().map(|&b| b == 1).collect();
        Ok(pcs::commit_split(gens, d.vars, d.col_vars, Table::Bits(&bits), None, &CpuMsm)?)
    } else {
        Ok(pcs::commit_split(gens, d.vars, d.col_vars, Table::Small(table), None, &CpuMsm)?)
    }
}

fn frs(v: &[i64]) -> Vec<Fr> {
    v.par_iter().map(|&x| fr_from_i64(x)).collect()
}

fn mle(v: Vec<Fr>) -> Result<DenseMle, ProveError> {
    DenseMle::new(v).map_err(|_| ProveError::Params("table size"))
}

/// A committed table's MLE at `point` (small integers against the eq table).
fn eval(table: &[i64], point: &[Fr]) -> Fr {
    inner_product_i64(table, &eq_table(point))
}

/// Runs one phase's batched sumcheck (nothing when `insts` is empty); returns the
/// sumcheck proof and each instance's point.
fn run_phase(
    t: &mut Transcript,
    insts: &mut [ProductSum],
    claims: &[Fr],
) -> Result<(zkdl_core::sumcheck::SumcheckProof, Vec<Vec<Fr>>), ProveError> {
    if insts.is_empty() {
        return Ok((Default::default(), Vec::new()));
    }
    let mut refs: Vec<&mut dyn SumcheckInstance> = insts.iter_mut().map(|i| i as &mut dyn SumcheckInstance).collect();
    let (proof, point) = sumcheck::prove_batched(&mut refs, claims, t)?;
    let points = insts.iter().map(|i| point[point.len() - i.num_vars()..].to_vec()).collect();
    Ok((proof, points))
}

fn final_eval(inst: &ProductSum, k: usize) -> Fr {
    inst.final_evals().get(k).copied().unwrap_or_else(Fr::zero)
}

struct Claims(Vec<(usize, Vec<Fr>, Fr)>);

impl Claims {
    fn push(&mut self, tensor: usize, point: Vec<Fr>, value: Fr) {
        self.0.push((tensor, point, value));
    }
}

/// Prove every relation of `set` over `tables` (one per declared tensor, committed in
/// `comms`). The transcript must hold what the verifier's holds at this point.
pub fn prove_relations<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    set: &RelationSet,
    tables: &[&[i64]],
    comms: &[&HyraxCommitment],
    rng: &mut R,
    phases: &mut crate::Phases<'_>,
) -> Result<RelationProof, ProveError> {
    set.validate().map_err(ProveError::Params)?;
    if tables.len() != set.tensors.len() || comms.len() != set.tensors.len() {
        return Err(ProveError::Params("one table and commitment per tensor"));
    }
    for (tab, d) in tables.iter().zip(&set.tensors) {
        if tab.len() != 1usize << d.vars {
            return Err(ProveError::Params("table length does not match its declaration"));
        }
    }
    absorb_relations(t, set, comms);
    let mut claims = Claims(Vec::new());
    let mut proof = RelationProof::default();

    // 1. Booleanity.
    phases.start("booleanity");
    let mut insts = Vec::with_capacity(set.bools.len());
    for b in &set.bools {
        let rho = t.challenge_scalars(labels::RELATIONS_POINT, set.tensors[b.tensor].vars);
        let terms = vec![(Fr::one(), vec![0, 0]), (-Fr::one(), vec![0])];
        insts.push(ProductSum::new(vec![mle(frs(tables[b.tensor]))?], terms)?.with_eq(&rho)?);
    }
    let zeros = vec![Fr::zero(); insts.len()];
    let (sc, points) = run_phase(t, &mut insts, &zeros)?;
    proof.booleanity.sumcheck = sc;
    for ((b, inst), pt) in set.bools.iter().zip(&insts).zip(points) {
        let v = final_eval(inst, 0);
        proof.booleanity.post.push(v);
        claims.push(b.tensor, pt, v);
    }
    if !set.bools.is_empty() {
        t.append_scalars(labels::RELATIONS_POST, &proof.booleanity.post);
    }

    // 2. LogUp lookups.
    proof.logup = prove_logup(t, set, tables, &mut claims, phases)?;

    // 3. Rescaled matmuls.
    phases.start("matmul");
    let mut rs = Vec::with_capacity(set.matmuls.len());
    for m in &set.matmuls {
        rs.push(t.challenge_scalars(labels::RELATIONS_POINT, m.shape.c_vars() + m.tau));
    }
    let mut insts = Vec::with_capacity(set.matmuls.len());
    let mut sums = Vec::with_capacity(set.matmuls.len());
    for (m, r) in set.matmuls.iter().zip(&rs) {
        let e = eq_table(r);
        let (cq, rem) = (inner_product_i64(tables[m.cq], &e), inner_product_i64(tables[m.rem], &e));
        proof.matmul.pre.extend([cq, rem]);
        claims.push(m.cq, r.clone(), cq);
        claims.push(m.rem, r.clone(), rem);
        let bias = match m.bias {
            Some(b) => {
                let bp = m.bias_point(r).ok_or(ProveError::Params("matmul point"))?;
                let v = eval(tables[b], &bp);
                proof.matmul.pre.push(v);
                claims.push(b, bp, v);
                Some(v)
            }
            None => None,
        };
        sums.push(m.product_claim(cq, rem, bias).ok_or(ProveError::Params("rescaling parameters"))?);
        let (rk, ri, rt) = m.split_r(r).ok_or(ProveError::Params("matmul point"))?;
        let s = m.shape;
        let (ni, nj, nk) = (1usize << s.li, 1usize << s.lj, 1usize << s.lk);
        let (e_i, e_k, e_t) = (eq_table(ri), eq_table(rk), eq_table(rt));
        let (x, y) = (&tables[m.x], &tables[m.y]);
        let (xs, ys) = (ni * nj, nj * nk);
        let fx: Vec<Fr> = (0..nj << m.tau)
            .into_par_iter()
            .map(|tj| {
                let (ti, j) = (tj / nj, tj % nj);
                let base = &x[ti * xs..(ti + 1) * xs];
                let mut acc = LazySum::default();
                (0..ni).for_each(|i| acc.add(&e_i[i], base[s.x_index(i, j)]));
                acc.finish()
            })
            .collect();
        let fy: Vec<Fr> = (0..nj << m.tau)
            .into_par_iter()
            .map(|tj| {
                let (ti, j) = (tj / nj, tj % nj);
                let base = &y[ti * ys..(ti + 1) * ys];
                let mut acc = LazySum::default();
                (0..nk).for_each(|k| acc.add(&e_k[k], base[s.y_index(j, k)]));
                acc.finish()
            })
            .collect();
        let et: Vec<Fr> = (0..nj << m.tau).map(|tj| e_t[tj / nj]).collect();
        insts.push(ProductSum::new(vec![mle(fx)?, mle(fy)?, mle(et)?], vec![(Fr::one(), vec![0, 1, 2])])?);
    }
    t.append_scalars(labels::RELATIONS_PRE, &proof.matmul.pre);
    let (sc, points) = run_phase(t, &mut insts, &sums)?;
    proof.matmul.sumcheck = sc;
    for (((m, r), inst), rho) in set.matmuls.iter().zip(&rs).zip(&insts).zip(points) {
        let (xv, yv) = (final_eval(inst, 0), final_eval(inst, 1));
        proof.matmul.post.extend([xv, yv]);
        let (xp, yp) = m.operand_points(r, &rho).ok_or(ProveError::Params("matmul point"))?;
        claims.push(m.x, xp, xv);
        claims.push(m.y, yp, yv);
    }
    if !set.matmuls.is_empty() {
        t.append_scalars(labels::RELATIONS_POST, &proof.matmul.post);
    }

    // 4. Masks.
    phases.start("mask");
    let mut rrs = Vec::with_capacity(set.masks.len());
    for m in &set.masks {
        rrs.push(t.challenge_scalars(labels::RELATIONS_POINT, set.tensors[m.cq].vars));
    }
    let mut insts = Vec::with_capacity(set.masks.len());
    for (m, rr) in set.masks.iter().zip(&rrs) {
        let out = eval(tables[m.out], rr);
        proof.mask.pre.push(out);
        claims.push(m.out, rr.clone(), out);
        let len = 1usize << rr.len();
        let p0 = m.plane as usize * len;
        let sign = frs(tables[m.planes].get(p0..p0 + len).ok_or(ProveError::Params("mask plane"))?);
        let terms = vec![(Fr::one(), vec![0, 1])];
        insts.push(ProductSum::new(vec![mle(sign)?, mle(frs(tables[m.cq]))?], terms)?.with_eq(rr)?);
    }
    t.append_scalars(labels::RELATIONS_PRE, &proof.mask.pre);
    let sums = proof.mask.pre.clone();
    let (sc, points) = run_phase(t, &mut insts, &sums)?;
    proof.mask.sumcheck = sc;
    for ((m, inst), r4) in set.masks.iter().zip(&insts).zip(points) {
        let (s, c) = (final_eval(inst, 0), final_eval(inst, 1));
        proof.mask.post.extend([s, c]);
        let pv = set.tensors[m.planes].vars - r4.len();
        claims.push(m.planes, m.sign_point(&r4, pv), s);
        claims.push(m.cq, r4, c);
    }
    if !set.masks.is_empty() {
        t.append_scalars(labels::RELATIONS_POST, &proof.mask.post);
    }

    // 5. Linear relations.
    phases.start("linear");
    let mut points = Vec::with_capacity(set.linears.len());
    for l in &set.linears {
        let n = l.terms.first().map_or(0, |(i, _)| set.tensors[*i].vars);
        points.push(t.challenge_scalars(labels::RELATIONS_POINT, n));
    }
    for (l, r) in set.linears.iter().zip(&points) {
        // the terms share the point: one eq table
        let e = eq_table(r);
        for (i, _) in &l.terms {
            let v = inner_product_i64(tables[*i], &e);
            proof.linear.push(v);
            claims.push(*i, r.clone(), v);
        }
    }
    t.append_scalars(labels::RELATIONS_PRE, &proof.linear);

    // 6. Zero padding.
    phases.start("padding");
    let mut insts = Vec::with_capacity(set.paddings.len());
    for p in &set.paddings {
        let n = set.tensors[p.tensor].vars;
        let rho = t.challenge_scalars(labels::RELATIONS_POINT, n);
        let local = padding_indicator(p.rows, p.cols, p.row_vars, p.col_vars);
        let ind: Vec<Fr> = local.iter().copied().cycle().take(1usize << n).collect();
        let terms = vec![(Fr::one(), vec![0, 1])];
        insts.push(ProductSum::new(vec![mle(ind)?, mle(frs(tables[p.tensor]))?], terms)?.with_eq(&rho)?);
    }
    let zeros = vec![Fr::zero(); insts.len()];
    let (sc, points) = run_phase(t, &mut insts, &zeros)?;
    proof.padding.sumcheck = sc;
    for ((p, inst), r) in set.paddings.iter().zip(&insts).zip(points) {
        let v = final_eval(inst, 1);
        proof.padding.post.push(v);
        claims.push(p.tensor, r, v);
    }
    if !set.paddings.is_empty() {
        t.append_scalars(labels::RELATIONS_POST, &proof.padding.post);
    }

    // 6b. Claims on virtual tensors become claims on their terms.
    phases.start("virtual claims");
    let mut expanded = Claims(Vec::with_capacity(claims.0.len()));
    for (tensor, point, value) in claims.0 {
        match set.virtuals.iter().find(|v| v.tensor == tensor) {
            Some(v) => {
                // the terms share the point: one eq table
                let e = eq_table(&point);
                for (term, _) in &v.terms {
                    let x = inner_product_i64(tables[*term], &e);
                    proof.virtuals.push(x);
                    expanded.push(*term, point.clone(), x);
                }
            }
            None => expanded.push(tensor, point, value),
        }
    }
    let claims = expanded;
    t.append_scalars(labels::RELATIONS_PRE, &proof.virtuals);

    // 7. Claim reduction and openings.
    phases.start("claim reduction");
    proof.openings = prove_claims(gens, t, set, tables, comms, &claims.0, rng, phases)?;
    phases.finish();
    Ok(proof)
}

/// One fraction-sum tree: its layers from the root (layer 0, one entry) to the leaves,
/// each as `(p, q)`. A lookup tree's leaf numerators are all 1 and not stored (its leaf
/// layer's `p` is empty).
struct Tree {
    layers: Vec<(Vec<Fr>, Vec<Fr>)>,
    leaf: usize,
    is_lookup: bool,
}

impl Tree {
    /// `leaf_p = None`: unit numerators (a lookup).
    fn new(leaf_p: Option<Vec<Fr>>, leaf_q: Vec<Fr>, leaf: usize) -> Tree {
        let is_lookup = leaf_p.is_none();
        let mut layers = vec![(leaf_p.unwrap_or_default(), leaf_q)];
        while layers.last().is_some_and(|(_, q)| q.len() > 1) {
            let Some((p, q)) = layers.last() else { break };
            let half = q.len() / 2;
            let (np, nq): (Vec<Fr>, Vec<Fr>) = if p.is_empty() {
                (0..half).into_par_iter().map(|i| (q[i + half] + q[i], q[i] * q[i + half])).unzip()
            } else {
                (0..half).into_par_iter().map(|i| (p[i] * q[i + half] + p[i + half] * q[i], q[i] * q[i + half])).unzip()
            };
            layers.push((np, nq));
        }
        layers.reverse();
        Tree { layers, leaf, is_lookup }
    }

    /// `(p, q)` at the root (a single unit-numerator leaf has `p = 1`).
    fn root(&self) -> (Fr, Fr) {
        let (p, q) = &self.layers[0];
        (p.first().copied().unwrap_or_else(Fr::one), q.first().copied().unwrap_or_else(Fr::zero))
    }

    fn depth(&self) -> usize {
        self.layers.len() - 1
    }
}

fn prove_logup(
    t: &mut Transcript,
    set: &RelationSet,
    tables: &[&[i64]],
    claims: &mut Claims,
    phases: &mut crate::Phases<'_>,
) -> Result<zkdl_circuit::relations::LogupProof, ProveError> {
    let mut proof = zkdl_circuit::relations::LogupProof::default();
    if set.lookups.is_empty() && set.tables.is_empty() {
        return Ok(proof);
    }
    let alpha = t.challenge_scalar(labels::RELATIONS_ALPHA);
    phases.start("lookup trees");
    // Trees in parallel (and each tree's layers in parallel inside).
    let mut trees: Vec<Tree> = set
        .lookups
        .par_iter()
        .map(|l| {
            let q: Vec<Fr> = tables[l.tensor].par_iter().map(|&v| alpha - fr_from_i64(v)).collect();
            Tree::new(None, q, l.tensor)
        })
        .collect();
    for tb in &set.tables {
        let m = tables[tb.multiplicities];
        let q: Vec<Fr> = (0..m.len() as u64).map(|v| alpha - Fr::from(v)).collect();
        trees.push(Tree::new(Some(frs(m)), q, tb.multiplicities));
    }
    phases.start("lookup sumchecks");
    for tr in &trees {
        proof.roots.extend([tr.root().0, tr.root().1]);
    }
    t.append_scalars(labels::RELATIONS_PRE, &proof.roots);
    let leaf_claim = |tr: &Tree, r: &[Fr], (p, q): (Fr, Fr), claims: &mut Claims| {
        if tr.is_lookup {
            claims.push(tr.leaf, r.to_vec(), alpha - q);
        } else {
            claims.push(tr.leaf, r.to_vec(), p);
        }
    };
    let mut cur: Vec<(Fr, Fr)> = trees.iter().map(Tree::root).collect();
    for (tr, c) in trees.iter().zip(&cur) {
        if tr.depth() == 0 {
            leaf_claim(tr, &[], *c, claims);
        }
    }
    let max_depth = trees.iter().map(|tr| tr.depth()).max().unwrap_or(0);
    if max_depth == 0 {
        return Ok(proof);
    }
    let one = Fr::one();
    for tr in trees.iter().filter(|tr| tr.depth() >= 1) {
        let (p, q) = &tr.layers[1];
        let (p0, p1) = (p.first().copied().unwrap_or(one), p.get(1).copied().unwrap_or(one));
        proof.layer1.extend([p0, p1, q[0], q[1]]);
    }
    t.append_scalars(labels::RELATIONS_POST, &proof.layer1);
    let tau = t.challenge_scalar(labels::RELATIONS_POINT);
    let mut r = vec![tau];
    for (tr, c) in trees.iter().zip(cur.iter_mut()) {
        if tr.depth() >= 1 {
            let (p, q) = &tr.layers[1];
            let (p0, p1) = (p.first().copied().unwrap_or(one), p.get(1).copied().unwrap_or(one));
            *c = (p0 + tau * (p1 - p0), q[0] + tau * (q[1] - q[0]));
            if tr.depth() == 1 {
                leaf_claim(tr, &r, *c, claims);
            }
        }
    }
    for k in 1..max_depth {
        let active: Vec<usize> = (0..trees.len()).filter(|&i| trees[i].depth() > k).collect();
        let lambda = t.challenge_scalar(labels::RELATIONS_ALPHA);
        let mu = lambda.inverse().ok_or(ProveError::Params("lookup batching challenge is zero"))?;
        let mut insts = Vec::with_capacity(active.len());
        let mut sums = Vec::with_capacity(active.len());
        for &i in &active {
            let (p, q) = &trees[i].layers[k + 1];
            let half = q.len() / 2;
            let inst = if p.is_empty() {
                // unit numerators: q_hi + q_lo + lambda q_lo q_hi = lambda (q_lo + mu)(q_hi + mu) - mu
                // with mu = 1 / lambda, so the instance is the single product
                // (q_lo + mu)(q_hi + mu) with the claim (p + lambda q + mu) mu.
                let shift = |v: &[Fr]| mle(v.par_iter().map(|x| *x + mu).collect());
                ProductSum::new(vec![shift(&q[..half])?, shift(&q[half..])?], vec![(Fr::one(), vec![0, 1])])?
            } else {
                // p_lo q_hi + p_hi q_lo + lambda q_lo q_hi = p_lo q_hi + q_lo (p_hi + lambda q_hi):
                // with r_hi = p_hi + lambda q_hi formed once, two products per point
                // instead of three plus the lambda multiplication.
                let r_hi: Vec<Fr> = p[half..].par_iter().zip(&q[half..]).map(|(ph, qh)| *ph + lambda * qh).collect();
                let (q_lo, q_hi) = (mle(q[..half].to_vec())?, mle(q[half..].to_vec())?);
                let mles = vec![mle(p[..half].to_vec())?, q_lo, q_hi, mle(r_hi)?];
                let terms = vec![(Fr::one(), vec![0, 2]), (Fr::one(), vec![1, 3])];
                ProductSum::new(mles, terms)?
            };
            insts.push(inst.with_eq(&r)?);
            sums.push(match p.is_empty() {
                true => (cur[i].0 + lambda * cur[i].1 + mu) * mu,
                false => cur[i].0 + lambda * cur[i].1,
            });
        }
        let (sc, points) = run_phase(t, &mut insts, &sums)?;
        let mut round = zkdl_circuit::relations::PhaseProof { sumcheck: sc, ..Default::default() };
        // per tree (p_lo, p_hi, q_lo, q_hi); a lookup's leaf layer sends only q_lo, q_hi
        let mut vals = Vec::with_capacity(active.len());
        for (inst, &i) in insts.iter().zip(&active) {
            let v = if trees[i].layers[k + 1].0.is_empty() {
                let (q_lo, q_hi) = (final_eval(inst, 0) - mu, final_eval(inst, 1) - mu);
                round.post.extend([q_lo, q_hi]);
                [one, one, q_lo, q_hi]
            } else {
                // (p_lo, p_hi, q_lo, q_hi), p_hi recovered from r_hi = p_hi + lambda q_hi
                let (p_lo, q_lo, q_hi, r_hi) =
                    (final_eval(inst, 0), final_eval(inst, 1), final_eval(inst, 2), final_eval(inst, 3));
                let v = [p_lo, r_hi - lambda * q_hi, q_lo, q_hi];
                round.post.extend(v);
                v
            };
            vals.push(v);
        }
        t.append_scalars(labels::RELATIONS_POST, &round.post);
        let tau = t.challenge_scalar(labels::RELATIONS_POINT);
        r = points.into_iter().next().unwrap_or_default();
        r.push(tau);
        for (v, &i) in vals.iter().zip(&active) {
            cur[i] = (v[0] + tau * (v[1] - v[0]), v[2] + tau * (v[3] - v[2]));
            if trees[i].depth() == k + 1 {
                leaf_claim(&trees[i], &r, cur[i], claims);
            }
        }
        proof.rounds.push(round);
    }
    Ok(proof)
}

/// The tables of derived tensors (digits, sign bits, multiplicities), in order:
/// `derived` lists `(tensor, derivation)`; values of earlier tensors are read from
/// `tables` (which must hold every non-derived tensor already).
pub fn derive_tables(
    set: &RelationSet,
    tables: &mut [Vec<i64>],
    derived: &[(usize, zkdl_circuit::relations::Derivation)],
) -> Result<(), ProveError> {
    use zkdl_circuit::relations::Derivation;
    for &(i, d) in derived {
        let v = match d {
            Derivation::Digit { value, offset, shift, width } => {
                let src = tables.get(value).ok_or(ProveError::Params("derived tensor index"))?;
                let mask = (1i128 << width) - 1;
                src.par_iter().map(|&x| (((x as i128 + offset as i128) >> shift) & mask) as i64).collect()
            }
            Derivation::Multiplicities { width } => {
                let mut m = vec![0i64; 1usize << width];
                for l in set.lookups.iter().filter(|l| l.width == width) {
                    let src = tables.get(l.tensor).ok_or(ProveError::Params("lookup tensor index"))?;
                    for &x in src.iter() {
                        // out-of-range values have no slot: the proof will fail
                        if let Some(slot) = usize::try_from(x).ok().and_then(|u| m.get_mut(u)) {
                            *slot += 1;
                        }
                    }
                }
                m
            }
        };
        *tables.get_mut(i).ok_or(ProveError::Params("derived tensor index"))? = v;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn prove_claims<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    set: &RelationSet,
    tables: &[&[i64]],
    comms: &[&HyraxCommitment],
    claims: &[(usize, Vec<Fr>, Fr)],
    rng: &mut R,
    phases: &mut crate::Phases<'_>,
) -> Result<OpeningProof, ProveError> {
    let tensors: Vec<usize> = claims.iter().map(|c| c.0).collect();
    let claimed = claims_by_tensor(&tensors, set.tensors.len());
    t.append_u64(labels::RELATIONS_ALPHA, claims.len() as u64);
    let alpha = t.challenge_scalars(labels::RELATIONS_ALPHA, claims.len());
    // One instance per distinct point: sum_x eq(point, x) sum_k alpha_k T_k(x), the
    // tensors combined first (one pass each), the eq weight never materialised.
    let by_point = claims_by_point(&claims.iter().map(|c| c.1.as_slice()).collect::<Vec<_>>());
    let mut insts = Vec::with_capacity(by_point.len());
    let mut sums = Vec::with_capacity(by_point.len());
    for ks in &by_point {
        let point = ks.first().map(|&k| claims[k].1.as_slice()).unwrap_or(&[]);
        let mut sum = Fr::zero();
        let mut tabs = Vec::with_capacity(ks.len());
        let mut coeffs = Vec::with_capacity(ks.len());
        for &k in ks {
            let (tensor, _, value) = &claims[k];
            sum += alpha[k] * value;
            let tab = *tables.get(*tensor).ok_or(ProveError::Params("claim tensor"))?;
            if tab.len() != 1usize << point.len() {
                return Err(ProveError::Params("claim point length"));
            }
            tabs.push(tab);
            coeffs.push(alpha[k]);
        }
        let c = combine_i64(&tabs, &coeffs);
        sums.push(sum);
        insts.push(ProductSum::new(vec![mle(c)?], vec![(Fr::one(), vec![0])])?.with_eq(point)?);
    }
    let mut proof = OpeningProof::default();
    let (sc, points) = run_phase(t, &mut insts, &sums)?;
    proof.reduction.sumcheck = sc;
    if claimed.is_empty() {
        return Ok(proof);
    }
    // Every claimed tensor at the batch point's suffix of its size (one eq table per size).
    let full = points.iter().max_by_key(|p| p.len()).cloned().unwrap_or_default();
    let rho = |vars: usize| full.get(full.len().saturating_sub(vars)..).unwrap_or(&[]);
    let mut eqs: std::collections::BTreeMap<usize, Vec<Fr>> = std::collections::BTreeMap::new();
    for (tensor, _) in &claimed {
        let vars = set.tensors[*tensor].vars;
        eqs.entry(vars).or_insert_with(|| eq_table(rho(vars)));
    }
    proof.reduction.post = claimed
        .par_iter()
        .map(|(tensor, _)| {
            let e = eqs.get(&set.tensors[*tensor].vars).map_or(&[][..], |v| v.as_slice());
            inner_product_i64(tables[*tensor], e)
        })
        .collect();
    t.append_scalars(labels::RELATIONS_POST, &proof.reduction.post);
    phases.start("openings");
    for (decl, members) in opening_groups(set, &claimed) {
        let beta = if members.len() == 1 {
            vec![Fr::one()]
        } else {
            t.challenge_scalars(labels::RELATIONS_BETA, members.len())
        };
        let ids: Vec<usize> = members.iter().map(|&pos| claimed[pos].0).collect();
        let point = rho(decl.vars);
        // a single table is converted, several combined from their integers
        let table: Vec<Fr> = match ids.as_slice() {
            [single] => frs(tables[*single]),
            _ => combine_i64(&ids.iter().map(|&i| tables[i]).collect::<Vec<_>>(), &beta),
        };
        let parts: Vec<(&HyraxCommitment, Fr)> = ids.iter().zip(&beta).map(|(&i, b)| (comms[i], *b)).collect();
        let comm = pcs::CommitmentRef::Combination(&parts);
        let (_, opening) = pcs::open_split(gens, decl.vars, decl.col_vars, &table, None, comm, point, t, rng)?;
        proof.openings.push(opening);
    }
    Ok(proof)
}
