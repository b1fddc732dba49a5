//! Configuration diagnostics: every problem at once, each with a JSON path and a severity.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The configuration cannot be loaded.
    Error,
    /// Loads, but probably not what the clinic wants.
    Warning,
}

/// One configuration problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// JSON path of the offending value, e.g. `practitioners[2].availability[1].blocks[0]`.
    pub path: String,
    /// What is wrong, naming the entity and the rule.
    pub message: String,
}

impl Diagnostic {
    /// Whether this diagnostic prevents loading.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev} at {}: {}", self.path, self.message)
    }
}

/// Collects diagnostics while a configuration is checked.
#[derive(Default)]
pub(crate) struct Diagnostics {
    pub(crate) items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub(crate) fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.items.push(Diagnostic {
            severity: Severity::Error,
            path: path.into(),
            message: message.into(),
        });
    }

    pub(crate) fn warning(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.items.push(Diagnostic {
            severity: Severity::Warning,
            path: path.into(),
            message: message.into(),
        });
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }
}
