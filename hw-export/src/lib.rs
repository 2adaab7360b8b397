//! hw-export
