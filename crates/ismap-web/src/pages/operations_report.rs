//! The secretariat's operations report (運用状況の報告) to the Cybersecurity
//! Strategic Headquarters (サイバーセキュリティ戦略本部, seed 000): one fiscal
//! year's figures as a page with two charts drawn on the server
//! (`/operations-report?fy=2026`), a workbook (`/operations-report.xlsx`)
//! and JSON (`/api/v1/operations-report`, api/operations_report.rs). The
//! secretariat only (`policy::allows_opsreport`): anyone else signed in is
//! refused (403), visitors are sent to sign in.
//!
//! Every figure is counted once, by `ismap_domain::operations_report::
//! assemble`; the page and the workbook show the same [`Table`]s.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use ismap_domain::operations_report::{
    self as rules, ASSESSMENT_STATES, DOUBT_STATES, FyError, INQUIRY_STATES, OperationsReport,
    PRE_APPLICATION_STATES, StateCount,
};
use ismap_domain::registration::ListKind;
use ismap_i18n::{Lang, Messages};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{Failure, PageError};
use crate::pages::render;
use crate::policy::{Principal, allows_opsreport};
use crate::text::Frame;

/// The secretariat, or: not signed in (→ sign-in) / 403. Decided before
/// anything of the request is read.
pub fn secretariat(ctx: &Ctx) -> Result<&Principal, Failure> {
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    if allows_opsreport(Some(p)) {
        Ok(p)
    } else {
        Err(Failure::Forbidden)
    }
}

/// The `fy` of the query (the first one), if any.
fn fy_param(ctx: &Ctx) -> Option<String> {
    url::form_urlencoded::parse(ctx.query.as_deref().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "fy")
        .map(|(_, v)| v.into_owned())
}

/// The fiscal year asked for, or a 422 naming the parameter `fy` in the
/// reader's language.
pub fn requested_fy(ctx: &Ctx, today: chrono::NaiveDate) -> Result<i32, Failure> {
    let text = fy_param(ctx);
    rules::parse_fy(text.as_deref(), today).map_err(|error| {
        let id = match error {
            FyError::NotANumber => "opsreport-error-fy-number",
            FyError::BeforeProgramme => "opsreport-error-fy-early",
            FyError::Future => "opsreport-error-fy-future",
        };
        Failure::Invalid {
            field: "fy".into(),
            message: Messages::get().text(
                ctx.lang,
                id,
                &[
                    ("first", rules::FIRST_FY.to_string()),
                    ("last", rules::fiscal_year(today).to_string()),
                ],
            ),
        }
    })
}

/// The report of the requested year, for the secretariat.
pub async fn load(state: &AppState, ctx: &Ctx) -> Result<OperationsReport, Failure> {
    secretariat(ctx)?;
    let today = state.clock.today();
    let fy = requested_fy(ctx, today)?;
    let raw = ismap_store::operations_report::gather(&state.db, fy).await?;
    Ok(rules::assemble(&raw, fy, today))
}

/// 令和8年度 / FY2026.
pub fn fy_label(lang: Lang, fy: i32) -> String {
    Messages::get().text(
        lang,
        "opsreport-fy",
        &[
            ("reiwa", rules::reiwa_year(fy).to_string()),
            ("year", fy.to_string()),
        ],
    )
}

fn fy_short(lang: Lang, fy: i32) -> String {
    Messages::get().text(
        lang,
        "opsreport-fy-short",
        &[
            ("reiwa", rules::reiwa_year(fy).to_string()),
            ("year", fy.to_string()),
        ],
    )
}

fn month_label(lang: Lang, month: chrono::NaiveDate) -> String {
    Messages::get().text(
        lang,
        "opsreport-month",
        &[
            ("year", month.year().to_string()),
            ("month", month.month().to_string()),
        ],
    )
}

// ---------------------------------------------------------------------
// The tables, shared by the page and the workbook.

/// One table of the report: a sheet of the workbook, a table of the page.
pub struct Table {
    /// Machine name: element ids `opsreport-<key>-<row>-<column>`.
    pub key: &'static str,
    pub title: String,
    /// The workbook's sheet name (≤ 31 characters).
    pub sheet: String,
    /// What the table counts.
    pub note: String,
    /// Header of the first column (the rows' labels).
    pub row_header: String,
    pub columns: Vec<String>,
    pub rows: Vec<TableRow>,
}

pub struct TableRow {
    pub label: String,
    pub total: bool,
    pub cells: Vec<Cell>,
}

pub struct Cell {
    pub id: String,
    /// `None`: no value (a median of no decisions).
    pub value: Option<i64>,
}

fn count(n: usize) -> Option<i64> {
    Some(i64::try_from(n).unwrap_or(i64::MAX))
}

struct Builder<'a> {
    lang: Lang,
    table: Table,
    column_keys: Vec<&'a str>,
}

impl<'a> Builder<'a> {
    fn new(lang: Lang, key: &'static str, row_header: &str, columns: &[(&'a str, &str)]) -> Self {
        let t = |id: &str| Messages::get().text(lang, id, &[]);
        Builder {
            lang,
            table: Table {
                key,
                title: t(&format!("opsreport-table-{key}")),
                sheet: t(&format!("opsreport-sheet-{key}")),
                note: t(&format!("opsreport-note-{key}")),
                row_header: t(row_header),
                columns: columns.iter().map(|(_, id)| t(id)).collect(),
                rows: Vec::new(),
            },
            column_keys: columns.iter().map(|(k, _)| *k).collect(),
        }
    }

    fn row(&mut self, key: &str, label: String, values: &[Option<i64>], total: bool) {
        let key = key.replace('_', "-").to_ascii_lowercase();
        let cells = self
            .column_keys
            .iter()
            .zip(values)
            .map(|(column, value)| Cell {
                id: format!("opsreport-{}-{key}-{column}", self.table.key),
                value: *value,
            })
            .collect();
        self.table.rows.push(TableRow {
            label,
            total,
            cells,
        });
    }

    fn t(&self, id: &str) -> String {
        Messages::get().text(self.lang, id, &[])
    }

    fn done(self) -> Table {
        self.table
    }
}

/// A table of counts by state: one row per state, then the total.
fn state_table(
    lang: Lang,
    key: &'static str,
    label_prefix: &str,
    states: &[&str],
    counts: &[StateCount],
) -> Table {
    let mut b = Builder::new(
        lang,
        key,
        "opsreport-col-state",
        &[("count", "opsreport-col-count")],
    );
    let mut total = 0;
    for c in counts {
        let label = if states.contains(&c.state.as_str()) {
            b.t(&format!("{label_prefix}{}", c.state.replace('_', "-")))
        } else {
            c.state.clone()
        };
        b.row(&c.state, label, &[count(c.count)], false);
        total += c.count;
    }
    b.row("total", b.t("opsreport-total"), &[count(total)], true);
    b.done()
}

/// Every table of the report, in the reader's language.
pub fn tables(lang: Lang, r: &OperationsReport) -> Vec<Table> {
    let t = |id: &str| Messages::get().text(lang, id, &[]);
    let list_name = |list: ListKind| t(&format!("opsreport-list-{}", list.key()));
    let mut out = Vec::new();

    // Registrations.
    let mut b = Builder::new(
        lang,
        "registrations",
        "opsreport-col-list-model",
        &[
            ("new", "opsreport-col-new"),
            ("renewed", "opsreport-col-renewed"),
            ("in-force", "opsreport-col-in-force"),
            ("expired", "opsreport-col-expired"),
            ("suspended", "opsreport-col-suspended"),
        ],
    );
    for f in &r.registrations {
        let list = f.list.unwrap_or(ListKind::Ismap);
        let (key, label, total) = if f.model.is_empty() {
            (
                format!("{}-total", list.key()),
                format!("{} {}", list_name(list), t("opsreport-total")),
                true,
            )
        } else {
            (
                format!("{}-{}", list.key(), f.model),
                format!("{} {}", list_name(list), f.model),
                false,
            )
        };
        b.row(
            &key,
            label,
            &[
                count(f.new),
                count(f.renewed),
                count(f.in_force),
                count(f.expired),
                count(f.suspended),
            ],
            total,
        );
    }
    out.push(b.done());

    // Applications submitted in the year, by state now.
    let mut b = Builder::new(
        lang,
        "applications",
        "opsreport-col-state",
        &[
            ("ismap", "opsreport-list-ismap"),
            ("liu", "opsreport-list-liu"),
            ("total", "opsreport-total"),
        ],
    );
    let (mut ismap, mut liu) = (0, 0);
    for (state, i, l) in &r.applications {
        b.row(
            state.key(),
            crate::text::label(lang, "application-state", state.key()),
            &[count(*i), count(*l), count(i + l)],
            false,
        );
        ismap += i;
        liu += l;
    }
    b.row(
        "total",
        t("opsreport-total"),
        &[count(ismap), count(liu), count(ismap + liu)],
        true,
    );
    out.push(b.done());

    // Decisions and review durations.
    let mut b = Builder::new(
        lang,
        "decisions",
        "opsreport-col-item",
        &[("value", "opsreport-col-value")],
    );
    let d = &r.decisions;
    for (key, n) in [
        ("registered", d.registered),
        ("rejected", d.rejected),
        ("withdrawn", d.withdrawn),
    ] {
        b.row(
            key,
            t(&format!("opsreport-decision-{key}")),
            &[count(n)],
            false,
        );
    }
    let days = &r.durations;
    b.row(
        "durations",
        t("opsreport-duration-count"),
        &[count(days.count)],
        false,
    );
    b.row(
        "median",
        t("opsreport-duration-median"),
        &[days.median_days],
        false,
    );
    b.row("p90", t("opsreport-duration-p90"), &[days.p90_days], false);
    b.row("max", t("opsreport-duration-max"), &[days.max_days], false);
    out.push(b.done());

    // Questions.
    let q = &r.questions;
    let mut b = Builder::new(
        lang,
        "questions",
        "opsreport-col-item",
        &[("count", "opsreport-col-count")],
    );
    for (key, n) in [
        ("asked", q.asked),
        ("answered", q.answered),
        ("answered_late", q.answered_late),
        ("open", q.open),
        ("open_overdue", q.open_overdue),
    ] {
        b.row(
            key,
            t(&format!("opsreport-question-{}", key.replace('_', "-"))),
            &[count(n)],
            false,
        );
    }
    out.push(b.done());

    // Interim measures.
    let m = &r.interim;
    let mut b = Builder::new(
        lang,
        "interim",
        "opsreport-col-item",
        &[("count", "opsreport-col-count")],
    );
    for (key, n) in [
        ("notified", m.notified),
        ("open", m.open),
        ("overdue", m.overdue),
        ("reported", m.reported),
        ("closed", m.closed),
    ] {
        b.row(
            key,
            t(&format!("opsreport-interim-{key}")),
            &[count(n)],
            false,
        );
    }
    out.push(b.done());

    if let Some(doubts) = &r.doubts {
        out.push(state_table(
            lang,
            "doubts",
            "opsreport-doubt-state-",
            &DOUBT_STATES,
            doubts,
        ));
    }
    if let Some(inquiries) = &r.inquiries {
        out.push(state_table(
            lang,
            "inquiries",
            "opsreport-inquiry-state-",
            &INQUIRY_STATES,
            inquiries,
        ));
    }
    out.push(state_table(
        lang,
        "pre-applications",
        "opsreport-pre-state-",
        &PRE_APPLICATION_STATES,
        &r.pre_applications,
    ));
    let mut assessments = state_table(
        lang,
        "assessments",
        "opsreport-ia-state-",
        &ASSESSMENT_STATES,
        &r.assessments,
    );
    assessments.rows.push(TableRow {
        label: t("opsreport-ia-approved-in-fy"),
        total: false,
        cells: vec![Cell {
            id: "opsreport-assessments-approved-in-fy-count".into(),
            value: count(r.assessments_approved),
        }],
    });
    out.push(assessments);

    // Months.
    let mut b = Builder::new(
        lang,
        "months",
        "opsreport-col-month",
        &[
            ("submitted", "opsreport-col-submitted"),
            ("decided", "opsreport-col-decided"),
        ],
    );
    for m in &r.months {
        b.row(
            &m.month.format("%Y-%m").to_string(),
            month_label(lang, m.month),
            &[count(m.submitted), count(m.decided)],
            false,
        );
    }
    out.push(b.done());

    // Registrations in force, year by year.
    let mut b = Builder::new(
        lang,
        "trend",
        "opsreport-col-fy",
        &[
            ("ismap", "opsreport-list-ismap"),
            ("liu", "opsreport-list-liu"),
        ],
    );
    for y in &r.trend {
        b.row(
            &y.fy.to_string(),
            fy_label(lang, y.fy),
            &[count(y.ismap), count(y.liu)],
            false,
        );
    }
    out.push(b.done());
    out
}

// ---------------------------------------------------------------------
// Charts: plain SVG drawn here, no script.

/// One series of a bar chart.
pub struct Series {
    pub label: String,
    /// CSS class of its bars (`opsreport-bar-<class>`).
    pub class: &'static str,
    pub values: Vec<usize>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A bar chart as an inline SVG: stacked (one bar per category) or grouped
/// (one bar per series), with the value above each bar, a legend and
/// `<title>` tooltips; `role="img"` with `title` as its accessible name.
pub fn bar_chart(
    id: &str,
    title: &str,
    categories: &[String],
    series: &[Series],
    stacked: bool,
) -> String {
    const W: f64 = 720.0;
    const H: f64 = 260.0;
    const LEFT: f64 = 36.0;
    const RIGHT: f64 = 8.0;
    const TOP: f64 = 34.0;
    const BOTTOM: f64 = 40.0;
    let n = categories.len().max(1);
    let max = (0..categories.len())
        .map(|i| {
            let values = series.iter().map(|s| s.values.get(i).copied().unwrap_or(0));
            if stacked {
                values.sum::<usize>()
            } else {
                values.max().unwrap_or(0)
            }
        })
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let band = plot_w / n as f64;
    let y_of = |v: usize| TOP + plot_h - plot_h * v as f64 / max as f64;
    let mut svg = format!(
        "<svg class=\"opsreport-chart\" id=\"{}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"{0}-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{0}-title\">{}</title>",
        escape(id),
        escape(title)
    );
    // Axis and scale: 0, half, max.
    for v in [0, max / 2, max] {
        let y = y_of(v);
        svg.push_str(&format!(
            "<line class=\"opsreport-grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"opsreport-axis\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v}</text>",
            W - RIGHT,
            LEFT - 4.0,
            y + 4.0
        ));
    }
    // Legend.
    let mut x = LEFT;
    for s in series {
        svg.push_str(&format!(
            "<rect class=\"opsreport-bar-{}\" x=\"{x:.1}\" y=\"8\" width=\"12\" height=\"12\"/><text class=\"opsreport-legend\" x=\"{:.1}\" y=\"18\">{}</text>",
            s.class,
            x + 16.0,
            escape(&s.label)
        ));
        x += 24.0 + 14.0 * s.label.chars().count() as f64;
    }
    for (i, category) in categories.iter().enumerate() {
        let x0 = LEFT + band * i as f64;
        let mut base = 0usize;
        let width = if stacked {
            band * 0.6
        } else {
            band * 0.8 / series.len().max(1) as f64
        };
        for (k, s) in series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0);
            let (bottom, top) = if stacked { (base, base + v) } else { (0, v) };
            let bx = if stacked {
                x0 + band * 0.2
            } else {
                x0 + band * 0.1 + width * k as f64
            };
            let y = y_of(top);
            let h = y_of(bottom) - y;
            svg.push_str(&format!(
                "<rect class=\"opsreport-bar-{}\" x=\"{bx:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{h:.1}\" data-value=\"{v}\"><title>{} {}: {v}</title></rect>",
                s.class,
                escape(category),
                escape(&s.label)
            ));
            if v > 0 && !stacked {
                svg.push_str(&format!(
                    "<text class=\"opsreport-value\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{v}</text>",
                    bx + width / 2.0,
                    y - 3.0
                ));
            }
            base += v;
        }
        if stacked && base > 0 {
            svg.push_str(&format!(
                "<text class=\"opsreport-value\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{base}</text>",
                x0 + band / 2.0,
                y_of(base) - 3.0
            ));
        }
        svg.push_str(&format!(
            "<text class=\"opsreport-axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x0 + band / 2.0,
            H - BOTTOM + 16.0,
            escape(category)
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn charts(lang: Lang, r: &OperationsReport) -> (String, String) {
    let t = |id: &str| Messages::get().text(lang, id, &[]);
    let trend = bar_chart(
        "opsreport-chart-trend",
        &t("opsreport-chart-trend"),
        &r.trend
            .iter()
            .map(|y| fy_short(lang, y.fy))
            .collect::<Vec<_>>(),
        &[
            Series {
                label: t("opsreport-list-ismap"),
                class: "ismap",
                values: r.trend.iter().map(|y| y.ismap).collect(),
            },
            Series {
                label: t("opsreport-list-liu"),
                class: "liu",
                values: r.trend.iter().map(|y| y.liu).collect(),
            },
        ],
        true,
    );
    let months = bar_chart(
        "opsreport-chart-months",
        &t("opsreport-chart-months"),
        &r.months
            .iter()
            .map(|m| {
                Messages::get().text(
                    lang,
                    "opsreport-month-short",
                    &[("month", m.month.month().to_string())],
                )
            })
            .collect::<Vec<_>>(),
        &[
            Series {
                label: t("opsreport-col-submitted"),
                class: "submitted",
                values: r.months.iter().map(|m| m.submitted).collect(),
            },
            Series {
                label: t("opsreport-col-decided"),
                class: "decided",
                values: r.months.iter().map(|m| m.decided).collect(),
            },
        ],
        false,
    );
    (trend, months)
}

// ---------------------------------------------------------------------
// The page.

pub struct FyOption {
    pub fy: i32,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "operations_report.html")]
struct ReportPage {
    frame: Frame,
    fy: i32,
    title: String,
    period: String,
    as_of: String,
    years: Vec<FyOption>,
    tables: Vec<Table>,
    trend_chart: String,
    months_chart: String,
}

/// `GET /operations-report?fy=2026`.
pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let report = load(&state, &ctx).await?;
    let frame = Frame::new(&ctx);
    let lang = ctx.lang;
    let today = state.clock.today();
    let (trend_chart, months_chart) = charts(lang, &report);
    let label = fy_label(lang, report.fy);
    let page = ReportPage {
        fy: report.fy,
        title: frame.tr("opsreport-title-fy", &[("fy", label)]),
        period: frame.tr(
            "opsreport-period",
            &[
                ("first", frame.day(&report.start)),
                ("last", frame.day(&report.end)),
            ],
        ),
        as_of: frame.tr(
            if report.running {
                "opsreport-as-of-running"
            } else {
                "opsreport-as-of"
            },
            &[("day", frame.day(&report.report_day))],
        ),
        years: rules::available_fys(today)
            .into_iter()
            .map(|fy| FyOption {
                fy,
                label: fy_label(lang, fy),
                selected: fy == report.fy,
            })
            .collect(),
        tables: tables(lang, &report),
        trend_chart,
        months_chart,
        frame,
    };
    private(render(&page)?)
}

fn private(mut response: Response) -> Result<Response, PageError> {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

/// `GET /operations-report.xlsx?fy=2026`: the same tables, one sheet each,
/// headers in the reader's language, after a summary sheet.
pub async fn xlsx(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let report = load(&state, &ctx).await?;
    let lang = ctx.lang;
    let bytes = workbook(lang, &report)
        .map_err(|e| Failure::Internal(format!("operations report workbook: {e}")))?;
    private(crate::pages::engagements::xlsx_download(
        bytes,
        &format!("ismap-operations-report-fy{}.xlsx", report.fy),
    ))
}

/// The workbook: a summary sheet (title, period, report day, the
/// percentile method), then one sheet per table.
pub fn workbook(
    lang: Lang,
    report: &OperationsReport,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let t = |id: &str| Messages::get().text(lang, id, &[]);
    let day = |d: &chrono::NaiveDate| {
        ismap_i18n::day(lang, &d.to_string()).unwrap_or_else(|| d.to_string())
    };
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let summary = book
        .add_worksheet()
        .set_name(t("opsreport-sheet-summary"))?;
    summary.set_column_width(0, 28)?;
    summary.set_column_width(1, 48)?;
    let label = fy_label(lang, report.fy);
    let rows: [(String, String); 5] = [
        (
            t("opsreport-title"),
            Messages::get().text(lang, "opsreport-title-fy", &[("fy", label)]),
        ),
        (t("opsreport-col-fy"), report.fy.to_string()),
        (
            t("opsreport-summary-period"),
            format!("{} – {}", day(&report.start), day(&report.end)),
        ),
        (t("opsreport-summary-as-of"), day(&report.report_day)),
        (t("opsreport-summary-method"), t("opsreport-method")),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        let row = u32::try_from(i).unwrap_or(0);
        summary.write_string_with_format(row, 0, k, &bold)?;
        summary.write_string(row, 1, v)?;
    }
    for table in tables(lang, report) {
        let sheet = book.add_worksheet().set_name(&table.sheet)?;
        sheet.write_string_with_format(0, 0, &table.row_header, &bold)?;
        sheet.set_column_width(0, 30)?;
        for (c, header) in table.columns.iter().enumerate() {
            let col = u16::try_from(c + 1).unwrap_or(u16::MAX);
            sheet.write_string_with_format(0, col, header, &bold)?;
            sheet.set_column_width(col, 16)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let line = u32::try_from(r + 1).unwrap_or(u32::MAX);
            if row.total {
                sheet.write_string_with_format(line, 0, &row.label, &bold)?;
            } else {
                sheet.write_string(line, 0, &row.label)?;
            }
            for (c, cell) in row.cells.iter().enumerate() {
                let col = u16::try_from(c + 1).unwrap_or(u16::MAX);
                if let Some(v) = cell.value {
                    // Counts and days are small integers: exact as f64.
                    #[allow(clippy::cast_precision_loss)]
                    sheet.write_number(line, col, v as f64)?;
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
    }
    book.save_to_buffer()
}

// ---------------------------------------------------------------------
// The secretariat's dashboard card.

pub struct Card {
    /// Applications submitted in the running fiscal year.
    pub submitted: usize,
    /// 「令和8年度に提出された申請。登録中 n 件、期限超過の暫定措置 n 件」
    pub text: String,
}

/// The card on the secretariat's dashboard (`opsreport_card.html`); `None`
/// for anyone else.
pub async fn dashboard_card(
    state: &AppState,
    principal: Option<&Principal>,
    lang: Lang,
) -> Result<Option<Card>, Failure> {
    if !allows_opsreport(principal) {
        return Ok(None);
    }
    let today = state.clock.today();
    let fy = rules::fiscal_year(today);
    let raw = ismap_store::operations_report::gather(&state.db, fy).await?;
    let report = rules::assemble(&raw, fy, today);
    let in_force: usize = report
        .registrations
        .iter()
        .filter(|f| f.model.is_empty())
        .map(|f| f.in_force)
        .sum();
    Ok(Some(Card {
        submitted: report.submitted,
        text: Messages::get().text(
            lang,
            "opsreport-card-text",
            &[
                ("fy", fy_label(lang, fy)),
                ("in_force", in_force.to_string()),
                ("overdue", report.interim.overdue.to_string()),
            ],
        ),
    }))
}

/// Answers 200 with the JSON body (the API module builds it).
pub fn json_response(value: &serde_json::Value) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        value.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_draw_every_value_and_escape_text() {
        let svg = bar_chart(
            "c",
            "<年度>",
            &["R2".into(), "R3".into(), "R4".into()],
            &[
                Series {
                    label: "ISMAP".into(),
                    class: "ismap",
                    values: vec![1, 4, 0],
                },
                Series {
                    label: "ISMAP-LIU".into(),
                    class: "liu",
                    values: vec![0, 2, 0],
                },
            ],
            true,
        );
        assert!(svg.starts_with("<svg class=\"opsreport-chart\""));
        assert!(svg.contains("&lt;年度&gt;") && !svg.contains("<年度>"));
        assert_eq!(svg.matches("data-value=").count(), 6);
        assert!(svg.contains(">6</text>"), "the stacked total above the bar");
        if let Ok(path) = std::env::var("OPSREPORT_SVG") {
            std::fs::write(path, &svg).unwrap();
        }
        let grouped = bar_chart(
            "m",
            "months",
            &["4".into(), "5".into()],
            &[Series {
                label: "a".into(),
                class: "submitted",
                values: vec![],
            }],
            false,
        );
        assert_eq!(
            grouped.matches("data-value=\"0\"").count(),
            2,
            "no values: empty bars"
        );
    }

    #[test]
    fn every_table_has_its_labels_in_both_languages() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let raw = rules::RawReport {
            doubts: Some(Vec::new()),
            inquiries: Some(Vec::new()),
            ..rules::RawReport::default()
        };
        let report = rules::assemble(&raw, 2026, today);
        for lang in [Lang::Ja, Lang::En] {
            let tables = tables(lang, &report);
            assert_eq!(tables.len(), 11);
            for t in &tables {
                for text in [&t.title, &t.sheet, &t.note, &t.row_header] {
                    assert!(!text.starts_with("opsreport-"), "{text}");
                }
                assert!(t.sheet.chars().count() <= 31, "{}", t.sheet);
                for r in &t.rows {
                    assert!(!r.label.contains("opsreport-"), "{}", r.label);
                    assert_eq!(r.cells.len(), t.columns.len(), "{}", t.key);
                }
            }
            assert!(workbook(lang, &report).is_ok());
        }
        assert_eq!(fy_label(Lang::Ja, 2026), "令和8年度");
        assert_eq!(fy_label(Lang::En, 2026), "FY2026");
    }
}
