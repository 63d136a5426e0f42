//! The kernel headers compiled as host C++ (`shim/host.cpp`, built by `build.rs`
//! where a C++ compiler works), behind safe functions on limb arrays in arkworks'
//! order: Fr elements are `[u64; 4]` and Fp elements `[u64; 6]` in Montgomery form,
//! XYZZ points `[u64; 24]` (x, y, zz, zzz) and affine points `[u64; 12]` (x, y; the
//! identity is all zero). For the tests, which compare them with arkworks.
//!
//! The calls into the shim are the crate's only `unsafe` code.
#![allow(unsafe_code)]

/// An Fr element: 4 limbs, Montgomery form.
pub type Fr = [u64; 4];
/// An Fp element: 6 limbs, Montgomery form.
pub type Fp = [u64; 6];
/// A G1 point in XYZZ coordinates: x, y, zz, zzz.
pub type Xyzz = [u64; 24];
/// A G1 point in affine coordinates: x, y; (0, 0) is the identity.
pub type Affine = [u64; 12];

mod ffi {
    extern "C" {
        pub fn zkdl_host_fr_constants(modulus: *mut u64, one: *mut u64, r2: *mut u64, inv: *mut u64);
        pub fn zkdl_host_fp_constants(modulus: *mut u64, one: *mut u64, r2: *mut u64, inv: *mut u64);
        pub fn zkdl_host_g1_b(out: *mut u64);
        pub fn zkdl_host_g1_identity(out: *mut u64);
        pub fn zkdl_host_mac_words(a: u64, b: u64, c: u64, carry: *mut u64) -> u64;
    }
}

/// The multiply-accumulate the device runs (`mac_words`: 64-bit words and the high
/// product, no 128-bit type): `(low, high)` of `a + b c + carry`.
pub fn mac_words(a: u64, b: u64, c: u64, carry: u64) -> (u64, u64) {
    let mut carry = carry;
    // SAFETY: the shim writes the one word `carry` points to and keeps no pointer.
    let low = unsafe { ffi::zkdl_host_mac_words(a, b, c, &mut carry) };
    (low, carry)
}

/// Declares the shim's functions `zkdl_host_<name>` of the given arity (arrays in,
/// one array out, or arrays in and an `int` out) and safe wrappers `<name>`.
macro_rules! shim {
    (out $out:ty; $($name:ident => $sym:ident($($arg:ident: $ty:ty),*);)*) => {
        mod out_ffi {
            extern "C" {
                $(pub fn $sym(out: *mut u64, $($arg: *const u64),*);)*
            }
        }
        $(
            #[doc = concat!("`", stringify!($sym), "` of the host shim.")]
            pub fn $name($($arg: &$ty),*) -> $out {
                let mut out = [0u64; std::mem::size_of::<$out>() / 8];
                // SAFETY: the shim reads exactly the limbs of its inputs' types (arrays of
                // the sizes declared here) and writes exactly those of `out`, which has
                // the output type's length; it keeps no pointer.
                unsafe { out_ffi::$sym(out.as_mut_ptr(), $($arg.as_ptr()),*) };
                out
            }
        )*
    };
}

macro_rules! predicate {
    ($($name:ident => $sym:ident($($arg:ident: $ty:ty),*);)*) => {
        mod predicate_ffi {
            extern "C" {
                $(pub fn $sym($($arg: *const u64),*) -> std::ffi::c_int;)*
            }
        }
        $(
            #[doc = concat!("`", stringify!($sym), "` of the host shim.")]
            pub fn $name($($arg: &$ty),*) -> bool {
                // SAFETY: the shim reads exactly the limbs of its inputs' types and keeps
                // no pointer.
                unsafe { predicate_ffi::$sym($($arg.as_ptr()),*) != 0 }
            }
        )*
    };
}

/// Fr through the header.
pub mod fr {
    use super::Fr;
    shim! { out Fr;
        add => zkdl_host_fr_add(a: Fr, b: Fr);
        sub => zkdl_host_fr_sub(a: Fr, b: Fr);
        mul => zkdl_host_fr_mul(a: Fr, b: Fr);
        neg => zkdl_host_fr_neg(a: Fr);
        dbl => zkdl_host_fr_dbl(a: Fr);
        sqr => zkdl_host_fr_sqr(a: Fr);
        inv => zkdl_host_fr_inv(a: Fr);
        to_mont => zkdl_host_fr_to_mont(a: Fr);
        from_mont => zkdl_host_fr_from_mont(a: Fr);
    }
    predicate! {
        eq => zkdl_host_fr_eq(a: Fr, b: Fr);
        is_zero => zkdl_host_fr_is_zero(a: Fr);
    }
}

/// Fp through the header.
pub mod fp {
    use super::Fp;
    shim! { out Fp;
        add => zkdl_host_fp_add(a: Fp, b: Fp);
        sub => zkdl_host_fp_sub(a: Fp, b: Fp);
        mul => zkdl_host_fp_mul(a: Fp, b: Fp);
        neg => zkdl_host_fp_neg(a: Fp);
        dbl => zkdl_host_fp_dbl(a: Fp);
        sqr => zkdl_host_fp_sqr(a: Fp);
        inv => zkdl_host_fp_inv(a: Fp);
        to_mont => zkdl_host_fp_to_mont(a: Fp);
        from_mont => zkdl_host_fp_from_mont(a: Fp);
    }
    predicate! {
        eq => zkdl_host_fp_eq(a: Fp, b: Fp);
        is_zero => zkdl_host_fp_is_zero(a: Fp);
    }
}

/// G1 through the header.
pub mod g1 {
    use super::{Affine, Xyzz};
    shim! { out Xyzz;
        add => zkdl_host_g1_add(p: Xyzz, q: Xyzz);
        add_mixed => zkdl_host_g1_add_mixed(p: Xyzz, a: Affine);
        dbl => zkdl_host_g1_dbl(p: Xyzz);
        neg => zkdl_host_g1_neg(p: Xyzz);
        from_affine => zkdl_host_g1_from_affine(a: Affine);
    }
    /// The affine forms.
    pub mod affine {
        use super::super::{Affine, Xyzz};
        shim! { out Affine;
            neg => zkdl_host_g1_affine_neg(a: Affine);
            from_xyzz => zkdl_host_g1_to_affine(p: Xyzz);
        }
    }
    predicate! {
        is_identity => zkdl_host_g1_is_identity(p: Xyzz);
        eq => zkdl_host_g1_eq(p: Xyzz, q: Xyzz);
        is_on_curve => zkdl_host_g1_is_on_curve(p: Xyzz);
    }

    /// The header's identity.
    pub fn identity() -> Xyzz {
        let mut out = [0u64; 24];
        // SAFETY: writes the 24 limbs of `out`.
        unsafe { super::ffi::zkdl_host_g1_identity(out.as_mut_ptr()) };
        out
    }

    /// The header's curve coefficient b (Montgomery form).
    pub fn b() -> super::Fp {
        let mut out = [0u64; 6];
        // SAFETY: writes the 6 limbs of `out`.
        unsafe { super::ffi::zkdl_host_g1_b(out.as_mut_ptr()) };
        out
    }
}

/// A field's constants as the header has them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Constants<const N: usize> {
    /// p.
    pub modulus: [u64; N],
    /// R mod p (1 in Montgomery form).
    pub one: [u64; N],
    /// R^2 mod p.
    pub r2: [u64; N],
    /// -p^{-1} mod 2^64.
    pub inv: u64,
}

/// Fr's constants as the header has them.
pub fn fr_constants() -> Constants<4> {
    let mut c = Constants { modulus: [0; 4], one: [0; 4], r2: [0; 4], inv: 0 };
    // SAFETY: writes 4 limbs to each array and one word to `inv`.
    unsafe { ffi::zkdl_host_fr_constants(c.modulus.as_mut_ptr(), c.one.as_mut_ptr(), c.r2.as_mut_ptr(), &mut c.inv) };
    c
}

/// Fp's constants as the header has them.
pub fn fp_constants() -> Constants<6> {
    let mut c = Constants { modulus: [0; 6], one: [0; 6], r2: [0; 6], inv: 0 };
    // SAFETY: writes 6 limbs to each array and one word to `inv`.
    unsafe { ffi::zkdl_host_fp_constants(c.modulus.as_mut_ptr(), c.one.as_mut_ptr(), c.r2.as_mut_ptr(), &mut c.inv) };
    c
}
