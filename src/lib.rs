//! The `wuguan` binary's library half: starting the whole stack in one process (used by
//! `wuguan up` and by the tests in `tests/`), and backing up its SQLite data directory.

pub mod backup;
pub mod stack;
