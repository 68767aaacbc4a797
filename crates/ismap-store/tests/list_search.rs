//! The public lists' search on its index (issue 12, item 14), on both
//! backends: words combine with AND, ignore case, match Japanese of any
//! length, take `%` and `_` literally, and the index follows every write of
//! the searched columns (FTS5 triggers on SQLite, an expression index on
//! PostgreSQL).

use ismap_domain::registration::ListKind;
use ismap_store::Db;
use ismap_store::registrations::{
    self, ListQuery, Sort, fts5_query, is_indexed_word, like_pattern,
};
use ismap_store::testing::{BACKENDS, fresh};

fn query(text: &str) -> ListQuery {
    ListQuery {
        list: ListKind::Ismap,
        text: Some(text.to_owned()),
        model: None,
        status: None,
        expiring_within: None,
        sort: Sort::Number,
        descending: false,
        page: 1,
        per_page: 50,
    }
}

async fn total(db: &Db, text: &str) -> i64 {
    let today = chrono::Utc::now().date_naive();
    registrations::public_list(db, &query(text), today)
        .await
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
        .0
}

#[test]
fn search_words_are_quoted_and_escaped() {
    assert_eq!(like_pattern("東京"), "%東京%");
    assert_eq!(like_pattern("100%"), "%100\\%%");
    assert_eq!(like_pattern("a_b\\c"), "%a\\_b\\\\c%");
    assert_eq!(fts5_query(["abc"]), "\"abc\"");
    assert_eq!(
        fts5_query(["say \"hi\"", "OR", "x*"]),
        "\"say \"\"hi\"\"\" AND \"OR\" AND \"x*\""
    );
    assert!(is_indexed_word("東京都"));
    assert!(!is_indexed_word("東京"));
    assert!(!is_indexed_word("ab"));
}

#[tokio::test]
async fn the_search_index_follows_every_write() {
    let dir = tempfile::tempdir().unwrap();
    for backend in BACKENDS {
        let db = fresh(backend, dir.path()).await;
        let today = chrono::Utc::now().date_naive();
        // 30 registrations: 24 on the ISMAP list (every fifth is LIU).
        registrations::seed_for_benchmark(&db, 30, today)
            .await
            .unwrap();
        assert_eq!(total(&db, "").await, 24, "{backend:?}");
        assert_eq!(total(&db, "ベンチマーク").await, 24);
        assert_eq!(total(&db, "BENCHMARK Service").await, 24, "any case");
        assert_eq!(total(&db, "サービス").await, 24);
        assert_eq!(total(&db, "ベン").await, 24, "2 characters");
        assert_eq!(total(&db, "00007").await, 1);
        assert_eq!(total(&db, "c24-00007").await, 1, "the number");
        assert_eq!(total(&db, "00004").await, 0, "on the LIU list");
        assert_eq!(total(&db, "00007 00008").await, 0, "AND");
        assert_eq!(
            total(&db, "0000").await,
            8,
            "00000 … 00009 on the ISMAP list"
        );
        assert_eq!(total(&db, "%").await, 0);
        assert_eq!(total(&db, "_").await, 0);

        // Renamed in place: the index follows at once.
        sqlx::query(
            "UPDATE registrations SET name = 'リネーム済み東京', name_en = 'Renamed' \
             WHERE number = 'C24-00007-1'",
        )
        .execute(&db.pool)
        .await
        .unwrap();
        assert_eq!(total(&db, "サービス").await, 23);
        assert_eq!(total(&db, "renamed").await, 1);
        assert_eq!(total(&db, "リネーム済み").await, 1);
        assert_eq!(total(&db, "東京").await, 1);
        assert_eq!(total(&db, "東京 renamed 00007").await, 1);
        assert_eq!(total(&db, "service 00007").await, 0);
        assert_eq!(
            total(&db, "ベン 00007").await,
            1,
            "the provider still matches"
        );

        // On PostgreSQL the planner can take the trigram index (without
        // sequential scans, as it would on a larger table).
        if backend == ismap_store::Backend::Postgres {
            let mut conn = db.pool.acquire().await.unwrap();
            sqlx::query("SET enable_seqscan = off")
                .execute(&mut *conn)
                .await
                .unwrap();
            let plan: Vec<String> = sqlx::query(
                "EXPLAIN SELECT id FROM registrations r WHERE lower(r.name || ' ' || r.name_en || ' ' || \
                 r.provider || ' ' || r.provider_en || ' ' || r.number) LIKE '%00007%'",
            )
            .fetch_all(&mut *conn)
            .await
            .unwrap()
            .iter()
            .map(|row| sqlx::Row::get::<String, _>(row, 0))
            .collect();
            sqlx::query("RESET enable_seqscan")
                .execute(&mut *conn)
                .await
                .unwrap();
            assert!(
                plan.iter().any(|l| l.contains("registrations_search")),
                "{plan:#?}"
            );
        }
    }
}
