//! The procurement check (調達前確認, issue 15) for procurement systems:
//! `GET /api/v1/procurement-check?service_id=…|number=…&date=YYYY-MM-DD
//! [&assessment_id=…]`. For agencies' people and the secretariat (a session
//! or a bearer token). The answer is the check the register entry page
//! stores as a snapshot. There is no register entry here, so for an
//! ISMAP-LIU service the use's impact assessment is named by
//! `assessment_id` (the caller's own agency's assessment of the service:
//! else 400 naming the parameter); without it the answer offers the
//! caller's agency's approved assessments of the service as candidates and
//! the verdict says one must be named.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use ismap_i18n::{Lang, Messages};
use serde_json::json;

use super::Problem;
use crate::AppState;
use crate::auth::Ctx;
use crate::error::{ApiError, Failure, Query};
use crate::policy::{RegisterAction, allows_procurement_check, allows_register, hidden};

/// A 400 problem naming the parameter, in Japanese and English.
fn bad_request(parameter: &str, id: &str) -> Response {
    let m = Messages::get();
    let message = format!(
        "{} / {}",
        m.text(Lang::Ja, id, &[]),
        m.text(Lang::En, id, &[])
    );
    let body = json!({
        "type": "https://ismap.invalid/problems/invalid-parameter",
        "title": "Invalid parameter",
        "status": 400,
        "detail": message,
        "errors": [{ "field": parameter, "message": message }],
    });
    let mut response = (StatusCode::BAD_REQUEST, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

#[utoipa::path(get, path = "/api/v1/procurement-check", tag = "procurement",
    params(
        ("service_id" = Option<i64>, Query, description = "The portal's service id (or give `number`)"),
        ("number" = Option<String>, Query, description = "A registration number, e.g. C21-0008-2 (or give `service_id`)"),
        ("date" = Option<String>, Query, description = "The day checked, YYYY-MM-DD; today when left out"),
        ("assessment_id" = Option<i64>, Query, description = "For an ISMAP-LIU service: the caller's own agency's impact assessment of this service that covers the use being procured (any other id answers 400 naming assessment_id). Without it, `liu_assessment` is `missing` with the agency's approved assessments of the service as `candidates`, and the verdict is `name_liu_assessment`"),
    ),
    responses(
        (status = 200, description = "The check: lists, number, validity on the day and why, improvement plan, suspension, the ISMAP-LIU impact assessment for the use (`liu_assessment.state`: `not_needed`; `approved` — the named assessment is the caller's agency's, approved; `not_approved_yet` — named, still in progress; `missing` — none named, with `candidates`), special measures, verdict (`procure_from_list`, `needs_liu_assessment`, `name_liu_assessment`, `needs_ciso_or_interim`) and the rules applied with their provenance (`seed`: the agency's own assessment is needed for an ISMAP-LIU service; `this_system`: it is matched by the assessment named for the use)", content_type = "application/json"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn procurement_check(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    if !allows_procurement_check(Some(p)) {
        return Err(Failure::Forbidden.into());
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let (service_id, number, date) = (get("service_id"), get("number"), get("date"));
    let assessment_id = get("assessment_id");
    let day = match date {
        None => state.clock.today(),
        Some(text) => match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(day) => day,
            Err(_) => return Ok(bad_request("date", "register-api-date")),
        },
    };
    let service = match (service_id, number) {
        (Some(_), Some(_)) | (None, None) => {
            return Ok(bad_request("service_id", "register-api-service-or-number"));
        }
        (Some(text), None) => match text.parse::<i64>().ok().filter(|id| *id > 0) {
            Some(id) => id,
            None => return Ok(bad_request("service_id", "register-api-service-id")),
        },
        (None, Some(number)) => {
            if number.chars().count() > 40 || number.chars().any(|c| c.is_control()) {
                return Ok(bad_request("number", "register-api-number"));
            }
            match ismap_store::registrations::by_number(&state.db, &number).await {
                Ok(r) => r.service_id,
                Err(ismap_store::StoreError::NotFound(_)) => {
                    return Err(Failure::NotFound(format!("registration {number}")).into());
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    // A service is known to the caller when it is on a list (public); the
    // secretariat oversees every service.
    let on_a_list = !ismap_store::registrations::of_service(&state.db, service)
        .await?
        .is_empty();
    let secretariat = p.has(ismap_domain::Role::SecretariatOfficer);
    if !on_a_list && !secretariat {
        return Err(hidden("service", service).into());
    }
    let agency = allows_register(Some(p), RegisterAction::Edit, Some(p.organization.id))
        .then_some(p.organization.id);
    // The use's assessment: the caller's agency's own, of this service. A
    // missing id and another agency's answer the same 400 (nothing about
    // other agencies' assessments is revealed).
    let named = match assessment_id {
        None => None,
        Some(text) => {
            let own = match (text.parse::<i64>().ok().filter(|id| *id > 0), agency) {
                (Some(id), Some(agency)) => {
                    ismap_store::register::assessments_for(&state.db, agency, service)
                        .await?
                        .iter()
                        .any(|a| a.id == id)
                        .then_some(id)
                }
                _ => None,
            };
            match own {
                Some(id) => Some(id),
                None => return Ok(bad_request("assessment_id", "register-api-assessment-id")),
            }
        }
    };
    let result = match crate::pages::register::run_check(
        &state,
        Some(service),
        "",
        agency,
        named,
        day,
    )
    .await
    {
        Ok(result) => result,
        Err(Failure::NotFound(_)) => return Err(hidden("service", service).into()),
        Err(e) => return Err(e.into()),
    };
    let mut body = ismap_store::register::result_json(&result);
    body["agency_id"] = json!(agency);
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}
