//! Who may do what. Admins may do everything; members own connectors and grant `use` or
//! `manage` on them to users, teams or everyone; consumers may only use what is granted to them.

use super::ServiceError;
use crate::store::{ConnectorRow, Grantee, Level, Role, UserRow};

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: UserRow,
    /// Ids of the teams the caller is in.
    pub teams: Vec<String>,
}

/// What a caller wants to do with a connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// See it (describe, list).
    Read,
    /// List its resources.
    Use,
    /// Get a client credential from it.
    Issue,
    /// Verify it.
    Verify,
    /// Update or delete it.
    Manage,
    /// Grant or revoke access to it, or hand it to another owner.
    Share,
}

impl Actor {
    pub fn name(&self) -> &str {
        &self.user.name
    }

    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }

    /// The highest level granted to the caller on this connector (to them, one of their teams
    /// or everyone); a consumer never holds more than `use`.
    pub fn granted(&self, connector: &ConnectorRow) -> Option<Level> {
        let level = connector
            .grants
            .iter()
            .filter(|g| match &g.grantee {
                Grantee::User(id) => *id == self.user.id,
                Grantee::Team(id) => self.teams.contains(id),
                Grantee::Everyone => true,
            })
            .map(|g| g.level)
            .max()?;
        Some(if self.user.role == Role::Consumer { Level::Use } else { level })
    }

    /// Whether the caller may `verb` this connector: admins and the owner may do everything,
    /// others what a grant allows.
    pub fn may(&self, verb: Verb, connector: &ConnectorRow) -> bool {
        if self.is_admin() || connector.owner_id == self.user.id {
            return true;
        }
        let needed = match verb {
            Verb::Read | Verb::Use | Verb::Issue => Level::Use,
            Verb::Verify | Verb::Manage => Level::Manage,
            Verb::Share => return false,
        };
        self.granted(connector).is_some_and(|level| level >= needed)
    }

    /// Fail unless the caller may `verb` the connector. A connector the caller may not even see
    /// is reported as not found.
    pub fn check(&self, verb: Verb, connector: &ConnectorRow) -> Result<(), ServiceError> {
        if self.may(verb, connector) {
            return Ok(());
        }
        if !self.may(Verb::Read, connector) {
            return Err(super::error::not_found("connector", &connector.name));
        }
        Err(ServiceError::Forbidden(format!("you may not {} the connector `{}`", verb_name(verb), connector.name)))
    }

    /// Fail unless the caller may register connectors.
    pub fn check_can_register(&self) -> Result<(), ServiceError> {
        match self.user.role {
            Role::Admin | Role::Member => Ok(()),
            Role::Consumer => Err(ServiceError::Forbidden("consumers may not register connectors".into())),
        }
    }

    /// Fail unless the caller is an admin.
    pub fn check_admin(&self, what: &str) -> Result<(), ServiceError> {
        if self.is_admin() { Ok(()) } else { Err(ServiceError::Forbidden(format!("only admins may {what}"))) }
    }
}

fn verb_name(verb: Verb) -> &'static str {
    match verb {
        Verb::Read => "see",
        Verb::Use => "list resources of",
        Verb::Issue => "obtain credentials from",
        Verb::Verify => "verify",
        Verb::Manage => "update or delete",
        Verb::Share => "share or transfer",
    }
}
