//! GSL's adaptive Runge–Kutta–Fehlberg 4(5) integration (`gsl_odeiv_evolve_apply` with the
//! rkf45 stepper and the standard step control), as NEST's conductance-based neurons call it:
//! one call advances from `t` towards the end of the simulation step with the step size carried
//! over from the previous call. The neuron files supply their right-hand sides.

/// GSL's standard control: a step is accepted when every component's error estimate is at most
/// `eps_abs + eps_rel·(a_y·|y| + a_dydt·|h·y'|)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Control {
    pub eps_abs: f64,
    pub eps_rel: f64,
    pub a_y: f64,
    pub a_dydt: f64,
}

impl Control {
    /// `gsl_odeiv_control_y_new(eps_abs, eps_rel)`.
    pub const fn y(eps_abs: f64, eps_rel: f64) -> Self {
        Self {
            eps_abs,
            eps_rel,
            a_y: 1.0,
            a_dydt: 0.0,
        }
    }

    /// `gsl_odeiv_control_yp_new(eps_abs, eps_rel)`.
    pub const fn yp(eps_abs: f64, eps_rel: f64) -> Self {
        Self {
            eps_abs,
            eps_rel,
            a_y: 0.0,
            a_dydt: 1.0,
        }
    }
}

/// One `gsl_odeiv_evolve_apply` of `rhs` from `t0` towards `t1` with the suggested step `*h`: a
/// step whose error is too large is retried with a smaller one; the step size for next time is
/// left in `*h`. Returns the new state and time.
pub fn evolve_apply<const N: usize>(
    rhs: &impl Fn(&[f64; N]) -> [f64; N],
    y0: &[f64; N],
    t0: f64,
    t1: f64,
    h: &mut f64,
    control: &Control,
) -> ([f64; N], f64) {
    let dt = t1 - t0;
    let k1 = rhs(y0);
    let mut h0 = *h;
    loop {
        let final_step = h0 > dt;
        if final_step {
            h0 = dt;
        }
        let (y, yerr, dydt_out) = rkf45_step(rhs, y0, h0, &k1);
        let t = if final_step { t1 } else { t0 + h0 };
        let h_old = h0;
        // r = max |yerr| / D0; the method's order is 5.
        let rmax = (0..N)
            .map(|j| {
                let d0 = control.eps_rel
                    * (control.a_y * y[j].abs() + control.a_dydt * (h_old * dydt_out[j]).abs())
                    + control.eps_abs;
                yerr[j].abs() / d0.abs()
            })
            .fold(f64::MIN_POSITIVE, f64::max);
        if rmax > 1.1 {
            let r = (0.9 / rmax.powf(1.0 / 5.0)).max(0.2);
            let h_new = r * h_old;
            if h_new.abs() < h_old.abs() && t + h_new != t {
                h0 = h_new;
                continue;
            }
            h0 = h_old;
        } else if rmax < 0.5 {
            let r = (0.9 / rmax.powf(1.0 / 6.0)).clamp(1.0, 5.0);
            h0 = r * h_old;
        }
        *h = h0;
        return (y, t);
    }
}

/// GSL's rkf45 step (Fehlberg's coefficients): the fifth-order solution, the embedded error
/// estimate and the derivative at the new point.
fn rkf45_step<const N: usize>(
    rhs: &impl Fn(&[f64; N]) -> [f64; N],
    y: &[f64; N],
    h: f64,
    k1: &[f64; N],
) -> ([f64; N], [f64; N], [f64; N]) {
    const B3: [f64; 2] = [3.0 / 32.0, 9.0 / 32.0];
    const B4: [f64; 3] = [1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0];
    const B5: [f64; 4] = [
        8341.0 / 4104.0,
        -32832.0 / 4104.0,
        29440.0 / 4104.0,
        -845.0 / 4104.0,
    ];
    const B6: [f64; 5] = [
        -6080.0 / 20520.0,
        41040.0 / 20520.0,
        -28352.0 / 20520.0,
        9295.0 / 20520.0,
        -5643.0 / 20520.0,
    ];
    const C: [f64; 5] = [
        902880.0 / 7618050.0,
        3953664.0 / 7618050.0,
        3855735.0 / 7618050.0,
        -1371249.0 / 7618050.0,
        277020.0 / 7618050.0,
    ];
    const EC: [f64; 5] = [
        1.0 / 360.0,
        -128.0 / 4275.0,
        -2197.0 / 75240.0,
        1.0 / 50.0,
        2.0 / 55.0,
    ];
    let stage = |f: &dyn Fn(usize) -> f64| {
        let mut t = [0.0; N];
        for (j, v) in t.iter_mut().enumerate() {
            *v = y[j] + h * f(j);
        }
        rhs(&t)
    };
    let k2 = stage(&|j| 0.25 * k1[j]);
    let k3 = stage(&|j| B3[0] * k1[j] + B3[1] * k2[j]);
    let k4 = stage(&|j| B4[0] * k1[j] + B4[1] * k2[j] + B4[2] * k3[j]);
    let k5 = stage(&|j| B5[0] * k1[j] + B5[1] * k2[j] + B5[2] * k3[j] + B5[3] * k4[j]);
    let k6 =
        stage(&|j| B6[0] * k1[j] + B6[1] * k2[j] + B6[2] * k3[j] + B6[3] * k4[j] + B6[4] * k5[j]);
    let mut out = [0.0; N];
    let mut err = [0.0; N];
    for j in 0..N {
        out[j] =
            y[j] + h * (C[0] * k1[j] + C[1] * k3[j] + C[2] * k4[j] + C[3] * k5[j] + C[4] * k6[j]);
        err[j] =
            h * (EC[0] * k1[j] + EC[1] * k3[j] + EC[2] * k4[j] + EC[3] * k5[j] + EC[4] * k6[j]);
    }
    let dydt_out = rhs(&out);
    (out, err, dydt_out)
}
