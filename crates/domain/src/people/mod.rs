//! People on an account and what each may do: the four roles, every action the console
//! and the API offer a person, one table saying which role may take which
//! ([`may`]), and the rules for changing a team (the last owner stays). API keys are
//! machines' and are not governed here: a key acts as its environment allows, as before.

mod permissions;
mod role;
mod team;
#[cfg(test)]
mod tests;

pub use permissions::{Action, may};
pub use role::Role;
pub use team::{TeamChange, TeamError, check_team_change};
