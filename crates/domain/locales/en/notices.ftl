# What the outbox dispatcher posts to a project's chat (crates/telegram/src/render).
# Arguments are HTML-escaped by the renderer; markup here is Telegram's HTML parse mode.

## Approvals
notice-approval-title = 🛂 Approval <b>{ $code }</b> · { $agent }
notice-approval-task = task #{ $number }
notice-approval-risk = { $mark } Risk: <b>{ $risk }</b>
notice-approval-reasons = flagged because { $reasons }
notice-approval-action = <code>{ $action }</code>: { $summary }
notice-approval-justification = <b>Why:</b> { $text }
notice-approval-rollback = <b>Rollback:</b> { $text }
notice-approval-cost = <b>Estimated cost:</b> { $cost }
notice-approval-expires = ⏳ Expires { $at }
notice-approval-approved = ✅ Approved by { $by } · { $at }
notice-approval-denied = ❌ Denied by { $by } · { $at }
notice-approval-expired = ⌛ Expired unanswered · { $at }
notice-approval-canceled = 🚫 Canceled by { $by } · { $at }
notice-approval-escalated = ⏫ Escalated · { $at }
notice-approval-note = Note: { $note }
notice-approval-short = 🛂 Approval <b>{ $code }</b>
notice-button-approve = ✅ Approve
notice-button-deny = ❌ Deny

## Alerts
notice-alert-title = { $mark } <b>{ $type }</b> · { $severity }
notice-alert-seen = { $count ->
    [one] Seen once
   *[other] Seen { $count } times
}
notice-alert-resolved = ✅ Resolved by { $by }
notice-button-resolve = ✔️ Resolve
notice-button-raise-cap = 💵 Raise cap
notice-button-keep-paused = ⏸ Keep paused
notice-button-raise-by = 💵 Raise by { $amount } and resume
notice-button-quarantine = 🚫 Quarantine
notice-button-unblock = ▶️ Unblock
notice-button-reassign = 🔁 Reassign
notice-button-cancel-task = ✖️ Cancel task
notice-button-restart = 🔄 Restart

## Alerts the service raises: the name of the type, and the text from the alert's details
## (alerts of other types, raised by operators or scripts, show their own message)
alert-type-budget_exceeded = Budget exceeded
alert-body-budget_exceeded = { $agent } reached its daily budget: { $spend } of { $cap }
alert-type-budget_warning = Budget warning
alert-body-budget_warning = { $agent } has spent { $percent }% of its daily budget ({ $spend } of { $cap })
alert-body-budget_exceeded-period = { $scope ->
    [project] Project { $name }
   *[agent] { $name }
} reached its { $period ->
    [month] monthly
   *[day] daily
} budget: { $spend } of { $cap }; paused: { $paused }
alert-type-period_budget_warning = Budget warning
alert-body-period_budget_warning = { $scope ->
    [project] Project { $name }
   *[agent] { $name }
} has spent { $percent }% of its { $period ->
    [month] monthly
   *[day] daily
} budget ({ $spend } of { $cap })
alert-type-per_run_cap_exceeded = Per-run cap exceeded
alert-body-per_run_cap_exceeded = { $agent } spent { $cost } in one run (per-run cap { $cap })
alert-type-approval_expiring = Approval expiring
alert-body-approval_expiring = { $code } ({ $action } by { $agent }) expires in { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
} without a decision
alert-type-agent_stale = Agent silent
alert-body-agent_stale = { $agent } is stale: no heartbeat for { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}
alert-body-agent_stale-never = { $agent } is stale: it never sent a heartbeat
alert-type-error_streak = Error streak
alert-body-error_streak = { $agent } has failed { $count ->
    [one] { $count } run
   *[other] { $count } runs
} in a row
alert-body-error_streak-quarantined = { $agent } was quarantined automatically after { $count ->
    [one] { $count } failed run
   *[other] { $count } failed runs
} in a row
alert-type-loop_detected = Loop detected
alert-body-loop_detected = Task #{ $number } "{ $title }" is looping: { $reasons }
alert-loop-comment_storm = { $comments ->
    [one] { $comments } comment
   *[other] { $comments } comments
} in { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}
alert-loop-review_cycles = { $cycles ->
    [one] { $cycles } review cycle
   *[other] { $cycles } review cycles
}
alert-loop-failed_runs = { $failed ->
    [one] { $failed } failed run
   *[other] { $failed } failed runs
} among the last { $of }
alert-loop-back_and_forth = { $transitions ->
    [one] { $transitions } transition
   *[other] { $transitions } transitions
} in { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}, { $from } → { $to } { $repeats ->
    [one] once
   *[other] { $repeats } times
}

## A burst of alerts in one message
notice-digest-title = 🚨 { $count ->
    [one] { $count } alert
   *[other] { $count } alerts
} at once · /alerts to act on them
notice-digest-group = { $mark } <b>{ $type }</b> · { $severity }
notice-digest-item = • { $message } ×{ $count }
notice-digest-resolved = ✅ <b>Resolved</b>
notice-digest-resolved-item = • <b>{ $type }</b>: { $message } · { $by }

## Tasks
notice-task-created = 🆕 <b>#{ $number }</b> { $title } · { $type } · P{ $priority } · { $by }
notice-task-transitioned = 🔀 <b>#{ $number }</b> { $title }: { $from } → <b>{ $to }</b> · { $by }
notice-task-assigned = 👤 <b>#{ $number }</b> { $title } → { $assignees } · { $by }
notice-task-unassigned = 👤 <b>#{ $number }</b> { $title }: nobody assigned · { $by }
notice-comment-added = 💬 <b>#{ $number }</b> { $author }: { $body }
notice-task-activity = 🗂 <b>#{ $number }</b> activity: { $count } updates (folded into one message)
notice-run-succeeded = 🧾 <b>#{ $number }</b> { $agent } spent { $cost } · today { $today } of { $cap }
notice-run-failed = ⚠️ <b>#{ $number }</b> a run by { $agent } failed ({ $cost }) · today { $today } of { $cap }
notice-reason = Reason: { $reason }

## Task threads: a topic per task, its card first
notice-task-thread = 🧵 <b>#{ $number }</b> { $title }
notice-card-kind = Type: { $type } · Priority: P{ $priority } ({ $level })
notice-card-status = Status: <b>{ $status }</b>
notice-card-unassigned = Assignees: nobody yet
notice-card-assignees = Assignees: { $names }
notice-card-reviewer = Reviewer: { $name }
notice-card-budget = Cost: { $cost } of a { $budget } budget
notice-card-cost = Cost: { $cost } (no budget set)
notice-card-blocked = ⛔ Blocked: { $reason }
notice-card-reviews = { $count ->
    [one] { $count } review cycle
   *[other] { $count } review cycles
}
notice-card-created = Created by { $by }
notice-priority-1 = critical
notice-priority-2 = high
notice-priority-3 = normal
notice-priority-4 = low
notice-button-move = → { $status }
notice-button-assign = 👤 Assign
notice-task-plan = <b>Work plan</b>
notice-task-deliverable = <b>Deliverable:</b> { $text }

## Agents and the squad
notice-agent-status = 🤖 <b>{ $agent }</b>: { $from } → <b>{ $to }</b> · { $by }
notice-budget-changed = 💵 <b>{ $agent }</b> budget: { $daily } a day, { $run } a run · { $by }
notice-squad-paused = ⏸ <b>Squad paused</b> by { $by }: { $count ->
    [one] { $count } agent stopped
   *[other] { $count } agents stopped
}
notice-squad-resumed = ▶️ <b>Squad resumed</b> by { $by }: { $count ->
    [one] { $count } agent back at work
   *[other] { $count } agents back at work
}

## Binding a chat
notice-bound = 🔗 This chat is now the ops chat of <b>{ $project }</b> (bound by { $by }).
notice-bound-forum = Approvals, alerts and standups have their own topics.
notice-topic-approvals = Approvals
notice-topic-alerts = Alerts
notice-topic-standup = Standup

# The daily standup.
notice-standup-completed-since = { $count ->
    [0] Nothing was completed since the last standup.
    [one] { $count } task completed since the last standup.
   *[other] { $count } tasks completed since the last standup.
}
notice-standup-chart-title = { $project } — standup { $date }
notice-standup-chart-spend = Spend today against the daily cap
notice-standup-chart-tasks = Tasks by status
notice-standup-chart-more = …and { $count ->
    [one] { $count } more agent
   *[other] { $count } more agents
}: { $spent } of { $cap } today
notice-standup-caption = 📊 { $project } — standup { $date }
notice-tool-call = { $client } wants to use <b>{ $tool }</b>:
notice-tool-cwd = 📁 in <code>{ $cwd }</code>
notice-tool-task = 📋 for { $task }
notice-tool-rule = 🔴 Red by { $rule }
notice-tool-grant = ⏱/📌 would allow <code>{ $rule }</code> without asking
notice-button-once = ✅ Once
notice-button-hour = ⏱ 1 h
notice-button-this-task = 📌 This task
notice-button-deny-now = ❌ Deny
notice-button-deny-instructions = ✍️ Deny with instructions

## Questions agents ask
notice-question-title = ❓ <b>{ $agent }</b> asks · { $code }
notice-question-task = task #{ $number }
notice-question-reply = ↩️ Reply to this message to answer.
notice-question-multi = ☑️ Several may be chosen: tick them, then ✔️ Done (or reply to this message with them, separated by commas, or with your own words).
notice-question-picked = Ticked so far: { $picked }
notice-button-question-done = ✔️ Done
notice-changes-requested = ✍️ { $by } requested changes on #{ $number }: { $text }
notice-button-request-changes = ✍️ Request changes
notice-question-expires = ⏳ Open until { $at }
notice-question-answered = ✅ Answered by { $by } · { $at }: <b>{ $answer }</b>
notice-question-expired = ⌛ Expired unanswered · { $at }
notice-question-canceled = 🚫 Withdrawn by { $by } · { $at }
notice-question-short = ❓ Question <b>{ $code }</b> of { $agent }: { $question }
