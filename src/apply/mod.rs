//! Apply: walks the schedule concurrently on tokio, evaluating each resource's arguments once
//! its dependencies are applied, calling providers, and recording every completed operation
//! in state. Emits [`Event`]s; never prints.

pub mod ops;
mod provision;
mod run;

use std::time::Duration;

pub use run::{apply, AfterApply, Outcome, Persist, StateWriter};

/// Progress of an apply, for the cli to render.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// An instance operation started (`action` is `create`, `update`, `delete`, ...).
    Started {
        /// Instance address.
        addr: String,
        /// What is being done.
        action: &'static str,
    },
    /// Still running after a while (sent every few seconds for slow operations).
    Progress {
        /// Instance address.
        addr: String,
        /// What is being done.
        action: &'static str,
        /// Time since start.
        elapsed: Duration,
    },
    /// An instance operation finished.
    Finished {
        /// Instance address.
        addr: String,
        /// What was done.
        action: &'static str,
        /// How long it took.
        elapsed: Duration,
        /// The object's id, when it has one.
        id: Option<String>,
    },
    /// An instance operation failed.
    Failed {
        /// Instance address.
        addr: String,
        /// The error.
        message: String,
    },
    /// A line of a provisioner's output (`(local-exec): ...`).
    Output {
        /// Instance address.
        addr: String,
        /// What follows the address: ` (local-exec): LINE`, or `: Provisioning with ...`.
        line: String,
    },
    /// Skipped because something it depends on failed or the run was interrupted.
    Skipped {
        /// Resource or node address.
        addr: String,
        /// Why.
        reason: String,
    },
}

/// Ctrl-C as apply sees it, shared between the cli (which raises it) and the executor. The
/// first interrupt stops new operations from starting while those in flight finish; the
/// second (or the cli's grace period running out) abandons those in flight, so the run saves
/// the state it has and returns at once.
#[derive(Clone, Debug, Default)]
pub struct Interrupt(std::sync::Arc<InterruptInner>);

#[derive(Debug, Default)]
struct InterruptInner {
    stop: std::sync::atomic::AtomicBool,
    now: std::sync::atomic::AtomicBool,
    wake: tokio::sync::Notify,
}

impl Interrupt {
    /// No interrupt yet.
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Start nothing new; let in-flight operations finish.
    pub fn stop(&self) {
        self.0.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Stop waiting for in-flight operations: save what is known and return.
    pub fn abandon(&self) {
        self.stop();
        self.0.now.store(true, std::sync::atomic::Ordering::SeqCst);
        self.0.wake.notify_waiters();
    }

    /// True once [`Interrupt::stop`] (or [`Interrupt::abandon`]) was called.
    pub fn is_stopped(&self) -> bool {
        self.0.stop.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// True once [`Interrupt::abandon`] was called.
    pub fn is_abandoned(&self) -> bool {
        self.0.now.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Resolves when [`Interrupt::abandon`] is called (at once if it already was).
    pub async fn abandoned(&self) {
        loop {
            let notified = self.0.wake.notified();
            if self.is_abandoned() {
                return;
            }
            notified.await;
        }
    }
}
