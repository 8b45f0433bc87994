//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::when::{When, parse_when};

/// Operate a consent ledger: record consents and withdrawals, decide disclosures, and answer
/// access requests, audits and statistics.
#[derive(Debug, Parser)]
#[command(
    name = "consent",
    version,
    max_term_width = 100,
    after_help = "Options every command takes (--ledger, --json, the actor, ...) are listed by \
                  `consent --help` and `consent COMMAND --help`. National ids go on standard input: a \
                  subject argument `-` reads one line (`read -rs FNR`, then `... - <<< \"$FNR\"`), \
                  so ps and the shell's history never show them.\n\nExample:\n  consent decide --help"
)]
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
    /// The ledger file, or the URL of a PostgreSQL ledger many hosts share
    /// (postgresql://user:password@host:port/db?schema=NAME; its key from --key-file)
    #[arg(
        long,
        global = true,
        hide_short_help = true,
        help_heading = "Global options",
        env = "CONSENT_LEDGER",
        default_value = "./consent.db",
        value_name = "FILE"
    )]
    pub ledger: PathBuf,
    /// The pseudonym key file [default: the ledger's path with `.key` appended]
    #[arg(
        long,
        global = true,
        hide_short_help = true,
        help_heading = "Global options",
        env = "CONSENT_KEY_FILE",
        value_name = "FILE"
    )]
    pub key_file: Option<PathBuf>,
    /// A catalogue TOML file instead of the embedded default catalogue
    #[arg(
        long,
        global = true,
        hide_short_help = true,
        help_heading = "Global options",
        env = "CONSENT_CATALOGUE",
        value_name = "FILE"
    )]
    pub catalogue: Option<PathBuf>,
    /// Who performs a mutating command: a user or system id
    #[arg(
        long,
        global = true,
        hide_short_help = true,
        help_heading = "Global options",
        env = "CONSENT_ACTOR_ID",
        value_name = "ID"
    )]
    pub actor_id: Option<String>,
    /// The actor's role, a code such as `case_worker`
    #[arg(
        long,
        global = true,
        hide_short_help = true,
        help_heading = "Global options",
        env = "CONSENT_ACTOR_ROLE",
        value_name = "ROLE"
    )]
    pub actor_role: Option<String>,
    /// Act as the actor of a signed token (a JWT from the identity provider) read from FILE,
    /// or from standard input with `-`; in place of --actor-id and --actor-role. The ledger
    /// verifies it against --actor-trust. Never pass a token itself as an argument
    #[arg(
        long,
        global = true,
        hide_short_help = true,
        help_heading = "Global options",
        env = "CONSENT_ACTOR_TOKEN_FILE",
        value_name = "FILE"
    )]
    pub actor_token_file: Option<PathBuf>,
    /// Whose signed actors the ledger believes: a JSON file `{"issuer": "...", "jwks_file":
    /// "...", "id_claim": "sub", "role_claim": "role", "audience": "..."}` (issuer and JWKS
    /// file required)
    #[arg(
        long,
        global = true,
        hide_short_help = true,
        help_heading = "Global options",
        env = "CONSENT_ACTOR_TRUST",
        value_name = "FILE"
    )]
    pub actor_trust: Option<PathBuf>,
    /// Print JSON for scripts instead of tables (errors too, on standard error)
    #[arg(long, global = true)]
    pub json: bool,
    /// Create the ledger's files for the owner's group too (0660, the key 0640): for service
    /// accounts that share one ledger. Without it they are the owner's alone (0600)
    #[arg(
        long,
        global = true,
        hide_short_help = true,
        help_heading = "Global options",
        env = "CONSENT_GROUP_ACCESS",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub group_access: bool,
    /// For a PostgreSQL ledger: how old, in milliseconds, a decision's view may be before it
    /// checks the database's head again [default: 0, every decision checks]
    #[arg(
        long,
        global = true,
        hide_short_help = true,
        help_heading = "Global options",
        env = "CONSENT_MAX_STALENESS_MS",
        value_name = "MS"
    )]
    pub max_staleness_ms: Option<u64>,
    /// Accept synthetic test national ids (month + 40 or + 80); training ledgers only
    #[arg(
        long,
        global = true,
        hide_short_help = true,
        help_heading = "Global options",
        env = "CONSENT_TEST_MODE",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub test_mode: bool,
    /// Run the ledger's clock from this instant instead of the system clock (test mode only;
    /// for training ledgers and tests that keep fixed dates); written as --at is
    #[arg(long, global = true,
        hide_short_help = true,
        help_heading = "Global options", env = "CONSENT_CLOCK", value_parser = parse_when, value_name = "WHEN")]
    pub clock: Option<When>,
}

/// A shell `consent completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    /// GNU Bash
    Bash,
    /// Z shell
    Zsh,
    /// fish
    Fish,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new ledger and its key file (refuses to overwrite an existing ledger)
    #[command(after_help = "Example:\n  consent --ledger /srv/consent/consent.db init")]
    Init,
    /// Show or check a catalogue
    #[command(subcommand)]
    Catalogue(CatalogueCommand),
    /// Record a consent from a grant JSON document and print its grant id
    #[command(after_help = "Example:\n  consent grant grant.json")]
    Grant(GrantArgs),
    /// Withdraw a grant from an instant onward (earlier decisions stand)
    #[command(
        after_help = "Example:\n  consent withdraw 01a203db-d8a1-7d00-9b2d-0a25893c332f --at 2026-04-01 --reason \"by phone\""
    )]
    Withdraw(WithdrawArgs),
    /// Decide a disclosure: exit 0 when permitted, 1 when denied, 2 on error
    #[command(
        after_help = "Example:\n  consent decide --subject - --recipient nav --purpose employment_followup --category name finances --at \"2026-03-01 10:00\" <<< \"$FNR\""
    )]
    Decide(DecideArgs),
    /// Everything the ledger holds about one subject (GDPR Art. 15)
    #[command(
        after_help = "Example:\n  consent export --json - <<< \"$FNR\" > innsyn.json\n  consent export --format fhir - <<< \"$FNR\" > consents.fhir.json\n  consent export --format dpv - <<< \"$FNR\" > consents.jsonld"
    )]
    Export(ExportArgs),
    /// Record that a person known under one id (a DUF number, a D-nummer) is now known under
    /// another: their grants and history follow them
    #[command(
        after_help = "Example:\n  printf '%s\\n' \"$DUF\" \"$FNR\" | consent succession - - --reference \"Folkeregisteret 2026-03-01\""
    )]
    Succession(SuccessionArgs),
    /// List whom to tell of a lifted restriction, a rectification, a restriction or an
    /// erasure (GDPR Art. 18(3) and 19)
    #[command(after_help = "Example:\n  consent notifications --at 2026-03-01")]
    Notifications(NotificationsArgs),
    /// List the deviations (avvik): disclosures recorded since WHEN that the ledger would now
    /// deny at their instant (a withdrawal, restriction or objection learnt of later, dated
    /// before them)
    #[command(after_help = "Example:\n  consent deviations --since 2026-01-01")]
    Deviations(DeviationsArgs),
    /// Mark a task of the notification worklist done
    #[command(
        after_help = "Example:\n  consent notified 01a203db-d8a1-7d00-9b2d-0a25893c332f --recipient nav --at now"
    )]
    Notified(NotifiedArgs),
    /// Aggregate counts by month, purpose and recipient (small counts suppressed)
    #[command(
        after_help = "Example:\n  consent stats --actor-id revisor-1 --actor-role auditor --from 2026-Q1 --to 2026-Q2"
    )]
    Stats(StatsArgs),
    /// Verify the ledger's hash chain, also on a ledger that no longer opens; with --against,
    /// also prove it is the ledger a backup was taken of (exit 1 when it is not)
    #[command(
        after_help = "Example:\n  consent verify --against /backup/consent-2026-03-01/manifest.json"
    )]
    Verify(VerifyArgs),
    /// Back up the ledger while services keep writing: a consistent copy, its key file (unless
    /// --without-key) and a manifest, in a new directory
    #[command(
        after_help = "Example:\n  consent --ledger /srv/consent/consent.db backup /backup/consent-$(date +%F)"
    )]
    Backup(BackupArgs),
    /// Restore a backup to --ledger after checking it (digest, key, chain, head); recorded in
    /// the restored ledger, as a rollback when it goes back in time, as the actor's, who must
    /// be permitted `adopt_catalogue` (the DPO). Refused while a process has the ledger open
    #[command(
        after_help = "Example:\n  consent --ledger /srv/consent/consent.db --actor-id personvernombud-1 --actor-role dpo restore /backup/consent-2026-03-01 --reason \"disk failure, case 2026/88\""
    )]
    Restore(RestoreArgs),
    /// Write a snapshot of the ledger's state now, so the next open replays only what follows
    /// (closing a ledger writes one by itself once 10,000 events followed the last)
    #[command(after_help = "Example:\n  consent --ledger /srv/consent/consent.db snapshot")]
    Snapshot,
    /// Upgrade a ledger file written by consent 0.1 to this version's file format and catalogue,
    /// after a backup, as one recorded step by a role that may adopt a catalogue (dpo); a ledger
    /// already upgraded is left as it is (exit 0)
    #[command(
        after_help = "Example:\n  consent --ledger /srv/consent/consent.db upgrade --backup-to /backup/consent-before-upgrade --actor-id ola --actor-role dpo"
    )]
    Upgrade(UpgradeArgs),
    /// Record many consents from a JSON array or JSON lines of grant documents
    #[command(after_help = "Example:\n  consent import grants.jsonl --batch-size 5000")]
    Import(ImportArgs),
    /// List grants that need new consent soon
    #[command(after_help = "Example:\n  consent reconsent --days 60")]
    Reconsent(ReconsentArgs),
    /// Documents people read: a person's access letter (innsyn), the privacy notice and the
    /// record of processing (GDPR Art. 30), as HTML or PDF (the record also as CSV)
    #[command(subcommand)]
    Report(ReportCommand),
    /// Restrict the processing of a subject's data on a ground of GDPR Art. 18(1): consent-based
    /// disclosures go on, statutory ones stop unless their rule continues under restriction
    #[command(after_help = "Example:\n  consent restrict - --ground A18_1_a <<< \"$FNR\"")]
    Restrict(RestrictArgs),
    /// Lift every restriction of a subject in force (tell the person first, Art. 18(3))
    #[command(
        after_help = "Example:\n  consent lift-restriction - --reason \"accuracy confirmed, person told 2026-03-01\" <<< \"$FNR\""
    )]
    LiftRestriction(LiftRestrictionArgs),
    /// Record a subject's objection (GDPR Art. 21) to processing for a purpose; prints its id
    #[command(
        after_help = "Example:\n  consent object - --purpose employment_followup <<< \"$FNR\""
    )]
    Object(ObjectArgs),
    /// Resolve an objection: `upheld` keeps the processing stopped, `rejected` resumes it
    #[command(
        after_help = "Example:\n  consent resolve-objection 01a203db-d8a1-7d00-9b2d-0a25893c332f --outcome rejected --reason \"compelling grounds: case 2026/55\""
    )]
    ResolveObjection(ResolveObjectionArgs),
    /// Request erasure (GDPR Art. 17): withdraws the subject's grants, restricts, and says when
    /// kassasjon is due (the archival duty keeps the records until then)
    #[command(after_help = "Example:\n  consent erase - <<< \"$FNR\"")]
    Erase(SubjectArgs),
    /// List subjects whose erasure was requested and whose records' retention has ended
    #[command(after_help = "Example:\n  consent erasure-due --at 2036-01-01")]
    ErasureDue(ErasureDueArgs),
    /// Kassasjon: crypto-shred a subject's records once their retention has ended (judged by
    /// the ledger's clock)
    #[command(after_help = "Example:\n  consent kassasjon - <<< \"$FNR\"")]
    Kassasjon(SubjectArgs),
    /// Record that a person refused to consent, from a refusal JSON document; prints its id
    #[command(after_help = "Example:\n  consent refuse refusal.json")]
    Refuse(RefuseArgs),
    /// Correct one field of a subject's grant (GDPR Art. 16) without rewriting history:
    /// decisions from now on use the corrected value, earlier ones stand
    #[command(
        after_help = "Example:\n  consent rectify - 01a203db-d8a1-7d00-9b2d-0a25893c332f --evidence-reference 2026/1235 --reason \"typing error in the case number\" <<< \"$FNR\""
    )]
    Rectify(RectifyArgs),
    /// Register a person's access request (GDPR Art. 15) and print when it must be answered
    #[command(after_help = "Example:\n  consent access-request - --at 2026-03-10 <<< \"$FNR\"")]
    AccessRequest(AccessRequestArgs),
    /// Print the keyed pseudonym under which a subject's events are recorded
    #[command(after_help = "Example:\n  consent pseudonym - <<< \"$FNR\"")]
    Pseudonym(SubjectArgs),
    /// Check that the ledger is fit to run: the key file (present, 0600 or 0640 when shared,
    /// the user's), the writer's lock and its holder, the file format and catalogue in force,
    /// the chain head and free disk space. Exit 0 when healthy, 1 with each problem listed
    #[command(after_help = "Example:\n  consent --ledger /srv/consent/consent.db doctor")]
    Doctor,
    /// Print a completion script for a shell, written from this command line's definition
    #[command(after_help = "Example:\n  consent completions bash > /etc/bash_completion.d/consent")]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print this manual page in roff
    #[command(after_help = "Example:\n  consent man | man -l -")]
    Man,
}

/// `consent verify`
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A backup's manifest (or its directory): also check that the ledger holds the backup's
    /// head at its place, that is, it is the ledger backed up or grew from it
    #[arg(long, value_name = "MANIFEST")]
    pub against: Option<PathBuf>,
}

/// `consent backup`
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new directory to write the backup into (must not exist)
    #[arg(value_name = "DEST")]
    pub dest: PathBuf,
    /// Leave the key file out (keep it elsewhere); the manifest says so, and a restore then
    /// needs --key-file
    #[arg(long)]
    pub without_key: bool,
}

/// `consent restore`
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup directory (or its manifest.json)
    #[arg(value_name = "BACKUP")]
    pub backup: PathBuf,
    /// Why the ledger is restored (recorded in it)
    #[arg(long)]
    pub reason: String,
}

/// `consent catalogue …`
#[derive(Debug, Subcommand)]
#[command(after_help = "Example:\n  consent catalogue check kommune.toml")]
pub enum CatalogueCommand {
    /// Show the catalogue (embedded, or the one given with --catalogue) as tables
    #[command(after_help = "Example:\n  consent catalogue show --catalogue kommune.toml")]
    Show,
    /// Validate a catalogue TOML file
    #[command(after_help = "Example:\n  consent catalogue check kommune.toml")]
    Check {
        /// The catalogue TOML file
        file: PathBuf,
    },
    /// Adopt a catalogue: the ledger records it (with the actor) and decides under it from
    /// now on; it must keep every code of the catalogue in force at the same position
    #[command(after_help = "Example:\n  consent catalogue adopt kommune-2027.toml")]
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
    /// From when: `now`, a date (midnight in Norway), a Norwegian local time
    /// `"2026-03-01 14:30"`, or RFC 3339 [default: now]
    #[arg(long, value_parser = parse_when, value_name = "WHEN")]
    pub at: Option<When>,
    /// Why, as the subject gave it (never a national id)
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// A key of your choosing (the case number of the form): the same withdrawal again with
    /// the same key writes nothing and succeeds, so a retried command is safe
    #[arg(long, value_name = "KEY")]
    pub idempotency_key: Option<String>,
}

/// `consent decide`
#[derive(Debug, Args)]
pub struct DecideArgs {
    /// The subject's national id (fødselsnummer, D-nummer or DUF number), or `-` to read it
    /// from standard input (keeps it out of the process list and the shell's history)
    #[arg(long, value_name = "FNR|-", required_unless_present = "subjects_from")]
    pub subject: Option<String>,
    /// Decide for every subject in FILE, one national id per line (`-`: standard input): one
    /// decision per line of output, in the file's order (with --json, JSON lines)
    #[arg(long, value_name = "FILE", conflicts_with = "subject")]
    pub subjects_from: Option<PathBuf>,
    /// The recipient code
    #[arg(long, value_name = "CODE")]
    pub recipient: String,
    /// The purpose code
    #[arg(long, value_name = "CODE")]
    pub purpose: String,
    /// The data category codes (repeat the flag or list several)
    #[arg(long = "category", value_name = "CODE", num_args = 1.., required = true)]
    pub categories: Vec<String>,
    /// The instant to decide for: `now`, a date (midnight in Norway), a Norwegian local time
    /// `"2026-03-01 14:30"`, or RFC 3339 [default: now]
    #[arg(long, value_parser = parse_when, value_name = "WHEN")]
    pub at: Option<When>,
    /// A condition the requester asserts, with the reference that documents it (repeatable):
    /// `--assert serious_concern=2026/55`
    #[arg(long = "assert", value_name = "CONDITION=REFERENCE")]
    pub assertions: Vec<String>,
    /// Record each decision as an access to the person's data by the actor (--actor-id,
    /// --actor-role), for this purpose of lookup; required when the catalogue sets
    /// log_all_decisions
    #[arg(long, value_name = "TEXT")]
    pub lookup_purpose: Option<String>,
}

/// `consent export`
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The subject's national id, or `-` to read it from standard input
    #[arg(value_name = "SUBJECT")]
    pub subject: String,
    /// Why the person is looked up (recorded with the actor, and shown to the person in their
    /// export's access list)
    #[arg(long, value_name = "TEXT")]
    pub lookup_purpose: String,
    /// The document: `json` (the export, as --json prints it), `fhir` (HL7 FHIR R5 Consent
    /// resources in a Bundle) or `dpv` (ISO/IEC TS 27560 records with W3C DPV terms, JSON-LD).
    /// Without it: a table, or the JSON export with --json
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ExportFormat>,
    /// With --format fhir: name the person by fødselsnummer (the id given) instead of the
    /// pseudonym, for a health service that must match the patient
    #[arg(long, requires = "format")]
    pub fhir_national_id: bool,
}

/// The documents `consent export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// The subject export (consent-export/1)
    Json,
    /// HL7 FHIR R5 Consent resources in a Bundle of type collection
    Fhir,
    /// ISO/IEC TS 27560 consent records with W3C DPV terms, as JSON-LD
    Dpv,
}

/// `consent upgrade`
#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// The new directory the backup goes into before anything changes
    /// [default: `<ledger>.before-upgrade-<UTC time>` beside the ledger]
    #[arg(long, value_name = "DIR")]
    pub backup_to: Option<PathBuf>,
    /// Leave the key file out of the backup (keep the key safe elsewhere: the backup needs it)
    #[arg(long)]
    pub without_key: bool,
    /// The catalogue the 0.1 ledger was written under, when it was not 0.1's default
    /// (--catalogue names the one it is opened with from now on)
    #[arg(long, value_name = "FILE")]
    pub written_under: Option<PathBuf>,
}

/// `consent succession`
#[derive(Debug, Args)]
pub struct SuccessionArgs {
    /// The earlier id: a DUF number (12 digits), a D-nummer or a fødselsnummer; `-` reads it
    /// from standard input
    #[arg(value_name = "FROM")]
    pub from: String,
    /// The id the person is known under now; `-` reads it from standard input (after FROM's,
    /// when both are `-`)
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
    /// The instant to list the worklist at: `now`, a date (midnight in Norway), a Norwegian local time
    /// `"2026-03-01 14:30"`, or RFC 3339 [default: the ledger's clock]
    #[arg(long, value_parser = parse_when, value_name = "WHEN")]
    pub at: Option<When>,
}

/// `consent deviations`
#[derive(Debug, Args)]
pub struct DeviationsArgs {
    /// List disclosures recorded from this instant on: a date (midnight in Norway), a Norwegian
    /// local time `"2026-03-01 14:30"`, RFC 3339, or `now` [default: every disclosure]
    #[arg(long, value_parser = parse_when, value_name = "WHEN")]
    pub since: Option<When>,
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
    /// When they were told: `now`, a date (midnight in Norway), a Norwegian local time
    /// `"2026-03-01 14:30"`, or RFC 3339
    #[arg(long, value_parser = parse_when, value_name = "WHEN")]
    pub at: When,
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
    /// The instant to look ahead from: `now`, a date (midnight in Norway), a Norwegian local time
    /// `"2026-03-01 14:30"`, or RFC 3339 [default: now]
    #[arg(long, value_parser = parse_when, value_name = "WHEN")]
    pub at: Option<When>,
    /// How many days ahead to look
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=36_600), value_name = "N")]
    pub days: u32,
}

/// `consent restrict`
#[derive(Debug, Args)]
pub struct RestrictArgs {
    /// The subject's national id, or `-` to read it from standard input
    #[arg(value_name = "SUBJECT")]
    pub subject: String,
    /// The ground of GDPR Art. 18(1): `A18_1_a` (accuracy contested), `A18_1_b` (unlawful,
    /// erasure opposed), `A18_1_c` (needed for legal claims), `A18_1_d` (objection pending)
    #[arg(long, value_name = "GROUND")]
    pub ground: String,
    /// From when: `now`, a date (midnight in Norway), a Norwegian local time
    /// `"2026-03-01 14:30"`, or RFC 3339 [default: the ledger's clock]
    #[arg(long, value_parser = parse_when, value_name = "WHEN")]
    pub at: Option<When>,
}

/// `consent lift-restriction`
#[derive(Debug, Args)]
pub struct LiftRestrictionArgs {
    /// The subject's national id, or `-` to read it from standard input
    #[arg(value_name = "SUBJECT")]
    pub subject: String,
    /// Why the restriction ends (never a national id)
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// From when: `now`, a date (midnight in Norway), a Norwegian local time
    /// `"2026-03-01 14:30"`, or RFC 3339 [default: the ledger's clock]
    #[arg(long, value_parser = parse_when, value_name = "WHEN")]
    pub at: Option<When>,
}

/// `consent object`
#[derive(Debug, Args)]
pub struct ObjectArgs {
    /// The subject's national id, or `-` to read it from standard input
    #[arg(value_name = "SUBJECT")]
    pub subject: String,
    /// The purpose objected to
    #[arg(long, value_name = "CODE")]
    pub purpose: String,
    /// From when: `now`, a date (midnight in Norway), a Norwegian local time
    /// `"2026-03-01 14:30"`, or RFC 3339 [default: the ledger's clock]
    #[arg(long, value_parser = parse_when, value_name = "WHEN")]
    pub at: Option<When>,
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
    /// From when: `now`, a date (midnight in Norway), a Norwegian local time
    /// `"2026-03-01 14:30"`, or RFC 3339 [default: the ledger's clock]
    #[arg(long, value_parser = parse_when, value_name = "WHEN")]
    pub at: Option<When>,
}

/// `consent erase`, `consent kassasjon` and `consent pseudonym`
#[derive(Debug, Args)]
pub struct SubjectArgs {
    /// The subject's national id, or `-` to read it from standard input
    #[arg(value_name = "SUBJECT")]
    pub subject: String,
}

/// `consent erasure-due`
#[derive(Debug, Args)]
pub struct ErasureDueArgs {
    /// The instant to list for: `now`, a date (midnight in Norway), a Norwegian local time
    /// `"2026-03-01 14:30"`, or RFC 3339 [default: the ledger's clock]
    #[arg(long, value_parser = parse_when, value_name = "WHEN")]
    pub at: Option<When>,
}

/// `consent refuse`
#[derive(Debug, Args)]
pub struct RefuseArgs {
    /// The refusal JSON document, or `-` for standard input
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// `consent rectify`
#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("correction")
        .required(true)
        .args(["evidence_reference", "valid_from", "valid_until"])
))]
pub struct RectifyArgs {
    /// The subject's national id, or `-` to read it from standard input
    #[arg(value_name = "SUBJECT")]
    pub subject: String,
    /// The grant to correct
    #[arg(value_name = "GRANT_ID")]
    pub grant: String,
    /// The corrected evidence reference (case or journal number)
    #[arg(long, value_name = "TEXT")]
    pub evidence_reference: Option<String>,
    /// The corrected start of the grant: `now`, a date (midnight in Norway), a Norwegian local
    /// time `"2026-03-01 14:30"`, or RFC 3339
    #[arg(long, value_parser = parse_when, value_name = "WHEN")]
    pub valid_from: Option<When>,
    /// The corrected end of the grant (written as --valid-from is), or `none` for no end
    #[arg(long, value_parser = parse_until, value_name = "WHEN|none")]
    pub valid_until: Option<Until>,
    /// Why (never a national id)
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
}

/// `--valid-until`: an instant, or `none` for a grant without an end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// No end.
    Never,
    /// Ends at this instant.
    At(When),
}

fn parse_until(text: &str) -> Result<Until, String> {
    if text.trim() == "none" {
        Ok(Until::Never)
    } else {
        parse_when(text).map(Until::At)
    }
}

/// `consent access-request`
#[derive(Debug, Args)]
pub struct AccessRequestArgs {
    /// The subject's national id, or `-` to read it from standard input
    #[arg(value_name = "SUBJECT")]
    pub subject: String,
    /// When the request was received: `now`, a date (midnight in Norway), a Norwegian local
    /// time `"2026-03-01 14:30"`, or RFC 3339 [default: the ledger's clock]
    #[arg(long, value_parser = parse_when, value_name = "WHEN")]
    pub at: Option<When>,
}

/// `consent report …`
#[derive(Debug, Subcommand)]
#[command(
    after_help = "Example:\n  consent report notice --profile profile.json --lang nn --format pdf --out personvern.pdf"
)]
pub enum ReportCommand {
    /// The answer to a person's request for access (GDPR Art. 15) as a letter: a recorded
    /// read of their data, like `export` (the same --lookup-purpose and permission)
    #[command(
        after_help = "Example:\n  consent report access --subject - --lookup-purpose \"innsynskrav 2026/4711\" --lang ar --format pdf --out innsyn.pdf <<< \"$FNR\""
    )]
    Access(ReportAccessArgs),
    /// The privacy notice (personvernerklæring) of the profile's unit, from the catalogue
    #[command(
        after_help = "Example:\n  consent report notice --profile profile.json --lang nn --format html --out personvern.html"
    )]
    Notice(ReportNoticeArgs),
    /// The record of processing activities (GDPR Art. 30) of the profile's unit, from the
    /// catalogue
    #[command(
        after_help = "Example:\n  consent report processing-record --profile profile.json --format csv --out protokoll.csv"
    )]
    ProcessingRecord(ReportRecordArgs),
}

/// A document's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DocumentFormat {
    /// One self-contained HTML file
    Html,
    /// PDF (A4, fonts embedded, tagged)
    Pdf,
    /// CSV (the record of processing only)
    Csv,
}

/// Options every `consent report` document takes.
#[derive(Debug, Args)]
pub struct DocumentArgs {
    /// What the catalogue does not hold: the controller, the unit's notice and purposes, data
    /// subjects and security measures (JSON; docs/examples/profile.json shows every field)
    #[arg(long, env = "CONSENT_DOCUMENTS_PROFILE", value_name = "FILE")]
    pub profile: PathBuf,
    /// The language: a code of the shipped translations (nb, nn, en, ar, uk, prs) or of
    /// --translations
    #[arg(long, default_value = "nb", value_name = "CODE")]
    pub lang: String,
    /// A folder of more translation files (`<code>.toml`) to add or replace languages
    #[arg(long, value_name = "DIR")]
    pub translations: Option<PathBuf>,
    /// Write the document to FILE instead of standard output (a PDF is never written to a
    /// terminal)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `consent report access`
#[derive(Debug, Args)]
pub struct ReportAccessArgs {
    /// The person's national id, or `-` to read it from standard input
    #[arg(long, value_name = "FNR|-")]
    pub subject: String,
    /// Why the person is looked up (recorded with the actor, and listed in the letter)
    #[arg(long, value_name = "TEXT")]
    pub lookup_purpose: String,
    /// The format: html or pdf
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: DocumentFormat,
    /// The addressee's name for the letter's header
    #[arg(long, value_name = "NAME")]
    pub recipient_name: Option<String>,
    /// Print the person's national id in the letter's header (never printed otherwise)
    #[arg(long, requires = "recipient_name")]
    pub national_id_in_header: bool,
    /// The case or archive reference of the request
    #[arg(long, value_name = "TEXT")]
    pub reference: Option<String>,
    /// The document's options.
    #[command(flatten)]
    pub document: DocumentArgs,
}

/// `consent report notice`
#[derive(Debug, Args)]
pub struct ReportNoticeArgs {
    /// The format: html or pdf
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: DocumentFormat,
    /// The document's options.
    #[command(flatten)]
    pub document: DocumentArgs,
}

/// `consent report processing-record`
#[derive(Debug, Args)]
pub struct ReportRecordArgs {
    /// The format: html, pdf or csv
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: DocumentFormat,
    /// The document's options.
    #[command(flatten)]
    pub document: DocumentArgs,
}
