//! Problems tied to a place in an input file.

use std::fmt;

/// One problem at a place in a file: what a user needs to find and fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceProblem {
    pub file: String,
    /// 1-based; 0 when the place is unknown.
    pub line: u32,
    pub column: u32,
    /// Dotted path of the field, e.g. `controls[12].id`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for SourceProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A file that could not be used, with every problem found in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceError {
    pub problems: Vec<SourceProblem>,
    /// Set when the input went past one of [`crate::limits`]: the portal
    /// and the CLI refuse it as they refuse any unreadable input, and the
    /// message names the limit.
    pub limit: Option<crate::limits::Limit>,
}

impl SourceError {
    pub fn new(problems: Vec<SourceProblem>) -> SourceError {
        SourceError {
            problems,
            limit: None,
        }
    }

    pub fn single(problem: SourceProblem) -> SourceError {
        SourceError {
            problems: vec![problem],
            limit: None,
        }
    }

    /// A whole-file problem (unreadable, empty, wrong encoding).
    pub fn whole_file(file: &str, message: impl Into<String>) -> SourceError {
        SourceError::single(SourceProblem {
            file: file.to_owned(),
            line: 0,
            column: 0,
            field: String::new(),
            message: message.into(),
        })
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SourceError {}
