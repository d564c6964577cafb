//! Shared helpers of the integration tests: fixture paths, the reference files, and a plain
//! per-sample evaluation of a graph (direct loops, no im2col).
#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

use logprune_network::{Graph, Op, Pool2d, Shape};
use safetensors::SafeTensors;
use safetensors::tensor::Dtype;

/// `data/models/<name>`.
pub fn model_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/models")
        .join(name)
}

pub fn read(name: &str) -> Vec<u8> {
    std::fs::read(model_path(name)).unwrap()
}

/// A float64 tensor of a reference file: dims and row-major values.
pub fn tensor(io: &[u8], key: &str) -> (Vec<usize>, Vec<f64>) {
    let st = SafeTensors::deserialize(io).unwrap();
    let t = st.tensor(key).unwrap();
    assert_eq!(t.dtype(), Dtype::F64, "{key}");
    let v = t
        .data()
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    (t.shape().to_vec(), v)
}

/// The rows of a reference tensor (one sample per row).
pub fn rows(io: &[u8], key: &str) -> Vec<Vec<f64>> {
    let (dims, v) = tensor(io, key);
    let per: usize = dims[1..].iter().product();
    v.chunks_exact(per).map(<[f64]>::to_vec).collect()
}

fn window_sum<F: FnMut(usize, usize)>(
    s: Shape,
    p: &logprune_network::Window,
    oy: usize,
    ox: usize,
    mut f: F,
) {
    for i in 0..p.kernel[0] {
        for j in 0..p.kernel[1] {
            let y = (oy * p.stride[0] + i * p.dilation[0]) as isize - p.padding[0] as isize;
            let x = (ox * p.stride[1] + j * p.dilation[1]) as isize - p.padding[1] as isize;
            if y >= 0 && x >= 0 && (y as usize) < s.h && (x as usize) < s.w {
                f(y as usize, x as usize);
            }
        }
    }
}

fn pool(x: &[f64], s: Shape, out: Shape, p: &Pool2d, max: bool) -> Vec<f64> {
    let mut r = vec![0.0; out.len()];
    for c in 0..s.c {
        for oy in 0..out.h {
            for ox in 0..out.w {
                let mut acc = if max { f64::NEG_INFINITY } else { 0.0 };
                let mut count = 0usize;
                window_sum(s, &p.window, oy, ox, |y, xx| {
                    let v = x[(c * s.h + y) * s.w + xx];
                    if max {
                        acc = acc.max(v);
                    } else {
                        acc += v;
                    }
                    count += 1;
                });
                if !max {
                    let div = if p.count_include_pad {
                        p.window.kernel[0] * p.window.kernel[1]
                    } else {
                        count
                    };
                    acc /= div as f64;
                }
                r[(c * out.h + oy) * out.w + ox] = acc;
            }
        }
    }
    r
}

/// Evaluates the graph on one sample with direct loops.
pub fn reference_forward(g: &Graph, input: &[f64]) -> Vec<f64> {
    let shapes = g.shapes();
    let mut values: Vec<Vec<f64>> = vec![input.to_vec()];
    for (k, node) in g.nodes().iter().enumerate() {
        let s = shapes[node.inputs[0]];
        let out = shapes[k + 1];
        let x = &values[node.inputs[0]];
        let v = match &node.op {
            Op::Dense { weight, bias } => (0..weight.nrows())
                .map(|i| {
                    (0..weight.ncols())
                        .map(|j| weight[(i, j)] * x[j])
                        .sum::<f64>()
                        + bias.as_ref().map_or(0.0, |b| b[i])
                })
                .collect(),
            Op::Conv(conv) => {
                let taps = conv.window.kernel[0] * conv.window.kernel[1];
                let mut r = vec![0.0; out.len()];
                for a in 0..conv.c_out {
                    for oy in 0..out.h {
                        for ox in 0..out.w {
                            let mut acc = conv.bias.as_ref().map_or(0.0, |b| b[a]);
                            for b in 0..conv.c_in {
                                for i in 0..conv.window.kernel[0] {
                                    for j in 0..conv.window.kernel[1] {
                                        let w = &conv.window;
                                        let y = (oy * w.stride[0] + i * w.dilation[0]) as isize
                                            - w.padding[0] as isize;
                                        let xx = (ox * w.stride[1] + j * w.dilation[1]) as isize
                                            - w.padding[1] as isize;
                                        if y >= 0
                                            && xx >= 0
                                            && (y as usize) < s.h
                                            && (xx as usize) < s.w
                                        {
                                            acc += conv.weight[(a * conv.c_in + b) * taps
                                                + i * conv.window.kernel[1]
                                                + j]
                                                * x[(b * s.h + y as usize) * s.w + xx as usize];
                                        }
                                    }
                                }
                            }
                            r[(a * out.h + oy) * out.w + ox] = acc;
                        }
                    }
                }
                r
            }
            Op::Scale { scale, shift } => {
                let per = s.positions();
                x.iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        let c = i / per;
                        scale[c] * v + shift.as_ref().map_or(0.0, |t| t[c])
                    })
                    .collect()
            }
            Op::Activation(a) => x.iter().map(|&v| a.apply(v)).collect(),
            Op::MaxPool(p) => pool(x, s, out, p, true),
            Op::AvgPool(p) => pool(x, s, out, p, false),
            Op::GlobalAvgPool => {
                let per = s.positions();
                x.chunks_exact(per)
                    .map(|c| c.iter().sum::<f64>() / per as f64)
                    .collect()
            }
            Op::Flatten => x.clone(),
            Op::Add => {
                let y = &values[node.inputs[1]];
                x.iter().zip(y).map(|(a, b)| a + b).collect()
            }
        };
        values.push(v);
    }
    values.pop().unwrap()
}

/// max |a − b| / max |b| over all rows.
pub fn max_rel_error(got: &[Vec<f64>], want: &[Vec<f64>]) -> f64 {
    let scale = want.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    let err = got
        .iter()
        .flatten()
        .zip(want.iter().flatten())
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    err / scale.max(f64::MIN_POSITIVE)
}
