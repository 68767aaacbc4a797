//! ISMAP-LIU impact assessments and pre-applications (issue 14, items 5–6),
//! over HTTP on both backends: the provider asks, the agency's officer fills
//! in, the CISO (or a delegate) approves; other agencies reuse; the provider
//! files a pre-application that IPA returns and accepts; an LIU application
//! needs the accepted pre-application.

use ismap_domain::{OrgKind, Role};
use ismap_store::testing::BACKENDS;
use ismap_web::testing::TestServer;

use crate::helpers::{Client, PDF, saas_ids, server};

/// The organization id of the demo organization named `name`.
async fn org_id(server: &TestServer, name: &str) -> i64 {
    ismap_store::orgs::find_by_name(&server.db, name)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// The value of the `<option>` whose text is `label`.
fn option_value(html: &str, label: &str) -> String {
    let end = html.find(&format!(">{label}</option>")).expect(label);
    let start = html[..end].rfind("value=\"").unwrap() + "value=\"".len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// The id in a redirect: `Location` (plain forms) or `HX-Redirect` (the
/// pre-application form, sent by htmx as the page does).
fn located(response: &reqwest::Response, prefix: &str) -> i64 {
    let headers = response.headers();
    let location = headers
        .get("location")
        .or_else(|| headers.get("hx-redirect"))
        .expect("a redirect")
        .to_str()
        .unwrap();
    location
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{location}"))
        .parse()
        .unwrap()
}

/// The provider asks サンプル省 for an assessment of `use_name` through the
/// service's form; returns the assessment id.
async fn ask(server: &TestServer, service: i64, use_name: &str) -> i64 {
    let provider = Client::new(server);
    provider.sign_in("saas-admin").await;
    let page = provider
        .get(&format!("/services/{service}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/services/{service}/impact-assessments")));
    let form = provider
        .get(&format!("/services/{service}/impact-assessments"))
        .await
        .text()
        .await
        .unwrap();
    assert!(form.contains("name=\"use_name\""), "{form}");
    let agency = option_value(&form, "サンプル省");
    let asked = provider
        .post_form(
            &format!("/services/{service}/impact-assessments"),
            &[("agency", &agency), ("use_name", use_name), ("note", "")],
        )
        .await;
    assert_eq!(asked.status(), 303, "{}", asked.text().await.unwrap());
    located(&asked, "/impact-assessments/")
}

fn complete(result: &'static str, conf: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("from", "requested"),
        ("business", "b10"),
        ("business_other", ""),
        ("information", "職員の予定（件名と時刻）"),
        ("confidentiality", conf),
        ("impact", "漏えい時の影響は限定的"),
        ("reasoning", "公表前提の日程のみを扱う"),
        ("result", result),
        ("action", "submit"),
    ]
}

/// An assessment asked for, filled in and submitted by agency-a.
pub async fn submitted(
    server: &TestServer,
    service: i64,
    use_name: &str,
    result: &'static str,
) -> i64 {
    let id = ask(server, service, use_name).await;
    let officer = Client::new(server);
    officer.sign_in("agency-a").await;
    let filled = officer
        .post_form(
            &format!("/impact-assessments/{id}"),
            &complete(result, "c2"),
        )
        .await;
    assert_eq!(filled.status(), 303, "{}", filled.text().await.unwrap());
    id
}

/// サンプル省's CISO approves assessment `id` through the decision form.
pub async fn approve(server: &TestServer, id: i64) {
    let ciso = Client::new(server);
    ciso.sign_in("agency-a-ciso").await;
    let approved = ciso
        .post_form(
            &format!("/impact-assessments/{id}/decision"),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(approved.status(), 303, "{}", approved.text().await.unwrap());
}

async fn state_of(server: &TestServer, id: i64) -> String {
    ismap_store::impact_assessments::get(&server.db, id)
        .await
        .unwrap()
        .state
        .key()
        .to_owned()
}

#[tokio::test]
async fn an_assessment_goes_from_request_to_approval_and_is_then_immutable() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, _) = saas_ids(&server).await;
        let id = ask(&server, service, "職員間の日程調整").await;

        // The officer finds it on the dashboard and in the inbox.
        let officer = Client::new(&server);
        officer.sign_in("agency-a").await;
        let home = officer.get("/").await.text().await.unwrap();
        assert!(home.contains("id=\"stat-ia-fill\">1<"), "{backend:?}");
        let inbox = officer
            .get("/impact-assessments")
            .await
            .text()
            .await
            .unwrap();
        assert!(inbox.contains(&format!("/impact-assessments/{id}")));
        let page = officer
            .get(&format!("/impact-assessments/{id}"))
            .await
            .text()
            .await
            .unwrap();
        // The ten example businesses, with example services.
        for n in 1..=10 {
            assert!(page.contains(&format!("value=\"b{n:02}\"")), "b{n:02}");
        }
        assert!(page.contains("スケジュール調整、タスク管理"));
        assert!(page.contains("サービス例（本システムの仮定）"));

        // Submitting an incomplete form: 422, errors next to the fields,
        // what was typed kept.
        let incomplete = officer
            .post_form(
                &format!("/impact-assessments/{id}"),
                &[
                    ("from", "requested"),
                    ("business", "other"),
                    ("information", "参加者の氏名"),
                    ("action", "submit"),
                ],
            )
            .await;
        assert_eq!(incomplete.status(), 422, "{backend:?}");
        let html = incomplete.text().await.unwrap();
        assert!(html.contains("id=\"error-business_other\""), "{html}");
        assert!(html.contains("id=\"error-result\""));
        assert!(html.contains("参加者の氏名"), "typed text kept");
        assert_eq!(state_of(&server, id).await, "requested");

        // A draft is saved incomplete; then submitted complete.
        let saved = officer
            .post_form(
                &format!("/impact-assessments/{id}"),
                &[
                    ("from", "requested"),
                    ("information", "下書き"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(saved.status(), 303);
        let filled = officer
            .post_form(&format!("/impact-assessments/{id}"), &complete("low", "c2"))
            .await;
        assert_eq!(filled.status(), 303);
        assert_eq!(state_of(&server, id).await, "submitted");

        // The officer may not approve (no delegation): 403.
        let refused = officer
            .post_form(
                &format!("/impact-assessments/{id}/decision"),
                &[("decision", "approve")],
            )
            .await;
        assert_eq!(refused.status(), 403);

        // The CISO sees it waiting and approves; returning needs a reason.
        let ciso = Client::new(&server);
        ciso.sign_in("agency-a-ciso").await;
        let home = ciso.get("/").await.text().await.unwrap();
        assert!(home.contains("id=\"stat-ia-approve\">1<"), "{backend:?}");
        let no_reason = ciso
            .post_form(
                &format!("/impact-assessments/{id}/decision"),
                &[("decision", "return"), ("reason", " ")],
            )
            .await;
        assert_eq!(no_reason.status(), 422);
        assert!(
            no_reason
                .text()
                .await
                .unwrap()
                .contains("差し戻す理由を入力してください")
        );
        approve(&server, id).await;
        assert_eq!(state_of(&server, id).await, "approved");

        // Immutable: the officer's save is a conflict; the database refuses too.
        let late = officer
            .post_form(
                &format!("/impact-assessments/{id}"),
                &complete("not_low", "c2"),
            )
            .await;
        assert_eq!(late.status(), 409, "{backend:?}");
        assert!(late.text().await.unwrap().contains("状態が変わりました"));
        let direct = sqlx::query("UPDATE impact_assessments SET result = 'not_low' WHERE id = $1")
            .bind(id)
            .execute(&server.db.pool)
            .await;
        assert!(direct.is_err(), "{backend:?}: the trigger refuses");

        // Every step is an event, visible in the provider's and the agency's logs.
        let events = ismap_store::events::list(&server.db, None, 100)
            .await
            .unwrap();
        let actions: Vec<&str> = events
            .iter()
            .filter(|e| e.object_type == "impact_assessment" && e.object_id == id.to_string())
            .map(|e| e.action.as_str())
            .collect();
        for action in [
            "impact_assessment.request",
            "impact_assessment.received",
            "impact_assessment.save",
            "impact_assessment.submit",
            "impact_assessment.approve",
        ] {
            assert!(
                actions.contains(&action),
                "{backend:?} {action}: {actions:?}"
            );
        }
    }
}

#[tokio::test]
async fn two_decisions_at_once_one_wins_and_the_other_is_told() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, _) = saas_ids(&server).await;
        let id = submitted(&server, service, "Web会議の日程", "low").await;
        let first = Client::new(&server);
        first.sign_in("agency-a-ciso").await;
        let second = Client::new(&server);
        second.sign_in("agency-a-ciso").await;
        let path = format!("/impact-assessments/{id}/decision");
        let (a, b) = tokio::join!(
            first.post_form(&path, &[("decision", "approve")]),
            second.post_form(&path, &[("decision", "return"), ("reason", "根拠が不足")]),
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [303, 409], "{backend:?}");
        let loser = if a.status() == 409 { a } else { b };
        let html = loser.text().await.unwrap();
        assert!(html.contains("id=\"decision-error\""), "{html}");
        assert!(html.contains("最新の内容を読み込む"));
        let steps = ismap_store::impact_assessments::steps(&server.db, id)
            .await
            .unwrap();
        let decisions = steps
            .iter()
            .filter(|s| s.step == "approve" || s.step == "return")
            .count();
        assert_eq!(decisions, 1, "{backend:?}: one decision recorded");
    }
}

#[tokio::test]
async fn a_delegate_approves_until_the_delegation_is_revoked() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, _) = saas_ids(&server).await;
        // A second officer of サンプル省 (the demo has one).
        let second = person(
            &server,
            "サンプル省",
            "agency-a-2",
            "サンプル省 第二担当",
            Role::AgencyOfficer,
        )
        .await;
        let ciso = Client::new(&server);
        ciso.sign_in("agency-a-ciso").await;
        let page = ciso.get("/agency/delegations").await.text().await.unwrap();
        for name in ["サンプル省 調達担当", "サンプル省 第二担当"] {
            let granted = ciso
                .post_form(
                    "/agency/delegations",
                    &[
                        ("action", "grant"),
                        ("officer", &option_value(&page, name)),
                        ("reason", "繁忙期"),
                    ],
                )
                .await;
            assert_eq!(granted.status(), 303, "{backend:?}");
        }
        let twice = ciso
            .post_form(
                "/agency/delegations",
                &[
                    ("action", "grant"),
                    ("officer", &option_value(&page, "サンプル省 調達担当")),
                ],
            )
            .await;
        assert_eq!(twice.status(), 409);

        // agency-a filled and submitted it: a delegate, but not for its own.
        let id = submitted(&server, service, "安否確認", "low").await;
        let officer = Client::new(&server);
        officer.sign_in("agency-a").await;
        let own = officer
            .post_form(
                &format!("/impact-assessments/{id}/decision"),
                &[("decision", "approve")],
            )
            .await;
        assert_eq!(own.status(), 403, "{backend:?}: four eyes");
        assert!(
            own.text()
                .await
                .unwrap()
                .contains("ご自身では承認できません")
        );
        assert_eq!(state_of(&server, id).await, "submitted");
        let approved = second
            .post_form(
                &format!("/impact-assessments/{id}/decision"),
                &[("decision", "approve")],
            )
            .await;
        assert_eq!(approved.status(), 303, "{backend:?}: the delegate approves");

        let delegation =
            ismap_store::delegations::list(&server.db, org_id(&server, "サンプル省").await)
                .await
                .unwrap()
                .into_iter()
                .find(|d| d.delegate_name == "サンプル省 第二担当" && d.revoked_at.is_none())
                .unwrap()
                .id;
        let revoked = ciso
            .post_form(
                "/agency/delegations",
                &[
                    ("action", "revoke"),
                    ("delegation", &delegation.to_string()),
                ],
            )
            .await;
        assert_eq!(revoked.status(), 303);
        let again = submitted(&server, service, "研修管理", "low").await;
        let refused = second
            .post_form(
                &format!("/impact-assessments/{again}/decision"),
                &[("decision", "approve")],
            )
            .await;
        assert_eq!(refused.status(), 403, "{backend:?}: revoked");
        let events = ismap_store::events::list(&server.db, None, 200)
            .await
            .unwrap();
        assert!(
            events
                .iter()
                .any(|e| e.action == "approval_delegation.grant")
        );
        assert!(
            events
                .iter()
                .any(|e| e.action == "approval_delegation.revoke")
        );
    }
}

/// A person of `organization` with `role`, made in the store (the demo has
/// one person per role), signed in.
async fn person<'a>(
    server: &'a TestServer,
    organization: &str,
    username: &str,
    display_name: &str,
    role: Role,
) -> Client<'a> {
    let org = ismap_store::orgs::get(&server.db, org_id(server, organization).await)
        .await
        .unwrap();
    assert_eq!(org.kind, OrgKind::Agency);
    let password = "a long test passphrase for this person";
    let hash = ismap_web::password::hash(password).unwrap();
    ismap_store::users::create(
        &server.db,
        &ismap_store::Actor::system("test"),
        ismap_store::users::NewUser {
            username,
            display_name,
            email: "",
            password_hash: Some(&hash),
        },
        &org,
        role,
    )
    .await
    .unwrap();
    let client = Client::new(server);
    let signed = client
        .post_form("/signin", &[("username", username), ("password", password)])
        .await;
    assert_eq!(signed.status(), 303);
    client
}

/// A CISO for サンプル庁 (the demo has none), signed in.
async fn agency_b_ciso(server: &TestServer) -> Client<'_> {
    person(
        server,
        "サンプル庁",
        "agency-b-ciso",
        "サンプル庁 CISO",
        Role::AgencyCiso,
    )
    .await
}

#[tokio::test]
async fn another_agency_sees_only_approved_assessments_and_reuses_one() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, _) = saas_ids(&server).await;
        let id = submitted(&server, service, "名刺管理", "low").await;
        let other = Client::new(&server);
        other.sign_in("agency-b").await;
        // Not approved yet: hidden as if missing.
        assert_eq!(
            other
                .get(&format!("/impact-assessments/{id}"))
                .await
                .status(),
            404,
            "{backend:?}"
        );
        approve(&server, id).await;
        let list = other.get("/impact-assessments").await.text().await.unwrap();
        assert!(list.contains(&format!("/impact-assessments/{id}\"")));
        let page = other
            .get(&format!("/impact-assessments/{id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"ia-reuse-form\""), "{backend:?}");
        let reused = other
            .post_form(
                &format!("/impact-assessments/{id}/reuse"),
                &[("reason", "同じ用途で調達予定")],
            )
            .await;
        assert_eq!(reused.status(), 303, "{backend:?}");
        let copy = located(&reused, "/impact-assessments/");
        let stored = ismap_store::impact_assessments::get(&server.db, copy)
            .await
            .unwrap();
        assert_eq!(stored.reused_from, Some(id));
        assert_eq!(stored.state.key(), "submitted");
        assert_eq!(stored.agency_id, org_id(&server, "サンプル庁").await);
        assert_eq!(stored.content.result, "low");
        // Reusing twice is refused, in Japanese.
        let twice = other
            .post_form(&format!("/impact-assessments/{id}/reuse"), &[])
            .await;
        assert_eq!(twice.status(), 409);
        assert!(twice.text().await.unwrap().contains("すでに再利用"));
        // サンプル省's CISO cannot decide サンプル庁's copy; サンプル庁's own CISO does.
        let ciso_a = Client::new(&server);
        ciso_a.sign_in("agency-a-ciso").await;
        assert_eq!(
            ciso_a
                .post_form(
                    &format!("/impact-assessments/{copy}/decision"),
                    &[("decision", "approve")]
                )
                .await
                .status(),
            404,
            "{backend:?}: another agency's submitted copy is hidden"
        );
        let ciso_b = agency_b_ciso(&server).await;
        let approved = ciso_b
            .post_form(
                &format!("/impact-assessments/{copy}/decision"),
                &[("decision", "approve")],
            )
            .await;
        assert_eq!(approved.status(), 303, "{backend:?}");
        let events = ismap_store::events::list(&server.db, None, 200)
            .await
            .unwrap();
        assert!(events.iter().any(|e| e.action == "impact_assessment.reuse"));
        assert!(
            events
                .iter()
                .any(|e| e.action == "impact_assessment.reused")
        );
    }
}

#[tokio::test]
async fn assessments_and_pre_applications_are_hidden_from_other_organizations() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, _) = saas_ids(&server).await;
        let id = ask(&server, service, "チャット").await;
        for (role, status) in [
            ("saas-editor", 200),
            ("agency-a", 200),
            ("agency-a-ciso", 200),
            ("agency-b", 404),
            ("iaas-admin", 404),
            ("reviewer", 404),
            ("committee", 404),
        ] {
            let client = Client::new(&server);
            client.sign_in(role).await;
            let got = client.get(&format!("/impact-assessments/{id}")).await;
            assert_eq!(got.status(), status, "{backend:?} {role}");
        }
        // IaaS services are not assessed for LIU.
        let iaas = ismap_store::services::list(&server.db, None)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.model == ismap_domain::ServiceModel::IaaS)
            .unwrap();
        let iaas_admin = Client::new(&server);
        iaas_admin.sign_in("iaas-admin").await;
        let form = iaas_admin
            .get(&format!("/services/{}/impact-assessments", iaas.id))
            .await
            .text()
            .await
            .unwrap();
        let agency = option_value(&form, "サンプル省");
        let refused = iaas_admin
            .post_form(
                &format!("/services/{}/impact-assessments", iaas.id),
                &[("agency", &agency), ("use_name", "監視")],
            )
            .await;
        assert_eq!(refused.status(), 422, "{backend:?}");
        assert!(refused.text().await.unwrap().contains("SaaSのみ"));
    }
}

fn pre_form(assessments: &[i64], declared: bool, with_document: bool) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new().text("note", "LIU事前申請");
    for a in assessments {
        form = form.text(format!("assessment-{a}"), "1");
    }
    if declared {
        form = form.text("confidentiality2", "1");
    }
    if with_document {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(PDF.to_vec())
                .file_name("jizen-shinsei.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    }
    form
}

#[tokio::test]
async fn a_pre_application_is_checked_returned_resubmitted_and_accepted() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, _) = saas_ids(&server).await;
        let low = submitted(&server, service, "日程調整", "low").await;
        approve(&server, low).await;
        let not_low = submitted(&server, service, "人事評価", "not_low").await;
        approve(&server, not_low).await;

        let provider = Client::new(&server);
        provider.sign_in("saas-admin").await;
        let page = provider
            .get(&format!("/services/{service}/pre-applications/new"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!("name=\"assessment-{low}\"")),
            "{page}"
        );
        assert!(page.contains("name=\"confidentiality2\""));
        let path = format!("/services/{service}/pre-applications");

        // The declaration unticked: refused next to the checkbox.
        let unticked = provider
            .post_multipart(&path, pre_form(&[low], false, true))
            .await;
        assert_eq!(unticked.status(), 422, "{backend:?}");
        let html = unticked.text().await.unwrap();
        assert!(html.contains("id=\"error-confidentiality2\""), "{html}");
        // A use judged not low cannot be listed.
        let blocked = provider
            .post_multipart(&path, pre_form(&[low, not_low], true, true))
            .await;
        assert_eq!(blocked.status(), 422);
        assert!(blocked.text().await.unwrap().contains("人事評価"));
        // No document.
        let bare = provider
            .post_multipart(&path, pre_form(&[low], true, false))
            .await;
        assert_eq!(bare.status(), 422);
        assert!(bare.text().await.unwrap().contains("id=\"error-file\""));
        assert!(
            ismap_store::pre_applications::list(&server.db, None)
                .await
                .unwrap()
                .is_empty()
        );

        // Filed.
        let filed = provider
            .post_multipart(&path, pre_form(&[low], true, true))
            .await;
        assert_eq!(filed.status(), 200, "{}", filed.text().await.unwrap());
        let pre = located(&filed, "/pre-applications/");
        let again = provider
            .post_multipart(&path, pre_form(&[low], true, true))
            .await;
        assert_eq!(again.status(), 409, "{backend:?}: one open per service");

        // The document is stored encrypted and downloadable by IPA.
        let docs = ismap_store::pre_applications::documents(&server.db, pre)
            .await
            .unwrap();
        let raw: Vec<u8> = sqlx::Row::try_get(
            &sqlx::query("SELECT ciphertext FROM stored_files WHERE id = $1")
                .bind(docs[0].file.id)
                .fetch_one(&server.db.pool)
                .await
                .unwrap(),
            "ciphertext",
        )
        .unwrap();
        assert_ne!(raw, PDF, "not stored in the clear");
        let ipa = Client::new(&server);
        ipa.sign_in("reviewer").await;
        let home = ipa.get("/").await.text().await.unwrap();
        assert!(home.contains("id=\"stat-pre-queue\">1<"), "{backend:?}");
        let download = ipa
            .get(&format!(
                "/pre-applications/{pre}/files/{}",
                docs[0].file.id
            ))
            .await;
        assert_eq!(download.status(), 200);
        assert_eq!(download.bytes().await.unwrap().as_ref(), PDF);
        let other = Client::new(&server);
        other.sign_in("agency-a").await;
        assert_eq!(
            other
                .get(&format!("/pre-applications/{pre}"))
                .await
                .status(),
            404
        );

        // IPA returns it with a reason (a reason is required).
        let moves = format!("/pre-applications/{pre}/transitions");
        let shown = ipa
            .get(&format!("/pre-applications/{pre}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(shown.contains("id=\"do-return\"") && shown.contains("id=\"do-accept\""));
        assert!(
            shown.contains("公表前提の日程のみを扱う"),
            "the assessment shown to IPA"
        );
        let no_reason = ipa
            .post_form(&moves, &[("transition", "return"), ("from", "submitted")])
            .await;
        assert_eq!(no_reason.status(), 422);
        let returned = ipa
            .post_form(
                &moves,
                &[
                    ("transition", "return"),
                    ("from", "submitted"),
                    ("reason", "書類の記載漏れ"),
                ],
            )
            .await;
        assert_eq!(returned.status(), 303, "{backend:?}");

        // The application for LIU is refused meanwhile, in Japanese, pointing at the page.
        let liu = reqwest::multipart::Form::new()
            .text("list", "liu")
            .text("engagement", "1");
        let gate = provider
            .post_multipart(&format!("/services/{service}/applications"), liu)
            .await;
        assert_eq!(gate.status(), 422, "{backend:?}");
        let text = gate.text().await.unwrap();
        assert!(text.contains("受理された事前申請が必要"), "{text}");
        assert!(text.contains(&format!("/services/{service}/pre-applications/new")));

        // The provider amends and resubmits; IPA accepts.
        let amend = provider
            .get(&format!(
                "/services/{service}/pre-applications/new?amend={pre}"
            ))
            .await
            .text()
            .await
            .unwrap();
        assert!(amend.contains(&format!("action=\"/pre-applications/{pre}/transitions\"")));
        let resubmitted = provider
            .post_multipart(
                &moves,
                pre_form(&[low], true, true).text("transition", "resubmit"),
            )
            .await;
        assert!(
            resubmitted.status() == 200 && resubmitted.headers().contains_key("hx-redirect"),
            "{backend:?}"
        );
        let stored = ismap_store::pre_applications::get(&server.db, pre)
            .await
            .unwrap();
        assert_eq!((stored.state.key(), stored.round), ("submitted", 2));
        let accepted = ipa
            .post_form(&moves, &[("transition", "accept"), ("from", "submitted")])
            .await;
        assert_eq!(accepted.status(), 303);
        let late = ipa
            .post_form(
                &moves,
                &[
                    ("transition", "return"),
                    ("from", "submitted"),
                    ("reason", "x"),
                ],
            )
            .await;
        assert_eq!(late.status(), 409, "{backend:?}: already accepted");
        let history: Vec<String> = ismap_store::pre_applications::transitions(&server.db, pre)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.transition)
            .collect();
        assert_eq!(history, ["submit", "return", "resubmit", "accept"]);

        // Now the gate lets the LIU application through to its next check.
        let liu = reqwest::multipart::Form::new()
            .text("list", "liu")
            .text("engagement", "1");
        let past_gate = provider
            .post_multipart(&format!("/services/{service}/applications"), liu)
            .await;
        let text = past_gate.text().await.unwrap();
        assert!(!text.contains("受理された事前申請が必要"), "{backend:?}");
    }
}

/// For the authorization matrix: an approved assessment of the demo SaaS by
/// サンプル省 (made in the store: the matrix checks who may reach it) and a
/// pre-application filed with it over HTTP; (assessment, pre-application,
/// its document's file id).
pub async fn authz_fixture(server: &TestServer, service: i64) -> (i64, i64, i64) {
    use ismap_store::impact_assessments as ia;
    let db = &server.db;
    let actor = ismap_store::Actor::system("authorization matrix");
    let provider = ismap_store::services::get(db, service).await.unwrap();
    let requested = ia::request(
        db,
        &actor,
        ia::NewRequest {
            service_id: service,
            provider_id: provider.organization_id,
            agency_id: org_id(server, "サンプル省").await,
            use_name: "matrix",
            note: "",
        },
    )
    .await
    .unwrap();
    let content = ismap_domain::impact::AssessmentInput {
        business: "b09".into(),
        business_other: String::new(),
        information: "稼働状況".into(),
        confidentiality: "c2".into(),
        impact: "限定的".into(),
        reasoning: "公開情報のみ".into(),
        result: "low".into(),
    };
    let submitted = ia::save(db, &actor, &requested, &content, true)
        .await
        .unwrap();
    let approved = ia::decide(
        db,
        &actor,
        &submitted,
        ismap_domain::impact::AssessmentDecision::Approve,
        "",
    )
    .await
    .unwrap();
    let admin = Client::new(server);
    admin.sign_in("saas-admin").await;
    let filed = admin
        .post_multipart(
            &format!("/services/{service}/pre-applications"),
            pre_form(&[approved.id], true, true),
        )
        .await;
    assert_eq!(filed.status(), 200, "{}", filed.text().await.unwrap());
    let pre = located(&filed, "/pre-applications/");
    let file = ismap_store::pre_applications::documents(db, pre)
        .await
        .unwrap()[0]
        .file
        .id;
    (approved.id, pre, file)
}
