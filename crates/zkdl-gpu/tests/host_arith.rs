//! The kernel headers (kernels/*.cuh), built as host C++ (zkdl_gpu::host), against
//! arkworks: the constants, every field operation of Fr and Fp on random and edge
//! inputs, and the G1 additions and doublings on random points in random XYZZ
//! representations and on the cases the addition formulas exclude.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(not(zkdl_host_shim))]
#[test]
fn host_arithmetic() {
    eprintln!("skipped: no C++ compiler built kernels/ as host C++ (see the zkdl-gpu build warning)");
}

#[cfg(zkdl_host_shim)]
mod with_shim {
    use ark_bls12_381::{g1::Config as G1Config, Fq, FqConfig, Fr, FrConfig, G1Affine, G1Projective};
    use ark_ec::short_weierstrass::SWCurveConfig;
    use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup, PrimeGroup};
    use ark_ff::{BigInt, BigInteger, Field, Fp, MontBackend, MontConfig, PrimeField, UniformRand, Zero};
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use zkdl_gpu::host::{self, fp, fr, g1, Affine, Constants, Xyzz};

    type F<P, const N: usize> = Fp<MontBackend<P, N>, N>;

    /// One field's operations in the shim.
    struct Ops<const N: usize> {
        constants: fn() -> Constants<N>,
        add: fn(&[u64; N], &[u64; N]) -> [u64; N],
        sub: fn(&[u64; N], &[u64; N]) -> [u64; N],
        mul: fn(&[u64; N], &[u64; N]) -> [u64; N],
        neg: fn(&[u64; N]) -> [u64; N],
        dbl: fn(&[u64; N]) -> [u64; N],
        sqr: fn(&[u64; N]) -> [u64; N],
        inv: fn(&[u64; N]) -> [u64; N],
        to_mont: fn(&[u64; N]) -> [u64; N],
        from_mont: fn(&[u64; N]) -> [u64; N],
        eq: fn(&[u64; N], &[u64; N]) -> bool,
        is_zero: fn(&[u64; N]) -> bool,
    }

    const FR: Ops<4> = Ops {
        constants: host::fr_constants,
        add: fr::add,
        sub: fr::sub,
        mul: fr::mul,
        neg: fr::neg,
        dbl: fr::dbl,
        sqr: fr::sqr,
        inv: fr::inv,
        to_mont: fr::to_mont,
        from_mont: fr::from_mont,
        eq: fr::eq,
        is_zero: fr::is_zero,
    };

    const FP: Ops<6> = Ops {
        constants: host::fp_constants,
        add: fp::add,
        sub: fp::sub,
        mul: fp::mul,
        neg: fp::neg,
        dbl: fp::dbl,
        sqr: fp::sqr,
        inv: fp::inv,
        to_mont: fp::to_mont,
        from_mont: fp::from_mont,
        eq: fp::eq,
        is_zero: fp::is_zero,
    };

    fn limbs<P: MontConfig<N>, const N: usize>(x: F<P, N>) -> [u64; N] {
        x.0 .0
    }

    /// Integers below p at the edges: 0, 1, 2, p - 1, p - 2, (p -+ 1) / 2, and around
    /// every limb boundary 2^(64 k) (2^(64 k) - 1, 2^(64 k), 2^(64 k) + 1; all below p).
    fn edge_ints<P: MontConfig<N>, const N: usize>() -> Vec<BigInt<N>> {
        let one = BigInt::<N>::from(1u64);
        let mut p_minus_1 = P::MODULUS;
        p_minus_1.sub_with_borrow(&one);
        let mut p_minus_2 = p_minus_1;
        p_minus_2.sub_with_borrow(&one);
        let mut half_down = p_minus_1;
        half_down.div2();
        let mut half_up = half_down;
        half_up.add_with_carry(&one);
        let mut ints = vec![BigInt::from(0u64), one, BigInt::from(2u64), p_minus_1, p_minus_2, half_down, half_up];
        for k in 1..N {
            let mut pow = [0u64; N];
            pow[k] = 1;
            let pow = BigInt::new(pow);
            let mut below = pow;
            below.sub_with_borrow(&one);
            let mut above = pow;
            above.add_with_carry(&one);
            ints.extend([below, pow, above]);
        }
        // all limbs of p but the top one at their maximum
        let mut ones = [u64::MAX; N];
        ones[N - 1] = P::MODULUS.0[N - 1] - 1;
        ints.push(BigInt::new(ones));
        assert!(ints.iter().all(|b| *b < P::MODULUS));
        ints
    }

    /// The edge integers both as values and as Montgomery limbs (the element whose
    /// internal limbs they are), so that inputs and products land on limb boundaries.
    fn edges<P: MontConfig<N>, const N: usize>() -> Vec<F<P, N>> {
        let ints = edge_ints::<P, N>();
        let mut out: Vec<F<P, N>> = ints.iter().map(|b| F::<P, N>::from_bigint(*b).unwrap()).collect();
        out.extend(ints.iter().map(|b| F::<P, N>::new_unchecked(*b)));
        out
    }

    fn check_pair<P: MontConfig<N>, const N: usize>(ops: &Ops<N>, a: F<P, N>, b: F<P, N>) {
        let (la, lb) = (limbs(a), limbs(b));
        assert_eq!((ops.add)(&la, &lb), limbs(a + b), "add {a} {b}");
        assert_eq!((ops.sub)(&la, &lb), limbs(a - b), "sub {a} {b}");
        assert_eq!((ops.sub)(&lb, &la), limbs(b - a), "sub {b} {a}");
        assert_eq!((ops.mul)(&la, &lb), limbs(a * b), "mul {a} {b}");
        assert_eq!((ops.eq)(&la, &lb), a == b, "eq {a} {b}");
    }

    fn check_one<P: MontConfig<N>, const N: usize>(ops: &Ops<N>, a: F<P, N>) {
        let la = limbs(a);
        assert_eq!((ops.neg)(&la), limbs(-a), "neg {a}");
        assert_eq!((ops.dbl)(&la), limbs(a.double()), "dbl {a}");
        assert_eq!((ops.sqr)(&la), limbs(a.square()), "sqr {a}");
        assert!((ops.eq)(&la, &la));
        assert_eq!((ops.is_zero)(&la), a.is_zero(), "is_zero {a}");
        assert_eq!((ops.from_mont)(&la), a.into_bigint().0, "from_mont {a}");
        assert_eq!((ops.to_mont)(&a.into_bigint().0), la, "to_mont {a}");
    }

    fn check_inv<P: MontConfig<N>, const N: usize>(ops: &Ops<N>, a: F<P, N>) {
        let expected = a.inverse().unwrap_or(F::<P, N>::zero());
        assert_eq!((ops.inv)(&limbs(a)), limbs(expected), "inv {a}");
    }

    fn check_field<P: MontConfig<N>, const N: usize>(ops: &Ops<N>, seed: u64) {
        // the constants, from arkworks rather than typed in twice
        let c = (ops.constants)();
        assert_eq!(c.modulus, P::MODULUS.0, "modulus");
        assert_eq!(c.one, F::<P, N>::R.0, "R mod p");
        assert_eq!(c.one, limbs(F::<P, N>::from(1u64)), "one");
        assert_eq!(c.r2, F::<P, N>::R2.0, "R^2 mod p");
        assert_eq!(c.inv, F::<P, N>::INV, "-p^-1 mod 2^64");
        assert_eq!(c.inv.wrapping_mul(P::MODULUS.0[0]), u64::MAX, "INV p = -1 mod 2^64");

        let edges = edges::<P, N>();
        for &a in &edges {
            check_one(ops, a);
            check_inv(ops, a);
            for &b in &edges {
                check_pair(ops, a, b);
            }
        }
        let mut rng = StdRng::seed_from_u64(seed);
        for i in 0..3000 {
            let a = F::<P, N>::rand(&mut rng);
            let b = F::<P, N>::rand(&mut rng);
            check_one(ops, a);
            check_pair(ops, a, b);
            check_pair(ops, a, a);
            check_pair(ops, a, -a);
            if i < 200 {
                check_inv(ops, a);
            }
        }
    }

    #[test]
    fn fr_matches_arkworks() {
        check_field::<FrConfig, 4>(&FR, 1);
        // the aliases zkdl uses are these fields
        assert_eq!(Fr::MODULUS, FrConfig::MODULUS);
    }

    #[test]
    fn fp_matches_arkworks() {
        check_field::<FqConfig, 6>(&FP, 2);
        assert_eq!(Fq::MODULUS, FqConfig::MODULUS);
    }

    /// The device's multiply-accumulate (the host's runs on 128-bit integers) against
    /// u128 arithmetic, on the extremes and random words.
    #[test]
    fn device_mac_matches_u128() {
        use ark_std::rand::Rng;
        let mut words = vec![0, 1, 2, u64::MAX, u64::MAX - 1, 1 << 32, (1 << 32) - 1, 1 << 63, (1 << 63) - 1];
        let mut rng = StdRng::seed_from_u64(5);
        words.extend((0..12).map(|_| rng.gen::<u64>()));
        let check = |a: u64, b: u64, c: u64, carry: u64| {
            let t = a as u128 + b as u128 * c as u128 + carry as u128;
            assert_eq!(host::mac_words(a, b, c, carry), (t as u64, (t >> 64) as u64), "{a} + {b} {c} + {carry}");
        };
        for &a in &words {
            for &b in &words {
                for &c in &words {
                    for &carry in &words {
                        check(a, b, c, carry);
                    }
                }
            }
        }
        for _ in 0..100_000 {
            check(rng.gen(), rng.gen(), rng.gen(), rng.gen());
        }
    }

    #[test]
    fn curve_coefficient_b() {
        assert_eq!(g1::b(), G1Config::COEFF_B.0 .0);
        assert_eq!(g1::b(), Fq::from(4u64).0 .0);
        assert!(G1Config::COEFF_A.is_zero(), "the formulas assume a = 0");
    }

    fn fq(l: &[u64]) -> Fq {
        Fq::new_unchecked(BigInt::new(l.try_into().unwrap()))
    }

    /// arkworks' Jacobian (X, Y, Z) is the XYZZ point (X, Y, Z^2, Z^3), rescaled by
    /// lambda: (X l^2, Y l^3, ZZ l^2, ZZZ l^3) is the same point.
    fn xyzz(p: &G1Projective, lambda: Fq) -> Xyzz {
        let (l2, l3) = (lambda.square(), lambda.square() * lambda);
        let zz = p.z.square();
        let coords = [p.x * l2, p.y * l3, zz * l2, zz * p.z * l3];
        let mut out = [0u64; 24];
        for (chunk, c) in out.chunks_mut(6).zip(coords) {
            chunk.copy_from_slice(&c.0 .0);
        }
        out
    }

    fn affine(a: &G1Affine) -> Affine {
        let mut out = [0u64; 12];
        if !a.is_zero() {
            out[..6].copy_from_slice(&a.x.0 .0);
            out[6..].copy_from_slice(&a.y.0 .0);
        }
        out
    }

    /// The affine point an XYZZ result stands for, computed by arkworks; checks that the
    /// result is consistent (ZZ^3 = ZZZ^2) and on the curve, by the header and by arkworks.
    fn to_ark(p: &Xyzz) -> G1Affine {
        assert!(g1::is_on_curve(p), "header: not a consistent curve point");
        let (zz, zzz) = (fq(&p[12..18]), fq(&p[18..24]));
        if zz.is_zero() {
            assert!(zzz.is_zero());
            assert!(g1::is_identity(p));
            return G1Affine::identity();
        }
        assert_eq!(zz.square() * zz, zzz.square());
        let a = G1Affine::new_unchecked(fq(&p[..6]) / zz, fq(&p[6..12]) / zzz);
        assert!(a.is_on_curve() && a.is_in_correct_subgroup_assuming_on_curve());
        a
    }

    fn check_points(p: G1Projective, q: G1Projective, lp: Fq, lq: Fq) {
        let (xp, xq) = (xyzz(&p, lp), xyzz(&q, lq));
        let qa = q.into_affine();
        assert_eq!(to_ark(&g1::add(&xp, &xq)), (p + q).into_affine(), "add");
        assert_eq!(to_ark(&g1::add(&xq, &xp)), (p + q).into_affine(), "add, swapped");
        assert_eq!(to_ark(&g1::add_mixed(&xp, &affine(&qa))), (p + q).into_affine(), "add_mixed");
        assert_eq!(to_ark(&g1::dbl(&xp)), p.double().into_affine(), "dbl");
        assert_eq!(to_ark(&g1::neg(&xp)), (-p).into_affine(), "neg");
        assert_eq!(g1::affine::from_xyzz(&xp), affine(&p.into_affine()), "to affine");
        assert_eq!(to_ark(&g1::from_affine(&affine(&qa))), qa, "from affine");
        assert_eq!(g1::affine::neg(&affine(&qa)), affine(&(-qa)), "affine neg");
        assert_eq!(g1::eq(&xp, &xq), p == q, "eq");
        assert!(g1::eq(&xp, &xyzz(&p, lq)), "eq, another representation");
        assert!(g1::is_on_curve(&xp) && g1::is_on_curve(&xq));
    }

    #[test]
    fn g1_random_points_match_arkworks() {
        let mut rng = StdRng::seed_from_u64(3);
        let g = G1Projective::generator();
        for _ in 0..300 {
            let p = g * Fr::rand(&mut rng);
            let q = g * Fr::rand(&mut rng);
            check_points(p, q, Fq::rand(&mut rng), Fq::rand(&mut rng));
        }
    }

    #[test]
    fn g1_special_cases() {
        let mut rng = StdRng::seed_from_u64(4);
        let g = G1Projective::generator();
        let zero = G1Projective::zero();
        let id = g1::identity();
        let id_affine = [0u64; 12];
        assert!(g1::is_identity(&id) && g1::is_on_curve(&id));
        assert_eq!(to_ark(&id), G1Affine::identity());
        let ark_id = G1Affine::identity();
        assert!(ark_id.x.is_zero() && ark_id.y.is_zero(), "arkworks' identity has zero coordinates");
        assert!(g1::is_identity(&g1::from_affine(&id_affine)));
        assert_eq!(g1::affine::from_xyzz(&id), id_affine);
        assert_eq!(g1::affine::neg(&id_affine), id_affine);
        assert!(g1::is_identity(&g1::dbl(&id)));
        assert!(g1::is_identity(&g1::add(&id, &id)));
        assert!(g1::is_identity(&g1::add_mixed(&id, &id_affine)));
        assert!(g1::eq(&id, &xyzz(&zero, Fq::from(5u64))));

        let mut points = vec![g, g.double(), -g];
        points.extend((0..20).map(|_| g * Fr::rand(&mut rng)));
        for p in points {
            let (l1, l2) = (Fq::rand(&mut rng), Fq::rand(&mut rng));
            let (x1, x2) = (xyzz(&p, l1), xyzz(&p, l2));
            let pa = affine(&p.into_affine());
            let na = affine(&(-p).into_affine());
            let two_p = p.double().into_affine();
            // the identity on either side
            assert_eq!(to_ark(&g1::add(&id, &x1)), p.into_affine());
            assert_eq!(to_ark(&g1::add(&x1, &id)), p.into_affine());
            assert_eq!(to_ark(&g1::add_mixed(&x1, &id_affine)), p.into_affine());
            assert_eq!(to_ark(&g1::add_mixed(&id, &pa)), p.into_affine());
            // P + P, also in two representations: the doubling
            assert_eq!(to_ark(&g1::add(&x1, &x1)), two_p);
            assert_eq!(to_ark(&g1::add(&x1, &x2)), two_p);
            assert_eq!(to_ark(&g1::add_mixed(&x1, &pa)), two_p);
            assert_eq!(to_ark(&g1::dbl(&x1)), two_p);
            // P + (-P)
            assert!(g1::is_identity(&g1::add(&x1, &g1::neg(&x2))));
            assert!(g1::is_identity(&g1::add(&x1, &xyzz(&-p, l2))));
            assert!(g1::is_identity(&g1::add_mixed(&x1, &na)));
            assert!(g1::is_identity(&g1::add_mixed(&g1::neg(&x1), &pa)));
            // P + 2P, 2P + P
            let x2p = g1::dbl(&x1);
            assert_eq!(to_ark(&g1::add(&x2p, &x2)), (p + p.double()).into_affine());
            assert_eq!(to_ark(&g1::add_mixed(&x2p, &pa)), (p + p.double()).into_affine());
        }
        // the generator: 3G, G + G, and sums built from additions only
        let xg = xyzz(&g, Fq::from(1u64));
        let ga = affine(&g.into_affine());
        assert_eq!(g1::affine::from_xyzz(&xg), ga);
        let mut acc = g1::identity();
        let mut expected = zero;
        for _ in 0..50 {
            acc = g1::add_mixed(&acc, &ga);
            expected += g;
            assert_eq!(to_ark(&acc), expected.into_affine());
        }
        assert_eq!(to_ark(&acc), (g * Fr::from(50u64)).into_affine());
    }
}
