//! Forward pass of a dense ReLU layer on committed tensors: the honest proof
//! verifies, and a cheating prover for each relation is rejected.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkdl_circuit::gadgets::ReluLayerProof;
use zkdl_circuit::{FixedSpec, LayerShape};
use zkdl_core::field::FixedPoint;
use zkdl_core::pcs::HyraxGenerators;
use zkdl_core::transcript::{labels, Transcript};
use zkdl_prover::layer::{commit_relu_layer, prove_relu_layer, prove_relu_layer_unchecked, ReluLayerWitness};
use zkdl_prover::train::matmul;
use zkdl_verifier::layer::verify_relu_layer;

const FIXED: FixedSpec = FixedSpec { frac_bits: 16, total_bits: 32 };
const SHAPE: LayerShape = LayerShape { lb: 2, ld: 3, lk: 2 };

fn gens() -> HyraxGenerators {
    HyraxGenerators::new(b"zkdl/test/layer", 10).unwrap()
}

fn honest(seed: u64) -> ReluLayerWitness {
    let mut rng = StdRng::seed_from_u64(seed);
    let (b, d, k) = (1 << SHAPE.lb, 1 << SHAPE.ld, 1 << SHAPE.lk);
    let a_in: Vec<i64> = (0..b * d).map(|_| rng.gen_range(0..1i64 << 17)).collect();
    let w: Vec<i64> = (0..d * k).map(|_| rng.gen_range(-(1i64 << 15)..1i64 << 15)).collect();
    let z = matmul(&a_in, &w, b, d, k);
    let fp = FixedPoint::new(FIXED.frac_bits, FIXED.total_bits).unwrap();
    let (zq, rem): (Vec<i64>, Vec<i64>) = z
        .iter()
        .map(|&v| {
            let (q, r) = fp.rescale(v).unwrap();
            (q, r as i64)
        })
        .unzip();
    let a_out = zq.iter().map(|&v| v.max(0)).collect();
    ReluLayerWitness { a_in, w, zq, rem, a_out }
}

fn prove(wit: &ReluLayerWitness, checked: bool) -> (zkdl_circuit::ReluLayerCommitments, ReluLayerProof) {
    let g = gens();
    let comms = commit_relu_layer(&g, SHAPE, wit).unwrap();
    let mut t = Transcript::new(labels::TEST);
    let mut rng = StdRng::seed_from_u64(99);
    let p = if checked {
        prove_relu_layer(&g, &mut t, SHAPE, FIXED, wit, &comms, &mut rng).unwrap()
    } else {
        prove_relu_layer_unchecked(&g, &mut t, SHAPE, FIXED, wit, &comms, &mut rng).unwrap()
    };
    (comms, p)
}

fn verifies(comms: &zkdl_circuit::ReluLayerCommitments, p: &ReluLayerProof) -> bool {
    let mut t = Transcript::new(labels::TEST);
    verify_relu_layer(&gens(), &mut t, SHAPE, FIXED, comms, p).is_ok()
}

#[test]
fn honest_layer_verifies() {
    let wit = honest(1);
    assert!(wit.zq.iter().any(|&v| v < 0) && wit.zq.iter().any(|&v| v > 0), "test data should have both signs");
    let (c, p) = prove(&wit, true);
    assert!(verifies(&c, &p));
    // the statement is bound: another fixed-point spec or shape is rejected
    let mut t = Transcript::new(labels::TEST);
    let other = FixedSpec { frac_bits: 15, total_bits: 32 };
    assert!(verify_relu_layer(&gens(), &mut t, SHAPE, other, &c, &p).is_err());
}

fn first_with(wit: &ReluLayerWitness, pred: impl Fn(i64) -> bool) -> usize {
    wit.zq.iter().position(|&v| pred(v)).unwrap()
}

#[test]
fn flipped_sign_bit_is_rejected() {
    let mut wit = honest(2);
    let x = first_with(&wit, |v| v < 0);
    wit.a_out[x] = wit.zq[x]; // claims s = 1 for a negative value
    let (c, p) = prove(&wit, false);
    assert!(!verifies(&c, &p));
    let mut wit = honest(2);
    let x = first_with(&wit, |v| v > 0);
    wit.a_out[x] = 0; // claims s = 0 for a positive value
    let (c, p) = prove(&wit, false);
    assert!(!verifies(&c, &p));
}

#[test]
fn remainder_out_of_range_is_rejected() {
    let mut wit = honest(3);
    let x = first_with(&wit, |v| v > 1);
    wit.rem[x] += 1 << FIXED.frac_bits; // R + 2^f with Z' - 1: the rescale identity still holds
    wit.zq[x] -= 1;
    wit.a_out[x] = wit.zq[x].max(0);
    let (c, p) = prove(&wit, false);
    assert!(!verifies(&c, &p));
}

#[test]
fn wrong_rescaled_value_is_rejected() {
    let mut wit = honest(4);
    wit.zq[3] += 1;
    wit.a_out[3] = wit.zq[3].max(0);
    let (c, p) = prove(&wit, false);
    assert!(!verifies(&c, &p));
}

#[test]
fn other_input_data_is_rejected() {
    let mut wit = honest(5);
    wit.a_in[0] += 1 << 10;
    let (c, p) = prove(&wit, false);
    assert!(!verifies(&c, &p));
    let mut wit = honest(5);
    wit.w[1] -= 1;
    let (c, p) = prove(&wit, false);
    assert!(!verifies(&c, &p));
}

#[test]
fn honest_prover_refuses_bad_witness() {
    let mut wit = honest(6);
    wit.rem[0] = 1 << FIXED.frac_bits;
    let g = gens();
    let comms = commit_relu_layer(&g, SHAPE, &wit).unwrap();
    let mut t = Transcript::new(labels::TEST);
    assert!(prove_relu_layer(&g, &mut t, SHAPE, FIXED, &wit, &comms, &mut StdRng::seed_from_u64(0)).is_err());
}

#[test]
fn tampered_layer_proof_bytes_are_errors() {
    let wit = honest(7);
    let (c, p) = prove(&wit, true);
    let mut bytes = Vec::new();
    p.serialize_compressed(&mut bytes).unwrap();
    let step = (bytes.len() / 300).max(1);
    for pos in (0..bytes.len()).step_by(step) {
        let mut b = bytes.clone();
        b[pos] ^= 0x80;
        if let Ok(q) = ReluLayerProof::deserialize_compressed(&b[..]) {
            assert!(!verifies(&c, &q), "byte {pos}");
        }
    }
    for cut in (0..bytes.len()).step_by(step) {
        assert!(ReluLayerProof::deserialize_compressed(&bytes[..cut]).is_err());
    }
}
