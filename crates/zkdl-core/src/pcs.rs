//! Hyrax-style multilinear polynomial commitments over BLS12-381 G1.
//!
//! A table of `2^n` evaluations (variable order of [`crate::mle`]) is viewed as a
//! matrix of `2^row_vars` rows and `2^col_vars` columns, `col_vars = ceil(n/2)`:
//! entry `(i, j)` is `f[i * 2^col_vars + j]`, so the column index holds the FIRST
//! `col_vars` variables and the row index the last `row_vars`. Each row is committed
//! with a Pedersen vector commitment `C_i = <row_i, G> + beta_i H`.
//!
//! Opening at `r = (r_col, r_row)`: `f(r) = eq(r_row)^T M eq(r_col)`. The verifier
//! combines the row commitments into `C = sum_i eq(r_row)_i C_i`, a commitment to
//! `v = eq(r_row)^T M`, and the prover shows `<v, eq(r_col)> = y` with a log-size
//! inner-product (folding) argument, Bulletproofs-style: every folding challenge is
//! drawn from the transcript AFTER the round's `L`, `R` are absorbed, and the
//! transcript has absorbed the commitment, the point and the claimed value first.
//!
//! Generators `G_j`, `H`, `U` are derived by hash-to-curve (RFC 9380 style,
//! SHA-256 expander, Wahby-Boneh isogeny map) from a label and an index, so nobody
//! knows a discrete-log relation between any two of them.
//!
//! Hiding: commitments take optional row blinding factors and the argument then
//! blinds `L`, `R` as well; the final folded scalar is still revealed, so openings
//! are not yet zero-knowledge (DESIGN §4 replaces the last step by a proof of dot
//! product).

use ark_ec::hashing::curve_maps::wb::WBMap;
use ark_ec::hashing::map_to_curve_hasher::MapToCurveBasedHasher;
use ark_ec::hashing::HashToCurve;
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::field_hashers::DefaultFieldHasher;
use ark_ff::{Field, One, UniformRand, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::rand::{CryptoRng, RngCore};
use rayon::prelude::*;
use sha2::Sha256;

use crate::error::PcsError;
use crate::field::Fr;
use crate::mle::{eq_table, inner_product};
use crate::msm::{CpuMsm, FixedBases, MsmBackend, SubsetTable};
use crate::transcript::{labels, Transcript};
use crate::{G1Affine, G1Projective};

/// Domain-separation tag of zkdl's hash-to-curve.
pub const HASH_TO_CURVE_DST: &[u8] = b"ZKDL-V1-HYRAX-GENERATORS_BLS12381G1_XMD:SHA-256_WB_RO_";

/// Largest supported number of variables of one committed table.
pub const MAX_VARS: usize = 40;

/// Rows/columns split: `(row_vars, col_vars)` with `col_vars = ceil(n / 2)`.
pub fn split_vars(num_vars: usize) -> (usize, usize) {
    let col = num_vars.div_ceil(2);
    (num_vars - col, col)
}

/// Public generators: `G_0..G_{m-1}` for the columns, `H` for blinding, `U` for the
/// inner-product value.
#[derive(Debug, Clone)]
pub struct HyraxGenerators {
    /// The column generators, with the subset sums of their blocks (committing small
    /// integers and bits; each block is built on first use).
    subsets: SubsetTable,
    h: G1Affine,
    u: G1Affine,
    /// `2^8 G_j`, `2^16 G_j`, `2^24 G_j` for every column generator (committing small
    /// integers), built on first use.
    shifted: std::sync::OnceLock<Vec<Vec<G1Affine>>>,
    /// `sum_{j < 2^c} G_j` for every `c` (the commitment of an all-ones row), built on
    /// first use.
    column_sums: std::sync::OnceLock<Vec<G1Projective>>,
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
        })
    }

    /// Column generators `range` with their precomputations (shifted multiples, built
    /// once on first use, and the subset table) for [`MsmBackend::msm_i64_rows_fixed`].
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

    fn cols(&self, col_vars: usize) -> Result<&[G1Affine], PcsError> {
        let m = 1usize << col_vars;
        self.subsets
            .bases()
            .get(..m)
            .ok_or(PcsError::NotEnoughGenerators { needed: m, have: self.subsets.bases().len() })
    }
}

/// How proofs, statements and commitments are encoded on the wire (proof files,
/// [`HyraxCommitment`] and every structure holding one): UNCOMPRESSED points, `x` and
/// `y` (96 bytes for G1), scalars in 32 bytes. A compressed point (48 bytes) costs its
/// reader a square root in `Fq` (about 30 us on one core of the development machine),
/// which made parsing a proof several times slower than checking it; an uncompressed one
/// costs an on-curve check (two multiplications). The transcript absorbs points in their
/// 48-byte compressed form either way (no square root: a sign comparison).
pub const WIRE: ark_serialize::Compress = ark_serialize::Compress::No;

/// Bytes of one G1 point on the wire ([`WIRE`]).
pub const WIRE_POINT_BYTES: usize = 96;

/// The infinity flag in a serialized point's first byte (zcash encoding).
const INFINITY_FLAG: u8 = 0x40;

/// A commitment: one G1 point per row. Serialized as a `Vec` of points; deserialized
/// (with `Validate::Yes`) with every point checked ON THE CURVE, in parallel, and NOT
/// checked to lie in the prime-order subgroup G1: `E(Fq) = G1 + E(Fq)[h]` with the
/// cofactor `h` prime to `r`, the projection onto G1 is a group homomorphism that fixes
/// G1, and every check a zkdl verifier makes on received points is that a linear
/// combination of them, the generators and scalars is the identity, computed exactly in
/// its G1 part; so the projected messages pass every check under the same challenges, and
/// a commitment binds what its projection binds (docs/PROTOCOL.md, "Encoding"). The
/// subgroup check (two 64-bit scalar multiplications, about 70 us per point) was most of
/// the time of parsing a proof file. Points off the curve are rejected (the group law
/// used by the verifier does not see the curve coefficient, so such points would live in
/// another group). NOTE: a bare `G1Affine` read uncompressed with `Validate::Yes` is NOT
/// checked on the curve by ark-bls12-381 (only in the subgroup, assuming the curve); proof
/// structures hold points in `HyraxCommitment`s or `Vec<G1Affine>` (whose `batch_check`
/// checks both), never bare.
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize)]
pub struct HyraxCommitment {
    pub rows: Vec<G1Affine>,
}

/// Every point on the curve (the identity included); see [`HyraxCommitment`] for why
/// not in the subgroup.
fn check_on_curve(points: &[G1Affine]) -> Result<(), ark_serialize::SerializationError> {
    match points.par_iter().all(|p| p.is_on_curve()) {
        true => Ok(()),
        false => Err(ark_serialize::SerializationError::InvalidData),
    }
}

impl ark_serialize::Valid for HyraxCommitment {
    fn check(&self) -> Result<(), ark_serialize::SerializationError> {
        check_on_curve(&self.rows)
    }
}

impl CanonicalDeserialize for HyraxCommitment {
    fn deserialize_with_mode<R: ark_serialize::Read>(
        mut reader: R,
        compress: ark_serialize::Compress,
        validate: ark_serialize::Validate,
    ) -> Result<Self, ark_serialize::SerializationError> {
        let len = u64::deserialize_with_mode(&mut reader, compress, validate)?;
        let size = G1Affine::zero().serialized_size(compress);
        // Read in bounded chunks: a forged length fails on the missing bytes, not on
        // an allocation of its size.
        let mut bytes = Vec::new();
        let mut left = len;
        while left > 0 {
            let take = left.min(1 << 14);
            let start = bytes.len();
            bytes.resize(start + take as usize * size, 0u8);
            reader.read_exact(bytes.get_mut(start..).unwrap_or_default())?;
            left -= take;
        }
        // Unchecked parsing still rejects coordinates >= q and, compressed, an `x`
        // with no point; the curve equation is checked below. The identity is `(0, 0)`
        // in memory, so uncompressed zero coordinates without the infinity flag would
        // parse as the identity too: only the flagged encoding is accepted (one encoding
        // per point).
        let rows = bytes
            .par_chunks(size)
            .map(|b| {
                let p = G1Affine::deserialize_with_mode(b, compress, ark_serialize::Validate::No)?;
                match p.is_zero() && b.first().is_none_or(|f| f & INFINITY_FLAG == 0) {
                    true => Err(ark_serialize::SerializationError::InvalidData),
                    false => Ok(p),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        if validate == ark_serialize::Validate::Yes {
            check_on_curve(&rows)?;
        }
        Ok(HyraxCommitment { rows })
    }
}

/// An opening: `k` inner-product folding rounds (`l`, `r`), then the folded vector of
/// `2^(col_vars - k)` entries in the clear (`tail`). Without blinding the prover folds
/// nothing while the row vector has at most `2^OPENING_TAIL_VARS` entries: sending it
/// costs `32 * 2^col_vars` bytes and saves the rounds' generator folding (one scalar
/// multiplication per pair), the prover's largest opening cost. With blinding it folds to
/// one entry (the clear vector would not hide the rows).
#[derive(Debug, Clone, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct HyraxOpening {
    pub l: Vec<G1Affine>,
    pub r: Vec<G1Affine>,
    /// The folded row combination.
    pub tail: Vec<Fr>,
    /// The folded blinding factor.
    pub blind: Fr,
}

/// Largest row vector an unblinded opening sends in the clear (log2 of its length).
pub const OPENING_TAIL_VARS: usize = 12;

/// The folded tail's variables of an opening: the row vector in the clear up to
/// [`OPENING_TAIL_VARS`] unblinded, folded to one entry blinded (see [`HyraxOpening`]).
fn tail_vars(col_vars: usize, blinded: bool) -> usize {
    if blinded {
        0
    } else {
        col_vars.min(OPENING_TAIL_VARS)
    }
}

/// The scalars of a table to commit: field elements or small signed integers
/// (quantized tensors, which take the fast MSM path).
#[derive(Debug, Clone, Copy)]
pub enum Table<'a> {
    Field(&'a [Fr]),
    Small(&'a [i64]),
    /// 0/1 entries (sign bits, bit planes): committed like `Small`, one bit plane over
    /// the generators' subset table where built.
    Bits(&'a [bool]),
}

impl Table<'_> {
    fn len(&self) -> usize {
        match self {
            Table::Field(v) => v.len(),
            Table::Small(v) => v.len(),
            Table::Bits(v) => v.len(),
        }
    }
}

/// Commit to a table of `2^num_vars` values (shorter tables are NOT padded here:
/// the caller pads, so that padding is explicit). `blinds`, if given, has one
/// factor per row.
pub fn commit(
    gens: &HyraxGenerators,
    num_vars: usize,
    table: Table<'_>,
    blinds: Option<&[Fr]>,
    msm: &dyn MsmBackend,
) -> Result<HyraxCommitment, PcsError> {
    commit_split(gens, num_vars, split_vars(num_vars).1, table, blinds, msm)
}

/// [`commit`] with an explicit number of column variables (`col_vars <= num_vars`).
/// A table stacked from `2^s` tables of `n` variables each (the stack index as the
/// last variables) committed with `col_vars = split_vars(n).1` has exactly the
/// concatenated rows of the parts' default commitments (see [`HyraxCommitment::concat`]).
pub fn commit_split(
    gens: &HyraxGenerators,
    num_vars: usize,
    col_vars: usize,
    table: Table<'_>,
    blinds: Option<&[Fr]>,
    msm: &dyn MsmBackend,
) -> Result<HyraxCommitment, PcsError> {
    let row_vars = checked_rows(num_vars, col_vars)?;
    if table.len() != 1usize << num_vars {
        return Err(PcsError::WrongTableLength { expected: 1usize << num_vars, got: table.len() });
    }
    let rows = 1usize << row_vars;
    if let Some(b) = blinds {
        if b.len() != rows {
            return Err(PcsError::WrongBlindCount { expected: rows, got: b.len() });
        }
    }
    let g = gens.cols(col_vars)?;
    let m = g.len();
    // Lengths are equal by construction, so the MSMs cannot fail.
    let mut proj: Vec<G1Projective> = match table {
        Table::Field(v) => {
            (0..rows).into_par_iter().map(|i| msm.msm_fr(g, &v[i * m..(i + 1) * m]).unwrap_or_default()).collect()
        }
        // all rows at once: the backend shares work between rows
        Table::Small(v) => msm.msm_i64_rows_fixed(&gens.fixed(0..m)?, v)?,
        Table::Bits(v) => {
            let v: Vec<i64> = v.par_iter().map(|&b| b as i64).collect();
            msm.msm_i64_rows_fixed(&gens.fixed(0..m)?, &v)?
        }
    };
    if let Some(b) = blinds {
        proj.par_iter_mut().zip(b).for_each(|(c, bi)| *c += gens.h * bi);
    }
    Ok(HyraxCommitment { rows: G1Projective::normalize_batch(&proj) })
}

/// The commitment (column split `col_vars`, no blinding) of the `n x m` row-major
/// product `mult A^T G`, `A` of `k x n` and `G` of `k x m` (row-major), from the
/// factors: a product of rank `k` costs MSMs over `k (2^col_vars + n)` small scalars
/// when a Hyrax row holds whole product rows (each row of `G` committed against the
/// column generators once per position in a Hyrax row, then every row of the product as
/// a combination of those `k`-point sums with the scalars of `A`), `k (m + n m /
/// 2^col_vars)` when a product row spans several Hyrax rows, instead of `n m` entries. The points equal those of
/// [`commit_split`] on the product table (the group law is exact), which the prover
/// uses for the weights after an exact SGD update, `ΔW = m A^T G` of batch rank.
/// `m` and `2^col_vars` must divide one another (powers of two).
pub fn commit_tn_product(
    gens: &HyraxGenerators,
    col_vars: usize,
    a: &[i64],
    g: &[i64],
    (k, n, m): (usize, usize, usize),
    mult: i64,
    msm: &dyn MsmBackend,
) -> Result<HyraxCommitment, PcsError> {
    let cols = 1usize << col_vars;
    let total = n.checked_mul(m).filter(|t| t.is_power_of_two() && t.trailing_zeros() as usize <= MAX_VARS);
    let total = total.ok_or(PcsError::TooManyVars { num_vars: MAX_VARS + 1, max: MAX_VARS })?;
    for (table, len) in [(a, k.checked_mul(n)), (g, k.checked_mul(m))] {
        if k == 0 || Some(table.len()) != len {
            return Err(PcsError::WrongTableLength { expected: len.unwrap_or(usize::MAX), got: table.len() });
        }
    }
    if !m.is_power_of_two() || total < cols {
        return Err(PcsError::TooManyVars { num_vars: col_vars, max: total.trailing_zeros() as usize });
    }
    gens.cols(col_vars)?; // enough generators
    let gm = g.iter().map(|&x| x.checked_mul(mult)).collect::<Option<Vec<i64>>>().ok_or(PcsError::ScalarOverflow)?;
    let affine = |v: Vec<G1Projective>| G1Projective::normalize_batch(&v);
    let rows: Vec<G1Projective> = if cols >= m {
        // a Hyrax row holds s = cols / m whole product rows: row r is
        // sum_{u < s} sum_b A[b, r s + u] H[u][b], H[u][b] = sum_j (mult G[b, j]) gen[u m + j]
        let s = cols / m;
        let mut h = Vec::with_capacity(s * k);
        for u in 0..s {
            let range = u * m..(u + 1) * m;
            h.extend(msm.msm_i64_rows_fixed(&gens.fixed(range)?, &gm)?);
        }
        let h = affine(h);
        let nrows = n / s;
        let mut sc = vec![0i64; nrows * s * k];
        sc.par_chunks_mut(s * k).enumerate().for_each(|(r, row)| {
            for u in 0..s {
                for b in 0..k {
                    row[u * k + b] = a[b * n + r * s + u];
                }
            }
        });
        msm.msm_i64_rows(&h, &sc)?
    } else {
        // a product row spans nv = m / cols Hyrax rows: row (i, v) is
        // sum_b A[b, i] H_v[b], H_v[b] = sum_{j < cols} (mult G[b, v cols + j]) gen[j]
        let nv = m / cols;
        let mut at = vec![0i64; n * k];
        at.par_chunks_mut(k).enumerate().for_each(|(i, row)| {
            for (b, x) in row.iter_mut().enumerate() {
                *x = a[b * n + i];
            }
        });
        let mut out = vec![G1Projective::zero(); n * nv];
        let fixed = gens.fixed(0..cols)?;
        for v in 0..nv {
            let mut gv = Vec::with_capacity(k * cols);
            for b in 0..k {
                gv.extend_from_slice(&gm[b * m + v * cols..b * m + (v + 1) * cols]);
            }
            let hv = affine(msm.msm_i64_rows_fixed(&fixed, &gv)?);
            for (i, p) in msm.msm_i64_rows(&hv, &at)?.into_iter().enumerate() {
                out[i * nv + v] = p;
            }
        }
        out
    };
    Ok(HyraxCommitment { rows: affine(rows) })
}

/// Whether the unblinded commitments `parts[i].0` (`2^col_vars` columns each) are those of
/// the tables of small integers `parts[i].1`, checked on one combination of all their
/// rows with the weights `gamma` (one per row, in order, drawn after the commitments are
/// fixed: other tables pass with probability at most `1/|Fr|`):
/// `sum_r gamma_r C_r == sum_j (sum_r gamma_r M[r, j]) G_j`, two MSMs (of the rows, of
/// the `2^col_vars` generators) and one pass over the tables instead of committing again.
pub fn commits_to_i64(
    gens: &HyraxGenerators,
    col_vars: usize,
    parts: &[(&HyraxCommitment, &[i64])],
    gamma: &[Fr],
) -> Result<bool, PcsError> {
    let g = gens.cols(col_vars)?;
    let rows: Vec<G1Affine> = parts.iter().flat_map(|(c, _)| c.rows.iter().copied()).collect();
    if gamma.len() != rows.len() {
        return Err(PcsError::CombineMismatch { commitments: rows.len(), coefficients: gamma.len() });
    }
    let mut v = vec![Fr::zero(); g.len()];
    let mut at = 0usize;
    for (comm, table) in parts {
        let n = comm.rows.len();
        let len = n.saturating_mul(g.len());
        if table.len() != len {
            return Err(PcsError::WrongTableLength { expected: len, got: table.len() });
        }
        let w = gamma.get(at..at + n).ok_or(PcsError::CombineMismatch { commitments: n, coefficients: 0 })?;
        let part = crate::mle::combine_rows_i64(table, col_vars, w);
        v.iter_mut().zip(&part).for_each(|(x, y)| *x += y);
        at += n;
    }
    Ok(CpuMsm.msm_fr(&rows, gamma)? == CpuMsm.msm_fr(g, &v)?)
}

/// `num_vars - col_vars`, or an error when the split is impossible.
fn checked_rows(num_vars: usize, col_vars: usize) -> Result<usize, PcsError> {
    if num_vars > MAX_VARS {
        return Err(PcsError::TooManyVars { num_vars, max: MAX_VARS });
    }
    num_vars.checked_sub(col_vars).ok_or(PcsError::TooManyVars { num_vars: col_vars, max: num_vars })
}

impl HyraxCommitment {
    /// The rows of `parts` one after the other: the commitment of the stacked table
    /// (part index as the last variables) under the parts' column split.
    pub fn concat<'a>(parts: impl IntoIterator<Item = &'a HyraxCommitment>) -> HyraxCommitment {
        HyraxCommitment { rows: parts.into_iter().flat_map(|p| p.rows.iter().copied()).collect() }
    }

    /// Whether every row is the identity (the unblinded commitment of zero).
    pub fn is_zero(&self) -> bool {
        self.rows.iter().all(|p| p.is_zero())
    }

    /// Whether row `r` is the identity (`None`: no such row).
    pub fn row_is_zero(&self, r: usize) -> Option<bool> {
        self.rows.get(r).map(|p| p.is_zero())
    }

    /// The commitment of the all-zero table with `rows` rows (no blinding).
    pub fn zero(rows: usize) -> HyraxCommitment {
        HyraxCommitment { rows: vec![G1Affine::zero(); rows] }
    }

    /// `sum_k coeffs[k] * comms[k]` row by row: a commitment to the same linear
    /// combination of the tables (blinds combine likewise). Used to open several
    /// tables at one point with one argument.
    pub fn combine(comms: &[&HyraxCommitment], coeffs: &[Fr]) -> Result<HyraxCommitment, PcsError> {
        let mismatch = PcsError::CombineMismatch { commitments: comms.len(), coefficients: coeffs.len() };
        let Some(first) = comms.first() else {
            return Err(mismatch);
        };
        if comms.len() != coeffs.len() || comms.iter().any(|c| c.rows.len() != first.rows.len()) {
            return Err(mismatch);
        }
        let msm = CpuMsm;
        let proj: Vec<G1Projective> = (0..first.rows.len())
            .into_par_iter()
            .map(|i| {
                let bases: Vec<G1Affine> = comms.iter().map(|c| c.rows[i]).collect();
                msm.msm_fr(&bases, coeffs).unwrap_or_else(|_| G1Projective::zero())
            })
            .collect();
        Ok(HyraxCommitment { rows: G1Projective::normalize_batch(&proj) })
    }
}

/// The commitment of `sum_k c_k T_k + constant` (every entry) from the (unblinded)
/// commitments of the `T_k`, all under the column split `col_vars`: row by row,
/// `sum_k c_k C_k[row] + constant * sum_{j < 2^col_vars} G_j`. The result is exactly
/// what [`commit_split`] gives for the combined table, at the cost of a few group
/// operations per row instead of an MSM: the prover derives the commitments of
/// tables that are linear in tables it has committed (weights after an update).
pub fn commit_affine_combination(
    gens: &HyraxGenerators,
    col_vars: usize,
    terms: &[(&HyraxCommitment, i64)],
    constant: i64,
) -> Result<HyraxCommitment, PcsError> {
    let rows = terms
        .first()
        .map(|(c, _)| c.rows.len())
        .ok_or(PcsError::CombineMismatch { commitments: 0, coefficients: 0 })?;
    if let Some((c, _)) = terms.iter().find(|(c, _)| c.rows.len() != rows) {
        return Err(PcsError::WrongRowCount { expected: rows, got: c.rows.len() });
    }
    // Small integer multiples by double-and-add over the magnitude's bits (a negative
    // coefficient as a field element would take all 255 bits).
    let times = |p: G1Projective, k: i64| {
        let m = p.mul_bigint([k.unsigned_abs()]);
        if k < 0 {
            -m
        } else {
            m
        }
    };
    let offset = if constant == 0 { G1Projective::zero() } else { times(gens.column_sum(col_vars)?, constant) };
    let proj: Vec<G1Projective> = (0..rows)
        .into_par_iter()
        .map(|i| {
            let mut acc = offset;
            for (c, k) in terms {
                match *k {
                    1 => acc += c.rows[i],
                    -1 => acc -= c.rows[i],
                    k => acc += times(c.rows[i].into_group(), k),
                }
            }
            acc
        })
        .collect();
    Ok(HyraxCommitment { rows: G1Projective::normalize_batch(&proj) })
}

/// Linear combination of tables (the prover's side of [`HyraxCommitment::combine`]).
pub fn combine_tables(tables: &[&[Fr]], coeffs: &[Fr]) -> Vec<Fr> {
    let len = tables.iter().map(|t| t.len()).max().unwrap_or(0);
    (0..len)
        .into_par_iter()
        .map(|x| tables.iter().zip(coeffs).map(|(t, c)| t.get(x).map_or(Fr::zero(), |v| *v * c)).sum())
        .collect()
}

/// The commitment an opening is about: one commitment, or a linear combination of
/// commitments of one shape (opened without computing the combination: the verifier
/// folds the coefficients into its final multi-scalar multiplication).
#[derive(Debug, Clone, Copy)]
pub enum CommitmentRef<'a> {
    Single(&'a HyraxCommitment),
    Combination(&'a [(&'a HyraxCommitment, Fr)]),
}

/// A multi-scalar-multiplication equation `sum_i scalars[i] * bases[i] == 0`: what a
/// Hyrax opening reduces to. Several of them are checked at once by a random linear
/// combination ([`MsmCheck::check_all`]).
#[derive(Debug, Clone, Default)]
pub struct MsmCheck {
    pub bases: Vec<G1Affine>,
    pub scalars: Vec<Fr>,
}

impl MsmCheck {
    /// Check `sum_k weights[k] * checks[k] == 0` with one MSM (the weights must be
    /// drawn after every check's inputs are fixed).
    pub fn check_all(checks: &[MsmCheck], weights: &[Fr]) -> Result<(), PcsError> {
        if checks.len() != weights.len() {
            return Err(PcsError::CombineMismatch { commitments: checks.len(), coefficients: weights.len() });
        }
        // Equal bases (the column generators every opening uses, a commitment opened in
        // two groups) are merged and the identity (zero rows of dummy steps) dropped:
        // `s P + t P = (s + t) P`, so the sum is the same with fewer points.
        let total: usize = checks.iter().map(|c| c.bases.len()).sum();
        let mut slot: std::collections::HashMap<G1Affine, usize> = std::collections::HashMap::with_capacity(total);
        let mut bases = Vec::with_capacity(total);
        let mut scalars: Vec<Fr> = Vec::with_capacity(total);
        for (c, w) in checks.iter().zip(weights) {
            for (b, s) in c.bases.iter().zip(&c.scalars) {
                if b.is_zero() {
                    continue;
                }
                let k = *slot.entry(*b).or_insert_with(|| {
                    bases.push(*b);
                    scalars.push(Fr::zero());
                    bases.len() - 1
                });
                if let Some(acc) = scalars.get_mut(k) {
                    *acc += *s * w;
                }
            }
        }
        let sum = CpuMsm.msm_fr(&bases, &scalars).map_err(|_| PcsError::OpeningRejected)?;
        if sum.is_zero() {
            Ok(())
        } else {
            Err(PcsError::OpeningRejected)
        }
    }
}

fn absorb_statement(
    transcript: &mut Transcript,
    (num_vars, col_vars): (usize, usize),
    comm: CommitmentRef<'_>,
    point: &[Fr],
    value: &Fr,
) {
    transcript.append_u64(labels::HYRAX_OPEN_BEGIN, num_vars as u64);
    transcript.append_u64(labels::HYRAX_NUM_VARS, col_vars as u64);
    match comm {
        CommitmentRef::Single(c) => transcript.append_points(labels::HYRAX_COMMITMENT_ROW, &c.rows),
        CommitmentRef::Combination(parts) => {
            transcript.append_u64(labels::HYRAX_COMMITMENT_ROW, parts.len() as u64);
            for (c, coeff) in parts {
                transcript.append_points(labels::HYRAX_COMMITMENT_ROW, &c.rows);
                transcript.append_scalar(labels::HYRAX_COMMITMENT_ROW, coeff);
            }
        }
    }
    transcript.append_scalars(labels::HYRAX_POINT, point);
    transcript.append_scalar(labels::HYRAX_VALUE, value);
}

/// Open the committed `table` (as field elements, `2^num_vars` of them) at `point`.
/// Returns the value `f(point)` and the opening argument. `blinds` must be the ones
/// used to commit; `rng` blinds the folding rounds when `blinds` is given.
#[allow(clippy::too_many_arguments)]
pub fn open<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    num_vars: usize,
    table: &[Fr],
    blinds: Option<&[Fr]>,
    comm: &HyraxCommitment,
    point: &[Fr],
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<(Fr, HyraxOpening), PcsError> {
    open_split(
        gens,
        num_vars,
        split_vars(num_vars).1,
        table,
        blinds,
        CommitmentRef::Single(comm),
        point,
        transcript,
        rng,
    )
}

/// [`open`] for a table committed with [`commit_split`].
#[allow(clippy::too_many_arguments)]
pub fn open_split<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    num_vars: usize,
    col_vars: usize,
    table: &[Fr],
    blinds: Option<&[Fr]>,
    comm: CommitmentRef<'_>,
    point: &[Fr],
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<(Fr, HyraxOpening), PcsError> {
    let tail_vars = tail_vars(col_vars, blinds.is_some());
    open_split_folded(gens, num_vars, col_vars, table, blinds, comm, point, transcript, rng, tail_vars)
}

/// [`open_split`] folding down to a tail of `2^tail_vars` entries (any
/// `tail_vars <= col_vars` verifies; for tests of the folding).
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn open_split_folded<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    num_vars: usize,
    col_vars: usize,
    table: &[Fr],
    blinds: Option<&[Fr]>,
    comm: CommitmentRef<'_>,
    point: &[Fr],
    transcript: &mut Transcript,
    rng: &mut R,
    tail_vars: usize,
) -> Result<(Fr, HyraxOpening), PcsError> {
    let row_vars = checked_rows(num_vars, col_vars)?;
    if point.len() != num_vars {
        return Err(PcsError::PointLength { expected: num_vars, got: point.len() });
    }
    if table.len() != 1usize << num_vars {
        return Err(PcsError::WrongTableLength { expected: 1usize << num_vars, got: table.len() });
    }
    let rows = 1usize << row_vars;
    let m = 1usize << col_vars;
    if let Some(b) = blinds {
        if b.len() != rows {
            return Err(PcsError::WrongBlindCount { expected: rows, got: b.len() });
        }
    }
    let lvec = eq_table(point.get(col_vars..).unwrap_or(&[]));
    // v = L^T M
    let v: Vec<Fr> = (0..m).into_par_iter().map(|j| (0..rows).map(|i| lvec[i] * table[i * m + j]).sum()).collect();
    let blind = blinds.map(|b| inner_product(&lvec, b));
    fold_row_combination(gens, num_vars, col_vars, v, blind, comm, point, transcript, rng, tail_vars)
}

/// [`open_split`] given the row combination `v = sum_i eq(r_row, i) M_i` of the
/// committed table (`2^col_vars` entries; the caller computes it, e.g. from integer
/// tables with `mle::combine_rows_i64`) and, for a blinded commitment, the same
/// combination of the row blinds.
#[allow(clippy::too_many_arguments)]
pub fn open_row_combination<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    num_vars: usize,
    col_vars: usize,
    v: Vec<Fr>,
    blind: Option<Fr>,
    comm: CommitmentRef<'_>,
    point: &[Fr],
    transcript: &mut Transcript,
    rng: &mut R,
) -> Result<(Fr, HyraxOpening), PcsError> {
    let tail_vars = tail_vars(col_vars, blind.is_some());
    fold_row_combination(gens, num_vars, col_vars, v, blind, comm, point, transcript, rng, tail_vars)
}

/// The opening from the row combination, folding down to `2^tail_vars` entries.
#[allow(clippy::too_many_arguments)]
fn fold_row_combination<R: RngCore + CryptoRng>(
    gens: &HyraxGenerators,
    num_vars: usize,
    col_vars: usize,
    mut v: Vec<Fr>,
    blind: Option<Fr>,
    comm: CommitmentRef<'_>,
    point: &[Fr],
    transcript: &mut Transcript,
    rng: &mut R,
    tail_vars: usize,
) -> Result<(Fr, HyraxOpening), PcsError> {
    checked_rows(num_vars, col_vars)?;
    if point.len() != num_vars {
        return Err(PcsError::PointLength { expected: num_vars, got: point.len() });
    }
    if v.len() != 1usize << col_vars {
        return Err(PcsError::WrongTableLength { expected: 1usize << col_vars, got: v.len() });
    }
    let blinds = blind.is_some();
    let mut blind = blind.unwrap_or_else(Fr::zero);
    let g = gens.cols(col_vars)?;
    let bvec = eq_table(point.get(..col_vars).unwrap_or(&[]));
    let value = inner_product(&v, &bvec);

    absorb_statement(transcript, (num_vars, col_vars), comm, point, &value);
    let w = transcript.challenge_scalar(labels::HYRAX_IPA_U);
    let q = (gens.u * w).into_affine();

    let mut b = bvec;
    let tail_len = 1usize << tail_vars.min(col_vars);
    let mut gcur: Vec<G1Affine> = if v.len() > tail_len { g.to_vec() } else { Vec::new() };
    let mut ls = Vec::with_capacity(col_vars);
    let mut rs = Vec::with_capacity(col_vars);
    let msm = CpuMsm;
    while v.len() > tail_len {
        let h = v.len() / 2;
        let (v_lo, v_hi) = v.split_at(h);
        let (b_lo, b_hi) = b.split_at(h);
        let (g_lo, g_hi) = gcur.split_at(h);
        let (lam_l, lam_r) = if blinds { (Fr::rand(rng), Fr::rand(rng)) } else { (Fr::zero(), Fr::zero()) };
        // L = <v_lo, G_hi> + <v_lo, b_hi> Q + lam_l H ; R = <v_hi, G_lo> + <v_hi, b_lo> Q + lam_r H
        let l = msm.msm_fr(g_hi, v_lo)? + q * inner_product(v_lo, b_hi) + gens.h * lam_l;
        let r = msm.msm_fr(g_lo, v_hi)? + q * inner_product(v_hi, b_lo) + gens.h * lam_r;
        let lr = G1Projective::normalize_batch(&[l, r]);
        let (la, ra) = match lr.as_slice() {
            [a, b] => (*a, *b),
            _ => return Err(PcsError::OpeningRejected),
        };
        transcript.append_point(labels::HYRAX_IPA_L, &la);
        transcript.append_point(labels::HYRAX_IPA_R, &ra);
        let x = transcript.challenge_scalar(labels::HYRAX_IPA_CHALLENGE);
        let xinv = x.inverse().ok_or(PcsError::ZeroChallenge)?;
        // v' = v_lo + x v_hi ; b' = b_lo + x^-1 b_hi ; G' = G_lo + x^-1 G_hi
        let nv: Vec<Fr> = v_lo.par_iter().zip(v_hi).map(|(a, c)| *a + x * c).collect();
        let nb: Vec<Fr> = b_lo.par_iter().zip(b_hi).map(|(a, c)| *a + xinv * c).collect();
        let ng: Vec<G1Projective> = g_lo.par_iter().zip(g_hi).map(|(a, c)| *c * xinv + a).collect();
        blind += xinv * lam_l + x * lam_r;
        v = nv;
        b = nb;
        gcur = G1Projective::normalize_batch(&ng);
        ls.push(la);
        rs.push(ra);
    }
    absorb_tail(transcript, &v, &blind);
    Ok((value, HyraxOpening { l: ls, r: rs, tail: v, blind }))
}

/// The opening's last messages go into the transcript too, so that challenges drawn
/// later (the weights of [`MsmCheck::check_all`]) depend on them.
fn absorb_tail(transcript: &mut Transcript, tail: &[Fr], blind: &Fr) {
    transcript.append_scalars(labels::HYRAX_TAIL, tail);
    transcript.append_scalar(labels::HYRAX_TAIL, blind);
}

/// Verify that the table committed in `comm` (with `num_vars` variables) evaluates
/// to `value` at `point`.
pub fn verify(
    gens: &HyraxGenerators,
    num_vars: usize,
    comm: &HyraxCommitment,
    point: &[Fr],
    value: Fr,
    proof: &HyraxOpening,
    transcript: &mut Transcript,
) -> Result<(), PcsError> {
    verify_split(gens, num_vars, split_vars(num_vars).1, comm, point, value, proof, transcript)
}

/// [`verify_split`]'s checks, except the final MSM equation, which is returned.
#[allow(clippy::too_many_arguments)]
pub fn verify_terms(
    gens: &HyraxGenerators,
    num_vars: usize,
    col_vars: usize,
    comm: CommitmentRef<'_>,
    point: &[Fr],
    value: Fr,
    proof: &HyraxOpening,
    transcript: &mut Transcript,
) -> Result<MsmCheck, PcsError> {
    let row_vars = checked_rows(num_vars, col_vars)?;
    if point.len() != num_vars {
        return Err(PcsError::PointLength { expected: num_vars, got: point.len() });
    }
    let rows = 1usize << row_vars;
    let parts: Vec<(&HyraxCommitment, Fr)> = match comm {
        CommitmentRef::Single(c) => vec![(c, Fr::one())],
        CommitmentRef::Combination(p) => p.to_vec(),
    };
    for (c, _) in &parts {
        if c.rows.len() != rows {
            return Err(PcsError::WrongRowCount { expected: rows, got: c.rows.len() });
        }
    }
    // k folding rounds leave 2^(col_vars - k) entries: rounds and tail must agree.
    let rounds = proof.l.len();
    let tail_ok = col_vars.checked_sub(rounds).is_some_and(|tv| proof.tail.len() == 1usize << tv);
    if proof.r.len() != rounds || !tail_ok {
        return Err(PcsError::WrongRoundCount { expected: col_vars, got: rounds.min(proof.r.len()) });
    }
    let g = gens.cols(col_vars)?;
    let (r_col, r_row) = point.split_at(col_vars);
    let lvec = eq_table(r_row);
    let bvec = eq_table(r_col);

    absorb_statement(transcript, (num_vars, col_vars), comm, point, &value);
    let w = transcript.challenge_scalar(labels::HYRAX_IPA_U);

    let mut xs = Vec::with_capacity(col_vars);
    for (l, r) in proof.l.iter().zip(&proof.r) {
        transcript.append_point(labels::HYRAX_IPA_L, l);
        transcript.append_point(labels::HYRAX_IPA_R, r);
        let x = transcript.challenge_scalar(labels::HYRAX_IPA_CHALLENGE);
        let xinv = x.inverse().ok_or(PcsError::ZeroChallenge)?;
        xs.push((x, xinv));
    }
    absorb_tail(transcript, &proof.tail, &proof.blind);
    // Column i folds into tail entry i mod 2^tail_vars with the weight
    // s_(i >> tail_vars) = prod_j (x_j^-1)^{bit j of i >> tail_vars}, round 0 the most
    // significant bit.
    let mut s = vec![Fr::one()];
    for (_, xinv) in &xs {
        let mut next = Vec::with_capacity(2 * s.len());
        for e in &s {
            next.push(*e);
            next.push(*e * xinv);
        }
        s = next;
    }
    let m = proof.tail.len();
    // b folded like the generators: b'_t = sum_h s_h b_(h m + t)
    let mut b_fold = vec![Fr::zero(); m];
    for (bh, sh) in bvec.chunks(m).zip(&s) {
        for (acc, bi) in b_fold.iter_mut().zip(bh) {
            *acc += *sh * bi;
        }
    }
    let tail_b = inner_product(&proof.tail, &b_fold);
    // Check: sum_i L_i C_i + value*Q + sum_j (x_j^-1 L_j + x_j R_j)
    //        - sum_i tail_(i mod m) s_(i / m) G_i - <tail, b'> Q - blind*H == 0   with Q = w U
    let cap = parts.len() * rows + 2 * col_vars + 2 + g.len();
    let mut check = MsmCheck { bases: Vec::with_capacity(cap), scalars: Vec::with_capacity(cap) };
    for (c, coeff) in &parts {
        check.bases.extend_from_slice(&c.rows);
        check.scalars.extend(lvec.iter().map(|l| *l * coeff));
    }
    for ((l, r), (x, xinv)) in proof.l.iter().zip(&proof.r).zip(&xs) {
        check.bases.push(*l);
        check.scalars.push(*xinv);
        check.bases.push(*r);
        check.scalars.push(*x);
    }
    check.bases.push(gens.u);
    check.scalars.push(w * (value - tail_b));
    check.bases.push(gens.h);
    check.scalars.push(-proof.blind);
    check.bases.extend_from_slice(g);
    for sh in &s {
        check.scalars.extend(proof.tail.iter().map(|t| -(*t * sh)));
    }
    Ok(check)
}

/// [`verify`] for a table committed with [`commit_split`].
#[allow(clippy::too_many_arguments)]
pub fn verify_split(
    gens: &HyraxGenerators,
    num_vars: usize,
    col_vars: usize,
    comm: &HyraxCommitment,
    point: &[Fr],
    value: Fr,
    proof: &HyraxOpening,
    transcript: &mut Transcript,
) -> Result<(), PcsError> {
    let check = verify_terms(gens, num_vars, col_vars, CommitmentRef::Single(comm), point, value, proof, transcript)?;
    MsmCheck::check_all(&[check], &[Fr::one()])
}

/// Evaluate a committed table directly (prover-side helper): `f(point)`.
pub fn evaluate_table(table: &[Fr], point: &[Fr]) -> Fr {
    inner_product(table, &eq_table(point))
}

/// Sizes in bytes (on the wire, [`WIRE`]) of a commitment and an opening for `num_vars`.
pub fn sizes(num_vars: usize) -> (usize, usize) {
    let (row_vars, col_vars) = split_vars(num_vars);
    let point = WIRE_POINT_BYTES;
    let scalar = Fr::one().serialized_size(WIRE);
    let comm = 8 + (1usize << row_vars) * point;
    // unblinded: folding rounds down to the clear tail (see [`HyraxOpening`])
    let tail = tail_vars(col_vars, false);
    let open = 8 + 8 + 2 * (col_vars - tail) * point + 8 + (1usize << tail) * scalar + scalar;
    (comm, open)
}
