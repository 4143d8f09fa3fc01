//! The outbox's order: writers commit events out of id order (each keeps its transaction
//! open a while after writing), two sequencers run at once, and a reader polls by position
//! all along. The reader must see positions 1, 2, 3 … one after the other, never a later
//! one before an earlier one: a position it has read past is never filled in afterwards.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use models::worker::{NewWorker, Status};
use models::{outbox, DbConn, DbError, DbUrl, Jurisdiction, OrgId};

use crate::helpers::{resident_id, TestApp};

const WRITERS: usize = 4;
const EACH: usize = 12;

fn connect(url: &str) -> DbConn {
    DbUrl::parse(url).connect().unwrap()
}

#[actix_web::test]
async fn positions_are_gapless_and_no_reader_skips_an_event_that_commits_late() {
    // No background delivery: the sequencers here are the only ones.
    let app = TestApp::spawn_with(|s| s.delivery.interval_ms = 0).await;
    let county = app.lanshan().await;
    let ent = app.enterprise(&app.admin_token, &county, "兰山甲公司").await;
    let (url, cipher) = (app.database_url.clone(), app.cipher());
    let scope = {
        let mut conn = connect(&url);
        Jurisdiction::of(&models::organization::root(&mut conn, &cipher).unwrap().unwrap())
    };
    let writing = Arc::new(AtomicBool::new(true));

    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (url, cipher, ent) = (url.clone(), cipher.clone(), ent.clone());
            std::thread::spawn(move || {
                let mut conn = connect(&url);
                for n in 0..EACH {
                    let new = NewWorker {
                        organization_id: OrgId::parse(&ent).unwrap(),
                        account_id: None,
                        name: format!("工人{w}-{n}"),
                        resident_id: exam::ResidentId::parse(&resident_id()).unwrap(),
                        phone: None,
                        role: exam::WorkerRole::OtherStaff,
                        position: None,
                        status: Status::PreRegistered,
                        face_consent_version: None,
                    };
                    models::db::write_transaction(&mut conn, |c| {
                        models::worker::insert(c, &cipher, new)?;
                        // Committed late: a later id may commit (and be sequenced) first.
                        std::thread::sleep(Duration::from_millis(((w * 7 + n * 3) % 11) as u64));
                        Ok::<_, DbError>(())
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    let sequencers: Vec<_> = (0..2)
        .map(|_| {
            let (url, writing) = (url.clone(), writing.clone());
            std::thread::spawn(move || {
                let mut conn = connect(&url);
                while writing.load(Ordering::SeqCst) {
                    outbox::sequence(&mut conn, 5).unwrap();
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
        })
        .collect();
    let reader = {
        let (url, cipher, writing, scope) = (url.clone(), cipher.clone(), writing.clone(), scope.clone());
        std::thread::spawn(move || {
            let mut conn = connect(&url);
            let (mut cursor, mut reads) = (0, 0);
            loop {
                let done = !writing.load(Ordering::SeqCst);
                let top = outbox::high_water(&mut conn).unwrap();
                for e in outbox::read(&mut conn, &cipher, &scope, cursor, top, 1000).unwrap() {
                    assert_eq!(e.position, cursor + 1, "a gap after {cursor}");
                    cursor = e.position;
                }
                assert_eq!(cursor, top, "everything up to the top is readable");
                reads += 1;
                if done {
                    return (cursor, reads);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    for w in writers {
        w.join().unwrap();
    }
    // The last sequencing after every writer committed.
    outbox::sequence(&mut connect(&url), outbox::SEQUENCE_BATCH).unwrap();
    writing.store(false, Ordering::SeqCst);
    for s in sequencers {
        s.join().unwrap();
    }
    let (read, reads) = reader.join().unwrap();
    let total = (WRITERS * EACH) as i64;
    assert_eq!(read, total, "the reader saw all {total} events");
    assert!(reads > 10, "the reader polled while events were written ({reads} reads)");
    let mut conn = connect(&url);
    assert_eq!((outbox::unsequenced(&mut conn).unwrap(), outbox::high_water(&mut conn).unwrap()), (0, total));
    // Every event's position is the place of its commit, and each tells of one record.
    let events = outbox::read(&mut conn, &cipher, &scope, 0, total, 1000).unwrap();
    let subjects: std::collections::HashSet<&str> = events.iter().map(|e| e.subject_id.as_str()).collect();
    assert_eq!(subjects.len(), WRITERS * EACH);
    assert!(events.iter().all(|e| e.kind == exam::integration::EventKind::WorkerChanged));
}
