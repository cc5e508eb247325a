//! Writes one account's whole run, a day at a time: plans the day, sorts it, cuts it into
//! 5-minute files per region, gzips them, and writes an hourly digest per region.
//!
//! Memory is bounded by one account-day of compact specs plus one file's buffers.

use std::collections::BTreeMap;
use std::path::Path;

use crate::account::AccountCtx;
use crate::background::{Background, Body, Spec};
use crate::calls::Scratch;
use crate::digest::{build_digest, sha256_hex, LogFileRef, PrevDigest};
use crate::error::SimError;
use crate::incidents;
use crate::layout::{digest_key, log_key, log_stamp};
use crate::org::Organization;
use crate::rng::Rng;
use crate::scenarios::{Instance, Truth};
use crate::services::{Day, Out, Services, SourceCount};
use crate::sink::FileSink;
use crate::SimConfig;

/// What one account produced.
#[derive(Debug, Default)]
pub(crate) struct AccountStats {
    pub events: u64,
    pub log_files: u64,
    pub digest_files: u64,
    pub bytes: u64,
    pub truth: Vec<Truth>,
    /// Records and files of the other sources, per lake table.
    pub sources: BTreeMap<&'static str, SourceCount>,
}

struct Writer<'a> {
    ctx: AccountCtx<'a>,
    sink: FileSink<'a>,
    bucket: String,
    json: String,
    scratch: Scratch,
    /// Last digest per region index.
    chain: Vec<Option<PrevDigest>>,
    stats: AccountStats,
}

impl Writer<'_> {
    fn write_digest(&mut self, region: u8, hour_start: i64, files: &[LogFileRef]) -> Result<(), SimError> {
        let ctx = &self.ctx;
        let region_name = ctx.regions[usize::from(region)];
        let end = hour_start + 3600;
        let key = digest_key(&ctx.org.id, ctx.id, region_name, end);
        let prev = self.chain[usize::from(region)].as_ref();
        let (json, link) = build_digest(
            ctx.id,
            region_name,
            &self.bucket,
            &key,
            hour_start,
            end,
            files,
            prev,
        )
        .map_err(|e| SimError::io(self.sink.path(&key), std::io::Error::other(e)))?;
        self.chain[usize::from(region)] = Some(link);
        self.sink.write_gz(&key, &json)?;
        self.stats.digest_files += 1;
        Ok(())
    }

    /// Writes the sorted specs of one day.
    fn write_day(
        &mut self,
        bg: &Background,
        specs: &[Spec],
        raws: &[String],
        day_start: i64,
        rng: &mut Rng,
    ) -> Result<(), SimError> {
        let mut hour_files: Vec<LogFileRef> = Vec::new();
        let mut current: Option<(u8, i64)> = None;
        let mut i = 0;
        while i < specs.len() {
            let region = specs[i].region;
            let window = (specs[i].t - day_start).div_euclid(300);
            let mut j = i + 1;
            while j < specs.len()
                && specs[j].region == region
                && (specs[j].t - day_start).div_euclid(300) == window
            {
                j += 1;
            }
            let hour_start = day_start + window / 12 * 3600;
            if current != Some((region, hour_start)) {
                if let Some((r, h)) = current {
                    self.write_digest(r, h, &hour_files)?;
                    hour_files.clear();
                }
                current = Some((region, hour_start));
            }

            self.json.clear();
            self.json.push_str("{\"Records\":[");
            for (k, spec) in specs[i..j].iter().enumerate() {
                if k > 0 {
                    self.json.push(',');
                }
                match spec.body {
                    Body::Raw(r) => self.json.push_str(&raws[r as usize]),
                    _ => bg.render(&self.ctx, &mut self.scratch, &mut self.json, spec),
                }
            }
            self.json.push_str("]}");

            let stamp = log_stamp(day_start + window * 300);
            let suffix = rng.alnum(16);
            let key = log_key(
                &self.ctx.org.id,
                self.ctx.id,
                self.ctx.regions[usize::from(region)],
                stamp,
                &suffix,
            );
            let hash = sha256_hex(self.json.as_bytes());
            let json = std::mem::take(&mut self.json);
            let written = self.sink.write_gz(&key, json.as_bytes());
            self.json = json;
            written?;
            self.stats.log_files += 1;
            self.stats.events += (j - i) as u64;
            hour_files.push(LogFileRef {
                key,
                hash,
                oldest: specs[i].t,
                newest: specs[j - 1].t,
            });
            i = j;
        }
        if let Some((r, h)) = current {
            self.write_digest(r, h, &hour_files)?;
        }
        Ok(())
    }
}

/// Generates and writes every day of account `index`. `instances` are this account's scenario
/// instances; `logs_root` is `out/logs`.
pub(crate) fn run_account(
    cfg: &SimConfig,
    org: &Organization,
    index: usize,
    first_day: i64,
    instances: &[Instance],
    logs_root: &Path,
) -> Result<AccountStats, SimError> {
    let ctx = AccountCtx::new(org, index, cfg.seed);
    let mut bg = Background::new(&ctx);
    let regions = ctx.regions.len();
    let mut services = Services::new(&ctx, index, &cfg.sources, cfg.seed);
    let mut w = Writer {
        ctx,
        sink: FileSink::new(logs_root),
        bucket: org.bucket(),
        json: String::with_capacity(1 << 20),
        scratch: Scratch::default(),
        chain: vec![None; regions],
        stats: AccountStats::default(),
    };
    let mut specs: Vec<Spec> = Vec::new();
    let mut raws: Vec<String> = Vec::new();
    let mut effects = Vec::new();
    let mut network = Vec::new();
    for day in 0..cfg.days {
        let day_start = first_day + i64::from(day) * 86_400;
        specs.clear();
        raws.clear();
        let mut rng = Rng::derive(cfg.seed, &[0xDA7, index as u64, u64::from(day)]);
        bg.plan_day(
            &w.ctx,
            day_start,
            cfg.events_per_account_day,
            &mut rng,
            &mut specs,
        );
        effects.clear();
        network.clear();
        for inst in instances.iter().filter(|i| i.day == day) {
            let Some(injected) = incidents::render(inst, &w.ctx) else {
                network.push(*inst);
                continue;
            };
            effects.extend(injected.effects);
            for (t, region, json) in injected.events {
                specs.push(Spec {
                    t,
                    region,
                    seq: specs.len() as u32,
                    seed: 0,
                    body: Body::Raw(raws.len() as u32),
                });
                raws.push(json);
            }
            w.stats.truth.push(injected.truth);
        }
        specs.sort_unstable_by_key(|s| (s.region, s.t, s.seq));
        let mut file_rng = Rng::derive(cfg.seed, &[0xF11E, index as u64, u64::from(day)]);
        w.write_day(&bg, &specs, &raws, day_start, &mut file_rng)?;
        let today = Day {
            account: index,
            index: day,
            start: day_start,
            effects: &effects,
            incidents: &network,
            scale: cfg.events_per_account_day,
            seed: cfg.seed,
        };
        let mut out = Out {
            sink: &mut w.sink,
            counts: &mut w.stats.sources,
            truth: &mut w.stats.truth,
        };
        services.write_day(&w.ctx, &today, &mut out)?;
    }
    w.stats.bytes = w.sink.bytes;
    Ok(w.stats)
}
