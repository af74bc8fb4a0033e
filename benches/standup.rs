//! How long the standup of a big project takes to compose: 100,000 tasks (every status), 1,000
//! agents with spend and runs, pending approvals. Measures the core's composition (the summary
//! read model, saved as an activity with its outbox row) and the rendering (text + PNG chart).
//!
//!     cargo bench --bench standup            # BENCH_TASKS, BENCH_AGENTS, BENCH_APPROVALS, BENCH_ROUNDS to change
//!
//! Needs PostgreSQL at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); it
//! creates and drops its own database.

mod support;

use anyhow::Context;
use mission_control::app::{App, Rules, SystemClock};
use mission_control::i18n::Lang;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{env_or, BenchDb};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let tasks: i64 = env_or("BENCH_TASKS", 100_000);
    let agents: i64 = env_or("BENCH_AGENTS", 1_000);
    let rounds: usize = env_or("BENCH_ROUNDS", 10);
    let approvals: i64 = env_or("BENCH_APPROVALS", 200);
    let db = BenchDb::create("standup", 10).await?;
    let pool = db.pool.clone();
    let app = App::new(pool.clone(), Arc::new(SystemClock), Rules::default());
    app.seed().await?;

    let loading = Instant::now();
    // Agents with spend today, then tasks of every status, runs and pending approvals.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "INSERT INTO agents (id, project_id, name, role, allowed_task_types, daily_cap_micros, per_run_cap_micros,
                             today_spend_micros, total_spend_micros, spend_day, last_heartbeat, created_at, updated_at)
         SELECT gen_random_uuid(), p.id, 'Bench' || g, 'specialist', '{{}}', 5000000, 750000,
                (g * 7919) % 5000000, (g * 7919) % 5000000, current_date,
                now() - ((g % 600) || ' seconds')::interval, now(), now()
         FROM projects p, generate_series(1, {agents}) g WHERE p.slug = 'openclaw';
         UPDATE projects SET next_task_number = next_task_number + {tasks} WHERE slug = 'openclaw';
         INSERT INTO tasks (id, project_id, number, title, type, priority, status, work_plan, deliverable, blocked_reason,
                            created_by, created_at, updated_at, completed_at)
         SELECT gen_random_uuid(), p.id, 1000 + g, 'Bench task ' || g,
                (ARRAY['content','social','email_marketing','customer_research','seo_research','engineering','docs','ops'])[1 + g % 8]::task_type,
                1 + g % 4, s.status,
                CASE WHEN s.status = 'in_progress' THEN ARRAY['a','b','c'] ELSE '{{}}' END,
                CASE WHEN s.status = 'review' THEN 'deliverable' END,
                CASE WHEN s.status = 'blocked' THEN 'waiting for something' END,
                'bench', now() - ((g % 1440) || ' minutes')::interval, now(),
                CASE WHEN s.status IN ('done', 'canceled') THEN now() - ((g % 2880) || ' minutes')::interval END
         FROM projects p, generate_series(1, {tasks}) g,
              LATERAL (SELECT (ARRAY['inbox','assigned','in_progress','review','needs_approval','blocked','done','canceled'])[1 + g % 8]::task_status AS status) s
         WHERE p.slug = 'openclaw';
         INSERT INTO runs (id, project_id, agent_id, cost_micros, status, created_at)
         SELECT gen_random_uuid(), a.project_id, a.id, a.today_spend_micros, 'succeeded', now() - interval '20 minutes'
         FROM agents a WHERE a.name LIKE 'Bench%';
         INSERT INTO approvals (id, project_id, number, agent_id, action_type, action_summary, risk, justification,
                                status, expires_at, escalated_at, created_at)
         SELECT gen_random_uuid(), p.id, p.next_approval_number + g - 1, a.id, 'email.send', 'Bench request ' || g, 'red',
                'bench', CASE WHEN g % 4 = 0 THEN 'escalated' ELSE 'pending' END::approval_status,
                now() + ((g % 60) || ' minutes')::interval, CASE WHEN g % 4 = 0 THEN now() END, now()
         FROM projects p, generate_series(1, {approvals}) g
         JOIN LATERAL (SELECT id FROM agents WHERE name = 'Bench' || (1 + (g - 1) % {agents})) a ON true
         WHERE p.slug = 'openclaw';
         UPDATE projects SET next_approval_number = next_approval_number + {approvals} WHERE slug = 'openclaw';
         ANALYZE;"
    )))
    .execute(&pool)
    .await
    .context("loading the data")?;
    let project = app.project_by_slug("openclaw").await?;
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM approvals WHERE status IN ('pending', 'escalated')")
        .fetch_one(&pool)
        .await?;
    println!(
        "standup benchmark: {} tasks, {} agents, {pending} pending approvals (loaded in {:.1}s), {rounds} rounds",
        tasks + 8,
        agents + 8,
        loading.elapsed().as_secs_f64()
    );

    let mut compose = Vec::new();
    let mut render = Vec::new();
    let system = mission_control::domain::Actor::system("bench");
    for _ in 0..rounds {
        let t = Instant::now();
        assert!(app.post_standup(project.id, true).await?);
        compose.push(t.elapsed());
        let t = Instant::now();
        let summary = app.project_summary(&system, project.id).await?;
        let (text, chart) = mission_control::telegram::render::standup_message(&summary, 0, Lang::En);
        let png = mission_control::charts::standup_png(&chart)?;
        render.push(t.elapsed());
        assert!(!text.is_empty() && png.len() > 1000);
    }
    let stats = |mut v: Vec<Duration>| {
        v.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        (ms(v[v.len() / 2]), ms(*v.last().unwrap()))
    };
    let (compose_p50, compose_max) = stats(compose);
    let (render_p50, render_max) = stats(render);
    println!();
    println!("| step | p50 ms | max ms |");
    println!("|---|---:|---:|");
    println!("| compose + save + enqueue (core, one transaction) | {compose_p50:.1} | {compose_max:.1} |");
    println!("| summary read + text + PNG chart (dispatcher side) | {render_p50:.1} | {render_max:.1} |");

    db.drop().await?;
    Ok(())
}
