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
    // against the circuit the verifier expects
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tiny = root.join("circuits/tiny.toml");
    assert!(zkdl(&["verify", ps, "--circuit", tiny.to_str().unwrap()]).status.success());
    let other = root.join("circuits/mnist-mlp.toml");
    assert_clear_error(&zkdl(&["verify", ps, "--circuit", other.to_str().unwrap()]), "another circuit");
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
    let mut v9 = bytes.clone();
    v9[8] = 99;
    assert_clear_error(&zkdl(&["verify", write("v9.zkdl", &v9).to_str().unwrap()]), "version 99");
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
        assert_clear_error(&zkdl(&["prove", "--data", &d, "--out", os]), "784 features");
    }
}

#[test]
fn prove_and_verify_on_mnist() {
    let mnist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist");
    if !mnist.exists() {
        eprintln!("skipping: {} not found", mnist.display());
        return;
    }
    // MSE and its softmax cross-entropy twin
    for name in ["mnist-mlp", "mnist-mlp-ce"] {
        let circuit = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("circuits/{name}.toml"));
        let out = tmp(&format!("{name}.zkdl"));
        let d = format!("mnist:{}", mnist.display());
        let o = zkdl(&["prove", "--circuit", circuit.to_str().unwrap(), "--data", &d, "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let o = zkdl(&["verify", out.to_str().unwrap()]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
    }
}

#[test]
fn data_errors_are_clear_before_proving() {
    let write = |name: &str, text: &[u8]| {
        let f = tmp(name);
        std::fs::write(&f, text).unwrap();
        f
    };
    let circuit = write(
        "c2.toml",
        b"name = \"c\"\n[model]\ninput = 2\nlayers = [ { width = 4, activation = \"relu\" }, { width = 1, activation = \"identity\" } ]\n[train]\nlr_mantissa = 1\nlr_shift = 4\nbatch = 2\nsteps = 3\n",
    );
    let c = circuit.to_str().unwrap();
    let out = tmp("d.zkdl");
    let os = out.to_str().unwrap();
    let csv = |name: &str, text: &str| format!("csv:{}", write(name, text.as_bytes()).display());
    let run = |data: &str, target: Option<&str>| {
        let mut args = vec!["prove", "--circuit", c, "--data", data, "--out", os];
        if let Some(t) = target {
            args.extend(["--target", t]);
        }
        zkdl(&args)
    };
    let good = "a,b,y\n1,2,3\n2,3,5\n3,4,7\n4,5,9\n5,6,11\n";
    assert!(run(&csv("good.csv", good), Some("y")).status.success());
    assert_clear_error(&run(&csv("good.csv", good), None), "--target");
    assert_clear_error(&run(&csv("good.csv", good), Some("z")), "no column named \"z\"");
    assert_clear_error(&run(&csv("nan.csv", &good.replace("3,4,7", "3,NaN,7")), Some("y")), "not finite");
    assert_clear_error(&run(&csv("word.csv", &good.replace("3,4,7", "3,four,7")), Some("y")), "not a number");
    assert_clear_error(&run(&csv("ragged.csv", &good.replace("3,4,7", "3,4")), Some("y")), "2 fields");
    assert_clear_error(&run(&csv("empty.csv", ""), Some("y")), "empty file");
    assert_clear_error(&run(&csv("header.csv", "a,b,y\n"), Some("y")), "no data rows");
    let wide = "a,b,c,y\n1,2,0,3\n2,3,0,5\n3,4,0,7\n4,5,0,9\n";
    assert_clear_error(&run(&csv("wide.csv", wide), Some("y")), "3 features");
    assert_clear_error(&run(&csv("big.csv", &good.replace("3,4,7", "3,4e9,7")), Some("y")), "fixed point");
    // MNIST labels out of range
    let dir = tmp("badmnist");
    std::fs::create_dir_all(&dir).unwrap();
    let mut img = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28];
    img.extend(vec![0u8; 2 * 784]);
    std::fs::write(dir.join("t10k-images-idx3-ubyte"), img).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), [0, 0, 8, 1, 0, 0, 0, 2, 3, 10]).unwrap();
    let mnist_circuit = Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits/mnist-mlp.toml");
    let d = format!("mnist:{}", dir.display());
    let o = zkdl(&["prove", "--circuit", mnist_circuit.to_str().unwrap(), "--data", &d, "--out", os]);
    assert_clear_error(&o, "label 10 out of range");
    // UCI layout: a missing directory, a ragged row
    assert_clear_error(&run("uci:/nonexistent", None), "index_features.txt");
    let u = tmp("uci");
    std::fs::create_dir_all(&u).unwrap();
    std::fs::write(u.join("index_features.txt"), "0\n1\n").unwrap();
    std::fs::write(u.join("index_target.txt"), "2\n").unwrap();
    std::fs::write(u.join("data.txt"), "1 2 3\n2 3 5\n3 4\n").unwrap();
    assert_clear_error(&run(&format!("uci:{}", u.display()), None), "row 3 has 2 columns");
    std::fs::write(u.join("data.txt"), "1 2 3\n2 3 5\n3 4 7\n4 5 9\n5 6 11\n").unwrap();
    assert!(run(&format!("uci:{}", u.display()), None).status.success());
}

#[test]
fn train_and_weights_export() {
    let o = zkdl(&["train"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("step 0: loss") && text.contains("test accuracy"), "{text}");
    let out = tmp("w.zkdl");
    let w = tmp("w.safetensors");
    let o = zkdl(&["prove", "--out", out.to_str().unwrap(), "--weights-out", w.to_str().unwrap(), "--threads", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&w).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let t = st.tensor("layers.0.weight").unwrap();
    assert_eq!(t.shape(), &[16, 16]);
    assert_eq!(st.tensor("layers.1.weight").unwrap().shape(), &[4, 16]);
    let vals: Vec<f32> = t.data().chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    assert!(vals.iter().all(|v| v.is_finite() && v.abs() < 2.0) && vals.iter().any(|v| *v != 0.0));
    let uci = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/uci/bostonHousing");
    if uci.exists() {
        let circuit = Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits/uci-boston.toml");
        let d = format!("uci:{}", uci.display());
        let o = zkdl(&["train", "--circuit", circuit.to_str().unwrap(), "--data", &d]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains("test RMSE"));
    }
}

#[test]
fn readme_main_command_and_bench_json() {
    let o = zkdl(&["demo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("proof: accepted") && text.contains("other W(0): rejected"), "{text}");
    let o = zkdl(&["bench", "--json", "--steps", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in [
        "circuit",
        "params",
        "batch",
        "steps",
        "plain_f32_step_s",
        "plain_fixed_step_s",
        "prove_s_per_step",
        "verify_s",
        "proof_bytes",
        "overhead",
        "peak_memory_bytes",
    ] {
        assert!(v.get(key).is_some(), "{key} missing in {v}");
    }
    assert!(v["prove_s_per_step"].as_f64().unwrap() > 0.0 && v["plain_f32_step_s"].as_f64().unwrap() > 0.0);
    assert!(v["prove_phases"].as_array().unwrap().iter().any(|p| p["phase"] == "openings"));
    assert_eq!(v["prove_runs"], 1);
    assert!(v.get("prove_s_per_step_continued").is_none(), "only with --continued");
    // a second chunk of the run, W(0) taken from the first proof
    let o = zkdl(&["bench", "--json", "--continued"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["prove_s_per_step_continued"].as_f64().unwrap() > 0.0 && v["overhead_continued"].as_f64().unwrap() > 0.0);
    // several proving runs: every run's time, the median reported
    let o = zkdl(&["bench", "--json", "--prove-runs", "3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut runs: Vec<f64> = v["prove_s_runs"].as_array().unwrap().iter().map(|t| t.as_f64().unwrap()).collect();
    assert_eq!((v["prove_runs"].as_u64(), runs.len()), (Some(3), 3));
    runs.sort_by(|a, b| a.total_cmp(b));
    assert_eq!(v["prove_s"].as_f64().unwrap(), runs[1]);
    let o = zkdl(&["bench", "--prove-runs", "0"]);
    assert_eq!(o.status.code(), Some(2), "zero runs is a usage error");
}

/// A run proven in chunks: `--checkpoint-out`, then `--resume`, for the rounded and the
/// exact update (the latter with a bias); the chain verifies, in order only; a chunk
/// from scratch does not chain; a checkpoint of another circuit, a damaged one and a
/// missing one are clear errors; a checkpoint whose weights were altered gives a proof
/// the verifier rejects.
#[test]
fn a_run_proven_in_chunks_verifies_as_a_chain() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tiny = std::fs::read_to_string(root.join("circuits/tiny.toml")).unwrap();
    let exact = tiny
        .replace(
            "{ width = 16, activation = \"relu\", bias = false }",
            "{ width = 16, activation = \"relu\", bias = true }",
        )
        .replace("update_bits = 16", "update_bits = 16\nexact_update = true");
    assert_ne!(exact, tiny);
    for (name, text) in [("rounded", tiny), ("exact", exact)] {
        let circuit = tmp(&format!("chunks-{name}.toml"));
        std::fs::write(&circuit, text).unwrap();
        let c = circuit.to_str().unwrap();
        let p = |k: usize| tmp(&format!("chunks-{name}-{k}.zkdl")).to_str().unwrap().to_string();
        let ck = |k: usize| tmp(&format!("chunks-{name}-{k}.ckpt")).to_str().unwrap().to_string();
        let prove = |extra: &[&str]| {
            let mut args = vec!["prove", "--circuit", c];
            args.extend_from_slice(extra);
            zkdl(&args)
        };
        let o = prove(&["--out", &p(1), "--checkpoint-out", &ck(1)]);
        assert!(o.status.success(), "{}", stderr(&o));
        let o = prove(&["--out", &p(2), "--resume", &ck(1), "--checkpoint-out", &ck(2)]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stderr(&o).contains("steps 2..4"), "{}", stderr(&o));
        let o = prove(&["--out", &p(3), "--resume", &ck(2)]);
        assert!(o.status.success(), "{}", stderr(&o));
        let o = zkdl(&["verify", &p(1), &p(2), &p(3)]);
        assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stdout));
        assert!(String::from_utf8_lossy(&o.stdout).contains("a chain of 3 proofs, 6 steps"));
        let o = zkdl(&["verify", &p(1), &p(3), "--json"]);
        assert_eq!(o.status.code(), Some(1));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["accepted"], false);
        assert!(v["reason"].as_str().unwrap().contains("do not chain"), "{v}");
        assert_eq!(zkdl(&["verify", &p(2), &p(1)]).status.code(), Some(1), "{name}: out of order");
        // a continued chunk alone: rejected, naming the missing predecessor, unless the
        // caller vouches for its W(0)
        let o = zkdl(&["verify", &p(2)]);
        assert_eq!(o.status.code(), Some(1), "{name}: a lone continued chunk");
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("steps 2..4") && out.contains("0..2 must come before it"), "{out}");
        let o = zkdl(&["verify", &p(2), &p(3), "--trust-initial"]);
        assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stdout));
        assert!(String::from_utf8_lossy(&o.stdout).contains("(steps 2..6), W(0) trusted"));
        assert_eq!(zkdl(&["verify", &p(2), &p(2), "--trust-initial"]).status.code(), Some(1), "{name}: repeated");
        let o = zkdl(&["inspect", &p(3)]);
        assert!(String::from_utf8_lossy(&o.stdout).contains("steps 4..6 of the run"), "{name}: inspect");
        // the same steps proven from scratch do not continue the first chunk
        let o = prove(&["--out", &p(4)]);
        assert!(o.status.success());
        assert_eq!(zkdl(&["verify", &p(1), &p(4)]).status.code(), Some(1), "{name}: a fresh start");
        // another circuit's checkpoint, a damaged or missing one
        let mnist = root.join("circuits/mnist-mlp.toml");
        let o = zkdl(&["prove", "--circuit", mnist.to_str().unwrap(), "--out", &p(5), "--resume", &ck(1)]);
        assert_clear_error(&o, "another circuit");
        let mut bytes = std::fs::read(ck(1)).unwrap();
        let n = bytes.len();
        std::fs::write(ck(9), &bytes[..n / 2]).unwrap();
        assert_clear_error(&prove(&["--out", &p(5), "--resume", &ck(9)]), "checkpoint");
        assert_clear_error(&prove(&["--out", &p(5), "--resume", "/nonexistent/ckpt"]), "/nonexistent/ckpt");
        // a step count that overflows
        {
            let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
            let mut m = meta.metadata().clone().unwrap();
            m.insert("steps_done".into(), u64::MAX.to_string());
            let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
            std::fs::write(ck(7), safetensors::tensor::serialize(st.tensors(), &Some(m)).unwrap()).unwrap();
            assert_clear_error(&prove(&["--out", &p(5), "--resume", &ck(7)]), "out of range");
        }
        // altered weights (a bit of the low byte of layer 0's first weight): refused before
        // proving, the statement does not commit to them
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let w = st.tensor("layers.0.weight").unwrap().data().as_ptr() as usize - bytes.as_ptr() as usize;
        bytes[w] ^= 4;
        std::fs::write(ck(8), &bytes).unwrap();
        assert_clear_error(&prove(&["--out", &p(6), "--resume", &ck(8)]), "does not commit");
    }
}

/// The AVX-512 IFMA code changes how points are added, not which: the same run proves to
/// the same bytes with it turned off (`ZKDL_NO_IFMA=1`), and each side verifies.
#[test]
fn same_proof_bytes_with_and_without_ifma() {
    let (with, without) = (tmp("ifma.zkdl"), tmp("no-ifma.zkdl"));
    let prove = |out: &Path, off: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_zkdl"));
        c.args(["prove", "--out", out.to_str().unwrap()]);
        if off {
            c.env("ZKDL_NO_IFMA", "1");
        } else {
            c.env_remove("ZKDL_NO_IFMA");
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    };
    prove(&with, false);
    prove(&without, true);
    assert_eq!(std::fs::read(&with).unwrap(), std::fs::read(&without).unwrap());
    let o = Command::new(env!("CARGO_BIN_EXE_zkdl"))
        .env("ZKDL_NO_IFMA", "1")
        .args(["verify", with.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(zkdl(&["verify", without.to_str().unwrap()]).status.code(), Some(0));
}

/// A run on a committed dataset: `commit-data`, then chunks proven with `--dataset` (the
/// first with `--check-witness`);
/// `verify --dataset` accepts the chain and rejects another dataset's commitment (exit
/// 1, naming it); `prove` refuses data that is not the dataset and a resumed chunk
/// without it (exit 2); `inspect` names the dataset; a damaged dataset file is exit 2.
#[test]
fn a_run_on_a_committed_dataset() {
    let f = |name: &str| tmp(&format!("dataset-{name}")).to_str().unwrap().to_string();
    let o = zkdl(&["commit-data", "--out", &f("d.zkdc")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("dataset of 4096 training rows"));
    let o = zkdl(&["commit-data", "--seed", "2", "--out", &f("e.zkdc")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = zkdl(&[
        "prove",
        "--check-witness",
        "--dataset",
        &f("d.zkdc"),
        "--out",
        &f("1.zkdl"),
        "--checkpoint-out",
        &f("1.ckpt"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("witness checked: every relation holds"));
    let o = zkdl(&["prove", "--dataset", &f("d.zkdc"), "--resume", &f("1.ckpt"), "--out", &f("2.zkdl")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = zkdl(&["verify", "--dataset", &f("d.zkdc"), &f("1.zkdl"), &f("2.zkdl")]);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success() && out.contains("steps 0..4") && out.contains("batches are rows of dataset"), "{out}");
    let o = zkdl(&["verify", &f("1.zkdl"), &f("2.zkdl"), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((v["accepted"].as_bool(), v["dataset_checked"].as_bool()), (Some(true), Some(false)), "{v}");
    assert_eq!(v["dataset"].as_str().map(str::len), Some(64));
    // another dataset's commitment: rejected, naming it
    let o = zkdl(&["verify", "--dataset", &f("e.zkdc"), &f("1.zkdl"), &f("2.zkdl")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("names dataset"), "{}", String::from_utf8_lossy(&o.stdout));
    // the data is not that dataset; a resumed chunk must name the run's dataset
    assert_clear_error(&zkdl(&["prove", "--dataset", &f("e.zkdc"), "--out", &f("3.zkdl")]), "is not this dataset");
    assert_clear_error(&zkdl(&["prove", "--resume", &f("1.ckpt"), "--out", &f("3.zkdl")]), "pass it with --dataset");
    let o = zkdl(&["prove", "--dataset", &f("e.zkdc"), "--seed", "2", "--resume", &f("1.ckpt"), "--out", &f("3.zkdl")]);
    assert_clear_error(&o, "dataset");
    let o = zkdl(&["inspect", &f("2.zkdl")]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("batches: rows of dataset"));
    // damaged dataset files
    let bytes = std::fs::read(f("d.zkdc")).unwrap();
    std::fs::write(f("cut.zkdc"), &bytes[..bytes.len() / 2]).unwrap();
    assert_clear_error(&zkdl(&["verify", "--dataset", &f("cut.zkdc"), &f("1.zkdl")]), "malformed dataset file");
    assert_clear_error(&zkdl(&["verify", "--dataset", &f("1.zkdl"), &f("1.zkdl")]), "not a zkdl dataset file");
}
