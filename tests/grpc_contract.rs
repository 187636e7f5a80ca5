//! Other departments' view: standard gRPC health and reflection, and a service token minted by
//! `wuguan token` used directly against the registry.

mod support;

use support::{Store, TestStack};
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use wuguan_proto::registry::v1 as pb;
use wuguan_proto::registry::v1::registry_service_client::RegistryServiceClient;

fn mint_service_token(t: &TestStack, town: &str) -> String {
    let key = t.dir.path().join("jwt-private.pem");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wuguan"))
        .args(["token", "--subject", "hotline-12345", "--town", town, "--days", "1"])
        .arg("--jwt-private-key")
        .arg(&key)
        .output()
        .expect("run wuguan token");
    assert!(out.status.success(), "wuguan token failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn with_token<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut req = tonic::Request::new(message);
    req.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reflection_and_service_tokens() {
    let t = TestStack::start(Store::Sqlite).await.unwrap();
    let channel = tonic::transport::Endpoint::from_shared(t.registry_url()).unwrap().connect().await.unwrap();

    let mut health = HealthClient::new(channel.clone());
    for service in ["", "wuguan.registry.v1.RegistryService", "wuguan.registry.v1.AccountService"] {
        let resp = health.check(HealthCheckRequest { service: service.into() }).await.unwrap();
        assert_eq!(resp.get_ref().status, ServingStatus::Serving as i32, "{service}");
    }

    let mut reflection = ServerReflectionClient::new(channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = reflection.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
    let response = stream.next().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("no service list")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in ["wuguan.registry.v1.RegistryService", "wuguan.registry.v1.AccountService", "grpc.health.v1.Health"]
    {
        assert!(names.iter().any(|n| n == expected), "{expected} not in {names:?}");
    }

    // Dispatch speaks the same standard operations.
    let dispatch = tonic::transport::Endpoint::from_shared(t.dispatch_url()).unwrap().connect().await.unwrap();
    let resp = HealthClient::new(dispatch.clone())
        .check(HealthCheckRequest { service: "wuguan.dispatch.v1.DispatchService".into() })
        .await
        .unwrap();
    assert_eq!(resp.get_ref().status, ServingStatus::Serving as i32);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = ServerReflectionClient::new(dispatch)
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) = stream.next().await.unwrap().unwrap().message_response
    else {
        panic!("no service list")
    };
    assert!(list.service.iter().any(|s| s.name == "wuguan.dispatch.v1.DispatchService"));

    let token = mint_service_token(&t, "zhongxing");
    let mut registry = RegistryServiceClient::new(channel.clone());
    let mut seen = 0;
    let mut page_token = String::new();
    loop {
        let req = pb::ListEstatesRequest {
            town: "zhongxing".into(),
            page: Some(wuguan_proto::common::v1::PageRequest { page_size: 20, page_token: page_token.clone() }),
            ..Default::default()
        };
        let resp = registry.list_estates(with_token(req, &token)).await.unwrap().into_inner();
        seen += resp.estates.len();
        page_token = resp.page.unwrap_or_default().next_page_token;
        if page_token.is_empty() {
            break;
        }
    }
    assert_eq!(seen, 65);

    // The service token is scoped to its town and may not edit the ledger.
    let err = registry
        .get_town_summary(with_token(pb::GetTownSummaryRequest { town: "anhe".into() }, &token))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = registry
        .create_community(with_token(
            pb::CreateCommunityRequest { town: "zhongxing".into(), name: "x".into(), ..Default::default() },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    // Without a token: UNAUTHENTICATED. A bad enum value: INVALID_ARGUMENT naming the field.
    let err = registry.list_towns(pb::ListTownsRequest {}).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let req = pb::ListEstatesRequest { town: "zhongxing".into(), management_mode: 42, ..Default::default() };
    let err = registry.list_estates(with_token(req, &token)).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(err.metadata().get(wuguan_platform::error::FIELD_METADATA_KEY).unwrap(), "management_mode");

    t.stop().await;
}
