//! `/api/projects` and `/api/emergency`: workspaces, and stopping a whole squad at once.

use super::agents::ReasonBody;
use super::error::ApiError;
use super::error::{ApiResult, Conflict, NotFound, Unprocessable};
use super::extract::{double_option, ApiPath, Caller, JsonBody, Scoped};
use super::{input_schemas, HttpState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use mc_core::app::budgets::ProjectBudgetView;
use mc_core::app::projects::{CreateProject, StandupSchedule};
use mc_core::app::squad::SquadChange;
use mc_core::model::{Page, Project};
use mc_domain::Usd;
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
    /// The project's caps over all its agents (CAO); see `GET /api/projects/{slug}/budget`.
    budgets: Option<ProjectBudgetsPatch>,
}

/// A project's daily and monthly caps in dollars over all its agents; null removes one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectBudgetsPatch {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = input_schemas::optional_dollars)]
    daily_cap: Option<Option<Usd>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = input_schemas::optional_dollars)]
    monthly_cap: Option<Option<Usd>>,
}

/// Changes the project's standup time and time zone, or its budgets (CAO).
#[utoipa::path(patch, path = "/api/projects/{slug}", operation_id = "updateProject", tag = "projects", params(("slug" = String, Path)), request_body = ProjectPatch,
    responses((status = 200, body = Project), NotFound, Unprocessable))]
pub async fn patch(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    ApiPath(slug): ApiPath<String>,
    JsonBody(body): JsonBody<ProjectPatch>,
) -> ApiResult<Json<Project>> {
    let project = ctx.app.project_by_slug(&slug).await?;
    let standup = body.standup_time.is_some() || body.standup_timezone.is_some();
    match (body.budgets, standup) {
        (Some(_), true) => Err(ApiError::validation("send budgets and the standup schedule in separate requests")),
        (Some(b), false) => {
            ctx.app.set_project_budget(&actor, project.id, b.daily_cap, b.monthly_cap).await?;
            Ok(Json(ctx.app.project_by_slug(&slug).await?))
        }
        (None, _) => Ok(Json(
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
        )),
    }
}

/// The project's caps over all its agents and what it spent under them today and this month.
#[utoipa::path(get, path = "/api/projects/{slug}/budget", operation_id = "getProjectBudget", tag = "projects", params(("slug" = String, Path)),
    responses((status = 200, body = ProjectBudgetView), NotFound))]
pub async fn budget(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<ProjectBudgetView>> {
    let project = ctx.app.project_by_slug(&slug).await?;
    Ok(Json(ctx.app.project_budget(&actor, project.id).await?))
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
