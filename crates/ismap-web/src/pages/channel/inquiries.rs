//! Inquiries (調査): the secretariat opens one to an agency — optionally
//! about an interim measure (`/inquiries/new?interim_measure=ID` prefills
//! the agency and the subject) — with questions the agency answers (due
//! dates, attachments), follow-ups, and a close with a conclusion. The
//! question thread is the shared partial `channel_question.html`; the
//! due-date rule is `ismap_domain::channel::due_date`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use ismap_domain::OrgKind;
use ismap_domain::channel::{
    DueDateError, InquiryState, MAX_NAME, MAX_QUESTIONS, MAX_TEXT, due_date, overdue,
    questions_from_lines,
};
use ismap_store::inquiries::{self as store, Inquiry, NewInquiry};

use super::{
    FileView, StepView, after_move, attachment, files_of, history, read_upload, text_field, visible,
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
    pub subject: String,
    pub agency: String,
    pub state_key: &'static str,
    pub state: String,
    pub created: When,
}

#[derive(Template)]
#[template(path = "channel_inquiries.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    is_secretariat: bool,
}

/// `GET /inquiries`: the agency's own inquiries, or all for the secretariat.
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let p = signed_in(ctx.principal.as_ref())?;
    if !allows_channel_list(Some(p), ChannelPart::Inquiries) {
        return Err(Failure::Forbidden.into());
    }
    let frame = Frame::new(&ctx);
    let scope = channel_agency(Some(p));
    let rows = store::list(&state.db, scope)
        .await?
        .into_iter()
        .map(|x| Row {
            id: x.id,
            agency: frame.pick(&x.agency_name, &x.agency_name_en).to_owned(),
            state_key: x.state.key(),
            state: frame.t(&format!("channel-inquiry-state-{}", x.state.key())),
            created: frame.when(&x.created_at),
            subject: x.subject,
        })
        .collect();
    render(&ListPage {
        is_secretariat: channel_secretariat(Some(p)),
        frame,
        rows,
    })
}

// ------------------------------------------------------------ the form

pub struct AgencyOption {
    pub id: i64,
    pub name: String,
}

#[derive(Template)]
#[template(path = "channel_inquiry_new.html")]
struct NewPage {
    frame: Frame,
    agencies: Vec<AgencyOption>,
    typed: Typed,
    errors: Vec<String>,
    today: String,
}

#[derive(Default, serde::Deserialize)]
pub struct Typed {
    #[serde(default)]
    agency_id: String,
    #[serde(default)]
    interim_measure_id: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    questions: String,
    #[serde(default)]
    due_date: String,
}

impl NewPage {
    fn is_agency(&self, id: &i64) -> bool {
        self.typed.agency_id == id.to_string()
    }
}

async fn agencies(state: &AppState, frame: &Frame) -> Result<Vec<AgencyOption>, Failure> {
    Ok(ismap_store::orgs::list(&state.db)
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Agency)
        .map(|o| AgencyOption {
            id: o.id,
            name: frame.pick(&o.name, &o.name_en).to_owned(),
        })
        .collect())
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    typed: Typed,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let frame = Frame::new(ctx);
    let page = NewPage {
        agencies: agencies(state, &frame).await?,
        today: state.clock.today().to_string(),
        frame,
        typed,
        errors,
    };
    Ok((status, render(&page)?).into_response())
}

fn require_secretariat(ctx: &Ctx) -> Result<(), Failure> {
    let p = signed_in(ctx.principal.as_ref())?;
    if channel_secretariat(Some(p)) {
        Ok(())
    } else {
        Err(Failure::Forbidden)
    }
}

#[derive(serde::Deserialize)]
pub struct NewQuery {
    interim_measure: Option<i64>,
}

/// `GET /inquiries/new[?interim_measure=ID]`: the secretariat's form; an
/// interim measure prefills its agency and the subject.
pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::error::Query(query): crate::error::Query<NewQuery>,
) -> Result<Response, PageError> {
    require_secretariat(&ctx)?;
    let frame = Frame::new(&ctx);
    let mut typed = Typed {
        due_date: (state.clock.today() + chrono::Duration::days(14)).to_string(),
        ..Typed::default()
    };
    if let Some(id) = query.interim_measure {
        let (agency, service) = store::interim_measure(&state.db, id)
            .await?
            .ok_or_else(|| crate::policy::hidden("interim measure", id))?;
        typed.agency_id = agency.to_string();
        typed.interim_measure_id = id.to_string();
        typed.subject = frame.tr("channel-inquiry-subject-interim", &[("service", service)]);
    }
    new_page(&state, &ctx, typed, Vec::new(), StatusCode::OK).await
}

/// Questions and their due date as typed, checked; errors in the reader's
/// language.
fn checked_questions(
    frame: &Frame,
    today: NaiveDate,
    questions: &str,
    due: &str,
    errors: &mut Vec<String>,
) -> Vec<(String, NaiveDate)> {
    let lines = questions_from_lines(questions);
    if lines.is_empty() {
        errors.push(frame.t("channel-refused-no-question"));
    } else if lines.len() > MAX_QUESTIONS {
        errors.push(frame.tr(
            "channel-refused-too-many-questions",
            &[("max", MAX_QUESTIONS.to_string())],
        ));
    }
    for line in &lines {
        if let Err(e) = text_field(frame, "channel-field-question", line, MAX_TEXT, true) {
            errors.push(e);
            break;
        }
    }
    match due_date(due, today) {
        Ok(d) => lines.into_iter().map(|q| (q, d)).collect(),
        Err(e) => {
            errors.push(frame.t(&format!("channel-refused-due-{}", due_key(e))));
            Vec::new()
        }
    }
}

fn due_key(e: DueDateError) -> &'static str {
    match e {
        DueDateError::Malformed => "malformed",
        DueDateError::Past => "past",
        DueDateError::TooFar => "too-far",
    }
}

/// `POST /inquiries`: opens the inquiry and tells the agency.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(typed): Form<Typed>,
) -> Result<Response, PageError> {
    require_secretariat(&ctx)?;
    let frame = Frame::new(&ctx);
    let mut errors = Vec::new();
    let agency = match typed.agency_id.trim().parse::<i64>() {
        Ok(id) => match ismap_store::orgs::get(&state.db, id).await {
            Ok(o) if o.kind == OrgKind::Agency => Some(o),
            _ => None,
        },
        Err(_) => None,
    };
    if agency.is_none() {
        errors.push(frame.t("channel-refused-agency"));
    }
    let interim = match typed.interim_measure_id.trim() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(id) => match store::interim_measure(&state.db, id).await? {
                Some((a, _)) if Some(a) == agency.as_ref().map(|o| o.id) => Some(id),
                _ => {
                    errors.push(frame.t("channel-refused-interim"));
                    None
                }
            },
            Err(_) => {
                errors.push(frame.t("channel-refused-interim"));
                None
            }
        },
    };
    let subject = text_field(
        &frame,
        "channel-field-subject",
        &typed.subject,
        MAX_NAME,
        true,
    )
    .map_err(|e| errors.push(e))
    .unwrap_or_default();
    let body = text_field(&frame, "channel-field-body", &typed.body, MAX_TEXT, false)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    let questions = checked_questions(
        &frame,
        state.clock.today(),
        &typed.questions,
        &typed.due_date,
        &mut errors,
    );
    let Some(agency) = agency.filter(|_| errors.is_empty()) else {
        return new_page(
            &state,
            &ctx,
            typed,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let opened = store::open(
        &state.db,
        &actor(ctx.principal.as_ref())?,
        NewInquiry {
            agency_id: agency.id,
            interim_measure_id: interim,
            subject: &subject,
            body: &body,
            questions: &questions,
        },
    )
    .await?;
    Ok(see_other(&headers, &format!("/inquiries/{}", opened.id)))
}

// ------------------------------------------------------------ one inquiry

pub struct QuestionView {
    pub id: i64,
    pub question: String,
    pub due: String,
    pub overdue: bool,
    pub asked: When,
    pub answer: Option<String>,
    pub answered: When,
    pub answered_by: String,
    pub files: Vec<FileView>,
    /// What was typed in a refused answer to this question.
    pub typed_answer: String,
}

#[derive(Template)]
#[template(path = "channel_inquiry.html")]
struct ShowPage {
    frame: Frame,
    x: Inquiry,
    agency: String,
    state_label: String,
    questions: Vec<QuestionView>,
    history: Vec<StepView>,
    can_answer: bool,
    is_secretariat: bool,
    problem: Option<String>,
    /// What was typed in a refused form: (form, text).
    typed: Vec<(String, String)>,
    today: String,
    /// Where the question thread's answer forms post.
    action_base: String,
}

impl ShowPage {
    fn typed(&self, form: &str) -> &str {
        self.typed
            .iter()
            .find(|(f, _)| f == form)
            .map_or("", |(_, t)| t.as_str())
    }
}

async fn load(state: &AppState, ctx: &Ctx, id: i64) -> Result<Inquiry, Failure> {
    let get = store::get(&state.db, id);
    let part = ChannelPart::Inquiries;
    visible(ctx, part, "inquiry", id, get, |x| {
        (x.agency_id, (false, false))
    })
    .await
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    x: Inquiry,
    problem: Option<String>,
    typed: Vec<(String, String)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let frame = Frame::new(ctx);
    let today = state.clock.today();
    let base = format!("/inquiries/{}", x.id);
    let files = files_of(state, "inquiry", x.id, &base).await?;
    let mut questions = Vec::new();
    for q in store::questions(&state.db, x.id).await? {
        let form = format!("answer-{}", q.id);
        questions.push(QuestionView {
            typed_answer: typed
                .iter()
                .find(|(f, _)| *f == form)
                .map(|(_, t)| t.clone())
                .unwrap_or_default(),
            overdue: overdue(q.due_date, q.answer.is_some(), today),
            due: frame.day(&q.due_date),
            asked: frame.when(&q.asked_at),
            answered: frame.when(q.answered_at.as_deref().unwrap_or("")),
            answered_by: q.answered_by.clone().unwrap_or_default(),
            files: files
                .iter()
                .filter(|f| f.question_id == Some(q.id))
                .map(|f| FileView {
                    id: f.id,
                    name: f.name.clone(),
                    size: f.size,
                    question_id: f.question_id,
                    href: f.href.clone(),
                })
                .collect(),
            id: q.id,
            question: q.question,
            answer: q.answer,
        });
    }
    let p = ctx.principal.as_ref();
    let page = ShowPage {
        agency: frame.pick(&x.agency_name, &x.agency_name_en).to_owned(),
        state_label: frame.t(&format!("channel-inquiry-state-{}", x.state.key())),
        history: history(state, &frame, "inquiry", x.id).await?,
        can_answer: x.state == InquiryState::Open && channel_agency(p) == Some(x.agency_id),
        is_secretariat: channel_secretariat(p),
        today: today.to_string(),
        action_base: base,
        questions,
        problem,
        typed,
        x,
        frame,
    };
    Ok((status, render(&page)?).into_response())
}

/// `GET /inquiries/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let x = load(&state, &ctx, id).await?;
    show_page(&state, &ctx, x, None, Vec::new(), StatusCode::OK).await
}

#[derive(serde::Deserialize)]
pub struct AskForm {
    #[serde(default)]
    questions: String,
    #[serde(default)]
    due_date: String,
}

/// `POST /inquiries/{id}/questions`: the secretariat's follow-up questions.
pub async fn ask(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<AskForm>,
) -> Result<Response, PageError> {
    let x = load(&state, &ctx, id).await?;
    require_secretariat(&ctx)?;
    let frame = Frame::new(&ctx);
    let typed = vec![
        ("questions".to_owned(), form.questions.clone()),
        ("due_date".to_owned(), form.due_date.clone()),
    ];
    if x.state == InquiryState::Closed {
        let m = frame.t("channel-refused-closed");
        return show_page(&state, &ctx, x, Some(m), typed, StatusCode::CONFLICT).await;
    }
    let mut errors = Vec::new();
    let questions = checked_questions(
        &frame,
        state.clock.today(),
        &form.questions,
        &form.due_date,
        &mut errors,
    );
    if !errors.is_empty() {
        let m = errors.join(" ");
        return show_page(
            &state,
            &ctx,
            x,
            Some(m),
            typed,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let done = store::ask(&state.db, &actor(ctx.principal.as_ref())?, &x, &questions).await;
    let to = see_other(&headers, &format!("/inquiries/{id}"));
    let m = frame.t("channel-refused-moved");
    after_move(done, to, store::get(&state.db, id), |fresh| {
        show_page(&state, &ctx, fresh, Some(m), typed, StatusCode::CONFLICT)
    })
    .await
}

/// `POST /inquiries/{id}/questions/{question}` (multipart: `answer`,
/// optional `attachment`): the agency answers one question, once.
pub async fn answer(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((id, question)): Path<(i64, i64)>,
    request: Request,
) -> Result<Response, PageError> {
    let x = load(&state, &ctx, id).await?;
    let p = signed_in(ctx.principal.as_ref())?;
    if channel_agency(Some(p)) != Some(x.agency_id) {
        return Err(Failure::Forbidden.into());
    }
    let frame = Frame::new(&ctx);
    let upload = read_upload(&state, ctx.lang, request).await?;
    let form = format!("answer-{question}");
    let typed = vec![(form, upload.text("answer").to_owned())];
    // The answer's text first, then its file: the first refusal is shown.
    let checked = text_field(
        &frame,
        "channel-field-answer",
        upload.text("answer"),
        MAX_TEXT,
        true,
    )
    .and_then(|text| Ok((text, attachment(&state, &frame, &upload)?)));
    let (text, file) = match checked {
        Ok(checked) => checked,
        Err(m) => {
            return show_page(
                &state,
                &ctx,
                x,
                Some(m),
                typed,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let master = crate::uploads::master_key(&state)?;
    let done = store::answer(
        &state.db,
        master,
        &actor(Some(p))?,
        &x,
        question,
        &text,
        file.as_ref().map(|f| f.new_file(x.agency_id)),
    )
    .await;
    // htmx follows HX-Redirect with `location.href = …`: a URL that
    // differs from the page's only by its fragment merely scrolls, and
    // the answered form would stay on screen. The fragment is for plain
    // form posts (issue 15 browser journey).
    let to = if crate::pages::engagements::is_htmx(&headers) {
        see_other(&headers, &format!("/inquiries/{id}"))
    } else {
        see_other(&headers, &format!("/inquiries/{id}#q-{question}"))
    };
    let m = frame.t("channel-refused-answered");
    after_move(done, to, store::get(&state.db, id), |fresh| {
        show_page(&state, &ctx, fresh, Some(m), typed, StatusCode::CONFLICT)
    })
    .await
}

#[derive(serde::Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    conclusion: String,
    /// The version the page showed: a change since then is a conflict.
    #[serde(default)]
    version: String,
}

/// `POST /inquiries/{id}/close`: the secretariat closes it with its
/// conclusion. Two closes at once: one wins, the other gets 409.
pub async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<CloseForm>,
) -> Result<Response, PageError> {
    let x = load(&state, &ctx, id).await?;
    require_secretariat(&ctx)?;
    let frame = Frame::new(&ctx);
    let typed = vec![("conclusion".to_owned(), form.conclusion.clone())];
    let conclusion = match text_field(
        &frame,
        "channel-field-conclusion",
        &form.conclusion,
        MAX_TEXT,
        true,
    ) {
        Ok(t) => t,
        Err(m) => {
            return show_page(
                &state,
                &ctx,
                x,
                Some(m),
                typed,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let stale = super::stale(&form.version, x.version);
    if x.state == InquiryState::Closed || stale {
        let m = frame.t("channel-refused-moved");
        return show_page(&state, &ctx, x, Some(m), typed, StatusCode::CONFLICT).await;
    }
    let done = store::close(&state.db, &actor(ctx.principal.as_ref())?, &x, &conclusion).await;
    let to = see_other(&headers, &format!("/inquiries/{id}"));
    let m = frame.t("channel-refused-moved");
    after_move(done, to, store::get(&state.db, id), |fresh| {
        show_page(&state, &ctx, fresh, Some(m), typed, StatusCode::CONFLICT)
    })
    .await
}

/// `GET /inquiries/{id}/files/{file}`: an answer's attachment.
pub async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, file)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let x = load(&state, &ctx, id).await?;
    super::download(&state, "inquiry", x.id, file).await
}
