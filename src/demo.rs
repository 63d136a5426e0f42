//! `zkdl demo`: one SGD step of a small MLP (16 -> 16 ReLU -> 4, batch 8, synthetic
//! data) trained in fixed point, then the relations of that step proven on committed
//! tensors with the rescaled-matmul gadget and verified: the hidden layer's forward
//! pass with zkReLU, the output layer's forward pass, the backward pass into the
//! hidden layer (masked with the forward sign bits), and both SGD weight updates.
//! Each tensor is committed once and shared by every relation that uses it. Finally a
//! proof for a weight update that is off by one is shown to be rejected.
//!
//! The complete training proof (the statement over T steps, the loss gradient, the
//! weight chain, FAC4DNN aggregation) is the next milestone; see docs/PROTOCOL.md.

use std::time::Instant;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkdl_circuit::gadgets::plane_vars;
use zkdl_circuit::{CircuitSpec, MaskKind, MatmulForm, MatmulShape, RescaleSpec, RescaledMatmulCommitments};
use zkdl_core::msm::CpuMsm;
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators, Table};
use zkdl_core::transcript::{labels, Transcript};
use zkdl_prover::data;
use zkdl_prover::matmul::{
    prove_rescaled_matmul, prove_rescaled_matmul_unchecked, ExternalPlanes, RescaledMatmulWitness,
};
use zkdl_prover::train::{self, Batch};
use zkdl_verifier::matmul::verify_rescaled_matmul;

/// Errors of the demo.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("training: {0}")]
    Train(#[from] zkdl_prover::train::TrainError),
    #[error("proving: {0}")]
    Prove(#[from] zkdl_prover::range::ProveError),
    #[error("commitment: {0}")]
    Pcs(#[from] zkdl_core::PcsError),
    #[error("fixed point: {0}")]
    Fixed(#[from] zkdl_core::FixedPointError),
    #[error("verification failed: {0}")]
    Verify(#[from] zkdl_verifier::VerifyError),
    #[error("a cheating proof was accepted")]
    CheatAccepted,
}

struct Relation {
    name: &'static str,
    shape: MatmulShape,
    rescale: RescaleSpec,
    mask: MaskKind,
    wit: RescaledMatmulWitness,
    comms: RescaledMatmulCommitments,
}

pub fn run(seed: u64) -> Result<(), DemoError> {
    let (lb, d0, d1, d2) = (3usize, 4usize, 4usize, 2usize); // batch 8, 16 -> 16 -> 4
    let spec = CircuitSpec::mlp("demo", 1 << d0, &[1 << d1], 1 << d2, false, 1 << lb, 1);
    let fp = spec.fixed_point().map_err(zkdl_prover::train::TrainError::from)?;
    let set = data::synthetic(1 << lb, 1 << d0, 1 << d2, seed);
    let batch = Batch { x: fp.encode_slice(&set.x)?, y: fp.encode_slice(&set.y)? };
    let w0 = train::init_weights(&spec, seed)?;
    let t0 = Instant::now();
    let (_, traces) = train::train_traced(&spec, &w0, std::slice::from_ref(&batch))?;
    let train_s = t0.elapsed().as_secs_f64();
    let Some(tr) = traces.first() else { return Ok(()) };
    let (l0, l1) = (&tr.layers[0], &tr.layers[1]);

    let t0 = Instant::now();
    let q = spec.fixed.total_bits;
    let gens = HyraxGenerators::new(b"zkdl/demo", lb + d1 + plane_vars(q) + 1)?;
    let commit = |n: usize, v: &[i64]| pcs::commit(&gens, n, Table::Small(v), None, &CpuMsm);
    // Every tensor committed once.
    let c_x = commit(lb + d0, &l0.a_in)?;
    let c_w0 = commit(d0 + d1, &l0.w_before.w)?;
    let c_zq0 = commit(lb + d1, &l0.zq)?;
    let c_r0 = commit(lb + d1, &l0.zr)?;
    let c_a0 = commit(lb + d1, &l0.a_out)?;
    let c_w1 = commit(d1 + d2, &l1.w_before.w)?;
    let c_zq1 = commit(lb + d2, &l1.zq)?;
    let c_r1 = commit(lb + d2, &l1.zr)?;
    let c_g1 = commit(lb + d2, &l1.g)?;
    let c_gaq = commit(lb + d1, &l1.gaq)?;
    let c_gar = commit(lb + d1, &l1.gar)?;
    let c_g0 = commit(lb + d1, &l0.g)?;
    let c_dw0 = commit(d0 + d1, &l0.dw)?;
    let c_dwr0 = commit(d0 + d1, &l0.dwr)?;
    let c_dw1 = commit(d1 + d2, &l1.dw)?;
    let c_dwr1 = commit(d1 + d2, &l1.dwr)?;
    let f = RescaleSpec { mult: 1, shift: spec.fixed.frac_bits, total_bits: q };
    let upd =
        RescaleSpec { mult: spec.train.lr_mantissa, shift: spec.fixed.frac_bits + spec.train.lr_shift, total_bits: q };
    let cm = |x: &HyraxCommitment,
              y: &HyraxCommitment,
              cq: &HyraxCommitment,
              rem: &HyraxCommitment,
              out: Option<&HyraxCommitment>| {
        RescaledMatmulCommitments { x: x.clone(), y: y.clone(), cq: cq.clone(), rem: rem.clone(), out: out.cloned() }
    };
    let wit = |x: &[i64], y: &[i64], cq: &[i64], rem: &[i64], out: Option<&[i64]>| RescaledMatmulWitness {
        x: x.to_vec(),
        y: y.to_vec(),
        cq: cq.to_vec(),
        rem: rem.to_vec(),
        out: out.map(|o| o.to_vec()),
    };
    let sign_plane = MaskKind::External { plane: q - 1, plane_vars: plane_vars(q) };
    let relations = vec![
        Relation {
            name: "hidden layer forward (matmul, rescale, zkReLU)",
            shape: MatmulShape { form: MatmulForm::NN, li: lb, lj: d0, lk: d1 },
            rescale: f,
            mask: MaskKind::OwnSign,
            wit: wit(&l0.a_in, &l0.w_before.w, &l0.zq, &l0.zr, Some(&l0.a_out)),
            comms: cm(&c_x, &c_w0, &c_zq0, &c_r0, Some(&c_a0)),
        },
        Relation {
            name: "output layer forward (matmul, rescale)",
            shape: MatmulShape { form: MatmulForm::NN, li: lb, lj: d1, lk: d2 },
            rescale: f,
            mask: MaskKind::None,
            wit: wit(&l1.a_in, &l1.w_before.w, &l1.zq, &l1.zr, None),
            comms: cm(&c_a0, &c_w1, &c_zq1, &c_r1, None),
        },
        Relation {
            name: "backward into the hidden layer (G W^T, rescale, forward sign bits)",
            shape: MatmulShape { form: MatmulForm::NT, li: lb, lj: d2, lk: d1 },
            rescale: f,
            mask: sign_plane,
            wit: wit(&l1.g, &l1.w_before.w, &l1.gaq, &l1.gar, Some(&l0.g)),
            comms: cm(&c_g1, &c_w1, &c_gaq, &c_gar, Some(&c_g0)),
        },
        Relation {
            name: "SGD update of the hidden layer (A^T G, learning-rate rounding)",
            shape: MatmulShape { form: MatmulForm::TN, li: d0, lj: lb, lk: d1 },
            rescale: upd,
            mask: MaskKind::None,
            wit: wit(&l0.a_in, &l0.g, &l0.dw, &l0.dwr, None),
            comms: cm(&c_x, &c_g0, &c_dw0, &c_dwr0, None),
        },
        Relation {
            name: "SGD update of the output layer",
            shape: MatmulShape { form: MatmulForm::TN, li: d1, lj: lb, lk: d2 },
            rescale: upd,
            mask: MaskKind::None,
            wit: wit(&l1.a_in, &l1.g, &l1.dw, &l1.dwr, None),
            comms: cm(&c_a0, &c_g1, &c_dw1, &c_dwr1, None),
        },
    ];
    let commit_s = t0.elapsed().as_secs_f64();

    // Prove, in one transcript; the backward relation reuses the forward sign planes.
    let t0 = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tp = Transcript::new(labels::DEMO_DOMAIN);
    let mut proofs = Vec::new();
    let mut forward_planes: Option<(Vec<i64>, HyraxCommitment)> = None;
    for r in &relations {
        let ext = forward_planes.as_ref().map(|(p, c)| ExternalPlanes { planes: p, commitment: c });
        let ext = if matches!(r.mask, MaskKind::External { .. }) { ext.as_ref() } else { None };
        let (proof, planes) =
            prove_rescaled_matmul(&gens, &mut tp, r.shape, r.rescale, r.mask, &r.wit, &r.comms, ext, &mut rng)?;
        if forward_planes.is_none() {
            forward_planes = Some((planes, proof.cq_range.bits.clone()));
        }
        proofs.push(proof);
    }
    let prove_s = t0.elapsed().as_secs_f64();

    let t0 = Instant::now();
    let mut tv = Transcript::new(labels::DEMO_DOMAIN);
    let signs = proofs.first().map(|p| p.cq_range.bits.clone());
    for (r, p) in relations.iter().zip(&proofs) {
        let ext = if matches!(r.mask, MaskKind::External { .. }) { signs.as_ref() } else { None };
        verify_rescaled_matmul(&gens, &mut tv, r.shape, r.rescale, r.mask, &r.comms, ext, p)?;
    }
    let verify_s = t0.elapsed().as_secs_f64();

    // A cheating prover: the hidden layer's update off by one in one weight.
    let cheat = {
        let r = &relations[3];
        let mut w = r.wit.clone();
        w.cq[0] += 1;
        let comms = RescaledMatmulCommitments { cq: commit(d0 + d1, &w.cq)?, ..r.comms.clone() };
        let mut t = Transcript::new(labels::DEMO_DOMAIN);
        let (p, _) =
            prove_rescaled_matmul_unchecked(&gens, &mut t, r.shape, r.rescale, r.mask, &w, &comms, None, &mut rng)?;
        let mut t = Transcript::new(labels::DEMO_DOMAIN);
        verify_rescaled_matmul(&gens, &mut t, r.shape, r.rescale, r.mask, &comms, None, &p)
    };

    println!("zkdl demo: one SGD step of a 16-16-4 ReLU MLP, batch 8, synthetic data, fixed point f=16 Q=32");
    println!(
        "  train step {:.4} s | commit (16 tensors) {commit_s:.3} s | prove {prove_s:.3} s | verify {verify_s:.3} s",
        train_s
    );
    for r in &relations {
        println!("  verified: {}", r.name);
    }
    match cheat {
        Err(e) => println!("  rejected: an SGD update off by one in one weight ({e})"),
        Ok(()) => return Err(DemoError::CheatAccepted),
    }
    Ok(())
}
