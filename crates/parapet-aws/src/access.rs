//! Cross-account access: an STS `AssumeRole` session per member account, with a configurable
//! role name and external ID, cached until shortly before it expires, and the SDK
//! configuration for any region of that account. The caller's own account uses the caller's
//! credentials (no role needed there).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use parapet_model::AccountId;

/// How to get into member accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessSettings {
    /// e.g. `OrganizationAccountAccessRole`, `AWSControlTowerExecution`, or a read-only audit
    /// role; may carry a path (`audit/ParapetReadOnly`).
    pub role_name: String,
    pub external_id: Option<String>,
    pub session_name: String,
    /// Requested session length (STS allows 900 s up to the role's maximum).
    pub duration_secs: i32,
    /// Accounts worked on at once.
    pub concurrency: usize,
}

impl Default for AccessSettings {
    fn default() -> Self {
        AccessSettings {
            role_name: "OrganizationAccountAccessRole".into(),
            external_id: None,
            session_name: "parapet".into(),
            duration_secs: 3600,
            concurrency: 8,
        }
    }
}

/// Why one account could not be entered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AccessError {
    pub account_id: AccountId,
    pub role_arn: String,
    /// The STS error code (`AccessDenied`, …) or `dispatch` for a connection failure.
    pub code: String,
    pub message: String,
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "account {}: sts:AssumeRole {} failed: {}: {}",
            self.account_id, self.role_arn, self.code, self.message
        )
    }
}

/// Sessions are renewed this long before they expire.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Whether a session expiring at `expires` must be renewed at `now`.
pub(crate) fn needs_refresh(expires: SystemTime, now: SystemTime) -> bool {
    expires <= now + REFRESH_MARGIN
}

fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The role ARN parapet assumes in `account`.
pub fn role_arn(settings: &AccessSettings, account: AccountId, region: &str) -> String {
    format!(
        "arn:{}:iam::{account}:role/{}",
        partition(region),
        settings.role_name.trim_start_matches('/')
    )
}

/// Counts of what the session cache did, for reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SessionStats {
    /// `AssumeRole` calls that succeeded.
    pub assumed: usize,
    /// Times a cached session was used instead.
    pub reused: usize,
    /// Accounts used with the caller's own credentials.
    pub own_account: usize,
}

pub(crate) struct Sessions {
    base: SdkConfig,
    sts: aws_sdk_sts::Client,
    settings: AccessSettings,
    caller: Option<AccountId>,
    /// One slot per account, locked while its session is being made, so two regions of an
    /// account assume once while other accounts go on.
    cache: Mutex<HashMap<AccountId, Arc<tokio::sync::Mutex<Option<Credentials>>>>>,
    assumed: AtomicUsize,
    reused: AtomicUsize,
    own: AtomicUsize,
}

impl Sessions {
    /// Runs `work` for each of `regions` of `account` side by side, each with that region's
    /// session (or why it could not be had) and its index (0: the region account-wide settings
    /// are read in); the results in the order of `regions` (a task that panicked has none).
    pub(crate) async fn each_region<T, F, Fut>(
        self: &Arc<Self>,
        account: AccountId,
        regions: &[String],
        work: F,
    ) -> Vec<T>
    where
        F: Fn(Result<SdkConfig, AccessError>, String, usize) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let work = Arc::new(work);
        let mut tasks = tokio::task::JoinSet::new();
        for (i, region) in regions.iter().enumerate() {
            let (sessions, region, work) = (self.clone(), region.clone(), work.clone());
            tasks.spawn(async move {
                let config = sessions.config_for(account, &region).await;
                (i, work(config, region, i).await)
            });
        }
        let mut out = Vec::with_capacity(regions.len());
        while let Some(joined) = tasks.join_next().await {
            if let Ok(r) = joined {
                out.push(r);
            }
        }
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, r)| r).collect()
    }

    pub(crate) async fn new(base: SdkConfig, settings: AccessSettings) -> Sessions {
        let sts = aws_sdk_sts::Client::new(&base);
        let caller = match sts.get_caller_identity().send().await {
            Ok(out) => out.account().and_then(AccountId::parse),
            Err(e) => {
                tracing::warn!(error = %aws_sdk_sts::error::DisplayErrorContext(&e), "sts:GetCallerIdentity failed; every account will be entered through the role");
                None
            }
        };
        Sessions {
            base,
            sts,
            settings,
            caller,
            cache: Mutex::new(HashMap::new()),
            assumed: AtomicUsize::new(0),
            reused: AtomicUsize::new(0),
            own: AtomicUsize::new(0),
        }
    }

    pub(crate) fn stats(&self) -> SessionStats {
        SessionStats {
            assumed: self.assumed.load(Ordering::Relaxed),
            reused: self.reused.load(Ordering::Relaxed),
            own_account: self.own.load(Ordering::Relaxed),
        }
    }

    /// The SDK configuration for `account` in `region`: a cached session if it is fresh, else
    /// a new `AssumeRole`.
    pub(crate) async fn config_for(
        &self,
        account: AccountId,
        region: &str,
    ) -> Result<SdkConfig, AccessError> {
        let regional = |creds: Option<Credentials>| {
            let mut b = self.base.to_builder();
            b.set_region(Some(aws_config::Region::new(region.to_string())));
            if let Some(creds) = creds {
                b.set_credentials_provider(Some(SharedCredentialsProvider::new(creds)));
            }
            b.build()
        };
        if self.caller == Some(account) {
            self.own.fetch_add(1, Ordering::Relaxed);
            return Ok(regional(None));
        }
        let slot = {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            cache.entry(account).or_default().clone()
        };
        let mut slot = slot.lock().await;
        if let Some(creds) = slot.as_ref() {
            let fresh = creds
                .expiry()
                .is_none_or(|e| !needs_refresh(e, SystemTime::now()));
            if fresh {
                self.reused.fetch_add(1, Ordering::Relaxed);
                return Ok(regional(Some(creds.clone())));
            }
        }
        let creds = self.assume(account, region).await?;
        *slot = Some(creds.clone());
        Ok(regional(Some(creds)))
    }

    async fn assume(&self, account: AccountId, region: &str) -> Result<Credentials, AccessError> {
        let arn = role_arn(&self.settings, account, region);
        let fail = |code: &str, message: String| AccessError {
            account_id: account,
            role_arn: arn.clone(),
            code: code.to_string(),
            message,
        };
        let mut req = self
            .sts
            .assume_role()
            .role_arn(&arn)
            .role_session_name(&self.settings.session_name)
            .duration_seconds(self.settings.duration_secs);
        if let Some(id) = &self.settings.external_id {
            req = req.external_id(id);
        }
        let out = req.send().await.map_err(|e| {
            use aws_sdk_sts::error::ProvideErrorMetadata;
            let code = e.code().unwrap_or("dispatch").to_string();
            let message = e
                .message()
                .map(String::from)
                .unwrap_or_else(|| aws_sdk_sts::error::DisplayErrorContext(&e).to_string());
            fail(&code, message)
        })?;
        let c = out
            .credentials()
            .ok_or_else(|| fail("NoCredentials", "the answer carries no credentials".into()))?;
        let expiry = SystemTime::try_from(*c.expiration()).ok();
        self.assumed.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(account = %account, role = %arn, "assumed role");
        Ok(Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            expiry,
            "parapet-assume-role",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_five_minutes_before_expiry() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert!(!needs_refresh(now + Duration::from_secs(3600), now));
        assert!(!needs_refresh(now + Duration::from_secs(301), now));
        assert!(needs_refresh(now + Duration::from_secs(300), now));
        assert!(needs_refresh(now - Duration::from_secs(1), now));
    }

    #[test]
    fn role_arns_follow_the_partition_and_keep_paths() {
        let s = AccessSettings {
            role_name: "/audit/ParapetReadOnly".into(),
            ..AccessSettings::default()
        };
        let id = AccountId::parse("123456789012").expect("id");
        assert_eq!(
            role_arn(&s, id, "eu-west-1"),
            "arn:aws:iam::123456789012:role/audit/ParapetReadOnly"
        );
        assert_eq!(
            role_arn(&s, id, "cn-north-1"),
            "arn:aws-cn:iam::123456789012:role/audit/ParapetReadOnly"
        );
    }
}
