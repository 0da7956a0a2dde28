//! Who may do what. Admins may do everything; members own connectors and may share them;
//! consumers may only obtain client credentials from shared connectors.

use super::ServiceError;
use crate::store::{ConnectorRow, Role, UserRow};

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: UserRow,
}

/// What a caller wants to do with a connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// See it (describe, list).
    Read,
    /// Verify it and list its resources.
    Use,
    /// Get a client credential from it.
    Issue,
    /// Update or delete it.
    Manage,
}

impl Actor {
    pub fn name(&self) -> &str {
        &self.user.name
    }

    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }

    /// Whether the caller may `verb` this connector.
    pub fn may(&self, verb: Verb, connector: &ConnectorRow) -> bool {
        let own = connector.owner_id == self.user.id;
        match (self.user.role, verb) {
            (Role::Admin, _) => true,
            (Role::Member, Verb::Manage) => own,
            (Role::Member, _) => own || connector.shared,
            (Role::Consumer, Verb::Read | Verb::Issue) => connector.shared,
            (Role::Consumer, _) => false,
        }
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
        Verb::Use => "verify or list resources of",
        Verb::Issue => "obtain credentials from",
        Verb::Manage => "update or delete",
    }
}
