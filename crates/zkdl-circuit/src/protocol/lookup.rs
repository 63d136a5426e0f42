//! The LogUp lookups as a GKR fractional sumcheck ([`Phase::Lookup`]).
//!
//! Challenges `alpha`, and `beta` when a table has several columns; per lookup and per
//! table a binary tree of fraction sums (a lookup's leaves `1 / (alpha - v(x))` with
//! `v(x) = sum_c beta^c (T_c(x) + offset_c)` its tuple's combination, a table's
//! `m(i) / (alpha - t(i))` with `t(i) = sum_c beta^c t_c(i)`); the roots `(P, Q)` are
//! sent and the lookups' fractions must sum to their table's; layer 1 is sent whole;
//! then per depth `k = 1, 2, ...` a challenge `lambda` and one batched degree-3
//! sumcheck over the trees deeper than `k` (post `(p_lo, p_hi, q_lo, q_hi)` per tree, a
//! lookup's leaf layer only `(q_lo, q_hi)`), and a challenge `tau` that extends the
//! point. A one-column lookup's leaf ends in a claim on its tensor; the lookups of
//! several columns send their columns' values at their leaf points once every tree is
//! walked (one message), checked against the leaf and left as claims. A table's leaf
//! gives a claim on its multiplicities, and the table side `alpha - t~(r)` the
//! verifier evaluates itself ([`crate::table::Table::column_mle`]).

use ark_ff::{AdditiveGroup, Field};
use zkdl_core::field::{fr_from_i64, Fr};
use zkdl_core::transcript::{labels, Transcript};

use super::{
    discharge, eq, get, send, suffix, sumcheck, Batch, Check, Claim, Message, Phase, ProtocolError, Role, Slot,
};
use crate::relations::RelationSet;

pub use crate::table::range::identity_mle;

/// One fraction-sum tree: a lookup or a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    /// Leaves `1 / (alpha - offset - T(x))`: a lookup of one column.
    Lookup { tensor: usize, offset: i64 },
    /// Leaves `1 / (alpha - sum_c beta^c (T_c(x) + offset_c))`: a lookup of several
    /// columns (lookup `index` of the set).
    Tuple,
    /// Leaves `m(i) / (alpha - sum_c beta^c t_c(i))`, `m` the multiplicities.
    Table { multiplicities: usize },
}

/// A tree: its leaves, depth, table (an index into the set's tables), and its
/// relation's index among the set's lookups or tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tree {
    pub leaf: Leaf,
    pub depth: usize,
    pub table: usize,
    pub index: usize,
}

/// The trees of `set`: lookups, then tables.
pub fn trees(set: &RelationSet) -> Result<Vec<Tree>, ProtocolError> {
    let mut trees = Vec::with_capacity(set.lookups.len() + set.tables.len());
    for (index, l) in set.lookups.iter().enumerate() {
        let table = set.table_index(&l.table).ok_or(ProtocolError::Params("a lookup's table"))?;
        let (tensor, offset) = l.first().ok_or(ProtocolError::Params("a lookup without columns"))?;
        let leaf = if l.columns.len() == 1 { Leaf::Lookup { tensor, offset } } else { Leaf::Tuple };
        trees.push(Tree { leaf, depth: set.vars(tensor)?, table, index });
    }
    for (index, tb) in set.tables.iter().enumerate() {
        let leaf = Leaf::Table { multiplicities: tb.multiplicities };
        trees.push(Tree { leaf, depth: tb.table.vars() as usize, table: index, index });
    }
    Ok(trees)
}

/// Whether the lookups of `set` need the column challenge `beta` (a table of several
/// columns).
pub fn needs_beta(set: &RelationSet) -> bool {
    set.tables.iter().any(|t| t.table.columns() > 1)
}

impl Tree {
    /// The tensor of its leaves (the looked-up tensor or first column, or the
    /// multiplicities), for messages.
    pub fn tensor(&self, set: &RelationSet) -> usize {
        match self.leaf {
            Leaf::Lookup { tensor, .. } => tensor,
            Leaf::Tuple => set.lookups.get(self.index).and_then(|l| l.first()).map_or(0, |c| c.0),
            Leaf::Table { multiplicities } => multiplicities,
        }
    }
}

/// The challenges of the phase and what the walk gathers.
struct Walk<'a> {
    set: &'a RelationSet,
    trees: Vec<Tree>,
    alpha: Fr,
    beta: Fr,
    /// The lookups of several columns whose leaves are reached: `(tree, point, q)`.
    tuples: Vec<(usize, Vec<Fr>, Fr)>,
}

impl Walk<'_> {
    /// The check `what` of tree `i`, named by its relation: the lookup's index among the
    /// set's lookups, or the table's among its tables.
    fn of_tree(&self, i: usize, what: &'static str) -> Check {
        let (index, tensor) = self.trees.get(i).map_or((0, 0), |t| (t.index, t.tensor(self.set)));
        Check::relation(Phase::Lookup, what, index, tensor)
    }

    /// Tree `i`'s leaf layer reached at `r` with `(p, q)` there: a claim, or (a lookup
    /// of several columns) a leaf whose columns are asked for at the end.
    fn leaf<R: Role>(&mut self, role: &mut R, i: usize, r: &[Fr], (p, q): (Fr, Fr)) -> Result<Option<Claim>, R::Error> {
        let tree = *self.trees.get(i).ok_or(ProtocolError::Shape(Phase::Lookup))?;
        Ok(match tree.leaf {
            Leaf::Lookup { tensor, offset } => {
                role.check(self.of_tree(i, "a leaf's numerator is not one"), p == Fr::ONE)?;
                // the leaf is alpha - (value + offset)
                Some(Claim { tensor, point: r.to_vec(), value: self.alpha - fr_from_i64(offset) - q })
            }
            Leaf::Tuple => {
                role.check(self.of_tree(i, "a leaf's numerator is not one"), p == Fr::ONE)?;
                self.tuples.push((i, r.to_vec(), q));
                None
            }
            Leaf::Table { multiplicities } => {
                if R::CHECKS {
                    let table = self.set.tables.get(tree.table).ok_or(ProtocolError::Shape(Phase::Lookup))?;
                    let t = table.table.combined_mle(self.beta, r).ok_or(ProtocolError::Params("a table's point"))?;
                    role.check(self.of_tree(i, "a leaf is not the table's"), q == self.alpha - t)?;
                }
                Some(Claim { tensor: multiplicities, point: r.to_vec(), value: p })
            }
        })
    }

    /// The columns of every lookup of several columns at its leaf point, sent at once:
    /// each leaf must be `alpha` minus their combination; they are left as claims.
    fn tuples<R: Role>(&mut self, role: &mut R, t: &mut Transcript, claims: &mut Vec<Claim>) -> Result<(), R::Error> {
        if self.tuples.is_empty() {
            return Ok(());
        }
        let mut queries = Vec::new();
        let mut lookups = Vec::with_capacity(self.tuples.len());
        for (i, r, _) in &self.tuples {
            let tree = self.trees.get(*i).ok_or(ProtocolError::Shape(Phase::Lookup))?;
            let l = self.set.lookups.get(tree.index).ok_or(ProtocolError::Shape(Phase::Lookup))?;
            queries.extend(l.columns.iter().map(|&(tensor, _)| (tensor, r.clone())));
            lookups.push(l);
        }
        let values = send(role, t, Slot::Tuples, queries.len(), Message::Evaluations(&queries))?;
        let mut at = 0usize;
        for ((i, r, q), l) in std::mem::take(&mut self.tuples).into_iter().zip(lookups) {
            let mut combined = Fr::ZERO;
            for (c, &(_, offset)) in l.columns.iter().enumerate().rev() {
                combined = combined * self.beta + get(&values, at + c, Phase::Lookup)? + fr_from_i64(offset);
            }
            for &(tensor, _) in &l.columns {
                claims.push(Claim { tensor, point: r.clone(), value: get(&values, at, Phase::Lookup)? });
                at += 1;
            }
            role.check(self.of_tree(i, "a leaf is not its columns' combination"), q == self.alpha - combined)?;
        }
        Ok(())
    }
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
    if !trees.is_empty() {
        let alpha = t.challenge_scalar(labels::LOOKUP_ALPHA);
        let beta = if needs_beta(set) { t.challenge_scalar(labels::LOOKUP_BETA) } else { Fr::ONE };
        let mut walk = Walk { set, trees, alpha, beta, tuples: Vec::new() };
        walk.trees_down(role, t, claims)?;
        walk.tuples(role, t, claims)?;
    }
    role.end(phase, t);
    Ok(())
}

impl Walk<'_> {
    /// The roots, their balance per table, and every layer down to the leaves.
    fn trees_down<R: Role>(
        &mut self,
        role: &mut R,
        t: &mut Transcript,
        claims: &mut Vec<Claim>,
    ) -> Result<(), R::Error> {
        let phase = Phase::Lookup;
        let n = self.trees.len();
        let msg = Message::TreeRoots { alpha: self.alpha, beta: self.beta };
        let roots = send(role, t, Slot::Roots, 2 * n, msg)?;
        let root = |i: usize| Ok::<_, ProtocolError>((get(&roots, 2 * i, phase)?, get(&roots, 2 * i + 1, phase)?));
        // Per table: its lookups' fractions sum to the table's.
        for (i, tree) in self.trees.iter().enumerate() {
            let Leaf::Table { .. } = tree.leaf else { continue };
            let (mut num, mut den) = (Fr::ZERO, Fr::ONE);
            for (j, other) in self.trees.iter().enumerate() {
                if !matches!(other.leaf, Leaf::Table { .. }) && other.table == tree.table {
                    let (pj, qj) = root(j)?;
                    num = num * qj + pj * den;
                    den *= qj;
                }
            }
            let (pt, qt) = root(i)?;
            let balanced = den != Fr::ZERO && qt != Fr::ZERO && num * qt == pt * den;
            role.check(self.of_tree(i, "the multiset of a table"), balanced)?;
        }
        // Every tree's current (p, q), at the shared point r.
        let mut cur: Vec<(Fr, Fr)> = (0..n).map(root).collect::<Result<_, _>>()?;
        for (i, c) in cur.iter().enumerate() {
            if self.trees.get(i).is_some_and(|x| x.depth == 0) {
                claims.extend(self.leaf(role, i, &[], *c)?);
            }
        }
        let max_depth = self.trees.iter().map(|x| x.depth).max().unwrap_or(0);
        if max_depth == 0 {
            return Ok(());
        }
        // Layer 1, sent whole.
        let deep: Vec<usize> = (0..n).filter(|&i| self.trees.get(i).is_some_and(|x| x.depth >= 1)).collect();
        let layer1 = role.send(Slot::Layer1, 4 * deep.len(), Message::TreeLayer1)?;
        t.append_scalars(labels::RELATIONS_POST, &layer1);
        let mut children = Vec::with_capacity(deep.len());
        for (pos, &i) in deep.iter().enumerate() {
            let (p0, q0) = *cur.get(i).ok_or(ProtocolError::Shape(phase))?;
            let [a, b, c, d] = [0, 1, 2, 3].map(|o| get(&layer1, 4 * pos + o, phase));
            let [pl, ph, ql, qh] = [a?, b?, c?, d?];
            let gives_root = p0 == pl * qh + ph * ql && q0 == ql * qh;
            role.check(self.of_tree(i, "layer 1 does not give the root"), gives_root)?;
            children.push((i, [pl, ph, ql, qh]));
        }
        let tau = t.challenge_scalar(labels::RELATIONS_POINT);
        let mut r = vec![tau];
        self.descend(role, &r, children, 1, &mut cur, claims)?;
        // Layers 2..: one batched sumcheck per depth over the trees that go deeper.
        for k in 1..max_depth {
            let active: Vec<usize> = (0..n).filter(|&i| self.trees.get(i).is_some_and(|x| x.depth > k)).collect();
            let lambda = t.challenge_scalar(labels::LOOKUP_LAMBDA);
            let mu = lambda.inverse().ok_or(ProtocolError::Params("lookup batching challenge is zero"))?;
            // A lookup tree's leaf layer has unit numerators: only its (q_lo, q_hi) are
            // sent, and its instance is eq (q_lo + mu)(q_hi + mu) = eq (q_lo + q_hi +
            // lambda q_lo q_hi + mu) mu, with mu = 1 / lambda, of sum (p + lambda q + mu) mu
            // (the eq weights sum to one); every other tree's is
            // eq (p_lo q_hi + p_hi q_lo + lambda q_lo q_hi), of sum p + lambda q.
            let unit: Vec<bool> = active
                .iter()
                .map(|&i| self.trees.get(i).is_some_and(|x| !matches!(x.leaf, Leaf::Table { .. }) && x.depth == k + 1))
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
            self.descend(role, &r, children, k + 1, &mut cur, claims)?;
        }
        Ok(())
    }

    /// Folds each tree's children at the last coordinate of `r` into its current
    /// `(p, q)`; a tree whose leaves are at `depth` reaches them.
    fn descend<R: Role>(
        &mut self,
        role: &mut R,
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
            if self.trees.get(i).is_some_and(|x| x.depth == depth) {
                claims.extend(self.leaf(role, i, r, c)?);
            }
        }
        Ok(())
    }
}
