//! `POST /api/jobs/{job}/run`: run a scheduled job now (CAO), e.g. the standup or the loop
//! detector after a fix.

use super::error::{ApiError, ApiResult, Conflict, NotFound};
use super::extract::{ApiPath, Caller};
use super::HttpState;
use axum::extract::State;
use axum::Json;
use mc_core::app::jobs::JobRun;
use mc_core::app::jobs::{instance_name, parse_job, Job};

#[utoipa::path(post, path = "/api/jobs/{job}/run", operation_id = "runJob", tag = "operations",
    params(("job" = Job, Path)),
    responses((status = 200, body = JobRun), NotFound, Conflict))]
pub async fn run(Caller(actor): Caller, State(ctx): State<HttpState>, ApiPath(job): ApiPath<String>) -> ApiResult<Json<JobRun>> {
    let job = parse_job(&job)?;
    // A manual run is its own occurrence (real time, so two clicks are two runs).
    let run = ctx
        .app
        .run_job(
            &actor,
            job,
            ctx.app.now(),
            &instance_name(),
            ctx.settings.jobs.outbox_retention_days,
        )
        .await?
        .ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "already_running",
                "this occurrence of the job is already running",
            )
        })?;
    Ok(Json(run))
}
