//! Issue 13, dead ends and dashboards: the statement pages' titles, the
//! read-only statement view for IPA and the steering committee, and the
//! dashboards' counts checked against the database for each role.

use ismap_domain::review::{ApplicationState, Transition};
use ismap_domain::{ServiceModel, audit_work::AuditResult};
use ismap_store::applications::{self, Application};
use ismap_store::{Actor, engagements, orgs, services, statements, users};
use ismap_web::testing::TestServer;

use crate::helpers::{BACKENDS, Client, example_statement, page_csrf, saas_ids, server};

const DEFICIENT: &str = "8.1.2.7.PB";
const DEFICIENCY_FINDING: &str = "顧客管理鍵が2テナントに提供されていなかった";

fn actor() -> Actor {
    Actor::system("review test setup")
}

/// The demo SaaS statement frozen, audited (every control conforming but
/// [`DEFICIENT`]), the report issued and an application filed with it:
/// everything through the store (the audit and registration tests cover
/// how they are made over HTTP).
pub async fn submitted(server: &TestServer) -> Application {
    use ismap_domain::audit::Scope;
    use ismap_domain::audit_work::EngagementScope;
    use ismap_formats::audit_report::{RecordedResult, ReportInput, snapshot};

    let db = &server.db;
    let (service, statement) = saas_ids(server).await;
    let statement = statements::get(db, statement).await.unwrap();
    let statement = statements::set_status(db, &actor(), &statement, "frozen", "review test")
        .await
        .unwrap();
    let audit_org = orgs::find_by_name(db, "サンプル監査法人")
        .await
        .unwrap()
        .unwrap();
    let engagement = engagements::create(
        db,
        &actor(),
        engagements::NewEngagement {
            statement_id: statement.id,
            revision: statement.latest_revision,
            csp_organization_id: statement.organization_id,
            audit_organization_id: audit_org.id,
            period_start: "2025-04-01".parse().unwrap(),
            period_end: "2026-03-31".parse().unwrap(),
            scope: "full",
            cycle_years: 1,
            cycle_year: 1,
        },
    )
    .await
    .unwrap();
    let auditor = users::find_for_sign_in(db, "auditor")
        .await
        .unwrap()
        .unwrap()
        .0;
    let engagement = engagements::assign_auditor(db, &actor(), &engagement, auditor.id)
        .await
        .unwrap();
    let catalog = &ismap_formats::bundled::bundled_catalogs()[0];
    let revision = statements::revision_at(db, statement.id, statement.latest_revision)
        .await
        .unwrap();
    let parsed = ismap_formats::statement_file::parse_statement("s", &revision.content)
        .unwrap()
        .statement;
    let controls = EngagementScope::new(Scope::Full, 1)
        .unwrap()
        .controls(catalog);
    let report = snapshot(
        &ReportInput {
            engagement: engagement.id,
            service: &engagement.service_name,
            provider: &engagement.csp_name,
            audit_organization: &engagement.audit_organization_name,
            auditors: vec!["監査人".into()],
            catalog,
            statement: &parsed,
            statement_id: statement.id,
            revision: statement.latest_revision,
            period: ("2025-04-01".into(), "2026-03-31".into()),
            scope: "full",
            cycle: (1, 1),
            controls: &controls,
        },
        |id| {
            Some(if id.to_string() == DEFICIENT {
                RecordedResult {
                    performed: "鍵管理画面の閲覧",
                    result: AuditResult::Deficiency,
                    finding: DEFICIENCY_FINDING,
                    samples: "",
                }
            } else {
                RecordedResult {
                    performed: "inspection",
                    result: AuditResult::Conforming,
                    finding: "",
                    samples: "",
                }
            })
        },
    );
    let issued = engagements::issue_report(
        db,
        &actor(),
        &engagement,
        &serde_json::to_value(&report).unwrap(),
        "",
    )
    .await
    .unwrap();
    file_application(server, service, &statement, engagement.id, issued.issue).await
}

async fn file_application(
    server: &TestServer,
    service: i64,
    statement: &statements::StatementRecord,
    engagement: i64,
    report_issue: i64,
) -> Application {
    applications::submit(
        &server.db,
        &ismap_store::vault::MasterKey::generate(),
        &actor(),
        applications::NewApplication {
            service_id: service,
            organization_id: statement.organization_id,
            list: ismap_domain::registration::ListKind::Ismap,
            statement_id: statement.id,
            statement_revision: statement.latest_revision,
            engagement_id: engagement,
            report_issue,
            renewal_of: None,
            form: &serde_json::json!({"service_name_en": "Example Document SaaS"}),
        },
        Vec::new(),
    )
    .await
    .unwrap()
}

/// A second statement of the demo SaaS, in no application.
async fn unsubmitted_statement(server: &TestServer) -> i64 {
    let (service, statement) = saas_ids(server).await;
    let first = statements::get(&server.db, statement).await.unwrap();
    statements::create(
        &server.db,
        &actor(),
        service,
        first.organization_id,
        &first.catalog_id,
        statements::NewRevision {
            content: &example_statement(),
            comment: "review test: not submitted",
            errors: 0,
            warnings: 0,
        },
    )
    .await
    .unwrap()
    .id
}

/// The text of the page's `<title>`.
fn title(html: &str) -> &str {
    let start = html.find("<title>").expect("a <title>") + "<title>".len();
    let end = start + html[start..].find("</title>").expect("</title>");
    &html[start..end]
}

fn assert_clean_title(what: &str, html: &str) {
    let token = page_csrf(html).expect("the page carries a CSRF token");
    let title = title(html);
    assert!(!title.contains('<'), "{what}: markup in <title>: {title:?}");
    assert!(
        !title.contains(&token),
        "{what}: the CSRF token is in <title>: {title:?}"
    );
    assert!(!title.trim().is_empty(), "{what}: empty <title>");
}

/// The draft statement page's `<title>` once held the import form, CSRF
/// token included: no state of a statement page may put markup there.
#[tokio::test]
async fn statement_page_titles_carry_no_markup_or_token() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (_, statement) = saas_ids(&server).await;
        let editor = Client::new(&server);
        editor.sign_in("saas-editor").await;
        let draft = editor.get(&format!("/statements/{statement}")).await;
        assert_eq!(draft.status(), 200);
        let html = draft.text().await.unwrap();
        assert!(
            html.contains(&format!("/statements/{statement}/import")),
            "the draft page offers the import form"
        );
        assert_clean_title(&format!("{backend:?} draft"), &html);

        let application = submitted(&server).await;
        let frozen = editor.get(&format!("/statements/{statement}")).await;
        assert_eq!(frozen.status(), 200);
        assert_clean_title(
            &format!("{backend:?} frozen"),
            &frozen.text().await.unwrap(),
        );

        let reviewer = Client::new(&server);
        reviewer.sign_in("reviewer").await;
        for path in [
            format!("/statements/{}", application.statement_id),
            format!("/statements/{}/chapters/8", application.statement_id),
        ] {
            let page = reviewer.get(&path).await;
            assert_eq!(page.status(), 200, "{path}");
            assert_clean_title(&format!("{backend:?} {path}"), &page.text().await.unwrap());
        }
    }
}

/// IPA and the committee read a submitted statement: the tree by criteria
/// and chapter, a chapter's decisions, individual controls, findings and
/// audit results; no edit control; nobody else does.
#[tokio::test]
async fn reviewers_read_a_submitted_statement_and_nothing_else() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let application = submitted(&server).await;
        let statement = application.statement_id;
        let other = unsubmitted_statement(&server).await;
        let view = format!("/statements/{statement}");
        let chapter = format!("/statements/{statement}/chapters/8");

        for role in ["reviewer", "committee"] {
            let client = Client::new(&server);
            client.sign_in(role).await;
            let page = client.get(&view).await;
            assert_eq!(page.status(), 200, "{backend:?} {role} {view}");
            let html = page.text().await.unwrap();
            for text in [
                "閲覧のみ",
                "ガバナンス基準",
                "マネジメント基準",
                "管理策基準",
                "id=\"chapter-8\"",
                &format!("href=\"/applications/{}\"", application.id),
                &format!("hx-get=\"{chapter}\""),
            ] {
                assert!(
                    html.contains(text),
                    "{backend:?} {role}: no {text:?} on {view}"
                );
            }
            for edit in [
                "/edit\"",
                "/import\"",
                "/freeze\"",
                "/controls/",
                "<select",
                "<textarea",
            ] {
                assert!(
                    !html.contains(edit),
                    "{backend:?} {role}: an edit control ({edit}) on the read-only view"
                );
            }

            // A chapter, as htmx loads it into the opened <details>.
            let fragment = client
                .http
                .get(server.url(&chapter))
                .header("hx-request", "true")
                .send()
                .await
                .unwrap();
            assert_eq!(fragment.status(), 200, "{backend:?} {role} {chapter}");
            let html = fragment.text().await.unwrap();
            assert!(!html.contains("<html"), "a fragment, not a page");
            let row = control_article(&html, "rc-8-1-2-7-PB");
            for text in [
                DEFICIENT,
                "decision-implemented\">実施</span>",
                "result-deficiency badge-error\">不備</span>",
                DEFICIENCY_FINDING,
                "個別管理策",
                "監査結果",
            ] {
                assert!(
                    row.contains(text),
                    "{backend:?} {role}: {text:?} missing in\n{row}"
                );
            }
            for raw in [">implemented<", ">deficiency<", ">selected<"] {
                assert!(!html.contains(raw), "{backend:?}: raw enum {raw} shown");
            }
            assert!(!html.contains("<form"), "no form in a chapter");
            // The same chapter as a page of its own (without JavaScript).
            let page = client.get(&chapter).await;
            assert_eq!(page.status(), 200);
            assert!(page.text().await.unwrap().contains("rc-8-1-2-7-PB"));
            assert_eq!(
                client
                    .get(&format!("/statements/{statement}/chapters/99"))
                    .await
                    .status(),
                404,
                "{backend:?} {role}: a chapter the catalog lacks"
            );
            assert_eq!(
                client
                    .get(&format!("/statements/{statement}/chapters/x"))
                    .await
                    .status(),
                404
            );

            // A statement in no application stays hidden.
            for path in [
                format!("/statements/{other}"),
                format!("/statements/{other}/chapters/8"),
            ] {
                assert_eq!(
                    client.get(&path).await.status(),
                    404,
                    "{backend:?} {role} {path}: not part of an application"
                );
            }
        }

        // The reviewer's service page lists the submitted statement only,
        // and the chapter reads in English too.
        let reviewer = Client::new(&server);
        reviewer.sign_in("reviewer").await;
        let service = reviewer
            .get(&format!("/services/{}", application.service_id))
            .await
            .text()
            .await
            .unwrap();
        assert!(service.contains(&format!("href=\"/statements/{statement}\"")));
        assert!(!service.contains(&format!("href=\"/statements/{other}\"")));
        reviewer.get(&format!("/lang/en?next={chapter}")).await;
        let english = reviewer
            .http
            .get(server.url(&chapter))
            .header("hx-request", "true")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let row = control_article(&english, "rc-8-1-2-7-PB");
        assert!(
            row.contains(">Implemented<") && row.contains(">Deficiency<"),
            "{row}"
        );

        // Other organizations: as if the statement did not exist.
        for role in [
            "iaas-admin",
            "auditor",
            "audit-manager",
            "agency-a",
            "secretariat",
        ] {
            let client = Client::new(&server);
            client.sign_in(role).await;
            for path in [&view, &chapter] {
                assert_eq!(
                    client.get(path).await.status(),
                    404,
                    "{backend:?} {role} {path}"
                );
            }
        }
        // The provider keeps its own page and editor; the reviewers' chapter
        // view is not for it.
        let provider = Client::new(&server);
        provider.sign_in("saas-editor").await;
        let own = provider.get(&view).await;
        assert_eq!(own.status(), 200);
        assert!(own.text().await.unwrap().contains("/edit\""));
        assert_eq!(provider.get(&chapter).await.status(), 403);
        // Not signed in: sign in first.
        let anonymous = Client::new(&server);
        let status = anonymous.get(&view).await.status().as_u16();
        assert!(matches!(status, 303 | 401), "{status}");
    }
}

/// The `<article>` of control `anchor` in a chapter.
fn control_article<'h>(html: &'h str, anchor: &str) -> &'h str {
    let start = html
        .find(&format!("id=\"{anchor}\""))
        .unwrap_or_else(|| panic!("no {anchor} in\n{html}"));
    let end = start + html[start..].find("</article>").expect("</article>");
    &html[start..end]
}

/// The number shown in the element `id` (`<p id="x">3</p>`, `<a id="x" …>3</a>`).
fn count_at(html: &str, id: &str) -> usize {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element {id} on the dashboard"));
    let rest = &html[at..];
    let text = &rest[rest.find('>').unwrap() + 1..];
    let text = &text[..text.find('<').unwrap()];
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{id} shows {text:?}, not a number"))
}

/// A new service of the demo SaaS provider.
async fn another_service(server: &TestServer, name: &str) -> i64 {
    let (_, statement) = saas_ids(server).await;
    let org = statements::get(&server.db, statement)
        .await
        .unwrap()
        .organization_id;
    services::create(
        &server.db,
        &actor(),
        services::NewService {
            organization_id: org,
            name,
            model: ServiceModel::SaaS,
            description: "",
            url: "",
            registration_number: None,
        },
    )
    .await
    .unwrap()
    .id
}

async fn moved(
    server: &TestServer,
    application: &Application,
    transition: Transition,
    to: ApplicationState,
) -> Application {
    applications::transition(
        &server.db,
        &actor(),
        application,
        transition,
        to,
        "test",
        None,
    )
    .await
    .unwrap()
}

/// Every dashboard count is the database's: the committee's agenda, IPA's
/// queue, the provider's open questions, the secretariat's pipeline and
/// lists; the agency's interim measures (issue 15); visitors find the
/// lists.
#[tokio::test]
async fn dashboards_count_what_the_database_holds() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let db = &server.db;
        // Three applications: one referred to the committee, one waiting for
        // IPA, one with two questions of which one is answered.
        let referred = submitted(&server).await;
        let referred = moved(
            &server,
            &referred,
            Transition::ReferToCommittee,
            ApplicationState::ReferredToCommittee,
        )
        .await;
        let statement = statements::get(db, referred.statement_id).await.unwrap();
        let second = another_service(&server, "審査待ちのサービス").await;
        let waiting = file_application(
            &server,
            second,
            &statement,
            referred.engagement_id,
            referred.report_issue,
        )
        .await;
        let third = another_service(&server, "質問中のサービス").await;
        let asked = file_application(
            &server,
            third,
            &statement,
            referred.engagement_id,
            referred.report_issue,
        )
        .await;
        let asked = applications::request_information(
            db,
            &actor(),
            &asked,
            &[
                (
                    "鍵の消去手順を示してください。".to_owned(),
                    "2099-02-28".parse().unwrap(),
                ),
                (
                    "委託先の一覧を示してください。".to_owned(),
                    "2099-03-31".parse().unwrap(),
                ),
            ],
            "test",
        )
        .await
        .unwrap();
        let questions = applications::questions(db, asked.id).await.unwrap();
        applications::answer(
            db,
            &ismap_store::vault::MasterKey::generate(),
            &actor(),
            &asked,
            questions[0].id,
            "暗号化消去を行います。",
            None,
        )
        .await
        .unwrap();

        let all = applications::list(db, None).await.unwrap();
        let count =
            |wanted: &dyn Fn(&Application) -> bool| all.iter().filter(|a| wanted(a)).count();

        // The committee: its agenda, linked to each application.
        let committee = Client::new(&server);
        committee.sign_in("committee").await;
        let html = committee.get("/").await.text().await.unwrap();
        let agenda = count(&|a| a.state == ApplicationState::ReferredToCommittee);
        assert_eq!(agenda, 1);
        assert_eq!(
            count_at(&html, "stat-agenda"),
            agenda,
            "{backend:?} committee"
        );
        assert!(html.contains("href=\"#agenda\"") && html.contains("id=\"agenda\""));
        assert!(html.contains(&format!("href=\"/applications/{}\"", referred.id)));
        assert!(!html.contains(&format!("href=\"/applications/{}\"", waiting.id)));

        // IPA: its queue.
        let reviewer = Client::new(&server);
        reviewer.sign_in("reviewer").await;
        let html = reviewer.get("/").await.text().await.unwrap();
        let queue = count(&|a| a.state.is_with_reviewer());
        assert_eq!(queue, 1);
        assert_eq!(count_at(&html, "stat-queue"), queue, "{backend:?} reviewer");
        assert!(html.contains(&format!("href=\"/applications/{}\"", waiting.id)));

        // The provider: the open question as a task, with its due date.
        let provider = Client::new(&server);
        provider.sign_in("saas-admin").await;
        let html = provider.get("/").await.text().await.unwrap();
        let mut open = Vec::new();
        for a in all.iter().filter(|a| !a.state.is_final()) {
            for q in applications::questions(db, a.id).await.unwrap() {
                if q.answer.is_none() {
                    open.push(q);
                }
            }
        }
        assert_eq!(open.len(), 1);
        assert_eq!(
            count_at(&html, "stat-questions"),
            open.len(),
            "{backend:?} provider"
        );
        assert!(html.contains(&format!(
            "href=\"/applications/{}#q-{}\"",
            asked.id, open[0].id
        )));
        assert!(html.contains("2099年3月31日") && html.contains("委託先の一覧を示してください。"));
        assert!(
            !html.contains("鍵の消去手順を示してください。"),
            "an answered question is no task"
        );
        let org = referred.organization_id;
        let own_services = services::list(db, Some(org)).await.unwrap().len();
        assert_eq!(
            count_at(&html, "stat-services"),
            own_services,
            "{backend:?} provider"
        );
        let own_engagements = engagements::list_for_organization(db, org).await.unwrap();
        let mut open_measures = 0;
        for e in &own_engagements {
            open_measures += ismap_store::improvement::items(db, e.id)
                .await
                .unwrap()
                .iter()
                .filter(|i| i.status.is_open())
                .count();
        }
        assert_eq!(count_at(&html, "stat-improvements"), open_measures);
        // Another provider has none.
        let other = Client::new(&server);
        other.sign_in("iaas-admin").await;
        let html = other.get("/").await.text().await.unwrap();
        assert_eq!(count_at(&html, "stat-questions"), 0);

        // The audit organization: the auditor its assigned engagements,
        // the manager all of its organization's.
        let engagement = engagements::get(db, referred.engagement_id).await.unwrap();
        let of_audit_org = engagements::list_for_organization(db, engagement.audit_organization_id)
            .await
            .unwrap();
        let auditor_id = users::find_for_sign_in(db, "auditor")
            .await
            .unwrap()
            .unwrap()
            .0
            .id;
        for (role, expected) in [
            (
                "auditor",
                of_audit_org
                    .iter()
                    .filter(|e| e.is_assigned(auditor_id))
                    .count(),
            ),
            ("audit-manager", of_audit_org.len()),
        ] {
            assert!(expected > 0);
            let client = Client::new(&server);
            client.sign_in(role).await;
            let html = client.get("/").await.text().await.unwrap();
            assert_eq!(
                count_at(&html, "stat-engagements"),
                expected,
                "{backend:?} {role}"
            );
        }

        // The secretariat: the pipeline by state and the lists, linked.
        let secretariat = Client::new(&server);
        secretariat.sign_in("secretariat").await;
        let html = secretariat.get("/").await.text().await.unwrap();
        assert!(html.contains("id=\"pipeline-heading\"") && html.contains("id=\"listed-heading\""));
        for state in ApplicationState::ALL {
            let id = format!("pipeline-{}", state.key());
            assert_eq!(
                count_at(&html, &id),
                count(&|a| a.state == state),
                "{backend:?} {id}"
            );
            // The count links to the applications in that state.
            let href = format!("/applications?state={}", state.key());
            assert!(
                html.contains(&format!("id=\"{id}\" href=\"{href}\"")),
                "{backend:?} {id} links to {href}"
            );
            let listed = secretariat.get(&href).await.text().await.unwrap();
            assert_eq!(
                listed.matches("<tr><td><a href=\"/applications/").count(),
                count(&|a| a.state == state),
                "{backend:?} {href} lists the applications counted"
            );
        }
        let refused = secretariat.get("/applications?state=nonsense").await;
        assert_eq!(refused.status(), 422, "{backend:?}");
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("状態「nonsense」はありません"),
            "{backend:?}"
        );
        let today = ismap_web::today();
        for list in ismap_domain::registration::ListKind::ALL {
            for (id, expiring, href) in [
                (
                    format!("listed-{}", list.key()),
                    None,
                    format!("/lists/{}", list.key()),
                ),
                (
                    format!("expiring-{}", list.key()),
                    Some(90),
                    format!("/lists/{}?expiring=90", list.key()),
                ),
            ] {
                let (total, _) = ismap_store::registrations::public_list(
                    db,
                    &ismap_store::registrations::ListQuery {
                        list,
                        text: None,
                        model: None,
                        status: None,
                        expiring_within: expiring,
                        sort: ismap_store::registrations::Sort::Number,
                        descending: false,
                        page: 1,
                        per_page: 10,
                    },
                    today,
                )
                .await
                .unwrap();
                assert_eq!(count_at(&html, &id) as i64, total, "{backend:?} {id}");
                assert!(
                    html.contains(&format!("id=\"{id}\" href=\"{href}\"")),
                    "{id} links to {href}"
                );
            }
        }
        let organizations = orgs::list(db).await.unwrap().len();
        assert_eq!(count_at(&html, "stat-organizations"), organizations);

        // The agency: its interim measures (issue 15) counted from the
        // database, and the lists.
        let agency = Client::new(&server);
        agency.sign_in("agency-a").await;
        let html = agency.get("/").await.text().await.unwrap();
        assert!(
            html.contains("id=\"interim-card\""),
            "{backend:?} agency: {html}"
        );
        let agency_row = sqlx::query(
            "SELECT m.organization_id FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE u.username = 'agency-a'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        let agency_org: i64 = sqlx::Row::try_get(&agency_row, "organization_id").unwrap();
        let measures = ismap_store::interim::list(db, Some(agency_org))
            .await
            .unwrap();
        let open = measures
            .iter()
            .filter(|m| matches!(m.state.key(), "open" | "applied"))
            .count();
        assert_eq!(count_at(&html, "stat-interim-open"), open, "{backend:?}");
        assert!(html.contains("href=\"/lists/ismap\"") && html.contains("href=\"/lists/liu\""));

        // A visitor: the lists from the home page.
        let visitor = Client::new(&server);
        let html = visitor.get("/").await.text().await.unwrap();
        assert!(html.contains("id=\"lists-card\""));
        assert!(html.contains("href=\"/lists/ismap\"") && html.contains("href=\"/lists/liu\""));
    }
}

/// A full-size statement (1,159 controls): the view's first answer carries
/// the tree's chapters closed, not the controls, so it stays small; each
/// chapter brings exactly its own controls. Sizes, not times, are checked
/// (the times are printed for the record). One backend: the sizes do not
/// depend on it.
#[tokio::test]
async fn the_view_of_a_full_size_statement_loads_by_chapter() {
    use ismap_domain::audit::Scope;
    use ismap_domain::audit_work::EngagementScope;
    use ismap_domain::synthetic::{UNDERLYING, full_size_catalog, full_size_statement};
    use ismap_formats::audit_report::{RecordedResult, ReportInput, snapshot};

    let catalog = full_size_catalog();
    assert_eq!(catalog.controls().len(), 1159);
    let server = ismap_web::testing::spawn_with(
        ismap_store::Backend::Sqlite,
        ismap_web::Config {
            packs: vec![(
                "synthetic".into(),
                ismap_formats::catalog_pack::to_yaml(&catalog),
            )],
            ..ismap_web::Config::default()
        },
    )
    .await;
    let db = &server.db;
    let (_, demo_statement) = saas_ids(&server).await;
    let org = statements::get(db, demo_statement)
        .await
        .unwrap()
        .organization_id;
    let service = services::create(
        db,
        &actor(),
        services::NewService {
            organization_id: org,
            name: "Full-size SaaS",
            model: ServiceModel::SaaS,
            description: "",
            url: "",
            registration_number: Some(UNDERLYING),
        },
    )
    .await
    .unwrap()
    .id;
    let statement = full_size_statement(&catalog);
    let content = ismap_formats::statement_write::to_yaml(&statement);
    let record = statements::create(
        db,
        &actor(),
        service,
        org,
        catalog.id(),
        statements::NewRevision {
            content: &content,
            comment: "full size",
            errors: 0,
            warnings: 0,
        },
    )
    .await
    .unwrap();
    let record = statements::set_status(db, &actor(), &record, "frozen", "full size")
        .await
        .unwrap();
    let audit_org = orgs::find_by_name(db, "サンプル監査法人")
        .await
        .unwrap()
        .unwrap();
    let engagement = engagements::create(
        db,
        &actor(),
        engagements::NewEngagement {
            statement_id: record.id,
            revision: record.latest_revision,
            csp_organization_id: org,
            audit_organization_id: audit_org.id,
            period_start: "2025-04-01".parse().unwrap(),
            period_end: "2026-03-31".parse().unwrap(),
            scope: "full",
            cycle_years: 1,
            cycle_year: 1,
        },
    )
    .await
    .unwrap();
    let controls = EngagementScope::new(Scope::Full, 1)
        .unwrap()
        .controls(&catalog);
    let report = snapshot(
        &ReportInput {
            engagement: engagement.id,
            service: &engagement.service_name,
            provider: &engagement.csp_name,
            audit_organization: &engagement.audit_organization_name,
            auditors: vec![],
            catalog: &catalog,
            statement: &statement,
            statement_id: record.id,
            revision: record.latest_revision,
            period: ("2025-04-01".into(), "2026-03-31".into()),
            scope: "full",
            cycle: (1, 1),
            controls: &controls,
        },
        |_| {
            Some(RecordedResult {
                performed: "inspection",
                result: AuditResult::Conforming,
                finding: "",
                samples: "",
            })
        },
    );
    let issued = engagements::issue_report(
        db,
        &actor(),
        &engagement,
        &serde_json::to_value(&report).unwrap(),
        "",
    )
    .await
    .unwrap();
    file_application(&server, service, &record, engagement.id, issued.issue).await;

    let reviewer = Client::new(&server);
    reviewer.sign_in("reviewer").await;
    let started = std::time::Instant::now();
    let page = reviewer.get(&format!("/statements/{}", record.id)).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    eprintln!(
        "full-size view: {} bytes in {:.1?}",
        html.len(),
        started.elapsed()
    );
    assert!(
        html.len() < 150_000,
        "the first answer should stay under 150 KB: {} bytes",
        html.len()
    );
    assert!(
        !html.contains("class=\"review-control"),
        "no control before a chapter is opened"
    );
    let mut loaded = 0;
    for chapter in catalog.chapters() {
        let expected = catalog
            .controls()
            .iter()
            .filter(|c| c.id.chapter() == chapter.number)
            .count();
        if expected == 0 {
            continue;
        }
        assert!(html.contains(&format!("id=\"chapter-{}\"", chapter.number)));
        let started = std::time::Instant::now();
        let fragment = reviewer
            .http
            .get(server.url(&format!(
                "/statements/{}/chapters/{}",
                record.id, chapter.number
            )))
            .header("hx-request", "true")
            .send()
            .await
            .unwrap();
        assert_eq!(fragment.status(), 200);
        let fragment = fragment.text().await.unwrap();
        eprintln!(
            "full-size chapter {}: {expected} controls, {} bytes in {:.1?}",
            chapter.number,
            fragment.len(),
            started.elapsed()
        );
        assert_eq!(
            fragment.matches("<article class=\"review-control").count(),
            expected,
            "chapter {} brings its own controls",
            chapter.number
        );
        loaded += expected;
    }
    assert_eq!(loaded, 1159, "every control is in one chapter");
}
