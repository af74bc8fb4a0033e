//! Money in micro-dollars. Costs arrive as decimal dollars ("0.0123"); sums must be exact,
//! so nothing is ever added as a float.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

const MICROS_PER_DOLLAR: i64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Usd(i64);

impl Usd {
    pub const ZERO: Usd = Usd(0);
    /// No single amount above a million dollars makes sense for an agent budget or run.
    pub const MAX_DOLLARS: f64 = 1_000_000.0;

    pub const fn from_micros(micros: i64) -> Self {
        Usd(micros)
    }

    pub const fn from_cents(cents: i64) -> Self {
        Usd(cents * 10_000)
    }

    pub fn micros(self) -> i64 {
        self.0
    }

    /// Parses a non-negative dollar amount given as a JSON/CLI number; rounds to the micro-dollar.
    pub fn from_dollars(dollars: f64) -> Result<Self, String> {
        if !dollars.is_finite() {
            return Err("must be a finite number of dollars".into());
        }
        if dollars < 0.0 {
            return Err(format!("must not be negative (got {dollars})"));
        }
        if dollars > Self::MAX_DOLLARS {
            return Err(format!("must be at most {} dollars (got {dollars})", Self::MAX_DOLLARS));
        }
        Ok(Usd((dollars * MICROS_PER_DOLLAR as f64).round() as i64))
    }

    /// Parses "$2.50", "2.5" or "2"; the form operators type in chat and on the command line.
    pub fn parse(input: &str) -> Result<Self, String> {
        let trimmed = input.trim().trim_start_matches('$');
        let dollars: f64 = trimmed
            .parse()
            .map_err(|_| format!("'{}' is not an amount of dollars (e.g. 12.50)", input.trim()))?;
        Self::from_dollars(dollars)
    }

    pub fn dollars(self) -> f64 {
        self.0 as f64 / MICROS_PER_DOLLAR as f64
    }

    pub fn saturating_add(self, other: Usd) -> Usd {
        Usd(self.0.saturating_add(other.0))
    }

    pub fn saturating_sub(self, other: Usd) -> Usd {
        Usd(self.0.saturating_sub(other.0).max(0))
    }

    /// `self` as a percentage of `of` (0 when `of` is zero and `self` is zero, else 100+).
    pub fn percent_of(self, of: Usd) -> u32 {
        if of.0 == 0 {
            return if self.0 == 0 { 0 } else { 100 };
        }
        ((self.0 as i128 * 100) / of.0 as i128).min(u32::MAX as i128) as u32
    }
}

impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cents = (self.0 + 5_000) / 10_000;
        if self.0 != 0 && cents == 0 {
            // A sub-cent cost still shows that something was spent.
            return write!(f, "${:.4}", self.dollars());
        }
        write!(f, "${}.{:02}", cents / 100, cents % 100)
    }
}

impl Serialize for Usd {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.dollars())
    }
}

impl<'de> Deserialize<'de> for Usd {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let dollars = f64::deserialize(deserializer)?;
        Usd::from_dollars(dollars).map_err(serde::de::Error::custom)
    }
}

/// In the API a sum of money is a JSON number of US dollars.
impl utoipa::PartialSchema for Usd {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .description(Some("US dollars"))
            .into()
    }
}

impl utoipa::ToSchema for Usd {}

/// The same, for the MCP tools' input schemas.
impl schemars::JsonSchema for Usd {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Usd".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "number",
            "minimum": 0,
            "description": "US dollars"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_dollars() {
        assert_eq!(Usd::parse("$2.50").unwrap(), Usd::from_cents(250));
        assert_eq!(Usd::parse("12").unwrap().to_string(), "$12.00");
        assert_eq!(Usd::from_dollars(0.0123).unwrap().micros(), 12_300);
        assert_eq!(Usd::from_micros(1_234).to_string(), "$0.0012");
        assert_eq!(Usd::ZERO.to_string(), "$0.00");
    }

    #[test]
    fn refuses_negative_nan_and_absurd_amounts() {
        assert!(Usd::from_dollars(-1.0).unwrap_err().contains("negative"));
        assert!(Usd::from_dollars(f64::NAN).is_err());
        assert!(Usd::from_dollars(1e12).is_err());
        assert!(Usd::parse("ten").unwrap_err().contains("not an amount"));
    }

    #[test]
    fn sums_are_exact_where_floats_drift() {
        let tenth = Usd::from_dollars(0.1).unwrap();
        let total = (0..10).fold(Usd::ZERO, |acc, _| acc.saturating_add(tenth));
        assert_eq!(total, Usd::from_dollars(1.0).unwrap());
    }

    #[test]
    fn percent_of_cap() {
        assert_eq!(Usd::from_cents(160).percent_of(Usd::from_cents(200)), 80);
        assert_eq!(Usd::ZERO.percent_of(Usd::ZERO), 0);
        assert_eq!(Usd::from_cents(1).percent_of(Usd::ZERO), 100);
    }
}
