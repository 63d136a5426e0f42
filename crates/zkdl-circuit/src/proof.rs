//! The statement and proof of training (T steps of SGD on committed data), with
//! FAC4DNN aggregation: every tensor of every step is STACKED over the steps (the step
//! index as the last `tau = ceil(log2 T)` variables; `2^tau - T` dummy steps of
//! all-zero weights and data fill the stack), and [`training_layout`] declares ONE
//! relation per (kind, layer) over the stacks, proven by the aggregated relation
//! system of [`crate::relations`]. The weight chain `W^(t+1) = W^(t) - ΔW^(t)` is one
//! linear relation between two stacks assembled from the same per-step commitments:
//! `W_before = [W^(0), W^(1), ..., W^(T-1), 0...]`, `W_after = [W^(1), ..., W^(T), 0...]`,
//! where `W^(0)`, `W^(T)` are the statement's and `W^(1..T-1)` the proof's.
//!
//! Shapes that are not powers of two are padded with zeros (batch rows and layer
//! widths). The proof shows that the padding of the statement's inputs (`W^(0)`, every
//! `X_t`, `Y_t`) is zero (a padding relation, [`crate::relations::PaddingRel`]); from zero inputs the
//! padded parts of every later tensor are forced to zero (or, for remainders, to the
//! rounding constant) by the relations themselves, so padding cannot change the result.
//! With a bias the batch must be a power of two (padded batch rows would receive the
//! bias); the bias vector's padding is proven zero like the weights'.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use zkdl_core::pcs::{self, split_vars, HyraxCommitment, HyraxGenerators, Table};
use zkdl_core::transcript::{labels, Transcript};

use crate::gadgets::{MatmulForm, MatmulShape, RescaleSpec};
use crate::relations::{Derivation, LinearRel, MaskRel, MatmulRel, PaddingRel, RelationProof, RelationSet, VirtualRel};
use crate::spec::{CircuitSpec, Loss};

/// Why a circuit has no training layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// The circuit cannot be proven as it is (or the layout is inconsistent).
    #[error("{0}")]
    Unsupported(&'static str),
    /// The relation set it gives is not well formed.
    #[error("relation set: {0}")]
    Set(#[from] crate::relations::SetError),
}

/// What a proof is about: the circuit (by digest) and the public commitments.
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Statement {
    pub digest: [u8; 32],
    /// The position in the training run of this proof's first step (`0` for the first
    /// chunk of a run; a continued chunk starts where its predecessor ends).
    pub step_offset: u64,
    /// `true`: `w_initial` commits to the initial weights at their initialisation
    /// scale, `w` with `W^(0) = 2^(fw - f) w` (see [`initial_weights_commitment`]), and
    /// this proof range-checks `w` (`train.init_bits`) and `b^(0)` (`fixed.total_bits`).
    /// `false` (a continued chunk): `w_initial` commits to `W^(0)` itself, the previous
    /// chunk's `W^(T)`, whose range that chunk's chain carries; not checked again.
    pub initial_checked: bool,
    /// The digest of the committed dataset ([`crate::dataset::DatasetCommitment`]) whose
    /// rows the batches are, at the positions of the public schedule
    /// ([`crate::dataset::schedule_row`]); checked by a verifier that holds the dataset's
    /// commitment. `None`: the batches are any data.
    pub dataset: Option<[u8; 32]>,
    /// Per step: commitments to the input batch `X_t` and targets `Y_t`.
    pub data: Vec<(HyraxCommitment, HyraxCommitment)>,
    /// Per layer: `W^(0)` (or `w`, see [`Statement::initial_checked`]) and `W^(T)`.
    pub w_initial: Vec<HyraxCommitment>,
    pub w_final: Vec<HyraxCommitment>,
    /// Per layer with a bias: `b^(0)` and `b^(T)`.
    pub b_initial: Vec<Option<HyraxCommitment>>,
    pub b_final: Vec<Option<HyraxCommitment>>,
    /// Per PReLU layer: its learned slopes `alpha^(0)` and `alpha^(T)` (scale `2^f`).
    pub s_initial: Vec<Option<HyraxCommitment>>,
    pub s_final: Vec<Option<HyraxCommitment>>,
}

impl Statement {
    /// The commitments of `param` at the start (`initial`) or the end of the proof's
    /// steps, per layer (`None` where a layer has no such parameter).
    pub fn params(&self, param: Param, initial: bool) -> Vec<Option<&HyraxCommitment>> {
        match (param, initial) {
            (Param::Weights, true) => self.w_initial.iter().map(Some).collect(),
            (Param::Weights, false) => self.w_final.iter().map(Some).collect(),
            (Param::Bias, true) => self.b_initial.iter().map(Option::as_ref).collect(),
            (Param::Bias, false) => self.b_final.iter().map(Option::as_ref).collect(),
            (Param::Slope, true) => self.s_initial.iter().map(Option::as_ref).collect(),
            (Param::Slope, false) => self.s_final.iter().map(Option::as_ref).collect(),
        }
    }
}

/// A trained parameter of a layer, chained from step to step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Param {
    /// `W`.
    Weights,
    /// `b`.
    Bias,
    /// PReLU's slopes `alpha`.
    Slope,
}

/// Absorb the statement (after the protocol domain): digest, then every commitment.
pub fn absorb_statement(t: &mut Transcript, s: &Statement) {
    t.append_message(labels::STATEMENT_DIGEST, &s.digest);
    t.append_u64(labels::STATEMENT_COMMITMENT, s.step_offset);
    t.append_u64(labels::STATEMENT_COMMITMENT, s.initial_checked as u64);
    match &s.dataset {
        Some(d) => t.append_message(labels::STATEMENT_DATASET, d),
        None => t.append_message(labels::STATEMENT_DATASET, b"none"),
    }
    t.append_u64(labels::STATEMENT_COMMITMENT, s.data.len() as u64);
    for (x, y) in &s.data {
        t.append_points(labels::STATEMENT_COMMITMENT, &x.rows);
        t.append_points(labels::STATEMENT_COMMITMENT, &y.rows);
    }
    t.append_u64(labels::STATEMENT_COMMITMENT, s.w_initial.len() as u64);
    for c in s.w_initial.iter().chain(&s.w_final) {
        t.append_points(labels::STATEMENT_COMMITMENT, &c.rows);
    }
    for (initial, last) in [(&s.b_initial, &s.b_final), (&s.s_initial, &s.s_final)] {
        t.append_u64(labels::STATEMENT_COMMITMENT, initial.len() as u64);
        for c in initial.iter().chain(last) {
            match c {
                Some(c) => t.append_points(labels::STATEMENT_COMMITMENT, &c.rows),
                None => t.append_u64(labels::STATEMENT_COMMITMENT, 0),
            }
        }
    }
}

/// Real and padded (power-of-two) shapes of a circuit's tensors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofDims {
    /// Real batch and widths `d_0..d_L`.
    pub batch: usize,
    pub dims: Vec<usize>,
    /// Base-2 logarithms of the padded batch and widths.
    pub lb: usize,
    pub log_dims: Vec<usize>,
}

fn log2_ceil(x: usize) -> usize {
    x.next_power_of_two().trailing_zeros() as usize
}

/// The shapes of `spec`'s tensors in a proof; refuses circuits proofs do not support.
pub fn proof_dims(spec: &CircuitSpec) -> Result<ProofDims, LayoutError> {
    if spec.model.layers.iter().any(|l| l.bias) && !spec.train.batch.is_power_of_two() {
        return Err(LayoutError::Unsupported("proofs of layers with bias need a power-of-two batch"));
    }
    let dims = spec.dims();
    Ok(ProofDims {
        batch: spec.train.batch,
        lb: log2_ceil(spec.train.batch),
        log_dims: dims.iter().map(|&d| log2_ceil(d)).collect(),
        dims,
    })
}

/// The proof of training.
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct TrainingProof {
    /// Per layer: `W^(1)..W^(T-1)`, empty where the verifier derives them from `W^(0)`
    /// and the committed updates (`zkdl_verifier::training::chain_is_derived`).
    pub w_mid: Vec<Vec<HyraxCommitment>>,
    /// Per layer: `b^(1)..b^(T-1)` (empty without a bias or where derived).
    pub b_mid: Vec<Vec<HyraxCommitment>>,
    /// Per layer: PReLU's `alpha^(1)..alpha^(T-1)` (empty without PReLU or where derived).
    pub s_mid: Vec<Vec<HyraxCommitment>>,
    /// The stacked tensors the prover commits ([`TrainingLayout::is_committed_in_proof`]),
    /// in layout order.
    pub tensors: Vec<HyraxCommitment>,
    pub relations: RelationProof,
}

/// What a tensor of the training layout is. Stacks run over the `2^tau` (padded) steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorKind {
    /// Stacked inputs `X_t` / targets `Y_t` (statement; zero for dummy steps).
    Inputs,
    Targets,
    /// The all-ones batch vector, stacked (public).
    Ones,
    /// Stacked weights / biases before and after each step (statement and proof).
    WeightsBefore(usize),
    WeightsAfter(usize),
    BiasBefore(usize),
    BiasAfter(usize),
    /// `W^(0)`, `b^(0)` of a layer (statement; for the padding and, in a first chunk,
    /// the range relations; a first chunk's is `w`, see [`Statement::initial_checked`]).
    InitialWeights(usize),
    InitialBias(usize),
    /// PReLU's slopes before and after each step (statement and proof), `alpha^(0)`
    /// (statement, range-checked in a first chunk), the slopes broadcast over the batch
    /// rows, and the update with its remainders.
    SlopeBefore(usize),
    SlopeAfter(usize),
    InitialSlope(usize),
    SlopeRows(usize),
    Ds(usize),
    DsRem(usize),
    /// Stacked per-layer tensors committed in the proof.
    Zq(usize),
    Rem(usize),
    Act(usize),
    Grad(usize),
    GaQ(usize),
    GaRem(usize),
    Dw(usize),
    DwRem(usize),
    Db(usize),
    DbRem(usize),
    /// Digits, sign bits and lookup multiplicities of the range relations.
    Derived(Derivation),
    /// The class indicator `u` of softmax cross-entropy, stacked (public): 1 on the
    /// last layer's first `classes` outputs, 0 on the rest.
    ClassOnes {
        classes: usize,
    },
    /// A stacked tensor of softmax cross-entropy ([`crate::loss`]).
    Loss(crate::loss::LossPart),
}

impl TensorKind {
    /// The parameter of a stack of a layer's parameters before or after each step, and
    /// whether after.
    pub fn param(&self) -> Option<(Param, bool)> {
        match self {
            TensorKind::WeightsBefore(_) => Some((Param::Weights, false)),
            TensorKind::WeightsAfter(_) => Some((Param::Weights, true)),
            TensorKind::BiasBefore(_) => Some((Param::Bias, false)),
            TensorKind::BiasAfter(_) => Some((Param::Bias, true)),
            TensorKind::SlopeBefore(_) => Some((Param::Slope, false)),
            TensorKind::SlopeAfter(_) => Some((Param::Slope, true)),
            _ => None,
        }
    }

    /// Whether the proof carries this tensor's commitment in [`TrainingProof::tensors`].
    pub fn is_proof_tensor(&self) -> bool {
        !matches!(
            self,
            TensorKind::Inputs
                | TensorKind::Targets
                | TensorKind::Ones
                | TensorKind::ClassOnes { .. }
                | TensorKind::WeightsBefore(_)
                | TensorKind::WeightsAfter(_)
                | TensorKind::BiasBefore(_)
                | TensorKind::BiasAfter(_)
                | TensorKind::InitialWeights(_)
                | TensorKind::InitialBias(_)
                | TensorKind::SlopeBefore(_)
                | TensorKind::SlopeAfter(_)
                | TensorKind::InitialSlope(_)
        )
    }
}

/// The relation set of a training proof and what each tensor is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingLayout {
    pub set: RelationSet,
    pub kinds: Vec<TensorKind>,
    /// `ceil(log2 T)`: the stack variables.
    pub tau: usize,
    pub steps: usize,
    /// Column split of the per-step statement commitments, by their size (see
    /// [`TrainingLayout::statement_col_vars`]).
    pub statement_cols: std::collections::BTreeMap<usize, usize>,
    /// Column variables of one step's data batch `X_t` and targets `Y_t`
    /// ([`data_col_vars`] of the padded feature and target widths): whole samples per
    /// Hyrax row, so that a batch's commitment is rows of a dataset's
    /// ([`crate::dataset`]).
    pub data_cols: [usize; 2],
    /// Whether this layout range-checks the statement's `W^(0)` and `b^(0)`
    /// ([`Statement::initial_checked`]).
    pub initial_checked: bool,
    /// `W^(0) = 2^init_shift w` in a first chunk: the weights' fractional bits less `f`.
    pub init_shift: u32,
}

impl TrainingLayout {
    /// Whether the proof carries tensor `i`'s commitment (a proof tensor that is not
    /// virtual).
    pub fn is_committed_in_proof(&self, i: usize) -> bool {
        self.kinds.get(i).is_some_and(|k| k.is_proof_tensor()) && !self.set.is_virtual(i)
    }

    /// Number of tensors the proof commits.
    pub fn num_proof_tensors(&self) -> usize {
        (0..self.kinds.len()).filter(|&i| self.is_committed_in_proof(i)).count()
    }

    /// Column variables of a per-step statement commitment (data batch, weights, bias,
    /// intermediate weights) of `vars` variables: for one step, the split of the proof's
    /// tensors of that size, so that they are opened together.
    pub fn statement_col_vars(&self, vars: usize) -> usize {
        self.statement_cols.get(&vars).copied().unwrap_or_else(|| split_vars(vars).1)
    }

    /// Rows of a per-step statement commitment of `vars` variables.
    pub fn statement_rows(&self, vars: usize) -> usize {
        1usize << (vars - self.statement_col_vars(vars).min(vars))
    }

    /// Column variables of one step's data (`inputs`: `X_t`, else `Y_t`).
    pub fn data_col_vars(&self, inputs: bool) -> usize {
        self.data_cols[usize::from(!inputs)]
    }

    /// Rows of one step's data commitment of `vars` variables (`inputs`: `X_t`).
    pub fn data_rows(&self, vars: usize, inputs: bool) -> usize {
        1usize << vars.saturating_sub(self.data_col_vars(inputs))
    }

    /// Commit to a per-step statement tensor of `vars` variables (no blinding).
    pub fn commit_statement(
        &self,
        gens: &HyraxGenerators,
        vars: usize,
        table: &[i64],
    ) -> Result<HyraxCommitment, zkdl_core::PcsError> {
        pcs::commit_split(gens, vars, self.statement_col_vars(vars), Table::Small(table), None)
    }
}

/// The commitment of `W^(0)` of a first chunk from the statement's commitment of `w`
/// (`W^(0) = 2^shift w`): every row times `2^shift` (`shift` doublings). The prover and
/// the verifier both take `W^(0)`'s commitment from here.
pub fn initial_weights_commitment(w: &HyraxCommitment, shift: u32) -> HyraxCommitment {
    use ark_ec::{AdditiveGroup, CurveGroup};
    if shift == 0 {
        return w.clone();
    }
    let scaled: Vec<zkdl_core::G1Projective> = w
        .rows
        .iter()
        .map(|p| {
            let mut q = zkdl_core::G1Projective::from(*p);
            for _ in 0..shift {
                q.double_in_place();
            }
            q
        })
        .collect();
    HyraxCommitment { rows: zkdl_core::G1Projective::normalize_batch(&scaled) }
}

/// Column variables of a data sample of `2^log_width` entries (features or targets):
/// the whole sample in one Hyrax row, or `2^(log_width - 12)` rows of the widest
/// split. Independent of the batch and the number of steps, so that one dataset
/// commitment serves every circuit over the same data.
pub fn data_col_vars(log_width: usize) -> usize {
    log_width.min(MAX_PROOF_COL_VARS)
}

/// Commit to a table of whole samples of `2^sample_vars` entries each (`vars` variables
/// in all, no blinding) with the data's split [`data_col_vars`]: a step's batch or
/// targets in a statement, and the samples of a dataset, row for row alike.
pub fn commit_samples(
    gens: &HyraxGenerators,
    vars: usize,
    sample_vars: usize,
    table: &[i64],
) -> Result<HyraxCommitment, zkdl_core::PcsError> {
    let col = data_col_vars(sample_vars).min(vars);
    pcs::commit_split(gens, vars, col, Table::Small(table), None)
}

/// Largest column split of the prover's own tensors: `2^12` columns, the generators the
/// verifier ships (`zkdl_verifier::training::training_generators`).
pub const MAX_PROOF_COL_VARS: usize = 12;

/// Column variables of `count` committed tensors of `vars` variables, which are opened
/// together: the split that minimises their bytes in the proof (`count` commitments of
/// `2^(vars - col)` rows of 96 bytes on the wire, one clear opening tail of `2^col` scalars of 32
/// bytes), at least the balanced split, at most [`MAX_PROOF_COL_VARS`]. Fewer rows are
/// also fewer terms in the verifier's MSM and longer, cheaper row MSMs for the prover.
pub fn group_col_vars(vars: usize, count: usize) -> usize {
    let lo = split_vars(vars).1;
    let hi = MAX_PROOF_COL_VARS.min(vars).max(lo);
    let point = zkdl_core::pcs::WIRE_POINT_BYTES as u128;
    let cost = |c: usize| (count.max(1) as u128) * point * (1u128 << (vars - c)) + 32 * (1u128 << c);
    (lo..=hi).min_by_key(|&c| (cost(c), c)).unwrap_or(lo)
}

/// Sets every tensor's column split once the layout is complete: tensors of one size
/// share [`group_col_vars`] of their number; tensors assembled from per-step statement
/// commitments take, per step, the split of the proof's tensors of the stacked size;
/// the data and targets take whole samples per row (`data_cols`), and so do the digits
/// of their range relations (so that those relations hold row by row on the commitments).
/// `fixed`: counts by size to use instead of this layout's own where given.
fn assign_column_splits(b: &mut Builder, fixed: Option<&Counts>, data_cols: [usize; 2]) -> (Counts, Counts) {
    let mut count: Counts = Counts::new();
    for (i, d) in b.set.tensors.iter().enumerate() {
        if !b.set.is_virtual(i) {
            *count.entry(d.vars).or_insert(0) += 1;
        }
    }
    let counted = |vars: usize| fixed.and_then(|f| f.get(&vars)).or(count.get(&vars)).copied().unwrap_or(1);
    let col_of = |vars: usize| group_col_vars(vars, counted(vars));
    let tau = b.tau;
    let mut statement_cols = std::collections::BTreeMap::new();
    for i in 0..b.set.tensors.len().min(b.kinds.len()) {
        let data_split = |t: usize| match b.kinds.get(t) {
            Some(TensorKind::Inputs) => Some(data_cols[0]),
            Some(TensorKind::Targets) => Some(data_cols[1]),
            _ => None,
        };
        let kind = b.kinds[i];
        let own_split = match kind {
            TensorKind::Derived(Derivation::Digit { value, .. }) => data_split(value),
            _ => data_split(i),
        };
        let d = &mut b.set.tensors[i];
        if let Some(c) = own_split {
            d.col_vars = c.min(d.vars);
            continue;
        }
        let local = match kind {
            _ if kind.is_proof_tensor() => None,
            TensorKind::InitialWeights(_) | TensorKind::InitialBias(_) | TensorKind::InitialSlope(_) => Some(d.vars),
            _ => Some(d.vars.saturating_sub(tau)),
        };
        d.col_vars = match local {
            None => col_of(d.vars),
            Some(local) => {
                let c = col_of(local + tau).min(local);
                statement_cols.insert(local, c);
                c
            }
        };
    }
    (statement_cols, count)
}

/// The training layout under construction: what an activation
/// ([`crate::activation::ActivationFn`]) adds its tensors and relations to.
pub struct Builder {
    pub(crate) set: RelationSet,
    kinds: Vec<TensorKind>,
    tau: usize,
    /// The public ones vector of the batch, where the layout has one.
    pub(crate) ones: Option<usize>,
    /// The rounding of a per-unit parameter's update from a gradient at scale `2^(2f)`
    /// (PReLU's slopes): `mult = m`, `shift = f + e`, `train.update_bits`.
    pub(crate) param_update: RescaleSpec,
    /// `log2` of the padded batch and widths `d_0..d_L`.
    lb: usize,
    log_dims: Vec<usize>,
}

impl Builder {
    /// A tensor of `kind` with as many variables as tensor `like`.
    pub(crate) fn like(&mut self, kind: TensorKind, like: usize) -> Result<usize, LayoutError> {
        let vars = self.set.vars(like)?;
        self.kinds.push(kind);
        Ok(self.set.tensor(vars, 0))
    }

    /// The stack variables.
    pub(crate) fn tau(&self) -> usize {
        self.tau
    }

    /// `log2` of the padded batch and of layer `layer`'s padded width.
    pub(crate) fn shape(&self, layer: usize) -> Result<(usize, usize), LayoutError> {
        let width = self.log_dims.get(layer + 1).ok_or(LayoutError::Unsupported("layer index"))?;
        Ok((self.lb, *width))
    }

    /// The tensor of `kind`, if declared.
    pub(crate) fn find(&self, kind: TensorKind) -> Option<usize> {
        self.kinds.iter().position(|&k| k == kind)
    }

    /// A stacked tensor of `local` variables per step.
    pub(crate) fn stacked(&mut self, kind: TensorKind, local: usize) -> usize {
        // column splits are set at the end ([`assign_column_splits`])
        self.kinds.push(kind);
        self.set.tensor(local + self.tau, 0)
    }

    fn single(&mut self, kind: TensorKind, vars: usize) -> usize {
        self.kinds.push(kind);
        self.set.tensor(vars, 0)
    }

    /// Records the kinds of tensors a gadget declared (`derived`, in declaration order,
    /// each the next tensor).
    pub(crate) fn derived(&mut self, derived: &[(usize, Derivation)]) -> Result<(), LayoutError> {
        for &(t, d) in derived {
            if t != self.kinds.len() {
                return Err(LayoutError::Unsupported("a gadget's tensors out of order"));
            }
            self.kinds.push(TensorKind::Derived(d));
        }
        if self.kinds.len() != self.set.tensors.len() {
            return Err(LayoutError::Unsupported("a gadget's tensors without a kind"));
        }
        Ok(())
    }

    /// A range relation on `value`; returns the sign tensor when asked for.
    pub(crate) fn range(
        &mut self,
        value: usize,
        bits: u32,
        offset: i64,
        sign: bool,
    ) -> Result<Option<usize>, LayoutError> {
        // values split into digits are virtual: only the digits are committed
        let r = self.set.range_with(value, bits, offset, sign, true)?;
        for (_, d) in &r.derived {
            self.kinds.push(TensorKind::Derived(*d));
        }
        Ok(r.sign)
    }

    /// `0 <= value + offset < 2^bits` with `value` staying committed (or virtual as it
    /// is): looked up directly (at most 16 bits) or split into digits tied to it by a
    /// linear relation.
    pub(crate) fn range_committed(&mut self, value: usize, bits: u32, offset: i64) -> Result<(), LayoutError> {
        let r = self.set.range_with(value, bits, offset, false, false)?;
        for (_, d) in &r.derived {
            self.kinds.push(TensorKind::Derived(*d));
        }
        Ok(())
    }

    /// The rounded elementwise product `mult (planes ⊙ cq) + 2^(shift-1) = 2^shift out + R`
    /// (`spec`): declares the remainder `R` (derived from `cq` and `planes`) with its range
    /// of `shift` bits, and the mask; `out`'s range is the caller's. Returns `R`.
    pub(crate) fn rounded_product(
        &mut self,
        cq: usize,
        planes: usize,
        out: usize,
        spec: RescaleSpec,
    ) -> Result<usize, LayoutError> {
        let (mult, shift) = (spec.mult, spec.shift);
        let product = Derivation::Product { x: cq, y: planes, mult, shift, remainder: true };
        let rem = self.like(TensorKind::Derived(product), out)?;
        self.range(rem, shift, 0, false)?;
        self.set.masks.push(MaskRel { cq, out, planes, plane: 0, rescale: Some((spec, rem)) });
        Ok(rem)
    }

    /// The elementwise product `out = planes ⊙ cq` (a mask), or with `spec` its rounding
    /// ([`Builder::rounded_product`]), `out` derived from both like `like`'s size. Returns `out`.
    pub(crate) fn product(
        &mut self,
        cq: usize,
        planes: usize,
        like: usize,
        spec: Option<RescaleSpec>,
    ) -> Result<usize, LayoutError> {
        let (mult, shift) = spec.map_or((1, 0), |s| (s.mult, s.shift));
        let out = self
            .like(TensorKind::Derived(Derivation::Product { x: cq, y: planes, mult, shift, remainder: false }), like)?;
        match spec {
            Some(spec) => {
                self.rounded_product(cq, planes, out, spec)?;
            }
            None => self.set.masks.push(MaskRel { cq, out, planes, plane: 0, rescale: None }),
        }
        Ok(out)
    }

    /// A virtual tensor `sum_k c_k T_k + constant` over committed tensors, of the size
    /// of tensor `like`.
    pub(crate) fn virtual_tensor(
        &mut self,
        like: usize,
        terms: Vec<(usize, i64)>,
        constant: i64,
    ) -> Result<usize, LayoutError> {
        let index = self.set.virtuals.len();
        let t = self.like(TensorKind::Derived(Derivation::Virtual { index }), like)?;
        self.set.virtuals.push(VirtualRel { tensor: t, terms, constant });
        Ok(t)
    }

    /// `value` (a tensor of the statement, which stays committed) is a signed value of
    /// `bits` bits: looked up directly (at most 16 bits) or split into digits tied to
    /// it by a linear relation.
    fn signed_statement_range(&mut self, value: usize, bits: u32) -> Result<(), LayoutError> {
        let offset = 1i64.checked_shl(bits.saturating_sub(1)).ok_or(LayoutError::Unsupported("range bit width"))?;
        let r = self.set.range_with(value, bits, offset, false, false)?;
        for (_, d) in &r.derived {
            self.kinds.push(TensorKind::Derived(*d));
        }
        Ok(())
    }

    /// A rescaled matmul with the range relations of its output and remainders (an
    /// exact product, `rem: None`, has neither); returns the sign tensor of `cq` when
    /// asked for.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn matmul(
        &mut self,
        shape: MatmulShape,
        rescale: RescaleSpec,
        x: usize,
        y: usize,
        cq: usize,
        rem: Option<usize>,
        bias: Option<usize>,
        sign: bool,
        range_out: bool,
    ) -> Result<Option<usize>, LayoutError> {
        if sign && !range_out {
            return Err(LayoutError::Unsupported("a sign tensor without the output's range"));
        }
        let s = match rem {
            Some(rem) => {
                self.range(rem, rescale.shift, 0, false)?;
                let q = rescale.total_bits;
                if range_out {
                    self.range(cq, q, 1i64 << (q - 1), sign)?
                } else {
                    None
                }
            }
            None if sign => return Err(LayoutError::Unsupported("an exact product has no sign tensor")),
            None => None,
        };
        self.set.matmuls.push(MatmulRel { shape, tau: self.tau, rescale, x, y, cq, rem, bias, at: None });
        Ok(s)
    }
}

/// The two layouts of a circuit's training proofs, built once: a first chunk's
/// (`W^(0)` and `b^(0)` range-checked) and a continued chunk's, whose column splits
/// the first takes (see [`training_layout_for`]).
#[derive(Debug, Clone)]
pub struct Layouts {
    pub first: TrainingLayout,
    pub continued: TrainingLayout,
}

impl Layouts {
    /// Both layouts of `spec`.
    pub fn new(spec: &CircuitSpec) -> Result<Self, LayoutError> {
        let (continued, counts) = build_layout(spec, false, None)?;
        let first = build_layout(spec, true, Some(&counts))?.0;
        Ok(Layouts { first, continued })
    }

    /// The layout of a chunk that checks its initial weights (a first chunk) or not.
    pub fn into_layout(self, initial_checked: bool) -> TrainingLayout {
        if initial_checked {
            self.first
        } else {
            self.continued
        }
    }

    /// The number of variables the generators must cover: twice the widest column
    /// split of either layout's tensors (chunks of one run share their generators).
    pub fn generator_vars(&self) -> usize {
        let widest = |l: &TrainingLayout| l.set.tensors.iter().map(|t| t.col_vars).max().unwrap_or(0);
        2 * widest(&self.first).max(widest(&self.continued))
    }
}

/// The relation set of a first chunk's proof of `spec`
/// ([`training_layout_for`] with `initial_checked`).
pub fn training_layout(spec: &CircuitSpec) -> Result<TrainingLayout, LayoutError> {
    training_layout_for(spec, true)
}

/// The relation set of a training proof of `spec` (zero-padded shapes, `T` steps
/// stacked over `2^tau`): per layer the forward matmul with its zkReLU mask, the
/// backward matmul masked with the forward sign bits, the weight (and bias) update
/// with its rounding, the weight (and bias) chain; the loss gradient and its range;
/// the ranges of the data and targets of every step; zero padding of `W^(0)`, `b^(0)`
/// and the data stacks; with `initial_checked` (a first chunk), the ranges of `w`
/// (`W^(0) = 2^(fw - f) w`) and `b^(0)`.
///
/// The statement's column splits are those of the continued chunk's layout in both
/// cases, so that a chunk's `W^(0)`, `b^(0)` commitments are its predecessor's `W^(T)`,
/// `b^(T)`.
pub fn training_layout_for(spec: &CircuitSpec, initial_checked: bool) -> Result<TrainingLayout, LayoutError> {
    let (continued, counts) = build_layout(spec, false, None)?;
    match initial_checked {
        false => Ok(continued),
        true => Ok(build_layout(spec, true, Some(&counts))?.0),
    }
}

/// Tensors by number of variables.
type Counts = std::collections::BTreeMap<usize, usize>;

/// The layout, and its number of committed tensors by size; column splits are chosen
/// by the `counts` given (the continued chunk's: both layouts split every size alike).
fn build_layout(
    spec: &CircuitSpec,
    initial_checked: bool,
    counts: Option<&Counts>,
) -> Result<(TrainingLayout, Counts), LayoutError> {
    let pd = proof_dims(spec)?;
    let (lb, d) = (pd.lb, &pd.log_dims);
    let nl = spec.model.layers.len();
    let steps = spec.train.steps;
    if steps == 0 || nl == 0 {
        return Err(LayoutError::Unsupported("a training proof needs at least one step and one layer"));
    }
    let tau = steps.next_power_of_two().trailing_zeros() as usize;
    let param_update = RescaleSpec { mult: 1, shift: 1, total_bits: 2 };
    let mut b = Builder {
        set: RelationSet::default(),
        kinds: Vec::new(),
        tau,
        ones: None,
        param_update,
        lb,
        log_dims: d.clone(),
    };
    let dim = |i: usize| d.get(i).copied().ok_or(LayoutError::Unsupported("layer index"));
    let (f, q) = (spec.fixed.frac_bits, spec.fixed.total_bits);
    let fp = spec.fixed_point().map_err(|_| LayoutError::Unsupported("the fixed point"))?;
    let fw = spec.weight_frac_bits();
    // forward and backward products are at scale 2^(f + fw)
    let resc = RescaleSpec { mult: 1, shift: fw, total_bits: q };
    let u = spec.train.update_bits;
    let upd = RescaleSpec { mult: spec.train.lr_mantissa, shift: f + spec.train.lr_shift, total_bits: u };
    let bias_upd = RescaleSpec { mult: spec.train.lr_mantissa, shift: spec.train.lr_shift, total_bits: u };

    let x = b.stacked(TensorKind::Inputs, lb + dim(0)?);
    let y = b.stacked(TensorKind::Targets, lb + dim(nl)?);
    // The statement's data and targets are signed values of the declared widths.
    b.signed_statement_range(x, spec.train.data_bits)?;
    b.signed_statement_range(y, q)?;
    let has_bias = spec.model.layers.iter().any(|l| l.bias);
    let softmax = matches!(spec.train.loss, Loss::SoftmaxCrossEntropy { .. });
    let prelu = |l: &crate::spec::LayerSpec| l.activation == crate::spec::Activation::Prelu;
    let has_prelu = spec.model.layers.iter().any(prelu);
    let ones = if has_bias || softmax || has_prelu { Some(b.stacked(TensorKind::Ones, lb)) } else { None };
    b.ones = ones;
    b.param_update = upd;
    let mut input = x;
    let mut activations = Vec::with_capacity(nl);
    let mut grads = Vec::with_capacity(nl);
    let mut inputs = Vec::with_capacity(nl);
    let mut weights = Vec::with_capacity(nl);
    let mut forward = Vec::with_capacity(nl);
    // Forward, with per-layer tensors.
    for (l, layer) in spec.model.layers.iter().enumerate() {
        let (din, dout) = (dim(l)?, dim(l + 1)?);
        let activation =
            layer.activation.function(fp).map_err(|_| LayoutError::Unsupported("the activation's table"))?;
        let wb = b.stacked(TensorKind::WeightsBefore(l), din + dout);
        let bb = if layer.bias { Some(b.stacked(TensorKind::BiasBefore(l), dout)) } else { None };
        if prelu(layer) {
            // the slopes before the step, broadcast over the batch rows: 1 alpha^T
            let (sb, ones) =
                (b.stacked(TensorKind::SlopeBefore(l), dout), ones.ok_or(LayoutError::Unsupported("ones"))?);
            let rows = b.stacked(TensorKind::SlopeRows(l), lb + dout);
            let shape = MatmulShape { form: MatmulForm::NN, li: lb, lj: 0, lk: dout };
            let exact = RescaleSpec { mult: 1, shift: 0, total_bits: q };
            b.matmul(shape, exact, ones, sb, rows, None, None, false, false)?;
        }
        let zq = b.stacked(TensorKind::Zq(l), lb + dout);
        let rem = b.stacked(TensorKind::Rem(l), lb + dout);
        let shape = MatmulShape { form: MatmulForm::NN, li: lb, lj: din, lk: dout };
        forward.push(b.set.matmuls.len());
        let (sign, ranged) = (activation.needs_sign(), !activation.ranges_pre());
        let sign = b.matmul(shape, resc, input, wb, zq, Some(rem), bb, sign, ranged)?;
        inputs.push(input);
        weights.push((wb, bb));
        let tensors = activation.layout_forward(&mut b, l, zq, sign)?;
        activations.push(tensors);
        input = tensors.out;
        grads.push(b.stacked(TensorKind::Grad(l), lb + dout));
    }
    // Loss gradient: G_L = Z'_L - Y (MSE) or softmax(Z'_L) - Y.
    let (g_last, zq_last) = (*grads.last().ok_or(LayoutError::Unsupported("layers"))?, input);
    match spec.train.loss {
        Loss::Mse => b.set.linears.push(LinearRel { terms: vec![(g_last, 1), (zq_last, -1), (y, 1)], constant: 0 }),
        Loss::SoftmaxCrossEntropy { classes } => {
            let ce = crate::loss::SoftmaxCe::at(fp).map_err(|_| LayoutError::Unsupported("the softmax table"))?;
            let ones = ones.ok_or(LayoutError::Unsupported("the ones vector"))?;
            ce.layout(&mut b, [zq_last, y, g_last, ones], lb, dim(nl)?, classes)?;
        }
    }
    // ... a Q-bit value, as every gradient the backward pass rescales
    b.range(g_last, q, 1i64 << (q - 1), false)?;
    // Backward: G_{l-1} = s_{l-1} ⊙ rescale(G_l W_l^T).
    for l in (1..nl).rev() {
        let (din, dout) = (dim(l)?, dim(l + 1)?);
        let gaq = b.stacked(TensorKind::GaQ(l), lb + din);
        let gar = b.stacked(TensorKind::GaRem(l), lb + din);
        let shape = MatmulShape { form: MatmulForm::NT, li: lb, lj: dout, lk: din };
        let (g, wb, g_prev) = (grads[l], weights[l].0, grads[l - 1]);
        b.matmul(shape, resc, g, wb, gaq, Some(gar), None, false, true)?;
        // through the activation of layer l - 1, with its forward tensors
        let prev = spec.model.layers.get(l - 1).ok_or(LayoutError::Unsupported("layers"))?;
        let forward = activations.get(l - 1).ok_or(LayoutError::Unsupported("layers"))?;
        let act = prev.activation.function(fp).map_err(|_| LayoutError::Unsupported("the activation's table"))?;
        act.layout_backward(&mut b, forward, gaq, g_prev)?;
    }
    // Updates and chains.
    for (l, layer) in spec.model.layers.iter().enumerate() {
        let (din, dout) = (dim(l)?, dim(l + 1)?);
        let shape = MatmulShape { form: MatmulForm::TN, li: din, lj: lb, lk: dout };
        if spec.train.exact_update {
            // W_before - W_after = m A^T G exactly: ΔW is virtual, no update digits or
            // remainders are committed or range-checked at weight size
            let wa = b.stacked(TensorKind::WeightsAfter(l), din + dout);
            let dw = b.stacked(TensorKind::Dw(l), din + dout);
            b.set.virtuals.push(VirtualRel { tensor: dw, terms: vec![(weights[l].0, 1), (wa, -1)], constant: 0 });
            let qw =
                spec.weight_point().map_err(|_| LayoutError::Unsupported("the weights' fixed point"))?.total_bits();
            let exact = RescaleSpec { mult: spec.train.lr_mantissa, shift: 0, total_bits: qw };
            b.matmul(shape, exact, inputs[l], grads[l], dw, None, None, false, true)?;
            // at the forward matmul's point on W_before: one claim point fewer on it
            if let Some(m) = b.set.matmuls.last_mut() {
                m.at = forward.get(l).copied();
            }
        } else {
            let dw = b.stacked(TensorKind::Dw(l), din + dout);
            let dwr = b.stacked(TensorKind::DwRem(l), din + dout);
            b.matmul(shape, upd, inputs[l], grads[l], dw, Some(dwr), None, false, true)?;
            let wa = b.stacked(TensorKind::WeightsAfter(l), din + dout);
            b.set.linears.push(LinearRel { terms: vec![(wa, 1), (weights[l].0, -1), (dw, 1)], constant: 0 });
        }
        if prelu(layer) {
            // alpha_after = alpha_before - Δalpha (Δalpha declared by the backward pass)
            let missing = LayoutError::Unsupported("PReLU's slope tensors");
            let (sb, ds) =
                (b.find(TensorKind::SlopeBefore(l)).ok_or(missing)?, b.find(TensorKind::Ds(l)).ok_or(missing)?);
            let sa = b.stacked(TensorKind::SlopeAfter(l), dout);
            b.set.linears.push(LinearRel { terms: vec![(sa, 1), (sb, -1), (ds, 1)], constant: 0 });
        }
        if layer.bias {
            let (Some(ones), Some(bb)) = (ones, weights[l].1) else {
                return Err(LayoutError::Unsupported("bias layout"));
            };
            let db = b.stacked(TensorKind::Db(l), dout);
            let dbr = b.stacked(TensorKind::DbRem(l), dout);
            let shape = MatmulShape { form: MatmulForm::TN, li: 0, lj: lb, lk: dout };
            b.matmul(shape, bias_upd, ones, grads[l], db, Some(dbr), None, false, true)?;
            let ba = b.stacked(TensorKind::BiasAfter(l), dout);
            b.set.linears.push(LinearRel { terms: vec![(ba, 1), (bb, -1), (db, 1)], constant: 0 });
        }
    }
    // Zero padding of the statement's inputs (only where a shape is padded: an unpadded
    // tensor has no entry outside its block).
    let padded = |rows: usize, cols: usize, rv: usize, cv: usize| rows < (1usize << rv) || cols < (1usize << cv);
    for (l, layer) in spec.model.layers.iter().enumerate() {
        let (din, dout) = (dim(l)?, dim(l + 1)?);
        let (rows, cols) = (pd.dims[l], pd.dims[l + 1]);
        let w_padded = padded(rows, cols, din, dout);
        if w_padded || initial_checked {
            let w0 = b.single(TensorKind::InitialWeights(l), din + dout);
            if w_padded {
                b.set.paddings.push(PaddingRel { tensor: w0, rows, cols, row_vars: din, col_vars: dout });
            }
            if initial_checked {
                b.signed_statement_range(w0, spec.train.init_bits)?;
            }
        }
        if prelu(layer) && initial_checked {
            // alpha^(0) of a first chunk: Q-bit values (later ones are bounded by the
            // updates' range); its padding multiplies only zeros
            let s0 = b.single(TensorKind::InitialSlope(l), dout);
            b.signed_statement_range(s0, q)?;
        }
        let b_padded = layer.bias && padded(1, cols, 0, dout);
        if b_padded || (layer.bias && initial_checked) {
            let b0 = b.single(TensorKind::InitialBias(l), dout);
            if b_padded {
                b.set.paddings.push(PaddingRel { tensor: b0, rows: 1, cols, row_vars: 0, col_vars: dout });
            }
            if initial_checked {
                b.signed_statement_range(b0, q)?;
            }
        }
    }
    let (d0, dl) = (dim(0)?, dim(nl)?);
    if padded(pd.batch, pd.dims[0], lb, d0) {
        b.set.paddings.push(PaddingRel { tensor: x, rows: pd.batch, cols: pd.dims[0], row_vars: lb, col_vars: d0 });
    }
    if padded(pd.batch, pd.dims[nl], lb, dl) {
        b.set.paddings.push(PaddingRel { tensor: y, rows: pd.batch, cols: pd.dims[nl], row_vars: lb, col_vars: dl });
    }
    for (_, d) in b.set.declare_tables() {
        b.kinds.push(TensorKind::Derived(d));
    }
    let data_cols = [data_col_vars(d0), data_col_vars(dl)];
    let (statement_cols, own_counts) = assign_column_splits(&mut b, counts, data_cols);
    // Linear relations over tensors of one column split (the gradient of the loss, the
    // weight and bias updates) are checked on the commitments: no claims, no openings.
    let linears = std::mem::take(&mut b.set.linears);
    let (homomorphic, linears): (Vec<_>, Vec<_>) = linears.into_iter().partition(|l| b.set.checkable_on_commitments(l));
    b.set.linears = linears;
    b.set.homomorphic = homomorphic;
    // Zero paddings that are whole Hyrax rows (W(0) of 784 input rows) are checked on
    // the commitment's rows.
    let paddings = std::mem::take(&mut b.set.paddings);
    let (zero_rows, paddings): (Vec<_>, Vec<_>) = paddings
        .into_iter()
        .partition(|p| b.set.tensors.get(p.tensor).is_some_and(|d| p.zero_rows(d.vars, d.col_vars).is_some()));
    b.set.paddings = paddings;
    b.set.zero_rows = zero_rows;
    b.set.validate()?;
    let init_shift = fw.checked_sub(f).ok_or(LayoutError::Unsupported("the weights' fractional bits"))?;
    let layout = TrainingLayout {
        set: b.set,
        kinds: b.kinds,
        tau,
        steps,
        statement_cols,
        data_cols,
        initial_checked,
        init_shift,
    };
    Ok((layout, own_counts))
}

impl TrainingProof {
    /// The intermediate commitments of `param` the proof sends, per layer.
    pub fn mids(&self, param: Param) -> &[Vec<HyraxCommitment>] {
        match param {
            Param::Weights => &self.w_mid,
            Param::Bias => &self.b_mid,
            Param::Slope => &self.s_mid,
        }
    }
}

/// Compressed sizes in bytes of a proof's sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProofSizes {
    /// Tensor and intermediate-weight commitments (grow with `T`).
    pub commitments: usize,
    /// Round polynomials of every batched sumcheck.
    pub sumchecks: usize,
    /// Claimed evaluations sent around the sumchecks.
    pub values: usize,
    /// The Hyrax openings (one per table shape).
    pub openings: usize,
    pub total: usize,
}

impl TrainingProof {
    /// The size of each section (on the wire, `zkdl_core::pcs::WIRE`).
    pub fn sizes(&self) -> ProofSizes {
        use zkdl_core::pcs::WIRE;
        let r = &self.relations;
        let phases =
            [&r.booleanity, &r.matmul, &r.matmul_at, &r.mask, &r.padding, &r.openings.columns, &r.openings.rows];
        let sumchecks = phases.iter().map(|p| p.sumcheck.serialized_size(WIRE)).sum::<usize>()
            + r.logup.rounds.iter().map(|p| p.sumcheck.serialized_size(WIRE)).sum::<usize>();
        let values = phases.iter().map(|p| p.pre.serialized_size(WIRE) + p.post.serialized_size(WIRE)).sum::<usize>()
            + r.linear.serialized_size(WIRE)
            + r.logup.roots.serialized_size(WIRE)
            + r.logup.layer1.serialized_size(WIRE)
            + r.logup.rounds.iter().map(|p| p.post.serialized_size(WIRE)).sum::<usize>();
        ProofSizes {
            commitments: self.w_mid.serialized_size(WIRE)
                + self.b_mid.serialized_size(WIRE)
                + self.s_mid.serialized_size(WIRE)
                + self.tensors.serialized_size(WIRE),
            sumchecks,
            values,
            openings: r.openings.openings.serialized_size(WIRE),
            total: self.serialized_size(WIRE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relations::LookupRel;

    /// On the MNIST shapes every linear relation but the loss gradient's (three weight
    /// chains, the digits of the data and targets) is checked on the commitments, and so is the
    /// padding of W(0) of layer 0 (784 of 1024 input rows, whole Hyrax rows); the
    /// paddings that cut rows keep their sumcheck. A first chunk looks every initial
    /// weight up once (signed 16 bits); a continued chunk does not.
    #[test]
    fn mnist_layout_checks_linears_and_row_padding_on_commitments() {
        let spec = CircuitSpec::mlp("m", 784, &[128, 128], 10, false, 64, 1);
        let layout = training_layout(&spec).unwrap();
        // the loss gradient G_L = Z'_L - Y takes a claim: Y_t has one sample (16 targets)
        // a row, the layer's other tensors a wider split
        let y = layout.kinds.iter().position(|k| *k == TensorKind::Targets).unwrap();
        assert_eq!(layout.set.linears.len(), 1, "{:?}", layout.set.linears);
        assert!(layout.set.linears[0].terms.iter().any(|&(t, c)| t == y && c == 1));
        assert_eq!(layout.set.homomorphic.len(), 5);
        assert_eq!(layout.data_cols, [10, 4]);
        for l in 0..3 {
            let w0 = layout.kinds.iter().position(|k| *k == TensorKind::InitialWeights(l)).unwrap();
            let rel = LookupRel::range(w0, 16, 1 << 15);
            assert!(layout.set.lookups.contains(&rel), "layer {l}: one signed 16-bit lookup per weight");
        }
        let continued = training_layout_for(&spec, false).unwrap();
        let initial = |k: &TensorKind| matches!(k, TensorKind::InitialWeights(_));
        assert!(continued
            .set
            .lookups
            .iter()
            .all(|l| !l.first().and_then(|(t, _)| continued.kinds.get(t)).is_some_and(initial)));
        assert_eq!(continued.set.lookups.len() + 3, layout.set.lookups.len());
        // chunks chain: both layouts commit the statement alike, for any shape
        for (bias, steps, exact) in [(false, 1, true), (true, 3, false), (true, 5, true)] {
            let mut s = CircuitSpec::mlp("m", 20, &[64, 8], 3, bias, 16, steps);
            s.train.exact_update = exact;
            let (a, b) = (training_layout_for(&s, true).unwrap(), training_layout_for(&s, false).unwrap());
            assert_eq!(a.statement_cols, b.statement_cols);
            for (k, d) in a.kinds.iter().zip(&a.set.tensors) {
                if let Some(j) = b.kinds.iter().position(|x| x == k) {
                    assert_eq!(b.set.tensors[j], *d, "{k:?}: the same split in both layouts");
                }
            }
        }
        let w0 = layout.kinds.iter().position(|k| *k == TensorKind::InitialWeights(0)).unwrap();
        assert!(layout.set.zero_rows.iter().any(|p| p.tensor == w0 && p.rows == 784));
        assert!(layout.set.paddings.iter().all(|p| p.tensor != w0));
        assert!(!layout.set.paddings.is_empty(), "X (784 of 1024 columns) keeps its sumcheck");
    }

    #[test]
    fn column_split_widens_with_the_group() {
        // one tensor: a 96-byte row against three 32-byte tail scalars, one variable wider
        // than balanced (2^9 rows and 2^11 columns: 114,688 bytes against 131,072)
        assert_eq!(group_col_vars(20, 1), 11, "one tensor");
        assert_eq!(group_col_vars(21, 1), 11, "one tensor, odd: balanced");
        assert_eq!(group_col_vars(20, 40), 12, "many tensors: wide rows, capped");
        assert_eq!(group_col_vars(3, 100), 3);
        assert_eq!(group_col_vars(0, 5), 0);
        for vars in 0..24 {
            let cols: Vec<usize> = (1..200).map(|n| group_col_vars(vars, n)).collect();
            assert!(cols.windows(2).all(|w| w[0] <= w[1]), "monotone in the count");
            assert!(cols.iter().all(|&c| c >= split_vars(vars).1 && c <= vars.max(split_vars(vars).1)));
        }
    }
}
