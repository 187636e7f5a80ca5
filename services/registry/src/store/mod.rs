//! The registry's storage, one trait per aggregate (ledger, estates, accounts) and
//! `RegistryStore` for all three, each with a SQLite and a Postgres implementation (`sql/`),
//! all checked by the same conformance suite (`tests/store_conformance.rs`).

mod sql;

pub use sql::{PgStore, SqliteStore};

use crate::model::*;
use std::future::Future;
use wuguan_platform::error::ServiceResult;
use wuguan_platform::paging::Page;

/// Who made a change and with which idempotency key, if any.
#[derive(Debug, Clone)]
pub struct WriteContext {
    pub actor: String,
    pub idempotency_key: Option<String>,
}

/// A row of an import, resolved and validated: create (no id) or update of an existing estate.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub existing: Option<Estate>,
    pub data: EstateData,
}

/// Towns, units and persons, neighbourhood committees and property companies.
pub trait LedgerStore: Send + Sync + 'static {
    fn upsert_county(&self, code: &str, name: &str) -> impl Future<Output = ServiceResult<()>> + Send;
    fn upsert_town(&self, town: &Town) -> impl Future<Output = ServiceResult<()>> + Send;
    fn get_town(&self, code: &str) -> impl Future<Output = ServiceResult<Option<Town>>> + Send;
    fn list_towns(&self) -> impl Future<Output = ServiceResult<Vec<Town>>> + Send;
    fn create_unit(&self, unit: &Unit, ctx: &WriteContext) -> impl Future<Output = ServiceResult<Unit>> + Send;
    fn get_unit(&self, id: &str) -> impl Future<Output = ServiceResult<Option<Unit>>> + Send;
    fn list_units(
        &self,
        town: &str,
        unit_type: Option<UnitType>,
        page: &Page,
    ) -> impl Future<Output = ServiceResult<Vec<Unit>>> + Send;
    fn create_person(&self, person: &Person, ctx: &WriteContext) -> impl Future<Output = ServiceResult<Person>> + Send;
    fn get_person(&self, id: &str) -> impl Future<Output = ServiceResult<Option<Person>>> + Send;

    /// Replaces the person's name, title and phone.
    fn update_person(&self, person: &Person) -> impl Future<Output = ServiceResult<Person>> + Send;

    /// Deletes the person unless they are designated; false if they are (or are gone).
    fn remove_person(&self, id: &str) -> impl Future<Output = ServiceResult<bool>> + Send;

    /// Makes the person their unit's only designated person.
    fn designate_person(&self, person: &Person) -> impl Future<Output = ServiceResult<Person>> + Send;
    fn list_persons(
        &self,
        town: &str,
        unit_id: Option<&str>,
        page: &Page,
    ) -> impl Future<Output = ServiceResult<Vec<Person>>> + Send;

    /// Creates the community and its responsible unit in one transaction.
    fn create_community(
        &self,
        community: &Community,
        ctx: &WriteContext,
    ) -> impl Future<Output = ServiceResult<Community>> + Send;
    fn get_community(&self, id: &str) -> impl Future<Output = ServiceResult<Option<Community>>> + Send;
    fn list_communities(&self, town: &str, page: &Page) -> impl Future<Output = ServiceResult<Vec<Community>>> + Send;

    /// Creates the company and its responsible unit in one transaction.
    fn create_property_company(
        &self,
        company: &PropertyCompany,
        ctx: &WriteContext,
    ) -> impl Future<Output = ServiceResult<PropertyCompany>> + Send;
    fn get_property_company(&self, id: &str) -> impl Future<Output = ServiceResult<Option<PropertyCompany>>> + Send;
    fn list_property_companies(
        &self,
        town: &str,
        page: &Page,
    ) -> impl Future<Output = ServiceResult<Vec<PropertyCompany>>> + Send;
    fn count_communities(&self, town: &str) -> impl Future<Output = ServiceResult<u32>> + Send;
    fn count_property_companies(&self, town: &str) -> impl Future<Output = ServiceResult<u32>> + Send;

    /// Units of the town that handle complaints about any estate (police, urban management,
    /// town office, construction bureau, ...) with their designated persons.
    fn town_wide_units(&self, town: &str) -> impl Future<Output = ServiceResult<Vec<UnitContact>>> + Send;
    fn unit_contact(&self, unit_id: &str) -> impl Future<Output = ServiceResult<Option<UnitContact>>> + Send;
}

/// Estates, their change log and CSV import.
pub trait EstateStore: Send + Sync + 'static {
    fn create_estate(
        &self,
        town: &str,
        data: &EstateData,
        ctx: &WriteContext,
    ) -> impl Future<Output = ServiceResult<Estate>> + Send;
    fn get_estate(&self, id: &str) -> impl Future<Output = ServiceResult<Option<Estate>>> + Send;

    /// Writes `data` if the estate is still at `expected_version`; ABORTED otherwise.
    fn update_estate(
        &self,
        id: &str,
        expected_version: i64,
        data: &EstateData,
        ctx: &WriteContext,
    ) -> impl Future<Output = ServiceResult<Estate>> + Send;
    fn list_estates(
        &self,
        town: &str,
        filter: &EstateFilter,
        page: &Page,
    ) -> impl Future<Output = ServiceResult<Vec<Estate>>> + Send;

    /// Every estate of the town, for summaries and export.
    fn all_estates(&self, town: &str) -> impl Future<Output = ServiceResult<Vec<Estate>>> + Send;
    fn list_estate_changes(
        &self,
        estate_id: &str,
        page: &Page,
    ) -> impl Future<Output = ServiceResult<Vec<EstateChange>>> + Send;

    /// Writes every row in one transaction; returns (created, updated).
    fn import_estates(
        &self,
        town: &str,
        rows: &[ImportRow],
        ctx: &WriteContext,
    ) -> impl Future<Output = ServiceResult<(u32, u32)>> + Send;
}

/// Accounts and sign-in.
pub trait AccountStore: Send + Sync + 'static {
    fn create_account(
        &self,
        account: &Account,
        password_hash: &str,
    ) -> impl Future<Output = ServiceResult<Account>> + Send;

    /// The account and its password hash.
    fn find_account(&self, username: &str) -> impl Future<Output = ServiceResult<Option<(Account, String)>>> + Send;
    fn list_accounts(&self, town: &str, page: &Page) -> impl Future<Output = ServiceResult<Vec<Account>>> + Send;

    /// Replaces the account's password hash, lifts every client's sign-in lock on it and voids
    /// every token of the account issued so far, in one transaction; false if there is no such
    /// account.
    fn set_password_hash(
        &self,
        username: &str,
        password_hash: &str,
    ) -> impl Future<Output = ServiceResult<bool>> + Send;

    /// Until when (ms) sign-ins under `key` (a username and a client, see `sign_in_key`) are
    /// locked (0: not locked).
    fn sign_in_locked_until(&self, key: &str) -> impl Future<Output = ServiceResult<i64>> + Send;

    /// Counts a failed sign-in under `key`; the `limit`-th (at least 2) in a row locks it until
    /// `lock_until` and starts the count again. Returns the lock now in force (0: none).
    fn record_failed_sign_in(
        &self,
        key: &str,
        limit: u32,
        lock_until: i64,
    ) -> impl Future<Output = ServiceResult<i64>> + Send;

    /// Stops or restarts the account (stopping voids its tokens, in the same transaction);
    /// false if there is no such account.
    fn set_account_disabled(&self, username: &str, disabled: bool) -> impl Future<Output = ServiceResult<bool>> + Send;

    /// A successful sign-in under `key`: the count of failures starts again (and counts nobody
    /// touched for a day are forgotten).
    fn clear_failed_sign_ins(&self, key: &str) -> impl Future<Output = ServiceResult<()>> + Send;
}

/// What ends tokens before they expire: accounts' token versions, service tokens and their
/// revocation, and the feed every verifier reads (see `wuguan_platform::revocation`).
pub trait TokenStore: Send + Sync + 'static {
    /// The version a sign-in token of the account carries now (0 before any change).
    fn token_version(&self, username: &str) -> impl Future<Output = ServiceResult<u64>> + Send;
    /// Voids every token of the account issued so far; returns the new version.
    fn raise_token_version(&self, username: &str) -> impl Future<Output = ServiceResult<u64>> + Send;
    /// The feed from `cursor` on, at most `limit` rows, ordered by (changed_at, key).
    fn revocation_feed(
        &self,
        cursor: &wuguan_platform::revocation::FeedCursor,
        limit: usize,
    ) -> impl Future<Output = ServiceResult<Vec<RevocationRow>>> + Send;

    fn create_service_token(&self, token: &ServiceTokenRecord) -> impl Future<Output = ServiceResult<()>> + Send;
    fn get_service_token(&self, id: &str) -> impl Future<Output = ServiceResult<Option<ServiceTokenRecord>>> + Send;
    /// The county's service tokens (of one town if given), newest first by id.
    fn list_service_tokens(
        &self,
        county: &str,
        town: Option<&str>,
        page: &Page,
    ) -> impl Future<Output = ServiceResult<Vec<ServiceTokenRecord>>> + Send;
    /// Revokes the token and publishes it in the feed, in one transaction; false if it was
    /// already revoked (the first revocation stands).
    fn revoke_service_token(&self, id: &str, by: &str) -> impl Future<Output = ServiceResult<bool>> + Send;
}

/// Everything the registry stores; implemented by every type that implements the four.
pub trait RegistryStore: LedgerStore + EstateStore + AccountStore + TokenStore {}

impl<T: LedgerStore + EstateStore + AccountStore + TokenStore> RegistryStore for T {}
