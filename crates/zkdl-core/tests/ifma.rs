//! The IFMA batch-affine additions against arkworks' group law.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{UniformRand, Zero};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkdl_core::ifma::{self, P52};
use zkdl_core::{Fr, G1Affine, G1Projective};

/// Random points with the cases that are not generic additions mixed in: the identity,
/// a repeated point (doubling), a point and its negation.
fn points(rng: &mut StdRng, n: usize) -> Vec<G1Affine> {
    let g = G1Projective::generator();
    let mut pts: Vec<G1Projective> = (0..n).map(|_| g * Fr::rand(rng)).collect();
    for i in 0..n {
        match rng.gen_range(0..10) {
            0 => pts[i] = G1Projective::zero(),
            1 if i > 0 => pts[i] = pts[i - 1],
            2 if i > 0 => pts[i] = -pts[i - 1],
            _ => {}
        }
    }
    G1Projective::normalize_batch(&pts)
}

fn check(reduce: fn(&mut Vec<P52>, &mut [(u32, u32)]), seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    for n_segs in [1usize, 2, 5, 17, 40] {
        let lens: Vec<u32> = (0..n_segs).map(|_| rng.gen_range(1..70)).collect();
        let total: usize = lens.iter().map(|&l| l as usize).sum();
        let pts = points(&mut rng, total);
        let expected: Vec<G1Affine> = {
            let mut off = 0;
            lens.iter()
                .map(|&l| {
                    let s: G1Projective = pts[off..off + l as usize].iter().map(|p| p.into_group()).sum();
                    off += l as usize;
                    s.into_affine()
                })
                .collect()
        };
        let mut p52: Vec<P52> = pts.iter().map(P52::from_affine).collect();
        for (p, q) in p52.iter().zip(&pts) {
            assert_eq!(p.to_affine(), *q, "conversion round trip");
        }
        let mut segs: Vec<(u32, u32)> = lens.iter().enumerate().map(|(i, &l)| (i as u32, l)).collect();
        // the same sums from references to the points (the first level reads in place)
        let refs: Vec<&P52> = p52.iter().collect();
        let mut segs_refs = segs.clone();
        let from_refs = ifma::reduce_refs(&refs, &mut segs_refs);
        let from_refs: Vec<G1Affine> = from_refs.iter().map(|p| p.to_affine()).collect();
        assert_eq!(from_refs, expected, "references, {n_segs} segments of {lens:?}");
        assert!(segs_refs.iter().all(|s| s.1 == 1));
        // arkworks' points through the IFMA form and back
        let mut affine = pts.clone();
        let mut segs_affine = segs.clone();
        if ifma::reduce_affine(&mut affine, &mut segs_affine) {
            assert_eq!(affine, expected, "arkworks' points, {n_segs} segments of {lens:?}");
            assert!(segs_affine.iter().all(|s| s.1 == 1));
        } else {
            assert_eq!(affine, pts, "left as it was");
        }
        reduce(&mut p52, &mut segs);
        assert_eq!(p52.len(), n_segs);
        assert!(segs.iter().all(|s| s.1 == 1));
        let got: Vec<G1Affine> = p52.iter().map(|p| p.to_affine()).collect();
        assert_eq!(got, expected, "{n_segs} segments of {lens:?}");
    }
}

#[test]
fn reduce_segments_matches_arkworks() {
    if !ifma::available() {
        println!("this CPU has no AVX-512 IFMA (or ZKDL_NO_IFMA=1): the fallback is what runs");
    }
    check(ifma::reduce_segments, 1);
}

#[test]
fn fallback_matches_arkworks() {
    check(ifma::reduce_segments_scalar, 2);
}

#[test]
fn identity_and_generator_convert() {
    let g = G1Affine::generator();
    assert_eq!(P52::from_affine(&G1Affine::identity()), P52::IDENTITY);
    assert_eq!(P52::IDENTITY.to_affine(), G1Affine::identity());
    assert_eq!(P52::from_affine(&g).to_affine(), g);
}
