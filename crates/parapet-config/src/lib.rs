//! `parapet.toml`: the one configuration file, versioned and validated.
//!
//! Unknown keys are errors (a typo must not silently become a default), every value is checked
//! with a message naming its key, and `"${NAME}"` in any string is replaced by the environment
//! variable `NAME`, so secrets stay out of the file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The commented example that `parapet init` writes (kept under test: it must always load).
pub const EXAMPLE: &str = include_str!("example.toml");

/// The configuration version this build reads.
pub const VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub version: u32,
    #[serde(default)]
    pub data: DataConfig,
    #[serde(default)]
    pub accounts: AccountsConfig,
    #[serde(default)]
    pub ingest: IngestConfig,
    #[serde(default)]
    pub aws: AwsConfig,
    #[serde(default)]
    pub detect: DetectConfig,
    #[serde(default)]
    pub notify: parapet_model::notify::NotifyConfig,
    #[serde(default)]
    pub posture: parapet_model::posture::PostureConfig,
    #[serde(default)]
    pub remediate: parapet_model::remediation::RemediateConfig,
    #[serde(default)]
    pub cost: parapet_model::cost::CostConfig,
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub run: RunConfig,
}

/// `[run]`: what `parapet run` does besides serving the dashboard and sending notifications.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Log Archive folders or `s3://bucket/prefix`es, listed for new objects every `poll_secs`.
    pub sources: Vec<String>,
    pub poll_secs: u64,
    /// Sync the registry every this many minutes (0: never) …
    pub sync_minutes: u64,
    /// … from this `organization.json` snapshot instead of AWS Organizations.
    pub sync_from: Option<PathBuf>,
    /// Load new bills from `cost.source` every this many minutes (0: never).
    pub cost_minutes: u64,
    /// Compact the lake's small files once a day at this local time (`notify.timezone`).
    pub compact_at: Option<parapet_model::clock::ClockTime>,
    /// Scan posture once a day at this local time, from AWS Config's inventory in the lake.
    pub posture_at: Option<parapet_model::clock::ClockTime>,
    /// Draw every account's diagram once a day at this local time (with what changed).
    pub diagram_at: Option<parapet_model::clock::ClockTime>,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            sources: Vec::new(),
            poll_secs: 60,
            sync_minutes: 60,
            sync_from: None,
            cost_minutes: 60,
            compact_at: parapet_model::clock::ClockTime::new(3, 0),
            posture_at: parapet_model::clock::ClockTime::new(2, 0),
            diagram_at: parapet_model::clock::ClockTime::new(4, 0),
        }
    }
}

/// `[server]`: the dashboard and its API (`parapet serve`, `parapet run`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Where to listen. Anything but a loopback address needs `token`.
    pub bind: String,
    /// Every request must carry it (`Authorization: Bearer`, or the cookie `?token=` sets);
    /// at least 16 characters. Use `${PARAPET_SERVER_TOKEN}`.
    pub token: Option<String>,
    /// Search: a query is stopped after this long …
    pub query_timeout_secs: u64,
    /// … and returns at most this many rows.
    pub query_max_rows: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "127.0.0.1:8080".into(),
            token: None,
            query_timeout_secs: 30,
            query_max_rows: 10_000,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    pub dir: PathBuf,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            dir: PathBuf::from("parapet-data"),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AccountsConfig {
    /// Overrides merged on top of the registry (and the whole directory when nothing is synced).
    pub csv: Option<PathBuf>,
    /// The role parapet assumes in member accounts.
    pub role_name: String,
    pub external_id: Option<String>,
    pub session_name: String,
    /// Requested session length, 900 to 43200 seconds.
    pub session_secs: u32,
    /// Accounts read at once.
    pub concurrency: usize,
    /// Regions the baseline must cover.
    pub regions: Vec<String>,
    pub tag_keys: parapet_model::TagKeys,
    pub baseline: BaselineConfig,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        AccountsConfig {
            csv: None,
            role_name: "OrganizationAccountAccessRole".into(),
            external_id: None,
            session_name: "parapet".into(),
            session_secs: 3600,
            concurrency: 8,
            regions: vec!["us-east-1".into()],
            tag_keys: parapet_model::TagKeys::default(),
            baseline: BaselineConfig::default(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BaselineConfig {
    /// The controls every account × region must have on.
    pub required: Vec<String>,
}

impl Default for BaselineConfig {
    fn default() -> Self {
        BaselineConfig {
            required: parapet_model::baseline::Control::ALL
                .iter()
                .map(|c| c.as_str().to_string())
                .collect(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    pub workers: usize,
    pub buffer_mb: u64,
    pub flush_secs: u64,
    pub max_object_mb: u64,
    pub zstd_level: i32,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            workers: 0,
            buffer_mb: 32,
            flush_secs: 60,
            max_object_mb: 256,
            zstd_level: 3,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AwsConfig {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub force_path_style: Option<bool>,
}

/// `[detect]`: which rules run, their thresholds and allow-lists, and standing suppressions.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectConfig {
    /// Run the built-in pack.
    pub builtin: bool,
    /// Run the rules during ingest (else only `parapet detect`).
    pub on_ingest: bool,
    /// Folders (or files) of Sigma rules to run besides the built-in pack.
    pub rules: Vec<PathBuf>,
    /// Rule ids not to run; `*` wildcards allowed (`sigma.*`).
    pub disabled: Vec<String>,
    /// Values of `%name%` placeholders (`|expand`), e.g. `allowed_console_cidrs`, `trail_buckets`.
    pub placeholders: std::collections::BTreeMap<String, Vec<String>>,
    pub thresholds: parapet_model::detection::Thresholds,
    /// Standing suppressions: findings they match are written as suppressed.
    pub suppress: Vec<parapet_model::SuppressRule>,
    /// A MaxMind GeoIP database (GeoLite2 / GeoIP2 Country or City `.mmdb`): sign-ins get the
    /// country of their address, for `placeholders.allowed_console_countries`.
    pub geoip: Option<PathBuf>,
    /// Which GuardDuty, Security Hub and AWS Health findings become parapet findings.
    pub managed: parapet_model::ManagedFindings,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            builtin: true,
            on_ingest: true,
            rules: Vec::new(),
            disabled: Vec::new(),
            placeholders: Default::default(),
            thresholds: Default::default(),
            suppress: Vec::new(),
            geoip: None,
            managed: Default::default(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            version: VERSION,
            data: DataConfig::default(),
            accounts: AccountsConfig::default(),
            ingest: IngestConfig::default(),
            aws: AwsConfig::default(),
            detect: DetectConfig::default(),
            notify: Default::default(),
            posture: Default::default(),
            remediate: Default::default(),
            cost: Default::default(),
            server: ServerConfig::default(),
            run: RunConfig::default(),
        }
    }
}

impl Config {
    /// Reads and validates a file; relative paths in it are resolved against its folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, base, &|name| std::env::var(name).ok()).map_err(|message| ConfigError::Invalid {
            path: path.display().to_string(),
            message,
        })
    }

    /// Parses TOML text. `env` looks up environment variables (injected for tests).
    pub fn parse(text: &str, base: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, String> {
        let mut value: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
        expand_env(&mut value, "", env)?;
        match value.get("version") {
            None => {
                return Err(format!(
                    "key `version` is missing; add `version = {VERSION}` at the top"
                ))
            }
            Some(toml::Value::Integer(v)) if *v == i64::from(VERSION) => {}
            Some(v) => {
                return Err(format!(
                    "key `version`: this parapet reads version {VERSION}, found {v}"
                ));
            }
        }
        let mut config: Config = toml::Value::Table(value)
            .try_into()
            .map_err(|e: toml::de::Error| e.to_string().trim_end().to_string())?;
        config.validate()?;
        config.resolve_paths(base);
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        let i = &self.ingest;
        if i.buffer_mb == 0 || i.buffer_mb > 16_384 {
            return Err(format!(
                "key `ingest.buffer_mb`: expected 1 to 16384 (MiB), found {}",
                i.buffer_mb
            ));
        }
        if i.flush_secs > 86_400 {
            return Err(format!(
                "key `ingest.flush_secs`: expected 0 to 86400 (seconds), found {}",
                i.flush_secs
            ));
        }
        if i.max_object_mb == 0 || i.max_object_mb > 65_536 {
            return Err(format!(
                "key `ingest.max_object_mb`: expected 1 to 65536 (MiB), found {}",
                i.max_object_mb
            ));
        }
        if !(1..=22).contains(&i.zstd_level) {
            return Err(format!(
                "key `ingest.zstd_level`: expected 1 to 22, found {}",
                i.zstd_level
            ));
        }
        if i.workers > 256 {
            return Err(format!(
                "key `ingest.workers`: expected 0 (one per core) to 256, found {}",
                i.workers
            ));
        }
        let d = &self.detect;
        if d.placeholders
            .get("allowed_console_countries")
            .is_some_and(|v| !v.is_empty())
            && d.geoip.is_none()
        {
            return Err("key `detect.placeholders.allowed_console_countries`: needs `detect.geoip`, a MaxMind GeoLite2 / GeoIP2 Country or City .mmdb file to find the countries in".into());
        }
        validate_notify(&self.notify)?;
        validate_cost(&self.cost, &self.notify)?;
        if self.run.poll_secs == 0 || self.run.poll_secs > 86_400 {
            return Err(format!(
                "key `run.poll_secs`: expected 1 to 86400 (seconds), found {}",
                self.run.poll_secs
            ));
        }
        let sv = &self.server;
        if sv.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!(
                "key `server.bind`: expected an address and port like 127.0.0.1:8080, found {:?}",
                sv.bind
            ));
        }
        if sv.token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err("key `server.token`: expected at least 16 characters".into());
        }
        if sv.query_timeout_secs == 0 || sv.query_timeout_secs > 3600 || sv.query_max_rows == 0 {
            return Err(
                "keys `server.query_timeout_secs` (1 to 3600) and `server.query_max_rows` (1 or more)".into(),
            );
        }
        for name in self.remediate.playbooks.keys() {
            if !parapet_model::remediation::PLAYBOOKS.contains(&name.as_str()) {
                return Err(format!(
                    "key `remediate.playbooks.{name}`: no such playbook; expected one of {}",
                    parapet_model::remediation::PLAYBOOKS.join(", ")
                ));
            }
        }
        for (name, t) in d.thresholds.named() {
            if t.count == 0 || t.minutes == 0 || t.minutes > 10_080 {
                return Err(format!(
                    "key `detect.thresholds.{name}`: expected count >= 1 and minutes 1 to 10080, found {} in {}",
                    t.count, t.minutes
                ));
            }
        }
        for (i, s) in d.suppress.iter().enumerate() {
            if s.rule.trim().is_empty() {
                return Err(format!("key `detect.suppress[{i}].rule`: expected a rule id (wildcards allowed), found an empty string"));
            }
            if s.reason.trim().is_empty() {
                return Err(format!(
                    "key `detect.suppress[{i}].reason`: say why findings are suppressed"
                ));
            }
            if s.until.is_some() && s.until_ms().is_none() {
                return Err(format!(
                    "key `detect.suppress[{i}].until`: expected YYYY-MM-DD or an RFC 3339 time, found {:?}",
                    s.until.as_deref().unwrap_or_default()
                ));
            }
        }
        let a = &self.accounts;
        if a.role_name.trim().is_empty() {
            return Err("key `accounts.role_name`: expected a role name, found an empty string".into());
        }
        if !(900..=43_200).contains(&a.session_secs) {
            return Err(format!(
                "key `accounts.session_secs`: expected 900 to 43200 (seconds), found {}",
                a.session_secs
            ));
        }
        if a.session_name.len() < 2 || a.session_name.len() > 64 {
            return Err(format!(
                "key `accounts.session_name`: expected 2 to 64 characters, found {:?}",
                a.session_name
            ));
        }
        if a.concurrency == 0 || a.concurrency > 256 {
            return Err(format!(
                "key `accounts.concurrency`: expected 1 to 256, found {}",
                a.concurrency
            ));
        }
        for (i, r) in a.regions.iter().enumerate() {
            let ok = !r.is_empty()
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                return Err(format!(
                    "key `accounts.regions[{i}]`: expected a region name like us-east-1, found {r:?}"
                ));
            }
        }
        for (i, c) in a.baseline.required.iter().enumerate() {
            if parapet_model::baseline::Control::parse(c).is_none() {
                let known: Vec<&str> = parapet_model::baseline::Control::ALL
                    .iter()
                    .map(|c| c.as_str())
                    .collect();
                return Err(format!(
                    "key `accounts.baseline.required[{i}]`: unknown control {c:?}; expected one of {}",
                    known.join(", ")
                ));
            }
        }
        if let Some(url) = &self.aws.endpoint_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "key `aws.endpoint_url`: expected an http:// or https:// URL, found {url:?}"
                ));
            }
        }
        Ok(())
    }

    fn resolve_paths(&mut self, base: &Path) {
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        resolve(&mut self.data.dir);
        if let Some(csv) = &mut self.accounts.csv {
            resolve(csv);
        }
        for r in &mut self.detect.rules {
            resolve(r);
        }
        if let Some(g) = &mut self.detect.geoip {
            resolve(g);
        }
        for c in &mut self.notify.channels {
            if let Some(p) = &mut c.path {
                resolve(p);
            }
        }
    }
}

/// Channels are named once and have what their kind needs; routes and the fallback name
/// configured channels.
fn validate_cost(
    c: &parapet_model::cost::CostConfig,
    n: &parapet_model::notify::NotifyConfig,
) -> Result<(), String> {
    for (i, name) in c.report.channels.iter().enumerate() {
        if !n.channels.iter().any(|ch| &ch.name == name) {
            return Err(format!(
                "key `cost.report.channels[{i}]`: no channel is named {name:?} in notify.channels"
            ));
        }
    }
    let a = &c.anomaly;
    if a.window_days < 7 || a.window_days > 90 {
        return Err(format!(
            "key `cost.anomaly.window_days`: expected 7 to 90, found {}",
            a.window_days
        ));
    }
    if a.min_history_days == 0 || a.min_history_days > a.window_days {
        return Err(format!(
            "key `cost.anomaly.min_history_days`: expected 1 to window_days ({}), found {}",
            a.window_days, a.min_history_days
        ));
    }
    for (key, v) in [
        ("min_increase", a.min_increase),
        ("min_increase_ratio", a.min_increase_ratio),
        ("mad_threshold", a.mad_threshold),
        ("high_increase", a.high_increase),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(format!(
                "key `cost.anomaly.{key}`: expected a number of 0 or more, found {v}"
            ));
        }
    }
    if let Some(source) = &c.source {
        if source.trim().is_empty() {
            return Err(
                "key `cost.source`: expected a folder or s3://bucket/prefix, found an empty string".into(),
            );
        }
    }
    Ok(())
}

fn validate_notify(n: &parapet_model::notify::NotifyConfig) -> Result<(), String> {
    use parapet_model::notify::{ChannelKind, TEAM};
    for (i, c) in n.channels.iter().enumerate() {
        let key = format!("notify.channels[{i}]");
        if c.name.trim().is_empty() || c.name == TEAM {
            return Err(format!(
                "key `{key}.name`: expected a name other than \"team\", found {:?}",
                c.name
            ));
        }
        if n.channels[..i].iter().any(|o| o.name == c.name) {
            return Err(format!(
                "key `{key}.name`: another channel is already named {:?}",
                c.name
            ));
        }
        match c.kind {
            ChannelKind::Slack | ChannelKind::Webhook | ChannelKind::Teams => match &c.url {
                Some(u) if u.starts_with("https://") || u.starts_with("http://") => {}
                // Never echo the URL: it is a secret.
                Some(_) => return Err(format!("key `{key}.url`: expected an http:// or https:// URL")),
                None => return Err(format!("key `{key}.url`: a {:?} channel needs a url", c.kind)),
            },
            ChannelKind::File => {
                if c.path.is_none() {
                    return Err(format!("key `{key}.path`: a file channel needs a path"));
                }
            }
            ChannelKind::Email => {
                match &c.url {
                    Some(u) if u.starts_with("smtp://") || u.starts_with("smtps://") => {}
                    Some(_) => return Err(format!("key `{key}.url`: expected an smtp:// or smtps:// URL")),
                    None => {
                        return Err(format!(
                            "key `{key}.url`: an email channel needs an smtp:// or smtps:// url"
                        ))
                    }
                }
                if c.from.as_deref().is_none_or(|f| !f.contains('@')) {
                    return Err(format!(
                        "key `{key}.from`: an email channel needs a sender address"
                    ));
                }
                if c.to.is_empty() || c.to.iter().any(|t| !t.contains('@')) {
                    return Err(format!("key `{key}.to`: expected one or more e-mail addresses"));
                }
            }
        }
    }
    let known = |name: &str| n.channels.iter().any(|c| c.name == name);
    for (i, r) in n.routes.iter().enumerate() {
        if r.to.is_empty() {
            return Err(format!(
                "key `notify.routes[{i}].to`: name at least one channel (or \"team\")"
            ));
        }
        for t in &r.to {
            if t != TEAM && !known(t) {
                return Err(format!("key `notify.routes[{i}].to`: no channel is named {t:?}"));
            }
        }
        if let (Some(min), Some(max)) = (r.min_severity, r.max_severity) {
            if min > max {
                return Err(format!(
                    "key `notify.routes[{i}].max_severity`: {} is below min_severity {}",
                    max.as_str(),
                    min.as_str()
                ));
            }
        }
        for s in &r.sources {
            if ![
                "detection",
                "guardduty",
                "securityhub",
                "health",
                "registry",
                "posture",
                "cost",
            ]
            .contains(&s.as_str())
            {
                return Err(format!("key `notify.routes[{i}].sources`: expected detection, guardduty, securityhub, health, registry, posture or cost, found {s:?}"));
            }
        }
    }
    if let Some(f) = &n.fallback {
        if !known(f) {
            return Err(format!("key `notify.fallback`: no channel is named {f:?}"));
        }
    }
    if n.max_attempts == Some(0) {
        return Err("key `notify.max_attempts`: expected 1 or more".into());
    }
    Ok(())
}

/// Replaces `${NAME}` in every string with the variable's value.
fn expand_env(
    table: &mut toml::Table,
    prefix: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), String> {
    for (k, v) in table.iter_mut() {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        expand_value(v, &key, env)?;
    }
    Ok(())
}

fn expand_value(v: &mut toml::Value, key: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<(), String> {
    match v {
        toml::Value::String(s) => {
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(start) = rest.find("${") {
                out.push_str(&rest[..start]);
                let after = &rest[start + 2..];
                let end = after
                    .find('}')
                    .ok_or_else(|| format!("key `{key}`: `${{` is not closed by `}}`"))?;
                let name = &after[..end];
                let value = env(name)
                    .ok_or_else(|| format!("key `{key}`: environment variable `{name}` is not set"))?;
                out.push_str(&value);
                rest = &after[end + 1..];
            }
            out.push_str(rest);
            *s = out;
        }
        toml::Value::Table(t) => expand_env(t, key, env)?,
        toml::Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                expand_value(item, &format!("{key}[{i}]"), env)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("/etc/parapet"), &|name| {
            (name == "ENDPOINT").then(|| "http://127.0.0.1:9".to_string())
        })
    }

    #[test]
    fn the_example_loads_and_equals_the_defaults() {
        let c = parse(EXAMPLE).expect("example loads");
        let mut d = Config::default();
        d.resolve_paths(Path::new("/etc/parapet"));
        assert_eq!(c, d);
        assert_eq!(c.data.dir, PathBuf::from("/etc/parapet/parapet-data"));
    }

    #[test]
    fn errors_name_the_key() {
        let e = parse("version = 1\n[ingest]\nbufer_mb = 3\n").unwrap_err();
        assert!(e.contains("unknown field `bufer_mb`"), "{e}");
        let e = parse("version = 1\n[ingest]\nbuffer_mb = 0\n").unwrap_err();
        assert_eq!(e, "key `ingest.buffer_mb`: expected 1 to 16384 (MiB), found 0");
        let e = parse("version = 1\n[ingest]\nworkers = \"four\"\n").unwrap_err();
        assert!(e.contains("invalid type") && e.contains("workers"), "{e}");
        let e = parse("[data]\n").unwrap_err();
        assert!(e.starts_with("key `version` is missing"), "{e}");
        let e =
            parse("version = 1\n[accounts.baseline]\nrequired = [\"guardduty\", \"macie\"]\n").unwrap_err();
        assert!(
            e.starts_with(
                "key `accounts.baseline.required[1]`: unknown control \"macie\"; expected one of cloudtrail,"
            ),
            "{e}"
        );
        let e = parse("version = 1\n[accounts]\nsession_secs = 60\n").unwrap_err();
        assert_eq!(
            e,
            "key `accounts.session_secs`: expected 900 to 43200 (seconds), found 60"
        );
        let e = parse("version = 2\n").unwrap_err();
        assert_eq!(e, "key `version`: this parapet reads version 1, found 2");
    }

    #[test]
    fn secrets_from_the_environment() {
        let c = parse("version = 1\n[aws]\nendpoint_url = \"${ENDPOINT}\"\n").expect("loads");
        assert_eq!(c.aws.endpoint_url.as_deref(), Some("http://127.0.0.1:9"));
        let e = parse("version = 1\n[aws]\nprofile = \"${MISSING}\"\n").unwrap_err();
        assert_eq!(e, "key `aws.profile`: environment variable `MISSING` is not set");
    }
}
