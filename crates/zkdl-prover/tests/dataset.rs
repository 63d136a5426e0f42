//! A run's batches bound to a committed dataset: the honest chain passes; a batch that
//! is no row of the dataset, a batch of the dataset at the wrong position, a chunk that
//! repeats or skips positions, a proof of another dataset or of none, and a changed
//! dataset digest in a statement are each rejected, with the error naming what failed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkdl_circuit::dataset::{check_batches, schedule_row, DatasetCommitment, DatasetError};
use zkdl_circuit::proof::{Statement, TrainingProof};
use zkdl_circuit::CircuitSpec;
use zkdl_prover::dataset::{check_batches as check_before_proving, commit_dataset};
use zkdl_prover::prove::{prove_training_with, ProveOptions};
use zkdl_prover::train::{self, Batch, Weights};
use zkdl_prover::{data, Phases, ProveError};
use zkdl_verifier::chain::Chunk as VChunk;
use zkdl_verifier::training::verify;
use zkdl_verifier::{verify_chain, ChainError, ChainOptions, Phase, Rejection};

/// Rows of the test dataset: not a multiple of the batch, so the schedule wraps inside
/// a batch.
const ROWS: usize = 10;

struct Run {
    spec: CircuitSpec,
    features: Vec<i64>,
    targets: Vec<i64>,
    dataset: DatasetCommitment,
    digest: [u8; 32],
}

fn run() -> Run {
    // 20 features (padded to 32) and 3 targets (padded to 4), batch 4, 2 steps a chunk
    let spec = CircuitSpec::mlp("dataset", 20, &[8], 3, false, 4, 2);
    let fp = spec.fixed_point().unwrap();
    let d = data::synthetic(ROWS, 20, 3, 7);
    let (features, targets) = (fp.encode_slice(&d.x).unwrap(), fp.encode_slice(&d.y).unwrap());
    let dataset = commit_dataset(&spec, &features, &targets, ROWS).unwrap();
    let digest = dataset.digest().unwrap();
    Run { spec, features, targets, dataset, digest }
}

impl Run {
    /// The batch of `step` by the schedule (`shift`: positions moved by that many rows).
    fn batch(&self, step: u64, shift: u64) -> Batch {
        let (b, din, dout) = (self.spec.train.batch, 20, 3);
        let rows: Vec<usize> =
            (0..b).map(|i| ((schedule_row(step, i, b, ROWS as u64) + shift) as usize) % ROWS).collect();
        let pick = |v: &[i64], w: usize| rows.iter().flat_map(|&r| v[r * w..(r + 1) * w].to_vec()).collect();
        Batch { x: pick(&self.features, din), y: pick(&self.targets, dout) }
    }

    fn batches(&self, steps: std::ops::Range<u64>) -> Vec<Batch> {
        steps.map(|t| self.batch(t, 0)).collect()
    }

    fn prove(
        &self,
        w0: &Weights,
        batches: &[Batch],
        previous: Option<&Statement>,
        dataset: Option<[u8; 32]>,
    ) -> (Statement, TrainingProof, Weights) {
        let options = ProveOptions { previous, dataset, ..ProveOptions::default() };
        let rng = &mut StdRng::seed_from_u64(5);
        prove_training_with(&self.spec, w0, batches, options, rng, &mut Phases::default()).unwrap()
    }

    fn check(&self, st: &Statement) -> Result<(), DatasetError> {
        check_batches(&self.spec, st, &self.dataset, &self.digest)
    }
}

#[test]
fn honest_chunks_are_the_datasets_rows_and_cheats_are_named() {
    let r = run();
    let w0 = train::init_weights(&r.spec, 1).unwrap();
    let named = Some(r.digest);
    // chunk 1: steps 0..2, chunk 2: steps 2..4 (the schedule wraps inside step 2's batch)
    let (s1, p1, w1) = r.prove(&w0, &r.batches(0..2), None, named);
    verify(&r.spec, &s1, &p1).unwrap();
    r.check(&s1).unwrap();
    let (s2, p2, _) = r.prove(&w1, &r.batches(2..4), Some(&s1), named);
    verify(&r.spec, &s2, &p2).unwrap();
    assert_eq!((s2.step_offset, s2.dataset), (2, named));
    r.check(&s2).unwrap();
    check_before_proving(&r.spec, &r.batches(2..4), 2, &r.dataset).unwrap();

    // a batch that is no row of the dataset (one feature changed): the proof is valid
    // for its statement, the batch is foreign
    let mut foreign = r.batches(0..2);
    foreign[1].x[3 * 20 + 5] += 1;
    let (sf, pf, _) = r.prove(&w0, &foreign, None, named);
    verify(&r.spec, &sf, &pf).unwrap();
    let e = r.check(&sf).unwrap_err();
    assert_eq!(e, DatasetError::Foreign { step: 1, what: "features", sample: 3, expected: 7 });
    assert!(e.to_string().contains("step 1: the features of sample 3 of the batch are not a row of the dataset"));
    // ... refused before proving too
    let e = check_before_proving(&r.spec, &foreign, 0, &r.dataset).unwrap_err();
    assert!(matches!(e, ProveError::Dataset(DatasetError::Foreign { step: 1, .. })), "{e}");
    // targets only
    let mut foreign_y = r.batches(0..2);
    foreign_y[0].y[2] += 1;
    let (sy, _, _) = r.prove(&w0, &foreign_y, None, named);
    assert_eq!(r.check(&sy), Err(DatasetError::Foreign { step: 0, what: "targets", sample: 0, expected: 0 }));

    // rows of the dataset at the wrong positions: the steps' batches swapped
    let swapped = vec![r.batch(1, 0), r.batch(0, 0)];
    let (sw, _, _) = r.prove(&w0, &swapped, None, named);
    assert_eq!(
        r.check(&sw),
        Err(DatasetError::Position { step: 0, what: "features", sample: 0, expected: 0, found: 4 })
    );

    // chunk 2 that repeats chunk 1's batches (positions 0..8 again at steps 2..4)
    let (rep, _, _) = r.prove(&w1, &r.batches(0..2), Some(&s1), named);
    assert_eq!(rep.step_offset, 2);
    assert_eq!(
        r.check(&rep),
        Err(DatasetError::Position { step: 2, what: "features", sample: 0, expected: 8, found: 0 })
    );
    // chunk 2 that skips to the batches of steps 4..6
    let (skip, _, _) = r.prove(&w1, &r.batches(4..6), Some(&s1), named);
    assert_eq!(
        r.check(&skip),
        Err(DatasetError::Position { step: 2, what: "features", sample: 0, expected: 8, found: 6 })
    );

    // another dataset (the same rows but one): the proof names the other one
    let mut other_x = r.features.clone();
    other_x[0] += 1;
    let other = commit_dataset(&r.spec, &other_x, &r.targets, ROWS).unwrap();
    let other_digest = other.digest().unwrap();
    assert_ne!(other_digest, r.digest);
    let e = check_batches(&r.spec, &s1, &other, &other_digest).unwrap_err();
    assert!(matches!(e, DatasetError::OtherDataset { .. }), "{e}");
    // a statement that names none
    let (none, _, _) = r.prove(&w0, &r.batches(0..2), None, None);
    assert_eq!(r.check(&none), Err(DatasetError::NotNamed));
    // a continued chunk must name its predecessor's dataset
    let options = ProveOptions { previous: Some(&s1), dataset: None, ..ProveOptions::default() };
    let rng = &mut StdRng::seed_from_u64(5);
    let e = prove_training_with(&r.spec, &w1, &r.batches(2..4), options, rng, &mut Phases::default()).unwrap_err();
    assert!(e.to_string().contains("names the dataset its predecessor names"), "{e}");

    // the digest is bound by the transcript: the proof of s1 fails under another name
    let mut renamed = s1.clone();
    renamed.dataset = Some(other_digest);
    let e = verify(&r.spec, &renamed, &p1).unwrap_err();
    // the digest is absorbed: every challenge differs and the first sumcheck fails
    assert_eq!((e.phase(), e.how()), (Some(Phase::Booleanity), Rejection::RoundSum), "{e}");
    renamed.dataset = None;
    let e = verify(&r.spec, &renamed, &p1).unwrap_err();
    // the digest is absorbed: every challenge differs and the first sumcheck fails
    assert_eq!((e.phase(), e.how()), (Some(Phase::Booleanity), Rejection::RoundSum), "{e}");
}

/// The data's commitments take whole samples per Hyrax row, for any number of steps, so
/// that a batch's commitment is a dataset's rows; a dataset of another width is refused.
#[test]
fn batch_rows_are_whole_samples_and_shapes_must_match() {
    let r = run();
    for steps in [1, 2, 5, 16] {
        let mut s = r.spec.clone();
        s.train.steps = steps;
        let layout = zkdl_circuit::proof::training_layout(&s).unwrap();
        assert_eq!(layout.data_cols, [5, 2], "{steps} steps: 32 features, 4 targets a row");
    }
    let wide = CircuitSpec::mlp("dataset", 40, &[8], 3, false, 4, 2);
    let w0 = train::init_weights(&r.spec, 1).unwrap();
    let (s1, _, _) = r.prove(&w0, &r.batches(0..2), None, Some(r.digest));
    let e = check_batches(&wide, &s1, &r.dataset, &r.digest).unwrap_err();
    assert!(matches!(e, DatasetError::Shape { feature_vars: 5, want_features: 6, .. }), "{e}");
}

/// One proof of a chain.
fn chunk<'a>(spec: &'a CircuitSpec, statement: &'a Statement, proof: &'a TrainingProof) -> VChunk<'a> {
    VChunk { spec, statement, proof }
}

/// `zkdl_verifier::verify_chain`: the honest chain with its dataset passes; a chunk alone,
/// out of order, repeated, of another circuit or dataset, or with a foreign batch is
/// rejected with the error that names it.
#[test]
fn chains_are_verified_by_the_library() {
    let r = run();
    let spec = &r.spec;
    let w0 = train::init_weights(spec, 1).unwrap();
    let named = Some(r.digest);
    let (s1, p1, w1) = r.prove(&w0, &r.batches(0..2), None, named);
    let (s2, p2, _) = r.prove(&w1, &r.batches(2..4), Some(&s1), named);
    let (c1, c2) = (chunk(spec, &s1, &p1), chunk(spec, &s2, &p2));
    let with = ChainOptions { dataset: Some((&r.dataset, r.digest)), ..ChainOptions::default() };
    assert_eq!(verify_chain(&[c1, c2], &with), Ok((0, 4)));
    assert_eq!(verify_chain(&[c2], &with), Err(ChainError::MissingPredecessor { first: 2, end: 4 }));
    let trusted = ChainOptions { trust_initial: true, ..with };
    assert_eq!(verify_chain(&[c2], &trusted), Ok((2, 4)));
    let e = verify_chain(&[c1, c1], &with).unwrap_err();
    assert_eq!(e, ChainError::NotNext { index: 2, expected: 2, found: 0, first_chunk: true });
    let e = verify_chain(&[c2, c2], &trusted).unwrap_err();
    assert_eq!(e, ChainError::NotNext { index: 2, expected: 4, found: 2, first_chunk: false });
    // another circuit (another learning rate): refused before its proof is verified
    let mut other = r.spec.clone();
    other.train.lr_shift += 1;
    let e = verify_chain(&[c1, chunk(&other, &s2, &p2)], &with).unwrap_err();
    assert_eq!(e, ChainError::OtherCircuit { index: 2 });
    // the second chunk of a run, naming no dataset
    let mut s2n = s2.clone();
    s2n.dataset = None;
    let e = verify_chain(&[c1, chunk(spec, &s2n, &p2)], &ChainOptions::default()).unwrap_err();
    assert_eq!(e, ChainError::OtherDataset { index: 2 });
    // a foreign batch in the second chunk
    let mut foreign = r.batches(2..4);
    foreign[0].y[0] += 1;
    let (sf, pf, _) = r.prove(&w1, &foreign, Some(&s1), named);
    let e = verify_chain(&[c1, chunk(spec, &sf, &pf)], &with).unwrap_err();
    assert!(matches!(e, ChainError::Batches { index: 2, source: DatasetError::Foreign { step: 2, .. } }), "{e}");
    assert!(e.to_string().starts_with("proof 2: dataset: step 2: the targets of sample 0"), "{e}");
}
