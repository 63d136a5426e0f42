//! The witness checker: every relation of a [`RelationSet`] evaluated on the plain
//! integer tables, naming the first that fails (relation, tensor, step, entry,
//! expected against found). No commitments, no field arithmetic: the tool for
//! debugging a circuit or a gadget before proving (`zkdl prove --check-witness`).
//!
//! The order: table sizes, then the ranges (each value split into digits against its
//! full width first, so that an out-of-range value is named as such and not as a wrong
//! digit), lookups, booleans, virtual and linear relations, masks (entry by entry, so a
//! changed activation is named by its mask before the product that consumes it), matrix
//! products, zero padding, and last the lookup multiplicities.

use thiserror::Error;

use crate::proof::{TensorKind, TrainingLayout};
use crate::relations::{Derivation, LookupRel, MatmulRel, PaddingRel, RelationSet};

/// The first relation the witness breaks.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{relation}: {tensor}{}, entry {index}: {detail}", .step.map(|s| format!(" at step {s}")).unwrap_or_default())]
pub struct WitnessError {
    /// The relation, e.g. `matmul 3 (Zq(1) from Inputs and WeightsBefore(0))`.
    pub relation: String,
    /// The tensor whose entry is wrong.
    pub tensor: String,
    /// The step of a stacked tensor.
    pub step: Option<usize>,
    /// The entry within the step (or the whole tensor when not stacked).
    pub index: usize,
    /// Expected against found, or the range it leaves.
    pub detail: String,
}

/// How to name tensors and locate entries: a name per tensor and, for tensors stacked
/// over steps, the variables of one step.
pub trait Names {
    fn name(&self, tensor: usize) -> String;
    /// Variables of one step of `tensor`, if it is stacked over steps.
    fn step_vars(&self, tensor: usize) -> Option<usize>;
}

/// Tensors named by their index, none stacked.
pub struct ByIndex;

impl Names for ByIndex {
    fn name(&self, tensor: usize) -> String {
        format!("tensor {tensor}")
    }
    fn step_vars(&self, _: usize) -> Option<usize> {
        None
    }
}

impl Names for TrainingLayout {
    fn name(&self, tensor: usize) -> String {
        match self.kinds.get(tensor) {
            Some(TensorKind::Derived(Derivation::Digit { value, shift, width, .. })) => {
                format!("bits {shift}..{} of {}", shift + width, self.name(*value))
            }
            Some(TensorKind::Derived(Derivation::Multiplicities { table })) => match self.set.tables.get(*table) {
                Some(t) => format!("multiplicities of {}", t.table.name()),
                None => format!("tensor {tensor}"),
            },
            Some(k) => format!("{k:?}"),
            None => format!("tensor {tensor}"),
        }
    }
    fn step_vars(&self, tensor: usize) -> Option<usize> {
        let stacked = |t: usize| {
            !matches!(
                self.kinds.get(t),
                Some(TensorKind::InitialWeights(_) | TensorKind::InitialBias(_) | TensorKind::InitialSlope(_)) | None
            )
        };
        let ok = match self.kinds.get(tensor) {
            Some(TensorKind::Derived(Derivation::Digit { value, .. })) => stacked(*value),
            Some(TensorKind::Derived(Derivation::Multiplicities { .. })) => false,
            _ => stacked(tensor),
        };
        let vars = self.set.tensors.get(tensor)?.vars;
        ok.then(|| vars.saturating_sub(self.tau))
    }
}

impl TrainingLayout {
    /// [`check`] with this layout's names, steps and range digits.
    pub fn check_witness(&self, tables: &[Vec<i64>]) -> Result<(), WitnessError> {
        let derived: Vec<(usize, Derivation)> = self
            .kinds
            .iter()
            .enumerate()
            .filter_map(|(i, k)| if let TensorKind::Derived(d) = k { Some((i, *d)) } else { None })
            .collect();
        check(&self.set, tables, &derived, self)
    }
}

struct Ctx<'a> {
    names: &'a dyn Names,
}

impl Ctx<'_> {
    fn fail(&self, relation: String, tensor: usize, index: usize, detail: String) -> WitnessError {
        let (step, index) = match self.names.step_vars(tensor) {
            Some(v) if v < usize::BITS as usize => (Some(index >> v), index & ((1usize << v) - 1)),
            _ => (None, index),
        };
        WitnessError { relation, tensor: self.names.name(tensor), step, index, detail }
    }

    fn mismatch(&self, relation: String, tensor: usize, index: usize, expected: i128, found: i128) -> WitnessError {
        self.fail(relation, tensor, index, format!("expected {expected}, found {found}"))
    }
}

fn table(tables: &[Vec<i64>], t: usize) -> &[i64] {
    tables.get(t).map_or(&[], |v| v.as_slice())
}

/// Checks every relation of `set` on `tables` (one per tensor, `2^vars` entries each;
/// virtual tensors hold their values too). `derived`: the digits and multiplicities the
/// ranges introduced (their values' full widths are checked first).
pub fn check(
    set: &RelationSet,
    tables: &[Vec<i64>],
    derived: &[(usize, Derivation)],
    names: &dyn Names,
) -> Result<(), WitnessError> {
    let cx = Ctx { names };
    for (i, d) in set.tensors.iter().enumerate() {
        let len = table(tables, i).len();
        if len != 1usize << d.vars {
            return Err(cx.fail("table size".into(), i, 0, format!("{} entries, 2^{} declared", len, d.vars)));
        }
    }
    // Ranges: a value with digits against the width its digits cover.
    let mut widths: std::collections::BTreeMap<(usize, i64), u32> = Default::default();
    for (_, d) in derived {
        if let Derivation::Digit { value, offset, shift, width } = *d {
            let w = widths.entry((value, offset)).or_insert(0);
            *w = (*w).max(shift + width);
        }
    }
    for (&(value, offset), &bits) in &widths {
        in_range(&cx, tables, value, offset, bits, "range")?;
    }
    for l in &set.lookups {
        lookup(&cx, tables, l)?;
    }
    for b in &set.bools {
        if let Some((x, &v)) = table(tables, b.tensor).iter().enumerate().find(|(_, v)| !matches!(**v, 0 | 1)) {
            return Err(cx.fail("booleanity".into(), b.tensor, x, format!("{v} is not 0 or 1")));
        }
    }
    for v in &set.virtuals {
        affine(&cx, tables, "virtual tensor", v.tensor, &v.terms, v.constant)?;
    }
    for l in set.linears.iter().chain(&set.homomorphic) {
        // `sum c_k T_k + constant = 0`: the first term against the rest
        let Some(&(first, c0)) = l.terms.first() else { continue };
        let n = table(tables, first).len();
        for x in 0..n {
            let sum: i128 =
                l.terms.iter().map(|&(t, c)| c as i128 * at(tables, t, x)).sum::<i128>() + l.constant as i128;
            if sum != 0 {
                let found = c0 as i128 * at(tables, first, x);
                let relation = format!("linear relation over {}", term_names(names, &l.terms));
                return Err(cx.mismatch(relation, first, x, found - sum, found));
            }
        }
    }
    for m in &set.masks {
        let (cq, out) = (table(tables, m.cq), table(tables, m.out));
        let p0 = (m.plane as usize) * cq.len();
        for (x, (&c, &o)) in cq.iter().zip(out).enumerate() {
            let s = at(tables, m.planes, p0 + x);
            let relation = || format!("mask {} = {} ⊙ {}", names.name(m.out), names.name(m.planes), names.name(m.cq));
            match m.rescale {
                None if o as i128 != s * c as i128 => {
                    return Err(cx.mismatch(relation(), m.out, x, s * c as i128, o as i128));
                }
                Some((spec, rem)) => {
                    let (want, want_rem) = spec.round(s * c as i128);
                    if o as i128 != want {
                        return Err(cx.mismatch(relation(), m.out, x, want, o as i128));
                    }
                    if at(tables, rem, x) != want_rem {
                        return Err(cx.mismatch(relation(), rem, x, want_rem, at(tables, rem, x)));
                    }
                }
                None => {}
            }
        }
    }
    for (k, m) in set.matmuls.iter().enumerate() {
        matmul(&cx, tables, k, m)?;
    }
    for p in set.paddings.iter().chain(&set.zero_rows) {
        padding(&cx, tables, p)?;
    }
    for (i, t) in set.tables.iter().enumerate() {
        let relation = format!("multiplicities of {}", t.table.name());
        let count =
            set.multiplicities(i, tables).map_err(|e| cx.fail(relation.clone(), t.multiplicities, 0, e.to_string()))?;
        let m = table(tables, t.multiplicities);
        if let Some((x, (&want, &got))) = count.iter().zip(m).enumerate().find(|(_, (a, b))| a != b) {
            return Err(cx.mismatch(relation, t.multiplicities, x, want as i128, got as i128));
        }
    }
    Ok(())
}

fn at(tables: &[Vec<i64>], t: usize, x: usize) -> i128 {
    table(tables, t).get(x).copied().unwrap_or(0) as i128
}

fn term_names(names: &dyn Names, terms: &[(usize, i64)]) -> String {
    terms.iter().map(|&(t, c)| format!("{c} {}", names.name(t))).collect::<Vec<_>>().join(", ")
}

/// Every tuple of `l` is a row of its table.
fn lookup(cx: &Ctx<'_>, tables: &[Vec<i64>], l: &LookupRel) -> Result<(), WitnessError> {
    if let (Some(width), [(t, offset)]) = (l.table.range_width(), l.columns.as_slice()) {
        return in_range(cx, tables, *t, *offset, width, "lookup");
    }
    let Some(&(first, _)) = l.columns.first() else { return Ok(()) };
    let mut tuple = Vec::with_capacity(l.columns.len());
    for x in 0..table(tables, first).len() {
        tuple.clear();
        tuple.extend(l.columns.iter().map(|&(t, o)| at(tables, t, x) + o as i128));
        let row: Option<Vec<i64>> = tuple.iter().map(|&v| i64::try_from(v).ok()).collect();
        if row.and_then(|r| l.table.row_of(&r)).is_none() {
            let what = format!("lookup into {}", l.table.name());
            return Err(cx.fail(what, first, x, format!("{tuple:?} is not a row of the table")));
        }
    }
    Ok(())
}

fn in_range(
    cx: &Ctx<'_>,
    tables: &[Vec<i64>],
    t: usize,
    offset: i64,
    bits: u32,
    what: &str,
) -> Result<(), WitnessError> {
    let hi = 1i128 << bits;
    let bad = table(tables, t).iter().enumerate().find(|(_, &v)| !(0..hi).contains(&(v as i128 + offset as i128)));
    match bad {
        Some((x, &v)) => {
            Err(cx.fail(format!("{what} of {bits} bits"), t, x, format!("{v} + {offset} is outside [0, 2^{bits})")))
        }
        None => Ok(()),
    }
}

fn affine(
    cx: &Ctx<'_>,
    tables: &[Vec<i64>],
    what: &str,
    tensor: usize,
    terms: &[(usize, i64)],
    constant: i64,
) -> Result<(), WitnessError> {
    for (x, &v) in table(tables, tensor).iter().enumerate() {
        let want: i128 = terms.iter().map(|&(t, c)| c as i128 * at(tables, t, x)).sum::<i128>() + constant as i128;
        if want != v as i128 {
            let relation = format!("{what} {} = {}", cx.names.name(tensor), term_names(cx.names, terms));
            return Err(cx.mismatch(relation, tensor, x, want, v as i128));
        }
    }
    Ok(())
}

/// `mult * (X ⊛ Y + 2^shift b) + 2^(shift-1) = 2^shift Cq + R` per instance, or the
/// exact `mult * (X ⊛ Y + b) = Cq`.
fn matmul(cx: &Ctx<'_>, tables: &[Vec<i64>], k: usize, m: &MatmulRel) -> Result<(), WitnessError> {
    let s = m.shape;
    let (ni, nj, nk) = (1usize << s.li, 1usize << s.lj, 1usize << s.lk);
    let (x, y, cq) = (table(tables, m.x), table(tables, m.y), table(tables, m.cq));
    let rem = m.rem.map(|r| table(tables, r));
    let bias = m.bias.map(|b| table(tables, b));
    let shift = m.rescale.shift;
    let mult = m.rescale.mult as i128;
    let half = if shift > 0 { 1i128 << (shift - 1) } else { 0 };
    let get = |v: &[i64], i: usize| v.get(i).copied().unwrap_or(0) as i128;
    for inst in 0..(1usize << m.tau) {
        let (xo, yo, co) = (inst << s.x_vars(), inst << s.y_vars(), inst << s.c_vars());
        for i in 0..ni {
            for kk in 0..nk {
                let dot: i128 = (0..nj).map(|j| get(x, xo + s.x_index(i, j)) * get(y, yo + s.y_index(j, kk))).sum();
                let b = bias.map_or(0, |b| get(b, (inst << s.lk) + kk));
                let c = co + (i << s.lk) + kk;
                let (lhs, rhs) = match rem {
                    Some(r) => (mult * (dot + (b << shift)) + half, (get(cq, c) << shift) + get(r, c)),
                    None => (mult * (dot + b), get(cq, c)),
                };
                if lhs != rhs {
                    let relation = format!(
                        "matmul {k} ({} from {} and {})",
                        cx.names.name(m.cq),
                        cx.names.name(m.x),
                        cx.names.name(m.y)
                    );
                    let detail = match rem {
                        Some(_) => {
                            format!("mult (X Y + 2^{shift} b) + 2^{} = {lhs}, 2^{shift} Cq + R = {rhs}", shift - 1)
                        }
                        None => format!("mult (X Y + b) = {lhs}, Cq = {rhs}"),
                    };
                    return Err(cx.fail(relation, m.cq, c, detail));
                }
            }
        }
    }
    Ok(())
}

fn padding(cx: &Ctx<'_>, tables: &[Vec<i64>], p: &PaddingRel) -> Result<(), WitnessError> {
    let v = table(tables, p.tensor);
    let block = 1usize << (p.row_vars + p.col_vars);
    for (x, &e) in v.iter().enumerate() {
        let within = x % block;
        let (r, c) = (within >> p.col_vars, within & ((1usize << p.col_vars) - 1));
        if (r >= p.rows || c >= p.cols) && e != 0 {
            let relation = format!("zero padding outside {} x {}", p.rows, p.cols);
            return Err(cx.mismatch(relation, p.tensor, x, 0, e as i128));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::{MatmulForm, MatmulShape, RescaleSpec};

    /// `Cq = round(X Y / 2)` for 2 x 2 matrices with its remainder and ranges: the honest
    /// tables pass, and each broken entry is named.
    #[test]
    fn a_product_and_its_ranges() {
        let mut set = RelationSet::default();
        let (x, y, cq, r) = (set.tensor(2, 1), set.tensor(2, 1), set.tensor(2, 1), set.tensor(2, 1));
        let shape = MatmulShape { form: MatmulForm::NN, li: 1, lj: 1, lk: 1 };
        let rescale = RescaleSpec { mult: 1, shift: 1, total_bits: 8 };
        set.matmuls.push(MatmulRel { shape, tau: 0, rescale, x, y, cq, rem: Some(r), bias: None, at: None });
        set.range(r, 1, 0, false).unwrap();
        set.range(cq, 8, 128, false).unwrap();
        let tables_of = |xv: [i64; 4], yv: [i64; 4]| {
            let mut c = [0i64; 4];
            let mut rem = [0i64; 4];
            for i in 0..2 {
                for k in 0..2 {
                    let dot: i64 = (0..2).map(|j| xv[i * 2 + j] * yv[j * 2 + k]).sum();
                    // dot + 1 = 2 cq + r
                    c[i * 2 + k] = (dot + 1).div_euclid(2);
                    rem[i * 2 + k] = (dot + 1).rem_euclid(2);
                }
            }
            vec![xv.to_vec(), yv.to_vec(), c.to_vec(), rem.to_vec()]
        };
        let honest = tables_of([1, 2, 3, 4], [5, -6, 7, 8]);
        check(&set, &honest, &[], &ByIndex).unwrap();
        let mut bad = honest.clone();
        bad[2][3] += 1;
        let e = check(&set, &bad, &[], &ByIndex).unwrap_err();
        assert!(e.relation.starts_with("matmul 0") && e.index == 3 && e.tensor == "tensor 2", "{e}");
        let wide = tables_of([100, 0, 0, 1], [3, 0, 0, 1]);
        let e = check(&set, &wide, &[], &ByIndex).unwrap_err();
        assert_eq!((e.relation.as_str(), e.index), ("lookup of 8 bits", 0), "{e}");
        assert!(e.detail.contains("150 + 128 is outside [0, 2^8)"), "{e}");
        let mut short = honest.clone();
        short[1].pop();
        assert_eq!(check(&set, &short, &[], &ByIndex).unwrap_err().relation, "table size");
    }
}
