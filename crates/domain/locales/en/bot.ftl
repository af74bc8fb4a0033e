# The bot's answers to commands and buttons (Telegram HTML: escape < > & as &lt; &gt; &amp;).

## Command menu (setMyCommands): plain text, at most 256 characters.
bot-cmd-start = Start: who you are here
bot-cmd-help = All commands
bot-cmd-whoami = Your role, this chat and its project
bot-cmd-status = The project at a glance
bot-cmd-standup = Standup now: tasks, blockers, agents, spend
bot-cmd-burnrate = Spend per agent against caps, $/h
bot-cmd-agents = List the agents
bot-cmd-agent = One agent's card
bot-cmd-tasks = List tasks, optionally by status
bot-cmd-inbox = Tasks waiting in the inbox
bot-cmd-task = One task's card and recent history
bot-cmd-newtask = Create a task
bot-cmd-assign = Assign a task to agents
bot-cmd-move = Move a task to another status
bot-cmd-approvals = Pending approvals
bot-cmd-approve = Approve a request
bot-cmd-deny = Deny a request, with a reason
bot-cmd-alerts = Open alerts
bot-cmd-pause = Pause an agent
bot-cmd-resume = Resume an agent
bot-cmd-quarantine = Quarantine an agent
bot-cmd-release = Release an agent from quarantine
bot-cmd-costs = Costs today or this month, by agent and by model
bot-cmd-budget = Set an agent's daily cap
bot-cmd-pause_squad = Pause every agent of the project
bot-cmd-resume_squad = Resume the squad
bot-cmd-policy = The risk policy
bot-cmd-projects = List the projects
bot-cmd-switch = Switch this chat's project
bot-cmd-bind = Make this group a project's ops chat
bot-cmd-grant = Give a Telegram user a role, or grant agents a tool rule
bot-cmd-revoke = Take a Telegram user's role away, or end a grant
bot-cmd-tokens = API tokens: whose, last used, expiry
bot-cmd-revoke_token = Revoke an API token at once
bot-cmd-lang = Change this chat's language

## Usage lines (HTML).
bot-usage = Usage: { $usage }
bot-usage-start = /start
bot-usage-help = /help
bot-usage-whoami = /whoami
bot-usage-status = /status
bot-usage-standup = /standup
bot-usage-burnrate = /burnrate
bot-usage-agents = /agents
bot-usage-agent = /agent &lt;name&gt; — e.g. /agent Scout
bot-usage-tasks = /tasks [status,…] — e.g. /tasks blocked,review
bot-usage-inbox = /inbox
bot-usage-task = /task &lt;number&gt; — e.g. /task 12
bot-usage-newtask = /newtask &lt;type&gt; &lt;title&gt; — e.g. /newtask docs Write the onboarding guide
bot-usage-assign = /assign &lt;number&gt; &lt;agent&gt;… — e.g. /assign 12 Scout
bot-usage-move = /move &lt;number&gt; &lt;status&gt; [reason] — e.g. /move 12 review ready for a look
bot-usage-approvals = /approvals
bot-usage-approve = /approve &lt;code&gt; — e.g. /approve A7
bot-usage-deny = /deny &lt;code&gt; &lt;reason&gt; — e.g. /deny A7 not during the launch
bot-usage-alerts = /alerts
bot-usage-pause = /pause &lt;agent&gt; [reason]
bot-usage-resume = /resume &lt;agent&gt;
bot-usage-quarantine = /quarantine &lt;agent&gt; [reason]
bot-usage-release = /release &lt;agent&gt;
bot-usage-costs = /costs [today|month]
bot-usage-budget = /budget &lt;agent&gt; &lt;daily cap&gt; — e.g. /budget Scout 3.50
bot-usage-pause_squad = /pause_squad
bot-usage-resume_squad = /resume_squad
bot-usage-policy = /policy [actionType [intern|specialist|lead]]
bot-usage-projects = /projects
bot-usage-switch = /switch &lt;project slug&gt; — e.g. /switch openclaw
bot-usage-bind = /bind &lt;project slug&gt; — in the group that becomes the ops chat
bot-usage-grant = /grant &lt;Telegram user id&gt; &lt;viewer|operator|cao&gt; · /grant &lt;agent|intern|specialist|lead|project&gt; &lt;rule&gt; &lt;1h|8h|task|7d&gt; — e.g. /grant Scout Bash(git push:*) 8h
bot-usage-revoke = /revoke &lt;Telegram user id&gt; · /revoke &lt;grant code&gt; — e.g. /revoke G3
bot-usage-tokens = /tokens
bot-usage-revoke_token = /revoke_token &lt;name or id&gt; — e.g. /revoke_token ops-script
bot-usage-lang = /lang &lt;en|ru&gt;

bot-help-title = <b>Mission Control commands</b>
bot-help-line = { $usage } — { $description }

## Who is who.
bot-start = Hello, { $name }! You are <b>{ $role }</b> here; this chat works on <b>{ $project }</b>. /help lists the commands.
bot-not-operator = Sorry, you are not an operator of Mission Control, so I can't do that. Ask a CAO to run <code>/grant { $id } viewer</code> (or operator) for you.
bot-whoami =
    <b>{ $name }</b> — { $role }
    Telegram id: <code>{ $id }</code>
    Project: { $project } ({ $bound })
    Language: { $lang }
bot-whoami-bound-here = this chat is its ops chat
bot-whoami-bound-other = chosen with /switch
bot-whoami-unbound = this chat is not bound

## Errors.
bot-no-project = This chat has no project yet: /bind one here, or /switch to one.
bot-unknown-command = I don't know /{ $command }. /help lists what I do.
bot-bad-value = “{ $value }” is not valid here. Use one of: { $choices }
bot-tokens-private-only = /tokens answers only in a private chat with me: token names and owners are not for a group.
bot-bind-group-only = /bind works in a group or forum: add me to the project's group and run it there.
bot-error-invalid = Not valid: { $field } { $message }
bot-error-bad-input = I couldn't read that: { $message }
bot-error-not-found = { $entity } { $key } not found.
bot-error-not-found-hint = { $entity } { $key } not found ({ $hint }).
bot-error-forbidden = Sorry, you can't do that: { $reason }. Nothing was changed.
bot-refusal-role = Sorry, you can't do that: your role is { $role }, and it needs { $needed }. Nothing was changed.
bot-error-illegal-transition = A task can't go from { $from } to { $to }: { $reason }. From { $from } it can go to: { $allowed }
bot-refusal-terminal = it is { $from }, which is final: nothing can move it
bot-refusal-not-in-table = { $from } → { $to } is not a move the task board allows
bot-refusal-needs-assignee = it needs at least one assignee first
bot-refusal-needs-work-plan = starting needs a work plan of 3 to 6 bullets (it has { $bullets ->
    [one] { $bullets } bullet
   *[other] { $bullets } bullets
})
bot-refusal-needs-deliverable = review needs a deliverable
bot-refusal-human-only = only a human operator may move a task to { $to }
bot-refusal-budget-hold = only the system holds a task in needs approval for budget reasons
bot-refusal-needs-reason = blocking needs a reason
bot-refusal-done-needs-approval = policy requires a task.done approval for this task, decided by a person, before it is done
bot-error-already-decided = { $code } was already { $status } by { $by } at { $at }.
bot-error-conflict = That can't be done now: { $message }
bot-error-internal = Something went wrong on my side; nothing was changed. Please try again.
bot-entity-agent = Agent
bot-entity-task = Task
bot-entity-approval = Approval
bot-entity-project = Project
bot-entity-operator = Operator
bot-entity-alert = Alert
bot-entity-chat = Chat
bot-entity-token = Token

## Lists.
bot-list-empty = Nothing here.
bot-list-none = —
bot-list-more = …and { $count } more
bot-page-prev = « Previous
bot-page-next = Next »
bot-page-footer = Page { $page } of { $pages } · { $total ->
    [one] { $total } item
   *[other] { $total } items
}

bot-projects-title = <b>Projects</b>
bot-projects-line = • <b>{ $name }</b> <code>{ $slug }</code> { $marks }
bot-projects-current = ← this chat
bot-projects-bound = ops chat
bot-projects-paused = squad paused
bot-switched = This chat now works on <b>{ $project }</b> (<code>{ $slug }</code>).

bot-agents-title = <b>Agents of { $project }</b> ({ $count })
bot-agent-line = • <b>{ $name }</b> { $role } · { $status } · { $spent } / { $cap }
bot-agent-card =
    <b>{ $name }</b> — { $role }, { $status }
    Task types: { $types }
    Today: { $spent } of { $cap } (per run { $perrun }) · total { $total }
    Heartbeat: { $heartbeat }
    Error streak: { $errors }
bot-agent-any-type = any
bot-agent-heartbeat = { $at } ({ $minutes ->
    [one] { $minutes } minute ago
   *[other] { $minutes } minutes ago
})
bot-agent-no-heartbeat = never
bot-agent-reason = Reason: { $reason }
bot-agent-stale = ⚠️ Stale: no heartbeat lately.
bot-agent-current = Working on #{ $number } { $title }
bot-agent-now = { $agent } is now <b>{ $status }</b>.
bot-agent-unchanged = { $agent } is already { $status }; nothing changed.

bot-tasks-title = <b>Tasks of { $project }</b> — { $filter } ({ $count })
bot-tasks-open = open
bot-task-line = #{ $number } [P{ $priority }] { $title } — { $status } · { $assignees }
bot-task-unassigned = unassigned
bot-task-card =
    <b>#{ $number } { $title }</b>
    { $status } · { $type } · priority { $priority }
    Assignees: { $assignees }
    Cost: { $cost } · review cycles: { $cycles }
bot-task-blocked = Blocked: { $reason }
bot-task-plan = <b>Work plan</b>
bot-task-recent = <b>Recently</b>
bot-timeline-transition = { $at }: { $from } → { $to } by { $by }
bot-timeline-comment = { $at }: { $by }: { $body }
bot-timeline-approval = { $at }: { $code } { $action } — { $status }
bot-timeline-run = { $at }: run { $cost } ({ $status })
bot-task-created = Created task <b>#{ $number }</b> { $title }.
bot-task-assigned = #{ $number } is assigned to { $agents } ({ $status }).
bot-task-moved = #{ $number }: { $from } → <b>{ $to }</b>.

bot-approvals-title = <b>Pending approvals of { $project }</b> ({ $count })
bot-approval-line = • <b>{ $code }</b> { $agent }: { $action } ({ $risk }) — { $summary } · expires { $expires }
bot-approval-approved = ✅ { $code } approved (project <b>{ $project }</b>).
bot-approval-denied = ❌ { $code } denied (project <b>{ $project }</b>): { $reason }
bot-deny-ask = { $name }, why deny <b>{ $code }</b> (project <b>{ $project }</b>)? Send the reason as your next message in this chat.
bot-approval-about = Project <b>{ $project }</b>: { $message }

bot-alerts-title = <b>Open alerts of { $project }</b> ({ $count })
bot-alert-line = { $n }. { $severity } <b>{ $type }</b>: { $message } ({ $times ->
    [one] once
   *[other] { $times } times
}, since { $since })

## Buttons.
bot-button-approve-code = ✅ { $code }
bot-button-deny-code = ❌ { $code }
bot-button-resolve-n = ✓ { $n }
bot-button-alert-action-n = { $n } · { $action }
bot-button-cancel = Cancel
bot-button-pause-squad = ⏸ Pause the squad
bot-button-quarantine = 🚫 Quarantine { $agent }

## Confirmations.
bot-confirm-pause-squad = Pause the whole squad of <b>{ $project }</b>? This pauses { $agents } now; /resume_squad brings them back.
bot-confirm-quarantine = Quarantine <b>{ $agent }</b>? It stops at once and only a CAO can release it. Reason: { $reason }
bot-squad-paused = ⏸ Squad of <b>{ $project }</b> paused: { $count ->
    [one] { $count } agent
   *[other] { $count } agents
} ({ $agents }).
bot-squad-resumed = ▶️ Squad of <b>{ $project }</b> resumed: { $count ->
    [one] { $count } agent
   *[other] { $count } agents
} ({ $agents }).
bot-budget-set = { $agent }: daily cap { $daily }, per run { $perrun } ({ $status }).
bot-granted = Telegram user <code>{ $user }</code> ({ $name }) is now <b>{ $role }</b>.
bot-revoked = Telegram user <code>{ $user }</code> ({ $name }) no longer has a role.
bot-lang-set = This chat now speaks English.

## Summaries.
bot-status-title = <b>{ $project }</b> — status
bot-summary-squad-paused = ⏸ The squad is paused.
bot-summary-tasks = Tasks: { $counts }
bot-summary-no-tasks = no tasks
bot-summary-agents = Agents: { $active } active · { $paused } paused · { $quarantined } quarantined · { $offline } offline · { $stale } stale
bot-summary-spend = Spend today: { $spent } of { $caps } · last hour { $rate }/h
bot-summary-pending = Pending approvals: { $approvals } · open alerts: { $alerts }
bot-standup-title = <b>Standup — { $project }</b>, { $date }
bot-standup-completed = <b>✅ Completed (24 h)</b>
bot-standup-blocked = <b>⛔ Blocked</b>
bot-standup-blocked-line = #{ $number } { $title } — { $reason }
bot-standup-agents = <b>🤖 Agents</b>
bot-standup-not-started = Not started (no heartbeat yet): { $agents }
bot-standup-stale = Stale: { $agents }
bot-standup-spend = <b>💰 Spend today</b>
bot-standup-month = Month to date: { $spent } · top spenders: { $top }
bot-standup-spend-line = { $agent }: { $spent } / { $cap } ({ $percent }%) · { $rate }/h · { $status }
bot-standup-spend-more = …and { $count } more { $count ->
    [one] agent
   *[other] agents
}
bot-standup-approvals = <b>🗳 Pending approvals</b>
bot-standup-next = <b>➡️ Next up</b>
bot-burnrate-title = <b>Burn rate — { $project }</b>
bot-burnrate-line = { $agent }: { $spent } / { $cap } ({ $percent }%) · { $rate }/h · { $eta }
bot-burnrate-eta = cap in { $hours } h
bot-burnrate-idle = not burning

bot-policy-check = <b>{ $action }</b>: { $risk }
bot-policy-because = · because { $reason }
bot-policy-for-role = · { $role }: { $outcome }
policy-allowed = allowed
policy-needs-approval = needs a person's approval
policy-denied = denied
bot-policy-title = <b>Risk policy</b>
bot-policy-rules =
    🟢 GREEN actions are allowed. 🟡 YELLOW: allowed for specialists and leads; interns need an approval. 🔴 RED: always needs the CAO's approval.
    Parameters that look like secrets or mention production make an action RED. Paused, quarantined, offline and drained agents are denied everything.
bot-policy-tools = <b>Tools</b>
bot-policy-level = { $risk }: { $tools }
bot-policy-overrides = Project overrides: { $overrides }
bot-policy-auto = RED actions approved by policy: { $actions }
bot-policy-done = Done needs an approval for: { $types }
bot-policy-limits = Approvals expire after { $expiry } min (denied on timeout). Error streak: alert above { $alert }, quarantine above { $quarantine }. Stale after { $stale } min without a heartbeat. Budget warning at { $warning }%.

## Toasts (plain text, at most 200 characters).
bot-toast-not-operator = Sorry, only Mission Control operators can use these buttons.
bot-toast-expired = This button is no longer valid.
bot-toast-failed = Something went wrong; nothing was changed.
bot-toast-already-used = Already done.
bot-toast-forbidden = Not allowed: { $reason }
bot-toast-approved = ✅ { $code } approved ({ $project })
bot-toast-picked = { $code }: { $picked }
bot-toast-nothing-picked = { $code }: nothing ticked
bot-changes-ask = { $name }, what should change in <b>#{ $number }</b>? Send it as your next message here: the task goes back to in progress and its agent gets your words.
bot-toast-changes-ask = Send what should change in #{ $number } as your next message here.
bot-cmd-changes = Send a task in review back with what to change
bot-usage-changes = /changes &lt;number&gt; &lt;what to change&gt; — e.g. /changes 12 the intro is too long
bot-toast-answered = ✅ { $code } answered: { $answer }
bot-toast-already-decided = { $code } was already { $status } by { $by } at { $at }
bot-toast-approval-about = { $project }: { $message }
bot-toast-deny-ask = Send the reason for denying { $code } ({ $project }) as your next message here.
bot-toast-alert-resolved = Alert resolved
bot-toast-cap-raised = { $agent }: daily cap raised to { $cap }
bot-toast-cap-raised-still-paused = { $agent }: daily cap raised to { $cap }, still paused: it has spent { $spent } today
bot-costs-title-today = 💰 { $project }: costs today ({ $since }, UTC)
bot-costs-title-month = 💰 { $project }: costs this month (since { $since }, UTC)
bot-costs-total = Total { $total } · { $runs ->
    [one] { $runs } run
   *[other] { $runs } runs
} · { $tokens } tokens{ $unpriced ->
    [0] {""}
    [one] {" "}· { $unpriced } run unpriced
   *[other] {" "}· { $unpriced } runs unpriced
}
bot-costs-none = No runs yet.
bot-costs-by-agent = By agent
bot-costs-by-model = By model
bot-costs-by-project = By project
bot-costs-no-model = (no model named)
bot-costs-line = • { $name } — { $cost } ({ $runs ->
    [one] { $runs } run
   *[other] { $runs } runs
}{ $unpriced ->
    [0] {""}
   *[other] , { $unpriced } unpriced
})
bot-costs-more = …and { $count } more: { $cost }
bot-costs-chart-axis = Spent by agent
bot-toast-kept-paused = { $agent } stays paused
bot-toast-budget-raised = Budget raised by { $amount }; { $count ->
    [0] no agent was waiting on it
   *[other] resumed { $agents }
}
bot-toast-budget-raised-still-reached = Budget raised by { $amount } to { $cap }, still not above what was spent ({ $spent }): its agents stay paused
bot-toast-budget-kept-paused = Kept paused
bot-toast-agent-status = { $agent } is { $status }
bot-toast-task-status = #{ $number } is { $status }
bot-toast-squad-paused = ⏸ Squad paused
bot-toast-dismissed = Canceled

## A confirmation once answered (added under the question; its buttons go).
bot-question-confirmed = ✅ Confirmed by { $by } · { $at }
bot-question-canceled = ✖️ Canceled by { $by } · { $at }

## Task threads (a topic per task)
bot-thread-not-operator = Only Mission Control operators' messages here become task comments, so yours was not saved. Ask a CAO to run <code>/grant { $id } operator</code> for you.
bot-card-ask-block_reason = { $name }, why is <b>#{ $number }</b> blocked? Send the reason as your next message here.
bot-card-ask-cancel_reason = { $name }, why cancel <b>#{ $number }</b>? Send the reason as your next message here.
bot-card-ask-work_plan = { $name }, send the work plan for <b>#{ $number }</b> as your next message here: 3 to 6 lines, one step each.
bot-card-ask-deliverable = { $name }, send the deliverable of <b>#{ $number }</b> (a link or a short text) as your next message here.
bot-card-assign = Assign <b>#{ $number }</b> { $title } to:
bot-toast-card-ask = #{ $number }: send it as your next message here.
bot-toast-card-assign = Choose an agent for #{ $number }

## API tokens (/tokens, /revoke_token).
bot-tokens-title = <b>API tokens</b> ({ $count })
bot-token-line = • <b>{ $name }</b> — { $kind }, { $holder } · { $state } · created { $created } · last used { $used }
bot-token-kind-operator = operator token
bot-token-kind-agent = agent token
bot-token-agent-of = agent in { $project }
bot-token-never = never
bot-token-state-live = live
bot-token-state-live-until = live until { $at }
bot-token-state-expired = expired
bot-token-state-expired-at = expired { $at }
bot-token-state-revoked = revoked
bot-token-state-revoked-at = revoked { $at }
bot-token-state-rotated = replaced by a newer token
bot-token-state-rotated-at = replaced by a newer token { $at }
bot-token-revoked = 🔒 The { $kind } <b>{ $name }</b> is revoked: its next request is refused.
bot-answered-privately = 📬 { $name }, I answered you in our private chat.
bot-toast-granted = { $code } allows { $rule } until { $until }
bot-toast-denied = ❌ { $code } denied
bot-toast-grant-revoked = { $code } ({ $rule }) revoked
bot-cmd-edit = Approve a tool call with changed arguments
bot-usage-edit = /edit &lt;code&gt; &lt;new command or JSON arguments&gt; — e.g. /edit A12 git push origin release
bot-cmd-grants = Standing grants for tool calls, with revoke buttons
bot-usage-grants = /grants
bot-cmd-questions = Open questions agents asked, with links
bot-usage-questions = /questions
bot-questions-none = No open questions in { $project }.
bot-questions-title = <b>Open questions</b> · { $project } · { $count }
bot-questions-line = ❓ { $code } · { $agent }: { $question } · until { $until }
bot-approval-edited = ✍️ { $code } approved with changed arguments ({ $project })
bot-grants-none = No standing grants in { $project }: every RED tool call asks.
bot-grants-title = <b>Standing grants</b> · { $project }
bot-grants-line = <b>{ $code }</b> <code>{ $rule }</code> · { $whom }{ $task } · until { $until } · used { $uses } × · by { $by }
bot-grants-everyone = every agent
bot-grants-while-task =  (while on its task)
bot-grants-revoke = 🚫 Revoke { $code }
bot-grants-more = …and { $n } more
bot-grant-made = ⏱ { $code }: { $whom } may <code>{ $rule }</code> without asking until { $until }
bot-grant-revoked = 🚫 { $code } (<code>{ $rule }</code>) revoked: the next such call asks again
bot-agent-tool-calls = 🛠 Tool calls today: { $n }
bot-agent-session = · { $client } session <code>{ $id }</code> in <code>{ $cwd }</code>: { $calls } calls, last { $at }
bot-agent-last-red = 🔴 Last red: { $tool } <code>{ $summary }</code> → { $decision } by { $by } · { $at }
bot-policy-tool-check = <b>{ $tool }</b>: { $risk }
bot-policy-tool-part = · { $risk } <code>{ $part }</code> — { $reason }
bot-timeline-tool-call = { $at }: { $risk } { $tool } <code>{ $summary }</code> — { $decision }
bot-timeline-question = { $at }: ❓ { $code } { $question } — { $status }
bot-timeline-question-answered = { $at }: ❓ { $code } { $question } — { $status }: { $answer } ({ $by })
bot-open-in-cockpit = Open in cockpit
