//! Fixed-point training: forward, loss gradient, backward and SGD update in exact
//! integer arithmetic (the semantics of `zkdl_circuit::spec`). [`train_step`] is the
//! single implementation: the plain entry point [`train_plain`] and the proving
//! path ([`train_traced`]) both call it, so their final weights are bit-identical.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use thiserror::Error;
use zkdl_circuit::loss::{SoftmaxCe, SoftmaxTrace};
use zkdl_circuit::spec::MAX_WEIGHT_BITS;
use zkdl_circuit::{Activation, CircuitSpec, Loss, SpecError};
use zkdl_core::field::{check_signed_bits, rescale_round, FixedPoint};
use zkdl_core::FixedPointError;

/// Errors of fixed-point training.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum TrainError {
    #[error("invalid circuit: {0}")]
    Spec(#[from] SpecError),
    #[error("step {step}, layer {layer}, {what}: {source}")]
    Overflow { step: usize, layer: usize, what: &'static str, source: FixedPointError },
    #[error("{what}: expected {expected} values, got {got}")]
    Shape { what: &'static str, expected: usize, got: usize },
    #[error("the activation's table: {0}")]
    Table(#[from] zkdl_circuit::table::TableError),
    #[error("the loss: {0}")]
    Loss(#[from] zkdl_circuit::loss::LossError),
}

/// Weights of one layer at scale `2^f`: `w` is `d_in x d_out` row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerWeights {
    pub d_in: usize,
    pub d_out: usize,
    pub w: Vec<i64>,
    pub b: Option<Vec<i64>>,
    /// PReLU's learned slopes (`d_out`, scale `2^f`).
    pub slope: Option<Vec<i64>>,
}

/// All weights of the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weights {
    pub layers: Vec<LayerWeights>,
}

impl Weights {
    /// All-zero weights (and biases) of the same shapes.
    pub fn zeros_like(&self) -> Weights {
        let layers = self
            .layers
            .iter()
            .map(|lw| LayerWeights {
                d_in: lw.d_in,
                d_out: lw.d_out,
                w: vec![0; lw.w.len()],
                b: lw.b.as_ref().map(|b| vec![0; b.len()]),
                slope: lw.slope.as_ref().map(|s| vec![0; s.len()]),
            })
            .collect();
        Weights { layers }
    }
}

/// One mini-batch at scale `2^f`: `x` is `B x d_0`, `y` is `B x d_L`, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub x: Vec<i64>,
    pub y: Vec<i64>,
}

/// Everything one layer computes in one step (the witness of its relations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerTrace {
    /// Layer input `A_{l-1}` (`B x d_in`).
    pub a_in: Vec<i64>,
    /// `Z_l = A_{l-1} W_l + 2^f b_l` at scale `2^2f` (`B x d_out`).
    pub z: Vec<i128>,
    /// Rescaled `Z'_l` and remainders `R_l`.
    pub zq: Vec<i64>,
    pub zr: Vec<i64>,
    /// Output `A_l`: the layer's activation of `Z'_l` (ReLU: `[Z' >= 0] ⊙ Z'`).
    pub a_out: Vec<i64>,
    /// Gradient at the layer output `G_l` (`B x d_out`, scale `2^f`).
    pub g: Vec<i64>,
    /// `GA_{l-1} = G_l W_l^T` (scale `2^2f`), its rescaled value and remainders
    /// (empty for the first layer, whose input gradient is not needed).
    pub ga: Vec<i128>,
    pub gaq: Vec<i64>,
    pub gar: Vec<i64>,
    /// `GW_l = A_{l-1}^T G_l` (scale `2^2f`), the update `ΔW` and its remainders.
    pub gw: Vec<i128>,
    pub dw: Vec<i64>,
    pub dwr: Vec<i64>,
    /// Bias gradient (scale `2^f`), update and remainders (empty without bias).
    pub gb: Vec<i64>,
    pub db: Vec<i64>,
    pub dbr: Vec<i64>,
    /// PReLU: the slopes' update and its remainders (empty otherwise).
    pub ds: Vec<i64>,
    pub dsr: Vec<i64>,
    /// Weights before the step.
    pub w_before: LayerWeights,
}

/// The trace of one step: one entry per layer, and the loss's intermediates
/// (softmax cross-entropy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepTrace {
    pub layers: Vec<LayerTrace>,
    pub loss: Option<SoftmaxTrace>,
}

/// `C = A B` with `A` (`n x k`) and `B` (`k x m`) row-major, exact in `i128`.
pub fn matmul(a: &[i64], b: &[i64], n: usize, k: usize, m: usize) -> Vec<i128> {
    exact_product((a, (n, k), false), (b, (k, m), false), || matmul_i128(a, b, n, k, m))
}

/// `C = A B^T` with `A` (`n x k`), `B` (`m x k`).
pub fn matmul_bt(a: &[i64], b: &[i64], n: usize, k: usize, m: usize) -> Vec<i128> {
    exact_product((a, (n, k), false), (b, (m, k), true), || matmul_bt_i128(a, b, n, k, m))
}

/// `C = A^T B` with `A` (`k x n`), `B` (`k x m`).
pub fn matmul_at(a: &[i64], b: &[i64], k: usize, n: usize, m: usize) -> Vec<i128> {
    exact_product((a, (k, n), true), (b, (k, m), false), || matmul_at_i128(a, b, k, n, m))
}

/// A row-major table, its shape, and whether the product takes its transpose.
type Factor<'a> = (&'a [i64], (usize, usize), bool);

/// The product of two factors by [`gemm_exact`], or by `loops` where it declines.
fn exact_product(a: Factor<'_>, b: Factor<'_>, loops: impl FnOnce() -> Vec<i128>) -> Vec<i128> {
    gemm_exact(a, b).unwrap_or_else(loops)
}

/// Largest inner dimension [`gemm_exact`] takes.
const GEMM_EXACT_MAX_K: usize = 1 << 20;

/// Largest magnitude below which every partial sum of a GEMM in f64 is exact.
const F64_EXACT: u128 = 1 << 53;

/// `f` of every entry in f64 (exact: callers bound the entries), in the operand's own
/// row-major layout.
fn to_f64(v: &ArrayView2<'_, i64>, f: impl Fn(i64) -> f64 + Sync) -> Option<Array2<f64>> {
    let flat: Vec<f64> = v.as_slice()?.par_iter().map(|&x| f(x)).collect();
    Array2::from_shape_vec(v.dim(), flat).ok()
}

/// The product of two converted operands (transposes as strided views).
fn dot_f64(a: &Array2<f64>, ta: bool, b: &Array2<f64>, tb: bool) -> Array2<f64> {
    match (ta, tb) {
        (false, false) => a.dot(b),
        (false, true) => a.dot(&b.t()),
        (true, false) => a.t().dot(b),
        (true, true) => a.t().dot(&b.t()),
    }
}

/// The f64 product's entries, back to integers (exact below `2^53`).
fn to_i128(c: &Array2<f64>) -> Option<Vec<i128>> {
    Some(c.as_slice()?.par_iter().map(|&x| x as i64 as i128).collect())
}

/// The exact integer product `A B` through f64 GEMM (ndarray over `matrixmultiply`'s
/// threaded DGEMM), `None` where the entries are too wide for it (the callers then take
/// the `i128` loops). With `max|A| max|B| k < 2^53` every partial sum is an integer
/// below `2^53`, exact in f64 in any summation order: ONE GEMM (the training's products:
/// 20-bit activations, 15-bit weights, k = 1024, sums below 2^45). Otherwise, for
/// entries below `2^31` and `k <= 2^20`, every entry splits into balanced 16-bit halves
/// `x = 2^16 h + l`, `-2^15 <= l < 2^15`, `|h| <= 2^15`, and Karatsuba's three products
/// `A_h B_h`, `A_l B_l`, `(A_h + A_l)(B_h + B_l)` have terms of magnitude at most `2^32`
/// (partial sums below `2^52`): `C = 2^32 P_hh + 2^16 (P_m - P_hh - P_ll) + P_ll`.
/// Before that, one narrow factor against a wide one (42-bit weights with exact SGD, as
/// long as `max|narrow| k < 2^37`): the wide one in limbs of `w` bits with
/// `max|narrow| 2^w k <= 2^52`, one GEMM per limb, shifted and summed in `i128`.
fn gemm_exact((a, ad, ta): Factor<'_>, (b, bd, tb): Factor<'_>) -> Option<Vec<i128>> {
    let (a, b) = (ArrayView2::from_shape(ad, a).ok()?, ArrayView2::from_shape(bd, b).ok()?);
    let k = if ta { a.nrows() } else { a.ncols() };
    let kb = if tb { b.ncols() } else { b.nrows() };
    if k != kb || k > GEMM_EXACT_MAX_K {
        return None;
    }
    let max_abs = |v: &ArrayView2<'_, i64>| -> Option<u64> {
        Some(v.as_slice()?.par_iter().map(|x| x.unsigned_abs()).max().unwrap_or(0))
    };
    let (ma, mb) = (max_abs(&a)? as u128, max_abs(&b)? as u128);
    if ma.saturating_mul(mb).saturating_mul(k as u128) < F64_EXACT {
        let (af, bf) = (to_f64(&a, |x| x as f64)?, to_f64(&b, |x| x as f64)?);
        return to_i128(&dot_f64(&af, ta, &bf, tb));
    }
    // One small factor (activations, gradients) against one wide one (weights with
    // exact SGD): the wide one in limbs of `w` bits (the top limb signed), each limb's
    // product exact in f64 (`|small| 2^w k < 2^53`), shifted and summed in i128.
    let (small, wide) = (ma.min(mb), ma.max(mb));
    let room = (F64_EXACT / (small.max(1) * k.max(1) as u128)).checked_ilog2().unwrap_or(0);
    if room > 16 {
        let w = room - 1;
        // ceil(L / w) limbs for entries of L bits: the top one, shifted by less than L
        // (< 64), keeps the sign and stays within [-2^w, 2^w)
        let limbs = (128 - wide.leading_zeros()).div_ceil(w).max(1);
        let limb = move |x: i64, i: u32| match i + 1 == limbs {
            true => x >> (w * i),
            false => (x >> (w * i)) & ((1i64 << w) - 1),
        };
        let split_a = ma > mb;
        let fixed = if split_a { to_f64(&b, |x| x as f64)? } else { to_f64(&a, |x| x as f64)? };
        let mut out: Option<Vec<i128>> = None;
        for i in 0..limbs {
            let c = match split_a {
                true => to_i128(&dot_f64(&to_f64(&a, |x| limb(x, i) as f64)?, ta, &fixed, tb))?,
                false => to_i128(&dot_f64(&fixed, ta, &to_f64(&b, |x| limb(x, i) as f64)?, tb))?,
            };
            match out.as_mut() {
                None => out = Some(c.into_par_iter().map(|v| v << (w * i)).collect()),
                Some(o) => o.par_iter_mut().zip(&c).for_each(|(o, &v)| *o += v << (w * i)),
            }
        }
        return out;
    }
    const LIMIT: u128 = 1 << 31;
    if ma >= LIMIT || mb >= LIMIT {
        return None;
    }
    let lo = |x: i64| ((x + (1 << 15)) & 0xffff) - (1 << 15);
    let hi = move |x: i64| (x - lo(x)) >> 16;
    let parts = |v: &ArrayView2<'_, i64>| -> Option<[Array2<f64>; 3]> {
        Some([to_f64(v, |x| hi(x) as f64)?, to_f64(v, |x| lo(x) as f64)?, to_f64(v, |x| (hi(x) + lo(x)) as f64)?])
    };
    let [ah, al, asum] = parts(&a)?;
    let [bh, bl, bsum] = parts(&b)?;
    let hh = to_i128(&dot_f64(&ah, ta, &bh, tb))?;
    let ll = to_i128(&dot_f64(&al, ta, &bl, tb))?;
    let mid = to_i128(&dot_f64(&asum, ta, &bsum, tb))?;
    Some(hh.iter().zip(&ll).zip(&mid).map(|((&h, &l), &m)| (h << 32) + ((m - h - l) << 16) + l).collect())
}

/// [`matmul`] in `i128` loops (entries of any size; the reference of the tests).
pub fn matmul_i128(a: &[i64], b: &[i64], n: usize, k: usize, m: usize) -> Vec<i128> {
    let mut c = vec![0i128; n * m];
    c.par_chunks_mut(m.max(1)).enumerate().for_each(|(i, row)| {
        for j in 0..k {
            let aij = a[i * k + j] as i128;
            if aij == 0 {
                continue;
            }
            let brow = &b[j * m..(j + 1) * m];
            for (cv, &bv) in row.iter_mut().zip(brow) {
                *cv += aij * bv as i128;
            }
        }
    });
    c
}

/// [`matmul_bt`] in `i128` loops.
pub fn matmul_bt_i128(a: &[i64], b: &[i64], n: usize, k: usize, m: usize) -> Vec<i128> {
    let mut c = vec![0i128; n * m];
    c.par_chunks_mut(m.max(1)).enumerate().for_each(|(i, row)| {
        let arow = &a[i * k..(i + 1) * k];
        for (j, cv) in row.iter_mut().enumerate() {
            let brow = &b[j * k..(j + 1) * k];
            *cv = arow.iter().zip(brow).map(|(&x, &y)| x as i128 * y as i128).sum();
        }
    });
    c
}

/// [`matmul_at`] in `i128` loops.
pub fn matmul_at_i128(a: &[i64], b: &[i64], k: usize, n: usize, m: usize) -> Vec<i128> {
    let mut c = vec![0i128; n * m];
    c.par_chunks_mut(m.max(1)).enumerate().for_each(|(i, row)| {
        for r in 0..k {
            let ai = a[r * n + i] as i128;
            if ai == 0 {
                continue;
            }
            let brow = &b[r * m..(r + 1) * m];
            for (cv, &bv) in row.iter_mut().zip(brow) {
                *cv += ai * bv as i128;
            }
        }
    });
    c
}

fn rescale_all(
    fp: &FixedPoint,
    shift: u32,
    v: &[i128],
    step: usize,
    layer: usize,
    what: &'static str,
) -> Result<(Vec<i64>, Vec<i64>), TrainError> {
    let mut q = Vec::with_capacity(v.len());
    let mut r = Vec::with_capacity(v.len());
    for &z in v {
        let (qq, rr) = fp.rescale(z, shift).map_err(|source| TrainError::Overflow { step, layer, what, source })?;
        q.push(qq);
        r.push(rr as i64);
    }
    Ok((q, r))
}

/// `m v + 2^(s-1) = 2^s d + r`: returns `(d, r)`.
fn sgd_round(v: i128, m: u64, s: u32) -> (i128, i64) {
    let (d, r) = rescale_round(v * m as i128, s);
    (d, r as i64)
}

/// One SGD step on `batch`, updating `weights` in place. With `trace`, returns the
/// full witness of the step.
pub fn train_step(
    spec: &CircuitSpec,
    weights: &mut Weights,
    batch: &Batch,
    step: usize,
    trace: bool,
) -> Result<Option<StepTrace>, TrainError> {
    let fp = spec.fixed_point()?;
    let f = fp.frac_bits();
    let fpw = spec.weight_point()?;
    let fw = fpw.frac_bits();
    let dims = spec.dims();
    let nl = spec.model.layers.len();
    let bsz = spec.train.batch;
    if batch.x.len() != bsz * dims[0] {
        return Err(TrainError::Shape { what: "batch inputs", expected: bsz * dims[0], got: batch.x.len() });
    }
    if batch.y.len() != bsz * dims[nl] {
        return Err(TrainError::Shape { what: "batch targets", expected: bsz * dims[nl], got: batch.y.len() });
    }
    if weights.layers.len() != nl {
        return Err(TrainError::Shape { what: "layers", expected: nl, got: weights.layers.len() });
    }
    // The ranges the proof checks of the step's inputs: features of `train.data_bits`,
    // targets of `fixed.total_bits` (signed).
    for (v, bits, what) in [(&batch.x, spec.train.data_bits, "input feature"), (&batch.y, fp.total_bits(), "target")] {
        for &x in v.iter() {
            check_signed_bits(x as i128, bits).map_err(|source| TrainError::Overflow {
                step,
                layer: 0,
                what,
                source,
            })?;
        }
    }
    // Forward.
    let mut traces: Vec<LayerTrace> = Vec::with_capacity(nl);
    let mut a = batch.x.clone();
    for l in 0..nl {
        let lw = &weights.layers[l];
        let (din, dout) = (dims[l], dims[l + 1]);
        let mut z = matmul(&a, &lw.w, bsz, din, dout);
        if let Some(b) = &lw.b {
            for row in z.chunks_mut(dout) {
                for (zv, &bv) in row.iter_mut().zip(b) {
                    *zv += (bv as i128) << fw;
                }
            }
        }
        let (zq, zr) = rescale_all(&fp, fw, &z, step, l, "forward rescale")?;
        let act = spec.model.layers[l].activation.function(fp)?;
        let a_out: Vec<i64> = match &lw.slope {
            Some(alpha) => {
                let a: Vec<i64> =
                    zq.iter().zip(alpha.iter().cycle()).map(|(&v, &s)| act.forward_with_slope(v, s)).collect();
                // the proof range-checks the slopes' products to Q bits
                for &v in &a {
                    let what = "PReLU output (a slope's product beyond fixed.total_bits)";
                    fp.check_range(v as i128).map_err(|source| TrainError::Overflow {
                        step,
                        layer: l,
                        what,
                        source,
                    })?;
                }
                a
            }
            None => zq.chunks(dout.max(1)).flat_map(|row| act.forward_row(row)).collect(),
        };
        traces.push(LayerTrace {
            a_in: a,
            z,
            zq,
            zr,
            a_out: a_out.clone(),
            g: Vec::new(),
            ga: Vec::new(),
            gaq: Vec::new(),
            gar: Vec::new(),
            gw: Vec::new(),
            dw: Vec::new(),
            dwr: Vec::new(),
            gb: Vec::new(),
            db: Vec::new(),
            dbr: Vec::new(),
            ds: Vec::new(),
            dsr: Vec::new(),
            w_before: lw.clone(),
        });
        a = a_out;
    }
    // Loss gradient G_L = out - Y (MSE) or softmax(out) - Y.
    let (raw, loss) = match spec.train.loss {
        Loss::Mse => (a.iter().zip(&batch.y).map(|(o, y)| *o as i128 - *y as i128).collect(), None),
        Loss::SoftmaxCrossEntropy { classes } => {
            let t = SoftmaxCe::at(fp)?.gradient(&a, &batch.y, dims[nl], classes)?;
            (t.grad.iter().map(|&v| v as i128).collect::<Vec<i128>>(), Some(t))
        }
    };
    let mut g: Vec<i64> = Vec::with_capacity(a.len());
    for d in raw {
        let d = fp.check_range(d).map_err(|source| TrainError::Overflow {
            step,
            layer: nl - 1,
            what: "loss gradient",
            source,
        })?;
        g.push(d);
    }
    // Backward.
    let (m, e, ub) = (spec.train.lr_mantissa, spec.train.lr_shift, spec.train.update_bits);
    for l in (0..nl).rev() {
        let (din, dout) = (dims[l], dims[l + 1]);
        let t = &mut traces[l];
        t.g = g.clone();
        // weight gradient and update
        t.gw = matmul_at(&t.a_in, &g, bsz, din, dout);
        let mut dw = Vec::with_capacity(t.gw.len());
        let mut dwr = Vec::with_capacity(t.gw.len());
        for &v in &t.gw {
            if spec.train.exact_update {
                // ΔW = m A^T G at scale 2^(2f+e), the weights' scale: no rounding
                let d = check_signed_bits(v * m as i128, MAX_WEIGHT_BITS).map_err(|source| TrainError::Overflow {
                    step,
                    layer: l,
                    what: "weight update (exact)",
                    source,
                })?;
                dw.push(d);
                continue;
            }
            let (d, r) = sgd_round(v, m, f + e);
            let d = check_signed_bits(d, ub).map_err(|source| TrainError::Overflow {
                step,
                layer: l,
                what: "weight update (wider than train.update_bits)",
                source,
            })?;
            dw.push(d);
            dwr.push(r);
        }
        if t.w_before.b.is_some() {
            let mut gb = vec![0i64; dout];
            for row in g.chunks(dout) {
                for (acc, &v) in gb.iter_mut().zip(row) {
                    *acc += v;
                }
            }
            let mut db = Vec::with_capacity(dout);
            let mut dbr = Vec::with_capacity(dout);
            for &v in &gb {
                let (d, r) = sgd_round(v as i128, m, e);
                let d = check_signed_bits(d, ub).map_err(|source| TrainError::Overflow {
                    step,
                    layer: l,
                    what: "bias update (wider than train.update_bits)",
                    source,
                })?;
                db.push(d);
                dbr.push(r);
            }
            t.gb = gb;
            t.db = db;
            t.dbr = dbr;
        }
        t.dw = dw;
        t.dwr = dwr;
        // gradient into the layer input (not needed for the first layer)
        if l > 0 {
            t.ga = matmul_bt(&g, &t.w_before.w, bsz, dout, din);
            let (gaq, gar) = rescale_all(&fp, fw, &t.ga, step, l, "backward rescale")?;
            // through the activation of layer l - 1, at its pre-activation
            let act = spec.model.layers[l - 1].activation.function(fp)?;
            let prev = &mut traces[l - 1];
            g = match prev.w_before.slope.clone() {
                Some(alpha) => {
                    // PReLU: the slopes' gradient sum_i [z < 0] z g and their update
                    let mut ga = vec![0i128; alpha.len()];
                    for (k, (&v, &z)) in gaq.iter().zip(&prev.zq).enumerate() {
                        if z < 0 {
                            ga[k % alpha.len()] += z as i128 * v as i128;
                        }
                    }
                    let (mut ds, mut dsr) = (Vec::with_capacity(ga.len()), Vec::with_capacity(ga.len()));
                    for v in ga {
                        let (d, r) = sgd_round(v, m, f + e);
                        let d = check_signed_bits(d, ub).map_err(|source| TrainError::Overflow {
                            step,
                            layer: l - 1,
                            what: "slope update (wider than train.update_bits)",
                            source,
                        })?;
                        ds.push(d);
                        dsr.push(r);
                    }
                    (prev.ds, prev.dsr) = (ds, dsr);
                    let cycle = alpha.iter().cycle();
                    let g: Vec<i64> = gaq
                        .iter()
                        .zip(&prev.zq)
                        .zip(cycle)
                        .map(|((&v, &z), &s)| act.backward_with_slope(z, v, s))
                        .collect();
                    for &v in &g {
                        let what = "PReLU gradient (a slope's product beyond fixed.total_bits)";
                        fp.check_range(v as i128).map_err(|source| TrainError::Overflow {
                            step,
                            layer: l - 1,
                            what,
                            source,
                        })?;
                    }
                    g
                }
                None => gaq
                    .chunks(din.max(1))
                    .zip(prev.zq.chunks(din.max(1)))
                    .flat_map(|(g, z)| act.backward_row(z, g))
                    .collect(),
            };
            let t = &mut traces[l];
            t.gaq = gaq;
            t.gar = gar;
        }
    }
    // Apply the updates. The proof bounds the weights by induction (docs/PROTOCOL.md,
    // "What a proof attests"), not by a range check: here only the width this trainer
    // holds them in (MAX_WEIGHT_BITS, signed) is checked.
    for (l, lw) in weights.layers.iter_mut().enumerate() {
        let t = &traces[l];
        for (w, d) in lw.w.iter_mut().zip(&t.dw) {
            *w = check_signed_bits(*w as i128 - *d as i128, MAX_WEIGHT_BITS)
                .map_err(|source| TrainError::Overflow { step, layer: l, what: "updated weight", source })?;
        }
        if let Some(b) = lw.b.as_mut() {
            for (w, d) in b.iter_mut().zip(&t.db) {
                *w = check_signed_bits(*w as i128 - *d as i128, MAX_WEIGHT_BITS)
                    .map_err(|source| TrainError::Overflow { step, layer: l, what: "updated bias", source })?;
            }
        }
        if let Some(alpha) = lw.slope.as_mut() {
            for (a, d) in alpha.iter_mut().zip(&t.ds) {
                *a = check_signed_bits(*a as i128 - *d as i128, fp.total_bits())
                    .map_err(|source| TrainError::Overflow { step, layer: l, what: "updated slope", source })?;
            }
        }
    }
    Ok(trace.then_some(StepTrace { layers: traces, loss }))
}

/// Plain fixed-point training (no trace kept).
pub fn train_plain(spec: &CircuitSpec, weights: &Weights, batches: &[Batch]) -> Result<Weights, TrainError> {
    let mut w = weights.clone();
    for (t, b) in batches.iter().enumerate() {
        train_step(spec, &mut w, b, t, false)?;
    }
    Ok(w)
}

/// Training that keeps the witness of every step (the proving path).
pub fn train_traced(
    spec: &CircuitSpec,
    weights: &Weights,
    batches: &[Batch],
) -> Result<(Weights, Vec<StepTrace>), TrainError> {
    let mut w = weights.clone();
    let mut traces = Vec::with_capacity(batches.len());
    for (t, b) in batches.iter().enumerate() {
        if let Some(tr) = train_step(spec, &mut w, b, t, true)? {
            traces.push(tr);
        }
    }
    Ok((w, traces))
}

/// Forward pass only (inference): returns the output `B x d_L` at scale `2^f`.
pub fn predict(spec: &CircuitSpec, weights: &Weights, x: &[i64], rows: usize) -> Result<Vec<i64>, TrainError> {
    let fp = spec.fixed_point()?;
    let fw = spec.weight_frac_bits();
    let dims = spec.dims();
    let nl = spec.model.layers.len();
    let mut a = x.to_vec();
    for l in 0..nl {
        let lw = &weights.layers[l];
        let mut z = matmul(&a, &lw.w, rows, dims[l], dims[l + 1]);
        if let Some(b) = &lw.b {
            for row in z.chunks_mut(dims[l + 1]) {
                for (zv, &bv) in row.iter_mut().zip(b) {
                    *zv += (bv as i128) << fw;
                }
            }
        }
        let (zq, _) = rescale_all(&fp, fw, &z, 0, l, "forward rescale")?;
        let act = spec.model.layers[l].activation.function(fp)?;
        a = match &lw.slope {
            Some(alpha) => zq.iter().zip(alpha.iter().cycle()).map(|(&v, &s)| act.forward_with_slope(v, s)).collect(),
            None => zq.chunks(dims[l + 1].max(1)).flat_map(|row| act.forward_row(row)).collect(),
        };
    }
    Ok(a)
}

/// Deterministic initial weights: uniform in `±1/sqrt(d_in)` (at most the
/// `train.init_bits` a first proof range-checks), rounded to `f` fractional bits
/// (`2^-16`) and held at the weights' scale ([`CircuitSpec::weight_point`]): exact SGD
/// starts from the same real weights as the rounded update. Biases zero. Returns the
/// fixed-point weights.
pub fn init_weights(spec: &CircuitSpec, seed: u64) -> Result<Weights, TrainError> {
    use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
    let fp = spec.fixed_point()?;
    let extra = spec.weight_frac_bits() - fp.frac_bits();
    let dims = spec.dims();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut layers = Vec::new();
    for (l, ls) in spec.model.layers.iter().enumerate() {
        let (din, dout) = (dims[l], dims[l + 1]);
        let init_max = ((1u64 << (spec.train.init_bits - 1)) - 1) as f64 / fp.scale();
        let bound = (1.0 / (din as f64).sqrt()).min(init_max);
        let mut w = Vec::with_capacity(din * dout);
        for _ in 0..din * dout {
            let x: f64 = rng.gen_range(-bound..bound);
            let v = fp.encode(x).map_err(|source| TrainError::Overflow {
                step: 0,
                layer: l,
                what: "initial weight",
                source,
            })?;
            w.push(v << extra);
        }
        let slope = (ls.activation == Activation::Prelu).then(|| {
            let a = (zkdl_circuit::activation::prelu::INITIAL_SLOPE * fp.scale()).round() as i64;
            vec![a; dout]
        });
        layers.push(LayerWeights { d_in: din, d_out: dout, w, b: ls.bias.then(|| vec![0; dout]), slope });
    }
    Ok(Weights { layers })
}

/// The same network in `f64` (reference for accuracy comparisons): weights, SGD
/// with the same learning rate, loss and batches.
#[derive(Debug, Clone)]
pub struct FloatModel {
    pub dims: Vec<usize>,
    pub w: Vec<Vec<f64>>,
    pub b: Vec<Option<Vec<f64>>>,
    pub lr: f64,
    /// Each layer's activation.
    pub activations: Vec<Activation>,
    /// The loss.
    pub loss: Loss,
    /// PReLU's learned slopes per layer.
    pub slopes: Vec<Option<Vec<f64>>>,
}

impl FloatModel {
    /// The `f64` twin of fixed-point weights (decoded exactly).
    pub fn from_fixed(spec: &CircuitSpec, weights: &Weights) -> Result<Self, TrainError> {
        let (fp, fpw) = (spec.fixed_point()?, spec.weight_point()?);
        Ok(FloatModel {
            dims: spec.dims(),
            w: weights.layers.iter().map(|l| l.w.iter().map(|&v| fpw.decode(v)).collect()).collect(),
            b: weights.layers.iter().map(|l| l.b.as_ref().map(|b| b.iter().map(|&v| fp.decode(v)).collect())).collect(),
            lr: spec.train.lr_mantissa as f64 / (1u64 << spec.train.lr_shift) as f64,
            activations: spec.model.layers.iter().map(|l| l.activation).collect(),
            loss: spec.train.loss,
            slopes: weights
                .layers
                .iter()
                .map(|l| l.slope.as_ref().map(|a| a.iter().map(|&v| fp.decode(v)).collect()))
                .collect(),
        })
    }

    /// Every layer's input and the output (`acts`, `nl + 1` of them) and every layer's
    /// pre-activation.
    fn forward(&self, x: &[f64], rows: usize) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let nl = self.w.len();
        let mut acts = vec![x.to_vec()];
        let mut pres = Vec::with_capacity(nl);
        for l in 0..nl {
            let (din, dout) = (self.dims[l], self.dims[l + 1]);
            let a = &acts[l];
            let mut z = vec![0.0; rows * dout];
            for i in 0..rows {
                for j in 0..din {
                    let aij = a[i * din + j];
                    if aij == 0.0 {
                        continue;
                    }
                    for c in 0..dout {
                        z[i * dout + c] += aij * self.w[l][j * dout + c];
                    }
                }
                if let Some(b) = &self.b[l] {
                    for c in 0..dout {
                        z[i * dout + c] += b[c];
                    }
                }
            }
            let act = self.activations.get(l).copied().unwrap_or(Activation::Identity);
            acts.push(match self.slopes.get(l).and_then(|s| s.as_ref()) {
                Some(alpha) => {
                    z.iter().zip(alpha.iter().cycle()).map(|(&v, &a)| if v >= 0.0 { v } else { a * v }).collect()
                }
                None => z.chunks(dout.max(1)).flat_map(|row| act.forward_row_f64(row)).collect(),
            });
            pres.push(z);
        }
        (acts, pres)
    }

    /// One SGD step on the loss (`1/2 sum ||out - y||^2`, or softmax cross-entropy over
    /// the first `classes` outputs), summed over the batch.
    pub fn step(&mut self, x: &[f64], y: &[f64], rows: usize) {
        let nl = self.w.len();
        let (acts, pres) = self.forward(x, rows);
        let mut g: Vec<f64> = match self.loss {
            Loss::Mse => acts[nl].iter().zip(y).map(|(o, t)| o - t).collect(),
            Loss::SoftmaxCrossEntropy { classes } => {
                let cols = self.dims[nl].max(1);
                let k = classes.min(cols);
                let mut g = vec![0.0; acts[nl].len()];
                for ((o, t), gr) in acts[nl].chunks(cols).zip(y.chunks(cols)).zip(g.chunks_mut(cols)) {
                    gr[..k].copy_from_slice(&SoftmaxCe::gradient_f64(&o[..k], &t[..k]));
                }
                g
            }
        };
        for l in (0..nl).rev() {
            let (din, dout) = (self.dims[l], self.dims[l + 1]);
            let a = &acts[l];
            let mut gw = vec![0.0; din * dout];
            for i in 0..rows {
                for j in 0..din {
                    let aij = a[i * din + j];
                    if aij == 0.0 {
                        continue;
                    }
                    for c in 0..dout {
                        gw[j * dout + c] += aij * g[i * dout + c];
                    }
                }
            }
            let mut ga = vec![0.0; rows * din];
            if l > 0 {
                let prev = self.activations.get(l - 1).copied().unwrap_or(Activation::Identity);
                let mut slope_grad = vec![0.0; din];
                let alpha = self.slopes.get(l - 1).cloned().flatten();
                for i in 0..rows {
                    for j in 0..din {
                        let mut s = 0.0;
                        for c in 0..dout {
                            s += g[i * dout + c] * self.w[l][j * dout + c];
                        }
                        // through the previous layer's activation, at its pre-activation
                        let z = pres[l - 1][i * din + j];
                        ga[i * din + j] = match &alpha {
                            Some(a) if z < 0.0 => {
                                slope_grad[j] += z * s;
                                a[j] * s
                            }
                            _ => s,
                        };
                    }
                    if alpha.is_none() {
                        let (z, g) = (&pres[l - 1][i * din..(i + 1) * din], &mut ga[i * din..(i + 1) * din]);
                        let through = prev.backward_row_f64(z, g);
                        g.copy_from_slice(&through);
                    }
                }
                if let Some(Some(a)) = self.slopes.get_mut(l - 1) {
                    a.iter_mut().zip(&slope_grad).for_each(|(a, g)| *a -= self.lr * g);
                }
            }
            if let Some(b) = self.b[l].as_mut() {
                for c in 0..dout {
                    let gb: f64 = (0..rows).map(|i| g[i * dout + c]).sum();
                    b[c] -= self.lr * gb;
                }
            }
            for (w, d) in self.w[l].iter_mut().zip(&gw) {
                *w -= self.lr * d;
            }
            g = ga;
        }
    }

    /// [`Self::step`] on each of the fixed-point `batches` (decoded at `fp`, `rows` each):
    /// the `f64` twin of [`train_plain`] on the same data.
    pub fn train(&mut self, fp: &FixedPoint, batches: &[Batch], rows: usize) {
        for b in batches {
            let x: Vec<f64> = b.x.iter().map(|&v| fp.decode(v)).collect();
            let y: Vec<f64> = b.y.iter().map(|&v| fp.decode(v)).collect();
            self.step(&x, &y, rows);
        }
    }

    pub fn predict(&self, x: &[f64], rows: usize) -> Vec<f64> {
        let nl = self.w.len();
        self.forward(x, rows).0.swap_remove(nl)
    }
}

/// Index of the largest entry in each row.
pub fn argmax_rows<T: PartialOrd + Copy>(v: &[T], cols: usize) -> Vec<usize> {
    v.chunks(cols.max(1))
        .map(|row| {
            let mut best = 0;
            for (i, x) in row.iter().enumerate() {
                if *x > row[best] {
                    best = i;
                }
            }
            best
        })
        .collect()
}
