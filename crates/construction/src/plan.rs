//! Everything decided before pruning: the bias-free target F', which halves each column
//! needs, the certified `F_max` and layer norms, `ε_w` by Lemma 1, Theorem 3's weight range
//! `[α, β]`, `k'` and the neurons per target weight `m`.

use faer::{Mat, Par};
use logprune_bounds::{LogNum, theorem3, theorem30};
use logprune_decomposition::GoldenRatio;
use logprune_network::{Network, norms};
use logprune_sampling::theorem3_range;

use crate::certificate::{LayerPrior, choose_epsilon_w, recurrence_tolerance};
use crate::layout::Layout;
use crate::{Accuracy, ConstructionError, Domain, LargeNetwork, PruneConfig, ToleranceRule};

/// The decisions of a pruning run made before G is consulted: the bias-free target F', which
/// halves each column needs, the certified `F_max` and layer norms, `ε_w` by Lemma 1, Theorem
/// 3's weight range `[α, β]`, `k'` and the neurons per target weight `m`.
///
/// # Which halves are needed
///
/// A column `b` of layer `i` needs `ŵ⁻` only if the target's input to it, `F_{i-1,b}(x)`, can
/// be negative on the domain: never after a ReLU or sigmoid, and for the first layer only if
/// the domain's lower bound of coordinate `b` is negative (the constant bias unit is 1). The
/// paper always builds both halves; we leave out the `ŵ⁻` neurons where they can never fire,
/// and say so. The certificate stays valid: for such a column `x⁻_b = 0` in F, and Ĝ's
/// `Ŵ⁻_{:,b} = 0`, so the column drops out of the `⁻` blocks whatever Ĝ's own input is
/// ([`crate::certificate`]). Whether a tanh or identity neuron can be negative is decided
/// by certified interval propagation (per neuron on a box, per layer on a finite set).
///
/// # Example
/// ```
/// use faer::mat;
/// use logprune_construction::{Domain, Plan, PruneConfig};
/// use logprune_network::{Activation, Layer, Network};
///
/// // 2-2-1 with biases: F' is 3-3-1 (a constant unit on the input and the hidden layer).
/// let f = Network::new(vec![
///     Layer::with_bias(mat![[0.5, -0.25], [0.125, 0.75]], vec![0.1, -0.2], Activation::Relu),
///     Layer::with_bias(mat![[1.0, -0.5]], vec![0.3], Activation::Identity),
/// ])?;
/// let plan = Plan::new(&f, &Domain::cube(2, -1.0, 1.0)?, &PruneConfig::new(0.01))?;
/// assert!(plan.has_bias_unit());
/// assert_eq!(plan.network().architecture().widths(), &[3, 3, 1]);
/// // Layer 1 needs ŵ⁻ on the two real inputs (the box is signed), not on the unit (= 1);
/// // layer 2 follows a ReLU and needs none.
/// assert_eq!(plan.minus_columns(), vec![2, 0]);
/// assert_eq!(plan.w_max(), 1.0); // the unit's weight 1 is the largest
/// assert!(plan.epsilon_w() > 0.0 && plan.epsilon_w() < 0.01);
/// assert_eq!(plan.tolerance(), plan.epsilon_w() / 2.0);
/// // Theorem 3's m = 8⌈k' ln(k'/δ_w)⌉ with k' = log_{3/2}(3 w_max / ε_w).
/// let kp = (3.0 * plan.w_max() / plan.epsilon_w()).ln() / 1.5f64.ln();
/// assert!((plan.k_prime() - kp).abs() < 1e-9);
/// let m = 8 * (kp * (kp / plan.delta_w()).ln()).ceil() as u64;
/// assert_eq!(plan.neurons_per_weight_theorem(), m);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    core: PlanCore,
    network: Network,
    has_bias_unit: bool,
    domain: Domain,
    f_max: f64,
    input_norms: Vec<f64>,
    target_norms: Vec<f64>,
    perturbations: Vec<f64>,
}

/// The decisions of a plan that layouts, G and the oracle read, whatever the target (a chain
/// [`Plan`] or a graph's): the configuration, each target layer's fan-in and fan-out, which
/// columns need `ŵ⁻`, `ε_w` and the per-half tolerance, `w_max`, Theorem 3's `[α, β]`, `k'`,
/// `δ_w`, `m` and `k`. [`Plan`] dereferences to it.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanCore {
    config: PruneConfig,
    fans: Vec<[usize; 2]>,
    num_weights: usize,
    needs_minus: Vec<Vec<bool>>,
    epsilon_w: f64,
    epsilon_w_rules: [Option<f64>; 2],
    w_max: f64,
    range: (f64, f64),
    k_prime: f64,
    delta_w: f64,
    m_theorem: u64,
    k_steps: u64,
}

impl core::ops::Deref for Plan {
    type Target = PlanCore;

    fn deref(&self) -> &PlanCore {
        &self.core
    }
}

impl Plan {
    /// Plans the pruning of `target` on `domain` with `config`.
    ///
    /// Steps: F' = `target.with_bias_unit()` if it has biases (domain × {1}); certified
    /// activation bounds of F' on the domain (interval propagation on a box, degenerate boxes
    /// on points): `F_max` and `S_t = sup ‖F_t(x)‖₂`; the needed halves; `w_max`
    /// (`max |w*|` of F' unless given); `ν_i = ‖[W*_i W*_{i,N}]‖₂` (rigorous upper bound) and
    /// `s_i`; `ε_w` by [`choose_epsilon_w`]; `[α, β]` of Theorem 3; `k' = log_{3/2}(3w_max/ε_w)`
    /// and `δ_w = δ/(2N*)` from `logprune-bounds`; `m = 8⌈k' ln(k'/δ_w)⌉` (Theorem 3's proof,
    /// step 2: Corollary 10 with the factor 8 of the density `p_{w≥0}/8`, and the union bound
    /// over the `2N*` halves of Theorem 30's step 3), or `config.neurons_per_weight`.
    ///
    /// # Errors
    /// Invalid configuration or domain, a domain of the wrong dimension, biases that a
    /// constant unit cannot carry ([`Network::with_bias_unit`]), an all-zero target, `w_max` below `max |w*|`,
    /// overflowing activation bounds, an underflowing `ε_w`.
    pub fn new(
        target: &Network,
        domain: &Domain,
        config: &PruneConfig,
    ) -> Result<Self, ConstructionError> {
        config.check()?;
        if domain.dim() != target.input_width() {
            return Err(ConstructionError::DomainDimension {
                expected: target.input_width(),
                found: domain.dim(),
            });
        }
        let has_bias_unit = target.has_bias();
        let (network, domain) = if has_bias_unit {
            (target.with_bias_unit()?, domain.with_unit()?)
        } else {
            (target.clone(), domain.clone())
        };
        let arch = network.architecture().clone();
        let widths = arch.widths();
        let ell = arch.depth();

        // Certified activation bounds and the lower bounds that decide the needed halves.
        let (max_abs, max_l2, lower): (Vec<f64>, Vec<f64>, Vec<Vec<f64>>) = match &domain {
            Domain::Box(b) => {
                let layers = network.propagate_box(b)?;
                (
                    layers.iter().map(|v| v.max_abs()).collect(),
                    layers.iter().map(|v| v.l2_upper()).collect(),
                    layers.iter().map(|v| v.lo.clone()).collect(),
                )
            }
            Domain::Points(rows) => {
                let x = logprune_network::rows_to_columns(rows, widths[0])?;
                let bounds = network.certified_bounds_points(x.as_ref(), Par::Seq)?;
                // Inputs are exact: per-coordinate minima; deeper layers: the layer's
                // certified minimum for every neuron.
                let first: Vec<f64> = (0..widths[0])
                    .map(|b| rows.iter().map(|r| r[b]).fold(f64::INFINITY, f64::min))
                    .collect();
                let mut lower = vec![first];
                lower.extend((1..=ell).map(|t| vec![bounds.min_value[t]; widths[t]]));
                (bounds.max_abs.clone(), bounds.max_l2.clone(), lower)
            }
        };
        let needs_minus: Vec<Vec<bool>> = (0..ell)
            .map(|t| {
                let nonnegative_activation = t > 0 && arch.activations()[t - 1].is_nonnegative();
                lower[t]
                    .iter()
                    .map(|&lo| !nonnegative_activation && lo < 0.0)
                    .collect()
            })
            .collect();

        let max_abs_weight = network.max_abs_weight();
        let w_max = match config.w_max {
            Some(w) if w >= max_abs_weight => w,
            Some(w) => {
                return Err(ConstructionError::WMaxBelowTarget {
                    w_max: w,
                    max_abs_weight,
                });
            }
            None => max_abs_weight,
        };
        if !(w_max > 0.0) {
            return Err(ConstructionError::ZeroTarget);
        }

        let mut target_norms = Vec::with_capacity(ell);
        let mut perturbations = Vec::with_capacity(ell);
        let mut priors = Vec::with_capacity(ell);
        for (t, layer) in network.layers().iter().enumerate() {
            let w = layer.weight();
            let minus: Vec<usize> = (0..widths[t]).filter(|&b| needs_minus[t][b]).collect();
            let split = Mat::from_fn(widths[t + 1], widths[t] + minus.len(), |a, c| {
                if c < widths[t] {
                    w[(a, c)]
                } else {
                    w[(a, minus[c - widths[t]])]
                }
            });
            let nu = norms::spectral_norm_upper_bound(split.as_ref())?;
            let s =
                ((widths[t + 1] as f64 * (widths[t] + minus.len()) as f64).sqrt() / 2.0).next_up();
            let lambda = arch.activations()[t].lipschitz();
            target_norms.push(nu);
            perturbations.push(s);
            priors.push(LayerPrior {
                lambda,
                target_norm: nu,
                perturbation: s,
            });
        }
        // On a box, interval propagation through wide layers grows like the layers' absolute
        // row sums; the norm recursion `S_t ≤ λ_t ‖W'_t‖₂ S_{t-1}` (for σ_t(0) = 0, with
        // ‖W'_t‖₂ ≤ ν_t) often bounds ‖F'_t(x)‖₂ far better, and |F'_{t,j}| ≤ ‖F'_t‖₂. Each
        // layer takes the smaller of the two certified bounds.
        let mut max_l2 = max_l2;
        let mut max_abs = max_abs;
        if let Domain::Box(_) = &domain {
            for t in 1..=ell {
                let act = arch.activations()[t - 1];
                if act.apply(0.0) == 0.0 {
                    let s = (act.lipschitz() * target_norms[t - 1] * max_l2[t - 1]).next_up();
                    max_l2[t] = max_l2[t].min(s);
                    max_abs[t] = max_abs[t].min(max_l2[t]);
                }
            }
        }
        let f_max = max_abs[..ell].iter().copied().fold(0.0, f64::max);
        let input_norms = max_l2[..ell].to_vec();
        let lemma1 = match config.accuracy {
            Accuracy::Network(eps) => Some(choose_epsilon_w(
                eps,
                ell,
                arch.lambda_max(),
                arch.n_max(),
                f_max,
                w_max,
                &priors,
            )?),
            Accuracy::WeightTolerance(_) => None,
        };
        // Each half within ε_w/2 (Theorem 3's proof, step 1).
        let recurrence = match (config.accuracy, lemma1) {
            (Accuracy::Network(eps), Some(l1)) => {
                Some(2.0 * recurrence_tolerance(eps, &priors, &input_norms, l1 / 2.0, w_max))
            }
            _ => None,
        };
        let epsilon_w = match (config.accuracy, config.tolerance_rule) {
            (Accuracy::Network(_), ToleranceRule::Lemma1) => lemma1.unwrap_or(w_max),
            (Accuracy::Network(_), ToleranceRule::Recurrence) => recurrence.unwrap_or(w_max),
            // Each half within T: Theorem 3's per-weight accuracy is ε_w = 2T.
            (Accuracy::WeightTolerance(tolerance), _) => 2.0 * tolerance,
        };
        let fans = widths.windows(2).map(|w| [w[0], w[1]]).collect();
        let core = PlanCore::new(
            *config,
            fans,
            arch.num_weights(),
            needs_minus,
            (epsilon_w, [lemma1, recurrence]),
            w_max,
        )?;
        Ok(Plan {
            core,
            network,
            has_bias_unit,
            domain,
            f_max,
            input_norms,
            target_norms,
            perturbations,
        })
    }

    /// The bias-free target F' that Ĝ approximates (F itself when it has no biases).
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// Whether F' carries F's biases by a constant unit (Ĝ then takes `(x, 1)`).
    pub fn has_bias_unit(&self) -> bool {
        self.has_bias_unit
    }

    /// The domain of F' (the user's domain, `× {1}` with a bias unit).
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// The certified upper bound on `F_max(X)` of F' (Section 2).
    pub fn f_max(&self) -> f64 {
        self.f_max
    }

    /// Certified upper bounds on `S_t = sup_x ‖F'_t(x)‖₂`, `t = 0..ℓ-1` (the inputs of each
    /// layer).
    pub fn input_norms(&self) -> &[f64] {
        &self.input_norms
    }

    /// `ν_i = ‖[W*_i W*_{i,N}]‖₂` (upper bounds), per layer.
    pub fn target_norms(&self) -> &[f64] {
        &self.target_norms
    }

    /// `s_i = √(n_i (n_{i-1} + |N_i|))/2`, per layer.
    pub fn perturbations(&self) -> &[f64] {
        &self.perturbations
    }

    /// What the oracle needs of this plan: F', the columns that need `ŵ⁻`, the per-half
    /// tolerance `ε_w/2`, `w_max` and the solver.
    pub fn oracle_spec(&self) -> crate::oracle::OracleSpec<'_> {
        crate::oracle::OracleSpec {
            target: crate::oracle::Targets::Chain(self.network()),
            needs_minus: self.needs_minus(),
            tolerance: self.tolerance(),
            w_max: self.w_max(),
            solver: self.config().solver,
        }
    }
}

impl PlanCore {
    /// The decisions shared by every target kind, from the target's shape (`fans[t] =
    /// [n_in, n_out]` of each target layer, `num_weights` target weights, the columns that
    /// need `ŵ⁻`), `ε_w` with the value each tolerance rule gave (`[Lemma 1, recurrence]`)
    /// and `w_max`: Theorem 3's `[α, β]`, `k' = log_{3/2}(3w_max/ε_w)`, `δ_w = δ/(2N*)` from
    /// `logprune-bounds`, `m = 8⌈k' ln(k'/δ_w)⌉` (Theorem 3's proof, step 2: Corollary 10 with
    /// the factor 8 of the density `p_{w≥0}/8`, and the union bound over the `2N*` halves of
    /// Theorem 30's step 3) and `k` of Theorem 30.
    ///
    /// # Errors
    /// An `ε_w` or `w_max` outside the bounds' domain; an `m` that overflows `u64`.
    pub(crate) fn new(
        config: PruneConfig,
        fans: Vec<[usize; 2]>,
        num_weights: usize,
        needs_minus: Vec<Vec<bool>>,
        (epsilon_w, epsilon_w_rules): (f64, [Option<f64>; 2]),
        w_max: f64,
    ) -> Result<Self, ConstructionError> {
        let range = theorem3_range(epsilon_w, w_max)?;
        let ew = LogNum::from_value(epsilon_w)?;
        let k_prime = theorem3::k_prime(ew, w_max)?;
        let n_star = num_weights as f64;
        let delta_w = theorem30::delta_w(config.delta, n_star)?;
        let per_half = (k_prime * (k_prime.ln() - delta_w.ln())).ceil();
        let m_theorem_f = 8.0 * per_half;
        if !(m_theorem_f < u64::MAX as f64) {
            return Err(ConstructionError::TooLarge {
                what: "neurons per target weight m",
                value: m_theorem_f,
                limit: u64::MAX as f64,
            });
        }
        let m_theorem = m_theorem_f as u64;
        // k of Theorem 30 (the golden-ratio intervals at ε_w/2), as the schedule counts them.
        let k_steps = theorem3::k(ew, w_max)?
            .max(GoldenRatio::new(w_max)?.schedule(epsilon_w / 2.0)?.steps() as u64);
        Ok(PlanCore {
            config,
            fans,
            num_weights,
            needs_minus,
            epsilon_w,
            epsilon_w_rules,
            w_max,
            range,
            k_prime,
            delta_w: delta_w.value(),
            m_theorem,
            k_steps,
        })
    }

    /// `[n_in, n_out]` of each target layer (`[n_{i-1}, n_i]` for an MLP; for a conv of a
    /// graph target, `[c_in·kh·kw (+1 for a bias), c_out]`).
    pub fn fans(&self) -> &[[usize; 2]] {
        &self.fans
    }

    /// `N*`, the number of target weights (biases included).
    pub fn num_target_weights(&self) -> usize {
        self.num_weights
    }

    /// The configuration.
    pub fn config(&self) -> &PruneConfig {
        &self.config
    }

    /// `needs_minus()[t][b]`: whether column `b` of layer `t` (paper's `i = t+1`) needs `ŵ⁻`.
    pub fn needs_minus(&self) -> &[Vec<bool>] {
        &self.needs_minus
    }

    /// `|N_i|`, the number of columns of each layer that need `ŵ⁻`.
    pub fn minus_columns(&self) -> Vec<usize> {
        self.needs_minus
            .iter()
            .map(|c| c.iter().filter(|&&x| x).count())
            .collect()
    }

    /// `ε_w`, the per-weight accuracy of Lemma 1 (each half gets `ε_w/2`).
    pub fn epsilon_w(&self) -> f64 {
        self.epsilon_w
    }

    /// `ε_w` under each [`ToleranceRule`] (`[Lemma 1, recurrence]`; `None` with a weight
    /// tolerance), whichever the run uses.
    pub fn epsilon_w_rules(&self) -> [Option<f64>; 2] {
        self.epsilon_w_rules
    }

    /// The per-half tolerance the solvers aim at: `ε_w/2` (Theorem 3's proof, step 1); with a
    /// weight tolerance `T`, `T` less a margin of `10^-12 T + 64·2^-52 w_max`, so that `ŵ±`
    /// re-summed in G's order (the virtual matrices) stays within `T` despite rounding.
    pub fn tolerance(&self) -> f64 {
        match self.config.accuracy {
            Accuracy::Network(_) => self.epsilon_w / 2.0,
            Accuracy::WeightTolerance(t) => {
                let margin = t * 1e-12 + 64.0 * f64::EPSILON * self.w_max;
                if margin < t { t - margin } else { t }
            }
        }
    }

    /// `w_max`.
    pub fn w_max(&self) -> f64 {
        self.w_max
    }

    /// Theorem 3's weight range `[α, β] = [α'/q, β'/q]` with `α' = 2ε_w/9`, `β' = 2w_max/3`,
    /// `q = (α'β')^{1/4}` (the hyperbolic law of G lives on it).
    pub fn theorem3_range(&self) -> (f64, f64) {
        self.range
    }

    /// `k' = log_{3/2}(3 w_max/ε_w)` (Theorem 3).
    pub fn k_prime(&self) -> f64 {
        self.k_prime
    }

    /// `δ_w = δ/(2N*)`.
    pub fn delta_w(&self) -> f64 {
        self.delta_w
    }

    /// The theorem's `m = 8⌈k' ln(k'/δ_w)⌉`.
    pub fn neurons_per_weight_theorem(&self) -> u64 {
        self.m_theorem
    }

    /// `k`, the number of golden-ratio intervals at `ε_w/2` (Theorem 30's
    /// `k = ⌈log_{3/2}(2w_max/ε_w)⌉`, at least the schedule's count): the most neurons one
    /// half keeps with the golden-ratio solver, and the refill allowance of recycling.
    pub fn golden_ratio_steps(&self) -> u64 {
        self.k_steps
    }

    /// The large network G of this plan for `layout`: its widths, the laws of the configured
    /// distribution, the generator and the seed.
    ///
    /// # Errors
    /// As [`LargeNetwork::new`]; a law that cannot be built; the layout's width errors.
    pub fn large_network(&self, layout: &dyn Layout) -> Result<LargeNetwork, ConstructionError> {
        let widths = layout.widths(&self.fans)?;
        let laws = self
            .config
            .distribution
            .laws(self.range, &self.fans, &widths)?;
        LargeNetwork::with_fans(
            self.fans.clone(),
            widths,
            laws,
            self.config.generator,
            self.config.seed,
        )
    }
}
