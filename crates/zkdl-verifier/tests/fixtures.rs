//! The verifier on stored proofs (golden files): `fixtures/tiny-1.zkdl` and
//! `fixtures/tiny-2.zkdl`, a run of the built-in tiny circuit proven in two chunks of two
//! steps (`zkdl prove --out tiny-1.zkdl --checkpoint-out c1.ckpt`, then `zkdl prove --resume
//! c1.ckpt --out tiny-2.zkdl`, from the repository root: the prover is deterministic for a
//! seed). A change of the proof format or of the protocol breaks these tests on purpose:
//! regenerate the files with those two commands.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use zkdl_circuit::file::{FileError, ProofFile, FORMAT_VERSION};
use zkdl_verifier::chain::Chunk;
use zkdl_verifier::{verify, verify_chain, ChainError, ChainOptions, Phase, VerifyError};

const TINY_1: &[u8] = include_bytes!("fixtures/tiny-1.zkdl");
const TINY_2: &[u8] = include_bytes!("fixtures/tiny-2.zkdl");

fn parse(bytes: &[u8]) -> ProofFile {
    ProofFile::from_bytes(bytes).unwrap_or_else(|e| {
        panic!("fixture of another format ({e}): regenerate it, this build writes version {FORMAT_VERSION}")
    })
}

fn chunk(f: &ProofFile) -> Chunk<'_> {
    Chunk { spec: &f.spec, statement: &f.statement, proof: &f.proof }
}

#[test]
fn stored_proofs_verify_as_a_chain() {
    let (a, b) = (parse(TINY_1), parse(TINY_2));
    verify(&a.spec, &a.statement, &a.proof).unwrap();
    verify(&b.spec, &b.statement, &b.proof).unwrap();
    assert_eq!(verify_chain(&[chunk(&a), chunk(&b)], &ChainOptions::default()), Ok((0, 4)));
    assert_eq!(
        verify_chain(&[chunk(&b)], &ChainOptions::default()),
        Err(ChainError::MissingPredecessor { first: 2, end: 4 })
    );
    let trusted = ChainOptions { trust_initial: true, ..ChainOptions::default() };
    assert_eq!(verify_chain(&[chunk(&b)], &trusted), Ok((2, 4)));
    assert!(matches!(verify_chain(&[chunk(&b), chunk(&a)], &trusted), Err(ChainError::NotNext { index: 2, .. })));
}

/// Each part of the statement is bound: changed, the proof fails at its first phase.
#[test]
fn a_changed_statement_is_rejected() {
    let a = parse(TINY_1);
    let b = parse(TINY_2);
    let check = |st: &zkdl_circuit::proof::Statement| verify(&a.spec, st, &a.proof).unwrap_err();
    let mut s = a.statement.clone();
    s.step_offset = 2;
    assert!(matches!(check(&s), VerifyError::Sumcheck { phase: Phase::Booleanity, .. }), "{}", check(&s));
    let mut s = a.statement.clone();
    s.dataset = Some([7; 32]);
    assert!(matches!(check(&s), VerifyError::Sumcheck { phase: Phase::Booleanity, .. }), "{}", check(&s));
    let mut s = a.statement.clone();
    s.initial_checked = false;
    assert!(matches!(check(&s), VerifyError::Sumcheck { phase: Phase::Booleanity, .. }), "{}", check(&s));
    // the data of step 1 replaced by the second chunk's (same shapes, other rows)
    let mut s = a.statement.clone();
    s.data[1] = b.statement.data[0].clone();
    assert!(matches!(check(&s), VerifyError::Sumcheck { .. } | VerifyError::FinalClaim { .. }), "{}", check(&s));
    // W(T) of the second chunk claimed
    let mut s = a.statement.clone();
    s.w_final = b.statement.w_final.clone();
    assert!(matches!(check(&s), VerifyError::Sumcheck { .. } | VerifyError::FinalClaim { .. }), "{}", check(&s));
    let mut s = a.statement.clone();
    s.digest[0] ^= 1;
    assert_eq!(check(&s), VerifyError::DigestMismatch);
}

/// Damaged files are errors, never panics: every truncation, flipped bytes across the
/// file, another version.
#[test]
fn damaged_files_are_errors() {
    for cut in (0..TINY_1.len()).step_by(331) {
        assert!(ProofFile::from_bytes(&TINY_1[..cut]).is_err(), "truncated at {cut}");
    }
    let mut rejected = 0;
    for at in (0..TINY_1.len()).step_by(1009) {
        let mut bytes = TINY_1.to_vec();
        bytes[at] ^= 0x5a;
        match ProofFile::from_bytes(&bytes) {
            Err(_) => rejected += 1,
            Ok(f) => {
                if verify(&f.spec, &f.statement, &f.proof).is_err() {
                    rejected += 1;
                }
            }
        }
    }
    assert_eq!(rejected, TINY_1.len().div_ceil(1009), "every flipped byte is rejected");
    let mut other = TINY_1.to_vec();
    other[8] ^= 0x40;
    assert!(matches!(ProofFile::from_bytes(&other), Err(FileError::Version { .. })));
}
