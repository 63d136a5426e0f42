//! The proof of training end to end: honest proofs verify (1 and 3 hidden layers,
//! T = 1 and 3); other data, another W^(0), another circuit, a wrong SGD update and a
//! flipped activation are rejected; tampered bytes give Err, never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Validate};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkdl_circuit::proof::{proof_dims, training_layout, LayoutError, Statement, TrainingProof};
use zkdl_circuit::CircuitSpec;
use zkdl_core::pcs::WIRE;
use zkdl_prover::data;
use zkdl_prover::prove::{check_traces, prove_traces, prove_training};
use zkdl_prover::train::{self, Batch, Weights};
use zkdl_verifier::training::{training_generators, verify, verify_with};
use zkdl_verifier::{Phase, Rejection, VerifyError};

/// Asserts that `r` rejects in `phase`, the way `how`.
#[track_caller]
fn rejects(r: Result<(), VerifyError>, (phase, how): (Phase, Rejection), what: &str) {
    match r {
        Err(e) => assert_eq!((e.phase(), e.how()), (Some(phase), how), "{what}: {e}"),
        Ok(()) => panic!("{what} accepted"),
    }
}

/// The rejection of one relation checked alone.
fn relation(phase: Phase, relation: usize, tensor: &str, check: &'static str) -> Result<(), VerifyError> {
    Err(VerifyError::Relation { phase, relation, tensor: tensor.into(), check })
}

/// A product of the matmul phase that does not hold.
const MATMUL: (Phase, Rejection) = (Phase::Matmul, Rejection::FinalClaim);
/// A statement (or commitment) other than the proof's: every challenge differs, so the
/// first sumcheck fails.
const STATEMENT: (Phase, Rejection) = (Phase::Booleanity, Rejection::RoundSum);
const WEIGHTED: &str = "the weighted sum is not zero";
const COMMITTED: &str = "the combined commitment is not zero";
const TERMS: &str = "its terms do not give the claimed value";

fn setup(hidden: &[usize], steps: usize) -> (CircuitSpec, Weights, Vec<Batch>) {
    setup_bias(hidden, steps, false)
}

fn setup_bias(hidden: &[usize], steps: usize, bias: bool) -> (CircuitSpec, Weights, Vec<Batch>) {
    let spec = CircuitSpec::mlp("proof-test", 8, hidden, 4, bias, 4, steps);
    let fp = spec.fixed_point().unwrap();
    let d = data::synthetic(4 * steps, 8, 4, 11);
    let batches = (0..steps)
        .map(|t| {
            let s = d.slice(4 * t, 4 * t + 4);
            Batch { x: fp.encode_slice(&s.x).unwrap(), y: fp.encode_slice(&s.y).unwrap() }
        })
        .collect();
    (spec.clone(), train::init_weights(&spec, 3).unwrap(), batches)
}

fn prove(spec: &CircuitSpec, w0: &Weights, batches: &[Batch]) -> (Statement, TrainingProof, Weights) {
    prove_training(spec, w0, batches, &mut StdRng::seed_from_u64(1)).unwrap()
}

#[test]
fn honest_proofs_verify() {
    for (hidden, steps) in [(vec![8], 1), (vec![8], 3), (vec![8, 8, 8], 1)] {
        let (spec, w0, batches) = setup(&hidden, steps);
        let (st, proof, wt) = prove(&spec, &w0, &batches);
        assert_eq!(wt, train::train_plain(&spec, &w0, &batches).unwrap());
        verify(&spec, &st, &proof).unwrap_or_else(|e| panic!("hidden {hidden:?} T={steps}: {e}"));
    }
}

/// A hidden layer without activation (the identity: its output is `Z'`, the gradient
/// at `Z'` the rescaled one at the output, a linear relation): honest proofs verify and
/// agree with the trainer; a gradient that skips the identity's relation is rejected.
#[test]
fn a_hidden_identity_layer() {
    let (mut spec, w0, batches) = setup_bias(&[8, 8], 2, true);
    spec.model.layers[0].activation = zkdl_circuit::Activation::Identity;
    spec.validate().unwrap();
    let (st, proof, wt) = prove(&spec, &w0, &batches);
    assert_eq!(wt, train::train_plain(&spec, &w0, &batches).unwrap());
    verify(&spec, &st, &proof).unwrap();
    // the identity's backward: layer 0's gradient is layer 1's rescaled GA', unmasked
    let (_, traces) = train::train_traced(&spec, &w0, &batches).unwrap();
    let (l0, l1) = (&traces[0].layers[0], &traces[0].layers[1]);
    assert_eq!(l0.g, l1.gaq);
    assert!(l0.zq.iter().any(|&z| z < 0) && l0.a_out == l0.zq, "negative outputs pass unchanged");
    // a witness whose layer-0 gradient is ReLU-masked (other than GA') is rejected
    let mut bad = traces.clone();
    for t in bad.iter_mut() {
        let (zq, g) = (t.layers[0].zq.clone(), &mut t.layers[0].g);
        g.iter_mut().zip(&zq).for_each(|(g, &z)| *g = if z < 0 { 0 } else { *g });
    }
    assert_ne!(bad, traces);
    let gens = training_generators(&spec).unwrap();
    let (st, p) = prove_traces(&gens, &spec, &w0, &wt, &batches, &bad, &mut StdRng::seed_from_u64(4)).unwrap();
    // (layer 0's update reads that gradient: its product fails first)
    let e = verify_with(&gens, &spec, &st, &p).unwrap_err();
    assert_eq!((e.phase(), e.how()), (Some(Phase::Matmul), Rejection::FinalClaim), "{e}");
    // the relation the identity adds is the first the witness breaks
    let e = match check_traces(&gens, &spec, &w0, &wt, &batches, &bad) {
        Err(zkdl_prover::ProveError::Witness(e)) => e,
        other => panic!("the witness checker passed a broken witness: {other:?}"),
    };
    let at = (e.relation.as_str(), e.tensor.as_str(), e.step, e.index);
    assert_eq!(at, ("linear relation over 1 Grad(0), -1 GaQ(1)", "Grad(0)", Some(0), 0), "{e}");
}

#[test]
fn three_hidden_layers_three_steps() {
    let (spec, w0, batches) = setup(&[8, 8, 8], 3);
    let (st, proof, _) = prove(&spec, &w0, &batches);
    verify(&spec, &st, &proof).unwrap();
}

#[test]
fn unsupported_circuits_are_clear_errors() {
    // a bias with a padded batch would leak into the padding rows
    let spec = CircuitSpec::mlp("bias", 8, &[8], 4, true, 3, 1);
    let e = proof_dims(&spec).unwrap_err();
    assert_eq!(e, LayoutError::Unsupported("proofs of layers with bias need a power-of-two batch"));
    assert!(proof_dims(&CircuitSpec::mlp("bias", 8, &[8], 4, true, 4, 1)).is_ok());
}

#[test]
fn honest_proofs_with_bias_verify() {
    for (hidden, steps) in [(vec![8], 3), (vec![8, 8, 8], 1)] {
        let (spec, w0, batches) = setup_bias(&hidden, steps, true);
        let (st, proof, wt) = prove(&spec, &w0, &batches);
        assert_eq!(wt, train::train_plain(&spec, &w0, &batches).unwrap());
        assert!(wt.layers.iter().all(|l| l.b.is_some()));
        assert_ne!(wt.layers[0].b, w0.layers[0].b, "bias did not train");
        verify(&spec, &st, &proof).unwrap_or_else(|e| panic!("bias, hidden {hidden:?} T={steps}: {e}"));
    }
    // a padded width with a bias
    let spec = CircuitSpec::mlp("bias-odd", 6, &[5], 3, true, 4, 1);
    let fp = spec.fixed_point().unwrap();
    let d = data::synthetic(4, 6, 3, 2);
    let batches = vec![Batch { x: fp.encode_slice(&d.x).unwrap(), y: fp.encode_slice(&d.y).unwrap() }];
    let w0 = train::init_weights(&spec, 4).unwrap();
    let (st, proof, wt) = prove(&spec, &w0, &batches);
    assert_eq!(wt, train::train_plain(&spec, &w0, &batches).unwrap());
    verify(&spec, &st, &proof).unwrap();
}

#[test]
fn bias_update_cheat_is_rejected() {
    let (spec, w0, batches) = setup_bias(&[8], 1, true);
    let gens = training_generators(&spec).unwrap();
    let (wt, traces) = train::train_traced(&spec, &w0, &batches).unwrap();
    // Δb off by one, final bias consistent with it
    let mut tr = traces.clone();
    let mut w_bad = wt.clone();
    tr[0].layers[1].db[1] += 1;
    w_bad.layers[1].b.as_mut().unwrap()[1] -= 1;
    let (st, p) = prove_traces(&gens, &spec, &w0, &w_bad, &batches, &tr, &mut StdRng::seed_from_u64(2)).unwrap();
    rejects(verify_with(&gens, &spec, &st, &p), MATMUL, "wrong bias update");
    // a final bias that does not follow from the update
    let mut w_bad = wt.clone();
    w_bad.layers[0].b.as_mut().unwrap()[0] += 1;
    let (st, p) = prove_traces(&gens, &spec, &w0, &w_bad, &batches, &traces, &mut StdRng::seed_from_u64(2)).unwrap();
    assert_eq!(
        verify_with(&gens, &spec, &st, &p),
        relation(Phase::LinearOnCommitments, 3, "BiasAfter(0)", COMMITTED),
        "wrong final bias"
    );
    // the honest one verifies
    let (st, p) = prove_traces(&gens, &spec, &w0, &wt, &batches, &traces, &mut StdRng::seed_from_u64(2)).unwrap();
    verify_with(&gens, &spec, &st, &p).unwrap();
}

fn setup_odd(steps: usize) -> (CircuitSpec, Weights, Vec<Batch>) {
    // 6 -> 5 (ReLU) -> 3, batch 3: every dimension is padded.
    let spec = CircuitSpec::mlp("odd", 6, &[5], 3, false, 3, steps);
    let fp = spec.fixed_point().unwrap();
    let d = data::synthetic(3 * steps, 6, 3, 5);
    let batches = (0..steps)
        .map(|t| {
            let s = d.slice(3 * t, 3 * t + 3);
            Batch { x: fp.encode_slice(&s.x).unwrap(), y: fp.encode_slice(&s.y).unwrap() }
        })
        .collect();
    (spec.clone(), train::init_weights(&spec, 9).unwrap(), batches)
}

#[test]
fn padded_shapes_prove_and_verify() {
    let (spec, w0, batches) = setup_odd(2);
    let (st, proof, wt) = prove(&spec, &w0, &batches);
    assert_eq!(wt, train::train_plain(&spec, &w0, &batches).unwrap(), "padding changed the training");
    verify(&spec, &st, &proof).unwrap();
}

#[test]
fn non_zero_padding_is_rejected() {
    use zkdl_prover::prove::{pad_batch, pad_spec, pad_weights};
    let (spec, w0, batches) = setup_odd(1);
    let pd = proof_dims(&spec).unwrap();
    let gens = training_generators(&spec).unwrap();
    let pspec = pad_spec(&spec, &pd);
    let bp: Vec<Batch> = batches.iter().map(|b| pad_batch(b, &pd)).collect();
    // A hidden unit that exists only in the padding: W^(0) column 5 of layer 0 and
    // row 5 of layer 1 are non-zero, so the padded unit is active and feeds the output.
    let mut w0p = pad_weights(&w0, &pd);
    let (c0, c1) = (w0p.layers[0].d_out, w0p.layers[1].d_out);
    for i in 0..6 {
        w0p.layers[0].w[i * c0 + 5] = 30_000;
    }
    w0p.layers[1].w[5 * c1] = 32_000;
    let (wt, traces) = train::train_traced(&pspec, &w0p, &bp).unwrap();
    let (st, p) = prove_traces(&gens, &spec, &w0p, &wt, &bp, &traces, &mut StdRng::seed_from_u64(4)).unwrap();
    let res = verify_with(&gens, &spec, &st, &p);
    assert!(
        matches!(
            res,
            Err(VerifyError::Sumcheck { phase: Phase::Padding, .. })
                | Err(VerifyError::FinalClaim { phase: Phase::Padding, .. })
        ),
        "{res:?}"
    );
    // non-zero padding in the data
    let w0p = pad_weights(&w0, &pd);
    let mut bp2 = bp.clone();
    bp2[0].x[7] = 12_345; // row 0, column 7 (columns 6..8 are padding)
    let (wt, traces) = train::train_traced(&pspec, &w0p, &bp2).unwrap();
    let (st, p) = prove_traces(&gens, &spec, &w0p, &wt, &bp2, &traces, &mut StdRng::seed_from_u64(4)).unwrap();
    rejects(verify_with(&gens, &spec, &st, &p), (Phase::Padding, Rejection::RoundSum), "non-zero padding in the data");
}

#[test]
fn statement_cheats_are_rejected() {
    let (spec, w0, batches) = setup(&[8], 2);
    let (st, proof, _) = prove(&spec, &w0, &batches);
    let gens = training_generators(&spec).unwrap();
    let layout = training_layout(&spec).unwrap();
    assert!(verify_with(&gens, &spec, &st, &proof).is_ok());
    // a proof made for other data X
    let mut other_x = batches[1].x.clone();
    other_x[0] += 1;
    let mut s2 = st.clone();
    s2.data[1].0 = zkdl_circuit::proof::commit_samples(&gens, 5, 3, &other_x).unwrap();
    assert_eq!(s2.data[1].0.rows.len(), st.data[1].0.rows.len());
    rejects(verify_with(&gens, &spec, &s2, &proof), STATEMENT, "another statement");
    // W^(T) claimed against a different W^(0)
    let mut w_other = w0.clone();
    w_other.layers[1].w[0] += 1;
    let mut s3 = st.clone();
    s3.w_initial[1] = layout.commit_statement(&gens, 5, &w_other.layers[1].w).unwrap();
    assert_eq!(s3.w_initial[1].rows.len(), st.w_initial[1].rows.len());
    rejects(verify_with(&gens, &spec, &s3, &proof), STATEMENT, "another statement");
    // a statement with a different circuit digest, and a different circuit
    let mut s4 = st.clone();
    s4.digest[0] ^= 1;
    assert_eq!(verify_with(&gens, &spec, &s4, &proof), Err(VerifyError::DigestMismatch));
    let mut spec2 = spec.clone();
    spec2.train.lr_shift += 1;
    assert_eq!(verify(&spec2, &st, &proof), Err(VerifyError::DigestMismatch));
    // swapped data of the two steps
    let mut s5 = st.clone();
    s5.data.swap(0, 1);
    rejects(verify_with(&gens, &spec, &s5, &proof), STATEMENT, "another statement");
    // two proof tensors of the same shape swapped
    let mut p2 = proof.clone();
    let n = p2.tensors.len();
    let (i, j) = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .find(|&(i, j)| p2.tensors[i].rows.len() == p2.tensors[j].rows.len() && p2.tensors[i] != p2.tensors[j])
        .unwrap();
    p2.tensors.swap(i, j);
    rejects(verify_with(&gens, &spec, &st, &p2), STATEMENT, "another proof's commitments");
    // intermediate weights: the verifier derives them where the update's commitment
    // allows it (the proof then carries none), else they are sent; one too many or one
    // missing is a shape error either way
    let derived = (0..2)
        .filter(|&l| zkdl_verifier::training::chain_is_derived(&layout, l, zkdl_circuit::proof::Param::Weights))
        .count();
    assert!(derived > 0, "layer 0's chain is derived");
    for l in 0..2 {
        let mut p3 = proof.clone();
        match p3.w_mid[l].pop() {
            Some(_) => {}
            None => p3.w_mid[l].push(st.w_initial[l].clone()),
        }
        assert!(matches!(verify_with(&gens, &spec, &st, &p3), Err(VerifyError::Shape(_))), "layer {l}");
    }
}

#[test]
fn witness_cheats_are_rejected() {
    let (spec, w0, batches) = setup(&[8], 2);
    let gens = training_generators(&spec).unwrap();
    let (wt, traces) = train::train_traced(&spec, &w0, &batches).unwrap();
    // An SGD update off by one in one weight, with the weight chain kept consistent.
    let mut tr = traces.clone();
    let mut w_bad = wt.clone();
    tr[1].layers[0].dw[3] += 1;
    w_bad.layers[0].w[3] -= 1;
    let (st, p) = prove_traces(&gens, &spec, &w0, &w_bad, &batches, &tr, &mut StdRng::seed_from_u64(2)).unwrap();
    rejects(verify_with(&gens, &spec, &st, &p), MATMUL, "wrong update");
    // Final weights that do not follow from the updates.
    let mut w_bad = wt.clone();
    w_bad.layers[1].w[0] += 1;
    let (st, p) = prove_traces(&gens, &spec, &w0, &w_bad, &batches, &traces, &mut StdRng::seed_from_u64(2)).unwrap();
    assert_eq!(
        verify_with(&gens, &spec, &st, &p),
        relation(Phase::Linear, 1, "WeightsAfter(1)", WEIGHTED),
        "wrong final weights"
    );
    // A flipped activation (ReLU output) in step 0, used consistently downstream.
    let mut tr = traces.clone();
    let x = tr[0].layers[0].zq.iter().position(|&v| v < 0).unwrap();
    let v = tr[0].layers[0].zq[x];
    tr[0].layers[0].a_out[x] = v;
    tr[0].layers[1].a_in[x] = v;
    let (st, p) = prove_traces(&gens, &spec, &w0, &wt, &batches, &tr, &mut StdRng::seed_from_u64(2)).unwrap();
    rejects(verify_with(&gens, &spec, &st, &p), MATMUL, "flipped sign");
    // A wrong loss gradient entry.
    let mut tr = traces.clone();
    tr[0].layers[1].g[2] += 1;
    let (st, p) = prove_traces(&gens, &spec, &w0, &wt, &batches, &tr, &mut StdRng::seed_from_u64(2)).unwrap();
    rejects(verify_with(&gens, &spec, &st, &p), MATMUL, "wrong gradient");
}

fn exact(mut spec: CircuitSpec) -> CircuitSpec {
    spec.train.exact_update = true;
    spec
}

/// Exact SGD (`train.exact_update`): no update digits or remainders are committed,
/// the intermediate weights are sent; honest proofs verify (T = 1 and 3, bias, padded
/// shapes); a wrong update, final weights that do not follow, and a wrong intermediate
/// weight commitment are rejected.
#[test]
fn exact_update_proofs_verify_and_cheats_are_rejected() {
    use zkdl_circuit::proof::TensorKind;
    let cases = [setup(&[8], 1), setup_bias(&[8], 3, true), setup_odd(2)];
    for (spec, _, batches) in cases {
        let spec = exact(spec);
        let w0 = train::init_weights(&spec, 3).unwrap();
        let layout = training_layout(&spec).unwrap();
        assert!(!layout.kinds.iter().any(|k| matches!(k, TensorKind::DwRem(_))));
        assert!(layout
            .kinds
            .iter()
            .enumerate()
            .all(|(i, k)| !matches!(k, TensorKind::Dw(_)) || layout.set.is_virtual(i)));
        let (st, proof, wt) = prove(&spec, &w0, &batches);
        assert_eq!(wt, train::train_plain(&spec, &w0, &batches).unwrap());
        assert!(proof.w_mid.iter().all(|m| m.len() == spec.train.steps - 1));
        verify(&spec, &st, &proof).unwrap_or_else(|e| panic!("{}: {e}", spec.name));
    }
    let (spec, _, batches) = setup(&[8], 2);
    let spec = exact(spec);
    let w0 = train::init_weights(&spec, 3).unwrap();
    let gens = training_generators(&spec).unwrap();
    let (wt, traces) = train::train_traced(&spec, &w0, &batches).unwrap();
    let rng = &mut StdRng::seed_from_u64(2);
    let (st, p) = prove_traces(&gens, &spec, &w0, &wt, &batches, &traces, rng).unwrap();
    verify_with(&gens, &spec, &st, &p).unwrap();
    // an update off by one in one weight of the last step, the final weights following it
    let mut tr = traces.clone();
    let mut w_bad = wt.clone();
    tr[1].layers[0].dw[3] += 1;
    w_bad.layers[0].w[3] -= 1;
    let (st, p) = prove_traces(&gens, &spec, &w0, &w_bad, &batches, &tr, rng).unwrap();
    rejects(verify_with(&gens, &spec, &st, &p), (Phase::MatmulAt, Rejection::FinalClaim), "wrong exact update");
    // the update rounded to 2^f as the rounded mode would, applied consistently
    let mut tr = traces.clone();
    let mut w_bad = wt.clone();
    let shift = spec.weight_frac_bits() - spec.fixed.frac_bits;
    for (k, d) in tr[1].layers[1].dw.iter_mut().enumerate() {
        let r = ((*d as i128 + (1i128 << (shift - 1))) >> shift << shift) as i64;
        w_bad.layers[1].w[k] += *d - r;
        *d = r;
    }
    assert_ne!(w_bad, wt);
    let (st, p) = prove_traces(&gens, &spec, &w0, &w_bad, &batches, &tr, rng).unwrap();
    rejects(verify_with(&gens, &spec, &st, &p), (Phase::MatmulAt, Rejection::FinalClaim), "rounded update as exact");
    // final weights that do not follow
    let mut w_bad = wt.clone();
    w_bad.layers[1].w[0] += 1;
    let (st, p) = prove_traces(&gens, &spec, &w0, &w_bad, &batches, &traces, rng).unwrap();
    assert_eq!(
        verify_with(&gens, &spec, &st, &p),
        relation(Phase::VirtualTensor, 8, "Dw(1)", TERMS),
        "wrong final weights"
    );
    // an intermediate weight commitment replaced by that of other weights
    let layout = training_layout(&spec).unwrap();
    let (st, mut p) = prove_traces(&gens, &spec, &w0, &wt, &batches, &traces, rng).unwrap();
    let mut other = traces[1].layers[0].w_before.w.clone();
    other[5] += 1;
    p.w_mid[0][0] = layout.commit_statement(&gens, 6, &other).unwrap();
    rejects(verify_with(&gens, &spec, &st, &p), STATEMENT, "wrong intermediate weights");
    // the rounded-mode statement does not verify under the exact circuit (and back)
    let (spec_r, w0_r, _) = setup(&[8], 2);
    let (st_r, p_r, _) = prove(&spec_r, &w0_r, &batches);
    assert_eq!(verify(&spec, &st_r, &p_r), Err(VerifyError::DigestMismatch));
}

#[test]
fn tampered_or_truncated_proof_bytes_are_errors() {
    let (spec, w0, batches) = setup(&[8], 1);
    let (st, proof, _) = prove(&spec, &w0, &batches);
    let gens = training_generators(&spec).unwrap();
    let mut bytes = Vec::new();
    proof.serialize_with_mode(&mut bytes, WIRE).unwrap();
    let step = (bytes.len() / 150).max(1);
    let mut checked = 0;
    for pos in (0..bytes.len()).step_by(step) {
        let mut b = bytes.clone();
        b[pos] ^= 1 << (pos % 8);
        if let Ok(q) = TrainingProof::deserialize_with_mode(&b[..], WIRE, Validate::Yes) {
            assert!(verify_with(&gens, &spec, &st, &q).is_err(), "byte {pos} of {}", bytes.len());
            checked += 1;
        }
    }
    assert!(checked > 0);
    for cut in (0..bytes.len()).step_by(step * 4) {
        assert!(TrainingProof::deserialize_with_mode(&bytes[..cut], WIRE, Validate::Yes).is_err());
    }
}

/// Points are checked on the curve, not in G1 (`zkdl_core::pcs::HyraxCommitment`): a
/// commitment row shifted by the order-3 point `(0, 2)` parses, and the proof is
/// rejected, in the statement and in every proof tensor (here the shift also changes the
/// transcript; `zkdl-core`'s `torsion_in_a_row_fails_the_opening` keeps the transcript
/// consistent and fails the opening's equation); a point off the curve does not parse.
#[test]
fn torsion_components_are_rejected_and_off_curve_points_do_not_parse() {
    use ark_ec::CurveGroup;
    let (spec, w0, batches) = setup(&[8], 1);
    let (st, proof, _) = prove(&spec, &w0, &batches);
    let gens = training_generators(&spec).unwrap();
    let t = zkdl_core::G1Affine::new_unchecked(zkdl_core::Fq::from(0u64), zkdl_core::Fq::from(2u64));
    let shift = |c: &mut zkdl_core::pcs::HyraxCommitment, row: usize| c.rows[row] = (c.rows[row] + t).into_affine();
    // the statement's W^(0), X and W^(T)
    for which in 0..3 {
        let mut s2 = st.clone();
        match which {
            0 => shift(&mut s2.w_initial[0], 0),
            1 => shift(&mut s2.data[0].0, 0),
            _ => shift(&mut s2.w_final[1], 0),
        }
        let mut bytes = Vec::new();
        s2.serialize_with_mode(&mut bytes, WIRE).unwrap();
        let back = Statement::deserialize_with_mode(&bytes[..], WIRE, Validate::Yes).unwrap();
        assert_eq!(back, s2, "on-curve points parse");
        rejects(verify_with(&gens, &spec, &back, &proof), STATEMENT, &format!("statement {which}"));
    }
    // every proof tensor, in its first and last row
    for i in 0..proof.tensors.len() {
        for row in [0, proof.tensors[i].rows.len() - 1] {
            let mut p2 = proof.clone();
            shift(&mut p2.tensors[i], row);
            rejects(verify_with(&gens, &spec, &st, &p2), STATEMENT, &format!("tensor {i} row {row}"));
        }
    }
    // off the curve: y + 1
    let mut bytes = Vec::new();
    st.serialize_with_mode(&mut bytes, WIRE).unwrap();
    let mut off = st.clone();
    let p = &mut off.w_initial[0].rows[0];
    *p = zkdl_core::G1Affine::new_unchecked(p.x, p.y + zkdl_core::Fq::from(1u64));
    let mut bad = Vec::new();
    off.serialize_with_mode(&mut bad, WIRE).unwrap();
    assert_eq!(bad.len(), bytes.len());
    assert!(Statement::deserialize_with_mode(&bad[..], WIRE, Validate::Yes).is_err());
}

/// About 35 s on 2 cores (0.04 s per parsed flip). The flips run one after the other: nesting them in a rayon loop around the
/// verifier's own parallel MSMs lets rayon stack stolen jobs until a worker's stack
/// overflows.
#[test]
fn two_thousand_byte_flips_all_rejected() {
    // The smallest circuit: 4 -> 4 (ReLU) -> 2, batch 2, one step, with bias.
    byte_flips(CircuitSpec::mlp("flips", 4, &[4], 2, true, 2, 1));
}

/// The same with exact SGD (its second matmul phase, the weights' points).
#[test]
fn byte_flips_of_an_exact_update_proof_are_rejected() {
    let spec = exact(CircuitSpec::mlp("flips", 4, &[4], 2, true, 2, 2));
    byte_flips(spec);
}

fn byte_flips(spec: CircuitSpec) {
    let steps = spec.train.steps;
    let fp = spec.fixed_point().unwrap();
    let d = data::synthetic(2 * steps, 4, 2, 8);
    let batches: Vec<Batch> = (0..steps)
        .map(|t| {
            let s = d.slice(2 * t, 2 * t + 2);
            Batch { x: fp.encode_slice(&s.x).unwrap(), y: fp.encode_slice(&s.y).unwrap() }
        })
        .collect();
    let w0 = train::init_weights(&spec, 6).unwrap();
    let (st, proof, _) = prove(&spec, &w0, &batches);
    let gens = training_generators(&spec).unwrap();
    verify_with(&gens, &spec, &st, &proof).unwrap();
    assert_eq!(proof.relations.matmul_at.sumcheck.rounds.is_empty(), !spec.train.exact_update);
    let mut bytes = Vec::new();
    proof.serialize_with_mode(&mut bytes, WIRE).unwrap();
    let n = 2000.min(bytes.len());
    // evenly spread positions over every section of the proof
    let positions: Vec<usize> = (0..n).map(|k| k * bytes.len() / n).collect();
    let parsed: usize = positions
        .iter()
        .map(|&pos| {
            let mut b = bytes.clone();
            b[pos] ^= 1 << (pos % 7);
            match TrainingProof::deserialize_with_mode(&b[..], WIRE, Validate::Yes) {
                Ok(q) => {
                    assert!(
                        verify_with(&gens, &spec, &st, &q).is_err(),
                        "flip at byte {pos} of {} accepted",
                        bytes.len()
                    );
                    1
                }
                Err(_) => 0,
            }
        })
        .sum();
    println!("{n} flips over {} bytes: {parsed} parsed and were rejected by verify, the rest by parsing", bytes.len());
    for cut in (0..bytes.len()).step_by((bytes.len() / 500).max(1)) {
        assert!(TrainingProof::deserialize_with_mode(&bytes[..cut], WIRE, Validate::Yes).is_err());
    }
    // trailing bytes are accepted by the deserializer (it reads what it needs); the
    // proof file format of the CLI rejects them.
}

/// `prove_training` derives the commitments of the weights after every step from
/// `W(0)` and the committed updates; `prove_traces` commits them from the tables. For
/// an honest witness both give the same statement and the same proof, byte for byte
/// (bias, several steps, padded shapes).
#[test]
fn derived_weight_commitments_equal_direct_ones() {
    use zkdl_prover::prove::{pad_batch, pad_spec, pad_weights};
    let cases = [setup_bias(&[8], 3, true), setup(&[8, 8], 2), setup_odd(3)];
    for (spec, w0, batches) in cases {
        let (st, proof, _) = prove(&spec, &w0, &batches);
        let pd = proof_dims(&spec).unwrap();
        let ps = pad_spec(&spec, &pd);
        let (w0p, bp) = (pad_weights(&w0, &pd), batches.iter().map(|b| pad_batch(b, &pd)).collect::<Vec<_>>());
        let (wt, traces) = train::train_traced(&ps, &w0p, &bp).unwrap();
        let gens = training_generators(&spec).unwrap();
        let (st2, proof2) = prove_traces(&gens, &spec, &w0p, &wt, &bp, &traces, &mut StdRng::seed_from_u64(1)).unwrap();
        assert_eq!(st, st2, "{}: statements differ", spec.name);
        assert_eq!(proof, proof2, "{}: proofs differ", spec.name);
        verify(&spec, &st, &proof).unwrap();
    }
}

/// A training run proven in chunks: the second proof takes `W(0)` (and `b(0)`) from the
/// first statement's `W(T)` instead of committing them, and equals the proof made from
/// scratch byte for byte; a previous statement that does not commit to the given weights
/// (or biases) is refused before proving, as is one of another circuit.
#[test]
fn chunks_of_a_training_run_chain() {
    use zkdl_prover::prove::{prove_training_with, ProveOptions};
    use zkdl_prover::Phases;
    for exact_update in [false, true] {
        let (mut spec, _, batches) = setup_bias(&[8], 2, true);
        spec.train.steps = 1;
        spec.train.exact_update = exact_update;
        let w0 = train::init_weights(&spec, 3).unwrap();
        let (st1, p1, w1) = prove(&spec, &w0, &batches[..1]);
        verify(&spec, &st1, &p1).unwrap();
        let rng = || StdRng::seed_from_u64(5);
        let cont = |w: &Weights, prev: &Statement| {
            prove_training_with(&spec, w, &batches[1..], ProveOptions::after(prev), &mut rng(), &mut Phases::default())
        };
        let (st2, p2, w2) = cont(&w1, &st1).unwrap();
        assert_eq!(st2.w_initial, st1.w_final);
        assert_eq!(st2.b_initial, st1.b_final);
        verify(&spec, &st2, &p2).unwrap();
        // the chunk records its position and that its W(0) is carried, not checked
        assert_eq!((st1.step_offset, st1.initial_checked), (0, true));
        assert_eq!((st2.step_offset, st2.initial_checked), (1, false));
        assert_eq!(w2, train::train_plain(&spec, &w0, &batches[..2]).unwrap(), "exact_update = {exact_update}");
        // the statement does not say it is a first chunk: with its flag flipped it is rejected
        let mut flipped = st2.clone();
        flipped.initial_checked = true;
        // (a first chunk carries W(0)'s range digits: more tensors)
        assert_eq!(verify(&spec, &flipped, &p2), Err(VerifyError::Shape("number of tensor commitments")));
        let mut moved = st2.clone();
        moved.step_offset = 2;
        rejects(verify(&spec, &moved, &p2), STATEMENT, "the step offset is bound by the transcript");
        // the previous statement does not commit to these weights, or to these biases
        let refused = |w: &Weights| match cont(w, &st1) {
            Err(e) => assert!(e.to_string().contains("does not commit"), "{e}"),
            Ok(_) => panic!("weights the previous statement does not commit to were accepted"),
        };
        refused(&w0);
        let mut w_bad = w1.clone();
        w_bad.layers[1].w[3] += 1;
        refused(&w_bad);
        let mut b_bad = w1.clone();
        *b_bad.layers[0].b.as_mut().unwrap().last_mut().unwrap() -= 1;
        refused(&b_bad);
        // a previous statement of another circuit (one more layer)
        let (other, w_other, b_other) = setup_bias(&[8, 8], 1, true);
        let (st_other, _, _) = prove(&other, &w_other, &b_other);
        assert!(cont(&w1, &st_other).is_err());
    }
}
