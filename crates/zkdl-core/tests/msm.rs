//! Differential tests of the CPU MSM against naive double-and-add.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_ec::{CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::{UniformRand, Zero};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkdl_core::field::fr_from_i64;
use zkdl_core::msm::{naive_msm, CpuFixedSet, CpuMsm, FixedSet, MsmBackend, ROW_SHIFTS};
use zkdl_core::{Fr, G1Affine, G1Projective, MsmError};

fn bases(rng: &mut StdRng, n: usize) -> Vec<G1Affine> {
    let g = G1Projective::generator();
    let pts: Vec<G1Projective> = (0..n).map(|_| g * Fr::rand(rng)).collect();
    G1Projective::normalize_batch(&pts)
}

fn check_i64(b: &[G1Affine], s: &[i64]) {
    let fr: Vec<Fr> = s.iter().map(|&x| fr_from_i64(x)).collect();
    let expected = naive_msm(b, &fr);
    assert_eq!(CpuMsm.msm_i64(b, s).unwrap(), expected, "i64 path, n={}", s.len());
    assert_eq!(CpuMsm.msm_fr(b, &fr).unwrap(), expected, "fr path, n={}", s.len());
}

#[test]
fn random_signed_scalars_of_every_width() {
    let mut rng = StdRng::seed_from_u64(11);
    for &n in &[1usize, 2, 3, 7, 100, 1000, 3000] {
        let b = bases(&mut rng, n);
        for bits in [1u32, 2, 8, 16, 17, 32, 48, 63] {
            let s: Vec<i64> = (0..n).map(|_| rng.gen::<i64>() >> (64 - bits)).collect();
            check_i64(&b, &s);
        }
    }
}

#[test]
fn edge_cases() {
    let mut rng = StdRng::seed_from_u64(12);
    let b = bases(&mut rng, 300);
    // empty
    assert_eq!(CpuMsm.msm_i64(&[], &[]).unwrap(), G1Projective::zero());
    assert_eq!(CpuMsm.msm_bits(&[], &[]).unwrap(), G1Projective::zero());
    assert_eq!(CpuMsm.msm_fr(&[], &[]).unwrap(), G1Projective::zero());
    // one point
    check_i64(&b[..1], &[5]);
    check_i64(&b[..1], &[-5]);
    check_i64(&b[..1], &[0]);
    // zeros
    check_i64(&b, &vec![0; 300]);
    // all equal (one bucket gets everything), positive and negative
    check_i64(&b, &vec![1; 300]);
    check_i64(&b, &vec![-1; 300]);
    check_i64(&b, &vec![32767; 300]);
    // largest values, including i64::MIN whose magnitude is 2^63
    check_i64(&b[..6], &[i64::MAX, i64::MIN, i64::MIN + 1, -1, 1, i64::MAX]);
    let mixed: Vec<i64> = (0..300)
        .map(|i| {
            if i % 3 == 0 {
                i64::MIN
            } else if i % 3 == 1 {
                i64::MAX
            } else {
                0
            }
        })
        .collect();
    check_i64(&b, &mixed);
    // the same base repeated (doubling inside a bucket) and P + (-P) cancellation
    let rep = vec![b[0]; 64];
    check_i64(&rep, &vec![3; 64]);
    let mut pm = vec![b[1]; 64];
    pm.extend(vec![b[1]; 64]);
    let mut s = vec![7i64; 64];
    s.extend(vec![-7i64; 64]);
    check_i64(&pm, &s);
    // identity among the bases
    let mut with_id = b[..10].to_vec();
    with_id[4] = G1Affine::identity();
    check_i64(&with_id, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // lengths that are not powers of two
    for n in [5usize, 129, 255] {
        let s: Vec<i64> = (0..n).map(|_| rng.gen_range(-70000i64..70000)).collect();
        check_i64(&b[..n], &s);
    }
    // length mismatch is an error
    assert_eq!(CpuMsm.msm_i64(&b[..3], &[1, 2]), Err(MsmError::LengthMismatch { bases: 3, scalars: 2 }));
}

#[test]
fn bits_and_full_scalars() {
    let mut rng = StdRng::seed_from_u64(13);
    for &n in &[1usize, 17, 1000, 4099] {
        let b = bases(&mut rng, n);
        let bits: Vec<bool> = (0..n).map(|_| rng.gen::<bool>()).collect();
        let fr: Vec<Fr> = bits.iter().map(|&x| Fr::from(x as u64)).collect();
        let expected = naive_msm(&b, &fr);
        assert_eq!(CpuMsm.msm_bits(&b, &bits).unwrap(), expected);
        assert_eq!(CpuMsm.msm_fr(&b, &fr).unwrap(), expected);
        let all: Vec<bool> = vec![true; n];
        let fr1 = vec![Fr::from(1u64); n];
        assert_eq!(CpuMsm.msm_bits(&b, &all).unwrap(), naive_msm(&b, &fr1));
        // full-size scalars
        let full: Vec<Fr> = (0..n.min(300)).map(|_| Fr::rand(&mut rng)).collect();
        assert_eq!(CpuMsm.msm_fr(&b[..full.len()], &full).unwrap(), naive_msm(&b[..full.len()], &full));
        // our full-scalar Pippenger against ark_ec's over all n, with extreme scalars
        let mut full: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        for (k, x) in [Fr::zero(), -Fr::from(1u64), Fr::from(u64::MAX), -Fr::from(u64::MAX)].into_iter().enumerate() {
            if let Some(slot) = full.get_mut(k * 3) {
                *slot = x;
            }
        }
        assert_eq!(CpuMsm.msm_fr(&b, &full).unwrap(), <G1Projective as VariableBaseMSM>::msm(&b, &full).unwrap());
    }
}

#[test]
fn subset_table_rows_match_naive() {
    // both forms of the blocks: arkworks' points, and the IFMA form (where this CPU lacks
    // IFMA, its additions take the arkworks fallback)
    if !zkdl_core::ifma::available() {
        println!("no AVX-512 IFMA here: the IFMA-form table runs its fallback");
    }
    for ifma in [false, true] {
        subset_table_rows_in_form(ifma);
    }
}

fn subset_table_rows_in_form(ifma: bool) {
    use zkdl_core::msm::{SubsetTable, SUBSET_BLOCK};
    let mut rng = StdRng::seed_from_u64(14);
    let naive_rows = |b: &[G1Affine], s: &[u64], m: usize| -> Vec<G1Projective> {
        s.chunks(m).map(|row| naive_msm(b, &row.iter().map(|&x| Fr::from(x)).collect::<Vec<_>>())).collect()
    };
    for &n in &[1usize, 2, 12, 13, 30, 100] {
        let b = bases(&mut rng, n);
        let table = SubsetTable::with_form(&b, ifma);
        // ranges that start and end inside blocks, whole set, single bases
        for (start, m) in [(0usize, n), (n / 3, n - n / 3), (n - 1, 1), (n / 2, n / 4 + 1)] {
            let m = m.min(n - start).max(1);
            for (bits, density) in [(1u32, 0.5), (1, 1.0), (5, 0.3), (16, 1.0), (40, 0.9), (64, 1.0), (16, 0.0)] {
                let rows = 3;
                let s: Vec<u64> = (0..rows * m)
                    .map(|_| if rng.gen_bool(density) { rng.gen::<u64>() >> (64 - bits) } else { 0 })
                    .collect();
                let got = table.msm_rows(start, m, &s).unwrap();
                assert_eq!(
                    got,
                    naive_rows(&b[start..start + m], &s, m),
                    "ifma={ifma} n={n} start={start} m={m} bits={bits}"
                );
            }
        }
        assert!(matches!(table.msm_rows(n, 1, &[1]), Err(MsmError::RangeOutside { .. })));
        assert!(matches!(table.msm_rows(0, 2, &[1, 2, 3]), Err(MsmError::LengthMismatch { .. })));
        assert!(matches!(table.msm_rows(0, 0, &[]), Err(MsmError::LengthMismatch { .. })));
    }
    // repeated bases (subset sums that are doublings) and P + (-P) = 0 inside a block
    let b = bases(&mut rng, 2);
    let rep = vec![b[0]; SUBSET_BLOCK + 3];
    let s = vec![u64::MAX >> 1; rep.len()];
    assert_eq!(SubsetTable::with_form(&rep, ifma).msm_rows(0, rep.len(), &s).unwrap(), naive_rows(&rep, &s, rep.len()));
    let pm = vec![b[1], -b[1], b[1], -b[1]];
    assert_eq!(SubsetTable::with_form(&pm, ifma).msm_rows(0, 4, &[7; 4]).unwrap(), vec![G1Projective::zero()]);
}

#[test]
fn many_narrow_rows_over_a_table_built_for_the_call() {
    // bases without precomputation, rows enough that a subset table built for the call
    // pays (the prover's product commitments: 64 bases, a row per weight row)
    let mut rng = StdRng::seed_from_u64(15);
    for (m, rows, lo, hi) in [(24usize, 1500usize, 0i64, 1i64 << 16), (64, 600, -(1 << 19), 1 << 19), (13, 4000, -3, 3)]
    {
        let b = bases(&mut rng, m);
        let s: Vec<i64> = (0..m * rows).map(|_| rng.gen_range(lo..=hi)).collect();
        let got = CpuMsm.msm_i64_rows(&b, &s).unwrap();
        for (r, row) in s.chunks(m).enumerate() {
            assert_eq!(got[r], CpuMsm.msm_i64(&b, row).unwrap(), "m={m} row={r}");
        }
    }
}

#[test]
fn row_wise_msms_match_one_msm_per_row() {
    let mut rng = StdRng::seed_from_u64(12);
    for &(m, rows) in &[(1usize, 5usize), (4, 1), (16, 33), (256, 9), (1024, 3)] {
        let b = bases(&mut rng, m);
        // signed ranges, and unsigned ones (digits: the MSM centres them)
        for (bits, unsigned) in
            [(1u32, false), (9, false), (16, false), (33, false), (63, false), (9, true), (16, true)]
        {
            let range = if unsigned { 0..(1i64 << bits) } else { -(1i64 << (bits - 1))..(1i64 << (bits - 1)) };
            let mut s: Vec<i64> = (0..m * rows).map(|_| rng.gen_range(range.clone())).collect();
            // a zero row, repeated values (doublings inside buckets), an extreme value
            for x in s.iter_mut().take(m) {
                *x = 0;
            }
            if rows > 2 {
                for x in s.iter_mut().skip(2 * m).take(m) {
                    *x = 7;
                }
            }
            if let Some(last) = s.last_mut() {
                *last = if unsigned {
                    (1i64 << bits) - 1
                } else if bits == 63 {
                    i64::MIN
                } else {
                    -1
                };
            }
            let got = CpuMsm.msm_i64_rows(&b, &s).unwrap();
            assert_eq!(got.len(), rows);
            for k in 0..=ROW_SHIFTS {
                for with_table in [false, true] {
                    let set = CpuFixedSet::with_methods(b.clone(), k, with_table);
                    let fixed = set.msm_i64_rows(0..m, &s).unwrap();
                    assert_eq!(fixed, got, "{k} shifted sets, table {with_table}: m={m} rows={rows} bits={bits}");
                }
            }
            // the backend's prepared set: every method
            assert_eq!(CpuMsm.fix(b.clone()).msm_i64_rows(0..m, &s).unwrap(), got, "m={m} rows={rows} bits={bits}");
            for (r, row) in s.chunks(m).enumerate() {
                let fr: Vec<Fr> = row.iter().map(|&x| fr_from_i64(x)).collect();
                assert_eq!(got[r], naive_msm(&b, &fr), "m={m} rows={rows} bits={bits} unsigned={unsigned} row={r}");
            }
        }
    }
    // a constant non-zero table (centred to all zeros) and the extremes of i64
    let b = bases(&mut rng, 8);
    for s in [vec![5i64; 16], [i64::MIN, i64::MAX].repeat(8)] {
        let got = CpuMsm.msm_i64_rows(&b, &s).unwrap();
        for (r, row) in s.chunks(8).enumerate() {
            let fr: Vec<Fr> = row.iter().map(|&x| fr_from_i64(x)).collect();
            assert_eq!(got[r], naive_msm(&b, &fr));
        }
    }
    // scalars with a common factor 2^z (weights at a finer scale than their precision)
    for (z, lo) in [(1u32, -5i64), (26, -(1 << 15)), (40, 0), (47, -(1 << 15))] {
        let s: Vec<i64> = (0..32).map(|_| rng.gen_range(lo..1i64 << 15) << z).collect();
        let got = CpuMsm.msm_i64_rows(&b, &s).unwrap();
        for (r, row) in s.chunks(8).enumerate() {
            let fr: Vec<Fr> = row.iter().map(|&x| fr_from_i64(x)).collect();
            assert_eq!(got[r], naive_msm(&b, &fr), "z = {z}");
        }
    }
    let s = vec![i64::MIN; 8];
    assert_eq!(CpuMsm.msm_i64_rows(&b, &s).unwrap()[0], naive_msm(&b, &vec![fr_from_i64(i64::MIN); 8]));
    assert!(matches!(CpuMsm.msm_i64_rows(&bases(&mut rng, 3), &[1, 2]), Err(MsmError::LengthMismatch { .. })));
    // the edges of the digit counts on shifted bases: magnitudes up to
    // 128 + 128 * 256 = 32896 take two digits, one more takes three; an unsigned
    // 16-bit range with its top value 2^16 (fixed point 1.0), centred or not; a sparse
    // table (zeros are free uncentred); four digits, and wider than four
    let set = bases(&mut rng, 64 + 5);
    let b = &set[5..];
    let ranges = [
        (-32_896i64, 32_896i64),
        (-32_897, 32_897),
        (0, 65_536),
        (-129, 129),
        (-128, 128),
        (-(1 << 31), 1 << 31),
        (-(1 << 40), 1 << 40),
        (60_000, 65_535),
    ];
    for (lo, hi) in ranges {
        for sparse in [false, true] {
            let mut s: Vec<i64> = (0..64 * 3).map(|_| rng.gen_range(lo..=hi)).collect();
            if sparse {
                s.iter_mut().skip(2).step_by(2).for_each(|x| *x = 0);
            }
            s[0] = lo;
            s[1] = hi;
            for k in [1, ROW_SHIFTS] {
                for with_table in [false, true] {
                    // bases 5..69 of the set: the table's blocks do not start with the range
                    let fixed = CpuFixedSet::with_methods(set.clone(), k, with_table);
                    assert_eq!(fixed.bases().get(5..69), Some(b));
                    let got = fixed.msm_i64_rows(5..69, &s).unwrap();
                    for (r, row) in s.chunks(64).enumerate() {
                        let fr: Vec<Fr> = row.iter().map(|&x| fr_from_i64(x)).collect();
                        assert_eq!(got[r], naive_msm(b, &fr), "range {lo}..={hi} sparse {sparse} sets {k} row {r}");
                    }
                }
            }
        }
    }
    let fixed = CpuMsm.fix(b.to_vec());
    assert!(matches!(fixed.msm_i64_rows(60..65, &[1; 5]), Err(MsmError::RangeOutside { .. })));
    #[allow(clippy::reversed_empty_ranges)]
    let backwards = 8..4;
    assert!(matches!(fixed.msm_i64_rows(backwards, &[1; 4]), Err(MsmError::RangeOutside { .. })));
    assert!(matches!(fixed.msm_i64_rows(3..3, &[]), Err(MsmError::LengthMismatch { .. })), "an empty range");
    assert!(fixed.msm_i64_rows(0..8, &[1; 9]).is_err(), "scalars not a whole number of rows");
}

/// The prefix sums of a prepared set (cached on the CPU, summed by the trait's default
/// elsewhere) against sums of the bases, and none past the set.
#[test]
fn prefix_sums_of_a_prepared_set() {
    struct Plain(Vec<G1Affine>);
    impl FixedSet for Plain {
        fn bases(&self) -> &[G1Affine] {
            &self.0
        }
        fn msm_i64_rows(&self, range: std::ops::Range<usize>, s: &[i64]) -> Result<Vec<G1Projective>, MsmError> {
            CpuMsm.msm_i64_rows(self.0.get(range).unwrap_or_default(), s)
        }
    }
    let mut rng = StdRng::seed_from_u64(16);
    let b = bases(&mut rng, 24);
    let (cpu, plain) = (CpuMsm.fix(b.clone()), Plain(b.clone()));
    for c in 0..6 {
        let want = (1usize << c <= b.len()).then(|| b.iter().take(1 << c).map(|p| G1Projective::from(*p)).sum());
        assert_eq!(cpu.prefix_sum(c), want, "2^{c} bases");
        assert_eq!(plain.prefix_sum(c), want, "2^{c} bases");
    }
    assert_eq!(cpu.prefix_sum(usize::MAX), None);
    assert_eq!(plain.prefix_sum(usize::MAX), None);
    // preparing ahead changes no result
    cpu.prepare(0..24);
    let s: Vec<i64> = (0..24 * 600).map(|_| rng.gen_range(0..1 << 16)).collect();
    assert_eq!(cpu.msm_i64_rows(0..24, &s).unwrap(), CpuMsm.msm_i64_rows(&b, &s).unwrap());
}

/// `sum_i s_i P_i` in `E(Fq)` by double-and-add with the signed small scalars themselves
/// (exact for points outside G1 too, unlike a scalar reduced mod r).
fn exact_sum(b: &[G1Affine], s: &[i64]) -> G1Projective {
    use ark_ec::AffineRepr;
    b.iter()
        .zip(s)
        .map(|(p, &x)| if x >= 0 { p.mul_bigint([x as u64]) } else { -p.mul_bigint([x.unsigned_abs()]) })
        .sum()
}

/// Bases on the curve outside G1 (the order-3 points `(0, +-2)`, which received proof
/// points may be: they are checked on the curve only) and the identity sum exactly: a
/// point with `x = 0` plus the identity `(0, 0)` is not a cancellation.
#[test]
fn torsion_and_identity_bases_sum_exactly() {
    use ark_ec::AffineRepr;
    use zkdl_core::Fq;
    let t = G1Affine::new_unchecked(Fq::zero(), Fq::from(2u64));
    assert!(t.is_on_curve() && !t.is_in_correct_subgroup_assuming_on_curve());
    let mut rng = StdRng::seed_from_u64(33);
    // t and the identity alternating under one scalar: one bucket holds both
    for n in [2usize, 5, 64, 4096] {
        let b: Vec<G1Affine> = (0..n).map(|i| if i % 2 == 0 { t } else { G1Affine::zero() }).collect();
        let s = vec![1i64; n];
        assert_eq!(CpuMsm.msm_i64(&b, &s).unwrap(), exact_sum(&b, &s), "alternating, n={n}");
    }
    // mixed with G1 points, both signs of t, small signed scalars; row-wise too
    for n in [3usize, 64, 300, 5000] {
        let mut b = bases(&mut rng, n);
        for (i, p) in b.iter_mut().enumerate() {
            match i % 5 {
                0 => *p = t,
                1 => *p = -t,
                2 => *p = G1Affine::zero(),
                _ => {}
            }
        }
        let s: Vec<i64> = (0..n).map(|_| rng.gen_range(-300..300)).collect();
        assert_eq!(CpuMsm.msm_i64(&b, &s).unwrap(), exact_sum(&b, &s), "mixed, n={n}");
        let fr: Vec<Fr> = s.iter().map(|&x| fr_from_i64(x)).collect();
        assert_eq!(CpuMsm.msm_fr(&b, &fr).unwrap(), exact_sum(&b, &s), "mixed fr, n={n}");
    }
}

/// Every test of this file again in a child process with the IFMA code turned off
/// (`ZKDL_NO_IFMA=1`), so that the arkworks path of the batch-affine additions stays
/// tested on CPUs that have IFMA (elsewhere it is what every test above runs).
#[test]
fn the_same_without_ifma() {
    if std::env::var_os("ZKDL_NO_IFMA").is_some() {
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new(exe)
        .env("ZKDL_NO_IFMA", "1")
        .args(["--skip", "the_same_without_ifma"])
        .output()
        .expect("child test run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "without IFMA:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("test result: ok"), "{stdout}");
}
