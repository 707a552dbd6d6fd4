//! Forward passes: results, shapes, options and every error.

mod common;

use common::{assert_bits_equal, reference_forward, Rng};
use embedding::{Kernel, Model, ModelOptions, PositionKind, Status};

const VOCAB: usize = 16;
const DIM: usize = 8;
const CONTEXT: usize = 12;

fn small_model(rng: &mut Rng) -> (Model, Vec<f32>, Vec<f32>) {
    let token = rng.floats(VOCAB * DIM);
    let position = rng.floats(CONTEXT * DIM);
    let options = ModelOptions::new(VOCAB as i64, DIM as i64, CONTEXT as i64);
    let model = Model::from_tables(&options, &token, Some(&position), None).unwrap();
    (model, token, position)
}

#[test]
fn forward_i32_matches_reference() {
    let mut rng = Rng::new(1);
    let (model, token, position) = small_model(&mut rng);
    let ids = rng.ids(3 * 5, VOCAB);
    let mut out = vec![0.0; 3 * 5 * DIM];
    model.forward(&ids, 3, 5, 2, &mut out).unwrap();
    let wide: Vec<i64> = ids.iter().map(|&id| id as i64).collect();
    assert_bits_equal(
        &out,
        &reference_forward(&token, &position, DIM, &wide, 5, 2),
    );
}

#[test]
fn forward_i64_matches_reference() {
    let mut rng = Rng::new(2);
    let (model, token, position) = small_model(&mut rng);
    let ids: Vec<i64> = rng.ids(2 * 7, VOCAB).into_iter().map(i64::from).collect();
    let mut out = vec![0.0; 2 * 7 * DIM];
    model.forward_i64(&ids, 2, 7, 5, &mut out).unwrap();
    assert_bits_equal(&out, &reference_forward(&token, &position, DIM, &ids, 7, 5));
}

#[test]
fn embed_allocates_output() {
    let mut rng = Rng::new(3);
    let (model, token, position) = small_model(&mut rng);
    let out = model.embed(&[4, 0, 15], 1, 3, 0).unwrap();
    assert_bits_equal(
        &out,
        &reference_forward(&token, &position, DIM, &[4, 0, 15], 3, 0),
    );
}

#[test]
fn embed_rejects_shape_before_allocating() {
    let mut rng = Rng::new(31);
    let (model, _, _) = small_model(&mut rng);
    // Four ids cannot have these shapes; the outputs they imply are either
    // too large to allocate (an abort) or overflow usize (a panic).
    for &(batch, seq_len) in &[(1usize << 38, 1usize), (1 << 40, 1 << 20)] {
        let err = model.embed(&[1, 2, 3, 4], batch, seq_len, 0).unwrap_err();
        assert_eq!(err.status(), Status::InvalidArgument, "{}", err);
    }
}

#[test]
fn empty_batch_succeeds() {
    let mut rng = Rng::new(4);
    let (model, _, _) = small_model(&mut rng);
    model.forward(&[], 0, 5, 0, &mut []).unwrap();
    model.forward_i64(&[], 3, 0, 0, &mut []).unwrap();
}

#[test]
fn bad_id_reports_element_and_leaves_out_unchanged() {
    let mut rng = Rng::new(5);
    let (model, _, _) = small_model(&mut rng);
    let ids = [1, 2, 3, 4, 99, -1];
    let mut out = vec![7.25f32; 2 * 3 * DIM];
    let err = model.forward(&ids, 2, 3, 0, &mut out).unwrap_err();
    assert_eq!(err.status(), Status::IdOutOfRange);
    assert_eq!(err.index(), Some(4));
    assert_eq!(err.batch_index(), Some(1));
    assert_eq!(err.seq_index(), Some(1));
    assert_eq!(err.value(), Some(99));
    assert_eq!(err.range(), Some((0, VOCAB as i64)));
    assert_eq!(err.os_error(), None);
    assert!(err.message().contains("99"), "{}", err.message());
    assert!(err.to_string().starts_with("id out of range: "), "{}", err);
    assert!(out.iter().all(|&v| v == 7.25));
}

#[test]
fn negative_id_i64_is_reported() {
    let mut rng = Rng::new(6);
    let (model, _, _) = small_model(&mut rng);
    let mut out = vec![0.0; 2 * DIM];
    let err = model.forward_i64(&[0, -2], 1, 2, 0, &mut out).unwrap_err();
    assert_eq!(err.status(), Status::IdOutOfRange);
    assert_eq!(err.value(), Some(-2));
}

#[test]
fn position_past_context_is_reported() {
    let mut rng = Rng::new(7);
    let (model, _, _) = small_model(&mut rng);
    let mut out = vec![1.5f32; 3 * DIM];
    let err = model.forward(&[1, 2, 3], 1, 3, 10, &mut out).unwrap_err();
    assert_eq!(err.status(), Status::PositionOutOfRange);
    assert_eq!(err.value(), Some(CONTEXT as i64));
    assert_eq!(err.range(), Some((0, CONTEXT as i64)));
    assert!(out.iter().all(|&v| v == 1.5));
}

#[test]
fn slice_lengths_are_checked() {
    let mut rng = Rng::new(8);
    let (model, _, _) = small_model(&mut rng);
    let mut out = vec![0.0; 2 * 3 * DIM];
    let err = model.forward(&[1, 2, 3], 2, 3, 0, &mut out).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().contains("ids"), "{}", err.message());
    let mut short = vec![0.0; 2 * 3 * DIM - 1];
    let err = model.forward(&[1; 6], 2, 3, 0, &mut short).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().contains("out"), "{}", err.message());
    let err = model.forward(&[], usize::MAX, 2, 0, &mut []).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let err = model
        .forward(&[1], 1, 1, usize::MAX, &mut out[..DIM])
        .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
}

#[test]
fn position_and_token_type_ids() {
    let mut rng = Rng::new(9);
    let token = rng.floats(10 * 4);
    let position = rng.floats(8 * 4);
    let types = rng.floats(2 * 4);
    let options = ModelOptions::new(10, 4, 8).token_types(2);
    let model = Model::from_tables(&options, &token, Some(&position), Some(&types)).unwrap();
    assert_eq!(model.token_type_count(), 2);

    let ids = [3i64, 9, 0, 1];
    let position_ids = [0i64, 0, 5, 7];
    let type_ids = [1i64, 0, 1, 1];
    let mut out = vec![0.0; 4 * 4];
    model
        .forward_ex_i64(
            &ids,
            Some(&position_ids),
            Some(&type_ids),
            2,
            2,
            0,
            &mut out,
        )
        .unwrap();
    for i in 0..4 {
        for j in 0..4 {
            let expected = token[ids[i] as usize * 4 + j]
                + position[position_ids[i] as usize * 4 + j]
                + types[type_ids[i] as usize * 4 + j];
            assert_eq!(out[i * 4 + j].to_bits(), expected.to_bits());
        }
    }

    let err = model
        .forward_ex_i64(&ids, Some(&position_ids), None, 2, 2, 1, &mut out)
        .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let err = model
        .forward_ex(&[1, 2], Some(&[0, 8]), None, 1, 2, 0, &mut out[..8])
        .unwrap_err();
    assert_eq!(err.status(), Status::PositionOutOfRange);
    assert_eq!(err.index(), Some(1));
    let err = model
        .forward_ex(&[1, 2], None, Some(&[0, 2]), 1, 2, 0, &mut out[..8])
        .unwrap_err();
    assert_eq!(err.status(), Status::IdOutOfRange);
    let err = model
        .forward_ex(&[1, 2], None, Some(&[0]), 1, 2, 0, &mut out[..8])
        .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
}

#[test]
fn scale_and_padding() {
    let options = ModelOptions::new(20, 16, 4).padding_id(3).scale(4.0);
    let model = Model::normal(&options, 7, 0.0, 0.02).unwrap();
    let token = model.table(embedding::Table::Token).unwrap().to_vec();
    let position = model.table(embedding::Table::Position).unwrap().to_vec();
    assert!(token[3 * 16..4 * 16].iter().all(|&v| v == 0.0));
    let out = model.embed(&[3, 19], 1, 2, 1).unwrap();
    for j in 0..16 {
        let expected = 4.0f32 * token[19 * 16 + j] + position[2 * 16 + j];
        assert_eq!(out[16 + j].to_bits(), expected.to_bits());
        assert_eq!(out[j].to_bits(), (0.0f32 + position[16 + j]).to_bits());
    }
}

#[test]
fn no_positions_ignore_start() {
    let token: Vec<f32> = (0..6 * 4).map(|v| v as f32).collect();
    let options = ModelOptions::new(6, 4, 0).position_kind(PositionKind::None);
    let model = Model::from_tables(&options, &token, None, None).unwrap();
    assert_eq!(model.position_kind(), PositionKind::None);
    assert!(model.table(embedding::Table::Position).is_none());
    let out = model.embed(&[5, 1], 1, 2, 1000).unwrap();
    assert_bits_equal(&out, &[&token[20..24], &token[4..8]].concat());
}

#[test]
fn every_kernel_gives_identical_bits() {
    let mut rng = Rng::new(10);
    let token = rng.floats(30 * 20);
    let position = rng.floats(9 * 20);
    let ids = rng.ids(3 * 7, 30);
    let mut results = Vec::new();
    for kernel in [Kernel::Auto, Kernel::Reference, Kernel::Blas, Kernel::Fused] {
        let options = ModelOptions::new(30, 20, 9).kernel(kernel).num_threads(2);
        let model = Model::from_tables(&options, &token, Some(&position), None).unwrap();
        results.push(model.embed(&ids, 3, 7, 2).unwrap());
    }
    for result in &results[1..] {
        assert_bits_equal(result, &results[0]);
    }
}

#[test]
fn output_count_and_buffer() {
    let mut rng = Rng::new(11);
    let (model, token, position) = small_model(&mut rng);
    assert_eq!(model.output_count(3, 5).unwrap(), 3 * 5 * DIM);
    let mut buffer = embedding::OutputBuffer::new(2 * 4 * DIM).unwrap();
    assert_eq!(buffer.as_ptr() as usize % 64, 0);
    model
        .forward(&[1, 2, 3, 4, 5, 6, 7, 8], 2, 4, 0, &mut buffer)
        .unwrap();
    let ids = [1i64, 2, 3, 4, 5, 6, 7, 8];
    assert_bits_equal(
        &buffer,
        &reference_forward(&token, &position, DIM, &ids, 4, 0),
    );
    assert_eq!(
        embedding::OutputBuffer::new(0).unwrap_err().status(),
        Status::InvalidArgument
    );
}

#[test]
fn positions_from_mask() {
    let mask = [0u8, 0, 1, 1, 1, 1, 1, 1];
    let mut positions = [9i64; 8];
    embedding::positions_from_mask_i64(&mask, 2, 4, 3, &mut positions).unwrap();
    assert_eq!(positions, [0, 0, 3, 4, 3, 4, 5, 6]);
    let mut narrow = [0i32; 8];
    embedding::positions_from_mask_i32(&mask, 2, 4, 0, &mut narrow).unwrap();
    assert_eq!(narrow, [0, 0, 0, 1, 0, 1, 2, 3]);

    let err = embedding::positions_from_mask_i32(&[1, 2], 1, 2, 0, &mut narrow[..2]).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert_eq!(err.index(), Some(1));
    assert_eq!(err.value(), Some(2));
    let err = embedding::positions_from_mask_i32(&[1, 1], 1, 2, 0, &mut narrow[..3]).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let err =
        embedding::positions_from_mask_i32(&[1, 1], 1, 2, i32::MAX as usize, &mut narrow[..2])
            .unwrap_err();
    assert_eq!(err.status(), Status::PositionOutOfRange);
}
