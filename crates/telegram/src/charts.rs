//! The standup's picture, drawn in Rust: spend per agent against its daily cap, and tasks per
//! status, as a PNG for `sendPhoto`. The font is embedded (DejaVu Sans, see
//! `assets/fonts/DejaVuSans-LICENSE.txt`) so the image looks the same on any host.

use anyhow::Context;
use mc_core::model::notice::BarChart;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::sync::Once;

const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const WIDTH: u32 = 1000;
const HEIGHT: u32 = 640;
/// Room under the spend bars for the note on the agents left out.
const NOTE_HEIGHT: u32 = 26;

/// What the chart shows; every label is already in the chat's language.
#[derive(Debug, Clone, Default)]
pub struct StandupChart {
    pub title: String,
    pub spend_title: String,
    pub tasks_title: String,
    /// (agent, spent today $, daily cap $); at most [`MAX_AGENT_BARS`] of them are drawn, the
    /// biggest spenders.
    pub agents: Vec<(String, f64, f64)>,
    /// A line under the spend bars about the agents left out (e.g. "…and 988 more agents:
    /// $12.40 of $1976.00"), when there are any.
    pub agents_note: Option<String>,
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

/// How many agents get a bar: more would not be readable in the chart's width.
pub const MAX_AGENT_BARS: usize = 12;

/// The agents drawn, in order: the biggest spenders (ties by name), at most [`MAX_AGENT_BARS`].
pub fn agent_bars(chart: &StandupChart) -> Vec<(String, f64, f64)> {
    biggest(chart.agents.clone(), |a| (&a.0, a.1))
}

/// The [`MAX_AGENT_BARS`] biggest of `bars` by the value `key` gives, ties by name.
fn biggest<T>(mut bars: Vec<T>, key: impl Fn(&T) -> (&String, f64)) -> Vec<T> {
    bars.sort_by(|a, b| {
        let ((a_name, a_value), (b_name, b_value)) = (key(a), key(b));
        b_value.total_cmp(&a_value).then_with(|| a_name.cmp(b_name))
    });
    bars.truncate(MAX_AGENT_BARS);
    bars
}

/// `area` with `note` written in a strip under it (when there is one); the part above it.
fn with_note<'a>(area: DrawingArea<BitMapBackend<'a>, Shift>, note: Option<&str>) -> anyhow::Result<DrawingArea<BitMapBackend<'a>, Shift>> {
    let Some(note) = note.filter(|n| !n.trim().is_empty()) else {
        return Ok(area);
    };
    let (upper, under) = area.split_vertically(area.dim_in_pixel().1.saturating_sub(NOTE_HEIGHT));
    under
        .draw_text(note, &("sans-serif", 14).into_font().color(&BLACK), (60, 4))
        .map_err(draw_error)?;
    Ok(upper)
}

/// Draws the chart: a bar per agent of [`agent_bars`], with the note on the others under them.
pub fn standup_png(chart: &StandupChart) -> anyhow::Result<Vec<u8>> {
    register_font();
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let base = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        base.fill(&WHITE).map_err(draw_error)?;
        let root = base.titled(&chart.title, ("sans-serif", 26)).map_err(draw_error)?;
        let (left, right) = root.split_horizontally(WIDTH * 3 / 5);
        let left = with_note(left, chart.agents_note.as_deref())?;

        let agents = agent_bars(chart);
        let top = agents.iter().map(|a| a.1.max(a.2)).fold(1.0_f64, f64::max) * 1.1;
        let mut spend = ChartBuilder::on(&left)
            .caption(&chart.spend_title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(100)
            .y_label_area_size(50)
            .build_cartesian_2d((0..agents.len().saturating_sub(1)).into_segmented(), 0.0..top)
            .map_err(draw_error)?;
        // Upright names of a dozen agents would run into each other: they are drawn turned,
        // cut to what the label area holds.
        let names: Vec<String> = agents.iter().map(|a| clip(&a.0, LABEL_CHARS)).collect();
        spend
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(GRID_LIGHT)
            .bold_line_style(GRID)
            .x_labels(agents.len().max(1))
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|y| format!("${y:.0}"))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(draw_error)?;
        // The mesh would centre a turned label on its bar and hide half of it behind the bars:
        // each name starts under its bar and runs down.
        let turned = ("sans-serif", 13)
            .into_font()
            .transform(FontTransform::Rotate90)
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        for (i, name) in names.iter().enumerate() {
            let (x, y) = spend.backend_coord(&(SegmentValue::CenterOf(i), 0.0));
            base.draw_text(name, &turned, (x, y + 8)).map_err(draw_error)?;
        }
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
            .light_line_style(GRID_LIGHT)
            .bold_line_style(GRID)
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

/// Draws a bar chart (`/costs`): a bar per entry, the biggest first (at most
/// [`MAX_AGENT_BARS`]), dollars on the axis, names turned under the bars, the note beneath.
pub fn bars_png(chart: &BarChart) -> anyhow::Result<Vec<u8>> {
    register_font();
    let bars = biggest(chart.bars.clone(), |b| (&b.0, b.1));
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let base = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        base.fill(&WHITE).map_err(draw_error)?;
        let root = base.titled(&chart.title, ("sans-serif", 26)).map_err(draw_error)?;
        let area = with_note(root, chart.note.as_deref())?;
        let top = bars.iter().map(|b| b.1).fold(0.01_f64, f64::max) * 1.15;
        let mut plot = ChartBuilder::on(&area)
            .caption(&chart.axis, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(110)
            .y_label_area_size(70)
            .build_cartesian_2d((0..bars.len().saturating_sub(1)).into_segmented(), 0.0..top)
            .map_err(draw_error)?;
        plot.configure_mesh()
            .disable_x_mesh()
            .light_line_style(GRID_LIGHT)
            .bold_line_style(GRID)
            .x_labels(bars.len().max(1))
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|y| if top < 5.0 { format!("${y:.2}") } else { format!("${y:.0}") })
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(draw_error)?;
        let turned = ("sans-serif", 13)
            .into_font()
            .transform(FontTransform::Rotate90)
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        for (i, (name, _)) in bars.iter().enumerate() {
            let (x, y) = plot.backend_coord(&(SegmentValue::CenterOf(i), 0.0));
            base.draw_text(&clip(name, LABEL_CHARS), &turned, (x, y + 8)).map_err(draw_error)?;
        }
        plot.draw_series(bars.iter().enumerate().map(|(i, (_, dollars))| {
            let mut bar = Rectangle::new(
                [(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), *dollars)],
                RGBColor(40, 120, 200).filled(),
            );
            bar.set_margin(0, 0, 10, 10);
            bar
        }))
        .map_err(draw_error)?;
        base.present().map_err(draw_error)?;
    }
    encode_png(&rgb)
}

/// Gridlines: light enough that the bars stand out.
const GRID: RGBColor = RGBColor(215, 215, 215);
const GRID_LIGHT: RGBColor = RGBColor(240, 240, 240);

/// The characters of an agent's name that fit under its bar.
const LABEL_CHARS: usize = 14;

fn clip(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        return name.to_string();
    }
    let mut cut: String = name.chars().take(max - 1).collect();
    cut.push('…');
    cut
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
                agents_note: None,
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

    #[test]
    fn a_thousand_agents_draw_the_top_spenders_and_a_note() {
        let chart = StandupChart {
            title: "Big squad — standup 2026-03-02".into(),
            spend_title: "Spend today vs cap".into(),
            tasks_title: "Tasks".into(),
            agents: (0..1000)
                .map(|i| {
                    // One of the biggest spenders has a name too long for its label: it is cut.
                    let name = if i == 96 {
                        "a-very-long-agent-name-indeed".to_string()
                    } else {
                        format!("agent-{i:04}")
                    };
                    (name, (i % 97) as f64 / 10.0, 10.0)
                })
                .collect(),
            agents_note: Some("…and 988 more agents: $3100.00 of $9880.00".into()),
            statuses: vec![("inbox".into(), 400), ("done".into(), 600)],
        };
        let bars = agent_bars(&chart);
        assert_eq!(bars.len(), MAX_AGENT_BARS);
        assert_eq!(
            bars[0],
            ("a-very-long-agent-name-indeed".to_string(), 9.6, 10.0),
            "the biggest spender first"
        );
        assert_eq!(clip(&bars[0].0, LABEL_CHARS), "a-very-long-a…");
        assert!(bars.windows(2).all(|w| w[0].1 >= w[1].1));
        let png = standup_png(&chart).unwrap();
        let reader = png::Decoder::new(std::io::Cursor::new(&png)).read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (WIDTH, HEIGHT));
    }
}
