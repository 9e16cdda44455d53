//! Files npc writes: the output directory of `npc build`, `npc fmt` and the
//! `npc kustomize install` wrapper. Nothing npc writes may follow a symlink
//! planted at a path npc creates; no namespace can collide with another file
//! of the directory; the directory changes as a whole or not at all.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::npc::{command, npc, stderr};

/// `npc build SRC` into the directory `out`.
fn build_into(src: &Path, out: &Path, extra: &[&str]) -> Output {
    command()
        .arg("build")
        .arg(src)
        .arg("--out-dir")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every policy the kustomization in `dir` lists, as (namespace, name).
fn listed_policies(dir: &Path) -> Vec<(String, String)> {
    let k: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap())
            .unwrap();
    let mut out = Vec::new();
    for r in k["resources"].as_sequence().unwrap() {
        let text = std::fs::read_to_string(dir.join(r.as_str().unwrap())).unwrap();
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let v: serde_yaml::Value = serde::Deserialize::deserialize(doc).unwrap();
            out.push((
                v["metadata"]["namespace"].as_str().unwrap().to_string(),
                v["metadata"]["name"].as_str().unwrap().to_string(),
            ));
        }
    }
    out.sort();
    out
}

#[cfg(unix)]
#[test]
fn a_symlink_planted_in_the_output_directory_is_never_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let victim = tmp.path().join("victim");
    write(&victim, "precious\n");
    let src = tmp.path().join("shop.npl");
    write(&src, "namespace web\nnamespace payments\n");
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // Every name a temporary file was ever given, for every file npc writes
    // (old and new naming), points at the victim.
    for name in [
        "web.yaml",
        "payments.yaml",
        "web.netpol.yaml",
        "payments.netpol.yaml",
        "kustomization.yaml",
    ] {
        std::os::unix::fs::symlink(&victim, out.join(format!(".{name}.npc-tmp"))).unwrap();
    }
    let o = build_into(&src, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    for name in names(&out) {
        let meta = std::fs::symlink_metadata(out.join(&name)).unwrap();
        if !name.ends_with(".npc-tmp") {
            assert!(meta.is_file(), "{name} is a regular file");
        }
    }
    assert!(listed_policies(&out).contains(&("web".into(), "default-deny".into())));
}

#[cfg(unix)]
#[test]
fn a_symlink_at_an_output_file_name_is_not_written_through() {
    let tmp = tempfile::tempdir().unwrap();
    let victim = tmp.path().join("victim");
    write(&victim, "precious\n");
    let src = tmp.path().join("p.npl");
    write(&src, "namespace web\n");
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    for name in ["web.yaml", "web.netpol.yaml", "kustomization.yaml"] {
        std::os::unix::fs::symlink(&victim, out.join(name)).unwrap();
    }
    let o = build_into(&src, &out, &[]);
    // Refused (the links are not npc's) or replaced: never written through.
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    if o.status.success() {
        for name in names(&out) {
            assert!(
                std::fs::symlink_metadata(out.join(&name))
                    .unwrap()
                    .is_file(),
                "{name}"
            );
        }
    } else {
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    }
}

#[cfg(unix)]
#[test]
fn fmt_never_follows_a_symlink_at_its_temporary_name() {
    let tmp = tempfile::tempdir().unwrap();
    let victim = tmp.path().join("victim");
    write(&victim, "precious\n");
    let src = tmp.path().join("p.npl");
    write(&src, "namespace   web\n");
    std::os::unix::fs::symlink(&victim, tmp.path().join(".p.npl.npc-tmp")).unwrap();
    let o = npc(&["fmt", src.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(std::fs::read_to_string(&src).unwrap(), "namespace web\n");
}

#[cfg(unix)]
#[test]
fn kustomize_install_replaces_a_symlink_at_the_wrapper_path() {
    let tmp = tempfile::tempdir().unwrap();
    let victim = tmp.path().join("victim");
    write(&victim, "precious\n");
    let home = tmp.path().join("plugins");
    let dir = home.join("npc.dev/v1alpha1/networkpolicygenerator");
    std::fs::create_dir_all(&dir).unwrap();
    let wrapper = dir.join("NetworkPolicyGenerator");
    std::os::unix::fs::symlink(&victim, &wrapper).unwrap();
    let o = command()
        .args(["kustomize", "install", "--plugin-home"])
        .arg(&home)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&victim).unwrap().permissions().mode() & 0o111,
            0,
            "the victim was not made executable"
        );
    }
    let meta = std::fs::symlink_metadata(&wrapper).unwrap();
    assert!(meta.is_file(), "the wrapper is a regular file now");
    assert!(std::fs::read_to_string(&wrapper)
        .unwrap()
        .contains("kustomize generate"));
}

/// Namespaces named like every file npc writes, or could write, in the
/// output directory: each keeps all its policies, listed by the kustomization.
#[test]
fn no_namespace_collides_with_another_file_of_the_output_directory() {
    let reserved = [
        "kustomization",
        "kustomization-yaml",
        "npc",
        "npc-tmp",
        "npc-lock",
        "npc-stage",
        "netpol",
        "yaml",
        "json",
        "web",
    ];
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("p.npl");
    let program: String = reserved
        .iter()
        .map(|n| format!("namespace {n}\n"))
        .collect();
    write(&src, &program);
    for format in ["yaml", "json"] {
        let out = tmp.path().join(format!("out-{format}"));
        let o = build_into(&src, &out, &["-o", format]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        // Each namespace has its own file; the kustomization is npc's own.
        assert_eq!(names(&out).len(), reserved.len() + 1, "{:?}", names(&out));
        if format == "yaml" {
            let listed = listed_policies(&out);
            for ns in reserved {
                for policy in ["allow-dns", "default-deny"] {
                    assert!(
                        listed.contains(&(ns.to_string(), policy.to_string())),
                        "{ns}/{policy} missing from {listed:?}"
                    );
                }
            }
            assert_eq!(listed.len(), 2 * reserved.len());
        }
        let o = build_into(&src, &out, &["-o", format, "--check"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
}

#[test]
fn files_of_the_old_naming_are_stale_and_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("p.npl");
    write(&src, "namespace web\n");
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // What an older npc wrote: `NAMESPACE.yaml` with the generated header.
    write(
        &out.join("web.yaml"),
        "# Generated by npc from NPL sources; do not edit.\napiVersion: networking.k8s.io/v1\n",
    );
    let o = build_into(&src, &out, &["--check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("stale"), "{}", stderr(&o));
    let o = build_into(&src, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(names(&out), ["kustomization.yaml", "web.netpol.yaml"]);
}

#[cfg(unix)]
#[test]
fn fmt_keeps_mode_symlinks_and_hard_links() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let tmp = tempfile::tempdir().unwrap();
    let messy = "namespace   web\n";
    let formatted = "namespace web\n";

    let private = tmp.path().join("private.npl");
    write(&private, messy);
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();

    let target = tmp.path().join("target.npl");
    write(&target, messy);
    let link = tmp.path().join("link.npl");
    std::os::unix::fs::symlink("target.npl", &link).unwrap();

    let first = tmp.path().join("first.npl");
    write(&first, messy);
    let second = tmp.path().join("second.npl");
    std::fs::hard_link(&first, &second).unwrap();

    for path in [&private, &link, &first] {
        let o = npc(&["fmt", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    assert_eq!(std::fs::read_to_string(&private).unwrap(), formatted);
    assert_eq!(
        std::fs::metadata(&private).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), formatted);
    assert_eq!(std::fs::read_to_string(&second).unwrap(), formatted);
    assert_eq!(
        std::fs::metadata(&first).unwrap().ino(),
        std::fs::metadata(&second).unwrap().ino()
    );
    // Nothing left behind.
    assert_eq!(
        names(tmp.path()),
        [
            "first.npl",
            "link.npl",
            "private.npl",
            "second.npl",
            "target.npl"
        ]
    );
}

fn big_source(dir: &Path, namespaces: usize) -> PathBuf {
    let src = dir.join("big.npl");
    write(&src, &crate::support::npc::big_program(namespaces));
    src
}

/// Killed at any moment, a build leaves the directory entirely old or
/// entirely new (leftovers aside, which `--check` reports and the next
/// build removes).
#[cfg(unix)]
#[test]
fn a_killed_build_leaves_the_old_or_the_new_output_never_a_mix() {
    let tmp = tempfile::tempdir().unwrap();
    let src = big_source(tmp.path(), 400);
    let out = tmp.path().join("out");
    assert_eq!(build_into(&src, &out, &[]).status.code(), Some(0));
    let old = snapshot(&out);
    // The new program changes every namespace file.
    let text = std::fs::read_to_string(&src)
        .unwrap()
        .replace(":443", ":8443");
    write(&src, &text);
    let mut saw_new = false;
    for delay_ms in [5, 20, 40, 60, 80, 100, 150, 200, 300, 400, 600, 1000] {
        let mut child = command()
            .arg("build")
            .arg(&src)
            .arg("--out-dir")
            .arg(&out)
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let now = snapshot(&out);
        if now != old {
            // Whatever was written is the whole new output.
            let new_files: Vec<&String> = now.keys().collect();
            let old_files: Vec<&String> = old.keys().collect();
            assert_eq!(new_files, old_files, "same file names");
            assert!(
                now.iter()
                    .all(|(name, text)| text != &old[name] || name == "kustomization.yaml"),
                "a mix of old and new files after a kill at {delay_ms} ms"
            );
            saw_new = true;
            break;
        }
        let o = build_into(&src, &out, &["--check"]);
        assert_eq!(o.status.code(), Some(1), "out of date after a kill");
    }
    let _ = saw_new;
    // A build that runs to the end repairs everything, leftovers included.
    assert_eq!(build_into(&src, &out, &[]).status.code(), Some(0));
    let o = build_into(&src, &out, &["--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        !std::fs::read_dir(tmp.path()).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with('.')),
        "no staging left next to the directory"
    );
}

/// Regular files in `dir` by name (hidden leftovers excluded).
fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap_or_default(),
            )
        })
        .collect()
}

/// A second build into a directory another build is writing is refused.
#[cfg(unix)]
#[test]
fn a_concurrent_build_into_the_same_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("p.npl");
    write(&src, "namespace web\n");
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // What a running build holds: the directory's lock.
    // (`-o`: the lock stays with flock, not with `sleep`, so killing flock frees it.)
    let mut holder = Command::new("flock")
        .arg("-o")
        .arg(&out)
        .args(["sleep", "30"])
        .spawn()
        .unwrap();
    // Give flock time to take the lock before the first build (a build
    // that swaps the directory first would leave flock a stale one).
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut refused = None;
    for _ in 0..100 {
        let o = build_into(&src, &out, &[]);
        if o.status.code() == Some(2) {
            refused = Some(o);
            break;
        }
        // The build went through before the lock was taken: try again.
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = holder.kill();
    let _ = holder.wait();
    let o = refused.expect("never refused while the lock was held");
    assert!(
        stderr(&o).contains("another npc is writing"),
        "{}",
        stderr(&o)
    );
    assert_eq!(build_into(&src, &out, &[]).status.code(), Some(0));
}

/// A build killed while it writes (here by the file-size limit, SIGXFSZ, a
/// stand-in for a full disk that also kills) leaves the old output whole;
/// `--check` reports what it left behind and the next build removes it. With
/// a foreign file in the directory the in-place mode is used: same outcome.
#[cfg(target_os = "linux")]
#[test]
fn a_build_killed_while_writing_leaves_the_old_output() {
    for foreign in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let src = big_source(tmp.path(), 50);
        let out = tmp.path().join("out");
        assert_eq!(build_into(&src, &out, &[]).status.code(), Some(0));
        if foreign {
            write(&out.join("README.md"), "hand-written\n");
        }
        let before = snapshot(&out);
        let text = std::fs::read_to_string(&src)
            .unwrap()
            .replace(":443", ":8443");
        write(&src, &text);
        let o = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -f 2; exec '{}' build '{}' --out-dir '{}'",
                env!("CARGO_BIN_EXE_npc"),
                src.display(),
                out.display()
            ))
            .output()
            .unwrap();
        assert!(!o.status.success(), "the limit stopped the build");
        assert_eq!(snapshot(&out), before, "foreign: {foreign}");
        let o = build_into(&src, &out, &["--check"]);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("leftover:"), "{}", stderr(&o));
        assert_eq!(build_into(&src, &out, &[]).status.code(), Some(0));
        let o = build_into(&src, &out, &["--check"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let hidden: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .chain(std::fs::read_dir(&out).unwrap())
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(hidden.is_empty(), "{hidden:?}");
    }
}
