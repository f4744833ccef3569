//! People on an account and what each may do: the four roles, every action the console
//! and the API offer a person, one table saying which role may take which
//! ([`may`]), the rules for changing a team (the last owner stays), and sign-in by
//! email link ([`issue_link`], [`check_link`]). API keys are
//! machines' and are not governed here: a key acts as its environment allows, as before.

mod link;
#[cfg(test)]
mod link_tests;
mod permissions;
mod role;
mod team;
#[cfg(test)]
mod tests;

pub use link::{
    IssuedLink, LINK_REFUSED, LINK_VALID, LinkCheck, LinkSeed, MAX_CODE_TRIES, Presented,
    StoredLink, check_link, issue_link,
};
pub use permissions::{Action, may};
pub use role::Role;
pub use team::{TeamChange, TeamError, check_team_change};
