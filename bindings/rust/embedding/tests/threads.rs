//! Concurrent forward calls on one model shared through an Arc.

mod common;

use std::sync::Arc;
use std::thread;

use common::{assert_bits_equal, reference_forward, Rng};
use embedding::{Model, ModelOptions};

#[test]
fn forward_from_eight_threads() {
    const VOCAB: usize = 500;
    const DIM: usize = 64;
    const CONTEXT: usize = 96;
    let mut rng = Rng::new(31);
    let token = Arc::new(rng.floats(VOCAB * DIM));
    let position = Arc::new(rng.floats(CONTEXT * DIM));
    let options = ModelOptions::new(VOCAB as i64, DIM as i64, CONTEXT as i64).num_threads(2);
    let model = Arc::new(Model::from_tables(&options, &token, Some(&position), None).unwrap());

    let workers: Vec<_> = (0..8u64)
        .map(|worker| {
            let model = Arc::clone(&model);
            let token = Arc::clone(&token);
            let position = Arc::clone(&position);
            thread::spawn(move || {
                let mut rng = Rng::new(1000 + worker);
                let mut out = vec![0.0f32; 4 * 32 * DIM];
                for round in 0..40 {
                    let ids: Vec<i64> = (0..4 * 32)
                        .map(|_| rng.below(VOCAB as u64) as i64)
                        .collect();
                    let start = rng.below((CONTEXT - 32 + 1) as u64) as usize;
                    if round % 2 == 0 {
                        model.forward_i64(&ids, 4, 32, start, &mut out).unwrap();
                    } else {
                        let narrow: Vec<i32> = ids.iter().map(|&id| id as i32).collect();
                        model.forward(&narrow, 4, 32, start, &mut out).unwrap();
                    }
                    let expected = reference_forward(&token, &position, DIM, &ids, 32, start);
                    assert_bits_equal(&out, &expected);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("a forward thread failed");
    }
}

#[test]
fn large_forward_from_threads() {
    // Outputs above 1 MiB take the library's own multi-threaded path.
    let model = Arc::new(Model::normal(&ModelOptions::new(2000, 256, 512), 5, 0.0, 1.0).unwrap());
    let ids: Arc<Vec<i32>> = Arc::new((0..4 * 512).map(|i: i32| i * 7 % 2000).collect());
    let expected = Arc::new(model.embed(&ids, 4, 512, 0).unwrap());
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let model = Arc::clone(&model);
            let ids = Arc::clone(&ids);
            let expected = Arc::clone(&expected);
            thread::spawn(move || {
                for _ in 0..3 {
                    let out = model.embed(&ids, 4, 512, 0).unwrap();
                    assert_bits_equal(&out, &expected);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("a forward thread failed");
    }
}
