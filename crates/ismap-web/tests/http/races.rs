//! Concurrent conflicting moves (issue 12 item 3): many requests sent at
//! the same moment against one state machine, on SQLite and PostgreSQL.
//! Exactly one wins, every other one gets 409, and the record shows one
//! decision. Each request runs in its own task on a multi-threaded runtime,
//! so the server's transactions really overlap.

use serde_json::Value;

use ismap_web::testing::TestServer;

use crate::helpers::{
    self, BACKENDS, Client, PDF, evidence_form, example_statement, saas_ids, server,
};

/// Requests sent at the same moment.
const N: usize = 12;
const DEFICIENT: &str = "8.1.2.7.PB";

/// Sends every request at once (one task each) and returns the statuses in
/// the order given.
async fn race(requests: Vec<reqwest::RequestBuilder>) -> Vec<u16> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            tokio::spawn(async move { request.send().await.expect("request").status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("request task"));
    }
    statuses
}

/// A form post as the browser sends it, not yet sent.
async fn form(client: &Client<'_>, path: &str, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
    let csrf = client.csrf().await;
    let mut all: Vec<(&str, &str)> = fields.to_vec();
    all.push(("csrf", &csrf));
    client.http.post(client.server.url(path)).form(&all)
}

/// A body post as htmx or an API client sends it, not yet sent.
async fn body(client: &Client<'_>, path: &str, text: String) -> reqwest::RequestBuilder {
    let csrf = client.csrf().await;
    client
        .http
        .post(client.server.url(path))
        .header("content-type", "application/yaml")
        .header("x-csrf-token", csrf)
        .body(text)
}

/// Exactly one request won with `won`; every other one got 409.
fn one_winner(statuses: &[u16], won: u16, what: &str) {
    let winners = statuses.iter().filter(|&&s| s == won).count();
    let conflicts = statuses.iter().filter(|&&s| s == 409).count();
    assert_eq!(winners, 1, "{what}: one success, got {statuses:?}");
    assert_eq!(
        conflicts,
        statuses.len() - 1,
        "{what}: the rest 409, got {statuses:?}"
    );
}

async fn events(server: &TestServer, action: &str) -> usize {
    ismap_store::events::list(&server.db, None, 100_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == action)
        .count()
}

/// Saves and status changes of one statement in the event log.
async fn statement_events(server: &TestServer, statement: i64) -> usize {
    ismap_store::events::list(&server.db, None, 100_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.object_type == "statement" && e.object_id == statement.to_string())
        .filter(|e| e.action == "statement.status" || e.action == "statement.revise")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn freezing_and_saving_a_statement_at_one_moment() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (_, statement) = saas_ids(&server).await;
        let admin = Client::new(&server);
        admin.sign_in("saas-admin").await;
        let before = statement_events(&server, statement).await;
        let mut requests = Vec::new();
        for i in 0..N {
            requests.push(if i.is_multiple_of(2) {
                body(
                    &admin,
                    &format!("/api/v1/statements/{statement}/freeze?based_on=1"),
                    String::new(),
                )
                .await
            } else {
                body(
                    &admin,
                    &format!("/api/v1/statements/{statement}/revisions?based_on=1"),
                    example_statement(),
                )
                .await
            });
        }
        let statuses = race(requests).await;
        let winners = statuses.iter().filter(|&&s| s == 200 || s == 201).count();
        assert_eq!(winners, 1, "{backend:?}: {statuses:?}");
        assert_eq!(
            statuses.iter().filter(|&&s| s == 409).count(),
            N - 1,
            "{backend:?}: {statuses:?}"
        );
        let record = ismap_store::statements::get(&server.db, statement)
            .await
            .unwrap();
        let revisions = ismap_store::statements::revisions(&server.db, statement)
            .await
            .unwrap();
        if statuses.contains(&200) {
            assert_eq!(record.status, "frozen");
            assert_eq!(revisions.len(), 1, "frozen at revision 1, nothing after");
        } else {
            assert_eq!(record.status, "draft");
            assert_eq!(revisions.len(), 2, "one revision saved");
        }
        assert_eq!(
            statement_events(&server, statement).await,
            before + 1,
            "{backend:?}: one decision in the log"
        );
    }
}

/// A full-scope audit of the demo SaaS, requested; nobody assigned yet.
async fn requested_engagement(server: &TestServer) -> i64 {
    helpers::requested_engagement(server, "full", (1, 1), ("2025-04-01", "2026-03-31")).await
}

/// Assigning, issuing the report, moving an improvement measure and
/// destroying the organization's key: each at one moment from many requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn audit_moves_at_one_moment() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let e = requested_engagement(&server).await;

        // Assigning the same auditor: the engagement starts once.
        let manager = Client::new(&server);
        manager.sign_in("audit-manager").await;
        let auditor_id = ismap_store::users::find_for_sign_in(&server.db, "auditor")
            .await
            .unwrap()
            .unwrap()
            .0
            .id
            .to_string();
        let mut requests = Vec::new();
        for _ in 0..N {
            requests.push(
                form(
                    &manager,
                    &format!("/engagements/{e}/auditors"),
                    &[("user_id", &auditor_id)],
                )
                .await,
            );
        }
        one_winner(&race(requests).await, 303, "assign");
        let engagement = ismap_store::engagements::get(&server.db, e).await.unwrap();
        assert_eq!(engagement.auditors.len(), 1);
        assert_eq!(engagement.status.key(), "in_progress");
        assert_eq!(events(&server, "engagement.assign_auditor").await, 1);

        // Results for every control, then the first issue of the report.
        let auditor = Client::new(&server);
        auditor.sign_in("auditor").await;
        let detail: Value = auditor
            .get(&format!("/api/v1/engagements/{e}"))
            .await
            .json()
            .await
            .unwrap();
        for control in detail["controls"].as_array().unwrap() {
            let id = control["id"].as_str().unwrap();
            let result = if id == DEFICIENT {
                r#"{"result": "deficiency", "performed": "inspection", "finding": "keys"}"#
            } else {
                r#"{"result": "conforming", "performed": "inspection"}"#
            };
            let saved = auditor
                .post_body(
                    &format!("/api/v1/engagements/{e}/results/{id}"),
                    "application/json",
                    result.into(),
                )
                .await;
            assert_eq!(saved.status(), 200, "{id}");
        }
        let mut requests = Vec::new();
        for _ in 0..N {
            requests.push(form(&auditor, &format!("/engagements/{e}/reports"), &[]).await);
        }
        one_winner(&race(requests).await, 303, "issue the report");
        let reports = ismap_store::engagements::reports(&server.db, e)
            .await
            .unwrap();
        assert_eq!(reports.len(), 1, "{backend:?}: one issue");
        assert_eq!(
            events(&server, "audit_report.issue").await,
            2,
            "one per party"
        );

        // One improvement measure moved to completed by many at once.
        let provider = Client::new(&server);
        provider.sign_in("saas-admin").await;
        let planned = provider
            .post_form(
                &format!("/engagements/{e}/improvements"),
                &[
                    ("control", DEFICIENT),
                    ("measure", "offer customer-managed keys"),
                    ("due_date", "2099-01-31"),
                ],
            )
            .await;
        assert_eq!(planned.status(), 303);
        let item = ismap_store::improvement::items(&server.db, e)
            .await
            .unwrap()[0]
            .id;
        let mut requests = Vec::new();
        for _ in 0..N {
            requests.push(
                form(
                    &provider,
                    &format!("/improvements/{item}/status"),
                    &[("status", "completed"), ("reason", "released")],
                )
                .await,
            );
        }
        one_winner(&race(requests).await, 303, "improvement status");
        assert_eq!(events(&server, "improvement.status").await, 1);

        // The audit organization's key, destroyed by many at once.
        let uploaded = auditor
            .post_multipart(
                &format!("/engagements/{e}/evidence"),
                evidence_form("5.1.1", "review.pdf", PDF.to_vec()),
            )
            .await;
        assert_eq!(uploaded.status(), 200);
        let mut requests = Vec::new();
        for _ in 0..N {
            requests.push(
                form(
                    &manager,
                    &format!(
                        "/organizations/{}/destroy-key",
                        engagement.audit_organization_id
                    ),
                    &[("reason", "retention ended"), ("confirm", "erase")],
                )
                .await,
            );
        }
        one_winner(&race(requests).await, 303, "destroy the key");
        assert_eq!(events(&server, "organization_key.destroy").await, 1);

        // A new audit organization put on the list by many at once: one term.
        let newcomer = ismap_store::orgs::create(
            &server.db,
            &ismap_store::Actor::system("test"),
            "監査法人サンプル",
            "Sample Audit LLC",
            ismap_domain::OrgKind::AuditOrg,
        )
        .await
        .unwrap()
        .id
        .to_string();
        let secretariat = Client::new(&server);
        secretariat.sign_in("secretariat").await;
        let registered_before = events(&server, "audit_org.register").await;
        let mut requests = Vec::new();
        for _ in 0..N {
            requests.push(
                form(
                    &secretariat,
                    "/audit-organizations",
                    &[("organization_id", &newcomer), ("valid_from", "2026-04-01")],
                )
                .await,
            );
        }
        one_winner(&race(requests).await, 303, "audit organization list");
        assert_eq!(
            events(&server, "audit_org.register").await,
            registered_before + 1
        );
    }
}

async fn move_application(client: &Client<'_>, application: i64, fields: &[(&str, &str)]) -> u16 {
    client
        .post_form(&format!("/applications/{application}/transitions"), fields)
        .await
        .status()
        .as_u16()
}

/// Answering the one open question, the committee's decision, and
/// suspending and reinstating a registration, each from many at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn review_decisions_at_one_moment() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let e = crate::registration::reported(&server).await;
        let (service, _) = saas_ids(&server).await;
        let provider = Client::new(&server);
        provider.sign_in("saas-admin").await;
        let planned = provider
            .post_form(
                &format!("/engagements/{e}/improvements"),
                &[
                    ("control", DEFICIENT),
                    ("measure", "m"),
                    ("due_date", "2099-01-31"),
                ],
            )
            .await;
        assert_eq!(planned.status(), 303);
        let submitted = provider
            .post_multipart(
                &format!("/services/{service}/applications"),
                crate::registration::application_form(e, true),
            )
            .await;
        assert_eq!(submitted.status(), 200);
        let app = ismap_store::applications::list(&server.db, None)
            .await
            .unwrap()[0]
            .id;
        let reviewer = Client::new(&server);
        reviewer.sign_in("reviewer").await;
        for t in ["start_acceptance", "accept"] {
            assert_eq!(
                move_application(&reviewer, app, &[("transition", t)]).await,
                303,
                "{t}"
            );
        }
        assert_eq!(
            move_application(
                &reviewer,
                app,
                &[
                    ("transition", "request_information"),
                    ("reason", "key policy"),
                    ("questions", "鍵の管理方針を示してください。"),
                    ("due_date", "2099-02-28"),
                ],
            )
            .await,
            303
        );

        // The one question answered by many at once: one answer, one move.
        let question = ismap_store::applications::questions(&server.db, app)
            .await
            .unwrap()[0]
            .id;
        let editor = Client::new(&server);
        editor.sign_in("saas-editor").await;
        let csrf = editor.csrf().await;
        let requests = (0..N)
            .map(|i| {
                editor
                    .http
                    .post(server.url(&format!("/applications/{app}/questions/{question}")))
                    .header("x-csrf-token", &csrf)
                    .header("hx-request", "true")
                    .multipart(reqwest::multipart::Form::new().text("answer", format!("回答 {i}")))
            })
            .collect();
        one_winner(&race(requests).await, 200, "answer");
        let history = ismap_store::applications::history(&server.db, app)
            .await
            .unwrap();
        assert_eq!(
            history.iter().filter(|h| h.transition == "answer").count(),
            1,
            "{backend:?}"
        );
        assert_eq!(
            ismap_store::applications::get(&server.db, app)
                .await
                .unwrap()
                .state
                .key(),
            "technical_review"
        );
        assert_eq!(events(&server, "application.answer_question").await, 1);

        assert_eq!(
            move_application(
                &reviewer,
                app,
                &[("transition", "refer_to_committee"), ("reason", "ok")]
            )
            .await,
            303
        );

        // Register and reject sent by committee members at the same moment.
        let committee = Client::new(&server);
        committee.sign_in("committee").await;
        let mut requests = Vec::new();
        for i in 0..N {
            let decision = if i.is_multiple_of(2) {
                "register"
            } else {
                "reject"
            };
            requests.push(
                form(
                    &committee,
                    &format!("/applications/{app}/transitions"),
                    &[
                        ("transition", decision),
                        ("reason", "運営委員会で決定"),
                        ("from", "referred_to_committee"),
                    ],
                )
                .await,
            );
        }
        one_winner(&race(requests).await, 303, "decision");
        let history = ismap_store::applications::history(&server.db, app)
            .await
            .unwrap();
        let decisions: Vec<&str> = history
            .iter()
            .map(|h| h.transition.as_str())
            .filter(|t| *t == "register" || *t == "reject")
            .collect();
        assert_eq!(decisions.len(), 1, "{backend:?}: {decisions:?}");
        let registered = decisions[0] == "register";
        assert_eq!(
            ismap_store::applications::get(&server.db, app)
                .await
                .unwrap()
                .state
                .key(),
            if registered { "registered" } else { "rejected" }
        );
        let of_service = ismap_store::registrations::of_service(&server.db, service)
            .await
            .unwrap();
        assert_eq!(
            of_service.len(),
            usize::from(registered),
            "registered once or not at all"
        );
        let listed: Value = Client::new(&server)
            .get("/api/v1/lists/ismap?q=Example%20Document")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            listed["total"],
            i64::from(registered),
            "{backend:?}: the public list"
        );

        // Suspending the demo IaaS's registration, then reinstating it.
        let iaas = ismap_store::registrations::current(&server.db, None)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.service_id != service)
            .expect("the demo IaaS is registered");
        for (suspend, action) in [
            ("true", "registration.suspend"),
            ("false", "registration.reinstate"),
        ] {
            let mut requests = Vec::new();
            for _ in 0..N {
                requests.push(
                    form(
                        &committee,
                        &format!("/registrations/{}/suspension", iaas.id),
                        &[("suspend", suspend), ("reason", "重大なインシデントの調査")],
                    )
                    .await,
                );
            }
            one_winner(&race(requests).await, 303, action);
            assert_eq!(events(&server, action).await, 1, "{backend:?}: {action}");
        }
    }
}
