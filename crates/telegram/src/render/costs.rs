//! `/costs [today|month]`: what the project spent this UTC day or calendar month, by agent and
//! by model, as text and as a bar chart like the standup's. An unpriced model's runs say
//! "unpriced", never $0.

use super::{count, money, plain};
use mc_core::app::costs::CostSummary;
use mc_core::model::notice::BarChart;
use mc_domain::i18n::{text, Lang};
use mc_domain::{BudgetPeriod, CostGrouping};

/// Lines listed per grouping; the rest are summed in one "…and N more".
pub const COST_LINES: usize = 10;

/// The answer's text (HTML) and chart, from the same summaries (by agent and by model).
pub fn costs(lang: Lang, project: &str, by_agent: &CostSummary, by_model: &CostSummary) -> (String, BarChart) {
    let title = lang.ta(
        match by_agent.period {
            BudgetPeriod::Day => "bot-costs-title-today",
            BudgetPeriod::Month => "bot-costs-title-month",
        },
        &[
            ("project", text(project)),
            ("since", plain(&by_agent.from.format("%Y-%m-%d").to_string())),
        ],
    );
    let mut out = format!("<b>{title}</b>\n");
    out.push_str(&lang.ta(
        "bot-costs-total",
        &[
            ("total", money(by_agent.total)),
            ("runs", count(by_agent.runs as f64)),
            ("tokens", count(by_agent.tokens as f64)),
            ("unpriced", count(by_agent.unpriced_runs as f64)),
        ],
    ));
    if by_agent.runs == 0 {
        out.push('\n');
        out.push_str(&lang.t("bot-costs-none"));
    } else {
        for summary in [by_agent, by_model] {
            out.push_str("\n\n");
            out.push_str(&lines(lang, summary));
        }
    }
    let chart = BarChart {
        title,
        axis: lang.t("bot-costs-chart-axis"),
        bars: by_agent.lines.iter().map(|l| (l.name.clone(), l.cost.dollars())).collect(),
        note: more(lang, by_agent, crate::charts::MAX_AGENT_BARS),
    };
    (out, chart)
}

/// One grouping's lines, the costliest first, at most [`COST_LINES`] and a line on the rest.
fn lines(lang: Lang, summary: &CostSummary) -> String {
    let heading = lang.t(match summary.by {
        CostGrouping::Agent => "bot-costs-by-agent",
        CostGrouping::Model => "bot-costs-by-model",
        CostGrouping::Project => "bot-costs-by-project",
    });
    let mut out = format!("<b>{heading}</b>");
    for line in summary.lines.iter().take(COST_LINES) {
        let name = match (summary.by, line.name.is_empty()) {
            (CostGrouping::Model, true) => lang.t("bot-costs-no-model"),
            _ => mc_domain::i18n::html_escape(&line.name),
        };
        let cost = if line.runs == line.unpriced_runs {
            lang.t("cost-unpriced")
        } else {
            line.cost.to_string()
        };
        out.push('\n');
        out.push_str(&lang.ta(
            "bot-costs-line",
            &[
                ("name", plain(&name)),
                ("cost", plain(&cost)),
                ("runs", count(line.runs as f64)),
                ("unpriced", count(line.unpriced_runs as f64)),
            ],
        ));
    }
    if let Some(rest) = more(lang, summary, COST_LINES) {
        out.push('\n');
        out.push_str(&rest);
    }
    out
}

/// "…and N more: $X" for the lines past the first `shown`, if any; the text and the chart say
/// the same of the same lines.
fn more(lang: Lang, summary: &CostSummary, shown: usize) -> Option<String> {
    let rest = summary.lines.get(shown..).filter(|r| !r.is_empty())?;
    let cost = rest.iter().fold(mc_domain::Usd::ZERO, |sum, l| sum.saturating_add(l.cost));
    Some(lang.ta("bot-costs-more", &[("count", count(rest.len() as f64)), ("cost", money(cost))]))
}
