/// F(n) mod 2^64, one wrapping addition per step from (F(0), F(1)) = (0, 1).
///
/// Every step is executed (no closed form, no doubling): this is the computation the trace
/// backend runs and the STARK proves row by row.
#[inline]
pub fn fibonacci(n: u64) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        let next = a.wrapping_add(b);
        a = b;
        b = next;
    }
    a
}
