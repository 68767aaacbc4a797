//! The implementation result report (実施結果報告書, spec §4) as the
//! snapshot stored when it is issued, and as an Excel workbook. The snapshot
//! carries everything the report shows, so an issued report reads the same
//! forever, whatever happens to the statement or the results afterwards.

use ismap_domain::audit_work::{AuditResult, ResultCounts};
use ismap_domain::{Catalog, ControlId, Statement};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSnapshot {
    pub engagement: i64,
    pub service: String,
    pub provider: String,
    pub audit_organization: String,
    pub auditors: Vec<String>,
    pub catalog: String,
    pub statement: i64,
    pub revision: i64,
    pub period_start: String,
    pub period_end: String,
    /// `full`, `multi_year` or `liu`.
    pub scope: String,
    pub cycle_year: i64,
    pub cycle_years: i64,
    pub conforming: usize,
    pub deficiency: usize,
    pub not_tested: usize,
    pub rows: Vec<ReportRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRow {
    pub control: String,
    pub title_ja: String,
    pub title_en: String,
    /// The statement's decision for the control (`implemented`, …).
    pub decision: String,
    /// The procedure performed (実施した手続).
    pub performed: String,
    pub result: String,
    pub finding: String,
    pub samples: String,
}

impl ReportRow {
    pub fn result(&self) -> Option<AuditResult> {
        AuditResult::from_key(&self.result)
    }
}

/// What the report is made of, gathered by the caller.
pub struct ReportInput<'a> {
    pub engagement: i64,
    pub service: &'a str,
    pub provider: &'a str,
    pub audit_organization: &'a str,
    pub auditors: Vec<String>,
    pub catalog: &'a Catalog,
    pub statement: &'a Statement,
    pub statement_id: i64,
    pub revision: i64,
    pub period: (String, String),
    pub scope: &'a str,
    pub cycle: (i64, i64),
    /// The controls in scope, in catalog order.
    pub controls: &'a [ControlId],
}

/// One recorded result, as the snapshot needs it.
pub struct RecordedResult<'a> {
    pub performed: &'a str,
    pub result: AuditResult,
    pub finding: &'a str,
    pub samples: &'a str,
}

/// Builds the snapshot; `result_of` gives the current result of a control.
pub fn snapshot<'r>(
    input: &ReportInput<'_>,
    result_of: impl Fn(&ControlId) -> Option<RecordedResult<'r>>,
) -> ReportSnapshot {
    let mut results = Vec::new();
    let rows: Vec<ReportRow> = input
        .controls
        .iter()
        .map(|id| {
            let control = input.catalog.get(id.number());
            let decision = input
                .statement
                .controls
                .get(&id.number())
                .and_then(|d| d.decision)
                .map(|d| d.key().to_owned())
                .unwrap_or_default();
            let recorded = result_of(id);
            if let Some(r) = &recorded {
                results.push(r.result);
            }
            ReportRow {
                control: control.map_or(id.to_string(), |c| c.id.to_string()),
                title_ja: control.map(|c| c.title.ja.clone()).unwrap_or_default(),
                title_en: control.map(|c| c.title.en.clone()).unwrap_or_default(),
                decision,
                performed: recorded
                    .as_ref()
                    .map(|r| r.performed.to_owned())
                    .unwrap_or_default(),
                result: recorded
                    .as_ref()
                    .map(|r| r.result.key().to_owned())
                    .unwrap_or_default(),
                finding: recorded
                    .as_ref()
                    .map(|r| r.finding.to_owned())
                    .unwrap_or_default(),
                samples: recorded
                    .as_ref()
                    .map(|r| r.samples.to_owned())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let counts = ResultCounts::of(results.iter());
    ReportSnapshot {
        engagement: input.engagement,
        service: input.service.to_owned(),
        provider: input.provider.to_owned(),
        audit_organization: input.audit_organization.to_owned(),
        auditors: input.auditors.clone(),
        catalog: input.catalog.id().to_owned(),
        statement: input.statement_id,
        revision: input.revision,
        period_start: input.period.0.clone(),
        period_end: input.period.1.clone(),
        scope: input.scope.to_owned(),
        cycle_year: input.cycle.0,
        cycle_years: input.cycle.1,
        conforming: counts.conforming,
        deficiency: counts.deficiency,
        not_tested: counts.not_tested,
        rows,
    }
}

/// Japanese and English labels for a result, as the workbook writes them.
fn result_label(key: &str) -> &'static str {
    match AuditResult::from_key(key) {
        Some(AuditResult::Conforming) => "適合 / conforming",
        Some(AuditResult::Deficiency) => "不備 / deficiency",
        Some(AuditResult::NotTested) => "未検証 / not tested",
        None => "",
    }
}

/// The issued report as a workbook: a summary sheet and one row per control.
pub fn to_xlsx(report: &ReportSnapshot, issue: i64, issued_at: &str) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();

    let sheet = workbook.add_worksheet().set_name("概要 Summary")?;
    let summary: Vec<(&str, String)> = vec![
        (
            "報告書 Report",
            "実施結果報告書 Implementation result report".into(),
        ),
        ("版 Issue", issue.to_string()),
        ("発行日時 Issued at", issued_at.to_owned()),
        ("サービス Service", report.service.clone()),
        ("クラウドサービス事業者 Provider", report.provider.clone()),
        (
            "監査機関 Audit organization",
            report.audit_organization.clone(),
        ),
        ("監査人 Auditors", report.auditors.join(", ")),
        ("管理基準 Catalog", report.catalog.clone()),
        (
            "言明書 Statement",
            format!("{} (revision {})", report.statement, report.revision),
        ),
        (
            "監査対象期間 Audit period",
            format!("{} – {}", report.period_start, report.period_end),
        ),
        (
            "範囲 Scope",
            format!(
                "{} ({}/{})",
                report.scope, report.cycle_year, report.cycle_years
            ),
        ),
        ("適合 Conforming", report.conforming.to_string()),
        ("不備 Deficiency", report.deficiency.to_string()),
        ("未検証 Not tested", report.not_tested.to_string()),
    ];
    for (i, (label, value)) in summary.iter().enumerate() {
        sheet.write_string_with_format(i as u32, 0, *label, &bold)?;
        crate::cells::write_text(sheet, i as u32, 1, value, &wrap)?;
    }
    sheet.set_column_width(0, 34)?;
    sheet.set_column_width(1, 80)?;

    let sheet = workbook.add_worksheet().set_name("結果 Results")?;
    let headers = [
        "管理策 Control",
        "タイトル Title",
        "言明 Decision",
        "実施した手続 Procedure performed",
        "結果 Result",
        "所見 Finding",
        "サンプル Samples",
    ];
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *header, &bold)?;
    }
    for (i, r) in report.rows.iter().enumerate() {
        let row = i as u32 + 1;
        let values = [
            r.control.as_str(),
            r.title_ja.as_str(),
            r.decision.as_str(),
            r.performed.as_str(),
            result_label(&r.result),
            r.finding.as_str(),
            r.samples.as_str(),
        ];
        for (col, value) in values.iter().enumerate() {
            crate::cells::write_text(sheet, row, col as u16, value, &wrap)?;
        }
    }
    for (col, width) in [14, 36, 14, 50, 18, 50, 30].into_iter().enumerate() {
        sheet.set_column_width(col as u16, width)?;
    }
    sheet.set_freeze_panes(1, 1)?;
    sheet.autofilter(0, 0, report.rows.len() as u32, headers.len() as u16 - 1)?;
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    use ismap_domain::audit::Scope;
    use ismap_domain::audit_work::EngagementScope;

    fn fixture() -> (Catalog, Statement) {
        let catalog = crate::bundled::bundled_catalogs()[0].clone();
        let text = include_str!("../../../examples/saas-valid.yaml");
        let statement = crate::statement_file::parse_statement("saas-valid.yaml", text)
            .unwrap()
            .statement;
        (catalog, statement)
    }

    #[test]
    fn the_snapshot_counts_results_and_the_workbook_lists_every_control() {
        let (catalog, statement) = fixture();
        let controls = EngagementScope::new(Scope::Full, 1)
            .unwrap()
            .controls(&catalog);
        let deficient = controls[3];
        let input = ReportInput {
            engagement: 1,
            service: "Example SaaS",
            provider: "Sample Cloud",
            audit_organization: "Sample Audit",
            auditors: vec!["監査人".into()],
            catalog: &catalog,
            statement: &statement,
            statement_id: 2,
            revision: 5,
            period: ("2025-04-01".into(), "2026-03-31".into()),
            scope: "full",
            cycle: (1, 1),
            controls: &controls,
        };
        let report = snapshot(&input, |id| {
            Some(RecordedResult {
                performed: "inspected",
                result: if *id == deficient {
                    AuditResult::Deficiency
                } else {
                    AuditResult::Conforming
                },
                finding: if *id == deficient { "no review" } else { "" },
                samples: "",
            })
        });
        assert_eq!(report.rows.len(), catalog.controls().len());
        assert_eq!(report.deficiency, 1);
        assert_eq!(report.conforming, controls.len() - 1);
        assert!(
            !report.rows[0].decision.is_empty(),
            "decisions come from the statement"
        );

        // The snapshot survives its JSON form unchanged (it is stored so).
        let json = serde_json::to_string(&report).unwrap();
        assert_eq!(
            serde_json::from_str::<ReportSnapshot>(&json).unwrap(),
            report
        );

        let bytes = to_xlsx(&report, 1, "2026-04-10T09:00:00Z").unwrap();
        let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let results = book.worksheet_range("結果 Results").unwrap();
        assert_eq!(results.height(), controls.len() + 1);
        let row = results
            .rows()
            .find(|r| r[0].to_string() == deficient.to_string())
            .expect("the deficient control has a row");
        assert_eq!(row[4].to_string(), "不備 / deficiency");
        assert_eq!(row[5].to_string(), "no review");
        let summary = book.worksheet_range("概要 Summary").unwrap();
        assert!(
            summary
                .rows()
                .any(|r| r[1] == "1" && r[0].to_string().contains("不備"))
        );
    }
}
