//! Small SVG charts for `data/`: line and point series on linear or log-10 axes, one or more
//! panels stacked vertically.
//!
//! Log axes are drawn by plotting `log10(value)` on a linear axis whose tick labels read
//! `1e-4`, `1e0`, ...: every value on a log axis must be positive. Output is deterministic
//! text (no fonts are read; the SVG names a generic `sans-serif` family).

use plotters::prelude::*;

use crate::ExperimentError;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A polyline through the points, in order.
    Line,
    /// A dot per point.
    Points,
    /// A polyline and a dot per point.
    LinePoints,
}

/// One named series of `(x, y)` points.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// The points, in drawing order.
    pub points: Vec<(f64, f64)>,
    /// How to draw it.
    pub mark: Mark,
}

impl Series {
    /// A series drawn as a line with dots.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            label: label.into(),
            points,
            mark: Mark::LinePoints,
        }
    }

    /// The same series with another [`Mark`].
    #[must_use]
    pub fn mark(mut self, mark: Mark) -> Self {
        self.mark = mark;
        self
    }
}

/// Where a chart's legend goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Legend {
    /// Inside the plot, top right (the default).
    #[default]
    UpperRight,
    /// Inside the plot, top left.
    UpperLeft,
    /// Inside the plot, bottom left.
    LowerLeft,
    /// Inside the plot, bottom right.
    LowerRight,
    /// No legend.
    Hidden,
}

/// One panel: title, axis labels and scales, series.
#[derive(Debug, Clone, Default)]
pub struct Chart {
    /// Caption above the panel.
    pub title: String,
    /// Label of the x axis.
    pub x_label: String,
    /// Label of the y axis.
    pub y_label: String,
    /// Whether the x axis is logarithmic (base 10).
    pub x_log: bool,
    /// Whether the y axis is logarithmic (base 10).
    pub y_log: bool,
    /// The series.
    pub series: Vec<Series>,
    /// Where the legend goes.
    pub legend: Legend,
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

fn axis_value(v: f64, log: bool, figure: &str, axis: &str) -> Result<f64, ExperimentError> {
    let out = if log {
        if v.is_nan() || v <= 0.0 {
            return Err(ExperimentError::Plot {
                figure: figure.to_owned(),
                message: format!("{axis} value {v} cannot be drawn on a log axis (must be > 0)"),
            });
        }
        v.log10()
    } else {
        v
    };
    if !out.is_finite() {
        return Err(ExperimentError::Plot {
            figure: figure.to_owned(),
            message: format!("{axis} value {v} is not finite"),
        });
    }
    Ok(out)
}

fn padded_range(lo: f64, hi: f64, log: bool) -> (f64, f64) {
    if hi > lo {
        let pad = if log {
            0.05 * (hi - lo).max(1.0)
        } else {
            0.05 * (hi - lo)
        };
        (lo - pad, hi + pad)
    } else {
        (lo - 1.0, hi + 1.0)
    }
}

fn tick_label(v: f64, log: bool) -> String {
    if log {
        if (v - v.round()).abs() < 1e-9 {
            format!("1e{}", v.round() as i64)
        } else {
            format!("{:.1e}", 10f64.powf(v))
        }
    } else if v != 0.0 && (v.abs() >= 1e4 || v.abs() < 1e-3) {
        format!("{v:.1e}")
    } else {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_owned()
    }
}

/// Draws the charts as panels stacked top to bottom, each `width × panel_height` pixels, and
/// returns the SVG text.
///
/// # Errors
/// [`ExperimentError::Plot`] when a value is not finite, a value on a log axis is not positive,
/// or the backend fails.
pub fn svg(
    figure: &str,
    charts: &[Chart],
    width: u32,
    panel_height: u32,
) -> Result<String, ExperimentError> {
    let err = |e: &dyn std::fmt::Display| ExperimentError::Plot {
        figure: figure.to_owned(),
        message: e.to_string(),
    };
    // Transform every point first, so that a bad value is reported before anything is drawn.
    let mut transformed: Vec<Vec<Vec<(f64, f64)>>> = Vec::with_capacity(charts.len());
    for chart in charts {
        let mut per_series = Vec::with_capacity(chart.series.len());
        for s in &chart.series {
            let mut pts = Vec::with_capacity(s.points.len());
            for &(x, y) in &s.points {
                pts.push((
                    axis_value(x, chart.x_log, figure, "x")?,
                    axis_value(y, chart.y_log, figure, "y")?,
                ));
            }
            per_series.push(pts);
        }
        transformed.push(per_series);
    }

    let height = panel_height * u32::try_from(charts.len().max(1)).unwrap_or(1);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let panels = root.split_evenly((charts.len().max(1), 1));
        for ((chart, pts), area) in charts.iter().zip(&transformed).zip(panels.iter()) {
            let all = pts.iter().flatten();
            let (mut x0, mut x1, mut y0, mut y1) = (
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            );
            for &(x, y) in all {
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(y);
                y1 = y1.max(y);
            }
            if !x0.is_finite() {
                (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
            }
            let (x0, x1) = padded_range(x0, x1, chart.x_log);
            let (y0, y1) = padded_range(y0, y1, chart.y_log);
            let mut ctx = ChartBuilder::on(area)
                .caption(&chart.title, ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(|e| err(&e))?;
            let (xl, yl) = (chart.x_log, chart.y_log);
            ctx.configure_mesh()
                .x_desc(chart.x_label.as_str())
                .y_desc(chart.y_label.as_str())
                .x_label_formatter(&|v| tick_label(*v, xl))
                .y_label_formatter(&|v| tick_label(*v, yl))
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(|e| err(&e))?;
            for (i, (s, p)) in chart.series.iter().zip(pts).enumerate() {
                let color = PALETTE[i % PALETTE.len()];
                let style = ShapeStyle::from(color).stroke_width(2);
                let dot = matches!(s.mark, Mark::Points | Mark::LinePoints);
                let line = matches!(s.mark, Mark::Line | Mark::LinePoints);
                if line {
                    ctx.draw_series(LineSeries::new(p.iter().copied(), style))
                        .map_err(|e| err(&e))?
                        .label(s.label.as_str())
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                        });
                }
                if dot {
                    let r = if s.points.len() > 2000 { 1 } else { 3 };
                    let anno = ctx
                        .draw_series(
                            p.iter()
                                .map(|&(x, y)| Circle::new((x, y), r, color.filled())),
                        )
                        .map_err(|e| err(&e))?;
                    if !line {
                        anno.label(s.label.as_str())
                            .legend(move |(x, y)| Circle::new((x + 9, y), 4, color.filled()));
                    }
                }
            }
            let position = match chart.legend {
                Legend::UpperRight => Some(SeriesLabelPosition::UpperRight),
                Legend::UpperLeft => Some(SeriesLabelPosition::UpperLeft),
                Legend::LowerLeft => Some(SeriesLabelPosition::LowerLeft),
                Legend::LowerRight => Some(SeriesLabelPosition::LowerRight),
                Legend::Hidden => None,
            };
            if let Some(position) =
                position.filter(|_| chart.series.iter().any(|s| !s.label.is_empty()))
            {
                ctx.configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .position(position)
                    .draw()
                    .map_err(|e| err(&e))?;
            }
        }
        root.present().map_err(|e| err(&e))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(x_log: bool) -> Chart {
        Chart {
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            x_log,
            y_log: true,
            series: vec![Series::new("a", vec![(1e-3, 1.0), (1e-1, 100.0)])],
            legend: Legend::default(),
        }
    }

    #[test]
    fn draws_log_axes_deterministically() {
        let a = svg("f", &[chart(true), chart(false)], 400, 300).unwrap();
        let b = svg("f", &[chart(true), chart(false)], 400, 300).unwrap();
        assert_eq!(a, b);
        assert!(a.starts_with("<svg"));
        assert!(
            a.contains("1e-2"),
            "log tick labels are written as powers of ten"
        );
    }

    #[test]
    fn refuses_nonpositive_values_on_log_axes() {
        let mut c = chart(true);
        c.series[0].points.push((0.0, 1.0));
        assert!(matches!(
            svg("f", &[c], 400, 300),
            Err(ExperimentError::Plot { .. })
        ));
        let mut c = chart(false);
        c.series[0].points.push((f64::NAN, 1.0));
        assert!(matches!(
            svg("f", &[c], 400, 300),
            Err(ExperimentError::Plot { .. })
        ));
    }
}
