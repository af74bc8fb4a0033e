//! What the core tells the project's chat, as data. The bot's renderer turns a notice into text
//! in the chat's language; the core never formats user-facing messages.

use chrono::{DateTime, Utc};
use mc_domain::i18n::Said;
use mc_domain::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where in the project's chat a notice belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Approvals,
    Alerts,
    Standup,
    General,
    /// The task's own thread (its forum topic, or replies to its root message).
    Task(Uuid),
    /// A specific chat, e.g. the reply to a command.
    Chat(i64),
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Approvals => "approvals",
            Target::Alerts => "alerts",
            Target::Standup => "standup",
            Target::General => "general",
            Target::Task(_) => "task",
            Target::Chat(_) => "chat",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Notice {
    TaskCreated {
        task_id: Uuid,
        number: i32,
        title: String,
        task_type: TaskType,
        priority: i16,
        status: TaskStatus,
        created_by: String,
    },
    /// A task needs its own thread in the project's chat (the chat was bound while the task was
    /// open): the dispatcher creates its topic and card, paced like every other call.
    TaskThreadNeeded {
        task_id: Uuid,
        number: i32,
        title: String,
    },
    TaskTransitioned {
        task_id: Uuid,
        number: i32,
        title: String,
        from: TaskStatus,
        to: TaskStatus,
        actor: String,
        reason: Said,
    },
    TaskAssigned {
        task_id: Uuid,
        number: i32,
        title: String,
        assignees: Vec<String>,
        actor: String,
    },
    CommentAdded {
        task_id: Uuid,
        number: i32,
        comment_id: Uuid,
        author: String,
        body: String,
    },
    RunRecorded {
        task_id: Uuid,
        number: i32,
        agent: String,
        /// None when unpriced.
        cost: Option<Usd>,
        /// The price table's price when a reported cost differs from it by more than 5 %.
        mismatch_with: Option<Usd>,
        status: RunStatus,
        today_spend: Usd,
        daily_cap: Usd,
    },
    ApprovalRequested {
        approval_id: Uuid,
        code: String,
        agent: String,
        task_number: Option<i32>,
        action_type: String,
        summary: String,
        risk: RiskLevel,
        reasons: Vec<Said>,
        justification: String,
        rollback_plan: Option<String>,
        estimated_cost: Option<Usd>,
        expires_at: DateTime<Utc>,
        /// For a tool call of Claude Code or Codex: the call as the CAO reads it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tool: Option<Box<ToolCard>>,
    },
    ApprovalDecided {
        approval_id: Uuid,
        code: String,
        status: ApprovalStatus,
        decided_by: String,
        note: Option<Said>,
        decided_at: DateTime<Utc>,
    },
    /// An agent asks the humans: its task's topic (General without a task) shows the question
    /// with a button per option, or asks for a reply.
    QuestionAsked {
        question_id: Uuid,
        code: String,
        agent: String,
        task_number: Option<i32>,
        question: String,
        options: Option<Vec<String>>,
        multi_select: bool,
        expires_at: DateTime<Utc>,
    },
    /// What a multi-select question's chat has ticked so far: its message is edited to show it
    /// (its buttons ticked).
    QuestionPicked {
        question_id: Uuid,
        picked: Vec<String>,
    },
    /// A question answered, expired or canceled: its message is edited to say so (and who
    /// answered, and what).
    QuestionClosed {
        question_id: Uuid,
        code: String,
        agent: String,
        question: String,
        status: QuestionStatus,
        by: String,
        answer: Option<String>,
        at: DateTime<Utc>,
    },
    AlertRaised {
        alert_id: Uuid,
        alert_type: String,
        severity: AlertSeverity,
        subject: String,
        /// The stored (English) message: shown for types without a translation.
        message: String,
        /// The arguments the alert is rendered from in the chat's language.
        #[serde(default)]
        details: serde_json::Value,
        occurrences: i32,
        /// A repeat of an open alert: edit its message rather than post again.
        repeat: bool,
    },
    AlertResolved {
        alert_id: Uuid,
        alert_type: String,
        message: String,
        #[serde(default)]
        details: serde_json::Value,
        resolved_by: String,
    },
    AgentStatusChanged {
        agent_id: Uuid,
        agent: String,
        from: AgentStatus,
        to: AgentStatus,
        actor: String,
        reason: Option<Said>,
    },
    BudgetChanged {
        agent_id: Uuid,
        agent: String,
        daily_cap: Usd,
        per_run_cap: Usd,
        actor: String,
    },
    SquadPaused {
        agents: Vec<String>,
        actor: String,
        reason: Option<Said>,
    },
    SquadResumed {
        agents: Vec<String>,
        actor: String,
    },
    /// A chat became a project's ops chat: in a forum, the dispatcher creates the system topics.
    ChatBound {
        chat_id: i64,
        project: String,
        forum: bool,
        actor: String,
    },
    /// The daily standup of a project: posted with its chart to the Standup topic.
    Standup {
        summary: Box<super::summary::ProjectSummary>,
        /// Tasks completed since the previous standup (the summary lists the latest of them).
        completed_since_last: i64,
    },
    /// The menu button of an operator's private chat (a `Target::Chat` of their user id): the
    /// cockpit's web app at `url`, or Telegram's default when None (their role was revoked).
    MenuButton {
        url: Option<String>,
    },
    /// A message the bot adapter already rendered (a command's answer), sent as it is.
    Reply {
        thread_id: Option<i32>,
        text: String,
        /// Telegram's `inline_keyboard` (rows of buttons), if any.
        keyboard: Option<serde_json::Value>,
    },
    /// A command's answer with a bar chart (`/costs`): the picture first, then the text, both
    /// already rendered in the chat's language.
    ReplyWithChart {
        thread_id: Option<i32>,
        text: String,
        chart: BarChart,
    },
    /// A new text (already rendered) for a message the bot sent to the chat, e.g. a confirmation
    /// once answered; its buttons go.
    EditReply {
        message_id: i32,
        text: String,
    },
    /// The notice of an event a human just caused, shown by editing the message their action
    /// is answered in (a confirmation's question) rather than by a second message in the same
    /// chat; `footer` (already rendered) says who answered and when.
    EditInto {
        message_id: i32,
        notice: Box<Notice>,
        footer: String,
    },
}

impl Notice {
    pub fn kind(&self) -> &'static str {
        self.into()
    }

    /// Its traffic class ([`TrafficClass`]) when posted to `target` by a human (`by_human`) or
    /// by an agent or the system: answers first, then what a human must act on, then edits,
    /// then the mirroring of tasks into their threads.
    pub fn class(&self, target: Target, by_human: bool) -> TrafficClass {
        match self {
            // An answer to a person who is no operator waits with the machines' edits.
            Notice::Reply { .. } | Notice::ReplyWithChart { .. } | Notice::EditReply { .. } if !by_human => TrafficClass::Routine,
            Notice::Reply { .. } | Notice::ReplyWithChart { .. } | Notice::EditReply { .. } | Notice::EditInto { .. } => {
                TrafficClass::Human
            }
            // Binding a chat answers the binder, but is no sign that people are at work there
            // (machines step back only for those): urgent, ahead of everything but answers.
            Notice::ApprovalRequested { .. } | Notice::QuestionAsked { .. } | Notice::ChatBound { .. } => TrafficClass::Urgent,
            Notice::AlertRaised {
                severity: AlertSeverity::Critical,
                repeat: false,
                ..
            } => TrafficClass::Urgent,
            // What a human just did (a click, a command) shows at once.
            Notice::ApprovalDecided { .. }
            | Notice::QuestionClosed { .. }
            | Notice::QuestionPicked { .. }
            | Notice::AlertResolved { .. }
            | Notice::AgentStatusChanged { .. }
            | Notice::BudgetChanged { .. }
            | Notice::SquadPaused { .. }
            | Notice::SquadResumed { .. }
                if by_human =>
            {
                TrafficClass::Human
            }
            // The backlog a binding asks for is the machines' to mirror at their pace.
            Notice::TaskThreadNeeded { .. } => TrafficClass::Background,
            // A human's own task (created, moved, commented on, canceled by them) is part of the
            // answer to them: its topic is made, updated or closed before any backlog.
            _ if matches!(target, Target::Task(_)) && by_human => TrafficClass::Human,
            _ if matches!(target, Target::Task(_)) => TrafficClass::Background,
            _ => TrafficClass::Routine,
        }
    }

    /// Whether this is the chat's notice of a change of state a person can cause from the chat
    /// (the one a confirmation's question becomes, see [`Notice::EditInto`]).
    pub fn is_status_change(&self) -> bool {
        matches!(
            self,
            Notice::AgentStatusChanged { .. } | Notice::SquadPaused { .. } | Notice::SquadResumed { .. } | Notice::BudgetChanged { .. }
        )
    }
}

/// A RED tool call on its approval card: which program asked, the tool, the command or the
/// arguments (secret-looking values masked), where it runs, the agent's task and the rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCard {
    pub client: ToolClient,
    pub tool: String,
    pub text: String,
    pub cwd: Option<String>,
    pub rule: String,
    pub task: Option<String>,
    /// What ⏱ 1 h and 📌 this task would grant (none: only a one-off approval is possible).
    #[serde(default)]
    pub grant: Option<String>,
    /// The agent works on a task (📌 is offered).
    #[serde(default)]
    pub has_task: bool,
}

/// A bar chart to draw, every label already in the chat's language: a bar per entry (dollars),
/// the biggest first, and a note under them (e.g. on the entries left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BarChart {
    pub title: String,
    pub axis: String,
    pub bars: Vec<(String, f64)>,
    pub note: Option<String>,
}
