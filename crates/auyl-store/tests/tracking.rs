//! Tracking storage on both backends: generated works round-trip, edits are version-checked and
//! audited in one transaction, batches are all or nothing, concurrent edits of the same work
//! conflict instead of overwriting each other, and a tampered audit row is found.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

use auyl_model::{Id, Plan};
use auyl_store::{Store, TrackError};
use auyl_testkit::both_backends;
use auyl_track::*;
use time::{Date, Month};

fn plan() -> Plan {
    serde_json::from_str(
        &std::fs::read_to_string(
            auyl_testkit::repo_root().join("crates/auyl-track/tests/fixtures/plan_small.json"),
        )
        .unwrap(),
    )
    .unwrap()
}

fn generated() -> Generated {
    generate(&plan(), &Durations::default(), &|_| {
        Some("100000000".into())
    })
    .unwrap()
}

fn ctx(who: &str, m: u8, d: u8) -> EditContext {
    let on = Date::from_calendar_date(2026, Month::try_from(m).unwrap(), d).unwrap();
    EditContext {
        who: who.into(),
        at: format!("{}T10:00:00Z", format_date(on)),
        on,
    }
}

#[tokio::test]
async fn works_edits_batches_and_audit_on_both_backends() {
    for db in both_backends().await {
        let store = Store::open(&db.url).await.unwrap();
        let g = generated();
        let s = store
            .insert_generated(&g, &ctx("planner", 3, 1))
            .await
            .unwrap();
        assert_eq!(
            (s.works_added, s.works_kept),
            (g.works.len() as u64, 0),
            "{}",
            db.backend
        );
        // Generating again keeps the stored works (and their progress).
        let s = store
            .insert_generated(&g, &ctx("planner", 3, 2))
            .await
            .unwrap();
        assert_eq!((s.works_added, s.works_kept), (0, g.works.len() as u64));
        let mut expected = g.works.clone();
        expected.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(
            store.load_works().await.unwrap(),
            expected,
            "{}",
            db.backend
        );
        let mut ts = g.settlements.clone();
        ts.sort_by(|a, b| a.settlement_id.cmp(&b.settlement_id));
        assert_eq!(store.load_tracked_settlements().await.unwrap(), ts);

        // One edit: version checked, audited, blocker history kept.
        let land = Id::new("site:abay-1/land_allotment");
        let mut u = WorkUpdate::status(land.clone(), 1, Status::Blocked);
        u.blocker = Some(Blocker {
            reason: BlockerReason::Land,
            who_must_act: Id::new("akimat:100000000"),
            since: ctx("x", 4, 2).on,
            note: "plot under dispute".into(),
        });
        let a = store
            .apply_edit(&u, &ctx("kcell.ivanov", 4, 2))
            .await
            .unwrap();
        assert_eq!(a.work.version, 2);
        let e = store
            .apply_edit(&u, &ctx("kcell.petrov", 4, 3))
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                TrackError::Rule(Error::Conflict {
                    expected: 1,
                    actual: 2,
                    ..
                })
            ),
            "{}: {e}",
            db.backend
        );

        // A batch with one bad edit writes nothing; the same batch without it writes all.
        let power = Id::new("site:abay-1/power_connection");
        let good = vec![
            WorkUpdate::status(land.clone(), 2, Status::InProgress),
            WorkUpdate::status(land.clone(), 3, Status::Done),
            WorkUpdate::status(power.clone(), 1, Status::InProgress),
        ];
        let mut bad = good.clone();
        bad.push(WorkUpdate::status(
            Id::new("site:abay-1/mast_construction"),
            1,
            Status::InProgress,
        ));
        let before = store.load_works().await.unwrap();
        let log_before = store.audit_log().await.unwrap();
        let e = store
            .apply_batch(&bad, &ctx("kcell", 5, 1))
            .await
            .unwrap_err();
        assert!(
            matches!(e, TrackError::Rule(Error::Batch { index: 3, .. })),
            "{e}"
        );
        assert_eq!(store.load_works().await.unwrap(), before);
        assert_eq!(store.audit_log().await.unwrap(), log_before);
        let applied = store.apply_batch(&good, &ctx("kcell", 5, 1)).await.unwrap();
        assert_eq!(applied.len(), 3);
        let works = store.load_works().await.unwrap();
        let w = works.iter().find(|w| w.id == land).unwrap();
        assert_eq!((w.status, w.version), (Status::Done, 4));

        // The blocker history: the land blocker opened on 4/2 was closed by the batch that
        // lifted it on 5/1; blocking the power connection opens the next one.
        let mut u = WorkUpdate::status(power.clone(), 2, Status::Blocked);
        u.blocker = Some(Blocker {
            reason: BlockerReason::Electricity,
            who_must_act: Id::new("akimat:100000000"),
            since: ctx("x", 5, 2).on,
            note: "no line to the site".into(),
        });
        store.apply_batch(&[u], &ctx("kcell", 5, 2)).await.unwrap();
        let history: Vec<(i64, String, String, String, String, Option<String>)> = sqlx::query(
            "SELECT \"id\", \"work_id\", \"reason\", \"since\", \"note\", \"resolved_on\" \
                 FROM \"blockers\" ORDER BY \"id\"",
        )
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            use sqlx::Row;
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5))
        })
        .collect();
        let day = |m, d| format_date(ctx("x", m, d).on);
        assert_eq!(
            history,
            vec![
                (
                    1,
                    land.to_string(),
                    "land".to_string(),
                    day(4, 2),
                    "plot under dispute".to_string(),
                    Some(day(5, 1))
                ),
                (
                    2,
                    power.to_string(),
                    "electricity".to_string(),
                    day(5, 2),
                    "no line to the site".to_string(),
                    None
                ),
            ],
            "{}",
            db.backend
        );

        // The audit chain verifies and ends at the stored head.
        let log = store.audit_log().await.unwrap();
        let head = store.audit_head().await.unwrap();
        assert_eq!(verify_chain(&log, Some(&head)).unwrap(), head);
        assert!(
            log.iter()
                .any(|e| e.who == "kcell.ivanov" && e.field == "blocker")
        );
        store.close().await;
    }
}

#[tokio::test]
async fn concurrent_edits_of_one_work_conflict_on_both_backends() {
    for db in both_backends().await {
        let store = Store::open(&db.url).await.unwrap();
        store
            .insert_generated(&generated(), &ctx("planner", 3, 1))
            .await
            .unwrap();
        let other = Store::open(&db.url).await.unwrap();
        let id = Id::new("site:abay-1/land_allotment");
        // Two editors read version 1 and save at the same time.
        let mut a = WorkUpdate::status(id.clone(), 1, Status::InProgress);
        a.comment = Some("started by A".into());
        let mut b = WorkUpdate::status(id.clone(), 1, Status::InProgress);
        b.comment = Some("started by B".into());
        let ca = ctx("a", 4, 1);
        let cb = ctx("b", 4, 1);
        let (ra, rb) = tokio::join!(store.apply_edit(&a, &ca), other.apply_edit(&b, &cb));
        let oks = [ra.is_ok(), rb.is_ok()];
        assert_eq!(
            oks.iter().filter(|x| **x).count(),
            1,
            "{}: exactly one wins: {ra:?} {rb:?}",
            db.backend
        );
        let lost = if ra.is_ok() { rb } else { ra };
        assert!(
            matches!(
                lost,
                Err(TrackError::Rule(Error::Conflict {
                    expected: 1,
                    actual: 2,
                    ..
                }))
            ),
            "{}: {lost:?}",
            db.backend
        );
        let w = store
            .load_works()
            .await
            .unwrap()
            .into_iter()
            .find(|w| w.id == id)
            .unwrap();
        assert_eq!(w.version, 2);
        let winner = if oks[0] {
            "started by A"
        } else {
            "started by B"
        };
        assert_eq!(w.comment, winner);
        let log = store.audit_log().await.unwrap();
        assert!(verify_chain(&log, None).is_ok());
        store.close().await;
        other.close().await;
    }
}

#[tokio::test]
async fn a_tampered_audit_row_is_pinpointed_on_both_backends() {
    for db in both_backends().await {
        let store = Store::open(&db.url).await.unwrap();
        store
            .insert_generated(&generated(), &ctx("planner", 3, 1))
            .await
            .unwrap();
        let id = Id::new("site:abay-1/land_allotment");
        store
            .apply_edit(
                &WorkUpdate::status(id.clone(), 1, Status::InProgress),
                &ctx("a", 4, 1),
            )
            .await
            .unwrap();
        store
            .apply_edit(
                &WorkUpdate::status(id.clone(), 2, Status::Done),
                &ctx("a", 5, 1),
            )
            .await
            .unwrap();
        let log = store.audit_log().await.unwrap();
        let target = log
            .iter()
            .find(|e| e.field == "status" && e.new == "done")
            .unwrap()
            .seq;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE audit_log SET new_value = 'accepted' WHERE seq = {target}"
        )))
        .execute(store.pool())
        .await
        .unwrap();
        let e = verify_chain(&store.audit_log().await.unwrap(), None).unwrap_err();
        assert_eq!(
            e,
            ChainBreak {
                seq: target,
                kind: BreakKind::ContentChanged
            },
            "{}",
            db.backend
        );
        store.close().await;
    }
}

/// A batch larger than one bulk statement (the store writes and loads in chunks of 5,000 rows):
/// every row applied, loaded back in id order and audited in one chain; a stale last row rolls
/// the whole batch back.
#[tokio::test]
async fn batches_larger_than_a_statement_apply_whole_on_both_backends() {
    const N: usize = 12_001;
    for db in both_backends().await {
        let store = Store::open(&db.url).await.unwrap();
        let mut g = generated();
        let template = g
            .works
            .iter()
            .find(|w| w.depends_on.is_empty())
            .unwrap()
            .clone();
        // Ids in an order that differs from the insertion order across chunks.
        g.works = (0..N)
            .map(|i| {
                let mut w = template.clone();
                w.id = Id::new(format!("bulk:{:05}/{}", (i * 7919) % N, w.kind.as_str()));
                w
            })
            .collect();
        store
            .insert_generated(&g, &ctx("planner", 3, 1))
            .await
            .unwrap();
        let log_before = store.audit_log().await.unwrap().len();
        let updates: Vec<WorkUpdate> = g
            .works
            .iter()
            .map(|w| {
                let mut u = WorkUpdate::status(w.id.clone(), w.version, Status::InProgress);
                u.comment = Some(format!("row {}", w.id));
                u
            })
            .collect();
        let applied = store
            .apply_batch(&updates, &ctx("kcell", 5, 1))
            .await
            .unwrap();
        assert_eq!(applied.len(), N, "{}", db.backend);
        let works = store.load_works().await.unwrap();
        assert_eq!(works.len(), N, "{}", db.backend);
        assert!(works.windows(2).all(|p| p[0].id < p[1].id));
        for w in &works {
            assert_eq!(
                (w.status, w.version, w.comment.as_str()),
                (
                    Status::InProgress,
                    template.version + 1,
                    format!("row {}", w.id).as_str()
                ),
                "{}",
                db.backend
            );
        }
        let log = store.audit_log().await.unwrap();
        let changes: usize = applied.iter().map(|a| a.changes.len()).sum();
        assert!(changes >= 2 * N);
        assert_eq!(log.len() - log_before, changes, "{}", db.backend);
        let head = store.audit_head().await.unwrap();
        assert_eq!(verify_chain(&log, Some(&head)).unwrap(), head);

        // The same size again with a stale last row: nothing is written.
        let mut again: Vec<WorkUpdate> = works
            .iter()
            .map(|w| {
                let mut u = WorkUpdate::status(w.id.clone(), w.version, Status::InProgress);
                u.comment = Some("second pass".into());
                u
            })
            .collect();
        again[N - 1].expected_version -= 1;
        let e = store
            .apply_batch(&again, &ctx("kcell", 5, 2))
            .await
            .unwrap_err();
        assert!(
            matches!(e, TrackError::Rule(Error::Batch { index, .. }) if index == N - 1),
            "{}: {e}",
            db.backend
        );
        assert_eq!(store.load_works().await.unwrap(), works);
        assert_eq!(store.audit_log().await.unwrap(), log);
        store.close().await;
    }
}
