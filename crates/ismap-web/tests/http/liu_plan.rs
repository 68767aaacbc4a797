//! Issue 14 items 1 and 2: an ISMAP-LIU audit covers governance and
//! management every year and only the important control measures (seed
//! 001); the rest is the provider's internal audit. The important-control
//! set of the bundled excerpt is the system's assumption and says so.

use ismap_domain::audit::{Scope, plan_cycle};
use ismap_domain::audit_work::EngagementScope;
use ismap_web::testing::TestServer;

use crate::helpers::{BACKENDS, Client, assigned_engagement, server};

const CATALOG: &str = "ismap-2022-excerpt";

/// The demo provider engages the demo audit organization for year 1 of a
/// three-year ISMAP-LIU cycle; the manager assigns the auditor.
async fn liu_engagement(server: &TestServer) -> i64 {
    assigned_engagement(server, "liu", (1, 3), ("2025-04-01", "2026-03-31")).await
}

#[tokio::test]
async fn an_liu_engagement_records_results_only_for_its_external_scope() {
    let catalog = ismap_formats::bundled::default_catalog();
    assert_eq!(catalog.id(), CATALOG);
    let scope = Scope::Liu { years: 3 };
    let year_one = EngagementScope::new(scope, 1).unwrap().controls(catalog);
    // An important control measure of year 1, and one the plan leaves to the
    // internal audit.
    let important = year_one
        .iter()
        .find(|id| catalog.get(id.number()).is_some_and(|c| c.liu_important))
        .expect("year 1 audits an important control")
        .to_string();
    let internal = plan_cycle(catalog, scope)
        .internal_audit_only(catalog)
        .into_iter()
        .find(|id| id.level() == ismap_domain::Level::Detailed)
        .expect("a control measure left to the internal audit")
        .to_string();
    for backend in BACKENDS {
        let server = server(backend).await;
        let e = liu_engagement(&server).await;
        let auditor = Client::new(&server);
        auditor.sign_in("auditor").await;

        // The work list is the plan's year 1 and says what LIU leaves out.
        let page = auditor
            .get(&format!("/engagements/{e}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!("記録済み 0 / {}", year_one.len())),
            "{backend:?}: {page}"
        );
        assert!(page.contains("この監査はISMAP-LIUの範囲です"), "{page}");
        assert!(page.contains("事業者の内部監査で確認し"), "{page}");
        assert!(page.contains("本システムの仮定"), "{page}");

        // A control measure outside the important set: refused, said why,
        // nothing recorded.
        let refused = auditor
            .post_form(
                &format!("/engagements/{e}/results/{internal}"),
                &[
                    ("result", "conforming"),
                    ("performed", "設定を閲覧"),
                    ("seen", "0"),
                ],
            )
            .await;
        assert_eq!(refused.status(), 422, "{backend:?}");
        let text = refused.text().await.unwrap();
        assert!(
            text.contains(&format!(
                "{internal} はISMAP-LIUの外部監査の対象外です（重要な管理策ではないため、事業者の内部監査で確認します）"
            )),
            "{backend:?}: {text}"
        );
        // The API door refuses it too, in English.
        let api = auditor
            .post_body(
                &format!("/api/v1/engagements/{e}/results/{internal}"),
                "application/json",
                r#"{"result": "conforming", "performed": "inspection"}"#.into(),
            )
            .await;
        assert_eq!(api.status(), 422, "{backend:?}");
        let body = api.text().await.unwrap();
        assert!(
            body.contains("not in the ISMAP-LIU external audit scope"),
            "{backend:?}: {body}"
        );

        // An important control of year 1 and a governance control: recorded.
        for control in [important.as_str(), "3.1.2.1"] {
            let saved = auditor
                .post_form(
                    &format!("/engagements/{e}/results/{control}"),
                    &[
                        ("result", "conforming"),
                        ("performed", "設定を閲覧"),
                        ("seen", "0"),
                    ],
                )
                .await;
            assert_eq!(saved.status(), 303, "{backend:?} {control}");
        }
        let page = auditor
            .get(&format!("/engagements/{e}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!("記録済み 2 / {}", year_one.len())),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn the_planner_says_the_important_set_is_assumed_in_both_languages() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let visitor = Client::new(&server);
        let path = format!("/catalogs/{CATALOG}/audit-plan?scope=liu&years=3");
        let page = visitor.get(&path).await.text().await.unwrap();
        assert!(
            page.contains("ISMAP-LIUでは外部監査の対象範囲が縮小されます"),
            "{page}"
        );
        assert!(
            page.contains("この一覧は本システムの仮定であり、公式の一覧ではありません"),
            "{page}"
        );
        assert!(page.contains("事業者の内部監査で確認し"), "{page}");
        assert!(!page.contains("サイクル全体ですべての管理策が監査されます"));
        // The control's badge says the same.
        let control = visitor
            .get(&format!("/catalogs/{CATALOG}/controls/8.1.2.7.PB"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            control.contains("ISMAP-LIUの重要な管理策（本システムの仮定）"),
            "{control}"
        );

        let switched = visitor.get("/lang/en?next=/").await;
        assert!(switched.status().is_success() || switched.status().is_redirection());
        let page = visitor.get(&path).await.text().await.unwrap();
        assert!(
            page.contains("ISMAP-LIU reduces the external audit scope"),
            "{page}"
        );
        assert!(
            page.contains("this set is an assumption of this system, not an official list"),
            "{page}"
        );
        assert!(
            page.contains("internal audit covers them and reports them"),
            "{page}"
        );
        // A multi-year ISMAP cycle still covers every control.
        let ismap = visitor
            .get(&format!(
                "/catalogs/{CATALOG}/audit-plan?scope=multi_year&years=3"
            ))
            .await
            .text()
            .await
            .unwrap();
        assert!(!ismap.contains("internal audit covers them"), "{ismap}");
    }
}
