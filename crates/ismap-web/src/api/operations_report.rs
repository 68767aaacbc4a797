//! `/api/v1/operations-report?fy=2026`: the secretariat's operations report
//! (運用状況の報告) as JSON with machine names; the same figures as the page
//! (pages/operations_report.rs), for the secretariat only.

use axum::extract::State;
use axum::response::Response;
use ismap_domain::operations_report::{OperationsReport, StateCount};
use serde_json::{Map, Value, json};

use super::Problem;
use crate::AppState;
use crate::auth::Ctx;
use crate::error::ApiError;
use crate::pages::operations_report::{json_response, load};

fn by_state(counts: &[StateCount]) -> Value {
    let mut map = Map::new();
    for c in counts {
        map.insert(c.state.clone(), json!(c.count));
    }
    Value::Object(map)
}

/// The report as JSON: every figure under a machine name.
pub fn report_json(r: &OperationsReport) -> Value {
    json!({
        "fy": r.fy,
        "start": r.start.to_string(),
        "end": r.end.to_string(),
        "report_day": r.report_day.to_string(),
        "running": r.running,
        "registrations": r.registrations.iter().map(|f| json!({
            "list": f.list.map(|l| l.key()),
            "model": if f.model.is_empty() { Value::Null } else { json!(f.model) },
            "new": f.new,
            "renewed": f.renewed,
            "in_force": f.in_force,
            "expired": f.expired,
            "suspended": f.suspended,
        })).collect::<Vec<_>>(),
        "applications": {
            "submitted": r.submitted,
            "by_state": r.applications.iter().map(|(state, ismap, liu)| json!({
                "state": state.key(),
                "ismap": ismap,
                "liu": liu,
            })).collect::<Vec<_>>(),
        },
        "decisions": {
            "registered": r.decisions.registered,
            "rejected": r.decisions.rejected,
            "withdrawn": r.decisions.withdrawn,
        },
        "review_days": {
            "method": "nearest_rank",
            "count": r.durations.count,
            "median": r.durations.median_days,
            "p90": r.durations.p90_days,
            "max": r.durations.max_days,
        },
        "questions": {
            "asked": r.questions.asked,
            "answered": r.questions.answered,
            "answered_late": r.questions.answered_late,
            "open": r.questions.open,
            "open_overdue": r.questions.open_overdue,
        },
        "interim_measures": {
            "notified": r.interim.notified,
            "open": r.interim.open,
            "overdue": r.interim.overdue,
            "reported": r.interim.reported,
            "closed": r.interim.closed,
        },
        "doubts": r.doubts.as_deref().map(by_state),
        "inquiries": r.inquiries.as_deref().map(by_state),
        "pre_applications": by_state(&r.pre_applications),
        "impact_assessments": {
            "by_state": by_state(&r.assessments),
            "approved_in_fy": r.assessments_approved,
        },
        "months": r.months.iter().map(|m| json!({
            "month": m.month.format("%Y-%m").to_string(),
            "submitted": m.submitted,
            "decided": m.decided,
        })).collect::<Vec<_>>(),
        "trend": r.trend.iter().map(|y| json!({
            "fy": y.fy,
            "ismap": y.ismap,
            "liu": y.liu,
        })).collect::<Vec<_>>(),
    })
}

/// The secretariat's operations report of one fiscal year (April–March).
#[utoipa::path(get, path = "/api/v1/operations-report", tag = "operations-report",
    params(("fy" = Option<i32>, Query, description = "Fiscal year (2020 to the running one; default: the running one)")),
    responses(
        (status = 200, description = "The report: registrations, applications, review days (nearest-rank median and 90th percentile), questions, interim measures, doubts, inquiries, ISMAP-LIU pre-applications and assessments, months, trend"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn get_operations_report(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, ApiError> {
    let report = load(&state, &ctx).await?;
    Ok(json_response(&report_json(&report)))
}
