//! The agents' protocol: the operations an agent calls over both encodings, each declared once
//! — its input with its bounds and how it becomes the core's use case (the implied-agent rule
//! included). The OpenAPI schema (utoipa) and the MCP tool's input schema (schemars) are both
//! made from the same bound, declared once in `http::input_schemas` (`mcp_schema` turns one into
//! the other), so the two documents cannot disagree.
//!
//! REST and MCP differ only in how they carry what is not the operation's: REST takes the
//! idempotency key as a header and waits on `GET …?wait=`; MCP takes `idempotencyKey` and
//! `waitSeconds` as arguments of the tool (`mcp::Args`).

use crate::http::extract::whole_number;
use crate::http::input_schemas;
use mc_core::app::{approvals, questions, runs, AppResult};
use mc_domain::costs::ReportedTokens;
use mc_domain::{Actor, RiskLevel, RunStatus, Usd};
use schemars::JsonSchema;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A model run and its cost: `POST /api/runs`, the MCP tool `report_run`.
#[derive(Debug, Deserialize, ToSchema, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportRun {
    /// The agent that ran. Required with an operator token; an agent's token implies its own
    /// id.
    #[serde(default)]
    #[schema(required = true, value_type = Uuid)]
    pub agent_id: Option<Uuid>,
    /// The task the run worked on, if any.
    #[serde(default)]
    pub task_id: Option<Uuid>,
    /// What the run cost, in US dollars. Optional when the run names its `model` and its token
    /// counts: then the price table prices them (a model it does not know is recorded as
    /// unpriced). Given with tokens of a priced model, both are kept and a difference over 5 %
    /// is flagged.
    #[serde(default)]
    #[schema(schema_with = input_schemas::optional_dollars)]
    #[schemars(schema_with = "mcp_schema::optional_dollars")]
    pub cost: Option<Usd>,
    pub status: RunStatus,
    /// The model used, e.g. `claude-sonnet-4-5`.
    #[serde(default)]
    #[schema(schema_with = input_schemas::model_name)]
    #[schemars(schema_with = "mcp_schema::model_name")]
    pub model: Option<String>,
    /// Every token used; with counts by kind it must be their sum (and may be left out).
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(schema_with = input_schemas::token_count)]
    #[schemars(schema_with = "mcp_schema::token_count")]
    pub tokens: Option<i64>,
    /// Prompt tokens neither read from nor written to the cache.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(schema_with = input_schemas::token_count)]
    #[schemars(schema_with = "mcp_schema::token_count")]
    pub input_tokens: Option<i64>,
    /// Generated tokens, reasoning (thinking) included.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(schema_with = input_schemas::token_count)]
    #[schemars(schema_with = "mcp_schema::token_count")]
    pub output_tokens: Option<i64>,
    /// Prompt tokens read from the cache.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(schema_with = input_schemas::token_count)]
    #[schemars(schema_with = "mcp_schema::token_count")]
    pub cache_read_tokens: Option<i64>,
    /// Prompt tokens written to the cache.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(schema_with = input_schemas::token_count)]
    #[schemars(schema_with = "mcp_schema::token_count")]
    pub cache_write_tokens: Option<i64>,
    /// How many of the output tokens were reasoning (at most `outputTokens`).
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(schema_with = input_schemas::token_count)]
    #[schemars(schema_with = "mcp_schema::token_count")]
    pub reasoning_tokens: Option<i64>,
    /// What went wrong, for a failed run.
    #[serde(default)]
    #[schema(schema_with = input_schemas::run_error)]
    #[schemars(schema_with = "mcp_schema::run_error")]
    pub error: Option<String>,
}

impl ReportRun {
    /// The use case's input, for the agent `actor` means.
    pub fn by(self, actor: &Actor) -> AppResult<runs::RecordRun> {
        Ok(runs::RecordRun {
            agent_id: actor.agent_meant(self.agent_id)?,
            task_id: self.task_id,
            cost: self.cost,
            status: self.status,
            model: self.model,
            tokens: ReportedTokens {
                input: self.input_tokens,
                output: self.output_tokens,
                cache_read: self.cache_read_tokens,
                cache_write: self.cache_write_tokens,
                reasoning: self.reasoning_tokens,
                total: self.tokens,
            },
            error: self.error,
        })
    }
}

/// A request for a person's approval before a consequential action: `POST /api/approvals`,
/// the MCP tool `request_approval`.
#[derive(Debug, Deserialize, ToSchema, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestApproval {
    /// The agent that asks. Required with an operator token; an agent's token implies its
    /// own id.
    #[serde(default)]
    #[schema(required = true, value_type = Uuid)]
    pub agent_id: Option<Uuid>,
    #[serde(default)]
    pub task_id: Option<Uuid>,
    #[schema(schema_with = input_schemas::action_type)]
    #[schemars(schema_with = "mcp_schema::action_type")]
    pub action_type: String,
    /// One line: what exactly will be done.
    #[schema(schema_with = input_schemas::action_summary)]
    #[schemars(schema_with = "mcp_schema::action_summary")]
    pub action_summary: String,
    /// The agent's own estimate; policy may raise it, never lower it.
    #[serde(default)]
    pub risk_level: Option<RiskLevel>,
    #[schema(schema_with = input_schemas::justification)]
    #[schemars(schema_with = "mcp_schema::justification")]
    pub justification: String,
    #[serde(default)]
    #[schema(schema_with = input_schemas::rollback_plan)]
    #[schemars(schema_with = "mcp_schema::rollback_plan")]
    pub rollback_plan: Option<String>,
    #[serde(default)]
    #[schema(schema_with = input_schemas::optional_dollars)]
    #[schemars(schema_with = "mcp_schema::optional_dollars")]
    pub estimated_cost: Option<Usd>,
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(schema_with = input_schemas::expires_in_minutes)]
    #[schemars(schema_with = "mcp_schema::expires_in_minutes")]
    pub expires_in_minutes: Option<u32>,
}

impl RequestApproval {
    /// The use case's input, for the agent `actor` means.
    pub fn by(self, actor: &Actor) -> AppResult<approvals::RequestApproval> {
        Ok(approvals::RequestApproval {
            agent_id: actor.agent_meant(self.agent_id)?,
            task_id: self.task_id,
            action_type: self.action_type,
            action_summary: self.action_summary,
            risk_level: self.risk_level,
            justification: self.justification,
            rollback_plan: self.rollback_plan,
            estimated_cost: self.estimated_cost,
            expires_in_minutes: self.expires_in_minutes,
        })
    }
}

/// A question for the humans: `POST /api/questions`, the MCP tool `ask_human`. Always the
/// asking agent's own (its token says which).
#[derive(Debug, Deserialize, ToSchema, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AskQuestion {
    /// The question, up to 1,000 characters.
    #[schema(schema_with = input_schemas::question_text)]
    #[schemars(schema_with = "mcp_schema::question_text")]
    pub question: String,
    /// 2–8 options to choose from (each up to 64 characters); without them a person answers
    /// in words.
    #[serde(default)]
    #[schema(schema_with = input_schemas::question_options)]
    #[schemars(schema_with = "mcp_schema::question_options")]
    pub options: Option<Vec<String>>,
    /// Several options may be chosen (needs options).
    #[serde(default)]
    pub multi_select: Option<bool>,
    /// The task the question is about: it is asked in the task's topic (else General).
    #[serde(default)]
    pub task_id: Option<Uuid>,
}

impl From<AskQuestion> for questions::AskQuestion {
    fn from(q: AskQuestion) -> Self {
        questions::AskQuestion {
            question: q.question,
            options: q.options,
            multi_select: q.multi_select.unwrap_or(false),
            task_id: q.task_id,
        }
    }
}

/// The MCP side of the bounds in `http::input_schemas`: the same JSON Schema, handed to schemars
/// (also for the inputs of the tools that only MCP has, where REST spells the same field).
pub(crate) mod mcp_schema {
    use crate::http::input_schemas;
    use schemars::{Schema, SchemaGenerator};

    fn same(built: impl serde::Serialize) -> Schema {
        let value = serde_json::to_value(built).expect("a schema serializes");
        Schema::try_from(value).expect("a schema is a JSON object")
    }

    macro_rules! same_as_rest {
        ($($name:ident),+ $(,)?) => {$(
            pub fn $name(_: &mut SchemaGenerator) -> Schema {
                same(input_schemas::$name().build())
            }
        )+};
    }

    same_as_rest!(
        optional_dollars,
        model_name,
        token_count,
        run_error,
        action_type,
        action_summary,
        justification,
        rollback_plan,
        expires_in_minutes,
        comment_body,
        work_plan_bullets,
        deliverable_text,
        question_text,
        question_options,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The MCP input schema carries the bounds the OpenAPI document gives.
    #[test]
    fn both_schemas_carry_the_same_bounds() {
        let mcp = serde_json::to_value(schemars::schema_for!(ReportRun)).unwrap();
        let rest = serde_json::to_value(input_schemas::model_name().build()).unwrap();
        for bound in ["type", "maxLength", "pattern"] {
            assert_eq!(mcp["properties"]["model"][bound], rest[bound], "{bound}: {mcp}");
        }
        assert_eq!(mcp["properties"]["cost"]["maximum"].as_f64(), Some(Usd::MAX_DOLLARS));
        for tokens in [
            "tokens",
            "inputTokens",
            "outputTokens",
            "cacheReadTokens",
            "cacheWriteTokens",
            "reasoningTokens",
        ] {
            assert_eq!(mcp["properties"][tokens]["minimum"], serde_json::json!(0), "{tokens}");
        }
        let required: Vec<&str> = mcp["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(required, ["status"], "{mcp}");
        let approval = serde_json::to_value(schemars::schema_for!(RequestApproval)).unwrap();
        assert!(approval["properties"]["actionType"]["pattern"].is_string(), "{approval}");
        assert_eq!(approval["properties"]["expiresInMinutes"]["minimum"], serde_json::json!(1));
    }

    #[test]
    fn an_agents_token_implies_its_id_and_an_operator_must_name_one() {
        let agent = Actor::Agent {
            id: Uuid::new_v4(),
            name: "Scout".into(),
            project_id: Uuid::new_v4(),
        };
        let run = |agent_id: Option<Uuid>| ReportRun {
            agent_id,
            task_id: None,
            cost: Some(Usd::ZERO),
            status: RunStatus::Succeeded,
            model: None,
            tokens: None,
            input_tokens: None,
            output_tokens: None,
            cache_read_tokens: None,
            cache_write_tokens: None,
            reasoning_tokens: None,
            error: None,
        };
        assert_eq!(run(None).by(&agent).unwrap().agent_id, agent.id().unwrap());
        let operator = Actor::system("cli");
        let refused = run(None).by(&operator).unwrap_err();
        assert!(refused.to_string().contains("agentId"), "{refused}");
        let named = Uuid::new_v4();
        assert_eq!(run(Some(named)).by(&operator).unwrap().agent_id, named);
    }
}
