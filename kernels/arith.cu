// Element-wise kernels over the header arithmetic: out[i] = f(a[i], b[i]) for
// i < n, one thread per element. Buffers hold arkworks' limbs as they are (Fr: 4
// u64 per element, Fp: 6; XYZZ points: x, y, zz, zzz; affine points: x, y).
#include "g1.cuh"

using namespace zkdl;

static __device__ __forceinline__ unsigned long long thread_index() {
    return (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
}

extern "C" __global__ void fr_mul_kernel(fr_t *out, const fr_t *a, const fr_t *b, unsigned long long n) {
    unsigned long long i = thread_index();
    if (i < n) out[i] = a[i] * b[i];
}

extern "C" __global__ void fr_add_kernel(fr_t *out, const fr_t *a, const fr_t *b, unsigned long long n) {
    unsigned long long i = thread_index();
    if (i < n) out[i] = a[i] + b[i];
}

extern "C" __global__ void fp_mul_kernel(fp_t *out, const fp_t *a, const fp_t *b, unsigned long long n) {
    unsigned long long i = thread_index();
    if (i < n) out[i] = a[i] * b[i];
}

extern "C" __global__ void g1_add_kernel(g1_xyzz_t *out, const g1_xyzz_t *a, const g1_xyzz_t *b, unsigned long long n) {
    unsigned long long i = thread_index();
    if (i < n) out[i] = g1_add(a[i], b[i]);
}

extern "C" __global__ void g1_add_mixed_kernel(g1_xyzz_t *out, const g1_xyzz_t *a, const g1_affine_t *b,
                                        unsigned long long n) {
    unsigned long long i = thread_index();
    if (i < n) out[i] = g1_add_mixed(a[i], b[i]);
}

extern "C" __global__ void g1_dbl_kernel(g1_xyzz_t *out, const g1_xyzz_t *a, unsigned long long n) {
    unsigned long long i = thread_index();
    if (i < n) out[i] = g1_dbl(a[i]);
}
