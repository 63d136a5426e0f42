//! The Hyrax generators: column generators `G_j`, `H` and `U` by hash-to-curve, the MSM
//! backend they run on with the column generators as that backend prepared them, and
//! generators derived ahead of time.

use ark_ec::hashing::curve_maps::wb::WBMap;
use ark_ec::hashing::map_to_curve_hasher::MapToCurveBasedHasher;
use ark_ec::hashing::HashToCurve;
use ark_ff::field_hashers::DefaultFieldHasher;
use rayon::prelude::*;
use sha2::Sha256;

use super::{split_vars, MAX_VARS};
use crate::error::PcsError;
use crate::msm::{CpuMsm, FixedSet, MsmBackend};
use crate::{G1Affine, G1Projective};

/// Domain-separation tag of zkdl's hash-to-curve.
pub const HASH_TO_CURVE_DST: &[u8] = b"ZKDL-V1-HYRAX-GENERATORS_BLS12381G1_XMD:SHA-256_WB_RO_";

/// Public generators: `G_0..G_{m-1}` for the columns, `H` for blinding, `U` for the
/// inner-product value, and the MSM backend everything over them runs on.
///
/// The column generators are held as the backend prepared them ([`MsmBackend::fix`]):
/// whatever the backend precomputes for committing (for [`CpuMsm`], shifted multiples, a
/// subset table and prefix sums, each built on first use) lives in that [`FixedSet`], so
/// building generators derives points and nothing more. Clones share the set.
#[derive(Clone)]
pub struct HyraxGenerators {
    /// The column generators, prepared by [`Self::backend`].
    columns: std::sync::Arc<dyn FixedSet>,
    pub(super) h: G1Affine,
    pub(super) u: G1Affine,
    /// The MSM backend every commitment, opening and check over these generators runs on
    /// ([`CpuMsm`] unless [`Self::with_backend`] chose another).
    backend: std::sync::Arc<dyn MsmBackend>,
}

impl std::fmt::Debug for HyraxGenerators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyraxGenerators")
            .field("columns", &self.columns.bases().len())
            .field("backend", &self.backend.name())
            .finish()
    }
}

impl PartialEq for HyraxGenerators {
    fn eq(&self, other: &Self) -> bool {
        self.columns.bases() == other.columns.bases() && self.h == other.h && self.u == other.u
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
        Ok(Self { label: label.to_vec(), gens: g.columns.bases().to_vec(), h: g.h, u: g.u })
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
        let backend: std::sync::Arc<dyn MsmBackend> = std::sync::Arc::new(CpuMsm);
        Ok(Self { columns: backend.fix(gens), h, u, backend })
    }

    /// The same generators, their MSMs run on `backend`, which prepares the column
    /// generators again ([`MsmBackend::fix`]; chosen once, by the caller that builds the
    /// generators: everything below takes it from here).
    pub fn with_backend(mut self, backend: std::sync::Arc<dyn MsmBackend>) -> Self {
        self.columns = backend.fix(self.columns.bases().to_vec());
        self.backend = backend;
        self
    }

    /// The MSM backend of these generators.
    pub fn backend(&self) -> &dyn MsmBackend {
        self.backend.as_ref()
    }

    /// The column generators as the backend prepared them: the row MSMs of commitments
    /// run on this set ([`FixedSet::msm_i64_rows`]).
    pub fn columns(&self) -> &dyn FixedSet {
        self.columns.as_ref()
    }

    /// Builds ahead what committing rows over the first `2^col_vars` column generators
    /// uses ([`FixedSet::prepare`]; on the CPU the subset table's blocks): worth it before
    /// committing many rows of that width.
    pub fn prepare_columns(&self, col_vars: usize) {
        let len = self.columns.bases().len();
        let m = u32::try_from(col_vars).ok().and_then(|c| 1usize.checked_shl(c)).unwrap_or(len);
        self.columns.prepare(0..m.min(len));
    }

    /// `sum_{j < 2^col_vars} G_j`: the commitment of a row of ones
    /// ([`FixedSet::prefix_sum`]; cached on the CPU).
    pub fn column_sum(&self, col_vars: usize) -> Result<G1Projective, PcsError> {
        let have = self.columns.bases().len();
        self.columns.prefix_sum(col_vars).ok_or_else(|| {
            let needed = u32::try_from(col_vars).ok().and_then(|c| 1usize.checked_shl(c)).unwrap_or(usize::MAX);
            PcsError::NotEnoughGenerators { needed, have }
        })
    }

    pub fn max_num_vars(&self) -> usize {
        2 * (self.columns.bases().len().trailing_zeros() as usize)
    }

    pub fn column_generators(&self) -> &[G1Affine] {
        self.columns.bases()
    }

    pub fn blinding_generator(&self) -> G1Affine {
        self.h
    }

    pub(super) fn cols(&self, col_vars: usize) -> Result<&[G1Affine], PcsError> {
        let m = 1usize << col_vars;
        self.columns
            .bases()
            .get(..m)
            .ok_or(PcsError::NotEnoughGenerators { needed: m, have: self.columns.bases().len() })
    }
}
