//! The shared limiter against a real Redis (`REDIS_URL`, the local one, or a throwaway
//! `redis-server`): its decisions, shared by every limiter on the same Redis, and what
//! it answers when Redis is not there.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use stickycalls_domain::ratelimit::{Admission, Quota, SharedLimiter};
use stickycalls_redis::{RedisLimiter, RedisSettings};
use stickycalls_test_support::{redis_url, unique_prefix};

fn quota(requests: u32, seconds: u64) -> Quota {
    Quota {
        requests: NonZeroU32::new(requests).unwrap(),
        window: Duration::from_secs(seconds),
    }
}

async fn limiter(url: &str, test: &str) -> RedisLimiter {
    node(url, unique_prefix(test)).await
}

/// A limiter with its own connection, as another node would have.
async fn node(url: &str, prefix: String) -> RedisLimiter {
    let limiter = RedisLimiter::connect(RedisSettings {
        url: url.to_owned(),
        prefix,
        timeout: Duration::from_millis(500),
    })
    .await
    .unwrap();
    assert!(limiter.connected(), "connected at once to {url}");
    limiter
}

#[tokio::test]
async fn the_quota_then_a_wait_as_the_in_process_limiter_answers() {
    let url = redis_url().unwrap();
    let limiter = limiter(&url, "quota").await;
    let q = quota(3, 60);
    let secs = |d: Duration| d.as_secs() + u64::from(d.subsec_nanos() > 0);
    let Admission::Allowed { remaining, reset } = limiter.admit("k1", q).await.unwrap() else {
        panic!("the first request fits");
    };
    assert_eq!((remaining, secs(reset)), (2, 20));
    limiter.admit("k1", q).await.unwrap();
    let Admission::Allowed { remaining, reset } = limiter.admit("k1", q).await.unwrap() else {
        panic!("the third request fits");
    };
    assert_eq!((remaining, secs(reset)), (0, 60));
    let Admission::Refused { retry_after } = limiter.admit("k1", q).await.unwrap() else {
        panic!("the fourth is over the quota");
    };
    assert!((19..=20).contains(&secs(retry_after)), "{retry_after:?}");
    assert!(matches!(
        limiter.admit("k2", q).await.unwrap(),
        Admission::Allowed { remaining: 2, .. }
    ));
}

#[tokio::test]
async fn three_nodes_on_one_redis_let_one_quota_through() {
    let url = redis_url().unwrap();
    let prefix = unique_prefix("shared");
    let q = quota(100, 3_600);
    let mut tasks = Vec::new();
    for n in 0..3 {
        let node = node(&url, prefix.clone()).await;
        tasks.push(tokio::spawn(async move {
            let mut allowed = 0;
            for _ in 0..100 + n {
                if let Admission::Allowed { .. } = node.admit("key", q).await.unwrap() {
                    allowed += 1;
                }
            }
            allowed
        }));
    }
    let mut allowed = 0;
    for task in tasks {
        allowed += task.await.unwrap();
    }
    assert_eq!(
        allowed, 100,
        "303 requests over three nodes, a quota of 100"
    );
}

#[tokio::test]
async fn the_script_is_loaded_again_after_redis_forgot_it() {
    let url = redis_url().unwrap();
    let limiter = limiter(&url, "flush").await;
    let q = quota(2, 3_600);
    assert!(matches!(
        limiter.admit("x", q).await.unwrap(),
        Admission::Allowed { .. }
    ));
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut admin = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut admin)
        .await
        .unwrap();
    assert!(matches!(
        limiter.admit("x", q).await.unwrap(),
        Admission::Allowed { remaining: 0, .. }
    ));
    assert!(matches!(
        limiter.admit("x", q).await.unwrap(),
        Admission::Refused { .. }
    ));
}

#[tokio::test]
async fn an_unreachable_redis_answers_an_error_at_once() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let limiter = RedisLimiter::connect(RedisSettings {
        url: format!("redis://127.0.0.1:{port}/"),
        prefix: "x:".into(),
        timeout: Duration::from_millis(200),
    })
    .await
    .unwrap();
    let began = Instant::now();
    for _ in 0..50 {
        assert!(limiter.admit("k", quota(1, 1)).await.is_err());
    }
    assert!(!limiter.connected());
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "no request waits for a dead Redis"
    );
    assert!(
        RedisLimiter::connect(RedisSettings {
            url: "http://nope".into(),
            prefix: String::new(),
            timeout: Duration::from_millis(200),
        })
        .await
        .is_err(),
        "a malformed URL is refused at start"
    );
}
