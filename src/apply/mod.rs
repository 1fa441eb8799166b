//! Apply: walks the schedule concurrently on tokio, evaluating each resource's arguments once
//! its dependencies are applied, calling providers, and recording every completed operation
//! in state. Emits [`Event`]s; never prints.

pub mod ops;
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
    /// Skipped because something it depends on failed or the run was interrupted.
    Skipped {
        /// Resource or node address.
        addr: String,
        /// Why.
        reason: String,
    },
}
