//! [`HyraxCommitment`]: one G1 point per row, its wire encoding and checked decoding, and
//! linear combinations of commitments (with the tables' side, [`combine_tables`]).

use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::Zero;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rayon::prelude::*;

use crate::error::PcsError;
use crate::field::Fr;
use crate::msm::MsmBackend;
use crate::{G1Affine, G1Projective};

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
    /// tables at one point with one argument. The MSMs run on `msm`.
    pub fn combine(
        msm: &dyn MsmBackend,
        comms: &[&HyraxCommitment],
        coeffs: &[Fr],
    ) -> Result<HyraxCommitment, PcsError> {
        let mismatch = PcsError::CombineMismatch { commitments: comms.len(), coefficients: coeffs.len() };
        let Some(first) = comms.first() else {
            return Err(mismatch);
        };
        if comms.len() != coeffs.len() || comms.iter().any(|c| c.rows.len() != first.rows.len()) {
            return Err(mismatch);
        }
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

/// Linear combination of tables (the prover's side of [`HyraxCommitment::combine`]).
pub fn combine_tables(tables: &[&[Fr]], coeffs: &[Fr]) -> Vec<Fr> {
    let len = tables.iter().map(|t| t.len()).max().unwrap_or(0);
    (0..len)
        .into_par_iter()
        .map(|x| tables.iter().zip(coeffs).map(|(t, c)| t.get(x).map_or(Fr::zero(), |v| *v * c)).sum())
        .collect()
}
