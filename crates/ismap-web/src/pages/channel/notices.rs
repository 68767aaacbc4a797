//! Programme notices (お知らせ): the secretariat publishes a notice to every
//! agency (title, body, optional attachment — e.g. a major revision of the
//! control standard, seed 000 section 3); every agency person sees the list
//! with what they have not read; opening a notice records their read
//! receipt (once); the secretariat sees, per agency and person, who has read
//! it and who has not.

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ismap_domain::channel::{MAX_NAME, MAX_TEXT};
use ismap_store::StoreError;
use ismap_store::notices::{self as store, ProgrammeNotice};

use super::{FileView, attachment_into, files_of, read_upload, text_field};
use crate::AppState;
use crate::audit_ops::actor;
use crate::auth::Ctx;
use crate::error::{Failure, PageError};
use crate::pages::engagements::see_other;
use crate::pages::render;
use crate::policy::{
    channel_agency, channel_secretariat, require_visible, sees_notices, signed_in,
};
use crate::text::{Frame, When};

pub struct Row {
    pub id: i64,
    pub title: String,
    pub published: When,
    pub unread: bool,
    /// The secretariat: how many people read it.
    pub read_count: i64,
    pub read_label: String,
}

#[derive(Default)]
pub struct Typed {
    title: String,
    body: String,
}

#[derive(Template)]
#[template(path = "channel_notices.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    is_secretariat: bool,
    unread: i64,
    unread_label: String,
    typed: Typed,
    errors: Vec<String>,
    max_upload: String,
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
    let is_secretariat = channel_secretariat(Some(p));
    let mut rows = Vec::new();
    for (n, read_at) in store::list(&state.db, p.user.id).await? {
        let read_count = if is_secretariat {
            store::read_count(&state.db, n.id).await?
        } else {
            0
        };
        rows.push(Row {
            read_label: frame.tr("channel-read-count", &[("count", read_count.to_string())]),
            read_count,
            id: n.id,
            published: frame.when(&n.published_at),
            unread: !is_secretariat && read_at.is_none(),
            title: n.title,
        });
    }
    let unread = rows.iter().filter(|r| r.unread).count() as i64;
    let page = ListPage {
        unread_label: frame.tr("channel-unread-count", &[("count", unread.to_string())]),
        unread,
        max_upload: format!("{} MB", state.config.max_upload_bytes / (1024 * 1024)),
        is_secretariat,
        frame,
        rows,
        typed,
        errors,
    };
    Ok((status, render(&page)?).into_response())
}

/// `GET /notices`.
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let p = signed_in(ctx.principal.as_ref())?;
    if !sees_notices(Some(p)) {
        return Err(Failure::Forbidden.into());
    }
    list_page(&state, &ctx, Typed::default(), Vec::new(), StatusCode::OK).await
}

/// `POST /notices` (multipart: title, body, optional attachment): the
/// secretariat publishes; every agency person is told.
pub async fn publish(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, PageError> {
    let p = signed_in(ctx.principal.as_ref())?;
    if !channel_secretariat(Some(p)) {
        return Err(Failure::Forbidden.into());
    }
    let frame = Frame::new(&ctx);
    let upload = read_upload(&state, ctx.lang, request).await?;
    let typed = Typed {
        title: upload.text("title").to_owned(),
        body: upload.text("body").to_owned(),
    };
    let mut errors = Vec::new();
    let title = text_field(&frame, "channel-field-title", &typed.title, MAX_NAME, true)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    let body = text_field(&frame, "channel-field-body", &typed.body, MAX_TEXT, true)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    let file = attachment_into(&state, &frame, &upload, &mut errors);
    if !errors.is_empty() {
        return list_page(
            &state,
            &ctx,
            typed,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let master = crate::uploads::master_key(&state)?;
    let notice = store::publish(
        &state.db,
        master,
        &actor(Some(p))?,
        &title,
        &body,
        file.as_ref().map(|f| f.new_file(p.organization.id)),
    )
    .await?;
    Ok(see_other(&headers, &format!("/notices/{}", notice.id)))
}

pub struct ReaderView {
    pub agency: String,
    pub name: String,
    pub read: Option<When>,
}

pub struct AgencyReaders {
    pub agency: String,
    pub read: usize,
    pub total: usize,
    pub summary: String,
    pub people: Vec<ReaderView>,
}

#[derive(Template)]
#[template(path = "channel_notice.html")]
struct ShowPage {
    frame: Frame,
    n: ProgrammeNotice,
    published: When,
    files: Vec<FileView>,
    /// The secretariat: who read it, per agency.
    readers: Vec<AgencyReaders>,
    is_secretariat: bool,
}

async fn load(state: &AppState, ctx: &Ctx, id: i64) -> Result<ProgrammeNotice, Failure> {
    signed_in(ctx.principal.as_ref())?;
    require_visible(
        ctx.principal.as_ref(),
        |p| sees_notices(Some(p)),
        "notice",
        id,
    )?;
    match store::get(&state.db, id).await {
        Ok(n) => Ok(n),
        Err(StoreError::NotFound(_)) => Err(crate::policy::hidden("notice", id)),
        Err(e) => Err(e.into()),
    }
}

/// `GET /notices/{id}`: an agency person's reading records the receipt.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let n = load(&state, &ctx, id).await?;
    let p = signed_in(ctx.principal.as_ref())?;
    if let Some(agency) = channel_agency(Some(p)) {
        store::record_read(&state.db, &actor(Some(p))?, n.id, p.user.id, agency).await?;
    }
    let frame = Frame::new(&ctx);
    let is_secretariat = channel_secretariat(Some(p));
    let mut readers: Vec<AgencyReaders> = Vec::new();
    if is_secretariat {
        let mut current: Option<i64> = None;
        for r in store::readers(&state.db, n.id).await? {
            if current != Some(r.agency_id) {
                current = Some(r.agency_id);
                readers.push(AgencyReaders {
                    agency: frame.pick(&r.agency_name, &r.agency_name_en).to_owned(),
                    read: 0,
                    total: 0,
                    summary: String::new(),
                    people: Vec::new(),
                });
            }
            if let Some(group) = readers.last_mut() {
                group.total += 1;
                if r.read_at.is_some() {
                    group.read += 1;
                }
                group.people.push(ReaderView {
                    agency: group.agency.clone(),
                    name: r.display_name,
                    read: r.read_at.as_deref().map(|at| frame.when(at)),
                });
            }
        }
    }
    for g in readers.iter_mut() {
        g.summary = frame.tr(
            "channel-readers-of",
            &[("read", g.read.to_string()), ("total", g.total.to_string())],
        );
    }
    let page = ShowPage {
        published: frame.when(&n.published_at),
        files: files_of(&state, "notice", n.id, &format!("/notices/{}", n.id)).await?,
        readers,
        is_secretariat,
        n,
        frame,
    };
    Ok((StatusCode::OK, render(&page)?).into_response())
}

/// `GET /notices/{id}/files/{file}`.
pub async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, file)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let n = load(&state, &ctx, id).await?;
    super::download(&state, "notice", n.id, file).await
}
