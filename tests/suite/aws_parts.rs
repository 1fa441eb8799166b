//! Parts of an API naming parts of another API, and usage plans naming stages their API does
//! not have, refused by `validate` at the argument (`config::api_parts`): one folder per case
//! under `tests/fixtures/aws-parts`, the rendered error snapshotted; `valid-*` folders pass.

use crate::support::{root, Work};

#[test]
fn parts_of_another_api_and_missing_stages_are_refused_at_their_source() {
    let cases = root().join("tests/fixtures/aws-parts");
    let mut names: Vec<String> = std::fs::read_dir(&cases)
        .expect("fixtures")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 5, "{names:?}");
    for name in names {
        let w = Work::copy_of(&cases.join(&name));
        let out = w.run(&["validate", "-no-color"]);
        if name.starts_with("valid-") {
            assert_eq!(out.code, 0, "{name}: {}", out.stderr);
            continue;
        }
        assert_eq!(out.code, 1, "{name}: {}", out.stdout);
        insta::assert_snapshot!(name.clone(), out.stderr);
    }
}
