//! The digits data set and a small deterministic trainer: the real-data targets of the
//! experiments (ARCHITECTURE.md, `crates/experiments`): the 64-32-10 network of the end-to-end
//! table and an MNIST-sized 784-500-10 network on the digits upsampled to 28×28.
//!
//! - [`load_digits`] reads `data/datasets/digits.csv.gz` (UCI Optical Recognition of
//!   Handwritten Digits as shipped with scikit-learn 1.9.1, CC BY 4.0, Alpaydin & Kaynak 1998;
//!   attribution in `data/datasets/README.md`): 1797 rows of 64 pixels `0..=16` and a label
//!   `0..=9`. Pixels are scaled to `[0, 1]` (divided by 16).
//! - [`Digits::split`]: a shuffled train/test split from a fixed seed (portable
//!   `rand_pcg::Pcg64Mcg`, Fisher–Yates with a multiply-shift index).
//! - [`train`]: a bias-free `n_0-h-10` ReLU MLP (identity output: logits) trained by
//!   mini-batch Adam on softmax cross-entropy, fixed epochs, fixed shuffles, every sum in a
//!   fixed order: the weights are a pure function of the data and the [`TrainConfig`],
//!   bit-identical on any number of threads (ARCHITECTURE.md, "determinism"). The end-to-end
//!   network ([`TrainConfig::full`], 64-32-10) is pinned bit for bit by a test.
//! - [`upsample_28`], [`load_digits28`], [`mnist_sized_network`]: each digit upsampled
//!   bilinearly to 28×28 (784 values in `[0, 1]`) and a 784-500-10 network trained on them
//!   ([`TrainConfig::mnist_sized`]), the shape of Pensia et al.'s MNIST network, regenerated
//!   from its seed (its 397,000 weights are not shipped).
//!
//! # Why no biases
//! The paper's targets are bias-free (Section 2). Biases could be carried by a constant unit
//! (`Network::with_bias_unit`), but the unit's weight 1 would then set `w_max ≥ 1`, add a
//! neuron to every hidden layer and target weights for every bias; the pixels are
//! nonnegative and a bias-free 64-32-10 network already classifies digits well (see the
//! tests), so the trained target stays in the paper's setting.
//!
//! # Example
//! ```
//! use logprune_experiments::digits::{accuracy, load_digits, train, TrainConfig};
//! let data = load_digits()?;
//! assert_eq!(data.len(), 1797);
//! let split = data.split(0.2, 7);
//! let cfg = TrainConfig { epochs: 3, ..TrainConfig::full() };
//! let f = train(&split.train_x, &split.train_y, &cfg)?;
//! assert!(accuracy(&f, &split.test_x, &split.test_y)? > 0.5);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};

use faer::Mat;
use logprune_network::{Activation, Network, NetworkError};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use rayon::prelude::*;

/// Number of pixels of a digit (8×8).
pub const PIXELS: usize = 64;
/// Number of classes.
pub const CLASSES: usize = 10;
/// Number of rows of the shipped file.
pub const ROWS: usize = 1797;
/// The largest pixel value of the file (pixels are divided by it).
pub const PIXEL_MAX: f64 = 16.0;

/// Why the digits could not be loaded or a network not trained.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DigitsError {
    /// The file could not be read.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// The bytes are not a gzip stream of UTF-8 text.
    #[error("{what}: not a gzip-compressed UTF-8 CSV file ({message})")]
    Decode {
        /// What was decoded.
        what: String,
        /// The decoder's message.
        message: String,
    },
    /// A line does not have 65 integer fields with pixels in `0..=16` and a label in `0..=9`.
    #[error("line {line}: {reason}: expected 64 pixels in 0..=16 and a label in 0..=9")]
    Row {
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The file has no rows.
    #[error("the digits file has no rows: expected at least one")]
    Empty,
    /// A training configuration value is out of range.
    #[error("training configuration: {name} = {value}: expected {expected}")]
    Config {
        /// Which field.
        name: &'static str,
        /// Its value, as text.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// Inputs and labels do not match (lengths, widths, label range).
    #[error("training data: {reason}")]
    Data {
        /// What is wrong.
        reason: String,
    },
    /// The trained weights were refused by the network crate (e.g. a NaN after divergence).
    #[error(transparent)]
    Network(#[from] NetworkError),
}

/// The digits: pixels scaled to `[0, 1]`, labels `0..=9`, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Digits {
    /// One row of [`PIXELS`] values in `[0, 1]` per digit.
    pub pixels: Vec<Vec<f64>>,
    /// The label of each row.
    pub labels: Vec<usize>,
}

/// A train/test split (see [`Digits::split`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Training inputs.
    pub train_x: Vec<Vec<f64>>,
    /// Training labels.
    pub train_y: Vec<usize>,
    /// Test inputs.
    pub test_x: Vec<Vec<f64>>,
    /// Test labels.
    pub test_y: Vec<usize>,
}

impl Digits {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// A random split: the rows are shuffled by Fisher–Yates driven by
    /// `Pcg64Mcg::seed_from_u64(seed)` (index `⌊u·(i+1)/2^64⌋` of a 64-bit word `u`, portable),
    /// the first `round(test_fraction · len)` shuffled rows are the test set, the rest the
    /// training set, each in shuffled order. `test_fraction` is clamped to `[0, 1]` (NaN gives
    /// an empty test set).
    pub fn split(&self, test_fraction: f64, seed: u64) -> Split {
        let n = self.len();
        let order = shuffled(n, seed);
        let frac = if test_fraction.is_nan() {
            0.0
        } else {
            test_fraction.clamp(0.0, 1.0)
        };
        let n_test = ((frac * n as f64).round() as usize).min(n);
        let pick = |idx: &[usize]| -> (Vec<Vec<f64>>, Vec<usize>) {
            (
                idx.iter().map(|&i| self.pixels[i].clone()).collect(),
                idx.iter().map(|&i| self.labels[i]).collect(),
            )
        };
        let (test_x, test_y) = pick(&order[..n_test]);
        let (train_x, train_y) = pick(&order[n_test..]);
        Split {
            train_x,
            train_y,
            test_x,
            test_y,
        }
    }
}

/// A permutation of `0..n` from `seed` (Fisher–Yates, portable multiply-shift indices).
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = ((u128::from(rng.next_u64()) * (i as u128 + 1)) >> 64) as usize;
        order.swap(i, j);
    }
    order
}

/// The path of the shipped file: `data/datasets/digits.csv.gz` at the repository root (found
/// from this crate's `CARGO_MANIFEST_DIR`).
pub fn digits_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/datasets/digits.csv.gz")
}

/// Loads the shipped digits ([`digits_path`]). Returns 1797 rows.
///
/// # Errors
/// [`DigitsError::Io`] if the file cannot be read, else as [`parse_digits_gz`].
pub fn load_digits() -> Result<Digits, DigitsError> {
    let path = digits_path();
    let bytes = std::fs::read(&path).map_err(|e| DigitsError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    parse_digits_gz(&bytes)
}

/// Parses gzip-compressed digits CSV (see [`parse_digits_csv`]).
///
/// # Errors
/// [`DigitsError::Decode`] if the bytes are not gzip of UTF-8 text, else as
/// [`parse_digits_csv`].
pub fn parse_digits_gz(bytes: &[u8]) -> Result<Digits, DigitsError> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .map_err(|e| DigitsError::Decode {
            what: "digits.csv.gz".to_owned(),
            message: e.to_string(),
        })?;
    parse_digits_csv(&text)
}

/// Parses digits CSV: no header, one digit per non-empty line, 65 comma-separated integers:
/// 64 pixels in `0..=16`, then the label in `0..=9`. Returns the pixels divided by
/// [`PIXEL_MAX`] (so in `[0, 1]`) and the labels, in file order.
///
/// # Errors
/// [`DigitsError::Row`] naming the first bad line (wrong field count, a field that is not an
/// integer, a pixel or label out of range); [`DigitsError::Empty`] for no rows.
///
/// # Example
/// ```
/// use logprune_experiments::digits::{parse_digits_csv, DigitsError};
/// let line = format!("{}16,3\n", "0,".repeat(63));
/// let d = parse_digits_csv(&line)?;
/// assert_eq!((d.labels[0], d.pixels[0][63]), (3, 1.0));
/// assert!(matches!(parse_digits_csv("1,2,3\n"), Err(DigitsError::Row { line: 1, .. })));
/// # Ok::<(), DigitsError>(())
/// ```
pub fn parse_digits_csv(text: &str) -> Result<Digits, DigitsError> {
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for (k, raw) in text.lines().enumerate() {
        let line = k + 1;
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let bad = |reason: String| DigitsError::Row { line, reason };
        let fields: Vec<&str> = raw.split(',').collect();
        if fields.len() != PIXELS + 1 {
            return Err(bad(format!("{} fields", fields.len())));
        }
        let mut values = Vec::with_capacity(PIXELS + 1);
        for (j, f) in fields.iter().enumerate() {
            let v: u32 = f
                .trim()
                .parse()
                .map_err(|_| bad(format!("field {} is `{}`, not an integer", j + 1, f.trim())))?;
            values.push(v);
        }
        let label = values[PIXELS];
        if label as usize >= CLASSES {
            return Err(bad(format!("label {label}")));
        }
        if let Some(j) = values[..PIXELS]
            .iter()
            .position(|&v| f64::from(v) > PIXEL_MAX)
        {
            return Err(bad(format!("pixel {} is {}", j + 1, values[j])));
        }
        pixels.push(
            values[..PIXELS]
                .iter()
                .map(|&v| f64::from(v) / PIXEL_MAX)
                .collect(),
        );
        labels.push(label as usize);
    }
    if labels.is_empty() {
        return Err(DigitsError::Empty);
    }
    Ok(Digits { pixels, labels })
}

/// The trainer's settings (checked by [`train`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    /// Width of the hidden ReLU layer.
    pub hidden: usize,
    /// Passes over the training set.
    pub epochs: usize,
    /// Mini-batch size (the last batch of an epoch may be smaller).
    pub batch: usize,
    /// Adam's step size.
    pub learning_rate: f64,
    /// L2 penalty `λ/2 ‖W‖²` added to the loss (keeps `w_max` and the norms small).
    pub weight_decay: f64,
    /// Seed of the initialization and of the per-epoch shuffles.
    pub seed: u64,
}

impl TrainConfig {
    /// The configuration of the end-to-end table: 64-32-10, 40 epochs of batches of 32,
    /// Adam with step 3e-3 and `λ = 1e-4`, seed 2020.
    pub fn full() -> Self {
        TrainConfig {
            hidden: 32,
            epochs: 40,
            batch: 32,
            learning_rate: 3e-3,
            weight_decay: 1e-4,
            seed: 2020,
        }
    }

    fn check(&self) -> Result<(), DigitsError> {
        let cfg = |name, value: String, expected| DigitsError::Config {
            name,
            value,
            expected,
        };
        if self.hidden == 0 {
            return Err(cfg("hidden", "0".into(), "at least 1"));
        }
        if self.batch == 0 {
            return Err(cfg("batch", "0".into(), "at least 1"));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(cfg(
                "learning_rate",
                self.learning_rate.to_string(),
                "a finite number > 0",
            ));
        }
        if !(self.weight_decay >= 0.0 && self.weight_decay.is_finite()) {
            return Err(cfg(
                "weight_decay",
                self.weight_decay.to_string(),
                "a finite number ≥ 0",
            ));
        }
        Ok(())
    }
}

/// Adam's state for one row-major weight matrix.
struct Param {
    w: Vec<f64>,
    m: Vec<f64>,
    v: Vec<f64>,
}

impl Param {
    /// He-uniform initialization `U(-√(6/fan_in), √(6/fan_in))`, row-major.
    fn init(rows: usize, cols: usize, rng: &mut Pcg64Mcg) -> Self {
        let a = (6.0 / cols as f64).sqrt();
        let w = (0..rows * cols)
            .map(|_| {
                // 53 random bits → [0, 1): portable.
                let u = (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
                a * (2.0 * u - 1.0)
            })
            .collect();
        Param {
            w,
            m: vec![0.0; rows * cols],
            v: vec![0.0; rows * cols],
        }
    }

    /// Adds the decay gradient `λ w` to `g`, then one Adam step (β₁ = 0.9, β₂ = 0.999,
    /// ε = 1e-8) at step `t ≥ 1`. Elementwise, so split across rayon threads in chunks of
    /// `chunk` weights without changing any bit.
    fn decay_and_step(&mut self, g: &mut [f64], decay: f64, lr: f64, t: i32, chunk: usize) {
        const B1: f64 = 0.9;
        const B2: f64 = 0.999;
        const EPS: f64 = 1e-8;
        let c1 = 1.0 - B1.powi(t);
        let c2 = 1.0 - B2.powi(t);
        let chunk = chunk.max(1);
        self.w
            .par_chunks_mut(chunk)
            .zip(self.m.par_chunks_mut(chunk))
            .zip(self.v.par_chunks_mut(chunk))
            .zip(g.par_chunks_mut(chunk))
            .for_each(|(((w, m), v), g)| {
                for (((w, m), v), g) in w.iter_mut().zip(m).zip(v).zip(g) {
                    *g += decay * *w;
                    *m = B1 * *m + (1.0 - B1) * *g;
                    *v = B2 * *v + (1.0 - B2) * *g * *g;
                    *w -= lr * (*m / c1) / ((*v / c2).sqrt() + EPS);
                }
            });
    }
}

/// Trains a bias-free `n_0-h-10` ReLU MLP with identity output (logits) by mini-batch Adam
/// on the mean softmax cross-entropy plus `λ/2 ‖W‖²`: He-uniform initialization from
/// `Pcg64Mcg::seed_from_u64(cfg.seed)`, then each epoch a fresh permutation from the same
/// generator, batches of `cfg.batch` in that order. Every floating-point sum runs in a fixed
/// index order (the gradient of each weight adds the batch's samples in batch order), so the
/// result is a pure function of the inputs; the work of a batch is split across rayon threads
/// by sample (forward pass) and by hidden neuron (gradient of `W_1`, Adam), never inside one
/// sum, so it is bit-identical on any number of threads (ARCHITECTURE.md, "determinism").
///
/// Returns the trained [`Network`] (`W_1`: `h × n_0`, `W_2`: `10 × h`; ReLU, identity).
///
/// # Errors
/// [`DigitsError::Config`] for a zero width or batch, a non-positive step or a negative decay;
/// [`DigitsError::Data`] if `xs` is empty, its rows differ in length, `ys` has another length,
/// or a label is not in `0..=9`; [`DigitsError::Network`] if training diverged to a non-finite
/// weight.
pub fn train(xs: &[Vec<f64>], ys: &[usize], cfg: &TrainConfig) -> Result<Network, DigitsError> {
    cfg.check()?;
    let data = |reason: String| DigitsError::Data { reason };
    let Some(first) = xs.first() else {
        return Err(data("no training rows".into()));
    };
    let n0 = first.len();
    if n0 == 0 || xs.iter().any(|x| x.len() != n0) {
        return Err(data(format!(
            "rows must all have the first row's length {n0} ≥ 1"
        )));
    }
    if ys.len() != xs.len() {
        return Err(data(format!("{} labels for {} rows", ys.len(), xs.len())));
    }
    if let Some(&y) = ys.iter().find(|&&y| y >= CLASSES) {
        return Err(data(format!("label {y}: expected 0..=9")));
    }
    let h = cfg.hidden;
    let mut rng = Pcg64Mcg::seed_from_u64(cfg.seed);
    let mut w1 = Param::init(h, n0, &mut rng);
    let mut w2 = Param::init(CLASSES, h, &mut rng);
    let mut g1 = vec![0.0; h * n0];
    let mut g2 = vec![0.0; CLASSES * h];
    // Per sample of a batch: hidden activations, dL/dlogits (scaled), dL/dhidden.
    let mut hid = vec![0.0; cfg.batch * h];
    let mut dlogit = vec![0.0; cfg.batch * CLASSES];
    let mut dh = vec![0.0; cfg.batch * h];
    let mut step = 0i32;
    let n = xs.len();
    for _ in 0..cfg.epochs {
        let mut order: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = ((u128::from(rng.next_u64()) * (i as u128 + 1)) >> 64) as usize;
            order.swap(i, j);
        }
        for batch in order.chunks(cfg.batch) {
            let len = batch.len();
            let scale = 1.0 / len as f64;
            // Each sample on its own: forward pass, softmax, backward to the hidden layer.
            hid[..len * h]
                .par_chunks_mut(h)
                .zip(dlogit[..len * CLASSES].par_chunks_mut(CLASSES))
                .zip(dh[..len * h].par_chunks_mut(h))
                .zip(batch.par_iter())
                .for_each(|(((hid, p), dh), &r)| {
                    sample_backward(&w1.w, &w2.w, n0, &xs[r], ys[r], scale, hid, p, dh);
                });
            // dL/dW_2: each weight adds the samples in batch order.
            g2.iter_mut().for_each(|g| *g = 0.0);
            for k in 0..len {
                let (hid, p) = (
                    &hid[k * h..(k + 1) * h],
                    &dlogit[k * CLASSES..(k + 1) * CLASSES],
                );
                for (c, &dc) in p.iter().enumerate() {
                    for (g, &hj) in g2[c * h..(c + 1) * h].iter_mut().zip(hid) {
                        *g += dc * hj;
                    }
                }
            }
            // dL/dW_1, one hidden neuron per task: its row adds the samples in batch order.
            g1.par_chunks_mut(n0).enumerate().for_each(|(j, row)| {
                row.iter_mut().for_each(|g| *g = 0.0);
                for (k, &r) in batch.iter().enumerate() {
                    if hid[k * h + j] > 0.0 {
                        let d = dh[k * h + j];
                        for (g, &xb) in row.iter_mut().zip(&xs[r]) {
                            *g += d * xb;
                        }
                    }
                }
            });
            step = step.saturating_add(1);
            w1.decay_and_step(&mut g1, cfg.weight_decay, cfg.learning_rate, step, n0);
            w2.decay_and_step(&mut g2, cfg.weight_decay, cfg.learning_rate, step, h);
        }
    }
    let m1 = Mat::from_fn(h, n0, |r, c| w1.w[r * n0 + c]);
    let m2 = Mat::from_fn(CLASSES, h, |r, c| w2.w[r * h + c]);
    Ok(Network::from_weights(
        vec![m1, m2],
        &[Activation::Relu, Activation::Identity],
    )?)
}

/// `Σ_b w[b] x[b]` summed in index order from `-0.0`, exactly as `Iterator::sum` does, for
/// four rows at once (four independent chains, so the additions overlap in the pipeline; each
/// row's result is bit-identical to summing it alone).
fn dot4(w: [&[f64]; 4], x: &[f64]) -> [f64; 4] {
    let mut acc = [-0.0f64; 4];
    for (b, &xb) in x.iter().enumerate() {
        for k in 0..4 {
            acc[k] += w[k][b] * xb;
        }
    }
    acc
}

/// One sample's forward and backward pass down to the hidden layer: `hid = ReLU(W_1 x)`,
/// `p = scale · (softmax(W_2 hid) − onehot(y))` and `dh = W_2ᵀ p`, each sum in index order.
#[allow(clippy::too_many_arguments)]
fn sample_backward(
    w1: &[f64],
    w2: &[f64],
    n0: usize,
    x: &[f64],
    y: usize,
    scale: f64,
    hid: &mut [f64],
    p: &mut [f64],
    dh: &mut [f64],
) {
    let h = hid.len();
    let row = |j: usize| &w1[j * n0..(j + 1) * n0];
    let mut j = 0;
    while j + 4 <= h {
        let acc = dot4([row(j), row(j + 1), row(j + 2), row(j + 3)], x);
        for k in 0..4 {
            hid[j + k] = acc[k].max(0.0);
        }
        j += 4;
    }
    for (j, hj) in hid.iter_mut().enumerate().skip(j) {
        *hj = row(j)
            .iter()
            .zip(x)
            .map(|(w, x)| w * x)
            .sum::<f64>()
            .max(0.0);
    }
    for (c, pc) in p.iter_mut().enumerate() {
        let row = &w2[c * h..(c + 1) * h];
        *pc = row.iter().zip(&*hid).map(|(w, x)| w * x).sum();
    }
    // Softmax, shifted by the largest logit; dL/dlogit = p − onehot.
    let top = p.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut z = 0.0;
    for pc in p.iter_mut() {
        *pc = (*pc - top).exp();
        z += *pc;
    }
    for pc in p.iter_mut() {
        *pc /= z;
    }
    p[y] -= 1.0;
    dh.iter_mut().for_each(|d| *d = 0.0);
    for (c, pc) in p.iter_mut().enumerate() {
        *pc *= scale;
        for (d, &w) in dh.iter_mut().zip(&w2[c * h..(c + 1) * h]) {
            *d += *pc * w;
        }
    }
}

/// Side of an upsampled digit: 28, as MNIST's.
pub const SIDE_28: usize = 28;
/// Pixels of an upsampled digit, `28 × 28 = 784`.
pub const PIXELS_28: usize = SIDE_28 * SIDE_28;
/// Side of a shipped digit.
const SIDE_8: usize = 8;

/// The test fraction and seed of the split of [`mnist_sized_network`]: the split of the
/// end-to-end table's 64-32-10 network, so both are tested on the same 359 digits.
pub const SPLIT_28: (f64, u64) = (0.2, 5);

/// The source position of output coordinate `r ∈ 0..28` on the 8-pixel axis, as `(i0, i1, t)`:
/// `r · 7/27 = i0 + t` with `t ∈ [0, 1)` computed from integers (`i0 = ⌊7r/27⌋`,
/// `t = (7r mod 27)/27`), `i1 = min(i0 + 1, 7)`.
fn source_position(r: usize) -> (usize, usize, f64) {
    let num = r * (SIDE_8 - 1);
    let den = SIDE_28 - 1;
    let i0 = num / den;
    let t = (num % den) as f64 / den as f64;
    (i0, (i0 + 1).min(SIDE_8 - 1), t)
}

/// Bilinear upsampling of one 8×8 digit (row-major, 64 values in `[0, 1]`) to 28×28 (row-major,
/// 784 values), corners aligned: output pixel `(r, c)` samples the source at
/// `(r · 7/27, c · 7/27)`, so the four corner pixels are copied and every other value is the
/// bilinear blend `(1−s)((1−t)a + t b) + s((1−t)c + t d)` of its four source neighbours.
/// Deterministic (positions from integer arithmetic, a fixed evaluation order) and clamped to
/// `[0, 1]`, which a convex blend of values in `[0, 1]` can only leave by rounding.
///
/// # Errors
/// [`DigitsError::Data`] unless `pixels` has 64 values.
///
/// # Example
/// ```
/// use logprune_experiments::digits::{upsample_28, PIXELS_28};
/// let mut d = vec![0.0; 64];
/// d[0] = 1.0; // top-left pixel
/// let u = upsample_28(&d)?;
/// assert_eq!(u.len(), PIXELS_28);
/// assert_eq!(u[0], 1.0); // the corner is copied
/// assert!(u[1] > 0.0 && u[1] < 1.0); // blended toward its neighbour
/// assert_eq!(u[783], 0.0);
/// # Ok::<(), logprune_experiments::digits::DigitsError>(())
/// ```
pub fn upsample_28(pixels: &[f64]) -> Result<Vec<f64>, DigitsError> {
    if pixels.len() != PIXELS {
        return Err(DigitsError::Data {
            reason: format!("{} pixels: expected an 8×8 digit of 64", pixels.len()),
        });
    }
    let at = |r: usize, c: usize| pixels[r * SIDE_8 + c];
    let mut out = Vec::with_capacity(PIXELS_28);
    for r in 0..SIDE_28 {
        let (r0, r1, s) = source_position(r);
        for c in 0..SIDE_28 {
            let (c0, c1, t) = source_position(c);
            let top = (1.0 - t) * at(r0, c0) + t * at(r0, c1);
            let bottom = (1.0 - t) * at(r1, c0) + t * at(r1, c1);
            out.push(((1.0 - s) * top + s * bottom).clamp(0.0, 1.0));
        }
    }
    Ok(out)
}

/// The digits upsampled to 28×28 ([`upsample_28`]): the inputs of the MNIST-sized target.
#[derive(Debug, Clone, PartialEq)]
pub struct Digits28 {
    /// All 1797 digits, upsampled, in file order: 784 values in `[0, 1]` each. The finite
    /// domain on which the target is to be approximated.
    pub rows: Vec<Vec<f64>>,
    /// The label of each row.
    pub labels: Vec<usize>,
    /// The train/test split the network is trained and tested on ([`SPLIT_28`]).
    pub split: Split,
}

/// Loads the shipped digits and upsamples every one to 28×28, with the split [`SPLIT_28`].
///
/// # Errors
/// As [`load_digits`].
pub fn load_digits28() -> Result<Digits28, DigitsError> {
    let d = load_digits()?;
    let rows = d
        .pixels
        .iter()
        .map(|p| upsample_28(p))
        .collect::<Result<Vec<_>, _>>()?;
    let up = Digits {
        pixels: rows,
        labels: d.labels,
    };
    let split = up.split(SPLIT_28.0, SPLIT_28.1);
    Ok(Digits28 {
        rows: up.pixels,
        labels: up.labels,
        split,
    })
}

impl TrainConfig {
    /// The MNIST-sized target's configuration: 784-500-10 (the shape of Pensia et al.'s
    /// two-layer MNIST network), 40 epochs of batches of 32, Adam with step 1e-3 and
    /// `λ = 1e-4`, initialization and shuffles from `seed`. With seed 2020 it fits the 1438
    /// training digits exactly and classifies 98.1% of the 359 test digits (30 epochs: 97.8%;
    /// a step of 3e-3 gives the same test accuracy with a larger `w_max`), in 12–14 s in
    /// release on 2 shared cores.
    pub fn mnist_sized(seed: u64) -> Self {
        TrainConfig {
            hidden: 500,
            epochs: 40,
            batch: 32,
            learning_rate: 1e-3,
            weight_decay: 1e-4,
            seed,
        }
    }
}

/// A bias-free 784-500-10 ReLU network (identity output) trained on the upsampled digits:
/// [`train`] with [`TrainConfig::mnist_sized`]`(seed)` on the training rows of
/// [`load_digits28`]. Returns the network and the data (all 784-dimensional rows, the finite
/// domain of a pruning run, and the split). A pure function of `seed`, bit-identical on any
/// number of threads; nothing is stored, the weights are recomputed (a few seconds in release).
///
/// # Errors
/// As [`load_digits`] and [`train`].
pub fn mnist_sized_network(seed: u64) -> Result<(Network, Digits28), DigitsError> {
    let data = load_digits28()?;
    let f = train(
        &data.split.train_x,
        &data.split.train_y,
        &TrainConfig::mnist_sized(seed),
    )?;
    Ok((f, data))
}

/// The predicted class of each output row: the index of the largest logit (the first one on
/// ties; NaN logits never win). Returns one class per row (0 for an empty row).
pub fn predict(outputs: &[Vec<f64>]) -> Vec<usize> {
    outputs
        .iter()
        .map(|o| {
            let mut best = 0;
            for (c, &v) in o.iter().enumerate() {
                if v > o[best] {
                    best = c;
                }
            }
            best
        })
        .collect()
}

/// The share of `xs` that `f` classifies as `ys` says, in `[0, 1]` (0 for no rows).
///
/// # Errors
/// [`DigitsError::Network`] if a row has the wrong width.
pub fn accuracy(f: &Network, xs: &[Vec<f64>], ys: &[usize]) -> Result<f64, DigitsError> {
    let pred = predict(&f.forward_rows(xs)?);
    Ok(share_equal(&pred, ys))
}

/// The share of positions where `a` and `b` agree, over the shorter length, in `[0, 1]`
/// (0 when either is empty).
pub fn share_equal(a: &[usize], b: &[usize]) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return 0.0;
    }
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / n as f64
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn loads_the_shipped_file() {
        let d = load_digits().unwrap();
        assert_eq!(d.len(), ROWS);
        assert!(d.pixels.iter().all(|r| r.len() == PIXELS));
        assert!(d.pixels.iter().flatten().all(|&v| (0.0..=1.0).contains(&v)));
        // The first row of the file: 0,0,5,13,9,1,... label 0.
        assert_eq!(d.labels[0], 0);
        assert_eq!(d.pixels[0][2], 5.0 / 16.0);
        // Every class occurs (about 180 rows each).
        for c in 0..CLASSES {
            let k = d.labels.iter().filter(|&&y| y == c).count();
            assert!((170..=190).contains(&k), "class {c}: {k} rows");
        }
    }

    #[test]
    fn refuses_malformed_files() {
        let ok = format!("{}16,3", "0,".repeat(63));
        assert!(parse_digits_csv(&ok).is_ok());
        let short = "0,".repeat(63) + "3";
        let bad_pixel = format!("{}17,3", "0,".repeat(63));
        let bad_label = format!("{}16,10", "0,".repeat(63));
        let not_int = format!("{}x,3", "0,".repeat(63));
        for (text, line, needle) in [
            (format!("{ok}\n{short}"), 2, "64 fields"),
            (bad_pixel, 1, "pixel 64 is 17"),
            (bad_label, 1, "label 10"),
            (format!("{ok}\n\n{not_int}"), 3, "`x`"),
        ] {
            let e = parse_digits_csv(&text).unwrap_err();
            assert!(
                matches!(e, DigitsError::Row { line: l, .. } if l == line),
                "{e}"
            );
            assert!(e.to_string().contains(needle), "{e}");
        }
        assert_eq!(parse_digits_csv("\n"), Err(DigitsError::Empty));
        let e = parse_digits_gz(b"not gzip").unwrap_err();
        assert!(matches!(e, DigitsError::Decode { .. }), "{e}");
    }

    #[test]
    fn split_is_a_seeded_partition() {
        let d = load_digits().unwrap();
        let s = d.split(0.2, 1);
        assert_eq!((s.test_y.len(), s.train_y.len()), (359, 1438));
        assert_eq!(s, d.split(0.2, 1));
        assert_ne!(s.test_y, d.split(0.2, 2).test_y);
        // A permutation: each row used once.
        let mut order = shuffled(ROWS, 1);
        order.sort_unstable();
        assert!(order.iter().enumerate().all(|(i, &j)| i == j));
    }

    #[test]
    fn trainer_is_deterministic_and_learns() {
        let d = load_digits().unwrap();
        let s = d.split(0.2, 3);
        let cfg = TrainConfig {
            epochs: 4,
            ..TrainConfig::full()
        };
        let f = crate::with_threads(1, || train(&s.train_x, &s.train_y, &cfg)).unwrap();
        let g = crate::with_threads(2, || train(&s.train_x, &s.train_y, &cfg)).unwrap();
        assert_eq!(f, g);
        let acc = accuracy(&f, &s.test_x, &s.test_y).unwrap();
        assert!(acc > 0.8, "accuracy {acc}");
        // Chance is 0.1: an untrained network does not pass the same bar.
        let untrained = train(&s.train_x, &s.train_y, &TrainConfig { epochs: 0, ..cfg }).unwrap();
        assert!(accuracy(&untrained, &s.test_x, &s.test_y).unwrap() < 0.5);
    }

    /// FNV-1a (64-bit) over the bits of every weight, layer by layer, row-major: a
    /// fingerprint that changes if any weight changes in any bit.
    pub(crate) fn fingerprint(f: &Network) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for layer in f.layers() {
            let w = layer.weight();
            for r in 0..w.nrows() {
                for c in 0..w.ncols() {
                    for byte in w[(r, c)].to_bits().to_le_bytes() {
                        h ^= u64::from(byte);
                        h = h.wrapping_mul(0x0000_0100_0000_01b3);
                    }
                }
            }
        }
        h
    }

    /// The 64-32-10 network of the end-to-end table ([`TrainConfig::full`] on the 80/20 split
    /// of seed 5) feeds committed tables: its weights are pinned bit for bit.
    #[test]
    fn the_end_to_end_network_is_pinned() {
        let d = load_digits().unwrap();
        let s = d.split(0.2, 5);
        let f = train(&s.train_x, &s.train_y, &TrainConfig::full()).unwrap();
        let w1 = f.layers()[0].weight();
        let w2 = f.layers()[1].weight();
        assert_eq!(
            (w1.nrows(), w1.ncols(), w2.nrows(), w2.ncols()),
            (32, 64, 10, 32)
        );
        assert_eq!(w1[(31, 63)], 0.16204546046182713);
        assert_eq!(w2[(9, 31)], -0.16686245991507423);
        assert_eq!(fingerprint(&f), 0xfb7f_3fa5_36b5_6bc8);
    }

    #[test]
    fn four_chains_sum_like_iterator_sum() {
        // Signed zeros and cancellations: each chain must give `Iterator::sum`'s bits.
        let x = [0.0, -0.0, 1e-300, -1.0, 3.0, 0.0];
        let rows: [Vec<f64>; 4] = [
            vec![-1.0, 2.0, 0.0, 0.0, 0.0, -5.0],
            vec![0.0; 6],
            vec![0.1, 0.2, 1e300, 0.3, 0.7, 1.0],
            vec![-0.0; 6],
        ];
        let got = dot4([&rows[0], &rows[1], &rows[2], &rows[3]], &x);
        for k in 0..4 {
            let want: f64 = rows[k].iter().zip(&x).map(|(w, x)| w * x).sum();
            assert_eq!(got[k].to_bits(), want.to_bits(), "row {k}");
        }
    }

    #[test]
    fn upsampling_is_bilinear_and_in_range() {
        // A column ramp c/7 stays a ramp: output column c is c·7/27 / 7 = c/27.
        let ramp: Vec<f64> = (0..PIXELS).map(|i| (i % 8) as f64 / 7.0).collect();
        let u = upsample_28(&ramp).unwrap();
        for (i, &v) in u.iter().enumerate() {
            let want = (i % SIDE_28) as f64 / 27.0;
            assert!((v - want).abs() < 1e-15, "pixel {i}: {v} vs {want}");
        }
        // A row ramp likewise.
        let rows: Vec<f64> = (0..PIXELS).map(|i| (i / 8) as f64 / 7.0).collect();
        let u = upsample_28(&rows).unwrap();
        assert!((u[27 * 28 + 3] - 1.0).abs() < 1e-15 && u[5] == 0.0);
        // Corners are copied, and every shipped digit stays in [0, 1].
        let d = load_digits().unwrap();
        for p in d.pixels.iter().take(200) {
            let u = upsample_28(p).unwrap();
            assert_eq!(
                (u[0], u[27], u[27 * 28], u[783]),
                (p[0], p[7], p[56], p[63])
            );
            assert!(u.iter().all(|v| (0.0..=1.0).contains(v)));
            // Inside each source cell the value lies between the cell's extremes.
            assert!(u.iter().copied().fold(0.0, f64::max) <= p.iter().copied().fold(0.0, f64::max));
        }
        assert!(matches!(
            upsample_28(&[0.0; 63]),
            Err(DigitsError::Data { .. })
        ));
    }

    #[test]
    fn digits28_split_matches_the_64_pixel_split() {
        let d28 = load_digits28().unwrap();
        assert_eq!((d28.rows.len(), d28.rows[0].len()), (ROWS, PIXELS_28));
        let s8 = load_digits().unwrap().split(SPLIT_28.0, SPLIT_28.1);
        // The same digits, in the same order: the labels agree, and each 28×28 test row is
        // the upsampling of the 8×8 test row.
        assert_eq!(d28.split.test_y, s8.test_y);
        assert_eq!(d28.split.train_y, s8.train_y);
        assert_eq!(d28.split.test_x[7], upsample_28(&s8.test_x[7]).unwrap());
    }

    #[test]
    fn mnist_sized_training_is_deterministic_and_learns() {
        let d = load_digits28().unwrap();
        let (xs, ys) = (&d.split.train_x[..480], &d.split.train_y[..480]);
        let cfg = TrainConfig {
            epochs: 2,
            ..TrainConfig::mnist_sized(11)
        };
        let f = crate::with_threads(1, || train(xs, ys, &cfg)).unwrap();
        let g = crate::with_threads(2, || train(xs, ys, &cfg)).unwrap();
        assert_eq!(fingerprint(&f), fingerprint(&g));
        assert_eq!(f, g);
        let w = f.layers()[0].weight();
        assert_eq!(
            (w.nrows(), w.ncols(), f.layers()[1].weight().nrows()),
            (500, 784, 10)
        );
        let other = train(xs, ys, &TrainConfig { seed: 12, ..cfg }).unwrap();
        assert_ne!(fingerprint(&f), fingerprint(&other));
        let acc = accuracy(&f, &d.split.test_x, &d.split.test_y).unwrap();
        assert!(acc > 0.7, "accuracy {acc}");
    }

    #[test]
    fn trainer_refuses_bad_input() {
        let cfg = TrainConfig::full();
        assert!(matches!(
            train(&[], &[], &cfg),
            Err(DigitsError::Data { .. })
        ));
        assert!(matches!(
            train(&[vec![0.0; 3]], &[11], &cfg),
            Err(DigitsError::Data { .. })
        ));
        let bad = TrainConfig {
            learning_rate: f64::NAN,
            ..cfg
        };
        assert!(matches!(
            train(&[vec![0.0; 3]], &[1], &bad),
            Err(DigitsError::Config {
                name: "learning_rate",
                ..
            })
        ));
    }

    #[test]
    fn predictions_and_shares() {
        assert_eq!(
            predict(&[vec![0.0, 2.0, 1.0], vec![3.0, 3.0], vec![]]),
            vec![1, 0, 0]
        );
        assert_eq!(share_equal(&[1, 2, 3, 4], &[1, 0, 3, 0]), 0.5);
        assert_eq!(share_equal(&[], &[1]), 0.0);
    }
}
