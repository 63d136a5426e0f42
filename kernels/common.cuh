// Shared definitions for the kernel headers: the ZKDL_HD qualifier and 64-bit
// carry arithmetic. Every function is usable from CUDA device code (NVRTC, nvcc)
// and from a host C++ compiler (the host test builds these headers with g++).
#ifndef ZKDL_COMMON_CUH
#define ZKDL_COMMON_CUH

// ZKDL_HD: host and device, inlined. ZKDL_HD_CALL: host and device, a call on the
// device (for the field product: G1 formulas inlining a dozen unrolled 6-limb
// products make NVRTC take tens of seconds per source; the call costs little next
// to a product's 72 multiply-adds). On a host compiler both are `inline`.
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define ZKDL_HD __host__ __device__ __forceinline__
#define ZKDL_HD_CALL __host__ __device__ __noinline__
#define ZKDL_UNROLL _Pragma("unroll")
#else
#define ZKDL_HD inline
#define ZKDL_HD_CALL inline
#define ZKDL_UNROLL
#endif

namespace zkdl {

// 64 bits on every target these headers build for (LP64 hosts, NVRTC, nvcc); no
// standard header is needed, NVRTC has none.
typedef unsigned long long u64;
static_assert(sizeof(u64) == 8, "u64 must be 64 bits");

// The high word of the 128-bit product b * c.
ZKDL_HD u64 mul_hi(u64 b, u64 c) {
#if defined(__CUDA_ARCH__)
    return __umul64hi(b, c);
#else
    return (u64)(((unsigned __int128)b * c) >> 64);
#endif
}

// a + b * c + carry from 64-bit words only, the form the device runs: returns the low
// word and sets carry to the high word (the sum is at most 2^128 - 1, nothing is lost).
ZKDL_HD u64 mac_words(u64 a, u64 b, u64 c, u64 &carry) {
    u64 lo = b * c;
    u64 hi = mul_hi(b, c);
    lo += a;
    hi += (lo < a);
    lo += carry;
    hi += (lo < carry);
    carry = hi;
    return lo;
}

// mac_words on the device, one 128-bit sum on the host.
ZKDL_HD u64 mac(u64 a, u64 b, u64 c, u64 &carry) {
#if defined(__CUDA_ARCH__)
    return mac_words(a, b, c, carry);
#else
    unsigned __int128 t = (unsigned __int128)b * c + a + carry;
    carry = (u64)(t >> 64);
    return (u64)t;
#endif
}

// a + b + carry with carry in {0, 1}; carry becomes the carry out.
ZKDL_HD u64 adc(u64 a, u64 b, u64 &carry) {
    u64 s = a + b;
    u64 c1 = s < a;
    u64 r = s + carry;
    u64 c2 = r < s;
    carry = c1 | c2;
    return r;
}

// a - b - borrow with borrow in {0, 1}; borrow becomes the borrow out.
ZKDL_HD u64 sbb(u64 a, u64 b, u64 &borrow) {
    u64 d = a - b;
    u64 b1 = a < b;
    u64 r = d - borrow;
    u64 b2 = d < borrow;
    borrow = b1 | b2;
    return r;
}

}  // namespace zkdl

#endif  // ZKDL_COMMON_CUH
