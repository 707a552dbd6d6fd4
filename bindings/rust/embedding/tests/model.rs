//! Model creation, options, table access, rows, resizing and versions.

mod common;

use common::{assert_bits_equal, Rng};
use embedding::{Model, ModelOptions, PositionKind, SinusoidLayout, Status, Table};

#[test]
fn zeros_shapes_and_values() {
    let model = Model::zeros(&ModelOptions::new(11, 5, 7)).unwrap();
    assert_eq!(model.vocab_size(), 11);
    assert_eq!(model.dim(), 5);
    assert_eq!(model.context_length(), 7);
    assert_eq!(model.token_type_count(), 0);
    assert_eq!(model.position_kind(), PositionKind::Learned);
    assert!(model.num_threads() >= 1);
    assert_eq!(model.table(Table::Token).unwrap().len(), 55);
    assert_eq!(model.table(Table::Position).unwrap().len(), 35);
    assert!(model.table(Table::TokenType).is_none());
    assert!(model
        .embed(&[1, 2, 3], 1, 3, 0)
        .unwrap()
        .iter()
        .all(|&v| v == 0.0));
    assert!(format!("{:?}", model).contains("vocab_size: 11"));
}

#[test]
fn normal_is_seeded_and_shape_independent() {
    let small = Model::normal(&ModelOptions::new(50, 8, 4), 3, 0.0, 0.5).unwrap();
    let large = Model::normal(&ModelOptions::new(80, 8, 9), 3, 0.0, 0.5).unwrap();
    let other = Model::normal(&ModelOptions::new(50, 8, 4), 4, 0.0, 0.5).unwrap();
    let small_token = small.table(Table::Token).unwrap();
    assert_bits_equal(small_token, &large.table(Table::Token).unwrap()[..50 * 8]);
    assert_bits_equal(
        small.table(Table::Position).unwrap(),
        &large.table(Table::Position).unwrap()[..4 * 8],
    );
    assert_ne!(small_token, other.table(Table::Token).unwrap());
}

#[test]
fn invalid_options_are_reported() {
    let cases = [
        (ModelOptions::new(0, 4, 4), "vocab_size"),
        (ModelOptions::new(10, -1, 4), "dim"),
        (ModelOptions::new(10, 4, 0), "context_length"),
        (
            ModelOptions::new(10, 4, 4).position_kind(PositionKind::None),
            "context_length",
        ),
        (ModelOptions::new(10, 4, 4).padding_id(10), "padding_id"),
        (ModelOptions::new(10, 4, 4).scale(f32::NAN), "scale"),
        (
            ModelOptions::new(10, 4, 4).token_types(-1),
            "token_type_count",
        ),
        (ModelOptions::new(10, 4, 4).num_threads(-2), "num_threads"),
        (
            ModelOptions::new(10, 4, 4)
                .position_kind(PositionKind::Sinusoidal)
                .sinusoid(0.0, SinusoidLayout::Split),
            "sinusoid_base",
        ),
    ];
    for (options, word) in cases.iter() {
        let err = Model::zeros(options).unwrap_err();
        assert_eq!(err.status(), Status::InvalidArgument, "{}", err);
        assert!(err.message().contains(word), "{} should name {}", err, word);
    }
    let err = Model::normal(&ModelOptions::new(10, 4, 4), 0, 0.0, -1.0).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
}

#[test]
fn huge_table_is_out_of_memory() {
    // 2^40 x 2^10 floats (4 PiB) fits size_t but no address space.
    let err = Model::zeros(&ModelOptions::new(1 << 40, 1 << 10, 1)).unwrap_err();
    assert_eq!(err.status(), Status::OutOfMemory);
}

#[test]
fn from_tables_checks_lengths() {
    let token = vec![0.5f32; 6 * 3];
    let position = vec![0.25f32; 4 * 3];
    let options = ModelOptions::new(6, 3, 4);
    let err = Model::from_tables(&options, &token[1..], Some(&position), None).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().contains("token table"), "{}", err);
    let err = Model::from_tables(&options, &token, Some(&position[1..]), None).unwrap_err();
    assert!(err.message().contains("position table"), "{}", err);
    let err = Model::from_tables(&options, &token, None, None).unwrap_err();
    assert!(err.message().contains("position table"), "{}", err);
    let err = Model::from_tables(&options, &token, Some(&position), Some(&position)).unwrap_err();
    assert!(err.message().contains("token-type"), "{}", err);
    let typed = options.token_types(2);
    let err = Model::from_tables(&typed, &token, Some(&position), None).unwrap_err();
    assert!(err.message().contains("token-type"), "{}", err);
    let sinusoidal = options.position_kind(PositionKind::Sinusoidal);
    let err = Model::from_tables(&sinusoidal, &token, Some(&position), None).unwrap_err();
    assert!(err.message().contains("not learned"), "{}", err);
    let model = Model::from_tables(&sinusoidal, &token, None, None).unwrap();
    assert_eq!(model.position_kind(), PositionKind::Sinusoidal);
}

#[test]
fn from_tables_copies() {
    let mut token: Vec<f32> = (0..12).map(|v| v as f32).collect();
    let position = vec![0.0f32; 2 * 3];
    let model =
        Model::from_tables(&ModelOptions::new(4, 3, 2), &token, Some(&position), None).unwrap();
    let expected = token.clone();
    token.iter_mut().for_each(|v| *v = -1.0);
    assert_bits_equal(model.table(Table::Token).unwrap(), &expected);
}

#[test]
fn sinusoidal_table_values() {
    let options = ModelOptions::new(5, 6, 10).position_kind(PositionKind::Sinusoidal);
    let model = Model::zeros(&options).unwrap();
    let table = model.table(Table::Position).unwrap();
    for pos in [0usize, 3, 9] {
        for column in 0..6 {
            let i = (column / 2) as f64;
            let angle = pos as f64 * 10000f64.powf(-2.0 * i / 6.0);
            let want = if column % 2 == 0 {
                angle.sin()
            } else {
                angle.cos()
            } as f32;
            assert_eq!(
                table[pos * 6 + column],
                want,
                "position {} column {}",
                pos,
                column
            );
        }
    }
}

#[test]
fn read_and_write_rows() {
    let mut rng = Rng::new(21);
    let token = rng.floats(16 * 8);
    let position = rng.floats(12 * 8);
    let mut model =
        Model::from_tables(&ModelOptions::new(16, 8, 12), &token, Some(&position), None).unwrap();
    let mut row = vec![0.0f32; 8];
    model.read_row(Table::Token, 5, &mut row).unwrap();
    assert_bits_equal(&row, &token[40..48]);
    model.read_row(Table::Position, 11, &mut row).unwrap();
    assert_bits_equal(&row, &position[88..96]);

    let values = rng.floats(8);
    model.write_row(Table::Token, 5, &values).unwrap();
    model.read_row(Table::Token, 5, &mut row).unwrap();
    assert_bits_equal(&row, &values);

    let err = model.read_row(Table::Token, 16, &mut row).unwrap_err();
    assert_eq!(err.status(), Status::IdOutOfRange);
    assert_eq!(err.value(), Some(16));
    assert_eq!(err.range(), Some((0, 16)));
    let err = model.read_row(Table::TokenType, 0, &mut row).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let err = model.write_row(Table::Token, 0, &values[..7]).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let err = model.read_row(Table::Token, 0, &mut row[..7]).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
}

#[test]
fn resize_vocab_keeps_rows() {
    let mut model = Model::normal(&ModelOptions::new(10, 4, 3), 9, 0.0, 0.02).unwrap();
    let kept = model.table(Table::Token).unwrap().to_vec();
    model.resize_vocab(25).unwrap();
    assert_eq!(model.vocab_size(), 25);
    let fresh = Model::normal(&ModelOptions::new(25, 4, 3), 9, 0.0, 0.02).unwrap();
    assert_bits_equal(
        model.table(Table::Token).unwrap(),
        fresh.table(Table::Token).unwrap(),
    );
    model.resize_vocab(4).unwrap();
    assert_bits_equal(model.table(Table::Token).unwrap(), &kept[..16]);
    let err = model.embed(&[4], 1, 1, 0).unwrap_err();
    assert_eq!(err.status(), Status::IdOutOfRange);
    assert_eq!(
        model.resize_vocab(0).unwrap_err().status(),
        Status::InvalidArgument
    );

    let mut padded = Model::zeros(&ModelOptions::new(10, 4, 3).padding_id(8)).unwrap();
    assert_eq!(
        padded.resize_vocab(8).unwrap_err().status(),
        Status::InvalidArgument
    );
}

#[test]
fn versions() {
    assert_eq!(embedding::library_abi_version(), 1);
    assert_eq!(embedding::library_version_number() / 10000, 1);
    assert_eq!(embedding::library_version().split('.').count(), 3);
}

#[test]
fn status_round_trip() {
    for raw in 1..=10 {
        let status = Status::from_raw(raw).unwrap();
        assert_eq!(status.raw(), raw);
        assert_ne!(status.description(), "unknown status");
    }
    assert_eq!(Status::from_raw(0), None);
    assert_eq!(Status::from_raw(77), Some(Status::Other(77)));
    assert_eq!(Status::Other(77).description(), "unknown status");
}

#[test]
fn model_and_error_are_thread_safe_types() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Model>();
    assert_send_sync::<embedding::Error>();
    assert_send_sync::<embedding::OutputBuffer>();
}
