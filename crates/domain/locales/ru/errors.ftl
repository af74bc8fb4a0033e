# Отказы ядра, ошибки проверки и подсказки. API говорит их по-английски, бот — на языке чата,
# внутри рамок из bot.ftl. Простой текст, без разметки.

## Значения
err-empty = не может быть пустым
err-too-long = должно быть не длиннее { $max } { $max ->
    [one] символа
   *[other] символов
} (сейчас { $got })
err-control-characters = не может содержать управляющие символы
err-agent-name = «{ $name }» — недопустимое имя агента (1–40 латинских букв, цифр, '_', '.', '-'; начинается с буквы или цифры)
err-project-slug = «{ $slug }» — недопустимый код проекта (1–40 строчных латинских букв, цифр и '-')
err-idempotency-key = должен состоять из 1–128 латинских букв, цифр, '.', '_', ':' или '-'
err-work-plan-bullets = нужно от { $min } до { $max } пунктов (сейчас { $got })

## Правила базы данных
err-db-unique = уже существует ({ $constraint })
err-db-check = нарушает { $constraint }
err-db-foreign-key = ссылается на то, чего нет ({ $constraint })
err-db-encoding = содержит символ, который база данных не может сохранить (например, NUL)

## Ввод
err-required = обязательно
err-not-negative = не может быть отрицательным
err-tokens-not-sum = равно { $tokens }, а сумма по видам токенов — { $sum }
err-not-a-period-budget-alert = не оповещение о месячном бюджете или бюджете проекта
err-telemetry-agents-only = телеметрию присылает только сам агент, со своим токеном
err-telemetry-cost = в одной выгрузке больше миллиона долларов
err-run-cost-missing = обязательна, если не указаны модель и токены по видам (inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens): по токенам модели из прайса стоимость считается сама, запуск неизвестной модели записывается как «без цены»
err-reasoning-over-output = равно { $reasoning }, а это больше { $output } токенов вывода, в которые они входят
err-at-most-chars = должно быть не длиннее { $max } { $max ->
    [one] символа
   *[other] символов
}
err-chars-between = должно быть от { $min } до { $max } символов
err-between = должно быть от { $min } до { $max }
err-out-of-range = вне допустимого диапазона
err-with-reason = { $message } ({ $reason })
err-action-type = должен состоять из 1–64 символов a-z, 0-9, '_', '.', ':' или '-' (например, email.send)
err-alert-type = должен состоять из 1–40 строчных латинских букв и '_' (например, budget_exceeded)
err-expires-in-minutes = должно быть от 1 до 10080 (неделя)
err-priority = должен быть от 1 (критичный) до 4 (низкий), а не { $got }
err-too-many-assignees = не больше { $max } исполнителей
err-approval-code = «{ $input }» — не код запроса (например, A7)
err-instant-required = обязательно (ГГГГ-ММ-ДД или время RFC 3339)
err-instant = «{ $input }» — ни ГГГГ-ММ-ДД, ни время RFC 3339
err-end-before-start = должно быть позже startDate
err-export-format = «{ $input }» — не json, jsonl или csv
err-admin-token = должен быть от 32 печатных символов ASCII, среди них не меньше 10 разных, без пробелов (например, `openssl rand -hex 24`)
err-token-lifetime = «{ $input }» — не срок вроде 30d, 12h, 90m или 2w (от минуты до десяти лет)
err-audit-cursor = нет события журнала { $id }, после которого продолжить
err-telegram-user-id = должен быть положительным id пользователя Telegram
err-language = «{ $input }» — неподдерживаемый язык (поддерживаются: { $supported })
err-standup-time = должно быть временем ЧЧ:ММ (24 часа), например 09:00, а не «{ $input }»
err-time-zone = должен быть часовым поясом IANA, например UTC или Europe/Berlin, а не «{ $input }»
err-time-zone-did-you-mean = должен быть часовым поясом IANA, например UTC или Europe/Berlin, а не «{ $input }» (может быть, { $suggestion }?)
err-standup-nothing-to-change = укажите standupTime, standupTimezone или оба
err-budgets-nothing-to-change = укажите dailyCap, perRunCap или оба
err-deny-needs-reason = для отказа нужна причина
err-task-other-project = задача из другого проекта
err-agent-other-project = агент { $agent } из другого проекта
err-parent-other-project = родительский агент из другого проекта
err-idempotency-different-request = этот Idempotency-Key уже использован для другого запроса; возьмите новый

## Права
err-not-operator = не оператор
err-token-unknown = токен неизвестен
err-token-revoked = токен отозван { $at }
err-token-rotated = токен заменён новым { $at } (зарегистрируйтесь снова или используйте новый токен)
err-token-expired = срок токена истёк { $at }
err-role-cannot = роль «{ $role }» не может { $right }; нужна роль «{ $needed }»
err-role-cannot-do-that = роль «{ $role }» этого не может; нужна роль «{ $needed }»
err-agent-cannot = агент { $agent } не может { $right }
err-right-read = читать
err-right-switch-project = переключать проект чата
err-right-manage-tasks = управлять задачами
err-right-comment = комментировать
err-right-answer-questions = отвечать на вопросы агентов
err-right-control-agents = ставить агентов на паузу, возобновлять и помещать в карантин
err-right-pause-squad = ставить команду на паузу и возобновлять
err-right-resolve-alerts = закрывать тревоги
err-right-register-agents = регистрировать агентов
err-right-decide-approvals = решать по запросам
err-right-set-budgets = менять бюджеты
err-right-release-agents = выпускать агентов из карантина
err-right-reset-agents = сбрасывать состояние агентов
err-right-manage-projects = управлять проектами
err-right-manage-operators = выдавать и отзывать роли
err-right-manage-tokens = управлять API-токенами
err-right-run-jobs = запускать задания
err-tasks-need-role = чтобы двигать и назначать задачи, нужна роль «{ $needed }»
err-only-role-decides = по запросам решает только { $needed }
err-agent-own-project-only = агент { $agent } действует только в своём проекте
err-agent-only-itself = агент { $agent } может действовать только от своего имени
err-agent-id-required = с токеном оператора нужно указать agentId
err-agent-may-not-act = агент { $agent } { $status } и не может действовать
err-agent-cannot-decide = агент { $agent } не может решать по запросам — ни по своим, ни по чужим
err-own-approvals-only = агент видит только свои запросы
err-agents-cannot-export = агенты не могут выгружать журнал аудита
err-agents-cannot-budget = ни один агент не может менять бюджеты — ни свои, ни чужие
err-agents-cannot-reset = ни один агент не может сбрасывать состояние агентов
err-own-sub-agents-only = агент { $agent } может регистрировать только своих подагентов
err-not-own-sub-agent = агент { $agent } может регистрировать только своих подагентов; { $other } не из них
err-heartbeat-self-only = пульс отправляет только сам агент
err-agents-claim = агенты берут задачи сами; назначают только операторы
err-only-agents-claim = задачи берут только агенты; операторы их назначают
err-only-leads-create = агент { $agent } — { $role }; задачи создают только ведущие
err-not-on-task = агент { $agent } не исполнитель и не рецензент задачи #{ $task }
err-run-not-own-task = агент { $agent } не исполнитель и не рецензент задачи #{ $task }: запуски записываются только по своим задачам
err-does-not-take = { $agent } не берёт задачи типа { $type }
err-comment-author-only = изменить комментарий может только его автор

## Конфликты
err-self-revoke = нельзя отозвать собственную роль
err-token-name-taken = токен с именем «{ $name }» уже есть и не отозван; сначала отзовите его или выберите другое имя
err-token-name-ambiguous = неотозванных токенов с именем «{ $name }»: { $count }; отзовите нужный по id: { $ids }
err-token-already-revoked = токен «{ $name }» уже отозван { $at }
err-approval-code-ambiguous = этот чат — рабочий чат проекта { $bound }, но переключён на { $current } (/switch), и код может означать запрос любого из них: ответьте на карточку запроса, нажмите её кнопку или вернитесь через /switch
err-duplicate-update = обновление { $update } уже обработано
err-idempotency-just-handled = запрос с этим Idempotency-Key только что обработан; повторите
err-idempotency-in-progress = запрос с этим Idempotency-Key ещё обрабатывается; повторите чуть позже
err-idempotency-key-reused = ключ идемпотентности «{ $key }» уже использован для { $from } → { $to } в этой задаче
err-approval-expired = срок запроса { $code } истёк в { $at }; агенту нужно спросить снова
err-alert-already-resolved = тревога уже закрыта
err-alert-already-resolved-by = тревогу уже закрыл(а) { $by }
err-project-exists = проект с кодом «{ $slug }» уже есть
err-task-closed = задача #{ $task } — { $status }; назначать её уже нельзя
err-not-claimable = задача #{ $task } — { $status }; брать можно только входящие задачи
err-assignee-required = задача #{ $task } — { $status }, её нельзя оставить без исполнителя: назначьте другого, { $to_inbox } или отмените её
err-hint-move-to-inbox = верните её во входящие (это снимет исполнителей)
err-hint-move-to-inbox-via = сначала верните её во входящие (из «{ $from }» — через «ждёт одобрения»; это снимет исполнителей)
err-agent-unavailable = { $agent } { $status }, назначить нельзя
err-no-agent-takes = нет свободного агента, который берёт задачи типа { $type }
err-budget-pause-cao-only = { $agent } на паузе из-за бюджета, а снимает такую паузу (или поднимает лимит) только { $needed }
err-budget-exhausted = { $agent } на паузе на дневном лимите ({ $spent } из { $cap }); сначала поднимите лимит
err-illegal-agent-status = нельзя { $command } { $agent }, пока он { $status }: { $hint }
err-command-pause = поставить на паузу
err-command-resume = возобновить
err-command-quarantine = поместить в карантин
err-command-release = выпустить из карантина
err-command-restart = перезапустить
err-hint-release-first = сначала выпустите его из карантина
err-hint-drained = выведенный агент больше не работает
err-hint-not-quarantined = он не в карантине
err-grant-role-above-parent = роль подагента ({ $role }) не может быть выше роли родителя ({ $parent })
err-grant-cap-above-parent = дневной лимит подагента ({ $cap }) не может быть выше лимита родителя ({ $parent })
err-grant-cap-above-default = только CAO даёт дневной лимит ({ $cap }) выше стандартного для роли { $role } ({ $default })
err-token-only-self-or-cao = новый токен агента { $agent } выдаётся только самому агенту или CAO; токен не выдан, прежние токены агента действуют
err-too-many-waits = у агента { $agent } уже открыто ожиданий: { $max } (не больше { $max }); повторите, когда одно закончится
err-wait-token-expired = срок токена, с которым открыто это ожидание, истёк
err-too-many-mcp-sessions = у агента { $agent } уже открыто MCP-сессий: { $max } (не больше { $max }); закройте одну (DELETE /mcp с её Mcp-Session-Id) или дождитесь, пока простаивающая истечёт
err-mcp-session-not-yours = эту MCP-сессию открыл другой агент; откройте свою (initialize без Mcp-Session-Id)
err-spawn-intern = стажёры не могут порождать подагентов
err-spawn-too-many-children = у { $parent } уже { $children } { $children ->
    [one] подагент
    [few] подагента
   *[many] подагентов
} (не больше { $max })
err-spawn-too-deep = подагенты могут быть вложены не глубже { $max }
err-spawn-project-full = в проекте уже { $active } { $active ->
    [one] активный агент
    [few] активных агента
   *[many] активных агентов
} (не больше { $max })

## Не найдено: подсказки
err-hint-known = есть: { $names }
err-hint-no-agents = в проекте нет агентов
err-hint-no-projects = проектов пока нет
err-hint-see-tasks = открытые — в /tasks
err-hint-see-approvals = ожидающие — в /approvals
err-hint-no-tokens = действующих токенов нет
err-hint-in-field = в { $field }
err-hint-jobs = задания: { $jobs }
err-hint-nothing-to-claim = во входящих нет задач тех типов, что берёт { $agent }
err-tool-name = имя инструмента: 1–200 символов, без управляющих символов
err-tool-input-object = входные данные инструмента должны быть объектом JSON
err-session-id = идентификатор сессии: 1–256 символов, без управляющих символов
err-cwd = рабочий каталог: не больше 4096 символов, без управляющих символов
err-tool-call-agent-only = о вызовах инструментов спрашивает только токен агента: дайте хуку токен агента (MC_AGENT_TOKEN)
err-grant-span = «{ $given }» — не срок разрешения: «task» или время от 1m до { $days }d, например 1h, 8h или 7d
err-grant-whole-shell = { $rule } разрешило бы любую команду: разрешите префикс команды, например Bash(git push:*)
err-grant-shell = { $rule } разрешило бы всё, что получит { $program }: разрешите саму команду, а не оболочку
err-grant-not-tool-call = { $code } — не вызов инструмента Claude Code или Codex
err-grant-nothing-to-grant = { $code } нельзя разрешить правилом (оболочка или команда, которая не разбирается): одобрите один раз
err-grant-no-task = { $agent } не работает над задачей: разрешите на время
err-grant-revoked = { $code } уже отозвано: { $by }
err-grant-target = укажите агента, роль (intern, specialist, lead) или «project»
err-edit-json = изменённые аргументы должны быть объектом JSON, как вход инструмента ({ $error })

## Вопросы
err-question-multi-without-options = multiSelect требует вариантов ответа
err-question-option-count = у вопроса от { $min } до { $max } вариантов ответа (сейчас { $got })
err-question-option-twice = вариант «{ $option }» указан дважды
err-answer-no-options = у этого вопроса нет вариантов: ответьте текстом
err-answer-unknown-option = «{ $option }» — не вариант ответа этого вопроса ({ $options })
err-answer-one-option = выберите ровно один вариант (этот вопрос принимает один)
err-answer-empty = дайте ответ: текст или один из вариантов
err-question-answered = на вопрос { $code } уже ответил(а) { $by } в { $at }: { $answer }
err-question-closed = вопрос { $code } { $status } ({ $at }): отвечать уже не на что
err-own-questions-only = агент видит только свои вопросы
err-only-asker-cancels = отменить { $code } может только агент, который его задал
err-agent-cannot-answer = агент { $agent } не может отвечать на вопросы: отвечают операторы
err-question-not-multi = в этом вопросе один вариант: нажатие на него и есть ответ
err-answer-pick-first = отметьте хотя бы один вариант, прежде чем нажать Готово
err-tool-question = AskUserQuestion: { $error }
err-changes-not-in-review = задача #{ $number } в статусе { $status }: доработку запрашивают у задачи на ревью
err-only-agents-ask = вопросы задают только агенты: люди на них отвечают
err-webapp-malformed = initData мини-приложения повреждены: { $what }
err-webapp-signature = initData мини-приложения не подписаны Telegram для этого бота
err-webapp-stale = initData мини-приложения подписаны { $at }, слишком давно: откройте приложение заново
err-webapp-not-operator = этот пользователь Telegram не оператор Mission Control
err-webapp-disabled = кокпиту нужен бот: telegram.token не задан
err-agents-cannot-watch-feed = агенты не могут смотреть ленту событий
