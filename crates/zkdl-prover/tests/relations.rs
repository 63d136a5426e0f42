//! The aggregated relation system relation by relation: honest witnesses verify, and a
//! cheating witness for each relation (range, rescaled matmul with zkReLU, backward
//! mask, SGD update, linear, zero padding, stacked instances) is rejected; tampered
//! proof bytes and malformed commitments are errors, never panics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkdl_circuit::gadgets::{plane_vars, MatmulForm, MatmulShape, RescaleSpec};
use zkdl_circuit::relations::{LinearRel, MaskRel, MatmulRel, PaddingRel, RangeRel, RelationProof, RelationSet};
use zkdl_circuit::CircuitSpec;
use zkdl_core::pcs::{split_vars, HyraxCommitment, HyraxGenerators};
use zkdl_core::transcript::{labels, Transcript};
use zkdl_prover::data;
use zkdl_prover::relations::{commit_tensor, prove_relations, truncated_planes};
use zkdl_prover::train::{self, Batch, StepTrace};
use zkdl_verifier::{verify_relations, VerifyError};

const F: u32 = 16;
const Q: u32 = 32;
// 8 -> 8 (ReLU) -> 4, batch 4: log-dims
const LB: usize = 2;
const D: [usize; 3] = [3, 3, 2];

fn gens() -> HyraxGenerators {
    HyraxGenerators::new(b"zkdl/test/relations", 14).unwrap()
}

fn trace() -> StepTrace {
    let spec = CircuitSpec::mlp("rel", 8, &[8], 4, false, 4, 1);
    let fp = spec.fixed_point().unwrap();
    let d = data::synthetic(4, 8, 4, 3);
    let batch = Batch { x: fp.encode_slice(&d.x).unwrap(), y: fp.encode_slice(&d.y).unwrap() };
    let w0 = train::init_weights(&spec, 5).unwrap();
    train::train_traced(&spec, &w0, &[batch]).unwrap().1.remove(0)
}

/// (planes tensor, value tensor, bits, offset, explicit planes)
type PlanesSpec = (usize, usize, u32, i64, Option<Vec<i64>>);

/// A relation set with its tables; bit planes are derived from their value tables
/// when the case runs (after a test has mutated the values) unless set explicitly.
#[derive(Clone, Default)]
struct Case {
    set: RelationSet,
    tables: Vec<Vec<i64>>,
    planes: Vec<PlanesSpec>,
}

impl Case {
    fn tensor(&mut self, table: Vec<i64>) -> usize {
        let vars = table.len().trailing_zeros() as usize;
        self.tables.push(table);
        self.set.tensor(vars, split_vars(vars).1)
    }

    fn range(&mut self, value: usize, bits: u32, offset: i64) -> usize {
        let len = self.tables[value].len() << plane_vars(bits);
        let planes = self.tensor(vec![0; len]);
        self.set.ranges.push(RangeRel { value, planes, bits, offset });
        self.planes.push((planes, value, bits, offset, None));
        planes
    }

    fn materialize(&self) -> Vec<Vec<i64>> {
        let mut tables = self.tables.clone();
        for (p, v, bits, offset, explicit) in &self.planes {
            tables[*p] = explicit.clone().unwrap_or_else(|| truncated_planes(&tables[*v], *bits, *offset));
        }
        tables
    }

    fn prove(&self, g: &HyraxGenerators) -> (Vec<HyraxCommitment>, RelationProof) {
        let tables = self.materialize();
        let comms: Vec<HyraxCommitment> =
            tables.iter().enumerate().map(|(i, t)| commit_tensor(g, &self.set, i, t).unwrap()).collect();
        let refs: Vec<&[i64]> = tables.iter().map(|t| t.as_slice()).collect();
        let crefs: Vec<&HyraxCommitment> = comms.iter().collect();
        let mut t = Transcript::new(labels::TEST);
        let mut rng = StdRng::seed_from_u64(7);
        let p = prove_relations(g, &mut t, &self.set, &refs, &crefs, &mut rng, &mut Default::default()).unwrap();
        (comms, p)
    }

    fn verify(&self, g: &HyraxGenerators, comms: &[HyraxCommitment], p: &RelationProof) -> Result<(), VerifyError> {
        let crefs: Vec<&HyraxCommitment> = comms.iter().collect();
        verify_relations(g, &mut Transcript::new(labels::TEST), &self.set, &crefs, p)
    }

    fn run(&self, g: &HyraxGenerators) -> Result<(), VerifyError> {
        let (c, p) = self.prove(g);
        self.verify(g, &c, &p)
    }
}

/// Indices of the forward case's tensors.
struct Fwd {
    x: usize,
    w: usize,
    zq: usize,
    rem: usize,
    act: usize,
    zq_planes: usize,
}

fn forward(tr: &StepTrace) -> (Case, Fwd) {
    let l = &tr.layers[0];
    let mut c = Case::default();
    let x = c.tensor(l.a_in.clone());
    let w = c.tensor(l.w_before.w.clone());
    let zq = c.tensor(l.zq.clone());
    let rem = c.tensor(l.zr.clone());
    let act = c.tensor(l.a_out.clone());
    c.range(rem, F, 0);
    let zq_planes = c.range(zq, Q, 1 << (Q - 1));
    let shape = MatmulShape { form: MatmulForm::NN, li: LB, lj: D[0], lk: D[1] };
    let rescale = RescaleSpec { mult: 1, shift: F, total_bits: Q };
    c.set.matmuls.push(MatmulRel { shape, tau: 0, rescale, x, y: w, cq: zq, rem, bias: None });
    c.set.masks.push(MaskRel { cq: zq, out: act, planes: zq_planes, plane: Q - 1 });
    (c, Fwd { x, w, zq, rem, act, zq_planes })
}

fn first(v: &[i64], pred: impl Fn(i64) -> bool) -> usize {
    v.iter().position(|&x| pred(x)).unwrap()
}

#[test]
fn forward_with_zkrelu_honest_and_cheats() {
    let g = gens();
    let tr = trace();
    let (c, _) = forward(&tr);
    c.run(&g).unwrap();
    let check = |what: &str, mutate: &dyn Fn(&mut Case, &Fwd)| {
        let (mut c, ix) = forward(&tr);
        mutate(&mut c, &ix);
        assert!(c.run(&g).is_err(), "{what} accepted");
    };
    check("a negative value passed through ReLU", &|c, ix| {
        let x = first(&c.tables[ix.zq], |v| v < 0);
        c.tables[ix.act][x] = c.tables[ix.zq][x];
    });
    check("a positive value zeroed", &|c, ix| {
        let x = first(&c.tables[ix.zq], |v| v > 0);
        c.tables[ix.act][x] = 0;
    });
    check("a flipped sign bit in the planes", &|c, ix| {
        let mut planes = truncated_planes(&c.tables[ix.zq], Q, 1 << (Q - 1));
        let len = c.tables[ix.zq].len();
        let x = first(&c.tables[ix.zq], |v| v < 0);
        planes[(Q as usize - 1) * len + x] = 1;
        c.tables[ix.act][x] = c.tables[ix.zq][x];
        c.planes[1].4 = Some(planes);
    });
    check("remainder out of range (R + 2^f with Z' - 1)", &|c, ix| {
        let x = first(&c.tables[ix.zq], |v| v > 1);
        c.tables[ix.rem][x] += 1 << F;
        c.tables[ix.zq][x] -= 1;
        c.tables[ix.act][x] = c.tables[ix.zq][x];
    });
    check("a wrong rescaled value", &|c, ix| {
        c.tables[ix.zq][1] += 1;
        c.tables[ix.act][1] = c.tables[ix.zq][1].max(0);
    });
    check("other input data", &|c, ix| c.tables[ix.x][0] += 1 << 12);
    check("other weights", &|c, ix| c.tables[ix.w][3] -= 1);
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
        c.range(gar, F, 0);
        c.range(gaq, Q, 1 << (Q - 1));
        let shape = MatmulShape { form: MatmulForm::NT, li: LB, lj: D[2], lk: D[1] };
        let rescale = RescaleSpec { mult: 1, shift: F, total_bits: Q };
        c.set.matmuls.push(MatmulRel { shape, tau: 0, rescale, x: gl, y: w1, cq: gaq, rem: gar, bias: None });
        let planes = if fake_signs {
            // sign planes of the prover's choosing (all ones), committed separately
            let mut fake = truncated_planes(&tr.layers[0].zq, Q, 1 << (Q - 1));
            let len = tr.layers[0].zq.len();
            fake[(Q as usize - 1) * len..Q as usize * len].iter_mut().for_each(|s| *s = 1);
            c.tensor(fake)
        } else {
            ix.zq_planes
        };
        c.set.masks.push(MaskRel { cq: gaq, out: g0, planes, plane: Q - 1 });
        c
    };
    build(None, false).run(&g).unwrap();
    // a gradient that ignores the ReLU mask in one entry
    let sign: Vec<bool> = tr.layers[0].zq.iter().map(|&v| v >= 0).collect();
    let gaq = &tr.layers[1].gaq;
    let x = (0..sign.len()).find(|&x| !sign[x] && gaq[x] != 0).expect("a masked entry with a non-zero gradient");
    let mut out = tr.layers[0].g.clone();
    out[x] = gaq[x];
    assert!(build(Some(out), false).run(&g).is_err(), "unmasked gradient accepted");
    // unmasked gradient with all-one sign planes: consistent with those planes, but
    // those are not the forward pass's committed sign bits
    let c = build(Some(gaq.clone()), true);
    c.run(&g).unwrap();
    let mut c2 = c.clone();
    let last = c2.set.masks.len() - 1;
    c2.set.masks[last].planes = 6; // the forward planes
    assert!(c2.run(&g).is_err(), "unmasked gradient accepted against the forward sign bits");
}

fn update(tr: &StepTrace) -> (Case, [usize; 4]) {
    let l = &tr.layers[1];
    let mut c = Case::default();
    let a = c.tensor(l.a_in.clone());
    let gr = c.tensor(l.g.clone());
    let dw = c.tensor(l.dw.clone());
    let dwr = c.tensor(l.dwr.clone());
    let e = 8; // CircuitSpec::mlp's learning rate 2^-8
    c.range(dwr, F + e, 0);
    c.range(dw, Q, 1 << (Q - 1));
    let shape = MatmulShape { form: MatmulForm::TN, li: D[1], lj: LB, lk: D[2] };
    let rescale = RescaleSpec { mult: 1, shift: F + e, total_bits: Q };
    c.set.matmuls.push(MatmulRel { shape, tau: 0, rescale, x: a, y: gr, cq: dw, rem: dwr, bias: None });
    (c, [a, gr, dw, dwr])
}

#[test]
fn sgd_update_honest_and_cheats() {
    let g = gens();
    let tr = trace();
    update(&tr).0.run(&g).unwrap();
    let check = |what: &str, mutate: &dyn Fn(&mut Case, [usize; 4])| {
        let (mut c, ix) = update(&tr);
        mutate(&mut c, ix);
        assert!(c.run(&g).is_err(), "{what} accepted");
    };
    check("an update off by one", &|c, [_, _, dw, _]| c.tables[dw][5] += 1);
    check("rounding remainder out of range", &|c, [_, _, dw, dwr]| {
        c.tables[dwr][2] += 1 << (F + 8);
        c.tables[dw][2] -= 1;
    });
    check("a wrong gradient entry", &|c, [_, gr, _, _]| c.tables[gr][0] += 1);
}

#[test]
fn range_cheats_are_rejected() {
    let g = gens();
    let mut rng = StdRng::seed_from_u64(2);
    let len = 16usize;
    let case = |values: Vec<i64>, bits: u32, planes: Option<Vec<i64>>| {
        let mut c = Case::default();
        let v = c.tensor(values);
        c.range(v, bits, 0);
        c.planes[0].4 = planes;
        c
    };
    let vals: Vec<i64> = (0..len).map(|_| rng.gen_range(0..256)).collect();
    case(vals.clone(), 8, None).run(&g).unwrap();
    // k = 7: plane 7 exists (padding, weight 0); 2^7 puts its top bit there
    let mut v7: Vec<i64> = (0..len).map(|_| rng.gen_range(0..128)).collect();
    v7[5] = 128;
    let mut planes = vec![0i64; len << plane_vars(7)];
    for (x, &v) in v7.iter().enumerate() {
        for j in 0..8 {
            planes[j * len + x] = (v >> j) & 1;
        }
    }
    assert!(case(v7, 7, Some(planes)).run(&g).is_err(), "2^k accepted");
    // 256 with a non-boolean plane (plane 7 holds 2)
    let mut v = vals.clone();
    v[5] = 256;
    let mut planes = truncated_planes(&v.iter().map(|&x| x.min(128)).collect::<Vec<_>>(), 8, 0);
    planes[7 * len + 5] = 2;
    assert!(case(v.clone(), 8, Some(planes)).run(&g).is_err(), "non-boolean plane accepted");
    // a negative value decomposed as if it were 255
    v[5] = -1;
    let planes = truncated_planes(&v.iter().map(|&x| if x < 0 { 255 } else { x }).collect::<Vec<_>>(), 8, 0);
    assert!(case(v, 8, Some(planes)).run(&g).is_err(), "negative value accepted");
    // valid planes of other data
    let planes = truncated_planes(&[3i64; 16], 8, 0);
    assert!(case((0..16).collect(), 8, Some(planes)).run(&g).is_err(), "planes of other data accepted");
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
        c.set.linears.push(LinearRel { terms: vec![(a, 1), (b, -1), (cc, 1)] });
        c
    };
    lin(vec![1, 2, 0, -2]).run(&g).unwrap();
    assert!(lin(vec![1, 2, 0, -1]).run(&g).is_err());
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
    assert!(pad(Some(16 + 3 * 4 + 1)).run(&g).is_err(), "non-zero padding in the second instance accepted");
    assert!(pad(Some(2)).run(&g).is_err(), "non-zero padding column accepted");
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
        c.range(dwr, F + 8, 0);
        c.range(dw, Q, 1 << (Q - 1));
        let shape = MatmulShape { form: MatmulForm::TN, li: D[1], lj: LB, lk: D[2] };
        let rescale = RescaleSpec { mult: 1, shift: F + 8, total_bits: Q };
        c.set.matmuls.push(MatmulRel { shape, tau: 1, rescale, x: a, y: gr, cq: dw, rem: dwr, bias: None });
        c
    };
    stacked(false).run(&g).unwrap();
    assert!(stacked(true).run(&g).is_err(), "a wrong update in the second stacked instance accepted");
}

#[test]
fn malformed_inputs_are_errors() {
    let g = gens();
    let tr = trace();
    let (c, _) = forward(&tr);
    let (comms, p) = c.prove(&g);
    c.verify(&g, &comms, &p).unwrap();
    // wrong number of commitments, wrong row count
    assert!(matches!(c.verify(&g, &comms[1..], &p), Err(VerifyError::Shape(_))));
    let mut bad = comms.clone();
    bad[2].rows.pop();
    assert!(matches!(c.verify(&g, &bad, &p), Err(VerifyError::Shape(_))));
    // a relation set that does not fit the tensors
    let mut c2 = c.clone();
    c2.set.masks[0].plane = 40;
    assert!(matches!(c2.verify(&g, &comms, &p), Err(VerifyError::Params(_))));
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
