//! The one-call report of every bound for a [`crate::Setting`], used by `cargo xtask bounds`
//! and the tables of `data/`.

use crate::malach::{self, MalachAssumptions};
use crate::params::ParamError;
use crate::setting::Inputs;
use crate::theorem3::{self, WeightRange};
use crate::theorem30;
use crate::{Count, LogNum};

pub use crate::theorem30::MinSource;

/// The neuron counts of one layer `i` (between target layers `i-1` and `i`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerReport {
    /// The layer `i ∈ [1, ℓ]`.
    pub layer: usize,
    /// Its input width `n_{i-1}`.
    pub n_in: u64,
    /// Its output width `n_i`.
    pub n_out: u64,
    /// Theorem 3's `M_i = ⌈16k'(n_i n_{i-1} + ln(2ℓk'/δ))⌉`.
    pub theorem3: Count,
    /// Theorem 30's `M_i = ⌈2k'(n_i n_{i-1} + 4 max{n_i, n_{i-1}} ln(2k'N*/δ))⌉`.
    pub theorem30: Count,
    /// `min` of the two (end of Appendix D).
    pub min: Count,
    /// Which one is the minimum.
    pub min_source: MinSource,
    /// Malach et al.'s `M_i = n_max² ⌈64ℓ²n_max³ ln(2n_max²ℓ/δ)/ε²⌉` (the same for every
    /// layer; valid only under their assumptions, see [`Report::malach_assumptions`]).
    pub malach: Count,
    /// `M_i/n_max²` for Theorem 3: sampled neurons per target weight (Remark 4).
    pub theorem3_per_weight: LogNum,
    /// `M_i/n_max²` for Theorem 30.
    pub theorem30_per_weight: LogNum,
    /// `M_i/n_max²` for the minimum.
    pub min_per_weight: LogNum,
    /// `M_i/n_max² = ⌈64ℓ²n_max³ ln(2n_max²ℓ/δ)/ε²⌉` for Malach et al.
    pub malach_per_weight: LogNum,
}

/// Every bound of the paper for one setting. All counts are [`Count`]s and all reals that can
/// leave `f64`'s range are [`LogNum`]s, so nothing here is `inf` or `NaN` in log form.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Lemma 1's `ε_w` (ReLU).
    pub epsilon_w: LogNum,
    /// Theorem 3's `k' = log_{3/2}(3w_max/ε_w)`.
    pub k_prime: f64,
    /// `k = ⌈log_{3/2}(2w_max/ε_w)⌉` (Theorem 30's definition; see [`theorem3::k`]).
    pub k: u64,
    /// Theorem 3's printed `k = ⌈log_{3/2}(w_max/(2ε_w))⌉`, for comparison.
    pub k_as_printed: i64,
    /// Theorem 3's `α'`, `β'`, `q`, `α`, `β`.
    pub weight_range: WeightRange,
    /// `n_max`.
    pub n_max: u64,
    /// `N* = Σ n_{i-1} n_i`.
    pub n_star: f64,
    /// Per-layer counts, layers `1..=ℓ` in order.
    pub layers: Vec<LayerReport>,
    /// Corollary 7's `N_G/N*` with Theorem 3's `M_i`.
    pub ng_over_nstar_theorem3: LogNum,
    /// `N_G/N*` with Theorem 30's `M_i`.
    pub ng_over_nstar_theorem30: LogNum,
    /// `N_G/N*` with the minimum `M_i`.
    pub ng_over_nstar_min: LogNum,
    /// Corollary 7's leading term `32 n_max k'`.
    pub corollary7_leading_term: f64,
    /// Remark 8: Theorem 3's `Σ M_i` over the `2k N*` neurons `Ĝ` keeps at most.
    pub remark8_neuron_ratio: LogNum,
    /// Which of Malach et al.'s assumptions hold.
    pub malach_assumptions: MalachAssumptions,
}

impl Report {
    pub(crate) fn compute(inp: &Inputs<'_>) -> Result<Report, ParamError> {
        let widths = inp.widths;
        let layers_n = widths.layers();
        let n_max = widths.n_max();
        let n_star = widths.n_star();
        let n2 = n_max as f64 * n_max as f64;
        let k_prime = theorem3::k_prime(inp.epsilon_w, inp.w_max)?;
        let k = theorem3::k(inp.epsilon_w, inp.w_max)?;
        let k_as_printed = theorem3::k_as_printed(inp.epsilon_w, inp.w_max)?;
        let weight_range = theorem3::weight_range(inp.epsilon_w, inp.w_max)?;
        let malach_per = malach::per_weight(n_max, layers_n, inp.epsilon, inp.delta)?;
        let malach_m = malach::m_i(n_max, layers_n, inp.epsilon, inp.delta)?;
        let mut layers = Vec::with_capacity(layers_n);
        let n = widths.as_slice();
        for i in 1..=layers_n {
            let (n_in, n_out) = (n[i - 1], n[i]);
            let t3 = theorem3::m_i(k_prime, n_out, n_in, layers_n, inp.delta)?;
            let t30 = theorem30::m_i(k_prime, n_out, n_in, n_star, inp.delta)?;
            let (min, min_source) = theorem30::min_m_i(t3, t30);
            layers.push(LayerReport {
                layer: i,
                n_in,
                n_out,
                theorem3: t3,
                theorem30: t30,
                min,
                min_source,
                malach: malach_m,
                theorem3_per_weight: t3.per(n2)?,
                theorem30_per_weight: t30.per(n2)?,
                min_per_weight: min.per(n2)?,
                malach_per_weight: malach_per.as_lognum(),
            });
        }
        let t3: Vec<Count> = layers.iter().map(|l| l.theorem3).collect();
        let t30: Vec<Count> = layers.iter().map(|l| l.theorem30).collect();
        let mins: Vec<Count> = layers.iter().map(|l| l.min).collect();
        Ok(Report {
            epsilon_w: inp.epsilon_w,
            k_prime,
            k,
            k_as_printed,
            weight_range,
            n_max,
            n_star,
            ng_over_nstar_theorem3: theorem3::corollary7_ratio(widths, &t3)?,
            ng_over_nstar_theorem30: theorem3::corollary7_ratio(widths, &t30)?,
            ng_over_nstar_min: theorem3::corollary7_ratio(widths, &mins)?,
            corollary7_leading_term: theorem3::corollary7_leading_term(n_max, k_prime)?,
            remark8_neuron_ratio: theorem3::remark8_neuron_ratio(widths, &t3, k)?,
            malach_assumptions: MalachAssumptions::check(inp.w_max, n_max, inp.norms, inp.f_max)?,
            layers,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::prec::{HAND_6, SAME_FORMULA, assert_rel};
    use crate::{NormModel, Setting};

    #[test]
    fn example5_report_by_hand() {
        let s = Setting::uniform(100, 10, 0.01, 0.01).check().unwrap();
        let r = s.report();
        assert_rel(r.epsilon_w.value(), 3.678_794e-7, HAND_6);
        assert_rel(r.k_prime, 39.249_06, HAND_6);
        assert_eq!((r.k, r.k_as_printed), (39, 35));
        assert_eq!(r.layers.len(), 10);
        for l in &r.layers {
            assert_eq!(l.theorem3.as_u64(), Some(6_286_927));
            assert_eq!(l.theorem30.as_u64(), Some(1_428_075));
            assert_eq!(l.min, l.theorem30);
            assert_eq!(l.min_source, crate::MinSource::Theorem30);
            assert_eq!(l.theorem3_per_weight.value(), 628.6927);
            assert_eq!(l.theorem30_per_weight.value(), 142.8075);
            assert_rel(l.malach_per_weight.value(), 1.075_919_5e15, 1e-7);
            assert_rel(l.malach.value(), 1.075_919_5e19, 1e-7);
        }
        assert_eq!(r.n_max, 100);
        assert_eq!(r.n_star, 1e5);
        assert_rel(r.ng_over_nstar_theorem3.value(), 125_738.54, SAME_FORMULA);
        assert_rel(
            r.ng_over_nstar_theorem30.value(),
            2.0 * 1_428_075.0 / 100.0,
            SAME_FORMULA,
        );
        assert_eq!(r.ng_over_nstar_min, r.ng_over_nstar_theorem30);
        assert!(!r.malach_assumptions.all_hold());
    }

    #[test]
    fn mnist_like_nonuniform_widths() {
        let s = Setting::builder(vec![784, 300, 100, 10], 0.01, 0.01)
            .norms(NormModel::WorstCase)
            .check()
            .unwrap();
        let r = s.report();
        assert_eq!(r.layers.len(), 3);
        assert_eq!((r.layers[2].n_in, r.layers[2].n_out), (100, 10));
        // Lemma 1: ε_w = ε / (e · 3 · 784^{1.5} · ∏ √(n_i n_{i-1})).
        let prod = (784.0f64 * 300.0).sqrt() * (300.0f64 * 100.0).sqrt() * (100.0f64 * 10.0).sqrt();
        let direct = 0.01 / (std::f64::consts::E * 3.0 * 784f64.powf(1.5) * prod);
        assert_rel(r.epsilon_w.value(), direct, SAME_FORMULA);
        for l in &r.layers {
            assert!(!l.min.less_than(l.min.min(l.theorem3)));
            assert!(!l.theorem3.less_than(l.min) && !l.theorem30.less_than(l.min));
        }
    }

    /// Issue 2, item 3: nothing is inf/NaN in log form for ℓ up to 10^4 and n up to 10^6.
    #[test]
    fn extreme_settings_stay_finite() {
        for (n, l) in [
            (1_000_000u64, 10_000usize),
            (1, 10_000),
            (1_000_000, 1),
            (1, 1),
        ] {
            for norms in [
                NormModel::SpectralAtMostOne,
                NormModel::WorstCase,
                NormModel::WorstCaseMaxWidth,
            ] {
                for (eps, delta) in [(1e-300, 1e-300), (0.5, 0.999), (1e-8, 1e-6)] {
                    let s = Setting::uniform(n, l, eps, delta)
                        .norms(norms.clone())
                        .check()
                        .unwrap();
                    let r = s.report();
                    let first = &r.layers[0];
                    let logs = [
                        r.epsilon_w.ln(),
                        r.k_prime,
                        r.weight_range.alpha.ln(),
                        r.weight_range.beta.ln(),
                        r.weight_range.q.ln(),
                        r.ng_over_nstar_theorem3.ln(),
                        r.ng_over_nstar_min.ln(),
                        r.remark8_neuron_ratio.ln(),
                        first.theorem3.ln(),
                        first.theorem30.ln(),
                        first.min.ln(),
                        first.malach.ln(),
                        first.theorem3_per_weight.ln(),
                        first.malach_per_weight.ln(),
                    ];
                    for (i, v) in logs.iter().enumerate() {
                        assert!(
                            v.is_finite(),
                            "n={n} ℓ={l} {norms:?} ε={eps}: entry {i} = {v}"
                        );
                    }
                    // Theorem 3 and 30 counts themselves stay within f64.
                    assert!(
                        first.theorem3.value().is_finite() && first.theorem30.value().is_finite()
                    );
                    assert!(!first.theorem3_per_weight.value().is_nan());
                }
            }
        }
    }

    mod properties {
        use crate::prec::{SAME_FORMULA, rel};
        use crate::{NormModel, Setting};
        use proptest::prelude::*;

        fn norms() -> impl Strategy<Value = NormModel> {
            prop_oneof![
                Just(NormModel::SpectralAtMostOne),
                Just(NormModel::WorstCase),
                Just(NormModel::WorstCaseMaxWidth),
            ]
        }

        /// (Theorem 3, Theorem 30, min, Malach) of layer 1, as logs.
        fn counts(n: u64, l: usize, eps: f64, delta: f64, norms: &NormModel) -> [f64; 4] {
            let s = Setting::uniform(n, l, eps, delta)
                .norms(norms.clone())
                .check()
                .unwrap();
            let r = &s.report().layers[0];
            [r.theorem3.ln(), r.theorem30.ln(), r.min.ln(), r.malach.ln()]
        }

        fn all_le(a: [f64; 4], b: [f64; 4]) -> bool {
            a.iter().zip(&b).all(|(x, y)| x <= y)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn monotone_in_eps_delta_n_layers(
                n in 1u64..3000,
                l in 1usize..300,
                log_eps in -12.0..-0.5f64,
                log_delta in -9.0..-0.05f64,
                norms in norms(),
            ) {
                let (eps, delta) = (10f64.powf(log_eps), 10f64.powf(log_delta));
                let base = counts(n, l, eps, delta, &norms);
                prop_assert!(all_le(base, counts(n + 1, l, eps, delta, &norms)));
                prop_assert!(all_le(base, counts(n, l + 1, eps, delta, &norms)));
                prop_assert!(all_le(base, counts(n, l, eps / 2.0, delta, &norms)));
                prop_assert!(all_le(base, counts(n, l, eps, delta / 2.0, &norms)));
            }

            #[test]
            fn min_never_exceeds_either_and_logs_agree_with_direct(
                widths in prop::collection::vec(1u64..500, 2..8),
                log_eps in -30.0..-0.5f64,
                log_delta in -9.0..-0.05f64,
                norms in norms(),
                w_max in 0.05..4.0f64,
            ) {
                let (eps, delta) = (10f64.powf(log_eps), 10f64.powf(log_delta));
                let s = Setting::builder(widths.clone(), eps, delta)
                    .w_max(w_max)
                    .norms(norms.clone())
                    .check()
                    .unwrap();
                let r = s.report();
                let n_max = *widths.iter().max().unwrap() as f64;
                // Lemma 1 directly (finite here: at most 7 layers of width < 500).
                let prod: f64 = widths.windows(2).map(|w| match norms {
                    NormModel::SpectralAtMostOne => 1.0,
                    NormModel::WorstCase => (w_max * ((w[0] * w[1]) as f64).sqrt()).max(1.0),
                    _ => (w_max * n_max).max(1.0),
                }).product();
                let l = (widths.len() - 1) as f64;
                let direct = eps / (std::f64::consts::E * l * n_max.powf(1.5) * prod);
                prop_assert!(rel(r.epsilon_w.value(), direct) <= SAME_FORMULA);
                prop_assert!(rel(r.k_prime, (3.0 * w_max / direct).ln() / 1.5f64.ln()) <= SAME_FORMULA);
                for layer in &r.layers {
                    prop_assert!(!layer.theorem3.less_than(layer.min));
                    prop_assert!(!layer.theorem30.less_than(layer.min));
                    prop_assert!(layer.min == layer.theorem3 || layer.min == layer.theorem30);
                    let direct3 = (16.0 * r.k_prime * ((layer.n_in * layer.n_out) as f64
                        + (2.0 * l * r.k_prime / delta).ln())).ceil();
                    prop_assert!(rel(layer.theorem3.value(), direct3) <= SAME_FORMULA);
                    prop_assert!(rel(layer.theorem3.ln(), direct3.ln()) <= SAME_FORMULA);
                    let malach = (64.0 * l * l * n_max.powi(3) * (2.0 * n_max * n_max * l / delta).ln()
                        / (eps * eps)).ceil();
                    if malach.is_finite() {
                        prop_assert!(rel(layer.malach_per_weight.value(), malach) <= SAME_FORMULA);
                    }
                    prop_assert!(rel(layer.malach_per_weight.ln(), malach.ln()) <= 1e-9);
                }
            }
        }
    }
}
