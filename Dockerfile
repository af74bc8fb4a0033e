# syntax=docker/dockerfile:1
#
# Mission Control image: a release build of the `mission-control` binary on a slim Debian,
# running as an unprivileged user behind tini.
#
#   docker build -t mission-control .
#   docker compose up -d          # see docker-compose.yml

# ---------------------------------------------------------------------------------------
# Builder: dependencies cached with cargo-chef
# ---------------------------------------------------------------------------------------
# One Rust toolchain for every build stage (cargo-chef's cache is only valid for the
# toolchain that cooked it). cargo-chef is installed here rather than taken from a
# prebuilt image so the toolchain stays the official image's.
FROM rust:1.95-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.77
WORKDIR /build

# 1. The recipe: every manifest of the workspace (the service and its crates under crates/)
#    and Cargo.lock, with the sources left out. It changes only when dependencies or
#    targets do, so the next stage's slow layer is reused across code changes.
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
# If sqlx's query!() macros are used, they must check against the prepared metadata in
# .sqlx/ (`cargo sqlx prepare`): there is no database to reach during `docker build`.
# sqlx::migrate!() only reads migrations/ and is not affected.
ENV SQLX_OFFLINE=true

# 2. Dependencies of the binary only: cook builds the skeleton (cargo-chef writes the
#    stand-in sources for every target itself); the fake Bot API and the other
#    dev-dependencies of the tests and benchmarks are not built.
COPY --from=planner /build/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin mission-control

# 3. The service itself. config/default.toml and crates/domain/locales/ are compiled in
#    and migrations/ is embedded by sqlx::migrate!(), so they are needed here, not only at
#    run time. The workspace's manifests (the root and every crate under crates/) must all be
#    present for cargo to load it, but only the `mission-control` binary is built.
COPY . .
RUN cargo build --release --locked --bin mission-control

# ---------------------------------------------------------------------------------------
# Runtime
# ---------------------------------------------------------------------------------------
FROM debian:bookworm-slim

# ca-certificates: TLS to the Telegram Bot API (and any https DATABASE_URL peer).
# tini: PID 1 that forwards SIGTERM/SIGINT to the app (so `docker stop` triggers a
# graceful shutdown instead of a SIGKILL after the grace period) and reaps zombies.
# No curl: the image's HEALTHCHECK runs `mission-control healthcheck` instead.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*

# Fixed uid/gid so volume ownership is predictable across rebuilds and hosts.
RUN groupadd --gid 10001 mc \
 && useradd --uid 10001 --gid 10001 --no-log-init --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin mc

# The app looks for config/default.toml relative to its working directory (its messages are
# compiled in). It stays root-owned: the app reads it, it never writes it.
WORKDIR /app
# Backups are written here; compose mounts a named volume on it. Creating it owned by mc
# makes a fresh named volume inherit that ownership (otherwise it would be root's).
RUN mkdir -p /app/backups && chown mc:mc /app/backups
COPY --from=builder /build/config/ ./config/
COPY --from=builder /build/target/release/mission-control /usr/local/bin/mission-control

# Listen on all interfaces inside the container (the default config file already does;
# this keeps it true even with a custom --config), and log JSON for log collectors.
ENV MC_HTTP__ADDR=0.0.0.0:3000 \
    MC_LOG__FORMAT=json
EXPOSE 3000

USER mc
# The binary GETs http://127.0.0.1:<port of http.addr>/health itself and exits 0 (healthy)
# or 1 (unhealthy); the start period covers connecting to the database and migrating.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["mission-control", "healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--", "mission-control"]
CMD ["serve"]
