//! Progress bars on a terminal (nothing when piped or --quiet).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use parapet_ingest::Progress;

pub struct IngestBar {
    bar: ProgressBar,
}

/// A bar drawn on stderr, or hidden.
fn bar(visible: bool) -> ProgressBar {
    let target = if visible {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    ProgressBar::with_draw_target(None, target)
}

impl IngestBar {
    pub fn new(visible: bool) -> IngestBar {
        let bar = bar(visible);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message("listing");
        IngestBar { bar }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for IngestBar {
    fn listed(&self, objects: u64, bytes: u64) {
        self.bar.set_length(bytes);
        self.bar.set_message(format!("{objects} objects"));
    }

    fn object_done(&self, bytes: u64, _records: u64) {
        self.bar.inc(bytes);
    }
}

pub fn spinner(visible: bool, msg: &str) -> ProgressBar {
    let bar = bar(visible);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(msg.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// A bar counting units of work (files, accounts) toward a total.
pub struct CountBar {
    bar: ProgressBar,
}

impl CountBar {
    pub fn new(visible: bool, unit: &str) -> CountBar {
        let bar = bar(visible);
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{{spinner}} [{{bar:30}}] {{pos}}/{{len}} {unit} eta {{eta}}"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        CountBar { bar }
    }

    pub fn set(&self, done: u64, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(done);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
