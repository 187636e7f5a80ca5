//! Which league-table indicators carry a weight, shared by the rubric's validation and the console.

use crate::vocab::assessment::LeagueIndicator;

impl LeagueIndicator {
    /// Scored in the league table (weighed); volume (工单量) is shown, not scored.
    pub const fn is_scored(self) -> bool {
        !matches!(self, LeagueIndicator::Volume)
    }
}
