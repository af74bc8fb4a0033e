# syntax=docker/dockerfile:1
#
# Mission Control image: a release build of the `mission-control` binary on a slim Debian,
# running as an unprivileged user behind tini.
#
#   docker build -t mission-control .
#   docker compose up -d          # see docker-compose.yml

# ---------------------------------------------------------------------------------------
# Builder
# ---------------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
WORKDIR /build

# If sqlx's query!() macros are used, they must check against the prepared metadata in
# .sqlx/ (`cargo sqlx prepare`): there is no database to reach during `docker build`.
# sqlx::migrate!() only reads migrations/ and is not affected.
ENV SQLX_OFFLINE=true

# 1. Dependencies. Build them against an empty crate with the real manifest and lock
#    file, so this slow layer is reused until Cargo.toml or Cargo.lock changes. The crate
#    has a library (src/lib.rs), a binary (src/main.rs), a declared test target
#    (tests/integration/main.rs) and declared bench targets (benches/api.rs,
#    benches/alert_storm.rs, benches/approval_clicks.rs, benches/standup.rs): cargo insists
#    they exist, so each needs a stand-in.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches tests/integration \
 && echo 'fn main() {}' > src/main.rs \
 && echo 'fn main() {}' > tests/integration/main.rs \
 && echo 'fn main() {}' > benches/api.rs \
 && echo 'fn main() {}' > benches/alert_storm.rs \
 && echo 'fn main() {}' > benches/approval_clicks.rs \
 && echo 'fn main() {}' > benches/standup.rs \
 && touch src/lib.rs \
 && cargo build --release --locked --bin mission-control \
 && rm -rf src

# 2. The crate itself. config/default.toml and telegram/botapi.json are compiled in
#    (include_str!) and migrations/ is embedded by sqlx::migrate!(), so they are needed
#    here, not only at run time.
#    `locale[s]` and `.sql[x]` are globs so that the build still works while those
#    directories do not exist (BuildKit allows a wildcard to match nothing).
COPY build.rs ./
COPY src/ ./src/
COPY migrations/ ./migrations/
COPY config/ ./config/
COPY telegram/ ./telegram/
COPY assets/ ./assets/
COPY locale[s] ./locales/
COPY .sql[x] ./.sqlx/
# COPY keeps the build context's modification times, which can be older than the
# stand-ins compiled above; cargo would then think the crate is fresh and ship the empty
# main. Touching both roots forces the crate (only the crate) to be rebuilt.
RUN mkdir -p locales \
 && touch src/main.rs src/lib.rs \
 && cargo build --release --locked --bin mission-control

# ---------------------------------------------------------------------------------------
# Runtime
# ---------------------------------------------------------------------------------------
FROM debian:bookworm-slim

# ca-certificates: TLS to the Telegram Bot API (and any https DATABASE_URL peer).
# tini: PID 1 that forwards SIGTERM/SIGINT to the app (so `docker stop` triggers a
# graceful shutdown instead of a SIGKILL after the grace period) and reaps zombies.
# No curl: the compose healthcheck runs `mission-control healthcheck` instead.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*

# Fixed uid/gid so volume ownership is predictable across rebuilds and hosts.
RUN groupadd --gid 10001 mc \
 && useradd --uid 10001 --gid 10001 --no-log-init --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin mc

# The app looks for config/default.toml (and later locales/) relative to its working
# directory. These stay root-owned: the app reads them, it never writes them.
WORKDIR /app
# Backups are written here; compose mounts a named volume on it. Creating it owned by mc
# makes a fresh named volume inherit that ownership (otherwise it would be root's).
RUN mkdir -p /app/backups && chown mc:mc /app/backups
COPY --from=builder /build/config/ ./config/
COPY --from=builder /build/locales/ ./locales/
COPY --from=builder /build/target/release/mission-control /usr/local/bin/mission-control

# Listen on all interfaces inside the container (the default config file already does;
# this keeps it true even with a custom --config), and log JSON for log collectors.
ENV MC_HTTP__ADDR=0.0.0.0:3000 \
    MC_LOG__FORMAT=json
EXPOSE 3000

USER mc
ENTRYPOINT ["/usr/bin/tini", "--", "mission-control"]
CMD ["serve"]
