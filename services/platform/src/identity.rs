//! Identity: who is calling, and the tokens that say so.
//!
//! The gateway signs short-lived JWTs with an Ed25519 key (EdDSA); every service verifies them
//! itself with the public key, because other departments call services directly over gRPC.

use crate::error::{ServiceError, ServiceResult};
use crate::revocation::Revocations;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, spki::der::pem::LineEnding};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const ISSUER: &str = "wuguan";

/// The subject of the short-lived token the gateway gives a resident who submits a complaint
/// without signing in. The colon keeps it from ever being a username.
pub const ANONYMOUS_SUBJECT: &str = "anonymous:web";

/// The subject of one anonymous caller: `ANONYMOUS_SUBJECT` and a tag the gateway derives from
/// the caller's address, so that idempotency keys (scoped by subject) are one caller's own and
/// a second visitor sending the same key and body never receives the first one's ticket.
pub fn anonymous_subject(caller_tag: &str) -> String {
    format!("{ANONYMOUS_SUBJECT}:{caller_tag}")
}

/// Whether a subject is an anonymous caller's (see `anonymous_subject`).
pub fn is_anonymous(subject: &str) -> bool {
    subject.strip_prefix(ANONYMOUS_SUBJECT).is_some_and(|rest| rest.is_empty() || rest.starts_with(':'))
}

/// Who a principal is; names and labels come from the contract (`wuguan.common.v1.Role`).
pub use wuguan_proto::vocab::common::Role;

/// The claims of a wuguan token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    /// The caller's town; absent for county principals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub town: Option<String>,
    /// The county the caller belongs to.
    pub county: String,
    /// The responsible unit the caller acts for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The estate an owner representative's account belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estate: Option<String>,
    /// The account's display name (众兴镇物管办 周天照), for the pages that greet it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
    /// A sign-in token's account token version (see `revocation`): raised by a password change,
    /// a reset, stopping the account or signing out, which voids every token below it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ver: Option<u64>,
    /// A service token's id in the registry, by which the county lists and revokes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// When the person signed in (a sign-in token keeps it through refreshes): a session is
    /// refreshed for at most `MAX_SESSION` after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
}

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    pub role: Role,
    pub town: Option<String>,
    pub county: String,
    pub unit: Option<String>,
    /// The estate an owner representative's account belongs to: they see its tickets.
    pub estate: Option<String>,
}

impl Principal {
    /// Whether this principal may see records of `town`, which belongs to `town_county`.
    pub fn can_see_town(&self, town: &str, town_county: &str) -> bool {
        match self.role {
            Role::County => self.county == town_county,
            _ => self.town.as_deref() == Some(town),
        }
    }

    /// The town a request names, if this principal acts in it: INVALID_ARGUMENT when missing,
    /// NOT_FOUND for another town (without saying whether it exists). County principals may
    /// name any town; services that know a town's county check it against the records.
    pub fn town_scope(&self, town: &str) -> ServiceResult<String> {
        let town = town.trim();
        if town.is_empty() {
            return Err(ServiceError::invalid("town", "town is required"));
        }
        match &self.town {
            Some(own) if own != town => Err(ServiceError::not_found("town")),
            _ => Ok(town.to_owned()),
        }
    }

    pub fn is_one_of(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }

    /// Fails with PERMISSION_DENIED unless the principal has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> ServiceResult<()> {
        if self.is_one_of(roles) {
            Ok(())
        } else {
            Err(ServiceError::permission_denied(format!("role {} may not do this", self.role.as_str())))
        }
    }
}

/// The longest a token may live from issue to expiry (a service token's year and some); a
/// verifier refuses longer ones, which only a leaked key would mint.
pub const MAX_TOKEN_LIFE: Duration = Duration::from_secs(400 * 24 * 3600);

/// How long after signing in a session can be refreshed; then the person signs in again.
pub const MAX_SESSION: Duration = Duration::from_secs(12 * 3600);

/// Clock difference between the machine that signs and the one that verifies that is
/// tolerated, past expiry and before issue.
const CLOCK_SKEW_SECS: u64 = 5;

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Signs tokens; held by the gateway and by `wuguan token`. Cloned with every request's state
/// (axum's `State`), so the key is shared, not copied: copying and zeroising it per request
/// showed in the gateway's profile.
#[derive(Clone)]
pub struct TokenSigner {
    key: std::sync::Arc<EncodingKey>,
}

impl TokenSigner {
    pub fn from_pem(pem: &str) -> anyhow::Result<Self> {
        Ok(Self { key: std::sync::Arc::new(EncodingKey::from_ed_pem(pem.as_bytes())?) })
    }

    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading signing key {}: {e}", path.display()))?;
        Self::from_pem(&pem)
    }

    /// A token that belongs to no account and no recorded service token: the gateway's
    /// minute-long tokens for anonymous submissions, the services' own identities.
    pub fn sign(&self, principal: &Principal, ttl: Duration) -> anyhow::Result<String> {
        self.sign_claims(principal, None, None, None, ttl)
    }

    /// A sign-in token: it carries the account's display name, for the console's header, and
    /// the account's token version, so that signing out or a new password voids it.
    pub fn sign_session(
        &self,
        principal: &Principal,
        name: &str,
        token_version: u64,
        ttl: Duration,
    ) -> anyhow::Result<String> {
        self.sign_claims(principal, Some(name), Some(token_version), None, ttl)
    }

    /// A service token recorded in the registry under `id`, by which it is revoked.
    pub fn sign_service(&self, principal: &Principal, id: &str, ttl: Duration) -> anyhow::Result<String> {
        self.sign_claims(principal, None, None, Some(id), ttl)
    }

    /// A new sign-in token for the same session (account, version, sign-in time) with a new
    /// life, once the old one verified; refused once the session is `MAX_SESSION` old.
    pub fn refresh(&self, old: &Claims, ttl: Duration) -> ServiceResult<String> {
        let (Some(auth_time), Some(_)) = (old.auth_time, old.ver) else {
            return Err(ServiceError::invalid("token", "only a sign-in token can be refreshed"));
        };
        if now_secs() >= auth_time + MAX_SESSION.as_secs() {
            return Err(ServiceError::unauthenticated("the session is too old to refresh: sign in again"));
        }
        let iat = now_secs();
        let claims = Claims { iat, exp: iat + ttl.as_secs(), ..old.clone() };
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &self.key).map_err(ServiceError::internal)
    }

    fn sign_claims(
        &self,
        principal: &Principal,
        name: Option<&str>,
        ver: Option<u64>,
        jti: Option<&str>,
        ttl: Duration,
    ) -> anyhow::Result<String> {
        anyhow::ensure!(ttl <= MAX_TOKEN_LIFE, "a token lives at most {} days", MAX_TOKEN_LIFE.as_secs() / 86_400);
        let iat = now_secs();
        let claims = Claims {
            sub: principal.subject.clone(),
            role: principal.role,
            town: principal.town.clone(),
            county: principal.county.clone(),
            unit: principal.unit.clone(),
            estate: principal.estate.clone(),
            name: name.map(str::to_owned),
            iss: ISSUER.to_owned(),
            iat,
            exp: iat + ttl.as_secs(),
            ver,
            jti: jti.map(str::to_owned),
            auth_time: ver.map(|_| iat),
        };
        Ok(jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &self.key)?)
    }
}

/// Verifies tokens; held by every service. It may trust several public keys — the current one
/// and, while a signing key is being rotated, the previous one — given as PEM blocks one after
/// another in the same text (file). Cheap to clone (the gateway's state is cloned per request):
/// the keys and the validation rules are shared.
#[derive(Clone)]
pub struct TokenVerifier {
    keys: std::sync::Arc<[DecodingKey]>,
    validation: std::sync::Arc<Validation>,
    /// Tokens whose signature already checked, by their exact text. The Ed25519 check was the
    /// largest single cost of an intake in dispatch's profile (about 14 % of its CPU under
    /// load), and a system or a signed-in clerk sends the same token with every request. A hit
    /// still checks expiry; a token that differs in one byte is a miss and is verified.
    verified: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<Box<str>, Claims>>>,
    /// Tokens void before their expiry, kept in step with the registry by
    /// `revocation::keep_in_sync`; checked on every call, remembered token or not.
    revocations: Revocations,
}

/// Verified tokens remembered at most; when full the memory starts over (the hot ones return
/// at once), so a flood of distinct valid tokens costs verification, never unbounded memory.
const VERIFIED_TOKENS_KEPT: usize = 4096;

/// Each `-----BEGIN …----- … -----END …-----` block of a PEM text.
fn pem_blocks(pem: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find("-----BEGIN") {
        let Some(end_marker) = rest[start..].find("-----END") else { break };
        let after_end = start + end_marker;
        // The END line runs to its closing dashes.
        let close = rest[after_end + 8..].find("-----").map(|i| after_end + 8 + i + 5).unwrap_or(rest.len());
        blocks.push(&rest[start..close]);
        rest = &rest[close..];
    }
    blocks
}

impl TokenVerifier {
    pub fn from_public_pem(pem: &str) -> anyhow::Result<Self> {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = CLOCK_SKEW_SECS;
        let keys = pem_blocks(pem)
            .into_iter()
            .map(|block| DecodingKey::from_ed_pem(block.as_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        anyhow::ensure!(!keys.is_empty(), "no public key in the PEM text");
        Ok(Self {
            keys: keys.into(),
            validation: std::sync::Arc::new(validation),
            verified: Default::default(),
            revocations: Revocations::default(),
        })
    }

    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let pem =
            std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading public key {}: {e}", path.display()))?;
        Self::from_public_pem(&pem)
    }

    /// The revocations this verifier (and every clone of it) consults: give them to
    /// `revocation::keep_in_sync`.
    pub fn revocations(&self) -> Revocations {
        self.revocations.clone()
    }

    pub fn verify(&self, token: &str) -> ServiceResult<Principal> {
        let c = self.verify_claims(token)?;
        Ok(Principal { subject: c.sub, role: c.role, town: c.town, county: c.county, unit: c.unit, estate: c.estate })
    }

    /// The token's claims once its signature, issuer and expiry check.
    pub fn verify_claims(&self, token: &str) -> ServiceResult<Claims> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let remembered = self.verified.lock().unwrap_or_else(|e| e.into_inner()).get(token).cloned();
        if let Some(c) = remembered {
            if c.exp + self.validation.leeway <= now {
                return Err(ServiceError::unauthenticated("invalid or expired token"));
            }
            self.check_not_revoked(&c)?;
            return Ok(c);
        }
        let c = self.check_signature(token)?;
        if c.iat > now + CLOCK_SKEW_SECS {
            return Err(ServiceError::unauthenticated("the token was issued in the future"));
        }
        if c.exp.saturating_sub(c.iat) > MAX_TOKEN_LIFE.as_secs() {
            return Err(ServiceError::unauthenticated("the token lives longer than any wuguan token may"));
        }
        self.check_not_revoked(&c)?;
        let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if verified.len() >= VERIFIED_TOKENS_KEPT {
            verified.clear();
        }
        verified.insert(token.into(), c.clone());
        Ok(c)
    }

    fn check_not_revoked(&self, c: &Claims) -> ServiceResult<()> {
        if self.revocations.is_revoked(&c.sub, c.jti.as_deref(), c.ver) {
            return Err(ServiceError::unauthenticated("this token was revoked: sign in again"));
        }
        Ok(())
    }

    fn check_signature(&self, token: &str) -> ServiceResult<Claims> {
        // The keys in order: the first whose signature checks decides (expired is expired).
        let mut result = Err(jsonwebtoken::errors::ErrorKind::InvalidSignature.into());
        for key in self.keys.iter() {
            result = jsonwebtoken::decode::<Claims>(token, key, &self.validation);
            match &result {
                Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::InvalidSignature) => continue,
                _ => break,
            }
        }
        let data = result.map_err(|e| {
            tracing::debug!(error = %e, "token rejected");
            ServiceError::unauthenticated("invalid or expired token")
        })?;
        let c = data.claims;
        if c.role != Role::County && c.town.is_none() {
            return Err(ServiceError::unauthenticated("token has no town"));
        }
        Ok(c)
    }

    /// Whether the call carries a machine's identity — a county-wide or service token that is
    /// no person's sign-in — such as the gateway's own: what such a caller says about the
    /// person it acts for (their client, for the sign-in lock) is taken as said.
    pub fn is_machine(&self, metadata: &tonic::metadata::MetadataMap) -> bool {
        let Some(token) = metadata
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        else {
            return false;
        };
        self.verify_claims(token.trim())
            .is_ok_and(|c| c.ver.is_none() && matches!(c.role, Role::County | Role::Service))
    }

    /// Reads `authorization: Bearer …` from gRPC metadata.
    pub fn verify_metadata(&self, metadata: &tonic::metadata::MetadataMap) -> ServiceResult<Principal> {
        let header = metadata
            .get("authorization")
            .ok_or_else(|| ServiceError::unauthenticated("missing bearer token"))?
            .to_str()
            .map_err(|_| ServiceError::unauthenticated("malformed authorization header"))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or_else(|| ServiceError::unauthenticated("authorization must be a Bearer token"))?;
        self.verify(token.trim())
    }
}

/// An Ed25519 key pair as PKCS#8 / SPKI PEM.
pub struct KeyPair {
    pub private_pem: String,
    pub public_pem: String,
}

impl KeyPair {
    pub fn generate() -> anyhow::Result<Self> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        Self::from_signing_key(&SigningKey::from_bytes(&seed))
    }

    fn from_signing_key(key: &SigningKey) -> anyhow::Result<Self> {
        let private_pem = key.to_pkcs8_pem(LineEnding::LF)?.to_string();
        let public_pem = key.verifying_key().to_public_key_pem(LineEnding::LF)?;
        Ok(Self { private_pem, public_pem })
    }

    /// The public half of a private key PEM.
    pub fn public_pem_of(private_pem: &str) -> anyhow::Result<String> {
        let key = SigningKey::from_pkcs8_pem(private_pem)?;
        Ok(Self::from_signing_key(&key)?.public_pem)
    }

    /// Loads `dir/jwt-private.pem`, creating the pair on first start. Returns the file paths.
    pub fn ensure_in_dir(dir: &Path) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
        let private = dir.join("jwt-private.pem");
        let public = dir.join("jwt-public.pem");
        if !private.exists() {
            let pair = Self::generate()?;
            write_private(&private, &pair.private_pem)?;
            std::fs::write(&public, pair.public_pem)?;
        } else if !public.exists() {
            let pem = std::fs::read_to_string(&private)?;
            std::fs::write(&public, Self::public_pem_of(&pem)?)?;
        }
        Ok((private, public))
    }
}

fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
        f.write_all(pem.as_bytes())?;
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, pem)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal() -> Principal {
        Principal {
            subject: "zhongxing.police".into(),
            role: Role::Police,
            town: Some("zhongxing".into()),
            county: "demo".into(),
            unit: Some("u1".into()),
            estate: None,
        }
    }

    #[test]
    fn signed_token_verifies_and_forged_does_not() {
        let pair = KeyPair::generate().unwrap();
        let signer = TokenSigner::from_pem(&pair.private_pem).unwrap();
        let verifier = TokenVerifier::from_public_pem(&pair.public_pem).unwrap();
        let token = signer.sign(&principal(), Duration::from_secs(60)).unwrap();
        assert_eq!(verifier.verify(&token).unwrap(), principal());

        let other = KeyPair::generate().unwrap();
        let forged =
            TokenSigner::from_pem(&other.private_pem).unwrap().sign(&principal(), Duration::from_secs(60)).unwrap();
        assert!(verifier.verify(&forged).is_err());
        assert!(verifier.verify("not-a-token").is_err());
    }

    #[test]
    fn during_a_key_rotation_both_keys_verify_and_no_other() {
        let (old, new, stranger) =
            (KeyPair::generate().unwrap(), KeyPair::generate().unwrap(), KeyPair::generate().unwrap());
        let both = TokenVerifier::from_public_pem(&format!("{}\n{}", new.public_pem, old.public_pem)).unwrap();
        for pair in [&old, &new] {
            let token =
                TokenSigner::from_pem(&pair.private_pem).unwrap().sign(&principal(), Duration::from_secs(60)).unwrap();
            assert_eq!(both.verify(&token).unwrap(), principal());
        }
        let token =
            TokenSigner::from_pem(&stranger.private_pem).unwrap().sign(&principal(), Duration::from_secs(60)).unwrap();
        assert!(both.verify(&token).is_err());
        assert!(TokenVerifier::from_public_pem("no key here").is_err());
        assert_eq!(pem_blocks(&format!("{}{}", old.public_pem, new.public_pem)).len(), 2);
    }

    #[test]
    fn expired_token_is_rejected() {
        let pair = KeyPair::generate().unwrap();
        let signer = TokenSigner::from_pem(&pair.private_pem).unwrap();
        let verifier = TokenVerifier::from_public_pem(&pair.public_pem).unwrap();
        let claims = Claims {
            sub: "x".into(),
            role: Role::Police,
            town: Some("t".into()),
            county: "c".into(),
            unit: None,
            estate: None,
            name: None,
            iss: ISSUER.into(),
            iat: 1,
            exp: 2,
            ver: None,
            jti: None,
            auth_time: None,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &signer.key).unwrap();
        assert!(verifier.verify(&token).is_err());
    }

    #[test]
    fn a_remembered_token_still_expires_and_its_look_alikes_are_verified() {
        let pair = KeyPair::generate().unwrap();
        let signer = TokenSigner::from_pem(&pair.private_pem).unwrap();
        let verifier = TokenVerifier::from_public_pem(&pair.public_pem).unwrap();
        let token = signer.sign(&principal(), Duration::from_secs(60)).unwrap();
        assert_eq!(verifier.verify(&token).unwrap(), principal());
        assert_eq!(verifier.verify(&token).unwrap(), principal(), "again, from memory");
        // The signature's last character changed: not the remembered token, and forged.
        let mut tampered = token.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(verifier.verify(&tampered).is_err());
        // Once its expiry (and the leeway) has passed, a remembered token is refused.
        let mut remembered = verifier.verified.lock().unwrap();
        remembered.get_mut(token.as_str()).unwrap().exp = 1;
        drop(remembered);
        assert!(verifier.verify(&token).is_err());
        // A clone shares the memory (every request handler holds one).
        let clone = verifier.clone();
        assert!(clone.verify(&token).is_err());
    }

    fn signed(signer: &TokenSigner, iat: u64, exp: u64) -> String {
        let claims = Claims {
            sub: "zhongxing.police".into(),
            role: Role::Police,
            town: Some("zhongxing".into()),
            county: "demo".into(),
            unit: None,
            estate: None,
            name: None,
            iss: ISSUER.into(),
            iat,
            exp,
            ver: None,
            jti: None,
            auth_time: None,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &signer.key).unwrap()
    }

    #[test]
    fn a_token_from_the_future_or_for_decades_or_seconds_past_expiry_is_refused() {
        let pair = KeyPair::generate().unwrap();
        let signer = TokenSigner::from_pem(&pair.private_pem).unwrap();
        let verifier = TokenVerifier::from_public_pem(&pair.public_pem).unwrap();
        let now = now_secs();
        assert!(verifier.verify(&signed(&signer, now, now + 60)).is_ok());
        // Issued a minute from now: a clock that far off, or a forgery.
        assert!(verifier.verify(&signed(&signer, now + 60, now + 120)).is_err());
        // 63 years.
        assert!(verifier.verify(&signed(&signer, now, now + 63 * 365 * 86_400)).is_err());
        // Expired 10 s ago: past the 5 s of clock skew (the leeway was 30 s).
        assert!(verifier.verify(&signed(&signer, now - 100, now - 10)).is_err());
        // The signer refuses to mint what verifiers refuse.
        assert!(signer.sign(&principal(), MAX_TOKEN_LIFE + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn a_revoked_token_fails_even_when_remembered() {
        use crate::revocation::{Revocation, subject_key};
        let pair = KeyPair::generate().unwrap();
        let signer = TokenSigner::from_pem(&pair.private_pem).unwrap();
        let verifier = TokenVerifier::from_public_pem(&pair.public_pem).unwrap();
        let session = signer.sign_session(&principal(), "众兴派出所", 3, Duration::from_secs(60)).unwrap();
        let service = signer.sign_service(&principal(), "tok-1", Duration::from_secs(60)).unwrap();
        assert!(verifier.verify(&session).is_ok() && verifier.verify(&service).is_ok());
        // A clone (another request's handler) shares the revocations.
        verifier.clone().revocations().apply([
            Revocation::Account { subject_key: subject_key("zhongxing.police"), min_version: 4 },
            Revocation::ServiceToken { id: "tok-1".into() },
        ]);
        assert!(verifier.verify(&session).is_err());
        assert!(verifier.verify(&service).is_err());
        let again = signer.sign_session(&principal(), "众兴派出所", 4, Duration::from_secs(60)).unwrap();
        assert_eq!(verifier.verify(&again).unwrap(), principal());
        // Refreshing keeps the session (version, sign-in time) and cannot revive a revoked one.
        let claims = verifier.verify_claims(&again).unwrap();
        let refreshed = verifier.verify_claims(&signer.refresh(&claims, Duration::from_secs(600)).unwrap()).unwrap();
        assert_eq!(
            (refreshed.ver, refreshed.auth_time, refreshed.sub.as_str()),
            (Some(4), claims.auth_time, "zhongxing.police")
        );
        assert!(refreshed.exp > claims.exp);
        let stale = Claims { auth_time: Some(now_secs() - MAX_SESSION.as_secs()), ..claims.clone() };
        assert!(signer.refresh(&stale, Duration::from_secs(600)).is_err(), "twelve hours after signing in");
        let service = verifier
            .verify_claims(&signer.sign_service(&principal(), "tok-2", Duration::from_secs(60)).unwrap())
            .unwrap();
        assert!(signer.refresh(&service, Duration::from_secs(600)).is_err(), "not a sign-in token");
    }

    #[test]
    fn county_sees_its_county_only() {
        let county = Principal {
            subject: "c".into(),
            role: Role::County,
            town: None,
            county: "demo".into(),
            unit: None,
            estate: None,
        };
        assert!(county.can_see_town("zhongxing", "demo"));
        assert!(!county.can_see_town("elsewhere", "other"));
        assert!(principal().can_see_town("zhongxing", "demo"));
        assert!(!principal().can_see_town("anhe", "demo"));
    }
}
