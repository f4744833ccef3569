//! The console's session use cases: open one for a verified key, resume one from the id
//! a browser presents (ending it when the [`SessionPolicy`] says so, recording activity
//! when it says so), end one. The store keeps only the id's [`digest`].

use crate::StoreError;
use crate::console::session::{NewSession, SessionCheck, SessionEnd, SessionPolicy, digest};
use crate::ports::{Clock, ConsoleSessionStore};
use crate::tenant::{AccountId, Environment, TenantId};

/// What a presented session id opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resumed {
    /// A live session: the tenant of the key that signed in, and that key's lookup id.
    Live {
        /// Whose data.
        tenant: TenantId,
        /// The key that signed in (its public lookup id).
        key_lookup_id: String,
    },
    /// No such session for this environment, or one that just ended (and why).
    Gone(Option<SessionEnd>),
}

/// The console's sessions over a store and a clock.
#[derive(Debug, Clone)]
pub struct SessionService<S, C> {
    store: S,
    clock: C,
    policy: SessionPolicy,
}

impl<S: ConsoleSessionStore, C: Clock> SessionService<S, C> {
    /// Sessions kept in `store`, timed by `clock`, living as `policy` says.
    pub fn new(store: S, clock: C, policy: SessionPolicy) -> Self {
        Self {
            store,
            clock,
            policy,
        }
    }

    /// Stores a session `session_id` for the key `key_lookup_id`, signed in now.
    pub async fn open(&self, session_id: &str, key_lookup_id: &str) -> Result<(), StoreError> {
        self.store
            .create_session(NewSession {
                digest: digest(session_id),
                key_lookup_id: key_lookup_id.to_owned(),
                at: self.clock.now(),
            })
            .await
    }

    /// The session `session_id` presented for `environment`'s pages: live (its activity
    /// recorded when the policy asks), or gone (ended here when the policy ends it).
    pub async fn resume(
        &self, session_id: &str, environment: Environment,
    ) -> Result<Resumed, StoreError> {
        let kept = digest(session_id);
        let Some(stored) = self.store.find_session(&kept).await? else {
            return Ok(Resumed::Gone(None));
        };
        if stored.tenant.environment != environment {
            return Ok(Resumed::Gone(None));
        }
        match self
            .policy
            .check(stored.times, self.clock.now(), stored.key_live)
        {
            Err(end) => {
                self.store.end_session(&kept).await?;
                return Ok(Resumed::Gone(Some(end)));
            }
            Ok(SessionCheck::Touch(at)) => self.store.touch_session(&kept, at).await?,
            Ok(SessionCheck::Live) => {}
        }
        Ok(Resumed::Live {
            tenant: stored.tenant,
            key_lookup_id: stored.key_lookup_id,
        })
    }

    /// Ends the session `session_id` (sign-out); an unknown one is already ended.
    pub async fn end(&self, session_id: &str) -> Result<(), StoreError> {
        self.store.end_session(&digest(session_id)).await
    }

    /// Keeps the session `session_id` only if it is `account`'s (a sign-in to one
    /// environment keeps the other environment's session of the same account, and ends
    /// another account's); `true` when kept.
    pub async fn keep_if_of(
        &self, session_id: &str, account: &AccountId,
    ) -> Result<bool, StoreError> {
        let kept = digest(session_id);
        let same = self
            .store
            .find_session(&kept)
            .await?
            .is_some_and(|s| s.tenant.account == *account);
        if !same {
            self.store.end_session(&kept).await?;
        }
        Ok(same)
    }
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use mockall::predicate::eq;
    use time::Duration;

    use super::*;
    use crate::console::session::{SessionTimes, StoredSession};
    use crate::ports::{MockClock, MockConsoleSessionStore};
    use crate::timestamp::Timestamp;

    const ID: &str = "the-session-id";

    fn at(minute: i64) -> Timestamp {
        Timestamp::parse("2026-03-01T10:00:00.000Z").unwrap() + Duration::minutes(minute)
    }

    fn tenant(environment: Environment) -> TenantId {
        TenantId {
            account: AccountId(uuid::Uuid::from_u128(5)),
            environment,
        }
    }

    fn clock(minute: i64) -> MockClock {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(at(minute));
        clock
    }

    /// A session signed in at minute 0, last seen at `seen`.
    fn stored(seen: i64, key_live: bool) -> StoredSession {
        StoredSession {
            tenant: tenant(Environment::Test),
            key_lookup_id: "k1".into(),
            key_live,
            times: SessionTimes {
                created_at: at(0),
                last_seen_at: at(seen),
            },
        }
    }

    fn policy() -> SessionPolicy {
        SessionPolicy::new(Duration::minutes(30), Duration::hours(12))
    }

    fn finding(session: Option<StoredSession>) -> MockConsoleSessionStore {
        let mut store = MockConsoleSessionStore::new();
        store
            .expect_find_session()
            .with(eq(digest(ID)))
            .return_once(move |_| Box::pin(async move { Ok(session) }));
        store
    }

    #[test]
    fn opening_stores_the_digest_at_the_clocks_time() {
        let mut store = MockConsoleSessionStore::new();
        store
            .expect_create_session()
            .withf(|s| s.digest == digest(ID) && s.key_lookup_id == "k1" && s.at == at(3))
            .return_once(|_| Box::pin(async { Ok(()) }));
        let sessions = SessionService::new(store, clock(3), policy());
        block_on(sessions.open(ID, "k1")).unwrap();
    }

    #[test]
    fn a_recent_session_is_live_and_nothing_is_written() {
        let sessions = SessionService::new(finding(Some(stored(0, true))), clock(0), policy());
        let resumed = block_on(sessions.resume(ID, Environment::Test)).unwrap();
        assert_eq!(
            resumed,
            Resumed::Live {
                tenant: tenant(Environment::Test),
                key_lookup_id: "k1".into()
            }
        );
    }

    #[test]
    fn activity_is_recorded_when_the_policy_asks() {
        let mut store = finding(Some(stored(0, true)));
        store
            .expect_touch_session()
            .with(eq(digest(ID)), eq(at(5)))
            .return_once(|_, _| Box::pin(async { Ok(()) }));
        let sessions = SessionService::new(store, clock(5), policy());
        let resumed = block_on(sessions.resume(ID, Environment::Test)).unwrap();
        assert!(matches!(resumed, Resumed::Live { .. }), "{resumed:?}");
    }

    #[test]
    fn an_idle_or_revoked_session_is_ended_and_says_why() {
        for (session, now, why) in [
            (stored(0, true), 31, SessionEnd::Idle),
            (stored(0, false), 1, SessionEnd::KeyRevoked),
        ] {
            let mut store = finding(Some(session));
            store
                .expect_end_session()
                .with(eq(digest(ID)))
                .return_once(|_| Box::pin(async { Ok(()) }));
            let sessions = SessionService::new(store, clock(now), policy());
            let resumed = block_on(sessions.resume(ID, Environment::Test)).unwrap();
            assert_eq!(resumed, Resumed::Gone(Some(why)));
        }
    }

    #[test]
    fn another_environments_or_an_unknown_session_opens_nothing() {
        let sessions = SessionService::new(finding(Some(stored(0, true))), clock(0), policy());
        let resumed = block_on(sessions.resume(ID, Environment::Prod)).unwrap();
        assert_eq!(resumed, Resumed::Gone(None));
        let sessions = SessionService::new(finding(None), clock(0), policy());
        assert_eq!(
            block_on(sessions.resume(ID, Environment::Test)).unwrap(),
            Resumed::Gone(None)
        );
    }

    #[test]
    fn another_accounts_session_is_ended_and_the_same_accounts_kept() {
        let sessions = SessionService::new(finding(Some(stored(0, true))), clock(0), policy());
        let same = tenant(Environment::Test).account;
        assert!(block_on(sessions.keep_if_of(ID, &same)).unwrap());

        let mut store = finding(Some(stored(0, true)));
        store
            .expect_end_session()
            .with(eq(digest(ID)))
            .return_once(|_| Box::pin(async { Ok(()) }));
        let sessions = SessionService::new(store, clock(0), policy());
        let other = AccountId(uuid::Uuid::from_u128(6));
        assert!(!block_on(sessions.keep_if_of(ID, &other)).unwrap());
    }
}
