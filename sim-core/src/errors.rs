//! Stable error codes. Every error the `engram` command reports carries a code such as `E0101`
//! (printed as `error[E0101]: ...` and listed in docs/ERRORS.md); the code lives next to the error
//! type, in the crate that owns it, written with [`error_codes!`](crate::error_codes).

/// An error with a stable catalogue code.
pub trait Coded: std::error::Error {
    /// The code, e.g. `"E0101"`: stable across versions, unique across engram.
    fn code(&self) -> &'static str;
}

/// Gives an error enum its codes: one line per variant. The generated `code()` matches every
/// variant without a wildcard, so a variant added without a code is a compile error; the
/// generated `CODES` lists (code, variant) for the catalogue test, which rejects a code used
/// twice or missing from docs/ERRORS.md.
///
/// ```
/// #[derive(Debug, thiserror::Error)]
/// pub enum TableError {
///     #[error("cannot read")]
///     Io,
///     #[error("bad entry {0}")]
///     Entry(usize),
/// }
/// sim_core::error_codes! { TableError {
///     Io => "E9901",
///     Entry => "E9902",
/// } }
/// assert_eq!(TableError::Entry(3).code(), "E9902");
/// assert_eq!(TableError::CODES[0], ("E9901", "TableError::Io"));
/// ```
#[macro_export]
macro_rules! error_codes {
    ($ty:ident { $($variant:ident => $code:literal),+ $(,)? }) => {
        impl $ty {
            /// (code, variant) of every variant.
            pub const CODES: &'static [(&'static str, &'static str)] =
                &[$(($code, concat!(stringify!($ty), "::", stringify!($variant)))),+];

            /// The variant's stable catalogue code (docs/ERRORS.md).
            pub fn code(&self) -> &'static str {
                match self {
                    $($ty::$variant { .. } => $code),+
                }
            }
        }

        impl $crate::errors::Coded for $ty {
            fn code(&self) -> &'static str {
                $ty::code(self)
            }
        }
    };
}
