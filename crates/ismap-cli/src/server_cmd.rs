//! `ismap serve`, `ismap db migrate`, `ismap admin …`, `ismap backup`: the
//! portal and its operation.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use ismap_domain::{OrgKind, Role};
use ismap_store::users::NewUser;
use ismap_store::{Actor, Db, orgs, users};
use ismap_web::{AppState, Config, demo, password};

/// Where the embedded database lives unless told otherwise.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./ismap-data/ismap.db";

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// sqlite://PATH (created on first start) or postgres://USER@HOST:PORT/DB.
    #[arg(long, env = "ISMAP_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Address and port to listen on.
    #[arg(long, env = "ISMAP_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Seed a demo world (providers, auditor, IPA, committee, secretariat,
    /// agencies) and print one account per role with a fresh password.
    #[arg(long, env = "ISMAP_DEMO")]
    demo: bool,
    /// Mark cookies Secure; set this when users reach the portal over HTTPS.
    #[arg(long, env = "ISMAP_SECURE_COOKIES")]
    secure_cookies: bool,
    /// The address people use to reach the portal, e.g. https://ismap.example.jp
    /// (default: http://LISTEN). OpenID Connect sends people back there.
    #[arg(long, env = "ISMAP_PUBLIC_URL")]
    public_url: Option<String>,
    /// OpenID Connect issuer (e.g. the GビズID issuer URL) to offer sign-in with.
    #[arg(long, env = "ISMAP_OIDC_ISSUER", requires = "oidc_client_id")]
    oidc_issuer: Option<String>,
    /// The client id registered with the OpenID Connect provider.
    #[arg(long, env = "ISMAP_OIDC_CLIENT_ID")]
    oidc_client_id: Option<String>,
    /// The client secret (prefer the environment variable to the flag).
    #[arg(long, env = "ISMAP_OIDC_CLIENT_SECRET", hide_env_values = true)]
    oidc_client_secret: Option<String>,
    /// How long a sign-in lasts, in hours.
    #[arg(long, env = "ISMAP_SESSION_HOURS", default_value_t = 12)]
    session_hours: i64,
    /// Log format: text for people, json for log collectors.
    #[arg(long, env = "ISMAP_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
    /// File holding the master key (32 bytes, base64) that wraps every
    /// organization's file key. Created on first start if missing; keep it
    /// apart from database backups (see docs/operations.md). Default:
    /// master.key beside the SQLite database, or ./ismap-data/master.key.
    #[arg(long, env = "ISMAP_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
    /// Largest evidence file accepted, in MiB.
    #[arg(long, env = "ISMAP_MAX_UPLOAD_MIB", default_value_t = 20)]
    max_upload_mib: usize,
    /// Largest statement revision accepted, in MiB (as stored).
    #[arg(long, env = "ISMAP_MAX_STATEMENT_MIB", default_value_t = 2,
          value_parser = clap::value_parser!(u64).range(1..=64))]
    max_statement_mib: u64,
    /// Statement saves per user and minute (0: no limit).
    #[arg(long, env = "ISMAP_STATEMENT_WRITES_PER_MINUTE", default_value_t = 120,
          value_parser = clap::value_parser!(u32).range(0..=100_000))]
    statement_writes_per_minute: u32,
    /// Statement saves a user may make at once before the rate applies.
    #[arg(long, env = "ISMAP_STATEMENT_WRITE_BURST", default_value_t = 400,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    statement_write_burst: u32,
    /// The programme's start (YYYY-MM-DD): a service already in use then
    /// must be applied for within a year of it (interim measures, seed 000).
    /// The seeds say June 2020; the first of the month is this system's
    /// reading.
    #[arg(long, env = "ISMAP_PROGRAMME_START", default_value = "2020-06-01")]
    programme_start: chrono::NaiveDate,
    /// Open connections at most; more clients wait until one closes.
    #[arg(long, env = "ISMAP_MAX_CONNECTIONS", default_value_t = 4096,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    max_connections: u32,
    /// Seconds a client has to send a request's whole header.
    #[arg(long, env = "ISMAP_HEADER_TIMEOUT_SECS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout_secs: u64,
    /// Seconds a client has to send a request's whole body.
    #[arg(long, env = "ISMAP_BODY_TIMEOUT_SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_timeout_secs: u64,
    /// Seconds a connection may stay idle (no bytes either way) before it
    /// is closed, between keep-alive requests included.
    #[arg(long, env = "ISMAP_IDLE_TIMEOUT_SECS", default_value_t = 75,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    idle_timeout_secs: u64,
    /// Addresses of reverse proxies whose X-Forwarded-For is believed for
    /// sign-in throttling (comma-separated); none by default.
    #[arg(long, env = "ISMAP_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Seconds requests under way get to finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "ISMAP_SHUTDOWN_GRACE_SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(0..=600))]
    shutdown_grace_secs: u64,
    /// Send notifications by e-mail through this SMTP server:
    /// smtps://USER:PASSWORD@HOST:465 (TLS) or smtp://HOST:587?tls=required
    /// (STARTTLS). Prefer the environment variable (it holds a password).
    /// Under --demo without it, mail goes to a Maildir beside the database.
    #[arg(long, env = "ISMAP_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of notification e-mail, e.g. "ISMAP <ismap@example.go.jp>".
    #[arg(
        long,
        env = "ISMAP_MAIL_FROM",
        default_value = "ISMAP <ismap@localhost>"
    )]
    mail_from: String,
    /// Do not run the daily checks (deadline reminders) in this process;
    /// another process serving the same database runs them.
    #[arg(long, env = "ISMAP_NO_SCHEDULER")]
    no_scheduler: bool,
}

/// Where the demo's Maildir lives: beside the SQLite database, or in
/// ./ismap-data for PostgreSQL.
fn demo_maildir(database_url: &str) -> PathBuf {
    default_key_path(database_url).with_file_name("maildir")
}

/// Where the master key lives when no file is named: beside the SQLite
/// database, or in ./ismap-data for PostgreSQL.
fn default_key_path(database_url: &str) -> PathBuf {
    if let Some(path) = database_url.strip_prefix("sqlite://") {
        let file = path.split('?').next().unwrap_or(path);
        if file != ":memory:" {
            return std::path::Path::new(file).with_file_name("master.key");
        }
    }
    PathBuf::from("./ismap-data/master.key")
}

/// Reads the master key, or creates one (readable by the owner only) when
/// the file does not exist yet.
fn master_key(path: &std::path::Path) -> Result<ismap_store::vault::MasterKey> {
    use ismap_store::vault::MasterKey;
    match std::fs::read_to_string(path) {
        Ok(text) => MasterKey::from_base64(&text)
            .with_context(|| format!("{}: not a master key", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                ismap_store::private::create_dir(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let key = MasterKey::generate();
            let mut file = ismap_store::private::create_new_file(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            std::io::Write::write_all(&mut file, format!("{}\n", key.to_base64()).as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            tracing::warn!(path = %path.display(), "created a new master key for stored files; back it up apart from the database");
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Bring the database schema up to date (also done by `ismap serve`).
    Migrate(DatabaseArgs),
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an organization taking part in the programme.
    CreateOrg {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Name (Japanese), e.g. 株式会社サンプルクラウド.
        #[arg(long)]
        name: String,
        /// Name in English.
        #[arg(long, default_value = "")]
        name_en: String,
        /// csp, audit_org, ipa, committee, secretariat or agency.
        #[arg(long, value_parser = parse_kind)]
        kind: OrgKind,
    },
    /// Create a user with a role in an organization. The password is read
    /// from standard input with --password-stdin, or generated and printed.
    CreateUser {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Organization name (Japanese or English), as given to create-org.
        #[arg(long)]
        org: String,
        /// csp_admin, csp_editor, auditor, reviewer, committee_member,
        /// secretariat_officer or agency_officer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long, default_value = "")]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user: their sessions and API tokens stop at once.
    DisableUser {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        username: String,
        /// Why (recorded in the event log).
        #[arg(long)]
        reason: String,
    },
    /// Enable a disabled user again (API tokens revoked by disabling stay
    /// revoked).
    EnableUser {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        username: String,
        /// Why (recorded in the event log).
        #[arg(long)]
        reason: String,
    },
    /// Set a new password (from standard input with --password-stdin, or
    /// generated and printed); ends all the user's sessions and API tokens.
    ResetPassword {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Why (recorded in the event log).
        #[arg(long, default_value = "reset by an operator")]
        reason: String,
    },
    /// For load tests only: add COUNT synthetic registrations ("Benchmark
    /// service NNNNN" of "Benchmark Provider", four in five on the ISMAP
    /// list, the rest on ISMAP-LIU) so that the public lists can be measured
    /// at size (bench/list-load.sh). Never run it on a real database: the
    /// entries appear on the public lists. Refuses a database that already
    /// holds a seed.
    #[command(verbatim_doc_comment)]
    SeedRegistrations {
        #[command(flatten)]
        database: DatabaseArgs,
        /// How many registrations to add (at most 99999).
        #[arg(long)]
        count: usize,
    },
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The new file to write (never overwritten).
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
}

fn parse_kind(text: &str) -> Result<OrgKind, String> {
    OrgKind::from_key(text).ok_or_else(|| {
        let known: Vec<_> = OrgKind::ALL.iter().map(|k| k.key()).collect();
        format!("unknown kind {text:?}; use one of {}", known.join(", "))
    })
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::from_key(text).ok_or_else(|| {
        let known: Vec<_> = Role::ALL.iter().map(|r| r.key()).collect();
        format!("unknown role {text:?}; use one of {}", known.join(", "))
    })
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

async fn open(database: &DatabaseArgs) -> Result<Db> {
    let db = Db::connect(&database.database_url)
        .await
        .with_context(|| format!("cannot open the database {}", database.database_url))?;
    db.migrate().await.context("cannot migrate the database")?;
    Ok(db)
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ISMAP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder
            .fmt_fields(crate::logging::escaped_fields())
            .with_ansi(crate::logging::colour_on_stdout())
            .init(),
        // JSON escapes control characters itself, and is never coloured.
        LogFormat::Json => builder.json().with_ansi(false).init(),
    }
}

/// E-mail of notifications: SMTP when --smtp-url is given, the demo's
/// Maildir under --demo, else none. The URL and sender are checked now.
fn mail_config(args: &ServeArgs) -> Result<Option<ismap_web::notify_mail::MailConfig>> {
    use ismap_web::notify_mail::{MailConfig, MailTransport, Mailer};
    let transport = match (&args.smtp_url, args.demo) {
        (Some(url), _) => MailTransport::Smtp(url.trim().to_owned()),
        (None, true) => MailTransport::Maildir(demo_maildir(&args.database.database_url)),
        (None, false) => return Ok(None),
    };
    if let Err(e) = ismap_web::notify_mail::check_sender(&args.mail_from) {
        bail!("--mail-from: {e}");
    }
    Mailer::new(&transport).map_err(|e| anyhow::anyhow!("--smtp-url: {e}"))?;
    Ok(Some(MailConfig {
        transport,
        from: args.mail_from.clone(),
        interval_seconds: 30,
    }))
}

pub fn serve(args: ServeArgs, packs: &[PathBuf]) -> Result<u8> {
    init_logs(args.log_format);
    // Packs were checked when the command started (Catalogs::load).
    let packs = packs
        .iter()
        .map(|path| {
            Ok((
                path.display().to_string(),
                crate::catalogs::read_text(path)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    runtime()?.block_on(async {
        let started = std::time::Instant::now();
        let db = open(&args.database).await?;
        let public_url = args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", args.listen));
        let oidc = match (&args.oidc_issuer, &args.oidc_client_id) {
            (Some(issuer), Some(client_id)) => Some(ismap_web::oidc::OidcConfig {
                issuer: issuer.clone(),
                client_id: client_id.clone(),
                client_secret: args.oidc_client_secret.clone(),
            }),
            _ => None,
        };
        let config = Config {
            secure_cookies: args.secure_cookies || public_url.starts_with("https://"),
            session_hours: args.session_hours,
            public_url,
            oidc,
            packs,
            master_key: Some(master_key(
                &args
                    .master_key_file
                    .clone()
                    .unwrap_or_else(|| default_key_path(&args.database.database_url)),
            )?),
            max_upload_bytes: args.max_upload_mib * 1024 * 1024,
            trusted_proxies: args.trusted_proxies.clone(),
            max_statement_bytes: args.max_statement_mib as usize * 1024 * 1024,
            statement_writes_per_minute: args.statement_writes_per_minute,
            statement_write_burst: args.statement_write_burst,
            programme_start: args.programme_start,
            run_scheduler: !args.no_scheduler,
            mail: mail_config(&args)?,
            connections: ismap_web::server::ConnectionLimits {
                max_connections: args.max_connections as usize,
                header_read_timeout: Duration::from_secs(args.header_timeout_secs),
                request_body_timeout: Duration::from_secs(args.body_timeout_secs),
                idle_timeout: Duration::from_secs(args.idle_timeout_secs),
                shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
            },
            ..Config::default()
        };
        // Catalogs first: the demo statement refers to the bundled one.
        let state = AppState::load(db, config)
            .await
            .context("cannot load catalogs")?;
        let accounts = if args.demo {
            Some(
                demo::prepare(&state.db, state.config.programme_start)
                    .await
                    .context("cannot prepare the demo")?,
            )
        } else {
            None
        };
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener.local_addr()?;
        if let Some(accounts) = accounts {
            outln!(
                "ismap demo — デモ用アカウント / demo accounts (passwords are new at every start):"
            );
            for a in &accounts {
                outln!(
                    "  {:<12} {:<24} {:<20} {}",
                    a.username,
                    a.password,
                    a.role.key(),
                    a.organization
                );
            }
        }
        if let Some(ismap_web::notify_mail::MailTransport::Maildir(dir)) =
            state.config.mail.as_ref().map(|m| &m.transport)
        {
            outln!(
                "メールは送信せずに保存します / e-mail is not sent but kept in the Maildir {} (new/ holds one file per message)",
                dir.display()
            );
        }
        outln!(
            "ismap is listening on http://{address}/ (started in {} ms)",
            started.elapsed().as_millis()
        );
        tracing::info!(%address, "listening");
        ismap_web::serve(listener, state)
            .await
            .context("server failed")?;
        Ok(0)
    })
}

pub fn db(command: DbCommand) -> Result<u8> {
    match command {
        DbCommand::Migrate(database) => runtime()?.block_on(async {
            open(&database).await?;
            outln!("the database is up to date: {}", database.database_url);
            Ok(0)
        }),
    }
}

pub fn admin(command: AdminCommand) -> Result<u8> {
    let operator = Actor::system("ismap admin");
    runtime()?.block_on(async {
        match command {
            AdminCommand::CreateOrg {
                database,
                name,
                name_en,
                kind,
            } => {
                let db = open(&database).await?;
                let org = orgs::create(&db, &operator, name.trim(), name_en.trim(), kind).await?;
                outln!(
                    "created organization {} ({}, id {})",
                    org.name,
                    org.kind,
                    org.id
                );
            }
            AdminCommand::CreateUser {
                database,
                org,
                role,
                username,
                display_name,
                email,
                password_stdin,
            } => {
                let db = open(&database).await?;
                let Some(organization) = orgs::find_by_name(&db, org.trim()).await? else {
                    bail!("no organization named {org:?}; create it with `ismap admin create-org`");
                };
                let (secret, generated) = new_password(password_stdin)?;
                let hash = password::hash_for(&secret, username.trim())
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let user = users::create(
                    &db,
                    &operator,
                    NewUser {
                        username: username.trim(),
                        display_name: display_name.as_deref().unwrap_or(username.trim()),
                        email: email.trim(),
                        password_hash: Some(&hash),
                    },
                    &organization,
                    role,
                )
                .await?;
                outln!(
                    "created user {} ({} in {})",
                    user.username,
                    role,
                    organization.name
                );
                if generated {
                    outln!("password: {secret}");
                }
            }
            AdminCommand::DisableUser {
                database,
                username,
                reason,
            } => {
                let db = open(&database).await?;
                let user = find_user(&db, &username).await?;
                if users::set_active(&db, &operator, user.id, false, reason.trim()).await? {
                    outln!(
                        "disabled {}: sessions ended, API tokens revoked",
                        user.username
                    );
                } else {
                    outln!("{} was already disabled", user.username);
                }
            }
            AdminCommand::EnableUser {
                database,
                username,
                reason,
            } => {
                let db = open(&database).await?;
                let user = find_user(&db, &username).await?;
                if users::set_active(&db, &operator, user.id, true, reason.trim()).await? {
                    outln!("enabled {}", user.username);
                } else {
                    outln!("{} was already enabled", user.username);
                }
            }
            AdminCommand::ResetPassword {
                database,
                username,
                password_stdin,
                reason,
            } => {
                let db = open(&database).await?;
                let user = find_user(&db, &username).await?;
                let (secret, generated) = new_password(password_stdin)?;
                let hash = password::hash_for(&secret, &user.username)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                users::set_password(&db, &operator, &user, &hash, reason.trim()).await?;
                outln!(
                    "new password set for {}; their sessions and API tokens were ended",
                    user.username
                );
                if generated {
                    outln!("password: {secret}");
                }
            }
            AdminCommand::SeedRegistrations { database, count } => {
                let db = open(&database).await?;
                let today = ismap_domain::validity::today_in_japan();
                ismap_store::registrations::seed_for_benchmark(&db, count, today)
                    .await
                    .context("cannot seed benchmark registrations")?;
                outln!(
                    "seeded {count} benchmark registrations (for load tests only) into {}",
                    database.database_url
                );
            }
        }
        Ok(0)
    })
}

/// The password from the first line of standard input, or a generated one
/// (true: print it).
fn new_password(from_stdin: bool) -> Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok((line.trim_end_matches(['\r', '\n']).to_owned(), false))
    } else {
        Ok((
            format!("ismap-{}", &ismap_web::auth::random_token()[..20]),
            true,
        ))
    }
}

async fn find_user(db: &Db, username: &str) -> Result<users::User> {
    match users::find_for_sign_in(db, username).await? {
        Some((user, _)) => Ok(user),
        None => bail!("no user named {username:?}"),
    }
}

pub fn backup(args: BackupArgs) -> Result<u8> {
    runtime()?.block_on(async {
        let db = open(&args.database).await?;
        db.backup_sqlite(&args.to).await?;
        outln!(
            "backed up {} to {}",
            args.database.database_url,
            args.to.display()
        );
        Ok(0)
    })
}
