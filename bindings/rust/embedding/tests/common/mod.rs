//! Helpers shared by the integration tests: a small deterministic random
//! generator and the reference forward pass.

#![allow(dead_code)]

/// SplitMix64: enough randomness for test tables and ids.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, bound).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    /// Uniform in [-1, 1).
    pub fn float(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    pub fn floats(&mut self, count: usize) -> Vec<f32> {
        (0..count).map(|_| self.float()).collect()
    }

    pub fn ids(&mut self, count: usize, vocab_size: usize) -> Vec<i32> {
        (0..count)
            .map(|_| self.below(vocab_size as u64) as i32)
            .collect()
    }
}

/// out[b, t, :] = token[ids[b, t], :] + position[start + t, :], in f32.
pub fn reference_forward(
    token: &[f32],
    position: &[f32],
    dim: usize,
    ids: &[i64],
    seq_len: usize,
    start: usize,
) -> Vec<f32> {
    let mut out = Vec::with_capacity(ids.len() * dim);
    for (flat, &id) in ids.iter().enumerate() {
        let t = flat % seq_len;
        let token_row = &token[id as usize * dim..][..dim];
        let position_row = &position[(start + t) * dim..][..dim];
        out.extend(token_row.iter().zip(position_row).map(|(a, b)| a + b));
    }
    out
}

/// Asserts identical bits and names the first differing element.
pub fn assert_bits_equal(actual: &[f32], expected: &[f32]) {
    assert_eq!(actual.len(), expected.len(), "lengths differ");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert_eq!(a.to_bits(), e.to_bits(), "element {}: {} != {}", i, a, e);
    }
}
