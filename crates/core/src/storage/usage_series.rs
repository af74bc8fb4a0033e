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

/// Keeps a series' new mark.
pub async fn save(conn: &mut PgConnection, agent_id: Uuid, series: &str, mark: SeriesMark) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO usage_series (agent_id, series, start_ns, time_ns, value) VALUES ($1, md5($2), $3, $4, $5)
         ON CONFLICT (agent_id, series) DO UPDATE SET start_ns = $3, time_ns = $4, value = $5",
    )
    .bind(agent_id)
    .bind(series)
    .bind(i64::try_from(mark.start_ns).unwrap_or(i64::MAX))
    .bind(i64::try_from(mark.time_ns).unwrap_or(i64::MAX))
    .bind(mark.value)
    .execute(conn)
    .await?;
    Ok(())
}
