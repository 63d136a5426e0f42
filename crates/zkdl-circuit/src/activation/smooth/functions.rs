//! The smooth activations in `f64`: value, derivative, the asymptotes a function
//! table saturates to, and the bounds on `|f'|` and `|f''|` that bound the table's
//! error. Fixed parameters are the papers' defaults unless stated.

use super::Smooth;

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + libm::exp(-x))
    } else {
        let e = libm::exp(x);
        e / (1.0 + e)
    }
}

fn softplus(x: f64) -> f64 {
    // ln(1 + e^x) without overflow
    x.max(0.0) + libm::log1p(libm::exp(-x.abs()))
}

/// `x^n` by repeated multiplication (the same bits on every platform).
fn pow_n(x: f64, n: u32) -> f64 {
    (0..n).fold(1.0, |acc, _| acc * x)
}

fn sech2(x: f64) -> f64 {
    let t = libm::tanh(x);
    1.0 - t * t
}

/// `phi(x)`, the standard normal density.
fn phi(x: f64) -> f64 {
    libm::exp(-0.5 * x * x) / (2.0 * std::f64::consts::PI).sqrt()
}

/// `Phi(x)`, the standard normal distribution function.
fn big_phi(x: f64) -> f64 {
    0.5 * (1.0 + libm::erf(x / std::f64::consts::SQRT_2))
}

macro_rules! smooth {
    ($(#[$doc:meta])* $name:ident, $label:literal, range $r:literal, slopes ($lo:expr, $hi:expr), bounds ($d1:literal, $d2:literal),
     f $f:expr, df $df:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name;

        impl Smooth for $name {
            fn name(&self) -> &'static str {
                $label
            }
            fn f(&self, x: f64) -> f64 {
                let f: fn(f64) -> f64 = $f;
                f(x)
            }
            fn df(&self, x: f64) -> f64 {
                let df: fn(f64) -> f64 = $df;
                df(x)
            }
            fn range_log2(&self) -> u32 {
                $r
            }
            fn slopes(&self) -> (f64, f64) {
                ($lo, $hi)
            }
            fn derivative_bounds(&self) -> (f64, f64) {
                ($d1, $d2)
            }
        }
    };
}

smooth!(
    /// `1 / (1 + e^-x)`.
    Sigmoid, "sigmoid", range 4, slopes (0.0, 0.0), bounds (0.25, 0.09624),
    f sigmoid, df |x| sigmoid(x) * (1.0 - sigmoid(x))
);
smooth!(
    /// `tanh x`.
    Tanh, "tanh", range 3, slopes (0.0, 0.0), bounds (1.0, 0.7699),
    f libm::tanh, df sech2
);
smooth!(
    /// ELU, `alpha = 1`: `x` for `x > 0`, `e^x - 1` otherwise.
    Elu, "elu", range 4, slopes (0.0, 1.0), bounds (1.0, 1.0),
    f |x| if x > 0.0 { x } else { libm::expm1(x) }, df |x| if x >= 0.0 { 1.0 } else { libm::exp(x) }
);
const SELU_L: f64 = 1.050_700_987_355_480_5;
const SELU_A: f64 = 1.673_263_242_354_377_2;
smooth!(
    /// SELU: `lambda x` for `x > 0`, `lambda alpha (e^x - 1)` otherwise.
    Selu, "selu", range 4, slopes (0.0, SELU_L), bounds (1.7581, 1.7581),
    f |x| if x > 0.0 { SELU_L * x } else { SELU_L * SELU_A * libm::expm1(x) },
    df |x| if x >= 0.0 { SELU_L } else { SELU_L * SELU_A * libm::exp(x) }
);
smooth!(
    /// CELU, `alpha = 1/2`: `x` for `x > 0`, `alpha (e^(x/alpha) - 1)` otherwise.
    Celu, "celu", range 4, slopes (0.0, 1.0), bounds (1.0, 2.0),
    f |x| if x > 0.0 { x } else { 0.5 * libm::expm1(2.0 * x) }, df |x| if x >= 0.0 { 1.0 } else { libm::exp(2.0 * x) }
);
smooth!(
    /// GELU, `x Phi(x)` (the error-function form).
    Gelu, "gelu", range 3, slopes (0.0, 1.0), bounds (1.1289, 0.7979),
    f |x| x * big_phi(x), df |x| big_phi(x) + x * phi(x)
);
const GELU_C: f64 = 0.797_884_560_802_865_4; // sqrt(2 / pi)
smooth!(
    /// GELU's tanh form, `x (1 + tanh(c (x + 0.044715 x^3))) / 2`, `c = sqrt(2/pi)`.
    GeluTanh, "gelu_tanh", range 3, slopes (0.0, 1.0), bounds (1.1290, 0.7979),
    f |x| 0.5 * x * (1.0 + libm::tanh(GELU_C * (x + 0.044715 * x * x * x))),
    df |x| {
        let u = GELU_C * (x + 0.044715 * x * x * x);
        0.5 * (1.0 + libm::tanh(u)) + 0.5 * x * sech2(u) * GELU_C * (1.0 + 3.0 * 0.044715 * x * x)
    }
);
smooth!(
    /// Softplus, `ln(1 + e^x)`.
    Softplus, "softplus", range 4, slopes (0.0, 1.0), bounds (1.0, 0.25),
    f softplus, df sigmoid
);
smooth!(
    /// Swish with a fixed `beta = 1.5`: `x sigmoid(beta x)`.
    Swish, "swish", range 4, slopes (0.0, 1.0), bounds (1.1, 0.75),
    f |x| x * sigmoid(1.5 * x), df |x| { let s = sigmoid(1.5 * x); s + 1.5 * x * s * (1.0 - s) }
);
smooth!(
    /// SiLU, `x sigmoid(x)` (Swish with `beta = 1`).
    Silu, "silu", range 4, slopes (0.0, 1.0), bounds (1.0999, 0.5),
    f |x| x * sigmoid(x), df |x| { let s = sigmoid(x); s + x * s * (1.0 - s) }
);
smooth!(
    /// LiSHT, `x tanh x`.
    Lisht, "lisht", range 3, slopes (-1.0, 1.0), bounds (1.1997, 2.0),
    f |x| x * libm::tanh(x), df |x| libm::tanh(x) + x * sech2(x)
);
smooth!(
    /// Mish, `x tanh(softplus(x))`.
    Mish, "mish", range 4, slopes (0.0, 1.0), bounds (1.0886, 0.6443),
    f |x| x * libm::tanh(softplus(x)),
    df |x| { let t = libm::tanh(softplus(x)); t + x * (1.0 - t * t) * sigmoid(x) }
);
smooth!(
    /// Soft-Root-Sign, `x / (x / alpha + e^(-x / beta))` with `alpha = 2`, `beta = 3`; it
    /// tends to `alpha` slowly, so its table spans `|x| < 64`.
    SoftRootSign, "srs", range 6, slopes (0.0, 0.0), bounds (1.168, 0.7652),
    f srs, df srs_df
);

/// Soft-Root-Sign, written so that neither exponential overflows: with `e = e^(x/3)`,
/// `f = x e / (x e / 2 + 1)` for `x < 0`.
fn srs(x: f64) -> f64 {
    if x < 0.0 {
        let e = libm::exp(x / 3.0);
        x * e / (x * e / 2.0 + 1.0)
    } else {
        x / (x / 2.0 + libm::exp(-x / 3.0))
    }
}

/// `f' = (1 + x/3) E / (x/2 + E)^2` with `E = e^(-x/3)`, i.e. `(1 + x/3) e / (x e/2 + 1)^2`.
fn srs_df(x: f64) -> f64 {
    if x < 0.0 {
        let e = libm::exp(x / 3.0);
        let d = x * e / 2.0 + 1.0;
        (1.0 + x / 3.0) * e / (d * d)
    } else {
        let e = libm::exp(-x / 3.0);
        let d = x / 2.0 + e;
        (1.0 + x / 3.0) * e / (d * d)
    }
}

smooth!(
    /// APTx, `(alpha + tanh(beta x)) gamma x` with `alpha = 1`, `beta = 1`, `gamma = 1/2`.
    Aptx, "aptx", range 3, slopes (0.0, 1.0), bounds (1.0999, 1.0),
    f |x| (1.0 + libm::tanh(x)) * 0.5 * x, df |x| 0.5 * (1.0 + libm::tanh(x)) + 0.5 * x * sech2(x)
);
smooth!(
    /// PDELU with a fixed `t = 0.9`, `alpha = 1`: `x` for `x > 0`, `alpha
    /// ([1 + (1 - t) x]_+^(1 / (1 - t)) - 1)` otherwise.
    Pdelu, "pdelu", range 4, slopes (0.0, 1.0), bounds (1.0, 0.9),
    f |x| if x > 0.0 { x } else { pow_n((1.0 + 0.1 * x).max(0.0), 10) - 1.0 },
    df |x| if x >= 0.0 { 1.0 } else { pow_n((1.0 + 0.1 * x).max(0.0), 9) }
);

smooth!(
    /// `e^-x` for `x >= 0`, `1` below: the exponential of softmax cross-entropy
    /// (`crate::loss`), looked up at the shifts `max - z >= 0` (not an activation).
    ExpNeg, "softmax_exp", range 4, slopes (0.0, 0.0), bounds (1.0, 1.0),
    f |x| libm::exp(-x.max(0.0)), df |x| if x >= 0.0 { -libm::exp(-x) } else { 0.0 }
);

/// Every smooth function with a table: the activations, by name, then
/// [`ExpNeg`].
pub fn all() -> Vec<&'static dyn Smooth> {
    vec![
        &Sigmoid,
        &Tanh,
        &Elu,
        &Selu,
        &Celu,
        &Gelu,
        &GeluTanh,
        &Softplus,
        &Swish,
        &Silu,
        &Lisht,
        &Mish,
        &SoftRootSign,
        &Aptx,
        &Pdelu,
        &ExpNeg,
    ]
}
