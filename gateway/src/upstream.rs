//! The gateway's gRPC clients. Every call carries the caller's token, the current trace
//! context and a deadline.

use crate::extract::Bearer;
use std::time::Duration;
use tonic::transport::Channel;
use wuguan_proto::assessment::v1::assessment_service_client::AssessmentServiceClient;
use wuguan_proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use wuguan_proto::registry::v1::account_service_client::AccountServiceClient;
use wuguan_proto::registry::v1::registry_service_client::RegistryServiceClient;

#[derive(Clone)]
pub struct Upstreams {
    pub registry: Channel,
    pub dispatch: Channel,
    pub assessment: Channel,
    pub call_timeout: Duration,
}

impl Upstreams {
    /// Channels connect lazily, so the gateway starts even while a service is still starting.
    pub fn new(
        registry_url: &str,
        dispatch_url: &str,
        assessment_url: &str,
        call_timeout: Duration,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            registry: lazy_channel(registry_url)?,
            dispatch: lazy_channel(dispatch_url)?,
            assessment: lazy_channel(assessment_url)?,
            call_timeout,
        })
    }

    pub fn assessment(&self) -> AssessmentServiceClient<Channel> {
        AssessmentServiceClient::new(self.assessment.clone())
    }

    pub fn dispatch(&self) -> DispatchServiceClient<Channel> {
        DispatchServiceClient::new(self.dispatch.clone())
    }

    pub fn registry(&self) -> RegistryServiceClient<Channel> {
        RegistryServiceClient::new(self.registry.clone())
    }

    pub fn accounts(&self) -> AccountServiceClient<Channel> {
        AccountServiceClient::new(self.registry.clone())
    }

    /// Every ticket matching `filter`, up to `pages` pages of 500: the bounded reads the
    /// console's counts and charts and the written report are made of.
    pub async fn tickets_where(
        &self,
        bearer: &Bearer,
        filter: wuguan_proto::dispatch::v1::ListTicketsRequest,
        pages: usize,
    ) -> Result<Vec<wuguan_proto::dispatch::v1::Ticket>, tonic::Status> {
        let mut out = Vec::new();
        let mut token = String::new();
        for _ in 0..pages {
            let mut req = filter.clone();
            req.page = Some(wuguan_proto::common::v1::PageRequest { page_size: 500, page_token: token.clone() });
            let resp = self.dispatch().list_tickets(self.request(bearer, req)).await?.into_inner();
            out.extend(resp.tickets);
            token = resp.page.unwrap_or_default().next_page_token;
            if token.is_empty() {
                break;
            }
        }
        Ok(out)
    }

    /// Wraps `message` for a call on behalf of `bearer`.
    pub fn request<T>(&self, bearer: &Bearer, message: T) -> tonic::Request<T> {
        let mut req = tonic::Request::new(message);
        req.set_timeout(self.call_timeout);
        if let Some(token) = &bearer.0
            && let Ok(value) = format!("Bearer {token}").parse()
        {
            req.metadata_mut().insert("authorization", value);
        }
        wuguan_platform::telemetry::inject_current_context(req.metadata_mut());
        req
    }
}

use wuguan_platform::serving::lazy_channel;
