//! A small deterministic generator (xoshiro256**, seeded through splitmix64)
//! and the hash mixing used for log/state fingerprints. Hand-written so that
//! a seed means the same run on every machine and toolchain.

pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Order-sensitive combination of a running hash with a value.
#[inline]
pub fn hcomb(h: u64, x: u64) -> u64 {
    mix64(h.wrapping_add(0x9e37_79b9_7f4a_7c15) ^ x.wrapping_mul(0xff51_afd7_ed55_8ccd))
}

pub fn hash_bytes(mut h: u64, b: &[u8]) -> u64 {
    h = hcomb(h, b.len() as u64);
    for ch in b.chunks(8) {
        let mut w = [0u8; 8];
        w[..ch.len()].copy_from_slice(ch);
        h = hcomb(h, u64::from_le_bytes(w));
    }
    h
}

#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut s = [0u64; 4];
        for v in s.iter_mut() {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            *v = mix64(x);
        }
        Rng { s }
    }
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let r = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        r
    }
    /// Uniform in [0, n); n > 0.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
    /// Uniform in [lo, hi] (inclusive).
    #[inline]
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    /// True with probability `num / den`.
    #[inline]
    pub fn chance(&mut self, num: u32, den: u32) -> bool {
        num > 0 && (num >= den || self.below(den as u64) < num as u64)
    }
    pub fn coin(&mut self) -> bool {
        self.next_u64() & 1 == 1
    }
}

/// Deterministic payload of a client entry: derived from its id, so any copy
/// can be verified anywhere.
pub fn payload_for(id: i32) -> Vec<u8> {
    let h = mix64(id as u64 ^ 0x5eed_da7a);
    let len = (h % 41) as usize;
    let mut v = Vec::with_capacity(len);
    let mut k = 0u64;
    while v.len() < len {
        let w = mix64(h.wrapping_add(k)).to_le_bytes();
        let take = (len - v.len()).min(8);
        v.extend_from_slice(&w[..take]);
        k += 1;
    }
    v
}
