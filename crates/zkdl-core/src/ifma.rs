//! Batch-affine additions of BLS12-381 G1 points on AVX-512 IFMA: eight independent
//! additions at once, one per 64-bit lane, on base-field elements held in eight limbs of
//! 52 bits (Montgomery form with `R = 2^416`) and multiplied by `vpmadd52{lo,hi}uq`.
//! Our own tables ([`crate::msm::SubsetTable`]) store their points in this form ([`P52`]),
//! so their hot loop converts nothing; other reductions of arkworks' points convert them
//! eight at a time, one Montgomery product per coordinate each way ([`reduce_affine`]).
//!
//! Every function here either runs only after [`available`] said yes (the CPU has
//! AVX-512F and AVX-512 IFMA, checked at run time) or is plain Rust. The one `unsafe`
//! construct of the workspace is the call into the `#[target_feature]` code, after that
//! check; there are no raw pointers.
#![allow(unsafe_code)]

use ark_bls12_381::{Fq, G1Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInt, BigInteger, Field, PrimeField};

const MASK: u64 = (1 << 52) - 1;

/// A G1 point with coordinates in radix `2^52` (eight limbs), Montgomery form
/// `x 2^416 mod p`, canonical (below `p`). `(0, 0)` is the identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(64))]
pub struct P52 {
    x: [u64; 8],
    y: [u64; 8],
}

impl P52 {
    /// The identity.
    pub const IDENTITY: P52 = P52 { x: [0; 8], y: [0; 8] };

    /// The point in this form (two field multiplications per coordinate).
    pub fn from_affine(p: &G1Affine) -> Self {
        match p.xy() {
            None => Self::IDENTITY,
            Some((x, y)) => {
                let c = consts_scalar();
                P52 { x: to52(&(x * c.to_r).into_bigint().0), y: to52(&(y * c.to_r).into_bigint().0) }
            }
        }
    }

    /// The point back in arkworks' form (one multiplication per coordinate).
    pub fn to_affine(&self) -> G1Affine {
        if self.x == [0; 8] && self.y == [0; 8] {
            return G1Affine::identity();
        }
        let c = consts_scalar();
        // the limbs read as arkworks' Montgomery form (R = 2^384) are x 2^32
        let x = Fq::new_unchecked(BigInt(from52(&self.x))) * c.from_r;
        let y = Fq::new_unchecked(BigInt(from52(&self.y))) * c.from_r;
        G1Affine::new_unchecked(x, y)
    }
}

/// Whether this CPU runs the IFMA code (AVX-512F and AVX-512 IFMA), and the environment
/// does not turn it off (`ZKDL_NO_IFMA=1`, for side-by-side measurements).
pub fn available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| detected() && std::env::var_os("ZKDL_NO_IFMA").is_none_or(|v| v != "1"))
}

#[cfg(target_arch = "x86_64")]
fn detected() -> bool {
    std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512ifma")
}

#[cfg(not(target_arch = "x86_64"))]
fn detected() -> bool {
    false
}

/// 384-bit little-endian limbs to eight 52-bit limbs.
fn to52(l: &[u64; 6]) -> [u64; 8] {
    std::array::from_fn(|i| {
        let (w, s) = (i * 52 / 64, i * 52 % 64);
        let lo = l.get(w).map_or(0, |v| v >> s);
        let hi = if s > 12 { l.get(w + 1).map_or(0, |v| v << (64 - s)) } else { 0 };
        (lo | hi) & MASK
    })
}

/// Eight 52-bit limbs (a value below 2^384) to 384-bit little-endian limbs.
fn from52(o: &[u64; 8]) -> [u64; 6] {
    let mut l = [0u64; 6];
    for (i, &v) in o.iter().enumerate() {
        let (w, s) = (i * 52 / 64, i * 52 % 64);
        if let Some(x) = l.get_mut(w) {
            *x |= v << s;
        }
        if s > 12 {
            if let Some(x) = l.get_mut(w + 1) {
                *x |= v >> (64 - s);
            }
        }
    }
    l
}

/// Scalar constants: `2^416` and `2^-32` in arkworks' form.
struct ScalarConsts {
    to_r: Fq,
    from_r: Fq,
}

fn consts_scalar() -> &'static ScalarConsts {
    static C: std::sync::OnceLock<ScalarConsts> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let two = Fq::from(2u64);
        ScalarConsts { to_r: two.pow([416u64]), from_r: two.pow([32u64]).inverse().unwrap_or(Fq::ONE) }
    })
}

/// The vector code's constants as limbs, computed once per process (the conversion
/// constants take exponentiations).
struct ConstLimbs {
    /// `p` and `2p`, limb by limb
    p: [u64; 8],
    p2: [u64; 8],
    /// `-p^-1 mod 2^52`
    n0: u64,
    /// `1`, `2^448` and `2^384` in this form's limbs (see `simd::Consts`)
    one: [u64; 8],
    to_r: [u64; 8],
    from_r: [u64; 8],
}

fn const_limbs() -> &'static ConstLimbs {
    static L: std::sync::OnceLock<ConstLimbs> = std::sync::OnceLock::new();
    L.get_or_init(|| {
        let m = Fq::MODULUS.0;
        // p^-1 mod 2^64 by Newton's iteration (p odd)
        let mut inv = 1u64;
        for _ in 0..7 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(m[0].wrapping_mul(inv)));
        }
        let p = to52(&m);
        let two = Fq::from(2u64);
        ConstLimbs {
            p,
            p2: p.map(|x| 2 * x),
            n0: inv.wrapping_neg() & MASK,
            one: fq_to52(&Fq::ONE),
            to_r: to52(&two.pow([448u64]).into_bigint().0),
            from_r: to52(&two.pow([384u64]).into_bigint().0),
        }
    })
}

/// A field element in this form from arkworks' (for the lane inverses).
fn fq_to52(x: &Fq) -> [u64; 8] {
    to52(&(*x * consts_scalar().to_r).into_bigint().0)
}

/// An element in this form (below `2p`) to arkworks' form.
fn fq_from52(x: &[u64; 8]) -> Fq {
    let mut b = BigInt(from52(x));
    if b >= Fq::MODULUS {
        // below 2p: one subtraction makes it canonical
        b.sub_with_borrow(&Fq::MODULUS);
    }
    Fq::new_unchecked(b) * consts_scalar().from_r
}

/// Reduces every segment of `pts` (consecutive runs of `segs[i].1` points) to its sum,
/// in place, exactly as [`crate::msm`]'s arkworks version does: afterwards `pts[i]` is
/// the sum of segment `i` and every length is 1. Pairs whose addition is not the
/// generic case (an identity, equal or opposite points: equal x) are added by arkworks.
/// Needs [`available`]; without it the segments are reduced through arkworks' points.
pub fn reduce_segments(pts: &mut Vec<P52>, segs: &mut [(u32, u32)]) {
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: `available` checked at run time that the CPU has AVX-512F and
        // AVX-512 IFMA, the target features `simd::reduce_segments` is compiled for.
        unsafe { simd::reduce_segments(pts, segs) };
        return;
    }
    reduce_segments_scalar(pts, segs);
}

/// The sums of the segments of `src` (consecutive runs of `segs[i].1` points; the
/// lengths become 1), as [`reduce_segments`] would give them for the points copied out:
/// the first level reads the points where they are (a table's entries).
pub fn reduce_refs(src: &[&P52], segs: &mut [(u32, u32)]) -> Vec<P52> {
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: as in `reduce_segments`.
        return unsafe { simd::reduce_refs(src, segs) };
    }
    let mut pts: Vec<P52> = src.iter().map(|p| **p).collect();
    reduce_segments_scalar(&mut pts, segs);
    pts
}

/// [`reduce_segments`] for arkworks' points, converted to this form and back eight at a
/// time (two multiplications per coordinate and eight points, against about six per
/// addition): what the bucket methods of [`crate::msm`] run where the CPU has IFMA.
/// Returns `false`, leaving everything as it was, where it does not.
pub fn reduce_affine(pts: &mut Vec<G1Affine>, segs: &mut [(u32, u32)]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: as in `reduce_segments`.
        unsafe { simd::reduce_affine(pts, segs) };
        return true;
    }
    false
}

/// The fallback: pairwise additions through arkworks, level by level (public for the
/// tests, which compare both).
#[doc(hidden)]
pub fn reduce_segments_scalar(pts: &mut Vec<P52>, segs: &mut [(u32, u32)]) {
    loop {
        let mut any = false;
        let (mut w, mut r) = (0usize, 0usize);
        for seg in segs.iter_mut() {
            let len = seg.1 as usize;
            for j in 0..len / 2 {
                let (p, q) = (pts[r + 2 * j].to_affine(), pts[r + 2 * j + 1].to_affine());
                pts[w] = P52::from_affine(&(p + q).into_affine());
                w += 1;
                any = true;
            }
            if len % 2 == 1 {
                pts[w] = pts[r + len - 1];
                w += 1;
            }
            r += len;
            seg.1 = (len / 2 + len % 2) as u32;
        }
        pts.truncate(w);
        if !any {
            break;
        }
    }
}

/// Sum of two points, for the special pairs: an identity (padding rows commit to it) at
/// no cost, equal x through arkworks.
fn add_scalar(p: &P52, q: &P52) -> P52 {
    match (*p == P52::IDENTITY, *q == P52::IDENTITY) {
        (true, _) => *q,
        (_, true) => *p,
        _ => P52::from_affine(&(p.to_affine() + q.to_affine()).into_affine()),
    }
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use super::{add_scalar, fq_from52, fq_to52, MASK, P52};
    use ark_bls12_381::{Fq, G1Affine};
    use ark_ec::AffineRepr;
    use ark_ff::BigInt;
    use std::arch::x86_64::*;

    /// Eight field elements, limb `j` of lane `l` in `v[j]` lane `l`.
    type V = [__m512i; 8];

    struct Consts {
        /// `k p` for k = 1, 2, in 52-bit limbs (limbwise, not normalised to a bound)
        p: [V; 3],
        n0: __m512i,
        mask: __m512i,
        /// `1` in this Montgomery form
        one: V,
        /// `2^448` and `2^384` mod p: a Montgomery product with them converts arkworks'
        /// form (`x 2^384`) to this one (`x 2^416`) and back
        to_r: V,
        from_r: V,
    }

    #[target_feature(enable = "avx512f,avx512ifma")]
    fn splat(l: &[u64; 8]) -> V {
        std::array::from_fn(|j| _mm512_set1_epi64(l[j] as i64))
    }

    #[target_feature(enable = "avx512f,avx512ifma")]
    fn consts() -> Consts {
        let l = super::const_limbs();
        Consts {
            p: [splat(&[0; 8]), splat(&l.p), splat(&l.p2)],
            n0: _mm512_set1_epi64(l.n0 as i64),
            mask: _mm512_set1_epi64(MASK as i64),
            one: splat(&l.one),
            to_r: splat(&l.to_r),
            from_r: splat(&l.from_r),
        }
    }

    /// One step of [`mul`]: `t += ai b + m p` with `m` making `t0` a multiple of
    /// `2^52`, whose carry moves into `t1`; then `t0` is free (zeroed) and the next step
    /// takes `t1..t8, t0` (the accumulators rotate instead of moving).
    macro_rules! mul_step {
        ($c:ident, $ai:expr, $b:ident, $t0:ident, $t1:ident, $t2:ident, $t3:ident, $t4:ident, $t5:ident, $t6:ident, $t7:ident, $t8:ident) => {{
            let ai = $ai;
            $t0 = _mm512_madd52lo_epu64($t0, ai, $b[0]);
            $t1 = _mm512_madd52hi_epu64($t1, ai, $b[0]);
            $t1 = _mm512_madd52lo_epu64($t1, ai, $b[1]);
            $t2 = _mm512_madd52hi_epu64($t2, ai, $b[1]);
            $t2 = _mm512_madd52lo_epu64($t2, ai, $b[2]);
            $t3 = _mm512_madd52hi_epu64($t3, ai, $b[2]);
            $t3 = _mm512_madd52lo_epu64($t3, ai, $b[3]);
            $t4 = _mm512_madd52hi_epu64($t4, ai, $b[3]);
            $t4 = _mm512_madd52lo_epu64($t4, ai, $b[4]);
            $t5 = _mm512_madd52hi_epu64($t5, ai, $b[4]);
            $t5 = _mm512_madd52lo_epu64($t5, ai, $b[5]);
            $t6 = _mm512_madd52hi_epu64($t6, ai, $b[5]);
            $t6 = _mm512_madd52lo_epu64($t6, ai, $b[6]);
            $t7 = _mm512_madd52hi_epu64($t7, ai, $b[6]);
            $t7 = _mm512_madd52lo_epu64($t7, ai, $b[7]);
            $t8 = _mm512_madd52hi_epu64($t8, ai, $b[7]);
            let z = _mm512_setzero_si512();
            let m = _mm512_madd52lo_epu64(z, $t0, $c.n0);
            let p = &$c.p[1];
            $t0 = _mm512_madd52lo_epu64($t0, m, p[0]);
            $t1 = _mm512_madd52hi_epu64($t1, m, p[0]);
            $t1 = _mm512_madd52lo_epu64($t1, m, p[1]);
            $t2 = _mm512_madd52hi_epu64($t2, m, p[1]);
            $t2 = _mm512_madd52lo_epu64($t2, m, p[2]);
            $t3 = _mm512_madd52hi_epu64($t3, m, p[2]);
            $t3 = _mm512_madd52lo_epu64($t3, m, p[3]);
            $t4 = _mm512_madd52hi_epu64($t4, m, p[3]);
            $t4 = _mm512_madd52lo_epu64($t4, m, p[4]);
            $t5 = _mm512_madd52hi_epu64($t5, m, p[4]);
            $t5 = _mm512_madd52lo_epu64($t5, m, p[5]);
            $t6 = _mm512_madd52hi_epu64($t6, m, p[5]);
            $t6 = _mm512_madd52lo_epu64($t6, m, p[6]);
            $t7 = _mm512_madd52hi_epu64($t7, m, p[6]);
            $t7 = _mm512_madd52lo_epu64($t7, m, p[7]);
            $t8 = _mm512_madd52hi_epu64($t8, m, p[7]);
            $t1 = _mm512_add_epi64($t1, _mm512_srli_epi64($t0, 52));
            $t0 = z;
        }};
    }

    /// Montgomery product `a b 2^-416 mod p`, below `2p` for inputs below `8p`
    /// (operand scanning, the reduction interleaved, fully unrolled).
    #[target_feature(enable = "avx512f,avx512ifma")]
    #[inline]
    fn mul(c: &Consts, a: &V, b: &V) -> V {
        let z = _mm512_setzero_si512();
        let (mut t0, mut t1, mut t2, mut t3, mut t4, mut t5, mut t6, mut t7, mut t8) = (z, z, z, z, z, z, z, z, z);
        mul_step!(c, a[0], b, t0, t1, t2, t3, t4, t5, t6, t7, t8);
        mul_step!(c, a[1], b, t1, t2, t3, t4, t5, t6, t7, t8, t0);
        mul_step!(c, a[2], b, t2, t3, t4, t5, t6, t7, t8, t0, t1);
        mul_step!(c, a[3], b, t3, t4, t5, t6, t7, t8, t0, t1, t2);
        mul_step!(c, a[4], b, t4, t5, t6, t7, t8, t0, t1, t2, t3);
        mul_step!(c, a[5], b, t5, t6, t7, t8, t0, t1, t2, t3, t4);
        mul_step!(c, a[6], b, t6, t7, t8, t0, t1, t2, t3, t4, t5);
        mul_step!(c, a[7], b, t7, t8, t0, t1, t2, t3, t4, t5, t6);
        // the result's limbs, lowest first: t8, t0, ..., t6 (below 2^64 each)
        let _ = t7;
        let mut t = [t8, t0, t1, t2, t3, t4, t5, t6];
        for j in 0..7 {
            t[j + 1] = _mm512_add_epi64(t[j + 1], _mm512_srli_epi64(t[j], 52));
            t[j] = _mm512_and_si512(t[j], c.mask);
        }
        t[7] = _mm512_and_si512(t[7], c.mask);
        t
    }

    /// Limbs of signed sums back to 52 bits each (the value is non-negative).
    #[target_feature(enable = "avx512f,avx512ifma")]
    #[inline]
    fn carry(c: &Consts, mut t: V) -> V {
        for j in 0..7 {
            let k = _mm512_srai_epi64(t[j], 52);
            t[j] = _mm512_and_si512(t[j], c.mask);
            t[j + 1] = _mm512_add_epi64(t[j + 1], k);
        }
        t
    }

    /// `a + k p - b` (non-negative for `b < k p + a`).
    #[target_feature(enable = "avx512f,avx512ifma")]
    #[inline]
    fn sub(c: &Consts, a: &V, b: &V, k: usize) -> V {
        let kp = &c.p[k];
        carry(c, std::array::from_fn(|j| _mm512_sub_epi64(_mm512_add_epi64(a[j], kp[j]), b[j])))
    }

    /// `a - k p` where that is non-negative, else `a`.
    #[target_feature(enable = "avx512f,avx512ifma")]
    #[inline]
    fn cond_sub(c: &Consts, a: &V, k: usize) -> V {
        let kp = &c.p[k];
        let t = carry(c, std::array::from_fn(|j| _mm512_sub_epi64(a[j], kp[j])));
        let neg = _mm512_cmplt_epi64_mask(t[7], _mm512_setzero_si512());
        std::array::from_fn(|j| _mm512_mask_blend_epi64(neg, t[j], a[j]))
    }

    /// Lanes where `a == b` limb by limb.
    #[target_feature(enable = "avx512f,avx512ifma")]
    #[inline]
    fn eq(a: &V, b: &V) -> __mmask8 {
        let mut m: __mmask8 = 0xff;
        for j in 0..8 {
            m &= _mm512_cmpeq_epi64_mask(a[j], b[j]);
        }
        m
    }

    /// Rows to columns: `r[l]` holds the eight limbs of lane `l`, the result's `v[j]`
    /// limb `j` of every lane (and back: the transposition is its own inverse).
    #[target_feature(enable = "avx512f,avx512ifma")]
    #[inline]
    fn transpose(r: &[__m512i; 8]) -> V {
        let a = [
            _mm512_unpacklo_epi64(r[0], r[1]),
            _mm512_unpackhi_epi64(r[0], r[1]),
            _mm512_unpacklo_epi64(r[2], r[3]),
            _mm512_unpackhi_epi64(r[2], r[3]),
            _mm512_unpacklo_epi64(r[4], r[5]),
            _mm512_unpackhi_epi64(r[4], r[5]),
            _mm512_unpacklo_epi64(r[6], r[7]),
            _mm512_unpackhi_epi64(r[6], r[7]),
        ];
        let even = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
        let odd = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
        let b = [
            _mm512_permutex2var_epi64(a[0], even, a[2]),
            _mm512_permutex2var_epi64(a[1], even, a[3]),
            _mm512_permutex2var_epi64(a[0], odd, a[2]),
            _mm512_permutex2var_epi64(a[1], odd, a[3]),
            _mm512_permutex2var_epi64(a[4], even, a[6]),
            _mm512_permutex2var_epi64(a[5], even, a[7]),
            _mm512_permutex2var_epi64(a[4], odd, a[6]),
            _mm512_permutex2var_epi64(a[5], odd, a[7]),
        ];
        [
            _mm512_shuffle_i64x2::<0x44>(b[0], b[4]),
            _mm512_shuffle_i64x2::<0x44>(b[1], b[5]),
            _mm512_shuffle_i64x2::<0x44>(b[2], b[6]),
            _mm512_shuffle_i64x2::<0x44>(b[3], b[7]),
            _mm512_shuffle_i64x2::<0xEE>(b[0], b[4]),
            _mm512_shuffle_i64x2::<0xEE>(b[1], b[5]),
            _mm512_shuffle_i64x2::<0xEE>(b[2], b[6]),
            _mm512_shuffle_i64x2::<0xEE>(b[3], b[7]),
        ]
    }

    /// One coordinate of the points `idx` (one per lane), limb-major.
    #[target_feature(enable = "avx512f,avx512ifma")]
    #[inline]
    fn gather<'a>(get: &impl Fn(usize) -> Option<&'a P52>, idx: &[usize; 8], y: bool) -> V {
        let rows: [__m512i; 8] = std::array::from_fn(|l| {
            let p = get(idx[l]).unwrap_or(&P52::IDENTITY);
            bytemuck::cast(if y { p.y } else { p.x })
        });
        transpose(&rows)
    }

    /// Lane `l` of eight limb-major elements, as limbs.
    #[target_feature(enable = "avx512f,avx512ifma")]
    #[inline]
    fn scatter(v: &V) -> [[u64; 8]; 8] {
        transpose(v).map(bytemuck::cast)
    }

    /// Buffers reused from level to level and, per thread, from call to call (the
    /// levels' points are megabytes: fresh ones would fault their pages in every time).
    #[derive(Default)]
    struct Scratch {
        firsts: Vec<usize>,
        dens: Vec<V>,
        prefix: Vec<V>,
        special: Vec<__mmask8>,
        sum_at: Vec<usize>,
        pts: Vec<P52>,
        out: Vec<P52>,
    }

    thread_local! {
        static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
        static CONVERTED: std::cell::RefCell<Vec<P52>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    /// One coordinate of eight points, converted by a Montgomery product with `k` and
    /// made canonical.
    #[target_feature(enable = "avx512f,avx512ifma")]
    #[inline]
    fn convert(c: &Consts, rows: [[u64; 8]; 8], k: &V) -> [[u64; 8]; 8] {
        let v = mul(c, &transpose(&rows.map(bytemuck::cast)), k);
        scatter(&cond_sub(c, &v, 1))
    }

    /// See [`super::reduce_affine`].
    #[target_feature(enable = "avx512f,avx512ifma")]
    pub(super) fn reduce_affine(pts: &mut Vec<G1Affine>, segs: &mut [(u32, u32)]) {
        let c = consts();
        // the converted points in a per-thread buffer (reused from call to call)
        let mut p52 = CONVERTED.with(|cell| cell.take());
        p52.clear();
        p52.reserve(pts.len());
        for chunk in pts.chunks(8) {
            let limbs = |y: bool| -> [[u64; 8]; 8] {
                std::array::from_fn(|l| match chunk.get(l).and_then(|p| p.xy()) {
                    Some((x, yy)) => super::to52(&(if y { yy } else { x }).0 .0),
                    None => [0; 8],
                })
            };
            let (xs, ys) = (convert(&c, limbs(false), &c.to_r), convert(&c, limbs(true), &c.to_r));
            for (l, p) in chunk.iter().enumerate() {
                p52.push(match p.is_zero() {
                    true => P52::IDENTITY,
                    false => P52 { x: xs[l], y: ys[l] },
                });
            }
        }
        reduce_segments(&mut p52, segs);
        pts.clear();
        for chunk in p52.chunks(8) {
            let limbs = |y: bool| -> [[u64; 8]; 8] {
                std::array::from_fn(|l| chunk.get(l).map_or([0; 8], |p| if y { p.y } else { p.x }))
            };
            let (xs, ys) = (convert(&c, limbs(false), &c.from_r), convert(&c, limbs(true), &c.from_r));
            for (l, p) in chunk.iter().enumerate() {
                pts.push(match *p == P52::IDENTITY {
                    true => G1Affine::identity(),
                    false => G1Affine::new_unchecked(
                        Fq::new_unchecked(BigInt(super::from52(&xs[l]))),
                        Fq::new_unchecked(BigInt(super::from52(&ys[l]))),
                    ),
                });
            }
        }
        CONVERTED.with(|cell| cell.replace(p52));
    }

    /// See [`super::reduce_segments`].
    #[target_feature(enable = "avx512f,avx512ifma")]
    pub(super) fn reduce_segments(pts: &mut Vec<P52>, segs: &mut [(u32, u32)]) {
        let c = consts();
        let mut s = SCRATCH.with(|cell| cell.take());
        let mut out = std::mem::take(&mut s.pts);
        while segs.iter().any(|s| s.1 > 1) {
            level(&c, &mut s, &|i| pts.get(i), segs, &mut out, false);
            std::mem::swap(pts, &mut out);
        }
        s.pts = out;
        SCRATCH.with(|cell| cell.replace(s));
    }

    /// See [`super::reduce_refs`].
    #[target_feature(enable = "avx512f,avx512ifma")]
    pub(super) fn reduce_refs(src: &[&P52], segs: &mut [(u32, u32)]) -> Vec<P52> {
        let c = consts();
        let mut s = SCRATCH.with(|cell| cell.take());
        let (mut pts, mut out) = (std::mem::take(&mut s.pts), std::mem::take(&mut s.out));
        level(&c, &mut s, &|i| src.get(i).copied(), segs, &mut pts, true);
        while segs.iter().any(|s| s.1 > 1) {
            level(&c, &mut s, &|i| pts.get(i), segs, &mut out, false);
            std::mem::swap(&mut pts, &mut out);
        }
        let sums = pts.clone();
        (s.pts, s.out) = (pts, out);
        SCRATCH.with(|cell| cell.replace(s));
        sums
    }

    /// One level of pairwise additions: the points `get(0..)` in segments `segs` to `out`
    /// (pair sums and odd points in segment order), the lengths halved. The pairs go in
    /// groups of eight (one per lane); a forward pass chains the denominators `x2 - x1`
    /// in eight lane products, the lane products are inverted together, a backward pass
    /// turns the chains into each pair's inverse, and a forward pass adds.
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn level<'a>(
        c: &Consts,
        s: &mut Scratch,
        get: &impl Fn(usize) -> Option<&'a P52>,
        segs: &mut [(u32, u32)],
        out: &mut Vec<P52>,
        across: bool,
    ) {
        let Scratch { firsts, dens, prefix, special, sum_at, .. } = s;
        let pairs: usize = segs.iter().map(|s| s.1 as usize / 2).sum();
        firsts.clear();
        sum_at.clear();
        firsts.reserve(pairs);
        sum_at.reserve(pairs);
        out.clear();
        out.resize(segs.iter().map(|s| (s.1 as usize).div_ceil(2)).sum(), P52::IDENTITY);
        // where each sum and each odd point goes; with `across`, pair j of every segment
        // before pair j + 1 of any (a table's entries in block order: the reads stay
        // within a few blocks at a time)
        let (mut r, mut w, mut longest) = (0usize, 0usize, 0usize);
        let mut starts = Vec::with_capacity(if across { segs.len() } else { 0 });
        for seg in segs.iter_mut() {
            let len = seg.1 as usize;
            if across {
                starts.push((r, w, len / 2));
                longest = longest.max(len / 2);
            } else {
                firsts.extend((0..len / 2).map(|j| r + 2 * j));
                sum_at.extend(w..w + len / 2);
            }
            w += len / 2;
            if len % 2 == 1 {
                if let (Some(o), Some(p)) = (out.get_mut(w), get(r + len - 1)) {
                    *o = *p;
                }
                w += 1;
            }
            r += len;
            seg.1 = (len / 2 + len % 2) as u32;
        }
        for j in 0..longest {
            for &(r, w, half) in &starts {
                if j < half {
                    firsts.push(r + 2 * j);
                    sum_at.push(w + j);
                }
            }
        }
        if firsts.is_empty() {
            return;
        }
        let groups = firsts.len().div_ceil(8);
        // the pairs' first points of group g, lanes past the end on pair 0 (not live)
        let first = firsts.first().copied().unwrap_or(0);
        let idx_of = |g: usize| -> ([usize; 8], __mmask8) {
            let mut live: __mmask8 = 0;
            let i1: [usize; 8] = std::array::from_fn(|l| match firsts.get(8 * g + l) {
                Some(&i) => {
                    live |= 1 << l;
                    i
                }
                None => first,
            });
            (i1, live)
        };
        dens.clear();
        prefix.clear();
        special.clear();
        dens.reserve(groups);
        prefix.reserve(groups);
        special.reserve(groups);
        let mut acc = c.one;
        let zero = c.p[0];
        for g in 0..groups {
            let (i1, live) = idx_of(g);
            let i2 = i1.map(|i| i + 1);
            let (x1, x2) = (gather(get, &i1, false), gather(get, &i2, false));
            // x = 0 holds for the identity (0, 0) and for no point of G1 (the curve's
            // (0, +-2) has order 3): arkworks adds those pairs, and equal x
            let sp = !live | eq(&x1, &x2) | eq(&x1, &zero) | eq(&x2, &zero);
            let d = sub(c, &x2, &x1, 1);
            let d: V = std::array::from_fn(|j| _mm512_mask_blend_epi64(sp, d[j], c.one[j]));
            prefix.push(acc);
            acc = mul(c, &acc, &d);
            dens.push(d);
            special.push(sp);
        }
        // invert the eight lane products together
        let acc_l = scatter(&acc);
        let mut inv_l: [Fq; 8] = std::array::from_fn(|l| fq_from52(&acc_l[l]));
        ark_ff::batch_inversion(&mut inv_l);
        let mut inv = transpose(&inv_l.map(|x| bytemuck::cast(fq_to52(&x))));
        for (d, pre) in dens.iter_mut().zip(prefix.iter()).rev() {
            let dinv = mul(c, &inv, pre);
            inv = mul(c, &inv, d);
            *d = dinv;
        }
        for (g, (dinv, &sp)) in dens.iter().zip(special.iter()).enumerate() {
            let (i1, live) = idx_of(g);
            let i2 = i1.map(|i| i + 1);
            let (x1, y1) = (gather(get, &i1, false), gather(get, &i1, true));
            let (x2, y2) = (gather(get, &i2, false), gather(get, &i2, true));
            let lambda = mul(c, &sub(c, &y2, &y1, 1), dinv);
            let l2 = mul(c, &lambda, &lambda);
            // l2 + 2p - x1 - x2 < 4p
            let x3 = std::array::from_fn(|j| {
                _mm512_sub_epi64(_mm512_sub_epi64(_mm512_add_epi64(l2[j], c.p[2][j]), x1[j]), x2[j])
            });
            let x3 = carry(c, x3);
            let x3 = cond_sub(c, &cond_sub(c, &x3, 2), 1);
            let m = mul(c, &lambda, &sub(c, &x1, &x3, 1));
            // m + p - y1 < 3p
            let y3 = sub(c, &m, &y1, 1);
            let y3 = cond_sub(c, &cond_sub(c, &y3, 2), 1);
            let (xs, ys) = (scatter(&x3), scatter(&y3));
            for l in 0..8 {
                if live & (1 << l) == 0 {
                    continue;
                }
                let Some(&at) = sum_at.get(8 * g + l) else { continue };
                let sum = if sp & (1 << l) != 0 {
                    match (get(i1[l]), get(i2[l])) {
                        (Some(p), Some(q)) => add_scalar(p, q),
                        _ => continue,
                    }
                } else {
                    P52 { x: xs[l], y: ys[l] }
                };
                if let Some(o) = out.get_mut(at) {
                    *o = sum;
                }
            }
        }
    }
}
