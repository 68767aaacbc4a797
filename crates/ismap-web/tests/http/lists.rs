//! The public lists against hostile input (issue 12, items 6, 7 and 14):
//! every list parameter has a range (422 naming the field, never a panic,
//! a 500 or a plain 400; an empty form field means no filter), the search
//! has limits and takes `%` and `_` literally, and the downloads keep text
//! that a spreadsheet would read as a formula as text.

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use serde_json::Value;

use ismap_store::registrations::{self, ExistingRegistration, NewRegistration};
use ismap_web::testing::TestServer;

use crate::helpers::{BACKENDS, Client, saas_ids, server};

/// Puts a registration on the ISMAP list (valid today) under the demo SaaS
/// service, with the given names, as the taking over of the published list
/// records it.
async fn listed(server: &TestServer, serial: u16, names: [&str; 4]) -> String {
    let (service, _) = saas_ids(server).await;
    let saas = ismap_store::services::get(&server.db, service)
        .await
        .unwrap();
    let today = ismap_web::today();
    let number = ismap_domain::RegistrationNumber::first('C', today, serial);
    let valid_from = today - chrono::Duration::days(10);
    let public = serde_json::json!({
        "provider_address": "=1+1",
        "service_url": "https://saas.example.jp",
    });
    registrations::record_existing(
        &server.db,
        &ismap_store::Actor::system("test"),
        ExistingRegistration {
            service_id: saas.id,
            organization_id: saas.organization_id,
            list: ismap_domain::registration::ListKind::Ismap,
            number: &number,
            details: NewRegistration {
                valid_from,
                valid_until: ismap_domain::validity::period_end(valid_from, 16).unwrap(),
                registered_on: valid_from,
                improvement_plan: false,
                name: names[0],
                name_en: names[1],
                provider: names[2],
                provider_en: names[3],
                model: "SaaS",
                public: &public,
            },
        },
    )
    .await
    .unwrap();
    number.to_string()
}

async fn total(client: &Client<'_>, query: &str) -> i64 {
    let response = client.get(&format!("/api/v1/lists/ismap?{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    let v: Value = response.json().await.unwrap();
    v["total"].as_i64().unwrap()
}

/// A 422 problem document naming `field`.
async fn assert_problem(response: reqwest::Response, field: &str) {
    assert_eq!(response.status(), 422, "{field}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], field, "{problem}");
}

#[tokio::test]
async fn list_numbers_out_of_range_are_refused_naming_the_field() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let public = Client::new(&server);
        for (query, field) in [
            ("expiring=99999999999", "expiring"),
            ("expiring=-1", "expiring"),
            ("page=9223372036854775807", "page"),
            ("page=0", "page"),
            ("per_page=100000", "per_page"),
            ("per_page=abc", "per_page"),
            ("order=sideways", "order"),
            ("q=a%00b", "q"),
        ] {
            assert_problem(
                public.get(&format!("/api/v1/lists/ismap?{query}")).await,
                field,
            )
            .await;
            assert_problem(
                public
                    .get(&format!("/lists/liu/export?format=xlsx&{query}"))
                    .await,
                field,
            )
            .await;
        }
        assert_problem(public.get("/lists/ismap/export?format=pdf").await, "format").await;

        // The page says which field, in Japanese, and keeps what was typed.
        let page = public
            .get("/lists/ismap?q=%E3%82%B5%E3%83%B3%E3%83%97%E3%83%AB&expiring=99999999999")
            .await;
        assert_eq!(page.status(), 422);
        assert_eq!(page.headers()["cache-control"], "no-store");
        let html = page.text().await.unwrap();
        assert!(html.contains("期限までの日数（expiring）"), "{html}");
        assert!(html.contains("0 以上 3650 以下"), "{html}");
        assert!(html.contains(r#"name="expiring" min="0" value="99999999999""#));
        assert!(html.contains(r#"name="q" value="サンプル""#));
        // … and in English.
        let english = Client::new(&server);
        english.get("/lang/en?next=/").await;
        let html = english
            .get("/lists/ismap?page=9223372036854775807")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("Page (page): ")
                && html.contains("is out of range; give a number from 1 to 100000"),
            "{html}"
        );

        // The form with nothing filled in sends empty fields: no filter
        // (issue 13: this was a plain-English 400).
        let empty = "q=&model=&status=&expiring=&sort=number&order=asc";
        let page = public.get(&format!("/lists/ismap?{empty}")).await;
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("C21-0008-2"));
        assert_eq!(total(&public, empty).await, 1, "the demo IaaS");
        let export = public
            .get(&format!("/lists/ismap/export?format=&{empty}"))
            .await;
        assert_eq!(export.status(), 200);
        assert!(export.text().await.unwrap().contains("C21-0008-2"));
        // The largest values allowed are answered.
        assert_eq!(
            total(&public, "expiring=3650&page=100000&per_page=1000").await,
            1
        );
        assert_eq!(public.get("/healthz").await.status(), 200);
    }
}

#[tokio::test]
async fn the_search_is_capped_indexed_and_takes_wildcards_literally() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let percent = listed(
            &server,
            201,
            [
                "割引100%クラウド",
                "Discount_Cloud",
                "東京クラウド株式会社",
                "Tokyo Cloud K.K.",
            ],
        )
        .await;
        listed(
            &server,
            202,
            [
                "大阪ストレージ",
                "Osaka Storage",
                "大阪データ株式会社",
                "Osaka Data Inc.",
            ],
        )
        .await;
        let public = Client::new(&server);
        // Limits: 10 words, 200 characters (422 naming q).
        let eleven = ["ab"; 11].join("%20");
        assert_problem(
            public.get(&format!("/api/v1/lists/ismap?q={eleven}")).await,
            "q",
        )
        .await;
        assert_problem(
            public
                .get(&format!("/api/v1/lists/ismap?q={}", "a".repeat(201)))
                .await,
            "q",
        )
        .await;
        let thousand = ["word"; 1000].join("+");
        assert_problem(
            public
                .get(&format!("/api/v1/lists/ismap?q={thousand}"))
                .await,
            "q",
        )
        .await;
        let page = public.get(&format!("/lists/ismap?q={thousand}")).await;
        assert_eq!(page.status(), 422);
        assert!(page.text().await.unwrap().contains("200 文字以内"));
        let page = public.get(&format!("/lists/ismap?q={eleven}")).await;
        assert_eq!(page.status(), 422);
        assert!(page.text().await.unwrap().contains("10 語以内"));
        assert_eq!(
            total(&public, &format!("q={}", ["ab"; 10].join("%20"))).await,
            0
        );

        // `%` and `_` are characters, not wildcards.
        assert_eq!(total(&public, "q=%25").await, 1, "only the name with a %");
        assert_eq!(total(&public, "q=100%25").await, 1);
        assert_eq!(total(&public, "q=0%25%E3%82%AF").await, 1, "0%ク");
        assert_eq!(total(&public, "q=_").await, 1, "only the name with a _");
        assert_eq!(total(&public, "q=t_c").await, 1, "Discount_Cloud");
        assert_eq!(total(&public, "q=t_d").await, 0);
        assert_eq!(total(&public, "q=%25%25").await, 0);
        assert_eq!(total(&public, "q=%5C").await, 0, "a backslash");

        // Indexed words (3+ characters) and short ones (東京) combine with
        // AND, in Japanese and English, ignoring case.
        assert_eq!(total(&public, "q=%E6%9D%B1%E4%BA%AC").await, 1, "東京");
        assert_eq!(total(&public, "q=%E4%BA%AC").await, 1, "京");
        assert_eq!(total(&public, "q=%E6%9D%B1%E4%BA%AC+cloud").await, 1);
        assert_eq!(total(&public, "q=%E6%9D%B1%E4%BA%AC+osaka").await, 0);
        assert_eq!(total(&public, "q=OSAKA+storage").await, 1);
        assert_eq!(total(&public, "q=%E5%A4%A7%E9%98%AA").await, 1, "大阪");
        assert_eq!(
            total(&public, "q=%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE").await,
            3,
            "株式会社, with the demo IaaS"
        );
        assert_eq!(total(&public, "q=sample+iaas").await, 1, "the demo IaaS");
        assert_eq!(total(&public, "q=ia").await, 1, "IaaS");
        assert_eq!(
            total(&public, &format!("q={percent}")).await,
            1,
            "the number"
        );
        assert_eq!(
            total(&public, "q=c21-0008").await,
            1,
            "a number in lower case"
        );
        assert_eq!(
            total(&public, "q=%22cloud%22").await,
            0,
            "quotes are characters"
        );
        assert_eq!(
            total(&public, "q=cloud+OR+osaka").await,
            0,
            "no query syntax"
        );
        assert_eq!(total(&public, "q=clo*").await, 0);
        // The page and the download search the same way.
        let page = public
            .get("/lists/ismap?q=%E6%9D%B1%E4%BA%AC+cloud")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(&percent));
    }
}

#[tokio::test]
async fn downloads_keep_formula_like_text_as_text() {
    const EVIL: &str = r#"=HYPERLINK("http://evil","x")"#;
    for backend in BACKENDS {
        let server = server(backend).await;
        listed(&server, 301, [EVIL, "+SUM(1,1)", "@cmd", "-2+3"]).await;
        let public = Client::new(&server);

        let csv = public
            .get("/lists/ismap/export?format=csv")
            .await
            .text()
            .await
            .unwrap();
        let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
        let headers = reader.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        let evil = rows
            .iter()
            .find(|r| r[1].contains("HYPERLINK"))
            .expect("the row");
        let cell = |name: &str| {
            let i = headers.iter().position(|h| h == name).unwrap();
            evil[i].to_owned()
        };
        assert_eq!(cell("service_name"), format!("'{EVIL}"));
        assert_eq!(cell("service_name_en"), "'+SUM(1,1)");
        assert_eq!(cell("provider"), "'@cmd");
        assert_eq!(cell("provider_en"), "'-2+3");
        assert_eq!(cell("provider_address"), "'=1+1");
        // What we computed stays as it was.
        assert_eq!(cell("model"), "SaaS");
        assert_eq!(cell("status"), "valid");
        assert!(cell("valid_until").starts_with("20"));

        let xlsx = public
            .get("/lists/ismap/export?format=xlsx")
            .await
            .bytes()
            .await
            .unwrap();
        let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).unwrap();
        let values = book.worksheet_range("ismap").unwrap();
        let formulas = book.worksheet_formula("ismap").unwrap();
        let row = (1..values.height())
            .find(|r| values.get((*r, 1)) == Some(&Data::String(EVIL.to_owned())))
            .expect("the name is a string cell with its text");
        for col in 1..=5 {
            assert!(
                matches!(values.get((row, col)), Some(Data::String(_))),
                "column {col} is text"
            );
            let formula = formulas
                .get((row, col))
                .map(String::as_str)
                .unwrap_or_default();
            assert!(formula.is_empty(), "column {col} is no formula: {formula}");
        }
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
    }
}

#[tokio::test]
async fn the_audit_organization_csv_keeps_formula_like_names_as_text() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let actor = ismap_store::Actor::system("test");
        let org = ismap_store::orgs::create(
            &server.db,
            &actor,
            "=HYPERLINK(\"http://evil\",\"x\")",
            "@evil",
            ismap_domain::OrgKind::AuditOrg,
        )
        .await
        .unwrap();
        ismap_store::audit_orgs::register(&server.db, &actor, org.id, ismap_web::today())
            .await
            .unwrap();
        let csv = Client::new(&server)
            .get("/audit-organizations.csv")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            csv.lines()
                .any(|l| l.starts_with("\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",'@evil,")),
            "{csv}"
        );
    }
}

/// A value for a list parameter: huge, negative, empty, non-numeric,
/// Unicode, control characters, or a good one.
fn any_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<i128>().prop_map(|n| n.to_string()),
        (0_i64..4000).prop_map(|n| n.to_string()),
        (-5_i64..5).prop_map(|n| n.to_string()),
        "[0-9]{19,40}",
        "-[0-9]{1,30}",
        "[0-9]{0,3}[.,e+x][0-9]{0,3}",
        prop::sample::select(vec![
            "IaaS",
            "SaaS",
            "saas",
            "valid",
            "suspended",
            "number",
            "name",
            "valid_until",
            "registered_on",
            "asc",
            "desc",
            "csv",
            "xlsx",
            "json",
            "%",
            "_",
            "%_%",
            "\\",
            "東京",
            "サンプル",
            "\"",
            "'",
            "*",
            "NEAR(a b)",
            "a OR b",
            "1; DROP TABLE x",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
        "\\PC{0,12}",
        "[a-z東京 ]{0,300}",
        "(word ){5,30}",
    ]
}

const PARAMETERS: [&str; 9] = [
    "q", "model", "status", "expiring", "sort", "order", "page", "per_page", "format",
];

const PATHS: [&str; 4] = [
    "/api/v1/lists/ismap",
    "/lists/ismap",
    "/lists/ismap/export",
    "/api/v1/lists/liu",
];

/// Random values at every list parameter, on both backends, over HTTP:
/// the answer is 200 or a 422 naming one of the parameters, never a 500,
/// a plain 400 or a dropped connection, and the server keeps answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_list_parameters_get_200_or_422() {
    for backend in BACKENDS {
        let server = server(backend).await;
        listed(
            &server,
            401,
            ["割引100%クラウド", "Discount_Cloud", "東京", "Tokyo"],
        )
        .await;
        let client = Client::new(&server);
        let handle = tokio::runtime::Handle::current();
        let cases = prop::collection::vec(
            (prop::sample::select(PARAMETERS.to_vec()), any_value()),
            1..6,
        );
        let strategy = (prop::sample::select(PATHS.to_vec()), cases);
        let mut runner = TestRunner::new(ProptestConfig {
            cases: 160,
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        let result = runner.run(&strategy, |(path, pairs)| {
            tokio::task::block_in_place(|| {
                handle.block_on(async {
                    let response = client
                        .http
                        .get(server.url(path))
                        .query(&pairs)
                        .send()
                        .await
                        .map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?;
                    let status = response.status().as_u16();
                    let is_api = !path.starts_with("/lists/ismap") || path.ends_with("export");
                    let body = response.text().await.unwrap_or_default();
                    prop_assert!(
                        status == 200 || status == 422,
                        "{path} {pairs:?}: {status} {body}"
                    );
                    if status == 422 {
                        if is_api {
                            let problem: Value = serde_json::from_str(&body)
                                .map_err(|e| TestCaseError::fail(format!("{e}: {body}")))?;
                            let field = problem["errors"][0]["field"].as_str().unwrap_or("");
                            prop_assert!(PARAMETERS.contains(&field), "{problem}");
                        } else {
                            prop_assert!(body.contains("alert-error"), "{body}");
                            prop_assert!(body.contains("（"), "the field is named: {body}");
                        }
                    }
                    Ok(())
                })
            })
        });
        if let Err(e) = result {
            panic!("{backend:?}: {e}");
        }
        // Query strings no form would send.
        for raw in [
            "%ZZ=1&page=%FF%FE",
            "page=1&page=2&page=x",
            "q=%E3%81",
            "&&&=&==",
            "expiring=%2B5",
            "per_page=+1000",
        ] {
            let status = client
                .get(&format!("/api/v1/lists/ismap?{raw}"))
                .await
                .status()
                .as_u16();
            assert!(status == 200 || status == 422, "{raw}: {status}");
        }
        assert_eq!(client.get("/healthz").await.status(), 200);
    }
}
