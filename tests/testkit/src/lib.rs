//! Test harness shared by every crate's tests: fresh SQLite files and fresh Postgres databases.
//!
//! Postgres comes from `DATABASE_URL` when it is set (CI starts one cluster for the whole run),
//! otherwise from a throwaway cluster this process starts with `initdb`/`pg_ctl` in a temp dir
//! (as the `postgres` user when running as root, since initdb refuses root). When neither is
//! possible the Postgres tests skip — unless `WUGUAN_REQUIRE_POSTGRES=1`, which makes a missing
//! Postgres a failure, as CI sets it.

use sqlx::Connection;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, Weak};

/// A fresh SQLite database in its own temp dir (kept alive by the returned guard).
pub struct SqliteDb {
    pub url: String,
    pub dir: tempfile::TempDir,
}

pub fn sqlite_db() -> SqliteDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    SqliteDb { url, dir }
}

/// A fresh, empty Postgres database. Holds the throwaway cluster (if this process started
/// one) alive; the cluster stops when the last database guard is dropped.
pub struct PgDb {
    pub url: String,
    _cluster: Option<Arc<Cluster>>,
}

fn require_postgres() -> bool {
    std::env::var("WUGUAN_REQUIRE_POSTGRES").is_ok_and(|v| v == "1" || v == "true")
}

/// A fresh database, or None (with a note on stderr) when Postgres is unavailable and not
/// required.
pub async fn pg_db() -> Option<PgDb> {
    let (admin_url, cluster) = match server() {
        Ok(found) => found,
        Err(e) => {
            if require_postgres() {
                panic!("WUGUAN_REQUIRE_POSTGRES is set but Postgres is unavailable: {e:#}");
            }
            eprintln!("skipping Postgres test: {e:#}");
            return None;
        }
    };
    let name = format!("wuguan_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin_url).await.expect("connect to test Postgres");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let url = match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("DATABASE_URL has no database part: {admin_url}"),
    };
    conn.close().await.ok();
    Some(PgDb { url, _cluster: cluster })
}

/// The URL of a Postgres server's `postgres` database, starting a cluster if needed.
fn server() -> anyhow::Result<(String, Option<Arc<Cluster>>)> {
    if let Ok(url) = std::env::var("DATABASE_URL")
        && url.starts_with("postgres")
    {
        return Ok((url, None));
    }
    static CLUSTER: Mutex<Weak<Cluster>> = Mutex::new(Weak::new());
    let mut slot = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(cluster) = slot.upgrade() {
        return Ok((cluster.url.clone(), Some(cluster)));
    }
    let cluster = Arc::new(Cluster::start()?);
    *slot = Arc::downgrade(&cluster);
    Ok((cluster.url.clone(), Some(cluster)))
}

/// A throwaway cluster in a temp dir, stopped (immediate mode) when dropped.
pub struct Cluster {
    pub url: String,
    bin: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

fn find_pg_bin() -> anyhow::Result<PathBuf> {
    if let Ok(out) = Command::new("sh").arg("-c").arg("command -v initdb").output()
        && out.status.success()
    {
        let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if let Some(dir) = p.parent() {
            return Ok(dir.to_path_buf());
        }
    }
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    candidates.sort();
    candidates
        .into_iter()
        .rev()
        .find(|p| p.join("initdb").exists())
        .ok_or_else(|| anyhow::anyhow!("no initdb on PATH or under /usr/lib/postgresql"))
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Cluster {
    fn run(bin: &Path, as_postgres: bool, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        let tool_path = bin.join(tool);
        let output = if as_postgres {
            Command::new("runuser").arg("-u").arg("postgres").arg("--").arg(&tool_path).args(args).output()?
        } else {
            Command::new(&tool_path).args(args).output()?
        };
        if !output.status.success() {
            anyhow::bail!(
                "{tool} failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    pub fn start() -> anyhow::Result<Cluster> {
        let bin = find_pg_bin()?;
        let root = is_root();
        let dir = tempfile::Builder::new().prefix("wuguan-pg-").tempdir()?;
        let data = dir.path().join("data");
        let sock = dir.path().to_path_buf();
        if root {
            // initdb refuses to run as root: the cluster belongs to the postgres user.
            let status = Command::new("chown").arg("-R").arg("postgres").arg(dir.path()).status()?;
            anyhow::ensure!(status.success(), "chown of the cluster dir to postgres failed");
        }
        let data_s = data.to_string_lossy().to_string();
        Self::run(&bin, root, "initdb", &["-D", &data_s, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"])?;
        let port = free_port()?;
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            sock.display()
        );
        let log = dir.path().join("pg.log").to_string_lossy().to_string();
        Self::run(&bin, root, "pg_ctl", &["-D", &data_s, "-o", &opts, "-l", &log, "-w", "-t", "60", "start"])?;
        Ok(Cluster { url: format!("postgres://postgres@127.0.0.1:{port}/postgres"), bin, data, _dir: dir })
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data.to_string_lossy().to_string();
        let _ = Self::run(&self.bin, is_root(), "pg_ctl", &["-D", &data, "-m", "immediate", "stop"]);
    }
}
