//! String-backed enums shared by the services' domain models.

/// Declares an enum whose values have a snake_case name (JSON, CSV, database) and a Chinese
/// label (what people read), with `as_str`, `label_zh`, `parse` (either form) and `ALL`.
#[macro_export]
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $s:literal / $zh:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The snake_case name used in JSON, CSV and the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            /// The Chinese label people read.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            /// Accepts the snake_case name or the Chinese label.
            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.as_str() == s || v.label_zh() == s)
            }
        }
    };
}
