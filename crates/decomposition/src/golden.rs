//! The golden-ratio decomposition (Lemma 9, Corollary 10), in batch and streaming form.
//!
//! Lemma 9 (golden-ratio decomposition): for `1/φ ≤ γ < 1` and `ε > 0`, let
//! `k = ⌈log_γ ε⌉` and `I_s = (γ^{s+1}, γ^s]` for `s = 1, ..., k`. Given one sample
//! `v_s ∈ I_s` per interval, the greedy
//!
//! ```text
//! for (s = 1, ..., k) { if w_{s-1} ≥ γ^s then { w_s := w_{s-1} - v_s; b_s = 1 }
//!                       else                { w_s := w_{s-1};       b_s = 0 } }
//! ```
//!
//! started at `w_0 = w ∈ [0, 1]` keeps `0 ≤ w_s ≤ γ^s`, so `ŵ = Σ b_s v_s` satisfies
//! `w - ε ≤ ŵ ≤ w` with `|b| ≤ k ≤ k' = log_γ(γε)` pieces. Corollary 10 rescales by `w_max`
//! (`I_s = (γ^{s+1}, γ^s]·w_max`, `k = ⌈log_γ(ε/w_max)⌉`) and a negative target is handled by
//! negating it and the candidates (Theorem 3, Step 2).
//!
//! Here the sample of `I_s` is the *first* candidate (in index order, or in the order offered
//! to a [`GoldenRatioStream`]) of the target's sign whose magnitude falls in `I_s`; other
//! candidates are ignored. The greedy only consults `I_s` when `w_{s-1} ≥ γ^s w_max`, so an
//! interval that is not needed may be empty; when a needed one is empty the result is
//! [`DecompositionError::EmptyInterval`] naming it.
//!
//! # Floating point
//!
//! Interval membership is decided on `ln|v|` against the thresholds
//! `λ_s = ln w_max + s ln γ` (`λ_{s+1} < ln|v| ≤ λ_s`, so `I_s` is open below and closed
//! above in the log domain), and the greedy's test uses `t_s = exp(λ_s)` (`t_0 = w_max`).
//! `k` is the smallest integer `≥ 0` with `t_k ≤ ε`, which is `⌈log_γ(ε/w_max)⌉` except when
//! `ε/w_max` is within rounding of a power of `γ`. With these definitions the proof's
//! invariant `0 ≤ w_s ≤ t_s` holds in floating point as long as each kept magnitude is at
//! most `t_s` — always for [`GoldenRatioStream::offer`] (its magnitude is `exp(ln|v|)`, and
//! `exp` is monotone), and up to one ulp for magnitudes supplied otherwise
//! ([`GoldenRatioStream::offer_with`], the batch form). At `γ = 1/φ` exactly the proof's step
//! `(γ^{-1} - γ)γ^s ≤ γ^s` is an equality and may be off by an ulp. The reported
//! `residual = fl(w - ŵ)`, with `ŵ` summed separately in step order, agrees with the final
//! `w_k` up to the rounding of the sums (a few ulps of `w_max`).

use crate::error::{check_candidates, check_target, check_tolerance};
use crate::{Decomposition, DecompositionError, Solver};

/// `1/φ = (√5 - 1)/2 ≈ 0.618`, the smallest `γ` Lemma 9 allows (`φ` is the golden ratio).
pub const INV_GOLDEN_RATIO: f64 = 0.618_033_988_749_894_9;

/// The paper's choice `γ = 2/3` (Corollary 10, Theorem 3): base `3/2` instead of `φ`.
pub const DEFAULT_GAMMA: f64 = 2.0 / 3.0;

/// The largest number of intervals `k` a [`GoldenRatioSchedule`] accepts (`2^16`): far more
/// than any `f64` target needs at `γ = 2/3` (about 1800 from `w_max = 1e300` to
/// `ε = 1e-300`), but it bounds memory when `γ` is very close to 1.
pub const MAX_STEPS: usize = 1 << 16;

/// The golden-ratio decomposition solver of Lemma 9 / Corollary 10 with parameters `γ` and
/// `w_max`.
///
/// # Example
/// ```
/// use logprune_decomposition::{GoldenRatio, Solver};
/// let solver = GoldenRatio::new(1.0)?; // γ = 2/3
/// // k = ⌈log_{3/2} 10⌉ = 6 intervals: (4/9, 2/3], (8/27, 4/9], ...
/// let candidates = [0.5, 0.6, 0.35, 0.2, 0.15, 0.1, 0.07];
/// let d = solver.decompose(&candidates, 0.9, 0.1)?;
/// // Samples: I_1 = (0.444, 0.667] gets 0.5 (the first, not 0.6), I_2 = (0.296, 0.444] 0.35,
/// // I_3 = (0.198, 0.296] 0.2, I_4 = (0.132, 0.198] 0.15, ...
/// // s = 1: w_0 = 0.9 ≥ 0.667, take 0.5; s = 2: w_1 = 0.4 < 0.444, skip;
/// // s = 3: 0.4 ≥ 0.296, take 0.2; s = 4: 0.2 ≥ 0.198, take 0.15; s = 5, 6: 0.05 is too small.
/// assert_eq!(d.indices, vec![0, 3, 4]);
/// assert!((d.approximation - 0.85).abs() < 1e-12);
/// assert!(d.residual >= 0.0 && d.residual <= 0.1);
/// # Ok::<(), logprune_decomposition::DecompositionError>(())
/// ```
///
/// # Notes
/// Lemma 9 (with `w_max = 1`), Corollary 10 (`γ = 2/3`, any `w_max`); the `ŵ⁺`/`ŵ⁻` split of
/// Theorem 3, Step 2 applies it to each sign separately.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GoldenRatio {
    w_max: f64,
    gamma: f64,
}

impl GoldenRatio {
    /// The solver with `γ = 2/3` (Corollary 10) for targets in `[-w_max, w_max]`.
    ///
    /// # Errors
    /// [`DecompositionError::InvalidWMax`] unless `w_max` is finite and `> 0`.
    pub fn new(w_max: f64) -> Result<Self, DecompositionError> {
        Self::with_gamma(w_max, DEFAULT_GAMMA)
    }

    /// The solver with a given `γ ∈ [1/φ, 1)` (Lemma 9) for targets in `[-w_max, w_max]`.
    ///
    /// # Errors
    /// [`DecompositionError::InvalidWMax`] unless `w_max` is finite and `> 0`;
    /// [`DecompositionError::InvalidGamma`] unless `1/φ ≤ γ < 1` ([`INV_GOLDEN_RATIO`]).
    pub fn with_gamma(w_max: f64, gamma: f64) -> Result<Self, DecompositionError> {
        if !(w_max > 0.0 && w_max.is_finite()) {
            return Err(DecompositionError::InvalidWMax { w_max });
        }
        if !(INV_GOLDEN_RATIO..1.0).contains(&gamma) {
            return Err(DecompositionError::InvalidGamma { gamma });
        }
        Ok(GoldenRatio { w_max, gamma })
    }

    /// `w_max`, the largest target magnitude.
    pub fn w_max(&self) -> f64 {
        self.w_max
    }

    /// `γ`, the ratio between consecutive interval ends.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// The intervals and thresholds for tolerance `ε`: `k`, `k'`, `I_1, ..., I_k`. Build it
    /// once per `(w_max, γ, ε)` and reuse it for many targets ([`GoldenRatioSchedule::stream`],
    /// [`GoldenRatioSchedule::decompose`]).
    ///
    /// # Errors
    /// [`DecompositionError::InvalidTolerance`] unless `ε` is finite and `> 0`;
    /// [`DecompositionError::TooManySteps`] if `k` would exceed [`MAX_STEPS`].
    pub fn schedule(&self, tolerance: f64) -> Result<GoldenRatioSchedule, DecompositionError> {
        GoldenRatioSchedule::new(*self, tolerance)
    }
}

impl Solver for GoldenRatio {
    /// The batch golden-ratio decomposition: [`GoldenRatio::schedule`] then
    /// [`GoldenRatioSchedule::decompose`].
    ///
    /// # Errors
    /// Those of [`GoldenRatio::schedule`] and [`GoldenRatioSchedule::decompose`].
    fn decompose(
        &self,
        candidates: &[f64],
        target: f64,
        tolerance: f64,
    ) -> Result<Decomposition, DecompositionError> {
        check_target(target)?;
        self.schedule(tolerance)?.decompose(candidates, target)
    }

    fn name(&self) -> &'static str {
        "golden-ratio"
    }
}

/// The intervals of the golden-ratio decomposition for one `(w_max, γ, ε)`: the number of
/// steps `k`, the lemma's `k'`, and the thresholds `γ^s w_max` in the linear and log domains.
///
/// Contract: `k` is the smallest integer `≥ 0` with `γ^k w_max ≤ ε` (thresholds as computed,
/// see the module docs), so `k = ⌈log_γ(ε/w_max)⌉` up to rounding and `k ≤ k'`.
#[derive(Debug, Clone, PartialEq)]
pub struct GoldenRatioSchedule {
    solver: GoldenRatio,
    tolerance: f64,
    k: usize,
    k_prime: f64,
    ln_w_max: f64,
    ln_gamma: f64,
    inv_ln_gamma: f64,
    /// `λ_s = ln w_max + s ln γ` for `s = 0, ..., k + 1`.
    ln_upper: Vec<f64>,
    /// `t_s = exp(λ_s)` for `s = 1, ..., k + 1`, `t_0 = w_max`.
    upper: Vec<f64>,
}

impl GoldenRatioSchedule {
    fn new(solver: GoldenRatio, tolerance: f64) -> Result<Self, DecompositionError> {
        check_tolerance(tolerance)?;
        let ln_w_max = solver.w_max.ln();
        let ln_gamma = solver.gamma.ln();
        let lambda = |s: usize| ln_w_max + s as f64 * ln_gamma;
        let threshold = |s: usize| {
            if s == 0 {
                solver.w_max
            } else {
                lambda(s).exp()
            }
        };
        // log_γ(ε / w_max): k = ⌈x⌉ and k' = 1 + x (Lemma 9: k' = log_γ(γε)).
        let x = (tolerance.ln() - ln_w_max) / ln_gamma;
        if x > MAX_STEPS as f64 - 1.0 {
            return Err(DecompositionError::TooManySteps {
                steps: x,
                max: MAX_STEPS,
            });
        }
        let mut k = if x > 0.0 { x.ceil() as usize } else { 0 };
        // Make `t_k ≤ ε < t_{k-1}` hold for the thresholds as computed.
        while threshold(k) > tolerance {
            k += 1;
        }
        while k > 0 && threshold(k - 1) <= tolerance {
            k -= 1;
        }
        let ln_upper = (0..=k + 1).map(lambda).collect();
        let upper = (0..=k + 1).map(threshold).collect();
        Ok(GoldenRatioSchedule {
            solver,
            tolerance,
            k,
            k_prime: 1.0 + x,
            ln_w_max,
            ln_gamma,
            inv_ln_gamma: 1.0 / ln_gamma,
            ln_upper,
            upper,
        })
    }

    /// `k = ⌈log_γ(ε/w_max)⌉`, the number of greedy steps (and intervals); `0` when
    /// `ε ≥ w_max`. At most `k` pieces are kept.
    pub fn steps(&self) -> usize {
        self.k
    }

    /// Lemma 9's `k' = log_γ(γ ε / w_max) = 1 + log_γ(ε/w_max)` (not rounded; Corollary 10
    /// writes it `log_{3/2}(3 w_max / (2ε))` for `γ = 2/3`). Contract: `k ≤ k'` whenever
    /// `ε < w_max / γ`; it is `≤ 0` for larger `ε`, where `k = 0`.
    pub fn k_prime(&self) -> f64 {
        self.k_prime
    }

    /// The tolerance `ε`.
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }

    /// The solver (`w_max`, `γ`) this schedule belongs to.
    pub fn solver(&self) -> GoldenRatio {
        self.solver
    }

    /// The magnitudes `(lower, upper)` of interval `I_s = (γ^{s+1}, γ^s]·w_max` for
    /// `1 ≤ s ≤ k`, as the thresholds `t_{s+1}, t_s` (module docs); `None` otherwise.
    /// Membership itself is decided in the log domain ([`GoldenRatioSchedule::ln_interval`]):
    /// a magnitude within an ulp of `t_s` may fall on either side.
    pub fn interval(&self, s: usize) -> Option<(f64, f64)> {
        (1..=self.k)
            .contains(&s)
            .then(|| (self.upper[s + 1], self.upper[s]))
    }

    /// The log-domain ends `(λ_{s+1}, λ_s)` of interval `I_s` for `1 ≤ s ≤ k`
    /// (`λ_s = ln w_max + s ln γ`): membership is exactly `λ_{s+1} < ln|v| ≤ λ_s`. `None`
    /// otherwise.
    pub fn ln_interval(&self, s: usize) -> Option<(f64, f64)> {
        (1..=self.k)
            .contains(&s)
            .then(|| (self.ln_upper[s + 1], self.ln_upper[s]))
    }

    /// The interval of a magnitude given by its logarithm: the `s ∈ 1..=k` with
    /// `λ_{s+1} < ln_abs ≤ λ_s` (`λ_s = ln w_max + s ln γ`), or `None` if there is none
    /// (the magnitude is above `γ w_max`, at most `γ^{k+1} w_max`, or `ln_abs` is `NaN`).
    /// No `exp` is computed.
    ///
    /// ```
    /// use logprune_decomposition::GoldenRatio;
    /// let sched = GoldenRatio::new(1.0)?.schedule(0.01)?; // γ = 2/3, k = 12
    /// assert_eq!(sched.steps(), 12);
    /// assert_eq!(sched.interval_of_ln(0.5f64.ln()), Some(1)); // (4/9, 2/3]
    /// assert_eq!(sched.interval_of_ln(0.9f64.ln()), None); // above γ w_max
    /// let (lo, hi) = sched.ln_interval(2).unwrap(); // ln of (8/27, 4/9]
    /// assert_eq!(sched.interval_of_ln(hi), Some(2)); // closed above
    /// assert_eq!(sched.interval_of_ln(lo), Some(3)); // open below
    /// assert_eq!(sched.interval_of_ln(f64::NEG_INFINITY), None); // the value 0
    /// # Ok::<(), logprune_decomposition::DecompositionError>(())
    /// ```
    #[inline]
    pub fn interval_of_ln(&self, ln_abs: f64) -> Option<usize> {
        let k = self.k;
        // Refuses NaN too: both comparisons are false.
        if !(ln_abs <= self.ln_upper[1] && ln_abs > self.ln_upper[k + 1]) {
            return None;
        }
        // s ≈ ⌊(ln|v| - ln w_max) / ln γ⌋, then corrected against the thresholds themselves so
        // that membership is exactly `λ_{s+1} < ln|v| ≤ λ_s`.
        let x = (ln_abs - self.ln_w_max) * self.inv_ln_gamma;
        let mut s = (x as usize).clamp(1, k);
        while s > 1 && ln_abs > self.ln_upper[s] {
            s -= 1;
        }
        while s < k && ln_abs <= self.ln_upper[s + 1] {
            s += 1;
        }
        Some(s)
    }

    /// [`GoldenRatioSchedule::interval_of_ln`] as a number, `0` for none: the same result
    /// computed with one comparison on each side of the estimate instead of loops (an
    /// estimate off by more than one step, which floating point does not produce here, falls
    /// back to [`GoldenRatioSchedule::interval_of_ln`]).
    #[inline(always)]
    fn interval_index(&self, ln_abs: f64) -> usize {
        let k = self.k;
        if k == 0 {
            return 0;
        }
        let up = &self.ln_upper[..k + 2];
        // Without branches (the candidates' intervals are unpredictable): `&`, not `&&`.
        let in_range = (ln_abs <= up[1]) & (ln_abs > up[k + 1]);
        let x = (ln_abs - self.ln_w_max) * self.inv_ln_gamma;
        let s0 = (x as usize).clamp(1, k);
        let s1 = s0 - usize::from((s0 > 1) & (ln_abs > up[s0]));
        let s = s1 + usize::from((s1 < k) & (ln_abs <= up[s1 + 1]));
        let exact = (ln_abs <= up[s]) & (ln_abs > up[s + 1]);
        if in_range & !exact {
            return self.interval_of_ln(ln_abs).unwrap_or(0);
        }
        s * usize::from(in_range)
    }

    /// [`GoldenRatioSchedule::interval_of_ln`] of `ln|value|`.
    pub fn interval_of(&self, value: f64) -> Option<usize> {
        self.interval_of_ln(value.abs().ln())
    }

    /// A fresh streaming decomposition of `target` (ARCHITECTURE.md, cost model): offer it
    /// candidates one at a time until [`GoldenRatioStream::is_complete`], then
    /// [`GoldenRatioStream::finish`].
    ///
    /// # Errors
    /// [`DecompositionError::InvalidTarget`] if `target` is not finite;
    /// [`DecompositionError::TargetOutOfRange`] if `|target| > w_max`.
    pub fn stream(&self, target: f64) -> Result<GoldenRatioStream<'_>, DecompositionError> {
        let mut stream = GoldenRatioStream {
            schedule: self,
            target: 0.0,
            negative: false,
            remainder: 0.0,
            sum: 0.0,
            step: 1,
            slots: vec![None; self.k],
            kept: Vec::new(),
        };
        stream.reset(target)?;
        Ok(stream)
    }

    /// The batch golden-ratio decomposition of `target` from `candidates`: the stream of
    /// [`GoldenRatioSchedule::stream`] offered the candidates in index order (their own
    /// magnitudes, not `exp(ln|v|)`, are summed), stopping as soon as it is complete.
    ///
    /// Contract on success: `indices` are increasing, at most `k ≤ k'` of them, all of the
    /// target's sign; `ŵ` is their sum in step order (decreasing magnitude), and
    /// `w - ε ≤ ŵ ≤ w` for `w ≥ 0` (`w ≤ ŵ ≤ w + ε` for `w < 0`) up to rounding (module
    /// docs).
    ///
    /// # Errors
    /// [`DecompositionError::InvalidTarget`], [`DecompositionError::TargetOutOfRange`],
    /// [`DecompositionError::InvalidCandidate`] (a non-finite candidate, even one after the
    /// point where the stream completed), and [`DecompositionError::EmptyInterval`] naming the
    /// first interval the greedy needed that held no candidate of the target's sign.
    pub fn decompose(
        &self,
        candidates: &[f64],
        target: f64,
    ) -> Result<Decomposition, DecompositionError> {
        check_candidates(candidates)?;
        let mut stream = self.stream(target)?;
        let magnitude = |j: usize, _ln: f64| candidates[j].abs();
        for (i, &c) in candidates.iter().enumerate() {
            if stream.is_complete() {
                break;
            }
            // Skip the other sign (and zeros) before paying for a logarithm.
            if c == 0.0 || (c < 0.0) != stream.negative {
                continue;
            }
            stream.offer_with(i, c.abs().ln(), c < 0.0, magnitude);
        }
        stream.finish()
    }
}

/// A golden-ratio decomposition in progress, offered candidates one at a time as
/// `(index, ln|v|, sign)` (ARCHITECTURE.md, cost model: the oracle consults G's product weights
/// lazily and stops when the decomposition is complete).
///
/// It keeps, for each interval `I_s`, the first candidate offered in it (of the target's
/// sign), and runs Lemma 9's greedy as far as the samples allow: step `s` is *decided* when
/// either `w_{s-1} < γ^s w_max` (the interval is not needed) or a sample of `I_s` has arrived
/// (it is subtracted). It is *complete* when every step `s = 1, ..., k` is decided; then
/// [`GoldenRatioStream::finish`] returns the decomposition. Interval membership is decided on
/// `ln|v|` with no `exp`; `exp(ln|v|)` is computed only for a kept candidate.
///
/// Reuse one stream for many targets with [`GoldenRatioStream::reset`] (no allocation).
///
/// # Example
/// ```
/// use logprune_decomposition::GoldenRatio;
/// let sched = GoldenRatio::new(1.0)?.schedule(0.1)?; // γ = 2/3, k = 6
/// let mut stream = sched.stream(-0.5)?;
/// // s = 1: |w| = 0.5 < 2/3 is decided at once; s = 2: 0.5 ≥ 4/9 needs a sample of I_2.
/// assert_eq!(stream.needed_interval(), Some(2));
/// // Offer (index, ln|v|, negative).
/// stream.offer(0, 0.40f64.ln(), false); // wrong sign: ignored
/// stream.offer(1, 0.45f64.ln(), true); // in I_1, whose step is decided: ignored
/// stream.offer(2, 0.40f64.ln(), true); // in I_2: taken, w_2 = 0.1
/// assert_eq!(stream.needed_interval(), Some(6)); // 0.1 ≥ γ^6 = 0.0878
/// stream.offer(3, 0.09f64.ln(), true); // in I_5, decided: ignored
/// assert!(stream.offer(4, 0.07f64.ln(), true)); // in I_6: taken, complete
/// let d = stream.finish()?;
/// assert_eq!(d.indices, vec![2, 4]);
/// assert!((d.approximation + 0.47).abs() < 1e-12);
/// # Ok::<(), logprune_decomposition::DecompositionError>(())
/// ```
#[derive(Debug, Clone)]
pub struct GoldenRatioStream<'a> {
    schedule: &'a GoldenRatioSchedule,
    target: f64,
    negative: bool,
    /// The proof's `w_{s-1}`, for `|w|`.
    remainder: f64,
    /// `Σ b_s v_s` so far, in magnitudes, summed in step order.
    sum: f64,
    /// The next step `s` to decide (1-based); complete when `step > k`.
    step: usize,
    /// `slots[s-1]`: the first `(index, ln|v|)` offered in `I_s`.
    slots: Vec<Option<(usize, f64)>>,
    /// Indices kept, in step order.
    kept: Vec<usize>,
}

impl GoldenRatioStream<'_> {
    /// Starts over with a new target, keeping the schedule and the buffers.
    ///
    /// # Errors
    /// [`DecompositionError::InvalidTarget`] if `target` is not finite;
    /// [`DecompositionError::TargetOutOfRange`] if `|target| > w_max`. On error the stream is
    /// left unchanged.
    pub fn reset(&mut self, target: f64) -> Result<(), DecompositionError> {
        check_target(target)?;
        let w_max = self.schedule.solver.w_max;
        if !(target.abs() <= w_max) {
            return Err(DecompositionError::TargetOutOfRange { target, w_max });
        }
        self.target = target;
        // Corollary 10 for w < 0: negate the target and the candidates (Theorem 3, Step 2).
        self.negative = target < 0.0;
        // Lemma 9: w_0 := w.
        self.remainder = target.abs();
        self.sum = 0.0;
        self.step = 1;
        self.slots.fill(None);
        self.kept.clear();
        // Decide the leading steps that need no sample (w_0 < γ^s w_max).
        self.advance(&mut |_, ln: f64| ln.exp());
        Ok(())
    }

    /// Offers the candidate `index` with magnitude `exp(ln_abs)` and sign `negative`; returns
    /// whether the decomposition is now complete.
    ///
    /// The candidate is ignored if the stream is already complete, if its sign differs from
    /// the target's, if `ln_abs` falls in no interval `I_1, ..., I_k`
    /// ([`GoldenRatioSchedule::interval_of_ln`]), if its interval's step is already decided,
    /// or if its interval already holds an earlier candidate. If it is kept, its value
    /// `exp(ln_abs)` is computed once. Offer each index at most once (the indices of the
    /// result are the offered ones).
    #[inline]
    pub fn offer(&mut self, index: usize, ln_abs: f64, negative: bool) -> bool {
        self.offer_with(index, ln_abs, negative, |_, ln| ln.exp())
    }

    /// As [`GoldenRatioStream::offer`], but a kept candidate's magnitude is
    /// `magnitude(index, ln_abs)` (called for kept candidates only, at most once each, maybe
    /// later for a candidate stored earlier): e.g. the product `|V·U|` recomputed from G
    /// rather than `exp(ln|V| + ln|U|)`. It must return the positive magnitude whose logarithm
    /// was offered; one that exceeds `exp(ln_abs)` by an ulp can make `ŵ` exceed `w` by an
    /// ulp.
    #[inline]
    pub fn offer_with(
        &mut self,
        index: usize,
        ln_abs: f64,
        negative: bool,
        mut magnitude: impl FnMut(usize, f64) -> f64,
    ) -> bool {
        if self.step > self.schedule.k {
            return true;
        }
        if negative != self.negative {
            return false;
        }
        let Some(s) = self.schedule.interval_of_ln(ln_abs) else {
            return false;
        };
        if s < self.step {
            // Step s is decided: its interval is no longer consulted.
            return false;
        }
        let slot = &mut self.slots[s - 1];
        if slot.is_some() {
            // One sample per interval: the first one offered.
            return false;
        }
        *slot = Some((index, ln_abs));
        if s == self.step {
            self.advance(&mut magnitude);
        }
        self.step > self.schedule.k
    }

    /// Offers the candidates of the lanes `k` set in `lanes` (increasing `k`), lane `k` with
    /// index `index(k)`, magnitude `exp(ln_abs[k])` and sign `negative >> k & 1`, exactly as
    /// [`GoldenRatioStream::offer_with`] on each in turn, and stops at the first lane with which
    /// the decomposition is complete.
    ///
    /// Returns that lane, or `None` if the decomposition is not complete after the last lane
    /// (or already was before the first). Lanes whose interval is already decided or filled
    /// when the call begins are passed over without the per-candidate work: a decided step or
    /// a filled slot stays so, so the result is the same as offering them.
    #[inline]
    pub fn offer_lanes(
        &mut self,
        lanes: u64,
        ln_abs: &[f64; 64],
        negative: u64,
        index: impl Fn(u32) -> usize,
        mut magnitude: impl FnMut(usize, f64) -> f64,
    ) -> Option<u32> {
        let k_steps = self.schedule.k;
        if self.step > k_steps {
            return None;
        }
        let sign = if self.negative { negative } else { !negative };
        let step0 = self.step;
        // A first pass without lookups: the lanes in `(λ_{k+1}, λ_{step0}]`, the intervals of
        // the undecided steps (a compare per lane that the compiler vectorizes); only those
        // get their exact interval and slot below.
        let up = &self.schedule.ln_upper;
        let (hi, lo) = (up[step0.min(k_steps + 1)], up[k_steps + 1]);
        let mut near = 0u64;
        let width = 64 - (lanes & sign).leading_zeros() as usize;
        for (k, &l) in ln_abs[..width].iter().enumerate() {
            near |= u64::from((l <= hi) & (l > lo)) << k;
        }
        let mut open = 0u64;
        let mut bits = lanes & sign & near;
        while bits != 0 {
            let k = bits.trailing_zeros();
            bits &= bits - 1;
            let s = self.schedule.interval_index(ln_abs[k as usize]);
            let free = self
                .slots
                .get(s.wrapping_sub(1))
                .is_some_and(Option::is_none);
            open |= u64::from((s >= step0) & free) << k;
        }
        while open != 0 {
            let k = open.trailing_zeros();
            open &= open - 1;
            let negative = negative >> k & 1 == 1;
            if self.offer_with(index(k), ln_abs[k as usize], negative, &mut magnitude) {
                return Some(k);
            }
        }
        None
    }

    /// Runs the greedy of Lemma 9 from the current step as far as the samples allow.
    fn advance(&mut self, magnitude: &mut impl FnMut(usize, f64) -> f64) {
        let k = self.schedule.k;
        // for (s = 1, ..., k)
        while self.step <= k {
            let s = self.step;
            // if w_{s-1} ≥ γ^s (times w_max)
            if self.remainder >= self.schedule.upper[s] {
                // then { w_s := w_{s-1} - v_s; b_s = 1 } with v_s the sample of I_s ...
                let Some((index, ln_abs)) = self.slots[s - 1] else {
                    // ... which has not arrived (yet): step s is undecided.
                    return;
                };
                let v = magnitude(index, ln_abs);
                self.remainder -= v;
                self.sum += v;
                self.kept.push(index);
            }
            // else { w_s := w_{s-1}; b_s = 0 }
            self.step += 1;
        }
    }

    /// Whether every step `s = 1, ..., k` is decided, so [`GoldenRatioStream::finish`]
    /// succeeds and further offers are ignored.
    pub fn is_complete(&self) -> bool {
        self.step > self.schedule.k
    }

    /// The interval `I_s` the greedy is waiting for, `None` when complete.
    pub fn needed_interval(&self) -> Option<usize> {
        (self.step <= self.schedule.k).then_some(self.step)
    }

    /// The target `w`.
    pub fn target(&self) -> f64 {
        self.target
    }

    /// The number of pieces kept so far.
    pub fn pieces(&self) -> usize {
        self.kept.len()
    }

    /// The decomposition, if complete.
    ///
    /// Contract on success: at most `k ≤ k'` indices, increasing; `ŵ = ±Σ v_s` summed in
    /// step order with the target's sign; `w - ε ≤ ŵ ≤ w` for `w ≥ 0` (mirrored for `w < 0`)
    /// up to rounding (module docs).
    ///
    /// # Errors
    /// [`DecompositionError::EmptyInterval`] naming the interval the greedy is waiting for
    /// (the first needed interval that received no candidate).
    pub fn finish(&self) -> Result<Decomposition, DecompositionError> {
        if let Some(s) = self.needed_interval() {
            return Err(DecompositionError::EmptyInterval {
                step: s,
                lower: self.schedule.upper[s + 1],
                upper: self.schedule.upper[s],
                negative: self.negative,
            });
        }
        let mut indices = self.kept.clone();
        indices.sort_unstable();
        let approximation = if self.negative { -self.sum } else { self.sum };
        Ok(Decomposition {
            indices,
            approximation,
            residual: self.target - approximation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Named tolerances.
    mod prec {
        /// Rounding allowance, relative to `w_max`, for a sum of a few dozen terms.
        pub const SUM_REL: f64 = 1e-13;
        /// Agreement of a closed form computed two ways.
        pub const CLOSED_FORM: f64 = 1e-12;
    }

    fn solver() -> GoldenRatio {
        GoldenRatio::new(1.0).unwrap()
    }

    #[test]
    fn refuses_bad_parameters() {
        for w_max in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                GoldenRatio::new(w_max),
                Err(DecompositionError::InvalidWMax { .. })
            ));
        }
        for gamma in [0.6, 1.0, f64::NAN, 0.0] {
            assert!(matches!(
                GoldenRatio::with_gamma(1.0, gamma),
                Err(DecompositionError::InvalidGamma { .. })
            ));
        }
        assert!(GoldenRatio::with_gamma(1.0, INV_GOLDEN_RATIO).is_ok());
        assert!(GoldenRatio::with_gamma(1.0, 0.999).is_ok());
        for eps in [0.0, -0.1, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                solver().schedule(eps),
                Err(DecompositionError::InvalidTolerance { .. })
            ));
        }
        assert!(matches!(
            GoldenRatio::with_gamma(1.0, 0.9999999)
                .unwrap()
                .schedule(1e-10),
            Err(DecompositionError::TooManySteps { max: MAX_STEPS, .. })
        ));
        let sched = solver().schedule(0.1).unwrap();
        assert_eq!(
            sched.stream(1.5).unwrap_err(),
            DecompositionError::TargetOutOfRange {
                target: 1.5,
                w_max: 1.0
            }
        );
        assert!(matches!(
            sched.stream(f64::NAN),
            Err(DecompositionError::InvalidTarget { .. })
        ));
        assert!(matches!(
            sched.decompose(&[0.5, f64::INFINITY], 0.5),
            Err(DecompositionError::InvalidCandidate { index: 1, .. })
        ));
    }

    /// `offer_lanes` is the same as offering each lane in turn: same completion lane, same
    /// decomposition, on random chunks of log-magnitudes and signs.
    #[test]
    fn offer_lanes_equals_offering_one_at_a_time() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let sched = solver().schedule(1e-4).unwrap();
        for case in 0..2000 {
            let target = ((next() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * 0.99;
            let mut a = sched.stream(target).unwrap();
            let mut b = sched.stream(target).unwrap();
            let mut completed = (None, None);
            for chunk in 0..40u64 {
                let lanes = next();
                let negative = next();
                let mut ln = [0.0f64; 64];
                for l in &mut ln {
                    // log-uniform magnitudes over about 1e-6 .. 1 (some out of range).
                    *l = -((next() >> 11) as f64 / (1u64 << 53) as f64) * 14.0;
                }
                let magnitude = |_: usize, l: f64| l.exp();
                let index = |k: u32| (chunk * 64 + u64::from(k)) as usize;
                let done_a = a.offer_lanes(lanes, &ln, negative, index, magnitude);
                let mut done_b = None;
                for k in 0..64u32 {
                    if lanes >> k & 1 == 1 && !b.is_complete() {
                        let neg = negative >> k & 1 == 1;
                        if b.offer_with(index(k), ln[k as usize], neg, magnitude) {
                            done_b = Some(k);
                        }
                    }
                }
                assert_eq!(done_a, done_b, "case {case}, chunk {chunk}");
                if done_a.is_some() {
                    completed = (done_a, done_b);
                    break;
                }
            }
            let _ = completed;
            assert_eq!(a.finish(), b.finish(), "case {case}");
        }
    }

    #[test]
    fn steps_by_hand() {
        // k = ⌈log_{3/2}(w_max/ε)⌉: log_{1.5} 10 = 5.679, log_{1.5} 100 = 11.358.
        let cases = [
            (1.0, 0.1, 6),
            (1.0, 0.01, 12),
            (2.0, 0.2, 6),
            (1.0, 1.0, 0),
            (1.0, 5.0, 0),
        ];
        for (w_max, eps, k) in cases {
            let sched = GoldenRatio::new(w_max).unwrap().schedule(eps).unwrap();
            assert_eq!(sched.steps(), k, "w_max {w_max}, eps {eps}");
        }
        // k' = 1 + log_{1.5} 10.
        let sched = solver().schedule(0.1).unwrap();
        let expected = 1.0 + 10f64.ln() / 1.5f64.ln();
        assert!((sched.k_prime() - expected).abs() < prec::CLOSED_FORM);
        // Corollary 10's form: k' = log_{3/2}(3 w_max / (2ε)).
        assert!((sched.k_prime() - (1.5f64 / 0.1).ln() / 1.5f64.ln()).abs() < prec::CLOSED_FORM);
        // The golden ratio itself: log_φ 100 = 9.57, so k = 10.
        let golden = GoldenRatio::with_gamma(1.0, INV_GOLDEN_RATIO).unwrap();
        assert_eq!(golden.schedule(0.01).unwrap().steps(), 10);
    }

    #[test]
    fn steps_at_exact_powers_keep_the_guarantee() {
        // ε = γ^s w_max up to rounding: whichever way k rounds, t_k ≤ ε < t_{k-1}.
        for s in 1..40 {
            let eps = (2.0f64 / 3.0).powi(s);
            let sched = solver().schedule(eps).unwrap();
            let k = sched.steps();
            assert!(k == s as usize || k == s as usize + 1, "s = {s}, k = {k}");
            assert!(sched.upper[k] <= eps && sched.upper[k - 1] > eps);
            assert!((k as f64) <= sched.k_prime() + prec::CLOSED_FORM);
        }
    }

    #[test]
    fn intervals_are_open_below_and_closed_above_in_the_log_domain() {
        let sched = solver().schedule(1e-3).unwrap();
        let k = sched.steps();
        assert_eq!(k, 18); // log_{1.5} 1000 = 17.04
        for s in 1..=k {
            let (lo, hi) = sched.ln_interval(s).unwrap();
            assert_eq!(sched.interval_of_ln(hi), Some(s));
            assert_eq!(sched.interval_of_ln(0.5 * (lo + hi)), Some(s));
            assert_eq!(sched.interval_of_ln(lo.next_up()), Some(s));
            let below = if s == k { None } else { Some(s + 1) };
            assert_eq!(sched.interval_of_ln(lo), below);
            let above = if s == 1 { None } else { Some(s - 1) };
            assert_eq!(sched.interval_of_ln(hi.next_up()), above);
            let (l, h) = sched.interval(s).unwrap();
            assert!((h - (2.0f64 / 3.0).powi(s as i32)).abs() < prec::CLOSED_FORM * h);
            assert!((l - (2.0f64 / 3.0).powi(s as i32 + 1)).abs() < prec::CLOSED_FORM * l);
        }
        assert_eq!(sched.interval(0), None);
        assert_eq!(sched.interval(k + 1), None);
        assert_eq!(sched.interval_of_ln(f64::NAN), None);
        assert_eq!(sched.interval_of_ln(f64::INFINITY), None);
        assert_eq!(sched.interval_of(0.0), None);
        assert_eq!(sched.interval_of(-0.5), Some(1));
    }

    #[test]
    fn greedy_by_hand() {
        // ε = 0.1, k = 6; thresholds 0.667, 0.444, 0.296, 0.198, 0.132, 0.088, (0.059).
        let sched = solver().schedule(0.1).unwrap();
        let c = [0.6, 0.5, 0.35, 0.25, 0.15, 0.1, 0.07];
        // w = 1: s1 take 0.6 (first in I_1) → 0.4; s2 skip; s3 take 0.25 → 0.15;
        // s4 skip (0.15 < 0.198); s5 take 0.1 → 0.05; s6 skip.
        let d = sched.decompose(&c, 1.0).unwrap();
        assert_eq!(d.indices, vec![0, 3, 5]);
        assert!((d.approximation - 0.95).abs() < prec::SUM_REL);
        assert!((d.residual - 0.05).abs() < prec::SUM_REL);
        // The negated problem gives the negated answer, bit for bit.
        let neg: Vec<f64> = c.iter().map(|v| -v).collect();
        let dn = sched.decompose(&neg, -1.0).unwrap();
        assert_eq!(dn.indices, d.indices);
        assert_eq!(dn.approximation, -d.approximation);
        assert_eq!(dn.residual, -d.residual);
        // Candidates of the other sign are ignored.
        let e = sched.decompose(&neg, 1.0).unwrap_err();
        assert!(matches!(
            e,
            DecompositionError::EmptyInterval {
                step: 1,
                negative: false,
                ..
            }
        ));
    }

    #[test]
    fn names_the_first_needed_empty_interval() {
        let sched = solver().schedule(0.1).unwrap();
        // w = 0.5 < 2/3: s1 is not needed; s2 is (0.5 ≥ 4/9).
        match sched.decompose(&[], 0.5) {
            Err(DecompositionError::EmptyInterval {
                step: 2,
                lower,
                upper,
                negative: false,
            }) => {
                assert!((upper - 4.0 / 9.0).abs() < prec::CLOSED_FORM);
                assert!((lower - 8.0 / 27.0).abs() < prec::CLOSED_FORM);
            }
            other => panic!("{other:?}"),
        }
        // An empty interval that is not needed does no harm: w = 0.45 takes 0.4 from I_2,
        // then 0.05 < γ^6 needs nothing more; I_1, I_3, ... stay empty.
        let d = sched.decompose(&[0.4], 0.45).unwrap();
        assert_eq!(d.indices, vec![0]);
        // w = 0 and tiny targets need nothing.
        assert_eq!(
            sched.decompose(&[], 0.0).unwrap(),
            Decomposition::empty(0.0)
        );
        assert_eq!(sched.decompose(&[], -0.05).unwrap().pieces(), 0);
    }

    #[test]
    fn stream_is_lazy_and_reusable() {
        let sched = solver().schedule(0.01).unwrap();
        let mut stream = sched.stream(0.0).unwrap();
        assert!(stream.is_complete());
        stream.reset(0.3).unwrap();
        // 0.3 < 0.444 but ≥ 0.296: the first needed interval is I_3.
        assert_eq!(stream.needed_interval(), Some(3));
        // A sample of I_4 arrives early and is stored; then one of I_3.
        assert!(!stream.offer(10, 0.15f64.ln(), false)); // I_4 = (0.132, 0.198]: stored
        assert!(!stream.offer(11, 0.29f64.ln(), false)); // I_3: 0.3 - 0.29 = 0.01
        // 0.01 ≥ γ^12 = 0.0077: I_12 = (0.0051, 0.0077] is needed.
        assert_eq!(stream.needed_interval(), Some(12));
        assert_eq!(stream.pieces(), 1);
        assert!(matches!(
            stream.finish(),
            Err(DecompositionError::EmptyInterval { step: 12, .. })
        ));
        assert!(stream.offer(12, 0.006f64.ln(), false));
        let d = stream.finish().unwrap();
        assert_eq!(d.indices, vec![11, 12]);
        assert!((d.approximation - 0.296).abs() < prec::SUM_REL);
        // Further offers are ignored once complete.
        assert!(stream.offer(13, 0.5f64.ln(), false));
        assert_eq!(stream.finish().unwrap(), d);
        // Reset refuses a bad target and keeps the state.
        assert!(stream.reset(2.0).is_err());
        assert_eq!(stream.finish().unwrap(), d);
        assert_eq!(stream.target(), 0.3);
    }
}
