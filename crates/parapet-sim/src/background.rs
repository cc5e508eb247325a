//! Background activity of one account-day: how many calls, by whom, when, and which fail.
//!
//! A day is planned as compact [`Spec`]s (time, region, who, what, a seed) and each record is
//! rendered from its spec only when its file is written, so a day of 24,000 events costs about
//! a megabyte however large the records are.

use std::collections::HashMap;

use crate::account::AccountCtx;
use crate::calls::{render_api, Scratch};
use crate::catalog::{Fail, APIS, GET_CALLER_IDENTITY, P};
use crate::principals::{Class, Kind, BROWSERS, CLASS_COUNT};
use crate::rng::Rng;
use crate::signin::{failed_identity, iam_user_login_identity, write_login, Login, HIDDEN_USER};

/// One event to write.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spec {
    /// Epoch seconds.
    pub t: i64,
    /// Index into [`AccountCtx::regions`].
    pub region: u8,
    /// Order of creation; breaks ties so sorting is deterministic.
    pub seq: u32,
    pub seed: u64,
    pub body: Body,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Body {
    Api {
        api: u16,
        actor: u16,
        fail: Fail,
    },
    Login {
        actor: u16,
        mode: LoginMode,
    },
    /// A pre-rendered record (scenario events), by index into the day's list.
    Raw(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LoginMode {
    Success,
    Failure,
    HiddenFailure,
}

/// Relative activity of people per local hour.
const HUMAN_HOURS: [u32; 24] = [
    1, 1, 1, 1, 1, 2, 4, 10, 30, 60, 80, 80, 55, 70, 85, 85, 75, 55, 30, 15, 8, 5, 3, 2,
];
/// Shares of calls per [`Class`] on weekdays and at weekends.
const WEEKDAY_SHARES: [u32; CLASS_COUNT] = [36, 8, 30, 12, 14];
const WEEKEND_SHARES: [u32; CLASS_COUNT] = [8, 4, 42, 22, 24];
/// Chance that a read by this class fails.
const ERROR_RATE: [f64; CLASS_COUNT] = [0.05, 0.05, 0.025, 0.0, 0.0];
/// At most this many background access-denied errors per principal per 5-minute bucket (so
/// never 10 in any 5 minutes: that is the `access_denied_burst` scenario).
const DENIED_PER_BUCKET: u8 = 3;

struct Table {
    apis: Vec<u16>,
    cum: Vec<u32>,
}

impl Table {
    fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.cum.last().copied().unwrap_or(0);
        if total == 0 {
            return GET_CALLER_IDENTITY;
        }
        let x = rng.below(u64::from(total)) as u32;
        let i = self.cum.partition_point(|&c| c <= x);
        usize::from(self.apis[i.min(self.apis.len() - 1)])
    }
}

/// The background generator for one account.
pub(crate) struct Background {
    tables: Vec<Table>,
    /// AWS services that assume roles in this account.
    assumers: Vec<u16>,
    denied: HashMap<(u16, i64), u8>,
}

fn is_weekend(day_start: i64) -> bool {
    // 1970-01-01 was a Thursday; Monday = 0.
    let weekday = (day_start.div_euclid(86_400) + 3).rem_euclid(7);
    weekday >= 5
}

impl Background {
    pub(crate) fn new(ctx: &AccountCtx<'_>) -> Background {
        let tables = (0..CLASS_COUNT)
            .map(|c| {
                let mut apis = Vec::new();
                let mut cum = Vec::new();
                let mut total = 0u32;
                for (i, a) in APIS.iter().enumerate() {
                    if a.w[c] == 0 || (a.mgmt && !ctx.is_management) {
                        continue;
                    }
                    total += u32::from(a.w[c]);
                    apis.push(i as u16);
                    cum.push(total);
                }
                Table { apis, cum }
            })
            .collect();
        let p = &ctx.principals;
        let assumers = p.by_class[Class::Service as usize]
            .iter()
            .copied()
            .filter(|&i| !p.actors[usize::from(i)].assumes.is_empty())
            .collect();
        Background {
            tables,
            assumers,
            denied: HashMap::new(),
        }
    }

    /// Seconds since `day_start` of a call by a person (their working hours, local time).
    fn human_time(ctx: &AccountCtx<'_>, day_start: i64, rng: &mut Rng) -> i64 {
        let hour = rng.weighted(&HUMAN_HOURS) as i64;
        let secs = (hour - i64::from(ctx.utc_offset)) * 3600 + rng.below(3600) as i64;
        day_start + secs.rem_euclid(86_400)
    }

    /// Plans one day's background events into `specs`.
    pub(crate) fn plan_day(
        &mut self,
        ctx: &AccountCtx<'_>,
        day_start: i64,
        per_day: u32,
        rng: &mut Rng,
        specs: &mut Vec<Spec>,
    ) {
        self.denied.clear();
        let weekend = is_weekend(day_start);
        let factor = if weekend { 0.7 } else { 1.12 } * (0.9 + 0.2 * rng.unit());
        let n = (f64::from(per_day) * factor).round() as u64;
        let shares = if weekend { &WEEKEND_SHARES } else { &WEEKDAY_SHARES };
        let p = &ctx.principals;
        for _ in 0..n {
            let mut class = rng.weighted(shares);
            if p.by_class[class].is_empty() {
                class = Class::Service as usize;
            }
            let mut api_idx = self.tables[class].sample(rng);
            let actors = if class == Class::Service as usize
                && APIS[api_idx].p == P::AssumeRole
                && !self.assumers.is_empty()
            {
                &self.assumers
            } else {
                &p.by_class[class]
            };
            let actor_idx = actors[rng.index(actors.len())];
            let actor = &p.actors[usize::from(actor_idx)];
            for _ in 0..3 {
                let a = &APIS[api_idx];
                if a.only.is_none_or(|r| r == actor.runtime) {
                    break;
                }
                api_idx = self.tables[class].sample(rng);
            }
            let mut api = &APIS[api_idx];
            if api.only.is_some_and(|r| r != actor.runtime) {
                api_idx = GET_CALLER_IDENTITY;
                api = &APIS[api_idx];
            }
            if actor.kind == Kind::AwsService && api.p == P::AssumeRole && actor.assumes.is_empty() {
                api_idx = APIS
                    .iter()
                    .position(|a| a.p == P::GenerateDataKey)
                    .unwrap_or(GET_CALLER_IDENTITY);
                api = &APIS[api_idx];
            }
            let t = if class == Class::Human as usize {
                Self::human_time(ctx, day_start, rng)
            } else {
                day_start + rng.below(86_400) as i64
            };
            let region = if api.global {
                ctx.global_region
            } else {
                ctx.pick_region(rng)
            };
            let mut fail = Fail::None;
            if api.read_only
                && api_idx != GET_CALLER_IDENTITY
                && api.p != P::AssumeRole
                && rng.chance(ERROR_RATE[class])
            {
                fail = match rng.below(20) {
                    0..=8 => Fail::Denied,
                    9..=15 => Fail::Throttled,
                    _ => Fail::NotFound,
                };
                if fail == Fail::Denied {
                    let count = self.denied.entry((actor_idx, t / 300)).or_insert(0);
                    if *count >= DENIED_PER_BUCKET {
                        fail = Fail::Throttled;
                    } else {
                        *count += 1;
                    }
                }
            }
            specs.push(Spec {
                t,
                region,
                seq: specs.len() as u32,
                seed: rng.next_u64(),
                body: Body::Api {
                    api: api_idx as u16,
                    actor: actor_idx,
                    fail,
                },
            });
        }
        self.plan_logins(ctx, day_start, weekend, rng, specs);
    }

    fn plan_logins(
        &self,
        ctx: &AccountCtx<'_>,
        day_start: i64,
        weekend: bool,
        rng: &mut Rng,
        specs: &mut Vec<Spec>,
    ) {
        let p = &ctx.principals;
        let sso: Vec<u16> = p.by_class[Class::Human as usize]
            .iter()
            .copied()
            .filter(|&i| p.actors[usize::from(i)].kind == Kind::AssumedRole)
            .collect();
        let busy = matches!(ctx.acct.account.env.as_str(), "dev" | "sandbox" | "staging");
        let logins = match (weekend, busy) {
            (true, _) => rng.range(0, 1),
            (false, true) => rng.range(2, 5),
            (false, false) => rng.range(1, 3),
        };
        let push = |specs: &mut Vec<Spec>, rng: &mut Rng, actor: u16, mode: LoginMode| {
            let t = Self::human_time(ctx, day_start, rng);
            specs.push(Spec {
                t,
                region: ctx.global_region,
                seq: specs.len() as u32,
                seed: rng.next_u64(),
                body: Body::Login { actor, mode },
            });
        };
        if !sso.is_empty() {
            for _ in 0..logins {
                let actor = sso[rng.index(sso.len())];
                push(specs, rng, actor, LoginMode::Success);
            }
        }
        for &u in &p.console_users {
            if !weekend && rng.chance(0.3) {
                push(specs, rng, u, LoginMode::Success);
            }
        }
        // At most one failed sign-in per user per day: never a brute-force pattern.
        if !p.console_users.is_empty() && rng.chance(0.08) {
            let u = p.console_users[rng.index(p.console_users.len())];
            push(specs, rng, u, LoginMode::Failure);
        }
        if !sso.is_empty() && rng.chance(0.03) {
            push(specs, rng, sso[0], LoginMode::HiddenFailure);
        }
    }

    /// Writes the record of a background spec.
    pub(crate) fn render(&self, ctx: &AccountCtx<'_>, scratch: &mut Scratch, out: &mut String, spec: &Spec) {
        let region = ctx.regions[usize::from(spec.region)];
        match spec.body {
            Body::Api { api, actor, fail } => {
                let actor = &ctx.principals.actors[usize::from(actor)];
                render_api(
                    ctx,
                    scratch,
                    out,
                    spec.t,
                    region,
                    &APIS[usize::from(api)],
                    actor,
                    fail,
                    spec.seed,
                );
            }
            Body::Login { actor, mode } => {
                let a = &ctx.principals.actors[usize::from(actor)];
                let mut rng = Rng::new(spec.seed);
                let event_id = rng.uuid();
                let ip = rng.pick(&a.ips).clone();
                let agent = BROWSERS[a.person.unwrap_or(0) % BROWSERS.len()];
                let user = a.name.as_str();
                let (identity, success, mfa, device) = match (mode, a.kind) {
                    (LoginMode::Success, Kind::AssumedRole) => {
                        let mut s = String::new();
                        a.write_identity(&mut s, spec.t);
                        (s, true, false, None)
                    }
                    (LoginMode::Success, _) => (
                        iam_user_login_identity(ctx.id, user, &a.resource),
                        true,
                        true,
                        Some(format!("arn:aws:iam::{}:mfa/{user}", ctx.id)),
                    ),
                    (LoginMode::Failure, _) => (
                        failed_identity(ctx.id, user, Some(&a.resource)),
                        false,
                        false,
                        None,
                    ),
                    (LoginMode::HiddenFailure, _) => {
                        (failed_identity(ctx.id, HIDDEN_USER, None), false, false, None)
                    }
                };
                write_login(
                    out,
                    &Login {
                        identity: &identity,
                        time: spec.t,
                        ip: &ip,
                        agent,
                        account: ctx.id,
                        success,
                        mfa_used: mfa,
                        mfa_device: device.as_deref(),
                        event_id: &event_id,
                    },
                );
            }
            Body::Raw(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parapet_model::time::days_from_civil;

    #[test]
    fn weekends() {
        let sat = days_from_civil(2026, 11, 7) * 86_400;
        let mon = days_from_civil(2026, 11, 9) * 86_400;
        assert!(is_weekend(sat));
        assert!(is_weekend(sat + 86_400));
        assert!(!is_weekend(mon));
    }
}
