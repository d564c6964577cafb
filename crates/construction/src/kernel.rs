//! The decomposition kernel: Theorem 3's class rule (step 1), written once, and the call of
//! the solver on the candidates a layout offers for one target weight.
//!
//! # The class rule (Theorem 3's proof, step 1)
//!
//! A kept intermediate neuron `z` of layer `i` keeps one input edge `b` and computes
//! `relu(U[z,b] x_b)`: it contributes on positive inputs if `U[z,b] > 0` and on negative inputs
//! if `U[z,b] < 0`. So for target weight `w* = W*[a, b]`:
//!
//! - neuron `z` can serve `ŵ⁺` if `U[z,b] > 0`, and `ŵ⁻` if `U[z,b] < 0` (the latter only where
//!   the column can see negative inputs, [`crate::Plan::needs_minus`]); the two classes are
//!   disjoint;
//! - for the one-sided golden-ratio decomposition (Lemma 9, Corollary 10 on `w*` or `−w*`) its
//!   product `V[a,z]·U[z,b]` must have the sign of `w*` (`z_out⁺ > 0`, `sgn z_in⁺ = sgn w*`, and
//!   the mirror image for `ŵ⁻`); a solver that may sum products of both signs (best fit's
//!   two-sided form, exact subset sum) takes every product of its class where the layout allows
//!   it ([`crate::layout::Layout::mixes_signs`]).
//!
//! [`classes`] is that rule on 64 neurons at a time (sign bits); nothing else in the crate
//! decides which half a neuron serves. A product's sign is the exclusive-or of its factors'
//! sign bits: G's weights are never zero.
//!
//! # Candidate sources
//!
//! A layout offers the neurons a target weight may use through a [`CandidateSource`]: chunks
//! of up to 64 neurons `base + k` (`k` a set bit of [`Chunk::lanes`]) in increasing `z`, with
//! the sign bits of `U[z,b]` and `V[a,z]`; the log-domain product of a lane; the exact weights
//! of a neuron. Its fast paths (batched generator calls, caches, bitsets of used neurons) stay
//! behind it. [`Kernel::decompose`] then
//!
//! - with the golden-ratio solver, offers the class candidates lane by lane to one
//!   [`GoldenRatioStream`] per half, in `z` order, and stops as soon as every needed half is
//!   complete (a neuron counts as consulted up to and including the one that completes; the
//!   rest of its chunk was drawn but is not consulted);
//! - with a list solver, consults every neuron offered and runs the solver on each half's
//!   candidates (their `f64` products `V·U`, in `z` order).
//!
//! A kept candidate's value is always the `f64` product `V·U` of G's weights, as in `Ŵ±`.

use core::fmt;

use logprune_decomposition::{
    BestFit, Decomposition, DecompositionError, Exact, GoldenRatioSchedule, GoldenRatioStream,
    MAX_EXACT_CANDIDATES, Solver,
};
use logprune_sampling::LogWeight;
use serde::Serialize;

use crate::{ConstructionError, SolverKind};

/// One half of a target weight (Theorem 3's proof, step 1): `ŵ⁺`, built from neurons with
/// `U > 0` and active on positive inputs, or `ŵ⁻`, from neurons with `U < 0`, active on
/// negative inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Half {
    /// `ŵ⁺`.
    Plus,
    /// `ŵ⁻`.
    Minus,
}

impl Half {
    /// Both halves, `ŵ⁺` first.
    pub const BOTH: [Half; 2] = [Half::Plus, Half::Minus];
}

impl fmt::Display for Half {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Half::Plus => "ŵ⁺",
            Half::Minus => "ŵ⁻",
        })
    }
}

/// Theorem 3's class rule (module docs) on up to 64 neurons: bit `k` of `u_neg` (`v_neg`) says
/// `U[z_k, b] < 0` (`V[a, z_k] < 0`). Returns the masks of the neurons that are candidates for
/// `[ŵ⁺, ŵ⁻]`: `ŵ⁺` takes `U > 0`, `ŵ⁻` takes `U < 0` if `need_minus` (else none), and unless
/// `mixed_signs` both keep only products `V·U` of `w*`'s sign (`w_negative`).
///
/// ```
/// use logprune_construction::kernel::classes;
/// // Neurons 0..4: U signs (+, +, −, −), V signs (+, −, +, −); w* > 0.
/// let (u_neg, v_neg) = (0b1100, 0b1010);
/// let four = |[p, m]: [u64; 2]| [p & 0b1111, m & 0b1111];
/// // V·U > 0 for neurons 0 and 3: neuron 0 serves ŵ⁺, neuron 3 serves ŵ⁻.
/// assert_eq!(four(classes(u_neg, v_neg, false, true, false)), [0b0001, 0b1000]);
/// // Without ŵ⁻, only ŵ⁺; with mixed signs every U > 0 neuron serves ŵ⁺.
/// assert_eq!(four(classes(u_neg, v_neg, false, false, false)), [0b0001, 0]);
/// assert_eq!(four(classes(u_neg, v_neg, false, false, true)), [0b0011, 0]);
/// ```
#[inline(always)]
pub fn classes(
    u_neg: u64,
    v_neg: u64,
    w_negative: bool,
    need_minus: bool,
    mixed_signs: bool,
) -> [u64; 2] {
    let w_neg = if w_negative { !0u64 } else { 0 };
    // V·U has w*'s sign iff sgn U ⊕ sgn V = sgn w*.
    let fits = if mixed_signs {
        !0u64
    } else {
        !(u_neg ^ v_neg ^ w_neg)
    };
    let minus = if need_minus { u_neg } else { 0 };
    [!u_neg & fits, minus & fits]
}

/// One target weight as the kernel sees it: `w* = W*_{t+1}[a, b]` and whether its column needs
/// `ŵ⁻`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TargetWeight {
    /// The layer `t` (the paper's `i = t + 1`).
    pub t: usize,
    /// The output `a`.
    pub a: usize,
    /// The input `b`.
    pub b: usize,
    /// `w*`.
    pub w: f64,
    /// Whether column `b` needs `ŵ⁻`.
    pub need_minus: bool,
}

/// Up to 64 neurons `base + k` of G, `k` the set bits of `lanes`, with the sign bits of their
/// weights `U[z, b]` (`u_neg`) and `V[a, z]` (`v_neg`) for the target weight `(a, b)` being
/// decomposed. Bits outside `lanes` are ignored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Chunk {
    /// The first neuron of the chunk's range.
    pub base: u64,
    /// Which of `base..base + 64` are offered.
    pub lanes: u64,
    /// Bit `k`: `U[base + k, b] < 0`.
    pub u_neg: u64,
    /// Bit `k`: `V[a, base + k] < 0`.
    pub v_neg: u64,
}

/// The neurons of G that one target weight `(a, b)` may use, in the order the layout offers
/// them (increasing `z`), with access to their weights (module docs).
pub trait CandidateSource {
    /// The next chunk of at most `max` (1..=64) neurons, or `None` when the source is
    /// exhausted. A chunk's lanes are nonempty and in increasing `z` after the previous
    /// chunk's.
    fn next_chunk(&mut self, max: u32) -> Option<Chunk>;

    /// `(ln|U[z,b]|, sgn) · (ln|V[a,z]|, sgn)` of lane `k` of the last chunk.
    fn log_product(&mut self, k: u32) -> LogWeight;

    /// [`CandidateSource::log_product`] of every lane `k` set in `lanes`: `ln[k]` gets its
    /// `ln|V·U|`, and bit `k` of the result its sign (`V·U < 0`). Other entries of `ln` may be
    /// overwritten with anything; the bits of other lanes are 0. A source may compute them
    /// all at once (the default calls `log_product` lane by lane).
    fn log_products(&mut self, lanes: u64, ln: &mut [f64; 64]) -> u64 {
        log_products_by_lane(self, lanes, ln)
    }

    /// The exact weights `(U[z,b], V[a,z])` of neuron `z`, any neuron offered so far.
    fn weights(&self, z: u64) -> (f64, f64);
}

/// [`CandidateSource::log_products`] lane by lane, through `log_product` (its default).
pub(crate) fn log_products_by_lane<S: CandidateSource + ?Sized>(
    s: &mut S,
    lanes: u64,
    ln: &mut [f64; 64],
) -> u64 {
    let mut negative = 0u64;
    let mut bits = lanes;
    while bits != 0 {
        let k = bits.trailing_zeros();
        bits &= bits - 1;
        let p = s.log_product(k);
        ln[k as usize] = p.ln_abs;
        negative |= u64::from(p.negative) << k;
    }
    negative
}

/// The outcome of one target weight: its two halves (the decompositions' indices are G's
/// `z`, increasing), how many neurons were consulted and the last one consulted.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightOutcome {
    /// `[ŵ⁺, ŵ⁻]`; `ŵ⁻` is the empty decomposition where the column does not need it.
    pub halves: [Result<Decomposition, DecompositionError>; 2],
    /// Neurons consulted.
    pub consulted: u64,
    /// The last neuron consulted, if any.
    pub last: Option<u64>,
}

/// The solver state of one work item.
enum SolverState<'s> {
    /// Two streams, for `ŵ⁺` and `ŵ⁻`, reset for each target weight.
    Golden(Box<[GoldenRatioStream<'s>; 2]>),
    /// A list solver and the two halves' candidate buffers (values, neurons).
    List {
        solver: Box<dyn Solver>,
        values: [Vec<f64>; 2],
        neurons: [Vec<(u64, f64, f64)>; 2],
    },
}

/// The kernel of one work item (see the [module documentation](self)): create one per work
/// item, then [`Kernel::decompose`] each of its target weights in order.
pub struct Kernel<'s> {
    state: SolverState<'s>,
    kind: SolverKind,
    tolerance: f64,
    /// `(z, U, V)` of the candidates whose exact values the last decomposition used.
    weights: Vec<(u64, f64, f64)>,
    /// The log-magnitudes of a chunk's lanes (reused, so not cleared per chunk).
    ln: Box<[f64; 64]>,
}

/// The chunk size the golden-ratio streams ask for: neurons drawn past the completing one are
/// wasted, so chunks are short.
const GOLDEN_CHUNK: u32 = 32;

impl<'s> Kernel<'s> {
    /// A kernel for `solver` with the per-half `tolerance` and golden-ratio `schedule` (of the
    /// same tolerance and `w_max`). With `mixed_signs`, best fit is its two-sided form.
    ///
    /// # Errors
    /// A solver error (not expected for a valid schedule).
    pub fn new(
        solver: SolverKind,
        tolerance: f64,
        schedule: &'s GoldenRatioSchedule,
        mixed_signs: bool,
    ) -> Result<Self, ConstructionError> {
        let state = match solver {
            SolverKind::GoldenRatio => {
                SolverState::Golden(Box::new([schedule.stream(0.0)?, schedule.stream(0.0)?]))
            }
            SolverKind::BestFit | SolverKind::Exact => SolverState::List {
                solver: match (solver, mixed_signs) {
                    (SolverKind::BestFit, false) => Box::new(BestFit),
                    (SolverKind::BestFit, true) => Box::new(BestFit::two_sided()),
                    _ => Box::new(Exact::absolute()),
                },
                values: Default::default(),
                neurons: Default::default(),
            },
        };
        Ok(Kernel {
            state,
            kind: solver,
            tolerance,
            weights: Vec::new(),
            ln: Box::new([0.0; 64]),
        })
    }

    /// The exact weights `(z, U[z,b], V[a,z])` of the last decomposition's kept neurons
    /// (and possibly of other candidates it looked at), for [`ItemOutput::record`](crate::layout::ItemOutput::record).
    pub fn weights(&self) -> &[(u64, f64, f64)] {
        &self.weights
    }

    /// Decomposes both needed halves of `x` from the neurons `source` offers (module docs).
    /// `mixed_signs`: whether a list solver's halves may use products of both signs.
    ///
    /// Returns the outcome; `w* = 0` consults nothing (`ŵ = 0` exactly).
    ///
    /// # Errors
    /// [`ConstructionError::TooManyCandidates`] (exact solver); a solver error for an invalid
    /// target (`|w*| > w_max`).
    pub fn decompose<S: CandidateSource>(
        &mut self,
        x: &TargetWeight,
        source: &mut S,
        mixed_signs: bool,
    ) -> Result<WeightOutcome, ConstructionError> {
        let w = x.w;
        self.weights.clear();
        if w == 0.0 {
            return Ok(WeightOutcome {
                halves: [Ok(Decomposition::empty(0.0)), Ok(Decomposition::empty(0.0))],
                consulted: 0,
                last: None,
            });
        }
        let (mut consulted, mut last) = (0u64, None);
        let mixed = mixed_signs && self.kind.may_mix_signs();
        let weights = &mut self.weights;
        let halves = match &mut self.state {
            SolverState::Golden(streams) => {
                let [plus, minus] = &mut **streams;
                plus.reset(w)?;
                minus.reset(w)?;
                let done = |p: &GoldenRatioStream<'_>, q: &GoldenRatioStream<'_>| {
                    p.is_complete() && (!x.need_minus || q.is_complete())
                };
                'chunks: while !done(plus, minus) {
                    let Some(c) = source.next_chunk(GOLDEN_CHUNK) else {
                        break;
                    };
                    let [p_mask, m_mask] = classes(c.u_neg, c.v_neg, w < 0.0, x.need_minus, false);
                    let (p_lanes, m_lanes) = (c.lanes & p_mask, c.lanes & m_mask);
                    // Lanes outside `p_lanes | m_lanes` keep values that no stream reads.
                    let ln = &mut self.ln;
                    let negative = source.log_products(p_lanes | m_lanes, ln);
                    let index = |k: u32| (c.base + u64::from(k)) as usize;
                    // Called once for each kept candidate: its exact product, kept for the
                    // record.
                    let mut magnitude = |zz: usize, _: f64| {
                        let (u, v) = source.weights(zz as u64);
                        weights.push((zz as u64, u, v));
                        (v * u).abs()
                    };
                    // The lane with which each stream completed (-1: before this chunk).
                    let mut finish = |s: &mut GoldenRatioStream<'_>, lanes: u64| -> Option<i32> {
                        if s.is_complete() {
                            return Some(-1);
                        }
                        s.offer_lanes(lanes, ln, negative, index, &mut magnitude)
                            .map(|k| k as i32)
                    };
                    let ends = (
                        finish(plus, p_lanes),
                        if x.need_minus {
                            finish(minus, m_lanes)
                        } else {
                            Some(-1)
                        },
                    );
                    if let (Some(p), Some(m)) = ends {
                        // Consulted: the chunk's lanes up to and including the completing one.
                        let k = p.max(m).max(0) as u32;
                        let upto = if k == 63 { !0 } else { (1u64 << (k + 1)) - 1 };
                        consulted += u64::from((c.lanes & upto).count_ones());
                        last = Some(c.base + 63 - u64::from((c.lanes & upto).leading_zeros()));
                        break 'chunks;
                    }
                    consulted += u64::from(c.lanes.count_ones());
                    last = Some(c.base + 63 - u64::from(c.lanes.leading_zeros()));
                }
                let minus = if x.need_minus {
                    minus.finish()
                } else {
                    Ok(Decomposition::empty(w))
                };
                [plus.finish(), minus]
            }
            SolverState::List {
                solver,
                values,
                neurons,
            } => {
                for h in 0..2 {
                    values[h].clear();
                    neurons[h].clear();
                }
                while let Some(c) = source.next_chunk(64) {
                    consulted += u64::from(c.lanes.count_ones());
                    last = Some(c.base + 63 - u64::from(c.lanes.leading_zeros()));
                    let masks = classes(c.u_neg, c.v_neg, w < 0.0, x.need_minus, mixed);
                    for (h, mask) in masks.into_iter().enumerate() {
                        let mut bits = c.lanes & mask;
                        while bits != 0 {
                            let z = c.base + u64::from(bits.trailing_zeros());
                            bits &= bits - 1;
                            let (u, v) = source.weights(z);
                            values[h].push(v * u);
                            neurons[h].push((z, u, v));
                        }
                    }
                }
                let mut halves: [Result<Decomposition, DecompositionError>; 2] =
                    [Ok(Decomposition::empty(w)), Ok(Decomposition::empty(w))];
                for (h, half) in halves.iter_mut().enumerate() {
                    if h == 1 && !x.need_minus {
                        continue;
                    }
                    if self.kind == SolverKind::Exact && values[h].len() > MAX_EXACT_CANDIDATES {
                        return Err(ConstructionError::TooManyCandidates {
                            layer: x.t + 1,
                            row: x.a,
                            col: x.b,
                            half: Half::BOTH[h],
                            candidates: values[h].len(),
                            max: MAX_EXACT_CANDIDATES,
                        });
                    }
                    *half = solver
                        .decompose(&values[h], w, self.tolerance)
                        .map(|mut d| {
                            for i in &mut d.indices {
                                weights.push(neurons[h][*i]);
                                *i = neurons[h][*i].0 as usize;
                            }
                            d.indices.sort_unstable();
                            d
                        });
                }
                halves
            }
        };
        Ok(WeightOutcome {
            halves,
            consulted,
            last,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logprune_decomposition::GoldenRatio;

    /// A source over explicit weights `(U, V)` of neurons `0..n`.
    struct Explicit {
        w: Vec<(f64, f64)>,
        next: u64,
        base: u64,
    }

    impl CandidateSource for Explicit {
        fn next_chunk(&mut self, max: u32) -> Option<Chunk> {
            let n = self.w.len() as u64;
            if self.next >= n {
                return None;
            }
            let len = (n - self.next).min(u64::from(max));
            let mut c = Chunk {
                base: self.next,
                lanes: if len == 64 { !0 } else { (1 << len) - 1 },
                ..Chunk::default()
            };
            for k in 0..len {
                let (u, v) = self.w[(self.next + k) as usize];
                c.u_neg |= u64::from(u < 0.0) << k;
                c.v_neg |= u64::from(v < 0.0) << k;
            }
            self.base = self.next;
            self.next += len;
            Some(c)
        }
        fn log_product(&mut self, k: u32) -> LogWeight {
            let (u, v) = self.w[(self.base + u64::from(k)) as usize];
            LogWeight::from_value(v) * LogWeight::from_value(u)
        }
        fn weights(&self, z: u64) -> (f64, f64) {
            self.w[z as usize]
        }
    }

    /// The class rule against its definition, neuron by neuron.
    #[test]
    fn class_rule_by_definition() {
        for bits in 0u64..256 {
            let (u_neg, v_neg) = (bits & 0xf, bits >> 4);
            for (w_negative, need_minus, mixed) in
                (0..8).map(|k| (k & 1 == 1, k & 2 == 2, k & 4 == 4))
            {
                let [p, m] = classes(u_neg, v_neg, w_negative, need_minus, mixed);
                for k in 0..4 {
                    let (un, vn) = (u_neg >> k & 1 == 1, v_neg >> k & 1 == 1);
                    let fits = mixed || (un ^ vn) == w_negative;
                    assert_eq!(p >> k & 1 == 1, !un && fits);
                    assert_eq!(m >> k & 1 == 1, un && need_minus && fits);
                }
            }
        }
    }

    #[test]
    fn golden_stops_early_and_lists_consult_everything() {
        let sched = GoldenRatio::new(1.0).unwrap().schedule(0.05).unwrap();
        // 40 neurons with U > 0 and V > 0 at decreasing magnitudes: products of w*'s sign.
        let w: Vec<(f64, f64)> = (0..40)
            .map(|j| (1.0, 0.9 * (2.0f64 / 3.0).powi(j / 2)))
            .collect();
        let x = TargetWeight {
            t: 0,
            a: 0,
            b: 0,
            w: 0.5,
            need_minus: false,
        };
        let mut k = Kernel::new(SolverKind::GoldenRatio, 0.05, &sched, false).unwrap();
        let mut src = Explicit {
            w: w.clone(),
            next: 0,
            base: 0,
        };
        let o = k.decompose(&x, &mut src, false).unwrap();
        let d = o.halves[0].as_ref().unwrap();
        assert!(d.residual >= 0.0 && d.residual <= 0.05);
        assert!(o.consulted < 40 && o.last == Some(o.consulted - 1));
        let mut k = Kernel::new(SolverKind::BestFit, 0.05, &sched, false).unwrap();
        let mut src = Explicit {
            w,
            next: 0,
            base: 0,
        };
        let o = k.decompose(&x, &mut src, false).unwrap();
        assert_eq!((o.consulted, o.last), (40, Some(39)));
        assert!(o.halves[0].as_ref().unwrap().residual.abs() <= 0.05);
        // w* = 0 consults nothing.
        let zero = TargetWeight { w: 0.0, ..x };
        let o = k.decompose(&zero, &mut src, false).unwrap();
        assert_eq!((o.consulted, o.last), (0, None));
    }
}
