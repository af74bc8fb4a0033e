# Reasons the system gives: why a task moved, why an agent was paused, why an action has its
# risk. Kept as messages with the change, so each chat reads them in its language; the API and
# the audit keep the English text. Plain text: no markup.

## Task moves
why-loop-detected = Loop detected: { $findings }
why-agent-reached-budget = { $agent } reached its daily budget
why-approval-approved = approval { $code } approved: back to { $to }
why-assigned-to = assigned to { $names }
why-unassigned = unassigned
why-claimed-by = claimed by { $agent }
why-reassign-after-loop = to be reassigned after a loop alert
why-unblocked-from-loop-alert = unblocked from a loop alert
why-canceled-from-loop-alert = canceled from a loop alert

## Agent status
why-daily-budget-reached = daily budget reached ({ $spent } of { $cap })
why-new-budget-day = a new budget day
why-monthly-budget-reached = monthly budget reached ({ $spent } of { $cap })
why-project-daily-budget-reached = the project's daily budget reached ({ $spent } of { $cap })
why-project-monthly-budget-reached = the project's monthly budget reached ({ $spent } of { $cap })
why-new-budget-month = a new budget month
why-budget-raised = the budget was raised
why-error-streak = error streak of { $streak }
why-reset = reset
why-squad-paused = squad paused
why-quarantined-from-alert = quarantined from an alert

## Approvals
why-expired-undecided = expired without a decision (deny on timeout)
why-policy-maps = project policy maps '{ $action }' to { $risk }
why-word-risk = '{ $word }' actions are { $risk }
why-unknown-tool = policy does not know '{ $action }': red until it is listed
why-done-action = '{ $action }' lets a task be done: a person decides it
why-secrets = parameters look like secrets
why-production = parameters mention production
why-agent-rated = the agent rated it { $risk }
why-agent-not-active = the agent is { $status }
why-green-allowed = green actions are allowed
why-yellow-allowed = yellow actions are allowed for a { $role }
why-automation-approves = policy automation approves '{ $action }'

## Tool calls (the permission layer for coding agents)
why-tool-rule = rule { $rule } of the { $layer } layer
why-tool-unknown = no rule knows { $tool }: red until one is listed
why-tool-unparseable = the call could not be analysed: { $error }
why-tool-outside-cwd = writes outside the working directory: { $path }
why-tool-secret = the call holds something that looks like a secret
why-tool-bare-shell = runs a shell, inline code or another user's commands: { $program }
err-tool-rule-empty = a rule must name a tool (e.g. Bash(git status:*))
err-tool-rule-parentheses = unbalanced parentheses in '{ $rule }'
err-tool-rule-tool-name = '{ $tool }' is not a tool name (letters, digits, '_', '-', '.', and '*' only at the end)
err-tool-rule-star = '{ $tool }': '*' may only end a tool name
err-tool-rule-empty-spec = { $tool }() needs something between the parentheses, or no parentheses
err-tool-rule-no-spec = { $tool } takes no specifier in parentheses
err-tool-rule-domain = '{ $spec }' is not a domain specifier (expected domain:example.com)
err-tool-rule-glob = not a valid path pattern: { $error }
err-tool-rule-shell = '{ $spec }' is not a shell command: { $error }
err-tool-rule-compound = '{ $spec }' is more than one command: a Bash rule names one simple command (each part of '&&', '|', ';' and '$(…)' is matched on its own)
