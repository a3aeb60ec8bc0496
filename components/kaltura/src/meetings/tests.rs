use super::*;
use crate::testing::{Fixture, Recorded, ADMIN_SECRET, NOW_MS};
use common::{Clock, KeyValue};
use kaltura_api::ks::{decode, DecodedKs, SessionType};
use kaltura_api::AdminSecret;

const GUILD: u64 = 123_456_789_012_345_678;
const CHANNEL: u64 = 223_456_789_012_345_678;
const OWNER: u64 = 323_456_789_012_345_678;
/// A member who does not own the meetings of these tests.
const MEMBER: u64 = 423_456_789_012_345_678;
const NOW: u64 = NOW_MS / 1000;

const ROOM: &str = r#"{"id":42,"partnerId":1234567,"name":"Weekly sync","status":2,
    "tags":"vcprovider:newrow,kd-type:webinar,kd-guild:123456789012345678","createdAt":1700000000,
    "objectType":"KalturaLocationScheduleResource"}"#;

fn request() -> MeetingRequest {
    MeetingRequest {
        kind: MeetingKind::Webinar,
        title: "  Weekly\nsync ".into(),
        description: Some("All hands".into()),
        guild_id: GUILD,
        channel_id: CHANNEL,
        owner_id: OWNER,
        start_time: None,
        duration_minutes: None,
    }
}

fn scheduled() -> MeetingRequest {
    MeetingRequest {
        start_time: Some(NOW + 3600),
        duration_minutes: Some(90),
        ..request()
    }
}

fn decoded_ks(ks: &str, fx: &Fixture) -> DecodedKs {
    let secret = AdminSecret::new(ADMIN_SECRET).unwrap();
    decode(ks, &[&secret], fx.clock.now_secs()).unwrap()
}

fn ks_of(request: &Recorded) -> &str {
    request.json["ks"].as_str().unwrap()
}

fn create_room(fx: &Fixture) -> Meeting {
    fx.kaltura.script_json(ROOM);
    fx.service().create_meeting(&request()).unwrap()
}

/// `MEMBER` joining with `role` as `name`.
fn member(role: KalturaRole, name: &str) -> Participant {
    Participant {
        user_id: MEMBER,
        kaltura_user_id: "discord-423456789012345678".into(),
        display_name: name.into(),
        role,
    }
}

/// The meetings' owner, acting as a viewer.
fn owner() -> Requester {
    Requester {
        user_id: Some(OWNER),
        role: KalturaRole::Viewer,
    }
}

fn launch_ks(url: &str) -> String {
    let encoded = url.split_once("?ks=").unwrap().1;
    form_decode(encoded)
}

fn form_decode(s: &str) -> String {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn creating_a_room_adds_a_tagged_newrow_resource_with_an_admin_session() {
    let fx = Fixture::new();
    let meeting = create_room(&fx);
    assert_eq!(
        meeting,
        Meeting {
            id: 42,
            kind: MeetingKind::Webinar,
            title: "Weekly sync".into(),
            guild_id: GUILD,
            channel_id: CHANNEL,
            owner_id: OWNER,
            created_at: NOW,
            start_time: None,
            end_time: None,
            ended_at: None,
        }
    );
    let requests = fx.kaltura.requests();
    assert_eq!(requests.len(), 1);
    let add = &requests[0];
    assert_eq!(add.method, "POST");
    assert_eq!(
        add.uri,
        "https://kaltura.test/api_v3/service/schedule_scheduleresource/action/add"
    );
    assert_eq!(add.content_type, "application/json");
    assert_eq!(
        add.json["scheduleResource"],
        serde_json::json!({
            "objectType": "KalturaLocationScheduleResource",
            "name": "Weekly sync",
            "description": "All hands",
            "tags": "vcprovider:newrow,kd-type:webinar,kd-guild:123456789012345678"
        })
    );
    let ks = decoded_ks(ks_of(add), &fx);
    assert_eq!(ks.session_type, SessionType::Admin);
    assert!(ks.valid_until <= NOW + 300, "admin sessions are short");
}

#[test]
fn a_created_meeting_is_recorded_and_listed_by_server_and_owner() {
    let fx = Fixture::new();
    let meeting = create_room(&fx);
    let service = fx.service();
    assert_eq!(service.get_meeting(42).unwrap(), Some(meeting.clone()));
    assert_eq!(
        service.list_meetings(&MeetingFilter::Guild(GUILD)).unwrap(),
        vec![meeting.clone()]
    );
    assert_eq!(
        service.list_meetings(&MeetingFilter::Owner(OWNER)).unwrap(),
        vec![meeting]
    );
    let documents: Vec<String> = fx
        .kv
        .keys()
        .into_iter()
        .filter(|k| !k.contains('#'))
        .collect();
    assert_eq!(
        documents,
        vec![
            "kaltura/v1/guild/123456789012345678/meetings",
            "kaltura/v1/meeting/42",
            "kaltura/v1/owner/323456789012345678/meetings",
        ]
    );
    let stored = String::from_utf8(fx.kv.get("kaltura/v1/meeting/42").unwrap().unwrap()).unwrap();
    assert!(!stored.contains("djJ8"), "no KS is stored: {stored}");
}

#[test]
fn a_scheduled_meeting_is_created_with_its_event_in_one_multirequest() {
    let fx = Fixture::new();
    fx.kaltura.script_json(&format!(
        r#"[{ROOM},
            {{"id":777,"summary":"Weekly sync","startDate":{s},"endDate":{e},"recurrenceType":0,"status":2,"objectType":"KalturaRecordScheduleEvent"}},
            {{"eventId":777,"resourceId":42,"objectType":"KalturaScheduleEventResource"}}]"#,
        s = NOW + 3600,
        e = NOW + 3600 + 5400
    ));
    let meeting = fx.service().create_meeting(&scheduled()).unwrap();
    assert_eq!(meeting.start_time, Some(NOW + 3600));
    assert_eq!(meeting.end_time, Some(NOW + 3600 + 5400));
    let requests = fx.kaltura.requests();
    assert_eq!(requests.len(), 1);
    let multi = &requests[0];
    assert_eq!(
        multi.uri,
        "https://kaltura.test/api_v3/service/multirequest"
    );
    assert_eq!(multi.json["1"]["service"], "schedule_scheduleresource");
    assert_eq!(multi.json["2"]["service"], "schedule_scheduleevent");
    assert_eq!(
        multi.json["2"]["scheduleEvent"]["objectType"],
        "KalturaRecordScheduleEvent"
    );
    assert_eq!(
        multi.json["2"]["scheduleEvent"]["tags"],
        "kd-guild:123456789012345678"
    );
    assert_eq!(
        multi.json["3"]["scheduleEventResource"],
        serde_json::json!({"objectType": "KalturaScheduleEventResource",
            "eventId": "{2:result:id}", "resourceId": "{1:result:id}"})
    );
    let record = MeetingStore::new(&fx.kv)
        .get(MeetingId::parse("42").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(record.event_id, Some(777));
}

#[test]
fn bad_requests_are_refused_before_anything_is_created() {
    let fx = Fixture::new();
    let service = fx.service();
    let cases: Vec<(MeetingRequest, &str)> = vec![
        (
            MeetingRequest {
                guild_id: 0,
                ..request()
            },
            "guild-id",
        ),
        (
            MeetingRequest {
                channel_id: 0,
                ..request()
            },
            "channel-id",
        ),
        (
            MeetingRequest {
                owner_id: 0,
                ..request()
            },
            "owner-id",
        ),
        (
            MeetingRequest {
                title: " \n ".into(),
                ..request()
            },
            "title",
        ),
        (
            MeetingRequest {
                title: "x".repeat(257),
                ..request()
            },
            "title",
        ),
        (
            MeetingRequest {
                title: "x".repeat(101),
                ..request()
            },
            "title",
        ),
        (
            MeetingRequest {
                description: Some("d".repeat(1025)),
                ..request()
            },
            "description",
        ),
        (
            MeetingRequest {
                duration_minutes: Some(0),
                ..scheduled()
            },
            "duration-minutes",
        ),
        (
            MeetingRequest {
                duration_minutes: Some(1441),
                ..scheduled()
            },
            "duration-minutes",
        ),
        (
            MeetingRequest {
                start_time: Some(NOW - 3600),
                ..scheduled()
            },
            "start-time",
        ),
    ];
    for (bad, field) in cases {
        match service.create_meeting(&bad) {
            Err(Error::Invalid(message)) => assert!(message.starts_with(field), "{message}"),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(fx.kaltura.requests().is_empty());
    assert!(fx.kv.keys().is_empty());
}

#[test]
fn a_blank_description_is_no_description() {
    let fx = Fixture::new();
    fx.kaltura.script_json(ROOM);
    let blank = MeetingRequest {
        description: Some("  ".into()),
        ..request()
    };
    fx.service().create_meeting(&blank).unwrap();
    assert!(fx.kaltura.requests()[0].json["scheduleResource"]
        .get("description")
        .is_none());
}

#[test]
fn a_create_is_not_retried_when_kaltura_is_unavailable() {
    let fx = Fixture::new();
    fx.kaltura.script_status(503, "Service Unavailable");
    fx.kaltura.script_json(ROOM);
    let err = fx.service().create_meeting(&request()).unwrap_err();
    assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
    assert_eq!(fx.kaltura.requests().len(), 1);
    assert!(fx.clock.sleeps().is_empty());
    let breaker = format!("{}#", keys::BREAKER);
    assert!(fx
        .kv
        .keys()
        .iter()
        .all(|k| k == keys::BREAKER || k.starts_with(&breaker)));
}

#[test]
fn a_create_times_out_as_unavailable() {
    let fx = Fixture::new();
    fx.kaltura.script_timeout();
    assert!(matches!(
        fx.service().create_meeting(&request()),
        Err(Error::Unavailable(m)) if m.contains("timed out")
    ));
    assert_eq!(fx.kaltura.requests().len(), 1);
}

#[test]
fn kaltura_refusing_the_create_is_forbidden_and_stores_nothing() {
    let fx = Fixture::new();
    fx.kaltura.script_exception(
        "SERVICE_FORBIDDEN",
        "The access to service [schedule_scheduleresource->add] is forbidden",
    );
    assert!(matches!(
        fx.service().create_meeting(&request()),
        Err(Error::Forbidden(_))
    ));
    assert!(fx.kv.keys().is_empty());
}

#[test]
fn an_error_never_carries_the_session_kaltura_echoes() {
    let fx = Fixture::new();
    // Kaltura echoes the KS it was sent in some messages; compute ours first.
    let ks = Sessions::ks_for_test(&fx);
    fx.kaltura.script_exception(
        "INVALID_KS",
        &format!("Invalid KS \"{ks}\", Error \"-1,INVALID_STR\""),
    );
    let err = fx.service().create_meeting(&request()).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(&ks[..20]), "{shown}");
    assert!(matches!(err, Error::Forbidden(_)));
}

#[test]
fn a_failed_event_in_the_multirequest_removes_the_room_again() {
    let fx = Fixture::new();
    fx.kaltura.script_json(&format!(
        r#"[{ROOM},
            {{"code":"PROPERTY_VALIDATION_CANNOT_BE_NULL","message":"The property \"startDate\" cannot be null","objectType":"KalturaAPIException","args":{{}}}},
            {{"code":"INVALID_OBJECT_ID","message":"Invalid object id","objectType":"KalturaAPIException","args":{{}}}}]"#
    ));
    fx.kaltura.script_json(ROOM);
    let err = fx.service().create_meeting(&scheduled()).unwrap_err();
    assert!(
        matches!(&err, Error::Other(m) if m.contains("PROPERTY_VALIDATION_CANNOT_BE_NULL")),
        "{err:?}"
    );
    let requests = fx.kaltura.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].json["1"]["service"],
        "schedule_scheduleresource"
    );
    assert_eq!(requests[1].json["1"]["action"], "delete");
    assert_eq!(requests[1].json["1"]["scheduleResourceId"], 42);
    assert!(fx.kv.keys().is_empty());
}

#[test]
fn a_store_failure_after_the_create_removes_the_room_again() {
    let fx = Fixture::new();
    fx.kaltura.script_json(ROOM);
    fx.kaltura
        .script_json(r#"[{"id":42,"status":3,"objectType":"KalturaLocationScheduleResource"}]"#);
    // The store reads but refuses meeting record writes (the breaker still works).
    fx.kv.fail_sets_under(Some("kaltura/v1/meeting/"));
    let err = Service::new(fx.env())
        .create_meeting(&request())
        .unwrap_err();
    assert!(matches!(err, Error::Storage(_)), "{err:?}");
    let requests = fx.kaltura.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].json["1"]["action"], "delete");
}

#[test]
fn a_meeting_created_at_the_same_moment_on_another_replica_is_not_lost() {
    let fx = Fixture::new();
    fx.kaltura.script_json(ROOM);
    let key = keys::guild_meetings(GuildId::new(GUILD).unwrap());
    let other = br#"{"schema":1,"ids":["43"]}"#;
    let at = key.clone();
    fx.kv.before_next_swap(move |other_replica| {
        common::cas::write(other_replica, &at, other).unwrap();
    });
    fx.service().create_meeting(&request()).unwrap();
    assert_eq!(
        MeetingStore::new(&fx.kv).index(&key).unwrap(),
        vec!["42", "43"]
    );
}

#[test]
fn a_server_with_a_hundred_open_meetings_must_end_one_first() {
    let fx = Fixture::new();
    let store = MeetingStore::new(&fx.kv);
    let key = keys::guild_meetings(GuildId::new(GUILD).unwrap());
    for n in 1..=100 {
        store.index_add(&key, MeetingId::new(n).unwrap()).unwrap();
    }
    assert!(matches!(
        fx.service().create_meeting(&request()),
        Err(Error::Invalid(m)) if m.contains("100 open meetings")
    ));
    assert!(fx.kaltura.requests().is_empty());
}

#[test]
fn unknown_and_malformed_meetings_are_absent() {
    let fx = Fixture::new();
    let service = fx.service();
    assert_eq!(service.get_meeting(42), Ok(None));
    assert_eq!(service.get_meeting(0), Ok(None));
    assert_eq!(service.get_meeting(u64::MAX), Ok(None));
    assert!(matches!(
        service.end_meeting(42, &owner()),
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        service.may_manage(0, &owner()),
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        service.list_meetings(&MeetingFilter::Guild(0)),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        service.list_meetings(&MeetingFilter::Owner(0)),
        Err(Error::Invalid(_))
    ));
    assert_eq!(
        service.list_meetings(&MeetingFilter::Guild(GUILD)),
        Ok(vec![])
    );
}

#[test]
fn listing_shows_newest_first() {
    let fx = Fixture::new();
    create_room(&fx);
    fx.kaltura
        .script_json(&ROOM.replace("\"id\":42", "\"id\":43"));
    fx.service().create_meeting(&request()).unwrap();
    let ids: Vec<u64> = fx
        .service()
        .list_meetings(&MeetingFilter::Guild(GUILD))
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(ids, vec![43, 42]);
}

#[test]
fn ending_cancels_the_event_deletes_the_room_and_unlists_the_meeting() {
    let fx = Fixture::new();
    fx.kaltura.script_json(&format!(
        r#"[{ROOM},{{"id":777,"objectType":"KalturaRecordScheduleEvent"}},
            {{"eventId":777,"resourceId":42,"objectType":"KalturaScheduleEventResource"}}]"#
    ));
    fx.service().create_meeting(&scheduled()).unwrap();
    fx.kaltura.script_json(
        r#"[{"id":777,"status":1,"objectType":"KalturaRecordScheduleEvent"},
            {"id":42,"status":3,"objectType":"KalturaLocationScheduleResource"}]"#,
    );
    fx.clock.advance(std::time::Duration::from_secs(60));
    fx.service().end_meeting(42, &owner()).unwrap();
    let end = &fx.kaltura.requests()[1];
    assert_eq!(end.uri, "https://kaltura.test/api_v3/service/multirequest");
    assert_eq!(end.json["1"]["service"], "schedule_scheduleevent");
    assert_eq!(end.json["1"]["action"], "cancel");
    assert_eq!(end.json["1"]["scheduleEventId"], 777);
    assert_eq!(end.json["2"]["service"], "schedule_scheduleresource");
    assert_eq!(end.json["2"]["action"], "delete");
    assert_eq!(end.json["2"]["scheduleResourceId"], 42);
    let service = fx.service();
    let ended = service.get_meeting(42).unwrap().unwrap();
    assert_eq!(ended.ended_at, Some(NOW + 60));
    assert_eq!(
        service.list_meetings(&MeetingFilter::Guild(GUILD)),
        Ok(vec![])
    );
    // The record stays; both indexes are deleted down to their pointers.
    let store = MeetingStore::new(&fx.kv);
    let keys = fx.kv.keys();
    assert_eq!(keys.len(), 3, "{keys:?}");
    for key in keys {
        assert!(key == "kaltura/v1/meeting/42" || store.index(&key).unwrap().is_empty());
    }
    service.end_meeting(42, &owner()).unwrap();
    assert_eq!(
        fx.kaltura.requests().len(),
        2,
        "ending twice calls Kaltura once"
    );
}

#[test]
fn a_room_already_deleted_on_kaltura_counts_as_ended() {
    let fx = Fixture::new();
    create_room(&fx);
    fx.kaltura.script_json(
        r#"[{"code":"SCHEDULE_RESOURCE_ID_NOT_FOUND","message":"Schedule resource id [42] not found","objectType":"KalturaAPIException","args":{}}]"#,
    );
    fx.service().end_meeting(42, &owner()).unwrap();
    assert!(fx
        .service()
        .get_meeting(42)
        .unwrap()
        .unwrap()
        .ended_at
        .is_some());
}

#[test]
fn an_end_that_does_not_reach_kaltura_leaves_the_meeting_open() {
    let fx = Fixture::new();
    create_room(&fx);
    fx.kaltura.script_status(502, "Bad Gateway");
    assert!(matches!(
        fx.service().end_meeting(42, &owner()),
        Err(Error::Unavailable(_))
    ));
    assert_eq!(fx.kaltura.requests().len(), 2, "an end is not retried");
    assert_eq!(
        fx.service().get_meeting(42).unwrap().unwrap().ended_at,
        None
    );
    fx.kaltura.script_json(
        r#"[{"code":"SERVICE_FORBIDDEN","message":"no","objectType":"KalturaAPIException"}]"#,
    );
    assert!(matches!(
        fx.service().end_meeting(42, &owner()),
        Err(Error::Forbidden(_))
    ));
    assert_eq!(
        fx.service().get_meeting(42).unwrap().unwrap().ended_at,
        None
    );
}

#[test]
fn a_host_join_url_launches_kaf_with_a_user_session_for_that_member() {
    let fx = Fixture::new();
    create_room(&fx);
    let url = fx
        .service()
        .join_url(42, &member(KalturaRole::Moderator, "Ada Lovelace"))
        .unwrap();
    assert!(
        url.starts_with("https://1234567.kaf.kaltura.com/virtualEvent/launch?ks="),
        "{url}"
    );
    let ks = decoded_ks(&launch_ks(&url), &fx);
    assert_eq!(ks.session_type, SessionType::User);
    assert_eq!(ks.user_id, "discord-423456789012345678");
    assert_eq!(ks.valid_until, NOW + 600, "minutes, not a day");
    assert_eq!(
        ks.privileges,
        vec![
            ("resourceId".to_owned(), "42".to_owned()),
            ("role".to_owned(), "adminRole".to_owned()),
            ("userContextualRole".to_owned(), "0".to_owned()),
            ("firstName".to_owned(), "Ada".to_owned()),
            ("lastName".to_owned(), "Lovelace".to_owned()),
            ("actionslimit".to_owned(), "-1".to_owned()),
        ]
    );
    assert_eq!(
        fx.kaltura.requests().len(),
        1,
        "the session is made locally"
    );
}

#[test]
fn an_attendee_join_url_carries_the_viewer_role_and_the_configured_kaf_and_expiry() {
    let fx = Fixture::new()
        .with(settings::KAF_URL, "https://kaf.example.edu/")
        .with(settings::KS_EXPIRY_SECONDS, "120");
    create_room(&fx);
    let url = fx
        .service()
        .join_url(42, &member(KalturaRole::Viewer, "ada"))
        .unwrap();
    assert!(
        url.starts_with("https://kaf.example.edu/virtualEvent/launch?ks="),
        "{url}"
    );
    let ks = decoded_ks(&launch_ks(&url), &fx);
    assert_eq!(ks.valid_until, NOW + 120);
    assert_eq!(ks.privilege("role"), Some("viewerRole"));
    assert_eq!(ks.privilege("userContextualRole"), Some("3"));
    assert_eq!(ks.privilege("firstName"), Some("ada"));
    assert_eq!(ks.privilege("lastName"), None);
}

#[test]
fn a_display_name_cannot_inject_privileges_or_session_fields() {
    let fx = Fixture::new();
    create_room(&fx);
    let url = fx
        .service()
        .join_url(
            42,
            &member(
                KalturaRole::Viewer,
                "Eve,role:adminRole&_u=admin;userContextualRole:0",
            ),
        )
        .unwrap();
    let ks = decoded_ks(&launch_ks(&url), &fx);
    assert_eq!(ks.user_id, "discord-423456789012345678");
    assert_eq!(ks.privilege("role"), Some("viewerRole"));
    assert_eq!(ks.privilege("userContextualRole"), Some("3"));
    assert_eq!(ks.privilege("firstName"), Some("Eve"));
    let names: Vec<&str> = ks.privileges.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "resourceId",
            "role",
            "userContextualRole",
            "firstName",
            "lastName",
            "actionslimit"
        ]
    );
}

#[test]
fn join_urls_are_refused_for_unknown_or_ended_meetings_and_bad_members() {
    let fx = Fixture::new();
    let service = fx.service();
    let ada = member(KalturaRole::Moderator, "Ada");
    assert!(matches!(
        service.join_url(42, &ada),
        Err(Error::NotFound(_))
    ));
    create_room(&fx);
    let bad_user = Participant {
        kaltura_user_id: "a,b".into(),
        ..ada.clone()
    };
    assert!(matches!(
        service.join_url(42, &bad_user),
        Err(Error::Invalid(m)) if m.starts_with("participant.kaltura-user-id")
    ));
    let nobody = Participant {
        user_id: 0,
        ..ada.clone()
    };
    assert!(matches!(
        service.join_url(42, &nobody),
        Err(Error::Invalid(m)) if m.starts_with("participant.user-id")
    ));
    assert!(matches!(
        service.join_url(42, &member(KalturaRole::Moderator, ",;|")),
        Err(Error::Invalid(m)) if m.starts_with("participant.display-name")
    ));
    fx.kaltura
        .script_json(r#"[{"id":42,"status":3,"objectType":"KalturaLocationScheduleResource"}]"#);
    service.end_meeting(42, &owner()).unwrap();
    assert!(matches!(
        service.join_url(42, &ada),
        Err(Error::Invalid(m)) if m.contains("has ended")
    ));
}

#[test]
fn an_app_token_join_url_asks_kaltura_for_the_members_session() {
    let fx = Fixture::app_token();
    fx.kaltura.script_json(
        r#"{"partnerId":1234567,"ks":"djJ8d2lkZ2V0","objectType":"KalturaStartWidgetSessionResponse"}"#,
    );
    fx.kaltura.script_json(
        r#"{"ks":"djJ8YWRtaW4","sessionType":2,"partnerId":1234567,"privileges":"sessionid:0_tok,apptoken:0_tok","objectType":"KalturaSessionInfo"}"#,
    );
    create_room(&fx);
    fx.kaltura.script_json(
        r#"{"partnerId":1234567,"ks":"djJ8d2lkZ2V0","objectType":"KalturaStartWidgetSessionResponse"}"#,
    );
    fx.kaltura.script_json(
        r#"{"ks":"djJ8bWVtYmVy","sessionType":0,"userId":"discord-423456789012345678","privileges":"resourceId:42,role:viewerRole,userContextualRole:3,firstName:Ada,actionslimit:-1,sessionid:0_tok,apptoken:0_tok","objectType":"KalturaSessionInfo"}"#,
    );
    let url = fx
        .service()
        .join_url(42, &member(KalturaRole::Viewer, "Ada"))
        .unwrap();
    assert_eq!(
        url,
        "https://1234567.kaf.kaltura.com/virtualEvent/launch?ks=djJ8bWVtYmVy"
    );
    let start = &fx.kaltura.requests()[4];
    assert!(start.uri.ends_with("/apptoken/action/startSession"));
    assert_eq!(start.json["userId"], "discord-423456789012345678");
    assert_eq!(start.json["type"], 0);
    assert_eq!(start.json["expiry"], 600);
    assert_eq!(
        start.json["sessionPrivileges"],
        "resourceId:42,role:viewerRole,userContextualRole:3,firstName:Ada,actionslimit:-1"
    );
    assert_eq!(fx.kaltura.unused(), 0);
}

#[test]
fn missing_kaltura_settings_are_named() {
    let fx = Fixture::new().without(settings::ADMIN_SECRET);
    assert_eq!(
        fx.service().create_meeting(&request()),
        Err(Error::NotConfigured("kaltura_admin_secret".into()))
    );
    let fx = Fixture::new().without(settings::PARTNER_ID);
    assert_eq!(
        fx.service().create_meeting(&request()),
        Err(Error::NotConfigured("kaltura_partner_id".into()))
    );
}

#[test]
fn an_open_circuit_refuses_a_create_at_once() {
    let fx = Fixture::new();
    for _ in 0..5 {
        fx.kaltura.script_status(503, "");
        assert!(fx.service().ping().is_err());
    }
    assert!(fx.service().circuit_open());
    assert!(matches!(
        fx.service().create_meeting(&request()),
        Err(Error::Unavailable(m)) if m.contains("circuit open")
    ));
    assert_eq!(fx.kaltura.requests().len(), 5);
}

#[test]
fn a_title_of_a_hundred_characters_is_kept_and_one_more_is_refused() {
    // One limit, the contract's: the bot allowed 100, the WIT said 256.
    let fx = Fixture::new();
    fx.kaltura.script_json(ROOM);
    let longest = MeetingRequest {
        title: format!("  {}\n", "é".repeat(MeetingRequest::MAX_TITLE_CHARS)),
        ..request()
    };
    let meeting = fx.service().create_meeting(&longest).unwrap();
    assert_eq!(meeting.title.chars().count(), 100);
    let longer = MeetingRequest {
        title: "é".repeat(MeetingRequest::MAX_TITLE_CHARS + 1),
        ..request()
    };
    assert_eq!(
        fx.service().create_meeting(&longer),
        Err(Error::invalid("title: must be at most 100 characters"))
    );
    assert_eq!(fx.kaltura.requests().len(), 1);
}

#[test]
fn the_owner_or_anyone_from_moderator_up_may_manage_a_meeting() {
    let fx = Fixture::new();
    let meeting = create_room(&fx);
    let service = fx.service();
    let cases = [
        (Some(OWNER), KalturaRole::Viewer, true),
        (Some(MEMBER), KalturaRole::Viewer, false),
        (Some(MEMBER), KalturaRole::Moderator, true),
        (Some(MEMBER), KalturaRole::Admin, true),
        // An API key: no user; with meetings:write it acts as a moderator.
        (None, KalturaRole::Moderator, true),
        (None, KalturaRole::Viewer, false),
    ];
    for (user_id, role, allowed) in cases {
        let requester = Requester { user_id, role };
        assert_eq!(may_manage(&meeting, &requester), allowed, "{requester:?}");
        assert_eq!(
            service.may_manage(42, &requester),
            Ok(allowed),
            "{requester:?}"
        );
    }
    assert!(matches!(
        service.may_manage(43, &owner()),
        Err(Error::NotFound(_))
    ));
    assert_eq!(fx.kaltura.requests().len(), 1, "the store only");
}

#[test]
fn a_viewer_who_does_not_own_a_meeting_cannot_end_it() {
    let fx = Fixture::new();
    create_room(&fx);
    let viewer = Requester {
        user_id: Some(MEMBER),
        role: KalturaRole::Viewer,
    };
    assert!(matches!(
        fx.service().end_meeting(42, &viewer),
        Err(Error::Forbidden(m)) if m.contains("owner")
    ));
    assert_eq!(fx.kaltura.requests().len(), 1, "Kaltura is not called");
    assert_eq!(
        fx.service().get_meeting(42).unwrap().unwrap().ended_at,
        None
    );
}

#[test]
fn a_moderator_ends_a_meeting_someone_else_owns() {
    let fx = Fixture::new();
    create_room(&fx);
    fx.kaltura
        .script_json(r#"[{"id":42,"status":3,"objectType":"KalturaLocationScheduleResource"}]"#);
    let moderator = Requester {
        user_id: Some(MEMBER),
        role: KalturaRole::Moderator,
    };
    fx.service().end_meeting(42, &moderator).unwrap();
    assert!(fx
        .service()
        .get_meeting(42)
        .unwrap()
        .unwrap()
        .ended_at
        .is_some());
}

#[test]
fn the_owner_hosts_even_as_a_viewer_and_other_viewers_attend() {
    let fx = Fixture::new();
    create_room(&fx);
    let service = fx.service();
    let owner = Participant {
        user_id: OWNER,
        ..member(KalturaRole::Viewer, "Olga")
    };
    let as_owner = decoded_ks(&launch_ks(&service.join_url(42, &owner).unwrap()), &fx);
    assert_eq!(as_owner.privilege("role"), Some("adminRole"));
    assert_eq!(as_owner.privilege("userContextualRole"), Some("0"));
    let viewer = member(KalturaRole::Viewer, "Vic");
    let as_viewer = decoded_ks(&launch_ks(&service.join_url(42, &viewer).unwrap()), &fx);
    assert_eq!(as_viewer.privilege("role"), Some("viewerRole"));
    assert_eq!(as_viewer.privilege("userContextualRole"), Some("3"));
}

#[test]
fn each_meeting_kind_tags_its_room_with_its_name() {
    for kind in MeetingKind::ALL {
        assert_eq!(room_kind(*kind).tag_value(), kind.as_str());
    }
}

use crate::session::Sessions;

impl Sessions<'_> {
    /// The admin KS the fixture's service would make first (same clock, same nonce).
    fn ks_for_test(fx: &Fixture) -> String {
        let fresh = Fixture::new();
        fresh.clock.advance(std::time::Duration::from_millis(
            fx.clock.now_millis() - NOW_MS,
        ));
        let (api, upstream) = (fresh.api(), fresh.upstream());
        Sessions::new(&api, fresh.env(), &upstream)
            .admin()
            .unwrap()
            .expose()
            .to_owned()
    }
}
