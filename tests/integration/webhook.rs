//! Webhook mode in the real service: the webhook is served by the same HTTP server as the API
//! (outside its auth), checks Telegram's secret header, acts once, and the answer goes out
//! through the outbox dispatcher to the fake Bot API.

use crate::common;

use common::http::Served;
use common::telegram::{webhook_settings, TOKEN};
use common::*;
use fake_telegram::{ChatKind, FakeBotApi};
use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;

const ADMIN: i64 = 5151;
const SECRET: &str = "a-webhook-secret-of-some-length";

#[sqlx::test]
async fn serve_in_webhook_mode_takes_updates_on_the_api_port(pool: PgPool) {
    let _squad = squad(pool.clone()).await;
    let tg = FakeBotApi::start(TOKEN).await.unwrap();
    tg.add_chat(ADMIN, ChatKind::Private, "Sofie");
    let served = Served::start(&webhook_settings(&tg, ADMIN, SECRET), &pool).await;
    let url = served.url.clone();
    let client = reqwest::Client::new();
    // The webhook is registered by the replica elected for it, just after start.
    tg.wait_until(|state| state.webhook().is_some(), Duration::from_secs(10))
        .await
        .expect("the webhook is registered");

    let health: serde_json::Value = client.get(format!("{url}/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["services"]["telegram"], "ok");
    let registered = tg.calls_to("setWebhook");
    assert_eq!(registered.len(), 1);
    assert_eq!(registered[0].params["secret_token"], SECRET);

    let update = json!({
        "update_id": 9001,
        "message": {
            "message_id": 1,
            "date": 1_772_445_600,
            "chat": {"id": ADMIN, "type": "private", "first_name": "Sofie"},
            "from": {"id": ADMIN, "is_bot": false, "first_name": "Sofie"},
            "text": "/newtask docs Written through the webhook",
            "entities": [{"type": "bot_command", "offset": 0, "length": 8}]
        }
    });
    let post = |secret: &'static str| {
        client
            .post(format!("{url}/telegram/webhook"))
            .header("X-Telegram-Bot-Api-Secret-Token", secret)
            .json(&update)
            .send()
    };
    assert_eq!(post("not-the-secret-at-all-no").await.unwrap().status(), 401);
    assert_eq!(post(SECRET).await.unwrap().status(), 200);
    assert_eq!(post(SECRET).await.unwrap().status(), 200, "a redelivery is accepted…");
    assert_eq!(
        count(&pool, "SELECT count(*) FROM tasks WHERE title = 'Written through the webhook'").await,
        1,
        "…and acts once"
    );
    // The answer reaches the chat through the outbox.
    tg.wait_until(|state| !state.bot_messages_in(ADMIN, None).is_empty(), Duration::from_secs(20))
        .await
        .expect("the bot answers");
    // The API on the same port still needs its token.
    assert_eq!(client.get(format!("{url}/api/agents")).send().await.unwrap().status(), 401);
    served.stop().await;
    assert!(tg.violations().is_empty(), "{:?}", tg.violations());
}
