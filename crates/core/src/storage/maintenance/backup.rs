//! Logical backups: every table, from one snapshot, as PostgreSQL COPY text, framed, hashed and
//! gzip-compressed. A restore checks the whole file (version, SHA-256, gzip's CRC, the
//! manifest) before it touches the database, then loads everything in one transaction.
//!
//! File layout (inside gzip):
//! ```text
//! MCBACKUP 1\n
//! TABLE <schema.table> <col,col,...>\n  then  CHUNK <n>\n<n bytes>  ...  END <rows>\n   (per table)
//! MANIFEST <json>\n
//! SHA256 <hex of every byte before this line>\n
//! ```

use anyhow::{bail, Context};
use chrono::Utc;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection, PgPool};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

const MAGIC: &str = "MCBACKUP";
pub const FORMAT_VERSION: u32 = 1;
/// Large tables are written in pieces of at most this size.
const CHUNK: usize = 1 << 20;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TableSummary {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format_version: u32,
    pub created_at: chrono::DateTime<Utc>,
    /// The newest migration applied to the source database.
    pub schema_version: i64,
    pub tables: Vec<TableSummary>,
}

#[derive(Debug)]
pub struct BackupReport {
    pub path: PathBuf,
    pub manifest: Manifest,
    pub file_bytes: u64,
    pub seconds: f64,
}

/// Base tables of the application (the migrations' bookkeeping excluded), in a stable order.
pub async fn app_tables(conn: &mut PgConnection) -> anyhow::Result<Vec<(String, Vec<String>)>> {
    let rows: Vec<(String, Vec<String>)> = sqlx::query_as(
        "SELECT n.nspname || '.' || c.relname,
                array_agg(a.attname::text ORDER BY a.attnum)
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.relkind = 'r' AND n.nspname IN ('public', 'archive') AND c.relname <> '_sqlx_migrations'
         GROUP BY n.nspname, c.relname
         ORDER BY n.nspname DESC, c.relname",
    )
    .fetch_all(conn)
    .await
    .context("listing the tables")?;
    Ok(rows)
}

pub async fn schema_version(conn: &mut PgConnection) -> anyhow::Result<i64> {
    sqlx::query_scalar("SELECT COALESCE(max(version), 0) FROM _sqlx_migrations WHERE success")
        .fetch_one(conn)
        .await
        .context("reading the schema version")
}

fn quote_ident_list(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn quote_table(name: &str) -> String {
    name.split('.')
        .map(|part| format!("\"{}\"", part.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(".")
}

/// Writes everything after the hash into `inner` and keeps the running SHA-256.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn progress(len: u64, show: bool) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} tables  {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

/// The backup directory, created 0700, or tightened to 0700 (with a warning) when others could
/// read or enter it: a backup is the whole database.
fn private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating the backup directory {}", dir.display()))?;
    let meta = std::fs::metadata(dir).with_context(|| format!("reading {}", dir.display()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(dir = %dir.display(), mode = format!("{:o}", meta.permissions().mode() & 0o777), "the backup directory was open to others; it is now 0700");
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("making {} private (0700)", dir.display()))?;
    }
    Ok(())
}

/// `mission-control backup`: writes `mission-control-<UTC time>.mcbackup.gz` into `dir`.
pub async fn backup(pool: &PgPool, dir: &Path, show_progress: bool) -> anyhow::Result<BackupReport> {
    let started = Instant::now();
    private_dir(dir)?;
    let created_at = Utc::now();
    let path = dir.join(format!("mission-control-{}.mcbackup.gz", created_at.format("%Y%m%dT%H%M%S%.3fZ")));
    let partial = path.with_extension("partial");
    // The whole database: readable by its owner only, and never written through a link.
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&partial)
            .with_context(|| format!("creating {}", partial.display()))?
    };
    let mut out = HashingWriter {
        inner: GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::default()),
        hasher: Sha256::new(),
    };

    let mut conn = pool.acquire().await.context("connecting for the backup")?;
    // One snapshot for every table: the backup is consistent even while the service runs.
    let mut tx = conn.begin().await.context("starting the backup transaction")?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .context("taking a snapshot")?;
    let schema_version = schema_version(&mut tx).await?;
    let tables = app_tables(&mut tx).await?;
    let bar = progress(tables.len() as u64, show_progress);
    writeln!(out, "{MAGIC} {FORMAT_VERSION}")?;
    let mut summaries = Vec::new();
    for (name, columns) in &tables {
        bar.set_message(name.clone());
        writeln!(out, "TABLE {name} {}", columns.join(","))?;
        let statement = format!("COPY {} ({}) TO STDOUT", quote_table(name), quote_ident_list(columns));
        let mut stream = tx.copy_out_raw(&statement).await.with_context(|| format!("copying {name}"))?;
        let (mut rows, mut bytes) = (0u64, 0u64);
        let mut pending: Vec<u8> = Vec::new();
        while let Some(chunk) = stream.try_next().await.with_context(|| format!("reading {name}"))? {
            // In COPY's text format every row ends with exactly one newline.
            rows += chunk.iter().filter(|b| **b == b'\n').count() as u64;
            bytes += chunk.len() as u64;
            pending.extend_from_slice(&chunk);
            if pending.len() >= CHUNK {
                writeln!(out, "CHUNK {}", pending.len())?;
                out.write_all(&pending)?;
                pending.clear();
            }
        }
        drop(stream);
        if !pending.is_empty() {
            writeln!(out, "CHUNK {}", pending.len())?;
            out.write_all(&pending)?;
        }
        writeln!(out, "END {rows}")?;
        summaries.push(TableSummary {
            name: name.clone(),
            columns: columns.clone(),
            rows,
            bytes,
        });
        bar.inc(1);
    }
    tx.commit().await.context("ending the backup transaction")?;
    bar.finish_and_clear();

    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        created_at,
        schema_version,
        tables: summaries,
    };
    writeln!(out, "MANIFEST {}", serde_json::to_string(&manifest)?)?;
    let digest = hex::encode(out.hasher.finalize_reset());
    writeln!(out.inner, "SHA256 {digest}")?;
    let file = out.inner.finish().context("finishing the compressed stream")?;
    file.into_inner()
        .map_err(|e| anyhow::anyhow!("writing the backup: {}", e.error()))?
        .sync_all()
        .context("syncing the backup to disk")?;
    // Only a complete file gets the final name.
    std::fs::rename(&partial, &path).with_context(|| format!("naming the backup {}", path.display()))?;
    point_latest_at(dir, &path)?;
    let file_bytes = std::fs::metadata(&path)?.len();
    Ok(BackupReport {
        path,
        manifest,
        file_bytes,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The name of the link that always points at the newest backup in a directory, so the
/// runbook's `restore --backup=./backups/latest...` needs no listing.
pub const LATEST: &str = "latest.mcbackup.gz";

/// Swaps the directory's `latest` link to `path` (a relative link, so the directory can move);
/// a rename replaces the old link in one step, so `latest` never dangles half-written.
fn point_latest_at(dir: &Path, path: &Path) -> anyhow::Result<()> {
    let target = path.file_name().context("a backup file has a name")?;
    let staged = dir.join(format!(".{LATEST}.new"));
    let _ = std::fs::remove_file(&staged);
    std::os::unix::fs::symlink(target, &staged).with_context(|| format!("linking {}", staged.display()))?;
    std::fs::rename(&staged, dir.join(LATEST)).with_context(|| format!("updating {}", dir.join(LATEST).display()))
}

/// One table's data as read back from a file.
pub struct TableData {
    pub summary: TableSummary,
    pub data: Vec<u8>,
}

/// Reads and checks a whole backup: magic and version, framing, row counts, the manifest and
/// the SHA-256 of the content. Any damage is an error that says what is wrong.
pub fn read_backup(path: &Path) -> anyhow::Result<(Manifest, Vec<TableData>)> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut reader = BufReader::new(GzDecoder::new(file));
    let mut hasher = Sha256::new();
    let damaged = |what: &str| anyhow::anyhow!("the backup {} is damaged or truncated: {what}", path.display());

    let mut line = String::new();
    let read_line = |reader: &mut BufReader<GzDecoder<std::fs::File>>, line: &mut String| -> anyhow::Result<()> {
        line.clear();
        let mut raw = Vec::new();
        reader
            .read_until(b'\n', &mut raw)
            .map_err(|e| anyhow::anyhow!("the backup {} is damaged or truncated: {e}", path.display()))?;
        if raw.last() != Some(&b'\n') {
            bail!(
                "the backup {} is damaged or truncated: it ends in the middle of a line",
                path.display()
            );
        }
        *line = String::from_utf8(raw).map_err(|_| anyhow::anyhow!("the backup {} is damaged: bad framing", path.display()))?;
        Ok(())
    };

    read_line(&mut reader, &mut line)?;
    let header = line.trim_end().to_string();
    let Some(version) = header.strip_prefix(&format!("{MAGIC} ")) else {
        bail!("{} is not a Mission Control backup", path.display());
    };
    let version: u32 = version.parse().map_err(|_| damaged("bad header"))?;
    if version != FORMAT_VERSION {
        bail!(
            "{} is a version {version} backup; this mission-control reads version {FORMAT_VERSION}",
            path.display()
        );
    }
    hasher.update(line.as_bytes());

    let mut tables = Vec::new();
    loop {
        read_line(&mut reader, &mut line)?;
        hasher.update(line.as_bytes());
        let l = line.trim_end().to_string();
        if let Some(rest) = l.strip_prefix("TABLE ") {
            let (name, columns) = rest.split_once(' ').ok_or_else(|| damaged("bad table header"))?;
            let columns: Vec<String> = columns.split(',').map(str::to_string).collect();
            let mut data = Vec::new();
            loop {
                read_line(&mut reader, &mut line)?;
                hasher.update(line.as_bytes());
                let l = line.trim_end();
                if let Some(n) = l.strip_prefix("CHUNK ") {
                    let n: usize = n.parse().map_err(|_| damaged("bad chunk size"))?;
                    if n > 64 * CHUNK {
                        return Err(damaged("implausible chunk size"));
                    }
                    let start = data.len();
                    data.resize(start + n, 0);
                    reader.read_exact(&mut data[start..]).map_err(|e| damaged(&e.to_string()))?;
                    hasher.update(&data[start..]);
                } else if let Some(rows) = l.strip_prefix("END ") {
                    let rows: u64 = rows.parse().map_err(|_| damaged("bad row count"))?;
                    let counted = data.iter().filter(|b| **b == b'\n').count() as u64;
                    if counted != rows {
                        return Err(damaged(&format!("{name} holds {counted} rows, its frame says {rows}")));
                    }
                    let bytes = data.len() as u64;
                    tables.push(TableData {
                        summary: TableSummary {
                            name: name.to_string(),
                            columns,
                            rows,
                            bytes,
                        },
                        data,
                    });
                    break;
                } else {
                    return Err(damaged("bad framing inside a table"));
                }
            }
        } else if let Some(json) = l.strip_prefix("MANIFEST ") {
            let manifest: Manifest = serde_json::from_str(json).map_err(|_| damaged("unreadable manifest"))?;
            let expected = hex::encode(hasher.finalize());
            read_line(&mut reader, &mut line)?;
            let found = line
                .trim_end()
                .strip_prefix("SHA256 ")
                .ok_or_else(|| damaged("no checksum"))?
                .to_string();
            if found != expected {
                return Err(damaged("the checksum does not match its content"));
            }
            let mut rest = Vec::new();
            reader.read_to_end(&mut rest).map_err(|e| damaged(&e.to_string()))?;
            if !rest.is_empty() {
                return Err(damaged("data after the checksum"));
            }
            let listed: Vec<&TableSummary> = manifest.tables.iter().collect();
            let found: Vec<&TableSummary> = tables.iter().map(|t| &t.summary).collect();
            if listed != found {
                return Err(damaged("the manifest does not match the tables"));
            }
            return Ok((manifest, tables));
        } else {
            return Err(damaged("bad framing"));
        }
    }
}

#[derive(Debug)]
pub struct RestoreReport {
    pub manifest: Manifest,
    pub replaced: bool,
    pub seconds: f64,
}

/// `mission-control restore`: into an empty database, or replacing everything with `force`,
/// in one transaction. The file is checked completely first; a bad file changes nothing.
pub async fn restore(pool: &PgPool, path: &Path, force: bool) -> anyhow::Result<RestoreReport> {
    let checked = check_backup(path).await?;
    restore_checked(pool, checked, force).await
}

/// A backup file read and checked completely (framing, checksum, manifest, format and schema
/// versions), held in memory, ready to load.
pub struct CheckedBackup {
    pub manifest: Manifest,
    tables: Vec<TableData>,
    started: Instant,
}

/// Reads and checks a backup without any database: `restore` calls this before it connects
/// or migrates, so a damaged file leaves the database exactly as it was (even without tables).
pub async fn check_backup(path: &Path) -> anyhow::Result<CheckedBackup> {
    let started = Instant::now();
    let path_owned = path.to_path_buf();
    let (manifest, tables) = tokio::task::spawn_blocking(move || read_backup(&path_owned))
        .await
        .context("reading the backup")??;
    let ours = crate::storage::MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    if manifest.schema_version > ours {
        bail!(
            "the backup's schema ({}) is newer than this mission-control's ({ours}); restore it with a newer release",
            manifest.schema_version
        );
    }
    Ok(CheckedBackup { manifest, tables, started })
}

/// Loads a checked backup: migrates the database, then refuses a non-empty one unless `force`,
/// and loads everything in one transaction.
pub async fn restore_checked(pool: &PgPool, checked: CheckedBackup, force: bool) -> anyhow::Result<RestoreReport> {
    let CheckedBackup { manifest, tables, started } = checked;
    crate::storage::migrate(pool).await?;
    let mut conn = pool.acquire().await.context("connecting for the restore")?;
    let ours = schema_version(&mut conn).await?;
    if manifest.schema_version > ours {
        bail!(
            "the backup's schema ({}) is newer than this database's ({ours}); restore it with a newer release",
            manifest.schema_version
        );
    }
    let present: std::collections::BTreeMap<String, Vec<String>> = app_tables(&mut conn).await?.into_iter().collect();
    for table in &tables {
        let Some(columns) = present.get(&table.summary.name) else {
            bail!("the backup has table {} which this database does not", table.summary.name);
        };
        if let Some(missing) = table.summary.columns.iter().find(|c| !columns.contains(c)) {
            bail!(
                "the backup's {} has column {missing} which this database does not",
                table.summary.name
            );
        }
    }
    let mut occupied = Vec::new();
    for name in present.keys() {
        let any: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT EXISTS (SELECT 1 FROM {})", quote_table(name))))
            .fetch_one(&mut *conn)
            .await?;
        if any {
            occupied.push(name.clone());
        }
    }
    if !occupied.is_empty() && !force {
        bail!(
            "the database is not empty ({} hold data); restore into an empty database, or pass --force to replace everything",
            occupied.join(", ")
        );
    }

    let mut tx = conn.begin().await.context("starting the restore transaction")?;
    // Rows go in table by table; foreign keys and the audit log's append-only trigger would
    // refuse the intermediate states, so triggers are off for this transaction only.
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .context("disabling triggers for the load (needs a superuser or the database owner)")?;
    let all: Vec<String> = present.keys().map(|n| quote_table(n)).collect();
    sqlx::query(sqlx::AssertSqlSafe(format!("TRUNCATE {}", all.join(", "))))
        .execute(&mut *tx)
        .await
        .context("emptying the database")?;
    for table in &tables {
        let statement = format!(
            "COPY {} ({}) FROM STDIN",
            quote_table(&table.summary.name),
            quote_ident_list(&table.summary.columns)
        );
        let mut copy = tx
            .copy_in_raw(&statement)
            .await
            .with_context(|| format!("loading {}", table.summary.name))?;
        if let Err(err) = copy.send(table.data.as_slice()).await {
            let _ = copy.abort("failed").await;
            return Err(err).with_context(|| format!("loading {}", table.summary.name));
        }
        let loaded = copy.finish().await.with_context(|| format!("loading {}", table.summary.name))?;
        if loaded != table.summary.rows {
            bail!("{} loaded {loaded} rows of {}", table.summary.name, table.summary.rows);
        }
    }
    // Sequences continue after the restored ids.
    let serials: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT n.nspname, c.relname, a.attname::text FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
         WHERE c.relkind = 'r' AND n.nspname = 'public' AND pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname) IS NOT NULL",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (schema, table, column) in serials {
        let qualified = format!("{}.{}", schema, table);
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT setval(pg_get_serial_sequence('{q}', '{column}'), COALESCE((SELECT max(\"{column}\") FROM {t}), 1), (SELECT max(\"{column}\") FROM {t}) IS NOT NULL)",
            q = quote_table(&qualified).replace('\'', "''"),
            t = quote_table(&qualified),
        )))
        .execute(&mut *tx)
        .await
        .with_context(|| format!("resetting the sequence of {qualified}.{column}"))?;
    }
    // The runs' daily roll-up is what their triggers would have written: made again from them
    // (a backup from before it existed has none).
    crate::storage::runs::rebuild_daily_costs(&mut tx)
        .await
        .context("rolling up the restored runs' costs")?;
    tx.commit().await.context("committing the restore")?;
    Ok(RestoreReport {
        manifest,
        replaced: !occupied.is_empty(),
        seconds: started.elapsed().as_secs_f64(),
    })
}
