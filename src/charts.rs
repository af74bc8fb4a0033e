//! The standup's picture, drawn in Rust: spend per agent against its daily cap, and tasks per
//! status, as a PNG for `sendPhoto`. The font is embedded (DejaVu Sans, see
//! `assets/fonts/DejaVuSans-LICENSE.txt`) so the image looks the same on any host.

use anyhow::Context;
use plotters::prelude::*;
use std::sync::Once;

const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const WIDTH: u32 = 1000;
const HEIGHT: u32 = 640;

/// What the chart shows; every label is already in the chat's language.
#[derive(Debug, Clone, Default)]
pub struct StandupChart {
    pub title: String,
    pub spend_title: String,
    pub tasks_title: String,
    /// (agent, spent today $, daily cap $)
    pub agents: Vec<(String, f64, f64)>,
    /// (status label, count)
    pub statuses: Vec<(String, u64)>,
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in; failing to parse it is a build defect, caught by the tests.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Draws the chart; at most 12 agents (the biggest spenders) so bars stay readable.
pub fn standup_png(chart: &StandupChart) -> anyhow::Result<Vec<u8>> {
    register_font();
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        let root = root.titled(&chart.title, ("sans-serif", 26)).map_err(draw_error)?;
        let (left, right) = root.split_horizontally(WIDTH * 3 / 5);

        let mut agents = chart.agents.clone();
        agents.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        agents.truncate(12);
        let top = agents.iter().map(|a| a.1.max(a.2)).fold(1.0_f64, f64::max) * 1.1;
        let mut spend = ChartBuilder::on(&left)
            .caption(&chart.spend_title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(70)
            .y_label_area_size(50)
            .build_cartesian_2d((0..agents.len().saturating_sub(1)).into_segmented(), 0.0..top)
            .map_err(draw_error)?;
        let names: Vec<String> = agents.iter().map(|a| a.0.clone()).collect();
        spend
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(agents.len().max(1))
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_label_formatter(&|y| format!("${y:.0}"))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(draw_error)?;
        spend
            .draw_series(agents.iter().enumerate().map(|(i, (_, spent, cap))| {
                let colour = if *spent >= *cap {
                    RED
                } else if *spent >= cap * 0.8 {
                    RGBColor(230, 150, 0)
                } else {
                    RGBColor(40, 120, 200)
                };
                let mut bar = Rectangle::new(
                    [(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), *spent)],
                    colour.filled(),
                );
                bar.set_margin(0, 0, 10, 10);
                bar
            }))
            .map_err(draw_error)?;
        spend
            .draw_series(agents.iter().enumerate().map(|(i, (_, _, cap))| {
                PathElement::new(
                    vec![(SegmentValue::Exact(i), *cap), (SegmentValue::Exact(i + 1), *cap)],
                    BLACK.stroke_width(3),
                )
            }))
            .map_err(draw_error)?;

        let max_tasks = chart.statuses.iter().map(|s| s.1).max().unwrap_or(0).max(1);
        let mut tasks = ChartBuilder::on(&right)
            .caption(&chart.tasks_title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(120)
            .build_cartesian_2d(
                0u64..max_tasks + max_tasks / 10 + 1,
                (0..chart.statuses.len().saturating_sub(1)).into_segmented(),
            )
            .map_err(draw_error)?;
        let labels: Vec<String> = chart.statuses.iter().map(|s| s.0.clone()).collect();
        tasks
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(chart.statuses.len().max(1))
            .y_label_formatter(&|y| match y {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(draw_error)?;
        tasks
            .draw_series(chart.statuses.iter().enumerate().map(|(i, (_, n))| {
                let mut bar = Rectangle::new(
                    [(0, SegmentValue::Exact(i)), (*n, SegmentValue::Exact(i + 1))],
                    RGBColor(90, 170, 90).filled(),
                );
                bar.set_margin(8, 8, 0, 0);
                bar
            }))
            .map_err(draw_error)?;
        root.present().map_err(draw_error)?;
    }
    encode_png(&rgb)
}

fn draw_error<E: std::fmt::Debug>(err: E) -> anyhow::Error {
    anyhow::anyhow!("drawing the standup chart: {err:?}")
}

fn encode_png(rgb: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().context("writing the PNG header")?;
    writer.write_image_data(rgb).context("writing the PNG")?;
    writer.finish().context("finishing the PNG")?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_valid_png_even_when_empty() {
        for chart in [
            StandupChart::default(),
            StandupChart {
                title: "OpenClaw — standup 2026-03-02".into(),
                spend_title: "Spend today vs cap".into(),
                tasks_title: "Tasks".into(),
                agents: vec![("Scout".into(), 1.7, 2.0), ("Sofie".into(), 30.0, 25.0), ("Pixel".into(), 0.0, 5.0)],
                statuses: vec![("inbox".into(), 4), ("in progress".into(), 2), ("done".into(), 11)],
            },
        ] {
            let png = standup_png(&chart).unwrap();
            if let Ok(path) = std::env::var("MC_WRITE_CHART") {
                std::fs::write(path, &png).unwrap();
            }
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
            let decoder = png::Decoder::new(std::io::Cursor::new(&png));
            let reader = decoder.read_info().unwrap();
            assert_eq!((reader.info().width, reader.info().height), (WIDTH, HEIGHT));
        }
    }
}
