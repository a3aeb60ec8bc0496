//! Discord's rules for command definitions, checked before registering so that a bad
//! definition fails in a test rather than as a `400` from Discord.
//!
//! Spec: <https://discord.com/developers/docs/interactions/application-commands#application-command-object-application-command-naming>.

use std::collections::HashSet;
use std::sync::OnceLock;

use regex::Regex;

use super::choice::{Choice, ChoiceValue};
use super::option::CommandOption;
use super::Command;
use crate::model::{CommandType, OptionType};
use crate::response::limits::{char_len, CHOICES, CHOICE_TEXT};

/// Options (or subcommands) per level.
pub const MAX_OPTIONS: usize = 25;
/// Longest name.
pub const MAX_NAME: usize = 32;
/// Longest description.
pub const MAX_DESCRIPTION: usize = 100;
/// Longest `min_length`/`max_length` bound.
pub const MAX_STRING_LENGTH: u16 = 6000;
/// `CHAT_INPUT` commands per application (global) or per guild.
pub const MAX_CHAT_INPUT_COMMANDS: usize = 100;
/// `USER` and, separately, `MESSAGE` commands per application or guild.
pub const MAX_CONTEXT_MENU_COMMANDS: usize = 15;

/// The name rule for `CHAT_INPUT` commands and all options, as the docs give it.
const NAME_PATTERN: &str = r"^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$";

/// What is wrong with a definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandProblem {
    /// The name is not 1-32 chars of letters, numbers, `-`, `_` or `'`.
    #[error("the name must be 1-32 letters, numbers, '-', '_' or \"'\"")]
    InvalidName,
    /// The name has an uppercase letter.
    #[error("the name must be lowercase")]
    UppercaseName,
    /// The description is not 1-100 chars (or not empty on a context-menu command).
    #[error("the description must be 1-100 characters (empty for user/message commands)")]
    Description,
    /// More than 25 options at one level.
    #[error("at most 25 options per level")]
    TooManyOptions,
    /// Options on a context-menu command, or nested under a value option.
    #[error("this kind of command or option cannot have options")]
    OptionsNotAllowed,
    /// Two options of one level, or two commands of one type, share a name.
    #[error("names must be unique")]
    DuplicateName,
    /// A required option after an optional one.
    #[error("required options must come before optional ones")]
    RequiredAfterOptional,
    /// A subcommand group below the top level, or a subcommand below a subcommand.
    #[error("subcommands nest at most as group > subcommand")]
    MisplacedSubcommand,
    /// Subcommands mixed with value options at one level.
    #[error("a level holds either subcommands or value options, not both")]
    MixedSubcommands,
    /// A subcommand group without subcommands.
    #[error("a subcommand group needs at least one subcommand")]
    EmptyGroup,
    /// More than 25 choices.
    #[error("at most 25 choices")]
    TooManyChoices,
    /// Choices on an option that is not a string, integer or number.
    #[error("only string, integer and number options have choices or autocomplete")]
    ChoicesNotAllowed,
    /// A choice name that is not 1-100 chars.
    #[error("a choice name must be 1-100 characters")]
    ChoiceName,
    /// A choice value of the wrong type, or a string value over 100 chars.
    #[error("a choice value must match the option's type (strings at most 100 characters)")]
    ChoiceValue,
    /// Autocomplete together with choices.
    #[error("autocomplete and choices are mutually exclusive")]
    AutocompleteWithChoices,
    /// Length bounds on a non-string option, or outside 0-6000 / 1-6000, or min > max.
    #[error("min_length/max_length are for strings: 0-6000, 1-6000, min <= max")]
    LengthBounds,
    /// Value bounds on a non-numeric option, or min > max.
    #[error("min_value/max_value are for integers and numbers, min <= max")]
    ValueBounds,
    /// More commands of one type than Discord allows.
    #[error("too many commands of this type (100 slash, 15 user, 15 message)")]
    TooManyCommands,
}

/// A rule broken by a command definition, with where (`command sub option`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("command `{path}`: {problem}")]
pub struct CommandError {
    /// The command's name and the names down to the offending option.
    pub path: String,
    /// The rule broken.
    pub problem: CommandProblem,
}

fn fail<T>(path: &str, problem: CommandProblem) -> Result<T, CommandError> {
    Err(CommandError {
        path: path.to_owned(),
        problem,
    })
}

fn name_regex() -> Option<&'static Regex> {
    static NAME: OnceLock<Option<Regex>> = OnceLock::new();
    NAME.get_or_init(|| Regex::new(NAME_PATTERN).ok()).as_ref()
}

/// The `CHAT_INPUT` / option name rule: the pattern, and lowercase wherever a
/// lowercase form exists.
fn check_strict_name(name: &str, path: &str) -> Result<(), CommandError> {
    if !name_regex().is_some_and(|re| re.is_match(name)) {
        return fail(path, CommandProblem::InvalidName);
    }
    let lowercase = name
        .chars()
        .all(|c| c.to_lowercase().eq(std::iter::once(c)));
    if !lowercase {
        return fail(path, CommandProblem::UppercaseName);
    }
    Ok(())
}

fn check_description(description: &str, path: &str) -> Result<(), CommandError> {
    match char_len(description) {
        1..=MAX_DESCRIPTION => Ok(()),
        _ => fail(path, CommandProblem::Description),
    }
}

/// Checks one command against Discord's rules.
///
/// # Errors
/// The first [`CommandError`] found, naming the offending command or option.
pub fn validate(command: &Command) -> Result<(), CommandError> {
    let path = command.name.as_str();
    match command.kind {
        CommandType::ChatInput => {
            check_strict_name(&command.name, path)?;
            check_description(&command.description, path)?;
            check_level(&command.options, path, 0)
        }
        _ => {
            if !(1..=MAX_NAME).contains(&char_len(&command.name)) {
                return fail(path, CommandProblem::InvalidName);
            }
            if !command.description.is_empty() {
                return fail(path, CommandProblem::Description);
            }
            if !command.options.is_empty() {
                return fail(path, CommandProblem::OptionsNotAllowed);
            }
            Ok(())
        }
    }
}

/// Checks a whole registration list: each command, unique names per type, and at
/// most 100 slash, 15 user and 15 message commands.
///
/// # Errors
/// The first [`CommandError`] found.
pub fn validate_all(commands: &[Command]) -> Result<(), CommandError> {
    let mut seen = HashSet::new();
    for command in commands {
        validate(command)?;
        if !seen.insert((u8::from(command.kind), command.name.as_str())) {
            return fail(&command.name, CommandProblem::DuplicateName);
        }
    }
    for (kind, max) in [
        (CommandType::ChatInput, MAX_CHAT_INPUT_COMMANDS),
        (CommandType::User, MAX_CONTEXT_MENU_COMMANDS),
        (CommandType::Message, MAX_CONTEXT_MENU_COMMANDS),
    ] {
        if let Some(extra) = commands.iter().filter(|c| c.kind == kind).nth(max) {
            return fail(&extra.name, CommandProblem::TooManyCommands);
        }
    }
    Ok(())
}

fn is_sub(option: &CommandOption) -> bool {
    matches!(
        option.kind,
        OptionType::SubCommand | OptionType::SubCommandGroup
    )
}

/// Checks one level of options. `depth` 0 is the command's own options, 1 a group's
/// or subcommand's, 2 a subcommand's inside a group.
fn check_level(options: &[CommandOption], path: &str, depth: u8) -> Result<(), CommandError> {
    if options.len() > MAX_OPTIONS {
        return fail(path, CommandProblem::TooManyOptions);
    }
    let subs = options.iter().filter(|o| is_sub(o)).count();
    if subs != 0 && subs != options.len() {
        return fail(path, CommandProblem::MixedSubcommands);
    }
    let mut names = HashSet::new();
    let mut optional_seen = false;
    for option in options {
        let here = format!("{path} {}", option.name);
        check_strict_name(&option.name, &here)?;
        check_description(&option.description, &here)?;
        if !names.insert(option.name.as_str()) {
            return fail(&here, CommandProblem::DuplicateName);
        }
        if option.required && optional_seen {
            return fail(&here, CommandProblem::RequiredAfterOptional);
        }
        optional_seen |= !option.required;
        check_option(option, &here, depth)?;
    }
    Ok(())
}

fn check_option(option: &CommandOption, path: &str, depth: u8) -> Result<(), CommandError> {
    match option.kind {
        OptionType::SubCommandGroup => {
            if depth != 0 {
                return fail(path, CommandProblem::MisplacedSubcommand);
            }
            if option.options.is_empty() {
                return fail(path, CommandProblem::EmptyGroup);
            }
            if !option
                .options
                .iter()
                .all(|o| o.kind == OptionType::SubCommand)
            {
                return fail(path, CommandProblem::MisplacedSubcommand);
            }
            check_level(&option.options, path, depth + 1)
        }
        OptionType::SubCommand => {
            if depth > 1 || option.options.iter().any(is_sub) {
                return fail(path, CommandProblem::MisplacedSubcommand);
            }
            check_level(&option.options, path, depth + 1)
        }
        _ => {
            if !option.options.is_empty() {
                return fail(path, CommandProblem::OptionsNotAllowed);
            }
            check_choices(option, path)?;
            check_bounds(option, path)
        }
    }
}

fn check_choices(option: &CommandOption, path: &str) -> Result<(), CommandError> {
    let takes_choices = matches!(
        option.kind,
        OptionType::String | OptionType::Integer | OptionType::Number
    );
    if (!option.choices.is_empty() || option.autocomplete) && !takes_choices {
        return fail(path, CommandProblem::ChoicesNotAllowed);
    }
    if option.autocomplete && !option.choices.is_empty() {
        return fail(path, CommandProblem::AutocompleteWithChoices);
    }
    if option.choices.len() > CHOICES {
        return fail(path, CommandProblem::TooManyChoices);
    }
    option
        .choices
        .iter()
        .try_for_each(|choice| check_choice(option.kind, choice, path))
}

fn check_choice(kind: OptionType, choice: &Choice, path: &str) -> Result<(), CommandError> {
    if !(1..=CHOICE_TEXT).contains(&char_len(&choice.name)) {
        return fail(path, CommandProblem::ChoiceName);
    }
    let fits = match (&choice.value, kind) {
        (ChoiceValue::String(s), OptionType::String) => char_len(s) <= CHOICE_TEXT,
        (ChoiceValue::Integer(_), OptionType::Integer | OptionType::Number) => true,
        (ChoiceValue::Number(_), OptionType::Number) => true,
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        fail(path, CommandProblem::ChoiceValue)
    }
}

fn check_bounds(option: &CommandOption, path: &str) -> Result<(), CommandError> {
    if option.min_length.is_some() || option.max_length.is_some() {
        let min = option.min_length.unwrap_or(0);
        let max = option.max_length.unwrap_or(MAX_STRING_LENGTH);
        let ok = option.kind == OptionType::String
            && min <= MAX_STRING_LENGTH
            && (1..=MAX_STRING_LENGTH).contains(&max)
            && min <= max;
        if !ok {
            return fail(path, CommandProblem::LengthBounds);
        }
    }
    if option.min_value.is_some() || option.max_value.is_some() {
        let numeric = matches!(option.kind, OptionType::Integer | OptionType::Number);
        let as_f64 =
            |n: &Option<serde_json::Number>| n.as_ref().and_then(serde_json::Number::as_f64);
        let ordered = match (as_f64(&option.min_value), as_f64(&option.max_value)) {
            (Some(min), Some(max)) => min <= max,
            _ => true,
        };
        if !numeric || !ordered {
            return fail(path, CommandProblem::ValueBounds);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::Choice;

    fn problem(command: &Command) -> Option<CommandProblem> {
        validate(command).err().map(|e| e.problem)
    }

    fn with(option: CommandOption) -> Command {
        Command::chat_input("cmd", "A command").option(option)
    }

    #[test]
    fn the_name_pattern_compiles() {
        assert!(name_regex().is_some());
    }

    #[test]
    fn valid_names_in_several_scripts_pass() {
        for name in [
            "meeting",
            "join-room",
            "it's_2",
            "réunion",
            "会議",
            "встреча",
            "मीटिंग",
            "ประชุม",
            "x",
        ] {
            assert_eq!(problem(&Command::chat_input(name, "d")), None, "{name}");
        }
    }

    #[test]
    fn bad_names_are_rejected() {
        for name in ["", "has space", "emoji🎉", "dot.name", &"n".repeat(33)] {
            assert_eq!(
                problem(&Command::chat_input(name, "d")),
                Some(CommandProblem::InvalidName),
                "{name:?}"
            );
        }
        assert_eq!(
            problem(&Command::chat_input("Meeting", "d")),
            Some(CommandProblem::UppercaseName)
        );
        assert_eq!(
            problem(&with(CommandOption::string("Topic", "d"))),
            Some(CommandProblem::UppercaseName)
        );
    }

    #[test]
    fn context_menu_commands_allow_spaces_but_no_description_or_options() {
        assert_eq!(problem(&Command::user("Start Meeting")), None);
        let mut described = Command::message("Share");
        described.description = "no".into();
        assert_eq!(problem(&described), Some(CommandProblem::Description));
        let with_option = Command::user("Invite").option(CommandOption::string("x", "y"));
        assert_eq!(
            problem(&with_option),
            Some(CommandProblem::OptionsNotAllowed)
        );
    }

    #[test]
    fn a_description_must_be_1_to_100_chars() {
        assert_eq!(
            problem(&Command::chat_input("c", "")),
            Some(CommandProblem::Description)
        );
        assert_eq!(
            problem(&Command::chat_input("c", "d".repeat(101))),
            Some(CommandProblem::Description)
        );
        assert_eq!(problem(&Command::chat_input("c", "d".repeat(100))), None);
    }

    #[test]
    fn at_most_25_options_and_choices_are_allowed() {
        let options = (0..26).fold(Command::chat_input("c", "d"), |c, i| {
            c.option(CommandOption::string(format!("o{i}"), "d"))
        });
        assert_eq!(problem(&options), Some(CommandProblem::TooManyOptions));
        let choices = (0..26).fold(CommandOption::integer("n", "d"), |o, i| {
            o.choice(Choice::integer(format!("c{i}"), i))
        });
        assert_eq!(
            problem(&with(choices)),
            Some(CommandProblem::TooManyChoices)
        );
    }

    #[test]
    fn choices_must_match_the_option_type() {
        let wrong = CommandOption::string("s", "d").choice(Choice::integer("one", 1));
        assert_eq!(problem(&with(wrong)), Some(CommandProblem::ChoiceValue));
        let long = CommandOption::string("s", "d").choice(Choice::string("x", "v".repeat(101)));
        assert_eq!(problem(&with(long)), Some(CommandProblem::ChoiceValue));
        let unnamed = CommandOption::string("s", "d").choice(Choice::string("", "v"));
        assert_eq!(problem(&with(unnamed)), Some(CommandProblem::ChoiceName));
        let on_bool = CommandOption::boolean("b", "d").choice(Choice::string("x", "y"));
        assert_eq!(
            problem(&with(on_bool)),
            Some(CommandProblem::ChoicesNotAllowed)
        );
        let int_for_number = CommandOption::number("n", "d").choice(Choice::integer("one", 1));
        assert_eq!(problem(&with(int_for_number)), None);
    }

    #[test]
    fn autocomplete_excludes_choices() {
        let both = CommandOption::string("s", "d")
            .autocomplete()
            .choice(Choice::string("a", "b"));
        assert_eq!(
            problem(&with(both)),
            Some(CommandProblem::AutocompleteWithChoices)
        );
        let on_user = CommandOption::user("u", "d").autocomplete();
        assert_eq!(
            problem(&with(on_user)),
            Some(CommandProblem::ChoicesNotAllowed)
        );
    }

    #[test]
    fn required_options_come_first_and_names_are_unique() {
        let order = Command::chat_input("c", "d")
            .option(CommandOption::string("a", "d"))
            .option(CommandOption::string("b", "d").required());
        assert_eq!(problem(&order), Some(CommandProblem::RequiredAfterOptional));
        let twice = Command::chat_input("c", "d")
            .option(CommandOption::string("a", "d"))
            .option(CommandOption::integer("a", "d"));
        assert_eq!(problem(&twice), Some(CommandProblem::DuplicateName));
    }

    #[test]
    fn subcommands_nest_only_as_group_then_subcommand() {
        let ok = with(CommandOption::sub_command_group("room", "d").option(
            CommandOption::sub_command("open", "d").option(CommandOption::string("x", "d")),
        ));
        assert_eq!(problem(&ok), None);
        let deep =
            with(CommandOption::sub_command("a", "d").option(CommandOption::sub_command("b", "d")));
        assert_eq!(problem(&deep), Some(CommandProblem::MisplacedSubcommand));
        let group_in_group = with(
            CommandOption::sub_command_group("a", "d")
                .option(CommandOption::sub_command_group("b", "d")),
        );
        assert_eq!(
            problem(&group_in_group),
            Some(CommandProblem::MisplacedSubcommand)
        );
        let empty = with(CommandOption::sub_command_group("a", "d"));
        assert_eq!(problem(&empty), Some(CommandProblem::EmptyGroup));
        let mixed = Command::chat_input("c", "d")
            .option(CommandOption::sub_command("a", "d"))
            .option(CommandOption::string("b", "d"));
        assert_eq!(problem(&mixed), Some(CommandProblem::MixedSubcommands));
        let nested_value =
            with(CommandOption::string("s", "d").option(CommandOption::string("t", "d")));
        assert_eq!(
            problem(&nested_value),
            Some(CommandProblem::OptionsNotAllowed)
        );
    }

    #[test]
    fn bounds_apply_to_their_option_types_only() {
        assert_eq!(
            problem(&with(CommandOption::string("s", "d").length(1, 6000))),
            None
        );
        assert_eq!(
            problem(&with(CommandOption::string("s", "d").length(5, 2))),
            Some(CommandProblem::LengthBounds)
        );
        assert_eq!(
            problem(&with(CommandOption::string("s", "d").length(0, 6001))),
            Some(CommandProblem::LengthBounds)
        );
        assert_eq!(
            problem(&with(CommandOption::integer("i", "d").length(1, 2))),
            Some(CommandProblem::LengthBounds)
        );
        assert_eq!(
            problem(&with(CommandOption::integer("i", "d").int_range(9, 1))),
            Some(CommandProblem::ValueBounds)
        );
        assert_eq!(
            problem(&with(CommandOption::string("s", "d").int_range(1, 9))),
            Some(CommandProblem::ValueBounds)
        );
        assert_eq!(
            problem(&with(
                CommandOption::number("n", "d").number_range(0.5, 1.5)
            )),
            None
        );
    }

    #[test]
    fn the_error_names_the_offending_option() {
        let bad = with(
            CommandOption::sub_command("start", "d").option(CommandOption::string("Kind", "d")),
        );
        let err = validate(&bad).unwrap_err();
        assert_eq!(err.path, "cmd start Kind");
        assert_eq!(
            err.to_string(),
            "command `cmd start Kind`: the name must be lowercase"
        );
    }

    #[test]
    fn a_list_needs_unique_names_per_type_and_respects_the_counts() {
        let list = [Command::chat_input("a", "d"), Command::user("a")];
        assert_eq!(validate_all(&list), Ok(()));
        let dup = [Command::chat_input("a", "d"), Command::chat_input("a", "e")];
        assert_eq!(
            validate_all(&dup).map_err(|e| e.problem),
            Err(CommandProblem::DuplicateName)
        );
        let users: Vec<Command> = (0..16).map(|i| Command::user(format!("U{i}"))).collect();
        assert_eq!(
            validate_all(&users).map_err(|e| e.problem),
            Err(CommandProblem::TooManyCommands)
        );
    }
}
