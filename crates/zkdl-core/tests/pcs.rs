//! Hyrax commitments: honest openings for n = 0..14, rejection of every tampering.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{One, UniformRand};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkdl_core::pcs::{self, HyraxCommitment, HyraxGenerators, HyraxOpening, Table};
use zkdl_core::transcript::{labels, Transcript};
use zkdl_core::{Fr, PcsError};

const MAX_N: usize = 14;

fn gens() -> HyraxGenerators {
    HyraxGenerators::new(b"zkdl/test/hyrax", MAX_N).unwrap()
}

struct Case {
    n: usize,
    table: Vec<Fr>,
    comm: HyraxCommitment,
    point: Vec<Fr>,
    value: Fr,
    proof: HyraxOpening,
}

fn make_case(g: &HyraxGenerators, n: usize, rng: &mut StdRng, hiding: bool) -> Case {
    let table: Vec<Fr> =
        (0..1usize << n).map(|_| Fr::from(rng.gen_range(0u64..1 << 20)) - Fr::from(1u64 << 19)).collect();
    let (rows_vars, _) = pcs::split_vars(n);
    let blinds: Option<Vec<Fr>> = hiding.then(|| (0..1usize << rows_vars).map(|_| Fr::rand(rng)).collect());
    let comm = pcs::commit(g, n, Table::Field(&table), blinds.as_deref()).unwrap();
    let point: Vec<Fr> = (0..n).map(|_| Fr::rand(rng)).collect();
    let mut tp = Transcript::new(labels::TEST);
    let (value, proof) = pcs::open(g, n, &table, blinds.as_deref(), &comm, &point, &mut tp, rng).unwrap();
    assert_eq!(value, pcs::evaluate_table(&table, &point));
    Case { n, table, comm, point, value, proof }
}

fn check(
    g: &HyraxGenerators,
    c: &Case,
    comm: &HyraxCommitment,
    point: &[Fr],
    value: Fr,
    proof: &HyraxOpening,
) -> Result<(), PcsError> {
    let mut tv = Transcript::new(labels::TEST);
    pcs::verify(g, c.n, comm, point, value, proof, &mut tv)
}

#[test]
fn honest_openings_verify_for_n_0_to_14() {
    let g = gens();
    let mut rng = StdRng::seed_from_u64(21);
    for n in 0..=MAX_N {
        for hiding in [false, true] {
            let c = make_case(&g, n, &mut rng, hiding);
            check(&g, &c, &c.comm, &c.point, c.value, &c.proof)
                .unwrap_or_else(|e| panic!("n={n} hiding={hiding}: {e}"));
        }
    }
}

#[test]
fn small_integer_commitment_equals_field_commitment() {
    let g = gens();
    let mut rng = StdRng::seed_from_u64(22);
    let n = 9;
    let small: Vec<i64> = (0..1 << n).map(|_| rng.gen_range(-40000i64..40000)).collect();
    let fr: Vec<Fr> = small.iter().map(|&v| zkdl_core::field::fr_from_i64(v)).collect();
    let a = pcs::commit(&g, n, Table::Small(&small), None).unwrap();
    let b = pcs::commit(&g, n, Table::Field(&fr), None).unwrap();
    assert_eq!(a, b);
    // bit planes through the fixed-base subset table
    let bits: Vec<bool> = (0..1 << n).map(|_| rng.gen()).collect();
    let bfr: Vec<Fr> = bits.iter().map(|&x| Fr::from(x as u64)).collect();
    let c = pcs::commit(&g, n, Table::Bits(&bits), None).unwrap();
    let d = pcs::commit(&g, n, Table::Field(&bfr), None).unwrap();
    assert_eq!(c, d);
    assert!(pcs::commit(&g, n, Table::Bits(&bits[1..]), None).is_err());
}

#[test]
fn rejects_wrong_value_point_commitment_and_proof() {
    let g = gens();
    let mut rng = StdRng::seed_from_u64(23);
    for n in [1usize, 2, 5, 8, 11] {
        for hiding in [false, true] {
            let c = make_case(&g, n, &mut rng, hiding);
            // wrong value
            assert!(check(&g, &c, &c.comm, &c.point, c.value + Fr::one(), &c.proof).is_err());
            // wrong point, in each coordinate
            for i in 0..n {
                let mut p = c.point.clone();
                p[i] += Fr::one();
                assert!(check(&g, &c, &c.comm, &p, c.value, &c.proof).is_err(), "n={n} coord {i}");
            }
            // altered commitment: each row
            for i in 0..c.comm.rows.len() {
                let mut comm = c.comm.clone();
                comm.rows[i] = (comm.rows[i] + g.blinding_generator()).into_affine();
                assert!(check(&g, &c, &comm, &c.point, c.value, &c.proof).is_err());
            }
            // commitment to another table (one entry changed) with the same proof
            let mut t2 = c.table.clone();
            t2[0] += Fr::one();
            let comm2 = pcs::commit(&g, n, Table::Field(&t2), None).unwrap();
            assert!(check(&g, &c, &comm2, &c.point, c.value, &c.proof).is_err());
            // altered proof elements
            for j in 0..c.proof.l.len() {
                let mut p = c.proof.clone();
                p.l[j] = (p.l[j] + g.blinding_generator()).into_affine();
                assert!(check(&g, &c, &c.comm, &c.point, c.value, &p).is_err());
                let mut p = c.proof.clone();
                p.r[j] = (p.r[j].into_group() + zkdl_core::G1Affine::generator()).into_affine();
                assert!(check(&g, &c, &c.comm, &c.point, c.value, &p).is_err());
            }
            // the clear tail (one entry after full folding with blinding; the whole row
            // combination without): every entry
            for k in 0..c.proof.tail.len() {
                let mut p = c.proof.clone();
                p.tail[k] += Fr::one();
                assert!(check(&g, &c, &c.comm, &c.point, c.value, &p).is_err());
            }
            let mut p = c.proof.clone();
            p.blind += Fr::one();
            assert!(check(&g, &c, &c.comm, &c.point, c.value, &p).is_err());
            // structurally wrong proofs
            let mut p = c.proof.clone();
            if p.l.pop().is_none() {
                p.tail.pop();
            }
            assert!(matches!(check(&g, &c, &c.comm, &c.point, c.value, &p), Err(PcsError::WrongRoundCount { .. })));
            let mut p = c.proof.clone();
            p.tail.push(Fr::one());
            assert!(matches!(check(&g, &c, &c.comm, &c.point, c.value, &p), Err(PcsError::WrongRoundCount { .. })));
            let mut p = c.proof.clone();
            p.r.push(zkdl_core::G1Affine::generator());
            assert!(matches!(check(&g, &c, &c.comm, &c.point, c.value, &p), Err(PcsError::WrongRoundCount { .. })));
            let mut comm = c.comm.clone();
            comm.rows.push(zkdl_core::G1Affine::generator());
            assert!(matches!(check(&g, &c, &comm, &c.point, c.value, &c.proof), Err(PcsError::WrongRowCount { .. })));
            assert!(matches!(
                check(&g, &c, &c.comm, &c.point[1..], c.value, &c.proof),
                Err(PcsError::PointLength { .. })
            ));
        }
    }
}

#[test]
fn every_folding_depth_verifies_and_tails_are_bound() {
    let g = gens();
    let mut rng = StdRng::seed_from_u64(25);
    let (n, col) = (9, 5);
    let table: Vec<Fr> = (0..1u64 << n).map(|i| Fr::from(i * 7 + 3)).collect();
    let comm = pcs::commit_split(&g, n, col, Table::Field(&table), None).unwrap();
    let point: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
    for tail_vars in 0..=col {
        let mut tp = Transcript::new(labels::TEST);
        let cref = pcs::CommitmentRef::Single(&comm);
        let (value, proof) =
            pcs::open_split_folded(&g, n, col, &table, None, cref, &point, &mut tp, &mut rng, tail_vars).unwrap();
        assert_eq!((proof.l.len(), proof.tail.len()), (col - tail_vars, 1 << tail_vars));
        let verify = |value: Fr, proof: &HyraxOpening| {
            let mut tv = Transcript::new(labels::TEST);
            pcs::verify_split(&g, n, col, &comm, &point, value, proof, &mut tv)
        };
        verify(value, &proof).unwrap();
        assert!(verify(value + Fr::one(), &proof).is_err());
        for k in 0..proof.tail.len() {
            let mut p = proof.clone();
            p.tail[k] += Fr::one();
            assert!(verify(value, &p).is_err(), "tail_vars {tail_vars}, entry {k}");
        }
    }
}

/// Every bit position of a blinded opening (folding points `L_k`, `R_k` included), in the
/// compressed and the wire encoding: a parse error or a rejected opening.
#[test]
fn serialized_opening_bytes_tampered_or_truncated() {
    use ark_serialize::{Compress, Validate};
    let g = gens();
    let mut rng = StdRng::seed_from_u64(24);
    let c = make_case(&g, 7, &mut rng, true);
    assert!(!c.proof.l.is_empty());
    for mode in [Compress::Yes, pcs::WIRE] {
        let mut bytes = Vec::new();
        c.proof.serialize_with_mode(&mut bytes, mode).unwrap();
        for pos in 0..bytes.len() {
            let mut b = bytes.clone();
            b[pos] ^= 1 << (pos % 8);
            if let Ok(p) = HyraxOpening::deserialize_with_mode(&b[..], mode, Validate::Yes) {
                assert!(
                    check(&g, &c, &c.comm, &c.point, c.value, &p).is_err(),
                    "byte {pos} (compressed: {})",
                    mode == Compress::Yes
                );
            }
        }
        for cut in 0..bytes.len() {
            assert!(HyraxOpening::deserialize_with_mode(&bytes[..cut], mode, Validate::Yes).is_err());
        }
    }
    let mut cb = Vec::new();
    c.comm.serialize_compressed(&mut cb).unwrap();
    for cut in 0..cb.len() {
        assert!(HyraxCommitment::deserialize_compressed(&cb[..cut]).is_err());
    }
}

#[test]
fn batched_opening_of_combined_commitments() {
    let g = gens();
    let mut rng = StdRng::seed_from_u64(25);
    let n = 8;
    let tables: Vec<Vec<Fr>> = (0..3).map(|_| (0..1 << n).map(|_| Fr::rand(&mut rng)).collect()).collect();
    let comms: Vec<HyraxCommitment> =
        tables.iter().map(|t| pcs::commit(&g, n, Table::Field(t), None).unwrap()).collect();
    let point: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
    let values: Vec<Fr> = tables.iter().map(|t| pcs::evaluate_table(t, &point)).collect();
    let rho: Vec<Fr> = (0..3).map(|_| Fr::rand(&mut rng)).collect();
    let refs: Vec<&[Fr]> = tables.iter().map(|t| t.as_slice()).collect();
    let combined = pcs::combine_tables(&refs, &rho);
    let comm_refs: Vec<&HyraxCommitment> = comms.iter().collect();
    let ccomm = HyraxCommitment::combine(g.backend(), &comm_refs, &rho).unwrap();
    let mut tp = Transcript::new(labels::TEST);
    let (v, proof) = pcs::open(&g, n, &combined, None, &ccomm, &point, &mut tp, &mut rng).unwrap();
    let expected: Fr = values.iter().zip(&rho).map(|(a, b)| *a * b).sum();
    assert_eq!(v, expected);
    let mut tv = Transcript::new(labels::TEST);
    pcs::verify(&g, n, &ccomm, &point, expected, &proof, &mut tv).unwrap();
    let mut tv = Transcript::new(labels::TEST);
    assert!(pcs::verify(&g, n, &ccomm, &point, expected + Fr::one(), &proof, &mut tv).is_err());
    assert!(HyraxCommitment::combine(g.backend(), &comm_refs, &rho[..2]).is_err());
}

#[test]
fn generators_are_deterministic_and_distinct() {
    let a = HyraxGenerators::new(b"label-a", 6).unwrap();
    let b = HyraxGenerators::new(b"label-a", 4).unwrap();
    let c = HyraxGenerators::new(b"label-b", 4).unwrap();
    assert_eq!(&a.column_generators()[..4], b.column_generators());
    assert_ne!(b.column_generators()[0], c.column_generators()[0]);
    let mut all: Vec<_> = a.column_generators().to_vec();
    all.push(a.blinding_generator());
    for i in 0..all.len() {
        assert!(all[i].is_on_curve() && all[i].is_in_correct_subgroup_assuming_on_curve());
        for j in 0..i {
            assert_ne!(all[i], all[j]);
        }
    }
}

#[test]
fn commitment_bytes_round_trip_and_reject_garbage() {
    let g = gens();
    let mut rng = StdRng::seed_from_u64(26);
    let c = make_case(&g, 9, &mut rng, false);
    for compress in [ark_serialize::Compress::Yes, ark_serialize::Compress::No] {
        let mut bytes = Vec::new();
        c.comm.serialize_with_mode(&mut bytes, compress).unwrap();
        let back = HyraxCommitment::deserialize_with_mode(&bytes[..], compress, ark_serialize::Validate::Yes).unwrap();
        assert_eq!(back, c.comm);
        for cut in [0, 7, 8, 9, bytes.len() - 1] {
            let r = HyraxCommitment::deserialize_with_mode(&bytes[..cut], compress, ark_serialize::Validate::Yes);
            assert!(r.is_err(), "cut at {cut}");
        }
        // a forged length: an error on the missing bytes, no huge allocation
        let mut forged = bytes.clone();
        forged[..8].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
        assert!(HyraxCommitment::deserialize_with_mode(&forged[..], compress, ark_serialize::Validate::Yes).is_err());
        // a corrupted point
        let mut bad = bytes.clone();
        bad[8 + 5] ^= 0x40;
        assert!(HyraxCommitment::deserialize_with_mode(&bad[..], compress, ark_serialize::Validate::Yes).is_err());
    }
}

/// `commit_affine_combination` gives exactly the commitment of the combined table
/// (coefficients 1, -1 and others, a constant, several column splits); mismatched
/// row counts and a missing term are errors.
#[test]
fn affine_combination_of_commitments_is_the_commitment_of_the_combination() {
    let g = gens();
    let rng = &mut StdRng::seed_from_u64(41);
    for (n, col) in [(6, 3), (8, 5), (7, 7), (4, 0)] {
        let a: Vec<i64> = (0..1usize << n).map(|_| rng.gen_range(-40_000..40_000)).collect();
        let b: Vec<i64> = (0..1usize << n).map(|_| rng.gen_range(0..65_536)).collect();
        let commit = |t: &[i64]| pcs::commit_split(&g, n, col, Table::Small(t), None).unwrap();
        let (ca, cb) = (commit(&a), commit(&b));
        for (ka, kb, k0) in [(1i64, -1i64, 0i64), (1, 65_536, -32_768), (-3, 1, 7)] {
            let combined: Vec<i64> = a.iter().zip(&b).map(|(x, y)| ka * x + kb * y + k0).collect();
            let derived = pcs::commit_affine_combination(&g, col, &[(&ca, ka), (&cb, kb)], k0).unwrap();
            assert_eq!(derived, commit(&combined), "n {n} col {col} coefficients {ka} {kb} {k0}");
        }
    }
    let small = pcs::commit_split(&g, 4, 2, Table::Small(&[1; 16]), None).unwrap();
    let large = pcs::commit_split(&g, 5, 2, Table::Small(&[1; 32]), None).unwrap();
    assert!(pcs::commit_affine_combination(&g, 2, &[(&small, 1), (&large, 1)], 0).is_err());
    assert!(pcs::commit_affine_combination(&g, 2, &[], 0).is_err());
}

/// A point of `E(Fq)` outside G1 reduced to its torsion component (times `r`), with the
/// cofactor's small primes 3 and 11 cleared: a random combination keeps it with
/// probability at least `1 - 1/10177`.
fn torsion_point() -> zkdl_core::G1Affine {
    use ark_ff::PrimeField;
    let mut x = zkdl_core::Fq::from(1u64);
    loop {
        if let Some(p) = zkdl_core::G1Affine::get_point_from_x_unchecked(x, false) {
            let t = p.mul_bigint(Fr::MODULUS).into_affine().mul_bigint([363u64]).into_affine();
            if !t.is_zero() {
                assert!(t.is_on_curve() && !t.is_in_correct_subgroup_assuming_on_curve());
                return t;
            }
        }
        x += zkdl_core::Fq::from(1u64);
    }
}

/// Wire points (uncompressed): on the curve is enough (the order-3 point `(0, 2)`
/// parses), off the curve is an error, and the identity has one encoding (zero
/// coordinates without the infinity flag are refused).
#[test]
fn wire_points_are_on_the_curve_with_one_encoding_each() {
    use pcs::WIRE;
    let parse = |bytes: &[u8]| HyraxCommitment::deserialize_with_mode(bytes, WIRE, ark_serialize::Validate::Yes);
    let order3 = zkdl_core::G1Affine::new_unchecked(zkdl_core::Fq::from(0u64), zkdl_core::Fq::from(2u64));
    let c = HyraxCommitment { rows: vec![zkdl_core::G1Affine::zero(), order3, zkdl_core::G1Affine::generator()] };
    let mut bytes = Vec::new();
    c.serialize_with_mode(&mut bytes, WIRE).unwrap();
    assert_eq!(bytes.len(), 8 + 3 * pcs::WIRE_POINT_BYTES);
    assert_eq!(parse(&bytes).unwrap(), c);
    // `pcs::sizes` is what an unblinded commitment and opening take on the wire
    let g = gens();
    let mut rng = StdRng::seed_from_u64(28);
    for n in [3usize, 8, 13] {
        let k = make_case(&g, n, &mut rng, false);
        assert_eq!(pcs::sizes(n), (k.comm.serialized_size(WIRE), k.proof.serialized_size(WIRE)), "n {n}");
    }
    // the identity without its infinity flag
    let mut unflagged = bytes.clone();
    unflagged[8] &= !0x40;
    assert!(parse(&unflagged).is_err());
    // (0, 2) -> (0, 3): off the curve
    let mut off = bytes.clone();
    let last_y = 8 + pcs::WIRE_POINT_BYTES + pcs::WIRE_POINT_BYTES - 1;
    off[last_y] ^= 1;
    assert!(parse(&off).is_err());
}

/// A torsion component in a committed row, with a consistent transcript (the prover
/// absorbs the same shifted commitment the verifier sees): the opening's final equation
/// fails.
#[test]
fn torsion_in_a_row_fails_the_opening() {
    let g = gens();
    let mut rng = StdRng::seed_from_u64(27);
    let t = torsion_point();
    for n in [2usize, 7, 10] {
        let c = make_case(&g, n, &mut rng, false);
        for row in [0, c.comm.rows.len() - 1] {
            let mut comm = c.comm.clone();
            comm.rows[row] = (comm.rows[row] + t).into_affine();
            let mut tp = Transcript::new(labels::TEST);
            let (value, proof) = pcs::open(&g, n, &c.table, None, &comm, &c.point, &mut tp, &mut rng).unwrap();
            assert_eq!(value, c.value);
            assert_eq!(check(&g, &c, &c.comm, &c.point, c.value, &c.proof), Ok(()));
            assert_eq!(
                check(&g, &c, &comm, &c.point, value, &proof),
                Err(PcsError::OpeningRejected),
                "n {n} row {row}"
            );
        }
    }
}

/// The commitment of `mult A^T G` from its factors equals the commitment of the
/// product table, for Hyrax rows holding several product rows and for product rows
/// spanning several Hyrax rows, with signed and large (weight-sized) entries.
#[test]
fn product_commitment_from_the_factors_equals_the_product_table() {
    let g = gens();
    let rng = &mut StdRng::seed_from_u64(17);
    for (k, n, m, col, mult) in
        [(4, 8, 4, 3, 1i64), (3, 4, 16, 2, 3), (1, 2, 2, 1, -2), (5, 16, 8, 5, 7), (2, 8, 8, 6, 1)]
    {
        let a: Vec<i64> = (0..k * n).map(|_| rng.gen_range(-(1i64 << 20)..1 << 20)).collect();
        let gg: Vec<i64> = (0..k * m).map(|_| rng.gen_range(-(1i64 << 24)..1 << 24)).collect();
        let mut prod = vec![0i64; n * m];
        for i in 0..n {
            for j in 0..m {
                prod[i * m + j] = mult * (0..k).map(|b| a[b * n + i] * gg[b * m + j]).sum::<i64>();
            }
        }
        let vars = (n * m).trailing_zeros() as usize;
        let direct = pcs::commit_split(&g, vars, col, Table::Small(&prod), None).unwrap();
        let from = pcs::commit_tn_product(&g, col, &a, &gg, (k, n, m), mult).unwrap();
        assert_eq!(from, direct, "k {k} n {n} m {m} col {col}");
    }
    // shapes that do not fit are errors
    assert!(pcs::commit_tn_product(&g, 2, &[1; 3], &[1; 4], (2, 2, 2), 1).is_err());
    assert!(pcs::commit_tn_product(&g, 3, &[1; 2], &[1; 2], (1, 2, 2), 1).is_err(), "more columns than entries");
    let big = [i64::MAX / 2; 2];
    assert_eq!(pcs::commit_tn_product(&g, 1, &[1; 2], &big, (1, 2, 2), 3), Err(PcsError::ScalarOverflow));
}

/// `commits_to_i64`: the committed table passes under random row weights (with the i64
/// extremes and one row or one column), a table differing in one entry or two rows
/// swapped does not, wrong lengths are errors; two commitments checked at once.
#[test]
fn a_commitment_is_checked_against_a_table_on_one_row_combination() {
    let g = gens();
    let rng = &mut StdRng::seed_from_u64(21);
    for (vars, col) in [(6usize, 3usize), (6, 6), (6, 0), (10, 4)] {
        let mut table: Vec<i64> = (0..1usize << vars).map(|_| rng.gen_range(-(1i64 << 50)..1 << 50)).collect();
        table[0] = i64::MIN + 1;
        table[1] = i64::MAX;
        let comm = pcs::commit_split(&g, vars, col, Table::Small(&table), None).unwrap();
        let gamma: Vec<Fr> = (0..comm.rows.len()).map(|_| Fr::rand(rng)).collect();
        assert!(pcs::commits_to_i64(&g, col, &[(&comm, &table)], &gamma).unwrap(), "vars {vars} col {col}");
        let mut other = table.clone();
        other[(1usize << vars) - 1] ^= 1;
        assert!(!pcs::commits_to_i64(&g, col, &[(&comm, &other)], &gamma).unwrap(), "one entry, vars {vars} col {col}");
        if comm.rows.len() > 1 {
            let mut swapped = table.clone();
            let c = 1usize << col;
            let (r0, r1) = swapped.split_at_mut(c);
            r0.swap_with_slice(&mut r1[..c]);
            assert!(!pcs::commits_to_i64(&g, col, &[(&comm, &swapped)], &gamma).unwrap(), "two rows swapped");
        }
        assert!(pcs::commits_to_i64(&g, col, &[(&comm, &table[1..])], &gamma).is_err(), "short table");
        assert!(pcs::commits_to_i64(&g, col, &[(&comm, &table)], &gamma[1..]).is_err(), "missing row weight");
        // two commitments checked together: the pair passes, the pair swapped does not
        let table2: Vec<i64> = table.iter().map(|v| v / 3 + 1).collect();
        let comm2 = pcs::commit_split(&g, vars, col, Table::Small(&table2), None).unwrap();
        let gamma2: Vec<Fr> = (0..2 * comm.rows.len()).map(|_| Fr::rand(rng)).collect();
        assert!(pcs::commits_to_i64(&g, col, &[(&comm, &table), (&comm2, &table2)], &gamma2).unwrap());
        assert!(!pcs::commits_to_i64(&g, col, &[(&comm, &table2), (&comm2, &table)], &gamma2).unwrap());
    }
}
