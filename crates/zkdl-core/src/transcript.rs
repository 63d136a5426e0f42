//! The Fiat-Shamir transcript: a newtype over [`merlin::Transcript`].
//!
//! Rules (DESIGN §3, §8): everything a challenge depends on is appended BEFORE the
//! challenge is drawn; challenges are 64 bytes reduced mod r (bias below 2^-250);
//! the prover never draws randomness for challenges from anywhere else. All labels
//! live in [`labels`], so domain separation can be reviewed in one place.

use ark_ec::CurveGroup;
use ark_ff::PrimeField;
use ark_serialize::CanonicalSerialize;

use crate::field::Fr;
use crate::{G1Affine, G1Projective};

/// Every transcript label of zkdl.
pub mod labels {
    /// Domain separator of the whole protocol (with the version).
    pub const PROTOCOL: &[u8] = b"zkdl/v1";
    pub const DOMAIN: &[u8] = b"domain";

    pub const SUMCHECK_BEGIN: &[u8] = b"sumcheck/begin";
    pub const SUMCHECK_NUM_VARS: &[u8] = b"sumcheck/num_vars";
    pub const SUMCHECK_DEGREE: &[u8] = b"sumcheck/degree";
    pub const SUMCHECK_CLAIM: &[u8] = b"sumcheck/claim";
    pub const SUMCHECK_BATCH_COEFF: &[u8] = b"sumcheck/batch_coeff";
    pub const SUMCHECK_ROUND_POLY: &[u8] = b"sumcheck/round_poly";
    pub const SUMCHECK_CHALLENGE: &[u8] = b"sumcheck/challenge";

    pub const HYRAX_OPEN_BEGIN: &[u8] = b"hyrax/open";
    pub const HYRAX_NUM_VARS: &[u8] = b"hyrax/num_vars";
    pub const HYRAX_COMMITMENT_ROW: &[u8] = b"hyrax/commitment_row";
    pub const HYRAX_POINT: &[u8] = b"hyrax/point";
    pub const HYRAX_VALUE: &[u8] = b"hyrax/value";
    pub const HYRAX_IPA_U: &[u8] = b"hyrax/ipa_u";
    pub const HYRAX_IPA_L: &[u8] = b"hyrax/ipa_l";
    pub const HYRAX_IPA_R: &[u8] = b"hyrax/ipa_r";
    pub const HYRAX_IPA_CHALLENGE: &[u8] = b"hyrax/ipa_challenge";
    pub const HYRAX_TAIL: &[u8] = b"hyrax/tail";

    /// The aggregated relation system.
    pub const RELATIONS_DESCRIPTION: &[u8] = b"relations/description";
    pub const RELATIONS_COMMITMENT: &[u8] = b"relations/commitment";
    pub const RELATIONS_POINT: &[u8] = b"relations/point";
    pub const RELATIONS_PRE: &[u8] = b"relations/pre";
    pub const RELATIONS_POST: &[u8] = b"relations/post";
    /// LogUp: the table challenge `alpha` (leaves `alpha - v`).
    pub const LOOKUP_ALPHA: &[u8] = b"relations/lookup/alpha";
    /// LogUp GKR: the combination of a tree layer's two child claims.
    pub const LOOKUP_LAMBDA: &[u8] = b"relations/lookup/lambda";
    /// LogUp: the combination of a tuple's columns (tables of several columns).
    pub const LOOKUP_BETA: &[u8] = b"relations/lookup/beta";
    /// Claim reduction: the number of claims and their weights (column stage).
    pub const REDUCTION_COLUMNS: &[u8] = b"relations/reduction/columns";
    /// Claim reduction: the number of row claims and their weights (row stage).
    pub const REDUCTION_ROWS: &[u8] = b"relations/reduction/rows";
    pub const RELATIONS_BETA: &[u8] = b"relations/beta";

    /// The training proof.
    pub const TRAINING_DOMAIN: &[u8] = b"zkdl/training";
    pub const STATEMENT_DIGEST: &[u8] = b"statement/digest";
    pub const STATEMENT_COMMITMENT: &[u8] = b"statement/commitment";
    pub const STATEMENT_DATASET: &[u8] = b"statement/dataset";

    /// Used only by tests and examples of the core crate.
    pub const TEST: &[u8] = b"zkdl/test";
    /// The prover's check that a previous statement commits to the weights it resumes
    /// from (`pcs::commits_to_i64`'s row weights; not part of any proof).
    pub const PREVIOUS_WEIGHTS: &[u8] = b"zkdl/previous-weights";
    /// A digest of a transcript's state ([`super::Transcript::fingerprint`]; drawn on a
    /// copy, never part of a proof).
    pub const FINGERPRINT: &[u8] = b"zkdl/fingerprint";
}

/// The Fiat-Shamir transcript of zkdl.
#[derive(Clone)]
pub struct Transcript(merlin::Transcript);

impl Transcript {
    /// A new transcript, domain-separated by the protocol version and `domain`.
    pub fn new(domain: &'static [u8]) -> Self {
        let mut t = merlin::Transcript::new(labels::PROTOCOL);
        t.append_message(labels::DOMAIN, domain);
        Self(t)
    }

    /// A digest of the state: two transcripts that absorbed and drew the same things
    /// give the same fingerprint. Drawn on a copy; `self` is unchanged.
    pub fn fingerprint(&self) -> [u8; 32] {
        let mut copy = self.0.clone();
        let mut out = [0u8; 32];
        copy.challenge_bytes(labels::FINGERPRINT, &mut out);
        out
    }

    pub fn append_message(&mut self, label: &'static [u8], msg: &[u8]) {
        self.0.append_message(label, msg);
    }

    pub fn append_u64(&mut self, label: &'static [u8], v: u64) {
        self.0.append_u64(label, v);
    }

    pub fn append_scalar(&mut self, label: &'static [u8], s: &Fr) {
        let mut buf = Vec::with_capacity(32);
        // Serialization into a Vec cannot fail.
        let _ = s.serialize_compressed(&mut buf);
        self.0.append_message(label, &buf);
    }

    pub fn append_scalars(&mut self, label: &'static [u8], s: &[Fr]) {
        let mut buf = Vec::with_capacity(8 + 32 * s.len());
        buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
        for x in s {
            let _ = x.serialize_compressed(&mut buf);
        }
        self.0.append_message(label, &buf);
    }

    pub fn append_point(&mut self, label: &'static [u8], p: &G1Affine) {
        let mut buf = Vec::with_capacity(48);
        let _ = p.serialize_compressed(&mut buf);
        self.0.append_message(label, &buf);
    }

    pub fn append_projective(&mut self, label: &'static [u8], p: &G1Projective) {
        self.append_point(label, &p.into_affine());
    }

    pub fn append_points(&mut self, label: &'static [u8], ps: &[G1Affine]) {
        let mut buf = Vec::with_capacity(8 + 48 * ps.len());
        buf.extend_from_slice(&(ps.len() as u64).to_le_bytes());
        for p in ps {
            let _ = p.serialize_compressed(&mut buf);
        }
        self.0.append_message(label, &buf);
    }

    /// A challenge scalar: 64 transcript bytes reduced mod r.
    pub fn challenge_scalar(&mut self, label: &'static [u8]) -> Fr {
        let mut buf = [0u8; 64];
        self.0.challenge_bytes(label, &mut buf);
        Fr::from_le_bytes_mod_order(&buf)
    }

    pub fn challenge_scalars(&mut self, label: &'static [u8], n: usize) -> Vec<Fr> {
        (0..n).map(|_| self.challenge_scalar(label)).collect()
    }

    /// Append anything implementing [`AppendToTranscript`].
    pub fn append<T: AppendToTranscript + ?Sized>(&mut self, label: &'static [u8], item: &T) {
        item.append_to(label, self);
    }
}

/// Types that can be absorbed into the transcript.
pub trait AppendToTranscript {
    fn append_to(&self, label: &'static [u8], t: &mut Transcript);
}

impl AppendToTranscript for Fr {
    fn append_to(&self, label: &'static [u8], t: &mut Transcript) {
        t.append_scalar(label, self);
    }
}

impl AppendToTranscript for [Fr] {
    fn append_to(&self, label: &'static [u8], t: &mut Transcript) {
        t.append_scalars(label, self);
    }
}

impl AppendToTranscript for G1Affine {
    fn append_to(&self, label: &'static [u8], t: &mut Transcript) {
        t.append_point(label, self);
    }
}

impl AppendToTranscript for [G1Affine] {
    fn append_to(&self, label: &'static [u8], t: &mut Transcript) {
        t.append_points(label, self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_order_sensitive() {
        let mut a = Transcript::new(labels::TEST);
        let mut b = Transcript::new(labels::TEST);
        a.append_scalar(labels::SUMCHECK_CLAIM, &Fr::from(5u64));
        b.append_scalar(labels::SUMCHECK_CLAIM, &Fr::from(5u64));
        assert_eq!(a.challenge_scalar(labels::SUMCHECK_CHALLENGE), b.challenge_scalar(labels::SUMCHECK_CHALLENGE));
        let mut c = Transcript::new(labels::TEST);
        c.append_scalar(labels::SUMCHECK_CLAIM, &Fr::from(6u64));
        let mut d = Transcript::new(labels::TEST);
        d.append_scalar(labels::SUMCHECK_CLAIM, &Fr::from(5u64));
        assert_ne!(c.challenge_scalar(labels::SUMCHECK_CHALLENGE), d.challenge_scalar(labels::SUMCHECK_CHALLENGE));
        // different domain, different challenges
        let mut e = Transcript::new(labels::SUMCHECK_BEGIN);
        let mut f = Transcript::new(labels::TEST);
        assert_ne!(e.challenge_scalar(labels::SUMCHECK_CHALLENGE), f.challenge_scalar(labels::SUMCHECK_CHALLENGE));
    }
}
