//! Range gadget: honest proofs verify; values outside the range, non-boolean bits,
//! other data and tampered proof bytes are all rejected with an error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkdl_circuit::gadgets::{plane_vars, RangeProof};
use zkdl_core::field::fr_from_i64;
use zkdl_core::msm::CpuMsm;
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators, Table};
use zkdl_core::transcript::{labels, Transcript};
use zkdl_prover::range::{bit_planes, prove_range, prove_range_with_planes, ProveError};
use zkdl_verifier::range::verify_range;

fn gens() -> HyraxGenerators {
    HyraxGenerators::new(b"zkdl/test/range", 16).unwrap()
}

fn setup(g: &HyraxGenerators, n: usize, values: &[i64]) -> (HyraxCommitment, Transcript) {
    let c = pcs::commit(g, n, Table::Small(values), None, &CpuMsm).unwrap();
    let mut t = Transcript::new(labels::TEST);
    t.append_points(labels::RANGE_BITS_COMMITMENT, &c.rows);
    (c, t)
}

fn verify(g: &HyraxGenerators, n: usize, k: u32, offset: i64, c: &HyraxCommitment, p: &RangeProof) -> bool {
    let mut t = Transcript::new(labels::TEST);
    t.append_points(labels::RANGE_BITS_COMMITMENT, &c.rows);
    verify_range(g, &mut t, n, k, fr_from_i64(offset), c, p).is_ok()
}

#[test]
fn honest_range_proofs_verify() {
    let g = gens();
    let mut rng = StdRng::seed_from_u64(1);
    for (n, k, signed) in [(0usize, 1u32, false), (3, 8, false), (6, 16, true), (5, 3, false), (4, 32, true)] {
        let offset = if signed { 1i64 << (k - 1) } else { 0 };
        let values: Vec<i64> = (0..1 << n).map(|_| rng.gen_range(0..1i64 << k) - offset).collect();
        let (c, mut t) = setup(&g, n, &values);
        let p = prove_range(&g, &mut t, n, k, offset, &values, &c, &mut rng).unwrap();
        assert!(verify(&g, n, k, offset, &c, &p), "n={n} k={k} signed={signed}");
        // the same proof does not verify for a narrower range or another offset
        assert!(!verify(&g, n, k + 1, offset, &c, &p));
        assert!(!verify(&g, n, k, offset + 1, &c, &p));
    }
}

#[test]
fn honest_prover_refuses_out_of_range() {
    let r = bit_planes(&[0, 256], 8, 0);
    assert!(matches!(r, Err(ProveError::OutOfRange { index: 1, .. })));
    assert!(bit_planes(&[-1], 8, 0).is_err());
    assert!(bit_planes(&[-129], 8, 128).is_err());
}

#[test]
fn cheating_provers_are_rejected() {
    let g = gens();
    let mut rng = StdRng::seed_from_u64(2);
    let (n, k) = (4usize, 8u32);
    let len = 1usize << n;
    let mut values: Vec<i64> = (0..len).map(|_| rng.gen_range(0..256)).collect();
    // 1) with k = 7 there are 8 planes, plane 7 is padding (weight 0): a value 2^7
    //    puts its top bit there. Booleanity holds, recomposition must fail.
    {
        let k1 = 7u32;
        let mut vals: Vec<i64> = (0..len).map(|_| rng.gen_range(0..128)).collect();
        vals[5] = 128;
        let mut planes = vec![0i64; len << plane_vars(k1)];
        for (x, &v) in vals.iter().enumerate() {
            for j in 0..8usize {
                planes[j * len + x] = (v >> j) & 1;
            }
        }
        let (c, mut t) = setup(&g, n, &vals);
        let p = prove_range_with_planes(&g, &mut t, n, k1, 0, &vals, &c, &planes, &mut rng).unwrap();
        assert!(!verify(&g, n, k1, 0, &c, &p), "value 2^k accepted");
    }
    values[5] = 256;
    // 2) 2^k encoded with a non-boolean bit: plane 7 holds 2
    let mut planes = vec![0i64; len << plane_vars(k)];
    for (x, &v) in values.iter().enumerate() {
        let v = if x == 5 { 128 } else { v };
        for j in 0..k as usize {
            planes[j * len + x] = (v >> j) & 1;
        }
    }
    planes[7 * len + 5] = 2;
    let (c, mut t) = setup(&g, n, &values);
    let p = prove_range_with_planes(&g, &mut t, n, k, 0, &values, &c, &planes, &mut rng).unwrap();
    assert!(!verify(&g, n, k, 0, &c, &p), "non-boolean plane accepted");
    // 3) a negative value (wraps to p - 1) decomposed as if it were 255
    let mut vals = values.clone();
    vals[5] = -1;
    let mut planes = bit_planes(&vals.iter().map(|&v| if v < 0 { 255 } else { v }).collect::<Vec<_>>(), k, 0).unwrap();
    let (c, mut t) = setup(&g, n, &vals);
    let p = prove_range_with_planes(&g, &mut t, n, k, 0, &vals, &c, &planes, &mut rng).unwrap();
    assert!(!verify(&g, n, k, 0, &c, &p), "negative value accepted");
    // 4) valid planes of other data against this commitment
    planes = bit_planes(&vec![3i64; len], k, 0).unwrap();
    let ok_vals: Vec<i64> = (0..len as i64).collect();
    let (c, mut t) = setup(&g, n, &ok_vals);
    let p = prove_range_with_planes(&g, &mut t, n, k, 0, &ok_vals, &c, &planes, &mut rng).unwrap();
    assert!(!verify(&g, n, k, 0, &c, &p), "planes of other data accepted");
}

#[test]
fn tampered_range_proof_bytes_are_errors() {
    let g = gens();
    let mut rng = StdRng::seed_from_u64(3);
    let (n, k) = (4usize, 6u32);
    let values: Vec<i64> = (0..1 << n).map(|_| rng.gen_range(0..64)).collect();
    let (c, mut t) = setup(&g, n, &values);
    let p = prove_range(&g, &mut t, n, k, 0, &values, &c, &mut rng).unwrap();
    let mut bytes = Vec::new();
    p.serialize_compressed(&mut bytes).unwrap();
    let step = (bytes.len() / 400).max(1);
    for pos in (0..bytes.len()).step_by(step) {
        let mut b = bytes.clone();
        b[pos] ^= 0x21;
        if let Ok(q) = RangeProof::deserialize_compressed(&b[..]) {
            assert!(!verify(&g, n, k, 0, &c, &q), "byte {pos}");
        }
    }
    for cut in (0..bytes.len()).step_by(step) {
        assert!(RangeProof::deserialize_compressed(&bytes[..cut]).is_err());
    }
    assert!(verify(&g, n, k, 0, &c, &p));
}
