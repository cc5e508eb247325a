//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(name = "parapet", version, about = "Security and governance of an AWS Organization from one binary", long_about = None)]
pub struct Cli {
    /// Configuration file (default: ./parapet.toml when it exists, else built-in defaults).
    #[arg(long, short = 'c', global = true, env = "PARAPET_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data folder (lake, state, quarantine); overrides `data.dir` of the config.
    #[arg(long, global = true, env = "PARAPET_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// No progress bars and no summary lines on stderr.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
    /// More log output (-v, -vv).
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a commented parapet.toml.
    Init(InitArgs),
    /// Simulate an organisation's Log Archive bucket (CloudTrail, flow logs, DNS, findings,
    /// Config, Health, with injected attacks and their ground truth).
    Simulate(SimulateArgs),
    /// Ingest logs from a folder or s3://bucket/prefix into the lake, exactly once per object.
    Ingest(IngestArgs),
    /// Run read-only SQL over the lake.
    Query(QueryArgs),
    /// Look after the lake: tables, stats, compact, recover.
    Lake(LakeArgs),
    /// List what ingest could not read, and why.
    Quarantine(QuarantineArgs),
    /// Simulate an organisation, ingest it and show what parapet sees (no AWS account needed).
    Demo(DemoArgs),
    /// The account registry: sync from AWS Organizations, list, show, history, baseline coverage.
    Accounts(AccountsArgs),
    /// Detection rules: list the loaded rules, validate Sigma rule folders.
    Rules(RulesArgs),
    /// Run the rules over the lake's history and write what they find to the findings store.
    Detect(DetectArgs),
    /// Run one Sigma rule file over the lake and show its matches (writes nothing).
    Hunt(HuntArgs),
    /// The findings store: list, show, acknowledge, resolve, suppress.
    Findings(FindingsArgs),
    /// Notifications: send the queue, list it, retry dead messages, test a channel, preview.
    Notify(NotifyArgs),
    /// Posture: run the checks on every account, scores per account / OU / organisation.
    Posture(PostureArgs),
    /// Fix the obvious mistakes: plan (dry run), apply, undo, and the audit log.
    Remediate(RemediateArgs),
    /// Cost: load bills (CUR, CUR 2.0, FOCUS), spend by account / service / team / OU / tag, the
    /// daily report, anomalies.
    Cost(CostArgs),
    /// The dashboard and its JSON API over the lake and the state database (until stopped).
    Serve(ServeArgs),
    /// An account's architecture diagram (SVG, PNG or JSON) from AWS Config's items in the
    /// lake, or read live through the accounts' roles.
    Diagram(DiagramArgs),
    /// The whole service in one process until SIGTERM: the dashboard, ingest of new objects
    /// (`run.sources`), detection, notifications and the daily cost report, and the scheduled
    /// jobs (registry sync, bills, compaction).
    Run(RunArgs),
}

#[derive(Args, Debug)]
pub struct DiagramArgs {
    /// The account (id or name); with --out-dir or --save, every account when omitted.
    #[arg(long)]
    pub account: Option<String>,
    /// Only this region (with --live: the region read; default `accounts.regions`).
    #[arg(long)]
    pub region: Option<String>,
    /// Read the registry's accounts through their roles (VPCs, subnets, route tables,
    /// gateways, attachments, peerings, security groups, instances, databases, functions,
    /// load balancers) instead of the lake's Config items.
    #[arg(long)]
    pub live: bool,
    /// Where the diagram goes (default: standard output); a `.png` name draws a PNG.
    #[arg(long, conflicts_with = "out_dir")]
    pub out: Option<PathBuf>,
    /// Every account's diagram into this folder, `<account id>.svg` (`.png` with --png).
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    /// PNG instead of SVG (drawn at twice the size, text in the system's fonts).
    #[arg(long, conflicts_with = "json")]
    pub png: bool,
    /// The diagram's model as JSON instead of SVG.
    #[arg(long)]
    pub json: bool,
    /// Store today's diagram of every account (or of --account) as `parapet run` does daily,
    /// and say what changed since the one before.
    #[arg(long, conflicts_with_all = ["out", "out_dir", "png"])]
    pub save: bool,
    /// With --save: the day the diagrams are stored under (YYYY-MM-DD; default today).
    #[arg(long, requires = "save")]
    pub day: Option<String>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// More sources to poll besides `run.sources` (folders or s3://bucket/prefix).
    #[arg(long = "source")]
    pub sources: Vec<String>,
    /// Seconds between ingest rounds (default: `run.poll_secs`).
    #[arg(long)]
    pub poll_secs: Option<u64>,
    /// Without the dashboard.
    #[arg(long)]
    pub no_server: bool,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Where to listen (default: `server.bind`, 127.0.0.1:8080). Off loopback a token is required.
    #[arg(long)]
    pub bind: Option<String>,
    /// The token every request must carry (default: `server.token`).
    #[arg(long, env = "PARAPET_SERVER_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Args, Debug)]
pub struct CostArgs {
    #[command(subcommand)]
    pub command: CostCommand,
}

/// The days a cost command looks at.
#[derive(Args, Debug, Clone)]
pub struct DayRange {
    /// First day, YYYY-MM-DD (default depends on the command).
    #[arg(long)]
    pub since: Option<String>,
    /// Last day, YYYY-MM-DD (default: the last day the lake has bills for).
    #[arg(long)]
    pub until: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum CostCommand {
    /// Load new bills into the lake (a new version of a billing period replaces the old one),
    /// then look for spend anomalies in the last days.
    Ingest {
        /// A folder or s3://bucket/prefix (default: `cost.source`).
        #[arg(long)]
        from: Option<String>,
        /// Reload periods already loaded at the same version.
        #[arg(long)]
        force: bool,
        /// Do not look for anomalies afterwards.
        #[arg(long)]
        no_anomalies: bool,
        #[arg(long)]
        json: bool,
    },
    /// Spend per period and group, with each row's share and change; or the top movers.
    Show {
        /// Group by: account, service, team, ou, category, region, tag:KEY (comma-separated).
        #[arg(long, value_delimiter = ',', default_value = "account")]
        by: Vec<String>,
        /// daily, weekly or monthly.
        #[arg(long, default_value = "monthly")]
        period: String,
        #[command(flatten)]
        range: DayRange,
        /// unblended, amortized, net-unblended, net-amortized (default: `cost.measure`).
        #[arg(long)]
        measure: Option<String>,
        /// Only the N groups of the last period that changed most from the period before.
        #[arg(long)]
        movers: Option<usize>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// The daily report: the day, the day before, month to date, last month by the same day,
    /// the forecast, per organisation, team and account.
    Report {
        /// The day reported, YYYY-MM-DD (default: the last day the lake has bills for, at most
        /// yesterday).
        #[arg(long)]
        date: Option<String>,
        /// Only this team's report (its accounts).
        #[arg(long)]
        team: Option<String>,
        /// Queue the reports for their channels (`cost.report.channels`, and each team's
        /// channel), then send them.
        #[arg(long)]
        send: bool,
        #[arg(long)]
        measure: Option<String>,
        /// table (the text the channels get), csv (one row per organisation, team and account)
        /// or json.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Same as --format json.
        #[arg(long)]
        json: bool,
    },
    /// Spend spikes per account and service (default: the last 7 days of bills).
    Anomalies {
        #[command(flatten)]
        range: DayRange,
        /// Record them as findings (routed like any finding).
        #[arg(long)]
        save: bool,
        #[arg(long)]
        json: bool,
    },
    /// The report periods loaded: version, lines, unblended total.
    Loads {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RemediateArgs {
    #[command(subcommand)]
    pub command: Option<RemediateCommand>,
    #[command(flatten)]
    pub run: RemediateRun,
}

/// Scan the selected accounts, plan the playbooks' changes for what fails, and apply those
/// allowed (`--apply`, or playbooks in `auto` mode); everything is logged.
#[derive(Args, Debug, Default)]
pub struct RemediateRun {
    #[command(flatten)]
    pub filter: AccountFilterArgs,
    /// Regions to read (default: `posture.regions`, else `accounts.regions`).
    #[arg(long = "region", value_delimiter = ',')]
    pub regions: Vec<String>,
    /// Only these playbooks (comma-separated).
    #[arg(long = "playbook", value_delimiter = ',')]
    pub playbooks: Vec<String>,
    /// Make the changes (default: a dry run, except playbooks in `auto` mode).
    #[arg(long)]
    pub apply: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum RemediateCommand {
    /// Reverse a change parapet made (its id in `parapet remediate log`).
    Undo {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// The audit log: who changed what, before and after, and how it went.
    Log {
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct PostureArgs {
    #[command(subcommand)]
    pub command: PostureCommand,
}

#[derive(Subcommand, Debug)]
pub enum PostureCommand {
    /// Read every selected account through its role, run the checks, store the verdicts and
    /// the day's scores, and turn failures into findings (fixed ones are resolved).
    Scan {
        #[command(flatten)]
        filter: AccountFilterArgs,
        /// Regions to read (default: `posture.regions`, else `accounts.regions`).
        #[arg(long = "region", value_delimiter = ',')]
        regions: Vec<String>,
        /// Judge inventories saved earlier (a JSON array, as `--save` writes) instead of
        /// reading AWS.
        #[arg(long, conflicts_with_all = ["regions", "from_lake"])]
        from: Option<PathBuf>,
        /// Take resources from AWS Config's inventory in the lake (`config_inventory`); the
        /// selected registry accounts without Config items are read live.
        #[arg(long)]
        from_lake: bool,
        /// Also write the inventories read to this file.
        #[arg(long)]
        save: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The last scan: scores, failing checks, what changed since the day before.
    Show {
        /// Only this account (id or name).
        #[arg(long)]
        account: Option<String>,
        /// Every verdict, passes included (default: failures).
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Every check, with its controls and severity.
    Checks {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct NotifyArgs {
    #[command(subcommand)]
    pub command: NotifyCommand,
}

#[derive(Subcommand, Debug)]
pub enum NotifyCommand {
    /// Queue what findings have to tell, then send every due message once (retries are
    /// scheduled, not waited for; `--until-empty` waits for them).
    Send {
        /// Keep sending until nothing is pending but messages held for quiet hours (waiting
        /// for retries as they fall due).
        #[arg(long, conflicts_with = "follow")]
        until_empty: bool,
        /// Send the digests now, whatever their hour (and quiet hours).
        #[arg(long)]
        digests_now: bool,
        /// Keep going: queue and send what comes in (ingest running beside it) until stopped.
        #[arg(long)]
        follow: bool,
        /// With --follow: how often to look for new findings, in ms.
        #[arg(long, default_value_t = 1000, requires = "follow")]
        interval_ms: u64,
        #[arg(long)]
        json: bool,
    },
    /// The outbox, newest first.
    List {
        /// pending, sent or dead.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Put dead messages back in the queue (one by id, or all).
    Retry {
        id: Option<i64>,
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
    /// Send a test message to one channel now, and say what it answered.
    Test {
        #[arg(long)]
        channel: String,
    },
    /// Show what each channel would receive for a finding (nothing is sent).
    Preview {
        finding: i64,
        #[arg(long)]
        channel: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// Every rule that would run (built-in pack and `detect.rules`), and the inactive or refused ones.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Load Sigma rule files or folders and report each rule that cannot run, and why.
    /// Exit code 1 if any rule is refused.
    Validate {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct DetectArgs {
    /// Events since: a duration back from now (`7d`, `12h`, `30m`) or a date / RFC 3339 time.
    #[arg(long)]
    pub since: Option<String>,
    /// Events before this (same forms as --since).
    #[arg(long)]
    pub until: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct HuntArgs {
    /// A Sigma rule file (several documents allowed: a correlation with its rules).
    pub rule: PathBuf,
    /// Events since (as for `detect`).
    #[arg(long)]
    pub since: Option<String>,
    #[arg(long)]
    pub until: Option<String>,
    /// At most this many matches shown (all are counted).
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct FindingsArgs {
    #[command(subcommand)]
    pub command: FindingsCommand,
}

#[derive(Subcommand, Debug)]
pub enum FindingsCommand {
    /// Findings, most recently seen first.
    List {
        /// new, acknowledged, resolved, suppressed, or `open` (new and acknowledged); repeatable.
        #[arg(long)]
        status: Vec<String>,
        #[arg(long)]
        account: Option<String>,
        /// Rule id or prefix (`aws.`, `sigma.`, `account.`).
        #[arg(long)]
        rule: Option<String>,
        /// Only this severity and above.
        #[arg(long)]
        severity: Option<String>,
        /// Seen since (duration or date).
        #[arg(long)]
        since: Option<String>,
        #[arg(long, default_value_t = 200)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// One finding: its fields, latest events and status history.
    Show {
        id: i64,
        #[arg(long, default_value_t = 20)]
        events: usize,
        #[arg(long)]
        json: bool,
    },
    /// Acknowledge: somebody is on it.
    Ack(StatusArgs),
    /// Resolve: dealt with (a new event reopens it).
    Resolve(StatusArgs),
    /// Suppress: expected; events are still counted but nobody is told.
    Suppress {
        #[command(flatten)]
        status: StatusArgs,
        /// Until (duration from now or date); without it, until lifted.
        #[arg(long)]
        until: Option<String>,
    },
    /// Back to new.
    Reopen(StatusArgs),
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    pub id: i64,
    /// Why (kept in the finding's history).
    #[arg(long, short = 'm')]
    pub reason: String,
    /// Who (default: $USER).
    #[arg(long)]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct AccountsArgs {
    #[command(subcommand)]
    pub command: AccountsCommand,
}

#[derive(Subcommand, Debug)]
pub enum AccountsCommand {
    /// Read AWS Organizations (accounts, OUs, tags, delegated administrators) into the
    /// registry; changes since the last sync become history and findings.
    Sync {
        /// Read an organisation snapshot (JSON, as `parapet simulate` writes in
        /// organization.json) instead of calling AWS.
        #[arg(long)]
        from: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The accounts, with name, OU path, team, env, owner and channel.
    List {
        #[command(flatten)]
        filter: AccountFilterArgs,
        #[arg(long)]
        json: bool,
    },
    /// One account (by id or name): its fields, tags, history and open findings.
    Show {
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// What changed between syncs (one account, or all).
    History {
        account: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Whether each account × region has the baseline on (CloudTrail, Config, GuardDuty,
    /// Security Hub, Access Analyzer, EBS encryption, S3 Block Public Access), read through
    /// the cross-account role; gaps become findings.
    Baseline {
        #[command(flatten)]
        filter: AccountFilterArgs,
        /// Regions to check (default: `accounts.regions` of the config).
        #[arg(long = "region", value_delimiter = ',')]
        regions: Vec<String>,
        /// Show the last coverage read instead of reading AWS again.
        #[arg(long)]
        last: bool,
        /// Only rows that are not on.
        #[arg(long)]
        gaps: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug, Default, Clone)]
pub struct AccountFilterArgs {
    /// OU path or a prefix of it (`Root/Workloads` matches everything under Workloads).
    #[arg(long)]
    pub ou: Option<String>,
    #[arg(long)]
    pub team: Option<String>,
    #[arg(long)]
    pub env: Option<String>,
    /// KEY=VALUE on the account's tags (repeatable; all must match).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// ACTIVE, SUSPENDED, PENDING_CLOSURE or CLOSED.
    #[arg(long)]
    pub status: Option<String>,
    /// Only these accounts (ids or names, comma-separated).
    #[arg(long = "account", value_delimiter = ',')]
    pub accounts: Vec<String>,
    /// Include accounts that left the organisation.
    #[arg(long)]
    pub all: bool,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Where to write the file.
    #[arg(default_value = "parapet.toml")]
    pub path: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Number of accounts, including management, log-archive and audit (at least 4).
    #[arg(long, default_value_t = 60)]
    pub accounts: usize,
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// First simulated day, YYYYMMDD.
    #[arg(long, default_value = "20261101")]
    pub start_day: String,
    /// Background events per account per day (scenarios add a few).
    #[arg(long, default_value_t = 2000)]
    pub events_per_account_day: u32,
    /// Output folder (logs/, accounts.csv, truth.jsonl, organization.json).
    #[arg(long)]
    pub out: PathBuf,
    /// Sources to write besides CloudTrail, comma-separated: all, cloudtrail (CloudTrail only),
    /// vpc_flow, route53_resolver, guardduty, securityhub, config_history, health.
    #[arg(long, value_delimiter = ',', default_value = "all")]
    pub sources: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// Folders, files or s3://bucket/prefix URLs.
    #[arg(required_unless_present = "sqs")]
    pub sources: Vec<String>,
    /// accounts.csv with id,name,team,env,owner,ou[,channel], merged on top of the account
    /// registry (replaces accounts.csv of the config).
    #[arg(long)]
    pub accounts: Option<PathBuf>,
    /// Decoding threads (0 = one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Try objects that earlier runs quarantined again.
    #[arg(long)]
    pub retry_quarantined: bool,
    /// Keep going: list the sources again every --interval seconds and ingest what is new
    /// (objects in a folder must appear whole, e.g. written elsewhere and renamed in).
    #[arg(long)]
    pub follow: bool,
    /// Seconds between two listings with --follow.
    #[arg(long, default_value_t = 60, requires = "follow")]
    pub interval: u64,
    /// Stop --follow after this many rounds (default: never); with --sqs, after this many
    /// receives in a row that found nothing.
    #[arg(long, requires = "follow")]
    pub rounds: Option<u64>,
    /// Live mode: read S3 event notifications (direct, via SNS or EventBridge) and EventBridge
    /// events (GuardDuty, Security Hub, Health) from this SQS queue URL; needs --follow.
    #[arg(long, requires = "follow", conflicts_with = "sources")]
    pub sqs: Option<String>,
    /// With --sqs: seconds a message stays hidden while its objects are read (extended as needed).
    #[arg(long, default_value_t = 300, requires = "sqs")]
    pub visibility: u32,
    /// With --sqs: long-poll wait per receive, seconds (at most 20).
    #[arg(long, default_value_t = 20, requires = "sqs")]
    pub wait: u32,
    /// Print the report as JSON on stdout (with --follow, one line per source and round).
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Args, Debug)]
pub struct QueryArgs {
    /// The SQL (tables: cloudtrail, cloudtrail_ocsf).
    pub sql: String,
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct LakeArgs {
    #[command(subcommand)]
    pub command: LakeCommand,
}

#[derive(Subcommand, Debug)]
pub enum LakeCommand {
    /// The tables SQL can read: name, OCSF class, what each holds.
    Tables {
        #[arg(long)]
        json: bool,
    },
    /// Tables, partitions, files, rows and bytes.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Merge each partition's small files into one.
    Compact {
        /// Files smaller than this many MiB are merged.
        #[arg(long, default_value_t = 64)]
        small_mb: u64,
        #[arg(long)]
        json: bool,
    },
    /// Finish what an interrupted run left (also done at the start of every write).
    Recover {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct QuarantineArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where the simulated bucket and the data go.
    #[arg(long, default_value = "parapet-demo")]
    pub dir: PathBuf,
    #[arg(long, default_value_t = 20)]
    pub accounts: usize,
    #[arg(long, default_value_t = 2)]
    pub days: u32,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, default_value_t = 1500)]
    pub events_per_account_day: u32,
    /// Stop after the first pass (simulate, ingest, report) instead of running the service.
    #[arg(long)]
    pub once: bool,
    /// Where the dashboard listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Seconds between two new simulated days arriving in the bucket.
    #[arg(long, default_value_t = 30)]
    pub every: u64,
}
