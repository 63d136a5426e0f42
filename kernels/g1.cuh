// BLS12-381 G1 (y^2 = x^3 + 4 over Fp) in XYZZ coordinates: (X, Y, ZZ, ZZZ) stands for
// the affine point (X / ZZ, Y / ZZZ), with ZZ^3 = ZZZ^2; ZZ = 0 is the identity.
// Affine points are (x, y) with (0, 0) the identity, as arkworks' `G1Affine` stores it
// (its coordinates are zero where `infinity` is set), so a buffer of arkworks' affine
// x and y limbs is a buffer of g1_affine_t. Formulas: the EFD's add-2008-s,
// madd-2008-s and dbl-2008-s-1 for XYZZ, with a = 0; the cases those formulas do not
// cover (an identity, equal or opposite points) are handled explicitly.
#ifndef ZKDL_G1_CUH
#define ZKDL_G1_CUH

#include "bls12_381.cuh"

namespace zkdl {

struct g1_affine_t {
    fp_t x, y;
};

struct g1_xyzz_t {
    fp_t x, y, zz, zzz;
};

ZKDL_HD g1_xyzz_t g1_identity() {
    g1_xyzz_t r;
    r.x = fp_t::one();
    r.y = fp_t::one();
    r.zz = fp_t::zero();
    r.zzz = fp_t::zero();
    return r;
}

ZKDL_HD bool g1_is_identity(const g1_xyzz_t &p) { return p.zz.is_zero(); }

ZKDL_HD bool g1_affine_is_identity(const g1_affine_t &a) { return a.x.is_zero() && a.y.is_zero(); }

ZKDL_HD g1_xyzz_t g1_from_affine(const g1_affine_t &a) {
    if (g1_affine_is_identity(a)) return g1_identity();
    g1_xyzz_t r;
    r.x = a.x;
    r.y = a.y;
    r.zz = fp_t::one();
    r.zzz = fp_t::one();
    return r;
}

ZKDL_HD g1_xyzz_t g1_neg(const g1_xyzz_t &p) {
    g1_xyzz_t r = p;
    r.y = -p.y;
    return r;
}

ZKDL_HD g1_affine_t g1_affine_neg(const g1_affine_t &a) {
    g1_affine_t r = a;
    r.y = -a.y;
    return r;
}

// 2p (dbl-2008-s-1, a = 0).
ZKDL_HD g1_xyzz_t g1_dbl(const g1_xyzz_t &p) {
    if (g1_is_identity(p)) return g1_identity();
    fp_t u = fp_t::dbl(p.y);
    fp_t v = fp_t::sqr(u);
    fp_t w = u * v;
    fp_t s = p.x * v;
    fp_t x2 = fp_t::sqr(p.x);
    fp_t m = fp_t::dbl(x2) + x2;
    g1_xyzz_t r;
    r.x = fp_t::sqr(m) - fp_t::dbl(s);
    r.y = m * (s - r.x) - w * p.y;
    r.zz = v * p.zz;
    r.zzz = w * p.zzz;
    return r;
}

// p + q (add-2008-s).
ZKDL_HD g1_xyzz_t g1_add(const g1_xyzz_t &p, const g1_xyzz_t &q) {
    if (g1_is_identity(p)) return q;
    if (g1_is_identity(q)) return p;
    fp_t u1 = p.x * q.zz;
    fp_t u2 = q.x * p.zz;
    fp_t s1 = p.y * q.zzz;
    fp_t s2 = q.y * p.zzz;
    fp_t pd = u2 - u1;
    fp_t rd = s2 - s1;
    if (pd.is_zero()) {
        // same x: q = p or q = -p
        if (rd.is_zero()) return g1_dbl(p);
        return g1_identity();
    }
    fp_t pp = fp_t::sqr(pd);
    fp_t ppp = pd * pp;
    fp_t qq = u1 * pp;
    g1_xyzz_t r;
    r.x = fp_t::sqr(rd) - ppp - fp_t::dbl(qq);
    r.y = rd * (qq - r.x) - s1 * ppp;
    r.zz = p.zz * q.zz * pp;
    r.zzz = p.zzz * q.zzz * ppp;
    return r;
}

// p + a for an affine a (madd-2008-s).
ZKDL_HD g1_xyzz_t g1_add_mixed(const g1_xyzz_t &p, const g1_affine_t &a) {
    if (g1_affine_is_identity(a)) return p;
    if (g1_is_identity(p)) return g1_from_affine(a);
    fp_t u2 = a.x * p.zz;
    fp_t s2 = a.y * p.zzz;
    fp_t pd = u2 - p.x;
    fp_t rd = s2 - p.y;
    if (pd.is_zero()) {
        if (rd.is_zero()) return g1_dbl(g1_from_affine(a));
        return g1_identity();
    }
    fp_t pp = fp_t::sqr(pd);
    fp_t ppp = pd * pp;
    fp_t qq = p.x * pp;
    g1_xyzz_t r;
    r.x = fp_t::sqr(rd) - ppp - fp_t::dbl(qq);
    r.y = rd * (qq - r.x) - p.y * ppp;
    r.zz = p.zz * pp;
    r.zzz = p.zzz * ppp;
    return r;
}

// Whether p and q are the same point (cross-multiplied, no inversion).
ZKDL_HD bool g1_eq(const g1_xyzz_t &p, const g1_xyzz_t &q) {
    bool pi = g1_is_identity(p), qi = g1_is_identity(q);
    if (pi || qi) return pi && qi;
    return p.x * q.zz == q.x * p.zz && p.y * q.zzz == q.y * p.zzz;
}

// Whether p is a consistent XYZZ point on the curve: ZZ^3 = ZZZ^2 and
// Y^2 = X^3 + b ZZ^3 (the identity counts as on it).
ZKDL_HD bool g1_is_on_curve(const g1_xyzz_t &p) {
    if (g1_is_identity(p)) return p.zzz.is_zero();
    fp_t zz3 = fp_t::sqr(p.zz) * p.zz;
    if (zz3 != fp_t::sqr(p.zzz)) return false;
    return fp_t::sqr(p.y) == fp_t::sqr(p.x) * p.x + g1_b() * zz3;
}

// The affine form of p (one inversion, of ZZ ZZZ).
ZKDL_HD g1_affine_t g1_to_affine(const g1_xyzz_t &p) {
    g1_affine_t r;
    if (g1_is_identity(p)) {
        r.x = fp_t::zero();
        r.y = fp_t::zero();
        return r;
    }
    fp_t t = fp_t::inv(p.zz * p.zzz);
    r.x = p.x * (t * p.zzz);
    r.y = p.y * (t * p.zz);
    return r;
}

}  // namespace zkdl

#endif  // ZKDL_G1_CUH
