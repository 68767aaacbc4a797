//! The crosswalk's part of the JSON API: ISO/IEC 27001 coverage of the
//! ISMAP control standard, as `ismap crosswalk --iso27001 --format json`.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::error::{ApiError, Failure, Query};
use ismap_formats::bundled::default_catalog;
use ismap_formats::crosswalk_data::bundled_crosswalk;
use ismap_formats::crosswalk_export::{SourceInfo, report_json};

use crate::pages::crosswalk::Source;

#[derive(Deserialize)]
pub struct ApiQuery {
    iso27001: Option<bool>,
}

/// `GET /api/v1/crosswalk?iso27001=true`: the same JSON as
/// `ismap crosswalk --iso27001 --format json`.
pub async fn crosswalk_iso27001(Query(query): Query<ApiQuery>) -> Result<Response, ApiError> {
    if query.iso27001 != Some(true) {
        return Err(Failure::Invalid {
            field: "iso27001".into(),
            message: "give iso27001=true; for a FedRAMP baseline or an SSP use the page /crosswalk or `ismap crosswalk --fedramp-baseline FILE`".into(),
        }
        .into());
    }
    let source = Source::iso27001();
    let crosswalk = bundled_crosswalk();
    let coverage = crosswalk.assess(&source.holdings);
    let report = report_json(
        &SourceInfo {
            kind: source.kind,
            name: &source.name,
            held: source.held(),
            set_aside: &source.set_aside,
        },
        &coverage,
        crosswalk,
        default_catalog(),
    );
    Ok(Json(report).into_response())
}
