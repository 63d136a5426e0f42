//! Lookups into function tables of several columns (`(x, f(x), f'(x))`) through the one
//! LogUp argument, next to range checks: honest tuples verify at every tree depth, and
//! a tuple off the table, swapped columns, a wrong column value sent at the leaf, or a
//! table other than the circuit's are rejected with the error each breaks.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkdl_circuit::activation::smooth::{functions, Grid, Smooth};
use zkdl_circuit::protocol::Phase;
use zkdl_circuit::relations::{Derivation, LookupRel, RelationProof, RelationSet, SmoothTensors};
use zkdl_circuit::table::{Function, TableRef};
use zkdl_circuit::witness::{self, ByIndex};
use zkdl_core::field::Fr;
use zkdl_core::pcs::{split_vars, HyraxCommitment, HyraxGenerators};
use zkdl_core::transcript::{labels, Transcript};
use zkdl_prover::relations::{commit_tensor, derive_tables, prove_relations};
use zkdl_verifier::{verify_relations, VerifyError};

fn gens() -> HyraxGenerators {
    HyraxGenerators::new(b"zkdl/test/tables", 16).unwrap()
}

/// `(x, x^2 >> 4, 2x)` over `x in [-2^(vars-1), 2^(vars-1))`: a function, its
/// derivative, on a grid.
fn square(vars: u32) -> TableRef {
    TableRef::new(Function::from_inputs("square", vars, -(1i64 << (vars - 1)), |x| vec![(x * x) >> 4, 2 * x]).unwrap())
}

/// A relation set of tensors with values, lookups declared, tables derived.
struct Case {
    set: RelationSet,
    values: Vec<Vec<i64>>,
    derived: Vec<(usize, Derivation)>,
}

impl Case {
    fn new() -> Self {
        Case { set: RelationSet::default(), values: Vec::new(), derived: Vec::new() }
    }

    fn tensor(&mut self, v: Vec<i64>) -> usize {
        let vars = v.len().trailing_zeros() as usize;
        self.values.push(v);
        self.set.tensor(vars, split_vars(vars).1)
    }

    /// Tensors `x`, `f(x)`, `f'(x)` of `table` at `n` random inputs, looked up in it.
    fn tuple(&mut self, table: &TableRef, n: usize, rng: &mut StdRng) -> [usize; 3] {
        let rows: Vec<usize> = (0..n).map(|_| rng.gen_range(0..1usize << table.vars())).collect();
        let col = |c: usize| rows.iter().map(|&r| table.entry(c, r).unwrap()).collect::<Vec<i64>>();
        let (x, y, d) = (col(0), col(1), col(2));
        let ids = [self.tensor(x), self.tensor(y), self.tensor(d)];
        self.set.lookups.push(LookupRel { columns: ids.iter().map(|&t| (t, 0)).collect(), table: table.clone() });
        ids
    }

    /// Declare the tables and derive the multiplicities.
    fn finish(mut self) -> Self {
        for d in self.set.declare_tables() {
            self.values.push(Vec::new());
            self.derived.push(d);
        }
        derive_tables(&self.set, &mut self.values, &self.derived).unwrap();
        self
    }

    fn check_witness(&self) -> Result<(), witness::WitnessError> {
        witness::check(&self.set, &self.values, &self.derived, &ByIndex)
    }

    fn prove(&self, g: &HyraxGenerators) -> (Vec<HyraxCommitment>, RelationProof) {
        let comms: Vec<HyraxCommitment> =
            self.values.iter().enumerate().map(|(i, t)| commit_tensor(g, &self.set, i, t).unwrap()).collect();
        let refs: Vec<&[i64]> = self.values.iter().map(|t| t.as_slice()).collect();
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
        let (comms, p) = self.prove(g);
        self.verify(g, &comms, &p)
    }
}

fn lookup_error(relation: usize, tensor: &str, check: &'static str) -> VerifyError {
    VerifyError::Relation { phase: Phase::Lookup, relation, tensor: tensor.into(), check }
}

/// Tuples of 1 to 2^9 entries (trees of depth 0 to 9, shallower and deeper than the
/// tables) into two function tables and a range table, verify; the witness checker
/// agrees.
#[test]
fn tuples_in_function_tables_verify() {
    let g = gens();
    let mut rng = StdRng::seed_from_u64(1);
    let (small, big) = (square(3), square(6));
    let mut c = Case::new();
    for (n, table) in [(1usize, &small), (2, &big), (4, &small), (8, &big), (64, &small), (512, &big)] {
        c.tuple(table, n, &mut rng);
    }
    let r = c.tensor((0..16).map(|i| i * 7).collect());
    c.set.lookups.push(LookupRel::range(r, 8, 0));
    let c = c.finish();
    assert_eq!(c.set.tables.len(), 3, "the range table, then the function tables in order of use");
    assert_eq!(c.set.tables[0].table, TableRef::range(8));
    c.check_witness().unwrap();
    c.run(&g).unwrap();
}

/// A one-column lookup into a function table (a set of allowed values) needs no
/// column challenge and verifies; a value outside the set is rejected.
#[test]
fn one_column_function_table() {
    let g = gens();
    let odd = TableRef::new(Function::new("odd", 3, vec![(0..8).map(|i| 2 * i + 1).collect()]).unwrap());
    let mut c = Case::new();
    let t = c.tensor(vec![1, 3, 15, 7, 7, 9, 11, 13]);
    c.set.lookups.push(LookupRel { columns: vec![(t, 0)], table: odd.clone() });
    let ok = c.finish();
    ok.run(&g).unwrap();
    let mut c = Case::new();
    let t = c.tensor(vec![1, 3, 15, 7, 8, 9, 11, 13]);
    c.set.lookups.push(LookupRel { columns: vec![(t, 0)], table: odd });
    let bad = c.finish();
    assert!(bad.check_witness().unwrap_err().detail.contains("[8] is not a row"));
    assert_eq!(bad.run(&g), Err(lookup_error(0, "tensor 1", "the multiset of a table")));
}

/// A tuple that is no row of the table: `f(x)` off by one, or the columns `f(x)` and
/// `f'(x)` swapped (each value is in some column, but not as a row). The witness
/// checker names the entry; the prover's multiplicities cannot count the tuple and the
/// tree roots do not balance.
#[test]
fn a_tuple_off_the_table_is_rejected() {
    let g = gens();
    let table = square(5);
    let mut rng = StdRng::seed_from_u64(2);
    for swap in [false, true] {
        let mut c = Case::new();
        let [_, y, d] = c.tuple(&table, 32, &mut rng);
        if swap {
            let (a, b) = (c.values[y].clone(), c.values[d].clone());
            c.values[y] = b;
            c.values[d] = a;
        } else {
            c.values[y][5] += 1;
        }
        let c = c.finish();
        let e = c.check_witness().unwrap_err();
        assert_eq!(e.tensor, "tensor 0", "swap {swap}");
        assert!(e.relation.contains("square"), "{e}");
        assert_eq!(c.run(&g), Err(lookup_error(0, "tensor 3", "the multiset of a table")), "swap {swap}");
    }
}

/// A prover that keeps the honest roots and trees but sends another value of one column
/// at the leaf point (the claims then go on to a tensor other than the committed one):
/// the leaf check catches it before any opening.
#[test]
fn a_wrong_column_value_at_the_leaf_is_rejected() {
    let g = gens();
    let mut rng = StdRng::seed_from_u64(3);
    let mut c = Case::new();
    c.tuple(&square(4), 16, &mut rng);
    let c = c.finish();
    let (comms, p) = c.prove(&g);
    assert_eq!(p.logup.tuples.len(), 3);
    for i in 0..3 {
        let mut bad = p.clone();
        bad.logup.tuples[i] += Fr::from(1u64);
        let e = c.verify(&g, &comms, &bad).unwrap_err();
        assert_eq!(e, lookup_error(0, "tensor 0", "a leaf is not its columns' combination"), "column {i}");
    }
    let mut short = p.clone();
    short.logup.tuples.pop();
    assert!(matches!(c.verify(&g, &comms, &short), Err(VerifyError::Shape(_))));
    let mut long = p;
    long.logup.tuples.push(Fr::from(0u64));
    assert!(matches!(c.verify(&g, &comms, &long), Err(VerifyError::Shape(_))));
}

/// A proof made for one table does not verify for another of the same size (the
/// verifier evaluates its own table, and the transcript binds the table's digest).
#[test]
fn a_proof_for_another_table_is_rejected() {
    let g = gens();
    let mut rng = StdRng::seed_from_u64(4);
    let mut c = Case::new();
    c.tuple(&square(4), 16, &mut rng);
    let c = c.finish();
    let (comms, p) = c.prove(&g);
    c.verify(&g, &comms, &p).unwrap();
    let other = TableRef::new(Function::from_inputs("cube", 4, -8, |x| vec![(x * x) >> 4, 3 * x]).unwrap());
    let mut set = c.set.clone();
    set.lookups[0].table = other.clone();
    set.tables[0].table = other;
    let crefs: Vec<&HyraxCommitment> = comms.iter().collect();
    let e = verify_relations(&g, &mut Transcript::new(labels::TEST), &set, &crefs, &p).unwrap_err();
    assert!(matches!(e, VerifyError::Sumcheck { phase: Phase::Lookup, .. }), "{e:?}");
}

/// Malformed sets are refused by name: a lookup with another number of columns than
/// its table, columns of different sizes, a table never declared.
#[test]
fn malformed_lookups_are_refused() {
    use zkdl_circuit::relations::{Kind, SetError};
    let table = square(3);
    let mut c = Case::new();
    let a = c.tensor(vec![0; 4]);
    let b = c.tensor(vec![0; 8]);
    c.set.lookups.push(LookupRel { columns: vec![(a, 0), (a, 0)], table: table.clone() });
    let two = c.finish();
    let relation = |what| Err(SetError::Relation { kind: Kind::Lookup, index: 0, what });
    assert_eq!(two.set.validate(), relation("not one tensor per column of its table"));
    let mut set = two.set.clone();
    set.lookups[0].columns = vec![(a, 0), (b, 0), (a, 0)];
    assert_eq!(set.validate(), relation("columns of different sizes"));
    set.lookups[0].columns = vec![(a, 0); 3];
    set.tables.clear();
    assert_eq!(set.validate(), relation("its table is not declared"));
}

/// The derived values that follow the committed ones: virtual tensors and multiplicities
/// (after a test changed some values).
fn rederive(c: &mut Case) {
    let after: Vec<(usize, Derivation)> = c
        .derived
        .iter()
        .filter(|(_, d)| matches!(d, Derivation::Virtual { .. } | Derivation::Multiplicities { .. }))
        .copied()
        .collect();
    derive_tables(&c.set, &mut c.values, &after).unwrap();
}

/// A grid small enough for tests: `f = 8`, `Q = 20`, 2^8 cells of 2^3 units (`|x| < 4`).
fn small_grid() -> Grid {
    Grid { frac_bits: 8, total_bits: 20, w: 8, s: 3 }
}

/// A smooth activation on 256 pre-activations, a quarter saturated on each side.
fn smooth_case(act: &dyn Smooth, seed: u64) -> (Case, SmoothTensors) {
    let g = small_grid();
    let mut rng = StdRng::seed_from_u64(seed);
    let edge = 1i64 << (g.s + g.w - 1);
    let lim = 1i64 << (g.total_bits - 1);
    let z: Vec<i64> = (0..256)
        .map(|i| match i % 4 {
            0 => rng.gen_range(edge..lim),
            1 => rng.gen_range(-lim..-edge),
            _ => rng.gen_range(-edge..edge),
        })
        .collect();
    let mut c = Case::new();
    let pre = c.tensor(z);
    let table = TableRef::new(g.table(act).unwrap());
    let st = c.set.smooth(pre, g.total_bits, g.s, table, g.slopes(act), false).unwrap();
    for (t, d) in &st.derived {
        while c.values.len() <= *t {
            c.values.push(Vec::new());
        }
        c.derived.push((*t, *d));
    }
    let c = c.finish();
    (c, st)
}

/// The gadget's output is the fixed-point activation of `activation::smooth` (the
/// trainer's) entry by entry, saturated inputs included, and its proof verifies, for an
/// activation with flat asymptotes (tanh) and one with a slope (GELU, LiSHT).
#[test]
fn smooth_activation_gadget_is_the_fixed_point_function() {
    let gens = gens();
    let g = small_grid();
    for act in [&functions::Tanh as &dyn Smooth, &functions::Gelu, &functions::Lisht] {
        let (c, st) = smooth_case(act, 5);
        let table = g.table(act).unwrap();
        let want: Vec<i64> = c.values[0].iter().map(|&z| g.forward(&table, g.slopes(act), z).unwrap()).collect();
        assert_eq!(c.values[st.out], want, "{}", act.name());
        assert!(c.values[st.x].iter().any(|&x| x == (1 << (g.w - 1)) - 1), "saturated above");
        c.check_witness().unwrap();
        c.run(&gens).unwrap();
    }
}

/// Cheating provers on the smooth gadget: an `f(x)` or `f'(x)` entry of another row,
/// an `x` outside the table (its excess moved into `X`), a saturated input given the
/// in-table branch, an input inside the table claimed saturated.
#[test]
fn smooth_activation_cheats_are_rejected() {
    let gens = gens();
    let act = &functions::Gelu;
    let g = small_grid();
    let xmax = (1i64 << (g.w - 1)) - 1;
    let (base, st) = smooth_case(act, 6);
    let sat = base.values[0].iter().position(|&z| (z >> g.s) > xmax + 2).unwrap();
    let inside = (0..256).find(|&i| base.values[st.x][i] < xmax - 2 && base.values[st.x][i] > 0).unwrap();
    // the tensors after X in declaration order: above, below, excess, deficit
    let (above, excess) = (st.x + 1, st.x + 3);
    let deficit = st.x + 4;
    let check = |what: &str, expect: &dyn Fn(&VerifyError) -> bool, mutate: &dyn Fn(&mut Case)| {
        let (mut c, _) = smooth_case(act, 6);
        mutate(&mut c);
        rederive(&mut c);
        assert!(c.check_witness().is_err(), "{what}: the witness checker accepts");
        let e = c.run(&gens).unwrap_err();
        assert!(expect(&e), "{what}: {e:?}");
    };
    let lookup_of_tuple = |e: &VerifyError| {
        matches!(e, VerifyError::Relation { phase: Phase::Lookup, check: "the multiset of a table", .. })
    };
    let mask = |e: &VerifyError| matches!(e, VerifyError::Sumcheck { phase: Phase::Mask, .. });
    check("f(x) of the next row", &lookup_of_tuple, &|c| c.values[st.f][inside] += 7);
    check("f'(x) of another row", &lookup_of_tuple, &|c| c.values[st.d][inside] = c.values[st.d][inside + 1] + 3);
    check("x outside the table", &lookup_of_tuple, &|c| {
        let e = c.values[excess][sat];
        c.values[st.x][sat] += e;
        c.values[excess][sat] = 0;
        c.values[above][sat] = 0;
    });
    check("a saturated input on the in-table branch", &mask, &|c| c.values[above][sat] = 0);
    let table = g.table(act).unwrap();
    let at_max = |column: usize| {
        use zkdl_circuit::table::Table;
        table.entry(column, table.row_of_first(xmax).unwrap()).unwrap()
    };
    check("an input inside the table claimed saturated", &mask, &|c| {
        let x = c.values[st.x][inside];
        c.values[st.x][inside] = xmax;
        c.values[st.f][inside] = at_max(1);
        c.values[st.d][inside] = at_max(2);
        c.values[above][inside] = 1;
        c.values[deficit][inside] = xmax - x;
    });
}

/// The smooth gadget's clamp bounds are its table's inputs: a table whose column 0 is not
/// `-2^(w-1)..2^(w-1)` is refused, as is one of another number of columns.
#[test]
fn smooth_gadget_refuses_other_tables() {
    use zkdl_circuit::relations::{Kind, SetError};
    let mut set = RelationSet::default();
    let pre = set.tensor(4, 2);
    let shifted = TableRef::new(Function::from_inputs("shifted", 4, 0, |x| vec![x, 1]).unwrap());
    let e = set.smooth(pre, 20, 2, shifted, (0, 0), false).unwrap_err();
    let what = "a smooth activation's table inputs are not -2^(w-1)..2^(w-1)";
    assert_eq!(e, SetError::Relation { kind: Kind::Lookup, index: 0, what });
    let e = set.smooth(pre, 20, 2, square(4).clone(), (0, 0), false);
    assert!(e.is_ok(), "{e:?}");
    let two = TableRef::new(Function::from_inputs("two", 4, -8, |x| vec![x]).unwrap());
    assert!(matches!(set.smooth(pre, 20, 2, two, (0, 0), false), Err(SetError::Relation { kind: Kind::Lookup, .. })));
}
