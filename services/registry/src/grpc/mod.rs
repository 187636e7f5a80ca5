//! The registry's gRPC services, one file each: `RegistryService` (the ledger, `ledger.rs`) and
//! `AccountService` (`accounts.rs`). Every handler authenticates the caller, scopes the request to
//! a town the caller may see (another town's record is NOT_FOUND, so its existence is not
//! revealed) and checks the role. This file holds what both share.

mod accounts;
pub mod convert;
mod ledger;

use crate::model::*;
use crate::store::{RegistryStore, WriteContext};
use std::sync::Arc;
use tonic::{Request, Response, Status};
use wuguan_platform::error::ServiceResult;
use wuguan_platform::fields::optional_enum;
use wuguan_platform::identity::TokenVerifier;
use wuguan_platform::paging::Page;
use wuguan_platform::{Principal, Role, ServiceError};
use wuguan_proto::registry::v1 as pb;
use wuguan_proto::registry::v1::account_service_server::{AccountService, AccountServiceServer};
use wuguan_proto::registry::v1::registry_service_server::{RegistryService, RegistryServiceServer};

/// Roles that edit the ledger.
const LEDGER_EDITORS: &[Role] = &[Role::TownOffice, Role::County];
/// Roles that see responsible persons' phone numbers unmasked.
const SEES_PHONES: &[Role] = &[
    Role::TownOffice,
    Role::County,
    Role::Community,
    Role::PropertyCompany,
    Role::Police,
    Role::UrbanManagement,
    Role::Service,
];
/// Largest CSV accepted by an import.
pub const MAX_IMPORT_BYTES: usize = 4 * 1024 * 1024;

pub struct RegistryGrpc<S> {
    store: Arc<S>,
    verifier: TokenVerifier,
}

impl<S> Clone for RegistryGrpc<S> {
    fn clone(&self) -> Self {
        Self { store: self.store.clone(), verifier: self.verifier.clone() }
    }
}

/// Fully qualified service names, for health checking.
pub const SERVICE_NAMES: &[&str] = &["wuguan.registry.v1.RegistryService", "wuguan.registry.v1.AccountService"];

impl<S: RegistryStore> RegistryGrpc<S> {
    pub fn new(store: Arc<S>, verifier: TokenVerifier) -> Self {
        Self { store, verifier }
    }

    pub fn routes(self, max_message_bytes: usize) -> tonic::service::Routes {
        tonic::service::Routes::new(
            RegistryServiceServer::new(self.clone()).max_decoding_message_size(max_message_bytes),
        )
        .add_service(AccountServiceServer::new(self).max_decoding_message_size(max_message_bytes))
    }

    fn principal<T>(&self, req: &Request<T>) -> ServiceResult<Principal> {
        self.verifier.verify_metadata(req.metadata())
    }

    /// The town, if the principal may see it; NOT_FOUND otherwise.
    async fn visible_town(&self, p: &Principal, code: &str) -> ServiceResult<Town> {
        let code = code.trim();
        if code.is_empty() {
            return Err(ServiceError::invalid("town", "town is required"));
        }
        match self.store.get_town(code).await? {
            Some(t) if p.can_see_town(&t.code, &t.county) => Ok(t),
            _ => Err(ServiceError::not_found("town")),
        }
    }

    async fn visible_estate(&self, p: &Principal, id: &str) -> ServiceResult<Estate> {
        let estate = self.store.get_estate(id.trim()).await?.ok_or_else(|| ServiceError::not_found("estate"))?;
        self.visible_town(p, &estate.town).await.map_err(|_| ServiceError::not_found("estate"))?;
        Ok(estate)
    }

    fn ctx(p: &Principal, idempotency_key: &str) -> ServiceResult<WriteContext> {
        let key = idempotency_key.trim();
        if key.len() > 128 {
            return Err(ServiceError::invalid("idempotency_key", "idempotency_key must be at most 128 characters"));
        }
        Ok(WriteContext { actor: p.subject.clone(), idempotency_key: (!key.is_empty()).then(|| key.to_owned()) })
    }
}

type Rpc<T> = Result<Response<T>, Status>;

fn ok<T>(r: ServiceResult<T>) -> Rpc<T> {
    r.map(Response::new).map_err(Status::from)
}
