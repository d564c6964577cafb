//! The certificate: upper bounds on `sup_x ‖F(x) − Ĝ(x)‖₂` from the actual matrices, and the
//! choice of `ε_w` by Lemma 1 before pruning.
//!
//! # The split layer
//!
//! Layer `i` of F computes `F_i = σ_i(W*_i F_{i-1})`; layer `i` of Ĝ computes
//! `Ĝ_i = σ_i(Ŵ⁺ y⁺ + Ŵ⁻ y⁻)` with `y = Ĝ_{i-1}`, `y⁺ = max(y, 0)`, `y⁻ = min(y, 0)`
//! (Theorem 3's proof, step 1; [`crate::pruned`]). With `x = F_{i-1}` and `E± = W* − Ŵ±`,
//!
//! ```text
//! W* x − Ŵ⁺y⁺ − Ŵ⁻y⁻ = E⁺x⁺ + E⁻x⁻ + Ŵ⁺(x⁺ − y⁺) + Ŵ⁻(x⁻ − y⁻)
//!                     = [E⁺ E⁻] (x⁺; x⁻) + [Ŵ⁺ Ŵ⁻] (x⁺ − y⁺; x⁻ − y⁻).
//! ```
//!
//! For scalars, `(a⁺ − b⁺)² + (a⁻ − b⁻)² ≤ (a − b)²` (equality if `a, b` have the same sign;
//! if `a ≥ 0 > b` the left side is `a² + b² ≤ a² − 2ab + b²`), and `‖(x⁺; x⁻)‖ = ‖x‖` since
//! `x⁺` and `x⁻` have disjoint supports. With the Lipschitz factor `λ_i` (step (b) of Lemma 1's
//! proof) and `‖Mv‖ ≤ ‖M‖₂‖v‖` (step (d)):
//!
//! ```text
//! ‖F_i − Ĝ_i‖ ≤ λ_i ‖[Ŵ⁺ Ŵ⁻]‖₂ ‖F_{i-1} − Ĝ_{i-1}‖ + λ_i ‖[E⁺ E⁻]‖₂ ‖F_{i-1}‖.
//! ```
//!
//! Where a column `b` of the layer only ever sees nonnegative inputs in F and in Ĝ (after a
//! ReLU or sigmoid, or a first-layer coordinate whose domain is nonnegative, such as the
//! constant bias unit), `x⁻_b = y⁻_b = 0`, so the `⁻` block of that column drops out: the
//! matrices are `[Ŵ⁺ Ŵ⁻_N]` and `[E⁺ E⁻_N]` with `N` the columns that need `ŵ⁻`
//! ([`LayerTerms`]). Taking the supremum over inputs term by term, `D_i = sup_x ‖F_i − Ĝ_i‖`
//! satisfies `D_0 = 0`, `D_i ≤ a_i D_{i-1} + b_i` with `a_i = λ_i ‖[Ŵ⁺ Ŵ⁻_N]‖₂` and
//! `b_i = λ_i ‖[E⁺ E⁻_N]‖₂ S_{i-1}`, `S_{i-1} = sup_x ‖F_{i-1}(x)‖₂`:
//!
//! - [`recurrence_bound`] iterates it exactly;
//! - [`corollary27_bound`] is Corollary 27's closed form `e·ℓ·max_i b_i·∏ max(1, a_i)`;
//! - [`lemma1_bound`] is Lemma 1's bound with the actual entry errors: step (e) of its proof
//!   bounds `‖[E⁺ E⁻_N]‖₂ ≤ √(n_i (n_{i-1} + |N|)) · max|E|` and `S_{i-1} ≤ √n_{i-1} F_max`,
//!   so `b_i ≤ λ_max n_max^{3/2} F_max ε_eff` with
//!   `ε_eff = max_i √(1 + |N_i|/n_{i-1}) · max|E_i|` ([`effective_epsilon_w`]). With each
//!   half within `ε_w/2`, `ε_eff ≤ √2 · ε_w/2 < ε_w`: this is why a tolerance of `ε_w/2` per
//!   half (Theorem 3's proof, step 1) keeps Lemma 1 valid for the split layer.
//!
//! # Rounding
//!
//! The three bounds are computed in `f64` with every intermediate result of a product or sum
//! rounded up (`next_up`), so they bound the exact-arithmetic value of their formula given
//! their inputs; the inputs themselves (spectral norms, `S_i`, `F_max`) must already be upper
//! bounds (the network crate's `spectral_norm_upper_bound` and certified interval
//! propagation). What is certified is Ĝ evaluated in exact arithmetic with its stored `f64`
//! weights; the rounding of a floating-point forward pass (relative `~n·2^-53`) is outside.
//!
//! # Paper notes
//!
//! Lemma 1's proof, step (e), writes `√(n_i n_{i-1}) ε_w w_max √n_i F_max(x)`; the `w_max`
//! factor does not belong there (`|w* − ŵ| ≤ ε_w` already bounds the entries) and
//! `‖F_{i-1}(x)‖ ≤ √n_{i-1} F_max(x)` gives `√n_{i-1}`, not `√n_i`; the next line's
//! `n_max^{3/2}` holds either way. Its last line drops the factor `ℓ` that Corollary 27
//! (`T = ℓ`) puts in front and that the lemma's statement keeps; we keep it.

use std::f64::consts::E;

use crate::ConstructionError;

/// The per-layer quantities of the recurrence for layer `i` (see the module documentation).
///
/// All four must be upper bounds of the quantity they name; all are finite and `≥ 0`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerTerms {
    /// `λ_i`, the Lipschitz factor of `σ_i` (Section 2).
    pub lambda: f64,
    /// `‖[Ŵ⁺ Ŵ⁻_N]‖₂`, the spectral norm of the pruned layer (split as needed).
    pub pruned_norm: f64,
    /// `‖[E⁺ E⁻_N]‖₂`, the spectral norm of the weight error `W* − Ŵ±`.
    pub error_norm: f64,
    /// `S_{i-1} = sup_x ‖F_{i-1}(x)‖₂`, the largest norm of the layer's input in F.
    pub input_norm: f64,
}

/// `a · b` rounded up (for `a, b ≥ 0`).
fn mul_up(a: f64, b: f64) -> f64 {
    let p = a * b;
    if p == 0.0 { 0.0 } else { p.next_up() }
}

/// `a + b` rounded up (for `a, b ≥ 0`).
fn add_up(a: f64, b: f64) -> f64 {
    let s = a + b;
    if b == 0.0 || a == 0.0 { s } else { s.next_up() }
}

/// The per-layer recurrence iterated exactly: `D_0 = 0`, `D_i = a_i D_{i-1} + b_i` with
/// `a_i = λ_i ‖[Ŵ⁺ Ŵ⁻_N]‖₂`, `b_i = λ_i ‖[E⁺ E⁻_N]‖₂ S_{i-1}` (module documentation; Lemma 1's
/// proof, steps (a)–(d), for the split layer).
///
/// Returns `D_ℓ`, an upper bound on `sup_x ‖F(x) − Ĝ(x)‖₂`, rounded up; `+∞` if it overflows;
/// `0` for no layers.
///
/// ```
/// use logprune_construction::certificate::{recurrence_bound, LayerTerms};
/// // One layer: D_1 = λ ‖E‖ S_0 = 1 · 0.5 · 2 (up to the upward rounding).
/// let t = LayerTerms { lambda: 1.0, pruned_norm: 3.0, error_norm: 0.5, input_norm: 2.0 };
/// let d = recurrence_bound(&[t]);
/// assert!(d >= 1.0 && d <= 1.0 + 1e-15);
/// // Two layers: D_2 = 3 · 1 + 0.5 · 2 = 4 (up to the upward rounding).
/// let d = recurrence_bound(&[t, t]);
/// assert!(d >= 4.0 && d <= 4.0 * (1.0 + 1e-15));
/// ```
pub fn recurrence_bound(layers: &[LayerTerms]) -> f64 {
    layers.iter().fold(0.0, |d, t| {
        let a = mul_up(t.lambda, t.pruned_norm);
        let b = mul_up(mul_up(t.lambda, t.error_norm), t.input_norm);
        add_up(mul_up(a, d), b)
    })
}

/// Corollary 27's closed form for the same recurrence: `e · ℓ · max_i b_i · ∏_i max(1, a_i)`
/// (`x_0 = 0`, `T = ℓ`), with `a_i`, `b_i` as in [`recurrence_bound`].
///
/// Returns an upper bound on `sup_x ‖F(x) − Ĝ(x)‖₂` that is never below
/// [`recurrence_bound`] (up to rounding), rounded up; `+∞` on overflow; `0` for no layers.
///
/// ```
/// use logprune_construction::certificate::{corollary27_bound, LayerTerms};
/// let t = LayerTerms { lambda: 1.0, pruned_norm: 2.0, error_norm: 0.5, input_norm: 1.0 };
/// // e · 2 · 0.5 · (2 · 2) = 4e.
/// let c = corollary27_bound(&[t, t]);
/// assert!(c >= 4.0 * std::f64::consts::E && c <= 4.0 * std::f64::consts::E * (1.0 + 1e-14));
/// ```
pub fn corollary27_bound(layers: &[LayerTerms]) -> f64 {
    if layers.is_empty() {
        return 0.0;
    }
    let mut max_b = 0.0f64;
    let mut prod = 1.0f64;
    for t in layers {
        let a = mul_up(t.lambda, t.pruned_norm);
        let b = mul_up(mul_up(t.lambda, t.error_norm), t.input_norm);
        max_b = max_b.max(b);
        prod = mul_up(prod, a.max(1.0));
    }
    mul_up(
        mul_up(mul_up(E.next_up(), layers.len() as f64), max_b),
        prod,
    )
}

/// The effective per-weight accuracy `ε_eff = max_i √(1 + |N_i|/n_{i-1}) · max|E_i|` that
/// Lemma 1 sees for split layers (module documentation): `max_errors[i]` is the largest
/// `|w* − ŵ±|` of layer `i` over both halves (the `⁻` half over its needed columns only),
/// `minus_columns[i] = |N_i|` and `fan_in[i] = n_{i-1}`.
///
/// Returns `ε_eff ≥ max_i max_errors[i]`, rounded up; `0` for no layers.
///
/// ```
/// use logprune_construction::certificate::effective_epsilon_w;
/// // Layer 1 needs both halves everywhere (factor √2), layer 2 only ŵ⁺ (factor 1).
/// let e = effective_epsilon_w(&[0.1, 0.12], &[4, 0], &[4, 3]);
/// assert!((e - 0.1 * 2f64.sqrt()).abs() < 1e-15);
/// ```
pub fn effective_epsilon_w(max_errors: &[f64], minus_columns: &[usize], fan_in: &[usize]) -> f64 {
    max_errors
        .iter()
        .zip(minus_columns)
        .zip(fan_in)
        .map(|((&e, &nm), &n)| {
            let factor = if n == 0 {
                1.0
            } else {
                (1.0 + nm as f64 / n as f64).sqrt().next_up()
            };
            mul_up(factor, e)
        })
        .fold(0.0, f64::max)
}

/// The common constant of Lemma 1: `ln(e · ℓ · λ_max · n_max^{3/2} · F_max)`.
fn ln_lemma1_constant(ell: usize, lambda_max: f64, n_max: usize, f_max: f64) -> f64 {
    1.0 + (ell as f64).ln() + lambda_max.ln() + 1.5 * (n_max as f64).ln() + f_max.ln()
}

/// Lemma 1's bound with the actual quantities:
/// `ε_eff · e · ℓ · λ_max · n_max^{3/2} · F_max · ∏_i max(1, λ_i ‖[Ŵ⁺ Ŵ⁻_N]_i‖₂)`, where
/// `ε_eff` comes from [`effective_epsilon_w`] and `lambda_pruned_norms[i] = λ_i ‖[Ŵ⁺ Ŵ⁻_N]_i‖₂`.
///
/// Returns an upper bound on `sup_x ‖F(x) − Ĝ(x)‖₂` (Lemma 1), never below
/// [`corollary27_bound`] when `F_max` bounds every `|F_{i-1,j}|`; computed in the log domain
/// and rounded up (a relative `1e-12`); `+∞` if it overflows.
///
/// ```
/// use logprune_construction::certificate::lemma1_bound;
/// // ε_eff = 1e-3, ℓ = 1, λ_max = 1, n_max = 4, F_max = 1, ‖Ŵ‖ = 2: 1e-3 · e · 8 · 2.
/// let b = lemma1_bound(1e-3, 1, 1.0, 4, 1.0, &[2.0]);
/// assert!((b - 16e-3 * std::f64::consts::E).abs() < 1e-12);
/// ```
pub fn lemma1_bound(
    epsilon_eff: f64,
    ell: usize,
    lambda_max: f64,
    n_max: usize,
    f_max: f64,
    lambda_pruned_norms: &[f64],
) -> f64 {
    if epsilon_eff == 0.0 || f_max == 0.0 {
        return 0.0;
    }
    let ln_prod: f64 = lambda_pruned_norms.iter().map(|&a| a.max(1.0).ln()).sum();
    let ln_b = epsilon_eff.ln() + ln_lemma1_constant(ell, lambda_max, n_max, f_max) + ln_prod;
    ln_b.exp() * (1.0 + 1e-12)
}

/// What Lemma 1 needs of one layer to choose `ε_w` before pruning.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerPrior {
    /// `λ_i`.
    pub lambda: f64,
    /// `ν_i = ‖[W*_i W*_{i,N}]‖₂` (`= √2‖W*_i‖₂` when every column needs `ŵ⁻`, `‖W*_i‖₂`
    /// when none does): the norm of the split layer if Ĝ matched F exactly.
    pub target_norm: f64,
    /// `s_i` with `‖[Ŵ⁺ Ŵ⁻_N]‖₂ ≤ ν_i + s_i ε_w` whenever every entry of `Ŵ±` is within
    /// `ε_w/2` of `W*`: `s_i = √(n_i (n_{i-1} + |N_i|)) / 2` (the Frobenius bound of the error
    /// block, `≤ √(n_i n_{i-1})/√2`).
    pub perturbation: f64,
}

/// Lemma 1's `g(e) = ε / (e·ℓ·λ_max·n_max^{3/2}·F_max·∏_i max(1, λ_i(ν_i + s_i e)))`, as
/// `ln g(e)`.
fn ln_g(e: f64, ln_eps: f64, ln_const: f64, layers: &[LayerPrior]) -> f64 {
    let ln_prod: f64 = layers
        .iter()
        .map(|l| {
            (l.lambda * (l.target_norm + l.perturbation * e))
                .max(1.0)
                .ln()
        })
        .sum();
    ln_eps - ln_const - ln_prod
}

/// `ε_w` chosen by Lemma 1 BEFORE pruning, when `‖Ŵ_i‖₂` is not known yet.
///
/// Lemma 1 needs `ε_w ≤ g(‖Ŵ‖)`; the pruned norms are bounded by `ν_i + s_i ε_w`
/// ([`LayerPrior`]), so it suffices that `ε_w ≤ g(ε_w)` with
/// `g(e) = ε / (e·ℓ·λ_max·n_max^{3/2}·F_max·∏_i max(1, λ_i(ν_i + s_i e)))`. We take
/// `e_0 = min(g(0), w_max)` and `ε_w := min(e_0, g(e_0))`, which is `g(g(0))` whenever
/// `g(0) ≤ w_max` (then `g(e_0) = g(g(0)) ≤ g(0) = e_0`).
///
/// *Proof that `ε_w ≤ g(ε_w)`.* `g` is positive and nonincreasing on `[0, ∞)` (each factor
/// `max(1, λ_i(ν_i + s_i e))` is nondecreasing in `e`). If `ε_w = g(e_0) ≤ e_0`, then
/// `g(ε_w) ≥ g(e_0) = ε_w` because `ε_w ≤ e_0` and `g` is nonincreasing. Otherwise
/// `ε_w = e_0 < g(e_0) = g(ε_w)`. ∎ In the usual case this is the two-step argument
/// `g(g(0)) ≤ g(0)` (as `g(0) ≥ 0`), hence `g(g(g(0))) ≥ g(g(0))`. A third iteration
/// `g(g(g(0)))` is larger but not certified by it: `g` may then exceed its own argument's
/// image.
///
/// Then, if every half is within `ε_w/2` (so `ε_eff ≤ ε_w/√2`, [`effective_epsilon_w`]) the
/// actual pruned norms satisfy `‖[Ŵ⁺ Ŵ⁻_N]_i‖₂ ≤ ν_i + s_i ε_w`, and [`lemma1_bound`]
/// `≤ ε_w · e·ℓ·λ_max·n_max^{3/2}·F_max·∏ max(1, λ_i(ν_i + s_i ε_w)) = ε · ε_w/g(ε_w) ≤ ε`.
///
/// The cap `w_max` is harmless: a smaller `ε_w` only makes Lemma 1's condition easier; it
/// keeps Theorem 3's range and `k' = log_{3/2}(3 w_max/ε_w) ≥ log_{3/2} 3` well defined, and
/// with `F_max = 0` (`g ≡ ∞`) it gives `ε_w = w_max`.
///
/// Returns `ε_w ∈ (0, w_max]` (computed in the log domain).
///
/// # Errors
/// [`ConstructionError::EpsilonWUnderflow`] if `ε_w` underflows `f64` (a deep target with
/// large norms: Example 2's exponential regime).
///
/// ```
/// use logprune_construction::certificate::{choose_epsilon_w, LayerPrior};
/// // One layer, λ = 1, ν = 0.5 (the product factor stays 1), n_max = 4, F_max = 1:
/// // g(e) = 0.1 / (e · 8) for small e.
/// let l = LayerPrior { lambda: 1.0, target_norm: 0.5, perturbation: 2.0 };
/// let ew = choose_epsilon_w(0.1, 1, 1.0, 4, 1.0, 1.0, &[l])?;
/// assert!((ew - 0.1 / (8.0 * std::f64::consts::E)).abs() < 1e-15);
/// # Ok::<(), logprune_construction::ConstructionError>(())
/// ```
pub fn choose_epsilon_w(
    eps: f64,
    ell: usize,
    lambda_max: f64,
    n_max: usize,
    f_max: f64,
    w_max: f64,
    layers: &[LayerPrior],
) -> Result<f64, ConstructionError> {
    let ln_eps = eps.ln();
    let ln_const = ln_lemma1_constant(ell, lambda_max, n_max, f_max);
    let e0 = ln_g(0.0, ln_eps, ln_const, layers).exp().min(w_max);
    let ln_g_e0 = ln_g(e0, ln_eps, ln_const, layers);
    let ew = ln_g_e0.exp().min(e0);
    if !(ew > 0.0) {
        return Err(ConstructionError::EpsilonWUnderflow {
            log10_epsilon_w: ln_g_e0 / std::f64::consts::LN_10,
        });
    }
    Ok(ew)
}

/// The a-priori recurrence bound for every half within `tau` of its target weight: the
/// recurrence of [`recurrence_bound`] with `‖[E⁺ E⁻_N]_i‖₂ ≤ 2 s_i τ` (the Frobenius bound of
/// an error block whose entries are at most `τ`, [`LayerPrior::perturbation`]),
/// `‖[Ŵ⁺ Ŵ⁻_N]_i‖₂ ≤ ν_i + 2 s_i τ`, and `S_{i-1}` from `input_norms`.
///
/// Returns an upper bound, rounded up, on what [`recurrence_bound`] gives after pruning
/// whenever every half is within `τ` (each term only grows with the error); nondecreasing in
/// `τ`.
pub fn recurrence_prior(tau: f64, layers: &[LayerPrior], input_norms: &[f64]) -> f64 {
    let terms: Vec<LayerTerms> = layers
        .iter()
        .zip(input_norms)
        .map(|(l, &s)| {
            let e = mul_up(mul_up(2.0, l.perturbation), tau);
            LayerTerms {
                lambda: l.lambda,
                pruned_norm: add_up(l.target_norm, e),
                error_norm: e,
                input_norm: s,
            }
        })
        .collect();
    recurrence_bound(&terms)
}

/// The per-half tolerance of the recurrence rule: the largest `τ ∈ [floor, cap]` (to a
/// relative `2^-40`, by bisection on `ln τ`) with [`recurrence_prior`]`(τ) ≤ ε`, i.e. the
/// tolerance that makes the per-layer recurrence certificate (not Lemma 1) meet `ε` with the
/// target's certified `F_max`, norms and `S_i`. `floor` must satisfy it (e.g. Lemma 1's
/// `ε_w/2`, whose certificate dominates the recurrence's).
///
/// Returns `τ ≥ floor` (and `floor` itself if no larger value qualifies).
///
/// ```
/// use logprune_construction::certificate::{recurrence_prior, recurrence_tolerance, LayerPrior};
/// let l = LayerPrior { lambda: 1.0, target_norm: 0.9, perturbation: 4.0 };
/// let tau = recurrence_tolerance(0.01, &[l, l], &[2.0, 3.0], 1e-9, 1.0);
/// assert!(recurrence_prior(tau, &[l, l], &[2.0, 3.0]) <= 0.01);
/// assert!(recurrence_prior(tau * 1.001, &[l, l], &[2.0, 3.0]) > 0.01);
/// ```
pub fn recurrence_tolerance(
    eps: f64,
    layers: &[LayerPrior],
    input_norms: &[f64],
    floor: f64,
    cap: f64,
) -> f64 {
    let ok = |tau: f64| recurrence_prior(tau, layers, input_norms) <= eps;
    if ok(cap) {
        return cap;
    }
    if !ok(floor) {
        return floor;
    }
    let (mut lo, mut hi) = (floor.ln(), cap.ln());
    for _ in 0..200 {
        if hi - lo <= 2f64.powi(-40) * lo.abs().max(1.0) {
            break;
        }
        let mid = 0.5 * (lo + hi);
        if ok(mid.exp()) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo.exp().max(floor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prec;

    fn t(lambda: f64, a: f64, b: f64, s: f64) -> LayerTerms {
        LayerTerms {
            lambda,
            pruned_norm: a,
            error_norm: b,
            input_norm: s,
        }
    }

    #[test]
    fn recurrence_by_hand() {
        assert_eq!(recurrence_bound(&[]), 0.0);
        // D1 = 0.25 · 0.1 · 4 = 0.1; D2 = 0.5·2 · 0.1 + 0.5 · 0.2 · 3 = 0.1 + 0.3 = 0.4.
        let layers = [t(0.25, 7.0, 0.1, 4.0), t(0.5, 2.0, 0.2, 3.0)];
        let d = recurrence_bound(&layers);
        assert!(d >= 0.4 && prec::rel(d, 0.4) <= prec::ROUNDED_UP);
        // Corollary 27: e · 2 · max(0.1, 0.3) · max(1, 1.75) · max(1, 1) = 1.05 e.
        let c = corollary27_bound(&layers);
        assert!(prec::rel(c, 1.05 * E) <= prec::ROUNDED_UP);
        assert!(c >= d);
    }

    #[test]
    fn corollary27_dominates_recurrence_on_a_grid() {
        for k in 0..200u32 {
            let f = |j: u32| f64::from((k * 37 + j * 11) % 17) / 8.0;
            let layers: Vec<_> = (0..(1 + k % 5))
                .map(|j| {
                    t(
                        if j % 2 == 0 { 1.0 } else { 0.25 },
                        f(j),
                        f(j + 1) / 10.0,
                        f(j + 2),
                    )
                })
                .collect();
            assert!(corollary27_bound(&layers) >= recurrence_bound(&layers));
        }
    }

    #[test]
    fn lemma1_dominates_corollary27_when_inputs_are_consistent() {
        // n_i = 3 everywhere, all columns split (factor √2), F_max = 2 so S ≤ √3 · 2,
        // ‖[E⁺ E⁻]‖ ≤ √(3 · 6) · max|E|.
        let max_err = [1e-3, 2e-3];
        let eps_eff = effective_epsilon_w(&max_err, &[3, 3], &[3, 3]);
        let layers: Vec<_> = max_err
            .iter()
            .map(|&e| t(1.0, 1.5, 18f64.sqrt() * e, 3f64.sqrt() * 2.0))
            .collect();
        let l1 = lemma1_bound(eps_eff, 2, 1.0, 3, 2.0, &[1.5, 1.5]);
        assert!(l1 >= corollary27_bound(&layers));
    }

    #[test]
    fn epsilon_w_satisfies_its_own_condition() {
        let layers = [
            LayerPrior {
                lambda: 1.0,
                target_norm: 2f64.sqrt() * 1.3,
                perturbation: 40.0,
            },
            LayerPrior {
                lambda: 1.0,
                target_norm: 0.9,
                perturbation: 30.0,
            },
        ];
        let (eps, ell, lmax, n, fmax) = (0.01, 2, 1.0, 30, 3.0);
        let ew = choose_epsilon_w(eps, ell, lmax, n, fmax, 1.0, &layers).unwrap();
        let ln_const = ln_lemma1_constant(ell, lmax, n, fmax);
        let g_ew = ln_g(ew, eps.ln(), ln_const, &layers).exp();
        assert!(ew <= g_ew, "ε_w = {ew} > g(ε_w) = {g_ew}");
        // and it is not absurdly small: within a factor 2 of g(0) here.
        let g0 = ln_g(0.0, eps.ln(), ln_const, &layers).exp();
        assert!(ew >= g0 / 2.0);
        // cap at w_max
        let flat = LayerPrior {
            lambda: 1.0,
            target_norm: 0.5,
            perturbation: 0.0,
        };
        let big = choose_epsilon_w(1e6, 1, 1.0, 1, 1.0, 0.5, &[flat]).unwrap();
        assert_eq!(big, 0.5);
        // F_max = 0: nothing to approximate, ε_w = w_max.
        assert_eq!(
            choose_epsilon_w(0.1, 1, 1.0, 4, 0.0, 0.5, &layers).unwrap(),
            0.5
        );
    }

    #[test]
    fn epsilon_w_underflow_is_an_error() {
        let layers = vec![
            LayerPrior {
                lambda: 1.0,
                target_norm: 1e10,
                perturbation: 1.0,
            };
            40
        ];
        let e = choose_epsilon_w(0.01, 40, 1.0, 100, 1.0, 1.0, &layers).unwrap_err();
        assert!(
            matches!(e, ConstructionError::EpsilonWUnderflow { log10_epsilon_w } if log10_epsilon_w < -300.0)
        );
    }
}
