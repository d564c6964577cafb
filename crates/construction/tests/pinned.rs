//! Pinned outputs: the SHA-256 of Ĝ's dense `pruned.safetensors` bytes for every construction
//! on three targets (one with biases, one on a finite set of input rows), with version 1 of
//! the generator's counter layout (the only one when they were taken). These hashes were taken before the construction was rebuilt around one
//! kernel and must never move: a refactor that changes them changed the results.
#![allow(clippy::unwrap_used)]

mod common;
use common::{cube, fixture};

use faer::mat;
use logprune_construction::{
    Construction, Domain, Generator, NoProgress, PruneConfig, SolverKind, prune,
};
use logprune_network::{Activation, Network};
use sha2::{Digest, Sha256};

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The three targets: name, network, domain, ε.
fn targets() -> Vec<(&'static str, Network, Domain, f64)> {
    let (bias, _) = fixture("seq_bias");
    let bias_domain = cube(&bias);
    let (nobias, rows) = fixture("seq_nobias");
    let rows = Domain::points(rows).unwrap();
    let by_hand = Network::from_weights(
        vec![
            mat![
                [0.5, -0.25, 0.125],
                [0.3, 0.75, -0.6],
                [-0.9, 0.1, 0.45],
                [0.05, -0.35, 0.2]
            ],
            mat![[0.2, -0.7, 0.35, 0.6], [-0.05, 0.6, 0.8, -0.15]],
        ],
        &[Activation::Relu, Activation::Identity],
    )
    .unwrap();
    let box01 = Domain::cube(3, 0.0, 1.0).unwrap();
    vec![
        ("seq_bias/box", bias, bias_domain, 0.05),
        ("seq_nobias/rows", nobias, rows, 0.05),
        ("by_hand/[0,1]^3", by_hand, box01, 0.02),
    ]
}

/// `(target, construction, solver, sha256 of pruned.safetensors)`.
const PINNED: &[(&str, &str, &str, &str)] = &[
    (
        "seq_bias/box",
        "per-weight",
        "golden-ratio",
        "6abb062d24a43b10a767d3f88da638ed72b1a0cef2518d7b888f0863f4076580",
    ),
    (
        "seq_bias/box",
        "per-weight",
        "best-fit",
        "5c6ed1001b56752717cd5e742ed1ef91731ac256a44b87a941be1e724a70bada",
    ),
    (
        "seq_bias/box",
        "recycling",
        "golden-ratio",
        "32461e647e4ede75f11f8ccf0b6710b9a8936a76b9a9ec4a6bbb917329ced88e",
    ),
    (
        "seq_bias/box",
        "recycling",
        "best-fit",
        "9dfbdcf8bb1ebbb150227bde8dbd504a1fe4564f00616a243ba69e3fb54f600a",
    ),
    (
        "seq_bias/box",
        "batch",
        "golden-ratio",
        "fb273a0b96beb00dfcf52e48b25052270ac03e10bde1420701a8c7e281690360",
    ),
    (
        "seq_bias/box",
        "batch",
        "best-fit",
        "30ddb6520ce96e031f66454218566639e48d84768b35d231f1451682463781f1",
    ),
    (
        "seq_nobias/rows",
        "per-weight",
        "golden-ratio",
        "4bb371895d151f8f939a081a0caf8e5b85b30a44d0960ea9edaa076c60dd0008",
    ),
    (
        "seq_nobias/rows",
        "per-weight",
        "best-fit",
        "1f2cb4eb1c2cd95153fdf8d8b1c9b29e8495f83d97fa1858500820bdd2469dab",
    ),
    (
        "seq_nobias/rows",
        "recycling",
        "golden-ratio",
        "7bcbbea36b1097f359c7e158c1d0fd49ec9bc83ab35b8cf81bcd9b4a7d5e1747",
    ),
    (
        "seq_nobias/rows",
        "recycling",
        "best-fit",
        "899b2f1184db6c7a14f6bca8a3dab9693fed0c223d5d923ead8403a4eb2eb1e7",
    ),
    (
        "seq_nobias/rows",
        "batch",
        "golden-ratio",
        "64678242d142eb9620b7f9a5535631c0770299fbad5afec9291fcb68576a1486",
    ),
    (
        "seq_nobias/rows",
        "batch",
        "best-fit",
        "40207fda453ee7e1df52d21643a2cd73f8cff968e2b26a8c5fd11e8ba45a7f1c",
    ),
    (
        "by_hand/[0,1]^3",
        "per-weight",
        "golden-ratio",
        "c6aaa546edfd6d1d64b1795850a706ca439e05b3604afbe273da66b45525afe9",
    ),
    (
        "by_hand/[0,1]^3",
        "per-weight",
        "best-fit",
        "3bbf04fc0ba073a802cf5b2c75c05e6d85319ce86a5bef25aeac661a51154d69",
    ),
    (
        "by_hand/[0,1]^3",
        "recycling",
        "golden-ratio",
        "8a2931e39bb9d4d89fd52831a1646497913ed1ec21dc76356942fd266bf1058c",
    ),
    (
        "by_hand/[0,1]^3",
        "recycling",
        "best-fit",
        "0d299b95c5592fa12d824f2ed0424bd98ac1d46aed07f18f2a7f7daa5e4b8ec0",
    ),
    (
        "by_hand/[0,1]^3",
        "batch",
        "golden-ratio",
        "687db808b99a33244cc4901a84f6779ed94854f95ae3b835665b28d04a458866",
    ),
    (
        "by_hand/[0,1]^3",
        "batch",
        "best-fit",
        "a03998cd9990673abdddc0ba181006b60f228d1bbbca1500f58973a24c43d141",
    ),
];

#[test]
fn pruned_networks_are_pinned() {
    let mut got = Vec::new();
    for (name, f, domain, eps) in targets() {
        for construction in [
            Construction::PerWeight,
            Construction::Recycling,
            Construction::Batch,
        ] {
            for solver in [SolverKind::GoldenRatio, SolverKind::BestFit] {
                let config = PruneConfig {
                    construction,
                    solver,
                    generator: Generator::PhiloxV1,
                    ..PruneConfig::new(eps)
                };
                let p = prune(&f, &domain, &config, &NoProgress).unwrap();
                let hash = sha256(&p.pruned.to_safetensors().unwrap());
                got.push((name, construction.name(), solver.name(), hash));
            }
        }
    }
    let listing: String = got
        .iter()
        .map(|(t, c, s, h)| format!("    (\"{t}\", \"{c}\", \"{s}\", \"{h}\"),\n"))
        .collect();
    assert_eq!(got.len(), PINNED.len(), "pinned hashes:\n{listing}");
    for ((t, c, s, h), &(pt, pc, ps, ph)) in got.iter().zip(PINNED) {
        assert_eq!((*t, *c, *s), (pt, pc, ps), "order of the cases");
        assert_eq!(h, ph, "{t} {c} {s}: Ĝ changed\n{listing}");
    }
}
