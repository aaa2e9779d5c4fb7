//! Small hardening fixes, each pinned by a test; those that touch the database run on SQLite and
//! on PostgreSQL. The section numbers are the items of the hardening list.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use kontosparr::domain::Role;

dual!(a_huge_page_number_is_an_empty_page,);

// ---------------------------------------------------------------------------------------------
// 2. `?sida=i64::MAX` must not wrap to a negative OFFSET (PostgreSQL refuses one).

async fn a_huge_page_number_is_an_empty_page(app: TestApp) {
    let unit = app.unit("A");
    let admin = app.user(&[Role::Admin], &[]);
    let handler = app.user(&[Role::Handler], &[]);
    let nurse = app.user(&[Role::Clinician], &[unit]);
    let mut a = app.browser();
    app.login(&mut a, &admin).await;
    let mut h = app.browser();
    app.login(&mut h, &handler).await;
    let mut n = app.browser();
    app.login(&mut n, &nurse).await;
    let max = i64::MAX;
    for path in [
        format!("/admin/anvandare?sida={max}"),
        format!("/admin/anvandare?q=Testa&sida={max}"),
        format!("/admin/enheter?sida={max}"),
        format!("/admin/vardgivare?sida={max}"),
        format!("/admin/post?sida={max}"),
    ] {
        let r = a.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
    }
    for path in [
        format!("/arenden?sida={max}"),
        format!("/handlaggning?sida={max}"),
    ] {
        let r = h.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
    }
    let r = n.get(&format!("/omprovningar?sida={max}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
}
