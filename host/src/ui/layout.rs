//! The page frame (navigation, sign-out) and the small pieces pages share.

use super::session::Session;
use crate::store::Role;
use maud::{DOCTYPE, Markup, html};

pub use crate::human::{time, when};

/// A page without navigation (sign-in, errors).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body { main #main { (body) } }
        }
    }
}

/// A page for a signed-in user: navigation by role, the body, a sign-out form.
pub fn page(session: &Session, title: &str, body: Markup) -> Markup {
    let admin = session.actor.user.role == Role::Admin;
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a .skip href="#main" { "Skip to content" }
                header {
                    nav aria-label="Main" {
                        a .brand href="/ui/connectors" { "Airlock" }
                        a href="/ui/connectors" { "Connectors" }
                        a href="/ui/types" { "Connector types" }
                        a href="/ui/leases" { "Leases" }
                        a href="/ui/tokens" { "Tokens" }
                        @if admin {
                            a href="/ui/plugins" { "Plugins" }
                            a href="/ui/audit" { "Audit log" }
                            a href="/ui/users" { "Users" }
                        }
                        @if session.actor.user.role != Role::Consumer {
                            a href="/ui/teams" { "Teams" }
                        }
                    }
                    form .signout method="post" action="/ui/logout" {
                        (csrf(session))
                        span { (session.actor.user.name) " (" (session.actor.user.role.as_str()) ")" }
                        button type="submit" { "Sign out" }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                script src="/ui/assets/app.js" {}
            }
        }
    }
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="referrer" content="no-referrer";
            title { (title) " · Airlock" }
            link rel="stylesheet" href="/ui/assets/style.css";
        }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A one-button form posting to `action` (with a confirmation question when JavaScript runs).
pub fn action_button(session: &Session, action: &str, label: &str, confirm: Option<&str>) -> Markup {
    html! {
        form .inline method="post" action=(action) {
            (csrf(session))
            button type="submit" .danger[confirm.is_some()] data-confirm=[confirm] { (label) }
        }
    }
}

/// A path segment for a name or id (names are letters, digits and `-_.@`; anything else is
/// percent-encoded).
pub fn segment(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>().replace('+', "%20")
}

/// A new API token, shown once with a copy button.
pub fn new_token(intro: Markup, token: &str) -> Markup {
    html! {
        div .warning role="status" {
            p { (intro) }
            textarea #new-token readonly rows="1" aria-label="New token" { (token) }
            button type="button" .copy data-copy="new-token" { "Copy" }
        }
    }
}
