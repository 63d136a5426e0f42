//! The LogUp lookups as a GKR fractional sumcheck ([`Phase::Lookup`]).
//!
//! Challenge `alpha`; per lookup tensor and per table a binary tree of fraction sums
//! (a lookup's leaves `1 / (alpha - offset - v(x))`, a table's `m(t) / (alpha - t)`);
//! the roots `(P, Q)` are sent and must balance per table width; layer 1 is sent
//! whole; then per depth `k = 1, 2, ...` a challenge `lambda` and one batched degree-3
//! sumcheck over the trees deeper than `k` (post `(p_lo, p_hi, q_lo, q_hi)` per tree, a
//! lookup's leaf layer only `(q_lo, q_hi)`), and a challenge `tau` that extends the
//! point. Leaves end in claims on the looked-up tensors and the multiplicities; the
//! table side `alpha - t~(r)` the verifier evaluates itself ([`identity_mle`]).

use ark_ff::{AdditiveGroup, Field};
use zkdl_core::field::{fr_from_i64, Fr};
use zkdl_core::transcript::{labels, Transcript};

use super::{
    discharge, eq, get, send, suffix, sumcheck, Batch, Check, Claim, Message, Phase, ProtocolError, Role, Slot,
};
use crate::relations::RelationSet;

/// One fraction-sum tree: a lookup tensor or a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    /// Leaves `1 / (alpha - offset - T(x))`.
    Lookup { tensor: usize, offset: i64 },
    /// Leaves `m(t) / (alpha - t)`, `m` the multiplicities.
    Table { multiplicities: usize },
}

/// A tree: its leaves, depth and width (the table's bits), and its relation's index
/// among the set's lookups or tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tree {
    pub leaf: Leaf,
    pub depth: usize,
    pub width: u32,
    pub index: usize,
}

/// The trees of `set`: lookups, then tables.
pub fn trees(set: &RelationSet) -> Result<Vec<Tree>, ProtocolError> {
    let mut trees = Vec::with_capacity(set.lookups.len() + set.tables.len());
    for (index, l) in set.lookups.iter().enumerate() {
        let leaf = Leaf::Lookup { tensor: l.tensor, offset: l.offset };
        trees.push(Tree { leaf, depth: set.vars(l.tensor)?, width: l.width, index });
    }
    for (index, tb) in set.tables.iter().enumerate() {
        let leaf = Leaf::Table { multiplicities: tb.multiplicities };
        trees.push(Tree { leaf, depth: tb.width as usize, width: tb.width, index });
    }
    Ok(trees)
}

/// `t~(r) = sum_i 2^i r_i`: the MLE of the table `[0, 2^n)`.
pub fn identity_mle(r: &[Fr]) -> Fr {
    let mut acc = Fr::ZERO;
    let mut pow = Fr::ONE;
    for x in r {
        acc += pow * x;
        pow += pow;
    }
    acc
}

impl Tree {
    /// The tensor of its leaves (the looked-up tensor, or the multiplicities).
    pub fn tensor(&self) -> usize {
        match self.leaf {
            Leaf::Lookup { tensor, .. } => tensor,
            Leaf::Table { multiplicities } => multiplicities,
        }
    }
}

/// The check `what` of tree `i`, named by its relation: the lookup's index among the
/// set's lookups, or the table's among its tables.
fn of_tree(trees: &[Tree], i: usize, what: &'static str) -> Check {
    let (index, tensor) = trees.get(i).map_or((0, 0), |t| (t.index, t.tensor()));
    Check::relation(Phase::Lookup, what, index, tensor)
}

/// The claim tree `i`'s leaf layer leaves at `r`, from its `(p, q)` there.
fn leaf_claim<R: Role>(
    role: &mut R,
    trees: &[Tree],
    i: usize,
    alpha: Fr,
    r: &[Fr],
    (p, q): (Fr, Fr),
) -> Result<Claim, R::Error> {
    let tree = *trees.get(i).ok_or(ProtocolError::Shape(Phase::Lookup))?;
    Ok(match tree.leaf {
        Leaf::Lookup { tensor, offset } => {
            role.check(of_tree(trees, i, "a leaf's numerator is not one"), p == Fr::ONE)?;
            // the leaf is alpha - (value + offset)
            Claim { tensor, point: r.to_vec(), value: alpha - fr_from_i64(offset) - q }
        }
        Leaf::Table { multiplicities } => {
            role.check(of_tree(trees, i, "a leaf is not the table's"), q == alpha - identity_mle(r))?;
            Claim { tensor: multiplicities, point: r.to_vec(), value: p }
        }
    })
}

/// Node `(p, q)` of a layer from its children's `(p_lo, p_hi, q_lo, q_hi)` at `tau`.
fn fold([pl, ph, ql, qh]: [Fr; 4], tau: Fr) -> (Fr, Fr) {
    (pl + tau * (ph - pl), ql + tau * (qh - ql))
}

pub(super) fn run<R: Role>(
    role: &mut R,
    t: &mut Transcript,
    set: &RelationSet,
    claims: &mut Vec<Claim>,
) -> Result<(), R::Error> {
    let phase = Phase::Lookup;
    role.begin(phase);
    let trees = trees(set)?;
    if trees.is_empty() {
        role.end(phase, t);
        return Ok(());
    }
    let alpha = t.challenge_scalar(labels::LOOKUP_ALPHA);
    let roots = send(role, t, Slot::Roots, 2 * trees.len(), Message::TreeRoots { alpha })?;
    let root = |i: usize| Ok::<_, ProtocolError>((get(&roots, 2 * i, phase)?, get(&roots, 2 * i + 1, phase)?));
    // Per table width: the lookups' fractions sum to the table's.
    for (i, tree) in trees.iter().enumerate() {
        let Leaf::Table { .. } = tree.leaf else { continue };
        let (mut num, mut den) = (Fr::ZERO, Fr::ONE);
        for (j, other) in trees.iter().enumerate() {
            if matches!(other.leaf, Leaf::Lookup { .. }) && other.width == tree.width {
                let (pj, qj) = root(j)?;
                num = num * qj + pj * den;
                den *= qj;
            }
        }
        let (pt, qt) = root(i)?;
        let balanced = den != Fr::ZERO && qt != Fr::ZERO && num * qt == pt * den;
        role.check(of_tree(&trees, i, "the multiset of a table"), balanced)?;
    }
    // Every tree's current (p, q), at the shared point r.
    let mut cur: Vec<(Fr, Fr)> = (0..trees.len()).map(root).collect::<Result<_, _>>()?;
    for (i, (tree, c)) in trees.iter().zip(&cur).enumerate() {
        if tree.depth == 0 {
            claims.push(leaf_claim(role, &trees, i, alpha, &[], *c)?);
        }
    }
    let max_depth = trees.iter().map(|x| x.depth).max().unwrap_or(0);
    if max_depth == 0 {
        role.end(phase, t);
        return Ok(());
    }
    // Layer 1, sent whole.
    let deep: Vec<usize> = (0..trees.len()).filter(|&i| trees.get(i).is_some_and(|x| x.depth >= 1)).collect();
    let layer1 = role.send(Slot::Layer1, 4 * deep.len(), Message::TreeLayer1)?;
    t.append_scalars(labels::RELATIONS_POST, &layer1);
    let mut children = Vec::with_capacity(deep.len());
    for (pos, &i) in deep.iter().enumerate() {
        let (p0, q0) = *cur.get(i).ok_or(ProtocolError::Shape(phase))?;
        let [a, b, c, d] = [0, 1, 2, 3].map(|o| get(&layer1, 4 * pos + o, phase));
        let [pl, ph, ql, qh] = [a?, b?, c?, d?];
        role.check(of_tree(&trees, i, "layer 1 does not give the root"), p0 == pl * qh + ph * ql && q0 == ql * qh)?;
        children.push((i, [pl, ph, ql, qh]));
    }
    let tau = t.challenge_scalar(labels::RELATIONS_POINT);
    let mut r = vec![tau];
    descend(role, &trees, alpha, &r, children, 1, &mut cur, claims)?;
    // Layers 2..: one batched sumcheck per depth over the trees that go deeper.
    for k in 1..max_depth {
        let active: Vec<usize> = (0..trees.len()).filter(|&i| trees.get(i).is_some_and(|x| x.depth > k)).collect();
        let lambda = t.challenge_scalar(labels::LOOKUP_LAMBDA);
        let mu = lambda.inverse().ok_or(ProtocolError::Params("lookup batching challenge is zero"))?;
        // A lookup tree's leaf layer has unit numerators: only its (q_lo, q_hi) are
        // sent, and its instance is eq (q_lo + mu)(q_hi + mu) = eq (q_lo + q_hi +
        // lambda q_lo q_hi + mu) mu, with mu = 1 / lambda, of sum (p + lambda q + mu) mu
        // (the eq weights sum to one); every other tree's is
        // eq (p_lo q_hi + p_hi q_lo + lambda q_lo q_hi), of sum p + lambda q.
        let unit: Vec<bool> = active
            .iter()
            .map(|&i| trees.get(i).is_some_and(|x| matches!(x.leaf, Leaf::Lookup { .. }) && x.depth == k + 1))
            .collect();
        let mut sums = Vec::with_capacity(active.len());
        for (&i, &u) in active.iter().zip(&unit) {
            let (p, q) = *cur.get(i).ok_or(ProtocolError::Shape(phase))?;
            sums.push((if u { (p + lambda * q + mu) * mu } else { p + lambda * q }, k));
        }
        let n_post: usize = unit.iter().map(|&u| if u { 2 } else { 4 }).sum();
        let batch = Batch::Lookup { k, lambda, mu, r: &r, active: &active, unit: &unit };
        let o = sumcheck(role, t, Slot::LookupRound(k), batch, &sums, 3, n_post)?;
        let rho = suffix(&o.point, k)?.to_vec();
        let e = if R::CHECKS { eq(&r, &rho)? } else { Fr::ZERO };
        let mut evals = Vec::with_capacity(active.len());
        // the instances' expected values (only a checking role computes them)
        let mut eval = |x: Fr| {
            if R::CHECKS {
                evals.push(e * x);
            }
        };
        let mut children = Vec::with_capacity(active.len());
        let mut off = 0usize;
        for (&i, &u) in active.iter().zip(&unit) {
            let base = off;
            let g = |j: usize| get(&o.post, base + j, phase);
            let v = if u {
                let (ql, qh) = (g(0)?, g(1)?);
                off += 2;
                eval((ql + mu) * (qh + mu));
                [Fr::ONE, Fr::ONE, ql, qh]
            } else {
                let v = [g(0)?, g(1)?, g(2)?, g(3)?];
                off += 4;
                let [pl, ph, ql, qh] = v;
                eval(pl * qh + ph * ql + lambda * ql * qh);
                v
            };
            children.push((i, v));
        }
        discharge(role, phase, o.pending, &evals)?;
        let tau = t.challenge_scalar(labels::RELATIONS_POINT);
        r = rho;
        r.push(tau);
        descend(role, &trees, alpha, &r, children, k + 1, &mut cur, claims)?;
    }
    role.end(phase, t);
    Ok(())
}

/// Folds each tree's children at the last coordinate of `r` into its current `(p, q)`;
/// a tree whose leaves are at `depth` leaves its claim.
#[allow(clippy::too_many_arguments)]
fn descend<R: Role>(
    role: &mut R,
    trees: &[Tree],
    alpha: Fr,
    r: &[Fr],
    children: Vec<(usize, [Fr; 4])>,
    depth: usize,
    cur: &mut [(Fr, Fr)],
    claims: &mut Vec<Claim>,
) -> Result<(), R::Error> {
    let tau = r.last().copied().ok_or(ProtocolError::Params("tree point"))?;
    for (i, v) in children {
        let c = fold(v, tau);
        *cur.get_mut(i).ok_or(ProtocolError::Shape(Phase::Lookup))? = c;
        if trees.get(i).is_some_and(|x| x.depth == depth) {
            claims.push(leaf_claim(role, trees, i, alpha, r, c)?);
        }
    }
    Ok(())
}
