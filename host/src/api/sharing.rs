//! Handlers for sharing — a connector's grants and owner — and for teams.

// utoipa's generated parameter code spells out paths the lint would shorten.
#![allow(unused_qualifications)]

use super::auth::Caller;
use super::error::ErrorBody;
use super::json::{Body, PathPair, PathText};
use super::routes::{Reply, Svc, created, no_content, ok};
use crate::service::{GrantRequest, GrantView, TeamRequest, TeamView, TransferRequest};
use axum::extract::State;

/// Who else may use or manage a connector (its owner, admins and `manage` grantees).
#[utoipa::path(get, path = "/api/v1/connectors/{connector}/grants", tag = "sharing",
    params(("connector" = String, Path, description = "Id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$")),
    responses((status = 200, body = Vec<GrantView>), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn list_grants(State(s): Svc, Caller(a): Caller, PathText(connector): PathText) -> Reply {
    ok(s.list_grants(&a, &connector).await?)
}

/// Grant `use` or `manage` to a user, a team or everyone (owner or admin); answers the grants.
#[utoipa::path(put, path = "/api/v1/connectors/{connector}/grants", tag = "sharing",
    params(("connector" = String, Path, description = "Id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$")),
    request_body = GrantRequest,
    responses((status = 200, body = Vec<GrantView>), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn grant(
    State(s): Svc,
    Caller(a): Caller,
    PathText(connector): PathText,
    Body(request): Body<GrantRequest>,
) -> Reply {
    ok(s.grant(&a, &connector, &request).await?)
}

/// Take a grant back (owner or admin); answers the grants left.
#[utoipa::path(delete, path = "/api/v1/connectors/{connector}/grants/{grantee}", tag = "sharing",
    params(("connector" = String, Path, description = "Id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$"),
        ("grantee" = String, Path, description = "`user:<name>`, `team:<name>` or `everyone`", pattern = "^(everyone|(user|team):[A-Za-z0-9_.@-]{1,128})$")),
    responses((status = 200, body = Vec<GrantView>), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn revoke_grant(State(s): Svc, Caller(a): Caller, PathPair(connector, grantee): PathPair) -> Reply {
    ok(s.revoke_grant(&a, &connector, &grantee).await?)
}

/// Hand a connector to another owner (owner or admin); answers the grants.
#[utoipa::path(post, path = "/api/v1/connectors/{connector}/transfer", tag = "sharing",
    params(("connector" = String, Path, description = "Id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$")),
    request_body = TransferRequest,
    responses((status = 200, body = Vec<GrantView>), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn transfer(
    State(s): Svc,
    Caller(a): Caller,
    PathText(connector): PathText,
    Body(request): Body<TransferRequest>,
) -> Reply {
    ok(s.transfer(&a, &connector, &request).await?)
}

/// Teams with their members (admins and members).
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams",
    responses((status = 200, body = Vec<TeamView>), (status = "default", body = ErrorBody)))]
pub async fn list_teams(State(s): Svc, Caller(a): Caller) -> Reply {
    ok(s.list_teams(&a).await?)
}

/// Create a team (admins).
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", request_body = TeamRequest,
    responses((status = 201, body = TeamView), (status = "default", body = ErrorBody)))]
pub async fn create_team(State(s): Svc, Caller(a): Caller, Body(request): Body<TeamRequest>) -> Reply {
    created(s.create_team(&a, &request).await?)
}

/// One team (admins and members).
#[utoipa::path(get, path = "/api/v1/teams/{team}", tag = "teams",
    params(("team" = String, Path, description = "Team id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$")),
    responses((status = 200, body = TeamView), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn describe_team(State(s): Svc, Caller(a): Caller, PathText(team): PathText) -> Reply {
    ok(s.describe_team(&a, &team).await?)
}

/// Delete a team and the grants naming it (admins).
#[utoipa::path(delete, path = "/api/v1/teams/{team}", tag = "teams",
    params(("team" = String, Path, description = "Team id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn delete_team(State(s): Svc, Caller(a): Caller, PathText(team): PathText) -> Reply {
    s.delete_team(&a, &team).await?;
    no_content()
}

/// Add a user to a team (admins); answers the team.
#[utoipa::path(put, path = "/api/v1/teams/{team}/members/{user}", tag = "teams",
    params(("team" = String, Path, description = "Team id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$"),
        ("user" = String, Path, description = "User id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$")),
    responses((status = 200, body = TeamView), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn add_member(State(s): Svc, Caller(a): Caller, PathPair(team, user): PathPair) -> Reply {
    ok(s.add_team_member(&a, &team, &user).await?)
}

/// Remove a user from a team (admins); answers the team.
#[utoipa::path(delete, path = "/api/v1/teams/{team}/members/{user}", tag = "teams",
    params(("team" = String, Path, description = "Team id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$"),
        ("user" = String, Path, description = "User id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$")),
    responses((status = 200, body = TeamView), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn remove_member(State(s): Svc, Caller(a): Caller, PathPair(team, user): PathPair) -> Reply {
    ok(s.remove_team_member(&a, &team, &user).await?)
}
