//! The fingerprint of what a run approximates: SHA-256 digests of the target, of its domain
//! and of the accuracy settings, recorded in every ticket and shard ([`crate::TicketSpec`])
//! so that a ticket cannot be merged or verified against another target (ARCHITECTURE.md,
//! invariant 15).
//!
//! [`Fingerprint::new`] is the one rule, used by the writers (through
//! [`crate::TicketSpec::of_run`], from the run's [`Plan`]), by `merge` and by `verify`. Each
//! part is hashed from fixed-width little-endian fields in a fixed order, with a tag that
//! names the part and the rule's version:
//!
//! - `target`: the bias-free target F′ the run works on (the user's F with its biases
//!   carried by a constant unit, `Network::with_bias_unit`, so F and F′ determine each other
//!   given the flag): whether it has the bias unit, the depth, then per layer its widths
//!   `n_i`, `n_{i-1}`, its activation's name, its weights row by row as `f64` bits, and its
//!   bias (a flag, then the `f64` bits) if it has one;
//! - `domain`: the domain as the run sees it (with the unit coordinate when F has biases): a
//!   box as its dimension and each coordinate's `lo` and `hi` bits, or the input rows as
//!   their count, dimension and every entry's bits;
//! - `settings`: the accuracy asked for (its kind and value's bits), the tolerance rule, `δ`
//!   and `w_max` (absent, or its bits).
//!
//! G's own settings (generator, seed, distribution, construction, solver, widths) are
//! recorded in the ticket in plain form and compared as such.

use std::fmt;

use logprune_network::Network;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

use crate::{Accuracy, ConstructionError, Domain, Plan, PruneConfig};

/// A SHA-256 digest, written as 64 lowercase hexadecimal digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Digest(pub [u8; 32]);

impl Sha256Digest {
    /// The first 12 hexadecimal digits, for messages.
    pub fn short(&self) -> String {
        self.to_string()[..12].to_owned()
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({self})")
    }
}

impl core::str::FromStr for Sha256Digest {
    type Err = String;

    /// Parses 64 hexadecimal digits.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a SHA-256 digest: expected 64 hexadecimal digits");
        let bytes = s.as_bytes();
        if bytes.len() != 64 {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (k, pair) in bytes.chunks_exact(2).enumerate() {
            let digit = |c: u8| (c as char).to_digit(16).ok_or_else(bad);
            out[k] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
        }
        Ok(Sha256Digest(out))
    }
}

impl Serialize for Sha256Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Which part of a [`Fingerprint`] differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FingerprintPart {
    /// The target's weights or structure.
    Target,
    /// The domain.
    Domain,
    /// The accuracy settings.
    Settings,
}

impl fmt::Display for FingerprintPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FingerprintPart::Target => {
                "the target's weights or structure differ (widths, activations, weights or biases)"
            }
            FingerprintPart::Domain => "the domain differs (the input box or the input rows)",
            FingerprintPart::Settings => {
                "the accuracy settings differ (ε or T, the tolerance rule, δ or w_max)"
            }
        })
    }
}

/// The fingerprint of a run's target, domain and accuracy settings (module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fingerprint {
    /// The digest of the target F′ (weights and structure).
    pub target: Sha256Digest,
    /// The digest of the domain.
    pub domain: Sha256Digest,
    /// The digest of the accuracy settings.
    pub settings: Sha256Digest,
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "target {}…, domain {}…, settings {}…",
            self.target.short(),
            self.domain.short(),
            self.settings.short()
        )
    }
}

impl Fingerprint {
    /// The fingerprint of a run of `config` on the user's `target` and `domain` (module
    /// docs): F′ and the domain are formed as [`Plan::new`] forms them.
    ///
    /// # Errors
    /// [`ConstructionError::Network`] or [`ConstructionError::Interval`] if the bias unit
    /// cannot be added (as [`Plan::new`] would refuse the target).
    pub fn new(
        target: &Network,
        domain: &Domain,
        config: &PruneConfig,
    ) -> Result<Self, ConstructionError> {
        Ok(if target.has_bias() {
            Self::of_parts(
                &target.with_bias_unit()?,
                true,
                &domain.with_unit()?,
                config,
            )
        } else {
            Self::of_parts(target, false, domain, config)
        })
    }

    /// The fingerprint of `plan`'s run: the same as [`Fingerprint::new`] on the target,
    /// domain and configuration it was planned from.
    pub fn of_plan(plan: &Plan) -> Self {
        Self::of_parts(
            plan.network(),
            plan.has_bias_unit(),
            plan.domain(),
            plan.config(),
        )
    }

    /// The fingerprint of a graph target's run: the digest of the graph (its nodes and the
    /// target matrices of its linear nodes, [`crate::graph::GraphSpec`]), its domain and
    /// settings.
    pub fn of_graph_plan(plan: &crate::GraphPlan) -> Self {
        Fingerprint {
            target: graph_digest(plan),
            domain: domain_digest(plan.domain()),
            settings: settings_digest(plan.config()),
        }
    }

    /// The same target and domain with the settings of `config`.
    pub fn with_settings(self, config: &PruneConfig) -> Self {
        Fingerprint {
            settings: settings_digest(config),
            ..self
        }
    }

    /// The first part in which `other` differs from `self` (target, then domain, then
    /// settings), or `None` if they are equal.
    pub fn differs(&self, other: &Fingerprint) -> Option<FingerprintPart> {
        if self.target != other.target {
            Some(FingerprintPart::Target)
        } else if self.domain != other.domain {
            Some(FingerprintPart::Domain)
        } else if self.settings != other.settings {
            Some(FingerprintPart::Settings)
        } else {
            None
        }
    }

    /// The rule of the module docs on F′ (`network`), its domain and the settings.
    fn of_parts(network: &Network, bias_unit: bool, domain: &Domain, config: &PruneConfig) -> Self {
        Fingerprint {
            target: target_digest(network, bias_unit),
            domain: domain_digest(domain),
            settings: settings_digest(config),
        }
    }
}

/// A SHA-256 fed with fixed-width little-endian fields.
struct Hasher(Sha256);

impl Hasher {
    fn new(tag: &str) -> Self {
        let mut h = Hasher(Sha256::new());
        h.bytes(tag.as_bytes());
        h
    }
    fn u64(&mut self, x: u64) {
        self.0.update(x.to_le_bytes());
    }
    fn f64(&mut self, x: f64) {
        self.u64(x.to_bits());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.0.update(b);
    }
    fn finish(self) -> Sha256Digest {
        Sha256Digest(self.0.finalize().into())
    }
}

fn target_digest(network: &Network, bias_unit: bool) -> Sha256Digest {
    let mut h = Hasher::new("logprune-fingerprint-target-v1");
    h.u64(u64::from(bias_unit));
    h.u64(network.depth() as u64);
    let mut row = Vec::new();
    for layer in network.layers() {
        let w = layer.weight();
        h.u64(w.nrows() as u64);
        h.u64(w.ncols() as u64);
        h.bytes(layer.activation.to_string().as_bytes());
        for r in 0..w.nrows() {
            row.clear();
            for c in 0..w.ncols() {
                row.extend_from_slice(&w[(r, c)].to_bits().to_le_bytes());
            }
            h.0.update(&row);
        }
        match &layer.bias {
            None => h.u64(0),
            Some(b) => {
                h.u64(1);
                for &x in b {
                    h.f64(x);
                }
            }
        }
    }
    h.finish()
}

fn graph_digest(plan: &crate::GraphPlan) -> Sha256Digest {
    let mut h = Hasher::new("logprune-fingerprint-graph-v1");
    let spec = crate::graph::GraphSpec::of(plan.graph());
    // Serializing a struct of strings, integers and booleans cannot fail.
    let text = serde_json::to_string(&spec).unwrap_or_default();
    h.bytes(text.as_bytes());
    for m in plan.matrices() {
        h.u64(m.nrows() as u64);
        h.u64(m.ncols() as u64);
        for r in 0..m.nrows() {
            for c in 0..m.ncols() {
                h.f64(m[(r, c)]);
            }
        }
    }
    // The per-channel scales are carried from the target: they are part of it.
    for node in plan.graph().nodes() {
        if let logprune_network::Op::Scale { scale, shift } = &node.op {
            for &x in scale.iter().chain(shift.iter().flatten()) {
                h.f64(x);
            }
        }
    }
    h.finish()
}

fn domain_digest(domain: &Domain) -> Sha256Digest {
    let mut h = Hasher::new("logprune-fingerprint-domain-v1");
    match domain {
        Domain::Box(b) => {
            h.bytes(b"box");
            h.u64(b.dim() as u64);
            for (&lo, &hi) in b.lo().iter().zip(b.hi()) {
                h.f64(lo);
                h.f64(hi);
            }
        }
        Domain::Points(rows) => {
            h.bytes(b"points");
            h.u64(rows.len() as u64);
            h.u64(domain.dim() as u64);
            for row in rows {
                for &x in row {
                    h.f64(x);
                }
            }
        }
    }
    h.finish()
}

fn settings_digest(config: &PruneConfig) -> Sha256Digest {
    let mut h = Hasher::new("logprune-fingerprint-settings-v1");
    match config.accuracy {
        Accuracy::Network(eps) => {
            h.bytes(b"network");
            h.f64(eps);
        }
        Accuracy::WeightTolerance(t) => {
            h.bytes(b"weight-tolerance");
            h.f64(t);
        }
    }
    h.bytes(config.tolerance_rule.name().as_bytes());
    h.f64(config.delta);
    match config.w_max {
        None => h.u64(0),
        Some(w) => {
            h.u64(1);
            h.f64(w);
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::mat;
    use logprune_network::Activation;

    fn target(w: f64) -> Network {
        Network::from_weights(
            vec![mat![[0.5, -0.25], [0.125, w]], mat![[1.0, -0.5]]],
            &[Activation::Relu, Activation::Identity],
        )
        .unwrap()
    }

    #[test]
    fn each_part_changes_with_what_it_covers_only() {
        let f = target(0.75);
        let d = Domain::cube(2, -1.0, 1.0).unwrap();
        let c = PruneConfig::new(0.1);
        let a = Fingerprint::new(&f, &d, &c).unwrap();
        assert_eq!(a, Fingerprint::new(&f, &d, &c).unwrap(), "deterministic");
        // One weight by an ulp: the target part only.
        let g = target(0.75f64.next_up());
        assert_eq!(
            a.differs(&Fingerprint::new(&g, &d, &c).unwrap()),
            Some(FingerprintPart::Target)
        );
        // The output activation is structure.
        let h = Network::from_weights(
            vec![mat![[0.5, -0.25], [0.125, 0.75]], mat![[1.0, -0.5]]],
            &[Activation::Relu, Activation::Sigmoid],
        )
        .unwrap();
        assert_eq!(
            a.differs(&Fingerprint::new(&h, &d, &c).unwrap()),
            Some(FingerprintPart::Target)
        );
        let e = Domain::cube(2, 0.0, 1.0).unwrap();
        assert_eq!(
            a.differs(&Fingerprint::new(&f, &e, &c).unwrap()),
            Some(FingerprintPart::Domain)
        );
        let rows = Domain::points(vec![vec![0.0, 1.0]]).unwrap();
        assert_eq!(
            a.differs(&Fingerprint::new(&f, &rows, &c).unwrap()),
            Some(FingerprintPart::Domain)
        );
        for other in [
            PruneConfig::new(0.1f64.next_up()),
            PruneConfig::weight_tolerance(0.1),
            PruneConfig { delta: 0.02, ..c },
            PruneConfig {
                w_max: Some(1.0),
                ..c
            },
            PruneConfig {
                tolerance_rule: crate::ToleranceRule::Recurrence,
                ..c
            },
        ] {
            let b = Fingerprint::new(&f, &d, &other).unwrap();
            assert_eq!(a.differs(&b), Some(FingerprintPart::Settings), "{other:?}");
            assert_eq!(a.with_settings(&other), b);
        }
        // G's settings are not part of it.
        let seed = PruneConfig { seed: 7, ..c };
        assert_eq!(a.differs(&Fingerprint::new(&f, &d, &seed).unwrap()), None);
    }

    #[test]
    fn the_plan_gives_the_same_fingerprint_with_and_without_biases() {
        let d = Domain::cube(2, -1.0, 1.0).unwrap();
        let c = PruneConfig::new(0.1);
        let plain = target(0.75);
        let mut layers = plain.clone().into_layers();
        layers[0].bias = Some(vec![0.25, -0.125]);
        let biased = Network::new(layers).unwrap();
        for f in [plain, biased] {
            let plan = Plan::new(&f, &d, &c).unwrap();
            assert_eq!(
                Fingerprint::of_plan(&plan),
                Fingerprint::new(&f, &d, &c).unwrap()
            );
        }
        // A bias is part of the target.
        let mut layers = target(0.75).into_layers();
        layers[0].bias = Some(vec![0.25, -0.125]);
        let b1 = Network::new(layers.clone()).unwrap();
        layers[0].bias = Some(vec![0.25, -0.25]);
        let b2 = Network::new(layers).unwrap();
        assert_eq!(
            Fingerprint::new(&b1, &d, &c)
                .unwrap()
                .differs(&Fingerprint::new(&b2, &d, &c).unwrap()),
            Some(FingerprintPart::Target)
        );
    }

    #[test]
    fn digests_round_trip_as_hex_and_refuse_garbage() {
        let f = Fingerprint::new(
            &target(0.75),
            &Domain::cube(2, -1.0, 1.0).unwrap(),
            &PruneConfig::new(0.1),
        )
        .unwrap();
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(serde_json::from_str::<Fingerprint>(&json).unwrap(), f);
        assert_eq!(f.target.to_string().len(), 64);
        for bad in ["", "00", &"g".repeat(64), &"é".repeat(32)] {
            assert!(bad.parse::<Sha256Digest>().is_err(), "{bad}");
        }
    }
}
