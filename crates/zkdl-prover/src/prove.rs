//! The prover of training (see `zkdl_circuit::proof`): trains with
//! [`crate::train::train_traced`], stacks every tensor over the steps (padding the
//! stack with all-zero dummy steps), commits, and proves the relation set of
//! `zkdl_circuit::proof::training_layout` with [`crate::relations::prove_relations`].

use ark_std::rand::{CryptoRng, RngCore};
use rayon::prelude::*;
use zkdl_circuit::assemble::{
    chain_is_derived, class_indicator, tensor_commitments, training_generators_for, weight_chain,
};
use zkdl_circuit::proof::{
    absorb_statement, commit_samples, initial_weights_commitment, proof_dims, training_layout_for, Layouts, Param,
    ProofDims, Statement, TensorKind, TrainingLayout, TrainingProof,
};
use zkdl_circuit::CircuitSpec;
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators};
use zkdl_core::transcript::{labels, Transcript};

use crate::phases::Phases;
use crate::relations::{commit_tensor, derive_tables, prepare_subset_table, prove_relations, ProveError};
use crate::train::{train_traced, Batch, LayerTrace, LayerWeights, StepTrace, Weights};

/// Trains `spec.train.steps` steps from `w0` on `batches` and proves it (a first chunk,
/// no dataset named). Returns the statement, the proof and the final weights.
pub fn prove_training<R: RngCore + CryptoRng>(
    spec: &CircuitSpec,
    w0: &Weights,
    batches: &[Batch],
    rng: &mut R,
) -> Result<(Statement, TrainingProof, Weights), ProveError> {
    prove_training_with(spec, w0, batches, ProveOptions::default(), rng, &mut Phases::default())
}

/// Where a proof of training sits in its run, and what else it does
/// ([`prove_training_with`]).
#[derive(Clone, Default)]
pub struct ProveOptions<'a> {
    /// The statement of the proof of the steps before (`None`: a first chunk).
    pub previous: Option<&'a Statement>,
    /// The digest of the committed dataset whose rows the batches are, named in the
    /// statement (`zkdl_circuit::dataset`; [`crate::dataset::check_batches`] checks
    /// the batches before proving). A continued chunk names its predecessor's.
    pub dataset: Option<[u8; 32]>,
    /// Check every relation on the integer witness before committing
    /// (`zkdl_circuit::witness`): a broken witness is a [`ProveError::Witness`] naming the
    /// relation, tensor, step and entry, instead of a proof the verifier rejects.
    pub check_witness: bool,
    /// The MSM backend every commitment and opening runs on (`None`: the CPU's,
    /// `zkdl_core::msm::CpuMsm`), set on the generators once
    /// (`HyraxGenerators::with_backend`). The proof is the same on every backend.
    pub backend: Option<std::sync::Arc<dyn zkdl_core::msm::MsmBackend>>,
    /// The kernels every sumcheck instance of the proof runs its loops over dense tables
    /// on (`None`: the CPU's, `zkdl_core::sumcheck::CpuKernels`), passed down to where
    /// the instances are built (`ProductSum::with_kernels`). The proof is the same on
    /// all kernels.
    pub kernels: Option<std::sync::Arc<dyn zkdl_core::sumcheck::Kernels>>,
}

impl<'a> ProveOptions<'a> {
    /// The next chunk after the proof of `previous`, naming its dataset.
    pub fn after(previous: &'a Statement) -> Self {
        ProveOptions { previous: Some(previous), dataset: previous.dataset, ..ProveOptions::default() }
    }
}

/// Trains `spec.train.steps` steps from `w0` on `batches` and proves them as the chunk
/// `options` describes, reporting and timing its phases in `phases`. Returns the
/// statement, the proof and the final weights.
///
/// A continued chunk (`options.previous`): `w0` are the final weights of the proof of
/// `previous` (the same circuit), whose `W(T)` and `b(T)` commitments become this
/// statement's `W(0)` and `b(0)` instead of being committed again (the statement is the
/// same as from scratch). A `previous` that does not commit to `w0` is an error, found
/// before any proving: each commitment is checked on one random combination of its rows
/// (`pcs::commits_to_i64`, two small MSMs per tensor). Chunks of one circuit (the same
/// number of steps included: the statement's column splits depend on it) chain: each
/// proof's `w_initial` equals the previous one's `w_final`.
pub fn prove_training_with<R: RngCore + CryptoRng>(
    spec: &CircuitSpec,
    w0: &Weights,
    batches: &[Batch],
    options: ProveOptions<'_>,
    rng: &mut R,
    phases: &mut Phases<'_>,
) -> Result<(Statement, TrainingProof, Weights), ProveError> {
    let previous = options.previous;
    if previous.is_some_and(|p| p.dataset != options.dataset) {
        return Err(ProveError::Params("a continued chunk names the dataset its predecessor names"));
    }
    phases.start("witness");
    spec.validate().map_err(ProveError::Circuit)?;
    let pd = proof_dims(spec)?;
    if batches.len() != spec.train.steps {
        return Err(ProveError::Params("one batch per step is needed"));
    }
    // Train the zero-padded network: its padded parts stay zero, the real parts are
    // bit-identical to training the unpadded network.
    check_slopes(spec, w0)?;
    if previous.is_none() {
        check_initial_weights(spec, w0)?;
    }
    let padded_spec = pad_spec(spec, &pd);
    let w0p = pad_weights(w0, &pd);
    let batches_p: Vec<Batch> = batches.iter().map(|b| pad_batch(b, &pd)).collect();
    let (w_final_p, traces) = train_traced(&padded_spec, &w0p, &batches_p)?;
    phases.start("generators");
    // both layouts once: the generators cover both, the proof takes its own
    let layouts = Layouts::new(spec)?;
    let mut gens = training_generators_for(&layouts)?;
    if let Some(backend) = options.backend {
        gens = gens.with_backend(backend);
    }
    let layout = layouts.into_layout(previous.is_none());
    let check = if options.check_witness { Check::ThenProve } else { Check::No };
    let kernels = options.kernels.as_ref();
    let how = How { layout: &layout, derive_weights: true, previous, dataset: options.dataset, check, kernels };
    let (statement, proof) = prove_traces_with(&gens, spec, &w0p, &w_final_p, &batches_p, traces, rng, phases, how)?
        .ok_or(ProveError::Params("no proof"))?;
    Ok((statement, proof, unpad_weights(&w_final_p, &pd)))
}

/// PReLU's slopes as a proof needs them: on exactly the PReLU layers, one per unit, each
/// a signed value of `fixed.total_bits` bits.
pub fn check_slopes(spec: &CircuitSpec, w0: &Weights) -> Result<(), ProveError> {
    let dims = spec.dims();
    for (l, (layer, lw)) in spec.model.layers.iter().zip(&w0.layers).enumerate() {
        let prelu = layer.activation == zkdl_circuit::Activation::Prelu;
        match &lw.slope {
            None if !prelu => {}
            Some(a) if prelu && Some(&a.len()) == dims.get(l + 1) => {
                let bits = spec.fixed.total_bits;
                if let Some(index) =
                    a.iter().position(|&v| zkdl_core::field::check_signed_bits(v as i128, bits).is_err())
                {
                    return Err(ProveError::Slope { layer: l, index, value: a[index], bits });
                }
            }
            _ => return Err(ProveError::Params("slopes on exactly the PReLU layers, one per unit")),
        }
    }
    Ok(())
}

/// The initial weights a first proof accepts (and range-checks): `W(0) = 2^(fw - f) w`
/// with `w` a signed value of `train.init_bits` bits, and biases of `fixed.total_bits`.
pub fn check_initial_weights(spec: &CircuitSpec, w0: &Weights) -> Result<(), ProveError> {
    let shift = spec.weight_frac_bits().saturating_sub(spec.fixed.frac_bits);
    let bits = spec.train.init_bits;
    for (layer, lw) in w0.layers.iter().enumerate() {
        let w = initial_scale(layer, &lw.w, shift, bits)?;
        if let Some(index) = w.iter().position(|&x| zkdl_core::field::check_signed_bits(x as i128, bits).is_err()) {
            return Err(ProveError::InitialWeight { layer, index, value: lw.w[index], bits, shift });
        }
        for (index, &v) in lw.b.iter().flatten().enumerate() {
            if zkdl_core::field::check_signed_bits(v as i128, spec.fixed.total_bits).is_err() {
                let bits = spec.fixed.total_bits;
                return Err(ProveError::InitialWeight { layer, index, value: v, bits, shift: 0 });
            }
        }
    }
    Ok(())
}

/// The same circuit with every dimension rounded up to a power of two.
pub fn pad_spec(spec: &CircuitSpec, pd: &ProofDims) -> CircuitSpec {
    let mut s = spec.clone();
    s.model.input_dim = 1 << pd.log_dims[0];
    for (l, layer) in s.model.layers.iter_mut().enumerate() {
        layer.width = 1 << pd.log_dims[l + 1];
    }
    s.train.batch = 1 << pd.lb;
    s
}

/// Copy a `rows x cols` row-major matrix into the top-left of a `2^rv x 2^cv` one.
fn pad_matrix(v: &[i64], rows: usize, cols: usize, rv: usize, cv: usize) -> Vec<i64> {
    let nc = 1usize << cv;
    let mut out = vec![0i64; (1usize << rv) * nc];
    for i in 0..rows {
        out[i * nc..i * nc + cols].copy_from_slice(&v[i * cols..(i + 1) * cols]);
    }
    out
}

/// `W` zero-padded to the proof's shapes.
pub fn pad_weights(w: &Weights, pd: &ProofDims) -> Weights {
    let layers = w
        .layers
        .iter()
        .enumerate()
        .map(|(l, lw)| LayerWeights {
            d_in: 1 << pd.log_dims[l],
            d_out: 1 << pd.log_dims[l + 1],
            w: pad_matrix(&lw.w, lw.d_in, lw.d_out, pd.log_dims[l], pd.log_dims[l + 1]),
            b: lw.b.as_ref().map(|b| {
                let mut v = b.clone();
                v.resize(1 << pd.log_dims[l + 1], 0);
                v
            }),
            slope: lw.slope.as_ref().map(|s| {
                let mut v = s.clone();
                v.resize(1 << pd.log_dims[l + 1], 0);
                v
            }),
        })
        .collect();
    Weights { layers }
}

/// The real block of padded weights.
pub fn unpad_weights(w: &Weights, pd: &ProofDims) -> Weights {
    let layers = w
        .layers
        .iter()
        .enumerate()
        .map(|(l, lw)| {
            let (rows, cols) = (pd.dims[l], pd.dims[l + 1]);
            let nc = lw.d_out;
            let mut out = Vec::with_capacity(rows * cols);
            for i in 0..rows {
                out.extend_from_slice(&lw.w[i * nc..i * nc + cols]);
            }
            let cut = |v: &Vec<i64>| v[..cols].to_vec();
            LayerWeights {
                d_in: rows,
                d_out: cols,
                w: out,
                b: lw.b.as_ref().map(cut),
                slope: lw.slope.as_ref().map(cut),
            }
        })
        .collect();
    Weights { layers }
}

/// A batch zero-padded to the proof's shapes.
pub fn pad_batch(b: &Batch, pd: &ProofDims) -> Batch {
    let nl = pd.dims.len() - 1;
    Batch {
        x: pad_matrix(&b.x, pd.batch, pd.dims[0], pd.lb, pd.log_dims[0]),
        y: pad_matrix(&b.y, pd.batch, pd.dims[nl], pd.lb, pd.log_dims[nl]),
    }
}

/// A layer's table of `param`.
fn table_of(lw: &LayerWeights, param: Param) -> Result<&[i64], ProveError> {
    match param {
        Param::Weights => Ok(&lw.w),
        Param::Bias => lw.b.as_deref().ok_or(ProveError::Params("bias")),
        Param::Slope => lw.slope.as_deref().ok_or(ProveError::Params("slope")),
    }
}

fn layer_of(t: &StepTrace, l: usize) -> Result<&LayerTrace, ProveError> {
    t.layers.get(l).ok_or(ProveError::Params("trace layers"))
}

/// A table of a layer's trace.
type Pick<'p> = &'p dyn Fn(&mut LayerTrace) -> &mut Vec<i64>;

fn layer_of_mut(t: &mut StepTrace, l: usize) -> Result<&mut LayerTrace, ProveError> {
    t.layers.get_mut(l).ok_or(ProveError::Params("trace layers"))
}

/// Proves given traces of the zero-padded network (exposed so that tests can play a
/// cheating prover). `w0`, `w_final`, `batches` and `traces` are all padded. Every
/// weight after a step is committed from the given tables (a cheating prover's
/// `w_final` need not follow from the updates); [`prove_training`] instead derives
/// those commitments from `W(0)` and the committed updates, which gives the same
/// bytes for an honest witness.
#[doc(hidden)]
pub fn prove_traces<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    spec: &CircuitSpec,
    w0: &Weights,
    w_final: &Weights,
    batches: &[Batch],
    traces: &[StepTrace],
    rng: &mut R,
) -> Result<(Statement, TrainingProof), ProveError> {
    let layout = training_layout_for(spec, true)?;
    let how =
        How { layout: &layout, derive_weights: false, previous: None, dataset: None, check: Check::No, kernels: None };
    prove_traces_with(gens, spec, w0, w_final, batches, traces.to_vec(), rng, &mut Phases::default(), how)?
        .ok_or(ProveError::Params("no proof"))
}

/// Runs the witness checker on the tables [`prove_traces`] would commit (padded `w0`,
/// `w_final`, `batches`, `traces`, as there): `Err(ProveError::Witness)` names the first
/// relation the witness breaks.
#[doc(hidden)]
pub fn check_traces(
    gens: &HyraxGenerators,
    spec: &CircuitSpec,
    w0: &Weights,
    w_final: &Weights,
    batches: &[Batch],
    traces: &[StepTrace],
) -> Result<(), ProveError> {
    let layout = training_layout_for(spec, true)?;
    let how = How {
        layout: &layout,
        derive_weights: false,
        previous: None,
        dataset: None,
        check: Check::Only,
        kernels: None,
    };
    // nothing is proven: the rng is never drawn from
    let rng = &mut <ark_std::rand::rngs::StdRng as ark_std::rand::SeedableRng>::seed_from_u64(0);
    prove_traces_with(gens, spec, w0, w_final, batches, traces.to_vec(), rng, &mut Phases::default(), how)?;
    Ok(())
}

/// How [`prove_traces_with`] obtains the weights' commitments.
#[derive(Clone, Copy)]
struct How<'s> {
    /// The proof's layout (a first chunk's when `previous` is `None`).
    layout: &'s TrainingLayout,
    /// Derive the commitments of the weights after every step (from the updates)
    /// instead of committing the given tables.
    derive_weights: bool,
    /// Take `W(0)`, `b(0)` from this statement's `W(T)`, `b(T)`.
    previous: Option<&'s Statement>,
    /// The dataset the statement names.
    dataset: Option<[u8; 32]>,
    /// Run the witness checker (`zkdl_circuit::witness`) on the tables before
    /// committing them; `Only`: and stop there.
    check: Check,
    /// The sumcheck kernels (`None`: the CPU's).
    kernels: Option<&'s std::sync::Arc<dyn zkdl_core::sumcheck::Kernels>>,
}

/// Whether [`prove_traces_with`] checks the witness first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// Prove without checking (a broken witness gives a proof the verifier rejects).
    No,
    /// Check every relation on the integer tables, then prove.
    ThenProve,
    /// Check every relation and stop ([`check_traces`]).
    Only,
}

#[allow(clippy::too_many_arguments)]
fn prove_traces_with<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    spec: &CircuitSpec,
    w0: &Weights,
    w_final: &Weights,
    batches: &[Batch],
    mut traces: Vec<StepTrace>,
    rng: &mut R,
    phases: &mut Phases<'_>,
    how: How<'_>,
) -> Result<Option<(Statement, TrainingProof)>, ProveError> {
    let derive_weights = how.derive_weights;
    phases.start("statement commitments");
    let pd = proof_dims(spec)?;
    let layout = how.layout;
    let (lb, d) = (pd.lb, &pd.log_dims);
    let nl = spec.model.layers.len();
    let steps = layout.steps;
    if traces.len() != steps || batches.len() != steps || w0.layers.len() != nl || w_final.layers.len() != nl {
        return Err(ProveError::Params("one trace and batch per step, weights per layer"));
    }
    prepare_subset_table(gens, &layout.set);
    let commit = |n: usize, v: &[i64]| layout.commit_statement(gens, n, v);
    let dim = |i: usize| d.get(i).copied().ok_or(ProveError::Params("layer index"));
    let w_vars = |l: usize| -> Result<usize, ProveError> { Ok(dim(l)? + dim(l + 1)?) };
    // Steps and layers in parallel (each MSM is parallel too, but small ones alone do not
    // keep every core busy).
    let (x_vars, y_vars) = (lb + dim(0)?, lb + dim(nl)?);
    let data = batches
        .par_iter()
        .map(|b| Ok((commit_samples(gens, x_vars, dim(0)?, &b.x)?, commit_samples(gens, y_vars, dim(nl)?, &b.y)?)))
        .collect::<Result<Vec<_>, ProveError>>()?;
    let w_vars_all = (0..nl).map(w_vars).collect::<Result<Vec<_>, _>>()?;
    let commit_vector = |w: &Weights, l: usize, param: Param| -> Result<Option<HyraxCommitment>, ProveError> {
        match w.layers.get(l).map(|lw| table_of(lw, param)) {
            Some(Ok(b)) => Ok(Some(commit(dim(l + 1)?, b)?)),
            _ => Ok(None),
        }
    };
    // a first chunk's `w` (W(0) = 2^init_shift w), committed and range-checked
    let mut w_init: Vec<Vec<i64>> = match layout.initial_checked {
        true => {
            let bits = spec.train.init_bits;
            let scale = |(l, lw): (usize, &LayerWeights)| initial_scale(l, &lw.w, layout.init_shift, bits);
            w0.layers.iter().enumerate().map(scale).collect::<Result<_, _>>()?
        }
        false => Vec::new(),
    };
    let (w_initial, b_initial, s_initial) = match how.previous {
        Some(prev) => {
            // the previous proof's final weights, checked against this layout's shapes
            let rows = |vars: usize| layout.statement_rows(vars);
            let vector_fits = |finals: &[Option<HyraxCommitment>], param: Param| {
                finals.len() == nl
                    && (0..nl).all(|l| match (&finals[l], table_of(&w0.layers[l], param).is_ok()) {
                        (Some(c), true) => dim(l + 1).is_ok_and(|n| c.rows.len() == rows(n)),
                        (None, false) => true,
                        _ => false,
                    })
            };
            let fits = prev.w_final.len() == nl
                && prev.w_final.iter().zip(&w_vars_all).all(|(c, &n)| c.rows.len() == rows(n))
                && vector_fits(&prev.b_final, Param::Bias)
                && vector_fits(&prev.s_final, Param::Slope);
            if !fits {
                return Err(ProveError::Params("the previous statement's final weights do not fit this circuit"));
            }
            // ... and they commit to `w0`: one random combination of the rows of all the
            // commitments of one column split
            let mut by_split: std::collections::BTreeMap<usize, Vec<(&HyraxCommitment, &[i64])>> = Default::default();
            for (l, lw) in w0.layers.iter().enumerate() {
                let w_split = layout.statement_col_vars(w_vars_all[l]);
                by_split.entry(w_split).or_default().push((&prev.w_final[l], &lw.w));
                if let (Some(c), Some(b)) = (&prev.b_final[l], &lw.b) {
                    by_split.entry(layout.statement_col_vars(dim(l + 1)?)).or_default().push((c, b));
                }
                if let (Some(c), Some(a)) = (&prev.s_final[l], &lw.slope) {
                    by_split.entry(layout.statement_col_vars(dim(l + 1)?)).or_default().push((c, a));
                }
            }
            let mut t = Transcript::new(labels::PREVIOUS_WEIGHTS);
            for (col_vars, parts) in &by_split {
                let mut rows = 0;
                for (c, _) in parts {
                    t.append_points(labels::HYRAX_COMMITMENT_ROW, &c.rows);
                    rows += c.rows.len();
                }
                let gamma = t.challenge_scalars(labels::PREVIOUS_WEIGHTS, rows);
                if !pcs::commits_to_i64(gens, *col_vars, parts, &gamma)? {
                    return Err(ProveError::Params("the previous statement does not commit to these initial weights"));
                }
            }
            (prev.w_final.clone(), prev.b_final.clone(), prev.s_final.clone())
        }
        None => {
            // the statement commits to `w`, W(0) = 2^init_shift w
            let w = w_init
                .par_iter()
                .zip(&w_vars_all)
                .map(|(w, &n)| Ok(commit(n, w)?))
                .collect::<Result<Vec<_>, ProveError>>()?;
            let vectors = |param| (0..nl).map(|l| commit_vector(w0, l, param)).collect::<Result<Vec<_>, _>>();
            (w, vectors(Param::Bias)?, vectors(Param::Slope)?)
        }
    };
    let step_offset = match how.previous {
        Some(prev) => prev.step_offset.checked_add(prev.data.len() as u64).ok_or(ProveError::Params("step offset"))?,
        None => 0,
    };
    // W(0)'s commitment, from which the weight chain starts
    let w_start: Vec<HyraxCommitment> = match layout.initial_checked {
        true => w_initial.iter().map(|c| initial_weights_commitment(c, layout.init_shift)).collect(),
        false => w_initial.clone(),
    };

    // Dummy steps: all-zero weights and data, traced honestly.
    phases.start("witness");
    let padded_steps = 1usize << layout.tau;
    let mut dummy = if padded_steps > steps {
        let zero_w = w0.zeros_like();
        let zero_b = Batch { x: vec![0; batches[0].x.len()], y: vec![0; batches[0].y.len()] };
        let (_, tr) = train_traced(&pad_spec(spec, &pd), &zero_w, &[zero_b])?;
        tr.into_iter().next()
    } else {
        None
    };
    // The witness tables are moved out of the traces as they are stacked (the prover's
    // memory holds one copy); intermediates the relations do not use are released now.
    for lt in traces.iter_mut().flat_map(|t| t.layers.iter_mut()) {
        for v in [&mut lt.z, &mut lt.ga, &mut lt.gw] {
            *v = Vec::new();
        }
        lt.a_in = Vec::new();
    }
    let dummies = padded_steps - steps;
    if dummies > 0 && dummy.is_none() {
        return Err(ProveError::Params("dummy steps"));
    }
    let dummy_loss = dummy.as_mut().and_then(|d| d.loss.take());
    // `take`: moved out of the traces (the weights before each step are read again below)
    let mut stack = |traces: &mut [StepTrace], l: usize, take: bool, pick: Pick| -> Result<Vec<i64>, ProveError> {
        let mut out: Vec<i64> = Vec::new();
        for t in traces.iter_mut() {
            let v = pick(layer_of_mut(t, l)?);
            if out.capacity() == 0 {
                out.reserve_exact(v.len() * padded_steps);
            }
            out.extend_from_slice(v);
            if take {
                *v = Vec::new();
            }
        }
        if let Some(d) = &mut dummy {
            let v = pick(layer_of_mut(d, l)?);
            for _ in 0..dummies {
                out.extend_from_slice(v);
            }
        }
        Ok(out)
    };
    let zeros_after = |mut v: Vec<i64>, per_step: usize| {
        v.resize(per_step << layout.tau, 0);
        v
    };
    let mut tables: Vec<Vec<i64>> = Vec::with_capacity(layout.kinds.len());
    for (i, kind) in layout.kinds.iter().enumerate() {
        let table = match *kind {
            TensorKind::Inputs => {
                zeros_after(batches.iter().flat_map(|b| b.x.iter().copied()).collect(), batches[0].x.len())
            }
            TensorKind::Targets => {
                zeros_after(batches.iter().flat_map(|b| b.y.iter().copied()).collect(), batches[0].y.len())
            }
            TensorKind::Ones => vec![1; 1usize << (lb + layout.tau)],
            TensorKind::WeightsBefore(l) => stack(&mut traces, l, false, &|lt| &mut lt.w_before.w)?,
            TensorKind::BiasBefore(l) => {
                stack(&mut traces, l, false, &|lt| lt.w_before.b.get_or_insert_with(Vec::new))?
            }
            TensorKind::SlopeBefore(l) => {
                stack(&mut traces, l, false, &|lt| lt.w_before.slope.get_or_insert_with(Vec::new))?
            }
            TensorKind::WeightsAfter(l) | TensorKind::BiasAfter(l) | TensorKind::SlopeAfter(l) => {
                let (param, _) = kind.param().ok_or(ProveError::Params("tensor kind"))?;
                let last = table_of(w_final.layers.get(l).ok_or(ProveError::Params("final weights"))?, param)?;
                let mut v = Vec::with_capacity(last.len() << layout.tau);
                for tr in traces.iter().skip(1) {
                    v.extend_from_slice(table_of(&layer_of(tr, l)?.w_before, param)?);
                }
                v.extend_from_slice(last);
                zeros_after(v, last.len())
            }
            TensorKind::InitialSlope(l) => w0.layers[l].slope.clone().unwrap_or_default(),
            TensorKind::SlopeRows(l) => {
                // each step's slopes, once per batch row
                let alpha = stack(&mut traces, l, false, &|lt| lt.w_before.slope.get_or_insert_with(Vec::new))?;
                let per_step = alpha.len() >> layout.tau;
                let rows = 1usize << lb;
                alpha.chunks(per_step.max(1)).flat_map(|a| a.repeat(rows)).collect()
            }
            TensorKind::Ds(l) => stack(&mut traces, l, true, &|lt| &mut lt.ds)?,
            TensorKind::DsRem(l) => stack(&mut traces, l, true, &|lt| &mut lt.dsr)?,
            TensorKind::InitialWeights(l) => match layout.initial_checked {
                true => w_init.get_mut(l).map(std::mem::take).ok_or(ProveError::Params("initial weights"))?,
                false => w0.layers[l].w.clone(),
            },
            TensorKind::InitialBias(l) => w0.layers[l].b.clone().unwrap_or_default(),
            TensorKind::Zq(l) => stack(&mut traces, l, true, &|lt| &mut lt.zq)?,
            TensorKind::Rem(l) => stack(&mut traces, l, true, &|lt| &mut lt.zr)?,
            TensorKind::Act(l) => stack(&mut traces, l, true, &|lt| &mut lt.a_out)?,
            TensorKind::Grad(l) => stack(&mut traces, l, true, &|lt| &mut lt.g)?,
            TensorKind::GaQ(l) => stack(&mut traces, l, true, &|lt| &mut lt.gaq)?,
            TensorKind::GaRem(l) => stack(&mut traces, l, true, &|lt| &mut lt.gar)?,
            TensorKind::Dw(l) => stack(&mut traces, l, true, &|lt| &mut lt.dw)?,
            TensorKind::DwRem(l) => stack(&mut traces, l, true, &|lt| &mut lt.dwr)?,
            TensorKind::Db(l) => stack(&mut traces, l, true, &|lt| &mut lt.db)?,
            TensorKind::DbRem(l) => stack(&mut traces, l, true, &|lt| &mut lt.dbr)?,
            TensorKind::ClassOnes { classes } => {
                let local = layout.set.vars(i)?.saturating_sub(layout.tau);
                let u = class_indicator(local, classes).ok_or(ProveError::Params("class indicator"))?;
                u.repeat(padded_steps)
            }
            TensorKind::Loss(part) => {
                let mut v = Vec::new();
                for t in &traces {
                    v.extend_from_slice(t.loss.as_ref().ok_or(ProveError::Params("loss"))?.part(part));
                }
                if dummies > 0 {
                    let d = dummy_loss.as_ref().ok_or(ProveError::Params("loss"))?.part(part);
                    for _ in 0..dummies {
                        v.extend_from_slice(d);
                    }
                }
                v
            }
            TensorKind::Derived(_) => Vec::new(),
        };
        tables.push(table);
    }
    let derived: Vec<_> = layout
        .kinds
        .iter()
        .enumerate()
        .filter_map(|(i, k)| if let TensorKind::Derived(d) = k { Some((i, *d)) } else { None })
        .collect();
    derive_tables(&layout.set, &mut tables, &derived)?;
    if how.check != Check::No {
        phases.start("witness check");
        layout.check_witness(&tables)?;
        if how.check == Check::Only {
            return Ok(None);
        }
    }
    phases.start("commitments");
    // The prover's own tensors; the stacks of statement and intermediate weights are
    // assembled from commitments made above, exactly as the verifier assembles them.
    // Tensors in parallel too: small ones alone do not keep every core busy.
    let committed: Vec<Option<HyraxCommitment>> = tables
        .par_iter()
        .enumerate()
        .map(|(i, table)| match layout.is_committed_in_proof(i) {
            true => commit_tensor(gens, &layout.set, i, table).map(Some),
            false => Ok(None),
        })
        .collect::<Result<_, _>>()?;

    // The weights after every step: W(t+1) = W(t) - dW(t) (a proven linear relation),
    // so their commitments follow from those of W(0) and of dW's digits by a few group
    // operations per row, or with exact SGD from the update's factors; recommitted only
    // where the column splits differ or the factors cost more.
    phases.start("weights after each step");
    // Per layer, W(1..T) (or b(1..T), alpha(1..T)): derived, or committed from the tables.
    let own = |i: usize| committed.get(i).and_then(|c| c.as_ref());
    let chain_of = |l: usize, param: Param, first: &HyraxCommitment| -> Result<Vec<HyraxCommitment>, ProveError> {
        if derive_weights && param == Param::Weights && spec.train.exact_update {
            if let Some(c) = exact_weight_chain(gens, layout, &tables, l, first)? {
                return Ok(c);
            }
        }
        if derive_weights {
            let derived = weight_chain(gens, layout, &own, l, param, first);
            if let Some(c) = derived? {
                return Ok(c);
            }
        }
        let vars = if param == Param::Weights { w_vars(l)? } else { dim(l + 1)? };
        let befores = traces.iter().skip(1).map(|tr| layer_of(tr, l).map(|lt| &lt.w_before));
        let last = w_final.layers.get(l).ok_or(ProveError::Params("final weights"));
        befores.chain(std::iter::once(last)).map(|lw| Ok(commit(vars, table_of(lw?, param)?)?)).collect()
    };
    // W(T), b(T) and alpha(T) are the statement's; the ones before go into the proof
    // where the verifier cannot derive them from the first and the committed updates.
    let ends = |param: Param, chain: Vec<HyraxCommitment>, l: usize| {
        let mut mid = chain;
        let last = mid.pop();
        if chain_is_derived(layout, l, param) {
            mid.clear();
        }
        (last, mid)
    };
    let (mut w_fin, mut w_mid) = (Vec::with_capacity(nl), Vec::with_capacity(nl));
    let (mut b_final, mut b_mid) = (Vec::with_capacity(nl), Vec::with_capacity(nl));
    let (mut s_final, mut s_mid) = (Vec::with_capacity(nl), Vec::with_capacity(nl));
    for (l, first) in w_start.iter().enumerate() {
        let (last, mid) = ends(Param::Weights, chain_of(l, Param::Weights, first)?, l);
        w_fin.push(last.ok_or(ProveError::Params("weight chain"))?);
        w_mid.push(mid);
        for (param, initial, finals, mids) in
            [(Param::Bias, &b_initial, &mut b_final, &mut b_mid), (Param::Slope, &s_initial, &mut s_final, &mut s_mid)]
        {
            let (last, mid) = match &initial[l] {
                Some(v0) => ends(param, chain_of(l, param, v0)?, l),
                None => (None, Vec::new()),
            };
            finals.push(last);
            mids.push(mid);
        }
    }
    let statement = Statement {
        digest: spec.digest(),
        step_offset,
        initial_checked: layout.initial_checked,
        dataset: how.dataset,
        data,
        w_initial,
        w_final: w_fin,
        b_initial,
        b_final,
        s_initial,
        s_final,
    };
    let proof_tensors = committed.into_iter().flatten().collect();
    let mut proof = TrainingProof { w_mid, b_mid, s_mid, tensors: proof_tensors, relations: Default::default() };
    let comms = tensor_commitments(gens, layout, &statement, &proof)?;
    let mut t = Transcript::new(labels::TRAINING_DOMAIN);
    absorb_statement(&mut t, &statement);
    let refs: Vec<&[i64]> = tables.iter().map(|v| v.as_slice()).collect();
    let crefs: Vec<&HyraxCommitment> = comms.iter().collect();
    proof.relations = prove_relations(gens, how.kernels.cloned(), &mut t, &layout.set, &refs, &crefs, rng, phases)?;
    Ok(Some((statement, proof)))
}

/// `w` of layer `layer`'s weights `W(0) = 2^shift w`: an entry that is not such a
/// multiple is refused (the bound `bits` on `w` only names the requirement in the error;
/// [`check_initial_weights`] checks it).
fn initial_scale(layer: usize, w0: &[i64], shift: u32, bits: u32) -> Result<Vec<i64>, ProveError> {
    w0.iter()
        .enumerate()
        .map(|(index, &v)| {
            let w = v >> shift;
            match w << shift == v {
                true => Ok(w),
                false => Err(ProveError::InitialWeight { layer, index, value: v, bits, shift }),
            }
        })
        .collect()
}

/// Whether committing `A^T G` (`k x n` and `k x m` factors, `2^col` columns) from its
/// factors (`pcs::commit_tn_product`) takes fewer scalars than committing the `n x m`
/// table: `k (2^col + n)` when a Hyrax row holds whole product rows, else
/// `k (m + n m / 2^col)`.
fn factors_are_cheaper(k: usize, n: usize, m: usize, col: usize) -> bool {
    let cols = 1usize << col;
    let factors = match cols >= m {
        true => k.saturating_mul(cols.saturating_add(n)),
        false => k.saturating_mul(m.saturating_add(n.saturating_mul(m / cols))),
    };
    factors < n.saturating_mul(m)
}

/// Exact SGD: the commitments of `W(1..T)` of layer `l` from that of `W(0)` and the
/// factors of every update, `ΔW(t) = m A_t^T G_t` of batch rank
/// (`pcs::commit_tn_product`): `Com(W(t+1)) = Com(W(t)) - Com(ΔW(t))`, the same points
/// as committing the tables, for `batch (2^col + d_in)` small scalars per step instead
/// of `d_in d_out` weight-sized ones. `None` where that is not fewer (narrow layers:
/// the weight tables are committed instead).
fn exact_weight_chain(
    gens: &HyraxGenerators,
    layout: &TrainingLayout,
    tables: &[Vec<i64>],
    l: usize,
    first: &HyraxCommitment,
) -> Result<Option<Vec<HyraxCommitment>>, ProveError> {
    let err = || ProveError::Params("exact weight chain");
    let dw = layout.kinds.iter().position(|&k| k == TensorKind::Dw(l)).ok_or_else(err)?;
    let m = layout.set.matmuls.iter().find(|m| m.cq == dw && m.rem.is_none()).ok_or_else(err)?;
    let (k, n, mm) = (1usize << m.shape.lj, 1usize << m.shape.li, 1usize << m.shape.lk);
    let col = layout.statement_col_vars(m.shape.li + m.shape.lk);
    if !factors_are_cheaper(k, n, mm, col) {
        return Ok(None);
    }
    let mult = i64::try_from(m.rescale.mult).map_err(|_| err())?;
    let (a, g) = (tables.get(m.x).ok_or_else(err)?, tables.get(m.y).ok_or_else(err)?);
    let mut out: Vec<HyraxCommitment> = Vec::with_capacity(layout.steps);
    for t in 0..layout.steps {
        let at = a.get(t * k * n..(t + 1) * k * n).ok_or_else(err)?;
        let gt = g.get(t * k * mm..(t + 1) * k * mm).ok_or_else(err)?;
        let delta = pcs::commit_tn_product(gens, col, at, gt, (k, n, mm), mult)?;
        let prev = out.last().unwrap_or(first);
        out.push(pcs::commit_affine_combination(gens, col, &[(prev, 1), (&delta, -1)], 0)?);
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use zkdl_circuit::proof::training_layout;

    /// With `derive_weights`, the statement's final weights and the intermediate ones
    /// come from `W(0)` and the committed updates, not from the `w_final` tables (here
    /// all zero), and equal the commitments of the honest tables.
    #[test]
    fn weight_chain_is_derived_from_the_updates() {
        for (bias, steps, exact) in [(true, 1, false), (false, 3, false), (true, 3, true), (false, 2, true)] {
            let mut spec = CircuitSpec::mlp("chain", 64, &[64], 64, bias, 4, steps);
            spec.train.exact_update = exact;
            // exact mode: both 64 x 64 layers take the route through the update's factors
            let lay = training_layout(&spec).unwrap();
            let col = |vars: usize| lay.statement_col_vars(vars);
            assert!(!exact || factors_are_cheaper(4, 64, 64, col(12)));
            let fp = spec.fixed_point().unwrap();
            let d = crate::data::synthetic(4 * steps, 64, 64, 3);
            let batches: Vec<Batch> = (0..steps)
                .map(|t| {
                    let s = d.slice(4 * t, 4 * t + 4);
                    Batch { x: fp.encode_slice(&s.x).unwrap(), y: fp.encode_slice(&s.y).unwrap() }
                })
                .collect();
            let w0 = crate::train::init_weights(&spec, 5).unwrap();
            let (wt, traces) = train_traced(&spec, &w0, &batches).unwrap();
            let gens = zkdl_circuit::assemble::training_generators(&spec).unwrap();
            let zero = wt.zeros_like();
            let rng = &mut StdRng::seed_from_u64(1);
            let mut run = |w: &Weights, derive: bool| {
                let tr = traces.clone();
                let layout = training_layout_for(&spec, true).unwrap();
                let how = How {
                    layout: &layout,
                    derive_weights: derive,
                    previous: None,
                    dataset: None,
                    check: Check::No,
                    kernels: None,
                };
                prove_traces_with(&gens, &spec, &w0, w, &batches, tr, rng, &mut Phases::default(), how)
                    .unwrap()
                    .unwrap()
            };
            let (derived, dp) = run(&zero, true);
            let (direct, pp) = run(&wt, false);
            let (wrong, _) = run(&zero, false);
            assert_eq!(derived.w_final, direct.w_final, "case {bias} {steps} {exact}");
            assert_eq!(dp.w_mid, pp.w_mid, "intermediate weights (sent in exact mode)");
            assert_eq!(dp.w_mid.iter().all(|m| m.is_empty()), !exact || steps == 1);
            // biases are derived where their update's column split allows it (here: not
            // in exact mode, whose fewer weight-sized tensors change the tiny splits)
            let layout = training_layout(&spec).unwrap();
            if !bias || chain_is_derived(&layout, 0, Param::Bias) {
                assert_eq!(derived.b_final, direct.b_final);
            } else {
                assert!(exact);
            }
            assert_ne!(wrong.w_final, direct.w_final, "the zero weights commit differently");
        }
    }
}
