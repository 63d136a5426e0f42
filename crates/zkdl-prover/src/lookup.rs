//! The prover's LogUp trees: the fraction-sum trees of the lookup phase
//! (`zkdl_circuit::protocol::lookup`) and the GKR instance of each of their layers,
//! built from the integers where that saves field work.

use ark_ff::{AdditiveGroup, Field, One, Zero};
use rayon::prelude::*;
use zkdl_core::field::{fr_from_i64, Fr, LazySum, LazySum128};
use zkdl_core::sumcheck::{self, LazyMle, ProductSum};

use crate::relations::{mle, ProveError};

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
pub(crate) struct Tree<'a> {
    /// Stored layers from the root, each as `(p, q)`.
    layers: Vec<(Vec<Fr>, Vec<Fr>)>,
    pub(crate) depth: usize,
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
    pub(crate) fn table(leaf_p: Vec<Fr>, leaf_q: Vec<Fr>) -> Tree<'a> {
        let mut layers = vec![(leaf_p, leaf_q)];
        while let Some((p, q)) = layers.last().filter(|(_, q)| q.len() > 1) {
            let up = parent_layer(p, q);
            layers.push(up);
        }
        layers.reverse();
        let depth = layers.len() - 1;
        Tree { layers, depth, values: None, alpha: Fr::zero() }
    }

    /// A lookup's tree over the leaf denominators `leaf_q` (unit numerators; a lookup of
    /// several columns, its tuples combined in the field), all layers stored.
    pub(crate) fn tuple(leaf_q: Vec<Fr>) -> Tree<'a> {
        Tree::table(Vec::new(), leaf_q)
    }

    /// A lookup's tree over the values `v` (a power-of-two length).
    pub(crate) fn lookup(v: &'a [i64], alpha: Fr) -> Tree<'a> {
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
        Tree { layers, depth, values: Some(v), alpha }
    }

    /// `(p, q)` at the root (a single unit-numerator leaf has `p = 1`).
    pub(crate) fn root(&self) -> (Fr, Fr) {
        self.pair_of_layer(0).map(|[p, _, q, _]| (p, q)).unwrap_or_else(|| (Fr::one(), Fr::zero()))
    }

    /// `[p_0, p_1, q_0, q_1]` of a layer with at most two entries (layers 0 and 1).
    pub(crate) fn pair_of_layer(&self, k: usize) -> Option<[Fr; 4]> {
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
    pub(crate) fn leaf_products(&self, k: usize) -> Option<Vec<i64>> {
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
    pub(crate) fn instance<'b>(
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
                if p.is_empty() {
                    // a stored leaf layer of unit numerators
                    let shift = |h: &[Fr]| mle(h.par_iter().map(|x| *x + mu).collect());
                    return Ok((
                        ProductSum::new(vec![shift(&q[..half])?, shift(&q[half..])?], vec![product(0, 1)])?,
                        true,
                    ));
                }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
    use ark_std::UniformRand;
    use zkdl_core::transcript::{labels, Transcript};

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
