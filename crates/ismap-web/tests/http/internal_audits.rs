//! Internal audits of ISMAP-LIU services (issue 14 item 7, spec §7.4): the
//! provider records them through the form as the page renders it, the
//! coverage follows, the report is encrypted at rest and reaches only the
//! right people, an ISMAP-LIU application waits for complete coverage, IPA
//! records its check before referral, the dashboard warns, and two
//! corrections of one record at once make one.

use std::collections::HashSet;

use chrono::NaiveDate;
use ismap_domain::liu;
use ismap_web::testing::TestServer;

use crate::helpers::{BACKENDS, Client, PDF, saas_ids, server};

/// The number of control objectives of chapters 5–18 in the default catalog.
fn objective_count() -> usize {
    liu::internal_audit_objectives(ismap_formats::bundled::default_catalog()).len()
}

/// The names of the fields of the form `id` on a page.
fn form_names(html: &str, id: &str) -> HashSet<String> {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("the page has the form {id}"));
    let start = html[..at].rfind("<form").expect("a form");
    let end = at + html[at..].find("</form>").expect("the form ends");
    let form = &html[start..end];
    form.match_indices("name=\"")
        .map(|(i, m)| {
            let rest = &form[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// The value of the hidden input `name` on a page.
fn hidden_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{name} on the page"))
        + marker.len();
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

/// A record form filled with `fields`, each of which the page rendered,
/// and the report file.
fn filled(
    names: &HashSet<String>,
    fields: &[(&str, &str)],
    report: Option<(&str, Vec<u8>)>,
) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in fields {
        assert!(names.contains(*name), "the form has no field {name}");
        form = form.text(name.to_string(), value.to_string());
    }
    if let Some((file_name, bytes)) = report {
        assert!(names.contains("report"), "the form has a report file field");
        form = form.part(
            "report",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(file_name.to_owned())
                .mime_str("application/pdf")
                .unwrap(),
        );
    }
    form
}

/// The usual fields of an internal audit held on `date`.
fn basics(date: &str) -> Vec<(&'static str, String)> {
    vec![
        ("audit_date", date.to_owned()),
        ("period_start", "2025-04-01".to_owned()),
        ("period_end", "2026-03-31".to_owned()),
        ("auditor_name", "監査 花子".to_owned()),
        ("auditor_department", "内部監査室".to_owned()),
        ("results", "重大な不備なし".to_owned()),
        ("findings", "アクセス権の見直し記録に一部漏れ".to_owned()),
    ]
}

/// Records an internal audit on `date` through the service's page (as
/// htmx sends it) with `extra` fields (ticked boxes, pasted ids); returns
/// the response.
async fn record(
    client: &Client<'_>,
    service: i64,
    date: &str,
    extra: &[(&str, &str)],
    report: Vec<u8>,
) -> reqwest::Response {
    let page = client
        .get(&format!("/services/{service}/internal-audits"))
        .await;
    assert_eq!(page.status(), 200);
    let names = form_names(&page.text().await.unwrap(), "internal-audit-form");
    let basics = basics(date);
    let mut fields: Vec<(&str, &str)> = basics.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fields.extend_from_slice(extra);
    client
        .post_multipart(
            &format!("/services/{service}/internal-audits"),
            filled(&names, &fields, Some(("naibu-kansa.pdf", report))),
        )
        .await
}

/// The record a successful post was redirected to.
fn recorded_id(response: &reqwest::Response) -> i64 {
    let to = response
        .headers()
        .get("hx-redirect")
        .unwrap_or_else(|| panic!("redirected: {}", response.status()))
        .to_str()
        .unwrap();
    to.strip_prefix("/internal-audits/")
        .unwrap_or_else(|| panic!("to the record: {to}"))
        .parse()
        .unwrap()
}

/// Every chapter's "select all" box, as ticked on the form.
fn all_chapters() -> Vec<(String, String)> {
    (5..=18)
        .map(|c| (format!("chapter-{c}"), "1".to_owned()))
        .collect()
}

async fn records_of(server: &TestServer, service: i64) -> usize {
    ismap_store::internal_audits::of_service(&server.db, service)
        .await
        .unwrap()
        .len()
}

async fn actions(server: &TestServer) -> Vec<String> {
    ismap_store::events::list(&server.db, None, 500)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[tokio::test]
async fn internal_audits_recorded_through_the_form_make_the_coverage() {
    let total = objective_count();
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, _) = saas_ids(&server).await;
        let provider = Client::new(&server);
        provider.sign_in("saas-editor").await;
        let service_page = provider
            .get(&format!("/services/{service}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            service_page.contains(&format!("href=\"/services/{service}/internal-audits\"")),
            "{backend:?}: the SaaS page links to its internal audits"
        );
        let empty = provider
            .get(&format!("/services/{service}/internal-audits"))
            .await
            .text()
            .await
            .unwrap();
        assert!(empty.contains("未網羅あり"), "{backend:?}");
        assert!(empty.contains(&format!("統制目標 {total} 件中 0 件が対象とされています")));
        assert!(
            empty.contains("本システムの仮定"),
            "the assumptions are named"
        );

        // Chapters 5 and 6 whole, one box of chapter 7, two pasted ids.
        let today = ismap_web::today().to_string();
        let recorded = record(
            &provider,
            service,
            &today,
            &[
                ("chapter-5", "1"),
                ("chapter-6", "1"),
                ("o-7.1.1", "1"),
                ("objective_ids", "8.1.1、 9.2.3\n9.2.3"),
            ],
            PDF.to_vec(),
        )
        .await;
        assert_eq!(recorded.status(), 200, "{backend:?}");
        let id = recorded_id(&recorded);
        let stored = ismap_store::internal_audits::get(&server.db, id)
            .await
            .unwrap();
        let catalog = ismap_formats::bundled::default_catalog();
        let expected: Vec<String> = liu::internal_audit_objectives(catalog)
            .iter()
            .filter(|o| matches!(o.chapter(), 5 | 6))
            .map(ToString::to_string)
            .chain(["7.1.1", "8.1.1", "9.2.3"].map(str::to_owned))
            .collect();
        let mut sorted = expected.clone();
        sorted.sort();
        assert_eq!(stored.objectives, sorted, "{backend:?}");
        assert_eq!(stored.auditor_department, "内部監査室");

        let page = provider
            .get(&format!("/services/{service}/internal-audits"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!(
                "統制目標 {total} 件中 {} 件が対象とされています",
                expected.len()
            )),
            "{backend:?}"
        );
        assert!(page.contains("id=\"ia-covered-9.2.3\""));
        assert!(!page.contains("id=\"ia-covered-9.2.4\""));
        assert!(page.contains(&format!("/internal-audits/{id}/report")));
        let one = provider
            .get(&format!("/internal-audits/{id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(one.contains("重大な不備なし") && one.contains("監査 花子（内部監査室）"));
        assert!(
            actions(&server)
                .await
                .contains(&"internal_audit.record".to_owned())
        );

        // In English, the same page in English.
        let english = provider.get("/lang/en").await;
        assert_eq!(english.status(), 303);
        let page_en = provider
            .get(&format!("/services/{service}/internal-audits"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page_en.contains("Internal audit reports"), "{backend:?}");
        assert!(page_en.contains(&format!(
            "{} of {total} control objectives covered",
            expected.len()
        )));
        assert!(page_en.contains("assumptions of this system"));

        // Other providers' people see nothing.
        let other = Client::new(&server);
        other.sign_in("iaas-admin").await;
        assert_eq!(
            other.get(&format!("/internal-audits/{id}")).await.status(),
            404
        );
    }
}

#[tokio::test]
async fn an_unusable_objective_is_named_and_nothing_is_stored() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, _) = saas_ids(&server).await;
        let provider = Client::new(&server);
        provider.sign_in("saas-admin").await;
        let today = ismap_web::today().to_string();
        let refused = record(
            &provider,
            service,
            &today,
            &[("objective_ids", "5.1.1, 5.9.9, 3.1.1, abc")],
            PDF.to_vec(),
        )
        .await;
        assert_eq!(refused.status(), 422, "{backend:?}");
        let text = refused.text().await.unwrap();
        for named in [
            "「5.9.9」はカタログにない統制目標です",
            "「3.1.1」は管理策基準（第5章〜第18章）の統制目標ではありません",
            "「abc」は統制目標の番号として読めません",
        ] {
            assert!(text.contains(named), "{backend:?}: {named} in {text}");
        }
        assert!(!text.contains("「5.1.1」"), "a good id is not named");
        assert_eq!(records_of(&server, service).await, 0, "{backend:?}");
        let files: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stored_files")
            .fetch_one(&server.db.pool)
            .await
            .unwrap();
        assert_eq!(files, 0, "{backend:?}: no file stored either");

        // Without scripts the page comes back with the message, as typed.
        let page = provider
            .get(&format!("/services/{service}/internal-audits"))
            .await
            .text()
            .await
            .unwrap();
        let names = form_names(&page, "internal-audit-form");
        let basics = basics(&today);
        let mut fields: Vec<(&str, &str)> = basics.iter().map(|(k, v)| (*k, v.as_str())).collect();
        fields.push(("o-5.1.1", "1"));
        fields.push(("objective_ids", "18.9.9"));
        let plain = provider
            .http
            .post(server.url(&format!("/services/{service}/internal-audits")))
            .header("x-csrf-token", provider.csrf().await)
            .multipart(filled(&names, &fields, Some(("r.pdf", PDF.to_vec()))))
            .send()
            .await
            .unwrap();
        assert_eq!(plain.status(), 422, "{backend:?}");
        let again = plain.text().await.unwrap();
        assert!(again.contains("「18.9.9」はカタログにない統制目標です"));
        assert!(again.contains(">18.9.9</textarea>"), "the pasted ids kept");
        assert!(again.contains("value=\"監査 花子\""), "the name kept");
        assert!(
            again.contains("name=\"o-5.1.1\" value=\"1\" checked"),
            "the ticked box kept"
        );

        // No objective at all, and no report file: refused, said why.
        let none = provider
            .post_multipart(
                &format!("/services/{service}/internal-audits"),
                filled(&names, &fields[..7], Some(("r.pdf", PDF.to_vec()))),
            )
            .await;
        assert_eq!(none.status(), 422);
        assert!(
            none.text()
                .await
                .unwrap()
                .contains("対象とした統制目標を1つ以上選んでください")
        );
        let mut no_file = fields[..7].to_vec();
        no_file.push(("o-5.1.1", "1"));
        let no_file = provider
            .post_multipart(
                &format!("/services/{service}/internal-audits"),
                filled(&names, &no_file, None),
            )
            .await;
        assert_eq!(no_file.status(), 422);
        assert!(
            no_file
                .text()
                .await
                .unwrap()
                .contains("内部監査報告書のファイルを選んでください")
        );
        assert_eq!(records_of(&server, service).await, 0, "{backend:?}");
    }
}

#[tokio::test]
async fn reports_are_encrypted_at_rest_and_reach_the_right_people_only() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, _) = saas_ids(&server).await;
        let provider = Client::new(&server);
        provider.sign_in("saas-admin").await;
        let marker = b"INTERNAL-AUDIT-REPORT-MARKER";
        let mut report = PDF.to_vec();
        report.extend_from_slice(b"% ");
        report.extend_from_slice(marker);
        report.push(b'\n');
        let recorded = record(
            &provider,
            service,
            &ismap_web::today().to_string(),
            &[("chapter-5", "1")],
            report.clone(),
        )
        .await;
        assert_eq!(recorded.status(), 200, "{backend:?}");
        let id = recorded_id(&recorded);
        let file = ismap_store::internal_audits::get(&server.db, id)
            .await
            .unwrap()
            .file;
        let stored: Vec<u8> =
            sqlx::query_scalar("SELECT ciphertext FROM stored_files WHERE id = $1")
                .bind(file.id)
                .fetch_one(&server.db.pool)
                .await
                .unwrap();
        assert_ne!(stored, report, "{backend:?}");
        assert!(
            !stored.windows(marker.len()).any(|w| w == marker),
            "{backend:?}: the plaintext is not stored"
        );

        let path = format!("/internal-audits/{id}/report");
        for who in ["saas-admin", "saas-editor"] {
            let client = Client::new(&server);
            client.sign_in(who).await;
            let got = client.get(&path).await;
            assert_eq!(got.status(), 200, "{backend:?} {who}");
            assert_eq!(got.bytes().await.unwrap().to_vec(), report, "{who}");
        }
        // No ISMAP-LIU application yet: IPA and the committee do not see it.
        for who in [
            "iaas-admin",
            "reviewer",
            "committee",
            "secretariat",
            "auditor",
            "agency-a",
            "digital-agency",
        ] {
            let client = Client::new(&server);
            client.sign_in(who).await;
            assert_eq!(client.get(&path).await.status(), 404, "{backend:?} {who}");
            assert_eq!(
                client.get(&format!("/internal-audits/{id}")).await.status(),
                404,
                "{backend:?} {who}"
            );
        }
        let anonymous = Client::new(&server);
        let redirected = anonymous.get(&path).await;
        assert_eq!(redirected.status(), 303, "{backend:?}");
        assert!(
            redirected.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/signin")
        );
    }
}

/// The form of an ISMAP-LIU application resting on `engagement`.
fn liu_application_form(engagement: i64) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("list", "liu")
        .text("engagement", engagement.to_string())
        .text("service_name_en", "Example Document SaaS")
        .text("provider_address", "東京都港区サンプル二丁目2番2号")
        .text("representative", "代表取締役 見本 太郎")
        .text("contact", "security@saas.example.jp")
        .text("service_url", "https://saas.example.jp")
        .text("subsequent_events", "該当なし")
        .text("capital_and_officers", "国内資本100%")
        .text("foreign_law_exposure", "データは国内のみに保存")
        .text("governing_law", "日本法、東京地方裁判所")
        .text("third_party_tests", "年1回の侵入テスト")
        .text("regions", "東京")
        .part(
            "management_letter",
            reqwest::multipart::Part::bytes(PDF.to_vec())
                .file_name("keieisha-kakuninsho.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        )
}

/// An accepted pre-application of the demo SaaS (issue 14 item 6): filed
/// over HTTP by the assessments' fixture, accepted in the store.
async fn accepted_pre_application(server: &TestServer, service: i64) {
    let (_, pre, _) = crate::liu_assessments::authz_fixture(server, service).await;
    let stored = ismap_store::pre_applications::get(&server.db, pre)
        .await
        .unwrap();
    ismap_store::pre_applications::move_to(
        &server.db,
        &ismap_store::Actor::system("test"),
        &stored,
        ismap_domain::pre_application::PreTransition::Accept,
        ismap_domain::pre_application::PreApplicationState::Accepted,
        "",
    )
    .await
    .unwrap();
}

async fn state_of(server: &TestServer, application: i64) -> String {
    ismap_store::applications::get(&server.db, application)
        .await
        .unwrap()
        .state
        .key()
        .to_owned()
}

#[tokio::test]
async fn an_liu_application_waits_for_coverage_and_referral_for_ipas_check() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, _) = saas_ids(&server).await;
        let engagement =
            crate::helpers::issued_report(&server, "liu", (1, 3), ("2025-04-01", "2026-03-31"))
                .await;
        accepted_pre_application(&server, service).await;
        let provider = Client::new(&server);
        provider.sign_in("saas-admin").await;
        let today = ismap_web::today().to_string();
        // Chapters 5 to 17 only: chapter 18's objectives stay uncovered.
        let first = record(
            &provider,
            service,
            &today,
            &(5..=17)
                .map(|c| (format!("chapter-{c}"), "1".to_owned()))
                .collect::<Vec<_>>()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
            PDF.to_vec(),
        )
        .await;
        assert_eq!(first.status(), 200, "{backend:?}");
        let first = recorded_id(&first);
        let chapter_18: Vec<String> =
            liu::internal_audit_objectives(ismap_formats::bundled::default_catalog())
                .iter()
                .filter(|o| o.chapter() == 18)
                .map(ToString::to_string)
                .collect();

        let refused = provider
            .post_multipart(
                &format!("/services/{service}/applications"),
                liu_application_form(engagement).text("step", "confirm"),
            )
            .await;
        assert_eq!(refused.status(), 409, "{backend:?}");
        let text = refused.text().await.unwrap();
        assert!(text.contains("内部監査の網羅が不足しているため"), "{text}");
        assert!(
            text.contains(&format!(
                "{} 件中 {} 件あります: {}",
                objective_count(),
                chapter_18.len(),
                chapter_18.join(", ")
            )),
            "{backend:?}: {text}"
        );
        // Without scripts: the form again, as typed, with the refusal.
        let plain = provider
            .http
            .post(server.url(&format!("/services/{service}/applications")))
            .header("x-csrf-token", provider.csrf().await)
            .multipart(liu_application_form(engagement).text("step", "confirm"))
            .send()
            .await
            .unwrap();
        assert_eq!(plain.status(), 409, "{backend:?}");
        let page = plain.text().await.unwrap();
        assert!(page.contains("内部監査の網羅が不足しているため"));
        assert!(
            page.contains("value=\"代表取締役 見本 太郎\""),
            "typed kept"
        );
        assert!(
            ismap_store::applications::list(&server.db, None)
                .await
                .unwrap()
                .is_empty()
        );

        // Chapter 18 audited too: the application goes through.
        let second = record(
            &provider,
            service,
            &today,
            &[("chapter-18", "1")],
            PDF.to_vec(),
        )
        .await;
        assert_eq!(second.status(), 200, "{backend:?}");
        let second = recorded_id(&second);
        let application = crate::registration::confirm_and_file(
            &provider,
            service,
            liu_application_form(engagement),
        )
        .await;

        // IPA reads the reports on the application page and downloads them.
        let reviewer = Client::new(&server);
        reviewer.sign_in("reviewer").await;
        let shown = reviewer
            .get(&format!("/applications/{application}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(shown.contains("id=\"internal-audits\""), "{backend:?}");
        assert!(shown.contains("id=\"ia-unchecked\""));
        for id in [first, second] {
            assert!(shown.contains(&format!("href=\"/internal-audits/{id}/report\"")));
            let got = reviewer.get(&format!("/internal-audits/{id}/report")).await;
            assert_eq!(got.status(), 200, "{backend:?}");
            assert_eq!(got.bytes().await.unwrap().to_vec(), PDF.to_vec());
        }
        let committee = Client::new(&server);
        committee.sign_in("committee").await;
        assert_eq!(
            committee
                .get(&format!("/internal-audits/{first}"))
                .await
                .status(),
            200
        );

        let moves = format!("/applications/{application}/transitions");
        for step in ["start_acceptance", "accept"] {
            let moved = reviewer.post_form(&moves, &[("transition", step)]).await;
            assert_eq!(moved.status(), 303, "{backend:?} {step}");
        }
        let early = reviewer
            .post_form(
                &moves,
                &[("transition", "refer_to_committee"), ("reason", "ok")],
            )
            .await;
        assert_eq!(early.status(), 409, "{backend:?}");
        assert!(
            early
                .text()
                .await
                .unwrap()
                .contains("内部監査報告書の確認を記録してから運営委員会に付議してください")
        );
        assert_eq!(state_of(&server, application).await, "technical_review");

        // The check, from the form the page shows.
        let page = reviewer
            .get(&format!("/applications/{application}"))
            .await
            .text()
            .await
            .unwrap();
        let names = form_names(&page, "internal-audit-check");
        assert!(names.contains("note") && names.contains("seen"));
        let seen = hidden_value(&page, "seen");
        assert_eq!(seen, second.to_string());
        let empty = reviewer
            .post_form(
                &format!("/applications/{application}/internal-audit-check"),
                &[("seen", &seen), ("note", " ")],
            )
            .await;
        assert_eq!(empty.status(), 422);
        assert!(
            empty
                .text()
                .await
                .unwrap()
                .contains("確認の所見を入力してください")
        );
        let checked = reviewer
            .post_form(
                &format!("/applications/{application}/internal-audit-check"),
                &[("seen", &seen), ("note", "第5章〜第18章の網羅を確認")],
            )
            .await;
        assert_eq!(checked.status(), 303, "{backend:?}");
        let after = reviewer
            .get(&format!("/applications/{application}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(after.contains("第5章〜第18章の網羅を確認"), "{backend:?}");
        assert!(after.contains("id=\"ia-checks\""));
        assert!(
            actions(&server)
                .await
                .contains(&"internal_audit.check".to_owned())
        );
        let provider_view = provider
            .get(&format!("/applications/{application}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(provider_view.contains("第5章〜第18章の網羅を確認"));
        assert!(!provider_view.contains("id=\"internal-audit-check\""));
        assert_eq!(
            provider
                .post_form(
                    &format!("/applications/{application}/internal-audit-check"),
                    &[("seen", &seen), ("note", "x")],
                )
                .await
                .status(),
            403,
            "the provider does not check its own reports"
        );

        let referred = reviewer
            .post_form(
                &moves,
                &[("transition", "refer_to_committee"), ("reason", "ok")],
            )
            .await;
        assert_eq!(referred.status(), 303, "{backend:?}");
        assert_eq!(
            state_of(&server, application).await,
            "referred_to_committee"
        );
    }
}

/// The first day whose internal audit is counted until `last`.
fn audited_for(last: NaiveDate) -> NaiveDate {
    let mut day = last - chrono::Duration::days(3 * 366);
    while liu::last_day_counted(day) < last {
        day = day.succ_opt().unwrap();
    }
    day
}

#[tokio::test]
async fn the_dashboard_warns_before_coverage_leaves_the_window() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, _) = saas_ids(&server).await;
        let provider = Client::new(&server);
        provider.sign_in("saas-admin").await;
        let quiet = provider.get("/").await.text().await.unwrap();
        assert!(
            !quiet.contains("id=\"internal-audit-warnings\""),
            "{backend:?}"
        );

        // Chapter 5 audited long ago: its coverage ends in 30 days.
        let last = ismap_web::today() + chrono::Duration::days(30);
        let old = audited_for(last);
        let recorded = record(
            &provider,
            service,
            &old.to_string(),
            &[("chapter-5", "1")],
            PDF.to_vec(),
        )
        .await;
        assert_eq!(recorded.status(), 200, "{backend:?}");
        let dashboard = provider.get("/").await.text().await.unwrap();
        assert!(
            dashboard.contains("id=\"internal-audit-warnings\""),
            "{backend:?}"
        );
        let day = format!(
            "{}年{}月{}日",
            last.format("%Y"),
            last.format("%-m"),
            last.format("%-d")
        );
        assert!(
            dashboard.contains(&format!("{day} を最後に期間外になる統制目標（2 件）")),
            "{backend:?}: {day}"
        );
        assert!(dashboard.contains("5.1.1, 5.1.2"));
        assert!(dashboard.contains(&format!(
            "直近3年間の内部監査で対象とされていない統制目標が {} 件中 {} 件あります",
            objective_count(),
            objective_count() - 2
        )));
        let coverage = provider
            .get(&format!("/services/{service}/internal-audits"))
            .await
            .text()
            .await
            .unwrap();
        assert!(coverage.contains("まもなく期間外"));

        // Another provider's dashboard says nothing of it.
        let other = Client::new(&server);
        other.sign_in("iaas-admin").await;
        assert!(
            !other
                .get("/")
                .await
                .text()
                .await
                .unwrap()
                .contains("id=\"internal-audit-warnings\"")
        );

        // Audited again today for every chapter: no warning is left.
        let fresh = all_chapters();
        let fresh: Vec<(&str, &str)> = fresh
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let again = record(
            &provider,
            service,
            &ismap_web::today().to_string(),
            &fresh,
            PDF.to_vec(),
        )
        .await;
        assert_eq!(again.status(), 200);
        let calm = provider.get("/").await.text().await.unwrap();
        assert!(
            !calm.contains("id=\"internal-audit-warnings\""),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn two_corrections_of_one_record_at_once_make_one() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, _) = saas_ids(&server).await;
        let admin = Client::new(&server);
        admin.sign_in("saas-admin").await;
        let editor = Client::new(&server);
        editor.sign_in("saas-editor").await;
        let today = ismap_web::today().to_string();
        let recorded = record(&admin, service, &today, &[("chapter-5", "1")], PDF.to_vec()).await;
        let original = recorded_id(&recorded);

        // Both open the record's correction form, prefilled as recorded.
        let page = admin
            .get(&format!("/internal-audits/{original}"))
            .await
            .text()
            .await
            .unwrap();
        let names = form_names(&page, "internal-audit-form");
        assert!(names.contains("amends") && names.contains("reason"));
        assert!(page.contains("name=\"o-5.1.1\" value=\"1\" checked"));
        let correction = |reason: &'static str, chapter: &'static str| {
            let basics = basics(&today);
            let mut fields: Vec<(&str, String)> =
                basics.iter().map(|(k, v)| (*k, v.clone())).collect();
            fields.push(("amends", original.to_string()));
            fields.push(("reason", reason.to_owned()));
            fields.push((chapter, "1".to_owned()));
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            filled(&names, &fields, None)
        };
        let path = format!("/services/{service}/internal-audits");
        let (a, b) = tokio::join!(
            admin.post_multipart(&path, correction("第6章も対象だった", "chapter-6")),
            editor.post_multipart(&path, correction("第7章も対象だった", "chapter-7")),
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{backend:?}");
        let loser = if a.status() == 409 { a } else { b };
        assert!(
            loser
                .text()
                .await
                .unwrap()
                .contains(&format!("記録 #{original} は他の人がすでに訂正しています"))
        );
        let records = ismap_store::internal_audits::of_service(&server.db, service)
            .await
            .unwrap();
        assert_eq!(records.len(), 2, "{backend:?}: one correction");
        let standing: Vec<_> = records.iter().filter(|r| r.is_current()).collect();
        assert_eq!(standing.len(), 1);
        assert_eq!(standing[0].amends, Some(original));
        let old = records.iter().find(|r| r.id == original).unwrap();
        assert_eq!(old.superseded_by, Some(standing[0].id));
        assert_eq!(old.file.id, standing[0].file.id, "the report is kept");
        assert_eq!(
            actions(&server)
                .await
                .iter()
                .filter(|a| *a == "internal_audit.amend")
                .count(),
            1
        );
        // A corrected record offers no correction form; its page says by which.
        let old_page = admin
            .get(&format!("/internal-audits/{original}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(old_page.contains("id=\"ia-superseded\""));
        assert!(!old_page.contains("id=\"internal-audit-form\""));
        // The database refuses to rewrite a record.
        let rewritten = sqlx::query("UPDATE internal_audits SET results = 'x' WHERE id = $1")
            .bind(original)
            .execute(&server.db.pool)
            .await;
        assert!(rewritten.is_err(), "{backend:?}");
        let deleted = sqlx::query("DELETE FROM internal_audits WHERE id = $1")
            .bind(original)
            .execute(&server.db.pool)
            .await;
        assert!(deleted.is_err(), "{backend:?}");
    }
}

/// For the authorization matrix: an internal audit of the demo SaaS,
/// recorded over HTTP by its provider; its id.
pub async fn authz_fixture(server: &TestServer, service: i64) -> i64 {
    let provider = Client::new(server);
    provider.sign_in("saas-admin").await;
    let recorded = record(
        &provider,
        service,
        &ismap_web::today().to_string(),
        &[("chapter-5", "1")],
        PDF.to_vec(),
    )
    .await;
    assert_eq!(recorded.status(), 200);
    recorded_id(&recorded)
}
