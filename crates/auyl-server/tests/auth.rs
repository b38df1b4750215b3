//! Accounts and sessions on both backends, password hashing, and the login rate limit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use auyl_server::Config;
use auyl_store::{AddUser, NewSession, NewUser, Role, Store};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;

#[tokio::test]
async fn accounts_and_sessions_on_both_backends() {
    for db in auyl_testkit::both_backends().await {
        let store = Store::open(&db.url).await.unwrap();
        assert_eq!(store.user_count().await.unwrap(), 0);
        let new = NewUser {
            name: "aigerim",
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            role: Role::AkimatOfficer,
            organisation_id: None,
            region_code: Some("100000000"),
            created_at_s: 1_700_000_000,
        };
        let AddUser::Added(u) = store.add_user(&new).await.unwrap() else {
            panic!("{}: not added", db.backend)
        };
        assert_eq!(u.role, Role::AkimatOfficer);
        assert_eq!(store.add_user(&new).await.unwrap(), AddUser::NameTaken);
        assert_eq!(store.user("aigerim").await.unwrap(), Some(u.clone()));
        let (_, hash) = store
            .user_with_password_hash("aigerim")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hash, new.password_hash);
        store
            .add_session(&NewSession {
                token_sha256: "abc",
                user_name: "aigerim",
                csrf_token: "csrf",
                created_at_s: 100,
                expires_at_s: 200,
            })
            .await
            .unwrap();
        let s = store.session("abc", 150).await.unwrap().unwrap();
        assert_eq!((s.user, s.csrf_token.as_str()), (u, "csrf"));
        assert!(
            store.session("abc", 200).await.unwrap().is_none(),
            "expired"
        );
        assert!(store.session("abd", 150).await.unwrap().is_none());
        assert_eq!(store.delete_expired_sessions(250).await.unwrap(), 1);
        // Changing the password ends sessions; deleting the account too.
        store
            .add_session(&NewSession {
                token_sha256: "def",
                user_name: "aigerim",
                csrf_token: "c",
                created_at_s: 100,
                expires_at_s: 900,
            })
            .await
            .unwrap();
        assert!(store.set_password_hash("aigerim", "x").await.unwrap());
        assert!(store.session("def", 150).await.unwrap().is_none());
        assert!(store.delete_user("aigerim").await.unwrap());
        assert!(!store.delete_user("aigerim").await.unwrap());
        assert_eq!(store.users().await.unwrap(), vec![]);
        store.close().await;
    }
}

#[test]
fn passwords_are_salted_argon2id() {
    let a = auyl_server::auth::hash_password("secret pass").unwrap();
    let b = auyl_server::auth::hash_password("secret pass").unwrap();
    assert!(a.starts_with("$argon2id$"), "{a}");
    assert_ne!(a, b, "a fresh salt each time");
    assert!(auyl_server::auth::verify_password("secret pass", &a));
    assert!(!auyl_server::auth::verify_password("secret pasS", &a));
    assert!(!auyl_server::auth::verify_password(
        "secret pass",
        "not a hash"
    ));
}

fn login_req(name: &str, password: &str) -> Request<Body> {
    Request::post("/api/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            serde_json::json!({"name": name, "password": password}).to_string(),
        ))
        .unwrap()
}

#[tokio::test]
async fn logins_are_rate_limited_per_account_and_address() {
    let env = env_on(
        auyl_testkit::sqlite_db(),
        Config {
            login_failures_per_account: 3,
            login_failures_per_address: 6,
            ..Config::default()
        },
    )
    .await;
    // Wrong passwords for user-m: 401 three times, then 429 even with the right password.
    for _ in 0..3 {
        let (s, body, _) = env.call(login_req("user-m", "wrong password")).await;
        assert_error(s, &body, StatusCode::UNAUTHORIZED, "bad_credentials");
    }
    let (s, body, headers) = env.call(login_req("user-m", PASSWORD)).await;
    assert_error(s, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let wait: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 15 * 60, "{wait}");
    // Another account from the same address still signs in.
    let (s, _, _) = env.call(login_req("user-v", PASSWORD)).await;
    assert_eq!(s, StatusCode::OK);
    // Unknown names count against the address: 3 more failures reach its limit of 6.
    for i in 0..3 {
        let (s, _, _) = env.call(login_req(&format!("nobody-{i}"), "x")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, body, _) = env.call(login_req("user-v", PASSWORD)).await;
    assert_error(s, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

#[tokio::test]
async fn unknown_names_and_wrong_passwords_look_the_same() {
    let env = env().await;
    let (s1, b1, _) = env.call(login_req("user-a", "wrong password")).await;
    let (s2, b2, _) = env.call(login_req("nobody", "wrong password")).await;
    assert_eq!((s1, &b1), (s2, &b2));
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
}
