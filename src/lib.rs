//! engram facade
