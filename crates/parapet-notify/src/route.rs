//! Which channels a finding goes to.

use parapet_model::notify::{finding_source, Digest, NotifyConfig, Route, TEAM};
use parapet_model::{Account, Severity};
use parapet_store::StoredFinding;

/// A channel a finding goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub channel: String,
    /// `None`: at once.
    pub digest: Option<Digest>,
}

/// Of two ways to tell, the sooner (at once before hourly before daily).
fn sooner(a: Option<Digest>, b: Option<Digest>) -> Option<Digest> {
    match (a, b) {
        (None, _) | (_, None) => None,
        (Some(Digest::Hourly), _) | (_, Some(Digest::Hourly)) => Some(Digest::Hourly),
        _ => Some(Digest::Daily),
    }
}

/// The routes in force and the channels that exist.
pub struct Router<'c> {
    config: &'c NotifyConfig,
    routes: Vec<Route>,
}

/// `*` matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    parapet_model::detection::wildcard(pattern, text)
}

impl<'c> Router<'c> {
    pub fn new(config: &'c NotifyConfig) -> Router<'c> {
        Router {
            config,
            routes: config.effective_routes(),
        }
    }

    /// The channel names `f` goes to (each once, in route order); `account` is its account's
    /// registry entry, when known. A `team` target is the account's channel if that channel is
    /// configured, else the fallback.
    pub fn channels(&self, f: &StoredFinding, account: Option<&Account>) -> Vec<String> {
        self.targets(f, account).into_iter().map(|t| t.channel).collect()
    }

    /// The channels `f` goes to, each once, with how: at once, or in a digest. A channel that
    /// some route wants told at once is told at once; of two digests, the sooner.
    pub fn targets(&self, f: &StoredFinding, account: Option<&Account>) -> Vec<Target> {
        let severity = Severity::parse(&f.severity).unwrap_or(Severity::Medium);
        let source = finding_source(&f.rule_id);
        let mut out: Vec<Target> = Vec::new();
        for r in &self.routes {
            let matches = r.min_severity.is_none_or(|m| severity >= m)
                && r.max_severity.is_none_or(|m| severity <= m)
                && (r.sources.is_empty() || r.sources.iter().any(|s| s == source))
                && (r.rules.is_empty() || r.rules.iter().any(|p| glob(p, &f.rule_id)))
                && (r.accounts.is_empty()
                    || f.account_id
                        .as_deref()
                        .is_some_and(|a| r.accounts.iter().any(|x| x == a)))
                && (r.teams.is_empty() || account.is_some_and(|a| r.teams.contains(&a.team)))
                && (r.ous.is_empty()
                    || account.is_some_and(|a| r.ous.iter().any(|o| a.ou.starts_with(o.as_str()))));
            if !matches {
                continue;
            }
            for to in &r.to {
                let name = if to == TEAM {
                    match account
                        .map(|a| a.channel.as_str())
                        .filter(|c| self.config.channel(c).is_some())
                    {
                        Some(c) => Some(c.to_string()),
                        None => self.config.fallback.clone(),
                    }
                } else {
                    Some(to.clone())
                };
                let Some(channel) = name.filter(|n| self.config.channel(n).is_some()) else {
                    continue;
                };
                match out.iter_mut().find(|t| t.channel == channel) {
                    Some(t) => t.digest = sooner(t.digest, r.digest),
                    None => out.push(Target {
                        channel,
                        digest: r.digest,
                    }),
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use parapet_model::notify::{Channel, ChannelKind};
    use parapet_model::AccountId;

    use super::*;

    fn finding(rule: &str, severity: &str, account: &str) -> StoredFinding {
        crate::test_finding(rule, severity, account, "s")
    }

    fn account(id: &str, team: &str, ou: &str, channel: &str) -> Account {
        Account {
            id: AccountId::parse(id).expect("id"),
            name: format!("{team}-prod"),
            team: team.into(),
            env: "prod".into(),
            owner: String::new(),
            ou: ou.into(),
            channel: channel.into(),
            email: String::new(),
            status: Default::default(),
            ou_id: String::new(),
            tags: Default::default(),
        }
    }

    fn channel(name: &str) -> Channel {
        Channel {
            name: name.into(),
            kind: ChannelKind::Webhook,
            url: Some("http://127.0.0.1:1/".into()),
            ..Channel::default()
        }
    }

    #[test]
    fn routes_pick_team_channels_with_a_fallback_and_filter_by_severity_source_rule_and_ou() {
        let config = NotifyConfig {
            channels: ["pay-alerts", "sec-critical", "sec-info", "health-ops"]
                .map(channel)
                .to_vec(),
            routes: vec![
                Route {
                    min_severity: Some(Severity::Medium),
                    to: vec![TEAM.into()],
                    ..Route::default()
                },
                Route {
                    min_severity: Some(Severity::Critical),
                    to: vec!["sec-critical".into()],
                    ..Route::default()
                },
                Route {
                    sources: vec!["health".into()],
                    ous: vec!["Root/Workloads".into()],
                    to: vec!["health-ops".into()],
                    ..Route::default()
                },
                Route {
                    rules: vec!["aws.cloudtrail_*".into()],
                    to: vec!["sec-critical".into()],
                    ..Route::default()
                },
            ],
            fallback: Some("sec-info".into()),
            ..NotifyConfig::default()
        };
        let r = Router::new(&config);
        let pay = account("111111111111", "payments", "Root/Workloads/Prod", "pay-alerts");
        let lab = account("222222222222", "lab", "Root/Sandbox", "no-such-channel");
        let to = |f: &StoredFinding, a: &Account| r.channels(f, Some(a));
        assert_eq!(
            to(
                &finding("aws.iam_identity_changes", "medium", "111111111111"),
                &pay
            ),
            ["pay-alerts"]
        );
        assert_eq!(
            to(&finding("aws.iam_identity_changes", "low", "111111111111"), &pay),
            Vec::<String>::new()
        );
        assert_eq!(
            to(
                &finding("guardduty.Recon:EC2/Portscan", "critical", "111111111111"),
                &pay
            ),
            ["pay-alerts", "sec-critical"]
        );
        // The lab's channel is not configured: the fallback.
        assert_eq!(
            to(&finding("aws.vpc_changes", "high", "222222222222"), &lab),
            ["sec-info"]
        );
        assert_eq!(
            to(&finding("health.AWS_EC2_X", "low", "111111111111"), &pay),
            ["health-ops"]
        );
        assert_eq!(
            to(&finding("health.AWS_EC2_X", "low", "222222222222"), &lab),
            Vec::<String>::new()
        );
        assert_eq!(
            to(&finding("aws.cloudtrail_tampering", "high", "222222222222"), &lab),
            ["sec-info", "sec-critical"]
        );
        // Unknown account: `team` means the fallback.
        assert_eq!(
            r.channels(&finding("aws.vpc_changes", "high", "333333333333"), None),
            ["sec-info"]
        );
    }

    #[test]
    fn low_findings_go_to_a_digest_unless_a_route_tells_the_channel_at_once() {
        let config = NotifyConfig {
            channels: ["sec-info", "sec-critical"].map(channel).to_vec(),
            routes: vec![
                Route {
                    max_severity: Some(Severity::Low),
                    to: vec!["sec-info".into()],
                    digest: Some(Digest::Daily),
                    ..Route::default()
                },
                Route {
                    sources: vec!["guardduty".into()],
                    max_severity: Some(Severity::Medium),
                    to: vec!["sec-info".into()],
                    digest: Some(Digest::Hourly),
                    ..Route::default()
                },
                Route {
                    min_severity: Some(Severity::High),
                    to: vec!["sec-info".into(), "sec-critical".into()],
                    ..Route::default()
                },
                Route {
                    rules: vec!["aws.root_*".into()],
                    to: vec!["sec-info".into()],
                    ..Route::default()
                },
            ],
            ..NotifyConfig::default()
        };
        let r = Router::new(&config);
        let t = |rule: &str, severity: &str| -> Vec<(String, Option<Digest>)> {
            r.targets(&finding(rule, severity, "111111111111"), None)
                .into_iter()
                .map(|t| (t.channel, t.digest))
                .collect()
        };
        let info = |d| ("sec-info".to_string(), d);
        assert_eq!(t("aws.vpc_changes", "low"), [info(Some(Digest::Daily))]);
        assert_eq!(t("aws.vpc_changes", "medium"), []);
        // Two digests: the sooner.
        assert_eq!(
            t("guardduty.Recon:EC2/Portscan", "low"),
            [info(Some(Digest::Hourly))]
        );
        assert_eq!(
            t("aws.vpc_changes", "high"),
            [info(None), ("sec-critical".to_string(), None)]
        );
        // A route that tells at once wins over the digest.
        assert_eq!(t("aws.root_console_login", "low"), [info(None)]);
    }

    #[test]
    fn without_routes_the_team_and_blea_severity_channels_are_told() {
        let config = NotifyConfig {
            channels: ["critical", "error", "info", "pay-alerts"].map(channel).to_vec(),
            ..NotifyConfig::default()
        };
        let r = Router::new(&config);
        let pay = account("111111111111", "payments", "Root/Workloads", "pay-alerts");
        let to =
            |severity: &str| r.channels(&finding("aws.vpc_changes", severity, "111111111111"), Some(&pay));
        assert_eq!(to("critical"), ["pay-alerts", "critical"]);
        assert_eq!(to("high"), ["pay-alerts", "error"]);
        assert_eq!(to("medium"), ["pay-alerts", "info"]);
        assert_eq!(to("low"), ["info"]);
        assert_eq!(to("info"), ["info"]);
    }
}
