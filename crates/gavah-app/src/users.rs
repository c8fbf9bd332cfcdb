//! Users of the authenticated API and their roles.
//!
//! A user is a name, a role and a token. The token is 32 random bytes, shown
//! once (`gvh_` and 64 hexadecimal digits) when the user is added; the store
//! keeps only a BLAKE3 hash of it keyed for this purpose, so a copy of the file
//! lets no one use the API, and a lost token is replaced by removing and adding
//! the user again. Tokens are random, not chosen, so a fast hash is enough: no
//! guess can be checked against the hash faster than against the server.

use crate::{App, AppError, now_ms};

/// What a user may do through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Reads the review queue of uncertain pairs (both reports' compared
    /// fields and sources, never their protected fields) and records link
    /// decisions under their own name.
    Reviewer,
}

impl Role {
    pub const ALL: [Role; 1] = [Role::Reviewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reviewer => "reviewer",
        }
    }

    /// Whether this role may review pairs and record link decisions.
    pub fn may_review(self) -> bool {
        matches!(self, Role::Reviewer)
    }
}

impl std::str::FromStr for Role {
    type Err = AppError;

    fn from_str(s: &str) -> Result<Role, AppError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                AppError::Invalid(format!(
                    "'{s}' is not a role; the roles are: {}",
                    known.join(", ")
                ))
            })
    }
}

/// A user the API recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub role: Role,
}

/// A user as listed (no token: the store does not have it).
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserListing {
    pub name: String,
    pub role: String,
    pub created_ms: u64,
}

const TOKEN_PREFIX: &str = "gvh_";

fn token_hash(token: &str) -> [u8; 32] {
    blake3::derive_key("gavah 2026 api token v1", token.trim().as_bytes())
}

impl App {
    /// Adds a user with a role and returns their token, which is not kept and
    /// cannot be shown again.
    pub fn add_user(&mut self, name: &str, role: Role) -> Result<String, AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().any(char::is_control) || name.chars().count() > 100 {
            return Err(AppError::Invalid(
                "a user name must be 1 to 100 characters, without control characters".into(),
            ));
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| AppError::Other(format!("cannot make a random token: {e}")))?;
        let token = format!("{TOKEN_PREFIX}{}", hex::encode(secret));
        let mut w = self.store.writer()?;
        if !w.add_user(name, role.as_str(), &token_hash(&token), now_ms())? {
            return Err(AppError::Invalid(format!(
                "there is already a user named '{name}'; remove them first to give a new token"
            )));
        }
        w.commit()?;
        Ok(token)
    }

    /// Removes a user: their token stops working at once.
    pub fn remove_user(&mut self, name: &str) -> Result<(), AppError> {
        let mut w = self.store.writer()?;
        if !w.remove_user(name.trim())? {
            return Err(AppError::Invalid(format!(
                "there is no user named '{name}'"
            )));
        }
        w.commit()?;
        Ok(())
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<UserListing>, AppError> {
        Ok(self
            .store
            .users()?
            .into_iter()
            .map(|u| UserListing {
                name: u.name,
                role: u.role,
                created_ms: u.created_ms,
            })
            .collect())
    }

    /// The user a token belongs to, if it is one this store issued (and the
    /// user was not removed since).
    pub fn authenticate(&self, token: &str) -> Result<Option<User>, AppError> {
        if !token.trim().starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let Some(row) = self.store.user_by_token_hash(&token_hash(token))? else {
            return Ok(None);
        };
        // A role this version does not know grants nothing.
        Ok(row.role.parse::<Role>().ok().map(|role| User {
            name: row.name,
            role,
        }))
    }

    /// Records link decisions, each (report a, report b, same, note), under
    /// `user`'s name: all of them in one transaction, or none if any names a
    /// report this store lacks. Re-linking is the caller's ([`App::relink`]).
    pub fn decide_as(
        &mut self,
        user: &User,
        decisions: &[(String, String, bool, Option<String>)],
    ) -> Result<Vec<gavah_core::EntryId>, AppError> {
        if !user.role.may_review() {
            return Err(AppError::Invalid(format!(
                "the role {} may not record link decisions",
                user.role.as_str()
            )));
        }
        let mut bodies = Vec::with_capacity(decisions.len());
        for (i, (a, b, same, note)) in decisions.iter().enumerate() {
            let body = self
                .decision(a, b, *same, note.clone())
                .map_err(|e| match e {
                    AppError::Invalid(m) => AppError::Invalid(format!("decision {}: {m}", i + 1)),
                    other => other,
                })?;
            bodies.push(body);
        }
        self.append_all(&user.name, bodies)
    }
}
