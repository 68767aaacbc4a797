//! `ismap admin disable-user | enable-user | reset-password` and the
//! password rules on the command line (issue 12, items 9 and 12).

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn ismap(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ismap"))
        .env_remove("ISMAP_DATABASE_URL")
        .env("ISMAP_LOG", "warn")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn operators_reset_passwords_and_disable_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/ismap.db", dir.path().display());
    let db = ["--database-url", url.as_str()];
    let org = ismap(
        &[
            &["admin", "create-org"][..],
            &db,
            &[
                "--name",
                "株式会社テスト",
                "--name-en",
                "Test Inc.",
                "--kind",
                "csp",
            ],
        ]
        .concat(),
        None,
    );
    assert!(org.status.success(), "{}", text(&org));

    let create = |username: &str, password: &str| {
        ismap(
            &[
                &["admin", "create-user"][..],
                &db,
                &[
                    "--org",
                    "Test Inc.",
                    "--role",
                    "csp_admin",
                    "--username",
                    username,
                    "--password-stdin",
                ],
            ]
            .concat(),
            Some(&format!("{password}\n")),
        )
    };
    // Blank-only and common passwords are refused, naming why.
    let blank = create("tanaka", "              ");
    assert_eq!(blank.status.code(), Some(2), "{}", text(&blank));
    assert!(text(&blank).contains("only spaces"), "{}", text(&blank));
    let common = create("tanaka", "password1234");
    assert_eq!(common.status.code(), Some(2), "{}", text(&common));
    assert!(text(&common).contains("commonly used"), "{}", text(&common));
    // Markup in a username is refused; case and width are folded.
    let markup = create("<b>tanaka</b>", "correct horse battery staple");
    assert_eq!(markup.status.code(), Some(2), "{}", text(&markup));
    let created = create("ＴＡＮＡＫＡ", "correct horse battery staple");
    assert!(created.status.success(), "{}", text(&created));
    assert!(
        text(&created).contains("created user tanaka"),
        "{}",
        text(&created)
    );

    let reset = ismap(
        &[
            &["admin", "reset-password"][..],
            &db,
            &["--username", "Tanaka", "--password-stdin"],
        ]
        .concat(),
        Some("another long passphrase 2026\n"),
    );
    assert!(reset.status.success(), "{}", text(&reset));
    assert!(text(&reset).contains("sessions and API tokens were ended"));

    let disable = ismap(
        &[
            &["admin", "disable-user"][..],
            &db,
            &["--username", "tanaka", "--reason", "left the company"],
        ]
        .concat(),
        None,
    );
    assert!(disable.status.success(), "{}", text(&disable));
    assert!(
        text(&disable).contains("disabled tanaka"),
        "{}",
        text(&disable)
    );
    let again = ismap(
        &[
            &["admin", "disable-user"][..],
            &db,
            &["--username", "tanaka", "--reason", "twice"],
        ]
        .concat(),
        None,
    );
    assert!(
        text(&again).contains("already disabled"),
        "{}",
        text(&again)
    );
    let enable = ismap(
        &[
            &["admin", "enable-user"][..],
            &db,
            &["--username", "tanaka", "--reason", "came back"],
        ]
        .concat(),
        None,
    );
    assert!(
        text(&enable).contains("enabled tanaka"),
        "{}",
        text(&enable)
    );

    let nobody = ismap(
        &[
            &["admin", "disable-user"][..],
            &db,
            &["--username", "nobody", "--reason", "x"],
        ]
        .concat(),
        None,
    );
    assert_eq!(nobody.status.code(), Some(2), "{}", text(&nobody));
    assert!(text(&nobody).contains("no user named"), "{}", text(&nobody));
}
