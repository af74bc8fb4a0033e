//! `/api/tasks`: create, list, read, assign, move, claim, comment, timeline.

use super::error::{ApiError, ApiResult, Conflict, NotFound, Unprocessable};
use super::extract::{comma_list, query_enum, whole_number, ApiPath, ApiQuery, Caller, IdempotencyHeader, JsonBody, Scoped};
use super::{input_schemas, HttpState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use mc_core::app::queries::{TaskQuery, Timeline};
use mc_core::app::tasks::{CreateTask, TransitionOutcome, TransitionTask};
use mc_core::app::PageRequest;
use mc_core::model::{Comment, Page, Task};
use mc_domain::{Actor, ActorKind, TaskStatus, TaskType, Usd};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct TaskListParams {
    /// Comma-separated statuses, e.g. `blocked,needs_approval`.
    #[param(value_type = Option<Vec<TaskStatus>>, style = Form, explode = false, min_items = 1)]
    status: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<TaskType>)]
    task_type: Option<String>,
    assignee_id: Option<Uuid>,
    #[param(schema_with = input_schemas::limit)]
    limit: Option<i64>,
    #[param(schema_with = input_schemas::offset)]
    offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/tasks", operation_id = "listTasks", tag = "tasks", params(TaskListParams),
    responses((status = 200, body = Page<Task>), NotFound, Unprocessable))]
pub async fn list(scope: Scoped, State(ctx): State<HttpState>, ApiQuery(p): ApiQuery<TaskListParams>) -> ApiResult<Json<Page<Task>>> {
    let query = TaskQuery {
        statuses: comma_list("status", &p.status, TaskStatus::parse)?,
        task_type: query_enum("type", &p.task_type, TaskType::parse)?,
        assignee_id: p.assignee_id,
        page: PageRequest::new(p.limit, p.offset)?,
    };
    Ok(Json(ctx.app.list_tasks(&scope.actor, scope.project.id, query).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTaskBody {
    #[schema(schema_with = input_schemas::task_title)]
    title: String,
    #[serde(default)]
    #[schema(schema_with = input_schemas::task_description)]
    description: String,
    #[serde(rename = "type")]
    task_type: TaskType,
    /// 1 (critical) to 4 (low); default 3.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(minimum = 1, maximum = 4)]
    priority: Option<i16>,
    #[serde(default)]
    #[schema(schema_with = input_schemas::assignee_ids)]
    assignee_ids: Vec<Uuid>,
    reviewer_id: Option<Uuid>,
    #[schema(schema_with = input_schemas::optional_dollars)]
    budget_allocated: Option<Usd>,
}

#[utoipa::path(post, path = "/api/tasks", operation_id = "createTask", tag = "tasks", request_body = CreateTaskBody,
    responses((status = 201, body = Task), NotFound, Unprocessable))]
pub async fn create(
    scope: Scoped,
    State(ctx): State<HttpState>,
    JsonBody(body): JsonBody<CreateTaskBody>,
) -> ApiResult<(StatusCode, Json<Task>)> {
    let task = ctx
        .app
        .create_task(
            &scope.actor,
            scope.project.id,
            CreateTask {
                title: body.title,
                description: body.description,
                task_type: body.task_type,
                priority: body.priority,
                assignee_ids: body.assignee_ids,
                reviewer_id: body.reviewer_id,
                budget_allocated: body.budget_allocated,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(task)))
}

#[utoipa::path(get, path = "/api/tasks/{id}", operation_id = "getTask", tag = "tasks", params(("id" = Uuid, Path)),
    responses((status = 200, body = Task), NotFound))]
pub async fn get(Caller(actor): Caller, State(ctx): State<HttpState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Task>> {
    Ok(Json(ctx.app.get_task(&actor, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskPatch {
    /// The new assignees (replaces the old ones); an inbox task becomes assigned.
    #[schema(schema_with = input_schemas::assignee_ids)]
    assignee_ids: Vec<Uuid>,
}

#[utoipa::path(patch, path = "/api/tasks/{id}", operation_id = "assignTask", tag = "tasks", params(("id" = Uuid, Path)), request_body = TaskPatch,
    responses((status = 200, body = Task), NotFound, Conflict, Unprocessable))]
pub async fn patch(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(body): JsonBody<TaskPatch>,
) -> ApiResult<Json<Task>> {
    Ok(Json(ctx.app.assign_task(&actor, id, body.assignee_ids).await?))
}

#[utoipa::path(get, path = "/api/tasks/{id}/timeline", operation_id = "getTaskTimeline", tag = "tasks", params(("id" = Uuid, Path)),
    responses((status = 200, body = Timeline), NotFound))]
pub async fn timeline(Caller(actor): Caller, State(ctx): State<HttpState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Timeline>> {
    Ok(Json(ctx.app.task_timeline(&actor, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransitionBody {
    to_status: TaskStatus,
    /// Who is asking, as the runbook writes it (`human`, `agent`, `system`); it must match the
    /// token, which is what is recorded.
    #[schema(schema_with = input_schemas::claimed_actor)]
    actor: Option<String>,
    #[schema(schema_with = input_schemas::optional_reason)]
    reason: Option<String>,
    /// Or the `Idempotency-Key` header: a repeat returns the first result.
    #[schema(schema_with = input_schemas::idempotency_key)]
    idempotency_key: Option<String>,
    /// 3–6 bullets, required to start work (→ in_progress).
    #[schema(schema_with = input_schemas::work_plan)]
    work_plan: Option<Vec<String>>,
    /// Required to submit for review.
    #[schema(schema_with = input_schemas::deliverable)]
    deliverable: Option<String>,
}

fn check_claimed_actor(actor: &Actor, claimed: Option<&str>) -> ApiResult<()> {
    let Some(claimed) = claimed else {
        return Ok(());
    };
    // Spelled as the document lists them: `operator` is a human.
    let kind = match claimed {
        "operator" => ActorKind::Human,
        other => ActorKind::parse(other)
            .ok()
            .filter(|kind| kind.as_str() == other)
            .ok_or_else(|| ApiError::validation(format!("unknown actor '{other}' (expected one of: human, operator, agent, system)")))?,
    };
    if kind != actor.kind() {
        return Err(ApiError::forbidden(format!(
            "actor '{claimed}' does not match the token, which belongs to {} ({})",
            actor.name(),
            actor.kind()
        )));
    }
    Ok(())
}

#[utoipa::path(post, path = "/api/tasks/{id}/transition", operation_id = "transitionTask", tag = "tasks", params(("id" = Uuid, Path)), request_body = TransitionBody,
    responses((status = 200, body = TransitionOutcome), NotFound, Conflict, Unprocessable))]
pub async fn transition(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    ApiPath(id): ApiPath<Uuid>,
    IdempotencyHeader(header_key): IdempotencyHeader,
    JsonBody(body): JsonBody<TransitionBody>,
) -> ApiResult<Json<TransitionOutcome>> {
    check_claimed_actor(&actor, body.actor.as_deref())?;
    let key = match (header_key, body.idempotency_key) {
        (Some(h), Some(b)) if h != b => {
            return Err(ApiError::validation(
                "the Idempotency-Key header and idempotencyKey differ; send one",
            ));
        }
        (h, b) => h.or(b),
    };
    let outcome = ctx
        .app
        .transition_task(
            &actor,
            id,
            TransitionTask {
                to: Some(body.to_status),
                reason: body.reason.map(Into::into),
                idempotency_key: key,
                work_plan: body.work_plan,
                deliverable: body.deliverable,
            },
        )
        .await?;
    Ok(Json(outcome))
}

/// An agent takes this inbox task.
#[utoipa::path(post, path = "/api/tasks/{id}/claim", operation_id = "claimTask", tag = "tasks", params(("id" = Uuid, Path)),
    responses((status = 200, body = Task), NotFound, Conflict))]
pub async fn claim(scope: Scoped, State(ctx): State<HttpState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Task>> {
    Ok(Json(ctx.app.claim_task(&scope.actor, scope.project.id, Some(id)).await?))
}

/// An agent takes the best inbox task for its types (highest priority, oldest first).
#[utoipa::path(post, path = "/api/tasks/claim", operation_id = "claimNextTask", tag = "tasks",
    responses((status = 200, body = Task), NotFound, Conflict))]
pub async fn claim_next(scope: Scoped, State(ctx): State<HttpState>) -> ApiResult<Json<Task>> {
    Ok(Json(ctx.app.claim_task(&scope.actor, scope.project.id, None).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommentBody {
    #[schema(schema_with = input_schemas::comment_body)]
    body: String,
}

#[utoipa::path(post, path = "/api/tasks/{id}/comments", operation_id = "commentOnTask", tag = "tasks", params(("id" = Uuid, Path)), request_body = CommentBody,
    responses((status = 201, body = Comment), NotFound, Unprocessable))]
pub async fn comment(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(body): JsonBody<CommentBody>,
) -> ApiResult<(StatusCode, Json<Comment>)> {
    let comment = ctx.app.comment_on_task(&actor, id, &body.body, None).await?;
    Ok((StatusCode::CREATED, Json(comment)))
}
