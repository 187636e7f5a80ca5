//! `wuguan backup`: an online, consistent copy of a SQLite deployment's data directory. Each
//! database is copied with `VACUUM INTO` (SQLite writes a transactionally consistent snapshot
//! while the services keep reading and writing); the signing keys are copied as they are.
//! Postgres deployments use `pg_dump` instead (see the README).

use std::path::{Path, PathBuf};
use wuguan_platform::db::{Db, PoolConfig};

/// The databases `wuguan up` keeps in its data directory.
pub const DATABASES: [&str; 3] = ["registry.db", "dispatch.db", "assessment.db"];
const KEYS: [&str; 2] = ["jwt-private.pem", "jwt-public.pem"];

/// Copies every database and key found in `data_dir` into `to` (created; must be empty) and
/// returns the files written.
pub async fn backup(data_dir: &Path, to: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if to.exists() && std::fs::read_dir(to)?.next().is_some() {
        anyhow::bail!("{} is not empty: back up into a new directory", to.display());
    }
    std::fs::create_dir_all(to)?;
    let mut written = Vec::new();
    for name in DATABASES {
        let source = data_dir.join(name);
        if !source.exists() {
            continue;
        }
        let target = to.join(name);
        let target_str = target.to_str().ok_or_else(|| anyhow::anyhow!("{} is not UTF-8", target.display()))?;
        let db = Db::connect(
            &format!("sqlite://{}", source.display()),
            PoolConfig { max_connections: 1, ..PoolConfig::default() },
        )
        .await?;
        let Db::Sqlite(pool) = &db else { unreachable!("a sqlite URL gives a SQLite pool") };
        sqlx::query("VACUUM INTO ?").bind(target_str).execute(pool).await?;
        db.close().await;
        written.push(target);
    }
    anyhow::ensure!(!written.is_empty(), "no databases in {}", data_dir.display());
    for name in KEYS {
        let source = data_dir.join(name);
        if source.exists() {
            let target = to.join(name);
            std::fs::copy(&source, &target)?;
            written.push(target);
        }
    }
    Ok(written)
}
