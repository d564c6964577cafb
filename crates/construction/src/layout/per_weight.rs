//! The per-weight layout: Theorem 3 without batch sampling, i.e. Corollary 10 applied to each
//! target weight on a block of neurons of its own.
//!
//! Target weight `(a, b)` of layer `i` owns the block of `m` neurons
//! `z ∈ [(a·n_{i-1} + b)·m, +m)`, so `M_i = n_i n_{i-1} m`. One block serves both halves
//! (their classes are disjoint, [`crate::kernel`]); the block's neurons are offered in `z`
//! order. Work items are the (layer, output neuron `a`) rows.
//!
//! `m` is Theorem 3's `8⌈k' ln(k'/δ_w)⌉` ([`Plan::neurons_per_weight_theorem`]) or
//! `--neurons-per-weight K`, times the width scale. `width_needed` is `n_i n_{i-1}` times the
//! longest block prefix consulted.

use crate::kernel::Kernel;
use crate::layout::{ItemOutput, Layout, Work, product3, scaled, target_weight};
use crate::source::RangeSource;
use crate::{Construction, ConstructionError, LargeNetwork, PlanCore};

/// The per-weight layout (see the [module documentation](self)).
#[derive(Clone, Debug, PartialEq)]
pub struct PerWeight {
    m: u64,
    theorem: Vec<u64>,
}

impl PerWeight {
    /// The layout with `m` neurons per target weight (no theorem widths: for tests and
    /// benches).
    pub fn with_block(m: u64) -> Self {
        PerWeight {
            m,
            theorem: Vec::new(),
        }
    }

    /// The layout of `plan`: `m` from the theorem or `--neurons-per-weight`, scaled.
    ///
    /// # Errors
    /// [`ConstructionError::TooLarge`] for a scaled `m` beyond `u64`.
    pub fn new(plan: &PlanCore) -> Result<Self, ConstructionError> {
        let c = plan.config();
        let m_theorem = plan.neurons_per_weight_theorem();
        let m = scaled(c.neurons_per_weight.unwrap_or(m_theorem), c.width_scale)?;
        let theorem = plan
            .fans()
            .iter()
            .map(|p| (p[0] as u64 * p[1] as u64).saturating_mul(m_theorem))
            .collect();
        Ok(PerWeight { m, theorem })
    }

    /// The first neuron of the block of target weight `(a, b)` of a layer with `n_in` inputs.
    pub fn block(&self, n_in: usize, a: usize, b: usize) -> u64 {
        (a as u64 * n_in as u64 + b as u64) * self.m
    }
}

impl Layout for PerWeight {
    fn construction(&self) -> Construction {
        Construction::PerWeight
    }

    fn neurons_per_weight(&self) -> u64 {
        self.m
    }

    /// `M_i = n_i n_{i-1} m`.
    fn widths(&self, fans: &[[usize; 2]]) -> Result<Vec<u64>, ConstructionError> {
        fans.iter()
            .map(|p| {
                product3(
                    "intermediate width M_i = n_i n_{i-1} m",
                    p[0] as u64,
                    p[1] as u64,
                    self.m,
                )
            })
            .collect()
    }

    fn widths_theorem(&self) -> &[u64] {
        &self.theorem
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
            let z0 = self.block(n_in, a, b);
            source.reset((a, b), z0..z0 + self.m);
            let outcome = kernel.decompose(&x, &mut source, false)?;
            longest = longest.max(outcome.consulted);
            out.record(&x, &outcome, kernel.weights());
        }
        out.width_needed = longest * (n_in * large.fan_out(t)) as u64;
        progress.advance(n_in as u64);
        Ok(())
    }
}
