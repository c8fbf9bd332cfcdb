//! `Protected<T>`: a value (a witness name, a phone number, a protected source's
//! name) that must never reach public output.
//!
//! It prints `<protected>` in `Debug`, has no `Display` and no `Serialize`, so it
//! cannot slip into a log line, a template or a JSON body by accident. Reading it
//! takes [`Protected::reveal`] with a [`Clearance`], and every place that makes a
//! clearance is a place to audit (`grep -rn 'Clearance::'`).

use std::fmt;

/// Why protected data is being read. Each variant is one audited path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Clearance {
    /// Persisting the value to the store or the entry log, which hold it privately.
    Storage,
    /// Showing it to an authorised documenter in a non-public view.
    Documenter,
}

/// A value that must stay out of every public path.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Protected<T>(T);

impl<T> Protected<T> {
    pub fn new(value: T) -> Self {
        Protected(value)
    }

    /// Reads the value. The clearance names why; callers outside storage and
    /// documenter-only views have no business calling this.
    pub fn reveal(&self, _why: Clearance) -> &T {
        &self.0
    }

    pub fn into_inner(self, _why: Clearance) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Protected<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<protected>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let p = Protected::new("Witness Canary 0912".to_string());
        let shown = format!("{p:?} {:?}", Some(&p));
        assert!(!shown.contains("Canary"), "{shown}");
        assert_eq!(p.reveal(Clearance::Storage), "Witness Canary 0912");
    }
}
