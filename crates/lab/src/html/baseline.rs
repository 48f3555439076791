//! The run against its baseline as one chart: per benchmark, both 95% intervals of the median
//! as a share of the baseline median, coloured by verdict, with the threshold drawn.

use plotters::prelude::*;

use super::charts::{MEDIAN, NOW, THEN, legend, svg};
use crate::compare::{Change, Comparison, Verdict};

/// The 95% intervals of a change, as percentages of the baseline median.
pub struct Intervals {
    /// The baseline's interval.
    pub then: (f64, f64),
    /// This run's interval and median.
    pub now: (f64, f64, f64),
}

/// Each benchmark against its baseline: the baseline's 95% interval of the median (grey) and this
/// run's (coloured by verdict, the median a dot), as a percentage of the baseline median, with the
/// threshold drawn. Benchmarks without intervals are left out.
pub fn baseline(comparison: &Comparison, intervals: &[(Change, Intervals)]) -> String {
    if intervals.is_empty() {
        return String::new();
    }
    let lo = intervals
        .iter()
        .map(|(_, i)| i.then.0.min(i.now.0))
        .fold(100.0, f64::min)
        .max(0.0)
        * 0.95;
    let hi = intervals
        .iter()
        .map(|(_, i)| i.then.1.max(i.now.1))
        .fold(100.0 + comparison.threshold_pct, f64::max)
        .min(400.0)
        * 1.05;
    let rows = intervals.len();
    let height = 90 + 24 * rows as u32;
    let ids: Vec<String> = intervals.iter().map(|(c, _)| c.id.clone()).collect();
    svg((900, height), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                "this run against the baseline (95% intervals of the median)",
                ("sans-serif", 14),
            )
            .margin(10)
            .x_label_area_size(38)
            .y_label_area_size(300)
            .build_cartesian_2d(lo..hi, -0.5..rows as f64 - 0.5)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("% of the baseline median")
            .y_labels(rows)
            .y_label_formatter(&|&y| row_label(&ids, y))
            .disable_y_mesh()
            .draw()
            .map_err(|e| e.to_string())?;
        let y_of = |i: usize| row_y(rows, i);
        chart
            .draw_series(intervals.iter().enumerate().map(|(i, (_, iv))| {
                let y = y_of(i) + 0.18;
                Rectangle::new(
                    [(iv.then.0, y - 0.08), (iv.then.1, y + 0.08)],
                    THEN.filled(),
                )
            }))
            .map_err(|e| e.to_string())?
            .label("baseline")
            .legend(|(x, y)| Rectangle::new([(x, y - 3), (x + 12, y + 3)], THEN.filled()));
        chart
            .draw_series(intervals.iter().enumerate().map(|(i, (c, iv))| {
                let y = y_of(i) - 0.18;
                Rectangle::new(
                    [(iv.now.0, y - 0.08), (iv.now.1, y + 0.08)],
                    verdict_color(c).filled(),
                )
            }))
            .map_err(|e| e.to_string())?
            .label("this run")
            .legend(|(x, y)| Rectangle::new([(x, y - 3), (x + 12, y + 3)], NOW.filled()));
        chart
            .draw_series(intervals.iter().enumerate().map(|(i, (c, iv))| {
                Circle::new((iv.now.2, y_of(i) - 0.18), 4, verdict_color(c).filled())
            }))
            .map_err(|e| e.to_string())?;
        let threshold = 100.0 + comparison.threshold_pct;
        for (x, style) in [
            (100.0, BLACK.stroke_width(1)),
            (threshold, MEDIAN.stroke_width(1)),
        ] {
            chart
                .draw_series(LineSeries::new([(x, -0.5), (x, rows as f64 - 0.5)], style))
                .map_err(|e| e.to_string())?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// The y of the `k`-th row from the top, of `rows`.
fn row_y(rows: usize, k: usize) -> f64 {
    (rows - 1 - k) as f64
}

/// The label of the row drawn at `y` (empty between rows): the inverse of [`row_y`].
fn row_label(ids: &[String], y: f64) -> String {
    let at = y.round();
    if (y - at).abs() > 1e-6 || at < 0.0 || at as usize >= ids.len() {
        return String::new();
    }
    ids[ids.len() - 1 - at as usize].clone()
}

/// Red for a regression, green for faster, blue otherwise.
fn verdict_color(change: &Change) -> RGBColor {
    if change.regression {
        MEDIAN
    } else if change.verdict == Verdict::Faster {
        RGBColor(0x22, 0xaa, 0x22)
    } else {
        NOW
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_baseline_row_is_labelled_with_its_own_benchmark() {
        let ids: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        for (k, id) in ids.iter().enumerate() {
            assert_eq!(&row_label(&ids, row_y(ids.len(), k)), id);
        }
        assert_eq!(row_label(&ids, 0.5), "");
        assert_eq!(row_label(&ids, 3.0), "");
    }
}
