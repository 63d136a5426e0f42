//! The Hyrax generators: column generators `G_j`, `H` and `U` by hash-to-curve, the
//! precomputations kept with them (subset table, shifted multiples, column sums), and
//! generators derived ahead of time.

use ark_ec::hashing::curve_maps::wb::WBMap;
use ark_ec::hashing::map_to_curve_hasher::MapToCurveBasedHasher;
use ark_ec::hashing::HashToCurve;
use ark_ff::field_hashers::DefaultFieldHasher;
use ark_ff::Zero;
use rayon::prelude::*;
use sha2::Sha256;

use super::{split_vars, MAX_VARS};
use crate::error::PcsError;
use crate::msm::{CpuMsm, FixedBases, MsmBackend, SubsetTable};
use crate::{G1Affine, G1Projective};

/// Domain-separation tag of zkdl's hash-to-curve.
pub const HASH_TO_CURVE_DST: &[u8] = b"ZKDL-V1-HYRAX-GENERATORS_BLS12381G1_XMD:SHA-256_WB_RO_";

/// Public generators: `G_0..G_{m-1}` for the columns, `H` for blinding, `U` for the
/// inner-product value.
#[derive(Clone)]
pub struct HyraxGenerators {
    /// The column generators, with the subset sums of their blocks (committing small
    /// integers and bits; each block is built on first use).
    subsets: SubsetTable,
    pub(super) h: G1Affine,
    pub(super) u: G1Affine,
    /// `2^8 G_j`, `2^16 G_j`, `2^24 G_j` for every column generator (committing small
    /// integers), built on first use.
    shifted: std::sync::OnceLock<Vec<Vec<G1Affine>>>,
    /// `sum_{j < 2^c} G_j` for every `c` (the commitment of an all-ones row), built on
    /// first use.
    column_sums: std::sync::OnceLock<Vec<G1Projective>>,
    /// The MSM backend every commitment, opening and check over these generators runs on
    /// ([`CpuMsm`] unless [`Self::with_backend`] chose another).
    backend: std::sync::Arc<dyn MsmBackend>,
}

impl std::fmt::Debug for HyraxGenerators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyraxGenerators")
            .field("columns", &self.subsets.bases().len())
            .field("backend", &self.backend.name())
            .finish()
    }
}

impl PartialEq for HyraxGenerators {
    fn eq(&self, other: &Self) -> bool {
        self.subsets.bases() == other.subsets.bases() && self.h == other.h && self.u == other.u
    }
}

impl Eq for HyraxGenerators {}

type H2C = MapToCurveBasedHasher<G1Projective, DefaultFieldHasher<Sha256, 128>, WBMap<ark_bls12_381::g1::Config>>;

fn hash_generator(hasher: &H2C, label: &[u8], kind: &[u8], index: usize) -> Result<G1Affine, PcsError> {
    let mut msg = Vec::with_capacity(label.len() + kind.len() + 10);
    msg.extend_from_slice(label);
    msg.push(b'/');
    msg.extend_from_slice(kind);
    msg.push(b'/');
    msg.extend_from_slice(&(index as u64).to_le_bytes());
    hasher.hash(&msg).map_err(|_| PcsError::HashToCurve { index })
}

/// Generators derived ahead of time for one label (see
/// [`HyraxGenerators::with_precomputed`]): column generators `0..gens.len()`, `H`, `U`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrecomputedGenerators {
    pub label: Vec<u8>,
    pub gens: Vec<G1Affine>,
    pub h: G1Affine,
    pub u: G1Affine,
}

impl PrecomputedGenerators {
    /// Derive `count` column generators (and `H`, `U`) for `label` by hash-to-curve.
    pub fn derive(label: &[u8], count: usize) -> Result<Self, PcsError> {
        let g = HyraxGenerators::derive(label, count, None)?;
        Ok(Self { label: label.to_vec(), gens: g.subsets.bases().to_vec(), h: g.h, u: g.u })
    }
}

impl HyraxGenerators {
    /// Derive generators for tables of up to `max_num_vars` variables. Column
    /// generator `j` depends only on `(label, j)`, so smaller tables use a prefix.
    pub fn new(label: &[u8], max_num_vars: usize) -> Result<Self, PcsError> {
        if max_num_vars > MAX_VARS {
            return Err(PcsError::TooManyVars { num_vars: max_num_vars, max: MAX_VARS });
        }
        Self::derive(label, 1usize << split_vars(max_num_vars).1, None)
    }

    /// [`HyraxGenerators::new`], taking the generators `pre` holds (when its label is
    /// `label`) instead of hashing them again; the rest are derived. The result is
    /// the same as `new`'s as long as `pre` was derived for `label` (its producer's
    /// tests must check that).
    pub fn with_precomputed(label: &[u8], max_num_vars: usize, pre: &PrecomputedGenerators) -> Result<Self, PcsError> {
        if max_num_vars > MAX_VARS {
            return Err(PcsError::TooManyVars { num_vars: max_num_vars, max: MAX_VARS });
        }
        let count = 1usize << split_vars(max_num_vars).1;
        Self::derive(label, count, (pre.label == label).then_some(pre))
    }

    fn derive(label: &[u8], count: usize, pre: Option<&PrecomputedGenerators>) -> Result<Self, PcsError> {
        let hasher = H2C::new(HASH_TO_CURVE_DST).map_err(|_| PcsError::HashToCurve { index: 0 })?;
        // the stored prefix, then the rest hashed
        let mut gens: Vec<G1Affine> = pre.map_or(Vec::new(), |p| p.gens.iter().take(count).copied().collect());
        let rest: Vec<G1Affine> = (gens.len()..count)
            .into_par_iter()
            .map(|j| hash_generator(&hasher, label, b"G", j))
            .collect::<Result<_, _>>()?;
        gens.extend(rest);
        let (h, u) = match pre {
            Some(p) => (p.h, p.u),
            None => (hash_generator(&hasher, label, b"H", 0)?, hash_generator(&hasher, label, b"U", 0)?),
        };
        Ok(Self {
            subsets: SubsetTable::new(&gens),
            h,
            u,
            shifted: std::sync::OnceLock::new(),
            column_sums: std::sync::OnceLock::new(),
            backend: std::sync::Arc::new(CpuMsm),
        })
    }

    /// The same generators, their MSMs run on `backend` (chosen once, by the caller
    /// that builds the generators: everything below takes it from here).
    pub fn with_backend(mut self, backend: std::sync::Arc<dyn MsmBackend>) -> Self {
        self.backend = backend;
        self
    }

    /// The MSM backend of these generators.
    pub fn backend(&self) -> &dyn MsmBackend {
        self.backend.as_ref()
    }

    /// Column generators `range` with their precomputations (shifted multiples, built
    /// once on first use, and the subset table) for [`MsmBackend::msm_i64_rows_fixed`].
    ///
    /// [`MsmBackend::msm_i64_rows_fixed`]: crate::msm::MsmBackend::msm_i64_rows_fixed
    pub fn fixed(&self, range: std::ops::Range<usize>) -> Result<FixedBases<'_>, PcsError> {
        let set = self.subsets.bases();
        let shifted = self.shifted.get_or_init(|| crate::msm::shifted_bases(set));
        Ok(FixedBases::new(set).with_shifted(shifted)?.with_table(&self.subsets)?.range(range)?)
    }

    /// Builds the subset table for the first `2^col_vars` column generators (see
    /// [`SubsetTable::prepare`]): worth it before committing many rows of that width.
    pub fn prepare_columns(&self, col_vars: usize) {
        self.subsets.prepare(0..(1usize << col_vars).min(self.subsets.bases().len()));
    }

    /// `sum_{j < 2^col_vars} G_j`: the commitment of a row of ones (cached).
    pub fn column_sum(&self, col_vars: usize) -> Result<G1Projective, PcsError> {
        let sums = self.column_sums.get_or_init(|| {
            let mut out = Vec::new();
            let mut acc = G1Projective::zero();
            for (j, g) in self.subsets.bases().iter().enumerate() {
                acc += g;
                if (j + 1).is_power_of_two() {
                    out.push(acc);
                }
            }
            out
        });
        let m = 1usize << col_vars;
        sums.get(col_vars).copied().ok_or(PcsError::NotEnoughGenerators { needed: m, have: self.subsets.bases().len() })
    }

    pub fn max_num_vars(&self) -> usize {
        2 * (self.subsets.bases().len().trailing_zeros() as usize)
    }

    pub fn column_generators(&self) -> &[G1Affine] {
        self.subsets.bases()
    }

    pub fn blinding_generator(&self) -> G1Affine {
        self.h
    }

    pub(super) fn cols(&self, col_vars: usize) -> Result<&[G1Affine], PcsError> {
        let m = 1usize << col_vars;
        self.subsets
            .bases()
            .get(..m)
            .ok_or(PcsError::NotEnoughGenerators { needed: m, have: self.subsets.bases().len() })
    }
}
