//! Registration end to end (issue 7): the demo provider's application goes
//! from submission through an information request and its answer to the
//! committee's decision, and the service appears on the public list with
//! the validity the Civil Code gives; the lists answer without sign-in,
//! with search, filters, downloads, a feed and cache headers.

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use serde_json::Value;

use ismap_web::testing::TestServer;

use crate::helpers::{BACKENDS, Client, PDF, engaged, server};

const DEFICIENT: &str = "8.1.2.7.PB";

/// The auditor records a result for every control (one deficiency) and
/// issues the report; returns the engagement.
pub async fn reported(server: &TestServer) -> i64 {
    let e = engaged(server).await.engagement;
    let auditor = Client::new(server);
    auditor.sign_in("auditor").await;
    let detail: Value = auditor
        .get(&format!("/api/v1/engagements/{e}"))
        .await
        .json()
        .await
        .unwrap();
    for control in detail["controls"].as_array().unwrap() {
        let id = control["id"].as_str().unwrap();
        let body = if id == DEFICIENT {
            r#"{"result": "deficiency", "performed": "inspection", "finding": "keys not offered to two tenants"}"#
        } else {
            r#"{"result": "conforming", "performed": "inspection"}"#
        };
        let saved = auditor
            .post_body(
                &format!("/api/v1/engagements/{e}/results/{id}"),
                "application/json",
                body.into(),
            )
            .await;
        assert_eq!(saved.status(), 200, "{id}");
    }
    let issued = auditor
        .post_form(&format!("/engagements/{e}/reports"), &[])
        .await;
    assert_eq!(issued.status(), 303);
    e
}

/// The application form as the provider fills it in.
pub fn application_form(engagement: i64, letter: bool) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new()
        .text("list", "ismap")
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
        .text("regions", "東京");
    if letter {
        form = form.part(
            "management_letter",
            reqwest::multipart::Part::bytes(PDF.to_vec())
                .file_name("keieisha-kakuninsho.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    }
    form
}

/// Sends the form to the confirmation (as htmx does), checks that nothing
/// is filed yet, presses 申請する and returns the application filed.
pub async fn confirm_and_file(
    client: &Client<'_>,
    service: i64,
    form: reqwest::multipart::Form,
) -> i64 {
    let before = ismap_store::applications::list(&client.server.db, None)
        .await
        .unwrap()
        .len();
    let checked = client
        .post_multipart(
            &format!("/services/{service}/applications"),
            form.text("step", "confirm"),
        )
        .await;
    assert_eq!(checked.status(), 200, "{}", checked.text().await.unwrap());
    let confirmation = checked.headers()["hx-redirect"]
        .to_str()
        .unwrap()
        .to_owned();
    let token = confirmation
        .strip_prefix(&format!("/services/{service}/apply?draft="))
        .unwrap_or_else(|| panic!("to the confirmation: {confirmation}"))
        .to_owned();
    assert_eq!(
        ismap_store::applications::list(&client.server.db, None)
            .await
            .unwrap()
            .len(),
        before,
        "nothing is filed before 申請する"
    );
    let page = client.get(&confirmation).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("申請内容の確認"));
    let filed = client
        .post_form(
            &format!("/services/{service}/applications"),
            &[("draft", &token)],
        )
        .await;
    assert_eq!(filed.status(), 303);
    let done = filed.headers()["location"].to_str().unwrap().to_owned();
    let prefix = format!("/services/{service}/apply?done=");
    done.strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("to the 完了 page: {done}"))
        .parse()
        .unwrap()
}

async fn state_of(server: &TestServer, application: i64) -> String {
    ismap_store::applications::get(&server.db, application)
        .await
        .unwrap()
        .state
        .key()
        .to_owned()
}

async fn transition(
    client: &Client<'_>,
    application: i64,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post_form(&format!("/applications/{application}/transitions"), fields)
        .await
}

#[tokio::test]
async fn from_submission_to_the_public_list() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let e = reported(&server).await;
        let (service, _) = crate::helpers::saas_ids(&server).await;
        let provider = Client::new(&server);
        provider.sign_in("saas-admin").await;

        // Refused: no improvement plan for the deficiency; no letter.
        let refused = provider
            .post_multipart(
                &format!("/services/{service}/applications"),
                application_form(e, true),
            )
            .await;
        assert_eq!(refused.status(), 409);
        assert!(refused.text().await.unwrap().contains(DEFICIENT));
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
        let no_letter = provider
            .post_multipart(
                &format!("/services/{service}/applications"),
                application_form(e, false),
            )
            .await;
        assert_eq!(no_letter.status(), 422);
        assert!(
            ismap_store::applications::list(&server.db, None)
                .await
                .unwrap()
                .is_empty(),
            "refused submissions store nothing"
        );

        // 入力 → 確認 → 完了, as the portal's form goes.
        let app = confirm_and_file(&provider, service, application_form(e, true)).await;
        assert_eq!(state_of(&server, app).await, "submitted");
        let again = provider
            .post_multipart(
                &format!("/services/{service}/applications"),
                application_form(e, true),
            )
            .await;
        assert_eq!(
            again.status(),
            409,
            "one application under review at a time"
        );
        assert!(
            again
                .text()
                .await
                .unwrap()
                .contains("このサービスには審査中の登録申請があります"),
            "said in Japanese"
        );

        // Nobody outside the provider and the reviewing bodies sees it.
        for outsider in ["iaas-admin", "auditor", "agency-a"] {
            let client = Client::new(&server);
            client.sign_in(outsider).await;
            assert_eq!(
                client.get(&format!("/applications/{app}")).await.status(),
                404,
                "{outsider}: as if there were none"
            );
        }

        let reviewer = Client::new(&server);
        reviewer.sign_in("reviewer").await;
        let queue = reviewer.get("/").await.text().await.unwrap();
        assert!(
            queue.contains(&format!("/applications/{app}")),
            "on IPA's queue"
        );
        // The management letter is readable by the reviewer (encrypted with the provider's key).
        let docs = ismap_store::applications::documents(&server.db, app)
            .await
            .unwrap();
        let letter = docs.iter().find(|d| d.kind == "management_letter").unwrap();
        let read = reviewer.get(&format!("/files/{}", letter.file.id)).await;
        assert_eq!(read.status(), 200);
        assert_eq!(read.bytes().await.unwrap().as_ref(), PDF);

        // A committee member cannot skip the review.
        let committee = Client::new(&server);
        committee.sign_in("committee").await;
        let skipped = transition(
            &committee,
            app,
            &[("transition", "register"), ("reason", "x")],
        )
        .await;
        assert_eq!(skipped.status(), 422, "not from a submitted application");

        assert_eq!(
            transition(&reviewer, app, &[("transition", "start_acceptance")])
                .await
                .status(),
            303
        );
        assert_eq!(
            transition(&reviewer, app, &[("transition", "accept")])
                .await
                .status(),
            303
        );
        let no_reason = transition(&reviewer, app, &[("transition", "refer_to_committee")]).await;
        assert_eq!(no_reason.status(), 422);
        let asked = transition(
            &reviewer,
            app,
            &[
                ("transition", "request_information"),
                ("reason", "baseline requirement 8.1.2.7.PB"),
                (
                    "questions",
                    "顧客管理鍵の提供時期を示してください。\n鍵の消去手順を添付してください。",
                ),
                ("due_date", "2099-02-28"),
            ],
        )
        .await;
        assert_eq!(asked.status(), 303);
        assert_eq!(state_of(&server, app).await, "information_requested");
        let questions = ismap_store::applications::questions(&server.db, app)
            .await
            .unwrap();
        assert_eq!(questions.len(), 2);
        // Referral waits for the answers.
        let early = transition(
            &reviewer,
            app,
            &[("transition", "refer_to_committee"), ("reason", "ok")],
        )
        .await;
        assert_eq!(early.status(), 422);

        let editor = Client::new(&server);
        editor.sign_in("saas-editor").await;
        for (i, q) in questions.iter().enumerate() {
            let mut form = reqwest::multipart::Form::new().text("answer", format!("回答 {i}"));
            if i == 1 {
                form = form.part(
                    "attachment",
                    reqwest::multipart::Part::bytes(PDF.to_vec())
                        .file_name("erasure-procedure.pdf")
                        .mime_str("application/pdf")
                        .unwrap(),
                );
            }
            let answered = editor
                .post_multipart(&format!("/applications/{app}/questions/{}", q.id), form)
                .await;
            assert_eq!(answered.status(), 200);
        }
        assert_eq!(
            state_of(&server, app).await,
            "technical_review",
            "the last answer sends it back to review"
        );
        assert_eq!(
            transition(
                &reviewer,
                app,
                &[
                    ("transition", "refer_to_committee"),
                    ("reason", "baseline requirements met")
                ],
            )
            .await
            .status(),
            303
        );
        let agenda = committee.get("/").await.text().await.unwrap();
        assert!(
            agenda.contains(&format!("/applications/{app}")),
            "on the committee's agenda"
        );
        assert_eq!(
            transition(
                &committee,
                app,
                &[
                    ("transition", "register"),
                    ("reason", "第42回運営委員会で決定")
                ],
            )
            .await
            .status(),
            303
        );
        assert_eq!(state_of(&server, app).await, "registered");
        let history = ismap_store::applications::history(&server.db, app)
            .await
            .unwrap();
        let steps: Vec<&str> = history.iter().map(|h| h.transition.as_str()).collect();
        assert_eq!(
            steps,
            [
                "submit",
                "start_acceptance",
                "accept",
                "request_information",
                "answer",
                "refer_to_committee",
                "register"
            ]
        );
        assert_eq!(history[6].actor, "committee");
        assert_eq!(history[6].reason, "第42回運営委員会で決定");

        // On the public list, without sign-in, valid from the day after the
        // audit period (2026-03-31) for 1 year and 4 months.
        let public = Client::new(&server);
        let list: Value = public
            .get("/api/v1/lists/ismap?q=Example%20Document")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 1);
        let entry = &list["entries"][0];
        assert_eq!(entry["valid_from"], "2026-04-01");
        assert_eq!(entry["valid_until"], "2027-07-31");
        assert_eq!(entry["status"], "valid");
        assert_eq!(entry["improvement_plan"], true);
        assert_eq!(entry["provider_address"], "東京都港区サンプル二丁目2番2号");
        let number = entry["number"].as_str().unwrap().to_owned();
        assert!(
            number.starts_with('C') && number.ends_with("-0009-1"),
            "{number}"
        );
        let page = public.get("/lists/ismap?q=サンプル文書").await;
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains(&number));
        let detail = public.get(&format!("/lists/ismap/{number}")).await;
        assert_eq!(detail.status(), 200);
        let html = detail.text().await.unwrap();
        assert!(
            html.contains("国内資本100%"),
            "procurer risk information is public"
        );
        assert!(
            !html.contains("/files/"),
            "never the annex or the audit report"
        );
        assert!(
            !html.contains("keys not offered"),
            "nor the audit's findings"
        );
        assert_eq!(
            public
                .get(&format!("/applications/{app}/report"))
                .await
                .status(),
            303,
            "the report needs sign-in (redirect)"
        );
        let registration = ismap_store::registrations::by_number(&server.db, &number)
            .await
            .unwrap();

        // Filters and sorting.
        let count = |query: &str| {
            let public = &public;
            let query = query.to_owned();
            async move {
                let v: Value = public
                    .get(&format!("/api/v1/lists/ismap?{query}"))
                    .await
                    .json()
                    .await
                    .unwrap();
                v["total"].as_i64().unwrap()
            }
        };
        assert_eq!(count("").await, 2, "the demo IaaS and the new SaaS");
        assert_eq!(count("model=SaaS").await, 1);
        assert_eq!(count("q=sample%20iaas").await, 1, "English, any case");
        assert_eq!(count("status=suspended").await, 0);
        assert_eq!(count("expiring=30").await, 0);
        let sorted: Value = public
            .get("/api/v1/lists/ismap?sort=valid_until&order=desc&per_page=1")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(sorted["entries"].as_array().unwrap().len(), 1);
        assert_eq!(sorted["total"], 2);
        let liu: Value = public.get("/api/v1/lists/liu").await.json().await.unwrap();
        assert_eq!(liu["total"], 0);
        assert_eq!(public.get("/api/v1/lists/other").await.status(), 404);
        assert_eq!(
            public.get("/api/v1/lists/ismap?sort=price").await.status(),
            422
        );

        // Downloads, the feed, cache headers.
        let csv = public
            .get("/lists/ismap/export?format=csv")
            .await
            .text()
            .await
            .unwrap();
        assert!(csv.contains(&number) && csv.contains("2027-07-31"));
        let xlsx = public
            .get("/lists/ismap/export?format=xlsx")
            .await
            .bytes()
            .await
            .unwrap();
        let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).unwrap();
        let sheet = book.worksheet_range("ismap").unwrap();
        assert_eq!(sheet.height(), 3);
        let json: Value = public
            .get("/lists/ismap/export?format=json")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(json["total"], 2);
        let feed = public.get("/lists/changes.atom").await;
        assert_eq!(
            feed.headers()["content-type"],
            "application/atom+xml; charset=utf-8"
        );
        assert!(feed.text().await.unwrap().contains(&number));
        let first = public.get("/api/v1/lists/ismap").await;
        assert_eq!(first.headers()["cache-control"], "public, max-age=60");
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        let again = public
            .http
            .get(server.url("/api/v1/lists/ismap"))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);

        // The provider's dashboard shows its renewal deadline.
        let home = provider.get("/").await.text().await.unwrap();
        assert!(home.contains(&number));

        // Suspension: the committee only, with a reason; shown on the list.
        let refused = reviewer
            .post_form(
                &format!("/registrations/{}/suspension", registration.id),
                &[("suspend", "true"), ("reason", "x")],
            )
            .await;
        assert_eq!(refused.status(), 403);
        let suspended = committee
            .post_form(
                &format!("/registrations/{}/suspension", registration.id),
                &[
                    ("suspend", "true"),
                    ("reason", "重大なインシデントの調査中"),
                ],
            )
            .await;
        assert_eq!(suspended.status(), 303);
        assert_eq!(count("status=suspended").await, 1);
        let detail = public
            .get(&format!("/lists/ismap/{number}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(detail.contains("重大なインシデントの調査中"));
    }
}

#[tokio::test]
async fn lapsed_registrations_leave_the_list_unless_a_renewal_is_under_review() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let e = reported(&server).await;
        let (service, _) = crate::helpers::saas_ids(&server).await;
        let db = &server.db;
        let saas = ismap_store::services::get(db, service).await.unwrap();
        let actor = ismap_store::Actor::system("test");
        let number: ismap_domain::RegistrationNumber = "C24-0100-1".parse().unwrap();
        let public = serde_json::json!({});
        let old = ismap_store::registrations::record_existing(
            db,
            &actor,
            ismap_store::registrations::ExistingRegistration {
                service_id: saas.id,
                organization_id: saas.organization_id,
                list: ismap_domain::registration::ListKind::Ismap,
                number: &number,
                details: ismap_store::registrations::NewRegistration {
                    valid_from: "2024-04-01".parse().unwrap(),
                    valid_until: "2025-07-31".parse().unwrap(),
                    registered_on: "2024-04-01".parse().unwrap(),
                    improvement_plan: false,
                    name: &saas.name,
                    name_en: "",
                    provider: &saas.organization_name,
                    provider_en: "",
                    model: "SaaS",
                    public: &public,
                },
            },
        )
        .await
        .unwrap();
        let anonymous = Client::new(&server);
        let listed = |q: &'static str| {
            let anonymous = &anonymous;
            async move {
                let v: Value = anonymous
                    .get(&format!("/api/v1/lists/ismap?q={q}"))
                    .await
                    .json()
                    .await
                    .unwrap();
                v["total"].as_i64().unwrap()
            }
        };
        assert_eq!(listed("C24-0100").await, 0, "lapsed: off the list");
        assert_eq!(anonymous.get("/lists/ismap/C24-0100-1").await.status(), 404);
        // Rule S7 reads the same: not valid today, valid on a day it covered.
        let s7_valid_on = |date: chrono::NaiveDate| async move {
            let registry = ismap_store::registrations::registry(db).await.unwrap();
            registry
                .get(&"C24-0100-1".parse().unwrap())
                .expect("in the registry")
                .is_valid_on(date)
        };
        let today = ismap_web::today();
        assert!(!s7_valid_on(today).await);
        assert!(s7_valid_on(old.valid_until).await);
        assert_eq!(
            ismap_store::registrations::of_service(db, saas.id)
                .await
                .unwrap()
                .len(),
            1,
            "history kept"
        );

        // A renewal application under review keeps it on the list.
        let provider = Client::new(&server);
        provider.sign_in("saas-admin").await;
        provider
            .post_form(
                &format!("/engagements/{e}/improvements"),
                &[
                    ("control", DEFICIENT),
                    ("measure", "m"),
                    ("due_date", "2099-01-31"),
                ],
            )
            .await;
        let submitted = provider
            .post_multipart(
                &format!("/services/{service}/applications"),
                application_form(e, true),
            )
            .await;
        assert_eq!(submitted.status(), 200);
        let application = &ismap_store::applications::list(db, None).await.unwrap()[0];
        assert_eq!(application.renewal_of, Some(old.id));
        assert_eq!(listed("C24-0100").await, 1, "renewal under review");
        assert!(
            s7_valid_on(today).await,
            "S7: valid while the renewal is reviewed"
        );

        // Registering the renewal supersedes the old entry: same serial, count + 1.
        let reviewer = Client::new(&server);
        reviewer.sign_in("reviewer").await;
        for (t, reason) in [
            ("start_acceptance", ""),
            ("accept", ""),
            ("refer_to_committee", "ok"),
        ] {
            assert_eq!(
                transition(
                    &reviewer,
                    application.id,
                    &[("transition", t), ("reason", reason)]
                )
                .await
                .status(),
                303,
                "{t}"
            );
        }
        let committee = Client::new(&server);
        committee.sign_in("committee").await;
        assert_eq!(
            transition(
                &committee,
                application.id,
                &[("transition", "register"), ("reason", "renewed")]
            )
            .await
            .status(),
            303
        );
        assert_eq!(listed("C24-0100-2").await, 1);
        assert_eq!(listed("C24-0100-1").await, 0);
        let history = ismap_store::registrations::of_service(db, saas.id)
            .await
            .unwrap();
        assert_eq!(history.len(), 2);
        assert!(history[0].superseded);

        // Withdrawal: only before the decision, by the provider's admin.
        let refused = transition(
            &provider,
            application.id,
            &[("transition", "withdraw"), ("reason", "x")],
        )
        .await;
        assert_eq!(refused.status(), 422, "decided applications stay decided");
    }
}

/// The improvement plan for the deficiency of [`reported`], so that the
/// application can be filed.
async fn plan(provider: &Client<'_>, engagement: i64) {
    let planned = provider
        .post_form(
            &format!("/engagements/{engagement}/improvements"),
            &[
                ("control", DEFICIENT),
                ("measure", "offer customer-managed keys"),
                ("due_date", "2099-01-31"),
            ],
        )
        .await;
    assert_eq!(planned.status(), 303);
}

async fn applications_of(server: &TestServer) -> usize {
    ismap_store::applications::list(&server.db, None)
        .await
        .unwrap()
        .len()
}

/// Issue 13: 入力 → 確認 → 完了. The form is checked and held with its
/// file; the confirmation shows everything; 戻る brings the form back as
/// typed with the file held; a correction without choosing the file again
/// keeps it; 申請する files once, and pressing it again shows the same 完了.
#[tokio::test]
async fn an_application_is_confirmed_before_it_is_filed() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let e = reported(&server).await;
        let (service, _) = crate::helpers::saas_ids(&server).await;
        let provider = Client::new(&server);
        provider.sign_in("saas-admin").await;
        plan(&provider, e).await;

        let checked = provider
            .post_multipart(
                &format!("/services/{service}/applications"),
                application_form(e, true).text("step", "confirm"),
            )
            .await;
        assert_eq!(checked.status(), 200, "{backend:?}");
        let confirmation = checked.headers()["hx-redirect"]
            .to_str()
            .unwrap()
            .to_owned();
        let first = confirmation.split("draft=").nth(1).unwrap().to_owned();
        assert_eq!(applications_of(&server).await, 0, "nothing filed yet");
        let page = provider.get(&confirmation).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        for shown in [
            "申請内容の確認",
            "aria-current=\"step\"",
            "ISMAPクラウドサービスリスト",
            "実施結果報告書 第1版",
            "ISMAP（全管理策）",
            "東京都港区サンプル二丁目2番2号",
            "年1回の侵入テスト",
            "keieisha-kakuninsho.pdf",
            &format!("({} B)", PDF.len()),
            "戻る",
            "申請する",
        ] {
            assert!(html.contains(shown), "{backend:?}: {shown:?} in\n{html}");
        }

        // 戻る: the form as typed, the file held.
        let back = provider.get(&format!("{confirmation}&edit=1")).await;
        assert_eq!(back.status(), 200);
        let html = back.text().await.unwrap();
        assert!(html.contains("value=\"代表取締役 見本 太郎\""), "{html}");
        assert!(html.contains(">年1回の侵入テスト</textarea>"), "{html}");
        assert!(html.contains("添付済み: keieisha-kakuninsho.pdf"), "{html}");
        assert!(html.contains(&format!("name=\"draft\" value=\"{first}\"")));

        // Corrected without choosing the letter again: it stays attached.
        let corrected = provider
            .post_multipart(
                &format!("/services/{service}/applications"),
                application_form(e, false)
                    .text("representative", "代表取締役 見本 花子")
                    .text("step", "confirm")
                    .text("draft", first.clone()),
            )
            .await;
        assert_eq!(corrected.status(), 200);
        let confirmation = corrected.headers()["hx-redirect"]
            .to_str()
            .unwrap()
            .to_owned();
        let second = confirmation.split("draft=").nth(1).unwrap().to_owned();
        assert_ne!(first, second);
        let html = provider.get(&confirmation).await.text().await.unwrap();
        assert!(html.contains("代表取締役 見本 花子"));
        assert!(html.contains("keieisha-kakuninsho.pdf"), "{html}");
        let stale = provider
            .get(&format!("/services/{service}/apply?draft={first}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(stale.contains("入力内容の保存期限が切れた"), "{stale}");

        // 申請する: filed, once.
        let filed = provider
            .post_form(
                &format!("/services/{service}/applications"),
                &[("draft", &second)],
            )
            .await;
        assert_eq!(filed.status(), 303);
        let done = filed.headers()["location"].to_str().unwrap().to_owned();
        let app: i64 = done.rsplit('=').next().unwrap().parse().unwrap();
        assert_eq!(applications_of(&server).await, 1);
        let application = ismap_store::applications::get(&server.db, app)
            .await
            .unwrap();
        assert_eq!(application.form["representative"], "代表取締役 見本 花子");
        let documents = ismap_store::applications::documents(&server.db, app)
            .await
            .unwrap();
        assert_eq!(documents.len(), 1);
        assert_eq!(documents[0].kind, "management_letter");
        assert_eq!(documents[0].file.file_name, "keieisha-kakuninsho.pdf");
        let html = provider.get(&done).await.text().await.unwrap();
        for shown in [
            "申請を受け付けました",
            "申請番号",
            &format!("id=\"application-number\">{app}<"),
            "この後の流れ",
            &format!("href=\"/applications/{app}\""),
        ] {
            assert!(html.contains(shown), "{shown:?} in\n{html}");
        }
        let twice = provider
            .post_form(
                &format!("/services/{service}/applications"),
                &[("draft", &second)],
            )
            .await;
        assert_eq!(twice.status(), 303);
        assert_eq!(twice.headers()["location"], done.as_str());
        assert_eq!(applications_of(&server).await, 1, "{backend:?}: once");

        // Someone else cannot use the token.
        let other = Client::new(&server);
        other.sign_in("saas-editor").await;
        assert_eq!(
            other
                .post_form(
                    &format!("/services/{service}/applications"),
                    &[("draft", &second)],
                )
                .await
                .status(),
            403
        );
    }
}

/// Issue 13: refusals reach the user in place, in their language, with
/// what they typed; the review's irreversible moves state their
/// consequence; IPA and the committee see the audit's scope and the way to
/// the statement view.
#[tokio::test]
async fn refusals_stay_in_place_and_moves_state_their_consequence() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let e = reported(&server).await;
        let (service, _) = crate::helpers::saas_ids(&server).await;
        let provider = Client::new(&server);
        provider.sign_in("saas-admin").await;
        plan(&provider, e).await;

        // Without scripts: the form again, in Japanese, as typed, the letter held.
        let plain = provider
            .http
            .post(server.url(&format!("/services/{service}/applications")))
            .header("x-csrf-token", provider.csrf().await)
            .multipart(
                application_form(e, true)
                    .text("representative", "")
                    .text("step", "confirm"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(plain.status(), 422, "{backend:?}");
        let html = plain.text().await.unwrap();
        assert!(html.contains("「代表者」を入力してください。"), "{html}");
        assert!(html.contains("value=\"東京都港区サンプル二丁目2番2号\""));
        assert!(html.contains("添付済み: keieisha-kakuninsho.pdf"), "{html}");
        assert!(html.contains("<span class=\"required\">必須</span>"));
        // With htmx: the refusal, the form stays as typed in the browser.
        let htmx = provider
            .post_multipart(
                &format!("/services/{service}/applications"),
                application_form(e, false).text("step", "confirm"),
            )
            .await;
        assert_eq!(htmx.status(), 422);
        assert!(
            htmx.text()
                .await
                .unwrap()
                .contains("経営者確認書のファイルを添付してください。")
        );
        // In English for someone reading English.
        let english = Client::new(&server);
        english.sign_in("saas-admin").await;
        english.get("/lang/en?next=/").await;
        let refused = english
            .post_multipart(
                &format!("/services/{service}/applications"),
                application_form(e, false).text("step", "confirm"),
            )
            .await;
        assert_eq!(refused.status(), 422);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("Attach the management representation letter.")
        );
        assert_eq!(applications_of(&server).await, 0);

        let app = confirm_and_file(&provider, service, application_form(e, true)).await;
        let page = provider
            .get(&format!("/applications/{app}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("申請を取り下げます"), "{page}");
        assert!(page.contains("class=\"button-danger\""));
        assert!(
            !page.contains("href=\"/statements/"),
            "the provider has its own statement pages"
        );

        let reviewer = Client::new(&server);
        reviewer.sign_in("reviewer").await;
        for t in ["start_acceptance", "accept"] {
            assert_eq!(
                transition(&reviewer, app, &[("transition", t)])
                    .await
                    .status(),
                303
            );
        }
        let statement = ismap_store::applications::get(&server.db, app)
            .await
            .unwrap()
            .statement_id;
        let page = reviewer
            .get(&format!("/applications/{app}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("id=\"audit-scope\">ISMAP（全管理策）<"),
            "{page}"
        );
        assert!(page.contains(&format!("href=\"/statements/{statement}\"")));
        assert!(
            page.contains("IPA 審査員（独立行政法人情報処理推進機構）"),
            "the history names people: {page}"
        );
        let rfc3339 = page.as_bytes().windows(11).any(|w| {
            w[..4].iter().all(u8::is_ascii_digit) && w[4] == b'-' && w[7] == b'-' && w[10] == b'T'
        });
        assert!(!rfc3339, "times for people, not RFC 3339: {page}");
        assert!(page.contains("運営委員会に付議します"), "{page}");

        // A question without a body: refused in place, the rest kept.
        let empty = transition(
            &reviewer,
            app,
            &[
                ("transition", "request_information"),
                ("reason", "鍵管理の確認"),
                ("questions", "  \n "),
                ("due_date", "2099-02-28"),
                ("from", "technical_review"),
            ],
        )
        .await;
        assert_eq!(empty.status(), 422);
        let html = empty.text().await.unwrap();
        assert!(html.contains("質問を1つ以上入力してください"), "{html}");
        assert!(html.contains("value=\"鍵管理の確認\""), "{html}");
        assert!(html.contains("value=\"2099-02-28\""), "{html}");
        // No reason to refer: refused in place.
        let no_reason = transition(
            &reviewer,
            app,
            &[("transition", "refer_to_committee"), ("reason", " ")],
        )
        .await;
        assert_eq!(no_reason.status(), 422);
        assert!(
            no_reason
                .text()
                .await
                .unwrap()
                .contains("理由を入力してください。")
        );
        // Sent from a state the application has left: said so.
        let stale = transition(
            &reviewer,
            app,
            &[("transition", "accept"), ("from", "acceptance_check")],
        )
        .await;
        assert_eq!(stale.status(), 409);
        assert!(
            stale
                .text()
                .await
                .unwrap()
                .contains("他の人が先にこの申請を進めました")
        );

        // An empty answer (htmx): refused in Japanese, nothing recorded.
        assert_eq!(
            transition(
                &reviewer,
                app,
                &[
                    ("transition", "request_information"),
                    ("reason", "鍵管理の確認"),
                    ("questions", "鍵の消去手順を示してください。"),
                    ("due_date", "2099-02-28"),
                ],
            )
            .await
            .status(),
            303
        );
        let question = ismap_store::applications::questions(&server.db, app)
            .await
            .unwrap()[0]
            .id;
        let path = format!("/applications/{app}/questions/{question}");
        let empty = provider
            .post_multipart(&path, reqwest::multipart::Form::new().text("answer", " "))
            .await;
        assert_eq!(empty.status(), 422);
        assert!(
            empty
                .text()
                .await
                .unwrap()
                .contains("回答を入力してください。")
        );
        let answered = provider
            .post_multipart(
                &path,
                reqwest::multipart::Form::new().text("answer", "暗号化消去を行います。"),
            )
            .await;
        assert_eq!(answered.status(), 200);
        assert_eq!(state_of(&server, app).await, "technical_review");

        assert_eq!(
            transition(
                &reviewer,
                app,
                &[
                    ("transition", "refer_to_committee"),
                    ("reason", "基準を満たす")
                ],
            )
            .await
            .status(),
            303
        );
        let committee = Client::new(&server);
        committee.sign_in("committee").await;
        let page = committee
            .get(&format!("/applications/{app}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(&format!("href=\"/statements/{statement}\"")));
        assert!(
            page.contains(
                "ISMAPクラウドサービスリストに有効期間 2026年4月1日〜2027年7月31日 で公開されます"
            ),
            "{page}"
        );
        let reject = page.split("id=\"do-reject\"").nth(1).unwrap();
        assert!(reject.contains("data-confirm=\""));
        assert!(reject.contains("には掲載されません"));
        let reject_button = reject.split("</form>").next().unwrap();
        assert!(
            reject_button.contains("class=\"button-danger\""),
            "{reject_button}"
        );
        let register = page.split("id=\"do-register\"").nth(1).unwrap();
        let register_button = register.split("</form>").next().unwrap();
        assert!(!register_button.contains("button-danger"));
    }
}

/// Two confirmed forms for the same service filed at the same moment (two
/// tabs): one application, the other told so in Japanese (the store checks
/// for an open application in the filing's transaction).
#[tokio::test]
async fn two_confirmed_forms_filed_at_once_make_one_application() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let e = reported(&server).await;
        let (service, _) = crate::helpers::saas_ids(&server).await;
        let provider = Client::new(&server);
        provider.sign_in("saas-admin").await;
        plan(&provider, e).await;
        let mut tokens = Vec::new();
        for _ in 0..2 {
            let checked = provider
                .post_multipart(
                    &format!("/services/{service}/applications"),
                    application_form(e, true).text("step", "confirm"),
                )
                .await;
            assert_eq!(checked.status(), 200);
            let to = checked.headers()["hx-redirect"]
                .to_str()
                .unwrap()
                .to_owned();
            tokens.push(to.split("draft=").nth(1).unwrap().to_owned());
        }
        let path = format!("/services/{service}/applications");
        let first = [("draft", tokens[0].as_str())];
        let second = [("draft", tokens[1].as_str())];
        let (a, b) = tokio::join!(
            provider.post_form(&path, &first),
            provider.post_form(&path, &second),
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [303, 409], "{backend:?}");
        let refused = if a.status() == 409 { a } else { b };
        let html = refused.text().await.unwrap();
        assert!(
            html.contains("このサービスには審査中の登録申請があります"),
            "{html}"
        );
        // Whether the refused request was checked before or after the
        // other one was filed, what was entered stays: the confirmation
        // page, or the form with everything typed.
        assert!(
            html.contains("申請内容の確認") || html.contains("security@saas.example.jp"),
            "what was entered stays: {html}"
        );
        assert_eq!(applications_of(&server).await, 1, "{backend:?}");
    }
}

/// Spec §7 (seed 001): an ISMAP-LIU audit has a reduced external scope, so
/// its report cannot support an application for the ISMAP list; the
/// refusal names the reason in the provider's language and files nothing.
#[tokio::test]
async fn an_liu_scope_audit_cannot_support_an_ismap_application() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let e = reported(&server).await;
        let (service, _) = crate::helpers::saas_ids(&server).await;
        let provider = Client::new(&server);
        provider.sign_in("saas-admin").await;
        plan(&provider, e).await;
        // The same audit, recorded as an ISMAP-LIU one.
        sqlx::query("UPDATE engagements SET scope = 'liu' WHERE id = $1")
            .bind(e)
            .execute(&server.db.pool)
            .await
            .unwrap();
        let refused = provider
            .post_multipart(
                &format!("/services/{service}/applications"),
                application_form(e, true).text("step", "confirm"),
            )
            .await;
        assert_eq!(refused.status(), 422, "{backend:?}");
        let html = refused.text().await.unwrap();
        assert!(
            html.contains("ISMAP-LIUの監査（外部監査の範囲が縮小されたもの）では、ISMAPクラウドサービスリストに申請できません"),
            "{backend:?}: {html}"
        );
        // An htmx answer: a message beside the form, which stays as typed.
        assert!(
            html.starts_with("<div class=\"alert alert-error\" role=\"alert\">"),
            "{backend:?}: {html}"
        );
        assert_eq!(applications_of(&server).await, 0, "{backend:?}");
    }
}
