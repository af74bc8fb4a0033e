//! What tokens cost: the price table (by model, per million tokens, shipped in `prices.toml`
//! and replaceable by the operators' own file) and how a run's cost is settled from what the
//! agent reported. Operators pay by the token and by the model; agents report tokens more
//! often than dollars, and when they report both the two must agree with the bill.

use crate::i18n::Msg;
use crate::money::Usd;
use crate::types::CostSource;
use crate::values::Invalid;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::LazyLock;

pub mod telemetry;

/// The table shipped with the binary.
const SHIPPED_TEXT: &str = include_str!("prices.toml");

/// A reported cost further than this from the table's price (in percent of the table's) is
/// flagged: one of the two is wrong, and the bill will say which.
pub const MISMATCH_PERCENT: i128 = 5;

const TOKENS_PER_PRICE_UNIT: i128 = 1_000_000;

/// The tokens of one run, by kind, each counted once: `input` is the prompt not read from
/// nor written to the cache (Anthropic's `input_tokens`), `cache_read` and `cache_write` the
/// prompt read from and written to it, `output` everything generated. Reasoning (thinking)
/// tokens are part of `output` — Anthropic and OpenAI bill them as output — and `reasoning`
/// only says how many of them there were.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenUsage {
    pub input: i64,
    pub output: i64,
    pub cache_read: i64,
    pub cache_write: i64,
    pub reasoning: i64,
}

impl TokenUsage {
    /// Every token the run used (reasoning is within output).
    pub fn total(&self) -> i64 {
        [self.input, self.output, self.cache_read, self.cache_write]
            .iter()
            .fold(0i64, |sum, n| sum.saturating_add(*n))
    }
}

/// Token counts as reported, each optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportedTokens {
    pub input: Option<i64>,
    pub output: Option<i64>,
    pub cache_read: Option<i64>,
    pub cache_write: Option<i64>,
    pub reasoning: Option<i64>,
    /// The total alone, as reported before counts by kind existed.
    pub total: Option<i64>,
}

/// What a run's report says of its tokens, checked: the counts by kind (if any was given) and
/// the total kept in `runs.tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunTokens {
    pub usage: Option<TokenUsage>,
    pub total: Option<i64>,
}

impl ReportedTokens {
    /// Counts are never negative; reasoning is part of the output so never more than it;
    /// given by kind, the total is their sum (and a total sent as well must be that sum).
    pub fn check(&self) -> Result<RunTokens, Invalid> {
        let fields = [
            ("inputTokens", self.input),
            ("outputTokens", self.output),
            ("cacheReadTokens", self.cache_read),
            ("cacheWriteTokens", self.cache_write),
            ("reasoningTokens", self.reasoning),
            ("tokens", self.total),
        ];
        for (field, value) in fields {
            if value.is_some_and(|n| n < 0) {
                return Err(Invalid::new(field, Msg::new("err-not-negative")));
            }
        }
        if fields[..5].iter().all(|(_, v)| v.is_none()) {
            return Ok(RunTokens {
                usage: None,
                total: self.total,
            });
        }
        let usage = TokenUsage {
            input: self.input.unwrap_or(0),
            output: self.output.unwrap_or(0),
            cache_read: self.cache_read.unwrap_or(0),
            cache_write: self.cache_write.unwrap_or(0),
            reasoning: self.reasoning.unwrap_or(0),
        };
        if usage.reasoning > usage.output {
            return Err(Invalid::new(
                "reasoningTokens",
                Msg::new("err-reasoning-over-output")
                    .count("reasoning", usage.reasoning as f64)
                    .count("output", usage.output as f64),
            ));
        }
        let sum = usage.total();
        if let Some(total) = self.total.filter(|t| *t != sum) {
            return Err(Invalid::new(
                "tokens",
                Msg::new("err-tokens-not-sum")
                    .count("tokens", total as f64)
                    .count("sum", sum as f64),
            ));
        }
        Ok(RunTokens {
            usage: Some(usage),
            total: Some(sum),
        })
    }
}

/// Where a vendor's prices come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vendor {
    pub name: String,
    pub source: url::Url,
    /// The day the prices were read from `source`.
    pub as_of: NaiveDate,
}

/// One model's prices, in dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelPrice {
    pub input: Usd,
    pub output: Usd,
    pub cache_read: Usd,
    pub cache_write: Usd,
}

impl ModelPrice {
    /// What `usage` costs: exact in micro-dollars times tokens, rounded once (half up).
    pub fn cost(&self, usage: &TokenUsage) -> Usd {
        let parts = [
            (usage.input, self.input),
            (usage.output, self.output),
            (usage.cache_read, self.cache_read),
            (usage.cache_write, self.cache_write),
        ];
        let scaled: i128 = parts.iter().map(|(n, p)| *n as i128 * p.micros() as i128).sum();
        let micros = (scaled + TOKENS_PER_PRICE_UNIT / 2) / TOKENS_PER_PRICE_UNIT;
        Usd::from_micros(micros.clamp(0, i64::MAX as i128) as i64)
    }
}

/// A model found in the table.
#[derive(Debug, Clone, Copy)]
pub struct PricedModel<'a> {
    /// The table's name of the model (a dated or aliased name resolves to it).
    pub id: &'a str,
    pub vendor: &'a Vendor,
    pub price: &'a ModelPrice,
}

#[derive(Debug, Clone)]
struct Entry {
    id: String,
    vendor: usize,
    price: ModelPrice,
}

/// The price table: vendors and their models' prices, every name (id or alias) unique.
#[derive(Debug, Clone)]
pub struct PriceTable {
    vendors: Vec<Vendor>,
    /// By lowercase id and alias.
    models: HashMap<String, usize>,
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTable {
    #[serde(default)]
    vendor: Vec<FileVendor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileVendor {
    name: String,
    source: String,
    as_of: NaiveDate,
    #[serde(default)]
    model: Vec<FileModel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileModel {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    input: Usd,
    output: Usd,
    cache_read: Usd,
    cache_write: Usd,
}

static SHIPPED: LazyLock<PriceTable> =
    LazyLock::new(|| PriceTable::parse(SHIPPED_TEXT).expect("the shipped price table is valid (unit-tested)"));

/// A model name as the table keys it: lowercase, no spaces, at most 100 characters.
fn model_key(name: &str) -> Option<String> {
    let key = name.trim().to_ascii_lowercase();
    (!key.is_empty() && key.len() <= 100 && !key.chars().any(char::is_whitespace)).then_some(key)
}

impl PriceTable {
    /// The table shipped with the binary.
    pub fn shipped() -> PriceTable {
        SHIPPED.clone()
    }

    /// Reads a table in the format of `prices.toml`; an error names what is wrong and where.
    pub fn parse(text: &str) -> Result<PriceTable, String> {
        let file: FileTable = toml::from_str(text).map_err(|e| e.to_string())?;
        if file.vendor.is_empty() {
            return Err("the price table names no vendor ([[vendor]])".into());
        }
        let mut table = PriceTable {
            vendors: Vec::new(),
            models: HashMap::new(),
            entries: Vec::new(),
        };
        for v in file.vendor {
            let name = v.name.trim();
            if name.is_empty() {
                return Err("a vendor has an empty name".into());
            }
            let source = url::Url::parse(&v.source)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or_else(|| format!("vendor '{name}': source '{}' is not an http(s) address", v.source))?;
            if v.model.is_empty() {
                return Err(format!("vendor '{name}' lists no model ([[vendor.model]])"));
            }
            let vendor = table.vendors.len();
            table.vendors.push(Vendor {
                name: name.to_string(),
                source,
                as_of: v.as_of,
            });
            for m in v.model {
                let id = model_key(&m.id).ok_or_else(|| format!("vendor '{name}': '{}' is not a model name", m.id))?;
                if m.input == Usd::ZERO || m.output == Usd::ZERO {
                    return Err(format!(
                        "model '{id}': input and output prices must be above zero (leave a model out to have it unpriced)"
                    ));
                }
                let entry = table.entries.len();
                table.entries.push(Entry {
                    id: id.clone(),
                    vendor,
                    price: ModelPrice {
                        input: m.input,
                        output: m.output,
                        cache_read: m.cache_read,
                        cache_write: m.cache_write,
                    },
                });
                let mut names = vec![id.clone()];
                for alias in &m.aliases {
                    names.push(model_key(alias).ok_or_else(|| format!("model '{id}': '{alias}' is not a model name"))?);
                }
                for named in names {
                    if table.models.insert(named.clone(), entry).is_some() {
                        return Err(format!("the model name '{named}' appears twice in the price table"));
                    }
                }
            }
        }
        Ok(table)
    }

    pub fn vendors(&self) -> &[Vendor] {
        &self.vendors
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The prices of `model` as reported: the longest table name (id or alias, any case) it
    /// starts with, once a provider's spelling is taken off (`anthropic/…`, `models/…`,
    /// Bedrock's `us.anthropic.…`), provided what follows that name is only a snapshot's tag —
    /// a date (`-20250929`, `@20250929`, `-2024-08-06`), a version (`-v1:0`) or `-latest`. So
    /// `gpt-5x` is not `gpt-5`, and `gpt-5-pro` or `claude-opus-4-7` (other models, other
    /// prices) are unpriced unless the table names them.
    pub fn lookup(&self, model: &str) -> Option<PricedModel<'_>> {
        let lower = model.trim().to_ascii_lowercase();
        let name = lower.rsplit('/').next().unwrap_or_default();
        let name = name.rsplit_once("anthropic.").map_or(name, |(_, rest)| rest);
        let ends = name
            .char_indices()
            .filter(|(_, c)| matches!(c, '-' | '@' | ':'))
            .map(|(i, _)| i)
            .chain(std::iter::once(name.len()));
        let entry = ends
            .filter(|end| snapshot_tag(&name[*end..]))
            .filter_map(|end| self.models.get(&name[..end]))
            .next_back()?;
        let entry = &self.entries[*entry];
        Some(PricedModel {
            id: &entry.id,
            vendor: &self.vendors[entry.vendor],
            price: &entry.price,
        })
    }

    /// What `usage` on `model` costs, if the table prices the model.
    pub fn price(&self, model: &str, usage: &TokenUsage) -> Option<Usd> {
        self.lookup(model).map(|m| m.price.cost(usage))
    }
}

/// `rest` (what follows a model's name) tags a snapshot of that model: nothing, or segments
/// each a date or its parts (a first number of four digits or more, then any numbers), a
/// version `v1`, a number after `:` (Bedrock's `:0`), or `latest`.
fn snapshot_tag(rest: &str) -> bool {
    let mut dated = false;
    let mut rest = rest;
    while let Some(sep) = rest.chars().next() {
        if !matches!(sep, '-' | '@' | ':') {
            return false;
        }
        let tail = &rest[1..];
        let end = tail.find(['-', '@', ':']).unwrap_or(tail.len());
        let segment = &tail[..end];
        let digits = !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
        let ok = match segment {
            "latest" => true,
            _ if digits => {
                let ok = dated || sep == ':' || segment.len() >= 4;
                dated |= segment.len() >= 4;
                ok
            }
            _ => segment
                .strip_prefix('v')
                .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())),
        };
        if !ok {
            return false;
        }
        rest = &tail[end..];
    }
    true
}

/// A run's cost as recorded: the cost that counts (none when unpriced), the table's price when
/// it could be computed, where the cost came from, and whether the two disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettledCost {
    pub cost: Option<Usd>,
    pub priced: Option<Usd>,
    pub source: CostSource,
    /// Reported and table price differ by more than [`MISMATCH_PERCENT`].
    pub mismatch: bool,
}

impl SettledCost {
    /// What the run adds to spend: an unpriced run's cost is unknown and adds nothing.
    pub fn spend(&self) -> Usd {
        self.cost.unwrap_or(Usd::ZERO)
    }
}

/// Settles a run's cost: the reported cost when given (the table's price kept beside it, a
/// difference over 5 % flagged), else the table's price, else unpriced.
pub fn settle(reported: Option<Usd>, priced: Option<Usd>) -> SettledCost {
    match (reported, priced) {
        (Some(cost), priced) => SettledCost {
            cost: Some(cost),
            priced,
            source: CostSource::Reported,
            mismatch: priced.is_some_and(|p| differs(cost, p)),
        },
        (None, Some(p)) => SettledCost {
            cost: Some(p),
            priced: Some(p),
            source: CostSource::Priced,
            mismatch: false,
        },
        (None, None) => SettledCost {
            cost: None,
            priced: None,
            source: CostSource::Unpriced,
            mismatch: false,
        },
    }
}

/// `reported` is more than [`MISMATCH_PERCENT`] away from `priced`.
fn differs(reported: Usd, priced: Usd) -> bool {
    let gap = (reported.micros() as i128 - priced.micros() as i128).abs();
    gap * 100 > MISMATCH_PERCENT * priced.micros() as i128
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: i64, output: i64, cache_read: i64, cache_write: i64) -> TokenUsage {
        TokenUsage {
            input,
            output,
            cache_read,
            cache_write,
            reasoning: 0,
        }
    }

    #[test]
    fn the_shipped_table_is_valid_and_covers_the_three_vendors() {
        let table = PriceTable::shipped();
        let vendors: Vec<&str> = table.vendors().iter().map(|v| v.name.as_str()).collect();
        assert_eq!(vendors, ["anthropic", "openai", "google"]);
        for v in table.vendors() {
            assert_eq!(v.source.scheme(), "https", "{}", v.name);
        }
        for model in [
            "claude-sonnet-4-5",
            "claude-opus-4-5",
            "claude-haiku-4-5",
            "gpt-5",
            "gpt-4o",
            "gemini-2.5-pro",
        ] {
            assert!(table.lookup(model).is_some(), "{model} is priced");
        }
    }

    #[test]
    fn sonnet_4_5_costs_what_anthropic_charges() {
        let table = PriceTable::shipped();
        // 1M input at $3, 100k output at $15, 2M cache reads at $0.30, 200k cache writes at $3.75.
        let cost = table
            .price("claude-sonnet-4-5", &usage(1_000_000, 100_000, 2_000_000, 200_000))
            .unwrap();
        assert_eq!(cost, Usd::from_cents(300 + 150 + 60 + 75));
        // Tiny runs keep their micro-dollars: 10 output tokens at $15/M = $0.00015.
        assert_eq!(table.price("claude-sonnet-4-5", &usage(0, 10, 0, 0)), Some(Usd::from_micros(150)));
        // Rounded once, half up: 1 input token at $3/M is 3 micro-dollars; 1 at $0.25/M rounds to 0.
        assert_eq!(table.price("claude-sonnet-4-5", &usage(1, 0, 0, 0)), Some(Usd::from_micros(3)));
        assert_eq!(table.price("claude-3-haiku", &usage(2, 0, 0, 0)), Some(Usd::from_micros(1)));
    }

    #[test]
    fn reasoning_tokens_are_within_the_output_and_priced_with_it() {
        let table = PriceTable::shipped();
        let thinking = TokenUsage {
            output: 1_000_000,
            reasoning: 900_000,
            ..TokenUsage::default()
        };
        assert_eq!(thinking.total(), 1_000_000);
        assert_eq!(table.price("gemini-2.5-flash", &thinking), Some(Usd::from_cents(250)));
    }

    #[test]
    fn dated_prefixed_and_provider_spellings_find_their_model() {
        let table = PriceTable::shipped();
        for name in [
            "claude-sonnet-4-5-20250929",
            "Claude-Sonnet-4-5",
            "anthropic/claude-sonnet-4-5",
            "claude-sonnet-4-5@20250929",
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "claude-sonnet-4-5-latest",
        ] {
            assert_eq!(table.lookup(name).map(|m| m.id), Some("claude-sonnet-4-5"), "{name}");
        }
        assert_eq!(table.lookup("claude-opus-4-1-20250805").map(|m| m.id), Some("claude-opus-4-1"));
        assert_eq!(table.lookup("claude-opus-4-20250514").map(|m| m.id), Some("claude-opus-4"));
        assert_eq!(table.lookup("claude-opus-4-0").map(|m| m.id), Some("claude-opus-4"));
        assert_eq!(table.lookup("gpt-4o-2024-08-06").map(|m| m.id), Some("gpt-4o"));
        assert_eq!(table.lookup("gpt-4o-mini-2024-07-18").map(|m| m.id), Some("gpt-4o-mini"));
        assert_eq!(table.lookup("models/gemini-2.5-pro").map(|m| m.id), Some("gemini-2.5-pro"));
        assert_eq!(table.lookup("claude-3-5-haiku-latest").map(|m| m.id), Some("claude-3-5-haiku"));
    }

    #[test]
    fn another_model_is_not_taken_for_its_neighbour() {
        let table = PriceTable::shipped();
        for name in [
            "my-local-llama",
            "gpt-5x",
            "gpt-5-pro",
            "claude-opus-4-9",
            "claude-sonnet-4-5-turbo",
            "gpt-4o-mini-20240718x",
            "claude-sonnet-4-5-v",
            "",
        ] {
            assert!(table.lookup(name).is_none(), "{name}");
        }
    }

    const ONE: &str = r#"
        [[vendor]]
        name = "acme"
        source = "https://acme.example/prices"
        as_of = "2026-12-01"
        [[vendor.model]]
        id = "acme-1"
        aliases = ["acme-one"]
        input = 2
        output = 4.5
        cache_read = 0.2
        cache_write = 2.5
    "#;

    #[test]
    fn an_operators_table_replaces_the_shipped_one() {
        let table = PriceTable::parse(ONE).unwrap();
        assert_eq!(table.len(), 1);
        assert_eq!(table.vendors()[0].as_of, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        let m = table.lookup("acme-one").unwrap();
        assert_eq!((m.id, m.price.output), ("acme-1", Usd::from_cents(450)));
        assert!(table.lookup("claude-sonnet-4-5").is_none());
    }

    #[test]
    fn a_bad_table_is_refused_with_what_is_wrong() {
        let err = |text: &str| PriceTable::parse(text).unwrap_err();
        assert!(err("").contains("no vendor"));
        assert!(err(&ONE.replace("https://acme.example/prices", "ftp://x")).contains("not an http(s) address"));
        assert!(err(&ONE.replace("input = 2", "input = 0")).contains("above zero"));
        assert!(err(&ONE.replace("input = 2", "input = -2")).contains("negative"));
        assert!(err(&ONE.replace("as_of = \"2026-12-01\"", "as_of = \"December\"")).contains("as_of"));
        assert!(err(&ONE.replace("cache_write = 2.5", "")).contains("cache_write"));
        assert!(err(&ONE.replace("cache_write = 2.5", "cache_writes = 2.5")).contains("cache_writes"));
        assert!(err(&ONE.replace("\"acme-one\"", "\"acme one\"")).contains("not a model name"));
        let twice = format!(
            "{ONE}\n[[vendor.model]]\nid = \"acme-2\"\naliases = [\"ACME-1\"]\ninput = 1\noutput = 1\ncache_read = 0\ncache_write = 1\n"
        );
        assert!(err(&twice).contains("'acme-1' appears twice"));
    }

    #[test]
    fn a_cost_is_reported_priced_or_unpriced() {
        let usd = Usd::from_cents;
        let reported = settle(Some(usd(100)), Some(usd(104)));
        assert_eq!(
            (reported.cost, reported.source, reported.mismatch),
            (Some(usd(100)), CostSource::Reported, false)
        );
        let off = settle(Some(usd(100)), Some(usd(94)));
        assert!(off.mismatch, "6 % over the table's price");
        assert_eq!(off.priced, Some(usd(94)));
        assert!(!settle(Some(usd(105)), Some(usd(100))).mismatch, "exactly 5 % is within");
        assert!(settle(Some(Usd::from_micros(105_001)), Some(usd(10))).mismatch);
        assert!(settle(Some(usd(1)), Some(Usd::ZERO)).mismatch);
        assert!(!settle(Some(usd(1)), None).mismatch, "nothing to compare with");
        let priced = settle(None, Some(usd(42)));
        assert_eq!((priced.cost, priced.source), (Some(usd(42)), CostSource::Priced));
        let unpriced = settle(None, None);
        assert_eq!(
            (unpriced.cost, unpriced.source, unpriced.spend()),
            (None, CostSource::Unpriced, Usd::ZERO)
        );
    }

    #[test]
    fn token_counts_are_checked() {
        let none = ReportedTokens::default().check().unwrap();
        assert_eq!(none, RunTokens { usage: None, total: None });
        let total_only = ReportedTokens {
            total: Some(5),
            ..Default::default()
        }
        .check()
        .unwrap();
        assert_eq!(
            total_only,
            RunTokens {
                usage: None,
                total: Some(5)
            }
        );
        let split = ReportedTokens {
            input: Some(10),
            output: Some(5),
            reasoning: Some(1),
            ..Default::default()
        };
        let checked = split.check().unwrap();
        assert_eq!(checked.total, Some(15));
        assert_eq!(checked.usage.unwrap().cache_read, 0);
        let wrong = ReportedTokens { total: Some(16), ..split }.check().unwrap_err();
        assert_eq!(wrong.field, "tokens");
        let negative = ReportedTokens {
            cache_read: Some(-1),
            ..split
        }
        .check()
        .unwrap_err();
        assert_eq!(negative.field, "cacheReadTokens");
        let thinking_more = ReportedTokens {
            reasoning: Some(6),
            ..split
        }
        .check()
        .unwrap_err();
        assert_eq!(thinking_more.field, "reasoningTokens");
    }
}
