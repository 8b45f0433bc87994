//! The command line, as clap parses it.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};

/// Operate a consent ledger: record consents and withdrawals, decide disclosures, and answer
/// access requests, audits and statistics.
#[derive(Debug, Parser)]
#[command(name = "consent", version, max_term_width = 100)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: Global,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// The ledger file
    #[arg(
        long,
        global = true,
        env = "CONSENT_LEDGER",
        default_value = "./consent.db",
        value_name = "FILE"
    )]
    pub ledger: PathBuf,
    /// The pseudonym key file [default: the ledger's path with `.key` appended]
    #[arg(long, global = true, env = "CONSENT_KEY_FILE", value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// A catalogue TOML file instead of the embedded default catalogue
    #[arg(long, global = true, env = "CONSENT_CATALOGUE", value_name = "FILE")]
    pub catalogue: Option<PathBuf>,
    /// Who performs a mutating command: a user or system id
    #[arg(long, global = true, env = "CONSENT_ACTOR_ID", value_name = "ID")]
    pub actor_id: Option<String>,
    /// The actor's role, a code such as `case_worker`
    #[arg(long, global = true, env = "CONSENT_ACTOR_ROLE", value_name = "ROLE")]
    pub actor_role: Option<String>,
    /// Print JSON for scripts instead of tables (errors too, on standard error)
    #[arg(long, global = true)]
    pub json: bool,
    /// Create the ledger's files for the owner's group too (0660, the key 0640): for service
    /// accounts that share one ledger. Without it they are the owner's alone (0600)
    #[arg(
        long,
        global = true,
        env = "CONSENT_GROUP_ACCESS",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub group_access: bool,
    /// Accept synthetic test national ids (month + 40 or + 80); training ledgers only
    #[arg(
        long,
        global = true,
        env = "CONSENT_TEST_MODE",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub test_mode: bool,
    /// Run the ledger's clock from this instant instead of the system clock (test mode only;
    /// for training ledgers and tests that keep fixed dates)
    #[arg(long, global = true, env = "CONSENT_CLOCK", value_parser = parse_instant, value_name = "RFC3339")]
    pub clock: Option<DateTime<Utc>>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new ledger and its key file (refuses to overwrite an existing ledger)
    Init,
    /// Show or check a catalogue
    #[command(subcommand)]
    Catalogue(CatalogueCommand),
    /// Record a consent from a grant JSON document and print its grant id
    Grant(GrantArgs),
    /// Withdraw a grant from an instant onward (earlier decisions stand)
    Withdraw(WithdrawArgs),
    /// Decide a disclosure: exit 0 when permitted, 1 when denied, 2 on error
    Decide(DecideArgs),
    /// Everything the ledger holds about one subject (GDPR Art. 15)
    Export(ExportArgs),
    /// Record that a person known under one id (a DUF number, a D-nummer) is now known under
    /// another: their grants and history follow them
    Succession(SuccessionArgs),
    /// List whom to tell of a lifted restriction, a rectification, a restriction or an
    /// erasure (GDPR Art. 18(3) and 19)
    Notifications(NotificationsArgs),
    /// Mark a task of the notification worklist done
    Notified(NotifiedArgs),
    /// Aggregate counts by month, purpose and recipient (small counts suppressed)
    Stats(StatsArgs),
    /// Verify the ledger's hash chain, also on a ledger that no longer opens
    Verify,
    /// Record many consents from a JSON array or JSON lines of grant documents
    Import(ImportArgs),
    /// List grants that need new consent soon
    Reconsent(ReconsentArgs),
    /// Restrict the processing of a subject's data on a ground of GDPR Art. 18(1): consent-based
    /// disclosures go on, statutory ones stop unless their rule continues under restriction
    Restrict(RestrictArgs),
    /// Lift every restriction of a subject in force (tell the person first, Art. 18(3))
    LiftRestriction(LiftRestrictionArgs),
    /// Record a subject's objection (GDPR Art. 21) to processing for a purpose; prints its id
    Object(ObjectArgs),
    /// Resolve an objection: `upheld` keeps the processing stopped, `rejected` resumes it
    ResolveObjection(ResolveObjectionArgs),
    /// Request erasure (GDPR Art. 17): withdraws the subject's grants, restricts, and says when
    /// kassasjon is due (the archival duty keeps the records until then)
    Erase(SubjectArgs),
    /// List subjects whose erasure was requested and whose records' retention has ended
    ErasureDue(ErasureDueArgs),
    /// Kassasjon: crypto-shred a subject's records once their retention has ended (judged by
    /// the ledger's clock)
    Kassasjon(SubjectArgs),
}

/// `consent catalogue …`
#[derive(Debug, Subcommand)]
pub enum CatalogueCommand {
    /// Show the catalogue (embedded, or the one given with --catalogue) as tables
    Show,
    /// Validate a catalogue TOML file
    Check {
        /// The catalogue TOML file
        file: PathBuf,
    },
    /// Adopt a catalogue: the ledger records it (with the actor) and decides under it from
    /// now on; it must keep every code of the catalogue in force at the same position
    Adopt {
        /// The catalogue TOML file
        file: PathBuf,
    },
}

/// `consent grant`
#[derive(Debug, Args)]
pub struct GrantArgs {
    /// The grant JSON document, or `-` for standard input
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// `consent withdraw`
#[derive(Debug, Args)]
pub struct WithdrawArgs {
    /// The grant id
    pub id: String,
    /// From when (RFC 3339) [default: now]
    #[arg(long, value_parser = parse_instant, value_name = "RFC3339")]
    pub at: Option<DateTime<Utc>>,
    /// Why, as the subject gave it (never a national id)
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

/// `consent decide`
#[derive(Debug, Args)]
pub struct DecideArgs {
    /// The subject's national id (fødselsnummer, D-nummer or DUF number)
    #[arg(long, value_name = "FNR")]
    pub subject: String,
    /// The recipient code
    #[arg(long, value_name = "CODE")]
    pub recipient: String,
    /// The purpose code
    #[arg(long, value_name = "CODE")]
    pub purpose: String,
    /// The data category codes (repeat the flag or list several)
    #[arg(long = "category", value_name = "CODE", num_args = 1.., required = true)]
    pub categories: Vec<String>,
    /// The instant to decide for (RFC 3339) [default: now]
    #[arg(long, value_parser = parse_instant, value_name = "RFC3339")]
    pub at: Option<DateTime<Utc>>,
    /// A condition the requester asserts, with the reference that documents it (repeatable):
    /// `--assert serious_concern=2026/55`
    #[arg(long = "assert", value_name = "CONDITION=REFERENCE")]
    pub assertions: Vec<String>,
}

/// `consent export`
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The subject's national id
    #[arg(value_name = "SUBJECT")]
    pub subject: String,
}

/// `consent succession`
#[derive(Debug, Args)]
pub struct SuccessionArgs {
    /// The earlier id: a DUF number (12 digits), a D-nummer or a fødselsnummer
    #[arg(value_name = "FROM")]
    pub from: String,
    /// The id the person is known under now
    #[arg(value_name = "TO")]
    pub to: String,
    /// The case or register entry that documents the change (never a national id)
    #[arg(long, value_name = "TEXT")]
    pub reference: String,
    /// TO already holds records of the same person: join the two histories (for good; the
    /// event records the merge). Without it such a succession is refused
    #[arg(long)]
    pub merge: bool,
}

/// `consent notifications`
#[derive(Debug, Args)]
pub struct NotificationsArgs {
    /// The instant to list the worklist at (RFC 3339) [default: the ledger's clock]
    #[arg(long, value_parser = parse_instant, value_name = "RFC3339")]
    pub at: Option<DateTime<Utc>>,
}

/// `consent notified`
#[derive(Debug, Args)]
pub struct NotifiedArgs {
    /// The event the task arose from (its `event_id` in `consent notifications`)
    #[arg(value_name = "EVENT_ID")]
    pub event_id: String,
    /// The recipient code that was told [default: the person was told]
    #[arg(long, value_name = "CODE")]
    pub recipient: Option<String>,
    /// When they were told (RFC 3339)
    #[arg(long, value_parser = parse_instant, value_name = "RFC3339")]
    pub at: DateTime<Utc>,
}

/// `consent stats`
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The first period counted, a whole period of the catalogue's statistics_period
    /// (`2026-03`, `2026-Q1` or `2026`) [default: the first event's]
    #[arg(long, value_name = "PERIOD")]
    pub from: Option<String>,
    /// The last period counted [default: the period under way]
    #[arg(long, value_name = "PERIOD")]
    pub to: Option<String>,
    /// Suppress counts below this (it can only raise the catalogue's threshold)
    #[arg(long, value_name = "N")]
    pub min_cell: Option<u32>,
}

/// `consent import`
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A JSON array or JSON lines of grant documents, or `-` for standard input
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Grants per durable write (from 1,024 a write seals on a second thread while SQLite stores)
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=100_000), value_name = "N")]
    pub batch_size: u32,
    /// Historical paper consents: they may start long before they are recorded, are kept as
    /// recorded (marked `migrated`), and only the catalogue's migration roles may import them
    #[arg(long)]
    pub historical: bool,
}

/// `consent reconsent`
#[derive(Debug, Args)]
pub struct ReconsentArgs {
    /// The instant to look ahead from (RFC 3339) [default: now]
    #[arg(long, value_parser = parse_instant, value_name = "RFC3339")]
    pub at: Option<DateTime<Utc>>,
    /// How many days ahead to look
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=36_600), value_name = "N")]
    pub days: u32,
}

/// `consent restrict`
#[derive(Debug, Args)]
pub struct RestrictArgs {
    /// The subject's national id
    #[arg(value_name = "SUBJECT")]
    pub subject: String,
    /// The ground of GDPR Art. 18(1): `A18_1_a` (accuracy contested), `A18_1_b` (unlawful,
    /// erasure opposed), `A18_1_c` (needed for legal claims), `A18_1_d` (objection pending)
    #[arg(long, value_name = "GROUND")]
    pub ground: String,
    /// From when (RFC 3339) [default: the ledger's clock]
    #[arg(long, value_parser = parse_instant, value_name = "RFC3339")]
    pub at: Option<DateTime<Utc>>,
}

/// `consent lift-restriction`
#[derive(Debug, Args)]
pub struct LiftRestrictionArgs {
    /// The subject's national id
    #[arg(value_name = "SUBJECT")]
    pub subject: String,
    /// Why the restriction ends (never a national id)
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// From when (RFC 3339) [default: the ledger's clock]
    #[arg(long, value_parser = parse_instant, value_name = "RFC3339")]
    pub at: Option<DateTime<Utc>>,
}

/// `consent object`
#[derive(Debug, Args)]
pub struct ObjectArgs {
    /// The subject's national id
    #[arg(value_name = "SUBJECT")]
    pub subject: String,
    /// The purpose objected to
    #[arg(long, value_name = "CODE")]
    pub purpose: String,
    /// From when (RFC 3339) [default: the ledger's clock]
    #[arg(long, value_parser = parse_instant, value_name = "RFC3339")]
    pub at: Option<DateTime<Utc>>,
}

/// `consent resolve-objection`
#[derive(Debug, Args)]
pub struct ResolveObjectionArgs {
    /// The objection's id, as `consent object` printed it
    #[arg(value_name = "ID")]
    pub id: String,
    /// `upheld` (no compelling grounds: the processing stays stopped) or `rejected` (it resumes)
    #[arg(long, value_name = "OUTCOME")]
    pub outcome: String,
    /// Why (never a national id)
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// From when (RFC 3339) [default: the ledger's clock]
    #[arg(long, value_parser = parse_instant, value_name = "RFC3339")]
    pub at: Option<DateTime<Utc>>,
}

/// `consent erase` and `consent kassasjon`
#[derive(Debug, Args)]
pub struct SubjectArgs {
    /// The subject's national id
    #[arg(value_name = "SUBJECT")]
    pub subject: String,
}

/// `consent erasure-due`
#[derive(Debug, Args)]
pub struct ErasureDueArgs {
    /// The instant to list for (RFC 3339) [default: the ledger's clock]
    #[arg(long, value_parser = parse_instant, value_name = "RFC3339")]
    pub at: Option<DateTime<Utc>>,
}

/// Parses an RFC 3339 instant (`2026-03-01T10:00:00Z`, or with an offset).
fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 instant such as `2026-03-01T10:00:00Z` ({e})"))
}
