//! Why a value could not be mapped between the domain and Avro, and which
//! rejection each reason becomes when a record is judged.

use crate::validation::{RejectReason, Rejection};

/// A value of the wire that the model cannot take, or the reverse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AvroMappingError {
    /// An enum symbol the model does not know.
    #[error("{0}")]
    UnknownSymbol(String),
    /// A value the model cannot hold, or a record it cannot read.
    #[error("{0}")]
    Invalid(String),
}

impl From<AvroMappingError> for Rejection {
    fn from(err: AvroMappingError) -> Self {
        let reason = match err {
            AvroMappingError::UnknownSymbol(_) => RejectReason::UnknownEnumSymbol,
            AvroMappingError::Invalid(_) => RejectReason::InvalidFieldValue,
        };
        Rejection::new(reason, err.to_string())
    }
}
