//! Every AWS SDK client parapet uses, behind the port traits and domain types the other crates
//! define.
//!
//! This is the only crate that links the AWS SDK: its types never leave it. It provides
//! [`S3Store`] (the `ObjectStore` port over S3), [`SqsQueue`] (the `MessageQueue` port),
//! [`read_organization`] (Organizations into an `OrgSnapshot`), and [`read_baseline`] (each
//! account × region's baseline through STS `AssumeRole`, [`AccessSettings`]), and
//! [`read_inventory`] (what the posture checks look at, through the same roles), and
//! [`read_network`] (each account's network layout as AWS Config–shaped items, for diagrams).

mod access;
mod baseline;
mod inventory;
mod network;
mod org;
mod remediate;
mod s3;
mod sqs;

pub use access::{role_arn, AccessError, AccessSettings, SessionStats};
pub use baseline::{read_baseline, BaselineRead, Progress};
pub use inventory::{read_inventory, InventoryRead};
pub use network::{read_network, AccountNetwork, NetworkRead};
pub use org::read_organization;
pub use remediate::apply_actions;
pub use s3::{S3Location, S3Store};
pub use sqs::SqsQueue;

/// Where and how to reach AWS (or an S3-compatible endpoint such as moto in tests).
#[derive(Clone, Debug, Default)]
pub struct AwsSettings {
    pub region: Option<String>,
    /// A custom endpoint; `AWS_ENDPOINT_URL` in the environment is honoured as well.
    pub endpoint_url: Option<String>,
    pub profile: Option<String>,
    /// Path-style S3 addressing; defaults to on when a custom endpoint is set.
    pub force_path_style: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("{0}")]
    BadUrl(String),
    #[error("starting the AWS client runtime: {0}")]
    Runtime(std::io::Error),
    #[error("{call}: {message}")]
    Api { call: String, message: String },
}

/// A small runtime for one blocking entry point.
fn runtime(name: &str) -> Result<tokio::runtime::Runtime, AwsError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name(name)
        .build()
        .map_err(AwsError::Runtime)
}

/// An SDK error as `call: Code: message` (or the whole error chain when there is no code).
fn api_error<E>(call: &str, err: aws_sdk_s3::error::SdkError<E>) -> AwsError
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_s3::error::ProvideErrorMetadata;
    let message = match (err.code(), err.message()) {
        (Some(code), Some(msg)) => format!("{code}: {msg}"),
        (Some(code), None) => code.to_string(),
        _ => aws_sdk_s3::error::DisplayErrorContext(&err).to_string(),
    };
    AwsError::Api {
        call: call.to_string(),
        message,
    }
}

/// `call: Code: message` as text, for a `Probe::Failed` or an action's error.
pub(crate) fn failed<E>(call: &str, err: aws_sdk_s3::error::SdkError<E>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    api_error(call, err).to_string()
}

/// The service's error code, if the call got an answer.
pub(crate) fn error_code<E: aws_sdk_s3::error::ProvideErrorMetadata>(
    err: &aws_sdk_s3::error::SdkError<E>,
) -> Option<&str> {
    err.as_service_error().and_then(|e| e.code())
}

/// Blocking: on a runtime of its own (threads named `thread`), runs `work` for every account
/// through one set of assumed-role sessions, at most `access.concurrency` at once, calling
/// `progress` after each; the results in the order they finish, and the sessions' figures.
/// `what` names the job in the error a panicked worker gives.
pub(crate) fn through_roles<T, F, Fut>(
    thread: &str,
    settings: &AwsSettings,
    access: &AccessSettings,
    accounts: &[parapet_model::AccountId],
    progress: baseline::Progress,
    what: &str,
    work: F,
) -> Result<(Vec<T>, SessionStats), AwsError>
where
    F: Fn(std::sync::Arc<access::Sessions>, parapet_model::AccountId) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let rt = runtime(thread)?;
    rt.block_on(async {
        let base = sdk_config(settings).await;
        let sessions = std::sync::Arc::new(access::Sessions::new(base, access.clone()).await);
        let reader = sessions.clone();
        let results = each_account(accounts, access.concurrency, progress, what, move |account| {
            work(reader.clone(), account)
        })
        .await?;
        Ok((results, sessions.stats()))
    })
}

/// Runs `work` for every account, at most `concurrency` at once, calling `progress` after
/// each; results in the order they finish. `what` names the job in the error a panicked
/// worker gives.
async fn each_account<T, F, Fut>(
    accounts: &[parapet_model::AccountId],
    concurrency: usize,
    progress: baseline::Progress,
    what: &str,
    work: F,
) -> Result<Vec<T>, AwsError>
where
    F: Fn(parapet_model::AccountId) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let limit = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let work = Arc::new(work);
    let (total, done) = (accounts.len(), Arc::new(AtomicUsize::new(0)));
    let mut tasks = tokio::task::JoinSet::new();
    for &account in accounts {
        let (limit, work, progress, done) = (limit.clone(), work.clone(), progress.clone(), done.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let out = work(account).await;
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            out
        });
    }
    let mut out = Vec::with_capacity(total);
    while let Some(joined) = tasks.join_next().await {
        out.push(joined.map_err(|e| AwsError::Api {
            call: what.to_string(),
            message: format!("a worker task failed: {e}"),
        })?);
    }
    Ok(out)
}

/// S3 Control puts the account id in front of the host (`<account>.s3-control…`), custom
/// endpoints included; an endpoint someone configured (moto, a VPC endpoint) is used as given.
#[derive(Debug)]
struct AsIsEndpoint(aws_sdk_s3control::config::endpoint::DefaultResolver);

impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for AsIsEndpoint {
    fn resolve_endpoint<'a>(
        &'a self,
        params: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> aws_sdk_s3control::config::endpoint::EndpointFuture<'a> {
        use aws_sdk_s3control::config::endpoint::{Endpoint, EndpointFuture};
        match params.endpoint() {
            Some(url) => EndpointFuture::ready(Ok(Endpoint::builder().url(url.to_string()).build())),
            None => self.0.resolve_endpoint(params),
        }
    }
}

async fn sdk_config(settings: &AwsSettings) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(region) = &settings.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(endpoint) = &settings.endpoint_url {
        loader = loader.endpoint_url(endpoint.clone());
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    loader.load().await
}

/// An SDK error as the port's error: the service's error code decides between not found,
/// access denied and anything else. (Every SDK crate re-exports the same `SdkError`.)
fn store_error<E>(
    location: String,
    err: aws_sdk_s3::error::SdkError<E>,
    not_found: &[&str],
    denied: &[&str],
) -> parapet_sources::StoreError
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    use parapet_sources::StoreError;
    let code = err.as_service_error().and_then(|e| e.code()).unwrap_or("");
    if not_found.contains(&code) {
        return StoreError::NotFound { location };
    }
    let message = aws_sdk_s3::error::DisplayErrorContext(&err).to_string();
    if denied.contains(&code) {
        StoreError::AccessDenied { location, message }
    } else {
        StoreError::Io { location, message }
    }
}
