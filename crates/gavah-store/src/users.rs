//! Users of the authenticated API: a name, a role and the keyed hash of a
//! token (migration V7). What a role may do, and how tokens are made and
//! hashed, is gavah-app's; the store only keeps the rows.

use crate::{Store, StoreError, Writer};
use rusqlite::{OptionalExtension, params};

/// One user, without anything that would let a reader of the file act as them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub name: String,
    pub role: String,
    pub created_ms: u64,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        name: r.get(0)?,
        role: r.get(1)?,
        created_ms: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
    })
}

impl Store {
    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT name, role, created_ms FROM users ORDER BY name")?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The user whose token has this hash, if any.
    pub fn user_by_token_hash(&self, hash: &[u8; 32]) -> Result<Option<UserRow>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT name, role, created_ms FROM users WHERE token_hash = ?1",
                [hash.as_slice()],
                row,
            )
            .optional()?)
    }
}

impl Writer<'_> {
    /// Adds a user; false if the name is taken.
    pub fn add_user(
        &mut self,
        name: &str,
        role: &str,
        token_hash: &[u8; 32],
        created_ms: u64,
    ) -> Result<bool, StoreError> {
        let n = self.conn()?.execute(
            "INSERT INTO users (name, role, token_hash, created_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO NOTHING",
            params![
                name,
                role,
                token_hash.as_slice(),
                i64::try_from(created_ms).unwrap_or(i64::MAX)
            ],
        )?;
        Ok(n == 1)
    }

    /// Removes a user (their token stops working); false if there was none.
    pub fn remove_user(&mut self, name: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn()?
            .execute("DELETE FROM users WHERE name = ?1", [name])?
            == 1)
    }
}
