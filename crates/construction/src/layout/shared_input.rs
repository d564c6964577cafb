//! The shared-input layout of Pensia et al. 2020: per layer, a block of `r` intermediate
//! neurons for each input `b`, `z ∈ [b·r, (b+1)·r)`, so `M_i = n_{i-1} r`.
//!
//! Target weight `(a, b)` is decomposed over the products `V[a,z]·U[z,b]` of block `b`'s
//! neurons. A kept neuron keeps its one input edge `U[z,b]` and an output edge to every `a`
//! whose decomposition chose it, so one neuron serves many outputs of its column and nothing
//! is spent. One block serves both halves, as the per-weight block does (a neuron's class is
//! the sign of its `U[z,b]`, [`crate::kernel`]); where a column never sees negative inputs its
//! `U < 0` neurons stay unused.
//!
//! With the list solvers (best fit in its two-sided form, exact subset sum) a half may sum
//! products of both signs ([`Layout::mixes_signs`]), which doubles its candidates; the
//! golden-ratio decomposition stays one-sided, as Lemma 9 requires.
//!
//! # The default `r`
//!
//! For a fixed `(a, b)` the products `V[a,z]·U[z,b]`, `z` in block `b`, are independent draws
//! of the product law (the `U[z,b]` of different neurons are independent, and so are the
//! `V[a,z]`), exactly like the products of a per-weight block. So Corollary 10 with the factor
//! 8 of Theorem 3's proof (step 2) applies to each half with `r` in place of `m`, and the union
//! bound over the `2N*` halves of Theorem 30's step 3 does not need the decompositions of
//! different outputs to be independent. Hence the default `r = m = 8⌈k' ln(k'/δ_w)⌉`
//! ([`Plan::neurons_per_weight_theorem`]) carries the same guarantee as the per-weight layout
//! (for the hyperbolic G and the golden-ratio solver) with `n_i` times fewer neurons:
//! `M_i = n_{i-1} m` instead of `n_i n_{i-1} m`. `--neurons-per-input R` replaces it; the width
//! scale multiplies it.

use crate::kernel::Kernel;
use crate::layout::{ItemOutput, Layout, Work, product3, scaled, target_weight};
use crate::source::RangeSource;
use crate::{Construction, ConstructionError, LargeNetwork, PlanCore};

/// The shared-input layout (see the [module documentation](self)).
#[derive(Clone, Debug, PartialEq)]
pub struct SharedInput {
    r: u64,
    theorem: Vec<u64>,
}

impl SharedInput {
    /// The default `r` for `plan`: the per-weight block `m` of Corollary 10 (module docs).
    pub fn default_r(plan: &PlanCore) -> u64 {
        plan.neurons_per_weight_theorem()
    }

    /// The layout of `plan`: `r` from `--neurons-per-input` or [`SharedInput::default_r`],
    /// scaled.
    ///
    /// # Errors
    /// [`ConstructionError::TooLarge`] for a scaled `r` beyond `u64`.
    pub fn new(plan: &PlanCore) -> Result<Self, ConstructionError> {
        let c = plan.config();
        let rule = Self::default_r(plan);
        let r = scaled(c.neurons_per_input.unwrap_or(rule), c.width_scale)?;
        let theorem = plan
            .fans()
            .iter()
            .map(|p| (p[0] as u64).saturating_mul(rule))
            .collect();
        Ok(SharedInput { r, theorem })
    }

    /// The `r` neurons of the block of input `b`.
    pub fn block(&self, b: usize) -> core::ops::Range<u64> {
        let z0 = b as u64 * self.r;
        z0..z0 + self.r
    }
}

impl Layout for SharedInput {
    fn construction(&self) -> Construction {
        Construction::SharedInput
    }

    /// `r`.
    fn neurons_per_weight(&self) -> u64 {
        self.r
    }

    /// `M_i = n_{i-1} r`.
    fn widths(&self, fans: &[[usize; 2]]) -> Result<Vec<u64>, ConstructionError> {
        fans.iter()
            .map(|p| product3("intermediate width M_i = n_{i-1} r", p[0] as u64, 1, self.r))
            .collect()
    }

    /// The default rule's `n_{i-1} m` (module docs).
    fn widths_theorem(&self) -> &[u64] {
        &self.theorem
    }

    fn mixes_signs(&self) -> bool {
        true
    }

    fn items(&self, large: &LargeNetwork, t: usize) -> usize {
        large.fan_out(t)
    }

    fn run_item(
        &self,
        work: &Work<'_>,
        kernel: &mut Kernel<'_>,
        (t, a): (usize, usize),
        out: &mut ItemOutput,
    ) -> Result<(), ConstructionError> {
        let (large, spec, progress) = (work.large, work.spec, work.progress);
        let n_in = large.fan_in(t);
        let mut longest = 0;
        let mut source = RangeSource::new(large, t, (a, 0), 0..0);
        for b in 0..n_in {
            let x = target_weight(spec, t, a, b);
            source.reset((a, b), self.block(b));
            let outcome = kernel.decompose(&x, &mut source, true)?;
            longest = longest.max(outcome.consulted);
            out.record(&x, &outcome, kernel.weights());
        }
        out.width_needed = longest * n_in as u64;
        progress.advance(n_in as u64);
        Ok(())
    }
}
