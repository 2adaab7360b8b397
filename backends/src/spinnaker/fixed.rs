//! sPyNNaker's fixed-point arithmetic, bit for bit.
//!
//! * `accum` (ISO/IEC TR 18037 `s16.15`, sPyNNaker's `REAL`/`s1615`): an `i32` with 15
//!   fractional bits. Membrane potentials, currents, resistances and STDP weights are kept in it.
//! * `unsigned long fract` (`u0.32`, sPyNNaker's `decay_t`): a `u32` with 32 fractional bits, for
//!   the synaptic decay and injection factors.
//! * STDP traces and the exponential look-up tables use 11 fractional bits in an `i16`/`i32`
//!   (`STDP_FIXED_POINT = 11` in `neuron/plasticity/stdp/stdp_typedefs.h`).
//!
//! Where the board rounds, these functions round the same way; each cites the source it mirrors.

/// Fractional bits of an `accum`.
pub const ACCUM_FRAC_BITS: u32 = 15;
/// 1.0 as an `accum`.
pub const ACCUM_ONE: i32 = 1 << ACCUM_FRAC_BITS;
/// Fractional bits of an STDP trace (`stdp_typedefs.h`: `STDP_FIXED_POINT`).
pub const STDP_FIXED_POINT: u32 = 11;
/// 1.0 as an STDP trace (`STDP_FIXED_POINT_ONE`).
pub const STDP_FIXED_POINT_ONE: i32 = 1 << STDP_FIXED_POINT;
/// Shift from an STDP trace to an accum (`stdp_typedefs.h`: `S1615_TO_STDP_RIGHT_SHIFT`).
pub const S1615_TO_STDP_RIGHT_SHIFT: u32 = 4;

/// An `accum` (s16.15) as its raw bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Accum(pub i32);

impl Accum {
    pub const ZERO: Accum = Accum(0);

    /// The value the host writes for `x`: nearest representable, saturated (sPyNNaker's
    /// `DataType.S1615` encoding rounds to nearest).
    pub fn from_f64(x: f64) -> Accum {
        Accum(saturate_i64((x * ACCUM_ONE as f64).round() as i64))
    }

    pub fn to_f64(self) -> f64 {
        self.0 as f64 / ACCUM_ONE as f64
    }

    /// `accum * accum` rounded to nearest and saturated: spinn_common's
    /// `__stdfix_smul_k_round_nearest` (`round.h`: `MULT_ROUND_NEAREST_ACCUM` on two s1615), which
    /// adds bit 14 of the 64-bit product to the product shifted right by 15. GCC's own
    /// `accum * accum` (libgcc `fixed-bit.c`, `FIXED_MULHELPER`: add `1 << (FBITS - 1)`, shift)
    /// gives the same bits, so this serves both.
    #[inline]
    pub fn mul_round(self, o: Accum) -> Accum {
        if self.0 == i32::MIN && o.0 == i32::MIN {
            return Accum(i32::MAX);
        }
        let p = self.0 as i64 * o.0 as i64;
        let carry = (p >> (ACCUM_FRAC_BITS - 1)) & 1;
        Accum(saturate_i64((p >> ACCUM_FRAC_BITS) + carry))
    }

    /// An accum scaled by a `u0.32` factor, truncating: `decay_s1615` in `neuron/decay.h`
    /// (`(int64 x * uint32 d) >> 32`, an arithmetic shift, i.e. towards −∞).
    #[inline]
    pub fn decay(self, d: U032) -> Accum {
        Accum(((self.0 as i64 * d.0 as i64) >> 32) as i32)
    }

    /// Raw bits shifted left: `synapse_row_convert_weight_to_input` (`neuron/synapse_row.h`)
    /// turns a 16-bit ring-buffer value into an accum this way.
    #[inline]
    pub fn from_weight(w: u32, left_shift: u32) -> Accum {
        Accum((w as i32).wrapping_shl(left_shift))
    }

    /// `mul_accum_fixed` (`stdp_typedefs.h`): an accum times an 11-bit STDP value, as
    /// `a * kbits(x << 4)`, a GCC accum multiply (round half up, see [`Accum::mul_round`]).
    #[inline]
    pub fn mul_stdp(self, x: i32) -> Accum {
        self.mul_round(Accum(x << S1615_TO_STDP_RIGHT_SHIFT))
    }
}

/// Wrapping addition, as the ARM's `add` on the raw bits (sPyNNaker adds accums without
/// saturation).
impl std::ops::Add for Accum {
    type Output = Accum;
    #[inline]
    fn add(self, o: Accum) -> Accum {
        Accum(self.0.wrapping_add(o.0))
    }
}

impl std::ops::Sub for Accum {
    type Output = Accum;
    #[inline]
    fn sub(self, o: Accum) -> Accum {
        Accum(self.0.wrapping_sub(o.0))
    }
}

/// A `u0.32` (`unsigned long fract`) as its raw bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct U032(pub u32);

impl U032 {
    /// Nearest representable value of `x` in [0, 1).
    pub fn from_f64(x: f64) -> U032 {
        U032((x * 4_294_967_296.0).round().clamp(0.0, u32::MAX as f64) as u32)
    }

    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 4_294_967_296.0
    }

    /// `1.0ulr - self`: 1.0 is not representable and saturates to `u32::MAX` (GCC).
    pub fn one_minus(self) -> U032 {
        U032(u32::MAX - self.0)
    }

    /// `decay_s1615_to_u032` (`neuron/decay.h`): an accum times a `u0.32`, giving a `u0.32`
    /// (`(uint64 x * uint64 d) >> 15`, truncated to 32 bits).
    pub fn from_accum_times(x: Accum, d: U032) -> U032 {
        U032((((x.0 as u32) as u64 * d.0 as u64) >> 15) as u32)
    }
}

/// `__stdfix_sat_k`: clamp a 64-bit intermediate to the accum range.
#[inline]
fn saturate_i64(x: i64) -> i32 {
    x.clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

/// `STDP_FIXED_MUL_16X16` (`maths.h`: `__smulbb(a, b) >> 11`): the low 16 bits of both operands,
/// signed, multiplied, arithmetic shift right by 11.
#[inline]
pub fn stdp_mul_16x16(a: i32, b: i32) -> i32 {
    ((a as i16) as i32 * (b as i16) as i32) >> STDP_FIXED_POINT
}

/// `lif_ceil_accum` (`neuron_model_lif_impl.h`): ceiling of an accum as an integer.
pub fn ceil_accum(x: Accum) -> i32 {
    let int = x.0 >> ACCUM_FRAC_BITS;
    if x.0 & (ACCUM_ONE - 1) > 0 {
        int + 1
    } else {
        int
    }
}

/// `kdivk`: accum division. spinn_common computes the quotient of the raw values to full
/// precision; this takes the exact quotient of the two accums and rounds it to nearest, which is
/// within one unit in the last place of the board's result.
pub fn div_accum(n: Accum, d: Accum) -> Accum {
    Accum::from_f64(n.to_f64() / d.to_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplication_rounds_to_nearest_like_round_h() {
        // 0.5 ulp exactly rounds up (bit 14 of the product is added).
        let half_ulp = Accum(1).mul_round(Accum(ACCUM_ONE / 2));
        assert_eq!(half_ulp, Accum(1));
        // Just below half an ulp rounds down.
        assert_eq!(Accum(1).mul_round(Accum(ACCUM_ONE / 2 - 1)), Accum(0));
        // Negative products: -0.5 ulp rounds towards +inf (floor(p/2^15) + bit 14).
        assert_eq!(Accum(-1).mul_round(Accum(ACCUM_ONE / 2)), Accum(0));
        assert_eq!(Accum(-3).mul_round(Accum(ACCUM_ONE / 2)), Accum(-1));
        // Exact products are exact; saturation at the range ends.
        assert_eq!(
            Accum::from_f64(-60.0).mul_round(Accum::from_f64(0.5)),
            Accum::from_f64(-30.0)
        );
        assert_eq!(
            Accum::from_f64(30000.0).mul_round(Accum::from_f64(30000.0)),
            Accum(i32::MAX)
        );
    }

    #[test]
    fn decay_truncates_towards_minus_infinity() {
        let half = U032(1 << 31);
        assert_eq!(Accum(3).decay(half), Accum(1));
        assert_eq!(Accum(-3).decay(half), Accum(-2));
        assert_eq!(
            Accum(ACCUM_ONE).decay(U032::from_f64(0.25)),
            Accum(ACCUM_ONE / 4)
        );
    }

    #[test]
    fn injection_factor_of_the_ca3_synapse() {
        // tau_syn = 0.3 ms, dt = 1 ms: init = (tau/dt)(1 - e^(-dt/tau)) = 0.28930 (specs §2).
        let tau = Accum::from_f64(0.3);
        let ts = Accum::from_f64(1.0);
        let decay = U032::from_f64((-div_accum(ts, tau).to_f64()).exp());
        let init = U032::from_accum_times(div_accum(tau, ts), decay.one_minus());
        assert!(
            (decay.to_f64() - 0.035_674).abs() < 1e-5,
            "{}",
            decay.to_f64()
        );
        assert!(
            (init.to_f64() - 0.289_298).abs() < 1e-4,
            "{}",
            init.to_f64()
        );
    }

    #[test]
    fn ceil_and_16x16() {
        assert_eq!(ceil_accum(Accum::from_f64(1.0)), 1);
        assert_eq!(ceil_accum(Accum::from_f64(1.00003)), 2);
        assert_eq!(ceil_accum(Accum::from_f64(-1.5)), -1);
        assert_eq!(stdp_mul_16x16(2048, 2048), 2048);
        assert_eq!(stdp_mul_16x16(-2048, 1024), -1024);
    }
}
