//! `/notifications` (issue 15, item 9): each signed-in person's
//! notifications, newest first, in the reader's language; marking them
//! read; and the e-mail choices on `/account` (`POST /account/notifications`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use ismap_i18n::{Lang, Messages};
use ismap_store::Actor;
use ismap_store::notifications::{self, Notification};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{Failure, PageError};
use crate::pages::engagements::see_other;
use crate::pages::render;
use crate::policy::Principal;
use crate::text::{Frame, NavItem};

/// How many notifications the list shows.
pub const LIST_LIMIT: i64 = 200;

/// The navigation entry with the unread count: 「通知 (3)」.
pub fn nav_item(ctx: &Ctx, unread: i64) -> NavItem {
    let label = if unread > 0 {
        Messages::get().text(
            ctx.lang,
            "notify-nav-unread",
            &[("count", unread.to_string())],
        )
    } else {
        Messages::get().text(ctx.lang, "notify-nav", &[])
    };
    NavItem {
        href: "/notifications",
        label,
        current: ctx.path.starts_with("/notifications"),
    }
}

/// A notification's arguments for `lang`: days (YYYY-MM-DD) as people
/// read them, everything else as stored.
pub fn localized_args(lang: Lang, args: &[(String, String)]) -> Vec<(&str, String)> {
    args.iter()
        .map(|(k, v)| {
            let shown = match chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                Ok(day) => crate::text::format_day(lang, day),
                Err(_) => v.clone(),
            };
            (k.as_str(), shown)
        })
        .collect()
}

/// A notification's sentence in `lang`.
pub fn sentence(lang: Lang, n: &Notification) -> String {
    Messages::get().text(lang, &n.message_id, &localized_args(lang, &n.args))
}

/// Where a notification may lead: a path in the portal only (never another
/// site, whatever was stored).
pub fn safe_link(link: &str) -> Option<&str> {
    (link.starts_with('/') && !link.starts_with("//") && !link.contains('\\')).then_some(link)
}

pub struct Row {
    pub id: i64,
    pub text: String,
    pub kind: String,
    pub created_at: String,
    pub unread: bool,
    pub has_link: bool,
}

#[derive(Template)]
#[template(path = "notify_list.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    unread: i64,
}

/// The signed-in person (with the session cookie or a token).
fn person(ctx: &Ctx) -> Result<&Principal, Failure> {
    ctx.principal.as_ref().ok_or(Failure::NotSignedIn)
}

/// `GET /notifications`.
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let p = person(&ctx)?;
    let frame = Frame::new(&ctx);
    let items = notifications::list(&state.db, p.user.id, LIST_LIMIT).await?;
    let unread = items.iter().filter(|n| n.read_at.is_none()).count();
    let rows = items
        .iter()
        .map(|n| Row {
            id: n.id,
            text: sentence(frame.lang, n),
            kind: frame.t(&format!(
                "notify-kind-{}",
                ismap_domain::schedule::email_kind(&n.kind).replace('_', "-")
            )),
            created_at: n.created_at.clone(),
            unread: n.read_at.is_none(),
            has_link: safe_link(&n.link).is_some(),
        })
        .collect();
    render(&ListPage {
        frame,
        rows,
        unread: i64::try_from(unread).unwrap_or(0),
    })
}

/// `POST /notifications/{id}/read`: marks it read and goes where it leads.
/// Someone else's notification answers 404, exactly like a missing one.
pub async fn read_one(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let p = person(&ctx)?;
    let link = notifications::mark_read(&state.db, p.user.id, id)
        .await?
        .ok_or_else(|| crate::policy::hidden("notification", id))?;
    let to = safe_link(&link).unwrap_or("/notifications");
    Ok(see_other(&headers, to))
}

/// `POST /notifications/read`: 「すべて既読にする」.
pub async fn read_all(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let p = person(&ctx)?;
    notifications::mark_all_read(&state.db, p.user.id).await?;
    Ok(see_other(&headers, "/notifications"))
}

/// One e-mail kind on the account page.
pub struct PrefRow {
    pub kind: &'static str,
    pub label: String,
    pub on: bool,
}

/// What the account page's `notify_prefs.html` shows.
pub struct Prefs {
    pub rows: Vec<PrefRow>,
    /// The address e-mail goes to; empty when none is registered.
    pub email: String,
}

/// The e-mail choices of the person signed in, for `/account`.
pub async fn prefs_of(state: &AppState, ctx: &Ctx) -> Result<Option<Prefs>, Failure> {
    let Some(p) = ctx.principal.as_ref() else {
        return Ok(None);
    };
    let rows = notifications::email_prefs(&state.db, p.user.id)
        .await?
        .into_iter()
        .map(|(kind, on)| PrefRow {
            kind,
            label: Messages::get().text(
                ctx.lang,
                &format!("notify-kind-{}", kind.replace('_', "-")),
                &[],
            ),
            on,
        })
        .collect();
    Ok(Some(Prefs {
        rows,
        email: p.user.email.clone(),
    }))
}

/// `POST /account/notifications`: the kinds ticked are on, the others off.
/// Only with the session cookie (like the password and tokens).
pub async fn save_prefs(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let p = person(&ctx)?;
    if ctx.via_token {
        return Err(Failure::Forbidden.into());
    }
    let ticked: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "kind")
        .map(|(_, v)| v.as_str())
        .collect();
    if let Some(unknown) = ticked
        .iter()
        .find(|k| !ismap_domain::schedule::EMAIL_KINDS.contains(k))
    {
        return Err(Failure::Invalid {
            field: "kind".into(),
            message: Messages::get().text(
                ctx.lang,
                "notify-prefs-unknown",
                &[("kind", unknown.chars().take(40).collect())],
            ),
        }
        .into());
    }
    let choices: Vec<(&str, bool)> = ismap_domain::schedule::EMAIL_KINDS
        .iter()
        .map(|k| (*k, ticked.contains(k)))
        .collect();
    notifications::set_email_prefs(
        &state.db,
        &Actor::user(p.user.id, &p.user.username),
        p.user.id,
        Some(p.organization.id),
        &choices,
    )
    .await?;
    Ok(see_other(&headers, "/account#notify-prefs"))
}
