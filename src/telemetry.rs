//! Logging: pretty for people, JSON for collectors; RUST_LOG wins over the configured level.

use crate::configuration::LogFormat;
use std::str::FromStr;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::{fmt, EnvFilter};

/// Parses `log.level` strictly: every comma-separated directive must be valid, and a bare word
/// must be a level (`EnvFilter` would take `debugg` for a target and drop bad directives).
pub fn parse_level(level: &str) -> Result<EnvFilter, String> {
    let directives: Vec<&str> = level.split(',').map(str::trim).filter(|d| !d.is_empty()).collect();
    if directives.is_empty() {
        return Err("must not be empty: give a level (trace, debug, info, warn, error, off) or target=level directives".into());
    }
    for directive in &directives {
        if !directive.contains('=') && !directive.contains('[') && LevelFilter::from_str(directive).is_err() {
            return Err(format!(
                "'{directive}' is not a level (trace, debug, info, warn, error, off); a target needs one, e.g. {directive}=debug"
            ));
        }
    }
    EnvFilter::builder()
        .parse(directives.join(","))
        .map_err(|e| format!("'{level}' is not a valid tracing filter: {e} (e.g. \"info\" or \"mission_control=debug,sqlx=warn\")"))
}

pub fn init(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .ok()
        .or_else(|| parse_level(level).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (tests, subcommands) is harmless: the first subscriber stays.
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
