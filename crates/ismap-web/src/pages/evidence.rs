//! The provider's evidence library, downloading stored files, and
//! destroying an organization's file key (crypto-erasure).

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use ismap_domain::audit_work::{EvidenceFreshness, evidence_freshness};
use ismap_i18n::{Lang, Messages};
use ismap_store::engagements;
use ismap_store::evidence_library::{self, EvidenceItem};
use ismap_store::files::{self, NewFile};
use serde::Deserialize;

use crate::AppState;
use crate::audit_ops::{self, actor, parties};
use crate::auth::Ctx;
use crate::error::parse_date;
use crate::error::{Failure, PageError};
use crate::pages::engagements::see_other;
use crate::pages::render;
use crate::policy::{Action, FileUse, Principal, allows, allows_file};
use crate::text::Frame;
use crate::today;
use crate::uploads;

pub struct ItemView {
    pub title: String,
    pub description: String,
    pub owner: String,
    pub expires_on: String,
    pub freshness: String,
    pub class: &'static str,
    pub controls: String,
    pub file: Option<(i64, String, bool)>,
}

pub fn item_view(frame: &Frame, item: &EvidenceItem) -> ItemView {
    let (freshness, class) = match evidence_freshness(item.expires_on, today()) {
        EvidenceFreshness::Current => (frame.t("web-evidence-current"), "badge badge-ok"),
        EvidenceFreshness::Expiring { days_left } => (
            format!("{} ({days_left})", frame.t("web-evidence-expiring")),
            "badge badge-warning",
        ),
        EvidenceFreshness::Expired { days_ago } => (
            format!("{} ({days_ago})", frame.t("web-evidence-expired")),
            "badge badge-error",
        ),
    };
    ItemView {
        title: item.title.clone(),
        description: item.description.clone(),
        owner: item.owner.clone(),
        expires_on: item
            .expires_on
            .map(|d| d.to_string())
            .unwrap_or_else(|| "—".into()),
        freshness,
        class,
        controls: item.controls.join(", "),
        file: item
            .file
            .as_ref()
            .map(|f| (f.id, f.file_name.clone(), f.erased)),
    }
}

#[derive(Template)]
#[template(path = "evidence.html")]
struct EvidencePage {
    frame: Frame,
    items: Vec<ItemView>,
    organization_id: i64,
    can_destroy: bool,
    destroy_label: String,
    max_upload_mib: usize,
}

/// "To confirm, type “destroy key”" in the page's language.
pub fn destroy_label(frame: &Frame) -> String {
    frame.tr(
        "evidence-destroy-phrase-label",
        &[("phrase", frame.t("evidence-destroy-phrase"))],
    )
}

fn librarian(ctx: &Ctx) -> Result<&Principal, Failure> {
    let own = ctx.principal.as_ref().map(|p| p.organization.id);
    ctx.require(Action::ManageEvidenceLibrary, own)
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let p = librarian(&ctx)?;
    let frame = Frame::new(&ctx);
    let items = evidence_library::list(&state.db, p.organization.id)
        .await?
        .iter()
        .map(|i| item_view(&frame, i))
        .collect();
    render(&EvidencePage {
        items,
        organization_id: p.organization.id,
        can_destroy: allows(
            Some(p),
            Action::DestroyOrganizationKey,
            Some(p.organization.id),
        ),
        max_upload_mib: state.config.max_upload_bytes / (1024 * 1024),
        destroy_label: destroy_label(&frame),
        frame,
    })
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let p = librarian(&ctx)?;
    let max = state.config.max_upload_bytes;
    let say = |id: &str, args: &[(&str, String)]| Messages::get().text(ctx.lang, id, args);
    let upload = uploads::read(multipart, max)
        .await
        .map_err(|e| audit_ops::upload_failure(ctx.lang, e, max))?;
    let title = upload.text("title").trim();
    let owner = upload.text("owner").trim();
    for (field, value) in [("title", title), ("owner", owner)] {
        if value.is_empty() {
            return Err(Failure::Invalid {
                field: field.into(),
                message: say(
                    "evidence-field-required",
                    &[("field", say(&format!("evidence-field-{field}"), &[]))],
                ),
            }
            .into());
        }
    }
    let expires_on = match upload.text("expires_on").trim() {
        "" => None,
        text => Some(
            parse_date(text, "expires_on").map_err(|_| Failure::Invalid {
                field: "expires_on".into(),
                message: say("evidence-date-invalid", &[]),
            })?,
        ),
    };
    let catalog = state.default_catalog();
    let mut controls = Vec::new();
    for text in upload
        .text("controls")
        .split([',', ' ', '\n', '、'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let id = crate::error::parse_control(text, "controls").map_err(|_| Failure::Invalid {
            field: "controls".into(),
            message: say("audit-control-unreadable", &[("text", text.to_owned())]),
        })?;
        let known = catalog.get(id.number()).ok_or_else(|| Failure::Invalid {
            field: "controls".into(),
            message: say(
                "evidence-control-unknown",
                &[
                    ("control", text.to_owned()),
                    (
                        "catalog",
                        match ctx.lang {
                            Lang::Ja => catalog.info().title.ja.clone(),
                            Lang::En => catalog.info().title.en.clone(),
                        },
                    ),
                ],
            ),
        })?;
        controls.push(known.id.to_string());
    }
    let checked = match upload.file() {
        Some((name, declared, bytes)) => Some((
            name.as_str(),
            audit_ops::check_upload(ctx.lang, "file", name, declared, bytes, max)?,
            bytes.as_slice(),
        )),
        None => None,
    };
    let file = match &checked {
        Some((name, content_type, bytes)) => {
            let master = uploads::master_key(&state)?;
            Some((
                master,
                NewFile {
                    organization_id: p.organization.id,
                    file_name: name,
                    content_type,
                    bytes,
                },
            ))
        }
        None => None,
    };
    evidence_library::create(
        &state.db,
        &actor(Some(p))?,
        evidence_library::NewItem {
            organization_id: p.organization.id,
            title,
            description: upload.text("description").trim(),
            owner,
            expires_on,
            controls: &controls,
        },
        file,
    )
    .await?;
    Ok(see_other(&headers, "/evidence"))
}

/// `/files/{id}`: the decrypted file, for people of its organization only.
pub async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    let file = files::get(&state.db, id).await?;
    let used = if let Some(e) = engagements::engagement_of_file(&state.db, id).await? {
        FileUse::AuditEvidence(parties(&engagements::get(&state.db, e).await?, Some(p)))
    } else if ismap_store::applications::application_of_file(&state.db, id)
        .await?
        .is_some()
    {
        FileUse::Application
    } else {
        FileUse::Library
    };
    // Another organization's file: as if there were none (policy::hidden).
    crate::policy::require_visible(
        Some(p),
        |p| allows_file(Some(p), file.organization_id, used),
        "file",
        id,
    )?;
    let master = uploads::master_key(&state)?;
    let (file, bytes) = files::read(&state.db, master, id).await?;
    Ok(uploads::attachment(&file, bytes))
}

#[derive(Deserialize)]
pub struct DestroyForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirm: String,
}

/// Destroys the organization's key: every file it uploaded so far becomes
/// unreadable, for good. The form asks for a confirmation in a dialog and
/// to type the catalog's phrase (鍵を破棄 / destroy key).
pub async fn destroy_key(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(organization_id): Path<i64>,
    Form(form): Form<DestroyForm>,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    // Only an organization's own people learn whether the id exists.
    crate::policy::require_visible(
        Some(p),
        |p| p.is_member_of(organization_id),
        "organization",
        organization_id,
    )?;
    if !allows(
        Some(p),
        Action::DestroyOrganizationKey,
        Some(organization_id),
    ) {
        return Err(Failure::Forbidden.into());
    }
    // The phrase of either language: the page may have been switched.
    let messages = Messages::get();
    let phrases = [Lang::Ja, Lang::En].map(|l| messages.text(l, "evidence-destroy-phrase", &[]));
    if !phrases.iter().any(|p| p == form.confirm.trim()) {
        return Err(Failure::Invalid {
            field: "confirm".into(),
            message: messages.text(
                ctx.lang,
                "evidence-destroy-phrase-wrong",
                &[(
                    "phrase",
                    messages.text(ctx.lang, "evidence-destroy-phrase", &[]),
                )],
            ),
        }
        .into());
    }
    files::destroy_keys(&state.db, &actor(Some(p))?, organization_id, &form.reason).await?;
    Ok(see_other(&headers, "/"))
}
