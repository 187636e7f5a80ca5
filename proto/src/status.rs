//! What a ticket's status means for the work left, shared by dispatch and the console.

use crate::vocab::dispatch::Status;

impl Status {
    /// Still needs work from someone.
    pub const fn is_open(self) -> bool {
        matches!(self, Status::Received | Status::Assigned | Status::Accepted | Status::Rejected | Status::Reopened)
    }

    /// Handled: resolved or beyond.
    pub const fn is_done(self) -> bool {
        matches!(self, Status::Resolved | Status::Verified | Status::Closed)
    }

    /// Waiting for the assigned unit to respond.
    pub const fn awaits_response(self) -> bool {
        matches!(self, Status::Received | Status::Assigned | Status::Reopened)
    }
}
