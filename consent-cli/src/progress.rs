//! Progress on standard error, only when it is a terminal (and the `progress` feature is on).

/// A progress bar or spinner; does nothing when standard error is not a terminal.
#[derive(Debug)]
pub struct Progress {
    #[cfg(feature = "progress")]
    bar: Option<indicatif::ProgressBar>,
}

#[cfg(feature = "progress")]
fn attended() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

impl Progress {
    /// A bar counting `len` items.
    pub fn bar(len: u64, what: &str) -> Self {
        #[cfg(feature = "progress")]
        {
            let bar = attended().then(|| {
                let bar = indicatif::ProgressBar::new(len);
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:40}] {human_pos}/{human_len} ({eta} left)",
                ) {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.set_message(what.to_owned());
                bar
            });
            Progress { bar }
        }
        #[cfg(not(feature = "progress"))]
        {
            let _ = (len, what);
            Progress {}
        }
    }

    /// A spinner for work whose length is unknown.
    pub fn spinner(what: &str) -> Self {
        #[cfg(feature = "progress")]
        {
            let bar = attended().then(|| {
                let bar = indicatif::ProgressBar::new_spinner();
                if let Ok(style) =
                    indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                {
                    bar.set_style(style);
                }
                bar.set_message(what.to_owned());
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                bar
            });
            Progress { bar }
        }
        #[cfg(not(feature = "progress"))]
        {
            let _ = what;
            Progress {}
        }
    }

    /// Advances by `n` items.
    pub fn inc(&self, n: u64) {
        #[cfg(feature = "progress")]
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
        #[cfg(not(feature = "progress"))]
        let _ = n;
    }

    /// Removes the bar from the terminal.
    pub fn finish(self) {
        #[cfg(feature = "progress")]
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
