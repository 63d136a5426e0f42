// The two fields of BLS12-381 with arkworks' constants (ark-bls12-381 `FrConfig`,
// `FqConfig`): Fr, the 255-bit scalar field (4 limbs), and Fp, the 381-bit base field
// (6 limbs), and the G1 coefficient b = 4. The host test checks every constant here
// against arkworks (MODULUS, R, R2, INV, COEFF_B).
#ifndef ZKDL_BLS12_381_CUH
#define ZKDL_BLS12_381_CUH

#include "field.cuh"

namespace zkdl {

struct FrConfig {
    static constexpr int N = 4;
    static constexpr u64 INV = 0xfffffffeffffffffull;
    ZKDL_HD static u64 modulus(int i) {
        return i == 0 ? 0xffffffff00000001ull
             : i == 1 ? 0x53bda402fffe5bfeull
             : i == 2 ? 0x3339d80809a1d805ull
             :          0x73eda753299d7d48ull;
    }
    ZKDL_HD static u64 one(int i) {
        return i == 0 ? 0x00000001fffffffeull
             : i == 1 ? 0x5884b7fa00034802ull
             : i == 2 ? 0x998c4fefecbc4ff5ull
             :          0x1824b159acc5056full;
    }
    ZKDL_HD static u64 r2(int i) {
        return i == 0 ? 0xc999e990f3f29c6dull
             : i == 1 ? 0x2b6cedcb87925c23ull
             : i == 2 ? 0x05d314967254398full
             :          0x0748d9d99f59ff11ull;
    }
};

struct FpConfig {
    static constexpr int N = 6;
    static constexpr u64 INV = 0x89f3fffcfffcfffdull;
    ZKDL_HD static u64 modulus(int i) {
        return i == 0 ? 0xb9feffffffffaaabull
             : i == 1 ? 0x1eabfffeb153ffffull
             : i == 2 ? 0x6730d2a0f6b0f624ull
             : i == 3 ? 0x64774b84f38512bfull
             : i == 4 ? 0x4b1ba7b6434bacd7ull
             :          0x1a0111ea397fe69aull;
    }
    ZKDL_HD static u64 one(int i) {
        return i == 0 ? 0x760900000002fffdull
             : i == 1 ? 0xebf4000bc40c0002ull
             : i == 2 ? 0x5f48985753c758baull
             : i == 3 ? 0x77ce585370525745ull
             : i == 4 ? 0x5c071a97a256ec6dull
             :          0x15f65ec3fa80e493ull;
    }
    ZKDL_HD static u64 r2(int i) {
        return i == 0 ? 0xf4df1f341c341746ull
             : i == 1 ? 0x0a76e6a609d104f1ull
             : i == 2 ? 0x8de5476c4c95b6d5ull
             : i == 3 ? 0x67eb88a9939d83c0ull
             : i == 4 ? 0x9a793e85b519952dull
             :          0x11988fe592cae3aaull;
    }
};

typedef Field<FrConfig> fr_t;
typedef Field<FpConfig> fp_t;

// The coefficient b of G1 (y^2 = x^3 + 4) in Montgomery form.
ZKDL_HD fp_t g1_b() {
    fp_t b;
    b.l[0] = 0xaa270000000cfff3ull;
    b.l[1] = 0x53cc0032fc34000aull;
    b.l[2] = 0x478fe97a6b0a807full;
    b.l[3] = 0xb1d37ebee6ba24d7ull;
    b.l[4] = 0x8ec9733bbf78ab2full;
    b.l[5] = 0x09d645513d83de7eull;
    return b;
}

}  // namespace zkdl

#endif  // ZKDL_BLS12_381_CUH
