//! Password hashing with Argon2id (the crate's default parameters, OWASP's recommendation).
//! Hashing is CPU-bound, so callers run it on the blocking pool.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

pub fn hash(password: &str) -> anyhow::Result<String> {
    let hash =
        Argon2::default().hash_password(password.as_bytes()).map_err(|e| anyhow::anyhow!("hashing password: {e}"))?;
    Ok(hash.to_string())
}

pub fn verify(password: &str, hash: &str) -> bool {
    PasswordVerifier::<str>::verify_password(&Argon2::default(), password.as_bytes(), hash).is_ok()
}

/// A valid hash of no account's password: verifying against it when a username is unknown
/// makes unknown and known usernames take the same time.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("decoy-password-for-timing").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn hash_verifies_only_its_password() {
        let h = super::hash("demo").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("demo", &h));
        assert!(!super::verify("demo2", &h));
        assert!(!super::verify("demo", "not a hash"));
    }
}
