//! What callers need of [`Error`] besides its cases: its kind as a name, its message,
//! and constructors that say which case they make.

use crate::Error;

/// The case of an [`Error`], without its message: for matching, metrics and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// `not-configured`.
    NotConfigured,
    /// `invalid`.
    Invalid,
    /// `not-found`.
    NotFound,
    /// `forbidden`.
    Forbidden,
    /// `unavailable`.
    Unavailable,
    /// `conflict`.
    Conflict,
    /// `storage`.
    Storage,
    /// `other`.
    Other,
}

impl ErrorKind {
    /// The WIT case name, e.g. `not-configured`.
    pub fn name(self) -> &'static str {
        match self {
            Self::NotConfigured => "not-configured",
            Self::Invalid => "invalid",
            Self::NotFound => "not-found",
            Self::Forbidden => "forbidden",
            Self::Unavailable => "unavailable",
            Self::Conflict => "conflict",
            Self::Storage => "storage",
            Self::Other => "other",
        }
    }
}

impl Error {
    /// Which case this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::NotConfigured(_) => ErrorKind::NotConfigured,
            Self::Invalid(_) => ErrorKind::Invalid,
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Unavailable(_) => ErrorKind::Unavailable,
            Self::Conflict(_) => ErrorKind::Conflict,
            Self::Storage(_) => ErrorKind::Storage,
            Self::Other(_) => ErrorKind::Other,
        }
    }

    /// The message: safe to show an operator, never a secret, a token or a KS.
    pub fn message(&self) -> &str {
        match self {
            Self::NotConfigured(m)
            | Self::Invalid(m)
            | Self::NotFound(m)
            | Self::Forbidden(m)
            | Self::Unavailable(m)
            | Self::Conflict(m)
            | Self::Storage(m)
            | Self::Other(m) => m,
        }
    }

    /// `invalid` with `why`.
    pub fn invalid(why: impl Into<String>) -> Self {
        Self::Invalid(why.into())
    }

    /// `not-found` with `what`.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    /// `forbidden` with `why`.
    pub fn forbidden(why: impl Into<String>) -> Self {
        Self::Forbidden(why.into())
    }

    /// `storage` with `what` failed.
    pub fn storage(what: impl Into<String>) -> Self {
        Self::Storage(what.into())
    }

    /// `other` with `what`.
    pub fn other(what: impl Into<String>) -> Self {
        Self::Other(what.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_names_its_wit_case_and_keeps_its_message() {
        let cases = [
            (Error::NotConfigured("a".into()), "not-configured"),
            (Error::invalid("a"), "invalid"),
            (Error::not_found("a"), "not-found"),
            (Error::forbidden("a"), "forbidden"),
            (Error::Unavailable("a".into()), "unavailable"),
            (Error::Conflict("a".into()), "conflict"),
            (Error::storage("a"), "storage"),
            (Error::other("a"), "other"),
        ];
        for (error, name) in cases {
            assert_eq!(error.kind().name(), name);
            assert_eq!(error.message(), "a");
        }
    }
}
