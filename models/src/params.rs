//! Parameter validation errors shared by every model: each names the parameter, the value and
//! what is allowed, so the model-file layer only has to prepend the key path.

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{param} = {value}: {allowed}")]
pub struct ParamError {
    pub param: String,
    pub value: String,
    pub allowed: String,
}

impl ParamError {
    pub fn new(param: &str, value: impl std::fmt::Display, allowed: impl Into<String>) -> Self {
        Self {
            param: param.to_string(),
            value: sim_core::readable::readable_text(value.to_string()),
            allowed: allowed.into(),
        }
    }
}

/// `value` must be finite and > 0.
pub fn positive(param: &str, value: f64, unit: &str) -> Result<(), ParamError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(ParamError::new(
            param,
            value,
            format!("must be > 0 ({unit})"),
        ))
    }
}

/// `value` must be finite and >= 0.
pub fn non_negative(param: &str, value: f64, unit: &str) -> Result<(), ParamError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(ParamError::new(
            param,
            value,
            format!("must be >= 0 ({unit})"),
        ))
    }
}

/// `value` must be finite.
pub fn finite(param: &str, value: f64, unit: &str) -> Result<(), ParamError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(ParamError::new(
            param,
            value,
            format!("must be a finite number ({unit})"),
        ))
    }
}
