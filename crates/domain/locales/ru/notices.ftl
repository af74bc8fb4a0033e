# Что диспетчер исходящих сообщений пишет в чат проекта (crates/telegram/src/render).
# Аргументы экранирует рендерер; разметка — HTML-режим Telegram.

## Согласования
notice-approval-title = 🛂 Согласование <b>{ $code }</b> · { $agent }
notice-approval-task = задача #{ $number }
notice-approval-risk = { $mark } Риск: <b>{ $risk }</b>
notice-approval-reasons = причины: { $reasons }
notice-approval-action = <code>{ $action }</code>: { $summary }
notice-approval-justification = <b>Зачем:</b> { $text }
notice-approval-rollback = <b>Откат:</b> { $text }
notice-approval-cost = <b>Оценка стоимости:</b> { $cost }
notice-approval-expires = ⏳ Истекает { $at }
notice-approval-approved = ✅ Одобрил(а) { $by } · { $at }
notice-approval-denied = ❌ Отклонил(а) { $by } · { $at }
notice-approval-expired = ⌛ Истекло без ответа · { $at }
notice-approval-canceled = 🚫 Отменил(а) { $by } · { $at }
notice-approval-escalated = ⏫ Передано выше · { $at }
notice-approval-note = Комментарий: { $note }
notice-approval-short = 🛂 Согласование <b>{ $code }</b>
notice-button-approve = ✅ Одобрить
notice-button-deny = ❌ Отклонить

## Оповещения
notice-alert-title = { $mark } <b>{ $type }</b> · { $severity }
notice-alert-seen = { $count ->
    [one] Сработало { $count } раз
    [few] Сработало { $count } раза
   *[many] Сработало { $count } раз
}
notice-alert-resolved = ✅ Закрыл(а) { $by }
notice-button-resolve = ✔️ Закрыть
notice-button-raise-cap = 💵 Поднять лимит
notice-button-keep-paused = ⏸ Оставить на паузе
notice-button-raise-by = 💵 Поднять на { $amount } и продолжить
notice-button-quarantine = 🚫 Карантин
notice-button-unblock = ▶️ Разблокировать
notice-button-reassign = 🔁 Переназначить
notice-button-cancel-task = ✖️ Отменить задачу
notice-button-restart = 🔄 Перезапустить

## Оповещения самого сервиса: название типа и текст по данным оповещения
## (оповещения других типов, от операторов и скриптов, показывают своё сообщение)
alert-type-budget_exceeded = Бюджет исчерпан
alert-body-budget_exceeded = { $agent } исчерпал(а) дневной бюджет: { $spend } из { $cap }
alert-type-budget_warning = Бюджет на исходе
alert-body-budget_warning = { $agent } потратил(а) { $percent }% дневного бюджета ({ $spend } из { $cap })
alert-body-budget_exceeded-period = { $scope ->
    [project] Проект { $name } исчерпал
   *[agent] { $name } исчерпал(а)
} { $period ->
    [month] месячный
   *[day] дневной
} бюджет: { $spend } из { $cap }; на паузе: { $paused }
alert-type-period_budget_warning = Бюджет на исходе
alert-body-period_budget_warning = { $scope ->
    [project] Проект { $name } потратил
   *[agent] { $name } потратил(а)
} { $percent }% { $period ->
    [month] месячного
   *[day] дневного
} бюджета ({ $spend } из { $cap })
alert-type-per_run_cap_exceeded = Превышен лимит запуска
alert-body-per_run_cap_exceeded = { $agent } потратил(а) { $cost } за один запуск (лимит на запуск { $cap })
alert-type-approval_expiring = Согласование истекает
alert-body-approval_expiring = { $code } ({ $action }, { $agent }) истекает через { $minutes ->
    [one] { $minutes } минуту
    [few] { $minutes } минуты
   *[many] { $minutes } минут
} без решения
alert-type-agent_stale = Агент молчит
alert-body-agent_stale = { $agent } не отвечает: нет сигнала { $minutes ->
    [one] { $minutes } минуту
    [few] { $minutes } минуты
   *[many] { $minutes } минут
}
alert-body-agent_stale-never = { $agent } не отвечает: ни одного сигнала
alert-type-error_streak = Серия ошибок
alert-body-error_streak = У { $agent } { $count ->
    [one] { $count } неудачный запуск
    [few] { $count } неудачных запуска
   *[many] { $count } неудачных запусков
} подряд
alert-body-error_streak-quarantined = { $agent } автоматически на карантине после { $count ->
    [one] { $count } неудачного запуска
   *[many] { $count } неудачных запусков
} подряд
alert-type-loop_detected = Задача зациклилась
alert-body-loop_detected = Задача #{ $number } «{ $title }» зациклилась: { $reasons }
alert-loop-comment_storm = { $comments ->
    [one] { $comments } комментарий
    [few] { $comments } комментария
   *[many] { $comments } комментариев
} за { $minutes ->
    [one] { $minutes } минуту
    [few] { $minutes } минуты
   *[many] { $minutes } минут
}
alert-loop-review_cycles = { $cycles ->
    [one] { $cycles } цикл ревью
    [few] { $cycles } цикла ревью
   *[many] { $cycles } циклов ревью
}
alert-loop-failed_runs = { $failed ->
    [one] { $failed } неудачный запуск
    [few] { $failed } неудачных запуска
   *[many] { $failed } неудачных запусков
} из последних { $of }
alert-loop-back_and_forth = { $transitions ->
    [one] { $transitions } переход
    [few] { $transitions } перехода
   *[many] { $transitions } переходов
} за { $minutes ->
    [one] { $minutes } минуту
    [few] { $minutes } минуты
   *[many] { $minutes } минут
}, { $from } → { $to } { $repeats ->
    [one] { $repeats } раз
    [few] { $repeats } раза
   *[many] { $repeats } раз
}

## Пачка оповещений одним сообщением
notice-digest-title = 🚨 { $count ->
    [one] { $count } оповещение
    [few] { $count } оповещения
   *[many] { $count } оповещений
} сразу · /alerts, чтобы разобрать
notice-digest-group = { $mark } <b>{ $type }</b> · { $severity }
notice-digest-item = • { $message } ×{ $count }
notice-digest-resolved = ✅ <b>Закрыты</b>
notice-digest-resolved-item = • <b>{ $type }</b>: { $message } · { $by }

## Задачи
notice-task-created = 🆕 <b>#{ $number }</b> { $title } · { $type } · P{ $priority } · { $by }
notice-task-transitioned = 🔀 <b>#{ $number }</b> { $title }: { $from } → <b>{ $to }</b> · { $by }
notice-task-assigned = 👤 <b>#{ $number }</b> { $title } → { $assignees } · { $by }
notice-task-unassigned = 👤 <b>#{ $number }</b> { $title }: исполнителей нет · { $by }
notice-comment-added = 💬 <b>#{ $number }</b> { $author }: { $body }
notice-task-activity = 🗂 <b>#{ $number }</b> активность: обновлений — { $count } (собраны в одно сообщение)
notice-run-succeeded = 🧾 <b>#{ $number }</b> { $agent } потратил(а) { $cost } · за сегодня { $today } из { $cap }
notice-run-failed = ⚠️ <b>#{ $number }</b> запуск { $agent } не удался ({ $cost }) · за сегодня { $today } из { $cap }
notice-reason = Причина: { $reason }

## Task threads: a topic per task, its card first
notice-task-thread = 🧵 <b>#{ $number }</b> { $title }
notice-card-kind = Тип: { $type } · Приоритет: P{ $priority } ({ $level })
notice-card-status = Статус: <b>{ $status }</b>
notice-card-unassigned = Исполнители: пока никого
notice-card-assignees = Исполнители: { $names }
notice-card-reviewer = Проверяет: { $name }
notice-card-budget = Расход: { $cost } из бюджета { $budget }
notice-card-cost = Расход: { $cost } (бюджет не задан)
notice-card-blocked = ⛔ Заблокирована: { $reason }
notice-card-reviews = { $count ->
    [one] { $count } цикл проверки
    [few] { $count } цикла проверки
   *[other] { $count } циклов проверки
}
notice-card-created = Создал(а) { $by }
notice-priority-1 = критический
notice-priority-2 = высокий
notice-priority-3 = обычный
notice-priority-4 = низкий
notice-button-move = → { $status }
notice-button-assign = 👤 Назначить
notice-task-plan = <b>План работы</b>
notice-task-deliverable = <b>Результат:</b> { $text }

## Агенты и команда
notice-agent-status = 🤖 <b>{ $agent }</b>: { $from } → <b>{ $to }</b> · { $by }
notice-budget-changed = 💵 Бюджет <b>{ $agent }</b>: { $daily } в день, { $run } за запуск · { $by }
notice-squad-paused = ⏸ <b>Команда на паузе</b>, { $by }: { $count ->
    [one] остановлен { $count } агент
    [few] остановлено { $count } агента
   *[many] остановлено { $count } агентов
}
notice-squad-resumed = ▶️ <b>Команда снова в работе</b>, { $by }: { $count ->
    [one] вернулся { $count } агент
    [few] вернулись { $count } агента
   *[many] вернулись { $count } агентов
}

## Привязка чата
notice-bound = 🔗 Теперь это рабочий чат проекта <b>{ $project }</b> (привязал(а) { $by }).
notice-bound-forum = У согласований, оповещений и стендапов свои темы.
notice-topic-approvals = Согласования
notice-topic-alerts = Оповещения
notice-topic-standup = Стендап

# Ежедневный стендап.
notice-standup-completed-since = { $count ->
    [0] С прошлого стендапа ничего не завершено.
    [one] С прошлого стендапа завершена { $count } задача.
    [few] С прошлого стендапа завершены { $count } задачи.
   *[many] С прошлого стендапа завершено { $count } задач.
}
notice-standup-chart-title = { $project } — стендап { $date }
notice-standup-chart-spend = Расходы за сегодня и дневной лимит
notice-standup-chart-tasks = Задачи по статусам
notice-standup-chart-more = …и ещё { $count ->
    [one] { $count } агент
    [few] { $count } агента
   *[many] { $count } агентов
}: { $spent } из { $cap } за сегодня
notice-standup-caption = 📊 { $project } — стендап { $date }
notice-tool-call = { $client } хочет использовать <b>{ $tool }</b>:
notice-tool-cwd = 📁 в <code>{ $cwd }</code>
notice-tool-task = 📋 для { $task }
notice-tool-rule = 🔴 Красный по правилу { $rule }
notice-tool-grant = ⏱/📌 разрешат <code>{ $rule }</code> без вопросов
notice-button-once = ✅ Один раз
notice-button-hour = ⏱ 1 ч
notice-button-this-task = 📌 Эта задача
notice-button-deny-now = ❌ Отклонить
notice-button-deny-instructions = ✍️ Отклонить с указаниями

## Вопросы агентов
notice-question-title = ❓ <b>{ $agent }</b> спрашивает · { $code }
notice-question-task = задача #{ $number }
notice-question-reply = ↩️ Ответьте на это сообщение, чтобы дать ответ.
notice-question-multi = ☑️ Можно выбрать несколько: отметьте их и нажмите ✔️ Готово (или ответьте на это сообщение вариантами через запятую либо своими словами).
notice-question-picked = Отмечено: { $picked }
notice-button-question-done = ✔️ Готово
notice-changes-requested = ✍️ { $by } просит доработать #{ $number }: { $text }
notice-button-request-changes = ✍️ Запросить доработку
notice-question-expires = ⏳ Ждёт ответа до { $at }
notice-question-answered = ✅ Ответил(а) { $by } · { $at }: <b>{ $answer }</b>
notice-question-expired = ⌛ Истёк без ответа · { $at }
notice-question-canceled = 🚫 Агент { $by } снял вопрос · { $at }
notice-question-short = ❓ Вопрос <b>{ $code }</b> от { $agent }: { $question }
