//! Status requests (申請状況の問合せ): an agency asks the secretariat for the
//! application status of a service (a portal service or one named in
//! words); the secretariat's answer form is prefilled from the portal's
//! records — the service's applications (state, dates), registrations and
//! ISMAP-LIU pre-applications — and the secretariat edits it, keeping what
//! the rules allow it to disclose (seed 000: 「可能な限り状況を開示する」),
//! before the agency sees it.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ismap_domain::channel::{MAX_TEXT, StatusRequestState};
use ismap_store::status_requests::{self as store, StatusRequest};

use super::{
    ServiceOption, StepView, after_move, chosen_service, history, service_options, text_field,
    visible,
};
use crate::AppState;
use crate::audit_ops::actor;
use crate::auth::Ctx;
use crate::error::{Failure, PageError};
use crate::pages::engagements::see_other;
use crate::pages::render;
use crate::policy::{
    ChannelPart, allows_channel_list, channel_agency, channel_secretariat, signed_in,
};
use crate::text::{Frame, When};

pub struct Row {
    pub id: i64,
    pub service: String,
    pub agency: String,
    pub state_key: &'static str,
    pub state: String,
    pub created: When,
}

#[derive(Default, serde::Deserialize)]
pub struct Typed {
    #[serde(default)]
    service_id: String,
    #[serde(default)]
    service_name: String,
    #[serde(default)]
    question: String,
}

#[derive(Template)]
#[template(path = "channel_status_requests.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    can_ask: bool,
    services: Vec<ServiceOption>,
    typed: Typed,
    errors: Vec<String>,
}

impl ListPage {
    fn is_service(&self, id: &i64) -> bool {
        self.typed.service_id == id.to_string()
    }
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    typed: Typed,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let p = signed_in(ctx.principal.as_ref())?;
    let frame = Frame::new(ctx);
    let agency = channel_agency(Some(p));
    let rows = store::list(&state.db, agency)
        .await?
        .into_iter()
        .map(|r| Row {
            id: r.id,
            agency: frame.pick(&r.agency_name, &r.agency_name_en).to_owned(),
            state_key: r.state.key(),
            state: frame.t(&format!("channel-status-state-{}", r.state.key())),
            created: frame.when(&r.created_at),
            service: r.service_name,
        })
        .collect();
    let page = ListPage {
        can_ask: agency.is_some(),
        services: if agency.is_some() {
            service_options(state).await?
        } else {
            Vec::new()
        },
        frame,
        rows,
        typed,
        errors,
    };
    Ok((status, render(&page)?).into_response())
}

/// `GET /status-requests`: the agency's requests and the form to ask; all
/// requests for the secretariat.
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let p = signed_in(ctx.principal.as_ref())?;
    if !allows_channel_list(Some(p), ChannelPart::StatusRequests) {
        return Err(Failure::Forbidden.into());
    }
    list_page(&state, &ctx, Typed::default(), Vec::new(), StatusCode::OK).await
}

/// `POST /status-requests`: an agency person asks; the secretariat is told.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(typed): Form<Typed>,
) -> Result<Response, PageError> {
    let p = signed_in(ctx.principal.as_ref())?;
    let Some(agency) = channel_agency(Some(p)) else {
        return Err(Failure::Forbidden.into());
    };
    let frame = Frame::new(&ctx);
    let mut errors = Vec::new();
    let service = chosen_service(&state, &frame, &typed.service_id, &typed.service_name)
        .await
        .map_err(|e| errors.push(e))
        .ok();
    let question = text_field(
        &frame,
        "channel-field-question",
        &typed.question,
        MAX_TEXT,
        false,
    )
    .map_err(|e| errors.push(e))
    .unwrap_or_default();
    let Some((service_id, service_name)) = service.filter(|_| errors.is_empty()) else {
        return list_page(
            &state,
            &ctx,
            typed,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let r = store::submit(
        &state.db,
        &actor(Some(p))?,
        agency,
        service_id,
        &service_name,
        &question,
    )
    .await?;
    Ok(see_other(&headers, &format!("/status-requests/{}", r.id)))
}

// ------------------------------------------------------------ one request

#[derive(Template)]
#[template(path = "channel_status_request.html")]
struct ShowPage {
    frame: Frame,
    r: StatusRequest,
    agency: String,
    state_label: String,
    /// The secretariat's answer form (open requests): prefilled or as typed.
    draft: Option<String>,
    history: Vec<StepView>,
    problem: Option<String>,
}

async fn load(state: &AppState, ctx: &Ctx, id: i64) -> Result<StatusRequest, Failure> {
    let get = store::get(&state.db, id);
    let part = ChannelPart::StatusRequests;
    visible(ctx, part, "status request", id, get, |r| {
        (r.agency_id, (false, false))
    })
    .await
}

/// What the portal's records say about the service, one fact per line, in
/// the secretariat's language: its applications (state, dates), its
/// registrations, its ISMAP-LIU pre-applications.
pub async fn prefill(
    state: &AppState,
    frame: &Frame,
    r: &StatusRequest,
) -> Result<String, Failure> {
    let service_id = match r.service_id {
        Some(id) => Some(id),
        None => {
            let wanted = r.service_name.trim().to_lowercase();
            ismap_store::services::list(&state.db, None)
                .await?
                .into_iter()
                .find(|s| s.name.trim().to_lowercase() == wanted)
                .map(|s| s.id)
        }
    };
    let mut lines = vec![frame.tr(
        "channel-status-prefill-intro",
        &[("service", r.service_name.clone())],
    )];
    let Some(service_id) = service_id else {
        lines.push(frame.t("channel-status-prefill-none"));
        return Ok(lines.join("\n"));
    };
    let mut found = false;
    for a in ismap_store::applications::list(&state.db, None)
        .await?
        .into_iter()
        .filter(|a| a.service_id == service_id)
    {
        found = true;
        lines.push(frame.tr(
            "channel-status-fact-application",
            &[
                ("list", frame.t(&format!("web-list-{}", a.list.key()))),
                (
                    "state",
                    frame.t(&format!("web-app-state-{}", a.state.key())),
                ),
                ("submitted", frame.day(&a.submitted_at)),
                ("updated", frame.day(&a.updated_at)),
            ],
        ));
    }
    for g in ismap_store::registrations::of_service(&state.db, service_id).await? {
        found = true;
        lines.push(frame.tr(
            "channel-status-fact-registration",
            &[
                ("number", g.number.clone()),
                ("list", frame.t(&format!("web-list-{}", g.list.key()))),
                ("from", frame.day(&g.valid_from)),
                ("until", frame.day(&g.valid_until)),
                (
                    "suspended",
                    if g.suspended_at.is_some() {
                        frame.t("channel-status-suspended")
                    } else {
                        String::new()
                    },
                ),
            ],
        ));
    }
    for x in ismap_store::pre_applications::list(&state.db, None)
        .await?
        .into_iter()
        .filter(|x| x.service_id == service_id)
    {
        found = true;
        lines.push(frame.tr(
            "channel-status-fact-pre-application",
            &[
                ("state", frame.t(&format!("pre-state-{}", x.state.key()))),
                ("submitted", frame.day(&x.submitted_at)),
            ],
        ));
    }
    if !found {
        lines.push(frame.t("channel-status-prefill-none"));
    }
    Ok(lines.join("\n"))
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    r: StatusRequest,
    draft: Option<String>,
    problem: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let frame = Frame::new(ctx);
    let draft =
        if r.state == StatusRequestState::Open && channel_secretariat(ctx.principal.as_ref()) {
            match draft {
                Some(d) => Some(d),
                None => Some(prefill(state, &frame, &r).await?),
            }
        } else {
            None
        };
    let page = ShowPage {
        agency: frame.pick(&r.agency_name, &r.agency_name_en).to_owned(),
        state_label: frame.t(&format!("channel-status-state-{}", r.state.key())),
        history: history(state, &frame, "status_request", r.id).await?,
        draft,
        problem,
        r,
        frame,
    };
    Ok((status, render(&page)?).into_response())
}

/// `GET /status-requests/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let r = load(&state, &ctx, id).await?;
    show_page(&state, &ctx, r, None, None, StatusCode::OK).await
}

#[derive(serde::Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    answer: String,
}

/// `POST /status-requests/{id}/answer`: the secretariat discloses its
/// (edited) answer, once; the agency is told.
pub async fn answer(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, PageError> {
    let r = load(&state, &ctx, id).await?;
    if !channel_secretariat(ctx.principal.as_ref()) {
        return Err(Failure::Forbidden.into());
    }
    let frame = Frame::new(&ctx);
    let text = match text_field(&frame, "channel-field-answer", &form.answer, MAX_TEXT, true) {
        Ok(t) => t,
        Err(m) => {
            return show_page(
                &state,
                &ctx,
                r,
                Some(form.answer.clone()),
                Some(m),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    if r.state != StatusRequestState::Open {
        let m = frame.t("channel-refused-moved");
        return show_page(&state, &ctx, r, None, Some(m), StatusCode::CONFLICT).await;
    }
    let done = store::answer(&state.db, &actor(ctx.principal.as_ref())?, &r, &text).await;
    let to = see_other(&headers, &format!("/status-requests/{id}"));
    let m = frame.t("channel-refused-moved");
    after_move(done, to, store::get(&state.db, id), |fresh| {
        show_page(&state, &ctx, fresh, None, Some(m), StatusCode::CONFLICT)
    })
    .await
}
