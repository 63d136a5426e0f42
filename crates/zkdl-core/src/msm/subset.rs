//! [`SubsetTable`]: the subset sums of blocks of [`SUBSET_BLOCK`] fixed bases, its block
//! builders, and the row MSMs that sum bit planes over it.

use ark_ff::{AdditiveGroup, Zero};
use rayon::prelude::*;

use super::batch_add::{segment_starts, BatchPoint};
use crate::error::MsmError;
use crate::ifma::P52;
use crate::{G1Affine, G1Projective};

/// Bases per block of a [`SubsetTable`].
pub const SUBSET_BLOCK: usize = 12;

/// A fixed-base table over a base set (the Hyrax column generators), "four Russians"
/// style: for every block of [`SUBSET_BLOCK`] consecutive bases, the sums of all
/// `2^SUBSET_BLOCK` subsets of the block (entry `idx` is the sum of the bases whose bit
/// is set in `idx`). A row MSM of non-negative scalars below `2^b` is then `sum_p 2^p
/// S_p` with `S_p` the sum, over the blocks, of the entry selected by bit `p` of the
/// block's scalars: one addition per bit plane and block (`b / 12` per scalar for dense
/// scalars) instead of one per scalar and 8-bit digit, and no bucket reduction. A block
/// is built on its first use (`2^12` batch-affine additions), so a base set whose
/// prefix alone is used pays only for that prefix. Where the CPU has AVX-512 IFMA
/// ([`crate::ifma::available`]) the blocks hold the IFMA form of their points and every
/// addition on them runs eight at a time.
#[derive(Debug, Clone)]
pub struct SubsetTable {
    bases: Vec<G1Affine>,
    blocks: Blocks,
}

/// The blocks of a [`SubsetTable`], in one of the two point forms.
#[derive(Debug, Clone)]
enum Blocks {
    Affine(Vec<std::sync::OnceLock<Vec<G1Affine>>>),
    Ifma(Vec<std::sync::OnceLock<Vec<P52>>>),
}

impl SubsetTable {
    /// A table over `bases` (no block is built yet), in the IFMA form where the CPU has it.
    pub fn new(bases: &[G1Affine]) -> Self {
        Self::with_form(bases, crate::ifma::available())
    }

    /// A table over `bases` in the IFMA form (`ifma`; where the CPU lacks it, its additions
    /// go through arkworks one at a time, slowly) or as arkworks' points: for tests and
    /// side-by-side measurements.
    pub fn with_form(bases: &[G1Affine], ifma: bool) -> Self {
        Self::from_vec(bases.to_vec(), ifma)
    }

    /// [`Self::with_form`], taking the bases.
    pub(super) fn from_vec(bases: Vec<G1Affine>, ifma: bool) -> Self {
        let n = bases.len().div_ceil(SUBSET_BLOCK);
        let blocks = match ifma {
            true => Blocks::Ifma((0..n).map(|_| std::sync::OnceLock::new()).collect()),
            false => Blocks::Affine((0..n).map(|_| std::sync::OnceLock::new()).collect()),
        };
        Self { bases, blocks }
    }

    /// Whether the blocks are in the IFMA form.
    pub fn is_ifma(&self) -> bool {
        matches!(self.blocks, Blocks::Ifma(_))
    }

    /// The set the table is built over.
    pub fn bases(&self) -> &[G1Affine] {
        &self.bases
    }

    /// Builds the blocks that cover bases `range` (those not built yet), for a caller
    /// about to use them many times: the MSMs charge a block not built yet to the call
    /// that would build it, and take other methods when that call alone does not pay.
    pub fn prepare(&self, range: std::ops::Range<usize>) {
        if range.start < range.end {
            let blocks = range.start / SUBSET_BLOCK..range.end.div_ceil(SUBSET_BLOCK);
            match &self.blocks {
                Blocks::Affine(c) => _ = build_blocks(&self.bases, c, blocks),
                Blocks::Ifma(c) => _ = build_blocks(&self.bases, c, blocks),
            }
        }
    }

    /// The blocks of `range` not built yet.
    pub(super) fn missing(&self, range: std::ops::Range<usize>) -> Vec<usize> {
        match &self.blocks {
            Blocks::Affine(c) => missing_blocks(c, range),
            Blocks::Ifma(c) => missing_blocks(c, range),
        }
    }

    /// `sum_i scalars[r m + i] * bases[start + i]` for every row `r` of `m` scalars
    /// (`m = scalars.len() / rows`): the rows of a Hyrax commitment whose columns are
    /// bases `start..start + m` of the set.
    pub fn msm_rows(&self, start: usize, m: usize, scalars: &[u64]) -> Result<Vec<G1Projective>, MsmError> {
        if m == 0 || !scalars.len().is_multiple_of(m) {
            return Err(MsmError::LengthMismatch { bases: m, scalars: scalars.len() });
        }
        if start.checked_add(m).is_none_or(|end| end > self.bases.len()) {
            return Err(MsmError::RangeOutside { start, end: start.saturating_add(m), len: self.bases.len() });
        }
        let top = scalars.par_iter().copied().reduce(|| 0, |a, b| a | b);
        let planes = u64::BITS - top.leading_zeros();
        Ok(subset_rows(self, start, m, scalars.len() / m, planes, |i| scalars[i]))
    }
}

fn missing_blocks<T>(cells: &[std::sync::OnceLock<Vec<T>>], range: std::ops::Range<usize>) -> Vec<usize> {
    range.filter(|&b| cells.get(b).is_some_and(|c| c.get().is_none())).collect()
}

/// Pairs per batch of additions when [`build_blocks`] builds blocks.
const BUILD_BATCH: usize = 1 << 13;

/// Blocks `range` of a table over `bases`, built where missing: the missing blocks in
/// chunks (one per thread), each chunk level by level (`t[2^j + i] = t[i] + G_j`), the
/// additions of a level in batches of about [`BUILD_BATCH`] pairs over its blocks, one
/// inversion each.
fn build_blocks<'t, T: BatchPoint>(
    bases: &[G1Affine],
    cells: &'t [std::sync::OnceLock<Vec<T>>],
    range: std::ops::Range<usize>,
) -> Vec<&'t [T]> {
    let missing = missing_blocks(cells, range.clone());
    let chunk = missing.len().div_ceil(rayon::current_num_threads().max(1)).max(1);
    missing.par_chunks(chunk).for_each(|bs| {
        let sets: Vec<Vec<T>> = bs
            .iter()
            .map(|&b| {
                let g = bases.get(b * SUBSET_BLOCK..((b + 1) * SUBSET_BLOCK).min(bases.len())).unwrap_or_default();
                g.iter().map(T::from_affine).collect()
            })
            .collect();
        let mut tables: Vec<Vec<T>> = sets.iter().map(|g| vec![T::identity(); 1 << g.len()]).collect();
        let mut pts = Vec::with_capacity(2 * BUILD_BATCH + (2 << SUBSET_BLOCK));
        let mut segs = Vec::with_capacity(BUILD_BATCH + (1 << SUBSET_BLOCK));
        let mut dest = Vec::with_capacity(BUILD_BATCH + (1 << SUBSET_BLOCK));
        // the pairs in batches of about BUILD_BATCH (one inversion each, a few MB)
        let flush =
            |tables: &mut [Vec<T>], pts: &mut Vec<T>, segs: &mut Vec<(u32, u32)>, dest: &mut Vec<(usize, usize)>| {
                T::reduce(pts, segs);
                for (s, &(t, i)) in pts.iter().zip(dest.iter()) {
                    if let Some(slot) = tables.get_mut(t).and_then(|t| t.get_mut(i)) {
                        *slot = *s;
                    }
                }
                pts.clear();
                segs.clear();
                dest.clear();
            };
        for j in 0..SUBSET_BLOCK {
            let half = 1usize << j;
            // t[2^j] = G_j, t[2^j + i] = t[i] + G_j for 0 < i < 2^j
            for (ti, g) in sets.iter().enumerate() {
                let (Some(gj), Some(t)) = (g.get(j), tables.get_mut(ti)) else { continue };
                if let Some(slot) = t.get_mut(half) {
                    *slot = *gj;
                }
                for (i, p) in t.iter().enumerate().take(half).skip(1) {
                    pts.extend([*p, *gj]);
                    segs.push((segs.len() as u32, 2));
                    dest.push((ti, half + i));
                }
                if segs.len() >= BUILD_BATCH {
                    flush(&mut tables, &mut pts, &mut segs, &mut dest);
                }
            }
            flush(&mut tables, &mut pts, &mut segs, &mut dest);
        }
        for (&b, t) in bs.iter().zip(tables) {
            if let Some(cell) = cells.get(b) {
                let _ = cell.set(t);
            }
        }
    });
    range.map(|b| cells.get(b).and_then(|c| c.get()).map_or(&[][..], |t| t.as_slice())).collect()
}

/// Entries per group of rows in [`subset_rows`] (more than [`ROW_GROUP_ENTRIES`]: a
/// group's segments are shorter, `m / 12` points, so its later levels of additions
/// would otherwise share an inversion among few pairs).
///
/// [`ROW_GROUP_ENTRIES`]: super::rows::ROW_GROUP_ENTRIES
const SUBSET_GROUP_ENTRIES: usize = 1 << 16;

/// [`SubsetTable::msm_rows`] for scalars `value(i) < 2^planes` (`i < rows m`, bases
/// `start..start + m` of the table's set, which the caller checked), over the table's
/// blocks in their form.
pub(super) fn subset_rows(
    table: &SubsetTable,
    start: usize,
    m: usize,
    rows: usize,
    planes: u32,
    value: impl Fn(usize) -> u64 + Sync,
) -> Vec<G1Projective> {
    if rows == 0 || m == 0 || planes == 0 {
        return vec![G1Projective::zero(); rows];
    }
    let blocks = start / SUBSET_BLOCK..(start + m - 1) / SUBSET_BLOCK + 1;
    match &table.blocks {
        Blocks::Affine(c) => subset_rows_over(&build_blocks(&table.bases, c, blocks), start, m, rows, planes, value),
        Blocks::Ifma(c) => subset_rows_over(&build_blocks(&table.bases, c, blocks), start, m, rows, planes, value),
    }
}

/// [`subset_rows`] over the blocks that cover bases `start..start + m`. Rows are
/// processed in groups: every (row, plane) of a group is one segment of a single
/// reduction, then each row combines its planes by doublings (Horner).
fn subset_rows_over<T: BatchPoint>(
    blocks: &[&[T]],
    start: usize,
    m: usize,
    rows: usize,
    planes: u32,
    value: impl Fn(usize) -> u64 + Sync,
) -> Vec<G1Projective> {
    let k = SUBSET_BLOCK;
    let b0 = start / k;
    let nb = blocks.len();
    let np = planes as usize;
    let group = (SUBSET_GROUP_ENTRIES / m).clamp(1, rows.div_ceil(rayon::current_num_threads().max(1)).max(1));
    (0..rows.div_ceil(group))
        .into_par_iter()
        .flat_map_iter(|gi| {
            let r0 = gi * group;
            let g_rows = group.min(rows - r0);
            // idx[(r nb + b) np + p]: the subset of block b selected by bit p of row r
            let mut idx = vec![0u16; g_rows * nb * np];
            for r in 0..g_rows {
                let base = (r0 + r) * m;
                for i in 0..m {
                    let mut v = value(base + i);
                    let pos = start + i;
                    let (b, q) = (pos / k - b0, pos % k);
                    let slot = &mut idx[(r * nb + b) * np..(r * nb + b + 1) * np];
                    while v != 0 {
                        slot[v.trailing_zeros() as usize] |= 1 << q;
                        v &= v - 1;
                    }
                }
            }
            // segment (r, p): the selected entries of every block
            let mut counts = vec![0u32; g_rows * np];
            for (rb, sel) in idx.chunks(np).enumerate() {
                let r = rb / nb;
                for (p, &x) in sel.iter().enumerate() {
                    counts[r * np + p] += (x != 0) as u32;
                }
            }
            let (mut starts, total) = segment_starts(counts.iter().map(|&c| c as usize));
            // the selected entries, block by block (the first level of additions reads
            // them in the table)
            let identity = T::identity();
            let mut refs = vec![&identity; total];
            for (b, block) in blocks.iter().enumerate() {
                for r in 0..g_rows {
                    let sel = &idx[(r * nb + b) * np..(r * nb + b + 1) * np];
                    for (p, &x) in sel.iter().enumerate() {
                        if x != 0 {
                            let slot = &mut starts[r * np + p];
                            refs[*slot] = &block[x as usize];
                            *slot += 1;
                        }
                    }
                }
            }
            let mut segs: Vec<(u32, u32)> =
                counts.iter().enumerate().filter(|(_, &n)| n > 0).map(|(s, &n)| (s as u32, n)).collect();
            let pts = T::reduce_refs(&refs, &mut segs);
            let mut sums = vec![None; g_rows * np];
            for (&(s, _), p) in segs.iter().zip(&pts) {
                sums[s as usize] = Some(p.to_affine());
            }
            sums.chunks(np)
                .map(|row| {
                    let mut acc = G1Projective::zero();
                    for s in row.iter().rev() {
                        acc.double_in_place();
                        if let Some(p) = s {
                            acc += p;
                        }
                    }
                    acc
                })
                .collect::<Vec<_>>()
        })
        .collect()
}
