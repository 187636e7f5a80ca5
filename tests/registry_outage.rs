//! The registry being down must not lose a submission: dispatch accepts it unrouted and its
//! sweep routes it once the registry answers again.

mod support;

use std::time::Duration;
use support::{Store, TestStack};
use wuguan_platform::identity::TokenSigner;
use wuguan_platform::{Principal, Role};
use wuguan_proto::dispatch::v1 as pb;
use wuguan_proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;

fn token(signer: &TokenSigner, role: Role, subject: &str, town: Option<&str>) -> String {
    let p = Principal {
        subject: subject.into(),
        role,
        town: town.map(Into::into),
        county: "demo".into(),
        unit: None,
        estate: None,
    };
    signer.sign(&p, Duration::from_secs(600)).unwrap()
}

async fn start_dispatch(
    t: &TestStack,
    db_url: &str,
    registry_url: String,
    registry_token: String,
) -> (String, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<anyhow::Result<()>>) {
    start_dispatch_with(t, db_url, registry_url, registry_token, Default::default()).await
}

async fn start_dispatch_with(
    t: &TestStack,
    db_url: &str,
    registry_url: String,
    registry_token: String,
    limits: wuguan_platform::serving::Limits,
) -> (String, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<anyhow::Result<()>>) {
    let (listener, addr) = wuguan_platform::serving::bind("127.0.0.1:0").await.unwrap();
    let config = wuguan_dispatch::server::DispatchConfig {
        database_url: db_url.to_owned(),
        migrate: true,
        jwt_public_key: t.dir.path().join("jwt-public.pem"),
        registry_url,
        registry_token,
        load_demo: false,
        pool: Default::default(),
        limits,
        sweep: wuguan_dispatch::escalation::SweepConfig {
            interval: Duration::from_millis(100),
            level_one_window: Duration::from_secs(3600),
            ..Default::default()
        },
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(wuguan_dispatch::server::run(
        config,
        listener,
        async move {
            let _ = stop_rx.await;
        },
        ready_tx,
    ));
    ready_rx.await.expect("dispatch ready");
    (format!("http://{addr}"), stop_tx, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submissions_during_a_registry_outage_are_kept_and_routed_later() {
    let t = TestStack::start(Store::Sqlite).await.unwrap();
    let signer = TokenSigner::from_file(&t.dir.path().join("jwt-private.pem")).unwrap();
    let office = token(&signer, Role::TownOffice, "zhongxing.town_office", Some("zhongxing"));
    let dispatch_registry_token = token(&signer, Role::County, "wuguan-dispatch", None);
    let estate = {
        let (_, estates) =
            t.get("/api/v1/towns/zhongxing/estates?page_size=1", &t.login("zhongxing.town_office").await).await;
        estates["items"][0]["id"].as_str().unwrap().to_owned()
    };
    let db = wuguan_testkit::sqlite_db();

    // A dispatch whose registry is unreachable.
    let dead_registry = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let (url, stop, task) = start_dispatch(&t, &db.url, dead_registry, dispatch_registry_token.clone()).await;
    let mut client = DispatchServiceClient::connect(url).await.unwrap();
    let mut req = tonic::Request::new(pb::SubmitComplaintRequest {
        town: "zhongxing".into(),
        estate_id: estate.clone(),
        category: pb::Category::Repair as i32,
        description: "电梯坏了".into(),
        ..Default::default()
    });
    req.metadata_mut().insert("authorization", format!("Bearer {office}").parse().unwrap());
    let ticket = client.submit_complaint(req).await.expect("accepted while the registry is down").into_inner();
    assert_eq!(ticket.status, pb::Status::Received as i32);
    assert!(ticket.assignment.is_none());
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();

    // The same database, the registry reachable again: the sweep routes it.
    let (url, stop, task) = start_dispatch(&t, &db.url, t.registry_url(), dispatch_registry_token).await;
    let mut client = DispatchServiceClient::connect(url).await.unwrap();
    let mut routed = None;
    for _ in 0..100 {
        let mut req = tonic::Request::new(pb::GetTicketRequest { id: ticket.id.clone() });
        req.metadata_mut().insert("authorization", format!("Bearer {office}").parse().unwrap());
        let current = client.get_ticket(req).await.unwrap().into_inner();
        if current.status == pb::Status::Assigned as i32 {
            routed = Some(current);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let routed = routed.expect("routed after the registry came back");
    let assignment = routed.assignment.unwrap();
    assert!(!assignment.unit_id.is_empty() && !assignment.person_name.is_empty());
    assert!(!routed.estate_name.is_empty());
    assert_eq!(routed.timeline.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), vec!["submit", "assign"]);
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    t.stop().await;
}

/// Beyond its concurrency limit dispatch refuses at once with RESOURCE_EXHAUSTED instead of
/// queueing; what it accepted is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_is_refused_fast() {
    let t = TestStack::start(Store::Sqlite).await.unwrap();
    let signer = TokenSigner::from_file(&t.dir.path().join("jwt-private.pem")).unwrap();
    let office = token(&signer, Role::TownOffice, "zhongxing.town_office", Some("zhongxing"));
    let registry_token = token(&signer, Role::County, "wuguan-dispatch", None);
    let estate = {
        let (_, estates) =
            t.get("/api/v1/towns/zhongxing/estates?page_size=1", &t.login("zhongxing.town_office").await).await;
        estates["items"][0]["id"].as_str().unwrap().to_owned()
    };
    let db = wuguan_testkit::sqlite_db();
    let limits = wuguan_platform::serving::Limits { max_concurrent_requests: 2, ..Default::default() };
    let (url, stop, task) = start_dispatch_with(&t, &db.url, t.registry_url(), registry_token, limits).await;
    let channel = tonic::transport::Endpoint::from_shared(url).unwrap().connect().await.unwrap();
    let mut calls = Vec::new();
    for i in 0..64 {
        let mut client = DispatchServiceClient::new(channel.clone());
        let mut req = tonic::Request::new(pb::SubmitComplaintRequest {
            town: "zhongxing".into(),
            estate_id: estate.clone(),
            category: pb::Category::Repair as i32,
            description: format!("过载测试 {i}"),
            idempotency_key: format!("overload-{i}"),
            ..Default::default()
        });
        req.metadata_mut().insert("authorization", format!("Bearer {office}").parse().unwrap());
        calls.push(tokio::spawn(async move {
            let started = std::time::Instant::now();
            (client.submit_complaint(req).await.map(|r| r.into_inner().id), started.elapsed())
        }));
    }
    let (mut accepted, mut refused) = (Vec::new(), 0);
    for call in calls {
        match call.await.unwrap() {
            (Ok(id), _) => accepted.push(id),
            (Err(status), took) => {
                assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
                assert!(took < Duration::from_secs(2), "a refusal took {took:?}");
                refused += 1;
            }
        }
    }
    assert!(refused > 0, "64 concurrent calls against a limit of 2 must see refusals");
    assert!(!accepted.is_empty());
    // Everything acknowledged is there.
    let mut client = DispatchServiceClient::new(channel);
    for id in accepted {
        let mut req = tonic::Request::new(pb::GetTicketRequest { id });
        req.metadata_mut().insert("authorization", format!("Bearer {office}").parse().unwrap());
        // Retry briefly: this server is still refusing above its limit.
        let mut found = false;
        for _ in 0..50 {
            match client
                .get_ticket(tonic::Request::from_parts(
                    req.metadata().clone(),
                    Default::default(),
                    req.get_ref().clone(),
                ))
                .await
            {
                Ok(_) => {
                    found = true;
                    break;
                }
                Err(s) if s.code() == tonic::Code::ResourceExhausted => {
                    tokio::time::sleep(Duration::from_millis(20)).await
                }
                Err(s) => panic!("{s:?}"),
            }
        }
        assert!(found);
    }
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    t.stop().await;
}
