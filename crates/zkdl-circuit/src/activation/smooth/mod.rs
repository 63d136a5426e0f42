//! Smooth activations through a function table: what a layer computes in fixed point
//! when its activation is looked up, and the table it looks up.
//!
//! The pre-activation `z` (scale `2^f`, `Q` bits) is mapped to the table's grid by
//! `U = floor(z / 2^s)` and clamped, `X = clamp(U, -2^(w-1), 2^(w-1) - 1)`, with the
//! excess `E = U - X` (zero inside the table). The table ([`Grid::table`]) holds
//! `(X, F(X), D(X))` with `F`, `D` the function and its derivative at the cell's
//! midpoint `m(X) = (X + 1/2) 2^s / 2^f`, rounded to scale `2^f`. Then
//! - forward: `F(X) + c E`, `c = round(slope 2^s)` the asymptote's slope beyond the table
//!   on `E`'s side (zero inside);
//! - backward: `round(g D(X) / 2^f)` for the gradient `g` at the output.
//!
//! Error against the `f64` reference ([`Grid::forward_error_bound`]): inside the table
//! `|f'|max 2^(s-1-f) + 2^(-f-1)` for the value and `|f''|max 2^(s-1-f) + 2^(-f-1)` for the
//! derivative, plus, beyond it, the function's distance from its asymptote at the
//! table's edge (each activation's range is chosen so that this is below `2^-17`) and
//! `|slope - c 2^-s|` per unit beyond the edge (zero for the slopes 0 and 1).
//!
//! Every value the circuit proves is an integer relation on these tensors: `z`'s
//! digits give `U`, a saturation bit per side with `E` of that sign, one lookup of
//! `(X, F(X), D(X))`, and the backward product as a rescaled elementwise product.

pub mod functions;

use std::sync::Arc;

use zkdl_core::field::{rescale_round, FixedPoint};

use super::{ActivationFn, ActivationTensors};
use crate::gadgets::RescaleSpec;
use crate::proof::{Builder, LayoutError};

use crate::table::{Function, Table, TableError, TableRef, MAX_TABLE_VARS};

/// The table activations a circuit may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum SmoothKind {
    Sigmoid,
    Tanh,
    Elu,
    Selu,
    Celu,
    Gelu,
    GeluTanh,
    Softplus,
    Swish,
    Silu,
    Lisht,
    Mish,
    SoftRootSign,
    Aptx,
    Pdelu,
}

impl SmoothKind {
    /// Every kind, in digest-code order.
    pub const ALL: [SmoothKind; 15] = [
        SmoothKind::Sigmoid,
        SmoothKind::Tanh,
        SmoothKind::Elu,
        SmoothKind::Selu,
        SmoothKind::Celu,
        SmoothKind::Gelu,
        SmoothKind::GeluTanh,
        SmoothKind::Softplus,
        SmoothKind::Swish,
        SmoothKind::Silu,
        SmoothKind::Lisht,
        SmoothKind::Mish,
        SmoothKind::SoftRootSign,
        SmoothKind::Aptx,
        SmoothKind::Pdelu,
    ];

    /// The function.
    pub fn function(self) -> &'static dyn Smooth {
        use functions::*;
        match self {
            SmoothKind::Sigmoid => &Sigmoid,
            SmoothKind::Tanh => &Tanh,
            SmoothKind::Elu => &Elu,
            SmoothKind::Selu => &Selu,
            SmoothKind::Celu => &Celu,
            SmoothKind::Gelu => &Gelu,
            SmoothKind::GeluTanh => &GeluTanh,
            SmoothKind::Softplus => &Softplus,
            SmoothKind::Swish => &Swish,
            SmoothKind::Silu => &Silu,
            SmoothKind::Lisht => &Lisht,
            SmoothKind::Mish => &Mish,
            SmoothKind::SoftRootSign => &SoftRootSign,
            SmoothKind::Aptx => &Aptx,
            SmoothKind::Pdelu => &Pdelu,
        }
    }

    /// The activation at `fp`, its table built once per process.
    pub fn activation(self, fp: FixedPoint) -> Result<Arc<TableActivation>, TableError> {
        type Cache = std::sync::Mutex<std::collections::BTreeMap<(SmoothKind, u32, u32), Arc<TableActivation>>>;
        static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
        let key = (self, fp.frac_bits(), fp.total_bits());
        let cache = CACHE.get_or_init(Default::default);
        if let Some(a) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(a);
        }
        let a = Arc::new(TableActivation::new(self.function(), fp)?);
        if let Ok(mut c) = cache.lock() {
            c.insert(key, a.clone());
        }
        Ok(a)
    }
}

/// A smooth activation through its table at a fixed point: the trainer's arithmetic and
/// the layout's relations ([`crate::relations::RelationSet::smooth`] forward, a rescaled
/// elementwise product by `D` backward).
#[derive(Debug)]
pub struct TableActivation {
    smooth: &'static dyn Smooth,
    grid: Grid,
    table: TableRef,
    slopes: (i64, i64),
}

impl TableActivation {
    /// `smooth` at `fp`.
    pub fn new(smooth: &'static dyn Smooth, fp: FixedPoint) -> Result<Self, TableError> {
        let grid = Grid::new(smooth, fp);
        let table = TableRef::new(grid.table(smooth)?);
        Ok(TableActivation { smooth, grid, slopes: grid.slopes(smooth), table })
    }

    /// The grid.
    pub fn grid(&self) -> Grid {
        self.grid
    }
}

impl ActivationFn for TableActivation {
    fn forward(&self, z: i64) -> i64 {
        self.grid.forward(&*self.table, self.slopes, z).unwrap_or(0)
    }

    fn backward(&self, z: i64, g: i64) -> i64 {
        self.grid.backward(&*self.table, z, g).unwrap_or(0)
    }

    fn forward_f64(&self, z: f64) -> f64 {
        self.smooth.f(z)
    }

    fn backward_f64(&self, z: f64, g: f64) -> f64 {
        g * self.smooth.df(z)
    }

    fn needs_sign(&self) -> bool {
        false
    }

    fn ranges_pre(&self) -> bool {
        true
    }

    fn layout_forward(
        &self,
        b: &mut Builder,
        layer: usize,
        pre: usize,
        _sign: Option<usize>,
    ) -> Result<ActivationTensors, LayoutError> {
        let g = self.grid;
        let st = b.set.smooth(pre, g.total_bits, g.s, self.table.clone(), self.slopes, true)?;
        b.derived(&st.derived)?;
        Ok(ActivationTensors { layer, pre, sign: None, out: st.out, derivative: Some(st.d) })
    }

    fn layout_backward(
        &self,
        b: &mut Builder,
        forward: &ActivationTensors,
        grad_out: usize,
        grad_pre: usize,
    ) -> Result<(), LayoutError> {
        let d = forward.derivative.ok_or(LayoutError::Unsupported("a table activation without its derivative"))?;
        let (f, q) = (self.grid.frac_bits, self.grid.total_bits);
        b.rounded_product(grad_out, d, grad_pre, RescaleSpec { mult: 1, shift: f, total_bits: q })?;
        b.range(grad_pre, q, 1i64 << (q - 1), false)?;
        Ok(())
    }
}

/// A smooth activation: its `f64` value and derivative, and what its table needs.
pub trait Smooth: Send + Sync + std::fmt::Debug {
    /// The name in circuit files.
    fn name(&self) -> &'static str;
    /// `f(x)`.
    fn f(&self, x: f64) -> f64;
    /// `f'(x)`.
    fn df(&self, x: f64) -> f64;
    /// The table spans `|x| < 2^range_log2`; beyond, `f` is within `2^-17` of its
    /// asymptotes.
    fn range_log2(&self) -> u32;
    /// The slopes of the asymptotes `(x -> -inf, x -> +inf)`.
    fn slopes(&self) -> (f64, f64);
    /// Upper bounds on `|f'|` and `|f''|` (on the pieces where `f'` is continuous).
    fn derivative_bounds(&self) -> (f64, f64);
}

/// The grid of a smooth activation's table at a fixed point: `2^w` cells of `2^s` units
/// each, centred on zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    /// Fractional bits `f` of the values.
    pub frac_bits: u32,
    /// Total bits `Q` of the pre-activation.
    pub total_bits: u32,
    /// `log2` of the cells (the table's variables).
    pub w: u32,
    /// `log2` of a cell's width in units of `2^-f`.
    pub s: u32,
}

impl Grid {
    /// The grid of `act` at `fp`: `|x| < 2^range_log2` in at most `2^16` cells.
    pub fn new(act: &dyn Smooth, fp: FixedPoint) -> Grid {
        let span = fp.frac_bits() + act.range_log2() + 1;
        let w = span.min(MAX_TABLE_VARS).min(fp.total_bits());
        Grid { frac_bits: fp.frac_bits(), total_bits: fp.total_bits(), w, s: span - w }
    }

    /// `(X, E)` of the pre-activation `z`: its cell clamped to the table, and the
    /// excess in cells.
    pub fn cell(&self, z: i64) -> (i64, i64) {
        crate::gadgets::grid_cell(z, self.s, self.w)
    }

    /// The midpoint of cell `x`, as a real number.
    pub fn midpoint(&self, x: i64) -> f64 {
        let half = if self.s == 0 { 0.0 } else { 0.5 };
        (x as f64 + half) * (1u64 << self.s) as f64 / (1u64 << self.frac_bits) as f64
    }

    fn scale(&self) -> f64 {
        (1u64 << self.frac_bits) as f64
    }

    /// The integer slopes `round(slope 2^s)` of `act`'s asymptotes, per cell beyond the
    /// table.
    pub fn slopes(&self, act: &dyn Smooth) -> (i64, i64) {
        let c = |v: f64| (v * (1u64 << self.s) as f64).round() as i64;
        let (lo, hi) = act.slopes();
        (c(lo), c(hi))
    }

    /// The table `(X, F(X), D(X))` of `act` over the grid.
    pub fn table(&self, act: &dyn Smooth) -> Result<Function, TableError> {
        let scale = self.scale();
        let x0 = -(1i64 << (self.w - 1));
        Function::from_inputs(act.name(), self.w, x0, |x| {
            let m = self.midpoint(x);
            vec![(act.f(m) * scale).round() as i64, (act.df(m) * scale).round() as i64]
        })
    }

    /// The fixed-point output at `z` from the table (`table`: [`Self::table`]).
    pub fn forward(&self, table: &dyn Table, slopes: (i64, i64), z: i64) -> Option<i64> {
        let (x, e) = self.cell(z);
        let row = usize::try_from(x + (1i64 << (self.w - 1))).ok()?;
        let c = if e < 0 { slopes.0 } else { slopes.1 };
        table.entry(1, row)?.checked_add(c.checked_mul(e)?)
    }

    /// The fixed-point gradient at `z` from the gradient `g` at the output.
    pub fn backward(&self, table: &dyn Table, z: i64, g: i64) -> Option<i64> {
        let (x, _) = self.cell(z);
        let row = usize::try_from(x + (1i64 << (self.w - 1))).ok()?;
        let d = table.entry(2, row)?;
        i64::try_from(rescale_round(g as i128 * d as i128, self.frac_bits).0).ok()
    }

    /// The bound on `|forward(z) / 2^f - f(z / 2^f)|` at `x = z / 2^f` (see the module
    /// documentation; `edge`: the distance from the asymptote at the table's edge).
    pub fn forward_error_bound(&self, act: &dyn Smooth, x: f64, edge: f64) -> f64 {
        let ulp = 1.0 / self.scale();
        let cell = (1u64 << self.s) as f64 * ulp;
        let inside = act.derivative_bounds().0 * cell / 2.0 + ulp / 2.0;
        let limit = (1u64 << (self.w - 1)) as f64 * cell;
        let (lo, hi) = act.slopes();
        let (clo, chi) = self.slopes(act);
        let beyond = if x >= limit {
            edge + (hi - chi as f64 / (1u64 << self.s) as f64).abs() * (x - limit + cell)
        } else if x < -limit {
            edge + (lo - clo as f64 / (1u64 << self.s) as f64).abs() * (-limit - x + cell)
        } else {
            0.0
        };
        // beyond the edge the cell's rounding adds up to one more slope-cell
        inside + beyond + if x.abs() >= limit { act.slopes().1.abs().max(lo.abs()) * cell } else { 0.0 }
    }

    /// The bound on `|D(X) / 2^f - f'(z / 2^f)|` (inside the table; beyond it, plus the
    /// derivative's distance from the slope at the edge).
    pub fn derivative_error_bound(&self, act: &dyn Smooth, edge: f64) -> f64 {
        let ulp = 1.0 / self.scale();
        let cell = (1u64 << self.s) as f64 * ulp;
        act.derivative_bounds().1 * cell / 2.0 + ulp / 2.0 + edge
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn fp() -> FixedPoint {
        FixedPoint::new(16, 32).unwrap()
    }

    /// Inputs that sweep the whole `Q`-bit range: every cell near zero, random ones
    /// across, the table's edges and the range's ends.
    fn sweep(g: &Grid) -> Vec<i64> {
        let mut z: Vec<i64> = Vec::new();
        let edge = 1i64 << (g.s + g.w - 1);
        let step = (1i64 << g.s).max(1) / 3 + 1;
        z.extend((-edge - 4 * (1 << g.s)..edge + 4 * (1 << g.s)).step_by(step as usize));
        let (lo, hi) = (-(1i64 << (g.total_bits - 1)), (1i64 << (g.total_bits - 1)) - 1);
        let mut v = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            v ^= v << 13;
            v ^= v >> 7;
            v ^= v << 17;
            z.push(lo + (v % (hi - lo) as u64) as i64);
        }
        z.extend([lo, lo + 1, hi, hi - 1, edge, edge - 1, -edge, -edge - 1, 0, -1, 1]);
        z
    }

    /// The distance from the asymptotes (value and derivative) at and beyond the edge.
    fn edge_distance(act: &dyn Smooth, limit: f64) -> (f64, f64) {
        let (lo, hi) = act.slopes();
        let (a_hi, a_lo) = (act.f(limit) - hi * limit, act.f(-limit) + lo * limit);
        let (mut dv, mut dd) = (0.0f64, 0.0f64);
        for k in 0..200 {
            let x = limit * (1.0 + k as f64 / 4.0);
            dv = dv.max((act.f(x) - (a_hi + hi * x)).abs()).max((act.f(-x) - (a_lo + lo * -x)).abs());
            dd = dd.max((act.df(x) - hi).abs()).max((act.df(-x) - lo).abs());
        }
        (dv, dd)
    }

    /// Every smooth activation's fixed-point value and derivative agree with its `f64`
    /// reference within the documented bound over the whole `Q`-bit input range, and
    /// its function is within `2^-17` of its asymptote beyond the table.
    #[test]
    fn fixed_point_agrees_with_the_reference_over_the_whole_range() {
        for act in functions::all() {
            let g = Grid::new(act, fp());
            assert!(g.w <= 16 && g.s <= 16, "{}", act.name());
            let table = g.table(act).unwrap();
            let slopes = g.slopes(act);
            let limit = (1u64 << (g.w - 1 + g.s)) as f64 / (1u64 << g.frac_bits) as f64;
            let (dv, dd) = edge_distance(act, limit);
            assert!(dv < 2f64.powi(-17) && dd < 2f64.powi(-16), "{}: asymptote {dv:e} {dd:e}", act.name());
            let (mut worst_f, mut worst_d) = (0.0f64, 0.0f64);
            for z in sweep(&g) {
                let x = z as f64 / (1u64 << g.frac_bits) as f64;
                let got = g.forward(&table, slopes, z).unwrap() as f64 / 65536.0;
                let err = (got - act.f(x)).abs();
                let bound = g.forward_error_bound(act, x, dv);
                assert!(
                    err <= bound,
                    "{} forward at {x}: {got} vs {}, error {err:e} > {bound:e}",
                    act.name(),
                    act.f(x)
                );
                worst_f = worst_f.max(err);
                let d = g.backward(&table, z, 1 << 16).unwrap() as f64 / 65536.0;
                let derr = (d - act.df(x)).abs();
                let dbound = g.derivative_error_bound(act, dd);
                assert!(
                    derr <= dbound,
                    "{} derivative at {x}: {d} vs {}, {derr:e} > {dbound:e}",
                    act.name(),
                    act.df(x)
                );
                worst_d = worst_d.max(derr);
            }
            assert!(worst_f > 0.0 && worst_d > 0.0, "{}: the sweep compared nothing", act.name());
        }
    }

    /// The stated bounds on `|f'|` and `|f''|` hold on a fine sweep (finite differences
    /// away from the points where `f'` jumps), and `df` is the derivative of `f`.
    #[test]
    fn derivative_bounds_and_derivatives_hold() {
        for act in functions::all() {
            let (b1, b2) = act.derivative_bounds();
            let h = 1e-5;
            let r = (1u64 << act.range_log2()) as f64;
            let mut x = -r;
            while x < r {
                let numeric = (act.f(x + h) - act.f(x - h)) / (2.0 * h);
                let near_kink = [0.0, -10.0].iter().any(|k| (x - k).abs() < 1e-3);
                if !near_kink {
                    assert!((numeric - act.df(x)).abs() < 1e-5, "{} f' at {x}: {numeric} vs {}", act.name(), act.df(x));
                    let second = (act.df(x + h) - act.df(x - h)) / (2.0 * h);
                    assert!(second.abs() <= b2 * 1.0001, "{} |f''({x})| = {second} > {b2}", act.name());
                }
                assert!(act.df(x).abs() <= b1 * 1.0001, "{} |f'({x})| > {b1}", act.name());
                x += 1.0 / 512.0;
            }
        }
    }
}
