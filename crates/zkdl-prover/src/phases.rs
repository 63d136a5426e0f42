//! Phase timing and progress of the prover: each phase (witness, commitments, every
//! sumcheck family, openings) is announced to an optional callback (progress bars),
//! logged with `tracing`, and timed.

use std::time::Instant;

/// Collects the prover's phase times; `on_start` is called when a phase begins.
#[derive(Default)]
pub struct Phases<'a> {
    on_start: Option<&'a (dyn Fn(&'static str) + Sync)>,
    current: Option<(&'static str, Instant)>,
    /// `(phase, seconds)` in order; a phase that runs again adds up.
    pub times: Vec<(&'static str, f64)>,
    /// When `Some`, the transcript's state after each phase of the relation proof.
    pub trace: Option<zkdl_circuit::protocol::Trace>,
}

impl<'a> Phases<'a> {
    /// Phases reported to `on_start` as they begin.
    pub fn with_callback(on_start: &'a (dyn Fn(&'static str) + Sync)) -> Self {
        Phases { on_start: Some(on_start), current: None, times: Vec::new(), trace: None }
    }

    /// End the current phase (if any) and begin `name`.
    pub fn start(&mut self, name: &'static str) {
        self.finish();
        tracing::debug!(phase = name, "prover phase");
        if let Some(cb) = self.on_start {
            cb(name);
        }
        self.current = Some((name, Instant::now()));
    }

    /// End the current phase.
    pub fn finish(&mut self) {
        if let Some((name, t0)) = self.current.take() {
            let s = t0.elapsed().as_secs_f64();
            tracing::debug!(phase = name, seconds = s, "prover phase done");
            match self.times.iter_mut().find(|(n, _)| *n == name) {
                Some((_, acc)) => *acc += s,
                None => self.times.push((name, s)),
            }
        }
    }
}
