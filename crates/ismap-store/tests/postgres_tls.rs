//! PostgreSQL connections take libpq's TLS parameters in the URL
//! (issue 12, item 15): `sslmode=require` encrypts, `verify-full` checks the
//! server's certificate and name and refuses a server signed by another authority.

use ismap_store::Db;
use ismap_store::testing::postgres_admin_url;

fn with_params(params: &str) -> String {
    let admin = postgres_admin_url();
    let separator = if admin.contains('?') { '&' } else { '?' };
    format!("{admin}{separator}{params}")
}

async fn uses_tls(db: &Db) -> bool {
    let row: (bool,) = sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&db.pool)
        .await
        .expect("pg_stat_ssl answers");
    row.0
}

#[tokio::test]
async fn sslmode_require_encrypts_the_connection() {
    let db = Db::connect(&with_params("sslmode=require"))
        .await
        .expect("the test server accepts TLS (Debian enables it with its snakeoil certificate)");
    assert!(uses_tls(&db).await);
    let plain = Db::connect(&with_params("sslmode=disable")).await.unwrap();
    assert!(!uses_tls(&plain).await);
}

#[tokio::test]
async fn verify_full_checks_the_servers_certificate() {
    // The server's certificate file, as the server itself names it.
    let plain = Db::connect(&with_params("sslmode=disable")).await.unwrap();
    let (server_cert,): (String,) =
        sqlx::query_as("SELECT setting FROM pg_settings WHERE name = 'ssl_cert_file'")
            .fetch_one(&plain.pool)
            .await
            .unwrap();
    // Debian's snakeoil certificate names the host `localhost`.
    let by_name = with_params(&format!("sslmode=verify-full&sslrootcert={server_cert}"))
        .replace("@127.0.0.1:", "@localhost:");
    let db = Db::connect(&by_name)
        .await
        .expect("the server's own (self-signed) certificate as the root verifies it");
    assert!(uses_tls(&db).await);

    // The public authorities did not sign it: refused, not downgraded.
    assert!(
        std::path::Path::new("/etc/ssl/certs/ca-certificates.crt").exists(),
        "Debian's ca-certificates is needed (scripts/install-ci-deps.sh brings it with chromium)"
    );
    let refused =
        Db::connect(&by_name.replace(&server_cert, "/etc/ssl/certs/ca-certificates.crt")).await;
    assert!(
        refused.is_err(),
        "a server signed by another authority is refused"
    );
}
