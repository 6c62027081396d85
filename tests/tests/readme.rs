//! README.md's "Try it" walk-through, run as written against the local stack `make test` started:
//! every ```sh block of that section, in order, as one bash script (`set -euo pipefail`, so a
//! failing command fails the test), with the photo it uploads generated first. `make dev` is the
//! one line left out (the stack is already up). Each block's output must then show the answer the
//! README promises (below): registered and signed in, the catalog, the photo's variants, the order
//! shipped with tracking, the two emails, and a guest's order read with its order token.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart_tests::{encoded, photo, repo_root};
use std::process::Command;

/// The ```sh blocks between "## Try it" and the next "## " heading.
fn try_it_blocks(readme: &str) -> Vec<String> {
    let section = readme
        .split("\n## Try it\n")
        .nth(1)
        .expect("README.md has a '## Try it' section")
        .split("\n## ")
        .next()
        .unwrap_or_default();
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in section.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(Vec::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap().join("\n")),
            (Some(lines), l) => lines.push(l),
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "an unclosed ```sh block in Try it");
    blocks
}

/// What each block's output must contain, in block order.
const EXPECTED: &[&[&str]] = &[
    // register, log in, /me, refresh, the catalog
    &[
        r#""email":"ada@example.com""#,
        r#""token_type":"Bearer""#,
        r#""slug":"kitchen""#,
        r#""next_cursor""#,
        // search: the misspelt wheelbarrow found and highlighted, a suggestion, a sorted filter
        "<b>Wheelbarrow</b>",
        r#"{"type":"category","category":"kitchen","count":"#,
        r#""sort":"price_asc""#,
    ],
    // the photo: uploaded, resized, the product lists its variants
    &[r#""variants""#, r#""width":1200"#, r#""format":"webp""#],
    // checkout, pay, the order shipped with tracking, log out
    &[
        r#""discount":{"code":"WELCOME10","saving":{"type":"percent","percent":10},"applies":true"#,
        r#""shipping_estimate":{"country":"NL","tax_included":true"#,
        r#""shipping_option":{"option_id":"eu-express""#,
        r#""tax_included":true"#,
        "succeeded",
        r#""status":"shipped""#,
        r#""tracking_reference":"FC-"#,
        "204\n",
    ],
    // the emails
    &["To: ada@example.com", "Subject: "],
    // a guest: cart token, checkout with an email, paid and shipped, read with its order token
    &[
        "succeeded",
        r#""status":"shipped""#,
        "To: grace@example.com",
        "?token=",
    ],
    // the data lake and the recommendations job
    &[r#""window":{"from":"#, r#""products":"#, r#""why":""#],
    // create an admin
    &["you@example.com as admin"],
];

#[test]
fn the_readme_walk_through_runs_as_written() {
    let root = repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let blocks = try_it_blocks(&readme);
    assert_eq!(
        blocks.len(),
        EXPECTED.len(),
        "Try it has {} sh blocks; this test expects answers for {}",
        blocks.len(),
        EXPECTED.len()
    );
    let mut script = String::from("set -euo pipefail\n");
    for (i, block) in blocks.iter().enumerate() {
        script.push_str(&format!("echo '::block {i}::'\n"));
        for line in block.lines() {
            if line.trim() == "make dev" {
                continue; // the stack `make test` runs the tests against
            }
            script.push_str(line);
            script.push('\n');
        }
    }
    script.push_str("echo '::end::'\n");

    // The photo the README uploads ("F=photo.jpg"), written where the walk-through runs.
    let photo_path = root.join("photo.jpg");
    std::fs::write(
        &photo_path,
        encoded(&photo(1600, 1200), image::ImageFormat::Jpeg),
    )
    .unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(&root)
        .output()
        .expect("bash runs");
    let _ = std::fs::remove_file(&photo_path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("::end::"),
        "the walk-through failed ({}):\n--- script\n{script}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    for (i, wanted) in EXPECTED.iter().enumerate() {
        let start = stdout.find(&format!("::block {i}::")).unwrap();
        let end = stdout
            .find(&format!("::block {}::", i + 1))
            .or_else(|| stdout.find("::end::"))
            .unwrap();
        let output = &stdout[start..end];
        for w in *wanted {
            assert!(
                output.contains(w),
                "block {i} of Try it did not answer {w:?}:\n--- block\n{}\n--- its output\n{output}\n--- stderr\n{stderr}",
                blocks[i]
            );
        }
    }
}
