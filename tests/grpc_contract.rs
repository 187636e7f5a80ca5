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

    // Each port advertises what it serves — over v1 and v1alpha (grpcurl, Python's
    // grpcio-reflection) — and nothing the shared descriptor set merely describes.
    let standard = ["grpc.health.v1.Health"];
    let ports = [
        (t.registry_url(), vec!["wuguan.registry.v1.AccountService", "wuguan.registry.v1.RegistryService"]),
        (t.dispatch_url(), vec!["wuguan.dispatch.v1.DispatchService"]),
        (t.assessment_url(), vec!["wuguan.assessment.v1.AssessmentService"]),
    ];
    for (url, own) in ports {
        let port = tonic::transport::Endpoint::from_shared(url.clone()).unwrap().connect().await.unwrap();
        let mut v1_expected: Vec<&str> = own.iter().chain(&standard).copied().collect();
        v1_expected.push("grpc.reflection.v1.ServerReflection");
        v1_expected.sort();
        assert_eq!(reflected_services_v1(port.clone()).await, v1_expected, "v1 on {url}");
        let mut alpha_expected: Vec<&str> = own.iter().chain(&standard).copied().collect();
        alpha_expected.push("grpc.reflection.v1alpha.ServerReflection");
        alpha_expected.sort();
        assert_eq!(reflected_services_v1alpha(port.clone()).await, alpha_expected, "v1alpha on {url}");
        for service in &own {
            let resp =
                HealthClient::new(port.clone()).check(HealthCheckRequest { service: (*service).into() }).await.unwrap();
            assert_eq!(resp.get_ref().status, ServingStatus::Serving as i32, "{service}");
        }
    }
    // A listed service resolves to its file (what grpcurl `describe` does).
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol("wuguan.dispatch.v1.DispatchService".into())),
    };
    let dispatch = tonic::transport::Endpoint::from_shared(t.dispatch_url()).unwrap().connect().await.unwrap();
    let mut stream = ServerReflectionClient::new(dispatch)
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let Some(MessageResponse::FileDescriptorResponse(files)) = stream.next().await.unwrap().unwrap().message_response
    else {
        panic!("dispatch's file was not found by symbol")
    };
    assert!(!files.file_descriptor_proto.is_empty());

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

async fn reflected_services_v1(channel: tonic::transport::Channel) -> Vec<String> {
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) = stream.next().await.unwrap().unwrap().message_response
    else {
        panic!("no service list over v1")
    };
    let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    names
}

async fn reflected_services_v1alpha(channel: tonic::transport::Channel) -> Vec<String> {
    use tonic_reflection::pb::v1alpha as alpha;
    let request = alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(alpha::server_reflection_request::MessageRequest::ListServices(String::new())),
    };
    let mut stream = alpha::server_reflection_client::ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let Some(alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        stream.next().await.unwrap().unwrap().message_response
    else {
        panic!("no service list over v1alpha")
    };
    let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    names
}
