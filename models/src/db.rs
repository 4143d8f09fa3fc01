//! Connections, the pool, and migrations for both backends.
//!
//! The backend is chosen from the URL scheme (`postgres://` or `postgresql://` → PostgreSQL;
//! `sqlite://PATH` or a plain path → SQLite), never by trial: `SqliteConnection` would take
//! any string as a file name.

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::DbError;

/// One connection to either backend. Query code is written once against this type.
#[expect(missing_debug_implementations, reason = "the inner diesel connections implement no Debug")]
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// Every connection's SQLite settings: enforce foreign keys, wait for the write lock
/// instead of failing at once, and sync the log at checkpoints (WAL) rather than at every
/// commit.
const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;";

/// Lets readers run beside the writer. The mode is stored in the database file, so it is
/// set once, on one connection, before the pool opens its own: several connections
/// switching a new file to WAL at once can deadlock on the lock upgrade, which SQLite
/// answers `database is locked` at once, without waiting the busy timeout.
const SQLITE_WAL: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;";

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL with its backend decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// A file path (or `:memory:`).
    Sqlite(String),
    Postgres(String),
}

impl DbUrl {
    pub fn parse(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::Postgres(url.to_owned())
        } else {
            let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
            Self::Sqlite(path.to_owned())
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// Opens one connection, set up for use.
    pub fn connect(&self) -> Result<DbConn, DbError> {
        match self {
            Self::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path).map_err(DbError::Connection)?;
                conn.batch_execute(SQLITE_PRAGMAS)?;
                Ok(DbConn::Sqlite(conn))
            }
            Self::Postgres(url) => {
                let mut conn = PgConnection::establish(url).map_err(DbError::Connection)?;
                conn.batch_execute("SET TIME ZONE 'UTC'")?;
                Ok(DbConn::Postgres(conn))
            }
        }
    }

    /// The URL without its password, for logs.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite:{path}"),
            Self::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme), Some(at)) if at > scheme => format!("{}://***{}", &url[..scheme], &url[at..]),
                _ => url.clone(),
            },
        }
    }
}

/// Makes pooled connections of the URL's backend.
#[derive(Debug)]
pub struct Manager {
    url: DbUrl,
}

/// A pooled connection. It is not tested before each use (a round trip per request on
/// PostgreSQL); one that served a request ending in a server-side error is marked
/// `suspect` and tested when it goes back, so a connection cut by a database restart is
/// dropped after its first failure (diesel does not always mark such a connection broken).
pub struct Pooled {
    conn: DbConn,
    suspect: bool,
}

impl Pooled {
    /// Asks for a test of this connection when it goes back to the pool.
    pub fn suspect(&mut self) {
        self.suspect = true;
    }
}

impl std::fmt::Debug for Pooled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pooled").field("backend", &self.conn.backend()).field("suspect", &self.suspect).finish()
    }
}

impl std::ops::Deref for Pooled {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Pooled, r2d2::Error> {
        let conn = self.url.connect().map_err(|e| match e {
            DbError::Connection(c) => r2d2::Error::ConnectionError(c),
            DbError::Query(q) => r2d2::Error::QueryError(q),
            other => r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(other.to_string())),
        })?;
        Ok(Pooled { conn, suspect: false })
    }

    fn is_valid(&self, conn: &mut Pooled) -> Result<(), r2d2::Error> {
        conn.conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Pooled) -> bool {
        if std::thread::panicking() || r2d2::R2D2Connection::is_broken(&mut conn.conn) {
            return true;
        }
        std::mem::take(&mut conn.suspect) && conn.conn.batch_execute("SELECT 1").is_err()
    }
}

/// Puts a SQLite database (created if new) in WAL mode; see [`SQLITE_WAL`].
fn use_wal(path: &str) -> Result<(), DbError> {
    // Servers starting together on a new file switch it at once too, and all but one may be
    // refused at once (not after the busy timeout): they try again shortly, for up to 5 s.
    let mut tries = 0;
    loop {
        let mut conn = SqliteConnection::establish(path).map_err(DbError::Connection)?;
        match conn.batch_execute(SQLITE_WAL) {
            Ok(()) => return Ok(()),
            Err(diesel::result::Error::DatabaseError(_, info)) if info.message().contains("locked") && tries < 250 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// SQLite's planner chooses join orders from the statistics `ANALYZE` keeps; without them
/// it guesses, and a county's report read every attempt of the province (12 s instead of
/// 25 ms on a million workers). `optimize` analyses the tables whose size changed a lot
/// since (all of them, not only those this connection used). Whole tables, not a sample:
/// a sample of the attempts made their status look selective, and the planner walked
/// every finished attempt again.
const SQLITE_OPTIMIZE: &str = "PRAGMA analysis_limit = 0; PRAGMA optimize = 0x10002;";

#[derive(diesel::QueryableByName)]
struct IndexName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// Keeps SQLite's planner statistics current: analyses every index without statistics
/// yet (a new one, or one of a table never analysed), then lets `PRAGMA optimize` redo
/// the tables that grew (see [`SQLITE_OPTIMIZE`]). PostgreSQL's autovacuum does this
/// itself. Cheap when nothing changed (a million workers: 5 s the first time); run after
/// migrations and hourly by the sweeper.
pub fn optimize(conn: &mut DbConn) -> Result<(), DbError> {
    use diesel::RunQueryDsl;
    if conn.backend() != Backend::Sqlite {
        return Ok(());
    }
    write_transaction(conn, |conn| {
        let analysed_before: Vec<IndexName> =
            diesel::sql_query("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'").load(conn)?;
        if analysed_before.is_empty() {
            return conn.batch_execute("ANALYZE").map_err(DbError::from);
        }
        let missing: Vec<IndexName> = diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT IN \
             (SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL)",
        )
        .load(conn)?;
        for index in missing {
            // Names come from the schema itself; quoted all the same.
            conn.batch_execute(&format!("ANALYZE \"{}\"", index.name.replace('"', "\"\"")))?;
        }
        conn.batch_execute(SQLITE_OPTIMIZE).map_err(DbError::from)
    })
}

/// A pool of connections. Cheap to clone.
pub type DbPool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// How long a pooled SQLite connection is used before it is replaced (opening one takes
/// well under a millisecond).
const SQLITE_CONNECTION_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// r2d2's default.
const POSTGRES_CONNECTION_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// Builds a pool; `max_size` connections at most, waiting `timeout` for a free one.
pub fn pool(url: &DbUrl, max_size: u32, timeout: Duration) -> Result<DbPool, DbError> {
    let lifetime = match url {
        DbUrl::Sqlite(path) => {
            use_wal(path)?;
            // A SQLite connection reads the planner's statistics when it loads the schema,
            // so those that `optimize` refreshes reach the others only as they are renewed.
            SQLITE_CONNECTION_LIFETIME
        }
        DbUrl::Postgres(_) => POSTGRES_CONNECTION_LIFETIME,
    };
    r2d2::Pool::builder()
        .max_size(max_size)
        .max_lifetime(Some(lifetime))
        // No `SELECT 1` before every use: see `Pooled`.
        .test_on_check_out(false)
        .connection_timeout(timeout)
        .build(Manager { url: url.clone() })
        .map_err(DbError::PoolExhausted)
}

/// Takes a connection from the pool; an exhausted pool is reported as such.
pub fn get(pool: &DbPool) -> Result<PooledConn, DbError> {
    pool.get().map_err(DbError::PoolExhausted)
}

/// Creates an empty PostgreSQL database `name` through the server at `url` (for test
/// suites and set-up scripts); `name` must be a plain identifier.
pub fn create_postgres_database(url: &str, name: &str) -> Result<(), DbError> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(DbError::Migration(format!("not a plain database name: {name:?}")));
    }
    let mut conn = PgConnection::establish(url).map_err(DbError::Connection)?;
    conn.batch_execute(&format!("CREATE DATABASE {name}"))?;
    Ok(())
}

/// Runs pending migrations. On PostgreSQL an advisory lock keeps several servers starting
/// at once from migrating together.
pub fn migrate(conn: &mut DbConn) -> Result<Vec<String>, DbError> {
    let to_names = |v: Vec<diesel::migration::MigrationVersion<'_>>| v.iter().map(ToString::to_string).collect();
    match conn {
        DbConn::Sqlite(c) => {
            // Holding the write lock while checking and applying, so that servers starting
            // at once on one file migrate one after the other (each migration's own
            // transaction becomes a savepoint).
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            match c.run_pending_migrations(SQLITE_MIGRATIONS).map(to_names) {
                Ok(names) => {
                    AnsiTransactionManager::commit_transaction(c)?;
                    // New indexes need statistics before the planner will choose them.
                    optimize(conn)?;
                    Ok(names)
                }
                Err(e) => {
                    AnsiTransactionManager::rollback_transaction(c)?;
                    Err(DbError::Migration(e.to_string()))
                }
            }
        }
        DbConn::Postgres(c) => {
            c.batch_execute("SELECT pg_advisory_lock(72135)")?;
            let result = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(to_names);
            c.batch_execute("SELECT pg_advisory_unlock(72135)")?;
            result.map_err(|e| DbError::Migration(e.to_string()))
        }
    }
}

/// Serialises this process's SQLite write transactions (see `write_transaction`).
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `f` in a transaction that writes. On SQLite it takes the write lock at the start
/// (`BEGIN IMMEDIATE`): a transaction that reads first and writes later could otherwise
/// fail with "database is locked" when another writer got in between. Inside another
/// transaction it is a savepoint of that one (the outer one already holds the lock).
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let nested = match conn {
        DbConn::Sqlite(inner) => {
            AnsiTransactionManager::transaction_manager_status_mut(inner).transaction_depth()?.is_some()
        }
        DbConn::Postgres(_) => false,
    };
    match conn {
        DbConn::Postgres(_) => conn.transaction(f),
        DbConn::Sqlite(_) if nested => conn.transaction(f),
        DbConn::Sqlite(inner) => {
            // One writer at a time within this process: the others wait here, woken the
            // moment the lock is free, rather than in SQLite's busy handler, which polls
            // with sleeps of up to 100 ms. Other processes on the same file still meet
            // the busy timeout.
            let _writer = SQLITE_WRITER.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
            match f(conn) {
                Ok(value) => {
                    <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
                    Ok(value)
                }
                Err(e) => {
                    <DbConn as Connection>::TransactionManager::rollback_transaction(conn)?;
                    Err(e)
                }
            }
        }
    }
}

impl DbConn {
    /// Checks that the database answers.
    pub fn ping(&mut self) -> Result<(), DbError> {
        Ok(self.batch_execute("SELECT 1")?)
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }
}

/// `?` placeholders for SQLite, `$1, $2, …` for PostgreSQL.
pub(crate) fn placeholders(conn: &DbConn, sql: &str) -> String {
    match conn.backend() {
        Backend::Sqlite => sql.to_owned(),
        Backend::Postgres => {
            let mut out = String::with_capacity(sql.len() + 16);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                } else {
                    out.push(c);
                }
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_their_backend() {
        assert_eq!(DbUrl::parse("postgres://u:p@127.0.0.1/db").backend(), Backend::Postgres);
        assert_eq!(DbUrl::parse("postgresql://u@h/db").backend(), Backend::Postgres);
        assert_eq!(DbUrl::parse("sqlite://data/x.db"), DbUrl::Sqlite("data/x.db".into()));
        assert_eq!(DbUrl::parse("./data/sanda.db"), DbUrl::Sqlite("./data/sanda.db".into()));
        assert_eq!(DbUrl::parse("postgres://u:secret@h:5432/db").redacted(), "postgres://***@h:5432/db");
    }

    #[test]
    fn migrations_for_both_backends_have_the_same_versions() {
        use diesel::migration::MigrationSource;
        let names = |m: &EmbeddedMigrations| -> Vec<String> {
            MigrationSource::<diesel::sqlite::Sqlite>::migrations(m)
                .unwrap_or_default()
                .iter()
                .map(|m| m.name().to_string())
                .collect()
        };
        let sqlite = names(&SQLITE_MIGRATIONS);
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, names(&POSTGRES_MIGRATIONS));
    }

    #[test]
    fn connections_to_a_new_sqlite_file_open_all_at_once() {
        // A pool opens its connections at once. Each switching a new file to WAL made
        // one of them fail now and then with `database is locked`.
        for round in 0..20 {
            let dir = std::env::temp_dir().join(format!("sanda-db-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("t.db").display().to_string();
            use_wal(&path).unwrap();
            let url = DbUrl::Sqlite(path);
            let start = std::sync::Arc::new(std::sync::Barrier::new(8));
            let opened: Vec<_> = (0..8)
                .map(|_| {
                    let (url, start) = (url.clone(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        url.connect().map(|_| ())
                    })
                })
                .collect();
            for o in opened {
                assert!(o.join().unwrap().is_ok(), "round {round}");
            }
            let mut conn = url.connect().unwrap();
            use diesel::RunQueryDsl;
            let mode: Vec<String> = diesel::sql_query("PRAGMA journal_mode")
                .load::<JournalMode>(&mut conn)
                .unwrap()
                .into_iter()
                .map(|m| m.journal_mode)
                .collect();
            assert_eq!(mode, ["wal"]);
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[test]
    fn sqlite_statistics_are_kept_inside_the_writers_turn() {
        use diesel::RunQueryDsl;
        let dir = std::env::temp_dir().join(format!("sanda-db-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.db").display().to_string();
        let url = DbUrl::Sqlite(path.clone());
        let mut conn = url.connect().unwrap();
        migrate(&mut conn).unwrap();
        conn.batch_execute("CREATE TABLE grown (x INTEGER); CREATE INDEX grown_x ON grown (x);").unwrap();
        conn.batch_execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) INSERT INTO grown SELECT i % 7 FROM n;").unwrap();
        let analysed = |conn: &mut DbConn| -> usize {
            let q = "SELECT tbl AS journal_mode FROM sqlite_stat1 WHERE idx = 'grown_x'";
            diesel::sql_query(q).load::<JournalMode>(conn).map(|v| v.len()).unwrap_or(0)
        };
        assert_eq!(analysed(&mut conn), 0);
        optimize(&mut conn).unwrap();
        assert_eq!(analysed(&mut conn), 1, "the sweeper's refresh analyses a grown table");
        conn.batch_execute("DELETE FROM sqlite_stat1;").unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(analysed(&mut conn), 1, "so does a start-up, for an index without statistics");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[derive(diesel::QueryableByName)]
    struct JournalMode {
        #[diesel(sql_type = diesel::sql_types::Text)]
        journal_mode: String,
    }

    #[test]
    fn sqlite_write_transactions_commit_and_roll_back() {
        use diesel::prelude::*;
        let dir = std::env::temp_dir().join(format!("sanda-db-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = DbUrl::Sqlite(dir.join("t.db").display().to_string());
        let mut conn = url.connect().unwrap();
        migrate(&mut conn).unwrap();
        let count = |c: &mut DbConn| crate::schema::throttles::table.count().get_result::<i64>(c).unwrap();
        let insert = |c: &mut DbConn, key: &str| {
            diesel::insert_into(crate::schema::throttles::table)
                .values((
                    crate::schema::throttles::key.eq(key),
                    crate::schema::throttles::failures.eq(1),
                    crate::schema::throttles::window_started_at.eq(crate::now()),
                ))
                .execute(c)
        };
        write_transaction::<_, diesel::result::Error, _>(&mut conn, |c| insert(c, "a")).unwrap();
        let failed = write_transaction::<(), diesel::result::Error, _>(&mut conn, |c| {
            insert(c, "b")?;
            Err(diesel::result::Error::RollbackTransaction)
        });
        assert!(failed.is_err());
        assert_eq!(count(&mut conn), 1);
        // Nested transactions inside become savepoints.
        write_transaction::<_, diesel::result::Error, _>(&mut conn, |c| c.transaction(|c| insert(c, "c"))).unwrap();
        assert_eq!(count(&mut conn), 2);
        // So do write transactions inside write transactions: the inner one neither waits
        // for the writer lock its outer one holds, nor commits on its own.
        let outer = write_transaction::<(), diesel::result::Error, _>(&mut conn, |c| {
            write_transaction::<_, diesel::result::Error, _>(c, |c| insert(c, "d"))?;
            Err(diesel::result::Error::RollbackTransaction)
        });
        assert!(outer.is_err());
        assert_eq!(count(&mut conn), 2);
        write_transaction::<_, diesel::result::Error, _>(&mut conn, |c| {
            write_transaction::<_, diesel::result::Error, _>(c, |c| insert(c, "e"))
        })
        .unwrap();
        assert_eq!(count(&mut conn), 3);
        std::fs::remove_dir_all(dir).ok();
    }
}
