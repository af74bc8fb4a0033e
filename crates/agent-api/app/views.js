// The cockpit's views. Each renders into `el` with what the REST API answers, and acts through
// it; a refusal is shown as the API words it.

const STATUSES = ['inbox', 'assigned', 'in_progress', 'review', 'needs_approval', 'blocked', 'done', 'canceled'];
const LABEL = {
  inbox: 'Inbox', assigned: 'Assigned', in_progress: 'In progress', review: 'Review',
  needs_approval: 'Needs approval', blocked: 'Blocked', done: 'Done', canceled: 'Canceled',
};

// A small element builder: h('div', {className: 'x'}, 'text', child…).
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el) el[key] = value;
    else el.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) el.append(child);
  }
  return el;
}

// Appends children to `el`, lists flattened (DOM's append would print an array).
function put(el, ...children) {
  for (const child of children.flat(2)) {
    if (child !== null && child !== undefined && child !== false) el.append(child);
  }
}

const money = (usd) => `$${Number(usd || 0).toFixed(2)}`;
const when = (iso) => (iso ? new Date(iso).toLocaleString() : 'never');

// Runs `action` (a call to the API): success → haptic and a refresh; refusal → its reason.
async function act(ctx, action, done) {
  try {
    await action();
    ctx.haptic('success');
    await (done ? done() : ctx.refresh());
  } catch (error) {
    ctx.haptic('error');
    ctx.toast(error.message);
  }
}

// An approval with its arguments; approve, or deny with a reason (a CAO's decision).
function approvalItem(ctx, approval, agents) {
  const code = `A${approval.number}`;
  const reason = h('input', { placeholder: 'Reason to deny', 'aria-label': `Reason to deny ${code}` });
  const item = h('div', { className: 'item approval', tabIndex: -1, dataset: { approvalCode: code, approvalId: approval.id } },
    h('strong', {}, `${code} `), h('span', { className: `badge risk-${approval.riskLevel}` }, approval.riskLevel), ' ',
    h('span', { className: 'summary' }, approval.actionSummary),
    h('div', { className: 'muted' }, `${agents.get(approval.agentId) || 'agent'} · ${approval.actionType}${approval.toolName ? ' · ' + approval.toolName : ''} · expires ${when(approval.expiresAt)}`),
    approval.justification ? h('div', {}, approval.justification) : null,
    approval.toolInput ? h('pre', {}, JSON.stringify(approval.toolInput, null, 2)) : null,
  );
  if (approval.status !== 'pending' && approval.status !== 'escalated') {
    item.append(h('div', { className: 'muted' }, `${approval.status} by ${approval.decidedByName || '?'}`));
  } else if (ctx.can('decide')) {
    const approve = (body) => act(ctx, () => ctx.api.post(`/api/approvals/${approval.id}/approve`, body));
    // A tool call's approval can also grant its command prefix (1 h, or while on this task),
    // or approve changed arguments.
    const toolCall = approval.toolName
      ? [
        h('button', { className: 'secondary grant-hour', onclick: () => approve({ grant: '1h' }) }, 'Allow 1 h'),
        h('button', { className: 'secondary grant-task', onclick: () => approve({ grant: 'task' }) }, 'Allow for this task'),
        h('button', { className: 'secondary edit', onclick: () => editArguments(item, approval, approve) }, 'Edit…'),
      ]
      : [];
    item.append(h('div', { className: 'actions' },
      h('button', { className: 'approve', onclick: () => approve({}) }, `Approve ${code}`),
      toolCall,
      reason,
      h('button', {
        className: 'danger deny',
        onclick: () => {
          if (!reason.value.trim()) { reason.focus(); return ctx.toast('Say why it is denied: the agent is told.'); }
          return act(ctx, () => ctx.api.post(`/api/approvals/${approval.id}/deny`, { reason: reason.value.trim() }));
        },
      }, 'Deny'),
    ));
  }
  return item;
}

// Approving a tool call with changed arguments: its input as JSON (a shell command as itself).
function editArguments(item, approval, approve) {
  if (item.querySelector('form.edit-input')) return;
  const input = approval.toolInput || {};
  const shell = typeof input.command === 'string' && Object.keys(input).length <= 2;
  const field = h('textarea', { rows: 4, 'aria-label': 'Arguments', value: shell ? input.command : JSON.stringify(input, null, 2) });
  item.append(h('form', {
    className: 'inline edit-input',
    onsubmit: (event) => { event.preventDefault(); approve({ editedInput: field.value }); },
  }, field, h('button', { type: 'submit' }, 'Approve edited')));
  field.focus();
}

async function agentNames(ctx) {
  const agents = await ctx.api.all('/api/agents');
  return { list: agents, names: new Map(agents.map((a) => [a.id, a.name])) };
}

// Today: what needs me.
async function today(ctx, el) {
  const [approvals, questions, alerts, agents] = await Promise.all([
    ctx.api.get('/api/approvals?status=pending,escalated&limit=200'),
    ctx.api.get('/api/questions?status=open'),
    ctx.api.get('/api/alerts?resolved=false&limit=200'),
    agentNames(ctx),
  ]);
  const held = agents.list.filter((a) => a.status === 'paused' || a.status === 'quarantined');
  put(el,
    h('h2', {}, `Pending approvals (${approvals.items.length})`),
    approvals.items.length ? approvals.items.map((a) => approvalItem(ctx, a, agents.names)) : h('p', { className: 'muted' }, 'None.'),
    h('h2', {}, `Open questions (${questions.length})`),
    questions.length
      ? questions.map((q) => h('div', { className: 'item' }, h('strong', {}, `Q${q.number} `), q.question,
        h('div', { className: 'muted' }, `${agents.names.get(q.agentId) || 'agent'}${q.options ? ' · ' + q.options.join(' / ') : ''}`)))
      : h('p', { className: 'muted' }, 'None.'),
    h('h2', {}, `Open alerts (${alerts.items.length})`),
    alerts.items.length
      ? alerts.items.map((a) => h('div', { className: 'item' }, h('span', { className: 'badge' }, a.severity), ' ', h('strong', {}, a.subject), h('div', {}, a.message)))
      : h('p', { className: 'muted' }, 'None.'),
    h('h2', {}, `Paused and quarantined agents (${held.length})`),
    held.length ? held.map((a) => agentItem(ctx, a)) : h('p', { className: 'muted' }, 'None.'),
  );
}

// Board: a column per task state; a card moves by drag and drop or its "Move to…" list, each
// through the core's transition rules. A refused move snaps back and says why. A mouse drags
// the card (HTML drag and drop); a finger or a pen drags its grip (⠿) — phones have no HTML
// drag and drop, and the grip leaves the rest of the card to scroll the board.
async function board(ctx, el) {
  const tasks = await ctx.api.all('/api/tasks');
  const columns = new Map(STATUSES.map((s) => [s, []]));
  for (const task of tasks) columns.get(task.status).push(task);
  const move = (task, to, reason) => {
    if (!to || to === task.status) return;
    // Blocking and canceling say why (the core refuses them without a reason): asked on the card.
    if ((to === 'blocked' || to === 'canceled') && !reason) return askReason(task, to);
    const body = reason ? { toStatus: to, reason } : { toStatus: to };
    // A refused move snaps back: the board is drawn again from the database, and the reason shown.
    return act(ctx, () => ctx.api.post(`/api/tasks/${task.id}/transition`, body), () => ctx.refresh());
  };
  const askReason = (task, to) => {
    const card = wrap.querySelector(`[data-task-id="${task.id}"]`);
    const input = h('input', { className: 'reason', placeholder: `Why ${LABEL[to].toLowerCase()}?`, 'aria-label': `Reason to move #${task.number} to ${LABEL[to]}` });
    card.append(h('form', {
      className: 'inline',
      onsubmit: (event) => { event.preventDefault(); if (input.value.trim()) move(task, to, input.value.trim()); },
    }, input, h('button', { type: 'submit' }, 'Move')));
    input.focus();
  };
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const wrap = h('div', { className: 'board', role: 'list' });
  // Cards are built as HTML in one go: a board of hundreds of tasks renders at once.
  for (const status of STATUSES) {
    const list = columns.get(status);
    const column = h('section', { className: 'column', dataset: { status }, 'aria-label': LABEL[status] });
    column.innerHTML = `<h3>${LABEL[status]} (${list.length})</h3>` + list.map((t) => `
      <div class="card" draggable="true" tabindex="0" role="listitem" data-task-id="${t.id}" data-number="${t.number}">
        <span class="grip" aria-hidden="true" title="Drag to another column">⠿</span><span class="title">#${t.number} ${escapeHtml(t.title)}</span>
        <span class="badge">${t.type}</span> <span class="badge">P${t.priority}</span>
        <select aria-label="Move #${t.number} to" class="move"><option value="">Move to…</option>${
          STATUSES.filter((s) => s !== status).map((s) => `<option value="${s}">${LABEL[s]}</option>`).join('')}</select>
      </div>`).join('');
    column.addEventListener('dragover', (event) => { event.preventDefault(); column.classList.add('over'); });
    column.addEventListener('dragleave', () => column.classList.remove('over'));
    column.addEventListener('drop', (event) => {
      event.preventDefault();
      column.classList.remove('over');
      const task = byId.get(event.dataTransfer.getData('text/plain'));
      if (task) move(task, status);
    });
    wrap.append(column);
  }
  wrap.addEventListener('dragstart', (event) => {
    const card = event.target.closest('.card');
    if (card) event.dataTransfer.setData('text/plain', card.dataset.taskId);
  });
  touchDrag(ctx, wrap, (id, status) => move(byId.get(id), status));
  wrap.addEventListener('change', (event) => {
    if (!event.target.classList.contains('move')) return;
    const card = event.target.closest('.card');
    move(byId.get(card.dataset.taskId), event.target.value);
  });
  const open = (event) => {
    const card = event.target.closest('.card');
    if (!card || event.target.closest('select, form, input, button, .grip')) return;
    if (event.type === 'keydown' && event.key !== 'Enter') return;
    openTask(ctx, Number(card.dataset.number));
  };
  wrap.addEventListener('click', open);
  wrap.addEventListener('keydown', open);
  put(el, wrap);
}

// A card dragged by its grip with a finger or a pen (pointer events): a copy follows the
// pointer, the column under it is outlined, the board scrolls at its edges, and letting go over
// another column moves the card there. Telegram's swipe-down-to-close is held meanwhile.
function touchDrag(ctx, wrap, drop) {
  let drag = null;
  const columnAt = (x, y) => {
    const under = document.elementFromPoint(x, y);
    return under && under.closest('.column');
  };
  const end = () => {
    if (!drag) return;
    drag.ghost.remove();
    drag.card.classList.remove('dragging');
    if (drag.over) drag.over.classList.remove('over');
    ctx.holdSwipes(false);
    drag = null;
  };
  wrap.addEventListener('pointerdown', (event) => {
    const grip = event.target.closest('.grip');
    if (!grip || event.pointerType === 'mouse') return;
    event.preventDefault();
    const card = grip.closest('.card');
    const box = card.getBoundingClientRect();
    const ghost = card.cloneNode(true);
    ghost.classList.add('ghost');
    ghost.removeAttribute('data-task-id');
    ghost.removeAttribute('data-number');
    ghost.removeAttribute('role');
    ghost.style.width = `${box.width}px`;
    document.body.append(ghost);
    card.classList.add('dragging');
    grip.setPointerCapture(event.pointerId);
    drag = { card, ghost, dx: event.clientX - box.left, dy: event.clientY - box.top, over: null, from: card.closest('.column') };
    ghost.style.transform = `translate(${box.left}px, ${box.top}px)`;
    ctx.holdSwipes(true);
    ctx.haptic('light');
  });
  wrap.addEventListener('pointermove', (event) => {
    if (!drag) return;
    drag.ghost.style.transform = `translate(${event.clientX - drag.dx}px, ${event.clientY - drag.dy}px)`;
    const edge = wrap.getBoundingClientRect();
    if (event.clientX > edge.right - 40) wrap.scrollLeft += 12;
    else if (event.clientX < edge.left + 40) wrap.scrollLeft -= 12;
    const over = columnAt(event.clientX, event.clientY);
    if (over !== drag.over) {
      if (drag.over) drag.over.classList.remove('over');
      if (over && over !== drag.from) over.classList.add('over');
      drag.over = over;
    }
  });
  wrap.addEventListener('pointerup', (event) => {
    if (!drag) return;
    const { card, from } = drag;
    const to = columnAt(event.clientX, event.clientY);
    end();
    if (to && to !== from) drop(card.dataset.taskId, to.dataset.status);
  });
  wrap.addEventListener('pointercancel', end);
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

// A task: its timeline, comments (add one), assignees and cost.
export async function openTask(ctx, number) {
  const tasks = await ctx.api.all('/api/tasks');
  const task = tasks.find((t) => t.number === number);
  if (!task) return ctx.toast(`Task #${number} is not in this project.`);
  return ctx.push(async (el) => {
    const [timeline, agents] = await Promise.all([ctx.api.get(`/api/tasks/${task.id}/timeline`), agentNames(ctx)]);
    const t = timeline.task;
    const comment = h('textarea', { rows: 2, placeholder: 'Comment', 'aria-label': 'Comment' });
    el.dataset.taskId = t.id;
    put(el,
      h('h2', {}, `#${t.number} ${t.title}`),
      h('div', { className: 'muted' }, `${LABEL[t.status]} · ${t.type} · P${t.priority} · cost ${money(t.actualCost)}${t.budgetAllocated ? ' of ' + money(t.budgetAllocated) : ''}`),
      h('div', {}, `Assignees: ${t.assigneeIds.map((id) => agents.names.get(id) || id).join(', ') || 'none'}`),
      t.description ? h('p', {}, t.description) : null,
      h('h2', {}, 'Timeline'),
      timeline.entries.map((entry) => h('div', { className: 'item' }, timelineText(entry))),
      ctx.can('operate')
        ? h('form', {
          className: 'inline',
          onsubmit: (event) => {
            event.preventDefault();
            const body = comment.value.trim();
            if (!body) return;
            act(ctx, () => ctx.api.post(`/api/tasks/${t.id}/comments`, { body }), () => openTask(ctx, number));
          },
        }, comment, h('button', { type: 'submit' }, 'Comment'))
        : null,
    );
  });
}

function timelineText(entry) {
  switch (entry.kind) {
    case 'transition': return `${when(entry.createdAt)} · ${entry.actorName}: ${entry.fromStatus} → ${entry.toStatus}${entry.reason ? ' — ' + entry.reason : ''}`;
    case 'comment': return `${when(entry.createdAt)} · ${entry.authorName}: ${entry.body}`;
    case 'run': return `${when(entry.createdAt)} · run ${entry.status || ''} ${money(entry.cost)}`;
    case 'approval': return `${when(entry.createdAt)} · A${entry.number} ${entry.actionSummary} (${entry.status})`;
    case 'question': return `${when(entry.createdAt)} · Q${entry.number} ${entry.question} (${entry.status})`;
    default: return `${when(entry.createdAt)} · ${entry.kind}`;
  }
}

// Approvals: pending first, then the latest decided.
async function approvals(ctx, el) {
  const [pending, recent, agents] = await Promise.all([
    ctx.api.get('/api/approvals?status=pending,escalated&limit=200'),
    ctx.api.get('/api/approvals?status=approved,denied,expired,canceled&limit=20'),
    agentNames(ctx),
  ]);
  put(el,
    h('h2', {}, `Pending (${pending.items.length})`),
    pending.items.length ? pending.items.map((a) => approvalItem(ctx, a, agents.names)) : h('p', { className: 'muted' }, 'None.'),
    h('h2', {}, 'Decided'),
    recent.items.map((a) => approvalItem(ctx, a, agents.names)),
  );
}

// One agent: status, spend against its cap, last heartbeat; what the viewer may do to it.
function agentItem(ctx, agent, monthSpend) {
  const cap = Number(agent.budgets.dailyCap) || 0;
  const share = cap ? Math.min(100, (100 * Number(agent.todaySpend)) / cap) : 0;
  const command = (name) => h('button', {
    className: name === 'quarantine' ? 'danger' : 'secondary',
    onclick: () => act(ctx, () => ctx.api.post(`/api/agents/${agent.id}/${name}`, {})),
  }, name[0].toUpperCase() + name.slice(1));
  const actions = [];
  if (ctx.can('operate')) {
    if (agent.status === 'active') actions.push(command('pause'), command('quarantine'));
    if (agent.status === 'paused') actions.push(command('resume'), command('quarantine'));
  }
  if (ctx.can('decide') && agent.status === 'quarantined') actions.push(command('release'));
  return h('div', { className: 'item', dataset: { agentId: agent.id } },
    h('strong', {}, agent.name), ' ', h('span', { className: 'badge' }, agent.role), ' ', h('span', { className: 'badge status' }, agent.status),
    agent.statusReason ? h('div', { className: 'muted' }, agent.statusReason) : null,
    h('div', {}, `Today ${money(agent.todaySpend)} of ${money(cap)}${monthSpend === undefined ? '' : ' · month ' + money(monthSpend)} · total ${money(agent.totalSpend)} · heartbeat ${when(agent.lastHeartbeat)}`),
    h('div', { className: 'bar' }, h('span', { style: `width:${share}%` })),
    actions.length ? h('div', { className: 'actions' }, actions) : null,
  );
}

async function agents(ctx, el) {
  const [{ list }, month] = await Promise.all([agentNames(ctx), summary(ctx, 'month', 'agent')]);
  const monthly = new Map(month.lines.map((l) => [l.key, l.cost]));
  put(el, h('h2', {}, `Agents (${list.length})`), list.map((a) => agentItem(ctx, a, monthly.get(a.id) ?? 0)));
}

// GET /api/costs/summary: the UTC day's or calendar month's spend by agent or model.
function summary(ctx, period, by) {
  return ctx.api.get(`/api/costs/summary?period=${period}&by=${by}`);
}

// The live feed: the squad's events as they happen (SSE). Answers the EventSource, which the
// app closes when another view opens.
function feed(ctx, el) {
  const list = h('ul', { className: 'feed', id: 'feed' });
  const status = h('p', { className: 'muted' }, 'Connecting…');
  put(el, h('h2', {}, 'Live feed'), status, list);
  const source = ctx.api.feed();
  source.onopen = () => { status.textContent = 'Live.'; };
  source.onerror = () => { status.textContent = 'Reconnecting…'; };
  source.addEventListener('audit', (message) => {
    const event = JSON.parse(message.data);
    list.prepend(h('li', { dataset: { eventId: event.id, action: event.action } },
      `${new Date(event.occurredAt).toLocaleTimeString()} · ${event.actorName} · ${event.action} · ${event.entityKind} ${event.data && (event.data.title || event.data.name) || ''}`));
    while (list.childElementCount > 200) list.lastElementChild.remove();
  });
  source.addEventListener('end', () => { status.textContent = 'The session ended: reopen the app.'; source.close(); });
  return source;
}

// Costs: by agent and by model, today and this month so far (runs of models without a price
// are counted apart: never shown as $0), against the daily caps.
async function costs(ctx, el) {
  const [daily, dayAgents, monthAgents, dayModels, monthModels, { list }] = await Promise.all([
    ctx.api.get('/api/costs/daily'), summary(ctx, 'day', 'agent'), summary(ctx, 'month', 'agent'),
    summary(ctx, 'day', 'model'), summary(ctx, 'month', 'model'), agentNames(ctx),
  ]);
  const row = (...cells) => h('tr', {}, cells.map((c) => h('td', {}, String(c))));
  const line = (s, key) => s.lines.find((l) => l.key === key);
  const spent = (l) => (l ? money(l.cost) + (l.unpricedRuns ? ` + ${l.unpricedRuns} unpriced` : '') : money(0));
  const models = [...new Set(monthModels.lines.map((l) => l.key))];
  put(el,
    h('h2', {}, `Today ${money(dayAgents.total)} of ${money(daily.dailyCapsTotal)} (daily caps) · month to date ${money(monthAgents.total)}`),
    monthAgents.unpricedRuns ? h('p', { className: 'muted' }, `${monthAgents.unpricedRuns} runs this month were of models without a price (unpriced, not counted).`) : null,
    h('table', { className: 'costs-by-agent' },
      h('thead', {}, h('tr', {}, ['Agent', 'Today', 'Cap', 'Month to date', 'Runs (month)'].map((t) => h('th', {}, t)))),
      h('tbody', {}, list.map((a) => {
        const m = line(monthAgents, a.id);
        return row(a.name, spent(line(dayAgents, a.id)), money(a.budgets.dailyCap), spent(m), m ? m.runs : 0);
      })),
    ),
    h('h2', {}, 'By model'),
    models.length
      ? h('table', { className: 'costs-by-model' },
        h('thead', {}, h('tr', {}, ['Model', 'Today', 'Month to date', 'Runs (month)', 'Tokens (month)'].map((t) => h('th', {}, t)))),
        h('tbody', {}, models.map((key) => {
          const m = line(monthModels, key);
          return row(key || '(not reported)', spent(line(dayModels, key)), spent(m), m.runs, m.tokens);
        })))
      : h('p', { className: 'muted' }, 'No runs this month.'),
  );
}

// Standup: where the project stands (what the daily standup posts), with its spend chart.
async function standup(ctx, el) {
  const s = await ctx.api.get('/api/summary');
  const max = Math.max(...s.spend.map((l) => Number(l.dailyCap)), ...s.spend.map((l) => Number(l.todaySpend)), 0.01);
  const lines = (tasks) => (tasks.length ? tasks.map((t) => h('div', { className: 'item' }, `#${t.number} ${t.title}${t.blockedReason ? ' — ' + t.blockedReason : ''}`)) : h('p', { className: 'muted' }, 'None.'));
  put(el,
    h('h2', {}, `Standup · ${new Date(s.at).toLocaleString()}`),
    h('table', {}, h('tbody', {}, s.tasksByStatus.map(([status, n]) => h('tr', {}, h('td', {}, LABEL[status] || status), h('td', {}, String(n)))))),
    h('h2', {}, 'Done in the last day'), lines(s.completed),
    h('h2', {}, 'Blocked'), lines(s.blocked),
    h('h2', {}, 'Next'), lines(s.next),
    h('h2', {}, `Spend today ${money(s.spendToday)} of ${money(s.capsToday)} · burn ${money(s.burnRate)}/h`),
    h('div', { className: 'chart', role: 'img', 'aria-label': 'Spend today by agent against the daily cap' },
      s.spend.map((l) => h('div', { className: 'chart-row' },
        h('span', { className: 'chart-label' }, l.name),
        h('div', { className: 'bar' }, h('span', { style: `width:${(100 * Number(l.todaySpend)) / max}%` })),
        h('span', { className: 'muted' }, `${money(l.todaySpend)} / ${money(l.dailyCap)}`)))),
  );
}

// Policy: the rules in force — the risk policy of actions and the tool-call rules of a role.
async function policy(ctx, el, role = 'specialist') {
  const p = await ctx.api.get(`/api/policy?role=${role}`);
  const roles = h('select', { 'aria-label': 'Agent role', onchange: () => { el.replaceChildren(); policy(ctx, el, roles.value); } },
    ['intern', 'specialist', 'lead'].map((r) => new Option(r, r, r === p.role, r === p.role)));
  const rules = (name, list) => (list.length ? h('div', {}, h('span', { className: 'badge' }, name), ' ', list.join(', ')) : null);
  put(el,
    h('h2', {}, 'Actions'),
    h('div', { className: 'item' },
      h('div', {}, `Auto-approved: ${p.risk.autoApprove.join(', ') || 'none'}`),
      h('div', {}, `Done needs approval for: ${p.risk.doneRequiresApproval.join(', ') || 'none'}`),
      h('div', {}, `Approvals expire after ${p.risk.approvalExpiryMinutes} min; alert after ${p.risk.errorStreakAlert} errors, quarantine after ${p.risk.errorStreakQuarantine}; stale after ${p.risk.staleAfterMinutes} min; budget warning at ${p.risk.budgetWarningPercent}%`),
      p.risk.overrides.map(([action, risk]) => h('div', {}, `${action} → ${risk}`)),
    ),
    h('table', {}, h('tbody', {}, p.risk.tools.map(([tool, risk]) => h('tr', {}, h('td', {}, tool), h('td', { className: `risk-${risk}` }, risk))))),
    h('h2', {}, 'Tool calls for a ', roles),
    p.toolRules.map((layer) => h('div', { className: 'item policy-layer' }, h('strong', {}, layer.name),
      rules('green', layer.green), rules('yellow', layer.yellow), rules('red', layer.red))),
  );
}

export const views = { today, board, approvals, agents, feed, standup, costs, policy };
