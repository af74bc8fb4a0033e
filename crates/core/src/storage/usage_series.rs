//! Where each telemetry series of an agent stood when last counted (`usage_series`, keyed by
//! the MD5 of the series' identity).

use mc_domain::costs::telemetry::SeriesMark;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// The marks of these series of the agent, locked, by series identity.
pub async fn lock(conn: &mut PgConnection, agent_id: Uuid, series: &[String]) -> sqlx::Result<HashMap<String, SeriesMark>> {
    let rows: Vec<(String, i64, i64, f64)> = sqlx::query_as(
        "SELECT k.key, s.start_ns, s.time_ns, s.value
         FROM unnest($2::text[]) AS k(key)
         JOIN usage_series s ON s.agent_id = $1 AND s.series = md5(k.key)
         ORDER BY s.series FOR UPDATE OF s",
    )
    .bind(agent_id)
    .bind(series)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(key, start, time, value)| {
            let mark = SeriesMark {
                start_ns: start as u64,
                time_ns: time as u64,
                value,
            };
            (key, mark)
        })
        .collect())
}

/// Keeps the series' new marks, in one statement.
pub async fn save(conn: &mut PgConnection, agent_id: Uuid, marks: &[(&str, SeriesMark)]) -> sqlx::Result<()> {
    if marks.is_empty() {
        return Ok(());
    }
    let clamp = |ns: u64| i64::try_from(ns).unwrap_or(i64::MAX);
    let keys: Vec<&str> = marks.iter().map(|(k, _)| *k).collect();
    let starts: Vec<i64> = marks.iter().map(|(_, m)| clamp(m.start_ns)).collect();
    let times: Vec<i64> = marks.iter().map(|(_, m)| clamp(m.time_ns)).collect();
    let values: Vec<f64> = marks.iter().map(|(_, m)| m.value).collect();
    sqlx::query(
        "INSERT INTO usage_series (agent_id, series, start_ns, time_ns, value)
         SELECT $1, md5(k), s, t, v FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::float8[]) AS x(k, s, t, v)
         ON CONFLICT (agent_id, series) DO UPDATE SET start_ns = excluded.start_ns, time_ns = excluded.time_ns, value = excluded.value",
    )
    .bind(agent_id)
    .bind(&keys)
    .bind(&starts)
    .bind(&times)
    .bind(&values)
    .execute(conn)
    .await?;
    Ok(())
}
