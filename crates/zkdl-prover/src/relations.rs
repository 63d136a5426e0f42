//! Prover of the aggregated relation system (`zkdl_circuit::relations`): the same
//! phases as `zkdl_verifier::relations`, in the same transcript order.

use ark_ff::{AdditiveGroup, Field, One, Zero};
use ark_std::rand::{CryptoRng, RngCore};
use rayon::prelude::*;
use std::collections::BTreeMap;
use thiserror::Error;
use zkdl_circuit::gadgets::padding_indicator;
use zkdl_circuit::relations::{
    absorb_relations, claims_by_tensor, opening_groups, MatmulRel, OpeningProof, PhaseProof, ReductionLayout,
    RelationProof, RelationSet, TensorDecl,
};
use zkdl_core::field::{fr_from_i64, Fr, LazySum, LazySum128};
use zkdl_core::mle::{combine_cols_i64, combine_rows_i64, eq_table, evaluate_i64, inner_product, DenseMle, SplitEq};
use zkdl_core::msm::CpuMsm;
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators, Table};
use zkdl_core::sumcheck::{self, LazyMle, ProductSum, SumcheckInstance};
use zkdl_core::transcript::{labels, Transcript};

/// Errors of the prover.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ProveError {
    #[error("value {value} at index {index} plus offset is outside [0, 2^{bits})")]
    OutOfRange { index: usize, value: i64, bits: u32 },
    #[error("bad parameters: {0}")]
    Params(&'static str),
    #[error("training: {0}")]
    Train(#[from] crate::train::TrainError),
    #[error(
        "initial weight {index} of layer {layer} is {value}: a first proof needs 2^{shift} times a signed value of {bits} bits (train.init_bits; biases fixed.total_bits)"
    )]
    InitialWeight { layer: usize, index: usize, value: i64, bits: u32, shift: u32 },
    #[error("the circuit: {0}")]
    Circuit(#[from] zkdl_circuit::SpecError),
    #[error("assembling the commitments: {0}")]
    Assemble(#[from] zkdl_circuit::assemble::AssembleError),
    #[error("witness: {0}")]
    Witness(#[from] zkdl_circuit::witness::WitnessError),
    #[error("dataset: {0}")]
    Dataset(#[from] zkdl_circuit::dataset::DatasetError),
    #[error("commitment: {0}")]
    Pcs(#[from] zkdl_core::PcsError),
    #[error("sumcheck: {0}")]
    Sumcheck(#[from] zkdl_core::SumcheckError),
}

/// Commit to a tensor of `set` (its declared split).
pub fn commit_tensor(
    gens: &HyraxGenerators,
    set: &RelationSet,
    i: usize,
    table: &[i64],
) -> Result<HyraxCommitment, ProveError> {
    let d = set.tensors.get(i).ok_or(ProveError::Params("tensor index"))?;
    Ok(pcs::commit_split(gens, d.vars, d.col_vars, Table::Small(table), None, &CpuMsm)?)
}

/// Committed rows of one width from which on the generators' subset table is built
/// before committing (`HyraxGenerators::prepare_columns`): a block of 12 columns costs
/// 4096 additions and saves, on a row of dense 16-bit entries, about 8 (two digits
/// per entry against 16 planes per block) — about 500 rows to break even, fewer for
/// narrower entries (measured: docs/BENCHMARKS.md, the subset table's width experiment).
pub const SUBSET_TABLE_ROWS: usize = 512;

/// Builds the subset table up to the widest column split that at least
/// [`SUBSET_TABLE_ROWS`] rows of the committed tensors of `set` use.
pub fn prepare_subset_table(gens: &HyraxGenerators, set: &RelationSet) {
    let mut rows = std::collections::BTreeMap::<usize, usize>::new();
    for (i, d) in set.tensors.iter().enumerate() {
        if !set.is_virtual(i) {
            *rows.entry(d.col_vars).or_insert(0) += 1usize << d.vars.saturating_sub(d.col_vars);
        }
    }
    if let Some((&c, _)) = rows.iter().rev().find(|(_, &r)| r >= SUBSET_TABLE_ROWS) {
        gens.prepare_columns(c);
    }
}

fn frs(v: &[i64]) -> Vec<Fr> {
    v.par_iter().map(|&x| fr_from_i64(x)).collect()
}

fn mle(v: Vec<Fr>) -> Result<DenseMle, ProveError> {
    DenseMle::new(v).map_err(|_| ProveError::Params("table size"))
}

/// A committed table's MLE at `point` (small integers against a split eq table).
fn eval(table: &[i64], point: &[Fr]) -> Fr {
    evaluate_i64(table, point)
}

/// Runs one phase's batched sumcheck (nothing when `insts` is empty); returns the
/// sumcheck proof and each instance's point.
fn run_phase(
    t: &mut Transcript,
    insts: &mut [ProductSum<'_>],
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

fn final_eval(inst: &ProductSum<'_>, k: usize) -> Fr {
    inst.final_evals().get(k).copied().unwrap_or_else(Fr::zero)
}

struct Claims(Vec<(usize, Vec<Fr>, Fr)>);

impl Claims {
    fn push(&mut self, tensor: usize, point: Vec<Fr>, value: Fr) {
        self.0.push((tensor, point, value));
    }
}

/// A matmul operand (instances of `block` entries, `2^tau` of them) summed over its index
/// other than `j < nj` against that index's eq table `e`, per (instance, `j`): entry
/// `at(o, j)` of an instance is the one at other index `o`.
fn fold_operand(
    table: &[i64],
    (block, nj, tau): (usize, usize, usize),
    e: &[Fr],
    at: impl Fn(usize, usize) -> usize + Sync,
) -> Vec<Fr> {
    (0..nj << tau)
        .into_par_iter()
        .map(|tj| {
            let (ti, j) = (tj / nj, tj % nj);
            let base = &table[ti * block..(ti + 1) * block];
            let mut acc = LazySum::default();
            e.iter().enumerate().for_each(|(o, w)| acc.add(w, base[at(o, j)]));
            acc.finish()
        })
        .collect()
}

/// One batched sumcheck over the matmuls `which` of `set` at their points `rs`
/// (phase 3): returns the phase proof and each relation's `Y` claim point.
fn prove_matmuls(
    t: &mut Transcript,
    set: &RelationSet,
    tables: &[&[i64]],
    claims: &mut Claims,
    which: &[usize],
    rs: Vec<Vec<Fr>>,
) -> Result<(PhaseProof, Vec<Vec<Fr>>), ProveError> {
    let mut proof = PhaseProof::default();
    let mut insts = Vec::with_capacity(which.len());
    let mut sums = Vec::with_capacity(which.len());
    let rels: Vec<&MatmulRel> = which.iter().filter_map(|&i| set.matmuls.get(i)).collect();
    if rels.len() != which.len() || rs.len() != which.len() {
        return Err(ProveError::Params("matmul relations"));
    }
    for (m, r) in rels.iter().zip(&rs) {
        let e = SplitEq::new(r);
        let cq = e.eval_i64(tables[m.cq]);
        proof.pre.push(cq);
        claims.push(m.cq, r.clone(), cq);
        let rem = m.rem.map(|rt| {
            let v = e.eval_i64(tables[rt]);
            proof.pre.push(v);
            claims.push(rt, r.clone(), v);
            v
        });
        let bias = match m.bias {
            Some(b) => {
                let bp = m.bias_point(r).ok_or(ProveError::Params("matmul point"))?;
                let v = eval(tables[b], &bp);
                proof.pre.push(v);
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
        let fx = fold_operand(x, (ni * nj, nj, m.tau), &e_i, |i, j| s.x_index(i, j));
        let fy = fold_operand(y, (nj * nk, nj, m.tau), &e_k, |k, j| s.y_index(j, k));
        let et: Vec<Fr> = (0..nj << m.tau).map(|tj| e_t[tj / nj]).collect();
        insts.push(ProductSum::new(vec![mle(fx)?, mle(fy)?, mle(et)?], vec![(Fr::one(), vec![0, 1, 2])])?);
    }
    t.append_scalars(labels::RELATIONS_PRE, &proof.pre);
    let (sc, points) = run_phase(t, &mut insts, &sums)?;
    proof.sumcheck = sc;
    let mut y_points = Vec::with_capacity(rels.len());
    for (((m, r), inst), rho) in rels.iter().zip(&rs).zip(&insts).zip(points) {
        let (xv, yv) = (final_eval(inst, 0), final_eval(inst, 1));
        proof.post.extend([xv, yv]);
        let (xp, yp) = m.operand_points(r, &rho).ok_or(ProveError::Params("matmul point"))?;
        claims.push(m.x, xp, xv);
        claims.push(m.y, yp.clone(), yv);
        y_points.push(yp);
    }
    if !rels.is_empty() {
        t.append_scalars(labels::RELATIONS_POST, &proof.post);
    }
    Ok((proof, y_points))
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
        insts.push(ProductSum::with_lazy(vec![LazyMle::from_i64(tables[b.tensor])?], terms)?.with_eq(&rho)?);
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

    // 3. Rescaled matmuls: those with a drawn point, then those at another's Y point.
    phases.start("matmul");
    let (first, second) = set.matmul_rounds();
    let mut rs = Vec::with_capacity(first.len());
    for &i in &first {
        let m = &set.matmuls[i];
        rs.push(t.challenge_scalars(labels::RELATIONS_POINT, m.shape.c_vars() + m.tau));
    }
    let y_points;
    (proof.matmul, y_points) = prove_matmuls(t, set, tables, &mut claims, &first, rs)?;
    let mut rs = Vec::with_capacity(second.len());
    for &(_, src) in &second {
        rs.push(src.and_then(|k| y_points.get(k).cloned()).ok_or(ProveError::Params("matmul point source"))?);
    }
    let second: Vec<usize> = second.iter().map(|s| s.0).collect();
    (proof.matmul_at, _) = prove_matmuls(t, set, tables, &mut claims, &second, rs)?;

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
        let sign = LazyMle::from_i64(tables[m.planes].get(p0..p0 + len).ok_or(ProveError::Params("mask plane"))?)?;
        let terms = vec![(Fr::one(), vec![0, 1])];
        insts.push(ProductSum::with_lazy(vec![sign, LazyMle::from_i64(tables[m.cq])?], terms)?.with_eq(rr)?);
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
        let e = SplitEq::new(r);
        for (i, _) in &l.terms {
            let v = e.eval_i64(tables[*i]);
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
        if local.is_empty() {
            return Err(ProveError::Params("padding shape"));
        }
        let ind = LazyMle::new(n, move |x| local[x % local.len()]);
        let terms = vec![(Fr::one(), vec![0, 1])];
        insts.push(ProductSum::with_lazy(vec![ind, LazyMle::from_i64(tables[p.tensor])?], terms)?.with_eq(&rho)?);
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
                let e = SplitEq::new(&point);
                for (term, _) in &v.terms {
                    let x = e.eval_i64(tables[*term]);
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

/// Two field tables built side by side.
type Halves = (Vec<Fr>, Vec<Fr>);

/// One fraction-sum tree of the LogUp argument. Layer 0 is the root (one entry), layer
/// `depth` the leaves; node `y` of a layer of size `s` has the children `y` and `y + s`
/// in the layer below.
///
/// A table's tree (leaf numerators the multiplicities) stores every layer. A lookup's
/// tree (unit numerators, leaf denominators `alpha - v` of the looked-up values `v`)
/// stores only layers `0..=depth-2`: the two widest layers (three quarters of the
/// tree) are regenerated from the integer values when the GKR pass reaches them, and
/// every stored layer is released once its sumcheck instance is built.
struct Tree<'a> {
    /// Stored layers from the root, each as `(p, q)`.
    layers: Vec<(Vec<Fr>, Vec<Fr>)>,
    depth: usize,
    leaf: usize,
    /// A lookup's values (`None`: a table's tree).
    values: Option<&'a [i64]>,
    alpha: Fr,
}

/// `(p, q)` of node `y` of a lookup tree's layer of size `s` that lies `levels` above
/// the leaves, from its `2^levels` leaves `v[y + m s]`.
fn lookup_node(v: &[i64], alpha: Fr, s: usize, levels: usize, y: usize) -> (Fr, Fr) {
    match levels {
        0 => (Fr::one(), alpha - fr_from_i64(v[y])),
        1 => {
            let (a, b) = (alpha - fr_from_i64(v[y]), alpha - fr_from_i64(v[y + s]));
            (a + b, a * b)
        }
        _ => {
            let (p1, q1) = lookup_node(v, alpha, 2 * s, levels - 1, y);
            let (p2, q2) = lookup_node(v, alpha, 2 * s, levels - 1, y + s);
            (p1 * q2 + p2 * q1, q1 * q2)
        }
    }
}

/// The layer above `(p, q)` (empty `p`: unit numerators).
fn parent_layer(p: &[Fr], q: &[Fr]) -> (Vec<Fr>, Vec<Fr>) {
    let half = q.len() / 2;
    if p.is_empty() {
        (0..half).into_par_iter().map(|i| (q[i + half] + q[i], q[i] * q[i + half])).unzip()
    } else {
        (0..half).into_par_iter().map(|i| (p[i] * q[i + half] + p[i + half] * q[i], q[i] * q[i + half])).unzip()
    }
}

impl<'a> Tree<'a> {
    /// A table's tree: leaf numerators `leaf_p`, denominators `leaf_q`, all stored.
    fn table(leaf_p: Vec<Fr>, leaf_q: Vec<Fr>, leaf: usize) -> Tree<'a> {
        let mut layers = vec![(leaf_p, leaf_q)];
        while let Some((p, q)) = layers.last().filter(|(_, q)| q.len() > 1) {
            let up = parent_layer(p, q);
            layers.push(up);
        }
        layers.reverse();
        let depth = layers.len() - 1;
        Tree { layers, depth, leaf, values: None, alpha: Fr::zero() }
    }

    /// A lookup's tree over the values `v` (a power-of-two length).
    fn lookup(v: &'a [i64], alpha: Fr, leaf: usize) -> Tree<'a> {
        let depth = v.len().trailing_zeros() as usize;
        let top = depth.saturating_sub(2);
        let s = 1usize << top;
        let lowest: (Vec<Fr>, Vec<Fr>) =
            (0..s).into_par_iter().map(|y| lookup_node(v, alpha, s, depth - top, y)).unzip();
        let mut layers = vec![lowest];
        while let Some((p, q)) = layers.last().filter(|(_, q)| q.len() > 1) {
            let up = parent_layer(p, q);
            layers.push(up);
        }
        layers.reverse();
        Tree { layers, depth, leaf, values: Some(v), alpha }
    }

    fn is_lookup(&self) -> bool {
        self.values.is_some()
    }

    /// `(p, q)` at the root (a single unit-numerator leaf has `p = 1`).
    fn root(&self) -> (Fr, Fr) {
        self.pair_of_layer(0).map(|[p, _, q, _]| (p, q)).unwrap_or_else(|| (Fr::one(), Fr::zero()))
    }

    /// `[p_0, p_1, q_0, q_1]` of a layer with at most two entries (layers 0 and 1).
    fn pair_of_layer(&self, k: usize) -> Option<[Fr; 4]> {
        let one = Fr::one();
        if let Some((p, q)) = self.layers.get(k).filter(|(_, q)| !q.is_empty()) {
            let p0 = p.first().copied().unwrap_or(one);
            let q0 = *q.first()?;
            return Some([p0, p.get(1).copied().unwrap_or(p0), q0, q.get(1).copied().unwrap_or(q0)]);
        }
        let v = self.values?;
        let s = 1usize << k;
        let (p0, q0) = lookup_node(v, self.alpha, s, self.depth - k, 0);
        let (p1, q1) = if s > 1 { lookup_node(v, self.alpha, s, self.depth - k, 1) } else { (p0, q0) };
        Some([p0, p1, q0, q1])
    }

    /// The products `v[y] v[y + s]` of the leaf pairs under layer `k` when that layer is
    /// a lookup's layer above the leaves, regenerated, with leaves below `2^17` in
    /// magnitude (see [`above_leaves_instance`]); `None` otherwise.
    fn leaf_products(&self, k: usize) -> Option<Vec<i64>> {
        let v = self.values?;
        let s = 1usize << k;
        if k + 1 != self.depth || k < self.layers.len() || k < 2 || v.len() != 2 * s {
            return None;
        }
        if v.par_iter().any(|x| x.unsigned_abs() >= 1 << 17) {
            return None;
        }
        Some((0..s).into_par_iter().map(|y| v[y] * v[y + s]).collect())
    }

    /// The GKR instance of the layer whose children are layer `k` (`k >= 2`), and
    /// whether layer `k` is a lookup's leaf layer (unit numerators: the single product
    /// `(q_lo + mu)(q_hi + mu)`; see `prove_logup`). A stored layer is released. `pi`:
    /// [`Self::leaf_products`] of layer `k`.
    fn instance<'b>(
        &mut self,
        k: usize,
        lambda: Fr,
        mu: Fr,
        pi: Option<&'b [i64]>,
    ) -> Result<(ProductSum<'b>, bool), ProveError>
    where
        'a: 'b,
    {
        let one = Fr::one();
        let product = |a: usize, b: usize| (one, vec![a, b]);
        if let (Some(v), Some(pi)) = (self.values, pi) {
            return Ok((above_leaves_instance(v, pi, self.alpha, lambda)?, false));
        }
        match self.values {
            Some(v) if k == self.depth => {
                // read from the values: no field copy of the widest layer
                let (lo, hi) = v.split_at(v.len() / 2);
                // (its first round sums integer monomials: see `ProductSum`)
                let shifted = self.alpha + mu;
                let shift = |w: &'a [i64]| LazyMle::affine_i64(shifted, -one, w);
                Ok((ProductSum::with_lazy(vec![shift(lo)?, shift(hi)?], vec![product(0, 1)])?, true))
            }
            Some(v) if k >= self.layers.len() => {
                // regenerated from the leaves, straight into the instance's halves
                let s = 1usize << k;
                let half = s / 2;
                let levels = self.depth - k;
                let ((p_lo, q_lo), (q_hi, r_hi)): (Halves, Halves) = (0..half)
                    .into_par_iter()
                    .map(|y| {
                        let (pl, ql) = lookup_node(v, self.alpha, s, levels, y);
                        let (ph, qh) = lookup_node(v, self.alpha, s, levels, y + half);
                        ((pl, ql), (qh, ph + lambda * qh))
                    })
                    .unzip();
                let mles = vec![mle(p_lo)?, mle(q_lo)?, mle(q_hi)?, mle(r_hi)?];
                Ok((ProductSum::new(mles, vec![product(0, 2), product(1, 3)])?, false))
            }
            _ => {
                let (p, q) = self.layers.get_mut(k).map(std::mem::take).ok_or(ProveError::Params("tree layer"))?;
                let half = q.len() / 2;
                // p_lo q_hi + p_hi q_lo + lambda q_lo q_hi = p_lo q_hi + q_lo (p_hi + lambda q_hi):
                // with r_hi = p_hi + lambda q_hi formed once, two products per point
                // instead of three plus the lambda multiplication.
                let r_hi: Vec<Fr> = p[half..].par_iter().zip(&q[half..]).map(|(ph, qh)| *ph + lambda * qh).collect();
                let (q_lo, q_hi) = (mle(q[..half].to_vec())?, mle(q[half..].to_vec())?);
                let mles = vec![mle(p[..half].to_vec())?, q_lo, q_hi, mle(r_hi)?];
                Ok((ProductSum::new(mles, vec![product(0, 2), product(1, 3)])?, false))
            }
        }
    }
}

/// The GKR instance of a lookup tree's layer above the leaves (node `y` of `s`:
/// `p = 2 alpha - s_y`, `q = alpha^2 - alpha s_y + pi_y` with `s_y = v[y] + v[y + s]`,
/// `pi_y = v[y] v[y + s]`, given as `pi`), read from the integers: its MLEs are affine
/// combinations of `v`'s halves and `pi` (bound with one reduction per entry), and its
/// first round sums integer monomials of `(s, pi)` of the pairs' lower and upper nodes
/// against the eq weights (`|v| < 2^17`: every monomial fits 64 bits but `pi pi'`, which
/// is summed in 128). The terms are those of the stored layers' instances,
/// `p_lo q_hi + q_lo r_hi` with `r_hi = p_hi + lambda q_hi`.
fn above_leaves_instance<'b>(v: &'b [i64], pi: &'b [i64], alpha: Fr, lambda: Fr) -> Result<ProductSum<'b>, ProveError> {
    let s = pi.len();
    let half = s / 2;
    if v.len() != 2 * s || half == 0 {
        return Err(ProveError::Params("tree layer"));
    }
    let (va, vb) = v.split_at(s);
    let (one, a2) = (Fr::one(), alpha.square());
    let lo = |t: &'b [i64]| &t[..half];
    let hi = |t: &'b [i64]| &t[half..];
    let c = -(one + lambda * alpha);
    let mles = vec![
        LazyMle::affine_combination_i64(alpha.double(), &[lo(va), lo(vb)], &[-one, -one])?,
        LazyMle::affine_combination_i64(a2, &[lo(va), lo(vb), lo(pi)], &[-alpha, -alpha, one])?,
        LazyMle::affine_combination_i64(a2, &[hi(va), hi(vb), hi(pi)], &[-alpha, -alpha, one])?,
        LazyMle::affine_combination_i64(alpha.double() + lambda * a2, &[hi(va), hi(vb), hi(pi)], &[c, c, lambda])?,
    ];
    let first = move |pts: &[u64], w: &[Fr]| -> Option<Vec<Fr>> {
        if 2 * w.len() != half || pts.is_empty() || pts.len() > 3 || pts.iter().any(|&t| t > 2) {
            return None;
        }
        // per point: sum w (s + s'), sum w (pi + pi'), sum w s s', sum w (s pi' + s' pi), sum w pi pi'
        type Acc = ([LazySum; 4], LazySum128);
        let node = |y: usize| (va[y] + vb[y], pi[y]);
        let work = |r: std::ops::Range<usize>| -> Vec<Acc> {
            let mut acc: Vec<Acc> = vec![Default::default(); pts.len()];
            for i in r {
                let (a0, a1, b0, b1) = (node(2 * i), node(2 * i + 1), node(2 * i + half), node(2 * i + 1 + half));
                let wi = &w[i];
                for ((l, pp), &t) in acc.iter_mut().zip(pts) {
                    let at = |n0: (i64, i64), n1: (i64, i64)| match t {
                        0 => n0,
                        1 => n1,
                        _ => (2 * n1.0 - n0.0, 2 * n1.1 - n0.1),
                    };
                    let ((sa, pa), (sb, pb)) = (at(a0, a1), at(b0, b1));
                    l[0].add(wi, sa + sb);
                    l[1].add(wi, pa + pb);
                    l[2].add(wi, sa * sb);
                    l[3].add(wi, sa * pb + sb * pa);
                    pp.add(wi, pa as i128 * pb as i128);
                }
            }
            acc
        };
        let merge = |mut a: Vec<Acc>, b: Vec<Acc>| {
            for (x, y) in a.iter_mut().zip(&b) {
                x.0.iter_mut().zip(&y.0).for_each(|(p, q)| p.merge(q));
                x.1.merge(&y.1);
            }
            a
        };
        let acc = sumcheck::par_chunks(half / 2, || vec![Default::default(); pts.len()], work, merge);
        let a3 = a2 * alpha;
        Some(
            acc.iter()
                .map(|(l, pp)| {
                    let [s1, p1, q, m] = l.map(|x| x.finish());
                    let pq = p1 + q;
                    // p_lo q_hi + q_lo p_hi + lambda q_lo q_hi, the weights summing to one
                    a3.double().double() - (a2.double() + a2) * s1 + alpha.double() * pq - m
                        + lambda * (a3 * alpha - a3 * s1 + a2 * pq - alpha * m + pp.finish())
                })
                .collect(),
        )
    };
    Ok(ProductSum::with_lazy(mles, vec![(one, vec![0, 2]), (one, vec![1, 3])])?.with_first_round(first))
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
    let alpha = t.challenge_scalar(labels::LOOKUP_ALPHA);
    phases.start("lookup trees");
    // Trees in parallel (and each tree's layers in parallel inside).
    let mut trees: Vec<Tree> = set
        .lookups
        .par_iter()
        .map(|l| Tree::lookup(tables[l.tensor], alpha - fr_from_i64(l.offset), l.tensor))
        .collect();
    for tb in &set.tables {
        let m = tables[tb.multiplicities];
        let q: Vec<Fr> = (0..m.len() as u64).map(|v| alpha - Fr::from(v)).collect();
        trees.push(Tree::table(frs(m), q, tb.multiplicities));
    }
    phases.start("lookup sumchecks");
    for tr in &trees {
        let (p, q) = tr.root();
        proof.roots.extend([p, q]);
    }
    t.append_scalars(labels::RELATIONS_PRE, &proof.roots);
    let leaf_claim = |tr: &Tree, r: &[Fr], (p, q): (Fr, Fr), claims: &mut Claims| {
        if tr.is_lookup() {
            // the tree's `alpha` is the challenge less the lookup's offset
            claims.push(tr.leaf, r.to_vec(), tr.alpha - q);
        } else {
            claims.push(tr.leaf, r.to_vec(), p);
        }
    };
    let mut cur: Vec<(Fr, Fr)> = trees.iter().map(Tree::root).collect();
    for (tr, c) in trees.iter().zip(&cur) {
        if tr.depth == 0 {
            leaf_claim(tr, &[], *c, claims);
        }
    }
    let max_depth = trees.iter().map(|tr| tr.depth).max().unwrap_or(0);
    if max_depth == 0 {
        return Ok(proof);
    }
    let mut layer1 = Vec::with_capacity(trees.len());
    for tr in trees.iter().filter(|tr| tr.depth >= 1) {
        let v = tr.pair_of_layer(1).ok_or(ProveError::Params("tree layer"))?;
        proof.layer1.extend(v);
        layer1.push(v);
    }
    t.append_scalars(labels::RELATIONS_POST, &proof.layer1);
    let tau = t.challenge_scalar(labels::RELATIONS_POINT);
    let mut r = vec![tau];
    let mut layer1 = layer1.into_iter();
    for (tr, c) in trees.iter().zip(cur.iter_mut()) {
        if tr.depth >= 1 {
            let [p0, p1, q0, q1] = layer1.next().ok_or(ProveError::Params("tree layer"))?;
            *c = (p0 + tau * (p1 - p0), q0 + tau * (q1 - q0));
            if tr.depth == 1 {
                leaf_claim(tr, &r, *c, claims);
            }
        }
    }
    let one = Fr::one();
    for k in 1..max_depth {
        let active: Vec<usize> = (0..trees.len()).filter(|&i| trees[i].depth > k).collect();
        let lambda = t.challenge_scalar(labels::LOOKUP_LAMBDA);
        let mu = lambda.inverse().ok_or(ProveError::Params("lookup batching challenge is zero"))?;
        // the layers above the leaves read the products of their leaf pairs
        let pis: Vec<Option<Vec<i64>>> = active.iter().map(|&i| trees[i].leaf_products(k + 1)).collect();
        let mut insts = Vec::with_capacity(active.len());
        let mut unit = Vec::with_capacity(active.len());
        let mut sums = Vec::with_capacity(active.len());
        for (pos, &i) in active.iter().enumerate() {
            // unit numerators: q_hi + q_lo + lambda q_lo q_hi = lambda (q_lo + mu)(q_hi + mu) - mu
            // with mu = 1 / lambda, so the instance is the single product
            // (q_lo + mu)(q_hi + mu) with the claim (p + lambda q + mu) mu.
            let pi = pis.get(pos).and_then(|p| p.as_deref());
            let (inst, leaves) = trees[i].instance(k + 1, lambda, mu, pi)?;
            insts.push(inst.with_eq(&r)?);
            sums.push(match leaves {
                true => (cur[i].0 + lambda * cur[i].1 + mu) * mu,
                false => cur[i].0 + lambda * cur[i].1,
            });
            unit.push(leaves);
        }
        let (sc, points) = run_phase(t, &mut insts, &sums)?;
        let mut round = zkdl_circuit::relations::PhaseProof { sumcheck: sc, ..Default::default() };
        // per tree (p_lo, p_hi, q_lo, q_hi); a lookup's leaf layer sends only q_lo, q_hi
        let mut vals = Vec::with_capacity(active.len());
        for (inst, &leaves) in insts.iter().zip(&unit) {
            let v = if leaves {
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
        drop(insts);
        t.append_scalars(labels::RELATIONS_POST, &round.post);
        let tau = t.challenge_scalar(labels::RELATIONS_POINT);
        r = points.into_iter().next().unwrap_or_default();
        r.push(tau);
        for (v, &i) in vals.iter().zip(&active) {
            cur[i] = (v[0] + tau * (v[1] - v[0]), v[2] + tau * (v[3] - v[2]));
            if trees[i].depth == k + 1 {
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
                        let x = x.checked_add(l.offset).unwrap_or(-1);
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

/// Phase 8: the claim reduction and openings of the claims `(tensor, point, value)` on
/// the tensors of `set` (tables and commitments one per tensor). Public for tests of the
/// reduction with chosen, possibly false, claims.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn prove_claims<R: RngCore + CryptoRng>(
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
    t.append_u64(labels::REDUCTION_COLUMNS, claims.len() as u64);
    let alpha = t.challenge_scalars(labels::REDUCTION_COLUMNS, claims.len());
    let mut proof = OpeningProof::default();
    if claims.is_empty() {
        return Ok(proof);
    }
    let at: Vec<(usize, &[Fr])> = claims.iter().map(|c| (c.0, c.1.as_slice())).collect();
    let layout = ReductionLayout::new(set, &at).map_err(ProveError::Params)?;
    let table = |i: usize| tables.get(i).copied().ok_or(ProveError::Params("claim tensor"));
    let decl = |i: usize| set.tensors.get(i).copied().ok_or(ProveError::Params("claim tensor"));
    let split = |a: usize| layout.point(a, &at).ok_or(ProveError::Params("claim point"));
    fn suffix(p: &[Fr], n: usize) -> Result<&[Fr], ProveError> {
        ReductionLayout::suffix(p, n).ok_or(ProveError::Params("claim point"))
    }
    // eq tables shared by the values of one instance, of one size
    let eq_of = |points: Vec<&[Fr]>| -> BTreeMap<Vec<Fr>, Vec<Fr>> {
        points.into_iter().map(|p| (p.to_vec(), eq_table(p))).collect()
    };
    // Column stage: per (instance, tensor) the column vector T(., hi), summed from the
    // integers against eq(hi, .); per instance their combination under eq(lo, .).
    let eq_hi = eq_of((0..layout.columns.len()).map(split).map(|p| p.map(|p| p.1)).collect::<Result<_, _>>()?);
    let cols: Vec<Vec<Fr>> = layout
        .posts
        .par_iter()
        .map(|&(a, tensor)| {
            let w = eq_hi.get(split(a)?.1).ok_or(ProveError::Params("claim point"))?;
            Ok(combine_rows_i64(table(tensor)?, decl(tensor)?.col_vars, w))
        })
        .collect::<Result<_, ProveError>>()?;
    let mut insts = Vec::with_capacity(layout.columns.len());
    let mut sums = Vec::with_capacity(layout.columns.len());
    for (a, inst) in layout.columns.iter().enumerate() {
        let mut v = vec![Fr::zero(); 1usize << inst.col_vars];
        let mut sum = Fr::zero();
        for (&k, &j) in inst.claims.iter().zip(&inst.claim_posts) {
            sum += alpha[k] * claims[k].2;
            v.iter_mut().zip(&cols[j]).for_each(|(x, y)| *x += alpha[k] * y);
        }
        sums.push(sum);
        insts.push(ProductSum::new(vec![mle(v)?], vec![(Fr::one(), vec![0])])?.with_eq(split(a)?.0)?);
    }
    let (sc, points) = run_phase(t, &mut insts, &sums)?;
    proof.columns.sumcheck = sc;
    let rho = points.iter().max_by_key(|p| p.len()).cloned().unwrap_or_default();
    let col_sizes: Vec<usize> = layout.columns.iter().map(|c| c.col_vars).collect();
    let eq_rho = eq_of(col_sizes.iter().map(|&c| suffix(&rho, c)).collect::<Result<_, _>>()?);
    let eq_rho_c = |c: usize| suffix(&rho, c).and_then(|p| eq_rho.get(p).ok_or(ProveError::Params("claim point")));
    proof.columns.post = layout
        .posts
        .par_iter()
        .zip(&cols)
        .map(|(&(a, _), v)| Ok(inner_product(v, eq_rho_c(layout.columns[a].col_vars)?)))
        .collect::<Result<_, ProveError>>()?;
    t.append_scalars(labels::RELATIONS_POST, &proof.columns.post);

    // Row stage: the values are claims on U_T = T(rho_c, .), one per claimed tensor.
    t.append_u64(labels::REDUCTION_ROWS, layout.posts.len() as u64);
    let alpha2 = t.challenge_scalars(labels::REDUCTION_ROWS, layout.posts.len());
    let mut u: Vec<Vec<Fr>> = vec![Vec::new(); set.tensors.len()];
    let rows_of: Vec<(usize, Vec<Fr>)> = claimed
        .par_iter()
        .map(|(tensor, _)| {
            let c = decl(*tensor)?.col_vars;
            Ok((*tensor, combine_cols_i64(table(*tensor)?, c, eq_rho_c(c)?)))
        })
        .collect::<Result<_, ProveError>>()?;
    for (tensor, v) in rows_of {
        u[tensor] = v;
    }
    let mut insts = Vec::with_capacity(layout.rows.len());
    let mut sums = Vec::with_capacity(layout.rows.len());
    for (b, inst) in layout.rows.iter().enumerate() {
        let mut v = vec![Fr::zero(); 1usize << inst.row_vars];
        let mut sum = Fr::zero();
        for &j in &inst.posts {
            let tensor = layout.posts[j].1;
            sum += alpha2[j] * proof.columns.post[j];
            if u[tensor].len() != v.len() {
                return Err(ProveError::Params("claim point length"));
            }
            v.iter_mut().zip(&u[tensor]).for_each(|(x, y)| *x += alpha2[j] * y);
        }
        sums.push(sum);
        let hi = layout.row_instance_point(b, &at).ok_or(ProveError::Params("claim point"))?;
        insts.push(ProductSum::new(vec![mle(v)?], vec![(Fr::one(), vec![0])])?.with_eq(hi)?);
    }
    let (sc, points) = run_phase(t, &mut insts, &sums)?;
    proof.rows.sumcheck = sc;
    let sigma = points.iter().max_by_key(|p| p.len()).cloned().unwrap_or_default();
    // Every claimed tensor at (rho's suffix of its columns, sigma's of its rows).
    let final_point =
        |d: TensorDecl| ReductionLayout::end_point(&rho, &sigma, d).ok_or(ProveError::Params("claim point"));
    let eq_sigma = eq_of(layout.rows.iter().map(|r| suffix(&sigma, r.row_vars)).collect::<Result<_, _>>()?);
    proof.rows.post = claimed
        .iter()
        .map(|(tensor, _)| {
            let d = decl(*tensor)?;
            let w = suffix(&sigma, d.vars - d.col_vars)
                .and_then(|p| eq_sigma.get(p).ok_or(ProveError::Params("claim point")))?;
            Ok(inner_product(&u[*tensor], w))
        })
        .collect::<Result<_, ProveError>>()?;
    t.append_scalars(labels::RELATIONS_POST, &proof.rows.post);
    phases.start("openings");
    for (decl, members) in opening_groups(set, &claimed) {
        let beta = if members.len() == 1 {
            vec![Fr::one()]
        } else {
            t.challenge_scalars(labels::RELATIONS_BETA, members.len())
        };
        let ids: Vec<usize> = members.iter().map(|&pos| claimed[pos].0).collect();
        let point = final_point(decl)?;
        // the row combination sum_i beta_i L^T T_i, from the integers
        let lvec = eq_table(point.get(decl.col_vars..).unwrap_or(&[]));
        let per_table: Vec<Vec<Fr>> =
            ids.par_iter().map(|&i| combine_rows_i64(tables[i], decl.col_vars, &lvec)).collect();
        let mut v = vec![Fr::zero(); 1usize << decl.col_vars];
        for (row, b) in per_table.iter().zip(&beta) {
            v.iter_mut().zip(row).for_each(|(x, y)| *x += *b * y);
        }
        let parts: Vec<(&HyraxCommitment, Fr)> = ids.iter().zip(&beta).map(|(&i, b)| (comms[i], *b)).collect();
        let comm = pcs::CommitmentRef::Combination(&parts);
        let (_, opening) = pcs::open_row_combination(gens, decl.vars, decl.col_vars, v, None, comm, &point, t, rng)?;
        proof.openings.push(opening);
    }
    Ok(proof)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
    use ark_std::UniformRand;

    /// The layer above the leaves read from the integers proves byte for byte as the
    /// same layer built as field tables (`lookup_node`), below and above the parallel
    /// chunk, with negative leaves.
    #[test]
    fn above_leaves_instance_proves_as_the_field_tables() {
        let mut rng = StdRng::seed_from_u64(4);
        for n in [3usize, 6, 15] {
            let v: Vec<i64> = (0..1usize << n).map(|_| rng.gen_range(-(1i64 << 16)..1 << 16)).collect();
            let (alpha, lambda) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
            let s = v.len() / 2;
            let half = s / 2;
            let pi: Vec<i64> = (0..s).map(|y| v[y] * v[y + s]).collect();
            let node = |y: usize| lookup_node(&v, alpha, s, 1, y);
            let lo: Vec<(Fr, Fr)> = (0..half).map(node).collect();
            let hi: Vec<(Fr, Fr)> = (half..s).map(node).collect();
            let mles = vec![
                mle(lo.iter().map(|x| x.0).collect()).unwrap(),
                mle(lo.iter().map(|x| x.1).collect()).unwrap(),
                mle(hi.iter().map(|x| x.1).collect()).unwrap(),
                mle(hi.iter().map(|x| x.0 + lambda * x.1).collect()).unwrap(),
            ];
            let one = Fr::one();
            let point: Vec<Fr> = (0..n - 2).map(|_| Fr::rand(&mut rng)).collect();
            let mut dense =
                ProductSum::new(mles, vec![(one, vec![0, 2]), (one, vec![1, 3])]).unwrap().with_eq(&point).unwrap();
            let mut ints = above_leaves_instance(&v, &pi, alpha, lambda).unwrap().with_eq(&point).unwrap();
            let claim = dense.sum();
            assert_eq!(ints.sum(), claim);
            let (pd, _) = sumcheck::prove(&mut dense, claim, &mut Transcript::new(labels::TEST)).unwrap();
            let (pi_, _) = sumcheck::prove(&mut ints, claim, &mut Transcript::new(labels::TEST)).unwrap();
            assert_eq!(pd, pi_, "n {n}");
            assert_eq!(dense.final_evals(), ints.final_evals());
        }
    }
}
