//! Diagnostics: errors and warnings that point at a file, line and column.

use std::fmt;

use crate::json::{LineIndex, Span};

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The input is rejected.
    Error,
    /// The input is accepted but probably not what the author meant.
    Warning,
}

/// One message about the input, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file (or `<inline>`) the message is about.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
    /// The byte range in the file's text.
    pub span: Span,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub help: Option<String>,
}

impl Diagnostic {
    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl Diagnostic {
    /// `file:line:col: message` (and the help line) without the severity: for contexts that
    /// already say it is an error, such as a `compile_error!`.
    pub fn located_message(&self) -> String {
        let mut s = format!("{}:{}:{}: {}", self.file, self.line, self.col, self.message);
        if let Some(help) = &self.help {
            s.push_str("\n  help: ");
            s.push_str(help);
        }
        s
    }
}

impl fmt::Display for Diagnostic {
    /// `file:line:col: error: message`, then `  help: …` on its own line when there is help.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.col, sev, self.message
        )?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// One input text and its name, with a line index for reporting positions.
#[derive(Debug)]
pub struct Source {
    name: String,
    text: String,
    index: LineIndex,
}

impl Source {
    /// A source named `name` (a path, or `<inline>`) with its text.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        let text = text.into();
        let index = LineIndex::new(&text);
        Source {
            name: name.into(),
            text,
            index,
        }
    }

    /// The name given to [`Source::new`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        self.index.line_col(&self.text, offset)
    }

    /// A diagnostic located at `span` of this source.
    pub fn diagnostic(
        &self,
        severity: Severity,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (line, col) = self.line_col(span.start);
        Diagnostic {
            severity,
            file: self.name.clone(),
            line,
            col,
            span,
            message: message.into(),
            help: None,
        }
    }
}

/// Collects the diagnostics of one compilation, errors and warnings, so that all are reported at
/// once.
#[derive(Debug)]
pub struct Diagnostics<'s> {
    source: &'s Source,
    items: Vec<Diagnostic>,
}

impl<'s> Diagnostics<'s> {
    /// An empty collection for diagnostics about `source`.
    pub fn new(source: &'s Source) -> Self {
        Diagnostics {
            source,
            items: Vec::new(),
        }
    }

    /// The source these diagnostics are about.
    pub fn source(&self) -> &'s Source {
        self.source
    }

    /// Records an error.
    pub fn error(&mut self, span: Span, message: impl Into<String>) {
        let d = self.source.diagnostic(Severity::Error, span, message);
        self.items.push(d);
    }

    /// Records an error with a hint.
    pub fn error_help(&mut self, span: Span, message: impl Into<String>, help: impl Into<String>) {
        let mut d = self.source.diagnostic(Severity::Error, span, message);
        d.help = Some(help.into());
        self.items.push(d);
    }

    /// Records a warning, optionally with a hint.
    pub fn warning(&mut self, span: Span, message: impl Into<String>, help: Option<String>) {
        let mut d = self.source.diagnostic(Severity::Warning, span, message);
        d.help = help;
        self.items.push(d);
    }

    /// Whether any error was recorded.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// All diagnostics, in the order they were recorded.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
}

/// Diagnostics of a failed compilation: at least one of them is an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Errors(pub Vec<Diagnostic>);

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}
