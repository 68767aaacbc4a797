//! Audits end to end (issue 5): the provider engages the audit organization,
//! the auditor records a result for every control of the frozen statement
//! and issues the report (page and XLSX), the provider files an improvement
//! plan; evidence files stay with their organization and die with its key.

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use serde_json::Value;

use crate::helpers::{BACKENDS, Client, PDF, engaged, evidence_form, server};

const DEFICIENT: &str = "8.1.2.7.PB";

#[tokio::test]
async fn from_engagement_to_report_and_improvement_plan() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let ids = engaged(&server).await;
        let e = ids.engagement;

        // The engagement is visible to the two parties only.
        let auditor = Client::new(&server);
        auditor.sign_in("auditor").await;
        let page = auditor.get(&format!("/engagements/{e}")).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(
            html.contains("監査中"),
            "status in progress after assignment"
        );
        let outsider = Client::new(&server);
        outsider.sign_in("iaas-admin").await;
        assert_eq!(
            outsider.get(&format!("/engagements/{e}")).await.status(),
            404,
            "as if it did not exist (issue 12 item 18)"
        );

        // The report cannot be issued before every control has a result.
        let early = auditor
            .post_form(&format!("/engagements/{e}/reports"), &[])
            .await;
        assert_eq!(early.status(), 409);
        assert!(
            early
                .text()
                .await
                .unwrap()
                .contains("件の管理策に結果がありません"),
            "said in Japanese"
        );

        // A deficiency needs its finding: refused, and nothing recorded.
        let refused = auditor
            .post_body(
                &format!("/api/v1/engagements/{e}/results/{DEFICIENT}"),
                "application/json",
                r#"{"result": "deficiency", "performed": "inspected key settings"}"#.into(),
            )
            .await;
        assert_eq!(refused.status(), 422);
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "finding");

        // Every control of the statement gets a result, through the page's form.
        let detail: Value = auditor
            .get(&format!("/api/v1/engagements/{e}"))
            .await
            .json()
            .await
            .unwrap();
        let controls: Vec<String> = detail["controls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(controls.len(), 290, "a full audit covers every control");
        for control in &controls {
            let (result, finding) = if control == DEFICIENT {
                (
                    "deficiency",
                    "customer-managed keys were not offered to two tenants",
                )
            } else {
                ("conforming", "")
            };
            let saved = auditor
                .post_form(
                    &format!("/engagements/{e}/results/{control}"),
                    &[
                        ("result", result),
                        ("performed", "inspection and re-performance"),
                        ("finding", finding),
                        ("samples", "25 of 250"),
                    ],
                )
                .await;
            assert_eq!(saved.status(), 303, "{control}");
        }
        // Recording again keeps the history: the latest counts.
        let row = auditor
            .post_body(
                &format!("/engagements/{e}/results/5.1.1"),
                "application/x-www-form-urlencoded",
                "result=conforming&performed=re-inspected+policy+approval&finding=&samples=".into(),
            )
            .await;
        assert_eq!(row.status(), 303);
        let history = ismap_store::engagements::result_history(&server.db, e, "5.1.1")
            .await
            .unwrap();
        assert_eq!(history.len(), 2);

        // Issue 1 of the report: page, print stylesheet, XLSX.
        let issued = auditor
            .post_form(&format!("/engagements/{e}/reports"), &[])
            .await;
        assert_eq!(issued.status(), 303);
        assert_eq!(
            issued.headers()["location"],
            format!("/engagements/{e}/reports/1").as_str()
        );
        let provider = Client::new(&server);
        provider.sign_in("saas-editor").await;
        let report = provider.get(&format!("/engagements/{e}/reports/1")).await;
        assert_eq!(report.status(), 200);
        let html = report.text().await.unwrap();
        assert!(html.contains("実施結果報告書"));
        assert!(html.contains("customer-managed keys were not offered"));
        let xlsx = provider
            .get(&format!("/engagements/{e}/reports/1/xlsx"))
            .await;
        assert_eq!(xlsx.status(), 200);
        let bytes = xlsx.bytes().await.unwrap().to_vec();
        let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let results = book.worksheet_range("結果 Results").unwrap();
        assert_eq!(results.height(), 291, "header and one row per control");
        let deficient = results.rows().find(|r| r[0] == DEFICIENT).unwrap();
        assert_eq!(deficient[4].to_string(), "不備 / deficiency");

        // Issued reports never change; a correction is issue 2, with a reason.
        let no_reason = auditor
            .post_form(&format!("/engagements/{e}/reports"), &[])
            .await;
        assert_eq!(no_reason.status(), 409);
        assert!(
            no_reason
                .text()
                .await
                .unwrap()
                .contains("訂正の理由を入力してください")
        );
        let corrected = auditor
            .post_form(
                &format!("/engagements/{e}/reports"),
                &[("reason", "sample size corrected")],
            )
            .await;
        assert_eq!(corrected.status(), 303);
        let first = ismap_store::engagements::report(&server.db, e, 1)
            .await
            .unwrap();
        assert_eq!(first.content["deficiency"], 1);
        let update = sqlx::query("UPDATE audit_reports SET reason = 'x' WHERE engagement_id = $1")
            .bind(e)
            .execute(&server.db.pool)
            .await;
        assert!(
            update.is_err(),
            "the database refuses to change an issued report"
        );

        // The provider files an improvement plan for the deficiency only.
        let not_deficient = provider
            .post_form(
                &format!("/engagements/{e}/improvements"),
                &[
                    ("control", "5.1.1"),
                    ("measure", "m"),
                    ("due_date", "2099-01-01"),
                ],
            )
            .await;
        assert_eq!(not_deficient.status(), 422);
        let filed = provider
            .post_form(
                &format!("/engagements/{e}/improvements"),
                &[
                    ("control", DEFICIENT),
                    ("measure", "offer customer-managed keys to every tenant"),
                    ("due_date", "2099-03-31"),
                ],
            )
            .await;
        assert_eq!(filed.status(), 303);
        let items = ismap_store::improvement::items(&server.db, e)
            .await
            .unwrap();
        assert_eq!(items.len(), 1);
        // The service is flagged while the plan is open.
        let services = provider.get("/services").await.text().await.unwrap();
        assert!(services.contains("改善計画あり"));
        // Both documents also travel as OSCAL (schema-checked in ismap-formats).
        let ar: Value = provider
            .get(&format!("/engagements/{e}/reports/2/oscal"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(ar["assessment-results"]["metadata"]["version"], "issue-2");
        let poam: Value = provider
            .get(&format!("/engagements/{e}/improvements/oscal"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            poam["plan-of-action-and-milestones"]["poam-items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let done = provider
            .post_form(
                &format!("/improvements/{}/status", items[0].id),
                &[("status", "completed"), ("reason", "released in v2.3")],
            )
            .await;
        assert_eq!(done.status(), 303);
        let services = provider.get("/services").await.text().await.unwrap();
        assert!(!services.contains("改善計画あり"));

        // Every step is in the event log.
        let events = ismap_store::events::list(&server.db, None, 1000)
            .await
            .unwrap();
        for action in [
            "engagement.create",
            "engagement.assign_auditor",
            "audit_result.record",
            "audit_report.issue",
            "improvement.add",
            "improvement.status",
        ] {
            assert!(
                events.iter().any(|ev| ev.action == action),
                "{backend:?}: no {action} event"
            );
        }
    }
}

#[tokio::test]
async fn evidence_files_stay_with_their_organization_and_die_with_its_key() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let ids = engaged(&server).await;
        let e = ids.engagement;
        let auditor = Client::new(&server);
        auditor.sign_in("auditor").await;

        // Refused uploads: wrong kind of content, and over the size limit.
        let fake = auditor
            .post_multipart(
                &format!("/engagements/{e}/evidence"),
                evidence_form("5.1.1", "fake.pdf", b"MZ\x90\x00\x03\x00\x00\x00".to_vec()),
            )
            .await;
        assert_eq!(fake.status(), 422);
        let big = auditor
            .post_multipart(
                &format!("/engagements/{e}/evidence"),
                evidence_form("5.1.1", "big.pdf", vec![b'%'; 21 * 1024 * 1024]),
            )
            .await;
        assert!(
            matches!(big.status().as_u16(), 413 | 422),
            "{}",
            big.status()
        );

        let uploaded = auditor
            .post_multipart(
                &format!("/engagements/{e}/evidence"),
                evidence_form("5.1.1", "review.pdf", PDF.to_vec()),
            )
            .await;
        assert_eq!(uploaded.status(), 200, "{}", uploaded.text().await.unwrap());
        let links = ismap_store::engagements::evidence(&server.db, e)
            .await
            .unwrap();
        assert_eq!(links.len(), 1, "only the valid upload is stored");
        let file = &links[0].file;
        assert_eq!(file.sha256, ismap_store::files::sha256_hex(PDF));
        // Stored encrypted: the plaintext is nowhere in the row.
        let row: (Vec<u8>,) = sqlx::query_as("SELECT ciphertext FROM stored_files WHERE id = $1")
            .bind(file.id)
            .fetch_one(&server.db.pool)
            .await
            .unwrap();
        assert!(!row.0.windows(8).any(|w| w == &PDF[..8]));

        let downloaded = auditor.get(&format!("/files/{}", file.id)).await;
        assert_eq!(downloaded.status(), 200);
        assert_eq!(downloaded.bytes().await.unwrap().as_ref(), PDF);
        // No one of another organization reads it, not even the provider audited.
        for other in [
            "saas-admin",
            "saas-editor",
            "iaas-admin",
            "reviewer",
            "secretariat",
            "agency-a",
        ] {
            let client = Client::new(&server);
            client.sign_in(other).await;
            let response = client.get(&format!("/files/{}", file.id)).await;
            assert_eq!(response.status(), 404, "{other}: as if there were no file");
        }

        // The provider's own library file: readable by the provider only.
        let provider = Client::new(&server);
        provider.sign_in("saas-editor").await;
        let form = reqwest::multipart::Form::new()
            .text("title", "アクセスレビュー記録 2025")
            .text("owner", "情報セキュリティ部")
            .text(
                "expires_on",
                (ismap_web::today() + chrono::Duration::days(10)).to_string(),
            )
            .text("controls", "9.2.5, 8.1.2.7.PB")
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"review,done\n2025-04,yes\n".to_vec())
                    .file_name("review.csv")
                    .mime_str("text/csv")
                    .unwrap(),
            );
        let added = provider.post_multipart("/evidence", form).await;
        assert_eq!(added.status(), 200, "{}", added.text().await.unwrap());
        let items = ismap_store::evidence_library::list(&server.db, ids.saas_org)
            .await
            .unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].controls, vec!["8.1.2.7.PB", "9.2.5"]);
        let library_file = items[0].file.as_ref().unwrap().id;
        assert_eq!(
            provider
                .get(&format!("/files/{library_file}"))
                .await
                .status(),
            200
        );
        assert_eq!(
            auditor
                .get(&format!("/files/{library_file}"))
                .await
                .status(),
            404
        );
        // Expiring within 30 days: on the provider's dashboard.
        let home = provider.get("/").await.text().await.unwrap();
        assert!(home.contains("アクセスレビュー記録 2025"));

        // Destroying the audit organization's key erases its files for good.
        let manager = Client::new(&server);
        manager.sign_in("audit-manager").await;
        let unconfirmed = manager
            .post_form(
                &format!("/organizations/{}/destroy-key", ids.audit_org),
                &[("reason", "engagement closed")],
            )
            .await;
        assert_eq!(unconfirmed.status(), 422);
        assert!(
            unconfirmed
                .text()
                .await
                .unwrap()
                .contains("「鍵を破棄」と入力してください")
        );
        // The audit manager finds the form beside the organization's engagements.
        let page = manager.get("/engagements").await.text().await.unwrap();
        assert!(
            page.contains("data-confirm=\"組織の暗号鍵を破棄します"),
            "{page}"
        );
        assert!(page.contains("class=\"button-danger\""));
        assert!(page.contains("確認のため「鍵を破棄」と入力"));
        let destroyed = manager
            .post_form(
                &format!("/organizations/{}/destroy-key", ids.audit_org),
                &[
                    ("reason", "engagement closed; retention ended"),
                    ("confirm", "鍵を破棄"),
                ],
            )
            .await;
        assert_eq!(destroyed.status(), 303);
        assert_eq!(
            auditor.get(&format!("/files/{}", file.id)).await.status(),
            410
        );
        assert!(
            ismap_store::files::get(&server.db, file.id)
                .await
                .unwrap()
                .erased
        );
        // The provider's files use the provider's key and are untouched.
        assert_eq!(
            provider
                .get(&format!("/files/{library_file}"))
                .await
                .status(),
            200
        );
        let events = ismap_store::events::list(&server.db, None, 1000)
            .await
            .unwrap();
        let erasure = events
            .iter()
            .find(|ev| ev.action == "organization_key.destroy")
            .expect("the erasure is logged");
        assert_eq!(erasure.reason, "engagement closed; retention ended");
        assert_eq!(erasure.before.as_ref().unwrap()["readable_files"], 1);

        // A new upload after the erasure gets a new key and reads back.
        let again = auditor
            .post_multipart(
                &format!("/engagements/{e}/evidence"),
                evidence_form("5.1.1", "again.pdf", PDF.to_vec()),
            )
            .await;
        assert_eq!(again.status(), 200);
        let links = ismap_store::engagements::evidence(&server.db, e)
            .await
            .unwrap();
        let fresh = links
            .iter()
            .find(|l| l.file.file_name == "again.pdf")
            .unwrap();
        assert_eq!(
            auditor
                .get(&format!("/files/{}", fresh.file.id))
                .await
                .status(),
            200
        );
    }
}

#[tokio::test]
async fn the_audit_organization_list_is_public_and_kept_by_the_secretariat() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let anonymous = Client::new(&server);
        let page = anonymous.get("/audit-organizations").await;
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("サンプル監査法人"));
        let csv = anonymous.get("/audit-organizations.csv").await;
        assert_eq!(csv.status(), 200);
        let text = csv.text().await.unwrap();
        assert!(text.contains("サンプル監査法人,Sample Audit LLC,"));
        // Headers and yes/no in the reader's language, Japanese by default;
        // the page's link carries the page's language.
        assert!(
            text.starts_with(
                "\u{feff}監査機関,監査機関（英語）,登録日,有効期限,更新回数,本日時点で有効"
            ),
            "{text}"
        );
        assert!(text.trim_end().ends_with(",はい"), "{text}");
        let english = anonymous
            .get("/audit-organizations.csv?lang=en")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            english.starts_with("\u{feff}Audit organization,Audit organization (English),"),
            "{english}"
        );
        assert!(english.trim_end().ends_with(",yes"), "{english}");
        let page = anonymous
            .get("/audit-organizations")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("href=\"/audit-organizations.csv?lang=ja\""),
            "{page}"
        );
        let json: Value = anonymous
            .get("/api/v1/audit-organizations")
            .await
            .json()
            .await
            .unwrap();
        let entry = &json[0];
        assert_eq!(entry["valid_today"], true);
        let until: chrono::NaiveDate = entry["valid_until"].as_str().unwrap().parse().unwrap();
        let from: chrono::NaiveDate = entry["valid_from"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            ismap_domain::audit::audit_organization_term(from)
                .unwrap()
                .1,
            until,
            "a 2-year term"
        );

        let secretariat = Client::new(&server);
        secretariat.sign_in("secretariat").await;
        let org = entry["organization_id"].as_i64().unwrap();
        // The renew button asks first, stating the consequence; the form
        // sends the term it saw, so a stale page does not renew twice.
        let list = secretariat
            .get("/audit-organizations")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            list.contains("data-confirm=\"サンプル監査法人 の登録"),
            "{list}"
        );
        let stale = secretariat
            .post_form(
                &format!("/audit-organizations/{org}/renew"),
                &[("valid_until", "2000-01-01")],
            )
            .await;
        assert_eq!(stale.status(), 409);
        assert!(stale.text().await.unwrap().contains("何も更新していません"));
        let renewed = secretariat
            .post_form(
                &format!("/audit-organizations/{org}/renew"),
                &[("valid_until", &until.to_string())],
            )
            .await;
        assert_eq!(renewed.status(), 303);
        let json: Value = anonymous
            .get("/api/v1/audit-organizations")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(json[0]["renewals"], 1);
        assert_eq!(
            json[0]["valid_from"].as_str().unwrap(),
            until.succ_opt().unwrap().to_string(),
            "the renewal starts the day after the term ends"
        );
        // Nobody else keeps the list.
        let auditor = Client::new(&server);
        auditor.sign_in("audit-manager").await;
        assert_eq!(
            auditor
                .post_form(&format!("/audit-organizations/{org}/renew"), &[])
                .await
                .status(),
            403
        );
        // The planner page shows each year and that a multi-year ISMAP cycle
        // covers everything; an ISMAP-LIU cycle does not (issue 14: the rest
        // is the internal audit's, tests/http/liu_plan.rs).
        let plan = anonymous
            .get("/catalogs/ismap-2022-excerpt/audit-plan?scope=multi_year&years=3")
            .await
            .text()
            .await
            .unwrap();
        assert!(plan.contains("サイクル全体ですべての管理策が監査されます"));
        let plan = anonymous
            .get("/catalogs/ismap-2022-excerpt/audit-plan?scope=liu&years=3")
            .await
            .text()
            .await
            .unwrap();
        assert!(!plan.contains("サイクル全体ですべての管理策が監査されます"));
        assert!(plan.contains("内部監査"), "{plan}");
    }
}

/// Issue 12 item 19: a file name with a right-to-left override and control
/// characters is stored and shown cleaned, so "invoice\u{202E}fdp.exe" cannot
/// pass for a PDF on the page.
#[tokio::test]
async fn uploaded_file_names_lose_bidi_and_control_characters() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (_, statement) = crate::helpers::saas_ids(&server).await;
        let saas_org = ismap_store::statements::get(&server.db, statement)
            .await
            .unwrap()
            .organization_id;
        let provider = Client::new(&server);
        provider.sign_in("saas-editor").await;
        // Only what a multipart header can carry: C1 controls (UTF-8 bytes),
        // a tab, bidi controls and path separators; the pure function's tests
        // cover the C0 controls a header cannot carry.
        let sent = "請求書\u{202E}fdp\u{85}\u{9B}\t.exe\u{2066}/../x.txt";
        let form = reqwest::multipart::Form::new()
            .text("title", "名前の検査")
            .text("owner", "情報セキュリティ部")
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"plain notes\n".to_vec())
                    .file_name(sent)
                    .mime_str("text/plain")
                    .unwrap(),
            );
        let added = provider.post_multipart("/evidence", form).await;
        assert_eq!(added.status(), 200, "{}", added.text().await.unwrap());
        let items = ismap_store::evidence_library::list(&server.db, saas_org)
            .await
            .unwrap();
        let stored = &items[0].file.as_ref().unwrap().file_name;
        assert_eq!(stored, "請求書fdp .exe_.._x.txt", "{backend:?}");
        let page = provider.get("/evidence").await.text().await.unwrap();
        assert!(page.contains("請求書fdp .exe_.._x.txt"), "{backend:?}");
        for bad in ['\u{202E}', '\u{2066}', '\u{85}', '\u{9B}'] {
            assert!(!page.contains(bad), "{backend:?}: {bad:?} on the page");
        }
    }
}

/// Three controls of the governance chapter, in the scope of a full audit.
const BULK: [&str; 3] = ["3.1.2.1", "3.1.2.2", "3.1.2.3"];

fn bulk_fields<'a>(controls: &'a [String], performed: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut fields: Vec<(&str, &str)> = controls.iter().map(|c| ("control", c.as_str())).collect();
    fields.push(("performed", performed));
    fields.push(("chapter", "3"));
    fields.push(("show", "unrecorded"));
    fields
}

async fn history_len(server: &ismap_web::testing::TestServer, e: i64, control: &str) -> usize {
    ismap_store::engagements::result_history(&server.db, e, control)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_result_must_be_chosen_and_the_refusal_is_said_in_the_users_language() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let e = engaged(&server).await.engagement;
        let auditor = Client::new(&server);
        auditor.sign_in("auditor").await;

        // The workspace offers no default result: the empty choice comes first.
        let page = auditor
            .get(&format!("/engagements/{e}?chapter=3&show=unrecorded"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(r#"<option value="" selected>選択してください</option>"#));
        assert!(
            !page.contains(r#"value="conforming" selected"#),
            "nothing pre-set"
        );

        // Saving without a result (as htmx sends it): 422 with the message in Japanese.
        let refused = auditor
            .post_body(
                &format!("/engagements/{e}/results/3.1.2.1"),
                "application/x-www-form-urlencoded",
                "result=&performed=%E8%A8%AD%E5%AE%9A%E3%82%92%E9%96%B2%E8%A6%A7&finding=&samples=&seen=0"
                    .into(),
            )
            .await;
        assert_eq!(refused.status(), 422, "{backend:?}");
        let text = refused.text().await.unwrap();
        assert!(text.contains("3.1.2.1: 結果を選択してください。"), "{text}");
        assert_eq!(
            history_len(&server, e, "3.1.2.1").await,
            0,
            "nothing recorded"
        );

        // A deficiency without its finding: refused in Japanese, naming the field's rule.
        let no_finding = auditor
            .post_form(
                &format!("/engagements/{e}/results/3.1.2.1"),
                &[
                    ("result", "deficiency"),
                    ("performed", "閲覧"),
                    ("seen", "0"),
                ],
            )
            .await;
        assert_eq!(no_finding.status(), 422);
        assert!(
            no_finding
                .text()
                .await
                .unwrap()
                .contains("所見を入力してください")
        );

        // In English once the person switched the page to English.
        let switched = auditor.get("/lang/en?next=/").await;
        assert!(switched.status().is_success() || switched.status().is_redirection());
        let english = auditor
            .post_form(
                &format!("/engagements/{e}/results/3.1.2.1"),
                &[("result", ""), ("performed", "inspection"), ("seen", "0")],
            )
            .await;
        assert_eq!(english.status(), 422);
        assert!(
            english
                .text()
                .await
                .unwrap()
                .contains("3.1.2.1: choose a result.")
        );
        assert_eq!(history_len(&server, e, "3.1.2.1").await, 0);
    }
}

#[tokio::test]
async fn bulk_conforming_records_all_or_nothing_and_one_of_two_racing_requests_wins() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let e = engaged(&server).await.engagement;
        let auditor = Client::new(&server);
        auditor.sign_in("auditor").await;
        let unseen: Vec<String> = BULK.iter().map(|c| format!("{c}@0")).collect();

        // Nothing chosen: refused with a message.
        let none = auditor
            .post_form(
                &format!("/engagements/{e}/results"),
                &[("performed", "規程を閲覧")],
            )
            .await;
        assert_eq!(none.status(), 422);
        assert!(
            none.text()
                .await
                .unwrap()
                .contains("管理策を選択してください")
        );

        // No procedure: refused for all, nothing recorded.
        let no_procedure = auditor
            .post_form(
                &format!("/engagements/{e}/results"),
                &bulk_fields(&unseen, " "),
            )
            .await;
        assert_eq!(no_procedure.status(), 422);
        // One control outside the catalog spoils the whole request.
        let mut with_unknown = unseen.clone();
        with_unknown.push("99.1.1@0".into());
        let unknown = auditor
            .post_form(
                &format!("/engagements/{e}/results"),
                &bulk_fields(&with_unknown, "規程を閲覧"),
            )
            .await;
        assert_eq!(unknown.status(), 422);
        for c in BULK {
            assert_eq!(history_len(&server, e, c).await, 0, "{backend:?} {c}");
        }

        // Another auditor's save since the page was shown: the whole bulk is
        // refused with 409 naming the control, and nothing of it is recorded.
        let other = auditor
            .post_form(
                &format!("/engagements/{e}/results/{}", BULK[1]),
                &[
                    ("result", "deficiency"),
                    ("performed", "閲覧"),
                    ("finding", "承認記録がない"),
                    ("seen", "0"),
                ],
            )
            .await;
        assert_eq!(other.status(), 303);
        let stale = auditor
            .post_form(
                &format!("/engagements/{e}/results"),
                &bulk_fields(&unseen, "規程を閲覧"),
            )
            .await;
        assert_eq!(stale.status(), 409, "{backend:?}");
        let text = stale.text().await.unwrap();
        assert!(
            text.contains(BULK[1]) && text.contains("何も記録していません"),
            "{text}"
        );
        assert_eq!(history_len(&server, e, BULK[0]).await, 0);
        assert_eq!(
            history_len(&server, e, BULK[1]).await,
            1,
            "the deficiency stays"
        );
        assert_eq!(history_len(&server, e, BULK[2]).await, 0);

        // Two bulk requests over the same rows as seen at one moment: exactly
        // one is recorded, the other is refused whole.
        let latest = ismap_store::engagements::current_results(&server.db, e)
            .await
            .unwrap()[BULK[1]]
            .id;
        let seen: Vec<String> = vec![
            format!("{}@0", BULK[0]),
            format!("{}@{latest}", BULK[1]),
            format!("{}@0", BULK[2]),
        ];
        let second = Client::new(&server);
        second.sign_in("auditor").await;
        let path = format!("/engagements/{e}/results");
        let fields_a = bulk_fields(&seen, "第1の手続: 規程と承認記録を閲覧");
        let fields_b = bulk_fields(&seen, "第2の手続: 担当者に質問");
        let (a, b) = tokio::join!(
            auditor.post_form(&path, &fields_a),
            second.post_form(&path, &fields_b)
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [303, 409],
            "{backend:?}: one wins, one is refused"
        );
        let results = ismap_store::engagements::current_results(&server.db, e)
            .await
            .unwrap();
        let procedures: Vec<&str> = BULK
            .iter()
            .map(|c| results[*c].performed.as_str())
            .collect();
        assert!(
            procedures.iter().all(|p| *p == procedures[0]),
            "all three from the same request: {procedures:?}"
        );
        for c in BULK {
            let history = ismap_store::engagements::result_history(&server.db, e, c)
                .await
                .unwrap();
            let last = history.last().unwrap();
            assert_eq!(last.result.key(), "conforming");
            assert_eq!(last.recorded_by, "監査人", "who recorded it");
            assert!(!last.recorded_at.is_empty(), "when");
        }
        assert_eq!(history_len(&server, e, BULK[0]).await, 1);
        assert_eq!(history_len(&server, e, BULK[1]).await, 2);
        assert_eq!(history_len(&server, e, BULK[2]).await, 1);
        // One event per control recorded, none for the refused request.
        let events = ismap_store::events::list(&server.db, None, 1000)
            .await
            .unwrap();
        let recorded = events
            .iter()
            .filter(|ev| ev.action == "audit_result.record")
            .count();
        assert_eq!(recorded, 1 + 3, "{backend:?}");

        // Through htmx, the answer carries the rows and the progress out of band.
        let page = auditor
            .get(&format!("/engagements/{e}?chapter=3&show=unrecorded"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("記録済み 3 / 290"), "progress on the page");
        let plain = auditor
            .post_form(
                &path,
                &[
                    ("control", "3.1.3.1@0"),
                    ("control", "3.1.3.2@0"),
                    ("performed", "閲覧"),
                    ("chapter", "3"),
                    ("show", "unrecorded"),
                ],
            )
            .await;
        assert_eq!(plain.status(), 303, "a plain form is redirected");
        assert_eq!(
            plain.headers()["location"],
            format!("/engagements/{e}?chapter=3&show=unrecorded#workspace").as_str()
        );
        let fragment = post_htmx(
            &auditor,
            &path,
            "control=3.1.3.3%400&performed=%E9%96%B2%E8%A6%A7",
        )
        .await;
        assert_eq!(fragment.0, 200);
        assert!(fragment.1.contains(r#"id="c-3-1-3-3""#), "{}", fragment.1);
        assert!(
            fragment
                .1
                .contains(r#"id="audit-progress" hx-swap-oob="true">記録済み 6 / 290"#),
            "{}",
            fragment.1
        );
        assert!(
            fragment
                .1
                .contains("1 件の管理策を「適合」として記録しました")
        );
    }
}

/// A form body sent as htmx sends it (`HX-Request`, the CSRF header):
/// (status, body).
async fn post_htmx(client: &Client<'_>, path: &str, body: &str) -> (u16, String) {
    let csrf = client.csrf().await;
    let response = client
        .http
        .post(client.server.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-csrf-token", csrf)
        .header("hx-request", "true")
        .body(body.to_owned())
        .send()
        .await
        .expect("request");
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_request_form_marks_required_fields_and_keeps_what_was_typed() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let ids = engaged(&server).await;
        let (_, statement) = crate::helpers::saas_ids(&server).await;
        let admin = Client::new(&server);
        admin.sign_in("saas-admin").await;
        let form = admin.get("/engagements/new").await.text().await.unwrap();
        assert!(form.contains(r#"<span class="required">必須</span>"#));
        assert!(
            form.contains(r#"class="cycle-years""#),
            "cycle years in their own box"
        );
        assert!(form.contains(r#"<option value="full" selected>"#));

        let statement = statement.to_string();
        let org = ids.audit_org.to_string();
        let send = |start: &'static str,
                    end: &'static str,
                    scope: &'static str,
                    years: &'static str,
                    year: &'static str| {
            let statement = statement.clone();
            let org = org.clone();
            let admin = &admin;
            async move {
                let response = admin
                    .post_form(
                        "/engagements",
                        &[
                            ("statement_id", &statement),
                            ("audit_organization_id", &org),
                            ("period_start", start),
                            ("period_end", end),
                            ("scope", scope),
                            ("cycle_years", years),
                            ("cycle_year", year),
                        ],
                    )
                    .await;
                (response.status().as_u16(), response.text().await.unwrap())
            }
        };
        // The end before the start: said in Japanese, what was typed kept.
        let (status, page) = send("2025-04-01", "2025-03-01", "liu", "3", "2").await;
        assert_eq!(status, 422, "{backend:?}");
        assert!(
            page.contains("監査対象期間の終了日（2025-03-01）が開始日（2025-04-01）より前です"),
            "{page}"
        );
        assert!(page.contains(r#"name="period_start" value="2025-04-01""#));
        assert!(page.contains(r#"name="period_end" value="2025-03-01""#));
        assert!(page.contains(r#"<option value="liu" selected>"#));
        assert!(page.contains(r#"name="cycle_year" min="1" max="5" value="2""#));
        // Longer than a year.
        let (status, page) = send("2025-04-01", "2026-04-01", "full", "", "").await;
        assert_eq!(status, 422);
        assert!(page.contains("1年を超えています"), "{page}");
        // A year outside the cycle.
        let (status, page) = send("2025-04-01", "2026-03-31", "liu", "3", "4").await;
        assert_eq!(status, 422);
        assert!(
            page.contains("4 年目は 3 年のサイクルの範囲外です"),
            "{page}"
        );
        // An empty date: a message, not a parse error in English.
        let (status, page) = send("", "2026-03-31", "full", "", "").await;
        assert_eq!(status, 422);
        assert!(page.contains("開始日を入力してください"), "{page}");
        // A full-scope audit ignores the cycle fields (they are hidden for it).
        let (status, _) = send("2025-04-01", "2026-03-31", "full", "9", "9").await;
        assert_eq!(status, 303);
    }
}
