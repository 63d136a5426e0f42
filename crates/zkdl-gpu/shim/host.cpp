// The kernel headers (kernels/*.cuh) compiled as host C++, behind extern "C"
// functions on plain u64 arrays in arkworks' limb order, for the Rust tests
// (zkdl_gpu::host). Field elements are 4 (Fr) or 6 (Fp) limbs in Montgomery form;
// XYZZ points are x, y, zz, zzz (24 limbs), affine points x, y (12 limbs).
#include "g1.cuh"

using namespace zkdl;

namespace {

template <class F>
F load(const u64 *p) {
    F r;
    for (int i = 0; i < F::N; i++) r.l[i] = p[i];
    return r;
}

template <class F>
void store(u64 *out, const F &a) {
    for (int i = 0; i < F::N; i++) out[i] = a.l[i];
}

g1_xyzz_t load_xyzz(const u64 *p) {
    g1_xyzz_t r;
    r.x = load<fp_t>(p);
    r.y = load<fp_t>(p + 6);
    r.zz = load<fp_t>(p + 12);
    r.zzz = load<fp_t>(p + 18);
    return r;
}

void store_xyzz(u64 *out, const g1_xyzz_t &p) {
    store(out, p.x);
    store(out + 6, p.y);
    store(out + 12, p.zz);
    store(out + 18, p.zzz);
}

g1_affine_t load_affine(const u64 *p) {
    g1_affine_t r;
    r.x = load<fp_t>(p);
    r.y = load<fp_t>(p + 6);
    return r;
}

void store_affine(u64 *out, const g1_affine_t &a) {
    store(out, a.x);
    store(out + 6, a.y);
}

}  // namespace

// F: the name prefix; T: the field type; C: its constants.
#define ZKDL_FIELD_SHIM(F, T, C)                                                                                      \
    extern "C" void zkdl_host_##F##_constants(u64 *modulus, u64 *one, u64 *r2, u64 *inv) {                            \
        store(modulus, T::modulus());                                                                                 \
        store(one, T::one());                                                                                         \
        store(r2, T::r2());                                                                                           \
        *inv = C::INV;                                                                                                \
    }                                                                                                                 \
    extern "C" void zkdl_host_##F##_add(u64 *out, const u64 *a, const u64 *b) { store(out, load<T>(a) + load<T>(b)); } \
    extern "C" void zkdl_host_##F##_sub(u64 *out, const u64 *a, const u64 *b) { store(out, load<T>(a) - load<T>(b)); } \
    extern "C" void zkdl_host_##F##_mul(u64 *out, const u64 *a, const u64 *b) { store(out, load<T>(a) * load<T>(b)); } \
    extern "C" void zkdl_host_##F##_neg(u64 *out, const u64 *a) { store(out, -load<T>(a)); }                          \
    extern "C" void zkdl_host_##F##_dbl(u64 *out, const u64 *a) { store(out, T::dbl(load<T>(a))); }                   \
    extern "C" void zkdl_host_##F##_sqr(u64 *out, const u64 *a) { store(out, T::sqr(load<T>(a))); }                   \
    extern "C" void zkdl_host_##F##_inv(u64 *out, const u64 *a) { store(out, T::inv(load<T>(a))); }                   \
    extern "C" void zkdl_host_##F##_to_mont(u64 *out, const u64 *a) { store(out, T::to_mont(load<T>(a))); }           \
    extern "C" void zkdl_host_##F##_from_mont(u64 *out, const u64 *a) { store(out, T::from_mont(load<T>(a))); }       \
    extern "C" int zkdl_host_##F##_eq(const u64 *a, const u64 *b) { return load<T>(a) == load<T>(b); }                \
    extern "C" int zkdl_host_##F##_is_zero(const u64 *a) { return load<T>(a).is_zero(); }

ZKDL_FIELD_SHIM(fr, fr_t, FrConfig)
ZKDL_FIELD_SHIM(fp, fp_t, FpConfig)

// The device's multiply-accumulate (64-bit words and mul_hi), here on the host.
extern "C" u64 zkdl_host_mac_words(u64 a, u64 b, u64 c, u64 *carry) { return mac_words(a, b, c, *carry); }

extern "C" void zkdl_host_g1_b(u64 *out) { store(out, g1_b()); }

extern "C" void zkdl_host_g1_identity(u64 *out) { store_xyzz(out, g1_identity()); }

extern "C" void zkdl_host_g1_add(u64 *out, const u64 *p, const u64 *q) {
    store_xyzz(out, g1_add(load_xyzz(p), load_xyzz(q)));
}

extern "C" void zkdl_host_g1_add_mixed(u64 *out, const u64 *p, const u64 *a) {
    store_xyzz(out, g1_add_mixed(load_xyzz(p), load_affine(a)));
}

extern "C" void zkdl_host_g1_dbl(u64 *out, const u64 *p) { store_xyzz(out, g1_dbl(load_xyzz(p))); }

extern "C" void zkdl_host_g1_neg(u64 *out, const u64 *p) { store_xyzz(out, g1_neg(load_xyzz(p))); }

extern "C" void zkdl_host_g1_affine_neg(u64 *out, const u64 *a) { store_affine(out, g1_affine_neg(load_affine(a))); }

extern "C" void zkdl_host_g1_from_affine(u64 *out, const u64 *a) { store_xyzz(out, g1_from_affine(load_affine(a))); }

extern "C" void zkdl_host_g1_to_affine(u64 *out, const u64 *p) { store_affine(out, g1_to_affine(load_xyzz(p))); }

extern "C" int zkdl_host_g1_is_identity(const u64 *p) { return g1_is_identity(load_xyzz(p)); }

extern "C" int zkdl_host_g1_eq(const u64 *p, const u64 *q) { return g1_eq(load_xyzz(p), load_xyzz(q)); }

extern "C" int zkdl_host_g1_is_on_curve(const u64 *p) { return g1_is_on_curve(load_xyzz(p)); }
