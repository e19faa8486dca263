//! Every form of a secret that libpq or reqwest accepts, as written, and
//! what may be printed of it.

use super::{redact, redact_knowing};

/// (given, printed): the printed form must hold no secret.
const CASES: &[(&str, &str)] = &[
    // URL userinfo, every scheme libpq and reqwest take.
    ("postgres://u:p4ss@h/db", "postgres://u:***@h/db"),
    ("postgresql://u:p4ss@h:5432/db", "postgresql://u:***@h:5432/db"),
    ("http://u:p4ss@registry:8081", "http://u:***@registry:8081"),
    ("https://u:p4ss@registry/ccompat/v7", "https://u:***@registry/ccompat/v7"),
    // A user without a password is shown; an empty password too.
    ("postgres://u@h/db", "postgres://u@h/db"),
    ("postgres://u:@h/db", "postgres://u:@h/db"),
    ("postgres://h/db", "postgres://h/db"),
    // Percent-encoded, and raw characters libpq or WHATWG URLs allow.
    ("postgres://u:p%40ss%2Fw0rd@h/db", "postgres://u:***@h/db"),
    ("postgres://u:p@ss@h/db", "postgres://u:***@h/db"),
    ("postgres://u:p?ss@h/db?sslmode=require", "postgres://u:***@h/db?sslmode=require"),
    ("postgres://u:pa/ss@h/db", "postgres://u:***@h/db"),
    ("postgres://u:p#ss@h/db", "postgres://u:***@h/db"),
    // Several hosts.
    ("postgres://u:p4ss@h1:1,h2:2/db", "postgres://u:***@h1:1,h2:2/db"),
    // Query parameters.
    ("postgres://u@h/db?password=s3cret", "postgres://u@h/db?password=***"),
    (
        "postgres://h/db?sslmode=require&password=s3cret",
        "postgres://h/db?sslmode=require&password=***",
    ),
    (
        "postgres://h/db?password=s3cret&application_name=run",
        "postgres://h/db?password=***&application_name=run",
    ),
    ("postgres://h/db?sslpassword=k3y&user=u", "postgres://h/db?sslpassword=***&user=u"),
    ("postgres://h?password=s3cret", "postgres://h?password=***"),
    ("postgresql:///db?host=/run/pg&password=s3cret", "postgresql:///db?host=/run/pg&password=***"),
    ("postgres://h/db?pass%77ord=s3cret", "postgres://h/db?pass%77ord=***"),
    (
        "https://h/x?access_token=abc&client_secret=def",
        "https://h/x?access_token=***&client_secret=***",
    ),
    ("https://h/x?PASSWORD=abc", "https://h/x?PASSWORD=***"),
    ("postgres://u:p4ss@h/db?password=s3cret", "postgres://u:***@h/db?password=***"),
    // Ordinary query parameters stay, '@' in them too.
    ("postgres://h:5432/db?user=me@corp.example", "postgres://h:5432/db?user=me@corp.example"),
    // libpq key=value strings.
    ("host=h password=s3cret dbname=d", "host=h password=*** dbname=d"),
    ("host=h password = s3cret dbname=d", "host=h password = *** dbname=d"),
    ("host=h password='se cret' dbname=d", "host=h password=*** dbname=d"),
    ("host=h password='it\\'s a \\\\ secret' dbname=d", "host=h password=*** dbname=d"),
    ("password='unterminated secret", "password=***"),
    ("host=h sslpassword=k3y user=u", "host=h sslpassword=*** user=u"),
    ("host=h\tpassword=s3cret\nport=5", "host=h\tpassword=***\nport=5"),
    // libpq reads the next word after "password=" as its value.
    ("password= s3cret host=h", "password= *** host=h"),
    // In free text: messages, log fields, other tools' pairs.
    (
        "cannot connect to PostgreSQL at postgres://u:p4ss@h/db: connection refused",
        "cannot connect to PostgreSQL at postgres://u:***@h/db: connection refused",
    ),
    ("(url \"http://u:p4ss@h:1/subjects\")", "(url \"http://u:***@h:1/subjects\")"),
    (
        "error sending request for url (http://h:1/subjects)",
        "error sending request for url (http://h:1/subjects)",
    ),
    ("api_key=abc token=def X-Secret=ghi", "api_key=*** token=*** X-Secret=***"),
    ("options=\"password=s3cret\"", "options=\"password=***"),
    ("a password is required", "a password is required"),
    ("", ""),
];

#[test]
fn every_form_of_a_secret_is_masked_and_the_rest_kept() {
    for (given, printed) in CASES {
        assert_eq!(&redact(given), printed, "redacting {given:?}");
    }
}

#[test]
fn redaction_is_idempotent() {
    for (given, _) in CASES {
        let once = redact(given);
        assert_eq!(redact(&once), once, "{given:?}");
    }
}

#[test]
fn a_library_that_echoes_the_password_alone_is_masked_by_knowing_the_url() {
    let url = "postgres://u:p%zzss@h/db";
    let libpq = "invalid percent-encoded token: \"p%zzss\"";
    assert_eq!(redact_knowing(libpq, url), "invalid percent-encoded token: \"***\"");
    let spaced = "postgres://u:p ss word@h/db";
    let echoed = format!("at {spaced}: unexpected spaces found in \"p ss word\"");
    let masked = redact_knowing(&echoed, spaced);
    assert!(!masked.contains("ss word"), "{masked}");
    let decoded = redact_knowing("password \"p@ss\" refused", "postgres://u:p%40ss@h/db");
    assert_eq!(decoded, "password \"***\" refused");
    let quoted = redact_knowing("got it's a secret", "host=h password='it\\'s a secret'");
    assert_eq!(quoted, "got ***");
}

#[test]
fn short_known_secrets_do_not_mask_ordinary_words() {
    let masked = redact_knowing("connection to server at h refused", "postgres://u:on@h/db");
    assert_eq!(masked, "connection to server at h refused");
}
