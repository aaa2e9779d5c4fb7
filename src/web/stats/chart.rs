//! Bar charts drawn on the server as plain SVG (`templates/stats/chart.html`): the geometry is
//! computed here, the template only writes the numbers out. No JavaScript, no inline style (the
//! CSP forbids it): colours are SVG presentation attributes. Every chart stands beside its data
//! table and a text summary; the SVG itself is `role="img"` with a title.
//!
//! A value that a narrow view does not show exactly ("< 5", "≥ 5") is drawn as a dashed, unfilled
//! bar up to 5, so that it is neither hidden nor given a height it may not have; a figure not
//! shown at all (a median over fewer than 5 cases) is not drawn.

/// Series colours: each at least 5:1 against the white page (WCAG 1.4.11 asks 3:1), and the bars
/// stand apart with white between them.
pub const COLOURS: [&str; 3] = ["#00507a", "#b04a00", "#2e6b30"];

/// A value as a chart draws it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Exact(f64),
    /// Not shown exactly (a hidden small count, or a total that would give one away): a dashed
    /// outline up to the threshold.
    Inexact,
    /// Not shown at all.
    Missing,
}

pub struct Series {
    pub name: String,
    pub values: Vec<Value>,
}

pub struct Bar {
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
    pub colour: &'static str,
    pub dashed: bool,
}

pub struct Tick {
    pub y: String,
    pub label: String,
}

pub struct XLabel {
    pub x: String,
    pub text: String,
}

pub struct Legend {
    pub x: String,
    pub text_x: String,
    pub colour: &'static str,
    pub name: String,
}

/// A chart ready for the template.
pub struct Chart {
    /// Unique on the page: ids of the title and the summary.
    pub id: String,
    pub title: String,
    pub width: u32,
    pub height: u32,
    pub left: String,
    pub right: String,
    pub top: String,
    pub bottom: String,
    pub axis_label: String,
    pub bars: Vec<Bar>,
    pub ticks: Vec<Tick>,
    pub labels: Vec<XLabel>,
    pub label_y: String,
    pub legend: Vec<Legend>,
    /// Some bar is dashed: the legend explains it.
    pub has_inexact: bool,
    pub inexact_note: String,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 56.0;
const BOTTOM: f64 = 36.0;

fn n(v: f64) -> String {
    format!("{:.1}", v)
}

/// A round step for about five ticks up to `max`.
fn step_for(max: f64) -> f64 {
    let raw = (max / 5.0).max(f64::MIN_POSITIVE);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
}

/// Lays out a grouped bar chart: one group per category (month), one bar per series.
/// `threshold` is the height of an inexact bar; `number` formats an axis value in the page's
/// language; `integers` keeps the ticks whole (counts).
#[allow(clippy::too_many_arguments)]
pub fn bars(
    id: &str,
    title: String,
    axis_label: String,
    categories: &[String],
    series: Vec<Series>,
    threshold: f64,
    integers: bool,
    number: impl Fn(f64) -> String,
    inexact_note: String,
) -> Chart {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let bottom = HEIGHT - BOTTOM;
    let has_inexact = series.iter().any(|s| s.values.contains(&Value::Inexact));
    let mut max = series
        .iter()
        .flat_map(|s| s.values.iter())
        .filter_map(|v| match v {
            Value::Exact(x) => Some(*x),
            Value::Inexact => Some(threshold),
            Value::Missing => None,
        })
        .fold(0.0f64, f64::max);
    if max <= 0.0 {
        max = if integers { 5.0 } else { 1.0 };
    }
    let mut step = step_for(max);
    if integers {
        step = step.max(1.0).round();
    }
    let top_value = (max / step).ceil() * step;
    let scale = |v: f64| plot_h * v / top_value;
    let ticks = (0..)
        .map(|i| i as f64 * step)
        .take_while(|v| *v <= top_value + step / 2.0)
        .map(|v| Tick {
            y: n(bottom - scale(v)),
            label: number(v),
        })
        .collect();
    let groups = categories.len().max(1) as f64;
    let gw = plot_w / groups;
    let k = series.len().max(1) as f64;
    let bw = (gw * 0.8 / k).max(0.5);
    let gap = if bw > 3.0 { 1.0 } else { 0.0 };
    let mut bars = vec![];
    for (j, s) in series.iter().enumerate() {
        let colour = COLOURS[j % COLOURS.len()];
        for (i, v) in s.values.iter().enumerate() {
            let (value, dashed) = match v {
                Value::Exact(x) => (*x, false),
                Value::Inexact => (threshold, true),
                Value::Missing => continue,
            };
            let h = scale(value.max(0.0));
            let x = LEFT + i as f64 * gw + gw * 0.1 + j as f64 * bw;
            bars.push(Bar {
                x: n(x + gap / 2.0),
                y: n(bottom - h),
                w: n((bw - gap).max(0.5)),
                h: n(h),
                colour,
                dashed,
            });
        }
    }
    // About twelve labels at most, so that they never overlap.
    let every = categories.len().div_ceil(12).max(1);
    let labels = categories
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, c)| XLabel {
            x: n(LEFT + (i as f64 + 0.5) * gw),
            text: c.clone(),
        })
        .collect();
    let mut legend = vec![];
    let mut x = LEFT;
    for (j, s) in series.iter().enumerate() {
        legend.push(Legend {
            x: n(x),
            text_x: n(x + 18.0),
            colour: COLOURS[j % COLOURS.len()],
            name: s.name.clone(),
        });
        x += 30.0 + 7.0 * s.name.chars().count() as f64;
    }
    Chart {
        id: id.to_string(),
        title,
        width: WIDTH as u32,
        height: HEIGHT as u32,
        left: n(LEFT),
        right: n(WIDTH - RIGHT),
        top: n(TOP),
        bottom: n(bottom),
        axis_label,
        bars,
        ticks,
        labels,
        label_y: n(bottom + 18.0),
        legend,
        has_inexact,
        inexact_note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round() {
        assert_eq!(step_for(10.0), 2.0);
        assert_eq!(step_for(7.0), 2.0);
        assert_eq!(step_for(130.0), 50.0);
        assert_eq!(step_for(0.9), 0.2);
    }

    #[test]
    fn bars_are_scaled_and_inexact_ones_dashed() {
        let c = bars(
            "x",
            "T".into(),
            "n".into(),
            &["2026-01".into(), "2026-02".into()],
            vec![Series {
                name: "A".into(),
                values: vec![Value::Exact(10.0), Value::Inexact],
            }],
            5.0,
            true,
            |v| format!("{v}"),
            String::new(),
        );
        assert_eq!(c.bars.len(), 2);
        // 10 reaches the top of the plot (the axis ends at 10), 5 half of it.
        let h: Vec<f64> = c.bars.iter().map(|b| b.h.parse().unwrap_or(0.0)).collect();
        assert!((h[0] - 2.0 * h[1]).abs() < 0.2, "{h:?}");
        assert!(!c.bars[0].dashed && c.bars[1].dashed);
        assert!(c.has_inexact);
        assert_eq!(c.ticks.first().map(|t| t.label.as_str()), Some("0"));
        assert_eq!(c.ticks.last().map(|t| t.label.as_str()), Some("10"));
        let empty = bars(
            "y",
            "T".into(),
            "n".into(),
            &[],
            vec![],
            5.0,
            true,
            |v| format!("{v}"),
            String::new(),
        );
        assert!(empty.bars.is_empty());
    }
}
