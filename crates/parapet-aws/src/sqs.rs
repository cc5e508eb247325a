//! SQS as the `MessageQueue` port: long-poll receive, visibility extension, delete.

use aws_sdk_sqs::error::ProvideErrorMetadata;
use parapet_sources::{MessageQueue, QueueMessage, StoreError};
use tokio::runtime::Runtime;

use crate::{sdk_config, AwsError, AwsSettings};

/// A queue, by URL. Methods block on the queue's own runtime.
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    url: String,
    runtime: Runtime,
}

impl SqsQueue {
    pub fn connect(url: &str, settings: &AwsSettings) -> Result<SqsQueue, AwsError> {
        if !url.starts_with("https://") && !url.starts_with("http://") {
            return Err(AwsError::BadUrl(format!(
                "{url} is not an SQS queue URL (expected https://sqs.<region>.amazonaws.com/<account>/<queue>)"
            )));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .thread_name("parapet-sqs")
            .build()
            .map_err(AwsError::Runtime)?;
        let config = runtime.block_on(sdk_config(settings));
        Ok(SqsQueue {
            client: aws_sdk_sqs::Client::new(&config),
            url: url.to_string(),
            runtime,
        })
    }
}

fn sqs_error<E>(url: &str, err: aws_sdk_sqs::error::SdkError<E>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    crate::store_error(
        url.to_string(),
        err,
        &["AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"],
        &["AccessDenied", "AccessDeniedException", "InvalidClientTokenId"],
    )
}

impl MessageQueue for SqsQueue {
    fn uri(&self) -> &str {
        &self.url
    }

    fn receive(
        &self,
        max: usize,
        wait_secs: u32,
        visibility_secs: u32,
    ) -> Result<Vec<QueueMessage>, StoreError> {
        self.runtime.block_on(async {
            let out = self
                .client
                .receive_message()
                .queue_url(&self.url)
                .max_number_of_messages(max.clamp(1, 10) as i32)
                .wait_time_seconds(wait_secs.min(20) as i32)
                .visibility_timeout(visibility_secs as i32)
                .send()
                .await
                .map_err(|e| sqs_error(&self.url, e))?;
            Ok(out
                .messages()
                .iter()
                .filter_map(|m| {
                    Some(QueueMessage {
                        id: m.message_id()?.to_string(),
                        receipt: m.receipt_handle()?.to_string(),
                        body: m.body().unwrap_or_default().to_string(),
                    })
                })
                .collect())
        })
    }

    fn extend(&self, receipt: &str, visibility_secs: u32) -> Result<(), StoreError> {
        self.runtime.block_on(async {
            self.client
                .change_message_visibility()
                .queue_url(&self.url)
                .receipt_handle(receipt)
                .visibility_timeout(visibility_secs as i32)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sqs_error(&self.url, e))
        })
    }

    fn delete(&self, receipt: &str) -> Result<(), StoreError> {
        self.runtime.block_on(async {
            self.client
                .delete_message()
                .queue_url(&self.url)
                .receipt_handle(receipt)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sqs_error(&self.url, e))
        })
    }
}
