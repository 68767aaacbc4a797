//! The public crosswalk (`/crosswalk`, `/api/v1/crosswalk`): how far an
//! ISO/IEC 27001 certificate, or a FedRAMP / NIST baseline or system
//! security plan the user uploads, covers the ISMAP control objectives of
//! chapters 5–18. The rule and the data are ismap-formats' (docs/crosswalk.md);
//! nothing is stored.

use std::collections::BTreeSet;

use crate::error::Query;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use ismap_domain::Catalog;
use ismap_domain::crosswalk::{Coverage, Holdings, Status, Summary};
use ismap_formats::bundled::default_catalog;
use ismap_formats::crosswalk_data::bundled_crosswalk;
use ismap_formats::crosswalk_export::held_label;
use ismap_formats::nist_holdings::{HoldingsSource, read_holdings};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{Failure, PageError};
use crate::pages::render;
use crate::text::Frame;
use crate::uploads;

/// Resolved FedRAMP catalogs are 2–4 MB; the largest SSPs a few more.
pub const CROSSWALK_MAX_BYTES: usize = 8 * 1024 * 1024;

pub struct Row {
    pub objective: String,
    pub title: String,
    pub status: &'static str,
    pub status_label: String,
    pub iso: String,
    pub held: String,
    pub missing: String,
}

pub struct ChapterRows {
    pub number: u16,
    pub title: String,
    pub rows: Vec<Row>,
}

pub struct ResultView {
    pub heading: String,
    pub set_aside: String,
    pub chapters: Vec<ChapterRows>,
    pub summary: String,
    /// Columns with something in some row (empty columns are not shown).
    pub show_iso: bool,
    pub show_held: bool,
    pub show_missing: bool,
}

#[derive(Template)]
#[template(path = "crosswalk.html")]
struct CrosswalkPage {
    frame: Frame,
    max_upload_mib: usize,
    result: Option<ResultView>,
    error: Option<String>,
}

/// What was read, and what it holds.
/// What is measured against the ISMAP objectives (the API shares it).
pub(crate) struct Source {
    pub(crate) kind: &'static str,
    pub(crate) name: String,
    pub(crate) holdings: Holdings,
    pub(crate) set_aside: Vec<String>,
}

impl Source {
    pub(crate) fn iso27001() -> Source {
        Source {
            kind: "iso27001",
            name: "ISO/IEC 27001:2013".to_owned(),
            holdings: Holdings::iso27001_all(bundled_crosswalk()),
            set_aside: Vec::new(),
        }
    }

    pub(crate) fn held(&self) -> usize {
        match &self.holdings {
            Holdings::Iso27001(ids) => ids.len(),
            Holdings::Nist(ids) => ids.len(),
        }
    }
}

fn max_bytes(state: &AppState) -> usize {
    CROSSWALK_MAX_BYTES.min(state.config.max_upload_bytes)
}

fn status_key(status: Status) -> &'static str {
    match status {
        Status::Covered => "covered",
        Status::Partly => "partly",
        Status::NotCovered => "not-covered",
    }
}

fn result_view(frame: &Frame, catalog: &Catalog, source: &Source) -> ResultView {
    let coverage = bundled_crosswalk().assess(&source.holdings);
    let summary = Summary::of(&coverage);
    let count = source.held().to_string();
    let heading = match source.holdings {
        Holdings::Iso27001(_) => frame.tr("crosswalk-heading-iso", &[("count", count)]),
        Holdings::Nist(_) => frame.tr(
            "crosswalk-heading-nist",
            &[("source", source.name.clone()), ("count", count)],
        ),
    };
    let set_aside = if source.set_aside.is_empty() {
        String::new()
    } else {
        frame.tr(
            "crosswalk-set-aside",
            &[
                ("count", source.set_aside.len().to_string()),
                ("ids", source.set_aside.join(" ")),
            ],
        )
    };
    let chapters: BTreeSet<u16> = coverage.iter().map(|c| c.objective.chapter()).collect();
    let row = |c: &Coverage| Row {
        objective: c.objective.to_string(),
        title: catalog
            .get(c.objective.number())
            .map(|control| frame.pick(&control.title.ja, &control.title.en).to_owned())
            .unwrap_or_default(),
        status: status_key(c.status),
        status_label: frame.t(&format!("crosswalk-status-{}", status_key(c.status))),
        iso: c
            .iso27001
            .map(|i| i.to_string())
            .unwrap_or_else(|| frame.t("crosswalk-no-counterpart")),
        held: c
            .held
            .iter()
            .map(|(id, s)| held_label(id, *s))
            .collect::<Vec<_>>()
            .join(" "),
        missing: c
            .missing
            .iter()
            .map(|id| id.to_string())
            .collect::<Vec<_>>()
            .join(" "),
    };
    let chapters: Vec<ChapterRows> = chapters
        .into_iter()
        .map(|number| ChapterRows {
            number,
            title: catalog
                .chapter(number)
                .map(|c| frame.pick(&c.title.ja, &c.title.en).to_owned())
                .unwrap_or_default(),
            rows: coverage
                .iter()
                .filter(|c| c.objective.chapter() == number)
                .map(row)
                .collect(),
        })
        .collect();
    let rows = || chapters.iter().flat_map(|c| c.rows.iter());
    let no_counterpart = frame.t("crosswalk-no-counterpart");
    ResultView {
        heading,
        set_aside,
        show_iso: rows().any(|r| !r.iso.is_empty() && r.iso != no_counterpart),
        show_held: rows().any(|r| !r.held.is_empty()),
        show_missing: rows().any(|r| !r.missing.is_empty()),
        chapters,
        summary: frame.tr(
            "crosswalk-summary",
            &[
                ("total", summary.total().to_string()),
                ("covered", summary.covered.to_string()),
                ("partly", summary.partly.to_string()),
                ("not_covered", summary.not_covered.to_string()),
                ("no_counterpart", summary.no_counterpart.to_string()),
            ],
        ),
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    /// `iso27001`: show the table for a certificate.
    source: Option<String>,
}

/// `GET /crosswalk`: the choice, and for `?source=iso27001` the table.
pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(query): Query<PageQuery>,
) -> Result<Response, PageError> {
    let frame = Frame::new(&ctx);
    let result = match query.source.as_deref() {
        None | Some("") => None,
        Some("iso27001") => Some(result_view(&frame, default_catalog(), &Source::iso27001())),
        Some(other) => {
            return Err(Failure::Invalid {
                field: "source".into(),
                message: format!("{other:?}: use iso27001, or upload a baseline or SSP"),
            }
            .into());
        }
    };
    render(&CrosswalkPage {
        frame,
        max_upload_mib: max_bytes(&state) / (1024 * 1024),
        result,
        error: None,
    })
}

/// Reads an uploaded resolved-profile catalog or SSP into holdings.
async fn uploaded(
    state: &AppState,
    state_lang: ismap_i18n::Lang,
    multipart: Multipart,
) -> Result<Source, String> {
    let limit = max_bytes(state);
    let message = |failure: Failure| match failure {
        Failure::Invalid { message, .. } => message,
        other => format!("{other:?}"),
    };
    let upload = uploads::read(multipart, limit).await.map_err(message)?;
    let Some((name, _declared, bytes)) = upload.file() else {
        return Err(crate::text::t(state_lang, "web-crosswalk-no-file"));
    };
    uploads::check_oscal("file", name, bytes, limit).map_err(message)?;
    let baseline = read_holdings(name, bytes).map_err(|e| e.to_string())?;
    Ok(Source {
        kind: match baseline.source {
            HoldingsSource::Catalog => "fedramp-baseline",
            HoldingsSource::Ssp => "ssp",
        },
        name: if baseline.title.is_empty() {
            name.clone()
        } else {
            baseline.title.clone()
        },
        holdings: Holdings::nist(baseline.held.iter().copied()),
        set_aside: baseline
            .set_aside
            .iter()
            .map(|(id, _)| id.to_string())
            .collect(),
    })
}

/// `POST /crosswalk` (multipart, field `file`): the table for an uploaded
/// FedRAMP / NIST resolved-profile catalog or system security plan. A file
/// that cannot be used is named on the page (422; 200 for htmx, which
/// swaps only successful responses).
pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let frame = Frame::new(&ctx);
    let max_upload_mib = max_bytes(&state) / (1024 * 1024);
    match uploaded(&state, ctx.lang, multipart).await {
        Ok(source) => render(&CrosswalkPage {
            result: Some(result_view(&frame, default_catalog(), &source)),
            frame,
            max_upload_mib,
            error: None,
        }),
        Err(error) => {
            let mut response = render(&CrosswalkPage {
                frame,
                max_upload_mib,
                result: None,
                error: Some(error),
            })?;
            if !headers.contains_key("hx-request") {
                *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            Ok(response)
        }
    }
}
