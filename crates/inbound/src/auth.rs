//! Who is calling: the key, sent as `Authorization: Bearer <key>` or as HTTP Basic
//! credentials with the key as the user name (for platforms whose HTTP blocks only do
//! basic auth), checked with argon2id off the async workers with
//! bounded concurrency, then cached briefly by a digest of the token. Requests that
//! arrive together with the same uncached key share one check.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{FromRequest, HttpRequest, web};
use moka::future::Cache;
use sha2::{Digest, Sha256};
use stickycalls_domain::keys::{Admission, KeyService};
use stickycalls_domain::ports::{Clock, KeyStore};
use stickycalls_domain::tenant::{Tenant, TenantId};
use tokio::sync::Semaphore;

use crate::error::ApiError;
use crate::{AppState, Backend, keys};

/// How long a verified key is trusted without checking again, by default
/// (`STICKYCALLS_KEY_CACHE_SECONDS`). A revoked key keeps working on another process
/// that verified it and missed the store's broadcast for at most this long.
pub const VERIFIED_KEY_TTL: Duration = Duration::from_secs(60);

/// Who a verified key acts for: its tenant, its id, and the plan setting its rate limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The key's tenant.
    pub tenant: TenantId,
    /// The key's public lookup id.
    pub lookup_id: Arc<str>,
    /// The tenant's plan when the key was verified.
    pub plan: Arc<str>,
}

/// Checks keys: the hash here (argon2, off the async workers, cached), what a key
/// opens in the domain (`KeyService::admit`).
pub struct KeyVerifier<S, C> {
    keys: KeyService<S, C, keys::Argon2Minter>,
    verified: Cache<[u8; 32], Verified>,
    /// Keys this process revoked, kept past the cache lifetime: a check that read the
    /// key just before its revocation cannot make it work again here.
    revoked: Cache<Arc<str>, ()>,
    hashing: Arc<Semaphore>,
    decoy: String,
}

impl<S, C> std::fmt::Debug for KeyVerifier<S, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyVerifier")
            .field("cached", &self.verified.entry_count())
            .finish()
    }
}

/// Why a key was refused (all 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization: Bearer ...` nor `Basic ...`.
    Missing,
    /// Not the shape of a key.
    Malformed,
    /// Unknown, wrong or revoked (indistinguishable on purpose).
    Invalid,
}

impl<S: KeyStore, C: Clock> KeyVerifier<S, C> {
    /// A verifier trusting a verified key for `ttl`. Checks wait their turn here,
    /// without holding a thread: the process runs one argon2 computation at a time, on
    /// one block of memory (`argon2_memory`).
    pub fn new(store: S, clock: C, ttl: Duration) -> Self {
        Self {
            keys: KeyService::new(store, clock, keys::Argon2Minter),
            verified: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl)
                .support_invalidation_closures()
                .build(),
            revoked: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl.saturating_mul(2))
                .build(),
            hashing: Arc::new(Semaphore::new(1)),
            decoy: keys::DECOY_HASH.to_owned(),
        }
    }

    /// The tenant a token opens. An unknown key costs the same argon2 work as a wrong
    /// one, so timing tells nothing. Concurrent requests with the same uncached token
    /// wait for one check (argon2 takes 19 MiB and ~30 ms a time); a refusal is never
    /// cached.
    pub async fn verify(&self, token: &str) -> Result<Verified, ApiError> {
        let parsed = keys::parse(token).ok_or(refusal(Refusal::Malformed))?;
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let verified = match self.verified.get(&digest).await {
            Some(verified) => verified,
            None => self
                .verified
                .try_get_with(digest, self.check(token, parsed))
                .await
                .map_err(ApiError::from_shared)?,
        };
        if self.revoked.contains_key(&verified.lookup_id) {
            self.verified.invalidate(&digest).await;
            return Err(refusal(Refusal::Invalid));
        }
        Ok(verified)
    }

    /// The argon2 check of a token against its stored hash (or the decoy).
    async fn check(&self, token: &str, parsed: keys::ParsedKey<'_>) -> Result<Verified, ApiError> {
        let stored = self.keys.find(parsed.lookup_id).await?;
        let phc = stored
            .as_ref()
            .map_or_else(|| self.decoy.clone(), |k| k.hash.clone());
        let permit = self
            .hashing
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ApiError::internal(e.into()))?;
        let token_owned = token.to_owned();
        let matches = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            keys::verify(&token_owned, &phc)
        })
        .await
        .map_err(|e| ApiError::internal(e.into()))?;
        match self.keys.admit(stored, parsed.environment, matches).await {
            Admission::Admitted { key, unrecorded } => {
                if let Some(e) = unrecorded {
                    tracing::warn!("last use of a key not recorded: {e:#}");
                }
                Ok(Verified {
                    tenant: key.tenant,
                    lookup_id: key.lookup_id.into(),
                    plan: key.plan.into(),
                })
            }
            Admission::Refused => Err(refusal(Refusal::Invalid)),
        }
    }

    /// Forgets every verified key: each is checked against the store again on its next
    /// request (a node that may have missed a revocation).
    pub fn forget_all(&self) {
        self.verified.invalidate_all();
    }

    /// Forgets every cached verification of a key, so this process refuses it from
    /// the next request on, including a verification of it still under way. Called by
    /// the revoking request and for each revocation the store broadcasts.
    pub async fn forget(&self, lookup_id: &str) {
        let lookup_id: Arc<str> = lookup_id.into();
        self.revoked.insert(lookup_id.clone(), ()).await;
        if let Err(e) = self
            .verified
            .invalidate_entries_if(move |_, v| v.lookup_id == lookup_id)
        {
            tracing::error!("cannot forget a revoked key, clearing the cache: {e}");
            self.verified.invalidate_all();
        }
    }
}

fn refusal(why: Refusal) -> ApiError {
    ApiError::unauthorized(match why {
        Refusal::Missing => {
            "Missing API key: send `Authorization: Bearer sk_test_...` (or `sk_prod_...`), \
             or the key as the Basic auth user name"
        }
        Refusal::Malformed => "Malformed API key: expected `sk_test_...` or `sk_prod_...`",
        Refusal::Invalid => "Invalid API key",
    })
}

/// The authenticated tenant of a request.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Tenant);

/// The key a request presents: `Authorization: Bearer <key>`, or `Basic` credentials
/// whose user name is the key and whose password is empty or anything (the way Stripe
/// takes its keys: <https://docs.stripe.com/api/authentication>, "provide your API key
/// as the basic auth username value. You do not need to provide a password"). Basic
/// credentials that do not decode present an empty key, refused as malformed. `None`
/// when no such header is there.
fn presented_key(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get("authorization")?.to_str().ok()?.trim();
    let (scheme, credentials) = value.split_once(' ')?;
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        Some(credentials.to_owned())
    } else if scheme.eq_ignore_ascii_case("basic") {
        Some(basic_user(credentials).unwrap_or_default())
    } else {
        None
    }
}

/// The user name of RFC 7617 credentials (`base64(user ":" password)`).
fn basic_user(credentials: &str) -> Option<String> {
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(credentials)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, _password) = text.split_once(':')?;
    Some(user.to_owned())
}

pub fn authenticate<B: Backend>(
    req: &HttpRequest,
) -> Pin<Box<dyn Future<Output = Result<Authenticated, ApiError>>>> {
    let state = req.app_data::<web::Data<AppState<B>>>().cloned();
    let token = presented_key(req);
    let req = req.clone();
    Box::pin(async move {
        let state = state.ok_or_else(|| ApiError::internal(anyhow::anyhow!("no app state")))?;
        let token = token.ok_or(refusal(Refusal::Missing))?;
        let verified = state.keys.verify(&token).await?;
        state
            .limits
            .admit_key(&req, &verified.plan, &verified.lookup_id)
            .await?;
        let policy = state.policies.of(verified.tenant, &state.settings).await?;
        Ok(Authenticated(Tenant {
            id: verified.tenant,
            policy,
        }))
    })
}

/// Extracts [`Authenticated`] for backend `B`.
#[derive(Debug)]
pub struct Auth<B>(pub Authenticated, std::marker::PhantomData<B>);

impl<B: Backend> FromRequest for Auth<B> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let fut = authenticate::<B>(req);
        Box::pin(async move { fut.await.map(|a| Auth(a, std::marker::PhantomData)) })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use actix_web::test::TestRequest;

    use stickycalls_domain::accounts::StoredKey;
    use stickycalls_domain::ports::{MockClock, MockKeyStore};
    use stickycalls_domain::tenant::{AccountId, Environment};

    use super::*;

    fn test_clock() -> MockClock {
        let mut clock = MockClock::new();
        clock.expect_now().returning(|| {
            stickycalls_domain::Timestamp::parse("2026-03-01T10:00:00.000Z").unwrap()
        });
        clock
    }

    fn store_holding(key: StoredKey, lookups: Arc<AtomicUsize>) -> MockKeyStore {
        let mut store = MockKeyStore::new();
        store
            .expect_touch_key()
            .returning(|_, _| Box::pin(async { Ok(()) }));
        store.expect_find_key().returning(move |_| {
            lookups.fetch_add(1, Ordering::SeqCst);
            let key = key.clone();
            Box::pin(async move { Ok(Some(key)) })
        });
        store
    }

    /// Sixteen requests arriving together with a key not yet cached run one argon2
    /// check between them (each check holds 19 MiB), and all get the tenant.
    #[tokio::test]
    async fn requests_together_with_one_new_key_share_one_check() {
        let minted = keys::generate(Environment::Test, "default").unwrap();
        let (token, new_key) = (minted.token.into_exposed(), minted.key);
        let tenant = TenantId {
            account: AccountId(uuid::Uuid::from_u128(7)),
            environment: Environment::Test,
        };
        let lookups = Arc::new(AtomicUsize::new(0));
        let verifier = KeyVerifier::new(
            store_holding(
                StoredKey {
                    lookup_id: new_key.lookup_id.clone(),
                    tenant,
                    hash: new_key.hash.clone(),
                    revoked: false,
                    plan: "free".into(),
                },
                lookups.clone(),
            ),
            test_clock(),
            VERIFIED_KEY_TTL,
        );
        let answers =
            futures_util::future::join_all((0..16).map(|_| verifier.verify(&token))).await;
        assert!(
            answers
                .iter()
                .all(|a| matches!(a, Ok(v) if v.tenant == tenant))
        );
        assert_eq!(
            lookups.load(Ordering::SeqCst),
            1,
            "one check for sixteen requests"
        );
        verifier.verify(&token).await.unwrap();
        assert_eq!(lookups.load(Ordering::SeqCst), 1, "then the cache answers");
    }

    /// A check that read the key just before another request revoked it cannot make
    /// the revoked key work on this process: neither that request nor the next.
    #[tokio::test]
    async fn a_check_racing_the_revocation_does_not_revive_the_key() {
        let minted = keys::generate(Environment::Test, "default").unwrap();
        let (token, new_key) = (minted.token.into_exposed(), minted.key);
        let read = Arc::new(tokio::sync::Notify::new());
        let answer = Arc::new(tokio::sync::Notify::new());
        let mut store = MockKeyStore::new();
        store
            .expect_touch_key()
            .returning(|_, _| Box::pin(async { Ok(()) }));
        let stale = StoredKey {
            lookup_id: new_key.lookup_id.clone(),
            tenant: TenantId {
                account: AccountId(uuid::Uuid::from_u128(9)),
                environment: Environment::Test,
            },
            hash: new_key.hash.clone(),
            revoked: false,
            plan: "free".into(),
        };
        let (read_tx, answer_rx) = (read.clone(), answer.clone());
        store.expect_find_key().returning(move |_| {
            let (key, read, answer) = (stale.clone(), read_tx.clone(), answer_rx.clone());
            Box::pin(async move {
                read.notify_one();
                answer.notified().await;
                Ok(Some(key))
            })
        });
        let verifier = KeyVerifier::new(store, test_clock(), VERIFIED_KEY_TTL);
        let (racing, ()) = tokio::join!(verifier.verify(&token), async {
            read.notified().await;
            verifier.forget(&new_key.lookup_id).await;
            answer.notify_one();
        });
        assert!(racing.is_err_and(|e| e.status() == 401));
        // The next check reads the same stale row (a replica lagging, say).
        answer.notify_one();
        let next = verifier.verify(&token).await;
        assert!(
            next.is_err_and(|e| e.status() == 401),
            "not served from the cache"
        );
    }

    /// A refusal is shared by the requests that waited for it but never cached: the
    /// next request checks again.
    #[tokio::test]
    async fn a_refused_key_is_checked_again_next_time() {
        let minted = keys::generate(Environment::Test, "default").unwrap();
        let (token, new_key) = (minted.token.into_exposed(), minted.key);
        let lookups = Arc::new(AtomicUsize::new(0));
        let verifier = KeyVerifier::new(
            store_holding(
                StoredKey {
                    lookup_id: new_key.lookup_id.clone(),
                    tenant: TenantId {
                        account: AccountId(uuid::Uuid::from_u128(8)),
                        environment: Environment::Test,
                    },
                    hash: new_key.hash.clone(),
                    revoked: true,
                    plan: "free".into(),
                },
                lookups.clone(),
            ),
            test_clock(),
            VERIFIED_KEY_TTL,
        );
        let answers = futures_util::future::join_all((0..4).map(|_| verifier.verify(&token))).await;
        assert!(
            answers
                .iter()
                .all(|a| a.as_ref().is_err_and(|e| e.status() == 401))
        );
        assert_eq!(lookups.load(Ordering::SeqCst), 1);
        assert!(verifier.verify(&token).await.is_err());
        assert_eq!(lookups.load(Ordering::SeqCst), 2, "refusals are not cached");
    }

    fn presented(header: &str) -> Option<String> {
        presented_key(
            &TestRequest::default()
                .insert_header(("Authorization", header))
                .to_http_request(),
        )
    }

    /// Basic credentials present their user name, whatever the password; Bearer its
    /// token; anything else (or garbage after Basic) presents no usable key.
    #[test]
    fn bearer_or_basic_with_the_key_as_user_name() {
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let key = "sk_test_0123456789abcdef_secret";
        assert_eq!(presented(&format!("Bearer {key}")).as_deref(), Some(key));
        assert_eq!(presented(&format!("bearer  {key} ")).as_deref(), Some(key));
        assert_eq!(
            presented(&format!("Basic {}", b64(&format!("{key}:")))).as_deref(),
            Some(key)
        );
        assert_eq!(
            presented(&format!("basic {}", b64(&format!("{key}:x:y")))).as_deref(),
            Some(key)
        );
        assert_eq!(
            presented(&format!("Basic {}", b64(key))).as_deref(),
            Some(""),
            "no colon"
        );
        assert_eq!(presented("Basic !!!").as_deref(), Some(""));
        assert_eq!(presented(&format!("Digest {key}")), None);
        assert_eq!(presented(&format!("Token {key}")), None);
        assert_eq!(
            presented_key(&TestRequest::default().to_http_request()),
            None
        );
    }
}
