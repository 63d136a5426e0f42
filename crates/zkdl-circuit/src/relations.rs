//! The aggregated relation system (FAC4DNN-style): a set of committed tensors and
//! the relations among them, proven all at once by one batched sumcheck per relation
//! KIND and one batched claim reduction that ends in one Hyrax opening per table
//! shape. This module holds the description ([`RelationSet`]), its validation and
//! transcript absorption, the points at which claims arise, and the proof type
//! ([`RelationProof`]).
//!
//! Tensors are tables of `2^vars` small integers. A tensor may be a STACK of
//! `2^tau` instances (training steps): the stack index is the LAST `tau` variables,
//! so one relation over stacks proves it for every instance (Schwartz-Zippel over the
//! stacked multilinear extension).
//!
//! The phases of its proof, in transcript order, are described once in
//! [`crate::protocol`].

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use zkdl_core::field::Fr;
use zkdl_core::pcs::{HyraxCommitment, HyraxOpening};
use zkdl_core::sumcheck::SumcheckProof;
use zkdl_core::transcript::{labels, Transcript};

use crate::gadgets::{index_bits, MatmulForm, MatmulShape, RescaleSpec, MAX_RANGE_BITS};
use crate::table::TableRef;

/// A kind of relation of a [`RelationSet`] (one of its fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    Tensor,
    Range,
    Virtual,
    Bool,
    Lookup,
    Table,
    Matmul,
    Mask,
    Linear,
    Homomorphic,
    ZeroRows,
    Padding,
    Claim,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Tensor => "tensor",
            Kind::Range => "range",
            Kind::Virtual => "virtual tensor",
            Kind::Bool => "boolean relation",
            Kind::Lookup => "lookup",
            Kind::Table => "table",
            Kind::Matmul => "matmul",
            Kind::Mask => "mask",
            Kind::Linear => "linear relation",
            Kind::Homomorphic => "linear relation on commitments",
            Kind::ZeroRows => "zero rows on commitments",
            Kind::Padding => "zero padding",
            Kind::Claim => "claim",
        })
    }
}

/// What is wrong with a [`RelationSet`] (or a claim on it): the relation, by kind and
/// index, and what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetError {
    #[error("tensor {0} is not declared")]
    Tensor(usize),
    #[error("{kind} {index}: {what}")]
    Relation { kind: Kind, index: usize, what: &'static str },
}

fn bad(kind: Kind, index: usize, what: &'static str) -> SetError {
    SetError::Relation { kind, index, what }
}

/// Largest number of variables of one tensor.
pub const MAX_TENSOR_VARS: usize = 40;

/// A committed tensor: `2^vars` entries, committed with `2^col_vars` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TensorDecl {
    pub vars: usize,
    pub col_vars: usize,
}

/// Every entry of `tensor` is 0 or 1 (booleanity sumcheck).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoolRel {
    pub tensor: usize,
}

/// Largest range table: `[0, 2^16)`.
pub const MAX_LOOKUP_WIDTH: u32 = crate::table::MAX_TABLE_VARS;

/// Every entry's tuple lies in `table`: a LogUp lookup. Column `c` of entry `x` is
/// `T_c[x] + offset_c` for `columns[c] = (T_c, offset_c)`, one column per column of
/// the table. A range check is the one-column lookup into the range table `[0, 2^w)`
/// (a signed value of `w` bits with `offset = 2^(w-1)`; see [`LookupRel::range`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupRel {
    pub columns: Vec<(usize, i64)>,
    pub table: TableRef,
}

impl LookupRel {
    /// `tensor + offset` lies in `[0, 2^width)`.
    pub fn range(tensor: usize, width: u32, offset: i64) -> Self {
        LookupRel { columns: vec![(tensor, offset)], table: TableRef::range(width) }
    }

    /// The first column's `(tensor, offset)` (the one of a range check).
    pub fn first(&self) -> Option<(usize, i64)> {
        self.columns.first().copied()
    }
}

/// A table of the lookups into it, with the committed multiplicities `m(i)` (how often
/// row `i` occurs among all those lookups' tuples).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRel {
    pub table: TableRef,
    pub multiplicities: usize,
}

/// How the prover derives a tensor that the relations introduce (digits, sign bits,
/// multiplicities) from the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derivation {
    /// `((value[x] + offset) >> shift) & (2^width - 1)`.
    Digit { value: usize, offset: i64, shift: u32, width: u32 },
    /// The multiplicities of table `table` (an index into [`RelationSet::tables`]) over
    /// its lookups.
    Multiplicities { table: usize },
    /// Part `part` of the cell of `value` on a grid of `2^w` cells of `2^shift` units
    /// ([`crate::gadgets::grid_cell`]).
    Cell { value: usize, shift: u32, w: u32, part: CellPart },
    /// Column `column` of lookup `lookup`'s table, at the row of its first column's value.
    Column { lookup: usize, column: usize },
    /// Virtual tensor `index` of [`RelationSet::virtuals`], from its definition.
    Virtual { index: usize },
    /// The rounded elementwise product `round(mult x ⊙ y / 2^shift)`, or (`remainder`)
    /// its remainder `mult x ⊙ y + 2^(shift-1) - 2^shift round(..)` (`shift = 0`: the
    /// exact product, remainder 0).
    Product { x: usize, y: usize, mult: u64, shift: u32, remainder: bool },
    /// `a x + b y`, committed (a remainder that a linear relation defines).
    Affine { x: usize, a: i64, y: usize, b: i64 },
    /// The sums of the rows of `2^cols_vars` entries of `x`.
    RowSum { x: usize, cols_vars: u32 },
    /// `round(x / 2^shift)`.
    Shifted { x: usize, shift: u32 },
    /// Every entry of `x` repeated `2^cols_vars` times (a row of a broadcast).
    Broadcast { x: usize, cols_vars: u32 },
}

/// A part of a value's cell on a table's grid: `U = floor(z / 2^s)`, clamped to
/// `X = clamp(U, -2^(w-1), 2^(w-1) - 1)`, with `E = U - X`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellPart {
    /// `X`.
    Index,
    /// `[E > 0]`.
    Above,
    /// `[E < 0]`.
    Below,
    /// `max(E, 0)`.
    Excess,
    /// `max(-E, 0)`.
    Deficit,
}

impl CellPart {
    /// The part of the cell `(x, e)`.
    pub fn of(self, (x, e): (i64, i64)) -> i64 {
        match self {
            CellPart::Index => x,
            CellPart::Above => (e > 0) as i64,
            CellPart::Below => (e < 0) as i64,
            CellPart::Excess => e.max(0),
            CellPart::Deficit => (-e).max(0),
        }
    }
}

/// What [`RelationSet::smooth`] declared: the table's input `X`, the looked-up value `F`
/// and derivative `D`, the output (`F`, or a virtual tensor with the asymptotes beyond
/// the table), and the derived tensors in the order the prover computes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmoothTensors {
    pub x: usize,
    pub f: usize,
    pub d: usize,
    pub out: usize,
    pub derived: Vec<(usize, Derivation)>,
}

/// What [`RelationSet::range`] declared.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RangeTensors {
    /// New tensors and how to derive them.
    pub derived: Vec<(usize, Derivation)>,
    /// The sign tensor (bit `bits - 1` of `value + offset`), when asked for.
    pub sign: Option<usize>,
}

/// `mult * (X ⊛ Y + 2^shift b) + 2^(shift-1) = 2^shift Cq + R` for every one of the
/// `2^tau` stacked instances (ranges of `Cq`, `R` are separate relations, see
/// [`RelationSet::range`]); without a remainder (`rem: None`, `shift = 0`) the EXACT
/// product `mult * (X ⊛ Y + b) = Cq` (the exact SGD update, `Cq = W_before - W_after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatmulRel {
    pub shape: MatmulShape,
    pub tau: usize,
    pub rescale: RescaleSpec,
    pub x: usize,
    pub y: usize,
    pub cq: usize,
    /// The rounding remainder; `None` for an exact product (`shift = 0`).
    pub rem: Option<usize>,
    /// A bias (`2^lk` entries per instance, `NN` form only).
    pub bias: Option<usize>,
    /// `Some(i)`: the relation's point `r` is not drawn but is the point of matmul `i`'s
    /// claim on its `Y` operand (matmul `i` has no `at` itself); such relations run in
    /// a second batched sumcheck after the first. The exact SGD update sits at the
    /// forward matmul's weight point, so its claims on the weight stacks share that
    /// point (one claim-reduction instance fewer per layer).
    pub at: Option<usize>,
}

/// The elementwise product `Out = s ⊙ Cq` with `s` plane `plane` of the tensor
/// `planes` (a mask when `s` holds bits: zkReLU); with `rescale = Some((spec, R))` the
/// rounded product `mult (s ⊙ Cq) + 2^(shift-1) = 2^shift Out + R` (`shift >= 1`; the
/// ranges of `R` and `Out` are separate relations, as for [`MatmulRel`]): a gradient
/// through an activation's derivative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaskRel {
    pub cq: usize,
    pub out: usize,
    pub planes: usize,
    pub plane: u32,
    pub rescale: Option<(RescaleSpec, usize)>,
}

/// `sum_k coeff_k T_k + constant = 0` over tensors of one number of variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinearRel {
    pub terms: Vec<(usize, i64)>,
    pub constant: i64,
}

/// The tensor (a stack of row-major `2^row_vars x 2^col_vars` matrices) is zero
/// outside the top-left `rows x cols` block of every instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaddingRel {
    pub tensor: usize,
    pub rows: usize,
    pub cols: usize,
    pub row_vars: usize,
    pub col_vars: usize,
}

/// `(terms, constant)` of an affine function `sum_k c_k T_k + constant` of tensors.
pub type AffineTerms = (Vec<(usize, i64)>, i64);

/// A VIRTUAL tensor: never committed, defined as `sum_k coeff_k T_k + constant` of
/// committed tensors of its size (a value and its range digits). A claim on it is
/// answered by claims on the terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualRel {
    pub tensor: usize,
    pub terms: Vec<(usize, i64)>,
    pub constant: i64,
}

/// Tensors and relations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelationSet {
    pub tensors: Vec<TensorDecl>,
    pub virtuals: Vec<VirtualRel>,
    pub bools: Vec<BoolRel>,
    pub lookups: Vec<LookupRel>,
    pub tables: Vec<TableRel>,
    pub matmuls: Vec<MatmulRel>,
    pub masks: Vec<MaskRel>,
    pub linears: Vec<LinearRel>,
    /// Linear relations the verifier checks on the commitments themselves, row by row
    /// (`sum_k c_k Com(T_k) + constant Com(1) = 0`, virtual terms expanded into their
    /// digits): every tensor of one size and one column split. No sumcheck, no claims.
    pub homomorphic: Vec<LinearRel>,
    pub paddings: Vec<PaddingRel>,
    /// Zero paddings the verifier checks on the commitment: every padded entry lies in
    /// a Hyrax row of padding only ([`PaddingRel::zero_rows`]), whose commitment must
    /// be the identity. No sumcheck, no claims.
    pub zero_rows: Vec<PaddingRel>,
}

impl RelationSet {
    /// Declare a tensor; returns its index.
    pub fn tensor(&mut self, vars: usize, col_vars: usize) -> usize {
        self.tensors.push(TensorDecl { vars, col_vars });
        self.tensors.len() - 1
    }

    /// `0 <= value[x] + offset < 2^bits` for every entry: digits of at most 16 bits
    /// (lookups) or 1 bit (booleanity), tied to the value by a linear relation; with
    /// `sign`, the top bit is a separate boolean tensor (the zkReLU sign `[z >= 0]`
    /// for `offset = 2^(bits-1)`). A value of at most 16 bits with no offset and no
    /// sign is looked up directly, and so is one with an offset that stays committed
    /// (not `make_virtual`: the statement's inputs).
    pub fn range(&mut self, value: usize, bits: u32, offset: i64, sign: bool) -> Result<RangeTensors, SetError> {
        self.range_with(value, bits, offset, sign, false)
    }

    /// [`RelationSet::range`]; with `make_virtual`, a value that gets digits is not
    /// committed at all but becomes the virtual tensor `sum 2^shift_i d_i
    /// (+ 2^(k-1) s) - offset` (a [`VirtualRel`] instead of the linear relation).
    pub fn range_with(
        &mut self,
        value: usize,
        bits: u32,
        offset: i64,
        sign: bool,
        make_virtual: bool,
    ) -> Result<RangeTensors, SetError> {
        self.range_digits(value, bits, offset, sign, make_virtual, 0)
    }

    /// [`RelationSet::range_with`] with a first digit of exactly `first` bits (`0`: the
    /// digits as wide as the lookups allow), so that `floor((value + offset) / 2^first)`
    /// is an affine function of the other digits.
    fn range_digits(
        &mut self,
        value: usize,
        bits: u32,
        offset: i64,
        sign: bool,
        make_virtual: bool,
        first: u32,
    ) -> Result<RangeTensors, SetError> {
        if bits == 0 || bits > MAX_RANGE_BITS || first > MAX_LOOKUP_WIDTH || first >= bits {
            return Err(bad(Kind::Range, value, "bit width out of 1..=62"));
        }
        let n = self.vars(value)?;
        let col = self.tensors.get(value).map_or(0, |d| d.col_vars);
        if !sign && (offset == 0 || !make_virtual) && bits <= MAX_LOOKUP_WIDTH && first == 0 {
            self.lookups.push(LookupRel::range(value, bits, offset));
            return Ok(RangeTensors::default());
        }
        let mut out = RangeTensors::default();
        let mut terms = vec![(value, 1i64)];
        let low = if sign { bits - 1 } else { bits };
        let mut shift = 0;
        while shift < low {
            let widest = if shift == 0 && first > 0 { first } else { MAX_LOOKUP_WIDTH };
            let width = (low - shift).min(widest);
            let d = self.tensor(n, col);
            if width == 1 {
                self.bools.push(BoolRel { tensor: d });
            } else {
                self.lookups.push(LookupRel::range(d, width, 0));
            }
            out.derived.push((d, Derivation::Digit { value, offset, shift, width }));
            terms.push((d, -(1i64 << shift)));
            shift += width;
        }
        if sign {
            let s = self.tensor(n, col);
            self.bools.push(BoolRel { tensor: s });
            out.derived.push((s, Derivation::Digit { value, offset, shift: bits - 1, width: 1 }));
            terms.push((s, -(1i64 << (bits - 1))));
            out.sign = Some(s);
        }
        if make_virtual {
            if self.is_virtual(value) {
                return Err(bad(Kind::Virtual, value, "a tensor is virtual twice"));
            }
            let terms = terms.into_iter().skip(1).map(|(t, c)| (t, -c)).collect();
            self.virtuals.push(VirtualRel { tensor: value, terms, constant: -offset });
        } else {
            self.linears.push(LinearRel { terms, constant: offset });
        }
        Ok(out)
    }

    /// A smooth activation of `pre` (a signed value of `bits` bits) through `table`, a
    /// function table `(X, F(X), D(X))` of `2^w` rows whose inputs `X` run from
    /// `-2^(w-1)`, over cells of `2^s` units (see `activation::smooth`). Declares:
    /// `pre`'s range with a first digit of `s` bits (`pre` made virtual with
    /// `make_virtual`) and `U = floor(pre / 2^s)` as a virtual tensor of its other digits;
    /// `X`, `F`, `D` and their lookup; the saturation bits `s_+`, `s_-` (boolean) and the
    /// excesses `E_+`, `E_-` (`bits - s` bits each) with `s_+ ⊙ X = x_max s_+`,
    /// `s_- ⊙ X = x_min s_-`, `s_+ ⊙ E_+ = E_+`, `s_- ⊙ E_- = E_-` and
    /// `U - X - E_+ + E_- = 0`; so `X = clamp(U)` and `E_+ - E_- = U - X` whatever the
    /// prover chooses. The output is `F + c_+ E_+ - c_- E_-` (`slopes = (c_-, c_+)`,
    /// per cell beyond the table), `F` itself where both slopes are zero.
    pub fn smooth(
        &mut self,
        pre: usize,
        bits: u32,
        s: u32,
        table: TableRef,
        slopes: (i64, i64),
        make_virtual: bool,
    ) -> Result<SmoothTensors, SetError> {
        let w = table.vars();
        let invalid = |what| bad(Kind::Lookup, self.lookups.len(), what);
        if table.columns() != 3 || w == 0 || bits > MAX_RANGE_BITS || s + w >= bits || s > MAX_LOOKUP_WIDTH {
            return Err(invalid("a smooth activation's table or grid"));
        }
        // the clamp's bounds are the table's inputs: column 0 runs over [-2^(w-1), 2^(w-1))
        let half = 1i64 << (w - 1);
        if !(0..1usize << w).all(|row| table.entry(0, row) == Some(row as i64 - half)) {
            return Err(invalid("a smooth activation's table inputs are not -2^(w-1)..2^(w-1)"));
        }
        let n = self.vars(pre)?;
        let col = self.tensors.get(pre).map_or(0, |d| d.col_vars);
        let offset = 1i64 << (bits - 1);
        let r = self.range_digits(pre, bits, offset, false, make_virtual, s)?;
        let mut derived = r.derived.clone();
        // U = floor(pre / 2^s): the digits above the first
        let u = self.tensor(n, col);
        let (u_terms, u_const) = if r.derived.is_empty() {
            // looked up directly (no digits, so s = 0): U is the committed value itself
            (vec![(pre, 1)], 0)
        } else {
            let high = r.derived.iter().filter_map(|(d, k)| match *k {
                Derivation::Digit { shift, .. } if shift >= s => Some((*d, 1i64 << (shift - s))),
                _ => None,
            });
            (high.collect(), -(offset >> s))
        };
        self.virtuals.push(VirtualRel { tensor: u, terms: u_terms, constant: u_const });
        derived.push((u, Derivation::Virtual { index: self.virtuals.len() - 1 }));
        let mut cell = |set: &mut Self, part| {
            let t = set.tensor(n, col);
            derived.push((t, Derivation::Cell { value: pre, shift: s, w, part }));
            t
        };
        let x = cell(self, CellPart::Index);
        let (above, below) = (cell(self, CellPart::Above), cell(self, CellPart::Below));
        let (excess, deficit) = (cell(self, CellPart::Excess), cell(self, CellPart::Deficit));
        for b in [above, below] {
            self.bools.push(BoolRel { tensor: b });
        }
        for e in [excess, deficit] {
            derived.extend(self.range_digits(e, bits - s, 0, false, false, 0)?.derived);
        }
        let (f, d) = (self.tensor(n, col), self.tensor(n, col));
        self.lookups.push(LookupRel { columns: vec![(x, 0), (f, 0), (d, 0)], table });
        let lookup = self.lookups.len() - 1;
        derived.push((f, Derivation::Column { lookup, column: 1 }));
        derived.push((d, Derivation::Column { lookup, column: 2 }));
        for (bit, bound, e) in [(above, half - 1, excess), (below, -half, deficit)] {
            let at_bound = self.tensor(n, col);
            self.virtuals.push(VirtualRel { tensor: at_bound, terms: vec![(bit, bound)], constant: 0 });
            derived.push((at_bound, Derivation::Virtual { index: self.virtuals.len() - 1 }));
            self.masks.push(MaskRel { cq: x, out: at_bound, planes: bit, plane: 0, rescale: None });
            self.masks.push(MaskRel { cq: e, out: e, planes: bit, plane: 0, rescale: None });
        }
        self.linears.push(LinearRel { terms: vec![(u, 1), (x, -1), (excess, -1), (deficit, 1)], constant: 0 });
        let out = match slopes {
            (0, 0) => f,
            (lo, hi) => {
                let out = self.tensor(n, col);
                self.virtuals.push(VirtualRel {
                    tensor: out,
                    terms: vec![(f, 1), (excess, hi), (deficit, -lo)],
                    constant: 0,
                });
                derived.push((out, Derivation::Virtual { index: self.virtuals.len() - 1 }));
                out
            }
        };
        Ok(SmoothTensors { x, f, d, out, derived })
    }

    /// Declare every table the lookups use (and its multiplicities tensor): the range
    /// tables by ascending width, then the others in order of first use. Call once,
    /// after every lookup.
    pub fn declare_tables(&mut self) -> Vec<(usize, Derivation)> {
        let mut ranges: Vec<u32> = self.lookups.iter().filter_map(|l| l.table.range_width()).collect();
        ranges.sort_unstable();
        ranges.dedup();
        let mut tables: Vec<TableRef> = ranges.into_iter().map(TableRef::range).collect();
        for l in &self.lookups {
            if !tables.contains(&l.table) {
                tables.push(l.table.clone());
            }
        }
        tables
            .into_iter()
            .map(|table| {
                let w = table.vars() as usize;
                let m = self.tensor(w, zkdl_core::pcs::split_vars(w).1);
                self.tables.push(TableRel { table, multiplicities: m });
                (m, Derivation::Multiplicities { table: self.tables.len() - 1 })
            })
            .collect()
    }

    /// The multiplicities of table `table` (an index into [`RelationSet::tables`]) over
    /// the tuples of its lookups, read from `values` (the integers of every tensor, by
    /// index): how often each row occurs. A tuple outside the table has no row and is
    /// not counted (its lookup then fails).
    pub fn multiplicities<T: AsRef<[i64]>>(&self, table: usize, values: &[T]) -> Result<Vec<i64>, SetError> {
        let tb = &self.tables.get(table).ok_or(bad(Kind::Table, table, "not declared"))?.table;
        let mut m = vec![0i64; 1usize << tb.vars().min(MAX_LOOKUP_WIDTH)];
        let column = |t: usize| values.get(t).map(|v| v.as_ref()).ok_or(SetError::Tensor(t));
        let mut tuple = Vec::with_capacity(tb.columns());
        for l in self.lookups.iter().filter(|l| l.table == *tb) {
            let cols: Vec<(&[i64], i64)> =
                l.columns.iter().map(|&(t, o)| Ok((column(t)?, o))).collect::<Result<_, _>>()?;
            let n = cols.first().map_or(0, |c| c.0.len());
            for x in 0..n {
                tuple.clear();
                // a value whose offset overflows has no row
                tuple.extend(cols.iter().map(|(v, o)| v.get(x).and_then(|v| v.checked_add(*o)).unwrap_or(i64::MIN)));
                if let Some(slot) = tb.row_of(&tuple).and_then(|row| m.get_mut(row)) {
                    *slot += 1;
                }
            }
        }
        Ok(m)
    }

    /// The index of `table` among [`RelationSet::tables`].
    pub fn table_index(&self, table: &TableRef) -> Option<usize> {
        self.tables.iter().position(|t| t.table == *table)
    }

    /// `sum_k c_k T_k + constant` with every virtual `T_k` replaced by its definition:
    /// the same affine function over committed tensors only.
    pub fn expand_virtual(&self, terms: &[(usize, i64)], constant: i64) -> Result<AffineTerms, SetError> {
        let overflow = || bad(Kind::Linear, terms.first().map_or(0, |t| t.0), "coefficients overflow");
        let mut out = Vec::with_capacity(terms.len());
        let mut k = constant;
        for &(t, c) in terms {
            match self.virtuals.iter().find(|v| v.tensor == t) {
                Some(v) => {
                    for &(d, e) in &v.terms {
                        out.push((d, c.checked_mul(e).ok_or_else(overflow)?));
                    }
                    k = k.checked_add(c.checked_mul(v.constant).ok_or_else(overflow)?).ok_or_else(overflow)?;
                }
                None => out.push((t, c)),
            }
        }
        Ok((out, k))
    }

    /// Whether the verifier can check `l` on the commitments (see
    /// [`RelationSet::homomorphic`]): after expanding virtual terms, every tensor has
    /// the same number of variables and the same column split.
    pub fn checkable_on_commitments(&self, l: &LinearRel) -> bool {
        let Ok((terms, _)) = self.expand_virtual(&l.terms, l.constant) else {
            return false;
        };
        let decl = |t: usize| self.tensors.get(t).map(|d| (d.vars, d.col_vars));
        match terms.first().and_then(|&(t, _)| decl(t)) {
            Some(first) => terms.iter().all(|&(t, _)| decl(t) == Some(first) && !self.is_virtual(t)),
            None => false,
        }
    }

    /// The two rounds of phase 3: the matmuls that draw their point, in order, and the
    /// others (`at`) with the position of their source in the first round (`None`: no
    /// such source, which [`RelationSet::validate`] refuses).
    pub fn matmul_rounds(&self) -> (Vec<usize>, Vec<(usize, Option<usize>)>) {
        let first: Vec<usize> = (0..self.matmuls.len()).filter(|&i| self.matmuls[i].at.is_none()).collect();
        let second = self
            .matmuls
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.at.map(|a| (i, first.iter().position(|&f| f == a))))
            .collect();
        (first, second)
    }

    /// Whether tensor `i` is virtual (never committed).
    pub fn is_virtual(&self, i: usize) -> bool {
        self.virtuals.iter().any(|v| v.tensor == i)
    }

    /// Number of variables of tensor `i`.
    pub fn vars(&self, i: usize) -> Result<usize, SetError> {
        self.tensors.get(i).map(|t| t.vars).ok_or(SetError::Tensor(i))
    }

    /// Check that every relation refers to tensors of matching sizes; the error names
    /// the first relation that does not.
    pub fn validate(&self) -> Result<(), SetError> {
        for (i, t) in self.tensors.iter().enumerate() {
            if t.vars > MAX_TENSOR_VARS || t.col_vars > t.vars {
                return Err(bad(Kind::Tensor, i, "size"));
            }
        }
        for (i, v) in self.virtuals.iter().enumerate() {
            let n = self.vars(v.tensor)?;
            if self.virtuals.iter().skip(i + 1).any(|w| w.tensor == v.tensor) {
                return Err(bad(Kind::Virtual, i, "a tensor is virtual twice"));
            }
            for (t, _) in &v.terms {
                if self.vars(*t)? != n || self.is_virtual(*t) {
                    return Err(bad(Kind::Virtual, i, "terms of another size or virtual"));
                }
            }
        }
        for b in &self.bools {
            self.vars(b.tensor)?;
        }
        for (i, t) in self.tables.iter().enumerate() {
            let w = t.table.vars();
            let ok = (1..=MAX_LOOKUP_WIDTH).contains(&w) && t.table.columns() >= 1;
            if !ok || self.vars(t.multiplicities)? != w as usize {
                return Err(bad(Kind::Table, i, "size or multiplicities size"));
            }
            if self.tables.iter().skip(i + 1).any(|u| u.table == t.table) {
                return Err(bad(Kind::Table, i, "a table declared twice"));
            }
        }
        for (i, l) in self.lookups.iter().enumerate() {
            if self.table_index(&l.table).is_none() {
                return Err(bad(Kind::Lookup, i, "its table is not declared"));
            }
            if l.columns.len() != l.table.columns() {
                return Err(bad(Kind::Lookup, i, "not one tensor per column of its table"));
            }
            let n = self.vars(l.columns.first().map_or(usize::MAX, |c| c.0))?;
            for &(t, _) in &l.columns {
                if self.vars(t)? != n {
                    return Err(bad(Kind::Lookup, i, "columns of different sizes"));
                }
            }
        }
        for (k, m) in self.matmuls.iter().enumerate() {
            let invalid = |what| Err(bad(Kind::Matmul, k, what));
            if let Some(i) = m.at {
                let src = self.matmuls.get(i).ok_or(bad(Kind::Matmul, k, "point source"))?;
                let src_vars = src.shape.lj.checked_add(src.shape.lk).and_then(|v| v.checked_add(src.tau));
                let vars = m.shape.li.checked_add(m.shape.lk).and_then(|v| v.checked_add(m.tau));
                if src.at.is_some() || src_vars.is_none() || src_vars != vars {
                    return invalid("point source");
                }
            }
            let s = m.shape;
            let RescaleSpec { mult, shift, total_bits } = m.rescale;
            if mult == 0 || shift > MAX_RANGE_BITS || total_bits == 0 || total_bits > MAX_RANGE_BITS {
                return invalid("rescaling parameters");
            }
            if (shift == 0) != m.rem.is_none() {
                return invalid("a rounded product needs a remainder, an exact one (shift 0) none");
            }
            if s.li + s.lj + s.lk + m.tau > 3 * MAX_TENSOR_VARS {
                return invalid("dimensions");
            }
            if self.vars(m.x)? != s.x_vars() + m.tau || self.vars(m.y)? != s.y_vars() + m.tau {
                return invalid("operand size");
            }
            let c = s.c_vars() + m.tau;
            if self.vars(m.cq)? != c || m.rem.map(|r| self.vars(r)).transpose()?.is_some_and(|v| v != c) {
                return invalid("output size");
            }
            if let Some(b) = m.bias {
                if s.form != MatmulForm::NN || self.vars(b)? != s.lk + m.tau {
                    return invalid("bias");
                }
            }
        }
        for (i, m) in self.masks.iter().enumerate() {
            let n = self.vars(m.cq)?;
            if self.vars(m.out)? != n {
                return Err(bad(Kind::Mask, i, "output size"));
            }
            let pv = self.vars(m.planes)?.checked_sub(n).ok_or(bad(Kind::Mask, i, "planes size"))?;
            if pv > 8 || (m.plane as usize) >= (1usize << pv) {
                return Err(bad(Kind::Mask, i, "plane index"));
            }
            if let Some((spec, rem)) = m.rescale {
                if spec.mult == 0 || spec.shift == 0 || spec.shift > MAX_RANGE_BITS || self.vars(rem)? != n {
                    return Err(bad(Kind::Mask, i, "rescaling parameters or remainder size"));
                }
            }
        }
        for (i, l) in self.linears.iter().enumerate() {
            let Some(first) = l.terms.first() else {
                return Err(bad(Kind::Linear, i, "no terms"));
            };
            let n = self.vars(first.0)?;
            for (t, _) in &l.terms {
                if self.vars(*t)? != n {
                    return Err(bad(Kind::Linear, i, "tensors of different sizes"));
                }
            }
        }
        for (i, l) in self.homomorphic.iter().enumerate() {
            if !self.checkable_on_commitments(l) {
                return Err(bad(Kind::Homomorphic, i, "tensors of different shapes"));
            }
        }
        for (i, p) in self.zero_rows.iter().enumerate() {
            let d = self.tensors.get(p.tensor).ok_or(SetError::Tensor(p.tensor))?;
            if p.zero_rows(d.vars, d.col_vars).is_none() {
                return Err(bad(Kind::ZeroRows, i, "the padding is not whole rows"));
            }
        }
        for (i, p) in self.paddings.iter().enumerate() {
            if self.vars(p.tensor)? < p.row_vars + p.col_vars {
                return Err(bad(Kind::Padding, i, "shape"));
            }
        }
        Ok(())
    }

    /// Absorb the description (sizes, parameters, relation wiring).
    pub fn absorb(&self, t: &mut Transcript) {
        let l = labels::RELATIONS_DESCRIPTION;
        t.append_u64(l, self.tensors.len() as u64);
        for d in &self.tensors {
            t.append_u64(l, ((d.vars as u64) << 8) | d.col_vars as u64);
        }
        t.append_u64(l, self.virtuals.len() as u64);
        for v in &self.virtuals {
            t.append_u64(l, v.tensor as u64);
            t.append_u64(l, v.constant as u64);
            t.append_u64(l, v.terms.len() as u64);
            for (i, c) in &v.terms {
                t.append_u64(l, *i as u64);
                t.append_u64(l, *c as u64);
            }
        }
        t.append_u64(l, self.bools.len() as u64);
        for b in &self.bools {
            t.append_u64(l, b.tensor as u64);
        }
        // a one-column lookup: (tensor, table width), offset; a table: (multiplicities,
        // width); every table other than a range and every lookup of several columns is
        // described in full at the end
        t.append_u64(l, self.lookups.len() as u64);
        for k in &self.lookups {
            let (tensor, offset) = k.first().unwrap_or((usize::MAX, 0));
            t.append_u64(l, ((tensor as u64) << 8) | k.table.vars() as u64);
            t.append_u64(l, offset as u64);
        }
        t.append_u64(l, self.tables.len() as u64);
        for k in &self.tables {
            t.append_u64(l, ((k.multiplicities as u64) << 8) | k.table.vars() as u64);
        }
        t.append_u64(l, self.matmuls.len() as u64);
        for m in &self.matmuls {
            let form = match m.shape.form {
                MatmulForm::NN => 0,
                MatmulForm::NT => 1,
                MatmulForm::TN => 2,
            };
            let s = m.shape;
            let r = m.rescale;
            let bias = m.bias.map_or(u64::MAX, |b| b as u64);
            for v in [form, s.li as u64, s.lj as u64, s.lk as u64, m.tau as u64, r.mult, r.shift as u64] {
                t.append_u64(l, v);
            }
            let rem = m.rem.map_or(u64::MAX, |r| r as u64);
            let at = m.at.map_or(u64::MAX, |i| i as u64);
            for v in [r.total_bits as u64, m.x as u64, m.y as u64, m.cq as u64, rem, bias, at] {
                t.append_u64(l, v);
            }
        }
        t.append_u64(l, self.masks.len() as u64);
        for m in &self.masks {
            for v in [m.cq as u64, m.out as u64, m.planes as u64, m.plane as u64] {
                t.append_u64(l, v);
            }
        }
        for rels in [&self.linears, &self.homomorphic] {
            t.append_u64(l, rels.len() as u64);
            for r in rels {
                t.append_u64(l, r.terms.len() as u64);
                t.append_u64(l, r.constant as u64);
                for (i, c) in &r.terms {
                    t.append_u64(l, *i as u64);
                    t.append_u64(l, *c as u64);
                }
            }
        }
        for rels in [&self.paddings, &self.zero_rows] {
            t.append_u64(l, rels.len() as u64);
            for p in rels {
                for v in [p.tensor, p.rows, p.cols, p.row_vars, p.col_vars] {
                    t.append_u64(l, v as u64);
                }
            }
        }
        // optional blocks, each after its own tag
        let plain = |k: &LookupRel| k.columns.len() == 1 && k.table.range_width().is_some();
        let ranges = self.tables.iter().all(|t| t.table.range_width().is_some());
        if !self.lookups.iter().all(plain) || !ranges {
            t.append_u64(l, u64::from_le_bytes(*b"tables\0\0"));
            t.append_u64(l, self.tables.len() as u64);
            for k in &self.tables {
                let d = k.table.descriptor();
                t.append_u64(l, d.len() as u64);
                d.iter().for_each(|w| t.append_u64(l, *w));
            }
            for k in &self.lookups {
                t.append_u64(l, self.table_index(&k.table).map_or(u64::MAX, |i| i as u64));
                t.append_u64(l, k.columns.len() as u64);
                for &(tensor, offset) in &k.columns {
                    t.append_u64(l, tensor as u64);
                    t.append_u64(l, offset as u64);
                }
            }
        }
        if self.masks.iter().any(|m| m.rescale.is_some()) {
            t.append_u64(l, u64::from_le_bytes(*b"rescaled"));
            for m in &self.masks {
                let (s, rem) = m
                    .rescale
                    .map_or((RescaleSpec { mult: 0, shift: 0, total_bits: 0 }, u64::MAX), |(s, r)| (s, r as u64));
                for v in [s.mult, s.shift as u64, s.total_bits as u64, rem] {
                    t.append_u64(l, v);
                }
            }
        }
    }
}

/// Absorb the description and every committed (non-virtual) tensor's commitment, in
/// tensor order.
pub fn absorb_relations(t: &mut Transcript, set: &RelationSet, comms: &[&HyraxCommitment]) {
    set.absorb(t);
    for (i, c) in comms.iter().enumerate() {
        if !set.is_virtual(i) {
            t.append_points(labels::RELATIONS_COMMITMENT, &c.rows);
        }
    }
}

impl PaddingRel {
    /// The rows of the tensor's Hyrax commitment (`vars` variables, `col_split` column
    /// variables) that hold padding only, in every stacked instance, when they hold
    /// EVERY padded entry: then the padding is zero exactly when those row commitments
    /// are the identity (Pedersen binding). `None` when some Hyrax row mixes real and
    /// padded entries (the relation then needs its sumcheck).
    pub fn zero_rows(&self, vars: usize, col_split: usize) -> Option<Vec<usize>> {
        let (rv, cv) = (self.row_vars, self.col_vars);
        let local = rv.checked_add(cv)?;
        if vars < local || col_split > local || self.rows > (1usize << rv) || self.cols > (1usize << cv) {
            return None;
        }
        let per_instance = 1usize << (local - col_split);
        let mut zero = Vec::new();
        if col_split >= cv {
            // a Hyrax row is `k` whole matrix rows
            let k = 1usize << (col_split - cv);
            if self.cols != (1usize << cv) || !self.rows.is_multiple_of(k) {
                return None;
            }
            zero.extend(self.rows / k..per_instance);
        } else {
            // a Hyrax row is `seg` consecutive entries of one matrix row
            let seg = 1usize << col_split;
            if !self.cols.is_multiple_of(seg) {
                return None;
            }
            let per_row = 1usize << (cv - col_split);
            for i in 0..(1usize << rv) {
                let first = if i < self.rows { self.cols / seg } else { 0 };
                zero.extend((first..per_row).map(|j| i * per_row + j));
            }
        }
        let instances = 1usize << (vars - local);
        Some((0..instances).flat_map(|t| zero.iter().map(move |z| t * per_instance + z)).collect())
    }
}

/// Points of a stacked matmul: `r = (r_k, r_i, r_t)` over the product, the sumcheck
/// point `rho = (rho_j, rho_t)`.
impl MatmulRel {
    /// `(r_k, r_i, r_t)`; `None` if `r` has the wrong length.
    pub fn split_r<'a>(&self, r: &'a [Fr]) -> Option<(&'a [Fr], &'a [Fr], &'a [Fr])> {
        let s = self.shape;
        if r.len() != s.c_vars() + self.tau {
            return None;
        }
        let (rk, rest) = r.split_at(s.lk);
        let (ri, rt) = rest.split_at(s.li);
        Some((rk, ri, rt))
    }

    /// The points of the claims on `X`, `Y` (and the bias point) after the sumcheck.
    pub fn operand_points(&self, r: &[Fr], rho: &[Fr]) -> Option<(Vec<Fr>, Vec<Fr>)> {
        let (rk, ri, _) = self.split_r(r)?;
        if rho.len() != self.shape.lj + self.tau {
            return None;
        }
        let (rj, rt) = rho.split_at(self.shape.lj);
        let mut xp = self.shape.x_point(ri, rj);
        xp.extend_from_slice(rt);
        let mut yp = self.shape.y_point(rj, rk);
        yp.extend_from_slice(rt);
        Some((xp, yp))
    }

    /// The bias point `(r_k, r_t)`.
    pub fn bias_point(&self, r: &[Fr]) -> Option<Vec<Fr>> {
        let (rk, _, rt) = self.split_r(r)?;
        Some(rk.iter().chain(rt).copied().collect())
    }

    /// `C~(r)` from the claimed `Cq(r)`, `R(r)` (`None` for an exact product) and bias
    /// value; `None` if the remainder does not match the relation or the parameters are
    /// invalid.
    pub fn product_claim(&self, cq: Fr, rem: Option<Fr>, bias: Option<Fr>) -> Option<Fr> {
        if self.rem.is_some() != rem.is_some() {
            return None;
        }
        let p = zkdl_core::field::fr_pow2(self.rescale.shift);
        Some(self.rescale.unround(cq, rem)? - bias.map_or(Fr::from(0u64), |b| p * b))
    }
}

impl MaskRel {
    /// The point of the sign claim on the planes tensor.
    pub fn sign_point(&self, r4: &[Fr], plane_vars: usize) -> Vec<Fr> {
        r4.iter().copied().chain(index_bits(self.plane as usize, plane_vars)).collect()
    }
}

/// One phase of the proof: values sent before the batched sumcheck, the sumcheck
/// (no rounds when the phase has no relation), values sent after it.
#[derive(Debug, Clone, Default, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct PhaseProof {
    pub pre: Vec<Fr>,
    pub sumcheck: SumcheckProof,
    pub post: Vec<Fr>,
}

/// The claim reduction ([`ReductionLayout`]): the column stage and its values, the row
/// stage and the claimed tensors' values at the final points, and one opening per table
/// shape.
#[derive(Debug, Clone, Default, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct OpeningProof {
    pub columns: PhaseProof,
    pub rows: PhaseProof,
    pub openings: Vec<HyraxOpening>,
}

/// The LogUp lookups as a GKR fractional sumcheck: one binary tree of fraction sums
/// per lookup (leaves `1 / (alpha - v(x))`) and per table (leaves `m(i) / (alpha -
/// t(i))`), all trees' layers batched round by round.
#[derive(Debug, Clone, Default, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct LogupProof {
    /// Per tree (lookups, then tables): the root `(P, Q)`.
    pub roots: Vec<Fr>,
    /// Per tree: layer 1, `(p(0), p(1), q(0), q(1))`.
    pub layer1: Vec<Fr>,
    /// Rounds `k = 1, 2, ...`: the batched sumcheck of the trees deeper than `k`, post:
    /// `(p_lo, p_hi, q_lo, q_hi)` at its point per such tree.
    pub rounds: Vec<PhaseProof>,
    /// Per lookup of several columns (in the order their leaves are reached): its
    /// columns' values at its leaf point.
    pub tuples: Vec<Fr>,
}

/// The proof of a [`RelationSet`].
#[derive(Debug, Clone, Default, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct RelationProof {
    pub booleanity: PhaseProof,
    pub logup: LogupProof,
    pub matmul: PhaseProof,
    /// The matmuls whose point is another's operand point ([`MatmulRel::at`]).
    pub matmul_at: PhaseProof,
    pub mask: PhaseProof,
    pub linear: Vec<Fr>,
    pub padding: PhaseProof,
    /// Per claim on a virtual tensor (in claim order), its terms' values at the point.
    pub virtuals: Vec<Fr>,
    pub openings: OpeningProof,
}

/// Tensors that carry claims, grouped: returns, for every tensor index with at least
/// one claim (ascending), the indices of its claims.
pub fn claims_by_tensor(claim_tensors: &[usize], num_tensors: usize) -> Vec<(usize, Vec<usize>)> {
    let mut by: Vec<Vec<usize>> = vec![Vec::new(); num_tensors];
    for (k, &t) in claim_tensors.iter().enumerate() {
        if let Some(v) = by.get_mut(t) {
            v.push(k);
        }
    }
    by.into_iter().enumerate().filter(|(_, v)| !v.is_empty()).collect()
}

/// The claim reduction's instances (phase 8), shared by prover and verifier. A claim
/// `T(p) = v` on a tensor committed with `2^c` columns splits its point as `p = (lo,
/// hi)`, `lo` the `c` column variables: `T(p) = sum_x eq(lo, x) T(x, hi)`, where the
/// prover computes the column vector `T(., hi)` with the KNOWN weights `eq(hi, .)` in
/// one pass over the integers (no sumcheck over the full table: the row stage below runs
/// over `T(rho_c, .)`, `2^(vars - c)` entries).
/// 1. column stage: one instance per `(c, p)`, `sum_x eq(lo, x) sum_k alpha_k
///    T_k(x, hi)` over `c` variables; post: `T(rho_c, hi)` per distinct tensor of the
///    instance (`posts`), `rho_c` the batch point's suffix of length `c`;
/// 2. row stage: those values are claims on `U_T = T(rho_c, .)`, one instance per
///    distinct `hi`, `sum_y eq(hi, y) sum alpha'_j U_(T_j)(y)`; post: `T(rho_c, sigma)`
///    per claimed tensor, `sigma` the row batch point's suffix of its row count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReductionLayout {
    pub columns: Vec<ColumnInstance>,
    /// The column stage's values: `(column instance, tensor)`.
    pub posts: Vec<(usize, usize)>,
    pub rows: Vec<RowInstance>,
}

/// A column-stage instance: the claims at one point on tensors of one column split.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnInstance {
    /// Indices of its claims (the first gives the point).
    pub claims: Vec<usize>,
    /// Per claim, the index in [`ReductionLayout::posts`] of its tensor's value.
    pub claim_posts: Vec<usize>,
    pub col_vars: usize,
}

/// A row-stage instance: column-stage values at one row point.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowInstance {
    /// Indices into [`ReductionLayout::posts`].
    pub posts: Vec<usize>,
    pub row_vars: usize,
}

impl ReductionLayout {
    /// Lays out the claims `(tensor, point)`: every point must have its tensor's number
    /// of variables. Instances in order of first appearance.
    pub fn new(set: &RelationSet, claims: &[(usize, &[Fr])]) -> Result<Self, SetError> {
        use std::collections::HashMap;
        let mut out = ReductionLayout::default();
        let mut col_index: HashMap<(usize, &[Fr]), usize> = HashMap::new();
        let mut post_index: HashMap<(usize, usize), usize> = HashMap::new();
        for (k, &(tensor, point)) in claims.iter().enumerate() {
            let d = set.tensors.get(tensor).ok_or(SetError::Tensor(tensor))?;
            if d.col_vars > d.vars {
                return Err(bad(Kind::Tensor, tensor, "more column variables than variables"));
            }
            if point.len() != d.vars {
                return Err(bad(Kind::Claim, k, "point length"));
            }
            let a = *col_index.entry((d.col_vars, point)).or_insert_with(|| {
                out.columns.push(ColumnInstance { col_vars: d.col_vars, ..Default::default() });
                out.columns.len() - 1
            });
            let post = *post_index.entry((a, tensor)).or_insert_with(|| {
                out.posts.push((a, tensor));
                out.posts.len() - 1
            });
            let inst = out.columns.get_mut(a).ok_or(bad(Kind::Claim, k, "column instance"))?;
            inst.claims.push(k);
            inst.claim_posts.push(post);
        }
        let mut row_index: HashMap<&[Fr], usize> = HashMap::new();
        for (j, &(a, _)) in out.posts.iter().enumerate() {
            let hi = out.row_point(a, claims).ok_or(bad(Kind::Claim, j, "column instance"))?;
            let b = *row_index.entry(hi).or_insert_with(|| {
                out.rows.push(RowInstance { posts: Vec::new(), row_vars: hi.len() });
                out.rows.len() - 1
            });
            out.rows.get_mut(b).ok_or(bad(Kind::Claim, j, "row instance"))?.posts.push(j);
        }
        Ok(out)
    }

    /// Column instance `a`'s point split into (column, row) variables.
    pub fn point<'p>(&self, a: usize, claims: &[(usize, &'p [Fr])]) -> Option<(&'p [Fr], &'p [Fr])> {
        let inst = self.columns.get(a)?;
        let (_, p) = claims.get(*inst.claims.first()?)?;
        (inst.col_vars <= p.len()).then(|| p.split_at(inst.col_vars))
    }

    /// Column instance `a`'s row variables.
    pub fn row_point<'p>(&self, a: usize, claims: &[(usize, &'p [Fr])]) -> Option<&'p [Fr]> {
        self.point(a, claims).map(|p| p.1)
    }

    /// The last `n` coordinates of a batch point (an instance's point, a tensor's part of
    /// the end point: `BatchedClaim::instance_point`'s convention); `None` if shorter.
    pub fn suffix(point: &[Fr], n: usize) -> Option<&[Fr]> {
        point.get(point.len().checked_sub(n)?..)
    }

    /// Where the reduction leaves a tensor of shape `d`: the column stage's batch point
    /// `rho` cut to its columns, then the row stage's `sigma` cut to its rows (the point
    /// of its opening group).
    pub fn end_point(rho: &[Fr], sigma: &[Fr], d: TensorDecl) -> Option<Vec<Fr>> {
        let cols = Self::suffix(rho, d.col_vars)?;
        let rows = Self::suffix(sigma, d.vars.checked_sub(d.col_vars)?)?;
        Some(cols.iter().chain(rows).copied().collect())
    }

    /// Row instance `b`'s point (that of its first value's column instance).
    pub fn row_instance_point<'p>(&self, b: usize, claims: &[(usize, &'p [Fr])]) -> Option<&'p [Fr]> {
        let &(a, _) = self.posts.get(*self.rows.get(b)?.posts.first()?)?;
        self.row_point(a, claims)
    }
}

/// Opening groups of the claimed tensors: tensors of equal `(vars, col_vars)`,
/// ordered by that key; each entry lists positions into `claimed` (the output of
/// [`claims_by_tensor`]).
pub fn opening_groups(set: &RelationSet, claimed: &[(usize, Vec<usize>)]) -> Vec<(TensorDecl, Vec<usize>)> {
    let mut keys: Vec<(usize, usize)> = Vec::new();
    for (t, _) in claimed {
        if let Some(d) = set.tensors.get(*t) {
            keys.push((d.vars, d.col_vars));
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .map(|(vars, col_vars)| {
            let members = claimed
                .iter()
                .enumerate()
                .filter(|(_, (t, _))| set.tensors.get(*t).is_some_and(|d| d.vars == vars && d.col_vars == col_vars))
                .map(|(pos, _)| pos)
                .collect();
            (TensorDecl { vars, col_vars }, members)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `zero_rows` against a brute-force check: the listed Hyrax rows hold exactly
    /// padded entries, and every padded entry lies in a listed row; `None` exactly when
    /// some row mixes real and padded entries.
    #[test]
    fn zero_rows_are_exactly_the_padded_hyrax_rows() {
        for (rows, cols, rv, cv) in
            [(784usize, 128usize, 10usize, 7usize), (5, 8, 3, 3), (3, 2, 2, 2), (6, 4, 3, 3), (2, 4, 1, 3)]
        {
            let p = PaddingRel { tensor: 0, rows, cols, row_vars: rv, col_vars: cv };
            for stack in 0..2 {
                let vars = rv + cv + stack;
                for split in 0..=(rv + cv) {
                    let seg = 1usize << split;
                    let padded = |e: usize| {
                        let local = e % (1usize << (rv + cv));
                        local >> cv >= rows || local % (1usize << cv) >= cols
                    };
                    let hyrax_rows = 1usize << (vars - split);
                    let all = |r: usize| (r * seg..(r + 1) * seg).all(padded);
                    let any = |r: usize| (r * seg..(r + 1) * seg).any(padded);
                    let exact = (0..hyrax_rows).all(|r| all(r) || !any(r));
                    match p.zero_rows(vars, split) {
                        Some(z) => {
                            assert!(exact, "{rows}x{cols} split {split}: listed but not exact");
                            let want: Vec<usize> = (0..hyrax_rows).filter(|&r| all(r)).collect();
                            assert_eq!(z, want, "{rows}x{cols} in 2^{rv}x2^{cv}, stack {stack}, split {split}");
                        }
                        None => assert!(!exact, "{rows}x{cols} split {split}: exact but refused"),
                    }
                }
            }
        }
    }

    /// An exact product (no remainder) needs `shift = 0`, a rounded one a remainder;
    /// the product claim follows: `C = Cq / mult` exactly, or with the rounding.
    #[test]
    fn exact_and_rounded_products() {
        let shape = MatmulShape { form: MatmulForm::TN, li: 2, lj: 1, lk: 2 };
        let mut set = RelationSet::default();
        let (x, y, cq, rem) = (set.tensor(3, 0), set.tensor(3, 0), set.tensor(4, 0), set.tensor(4, 0));
        let rel = |shift: u32, rem: Option<usize>| MatmulRel {
            shape,
            tau: 0,
            rescale: RescaleSpec { mult: 3, shift, total_bits: 20 },
            x,
            y,
            cq,
            rem,
            bias: None,
            at: None,
        };
        for (shift, r, ok) in [(0, None, true), (4, Some(rem), true), (0, Some(rem), false), (4, None, false)] {
            let mut s = set.clone();
            s.matmuls.push(rel(shift, r));
            assert_eq!(s.validate().is_ok(), ok, "shift {shift}, remainder {r:?}");
        }
        let (c, v) = (Fr::from(12u64), Fr::from(5u64));
        let third = zkdl_core::field::fr_inverse(Fr::from(3u64)).unwrap();
        assert_eq!(rel(0, None).product_claim(c, None, None), Some(c * third));
        assert_eq!(rel(0, None).product_claim(c, Some(v), None), None);
        assert_eq!(rel(4, Some(rem)).product_claim(c, None, None), None);
        let want = (Fr::from(16u64) * c + v - Fr::from(8u64)) * third;
        assert_eq!(rel(4, Some(rem)).product_claim(c, Some(v), None), Some(want));
    }

    /// `at` must name an earlier-drawn matmul (one without `at`) whose `Y` point has
    /// the relation's number of variables.
    #[test]
    fn matmul_points_taken_from_another_relation() {
        let mut set = RelationSet::default();
        // forward: X (2 x 4) times W (4 x 8); update: A^T (4 x 2) G (2 x 8), exact, = W-sized
        let (x, w, z, r) = (set.tensor(3, 0), set.tensor(5, 0), set.tensor(4, 0), set.tensor(4, 0));
        let (a, g, dw, x2) = (set.tensor(3, 0), set.tensor(4, 0), set.tensor(5, 0), set.tensor(2, 0));
        let fwd = MatmulRel {
            shape: MatmulShape { form: MatmulForm::NN, li: 1, lj: 2, lk: 3 },
            tau: 0,
            rescale: RescaleSpec { mult: 1, shift: 8, total_bits: 20 },
            x,
            y: w,
            cq: z,
            rem: Some(r),
            bias: None,
            at: None,
        };
        let upd = MatmulRel {
            shape: MatmulShape { form: MatmulForm::TN, li: 2, lj: 1, lk: 3 },
            rescale: RescaleSpec { mult: 1, shift: 0, total_bits: 40 },
            x: a,
            y: g,
            cq: dw,
            rem: None,
            at: Some(0),
            ..fwd
        };
        let with = |rels: Vec<MatmulRel>| {
            let mut s = set.clone();
            s.matmuls = rels;
            s.validate()
        };
        assert!(with(vec![fwd, upd]).is_ok());
        assert!(with(vec![fwd, MatmulRel { at: Some(2), ..upd }]).is_err(), "no such relation");
        assert!(with(vec![MatmulRel { at: Some(1), ..fwd }, upd]).is_err(), "a source with a source");
        let small = MatmulRel { shape: MatmulShape { form: MatmulForm::NN, li: 1, lj: 1, lk: 3 }, y: g, x: x2, ..fwd };
        assert!(with(vec![small]).is_ok());
        assert!(with(vec![small, upd]).is_err(), "a point of another size");
    }
}
