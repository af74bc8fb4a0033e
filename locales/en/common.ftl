# Shared words and counts.
n-agents = { $count ->
    [one] { $count } agent
   *[other] { $count } agents
}
n-tasks = { $count ->
    [one] { $count } task
   *[other] { $count } tasks
}
