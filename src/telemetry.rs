//! Logging: pretty for people, JSON for collectors; RUST_LOG wins over the configured level.

use mc_config::{parse_level, LogFormat};
use tracing_subscriber::{fmt, EnvFilter};

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
