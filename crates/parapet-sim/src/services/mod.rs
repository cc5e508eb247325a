//! The other sources of the Log Archive bucket, written beside CloudTrail for the same account
//! and day: VPC flow logs, Route 53 Resolver query logs, GuardDuty findings, Security Hub
//! findings, AWS Config items and AWS Health events. Also the organisation's bills ([`cost`]),
//! which live in a billing bucket of their own.
//!
//! Each generator sees the account's [`Network`], its [`Posture`] (the standing configuration
//! Config shows and Security Hub judges, so the two agree), the day, the [`Effect`]s of the
//! day's CloudTrail scenarios (so the other services agree with CloudTrail: an opened security
//! group shows in Config and Security Hub too) and the day's network scenarios, which live only
//! here. Each writes its files through the shared [`FileSink`], counts its records per lake
//! table and adds a truth line per scenario it shows. Generators that remember things across
//! days (GuardDuty's findings, Config's resources, Security Hub's checks) keep a state here.
//!
//! Where files go (keys relative to the bucket, `<org>/` being Control Tower's prefix):
//! - flow logs: `<org>/AWSLogs/<acct>/vpcflowlogs/<region>/YYYY/MM/DD/<acct>_vpcflowlogs_<region>_<fl-id>_<stamp>_<hash>.log.gz`,
//!   one file per region and hour (AWS writes one per 5 or 10 minutes);
//! - Resolver query logs: `<org>/AWSLogs/<acct>/vpcdnsquerylogs/<vpc>/YYYY/MM/DD/<acct>_vpcdnsquerylogs_<region>_<vpc>_<stamp>_<hash>.log.gz`;
//! - GuardDuty: the delegated administrator (audit account) exports every member's findings to
//!   `<org>/AWSLogs/<audit>/GuardDuty/<region>/YYYY/MM/DD/<uuid>.jsonl.gz`;
//! - Security Hub and Health: EventBridge events (one per line) delivered by Firehose to the
//!   `SecurityHub` and `Health` folders of the audit account in us-east-1 (parapet's convention;
//!   AWS has no S3 layout for them), one file per member account and day:
//!   `<org>/AWSLogs/<audit>/SecurityHub/us-east-1/YYYY/MM/DD/securityhub-findings-1-<YYYY-MM-DD-HH-MM-SS>-<uuid>.jsonl.gz`
//!   and `<org>/AWSLogs/<audit>/Health/us-east-1/YYYY/MM/DD/health-events-1-<…>-<uuid>.jsonl.gz`;
//! - Config (date folders not zero-padded, as Config writes them):
//!   `<org>/AWSLogs/<acct>/Config/<region>/YYYY/M/D/ConfigHistory/<acct>_Config_<region>_ConfigHistory_<type>_<first>_<last>_1.json.gz`
//!   per six-hour window and resource type that changed, and once a day
//!   `<org>/AWSLogs/<acct>/Config/<region>/YYYY/M/D/ConfigSnapshot/<acct>_Config_<region>_ConfigSnapshot_<stamp>_<uuid>.json.gz`
//!   (stamps `YYYYMMDDTHHMMSSZ`).
//!
//! The bills are not made per account-day: they are written once, after the accounts, to
//! `billing/` beside `logs/` (see [`cost`] for their layout).

mod config;
pub(crate) mod cost;
mod dns;
mod flow;
mod guardduty;
mod health;
mod network;
mod posture;
mod securityhub;

use std::collections::BTreeMap;

use crate::account::AccountCtx;
use crate::error::SimError;
use crate::rng::Rng;
use crate::scenarios::{Effect, Instance, Truth};
use crate::sink::FileSink;
use crate::SimSource;

pub(crate) use network::Network;
use posture::Posture;

/// `2026-11-01T10:05:03.123Z`: RFC 3339 with milliseconds, as findings and Config items carry
/// times.
pub(crate) fn ms_time(secs: i64, ms: u64) -> String {
    let s = crate::record::time_string(secs);
    format!("{}.{ms:03}Z", s.trim_end_matches('Z'))
}

/// `20261101T100503Z`, the compact stamp of Config file names.
pub(crate) fn compact_stamp(secs: i64) -> String {
    let (y, m, d, hh, mm, ss) = crate::layout::stamp_parts(secs);
    format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}Z")
}

/// Records and files written for one lake table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SourceCount {
    pub records: u64,
    pub files: u64,
}

/// One day of one account, as the generators see it.
pub(crate) struct Day<'d> {
    /// The account's index in the organisation.
    pub account: usize,
    /// Day number in the run, from 0.
    pub index: u32,
    /// Epoch seconds of 00:00 UTC.
    pub start: i64,
    /// What the day's CloudTrail scenarios changed.
    pub effects: &'d [Effect],
    /// The day's scenarios that are not in CloudTrail (network ones).
    pub incidents: &'d [Instance],
    /// Background events per account-day, the scale of the other sources.
    pub scale: u32,
    pub seed: u64,
}

/// Where generators put what they make.
pub(crate) struct Out<'s, 'a> {
    pub sink: &'s mut FileSink<'a>,
    pub counts: &'s mut BTreeMap<&'static str, SourceCount>,
    pub truth: &'s mut Vec<Truth>,
}

impl Out<'_, '_> {
    /// Writes one gzip'd file of `records` records of `table`.
    pub(crate) fn file(
        &mut self,
        table: &'static str,
        key: &str,
        data: &[u8],
        records: u64,
    ) -> Result<(), SimError> {
        self.sink.write_gz(key, data)?;
        let c = self.counts.entry(table).or_default();
        c.records += records;
        c.files += 1;
        Ok(())
    }
}

/// One line of a text log: when it starts, its order of creation (ties), its text with `\n`.
pub(crate) type TimedLine = (i64, u32, String);

/// Writes a day's `lines` as one file per hour that has any, each starting with `header`, keyed
/// by `key(hour_start)`: how flow logs and Resolver query logs are delivered.
pub(crate) fn write_hourly(
    out: &mut Out<'_, '_>,
    table: &'static str,
    lines: &mut [TimedLine],
    header: &str,
    day_start: i64,
    mut key: impl FnMut(i64) -> String,
) -> Result<(), SimError> {
    lines.sort_unstable_by_key(|l| (l.0, l.1));
    let hour_of = |l: &TimedLine| (l.0 - day_start).div_euclid(3600);
    let mut text = String::new();
    for chunk in lines.chunk_by(|a, b| hour_of(a) == hour_of(b)) {
        text.clear();
        text.push_str(header);
        for l in chunk {
            text.push_str(&l.2);
        }
        let k = key(day_start + hour_of(&chunk[0]) * 3600);
        out.file(table, &k, text.as_bytes(), chunk.len() as u64)?;
    }
    Ok(())
}

/// The other services of one account, with what they remember from day to day.
pub(crate) struct Services {
    sources: Vec<SimSource>,
    net: Network,
    posture: Posture,
    guardduty: guardduty::State,
    config: config::State,
    securityhub: securityhub::State,
}

impl Services {
    pub(crate) fn new(ctx: &AccountCtx<'_>, index: usize, sources: &[SimSource], seed: u64) -> Services {
        Services {
            sources: sources.to_vec(),
            net: Network::build(ctx, index, seed),
            posture: Posture::build(ctx, index, seed),
            guardduty: guardduty::State::default(),
            config: config::State::default(),
            securityhub: securityhub::State::default(),
        }
    }

    fn on(&self, s: SimSource) -> bool {
        self.sources.contains(&s)
    }

    /// Writes every enabled source's files of one day.
    pub(crate) fn write_day(
        &mut self,
        ctx: &AccountCtx<'_>,
        day: &Day<'_>,
        out: &mut Out<'_, '_>,
    ) -> Result<(), SimError> {
        let rng = |tag: u64| Rng::derive(day.seed, &[tag, day.account as u64, u64::from(day.index)]);
        if self.on(SimSource::VpcFlow) {
            flow::write_day(ctx, &self.net, day, &mut rng(0xF10), out)?;
        }
        if self.on(SimSource::Route53Resolver) {
            dns::write_day(ctx, &self.net, day, &mut rng(0xD25), out)?;
        }
        if self.on(SimSource::GuardDuty) {
            guardduty::write_day(ctx, &self.net, &mut self.guardduty, day, &mut rng(0x6D), out)?;
        }
        if self.on(SimSource::Config) {
            let (net, posture) = (&self.net, &self.posture);
            config::write_day(ctx, net, posture, &mut self.config, day, &mut rng(0xC0F), out)?;
        }
        if self.on(SimSource::SecurityHub) {
            let (net, posture) = (&self.net, &self.posture);
            securityhub::write_day(
                ctx,
                net,
                posture,
                &mut self.securityhub,
                day,
                &mut rng(0x5EC),
                out,
            )?;
        }
        if self.on(SimSource::Health) {
            health::write_day(ctx, day, &mut rng(0x4EA), out)?;
        }
        Ok(())
    }
}
