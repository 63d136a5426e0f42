//! The prover of training (version 0, see `zkdl_circuit::proof`): trains with
//! [`crate::train::train_traced`], commits every tensor once, and proves every
//! relation of every step in the order the verifier checks them.

use ark_std::rand::{CryptoRng, RngCore};
use zkdl_circuit::gadgets::{plane_vars, MaskKind, MatmulForm, MatmulShape, RescaleSpec, RescaledMatmulCommitments};
use zkdl_circuit::proof::{
    absorb_statement, absorb_step, proof_dims, LayerCommitments, LinearProof, ProofDims, Statement, StepProof,
    TrainingProof,
};
use zkdl_circuit::CircuitSpec;
use zkdl_core::field::{fr_vec_from_i64, Fr};
use zkdl_core::msm::CpuMsm;
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators, Table};
use zkdl_core::transcript::{labels, Transcript};
use zkdl_verifier::training::{generator_vars, GENERATORS_LABEL};

use crate::matmul::{prove_rescaled_matmul, ExternalPlanes, RescaledMatmulWitness};
use crate::range::ProveError;
use crate::train::{train_traced, Batch, LayerWeights, StepTrace, Weights};

/// Open `sum_i rho_i T_i` at a random point: the proof of a linear relation among
/// committed tensors of one shape (see `zkdl_verifier::training::verify_linear`).
pub fn prove_linear<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    n: usize,
    tables: &[&[i64]],
    comms: &[&HyraxCommitment],
    rng: &mut R,
) -> Result<LinearProof, ProveError> {
    let r = t.challenge_scalars(labels::LINEAR_R, n);
    let frs: Vec<Vec<Fr>> = tables.iter().map(|v| fr_vec_from_i64(v)).collect();
    let values: Vec<Fr> = frs.iter().map(|v| pcs::evaluate_table(v, &r)).collect();
    t.append_scalars(labels::LINEAR_VALUES, &values);
    let rho = t.challenge_scalars(labels::LINEAR_RHO, tables.len());
    let refs: Vec<&[Fr]> = frs.iter().map(|v| v.as_slice()).collect();
    let combined = pcs::combine_tables(&refs, &rho);
    let ccomm = HyraxCommitment::combine(comms, &rho)?;
    let (_, opening) = pcs::open(gens, n, &combined, None, &ccomm, &r, t, rng)?;
    Ok(LinearProof { values, opening })
}

/// Trains `spec.train.steps` steps from `w0` on `batches` and proves it. Returns the
/// statement, the proof and the final weights.
pub fn prove_training<R: RngCore + CryptoRng>(
    spec: &CircuitSpec,
    w0: &Weights,
    batches: &[Batch],
    rng: &mut R,
) -> Result<(Statement, TrainingProof, Weights), ProveError> {
    spec.validate().map_err(|_| ProveError::Params("invalid circuit"))?;
    let pd = proof_dims(spec).map_err(ProveError::Params)?;
    if batches.len() != spec.train.steps {
        return Err(ProveError::Params("one batch per step is needed"));
    }
    // Train the zero-padded network: its padded parts stay zero, the real parts are
    // bit-identical to training the unpadded network.
    let padded_spec = pad_spec(spec, &pd);
    let w0p = pad_weights(w0, &pd);
    let batches_p: Vec<Batch> = batches.iter().map(|b| pad_batch(b, &pd)).collect();
    let (w_final_p, traces) =
        train_traced(&padded_spec, &w0p, &batches_p).map_err(|_| ProveError::Params("training failed"))?;
    let gens = HyraxGenerators::new(GENERATORS_LABEL, generator_vars(spec).map_err(|_| ProveError::Params("dims"))?)?;
    let (statement, proof) = prove_traces(&gens, spec, &w0p, &w_final_p, &batches_p, &traces, rng)?;
    Ok((statement, proof, unpad_weights(&w_final_p, &pd)))
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
            LayerWeights { d_in: rows, d_out: cols, w: out, b: lw.b.as_ref().map(|b| b[..cols].to_vec()) }
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

/// Proves given traces of the zero-padded network (exposed so that tests can play a
/// cheating prover). `w0`, `w_final`, `batches` and `traces` are all padded.
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
    let pd = proof_dims(spec).map_err(ProveError::Params)?;
    let (lb, d) = (pd.lb, &pd.log_dims);
    let nl = spec.model.layers.len();
    let commit = |n: usize, v: &[i64]| pcs::commit(gens, n, Table::Small(v), None, &CpuMsm);
    let dim = |i: usize| d.get(i).copied().ok_or(ProveError::Params("layer index"));
    let w_vars = |l: usize| -> Result<usize, ProveError> { Ok(dim(l)? + dim(l + 1)?) };
    let mut data = Vec::with_capacity(batches.len());
    for b in batches {
        data.push((commit(lb + dim(0)?, &b.x)?, commit(lb + dim(nl)?, &b.y)?));
    }
    let mut w_initial = Vec::with_capacity(nl);
    let mut w_fin = Vec::with_capacity(nl);
    for l in 0..nl {
        w_initial.push(commit(w_vars(l)?, &w0.layers[l].w)?);
        w_fin.push(commit(w_vars(l)?, &w_final.layers[l].w)?);
    }
    let commit_bias = |w: &Weights, l: usize| -> Result<Option<HyraxCommitment>, ProveError> {
        match w.layers.get(l).and_then(|lw| lw.b.as_ref()) {
            Some(b) => Ok(Some(commit(dim(l + 1)?, b)?)),
            None => Ok(None),
        }
    };
    let b_initial = (0..nl).map(|l| commit_bias(w0, l)).collect::<Result<Vec<_>, _>>()?;
    let b_final = (0..nl).map(|l| commit_bias(w_final, l)).collect::<Result<Vec<_>, _>>()?;
    let statement = Statement { digest: spec.digest(), data, w_initial, w_final: w_fin, b_initial, b_final };
    let mut t = Transcript::new(labels::TRAINING_DOMAIN);
    absorb_statement(&mut t, &statement);
    let mut padding = Vec::with_capacity(nl + 2 * batches.len());
    for l in 0..nl {
        let (real, logs) = ((pd.dims[l], pd.dims[l + 1]), (d[l], d[l + 1]));
        padding.push(prove_zero_padding(gens, &mut t, &w0.layers[l].w, &statement.w_initial[l], real, logs, rng)?);
    }
    for l in 0..nl {
        if let (Some(b), Some(bc)) = (w0.layers[l].b.as_ref(), statement.b_initial[l].as_ref()) {
            padding.push(prove_zero_padding(gens, &mut t, b, bc, (1, pd.dims[l + 1]), (0, d[l + 1]), rng)?);
        }
    }
    let ones_table = vec![1i64; 1usize << lb];
    let ones = commit(lb, &ones_table)?;
    for (b, (cx, cy)) in batches.iter().zip(&statement.data) {
        padding.push(prove_zero_padding(gens, &mut t, &b.x, cx, (pd.batch, pd.dims[0]), (lb, d[0]), rng)?);
        padding.push(prove_zero_padding(gens, &mut t, &b.y, cy, (pd.batch, pd.dims[nl]), (lb, d[nl]), rng)?);
    }
    let (f, q) = (spec.fixed.frac_bits, spec.fixed.total_bits);
    let resc = RescaleSpec { mult: 1, shift: f, total_bits: q };
    let upd = RescaleSpec { mult: spec.train.lr_mantissa, shift: f + spec.train.lr_shift, total_bits: q };
    let mut steps = Vec::with_capacity(traces.len());
    let mut w_cur: Vec<HyraxCommitment> = statement.w_initial.clone();
    let mut b_cur: Vec<Option<HyraxCommitment>> = statement.b_initial.clone();
    let bias_upd = RescaleSpec { mult: spec.train.lr_mantissa, shift: spec.train.lr_shift, total_bits: q };
    for (ti, tr) in traces.iter().enumerate() {
        let last_step = ti + 1 == traces.len();
        let mut layers = Vec::with_capacity(nl);
        for (l, lt) in tr.layers.iter().enumerate() {
            let n_out = lb + dim(l + 1)?;
            let n_in = lb + dim(l)?;
            let w_next = if last_step {
                None
            } else {
                let nw = traces.get(ti + 1).and_then(|n| n.layers.get(l)).ok_or(ProveError::Params("trace"))?;
                Some(commit(w_vars(l)?, &nw.w_before.w)?)
            };
            layers.push(LayerCommitments {
                zq: commit(n_out, &lt.zq)?,
                rem: commit(n_out, &lt.zr)?,
                act: if l + 1 < nl { Some(commit(n_out, &lt.a_out)?) } else { None },
                g: commit(n_out, &lt.g)?,
                gaq: if l > 0 { Some(commit(n_in, &lt.gaq)?) } else { None },
                gar: if l > 0 { Some(commit(n_in, &lt.gar)?) } else { None },
                dw: commit(w_vars(l)?, &lt.dw)?,
                dwr: commit(w_vars(l)?, &lt.dwr)?,
                w_next,
                db: if lt.db.is_empty() { None } else { Some(commit(dim(l + 1)?, &lt.db)?) },
                dbr: if lt.dbr.is_empty() { None } else { Some(commit(dim(l + 1)?, &lt.dbr)?) },
                b_next: match (last_step, lt.w_before.b.is_some()) {
                    (false, true) => {
                        let nb = traces.get(ti + 1).and_then(|n| n.layers.get(l)).and_then(|n| n.w_before.b.as_ref());
                        Some(commit(dim(l + 1)?, nb.ok_or(ProveError::Params("trace"))?)?)
                    }
                    _ => None,
                },
            });
        }
        absorb_step(&mut t, &layers);
        let (x_t, y_t) = statement.data.get(ti).ok_or(ProveError::Params("data"))?;
        let mut inputs: Vec<&HyraxCommitment> = vec![x_t];
        inputs.extend(layers.iter().filter_map(|lc| lc.act.as_ref()));
        // Forward.
        let mut forward = Vec::with_capacity(nl);
        let mut planes = Vec::with_capacity(nl);
        for (l, (lt, lc)) in tr.layers.iter().zip(&layers).enumerate() {
            let hidden = l + 1 < nl;
            let shape = MatmulShape { form: MatmulForm::NN, li: lb, lj: dim(l)?, lk: dim(l + 1)? };
            let comms = RescaledMatmulCommitments {
                x: inputs[l].clone(),
                y: w_cur[l].clone(),
                cq: lc.zq.clone(),
                rem: lc.rem.clone(),
                out: lc.act.clone(),
                bias: b_cur[l].clone(),
            };
            let wit = RescaledMatmulWitness {
                x: lt.a_in.clone(),
                y: lt.w_before.w.clone(),
                cq: lt.zq.clone(),
                rem: lt.zr.clone(),
                out: hidden.then(|| lt.a_out.clone()),
                bias: lt.w_before.b.clone(),
            };
            let mask = if hidden { MaskKind::OwnSign } else { MaskKind::None };
            let (p, pl) = prove_rescaled_matmul(gens, &mut t, shape, resc, mask, &wit, &comms, None, rng)?;
            forward.push(p);
            planes.push(pl);
        }
        // Loss gradient.
        let (lt_last, lc_last) = (&tr.layers[nl - 1], &layers[nl - 1]);
        let batch = batches.get(ti).ok_or(ProveError::Params("batch"))?;
        let loss = prove_linear(
            gens,
            &mut t,
            lb + dim(nl)?,
            &[&lt_last.g, &lt_last.zq, &batch.y],
            &[&lc_last.g, &lc_last.zq, y_t],
            rng,
        )?;
        // Backward.
        let mut backward = Vec::with_capacity(nl.saturating_sub(1));
        for l in (1..nl).rev() {
            let (lt, lc, prev) = (&tr.layers[l], &layers[l], &layers[l - 1]);
            let shape = MatmulShape { form: MatmulForm::NT, li: lb, lj: dim(l + 1)?, lk: dim(l)? };
            let comms = RescaledMatmulCommitments {
                x: lc.g.clone(),
                y: w_cur[l].clone(),
                cq: lc.gaq.clone().ok_or(ProveError::Params("GA'"))?,
                rem: lc.gar.clone().ok_or(ProveError::Params("GA' remainders"))?,
                out: Some(prev.g.clone()),
                bias: None,
            };
            let wit = RescaledMatmulWitness {
                x: lt.g.clone(),
                y: lt.w_before.w.clone(),
                cq: lt.gaq.clone(),
                rem: lt.gar.clone(),
                out: Some(tr.layers[l - 1].g.clone()),
                bias: None,
            };
            let ext = ExternalPlanes { planes: &planes[l - 1], commitment: &forward[l - 1].cq_range.bits };
            let mask = MaskKind::External { plane: q - 1, plane_vars: plane_vars(q) };
            let (p, _) = prove_rescaled_matmul(gens, &mut t, shape, resc, mask, &wit, &comms, Some(&ext), rng)?;
            backward.push(p);
        }
        // Updates and the weight chain.
        let mut update = Vec::with_capacity(nl);
        let mut weights = Vec::with_capacity(nl);
        let mut next = Vec::with_capacity(nl);
        for (l, (lt, lc)) in tr.layers.iter().zip(&layers).enumerate() {
            let shape = MatmulShape { form: MatmulForm::TN, li: dim(l)?, lj: lb, lk: dim(l + 1)? };
            let comms = RescaledMatmulCommitments {
                x: inputs[l].clone(),
                y: lc.g.clone(),
                cq: lc.dw.clone(),
                rem: lc.dwr.clone(),
                out: None,
                bias: None,
            };
            let wit = RescaledMatmulWitness {
                x: lt.a_in.clone(),
                y: lt.g.clone(),
                cq: lt.dw.clone(),
                rem: lt.dwr.clone(),
                out: None,
                bias: None,
            };
            let (p, _) = prove_rescaled_matmul(gens, &mut t, shape, upd, MaskKind::None, &wit, &comms, None, rng)?;
            update.push(p);
            let (w_next_c, w_next_v) = match lc.w_next.as_ref() {
                Some(c) => (c.clone(), &traces[ti + 1].layers[l].w_before.w),
                None => (statement.w_final[l].clone(), &w_final.layers[l].w),
            };
            let lp = prove_linear(
                gens,
                &mut t,
                w_vars(l)?,
                &[w_next_v, &lt.w_before.w, &lt.dw],
                &[&w_next_c, &w_cur[l], &lc.dw],
                rng,
            )?;
            weights.push(lp);
            next.push(w_next_c);
        }
        // Bias updates and the bias chain.
        let mut bias_update = Vec::with_capacity(nl);
        let mut bias_chain = Vec::with_capacity(nl);
        let mut b_next_all = Vec::with_capacity(nl);
        for (l, (lt, lc)) in tr.layers.iter().zip(&layers).enumerate() {
            let (Some(db), Some(dbr), Some(b_now)) = (lc.db.as_ref(), lc.dbr.as_ref(), b_cur[l].as_ref()) else {
                bias_update.push(None);
                bias_chain.push(None);
                b_next_all.push(None);
                continue;
            };
            let shape = MatmulShape { form: MatmulForm::TN, li: 0, lj: lb, lk: dim(l + 1)? };
            let comms = RescaledMatmulCommitments {
                x: ones.clone(),
                y: lc.g.clone(),
                cq: db.clone(),
                rem: dbr.clone(),
                out: None,
                bias: None,
            };
            let wit = RescaledMatmulWitness {
                x: ones_table.clone(),
                y: lt.g.clone(),
                cq: lt.db.clone(),
                rem: lt.dbr.clone(),
                out: None,
                bias: None,
            };
            let (p, _) = prove_rescaled_matmul(gens, &mut t, shape, bias_upd, MaskKind::None, &wit, &comms, None, rng)?;
            bias_update.push(Some(p));
            let (b_new_c, b_new_v) = match lc.b_next.as_ref() {
                Some(c) => (c.clone(), traces[ti + 1].layers[l].w_before.b.as_ref()),
                None => (
                    statement.b_final[l].clone().ok_or(ProveError::Params("final bias"))?,
                    w_final.layers[l].b.as_ref(),
                ),
            };
            let b_new_v = b_new_v.ok_or(ProveError::Params("bias values"))?;
            let b_now_v = lt.w_before.b.as_ref().ok_or(ProveError::Params("bias values"))?;
            let lp = prove_linear(gens, &mut t, dim(l + 1)?, &[b_new_v, b_now_v, &lt.db], &[&b_new_c, b_now, db], rng)?;
            bias_chain.push(Some(lp));
            b_next_all.push(Some(b_new_c));
        }
        w_cur = next;
        b_cur = b_next_all;
        steps.push(StepProof { layers, forward, loss, backward, update, weights, bias_update, bias_chain });
    }
    Ok((statement, TrainingProof { padding, steps }))
}

/// Prove that `table` (a `2^row_vars x 2^col_vars` row-major matrix committed in
/// `comm`) is zero outside its top-left `rows x cols` block.
pub fn prove_zero_padding<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    table: &[i64],
    comm: &HyraxCommitment,
    (rows, cols): (usize, usize),
    (row_vars, col_vars): (usize, usize),
    rng: &mut R,
) -> Result<zkdl_circuit::gadgets::ZeroPaddingProof, ProveError> {
    use ark_ff::One;
    let n = row_vars + col_vars;
    let rho = t.challenge_scalars(labels::PADDING_RHO, n);
    let pad = zkdl_circuit::gadgets::padding_indicator(rows, cols, row_vars, col_vars);
    let tf = fr_vec_from_i64(table);
    let mle = |v: Vec<Fr>| zkdl_core::mle::DenseMle::new(v).map_err(|_| ProveError::Params("table size"));
    let mut inst =
        zkdl_core::sumcheck::ProductSum::new(vec![mle(pad)?, mle(tf.clone())?], vec![(Fr::one(), vec![0, 1])])?
            .with_eq(&rho)?;
    let claim = inst.sum();
    let (sumcheck, r) = zkdl_core::sumcheck::prove(&mut inst, claim, t)?;
    let value = pcs::evaluate_table(&tf, &r);
    t.append_scalar(labels::PADDING_CLAIM, &value);
    let (_, opening) = pcs::open(gens, n, &tf, None, comm, &r, t, rng)?;
    Ok(zkdl_circuit::gadgets::ZeroPaddingProof { sumcheck, value, opening })
}
