// Montgomery arithmetic in a prime field of N 64-bit limbs, the representation of
// arkworks' `Fp<MontBackend<_, N>, N>`: little-endian limbs of a * R mod p with
// R = 2^(64 N), always fully reduced (below p). A buffer of arkworks field elements
// (their `.0 .0` limbs) is therefore a buffer of `Field<C>` as it is.
//
// C supplies the constants: N, INV = -p^{-1} mod 2^64, and limb i of p (modulus),
// R mod p (one) and R^2 mod p (r2). Multiplication is CIOS with one spare word, so
// any p < 2^(64 N) works.
#ifndef ZKDL_FIELD_CUH
#define ZKDL_FIELD_CUH

#include "common.cuh"

namespace zkdl {

template <class C>
struct Field {
    static constexpr int N = C::N;
    u64 l[N];

    ZKDL_HD static Field zero() {
        Field r;
        ZKDL_UNROLL
        for (int i = 0; i < N; i++) r.l[i] = 0;
        return r;
    }

    // 1 in Montgomery form (R mod p).
    ZKDL_HD static Field one() {
        Field r;
        ZKDL_UNROLL
        for (int i = 0; i < N; i++) r.l[i] = C::one(i);
        return r;
    }

    ZKDL_HD static Field modulus() {
        Field r;
        ZKDL_UNROLL
        for (int i = 0; i < N; i++) r.l[i] = C::modulus(i);
        return r;
    }

    ZKDL_HD static Field r2() {
        Field r;
        ZKDL_UNROLL
        for (int i = 0; i < N; i++) r.l[i] = C::r2(i);
        return r;
    }

    ZKDL_HD bool is_zero() const {
        u64 acc = 0;
        ZKDL_UNROLL
        for (int i = 0; i < N; i++) acc |= l[i];
        return acc == 0;
    }

    // (hi 2^(64 N) + t) - p if that is not negative, else t; the input must be below
    // 2p, the result is then below p.
    ZKDL_HD static Field reduce(const u64 *t, u64 hi) {
        Field d;
        u64 borrow = 0;
        ZKDL_UNROLL
        for (int i = 0; i < N; i++) d.l[i] = sbb(t[i], C::modulus(i), borrow);
        u64 mask = (u64)0 - (u64)((hi != 0) | (borrow == 0));
        Field r;
        ZKDL_UNROLL
        for (int i = 0; i < N; i++) r.l[i] = (d.l[i] & mask) | (t[i] & ~mask);
        return r;
    }

    ZKDL_HD static Field add(const Field &a, const Field &b) {
        u64 t[N];
        u64 carry = 0;
        ZKDL_UNROLL
        for (int i = 0; i < N; i++) t[i] = adc(a.l[i], b.l[i], carry);
        return reduce(t, carry);
    }

    ZKDL_HD static Field sub(const Field &a, const Field &b) {
        Field r;
        u64 borrow = 0;
        ZKDL_UNROLL
        for (int i = 0; i < N; i++) r.l[i] = sbb(a.l[i], b.l[i], borrow);
        // add p back where a < b
        u64 mask = (u64)0 - borrow;
        u64 carry = 0;
        ZKDL_UNROLL
        for (int i = 0; i < N; i++) r.l[i] = adc(r.l[i], C::modulus(i) & mask, carry);
        return r;
    }

    ZKDL_HD static Field neg(const Field &a) {
        Field r;
        u64 borrow = 0;
        ZKDL_UNROLL
        for (int i = 0; i < N; i++) r.l[i] = sbb(C::modulus(i), a.l[i], borrow);
        // -0 = 0, not p
        u64 mask = (u64)0 - (u64)(!a.is_zero());
        ZKDL_UNROLL
        for (int i = 0; i < N; i++) r.l[i] &= mask;
        return r;
    }

    ZKDL_HD static Field dbl(const Field &a) { return add(a, a); }

    // Montgomery product a b R^{-1} mod p (CIOS).
    ZKDL_HD_CALL static Field mul(const Field &a, const Field &b) {
        u64 t[N + 2];
        ZKDL_UNROLL
        for (int i = 0; i < N + 2; i++) t[i] = 0;
        ZKDL_UNROLL
        for (int i = 0; i < N; i++) {
            // t += a b[i]
            u64 c = 0;
            ZKDL_UNROLL
            for (int j = 0; j < N; j++) t[j] = mac(t[j], a.l[j], b.l[i], c);
            u64 cc = 0;
            t[N] = adc(t[N], c, cc);
            t[N + 1] = cc;
            // t = (t + m p) / 2^64, m chosen so that the low word vanishes
            u64 m = t[0] * C::INV;
            c = 0;
            (void)mac(t[0], m, C::modulus(0), c);
            ZKDL_UNROLL
            for (int j = 1; j < N; j++) t[j - 1] = mac(t[j], m, C::modulus(j), c);
            cc = 0;
            t[N - 1] = adc(t[N], c, cc);
            t[N] = t[N + 1] + cc;
        }
        return reduce(t, t[N]);
    }

    ZKDL_HD static Field sqr(const Field &a) { return mul(a, a); }

    // The Montgomery form of the integer whose limbs are a (a below p).
    ZKDL_HD static Field to_mont(const Field &a) { return mul(a, r2()); }

    // The integer (limbs, below p) that the Montgomery form a stands for.
    ZKDL_HD static Field from_mont(const Field &a) {
        Field raw_one = zero();
        raw_one.l[0] = 1;
        return mul(a, raw_one);
    }

    // a^e for the exponent with little-endian limbs e[0..N].
    ZKDL_HD static Field pow(const Field &a, const u64 *e) {
        Field r = one();
        for (int i = N - 1; i >= 0; i--) {
            for (int b = 63; b >= 0; b--) {
                r = sqr(r);
                if ((e[i] >> b) & 1) r = mul(r, a);
            }
        }
        return r;
    }

    // a^{-1} (Fermat: a^(p-2)); the inverse of 0 is taken to be 0.
    ZKDL_HD static Field inv(const Field &a) {
        u64 e[N];
        u64 borrow = 0;
        ZKDL_UNROLL
        for (int i = 0; i < N; i++) e[i] = sbb(C::modulus(i), i == 0 ? 2 : 0, borrow);
        return pow(a, e);
    }
};

template <class C>
ZKDL_HD bool operator==(const Field<C> &a, const Field<C> &b) {
    u64 diff = 0;
    ZKDL_UNROLL
    for (int i = 0; i < Field<C>::N; i++) diff |= a.l[i] ^ b.l[i];
    return diff == 0;
}
template <class C>
ZKDL_HD bool operator!=(const Field<C> &a, const Field<C> &b) { return !(a == b); }
template <class C>
ZKDL_HD Field<C> operator+(const Field<C> &a, const Field<C> &b) { return Field<C>::add(a, b); }
template <class C>
ZKDL_HD Field<C> operator-(const Field<C> &a, const Field<C> &b) { return Field<C>::sub(a, b); }
template <class C>
ZKDL_HD Field<C> operator-(const Field<C> &a) { return Field<C>::neg(a); }
template <class C>
ZKDL_HD Field<C> operator*(const Field<C> &a, const Field<C> &b) { return Field<C>::mul(a, b); }

}  // namespace zkdl

#endif  // ZKDL_FIELD_CUH
