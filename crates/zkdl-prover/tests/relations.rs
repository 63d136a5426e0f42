//! The aggregated relation system relation by relation: honest witnesses verify, and a
//! cheating witness for each relation (range, rescaled matmul with zkReLU, backward
//! mask, SGD update, linear, zero padding, stacked instances) is rejected; tampered
//! proof bytes and malformed commitments are errors, never panics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkdl_circuit::gadgets::{MatmulForm, MatmulShape, RescaleSpec};
use zkdl_circuit::relations::{
    BoolRel, Derivation, Kind, LinearRel, MaskRel, MatmulRel, PaddingRel, RelationProof, RelationSet, SetError,
};
use zkdl_circuit::witness::{self, ByIndex};
use zkdl_circuit::CircuitSpec;
use zkdl_core::pcs::{split_vars, HyraxCommitment, HyraxGenerators};
use zkdl_core::transcript::{labels, Transcript};
use zkdl_prover::data;
use zkdl_prover::relations::{commit_tensor, derive_tables, prove_relations};
use zkdl_prover::train::{self, Batch, StepTrace};
use zkdl_verifier::{verify_relations, Phase, Rejection, VerifyError};

const F: u32 = 16;
const Q: u32 = 32;
// 8 -> 8 (ReLU) -> 4, batch 4: log-dims
const LB: usize = 2;
const D: [usize; 3] = [3, 3, 2];

fn gens() -> HyraxGenerators {
    HyraxGenerators::new(b"zkdl/test/relations", 16).unwrap()
}

fn trace() -> StepTrace {
    let spec = CircuitSpec::mlp("rel", 8, &[8], 4, false, 4, 1);
    let fp = spec.fixed_point().unwrap();
    let d = data::synthetic(4, 8, 4, 3);
    let batch = Batch { x: fp.encode_slice(&d.x).unwrap(), y: fp.encode_slice(&d.y).unwrap() };
    let w0 = train::init_weights(&spec, 5).unwrap();
    train::train_traced(&spec, &w0, &[batch]).unwrap().1.remove(0)
}

/// A relation set with its tables. Derived tensors (digits, sign bits,
/// multiplicities) are computed when the case runs, after a test has mutated the
/// values; `overrides` replace derived digits (before the multiplicities are counted)
/// and `late` replace anything at the very end.
#[derive(Clone, Default)]
struct Case {
    set: RelationSet,
    tables: Vec<Vec<i64>>,
    derived: Vec<(usize, Derivation)>,
    overrides: Vec<(usize, Vec<i64>)>,
    late: Vec<(usize, Vec<i64>)>,
}

impl Case {
    fn tensor(&mut self, table: Vec<i64>) -> usize {
        let vars = table.len().trailing_zeros() as usize;
        self.tables.push(table);
        self.set.tensor(vars, split_vars(vars).1)
    }

    /// A range relation; returns the sign tensor when asked for.
    fn range(&mut self, value: usize, bits: u32, offset: i64, sign: bool) -> Option<usize> {
        self.range_v(value, bits, offset, sign, false)
    }

    /// A range relation, the value made virtual when `virt`.
    fn range_v(&mut self, value: usize, bits: u32, offset: i64, sign: bool, virt: bool) -> Option<usize> {
        let r = self.set.range_with(value, bits, offset, sign, virt).unwrap();
        for d in &r.derived {
            self.tables.push(Vec::new());
            self.derived.push(*d);
        }
        r.sign
    }

    /// The case with its lookup tables declared.
    fn finalized(&self) -> Case {
        let mut c = self.clone();
        if c.set.tables.is_empty() {
            for d in c.set.declare_tables() {
                c.tables.push(Vec::new());
                c.derived.push(d);
            }
        }
        c
    }

    /// Index of the multiplicities tensor of `width` (after [`Case::finalized`]).
    fn multiplicities(&self, width: u32) -> usize {
        self.set.tables.iter().find(|t| t.table.range_width() == Some(width)).unwrap().multiplicities
    }

    fn materialize(&self) -> Vec<Vec<i64>> {
        let mut tables = self.tables.clone();
        let (mults, digits): (Vec<_>, Vec<_>) =
            self.derived.iter().partition(|(_, d)| matches!(d, Derivation::Multiplicities { .. }));
        derive_tables(&self.set, &mut tables, &digits).unwrap();
        for (i, v) in &self.overrides {
            tables[*i] = v.clone();
        }
        derive_tables(&self.set, &mut tables, &mults).unwrap();
        for (i, v) in &self.late {
            tables[*i] = v.clone();
        }
        tables
    }

    /// Prove a finalized case.
    fn prove(&self, g: &HyraxGenerators) -> (Vec<HyraxCommitment>, RelationProof) {
        let tables = self.materialize();
        let comms: Vec<HyraxCommitment> =
            tables.iter().enumerate().map(|(i, t)| commit_tensor(g, &self.set, i, t).unwrap()).collect();
        let refs: Vec<&[i64]> = tables.iter().map(|t| t.as_slice()).collect();
        let crefs: Vec<&HyraxCommitment> = comms.iter().collect();
        let mut t = Transcript::new(labels::TEST);
        let mut rng = StdRng::seed_from_u64(7);
        let p = prove_relations(g, None, &mut t, &self.set, &refs, &crefs, &mut rng, &mut Default::default()).unwrap();
        (comms, p)
    }

    fn verify(&self, g: &HyraxGenerators, comms: &[HyraxCommitment], p: &RelationProof) -> Result<(), VerifyError> {
        let crefs: Vec<&HyraxCommitment> = comms.iter().collect();
        verify_relations(g, &mut Transcript::new(labels::TEST), &self.set, &crefs, p)
    }

    fn run(&self, g: &HyraxGenerators) -> Result<(), VerifyError> {
        let c = self.finalized();
        let (comms, p) = c.prove(g);
        c.verify(g, &comms, &p)
    }
}

/// Indices of the forward case's tensors.
struct Fwd {
    x: usize,
    w: usize,
    zq: usize,
    rem: usize,
    act: usize,
    zq_sign: usize,
}

fn forward(tr: &StepTrace) -> (Case, Fwd) {
    let l = &tr.layers[0];
    let mut c = Case::default();
    let x = c.tensor(l.a_in.clone());
    let w = c.tensor(l.w_before.w.clone());
    let zq = c.tensor(l.zq.clone());
    let rem = c.tensor(l.zr.clone());
    let act = c.tensor(l.a_out.clone());
    c.range(rem, F, 0, false);
    let zq_sign = c.range(zq, Q, 1 << (Q - 1), true).unwrap();
    let shape = MatmulShape { form: MatmulForm::NN, li: LB, lj: D[0], lk: D[1] };
    let rescale = RescaleSpec { mult: 1, shift: F, total_bits: Q };
    c.set.matmuls.push(MatmulRel { shape, tau: 0, rescale, x, y: w, cq: zq, rem: Some(rem), bias: None, at: None });
    c.set.masks.push(MaskRel { cq: zq, out: act, planes: zq_sign, plane: 0, rescale: None });
    (c, Fwd { x, w, zq, rem, act, zq_sign })
}

/// Asserts that `r` rejects in `phase`, the way `how`.
#[track_caller]
fn rejects(r: Result<(), VerifyError>, phase: Phase, how: Rejection, what: &str) {
    match r {
        Err(e) => assert_eq!((e.phase(), e.how()), (Some(phase), how), "{what}: {e}"),
        Ok(()) => panic!("{what} accepted"),
    }
}

/// The rejection of one relation checked alone.
fn relation(phase: Phase, relation: usize, tensor: usize, check: &'static str) -> Result<(), VerifyError> {
    Err(VerifyError::Relation { phase, relation, tensor: format!("tensor {tensor}"), check })
}

const MULTISET: &str = "the multiset of a table";
const WEIGHTED: &str = "the weighted sum is not zero";

fn first(v: &[i64], pred: impl Fn(i64) -> bool) -> usize {
    v.iter().position(|&x| pred(x)).unwrap()
}

#[test]
fn forward_with_zkrelu_honest_and_cheats() {
    let g = gens();
    let tr = trace();
    let (c, _) = forward(&tr);
    c.run(&g).unwrap();
    let check = |what: &str, (phase, how): (Phase, Rejection), mutate: &dyn Fn(&mut Case, &Fwd)| {
        let (mut c, ix) = forward(&tr);
        mutate(&mut c, &ix);
        rejects(c.run(&g), phase, how, what);
    };
    let (mask, lookup) = ((Phase::Mask, Rejection::RoundSum), (Phase::Lookup, Rejection::Relation));
    let (product, linear) = ((Phase::Matmul, Rejection::FinalClaim), (Phase::Linear, Rejection::Relation));
    check("a negative value passed through ReLU", mask, &|c, ix| {
        let x = first(&c.tables[ix.zq], |v| v < 0);
        c.tables[ix.act][x] = c.tables[ix.zq][x];
    });
    check("a positive value zeroed", mask, &|c, ix| {
        let x = first(&c.tables[ix.zq], |v| v > 0);
        c.tables[ix.act][x] = 0;
    });
    check("a flipped sign bit", linear, &|c, ix| {
        let x = first(&c.tables[ix.zq], |v| v < 0);
        let mut sign: Vec<i64> = c.tables[ix.zq].iter().map(|&v| (v >= 0) as i64).collect();
        sign[x] = 1;
        c.tables[ix.act][x] = c.tables[ix.zq][x];
        c.overrides.push((ix.zq_sign, sign));
    });
    check("remainder out of range (R + 2^f with Z' - 1)", lookup, &|c, ix| {
        let x = first(&c.tables[ix.zq], |v| v > 1);
        c.tables[ix.rem][x] += 1 << F;
        c.tables[ix.zq][x] -= 1;
        c.tables[ix.act][x] = c.tables[ix.zq][x];
    });
    check("a wrong rescaled value", product, &|c, ix| {
        c.tables[ix.zq][1] += 1;
        c.tables[ix.act][1] = c.tables[ix.zq][1].max(0);
    });
    check("other input data", product, &|c, ix| c.tables[ix.x][0] += 1 << 12);
    check("other weights", product, &|c, ix| c.tables[ix.w][3] -= 1);
}

#[test]
fn backward_mask_must_use_the_forward_sign_bits() {
    let g = gens();
    let tr = trace();
    let build = |out: Option<Vec<i64>>, fake_signs: bool| {
        let (mut c, ix) = forward(&tr);
        let l1 = &tr.layers[1];
        let gl = c.tensor(l1.g.clone());
        let w1 = c.tensor(l1.w_before.w.clone());
        let gaq = c.tensor(l1.gaq.clone());
        let gar = c.tensor(l1.gar.clone());
        let g0 = c.tensor(out.unwrap_or_else(|| tr.layers[0].g.clone()));
        c.range(gar, F, 0, false);
        c.range(gaq, Q, 1 << (Q - 1), false);
        let shape = MatmulShape { form: MatmulForm::NT, li: LB, lj: D[2], lk: D[1] };
        let rescale = RescaleSpec { mult: 1, shift: F, total_bits: Q };
        c.set.matmuls.push(MatmulRel {
            shape,
            tau: 0,
            rescale,
            x: gl,
            y: w1,
            cq: gaq,
            rem: Some(gar),
            bias: None,
            at: None,
        });
        let planes = if fake_signs {
            // sign bits of the prover's choosing (all ones), committed separately
            c.tensor(vec![1; tr.layers[0].zq.len()])
        } else {
            ix.zq_sign
        };
        c.set.masks.push(MaskRel { cq: gaq, out: g0, planes, plane: 0, rescale: None });
        (c, ix.zq_sign)
    };
    build(None, false).0.run(&g).unwrap();
    // a gradient that ignores the ReLU mask in one entry
    let sign: Vec<bool> = tr.layers[0].zq.iter().map(|&v| v >= 0).collect();
    let gaq = &tr.layers[1].gaq;
    let x = (0..sign.len()).find(|&x| !sign[x] && gaq[x] != 0).expect("a masked entry with a non-zero gradient");
    let mut out = tr.layers[0].g.clone();
    out[x] = gaq[x];
    rejects(build(Some(out), false).0.run(&g), Phase::Mask, Rejection::RoundSum, "unmasked gradient");
    // unmasked gradient with all-one sign planes: consistent with those planes, but
    // those are not the forward pass's committed sign bits
    let (c, forward_sign) = build(Some(gaq.clone()), true);
    c.run(&g).unwrap();
    let mut c2 = c.clone();
    let last = c2.set.masks.len() - 1;
    c2.set.masks[last].planes = forward_sign;
    rejects(c2.run(&g), Phase::Mask, Rejection::RoundSum, "unmasked gradient against the forward sign bits");
}

fn update_v(tr: &StepTrace, virt: bool) -> (Case, [usize; 4]) {
    let l = &tr.layers[1];
    let mut c = Case::default();
    let a = c.tensor(l.a_in.clone());
    let gr = c.tensor(l.g.clone());
    let dw = c.tensor(l.dw.clone());
    let dwr = c.tensor(l.dwr.clone());
    let e = 8; // CircuitSpec::mlp's learning rate 2^-8
    c.range_v(dwr, F + e, 0, false, virt);
    c.range_v(dw, Q, 1 << (Q - 1), false, virt);
    let shape = MatmulShape { form: MatmulForm::TN, li: D[1], lj: LB, lk: D[2] };
    let rescale = RescaleSpec { mult: 1, shift: F + e, total_bits: Q };
    c.set.matmuls.push(MatmulRel { shape, tau: 0, rescale, x: a, y: gr, cq: dw, rem: Some(dwr), bias: None, at: None });
    (c, [a, gr, dw, dwr])
}

#[test]
fn sgd_update_honest_and_cheats() {
    let g = gens();
    let tr = trace();
    for virt in [false, true] {
        let (c, [_, _, dw, dwr]) = update_v(&tr, virt);
        assert_eq!(c.set.is_virtual(dw) && c.set.is_virtual(dwr), virt);
        c.run(&g).unwrap();
    }
    // (phase, how) with dW committed, and with dW virtual
    type Expected = [(Phase, Rejection); 2];
    let check = |what: &str, expected: Expected, mutate: &dyn Fn(&mut Case, [usize; 4])| {
        for (virt, (phase, how)) in [false, true].into_iter().zip(expected) {
            let (mut c, ix) = update_v(&tr, virt);
            mutate(&mut c, ix);
            rejects(c.run(&g), phase, how, &format!("{what} (virtual: {virt})"));
        }
    };
    let product = (Phase::Matmul, Rejection::FinalClaim);
    check("an update off by one", [product, product], &|c, [_, _, dw, _]| c.tables[dw][5] += 1);
    let recomposed = [(Phase::Linear, Rejection::Relation), (Phase::VirtualTensor, Rejection::Relation)];
    check("rounding remainder out of range", recomposed, &|c, [_, _, dw, dwr]| {
        c.tables[dwr][2] += 1 << (F + 8);
        c.tables[dw][2] -= 1;
    });
    check("a wrong gradient entry", [product, product], &|c, [_, gr, _, _]| c.tables[gr][0] += 1);
}

#[test]
fn range_cheats_are_rejected() {
    let g = gens();
    let mut rng = StdRng::seed_from_u64(2);
    let len = 16usize;
    // (value table, bits, offset, sign)
    let case = |values: Vec<i64>, bits: u32, offset: i64, sign: bool| {
        let mut c = Case::default();
        let v = c.tensor(values);
        let s = c.range(v, bits, offset, sign);
        (c, v, s)
    };
    let small: Vec<i64> = (0..len).map(|_| rng.gen_range(0..1 << 16)).collect();
    let signed: Vec<i64> = (0..len).map(|_| rng.gen_range(-(1i64 << 31)..1 << 31)).collect();
    let wide: Vec<i64> = (0..len).map(|_| rng.gen_range(0..1 << 24)).collect();
    case(small.clone(), 16, 0, false).0.run(&g).unwrap();
    case(signed.clone(), 32, 1 << 31, true).0.run(&g).unwrap();
    case(signed.clone(), 32, 1 << 31, false).0.run(&g).unwrap();
    case(wide.clone(), 24, 0, false).0.run(&g).unwrap();
    case(small.iter().map(|v| v & 0x1ff).collect(), 9, 0, false).0.run(&g).unwrap();
    // a value 2^16 in a 16-bit range (direct lookup), a negative one (wraps to p - 1)
    let mut v = small.clone();
    v[5] = 1 << 16;
    assert_eq!(case(v, 16, 0, false).0.run(&g), relation(Phase::Lookup, 0, 1, MULTISET), "2^k");
    let mut v = small.clone();
    v[5] = -1;
    assert_eq!(case(v, 16, 0, false).0.run(&g), relation(Phase::Lookup, 0, 1, MULTISET), "a negative value");
    // a 2^24 value split into in-range-looking digits: the top digit is 2^8
    let mut v = wide.clone();
    v[3] = 1 << 24;
    assert_eq!(case(v, 24, 0, false).0.run(&g), relation(Phase::Linear, 0, 0, WEIGHTED), "2^k in two digits");
    // a digit out of its table with the recomposition kept: d0 + 2^16, d1 - 1
    let (mut c, _, _) = case(wide.clone(), 24, 0, false);
    let x = first(&wide, |w| w >= 1 << 16);
    let mut d0: Vec<i64> = wide.iter().map(|w| w & 0xffff).collect();
    let mut d1: Vec<i64> = wide.iter().map(|w| w >> 16).collect();
    d0[x] += 1 << 16;
    d1[x] -= 1;
    let (i0, i1) = (c.derived[0].0, c.derived[1].0);
    c.overrides.push((i0, d0));
    c.overrides.push((i1, d1));
    assert_eq!(c.run(&g), relation(Phase::Lookup, 1, 4, MULTISET), "out-of-table digit");
    // a sign bit that does not match the value (recomposition breaks)
    let (mut c, _, s) = case(signed.clone(), 32, 1 << 31, true);
    let mut sign: Vec<i64> = signed.iter().map(|&v| (v >= 0) as i64).collect();
    sign[0] = 1 - sign[0];
    c.overrides.push((s.unwrap(), sign));
    assert_eq!(c.run(&g), relation(Phase::Linear, 0, 0, WEIGHTED), "wrong sign bit");
    // a non-boolean "bit"
    let mut c = Case::default();
    let b = c.tensor(vec![0, 1, 1, 0, 2, 1, 0, 0]);
    c.set.bools.push(BoolRel { tensor: b });
    rejects(c.run(&g), Phase::Booleanity, Rejection::RoundSum, "a non-boolean bit");
    // wrong multiplicities
    let c = case(small.clone(), 16, 0, false).0.finalized();
    let m = c.multiplicities(16);
    let mut bad = c.clone();
    let mut mt = c.materialize()[m].clone();
    let t = mt.iter().position(|&k| k > 0).unwrap();
    mt[t] -= 1;
    let n = mt.len();
    mt[(t + 1) % n] += 1;
    bad.late.push((m, mt));
    assert_eq!(bad.run(&g), relation(Phase::Lookup, 0, 1, MULTISET), "wrong multiplicities");
}

/// LogUp trees of every depth in one batch (a lookup's tree keeps only its upper
/// layers and regenerates the two widest from the values, the layer above the leaves
/// read from the integers): 1 to 64 values, honest and with one out-of-range value
/// (small or wide) in a tree of each depth.
#[test]
fn lookup_trees_of_every_depth() {
    let g = gens();
    let mut rng = StdRng::seed_from_u64(3);
    let sizes = [1usize, 2, 4, 8, 16, 64];
    let values: Vec<Vec<i64>> = sizes.iter().map(|&n| (0..n).map(|_| rng.gen_range(0..1 << 10)).collect()).collect();
    let case = |values: &[Vec<i64>]| {
        let mut c = Case::default();
        for v in values {
            let t = c.tensor(v.clone());
            c.range(t, 10, 0, false);
        }
        c
    };
    case(&values).run(&g).unwrap();
    for (k, &n) in sizes.iter().enumerate() {
        // just out of range, and far out (the layer above the leaves then leaves the
        // integer path, which needs leaves below 2^17)
        for wrong in [1 << 10, -(1 << 40)] {
            let mut bad = values.clone();
            bad[k][n - 1] = wrong;
            let what = format!("out-of-range value {wrong} in a tree of {n} leaves");
            assert_eq!(case(&bad).run(&g), relation(Phase::Lookup, 0, 6, MULTISET), "{what}");
        }
    }
}

#[test]
fn linear_padding_and_stacks() {
    let g = gens();
    // linear: A - B + C = 0
    let lin = |c_val: Vec<i64>| {
        let mut c = Case::default();
        let a = c.tensor(vec![5, 7, -3, 2]);
        let b = c.tensor(vec![6, 9, -3, 0]);
        let cc = c.tensor(c_val);
        c.set.linears.push(LinearRel { terms: vec![(a, 1), (b, -1), (cc, 1)], constant: 0 });
        c
    };
    lin(vec![1, 2, 0, -2]).run(&g).unwrap();
    assert_eq!(lin(vec![1, 2, 0, -1]).run(&g), relation(Phase::Linear, 0, 0, WEIGHTED));
    // with a constant: A - 5 = 0
    let konst = |k: i64| {
        let mut c = Case::default();
        let a = c.tensor(vec![5; 4]);
        c.set.linears.push(LinearRel { terms: vec![(a, 1)], constant: k });
        c
    };
    konst(-5).run(&g).unwrap();
    assert_eq!(konst(-4).run(&g), relation(Phase::Linear, 0, 0, WEIGHTED));
    // the same relations checked on the commitments, with a virtual term (digits and
    // an offset): A - B + C + 3 = 0, C virtual over its 16-bit digits
    let homo = |c_val: Vec<i64>, k: i64| {
        let mut c = Case::default();
        let a = c.tensor(vec![5, 7, -3, 2]);
        let b = c.tensor(vec![6, 9, -3, 0]);
        let cc = c.tensor(c_val);
        c.range_v(cc, 32, 1 << 31, false, true);
        c.set.homomorphic.push(LinearRel { terms: vec![(a, 1), (b, -1), (cc, 1)], constant: k });
        assert!(c.set.checkable_on_commitments(&c.set.homomorphic[0]));
        c
    };
    homo(vec![-2, -1, -3, -5], 3).run(&g).unwrap();
    for bad in [homo(vec![-2, -1, -3, -4], 3), homo(vec![-2, -1, -3, -5], 2)] {
        let nonzero = "the combined commitment is not zero";
        assert_eq!(bad.run(&g), relation(Phase::LinearOnCommitments, 0, 0, nonzero));
    }
    // tensors of different column splits cannot be checked on commitments
    let mut c = Case::default();
    let a = c.tensor(vec![1; 16]);
    let b = c.tensor(vec![1; 16]);
    c.set.tensors[b].col_vars = 4;
    let l = LinearRel { terms: vec![(a, 1), (b, -1)], constant: 0 };
    assert!(!c.set.checkable_on_commitments(&l));
    c.set.homomorphic.push(l);
    let bad = SetError::Relation { kind: Kind::Homomorphic, index: 0, what: "tensors of different shapes" };
    assert_eq!(c.set.validate(), Err(bad), "a set with it is invalid (prover and verifier refuse it)");
    // zero padding of a stack of two 4x4 matrices whose real block is 3x2
    let pad = |extra: Option<usize>| {
        let mut c = Case::default();
        let mut table = vec![0i64; 32];
        for s in 0..2 {
            for i in 0..3 {
                for j in 0..2 {
                    table[s * 16 + i * 4 + j] = (s * 7 + i * 3 + j) as i64 + 1;
                }
            }
        }
        if let Some(x) = extra {
            table[x] = 9;
        }
        let t = c.tensor(table);
        c.set.paddings.push(PaddingRel { tensor: t, rows: 3, cols: 2, row_vars: 2, col_vars: 2 });
        c
    };
    pad(None).run(&g).unwrap();
    let padding = (Phase::Padding, Rejection::RoundSum);
    rejects(pad(Some(16 + 3 * 4 + 1)).run(&g), padding.0, padding.1, "non-zero padding in the second instance");
    rejects(pad(Some(2)).run(&g), padding.0, padding.1, "non-zero padding column");
    // the same on the commitment: two stacked 8x4 matrices, real block 6x4, Hyrax rows of
    // two matrix rows (split 3): rows 3 and 7 of the commitment must be the identity
    let zero_rows = |extra: Option<usize>| {
        let mut c = Case::default();
        let mut table = vec![0i64; 64];
        for s in 0..2 {
            for e in 0..24 {
                table[s * 32 + e] = (s * 5 + e) as i64 + 1;
            }
        }
        if let Some(x) = extra {
            table[x] = -4;
        }
        let t = c.tensor(table);
        assert_eq!(c.set.tensors[t].col_vars, 3);
        let p = PaddingRel { tensor: t, rows: 6, cols: 4, row_vars: 3, col_vars: 2 };
        assert_eq!(p.zero_rows(6, 3), Some(vec![3, 7]));
        c.set.zero_rows.push(p);
        c
    };
    zero_rows(None).run(&g).unwrap();
    for x in [24, 31, 32 + 27] {
        let nonzero = relation(Phase::PaddingOnCommitments, 0, 0, "a row of padding is not zero");
        assert_eq!(zero_rows(Some(x)).run(&g), nonzero, "non-zero padding entry {x} on commitments");
    }
    // a padding that cuts Hyrax rows cannot be checked on commitments
    let mut c = zero_rows(None);
    c.set.zero_rows[0].rows = 5;
    let bad = SetError::Relation { kind: Kind::ZeroRows, index: 0, what: "the padding is not whole rows" };
    assert_eq!(c.set.validate(), Err(bad));
    // a stacked matmul (two instances): a wrong value in the second instance only
    let tr = trace();
    let stacked = |bump: bool| {
        let l = &tr.layers[1];
        let mut c = Case::default();
        let twice = |v: &Vec<i64>| [v.clone(), v.clone()].concat();
        let a = c.tensor(twice(&l.a_in));
        let gr = c.tensor(twice(&l.g));
        let mut dwv = twice(&l.dw);
        if bump {
            let n = l.dw.len();
            dwv[n + 3] += 1;
        }
        let dw = c.tensor(dwv);
        let dwr = c.tensor(twice(&l.dwr));
        c.range(dwr, F + 8, 0, false);
        c.range(dw, Q, 1 << (Q - 1), false);
        let shape = MatmulShape { form: MatmulForm::TN, li: D[1], lj: LB, lk: D[2] };
        let rescale = RescaleSpec { mult: 1, shift: F + 8, total_bits: Q };
        c.set.matmuls.push(MatmulRel {
            shape,
            tau: 1,
            rescale,
            x: a,
            y: gr,
            cq: dw,
            rem: Some(dwr),
            bias: None,
            at: None,
        });
        c
    };
    stacked(false).run(&g).unwrap();
    let what = "a wrong update in the second stacked instance";
    rejects(stacked(true).run(&g), Phase::Matmul, Rejection::FinalClaim, what);
}

#[test]
fn malformed_inputs_are_errors() {
    let g = gens();
    let tr = trace();
    let c = forward(&tr).0.finalized();
    let (comms, p) = c.prove(&g);
    c.verify(&g, &comms, &p).unwrap();
    // wrong number of commitments, wrong row count
    assert_eq!(c.verify(&g, &comms[1..], &p), Err(VerifyError::Shape("number of tensor commitments")));
    let mut bad = comms.clone();
    bad[2].rows.pop();
    assert_eq!(c.verify(&g, &bad, &p), Err(VerifyError::Shape("rows of a tensor commitment")));
    // a relation set that does not fit the tensors
    let mut c2 = c.clone();
    c2.set.masks[0].plane = 1;
    let bad = SetError::Relation { kind: Kind::Mask, index: 0, what: "plane index" };
    assert_eq!(c2.verify(&g, &comms, &p), Err(VerifyError::Set(bad)));
    // byte flips and truncations of the proof
    let mut bytes = Vec::new();
    p.serialize_compressed(&mut bytes).unwrap();
    let step = (bytes.len() / 300).max(1);
    for pos in (0..bytes.len()).step_by(step) {
        let mut b = bytes.clone();
        b[pos] ^= 1 << (pos % 8);
        if let Ok(q) = RelationProof::deserialize_compressed(&b[..]) {
            assert!(c.verify(&g, &comms, &q).is_err(), "byte {pos}");
        }
    }
    for cut in (0..bytes.len()).step_by(step) {
        assert!(RelationProof::deserialize_compressed(&bytes[..cut]).is_err());
    }
    // values moved between phases
    let mut q = p.clone();
    q.matmul.post.swap(0, 1);
    assert!(c.verify(&g, &comms, &q).is_err());
    let mut q = p.clone();
    q.mask.pre.push(q.mask.pre[0]);
    assert!(matches!(c.verify(&g, &comms, &q), Err(VerifyError::Shape(_))));
}

/// The claim reduction (phase 8) alone, with chosen claims: tensors of different column
/// splits at one point (one row, one column), a tensor claimed twice at one point and at
/// several points, points sharing their row part, sizes that differ. Honest claims
/// verify; a false claim, tables other than the committed ones, and tampered values
/// are rejected; a truncated reduction is an error.
#[test]
fn claim_reduction_over_mixed_splits_and_points() {
    use zkdl_circuit::relations::OpeningProof;
    use zkdl_core::field::Fr;
    use zkdl_core::mle::evaluate_i64;
    use zkdl_prover::relations::prove_claims;
    use zkdl_verifier::relations::verify_claim_reduction;
    let g = gens();
    let mut rng = StdRng::seed_from_u64(12);
    // (vars, col_vars)
    let shapes = [(6usize, 3usize), (6, 6), (6, 0), (9, 4), (2, 1), (6, 3)];
    let mut set = RelationSet::default();
    let mut tables: Vec<Vec<i64>> = Vec::new();
    for &(v, c) in &shapes {
        set.tensor(v, c);
        let mut t: Vec<i64> = (0..1usize << v).map(|_| rng.gen_range(-(1i64 << 40)..1i64 << 40)).collect();
        t[0] = i64::MIN + 1;
        tables.push(t);
    }
    let rand_point = |rng: &mut StdRng, n: usize| -> Vec<Fr> { (0..n).map(|_| Fr::from(rng.gen::<u64>())).collect() };
    let p1 = rand_point(&mut rng, 6);
    let p2 = rand_point(&mut rng, 6);
    // p1's row part (for the split 3) with other column variables
    let mut p3 = rand_point(&mut rng, 3);
    p3.extend_from_slice(&p1[3..]);
    let (q1, q2, q3) = (rand_point(&mut rng, 9), rand_point(&mut rng, 9), rand_point(&mut rng, 2));
    let at = [
        (0, &p1),
        (1, &p1),
        (2, &p1),
        (0, &p1),
        (5, &p1),
        (0, &p2),
        (5, &p2),
        (2, &p2),
        (5, &p3),
        (3, &q1),
        (3, &q2),
        (4, &q3),
        (0, &p3),
        (1, &p2),
    ];
    let honest: Vec<(usize, Vec<Fr>, Fr)> =
        at.iter().map(|&(i, p)| (i, p.clone(), evaluate_i64(&tables[i], p))).collect();
    let commit = |tabs: &[Vec<i64>]| -> Vec<HyraxCommitment> {
        tabs.iter().enumerate().map(|(i, t)| commit_tensor(&g, &set, i, t).unwrap()).collect()
    };
    let comms = commit(&tables);
    let prove = |tabs: &[Vec<i64>], claims: &[(usize, Vec<Fr>, Fr)]| -> OpeningProof {
        let refs: Vec<&[i64]> = tabs.iter().map(|t| t.as_slice()).collect();
        let crefs: Vec<&HyraxCommitment> = comms.iter().collect();
        let mut r = StdRng::seed_from_u64(3);
        prove_claims(
            &g,
            &mut Transcript::new(labels::TEST),
            &set,
            &refs,
            &crefs,
            claims,
            &mut r,
            &mut Default::default(),
        )
        .unwrap()
    };
    let verify = |claims: &[(usize, Vec<Fr>, Fr)], p: &OpeningProof| {
        let crefs: Vec<&HyraxCommitment> = comms.iter().collect();
        verify_claim_reduction(&g, &mut Transcript::new(labels::TEST), &set, &crefs, claims, p)
    };
    let p = prove(&tables, &honest);
    verify(&honest, &p).unwrap();
    // the layout: one column instance per (split, point), one row instance per row point
    assert_eq!(p.columns.post.len(), 13, "values per (instance, distinct tensor)");
    assert_eq!(p.rows.post.len(), shapes.len(), "one final value per claimed tensor");
    // a false claim (each in turn), the prover running on it
    for k in 0..honest.len() {
        let mut bad = honest.clone();
        bad[k].2 += Fr::from(1u64);
        let q = prove(&tables, &bad);
        assert!(verify(&bad, &q).is_err(), "false claim {k} accepted");
    }
    // tables that are not the committed ones, the claims true for them
    let mut other = tables.clone();
    other[3][77] += 1;
    let claims: Vec<(usize, Vec<Fr>, Fr)> =
        at.iter().map(|&(i, p)| (i, p.clone(), evaluate_i64(&other[i], p))).collect();
    match verify(&claims, &prove(&other, &claims)) {
        Err(VerifyError::Opening { .. }) => {}
        other => panic!("a table other than the committed one: {other:?}"),
    }
    // tampered values of either stage
    for stage in 0..2 {
        let n = if stage == 0 { p.columns.post.len() } else { p.rows.post.len() };
        for j in 0..n {
            let mut q = p.clone();
            let v = if stage == 0 { &mut q.columns.post[j] } else { &mut q.rows.post[j] };
            *v += Fr::from(1u64);
            match verify(&honest, &q) {
                Err(VerifyError::FinalClaim { phase, .. }) => assert_eq!(phase, Phase::ClaimReduction),
                other => panic!("stage {stage} value {j} tampered: {other:?}"),
            }
        }
    }
    // truncated: a value or a round missing
    let mut q = p.clone();
    q.rows.post.pop();
    assert!(matches!(verify(&honest, &q), Err(VerifyError::Shape(_))));
    let mut q = p.clone();
    q.columns.sumcheck.rounds.pop();
    assert!(verify(&honest, &q).is_err());
    let mut q = p.clone();
    q.openings.pop();
    assert!(verify(&honest, &q).is_err());
    let mut q = p.clone();
    q.rows.sumcheck.rounds[0][1] += Fr::from(1u64);
    assert!(verify(&honest, &q).is_err(), "a row-stage round tampered");
    // no claims: nothing is sent, and a reduction with anything in it is refused
    let none = prove(&tables, &[]);
    assert_eq!(none, OpeningProof::default());
    verify(&[], &none).unwrap();
    assert!(verify(&[], &p).is_err());
    // stages without variables: claims only on the one-row tensor (a row stage of no
    // rounds) or only on the one-column tensor (a column stage of no rounds)
    for t in [1usize, 2] {
        let only: Vec<(usize, Vec<Fr>, Fr)> = honest.iter().filter(|c| c.0 == t).cloned().collect();
        assert!(only.len() >= 2);
        let q = prove(&tables, &only);
        let empty = if t == 1 { &q.rows } else { &q.columns };
        assert!(empty.sumcheck.rounds.is_empty(), "tensor {t}");
        verify(&only, &q).unwrap();
        let mut bad = only.clone();
        bad[1].2 += Fr::from(1u64);
        assert!(verify(&bad, &prove(&tables, &bad)).is_err(), "tensor {t}: a false claim");
    }
}

/// A gradient through an activation's derivative: `Out = round(G ⊙ D / 2^f)` with its
/// remainder, as a rescaled elementwise product.
fn derivative_product(seed: u64) -> (Case, [usize; 4]) {
    let mut rng = StdRng::seed_from_u64(seed);
    let n = 64;
    let gv: Vec<i64> = (0..n).map(|_| rng.gen_range(-(1i64 << 20)..1 << 20)).collect();
    let dv: Vec<i64> = (0..n).map(|_| rng.gen_range(-(1i64 << 12)..=1 << F)).collect();
    let spec = RescaleSpec { mult: 1, shift: F, total_bits: Q };
    let (out, rem): (Vec<i64>, Vec<i64>) = gv
        .iter()
        .zip(&dv)
        .map(|(&a, &b)| {
            let (o, r) = spec.round(a as i128 * b as i128);
            (o as i64, r as i64)
        })
        .unzip();
    let mut c = Case::default();
    let (gt, dt, ot, rt) = (c.tensor(gv), c.tensor(dv), c.tensor(out), c.tensor(rem));
    c.range(rt, F, 0, false);
    c.range(ot, Q, 1 << (Q - 1), false);
    c.set.masks.push(MaskRel { cq: gt, out: ot, planes: dt, plane: 0, rescale: Some((spec, rt)) });
    (c, [gt, dt, ot, rt])
}

#[test]
fn rescaled_elementwise_product_honest_and_cheats() {
    let g = gens();
    let (c, _) = derivative_product(1);
    let f = c.finalized();
    witness::check(&f.set, &f.materialize(), &f.derived, &ByIndex).unwrap();
    c.run(&g).unwrap();
    let round_sum = (Phase::Mask, Rejection::RoundSum);
    let check = |what: &str, expect: (Phase, Rejection), mutate: &dyn Fn(&mut Case, [usize; 4])| {
        let (mut c, ix) = derivative_product(1);
        mutate(&mut c, ix);
        let f = c.finalized();
        let e = witness::check(&f.set, &f.materialize(), &f.derived, &ByIndex).unwrap_err();
        assert!(e.relation.starts_with("mask") || e.relation.contains("range") || e.relation.contains("lookup"), "{e}");
        rejects(c.run(&g), expect.0, expect.1, what);
    };
    check("an output off by one", round_sum, &|c, [_, _, o, _]| c.tables[o][3] += 1);
    check(
        "an output off by one with the remainder out of range",
        (Phase::Lookup, Rejection::Relation),
        &|c, [_, _, o, r]| {
            c.tables[o][5] += 1;
            c.tables[r][5] -= 1 << F;
        },
    );
    check("a wrong derivative entry", round_sum, &|c, [_, d, _, _]| c.tables[d][7] += 1);
    check("a wrong gradient entry", round_sum, &|c, [gt, _, _, _]| c.tables[gt][0] -= 1);
    // the same witness against a product rounded by another shift
    let (mut c, [_, _, _, rt]) = derivative_product(2);
    let spec = RescaleSpec { mult: 1, shift: F - 1, total_bits: Q };
    c.set.masks[0].rescale = Some((spec, rt));
    rejects(c.run(&g), Phase::Mask, Rejection::RoundSum, "another shift");
    // malformed: a rescaled product without a shift
    let (mut c, [_, _, _, rt]) = derivative_product(3);
    c.set.masks[0].rescale = Some((RescaleSpec { mult: 1, shift: 0, total_bits: Q }, rt));
    let e = SetError::Relation { kind: Kind::Mask, index: 0, what: "rescaling parameters or remainder size" };
    assert_eq!(c.finalized().set.validate(), Err(e));
}
