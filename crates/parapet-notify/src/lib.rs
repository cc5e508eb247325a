//! Telling people about findings. `route` picks the channels of a finding (pure), `message`
//! renders what each channel receives (pure, with every log-derived string escaped for where it
//! lands), `queue` turns findings with something new to tell into outbox messages in one
//! transaction, and `deliver` sends due messages with retries, backoff and `Retry-After`.
//!
//! Invariant: a channel's URL or secret is read from the config when sending; it is never
//! stored in the outbox, logged, or put in an error message.

pub mod deliver;
pub mod message;
pub mod queue;
pub mod route;

pub use deliver::{deliver_due, DeliveryReport, Http};
pub use message::{render, Alert};
pub use queue::queue_alerts;
pub use route::Router;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Store(#[from] parapet_store::StoreError),
    #[error("channel {channel}: {message}")]
    Channel { channel: String, message: String },
    #[error("HTTP client: {0}")]
    Client(String),
}

pub type Result<T, E = NotifyError> = std::result::Result<T, E>;
