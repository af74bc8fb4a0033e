# The core's refusals, validation errors and hints. The API says them in English; the bot says
# them in the chat's language, inside the frames of bot.ftl. Plain text: no markup.

## Values
err-empty = must not be empty
err-too-long = must be at most { $max } characters (got { $got })
err-control-characters = must not contain control characters
err-agent-name = '{ $name }' is not a valid agent name (1-40 letters, digits, '_', '.', '-'; starting with a letter or digit)
err-project-slug = '{ $slug }' is not a valid project slug (1-40 lowercase letters, digits and '-')
err-idempotency-key = must be 1-128 characters of letters, digits, '.', '_', ':' or '-'
err-work-plan-bullets = must have { $min } to { $max } bullets (got { $got })

## Database rules
err-db-unique = already exists ({ $constraint })
err-db-check = violates { $constraint }
err-db-foreign-key = refers to something that does not exist ({ $constraint })
err-db-encoding = holds a character the database cannot store (such as NUL)

## Input
err-required = is required
err-not-negative = must not be negative
err-at-most-chars = must be at most { $max } characters
err-chars-between = must be { $min }-{ $max } characters
err-between = must be between { $min } and { $max }
err-out-of-range = is out of range
err-with-reason = { $message } ({ $reason })
err-action-type = must be 1-64 characters of a-z, 0-9, '_', '.', ':' or '-' (e.g. email.send)
err-alert-type = must be 1-40 lowercase letters and '_' (e.g. budget_exceeded)
err-expires-in-minutes = must be between 1 and 10080 (a week)
err-priority = must be 1 (critical) to 4 (low), got { $got }
err-too-many-assignees = at most { $max } assignees
err-approval-code = '{ $input }' is not an approval code (e.g. A7)
err-instant-required = is required (YYYY-MM-DD or an RFC 3339 time)
err-instant = '{ $input }' is neither YYYY-MM-DD nor an RFC 3339 time
err-end-before-start = must be after startDate
err-export-format = '{ $input }' is not one of json, jsonl, csv
err-admin-token = must be 16 to 200 printable ASCII characters without spaces (e.g. `openssl rand -hex 24`)
err-token-lifetime = '{ $input }' is not a lifetime like 30d, 12h, 90m or 2w (a minute to ten years)
err-audit-cursor = there is no audit event { $id } to continue after
err-telegram-user-id = must be a positive Telegram user id
err-language = '{ $input }' is not a supported language (supported: { $supported })
err-standup-time = must be a time HH:MM (24-hour), e.g. 09:00, not '{ $input }'
err-time-zone = must be an IANA time zone such as UTC or Europe/Berlin, not '{ $input }'
err-time-zone-did-you-mean = must be an IANA time zone such as UTC or Europe/Berlin, not '{ $input }' (did you mean { $suggestion }?)
err-standup-nothing-to-change = give standupTime, standupTimezone or both
err-budgets-nothing-to-change = give dailyCap, perRunCap or both
err-deny-needs-reason = a deny needs a reason
err-task-other-project = the task belongs to another project
err-agent-other-project = agent { $agent } belongs to another project
err-parent-other-project = the parent agent belongs to another project
err-idempotency-different-request = this Idempotency-Key was used for a different request; use a new key

## Rights
err-not-operator = not an operator
err-token-unknown = the token is unknown
err-token-revoked = the token was revoked at { $at }
err-token-rotated = the token was replaced by a newer one at { $at } (register again, or use the new token)
err-token-expired = the token expired at { $at }
err-role-cannot = the { $role } role cannot { $right }; it needs { $needed }
err-role-cannot-do-that = the { $role } role cannot do that; it needs { $needed }
err-agent-cannot = agent { $agent } cannot { $right }
err-right-read = read
err-right-switch-project = switch a chat's project
err-right-manage-tasks = manage tasks
err-right-comment = comment
err-right-control-agents = pause, resume or quarantine agents
err-right-pause-squad = pause or resume the squad
err-right-resolve-alerts = resolve alerts
err-right-register-agents = register agents
err-right-decide-approvals = decide approvals
err-right-set-budgets = change budgets
err-right-release-agents = release agents from quarantine
err-right-reset-agents = reset agent state
err-right-manage-projects = manage projects
err-right-manage-operators = grant or revoke roles
err-right-manage-tokens = manage API tokens
err-right-run-jobs = run jobs
err-tasks-need-role = moving and assigning tasks needs the { $needed } role
err-only-role-decides = only the { $needed } decides approvals
err-agent-own-project-only = agent { $agent } acts only in its own project
err-agent-only-itself = agent { $agent } can act only as itself
err-agent-may-not-act = agent { $agent } is { $status } and may not act
err-agent-cannot-decide = agent { $agent } cannot decide approvals, its own or another's
err-own-approvals-only = an agent reads only its own approvals
err-agents-cannot-export = agents cannot export the audit log
err-agents-cannot-budget = no agent can change budgets, its own or another's
err-agents-cannot-reset = no agent can reset agent state
err-own-sub-agents-only = agent { $agent } can register only its own sub-agents
err-not-own-sub-agent = agent { $agent } can register only its own sub-agents; { $other } is not one
err-heartbeat-self-only = only the agent itself can heartbeat
err-agents-claim = agents claim tasks; only operators assign them
err-only-agents-claim = only agents claim tasks; operators assign them
err-only-leads-create = agent { $agent } is a { $role }; only leads create tasks
err-not-on-task = agent { $agent } is neither an assignee nor the reviewer of task #{ $task }
err-run-not-own-task = agent { $agent } is neither an assignee nor the reviewer of task #{ $task }: runs are reported only against its own tasks
err-does-not-take = { $agent } does not take { $type } tasks
err-comment-author-only = only the author can edit a comment

## Conflicts
err-self-revoke = you cannot revoke your own role
err-token-name-taken = a token named '{ $name }' exists and is not revoked; revoke it first or choose another name
err-token-name-ambiguous = { $count } tokens not revoked are named '{ $name }'; revoke one by its id: { $ids }
err-token-already-revoked = token '{ $name }' was already revoked at { $at }
err-approval-code-ambiguous = this chat is the ops chat of { $bound } but works on { $current } (/switch), so a code could mean either project's approval: reply to the approval's card, use its buttons, or /switch back
err-duplicate-update = update { $update } was already handled
err-idempotency-just-handled = a request with this Idempotency-Key was just handled; retry
err-idempotency-in-progress = a request with this Idempotency-Key is still being handled; retry shortly
err-idempotency-key-reused = idempotency key '{ $key }' was already used for { $from } → { $to } on this task
err-approval-expired = approval { $code } expired at { $at }; the agent must ask again
err-alert-already-resolved = alert was already resolved
err-alert-already-resolved-by = alert was already resolved by { $by }
err-project-exists = a project with slug '{ $slug }' already exists
err-task-closed = task #{ $task } is { $status }; it can no longer be assigned
err-not-claimable = task #{ $task } is { $status }; only inbox tasks can be claimed
err-assignee-required = task #{ $task } is { $status } and cannot be left with nobody on it: assign someone else instead, { $to_inbox }, or cancel it
err-hint-move-to-inbox = move it to inbox (that unassigns it)
err-hint-move-to-inbox-via = move it to inbox first (from { $from }: via needs approval; that unassigns it)
err-agent-unavailable = { $agent } is { $status } and cannot be assigned
err-no-agent-takes = no available agent takes { $type } tasks
err-budget-pause-cao-only = { $agent } is paused for its budget, and only the { $needed } lifts a budget pause (or raises the cap)
err-budget-exhausted = { $agent } is paused at its daily cap ({ $spent } of { $cap }); raise the cap first
err-illegal-agent-status = cannot { $command } { $agent } while it is { $status }: { $hint }
err-command-pause = pause
err-command-resume = resume
err-command-quarantine = quarantine
err-command-release = release
err-command-restart = restart
err-hint-release-first = release it first
err-hint-drained = a drained agent is retired
err-hint-not-quarantined = it is not quarantined
err-spawn-intern = interns cannot spawn sub-agents
err-spawn-too-many-children = { $parent } already has { $children } sub-agents (at most { $max })
err-spawn-too-deep = sub-agents may be nested at most { $max } deep
err-spawn-project-full = the project already has { $active } active agents (at most { $max })

## Not found: hints
err-hint-known = known: { $names }
err-hint-no-agents = the project has no agents
err-hint-no-projects = no projects exist yet
err-hint-see-tasks = see /tasks for the open ones
err-hint-see-approvals = see /approvals for the pending ones
err-hint-no-tokens = no token is live
err-hint-in-field = in { $field }
err-hint-jobs = jobs: { $jobs }
err-hint-nothing-to-claim = no inbox task of the types { $agent } takes
