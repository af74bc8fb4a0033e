# Shared words and counts.
n-agents = { $count ->
    [one] { $count } agent
   *[other] { $count } agents
}
n-tasks = { $count ->
    [one] { $count } task
   *[other] { $count } tasks
}

# Status, role, risk and severity words: the one vocabulary of the bot, the notices and the core's errors.
role-viewer = viewer
role-operator = operator
role-cao = CAO
agent-status-active = active
agent-status-paused = paused
agent-status-quarantined = quarantined
agent-status-offline = offline
agent-status-drained = drained
task-status-inbox = inbox
task-status-assigned = assigned
task-status-in_progress = in progress
task-status-review = review
task-status-needs_approval = needs approval
task-status-blocked = blocked
task-status-done = done
task-status-canceled = canceled
approval-status-pending = pending
approval-status-approved = approved
approval-status-denied = denied
approval-status-expired = expired
approval-status-canceled = canceled
approval-status-escalated = escalated
question-status-pending = open
question-status-answered = answered
question-status-expired = expired
question-status-canceled = canceled
risk-green = green
risk-yellow = yellow
risk-red = red
severity-info = info
severity-warning = warning
severity-critical = critical

# A run's cost: unknown for a model the price table does not know (never shown as $0), or
# reported but more than 5 % away from the price table's.
cost-unpriced = unpriced
cost-mismatch = { $cost } (⚠️ the price table says { $priced })
word-nobody = nobody
