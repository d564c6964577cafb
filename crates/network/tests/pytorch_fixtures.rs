//! Models saved the way `safetensors.torch.save_file(model.state_dict())`
//! writes them (see tests/fixtures/make_fixtures.py), loaded as is and
//! compared with outputs and F_max computed by numpy.
#![allow(clippy::unwrap_used)]

mod common;

use common::prec;
use faer::Par;
use logprune_network::{
    Activation, InputBox, LoadOptions, load_network, read_input_rows, rows_to_columns,
};

struct Fixture {
    name: &'static str,
    model: &'static [u8],
    inputs: &'static str,
    outputs: &'static str,
    fmax: &'static str,
    options: LoadOptions,
    widths: &'static [usize],
    has_bias: bool,
}

macro_rules! fixture {
    ($name:literal, $hidden:expr, $output:expr, $widths:expr, $bias:expr) => {
        Fixture {
            name: $name,
            model: include_bytes!(concat!("fixtures/", $name, ".safetensors")),
            inputs: include_str!(concat!("fixtures/", $name, ".inputs.csv")),
            outputs: include_str!(concat!("fixtures/", $name, ".outputs.csv")),
            fmax: include_str!(concat!("fixtures/", $name, ".fmax.csv")),
            options: LoadOptions {
                hidden_activation: $hidden,
                output_activation: $output,
            },
            widths: $widths,
            has_bias: $bias,
        }
    };
}

fn fixtures() -> Vec<Fixture> {
    use Activation::*;
    vec![
        fixture!("seq_bias", Relu, Identity, &[3, 5, 4, 2], true),
        fixture!("seq_nobias", Relu, Identity, &[4, 6, 3], false),
        fixture!(
            "deep12",
            Relu,
            Identity,
            &[5, 7, 6, 8, 5, 9, 4, 6, 7, 5, 8, 6, 3],
            true
        ),
        fixture!(
            "nested_tanh",
            Tanh,
            Sigmoid,
            &[4, 6, 5, 7, 4, 6, 5, 3, 6, 4, 5, 2],
            true
        ),
        fixture!("half", Relu, Identity, &[3, 4, 2], true),
    ]
}

#[test]
fn fixtures_load_and_match_numpy() {
    for f in fixtures() {
        let net = load_network(f.model, &f.options).unwrap();
        assert_eq!(net.architecture().widths(), f.widths, "{}", f.name);
        assert_eq!(net.has_bias(), f.has_bias, "{}", f.name);
        let n0 = f.widths[0];
        let x = read_input_rows(f.inputs, n0).unwrap();
        let expected = read_input_rows(f.outputs, f.widths[f.widths.len() - 1]).unwrap();
        assert_eq!(x.len(), expected.len());
        let single = net.forward_rows(&x).unwrap();
        let cols = rows_to_columns(&x, n0).unwrap();
        let batch = net.forward_batch(cols.as_ref(), Par::Seq).unwrap();
        for (k, (got, want)) in single.iter().zip(&expected).enumerate() {
            for (j, (a, b)) in got.iter().zip(want).enumerate() {
                assert!(
                    prec::close(*a, *b),
                    "{} input {k} output {j}: {a} vs numpy {b}",
                    f.name
                );
                assert!(prec::close(batch[(j, k)], *b), "{} batch {k} {j}", f.name);
            }
        }

        // F_max (Section 2) over the inputs, as numpy computed it.
        let want_fmax: f64 = f.fmax.trim().parse().unwrap();
        let got = net.f_max_rows(&x).unwrap();
        assert!(
            prec::close(got, want_fmax),
            "{}: F_max {got} vs {want_fmax}",
            f.name
        );
        assert!(prec::close(
            net.f_max(cols.as_ref(), Par::Seq).unwrap(),
            want_fmax
        ));
        let certified = net.certified_f_max_points(cols.as_ref(), Par::Seq).unwrap();
        assert!(certified >= got, "{}", f.name);
        assert!(
            certified <= got * (1.0 + prec::CERTIFIED_SLACK_REL),
            "{}",
            f.name
        );
        // The inputs lie in [-1, 1]^n0, so the box bound dominates.
        let boxed = net
            .certified_f_max_box(&InputBox::uniform(n0, -1.0, 1.0).unwrap())
            .unwrap();
        assert!(
            boxed >= certified,
            "{}: box {boxed} < points {certified}",
            f.name
        );

        // Re-export as F64 and reload: identical network.
        let bytes = logprune_network::network_to_safetensors(&net).unwrap();
        assert_eq!(load_network(&bytes, &f.options).unwrap(), net, "{}", f.name);
    }
}

#[test]
fn outputs_are_excluded_from_f_max() {
    // In seq_bias the outputs exceed every hidden activation (gain 8 on the
    // last layer), so including them would change F_max.
    let f = &fixtures()[0];
    let net = load_network(f.model, &f.options).unwrap();
    let x = read_input_rows(f.inputs, 3).unwrap();
    let out_max = net
        .forward_rows(&x)
        .unwrap()
        .iter()
        .flatten()
        .fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(out_max > net.f_max_rows(&x).unwrap());
}

#[test]
fn biased_fixture_through_the_bias_unit() {
    let f = &fixtures()[2];
    let net = load_network(f.model, &f.options).unwrap();
    let fp = net.with_bias_unit().unwrap();
    assert!(!fp.has_bias());
    let x = read_input_rows(f.inputs, 5).unwrap();
    for row in &x {
        let mut x1 = row.clone();
        x1.push(1.0);
        assert_eq!(fp.forward(&x1).unwrap(), net.forward(row).unwrap());
    }
    // Tanh hidden layers carry a decaying unit (u_1 = tanh 1, ...): F' agrees with F to
    // the rounding of the scaled biases.
    let t = &fixtures()[3];
    let tanh = load_network(t.model, &t.options).unwrap();
    let fp = tanh.with_bias_unit().unwrap();
    let n0 = tanh.input_width();
    for row in read_input_rows(t.inputs, n0).unwrap() {
        let want = tanh.forward(&row).unwrap();
        let mut x1 = row.clone();
        x1.push(1.0);
        for (a, b) in fp.forward(&x1).unwrap().iter().zip(&want) {
            assert!((a - b).abs() <= 1e-13 * b.abs().max(1.0), "{a} vs {b}");
        }
    }
}
