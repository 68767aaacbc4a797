//! The statement editor: each change is saved and validated at once (one
//! revision per editing burst); the lifecycle draft → frozen; export,
//! import and comparison of revisions.

use ismap_formats::statement_file::parse_statement;
use serde_json::Value;

use crate::helpers::{BACKENDS, Client, example_date_line, example_statement, saas_ids, server};

async fn save(
    client: &Client<'_>,
    statement: i64,
    control: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = client.csrf().await;
    client
        .http
        .post(
            client
                .server
                .url(&format!("/statements/{statement}/controls/{control}")),
        )
        .header("hx-request", "true")
        .header("x-csrf-token", csrf)
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// The version the page or fragment is based on (`7.3`).
fn version_of(html: &str) -> String {
    let marker = "id=\"based-on\" name=\"based_on\" value=\"";
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no version in:\n{html}"))
        + marker.len();
    html[start..][..html[start..].find('"').unwrap()].to_owned()
}

/// Every chapter's rows under `query`, as the editor loads them.
async fn all_rows(client: &Client<'_>, statement: i64, query: &str) -> String {
    let mut rows = String::new();
    for number in 3..=18 {
        let response = client
            .http
            .get(client.server.url(&format!(
                "/statements/{statement}/edit?chapter={number}&{query}"
            )))
            .header("hx-request", "true")
            .send()
            .await
            .unwrap();
        if response.status() == 200 {
            rows.push_str(&response.text().await.unwrap());
        }
    }
    rows
}

/// One chapter's rows, as the editor loads them when the chapter is opened.
async fn chapter(client: &Client<'_>, statement: i64, chapter: u16, query: &str) -> String {
    let response = client
        .http
        .get(client.server.url(&format!(
            "/statements/{statement}/edit?chapter={chapter}&{query}"
        )))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[tokio::test]
async fn each_change_is_a_validated_revision() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let client = Client::new(&server);
        client.sign_in("saas-editor").await;
        let (_, statement) = saas_ids(&server).await;

        let page = client
            .get(&format!("/statements/{statement}/edit"))
            .await
            .text()
            .await
            .unwrap();
        // Chapters with their progress; rows come when a chapter is opened.
        assert!(page.contains("id=\"chapter-8\""), "every chapter is listed");
        assert!(
            !page.contains("id=\"row-8-1-2-7-PB\""),
            "rows load with their chapter"
        );
        let rows = chapter(&client, statement, 8, "").await;
        assert!(rows.contains("id=\"row-8-1-2-7-PB\""), "{rows}");
        assert!(
            rows.contains("<h3 class=\"editor-title\">"),
            "each control is reachable by heading"
        );
        assert_eq!(version_of(&page), "1.1");
        assert!(
            page.contains("エラー 0"),
            "the demo statement has no errors"
        );

        // Leaving a baseline requirement unselected: S4 appears next to it.
        let response = save(
            &client,
            statement,
            "8.1.2.7.PB",
            &[
                ("based_on", "1"),
                ("decision", "not_selected"),
                ("reason", "顧客が自ら暗号化するため提供しない。"),
            ],
        )
        .await;
        assert_eq!(response.status(), 200);
        let fragment = response.text().await.unwrap();
        assert!(fragment.contains("id=\"row-8-1-2-7-PB\""));
        assert!(fragment.contains("hx-swap-oob"));
        assert!(fragment.contains("<strong>S4</strong>"), "{fragment}");
        assert!(fragment.contains("エラー 1"));
        assert_eq!(
            version_of(&fragment),
            "2.1",
            "the next save is based on revision 2 with one change"
        );
        assert!(fragment.contains("class=\"saved-marker\""), "{fragment}");

        // Deciding it again: the finding disappears; the text written
        // before the switch was kept.
        let fragment = save(
            &client,
            statement,
            "8.1.2.7.PB",
            &[("based_on", "2.1"), ("decision", "implemented")],
        )
        .await
        .text()
        .await
        .unwrap();
        assert!(!fragment.contains("<strong>S4</strong>"), "{fragment}");
        assert_eq!(
            version_of(&fragment),
            "2.2",
            "the same person's next change joins revision 2"
        );
        assert!(fragment.contains("エラー 0"));
        assert!(
            fragment.contains("BYOK"),
            "the individual control written earlier is still there"
        );

        // A save based on an old revision is refused: nothing is overwritten.
        let stale = save(
            &client,
            statement,
            "8.1.2.1",
            &[("based_on", "1"), ("decision", "implemented")],
        )
        .await;
        assert_eq!(stale.status(), 409);
        // So is one based on revision 2 before its last change.
        let stale = save(
            &client,
            statement,
            "8.1.2.1",
            &[("based_on", "2.1"), ("decision", "implemented")],
        )
        .await;
        assert_eq!(stale.status(), 409);

        let revisions = ismap_store::statements::revisions(&server.db, statement)
            .await
            .unwrap();
        assert_eq!(revisions.len(), 2, "one revision per editing burst");
        assert_eq!(
            (revisions[0].edits, revisions[0].errors),
            (2, 0),
            "the revision holds both changes and the last validation counts"
        );

        let diff = client
            .get(&format!("/statements/{statement}/diff?from=1&to=2"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            diff.contains("8.1.2.7.PB") && diff.contains("理由") && diff.contains("diff-changed"),
            "the diff labels and highlights the change: {diff}"
        );
        assert!(
            !diff.contains("individual_control") && !diff.contains(">reason<"),
            "no field names: {diff}"
        );
        // Every change is in the event log, though they form one revision.
        let log = ismap_store::events::list(&server.db, None, 2)
            .await
            .unwrap();
        for event in &log {
            assert_eq!(
                (event.action.as_str(), event.actor.as_str()),
                ("statement.revise", "saas-editor")
            );
        }

        let undecided = chapter(&client, statement, 8, "filter=undecided").await;
        assert!(
            !undecided.contains("id=\"row-8-1-2-7-PB\""),
            "the filter hides decided controls"
        );
    }
}

#[tokio::test]
async fn freeze_export_and_reimport_unchanged() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let client = Client::new(&server);
        client.sign_in("saas-admin").await;
        let (service, statement) = saas_ids(&server).await;

        // Not with errors.
        save(
            &client,
            statement,
            "8.1.2.3",
            &[("based_on", "1"), ("decision", "")],
        )
        .await;
        let refused = client
            .post_form(
                &format!("/statements/{statement}/freeze"),
                &[("based_on", "2.1")],
            )
            .await;
        assert_eq!(refused.status(), 422);
        let page = refused.text().await.unwrap();
        assert!(
            page.contains("凍結できません") && page.contains("id=\"chapter-8\""),
            "the refusal lists the errors on the editor: {page}"
        );
        save(
            &client,
            statement,
            "8.1.2.3",
            &[("based_on", "2.1"), ("decision", "implemented")],
        )
        .await;
        // A freeze of the version before the last change is stale.
        let stale = client
            .post_form(
                &format!("/statements/{statement}/freeze"),
                &[("based_on", "2.1")],
            )
            .await;
        assert_eq!(stale.status(), 409);
        let frozen = client
            .post_form(
                &format!("/statements/{statement}/freeze"),
                &[("based_on", "2.2")],
            )
            .await;
        assert_eq!(frozen.status(), 303);
        let record = ismap_store::statements::get(&server.db, statement)
            .await
            .unwrap();
        assert_eq!(record.status, "frozen");
        let edit = save(
            &client,
            statement,
            "8.1.2.3",
            &[("based_on", "2.2"), ("decision", "not_selected")],
        )
        .await;
        assert_eq!(edit.status(), 409, "a frozen statement does not change");
        let page = client
            .get(&format!("/statements/{statement}/edit"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("凍結済み"));

        let exported = client
            .get(&format!("/statements/{statement}/export?format=yaml"))
            .await;
        assert!(
            exported.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("statement-")
        );
        let yaml = exported.text().await.unwrap();
        let json = client
            .get(&format!("/statements/{statement}/export?format=json"))
            .await
            .text()
            .await
            .unwrap();
        let original = parse_statement("example", &example_statement())
            .unwrap()
            .statement;
        for text in [&yaml, &json] {
            let created = client
                .post_body(
                    &format!("/api/v1/services/{service}/statements"),
                    "application/yaml",
                    text.clone(),
                )
                .await;
            assert_eq!(created.status(), 201);
            let created: Value = created.json().await.unwrap();
            assert_eq!(created["report"]["errors"], 0);
            let id = created["statement"]["id"].as_i64().unwrap();
            let stored: Value = client
                .get(&format!("/api/v1/statements/{id}"))
                .await
                .json()
                .await
                .unwrap();
            let reimported = parse_statement("stored", stored["content"].as_str().unwrap())
                .unwrap()
                .statement;
            assert_eq!(reimported, original, "re-imported unchanged");
        }
    }
}

#[tokio::test]
async fn import_refuses_unreadable_files_and_changes_nothing() {
    let server = server(ismap_store::Backend::Sqlite).await;
    let client = Client::new(&server);
    client.sign_in("saas-editor").await;
    let (_, statement) = saas_ids(&server).await;
    let broken = example_statement().replace(
        "\"8.1.2.3\": { decision: \"implemented\"",
        "\"8.1.2.3\": { decision: \"implemnted\"",
    );
    let response = client
        .post_form(
            &format!("/statements/{statement}/import"),
            &[("based_on", "1"), ("content", &broken)],
        )
        .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("controls.&#34;8.1.2.3&#34;.decision") || page.contains("8.1.2.3"),
        "{page}"
    );
    assert!(page.contains("implemnted"));
    let syntax = client
        .post_form(
            &format!("/statements/{statement}/import"),
            &[("based_on", "1"), ("content", "catalog: [\n")],
        )
        .await;
    assert_eq!(syntax.status(), 422);
    assert_eq!(
        ismap_store::statements::revisions(&server.db, statement)
            .await
            .unwrap()
            .len(),
        1
    );

    let changed = example_statement().replace(&example_date_line(), "date: 2026-06-01");
    let ok = client
        .post_form(
            &format!("/statements/{statement}/import"),
            &[("based_on", "1"), ("content", &changed)],
        )
        .await;
    assert_eq!(ok.status(), 303);
    assert_eq!(
        ismap_store::statements::revisions(&server.db, statement)
            .await
            .unwrap()
            .len(),
        2
    );
}

/// The whole path a provider takes in the browser: start a statement for the
/// demo SaaS, fill in its details and every control, reach zero errors,
/// freeze, export, and re-import the export unchanged.
#[tokio::test]
async fn a_provider_drafts_a_complete_statement_in_the_portal() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let client = Client::new(&server);
        client.sign_in("saas-editor").await;
        let (service, _) = saas_ids(&server).await;
        let created = client
            .post_form(&format!("/services/{service}/statements"), &[])
            .await;
        assert_eq!(created.status(), 303);
        let location = created.headers()["location"].to_str().unwrap().to_owned();
        let id: i64 = location
            .trim_start_matches("/statements/")
            .trim_end_matches("/edit")
            .parse()
            .unwrap();
        let editor = client.get(&location).await.text().await.unwrap();
        assert!(
            chapter(&client, id, 3, "")
                .await
                .contains("id=\"row-3-1-1\""),
            "every control is listed"
        );
        // Undecided controls are progress, not errors, until checked.
        let errors = |page: &str| -> usize {
            let rest = page
                .split_once("エラー ")
                .expect("the summary counts errors")
                .1;
            rest.split_once(' ').unwrap().0.parse().unwrap()
        };
        assert!(
            editor.contains("決定済み 0 /") && errors(&editor) < 10,
            "a new statement opens with its progress, not an error per control: {editor}"
        );
        let checked = client
            .get(&format!("/statements/{id}/edit?check=1&filter=findings"))
            .await
            .text()
            .await
            .unwrap();
        assert!(errors(&checked) > 100, "checking counts undecided controls");

        let example = parse_statement("example", &example_statement())
            .unwrap()
            .statement;
        let mut version = version_of(&editor);
        let today = ismap_web::today().to_string();
        let details = client
            .post_form(
                &format!("/statements/{id}/details"),
                &[
                    ("based_on", &version),
                    ("name", &example.service.name),
                    ("model", "SaaS"),
                    ("scope", &example.service.scope),
                    ("underlying", "C21-0008-2"),
                    ("date", &today),
                ],
            )
            .await;
        assert_eq!(details.status(), 303);
        version = version_of(&client.get(&location).await.text().await.unwrap());
        for entry in example.controls.values() {
            let mut fields = vec![
                ("based_on".to_owned(), version.clone()),
                (
                    "decision".to_owned(),
                    entry.decision.map(|d| d.key()).unwrap_or("").to_owned(),
                ),
            ];
            for (name, value) in [
                ("individual_control", &entry.individual_control),
                ("reason", &entry.reason),
                ("from", &entry.from),
                ("confirmation", &entry.confirmation),
            ] {
                if let Some(value) = value {
                    fields.push((name.to_owned(), value.clone()));
                }
            }
            let fields: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let response = save(&client, id, &entry.id.to_string(), &fields).await;
            assert_eq!(response.status(), 200, "{}", entry.id);
            version = version_of(&response.text().await.unwrap());
        }
        let page = client
            .get(&format!("/statements/{id}/edit"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("エラー 0"),
            "a complete statement has no errors"
        );
        let frozen = client
            .post_form(
                &format!("/statements/{id}/freeze"),
                &[("based_on", &version)],
            )
            .await;
        assert_eq!(frozen.status(), 303);
        assert_eq!(
            ismap_store::statements::revisions(&server.db, id)
                .await
                .unwrap()
                .len(),
            2,
            "a burst of one person's changes is one revision"
        );

        let yaml = client
            .get(&format!("/statements/{id}/export?format=yaml"))
            .await
            .text()
            .await
            .unwrap();
        let exported = parse_statement("export", &yaml).unwrap().statement;
        let reimport = client
            .post_body(
                &format!("/api/v1/services/{service}/statements"),
                "application/yaml",
                yaml.clone(),
            )
            .await;
        assert_eq!(reimport.status(), 201);
        let reimport: Value = reimport.json().await.unwrap();
        let stored: Value = client
            .get(&format!(
                "/api/v1/statements/{}",
                reimport["statement"]["id"]
            ))
            .await
            .json()
            .await
            .unwrap();
        let again = parse_statement("stored", stored["content"].as_str().unwrap())
            .unwrap()
            .statement;
        assert_eq!(again, exported, "re-imported unchanged");
        // Same decisions as the example, made control by control.
        assert_eq!(exported.controls.len(), example.controls.len());
        for (number, entry) in &example.controls {
            assert_eq!(
                exported.controls[number].decision, entry.decision,
                "{}",
                entry.id
            );
        }
    }
}

#[tokio::test]
async fn bulk_actions_select_or_exclude_a_whole_objective() {
    let server = server(ismap_store::Backend::Sqlite).await;
    let client = Client::new(&server);
    client.sign_in("saas-editor").await;
    let (_, statement) = saas_ids(&server).await;
    let no_reason = client
        .post_form(
            &format!("/statements/{statement}/objectives/12.3.1/bulk"),
            &[("based_on", "1"), ("action", "exclude")],
        )
        .await;
    assert_eq!(no_reason.status(), 422, "exclusion needs a reason");
    let excluded = client
        .post_form(
            &format!("/statements/{statement}/objectives/12.3.1/bulk"),
            &[
                ("based_on", "1"),
                ("action", "exclude"),
                (
                    "reason",
                    "本サービスはバックアップを取得せず、データは利用者側で保持するためである。",
                ),
            ],
        )
        .await;
    assert_eq!(excluded.status(), 303);
    let json: Value = client
        .get(&format!("/api/v1/statements/{statement}"))
        .await
        .json()
        .await
        .unwrap();
    let content = parse_statement("r", json["content"].as_str().unwrap())
        .unwrap()
        .statement;
    for id in ["12.3.1", "12.3.1.11", "12.3.1.18.P"] {
        let entry = &content.controls[&id.parse::<ismap_domain::ControlId>().unwrap().number()];
        assert_eq!(
            entry.decision,
            Some(ismap_domain::Decision::Excluded),
            "{id}"
        );
    }
    assert_eq!(json["report"]["errors"], 0);

    // On a new statement, "select all" marks the undecided detailed
    // controls implemented; their individual controls are still to write (S6).
    let (service, _) = saas_ids(&server).await;
    let created = client
        .post_form(&format!("/services/{service}/statements"), &[])
        .await;
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let id: i64 = location
        .trim_start_matches("/statements/")
        .trim_end_matches("/edit")
        .parse()
        .unwrap();
    client
        .post_form(
            &format!("/statements/{id}/objectives/8.1.2/bulk"),
            &[("based_on", "1"), ("action", "select_all")],
        )
        .await;
    let json: Value = client
        .get(&format!("/api/v1/statements/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let s6: Vec<&str> = json["report"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "S6")
        .map(|f| f["control"].as_str().unwrap())
        .collect();
    assert_eq!(s6.len(), 7, "{s6:?}");
}

#[tokio::test]
async fn risks_are_recorded_and_shown_beside_their_controls() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let client = Client::new(&server);
        client.sign_in("saas-editor").await;
        let (_, statement) = saas_ids(&server).await;
        let page = all_rows(&client, statement, "filter=baseline").await;
        assert!(
            page.contains("href=\"#risk-R1\""),
            "the example's risks show beside their controls"
        );

        let unknown = client
            .post_form(
                &format!("/statements/{statement}/risks"),
                &[("based_on", "1"), ("title", "x"), ("controls", "8.1.2.99")],
            )
            .await;
        assert_eq!(unknown.status(), 422, "links only controls of the catalog");
        let added = client
            .post_form(
                &format!("/statements/{statement}/risks"),
                &[
                    ("based_on", "1"),
                    ("title", "利用者IDの乗っ取り"),
                    ("identification", "利用者のパスワードが推測される。"),
                    ("analysis", "発生可能性は中程度、影響は大きい。"),
                    ("evaluation", "high"),
                    ("controls", "9.4.2.2.B, 9.2.1.6.PB"),
                ],
            )
            .await;
        assert_eq!(added.status(), 303);
        let json: Value = client
            .get(&format!("/api/v1/statements/{statement}"))
            .await
            .json()
            .await
            .unwrap();
        let content = parse_statement("r", json["content"].as_str().unwrap())
            .unwrap()
            .statement;
        let r3 = content
            .risks
            .iter()
            .find(|r| r.id == "R3")
            .expect("the next free id");
        assert_eq!(r3.controls.len(), 2);
        assert_eq!(
            r3.evaluation,
            Some(ismap_domain::statement::RiskLevel::High)
        );
        let diff = client
            .get(&format!("/statements/{statement}/diff?from=1&to=2"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            diff.contains("リスク") && diff.contains("利用者IDの乗っ取り"),
            "{diff}"
        );
        let page = client
            .get(&format!("/statements/{statement}/edit"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("data-confirm=") && page.contains("button-danger"),
            "removing a risk asks first"
        );

        let removed = client
            .post_form(
                &format!("/statements/{statement}/risks/R3/delete"),
                &[("based_on", &version_of(&page))],
            )
            .await;
        assert_eq!(removed.status(), 303);
        let latest = ismap_store::statements::revisions(&server.db, statement)
            .await
            .unwrap();
        assert_eq!((latest[0].number, latest[0].edits), (2, 2));
    }
}

/// A newer catalog version: one control's text changed, one removed, one added.
fn newer_pack() -> (String, String) {
    let pack = include_str!("../../../../catalogs/ismap-2022-excerpt.yaml")
        .replacen("id: \"ismap-2022-excerpt\"", "id: \"ismap-2099-test\"", 1)
        .replacen("version: \"2022-07-01\"", "version: \"2099-01-01\"", 1);
    let start = pack
        .find("  - id: \"8.1.2.6\"")
        .expect("8.1.2.6 in the pack");
    let end = start + pack[start + 1..].find("  - id: ").expect("next control") + 1;
    let removed = format!("{}{}", &pack[..start], &pack[end..]);
    let added = removed.replacen(
        "  - id: \"8.1.2.7.PB\"",
        "  - id: \"8.1.2.8\"\n    title: { ja: \"新しい管理策\", en: \"A new control\" }\n    text: { ja: \"新しい要求。\", en: \"A new requirement.\" }\n  - id: \"8.1.2.7.PB\"",
        1,
    );
    let start = added.find("  - id: \"8.1.2.1\"").unwrap();
    let text_at = start + added[start..].find("text: { ja: \"").unwrap() + "text: { ja: \"".len();
    let changed = format!("{}改訂：{}", &added[..text_at], &added[text_at..]);
    ("newer.yaml".into(), changed)
}

#[tokio::test]
async fn statements_move_to_a_newer_catalog_version() {
    for backend in BACKENDS {
        let config = ismap_web::Config {
            packs: vec![newer_pack()],
            ..ismap_web::Config::default()
        };
        let server = ismap_web::testing::spawn_with(backend, config).await;
        let client = Client::new(&server);
        client.sign_in("saas-admin").await;
        let (_, statement) = saas_ids(&server).await;
        let editor = client
            .get(&format!("/statements/{statement}/edit"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            editor.contains("ismap-2099-test"),
            "the newer version is offered"
        );

        let csrf = client.csrf().await;
        let moved = client
            .http
            .post(server.url(&format!(
                "/api/v1/statements/{statement}/upgrade?to=ismap-2099-test"
            )))
            .header("x-csrf-token", csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(moved.status(), 201);
        let moved: Value = moved.json().await.unwrap();
        assert_eq!(moved["added"], serde_json::json!(["8.1.2.8"]));
        assert_eq!(moved["changed"], serde_json::json!(["8.1.2.1"]));
        assert_eq!(moved["removed"], serde_json::json!(["8.1.2.6"]));
        let new_id = moved["statement"]["id"].as_i64().unwrap();
        let new: Value = client
            .get(&format!("/api/v1/statements/{new_id}"))
            .await
            .json()
            .await
            .unwrap();
        let undecided: Vec<&str> = new["report"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["message"]["en"].as_str().unwrap().contains("undecided"))
            .map(|f| f["control"].as_str().unwrap())
            .collect();
        assert_eq!(
            undecided,
            ["8.1.2.8"],
            "only the new control awaits a decision"
        );
        // The original is untouched.
        let old = ismap_store::statements::get(&server.db, statement)
            .await
            .unwrap();
        assert_eq!(
            (old.catalog_id.as_str(), old.latest_revision),
            ("ismap-2022-excerpt", 1)
        );

        let page = client
            .post_form(
                &format!("/statements/{statement}/upgrade"),
                &[("to", "ismap-2099-test")],
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("8.1.2.8") && page.contains("8.1.2.6"),
            "{page}"
        );
    }
}

#[tokio::test]
async fn the_api_edits_freezes_compares_and_exports() {
    let server = server(ismap_store::Backend::Sqlite).await;
    let client = Client::new(&server);
    client.sign_in("saas-editor").await;
    let (_, statement) = saas_ids(&server).await;
    let edit = client
        .post_body(
            &format!("/api/v1/statements/{statement}/controls/8.1.2.7.PB?based_on=1"),
            "application/json",
            r#"{"decision": "not_selected", "reason": "顧客が自ら暗号化するため提供しない。"}"#
                .into(),
        )
        .await;
    assert_eq!(edit.status(), 201);
    let edit: Value = edit.json().await.unwrap();
    assert_eq!(edit["report"]["errors"], 1);
    let refused = client
        .post_body(
            &format!("/api/v1/statements/{statement}/freeze?based_on=2"),
            "application/json",
            String::new(),
        )
        .await;
    assert_eq!(refused.status(), 422);
    let diff: Value = client
        .get(&format!("/api/v1/statements/{statement}/diff?from=1&to=2"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(diff["controls"][0]["control"], "8.1.2.7.PB");
    assert_eq!(diff["controls"][0]["after"]["decision"], "not_selected");
    let back = client
        .post_body(
            &format!("/api/v1/statements/{statement}/controls/8.1.2.7.PB?based_on=2"),
            "application/json",
            r#"{"decision": "implemented"}"#.into(),
        )
        .await;
    assert_eq!(back.status(), 201);
    let frozen = client
        .post_body(
            &format!("/api/v1/statements/{statement}/freeze?based_on=3"),
            "application/json",
            String::new(),
        )
        .await;
    assert_eq!(frozen.status(), 200);
    let frozen: Value = frozen.json().await.unwrap();
    assert_eq!(frozen["status"], "frozen");
    let yaml = client
        .get(&format!("/api/v1/statements/{statement}/export"))
        .await
        .text()
        .await
        .unwrap();
    let exported = parse_statement("export", &yaml).unwrap().statement;
    // The example, plus the reason written while the control was unselected:
    // switching decisions never throws away what was written.
    let mut expected = parse_statement("example", &example_statement())
        .unwrap()
        .statement;
    let pb: ismap_domain::ControlId = "8.1.2.7.PB".parse().unwrap();
    expected.controls.get_mut(&pb.number()).unwrap().reason =
        Some("顧客が自ら暗号化するため提供しない。".into());
    assert_eq!(exported, expected);
}

#[tokio::test]
async fn evidence_references_are_added_to_controls() {
    let server = server(ismap_store::Backend::Sqlite).await;
    let client = Client::new(&server);
    client.sign_in("saas-editor").await;
    let (_, statement) = saas_ids(&server).await;
    let added = client
        .post_form(
            &format!("/statements/{statement}/controls/8.1.2.7.PB/evidence"),
            &[
                ("based_on", "1"),
                ("title", "BYOK設計書"),
                ("reference", "https://wiki.example.jp/byok"),
            ],
        )
        .await;
    assert_eq!(added.status(), 303);
    let page = all_rows(&client, statement, "filter=baseline").await;
    assert!(
        page.contains("href=\"https://wiki.example.jp/byok\""),
        "the link is shown beside the control"
    );
    let missing = client
        .post_form(
            &format!("/statements/{statement}/controls/8.1.2.7.PB/evidence"),
            &[("based_on", "2"), ("title", "x"), ("reference", " ")],
        )
        .await;
    assert_eq!(missing.status(), 422);
    let yaml = client
        .get(&format!("/statements/{statement}/export"))
        .await
        .text()
        .await
        .unwrap();
    let exported = parse_statement("e", &yaml).unwrap().statement;
    let pb: ismap_domain::ControlId = "8.1.2.7.PB".parse().unwrap();
    assert_eq!(
        exported.controls[&pb.number()].evidence[0].title,
        "BYOK設計書"
    );
}

#[tokio::test]
async fn the_api_records_risks_and_bulk_decisions() {
    let server = server(ismap_store::Backend::Sqlite).await;
    let client = Client::new(&server);
    client.sign_in("saas-editor").await;
    let (_, statement) = saas_ids(&server).await;
    let bad = client
        .post_body(
            &format!("/api/v1/statements/{statement}/risks?based_on=1"),
            "application/json",
            r#"{"title": "x", "controls": ["8.1.2.99"]}"#.into(),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "controls[0]");
    let risk = client
        .post_body(
            &format!("/api/v1/statements/{statement}/risks?based_on=1"),
            "application/json",
            r#"{"title": "可用性の低下", "evaluation": "low", "controls": ["17.2.1"]}"#.into(),
        )
        .await;
    assert_eq!(risk.status(), 201);
    let risk: Value = risk.json().await.unwrap();
    assert!(risk["content"].as_str().unwrap().contains("可用性の低下"));
    let bulk = client
        .post_body(
            &format!("/api/v1/statements/{statement}/objectives/12.3.1/bulk?based_on=2"),
            "application/json",
            r#"{"action": "exclude", "reason": "本サービスはバックアップを取得しないためである。"}"#.into(),
        )
        .await;
    assert_eq!(bulk.status(), 201);
    let bulk: Value = bulk.json().await.unwrap();
    assert_eq!(bulk["revision"]["number"], 3);
    assert_eq!(bulk["report"]["errors"], 0);
}

#[tokio::test]
async fn a_save_sends_back_only_rows_the_filtered_page_shows() {
    let server = server(ismap_store::Backend::Sqlite).await;
    let client = Client::new(&server);
    client.sign_in("saas-editor").await;
    let (_, statement) = saas_ids(&server).await;
    let filtered = save(
        &client,
        statement,
        "8.1.2.7.PB",
        &[
            ("based_on", "1"),
            ("filter", "baseline"),
            ("decision", "implemented"),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(filtered.contains("id=\"row-8-1-2-7-PB\""));
    assert!(
        !filtered.contains("id=\"row-8-1-2-1\""),
        "8.1.2.1 is not on a baseline-filtered page"
    );
    let all = save(
        &client,
        statement,
        "8.1.2.7.PB",
        &[("based_on", "2"), ("decision", "implemented")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(all.contains("id=\"row-8-1-2-1\"") && all.contains("id=\"row-8-1-2\""));
}

/// A refused htmx save (stale version, invalid input, expired session)
/// answers a message fragment in the page's language with its status; the
/// statement does not change.
#[tokio::test]
async fn refused_htmx_saves_answer_a_message_and_change_nothing() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let client = Client::new(&server);
        client.sign_in("saas-editor").await;
        let (_, statement) = saas_ids(&server).await;
        let page = client
            .get(&format!("/statements/{statement}/edit"))
            .await
            .text()
            .await
            .unwrap();
        let first = version_of(&page);
        let saved = save(
            &client,
            statement,
            "8.1.2.1",
            &[("based_on", &first), ("decision", "implemented")],
        )
        .await;
        assert_eq!(saved.status(), 200);

        // Another user saved first (here: the same page's old version).
        let stale = save(
            &client,
            statement,
            "8.1.2.7.PB",
            &[("based_on", &first), ("decision", "not_selected")],
        )
        .await;
        assert_eq!(stale.status(), 409);
        let body = stale.text().await.unwrap();
        assert!(
            body.contains("class=\"alert alert-error\" role=\"alert\"")
                && body.contains("他の変更と競合しました")
                && body.contains("8.1.2.7.PB の変更は保存されていません"),
            "{body}"
        );
        assert!(!body.contains("<html"), "a fragment, not a page: {body}");

        let invalid = save(
            &client,
            statement,
            "8.1.2.7.PB",
            &[("based_on", "2.1"), ("decision", "maybe")],
        )
        .await;
        assert_eq!(invalid.status(), 422);
        let body = invalid.text().await.unwrap();
        assert!(
            body.contains("role=\"alert\"") && body.contains("入力に誤りがあります"),
            "{body}"
        );

        // The session ends (signed out elsewhere, or expired).
        sqlx::query("DELETE FROM sessions")
            .execute(&server.db.pool)
            .await
            .unwrap();
        let expired = save(
            &client,
            statement,
            "8.1.2.7.PB",
            &[("based_on", "2.1"), ("decision", "not_selected")],
        )
        .await;
        assert!(
            matches!(expired.status().as_u16(), 401 | 403),
            "{}",
            expired.status()
        );
        let body = expired.text().await.unwrap();
        assert!(body.contains("role=\"alert\""), "{body}");

        let revisions = ismap_store::statements::revisions(&server.db, statement)
            .await
            .unwrap();
        assert_eq!(
            (revisions.len(), revisions[0].edits),
            (2, 1),
            "{backend:?}: only the first save is stored"
        );
    }
}

/// The details form marks its required field and, refused, comes back
/// with the message and what was typed.
#[tokio::test]
async fn the_details_form_keeps_what_was_typed_after_a_refusal() {
    let server = server(ismap_store::Backend::Sqlite).await;
    let client = Client::new(&server);
    client.sign_in("saas-editor").await;
    let (_, statement) = saas_ids(&server).await;
    let page = client
        .get(&format!("/statements/{statement}/edit"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("<span class=\"required\">必須</span>"));
    let version = version_of(&page);
    let refused = client
        .post_form(
            &format!("/statements/{statement}/details"),
            &[
                ("based_on", &version),
                ("name", "新しいサービス名"),
                ("model", "SaaS"),
                ("scope", "新しい言明対象範囲の説明"),
                ("date", "2026-13-45"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("「2026-13-45」は日付として読めません")
            && body.contains("value=\"新しいサービス名\"")
            && body.contains("新しい言明対象範囲の説明")
            && body.contains("value=\"2026-13-45\""),
        "{body}"
    );
    let no_name = client
        .post_form(
            &format!("/statements/{statement}/details"),
            &[("based_on", &version), ("name", " "), ("scope", "範囲")],
        )
        .await;
    assert_eq!(no_name.status(), 422);
    let body = no_name.text().await.unwrap();
    assert!(body.contains("サービス名を入力してください") && body.contains("範囲"));
    assert_eq!(
        ismap_store::statements::revisions(&server.db, statement)
            .await
            .unwrap()
            .len(),
        1,
        "nothing was saved"
    );
}

/// The editor's first answer lists the chapters, not the controls; the
/// freeze form asks for confirmation and states the consequence.
#[tokio::test]
async fn the_editor_lists_chapters_and_asks_before_freezing() {
    let server = server(ismap_store::Backend::Sqlite).await;
    let client = Client::new(&server);
    client.sign_in("saas-editor").await;
    let (_, statement) = saas_ids(&server).await;
    let page = client
        .get(&format!("/statements/{statement}/edit"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<h2 id=\"chapter-8-title\"")
            && page.contains("hx-get=\"/statements/")
            && page.contains("hx-trigger=\"toggle once\""),
        "{page}"
    );
    assert!(
        !page.contains("id=\"row-"),
        "no rows before a chapter is opened"
    );
    assert!(
        page.contains("data-confirm=\"凍結すると、この言明書はこれ以上編集できません。監査はこの版（改訂 1）に基づいて行われます。\""),
        "{page}"
    );
    // Without scripts, a chapter opens as a page of its own.
    let open = client
        .get(&format!("/statements/{statement}/edit?chapter=8"))
        .await
        .text()
        .await
        .unwrap();
    assert!(open.contains("id=\"row-8-1-2-7-PB\""));
    // Filters keep working: counts per chapter, rows filtered.
    let filtered = client
        .get(&format!(
            "/statements/{statement}/edit?filter=baseline&chapter=8"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(filtered.contains("id=\"row-8-1-2-7-PB\"") && !filtered.contains("id=\"row-8-1-2-1\""));
}
