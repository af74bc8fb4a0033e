use crate::common;

use common::*;
use mc_core::pg::Pg;
use mission_control::app::agents::{AgentReset, RegisterAgent, StatusCommand};
use mission_control::app::AppError;
use mission_control::domain::*;
use sqlx::PgPool;

#[sqlx::test]
async fn registering_an_existing_name_reuses_the_agent_with_a_fresh_token(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let input = || RegisterAgent {
        name: "scout".into(), // case-insensitive match
        role: AgentRole::Intern,
        allowed_task_types: vec![TaskType::SeoResearch],
        parent_agent_id: None,
        daily_cap: None,
        issue_token: true,
    };
    // A new token for an existing agent is the CAO's to give.
    let first = s.app.register_agent(&s.cao, s.project.id, input()).await.unwrap();
    let second = s.app.register_agent(&s.cao, s.project.id, input()).await.unwrap();
    assert!(!first.created && !second.created);
    assert_eq!(first.agent.id, s.scout.id);
    let (t1, t2) = (first.token.unwrap(), second.token.unwrap());
    assert_ne!(t1, t2);
    // The fresh token retires the older one: a leaked token stops working, tokens do not pile up.
    assert_eq!(s.app.authenticate(&t2).await.unwrap(), as_agent(&s.scout));
    let retired = s.app.authenticate(&t1).await.unwrap_err();
    assert!(matches!(retired, AppError::Unauthenticated(_)), "{retired}");
    assert!(retired.to_string().contains("replaced by a newer one"), "{retired}");
    // Only hashes are stored.
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM api_tokens WHERE position($1 in encode(token_hash, 'escape')) > 0 OR prefix = $1")
            .bind(&t1)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored, 0);
    assert!(matches!(
        s.app.authenticate("mca_nope").await.unwrap_err(),
        AppError::Unauthenticated(_)
    ));
}

#[sqlx::test]
async fn new_agents_get_their_role_defaults_and_spawn_limits_hold(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let intern = s.register("Newbie", AgentRole::Intern, &[]).await;
    assert_eq!(intern.budgets.daily_cap, Usd::from_cents(200));
    assert_eq!(intern.budgets.per_run_cap, Usd::from_cents(25));
    let spec = s.register("Spec", AgentRole::Specialist, &[TaskType::Ops]).await;
    assert_eq!(spec.budgets.daily_cap, Usd::from_cents(500));
    assert_eq!(s.sofie.budgets.daily_cap, Usd::from_cents(2500), "Sofie is seeded with $25/day");

    let sub = |name: &str, parent: uuid::Uuid| RegisterAgent {
        name: name.into(),
        role: AgentRole::Intern,
        allowed_task_types: vec![],
        parent_agent_id: Some(parent),
        daily_cap: None,
        issue_token: false,
    };
    let before = fingerprint(&pool).await;
    let err = s
        .app
        .register_agent(&s.operator, s.project.id, sub("Kid", s.scout.id))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("interns cannot spawn"), "{err}");
    // An agent registers only its own sub-agents.
    let err = s
        .app
        .register_agent(&as_agent(&s.scout), s.project.id, sub("Kid", s.sofie.id))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err}");
    assert_eq!(fingerprint(&pool).await, before);

    let sofie = as_agent(&s.sofie);
    for i in 0..3 {
        let r = s
            .app
            .register_agent(&sofie, s.project.id, sub(&format!("Sub{i}"), s.sofie.id))
            .await
            .unwrap();
        assert_eq!(r.agent.depth, 1);
    }
    let err = s
        .app
        .register_agent(&sofie, s.project.id, sub("Sub3", s.sofie.id))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already has 3 sub-agents"), "{err}");

    // Reusing a name hands out a token: an agent gets one for its own sub-agent only, never
    // for another agent (claiming to be its parent changes nothing).
    let before = fingerprint(&pool).await;
    for victim in ["Sofie", "Scribe"] {
        let err = s
            .app
            .register_agent(
                &as_agent(&s.scout),
                s.project.id,
                RegisterAgent {
                    issue_token: true,
                    ..sub(victim, s.scout.id)
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)), "{victim}: {err}");
        assert!(err.to_string().contains("not one"), "{err}");
    }
    let err = s
        .app
        .register_agent(&as_agent(&s.scout), s.project.id, sub("Sub0", s.scout.id))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err}");
    assert_eq!(fingerprint(&pool).await, before);
    // Not even the parent gets its sub-agent's token: one identity, one issuer (the CAO).
    let err = s
        .app
        .register_agent(
            &sofie,
            s.project.id,
            RegisterAgent {
                issue_token: true,
                ..sub("Sub0", s.sofie.id)
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err}");
    assert!(err.to_string().contains("issued only to the agent itself or by a CAO"), "{err}");
    let again = s.app.register_agent(&sofie, s.project.id, sub("Sub0", s.sofie.id)).await.unwrap();
    assert!(!again.created && again.token.is_none());

    for bad in ["", "two words", "-dash", &"n".repeat(41)] {
        let err = s
            .app
            .register_agent(
                &s.operator,
                s.project.id,
                RegisterAgent {
                    name: bad.into(),
                    ..sub("x", s.sofie.id)
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Validation { field: "name", .. }), "{bad}: {err}");
    }
}

#[sqlx::test]
async fn pausing_the_squad_pauses_only_this_project_and_resume_spares_other_causes(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let other = s.new_project("sitegpt", "SiteGPT").await;
    let outsider = s.register_in(other.id, "Scout", AgentRole::Intern, &[]).await;
    // Pixel is paused by hand before the squad pause, Scribe is quarantined.
    s.app
        .change_agent_status(&s.operator, s.pixel.id, StatusCommand::Pause, Some("on leave"))
        .await
        .unwrap();
    s.app
        .change_agent_status(&s.operator, s.scribe.id, StatusCommand::Quarantine, Some("runaway"))
        .await
        .unwrap();

    let err = s.app.pause_squad(&s.viewer, s.project.id, None).await.unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)));
    let err = s.app.pause_squad(&as_agent(&s.sofie), s.project.id, None).await.unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)));

    let paused = s.app.pause_squad(&s.operator, s.project.id, Some("incident")).await.unwrap();
    assert_eq!(paused.agents.len(), 6, "{:?}", paused.agents);
    let statuses: Vec<(String, Pg<AgentStatus>)> = sqlx::query_as("SELECT name, status FROM agents WHERE project_id = $1 ORDER BY name")
        .bind(s.project.id)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(
        statuses
            .iter()
            .all(|(name, status)| *status != Pg(AgentStatus::Active) || name.is_empty()),
        "{statuses:?}"
    );
    assert_eq!(
        s.agent(outsider.id).await.status,
        AgentStatus::Active,
        "other projects are untouched"
    );

    let hb = s.app.heartbeat(&as_agent(&s.scout), s.scout.id).await.unwrap();
    assert!(hb.stop);
    assert!(hb.reason.as_deref().unwrap().contains("paused"), "{:?}", hb.reason);
    let err = s.app.claim_task(&as_agent(&s.scout), s.project.id, None).await.unwrap_err();
    assert!(err.to_string().contains("is paused and may not act"), "{err}");

    let resumed = s.app.resume_squad(&s.operator, s.project.id).await.unwrap();
    assert_eq!(resumed.agents.len(), 6);
    assert_eq!(s.agent(s.pixel.id).await.status, AgentStatus::Paused, "paused by hand stays paused");
    assert_eq!(s.agent(s.scribe.id).await.status, AgentStatus::Quarantined);
    assert_eq!(s.agent(s.scout.id).await.status, AgentStatus::Active);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_events WHERE action IN ('squad.paused', 'squad.resumed')"
        )
        .await,
        2
    );
}

#[sqlx::test]
async fn quarantine_needs_the_cao_to_release_and_is_audited(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let changed = s
        .app
        .change_agent_status(&s.operator, s.scout.id, StatusCommand::Quarantine, Some("leaked a key"))
        .await
        .unwrap();
    assert!(changed.changed);
    assert_eq!(changed.agent.status, AgentStatus::Quarantined);
    assert_eq!(changed.agent.status_reason.as_deref(), Some("leaked a key"));
    let again = s
        .app
        .change_agent_status(&s.operator, s.scout.id, StatusCommand::Quarantine, None)
        .await
        .unwrap();
    assert!(!again.changed);

    let before = fingerprint(&pool).await;
    let err = s
        .app
        .change_agent_status(&s.operator, s.scout.id, StatusCommand::Release, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("needs CAO"), "{err}");
    let err = s
        .app
        .change_agent_status(&s.operator, s.scout.id, StatusCommand::Resume, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("release it first"), "{err}");
    let err = s
        .app
        .change_agent_status(&as_agent(&s.scribe), s.scout.id, StatusCommand::Release, None)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)));
    assert_eq!(fingerprint(&pool).await, before);

    let released = s
        .app
        .change_agent_status(&s.cao, s.scout.id, StatusCommand::Release, None)
        .await
        .unwrap();
    assert_eq!(released.agent.status, AgentStatus::Active);
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_events WHERE entity_id = $1 AND action LIKE 'agent.%' ORDER BY id")
            .bind(s.scout.id.to_string())
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        actions.ends_with(&["agent.quarantine".to_string(), "agent.release".to_string()]),
        "{actions:?}"
    );
    let hb = s.app.heartbeat(&as_agent(&s.scout), s.scout.id).await.unwrap();
    assert!(hb.notifications.iter().any(|n| n.body.contains("leaked a key")));
}

#[sqlx::test]
async fn budgets_are_the_caos_and_never_an_agents(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let before = fingerprint(&pool).await;
    let scout = as_agent(&s.scout);
    let err = s
        .app
        .set_budget(&scout, s.scout.id, Some(Usd::from_cents(9999)), None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no agent can change budgets"), "{err}");
    let err = s
        .app
        .set_budget(&as_agent(&s.sofie), s.scout.id, Some(Usd::from_cents(9999)), None)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)));
    let err = s
        .app
        .set_budget(&s.operator, s.scout.id, Some(Usd::from_cents(9999)), None)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)));
    let err = s.app.set_budget(&s.cao, s.scout.id, None, None).await.unwrap_err();
    assert!(matches!(err, AppError::Validation { .. }));
    assert!(Usd::from_dollars(-5.0).is_err(), "negative budgets cannot even be expressed");
    let err = s
        .app
        .set_budget(&s.cao, uuid::Uuid::new_v4(), Some(Usd::from_cents(100)), None)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound { .. }));
    assert_eq!(fingerprint(&pool).await, before);

    let agent = s
        .app
        .set_budget(&s.cao, s.scout.id, Some(Usd::from_cents(2000)), None)
        .await
        .unwrap();
    assert_eq!(agent.budgets.daily_cap, Usd::from_cents(2000));
    assert_eq!(agent.budgets.per_run_cap, Usd::from_cents(25));
}

#[sqlx::test]
async fn resetting_agent_state_and_restart(pool: PgPool) {
    let s = squad(pool.clone()).await;
    s.app
        .change_agent_status(&s.operator, s.scout.id, StatusCommand::Pause, None)
        .await
        .unwrap();
    let err = s.app.reset_agent(&s.operator, s.scout.id, AgentReset::default()).await.unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)));
    let err = s
        .app
        .reset_agent(
            &s.cao,
            s.scout.id,
            AgentReset {
                error_streak: Some(-1),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Validation { .. }));
    let agent = s
        .app
        .reset_agent(
            &s.cao,
            s.scout.id,
            AgentReset {
                status: Some(AgentStatus::Active),
                error_streak: Some(0),
                today_spend: Some(Usd::ZERO),
                current_task_id: Some(None),
            },
        )
        .await
        .unwrap();
    assert_eq!(agent.status, AgentStatus::Active);
    assert_eq!(agent.status_cause, None);

    let restarted = s
        .app
        .change_agent_status(&s.operator, s.scout.id, StatusCommand::Restart, None)
        .await
        .unwrap();
    assert_eq!(restarted.agent.error_streak, 0);
    assert_eq!(restarted.agent.status, AgentStatus::Active);
}

#[sqlx::test]
async fn heartbeat_is_the_agents_own(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let err = s.app.heartbeat(&as_agent(&s.scribe), s.scout.id).await.unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)));
    let err = s.app.heartbeat(&s.cao, s.scout.id).await.unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)));
    let task = s.task("Assigned to Scout", TaskType::SeoResearch).await;
    s.app.assign_task(&s.operator, task.id, vec![s.scout.id]).await.unwrap();
    let hb = s.app.heartbeat(&as_agent(&s.scout), s.scout.id).await.unwrap();
    assert!(!hb.stop);
    assert_eq!(hb.assigned_tasks.iter().map(|t| t.id).collect::<Vec<_>>(), vec![task.id]);
    assert_eq!(hb.budget.remaining, Usd::from_cents(200));
    assert_eq!(hb.agent.last_heartbeat, Some(s.clock_now()));
    assert!(hb.notifications.iter().any(|n| n.kind == "task_assigned"));
}

trait ClockNow {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc>;
}

impl ClockNow for Squad {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        self.app.now()
    }
}
