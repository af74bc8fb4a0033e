# Ответы бота на команды и кнопки (HTML Telegram: < > & пишутся как &lt; &gt; &amp;).

## Меню команд (setMyCommands): простой текст, не длиннее 256 символов.
bot-cmd-start = Начало: кто вы здесь
bot-cmd-help = Все команды
bot-cmd-whoami = Ваша роль, этот чат и его проект
bot-cmd-status = Проект одним взглядом
bot-cmd-standup = Стендап сейчас: задачи, блокеры, агенты, расходы
bot-cmd-burnrate = Расходы агентов против лимитов, $/ч
bot-cmd-agents = Список агентов
bot-cmd-agent = Карточка агента
bot-cmd-tasks = Задачи, можно по статусу
bot-cmd-inbox = Задачи во входящих
bot-cmd-task = Карточка задачи и её история
bot-cmd-newtask = Создать задачу
bot-cmd-assign = Назначить задачу агентам
bot-cmd-move = Перевести задачу в другой статус
bot-cmd-approvals = Запросы, ждущие решения
bot-cmd-approve = Одобрить запрос
bot-cmd-deny = Отклонить запрос с причиной
bot-cmd-alerts = Открытые тревоги
bot-cmd-pause = Приостановить агента
bot-cmd-resume = Возобновить агента
bot-cmd-quarantine = Поместить агента в карантин
bot-cmd-release = Выпустить агента из карантина
bot-cmd-costs = Расходы за сегодня или за месяц, по агентам и моделям
bot-cmd-budget = Задать дневной лимит агента
bot-cmd-pause_squad = Приостановить всех агентов проекта
bot-cmd-resume_squad = Возобновить команду
bot-cmd-policy = Политика рисков
bot-cmd-projects = Список проектов
bot-cmd-switch = Сменить проект этого чата
bot-cmd-bind = Сделать эту группу рабочим чатом проекта
bot-cmd-grant = Дать роль пользователю Telegram или разрешить агентам правило
bot-cmd-revoke = Забрать роль у пользователя Telegram или отозвать разрешение
bot-cmd-tokens = API-токены: чьи, когда использованы, срок
bot-cmd-revoke_token = Немедленно отозвать API-токен
bot-cmd-lang = Сменить язык этого чата

## Строки использования (HTML).
bot-usage = Использование: { $usage }
bot-usage-start = /start
bot-usage-help = /help
bot-usage-whoami = /whoami
bot-usage-status = /status
bot-usage-standup = /standup
bot-usage-burnrate = /burnrate
bot-usage-agents = /agents
bot-usage-agent = /agent &lt;имя&gt; — например, /agent Scout
bot-usage-tasks = /tasks [статус,…] — например, /tasks blocked,review
bot-usage-inbox = /inbox
bot-usage-task = /task &lt;номер&gt; — например, /task 12
bot-usage-newtask = /newtask &lt;тип&gt; &lt;название&gt; — например, /newtask docs Написать гайд
bot-usage-assign = /assign &lt;номер&gt; &lt;агент&gt;… — например, /assign 12 Scout
bot-usage-move = /move &lt;номер&gt; &lt;статус&gt; [причина] — например, /move 12 review готово к проверке
bot-usage-approvals = /approvals
bot-usage-approve = /approve &lt;код&gt; — например, /approve A7
bot-usage-deny = /deny &lt;код&gt; &lt;причина&gt; — например, /deny A7 не во время запуска
bot-usage-alerts = /alerts
bot-usage-pause = /pause &lt;агент&gt; [причина]
bot-usage-resume = /resume &lt;агент&gt;
bot-usage-quarantine = /quarantine &lt;агент&gt; [причина]
bot-usage-release = /release &lt;агент&gt;
bot-usage-costs = /costs [today|month] (сегодня или месяц)
bot-usage-budget = /budget &lt;агент&gt; &lt;дневной лимит&gt; — например, /budget Scout 3.50
bot-usage-pause_squad = /pause_squad
bot-usage-resume_squad = /resume_squad
bot-usage-policy = /policy [тип-действия [intern|specialist|lead]]
bot-usage-projects = /projects
bot-usage-switch = /switch &lt;код проекта&gt; — например, /switch openclaw
bot-usage-bind = /bind &lt;код проекта&gt; — в группе, которая станет рабочим чатом
bot-usage-grant = /grant &lt;id пользователя Telegram&gt; &lt;viewer|operator|cao&gt; · /grant &lt;агент|intern|specialist|lead|project&gt; &lt;правило&gt; &lt;1h|8h|task|7d&gt; — например, /grant Scout Bash(git push:*) 8h
bot-usage-revoke = /revoke &lt;id пользователя Telegram&gt; · /revoke &lt;код разрешения&gt; — например, /revoke G3
bot-usage-tokens = /tokens
bot-usage-revoke_token = /revoke_token &lt;имя или id&gt; — например, /revoke_token ops-script
bot-usage-lang = /lang &lt;en|ru&gt;

bot-help-title = <b>Команды Mission Control</b>
bot-help-line = { $usage } — { $description }

## Кто есть кто.
bot-start = Здравствуйте, { $name }! Ваша роль здесь — <b>{ $role }</b>; этот чат работает с проектом <b>{ $project }</b>. /help — список команд.
bot-not-operator = Извините, вы не оператор Mission Control, поэтому я не могу этого сделать. Попросите CAO выполнить <code>/grant { $id } viewer</code> (или operator).
bot-whoami =
    <b>{ $name }</b> — { $role }
    Telegram id: <code>{ $id }</code>
    Проект: { $project } ({ $bound })
    Язык: { $lang }
bot-whoami-bound-here = это его рабочий чат
bot-whoami-bound-other = выбран через /switch
bot-whoami-unbound = чат не привязан

## Ошибки.
bot-no-project = У этого чата ещё нет проекта: привяжите его командой /bind или выберите через /switch.
bot-unknown-command = Я не знаю команду /{ $command }. /help — что я умею.
bot-bad-value = «{ $value }» здесь не подходит. Возможные значения: { $choices }
bot-tokens-private-only = /tokens отвечает только в личном чате со мной: названия и владельцы токенов не для группы.
bot-bind-group-only = /bind работает в группе или форуме: добавьте меня в группу проекта и выполните команду там.
bot-error-invalid = Неверно: { $field } { $message }
bot-error-bad-input = Не удалось разобрать: { $message }
bot-error-not-found = { $entity } { $key } не найден(а).
bot-error-not-found-hint = { $entity } { $key } не найден(а) ({ $hint }).
bot-error-forbidden = Извините, вам это недоступно: { $reason }. Ничего не изменено.
bot-refusal-role = Извините, вам это недоступно: ваша роль — { $role }, а нужна { $needed }. Ничего не изменено.
bot-error-illegal-transition = Задачу нельзя перевести из «{ $from }» в «{ $to }»: { $reason }. Из «{ $from }» можно в: { $allowed }
bot-refusal-terminal = она в статусе «{ $from }», он окончательный: её уже не перевести
bot-refusal-not-in-table = переход «{ $from }» → «{ $to }» доска задач не допускает
bot-refusal-needs-assignee = сначала нужен хотя бы один исполнитель
bot-refusal-needs-work-plan = для начала работы нужен план из 3–6 пунктов (сейчас { $bullets ->
    [one] { $bullets } пункт
    [few] { $bullets } пункта
   *[many] { $bullets } пунктов
})
bot-refusal-needs-deliverable = для проверки нужен результат работы
bot-refusal-human-only = перевести задачу в «{ $to }» может только человек-оператор
bot-refusal-budget-hold = в «ждёт одобрения» по бюджету задачу переводит только система
bot-refusal-needs-reason = для блокировки нужна причина
bot-refusal-done-needs-approval = по политике задаче нужно одобрение task.done, принятое человеком, прежде чем она будет выполнена
bot-error-already-decided = { $code } уже { $status } ({ $by }, { $at }).
bot-error-conflict = Сейчас это невозможно: { $message }
bot-error-internal = Что-то пошло не так на моей стороне; ничего не изменено. Попробуйте ещё раз.
bot-entity-agent = Агент
bot-entity-task = Задача
bot-entity-approval = Запрос
bot-entity-project = Проект
bot-entity-operator = Оператор
bot-entity-alert = Тревога
bot-entity-chat = Чат
bot-entity-token = Токен

## Списки.
bot-list-empty = Здесь пусто.
bot-list-none = —
bot-list-more = …и ещё { $count }
bot-page-prev = « Назад
bot-page-next = Дальше »
bot-page-footer = Страница { $page } из { $pages } · { $total ->
    [one] { $total } элемент
    [few] { $total } элемента
   *[many] { $total } элементов
}

bot-projects-title = <b>Проекты</b>
bot-projects-line = • <b>{ $name }</b> <code>{ $slug }</code> { $marks }
bot-projects-current = ← этот чат
bot-projects-bound = рабочий чат
bot-projects-paused = команда на паузе
bot-switched = Теперь этот чат работает с проектом <b>{ $project }</b> (<code>{ $slug }</code>).

bot-agents-title = <b>Агенты проекта { $project }</b> ({ $count })
bot-agent-line = • <b>{ $name }</b> { $role } · { $status } · { $spent } / { $cap }
bot-agent-card =
    <b>{ $name }</b> — { $role }, { $status }
    Типы задач: { $types }
    Сегодня: { $spent } из { $cap } (за запуск { $perrun }) · всего { $total }
    Пульс: { $heartbeat }
    Ошибок подряд: { $errors }
bot-agent-any-type = любые
bot-agent-heartbeat = { $at } ({ $minutes ->
    [one] { $minutes } минуту назад
    [few] { $minutes } минуты назад
   *[many] { $minutes } минут назад
})
bot-agent-no-heartbeat = никогда
bot-agent-reason = Причина: { $reason }
bot-agent-stale = ⚠️ Молчит: давно нет пульса.
bot-agent-current = Работает над #{ $number } { $title }
bot-agent-now = { $agent } теперь <b>{ $status }</b>.
bot-agent-unchanged = { $agent } уже { $status }; ничего не изменилось.

bot-tasks-title = <b>Задачи проекта { $project }</b> — { $filter } ({ $count })
bot-tasks-open = открытые
bot-task-line = #{ $number } [P{ $priority }] { $title } — { $status } · { $assignees }
bot-task-unassigned = не назначена
bot-task-card =
    <b>#{ $number } { $title }</b>
    { $status } · { $type } · приоритет { $priority }
    Исполнители: { $assignees }
    Стоимость: { $cost } · циклов проверки: { $cycles }
bot-task-blocked = Заблокирована: { $reason }
bot-task-plan = <b>План работ</b>
bot-task-recent = <b>Недавно</b>
bot-timeline-transition = { $at }: { $from } → { $to }, { $by }
bot-timeline-comment = { $at }: { $by }: { $body }
bot-timeline-approval = { $at }: { $code } { $action } — { $status }
bot-timeline-run = { $at }: запуск { $cost } ({ $status })
bot-task-created = Создана задача <b>#{ $number }</b> { $title }.
bot-task-assigned = #{ $number } назначена: { $agents } ({ $status }).
bot-task-moved = #{ $number }: { $from } → <b>{ $to }</b>.

bot-approvals-title = <b>Запросы проекта { $project }, ждущие решения</b> ({ $count })
bot-approval-line = • <b>{ $code }</b> { $agent }: { $action } ({ $risk }) — { $summary } · истекает { $expires }
bot-approval-approved = ✅ { $code } одобрен (проект <b>{ $project }</b>).
bot-approval-denied = ❌ { $code } отклонён (проект <b>{ $project }</b>): { $reason }
bot-deny-ask = { $name }, почему отклонить <b>{ $code }</b> (проект <b>{ $project }</b>)? Отправьте причину следующим сообщением в этом чате.
bot-approval-about = Проект <b>{ $project }</b>: { $message }

bot-alerts-title = <b>Открытые тревоги проекта { $project }</b> ({ $count })
bot-alert-line = { $n }. { $severity } <b>{ $type }</b>: { $message } ({ $times ->
    [one] { $times } раз
    [few] { $times } раза
   *[many] { $times } раз
}, с { $since })

## Кнопки.
bot-button-approve-code = ✅ { $code }
bot-button-deny-code = ❌ { $code }
bot-button-resolve-n = ✓ { $n }
bot-button-alert-action-n = { $n } · { $action }
bot-button-cancel = Отмена
bot-button-pause-squad = ⏸ Остановить команду
bot-button-quarantine = 🚫 В карантин: { $agent }

## Подтверждения.
bot-confirm-pause-squad = Приостановить всю команду проекта <b>{ $project }</b>? Сейчас на паузу встанут { $agents }; /resume_squad вернёт их к работе.
bot-confirm-quarantine = Поместить <b>{ $agent }</b> в карантин? Агент сразу остановится, выпустить его сможет только CAO. Причина: { $reason }
bot-squad-paused = ⏸ Команда проекта <b>{ $project }</b> на паузе: { $count ->
    [one] { $count } агент
    [few] { $count } агента
   *[many] { $count } агентов
} ({ $agents }).
bot-squad-resumed = ▶️ Команда проекта <b>{ $project }</b> снова в работе: { $count ->
    [one] { $count } агент
    [few] { $count } агента
   *[many] { $count } агентов
} ({ $agents }).
bot-budget-set = { $agent }: дневной лимит { $daily }, за запуск { $perrun } ({ $status }).
bot-granted = Пользователь Telegram <code>{ $user }</code> ({ $name }) теперь <b>{ $role }</b>.
bot-revoked = У пользователя Telegram <code>{ $user }</code> ({ $name }) больше нет роли.
bot-lang-set = Теперь этот чат говорит по-русски.

## Сводки.
bot-status-title = <b>{ $project }</b> — состояние
bot-summary-squad-paused = ⏸ Команда на паузе.
bot-summary-tasks = Задачи: { $counts }
bot-summary-no-tasks = задач нет
bot-summary-agents = Агенты: активны { $active } · на паузе { $paused } · в карантине { $quarantined } · не в сети { $offline } · молчат { $stale }
bot-summary-spend = Расходы сегодня: { $spent } из { $caps } · за последний час { $rate }/ч
bot-summary-pending = Ждут решения: { $approvals } · открытых тревог: { $alerts }
bot-standup-title = <b>Стендап — { $project }</b>, { $date }
bot-standup-completed = <b>✅ Сделано (24 ч)</b>
bot-standup-blocked = <b>⛔ Заблокировано</b>
bot-standup-blocked-line = #{ $number } { $title } — { $reason }
bot-standup-agents = <b>🤖 Агенты</b>
bot-standup-not-started = Ещё не запущены (не было пульса): { $agents }
bot-standup-stale = Молчат: { $agents }
bot-standup-spend = <b>💰 Расходы сегодня</b>
bot-standup-month = С начала месяца: { $spent } · больше всех: { $top }
bot-standup-spend-line = { $agent }: { $spent } / { $cap } ({ $percent }%) · { $rate }/ч · { $status }
bot-standup-spend-more = …и ещё { $count } { $count ->
    [one] агент
    [few] агента
   *[many] агентов
}
bot-standup-approvals = <b>🗳 Ждут решения</b>
bot-standup-next = <b>➡️ Дальше</b>
bot-burnrate-title = <b>Скорость расходов — { $project }</b>
bot-burnrate-line = { $agent }: { $spent } / { $cap } ({ $percent }%) · { $rate }/ч · { $eta }
bot-burnrate-eta = лимит через { $hours } ч
bot-burnrate-idle = не тратит

bot-policy-check = <b>{ $action }</b>: { $risk }
bot-policy-because = · потому что { $reason }
bot-policy-for-role = · { $role }: { $outcome }
policy-allowed = разрешено
policy-needs-approval = нужно одобрение человека
policy-denied = запрещено
bot-policy-title = <b>Политика рисков</b>
bot-policy-rules =
    🟢 ЗЕЛЁНЫЕ действия разрешены. 🟡 ЖЁЛТЫЕ разрешены специалистам и лидам; стажёрам нужно одобрение. 🔴 КРАСНЫЕ всегда требуют одобрения CAO.
    Параметры, похожие на секреты или упоминающие production, делают действие КРАСНЫМ. Агентам на паузе, в карантине, не в сети и выведенным запрещено всё.
bot-policy-tools = <b>Инструменты</b>
bot-policy-level = { $risk }: { $tools }
bot-policy-overrides = Настройки проекта: { $overrides }
bot-policy-auto = КРАСНЫЕ действия, одобряемые политикой: { $actions }
bot-policy-done = Для «готово» нужно одобрение у типов: { $types }
bot-policy-limits = Запросы истекают через { $expiry } мин (отказ по таймауту). Ошибки подряд: тревога после { $alert }, карантин после { $quarantine }. Агент «молчит» через { $stale } мин без пульса. Предупреждение о бюджете на { $warning }%.

## Всплывающие ответы (простой текст, не длиннее 200 символов).
bot-toast-not-operator = Извините, эти кнопки только для операторов Mission Control.
bot-toast-expired = Эта кнопка больше не действует.
bot-toast-failed = Что-то пошло не так; ничего не изменено.
bot-toast-already-used = Уже сделано.
bot-toast-forbidden = Нельзя: { $reason }
bot-toast-approved = ✅ { $code } одобрен ({ $project })
bot-toast-picked = { $code }: { $picked }
bot-toast-nothing-picked = { $code }: ничего не отмечено
bot-changes-ask = { $name }, что доработать в <b>#{ $number }</b>? Отправьте следующим сообщением здесь: задача вернётся в работу, а агент получит ваши слова.
bot-toast-changes-ask = Отправьте, что доработать в #{ $number }, следующим сообщением здесь.
bot-cmd-changes = Вернуть задачу с ревью на доработку
bot-usage-changes = /changes &lt;номер&gt; &lt;что доработать&gt; — например, /changes 12 вступление слишком длинное
bot-toast-answered = ✅ Ответ на { $code }: { $answer }
bot-toast-already-decided = { $code } уже { $status } ({ $by }, { $at })
bot-toast-approval-about = { $project }: { $message }
bot-toast-deny-ask = Отправьте причину отказа по { $code } ({ $project }) следующим сообщением здесь.
bot-toast-alert-resolved = Тревога закрыта
bot-toast-cap-raised = { $agent }: дневной лимит поднят до { $cap }
bot-toast-cap-raised-still-paused = { $agent }: дневной лимит поднят до { $cap }, но агент на паузе: сегодня потрачено { $spent }
bot-costs-title-today = 💰 { $project }: расходы за сегодня ({ $since }, UTC)
bot-costs-title-month = 💰 { $project }: расходы за месяц (с { $since }, UTC)
bot-costs-total = Всего { $total } · запусков: { $runs } · токенов: { $tokens }{ $unpriced ->
    [0] {""}
   *[other] {" "}· без цены: { $unpriced }
}
bot-costs-none = Запусков пока нет.
bot-costs-by-agent = По агентам
bot-costs-by-model = По моделям
bot-costs-by-project = По проектам
bot-costs-no-model = (модель не указана)
bot-costs-line = • { $name } — { $cost } (запусков: { $runs }{ $unpriced ->
    [0] {""}
   *[other] , без цены: { $unpriced }
})
bot-costs-more = …и ещё { $count }: { $cost }
bot-costs-chart-axis = Расходы по агентам
bot-toast-kept-paused = { $agent } остаётся на паузе
bot-toast-budget-raised = Бюджет увеличен на { $amount }; { $count ->
    [0] никто его не ждал
   *[other] продолжают: { $agents }
}
bot-toast-budget-raised-still-reached = Бюджет поднят на { $amount } до { $cap }, но потрачено уже { $spent }: агенты остаются на паузе
bot-toast-budget-kept-paused = Остаются на паузе
bot-toast-agent-status = { $agent }: { $status }
bot-toast-task-status = #{ $number }: { $status }
bot-toast-squad-paused = ⏸ Команда на паузе
bot-toast-dismissed = Отменено

## A confirmation once answered (added under the question; its buttons go).
bot-question-confirmed = ✅ Подтвердил(а) { $by } · { $at }
bot-question-canceled = ✖️ Отменил(а) { $by } · { $at }

## Task threads (a topic per task)
bot-thread-not-operator = Комментариями к задаче становятся только сообщения операторов Mission Control, поэтому ваше не сохранено. Попросите CAO выполнить <code>/grant { $id } operator</code>.
bot-card-ask-block_reason = { $name }, почему <b>#{ $number }</b> заблокирована? Пришлите причину следующим сообщением здесь.
bot-card-ask-cancel_reason = { $name }, почему отменить <b>#{ $number }</b>? Пришлите причину следующим сообщением здесь.
bot-card-ask-work_plan = { $name }, пришлите план работы для <b>#{ $number }</b> следующим сообщением здесь: от 3 до 6 строк, по шагу в строке.
bot-card-ask-deliverable = { $name }, пришлите результат <b>#{ $number }</b> (ссылку или короткий текст) следующим сообщением здесь.
bot-card-assign = Назначить <b>#{ $number }</b> { $title }:
bot-toast-card-ask = #{ $number }: пришлите это следующим сообщением здесь.
bot-toast-card-assign = Выберите агента для #{ $number }

## API-токены (/tokens, /revoke_token).
bot-tokens-title = <b>API-токены</b> ({ $count })
bot-token-line = • <b>{ $name }</b> — { $kind }, { $holder } · { $state } · создан { $created } · использован { $used }
bot-token-kind-operator = токен оператора
bot-token-kind-agent = токен агента
bot-token-agent-of = агент в { $project }
bot-token-never = никогда
bot-token-state-live = действует
bot-token-state-live-until = действует до { $at }
bot-token-state-expired = истёк
bot-token-state-expired-at = истёк { $at }
bot-token-state-revoked = отозван
bot-token-state-revoked-at = отозван { $at }
bot-token-state-rotated = заменён новым токеном
bot-token-state-rotated-at = заменён новым токеном { $at }
bot-token-revoked = 🔒 Отозван { $kind } <b>{ $name }</b>: его следующий запрос будет отклонён.
bot-answered-privately = 📬 { $name }, ответил вам в личном чате.
bot-toast-granted = { $code } разрешает { $rule } до { $until }
bot-toast-denied = ❌ { $code } отклонено
bot-toast-grant-revoked = { $code } ({ $rule }) отозвано
bot-cmd-edit = Одобрить вызов инструмента с изменёнными аргументами
bot-usage-edit = /edit &lt;код&gt; &lt;новая команда или аргументы JSON&gt; — например, /edit A12 git push origin release
bot-cmd-grants = Постоянные разрешения на вызовы инструментов, с кнопками отзыва
bot-usage-grants = /grants
bot-cmd-questions = Открытые вопросы агентов, со ссылками
bot-usage-questions = /questions
bot-questions-none = В { $project } нет открытых вопросов.
bot-questions-title = <b>Открытые вопросы</b> · { $project } · { $count }
bot-questions-line = ❓ { $code } · { $agent }: { $question } · до { $until }
bot-approval-edited = ✍️ { $code } одобрено с изменёнными аргументами ({ $project })
bot-grants-none = В { $project } нет постоянных разрешений: каждый красный вызов спрашивает.
bot-grants-title = <b>Постоянные разрешения</b> · { $project }
bot-grants-line = <b>{ $code }</b> <code>{ $rule }</code> · { $whom }{ $task } · до { $until } · использовано { $uses } × · выдал { $by }
bot-grants-everyone = все агенты
bot-grants-while-task =  (пока на своей задаче)
bot-grants-revoke = 🚫 Отозвать { $code }
bot-grants-more = …и ещё { $n }
bot-grant-made = ⏱ { $code }: { $whom } может <code>{ $rule }</code> без вопросов до { $until }
bot-grant-revoked = 🚫 { $code } (<code>{ $rule }</code>) отозвано: следующий такой вызов снова спросит
bot-agent-tool-calls = 🛠 Вызовов инструментов сегодня: { $n }
bot-agent-session = · сессия { $client } <code>{ $id }</code> в <code>{ $cwd }</code>: вызовов { $calls }, последний { $at }
bot-agent-last-red = 🔴 Последний красный: { $tool } <code>{ $summary }</code> → { $decision }, решил { $by } · { $at }
bot-policy-tool-check = <b>{ $tool }</b>: { $risk }
bot-policy-tool-part = · { $risk } <code>{ $part }</code> — { $reason }
bot-timeline-tool-call = { $at }: { $risk } { $tool } <code>{ $summary }</code> — { $decision }
bot-timeline-question = { $at }: ❓ { $code } { $question } — { $status }
bot-timeline-question-answered = { $at }: ❓ { $code } { $question } — { $status }: { $answer } ({ $by })
bot-open-in-cockpit = Открыть в кокпите
