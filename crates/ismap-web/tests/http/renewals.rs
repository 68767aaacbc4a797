//! Issue 14, items 3, 4 and 9: a list that cannot be made untrue. A
//! renewal rests on a newer audit and stays on its list; an application
//! for the other list is a new registration with that list's own number;
//! a multi-year cycle's audit supports an ISMAP renewal only when the
//! cycle's audits together cover every control; the change feed says
//! exactly what happened; two renewals decided at once make one.

use serde_json::Value;

use ismap_web::testing::TestServer;

use crate::helpers::{BACKENDS, Client, issued_report, saas_ids, server};
use crate::registration::{application_form, confirm_and_file};

/// Audit periods of one year each, oldest first.
const Y2023: (&str, &str) = ("2023-04-01", "2024-03-31");
const Y2024: (&str, &str) = ("2024-04-01", "2025-03-31");
const Y2025: (&str, &str) = ("2025-04-01", "2026-03-31");

async fn applications_of(server: &TestServer) -> usize {
    ismap_store::applications::list(&server.db, None)
        .await
        .unwrap()
        .len()
}

async fn provider(server: &TestServer) -> Client<'_> {
    let client = Client::new(server);
    client.sign_in("saas-admin").await;
    client
}

/// The form sent as a browser without scripts sends it (no htmx header):
/// a refusal comes back as the whole form page.
async fn post_page(
    client: &Client<'_>,
    path: &str,
    form: reqwest::multipart::Form,
) -> reqwest::Response {
    let csrf = client.csrf().await;
    client
        .http
        .post(client.server.url(path))
        .header("x-csrf-token", csrf)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn moved(
    client: &Client<'_>,
    application: i64,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post_form(&format!("/applications/{application}/transitions"), fields)
        .await
}

/// IPA takes the application through its review to the committee.
pub async fn refer(server: &TestServer, application: i64) {
    let reviewer = Client::new(server);
    reviewer.sign_in("reviewer").await;
    for (t, reason) in [
        ("start_acceptance", ""),
        ("accept", ""),
        ("refer_to_committee", "baseline requirements met"),
    ] {
        let r = moved(
            &reviewer,
            application,
            &[("transition", t), ("reason", reason)],
        )
        .await;
        assert_eq!(r.status(), 303, "{t}");
    }
}

/// The committee registers; returns the registration's number.
pub async fn register(server: &TestServer, application: i64) -> String {
    let committee = Client::new(server);
    committee.sign_in("committee").await;
    let r = moved(
        &committee,
        application,
        &[("transition", "register"), ("reason", "運営委員会で決定")],
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    number_of(server, application).await
}

async fn number_of(server: &TestServer, application: i64) -> String {
    let (service, _) = saas_ids(server).await;
    ismap_store::registrations::of_service(&server.db, service)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.application_id == Some(application))
        .expect("registered")
        .number
}

/// Files an ISMAP application with `engagement` (入力 → 確認 → 完了) and
/// has it reviewed and registered; returns (application, number).
async fn registered(server: &TestServer, engagement: i64) -> (i64, String) {
    let (service, _) = saas_ids(server).await;
    let provider = provider(server).await;
    let application =
        confirm_and_file(&provider, service, application_form(engagement, true)).await;
    refer(server, application).await;
    (application, register(server, application).await)
}

/// A copy of `application` as another application of the service, waiting
/// for the committee: for `list`, renewing `renewal_of`. It stands for an
/// application that went through checks this file does not exercise (the
/// ISMAP-LIU gates belong to other areas) or, for the race, for a second
/// application the one-under-review rule would not let in today.
async fn copied_application(
    server: &TestServer,
    application: i64,
    list: &str,
    renewal_of: Option<i64>,
) -> i64 {
    let row = sqlx::query(
        "INSERT INTO applications (service_id, organization_id, list, statement_id, statement_revision, \
         engagement_id, report_issue, renewal_of, form, state, submitted_at, submitted_by, updated_at) \
         SELECT service_id, organization_id, $2, statement_id, statement_revision, engagement_id, \
         report_issue, $3, form, 'referred_to_committee', submitted_at, submitted_by, updated_at \
         FROM applications WHERE id = $1 RETURNING id",
    )
    .bind(application)
    .bind(list)
    .bind(renewal_of)
    .fetch_one(&server.db.pool)
    .await
    .unwrap();
    sqlx::Row::try_get(&row, "id").unwrap()
}

async fn feed(server: &TestServer) -> String {
    Client::new(server)
        .get("/lists/changes.atom")
        .await
        .text()
        .await
        .unwrap()
}

async fn listed_numbers(server: &TestServer, list: &str) -> Vec<String> {
    let v: Value = Client::new(server)
        .get(&format!("/api/v1/lists/{list}?per_page=1000"))
        .await
        .json()
        .await
        .unwrap();
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["number"].as_str().unwrap().to_owned())
        .collect()
}

/// The number with its renewal count one up: C26-0009-1 → C26-0009-2.
fn renewed(number: &str) -> String {
    let (stem, count) = number.rsplit_once('-').unwrap();
    format!("{stem}-{}", count.parse::<u32>().unwrap() + 1)
}

#[tokio::test]
async fn a_renewal_needs_a_newer_audit_and_stays_on_its_list() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, _) = saas_ids(&server).await;
        let first = issued_report(&server, "full", (1, 1), Y2024).await;
        let (_, number) = registered(&server, first).await;
        assert!(
            number.starts_with('C') && number.ends_with("-1"),
            "{backend:?}: {number}"
        );
        let provider = provider(&server).await;
        let form_page = provider
            .get(&format!("/services/{service}/apply"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            form_page.contains(&format!(
                "ISMAPクラウドサービスリスト: 現在の登録 {number} の更新申請になります"
            )),
            "{backend:?}: the form says what the application will be: {form_page}"
        );

        // The very same report again: refused, naming both period ends, in
        // Japanese, with the form as typed; nothing filed.
        let before = applications_of(&server).await;
        let same = post_page(
            &provider,
            &format!("/services/{service}/applications"),
            application_form(first, true).text("step", "confirm"),
        )
        .await;
        assert_eq!(same.status(), 422, "{backend:?}");
        let html = same.text().await.unwrap();
        assert!(
            html.contains(&format!(
                "更新申請には、前回の登録 {number} の監査期間の終わり（2025年3月31日）より後に終わる"
            )) && html.contains("選ばれた監査の監査期間は 2025年3月31日 に終わっています"),
            "{backend:?}: {html}"
        );
        assert!(
            html.contains("security@saas.example.jp") && html.contains("国内資本100%"),
            "{backend:?}: what was typed stays"
        );
        // An older period is refused the same way.
        let older = issued_report(&server, "full", (1, 1), Y2023).await;
        let refused = provider
            .post_multipart(
                &format!("/services/{service}/applications"),
                application_form(older, true).text("step", "confirm"),
            )
            .await;
        assert_eq!(refused.status(), 422, "{backend:?}");
        assert!(refused.text().await.unwrap().contains("2024年3月31日"));
        // In the provider's language.
        let _ = provider.get("/lang/en").await;
        let english = provider
            .post_multipart(
                &format!("/services/{service}/applications"),
                application_form(first, true).text("step", "confirm"),
            )
            .await;
        assert_eq!(english.status(), 422, "{backend:?}");
        let text = english.text().await.unwrap();
        assert!(
            text.contains(&format!(
                "A renewal needs the report of an audit period ending after the one of the previous registration {number} (31 Mar 2025)"
            )),
            "{backend:?}: {text}"
        );
        let _ = provider.get("/lang/ja").await;
        assert_eq!(applications_of(&server).await, before, "{backend:?}");

        // A newer audit period: a renewal, numbered -2 on the same list.
        let newer = issued_report(&server, "full", (1, 1), Y2025).await;
        let application = confirm_and_file(&provider, service, application_form(newer, true)).await;
        let filed = ismap_store::applications::get(&server.db, application)
            .await
            .unwrap();
        let previous = ismap_store::registrations::by_number(&server.db, &number)
            .await
            .unwrap();
        assert_eq!(filed.renewal_of, Some(previous.id), "{backend:?}");
        let page = provider
            .get(&format!("/applications/{application}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"application-renews\""), "{backend:?}");
        refer(&server, application).await;
        let second = register(&server, application).await;
        assert_eq!(second, renewed(&number), "{backend:?}");
        let ismap = listed_numbers(&server, "ismap").await;
        assert!(
            ismap.contains(&second) && !ismap.contains(&number),
            "{backend:?}: {ismap:?}"
        );
        assert!(
            listed_numbers(&server, "liu").await.is_empty(),
            "{backend:?}"
        );

        // The feed says what happened, in both languages.
        let atom = feed(&server).await;
        for words in [
            format!("ISMAPクラウドサービスリストに新規登録 {number}"),
            format!("ISMAPクラウドサービスリストの登録を更新 {number} → {second}"),
            format!("Renewal on the ISMAP cloud service list: {number} → {second}"),
        ] {
            assert!(atom.contains(&words), "{backend:?}: {words} in {atom}");
        }
    }
}

#[tokio::test]
async fn the_other_list_gets_its_own_number_and_the_first_registration_stays() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, _) = saas_ids(&server).await;
        let audit = issued_report(&server, "full", (1, 1), Y2025).await;
        let (application, ismap_number) = registered(&server, audit).await;
        let provider = provider(&server).await;
        let form_page = provider
            .get(&format!("/services/{service}/apply"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            form_page.contains(
                "ISMAP-LIUクラウドサービスリスト: このリストへの新規の登録申請になります"
            ),
            "{backend:?}: {form_page}"
        );
        // What filing decides for each list: a renewal on the ISMAP list, a
        // new registration on the LIU list.
        let db = &server.db;
        use ismap_domain::registration::ListKind;
        let on_ismap = ismap_store::registrations::current_on_list(db, service, ListKind::Ismap)
            .await
            .unwrap();
        assert_eq!(on_ismap.map(|r| r.number), Some(ismap_number.clone()));
        assert!(
            ismap_store::registrations::current_on_list(db, service, ListKind::Liu)
                .await
                .unwrap()
                .is_none()
        );

        // An ISMAP-LIU application of the same service (new there) is registered.
        let liu_application = copied_application(&server, application, "liu", None).await;
        let liu_number = register(&server, liu_application).await;
        assert!(
            liu_number.starts_with('L') && liu_number.ends_with("-0001-1"),
            "{backend:?}: the LIU list's own letter and serial: {liu_number}"
        );
        let first = ismap_store::registrations::by_number(db, &ismap_number)
            .await
            .unwrap();
        assert!(
            !first.superseded,
            "{backend:?}: the ISMAP registration stays"
        );

        // Item 9: each public list shows its own registrations only.
        let ismap = listed_numbers(&server, "ismap").await;
        let liu = listed_numbers(&server, "liu").await;
        assert!(ismap.contains(&ismap_number) && !ismap.contains(&liu_number));
        assert_eq!(liu, vec![liu_number.clone()], "{backend:?}");
        assert!(ismap.iter().all(|n| n.starts_with('C')), "{ismap:?}");
        let anonymous = Client::new(&server);
        for (path, status) in [
            (format!("/lists/ismap/{ismap_number}"), 200),
            (format!("/lists/liu/{liu_number}"), 200),
            (format!("/lists/liu/{ismap_number}"), 404),
            (format!("/lists/ismap/{liu_number}"), 404),
        ] {
            assert_eq!(
                anonymous.get(&path).await.status(),
                status,
                "{backend:?}: {path}"
            );
        }
        let liu_page = anonymous.get("/lists/liu").await.text().await.unwrap();
        assert!(liu_page.contains(&liu_number) && !liu_page.contains(&ismap_number));
        let ismap_page = anonymous.get("/lists/ismap").await.text().await.unwrap();
        assert!(ismap_page.contains(&ismap_number) && !ismap_page.contains(&liu_number));

        // The feed: a new registration on the LIU list, not a renewal.
        let atom = feed(&server).await;
        assert!(
            atom.contains(&format!(
                "ISMAP-LIUクラウドサービスリストに新規登録 {liu_number}"
            )),
            "{backend:?}: {atom}"
        );
        assert!(!atom.contains("登録を更新"), "{backend:?}: {atom}");

        // Each list now renews its own registration.
        let form_page = provider
            .get(&format!("/services/{service}/apply"))
            .await
            .text()
            .await
            .unwrap();
        assert!(form_page.contains(&format!("現在の登録 {ismap_number} の更新申請")));
        assert!(form_page.contains(&format!("現在の登録 {liu_number} の更新申請")));
    }
}

#[tokio::test]
async fn a_multi_year_audit_supports_only_a_renewal_whose_cycle_covers_every_control() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, _) = saas_ids(&server).await;
        let provider = provider(&server).await;
        let year_two = issued_report(&server, "multi_year", (2, 2), Y2025).await;

        // Not for a first registration.
        let first = post_page(
            &provider,
            &format!("/services/{service}/applications"),
            application_form(year_two, true).text("step", "confirm"),
        )
        .await;
        assert_eq!(first.status(), 422, "{backend:?}");
        let html = first.text().await.unwrap();
        assert!(
            html.contains(
                "複数年サイクルの監査は、ISMAPクラウドサービスリストの登録の更新にだけ使えます"
            ),
            "{backend:?}: {html}"
        );
        assert!(html.contains("security@saas.example.jp"));
        assert_eq!(applications_of(&server).await, 0, "{backend:?}");

        // Registered from a full audit two years earlier (outside the cycle).
        let full = issued_report(&server, "full", (1, 1), Y2023).await;
        let (_, number) = registered(&server, full).await;

        // Year 2 alone leaves year 1's control measures unaudited.
        let refused = provider
            .post_multipart(
                &format!("/services/{service}/applications"),
                application_form(year_two, true).text("step", "confirm"),
            )
            .await;
        assert_eq!(refused.status(), 422, "{backend:?}");
        let html = refused.text().await.unwrap();
        assert!(
            html.contains("複数年サイクルの監査を合わせても、管理策")
                && html.contains("件が監査されていません")
                && html.contains("ほか"),
            "{backend:?}: {html}"
        );
        assert_eq!(applications_of(&server).await, 1, "{backend:?}");

        // Year 1 reported: the cycle covers every control.
        issued_report(&server, "multi_year", (1, 2), Y2024).await;
        let application =
            confirm_and_file(&provider, service, application_form(year_two, true)).await;
        let reviewer = Client::new(&server);
        reviewer.sign_in("reviewer").await;
        let page = reviewer
            .get(&format!("/applications/{application}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("複数年サイクル（2 年のうち 2 年目）"),
            "{backend:?}: {page}"
        );
        assert!(
            page.contains("複数年サイクル（2 年のうち 1 年目）"),
            "{backend:?}"
        );
        assert!(
            !page.contains("2023年4月1日"),
            "{backend:?}: the old full audit is not part of the cycle"
        );
        assert!(
            page.contains("サイクルの監査を合わせて、管理策")
                && page.contains("id=\"cycle-covered\""),
            "{backend:?}"
        );
        refer(&server, application).await;
        assert_eq!(register(&server, application).await, renewed(&number));
    }
}

#[tokio::test]
async fn two_renewals_decided_at_once_make_one_registration() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, _) = saas_ids(&server).await;
        let first = issued_report(&server, "full", (1, 1), Y2024).await;
        let (_, number) = registered(&server, first).await;
        let previous = ismap_store::registrations::by_number(&server.db, &number)
            .await
            .unwrap();
        let newer = issued_report(&server, "full", (1, 1), Y2025).await;
        let provider = provider(&server).await;
        let a = confirm_and_file(&provider, service, application_form(newer, true)).await;
        refer(&server, a).await;
        let b = copied_application(&server, a, "ismap", Some(previous.id)).await;

        let committee = Client::new(&server);
        committee.sign_in("committee").await;
        let fields = [("transition", "register"), ("reason", "決定")];
        let (ra, rb) = tokio::join!(moved(&committee, a, &fields), moved(&committee, b, &fields));
        let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [303, 409], "{backend:?}");
        let history = ismap_store::registrations::of_service(&server.db, service)
            .await
            .unwrap();
        let renewals: Vec<&str> = history
            .iter()
            .filter(|r| r.renewal_of == Some(previous.id))
            .map(|r| r.number.as_str())
            .collect();
        assert_eq!(renewals, [renewed(&number).as_str()], "{backend:?}");
        assert_eq!(
            history.iter().filter(|r| !r.superseded).count(),
            1,
            "{backend:?}: one current registration on the list"
        );
        let mut states = Vec::new();
        for id in [a, b] {
            states.push(
                ismap_store::applications::get(&server.db, id)
                    .await
                    .unwrap()
                    .state
                    .key()
                    .to_owned(),
            );
        }
        states.sort();
        assert_eq!(
            states,
            ["referred_to_committee", "registered"],
            "{backend:?}: the refused decision wrote nothing"
        );
    }
}
