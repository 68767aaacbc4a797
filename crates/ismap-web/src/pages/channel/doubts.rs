//! Doubts (疑義): an agency shares a doubt about a service it uses (a
//! portal service or one named in words; description; attachment) with the
//! secretariat, which may refer it to IPA or the committee (each then sees
//! it and adds notes), answers it, and closes it with an outcome the agency
//! sees. Notes are between the secretariat and the referred bodies; the
//! agency sees the answer and the outcome (this system's choice: a referred
//! body's working remarks are not an answer to the agency).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ismap_domain::Role;
use ismap_domain::channel::{DoubtTransition, MAX_TEXT, doubt_moves};
use ismap_store::doubts::{self as store, Doubt, NewDoubt, NoteBy, Scope};

use super::{
    FileView, ServiceOption, StepView, after_move, attachment_into, chosen_service, files_of,
    history, read_upload, service_options, text_field, visible,
};
use crate::AppState;
use crate::audit_ops::actor;
use crate::auth::Ctx;
use crate::error::{Failure, PageError};
use crate::pages::engagements::see_other;
use crate::pages::render;
use crate::policy::{
    ChannelPart, Principal, allows_channel_list, channel_agency, channel_secretariat, signed_in,
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

#[derive(Template)]
#[template(path = "channel_doubts.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    can_share: bool,
}

fn scope_of(p: &Principal) -> Option<Scope> {
    if let Some(agency) = channel_agency(Some(p)) {
        Some(Scope::Agency(agency))
    } else if channel_secretariat(Some(p)) {
        Some(Scope::All)
    } else if p.has(Role::Reviewer) {
        Some(Scope::ReferredToIpa)
    } else if p.has(Role::CommitteeMember) {
        Some(Scope::ReferredToCommittee)
    } else {
        None
    }
}

/// `GET /doubts`: the agency's own, all for the secretariat, those referred
/// to IPA or the committee for them.
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let p = signed_in(ctx.principal.as_ref())?;
    if !allows_channel_list(Some(p), ChannelPart::Doubts) {
        return Err(Failure::Forbidden.into());
    }
    let scope = scope_of(p).ok_or(Failure::Forbidden)?;
    let frame = Frame::new(&ctx);
    let rows = store::list(&state.db, scope)
        .await?
        .into_iter()
        .map(|d| Row {
            id: d.id,
            agency: frame.pick(&d.agency_name, &d.agency_name_en).to_owned(),
            state_key: d.state.key(),
            state: frame.t(&format!("channel-doubt-state-{}", d.state.key())),
            created: frame.when(&d.created_at),
            service: d.service_name,
        })
        .collect();
    render(&ListPage {
        can_share: channel_agency(Some(p)).is_some(),
        frame,
        rows,
    })
}

// ------------------------------------------------------------ the form

#[derive(Default)]
pub struct Typed {
    service_id: String,
    service_name: String,
    description: String,
}

#[derive(Template)]
#[template(path = "channel_doubt_new.html")]
struct NewPage {
    frame: Frame,
    services: Vec<ServiceOption>,
    typed: Typed,
    errors: Vec<String>,
    max_upload: String,
}

impl NewPage {
    fn is_service(&self, id: &i64) -> bool {
        self.typed.service_id == id.to_string()
    }
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    typed: Typed,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let page = NewPage {
        frame: Frame::new(ctx),
        services: service_options(state).await?,
        max_upload: format!("{} MB", state.config.max_upload_bytes / (1024 * 1024)),
        typed,
        errors,
    };
    Ok((status, render(&page)?).into_response())
}

fn require_agency(ctx: &Ctx) -> Result<i64, Failure> {
    let p = signed_in(ctx.principal.as_ref())?;
    channel_agency(Some(p)).ok_or(Failure::Forbidden)
}

/// `GET /doubts/new`: an agency person's form.
pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    require_agency(&ctx)?;
    new_page(&state, &ctx, Typed::default(), Vec::new(), StatusCode::OK).await
}

/// `POST /doubts` (multipart): shares the doubt; the secretariat is told.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, PageError> {
    let agency = require_agency(&ctx)?;
    let frame = Frame::new(&ctx);
    let upload = read_upload(&state, ctx.lang, request).await?;
    let typed = Typed {
        service_id: upload.text("service_id").to_owned(),
        service_name: upload.text("service_name").to_owned(),
        description: upload.text("description").to_owned(),
    };
    let mut errors = Vec::new();
    let service = chosen_service(&state, &frame, &typed.service_id, &typed.service_name)
        .await
        .map_err(|e| errors.push(e))
        .ok();
    let description = text_field(
        &frame,
        "channel-field-description",
        &typed.description,
        MAX_TEXT,
        true,
    )
    .map_err(|e| errors.push(e))
    .unwrap_or_default();
    let file = attachment_into(&state, &frame, &upload, &mut errors);
    let Some((service_id, service_name)) = service.filter(|_| errors.is_empty()) else {
        return new_page(
            &state,
            &ctx,
            typed,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let master = crate::uploads::master_key(&state)?;
    let doubt = store::submit(
        &state.db,
        master,
        &actor(ctx.principal.as_ref())?,
        NewDoubt {
            agency_id: agency,
            service_id,
            service_name: &service_name,
            description: &description,
            files: file
                .as_ref()
                .map(|f| f.new_file(agency))
                .into_iter()
                .collect(),
        },
    )
    .await?;
    Ok(see_other(&headers, &format!("/doubts/{}", doubt.id)))
}

// ------------------------------------------------------------ one doubt

pub struct NoteView {
    pub by: String,
    pub author: String,
    pub when: When,
    pub note: String,
}

pub struct MoveView {
    pub key: &'static str,
    pub label: String,
    pub text_label: String,
    pub needs_text: bool,
}

#[derive(Template)]
#[template(path = "channel_doubt.html")]
struct ShowPage {
    frame: Frame,
    d: Doubt,
    agency: String,
    state_label: String,
    files: Vec<FileView>,
    notes: Vec<NoteView>,
    sees_notes: bool,
    can_note: bool,
    moves: Vec<MoveView>,
    history: Vec<StepView>,
    problem: Option<String>,
    typed_text: String,
}

async fn load(state: &AppState, ctx: &Ctx, id: i64) -> Result<Doubt, Failure> {
    let get = store::get(&state.db, id);
    visible(ctx, ChannelPart::Doubts, "doubt", id, get, |d| {
        (d.agency_id, (d.referred_ipa, d.referred_committee))
    })
    .await
}

/// Who writes a note here: the secretariat, or a body the doubt was
/// referred to.
fn note_by(p: Option<&Principal>, d: &Doubt) -> Option<NoteBy> {
    let p = p?;
    if channel_secretariat(Some(p)) {
        Some(NoteBy::Secretariat)
    } else if d.referred_ipa && p.has(Role::Reviewer) {
        Some(NoteBy::Ipa)
    } else if d.referred_committee && p.has(Role::CommitteeMember) {
        Some(NoteBy::Committee)
    } else {
        None
    }
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    d: Doubt,
    problem: Option<String>,
    typed_text: String,
    status: StatusCode,
) -> Result<Response, PageError> {
    let frame = Frame::new(ctx);
    let p = ctx.principal.as_ref();
    let by = note_by(p, &d);
    let notes = if by.is_some() {
        store::notes(&state.db, d.id)
            .await?
            .into_iter()
            .map(|n| NoteView {
                by: frame.t(&format!("channel-note-by-{}", n.by)),
                author: n.author.unwrap_or_default(),
                when: frame.when(&n.created_at),
                note: n.note,
            })
            .collect()
    } else {
        Vec::new()
    };
    let moves = if channel_secretariat(p) {
        doubt_moves(d.state)
            .into_iter()
            .map(|t| MoveView {
                key: t.key(),
                label: frame.t(&format!("channel-doubt-do-{}", t.key().replace('_', "-"))),
                text_label: frame.t(match t {
                    DoubtTransition::Answer => "channel-field-answer",
                    DoubtTransition::Close => "channel-field-outcome",
                    _ => "channel-field-referral",
                }),
                needs_text: matches!(t, DoubtTransition::Answer | DoubtTransition::Close),
            })
            .collect()
    } else {
        Vec::new()
    };
    let agency_sees = channel_agency(p) == Some(d.agency_id);
    // The agency's history leaves out the notes between the bodies.
    let mut steps = history(state, &frame, "doubt", d.id).await?;
    if by.is_none() {
        let note_step = frame.t("channel-step-doubt-note");
        steps.retain(|s| s.what != note_step);
        if agency_sees {
            // Referral reasons are the secretariat's working notes.
            let referrals = [
                frame.t("channel-step-doubt-refer-ipa"),
                frame.t("channel-step-doubt-refer-committee"),
            ];
            for s in steps.iter_mut() {
                if referrals.contains(&s.what) {
                    s.detail.clear();
                }
            }
        }
    }
    let page = ShowPage {
        agency: frame.pick(&d.agency_name, &d.agency_name_en).to_owned(),
        state_label: frame.t(&format!("channel-doubt-state-{}", d.state.key())),
        files: files_of(state, "doubt", d.id, &format!("/doubts/{}", d.id)).await?,
        sees_notes: by.is_some(),
        can_note: by.is_some(),
        notes,
        moves,
        history: steps,
        problem,
        typed_text,
        d,
        frame,
    };
    Ok((status, render(&page)?).into_response())
}

/// `GET /doubts/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let d = load(&state, &ctx, id).await?;
    show_page(&state, &ctx, d, None, String::new(), StatusCode::OK).await
}

#[derive(serde::Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    transition: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    version: String,
}

/// `POST /doubts/{id}/transitions`: refer to IPA / the committee, answer,
/// close (the secretariat).
pub async fn transition(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<MoveForm>,
) -> Result<Response, PageError> {
    let d = load(&state, &ctx, id).await?;
    if !channel_secretariat(ctx.principal.as_ref()) {
        return Err(Failure::Forbidden.into());
    }
    let frame = Frame::new(&ctx);
    let typed = form.text.clone();
    // A known move first, then its text: the first refusal is shown.
    let checked = DoubtTransition::from_key(&form.transition)
        .ok_or_else(|| frame.t("channel-refused-transition"))
        .and_then(|t| {
            let needs = matches!(t, DoubtTransition::Answer | DoubtTransition::Close);
            let field = match t {
                DoubtTransition::Answer => "channel-field-answer",
                DoubtTransition::Close => "channel-field-outcome",
                _ => "channel-field-referral",
            };
            Ok((t, text_field(&frame, field, &form.text, MAX_TEXT, needs)?))
        });
    let (t, text) = match checked {
        Ok(checked) => checked,
        Err(m) => {
            return show_page(
                &state,
                &ctx,
                d,
                Some(m),
                typed,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let stale = super::stale(&form.version, d.version);
    if stale || !doubt_moves(d.state).contains(&t) {
        let m = frame.t("channel-refused-moved");
        return show_page(&state, &ctx, d, Some(m), typed, StatusCode::CONFLICT).await;
    }
    let done = store::transition(&state.db, &actor(ctx.principal.as_ref())?, &d, t, &text).await;
    let to = see_other(&headers, &format!("/doubts/{id}"));
    let m = frame.t("channel-refused-moved");
    after_move(done, to, store::get(&state.db, id), |fresh| {
        show_page(&state, &ctx, fresh, Some(m), typed, StatusCode::CONFLICT)
    })
    .await
}

#[derive(serde::Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    note: String,
}

/// `POST /doubts/{id}/notes`: a note of the secretariat or of a body the
/// doubt was referred to.
pub async fn add_note(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
) -> Result<Response, PageError> {
    let d = load(&state, &ctx, id).await?;
    let Some(by) = note_by(ctx.principal.as_ref(), &d) else {
        return Err(Failure::Forbidden.into());
    };
    let frame = Frame::new(&ctx);
    let note = match text_field(&frame, "channel-field-note", &form.note, MAX_TEXT, true) {
        Ok(t) => t,
        Err(m) => {
            return show_page(
                &state,
                &ctx,
                d,
                Some(m),
                form.note.clone(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    store::add_note(&state.db, &actor(ctx.principal.as_ref())?, &d, by, &note).await?;
    Ok(see_other(&headers, &format!("/doubts/{id}#notes")))
}

/// `GET /doubts/{id}/files/{file}`: the agency's attachment.
pub async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, file)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let d = load(&state, &ctx, id).await?;
    super::download(&state, "doubt", d.id, file).await
}
