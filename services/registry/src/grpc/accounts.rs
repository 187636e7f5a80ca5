//! `AccountService`: sign-in (with the lockout after repeated failures), accounts per town and
//! role, passwords (changed by their owner, reset by the office or the county), disabling.

use super::*;

#[tonic::async_trait]
impl<S: RegistryStore> AccountService for RegistryGrpc<S> {
    async fn authenticate(&self, req: Request<pb::AuthenticateRequest>) -> Rpc<pb::Account> {
        ok(async {
            // Who is trying: as the gateway says (its own token vouches), else the connection.
            let told = self.verifier.is_machine(req.metadata()).then(|| req.get_ref().client.trim().to_owned());
            let peer = req.remote_addr().map(|a| a.ip().to_string()).unwrap_or_default();
            let r = req.into_inner();
            let username = r.username.trim().to_owned();
            if username.is_empty() || username.len() > 100 {
                return Err(ServiceError::invalid("username", "username is required"));
            }
            if r.password.is_empty() || r.password.len() > 1024 {
                return Err(ServiceError::invalid("password", "password is required"));
            }
            let client = told.filter(|c| !c.is_empty() && c.len() <= 100).unwrap_or(peer);
            let key = sign_in_key(&username, &client);
            let now = wuguan_platform::db::now_ms();
            // Known and unknown usernames alike: a lock tells nothing about whether one exists.
            let locked_until = self.store.sign_in_locked_until(&key).await?;
            if locked_until > now {
                return Err(locked(locked_until));
            }
            let found = self.store.find_account(&username).await?;
            let (account, hash) = match found {
                Some((a, h)) => (Some(a), h),
                None => (None, crate::password::decoy_hash().to_owned()),
            };
            let password = r.password;
            let verified = tokio::task::spawn_blocking(move || crate::password::verify(&password, &hash))
                .await
                .map_err(ServiceError::internal)?;
            match account {
                // Only someone who knows the password learns that the account was stopped.
                Some(a) if verified && a.disabled => {
                    Err(ServiceError::unauthenticated("this account has been stopped; ask the town office"))
                }
                Some(a) if verified => {
                    self.store.clear_failed_sign_ins(&key).await?;
                    let token_version = self.store.token_version(&a.username).await?;
                    Ok(pb::Account { token_version, ..convert::account(a) })
                }
                _ => {
                    let lock_until = now + SIGN_IN_LOCK.as_millis() as i64;
                    let locked_until = self.store.record_failed_sign_in(&key, MAX_FAILED_SIGN_INS, lock_until).await?;
                    if locked_until > now {
                        tracing::warn!(%username, "sign-in from one client locked after repeated failures");
                        return Err(locked(locked_until));
                    }
                    Err(ServiceError::unauthenticated("invalid username or password"))
                }
            }
        }
        .await)
    }

    async fn create_account(&self, req: Request<pb::CreateAccountRequest>) -> Rpc<pb::Account> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            p.require(LEDGER_EDITORS)?;
            let role = Role::from_wire(r.role)
                .ok()
                .flatten()
                .ok_or_else(|| ServiceError::invalid("role", "role is required"))?;
            let username = r.username.trim().to_owned();
            if !is_login_name(&username) {
                return Err(ServiceError::invalid(
                    "username",
                    "username must be 3–64 characters of letters, digits, '.', '_' or '-'",
                ));
            }
            new_password("password", &r.password)?;
            let (town, county) = match role {
                Role::County => {
                    p.require(&[Role::County])?;
                    (None, p.county.clone())
                }
                Role::Service => {
                    return Err(ServiceError::invalid("role", "service principals use tokens from `wuguan token`"));
                }
                _ => {
                    let t = self.visible_town(&p, &r.town).await?;
                    (Some(t.code), t.county)
                }
            };
            let unit_id = convert::opt(&r.unit_id);
            if let Some(u) = &unit_id {
                match self.store.get_unit(u).await? {
                    Some(unit) if Some(&unit.town) == town.as_ref() => {}
                    _ => {
                        return Err(ServiceError::invalid("unit_id", "no such unit in this town"));
                    }
                }
            }
            let estate_id = convert::opt(&r.estate_id);
            if let Some(e) = &estate_id {
                if role != Role::OwnerRep {
                    return Err(ServiceError::invalid(
                        "estate_id",
                        "only an owner representative's account has an estate",
                    ));
                }
                match self.store.get_estate(e).await? {
                    Some(estate) if Some(&estate.town) == town.as_ref() => {}
                    _ => return Err(ServiceError::invalid("estate_id", "no such estate in this town")),
                }
            }
            let hash = hash_password(r.password).await?;
            let account = Account {
                username,
                role,
                town,
                county,
                unit_id,
                estate_id,
                display_name: crate::validate::text("display_name", &r.display_name)?,
                disabled: false,
            };
            Ok(convert::account(self.store.create_account(&account, &hash).await?))
        }
        .await)
    }

    async fn list_accounts(&self, req: Request<pb::ListAccountsRequest>) -> Rpc<pb::ListAccountsResponse> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.get_ref();
            let town = self.visible_town(&p, &r.town).await?;
            p.require(LEDGER_EDITORS)?;
            let page = Page::from_request(r.page.as_ref())?;
            let mut rows = self.store.list_accounts(&town.code, &page).await?;
            let page = page.finish(&mut rows, |a| a.username.clone());
            Ok(pb::ListAccountsResponse {
                accounts: rows.into_iter().map(convert::account).collect(),
                page: Some(page),
            })
        }
        .await)
    }

    async fn change_password(&self, req: Request<pb::ChangePasswordRequest>) -> Rpc<pb::Account> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            let (account, hash) = self
                .store
                .find_account(&p.subject)
                .await?
                .ok_or_else(|| ServiceError::permission_denied("this token belongs to no account"))?;
            if r.current_password.is_empty() || r.current_password.len() > 1024 {
                return Err(ServiceError::invalid("current_password", "current_password is required"));
            }
            new_password("new_password", &r.new_password)?;
            if r.new_password == r.current_password {
                return Err(ServiceError::invalid("new_password", "the new password must differ from the current one"));
            }
            let current = r.current_password;
            let verified = tokio::task::spawn_blocking(move || crate::password::verify(&current, &hash))
                .await
                .map_err(ServiceError::internal)?;
            if !verified {
                return Err(ServiceError::invalid("current_password", "the current password is wrong"));
            }
            let hash = hash_password(r.new_password).await?;
            self.store.set_password_hash(&account.username, &hash).await?;
            tracing::info!(username = %account.username, "password changed");
            Ok(convert::account(account))
        }
        .await)
    }

    async fn reset_password(&self, req: Request<pb::ResetPasswordRequest>) -> Rpc<pb::Account> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            let account = self.managed_account(&p, &r.username).await?;
            // A stolen token must not become a permanent takeover: one's own password changes
            // only with the current one (ChangePassword).
            if account.username == p.subject {
                return Err(ServiceError::invalid(
                    "username",
                    "you cannot reset your own password: change it with your current password",
                ));
            }
            new_password("new_password", &r.new_password)?;
            let hash = hash_password(r.new_password).await?;
            self.store.set_password_hash(&account.username, &hash).await?;
            tracing::info!(username = %account.username, by = %p.subject, "password reset");
            Ok(convert::account(account))
        }
        .await)
    }

    async fn set_account_disabled(&self, req: Request<pb::SetAccountDisabledRequest>) -> Rpc<pb::Account> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            let account = self.managed_account(&p, &r.username).await?;
            if account.username == p.subject {
                return Err(ServiceError::invalid("username", "you cannot stop your own account"));
            }
            self.store.set_account_disabled(&account.username, r.disabled).await?;
            tracing::info!(username = %account.username, disabled = r.disabled, by = %p.subject, "account stopped or restarted");
            Ok(convert::account(Account { disabled: r.disabled, ..account }))
        }
        .await)
    }

    async fn sign_out(&self, req: Request<pb::SignOutRequest>) -> Rpc<pb::SignOutResponse> {
        ok(async {
            let p = self.principal(&req)?;
            let (account, _) = self
                .store
                .find_account(&p.subject)
                .await?
                .ok_or_else(|| ServiceError::permission_denied("this token belongs to no account"))?;
            let token_version = self.store.raise_token_version(&account.username).await?;
            tracing::info!(username = %account.username, "signed out everywhere");
            Ok(pb::SignOutResponse { token_version })
        }
        .await)
    }

    async fn list_revocations(&self, req: Request<pb::ListRevocationsRequest>) -> Rpc<pb::ListRevocationsResponse> {
        ok(async {
            let p = self.principal(&req)?;
            // The services' own identities (county-wide) and other departments' systems verify
            // tokens; people do not need the feed.
            p.require(&[Role::County, Role::Service])?;
            let r = req.into_inner();
            if r.after_key.len() > 200 {
                return Err(ServiceError::invalid("after_key", "after_key is at most 200 characters"));
            }
            let cursor =
                wuguan_platform::revocation::FeedCursor { changed_at_ms: r.changed_since_ms, key: r.after_key };
            let rows = self.store.revocation_feed(&cursor, wuguan_platform::revocation::FEED_PAGE).await?;
            Ok(pb::ListRevocationsResponse {
                more: rows.len() >= wuguan_platform::revocation::FEED_PAGE,
                revocations: rows
                    .into_iter()
                    .map(|r| pb::Revocation {
                        key: r.key,
                        min_version: r.min_version.max(0) as u64,
                        changed_at_ms: r.changed_at,
                    })
                    .collect(),
            })
        }
        .await)
    }

    async fn create_service_token(&self, req: Request<pb::CreateServiceTokenRequest>) -> Rpc<pb::ServiceToken> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(LEDGER_EDITORS)?;
            let r = req.into_inner();
            let name = r.name.trim().to_owned();
            if !is_login_name(&name) {
                return Err(ServiceError::invalid(
                    "name",
                    "name must be 3–64 characters of letters, digits, '.', '_' or '-'",
                ));
            }
            let town = self.visible_town(&p, &r.town).await?;
            let unit_id = convert::opt(&r.unit_id);
            if let Some(u) = &unit_id {
                match self.store.get_unit(u).await? {
                    Some(unit) if unit.town == town.code => {}
                    _ => return Err(ServiceError::invalid("unit_id", "no such unit in this town")),
                }
            }
            let days = match r.days {
                0 => 90,
                d @ 1..=MAX_SERVICE_TOKEN_DAYS => d,
                _ => {
                    return Err(ServiceError::invalid(
                        "days",
                        format!("days must be between 1 and {MAX_SERVICE_TOKEN_DAYS}"),
                    ));
                }
            };
            let now = wuguan_platform::db::now_ms();
            let record = ServiceTokenRecord {
                id: new_id(),
                name,
                role: Role::Service,
                town: Some(town.code),
                county: town.county,
                unit_id,
                created_by: p.subject.clone(),
                created_at: now,
                expires_at: now + i64::from(days) * 86_400_000,
                revoked_at: None,
                revoked_by: None,
            };
            self.store.create_service_token(&record).await?;
            tracing::info!(id = %record.id, name = %record.name, by = %p.subject, "service token created");
            Ok(convert::service_token(record))
        }
        .await)
    }

    async fn list_service_tokens(
        &self,
        req: Request<pb::ListServiceTokensRequest>,
    ) -> Rpc<pb::ListServiceTokensResponse> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(LEDGER_EDITORS)?;
            let r = req.get_ref();
            // A town office sees its own town's; the county every town's, or one town's.
            let town = match (&p.town, r.town.trim()) {
                (Some(own), _) => Some(self.visible_town(&p, own).await?.code),
                (None, "") => None,
                (None, code) => Some(self.visible_town(&p, code).await?.code),
            };
            let page = Page::from_request(r.page.as_ref())?;
            let mut rows = self.store.list_service_tokens(&p.county, town.as_deref(), &page).await?;
            let page = page.finish(&mut rows, |t| t.id.clone());
            Ok(pb::ListServiceTokensResponse {
                tokens: rows.into_iter().map(convert::service_token).collect(),
                page: Some(page),
            })
        }
        .await)
    }

    async fn revoke_service_token(&self, req: Request<pb::RevokeServiceTokenRequest>) -> Rpc<pb::ServiceToken> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(LEDGER_EDITORS)?;
            let id = req.get_ref().id.trim().to_owned();
            let token = match self.store.get_service_token(&id).await? {
                Some(t) if may_manage_token(&p, &t) => t,
                _ => return Err(ServiceError::not_found("service_token")),
            };
            self.store.revoke_service_token(&token.id, &p.subject).await?;
            let token = self
                .store
                .get_service_token(&token.id)
                .await?
                .ok_or_else(|| ServiceError::not_found("service_token"))?;
            tracing::info!(id = %token.id, name = %token.name, by = %p.subject, "service token revoked");
            Ok(convert::service_token(token))
        }
        .await)
    }
}

/// Longest life of a service token the county mints; a year, renewed by rotation.
const MAX_SERVICE_TOKEN_DAYS: u32 = 366;

/// A username or a service token's name: 3–64 letters, digits, '.', '_' or '-'.
fn is_login_name(name: &str) -> bool {
    (3..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Whether `p` may revoke `token`: the town office its own town's, the county its county's.
fn may_manage_token(p: &Principal, token: &ServiceTokenRecord) -> bool {
    match p.role {
        Role::TownOffice => token.town.is_some() && token.town == p.town,
        Role::County => token.county == p.county,
        _ => false,
    }
}

impl<S: RegistryStore> RegistryGrpc<S> {
    /// The account `username` if `p` may manage it (reset its password, stop it); other towns'
    /// accounts are as absent as unknown ones.
    async fn managed_account(&self, p: &Principal, username: &str) -> ServiceResult<Account> {
        p.require(LEDGER_EDITORS)?;
        match self.store.find_account(username.trim()).await? {
            Some((a, _)) if may_manage(p, &a) => Ok(a),
            _ => Err(ServiceError::not_found("account")),
        }
    }
}

/// Where failed sign-ins are counted: the username (as a hash) and the client trying. A
/// password change or reset lifts every client's lock on the username (`{subject key}|%`).
fn sign_in_key(username: &str, client: &str) -> String {
    format!("{}|{client}", wuguan_platform::revocation::subject_key(username))
}

/// Failed sign-ins in a row that lock a client out of a username, and for how long: enough for
/// a mistyped password, far too few to guess one.
const MAX_FAILED_SIGN_INS: u32 = 5;
const SIGN_IN_LOCK: std::time::Duration = std::time::Duration::from_secs(15 * 60);

fn locked(until_ms: i64) -> ServiceError {
    let minutes = ((until_ms - wuguan_platform::db::now_ms()) / 60_000 + 1).max(1);
    ServiceError::unauthenticated(format!(
        "too many failed sign-ins from here: signing in to this account from here is locked for {minutes} more minute(s); the town office can set a new password"
    ))
}

/// A password someone chooses: 8 to 1024 bytes, at least 8 characters.
fn new_password(field: &str, password: &str) -> ServiceResult<()> {
    if password.chars().count() < 8 || password.len() > 1024 {
        return Err(ServiceError::invalid(field, format!("{field} must be at least 8 characters")));
    }
    Ok(())
}

/// Argon2 on the blocking pool: it is deliberately slow.
async fn hash_password(password: String) -> ServiceResult<String> {
    tokio::task::spawn_blocking(move || crate::password::hash(&password))
        .await
        .map_err(ServiceError::internal)?
        .map_err(ServiceError::internal)
}

/// Whether `p` may reset `account`'s password: the town office its own town's accounts; the
/// county every account of its county.
fn may_manage(p: &Principal, account: &Account) -> bool {
    match p.role {
        Role::TownOffice => account.town.is_some() && account.town == p.town && account.role != Role::County,
        Role::County => account.county == p.county,
        _ => false,
    }
}
