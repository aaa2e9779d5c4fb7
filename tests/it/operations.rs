//! Operations: the health check writes, a database outage is answered fast and recovered from,
//! mail leases, metrics, request ids, the systemd unit and encrypted TOTP secrets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::TestApp;
use kontosparr::clock::Clock;
use kontosparr::db;

async fn healthz_writes_a_heartbeat(app: TestApp) {
    let mut b = app.browser();
    let r = b.get("/healthz").await;
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));
    let first = db::health::last_beat(&mut app.conn(), &app.state.node).unwrap();
    assert_eq!(first, Some(db::ts(app.clock.now())));
    app.clock.advance(chrono::Duration::seconds(90));
    assert_eq!(b.get("/healthz").await.status, 200);
    let second = db::health::last_beat(&mut app.conn(), &app.state.node).unwrap();
    assert_eq!(
        second,
        Some(db::ts(app.clock.now())),
        "the row is updated, not added"
    );
}

dual!(healthz_writes_a_heartbeat);

/// With every connection taken (as when the database hangs), a page waits at most the pool's
/// checkout timeout (2 s) and answers the Swedish 503 page; it works again once one is free.
async fn pages_fail_fast_when_no_connection_comes(app: TestApp) {
    use kontosparr::domain::Role;
    let unit = app.unit("OPS1");
    let u = app.user(&[Role::Clinician], &[unit]);
    let mut b = app.browser();
    app.login(&mut b, &u).await;
    assert_eq!(b.get("/").await.status, 200);
    let held: Vec<_> = (0..app.pool.max_size()).map(|_| app.conn()).collect();
    let started = std::time::Instant::now();
    let r = b.get("/").await;
    let took = started.elapsed();
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("Försök igen om en stund"), "{}", r.body);
    assert!(!r.body.contains("panicked") && !r.body.contains("r2d2"));
    assert_eq!(r.header("retry-after"), Some("10"));
    assert!(
        took >= std::time::Duration::from_millis(1900)
            && took < std::time::Duration::from_millis(2600),
        "503 after {took:?}"
    );
    let h = b.get("/healthz").await;
    assert_eq!((h.status, h.body.as_str()), (503, "database unavailable"));
    println!("all connections taken: page 503 after {took:?}");
    drop(held);
    assert_eq!(b.get("/").await.status, 200);
    assert_eq!(b.get("/healthz").await.status, 200);
}

dual!(pages_fail_fast_when_no_connection_comes);
