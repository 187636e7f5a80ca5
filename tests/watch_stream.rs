//! Another department's system follows its tickets as they change, over a server stream.

mod support;

use serde_json::json;
use std::time::Duration;
use support::{Store, TestStack};
use tokio_stream::StreamExt;
use wuguan_platform::identity::TokenSigner;
use wuguan_platform::{Principal, Role};
use wuguan_proto::dispatch::v1 as pb;
use wuguan_proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;

async fn next_change(stream: &mut tonic::Streaming<pb::TicketChange>) -> pb::TicketChange {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("a change within 10 s")
        .expect("stream open")
        .expect("no error")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn police_system_follows_police_tickets_only() {
    let t = TestStack::start(Store::Sqlite).await.unwrap();
    let office = t.login("zhongxing.town_office").await;
    let (_, units) = t.get("/api/v1/towns/zhongxing/units?unit_type=police", &office).await;
    let police_unit = units["items"][0]["id"].as_str().unwrap().to_owned();
    let signer = TokenSigner::from_file(&t.dir.path().join("jwt-private.pem")).unwrap();
    let police_system = signer
        .sign(
            &Principal {
                subject: "police-system".into(),
                role: Role::Service,
                town: Some("zhongxing".into()),
                county: "demo".into(),
                unit: Some(police_unit.clone()),
                estate: None,
            },
            Duration::from_secs(600),
        )
        .unwrap();
    let with_token = |m: pb::WatchTicketsRequest| {
        let mut r = tonic::Request::new(m);
        r.metadata_mut().insert("authorization", format!("Bearer {police_system}").parse().unwrap());
        r
    };
    let mut client = DispatchServiceClient::connect(t.dispatch_url()).await.unwrap();
    let mut stream = client
        .watch_tickets(with_token(pb::WatchTicketsRequest { town: "zhongxing".into(), ..Default::default() }))
        .await
        .unwrap()
        .into_inner();

    let estates = t.get_all("/api/v1/towns/zhongxing/estates?page_size=1", &office).await;
    let estate = estates[0]["id"].as_str().unwrap();
    let submit = |category: &str| {
        t.post(
            "/api/v1/complaints",
            &office,
            json!({"town": "zhongxing", "estate_id": estate, "category": category, "description": "测试", "reporter_phone": "13812345678"}),
        )
    };
    let (_, repair) = submit("repair").await;
    let (_, security) = submit("security").await;

    let first = next_change(&mut stream).await;
    let second = next_change(&mut stream).await;
    for change in [&first, &second] {
        let ticket = change.ticket.as_ref().unwrap();
        assert_eq!(ticket.id, security["id"].as_str().unwrap(), "only police tickets reach the police system");
        assert_ne!(ticket.id, repair["id"].as_str().unwrap());
        // The assigned unit's system sees the reporter's phone.
        assert_eq!(ticket.reporter.as_ref().unwrap().phone, "13812345678");
    }
    assert_eq!(first.event.as_ref().unwrap().action, "submit");
    assert_eq!(second.event.as_ref().unwrap().action, "assign");

    // Resuming after the first event delivers the second again, not the first.
    let mut resumed = client
        .watch_tickets(with_token(pb::WatchTicketsRequest {
            town: "zhongxing".into(),
            after_event_id: first.event.as_ref().unwrap().id.clone(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let again = next_change(&mut resumed).await;
    assert_eq!(again.event.as_ref().unwrap().id, second.event.as_ref().unwrap().id);

    // Another town is not found; a resident may not watch.
    let err = client
        .watch_tickets(with_token(pb::WatchTicketsRequest { town: "anhe".into(), ..Default::default() }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    t.stop().await;
}
