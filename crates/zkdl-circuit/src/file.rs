//! The proof file (`*.zkdl`): everything a verifier needs, in one file.
//!
//! Layout: magic `ZKDLPRF\0` (8 bytes), format version (u32 LE), circuit digest
//! (32 bytes), length of the circuit text (u32 LE), the circuit as circuit-file TOML
//! (UTF-8), then the [`Statement`] and the [`TrainingProof`] (arkworks serialization
//! with uncompressed points, `zkdl_core::pcs::WIRE`). Nothing may follow. Reading checks, before any heavy work, the
//! magic, the version, that the circuit text parses and validates, and that its digest
//! equals both the header's and the statement's.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Validate};
use thiserror::Error;
use zkdl_core::pcs::WIRE;

use crate::proof::{Statement, TrainingProof};
use crate::spec::CircuitSpec;

/// The first bytes of every proof file.
pub const MAGIC: &[u8; 8] = b"ZKDLPRF\0";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 11;
/// Largest circuit text accepted (bytes).
const MAX_CIRCUIT_TEXT: usize = 1 << 20;

/// Why a proof file was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FileError {
    #[error("not a zkdl proof file (bad magic bytes)")]
    NotAProof,
    #[error("proof file format version {found}, this zkdl reads version {expected}")]
    Version { found: u32, expected: u32 },
    #[error("proof file is truncated ({0})")]
    Truncated(&'static str),
    #[error("the circuit in the proof file is invalid: {0}")]
    Circuit(String),
    #[error("the proof file's circuit digest does not match its circuit")]
    Digest,
    #[error("the proof was made for another circuit (circuit digests differ)")]
    OtherCircuit,
    #[error("malformed {what}: {reason}")]
    Malformed { what: &'static str, reason: String },
    #[error("{0} trailing bytes after the proof")]
    Trailing(usize),
}

/// A parsed proof file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofFile {
    pub spec: CircuitSpec,
    pub statement: Statement,
    pub proof: TrainingProof,
}

impl ProofFile {
    /// Serialize to bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, FileError> {
        let text = self.spec.to_toml_string();
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&self.spec.digest());
        out.extend_from_slice(&(text.len() as u32).to_le_bytes());
        out.extend_from_slice(text.as_bytes());
        let ser = |e: ark_serialize::SerializationError| FileError::Malformed { what: "proof", reason: e.to_string() };
        self.statement.serialize_with_mode(&mut out, WIRE).map_err(ser)?;
        self.proof.serialize_with_mode(&mut out, WIRE).map_err(ser)?;
        Ok(out)
    }

    /// Parse and check the header (see the module docs).
    pub fn from_bytes(bytes: &[u8]) -> Result<ProofFile, FileError> {
        let (magic, rest) = bytes.split_at_checked(8).ok_or(FileError::NotAProof)?;
        if magic != MAGIC {
            return Err(FileError::NotAProof);
        }
        let (version, rest) = rest.split_at_checked(4).ok_or(FileError::Truncated("version"))?;
        let found = u32::from_le_bytes(version.try_into().map_err(|_| FileError::Truncated("version"))?);
        if found != FORMAT_VERSION {
            return Err(FileError::Version { found, expected: FORMAT_VERSION });
        }
        let (digest, rest) = rest.split_at_checked(32).ok_or(FileError::Truncated("digest"))?;
        let (len, rest) = rest.split_at_checked(4).ok_or(FileError::Truncated("circuit length"))?;
        let len = u32::from_le_bytes(len.try_into().map_err(|_| FileError::Truncated("circuit length"))?) as usize;
        if len > MAX_CIRCUIT_TEXT {
            return Err(FileError::Circuit(format!("circuit text of {len} bytes")));
        }
        let (text, mut rest) = rest.split_at_checked(len).ok_or(FileError::Truncated("circuit"))?;
        let text = std::str::from_utf8(text).map_err(|e| FileError::Circuit(e.to_string()))?;
        let spec = CircuitSpec::from_toml_str(text).map_err(|e| FileError::Circuit(e.to_string()))?;
        if spec.digest() != digest {
            return Err(FileError::Digest);
        }
        let de =
            |what| move |e: ark_serialize::SerializationError| FileError::Malformed { what, reason: e.to_string() };
        let statement = Statement::deserialize_with_mode(&mut rest, WIRE, Validate::Yes).map_err(de("statement"))?;
        if statement.digest != spec.digest() {
            return Err(FileError::OtherCircuit);
        }
        let proof = TrainingProof::deserialize_with_mode(&mut rest, WIRE, Validate::Yes).map_err(de("proof"))?;
        if !rest.is_empty() {
            return Err(FileError::Trailing(rest.len()));
        }
        Ok(ProofFile { spec, statement, proof })
    }
}
