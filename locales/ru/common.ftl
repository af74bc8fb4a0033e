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
