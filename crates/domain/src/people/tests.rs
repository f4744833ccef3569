use std::collections::HashSet;

use super::*;
use crate::tenant::Environment;

fn allowed(role: Role) -> HashSet<Action> {
    Action::ALL.into_iter().filter(|a| may(role, *a)).collect()
}

#[test]
fn every_action_is_listed_once() {
    let distinct: HashSet<Action> = Action::ALL.into_iter().collect();
    assert_eq!(distinct.len(), Action::ALL.len());
}

#[test]
fn an_owner_may_do_everything() {
    assert_eq!(allowed(Role::Owner).len(), Action::ALL.len());
}

#[test]
fn a_more_trusted_role_may_do_all_a_less_trusted_one_may() {
    for pair in Role::ALL.windows(2) {
        let (more, less) = (pair[0], pair[1]);
        let missing: Vec<_> = allowed(less).difference(&allowed(more)).copied().collect();
        assert!(
            missing.is_empty(),
            "{less} may but {more} may not: {missing:?}"
        );
    }
}

#[test]
fn a_viewer_only_reads_and_exports_no_personal_data() {
    for action in Action::ALL {
        let expected =
            action.reads_only() && !matches!(action, Action::ExportCustomers | Action::ReadAudit);
        assert_eq!(may(Role::Viewer, action), expected, "{action:?}");
    }
}

#[test]
fn a_developer_reads_everything_but_the_audit_and_changes_only_the_test_side() {
    let writes: HashSet<Action> = [
        Action::ManageKeys(Environment::Test),
        Action::EditSettings,
        Action::EditWebhooks,
    ]
    .into();
    for action in Action::ALL {
        let expected = if action.reads_only() {
            action != Action::ReadAudit
        } else {
            writes.contains(&action)
        };
        assert_eq!(may(Role::Developer, action), expected, "{action:?}");
    }
}

#[test]
fn an_admin_may_do_everything_but_owners_billing_and_closing() {
    let owners_only: HashSet<Action> = [
        Action::ManageMembers(Role::Owner),
        Action::ManageBilling,
        Action::CloseAccount,
    ]
    .into();
    for action in Action::ALL {
        assert_eq!(
            may(Role::Admin, action),
            !owners_only.contains(&action),
            "{action:?}"
        );
    }
}

#[test]
fn roles_are_named_as_stored() {
    for role in Role::ALL {
        assert_eq!(Role::parse(role.as_str()), Some(role));
    }
    assert_eq!(Role::parse("root"), None);
    assert_eq!(Role::parse("Owner"), None);
}

#[test]
fn the_last_owner_stays() {
    let demote = TeamChange::ChangeRole {
        from: Role::Owner,
        to: Role::Admin,
    };
    for change in [
        TeamChange::Leave(Role::Owner),
        TeamChange::Remove(Role::Owner),
        demote,
    ] {
        assert_eq!(
            check_team_change(Role::Owner, change, 1),
            Err(TeamError::LastOwner),
            "{change:?}"
        );
        assert_eq!(
            check_team_change(Role::Owner, change, 2),
            Ok(()),
            "{change:?}"
        );
    }
    // An owner made owner again loses no owner.
    let same = TeamChange::ChangeRole {
        from: Role::Owner,
        to: Role::Owner,
    };
    assert_eq!(check_team_change(Role::Owner, same, 1), Ok(()));
}

#[test]
fn admins_manage_members_other_than_owners() {
    let admin = |change| check_team_change(Role::Admin, change, 1);
    assert_eq!(admin(TeamChange::Invite(Role::Developer)), Ok(()));
    assert_eq!(admin(TeamChange::Remove(Role::Viewer)), Ok(()));
    assert_eq!(
        admin(TeamChange::ChangeRole {
            from: Role::Viewer,
            to: Role::Admin
        }),
        Ok(())
    );
    assert_eq!(
        admin(TeamChange::Invite(Role::Owner)),
        Err(TeamError::Forbidden)
    );
    assert_eq!(
        admin(TeamChange::Remove(Role::Owner)),
        Err(TeamError::Forbidden)
    );
    assert_eq!(
        admin(TeamChange::ChangeRole {
            from: Role::Viewer,
            to: Role::Owner
        }),
        Err(TeamError::Forbidden)
    );
    assert_eq!(
        admin(TeamChange::ChangeRole {
            from: Role::Owner,
            to: Role::Viewer
        }),
        Err(TeamError::Forbidden)
    );
}

#[test]
fn developers_and_viewers_change_no_one_but_may_leave() {
    for actor in [Role::Developer, Role::Viewer] {
        for role in Role::ALL {
            assert_eq!(
                check_team_change(actor, TeamChange::Invite(role), 1),
                Err(TeamError::Forbidden)
            );
            assert_eq!(
                check_team_change(actor, TeamChange::Remove(role), 1),
                Err(TeamError::Forbidden)
            );
        }
        assert_eq!(
            check_team_change(actor, TeamChange::Leave(actor), 1),
            Ok(())
        );
    }
}
