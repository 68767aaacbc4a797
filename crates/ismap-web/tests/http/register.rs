//! The cloud usage register (クラウド利用台帳, issue 15): agencies record
//! their own entries through the pages, see only their own (another
//! agency's entry is a 404), the secretariat reads all without changing
//! anything, imports are all or nothing with every problem in Japanese,
//! CSV and XLSX round trip, the procurement check is stored as a snapshot,
//! only the CISO confirms, and the check's API answers 400s by parameter.

use ismap_domain::register::{Path, Status};
use ismap_store::register as store;
use ismap_web::testing::TestServer;
use serde_json::Value;

use crate::helpers::{BACKENDS, Client, PDF, page_csrf, server};

async fn client<'a>(server: &'a TestServer, role: &str) -> Client<'a> {
    let client = Client::new(server);
    if role != "anonymous" {
        client.sign_in(role).await;
    }
    client
}

async fn agency(server: &TestServer, name: &str) -> i64 {
    ismap_store::orgs::find_by_name(&server.db, name)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn demo_iaas(server: &TestServer) -> i64 {
    ismap_store::registrations::by_number(&server.db, "C21-0008-2")
        .await
        .unwrap()
        .service_id
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .or_else(|| response.headers().get("hx-redirect"))
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Fills the form the new-entry page shows and posts it, as a person does.
async fn record(client: &Client<'_>, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = client.get("/agency/register/new").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"system_name\""), "the form is shown");
    let csrf = page_csrf(&html).unwrap();
    let mut all = fields.to_vec();
    all.push(("csrf", &csrf));
    client
        .http
        .post(client.server.url("/agency/register"))
        .form(&all)
        .send()
        .await
        .unwrap()
}

fn unregistered<'a>(name: &'a str, status: &'a str, start: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("system_name", "文書管理システム"),
        ("service_id", ""),
        ("service_name", name),
        ("provider_name", "株式会社サンプル"),
        ("purpose", "行政文書の保管"),
        ("confidentiality", "2"),
        ("start_of_use", start),
        ("status", status),
        ("note", ""),
    ]
}

async fn recorded(client: &Client<'_>, name: &str) -> i64 {
    let response = record(client, &unregistered(name, "planned", "2030-04-01")).await;
    assert_eq!(response.status(), 303);
    location(&response)
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn agencies_keep_their_own_register_and_the_secretariat_reads_it() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let a = client(&server, "agency-a").await;
        let id = recorded(&a, "勤怠クラウド").await;
        let entry = store::get(&server.db, id).await.unwrap();
        assert_eq!(entry.agency_id, agency(&server, "サンプル省").await);
        assert_eq!(entry.status, Status::Planned);
        assert_eq!(entry.path, Path::Undecided);
        let page = a.get(&format!("/agency/register/{id}")).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(
            html.contains("勤怠クラウド") && html.contains("利用予定") && html.contains("未対応")
        );
        assert!(html.contains("調達前確認を実行"), "{backend:?}");
        let list = a.get("/agency/register").await.text().await.unwrap();
        assert!(list.contains("勤怠クラウド") && list.contains("未登録"));
        let home = a.get("/").await.text().await.unwrap();
        assert!(home.contains("register-card") && home.contains("クラウド利用台帳"));

        // A refused form keeps what was typed and names the field in Japanese.
        let refused = record(&a, &unregistered("将来のSaaS", "in_use", "2030-01-01")).await;
        assert_eq!(refused.status(), 422);
        let html = refused.text().await.unwrap();
        assert!(html.contains("将来のSaaS"), "typed values are kept");
        assert!(html.contains("利用中・利用終了のサービスの利用開始日は今日以前です"));

        // Another agency: the entry does not exist for it.
        let b = client(&server, "agency-b").await;
        assert_eq!(b.get(&format!("/agency/register/{id}")).await.status(), 404);
        assert_eq!(
            b.get(&format!("/agency/register/{id}"))
                .await
                .text()
                .await
                .unwrap(),
            b.get("/agency/register/987654")
                .await
                .text()
                .await
                .unwrap()
                .replace("987654", &id.to_string()),
            "{backend:?}: hidden like a missing entry"
        );
        let mut form = unregistered("乗っ取り", "planned", "2030-04-01");
        form.push(("version", "1"));
        let response = b.post_form(&format!("/agency/register/{id}"), &form).await;
        assert_eq!(response.status(), 404);
        assert!(
            !b.get("/agency/register")
                .await
                .text()
                .await
                .unwrap()
                .contains("勤怠クラウド")
        );
        let csv = b
            .get("/agency/register/export.csv")
            .await
            .text()
            .await
            .unwrap();
        assert!(!csv.contains("勤怠クラウド"));

        // The secretariat reads every agency's register, read-only.
        let s = client(&server, "secretariat").await;
        let list = s.get("/agency/register").await.text().await.unwrap();
        assert!(list.contains("勤怠クラウド") && list.contains("サンプル省"));
        let other = agency(&server, "サンプル庁").await;
        let filtered = s
            .get(&format!("/agency/register?agency={other}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(!filtered.contains("勤怠クラウド"));
        let page = s.get(&format!("/agency/register/{id}")).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(!html.contains("id=\"register-edit\"") && !html.contains("調達前確認を実行"));
        assert_eq!(
            s.post_form(&format!("/agency/register/{id}"), &form)
                .await
                .status(),
            403
        );
        assert_eq!(
            s.post_form(
                &format!("/agency/register/{id}/checks"),
                &[("day", "2026-01-01")]
            )
            .await
            .status(),
            403
        );
        assert_eq!(s.get("/agency/register/new").await.status(), 403);

        // Outside government: no register, no entry.
        let r = client(&server, "saas-admin").await;
        assert_eq!(r.get("/agency/register").await.status(), 403);
        assert_eq!(r.get(&format!("/agency/register/{id}")).await.status(), 404);
        assert_eq!(
            store::get(&server.db, id).await.unwrap().version,
            1,
            "nothing changed"
        );
    }
}

#[tokio::test]
async fn two_changes_from_the_same_version_one_wins() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let a = client(&server, "agency-a").await;
        let id = recorded(&a, "会計SaaS").await;
        let path = format!("/agency/register/{id}");
        let mut first = unregistered("会計SaaS", "in_use", "2025-04-01");
        first.push(("version", "1"));
        let mut second = unregistered("会計SaaS", "ended", "2025-04-01");
        second.push(("version", "1"));
        let (x, y) = tokio::join!(a.post_form(&path, &first), a.post_form(&path, &second));
        let mut statuses = [x.status().as_u16(), y.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [303, 409], "{backend:?}");
        let loser = if x.status() == 409 { x } else { y };
        let html = loser.text().await.unwrap();
        assert!(html.contains("他の人がこの台帳を先に変更しました"));
        let entry = store::get(&server.db, id).await.unwrap();
        assert_eq!(entry.version, 2);
        let actions: Vec<String> = store::history(&server.db, id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions.len(), 2, "{actions:?}");
        assert_eq!(actions[0], "register.create");
    }
}

fn file_form(name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str("application/octet-stream")
            .unwrap(),
    )
}

#[tokio::test]
async fn a_bad_import_keeps_nothing_and_files_round_trip() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let a_org = agency(&server, "サンプル省").await;
        let b_org = agency(&server, "サンプル庁").await;
        let a = client(&server, "agency-a").await;
        // The demo world may already hold entries of either agency.
        let inputs = |agency: i64| {
            let db = server.db.clone();
            async move {
                store::list(&db, Some(agency))
                    .await
                    .unwrap()
                    .iter()
                    .map(store::Entry::input)
                    .collect::<Vec<_>>()
            }
        };
        let a_before = inputs(a_org).await;
        let b_before = inputs(b_org).await.len();
        let bad = "情報システム,サービス名,事業者名,機密性,利用開始日,状況\n\
                   基盤,正しいSaaS,株式会社A,機密性2,2025-04-01,利用中\n\
                   ,壊れたSaaS,株式会社B,5,2025-13-01,利用中\n";
        let response = a
            .post_multipart(
                "/agency/register/import",
                file_form("bad.csv", bad.as_bytes().to_vec()),
            )
            .await;
        assert_eq!(response.status(), 422, "{backend:?}");
        let html = response.text().await.unwrap();
        assert!(html.contains("取り込めませんでした") && html.contains("何も登録していません"));
        assert!(
            html.contains("必須です。"),
            "the empty system name, in Japanese"
        );
        assert!(html.contains("「5」は機密性の区分ではありません"));
        assert!(
            html.contains("<td class=\"nowrap\">3</td>"),
            "the line is named"
        );
        assert_eq!(inputs(a_org).await, a_before, "nothing written");

        // Two entries, one naming the demo IaaS; exported and imported into
        // the other agency, they come back the same.
        let iaas = demo_iaas(&server).await.to_string();
        let mut portal = unregistered("", "in_use", "2024-04-01");
        portal[1] = ("service_id", iaas.as_str());
        portal[3] = ("provider_name", "");
        assert_eq!(record(&a, &portal).await.status(), 303);
        recorded(&a, "計画中のSaaS").await;
        let mine = inputs(a_org).await;
        assert_eq!(mine.len(), a_before.len() + 2);
        let count = format!("imported={}", mine.len());
        let csv = a.get("/agency/register/export.csv").await;
        assert_eq!(csv.status(), 200);
        let csv = csv.bytes().await.unwrap().to_vec();
        assert!(
            String::from_utf8_lossy(&csv).contains("情報システム"),
            "Japanese headers"
        );
        let xlsx = a
            .get("/agency/register/export.xlsx")
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec();
        let b = client(&server, "agency-b").await;
        let response = b
            .post_multipart("/agency/register/import", file_form("a.csv", csv))
            .await;
        assert!(
            location(&response).contains(&count),
            "{backend:?}: {}",
            response.status()
        );
        let theirs: Vec<_> = inputs(b_org).await.into_iter().skip(b_before).collect();
        assert_eq!(theirs, mine, "{backend:?}: CSV round trip");
        let response = b
            .post_multipart("/agency/register/import", file_form("a.xlsx", xlsx))
            .await;
        assert!(location(&response).contains(&count));
        let theirs: Vec<_> = inputs(b_org)
            .await
            .into_iter()
            .skip(b_before + mine.len())
            .collect();
        assert_eq!(theirs, mine, "{backend:?}: XLSX round trip");
        let imported = store::list(&server.db, Some(b_org)).await.unwrap();
        let events = store::history(&server.db, imported[b_before].id)
            .await
            .unwrap();
        assert_eq!(events[0].action, "register.import");
        assert_eq!(events[0].reason, "a.csv");
        let page = b
            .get("/agency/register?imported=2")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("2 件を取り込みました"));
    }
}

#[tokio::test]
async fn a_procurement_check_of_the_demo_iaas_is_stored_as_a_snapshot() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let a = client(&server, "agency-a").await;
        let iaas = demo_iaas(&server).await.to_string();
        let mut form = unregistered("", "in_use", "2024-04-01");
        form[1] = ("service_id", iaas.as_str());
        let response = record(&a, &form).await;
        let id: i64 = location(&response)
            .rsplit('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let page = a
            .get(&format!("/agency/register/{id}"))
            .await
            .text()
            .await
            .unwrap();
        let csrf = page_csrf(&page).unwrap();
        let today = server.clock.today().to_string();
        assert!(page.contains(&format!("name=\"day\" value=\"{today}\"")));
        let response = a
            .http
            .post(server.url(&format!("/agency/register/{id}/checks")))
            .form(&[("day", today.as_str()), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{backend:?}");
        let checks = store::checks(&server.db, id).await.unwrap();
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].verdict, "procure_from_list");
        assert_eq!(checks[0].result["lists"][0]["number"], "C21-0008-2");
        assert_eq!(checks[0].result["lists"][0]["valid"], true);
        let entry = store::get(&server.db, id).await.unwrap();
        assert_eq!(
            entry.path,
            Path::Registered,
            "a valid registration sets the path"
        );
        let actions: Vec<String> = store::history(&server.db, id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            actions,
            ["register.create", "register.check", "register.path"]
        );
        // A day before the registration: what was true then, kept beside.
        a.post_form(
            &format!("/agency/register/{id}/checks"),
            &[("day", "2019-01-01")],
        )
        .await;
        let page = a
            .get(&format!("/agency/register/{id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("リストから調達できます") && page.contains("C21-0008-2"));
        assert!(page.contains("登録済み") && page.contains("[seed]"));
        assert_eq!(store::checks(&server.db, id).await.unwrap().len(), 2);

        // The API, for procurement systems.
        let answer = a
            .get(&format!(
                "/api/v1/procurement-check?number=C21-0008-2&date={today}"
            ))
            .await;
        assert_eq!(answer.status(), 200);
        let json: Value = answer.json().await.unwrap();
        assert_eq!(json["verdict"], "procure_from_list");
        assert_eq!(json["lists"][0]["list"], "ismap");
        let by_id: Value = a
            .get(&format!("/api/v1/procurement-check?service_id={iaas}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(by_id["day"], today.as_str());
        for (query, field) in [
            ("", "service_id"),
            ("?service_id=1&number=C21-0008-2", "service_id"),
            ("?service_id=abc", "service_id"),
            ("?number=C21-0008-2&date=2026-02-30", "date"),
            ("?number=%00bad", "number"),
        ] {
            let response = a.get(&format!("/api/v1/procurement-check{query}")).await;
            assert_eq!(response.status(), 400, "{query}");
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], field, "{query}");
        }
        assert_eq!(
            a.get("/api/v1/procurement-check?number=C99-9999-9")
                .await
                .status(),
            404
        );
        // A procurement system calls with a bearer token made at /account.
        let page = a
            .post_form("/account/tokens", &[("name", "procurement")])
            .await
            .text()
            .await
            .unwrap();
        let start = page.find("ismap_").expect("the new token is shown once");
        let token: String = page[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        let answer: Value = reqwest::Client::new()
            .get(server.url("/api/v1/procurement-check?number=C21-0008-2"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["verdict"], "procure_from_list");
        let agency_a = agency(&server, "サンプル省").await;
        assert_eq!(answer["agency_id"], agency_a, "the caller's own agency");
        let s = client(&server, "secretariat").await;
        assert_eq!(
            s.get("/api/v1/procurement-check?number=C21-0008-2")
                .await
                .status(),
            200
        );
        let provider = client(&server, "saas-admin").await;
        assert_eq!(
            provider
                .get("/api/v1/procurement-check?number=C21-0008-2")
                .await
                .status(),
            403
        );
        let anonymous = Client::new(&server);
        assert_eq!(
            anonymous
                .get("/api/v1/procurement-check?number=C21-0008-2")
                .await
                .status(),
            401
        );
    }
}

fn ciso_form(action: &str, basis: &str, version: i64, file: bool) -> reqwest::multipart::Form {
    let form = reqwest::multipart::Form::new()
        .text("action", action.to_owned())
        .text("basis", basis.to_owned())
        .text("evidence_note", "事業者の第三者認証報告書を確認")
        .text("confirmed_on", "2026-01-05")
        .text("version", version.to_string());
    if file {
        form.part(
            "file",
            reqwest::multipart::Part::bytes(PDF.to_vec())
                .file_name("evidence.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        )
    } else {
        form
    }
}

#[tokio::test]
async fn only_the_ciso_confirms_an_unregistered_service() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let officer = client(&server, "agency-a").await;
        let id = recorded(&officer, "未登録の分析SaaS").await;
        let page = officer
            .get(&format!("/agency/register/{id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("暫定措置による対応も困難なクラウドサービス"),
            "the seed is quoted"
        );
        let path = format!("/agency/register/{id}/ciso");
        // The officer prepares the draft, with the evidence file.
        let prepared = officer
            .post_multipart(
                &path,
                ciso_form("prepare", "統一基準に基づく確認結果", 1, true),
            )
            .await;
        assert!(
            location(&prepared).ends_with("#ciso"),
            "{backend:?}: {}",
            prepared.status()
        );
        // …but cannot confirm: refused in Japanese, the typed basis kept.
        let refused = officer
            .post_multipart(&path, ciso_form("confirm", "担当者の確認", 1, false))
            .await;
        assert_eq!(refused.status(), 403);
        let html = refused.text().await.unwrap();
        assert!(
            html.contains("確認できるのは、この府省庁の最高情報セキュリティ責任者（CISO）だけです")
        );
        assert!(html.contains("担当者の確認"));
        assert!(
            store::confirmations(&server.db, id)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store::get(&server.db, id).await.unwrap().path,
            Path::Undecided
        );

        let ciso = client(&server, "agency-a-ciso").await;
        let page = ciso
            .get(&format!("/agency/register/{id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("統一基準に基づく確認結果"),
            "the draft is prefilled"
        );
        let confirmed = ciso
            .post_multipart(
                &path,
                ciso_form("confirm", "統一基準に基づく確認結果", 1, false),
            )
            .await;
        assert!(
            location(&confirmed).ends_with("#ciso"),
            "{backend:?}: {}",
            confirmed.status()
        );
        let entry = store::get(&server.db, id).await.unwrap();
        assert_eq!(entry.path, Path::CisoConfirmed);
        let confirmations = store::confirmations(&server.db, id).await.unwrap();
        assert_eq!(confirmations.len(), 1);
        let c = &confirmations[0];
        assert_eq!(c.confirmed_on.to_string(), "2026-01-05");
        let (ciso_user, _) = ismap_store::users::find_for_sign_in(&server.db, "agency-a-ciso")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.confirmed_by, ciso_user.id);
        assert!(c.prepared_by.is_some() && c.prepared_by != Some(ciso_user.id));
        let file = c.file_id.expect("the draft's file is kept");
        let download = officer
            .get(&format!("/agency/register/{id}/files/{file}"))
            .await;
        assert_eq!(download.status(), 200);
        assert_eq!(download.bytes().await.unwrap().to_vec(), PDF.to_vec());
        let other = client(&server, "agency-b").await;
        assert_eq!(
            other
                .get(&format!("/agency/register/{id}/files/{file}"))
                .await
                .status(),
            404
        );
        // A stale form (the version moved on) is a conflict, nothing added.
        let stale = ciso
            .post_multipart(&path, ciso_form("confirm", "もう一度", 1, false))
            .await;
        assert_eq!(stale.status(), 409);
        assert_eq!(store::confirmations(&server.db, id).await.unwrap().len(), 1);
        let page = officer
            .get(&format!("/agency/register/{id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("CISO確認") && page.contains("が確認しました"));
    }
}

/// The demo SaaS on the ISMAP-LIU list only, valid today (test setup, as
/// the demo records the IaaS's registration); returns its number.
async fn on_the_liu_list(server: &TestServer, service: i64) -> String {
    let db = &server.db;
    let saas = ismap_store::services::get(db, service).await.unwrap();
    let today = server.clock.today();
    let number = ismap_domain::RegistrationNumber::first('L', today, 1);
    let valid_from = today - chrono::Duration::days(30);
    ismap_store::registrations::record_existing(
        db,
        &ismap_store::Actor::system("test"),
        ismap_store::registrations::ExistingRegistration {
            service_id: service,
            organization_id: saas.organization_id,
            list: ismap_domain::registration::ListKind::Liu,
            number: &number,
            details: ismap_store::registrations::NewRegistration {
                valid_from,
                valid_until: ismap_domain::validity::period_end(valid_from, 16).unwrap(),
                registered_on: valid_from,
                improvement_plan: false,
                name: &saas.name,
                name_en: "Example SaaS",
                provider: "株式会社サンプルクラウド",
                provider_en: "Sample Cloud K.K.",
                model: "SaaS",
                public: &serde_json::json!({ "service_url": "https://saas.example.jp" }),
            },
        },
    )
    .await
    .unwrap();
    number.to_string()
}

/// An entry of the signed-in agency for the portal's `service`, through
/// the register's form.
async fn linked(client: &Client<'_>, service: i64) -> i64 {
    let service = service.to_string();
    let mut form = unregistered("", "planned", "2027-04-01");
    form[1] = ("service_id", service.as_str());
    form[4] = ("purpose", "職員の予定管理");
    let response = record(client, &form).await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    location(&response)
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Presses 「調達前確認を実行」 on the entry's page (the day the form
/// offers: today) and returns the page shown after it.
async fn checked_from_page(client: &Client<'_>, entry: i64) -> String {
    let page = format!("/agency/register/{entry}");
    let html = client.get(&page).await.text().await.unwrap();
    assert!(html.contains("調達前確認を実行"), "{html}");
    let csrf = page_csrf(&html).unwrap();
    let today = client.server.clock.today().to_string();
    assert!(html.contains(&format!("name=\"day\" value=\"{today}\"")));
    let response = client
        .http
        .post(
            client
                .server
                .url(&format!("/agency/register/{entry}/checks")),
        )
        .form(&[("day", today.as_str()), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        location(&response),
        format!("/agency/register/{entry}#checks")
    );
    client.get(&page).await.text().await.unwrap()
}

/// The newest snapshot's section of an entry page.
fn newest_snapshot(html: &str) -> &str {
    let start = html
        .find("class=\"register-check-snapshot\"")
        .expect("a snapshot on the page");
    let end = start + html[start..].find("</section>").unwrap();
    &html[start..end]
}

/// The value of the option of the entry form's 「この利用の影響評価」 whose
/// text contains `label`; `None` when the select offers no such option.
fn assessment_option(html: &str, label: &str) -> Option<String> {
    let start = html.find("name=\"impact_assessment_id\"")?;
    let select = &html[start..start + html[start..].find("</select>")?];
    select.split("<option ").find_map(|option| {
        let (attributes, text) = option.split_once('>')?;
        if !text.contains(label) {
            return None;
        }
        let value = attributes.split_once("value=\"")?.1;
        Some(value[..value.find('"')?].to_owned())
    })
}

/// The version the entry page's edit form was read at.
fn form_version(html: &str) -> String {
    let start = html
        .find("name=\"version\" value=\"")
        .expect("a version field")
        + "name=\"version\" value=\"".len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// On the entry page, chooses the assessment `value` under 「この利用の
/// 影響評価」 and saves the edit form with the entry's other fields as
/// `linked` recorded them (`purpose` typed anew).
async fn save_with_assessment(
    client: &Client<'_>,
    entry: i64,
    service: i64,
    value: &str,
    purpose: &str,
) -> reqwest::Response {
    let page = format!("/agency/register/{entry}");
    let html = client.get(&page).await.text().await.unwrap();
    assert!(html.contains("この利用の影響評価（ISMAP-LIU）"), "{html}");
    let csrf = page_csrf(&html).unwrap();
    let version = form_version(&html);
    let service = service.to_string();
    let mut form = unregistered("", "planned", "2027-04-01");
    form[1] = ("service_id", service.as_str());
    form[4] = ("purpose", purpose);
    form.push(("impact_assessment_id", value));
    form.push(("version", version.as_str()));
    form.push(("csrf", csrf.as_str()));
    client
        .http
        .post(client.server.url(&page))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// For an ISMAP-LIU service the check answers about the agency's own
/// approved impact assessment **for this use**: the one the register
/// entry names under 「この利用の影響評価」 (chosen on the entry page from
/// the agency's own assessments of the service). None named: missing, with
/// the agency's approved assessments offered as candidates; one named and
/// still in progress: not approved yet; named and approved: procure from
/// the list. Another agency's assessment cannot be chosen (422 on the form,
/// 400 from the API's `assessment_id`), on the page and through the API.
#[tokio::test]
async fn an_liu_check_answers_with_the_callers_own_approved_assessment() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, _) = crate::helpers::saas_ids(&server).await;
        let number = on_the_liu_list(&server, service).await;
        let a = client(&server, "agency-a").await;
        let b = client(&server, "agency-b").await;
        let entry_a = linked(&a, service).await;
        let entry_b = linked(&b, service).await;
        let api = format!("/api/v1/procurement-check?service_id={service}");

        // No assessment at all: the form offers none, the check says none
        // is named and that there is none to name.
        let html = a
            .get(&format!("/agency/register/{entry_a}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("自組織のこのサービスの影響評価はまだありません"),
            "{backend:?}: {html}"
        );
        let snapshot_html = checked_from_page(&a, entry_a).await;
        let snapshot = newest_snapshot(&snapshot_html);
        assert!(
            snapshot.contains("この利用の影響評価が選ばれていません"),
            "{backend:?}: {snapshot}"
        );
        assert!(snapshot.contains("自組織のこのサービスの承認済みの影響評価はありません"));
        assert!(
            snapshot.contains("この利用の影響評価（自組織の承認済み）を指定する必要があります")
        );
        assert!(snapshot.contains(&number));
        let stored = &store::checks(&server.db, entry_a).await.unwrap()[0];
        assert_eq!(stored.verdict, "name_liu_assessment");
        assert_eq!(stored.result["liu_assessment"]["state"], "missing");
        assert_eq!(
            stored.result["liu_assessment"]["candidates"],
            serde_json::json!([])
        );
        assert_eq!(stored.result["lists"][0]["list"], "liu");
        assert_eq!(stored.result["lists"][0]["valid"], true);
        let provenance: Vec<(String, String)> = stored.result["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["key"].as_str().unwrap().to_owned(),
                    r["provenance"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert!(provenance.contains(&("liu-assessment".into(), "seed".into())));
        assert!(provenance.contains(&("liu-assessment-named".into(), "this_system".into())));
        assert_eq!(
            store::get(&server.db, entry_a).await.unwrap().path,
            Path::Undecided,
            "{backend:?}: on the list, not procurable from it yet"
        );

        // サンプル省 approves an assessment of another use (研修の案内) and
        // submits the one of this use (職員の予定管理), not yet approved.
        let other_use =
            crate::liu_assessments::submitted(&server, service, "研修の案内", "low").await;
        crate::liu_assessments::approve(&server, other_use).await;
        let this_use =
            crate::liu_assessments::submitted(&server, service, "職員の予定管理", "low").await;

        // Nothing named yet: the approved assessment of the other use is
        // offered as a candidate, and is not taken for this use.
        let snapshot_html = checked_from_page(&a, entry_a).await;
        let snapshot = newest_snapshot(&snapshot_html);
        assert!(
            snapshot.contains("この利用の影響評価が選ばれていません"),
            "{backend:?}: {snapshot}"
        );
        assert!(snapshot.contains("自組織の承認済みの影響評価があります"));
        assert!(
            snapshot.contains(&format!("影響評価 {other_use}「研修の案内」")),
            "{snapshot}"
        );
        assert!(
            !snapshot.contains("職員の予定管理」"),
            "not approved: no candidate"
        );
        let stored = &store::checks(&server.db, entry_a).await.unwrap()[0];
        assert_eq!(stored.verdict, "name_liu_assessment");
        assert_eq!(
            stored.result["liu_assessment"]["candidates"][0]["id"],
            other_use
        );
        let json: Value = a.get(&api).await.json().await.unwrap();
        assert_eq!(json["liu_assessment"]["state"], "missing", "{backend:?}");
        assert_eq!(json["verdict"], "name_liu_assessment");
        let candidates: Vec<i64> = json["liu_assessment"]["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert_eq!(candidates, [other_use]);
        assert_eq!(
            json["liu_assessment"]["candidates"][0]["use_name"],
            "研修の案内"
        );

        // The officer chooses this use's assessment on the entry page.
        let html = a
            .get(&format!("/agency/register/{entry_a}"))
            .await
            .text()
            .await
            .unwrap();
        let value = assessment_option(&html, "職員の予定管理").expect("the use's assessment");
        assert_eq!(value, this_use.to_string());
        assert!(
            html.contains(&format!(
                "影響評価 {this_use}「職員の予定管理」（承認待ち、"
            )),
            "use, state and day: {html}"
        );
        let saved = save_with_assessment(&a, entry_a, service, &value, "職員の予定管理").await;
        assert_eq!(saved.status(), 303, "{}", saved.text().await.unwrap());
        let stored_entry = store::get(&server.db, entry_a).await.unwrap();
        assert_eq!(stored_entry.impact_assessment_id, Some(this_use));
        let last = store::history(&server.db, entry_a)
            .await
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(last.action, "register.update");
        assert_eq!(last.after.unwrap()["impact_assessment_id"], this_use);
        assert_eq!(last.before.unwrap()["impact_assessment_id"], Value::Null);

        // Named, still in progress: not approved yet.
        let snapshot_html = checked_from_page(&a, entry_a).await;
        assert!(snapshot_html.contains(&format!("影響評価 {this_use}「職員の予定管理」")));
        let snapshot = newest_snapshot(&snapshot_html);
        assert!(
            snapshot.contains(&format!(
                "この利用の影響評価（影響評価 {this_use}「職員の予定管理」）はまだ承認されていません（承認待ち）"
            )),
            "{backend:?}: {snapshot}"
        );
        assert!(snapshot.contains("ISMAP-LIU の影響評価（自組織の承認）が必要です"));
        let stored = &store::checks(&server.db, entry_a).await.unwrap()[0];
        assert_eq!(stored.verdict, "needs_liu_assessment");
        assert_eq!(stored.result["liu_assessment"]["state"], "not_approved_yet");
        assert_eq!(
            stored.result["liu_assessment"]["assessment_state"],
            "submitted"
        );
        assert_eq!(
            store::get(&server.db, entry_a).await.unwrap().path,
            Path::Undecided
        );
        let with_id = format!("{api}&assessment_id={this_use}");
        let json: Value = a.get(&with_id).await.json().await.unwrap();
        assert_eq!(json["liu_assessment"]["state"], "not_approved_yet");
        assert_eq!(json["verdict"], "needs_liu_assessment");

        // サンプル省's CISO approves it: approved for this use.
        crate::liu_assessments::approve(&server, this_use).await;
        let snapshot_html = checked_from_page(&a, entry_a).await;
        let snapshot = newest_snapshot(&snapshot_html);
        assert!(
            snapshot.contains(&format!(
                "この利用について承認済み（影響評価 {this_use}「職員の予定管理」）"
            )),
            "{backend:?}: {snapshot}"
        );
        assert!(snapshot.contains("リストから調達できます"), "{snapshot}");
        let stored = &store::checks(&server.db, entry_a).await.unwrap()[0];
        assert_eq!(stored.verdict, "procure_from_list");
        assert_eq!(stored.result["liu_assessment"]["state"], "approved");
        assert_eq!(stored.result["liu_assessment"]["id"], this_use);
        assert_eq!(
            store::get(&server.db, entry_a).await.unwrap().path,
            Path::Registered,
            "{backend:?}"
        );
        // The earlier snapshots are kept as they were.
        let checks = store::checks(&server.db, entry_a).await.unwrap();
        assert_eq!(checks.len(), 4);
        let verdicts: Vec<&str> = checks.iter().map(|c| c.verdict.as_str()).collect();
        assert_eq!(
            verdicts,
            [
                "procure_from_list",
                "needs_liu_assessment",
                "name_liu_assessment",
                "name_liu_assessment"
            ]
        );
        // The API: with the use's assessment, approved; without it, the
        // approved assessments are candidates and one must be named.
        for query in [
            with_id.clone(),
            format!("/api/v1/procurement-check?number={number}&assessment_id={this_use}"),
        ] {
            let json: Value = a.get(&query).await.json().await.unwrap();
            assert_eq!(json["liu_assessment"]["state"], "approved", "{query}");
            assert_eq!(json["liu_assessment"]["id"], this_use);
            assert_eq!(json["liu_assessment"]["use_name"], "職員の予定管理");
            assert_eq!(json["verdict"], "procure_from_list");
            assert_eq!(json["agency_id"], agency(&server, "サンプル省").await);
        }
        let json: Value = a.get(&api).await.json().await.unwrap();
        assert_eq!(json["liu_assessment"]["state"], "missing");
        assert_eq!(json["verdict"], "name_liu_assessment");
        let mut candidates: Vec<i64> = json["liu_assessment"]["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        candidates.sort();
        assert_eq!(candidates, [other_use, this_use]);

        // サンプル庁: サンプル省's assessments are not its own — not offered,
        // refused when posted (422, field named, typed values kept), 400
        // from the API; its check still says none is named, with no
        // candidates.
        let html = b
            .get(&format!("/agency/register/{entry_b}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(assessment_option(&html, "職員の予定管理").is_none());
        assert!(html.contains("自組織のこのサービスの影響評価はまだありません"));
        let refused = save_with_assessment(
            &b,
            entry_b,
            service,
            &this_use.to_string(),
            "別の目的に書き換え",
        )
        .await;
        assert_eq!(refused.status(), 422, "{backend:?}");
        let html = refused.text().await.unwrap();
        assert!(html.contains("自組織のこのサービスの影響評価から選んでください"));
        assert!(
            html.contains("id=\"rg-assessment-error\""),
            "next to its field"
        );
        assert!(html.contains("別の目的に書き換え"), "typed values are kept");
        let unchanged = store::get(&server.db, entry_b).await.unwrap();
        assert_eq!(unchanged.impact_assessment_id, None);
        assert_eq!(unchanged.version, 1);
        assert_eq!(unchanged.purpose, "職員の予定管理");
        for query in [
            format!("{api}&assessment_id={this_use}"),
            format!("{api}&assessment_id=abc"),
            format!("{api}&assessment_id=999999"),
        ] {
            let response = b.get(&query).await;
            assert_eq!(response.status(), 400, "{backend:?} {query}");
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], "assessment_id", "{query}");
        }
        let secretariat = client(&server, "secretariat").await;
        let response = secretariat
            .get(&format!("{api}&assessment_id={this_use}"))
            .await;
        assert_eq!(response.status(), 400, "the secretariat has no assessment");
        let snapshot_html = checked_from_page(&b, entry_b).await;
        let snapshot = newest_snapshot(&snapshot_html);
        assert!(snapshot.contains("この利用の影響評価が選ばれていません"));
        assert!(snapshot.contains("自組織のこのサービスの承認済みの影響評価はありません"));
        assert!(!snapshot.contains("承認済み（影響評価"), "{snapshot}");
        let stored = &store::checks(&server.db, entry_b).await.unwrap()[0];
        assert_eq!(stored.verdict, "name_liu_assessment");
        assert_eq!(
            store::get(&server.db, entry_b).await.unwrap().path,
            Path::Undecided
        );
        for query in [
            api.clone(),
            format!("/api/v1/procurement-check?number={number}"),
        ] {
            let json: Value = b.get(&query).await.json().await.unwrap();
            assert_eq!(
                json["liu_assessment"]["state"], "missing",
                "{backend:?} {query}"
            );
            assert_eq!(json["liu_assessment"]["candidates"], serde_json::json!([]));
            assert_eq!(json["verdict"], "name_liu_assessment");
            assert_eq!(json["agency_id"], agency(&server, "サンプル庁").await);
        }
    }
}
