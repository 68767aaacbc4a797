//! E-mail of notifications (issue 15, item 9): over SMTP with `lettre`
//! (`ismap serve --smtp-url`, TLS with rustls), or under `--demo` into a
//! Maildir folder beside the database so that a newcomer can read what was
//! sent. [`deliver_pending`] takes notifications whose e-mail is due, claims
//! each by a conditional UPDATE (two processes never send the same mail),
//! and sends it in Japanese and then English; a failure is logged and
//! retried with back-off, nothing is dropped.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ismap_i18n::{Lang, Messages};
use ismap_store::notifications::{self, Outgoing};
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::AppState;

/// Where mail goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailTransport {
    /// `smtps://user:pass@host:465` (TLS from the start) or
    /// `smtp://host:587?tls=required` (STARTTLS) — lettre's URL form.
    Smtp(String),
    /// A Maildir folder (`new/`, `cur/`, `tmp/`), for the demo.
    Maildir(PathBuf),
}

/// `ismap serve --smtp-url/--mail-from` (or the demo's Maildir).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailConfig {
    pub transport: MailTransport,
    /// The sender, e.g. `ISMAP <ismap@example.go.jp>`.
    pub from: String,
    /// Seconds between two looks at the queue.
    pub interval_seconds: u64,
}

/// Mail leaves over TLS: `smtps://`, or `smtp://…?tls=required`. Plain
/// `smtp://` is accepted only to this machine (a local relay, a test's
/// receiver), where nothing crosses a network.
pub fn check_smtp_url(text: &str) -> Result<(), String> {
    let url = url::Url::parse(text).map_err(|e| format!("SMTP URL not understood: {e}"))?;
    let tls = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    // `smtp:` is not a special scheme: its host comes as text.
    let local = matches!(
        url.host_str(),
        Some("localhost" | "127.0.0.1" | "[::1]" | "::1")
    );
    match (url.scheme(), tls.as_deref()) {
        ("smtps", _) | ("smtp", Some("required")) => Ok(()),
        ("smtp", _) if local => Ok(()),
        ("smtp", _) => Err(
            "mail would cross the network unencrypted: use smtps://HOST:465 or smtp://HOST:587?tls=required"
                .to_owned(),
        ),
        (other, _) => Err(format!("unknown scheme {other}: use smtps:// or smtp://")),
    }
}

/// A ready transport.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Maildir(PathBuf),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The URL may hold a password: never printed.
            Mailer::Smtp(_) => f.write_str("Mailer::Smtp(..)"),
            Mailer::Maildir(dir) => write!(f, "Mailer::Maildir({})", dir.display()),
        }
    }
}

impl Mailer {
    /// The transport for `transport`; a Maildir's folders are created.
    pub fn new(transport: &MailTransport) -> Result<Mailer, String> {
        match transport {
            MailTransport::Smtp(url) => {
                check_smtp_url(url)?;
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map(|b| Mailer::Smtp(b.timeout(Some(Duration::from_secs(30))).build()))
                    .map_err(|e| format!("SMTP URL not understood: {e}"))
            }
            MailTransport::Maildir(dir) => {
                for sub in ["new", "cur", "tmp"] {
                    ismap_store::private::create_dir(&dir.join(sub))
                        .map_err(|e| format!("cannot create {}: {e}", dir.join(sub).display()))?;
                }
                Ok(Mailer::Maildir(dir.clone()))
            }
        }
    }

    /// Sends one message.
    pub async fn send(&self, message: Message) -> Result<(), String> {
        match self {
            Mailer::Smtp(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Mailer::Maildir(dir) => write_maildir(dir, &message.formatted()).await,
        }
    }
}

/// Delivers into a Maildir as the format asks: written under `tmp/`, then
/// moved into `new/` (a reader never sees half a message).
async fn write_maildir(dir: &Path, bytes: &[u8]) -> Result<(), String> {
    let now = chrono::Utc::now();
    let name = format!(
        "{}.M{}P{}R{}.ismap",
        now.timestamp(),
        now.timestamp_subsec_micros(),
        std::process::id(),
        &crate::auth::random_token()[..12]
    );
    let tmp = dir.join("tmp").join(&name);
    let new = dir.join("new").join(format!("{name}:2,"));
    tokio::fs::write(&tmp, bytes)
        .await
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    tokio::fs::rename(&tmp, &new)
        .await
        .map_err(|e| format!("cannot move {} to new/: {e}", tmp.display()))
}

/// The subject: Japanese, then English.
pub fn subject(kind: &str) -> String {
    let group = ismap_domain::schedule::email_kind(kind).replace('_', "-");
    let messages = Messages::get();
    let part = |lang| {
        messages.text(
            lang,
            "notify-mail-subject",
            &[(
                "kind",
                messages.text(lang, &format!("notify-kind-{group}"), &[]),
            )],
        )
    };
    format!("{} / {}", part(Lang::Ja), part(Lang::En))
}

/// The body: the notification in Japanese, then in English, each with
/// the link and where to change the choice.
pub fn body(out: &Outgoing, public_url: &str) -> String {
    let base = public_url.trim_end_matches('/');
    let link = crate::pages::notify::safe_link(&out.notification.link)
        .map(|l| format!("{base}{l}"))
        .unwrap_or_else(|| format!("{base}/notifications"));
    let prefs = format!("{base}/account#notify-prefs");
    let messages = Messages::get();
    let part = |lang| {
        messages.text(
            lang,
            "notify-mail-body",
            &[
                ("name", out.display_name.clone()),
                (
                    "message",
                    crate::pages::notify::sentence(lang, &out.notification),
                ),
                ("link", link.clone()),
                ("prefs", prefs.clone()),
            ],
        )
    };
    format!(
        "{}\n\n----------------------------------------\n\n{}\n",
        part(Lang::Ja).trim_end(),
        part(Lang::En).trim_end()
    )
}

/// Whether `from` is a sender lettre accepts (`Name <address>` or an address).
pub fn check_sender(from: &str) -> Result<(), String> {
    from.parse::<Mailbox>()
        .map(|_| ())
        .map_err(|e| format!("{from:?} is not an e-mail address: {e}"))
}

/// The message for one notification.
pub fn compose(out: &Outgoing, from: &str, public_url: &str) -> Result<Message, String> {
    let from: Mailbox = from.parse().map_err(|e| format!("sender {from:?}: {e}"))?;
    let to = Mailbox::new(
        Some(out.display_name.clone()),
        out.email
            .trim()
            .parse()
            .map_err(|e| format!("address {:?}: {e}", out.email))?,
    );
    // Base64 always: Japanese text, and any mail client reads it.
    let text = Body::new_with_encoding(body(out, public_url), ContentTransferEncoding::Base64)
        .map_err(|_| "the body cannot be encoded".to_owned())?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(subject(&out.notification.kind))
        .header(ContentType::TEXT_PLAIN)
        .body(text)
        .map_err(|e| e.to_string())
}

/// What one pass over the queue did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    /// Settled without mail: the kind turned off, no address, or a disabled account.
    pub skipped: usize,
    pub failed: usize,
}

/// A claim older than this is taken to be abandoned (its process died).
const STALE_CLAIM_MINUTES: i64 = 15;

fn stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Sends every notification whose e-mail is due (at most `limit` a pass).
pub async fn deliver_pending(
    state: &AppState,
    mailer: &Mailer,
    from: &str,
    limit: i64,
) -> Result<DeliveryReport, ismap_store::StoreError> {
    let mut report = DeliveryReport::default();
    let now = chrono::Utc::now();
    let at = stamp(now);
    let stale = stamp(now - chrono::Duration::minutes(STALE_CLAIM_MINUTES));
    let claim = format!(
        "{}:{}",
        std::process::id(),
        &crate::auth::random_token()[..16]
    );
    for id in notifications::pending_email(&state.db, &at, &stale, limit).await? {
        let Some(out) = notifications::claim_email(&state.db, id, &claim, &at, &stale).await?
        else {
            continue;
        };
        let kind = ismap_domain::schedule::email_kind(&out.notification.kind);
        let skip = if !out.active {
            Some("inactive")
        } else if out.email.trim().is_empty() {
            Some("no_address")
        } else if !notifications::wants_email(&state.db, out.notification.user_id, kind).await? {
            Some("off")
        } else {
            None
        };
        if let Some(outcome) = skip {
            notifications::email_settled(&state.db, id, &claim, outcome).await?;
            report.skipped += 1;
            continue;
        }
        let sent = match compose(&out, from, &state.config.public_url) {
            Ok(message) => mailer.send(message).await,
            Err(e) => Err(e),
        };
        match sent {
            Ok(()) => {
                notifications::email_settled(&state.db, id, &claim, "sent").await?;
                report.sent += 1;
            }
            Err(error) => {
                let attempts = out.attempts + 1;
                let retry = now
                    + chrono::Duration::minutes(ismap_domain::schedule::mail_retry_minutes(
                        attempts,
                    ));
                tracing::warn!(notification = id, attempts, %error, "sending a notification e-mail failed; will retry");
                notifications::email_failed(&state.db, id, &claim, &error, &stamp(retry)).await?;
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// The loop `ismap serve` runs when mail is configured.
pub async fn run(state: AppState, config: MailConfig) {
    let mailer = match Mailer::new(&config.transport) {
        Ok(m) => m,
        Err(error) => {
            tracing::error!(%error, "e-mail is not sent");
            return;
        }
    };
    loop {
        match deliver_pending(&state, &mailer, &config.from, 200).await {
            Ok(r) if r.sent + r.failed > 0 => {
                tracing::info!(
                    sent = r.sent,
                    failed = r.failed,
                    skipped = r.skipped,
                    "notification e-mail"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "reading the e-mail queue failed"),
        }
        tokio::time::sleep(Duration::from_secs(config.interval_seconds.max(1))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ismap_store::notifications::Notification;

    fn outgoing() -> Outgoing {
        Outgoing {
            notification: Notification {
                id: 7,
                user_id: 3,
                kind: "interim.deadline_30".into(),
                message_id: "notify-interim-deadline".into(),
                args: vec![
                    ("service".into(), "サンプルSaaS".into()),
                    ("days".into(), "30".into()),
                    ("date".into(), "2027-05-31".into()),
                ],
                link: "/interim-measures/4".into(),
                created_at: "2027-05-01T00:00:00.000Z".into(),
                read_at: None,
                emailed_at: None,
            },
            email: "officer@example.jp".into(),
            display_name: "担当 太郎".into(),
            active: true,
            attempts: 0,
        }
    }

    #[test]
    fn mail_is_in_japanese_then_english() {
        let text = body(&outgoing(), "https://ismap.example.jp/");
        let ja = text
            .find("サンプルSaaSの暫定措置の申請期限（2027年5月31日）まで30日です")
            .expect(&text);
        let en = text
            .find("30 days left until the application deadline of the interim measure for サンプルSaaS (31 May 2027)")
            .expect(&text);
        assert!(ja < en);
        assert!(text.contains("https://ismap.example.jp/interim-measures/4"));
        assert!(text.contains("https://ismap.example.jp/account#notify-prefs"));
        assert_eq!(
            subject("interim.deadline_30"),
            "【ISMAPポータル】暫定措置の期限 / [ISMAP portal] Interim measure deadlines"
        );
        let message =
            compose(&outgoing(), "ISMAP <ismap@example.jp>", "https://x.example").unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("officer@example.jp"), "{raw}");
    }

    #[test]
    fn mail_leaves_over_tls_unless_it_stays_on_this_machine() {
        assert!(check_smtp_url("smtps://user:pass@mail.example.jp:465").is_ok());
        assert!(check_smtp_url("smtp://mail.example.jp:587?tls=required").is_ok());
        assert!(check_smtp_url("smtp://127.0.0.1:2525").is_ok());
        assert!(check_smtp_url("smtp://localhost:25").is_ok());
        assert!(check_smtp_url("smtp://mail.example.jp:25").is_err());
        assert!(check_smtp_url("smtp://mail.example.jp:25?tls=opportunistic").is_err());
        assert!(check_smtp_url("http://mail.example.jp").is_err());
        assert!(Mailer::new(&MailTransport::Smtp("smtp://mail.example.jp".into())).is_err());
        assert!(check_sender("ISMAP <ismap@example.jp>").is_ok());
        assert!(check_sender("not an address").is_err());
    }
}
