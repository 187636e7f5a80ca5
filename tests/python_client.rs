//! A client in another language, generated from `proto/` alone (Python, grpcio-tools), lists
//! zhongxing's estates with a token minted by `wuguan token`, and lists the port's services over
//! reflection (v1alpha, the version grpcio-reflection speaks). Skips when grpcio-tools is not
//! installed, unless `WUGUAN_REQUIRE_PYTHON_GRPC=1` (CI installs it and sets that).

mod support;

use support::{Store, TestStack};

fn python_grpc_available() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import grpc, grpc_tools, grpc_reflection"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_generated_from_proto_lists_estates() {
    if !python_grpc_available() {
        if std::env::var("WUGUAN_REQUIRE_PYTHON_GRPC").is_ok_and(|v| v == "1") {
            panic!("WUGUAN_REQUIRE_PYTHON_GRPC=1 but python3 cannot import grpc, grpc_tools and grpc_reflection");
        }
        eprintln!("skipping: pip install grpcio grpcio-tools grpcio-reflection to run this test");
        return;
    }
    let t = TestStack::start(Store::Sqlite).await.unwrap();
    let key = t.dir.path().join("jwt-private.pem");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wuguan"))
        .args(["token", "--subject", "police-system", "--town", "zhongxing"])
        .arg("--jwt-private-key")
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    let root = env!("CARGO_MANIFEST_DIR");
    let address = t.registry_url().trim_start_matches("http://").to_owned();
    let result = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg(format!("{root}/tests/python_client/list_estates.py"))
            .arg(format!("{root}/proto"))
            .arg(address)
            .arg(token)
            .arg("zhongxing")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(result.status.success(), "python client failed: {stdout}{}", String::from_utf8_lossy(&result.stderr));
    assert_eq!(
        stdout.trim(),
        "estates=65 residents=57694\nservices=grpc.health.v1.Health,grpc.reflection.v1alpha.ServerReflection,\
         wuguan.registry.v1.AccountService,wuguan.registry.v1.RegistryService"
    );
    t.stop().await;
}
