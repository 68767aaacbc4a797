//! The special measures service list (特別措置サービスリスト, spec §7.5):
//! hidden (404) from everyone outside government, kept by the Digital
//! Agency, entries after the deadline refused, CSV imports all or nothing,
//! ends race-safe, and never a trace of it on the public lists' shared
//! answers.

use ismap_domain::special_measures::{Exemptions, NewEntry, QualifyingEvent};
use ismap_store::special_measures as store;
use ismap_web::testing::TestServer;

use crate::helpers::{BACKENDS, Client, server};

const GOVERNMENT: &[&str] = &[
    "agency-a",
    "agency-a-ciso",
    "secretariat",
    "reviewer",
    "committee",
    "digital-agency",
];
const OUTSIDERS: &[&str] = &[
    "anonymous",
    "saas-admin",
    "auditor",
    "audit-manager",
    "iaas-admin",
];

async fn keeper_org(server: &TestServer) -> i64 {
    ismap_store::orgs::list(&server.db)
        .await
        .unwrap()
        .iter()
        .find(|o| o.kind == ismap_domain::OrgKind::DigitalAgency)
        .unwrap()
        .id
}

/// An entry made through the store (the setup, not the subject).
async fn entry(server: &TestServer, name: &str, provider: &str) -> i64 {
    let entry = NewEntry {
        service_name: name.into(),
        provider: provider.into(),
        event: QualifyingEvent::PreApplication,
        event_date: "2025-03-10".parse().unwrap(),
        exemptions: Exemptions {
            submissions: Some("内部監査報告書の一部".into()),
            external_audit: None,
        },
        period_start: "2025-04-01".parse().unwrap(),
        period_end: "2026-03-31".parse().unwrap(),
        note: String::new(),
    };
    let keeper = keeper_org(server).await;
    store::add(
        &server.db,
        &ismap_store::Actor::system("test"),
        keeper,
        &entry,
        None,
    )
    .await
    .unwrap()
    .id
}

async fn client<'a>(server: &'a TestServer, role: &str) -> Client<'a> {
    let client = Client::new(server);
    if role != "anonymous" {
        client.sign_in(role).await;
    }
    client
}

fn csv_form(name: &str, content: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(content.as_bytes().to_vec())
            .file_name(name.to_owned())
            .mime_str("text/csv")
            .unwrap(),
    )
}

/// The form the Digital Agency's page renders, filled in.
fn filled(event_date: &str) -> Vec<(&str, &str)> {
    vec![
        ("service_name", "勤怠クラウド"),
        ("provider", "株式会社サンプル勤怠"),
        ("service_id", ""),
        ("event", "pre_application"),
        ("event_date", event_date),
        ("submissions_exempt", "on"),
        ("submissions_detail", "内部監査報告書の一部"),
        ("audit_detail", ""),
        ("period_start", "2025-04-01"),
        ("period_end", "2026-03-31"),
        ("note", ""),
    ]
}

#[tokio::test]
async fn the_list_is_404_for_everyone_outside_government() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let id = entry(&server, "隠れた勤怠", "株式会社サンプル").await;
        for role in OUTSIDERS {
            let client = client(&server, role).await;
            for path in [
                "/special-measures".to_owned(),
                "/special-measures?q=%E5%8B%A4%E6%80%A0".to_owned(),
                "/special-measures.csv".to_owned(),
                format!("/special-measures/{id}"),
                "/special-measures/999999".to_owned(),
                "/special-measures/abc".to_owned(),
            ] {
                let response = client.get(&path).await;
                let what = format!("{backend:?} {role} GET {path}");
                assert_eq!(response.status(), 404, "{what}");
                assert!(response.headers().get("location").is_none(), "{what}");
                let body = response.text().await.unwrap();
                assert!(
                    body.contains("ページが見つかりません"),
                    "{what}: the plain 404 page"
                );
                assert!(!body.contains("特別措置"), "{what}");
                // Exactly the answer to an address that does not exist.
                let unknown = client
                    .get(&path.replace("special-measures", "no-such-page"))
                    .await;
                assert_eq!(unknown.status(), 404);
                let unknown = unknown.text().await.unwrap();
                assert_eq!(
                    body.replace("special-measures", "no-such-page"),
                    unknown,
                    "{what}"
                );
            }
            for (path, response) in [
                (
                    "add",
                    client
                        .post_form("/special-measures", &filled("2025-03-01"))
                        .await,
                ),
                (
                    "end",
                    client
                        .post_form(&format!("/special-measures/{id}/end"), &[("reason", "x")])
                        .await,
                ),
                (
                    "import",
                    client
                        .post_multipart(
                            "/special-measures/import",
                            csv_form("a.csv", "service_name\nx\n"),
                        )
                        .await,
                ),
                (
                    "import as a plain form",
                    client.post_form("/special-measures/import", &[]).await,
                ),
            ] {
                assert_eq!(response.status(), 404, "{backend:?} {role} POST {path}");
            }
            let home = client.get("/").await.text().await.unwrap();
            assert!(
                !home.contains("/special-measures"),
                "{backend:?} {role}: no link"
            );
        }
        // Nothing changed.
        assert!(!store::get(&server.db, id).await.unwrap().ended);
        assert_eq!(store::list(&server.db, None, true).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn government_bodies_see_it_and_only_the_digital_agency_changes_it() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let id = entry(&server, "見える勤怠", "株式会社サンプル").await;
        for role in GOVERNMENT {
            let client = client(&server, role).await;
            let what = format!("{backend:?} {role}");
            let list = client.get("/special-measures").await;
            assert_eq!(list.status(), 200, "{what}");
            assert_eq!(
                list.headers()["cache-control"],
                "private, no-store",
                "{what}"
            );
            let body = list.text().await.unwrap();
            assert!(body.contains("見える勤怠"), "{what}");
            assert_eq!(
                body.contains("id=\"special-add\""),
                *role == "digital-agency",
                "{what}: only the Digital Agency gets the form"
            );
            let found = client
                .get("/special-measures?q=%EF%BC%BF%E8%A6%8B%E3%81%88%E3%82%8B")
                .await;
            assert_eq!(found.status(), 200, "{what}");
            let shown = client.get(&format!("/special-measures/{id}")).await;
            assert_eq!(shown.status(), 200, "{what}");
            let csv = client.get("/special-measures.csv").await;
            assert_eq!(csv.status(), 200, "{what}");
            assert!(csv.text().await.unwrap().contains("見える勤怠"), "{what}");
            let home = client.get("/").await.text().await.unwrap();
            assert!(
                home.contains("id=\"special-measures-card\""),
                "{what}: dashboard card"
            );
            assert!(
                home.contains("href=\"/special-measures\""),
                "{what}: navigation"
            );
            if *role != "digital-agency" {
                let add = client
                    .post_form("/special-measures", &filled("2025-03-01"))
                    .await;
                assert_eq!(add.status(), 403, "{what} add");
                let end = client
                    .post_form(&format!("/special-measures/{id}/end"), &[("reason", "x")])
                    .await;
                assert_eq!(end.status(), 403, "{what} end");
                let import = client
                    .post_multipart("/special-measures/import", csv_form("a.csv", "x\n"))
                    .await;
                assert_eq!(import.status(), 403, "{what} import");
            }
        }
        assert!(!store::get(&server.db, id).await.unwrap().ended);
        assert_eq!(store::list(&server.db, None, true).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn an_entry_after_the_deadline_is_refused_next_to_its_field_keeping_what_was_typed() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let keeper = client(&server, "digital-agency").await;
        let page = keeper.get("/special-measures").await.text().await.unwrap();
        for (name, _) in filled("") {
            assert!(
                page.contains(&format!("name=\"{name}\"")),
                "the form has {name}"
            );
        }
        let late = keeper
            .post_form("/special-measures", &filled("2025-04-01"))
            .await;
        assert_eq!(late.status(), 422, "{backend:?}");
        let body = late.text().await.unwrap();
        let field = body.find("id=\"sm-event-date\"").expect("the date field");
        let error = body
            .find("id=\"sm-event-date-error\"")
            .expect("an error next to the date");
        assert!(error > field && error - field < 1200, "next to the field");
        assert!(
            body[error..].contains("2025年3月31日"),
            "{backend:?}: names the deadline"
        );
        assert!(
            body.contains("value=\"2025-04-01\""),
            "the date typed is kept"
        );
        assert!(
            body.contains("value=\"勤怠クラウド\""),
            "the name typed is kept"
        );
        assert!(
            body.contains("内部監査報告書の一部"),
            "the description typed is kept"
        );
        assert!(
            store::list(&server.db, None, true)
                .await
                .unwrap()
                .is_empty()
        );
        // In English too.
        let english = keeper
            .post_form("/special-measures?lang=en", &filled("2025-04-01"))
            .await;
        assert!(english.text().await.unwrap().contains("after the deadline"));
        // On the deadline: added, with its history.
        let added = keeper
            .post_form("/special-measures", &filled("2025-03-31"))
            .await;
        assert_eq!(added.status(), 303, "{backend:?}");
        let location = added.headers()["location"].to_str().unwrap().to_owned();
        let shown = keeper.get(&location).await.text().await.unwrap();
        assert!(shown.contains("勤怠クラウド") && shown.contains("id=\"special-history\""));
        assert!(shown.contains("id=\"special-end\""));
    }
}

const GOOD_CSV: &str = "\u{feff}サービス名,事業者名,適用要件,適用要件の日付,提出物の一部免除,提出物の免除内容,外部監査の一部免除,外部監査の免除内容,適用開始日,適用終了日,備考\n\
    勤怠クラウド,株式会社サンプル,事前申請,2025-03-31,はい,内部監査報告書,いいえ,,2025-04-01,2026-03-31,\n\
    会計クラウド,サンプル商事,登録申請,2025-01-15,いいえ,,はい,\"統制目標 5.1, 5.2\",2025-04-01,2026-03-31,=HYPERLINK(\"x\")\n\
    経費クラウド,サンプル経費,事前申請,2024-12-01,いいえ,,いいえ,,2025-04-01,2026-09-30,\n";

#[tokio::test]
async fn a_csv_import_is_all_or_nothing() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let keeper = client(&server, "digital-agency").await;
        let page = keeper.get("/special-measures").await.text().await.unwrap();
        assert!(
            page.contains("action=\"/special-measures/import\"") && page.contains("name=\"file\"")
        );
        // One bad row (line 3: a date after the deadline): nothing imported.
        let bad = GOOD_CSV.replace("2025-01-15", "2025-04-02");
        let refused = keeper
            .post_multipart("/special-measures/import", csv_form("list.csv", &bad))
            .await;
        assert_eq!(refused.status(), 422, "{backend:?}");
        let body = refused.text().await.unwrap();
        assert!(
            body.contains("3 行目「適用要件の日付」"),
            "{backend:?}: {body}"
        );
        assert!(
            store::list(&server.db, None, true)
                .await
                .unwrap()
                .is_empty()
        );
        // An unknown column names itself, in English too.
        let unknown = keeper
            .post_multipart(
                "/special-measures/import?lang=en",
                csv_form("list.csv", "service_name,colour\nx,y\n"),
            )
            .await;
        assert_eq!(unknown.status(), 422);
        let body = unknown.text().await.unwrap();
        assert!(body.contains("Line 1") && body.contains("colour"), "{body}");
        // The good file: every row.
        let imported = keeper
            .post_multipart("/special-measures/import", csv_form("list.csv", GOOD_CSV))
            .await;
        assert_eq!(imported.status(), 200, "{backend:?}");
        let to = imported.headers()["hx-redirect"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(to, "/special-measures?imported=3");
        assert!(
            keeper
                .get(&to)
                .await
                .text()
                .await
                .unwrap()
                .contains("3 件を取り込みました")
        );
        let entries = store::list(&server.db, None, true).await.unwrap();
        assert_eq!(entries.len(), 3, "{backend:?}");
        assert!(entries.iter().all(|e| e.source == "import"));
        // The export is formula-safe and can be imported again.
        let csv = keeper
            .get("/special-measures.csv")
            .await
            .text()
            .await
            .unwrap();
        assert!(csv.contains("'=HYPERLINK"), "{csv}");
        assert!(csv.starts_with("\u{feff}サービス名,事業者名"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_concurrent_ends_one_wins() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let id = entry(&server, "競合勤怠", "株式会社サンプル").await;
        let first = client(&server, "digital-agency").await;
        let second = client(&server, "digital-agency").await;
        let path = format!("/special-measures/{id}/end");
        // An empty reason is refused next to the field, nothing ended.
        let empty = first.post_form(&path, &[("reason", " ")]).await;
        assert_eq!(empty.status(), 422);
        assert!(
            empty
                .text()
                .await
                .unwrap()
                .contains("id=\"sm-reason-error\"")
        );
        let (a, b) = tokio::join!(
            first.post_form(&path, &[("reason", "ISMAP-LIUに登録された")]),
            second.post_form(&path, &[("reason", "申請が取り下げられた")]),
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [303, 409], "{backend:?}");
        let history = store::history(&server.db, id).await.unwrap();
        assert_eq!(
            history
                .iter()
                .filter(|e| e.action == "special_measure.end")
                .count(),
            1
        );
        assert!(store::get(&server.db, id).await.unwrap().ended);
        let shown = first
            .get(&format!("/special-measures/{id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !shown.contains("id=\"special-end\""),
            "an ended entry offers no end"
        );
    }
}

#[tokio::test]
async fn the_public_lists_never_show_it_to_visitors() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let listed = ismap_store::registrations::by_number(&server.db, "C21-0008-2")
            .await
            .unwrap();
        entry(&server, &listed.name, &listed.provider).await;
        let agency = client(&server, "agency-a").await;
        let visitor = client(&server, "anonymous").await;
        let entry_path = "/lists/ismap/C21-0008-2";
        for round in 0..2 {
            for path in ["/lists/liu", "/lists/ismap", entry_path] {
                let seen = agency.get(path).await;
                assert_eq!(seen.headers()["cache-control"], "private, no-store");
                let body = seen.text().await.unwrap();
                assert!(
                    body.contains("href=\"/special-measures\""),
                    "{backend:?} {path}"
                );
                if path == entry_path {
                    assert!(body.contains("special-beside-heading"), "{path}");
                    assert!(body.contains(&listed.name), "{path}");
                }
                // The visitor asks right after (the list cache is warm).
                let public = visitor.get(path).await;
                assert_eq!(public.status(), 200);
                assert!(
                    public.headers()["cache-control"]
                        .to_str()
                        .unwrap()
                        .starts_with("public"),
                    "{path}"
                );
                let body = public.text().await.unwrap();
                assert!(
                    !body.contains("special-measures") && !body.contains("特別措置"),
                    "{backend:?} round {round} {path}: leaked to a visitor"
                );
            }
        }
        // Providers do not see it on the lists either.
        let provider = client(&server, "saas-admin").await;
        let body = provider.get(entry_path).await.text().await.unwrap();
        assert!(!body.contains("special-measures") && !body.contains("特別措置"));
    }
}
