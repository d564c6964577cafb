//! The paper's list of notation (Appendix E) mapped to the code: `notation.csv`.
//!
//! One row per line of Appendix E, in its order (a line that lists several symbols, such as
//! `z⁺_out, z⁺_in, z⁻_out, z⁻_in`, stays one row; `G` has two lines, as in the paper). Columns:
//! `symbol` and `meaning` as printed; `code_item`, the Rust path of the type, function or
//! method that holds or computes the quantity (empty when the code has no such item);
//! `file`, the source file that defines it, relative to the repository root; `note`, how the
//! code names it, or why the paper's symbol has no counterpart.
//!
//! The rows come from the [`symbols!`] macro, which both names each item in code, so that a
//! renamed or removed item fails to compile, and stringifies it for the table. Three forms:
//! `item a::b::C` (any module-level item: a type, trait or function, generic or not, checked
//! by `use a::b::C as _`), `method a::B::f` (an inherent method, checked by taking it as a
//! value) and `type T<..>` (a type with its parameters, checked by naming `Option<T<..>>`).
//! A test checks that every `file` exists and defines the item's last path segment.
//!
//! Only the type names `LargeNetwork`, `PrunedNetwork` and `Plan` are used from
//! `logprune-construction` (ARCHITECTURE.md, `crates/construction`); the rest point into
//! `bounds`, `sampling`, `decomposition` and `network`.

use crate::table::{Cell, Table};
use crate::{Artifact, Ctx, Experiment, ExperimentError};

/// The experiments of this module.
pub const EXPERIMENTS: &[Experiment] = &[Experiment {
    name: "notation",
    paper: "Appendix E: the list of notation, each symbol mapped to the code item that holds it",
    run: run_notation,
}];

/// How a row's `code_item` is checked at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// No code item.
    None,
    /// A module-level item (type, trait, function, constant).
    Item,
    /// An inherent method `Type::method`.
    Method,
    /// A type with its generic parameters.
    Type,
}

/// One line of Appendix E and where the code holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    /// The symbol as printed (LaTeX source).
    pub symbol: &'static str,
    /// The paper's explanation, as printed.
    pub meaning: &'static str,
    /// The Rust path of the item (empty for [`ItemKind::None`]), without whitespace.
    pub code_item: String,
    /// How `code_item` was checked.
    pub kind: ItemKind,
    /// The file defining the item, relative to the repository root (empty when none).
    pub file: &'static str,
    /// How the code names it, or why it has no item.
    pub note: &'static str,
}

/// Builds a [`Symbol`], checking its code item at compile time (module docs).
macro_rules! symbols {
    (@one $symbol:expr, $meaning:expr, none, $note:expr) => {
        Symbol {
            symbol: $symbol,
            meaning: $meaning,
            code_item: String::new(),
            kind: ItemKind::None,
            file: "",
            note: $note,
        }
    };
    (@one $symbol:expr, $meaning:expr, item $($seg:ident)::+, $file:expr, $note:expr) => {{
        #[allow(unused_imports)]
        use $($seg)::+ as _;
        Symbol {
            symbol: $symbol,
            meaning: $meaning,
            code_item: stringify!($($seg)::+).split_whitespace().collect::<String>(),
            kind: ItemKind::Item,
            file: $file,
            note: $note,
        }
    }};
    (@one $symbol:expr, $meaning:expr, method $($seg:ident)::+, $file:expr, $note:expr) => {{
        let _ = $($seg)::+;
        Symbol {
            symbol: $symbol,
            meaning: $meaning,
            code_item: stringify!($($seg)::+).split_whitespace().collect::<String>(),
            kind: ItemKind::Method,
            file: $file,
            note: $note,
        }
    }};
    (@one $symbol:expr, $meaning:expr, type $ty:ty, $file:expr, $note:expr) => {{
        let _: Option<$ty> = None;
        Symbol {
            symbol: $symbol,
            meaning: $meaning,
            code_item: stringify!($ty).split_whitespace().collect::<String>(),
            kind: ItemKind::Type,
            file: $file,
            note: $note,
        }
    }};
    ($( ( $($row:tt)* ) ),* $(,)?) => {
        vec![$( symbols!(@one $($row)*) ),*]
    };
}

/// Appendix E, line by line, with the code item of each symbol.
pub fn appendix_e() -> Vec<Symbol> {
    symbols![
        (
            r"$\mathbb{N}$",
            r"natural numbers $\{1, 2, \dots\}$",
            none,
            "not a code item: counts are u64/usize, which include 0; where the paper needs ≥ 1 (widths n_i, the number of layers ℓ, k, m) the validating constructors refuse 0 (e.g. logprune_bounds::Widths::new, logprune_network::Architecture::new)"
        ),
        (
            r"$\ell \in \mathbb{N}$",
            "number of network layers",
            method logprune_network::Architecture::depth,
            "crates/network/src/architecture.rs",
            "called depth in network (also Network::depth), layers in bounds (Widths::layers: the number of widths minus one)"
        ),
        (
            r"$\mathbf{n} \in \mathbb{N}^\ell$",
            "vector of the number of neurons",
            item logprune_bounds::Widths,
            "crates/bounds/src/params.rs",
            "Widths holds n_0, ..., n_ℓ, the input width n_0 included (Section 2 uses n_0 for the input); in network it is Architecture::widths"
        ),
        (
            r"$n_{\max} \in \mathbb{N}$",
            "maximum number of neurons per layer",
            method logprune_bounds::Widths::n_max,
            "crates/bounds/src/params.rs",
            "n_max = max over i ∈ [0..ℓ] of n_i, inputs included; also Architecture::n_max"
        ),
        (
            r"$i \in [\ell]$",
            "layer index",
            none,
            "not a code item: code indexes layers from 0, so the paper's layer i is index i−1 (Network::layers()[i−1]); construction calls it t = i−1 (Philox streams 2t and 2t+1, ARCHITECTURE.md); bounds take the paper's 1-based i (Widths::n_in(i), Widths::n_out(i))"
        ),
        (
            r"$j \in [n_i]$",
            "index of $j$ th neuron in layer $i$",
            none,
            "not a code item: the 0-based row index j−1 of W_i (n_i × n_{i−1}, row j holds the incoming weights of neuron j); construction calls an output neuron a and an input neuron b"
        ),
        (
            r"$F$",
            "a target network",
            item logprune_network::Network,
            "crates/network/src/network.rs",
            "a Network (weights, activations, optional biases); construction's Plan holds F' (F with the bias unit)"
        ),
        (
            r"$G$",
            "the large network to be pruned",
            item logprune_construction::LargeNetwork,
            "crates/construction/src/large.rs",
            "LargeNetwork: a seed, a shape and a distribution; its weights are recomputed on demand, never stored (ARCHITECTURE.md)"
        ),
        (
            r"$\hat{G}$",
            "the network $G$ after pruning",
            item logprune_construction::PrunedNetwork,
            "crates/construction/src/pruned.rs",
            "PrunedNetwork: the kept intermediate neurons of G, each with its one input weight and its output weights"
        ),
        (
            r"$F_{\max}(\mathcal{X})$",
            "maximum absolute activation of any non-final neuron on all inputs of interest in $F$",
            method logprune_network::Network::f_max,
            "crates/network/src/network.rs",
            "f_max over a finite set of inputs (layers 0..ℓ−1, inputs included, outputs excluded); certified upper bounds over a box or points are Network::certified_f_max_box and Network::certified_f_max_points (interval.rs); the bounds take it as Setting::f_max"
        ),
        (
            r"$w \in [-w_{\max}, w_{\max}]$",
            "some weight",
            item logprune_decomposition::Solver,
            "crates/decomposition/src/lib.rs",
            "a weight to decompose is the `target` argument of Solver::decompose (Lemma 9, Corollary 10)"
        ),
        (
            r"$w_{\max} \in \mathbb{R}^+$",
            "max norm of the weights",
            method logprune_bounds::Setting::w_max,
            "crates/bounds/src/setting.rs",
            "w_max; a target's own is Network::max_abs_weight (the largest |w|, i.e. the max norm); GoldenRatio::new takes it too"
        ),
        (
            r"$w^* \in [-w_{\max}, w_{\max}]$",
            "a weight of the target network $F$",
            method logprune_network::Layer::weight,
            "crates/network/src/network.rs",
            "one entry of Layer::weight (0-based row j−1, column b−1); construction calls the target weight of output neuron a and input neuron b the weight (a, b) of layer t = i−1"
        ),
        (
            r"$W^*$",
            "weights of the target network",
            method logprune_network::Network::layers,
            "crates/network/src/network.rs",
            "the matrices W_i* are Network::layers()[i−1].weight(), n_i × n_{i−1} (PyTorch's Linear.weight layout)"
        ),
        (
            r"$z_{\text{out}}^+, z_{\text{in}}^+, z_{\text{out}}^-, z_{\text{in}}^-$",
            "actual individual weights of the network $G$",
            item logprune_sampling::counter::weight,
            "crates/sampling/src/counter.rs",
            "G's input weights U_i[z, b] (the z_in) and output weights V_i[a, z] (the z_out) of LargeNetwork, each counter::weight(p_w, seed, stream, index) (streams 2t and 2t+1, ARCHITECTURE.md); the code does not name z⁺ and z⁻: a kept intermediate neuron is on the + or − side by the sign of its input weight"
        ),
        (
            r"$\hat{w}^+, \hat{w}^-, \hat{w}$",
            r"virtual individual weights of the network $\hat{G}$",
            item logprune_decomposition::Decomposition,
            "crates/decomposition/src/lib.rs",
            "ŵ of one decomposition is Decomposition::approximation (residual w − ŵ); ŵ⁺ and ŵ⁻ are the entries of PrunedNetwork's virtual matrices Ŵ⁺ and Ŵ⁻ (ARCHITECTURE.md)"
        ),
        (
            r"$\varepsilon > 0$",
            "output accuracy",
            method logprune_bounds::Setting::epsilon,
            "crates/bounds/src/setting.rs",
            "epsilon; the per-weight accuracy of Lemma 1 is epsilon_w (logprune_bounds::lemma1::epsilon_w, Setting::epsilon_w); solvers call their accuracy `tolerance`"
        ),
        (
            r"$1 - \delta \in [0, 1]$",
            "high probability",
            method logprune_bounds::Setting::delta,
            "crates/bounds/src/setting.rs",
            "the code holds δ (delta), the failure probability, not 1 − δ; the per-weight δ_w of Theorem 30 is logprune_bounds::theorem30::delta_w"
        ),
        (
            r"$\sigma : \mathbb{R} \rightarrow \mathbb{R}$",
            "activation function",
            item logprune_network::Activation,
            "crates/network/src/activation.rs",
            "an enum: ReLU, identity, tanh, sigmoid (Activation::apply)"
        ),
        (
            r"$\boldsymbol{\sigma}$",
            r"vector of $\ell$ activation functions",
            method logprune_network::Architecture::activations,
            "crates/network/src/architecture.rs",
            "one Activation per layer; each Layer also holds its own (Layer::activation)"
        ),
        (
            r"$\lambda_i$",
            r"Lipschitz factor of $\sigma_i$",
            method logprune_network::Activation::lipschitz,
            "crates/network/src/activation.rs",
            "lipschitz (1 for ReLU, identity and tanh, 1/4 for the sigmoid); the bounds take the vector (λ_1, ..., λ_ℓ), e.g. logprune_bounds::lemma1::relu_lambdas"
        ),
        (
            r"$k \in \mathbb{N}$",
            "number of ‘bits’ to represent a weight",
            item logprune_bounds::theorem3::k,
            "crates/bounds/src/theorem3.rs",
            "k = ⌈log_{3/2}(2w_max/ε_w)⌉, Theorem 30's reading; Theorem 3's printed ⌈log_{3/2}(w_max/(2ε_w))⌉ is theorem3::k_as_printed (ARCHITECTURE.md); its upper bound k' is theorem3::k_prime, Lemma 9's k is golden::GoldenRatio::k"
        ),
        (
            r"$m \in \mathbb{N}$",
            "number of neurons sampled per target weight",
            item logprune_bounds::theorem30::m,
            "crates/bounds/src/theorem30.rs",
            "m = ⌈8k' ln(k'/δ_w)⌉ (Theorem 30, Step 2 of Theorem 3); Lemma 9's and Corollary 10's m = ⌈k' ln(k'/δ)⌉ are golden::GoldenRatio::m and golden::Corollary10::m"
        ),
        (
            r"$M \in \mathbb{N}$",
            "number of neurons sampled per intermediate layer",
            item logprune_bounds::theorem3::m_i,
            "crates/bounds/src/theorem3.rs",
            "M_i of Theorem 3, one per layer; Theorem 30's is theorem30::m_i, Malach et al.'s malach::m_i; LargeNetwork's intermediate widths are the M_i of the run"
        ),
        (
            r"$x \in [-x_{\max}, x_{\max}]^{n_0}$",
            "network input",
            item logprune_network::InputBox,
            "crates/network/src/interval.rs",
            "an input is a slice of n_0 numbers (Network::forward); the domain is an InputBox (any box, not only a cube) or a finite set of rows"
        ),
        (
            r"$x_{\max} \in \mathbb{R}^+$",
            "max norm of the inputs",
            method logprune_network::InputBox::uniform,
            "crates/network/src/interval.rs",
            "the paper's cube [−x_max, x_max]^{n_0} is InputBox::uniform(n_0, −x_max, x_max); the code has no x_max of its own (the inputs enter the bounds through F_max, which includes layer 0)"
        ),
        (
            r"$P$",
            "probability",
            none,
            "not a code item: probabilities are bounded in closed form (e.g. logprune_bounds::golden::GoldenRatio::interval_probability) and estimated as failure rates with confidence intervals by the experiments"
        ),
        (
            r"$A(\ell, \mathbf{n}, \boldsymbol{\sigma})$",
            "architecture of a network",
            item logprune_network::Architecture,
            "crates/network/src/architecture.rs",
            "Architecture: widths n_0..n_ℓ and one activation per layer (Architecture::new)"
        ),
        (
            r"$\mathbf{v}$",
            "vector",
            item logprune_decomposition::GoldenRatio,
            "crates/decomposition/src/golden.rs",
            "Lemma 9's samples v_1, ..., v_m are the `candidates` slice of Solver::decompose; GoldenRatio is Lemma 9's decomposition over them (the streaming form GoldenRatioStream is offered them one at a time)"
        ),
        (
            r"$\mathbf{b}$",
            "binary mask vector",
            item logprune_decomposition::Decomposition,
            "crates/decomposition/src/lib.rs",
            "the mask b ∈ {0,1}^m is stored as the increasing list of its ones, Decomposition::indices; `cargo xtask prune --export-large` writes G's 0/1 masks"
        ),
        (
            r"$b$",
            "binary mask",
            method logprune_decomposition::Decomposition::pieces,
            "crates/decomposition/src/lib.rs",
            "one mask bit b_s is membership of s in Decomposition::indices, and |b| is Decomposition::pieces; the code uses b for something else too: the input neuron index of U_i[z, b]"
        ),
        (
            r"$F_i$",
            "output of layer $i$ of the target network given network inputs",
            method logprune_network::Network::activations,
            "crates/network/src/network.rs",
            "activations(x) returns F_0(x) = x, F_1(x), ..., F_ℓ(x); F(x) = F_ℓ(x) is Network::forward"
        ),
        (
            r"$G$",
            "the big network $i$",
            item logprune_construction::LargeNetwork,
            "crates/construction/src/large.rs",
            "the paper uses G for two things (also the large network above); this line presumably means G_i, G up to layer i, which the code never builds: G is not materialized (ARCHITECTURE.md), only its weights U_i, V_i are recomputed"
        ),
        (
            r"$\hat{G}_i$",
            "subnetwork of the big network, approximating $F$",
            item logprune_construction::PrunedNetwork,
            "crates/construction/src/pruned.rs",
            "Ĝ up to layer i: the outputs of PrunedNetwork's forward passes layer by layer (literal and virtual, ARCHITECTURE.md)"
        ),
        (
            r"$f_i$",
            "layer functions of target network given layer inputs",
            item logprune_network::Layer,
            "crates/network/src/network.rs",
            "a Layer (W_i, optional bias, σ_i) maps y ∈ R^{n_{i−1}} to σ_i(W_i y); Network::forward composes them"
        ),
        (
            r"$\hat{g}_i$",
            r"same as $f_i$ for $\hat{G}$",
            item logprune_construction::PrunedNetwork,
            "crates/construction/src/pruned.rs",
            "each layer of PrunedNetwork computes σ_i(Ŵ⁺ max(x, 0) + Ŵ⁻ min(x, 0)) (README, ARCHITECTURE.md)"
        ),
        (
            r"$P_\varepsilon$",
            r"$1/v$ distribution",
            item logprune_sampling::Hyperbolic,
            "crates/sampling/src/hyperbolic.rs",
            "Lemma 9's P_ε(v) = c'/v on [εγ², γ] is Hyperbolic::new(εγ², γ); its support and c' are logprune_bounds::golden::GoldenRatio::range and ::c_prime"
        ),
        (
            r"$p_{w \geq 0}$",
            r"$1/v$ distribution",
            item logprune_sampling::Hyperbolic,
            "crates/sampling/src/hyperbolic.rs",
            "the same 1/v density on Theorem 3's [α, β]: Hyperbolic::theorem3 (range from logprune_sampling::theorem3_range); the paper gives P_ε and p_{w≥0} one type here"
        ),
        (
            r"$p_w$",
            r"$\pm 1/v$ distribution",
            item logprune_sampling::SignedHyperbolic,
            "crates/sampling/src/hyperbolic.rs",
            "p_w(w) = p_{w≥0}(|w|)/2 on [−β, −α] ∪ [α, β]; G's weights are drawn from it (SignedHyperbolic::theorem3)"
        ),
        (
            r"$p_{w \times}$",
            r"$1/v$ product distribution",
            item logprune_bounds::product::HyperbolicProduct,
            "crates/bounds/src/product.rs",
            "the density of |xy| for x, y ~ p_{w≥0} (Lemma 28) in closed form; samples of it are logprune_sampling::Product<Hyperbolic, Hyperbolic>"
        ),
        (
            r"$p^+$",
            r"product distribution of $z_{\text{out}}^+$ and $z_{\text{in}}^+$",
            type logprune_sampling::Product<logprune_sampling::SignedHyperbolic, logprune_sampling::SignedHyperbolic>,
            "crates/sampling/src/baseline.rs",
            "products of two p_w draws, restricted by sign (z⁺_out > 0, sgn z⁺_in = sgn w*) in the proof of Theorem 3; the code draws the product and reads the signs, it has no separate p⁺"
        ),
        (
            r"$p^-$",
            r"product distribution of $z_{\text{out}}^-$ and $z_{\text{in}}^-$",
            type logprune_sampling::Product<logprune_sampling::SignedHyperbolic, logprune_sampling::SignedHyperbolic>,
            "crates/sampling/src/baseline.rs",
            "as p⁺ with z⁻_out < 0 and sgn z⁻_in = −sgn w*; by symmetry of p_w it is the same law up to sign"
        ),
    ]
}

/// The `notation.csv` table: `symbol, meaning, code_item, file, note`, one row per line of
/// Appendix E, in its order.
pub fn notation_table() -> Table {
    let mut t = Table::new(&["symbol", "meaning", "code_item", "file", "note"]);
    for s in appendix_e() {
        t.push(vec![
            Cell::from(s.symbol),
            Cell::from(s.meaning),
            Cell::from(s.code_item),
            Cell::from(s.file),
            Cell::from(s.note),
        ]);
    }
    t
}

fn run_notation(_ctx: &Ctx<'_>) -> Result<Vec<Artifact>, ExperimentError> {
    Ok(vec![Artifact::csv("notation.csv", notation_table())])
}

/// Whether Rust source `text` defines `name` as a function, type, trait, enum, struct,
/// constant or module (a keyword, a space, the name, then a character that cannot continue an
/// identifier).
pub fn defines(text: &str, name: &str) -> bool {
    ["fn", "struct", "enum", "trait", "type", "const", "mod"]
        .iter()
        .any(|kw| {
            let needle = format!("{kw} {name}");
            text.match_indices(&needle).any(|(i, _)| {
                let before_ok = i == 0
                    || !text[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_');
                let after = text[i + needle.len()..].chars().next();
                before_ok && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::path::Path;

    fn repo_root() -> &'static Path {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
    }

    /// The last path segment of a code item, generics removed: `a::B<C, D>` → `B`.
    fn last_segment(item: &str) -> &str {
        let plain = item.split('<').next().unwrap_or(item);
        plain.rsplit("::").next().unwrap_or(plain)
    }

    #[test]
    fn every_file_exists_and_defines_its_item() {
        let rows = appendix_e();
        for s in &rows {
            if s.kind == ItemKind::None {
                assert!(s.code_item.is_empty() && s.file.is_empty(), "{s:?}");
                assert!(!s.note.is_empty(), "{}: say why there is no item", s.symbol);
                continue;
            }
            let path = repo_root().join(s.file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {}: {e}", s.symbol, path.display()));
            let name = last_segment(&s.code_item);
            assert!(
                defines(&text, name),
                "{}: {} does not define `{name}` ({})",
                s.symbol,
                s.file,
                s.code_item
            );
            assert!(
                !s.code_item.contains(char::is_whitespace),
                "{}",
                s.code_item
            );
        }
    }

    #[test]
    fn the_definition_check_can_fail() {
        let text = "pub fn lipschitz(self) -> f64 {}\npub struct Layer {}\n";
        assert!(defines(text, "lipschitz"));
        assert!(defines(text, "Layer"));
        assert!(!defines(text, "lip"), "a prefix is not a definition");
        assert!(!defines(text, "Network"));
        assert!(!defines("let x = my_fn lipschitz;", "lipschitz"));
        // A real file that does not define the item.
        let network =
            std::fs::read_to_string(repo_root().join("crates/network/src/network.rs")).unwrap();
        assert!(!defines(&network, "lipschitz"));
        assert!(defines(&network, "f_max"));
    }

    #[test]
    fn one_row_per_line_of_appendix_e() {
        let rows = appendix_e();
        // Appendix E has 42 lines, from ℕ to p⁻; G appears on two of them.
        assert_eq!(rows.len(), 42);
        assert_eq!(rows[0].symbol, r"$\mathbb{N}$");
        assert_eq!(rows[41].symbol, r"$p^-$");
        assert_eq!(rows.iter().filter(|s| s.symbol == "$G$").count(), 2);
        // Items from construction are only its three type names.
        for s in &rows {
            if s.code_item.starts_with("logprune_construction") {
                assert!(
                    [
                        "logprune_construction::LargeNetwork",
                        "logprune_construction::PrunedNetwork",
                        "logprune_construction::Plan"
                    ]
                    .contains(&s.code_item.as_str()),
                    "{}",
                    s.code_item
                );
            }
        }
        // Stringified paths have no spaces and name their crate.
        assert_eq!(rows[1].code_item, "logprune_network::Architecture::depth");
        assert!(
            rows.iter()
                .filter(|s| s.kind != ItemKind::None)
                .all(|s| s.code_item.starts_with("logprune_"))
        );
        let csv = notation_table().to_csv().unwrap();
        assert_eq!(
            csv.lines().next(),
            Some("symbol,meaning,code_item,file,note")
        );
    }
}
