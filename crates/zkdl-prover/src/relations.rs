//! Prover of the aggregated relation system: the producing [`Role`] of the protocol
//! described in `zkdl_circuit::protocol`. It computes every message from the witness
//! (the tensors' integer tables) and builds each phase's sumcheck instances.

use ark_ff::{One, Zero};
use ark_std::rand::{CryptoRng, RngCore};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use thiserror::Error;
use zkdl_circuit::gadgets::padding_indicator;
use zkdl_circuit::protocol::{self, Batch, Check, Claim, Context, Message, Outcome, Phase, ProtocolError, Role, Slot};
use zkdl_circuit::relations::{MatmulRel, OpeningProof, RelationProof, RelationSet, TensorDecl};
use zkdl_core::field::{fr_from_i64, Fr, LazySum};
use zkdl_core::mle::{combine_cols_i64, combine_rows_i64, eq_table, inner_product, DenseMle, SplitEq};
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators, Table};
use zkdl_core::sumcheck::{self, Kernels, LazyMle, ProductSum, SumcheckInstance};
use zkdl_core::transcript::Transcript;

use crate::lookup::Tree;
use crate::Phases;

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
    #[error("PReLU slope {index} of layer {layer} is {value}: a proof needs a signed value of {bits} bits (fixed.total_bits)")]
    Slope { layer: usize, index: usize, value: i64, bits: u32 },
    #[error("the circuit: {0}")]
    Circuit(#[from] zkdl_circuit::SpecError),
    #[error("the circuit's layout: {0}")]
    Layout(#[from] zkdl_circuit::proof::LayoutError),
    #[error("the relation set: {0}")]
    Set(#[from] zkdl_circuit::relations::SetError),
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
    Ok(pcs::commit_split(gens, d.vars, d.col_vars, Table::Small(table), None)?)
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

pub(crate) fn mle(v: Vec<Fr>) -> Result<DenseMle, ProveError> {
    DenseMle::new(v).map_err(|_| ProveError::Params("table size"))
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

impl From<ProtocolError> for ProveError {
    fn from(e: ProtocolError) -> Self {
        match e {
            ProtocolError::Params(p) => ProveError::Params(p),
            ProtocolError::Set(e) => ProveError::Set(e),
            ProtocolError::Opening { source, .. } => ProveError::Pcs(source),
            _ => ProveError::Params("the protocol"),
        }
    }
}

fn final_eval(inst: &ProductSum<'_>, k: usize) -> Fr {
    inst.final_evals().get(k).copied().unwrap_or_else(Fr::zero)
}

/// Runs a batched sumcheck of `insts` with claimed sums `sums`; returns the proof and
/// the point. The instances must have the `degree` the protocol states (the verifier
/// absorbs that one).
fn prove_batch(
    t: &mut Transcript,
    insts: &mut [ProductSum<'_>],
    sums: &[(Fr, usize)],
    degree: usize,
) -> Result<(sumcheck::SumcheckProof, Vec<Fr>), ProveError> {
    if insts.iter().map(|i| i.degree()).max() != Some(degree) {
        return Err(ProveError::Params("a sumcheck instance of another degree than its phase's"));
    }
    let mut refs: Vec<&mut dyn SumcheckInstance> = insts.iter_mut().map(|i| i as &mut dyn SumcheckInstance).collect();
    let claims: Vec<Fr> = sums.iter().map(|s| s.0).collect();
    Ok(sumcheck::prove_batched(&mut refs, &claims, t)?)
}

/// The prover's side: computes every message from `tables` (one per tensor).
struct Prover<'a, 'r, 'p, R> {
    gens: &'a HyraxGenerators,
    /// The sumcheck kernels of every instance (`None`: the CPU's).
    kernels: Option<Arc<dyn Kernels>>,
    set: &'a RelationSet,
    tables: &'a [&'a [i64]],
    comms: &'a [&'a HyraxCommitment],
    rng: &'r mut R,
    phases: &'r mut Phases<'p>,
    proof: RelationProof,
    /// The LogUp trees (lookups, then tables), built once `alpha` is drawn.
    trees: Vec<Tree<'a>>,
    /// The eq tables of the claim reduction's column point, per suffix.
    eq_rho: BTreeMap<Vec<Fr>, Vec<Fr>>,
    /// The degree the protocol states for the current batch (the instances must have it).
    degree: usize,
}

impl<R: RngCore + CryptoRng> Role for Prover<'_, '_, '_, R> {
    type Error = ProveError;
    const CHECKS: bool = false;

    fn begin(&mut self, phase: Phase) {
        let name = match phase {
            Phase::Booleanity => "booleanity",
            Phase::Lookup => "lookup trees",
            Phase::Matmul | Phase::MatmulAt => "matmul",
            Phase::Mask => "mask",
            Phase::Linear => "linear",
            Phase::Padding => "padding",
            Phase::VirtualTensor => "virtual claims",
            Phase::ClaimReduction => "claim reduction",
            Phase::Opening => "openings",
            _ => return,
        };
        self.phases.start(name);
    }

    fn end(&mut self, phase: Phase, t: &Transcript) {
        if let Some(trace) = self.phases.trace.as_mut() {
            trace.push((phase, t.fingerprint()));
        }
    }

    fn send(&mut self, slot: Slot, n: usize, msg: Message<'_>) -> Result<Vec<Fr>, ProveError> {
        let v = match msg {
            Message::Evaluations(queries) => self.evaluations(queries)?,
            Message::TreeRoots { alpha, beta } => {
                self.build_trees(alpha, beta)?;
                self.phases.start("lookup sumchecks");
                self.trees.iter().flat_map(|tr| <[Fr; 2]>::from(tr.root())).collect()
            }
            Message::TreeLayer1 => {
                let mut v = Vec::with_capacity(n);
                for tr in self.trees.iter().filter(|tr| tr.depth >= 1) {
                    v.extend(tr.pair_of_layer(1).ok_or(ProveError::Params("tree layer"))?);
                }
                v
            }
        };
        if v.len() != n {
            return Err(ProveError::Params("number of values of a message"));
        }
        *self.proof.values_mut(slot).ok_or(ProveError::Params("message slot"))? = v.clone();
        Ok(v)
    }

    fn sumcheck(
        &mut self,
        slot: Slot,
        batch: Batch<'_>,
        sums: &[(Fr, usize)],
        degree: usize,
        n_post: usize,
        t: &mut Transcript,
    ) -> Result<Outcome, ProveError> {
        if sums.is_empty() {
            return Ok(Outcome::default());
        }
        self.degree = degree;
        let (sc, point, post) = match batch {
            Batch::Booleanity { rhos } => self.booleanity(t, rhos, sums)?,
            Batch::Lookup { k, lambda, mu, r, active, unit } => {
                self.lookup_layer(t, k, (lambda, mu), r, active, unit, sums)?
            }
            Batch::Matmul { which, rs } => self.matmuls(t, which, rs, sums)?,
            Batch::Mask { rrs } => self.masks(t, rrs, sums)?,
            Batch::Padding { rhos } => self.paddings(t, rhos, sums)?,
            Batch::Columns { layout, alpha, claims } => self.columns(t, layout, alpha, claims, sums)?,
            Batch::Rows { layout, alpha, claims, claimed, rho } => {
                self.rows(t, layout, alpha, claims, claimed, rho, sums)?
            }
        };
        if post.len() != n_post {
            return Err(ProveError::Params("number of values after a sumcheck"));
        }
        let p = self.proof.phase_mut(slot).ok_or(ProveError::Params("sumcheck slot"))?;
        p.sumcheck = sc;
        p.post = post.clone();
        Ok(Outcome { point, post, pending: None })
    }

    fn check(&mut self, _check: Check, _holds: bool) -> Result<(), ProveError> {
        Ok(())
    }

    fn open(
        &mut self,
        _index: usize,
        decl: TensorDecl,
        parts: &[(usize, Fr)],
        point: &[Fr],
        _value: Fr,
        t: &mut Transcript,
    ) -> Result<(), ProveError> {
        // the row combination sum_i beta_i L^T T_i, from the integers
        let lvec = eq_table(point.get(decl.col_vars..).unwrap_or(&[]));
        let tables = self.tables;
        let per_table: Vec<Vec<Fr>> =
            parts.par_iter().map(|&(i, _)| combine_rows_i64(tables[i], decl.col_vars, &lvec)).collect();
        let mut v = vec![Fr::zero(); 1usize << decl.col_vars];
        for (row, (_, b)) in per_table.iter().zip(parts) {
            v.iter_mut().zip(row).for_each(|(x, y)| *x += *b * y);
        }
        let terms: Vec<(&HyraxCommitment, Fr)> = parts.iter().map(|&(i, b)| (self.comms[i], b)).collect();
        let comm = pcs::CommitmentRef::Combination(&terms);
        let (_, opening) =
            pcs::open_row_combination(self.gens, decl.vars, decl.col_vars, v, None, comm, point, t, self.rng)?;
        self.proof.openings.openings.push(opening);
        Ok(())
    }

    fn close(&mut self, _openings: usize, _gamma: &[Fr]) -> Result<(), ProveError> {
        Ok(())
    }
}

type Produced = (sumcheck::SumcheckProof, Vec<Fr>, Vec<Fr>);

/// `inst` on `kernels` when chosen.
fn on_kernels<'b>(kernels: &Option<Arc<dyn Kernels>>, inst: ProductSum<'b>) -> ProductSum<'b> {
    match kernels {
        Some(k) => inst.with_kernels(k.clone()),
        None => inst,
    }
}

impl<R> Prover<'_, '_, '_, R> {
    /// `inst` on the prover's sumcheck kernels.
    fn on_kernels<'b>(&self, inst: ProductSum<'b>) -> ProductSum<'b> {
        on_kernels(&self.kernels, inst)
    }

    /// Tensor evaluations; consecutive queries at one point share its eq table.
    fn evaluations(&self, queries: &[(usize, Vec<Fr>)]) -> Result<Vec<Fr>, ProveError> {
        let mut out = Vec::with_capacity(queries.len());
        let mut last: Option<(&[Fr], SplitEq)> = None;
        for (tensor, point) in queries {
            let table = self.tables.get(*tensor).ok_or(ProveError::Params("tensor index"))?;
            let e = match last.take() {
                Some((p, e)) if p == point.as_slice() => (p, e),
                _ => (point.as_slice(), SplitEq::new(point)),
            };
            out.push(e.1.eval_i64(table));
            last = Some(e);
        }
        Ok(out)
    }

    fn build_trees(&mut self, alpha: Fr, beta: Fr) -> Result<(), ProveError> {
        let (set, tables) = (self.set, self.tables);
        let column = |t: usize| tables.get(t).copied().ok_or(ProveError::Params("lookup tensor index"));
        // trees in parallel (and each tree's layers in parallel inside)
        let mut trees: Vec<Tree> = set
            .lookups
            .par_iter()
            .map(|l| match l.columns.as_slice() {
                [(t, offset)] => Ok(Tree::lookup(column(*t)?, alpha - fr_from_i64(*offset))),
                cols => {
                    // leaves alpha - sum_c beta^c (T_c + offset_c)
                    let cols: Vec<(&[i64], Fr)> = cols
                        .iter()
                        .map(|&(t, o)| Ok((column(t)?, fr_from_i64(o))))
                        .collect::<Result<_, ProveError>>()?;
                    let n = cols.first().map_or(0, |c| c.0.len());
                    let q = (0..n)
                        .into_par_iter()
                        .map(|x| {
                            let v =
                                cols.iter().rev().fold(Fr::zero(), |acc, (c, o)| acc * beta + fr_from_i64(c[x]) + o);
                            alpha - v
                        })
                        .collect();
                    Ok(Tree::tuple(q))
                }
            })
            .collect::<Result<_, ProveError>>()?;
        for tb in &set.tables {
            let m = column(tb.multiplicities)?;
            let q = (0..m.len())
                .into_par_iter()
                .map(|i| tb.table.combined_row(beta, i).map(|t| alpha - t))
                .collect::<Option<Vec<Fr>>>()
                .ok_or(ProveError::Params("table rows"))?;
            trees.push(Tree::table(frs(m), q));
        }
        self.trees = trees;
        Ok(())
    }

    fn booleanity(&self, t: &mut Transcript, rhos: &[Vec<Fr>], sums: &[(Fr, usize)]) -> Result<Produced, ProveError> {
        let mut insts = Vec::with_capacity(rhos.len());
        for (b, rho) in self.set.bools.iter().zip(rhos) {
            let terms = vec![(Fr::one(), vec![0, 0]), (-Fr::one(), vec![0])];
            insts.push(self.on_kernels(
                ProductSum::with_lazy(vec![LazyMle::from_i64(self.tables[b.tensor])?], terms)?.with_eq(rho)?,
            ));
        }
        let (sc, point) = prove_batch(t, &mut insts, sums, self.degree)?;
        let post = insts.iter().map(|inst| final_eval(inst, 0)).collect();
        Ok((sc, point, post))
    }

    fn matmuls(
        &self,
        t: &mut Transcript,
        which: &[usize],
        rs: &[Vec<Fr>],
        sums: &[(Fr, usize)],
    ) -> Result<Produced, ProveError> {
        let rels: Vec<&MatmulRel> = which.iter().filter_map(|&i| self.set.matmuls.get(i)).collect();
        if rels.len() != rs.len() {
            return Err(ProveError::Params("matmul relations"));
        }
        let tables = self.tables;
        let mut insts = Vec::with_capacity(rels.len());
        for (m, r) in rels.iter().zip(rs) {
            let (rk, ri, rt) = m.split_r(r).ok_or(ProveError::Params("matmul point"))?;
            let s = m.shape;
            let (ni, nj, nk) = (1usize << s.li, 1usize << s.lj, 1usize << s.lk);
            let (e_i, e_k, e_t) = (eq_table(ri), eq_table(rk), eq_table(rt));
            let (x, y) = (&tables[m.x], &tables[m.y]);
            let fx = fold_operand(x, (ni * nj, nj, m.tau), &e_i, |i, j| s.x_index(i, j));
            let fy = fold_operand(y, (nj * nk, nj, m.tau), &e_k, |k, j| s.y_index(j, k));
            let et: Vec<Fr> = (0..nj << m.tau).map(|tj| e_t[tj / nj]).collect();
            insts.push(
                self.on_kernels(ProductSum::new(vec![mle(fx)?, mle(fy)?, mle(et)?], vec![(Fr::one(), vec![0, 1, 2])])?),
            );
        }
        let (sc, point) = prove_batch(t, &mut insts, sums, self.degree)?;
        let post = insts.iter().flat_map(|inst| [final_eval(inst, 0), final_eval(inst, 1)]).collect();
        Ok((sc, point, post))
    }

    fn masks(&self, t: &mut Transcript, rrs: &[Vec<Fr>], sums: &[(Fr, usize)]) -> Result<Produced, ProveError> {
        let mut insts = Vec::with_capacity(rrs.len());
        for (m, rr) in self.set.masks.iter().zip(rrs) {
            let len = 1usize << rr.len();
            let p0 = m.plane as usize * len;
            let plane = self.tables[m.planes].get(p0..p0 + len).ok_or(ProveError::Params("mask plane"))?;
            let mles = vec![LazyMle::from_i64(plane)?, LazyMle::from_i64(self.tables[m.cq])?];
            insts.push(self.on_kernels(ProductSum::with_lazy(mles, vec![(Fr::one(), vec![0, 1])])?.with_eq(rr)?));
        }
        let (sc, point) = prove_batch(t, &mut insts, sums, self.degree)?;
        let post = insts.iter().flat_map(|inst| [final_eval(inst, 0), final_eval(inst, 1)]).collect();
        Ok((sc, point, post))
    }

    fn paddings(&self, t: &mut Transcript, rhos: &[Vec<Fr>], sums: &[(Fr, usize)]) -> Result<Produced, ProveError> {
        let mut insts = Vec::with_capacity(rhos.len());
        for (p, rho) in self.set.paddings.iter().zip(rhos) {
            let local = padding_indicator(p.rows, p.cols, p.row_vars, p.col_vars);
            if local.is_empty() {
                return Err(ProveError::Params("padding shape"));
            }
            let ind = LazyMle::new(rho.len(), move |x| local[x % local.len()]);
            let terms = vec![(Fr::one(), vec![0, 1])];
            let inst = ProductSum::with_lazy(vec![ind, LazyMle::from_i64(self.tables[p.tensor])?], terms)?;
            insts.push(self.on_kernels(inst.with_eq(rho)?));
        }
        let (sc, point) = prove_batch(t, &mut insts, sums, self.degree)?;
        let post = insts.iter().map(|inst| final_eval(inst, 1)).collect();
        Ok((sc, point, post))
    }

    /// The GKR layer `k + 1` of the trees `active` (see `zkdl_circuit::protocol::lookup`).
    #[allow(clippy::too_many_arguments)]
    fn lookup_layer(
        &mut self,
        t: &mut Transcript,
        k: usize,
        (lambda, mu): (Fr, Fr),
        r: &[Fr],
        active: &[usize],
        unit: &[bool],
        sums: &[(Fr, usize)],
    ) -> Result<Produced, ProveError> {
        // the layers above the leaves read the products of their leaf pairs
        let pis: Vec<Option<Vec<i64>>> =
            active.iter().map(|&i| self.trees.get(i).and_then(|tr| tr.leaf_products(k + 1))).collect();
        let mut insts = Vec::with_capacity(active.len());
        for (pos, &i) in active.iter().enumerate() {
            let pi = pis.get(pos).and_then(|p| p.as_deref());
            let tree = self.trees.get_mut(i).ok_or(ProveError::Params("tree"))?;
            let (inst, leaves) = tree.instance(k + 1, lambda, mu, pi)?;
            if unit.get(pos) != Some(&leaves) {
                return Err(ProveError::Params("a lookup tree's leaf layer"));
            }
            insts.push(on_kernels(&self.kernels, inst.with_eq(r)?));
        }
        let (sc, point) = prove_batch(t, &mut insts, sums, self.degree)?;
        // per tree (p_lo, p_hi, q_lo, q_hi); a lookup's leaf layer sends only q_lo, q_hi
        let mut post = Vec::with_capacity(4 * active.len());
        for (inst, &leaves) in insts.iter().zip(unit) {
            if leaves {
                post.extend([final_eval(inst, 0) - mu, final_eval(inst, 1) - mu]);
            } else {
                // p_hi recovered from r_hi = p_hi + lambda q_hi
                let (p_lo, q_lo, q_hi, r_hi) =
                    (final_eval(inst, 0), final_eval(inst, 1), final_eval(inst, 2), final_eval(inst, 3));
                post.extend([p_lo, r_hi - lambda * q_hi, q_lo, q_hi]);
            }
        }
        Ok((sc, point, post))
    }

    /// The claim reduction's column stage: per (instance, tensor) the column vector
    /// `T(., hi)`, summed from the integers against `eq(hi, .)`; per instance their
    /// combination under `eq(lo, .)`.
    fn columns(
        &mut self,
        t: &mut Transcript,
        layout: &zkdl_circuit::relations::ReductionLayout,
        alpha: &[Fr],
        claims: &[Claim],
        sums: &[(Fr, usize)],
    ) -> Result<Produced, ProveError> {
        let at: Vec<(usize, &[Fr])> = claims.iter().map(|c| (c.tensor, c.point.as_slice())).collect();
        let split = |a: usize| layout.point(a, &at).ok_or(ProveError::Params("claim point"));
        let eq_hi = eq_of((0..layout.columns.len()).map(split).map(|p| p.map(|p| p.1)).collect::<Result<_, _>>()?);
        let (tables, set) = (self.tables, self.set);
        let cols: Vec<Vec<Fr>> = layout
            .posts
            .par_iter()
            .map(|&(a, tensor)| {
                let w = eq_hi.get(split(a)?.1).ok_or(ProveError::Params("claim point"))?;
                Ok(combine_rows_i64(table(tables, tensor)?, decl(set, tensor)?.col_vars, w))
            })
            .collect::<Result<_, ProveError>>()?;
        let mut insts = Vec::with_capacity(layout.columns.len());
        for (a, inst) in layout.columns.iter().enumerate() {
            let mut v = vec![Fr::zero(); 1usize << inst.col_vars];
            for (&k, &j) in inst.claims.iter().zip(&inst.claim_posts) {
                v.iter_mut().zip(&cols[j]).for_each(|(x, y)| *x += alpha[k] * y);
            }
            insts.push(
                self.on_kernels(ProductSum::new(vec![mle(v)?], vec![(Fr::one(), vec![0])])?.with_eq(split(a)?.0)?),
            );
        }
        let (sc, rho) = prove_batch(t, &mut insts, sums, self.degree)?;
        let col_sizes: Vec<usize> = layout.columns.iter().map(|c| c.col_vars).collect();
        self.eq_rho = eq_of(col_sizes.iter().map(|&c| suffix(&rho, c)).collect::<Result<_, _>>()?);
        let eq_rho = &self.eq_rho;
        let post = layout
            .posts
            .par_iter()
            .zip(&cols)
            .map(|(&(a, _), v)| Ok(inner_product(v, eq_rho_c(eq_rho, &rho, layout.columns[a].col_vars)?)))
            .collect::<Result<_, ProveError>>()?;
        Ok((sc, rho, post))
    }

    /// The claim reduction's row stage: the values are claims on `U_T = T(rho_c, .)`,
    /// one per claimed tensor.
    #[allow(clippy::too_many_arguments)]
    fn rows(
        &mut self,
        t: &mut Transcript,
        layout: &zkdl_circuit::relations::ReductionLayout,
        alpha2: &[Fr],
        claims: &[Claim],
        claimed: &[(usize, Vec<usize>)],
        rho: &[Fr],
        sums: &[(Fr, usize)],
    ) -> Result<Produced, ProveError> {
        let at: Vec<(usize, &[Fr])> = claims.iter().map(|c| (c.tensor, c.point.as_slice())).collect();
        let mut u: Vec<Vec<Fr>> = vec![Vec::new(); self.set.tensors.len()];
        let (tables, set, eq_rho) = (self.tables, self.set, &self.eq_rho);
        let rows_of: Vec<(usize, Vec<Fr>)> = claimed
            .par_iter()
            .map(|(tensor, _)| {
                let c = decl(set, *tensor)?.col_vars;
                Ok((*tensor, combine_cols_i64(table(tables, *tensor)?, c, eq_rho_c(eq_rho, rho, c)?)))
            })
            .collect::<Result<_, ProveError>>()?;
        for (tensor, v) in rows_of {
            u[tensor] = v;
        }
        let mut insts = Vec::with_capacity(layout.rows.len());
        for (b, inst) in layout.rows.iter().enumerate() {
            let mut v = vec![Fr::zero(); 1usize << inst.row_vars];
            for &j in &inst.posts {
                let tensor = layout.posts[j].1;
                if u[tensor].len() != v.len() {
                    return Err(ProveError::Params("claim point length"));
                }
                v.iter_mut().zip(&u[tensor]).for_each(|(x, y)| *x += alpha2[j] * y);
            }
            let hi = layout.row_instance_point(b, &at).ok_or(ProveError::Params("claim point"))?;
            insts.push(self.on_kernels(ProductSum::new(vec![mle(v)?], vec![(Fr::one(), vec![0])])?.with_eq(hi)?));
        }
        let (sc, sigma) = prove_batch(t, &mut insts, sums, self.degree)?;
        // every claimed tensor at (rho's suffix of its columns, sigma's of its rows)
        let eq_sigma = eq_of(layout.rows.iter().map(|r| suffix(&sigma, r.row_vars)).collect::<Result<_, _>>()?);
        let post = claimed
            .iter()
            .map(|(tensor, _)| {
                let d = decl(set, *tensor)?;
                let w = suffix(&sigma, d.vars - d.col_vars)
                    .and_then(|p| eq_sigma.get(p).ok_or(ProveError::Params("claim point")))?;
                Ok(inner_product(&u[*tensor], w))
            })
            .collect::<Result<_, ProveError>>()?;
        Ok((sc, sigma, post))
    }
}

fn table<'a>(tables: &[&'a [i64]], i: usize) -> Result<&'a [i64], ProveError> {
    tables.get(i).copied().ok_or(ProveError::Params("claim tensor"))
}

fn decl(set: &RelationSet, i: usize) -> Result<TensorDecl, ProveError> {
    set.tensors.get(i).copied().ok_or(ProveError::Params("claim tensor"))
}

/// The eq table of `rho`'s suffix of `c` coordinates.
fn eq_rho_c<'e>(eq_rho: &'e BTreeMap<Vec<Fr>, Vec<Fr>>, rho: &[Fr], c: usize) -> Result<&'e [Fr], ProveError> {
    let p = suffix(rho, c)?;
    eq_rho.get(p).map(Vec::as_slice).ok_or(ProveError::Params("claim point"))
}

fn suffix(p: &[Fr], n: usize) -> Result<&[Fr], ProveError> {
    Ok(protocol::suffix(p, n)?)
}

/// eq tables of the distinct points.
fn eq_of(points: Vec<&[Fr]>) -> BTreeMap<Vec<Fr>, Vec<Fr>> {
    points.into_iter().map(|p| (p.to_vec(), eq_table(p))).collect()
}

/// Prove every relation of `set` over `tables` (one per declared tensor, committed in
/// `comms`). The transcript must hold what the verifier's holds at this point. The MSMs
/// run on the generators' backend, the sumchecks on `kernels` (`None`: the CPU's,
/// `zkdl_core::sumcheck::CpuKernels`).
#[allow(clippy::too_many_arguments)]
pub fn prove_relations<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    kernels: Option<Arc<dyn Kernels>>,
    t: &mut Transcript,
    set: &RelationSet,
    tables: &[&[i64]],
    comms: &[&HyraxCommitment],
    rng: &mut R,
    phases: &mut Phases<'_>,
) -> Result<RelationProof, ProveError> {
    check_tables(set, tables, comms)?;
    let mut role = Prover::new(gens, kernels, set, tables, comms, rng, phases);
    protocol::run(&mut role, t, &Context { gens, set, comms })?;
    role.phases.finish();
    Ok(role.proof)
}

fn check_tables(set: &RelationSet, tables: &[&[i64]], comms: &[&HyraxCommitment]) -> Result<(), ProveError> {
    if tables.len() != set.tensors.len() || comms.len() != set.tensors.len() {
        return Err(ProveError::Params("one table and commitment per tensor"));
    }
    for (tab, d) in tables.iter().zip(&set.tensors) {
        if tab.len() != 1usize << d.vars {
            return Err(ProveError::Params("table length does not match its declaration"));
        }
    }
    Ok(())
}

impl<'a, 'r, 'p, R> Prover<'a, 'r, 'p, R> {
    fn new(
        gens: &'a HyraxGenerators,
        kernels: Option<Arc<dyn Kernels>>,
        set: &'a RelationSet,
        tables: &'a [&'a [i64]],
        comms: &'a [&'a HyraxCommitment],
        rng: &'r mut R,
        phases: &'r mut Phases<'p>,
    ) -> Self {
        let proof = RelationProof::default();
        let (trees, eq_rho) = (Vec::new(), BTreeMap::new());
        Prover { gens, kernels, set, tables, comms, rng, phases, proof, trees, eq_rho, degree: 0 }
    }
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
            // tuples outside the table have no row: the proof will fail
            Derivation::Multiplicities { table } => set.multiplicities(table, tables)?,
            Derivation::Cell { value, shift, w, part } => {
                let src = tables.get(value).ok_or(ProveError::Params("derived tensor index"))?;
                src.par_iter().map(|&z| part.of(zkdl_circuit::gadgets::grid_cell(z, shift, w))).collect()
            }
            Derivation::Column { lookup, column } => {
                let l = set.lookups.get(lookup).ok_or(ProveError::Params("lookup index"))?;
                let (key, offset) = l.first().ok_or(ProveError::Params("lookup index"))?;
                let src = tables.get(key).ok_or(ProveError::Params("derived tensor index"))?;
                // a key outside the table has no row: 0, and the lookup will fail
                let at = |z: i64| {
                    let row = z.checked_add(offset).and_then(|v| l.table.row_of_first(v))?;
                    l.table.entry(column, row)
                };
                src.par_iter().map(|&z| at(z).unwrap_or(0)).collect()
            }
            Derivation::Product { x, y, mult, shift, remainder } => {
                let (a, b) = (tables.get(x), tables.get(y));
                let (a, b) = a.zip(b).ok_or(ProveError::Params("derived tensor index"))?;
                let part = |(&u, &v): (&i64, &i64)| {
                    let p = (u as i128).wrapping_mul(v as i128).wrapping_mul(mult as i128);
                    let (q, r) = zkdl_core::field::rescale_round(p, shift);
                    if remainder {
                        r as i64
                    } else {
                        q as i64
                    }
                };
                a.par_iter().zip(b.par_iter()).map(part).collect()
            }
            Derivation::Affine { x, a, y, b } => {
                let (u, v) = (tables.get(x), tables.get(y));
                let (u, v) = u.zip(v).ok_or(ProveError::Params("derived tensor index"))?;
                u.par_iter()
                    .zip(v.par_iter())
                    .map(|(&u, &v)| a.wrapping_mul(u).wrapping_add(b.wrapping_mul(v)))
                    .collect()
            }
            Derivation::RowSum { x, cols_vars } => {
                let src = tables.get(x).ok_or(ProveError::Params("derived tensor index"))?;
                let n = 1usize.checked_shl(cols_vars).ok_or(ProveError::Params("row width"))?;
                src.par_chunks(n).map(|r| r.iter().fold(0i64, |a, &v| a.wrapping_add(v))).collect()
            }
            Derivation::Shifted { x, shift } => {
                let src = tables.get(x).ok_or(ProveError::Params("derived tensor index"))?;
                src.par_iter().map(|&v| zkdl_core::field::rescale_round(v as i128, shift).0 as i64).collect()
            }
            Derivation::Broadcast { x, cols_vars } => {
                let src = tables.get(x).ok_or(ProveError::Params("derived tensor index"))?;
                let n = 1usize.checked_shl(cols_vars).ok_or(ProveError::Params("row width"))?;
                src.iter().flat_map(|&v| std::iter::repeat_n(v, n)).collect()
            }
            Derivation::Virtual { index } => {
                let v = set.virtuals.get(index).ok_or(ProveError::Params("virtual tensor index"))?;
                let len = tables.get(v.tensor).map_or(0, |_| 1usize << set.vars(v.tensor).unwrap_or(0));
                let mut out = vec![v.constant; len];
                for &(t, c) in &v.terms {
                    let src = tables.get(t).ok_or(ProveError::Params("virtual term"))?;
                    out.par_iter_mut().zip(src.par_iter()).for_each(|(o, &x)| *o = o.wrapping_add(c.wrapping_mul(x)));
                }
                out
            }
        };
        *tables.get_mut(i).ok_or(ProveError::Params("derived tensor index"))? = v;
    }
    Ok(())
}

/// The claim reduction and openings alone for the claims `(tensor, point, value)` on
/// the tensors of `set` (tables and commitments one per tensor): for tests of the
/// reduction with chosen, possibly false, claims (its sumchecks on the CPU's kernels).
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
    phases: &mut Phases<'_>,
) -> Result<OpeningProof, ProveError> {
    check_tables(set, tables, comms)?;
    let claims: Vec<Claim> = claims
        .iter()
        .map(|(tensor, point, value)| Claim { tensor: *tensor, point: point.clone(), value: *value })
        .collect();
    let mut role = Prover::new(gens, None, set, tables, comms, rng, phases);
    protocol::reduce(&mut role, t, &Context { gens, set, comms }, &claims)?;
    Ok(role.proof.openings)
}
