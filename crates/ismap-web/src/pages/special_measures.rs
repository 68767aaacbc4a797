//! The special measures service list (特別措置サービスリスト, spec §7.5, seed
//! 001): kept by the Digital Agency, shared with government bodies only.
//! To anyone else every route here answers 404 (`policy::
//! sees_special_measures`), decided before anything is read from the
//! request, so that the pages are not known to exist.

pub mod import;

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::FormRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use ismap_domain::ServiceModel;
use ismap_domain::special_measures::{self as rules, Field, RawEntry};
use ismap_i18n::Messages;
use ismap_store::special_measures::{self as store, Entry};
use ismap_store::{Actor, StoreError};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{Failure, PageError, Query};
use crate::pages::engagements::see_other;
use crate::pages::render;
use crate::policy::{Principal, keeps_special_measures, sees_special_measures};
use crate::text::Frame;

/// The answer to anyone outside government, for every route: the very 404
/// of an unknown address.
fn not_here(ctx: &Ctx) -> Failure {
    Failure::NotFound(ctx.path.clone())
}

/// A government viewer, or 404.
fn viewer(ctx: &Ctx) -> Result<&Principal, Failure> {
    match ctx.principal.as_ref() {
        Some(p) if sees_special_measures(Some(p)) => Ok(p),
        _ => Err(not_here(ctx)),
    }
}

/// The Digital Agency's officer (the actor and the keeper organization):
/// 404 outside government, 403 for the other government bodies.
fn keeper(ctx: &Ctx) -> Result<(Actor, i64), Failure> {
    let p = viewer(ctx)?;
    if !keeps_special_measures(Some(p)) {
        return Err(Failure::Forbidden);
    }
    Ok((Actor::user(p.user.id, &p.user.username), p.organization.id))
}

/// One entry as the list shows it.
pub struct Row {
    pub href: String,
    pub service_name: String,
    pub provider: String,
    pub event: String,
    pub event_date: String,
    pub exemptions: Vec<String>,
    pub period: String,
    pub ended: bool,
}

fn row(frame: &Frame, e: &Entry) -> Row {
    let mut exemptions = Vec::new();
    if e.exemptions.submissions.is_some() {
        exemptions.push(frame.t("special-exemption-submissions"));
    }
    if e.exemptions.external_audit.is_some() {
        exemptions.push(frame.t("special-exemption-audit"));
    }
    Row {
        href: format!("/special-measures/{}", e.id),
        service_name: e.service_name.clone(),
        provider: e.provider.clone(),
        event: frame.t(&format!(
            "special-event-{}",
            e.event.key().replace('_', "-")
        )),
        event_date: frame.day(&e.event_date),
        exemptions,
        period: format!(
            "{} – {}",
            frame.day(&e.period_start),
            frame.day(&e.period_end)
        ),
        ended: e.ended,
    }
}

/// The add form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddForm {
    pub service_name: String,
    pub provider: String,
    pub service_id: String,
    pub event: String,
    pub event_date: String,
    pub submissions_exempt: Option<String>,
    pub submissions_detail: String,
    pub audit_exempt: Option<String>,
    pub audit_detail: String,
    pub period_start: String,
    pub period_end: String,
    pub note: String,
}

impl AddForm {
    fn raw(&self) -> RawEntry {
        RawEntry {
            service_name: self.service_name.clone(),
            provider: self.provider.clone(),
            event: self.event.clone(),
            event_date: self.event_date.clone(),
            submissions_exempt: self.submissions_exempt.is_some(),
            submissions_detail: self.submissions_detail.clone(),
            audit_exempt: self.audit_exempt.is_some(),
            audit_detail: self.audit_detail.clone(),
            period_start: self.period_start.clone(),
            period_end: self.period_end.clone(),
            note: self.note.clone(),
        }
    }
}

/// One problem of an import, as the page lists it.
pub struct ImportLine {
    pub line: String,
    pub column: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "special_measures.html")]
struct ListPage {
    frame: Frame,
    q: String,
    show_ended: bool,
    search_error: Option<String>,
    entries: Vec<Row>,
    can_keep: bool,
    form: AddForm,
    /// Field key → message, shown next to the field.
    errors: HashMap<String, String>,
    /// The portal's SaaS services an entry may name (those filed with IPA).
    services: Vec<(String, String)>,
    add_hint: String,
    date_hint: String,
    import_hint: String,
    /// 「n 件を取り込みました」 after an import.
    imported: Option<String>,
    import_errors: Vec<ImportLine>,
    /// 「ほか n 件」 when more problems than listed.
    import_more: String,
}

impl ListPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    fn event_chosen(&self, key: &str) -> bool {
        self.form.event == key
    }

    fn service_chosen(&self, id: &str) -> bool {
        self.form.service_id == id
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: Option<String>,
    ended: Option<String>,
    imported: Option<String>,
}

/// The portal's SaaS services that have filed with IPA (an application):
/// what an entry may be linked to (this system's choice: the provider's
/// other services stay with the provider).
async fn linkable_services(state: &AppState) -> Result<Vec<(i64, String)>, Failure> {
    let filed: std::collections::HashSet<i64> = ismap_store::applications::list(&state.db, None)
        .await?
        .iter()
        .map(|a| a.service_id)
        .collect();
    Ok(ismap_store::services::list(&state.db, None)
        .await?
        .into_iter()
        .filter(|s| s.model == ServiceModel::SaaS && filed.contains(&s.id))
        .map(|s| (s.id, format!("{}（{}）", s.name, s.organization_name)))
        .collect())
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    query: ListQuery,
    form: AddForm,
    errors: HashMap<String, String>,
    import_errors: (Vec<ImportLine>, usize),
) -> Result<ListPage, Failure> {
    let p = viewer(ctx)?;
    let frame = Frame::new(ctx);
    let q = query.q.unwrap_or_default();
    let search = q.trim();
    let search_error = if search.chars().count() > 200 {
        Some(frame.tr("special-search-too-long", &[("max", "200".into())]))
    } else if search.chars().any(|c| c.is_control()) {
        Some(frame.t("special-error-control"))
    } else {
        None
    };
    let show_ended = query.ended.as_deref() == Some("1");
    let entries = if search_error.is_some() {
        Vec::new()
    } else {
        store::list(
            &state.db,
            Some(search).filter(|s| !s.is_empty()),
            show_ended,
        )
        .await?
    };
    let can_keep = keeps_special_measures(Some(p));
    let services = if can_keep {
        linkable_services(state)
            .await?
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect()
    } else {
        Vec::new()
    };
    let (import_errors, import_total) = import_errors;
    Ok(ListPage {
        entries: entries.iter().map(|e| row(&frame, e)).collect(),
        q,
        show_ended,
        search_error,
        can_keep,
        form,
        errors,
        services,
        add_hint: frame.tr(
            "special-add-hint",
            &[("deadline", frame.day(&rules::deadline()))],
        ),
        date_hint: frame.tr(
            "special-field-event-date-hint",
            &[("deadline", frame.day(&rules::deadline()))],
        ),
        import_hint: frame.tr(
            "special-import-hint",
            &[
                ("rows", import::MAX_ROWS.to_string()),
                ("kib", (import::MAX_BYTES / 1024).to_string()),
            ],
        ),
        imported: query
            .imported
            .and_then(|n| n.parse::<usize>().ok())
            .map(|n| frame.tr("special-imported", &[("count", n.to_string())])),
        import_more: more(&frame, import_total.saturating_sub(import_errors.len())),
        import_errors,
        frame,
    })
}

/// `GET /special-measures`.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    query: Result<Query<ListQuery>, Response>,
) -> Result<Response, PageError> {
    viewer(&ctx)?;
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let page = list_page(
        &state,
        &ctx,
        query,
        AddForm {
            event: "pre_application".into(),
            ..AddForm::default()
        },
        HashMap::new(),
        (Vec::new(), 0),
    )
    .await?;
    private(render(&page)?)
}

/// Pages of this list are for the signed-in viewer only: never kept by a
/// shared cache.
fn private(mut response: Response) -> Result<Response, PageError> {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

fn unprocessable(response: Response) -> Result<Response, PageError> {
    let mut response = private(response)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

/// `POST /special-measures`: adds an entry; a refusal comes back with
/// everything typed and each error next to its field.
pub async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    form: Result<Form<AddForm>, FormRejection>,
) -> Result<Response, PageError> {
    let (actor, keeper_org) = keeper(&ctx)?;
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let messages = Messages::get();
    let mut errors: HashMap<String, String> = HashMap::new();
    let parsed = rules::parse(&form.raw());
    if let Err(problems) = &parsed {
        for e in problems {
            errors
                .entry(e.field.key().to_owned())
                .or_insert_with(|| messages.localized(ctx.lang, e));
        }
    }
    let service_id = match form.service_id.trim() {
        "" => None,
        text => {
            let linkable = linkable_services(&state).await?;
            match text
                .parse::<i64>()
                .ok()
                .filter(|id| linkable.iter().any(|(s, _)| s == id))
            {
                Some(id) => Some(id),
                None => {
                    errors.insert(
                        "service_id".into(),
                        messages.text(ctx.lang, "special-error-service", &[]),
                    );
                    None
                }
            }
        }
    };
    match parsed {
        Ok(entry) if errors.is_empty() => {
            let added = store::add(&state.db, &actor, keeper_org, &entry, service_id).await?;
            Ok(
                axum::response::Redirect::to(&format!("/special-measures/{}", added.id))
                    .into_response(),
            )
        }
        _ => {
            let page = list_page(
                &state,
                &ctx,
                ListQuery::default(),
                form,
                errors,
                (Vec::new(), 0),
            )
            .await?;
            unprocessable(render(&page)?)
        }
    }
}

/// An entry's page: one entry and its history.
#[derive(Template)]
#[template(path = "special_measures_entry.html")]
struct EntryPage {
    frame: Frame,
    id: i64,
    e: Row,
    submissions: Option<String>,
    external_audit: Option<String>,
    note: String,
    source: String,
    service_href: Option<String>,
    ended_at: String,
    end_reason: String,
    history: Vec<HistoryRow>,
    can_keep: bool,
    reason: String,
    reason_error: Option<String>,
    end_confirm: String,
}

pub struct HistoryRow {
    pub at: crate::text::When,
    pub what: String,
    pub who: String,
    pub reason: String,
}

fn entry_id(ctx: &Ctx, text: &str) -> Result<i64, Failure> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| not_here(ctx))
}

async fn load(state: &AppState, ctx: &Ctx, id: i64) -> Result<Entry, Failure> {
    match store::get(&state.db, id).await {
        Ok(entry) => Ok(entry),
        Err(StoreError::NotFound(_)) => Err(not_here(ctx)),
        Err(e) => Err(e.into()),
    }
}

async fn entry_page(
    state: &AppState,
    ctx: &Ctx,
    entry: Entry,
    reason: String,
    reason_error: Option<String>,
) -> Result<EntryPage, Failure> {
    let p = viewer(ctx)?;
    let frame = Frame::new(ctx);
    let mut history = Vec::new();
    for ev in store::history(&state.db, entry.id).await? {
        let who = match ev.actor_id {
            Some(user) => ismap_store::users::get(&state.db, user)
                .await
                .map(|u| u.display_name)
                .unwrap_or(ev.actor.clone()),
            None => frame.t("event-actor-system"),
        };
        history.push(HistoryRow {
            at: frame.when(&ev.at),
            what: frame.t(&format!(
                "special-history-{}",
                ev.action.replace(['.', '_'], "-")
            )),
            who,
            reason: ev.reason.clone(),
        });
    }
    let service_href = match entry.service_id {
        Some(id) if crate::policy::allows(Some(p), crate::policy::Action::ViewService, None) => {
            Some(format!("/services/{id}"))
        }
        _ => None,
    };
    Ok(EntryPage {
        id: entry.id,
        e: row(&frame, &entry),
        submissions: entry.exemptions.submissions.clone(),
        external_audit: entry.exemptions.external_audit.clone(),
        note: entry.note.clone(),
        source: frame.t(&format!("special-source-{}", entry.source)),
        service_href,
        ended_at: entry
            .ended_at
            .as_deref()
            .map(|a| frame.when_text(a))
            .unwrap_or_default(),
        end_reason: entry.end_reason.clone().unwrap_or_default(),
        history,
        can_keep: keeps_special_measures(Some(p)) && !entry.ended,
        reason,
        reason_error,
        end_confirm: frame.tr(
            "special-end-confirm",
            &[("name", entry.service_name.clone())],
        ),
        frame,
    })
}

/// `GET /special-measures/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer(&ctx)?;
    let id = entry_id(&ctx, &id)?;
    let entry = load(&state, &ctx, id).await?;
    let page = entry_page(&state, &ctx, entry, String::new(), None).await?;
    private(render(&page)?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EndForm {
    reason: String,
}

/// `POST /special-measures/{id}/end`: ends an entry with a reason (the
/// page asks first). Of two concurrent ends one wins, the other is a
/// conflict (409) in the user's language.
pub async fn end(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: Result<Form<EndForm>, FormRejection>,
) -> Result<Response, PageError> {
    let (actor, keeper_org) = keeper(&ctx)?;
    let id = entry_id(&ctx, &id)?;
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let entry = load(&state, &ctx, id).await?;
    let reason = match rules::parse_reason(&form.reason) {
        Ok(reason) => reason,
        Err(problem) => {
            let message = Messages::get().localized(
                ctx.lang,
                &rules::FieldError {
                    field: Field::Note,
                    problem,
                },
            );
            let page = entry_page(&state, &ctx, entry, form.reason, Some(message)).await?;
            return unprocessable(render(&page)?);
        }
    };
    match store::end(&state.db, &actor, keeper_org, id, &reason).await {
        Ok(_) => {
            Ok(axum::response::Redirect::to(&format!("/special-measures/{id}")).into_response())
        }
        Err(StoreError::Conflict(_)) => Err(Failure::Conflict(Messages::get().text(
            ctx.lang,
            "special-end-conflict",
            &[("name", entry.service_name)],
        ))
        .into()),
        Err(e) => Err(Failure::from(e).into()),
    }
}

/// `POST /special-measures/import`: a CSV file of entries, all or nothing.
/// A refused file answers 422 with every problem by line and column (an
/// HTML fragment for htmx, the list page otherwise).
pub async fn import_file(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let (actor, keeper_org) = keeper(&ctx)?;
    let m = Messages::get();
    let refuse = |message: String| {
        (
            vec![import::Problem {
                line: 0,
                column: None,
                message,
            }],
            1,
        )
    };
    let read = match multipart {
        Ok(multipart) => match crate::uploads::read(multipart, import::MAX_BYTES).await {
            Ok(upload) => match upload.file() {
                Some((name, _, bytes)) => {
                    import::read(ctx.lang, bytes).map(|entries| (name.clone(), entries))
                }
                None => Err(refuse(m.text(ctx.lang, "special-import-no-file", &[]))),
            },
            Err(_) => Err(refuse(m.text(
                ctx.lang,
                "special-import-too-large",
                &[("max", (import::MAX_BYTES / 1024).to_string())],
            ))),
        },
        Err(_) => Err(refuse(m.text(ctx.lang, "special-import-no-file", &[]))),
    };
    match read {
        Ok((name, entries)) => {
            let count = store::import(&state.db, &actor, keeper_org, &entries, &name).await?;
            Ok(see_other(
                &headers,
                &format!("/special-measures?imported={count}"),
            ))
        }
        Err((problems, total)) => {
            let lines: Vec<ImportLine> = problems
                .into_iter()
                .map(|p| ImportLine {
                    line: if p.line == 0 {
                        m.text(ctx.lang, "special-import-whole-file", &[])
                    } else {
                        m.text(
                            ctx.lang,
                            "special-import-line",
                            &[("line", p.line.to_string())],
                        )
                    },
                    column: p.column.unwrap_or_default(),
                    message: p.message,
                })
                .collect();
            if crate::pages::engagements::is_htmx(&headers) {
                let frame = Frame::new(&ctx);
                let fragment = ImportErrors {
                    import_more: more(&frame, total.saturating_sub(lines.len())),
                    import_errors: lines,
                    frame,
                };
                let html = fragment
                    .render()
                    .map_err(|e| Failure::Internal(format!("template: {e}")))?;
                return unprocessable(Html(html).into_response());
            }
            let page = list_page(
                &state,
                &ctx,
                ListQuery::default(),
                AddForm::default(),
                HashMap::new(),
                (lines, total),
            )
            .await?;
            unprocessable(render(&page)?)
        }
    }
}

#[derive(Template)]
#[template(path = "special_measures_import_errors.html")]
struct ImportErrors {
    frame: Frame,
    import_errors: Vec<ImportLine>,
    import_more: String,
}

fn more(frame: &Frame, count: usize) -> String {
    if count == 0 {
        String::new()
    } else {
        frame.tr("special-import-more", &[("count", count.to_string())])
    }
}

/// `GET /special-measures.csv`: the entries in force, for government
/// bodies, in the import's format; headers in the reader's language.
pub async fn export(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    viewer(&ctx)?;
    let entries = store::list(&state.db, None, false).await?;
    let refs: Vec<&Entry> = entries.iter().collect();
    let body = import::write(ctx.lang, &refs).map_err(Failure::Internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"special-measures.csv\"",
            ),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        body,
    )
        .into_response())
}

/// Whether a public list page shows the link to the special measures list:
/// for a government viewer only. Computed per
/// request from the viewer; the public pages are shared (cached) only for
/// visitors who are not signed in, who never get it.
pub fn list_link(ctx: &Ctx) -> bool {
    sees_special_measures(ctx.principal.as_ref())
}

/// One special-measures entry beside a public list entry.
pub struct Beside {
    pub href: String,
    pub service_name: String,
    pub provider: String,
    pub period: String,
    /// The same service (`true`), or only the same provider.
    pub same_service: bool,
}

/// For a government viewer of a public list entry: the special-measures
/// entries in force for the same service (the portal's service, or the
/// same names) or the same provider; `None` for anyone else.
pub async fn beside_entry(
    state: &AppState,
    ctx: &Ctx,
    registration: &ismap_store::registrations::Registration,
) -> Result<Option<Vec<Beside>>, Failure> {
    if !sees_special_measures(ctx.principal.as_ref()) {
        return Ok(None);
    }
    let frame = Frame::new(ctx);
    let r = registration;
    let provider_matches =
        |p: &str| rules::same_name(p, &r.provider) || rules::same_name(p, &r.provider_en);
    let mut found = Vec::new();
    for e in store::list(&state.db, None, false).await? {
        let same_service = e.service_id == Some(r.service_id)
            || ((rules::same_name(&e.service_name, &r.name)
                || rules::same_name(&e.service_name, &r.name_en))
                && provider_matches(&e.provider));
        if same_service || provider_matches(&e.provider) {
            found.push(Beside {
                href: format!("/special-measures/{}", e.id),
                service_name: e.service_name.clone(),
                provider: e.provider.clone(),
                period: format!(
                    "{} – {}",
                    frame.day(&e.period_start),
                    frame.day(&e.period_end)
                ),
                same_service,
            });
        }
    }
    found.sort_by_key(|b| !b.same_service);
    Ok(Some(found))
}

/// For the dashboard: the number of entries in force, for government
/// viewers only.
pub async fn dashboard_count(
    state: &AppState,
    principal: Option<&Principal>,
) -> Result<Option<usize>, Failure> {
    if !sees_special_measures(principal) {
        return Ok(None);
    }
    Ok(Some(store::list(&state.db, None, false).await?.len()))
}
