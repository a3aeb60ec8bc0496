use super::*;

const GUILD_COMMAND: &str = r#"{
    "app_permissions": "442368",
    "application_id": "775799577604522054",
    "authorizing_integration_owners": {"0": "772904309264089089"},
    "channel": {"id": "772908445358620702", "type": 0},
    "channel_id": "772908445358620702",
    "context": 0,
    "data": {
        "id": "866818195033292851",
        "name": "context-menu",
        "options": [{"name": "topic", "type": 3, "value": "roadmap"}],
        "type": 1,
        "guild_id": "772904309264089089"
    },
    "entitlements": [],
    "guild": {"id": "772904309264089089", "locale": "en-US"},
    "guild_id": "772904309264089089",
    "guild_locale": "en-US",
    "id": "867794291820986368",
    "locale": "en-US",
    "member": {
        "avatar": null,
        "deaf": false,
        "joined_at": "2020-11-02T20:46:57.364000+00:00",
        "mute": false,
        "nick": null,
        "pending": false,
        "permissions": "2147483647",
        "premium_since": null,
        "roles": ["785609923542777878"],
        "user": {
            "avatar": "a_f03401914fb4f3caa9037578ab980920",
            "discriminator": "0",
            "global_name": "Ian",
            "id": "167348773423415296",
            "public_flags": 1,
            "username": "ian"
        }
    },
    "token": "UNIQUE_TOKEN",
    "type": 2,
    "version": 1
}"#;

fn command() -> Box<Incoming<CommandData>> {
    match Interaction::from_slice(GUILD_COMMAND.as_bytes()).unwrap() {
        Interaction::Command(c) => c,
        other => panic!("expected a command, got {:?}", other.kind()),
    }
}

#[test]
fn a_bare_ping_parses_as_ping() {
    assert_eq!(
        Interaction::from_slice(br#"{"type":1}"#),
        Ok(Interaction::Ping)
    );
    let full = br#"{"type":1,"id":"1","application_id":"2","token":"t","version":1,"user":{"id":"3","username":"x"}}"#;
    assert_eq!(Interaction::from_slice(full), Ok(Interaction::Ping));
}

#[test]
fn a_guild_command_parses_with_its_envelope() {
    let c = command();
    let e = &c.envelope;
    assert_eq!(e.id.get(), 867_794_291_820_986_368);
    assert_eq!(e.application_id.get(), 775_799_577_604_522_054);
    assert_eq!(
        e.guild_id.map(crate::Id::get),
        Some(772_904_309_264_089_089)
    );
    assert_eq!(e.token.expose_secret(), "UNIQUE_TOKEN");
    assert_eq!(e.version, 1);
    assert_eq!(e.context, Some(InteractionContextType::Guild));
    assert_eq!(e.locale.as_deref(), Some("en-US"));
    assert_eq!(e.app_permissions, Some(Permissions::from_bits(442_368)));
    assert_eq!(
        e.invoker().map(|u| u.id.get()),
        Some(167_348_773_423_415_296)
    );
    assert_eq!(e.display_name(), Some("Ian"));
    let perms = e.member_permissions().unwrap();
    assert!(perms.contains(Permissions::ADMINISTRATOR | Permissions::MANAGE_GUILD));
    assert_eq!(c.data.name, "context-menu");
    assert_eq!(c.data.kind, CommandType::ChatInput);
    assert_eq!(
        c.data.option("topic").and_then(OptionValue::as_str),
        Some("roadmap")
    );
}

#[test]
fn a_dm_command_takes_the_invoker_from_user() {
    let body = r#"{"type":2,"id":"1","application_id":"2","token":"t","version":1,"context":1,
        "channel_id":"9","user":{"id":"5","username":"solo","global_name":null},
        "data":{"id":"3","name":"help","type":1}}"#;
    let Interaction::Command(c) = Interaction::from_slice(body.as_bytes()).unwrap() else {
        panic!("expected a command");
    };
    assert!(c.envelope.member.is_none());
    assert_eq!(
        c.envelope.invoker().map(|u| u.username.as_str()),
        Some("solo")
    );
    assert_eq!(c.envelope.display_name(), Some("solo"));
    assert_eq!(c.envelope.member_permissions(), None);
}

#[test]
fn a_button_click_parses_as_component_with_its_message() {
    let body = r#"{"type":3,"id":"1","application_id":"2","token":"t","version":1,"guild_id":"4",
        "member":{"user":{"id":"5","username":"u"},"roles":[],"permissions":"32","nick":"Boss"},
        "message":{"id":"6","channel_id":"7","content":"Meeting ready","flags":64,"embeds":[]},
        "data":{"custom_id":"join:42","component_type":2}}"#;
    let Interaction::Component(c) = Interaction::from_slice(body.as_bytes()).unwrap() else {
        panic!("expected a component");
    };
    assert_eq!(c.data.custom_id, "join:42");
    assert_eq!(c.data.component_type, ComponentType::Button);
    assert_eq!(c.envelope.display_name(), Some("Boss"));
    let message = c.envelope.message.as_ref().unwrap();
    assert_eq!(message.content, "Meeting ready");
    assert!(message.flags.unwrap().contains(MessageFlags::EPHEMERAL));
}

#[test]
fn autocomplete_and_modal_submit_parse_into_their_variants() {
    let auto = r#"{"type":4,"id":"1","application_id":"2","token":"t","version":1,
        "data":{"id":"3","name":"video","type":1,"options":[{"name":"q","type":3,"value":"int","focused":true}]}}"#;
    let Interaction::Autocomplete(a) = Interaction::from_slice(auto.as_bytes()).unwrap() else {
        panic!("expected autocomplete");
    };
    assert_eq!(a.data.focused().map(|o| o.name.as_str()), Some("q"));

    let modal = r#"{"type":5,"id":"1","application_id":"2","token":"t","version":1,
        "data":{"custom_id":"m","components":[{"type":1,"components":[{"type":4,"custom_id":"f","value":"v"}]}]}}"#;
    let Interaction::ModalSubmit(m) = Interaction::from_slice(modal.as_bytes()).unwrap() else {
        panic!("expected modal submit");
    };
    assert_eq!(m.data.value("f"), Some("v"));
}

#[test]
fn an_unknown_interaction_type_is_reported_not_guessed() {
    assert_eq!(
        Interaction::from_slice(br#"{"type":9}"#),
        Err(ParseError::UnsupportedType(9))
    );
}

#[test]
fn a_command_without_token_or_data_is_rejected() {
    let no_token =
        br#"{"type":2,"id":"1","application_id":"2","data":{"id":"3","name":"x","type":1}}"#;
    assert_eq!(
        Interaction::from_slice(no_token),
        Err(ParseError::MissingField("token"))
    );
    let no_data = br#"{"type":2,"id":"1","application_id":"2","token":"t"}"#;
    assert_eq!(
        Interaction::from_slice(no_data),
        Err(ParseError::MissingField("data"))
    );
    let bad_data = br#"{"type":3,"id":"1","application_id":"2","token":"t","data":{"name":"x"}}"#;
    assert_eq!(
        Interaction::from_slice(bad_data),
        Err(ParseError::MalformedData)
    );
}

#[test]
fn malformed_json_errors_do_not_echo_the_body() {
    let err = Interaction::from_slice(br#"{"type":2,"id":"sneaky-secret"}"#).unwrap_err();
    assert!(matches!(
        err,
        ParseError::Json {
            kind: JsonErrorKind::Data,
            ..
        }
    ));
    assert!(!err.to_string().contains("sneaky-secret"));
    let err = Interaction::from_slice(b"not json").unwrap_err();
    assert!(matches!(
        err,
        ParseError::Json {
            kind: JsonErrorKind::Syntax,
            ..
        }
    ));
    assert_eq!(err.status(), StatusCode::BAD_REQUEST);
}

#[test]
fn an_interaction_serializes_back_to_an_equivalent_payload() {
    let parsed = Interaction::from_slice(GUILD_COMMAND.as_bytes()).unwrap();
    let json = serde_json::to_vec(&parsed).unwrap();
    assert_eq!(Interaction::from_slice(&json).unwrap(), parsed);
    assert_eq!(
        serde_json::to_string(&Interaction::Ping).unwrap(),
        r#"{"type":1}"#
    );
}
