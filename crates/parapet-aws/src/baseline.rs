//! Reading the baseline of every account × region through assumed roles: one task per account
//! (at most `AccessSettings::concurrency` at once), its regions read side by side. Only the
//! calls of required controls are made; a failed call is a [`Probe::Failed`] naming the API and
//! the error code, and an account that cannot be entered is one [`AccessError`] — the rest go
//! on either way.

use std::sync::Arc;

use aws_config::SdkConfig;
use parapet_model::baseline::{
    Analyzer, BlockPublicAccess, Control, Detector, Probe, Recorder, RegionFacts, Trail,
};
use parapet_model::AccountId;

use crate::access::{AccessError, AccessSettings, SessionStats, Sessions};
use crate::{failed, AwsError, AwsSettings};

/// What was read.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BaselineRead {
    /// One per account × region, sorted; an account that could not be entered has facts whose
    /// every probe failed with the access error.
    pub facts: Vec<RegionFacts>,
    pub access_errors: Vec<AccessError>,
    pub sessions: SessionStats,
}

/// Called after each account with (accounts done, accounts in all).
pub type Progress = Arc<dyn Fn(usize, usize) + Send + Sync>;

/// Reads `required` for each of `accounts` in each of `regions` (blocking).
pub fn read_baseline(
    settings: &AwsSettings,
    access: &AccessSettings,
    accounts: &[AccountId],
    regions: &[String],
    required: &[Control],
    progress: Progress,
) -> Result<BaselineRead, AwsError> {
    let required: Arc<[Control]> = required.into();
    let regions: Arc<[String]> = regions.into();
    let (results, sessions) = crate::through_roles(
        "parapet-baseline",
        settings,
        access,
        accounts,
        progress,
        "baseline",
        move |sessions, account| {
            let (regions, required) = (regions.clone(), required.clone());
            async move { read_account(&sessions, account, &regions, &required).await }
        },
    )?;
    let mut facts = Vec::new();
    let mut access_errors = Vec::new();
    for (f, err) in results {
        facts.extend(f);
        access_errors.extend(err);
    }
    facts.sort_by(|a, b| (a.account_id, &a.region).cmp(&(b.account_id, &b.region)));
    access_errors.sort_by_key(|e| e.account_id);
    Ok(BaselineRead {
        facts,
        access_errors,
        sessions,
    })
}

async fn read_account(
    sessions: &Arc<Sessions>,
    account: AccountId,
    regions: &Arc<[String]>,
    required: &Arc<[Control]>,
) -> (Vec<RegionFacts>, Option<AccessError>) {
    let Some(first) = regions.first() else {
        return (Vec::new(), None);
    };
    // Enter the account once; if that fails, every region reports the same reason.
    if let Err(e) = sessions.config_for(account, first).await {
        let why = e.to_string();
        let facts = regions
            .iter()
            .map(|r| RegionFacts::unreadable(account, r, &why))
            .collect();
        return (facts, Some(e));
    }
    let required = required.clone();
    let out = sessions
        .each_region(account, regions, move |config, region, i| {
            let required = required.clone();
            async move {
                match config {
                    // Account-wide settings are read with the first region only.
                    Ok(config) => read_region(&config, account, &region, &required, i == 0).await,
                    Err(e) => RegionFacts::unreadable(account, &region, &e.to_string()),
                }
            }
        })
        .await;
    (out, None)
}

pub(crate) async fn read_region(
    config: &SdkConfig,
    account: AccountId,
    region: &str,
    required: &[Control],
    account_wide: bool,
) -> RegionFacts {
    let wants = |c: &[Control]| c.iter().any(|c| required.contains(c));
    let mut f = RegionFacts::not_checked(account, region);
    if wants(&[Control::Cloudtrail]) {
        f.trails = trails(config).await;
    }
    if wants(&[Control::ConfigRecorder]) {
        f.config_recorders = recorders(config).await;
    }
    if wants(&[Control::ConfigDeliveryChannel]) {
        let client = aws_sdk_config::Client::new(config);
        f.delivery_channels = match client.describe_delivery_channels().send().await {
            Ok(out) => Probe::Read(
                out.delivery_channels()
                    .iter()
                    .filter_map(|c| c.name().map(String::from))
                    .collect(),
            ),
            Err(e) => Probe::Failed(failed("config:DescribeDeliveryChannels", e)),
        };
    }
    if wants(&[Control::Guardduty]) {
        f.guardduty_detectors = detectors(config).await;
    }
    if wants(&[Control::Securityhub, Control::SecurityhubStandards]) {
        let (hub, standards) = securityhub(config, required.contains(&Control::SecurityhubStandards)).await;
        f.securityhub = hub;
        f.securityhub_standards = standards;
    }
    if wants(&[Control::AccessAnalyzer]) {
        let client = aws_sdk_accessanalyzer::Client::new(config);
        f.access_analyzers = match client
            .list_analyzers()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
        {
            Ok(list) => Probe::Read(
                list.iter()
                    .map(|a| Analyzer {
                        name: a.name().to_string(),
                        kind: a.r#type().as_str().to_string(),
                        active: a.status().as_str() == "ACTIVE",
                    })
                    .collect(),
            ),
            Err(e) => Probe::Failed(failed("access-analyzer:ListAnalyzers", e)),
        };
    }
    if wants(&[Control::EbsEncryption]) {
        let client = aws_sdk_ec2::Client::new(config);
        f.ebs_encryption = match client.get_ebs_encryption_by_default().send().await {
            Ok(out) => Probe::Read(out.ebs_encryption_by_default().unwrap_or(false)),
            Err(e) => Probe::Failed(failed("ec2:GetEbsEncryptionByDefault", e)),
        };
    }
    if account_wide && wants(&[Control::S3BlockPublicAccess]) {
        f.s3_block_public_access = block_public_access(config, account).await;
    }
    f
}

async fn trails(config: &SdkConfig) -> Probe<Vec<Trail>> {
    let client = aws_sdk_cloudtrail::Client::new(config);
    let listed = match client.describe_trails().include_shadow_trails(true).send().await {
        Ok(out) => out.trail_list().to_vec(),
        Err(e) => return Probe::Failed(failed("cloudtrail:DescribeTrails", e)),
    };
    let mut out = Vec::new();
    for t in listed {
        let name = t.name().unwrap_or_default().to_string();
        let id = t.trail_arn().unwrap_or(&name).to_string();
        // A shadow trail's status is asked by ARN; a failure (e.g. an organisation trail seen
        // from a member) counts as not logging here — the management account's own read of
        // that trail is what covers the organisation.
        let logging = match client.get_trail_status().name(&id).send().await {
            Ok(s) => s.is_logging().unwrap_or(false),
            Err(e) => {
                tracing::debug!(trail = %id, error = %failed("cloudtrail:GetTrailStatus", e), "trail status unreadable");
                false
            }
        };
        out.push(Trail {
            arn: t.trail_arn().map(str::to_string),
            name,
            home_region: t.home_region().unwrap_or_default().to_string(),
            multi_region: t.is_multi_region_trail().unwrap_or(false),
            organization: t.is_organization_trail().unwrap_or(false),
            logging,
            log_file_validation: t.log_file_validation_enabled().unwrap_or(false),
            kms_key_id: t.kms_key_id().map(str::to_string),
            bucket: t.s3_bucket_name().map(str::to_string),
        });
    }
    Probe::Read(out)
}

async fn recorders(config: &SdkConfig) -> Probe<Vec<Recorder>> {
    let client = aws_sdk_config::Client::new(config);
    let names: Vec<String> = match client.describe_configuration_recorders().send().await {
        Ok(out) => out
            .configuration_recorders()
            .iter()
            .filter_map(|r| r.name().map(String::from))
            .collect(),
        Err(e) => return Probe::Failed(failed("config:DescribeConfigurationRecorders", e)),
    };
    if names.is_empty() {
        return Probe::Read(Vec::new());
    }
    match client.describe_configuration_recorder_status().send().await {
        Ok(out) => Probe::Read(
            names
                .into_iter()
                .map(|name| {
                    let recording = out
                        .configuration_recorders_status()
                        .iter()
                        .any(|s| s.name() == Some(name.as_str()) && s.recording());
                    Recorder { name, recording }
                })
                .collect(),
        ),
        Err(e) => Probe::Failed(failed("config:DescribeConfigurationRecorderStatus", e)),
    }
}

async fn detectors(config: &SdkConfig) -> Probe<Vec<Detector>> {
    let client = aws_sdk_guardduty::Client::new(config);
    let ids = match client
        .list_detectors()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(ids) => ids,
        Err(e) => return Probe::Failed(failed("guardduty:ListDetectors", e)),
    };
    let mut out = Vec::new();
    for id in ids {
        match client.get_detector().detector_id(&id).send().await {
            Ok(d) => out.push(Detector {
                enabled: d.status().is_some_and(|s| s.as_str() == "ENABLED"),
                id,
            }),
            Err(e) => return Probe::Failed(failed(&format!("guardduty:GetDetector {id}"), e)),
        }
    }
    Probe::Read(out)
}

async fn securityhub(config: &SdkConfig, standards: bool) -> (Probe<Option<String>>, Probe<Vec<String>>) {
    use aws_sdk_securityhub::error::ProvideErrorMetadata;
    let client = aws_sdk_securityhub::Client::new(config);
    let hub = match client.describe_hub().send().await {
        Ok(out) => Probe::Read(Some(out.hub_arn().unwrap_or("hub").to_string())),
        // "Account … is not subscribed to AWS Security Hub".
        Err(e)
            if matches!(
                e.code(),
                Some("InvalidAccessException" | "ResourceNotFoundException")
            ) =>
        {
            Probe::Read(None)
        }
        Err(e) => Probe::Failed(failed("securityhub:DescribeHub", e)),
    };
    if !standards || matches!(hub, Probe::Read(None)) {
        return (hub, Probe::NotChecked);
    }
    let subs = match client
        .get_enabled_standards()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(subs) => Probe::Read(
            subs.iter()
                .filter(|s| {
                    !matches!(
                        s.standards_status().map(|s| s.as_str()),
                        Some("FAILED" | "DELETING")
                    )
                })
                .filter_map(|s| s.standards_arn().map(String::from))
                .collect(),
        ),
        Err(e) => Probe::Failed(failed("securityhub:GetEnabledStandards", e)),
    };
    (hub, subs)
}

async fn block_public_access(config: &SdkConfig, account: AccountId) -> Probe<Option<BlockPublicAccess>> {
    use aws_sdk_s3control::error::ProvideErrorMetadata;
    let mut builder = aws_sdk_s3control::config::Builder::from(config);
    if config.endpoint_url().is_some() {
        builder = builder.endpoint_resolver(crate::AsIsEndpoint(
            aws_sdk_s3control::config::endpoint::DefaultResolver::new(),
        ));
    }
    let client = aws_sdk_s3control::Client::from_conf(builder.build());
    match client
        .get_public_access_block()
        .account_id(account.as_str())
        .send()
        .await
    {
        Ok(out) => Probe::Read(
            out.public_access_block_configuration()
                .map(|c| BlockPublicAccess {
                    block_public_acls: c.block_public_acls().unwrap_or(false),
                    ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                    block_public_policy: c.block_public_policy().unwrap_or(false),
                    restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
                }),
        ),
        Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => Probe::Read(None),
        Err(e) => Probe::Failed(failed("s3control:GetPublicAccessBlock", e)),
    }
}
