//! `verify(spec, statement, proof)`: the proof of training (version 0, see
//! `zkdl_circuit::proof`).

use zkdl_circuit::gadgets::{plane_vars, MaskKind, MatmulForm, MatmulShape, RescaleSpec, RescaledMatmulCommitments};
use zkdl_circuit::proof::{absorb_statement, absorb_step, proof_dims, LinearProof, Statement, TrainingProof};
use zkdl_circuit::CircuitSpec;
use zkdl_core::field::Fr;
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators};
use zkdl_core::transcript::{labels, Transcript};

use crate::matmul::verify_rescaled_matmul;
use crate::VerifyError;

/// Label from which the training proof's generators are derived.
pub const GENERATORS_LABEL: &[u8] = b"zkdl/v1/training-generators";

/// The number of variables the generators must cover for `spec`.
pub fn generator_vars(spec: &CircuitSpec) -> Result<usize, VerifyError> {
    let pd = proof_dims(spec).map_err(VerifyError::Params)?;
    let (lb, d) = (pd.lb, pd.log_dims);
    let q = spec.fixed.total_bits;
    let pv = plane_vars(q).max(plane_vars(spec.fixed.frac_bits + spec.train.lr_shift));
    let mut max = 0;
    for w in d.windows(2) {
        if let [a, b] = w {
            max = max.max(lb + a).max(lb + b).max(a + b);
        }
    }
    Ok(max + pv)
}

/// Check `sum_i coeffs[i] * T_i = 0` for the committed tensors `comms` (`n` variables).
pub fn verify_linear(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    n: usize,
    comms: &[&HyraxCommitment],
    coeffs: &[Fr],
    p: &LinearProof,
) -> Result<(), VerifyError> {
    if p.values.len() != comms.len() || coeffs.len() != comms.len() {
        return Err(VerifyError::Params("linear relation: wrong number of values"));
    }
    let r = t.challenge_scalars(labels::LINEAR_R, n);
    t.append_scalars(labels::LINEAR_VALUES, &p.values);
    let sum: Fr = coeffs.iter().zip(&p.values).map(|(c, v)| *c * v).sum();
    if sum != Fr::from(0u64) {
        return Err(VerifyError::FinalClaim { what: "linear relation" });
    }
    let rho = t.challenge_scalars(labels::LINEAR_RHO, comms.len());
    let combined = pcs::HyraxCommitment::combine(comms, &rho)
        .map_err(|source| VerifyError::Opening { what: "linear relation", source })?;
    let value: Fr = rho.iter().zip(&p.values).map(|(a, b)| *a * b).sum();
    pcs::verify(gens, n, &combined, &r, value, &p.opening, t)
        .map_err(|source| VerifyError::Opening { what: "linear relation", source })
}

fn need<'a, T>(x: Option<&'a T>, what: &'static str) -> Result<&'a T, VerifyError> {
    x.ok_or(VerifyError::Shape(what))
}

/// Verify that the weights committed in `statement.w_final` result from
/// `spec.train.steps` SGD steps on the committed data from `statement.w_initial`.
pub fn verify(spec: &CircuitSpec, statement: &Statement, proof: &TrainingProof) -> Result<(), VerifyError> {
    spec.validate().map_err(|_| VerifyError::Params("invalid circuit"))?;
    if statement.digest != spec.digest() {
        return Err(VerifyError::DigestMismatch);
    }
    let gens = HyraxGenerators::new(GENERATORS_LABEL, generator_vars(spec)?)
        .map_err(|source| VerifyError::Opening { what: "generators", source })?;
    verify_with(&gens, spec, statement, proof)
}

/// [`verify`] with generators derived by the caller (see [`generator_vars`]).
pub fn verify_with(
    gens: &HyraxGenerators,
    spec: &CircuitSpec,
    statement: &Statement,
    proof: &TrainingProof,
) -> Result<(), VerifyError> {
    if statement.digest != spec.digest() {
        return Err(VerifyError::DigestMismatch);
    }
    let pd = proof_dims(spec).map_err(VerifyError::Params)?;
    let (lb, d) = (pd.lb, pd.log_dims.clone());
    let nl = spec.model.layers.len();
    let steps = spec.train.steps;
    if statement.data.len() != steps || proof.steps.len() != steps {
        return Err(VerifyError::Shape("number of steps"));
    }
    if statement.w_initial.len() != nl || statement.w_final.len() != nl {
        return Err(VerifyError::Shape("number of layers in the statement"));
    }
    let has_bias: Vec<bool> = spec.model.layers.iter().map(|l| l.bias).collect();
    if statement.b_initial.len() != nl || statement.b_final.len() != nl {
        return Err(VerifyError::Shape("number of biases in the statement"));
    }
    for ((hb, bi), bf) in has_bias.iter().zip(&statement.b_initial).zip(&statement.b_final) {
        if *hb != bi.is_some() || *hb != bf.is_some() {
            return Err(VerifyError::Shape("bias commitments in the statement"));
        }
    }
    let n_bias = has_bias.iter().filter(|b| **b).count();
    let (f, q) = (spec.fixed.frac_bits, spec.fixed.total_bits);
    let resc = RescaleSpec { mult: 1, shift: f, total_bits: q };
    let upd = RescaleSpec { mult: spec.train.lr_mantissa, shift: f + spec.train.lr_shift, total_bits: q };
    let one = Fr::from(1u64);
    let mut t = Transcript::new(labels::TRAINING_DOMAIN);
    absorb_statement(&mut t, statement);
    // Zero padding of the statement's inputs.
    if proof.padding.len() != nl + n_bias + 2 * steps {
        return Err(VerifyError::Shape("number of padding proofs"));
    }
    let real = |i: usize| pd.dims.get(i).copied().ok_or(VerifyError::Shape("layer index"));
    let logd = |i: usize| d.get(i).copied().ok_or(VerifyError::Shape("layer index"));
    let mut pads = proof.padding.iter();
    for (l, w) in statement.w_initial.iter().enumerate() {
        let p = pads.next().ok_or(VerifyError::Shape("padding proofs"))?;
        verify_zero_padding(gens, &mut t, w, (real(l)?, real(l + 1)?), (logd(l)?, logd(l + 1)?), p)?;
    }
    for (l, b) in statement.b_initial.iter().enumerate() {
        if let Some(b) = b {
            let p = pads.next().ok_or(VerifyError::Shape("padding proofs"))?;
            verify_zero_padding(gens, &mut t, b, (1, real(l + 1)?), (0, logd(l + 1)?), p)?;
        }
    }
    let ones = pcs::commit(gens, lb, pcs::Table::Small(&vec![1i64; 1usize << lb]), None, &zkdl_core::msm::CpuMsm)
        .map_err(|source| VerifyError::Opening { what: "ones vector", source })?;
    for (x, y) in &statement.data {
        let p = pads.next().ok_or(VerifyError::Shape("padding proofs"))?;
        verify_zero_padding(gens, &mut t, x, (pd.batch, real(0)?), (lb, logd(0)?), p)?;
        let p = pads.next().ok_or(VerifyError::Shape("padding proofs"))?;
        verify_zero_padding(gens, &mut t, y, (pd.batch, real(nl)?), (lb, logd(nl)?), p)?;
    }
    let mut w_cur: Vec<&HyraxCommitment> = statement.w_initial.iter().collect();
    let mut b_cur: Vec<Option<&HyraxCommitment>> = statement.b_initial.iter().map(|b| b.as_ref()).collect();
    for (ti, (sp, (x_t, y_t))) in proof.steps.iter().zip(&statement.data).enumerate() {
        let last_step = ti + 1 == steps;
        if sp.layers.len() != nl || sp.forward.len() != nl || sp.update.len() != nl || sp.weights.len() != nl {
            return Err(VerifyError::Shape("number of layers in a step"));
        }
        if sp.backward.len() + 1 != nl || sp.bias_update.len() != nl || sp.bias_chain.len() != nl {
            return Err(VerifyError::Shape("number of backward or bias relations"));
        }
        absorb_step(&mut t, &sp.layers);
        let dim = |i: usize| d.get(i).copied().ok_or(VerifyError::Shape("layer index"));
        // Layer inputs: X_t, then the hidden activations.
        let mut inputs: Vec<&HyraxCommitment> = vec![x_t];
        for (l, lc) in sp.layers.iter().enumerate() {
            let hidden = l + 1 < nl;
            if hidden != lc.act.is_some() || (l > 0) != lc.gaq.is_some() || (l > 0) != lc.gar.is_some() {
                return Err(VerifyError::Shape("layer commitments"));
            }
            if last_step == lc.w_next.is_some() {
                return Err(VerifyError::Shape("next-weight commitments"));
            }
            let hb = has_bias.get(l).copied().unwrap_or(false);
            if hb != lc.db.is_some() || hb != lc.dbr.is_some() || (hb && !last_step) != lc.b_next.is_some() {
                return Err(VerifyError::Shape("bias commitments"));
            }
            if let Some(a) = lc.act.as_ref() {
                inputs.push(a);
            }
        }
        // Forward.
        for (l, (lc, fp)) in sp.layers.iter().zip(&sp.forward).enumerate() {
            let hidden = l + 1 < nl;
            let shape = MatmulShape { form: MatmulForm::NN, li: lb, lj: dim(l)?, lk: dim(l + 1)? };
            let comms = RescaledMatmulCommitments {
                x: (*need(inputs.get(l), "layer input")?).clone(),
                y: (*need(w_cur.get(l), "weights")?).clone(),
                cq: lc.zq.clone(),
                rem: lc.rem.clone(),
                out: lc.act.clone(),
                bias: b_cur.get(l).copied().flatten().cloned(),
            };
            let mask = if hidden { MaskKind::OwnSign } else { MaskKind::None };
            verify_rescaled_matmul(gens, &mut t, shape, resc, mask, &comms, None, fp)?;
        }
        // Loss gradient: G_L = Z'_L - Y_t.
        let last = need(sp.layers.last(), "layers")?;
        verify_linear(gens, &mut t, lb + dim(nl)?, &[&last.g, &last.zq, y_t], &[one, -one, one], &sp.loss)?;
        // Backward: GA_{l-1} = G_l W_l^T, rescaled, masked with the forward sign of layer l-1.
        for (k, bp) in sp.backward.iter().enumerate() {
            let l = nl - 1 - k;
            let lc = need(sp.layers.get(l), "layer")?;
            let prev = need(sp.layers.get(l - 1), "layer")?;
            let signs = &need(sp.forward.get(l - 1), "forward proof")?.cq_range.bits;
            let shape = MatmulShape { form: MatmulForm::NT, li: lb, lj: dim(l + 1)?, lk: dim(l)? };
            let comms = RescaledMatmulCommitments {
                x: lc.g.clone(),
                y: (*need(w_cur.get(l), "weights")?).clone(),
                cq: need(lc.gaq.as_ref(), "GA'")?.clone(),
                rem: need(lc.gar.as_ref(), "GA' remainders")?.clone(),
                out: Some(prev.g.clone()),
                bias: None,
            };
            let mask = MaskKind::External { plane: q - 1, plane_vars: plane_vars(q) };
            verify_rescaled_matmul(gens, &mut t, shape, resc, mask, &comms, Some(signs), bp)?;
        }
        // SGD updates and the weight chain.
        let mut next: Vec<&HyraxCommitment> = Vec::with_capacity(nl);
        for (l, (lc, (up, wp))) in sp.layers.iter().zip(sp.update.iter().zip(&sp.weights)).enumerate() {
            let shape = MatmulShape { form: MatmulForm::TN, li: dim(l)?, lj: lb, lk: dim(l + 1)? };
            let comms = RescaledMatmulCommitments {
                x: (*need(inputs.get(l), "layer input")?).clone(),
                y: lc.g.clone(),
                cq: lc.dw.clone(),
                rem: lc.dwr.clone(),
                out: None,
                bias: None,
            };
            verify_rescaled_matmul(gens, &mut t, shape, upd, MaskKind::None, &comms, None, up)?;
            let w_next = match lc.w_next.as_ref() {
                Some(w) => w,
                None => need(statement.w_final.get(l), "final weights")?,
            };
            let w_now = *need(w_cur.get(l), "weights")?;
            verify_linear(gens, &mut t, dim(l)? + dim(l + 1)?, &[w_next, w_now, &lc.dw], &[one, -one, one], wp)?;
            next.push(w_next);
        }
        // Bias updates: Gb = 1^T G rescaled by the learning rate, and the bias chain.
        let bias_upd = RescaleSpec { mult: spec.train.lr_mantissa, shift: spec.train.lr_shift, total_bits: q };
        let mut b_next: Vec<Option<&HyraxCommitment>> = Vec::with_capacity(nl);
        for (l, lc) in sp.layers.iter().enumerate() {
            let (bu, bch) =
                (sp.bias_update.get(l).and_then(|b| b.as_ref()), sp.bias_chain.get(l).and_then(|b| b.as_ref()));
            let (Some(db), Some(dbr)) = (lc.db.as_ref(), lc.dbr.as_ref()) else {
                if bu.is_some() || bch.is_some() {
                    return Err(VerifyError::Shape("bias proof without a bias"));
                }
                b_next.push(None);
                continue;
            };
            let (Some(bu), Some(bch), Some(b_now)) = (bu, bch, b_cur.get(l).copied().flatten()) else {
                return Err(VerifyError::Shape("bias proofs missing"));
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
            verify_rescaled_matmul(gens, &mut t, shape, bias_upd, MaskKind::None, &comms, None, bu)?;
            let b_new = match lc.b_next.as_ref() {
                Some(b) => b,
                None => need(statement.b_final.get(l).and_then(|b| b.as_ref()), "final bias")?,
            };
            verify_linear(gens, &mut t, dim(l + 1)?, &[b_new, b_now, db], &[one, -one, one], bch)?;
            b_next.push(Some(b_new));
        }
        w_cur = next;
        b_cur = b_next;
    }
    Ok(())
}

/// Verify that the matrix committed in `comm` (`2^row_vars x 2^col_vars`) is zero
/// outside its top-left `rows x cols` block.
pub fn verify_zero_padding(
    gens: &HyraxGenerators,
    t: &mut Transcript,
    comm: &HyraxCommitment,
    (rows, cols): (usize, usize),
    (row_vars, col_vars): (usize, usize),
    p: &zkdl_circuit::gadgets::ZeroPaddingProof,
) -> Result<(), VerifyError> {
    let n = row_vars + col_vars;
    let rho = t.challenge_scalars(labels::PADDING_RHO, n);
    let (r, value) = zkdl_core::sumcheck::verify(Fr::from(0u64), n, 3, &p.sumcheck, t)
        .map_err(|source| VerifyError::Sumcheck { what: "zero padding", source })?;
    let pad = zkdl_circuit::gadgets::padding_indicator_eval(rows, cols, row_vars, col_vars, &r)
        .ok_or(VerifyError::Params("padding point"))?;
    let eq = zkdl_core::mle::eq_eval(&rho, &r).ok_or(VerifyError::Params("padding point"))?;
    if value != eq * pad * p.value {
        return Err(VerifyError::FinalClaim { what: "zero padding" });
    }
    t.append_scalar(labels::PADDING_CLAIM, &p.value);
    pcs::verify(gens, n, comm, &r, p.value, &p.opening, t)
        .map_err(|source| VerifyError::Opening { what: "zero padding", source })
}
