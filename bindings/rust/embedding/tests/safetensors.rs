//! Model::save and Model::load: round trips, memory mapping, file errors.

mod common;

use std::fs;
use std::path::PathBuf;

use common::{assert_bits_equal, Rng};
use embedding::{Kernel, LoadMode, LoadOptions, Model, ModelOptions, PositionKind, Status, Table};

fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a safetensors file from (name, dtype, shape, raw bytes) tensors.
fn write_safetensors(path: &PathBuf, tensors: &[(&str, &str, &[usize], Vec<u8>)]) {
    let mut entries = Vec::new();
    let mut offset = 0;
    for (name, dtype, shape, data) in tensors {
        let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        entries.push(format!(
            "\"{}\":{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}",
            name,
            dtype,
            dims.join(","),
            offset,
            offset + data.len()
        ));
        offset += data.len();
    }
    let header = format!("{{{}}}", entries.join(","));
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    for (_, _, _, data) in tensors {
        bytes.extend_from_slice(data);
    }
    fs::write(path, bytes).unwrap();
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn save_and_load_round_trip() {
    let dir = temp_dir("round_trip");
    let path = dir.join("model.safetensors");
    let mut rng = Rng::new(41);
    let token = rng.floats(40 * 16);
    let position = rng.floats(10 * 16);
    let model = Model::from_tables(
        &ModelOptions::new(40, 16, 10),
        &token,
        Some(&position),
        None,
    )
    .unwrap();
    model
        .save(&path, &[("format", "pt"), ("note", "caf\u{e9}")])
        .unwrap();
    let header = fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&header[8..]);
    assert!(text.contains("\"note\":\"caf\u{e9}\""), "{}", text);

    let mut loaded = Model::load(&path, &LoadOptions::default()).unwrap();
    assert_eq!(
        (loaded.vocab_size(), loaded.dim(), loaded.context_length()),
        (40, 16, 10)
    );
    assert_bits_equal(loaded.table(Table::Token).unwrap(), &token);
    assert_bits_equal(loaded.table(Table::Position).unwrap(), &position);
    let ids = [1, 39, 0, 7];
    assert_bits_equal(
        &loaded.embed(&ids, 2, 2, 3).unwrap(),
        &model.embed(&ids, 2, 2, 3).unwrap(),
    );
    loaded.write_row(Table::Token, 0, &[1.0; 16]).unwrap();
}

#[test]
fn mmap_load_is_read_only() {
    let dir = temp_dir("mmap");
    let path = dir.join("mapped.safetensors");
    let mut rng = Rng::new(42);
    let token = rng.floats(64 * 16);
    let position = rng.floats(8 * 16);
    Model::from_tables(&ModelOptions::new(64, 16, 8), &token, Some(&position), None)
        .unwrap()
        .save(&path, &[])
        .unwrap();
    let options = LoadOptions {
        mode: LoadMode::Mmap,
        num_threads: 1,
        kernel: Kernel::Reference,
        ..LoadOptions::default()
    };
    let mut mapped = Model::load(&path, &options).unwrap();
    assert_eq!(mapped.num_threads(), 1);
    assert_bits_equal(mapped.table(Table::Token).unwrap(), &token);
    let err = mapped.write_row(Table::Token, 1, &[0.0; 16]).unwrap_err();
    assert_eq!(err.status(), Status::ReadOnly);
    assert_eq!(
        mapped.resize_vocab(80).unwrap_err().status(),
        Status::ReadOnly
    );
}

#[test]
fn named_tensor_without_positions() {
    let dir = temp_dir("named");
    let path = dir.join("named.safetensors");
    let token: Vec<f32> = (0..24).map(|v| v as f32 * 0.5).collect();
    write_safetensors(
        &path,
        &[("encoder.embed", "F32", &[6, 4], f32_bytes(&token))],
    );
    let options = LoadOptions {
        token_tensor: Some("encoder.embed".to_string()),
        no_position_tensor: true,
        ..LoadOptions::default()
    };
    let model = Model::load(&path, &options).unwrap();
    assert_eq!(model.position_kind(), PositionKind::None);
    assert_bits_equal(model.table(Table::Token).unwrap(), &token);
}

#[test]
fn load_errors() {
    let dir = temp_dir("errors");
    let missing = dir.join("absent.safetensors");
    let err = Model::load(&missing, &LoadOptions::default()).unwrap_err();
    assert_eq!(err.status(), Status::Io);
    assert_eq!(err.os_error(), Some(2));
    assert!(err.message().contains("absent.safetensors"), "{}", err);

    let garbage = dir.join("garbage.safetensors");
    let mut bytes = 6u64.to_le_bytes().to_vec();
    bytes.extend_from_slice(b"{nope}");
    fs::write(&garbage, bytes).unwrap();
    assert_eq!(
        Model::load(&garbage, &LoadOptions::default())
            .unwrap_err()
            .status(),
        Status::Format
    );

    let good = dir.join("good.safetensors");
    Model::zeros(&ModelOptions::new(6, 4, 3))
        .unwrap()
        .save(&good, &[])
        .unwrap();
    let options = LoadOptions {
        token_tensor: Some("lm_head.weight".to_string()),
        ..LoadOptions::default()
    };
    let err = Model::load(&good, &options).unwrap_err();
    assert_eq!(err.status(), Status::NotFound);
    assert!(err.message().contains("wte.weight"), "{}", err);

    let mismatch = dir.join("mismatch.safetensors");
    write_safetensors(
        &mismatch,
        &[
            ("wte.weight", "F32", &[4, 3], f32_bytes(&[0.0; 12])),
            ("wpe.weight", "F32", &[2, 5], f32_bytes(&[0.0; 10])),
        ],
    );
    let err = Model::load(&mismatch, &LoadOptions::default()).unwrap_err();
    assert_eq!(err.status(), Status::ShapeMismatch);

    let options = LoadOptions {
        token_tensor: Some("a\0b".to_string()),
        ..LoadOptions::default()
    };
    assert_eq!(
        Model::load(&good, &options).unwrap_err().status(),
        Status::InvalidArgument
    );
}

#[test]
fn save_errors() {
    let dir = temp_dir("save_errors");
    let model = Model::zeros(&ModelOptions::new(3, 2, 2)).unwrap();
    let err = model
        .save(dir.join("missing").join("x.safetensors"), &[])
        .unwrap_err();
    assert_eq!(err.status(), Status::Io);
    assert_eq!(err.os_error(), Some(2));
    let err = model
        .save(dir.join("x.safetensors"), &[("a\0b", "c")])
        .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
}
