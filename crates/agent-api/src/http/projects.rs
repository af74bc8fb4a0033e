//! `/api/projects` and `/api/emergency`: workspaces, and stopping a whole squad at once.

use super::agents::ReasonBody;
use super::error::{ApiResult, Conflict, NotFound, Unprocessable};
use super::extract::{ApiPath, Caller, JsonBody, Scoped};
use super::{input_schemas, HttpState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use mc_core::app::projects::{CreateProject, StandupSchedule};
use mc_core::app::squad::SquadChange;
use mc_core::model::{Page, Project};
use serde::Deserialize;
use utoipa::ToSchema;

#[utoipa::path(get, path = "/api/projects", operation_id = "listProjects", tag = "projects", responses((status = 200, body = Page<Project>)))]
pub async fn list(Caller(actor): Caller, State(ctx): State<HttpState>) -> ApiResult<Json<Page<Project>>> {
    let items = ctx.app.list_projects(&actor).await?;
    let total = items.len() as i64;
    Ok(Json(Page { items, total }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateProjectBody {
    #[schema(schema_with = input_schemas::project_slug)]
    slug: String,
    #[schema(schema_with = input_schemas::project_name)]
    name: String,
    #[serde(default)]
    #[schema(schema_with = input_schemas::project_description)]
    description: String,
    /// When the daily standup is posted, local time `HH:MM` (default `09:00`).
    #[schema(schema_with = input_schemas::standup_time)]
    standup_time: Option<String>,
    /// The IANA time zone of `standupTime`, e.g. `Europe/Berlin` (default `UTC`).
    #[schema(schema_with = input_schemas::standup_timezone)]
    standup_timezone: Option<String>,
}

#[utoipa::path(post, path = "/api/projects", operation_id = "createProject", tag = "projects", request_body = CreateProjectBody,
    responses((status = 201, body = Project), Conflict, Unprocessable))]
pub async fn create(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    JsonBody(body): JsonBody<CreateProjectBody>,
) -> ApiResult<(StatusCode, Json<Project>)> {
    let project = ctx
        .app
        .create_project_with(
            &actor,
            CreateProject {
                slug: body.slug,
                name: body.name,
                description: body.description,
            },
            StandupSchedule {
                time: body.standup_time,
                timezone: body.standup_timezone,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(project)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectPatch {
    /// When the daily standup is posted, local time `HH:MM`.
    #[schema(schema_with = input_schemas::standup_time)]
    standup_time: Option<String>,
    /// The IANA time zone of `standupTime`, e.g. `Europe/Berlin`; an unknown zone is refused.
    #[schema(schema_with = input_schemas::standup_timezone)]
    standup_timezone: Option<String>,
}

/// Changes the project's standup time and time zone (CAO).
#[utoipa::path(patch, path = "/api/projects/{slug}", operation_id = "updateProject", tag = "projects", params(("slug" = String, Path)), request_body = ProjectPatch,
    responses((status = 200, body = Project), NotFound, Unprocessable))]
pub async fn patch(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    ApiPath(slug): ApiPath<String>,
    JsonBody(body): JsonBody<ProjectPatch>,
) -> ApiResult<Json<Project>> {
    let project = ctx.app.project_by_slug(&slug).await?;
    Ok(Json(
        ctx.app
            .set_project_standup(
                &actor,
                project.id,
                StandupSchedule {
                    time: body.standup_time,
                    timezone: body.standup_timezone,
                },
            )
            .await?,
    ))
}

/// Pauses every active agent of the project in scope.
#[utoipa::path(post, path = "/api/emergency/pause-squad", operation_id = "pauseSquad", tag = "emergency", request_body = Option<ReasonBody>,
    responses((status = 200, body = SquadChange), NotFound))]
pub async fn pause_squad(
    scope: Scoped,
    State(ctx): State<HttpState>,
    JsonBody(body): JsonBody<ReasonBody>,
) -> ApiResult<Json<SquadChange>> {
    Ok(Json(
        ctx.app.pause_squad(&scope.actor, scope.project.id, body.reason.as_deref()).await?,
    ))
}

/// Resumes the agents the squad pause stopped (not those paused for other reasons).
#[utoipa::path(post, path = "/api/emergency/resume-squad", operation_id = "resumeSquad", tag = "emergency",
    responses((status = 200, body = SquadChange), NotFound))]
pub async fn resume_squad(scope: Scoped, State(ctx): State<HttpState>) -> ApiResult<Json<SquadChange>> {
    Ok(Json(ctx.app.resume_squad(&scope.actor, scope.project.id).await?))
}
