//! The channel between agencies and the secretariat (ISMAP運営委員会事務局),
//! issue 15 items 5–7: inquiries (調査, [`inquiries`]), doubts (疑義,
//! [`doubts`]), status requests (申請状況の問合せ, [`status`]) and programme
//! notices (お知らせ, [`notices`]). Agencies see only their own records (an
//! other agency's id answers 404 like a missing one); the secretariat sees
//! all; IPA and the committee see the doubts referred to them; providers
//! none of it (policy: `allows_channel_list`, `sees_channel_object`).
//!
//! What the four share lives here: bounded text, attachments (encrypted
//! stored files, `ismap_store::channel`), the history shown from the event
//! log, the dashboard card.

pub mod doubts;
pub mod inquiries;
pub mod notices;
pub mod status;

use std::future::Future;

use axum::extract::{FromRequest, Multipart, Request};
use axum::response::Response;
use ismap_domain::channel::{TextError, optional_text, required_text};
use ismap_i18n::{Lang, Messages};
use ismap_store::StoreError;
use ismap_store::channel::{self as store, Attachment, Step};
use ismap_store::files::{self, NewFile};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{Failure, PageError};
use crate::policy::{
    ChannelPart, Principal, allows_channel_list, channel_agency, channel_secretariat,
    require_visible, sees_channel_object, signed_in,
};
use crate::text::{Frame, When};
use crate::uploads;

/// The file field of the channel's forms.
pub const FILE_FIELD: &str = "attachment";

fn msg(lang: Lang, id: &str, args: &[(&str, String)]) -> String {
    Messages::get().text(lang, id, args)
}

/// A text field checked against its bounds: the refusal names the field
/// (`field_id`: its label's catalog id) in the reader's language.
pub fn text_field(
    frame: &Frame,
    field_id: &str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<String, String> {
    let checked = if required {
        required_text(value, max)
    } else {
        optional_text(value, max)
    };
    checked.map_err(|e| match e {
        TextError::Empty => frame.tr("channel-refused-empty", &[("field", frame.t(field_id))]),
        TextError::TooLong { max } => frame.tr(
            "channel-refused-too-long",
            &[("field", frame.t(field_id)), ("max", max.to_string())],
        ),
    })
}

/// A multipart form, refused in the reader's language when it is not one
/// or a file is over the limit.
pub async fn read_upload(
    state: &AppState,
    lang: Lang,
    request: Request,
) -> Result<uploads::Upload, Failure> {
    let multipart =
        Multipart::from_request(request, state)
            .await
            .map_err(|_| Failure::Invalid {
                field: "form".into(),
                message: msg(lang, "channel-refused-form", &[]),
            })?;
    uploads::read(multipart, state.config.max_upload_bytes)
        .await
        .map_err(|e| match e {
            Failure::Invalid { field, .. } => Failure::Invalid {
                message: msg(
                    lang,
                    "channel-refused-upload-large",
                    &[(
                        "limit",
                        format!("{} MB", state.config.max_upload_bytes / (1024 * 1024)),
                    )],
                ),
                field,
            },
            other => other,
        })
}

/// A sent file that passed the checks.
pub struct Checked<'a> {
    pub name: &'a str,
    /// The content type found by looking at the content.
    pub kind: String,
    pub bytes: &'a [u8],
}

impl Checked<'_> {
    pub fn new_file(&self, organization_id: i64) -> NewFile<'_> {
        NewFile {
            organization_id,
            file_name: self.name,
            content_type: &self.kind,
            bytes: self.bytes,
        }
    }
}

/// The form's attachment, checked (type sniffed, size): `Ok(None)` when
/// none was sent; the refusal names the file.
pub fn attachment<'a>(
    state: &AppState,
    frame: &Frame,
    upload: &'a uploads::Upload,
) -> Result<Option<Checked<'a>>, String> {
    let Some((name, declared, bytes)) = upload.files.get(FILE_FIELD) else {
        return Ok(None);
    };
    match uploads::check(
        FILE_FIELD,
        name,
        declared,
        bytes,
        state.config.max_upload_bytes,
    ) {
        Ok(kind) => Ok(Some(Checked { name, kind, bytes })),
        Err(_) => Err(frame.tr("channel-refused-file", &[("file", name.clone())])),
    }
}

/// [`attachment`] on a form that lists its refusals: a refused file's
/// message joins `errors` (the form is shown again with all of them).
pub fn attachment_into<'a>(
    state: &AppState,
    frame: &Frame,
    upload: &'a uploads::Upload,
    errors: &mut Vec<String>,
) -> Option<Checked<'a>> {
    attachment(state, frame, upload)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten()
}

/// An inquiry, doubt or status request (`what`, read by `get`) for the
/// person asking. Nobody outside the channel's `part` learns whether the id
/// exists, and an object they may not see — `seen` gives its agency and
/// whether it was referred to (IPA, the committee) — answers 404 exactly
/// like a missing one.
pub async fn visible<T>(
    ctx: &Ctx,
    part: ChannelPart,
    what: &str,
    id: i64,
    get: impl Future<Output = ismap_store::Result<T>>,
    seen: impl FnOnce(&T) -> (i64, (bool, bool)),
) -> Result<T, Failure> {
    let p = ctx.principal.as_ref();
    signed_in(p)?;
    require_visible(p, |p| allows_channel_list(Some(p), part), what, id)?;
    let x = match get.await {
        Ok(x) => x,
        Err(StoreError::NotFound(_)) => return Err(crate::policy::hidden(what, id)),
        Err(e) => return Err(e.into()),
    };
    let (agency, referred) = seen(&x);
    require_visible(
        p,
        |p| sees_channel_object(Some(p), agency, referred),
        what,
        id,
    )?;
    Ok(x)
}

/// Whether the form was sent from a page showing an older `version` of
/// the object (a form without one is not checked here: the store's
/// conditional move still is).
pub fn stale(typed_version: &str, version: i64) -> bool {
    !typed_version.is_empty() && typed_version != version.to_string()
}

/// The page's answer to a conditional move (`done`): `to` (a 303) when it
/// happened; when another change came first (a conflict), `again` shows
/// the object as it is now (`reread`); any other failure as it is.
pub async fn after_move<T, U, Page>(
    done: ismap_store::Result<U>,
    to: Response,
    reread: impl Future<Output = ismap_store::Result<T>>,
    again: impl FnOnce(T) -> Page,
) -> Result<Response, PageError>
where
    Page: Future<Output = Result<Response, PageError>>,
{
    match done {
        Ok(_) => Ok(to),
        Err(StoreError::Conflict(_)) => again(reread.await?).await,
        Err(e) => Err(e.into()),
    }
}

/// A file as the pages list it.
pub struct FileView {
    pub id: i64,
    pub name: String,
    pub size: i64,
    pub question_id: Option<i64>,
    pub href: String,
}

pub async fn files_of(
    state: &AppState,
    object_type: &str,
    object_id: i64,
    base: &str,
) -> Result<Vec<FileView>, Failure> {
    Ok(store::attachments(&state.db, object_type, object_id)
        .await?
        .into_iter()
        .map(|Attachment { question_id, file }| FileView {
            href: format!("{base}/files/{}", file.id),
            id: file.id,
            name: file.file_name,
            size: file.size,
            question_id,
        })
        .collect())
}

/// A stored attachment of `object_type` `object_id`, decrypted; any other
/// file id answers 404.
pub async fn download(
    state: &AppState,
    object_type: &str,
    object_id: i64,
    file: i64,
) -> Result<Response, PageError> {
    if store::object_of_file(&state.db, object_type, file).await? != Some(object_id) {
        return Err(crate::policy::hidden("file", file).into());
    }
    let master = uploads::master_key(state)?;
    let (stored, bytes) = files::read(&state.db, master, file).await?;
    Ok(uploads::attachment(&stored, bytes))
}

/// One step of an object's history as its page shows it.
pub struct StepView {
    pub when: When,
    pub who: String,
    pub what: String,
    pub detail: String,
}

/// The history of an object from the event log: what happened (catalog
/// `channel-step-<action>`), who, when, and what was written.
pub async fn history(
    state: &AppState,
    frame: &Frame,
    object_type: &str,
    object_id: i64,
) -> Result<Vec<StepView>, Failure> {
    Ok(store::history(&state.db, object_type, object_id)
        .await?
        .into_iter()
        .map(|s| step_view(frame, s))
        .collect())
}

fn step_view(frame: &Frame, s: Step) -> StepView {
    let detail = if !s.reason.is_empty() {
        s.reason.clone()
    } else {
        s.after
            .as_ref()
            .and_then(|a| {
                ["answer", "note", "text", "subject", "title", "service_name"]
                    .iter()
                    .find_map(|k| a.get(*k).and_then(|v| v.as_str()))
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    };
    StepView {
        when: frame.when(&s.at),
        who: s.actor_name.clone().unwrap_or(s.actor.clone()),
        what: frame.t(&format!(
            "channel-step-{}",
            s.action.replace(['.', '_'], "-")
        )),
        detail,
    }
}

/// A portal service an agency may name: those on the public lists (their
/// names are public; a service still in review is named in words).
pub struct ServiceOption {
    pub id: i64,
    pub name: String,
}

pub async fn service_options(state: &AppState) -> Result<Vec<ServiceOption>, Failure> {
    let mut out: Vec<ServiceOption> = Vec::new();
    for r in ismap_store::registrations::current(&state.db, None).await? {
        if !out.iter().any(|o| o.id == r.service_id) {
            out.push(ServiceOption {
                id: r.service_id,
                name: r.name.clone(),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The service a form named: a listed portal service (`service_id`) or a
/// name typed in words. Returns (service id, name) or the refusal.
pub async fn chosen_service(
    state: &AppState,
    frame: &Frame,
    service_id: &str,
    service_name: &str,
) -> Result<(Option<i64>, String), String> {
    let id = service_id.trim();
    if !id.is_empty() {
        let options = service_options(state)
            .await
            .map_err(|_| frame.t("channel-refused-service"))?;
        let parsed: i64 = id.parse().map_err(|_| frame.t("channel-refused-service"))?;
        return options
            .into_iter()
            .find(|o| o.id == parsed)
            .map(|o| (Some(o.id), o.name))
            .ok_or_else(|| frame.t("channel-refused-service"));
    }
    let name = text_field(
        frame,
        "channel-field-service-name",
        service_name,
        ismap_domain::channel::MAX_NAME,
        false,
    )?;
    if name.is_empty() {
        return Err(frame.t("channel-refused-service"));
    }
    Ok((None, name))
}

/// The dashboard card: for an agency person, the open inquiry questions
/// (soonest due) and unread notices; for the secretariat, new doubts, open
/// status requests and inquiries waiting (answered, to be closed).
pub struct ChannelCard {
    pub secretariat: bool,
    pub questions: Vec<CardQuestion>,
    pub unread_notices: i64,
    pub unread_label: String,
    pub new_doubts: usize,
    pub open_requests: i64,
    pub answered_inquiries: usize,
}

pub struct CardQuestion {
    pub href: String,
    pub subject: String,
    pub due: String,
    pub overdue: bool,
}

pub async fn dashboard_card(
    state: &AppState,
    frame: &Frame,
    p: Option<&Principal>,
) -> Result<Option<ChannelCard>, Failure> {
    let today = state.clock.today();
    if let Some(agency) = channel_agency(p) {
        let Some(p) = p else { return Ok(None) };
        let questions = ismap_store::inquiries::open_questions(&state.db, agency)
            .await?
            .into_iter()
            .map(|(inquiry, subject, q)| CardQuestion {
                href: format!("/inquiries/{inquiry}#q-{}", q.id),
                subject,
                due: frame.day(&q.due_date),
                overdue: ismap_domain::channel::overdue(q.due_date, false, today),
            })
            .collect();
        let unread_notices = ismap_store::notices::unread(&state.db, p.user.id).await?;
        return Ok(Some(ChannelCard {
            secretariat: false,
            questions,
            unread_label: frame.tr(
                "channel-unread-count",
                &[("count", unread_notices.to_string())],
            ),
            unread_notices,
            new_doubts: 0,
            open_requests: 0,
            answered_inquiries: 0,
        }));
    }
    if channel_secretariat(p) {
        let new_doubts = ismap_store::doubts::list(&state.db, ismap_store::doubts::Scope::All)
            .await?
            .iter()
            .filter(|d| d.state == ismap_domain::channel::DoubtState::Submitted)
            .count();
        let answered_inquiries = ismap_store::inquiries::list(&state.db, None)
            .await?
            .iter()
            .filter(|i| i.state == ismap_domain::channel::InquiryState::Answered)
            .count();
        return Ok(Some(ChannelCard {
            secretariat: true,
            questions: Vec::new(),
            unread_notices: 0,
            unread_label: String::new(),
            new_doubts,
            open_requests: ismap_store::status_requests::count_open(&state.db).await?,
            answered_inquiries,
        }));
    }
    Ok(None)
}

/// The channel's landing link in the navigation: agencies' people and the
/// secretariat (IPA and the committee reach referred doubts from their
/// notifications and `/doubts`).
pub fn in_nav(p: Option<&Principal>) -> bool {
    channel_agency(p).is_some() || channel_secretariat(p)
}
