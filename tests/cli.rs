//! The `zkdl` binary end to end: prove, verify, inspect; bad proof files, circuit files
//! and data are one clear line on stderr and exit 2 (or 1 for a rejected proof), never a
//! panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn zkdl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkdl")).args(args).output().unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zkdl-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Exit 2 with one error line naming `needle`, no panic or backtrace.
fn assert_clear_error(o: &Output, needle: &str) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {e}");
    let lines: Vec<&str> = e.lines().filter(|l| l.starts_with("zkdl: error")).collect();
    assert_eq!(lines.len(), 1, "stderr: {e}");
    assert!(lines[0].contains(needle), "{needle:?} not in {e:?}");
    assert!(!e.contains("panicked") && !e.contains("backtrace"), "{e}");
}

fn prove_tiny(out: &Path) {
    let o = zkdl(&["prove", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn prove_verify_inspect_and_bad_files() {
    let p = tmp("tiny.zkdl");
    prove_tiny(&p);
    let ps = p.to_str().unwrap();
    let o = zkdl(&["verify", ps]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("accepted"));
    let o = zkdl(&["verify", ps, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["accepted"], true);
    let o = zkdl(&["inspect", ps, "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["circuit"], "tiny");
    assert_eq!(v["steps"], 2);
    assert!(v["sizes"]["total"].as_u64().unwrap() > 0);

    let bytes = std::fs::read(&p).unwrap();
    let write = |name: &str, b: &[u8]| {
        let f = tmp(name);
        std::fs::write(&f, b).unwrap();
        f
    };
    // empty, not a proof, truncated, another version, trailing bytes
    assert_clear_error(&zkdl(&["verify", write("empty.zkdl", b"").to_str().unwrap()]), "not a zkdl proof");
    assert_clear_error(&zkdl(&["verify", write("text.zkdl", b"hello world").to_str().unwrap()]), "not a zkdl proof");
    for cut in [10, 60, 300, bytes.len() / 2, bytes.len() - 1] {
        let o = zkdl(&["verify", write("cut.zkdl", &bytes[..cut]).to_str().unwrap()]);
        assert_clear_error(&o, "cut.zkdl");
    }
    let mut v2 = bytes.clone();
    v2[8] = 2;
    assert_clear_error(&zkdl(&["verify", write("v2.zkdl", &v2).to_str().unwrap()]), "version 2");
    let mut extra = bytes.clone();
    extra.push(0);
    assert_clear_error(&zkdl(&["verify", write("extra.zkdl", &extra).to_str().unwrap()]), "trailing");
    assert_clear_error(&zkdl(&["verify", tmp("missing.zkdl").to_str().unwrap()]), "missing.zkdl");
    // corrupted bytes in the proof: exit 1 (rejected) or 2 (unparsable), never 0
    let mut rejected = 0;
    for k in 1..=40 {
        let pos = bytes.len() - k * (bytes.len() / 50);
        let mut b = bytes.clone();
        b[pos] ^= 0x10;
        let o = zkdl(&["verify", write("flip.zkdl", &b).to_str().unwrap(), "--json"]);
        match o.status.code() {
            Some(1) => {
                let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                assert_eq!(v["accepted"], false);
                assert!(v["reason"].as_str().is_some());
                rejected += 1;
            }
            Some(2) => assert!(!stderr(&o).contains("panicked")),
            c => panic!("flip at {pos}: exit {c:?}"),
        }
    }
    assert!(rejected > 0, "no flip reached the verifier");
}

#[test]
fn circuit_and_data_errors_are_clear() {
    let tiny = include_str!("../circuits/tiny.toml");
    let write = |name: &str, text: &str| {
        let f = tmp(name);
        std::fs::write(&f, text).unwrap();
        f
    };
    let cases = [
        ("unknown.toml", tiny.replace("lr_shift", "lr_shfit"), "lr_shfit"),
        ("type.toml", tiny.replace("batch = 8", "batch = \"eight\""), "batch"),
        ("shape.toml", tiny.replace("batch = 8", "batch = 0"), "batch"),
        ("width.toml", tiny.replace("width = 16", "width = 0"), "width"),
    ];
    for (name, text, key) in cases {
        let f = write(name, &text);
        let o = zkdl(&["prove", "--circuit", f.to_str().unwrap(), "--out", tmp("x.zkdl").to_str().unwrap()]);
        assert_clear_error(&o, name);
        assert_clear_error(&o, key);
    }
    let out = tmp("y.zkdl");
    let os = out.to_str().unwrap();
    assert_clear_error(&zkdl(&["prove", "--data", "parquet:x", "--out", os]), "unknown data source");
    assert_clear_error(&zkdl(&["prove", "--data", "mnist:/nonexistent", "--out", os]), "--data mnist:/nonexistent");
    // MNIST data with a circuit of another shape
    let mnist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist");
    if mnist.exists() {
        let d = format!("mnist:{}", mnist.display());
        assert_clear_error(&zkdl(&["prove", "--data", &d, "--out", os]), "784 inputs");
    }
}

#[test]
fn prove_and_verify_on_mnist() {
    let mnist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist");
    if !mnist.exists() {
        eprintln!("skipping: {} not found", mnist.display());
        return;
    }
    let circuit = Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits/mnist-mlp.toml");
    let out = tmp("mnist.zkdl");
    let d = format!("mnist:{}", mnist.display());
    let o = zkdl(&["prove", "--circuit", circuit.to_str().unwrap(), "--data", &d, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = zkdl(&["verify", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}
