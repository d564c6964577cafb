//! The large random network G of Section 5, never materialized (ARCHITECTURE.md,
//! invariant 6).
//!
//! Between target layers `i-1` and `i`, G has an intermediate ReLU layer of `M_i` neurons
//! `z`, with input weights `U_i[z, b]` (`M_i × n_{i-1}`) and output weights `V_i[a, z]`
//! (`n_i × M_i`), all i.i.d. from one distribution, by default the signed hyperbolic `p_w` on
//! Theorem 3's `[α, β]` (Section 5). A [`LargeNetwork`] is a seed plus a shape: every weight
//! is a pure function of `(seed, layer, side, neuron, port)` through the counter-based
//! generator of `logprune-sampling` (Philox4x32-10), recomputed in O(1) on demand.
//!
//! # Stream and index encoding (fixed: changing it changes every G ever generated)
//!
//! Layers are numbered from 0 in code: layer `t` is the paper's layer `i = t + 1`.
//!
//! ```text
//! U_i[z, b] = p_w.from_bits(counter::bits(seed, stream = 2t,     index = z · n_{i-1} + b))
//! V_i[a, z] = p_w.from_bits(counter::bits(seed, stream = 2t + 1, index = z · n_i + a))
//! ```
//!
//! Both indices are neuron-major (`neuron · fan + port`) and do not involve `M_i`: a weight
//! depends only on `(seed, layer, side, neuron, port)`, so G with `M_i` neurons is exactly the
//! first `M_i` neurons of the same G with more, and a study of how wide G must be compares
//! nested networks. (For `U_i` this is also its row-major position in the dense export; `V_i`
//! is exported as `n_i × M_i`, PyTorch's `Linear.weight` shape, i.e. its transposed order.) The log-domain lookups ([`LargeNetwork::u_log`],
//! [`LargeNetwork::v_log`]) read the same 64 bits, so `ln|U|` and `U` describe the same
//! weight. Streams from [`AUX_STREAM_BASE`] up are reserved for other random numbers of a
//! pruning run (the check inputs), so layers are limited to `t < 2^31 − 128`.

use faer::Mat;
use logprune_network::Architecture;
use logprune_sampling::{LogWeight, counter, widen32};
use serde::{Deserialize, Serialize};

use crate::{ConstructionError, Law};

/// The first stream reserved for random numbers that are not weights of G (see the module
/// docs); the largest layer index is `AUX_STREAM_BASE / 2 − 1`.
pub const AUX_STREAM_BASE: u32 = u32::MAX - 127;

/// The most weights (`Σ_i (n_{i-1} + n_i) M_i`) [`LargeNetwork::dense_layer`] and
/// [`LargeNetwork::dense_size_check`] accept: `5·10^7` (400 MB of `f64`).
pub const DENSE_LIMIT: f64 = 5e7;

/// Which side of an intermediate neuron a weight of G is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// `U_i[z, b]`: from input `b` of layer `i-1` into intermediate neuron `z`.
    Input,
    /// `V_i[a, z]`: from intermediate neuron `z` to output `a` of layer `i`.
    Output,
}

impl Side {
    /// `[Input, Output]`.
    pub const BOTH: [Side; 2] = [Side::Input, Side::Output];

    /// 0 for [`Side::Input`], 1 for [`Side::Output`].
    pub fn index(self) -> usize {
        match self {
            Side::Input => 0,
            Side::Output => 1,
        }
    }
}

/// How a weight's `(seed, layer, side, neuron, port)` becomes the 64-bit word its
/// distribution reads (module docs). Every version is kept, so that a seed gives the same G
/// from release to release for the version a run records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Generator {
    /// Philox4x32-10, version 1: one Philox block per weight at index `neuron · fan + port`,
    /// its words 0 and 1 as the weight's 64-bit word.
    PhiloxV1,
    /// Philox4x32-10, version 2: one Philox block per four consecutive neurons at one port,
    /// at index `⌊neuron/4⌋ · fan + port`; word `neuron mod 4` of the block, a 32-bit word,
    /// widened to the 64-bit word the laws read ([`logprune_sampling::widen32`]: a 31-bit
    /// quantile and a sign bit). Four times fewer Philox blocks than version 1, computed many
    /// at a time ([`counter::blocks`]).
    #[default]
    PhiloxV2,
    /// ARS-4x32-7 (Random123's AES-round generator, [`counter::ars4x32_7`]), version 3:
    /// version 2's layout (one block per four consecutive neurons at one port, word
    /// `neuron mod 4` widened to 64 bits) with ARS in place of Philox, keyed by
    /// [`counter::ars_key`]`(seed)`.
    ArsV3,
}

impl Generator {
    /// Every version, oldest first.
    pub const ALL: [Generator; 3] = [Generator::PhiloxV1, Generator::PhiloxV2, Generator::ArsV3];

    /// What `logprune prune` and the Python package use unless told otherwise: the fastest
    /// version. The library's [`Default`] stays [`Generator::PhiloxV2`], so that the tables
    /// that reproduce the paper keep their bits.
    pub const RECOMMENDED: Generator = Generator::ArsV3;

    /// The block function's name: `philox4x32-10` or `ars4x32-7`.
    pub fn algorithm(self) -> &'static str {
        match self {
            Generator::PhiloxV1 | Generator::PhiloxV2 => "philox4x32-10",
            Generator::ArsV3 => "ars4x32-7",
        }
    }

    /// The counter layout's version.
    pub fn version(self) -> u32 {
        match self {
            Generator::PhiloxV1 => 1,
            Generator::PhiloxV2 => 2,
            Generator::ArsV3 => 3,
        }
    }

    /// The name on the command line and in tickets: `philox-v1`, `philox-v2`, `ars-v3`.
    pub fn name(self) -> &'static str {
        match self {
            Generator::PhiloxV1 => "philox-v1",
            Generator::PhiloxV2 => "philox-v2",
            Generator::ArsV3 => "ars-v3",
        }
    }

    /// The 128-bit block of `index` in `stream` (block 0 of the counter layout
    /// [`counter::counter_words`]) of a four-word version (2 or 3).
    #[inline(always)]
    fn block4(self, seed: u64, stream: u32, index: u64) -> [u32; 4] {
        match self {
            Generator::ArsV3 => counter::ars4x32_7(
                counter::counter_words(stream, index, 0),
                counter::ars_key(seed),
            ),
            _ => counter::block(seed, stream, index),
        }
    }

    /// [`counter::blocks`] or [`counter::ars_blocks`]: the blocks of many counters.
    #[inline(always)]
    fn blocks4(self, seed: u64, counters: &[[u32; 4]], out: &mut [[u32; 4]]) {
        match self {
            Generator::ArsV3 => counter::ars_blocks(seed, counters, out),
            _ => counter::blocks(seed, counters, out),
        }
    }

    /// The word of the weight `(neuron, port)` of `stream` (module docs), for a side whose
    /// ports number `fan`.
    #[inline(always)]
    pub fn word(self, seed: u64, stream: u32, neuron: u64, port: usize, fan: usize) -> u64 {
        match self {
            Generator::PhiloxV1 => counter::bits(seed, stream, neuron * fan as u64 + port as u64),
            Generator::PhiloxV2 | Generator::ArsV3 => {
                let block = self.block4(seed, stream, (neuron >> 2) * fan as u64 + port as u64);
                widen32(block[(neuron & 3) as usize])
            }
        }
    }

    /// The words of the weights `(z0 + j, port)`, `j = 0..out.len()`, of `stream` (a run of
    /// consecutive neurons at one port), equal to [`Generator::word`] of each: for version 2
    /// the Philox blocks of the run are computed together.
    pub fn words(
        self,
        seed: u64,
        stream: u32,
        (z0, port, fan): (u64, usize, usize),
        out: &mut [u64],
    ) {
        match self {
            Generator::PhiloxV1 => {
                for (j, o) in out.iter_mut().enumerate() {
                    *o = self.word(seed, stream, z0 + j as u64, port, fan);
                }
            }
            Generator::PhiloxV2 | Generator::ArsV3 => {
                const GROUPS: usize = 32;
                let mut counters = [[0u32; 4]; GROUPS];
                let mut blocks = [[0u32; 4]; GROUPS];
                let mut done = 0usize;
                while done < out.len() {
                    let z = z0 + done as u64;
                    let first = z >> 2;
                    let last = (z0 + out.len() as u64 - 1) >> 2;
                    let groups = ((last - first + 1) as usize).min(GROUPS);
                    for (g, c) in counters[..groups].iter_mut().enumerate() {
                        let index = (first + g as u64) * fan as u64 + port as u64;
                        *c = counter::counter_words(stream, index, 0);
                    }
                    self.blocks4(seed, &counters[..groups], &mut blocks[..groups]);
                    let end = ((first + groups as u64) << 2).min(z0 + out.len() as u64);
                    // The words of neurons z..end: the blocks' words from lane z mod 4 on.
                    let words = &blocks[..groups].as_flattened()[(z & 3) as usize..];
                    let n = (end - z) as usize;
                    widen_with_signs(&words[..n], &mut out[done..done + n]);
                    done = (end - z0) as usize;
                }
            }
        }
    }
}

/// `out[j] = widen32(words[j])` for `j < out.len()`, and the words' sign bits (bit `j`:
/// `words[j] & 1`, which [`widen32`] keeps as bit 0): meaningful for at most 64 words (with
/// more, word `j` lands on bit `j mod 64`, and only `out` is of use). A plain loop compiled for
/// AVX-512 and AVX2 besides the baseline, chosen at run time (the `multiversion` crate);
/// every clone gives the same result.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx512dq", "x86_64+avx2"))]
fn widen_with_signs(words: &[u32], out: &mut [u64]) -> u64 {
    let mut neg = 0u64;
    for (j, (o, &w)) in out.iter_mut().zip(words).enumerate() {
        *o = widen32(w);
        neg |= u64::from(w & 1) << (j & 63);
    }
    neg
}

impl Generator {
    /// The words of the weights `(neuron, port)` of `items`, any neurons and ports, of
    /// `stream` (a side whose ports number `fan`): `out[i]` is [`Generator::word`] of
    /// `items[i]`, the blocks computed 64 at a time ([`counter::blocks`],
    /// [`counter::ars_blocks`]), which is many times faster than a call per weight.
    ///
    /// # Panics
    /// If `items` and `out` differ in length.
    pub fn words_at(
        self,
        seed: u64,
        stream: u32,
        fan: usize,
        items: &[(u64, usize)],
        out: &mut [u64],
    ) {
        assert_eq!(
            items.len(),
            out.len(),
            "words_at: {} items, {} words",
            items.len(),
            out.len()
        );
        const BATCH: usize = 64;
        let mut counters = [[0u32; 4]; BATCH];
        let mut blocks = [[0u32; 4]; BATCH];
        for (is, os) in items.chunks(BATCH).zip(out.chunks_mut(BATCH)) {
            let n = is.len();
            for (c, &(neuron, port)) in counters.iter_mut().zip(is) {
                let index = match self {
                    Generator::PhiloxV1 => neuron * fan as u64 + port as u64,
                    Generator::PhiloxV2 | Generator::ArsV3 => {
                        (neuron >> 2) * fan as u64 + port as u64
                    }
                };
                *c = counter::counter_words(stream, index, 0);
            }
            self.blocks4(seed, &counters[..n], &mut blocks[..n]);
            for ((o, b), &(neuron, _)) in os.iter_mut().zip(&blocks[..n]).zip(is) {
                *o = match self {
                    Generator::PhiloxV1 => u64::from(b[0]) | (u64::from(b[1]) << 32),
                    Generator::PhiloxV2 | Generator::ArsV3 => widen32(b[(neuron & 3) as usize]),
                };
            }
        }
    }
}

impl core::fmt::Display for Generator {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

impl core::str::FromStr for Generator {
    type Err = crate::ParseNameError;

    /// Parses `philox-v1`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::config::parse_name("generator", s, &Generator::ALL, Generator::name)
    }
}

/// The large network G: the target's widths `n_0..n_ℓ`, the intermediate widths `M_i`, the
/// weight law of each layer and side, the generator and a seed (Section 5). Never
/// materialized; see the [module documentation](self) for how a weight is computed.
///
/// # Example
/// ```
/// use logprune_construction::{Generator, LargeNetwork, Law};
/// use logprune_network::{Activation, Architecture};
/// use logprune_sampling::SignedHyperbolic;
///
/// let arch = Architecture::with_hidden(vec![2, 3, 1], Activation::Relu, Activation::Identity)?;
/// let law = Law::Hyperbolic(SignedHyperbolic::theorem3(1e-3, 1.0)?);
/// let g = LargeNetwork::new(&arch, vec![24, 12], vec![[law; 2]; 2], Generator::PhiloxV1, 42)?;
/// assert_eq!(g.intermediate_widths(), &[24, 12]);
/// let u = g.u(0, 5, 1); // U_1[5, 1]
/// assert_eq!(u, g.u(0, 5, 1)); // recomputed, not stored
/// assert!((g.u_log(0, 5, 1).value() - u).abs() <= 1e-15 * u.abs());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LargeNetwork {
    fans: Vec<[usize; 2]>,
    intermediate: Vec<u64>,
    laws: Vec<[Law; 2]>,
    generator: Generator,
    seed: u64,
}

impl LargeNetwork {
    /// G for the target widths of `architecture`, intermediate widths `intermediate`
    /// (`M_1..M_ℓ`), the laws of `U_i` and `V_i` (`laws[t] = [law of U, law of V]`), the
    /// generator and `seed`.
    ///
    /// # Errors
    /// [`ConstructionError::WidthCount`] if `intermediate` or `laws` does not have ℓ entries;
    /// [`ConstructionError::TooLarge`] if a layer index or a generator index
    /// (`M_i · n_{i-1}` or `M_i · n_i`) does not fit the generator's counters.
    pub fn new(
        architecture: &Architecture,
        intermediate: Vec<u64>,
        laws: Vec<[Law; 2]>,
        generator: Generator,
        seed: u64,
    ) -> Result<Self, ConstructionError> {
        let fans: Vec<[usize; 2]> = architecture
            .widths()
            .windows(2)
            .map(|w| [w[0], w[1]])
            .collect();
        Self::with_fans(fans, intermediate, laws, generator, seed)
    }

    /// G for target layers of fan-in and fan-out `fans[t] = [n_in, n_out]`, which need not
    /// chain (the linear nodes of a graph target: a conv's fan-in is `c_in·kh·kw`, plus one
    /// for a bias column); otherwise as [`LargeNetwork::new`].
    ///
    /// # Errors
    /// As [`LargeNetwork::new`].
    pub fn with_fans(
        fans: Vec<[usize; 2]>,
        intermediate: Vec<u64>,
        laws: Vec<[Law; 2]>,
        generator: Generator,
        seed: u64,
    ) -> Result<Self, ConstructionError> {
        let ell = fans.len();
        for (what, found) in [
            ("intermediate widths", intermediate.len()),
            ("weight laws", laws.len()),
        ] {
            if found != ell {
                return Err(ConstructionError::WidthCount {
                    what,
                    expected: ell,
                    found,
                });
            }
        }
        if ell as u64 > u64::from(AUX_STREAM_BASE / 2) {
            return Err(ConstructionError::TooLarge {
                what: "number of layers",
                value: ell as f64,
                limit: f64::from(AUX_STREAM_BASE / 2),
            });
        }
        for (t, &m) in intermediate.iter().enumerate() {
            let wide = fans[t][0].max(fans[t][1]) as u64;
            if m.checked_mul(wide).is_none() {
                return Err(ConstructionError::TooLarge {
                    what: "intermediate width times layer width (generator index)",
                    value: m as f64 * wide as f64,
                    limit: u64::MAX as f64,
                });
            }
        }
        Ok(LargeNetwork {
            fans,
            intermediate,
            laws,
            generator,
            seed,
        })
    }

    /// `[n_in, n_out]` of every target layer (`[n_{i-1}, n_i]` for an MLP).
    pub fn fans(&self) -> &[[usize; 2]] {
        &self.fans
    }

    /// The fan-in `n_{i-1}` of target layer `t` (the columns of its target matrix).
    #[inline]
    pub fn fan_in(&self, t: usize) -> usize {
        self.fans[t][0]
    }

    /// The fan-out `n_i` of target layer `t` (the rows of its target matrix).
    #[inline]
    pub fn fan_out(&self, t: usize) -> usize {
        self.fans[t][1]
    }

    /// ℓ, the number of target layers (G has `2ℓ` layers).
    pub fn depth(&self) -> usize {
        self.intermediate.len()
    }

    /// The intermediate widths `M_1, ..., M_ℓ` (`[t]` is the paper's `M_{t+1}`).
    pub fn intermediate_widths(&self) -> &[u64] {
        &self.intermediate
    }

    /// The weight law of one side of layer `t`.
    pub fn law(&self, t: usize, side: Side) -> &Law {
        &self.laws[t][side.index()]
    }

    /// The laws of every layer, `[U, V]` each.
    pub fn laws(&self) -> &[[Law; 2]] {
        &self.laws
    }

    /// The generator.
    pub fn generator(&self) -> Generator {
        self.generator
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The number of weights of G, `N_G = Σ_i (n_{i-1} + n_i) M_i` (Corollary 7), as `f64`
    /// (it can exceed `u64`).
    pub fn num_weights(&self) -> f64 {
        self.intermediate
            .iter()
            .enumerate()
            .map(|(t, &m)| (self.fans[t][0] + self.fans[t][1]) as f64 * m as f64)
            .sum()
    }

    /// The generator stream of one side of layer `t` (module docs).
    #[inline]
    pub fn stream(t: usize, side: Side) -> u32 {
        2 * t as u32 + side.index() as u32
    }

    /// The generator word of `U_{t+1}[z, b]` (module docs).
    #[inline(always)]
    pub fn u_word(&self, t: usize, z: u64, b: usize) -> u64 {
        self.generator.word(
            self.seed,
            Self::stream(t, Side::Input),
            z,
            b,
            self.fans[t][0],
        )
    }

    /// The generator word of `V_{t+1}[a, z]` (module docs).
    #[inline(always)]
    pub fn v_word(&self, t: usize, a: usize, z: u64) -> u64 {
        self.generator.word(
            self.seed,
            Self::stream(t, Side::Output),
            z,
            a,
            self.fans[t][1],
        )
    }

    /// The generator words of `U_{t+1}[z0 + j, b]`, `j = 0..out.len()` ([`Generator::words`]).
    #[inline]
    pub fn u_words(&self, t: usize, b: usize, z0: u64, out: &mut [u64]) {
        self.generator.words(
            self.seed,
            Self::stream(t, Side::Input),
            (z0, b, self.fans[t][0]),
            out,
        );
    }

    /// The generator words of `V_{t+1}[a, z0 + j]`, `j = 0..out.len()`.
    #[inline]
    pub fn v_words(&self, t: usize, a: usize, z0: u64, out: &mut [u64]) {
        self.generator.words(
            self.seed,
            Self::stream(t, Side::Output),
            (z0, a, self.fans[t][1]),
            out,
        );
    }

    /// The words of both weights of a run of neurons for target weight `(a, b)` of layer `t`:
    /// `u_out[j]` of `U_{t+1}[z0 + j, b]` and `v_out[j]` of `V_{t+1}[a, z0 + j]`, at most 64
    /// neurons, equal to [`LargeNetwork::u_word`] and [`LargeNetwork::v_word`] of each; for
    /// versions 2 and 3 all their blocks are computed in one batch.
    ///
    /// Returns the words' sign bits (bit 0 of each, the sign of its weight under every law):
    /// bit `j` of the first mask is `u_out[j] & 1`, of the second `v_out[j] & 1`.
    ///
    /// # Panics
    /// If the two outputs differ in length or hold more than 64 words.
    #[inline]
    pub fn pair_words(
        &self,
        t: usize,
        (a, b): (usize, usize),
        z0: u64,
        u_out: &mut [u64],
        v_out: &mut [u64],
    ) -> (u64, u64) {
        let n = u_out.len();
        assert!(
            n == v_out.len() && n <= 64,
            "pair_words: {n} and {} words",
            v_out.len()
        );
        if n == 0 {
            return (0, 0);
        }
        let (mut u_neg, mut v_neg) = (0u64, 0u64);
        match self.generator {
            Generator::PhiloxV1 => {
                self.u_words(t, b, z0, u_out);
                self.v_words(t, a, z0, v_out);
                for (j, (u, v)) in u_out.iter().zip(v_out.iter()).enumerate() {
                    u_neg |= (u & 1) << j;
                    v_neg |= (v & 1) << j;
                }
            }
            Generator::PhiloxV2 | Generator::ArsV3 => {
                let (su, sv) = (Self::stream(t, Side::Input), Self::stream(t, Side::Output));
                let (fu, fv) = (self.fans[t][0] as u64, self.fans[t][1] as u64);
                let first = z0 >> 2;
                let groups = (((z0 + n as u64 - 1) >> 2) - first + 1) as usize;
                let mut counters = [[0u32; 4]; 34];
                for g in 0..groups {
                    let group = first + g as u64;
                    counters[g] = counter::counter_words(su, group * fu + b as u64, 0);
                    counters[groups + g] = counter::counter_words(sv, group * fv + a as u64, 0);
                }
                let mut blocks = [[0u32; 4]; 34];
                self.generator.blocks4(
                    self.seed,
                    &counters[..2 * groups],
                    &mut blocks[..2 * groups],
                );
                let skip = (z0 & 3) as usize;
                let (ub, vb) = blocks[..2 * groups].split_at(groups);
                let (ub, vb) = (&ub.as_flattened()[skip..], &vb.as_flattened()[skip..]);
                u_neg = widen_with_signs(ub, u_out);
                v_neg = widen_with_signs(vb, v_out);
            }
        }
        (u_neg, v_neg)
    }

    /// `U_{t+1}[z, b]`, the input weight of intermediate neuron `z` from input `b`.
    ///
    /// Indices are not checked (the value is a pure function of them either way); use
    /// [`LargeNetwork::weight`] for a checked lookup.
    #[inline]
    pub fn u(&self, t: usize, z: u64, b: usize) -> f64 {
        self.laws[t][0].sample_bits(self.u_word(t, z, b))
    }

    /// `V_{t+1}[a, z]`, the output weight of intermediate neuron `z` to output `a`
    /// (unchecked, as [`LargeNetwork::u`]).
    #[inline]
    pub fn v(&self, t: usize, a: usize, z: u64) -> f64 {
        self.laws[t][1].sample_bits(self.v_word(t, a, z))
    }

    /// `U_{t+1}[z, b]` in the log domain `(ln|U|, sign)` (same word as [`LargeNetwork::u`];
    /// no `exp` for the hyperbolic law).
    #[inline]
    pub fn u_log(&self, t: usize, z: u64, b: usize) -> LogWeight {
        self.laws[t][0].sample_log_bits(self.u_word(t, z, b))
    }

    /// `V_{t+1}[a, z]` in the log domain (same word as [`LargeNetwork::v`]).
    #[inline]
    pub fn v_log(&self, t: usize, a: usize, z: u64) -> LogWeight {
        self.laws[t][1].sample_log_bits(self.v_word(t, a, z))
    }

    /// The weights `(neuron, port)` of `items` on one side of layer `t`, unchecked and batched:
    /// `out[i]` is [`LargeNetwork::u`]`(t, neuron, port)` for [`Side::Input`] and
    /// [`LargeNetwork::v`]`(t, port, neuron)` for [`Side::Output`] ([`Generator::words_at`]).
    ///
    /// # Panics
    /// If `items` and `out` differ in length.
    pub fn weights_at(&self, t: usize, side: Side, items: &[(u64, usize)], out: &mut [f64]) {
        let mut words = [0u64; 64];
        let law = &self.laws[t][side.index()];
        let fan = self.fans[t][side.index()];
        assert_eq!(
            items.len(),
            out.len(),
            "weights_at: {} items, {} weights",
            items.len(),
            out.len()
        );
        for (is, os) in items.chunks(64).zip(out.chunks_mut(64)) {
            let w = &mut words[..is.len()];
            self.generator
                .words_at(self.seed, Self::stream(t, side), fan, is, w);
            for (o, &x) in os.iter_mut().zip(w.iter()) {
                *o = law.sample_bits(x);
            }
        }
    }

    /// Checks that `(neuron, port)` is a weight of layer `t`'s `side` (the check of
    /// [`LargeNetwork::weight`], without the weight).
    ///
    /// # Errors
    /// [`ConstructionError::NotAnEdge`] if the layer, neuron or port is out of range.
    pub fn weight_index(
        &self,
        t: usize,
        side: Side,
        neuron: u64,
        port: usize,
    ) -> Result<(), ConstructionError> {
        let ok =
            t < self.depth() && neuron < self.intermediate[t] && port < self.fans[t][side.index()];
        if ok {
            Ok(())
        } else {
            Err(ConstructionError::NotAnEdge {
                layer: t + 1,
                side,
                neuron,
                port,
            })
        }
    }

    /// The checked lookup of one weight of G: `U_{t+1}[neuron, port]` for
    /// [`Side::Input`], `V_{t+1}[port, neuron]` for [`Side::Output`].
    ///
    /// # Errors
    /// [`ConstructionError::NotAnEdge`] if the layer, neuron or port is out of range.
    pub fn weight(
        &self,
        t: usize,
        side: Side,
        neuron: u64,
        port: usize,
    ) -> Result<f64, ConstructionError> {
        self.weight_index(t, side, neuron, port)?;
        Ok(match side {
            Side::Input => self.u(t, neuron, port),
            Side::Output => self.v(t, port, neuron),
        })
    }

    /// Refuses a dense export of G above [`DENSE_LIMIT`] weights.
    ///
    /// # Errors
    /// [`ConstructionError::TooLarge`] naming `N_G` and the limit.
    pub fn dense_size_check(&self) -> Result<(), ConstructionError> {
        let n = self.num_weights();
        if n > DENSE_LIMIT {
            return Err(ConstructionError::TooLarge {
                what: "number of weights of G for a dense export",
                value: n,
                limit: DENSE_LIMIT,
            });
        }
        Ok(())
    }

    /// The dense `U_{t+1}` (`M × n_{t}`) and `V_{t+1}` (`n_{t+1} × M`) of layer `t`, for
    /// small G only.
    ///
    /// # Errors
    /// [`ConstructionError::TooLarge`] if G has more than [`DENSE_LIMIT`] weights;
    /// [`ConstructionError::NoSuchLayer`] if `t ≥ ℓ`.
    pub fn dense_layer(&self, t: usize) -> Result<(Mat<f64>, Mat<f64>), ConstructionError> {
        self.dense_size_check()?;
        if t >= self.depth() {
            return Err(ConstructionError::NoSuchLayer {
                layer: t + 1,
                layers: self.depth(),
            });
        }
        let m = self.intermediate[t] as usize;
        let u = Mat::from_fn(m, self.fans[t][0], |z, b| self.u(t, z as u64, b));
        let v = Mat::from_fn(self.fans[t][1], m, |a, z| self.v(t, a, z as u64));
        Ok((u, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prec;
    use logprune_network::Activation;
    use logprune_sampling::SignedHyperbolic;

    fn arch() -> Architecture {
        Architecture::with_hidden(vec![2, 3, 1], Activation::Relu, Activation::Identity).unwrap()
    }

    fn law() -> Law {
        Law::Hyperbolic(SignedHyperbolic::new(0.01, 4.0).unwrap())
    }

    fn small() -> LargeNetwork {
        LargeNetwork::new(
            &arch(),
            vec![30, 15],
            vec![[law(); 2]; 2],
            Generator::PhiloxV1,
            7,
        )
        .unwrap()
    }

    #[test]
    fn shapes_and_counts() {
        let g = small();
        assert_eq!(g.depth(), 2);
        assert_eq!(g.intermediate_widths(), &[30, 15]);
        // N_G = (2 + 3)·30 + (3 + 1)·15 = 210.
        assert_eq!(g.num_weights(), 210.0);
        assert_eq!(LargeNetwork::stream(3, Side::Output), 7);
    }

    /// Value stability (ARCHITECTURE.md, invariant 3): these numbers must never change. They
    /// pin the stream/index encoding of generator version 1, Philox4x32-10 and the hyperbolic
    /// inverse cdf together.
    #[test]
    fn value_stability() {
        let g = small();
        let pinned = [
            (g.u(0, 0, 0), PINNED_U_0_0_0),
            (g.u(0, 29, 1), PINNED_U_0_29_1),
            (g.v(1, 0, 14), PINNED_V_1_0_14),
        ];
        for (got, want) in pinned {
            assert!(
                prec::rel(got, want) <= prec::VALUE_STABILITY,
                "{got:e} vs {want:e}"
            );
        }
        // The encoding itself: index = neuron · fan + port, on both sides.
        let dist = SignedHyperbolic::new(0.01, 4.0).unwrap();
        assert_eq!(g.u(0, 29, 1), counter::weight(&dist, 7, 0, 29 * 2 + 1));
        assert_eq!(g.v(1, 0, 14), counter::weight(&dist, 7, 3, 14));
        assert_eq!(g.v(0, 2, 14), counter::weight(&dist, 7, 1, 14 * 3 + 2));
    }

    /// A narrower G is the prefix of a wider one with the same seed: weights do not depend on
    /// the intermediate widths.
    #[test]
    fn narrower_networks_are_prefixes() {
        let narrow = LargeNetwork::new(
            &arch(),
            vec![10, 5],
            vec![[law(); 2]; 2],
            Generator::PhiloxV1,
            7,
        )
        .unwrap();
        let wide = small();
        for z in 0..10 {
            for b in 0..2 {
                assert_eq!(narrow.u(0, z, b), wide.u(0, z, b));
            }
            for a in 0..3 {
                assert_eq!(narrow.v(0, a, z), wide.v(0, a, z));
            }
        }
    }

    // Cross-checked with an independent Python implementation of Philox4x32-10 and
    // `±α(β/α)^u`, u = ((bits >> 11) + 1/2)·2^-53, sign = bit 0.
    const PINNED_U_0_0_0: f64 = -0.895243310520554;
    const PINNED_U_0_29_1: f64 = -0.03371663269566506;
    const PINNED_V_1_0_14: f64 = -0.24953549064314703;

    /// Versions 2 and 3: word `z mod 4` of the block at index `⌊z/4⌋·fan + port`, widened; the
    /// batched words equal the scalar ones on every alignment; values pinned.
    fn four_word_layout_and_stability(
        generator: Generator,
        block: impl Fn(u32, u64) -> [u32; 4],
        pinned: [f64; 3],
    ) {
        let g =
            LargeNetwork::new(&arch(), vec![30, 15], vec![[law(); 2]; 2], generator, 7).unwrap();
        for (z, b) in [(0u64, 0usize), (5, 1), (29, 1)] {
            let block = block(0, (z / 4) * 2 + b as u64);
            assert_eq!(g.u_word(0, z, b), widen32(block[(z % 4) as usize]));
        }
        assert_eq!(g.v_word(1, 0, 14), widen32(block(3, 14 / 4)[2]));
        for z0 in 0..9u64 {
            for n in [0usize, 1, 3, 4, 5, 17, 63, 64] {
                let (mut u, mut v) = (vec![0u64; n], vec![0u64; n]);
                let (u_neg, v_neg) = g.pair_words(0, (2, 1), z0, &mut u, &mut v);
                let want_u: Vec<u64> = (0..n as u64).map(|j| g.u_word(0, z0 + j, 1)).collect();
                let want_v: Vec<u64> = (0..n as u64).map(|j| g.v_word(0, 2, z0 + j)).collect();
                let signs = |w: &[u64]| {
                    w.iter()
                        .enumerate()
                        .fold(0u64, |m, (j, x)| m | (x & 1) << j)
                };
                assert_eq!((u_neg, v_neg), (signs(&want_u), signs(&want_v)));
                assert_eq!((u, v), (want_u, want_v), "pair: z0 {z0}, n {n}");
            }
            for n in [0usize, 1, 3, 4, 5, 17, 64, 130] {
                let mut out = vec![0u64; n];
                g.u_words(0, 1, z0, &mut out);
                let want: Vec<u64> = (0..n as u64).map(|j| g.u_word(0, z0 + j, 1)).collect();
                assert_eq!(out, want, "z0 {z0}, n {n}");
                g.v_words(0, 2, z0, &mut out);
                let want: Vec<u64> = (0..n as u64).map(|j| g.v_word(0, 2, z0 + j)).collect();
                assert_eq!(out, want);
            }
        }
        let got = [g.u(0, 0, 0), g.u(0, 29, 1), g.v(1, 0, 14)];
        for (got, want) in got.into_iter().zip(pinned) {
            assert!(
                prec::rel(got, want) <= prec::VALUE_STABILITY,
                "{generator}: {got:?} vs {want:?}"
            );
        }
    }

    /// The batched lookup equals the one-at-a-time one, for every version, side and batch
    /// length (across the batches of 64), on scattered neurons and ports.
    #[test]
    fn weights_at_equals_single_lookups() {
        for generator in Generator::ALL {
            let g = LargeNetwork::new(
                &arch(),
                vec![1 << 40, 15],
                vec![[law(); 2]; 2],
                generator,
                9,
            )
            .unwrap();
            for n in [0usize, 1, 5, 63, 64, 65, 200] {
                let items: Vec<(u64, usize)> = (0..n as u64)
                    .map(|i| {
                        (
                            i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 25,
                            (i % 2) as usize,
                        )
                    })
                    .collect();
                let mut out = vec![0.0; n];
                g.weights_at(0, Side::Input, &items, &mut out);
                for (&(z, b), w) in items.iter().zip(&out) {
                    assert_eq!(
                        w.to_bits(),
                        g.u(0, z, b).to_bits(),
                        "{generator} U[{z}, {b}]"
                    );
                }
                let items: Vec<(u64, usize)> = items.iter().map(|&(z, _)| (z % 15, 0)).collect();
                g.weights_at(1, Side::Output, &items, &mut out);
                for (&(z, a), w) in items.iter().zip(&out) {
                    assert_eq!(
                        w.to_bits(),
                        g.v(1, a, z).to_bits(),
                        "{generator} V[{a}, {z}]"
                    );
                }
            }
        }
    }

    #[test]
    fn generator_v2_layout_and_stability() {
        four_word_layout_and_stability(
            Generator::PhiloxV2,
            |stream, index| counter::block(7, stream, index),
            PINNED_V2,
        );
    }

    #[test]
    fn generator_v3_layout_and_stability() {
        four_word_layout_and_stability(
            Generator::ArsV3,
            |stream, index| {
                counter::ars4x32_7(
                    counter::counter_words(stream, index, 0),
                    counter::ars_key(7),
                )
            },
            PINNED_V3,
        );
    }

    // Version 2's values `U_1[0, 0]`, `U_1[29, 1]`, `V_2[0, 14]`, cross-checked with an
    // independent Python implementation of Philox4x32-10, the word `⌊z/4⌋·fan + port`, lane
    // `z mod 4`, widen32 and `±α(β/α)^u`.
    const PINNED_V2: [f64; 3] = [
        -3.0473265071160434,
        0.015699675339256924,
        0.04651250254644572,
    ];

    // Version 3's, from the numpy implementation of ARS-4x32-7 (`python/logprune_generator.py`,
    // checked against Random123's known answers) with the same layout.
    const PINNED_V3: [f64; 3] = [2.9339522109443132, -0.04575102118383424, 2.004151466366189];

    #[test]
    fn checked_lookup_and_dense_export() {
        let g = small();
        assert_eq!(g.weight(0, Side::Input, 3, 1).unwrap(), g.u(0, 3, 1));
        assert_eq!(g.weight(1, Side::Output, 3, 0).unwrap(), g.v(1, 0, 3));
        assert!(matches!(
            g.weight(0, Side::Input, 30, 0),
            Err(ConstructionError::NotAnEdge {
                side: Side::Input,
                ..
            })
        ));
        assert!(matches!(
            g.weight(0, Side::Input, 0, 2),
            Err(ConstructionError::NotAnEdge { .. })
        ));
        assert!(matches!(
            g.weight(1, Side::Output, 0, 1),
            Err(ConstructionError::NotAnEdge {
                side: Side::Output,
                ..
            })
        ));
        assert!(matches!(
            g.weight(2, Side::Output, 0, 0),
            Err(ConstructionError::NotAnEdge { .. })
        ));
        let (u, v) = g.dense_layer(1).unwrap();
        assert_eq!((u.nrows(), u.ncols(), v.nrows(), v.ncols()), (15, 3, 1, 15));
        assert_eq!(u[(4, 2)], g.u(1, 4, 2));
        assert_eq!(v[(0, 9)], g.v(1, 0, 9));
        for z in 0..15 {
            for b in 0..3 {
                let w = u[(z, b)].abs();
                assert!((0.01..=4.0).contains(&w));
            }
        }
        assert_eq!(
            g.dense_layer(2).unwrap_err(),
            ConstructionError::NoSuchLayer {
                layer: 3,
                layers: 2
            }
        );
    }

    #[test]
    fn errors() {
        let laws = vec![[law(); 2]; 2];
        assert_eq!(
            LargeNetwork::new(&arch(), vec![1], laws.clone(), Generator::PhiloxV1, 0),
            Err(ConstructionError::WidthCount {
                what: "intermediate widths",
                expected: 2,
                found: 1
            })
        );
        assert!(matches!(
            LargeNetwork::new(
                &arch(),
                vec![u64::MAX / 2, 1],
                laws.clone(),
                Generator::PhiloxV1,
                0
            ),
            Err(ConstructionError::TooLarge { .. })
        ));
        let big =
            LargeNetwork::new(&arch(), vec![60_000_000, 1], laws, Generator::PhiloxV1, 0).unwrap();
        assert!(matches!(
            big.dense_layer(0),
            Err(ConstructionError::TooLarge { .. })
        ));
        assert_eq!("philox-v1".parse::<Generator>(), Ok(Generator::PhiloxV1));
        assert!("mt19937".parse::<Generator>().is_err());
    }
}
