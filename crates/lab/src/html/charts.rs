//! The report's charts, drawn by `plotters` into inline SVG: axes with ticks, units and titles,
//! legends. Each function returns the SVG markup, or a short note when there is nothing to draw.

use plotters::prelude::*;

use crate::format::duration;
use crate::stats::{Summary, percentile};

/// This run's colour, the baseline's, the reference's, and the median marker's.
pub(super) const NOW: RGBColor = RGBColor(0x4a, 0x7b, 0xd0);
pub(super) const THEN: RGBColor = RGBColor(0x99, 0x99, 0x99);
const REFERENCE: RGBColor = RGBColor(0xe0, 0x8a, 0x1e);
pub(super) const MEDIAN: RGBColor = RGBColor(0xcc, 0x00, 0x00);

/// A time unit for an axis: nanoseconds divided by `per` read in `name`.
#[derive(Debug, Clone, Copy)]
struct TimeUnit {
    per: f64,
    name: &'static str,
}

impl TimeUnit {
    /// The unit in which `ns` reads between 1 and 1000.
    fn for_ns(ns: f64) -> Self {
        let (per, name) = if ns >= 1e9 {
            (1e9, "s")
        } else if ns >= 1e6 {
            (1e6, "ms")
        } else if ns >= 1e3 {
            (1e3, "µs")
        } else {
            (1.0, "ns")
        };
        Self { per, name }
    }
}

/// Draws with `draw` on an SVG of `size`; a drawing error becomes a note instead of a chart.
pub(super) fn svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), String>,
) -> String {
    let mut out = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(|e| e.to_string()))
    };
    match result {
        Ok(()) => out,
        Err(e) => format!("<p class=\"note\">(chart not drawn: {e})</p>"),
    }
}

/// The range a histogram shows: the samples without Tukey's far outliers (beyond 3 IQR), so
/// that one slow sample does not squeeze the rest into one bar. Returns the range and how many
/// samples fall outside it.
pub fn shown_range(sorted: &[f64]) -> (f64, f64, usize) {
    let (q1, q3) = (percentile(sorted, 25.0), percentile(sorted, 75.0));
    let iqr = q3 - q1;
    let lo = sorted[0].max(q1 - 3.0 * iqr);
    let hi = sorted[sorted.len() - 1].min(q3 + 3.0 * iqr);
    let cut = sorted.iter().filter(|&&v| v < lo || v > hi).count();
    (lo, hi, cut)
}

/// Counts of `values` in `bins` equal bins over `[lo, hi]` (values outside are not counted).
fn bin(values: &[f64], lo: f64, hi: f64, bins: usize) -> Vec<usize> {
    let width = (hi - lo).max(hi.abs() * 1e-9).max(1e-12);
    let mut counts = vec![0; bins];
    for &v in values {
        if (lo..=hi).contains(&v) {
            counts[(((v - lo) / width) * bins as f64).min(bins as f64 - 1.0) as usize] += 1;
        }
    }
    counts
}

/// The latency distribution of this run, with the baseline's overlaid when given (both as
/// shares of their samples, so runs of different sizes compare), the median marked, far
/// outliers cut and counted in the caption.
pub fn distribution(now: &[f64], then: Option<&[f64]>) -> String {
    let Some(summary) = Summary::of(now) else {
        return String::new();
    };
    let mut all: Vec<f64> = now.iter().chain(then.unwrap_or(&[])).copied().collect();
    all.sort_by(f64::total_cmp);
    let (lo, hi, cut) = shown_range(&all);
    let unit = TimeUnit::for_ns(hi);
    const BINS: usize = 30;
    let share = |values: &[f64]| -> Vec<f64> {
        bin(values, lo, hi, BINS)
            .into_iter()
            .map(|c| c as f64 / values.len().max(1) as f64 * 100.0)
            .collect()
    };
    let now_share = share(now);
    let then_share = then.map(share);
    let top = now_share
        .iter()
        .chain(then_share.iter().flatten())
        .copied()
        .fold(1.0, f64::max)
        * 1.1;
    let caption = if cut > 0 {
        format!("latency ({cut} far outliers not shown)")
    } else {
        "latency".to_owned()
    };
    let step = (hi - lo).max(1e-12) / BINS as f64 / unit.per;
    let x0 = lo / unit.per;
    svg((460, 240), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(caption, ("sans-serif", 14))
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(44)
            .build_cartesian_2d(x0..x0 + step * BINS as f64, 0.0..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(format!("time per call ({})", unit.name))
            .y_desc("% of samples")
            .x_labels(6)
            .y_labels(5)
            .disable_x_mesh()
            .draw()
            .map_err(|e| e.to_string())?;
        let bars = |shares: &[f64], color: RGBColor| {
            shares
                .iter()
                .enumerate()
                .map(|(i, &p)| {
                    let x = x0 + step * i as f64;
                    Rectangle::new([(x, 0.0), (x + step * 0.95, p)], color.mix(0.55).filled())
                })
                .collect::<Vec<_>>()
        };
        if let (Some(shares), Some(then)) = (&then_share, then) {
            chart
                .draw_series(bars(shares, THEN))
                .map_err(|e| e.to_string())?
                .label(format!("baseline (n={})", then.len()))
                .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], THEN.filled()));
        }
        chart
            .draw_series(bars(&now_share, NOW))
            .map_err(|e| e.to_string())?
            .label(format!("this run (n={})", now.len()))
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], NOW.filled()));
        let m = summary.median / unit.per;
        chart
            .draw_series(LineSeries::new(
                [(m, 0.0), (m, top)],
                MEDIAN.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label(format!("median {}", duration(summary.median)))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 12, y)], MEDIAN.stroke_width(2)));
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// Every sample in the order it was taken: drift, warm-up effects and bursts of noise show as
/// trends or steps.
pub fn over_time(ns: &[f64]) -> String {
    let Some(summary) = Summary::of(ns) else {
        return String::new();
    };
    let unit = TimeUnit::for_ns(summary.max);
    let (lo, hi) = (summary.min / unit.per, summary.max / unit.per);
    let pad = ((hi - lo) * 0.1).max(hi * 1e-6).max(1e-9);
    svg((460, 240), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("samples in the order taken", ("sans-serif", 14))
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(52)
            .build_cartesian_2d(0.0..ns.len().max(2) as f64 - 1.0, (lo - pad)..(hi + pad))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("sample")
            .y_desc(format!("time per call ({})", unit.name))
            .x_labels(6)
            .y_labels(5)
            .draw()
            .map_err(|e| e.to_string())?;
        let points: Vec<(f64, f64)> = ns
            .iter()
            .enumerate()
            .map(|(i, &v)| (i as f64, v / unit.per))
            .collect();
        chart
            .draw_series(LineSeries::new(points.iter().copied(), NOW.mix(0.5)))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 2, NOW.filled())))
            .map_err(|e| e.to_string())?
            .label("sample")
            .legend(|(x, y)| Circle::new((x + 6, y), 3, NOW.filled()));
        let m = summary.median / unit.per;
        chart
            .draw_series(LineSeries::new(
                [(0.0, m), (ns.len() as f64 - 1.0, m)],
                MEDIAN.stroke_width(1),
            ))
            .map_err(|e| e.to_string())?
            .label("median")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 12, y)], MEDIAN));
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// One scaling series: (input size, throughput per second) points.
pub struct Series {
    /// The legend's label.
    pub label: String,
    /// Points sorted by input size.
    pub points: Vec<(f64, f64)>,
}

/// Throughput against input size on a log axis, ours beside the reference's where the
/// reference was measured at the same sizes.
pub fn scaling(group: &str, unit: &str, ours: &Series, reference: Option<&Series>) -> String {
    let xs = ours
        .points
        .iter()
        .chain(reference.map_or(&[][..], |r| &r.points));
    let (x_lo, x_hi) = xs
        .clone()
        .fold((f64::MAX, 0.0f64), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let y_hi = xs.map(|p| p.1).fold(0.0, f64::max) * 1.15;
    let (scale, prefix) = si_prefix(y_hi);
    svg((560, 280), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("{group}: throughput against input size"),
                ("sans-serif", 14),
            )
            .margin(10)
            .x_label_area_size(38)
            .y_label_area_size(60)
            .build_cartesian_2d(
                (x_lo.max(1.0)..x_hi.max(2.0) * 1.05).log_scale(),
                0.0..y_hi / scale,
            )
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("input size (log scale)")
            .y_desc(format!("throughput ({prefix}{unit}/s)"))
            .y_labels(6)
            .draw()
            .map_err(|e| e.to_string())?;
        let mut draw = |series: &Series, color: RGBColor| -> Result<(), String> {
            let points: Vec<(f64, f64)> =
                series.points.iter().map(|&(x, y)| (x, y / scale)).collect();
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?
                .label(series.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 14, y)], color.stroke_width(2))
                });
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(|e| e.to_string())?;
            Ok(())
        };
        draw(ours, NOW)?;
        if let Some(reference) = reference {
            draw(reference, REFERENCE)?;
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// Draws a chart's legend (its series' labels) at `position`, on a translucent box.
pub(super) fn legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(position)
        .draw()
        .map_err(|e| e.to_string())
}

/// A divisor and SI prefix that keep `value` below a thousand.
fn si_prefix(value: f64) -> (f64, &'static str) {
    if value >= 1e9 {
        (1e9, "G ")
    } else if value >= 1e6 {
        (1e6, "M ")
    } else if value >= 1e3 {
        (1e3, "k ")
    } else {
        (1.0, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn far_outliers_are_cut_and_counted() {
        let mut samples: Vec<f64> = (0..100).map(|i| 100.0 + f64::from(i % 10)).collect();
        samples.push(1e6);
        samples.sort_by(f64::total_cmp);
        let (lo, hi, cut) = shown_range(&samples);
        assert_eq!(cut, 1);
        assert!(lo >= 100.0 && hi < 200.0, "{lo}..{hi}");
    }

    #[test]
    fn charts_have_axes_titles_and_legends() {
        let now: Vec<f64> = (0..50).map(|i| 1000.0 + f64::from(i * 7 % 30)).collect();
        let then: Vec<f64> = (0..40).map(|i| 1100.0 + f64::from(i * 5 % 30)).collect();
        let svg = distribution(&now, Some(&then));
        for needle in [
            "<svg",
            "time per call (µs)",
            "% of samples",
            "this run (n=50)",
            "baseline (n=40)",
            "median",
        ] {
            assert!(svg.contains(needle), "distribution lacks {needle:?}");
        }
        let svg = over_time(&now);
        assert!(
            svg.contains("sample") && svg.contains("<polyline"),
            "over time"
        );
        let ours = Series {
            label: "ours".into(),
            points: vec![(64.0, 1e6), (1024.0, 2e6)],
        };
        let reference = Series {
            label: "reference".into(),
            points: vec![(64.0, 1.5e6), (1024.0, 3e6)],
        };
        let svg = scaling("g", "bytes", &ours, Some(&reference));
        for needle in [
            "input size (log scale)",
            "throughput (M bytes/s)",
            ">\nours\n<",
            ">\nreference\n<",
        ] {
            assert!(svg.contains(needle), "scaling lacks {needle:?}");
        }
    }
}
