//! The scalar field and the ONE fixed-point type.
//!
//! Values are quantized as `x̂ = round(x * 2^f)` into `i64`, and enter the field as
//! `Fr` with negatives represented as `p - |x|`. Every conversion is checked:
//! non-finite or out-of-range input is an error, never a silent wrap-around.

use ark_ff::{PrimeField, Zero};

pub use ark_bls12_381::Fr;

use crate::error::FixedPointError;

/// Largest number of fractional bits supported (so that `2^f` is exact in `f64`
/// and a `Q`-bit value with `Q <= 63` still has integer headroom).
pub const MAX_FRAC_BITS: u32 = 56;

/// Fixed-point parameters: `frac_bits` fractional bits (`f`) inside a `total_bits`
/// signed integer (`Q`): encoded values lie in `[-2^(Q-1), 2^(Q-1))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FixedPoint {
    frac_bits: u32,
    total_bits: u32,
}

impl FixedPoint {
    /// `frac_bits = f`, `total_bits = Q` (default in zkdl: f = 16, Q = 32).
    pub fn new(frac_bits: u32, total_bits: u32) -> Result<Self, FixedPointError> {
        if frac_bits > MAX_FRAC_BITS {
            return Err(FixedPointError::BadFracBits { frac_bits, max: MAX_FRAC_BITS });
        }
        if total_bits > 63 || total_bits <= frac_bits {
            return Err(FixedPointError::BadFracBits {
                frac_bits,
                max: total_bits.saturating_sub(1).min(MAX_FRAC_BITS),
            });
        }
        Ok(Self { frac_bits, total_bits })
    }

    pub fn frac_bits(&self) -> u32 {
        self.frac_bits
    }

    pub fn total_bits(&self) -> u32 {
        self.total_bits
    }

    /// `2^f` as f64.
    pub fn scale(&self) -> f64 {
        (1u64 << self.frac_bits) as f64
    }

    /// `round(x * 2^f)`, checked to lie in `[-2^(Q-1), 2^(Q-1))`.
    pub fn encode(&self, x: f64) -> Result<i64, FixedPointError> {
        if !x.is_finite() {
            return Err(FixedPointError::NotFinite { value: x });
        }
        let scaled = (x * self.scale()).round();
        let bound = (1u64 << (self.total_bits - 1)) as f64;
        if scaled < -bound || scaled >= bound {
            return Err(FixedPointError::OutOfRange { value: x, bits: self.total_bits, frac_bits: self.frac_bits });
        }
        // In range of i64 by the check above (total_bits <= 63).
        Ok(scaled as i64)
    }

    /// Encode a slice; the first failing element's error is returned.
    pub fn encode_slice(&self, xs: &[f64]) -> Result<Vec<i64>, FixedPointError> {
        xs.iter().map(|&x| self.encode(x)).collect()
    }

    /// `v / 2^f`.
    pub fn decode(&self, v: i64) -> f64 {
        v as f64 / self.scale()
    }

    /// Checks that `v` lies in `[-2^(Q-1), 2^(Q-1))`.
    pub fn check_range(&self, v: i128) -> Result<i64, FixedPointError> {
        check_signed_bits(v, self.total_bits)
    }

    /// Rescale a product by `2^shift` with round-half-up (`shift = f` for a product of
    /// two values at scale `2^f`, the weights' fractional bits for activations times
    /// weights): `z + 2^(shift-1) = 2^shift * q + r` with `0 <= r < 2^shift`. Returns
    /// `(q, r)`; `q` is checked to be a `Q`-bit signed value.
    pub fn rescale(&self, z: i128, shift: u32) -> Result<(i64, u64), FixedPointError> {
        let (q, r) = rescale_round(z, shift);
        Ok((self.check_range(q)?, r))
    }
}

impl Default for FixedPoint {
    fn default() -> Self {
        Self { frac_bits: 16, total_bits: 32 }
    }
}

/// Round-half-up division by `2^shift`: returns `(q, r)` with
/// `z + 2^(shift-1) = 2^shift * q + r`, `0 <= r < 2^shift` (for `shift = 0`: `(z, 0)`).
pub fn rescale_round(z: i128, shift: u32) -> (i128, u64) {
    if shift == 0 {
        return (z, 0);
    }
    let half = 1i128 << (shift - 1);
    let t = z + half;
    let q = t >> shift; // arithmetic shift = floor division
    let r = (t - (q << shift)) as u64;
    (q, r)
}

/// Checks `-2^(bits-1) <= v < 2^(bits-1)` and returns `v` as `i64` (`bits <= 64`).
pub fn check_signed_bits(v: i128, bits: u32) -> Result<i64, FixedPointError> {
    let bits = bits.min(64);
    let lo = -(1i128 << (bits - 1));
    let hi = 1i128 << (bits - 1);
    if v < lo || v >= hi {
        return Err(FixedPointError::IntOutOfRange { value: v, bits });
    }
    Ok(v as i64)
}

/// Magnitudes below this convert by table lookup in [`fr_from_i64`].
const SMALL_FR: usize = 1 << 16;

/// `0, 1, ..., SMALL_FR - 1` as field elements (built once, by additions).
fn small_frs() -> &'static [Fr] {
    static TABLE: std::sync::OnceLock<Vec<Fr>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Vec::with_capacity(SMALL_FR);
        let mut x = Fr::from(0u64);
        for _ in 0..SMALL_FR {
            t.push(x);
            x += Fr::from(1u64);
        }
        t
    })
}

/// `i64 -> Fr`, negatives as `p - |v|`. Magnitudes below `2^16` (digits, most
/// quantized values) are looked up instead of converted to Montgomery form.
#[inline]
pub fn fr_from_i64(v: i64) -> Fr {
    let m = v.unsigned_abs();
    let x = match usize::try_from(m).ok().and_then(|i| small_frs().get(i)) {
        Some(x) => *x,
        None => Fr::from(m),
    };
    if v >= 0 {
        x
    } else {
        -x
    }
}

/// `sum_j w_j t_j` for field elements `w_j` and small signed integers `t_j` with ONE
/// modular reduction at the end: the Montgomery limbs of each `w_j` (`w_j 2^256 mod p`)
/// times `|t_j|` are added into a 384-bit integer per sign, which stays congruent to
/// `2^256 sum w_j t_j`; [`LazySum::finish`] reduces it. A term costs four 64x64-bit
/// multiplications instead of a Montgomery multiplication (and a conversion of `t_j`).
/// Up to `2^64` terms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LazySum {
    pos: [u64; 6],
    neg: [u64; 6],
}

impl LazySum {
    /// Add `w t`.
    #[inline(always)]
    pub fn add(&mut self, w: &Fr, t: i64) {
        let m = t.unsigned_abs() as u128;
        if m == 0 {
            return;
        }
        let acc = if t > 0 { &mut self.pos } else { &mut self.neg };
        let limbs = &(w.0).0;
        let mut carry: u128 = 0;
        for (a, &l) in acc.iter_mut().zip(limbs.iter()) {
            let v = (l as u128) * m + (*a as u128) + carry;
            *a = v as u64;
            carry = v >> 64;
        }
        let v = (acc[4] as u128) + carry;
        acc[4] = v as u64;
        acc[5] = acc[5].wrapping_add((v >> 64) as u64);
    }

    /// Add another partial sum.
    pub fn merge(&mut self, other: &LazySum) {
        for (acc, o) in [(&mut self.pos, &other.pos), (&mut self.neg, &other.neg)] {
            let mut carry = 0u128;
            for (a, b) in acc.iter_mut().zip(o.iter()) {
                let v = (*a as u128) + (*b as u128) + carry;
                *a = v as u64;
                carry = v >> 64;
            }
        }
    }

    /// The sum as a field element: the two accumulators subtracted as integers, then
    /// one reduction.
    pub fn finish(&self) -> Fr {
        let (big, small, negate) = match self.pos.iter().rev().cmp(self.neg.iter().rev()) {
            std::cmp::Ordering::Less => (&self.neg, &self.pos, true),
            _ => (&self.pos, &self.neg, false),
        };
        let mut diff = [0u64; 6];
        let mut borrow = false;
        for ((d, &a), &b) in diff.iter_mut().zip(big).zip(small) {
            let (x, o1) = a.overflowing_sub(b);
            let (y, o2) = x.overflowing_sub(borrow as u64);
            *d = y;
            borrow = o1 || o2;
        }
        let v = wide_montgomery(&diff);
        if negate {
            -v
        } else {
            v
        }
    }
}

/// [`LazySum`] for integers up to `2^125` in magnitude: `t = hi 2^62 + lo` summed in two
/// [`LazySum`]s, combined at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LazySum128 {
    lo: LazySum,
    hi: LazySum,
}

impl LazySum128 {
    /// Add `w t`, `|t| < 2^125`.
    #[inline(always)]
    pub fn add(&mut self, w: &Fr, t: i128) {
        let m = t.unsigned_abs();
        let (lo, hi) = ((m & ((1 << 62) - 1)) as i64, (m >> 62) as i64);
        let (lo, hi) = if t < 0 { (-lo, -hi) } else { (lo, hi) };
        self.lo.add(w, lo);
        self.hi.add(w, hi);
    }

    /// Add another partial sum.
    pub fn merge(&mut self, other: &LazySum128) {
        self.lo.merge(&other.lo);
        self.hi.merge(&other.hi);
    }

    /// The sum as a field element.
    pub fn finish(&self) -> Fr {
        self.lo.finish() + self.hi.finish() * Fr::from(1u64 << 62)
    }
}

/// The field element whose Montgomery form is congruent to the 384-bit `a`: with
/// `a = lo + 2^256 hi`, that is `lo 2^-256 + hi` (`2^256` is the Montgomery radix).
fn wide_montgomery(a: &[u64; 6]) -> Fr {
    use ark_ff::BigInteger;
    let modulus = <Fr as PrimeField>::MODULUS;
    let mut lo = ark_ff::BigInt::<4>([a[0], a[1], a[2], a[3]]);
    // 2^256 < 3p: at most two subtractions
    while lo >= modulus {
        lo.sub_with_borrow(&modulus);
    }
    let hi = (a[4] as u128) | ((a[5] as u128) << 64);
    let high = match i64::try_from(hi) {
        Ok(h) => fr_from_i64(h),
        Err(_) => Fr::from(hi),
    };
    Fr::new_unchecked(lo) + high
}

/// `i128 -> Fr`, negatives as `p - |v|`.
#[inline]
pub fn fr_from_i128(v: i128) -> Fr {
    if v >= 0 {
        Fr::from(v as u128)
    } else {
        -Fr::from(v.unsigned_abs())
    }
}

/// `Fr -> i64` where `x < 2^63` (non-negative) or `p - x <= 2^63` (negative).
pub fn fr_to_i64(x: Fr) -> Result<i64, FixedPointError> {
    small_signed(&x).ok_or(FixedPointError::FieldNotSmall)
}

/// The signed small-integer view of a field element, if it has one
/// (`x < 2^63` gives `x`, `p - x <= 2^63` gives `-(p - x)`).
#[inline]
pub fn small_signed(x: &Fr) -> Option<i64> {
    if x.is_zero() {
        return Some(0);
    }
    let b = x.into_bigint();
    if b.0[1] == 0 && b.0[2] == 0 && b.0[3] == 0 && b.0[0] < (1u64 << 63) {
        return Some(b.0[0] as i64);
    }
    let n = (-*x).into_bigint();
    if n.0[1] == 0 && n.0[2] == 0 && n.0[3] == 0 && n.0[0] <= (1u64 << 63) {
        return Some((n.0[0] as i128).wrapping_neg() as i64);
    }
    None
}

/// `2^k` as a field element.
pub fn fr_pow2(k: u32) -> Fr {
    use ark_ff::Field;
    Fr::from(2u64).pow([k as u64])
}

/// The inverse of `x`, `None` for zero.
pub fn fr_inverse(x: Fr) -> Option<Fr> {
    use ark_ff::Field;
    x.inverse()
}

/// Convert a slice of `i64` into field elements.
pub fn fr_vec_from_i64(v: &[i64]) -> Vec<Fr> {
    use rayon::prelude::*;
    v.par_iter().map(|&x| fr_from_i64(x)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_sums_of_128_bit_integers_equal_field_sums() {
        use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
        use ark_std::UniformRand;
        let mut rng = StdRng::seed_from_u64(11);
        for range in [1i128 << 20, 1 << 70, (1 << 125) - 1] {
            let w: Vec<Fr> = (0..100).map(|_| Fr::rand(&mut rng)).collect();
            let t: Vec<i128> = (0..100).map(|_| rng.gen_range(-range..range)).collect();
            let want: Fr = w.iter().zip(&t).map(|(a, &b)| *a * fr_from_i128(b)).sum();
            let (mut x, mut y) = (LazySum128::default(), LazySum128::default());
            for (k, (a, &b)) in w.iter().zip(&t).enumerate() {
                if k % 3 == 0 {
                    x.add(a, b)
                } else {
                    y.add(a, b)
                }
            }
            x.merge(&y);
            assert_eq!(x.finish(), want, "range {range}");
        }
    }

    #[test]
    fn lazy_sums_equal_field_sums() {
        use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
        use ark_std::UniformRand;
        let mut rng = StdRng::seed_from_u64(5);
        for n in [0usize, 1, 2, 17, 1000] {
            for range in [1i64 << 16, 1 << 40, i64::MAX] {
                let w: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
                let mut t: Vec<i64> = (0..n).map(|_| rng.gen_range(-range..range)).collect();
                if let Some(x) = t.first_mut() {
                    *x = i64::MIN;
                }
                let want: Fr = w.iter().zip(&t).map(|(a, &b)| *a * fr_from_i64(b)).sum();
                let mut lazy = LazySum::default();
                w.iter().zip(&t).for_each(|(a, &b)| lazy.add(a, b));
                assert_eq!(lazy.finish(), want, "n {n} range {range}");
                // split in two and merged
                let (mut a, mut b) = (LazySum::default(), LazySum::default());
                for (i, (x, &y)) in w.iter().zip(&t).enumerate() {
                    if i % 2 == 0 {
                        a.add(x, y)
                    } else {
                        b.add(x, y)
                    }
                }
                a.merge(&b);
                assert_eq!(a.finish(), want);
            }
        }
        // the largest Montgomery limbs times the largest magnitude, many times
        let w = -Fr::from(1u64);
        let mut lazy = LazySum::default();
        for _ in 0..1000 {
            lazy.add(&w, i64::MAX);
        }
        assert_eq!(lazy.finish(), w * fr_from_i64(i64::MAX) * Fr::from(1000u64));
    }

    #[test]
    fn small_integers_convert_like_large_ones() {
        let big = |v: i64| if v >= 0 { Fr::from(v as u64) } else { -Fr::from(v.unsigned_abs()) };
        for v in [0, 1, 2, 65_534, 65_535, 65_536, 65_537, -1, -65_535, -65_536, -65_537, i64::MIN, i64::MAX] {
            assert_eq!(fr_from_i64(v), big(v), "{v}");
        }
        for v in (-70_000i64..70_000).step_by(97) {
            assert_eq!(fr_from_i64(v), big(v), "{v}");
        }
    }

    #[test]
    fn encode_decode_roundtrip() {
        let fp = FixedPoint::default();
        for &x in &[0.0, 1.0, -1.0, 0.5, -0.25, 1234.5678, -32767.99] {
            let v = fp.encode(x).unwrap();
            assert!((fp.decode(v) - x).abs() <= 0.5 / fp.scale());
        }
        assert_eq!(fp.encode(1.0).unwrap(), 65536);
        assert_eq!(fp.encode(-1.0).unwrap(), -65536);
    }

    #[test]
    fn encode_rejects_bad_values() {
        let fp = FixedPoint::default();
        assert!(matches!(fp.encode(f64::NAN), Err(FixedPointError::NotFinite { .. })));
        assert!(matches!(fp.encode(f64::INFINITY), Err(FixedPointError::NotFinite { .. })));
        assert!(matches!(fp.encode(32768.0), Err(FixedPointError::OutOfRange { .. })));
        assert!(fp.encode(-32768.0).is_ok());
        assert!(matches!(fp.encode(-32768.1), Err(FixedPointError::OutOfRange { .. })));
        assert!(FixedPoint::new(57, 63).is_err());
        assert!(FixedPoint::new(16, 64).is_err());
        assert!(FixedPoint::new(16, 16).is_err());
    }

    #[test]
    fn field_roundtrip_and_negatives() {
        for &v in &[0i64, 1, -1, 42, -42, i64::MAX, i64::MIN, i64::MIN + 1] {
            let x = fr_from_i64(v);
            assert_eq!(fr_to_i64(x).unwrap(), v);
        }
        assert_eq!(fr_from_i64(-5), -Fr::from(5u64));
        assert_eq!(fr_from_i64(-5) + Fr::from(5u64), Fr::from(0u64));
        // 2^63 is not an i64
        assert!(fr_to_i64(Fr::from(1u64 << 63)).is_err());
        assert!(fr_to_i64(Fr::from(u64::MAX)).is_err());
        assert_eq!(fr_from_i128(-(1i128 << 100)), -Fr::from(1u128 << 100));
    }

    #[test]
    fn rescale_rounds_half_up() {
        assert_eq!(rescale_round(0, 16), (0, 1 << 15));
        assert_eq!(rescale_round(1 << 16, 16), (1, 1 << 15));
        assert_eq!(rescale_round((1 << 15) - 1, 16), (0, (1 << 16) - 1));
        assert_eq!(rescale_round(1 << 15, 16), (1, 0));
        assert_eq!(rescale_round(-(1 << 15), 16), (0, 0));
        assert_eq!(rescale_round(-(1 << 15) - 1, 16), (-1, (1 << 16) - 1));
        for z in [-1_000_000i128, -65537, -3, 7, 99_999_999] {
            let (q, r) = rescale_round(z, 16);
            assert_eq!(z + (1 << 15), (q << 16) + r as i128);
            assert!(r < 1 << 16);
        }
        let fp = FixedPoint::default();
        assert!(fp.rescale(1i128 << 50, 16).is_err());
        assert_eq!(fp.rescale(3i128 << 41, 42), Ok((2, 0)), "a product with 42-bit weights");
        assert_eq!(fp.rescale((3i128 << 41) - 1, 42), Ok((1, (1 << 42) - 1)));
    }

    #[test]
    fn signed_bit_checks() {
        assert!(check_signed_bits(127, 8).is_ok());
        assert!(check_signed_bits(128, 8).is_err());
        assert!(check_signed_bits(-128, 8).is_ok());
        assert!(check_signed_bits(-129, 8).is_err());
    }
}
