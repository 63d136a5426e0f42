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

mod commit;
mod commitment;
mod generators;
mod open;

pub use commit::{commit, commit_affine_combination, commit_split, commit_tn_product, commits_to_i64, Table};
pub use commitment::{combine_tables, HyraxCommitment, WIRE, WIRE_POINT_BYTES};
pub use generators::{HyraxGenerators, PrecomputedGenerators, HASH_TO_CURVE_DST};
pub use open::{
    evaluate_table, open, open_row_combination, open_split, open_split_folded, verify, verify_split, verify_terms,
    CommitmentRef, HyraxOpening, MsmCheck, OPENING_TAIL_VARS,
};

use ark_ff::One;
use ark_serialize::CanonicalSerialize;

use crate::error::PcsError;
use crate::field::Fr;
use open::tail_vars;

/// Largest supported number of variables of one committed table.
pub const MAX_VARS: usize = 40;

/// Rows/columns split: `(row_vars, col_vars)` with `col_vars = ceil(n / 2)`.
pub fn split_vars(num_vars: usize) -> (usize, usize) {
    let col = num_vars.div_ceil(2);
    (num_vars - col, col)
}

/// `num_vars - col_vars`, or an error when the split is impossible.
fn checked_rows(num_vars: usize, col_vars: usize) -> Result<usize, PcsError> {
    if num_vars > MAX_VARS {
        return Err(PcsError::TooManyVars { num_vars, max: MAX_VARS });
    }
    num_vars.checked_sub(col_vars).ok_or(PcsError::TooManyVars { num_vars: col_vars, max: num_vars })
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
