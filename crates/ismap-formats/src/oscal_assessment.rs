//! An issued implementation result report as OSCAL 1.1.3
//! assessment-results, and an improvement plan as an OSCAL 1.1.3 POA&M, for
//! tools that track audits in OSCAL. Controls are named as in the catalog
//! export (`ismap-<id>`); UUIDs are derived from the engagement and issue,
//! so exporting the same report twice gives the same document.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::audit_report::ReportSnapshot;
use crate::oscal::{NS, OSCAL_VERSION};

/// Dates of the programme are Japanese dates.
const JST: &str = "+09:00";

fn key(engagement: i64, name: &str) -> String {
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, NS.as_bytes());
    Uuid::new_v5(
        &namespace,
        format!("engagement/{engagement}/{name}").as_bytes(),
    )
    .to_string()
}

fn prop(name: &str, value: &str) -> Value {
    json!({ "name": name, "ns": NS, "value": value })
}

fn or_dash(text: &str) -> String {
    if text.trim().is_empty() {
        "-".to_owned()
    } else {
        text.trim().to_owned()
    }
}

fn control_id(control: &str) -> String {
    format!("ismap-{control}")
}

fn parties(report: &ReportSnapshot) -> Value {
    json!([
        { "uuid": key(report.engagement, "party/audit-organization"), "type": "organization", "name": report.audit_organization },
        { "uuid": key(report.engagement, "party/provider"), "type": "organization", "name": report.provider },
    ])
}

/// The report's issue `issue`, issued at `issued_at` (RFC 3339), as OSCAL
/// assessment-results: one result for the engagement, the controls in scope
/// as reviewed controls, one observation per procedure performed and one
/// finding per control concluded (satisfied or not); controls not tested
/// have their observation only.
pub fn report_to_assessment_results(report: &ReportSnapshot, issue: i64, issued_at: &str) -> Value {
    let e = report.engagement;
    let mut observations = Vec::new();
    let mut findings = Vec::new();
    for row in &report.rows {
        let observation = key(e, &format!("issue/{issue}/observation/{}", row.control));
        let mut o = json!({
            "uuid": observation,
            "title": row.control,
            "description": or_dash(&row.performed),
            "methods": ["EXAMINE", "TEST"],
            "props": [prop("result", &row.result)],
            "collected": issued_at,
        });
        if !row.samples.trim().is_empty() {
            o["remarks"] = json!(format!("samples: {}", row.samples.trim()));
        }
        observations.push(o);
        let state = match row.result.as_str() {
            "conforming" => "satisfied",
            "deficiency" => "not-satisfied",
            _ => continue,
        };
        findings.push(json!({
            "uuid": key(e, &format!("issue/{issue}/finding/{}", row.control)),
            "title": format!("{} {}", row.control, row.title_ja),
            "description": or_dash(&row.finding),
            "props": [prop("result", &row.result)],
            "target": {
                "type": "objective-id",
                "target-id": control_id(&row.control),
                "status": { "state": state },
            },
            "related-observations": [{ "observation-uuid": observation }],
        }));
    }
    let mut result = json!({
        "uuid": key(e, &format!("issue/{issue}/result")),
        "title": format!("ISMAP 外部監査 / external audit: {}", report.service),
        "description": format!(
            "実施結果報告書 第{issue}版。監査機関: {}、監査人: {}。言明書 {} (revision {})、管理基準 {}。",
            report.audit_organization,
            report.auditors.join(", "),
            report.statement,
            report.revision,
            report.catalog
        ),
        "start": format!("{}T00:00:00{JST}", report.period_start),
        "end": format!("{}T23:59:59{JST}", report.period_end),
        "props": [
            prop("scope", &report.scope),
            prop("cycle-year", &format!("{}/{}", report.cycle_year, report.cycle_years)),
            prop("conforming", &report.conforming.to_string()),
            prop("deficiency", &report.deficiency.to_string()),
            prop("not-tested", &report.not_tested.to_string()),
        ],
        "reviewed-controls": {
            "control-selections": [{
                "include-controls": report
                    .rows
                    .iter()
                    .map(|r| json!({ "control-id": control_id(&r.control) }))
                    .collect::<Vec<_>>(),
            }],
        },
    });
    if !observations.is_empty() {
        result["observations"] = json!(observations);
    }
    if !findings.is_empty() {
        result["findings"] = json!(findings);
    }
    json!({
        "assessment-results": {
            "uuid": key(e, &format!("issue/{issue}")),
            "metadata": {
                "title": format!("実施結果報告書 / Implementation result report: {} (第{issue}版)", report.service),
                "last-modified": issued_at,
                "version": format!("issue-{issue}"),
                "oscal-version": OSCAL_VERSION,
                "parties": parties(report),
            },
            // ISMAP keeps no separate assessment plan document: the scope
            // travels in reviewed-controls.
            "import-ap": {
                "href": format!("#engagement-{e}"),
                "remarks": "ISMAP engagements have no separate OSCAL assessment plan; see reviewed-controls.",
            },
            "results": [result],
        }
    })
}

/// One measure of an improvement plan, as the export needs it.
pub struct PlanItem<'a> {
    pub id: i64,
    pub control: &'a str,
    pub measure: &'a str,
    /// YYYY-MM-DD.
    pub due_date: &'a str,
    /// `open`, `in_progress` or `completed`.
    pub status: &'a str,
}

/// An improvement plan (改善計画書) as an OSCAL POA&M: each deficiency of the
/// report a risk (with the due date as its deadline and the measure's status
/// as the risk's), each measure a POA&M item pointing at its risk.
pub fn plan_to_poam(report: &ReportSnapshot, items: &[PlanItem<'_>], last_modified: &str) -> Value {
    let e = report.engagement;
    let mut risks = Vec::new();
    let mut poam_items = Vec::new();
    for item in items {
        let finding = report
            .rows
            .iter()
            .find(|r| r.control == item.control)
            .map(|r| r.finding.as_str())
            .unwrap_or("");
        let risk = key(e, &format!("plan/{}/risk", item.id));
        risks.push(json!({
            "uuid": risk,
            "title": format!("{} の不備 / deficiency in {}", item.control, item.control),
            "description": or_dash(finding),
            "statement": or_dash(finding),
            "status": match item.status {
                "completed" => "closed",
                "in_progress" => "remediating",
                _ => "open",
            },
            "deadline": format!("{}T23:59:59{JST}", item.due_date),
            "props": [prop("control", &control_id(item.control))],
        }));
        poam_items.push(json!({
            "uuid": key(e, &format!("plan/{}", item.id)),
            "title": format!("{}: {}", item.control, item.measure),
            "description": or_dash(item.measure),
            "props": [
                prop("due-date", item.due_date),
                prop("status", item.status),
            ],
            "related-risks": [{ "risk-uuid": risk }],
        }));
    }
    let mut document = json!({
        "uuid": key(e, "plan"),
        "metadata": {
            "title": format!("改善計画書 / Improvement plan: {}", report.service),
            "last-modified": last_modified,
            "version": format!("engagement-{e}"),
            "oscal-version": OSCAL_VERSION,
            "parties": parties(report),
        },
        "poam-items": poam_items,
    });
    if !risks.is_empty() {
        document["risks"] = json!(risks);
    }
    json!({ "plan-of-action-and-milestones": document })
}
