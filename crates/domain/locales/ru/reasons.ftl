# Причины, которые называет сама система: почему задача сдвинулась, почему агент на паузе,
# откуда риск действия. Хранятся как сообщения вместе с изменением, и каждый чат читает их на
# своём языке; API и аудит хранят английский текст. Простой текст, без разметки.

## Движение задач
why-loop-detected = Обнаружен цикл: { $findings }
why-agent-reached-budget = { $agent } исчерпал дневной бюджет
why-approval-approved = запрос { $code } одобрен: обратно в «{ $to }»
why-assigned-to = назначена: { $names }
why-unassigned = исполнители сняты
why-claimed-by = взял(а) { $agent }
why-reassign-after-loop = на переназначение после тревоги о цикле
why-unblocked-from-loop-alert = разблокирована из тревоги о цикле
why-canceled-from-loop-alert = отменена из тревоги о цикле

## Статус агентов
why-daily-budget-reached = исчерпан дневной бюджет ({ $spent } из { $cap })
why-new-budget-day = новый бюджетный день
why-monthly-budget-reached = исчерпан месячный бюджет ({ $spent } из { $cap })
why-project-daily-budget-reached = исчерпан дневной бюджет проекта ({ $spent } из { $cap })
why-project-monthly-budget-reached = исчерпан месячный бюджет проекта ({ $spent } из { $cap })
why-new-budget-month = новый бюджетный месяц
why-budget-raised = бюджет увеличен
why-error-streak = { $streak } { $streak ->
    [one] ошибка
    [few] ошибки
   *[many] ошибок
} подряд
why-reset = сброс
why-squad-paused = команда на паузе
why-quarantined-from-alert = помещён в карантин из тревоги

## Запросы
why-expired-undecided = истёк без решения (по истечении — отказ)
why-policy-maps = политика проекта относит «{ $action }» к уровню «{ $risk }»
why-word-risk = действия «{ $word }» — уровень «{ $risk }»
why-unknown-tool = политика не знает «{ $action }»: красный, пока его не внесут в список
why-done-action = «{ $action }» разрешает завершить задачу: решает человек
why-secrets = параметры похожи на секреты
why-production = в параметрах упоминается продакшен
why-agent-rated = агент оценил его как «{ $risk }»
why-agent-not-active = агент { $status }
why-green-allowed = зелёные действия разрешены
why-yellow-allowed = жёлтые действия разрешены для роли { $role }
why-automation-approves = автоматизация политики одобряет «{ $action }»

## Вызовы инструментов (слой разрешений для агентов-программистов)
why-tool-rule = правило { $rule } слоя «{ $layer }»
why-tool-unknown = ни одно правило не знает { $tool }: красный, пока его не внесут в список
why-tool-unparseable = вызов не удалось разобрать: { $error }
why-tool-outside-cwd = запись за пределами рабочего каталога: { $path }
why-tool-secret = в вызове есть что-то похожее на секрет
why-tool-bare-shell = запускает оболочку, код из строки или команды от имени другого пользователя: { $program }
err-tool-rule-empty = правило должно называть инструмент (например, Bash(git status:*))
err-tool-rule-parentheses = несбалансированные скобки в «{ $rule }»
err-tool-rule-tool-name = «{ $tool }» — не имя инструмента (буквы, цифры, «_», «-», «.» и «*» только в конце)
err-tool-rule-star = «{ $tool }»: «*» может стоять только в конце имени инструмента
err-tool-rule-empty-spec = в { $tool }() нужно что-то указать в скобках — или убрать скобки
err-tool-rule-no-spec = для { $tool } нельзя ничего указывать в скобках
err-tool-rule-domain = «{ $spec }» — не указание домена (ожидается domain:example.com)
err-tool-rule-glob = недопустимый шаблон пути: { $error }
err-tool-rule-shell = «{ $spec }» — не команда оболочки: { $error }
err-tool-rule-compound = «{ $spec }» — больше одной команды: правило Bash называет одну простую команду (каждая часть «&&», «|», «;» и «$(…)» сопоставляется отдельно)
