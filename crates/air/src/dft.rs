//! The DFT of both configurations: Plonky3's two DFTs for our field, each on the matrices it is
//! fast on.
//!
//! A proof computes low-degree extensions of wide main traces (up to 186 columns) and of narrow
//! matrices: LogUp columns and quotient chunks, 2 to 12 columns of up to 2^19 rows.
//! `Radix2DitParallel` works on whole rows, packing columns into SIMD lanes: on a matrix
//! narrower than one packed vector (16 KoalaBear elements under AVX-512) most lanes stay
//! empty. `RecursiveDft` transposes and transforms each column on its own, which wins on
//! narrow matrices and loses badly on wide ones (the transposes). Measured on one block of
//! 1,024 transfers (BENCHMARKS.md, issue 32): a 4 × 2^18 quotient chunk 46–50 ms row-wise and
//! 15 ms by columns; the 165 × 2^18 compression table 297 ms row-wise and 902 ms by columns.
//!
//! Both compute the same evaluations, so the commitments (and every proof) are the same
//! whichever does the work: the choice is the prover's alone and the verifier does not see it.

use p3_dft::{Layout, Radix2DitParallel, TwoAdicSubgroupDft};
use p3_field::{Field, PackedValue};
use p3_matrix::Matrix;
use p3_matrix::bitrev::BitReversedMatrixView;
use p3_matrix::dense::{RowMajorMatrix, RowMajorMatrixView, RowMajorMatrixViewMut};
use p3_monty_31::dft::RecursiveDft;

use crate::config::Val;

/// Plonky3's row-wise radix-2 DFT on matrices at least one packed vector wide, its column-wise
/// recursive DFT on narrower ones. See the [module docs](self).
#[derive(Clone, Debug, Default)]
pub struct Dft {
    rows: Radix2DitParallel<Val>,
    columns: RecursiveDft<Val>,
}

impl Dft {
    /// Whether a matrix of `width` columns goes to the column-wise DFT.
    fn narrow(width: usize) -> bool {
        width < <Val as Field>::Packing::WIDTH
    }
}

/// Calls `$method` of the DFT suited to `$mat`'s width.
macro_rules! by_width {
    ($self:ident, $mat:ident, $method:ident($($arg:expr),*)) => {
        if Dft::narrow($mat.width()) {
            $self.columns.$method($mat, $($arg),*)
        } else {
            $self.rows.$method($mat, $($arg),*)
        }
    };
}

impl TwoAdicSubgroupDft<Val> for Dft {
    type Evaluations = BitReversedMatrixView<RowMajorMatrix<Val>>;

    fn dft_batch(&self, mat: RowMajorMatrix<Val>) -> Self::Evaluations {
        by_width!(self, mat, dft_batch())
    }

    fn coset_dft_batch(&self, mat: RowMajorMatrix<Val>, shift: Val) -> Self::Evaluations {
        by_width!(self, mat, coset_dft_batch(shift))
    }

    fn idft_batch(&self, mat: RowMajorMatrix<Val>) -> RowMajorMatrix<Val> {
        by_width!(self, mat, idft_batch())
    }

    fn coset_idft_batch(&self, mat: RowMajorMatrix<Val>, shift: Val) -> RowMajorMatrix<Val> {
        by_width!(self, mat, coset_idft_batch(shift))
    }

    fn lde_batch(&self, mat: RowMajorMatrix<Val>, added_bits: usize) -> Self::Evaluations {
        by_width!(self, mat, lde_batch(added_bits))
    }

    fn coset_lde_batch(
        &self,
        mat: RowMajorMatrix<Val>,
        added_bits: usize,
        shift: Val,
    ) -> Self::Evaluations {
        by_width!(self, mat, coset_lde_batch(added_bits, shift))
    }

    fn coset_lde_batch_with_transform<T>(
        &self,
        mat: RowMajorMatrix<Val>,
        added_bits: usize,
        shift: Val,
        transform: T,
    ) -> Self::Evaluations
    where
        T: FnOnce(&mut RowMajorMatrixViewMut<'_, Val>, Layout),
    {
        by_width!(
            self,
            mat,
            coset_lde_batch_with_transform(added_bits, shift, transform)
        )
    }

    fn coset_lde_batch_with_blocks<T, K, C>(
        &self,
        mat: RowMajorMatrix<Val>,
        added_bits: usize,
        shift: Val,
        transform: T,
        make_consumer: K,
    ) -> BitReversedMatrixView<RowMajorMatrix<Val>>
    where
        T: FnOnce(&mut RowMajorMatrixViewMut<'_, Val>, Layout),
        K: FnOnce(usize) -> C,
        C: Fn(usize, RowMajorMatrixView<'_, Val>) + Sync,
    {
        by_width!(
            self,
            mat,
            coset_lde_batch_with_blocks(added_bits, shift, transform, make_consumer)
        )
    }
}

#[cfg(test)]
mod tests {
    use p3_field::PrimeCharacteristicRing;

    use super::*;

    /// Both DFTs give the same extension, bit for bit, on either side of the width threshold
    /// (so the hybrid changes no commitment).
    #[test]
    fn both_dfts_extend_alike() {
        for width in [1, 4, 15, 16, 20] {
            let values = (0..64 * width as u32)
                .map(|i| Val::from_u32(i.wrapping_mul(0x9e37_79b9) >> 1))
                .collect::<Vec<_>>();
            let mat = RowMajorMatrix::new(values, width);
            let shift = Val::from_u32(7);
            let rows = Radix2DitParallel::<Val>::default()
                .coset_lde_batch(mat.clone(), 1, shift)
                .to_row_major_matrix();
            let columns = RecursiveDft::<Val>::default()
                .coset_lde_batch(mat.clone(), 1, shift)
                .to_row_major_matrix();
            let ours = Dft::default()
                .coset_lde_batch(mat, 1, shift)
                .to_row_major_matrix();
            assert_eq!(rows, columns, "width {width}");
            assert_eq!(ours, rows, "width {width}");
        }
    }
}
