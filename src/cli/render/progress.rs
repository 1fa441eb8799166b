//! Apply's live progress on a terminal: one spinner per operation in flight, with its address,
//! what it does and the time it has taken, kept below the event lines (which are printed
//! exactly as they are when the output is not a terminal).

use std::collections::BTreeMap;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::apply::Event;

/// The spinners of the operations in flight.
pub struct Live {
    multi: MultiProgress,
    running: BTreeMap<String, ProgressBar>,
    style: ProgressStyle,
}

impl Default for Live {
    fn default() -> Live {
        Live::new()
    }
}

impl Live {
    /// A display drawing on standard output.
    pub fn new() -> Live {
        let style = ProgressStyle::with_template("{spinner} {prefix}: {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        Live {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stdout()),
            running: BTreeMap::new(),
            style,
        }
    }

    /// Prints the event's line above the spinners and starts or ends the operation's spinner.
    pub fn event(&mut self, e: &Event, line: &str) {
        // Printing goes through the display so that lines never tear a spinner.
        let _ = self.multi.println(line);
        match e {
            Event::Started { addr, .. } => {
                let bar = self.multi.add(ProgressBar::new_spinner());
                bar.set_style(self.style.clone());
                bar.set_prefix(addr.clone());
                // The line's own words (`Creating...`), without the address.
                let what = line.split_once(": ").map_or(line, |(_, w)| w);
                bar.set_message(what.to_owned());
                bar.enable_steady_tick(Duration::from_millis(120));
                if let Some(old) = self.running.insert(addr.clone(), bar) {
                    old.finish_and_clear();
                }
            }
            Event::Finished { addr, .. } | Event::Failed { addr, .. } => {
                if let Some(bar) = self.running.remove(addr) {
                    bar.finish_and_clear();
                    self.multi.remove(&bar);
                }
            }
            _ => {}
        }
    }

    /// Clears whatever is still spinning (an interrupted run).
    pub fn finish(self) {
        for bar in self.running.values() {
            bar.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}
