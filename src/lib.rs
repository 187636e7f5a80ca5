//! The `wuguan` binary's library half: starting the whole stack in one process (used by
//! `wuguan up` and by the tests in `tests/`).

pub mod stack;
