//! The scaffolding scenarios are written with: who calls, one call, and a builder that renders
//! records and keeps their event ids for the truth line.

use crate::account::AccountCtx;
use crate::calls::stable_id;
use crate::principals::{Class, BROWSERS, CONSOLE_AGENT};
use crate::record::{time_string, write_record, Record};
use crate::rng::Rng;
use crate::scenarios::Effect;
use crate::signin::{write_login, Login};

pub(super) const CLI: &str = "aws-cli/2.17.42 md/awscrt#0.21.2 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off";

/// Who makes the calls of an instance.
pub(super) enum Who {
    Actor(u16),
    /// An IAM user with a long-term key: (identity JSON, ARN).
    User(String),
    Root,
}

pub(super) struct Caller {
    pub(super) who: Who,
    pub(super) arn: String,
    pub(super) ip: String,
    pub(super) agent: &'static str,
}

/// One API call of a scenario.
#[derive(Default)]
pub(super) struct Call {
    pub(super) source: &'static str,
    pub(super) name: &'static str,
    pub(super) read_only: bool,
    pub(super) request: Option<String>,
    pub(super) response: Option<String>,
    pub(super) error: Option<(&'static str, String)>,
    pub(super) resources: Option<String>,
    pub(super) additional: Option<String>,
    /// TLS host header.
    pub(super) host: String,
}

pub(super) struct Builder<'c, 'a> {
    pub(super) ctx: &'c AccountCtx<'a>,
    pub(super) rng: Rng,
    pub(super) events: Vec<(i64, u8, String)>,
    pub(super) ids: Vec<String>,
    /// What the instance changed, for the other services' generators.
    pub(super) effects: Vec<Effect>,
}

impl Builder<'_, '_> {
    pub(super) fn identity(&self, c: &Caller, t: i64) -> String {
        match &c.who {
            Who::Actor(i) => {
                let mut s = String::new();
                self.ctx.principals.actors[usize::from(*i)].write_identity(&mut s, t);
                s
            }
            Who::User(json) => json.clone(),
            Who::Root => {
                let id = self.ctx.id;
                format!(
                    "{{\"type\":\"Root\",\"principalId\":\"{id}\",\"arn\":\"arn:aws:iam::{id}:root\",\"accountId\":\"{id}\",\"accessKeyId\":\"ASIA{}\",\"sessionContext\":{{\"attributes\":{{\"creationDate\":\"{}\",\"mfaAuthenticated\":\"true\"}}}}}}",
                    stable_id("", id).get(..16).unwrap_or("0000000000000000"),
                    time_string(t - 60)
                )
            }
        }
    }

    pub(super) fn call(&mut self, t: i64, region: u8, c: &Caller, call: Call) {
        let identity = self.identity(c, t);
        let s3 = call.source == "s3.amazonaws.com";
        let request_id = if s3 {
            self.rng.upper_alnum(16)
        } else {
            self.rng.uuid()
        };
        let event_id = self.rng.uuid();
        let mut json = String::with_capacity(1500);
        write_record(
            &mut json,
            &Record {
                identity: &identity,
                time: t,
                source: call.source,
                name: call.name,
                region: self.ctx.regions[usize::from(region)],
                source_ip: &c.ip,
                user_agent: c.agent,
                error: call.error.as_ref().map(|(c, m)| (*c, m.as_str())),
                request: call.request.as_deref(),
                response: call.response.as_deref(),
                additional: call.additional.as_deref(),
                request_id: &request_id,
                event_id: &event_id,
                read_only: call.read_only,
                resources: call.resources.as_deref(),
                recipient: self.ctx.id,
                tls_host: Some(&call.host),
                console_session: c.agent == CONSOLE_AGENT,
                ..Record::default()
            },
        );
        self.events.push((t, region, json));
        self.ids.push(event_id);
    }

    pub(super) fn login(
        &mut self,
        t: i64,
        identity: &str,
        ip: &str,
        success: bool,
        mfa: bool,
        device: Option<&str>,
    ) {
        let event_id = self.rng.uuid();
        let agent = BROWSERS[self.rng.index(BROWSERS.len())];
        let mut json = String::with_capacity(1200);
        write_login(
            &mut json,
            &Login {
                identity,
                time: t,
                ip,
                agent,
                account: self.ctx.id,
                success,
                mfa_used: mfa,
                mfa_device: device,
                event_id: &event_id,
            },
        );
        self.events.push((t, self.ctx.global_region, json));
        self.ids.push(event_id);
    }

    pub(super) fn outside_ip(&mut self) -> String {
        format!("192.0.2.{}", self.rng.range(2, 254))
    }

    /// An Identity Center admin or the deploy pipeline, from their usual place.
    pub(super) fn insider(&mut self, console_ok: bool) -> Caller {
        let p = &self.ctx.principals;
        let admins = p.admins();
        let automation = &p.by_class[Class::Automation as usize];
        let pick_automation = !automation.is_empty() && self.rng.chance(0.3);
        let idx = if pick_automation {
            automation[self.rng.index(automation.len())]
        } else {
            admins[self.rng.index(admins.len())]
        };
        let a = &p.actors[usize::from(idx)];
        let agent = if pick_automation {
            a.agents[0]
        } else if console_ok && self.rng.chance(0.6) {
            CONSOLE_AGENT
        } else {
            CLI
        };
        Caller {
            who: Who::Actor(idx),
            arn: a.arn.clone(),
            ip: a.ips[self.rng.index(a.ips.len())].clone(),
            agent,
        }
    }

    /// Someone using leaked keys: an IAM user's key from an unknown address.
    pub(super) fn outsider(&mut self) -> Caller {
        let id = self.ctx.id;
        let user = *self
            .rng
            .pick(&["ci-deploy", "backup-sync", "legacy-app", "reporting-bot"]);
        let pid = format!("AIDA{}", self.rng.upper_alnum(17));
        let key = format!("AKIA{}", self.rng.upper_alnum(16));
        let ip = self.outside_ip();
        Caller {
            who: Who::User(crate::principals::iam_user_identity(id, user, &pid, &key)),
            arn: format!("arn:aws:iam::{id}:user/{user}"),
            ip,
            agent: CLI,
        }
    }

    pub(super) fn regional_host(&self, prefix: &str, region: u8) -> String {
        format!("{prefix}.{}.amazonaws.com", self.ctx.regions[usize::from(region)])
    }

    pub(super) fn ec2_ok(&mut self) -> String {
        format!(r#"{{"requestId":"{}","_return":true}}"#, self.rng.uuid())
    }
}
