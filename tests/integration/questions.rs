//! Questions agents ask humans (issue 25), end to end: an agent asks through MCP (rmcp's client)
//! or REST, the forum shows the question in the task's topic with a button per option (or asks
//! for a reply), the first operator's answer wins and reaches the waiting agent within a second
//! of the click, a later click is refused with a toast naming the first answer, an unanswered
//! question expires on both sides, and bad input changes nothing.

use crate::bridge::{fixture, hook, pre_tool_use, waiting_call};
use crate::common;
use crate::mcp::{call, connect, ok};

use common::http::{agent_token, assert_error, reply, Reply, TestApi, ADMIN_TOKEN};
use common::telegram::*;
use common::world::World;
use common::{count, eventually};
use mission_control::app::jobs::Job;
use mission_control::domain::{OperatorRole, TaskType};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::time::{Duration, Instant};

async fn as_token(api: &TestApi, method: Method, path: &str, token: &str, body: Option<Value>) -> Reply {
    let mut request = api.client.request(method, format!("{}{path}", api.url)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    reply(request).await
}

/// The newest bot message in `topic` containing `needle`.
async fn message_with(w: &World, topic: Option<i32>, needle: &str) -> fake_telegram::StoredMessage {
    w.says(FORUM, topic, needle).await
}

/// The forum bound, behind the real server; Scout's token.
async fn forum_with_scout(pool: &PgPool) -> (World, String) {
    let w = World::build(pool.clone()).http().start().await;
    w.bind_forum().await;
    let token = agent_token(w.api(), "Scout").await;
    (w, token)
}

/// The agent holding `token` asks `body`; the question as created.
async fn ask(api: &TestApi, token: &str, body: Value) -> Value {
    let asked = as_token(api, Method::POST, "/api/questions", token, Some(body)).await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.body);
    asked.body
}

/// `GET /api/questions/{id}?wait=30` as the agent, in a task of its own: the answer and when
/// it came. Returns once the server holds the wait.
async fn waiting_for_answer(api: &TestApi, token: &str, id: &str) -> tokio::task::JoinHandle<(Reply, Instant)> {
    let (client, url, token, id) = (api.client.clone(), api.url.clone(), token.to_string(), id.to_string());
    let waiting = tokio::spawn(async move {
        let r = reply(client.get(format!("{url}/api/questions/{id}?wait=30")).bearer_auth(token)).await;
        (r, Instant::now())
    });
    eventually("the agent waits", WAIT, || async {
        (api.app.wakes.waiting_agents() > 0).then_some(())
    })
    .await;
    waiting
}

/// `POST /api/questions/{id}/answer` with `token`.
async fn answer_as(api: &TestApi, token: &str, id: &str, body: Value) -> Reply {
    as_token(api, Method::POST, &format!("/api/questions/{id}/answer"), token, Some(body)).await
}

/// The agent's next heartbeat carries a notification of `kind`.
async fn heartbeat_tells(api: &TestApi, token: &str, agent_id: &str, kind: &str) {
    let beat = as_token(api, Method::POST, &format!("/api/agents/{agent_id}/heartbeat"), token, None).await;
    let notifications = beat.body["notifications"].as_array().cloned().unwrap_or_default();
    assert!(notifications.iter().any(|n| n["kind"] == kind), "no {kind}: {}", beat.body);
}

/// Waits until message `id` of the forum contains `needle` and has no buttons left.
async fn edited_to(w: &World, id: i32, needle: &str) {
    eventually(&format!("message {id} shows {needle:?} without buttons"), WAIT, || async {
        let m = w.tg.message(FORUM, id).unwrap();
        (m.text.as_deref().unwrap_or("").contains(needle) && m.buttons().is_empty()).then_some(())
    })
    .await;
}

#[sqlx::test]
async fn ask_human_shows_buttons_in_the_task_topic_and_returns_the_click_within_a_second(pool: PgPool) {
    let (w, token) = forum_with_scout(&pool).await;
    let api = w.api();
    let task = w.assigned_task("Pick the launch colour", TaskType::Content, &w.s.scout).await;
    let topic = w.wait_thread(task.id).await.topic_id;

    let client = connect(api, &token).await.expect("the agent connects");
    let asking = tokio::spawn(async move {
        let result = call(
            &client,
            "ask_human",
            json!({ "question": "Which colour for the launch?", "options": ["Red", "Blue", "Green"], "taskId": task.id, "waitSeconds": 60 }),
        )
        .await;
        (ok(&result).clone(), Instant::now(), client)
    });

    let card = message_with(&w, topic, "Which colour for the launch?").await;
    let text = card.text.clone().unwrap();
    assert!(text.contains("Scout") && text.contains("Q1"), "{text}");
    let labels: Vec<String> = card.buttons().into_iter().map(|b| b.text).collect();
    assert_eq!(labels, ["Red", "Blue", "Green"]);
    assert!(!asking.is_finished(), "the agent waits for the answer");

    let clicked = Instant::now();
    let click = w.tg.click_button(FORUM, &sofie(), card.message_id, "Blue").unwrap();
    assert!(w.toast(&click).await.contains("Blue"));
    let (answer, answered, client) = tokio::time::timeout(WAIT, asking).await.expect("ask_human answers").unwrap();
    assert!(
        answered - clicked < Duration::from_secs(1),
        "answered {:?} after the click",
        answered - clicked
    );
    assert_eq!(answer["status"], "answered", "{answer}");
    assert_eq!(answer["answer"]["options"], json!(["Blue"]), "{answer}");
    // Sofie is the CAO linked by her Telegram id.
    assert_eq!(answer["answer"]["by"], "tg:1001", "{answer}");

    // The message shows the answer and who gave it, without its buttons.
    edited_to(&w, card.message_id, "Answered by tg:1001").await;

    // A second operator's click is refused with a toast naming the first answer.
    // (The buttons are gone from the message; a phone showing it still sends the click.)
    let red = card.buttons().into_iter().find(|b| b.text == "Red").unwrap().callback_data.unwrap();
    let late = w.tg.click(FORUM, &olga(), card.message_id, &red);
    let toast = w.toast(&late).await;
    assert!(toast.contains("tg:1001") && toast.contains("Blue"), "{toast}");
    let answered_rows = count(&pool, "SELECT count(*) FROM audit_events WHERE action = 'question.answered'").await;
    assert_eq!(answered_rows, 1);

    // get_answer reads it again; the timeline has it.
    let again = call(&client, "get_answer", json!({ "questionId": answer["questionId"] })).await;
    assert_eq!(ok(&again)["answer"]["options"], json!(["Blue"]));
    let timeline = api.get(&format!("/api/tasks/{}/timeline", task.id)).await;
    assert!(timeline.body.to_string().contains("\"kind\":\"question\""), "{}", timeline.body);
    w.stop().await;
}

#[sqlx::test]
async fn a_second_operators_click_is_refused_with_a_toast(pool: PgPool) {
    let (w, token) = forum_with_scout(&pool).await;
    let api = w.api();
    let asked = ask(api, &token, json!({ "question": "Ship on Friday?", "options": ["Yes", "No"] })).await;
    let card = message_with(&w, None, "Ship on Friday?").await;
    let first = w.tg.click_button(FORUM, &olga(), card.message_id, "No").unwrap();
    assert!(w.toast(&first).await.contains("No"));
    // The buttons may already be gone; a stale click on the same token is what a slow phone sends.
    let token_no = card.buttons().into_iter().find(|b| b.text == "Yes").unwrap().callback_data.unwrap();
    let second = w.tg.click(FORUM, &sofie(), card.message_id, &token_no);
    let toast = w.toast(&second).await;
    assert!(toast.contains("Olga") && toast.contains("No"), "{toast}");
    let q = api.get(&format!("/api/questions/{}", asked["id"].as_str().unwrap())).await;
    assert_eq!(q.body["answer"]["options"], json!(["No"]), "{}", q.body);
    w.stop().await;
}

#[sqlx::test]
async fn a_free_text_question_is_answered_by_replying_to_it(pool: PgPool) {
    let (w, token) = forum_with_scout(&pool).await;
    let api = w.api();
    let asked = ask(api, &token, json!({ "question": "What should the tagline say?" })).await;
    let id = asked["id"].as_str().unwrap().to_string();
    let card = message_with(&w, None, "What should the tagline say?").await;
    assert!(card.text.as_deref().unwrap().contains("Reply to this message"));
    assert!(card.buttons().is_empty());

    let waiting = waiting_for_answer(api, &token, &id).await;
    // A viewer's reply answers nothing.
    w.tg.user_reply(FORUM, &vic(), card.message_id, "Ship it faster");
    w.says(FORUM, None, "operator").await;
    assert!(!waiting.is_finished());

    let replied = Instant::now();
    w.tg.user_reply(FORUM, &sofie(), card.message_id, "Agents that ask");
    let (answer, answered) = tokio::time::timeout(WAIT, waiting).await.unwrap().unwrap();
    assert!(
        answered - replied < Duration::from_secs(1),
        "answered {:?} after the reply",
        answered - replied
    );
    assert_eq!(answer.body["status"], "answered", "{}", answer.body);
    assert_eq!(answer.body["answer"]["text"], "Agents that ask");
    assert_eq!(answer.body["answer"]["by"], "tg:1001");
    edited_to(&w, card.message_id, "Agents that ask").await;
    w.stop().await;
}

#[sqlx::test]
async fn an_unanswered_question_expires_on_both_sides(pool: PgPool) {
    let (w, token) = forum_with_scout(&pool).await;
    let api = w.api();
    let asked = ask(api, &token, json!({ "question": "Anyone there?", "options": ["Yes", "No"] })).await;
    let id = asked["id"].as_str().unwrap().to_string();
    let card = message_with(&w, None, "Anyone there?").await;

    api.clock.advance(chrono::Duration::minutes(61));
    let system = mission_control::domain::Actor::system("question_expiry");
    let run = api
        .app
        .run_job(&system, Job::QuestionExpiry, api.app.now(), "test", 30)
        .await
        .unwrap();
    assert_eq!(run.expect("claimed").detail.unwrap_or_default(), "1 questions expired: Q1");

    let q = as_token(api, Method::GET, &format!("/api/questions/{id}"), &token, None).await;
    assert_eq!(q.body["status"], "expired", "{}", q.body);
    heartbeat_tells(api, &token, &w.s.scout.id.to_string(), "question_expired").await;
    edited_to(&w, card.message_id, "Expired unanswered").await;
    // A click after expiry is told so.
    let answer = api
        .post(&format!("/api/questions/{id}/answer"), &json!({ "options": ["Yes"] }).to_string())
        .await;
    assert_error(&answer, StatusCode::CONFLICT, "question_closed");
    w.stop().await;
}

#[sqlx::test]
async fn questions_lists_the_open_ones(pool: PgPool) {
    let (w, token) = forum_with_scout(&pool).await;
    let api = w.api();
    for q in ["Which font?", "Which logo?"] {
        ask(api, &token, json!({ "question": q })).await;
        message_with(&w, None, q).await;
    }
    let list = w.ask(&olga(), "/questions", "Open questions").await;
    let text = list.text.unwrap();
    assert!(
        text.contains("Which font?") && text.contains("Which logo?") && text.contains("Scout"),
        "{text}"
    );
    let open = as_token(api, Method::GET, "/api/questions?status=open", &token, None).await;
    assert_eq!(open.body.as_array().unwrap().len(), 2, "{}", open.body);
    w.stop().await;
}

#[sqlx::test]
async fn rest_wait_returns_within_a_second_of_the_answer_and_viewers_cannot_answer(pool: PgPool) {
    let api = common::http::seeded(&pool).await;
    let token = agent_token(&api, "Scout").await;
    let asked = ask(&api, &token, json!({ "question": "Deploy now?", "options": ["Yes", "No"] })).await;
    assert_eq!(asked["status"], "pending");
    let id = asked["id"].as_str().unwrap().to_string();
    let waiting = waiting_for_answer(&api, &token, &id).await;

    let viewer = api.token("Vic", OperatorRole::Viewer).await;
    let refused = answer_as(&api, &viewer, &id, json!({ "options": ["Yes"] })).await;
    assert_error(&refused, StatusCode::FORBIDDEN, "forbidden");
    // The agent cannot answer its own question either.
    let own = answer_as(&api, &token, &id, json!({ "text": "yes" })).await;
    assert_error(&own, StatusCode::FORBIDDEN, "forbidden");
    assert!(!waiting.is_finished());

    let operator = api.token("Olga", OperatorRole::Operator).await;
    let before = Instant::now();
    let answered = answer_as(&api, &operator, &id, json!({ "options": ["yes"] })).await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
    let (answer, at) = tokio::time::timeout(WAIT, waiting).await.unwrap().unwrap();
    assert!(at - before < Duration::from_secs(1), "{:?}", at - before);
    assert_eq!(answer.body["questionId"], id.as_str());
    assert_eq!(answer.body["answer"]["options"], json!(["Yes"]), "{}", answer.body);
    // The first answer wins.
    let again = answer_as(&api, &operator, &id, json!({ "options": ["No"] })).await;
    assert_error(&again, StatusCode::CONFLICT, "already_answered");
    assert!(again.body["error"]["message"].as_str().unwrap().contains("Yes"), "{}", again.body);
    // The heartbeat carries the answer.
    heartbeat_tells(&api, &token, &common::http::scout_id(&api).await, "question_answered").await;
    api.stop().await;
}

#[sqlx::test]
async fn bad_questions_and_answers_are_clear_422s_that_change_nothing(pool: PgPool) {
    let api = common::http::seeded(&pool).await;
    let token = agent_token(&api, "Scout").await;
    let options = |n: usize| (1..=n).map(|i| format!("option {i}")).collect::<Vec<_>>();
    for (body, field) in [
        (json!({ "question": "" }), "question"),
        (json!({ "question": "   " }), "question"),
        (json!({ "question": "x".repeat(1001) }), "question"),
        (json!({ "question": "Pick", "options": options(9) }), "options"),
        (json!({ "question": "Pick", "options": ["only one"] }), "options"),
        (json!({ "question": "Pick", "options": ["a", "x".repeat(65)] }), "options"),
        (json!({ "question": "Pick", "options": ["Same", "same"] }), "options"),
        (json!({ "question": "Pick", "multiSelect": true }), "multiSelect"),
    ] {
        let before = count(&pool, "SELECT count(*) FROM questions").await;
        let r = as_token(&api, Method::POST, "/api/questions", &token, Some(body.clone())).await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert!(r.body.to_string().contains(field), "{body} → {}", r.body);
        assert_eq!(count(&pool, "SELECT count(*) FROM questions").await, before, "{body}");
    }
    let asked = ask(&api, &token, json!({ "question": "Pick one", "options": ["A", "B"] })).await;
    let id = asked["id"].as_str().unwrap();
    for body in [
        json!({ "options": ["C"] }),
        json!({ "options": ["A", "B"] }),
        json!({}),
        json!({ "text": " " }),
    ] {
        let r = api.post(&format!("/api/questions/{id}/answer"), &body.to_string()).await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let q = api.get(&format!("/api/questions/{id}")).await;
        assert_eq!(q.body["status"], "pending", "{body}");
    }
    // An operator does not ask; the asker cancels, another agent cannot.
    let r = api.post("/api/questions", &json!({ "question": "Me?" }).to_string()).await;
    assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
    let canceled = as_token(&api, Method::POST, &format!("/api/questions/{id}/cancel"), &token, None).await;
    assert_eq!(canceled.status, StatusCode::OK, "{}", canceled.body);
    assert_eq!(canceled.body["status"], "canceled");
    api.stop().await;
}

/// The notifications the agent's next heartbeat carries.
async fn notifications(api: &TestApi, token: &str, agent_id: &str) -> Vec<Value> {
    let beat = as_token(api, Method::POST, &format!("/api/agents/{agent_id}/heartbeat"), token, None).await;
    assert_eq!(beat.status, StatusCode::OK, "{}", beat.body);
    beat.body["notifications"].as_array().cloned().unwrap_or_default()
}

/// Waits until message `id` has a button labelled `label`.
async fn has_button(w: &World, id: i32, label: &str) {
    eventually(&format!("message {id} has a button {label:?}"), WAIT, || async {
        let m = w.tg.message(FORUM, id).unwrap();
        m.buttons().iter().any(|b| b.text == label).then_some(())
    })
    .await;
}

#[sqlx::test]
async fn claude_code_s_ask_user_question_is_asked_in_the_chat_and_answered_in_its_input(pool: PgPool) {
    let (w, token) = forum_with_scout(&pool).await;
    let api = w.api();
    let input = fixture("claude-code", "pre_tool_use.ask_user_question");
    let waiting = waiting_call(api, "claude-code", &token, &input);

    // One message per question: the single-choice one answered by a click…
    let library = message_with(&w, None, "Which library should we use for date formatting?").await;
    let text = library.text.clone().unwrap();
    assert!(text.contains("Library: ") && text.contains("chrono — The usual choice"), "{text}");
    let labels: Vec<String> = library.buttons().into_iter().map(|b| b.text).collect();
    assert_eq!(labels, ["chrono", "time"]);
    w.toast(&w.tg.click_button(FORUM, &sofie(), library.message_id, "time").unwrap())
        .await;

    // …the multi-select one ticked option by option (each click one edit), then Done.
    let features = message_with(&w, None, "Which checkout features should ship").await;
    let labels: Vec<String> = features.buttons().into_iter().map(|b| b.text).collect();
    assert_eq!(labels, ["⬜ Gift cards", "⬜ Saved carts", "⬜ Express pay", "✔️ Done"]);
    let early = w
        .toast(&w.tg.click_button(FORUM, &sofie(), features.message_id, "✔️ Done").unwrap())
        .await;
    assert!(early.contains("tick at least one"), "{early}");
    let ticked = w
        .toast(&w.tg.click_button(FORUM, &sofie(), features.message_id, "⬜ Gift cards").unwrap())
        .await;
    assert!(ticked.contains("Gift cards"), "{ticked}");
    has_button(&w, features.message_id, "☑️ Gift cards").await;
    w.toast(&w.tg.click_button(FORUM, &olga(), features.message_id, "⬜ Express pay").unwrap())
        .await;
    has_button(&w, features.message_id, "☑️ Express pay").await;
    assert!(w
        .tg
        .message(FORUM, features.message_id)
        .unwrap()
        .text
        .unwrap()
        .contains("Ticked so far: Gift cards, Express pay"));
    // A viewer ticks nothing.
    let refused = w
        .toast(&w.tg.click_button(FORUM, &vic(), features.message_id, "⬜ Saved carts").unwrap())
        .await;
    assert!(refused.contains("operator") || refused.contains("role"), "{refused}");
    assert!(!waiting.is_finished(), "the call waits for both answers");
    w.toast(&w.tg.click_button(FORUM, &sofie(), features.message_id, "✔️ Done").unwrap())
        .await;

    // Claude Code gets its input back with the answers keyed by question text.
    let (answer, _) = tokio::time::timeout(WAIT, waiting).await.expect("the hook answers").unwrap();
    let (decision, reason, updated) = pre_tool_use(&answer);
    assert_eq!(decision, "allow", "{reason}");
    assert!(reason.contains("answered by tg:1001"), "{reason}");
    let updated = updated.expect("the answered input");
    assert_eq!(updated["questions"], input["tool_input"]["questions"], "the questions are kept");
    assert_eq!(
        updated["answers"],
        json!({
            "Which library should we use for date formatting?": "time",
            "Which checkout features should ship in this release?": "Gift cards, Express pay"
        })
    );
    edited_to(&w, features.message_id, "Answered by tg:1001").await;
    assert_eq!(
        count(&pool, "SELECT count(*) FROM questions WHERE tool_used_at IS NOT NULL").await,
        2
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM tool_calls WHERE tool_name = 'AskUserQuestion' AND decision = 'allowed'"
        )
        .await,
        1
    );
    w.stop().await;
}

#[sqlx::test]
async fn an_ask_user_question_that_outwaits_the_humans_finds_its_questions_again_and_gets_their_answers_once(pool: PgPool) {
    let api = common::http::spawn_app_with(pool.clone(), [("MC_BRIDGE__MAX_WAIT_SECS", "1")]).await;
    api.app.seed().await.unwrap();
    let token = agent_token(&api, "Scout").await;
    let input = fixture("claude-code", "pre_tool_use.ask_user_question");

    let (decision, reason, _) = pre_tool_use(&hook(&api, "claude-code", &token, &input).await);
    assert_eq!(decision, "deny");
    assert!(reason.contains("still waiting for a human (questions Q1, Q2)"), "{reason}");
    let (_, again, _) = pre_tool_use(&hook(&api, "claude-code", &token, &input).await);
    assert!(again.contains("(questions Q1, Q2)"), "the same questions: {again}");
    assert_eq!(count(&pool, "SELECT count(*) FROM questions").await, 2);

    // Answered meanwhile through the API (one with words beside its choice).
    let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM questions ORDER BY number")
        .fetch_all(&pool)
        .await
        .unwrap();
    let first = answer_as(&api, ADMIN_TOKEN, &ids[0].to_string(), json!({ "options": ["chrono"] })).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let second = answer_as(
        &api,
        ADMIN_TOKEN,
        &ids[1].to_string(),
        json!({ "options": ["Saved carts"], "text": "only for signed-in customers" }),
    )
    .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);

    // The next identical call gets the answers at once; the one after asks anew.
    let (decision, reason, updated) = pre_tool_use(&hook(&api, "claude-code", &token, &input).await);
    assert_eq!(decision, "allow", "{reason}");
    let updated = updated.unwrap();
    assert_eq!(updated["answers"]["Which library should we use for date formatting?"], "chrono");
    assert_eq!(
        updated["answers"]["Which checkout features should ship in this release?"],
        "Saved carts"
    );
    assert_eq!(
        updated["annotations"],
        json!({ "Which checkout features should ship in this release?": { "notes": "only for signed-in customers" } })
    );
    let (decision, reason, _) = pre_tool_use(&hook(&api, "claude-code", &token, &input).await);
    assert_eq!(decision, "deny");
    assert!(reason.contains("(questions Q3, Q4)"), "{reason}");

    // A malformed call is denied, saying what is wrong, and asks nothing.
    let mut bad = input.clone();
    bad["tool_input"] = json!({ "questions": [] });
    let (decision, reason, _) = pre_tool_use(&hook(&api, "claude-code", &token, &bad).await);
    assert_eq!(decision, "deny");
    assert!(reason.contains("AskUserQuestion"), "{reason}");
    assert_eq!(count(&pool, "SELECT count(*) FROM questions").await, 4);
    api.stop().await;
}

#[sqlx::test]
async fn request_changes_sends_a_reviewed_task_back_with_the_words_for_its_agent(pool: PgPool) {
    let (w, token) = forum_with_scout(&pool).await;
    let api = w.api();
    let scout = w.s.scout.clone();
    let scout_id = scout.id.to_string();
    let task = w.s.started_task("Write the launch post", TaskType::Content, &scout).await;
    let to_review = || async {
        let input = mission_control::app::tasks::TransitionTask {
            to: Some(mission_control::domain::TaskStatus::Review),
            deliverable: Some("https://docs.example/launch".into()),
            ..Default::default()
        };
        w.s.app.transition_task(&common::as_agent(&scout), task.id, input).await.unwrap();
    };
    let topic = w.wait_thread(task.id).await.topic_id;
    notifications(api, &token, &scout_id).await;

    // Not in review yet: refused, nothing moves.
    let number = task.number;
    w.tg.user_message(FORUM, &sofie(), &format!("/changes {number} Shorter intro"), None);
    w.says(FORUM, None, "changes are requested on a task in review").await;

    // /changes: back to in progress, the words in the agent's next heartbeat.
    to_review().await;
    w.tg.user_message(FORUM, &sofie(), &format!("/changes {number} The intro is too long"), None);
    eventually("the task is back in progress", WAIT, || async {
        (w.task(task.id).await.status == mission_control::domain::TaskStatus::InProgress).then_some(())
    })
    .await;
    let told = notifications(api, &token, &scout_id).await;
    let changes = told.iter().find(|n| n["kind"] == "changes_requested").expect("changes_requested");
    assert_eq!(changes["payload"]["text"], "The intro is too long", "{changes}");
    assert!(changes["body"].as_str().unwrap().contains("The intro is too long"), "{changes}");

    // ✍️ on the card of a task in review: the clicker's next message there is the request.
    to_review().await;
    let card = w.wait_thread(task.id).await.card_message_id.expect("the task's card");
    has_button(&w, card, "✍️ Request changes").await;
    let toast = w
        .toast(&w.tg.click_button(FORUM, &sofie(), card, "✍️ Request changes").unwrap())
        .await;
    assert!(toast.contains(&format!("#{number}")), "{toast}");
    w.says(FORUM, topic, "what should change").await;
    w.tg.user_message(FORUM, &sofie(), "Use the new logo in the header", topic);
    eventually("the task is back in progress again", WAIT, || async {
        let t = w.task(task.id).await;
        (t.status == mission_control::domain::TaskStatus::InProgress && t.review_cycles == 2).then_some(())
    })
    .await;
    let told = notifications(api, &token, &scout_id).await;
    assert!(
        told.iter()
            .any(|n| n["kind"] == "changes_requested" && n["payload"]["text"] == "Use the new logo in the header"),
        "{told:?}"
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM audit_events WHERE action = 'task.changes_requested'").await,
        2
    );
    w.stop().await;
}

/// The Python with the official MCP SDK: `MC_TEST_PYTHON` (scripts/test makes one in
/// target/test-python), else `python3`.
fn python() -> String {
    std::env::var("MC_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

#[sqlx::test]
async fn an_agent_written_with_the_official_python_sdk_asks_and_gets_the_click(pool: PgPool) {
    let python = python();
    let sdk = std::process::Command::new(&python).args(["-c", "import mcp"]).output();
    assert!(
        sdk.as_ref().is_ok_and(|o| o.status.success()),
        "{python} with the official MCP Python SDK is needed (scripts/test installs it: pip install mcp): {sdk:?}"
    );
    let (w, token) = forum_with_scout(&pool).await;
    let api = w.api();
    let task = w.assigned_task("Pick the launch colour", TaskType::Content, &w.s.scout).await;
    let topic = w.wait_thread(task.id).await.topic_id;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/integration/python/ask_human.py");
    let agent = tokio::process::Command::new(&python)
        .args([script, &format!("{}/mcp", api.url), &token, &task.id.to_string()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the Python agent starts");

    let card = message_with(&w, topic, "Which colour for the launch?").await;
    let labels: Vec<String> = card.buttons().into_iter().map(|b| b.text).collect();
    assert_eq!(labels, ["Red", "Blue", "Green"]);
    w.toast(&w.tg.click_button(FORUM, &sofie(), card.message_id, "Green").unwrap())
        .await;

    let out = tokio::time::timeout(WAIT, agent.wait_with_output())
        .await
        .expect("the Python agent gets its answer")
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the Python agent failed: {stderr}");
    let answer: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(answer["status"], "answered", "{answer}");
    assert_eq!(answer["answer"]["options"], json!(["Green"]), "{answer}");
    assert_eq!(answer["answer"]["by"], "tg:1001", "{answer}");
    w.stop().await;
}
