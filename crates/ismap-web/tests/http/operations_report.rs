//! Issue 15, item 8: the secretariat's operations report (運用状況の報告). An
//! application goes through the real portal (filed, questions asked and
//! answered, referred, registered); then every figure of the page, the JSON
//! and the workbook is checked against what the database holds, counted
//! here with SQL. Only the secretariat reads the report.

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{Datelike, NaiveDate};
use ismap_domain::operations_report::{fiscal_year, fy_end, fy_start};
use ismap_domain::review::ApplicationState;
use ismap_store::Db;
use serde_json::Value;

use crate::helpers::{BACKENDS, Client, server};
use crate::registration::{application_form, confirm_and_file, reported};

const DEFICIENT: &str = "8.1.2.7.PB";

/// The demo SaaS application through the portal: filed, two questions
/// asked and answered, referred and registered. Returns its id.
async fn registered_through_the_portal(server: &ismap_web::testing::TestServer) -> i64 {
    let e = reported(server).await;
    let (service, _) = crate::helpers::saas_ids(server).await;
    let provider = Client::new(server);
    provider.sign_in("saas-admin").await;
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
    let app = confirm_and_file(&provider, service, application_form(e, true)).await;
    let reviewer = Client::new(server);
    reviewer.sign_in("reviewer").await;
    let path = format!("/applications/{app}/transitions");
    for fields in [
        vec![("transition", "start_acceptance")],
        vec![("transition", "accept")],
        vec![
            ("transition", "request_information"),
            ("reason", "baseline requirement 8.1.2.7.PB"),
            (
                "questions",
                "顧客管理鍵の提供時期を示してください。\n鍵の消去手順を示してください。",
            ),
            ("due_date", "2099-02-28"),
        ],
    ] {
        assert_eq!(reviewer.post_form(&path, &fields).await.status(), 303);
    }
    let editor = Client::new(server);
    editor.sign_in("saas-editor").await;
    let questions = ismap_store::applications::questions(&server.db, app)
        .await
        .unwrap();
    assert_eq!(questions.len(), 2);
    for (i, q) in questions.iter().enumerate() {
        let form = reqwest::multipart::Form::new().text("answer", format!("回答 {i}"));
        let answered = editor
            .post_multipart(&format!("/applications/{app}/questions/{}", q.id), form)
            .await;
        assert_eq!(answered.status(), 200);
    }
    assert_eq!(
        reviewer
            .post_form(
                &path,
                &[("transition", "refer_to_committee"), ("reason", "met")]
            )
            .await
            .status(),
        303
    );
    let committee = Client::new(server);
    committee.sign_in("committee").await;
    assert_eq!(
        committee
            .post_form(
                &path,
                &[
                    ("transition", "register"),
                    ("reason", "第42回運営委員会で決定")
                ]
            )
            .await
            .status(),
        303
    );
    app
}

async fn scalar(db: &Db, sql: &str, binds: &[&str]) -> i64 {
    let mut q = sqlx::query_scalar::<_, i64>(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.fetch_one(&db.pool).await.unwrap()
}

async fn pairs(db: &Db, sql: &str, binds: &[&str]) -> Vec<(String, Option<String>)> {
    let mut q = sqlx::query_as::<_, (String, Option<String>)>(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.fetch_all(&db.pool).await.unwrap()
}

/// The day in Japan of a stored timestamp or date.
fn day(text: &str) -> NaiveDate {
    ismap_store::operations_report::day_of(text).unwrap()
}

/// The UTC timestamp at which `d` begins in Japan (stored timestamps of
/// days ≥ d compare ≥ this text).
fn from_day(d: NaiveDate) -> String {
    format!("{}T15:00:00", d.pred_opt().unwrap())
}

/// One figure: where the page, the JSON and the workbook show it, and what
/// the database says it is.
struct Figure {
    cell: String,
    json: String,
    sheet: &'static str,
    row: u32,
    col: u32,
    expected: Option<i64>,
}

fn fig(
    cell: &str,
    json: &str,
    sheet: &'static str,
    row: usize,
    col: u32,
    expected: Option<i64>,
) -> Figure {
    Figure {
        cell: cell.to_owned(),
        json: json.to_owned(),
        sheet,
        row: u32::try_from(row).unwrap(),
        col,
        expected,
    }
}

fn page_cell(html: &str, id: &str) -> Option<i64> {
    let marker = format!("id=\"{id}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no cell {id} on the page"))
        + marker.len();
    let text = &html[start..start + html[start..].find('<').unwrap()];
    text.parse().ok()
}

fn nearest_rank(values: &mut [i64], p: usize) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = (p * values.len()).div_ceil(100);
    Some(values[rank - 1])
}

/// Every figure of the running fiscal year, counted with SQL.
async fn expected_figures(db: &Db, today: NaiveDate) -> Vec<Figure> {
    let fy = fiscal_year(today);
    let start = fy_start(fy);
    let lo = from_day(start);
    let hi = from_day(today.succ_opt().unwrap());
    let (start_s, today_s) = (start.to_string(), today.to_string());
    let before_start = start.pred_opt().unwrap().to_string();
    let mut out = Vec::new();

    // Registrations: 6 list × model rows, then the two totals.
    let pending = "EXISTS (SELECT 1 FROM applications a WHERE a.renewal_of = r.id \
                   AND a.state NOT IN ('registered', 'rejected', 'withdrawn'))";
    let mut totals = [[0i64; 5]; 2];
    let mut row = 0;
    for (li, list) in ["ismap", "liu"].iter().enumerate() {
        for model in ["IaaS", "PaaS", "SaaS"] {
            row += 1;
            let key = format!("{list}-{}", model.to_ascii_lowercase());
            let values = [
                scalar(db, "SELECT COUNT(*) FROM registrations r WHERE list = $1 AND model = $2 AND renewal_of IS NULL AND registered_on >= $3 AND registered_on <= $4", &[list, model, &start_s, &today_s]).await,
                scalar(db, "SELECT COUNT(*) FROM registrations r WHERE list = $1 AND model = $2 AND renewal_of IS NOT NULL AND registered_on >= $3 AND registered_on <= $4", &[list, model, &start_s, &today_s]).await,
                scalar(db, &format!("SELECT COUNT(*) FROM registrations r WHERE list = $1 AND model = $2 AND registered_on <= $3 AND suspended_at IS NULL AND superseded = 0 AND (valid_until >= $3 OR {pending})"), &[list, model, &today_s]).await,
                scalar(db, &format!("SELECT COUNT(*) FROM registrations r WHERE list = $1 AND model = $2 AND valid_until >= $3 AND valid_until < $4 AND suspended_at IS NULL AND superseded = 0 AND NOT {pending}"), &[list, model, &before_start, &today_s]).await,
                scalar(db, "SELECT COUNT(*) FROM registrations r WHERE list = $1 AND model = $2 AND suspended_at >= $3 AND suspended_at < $4", &[list, model, &lo, &hi]).await,
            ];
            for (c, (column, json)) in [
                ("new", "new"),
                ("renewed", "renewed"),
                ("in-force", "in_force"),
                ("expired", "expired"),
                ("suspended", "suspended"),
            ]
            .iter()
            .enumerate()
            {
                totals[li][c] += values[c];
                out.push(fig(
                    &format!("opsreport-registrations-{key}-{column}"),
                    &format!("/registrations/{}/{json}", row - 1),
                    "登録",
                    row,
                    u32::try_from(c + 1).unwrap(),
                    Some(values[c]),
                ));
            }
        }
    }
    for (li, list) in ["ismap", "liu"].iter().enumerate() {
        row += 1;
        for (c, (column, json)) in [
            ("new", "new"),
            ("renewed", "renewed"),
            ("in-force", "in_force"),
            ("expired", "expired"),
            ("suspended", "suspended"),
        ]
        .iter()
        .enumerate()
        {
            out.push(fig(
                &format!("opsreport-registrations-{list}-total-{column}"),
                &format!("/registrations/{}/{json}", row - 1),
                "登録",
                row,
                u32::try_from(c + 1).unwrap(),
                Some(totals[li][c]),
            ));
        }
    }

    // Applications submitted in the year, by state now and list.
    let mut submitted = 0;
    for (i, state) in ApplicationState::ALL.iter().enumerate() {
        let mut both = 0;
        for (c, list) in ["ismap", "liu"].iter().enumerate() {
            let n = scalar(db, "SELECT COUNT(*) FROM applications WHERE state = $1 AND list = $2 AND submitted_at >= $3 AND submitted_at < $4", &[state.key(), list, &lo, &hi]).await;
            both += n;
            out.push(fig(
                &format!(
                    "opsreport-applications-{}-{list}",
                    state.key().replace('_', "-")
                ),
                &format!("/applications/by_state/{i}/{list}"),
                "申請",
                i + 1,
                u32::try_from(c + 1).unwrap(),
                Some(n),
            ));
        }
        submitted += both;
        out.push(fig(
            &format!(
                "opsreport-applications-{}-total",
                state.key().replace('_', "-")
            ),
            "",
            "申請",
            i + 1,
            3,
            Some(both),
        ));
    }
    out.push(fig(
        "opsreport-applications-total-total",
        "/applications/submitted",
        "申請",
        ApplicationState::ALL.len() + 1,
        3,
        Some(submitted),
    ));

    // Decisions and durations (the first move to a final state).
    let mut durations = Vec::new();
    for (r, outcome) in ["registered", "rejected", "withdrawn"].iter().enumerate() {
        let rows = pairs(db, "SELECT a.submitted_at, t.at FROM application_transitions t JOIN applications a ON a.id = t.application_id WHERE t.to_state = $1 AND t.at >= $2 AND t.at < $3", &[outcome, &lo, &hi]).await;
        if *outcome != "withdrawn" {
            for (submitted_at, at) in &rows {
                durations.push((day(at.as_deref().unwrap()) - day(submitted_at)).num_days());
            }
        }
        out.push(fig(
            &format!("opsreport-decisions-{outcome}-value"),
            &format!("/decisions/{outcome}"),
            "審査結果",
            r + 1,
            1,
            Some(i64::try_from(rows.len()).unwrap()),
        ));
    }
    let count = i64::try_from(durations.len()).unwrap();
    let max = durations.iter().max().copied();
    let p90 = nearest_rank(&mut durations, 90);
    let median = nearest_rank(&mut durations, 50);
    for (r, (key, json, value)) in [
        ("durations", "count", Some(count)),
        ("median", "median", median),
        ("p90", "p90", p90),
        ("max", "max", max),
    ]
    .into_iter()
    .enumerate()
    {
        out.push(fig(
            &format!("opsreport-decisions-{key}-value"),
            &format!("/review_days/{json}"),
            "審査結果",
            r + 4,
            1,
            value,
        ));
    }

    // Questions asked in the year.
    let asked = sqlx::query_as::<_, (String, String, Option<String>)>(
        "SELECT asked_at, due_date, answered_at FROM review_questions WHERE asked_at >= $1 AND asked_at < $2",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let answered: Vec<_> = asked.iter().filter(|q| q.2.is_some()).collect();
    let late = answered
        .iter()
        .filter(|q| day(q.2.as_deref().unwrap()) > day(&q.1))
        .count();
    let open: Vec<_> = asked.iter().filter(|q| q.2.is_none()).collect();
    let open_overdue = open.iter().filter(|q| day(&q.1) < today).count();
    for (r, (key, n)) in [
        ("asked", asked.len()),
        ("answered", answered.len()),
        ("answered_late", late),
        ("open", open.len()),
        ("open_overdue", open_overdue),
    ]
    .into_iter()
    .enumerate()
    {
        out.push(fig(
            &format!("opsreport-questions-{}-count", key.replace('_', "-")),
            &format!("/questions/{key}"),
            "質問",
            r + 1,
            1,
            Some(i64::try_from(n).unwrap()),
        ));
    }

    // Interim measures.
    let interim = [
        ("notified", scalar(db, "SELECT COUNT(*) FROM interim_measures WHERE created_at >= $1 AND created_at < $2", &[&lo, &hi]).await),
        ("open", scalar(db, "SELECT COUNT(*) FROM interim_measures WHERE created_at < $1 AND closed_at IS NULL", &[&hi]).await),
        ("overdue", scalar(db, "SELECT COUNT(*) FROM interim_measures WHERE created_at < $1 AND closed_at IS NULL AND state IN ('open', 'applied') AND deadline < $2", &[&hi, &today_s]).await),
        ("reported", scalar(db, "SELECT COUNT(*) FROM interim_measures WHERE created_at < $1 AND closed_at IS NULL AND state = 'reported'", &[&hi]).await),
        ("closed", scalar(db, "SELECT COUNT(*) FROM interim_measures WHERE closed_at >= $1 AND closed_at < $2", &[&lo, &hi]).await),
    ];
    for (r, (key, n)) in interim.into_iter().enumerate() {
        out.push(fig(
            &format!("opsreport-interim-{key}-count"),
            &format!("/interim_measures/{key}"),
            "暫定措置",
            r + 1,
            1,
            Some(n),
        ));
    }

    // Counts by state of the year's rows.
    for (table, json, sheet, column, states) in [
        (
            "doubts",
            "/doubts",
            "疑義",
            "created_at",
            &ismap_domain::operations_report::DOUBT_STATES[..],
        ),
        (
            "inquiries",
            "/inquiries",
            "調査",
            "created_at",
            &ismap_domain::operations_report::INQUIRY_STATES[..],
        ),
        (
            "pre_applications",
            "/pre_applications",
            "LIU事前申請",
            "submitted_at",
            &ismap_domain::operations_report::PRE_APPLICATION_STATES[..],
        ),
        (
            "impact_assessments",
            "/impact_assessments/by_state",
            "LIU影響度評価",
            "requested_at",
            &ismap_domain::operations_report::ASSESSMENT_STATES[..],
        ),
    ] {
        let key = match table {
            "pre_applications" => "pre-applications",
            "impact_assessments" => "assessments",
            other => other,
        };
        let mut total = 0;
        for (r, state) in states.iter().enumerate() {
            let n = scalar(
                db,
                &format!("SELECT COUNT(*) FROM {table} WHERE state = $1 AND {column} >= $2 AND {column} < $3"),
                &[state, &lo, &hi],
            )
            .await;
            total += n;
            out.push(fig(
                &format!("opsreport-{key}-{}-count", state.replace('_', "-")),
                &format!("{json}/{state}"),
                sheet,
                r + 1,
                1,
                Some(n),
            ));
        }
        out.push(fig(
            &format!("opsreport-{key}-total-count"),
            "",
            sheet,
            states.len() + 1,
            1,
            Some(total),
        ));
    }
    out.push(fig(
        "opsreport-assessments-approved-in-fy-count",
        "/impact_assessments/approved_in_fy",
        "LIU影響度評価",
        6,
        1,
        Some(scalar(db, "SELECT COUNT(*) FROM impact_assessments WHERE approved_at >= $1 AND approved_at < $2", &[&lo, &hi]).await),
    ));

    // Months.
    for i in 0..12u32 {
        let first = start.checked_add_months(chrono::Months::new(i)).unwrap();
        let next = first.checked_add_months(chrono::Months::new(1)).unwrap();
        let (a, b) = (
            from_day(first),
            from_day(next.min(today.succ_opt().unwrap()).max(first)),
        );
        let key = format!("{}-{:02}", first.year(), first.month());
        let row = usize::try_from(i).unwrap() + 1;
        let submitted = scalar(
            db,
            "SELECT COUNT(*) FROM applications WHERE submitted_at >= $1 AND submitted_at < $2",
            &[&a, &b],
        )
        .await;
        let decided = scalar(db, "SELECT COUNT(*) FROM application_transitions WHERE to_state IN ('registered', 'rejected') AND at >= $1 AND at < $2", &[&a, &b]).await;
        out.push(fig(
            &format!("opsreport-months-{key}-submitted"),
            &format!("/months/{}/submitted", i),
            "月別",
            row,
            1,
            Some(submitted),
        ));
        out.push(fig(
            &format!("opsreport-months-{key}-decided"),
            &format!("/months/{}/decided", i),
            "月別",
            row,
            2,
            Some(decided),
        ));
    }

    // The trend's running year is the in-force total.
    let years = usize::try_from(fy - 2020).unwrap();
    for (c, (list, li)) in [("ismap", 0), ("liu", 1)].into_iter().enumerate() {
        out.push(fig(
            &format!("opsreport-trend-{fy}-{list}"),
            &format!("/trend/{years}/{list}"),
            "年度推移",
            years + 1,
            u32::try_from(c + 1).unwrap(),
            Some(totals[li][2]),
        ));
    }
    assert!(fy_end(fy) >= today);
    out
}

async fn token(client: &Client<'_>) -> String {
    let page = client
        .post_form("/account/tokens", &[("name", "opsreport")])
        .await
        .text()
        .await
        .unwrap();
    let start = page.find("ismap_").expect("the new token is shown once");
    page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

#[tokio::test]
async fn every_figure_is_what_the_database_holds() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let app = registered_through_the_portal(&server).await;
        let db = &server.db;
        let today = server.clock.today();
        let fy = fiscal_year(today);
        let secretariat = Client::new(&server);
        secretariat.sign_in("secretariat").await;

        let page = secretariat.get("/operations-report").await;
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["cache-control"], "private, no-store");
        let html = page.text().await.unwrap();
        assert!(
            html.contains(&format!("令和{}年度", fy - 2018)),
            "{backend:?}"
        );
        assert!(
            html.contains("<svg class=\"opsreport-chart\""),
            "charts drawn"
        );
        let charts = &html[html.find("opsreport-charts").unwrap()..];
        let charts = &charts[..charts.find("</section>").unwrap()];
        assert!(!charts.contains("<script"), "no chart library");
        assert!(charts.contains("<rect class=\"opsreport-bar-ismap\""));

        let json: Value = secretariat
            .get(&format!("/api/v1/operations-report?fy={fy}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(json["fy"], fy);
        assert_eq!(json["review_days"]["method"], "nearest_rank");

        let xlsx = secretariat
            .get(&format!("/operations-report.xlsx?fy={fy}"))
            .await;
        assert_eq!(xlsx.status(), 200);
        assert!(
            xlsx.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains("spreadsheetml")
        );
        let bytes = xlsx.bytes().await.unwrap().to_vec();
        let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(
            book.sheet_names()[..3],
            ["概要".to_owned(), "登録".to_owned(), "申請".to_owned()],
            "sheets named in the reader's language"
        );
        let registrations = book.worksheet_range("登録").unwrap();
        assert_eq!(
            registrations.get((0, 3)).unwrap().to_string(),
            "登録中",
            "headers in Japanese"
        );

        let figures = expected_figures(db, today).await;
        // The application made here is counted: submitted and registered.
        let find = |cell: &str| figures.iter().find(|f| f.cell == cell).unwrap();
        assert!(find("opsreport-applications-registered-ismap").expected >= Some(1));
        assert!(find("opsreport-decisions-registered-value").expected >= Some(1));
        assert!(find("opsreport-questions-asked-count").expected >= Some(2));
        assert!(find("opsreport-questions-answered-count").expected >= Some(2));
        assert!(find("opsreport-registrations-ismap-saas-new").expected >= Some(1));
        assert!(
            find("opsreport-registrations-ismap-iaas-in-force").expected >= Some(1),
            "the demo IaaS registration"
        );
        let mut mismatches = Vec::new();
        let mut ranges = std::collections::HashMap::new();
        for f in &figures {
            let shown = page_cell(&html, &f.cell);
            if shown != f.expected {
                mismatches.push(format!("page {}: {shown:?} ≠ {:?}", f.cell, f.expected));
            }
            if !f.json.is_empty() {
                let value = json.pointer(&f.json).unwrap_or(&Value::Null).as_i64();
                if value != f.expected {
                    mismatches.push(format!("json {}: {value:?} ≠ {:?}", f.json, f.expected));
                }
            }
            let range = ranges
                .entry(f.sheet)
                .or_insert_with(|| book.worksheet_range(f.sheet).unwrap());
            let cell = match range.get((f.row as usize, f.col as usize)) {
                Some(Data::Float(v)) => Some(*v as i64),
                Some(Data::Int(v)) => Some(*v),
                _ => None,
            };
            if cell != f.expected {
                mismatches.push(format!(
                    "xlsx {}!{}:{}: {cell:?} ≠ {:?}",
                    f.sheet, f.row, f.col, f.expected
                ));
            }
        }
        assert!(
            mismatches.is_empty(),
            "{backend:?} application {app}:\n{}",
            mismatches.join("\n")
        );

        // Bearer tokens work as on the other API routes.
        let bearer = token(&secretariat).await;
        let by_token = reqwest::Client::new()
            .get(server.url("/api/v1/operations-report"))
            .bearer_auth(&bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(by_token.status(), 200);
        let by_token: Value = by_token.json().await.unwrap();
        assert_eq!(by_token, json, "the same report, default year");

        // The secretariat's dashboard links it; the nav too.
        let home = secretariat.get("/").await.text().await.unwrap();
        assert!(home.contains("id=\"opsreport-card\""));
        assert!(home.contains("href=\"/operations-report\""));
    }
}

#[tokio::test]
async fn the_year_is_chosen_and_checked() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let today = server.clock.today();
        let fy = fiscal_year(today);
        let secretariat = Client::new(&server);
        secretariat.sign_in("secretariat").await;
        let page = secretariat.get("/operations-report?fy=2020").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("運用状況の報告（令和2年度）"));
        assert!(html.contains("2020年4月1日"), "{backend:?}");
        assert!(html.contains("<option value=\"2020\" selected>"));
        assert!(html.contains(&format!("<option value=\"{fy}\">")));
        assert!(html.contains("opsreport-months-2020-04-submitted"));
        for (query, says) in [
            ("fy=abc", "年度（fy）は西暦の数字"),
            ("fy=2019", "運用開始年度 2020 以降"),
            (&format!("fy={}", fy + 1), "現在の年度"),
        ] {
            let refused = secretariat
                .get(&format!("/operations-report?{query}"))
                .await;
            assert_eq!(refused.status(), 422, "{query}");
            assert!(refused.text().await.unwrap().contains(says), "{query}");
            let api = secretariat
                .get(&format!("/api/v1/operations-report?{query}"))
                .await;
            assert_eq!(api.status(), 422);
            let problem: Value = api.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], "fy", "{problem}");
            let xlsx = secretariat
                .get(&format!("/operations-report.xlsx?{query}"))
                .await;
            assert_eq!(xlsx.status(), 422);
        }
        let english = secretariat
            .get("/operations-report?fy=abc&lang=en")
            .await
            .text()
            .await
            .unwrap();
        assert!(english.contains("The fiscal year (fy) must be a year in digits"));
        let english = secretariat
            .get(&format!("/operations-report.xlsx?fy={fy}&lang=en"))
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec();
        let book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(english)).unwrap();
        assert_eq!(book.sheet_names()[1], "Registrations");
    }
}

#[tokio::test]
async fn only_the_secretariat_reads_the_report() {
    for backend in BACKENDS {
        let server = server(backend).await;
        for role in [
            "iaas-admin",
            "saas-admin",
            "saas-editor",
            "auditor",
            "audit-manager",
            "reviewer",
            "committee",
            "agency-a",
            "agency-b",
            "agency-a-ciso",
            "digital-agency",
        ] {
            let client = Client::new(&server);
            client.sign_in(role).await;
            for path in [
                "/operations-report",
                "/operations-report.xlsx",
                "/api/v1/operations-report",
                // Refused before the year is even read.
                "/operations-report?fy=abc",
            ] {
                assert_eq!(
                    client.get(path).await.status(),
                    403,
                    "{backend:?} {role} {path}"
                );
            }
            let home = client.get("/").await.text().await.unwrap();
            assert!(!home.contains("/operations-report"), "{role}: no link");
        }
        let visitor = Client::new(&server);
        let page = visitor.get("/operations-report").await;
        assert_eq!(page.status(), 303);
        assert!(
            page.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/signin")
        );
        assert_eq!(visitor.get("/api/v1/operations-report").await.status(), 401);
    }
}
