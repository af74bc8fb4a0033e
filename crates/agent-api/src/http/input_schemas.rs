//! The schemas of the API's inputs that `#[derive(ToSchema)]` cannot spell: the patterns and
//! bounds of the domain's parsers (so a request the document calls valid is one the server
//! takes, and the other way round), and the rules that tie fields together. Used through
//! `#[schema(schema_with = …)]` and `#[param(schema_with = …)]`.

use mc_core::app::approvals::{action_type_pattern, MAX_EXPIRES_IN_MINUTES};
use mc_core::app::projects::{standup_time_pattern, standup_timezones};
use mc_core::app::PageRequest;
use mc_domain::{patterns, Deliverable, Reason, Usd, WorkPlan};
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};
use utoipa::openapi::RefOr;

fn string(pattern: String, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
}

fn or_null(builder: ObjectBuilder, kind: Type) -> ObjectBuilder {
    builder.schema_type(SchemaType::from_iter([kind, Type::Null]))
}

/// Text the domain's `required_text` takes: not blank, no control characters but tab and line
/// breaks, at most `max` characters as sent.
fn text(max: usize) -> ObjectBuilder {
    string(
        patterns::text(),
        &format!("Text: 1 to {max} characters (trimmed when kept), not blank, no control characters but tab and line breaks."),
    )
    .max_length(Some(max))
}

/// Text that may be blank (then it counts as not given).
fn optional_text(max: usize) -> ObjectBuilder {
    string(
        patterns::optional_text(),
        &format!("Text: up to {max} characters (trimmed when kept; blank is none), no control characters but tab and line breaks."),
    )
    .max_length(Some(max))
}

fn enum_strings<'a>(values: impl IntoIterator<Item = &'a str>, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
}

pub fn task_title() -> ObjectBuilder {
    text(mc_domain::TaskTitle::MAX_CHARS)
}

pub fn task_description() -> ObjectBuilder {
    optional_text(mc_domain::TaskDescription::MAX_CHARS)
}

pub fn comment_body() -> ObjectBuilder {
    text(mc_domain::CommentBody::MAX_CHARS)
}

pub fn project_name() -> ObjectBuilder {
    text(mc_domain::ProjectName::MAX_CHARS)
}

/// An operator token's name: the same text as a project's name (`app::tokens`).
pub fn token_name() -> ObjectBuilder {
    text(mc_domain::ProjectName::MAX_CHARS)
}

/// `?kind=` of the token list.
pub fn token_kind() -> ObjectBuilder {
    enum_strings(["operator", "agent"], "`operator` or `agent`; both when absent.")
}

/// A token's lifetime as `credentials::parse_lifetime` reads it: a whole number and a unit
/// (`m`/`min`/`minutes`, `h`/`hours`, `d`/`days`, `w`/`weeks`, any case), a minute to ten
/// years. The pattern states the shape (spaces as Rust's `trim` takes them); the unit words and
/// the range are checked by the server (422).
pub fn token_lifetime() -> ObjectBuilder {
    or_null(
        string(
            r"^[\s\u0085]*([0-9]+[\s\u0085]*[A-Za-z]+[\s\u0085]*)?$".to_string(),
            "e.g. `30d`, `12h`, `90m`, `2w` (m/min/minutes, h/hours, d/days, w/weeks), a minute to ten years; without it (or blank) the token does not expire.",
        ),
        Type::String,
    )
}

/// `?limit=` of the audit export: 1 to `EXPORT_MAX_ROWS` events per answer.
pub fn export_limit() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(1))
        .maximum(Some(mc_core::app::audit::EXPORT_MAX_ROWS))
        .description(Some("At most this many events (default and maximum 10000)."))
}

pub fn project_description() -> ObjectBuilder {
    optional_text(mc_domain::ProjectDescription::MAX_CHARS)
}

pub fn justification() -> ObjectBuilder {
    text(mc_domain::Justification::MAX_CHARS)
}

pub fn action_summary() -> ObjectBuilder {
    text(Reason::MAX_CHARS)
}

/// A reason or a note that may be left out.
pub fn optional_reason() -> ObjectBuilder {
    or_null(optional_text(Reason::MAX_CHARS), Type::String)
}

/// A reason that must be given (a deny's).
pub fn required_reason() -> ObjectBuilder {
    text(Reason::MAX_CHARS)
}

pub fn rollback_plan() -> ObjectBuilder {
    or_null(optional_text(mc_domain::RollbackPlan::MAX_CHARS), Type::String)
}

pub fn model_name() -> ObjectBuilder {
    or_null(optional_text(mc_domain::ModelName::MAX_CHARS), Type::String)
}

/// Tokens a run used: a whole number, not negative.
pub fn token_count() -> ObjectBuilder {
    or_null(
        ObjectBuilder::new()
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(0))
            .description(Some("Tokens used.")),
        Type::Integer,
    )
}

pub fn run_error() -> ObjectBuilder {
    or_null(optional_text(mc_domain::RunError::MAX_CHARS), Type::String)
}

/// What an agent hands in for review.
pub fn deliverable_text() -> ObjectBuilder {
    text(Deliverable::MAX_CHARS)
}

pub fn deliverable() -> ObjectBuilder {
    or_null(deliverable_text(), Type::String)
}

/// A work plan: 3–6 bullets.
pub fn work_plan_bullets() -> ArrayBuilder {
    let bullet = string(
        patterns::work_plan_bullet(),
        "A bullet: leading `-`, `*`, `•` and spaces are dropped; the rest is text (not blank).",
    )
    .max_length(Some(WorkPlan::MAX_BULLET_CHARS));
    ArrayBuilder::new()
        .items(bullet)
        .min_items(Some(WorkPlan::MIN_BULLETS))
        .max_items(Some(WorkPlan::MAX_BULLETS))
        .description(Some("3–6 bullets, required to start work (→ in_progress)."))
}

/// A question an agent asks (`domain::questions`).
pub fn question_text() -> ObjectBuilder {
    text(mc_domain::questions::MAX_QUESTION_CHARS)
}

/// A question's options: 2–8 distinct labels (each a button), or none for a free-text answer.
pub fn question_options() -> ArrayBuilder {
    use mc_domain::questions::{MAX_OPTIONS, MAX_OPTION_CHARS, MIN_OPTIONS};
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(text(MAX_OPTION_CHARS))
        .min_items(Some(MIN_OPTIONS))
        .max_items(Some(MAX_OPTIONS))
        .description(Some(
            "2–8 distinct options (each 1–64 characters, a button in Telegram); leave out for a free-text answer.",
        ))
}

/// An answer's text: free words, or besides the chosen options.
pub fn answer_text() -> ObjectBuilder {
    or_null(optional_text(mc_domain::questions::MAX_ANSWER_CHARS), Type::String)
}

/// The options an answer chooses: the question's own; one unless it is multi-select.
pub fn answer_options() -> ArrayBuilder {
    use mc_domain::questions::{MAX_OPTIONS, MAX_OPTION_CHARS};
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(string(patterns::optional_text(), "One of the question's options.").max_length(Some(MAX_OPTION_CHARS)))
        .max_items(Some(MAX_OPTIONS))
        .description(Some(
            "The chosen options, as the question spells them (case does not matter): exactly one unless the question is multiSelect.",
        ))
}

pub fn work_plan() -> ArrayBuilder {
    work_plan_bullets().schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
}

/// Agents on a task (repeats count once).
pub fn assignee_ids() -> ArrayBuilder {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
        )
        .max_items(Some(mc_core::app::App::MAX_ASSIGNEES))
}

pub fn agent_name() -> ObjectBuilder {
    string(
        patterns::agent_name(),
        "1–40 letters, digits, `_`, `.` and `-`, starting with a letter or a digit (surrounding whitespace is dropped).",
    )
}

pub fn project_slug() -> ObjectBuilder {
    string(
        patterns::project_slug(),
        "1–40 lowercase letters, digits and `-`, starting with a letter or a digit, e.g. `openclaw` (surrounding whitespace is dropped).",
    )
}

pub fn idempotency_key() -> ObjectBuilder {
    or_null(
        string(
            patterns::IDEMPOTENCY_KEY.to_string(),
            "Or the `Idempotency-Key` header: a repeat returns the first result. 1–128 letters, digits, `.`, `_`, `:` or `-`.",
        ),
        Type::String,
    )
}

pub fn action_type() -> ObjectBuilder {
    string(
        action_type_pattern(),
        "The tool or action, e.g. `email.send`, `deploy.production`: 1–64 letters, digits, `_`, `.`, `:` or `-` (kept lowercase).",
    )
}

pub fn standup_time() -> ObjectBuilder {
    or_null(
        string(
            standup_time_pattern(),
            "When the daily standup is posted, local time `HH:MM` (24-hour).",
        ),
        Type::String,
    )
}

pub fn standup_timezone() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(standup_timezones().map(Some).chain([None])))
        .description(Some("The IANA time zone of `standupTime`, e.g. `Europe/Berlin`."))
}

fn dollars_builder() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Number)
        .minimum(Some(0.0))
        .maximum(Some(Usd::MAX_DOLLARS))
        .description(Some("US dollars"))
}

pub fn optional_dollars() -> ObjectBuilder {
    or_null(dollars_builder(), Type::Number)
}

pub fn expires_in_minutes() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .minimum(Some(1))
        .maximum(Some(MAX_EXPIRES_IN_MINUTES))
        .description(Some(
            "Minutes until the request expires (default `thresholds.approval_expiry_minutes`).",
        ))
}

/// `?limit=`: a page's size.
pub fn limit() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(1))
        .maximum(Some(PageRequest::MAX_LIMIT))
        .description(Some("Items per page (default 50)."))
}

/// `?offset=`: items to skip.
pub fn offset() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(0))
        .description(Some("Items to skip (default 0)."))
}

pub fn order() -> ObjectBuilder {
    enum_strings(["asc", "desc"], "Sort order.")
}

pub fn agent_sort() -> ObjectBuilder {
    enum_strings(
        ["name", "todaySpend", "totalSpend", "lastHeartbeat"],
        "`name` (default, ascending) or a spend or heartbeat (descending by default).",
    )
}

pub fn run_sort() -> ObjectBuilder {
    enum_strings(["createdAt", "cost"], "`createdAt` (default, newest first) or `cost`.")
}

pub fn alert_type() -> ObjectBuilder {
    enum_strings(
        mc_domain::AlertKind::ALL.iter().map(|k| k.as_str()),
        "A type the service raises. Types raised by operators and scripts are taken too once the project has one.",
    )
}

pub fn export_format() -> ObjectBuilder {
    enum_strings(
        ["json", "jsonl", "ndjson", "csv"],
        "`json` (default), `jsonl` (or `ndjson`) or `csv`.",
    )
}

/// A day or an instant: `YYYY-MM-DD` (UTC) or an RFC 3339 time.
pub fn day_or_instant() -> RefOr<Schema> {
    AnyOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        )
        .into()
}

/// The `actor` a transition names, as the runbook writes it.
pub fn claimed_actor() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some([Some("human"), Some("operator"), Some("agent"), Some("system"), None]))
        .description(Some(
            "Who is asking (`operator` is `human`); it must match the token, which is what is recorded.",
        ))
}

/// Rules that tie a body's fields together, which the body's schema (derived field by field)
/// cannot say; each body's schema becomes `allOf: [fields, rule]`.
pub struct CrossFieldRules;

impl utoipa::Modify for CrossFieldRules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let rules = [
            // "give standupTime, standupTimezone or both; or budgets"
            (
                "ProjectPatch",
                any_given(&[
                    ("standupTime", Type::String),
                    ("standupTimezone", Type::String),
                    ("budgets", Type::Object),
                ]),
            ),
            // "budgets needs dailyCap, perRunCap or monthlyCap" (a null monthlyCap removes it)
            ("BudgetsPatch", budgets_patch()),
            // "a project's budgets needs dailyCap or monthlyCap" (null removes one)
            ("ProjectBudgetsPatch", any_present(&["dailyCap", "monthlyCap"])),
            ("AgentPatch", agent_patch()),
            ("ReportRun", report_run()),
        ];
        for (name, rule) in rules {
            let fields = components
                .schemas
                .remove(name)
                .unwrap_or_else(|| panic!("the document has the schema {name}"));
            let combined = AllOfBuilder::new().item(fields).item(rule);
            components.schemas.insert(name.to_string(), combined.into());
        }
    }
}

fn not_null(kind: Type) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(kind)
}

/// At least one of `fields` is there, and not null.
fn any_given(fields: &[(&str, Type)]) -> Schema {
    let mut any = AnyOfBuilder::new();
    for (field, kind) in fields {
        any = any.item(ObjectBuilder::new().required(*field).property(*field, not_null(kind.clone())));
    }
    any.into()
}

fn budgets_patch() -> Schema {
    let monthly = ObjectBuilder::new().required("monthlyCap");
    AnyOfBuilder::new()
        .item(any_given(&[("dailyCap", Type::Number), ("perRunCap", Type::Number)]))
        .item(monthly)
        .into()
}

/// At least one of `fields` is there (null included).
fn any_present(fields: &[&str]) -> Schema {
    let mut any = AnyOfBuilder::new();
    for field in fields {
        any = any.item(ObjectBuilder::new().required(*field));
    }
    any.into()
}

/// A run gives its cost, or its model and token counts to price it by.
fn report_run() -> Schema {
    let model = ObjectBuilder::new().required("model").property("model", not_null(Type::String));
    let tokens = any_given(&[
        ("inputTokens", Type::Integer),
        ("outputTokens", Type::Integer),
        ("cacheReadTokens", Type::Integer),
        ("cacheWriteTokens", Type::Integer),
    ]);
    AnyOfBuilder::new()
        .item(ObjectBuilder::new().required("cost").property("cost", not_null(Type::Number)))
        .item(AllOfBuilder::new().item(model).item(tokens))
        .into()
}

/// Either new budgets, or the reset fields (not both), and something to change: a reset field
/// not null, or `currentTaskId` (null clears it).
fn agent_patch() -> Schema {
    let null = || ObjectBuilder::new().schema_type(Type::Null);
    let budgets = ObjectBuilder::new()
        .required("budgets")
        .property("budgets", not_null(Type::Object))
        .property("status", null())
        .property("errorStreak", null())
        .property("todaySpend", null())
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .description(Some("New budgets (no reset fields)."));
    let resets = AllOfBuilder::new()
        .item(ObjectBuilder::new().property("budgets", null()))
        .item(
            AnyOfBuilder::new()
                .item(any_given(&[
                    ("status", Type::String),
                    ("errorStreak", Type::Integer),
                    ("todaySpend", Type::Number),
                ]))
                .item(ObjectBuilder::new().required("currentTaskId")),
        )
        .description(Some("The runbook's reset fields (no budgets)."));
    OneOfBuilder::new().item(budgets).item(resets).into()
}
