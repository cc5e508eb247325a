//! S3 as an [`ObjectStore`]: list a bucket prefix, read objects, with bounded sizes.

use aws_sdk_s3::error::ProvideErrorMetadata;
use parapet_sources::{ObjectMeta, ObjectStore, StoreError};
use tokio::runtime::Runtime;

use crate::{sdk_config, AwsError, AwsSettings};

/// `s3://bucket/prefix`, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub prefix: String,
}

impl S3Location {
    pub fn parse(url: &str) -> Result<S3Location, AwsError> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| {
            AwsError::BadUrl(format!("{url} is not an S3 URL (expected s3://bucket[/prefix])"))
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(AwsError::BadUrl(format!(
                "{url} is not an S3 URL (expected s3://bucket[/prefix])"
            )));
        }
        Ok(S3Location {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }
}

/// A bucket prefix. Its methods block; they run the SDK on the store's own runtime, so call
/// them from ordinary threads, not from inside another async runtime.
pub struct S3Store {
    client: aws_sdk_s3::Client,
    location: S3Location,
    uri: String,
    /// `s3://bucket/`: keys are full keys, so the bucket names them whatever the prefix.
    bucket_uri: String,
    runtime: Runtime,
}

impl S3Store {
    pub fn connect(url: &str, settings: &AwsSettings) -> Result<S3Store, AwsError> {
        let location = S3Location::parse(url)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("parapet-s3")
            .build()
            .map_err(AwsError::Runtime)?;
        let config = runtime.block_on(sdk_config(settings));
        let custom_endpoint =
            settings.endpoint_url.is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some();
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(settings.force_path_style.unwrap_or(custom_endpoint))
            .build();
        let client = aws_sdk_s3::Client::from_conf(s3_config);
        let uri = format!("s3://{}/{}", location.bucket, location.prefix);
        let bucket_uri = format!("s3://{}/", location.bucket);
        Ok(S3Store {
            client,
            location,
            uri,
            bucket_uri,
            runtime,
        })
    }

    fn location_of(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.location.bucket)
    }
}

fn sdk_error<E>(location: String, err: aws_sdk_s3::error::SdkError<E>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    crate::store_error(
        location,
        err,
        &["NoSuchKey", "NotFound", "NoSuchBucket"],
        &[
            "AccessDenied",
            "AllAccessDisabled",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
        ],
    )
}

impl ObjectStore for S3Store {
    fn uri(&self) -> &str {
        &self.uri
    }

    fn ledger_name(&self) -> &str {
        &self.bucket_uri
    }

    fn list(&self, visit: &mut dyn FnMut(ObjectMeta)) -> Result<(), StoreError> {
        self.runtime.block_on(async {
            let mut pages = self
                .client
                .list_objects_v2()
                .bucket(&self.location.bucket)
                .prefix(&self.location.prefix)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| sdk_error(self.location_of(&self.location.prefix), e))?;
                for obj in page.contents() {
                    let Some(key) = obj.key() else { continue };
                    visit(ObjectMeta {
                        key: key.to_string(),
                        size: obj.size().unwrap_or(0).max(0) as u64,
                        etag: obj.e_tag().map(|s| s.trim_matches('"').to_string()),
                    });
                }
            }
            Ok(())
        })
    }

    fn get(&self, key: &str, limit: u64) -> Result<Vec<u8>, StoreError> {
        self.runtime.block_on(async {
            let location = self.location_of(key);
            let out = self
                .client
                .get_object()
                .bucket(&self.location.bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| sdk_error(location.clone(), e))?;
            let size = out.content_length().unwrap_or(0).max(0) as u64;
            if size > limit {
                return Err(StoreError::TooLarge {
                    location,
                    size,
                    limit,
                });
            }
            let mut body = out.body;
            let mut bytes = Vec::with_capacity(size as usize);
            while let Some(chunk) = body.try_next().await.map_err(|e| StoreError::Io {
                location: location.clone(),
                message: e.to_string(),
            })? {
                if (bytes.len() + chunk.len()) as u64 > limit {
                    return Err(StoreError::TooLarge {
                        location,
                        size: (bytes.len() + chunk.len()) as u64,
                        limit,
                    });
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(bytes)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        assert_eq!(
            S3Location::parse("s3://logs/o-abc/AWSLogs/").ok(),
            Some(S3Location {
                bucket: "logs".into(),
                prefix: "o-abc/AWSLogs/".into()
            })
        );
        assert_eq!(
            S3Location::parse("s3://logs").map(|l| l.prefix).ok(),
            Some(String::new())
        );
        assert!(S3Location::parse("https://logs").is_err());
        assert!(S3Location::parse("s3:///x").is_err());
    }
}
