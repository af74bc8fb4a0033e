//! `/api/questions`: agents ask the humans, operators answer (the chat answers the same
//! questions with its buttons and replies); the asking agent waits on `GET …?wait=`.

use super::error::{ApiResult, Conflict, NotFound, Unprocessable};
use super::extract::{wait_param, ApiPath, ApiQuery, Caller, Held, JsonBody, Scoped};
use super::{input_schemas, HttpState};
use crate::protocol::AskQuestion;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use mc_core::app::questions::{Answer, QuestionAnswer};
use mc_core::model::Question;
use mc_domain::QuestionStatus;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Which questions a list shows.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionFilter {
    /// Waiting for an answer (`pending`).
    Open,
    Pending,
    Answered,
    Expired,
    Canceled,
}

impl From<QuestionFilter> for QuestionStatus {
    fn from(f: QuestionFilter) -> Self {
        match f {
            QuestionFilter::Open | QuestionFilter::Pending => QuestionStatus::Pending,
            QuestionFilter::Answered => QuestionStatus::Answered,
            QuestionFilter::Expired => QuestionStatus::Expired,
            QuestionFilter::Canceled => QuestionStatus::Canceled,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuestionListParams {
    /// `open` (the same as `pending`), `answered`, `expired` or `canceled`; all without it.
    #[param(inline)]
    status: Option<QuestionFilter>,
}

/// The project's questions, newest first (at most 100; an agent's list is its own).
#[utoipa::path(get, path = "/api/questions", operation_id = "listQuestions", tag = "questions", params(QuestionListParams),
    responses((status = 200, body = Vec<Question>), NotFound, Unprocessable))]
pub async fn list(
    scope: Scoped,
    State(ctx): State<HttpState>,
    ApiQuery(p): ApiQuery<QuestionListParams>,
) -> ApiResult<Json<Vec<Question>>> {
    let status = p.status.map(QuestionStatus::from);
    Ok(Json(ctx.app.list_questions(&scope.actor, scope.project.id, status).await?))
}

/// An agent asks: the chat shows the question in its task's topic (General without a task),
/// with a button per option or asking for a reply. Wait for the answer on `GET /api/questions/{id}?wait=N`.
#[utoipa::path(post, path = "/api/questions", operation_id = "askQuestion", tag = "questions", request_body = AskQuestion,
    responses((status = 201, body = Question), NotFound, Unprocessable))]
pub async fn ask(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    JsonBody(body): JsonBody<AskQuestion>,
) -> ApiResult<(StatusCode, Json<Question>)> {
    let question = ctx.app.ask_question(&actor, body.into()).await?;
    Ok((StatusCode::CREATED, Json(question)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnswerWaitParams {
    /// Long-poll: seconds (0–600) to wait while the question is open; the answer, an expiry or
    /// a cancel (or the agent being stopped) answers at once. Default 0.
    #[param(value_type = Option<u64>, maximum = 600)]
    wait: Option<String>,
}

/// A question's state and answer (an agent reads only its own). With `?wait=N` the call waits
/// up to N seconds while it is open and holds no database connection meanwhile.
#[utoipa::path(get, path = "/api/questions/{id}", operation_id = "getQuestion", tag = "questions",
    params(("id" = Uuid, Path), AnswerWaitParams),
    responses((status = 200, body = QuestionAnswer), NotFound, Unprocessable))]
pub async fn get(
    Caller(actor): Caller,
    Held(held): Held,
    State(ctx): State<HttpState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(p): ApiQuery<AnswerWaitParams>,
) -> ApiResult<Json<QuestionAnswer>> {
    let wait = wait_param(&p.wait)?;
    Ok(Json(ctx.app.await_answer(&actor, id, wait, Some(held)).await?))
}

/// An operator's answer: text, the chosen options, or both.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnswerBody {
    #[serde(default)]
    #[schema(schema_with = input_schemas::answer_text)]
    text: Option<String>,
    #[serde(default)]
    #[schema(schema_with = input_schemas::answer_options)]
    options: Option<Vec<String>>,
}

/// Operators answer (viewers only read); the first answer wins, a later one is refused (409)
/// naming it.
#[utoipa::path(post, path = "/api/questions/{id}/answer", operation_id = "answerQuestion", tag = "questions", params(("id" = Uuid, Path)), request_body = AnswerBody,
    responses((status = 200, body = Question), NotFound, Conflict, Unprocessable))]
pub async fn answer(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(body): JsonBody<AnswerBody>,
) -> ApiResult<Json<Question>> {
    let answer = Answer {
        text: body.text,
        options: body.options,
    };
    Ok(Json(ctx.app.answer_question(&actor, id, answer).await?))
}

/// The asking agent withdraws its question.
#[utoipa::path(post, path = "/api/questions/{id}/cancel", operation_id = "cancelQuestion", tag = "questions", params(("id" = Uuid, Path)),
    responses((status = 200, body = Question), NotFound, Conflict))]
pub async fn cancel(Caller(actor): Caller, State(ctx): State<HttpState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Question>> {
    Ok(Json(ctx.app.cancel_question(&actor, id).await?))
}
