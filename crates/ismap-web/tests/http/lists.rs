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
        // Named by the form's label, not the parameter (issue 13).
        assert!(
            html.contains("有効期限まで（日以内）: 「99999999999」"),
            "{html}"
        );
        assert!(!html.contains("expiring）"), "{html}");
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
            html.contains("Page: ")
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
        assert_eq!(cell("サービス名"), format!("'{EVIL}"));
        assert_eq!(cell("サービス名（英語）"), "'+SUM(1,1)");
        assert_eq!(cell("クラウドサービス事業者"), "'@cmd");
        assert_eq!(cell("クラウドサービス事業者（英語）"), "'-2+3");
        assert_eq!(cell("事業者の所在地"), "'=1+1");
        // What we computed stays as it was (labels in Japanese).
        assert_eq!(cell("サービスモデル"), "SaaS");
        assert_eq!(cell("状態"), "有効");
        assert!(cell("有効期間の終了日").starts_with("20"));

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
                            let m = ismap_i18n::Messages::get();
                            prop_assert!(
                                PARAMETERS.iter().any(|p| body.contains(&format!(
                                    "{}: ",
                                    m.text(ismap_i18n::Lang::Ja, &format!("lists-field-{p}"), &[])
                                ))),
                                "the field is named: {body}"
                            );
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

/// One field of a form as the page renders it.
#[derive(Debug, Clone)]
struct FormField {
    name: String,
    /// The `type` of an input ("" for a select).
    kind: String,
    /// The value the browser sends if nothing is changed.
    value: String,
    /// A select's option values (empty for an input).
    options: Vec<String>,
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The attributes of a start tag (`<input name="q" value="x" required>`).
fn attributes(tag: &str) -> Vec<(String, Option<String>)> {
    let mut rest = tag
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim_end_matches('/');
    // Skip the element name.
    rest = rest.trim_start_matches(|c: char| !c.is_whitespace());
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return out;
        }
        let end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let name = rest[..end].to_ascii_lowercase();
        rest = rest[end..].trim_start();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (value, tail) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let close = after[1..].find(q).expect("closed attribute") + 1;
                    (&after[1..close], &after[close + 1..])
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            out.push((name, Some(unescape(value))));
            rest = tail;
        } else {
            out.push((name, None));
        }
    }
}

fn attribute(attrs: &[(String, Option<String>)], name: &str) -> Option<String> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone().unwrap_or_default())
}

/// The fields of the first `<form>` whose start tag contains `marker`, as
/// a browser reads them (inputs with their value, selects with their
/// options and the one selected or else the first; unnamed buttons send
/// nothing).
fn form_fields(html: &str, marker: &str) -> Vec<FormField> {
    let start = html
        .match_indices("<form")
        .map(|(i, _)| i)
        .find(|i| html[*i..].split('>').next().unwrap().contains(marker))
        .unwrap_or_else(|| panic!("no form with {marker:?} in:\n{html}"));
    let end = start + html[start..].find("</form>").expect("the form ends");
    let form = &html[start..end];
    let mut fields: Vec<FormField> = Vec::new();
    let mut select: Option<(FormField, Option<usize>)> = None;
    let mut at = 0;
    while let Some(open) = form[at..].find('<') {
        let open = at + open;
        let close = open + form[open..].find('>').expect("tag ends");
        let tag = &form[open..=close];
        let name: String = tag[1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
            .collect::<String>()
            .to_ascii_lowercase();
        let attrs = attributes(tag);
        match name.as_str() {
            "input" => {
                let kind = attribute(&attrs, "type").unwrap_or_else(|| "text".into());
                if let Some(field) = attribute(&attrs, "name")
                    && !["submit", "button", "reset", "image"].contains(&kind.as_str())
                {
                    assert!(
                        !["checkbox", "radio"].contains(&kind.as_str()),
                        "the search form has no {kind}"
                    );
                    fields.push(FormField {
                        name: field,
                        kind,
                        value: attribute(&attrs, "value").unwrap_or_default(),
                        options: Vec::new(),
                    });
                }
            }
            "select" => {
                let field = attribute(&attrs, "name").expect("a named select");
                select = Some((
                    FormField {
                        name: field,
                        kind: String::new(),
                        value: String::new(),
                        options: Vec::new(),
                    },
                    None,
                ));
            }
            "option" => {
                let (field, selected) = select.as_mut().expect("an option inside a select");
                let text_end = form[close + 1..]
                    .find('<')
                    .map_or(form.len(), |i| close + 1 + i);
                let value = attribute(&attrs, "value")
                    .unwrap_or_else(|| unescape(form[close + 1..text_end].trim()));
                if attribute(&attrs, "selected").is_some() {
                    *selected = Some(field.options.len());
                }
                field.options.push(value);
            }
            "/select" => {
                let (mut field, selected) = select.take().expect("a select ends");
                field.value = field.options[selected.unwrap_or(0)].clone();
                fields.push(field);
            }
            "textarea" => panic!("the search form has no textarea"),
            _ => {}
        }
        at = close + 1;
    }
    fields
}

fn submitted(fields: &[FormField]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|f| (f.name.clone(), f.value.clone()))
        .collect()
}

/// A registration on the ISMAP-LIU list, valid today, under a new
/// provider: the demo world lists nothing there.
async fn listed_liu(server: &TestServer) -> String {
    let actor = ismap_store::Actor::system("test");
    let org = ismap_store::orgs::create(
        &server.db,
        &actor,
        "ＬＩＵテスト株式会社",
        "LIU Test K.K.",
        ismap_domain::OrgKind::Csp,
    )
    .await
    .unwrap();
    let service = ismap_store::services::create(
        &server.db,
        &actor,
        ismap_store::services::NewService {
            organization_id: org.id,
            name: "ﾃｽﾄ低リスクSaaS",
            model: ismap_domain::ServiceModel::SaaS,
            description: "",
            url: "https://liu.example.jp",
            registration_number: None,
        },
    )
    .await
    .unwrap();
    let today = ismap_web::today();
    let number = ismap_domain::RegistrationNumber::first('L', today, 1);
    let valid_from = today - chrono::Duration::days(20);
    registrations::record_existing(
        &server.db,
        &actor,
        ExistingRegistration {
            service_id: service.id,
            organization_id: org.id,
            list: ismap_domain::registration::ListKind::Liu,
            number: &number,
            details: NewRegistration {
                valid_from,
                valid_until: ismap_domain::validity::period_end(valid_from, 16).unwrap(),
                registered_on: valid_from,
                improvement_plan: true,
                name: "ﾃｽﾄ低リスクSaaS",
                name_en: "Test low-risk SaaS",
                provider: "ＬＩＵテスト株式会社",
                provider_en: "LIU Test K.K.",
                model: "SaaS",
                public: &serde_json::json!({ "service_url": "https://liu.example.jp" }),
            },
        },
    )
    .await
    .unwrap();
    number.to_string()
}

/// GETs the list page with `fields` as the form would send them: 200, no
/// error on the page, the form again; returns the page.
async fn submit(client: &Client<'_>, list: &str, fields: &[(String, String)]) -> String {
    let query = serde_urlencoded::to_string(fields).unwrap();
    let response = client.get(&format!("/lists/{list}?{query}")).await;
    let status = response.status();
    let html = response.text().await.unwrap();
    assert_eq!(status, 200, "{list}?{query}:\n{html}");
    assert!(!html.contains("alert-error"), "{list}?{query}:\n{html}");
    assert!(html.contains("role=\"search\""), "{list}?{query}");
    html
}

/// Issue 13: pressing 表示 (or Enter) on either list with the fields as the
/// page renders them, empty ones included, answers the list; so does every
/// field filled alone, and the form as the answer renders it again. On
/// both backends, reading the fields from the page's HTML.
#[tokio::test]
async fn the_list_form_as_rendered_is_answered() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let liu = listed_liu(&server).await;
        let public = Client::new(&server);
        for (list, number, name) in [
            ("ismap", "C21-0008-2", "サンプルIaaS"),
            ("liu", liu.as_str(), "ﾃｽﾄ低リスクSaaS"),
        ] {
            let first = public.get(&format!("/lists/{list}")).await;
            assert_eq!(first.status(), 200);
            let html = first.text().await.unwrap();
            let fields = form_fields(&html, "role=\"search\"");
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            assert_eq!(
                names,
                ["q", "model", "status", "expiring", "sort", "order"],
                "{backend:?} {list}"
            );
            // Every field but the sort order is empty as rendered.
            for f in &fields {
                if !["sort", "order"].contains(&f.name.as_str()) {
                    assert_eq!(f.value, "", "{backend:?} {list}: {f:?}");
                }
            }
            // 表示 with nothing changed.
            let page = submit(&public, list, &submitted(&fields)).await;
            assert!(page.contains(number) && page.contains(name), "{page}");
            // … and again with the form as that answer renders it.
            let again = form_fields(&page, "role=\"search\"");
            let page = submit(&public, list, &submitted(&again)).await;
            assert!(page.contains(number), "{page}");

            // Each field filled alone, the others as rendered.
            for (i, field) in fields.iter().enumerate() {
                let values: Vec<String> = if field.kind.is_empty() {
                    field.options.clone()
                } else if field.kind == "number" {
                    vec!["0".into(), "3650".into(), " 30 ".into()]
                } else {
                    vec!["ｻﾝﾌﾟﾙ".into(), "ＩａａＳ".into(), "ﾃｽﾄ".into(), " ".into()]
                };
                for value in values {
                    let mut sent = submitted(&fields);
                    sent[i].1 = value.clone();
                    let page = submit(&public, list, &sent).await;
                    // The answer's form shows what was chosen.
                    let shown = form_fields(&page, "role=\"search\"");
                    assert_eq!(shown[i].value, value, "{backend:?} {list} {}", field.name);
                }
            }
            // The search ignores width and case, on the page too.
            let search = |q: &str| {
                let mut sent = submitted(&fields);
                sent[0].1 = q.to_owned();
                sent
            };
            let page = submit(
                &public,
                list,
                &search(if list == "ismap" {
                    "ＩａａＳ"
                } else {
                    "ﾃｽﾄ"
                }),
            )
            .await;
            assert!(page.contains(number), "{backend:?} {list}: {page}");
            let page = submit(
                &public,
                list,
                &search(if list == "ismap" {
                    "ｻﾝﾌﾟﾙ"
                } else {
                    "テスト"
                }),
            )
            .await;
            assert!(page.contains(number), "{backend:?} {list}: {page}");
        }
    }
}

/// The CSV and XLSX downloads speak the page's language (Japanese headers
/// and labels by default, English from the English page); the JSON keeps
/// machine names. The links are those the page renders.
#[tokio::test]
async fn downloads_speak_the_pages_language() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let liu = listed_liu(&server).await;
        for lang in ["ja", "en"] {
            let client = Client::new(&server);
            if lang == "en" {
                client.get("/lang/en?next=/").await;
            }
            let html = client.get("/lists/liu").await.text().await.unwrap();
            let link = |format: &str| {
                let at = html
                    .find(&format!("/lists/liu/export?format={format}"))
                    .unwrap_or_else(|| panic!("no {format} link:\n{html}"));
                unescape(html[at..].split('"').next().unwrap())
            };
            let csv_link = link("csv");
            let response = client.get(&csv_link).await;
            assert_eq!(response.status(), 200, "{csv_link}");
            assert_eq!(
                response.headers()["content-type"],
                "text/csv; charset=utf-8"
            );
            assert!(
                response.headers()["content-disposition"]
                    .to_str()
                    .unwrap()
                    .starts_with("attachment; filename=\"ismap-list-liu-")
            );
            let csv = response.text().await.unwrap();
            let mut reader =
                csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
            let headers: Vec<String> = reader
                .headers()
                .unwrap()
                .iter()
                .map(str::to_owned)
                .collect();
            let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
            assert_eq!(rows.len(), 1, "{csv}");
            let row: Vec<&str> = rows[0].iter().collect();
            let cell = |header: &str| {
                let i = headers
                    .iter()
                    .position(|h| h == header)
                    .unwrap_or_else(|| panic!("no column {header:?} in {headers:?}"));
                row[i].to_owned()
            };
            if lang == "ja" {
                assert_eq!(headers[0], "登録番号");
                assert_eq!(cell("登録番号"), liu);
                assert_eq!(cell("サービス名"), "ﾃｽﾄ低リスクSaaS");
                assert_eq!(cell("サービスモデル"), "SaaS");
                assert_eq!(cell("状態"), "有効");
                assert_eq!(cell("改善計画あり"), "あり");
                assert_eq!(cell("リスト"), "ISMAP-LIUクラウドサービスリスト");
                assert!(cell("有効期間の終了日").starts_with("20"));
            } else {
                assert_eq!(headers[0], "Registration number");
                assert_eq!(cell("Registration number"), liu);
                assert_eq!(cell("Service name (English)"), "Test low-risk SaaS");
                assert_eq!(cell("Cloud service provider (English)"), "LIU Test K.K.");
                assert_eq!(cell("Status"), "Valid");
                assert_eq!(cell("Improvement plan"), "Yes");
                assert_eq!(cell("List"), "ISMAP-LIU cloud service list");
            }
            // No machine name reaches the reader.
            for machine in ["registration_number", "valid_until", "valid", "true", "liu"] {
                assert!(
                    !headers.iter().any(|h| h == machine) && !row.contains(&machine),
                    "{lang}: {machine} in {headers:?} {row:?}"
                );
            }

            let xlsx = client.get(&link("xlsx")).await;
            assert_eq!(xlsx.status(), 200);
            let xlsx = xlsx.bytes().await.unwrap();
            let mut book: Xlsx<_> =
                open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).unwrap();
            let sheet = book.worksheet_range("liu").unwrap();
            let first = if lang == "ja" {
                "登録番号"
            } else {
                "Registration number"
            };
            assert_eq!(sheet.get((0, 0)), Some(&Data::String(first.to_owned())));

            let json = client.get(&link("json")).await;
            assert_eq!(json.status(), 200);
            assert_eq!(json.headers()["content-type"], "application/json");
            let json: Value = json.json().await.unwrap();
            assert_eq!(json["entries"][0]["number"], liu.as_str());
            assert_eq!(json["entries"][0]["status"], "valid");
            assert_eq!(json["entries"][0]["improvement_plan"], true);
            assert_eq!(json["entries"][0]["list"], "liu");
        }
    }
}

/// Dates are for people and tokens do not wrap: the list and the entry
/// page show 2026年12月1日 (1 Dec 2026), never 2026-12-01, inside
/// `nowrap` cells.
#[tokio::test]
async fn list_pages_show_dates_for_people() {
    let server = server(ismap_store::Backend::Sqlite).await;
    let public = Client::new(&server);
    let registration = registrations::by_number(&server.db, "C21-0008-2")
        .await
        .unwrap();
    let day = |d: chrono::NaiveDate| {
        use chrono::Datelike;
        format!("{}年{}月{}日", d.year(), d.month(), d.day())
    };
    let list = public.get("/lists/ismap").await.text().await.unwrap();
    let entry = public
        .get("/lists/ismap/C21-0008-2")
        .await
        .text()
        .await
        .unwrap();
    for html in [&list, &entry] {
        assert!(
            html.contains(&format!(
                "<span class=\"nowrap\">{}</span>",
                day(registration.valid_until)
            )),
            "{html}"
        );
        assert!(
            !html.contains(&registration.valid_until.to_string()),
            "{html}"
        );
        assert!(
            !html.contains(&registration.registered_on.to_string()),
            "{html}"
        );
    }
    assert!(
        list.contains(
            "<td class=\"nowrap\"><a href=\"/lists/ismap/C21-0008-2\">C21-0008-2</a></td>"
        )
    );
    assert!(entry.contains(&format!(
        "<span class=\"nowrap\">{}</span> – <span class=\"nowrap\">{}</span>",
        day(registration.valid_from),
        day(registration.valid_until)
    )));
    let english = Client::new(&server);
    english.get("/lang/en?next=/").await;
    let list = english.get("/lists/ismap").await.text().await.unwrap();
    use chrono::Datelike;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][registration.valid_until.month0() as usize];
    assert!(list.contains(&format!(
        "{} {month} {}",
        registration.valid_until.day(),
        registration.valid_until.year()
    )));
}
