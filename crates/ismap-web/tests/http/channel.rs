//! Issue 15 items 5–7: the channel between agencies and the secretariat —
//! inquiries, doubts, status requests, notices — driven through the pages
//! as people use them, on both backends.

use ismap_domain::channel::{DoubtState, InquiryState};
use ismap_web::testing::TestServer;
use reqwest::multipart::{Form, Part};

use crate::helpers::{BACKENDS, Client, PDF, page_csrf, server};

async fn agency_id(server: &TestServer, name: &str) -> i64 {
    ismap_store::orgs::find_by_name(&server.db, name)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn signed_in<'a>(server: &'a TestServer, who: &str) -> Client<'a> {
    let c = Client::new(server);
    c.sign_in(who).await;
    c
}

/// A page's body, asserting its status.
async fn page(client: &Client<'_>, path: &str, status: u16) -> String {
    let r = client.get(path).await;
    let got = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert_eq!(got, status, "GET {path}: {body}");
    body
}

/// Posts `fields` with the CSRF token the page at `from` carries (the form
/// a person fills in there).
async fn post_from(
    client: &Client<'_>,
    from: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = page(client, from, 200).await;
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

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .or_else(|| r.headers().get("hx-redirect"))
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn pdf(name: &str) -> Part {
    Part::bytes(PDF.to_vec())
        .file_name(name.to_owned())
        .mime_str("application/pdf")
        .unwrap()
}

#[tokio::test]
async fn an_inquiry_is_opened_answered_followed_up_and_closed_once() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let ministry = agency_id(&server, "サンプル省").await;
        let secretariat = signed_in(&server, "secretariat").await;
        let form = page(&secretariat, "/inquiries/new", 200).await;
        assert!(form.contains("調査を開始する"), "{backend:?}");
        let due = (server.clock.today() + chrono::Duration::days(10)).to_string();
        // A past due date is refused and what was typed is kept.
        let refused = post_from(
            &secretariat,
            "/inquiries/new",
            "/inquiries",
            &[
                ("agency_id", &ministry.to_string()),
                ("subject", "暫定措置の状況確認"),
                ("questions", "申請の見込みは？"),
                ("due_date", "2000-01-01"),
            ],
        )
        .await;
        assert_eq!(refused.status(), 422);
        let body = refused.text().await.unwrap();
        assert!(
            body.contains("回答期限に過去の日付は指定できません"),
            "{body}"
        );
        assert!(body.contains("暫定措置の状況確認"));
        let opened = post_from(
            &secretariat,
            "/inquiries/new",
            "/inquiries",
            &[
                ("agency_id", &ministry.to_string()),
                ("subject", "暫定措置の状況確認"),
                ("questions", "申請の見込みは？\n移行計画はありますか？"),
                ("due_date", &due),
            ],
        )
        .await;
        assert_eq!(opened.status(), 303, "{backend:?}");
        let path = location(&opened);
        let id: i64 = path.trim_start_matches("/inquiries/").parse().unwrap();

        // The agency's officer and CISO see it and are notified; the other
        // agency and a provider do not learn it exists.
        let officer = signed_in(&server, "agency-a").await;
        let shown = page(&officer, &path, 200).await;
        assert!(shown.contains("申請の見込みは？") && shown.contains("回答待ち"));
        let home = page(&officer, "/", 200).await;
        assert!(home.contains("id=\"channel-card\""), "the dashboard card");
        assert!(home.contains("申請の見込みは？") || home.contains("暫定措置の状況確認"));
        page(&signed_in(&server, "agency-a-ciso").await, &path, 200).await;
        let other = signed_in(&server, "agency-b").await;
        // Another agency's inquiry answers exactly as a missing one.
        // The missing id is written as the real one (the other way round
        // would also rewrite digits inside the page's CSRF token).
        let hidden = page(&other, &path, 404).await;
        let missing = page(&other, "/inquiries/987654", 404)
            .await
            .replace("987654", &id.to_string());
        assert_eq!(hidden, missing, "{backend:?}");
        assert!(
            !page(&other, "/inquiries", 200)
                .await
                .contains("暫定措置の状況確認")
        );
        let provider = signed_in(&server, "saas-admin").await;
        page(&provider, &path, 404).await;
        page(&provider, "/inquiries", 403).await;
        let ciso_id = ismap_store::users::find_for_sign_in(&server.db, "agency-a-ciso")
            .await
            .unwrap()
            .unwrap()
            .0
            .id;
        let told = ismap_store::notifications::list(&server.db, ciso_id, 10)
            .await
            .unwrap();
        assert!(
            told.iter()
                .any(|n| n.message_id == "channel-notify-inquiry-opened")
        );

        // The officer answers both questions, one with an attachment.
        let questions = ismap_store::inquiries::questions(&server.db, id)
            .await
            .unwrap();
        let answered = officer
            .post_multipart(
                &format!("{path}/questions/{}", questions[0].id),
                Form::new()
                    .text("answer", "提供事業者は来年度に申請予定")
                    .part("attachment", pdf("hearing.pdf")),
            )
            .await;
        assert!(location(&answered).starts_with(&path), "{backend:?}");
        // Another agency cannot answer (it does not see the inquiry).
        let sneaky = other
            .post_multipart(
                &format!("{path}/questions/{}", questions[1].id),
                Form::new().text("answer", "x"),
            )
            .await;
        assert_eq!(sneaky.status(), 404);
        officer
            .post_multipart(
                &format!("{path}/questions/{}", questions[1].id),
                Form::new().text("answer", "移行計画を作成中"),
            )
            .await;
        let x = ismap_store::inquiries::get(&server.db, id).await.unwrap();
        assert_eq!(x.state, InquiryState::Answered, "{backend:?}");
        // Answering again is a conflict.
        let again = officer
            .post_multipart(
                &format!("{path}/questions/{}", questions[1].id),
                Form::new().text("answer", "二度目"),
            )
            .await;
        assert_eq!(again.status(), 409);

        // The secretariat reads the answers and the attachment.
        let shown = page(&secretariat, &path, 200).await;
        assert!(shown.contains("提供事業者は来年度に申請予定") && shown.contains("hearing.pdf"));
        let files = ismap_store::channel::attachments(&server.db, "inquiry", id)
            .await
            .unwrap();
        let file = format!("{path}/files/{}", files[0].file.id);
        let download = secretariat.get(&file).await;
        assert_eq!(download.status(), 200);
        assert_eq!(download.bytes().await.unwrap().as_ref(), PDF);
        assert_eq!(other.get(&file).await.status(), 404);

        // A follow-up reopens it.
        let asked = post_from(
            &secretariat,
            &path,
            &format!("{path}/questions"),
            &[("questions", "予算要求の時期は？"), ("due_date", &due)],
        )
        .await;
        assert_eq!(asked.status(), 303);
        let x = ismap_store::inquiries::get(&server.db, id).await.unwrap();
        assert_eq!(x.state, InquiryState::Open);

        // Two closes at once from the same page: one wins, the other 409.
        let html = page(&secretariat, &path, 200).await;
        let csrf = page_csrf(&html).unwrap();
        let version = x.version.to_string();
        let close = |conclusion: &'static str| {
            secretariat
                .http
                .post(server.url(&format!("{path}/close")))
                .form(&[
                    ("conclusion", conclusion),
                    ("version", version.as_str()),
                    ("csrf", csrf.as_str()),
                ])
                .send()
        };
        let (a, b) = tokio::join!(close("申請見込みを確認した"), close("重複した終了"));
        let mut statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [303, 409], "{backend:?}");
        let x = ismap_store::inquiries::get(&server.db, id).await.unwrap();
        assert_eq!(x.state, InquiryState::Closed);
        let shown = page(&officer, &path, 200).await;
        assert!(shown.contains("終了") && shown.contains(x.conclusion.as_deref().unwrap()));
        let steps: Vec<String> = ismap_store::channel::history(&server.db, "inquiry", id)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.action)
            .collect();
        assert_eq!(
            steps,
            [
                "inquiry.open",
                "inquiry.answer",
                "inquiry.answer",
                "inquiry.ask",
                "inquiry.close"
            ]
        );
    }
}

#[tokio::test]
async fn a_doubt_is_shared_referred_to_ipa_answered_and_closed() {
    for backend in BACKENDS {
        let server = server(backend).await;
        // Counted by when it was stored (UTC timestamps); the demo world
        // has doubts of its own.
        let today = chrono::Utc::now().date_naive();
        let tomorrow = today.succ_opt().unwrap();
        let before = ismap_store::doubts::count_between(&server.db, today, tomorrow)
            .await
            .unwrap();
        let officer = signed_in(&server, "agency-a").await;
        let form = page(&officer, "/doubts/new", 200).await;
        assert!(form.contains("疑義を共有する"));
        // No service named: refused, the description kept.
        let refused = officer
            .post_multipart(
                "/doubts",
                Form::new().text("description", "保存場所の説明が契約と異なる"),
            )
            .await;
        assert_eq!(refused.status(), 422);
        let body = refused.text().await.unwrap();
        assert!(
            body.contains("サービスを一覧から選ぶか")
                && body.contains("保存場所の説明が契約と異なる")
        );
        let shared = officer
            .post_multipart(
                "/doubts",
                Form::new()
                    .text("service_name", "未登録ストレージ")
                    .text("description", "保存場所の説明が契約と異なる")
                    .part("attachment", pdf("contract.pdf")),
            )
            .await;
        let path = location(&shared);
        assert!(path.starts_with("/doubts/"), "{backend:?} {path}");
        let id: i64 = path.trim_start_matches("/doubts/").parse().unwrap();

        let secretariat = signed_in(&server, "secretariat").await;
        assert!(
            page(&secretariat, "/doubts", 200)
                .await
                .contains("未登録ストレージ")
        );
        assert!(
            page(&secretariat, "/", 200)
                .await
                .contains("id=\"stat-new-doubts\">")
        );
        let reviewer = signed_in(&server, "reviewer").await;
        let committee = signed_in(&server, "committee").await;
        page(&reviewer, &path, 404).await;
        page(&signed_in(&server, "agency-b").await, &path, 404).await;
        page(&signed_in(&server, "iaas-admin").await, &path, 404).await;
        page(&signed_in(&server, "iaas-admin").await, "/doubts", 403).await;

        let referred = post_from(
            &secretariat,
            &path,
            &format!("{path}/transitions"),
            &[
                ("transition", "refer_ipa"),
                ("text", "監査報告書との照合を依頼"),
            ],
        )
        .await;
        assert_eq!(referred.status(), 303, "{backend:?}");
        let shown = page(&reviewer, &path, 200).await;
        assert!(shown.contains("IPAに確認依頼中") && shown.contains("監査報告書との照合を依頼"));
        assert!(
            page(&reviewer, "/doubts", 200)
                .await
                .contains("未登録ストレージ")
        );
        page(&committee, &path, 404).await;
        let noted = post_from(
            &reviewer,
            &path,
            &format!("{path}/notes"),
            &[("note", "報告書の記載と一致しない点あり")],
        )
        .await;
        assert_eq!(noted.status(), 303);
        // The agency sees neither the note nor the referral's working text.
        let agency_view = page(&officer, &path, 200).await;
        assert!(!agency_view.contains("報告書の記載と一致しない点あり"));
        assert!(!agency_view.contains("監査報告書との照合を依頼"));
        // The agency cannot move it or add notes.
        let refused = post_from(&officer, &path, &format!("{path}/notes"), &[("note", "x")]).await;
        assert_eq!(refused.status(), 403);

        post_from(
            &secretariat,
            &path,
            &format!("{path}/transitions"),
            &[
                ("transition", "answer"),
                ("text", "提供事業者に確認を求めました"),
            ],
        )
        .await;
        // Closing without the outcome is refused.
        let bare = post_from(
            &secretariat,
            &path,
            &format!("{path}/transitions"),
            &[("transition", "close"), ("text", "")],
        )
        .await;
        assert_eq!(bare.status(), 422);
        let closed = post_from(
            &secretariat,
            &path,
            &format!("{path}/transitions"),
            &[("transition", "close"), ("text", "契約の記載を訂正")],
        )
        .await;
        assert_eq!(closed.status(), 303);
        let d = ismap_store::doubts::get(&server.db, id).await.unwrap();
        assert_eq!(d.state, DoubtState::Closed, "{backend:?}");
        let agency_view = page(&officer, &path, 200).await;
        assert!(
            agency_view.contains("契約の記載を訂正")
                && agency_view.contains("提供事業者に確認を求めました")
        );
        let file = ismap_store::channel::attachments(&server.db, "doubt", id)
            .await
            .unwrap()[0]
            .file
            .id;
        assert_eq!(
            reviewer.get(&format!("{path}/files/{file}")).await.status(),
            200
        );
        assert_eq!(
            committee
                .get(&format!("{path}/files/{file}"))
                .await
                .status(),
            404
        );
        assert_eq!(
            ismap_store::doubts::count_between(&server.db, today, tomorrow)
                .await
                .unwrap(),
            before + 1
        );
    }
}

#[tokio::test]
async fn a_status_answer_is_prefilled_from_the_portal_records() {
    for backend in BACKENDS {
        let server = server(backend).await;
        // The demo SaaS has an application in the portal (submitted).
        let application = crate::review::submitted(&server).await;
        let officer = signed_in(&server, "agency-a").await;
        let list = page(&officer, "/status-requests", 200).await;
        assert!(list.contains("申請状況の問合せ"));
        let asked = post_from(
            &officer,
            "/status-requests",
            "/status-requests",
            &[
                ("service_name", &application.service_name),
                ("question", "調達予定のため申請状況を教えてください"),
            ],
        )
        .await;
        assert_eq!(asked.status(), 303, "{backend:?}");
        let path = location(&asked);
        // The listed demo IaaS, chosen from the list.
        let iaas = ismap_store::registrations::by_number(&server.db, "C21-0008-2")
            .await
            .unwrap();
        let asked_iaas = post_from(
            &officer,
            "/status-requests",
            "/status-requests",
            &[("service_id", &iaas.service_id.to_string())],
        )
        .await;
        let iaas_path = location(&asked_iaas);

        page(&signed_in(&server, "agency-b").await, &path, 404).await;
        page(&signed_in(&server, "saas-admin").await, &path, 404).await;

        let secretariat = signed_in(&server, "secretariat").await;
        let shown = page(&secretariat, &path, 200).await;
        assert!(
            shown.contains("申請受付") && shown.contains("ISMAPクラウドサービスリスト"),
            "{backend:?}: the draft names the application's state"
        );
        let shown_iaas = page(&secretariat, &iaas_path, 200).await;
        assert!(shown_iaas.contains("C21-0008-2"));
        // The agency does not see the draft before the answer.
        assert!(!page(&officer, &path, 200).await.contains("申請受付"));
        let answered = post_from(
            &secretariat,
            &path,
            &format!("{path}/answer"),
            &[("answer", "申請を受け付け、審査の準備中です。")],
        )
        .await;
        assert_eq!(answered.status(), 303);
        let shown = page(&officer, &path, 200).await;
        assert!(shown.contains("申請を受け付け、審査の準備中です。") && shown.contains("回答済み"));
        // Answering twice is a conflict.
        let twice = post_from(
            &secretariat,
            &path,
            &format!("{path}/answer"),
            &[("answer", "二度目")],
        )
        .await;
        assert_eq!(twice.status(), 409);
    }
}

#[tokio::test]
async fn notices_reach_every_agency_and_read_receipts_are_counted() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let secretariat = signed_in(&server, "secretariat").await;
        assert!(
            page(&secretariat, "/notices", 200)
                .await
                .contains("お知らせを掲載する")
        );
        let published = secretariat
            .post_multipart(
                "/notices",
                Form::new()
                    .text("title", "管理基準の大幅な改定")
                    .text("body", "国際規格の改定に伴い管理基準を改定します。")
                    .part("attachment", pdf("kaitei.pdf")),
            )
            .await;
        let path = location(&published);
        assert!(path.starts_with("/notices/"), "{backend:?} {path}");
        let id: i64 = path.trim_start_matches("/notices/").parse().unwrap();

        let a = signed_in(&server, "agency-a").await;
        let unread = ismap_store::notices::unread(
            &server.db,
            ismap_store::users::find_for_sign_in(&server.db, "agency-a")
                .await
                .unwrap()
                .unwrap()
                .0
                .id,
        )
        .await
        .unwrap();
        assert!(unread >= 1);
        let mine = format!("data-notice=\"{id}\" class=\"unread\"");
        let list = page(&a, "/notices", 200).await;
        assert!(list.contains("管理基準の大幅な改定") && list.contains(&mine));
        assert!(
            list.contains(&format!("未読 {unread} 件")),
            "the badge counts"
        );
        assert!(page(&a, "/", 200).await.contains("stat-unread-notices"));
        let shown = page(&a, &path, 200).await;
        assert!(shown.contains("国際規格の改定に伴い") && shown.contains("kaitei.pdf"));
        page(&a, &path, 200).await;
        let list = page(&a, "/notices", 200).await;
        assert!(!list.contains(&mine) && list.contains(&format!("data-notice=\"{id}\"")));
        assert_eq!(
            ismap_store::notices::read_count(&server.db, id)
                .await
                .unwrap(),
            1
        );
        let file = ismap_store::channel::attachments(&server.db, "notice", id)
            .await
            .unwrap()[0]
            .file
            .id;
        assert_eq!(a.get(&format!("{path}/files/{file}")).await.status(), 200);

        // The secretariat sees who has read it and who has not.
        let readers = page(&secretariat, &path, 200).await;
        assert!(readers.contains(
            "サンプル省 調達担当: <span class=\"badge badge-status\" data-read=\"yes\">"
        ));
        assert!(readers.contains(
            "サンプル庁 調達担当: <span class=\"badge badge-warning\" data-read=\"no\">"
        ));
        assert!(readers.contains("（既読 1 / 2 人）") && readers.contains("（既読 0 / 1 人）"));
        assert!(
            page(&secretariat, "/notices", 200)
                .await
                .contains("既読 1 人")
        );

        // Providers and other bodies never see notices.
        let provider = signed_in(&server, "saas-admin").await;
        page(&provider, "/notices", 403).await;
        page(&provider, &path, 404).await;
        page(&signed_in(&server, "reviewer").await, "/notices", 403).await;
        // Agencies cannot publish.
        let refused = a
            .post_multipart("/notices", Form::new().text("title", "x").text("body", "y"))
            .await;
        assert_eq!(refused.status(), 403);
    }
}

/// The channel's objects the authorization matrix points at: all of
/// サンプル省 (agency-a), the doubt referred to IPA, each with a file.
pub struct AuthzIds {
    pub inquiry: i64,
    pub inquiry_file: i64,
    pub doubt: i64,
    pub doubt_file: i64,
    pub status_request: i64,
    pub notice: i64,
    pub notice_file: i64,
}

pub async fn authz_fixture(server: &TestServer) -> AuthzIds {
    let ministry = agency_id(server, "サンプル省").await;
    let secretariat = signed_in(server, "secretariat").await;
    let officer = signed_in(server, "agency-a").await;
    let due = (server.clock.today() + chrono::Duration::days(30)).to_string();
    let opened = secretariat
        .post_form(
            "/inquiries",
            &[
                ("agency_id", &ministry.to_string()),
                ("subject", "matrix"),
                ("questions", "one\ntwo"),
                ("due_date", &due),
            ],
        )
        .await;
    assert_eq!(opened.status(), 303);
    let inquiry: i64 = location(&opened)
        .trim_start_matches("/inquiries/")
        .parse()
        .unwrap();
    let question = ismap_store::inquiries::questions(&server.db, inquiry)
        .await
        .unwrap()[0]
        .id;
    officer
        .post_multipart(
            &format!("/inquiries/{inquiry}/questions/{question}"),
            Form::new()
                .text("answer", "matrix")
                .part("attachment", pdf("matrix.pdf")),
        )
        .await;
    let shared = officer
        .post_multipart(
            "/doubts",
            Form::new()
                .text("service_name", "matrix service")
                .text("description", "matrix")
                .part("attachment", pdf("matrix.pdf")),
        )
        .await;
    let doubt: i64 = location(&shared)
        .trim_start_matches("/doubts/")
        .parse()
        .unwrap();
    let referred = secretariat
        .post_form(
            &format!("/doubts/{doubt}/transitions"),
            &[("transition", "refer_ipa"), ("text", "matrix")],
        )
        .await;
    assert_eq!(referred.status(), 303);
    let asked = officer
        .post_form("/status-requests", &[("service_name", "matrix service")])
        .await;
    let status_request: i64 = location(&asked)
        .trim_start_matches("/status-requests/")
        .parse()
        .unwrap();
    let published = secretariat
        .post_multipart(
            "/notices",
            Form::new()
                .text("title", "matrix")
                .text("body", "matrix")
                .part("attachment", pdf("matrix.pdf")),
        )
        .await;
    let notice: i64 = location(&published)
        .trim_start_matches("/notices/")
        .parse()
        .unwrap();
    let file = |object: &'static str, id: i64| async move {
        ismap_store::channel::attachments(&server.db, object, id)
            .await
            .unwrap()[0]
            .file
            .id
    };
    AuthzIds {
        inquiry_file: file("inquiry", inquiry).await,
        doubt_file: file("doubt", doubt).await,
        notice_file: file("notice", notice).await,
        inquiry,
        doubt,
        status_request,
        notice,
    }
}

/// A concrete path for one of the channel's routes (`None`: not one).
pub fn authz_path(pattern: &str, ids: &AuthzIds) -> Option<String> {
    let (object, file) = if pattern.starts_with("/inquiries/{id}") {
        (ids.inquiry, ids.inquiry_file)
    } else if pattern.starts_with("/doubts/{id}") {
        (ids.doubt, ids.doubt_file)
    } else if pattern.starts_with("/status-requests/{id}") {
        (ids.status_request, 0)
    } else if pattern.starts_with("/notices/{id}") {
        (ids.notice, ids.notice_file)
    } else {
        return None;
    };
    Some(
        pattern
            .replace("{id}", &object.to_string())
            .replace("{file}", &file.to_string())
            // The matrix posts no answer: nothing is answered.
            .replace("{question}", "1"),
    )
}

/// An interim measure of `agency` on an entry for `service` (the register's
/// own tests cover how they are made).
async fn interim_measure(server: &TestServer, agency: i64, service: &str) -> i64 {
    use sqlx::Row;
    let at = ismap_store::now();
    let entry: i64 = sqlx::query(
        "INSERT INTO cloud_usage_entries (agency_id, system_name, service_name, provider_name, \
         confidentiality, start_of_use, status, path, created_at, updated_at) \
         VALUES ($1, '文書管理システム', $2, '未登録事業者', 2, '2026-04-01', 'in_use', 'interim', $3, $3) \
         RETURNING id",
    )
    .bind(agency)
    .bind(service)
    .bind(&at)
    .fetch_one(&server.db.pool)
    .await
    .unwrap()
    .try_get("id")
    .unwrap();
    sqlx::query(
        "INSERT INTO interim_measures (entry_id, agency_id, origin, origin_date, deadline, \
         current_status, created_at, updated_at) \
         VALUES ($1, $2, 'start_of_use', '2026-04-01', '2027-04-01', '申請準備中', $3, $3) RETURNING id",
    )
    .bind(entry)
    .bind(agency)
    .bind(&at)
    .fetch_one(&server.db.pool)
    .await
    .unwrap()
    .try_get("id")
    .unwrap()
}

#[tokio::test]
async fn an_inquiry_about_an_interim_measure_is_prefilled_from_it() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let ministry = agency_id(&server, "サンプル省").await;
        let other = agency_id(&server, "サンプル庁").await;
        let measure = interim_measure(&server, ministry, "未登録ストレージ").await;
        let secretariat = signed_in(&server, "secretariat").await;
        let form = page(
            &secretariat,
            &format!("/inquiries/new?interim_measure={measure}"),
            200,
        )
        .await;
        assert!(
            form.contains("暫定措置（未登録ストレージ）に関する調査"),
            "{backend:?}"
        );
        assert!(form.contains(&format!("<option value=\"{ministry}\" selected>")));
        page(&secretariat, "/inquiries/new?interim_measure=987654", 404).await;
        let due = (server.clock.today() + chrono::Duration::days(7)).to_string();
        // The measure must be the chosen agency's.
        let wrong = post_from(
            &secretariat,
            "/inquiries/new",
            "/inquiries",
            &[
                ("agency_id", &other.to_string()),
                ("interim_measure_id", &measure.to_string()),
                ("subject", "調査"),
                ("questions", "状況は？"),
                ("due_date", &due),
            ],
        )
        .await;
        assert_eq!(wrong.status(), 422);
        let opened = post_from(
            &secretariat,
            &format!("/inquiries/new?interim_measure={measure}"),
            "/inquiries",
            &[
                ("agency_id", &ministry.to_string()),
                ("interim_measure_id", &measure.to_string()),
                ("subject", "暫定措置（未登録ストレージ）に関する調査"),
                ("questions", "申請の見込みがないと判断した理由は？"),
                ("due_date", &due),
            ],
        )
        .await;
        assert_eq!(opened.status(), 303);
        let path = location(&opened);
        let id: i64 = path.trim_start_matches("/inquiries/").parse().unwrap();
        let x = ismap_store::inquiries::get(&server.db, id).await.unwrap();
        assert_eq!(x.interim_measure_id, Some(measure));
        let shown = page(&signed_in(&server, "agency-a").await, &path, 200).await;
        assert!(shown.contains(&format!("/interim-measures/{measure}")));
    }
}
