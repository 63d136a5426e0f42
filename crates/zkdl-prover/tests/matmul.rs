//! The rescaled matmul gadget on a real training step (witness from the trainer):
//! forward (zkReLU), backward (the SAME sign bits as an external mask) and the SGD
//! update (weight gradient rescaled by the learning rate). Honest proofs verify; a
//! cheating prover for each relation is rejected; tampered bytes give Err.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkdl_circuit::gadgets::{plane_vars, RescaledMatmulProof};
use zkdl_circuit::{CircuitSpec, MaskKind, MatmulForm, MatmulShape, RescaleSpec, RescaledMatmulCommitments};
use zkdl_core::pcs::{HyraxCommitment, HyraxGenerators};
use zkdl_core::transcript::{labels, Transcript};
use zkdl_prover::data;
use zkdl_prover::matmul::{
    commit_rescaled_matmul, prove_rescaled_matmul, prove_rescaled_matmul_unchecked, ExternalPlanes,
    RescaledMatmulWitness,
};
use zkdl_prover::train::{self, Batch, StepTrace};
use zkdl_verifier::matmul::verify_rescaled_matmul;

// 8 -> 8 (ReLU) -> 4, batch 4, no bias.
const LB: usize = 2;
const D: [usize; 3] = [3, 3, 2];

fn spec() -> CircuitSpec {
    CircuitSpec::mlp("gadget-test", 1 << D[0], &[1 << D[1]], 1 << D[2], false, 1 << LB, 1)
}

fn trace() -> StepTrace {
    let spec = spec();
    let fp = spec.fixed_point().unwrap();
    let d = data::synthetic(4, 8, 4, 3);
    let batch = Batch { x: fp.encode_slice(&d.x).unwrap(), y: fp.encode_slice(&d.y).unwrap() };
    let w0 = train::init_weights(&spec, 5).unwrap();
    let (_, mut tr) = train::train_traced(&spec, &w0, &[batch]).unwrap();
    tr.pop().unwrap()
}

fn gens() -> HyraxGenerators {
    HyraxGenerators::new(b"zkdl/test/matmul", 12).unwrap()
}

fn rescale_f() -> RescaleSpec {
    RescaleSpec { mult: 1, shift: 16, total_bits: 32 }
}

fn q_planes_kind() -> MaskKind {
    MaskKind::External { plane: 31, plane_vars: plane_vars(32) }
}

struct Case {
    shape: MatmulShape,
    rescale: RescaleSpec,
    mask: MaskKind,
    wit: RescaledMatmulWitness,
}

fn forward(tr: &StepTrace) -> Case {
    let l = &tr.layers[0];
    Case {
        shape: MatmulShape { form: MatmulForm::NN, li: LB, lj: D[0], lk: D[1] },
        rescale: rescale_f(),
        mask: MaskKind::OwnSign,
        wit: RescaledMatmulWitness {
            x: l.a_in.clone(),
            y: l.w_before.w.clone(),
            cq: l.zq.clone(),
            rem: l.zr.clone(),
            out: Some(l.a_out.clone()),
            bias: None,
        },
    }
}

fn backward(tr: &StepTrace) -> Case {
    let l1 = &tr.layers[1];
    Case {
        shape: MatmulShape { form: MatmulForm::NT, li: LB, lj: D[2], lk: D[1] },
        rescale: rescale_f(),
        mask: q_planes_kind(),
        wit: RescaledMatmulWitness {
            x: l1.g.clone(),
            y: l1.w_before.w.clone(),
            cq: l1.gaq.clone(),
            rem: l1.gar.clone(),
            out: Some(tr.layers[0].g.clone()),
            bias: None,
        },
    }
}

fn update(tr: &StepTrace) -> Case {
    let s = spec();
    let l = &tr.layers[0];
    Case {
        shape: MatmulShape { form: MatmulForm::TN, li: D[0], lj: LB, lk: D[1] },
        rescale: RescaleSpec { mult: s.train.lr_mantissa, shift: 16 + s.train.lr_shift, total_bits: 32 },
        mask: MaskKind::None,
        wit: RescaledMatmulWitness {
            x: l.a_in.clone(),
            y: l.g.clone(),
            cq: l.dw.clone(),
            rem: l.dwr.clone(),
            out: None,
            bias: None,
        },
    }
}

/// Prove a case (checked or not); returns the commitments, the proof and cq's planes.
fn prove(
    g: &HyraxGenerators,
    c: &Case,
    ext: Option<(&[i64], &HyraxCommitment)>,
    checked: bool,
) -> (RescaledMatmulCommitments, RescaledMatmulProof, Vec<i64>) {
    let comms = commit_rescaled_matmul(g, c.shape, &c.wit).unwrap();
    let mut t = Transcript::new(labels::TEST);
    let mut rng = StdRng::seed_from_u64(7);
    let e = ext.map(|(planes, commitment)| ExternalPlanes { planes, commitment });
    let f = if checked { prove_rescaled_matmul } else { prove_rescaled_matmul_unchecked };
    let (p, planes) = f(g, &mut t, c.shape, c.rescale, c.mask, &c.wit, &comms, e.as_ref(), &mut rng).unwrap();
    (comms, p, planes)
}

fn verifies(
    g: &HyraxGenerators,
    c: &Case,
    comms: &RescaledMatmulCommitments,
    ext: Option<&HyraxCommitment>,
    p: &RescaledMatmulProof,
) -> bool {
    let mut t = Transcript::new(labels::TEST);
    verify_rescaled_matmul(g, &mut t, c.shape, c.rescale, c.mask, comms, ext, p).is_ok()
}

#[test]
fn honest_forward_backward_update_verify() {
    let g = gens();
    let tr = trace();
    assert!(tr.layers[0].zq.iter().any(|&v| v < 0) && tr.layers[0].zq.iter().any(|&v| v > 0));
    let f = forward(&tr);
    let (fc, fp, f_planes) = prove(&g, &f, None, true);
    assert!(verifies(&g, &f, &fc, None, &fp));
    // backward uses the forward pass's committed sign planes
    let b = backward(&tr);
    let (bc, bp, _) = prove(&g, &b, Some((&f_planes, &fp.cq_range.bits)), true);
    assert!(verifies(&g, &b, &bc, Some(&fp.cq_range.bits), &bp));
    let u = update(&tr);
    let (uc, up, _) = prove(&g, &u, None, true);
    assert!(verifies(&g, &u, &uc, None, &up));
    // statements are bound: another rescaling or mask kind is rejected
    let mut other = u;
    other.rescale.shift += 1;
    assert!(!verifies(&g, &other, &uc, None, &up));
    assert!(!verifies(&g, &Case { mask: MaskKind::OwnSign, ..forward(&tr) }, &bc, None, &bp));
}

fn first(v: &[i64], pred: impl Fn(i64) -> bool) -> usize {
    v.iter().position(|&x| pred(x)).unwrap()
}

#[test]
fn forward_cheats_are_rejected() {
    let g = gens();
    let tr = trace();
    let check = |mutate: &dyn Fn(&mut RescaledMatmulWitness)| {
        let mut c = forward(&tr);
        mutate(&mut c.wit);
        let (comms, p, _) = prove(&g, &c, None, false);
        assert!(!verifies(&g, &c, &comms, None, &p));
    };
    // a flipped sign bit: a negative value passed through ReLU, a positive one zeroed
    check(&|w| {
        let x = first(&w.cq, |v| v < 0);
        w.out.as_mut().unwrap()[x] = w.cq[x];
    });
    check(&|w| {
        let x = first(&w.cq, |v| v > 0);
        w.out.as_mut().unwrap()[x] = 0;
    });
    // a remainder out of range: R + 2^f with Z' - 1
    check(&|w| {
        let x = first(&w.cq, |v| v > 1);
        w.rem[x] += 1 << 16;
        w.cq[x] -= 1;
        w.out.as_mut().unwrap()[x] = w.cq[x];
    });
    // a wrong rescaled value
    check(&|w| {
        w.cq[1] += 1;
        w.out.as_mut().unwrap()[1] = w.cq[1].max(0);
    });
    // other data
    check(&|w| w.x[0] += 1 << 12);
    check(&|w| w.y[3] -= 1);
}

#[test]
fn backward_must_use_the_forward_sign_bits() {
    let g = gens();
    let tr = trace();
    let f = forward(&tr);
    let (_, fp, f_planes) = prove(&g, &f, None, true);
    // a gradient that ignores the ReLU mask in one entry
    let len = 1usize << (LB + D[1]);
    let sign = &f_planes[31 * len..32 * len];
    let mut b = backward(&tr);
    let x = (0..len).find(|&x| sign[x] == 0 && b.wit.cq[x] != 0).expect("a masked entry with a non-zero gradient");
    b.wit.out.as_mut().unwrap()[x] = b.wit.cq[x];
    let (bc, bp, _) = prove(&g, &b, Some((&f_planes, &fp.cq_range.bits)), false);
    assert!(!verifies(&g, &b, &bc, Some(&fp.cq_range.bits), &bp));
    // sign planes other than the forward ones (all ones): the mask relation then holds
    // for the prover's planes, but the verifier checks against the forward commitment
    let b = {
        let mut b = backward(&tr);
        b.wit.out = Some(b.wit.cq.clone());
        b
    };
    let mut fake = f_planes.clone();
    for s in &mut fake[31 * len..32 * len] {
        *s = 1;
    }
    let fake_comm = zkdl_core::pcs::commit(
        &g,
        5 + plane_vars(32),
        zkdl_core::pcs::Table::Small(&fake),
        None,
        &zkdl_core::msm::CpuMsm,
    )
    .unwrap();
    let (bc, bp, _) = prove(&g, &b, Some((&fake, &fake_comm)), false);
    assert!(verifies(&g, &b, &bc, Some(&fake_comm), &bp), "consistent with its own planes");
    assert!(!verifies(&g, &b, &bc, Some(&fp.cq_range.bits), &bp), "accepted against the forward sign bits");
}

#[test]
fn update_cheats_are_rejected() {
    let g = gens();
    let tr = trace();
    let check = |mutate: &dyn Fn(&mut RescaledMatmulWitness)| {
        let mut c = update(&tr);
        mutate(&mut c.wit);
        let (comms, p, _) = prove(&g, &c, None, false);
        assert!(!verifies(&g, &c, &comms, None, &p));
    };
    // an SGD update off by one in one weight
    check(&|w| w.cq[5] += 1);
    // the rounding remainder out of range: RW + 2^(f+e) with ΔW - 1
    check(&|w| {
        w.rem[2] += 1 << 24;
        w.cq[2] -= 1;
    });
    // a wrong gradient entry
    check(&|w| w.y[0] += 1);
}

#[test]
fn tampered_proof_bytes_are_errors() {
    let g = gens();
    let tr = trace();
    let f = forward(&tr);
    let (c, p, _) = prove(&g, &f, None, true);
    let mut bytes = Vec::new();
    p.serialize_compressed(&mut bytes).unwrap();
    let step = (bytes.len() / 250).max(1);
    for pos in (0..bytes.len()).step_by(step) {
        let mut b = bytes.clone();
        b[pos] ^= 0x04;
        if let Ok(q) = RescaledMatmulProof::deserialize_compressed(&b[..]) {
            assert!(!verifies(&g, &f, &c, None, &q), "byte {pos}");
        }
    }
    for cut in (0..bytes.len()).step_by(step) {
        assert!(RescaledMatmulProof::deserialize_compressed(&bytes[..cut]).is_err());
    }
}
