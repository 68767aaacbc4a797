//! `ismap`: the command line of the ISMAP system. See `ismap --help`.

/// `print!` that ends the program quietly when standard output's reader has
/// gone, as in `ismap … | head` ([`output::write_stdout`]).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!($($arg)*))
    };
}

/// `println!`, the same way as [`out!`].
macro_rules! outln {
    () => {
        out!("\n")
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod audit_cmd;
mod catalog_cmd;
mod catalogs;
mod interim_cmd;
mod liu_cmd;
mod logging;
mod oscal_cmd;
mod output;
mod server_cmd;
mod statement_cmd;
mod validity_cmd;
// Issue 6 (interoperability).
mod crosswalk_cmd;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ismap_i18n::Lang;

/// ismap: ISMAP (政府情報システムのためのセキュリティ評価制度) from the command line.
///
/// Browse the ISMAP control standard (管理基準), write a statement of
/// controls (言明書) and check it against rules S1–S8 as you go, and compute
/// how long a registration stays valid.
///
/// Start here:
///   ismap catalog list
///   ismap statement template --output my-statement.yaml
///   ismap statement validate my-statement.yaml --registry examples/registry.csv
///   ismap serve --demo          (the portal on http://127.0.0.1:8080/)
#[derive(Debug, Parser)]
#[command(name = "ismap", version, verbatim_doc_comment, max_term_width = 100)]
struct Cli {
    #[command(flatten)]
    global: GlobalOptions,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct GlobalOptions {
    /// Language of messages: ja (日本語, default) or en.
    #[arg(long, global = true, env = "ISMAP_LANG", default_value = "ja", value_parser = parse_lang)]
    lang: Lang,

    /// Also load this catalog pack (YAML); repeat for several.
    /// The bundled ismap-2022-excerpt is always available.
    #[arg(long = "pack", global = true, value_name = "FILE")]
    packs: Vec<PathBuf>,

    /// When to colour text output.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    color: ColorChoice,

    /// Largest input file read, in MiB; a larger file (or an .xlsx whose
    /// parts unzip to more) is refused with exit status 2.
    #[arg(long, global = true, env = "ISMAP_MAX_INPUT_MIB", value_name = "MIB",
          default_value_t = ismap_formats::limits::DEFAULT_MAX_INPUT_BYTES >> 20,
          value_parser = clap::value_parser!(u64).range(1..=65536))]
    max_input_mib: u64,
}

fn parse_lang(text: &str) -> Result<Lang, String> {
    text.parse()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour, even when piped.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Browse the control standard (管理基準): list catalogs, show and search controls, export.
    #[command(subcommand)]
    Catalog(catalog_cmd::CatalogCommand),
    /// Write and check a statement of controls (言明書).
    #[command(subcommand)]
    Statement(statement_cmd::StatementCommand),
    /// Compute the validity of a registration from the end of the audit period.
    ///
    /// A registration is valid from the day after the audit period ends, for
    /// 1 year and 4 months, counted as the Civil Code counts months.
    /// Example: --period-end 2024-03-31 → valid 2024-04-01 to 2025-07-31.
    Validity(validity_cmd::ValidityArgs),
    /// Plan audits (監査): which controls each year of an audit cycle covers.
    #[command(subcommand)]
    Audit(audit_cmd::AuditCommand),
    /// ISMAP-LIU: check internal audit coverage (内部監査) from your own records.
    #[command(subcommand)]
    Liu(liu_cmd::LiuCommand),
    /// Interim measures (暫定措置): the deadline by which an unregistered service must be applied for.
    #[command(subcommand)]
    Interim(interim_cmd::InterimCommand),
    /// Run the portal (axum): pages, JSON API, sign-in. Try --demo.
    Serve(server_cmd::ServeArgs),
    /// Database maintenance.
    #[command(subcommand)]
    Db(server_cmd::DbCommand),
    /// Create organizations and users.
    #[command(subcommand)]
    Admin(server_cmd::AdminCommand),
    /// Copy an SQLite database while the portal runs (PostgreSQL: use pg_dump).
    Backup(server_cmd::BackupArgs),
    /// Which ISMAP control objectives an ISO/IEC 27001 certificate, SP 800-53 controls or a FedRAMP baseline cover.
    Crosswalk(crosswalk_cmd::CrosswalkArgs),
    /// OSCAL documents (JSON or XML): validate, summarise, resolve profiles.
    #[command(subcommand)]
    Oscal(oscal_cmd::OscalCommand),
}

/// Exit status: 0 success; 1 the statement has errors; 2 input could not be
/// read or the command was misused.
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_UNREADABLE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    catalogs::set_max_input(cli.global.max_input_mib << 20);
    let style = output::Style::new(cli.global.color);
    let packs = cli.global.packs.clone();
    let result = catalogs::Catalogs::load(&cli.global.packs).and_then(|catalogs| {
        let context = Context {
            lang: cli.global.lang,
            style,
            catalogs,
        };
        match cli.command {
            Command::Catalog(command) => catalog_cmd::run(&context, command),
            Command::Statement(command) => statement_cmd::run(&context, command),
            Command::Validity(args) => validity_cmd::run(&context, args),
            Command::Audit(command) => audit_cmd::run(&context, command),
            Command::Liu(command) => liu_cmd::run(&context, command),
            Command::Interim(command) => interim_cmd::run(&context, command),
            Command::Serve(args) => server_cmd::serve(args, &packs),
            Command::Db(command) => server_cmd::db(command),
            Command::Admin(command) => server_cmd::admin(command),
            Command::Backup(args) => server_cmd::backup(args),
            Command::Crosswalk(args) => crosswalk_cmd::run(&context, args),
            Command::Oscal(command) => oscal_cmd::run(&context, command),
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("{}", style.error_line(&format!("{error:#}")));
            ExitCode::from(EXIT_UNREADABLE)
        }
    }
}

/// What every command needs.
pub struct Context {
    pub lang: Lang,
    pub style: output::Style,
    pub catalogs: catalogs::Catalogs,
}
