//! The `ismap` binary as a user runs it: real files, real exit codes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{ismap, stderr, stdout};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> String {
    root().join("examples").join(name).display().to_string()
}

/// Validates with `--format json` and returns (exit code, report).
fn validate_json(file: &str, registry: Option<&str>) -> (i32, Value) {
    let mut args = vec!["statement", "validate", file, "--format", "json"];
    if let Some(registry) = registry {
        args.extend(["--registry", registry]);
    }
    let output = ismap(&args);
    let report = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&output), stderr(&output)));
    (output.status.code().unwrap(), report)
}

fn rules_and_controls(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["control"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn the_valid_example_passes_with_the_registry() {
    let registry = example("registry.csv");
    for file in ["saas-valid.yaml", "saas-valid.json"] {
        let (code, report) = validate_json(&example(file), Some(&registry));
        assert_eq!(code, 0, "{file}: {report:#}");
        assert_eq!(report["errors"], 0);
        assert_eq!(report["warnings"], 0);
        assert_eq!(report["catalog"], "ismap-2022-excerpt");
        assert_eq!(report["excerpt"], true);
        assert!(report["notice"]["ja"].as_str().unwrap().contains("抜粋"));
    }
    let (code, _) = validate_json(&example("saas-valid.yaml"), Some(&example("registry.json")));
    assert_eq!(code, 0);
}

#[test]
fn without_a_registry_s7_warns_that_it_could_not_check() {
    let (code, report) = validate_json(&example("saas-valid.yaml"), None);
    assert_eq!(code, 0);
    assert_eq!(report["errors"], 0);
    assert_eq!(rules_and_controls(&report), pairs(&[("S7", "-")]));
    assert_eq!(report["findings"][0]["severity"], "warning");
}

#[test]
fn a_baseline_requirement_left_out_is_an_s4_error_with_its_line() {
    let (code, report) = validate_json(
        &example("invalid-baseline-not-selected.yaml"),
        Some(&example("registry.csv")),
    );
    assert_eq!(code, 1);
    assert_eq!(rules_and_controls(&report), pairs(&[("S4", "8.1.2.7.PB")]));
    let finding = &report["findings"][0];
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["field"], "controls.\"8.1.2.7.PB\".decision");
    let text = std::fs::read_to_string(example("invalid-baseline-not-selected.yaml")).unwrap();
    let line = finding["line"].as_u64().unwrap() as usize;
    assert!(
        text.lines()
            .nth(line - 1)
            .unwrap()
            .contains("\"8.1.2.7.PB\"")
    );
    assert!(
        finding["message"]["ja"]
            .as_str()
            .unwrap()
            .contains("基本言明要件")
    );
    assert!(
        finding["message"]["en"]
            .as_str()
            .unwrap()
            .contains("Baseline")
    );
}

#[test]
fn inheritance_mistakes_are_s7_errors() {
    let (code, report) = validate_json(
        &example("invalid-inheritance.yaml"),
        Some(&example("registry.csv")),
    );
    assert_eq!(code, 1);
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"]["en"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules_and_controls(&report),
        pairs(&[
            ("S7", "11.2.7.4.PB"),
            ("S7", "11.2.7.4.PB"),
            ("S7", "12.1.2.11.PB")
        ])
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("not listed in service.underlying"))
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("valid 2024-04-01 to 2025-07-31"))
    );
    assert!(messages.iter().any(|m| m.contains("confirmed")));
}

#[test]
fn drafting_mistakes_are_named_rule_by_rule() {
    let (code, report) = validate_json(
        &example("invalid-drafting.yaml"),
        Some(&example("registry.csv")),
    );
    assert_eq!(code, 1);
    assert_eq!(
        rules_and_controls(&report),
        pairs(&[
            ("S1", "3.1.2.2"),
            ("S3", "5.1.1.11"),
            ("S6", "8.1.2.3"),
            ("INPUT", "8.1.2.6"),
            ("S8", "8.1.2.99"),
            ("S5", "12.3.1"),
            ("A1", "12.3.1.18.P"),
            ("S2", "13.2.4"),
        ])
    );
    assert_eq!(report["errors"], 7);
    assert_eq!(report["warnings"], 1);
}

#[test]
fn advice_alone_does_not_fail_validation() {
    let (code, report) = validate_json(
        &example("saas-with-advice.yaml"),
        Some(&example("registry.csv")),
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["errors"], 0);
    let rules: Vec<String> = rules_and_controls(&report)
        .into_iter()
        .map(|(rule, _)| rule)
        .collect();
    for advisory in ["A1", "A2", "A3", "A4"] {
        assert!(
            rules.iter().any(|r| r == advisory),
            "{advisory} in {rules:?}"
        );
    }
}

#[test]
fn text_report_groups_by_rule_with_counts_and_no_colour_when_piped() {
    let output = ismap(&[
        "--lang",
        "en",
        "statement",
        "validate",
        &example("invalid-drafting.yaml"),
        "--registry",
        &example("registry.csv"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("Note: This catalog is an EXCERPT"), "{text}");
    assert!(
        text.contains("S5: a selected objective needs at least one selected detailed control (1)")
    );
    assert!(text.contains("invalid-drafting.yaml:"), "{text}");
    assert!(text.contains("7 error(s), 1 warning(s)"), "{text}");
    assert!(!text.contains('\u{1b}'), "no ANSI escapes when piped");

    let japanese = stdout(&ismap(&[
        "statement",
        "validate",
        &example("invalid-drafting.yaml"),
        "--registry",
        &example("registry.csv"),
    ]));
    assert!(japanese.contains("エラー 7 件、警告 1 件"), "{japanese}");
}

#[test]
fn unreadable_input_exits_2_naming_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.yaml");
    let output = ismap(&["statement", "validate", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("missing.yaml"),
        "{}",
        stderr(&output)
    );

    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        "catalog: ismap-2022-excerpt\ncontrols:\n  \"8.1.2\": { decision: [\n",
    )
    .unwrap();
    let output = ismap(&["statement", "validate", broken.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("broken.yaml:3:"), "{message}");

    let output = ismap(&[
        "statement",
        "validate",
        &example("saas-valid.yaml"),
        "--registry",
        broken.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn an_unknown_catalog_is_an_s8_error_listing_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.yaml");
    let text = std::fs::read_to_string(example("saas-valid.yaml"))
        .unwrap()
        .replace("catalog: \"ismap-2022-excerpt\"", "catalog: \"ismap-2030\"");
    std::fs::write(&file, text).unwrap();
    let (code, report) = validate_json(file.to_str().unwrap(), None);
    assert_eq!(code, 1);
    assert_eq!(rules_and_controls(&report), pairs(&[("S8", "-")]));
    assert!(
        report["findings"][0]["message"]["en"]
            .as_str()
            .unwrap()
            .contains("ismap-2022-excerpt")
    );
}

#[test]
fn the_template_lists_every_control_and_reads_back_as_undecided() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("new.yaml");
    let path = file.to_str().unwrap();
    let output = ismap(&[
        "statement",
        "template",
        "--date",
        "2026-11-25",
        "--output",
        path,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("抜粋"),
        "the excerpt notice is shown"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\"8.1.2.7.PB\": { decision: ~, individual_control: \"\" }"));

    // Refuses to overwrite what a user may have filled in.
    let again = ismap(&["statement", "template", "--output", path]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists"));

    let (code, report) = validate_json(path, None);
    assert_eq!(code, 1);
    let findings = report["findings"].as_array().unwrap();
    // Every control is undecided; scope and name are still to write.
    let undecided = findings
        .iter()
        .filter(|f| f["message"]["en"].as_str().unwrap().contains("undecided"))
        .count();
    assert_eq!(undecided, 290);
    let inputs: Vec<&str> = findings
        .iter()
        .filter(|f| f["rule"] == "INPUT")
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(inputs, ["service.name", "service.scope"]);
}

#[test]
fn statements_export_as_yaml_json_and_oscal() {
    let yaml = ismap(&["statement", "export", &example("saas-valid.yaml")]);
    assert!(yaml.status.success());
    let json = ismap(&[
        "statement",
        "export",
        &example("saas-valid.yaml"),
        "--format",
        "json",
    ]);
    let json: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(json["controls"]["8.1.2.7.PB"]["decision"], "implemented");
    let ssp = ismap(&[
        "statement",
        "export",
        &example("saas-valid.yaml"),
        "--format",
        "oscal-ssp",
    ]);
    let ssp: Value = serde_json::from_str(&stdout(&ssp)).unwrap();
    assert_eq!(
        ssp["system-security-plan"]["metadata"]["oscal-version"],
        "1.1.3"
    );
    // YAML → XLSX → YAML: the same statement.
    let xlsx = tempfile::tempdir().unwrap();
    let book = xlsx.path().join("statement.xlsx");
    let written = ismap(&[
        "statement",
        "export",
        &example("saas-valid.yaml"),
        "--format",
        "xlsx",
        "-o",
        book.to_str().unwrap(),
    ]);
    assert!(written.status.success(), "{}", stderr(&written));
    assert_eq!(
        ismap(&[
            "statement",
            "export",
            &example("saas-valid.yaml"),
            "--format",
            "xlsx"
        ])
        .status
        .code(),
        Some(2)
    );
    let back = ismap(&["statement", "import", book.to_str().unwrap()]);
    assert!(back.status.success(), "{}", stderr(&back));
    assert_eq!(
        stdout(&back),
        stdout(&yaml),
        "the workbook reads back to the same statement"
    );
    // The canonical YAML validates the same as the original.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.yaml");
    std::fs::write(&copy, stdout(&yaml)).unwrap();
    let (code, report) = validate_json(copy.to_str().unwrap(), Some(&example("registry.csv")));
    assert_eq!(
        (code, report["errors"].as_u64(), report["warnings"].as_u64()),
        (0, Some(0), Some(0))
    );
}

#[test]
fn catalog_diff_lists_added_removed_and_changed_controls() {
    let dir = tempfile::tempdir().unwrap();
    let bundled = std::fs::read_to_string(root().join("catalogs/ismap-2022-excerpt.yaml")).unwrap();
    let newer = bundled
        .replacen("id: \"ismap-2022-excerpt\"", "id: \"ismap-2099\"", 1)
        .replacen("  - id: \"12.3.1.11\"", "  - id: \"12.3.1.12\"", 1)
        .replacen(
            "目録の中で維持される資産は、管理する。",
            "目録の中で維持される資産は、管理責任者を定めて管理する。",
            1,
        );
    let path = dir.path().join("newer.yaml");
    std::fs::write(&path, newer).unwrap();
    let output = ismap(&[
        "catalog",
        "diff",
        "ismap-2022-excerpt",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let diff: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(diff["added"], serde_json::json!(["12.3.1.12"]));
    assert_eq!(diff["removed"], serde_json::json!(["12.3.1.11"]));
    assert_eq!(diff["changed"][0]["control"], "8.1.2");
    assert_eq!(diff["changed"][0]["fields"], serde_json::json!(["text"]));
}

#[test]
fn the_standards_spreadsheet_becomes_a_catalog_pack() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, rows: &[[&str; 2]]| {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "管理策番号").unwrap();
        sheet.write_string(0, 1, "管理策").unwrap();
        for (r, [id, text]) in rows.iter().enumerate() {
            sheet.write_string(r as u32 + 1, 0, *id).unwrap();
            sheet.write_string(r as u32 + 1, 1, *text).unwrap();
        }
        let path = dir.path().join(name);
        book.save(&path).unwrap();
        path
    };
    let good = write(
        "standard.xlsx",
        &[
            ["8", "資産の管理"],
            ["8.1", "資産を特定し、保護の責任を定める。"],
            ["8.1.2", "目録の中で維持される資産は、管理する。"],
            ["8.1.2.1", "資産の管理責任者を割り当てる。"],
        ],
    );
    let pack = dir.path().join("imported.yaml");
    let output = ismap(&[
        "catalog",
        "import",
        good.to_str().unwrap(),
        "--id",
        "ismap-imported",
        "--version",
        "2025-04-01",
        "-o",
        pack.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        ismap(&["catalog", "check", pack.to_str().unwrap()])
            .status
            .success()
    );
    let shown = stdout(&ismap(&[
        "--pack",
        pack.to_str().unwrap(),
        "catalog",
        "show",
        "8.1.2",
        "--catalog",
        "ismap-imported",
    ]));
    assert!(shown.contains("8.1.2.1"), "{shown}");
    // The spreadsheet marks no important controls: LIU cannot be planned
    // from it, and the plan says so.
    let liu = stdout(&ismap(&[
        "--pack",
        pack.to_str().unwrap(),
        "audit",
        "plan",
        "--scope",
        "liu",
        "--catalog",
        "ismap-imported",
    ]));
    assert!(liu.contains("重要な管理策の一覧がありません"), "{liu}");

    // An official list of important controls replaces the set, with its source.
    let list = dir.path().join("important.csv");
    std::fs::write(&list, "id\n# ISMAP-LIU\n8.1.2.1\n").unwrap();
    let official = dir.path().join("official.yaml");
    let output = ismap(&[
        "catalog",
        "import",
        good.to_str().unwrap(),
        "--id",
        "ismap-official",
        "--version",
        "2025-04-01",
        "-o",
        official.to_str().unwrap(),
        "--important-controls",
        list.to_str().unwrap(),
        "--important-source",
        "ISMAP-LIU 重要な管理策一覧（2025年版）",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let written = std::fs::read_to_string(&official).unwrap();
    assert!(written.contains("assumed: false"), "{written}");
    assert!(written.contains("liu_important: true"), "{written}");
    let shown = stdout(&ismap(&[
        "--pack",
        official.to_str().unwrap(),
        "catalog",
        "show",
        "8.1.2.1",
        "--catalog",
        "ismap-official",
    ]));
    assert!(
        shown.contains("出典: ISMAP-LIU 重要な管理策一覧（2025年版）"),
        "{shown}"
    );
    assert!(!shown.contains("本システムの仮定"), "{shown}");
    // A list naming a control the catalog lacks: refused with its line.
    std::fs::write(&list, "8.1.2.1\n9.9.9.9\n").unwrap();
    let output = ismap(&[
        "catalog",
        "import",
        good.to_str().unwrap(),
        "--id",
        "y",
        "--version",
        "1",
        "-o",
        dir.path().join("y.yaml").to_str().unwrap(),
        "--important-controls",
        list.to_str().unwrap(),
        "--important-source",
        "list",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("important.csv:2:"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("y.yaml").exists(), "nothing is written");

    let bad = write("bad.xlsx", &[["8.1", "目的。"], ["8.x.2", "壊れた番号。"]]);
    let output = ismap(&[
        "catalog",
        "import",
        bad.to_str().unwrap(),
        "--id",
        "x",
        "--version",
        "1",
        "-o",
        dir.path().join("x.yaml").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("bad.xlsx:3:0: Sheet1!管理策番号"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("x.yaml").exists(), "nothing is written");
}

#[test]
fn validity_prints_the_last_valid_day() {
    let output = ismap(&["validity", "--period-end", "2024-03-31"]);
    assert!(output.status.success());
    assert!(stdout(&output).contains("2025-07-31"));
    let output = ismap(&["validity", "--period-end", "2024-10-31", "--format", "json"]);
    let value: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(value["valid_from"], "2024-11-01");
    assert_eq!(value["valid_until"], "2026-02-28");
    let output = ismap(&["validity", "--period-end", "2024-02-30"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("YYYY-MM-DD"));
}

#[test]
fn catalog_commands_show_search_and_export() {
    let list = stdout(&ismap(&["catalog", "list"]));
    assert!(
        list.contains("ismap-2022-excerpt") && list.contains("抜粋"),
        "{list}"
    );
    assert!(list.contains("management 21+64"), "{list}");

    let show = stdout(&ismap(&["--lang", "en", "catalog", "show", "8.1.2.7.PB"]));
    assert!(show.contains("暗号鍵を管理し消去する機能"), "{show}");
    assert!(show.contains("[PB]"), "{show}");
    assert!(
        show.contains("an assumption of this system, not an official list"),
        "{show}"
    );
    let category = stdout(&ismap(&["catalog", "show", "8.1"]));
    assert!(category.contains("8.1.2.7.PB"), "{category}");

    let search = ismap(&["catalog", "search", "暗号"]);
    assert!(search.status.success());
    assert!(stdout(&search).contains("10.1.2.20.PB"));
    assert_eq!(
        ismap(&["catalog", "search", "存在しない語句"])
            .status
            .code(),
        Some(1)
    );

    let json: Value =
        serde_json::from_str(&stdout(&ismap(&["catalog", "export", "--format", "json"]))).unwrap();
    assert_eq!(json["controls"].as_array().unwrap().len(), 290);
    assert_eq!(json["excerpt"], true);
    let csv = stdout(&ismap(&["catalog", "export", "--format", "csv"]));
    assert_eq!(csv.lines().count(), 291);
    assert!(csv.starts_with("id,level,criteria"));

    let oscal: Value =
        serde_json::from_str(&stdout(&ismap(&["catalog", "export", "--format", "oscal"]))).unwrap();
    assert_eq!(oscal["catalog"]["metadata"]["oscal-version"], "1.1.3");

    let unknown = ismap(&["catalog", "show", "99.1"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn catalog_check_reports_a_broken_pack_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack.yaml");
    std::fs::write(
        &pack,
        "id: mine\nversion: \"1\"\ntitle: { ja: \"私家版\", en: \"Mine\" }\nchapters:\n  - number: 8\n    title: { ja: \"資産\", en: \"Assets\" }\ncategories: []\ncontrols:\n  - id: \"8.1.2.3\"\n    title: { ja: \"題\", en: \"t\" }\n    text: { ja: \"本文\", en: \"text\" }\n",
    )
    .unwrap();
    let output = ismap(&["catalog", "check", pack.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let text = stdout(&output);
    assert!(text.contains("pack.yaml:9:"), "{text}");
    assert!(text.contains("no control objective 8.1.2"), "{text}");
    // A broken --pack stops every command with the same report.
    let diff = ismap(&[
        "catalog",
        "diff",
        "ismap-2022-excerpt",
        pack.to_str().unwrap(),
    ]);
    assert_eq!(
        diff.status.code(),
        Some(2),
        "a broken pack cannot be compared"
    );
    let output = ismap(&["--pack", pack.to_str().unwrap(), "catalog", "list"]);
    assert_eq!(output.status.code(), Some(2));
}

/// Which years of the plan (`--format json`) audit each control id.
fn audited_years(plan: &Value) -> std::collections::HashMap<String, Vec<usize>> {
    let mut years = std::collections::HashMap::<String, Vec<usize>>::new();
    for (i, year) in plan["years"].as_array().unwrap().iter().enumerate() {
        for control in year["controls"].as_array().unwrap() {
            years
                .entry(control.as_str().unwrap().to_owned())
                .or_default()
                .push(i);
        }
    }
    years
}

#[test]
fn audit_plans_cover_the_scope_of_each_cycle() {
    let catalog: Value =
        serde_json::from_str(&stdout(&ismap(&["catalog", "export", "--format", "json"]))).unwrap();
    let controls = catalog["controls"].as_array().unwrap();
    // Objectives with an important detailed control.
    let important_objectives: std::collections::HashSet<&str> = controls
        .iter()
        .filter(|c| c["liu_important"] == true)
        .map(|c| c["objective"].as_str().unwrap())
        .collect();

    // A multi-year ISMAP cycle audits every control within the cycle.
    let output = ismap(&[
        "audit",
        "plan",
        "--scope",
        "multi-year",
        "--years",
        "3",
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let plan: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let years = audited_years(&plan);
    for control in controls {
        let id = control["id"].as_str().unwrap();
        assert!(years.contains_key(id), "{id} is audited within the cycle");
    }
    assert_eq!(plan["internal_audit_only"], serde_json::json!([]));

    // ISMAP-LIU (seed 001): governance and management every year; of the
    // control measures only the important ones (with their objective), each
    // once; the rest is left to the internal audit.
    let output = ismap(&[
        "audit", "plan", "--scope", "liu", "--years", "3", "--format", "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let plan: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(plan["years"].as_array().unwrap().len(), 3);
    assert_eq!(plan["important_controls"]["assumed"], true);
    let years = audited_years(&plan);
    let internal: Vec<&str> = plan["internal_audit_only"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let mut important = 0;
    for control in controls {
        let id = control["id"].as_str().unwrap();
        let audited = years.get(id).cloned().unwrap_or_default();
        if control["criteria"] != "control_measures" {
            assert_eq!(audited, [0, 1, 2], "{id} every year");
        } else if control["liu_important"] == true
            || (control["level"] == "objective"
                && important_objectives.contains(control["objective"].as_str().unwrap()))
        {
            important += 1;
            assert_eq!(audited.len(), 1, "{id} exactly once within the cycle");
        } else {
            assert!(audited.is_empty(), "{id} is not externally audited");
            assert!(internal.contains(&id), "{id} is the internal audit's");
        }
    }
    assert!(important > 0);
    let text = stdout(&ismap(&["audit", "plan", "--scope", "liu"]));
    assert!(
        text.contains("ISMAP-LIUの重要な管理策（本システムの仮定"),
        "{text}"
    );
    assert!(text.contains("事業者の内部監査"), "{text}");
    let text = stdout(&ismap(&["--lang", "en", "audit", "plan", "--scope", "liu"]));
    assert!(text.contains("an assumption of this system"), "{text}");
    assert!(text.contains("internal audit covers them"), "{text}");

    let text = stdout(&ismap(&["--lang", "en", "audit", "plan", "--years", "2"]));
    assert!(
        text.contains("Year 1:") && text.contains("Year 2:"),
        "{text}"
    );
    assert!(text.contains("EXCERPT"));
    assert_eq!(
        ismap(&["audit", "plan", "--years", "0"]).status.code(),
        Some(2)
    );
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    // As in `ismap catalog list | head -0`: the pipe is closed before the
    // first line is written.
    for args in [
        &["catalog", "list"][..],
        &["statement", "template"],
        &["validity", "--period-end", "2026-03-31"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = Command::new(env!("CARGO_BIN_EXE_ismap"))
            .args(args)
            .env("ISMAP_LANG", "en")
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = stderr(&output);
        assert!(
            output.status.success(),
            "{args:?}: {:?} {stderr}",
            output.status
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("standard output"), "{args:?}: {stderr}");
    }
}
