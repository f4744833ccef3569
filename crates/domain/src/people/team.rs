//! Changing a team: who may invite, change and remove whom, and the last owner rule.

use crate::people::{Action, Role, may};

/// A change to an account's team, as one person asks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamChange {
    /// Invite someone with `role`.
    Invite(Role),
    /// Give a member holding `from` the role `to`.
    ChangeRole {
        /// The member's role now.
        from: Role,
        /// The role asked for.
        to: Role,
    },
    /// Remove a member holding this role.
    Remove(Role),
    /// The person asking leaves; they hold this role.
    Leave(Role),
}

/// Why a team change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TeamError {
    /// The person's role does not allow it.
    #[error("your role does not allow this change")]
    Forbidden,
    /// It would leave the account without an owner.
    #[error("an account keeps at least one owner: make someone else owner first")]
    LastOwner,
}

/// Whether a person holding `actor` may make `change` on an account that has `owners`
/// owners now. Anyone may leave, except its last owner; every other change needs
/// [`Action::ManageMembers`] for each role it touches.
pub fn check_team_change(actor: Role, change: TeamChange, owners: usize) -> Result<(), TeamError> {
    let touched: &[Role] = match &change {
        TeamChange::Invite(role) | TeamChange::Remove(role) => std::slice::from_ref(role),
        TeamChange::ChangeRole { from, to } => &[*from, *to],
        TeamChange::Leave(_) => &[],
    };
    if !touched
        .iter()
        .all(|role| may(actor, Action::ManageMembers(*role)))
    {
        return Err(TeamError::Forbidden);
    }
    let loses_an_owner = match change {
        TeamChange::ChangeRole { from, to } => from == Role::Owner && to != Role::Owner,
        TeamChange::Remove(role) | TeamChange::Leave(role) => role == Role::Owner,
        TeamChange::Invite(_) => false,
    };
    if loses_an_owner && owners <= 1 {
        return Err(TeamError::LastOwner);
    }
    Ok(())
}
