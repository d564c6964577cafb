//! The crate examples of README.md, run as they are written there (with a model file made
//! here instead of the user's `model.safetensors`). If this test stops compiling, README.md
//! is out of date.

use std::error::Error;

#[test]
fn readme_crate_examples_run() -> Result<(), Box<dyn Error>> {
    // A small PyTorch-convention model, written where README reads "model.safetensors".
    let dir = std::env::temp_dir().join(format!("logprune-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let model_path = dir.join("model.safetensors");
    {
        use rand::SeedableRng;
        let arch = logprune_network::Architecture::with_hidden(
            vec![3, 4, 2],
            logprune_network::Activation::Relu,
            logprune_network::Activation::Identity,
        )?;
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
        let model = logprune_network::random_spectral(&arch, 1.0, &mut rng)?;
        std::fs::write(
            &model_path,
            logprune_network::network_to_safetensors(&model)?,
        )?;
    }

    // ---- README.md, "The crates" ----
    // logprune-bounds: Example 5 of the paper.
    use logprune_bounds::{NormModel, Setting};
    let setting = Setting::uniform(100, 10, 0.01, 0.01)
        .norms(NormModel::SpectralAtMostOne)
        .check()?;
    assert!(setting.report().layers[0].theorem3_per_weight.value() <= 630.0); // 628.69

    // logprune-sampling: G's weight number 7 of stream 2, seed 42, on Theorem 3's range.
    use logprune_sampling::{SampleBits, SignedHyperbolic, counter, theorem3_range};
    let (alpha, beta) = theorem3_range(1e-3, 1.0)?;
    let w = SignedHyperbolic::new(alpha, beta)?.sample_bits(counter::bits(42, 2, 7));

    // logprune-decomposition: every solver behind one trait.
    use logprune_decomposition::{GoldenRatio, Solver};
    let d = GoldenRatio::new(1.0)?.decompose(&[0.6, -0.3, 0.41, 0.2, 0.13, 0.07], 0.5, 0.05)?;
    assert!(d.residual >= 0.0 && d.residual <= 0.05); // w − ε ≤ ŵ ≤ w

    // logprune-network: a PyTorch nn.Sequential from safetensors, certified F_max over a box.
    use logprune_network::{InputBox, LoadOptions, load_network};
    let f = load_network(&std::fs::read(&model_path)?, &LoadOptions::default())?;
    let f_max = f.certified_f_max_box(&InputBox::uniform(f.input_width(), -1.0, 1.0)?)?;

    // logprune-construction: prune G to Ĝ, certified and measured.
    use logprune_construction::{Domain, NoProgress, PruneConfig, prune};
    let run = prune(
        &f,
        &Domain::cube(f.input_width(), -1.0, 1.0)?,
        &PruneConfig::new(0.01),
        &NoProgress,
    )?;
    assert!(run.report.certified_bound <= 0.01 && run.report.empirical_max_error <= 0.01);

    // logprune-experiments: any table of data/ in memory.
    let exp = logprune_experiments::experiments()
        .into_iter()
        .find(|e| e.name == "paper_examples")
        .ok_or("no experiment paper_examples")?;
    let artifacts = (exp.run)(&Default::default())?;
    // ---- end of README.md ----

    assert!(alpha <= w.abs() && w.abs() <= beta);
    assert!(f_max > 0.0);
    assert_eq!(artifacts[0].path, "paper_examples.csv");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
