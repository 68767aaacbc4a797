//! Interim measures (暫定措置, issue 15 items 4–5) as people use them, on
//! both backends: the agency declares one from its register entry's page,
//! records a hearing, the deadline passes (the server's clock moves), the
//! overdue measure is flagged on both dashboards, the agency reports, the
//! secretariat is notified and reads it, the agency records its plan; a
//! registration closes a measure by itself; agency-b never sees agency-a's.

use chrono::{Datelike, Duration, NaiveDate};
use ismap_domain::interim::{InterimStart, deadline};
use ismap_store::Actor;
use ismap_store::interim as store;
use serde_json::json;
use sqlx::Row;

use crate::helpers::{BACKENDS, Client, page_csrf, server};

fn ja_day(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// A register entry of the signed-in agency, through the register's form.
async fn new_entry(agency: &Client<'_>, service: &str, provider: &str, start: NaiveDate) -> i64 {
    let page = agency.get("/agency/register/new").await;
    assert_eq!(page.status(), 200);
    let start = start.to_string();
    let response = agency
        .post_form(
            "/agency/register",
            &[
                ("system_name", "人事給与システム"),
                ("service_id", ""),
                ("service_name", service),
                ("provider_name", provider),
                ("purpose", "勤怠管理"),
                ("confidentiality", "2"),
                ("start_of_use", &start),
                ("status", "planned"),
                ("note", ""),
                ("version", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), 303, "the entry is recorded");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    location
        .trim_start_matches("/agency/register/")
        .parse()
        .unwrap_or_else(|_| panic!("entry location {location}"))
}

/// The hidden `version` of the declare form on the entry's page.
fn form_version(html: &str) -> String {
    let form = &html[html
        .find("id=\"interim-declare\"")
        .expect("the declare form")..];
    let at = form.find("name=\"version\" value=\"").unwrap() + "name=\"version\" value=\"".len();
    form[at..at + form[at..].find('"').unwrap()].to_owned()
}

fn measure_id(response: &reqwest::Response) -> i64 {
    let location = response.headers()["location"].to_str().unwrap();
    location
        .trim_start_matches("/interim-measures/")
        .split('#')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("measure location {location}"))
}

/// Posts a form the way the page shows it: the CSRF token from the page.
async fn post_from_page(
    client: &Client<'_>,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = client.get(page).await.text().await.unwrap();
    let csrf = page_csrf(&html).expect("the page carries a CSRF token");
    let mut all = fields.to_vec();
    all.push(("csrf", &csrf));
    client
        .http
        .post(client.server.url(action))
        .form(&all)
        .send()
        .await
        .unwrap()
}

async fn count(db: &ismap_store::Db, sql: &str, binds: &[&str]) -> i64 {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(b.to_string());
    }
    q.fetch_one(&db.pool).await.unwrap().try_get("n").unwrap()
}

fn stat(html: &str, id: &str) -> i64 {
    let at = html
        .find(&format!("id=\"{id}\">"))
        .unwrap_or_else(|| panic!("{id} on the page"))
        + id.len()
        + 6;
    html[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

/// Notifications of `message_id` linking to `link` that `user` received.
async fn notices(db: &ismap_store::Db, user: &str, message_id: &str, link: &str) -> i64 {
    count(
        db,
        "SELECT COUNT(*) AS n FROM notifications n JOIN users u ON u.id = n.user_id \
         WHERE u.username = $1 AND n.message_id = $2 AND n.link = $3",
        &[user, message_id, link],
    )
    .await
}

/// Declares a measure on `entry` through the form its page shows.
async fn declare(
    agency: &Client<'_>,
    entry: i64,
    origin: &str,
    current_status: &str,
    version: &str,
) -> reqwest::Response {
    post_from_page(
        agency,
        &format!("/agency/register/{entry}"),
        &format!("/agency/register/{entry}/interim"),
        &[
            ("origin", origin),
            ("current_status", current_status),
            ("version", version),
        ],
    )
    .await
}

/// A hearing on the measure at `path`, posted from its page.
async fn hear(client: &Client<'_>, path: &str, on: &str, summary: &str) -> reqwest::Response {
    post_from_page(
        client,
        path,
        &format!("{path}/hearings"),
        &[("heard_on", on), ("summary", summary)],
    )
    .await
}

/// The report on the measure at `path` ("deadline passed"), posted from its page.
async fn report(agency: &Client<'_>, path: &str, body: &str, on: NaiveDate) -> reqwest::Response {
    post_from_page(
        agency,
        path,
        &format!("{path}/report"),
        &[
            ("reason", "deadline_passed"),
            ("body", body),
            ("reported_on", &on.to_string()),
        ],
    )
    .await
}

/// A hearing posted by someone whose page offers no form (another agency,
/// the secretariat, a closed measure): the status answered.
async fn hear_without_page(client: &Client<'_>, path: &str, on: NaiveDate) -> u16 {
    client
        .post_form(
            &format!("{path}/hearings"),
            &[("heard_on", &on.to_string()), ("summary", "x")],
        )
        .await
        .status()
        .as_u16()
}

/// The actions of a measure's history, oldest first.
async fn actions(db: &ismap_store::Db, id: i64) -> Vec<String> {
    store::history(db, &store::get(db, id).await.unwrap())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[tokio::test]
async fn declare_hear_pass_the_deadline_report_and_plan() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let db = &server.db;
        let agency = Client::new(&server);
        agency.sign_in("agency-a").await;
        let today = server.clock.today();
        let start = today + Duration::days(30);
        let entry = new_entry(&agency, "テスト勤怠SaaS", "株式会社テストクラウド", start).await;

        // The entry's page offers the declaration, the planned origin chosen.
        let page = format!("/agency/register/{entry}");
        let html = agency.get(&page).await.text().await.unwrap();
        assert!(html.contains("暫定措置を届け出る"), "{backend:?}: {html}");
        assert!(html.contains(&format!("action=\"/agency/register/{entry}/interim\"")));
        let due = deadline(InterimStart::StartOfUse(start)).unwrap();
        assert!(html.contains(&ja_day(due)), "the deadline is previewed");
        let version = form_version(&html);

        // "In use at the programme's start" does not fit a planned entry:
        // refused with the reason, what was typed kept.
        let refused = declare(
            &agency,
            entry,
            "programme_start",
            "提供事業者は来年度に申請予定",
            &version,
        )
        .await;
        assert_eq!(refused.status(), 422, "{backend:?}");
        let body = refused.text().await.unwrap();
        assert!(body.contains("本制度の開始時点で利用中"), "{body}");
        assert!(
            body.contains("提供事業者は来年度に申請予定"),
            "kept: {body}"
        );

        let declared = declare(
            &agency,
            entry,
            "start_of_use",
            "提供事業者は来年度に申請予定",
            &version,
        )
        .await;
        assert_eq!(declared.status(), 303, "{backend:?}");
        let id = measure_id(&declared);
        let path = format!("/interim-measures/{id}");
        assert_eq!(
            store::entry(db, entry).await.unwrap().path,
            "interim",
            "the entry's path"
        );
        // The path change is in the entry's own history.
        let entry_events = ismap_store::register::history(db, entry).await.unwrap();
        assert!(
            entry_events
                .iter()
                .any(|e| e.action == "register.path"
                    && e.after.as_ref().unwrap()["path"] == "interim"),
            "{entry_events:?}"
        );
        // The secretariat was told.
        assert_eq!(
            notices(db, "secretariat", "interim-notice-declared", &path).await,
            1
        );
        // Declaring again is refused: the entry is no longer undecided.
        let again = agency
            .post_form(
                &format!("/agency/register/{entry}/interim"),
                &[
                    ("origin", "start_of_use"),
                    ("current_status", "x"),
                    ("version", &version),
                ],
            )
            .await;
        assert_eq!(again.status(), 409);

        // The measure: deadline with days left in Japanese.
        let html = agency.get(&path).await.text().await.unwrap();
        assert!(html.contains(&ja_day(due)), "{html}");
        let left = (due - today).num_days();
        assert!(html.contains(&format!("あと{left}日")), "{html}");
        assert!(html.contains("申請待ち"));
        // The register entry's page shows the measure's summary.
        let entry_html = agency.get(&page).await.text().await.unwrap();
        assert!(entry_html.contains(&format!("href=\"{path}\"")));
        assert!(!entry_html.contains("id=\"interim-declare\""));

        // A hearing: refused when empty or in the future, then recorded.
        let tomorrow = (today + Duration::days(1)).to_string();
        let bad = hear(&agency, &path, &tomorrow, "").await;
        assert_eq!(bad.status(), 422);
        let body = bad.text().await.unwrap();
        assert!(body.contains("将来の日付は記録できません。"), "{body}");
        assert!(body.contains("入力してください。"));
        let heard = hear(
            &agency,
            &path,
            &today.to_string(),
            "管理基準の主要な管理策に適合しているとの説明を受けた",
        )
        .await;
        assert_eq!(heard.status(), 303);
        let request = post_from_page(
            &agency,
            &path,
            &format!("{path}/provider-requests"),
            &[
                ("requested_on", &today.to_string()),
                ("method", "書面"),
                ("note", "制度の案内を送付"),
            ],
        )
        .await;
        assert_eq!(request.status(), 303);
        let ack = post_from_page(
            &agency,
            &path,
            &format!("{path}/acknowledgements"),
            &[("statement", "当機関の責任において利用を継続します。")],
        )
        .await;
        assert_eq!(ack.status(), 303);
        let html = agency.get(&path).await.text().await.unwrap();
        assert!(html.contains("管理基準の主要な管理策に適合しているとの説明を受けた"));
        assert!(html.contains("書面") && html.contains("当機関の責任において利用を継続します。"));

        // A "deadline passed" report before the deadline is refused.
        let early = report(&agency, &path, "申請なし", today).await;
        assert_eq!(early.status(), 422);
        assert!(early.text().await.unwrap().contains("まだ過ぎていません"));

        // The secretariat reads but does not write; agency-b does not see it.
        let secretariat = Client::new(&server);
        secretariat.sign_in("secretariat").await;
        assert_eq!(secretariat.get(&path).await.status(), 200);
        assert_eq!(hear_without_page(&secretariat, &path, today).await, 403);
        let other = Client::new(&server);
        other.sign_in("agency-b").await;
        // Another agency's measure answers exactly as a missing one.
        let hidden = other.get(&path).await;
        assert_eq!(hidden.status(), 404);
        let hidden = hidden
            .text()
            .await
            .unwrap()
            .replace(&path, "/interim-measures/N");
        let missing = other.get("/interim-measures/987654").await;
        assert_eq!(missing.status(), 404);
        let missing = missing
            .text()
            .await
            .unwrap()
            .replace("/interim-measures/987654", "/interim-measures/N");
        assert_eq!(hidden, missing, "{backend:?}");
        let list = other.get("/interim-measures").await.text().await.unwrap();
        assert!(!list.contains(&path), "agency-b's list");
        assert_eq!(hear_without_page(&other, &path, today).await, 404);

        // The deadline passes.
        server.clock.advance_days(400);
        let later = server.clock.today();
        let overdue_of = |agency: Option<i64>| {
            let db = db.clone();
            async move {
                store::list(&db, agency)
                    .await
                    .unwrap()
                    .iter()
                    .filter(|m| m.is_overdue(later))
                    .count() as i64
            }
        };
        let agency_org = store::get(db, id).await.unwrap().agency_id;
        let home = agency.get("/").await.text().await.unwrap();
        assert!(home.contains("id=\"interim-card\""), "{backend:?}: {home}");
        assert!(home.contains("暫定措置"));
        let mine = overdue_of(Some(agency_org)).await;
        assert!(mine >= 1);
        assert_eq!(stat(&home, "stat-interim-overdue"), mine);
        let home = secretariat.get("/").await.text().await.unwrap();
        assert!(home.contains("id=\"interim-card\""), "{home}");
        assert_eq!(stat(&home, "stat-interim-overdue"), overdue_of(None).await);
        // Flagged by notification to both, once.
        for user in ["agency-a", "agency-a-ciso", "secretariat"] {
            assert_eq!(
                notices(db, user, "interim-notice-overdue", &path).await,
                1,
                "{backend:?} {user}"
            );
        }
        // The secretariat's list: overdue first, with the badge.
        let list = secretariat
            .get("/interim-measures?filter=overdue")
            .await
            .text()
            .await
            .unwrap();
        assert!(list.contains(&format!("id=\"measure-{id}\" class=\"interim-overdue\"")));
        let page = agency.get(&path).await.text().await.unwrap();
        assert!(page.contains("期限超過") && page.contains("速やかに事務局に報告"));

        // The report: the secretariat is notified and reads it.
        let reported = report(
            &agency,
            &path,
            "提供事業者から申請の予定がないと回答があった",
            later,
        )
        .await;
        assert_eq!(reported.status(), 303, "{backend:?}");
        assert_eq!(
            notices(db, "secretariat", "interim-notice-reported", &path).await,
            1
        );
        let seen = secretariat.get(&path).await.text().await.unwrap();
        assert!(seen.contains("報告済み"));
        assert!(seen.contains("提供事業者から申請の予定がないと回答があった"));
        assert!(seen.contains(&format!("href=\"/inquiries/new?interim_measure={id}\"")));
        let list = secretariat
            .get("/interim-measures?filter=reported")
            .await
            .text()
            .await
            .unwrap();
        assert!(list.contains(&format!("href=\"{path}\"")));
        // A second report is a conflict.
        let twice = agency
            .post_form(
                &format!("{path}/report"),
                &[
                    ("reason", "deadline_passed"),
                    ("body", "x"),
                    ("reported_on", &later.to_string()),
                ],
            )
            .await;
        assert_eq!(twice.status(), 409);

        // The plan and its progress.
        let end = (later + Duration::days(180)).to_string();
        let planned = post_from_page(
            &agency,
            &path,
            &format!("{path}/plans"),
            &[
                ("kind", "migration"),
                ("description", "登録済みサービスへ移行する"),
                ("planned_start", &later.to_string()),
                ("planned_completion", &end),
            ],
        )
        .await;
        assert_eq!(planned.status(), 303);
        let progressed = post_from_page(
            &agency,
            &path,
            &format!("{path}/progress"),
            &[
                ("progress_on", &later.to_string()),
                ("progress", "移行先の調達を開始"),
            ],
        )
        .await;
        assert_eq!(progressed.status(), 303);
        let page = agency.get(&path).await.text().await.unwrap();
        assert!(page.contains("移行") && page.contains("登録済みサービスへ移行する"));
        assert!(page.contains("移行先の調達を開始"));
        assert_eq!(
            actions(db, id).await,
            [
                "interim_measure.declare",
                "interim_measure.hearing",
                "interim_measure.provider_request",
                "interim_measure.acknowledge",
                "interim_measure.report",
                "interim_measure.plan",
                "interim_measure.progress",
            ],
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn two_declarations_race_and_registration_closes_the_measure() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let db = &server.db;
        let agency = Client::new(&server);
        agency.sign_in("agency-a").await;
        let today = server.clock.today();
        // A service the provider has in the portal, named in words by the agency.
        let saas = ismap_store::services::list(db, None)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.model == ismap_domain::ServiceModel::SaaS)
            .unwrap();
        let actor = Actor::system("test");
        let service = ismap_store::services::create(
            db,
            &actor,
            ismap_store::services::NewService {
                organization_id: saas.organization_id,
                name: "テスト暫定SaaS",
                model: ismap_domain::ServiceModel::SaaS,
                description: "",
                url: "",
                registration_number: None,
            },
        )
        .await
        .unwrap();
        let start = today + Duration::days(10);
        let entry = new_entry(&agency, "テスト暫定SaaS", &saas.organization_name, start).await;
        let page = format!("/agency/register/{entry}");
        let html = agency.get(&page).await.text().await.unwrap();
        let version = form_version(&html);
        let csrf = page_csrf(&html).unwrap();
        let fields = [
            ("origin", "start_of_use"),
            ("current_status", "申請準備中"),
            ("version", version.as_str()),
            ("csrf", csrf.as_str()),
        ];
        let action = server.url(&format!("/agency/register/{entry}/interim"));
        let (a, b) = tokio::join!(
            agency.http.post(&action).form(&fields).send(),
            agency.http.post(&action).form(&fields).send()
        );
        let mut statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [303, 409], "{backend:?}");
        let measure = store::of_entry(db, entry).await.unwrap().unwrap();
        assert_eq!(
            store::list(db, None)
                .await
                .unwrap()
                .iter()
                .filter(|m| m.entry_id == entry)
                .count(),
            1
        );
        let path = format!("/interim-measures/{}", measure.id);

        // Registered: the measure closes by itself when next shown.
        let number: ismap_domain::registry::RegistrationNumber = "C26-0901-1".parse().unwrap();
        ismap_store::registrations::record_existing(
            db,
            &actor,
            ismap_store::registrations::ExistingRegistration {
                service_id: service.id,
                organization_id: saas.organization_id,
                list: ismap_domain::registration::ListKind::Ismap,
                number: &number,
                details: ismap_store::registrations::NewRegistration {
                    valid_from: today - Duration::days(1),
                    valid_until: today + Duration::days(480),
                    registered_on: today - Duration::days(2),
                    improvement_plan: false,
                    name: "テスト暫定SaaS",
                    name_en: "Test Interim SaaS",
                    provider: &saas.organization_name,
                    provider_en: "Sample",
                    model: "SaaS",
                    public: &json!({}),
                },
            },
        )
        .await
        .unwrap();
        let html = agency.get(&path).await.text().await.unwrap();
        assert!(html.contains("終了"), "{backend:?}: {html}");
        assert!(html.contains("当該サービスが登録されました"), "{html}");
        let closed = store::get(db, measure.id).await.unwrap();
        assert_eq!(closed.state.key(), "closed");
        assert_eq!(closed.closed_reason.as_deref(), Some("registered"));
        assert_eq!(store::entry(db, entry).await.unwrap().path, "registered");
        // Refreshing again changes nothing.
        assert_eq!(
            store::refresh_all(db, server.clock.today()).await.unwrap(),
            0
        );
        // Closed: nothing more is recorded.
        assert_eq!(hear_without_page(&agency, &path, today).await, 409);
    }
}

/// The text of the element with `id` up to its first inner tag's end (the
/// measure page's state badge and application line).
fn element_text(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("{id} on the page: {html}"));
    let open = at + html[at..].find('>').unwrap() + 1;
    html[open..open + html[open..].find("</").unwrap()].to_owned()
}

/// The day an application was submitted, as the page writes it (Japan time).
fn ja_submitted(stamp: &str) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(stamp)
        .unwrap_or_else(|_| panic!("submitted_at {stamp:?}"))
        .with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap());
    ja_day(t.date_naive())
}

/// The demo SaaS of 株式会社サンプルクラウド is not registered; サンプル省's
/// register names it in words (the demo's planned entry). An interim measure
/// declared on that entry follows the portal: the provider's application
/// (issued audit report → 入力 → 確認 → 完了) moves it open → applied and
/// its progress shows on the measure (state in Japanese, submitted day)
/// through IPA's review; the committee's registration closes it by itself,
/// with the reason, and the entry's path becomes registered.
#[tokio::test]
async fn the_providers_application_shows_on_the_measure_and_its_registration_closes_it() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let db = &server.db;
        let agency = Client::new(&server);
        agency.sign_in("agency-a").await;
        let ministry = ismap_store::orgs::find_by_name(db, "サンプル省")
            .await
            .unwrap()
            .unwrap()
            .id;
        let demo_entry = ismap_store::register::list(db, Some(ministry))
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.service_name == ismap_web::demo_agency::SAAS_NAME)
            .expect("the demo register names the demo SaaS");
        assert_eq!(demo_entry.service_id, None, "named in words");
        assert_eq!(demo_entry.provider_name, "株式会社サンプルクラウド");
        let entry = demo_entry.id;
        let (service, _) = crate::helpers::saas_ids(&server).await;

        // Declared from the entry's page (a planned entry: from its start of use).
        let page = format!("/agency/register/{entry}");
        let html = agency.get(&page).await.text().await.unwrap();
        let version = form_version(&html);
        let declared = declare(
            &agency,
            entry,
            "start_of_use",
            "提供事業者はISMAPへの申請を準備中",
            &version,
        )
        .await;
        assert_eq!(declared.status(), 303, "{backend:?}");
        let id = measure_id(&declared);
        let path = format!("/interim-measures/{id}");
        let measure = store::get(db, id).await.unwrap();
        assert_eq!(
            measure.deadline,
            deadline(InterimStart::StartOfUse(demo_entry.start_of_use)).unwrap()
        );
        // The portal knows the service by its name and provider.
        assert_eq!(
            store::portal_service(db, &measure).await.unwrap(),
            Some(service),
            "{backend:?}"
        );
        let html = agency.get(&path).await.text().await.unwrap();
        assert_eq!(
            element_text(&html, "interim-state"),
            "申請待ち",
            "{backend:?}"
        );
        assert!(
            element_text(&html, "interim-application")
                .contains("当該サービスの申請はまだありません。")
        );
        assert_eq!(store::get(db, id).await.unwrap().state.key(), "open");

        // The provider applies through the portal with its issued report.
        let engagement =
            crate::helpers::issued_report(&server, "full", (1, 1), ("2025-04-01", "2026-03-31"))
                .await;
        let provider = Client::new(&server);
        provider.sign_in("saas-admin").await;
        let application = crate::registration::confirm_and_file(
            &provider,
            service,
            crate::registration::application_form(engagement, true),
        )
        .await;
        let submitted_at = ismap_store::applications::get(db, application)
            .await
            .unwrap()
            .submitted_at;
        // Still open until something looks: the page brings it up to date.
        assert_eq!(store::get(db, id).await.unwrap().state.key(), "open");
        let html = agency.get(&path).await.text().await.unwrap();
        assert_eq!(
            element_text(&html, "interim-state"),
            "申請中",
            "{backend:?}: {html}"
        );
        let shown = element_text(&html, "interim-application");
        assert!(
            shown.contains(&format!("申請 {application}: 申請受付")),
            "{backend:?}: {shown}"
        );
        assert!(
            shown.contains(&format!("提出 {}", ja_submitted(&submitted_at))),
            "{shown}"
        );
        assert!(
            !html.contains(&format!("href=\"/applications/{application}\"")),
            "the agency sees the state, not the application"
        );
        let applied = store::get(db, id).await.unwrap();
        assert_eq!(applied.state.key(), "applied");
        assert!(applied.closed_reason.is_none());
        // Not overdue, nothing to report while applied; records still taken.
        assert!(!html.contains("id=\"interim-overdue\""));
        let heard = hear(
            &agency,
            &path,
            &server.clock.today().to_string(),
            "申請を提出したとの連絡を受けた",
        )
        .await;
        assert_eq!(heard.status(), 303, "{backend:?}");
        // Showing it again moves nothing.
        assert_eq!(
            store::refresh(db, id, server.clock.today()).await.unwrap(),
            None
        );

        // IPA's review: the progress follows, still applied.
        crate::renewals::refer(&server, application).await;
        let html = agency.get(&path).await.text().await.unwrap();
        assert_eq!(element_text(&html, "interim-state"), "申請中");
        assert!(
            element_text(&html, "interim-application")
                .contains(&format!("申請 {application}: 運営委員会に付議")),
            "{backend:?}: {html}"
        );

        // The committee registers: the measure closes by itself.
        let number = crate::renewals::register(&server, application).await;
        let html = agency.get(&path).await.text().await.unwrap();
        assert_eq!(element_text(&html, "interim-state"), "終了", "{backend:?}");
        let closed_note = element_text(&html, "interim-closed");
        assert!(
            closed_note.contains("この暫定措置は終了しました（当該サービスが登録されました"),
            "{closed_note}"
        );
        assert!(
            element_text(&html, "interim-application")
                .contains(&format!("申請 {application}: 登録"))
        );
        assert!(!html.contains("id=\"interim-hearing\""), "no more records");
        let closed = store::get(db, id).await.unwrap();
        assert_eq!(closed.state.key(), "closed");
        assert_eq!(closed.closed_reason.as_deref(), Some("registered"));
        assert!(closed.closed_at.is_some());
        let facts = store::entry(db, entry).await.unwrap();
        assert_eq!(facts.path, "registered", "{backend:?}");
        let entry_html = agency.get(&page).await.text().await.unwrap();
        assert_eq!(element_text(&entry_html, "register-path"), "登録済み");
        assert!(
            entry_html.contains(&format!("href=\"{path}\"")),
            "the measure stays linked"
        );
        let entry_events = ismap_store::register::history(db, entry).await.unwrap();
        assert!(
            entry_events.iter().any(|e| e.action == "register.path"
                && e.after.as_ref().unwrap()["path"] == "registered"
                && e.after.as_ref().unwrap()["interim_measure"] == id),
            "{entry_events:?}"
        );
        assert_eq!(
            actions(db, id).await,
            [
                "interim_measure.declare",
                "interim_measure.applied",
                "interim_measure.hearing",
                "interim_measure.close",
            ],
            "{backend:?}"
        );
        // The ministry's people are told, once.
        for user in ["agency-a", "agency-a-ciso"] {
            assert_eq!(
                notices(db, user, "interim-notice-closed", &path).await,
                1,
                "{backend:?} {user}"
            );
        }
        // The registration is the one on the public list; nothing moves again.
        assert!(number.starts_with('C'), "{number}");
        assert_eq!(
            store::refresh_all(db, server.clock.today()).await.unwrap(),
            0
        );
        assert_eq!(
            hear_without_page(&agency, &path, server.clock.today()).await,
            409
        );
    }
}
