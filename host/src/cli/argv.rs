//! Command-line spellings clap cannot express, normalised before it parses: options after the
//! `--attr=value` attributes (`register … --password=@f --no-verify`), ZenML's `-ri` for
//! `--resource-id` and `--resource_id`-style underscores in option names.

use clap::Command;
use std::ffi::OsString;

/// The arguments (program name first) with the options of the command (and of its parents) moved before its
/// attributes and ZenML spellings rewritten. Arguments that are not UTF-8 are left alone.
pub fn normalise(args: Vec<OsString>, root: &Command) -> Vec<OsString> {
    let Some(mut text) = args.iter().map(|a| a.to_str().map(str::to_string)).collect::<Option<Vec<String>>>() else {
        return args;
    };
    // Walk down to the command the arguments name; options before it belong to its parents.
    let mut commands = vec![root];
    let mut i = 1;
    while i < text.len() {
        if let Some(sub) = commands.last().and_then(|c| c.find_subcommand(&text[i])) {
            commands.push(sub);
        } else if text[i].starts_with('-') {
            text[i] = spelling(commands.last().copied().unwrap_or(root), &text[i]);
            let token = &text[i];
            let takes_value = commands.iter().rev().find_map(|c| option(c, token)).is_some_and(|(_, v)| v);
            if takes_value && !token.contains('=') {
                i += 1;
            }
        } else if commands.last().is_some_and(|c| c.has_subcommands()) {
            return args;
        } else {
            break;
        }
        i += 1;
    }
    let leaf = commands.last().copied().unwrap_or(root);
    // The leaf's own options, then its parents' (global options such as `--url`), those only
    // in their two-word form: `--token=…` among attributes is an attribute (connectors have
    // attributes named `token` and `url`).
    let find = |token: &str| match option(leaf, token) {
        None if !token.contains('=') => commands.iter().rev().skip(1).find_map(|c| option(c, token)),
        found => found,
    };
    for token in text.iter_mut().skip(i) {
        *token = spelling(leaf, token);
    }
    let takes_attributes = leaf.get_arguments().any(|a| a.is_trailing_var_arg_set());
    if !takes_attributes {
        return text.into_iter().map(OsString::from).collect();
    }
    // Move options that follow the first attribute in front of it.
    let (mut head, rest): (Vec<String>, Vec<String>) = (text[..i].to_vec(), text[i..].to_vec());
    let mut attributes = Vec::new();
    let mut tokens = rest.into_iter();
    while let Some(token) = tokens.next() {
        match find(&token) {
            Some((_, takes_value)) if attributes.is_empty() || !is_attribute_spelling(takes_value, &token) => {
                let value = (takes_value && !token.contains('=')).then(|| tokens.next()).flatten();
                head.push(token);
                head.extend(value);
            }
            _ if token.starts_with("--") || !attributes.is_empty() => attributes.push(token),
            _ => head.push(token),
        }
    }
    head.extend(attributes);
    head.into_iter().map(OsString::from).collect()
}

/// `-ri` → `--resource-id`; `--resource_id[=v]` → `--resource-id[=v]` when that is an option.
fn spelling(command: &Command, token: &str) -> String {
    if token == "-ri" && option(command, "--resource-id").is_some() {
        return "--resource-id".into();
    }
    let Some(long) = token.strip_prefix("--") else { return token.to_string() };
    let (name, value) = match long.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (long, None),
    };
    if !name.contains('_') {
        return token.to_string();
    }
    let hyphenated = format!("--{}", name.replace('_', "-"));
    match option(command, &hyphenated) {
        Some(_) => value.map(|v| format!("{hyphenated}={v}")).unwrap_or(hyphenated),
        None => token.to_string(),
    }
}

/// `--name=value` where `name` is also an option: after the first attribute it stays an
/// attribute only if the option takes no value (a flag cannot be given `=value`).
fn is_attribute_spelling(option_takes_value: bool, token: &str) -> bool {
    token.contains('=') && !option_takes_value
}

/// The option `token` names on `command` (`--long`, `--long=v`, `-s`, `-s=v`), and whether it
/// takes a value.
fn option<'a>(command: &'a Command, token: &str) -> Option<(&'a clap::Arg, bool)> {
    let name = token.split_once('=').map_or(token, |(name, _)| name);
    let arg = match (name.strip_prefix("--"), name.strip_prefix('-')) {
        (Some(long), _) => command
            .get_arguments()
            .find(|a| a.get_long_and_visible_aliases().is_some_and(|names| names.contains(&long))),
        (None, Some(short)) if short.chars().count() == 1 => {
            let c = short.chars().next()?;
            command.get_arguments().find(|a| a.get_short_and_visible_aliases().is_some_and(|s| s.contains(&c)))
        }
        _ => None,
    }?;
    Some((arg, arg.get_action().takes_values()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction};

    fn register() -> Command {
        Command::new("airlock").arg(Arg::new("url").long("url").global(true)).subcommand(
            Command::new("register")
                .arg(Arg::new("name"))
                .arg(Arg::new("type").short('t').long("type"))
                .arg(Arg::new("resource-id").long("resource-id"))
                .arg(Arg::new("no-verify").long("no-verify").action(ArgAction::SetTrue))
                .arg(Arg::new("attributes").num_args(0..).trailing_var_arg(true).allow_hyphen_values(true)),
        )
    }

    fn run(args: &[&str]) -> Vec<String> {
        let args = args.iter().map(OsString::from).collect();
        normalise(args, &register()).into_iter().map(|a| a.into_string().unwrap()).collect()
    }

    #[test]
    fn options_after_attributes_move_in_front_of_them() {
        assert_eq!(
            run(&[
                "airlock",
                "--url",
                "u",
                "register",
                "r",
                "--password=@f",
                "--no-verify",
                "-t",
                "docker",
                "--user=a"
            ]),
            ["airlock", "--url", "u", "register", "r", "--no-verify", "-t", "docker", "--password=@f", "--user=a"]
        );
        // The parents' (global) options too, with their values; `--url=…` is an attribute.
        assert_eq!(
            run(&["airlock", "register", "r", "--password=@f", "--url", "u", "--no-verify", "--url=a"]),
            ["airlock", "register", "r", "--url", "u", "--no-verify", "--password=@f", "--url=a"]
        );
        assert_eq!(run(&["airlock", "register", "r", "--url=a"]), ["airlock", "register", "r", "--url=a"]);
    }

    #[test]
    fn zenml_spellings_become_ours() {
        // Also in a command without positional arguments, and before them.
        assert_eq!(run(&["airlock", "register", "-ri", "x"]), ["airlock", "register", "--resource-id", "x"]);
        assert_eq!(
            run(&["airlock", "register", "r", "-ri", "x", "--resource_id=y"]),
            ["airlock", "register", "r", "--resource-id", "x", "--resource-id=y"]
        );
        // Underscored attributes stay attributes.
        assert_eq!(
            run(&["airlock", "register", "r", "--aws_access_key_id=k"]),
            ["airlock", "register", "r", "--aws_access_key_id=k"]
        );
    }
}
