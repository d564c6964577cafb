//! Shared helpers of the statistical tests: the Kolmogorov–Smirnov statistic (as in
//! rand_distr's `distr_test`) and named tolerances.
#![allow(dead_code)]

/// Number of samples of every KS test.
pub const N_SAMPLES: usize = 1_000_000;

/// Critical value of the one-sample KS statistic, `1.95/√n` (asymptotic level about 0.1%).
pub fn ks_critical(n: usize) -> f64 {
    1.95 / (n as f64).sqrt()
}

/// The KS statistic `sup_x |F_n(x) − F(x)|` of the sample `xs` against `cdf`.
///
/// Ties (equal values, e.g. `−inf`) are handled: both sides of each jump of the empirical cdf
/// are compared with `F`.
pub fn ks_statistic(mut xs: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len() as f64;
    let mut d: f64 = 0.0;
    for (i, &x) in xs.iter().enumerate() {
        let f = cdf(x);
        assert!(
            (0.0..=1.0).contains(&f),
            "cdf({x}) = {f} is not a probability"
        );
        d = d.max(f - i as f64 / n).max((i + 1) as f64 / n - f);
    }
    d
}

/// Asserts that `xs` passes the KS test against `cdf` and returns the statistic.
pub fn assert_ks(name: &str, xs: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
    let n = xs.len();
    let d = ks_statistic(xs, cdf);
    let crit = ks_critical(n);
    eprintln!("KS {name}: D = {d:.3e} (critical value {crit:.3e}, n = {n})");
    assert!(
        d < crit,
        "{name}: KS statistic {d} ≥ critical value {crit} (n = {n})"
    );
    d
}

/// Pearson correlation coefficient of two equally long samples.
pub fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}

/// Bound on `|r|` for independent samples of size `n`: `4/√n` (four standard errors).
pub fn correlation_bound(n: usize) -> f64 {
    4.0 / (n as f64).sqrt()
}

/// Pearson's chi-squared statistic of `counts` against equal expected counts.
pub fn chi_squared_uniform(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    let e = total as f64 / counts.len() as f64;
    counts.iter().map(|&c| (c as f64 - e).powi(2) / e).sum()
}

/// Upper bound for a chi-squared statistic with `dof` degrees of freedom:
/// `dof + 5√(2 dof)` (five standard deviations).
pub fn chi_squared_bound(dof: usize) -> f64 {
    dof as f64 + 5.0 * (2.0 * dof as f64).sqrt()
}

/// Named tolerances (statrs' `prec` style).
pub mod prec {
    /// Relative tolerance of value-stability tests (rand_distr's choice).
    pub const STABLE: f64 = 1e-14;
}
