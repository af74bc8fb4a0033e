# Общие слова и числа.
n-agents = { $count ->
    [one] { $count } агент
    [few] { $count } агента
   *[many] { $count } агентов
}
n-tasks = { $count ->
    [one] { $count } задача
    [few] { $count } задачи
   *[many] { $count } задач
}

# Слова статусов, ролей, риска и важности: один словарь для бота, уведомлений и ошибок ядра.
role-viewer = наблюдатель
role-operator = оператор
role-cao = CAO
agent-status-active = активен
agent-status-paused = на паузе
agent-status-quarantined = в карантине
agent-status-offline = не в сети
agent-status-drained = выведен
task-status-inbox = входящие
task-status-assigned = назначена
task-status-in_progress = в работе
task-status-review = на проверке
task-status-needs_approval = ждёт одобрения
task-status-blocked = заблокирована
task-status-done = готова
task-status-canceled = отменена
approval-status-pending = ждёт решения
approval-status-approved = одобрен
approval-status-denied = отклонён
approval-status-expired = истёк
approval-status-canceled = отменён
approval-status-escalated = эскалирован
question-status-pending = открыт
question-status-answered = отвечен
question-status-expired = истёк
question-status-canceled = отменён
risk-green = зелёный
risk-yellow = жёлтый
risk-red = красный
severity-info = инфо
severity-warning = внимание
severity-critical = критично

# A run's cost: unknown for a model the price table does not know (never shown as $0), or
# reported but more than 5 % away from the price table's.
cost-unpriced = без цены
cost-mismatch = { $cost } (⚠️ по прайсу { $priced })
word-nobody = никто
