//! Usage from the agents' own telemetry: which OpenTelemetry metrics are usage, and how a
//! series' points become amounts counted once. Claude Code exports `claude_code.cost.usage`
//! (USD) and `claude_code.token.usage` (tokens, by `type` and `model`); the GenAI semantic
//! conventions define `gen_ai.client.token.usage` (tokens, by `gen_ai.token.type` and the
//! request's or response's model). Exporters send cumulative or delta sums, and retry: a point
//! already counted (same series, not later than the last one seen) counts nothing.

/// What one data point measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageKind {
    /// US dollars (Claude Code's own estimate of the cost).
    Cost,
    InputTokens,
    OutputTokens,
    CacheReadTokens,
    CacheWriteTokens,
}

/// Claude Code's cost metric.
pub const CLAUDE_CODE_COST: &str = "claude_code.cost.usage";
/// Claude Code's token metric.
pub const CLAUDE_CODE_TOKENS: &str = "claude_code.token.usage";
/// The GenAI semantic conventions' token histogram.
pub const GEN_AI_TOKENS: &str = "gen_ai.client.token.usage";

/// What a data point of metric `name` with `attribute` (a lookup of its attributes) measures,
/// and for which model; none for metrics that are not usage (or a token type not billed).
pub fn classify<'a>(name: &str, attribute: impl Fn(&str) -> Option<&'a str>) -> Option<(UsageKind, Option<&'a str>)> {
    match name {
        CLAUDE_CODE_COST => Some((UsageKind::Cost, attribute("model"))),
        CLAUDE_CODE_TOKENS => {
            let kind = match attribute("type")? {
                "input" => UsageKind::InputTokens,
                "output" => UsageKind::OutputTokens,
                "cacheRead" => UsageKind::CacheReadTokens,
                "cacheCreation" => UsageKind::CacheWriteTokens,
                _ => return None,
            };
            Some((kind, attribute("model")))
        }
        GEN_AI_TOKENS => {
            let kind = match attribute("gen_ai.token.type")? {
                "input" => UsageKind::InputTokens,
                "output" => UsageKind::OutputTokens,
                _ => return None,
            };
            let model = attribute("gen_ai.response.model").or_else(|| attribute("gen_ai.request.model"));
            Some((kind, model))
        }
        _ => None,
    }
}

/// Where a series stood when it was last counted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesMark {
    pub start_ns: u64,
    pub time_ns: u64,
    pub value: f64,
}

/// A new point of a series: how much it adds (none when it was counted already), and the mark
/// to keep. Cumulative points add what grew since the last point of the same start (all of it
/// for a new start, or after a reset); delta points add themselves.
pub fn count_point(last: Option<SeriesMark>, point: SeriesMark, cumulative: bool) -> (Option<f64>, SeriesMark) {
    if !point.value.is_finite() || point.value < 0.0 {
        return (None, last.unwrap_or(point));
    }
    match last {
        Some(last) if point.time_ns <= last.time_ns => (None, last),
        Some(last) if cumulative && last.start_ns == point.start_ns => {
            let grown = if point.value >= last.value {
                point.value - last.value
            } else {
                point.value
            };
            (Some(grown), point)
        }
        _ => (Some(point.value), point),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start_ns: u64, time_ns: u64, value: f64) -> SeriesMark {
        SeriesMark { start_ns, time_ns, value }
    }

    #[test]
    fn claude_codes_and_gen_ais_metrics_are_usage() {
        let attrs = |pairs: &'static [(&'static str, &'static str)]| move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        assert_eq!(
            classify(CLAUDE_CODE_TOKENS, attrs(&[("type", "cacheRead"), ("model", "claude-sonnet-4-5")])),
            Some((UsageKind::CacheReadTokens, Some("claude-sonnet-4-5")))
        );
        assert_eq!(
            classify(CLAUDE_CODE_COST, attrs(&[("model", "m")])),
            Some((UsageKind::Cost, Some("m")))
        );
        assert_eq!(
            classify(
                GEN_AI_TOKENS,
                attrs(&[
                    ("gen_ai.token.type", "output"),
                    ("gen_ai.request.model", "gpt-4o"),
                    ("gen_ai.response.model", "gpt-4o-2024-08-06")
                ])
            ),
            Some((UsageKind::OutputTokens, Some("gpt-4o-2024-08-06")))
        );
        assert_eq!(classify(CLAUDE_CODE_TOKENS, attrs(&[("type", "unknown")])), None);
        assert_eq!(classify("claude_code.session.count", attrs(&[])), None);
    }

    #[test]
    fn a_point_counts_once_whether_cumulative_or_delta() {
        // Cumulative: 100, then 250 (150 more), then the same export again (nothing).
        let (first, mark) = count_point(None, at(1, 10, 100.0), true);
        assert_eq!(first, Some(100.0));
        let (second, mark) = count_point(Some(mark), at(1, 20, 250.0), true);
        assert_eq!(second, Some(150.0));
        assert_eq!(count_point(Some(mark), at(1, 20, 250.0), true).0, None);
        // A restarted process: a new start counts in full; so does a value that went down.
        assert_eq!(count_point(Some(mark), at(30, 40, 5.0), true).0, Some(5.0));
        assert_eq!(count_point(Some(mark), at(1, 40, 5.0), true).0, Some(5.0));
        // Delta: each point is what it says; a retry of the last one counts nothing.
        let (d, mark) = count_point(Some(mark), at(20, 50, 7.0), false);
        assert_eq!(d, Some(7.0));
        assert_eq!(count_point(Some(mark), at(20, 50, 7.0), false).0, None);
        assert_eq!(count_point(None, at(1, 2, f64::NAN), false).0, None);
    }
}
