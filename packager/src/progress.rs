//! A spinner on stderr naming the step a freeze is at: only when stderr is
//! a terminal, not with `-q`, and only once a step has taken more than
//! half a second (a cached rebuild shows nothing). Warnings printed
//! meanwhile (`say!`) clear it first, so lines never mix with it.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a step runs before the spinner appears.
const DELAY: Duration = Duration::from_millis(500);

/// The spinner of the freeze under way, for `suspend`.
static CURRENT: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// The progress of one freeze; cleared when dropped.
pub struct Progress {
    bar: Option<ProgressBar>,
    step_started: Arc<Mutex<Instant>>,
    done: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

impl Progress {
    /// Progress for freezing `label`; none unless `wanted` (`-v` and
    /// `--why` print as they go).
    pub fn new(label: &str, wanted: bool) -> Progress {
        let step_started = Arc::new(Mutex::new(Instant::now()));
        let done = Arc::new(AtomicBool::new(false));
        if !wanted || crate::quiet() || !std::io::stderr().is_terminal() {
            return Progress {
                bar: None,
                step_started,
                done,
                ticker: None,
            };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        let style =
            ProgressStyle::with_template("{spinner} {elapsed:>3} freezing {prefix}: {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_prefix(label.to_owned());
        *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
        let ticker = {
            let bar = bar.clone();
            let step_started = step_started.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                let mut shown = false;
                while !done.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                    let started = *step_started.lock().unwrap_or_else(|e| e.into_inner());
                    if !shown && started.elapsed() > DELAY {
                        bar.set_draw_target(ProgressDrawTarget::stderr());
                        shown = true;
                    }
                    if shown {
                        bar.tick();
                    }
                }
            })
        };
        Progress {
            bar: Some(bar),
            step_started,
            done,
            ticker: Some(ticker),
        }
    }

    /// Starts the next step, e.g. "finding imports".
    pub fn step(&self, what: &str) {
        *self.step_started.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        if let Some(bar) = &self.bar {
            bar.set_message(what.to_owned());
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Runs `f` (which prints on stderr) with the spinner, if any, cleared.
pub fn suspend<R>(f: impl FnOnce() -> R) -> R {
    let bar = CURRENT.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match bar {
        Some(bar) => bar.suspend(f),
        None => f(),
    }
}
