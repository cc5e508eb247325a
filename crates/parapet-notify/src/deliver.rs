//! Sending due outbox messages. A 2xx takes the message off the queue; 429 waits for
//! `Retry-After`; a 5xx, a timeout or a dead connection is tried again after an exponential
//! backoff with jitter; any other answer (a revoked Slack webhook's 404, a 400) or running out
//! of tries makes it dead, visible in `parapet notify list --status dead` until `notify retry`.
//! Webhook bodies are signed (`X-Parapet-Signature: sha256=HMAC(secret, timestamp "." body)`)
//! and carry the idempotency key, so a receiver can drop the repeats at-least-once delivery may
//! bring.

use std::io::Write;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use parapet_model::notify::{Channel, ChannelKind, NotifyConfig};
use parapet_store::{OutboxRow, Store};

use crate::{NotifyError, Result};

/// An HTTP(S) client for the channels.
pub struct Http {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

/// What one attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Try again; `after_ms` is the receiver's `Retry-After`, when it gave one.
    Retry {
        after_ms: Option<i64>,
        error: String,
    },
    /// Trying again will not help.
    Dead {
        error: String,
    },
}

impl Http {
    pub fn new(timeout: Duration) -> Result<Http> {
        // No Nagle: a request's head and body are separate writes, and waiting for the first's
        // ACK (delayed by the receiver) costs ~40 ms per message on kept-alive connections.
        let mut tcp = HttpConnector::new();
        tcp.set_nodelay(true);
        tcp.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| NotifyError::Client(format!("reading the system's CA certificates: {e}")))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        Ok(Http {
            client: Client::builder(TokioExecutor::new()).build(https),
            timeout,
        })
    }

    /// POSTs `body` as JSON to `url`. Errors name what failed, never the URL.
    pub async fn post(&self, url: &str, headers: &[(&str, String)], body: String) -> Outcome {
        let mut req = hyper::Request::post(url).header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, v.as_str());
        }
        let req = match req.body(Full::new(Bytes::from(body))) {
            Ok(r) => r,
            Err(_) => {
                return Outcome::Dead {
                    error: "the channel's URL is not a valid URL".into(),
                }
            }
        };
        let resp = match tokio::time::timeout(self.timeout, self.client.request(req)).await {
            Err(_) => {
                return Outcome::Retry {
                    after_ms: None,
                    error: format!("no answer within {} s", self.timeout.as_secs()),
                }
            }
            Ok(Err(e)) => {
                let what = if e.is_connect() {
                    "could not connect"
                } else {
                    "the connection failed"
                };
                return Outcome::Retry {
                    after_ms: None,
                    error: what.into(),
                };
            }
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<i64>().ok())
            .map(|s| s.max(0) * 1000);
        let body = tokio::time::timeout(self.timeout, resp.into_body().collect())
            .await
            .ok()
            .and_then(|r| r.ok())
            .map(|b| {
                String::from_utf8_lossy(&b.to_bytes())
                    .chars()
                    .take(200)
                    .collect::<String>()
            })
            .unwrap_or_default();
        classify(status, retry_after, &body)
    }
}

/// The outcome of an HTTP answer.
pub fn classify(status: u16, retry_after_ms: Option<i64>, body: &str) -> Outcome {
    match status {
        200..=299 => Outcome::Sent,
        429 => Outcome::Retry {
            after_ms: retry_after_ms,
            error: "HTTP 429 (rate limited)".into(),
        },
        408 | 500..=599 => Outcome::Retry {
            after_ms: retry_after_ms,
            error: format!("HTTP {status} {}", body.trim()),
        },
        _ => Outcome::Dead {
            error: format!("HTTP {status} {}", body.trim()),
        },
    }
}

/// `sha256=` and the hex HMAC-SHA256 of `timestamp.body` under `secret`.
pub fn signature(secret: &str, timestamp: &str, body: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = match hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC takes keys of any length; this cannot happen.
        Err(_) => return String::new(),
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Milliseconds to wait before try number `attempts + 1`: `base` doubled per try, at most 15
/// minutes, of which a random half ("equal jitter"), so many failed messages do not come back at
/// once.
pub fn backoff_ms(base_ms: i64, attempts: i64, seed: u64) -> i64 {
    let exp = base_ms
        .saturating_mul(1i64 << attempts.clamp(0, 20))
        .min(15 * 60 * 1000);
    let half = exp / 2;
    // splitmix64 of the seed: enough randomness for spreading retries.
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    half + if half > 0 { (z % half as u64) as i64 } else { 0 }
}

/// Sends one message to its channel.
pub async fn send(http: &Http, channel: &Channel, row: &OutboxRow, now_ms: i64) -> Outcome {
    match channel.kind {
        ChannelKind::File => {
            let Some(path) = &channel.path else {
                return Outcome::Dead {
                    error: format!("channel {} has no path", channel.name),
                };
            };
            let write = || -> std::io::Result<()> {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
                f.write_all(row.payload.as_bytes())?;
                f.write_all(b"\n")?;
                f.sync_data()
            };
            match write() {
                Ok(()) => Outcome::Sent,
                Err(e) => Outcome::Retry {
                    after_ms: None,
                    error: format!("{}: {e}", path.display()),
                },
            }
        }
        ChannelKind::Email => {
            let (channel, payload, key) = (channel.clone(), row.payload.clone(), row.idempotency_key.clone());
            let timeout = http.timeout;
            tokio::task::spawn_blocking(move || send_email(&channel, &payload, &key, timeout))
                .await
                .unwrap_or_else(|_| Outcome::Retry {
                    after_ms: None,
                    error: "the e-mail sender stopped".into(),
                })
        }
        ChannelKind::Slack | ChannelKind::Webhook | ChannelKind::Teams => {
            let Some(url) = &channel.url else {
                return Outcome::Dead {
                    error: format!("channel {} has no url", channel.name),
                };
            };
            let mut headers = vec![("idempotency-key", row.idempotency_key.clone())];
            if channel.kind == ChannelKind::Webhook {
                let ts = (now_ms / 1000).to_string();
                if let Some(secret) = &channel.secret {
                    headers.push(("x-parapet-signature", signature(secret, &ts, &row.payload)));
                }
                headers.push(("x-parapet-timestamp", ts));
            }
            http.post(url, &headers, row.payload.clone()).await
        }
    }
}

/// Sends an e-mail rendered by `message::render` (`{"subject", "text", "html"}`) over SMTP.
/// The message id is the idempotency key, so a mail system can drop a repeat.
fn send_email(channel: &Channel, payload: &str, key: &str, timeout: Duration) -> Outcome {
    use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
    use lettre::Transport;
    let dead = |error: String| Outcome::Dead { error };
    let Ok(parts) = serde_json::from_str::<serde_json::Value>(payload) else {
        return dead("the queued e-mail is not JSON".into());
    };
    let part = |k: &str| {
        parts
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let Some(from) = channel.from.as_deref().and_then(|f| f.parse::<Mailbox>().ok()) else {
        return dead(format!(
            "channel {}: `from` is not an e-mail address",
            channel.name
        ));
    };
    let mut builder = lettre::Message::builder()
        .from(from)
        .subject(part("subject"))
        .message_id(Some(format!("<{key}@parapet>")));
    for to in &channel.to {
        match to.parse::<Mailbox>() {
            Ok(m) => builder = builder.to(m),
            Err(_) => {
                return dead(format!(
                    "channel {}: {to:?} is not an e-mail address",
                    channel.name
                ))
            }
        }
    }
    let body = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(part("text")),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(part("html")),
        );
    let message = match builder.multipart(body) {
        Ok(m) => m,
        Err(e) => return dead(format!("building the e-mail: {e}")),
    };
    let Some(url) = &channel.url else {
        return dead(format!("channel {} has no url", channel.name));
    };
    // The URL may hold a password: errors name the channel, never the URL.
    let transport = match lettre::SmtpTransport::from_url(url) {
        Ok(b) => b.timeout(Some(timeout)).build(),
        Err(_) => {
            return dead(format!(
                "channel {}: the url is not a valid smtp:// URL",
                channel.name
            ))
        }
    };
    match transport.send(&message) {
        Ok(_) => Outcome::Sent,
        Err(e) if e.is_permanent() => dead(format!(
            "SMTP refused the message: {}",
            e.status().map(|c| c.to_string()).unwrap_or_default()
        )),
        Err(e) => Outcome::Retry {
            after_ms: None,
            error: if e.is_transient() {
                format!(
                    "SMTP answered {} (try later)",
                    e.status().map(|c| c.to_string()).unwrap_or_default()
                )
            } else {
                "could not talk to the SMTP server".into()
            },
        },
    }
}

/// What one delivery pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryReport {
    pub sent: u64,
    /// Failed attempts that will be tried again.
    pub retrying: u64,
    /// Messages given up (dead).
    pub dead: u64,
    /// Still pending when the pass ended (not yet due).
    pub pending: u64,
    /// Of the pending, those held for quiet hours (not tried yet).
    pub held: u64,
}

/// Sends every due message once; returns what happened. `now` is asked for the time before
/// each message (so a long pass schedules retries from when they failed).
pub async fn deliver_due(
    store: &mut Store,
    config: &NotifyConfig,
    http: &Http,
    now: &dyn Fn() -> i64,
) -> Result<DeliveryReport> {
    let mut report = DeliveryReport::default();
    let base = config.retry_base_ms();
    let max = i64::from(config.max_attempts());
    let mut done = std::collections::HashSet::new();
    loop {
        let due: Vec<OutboxRow> = store
            .outbox_due(now(), 100)?
            .into_iter()
            .filter(|r| !done.contains(&r.id))
            .collect();
        if due.is_empty() {
            break;
        }
        for row in due {
            done.insert(row.id);
            let t = now();
            let outcome = match config.channel(&row.channel) {
                Some(c) => send(http, c, &row, t).await,
                None => Outcome::Dead {
                    error: format!("channel {} is not configured", row.channel),
                },
            };
            match outcome {
                Outcome::Sent => {
                    store.outbox_sent(row.id, now())?;
                    report.sent += 1;
                }
                Outcome::Retry { after_ms, error } => {
                    if row.attempts + 1 >= max {
                        tracing::warn!(message = row.id, channel = %row.channel, "giving up after {} tries: {error}", row.attempts + 1);
                        store.outbox_failed(row.id, &error, None)?;
                        report.dead += 1;
                    } else {
                        let wait = after_ms
                            .unwrap_or_else(|| backoff_ms(base, row.attempts, (row.id as u64) ^ (t as u64)));
                        store.outbox_failed(row.id, &error, Some(now() + wait))?;
                        report.retrying += 1;
                    }
                }
                Outcome::Dead { error } => {
                    tracing::warn!(message = row.id, channel = %row.channel, "not deliverable: {error}");
                    store.outbox_failed(row.id, &error, None)?;
                    report.dead += 1;
                }
            }
        }
    }
    (report.pending, report.held) = store.outbox_pending(now())?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_and_backoff_grows_with_jitter_within_its_cap() {
        assert_eq!(classify(204, None, ""), Outcome::Sent);
        assert!(matches!(
            classify(429, Some(3000), ""),
            Outcome::Retry {
                after_ms: Some(3000),
                ..
            }
        ));
        assert!(matches!(
            classify(503, None, "busy"),
            Outcome::Retry { after_ms: None, .. }
        ));
        assert!(matches!(classify(404, None, "no_service"), Outcome::Dead { .. }));
        for attempts in 0..30 {
            let b = backoff_ms(2000, attempts, 42 + attempts as u64);
            let exp = (2000i64 << attempts.min(20)).min(900_000);
            assert!(b >= exp / 2 && b <= exp, "{attempts}: {b}");
        }
        // Python's hmac.new(b"secret", b'1700000000.{"a":1}', sha256).
        assert_eq!(
            signature("secret", "1700000000", r#"{"a":1}"#),
            "sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
        );
    }
}
