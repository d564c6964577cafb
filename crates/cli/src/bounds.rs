//! `logprune bounds`: the paper's bounds for a researcher's own setting.
//!
//! ```text
//! logprune bounds --n 100 --layers 10 --eps 0.01 --delta 0.01
//! logprune bounds --widths 784,300,100,10 --eps 0.01 --delta 0.01 --no-norm-assumption
//! ```
//!
//! Prints Lemma 1's `ε_w`, Theorem 3's `k'`, `k`, `[α, β]`, and per layer `M_i` and
//! `M_i/n_max²` for Theorem 3, Theorem 30, their minimum and Malach et al., then `N_G/N*`
//! (Corollary 7), as an aligned table. Layers with the same widths are shown on one line.
//! Numbers beyond `f64` (Malach et al.'s count for tiny `ε`, `ε_w` of deep networks without a
//! norm assumption) are computed in log domain and printed in scientific notation.

use std::fmt::Write as _;

use logprune_bounds::{Count, LogNum, NormModel, Report, Setting};

/// The deepest network the calculator accepts (memory: one row per layer).
const MAX_LAYERS: i64 = 100_000;

/// Arguments of `logprune bounds`.
#[derive(Debug, Clone, clap::Args)]
pub struct BoundsArgs {
    /// Width n of every layer, inputs included (n_0 = ... = n_ℓ = n). [default: 100]
    #[arg(long, allow_hyphen_values = true, conflicts_with = "widths")]
    pub n: Option<i64>,
    /// Number of layers ℓ of the target network. [default: 10]
    #[arg(long, allow_hyphen_values = true, conflicts_with = "widths")]
    pub layers: Option<i64>,
    /// Per-layer widths n_0,n_1,...,n_ℓ (instead of --n and --layers), e.g. 784,300,100,10.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub widths: Option<Vec<i64>>,
    /// Output accuracy ε > 0: sup_x ‖F(x) − Ĝ(x)‖₂ ≤ ε.
    #[arg(long, default_value_t = 0.01, allow_hyphen_values = true)]
    pub eps: f64,
    /// Failure probability δ in (0, 1).
    #[arg(long, default_value_t = 0.01, allow_hyphen_values = true)]
    pub delta: f64,
    /// Target weights lie in [-w_max, w_max].
    #[arg(long = "w-max", default_value_t = 1.0, allow_hyphen_values = true)]
    pub w_max: f64,
    /// Largest activation F_max(X) of the target (Section 2), inputs included.
    #[arg(long = "f-max", default_value_t = 1.0, allow_hyphen_values = true)]
    pub f_max: f64,
    /// Drop the assumption ‖Ŵ_i‖₂ ≤ 1 (Remark 4) and use the worst case
    /// ‖Ŵ_i‖₂ ≤ w_max·√(n_i n_{i-1}) (Lemma 1's product then grows like n^ℓ).
    #[arg(long, conflicts_with = "norms")]
    pub no_norm_assumption: bool,
    /// With --no-norm-assumption: use Example 2's looser ‖Ŵ_i‖₂ ≤ w_max·n_max.
    #[arg(long, requires = "no_norm_assumption")]
    pub max_width_norm: bool,
    /// Given spectral norms ‖Ŵ_1‖₂,...,‖Ŵ_ℓ‖₂ (e.g. measured on a trained target).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub norms: Option<Vec<f64>>,
}

/// Runs the command; returns the text for stdout or an error message naming the bad value.
pub fn run(args: &BoundsArgs) -> Result<String, String> {
    let setting = setting_of(args)?;
    Ok(render(&setting))
}

fn width_of(name: &str, v: i64) -> Result<u64, String> {
    u64::try_from(v)
        .ok()
        .filter(|&w| w >= 1)
        .ok_or_else(|| format!("{name} = {v} is invalid: expected an integer ≥ 1"))
}

fn setting_of(args: &BoundsArgs) -> Result<Setting, String> {
    let widths: Vec<u64> = match &args.widths {
        Some(ws) => {
            if ws.len() < 2 {
                return Err(format!(
                    "--widths has {} value(s): expected at least 2 (n_0,...,n_ℓ with ℓ ≥ 1)",
                    ws.len()
                ));
            }
            if ws.len() as i64 > MAX_LAYERS + 1 {
                return Err(format!(
                    "--widths has {} values: expected at most {} (ℓ ≤ {MAX_LAYERS})",
                    ws.len(),
                    MAX_LAYERS + 1
                ));
            }
            ws.iter()
                .enumerate()
                .map(|(i, &w)| width_of(&format!("width n_{i}"), w))
                .collect::<Result<_, _>>()?
        }
        None => {
            let n = width_of("width --n", args.n.unwrap_or(100))?;
            let layers = args.layers.unwrap_or(10);
            if !(1..=MAX_LAYERS).contains(&layers) {
                return Err(format!(
                    "number of layers --layers = {layers} is invalid: expected an integer in \
                     [1, {MAX_LAYERS}]"
                ));
            }
            let layers = usize::try_from(layers).map_err(|e| e.to_string())?;
            vec![n; layers + 1]
        }
    };
    let norms = match (&args.norms, args.no_norm_assumption, args.max_width_norm) {
        (Some(v), _, _) => NormModel::Given(v.clone()),
        (None, true, true) => NormModel::WorstCaseMaxWidth,
        (None, true, false) => NormModel::WorstCase,
        (None, false, _) => NormModel::SpectralAtMostOne,
    };
    Setting::builder(widths, args.eps, args.delta)
        .w_max(args.w_max)
        .f_max(args.f_max)
        .norms(norms)
        .check()
        .map_err(|e| e.to_string())
}

/// A count: exact integer below 10^15, scientific notation above.
fn fmt_count(c: Count) -> String {
    match c.as_u64() {
        Some(v) if v < 1_000_000_000_000_000 => v.to_string(),
        _ => c.to_sci(4),
    }
}

/// A positive real: fixed point between 10^-3 and 10^7, scientific notation elsewhere.
fn fmt_real(x: LogNum) -> String {
    match x.finite_value() {
        Some(v) if (1e-3..1e7).contains(&v) => {
            let s = format!("{v:.4}");
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
        _ => x.to_sci(4),
    }
}

fn fmt_f64(v: f64) -> String {
    match LogNum::from_value(v) {
        Ok(x) => fmt_real(x),
        Err(_) => format!("{v}"),
    }
}

/// Left-aligned first column, right-aligned others, two spaces apart.
fn aligned(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            let pad = width[c] - cell.chars().count();
            if c == 0 {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str("  ");
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn describe_widths(w: &[u64]) -> String {
    if w.iter().all(|&x| x == w[0]) {
        format!("n_0 = ... = n_{} = {}", w.len() - 1, w[0])
    } else if w.len() <= 12 {
        let s: Vec<String> = w.iter().map(u64::to_string).collect();
        format!("n_0..n_{} = {}", w.len() - 1, s.join(","))
    } else {
        let head: Vec<String> = w[..5].iter().map(u64::to_string).collect();
        let tail: Vec<String> = w[w.len() - 3..].iter().map(u64::to_string).collect();
        format!(
            "n_0..n_{} = {},...,{}",
            w.len() - 1,
            head.join(","),
            tail.join(",")
        )
    }
}

fn render(s: &Setting) -> String {
    let r: &Report = s.report();
    let widths = s.widths().as_slice();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Bounds of \"Logarithmic Pruning is All You Need\" (Orseau, Hutter, Rivasplata 2020)\n"
    );
    let _ = writeln!(out, "Setting (ReLU target, λ_i = 1)");
    let setting_rows = vec![
        vec!["  widths".to_owned(), describe_widths(widths)],
        vec![
            "  layers ℓ, n_max, N*".to_owned(),
            format!(
                "{}, {}, {}",
                s.widths().layers(),
                r.n_max,
                fmt_f64(r.n_star)
            ),
        ],
        vec![
            "  ε, δ".to_owned(),
            format!("{}, {}", s.epsilon(), s.delta()),
        ],
        vec![
            "  w_max, F_max".to_owned(),
            format!("{}, {}", s.w_max(), s.f_max()),
        ],
        vec!["  norms".to_owned(), s.norms().describe()],
    ];
    out.push_str(&left_table(&setting_rows));
    out.push('\n');
    let wr = &r.weight_range;
    let quantity_rows = vec![
        vec![
            "ε_w (Lemma 1)".to_owned(),
            format!(
                "{}   (log10 ε_w = {:.4})",
                r.epsilon_w.to_sci(4),
                r.epsilon_w.log10()
            ),
        ],
        vec![
            "k' (Theorem 3)".to_owned(),
            format!("{:.4} = log_{{3/2}}(3 w_max/ε_w)", r.k_prime),
        ],
        vec![
            "k".to_owned(),
            format!(
                "{} = ⌈log_{{3/2}}(2 w_max/ε_w)⌉ (Theorem 30's definition; Theorem 3 prints \
                 ⌈log_{{3/2}}(w_max/(2ε_w))⌉ = {})",
                r.k, r.k_as_printed
            ),
        ],
        vec![
            "[α, β] (Theorem 3)".to_owned(),
            format!(
                "[{}, {}]: |weights of G| ~ 1/|w| there; products in [α', β'] = [{}, {}]",
                wr.alpha.to_sci(4),
                wr.beta.to_sci(4),
                wr.alpha_prime.to_sci(4),
                wr.beta_prime.to_sci(4)
            ),
        ],
        vec![
            "N_G/N* (Corollary 7)".to_owned(),
            format!(
                "{} (Theorem 3), {} (Theorem 30), {} (min); leading term 32 n_max k' = {}",
                fmt_real(r.ng_over_nstar_theorem3),
                fmt_real(r.ng_over_nstar_theorem30),
                fmt_real(r.ng_over_nstar_min),
                fmt_f64(r.corollary7_leading_term)
            ),
        ],
        vec![
            "Remark 8".to_owned(),
            format!(
                "Ĝ keeps at most 2k = {} neurons per target weight; Theorem 3's G has {}× that",
                2 * r.k,
                fmt_real(r.remark8_neuron_ratio)
            ),
        ],
        vec![
            "Malach et al.".to_owned(),
            if r.malach_assumptions.all_hold() {
                "its checkable assumptions hold (also needs ‖x‖₂ ≤ 1, ‖W_i‖₀ ≤ n_max)".to_owned()
            } else {
                format!(
                    "its bound assumes {} (Section 3); not met here, shown for comparison only",
                    r.malach_assumptions.failures().join(", ")
                )
            },
        ],
    ];
    out.push_str(&left_table(&quantity_rows));
    out.push('\n');
    let _ = writeln!(
        out,
        "Intermediate neurons M_i per layer, and per target weight M_i/n_max²"
    );
    let mut rows = vec![vec![
        "layer".to_owned(),
        "n_in".to_owned(),
        "n_out".to_owned(),
        "Theorem 3".to_owned(),
        "/n_max²".to_owned(),
        "Theorem 30".to_owned(),
        "/n_max²".to_owned(),
        "min".to_owned(),
        "/n_max²".to_owned(),
        "Malach et al.".to_owned(),
        "/n_max²".to_owned(),
    ]];
    // Consecutive layers with the same widths have the same counts: one line for the run.
    let mut i = 0;
    while i < r.layers.len() {
        let l = &r.layers[i];
        let mut j = i;
        while j + 1 < r.layers.len()
            && (r.layers[j + 1].n_in, r.layers[j + 1].n_out) == (l.n_in, l.n_out)
        {
            j += 1;
        }
        let label = if i == j {
            l.layer.to_string()
        } else {
            format!("{}-{}", l.layer, r.layers[j].layer)
        };
        rows.push(vec![
            label,
            l.n_in.to_string(),
            l.n_out.to_string(),
            fmt_count(l.theorem3),
            fmt_real(l.theorem3_per_weight),
            fmt_count(l.theorem30),
            fmt_real(l.theorem30_per_weight),
            fmt_count(l.min),
            fmt_real(l.min_per_weight),
            fmt_count(l.malach),
            fmt_real(l.malach_per_weight),
        ]);
        i = j + 1;
    }
    out.push_str(&aligned(&rows));
    out
}

/// Two left-aligned columns.
fn left_table(rows: &[Vec<String>]) -> String {
    let w = rows.iter().map(|r| r[0].chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for r in rows {
        let pad = w - r[0].chars().count();
        let _ = writeln!(out, "{}{}  {}", r[0], " ".repeat(pad), r[1]);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: BoundsArgs,
    }

    fn parse(args: &[&str]) -> Result<BoundsArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("bounds").chain(args.iter().copied())).map(|c| c.args)
    }

    fn run_ok(args: &[&str]) -> String {
        run(&parse(args).unwrap()).unwrap()
    }

    fn run_err(args: &[&str]) -> String {
        run(&parse(args).unwrap()).unwrap_err()
    }

    #[test]
    fn example5_by_default_and_explicit() {
        let out = run_ok(&[
            "--n", "100", "--layers", "10", "--eps", "0.01", "--delta", "0.01",
        ]);
        assert_eq!(out, run_ok(&[]));
        assert!(out.contains("3.6788e-7"), "{out}");
        assert!(out.contains("39.2491"), "{out}");
        // Theorem 3: 6286927 neurons, 628.6927 per weight; Theorem 30: 1428075, 142.8075.
        assert!(out.contains("6286927") && out.contains("628.6927"), "{out}");
        assert!(out.contains("1428075") && out.contains("142.8075"), "{out}");
        // Malach et al.: 1.0759e15 per weight.
        assert!(out.contains("1.0759e+15"), "{out}");
        // N_G/N* (Corollary 7).
        assert!(out.contains("125738.54"), "{out}");
        // Ten identical layers on one line.
        assert!(out.contains("\n1-10 "), "{out}");
        assert!(out.contains("w_max ≤ 1/√n_max"), "{out}");
    }

    #[test]
    fn example6_and_example2_norms() {
        let out = run_ok(&["--no-norm-assumption"]);
        assert!(
            out.contains("2448.3129") && out.contains("572.6783"),
            "{out}"
        );
        let out2 = run_ok(&["--no-norm-assumption", "--max-width-norm"]);
        assert!(
            out2.contains("2448.3129"),
            "uniform widths: the two worst cases agree\n{out2}"
        );
        assert!(out2.contains("w_max·n_max"));
    }

    #[test]
    fn per_layer_widths_and_given_norms() {
        let out = run_ok(&["--widths", "784,300,100,10", "--no-norm-assumption"]);
        assert!(out.contains("784,300,100,10"), "{out}");
        for l in ["\n1 ", "\n2 ", "\n3 "] {
            assert!(out.contains(l), "{out}");
        }
        let out = run_ok(&["--n", "5", "--layers", "2", "--norms", "0.5,3"]);
        assert!(out.contains("given ‖Ŵ_i‖₂ = 0.5,3"), "{out}");
    }

    #[test]
    fn deep_network_without_norm_assumption_prints_no_inf_or_nan() {
        let out = run_ok(&[
            "--n",
            "1000000",
            "--layers",
            "10000",
            "--eps",
            "1e-300",
            "--delta",
            "1e-300",
            "--no-norm-assumption",
        ]);
        assert!(!out.contains("inf") && !out.contains("NaN"), "{out}");
        assert!(out.contains("e-60"), "ε_w ≈ 10^-60000:\n{out}");
        assert_eq!(out.lines().filter(|l| l.starts_with("1-10000")).count(), 1);
    }

    #[test]
    fn bad_input_names_the_value() {
        let e = run_err(&["--eps", "-1"]);
        assert!(e.contains("ε = -1") && e.contains("> 0"), "{e}");
        let e = run_err(&["--delta", "2"]);
        assert!(e.contains("δ = 2") && e.contains("(0, 1)"), "{e}");
        let e = run_err(&["--eps", "NaN"]);
        assert!(e.contains("ε = NaN"), "{e}");
        let e = run_err(&["--widths", "3,0,2"]);
        assert!(e.contains("n_1 = 0") && e.contains("≥ 1"), "{e}");
        let e = run_err(&["--widths", "-3,4"]);
        assert!(e.contains("n_0 = -3"), "{e}");
        let e = run_err(&["--widths", "7"]);
        assert!(e.contains("at least 2"), "{e}");
        let e = run_err(&["--n", "0"]);
        assert!(e.contains("--n = 0"), "{e}");
        let e = run_err(&["--layers", "0"]);
        assert!(e.contains("--layers = 0"), "{e}");
        let e = run_err(&["--layers", "1000000000"]);
        assert!(e.contains("[1, 100000]"), "{e}");
        let e = run_err(&["--w-max", "0"]);
        assert!(e.contains("w_max = 0"), "{e}");
        let e = run_err(&["--f-max", "inf"]);
        assert!(e.contains("F_max = inf"), "{e}");
        let e = run_err(&["--layers", "2", "--norms", "1"]);
        assert!(
            e.contains("1 spectral norms given") && e.contains('2'),
            "{e}"
        );
        let e = run_err(&["--layers", "2", "--norms", "1,-1"]);
        assert!(e.contains("‖Ŵ_2‖₂ = -1"), "{e}");
        let e = run_err(&["--eps", "1e9"]);
        assert!(e.contains("ε_w"), "{e}");
    }

    #[test]
    fn conflicting_flags_are_parse_errors() {
        assert!(parse(&["--n", "5", "--widths", "5,5"]).is_err());
        assert!(parse(&["--max-width-norm"]).is_err());
        assert!(parse(&["--no-norm-assumption", "--norms", "1"]).is_err());
        assert!(parse(&["--eps", "abc"]).is_err());
    }

    #[test]
    fn formatting_helpers() {
        assert_eq!(fmt_real(LogNum::from_value(628.6927).unwrap()), "628.6927");
        assert_eq!(fmt_real(LogNum::from_value(2.0).unwrap()), "2");
        assert_eq!(fmt_real(LogNum::from_log10(400.0).unwrap()), "1.0000e+400");
        assert_eq!(
            fmt_count(Count::ceil(LogNum::from_value(41.5).unwrap())),
            "42"
        );
        let t = aligned(&[
            vec!["a".into(), "1".into()],
            vec!["bbb".into(), "22".into()],
        ]);
        assert_eq!(t, "a     1\nbbb  22\n");
    }
}
