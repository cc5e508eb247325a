//! Every AWS SDK client parapet uses, behind the port traits the other crates define.
//!
//! This is the only crate that links the AWS SDK: its types never leave it. Today it provides
//! [`S3Store`] (the `ObjectStore` port over S3) and [`SqsQueue`] (the `MessageQueue` port);
//! Organizations, STS, EC2 and IAM follow.

mod s3;
mod sqs;

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
