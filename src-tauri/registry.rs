//! The registry: apps, accounts (never their secrets) and the activity log in SQLite, with
//! versioned migrations and one transaction per change. Ids are never reused. Every statement
//! the app runs is prepared once per connection and then reused from rusqlite's statement
//! cache (the broadcast and refresh paths call it several times per account).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, Params, Row, Transaction};

use crate::accounts::{Account, AccountId, AccountView, Health, NewAccount};
use crate::activity::{ActivityEntry, ActivityFilter, ActivityId, Outcome, Sender};
use crate::apps::{App, AppId, AppScopes, Flow, ScriptAccess, ValidApp};
use crate::clock::UnixSeconds;
use crate::error::{field, Error, Result};
use crate::provider::{Preset, Provider};

/// The schema, one migration per entry; applied in order, each in its own transaction, and
/// recorded in `PRAGMA user_version`. Never edit an entry that shipped: add one.
const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE apps (
        id            INTEGER PRIMARY KEY,
        preset        TEXT    NOT NULL,
        base_url      TEXT    NOT NULL,
        client_id     TEXT    NOT NULL,
        scopes        TEXT    NOT NULL,
        redirect_mode TEXT    NOT NULL,
        secret_set    INTEGER NOT NULL DEFAULT 0,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        UNIQUE (base_url, client_id)
    );
    CREATE TABLE accounts (
        id            INTEGER PRIMARY KEY,
        app_id        INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
        username      TEXT    NOT NULL,
        scopes        TEXT    NOT NULL,
        flow          TEXT    NOT NULL,
        issued_at     INTEGER NOT NULL,
        expires_at    INTEGER NOT NULL,
        health        TEXT    NOT NULL,
        health_detail TEXT,
        added_at      INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        UNIQUE (app_id, username)
    );
"#,
    r#"
    CREATE TABLE activity (
        id                INTEGER PRIMARY KEY,
        at                INTEGER NOT NULL,
        account_id        INTEGER,
        username          TEXT    NOT NULL,
        app_client_id     TEXT    NOT NULL,
        kind              TEXT    NOT NULL,
        summary           TEXT    NOT NULL,
        operations        TEXT    NOT NULL,
        transaction_id    TEXT,
        error_code        TEXT,
        error_message     TEXT,
        error_raw         TEXT
    );
    CREATE INDEX activity_by_time ON activity (at DESC, id DESC);
"#,
    // Ids are never reused (a new account must not inherit a removed one's log entries), and
    // each entry keeps its provider, its status ("may have been sent" is neither sent nor
    // failed) and which later entry resolved it.
    r#"
    CREATE TABLE apps_v3 (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        preset        TEXT    NOT NULL,
        base_url      TEXT    NOT NULL,
        client_id     TEXT    NOT NULL,
        scopes        TEXT    NOT NULL,
        redirect_mode TEXT    NOT NULL,
        secret_set    INTEGER NOT NULL DEFAULT 0,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        UNIQUE (base_url, client_id)
    );
    INSERT INTO apps_v3 (id, preset, base_url, client_id, scopes, redirect_mode, secret_set, created_at, updated_at)
        SELECT id, preset, base_url, client_id, scopes, redirect_mode, secret_set, created_at, updated_at FROM apps;
    CREATE TABLE accounts_v3 (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        app_id        INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
        username      TEXT    NOT NULL,
        scopes        TEXT    NOT NULL,
        flow          TEXT    NOT NULL,
        issued_at     INTEGER NOT NULL,
        expires_at    INTEGER NOT NULL,
        health        TEXT    NOT NULL,
        health_detail TEXT,
        added_at      INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        UNIQUE (app_id, username)
    );
    INSERT INTO accounts_v3 (id, app_id, username, scopes, flow, issued_at, expires_at, health, health_detail, added_at, updated_at)
        SELECT id, app_id, username, scopes, flow, issued_at, expires_at, health, health_detail, added_at, updated_at FROM accounts;

    ALTER TABLE activity ADD COLUMN provider    TEXT NOT NULL DEFAULT '';
    ALTER TABLE activity ADD COLUMN status      TEXT NOT NULL DEFAULT 'failed';
    ALTER TABLE activity ADD COLUMN evidence    TEXT;
    ALTER TABLE activity ADD COLUMN resolved_by INTEGER;
    UPDATE activity SET status = 'sent' WHERE transaction_id IS NOT NULL;
    UPDATE activity SET provider = COALESCE((
        SELECT apps.base_url FROM accounts JOIN apps ON apps.id = accounts.app_id
        WHERE accounts.id = activity.account_id AND accounts.username = activity.username
          AND apps.client_id = activity.app_client_id), '');
    CREATE INDEX activity_by_sender ON activity (username, status);

    DROP TABLE accounts;
    DROP TABLE apps;
    ALTER TABLE apps_v3 RENAME TO apps;
    ALTER TABLE accounts_v3 RENAME TO accounts;
    -- Start after every id ever used, also by accounts removed before this migration.
    DELETE FROM sqlite_sequence WHERE name IN ('apps', 'accounts');
    INSERT INTO sqlite_sequence (name, seq) VALUES
        ('apps', (SELECT COALESCE(MAX(id), 0) FROM apps)),
        ('accounts', MAX((SELECT COALESCE(MAX(id), 0) FROM accounts),
                         (SELECT COALESCE(MAX(account_id), 0) FROM activity)));
"#,
    // Provider kinds with settings of their own (an OAuth 2.0 server's endpoints, a token
    // site's shape) keep them as JSON beside the base URL; a token may have no expiry.
    r#"
    ALTER TABLE apps ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
    CREATE TABLE accounts_v4 (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        app_id        INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
        username      TEXT    NOT NULL,
        scopes        TEXT    NOT NULL,
        flow          TEXT    NOT NULL,
        issued_at     INTEGER NOT NULL,
        expires_at    INTEGER,
        health        TEXT    NOT NULL,
        health_detail TEXT,
        added_at      INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        UNIQUE (app_id, username)
    );
    INSERT INTO accounts_v4 (id, app_id, username, scopes, flow, issued_at, expires_at, health, health_detail, added_at, updated_at)
        SELECT id, app_id, username, scopes, flow, issued_at, expires_at, health, health_detail, added_at, updated_at FROM accounts;
    CREATE TEMP TABLE kept_sequence AS SELECT seq FROM sqlite_sequence WHERE name = 'accounts';
    DROP TABLE accounts;
    ALTER TABLE accounts_v4 RENAME TO accounts;
    DELETE FROM sqlite_sequence WHERE name IN ('accounts', 'accounts_v4');
    INSERT INTO sqlite_sequence (name, seq) VALUES
        ('accounts', MAX((SELECT COALESCE(MAX(seq), 0) FROM kept_sequence),
                         (SELECT COALESCE(MAX(id), 0) FROM accounts)));
    DROP TABLE kept_sequence;
"#,
    // Apps the in-app sandbox registered (src-tauri/sandbox.rs): removed with everything of
    // theirs when the person leaves the sandbox, or at the next start when the app quit first.
    r#"
    ALTER TABLE apps ADD COLUMN sandbox INTEGER NOT NULL DEFAULT 0;
"#,
    // Scripts on this computer (`authdeck token`) may use an app's tokens only once the person
    // allows it on the app's card, and then, if asked for, only after a confirmation in the
    // window each time.
    r#"
    ALTER TABLE apps ADD COLUMN script_access  INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE apps ADD COLUMN script_confirm INTEGER NOT NULL DEFAULT 0;
"#,
    // Facts about this data folder as a whole, e.g. that its keyring entries were moved to
    // their current names (so a start does not search the keyring for every account again).
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    );
"#,
];

/// The SQLite registry. Calls are short and serialised by a mutex.
pub struct Registry {
    conn: Mutex<Connection>,
    /// The folder of the registry file (`None` in memory): the app's data folder.
    dir: Option<PathBuf>,
}

/// How many prepared statements the connection keeps: more than the ~30 distinct statements in
/// this module, so the hot ones (account and app reads, the activity log, refreshes, health) are
/// never evicted by a rarer one and prepared again.
const STATEMENT_CACHE_CAPACITY: usize = 48;

/// Looks up an account's id by app and name (also right after an upsert).
const ACCOUNT_ID_BY_NAME: &str = "SELECT id FROM accounts WHERE app_id = ?1 AND username = ?2";

/// Records one refresh (shared by [`Registry::record_refresh`] and
/// [`Registry::record_refreshes`]).
const RECORD_REFRESH: &str =
    "UPDATE accounts SET issued_at = ?2, expires_at = ?3, health = ?4, health_detail = NULL, \
     updated_at = ?2 WHERE id = ?1";

/// Column lists shared by several queries, as macros so each query is one `concat!`ed string
/// known at compile time (no formatting per call, and one key in the statement cache).
macro_rules! activity_columns {
    () => {
        "id, at, account_id, username, app_client_id, kind, summary, operations, transaction_id, \
         error_code, error_message, error_raw, provider, status, evidence, resolved_by"
    };
}
macro_rules! app_columns {
    () => {
        "id, preset, base_url, client_id, scopes, redirect_mode, secret_set, settings, sandbox"
    };
}
macro_rules! account_columns {
    () => {
        "id, app_id, username, scopes, flow, issued_at, expires_at, health, health_detail, added_at"
    };
}

impl Registry {
    /// Opens (creating if needed) the registry at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|err| Error::Storage {
                detail: format!("cannot create {}: {err}", parent.display()),
            })?;
        }
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Self::prepare(Connection::open(path)?, Some(dir))
    }

    /// A registry that lives in memory (tests).
    pub fn in_memory() -> Result<Self> {
        Self::prepare(Connection::open_in_memory()?, None)
    }

    fn prepare(mut conn: Connection, dir: Option<PathBuf>) -> Result<Self> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
        migrate(&mut conn)?;
        conn.pragma_update(None, "foreign_keys", true)?;
        Ok(Self {
            conn: Mutex::new(conn),
            dir,
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn write<T>(&self, change: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let result = change(&tx)?;
        tx.commit()?;
        Ok(result)
    }

    /// The app registered for this provider and client id, if any.
    pub fn find_app(&self, provider: &Provider, client_id: &str) -> Result<Option<App>> {
        const SQL: &str = concat!(
            "SELECT ",
            app_columns!(),
            " FROM apps WHERE base_url = ?1 AND client_id = ?2"
        );
        Ok(query_row_cached(
            &self.conn(),
            SQL,
            params![provider.base_url(), client_id],
            app_from_row,
        )
        .optional()?)
    }

    /// Records a new app; `secret_set` says whether its secret is already in the keyring.
    pub fn insert_app(&self, app: &ValidApp, secret_set: bool, now: UnixSeconds) -> Result<AppId> {
        self.insert_app_marked(app, secret_set, false, now)
    }

    /// Records a new app, marked as the sandbox's when `sandbox` is set.
    pub fn insert_app_marked(
        &self,
        app: &ValidApp,
        secret_set: bool,
        sandbox: bool,
        now: UnixSeconds,
    ) -> Result<AppId> {
        self.write(|tx| {
            execute_cached(
                tx,
                "INSERT INTO apps (preset, base_url, client_id, scopes, redirect_mode, secret_set, created_at, updated_at, settings, sandbox)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)",
                params![
                    app.provider.preset().id(),
                    app.provider.base_url(),
                    app.client_id,
                    app.scopes.request_string(),
                    app.redirect.id(),
                    secret_set,
                    now,
                    app.provider.settings_json(),
                    sandbox
                ],
            )
            .map_err(|err| unique_violation(err, || Error::AppExists { client_id: app.client_id.clone() }))?;
            Ok(AppId(tx.last_insert_rowid()))
        })
    }

    /// Changes an app's scopes, redirect mode and kind settings (provider and client id stay).
    pub fn update_app(&self, id: AppId, app: &ValidApp, now: UnixSeconds) -> Result<()> {
        self.write(|tx| {
            let changed = execute_cached(
                tx,
                "UPDATE apps SET scopes = ?2, redirect_mode = ?3, updated_at = ?4, settings = ?5 WHERE id = ?1",
                params![
                    id.0,
                    app.scopes.request_string(),
                    app.redirect.id(),
                    now,
                    app.provider.settings_json()
                ],
            )?;
            found(changed, Error::AppNotFound)
        })
    }

    /// Records whether an app's secret is in the keyring.
    pub fn set_secret_flag(&self, id: AppId, secret_set: bool) -> Result<()> {
        self.write(|tx| {
            let changed = execute_cached(
                tx,
                "UPDATE apps SET secret_set = ?2 WHERE id = ?1",
                params![id.0, secret_set],
            )?;
            found(changed, Error::AppNotFound)
        })
    }

    /// A fact about the data folder recorded with [`Self::set_meta`], or `None`.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        let sql = "SELECT value FROM meta WHERE key = ?1";
        Ok(query_row_cached(&self.conn(), sql, [key], |row| row.get(0)).optional()?)
    }

    /// Records (or replaces) a fact about the data folder.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.write(|tx| {
            execute_cached(
                tx,
                "INSERT INTO meta (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
            Ok(())
        })
    }

    /// The folder the registry file is in (the app's data folder); `None` for one in memory.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// What scripts may do with the tokens of app `id`.
    pub fn script_access(&self, id: AppId) -> Result<ScriptAccess> {
        query_row_cached(
            &self.conn(),
            "SELECT script_access, script_confirm FROM apps WHERE id = ?1",
            [id.0],
            script_access_from_row,
        )
        .optional()?
        .ok_or(Error::AppNotFound)
    }

    /// What scripts may do with the tokens of every app.
    pub fn script_accesses(&self) -> Result<HashMap<AppId, ScriptAccess>> {
        let conn = self.conn();
        let mut statement =
            conn.prepare_cached("SELECT id, script_access, script_confirm FROM apps")?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    AppId(row.get(0)?),
                    ScriptAccess {
                        allowed: row.get(1)?,
                        confirm: row.get(2)?,
                    },
                ))
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Sets what scripts may do with the tokens of app `id`.
    pub fn set_script_access(&self, id: AppId, access: ScriptAccess) -> Result<()> {
        self.write(|tx| {
            let changed = execute_cached(
                tx,
                "UPDATE apps SET script_access = ?2, script_confirm = ?3 WHERE id = ?1",
                params![id.0, access.allowed, access.confirm],
            )?;
            found(changed, Error::AppNotFound)
        })
    }

    /// One app.
    pub fn app(&self, id: AppId) -> Result<App> {
        const SQL: &str = concat!("SELECT ", app_columns!(), " FROM apps WHERE id = ?1");
        query_row_cached(&self.conn(), SQL, [id.0], app_from_row)
            .optional()?
            .ok_or(Error::AppNotFound)
    }

    /// Every app, oldest first.
    pub fn apps(&self) -> Result<Vec<App>> {
        const SQL: &str = concat!("SELECT ", app_columns!(), " FROM apps ORDER BY id");
        let conn = self.conn();
        let mut statement = conn.prepare_cached(SQL)?;
        let apps = statement
            .query_map([], app_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(apps)
    }

    /// Removes an app (its accounts go with it).
    pub fn delete_app(&self, id: AppId) -> Result<()> {
        self.write(|tx| {
            found(
                execute_cached(tx, "DELETE FROM apps WHERE id = ?1", [id.0])?,
                Error::AppNotFound,
            )
        })
    }

    /// The id of `username`'s account for `app_id`, if it is registered.
    pub fn find_account(&self, app_id: AppId, username: &str) -> Result<Option<AccountId>> {
        Ok(query_row_cached(
            &self.conn(),
            ACCOUNT_ID_BY_NAME,
            params![app_id.0, username],
            |row| row.get(0).map(AccountId),
        )
        .optional()?)
    }

    /// Records a signed-in account, or renews the one already there for this app and name.
    pub fn upsert_account(&self, new: &NewAccount, now: UnixSeconds) -> Result<AccountId> {
        let scopes =
            serde_json::to_string(&new.scopes).map_err(|err| Error::Internal(err.to_string()))?;
        self.write(|tx| {
            execute_cached(
                tx,
                "INSERT INTO accounts (app_id, username, scopes, flow, issued_at, expires_at, health, health_detail, added_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?8)
                 ON CONFLICT (app_id, username) DO UPDATE SET
                   scopes = excluded.scopes, flow = excluded.flow, issued_at = excluded.issued_at,
                   expires_at = excluded.expires_at, health = excluded.health,
                   health_detail = NULL, updated_at = excluded.updated_at",
                params![
                    new.app_id.0,
                    new.username,
                    scopes,
                    new.flow.id(),
                    new.issued_at,
                    new.expires_at,
                    Health::Fresh.id(),
                    now
                ],
            )?;
            let id = query_row_cached(
                tx,
                ACCOUNT_ID_BY_NAME,
                params![new.app_id.0, new.username],
                |row| row.get(0),
            )?;
            Ok(AccountId(id))
        })
    }

    /// Records a refresh: new issue and expiry times, healthy again.
    pub fn record_refresh(
        &self,
        id: AccountId,
        issued_at: UnixSeconds,
        expires_at: Option<UnixSeconds>,
    ) -> Result<()> {
        self.write(|tx| {
            let changed = execute_cached(
                tx,
                RECORD_REFRESH,
                params![id.0, issued_at, expires_at, Health::Fresh.id()],
            )?;
            found(changed, Error::AccountNotFound)
        })
    }

    /// Records several refreshes in one transaction (each as [`Self::record_refresh`] does):
    /// `(account, issued_at, expires_at)`. Returns, for each, whether its account was there.
    pub fn record_refreshes(
        &self,
        refreshes: &[(AccountId, UnixSeconds, Option<UnixSeconds>)],
    ) -> Result<Vec<bool>> {
        self.write(|tx| {
            let mut update = tx.prepare_cached(RECORD_REFRESH)?;
            refreshes
                .iter()
                .map(|(id, issued_at, expires_at)| {
                    let changed =
                        update.execute(params![id.0, issued_at, expires_at, Health::Fresh.id()])?;
                    Ok(changed > 0)
                })
                .collect()
        })
    }

    /// Sets an account's health and what went wrong.
    pub fn set_health(&self, id: AccountId, health: Health, detail: Option<&str>) -> Result<()> {
        self.write(|tx| {
            let changed = execute_cached(
                tx,
                "UPDATE accounts SET health = ?2, health_detail = ?3 WHERE id = ?1",
                params![id.0, health.id(), detail],
            )?;
            found(changed, Error::AccountNotFound)
        })
    }

    /// Ends every "refreshing" left by an app that stopped during a refresh: nothing is in
    /// flight at start-up, so those accounts are fresh until a refresh says otherwise (the
    /// refresher looks at them first thing). Returns how many there were.
    pub fn reset_refreshing(&self) -> Result<usize> {
        self.write(|tx| {
            Ok(execute_cached(
                tx,
                "UPDATE accounts SET health = ?1, health_detail = NULL WHERE health = ?2",
                params![Health::Fresh.id(), Health::Refreshing.id()],
            )?)
        })
    }

    /// One account.
    pub fn account(&self, id: AccountId) -> Result<Account> {
        const SQL: &str = concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE id = ?1"
        );
        query_row_cached(&self.conn(), SQL, [id.0], account_from_row)
            .optional()?
            .ok_or(Error::AccountNotFound)
    }

    /// Who account `id`'s log entries are from (its name, its app's client id and provider),
    /// in one read.
    pub fn sender(&self, id: AccountId) -> Result<Sender> {
        query_row_cached(
            &self.conn(),
            "SELECT accounts.username, apps.client_id, apps.base_url
             FROM accounts JOIN apps ON apps.id = accounts.app_id WHERE accounts.id = ?1",
            [id.0],
            |row| {
                Ok(Sender {
                    account_id: Some(id),
                    username: row.get(0)?,
                    app_client_id: row.get(1)?,
                    provider: row.get(2)?,
                })
            },
        )
        .optional()?
        .ok_or(Error::AccountNotFound)
    }

    /// Account `id` with its app's names, as the window sees it.
    pub fn account_view(&self, id: AccountId) -> Result<AccountView> {
        let account = self.account(id)?;
        let app = self.app(account.app_id)?;
        Ok(AccountView::new(account, &app))
    }

    /// Every account, by app then name.
    pub fn accounts(&self) -> Result<Vec<Account>> {
        const SQL: &str = concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts ORDER BY app_id, username"
        );
        let conn = self.conn();
        let mut statement = conn.prepare_cached(SQL)?;
        let accounts = statement
            .query_map([], account_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(accounts)
    }

    /// Removes an account.
    pub fn delete_account(&self, id: AccountId) -> Result<()> {
        self.write(|tx| {
            found(
                execute_cached(tx, "DELETE FROM accounts WHERE id = ?1", [id.0])?,
                Error::AccountNotFound,
            )
        })
    }

    /// Removes every activity log entry of the accounts `ids` (the sandbox's, when the person
    /// leaves it; ids are never reused, so no other account's entries go); returns how many.
    pub fn delete_activity_of(&self, ids: &[AccountId]) -> Result<usize> {
        self.write(|tx| {
            let mut removed = 0;
            for id in ids {
                removed +=
                    execute_cached(tx, "DELETE FROM activity WHERE account_id = ?1", [id.0])?;
            }
            Ok(removed)
        })
    }
}

impl Registry {
    /// Appends an entry to the activity log. An entry that reached the chain resolves, in the
    /// same transaction, the earlier failed or unknown entries with the same sender and the
    /// same operations.
    pub fn record_activity(&self, entry: &ActivityEntry) -> Result<ActivityId> {
        self.record_activities(std::slice::from_ref(entry))?
            .pop()
            .ok_or_else(|| Error::Internal("an activity entry was not recorded".into()))
    }

    /// Appends several entries to the activity log in one transaction (each as
    /// [`Self::record_activity`] does, in order); returns their ids in the same order. All are
    /// recorded or none is.
    pub fn record_activities(&self, entries: &[ActivityEntry]) -> Result<Vec<ActivityId>> {
        self.write(|tx| {
            entries
                .iter()
                .map(|entry| append_activity(tx, entry))
                .collect()
        })
    }

    /// Marks an unknown entry as found on chain, with the evidence; it then resolves the
    /// earlier failures with the same operations, as a sent entry does.
    pub fn mark_on_chain(&self, id: ActivityId, evidence: &str) -> Result<ActivityEntry> {
        self.write(|tx| {
            let changed = execute_cached(
                tx,
                "UPDATE activity SET status = 'onChain', evidence = ?2, resolved_by = NULL
                 WHERE id = ?1 AND status = 'unknown'",
                params![id.0, evidence],
            )?;
            if changed == 0 {
                return Err(Error::invalid(
                    field::ACTIVITY_ID,
                    "That entry is not waiting for a chain check.",
                ));
            }
            let (sender, operations) = query_row_cached(
                tx,
                "SELECT username, app_client_id, provider, operations FROM activity WHERE id = ?1",
                [id.0],
                |row| {
                    let sender = Sender {
                        account_id: None,
                        username: row.get(0)?,
                        app_client_id: row.get(1)?,
                        provider: row.get(2)?,
                    };
                    Ok((sender, row.get::<_, String>(3)?))
                },
            )?;
            resolve_earlier(tx, id, &sender, &operations)
        })?;
        self.activity_entry(id)
    }

    /// The newest unresolved entry whose answer was lost, with this sender and exactly these
    /// operations: a send of them may be a duplicate.
    pub fn open_unknown(&self, sender: &Sender, operations: &str) -> Result<Option<ActivityEntry>> {
        // No ORDER BY ... LIMIT here: with one, SQLite plans the query again for every new
        // set of values bound (it weighs the index against the id order each time), which made
        // this check, run before every broadcast, cost as much as the broadcast's own log
        // write. The matching entries are at most a few: the newest is picked here.
        let conn = self.conn();
        let mut statement = conn.prepare_cached(OPEN_UNKNOWN)?;
        let mut newest: Option<ActivityEntry> = None;
        let rows = statement.query_map(
            params![
                sender.username,
                sender.app_client_id,
                sender.provider,
                operations
            ],
            activity_from_row,
        )?;
        for entry in rows {
            let entry = entry?;
            if newest.as_ref().is_none_or(|kept| kept.id.0 < entry.id.0) {
                newest = Some(entry);
            }
        }
        Ok(newest)
    }

    /// The entries matching `filter`, newest first.
    pub fn activity(&self, filter: &ActivityFilter) -> Result<Vec<ActivityEntry>> {
        const SQL: &str = concat!(
            "SELECT ",
            activity_columns!(),
            " FROM activity
             WHERE (?1 = 0 OR (status IN ('failed', 'unknown') AND resolved_by IS NULL))
               AND (?2 IS NULL OR username = ?2)
               AND (?3 IS NULL OR instr('+' || kind || '+', '+' || ?3 || '+') > 0)
             ORDER BY at DESC, id DESC LIMIT ?4"
        );
        let conn = self.conn();
        let mut statement = conn.prepare_cached(SQL)?;
        let entries = statement
            .query_map(
                params![
                    filter.errors_only,
                    filter.username,
                    filter.kind,
                    filter.effective_limit() as i64
                ],
                activity_from_row,
            )?
            .collect::<Result<_, _>>()?;
        Ok(entries)
    }

    /// One entry.
    pub fn activity_entry(&self, id: ActivityId) -> Result<ActivityEntry> {
        const SQL: &str = concat!(
            "SELECT ",
            activity_columns!(),
            " FROM activity WHERE id = ?1"
        );
        query_row_cached(&self.conn(), SQL, [id.0], activity_from_row)
            .optional()?
            .ok_or_else(|| Error::invalid(field::ACTIVITY_ID, "That entry is not in the log."))
    }
}

/// The unresolved entries whose answer was lost, of one sender and operations (see
/// [`Registry::open_unknown`]).
const OPEN_UNKNOWN: &str = concat!(
    "SELECT ",
    activity_columns!(),
    " FROM activity
     WHERE status = 'unknown' AND resolved_by IS NULL AND username = ?1
       AND app_client_id = ?2 AND provider = ?3 AND operations = ?4"
);

/// Runs `sql` with `params`, preparing it only the first time on this connection.
fn execute_cached(conn: &Connection, sql: &str, params: impl Params) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

/// The first row of `sql` with `params`, mapped by `map`; the statement is prepared only the
/// first time on this connection.
fn query_row_cached<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, map)
}

/// Appends `entry` to the log inside `tx`; a sent entry resolves the earlier failures of the
/// same operations.
fn append_activity(tx: &Transaction<'_>, entry: &ActivityEntry) -> Result<ActivityId> {
    let (transaction_id, evidence, error) = match &entry.outcome {
        Outcome::Sent { transaction_id } => (Some(transaction_id.as_str()), None, None),
        Outcome::OnChain { evidence } => (None, Some(evidence.as_str()), None),
        Outcome::Failed { code, message, raw } | Outcome::Unknown { code, message, raw } => {
            (None, None, Some((code, message, raw)))
        }
    };
    let sender = &entry.sender;
    execute_cached(
        tx,
        "INSERT INTO activity (at, account_id, username, app_client_id, provider, kind, summary,
                               operations, status, transaction_id, evidence, error_code,
                               error_message, error_raw)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            entry.at,
            sender.account_id.map(|id| id.0),
            sender.username,
            sender.app_client_id,
            sender.provider,
            entry.kind,
            entry.summary,
            entry.operations,
            entry.outcome.status(),
            transaction_id,
            evidence,
            error.map(|e| e.0),
            error.map(|e| e.1),
            error.map(|e| e.2),
        ],
    )?;
    let id = ActivityId(tx.last_insert_rowid());
    if entry.outcome.reached_chain() {
        resolve_earlier(tx, id, sender, &entry.operations)?;
    }
    Ok(id)
}

/// Points the earlier unresolved failures with the same sender and operations as entry `by`
/// at it. One indexed probe per unresolved status, with the values bound: an `IN` list or a
/// row-value subquery here made SQLite build a temporary table on every sent broadcast.
fn resolve_earlier(
    tx: &Transaction<'_>,
    by: ActivityId,
    sender: &Sender,
    operations: &str,
) -> Result<()> {
    for status in ["failed", "unknown"] {
        execute_cached(
            tx,
            "UPDATE activity SET resolved_by = ?1
             WHERE username = ?2 AND status = ?3 AND id < ?1 AND resolved_by IS NULL
               AND app_client_id = ?4 AND provider = ?5 AND operations = ?6",
            params![
                by.0,
                sender.username,
                status,
                sender.app_client_id,
                sender.provider,
                operations
            ],
        )?;
    }
    Ok(())
}

fn activity_from_row(row: &Row<'_>) -> rusqlite::Result<ActivityEntry> {
    let status: String = row.get(13)?;
    let text = |index| {
        row.get::<_, Option<String>>(index)
            .map(Option::unwrap_or_default)
    };
    let outcome = match status.as_str() {
        "sent" => Outcome::Sent {
            transaction_id: text(8)?,
        },
        "onChain" => Outcome::OnChain {
            evidence: text(14)?,
        },
        "failed" => Outcome::Failed {
            code: text(9)?,
            message: text(10)?,
            raw: text(11)?,
        },
        "unknown" => Outcome::Unknown {
            code: text(9)?,
            message: text(10)?,
            raw: text(11)?,
        },
        _ => return Err(corrupt("status")),
    };
    Ok(ActivityEntry {
        id: ActivityId(row.get(0)?),
        at: row.get(1)?,
        sender: Sender {
            account_id: row.get::<_, Option<i64>>(2)?.map(AccountId),
            username: row.get(3)?,
            app_client_id: row.get(4)?,
            provider: row.get(12)?,
        },
        kind: row.get(5)?,
        summary: row.get(6)?,
        operations: row.get(7)?,
        outcome,
        resolved_by: row.get::<_, Option<i64>>(15)?.map(ActivityId),
    })
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let version = usize::try_from(version).unwrap_or(usize::MAX);
    if version > MIGRATIONS.len() {
        return Err(Error::Storage {
            detail: format!(
                "the registry was written by a newer Authdeck (schema {version}, this one knows {})",
                MIGRATIONS.len()
            ),
        });
    }
    // Off while tables are rebuilt (SQLite ignores the pragma inside a transaction), then
    // each migration is checked for dangling references before it commits.
    conn.pragma_update(None, "foreign_keys", false)?;
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(migration)?;
        let dangling: i64 =
            tx.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |row| {
                row.get(0)
            })?;
        if dangling > 0 {
            return Err(Error::Storage {
                detail: format!(
                    "migration {} left {dangling} dangling references",
                    index + 1
                ),
            });
        }
        tx.pragma_update(None, "user_version", (index + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

fn found(changed: usize, missing: Error) -> Result<()> {
    if changed == 0 {
        Err(missing)
    } else {
        Ok(())
    }
}

fn unique_violation(err: rusqlite::Error, duplicate: impl FnOnce() -> Error) -> Error {
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => duplicate(),
        _ => err.into(),
    }
}

fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::InvalidColumnType(0, what.to_owned(), rusqlite::types::Type::Text)
}

fn script_access_from_row(row: &Row<'_>) -> rusqlite::Result<ScriptAccess> {
    Ok(ScriptAccess {
        allowed: row.get(0)?,
        confirm: row.get(1)?,
    })
}

fn app_from_row(row: &Row<'_>) -> rusqlite::Result<App> {
    let preset: String = row.get(1)?;
    let base_url: String = row.get(2)?;
    let scopes: String = row.get(4)?;
    let redirect: String = row.get(5)?;
    let settings: String = row.get(7)?;
    let preset = Preset::from_id(&preset).ok_or_else(|| corrupt("preset"))?;
    let provider =
        Provider::restore(preset, &base_url, &settings).map_err(|_| corrupt("settings"))?;
    Ok(App {
        id: AppId(row.get(0)?),
        scopes: AppScopes::from_stored(provider.protocol(), &scopes)
            .map_err(|_| corrupt("scopes"))?,
        provider,
        client_id: row.get(3)?,
        redirect: crate::apps::RedirectMode::from_id(&redirect)
            .ok_or_else(|| corrupt("redirect_mode"))?,
        secret_set: row.get(6)?,
        sandbox: row.get(8)?,
    })
}

fn account_from_row(row: &Row<'_>) -> rusqlite::Result<Account> {
    let scopes: String = row.get(3)?;
    let flow: String = row.get(4)?;
    let health: String = row.get(7)?;
    Ok(Account {
        id: AccountId(row.get(0)?),
        app_id: AppId(row.get(1)?),
        username: row.get(2)?,
        scopes: serde_json::from_str(&scopes).map_err(|_| corrupt("scopes"))?,
        flow: Flow::from_id(&flow).ok_or_else(|| corrupt("flow"))?,
        issued_at: row.get(5)?,
        expires_at: row.get(6)?,
        health: Health::from_id(&health).ok_or_else(|| corrupt("health"))?,
        health_detail: row.get(8)?,
        added_at: row.get(9)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::AppInput;

    fn valid(client_id: &str) -> ValidApp {
        AppInput {
            preset: "hivesigner".into(),
            base_url: None,
            client_id: client_id.into(),
            scopes: vec!["posting".into(), "offline".into()],
            redirect_mode: None,
            client_secret: None,
            ..AppInput::default()
        }
        .validate()
        .unwrap()
    }

    fn new_account(app_id: AppId, username: &str, expires_at: UnixSeconds) -> NewAccount {
        NewAccount {
            app_id,
            username: username.into(),
            scopes: vec!["vote".into(), "comment".into()],
            flow: Flow::Code,
            issued_at: 100,
            expires_at: Some(expires_at),
        }
    }

    #[test]
    fn facts_about_the_data_folder_are_kept_and_replaced() {
        let registry = Registry::in_memory().unwrap();
        assert_eq!(registry.meta("keyring_layout").unwrap(), None);
        registry.set_meta("keyring_layout", "old").unwrap();
        registry.set_meta("keyring_layout", "by-base-url").unwrap();
        assert_eq!(
            registry.meta("keyring_layout").unwrap().as_deref(),
            Some("by-base-url")
        );
        assert_eq!(registry.meta("other").unwrap(), None);
    }

    #[test]
    fn cached_statements_answer_for_the_parameters_of_each_call() {
        let registry = Registry::in_memory().unwrap();
        let app = registry.insert_app(&valid("cacheapp"), false, 1).unwrap();
        let alice = registry
            .upsert_account(&new_account(app, "alice", 100), 1)
            .unwrap();
        assert_eq!(registry.find_account(app, "bob").unwrap(), None);
        let bob = registry
            .upsert_account(&new_account(app, "bob", 200), 1)
            .unwrap();
        assert_ne!(alice, bob);
        for _ in 0..2 {
            assert_eq!(registry.account(alice).unwrap().username, "alice");
            assert_eq!(registry.account(bob).unwrap().username, "bob");
            assert_eq!(
                registry.account(AccountId(999)).unwrap_err(),
                Error::AccountNotFound
            );
            assert_eq!(registry.find_account(app, "bob").unwrap(), Some(bob));
        }
        registry.record_refresh(alice, 10, Some(20)).unwrap();
        registry.record_refresh(bob, 30, Some(40)).unwrap();
        assert_eq!(registry.account(alice).unwrap().expires_at, Some(20));
        assert_eq!(registry.account(bob).unwrap().expires_at, Some(40));

        let lost = |username: &str| ActivityEntry {
            operations: r#"[["vote",{}]]"#.into(),
            ..entry(username, "vote", unknown())
        };
        let first = registry.record_activity(&lost("alice")).unwrap();
        let second = registry.record_activity(&lost("bob")).unwrap();
        let open = |username: &str| {
            let sender = Sender {
                username: username.into(),
                ..lost(username).sender
            };
            registry
                .open_unknown(&sender, r#"[["vote",{}]]"#)
                .unwrap()
                .map(|e| e.id)
        };
        assert_eq!(open("alice"), Some(first));
        assert_eq!(open("bob"), Some(second));
        assert_eq!(open("carol"), None);
        assert_eq!(open("alice"), Some(first));
        // Two lost answers of the same operations: the newer is the one to check.
        let third = registry.record_activity(&lost("alice")).unwrap();
        assert_eq!(open("alice"), Some(third));
        assert_eq!(open("bob"), Some(second));
    }

    #[test]
    fn an_accounts_sender_is_read_as_its_log_entries_name_it() {
        let registry = Registry::in_memory().unwrap();
        let app_id = registry.insert_app(&valid("senderapp"), false, 1).unwrap();
        let id = registry
            .upsert_account(&new_account(app_id, "alice", 100), 1)
            .unwrap();
        let app = registry.app(app_id).unwrap();
        assert_eq!(
            registry.sender(id).unwrap(),
            Sender {
                account_id: Some(id),
                username: "alice".into(),
                app_client_id: app.client_id.clone(),
                provider: app.provider.base_url().to_owned(),
            }
        );
        assert_eq!(
            registry.sender(AccountId(999)).unwrap_err(),
            Error::AccountNotFound
        );
    }

    #[test]
    fn the_check_before_every_broadcast_is_planned_once() {
        let registry = Registry::in_memory().unwrap();
        let senders: Vec<Sender> = (0..20)
            .map(|index| entry(&format!("voter{index}"), "vote", unknown()).sender)
            .collect();
        for sender in &senders {
            registry
                .record_activity(&entry(&sender.username, "vote", unknown()))
                .unwrap();
        }
        for (index, sender) in senders.iter().enumerate() {
            let operations = format!("[[\"vote\",{{\"n\":{index}}}]]");
            assert_eq!(registry.open_unknown(sender, &operations).unwrap(), None);
        }
        let conn = registry.conn();
        let statement = conn.prepare_cached(OPEN_UNKNOWN).unwrap();
        assert_eq!(
            statement.get_status(rusqlite::StatementStatus::RePrepare),
            0,
            "binding new values made SQLite plan the statement again"
        );
    }

    #[test]
    fn refreshes_are_recorded_together() {
        let registry = Registry::in_memory().unwrap();
        let app = registry.insert_app(&valid("batchapp"), false, 1).unwrap();
        let a = registry
            .upsert_account(&new_account(app, "alice", 100), 1)
            .unwrap();
        let b = registry
            .upsert_account(&new_account(app, "bob", 100), 1)
            .unwrap();
        registry
            .set_health(b, Health::Refreshing, Some("slow"))
            .unwrap();
        let found = registry
            .record_refreshes(&[(a, 50, Some(150)), (b, 60, None), (AccountId(999), 1, None)])
            .unwrap();
        assert_eq!(found, [true, true, false]);
        let (a, b) = (registry.account(a).unwrap(), registry.account(b).unwrap());
        assert_eq!(
            (a.issued_at, a.expires_at, a.health),
            (50, Some(150), Health::Fresh)
        );
        assert_eq!(
            (b.issued_at, b.expires_at, b.health),
            (60, None, Health::Fresh)
        );
        assert_eq!(b.health_detail, None);
    }

    #[test]
    fn apps_round_trip_and_duplicates_are_refused() {
        let registry = Registry::in_memory().unwrap();
        let id = registry.insert_app(&valid("myapp"), true, 1).unwrap();
        let app = registry.app(id).unwrap();
        assert_eq!((app.client_id.as_str(), app.secret_set), ("myapp", true));
        assert_eq!(
            registry
                .find_app(&app.provider, "myapp")
                .unwrap()
                .map(|a| a.id),
            Some(id)
        );
        let err = registry.insert_app(&valid("myapp"), false, 2).unwrap_err();
        assert_eq!(err.code(), "app_exists");
        assert_eq!(registry.apps().unwrap().len(), 1);
    }

    #[test]
    fn accounts_upsert_by_app_and_name_and_go_with_their_app() {
        let registry = Registry::in_memory().unwrap();
        let app = registry.insert_app(&valid("myapp"), true, 1).unwrap();
        let first = registry
            .upsert_account(&new_account(app, "alice", 500), 2)
            .unwrap();
        registry
            .set_health(first, Health::NeedsSignIn, Some("refused"))
            .unwrap();
        let again = registry
            .upsert_account(&new_account(app, "alice", 900), 3)
            .unwrap();
        assert_eq!(first, again);
        let account = registry.account(first).unwrap();
        assert_eq!(
            (account.expires_at, account.health, account.health_detail),
            (Some(900), Health::Fresh, None)
        );
        assert_eq!(account.scopes, ["vote", "comment"]);

        registry.record_refresh(first, 1_000, Some(2_000)).unwrap();
        assert_eq!(registry.account(first).unwrap().expires_at, Some(2_000));
        registry.delete_app(app).unwrap();
        assert_eq!(registry.account(first).unwrap_err(), Error::AccountNotFound);
    }

    fn entry(username: &str, kind: &str, outcome: Outcome) -> ActivityEntry {
        ActivityEntry {
            id: ActivityId(0),
            at: 1_000,
            sender: Sender {
                account_id: Some(AccountId(1)),
                username: username.into(),
                app_client_id: "myapp".into(),
                provider: "https://hivesigner.com".into(),
            },
            kind: kind.into(),
            summary: format!("{kind} by {username}"),
            operations: "[]".into(),
            outcome,
            resolved_by: None,
        }
    }

    #[test]
    fn activity_is_kept_and_filtered() {
        let registry = Registry::in_memory().unwrap();
        let sent = Outcome::Sent {
            transaction_id: "abc".into(),
        };
        let failed = Outcome::Failed {
            code: "chain_refused".into(),
            message: "refused".into(),
            raw: "{}".into(),
        };
        registry
            .record_activity(&entry("alice", "vote", sent.clone()))
            .unwrap();
        let id = registry
            .record_activity(&entry("bob", "comment+comment_options", failed.clone()))
            .unwrap();
        registry
            .record_activity(&entry("alice", "comment", sent))
            .unwrap();

        let all = registry.activity(&ActivityFilter::default()).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].kind, "comment", "newest first");
        let errors = ActivityFilter {
            errors_only: true,
            ..Default::default()
        };
        assert_eq!(registry.activity(&errors).unwrap()[0].outcome, failed);
        let comments = ActivityFilter {
            kind: Some("comment".into()),
            ..Default::default()
        };
        assert_eq!(registry.activity(&comments).unwrap().len(), 2);
        let options = ActivityFilter {
            kind: Some("comment_options".into()),
            username: Some("bob".into()),
            ..Default::default()
        };
        assert_eq!(registry.activity(&options).unwrap().len(), 1);
        let votes_of_bob = ActivityFilter {
            kind: Some("vote".into()),
            username: Some("bob".into()),
            ..Default::default()
        };
        assert!(registry.activity(&votes_of_bob).unwrap().is_empty());
        assert_eq!(registry.activity_entry(id).unwrap().sender.username, "bob");
    }

    #[test]
    fn missing_rows_give_not_found() {
        let registry = Registry::in_memory().unwrap();
        assert_eq!(registry.app(AppId(9)).unwrap_err(), Error::AppNotFound);
        assert_eq!(
            registry.delete_account(AccountId(9)).unwrap_err(),
            Error::AccountNotFound
        );
        assert_eq!(
            registry
                .set_health(AccountId(9), Health::Fresh, None)
                .unwrap_err(),
            Error::AccountNotFound
        );
    }

    #[test]
    fn a_file_registry_migrates_once_and_refuses_newer_schemas() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/registry.sqlite3");
        {
            let registry = Registry::open(&path).unwrap();
            registry.insert_app(&valid("myapp"), false, 1).unwrap();
        }
        let reopened = Registry::open(&path).unwrap();
        assert_eq!(reopened.apps().unwrap().len(), 1);
        drop(reopened);
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Registry::open(&path).err().unwrap();
        assert!(err.to_string().contains("newer Authdeck"), "{err}");
    }

    fn failed() -> Outcome {
        Outcome::Failed {
            code: "node_failure".into(),
            message: "node".into(),
            raw: String::new(),
        }
    }

    fn unknown() -> Outcome {
        Outcome::Unknown {
            code: "may_have_been_sent".into(),
            message: "lost".into(),
            raw: String::new(),
        }
    }

    #[test]
    fn a_later_send_of_the_same_operations_resolves_earlier_failures() {
        let registry = Registry::in_memory().unwrap();
        let vote = |outcome| ActivityEntry {
            operations: r#"[["vote",{}]]"#.into(),
            ..entry("alice", "vote", outcome)
        };
        let first = registry.record_activity(&vote(failed())).unwrap();
        let other = registry
            .record_activity(&entry("alice", "vote", failed()))
            .unwrap();
        let bob = registry
            .record_activity(&ActivityEntry {
                operations: r#"[["vote",{}]]"#.into(),
                ..entry("bob", "vote", failed())
            })
            .unwrap();
        let errors = ActivityFilter {
            errors_only: true,
            ..Default::default()
        };
        assert_eq!(registry.activity(&errors).unwrap().len(), 3);
        let sent = registry
            .record_activity(&vote(Outcome::Sent {
                transaction_id: "ab".into(),
            }))
            .unwrap();
        assert_eq!(
            registry.activity_entry(first).unwrap().resolved_by,
            Some(sent)
        );
        assert_eq!(
            registry.activity_entry(other).unwrap().resolved_by,
            None,
            "other operations"
        );
        assert_eq!(
            registry.activity_entry(bob).unwrap().resolved_by,
            None,
            "another sender"
        );
        let open: Vec<ActivityId> = registry
            .activity(&errors)
            .unwrap()
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(open, [bob, other]);
    }

    #[test]
    fn an_unknown_entry_found_on_chain_is_sent_with_its_evidence() {
        let registry = Registry::in_memory().unwrap();
        let vote = |outcome| ActivityEntry {
            operations: r#"[["vote",{}]]"#.into(),
            ..entry("alice", "vote", outcome)
        };
        let refused = registry.record_activity(&vote(failed())).unwrap();
        let lost = registry.record_activity(&vote(unknown())).unwrap();
        let sender = registry.activity_entry(lost).unwrap().sender;
        assert_eq!(
            registry
                .open_unknown(&sender, r#"[["vote",{}]]"#)
                .unwrap()
                .map(|e| e.id),
            Some(lost)
        );
        assert_eq!(registry.open_unknown(&sender, "[]").unwrap(), None);
        let marked = registry.mark_on_chain(lost, "the chain lists it").unwrap();
        assert_eq!(
            marked.outcome,
            Outcome::OnChain {
                evidence: "the chain lists it".into()
            }
        );
        assert_eq!(
            registry.activity_entry(refused).unwrap().resolved_by,
            Some(lost)
        );
        assert_eq!(
            registry.open_unknown(&sender, r#"[["vote",{}]]"#).unwrap(),
            None
        );
        assert!(
            registry.mark_on_chain(lost, "again").is_err(),
            "only unknown entries"
        );
    }

    /// The schema as version 2 shipped it, with one app, one account and a log entry of an
    /// account (id 3) removed before the upgrade.
    fn version_2_file(path: &Path) {
        let mut conn = Connection::open(path).unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute_batch(MIGRATIONS[0]).unwrap();
        tx.execute_batch(MIGRATIONS[1]).unwrap();
        tx.pragma_update(None, "user_version", 2).unwrap();
        tx.execute_batch(
            "INSERT INTO apps VALUES (1, 'hivesigner', 'https://hivesigner.com', 'myapp', 'posting,offline', 'loopback', 1, 1, 1);
             INSERT INTO accounts VALUES (2, 1, 'alice', '[]', 'code', 1, 2, 'fresh', NULL, 1, 1);
             INSERT INTO activity (at, account_id, username, app_client_id, kind, summary, operations, transaction_id)
                 VALUES (5, 2, 'alice', 'myapp', 'vote', 'vote', '[]', 'abc');
             INSERT INTO activity (at, account_id, username, app_client_id, kind, summary, operations, error_code, error_message, error_raw)
                 VALUES (6, 3, 'bob', 'myapp', 'vote', 'vote', '[]', 'node_failure', 'node', '');",
        )
        .unwrap();
        tx.commit().unwrap();
    }

    #[test]
    fn ids_are_never_reused_also_after_the_upgrade_from_version_2() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.sqlite3");
        version_2_file(&path);
        let registry = Registry::open(&path).unwrap();
        let alice = registry.account(AccountId(2)).unwrap();
        assert_eq!((alice.username.as_str(), alice.app_id), ("alice", AppId(1)));
        let log = registry.activity(&ActivityFilter::default()).unwrap();
        assert_eq!(
            log[1].sender.provider, "https://hivesigner.com",
            "kept from the join"
        );
        assert_eq!(log[1].outcome.status(), "sent");
        assert_eq!(
            log[0].sender.provider, "",
            "its account was gone before the upgrade"
        );
        assert_eq!(log[0].outcome.status(), "failed");

        // Account 3 was removed before the upgrade: a new account must not take its id.
        let carol = registry
            .upsert_account(&new_account(AppId(1), "carol", 9), 10)
            .unwrap();
        assert_eq!(carol, AccountId(4));
        registry.delete_account(carol).unwrap();
        let dave = registry
            .upsert_account(&new_account(AppId(1), "dave", 9), 11)
            .unwrap();
        assert_eq!(dave, AccountId(5), "a removed account's id stays unused");
        registry.delete_app(AppId(1)).unwrap();
        assert_eq!(
            registry.account(AccountId(2)).unwrap_err(),
            Error::AccountNotFound,
            "cascade still works"
        );
        let app = registry.insert_app(&valid("myapp"), false, 12).unwrap();
        assert_eq!(app, AppId(2));
    }

    #[test]
    fn script_access_is_off_until_allowed_and_kept_per_app() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.sqlite3");
        let registry = Registry::open(&path).unwrap();
        assert_eq!(registry.dir(), Some(dir.path()));
        assert_eq!(Registry::in_memory().unwrap().dir(), None);
        let first = registry.insert_app(&valid("myapp"), true, 1).unwrap();
        let second = registry.insert_app(&valid("other"), true, 1).unwrap();
        assert_eq!(
            registry.script_access(first).unwrap(),
            ScriptAccess::default(),
            "off by default"
        );
        let allowed = ScriptAccess {
            allowed: true,
            confirm: true,
        };
        registry.set_script_access(first, allowed).unwrap();
        drop(registry);
        let registry = Registry::open(&path).unwrap();
        let all = registry.script_accesses().unwrap();
        assert_eq!(all[&first], allowed);
        assert_eq!(all[&second], ScriptAccess::default());
        assert_eq!(
            registry.set_script_access(AppId(99), allowed).unwrap_err(),
            Error::AppNotFound
        );
    }
}
