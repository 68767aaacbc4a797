//! `ismap interim deadline` (issue 15, item 4): the application deadline
//! of an interim measure (暫定措置), counted as the Civil Code counts a year.

mod common;

use common::{ismap, json, stderr, stdout};

fn deadline(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["interim", "deadline"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let output = ismap(&all);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    json(&output)
}

#[test]
fn a_service_in_use_at_the_programme_start_is_due_a_year_after_it() {
    let out = deadline(&["--in-use-at-programme-start"]);
    assert_eq!(
        out,
        serde_json::json!({
            "deadline": "2021-06-01",
            "origin": "programme_start",
            "origin_date": "2020-06-01",
            "period_start": "2020-06-02",
        })
    );
    // Another programme start: 2020-05-31 → the year starts on 1 June and
    // ends on the last day of its 12th month.
    let out = deadline(&[
        "--in-use-at-programme-start",
        "--programme-start",
        "2020-05-31",
    ]);
    assert_eq!(out["deadline"], "2021-05-31");
    assert_eq!(out["period_start"], "2020-06-01");
}

#[test]
fn a_planned_service_is_due_a_year_after_its_start_of_use() {
    for (start, due) in [
        ("2026-04-15", "2027-04-15"),
        // The year starts on the first of a month: the last day of the 12th month.
        ("2024-03-31", "2025-03-31"),
        // 29 February: there is none in 2025, the month's last day.
        ("2024-02-28", "2025-02-28"),
        ("2023-02-28", "2024-02-29"),
    ] {
        let out = deadline(&["--start-of-use", start]);
        assert_eq!(out["deadline"], due, "{start}");
        assert_eq!(out["origin"], "start_of_use");
        assert_eq!(out["origin_date"], start);
    }
}

#[test]
fn the_text_output_names_each_date() {
    let output = ismap(&[
        "--lang",
        "en",
        "interim",
        "deadline",
        "--start-of-use",
        "2026-04-15",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.contains("Application deadline: 2027-04-15"), "{text}");
    assert!(text.contains("First day of the year: 2026-04-16"), "{text}");
    let output = ismap(&["interim", "deadline", "--in-use-at-programme-start"]);
    let text = stdout(&output);
    assert!(text.contains("申請期限: 2021-06-01"), "{text}");
}

#[test]
fn bad_input_exits_2_naming_the_flag() {
    for (args, flag) in [
        (vec!["--start-of-use", "2026-02-30"], "--start-of-use"),
        (vec!["--start-of-use", "tomorrow"], "--start-of-use"),
        (
            vec![
                "--in-use-at-programme-start",
                "--programme-start",
                "2020-13-01",
            ],
            "--programme-start",
        ),
        // Neither origin, or both.
        (vec![], "--start-of-use"),
        (
            vec![
                "--start-of-use",
                "2026-04-15",
                "--in-use-at-programme-start",
            ],
            "--in-use-at-programme-start",
        ),
        // A programme start only goes with a service in use then.
        (
            vec![
                "--start-of-use",
                "2026-04-15",
                "--programme-start",
                "2020-06-01",
            ],
            "--programme-start",
        ),
        (vec!["--start-of-use", "+262142-12-31"], "--start-of-use"),
    ] {
        let mut all = vec!["interim", "deadline"];
        all.extend_from_slice(&args);
        let output = ismap(&all);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stdout(&output)
        );
        let message = stderr(&output);
        assert!(message.contains(flag), "{args:?}: {message}");
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
}
